"""What a batch says when it does not end as a whole (:mod:`mecc.batch`).

- :func:`stop_report`: a batch stopped (Ctrl-C, SIGTERM) names the runs it kept and the
  run files still to run, for its one interrupt line;
- :class:`NoRunSucceeded`: a batch with ``--overwrite`` none of whose runs succeeded
  replaced nothing (the earlier batch folder is as it was): the error says so, then
  names each run file and its error, one line each.
"""

from __future__ import annotations

from pathlib import Path

from mecc.errors import MeccError
from mecc.output_guard import made_by

__all__ = ["SHOWN", "NoRunSucceeded", "stop_report"]


SHOWN = 5
"""How many run folders or run files a stopped batch's message names (then "and N more")."""


def _some(names) -> str:
    names = [str(name) for name in names]
    more = f" and {len(names) - SHOWN} more" if len(names) > SHOWN else ""
    return ", ".join(names[:SHOWN]) + more


def stop_report(out_dir, config_paths, done: dict, *, in_place: bool, listed: bool = True) -> str:
    """What a stopped batch kept and what is left to run, for its interrupt message.

    ``done`` maps the index of each run recorded so far to its row; a run whose folder
    is in place counts as kept even when its row was not recorded yet. With
    ``in_place`` false (``--overwrite``: the batch was written into a staging folder),
    nothing is kept and the earlier folder is as it was. ``listed``: the folder has a
    batch's marker (a resumed batch lists the kept runs in its batch.csv).
    """
    out_dir = Path(out_dir)
    if not in_place:
        return (
            f"with --overwrite a batch replaces {out_dir} only once all its runs have "
            f"ended, so {out_dir} is as it was; run the batch again to replace it"
        )
    kept, left = [], []
    for index, path in enumerate(config_paths):
        stem = Path(path).stem
        if made_by(out_dir / stem) == "run":
            kept.append(stem)
        elif index in done and done[index].get("exit_code"):
            left.append(f"{path} (failed, exit {done[index]['exit_code']})")
        else:
            left.append(str(path))
    said = (
        f"kept {len(kept)} finished run{'s' if len(kept) != 1 else ''} in {out_dir}: {_some(kept)}"
        if kept
        else f"no run had finished in {out_dir}"
    )
    if not left:
        return f"{said} (every run had finished; batch.csv was not written)"
    files = "file" if len(left) == 1 else "files"
    listing = " (its batch.csv then lists every run)" if listed else ""
    return (
        f"{said}; still to run: {len(left)} run {files}, {_some(left)}: run them with "
        f"--out {out_dir} to finish the batch{listing}"
    )


class NoRunSucceeded(MeccError):
    """A batch with ``--overwrite`` none of whose runs succeeded: it replaced nothing,
    the earlier batch folder is as it was. The message says so in its first line, then
    names each run file and its error, one line each; the exit code is the worst run's
    (DESIGN.md). ``rows``: the runs' rows, as a batch returns them."""

    def __init__(self, out_dir, rows):
        self.rows = list(rows)
        self.exit_code = max(int(row["exit_code"]) for row in self.rows)
        lines = [
            f"{out_dir}: kept as it was: no run of this batch succeeded ({len(self.rows)} "
            "failed), and "
            "--overwrite replaces an earlier batch only with one that has a finished run; "
            "the error of each run file:"
        ]
        lines += [f"  {_failure(row)}" for row in self.rows]
        super().__init__("\n".join(lines))


def _failure(row: dict) -> str:
    """A failed run as one line: its run file, then its message (the run file once)."""
    run_file, message = str(row["run_file"]), " ".join(str(row.get("message", "")).split())
    for named in (f"{run_file}: ", f"{Path(run_file).name}: "):
        if message.startswith(named):
            message = message[len(named) :]
            break
    return f"{run_file}: {message or row.get('status', 'failed')} (exit {row['exit_code']})"
