"""Several run files in one batch folder: the tool behind ``mecc run A.yaml B.yaml --out DIR``.

:func:`run_batch` runs each file into ``DIR/<file stem>/`` and lists them in
``DIR/batch.csv``. The batch folder is written as a whole, as a single run's folder is
(:class:`mecc.outputs.OutputFolder`):

- into a new or empty folder, or a folder of the user's that holds none of the batch's
  names, the runs go straight to their folders; a batch stopped before its end (Ctrl-C,
  SIGTERM, a bug) keeps the runs that finished (each is whole: a run's folder appears
  only when the run is done) and writes no batch.csv, so a national analyst does not
  lose hours of finished runs, and ``--overwrite`` can replace the folder later (a
  folder the batch has to itself gets the marker :data:`mecc.outputs.OUTPUT_MARKER`
  when the batch starts, holding the rows of the runs finished so far). Run again into
  that folder with the files that did not finish, a batch lists the earlier runs too in
  its batch.csv (their rows as recorded; a run run again replaces its row). The marker
  also names the runs the batch started: one whose folder is in place without a row
  (stopped after the run moved its folder into place, before the batch recorded it)
  gets its row back from its own manifest.json, and a run folder the batch did not start,
  or made from another run file, is never listed. A stopped batch's interruption
  carries the line :func:`stop_report` writes (runs kept, run files still to run). A folder
  holding files of the user's gets no marker, and is never replaced: the messages say
  which run folders to move to run them again there;
- with ``overwrite``, an earlier batch folder is replaced as a whole: the new batch is
  written into a staging folder renamed into place at the end, so no earlier run is left
  beside the new ones, nor under the name of a run that failed this time. A batch none
  of whose runs succeeded replaces nothing: the earlier folder stays as it was and the
  error (:class:`mecc.batch_messages.NoRunSucceeded`) names each run file and its error;
  once one run succeeded, the folder is replaced and its batch.csv lists the failed runs
  too (their earlier folders are gone with the earlier batch). Only a folder
  an earlier batch of mecc wrote is replaced (its ``batch.csv`` or the marker
  :data:`mecc.outputs.OUTPUT_MARKER` naming ``run batch``, and nothing but run folders
  of mecc beside them); any other folder is refused, never deleted.
"""

from __future__ import annotations

import json
import os
import re
import time
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from mecc.batch_messages import NoRunSucceeded, stop_report
from mecc.errors import ConfigError, InputFileError, OutputExistsError
from mecc.outputs import (
    OUTPUT_MARKER,
    OutputFolder,
    files_named_by,
    made_by,
    make_folder,
    restore_replaced,
    staged_file,
    write_csv,
    write_problem,
)

__all__ = [
    "BATCH_COMMAND",
    "WARNING_TEXTS",
    "BatchResult",
    "NoRunSucceeded",
    "batch_row",
    "run_batch",
    "stop_report",
]

BATCH_COMMAND = "run batch"
"""The command the marker of a batch folder names (``mecc run`` with several run files)."""

WARNING_TEXTS = "warning_texts"
"""The key of a row holding its run's warnings (printed by the batch, not in batch.csv)."""

_LEFTOVER = re.compile(r"\..+\.(partial-\d+-[0-9a-f]{8}|old-(\d+-)?[0-9a-f]{8})")
"""Hidden staging or old-run folders of killed runs (``mecc.outputs.OutputFolder``'s)."""
_STAGED = re.compile(r"\.(batch\.csv|\.?mecc-output\.json)\.partial(-\d+-[0-9a-f]{8})?")
"""The batch.csv or marker of a killed batch being written (``mecc.outputs.staged_file``'s
``.<name>.partial-<pid>-<hex>``; ``.<name>.partial`` of older versions)."""


@dataclass
class BatchResult:
    """Several runs: one row per run file, and the worst exit code; ``earlier``: the rows
    batch.csv lists before them, of runs an earlier, stopped batch of the folder ran."""

    out_dir: Path
    rows: list
    exit_code: int
    earlier: list = field(default_factory=list)


def run_batch(
    config_paths,
    out_dir,
    *,
    overwrite: bool = False,
    threads=None,
    block_shape=None,
    progress=None,
    with_map: bool = True,
    jobs: int = 1,
    dask=None,
) -> BatchResult:
    """Run several countries into ``out_dir/<file stem>/``.

    One after another by default; ``jobs > 1`` runs that many at once in separate
    processes (each with ``threads`` or its share of the CPUs), and ``dask`` (a
    ``distributed.Client``, a scheduler address or ``"local"``) runs each file as one
    Dask task (workers need the same paths). A failing run does not stop the others;
    ``out_dir/batch.csv`` lists every run with its status, exit code, message, time and
    folder (absolute paths), in the order given, after the rows an earlier, stopped batch
    recorded for runs of the folder not run again; the batch's exit code is the largest
    of its runs' (DESIGN.md). Each run's warnings are warned again here, led by its run
    file (the command line prints them as ``warning:`` lines).

    Without ``overwrite`` a folder holding one of the batch's names (a run's folder or
    batch.csv) is refused before any run; with it, an earlier batch folder is replaced
    as a whole (see the module's notes), so it holds this batch's runs only, once one of
    them succeeded. An earlier batch a killed ``--overwrite`` left set aside is first put
    back or deleted (:func:`mecc.outputs.restore_replaced`).

    Raises
    ------
    mecc.errors.ConfigError
        Two run files with the same name, or a batch folder holding the current folder
        or a file the runs read.
    mecc.errors.OutputExistsError
        The folder holds an earlier batch (without ``overwrite``), or with ``overwrite``
        a folder that no batch of mecc wrote.
    mecc.batch_messages.NoRunSucceeded
        With ``overwrite``, an earlier batch folder and no run that succeeded: the
        folder is as it was (exit code: the worst run's).
    mecc.cluster_checks.ClusterError
        With ``dask``: no scheduler answers, or it has no worker (before any folder is
        made), or the scheduler or all its workers were lost during the batch (the runs
        that finished are kept, as when a batch is stopped).
    """
    out_dir = Path(out_dir)
    stems = [Path(p).stem for p in config_paths]
    _refuse_same_names(config_paths, stems)
    restore_replaced(out_dir)  # an earlier batch a killed --overwrite set aside, first
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputExistsError(f"{out_dir}: exists and is not a folder")
    occupied = out_dir.is_dir() and any(out_dir.iterdir())
    if occupied and overwrite:
        _refuse_other_folders(out_dir)
        folder = OutputFolder(out_dir, overwrite=True, keep=_files_read(config_paths))
        earlier: list = []
    else:
        _refuse_earlier_batch(out_dir, stems)
        folder = _DirectFolder(out_dir)
        earlier = _earlier_rows(out_dir, stems)
    options = {
        "overwrite": overwrite,
        "threads": threads,
        "block_shape": block_shape,
        "with_map": with_map,
    }
    if isinstance(dask, str):  # the cluster reached, with a worker, before any folder is made
        from mecc.cluster import dask_client

        with dask_client(dask) as client:
            return run_batch(
                config_paths, out_dir, **options, progress=progress, jobs=jobs, dask=client
            )
    if dask is not None:  # (a scheduler without workers: one line, nothing written)
        from mecc.cluster_checks import require_workers

        require_workers(dask)
    batch = _Batch(config_paths, out_dir, stems, earlier)
    if isinstance(folder, _DirectFolder):  # the marker written as the batch starts
        folder.marker.rows, folder.marker.runs = list(earlier), batch.runs
    try:
        with folder as root:
            if isinstance(folder, _DirectFolder):
                batch.marker = folder.marker
            else:  # a staging folder (--overwrite): the marker goes with it
                batch.marker = _Marker(root, True)
                batch.marker.runs = batch.runs
            rows = batch.run(root, options, progress, jobs, dask)
            if not isinstance(folder, _DirectFolder) and not any(
                row["exit_code"] == 0 for row in rows
            ):  # nothing to replace the earlier batch with: it stays (the staging goes)
                raise NoRunSucceeded(out_dir, rows)
            batch.write_table(root, rows)
    except KeyboardInterrupt as error:  # Ctrl-C, SIGTERM: the message says what was kept
        in_place = isinstance(folder, _DirectFolder)
        listed = not in_place or folder.marker.owned
        with suppress(AttributeError):  # an exception that takes no attributes: nothing said
            error.batch_stop = stop_report(
                out_dir, config_paths, batch.done, in_place=in_place, listed=listed
            )
        raise
    folder.commit()
    return BatchResult(out_dir, rows, max(row["exit_code"] for row in rows), earlier)


def _refuse_same_names(config_paths, stems) -> None:
    """Two run files of one batch with the same name (their folders would clash): one
    line naming both files and the name."""
    seen: dict = {}
    for path, stem in zip(config_paths, stems, strict=True):
        if stem in seen:
            raise ConfigError(
                f"{seen[stem]} and {path}: run files in one batch need different file names "
                f"(their folders are named after them; both would be {stem}/)"
            )
        seen[stem] = path


class _Batch:
    """The runs of one batch, recorded in the marker of its folder as each ends."""

    def __init__(self, config_paths, out_dir: Path, stems, earlier: list):
        self.config_paths = list(config_paths)
        self.out_dir = out_dir
        self.stems = list(stems)
        self.earlier = list(earlier)
        self.full_outs = [_absolute(out_dir / stem) for stem in stems]  # once in place
        self.runs = [  # what the marker names as started (a resumed batch checks them)
            {"run_file": _absolute(path), "out_dir": full}
            for path, full in zip(config_paths, self.full_outs, strict=True)
        ]
        self.done: dict = {}  # index -> row as written, as each run ends
        self.marker = _Marker(out_dir, False)
        self.root = out_dir  # where the runs are written (a staging folder: --overwrite)

    def placed(self, row: dict) -> dict:
        """``row`` naming the run's folder where it is once in place: an error written in
        the staging folder of an ``--overwrite`` batch (no space left on device writing
        ``.runs.partial-.../ken``) named a hidden folder gone by the time it is read."""
        message = row.get("message")
        if not isinstance(message, str) or Path(self.root) == self.out_dir:
            return row
        for staged in dict.fromkeys((str(self.root), os.path.abspath(self.root))):
            message = message.replace(staged, str(self.out_dir))
        return {**row, "message": message}

    def note(self, index: int, row: dict) -> None:
        """A finished run, recorded in the marker at once."""
        self.done[index] = _as_written(row, self.config_paths[index], self.full_outs[index])
        self.marker.rows = self.earlier + [self.done[k] for k in sorted(self.done)]
        self.marker.write()

    def run(self, root: Path, options: dict, progress, jobs: int, dask) -> list:
        """The rows of this batch's runs; the ``runs`` bar is updated as each ends."""
        self.root = root
        outs = [root / stem for stem in self.stems]
        total = len(outs)
        if jobs > 1 or dask is not None:
            from mecc.cluster import run_rows

            def noted(index: int, row: dict) -> None:
                self.note(index, self.placed(row))
                if progress:
                    progress("runs", len(self.done), total)

            if progress:
                progress("runs", 0, total)
            paths = self.config_paths
            rows = run_rows(paths, outs, options, jobs=jobs, dask=dask, on_row=noted)
            return [self.placed(row) for row in rows]
        rows = []
        for number, (path, out) in enumerate(zip(self.config_paths, outs, strict=True)):
            if progress:
                progress("runs", number, total)
            rows.append(self.placed(batch_row(path, out, {**options, "progress": progress})))
            self.note(number, rows[-1])
        if progress:
            progress("runs", total, total)
        return rows

    def write_table(self, root: Path, rows: list) -> None:
        """batch.csv: the earlier rows, then this batch's, each run where it is in place."""
        for row, stem in zip(rows, self.stems, strict=True):
            row["out_dir"] = str(self.out_dir / stem)
            _warn_again(row)
        written = [
            _as_written(row, path, full)
            for row, path, full in zip(rows, self.config_paths, self.full_outs, strict=True)
        ]
        make_folder(root)  # a file where the folder must be: one line
        with staged_file(root / "batch.csv") as staging:
            frame = pd.DataFrame(self.earlier + written, columns=list(written[0]))
            write_csv(frame, staging)
        self.marker.rows = self.earlier + written
        self.marker.write()  # not beside files of the user's


def _absolute(path) -> str:
    """``path`` absolute and resolved, as the other paths the records name."""
    return str(Path(path).resolve())


def _as_written(row: dict, run_file, out_dir: str) -> dict:
    """A row of batch.csv: the run file and run folder absolute, the warnings counted."""
    row = {key: value for key, value in row.items() if key != WARNING_TEXTS}
    return {**row, "run_file": _absolute(run_file), "out_dir": out_dir}


def _warn_again(row: dict) -> None:
    """Warn here what the run warned (its own process caught it), each line once and led
    by the run file, as the command line shows a single run's warnings."""
    import warnings

    from mecc.errors import MeccWarning

    run_file = str(row["run_file"])
    for message in dict.fromkeys(row.pop(WARNING_TEXTS, None) or ()):
        named = str(message).startswith((f"{run_file}: ", f"{Path(run_file).name}: "))
        warnings.warn(message if named else f"{run_file}: {message}", MeccWarning, stacklevel=3)


def _earlier_rows(out_dir: Path, stems) -> list:
    """The rows an earlier batch recorded in this folder (its marker) for runs this batch
    does not run again and whose folders are still there: a batch resumed with the files
    a stopped one did not finish lists every run of the folder in its batch.csv."""
    try:
        marker = json.loads((out_dir / OUTPUT_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(marker, dict) or marker.get("command") != BATCH_COMMAND:
        return []
    here = Path(_absolute(out_dir))

    def listed(rows) -> list:  # the dicts naming a run folder of this batch folder
        return [
            row
            for row in (rows if isinstance(rows, list) else [])
            if isinstance(row, dict)
            and Path(str(row.get("out_dir", ""))).parent == here
            and Path(str(row.get("out_dir"))).name not in stems
        ]

    rows = [
        row
        for row in listed(marker.get("rows"))
        if row.get("exit_code") != 0 or Path(str(row["out_dir"])).is_dir()
    ]
    recorded = {Path(str(row["out_dir"])).name for row in rows}
    for run in listed(marker.get("runs")):
        name = Path(str(run["out_dir"])).name
        row = None if name in recorded else _row_of_folder(here / name, run.get("run_file"))
        if row is not None:
            rows.append(row)
            recorded.add(name)
    return rows


def _row_of_folder(folder: Path, run_file) -> dict | None:
    """The row of a run an earlier batch started and that ended, its folder in place,
    without its row being recorded (the batch was stopped in between): from the run's
    manifest.json, status ok (a run folder appears only once the run is complete).
    None unless ``folder`` is a complete run folder of mecc made from ``run_file``."""
    if not isinstance(run_file, str) or made_by(folder) != "run":
        return None
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        made_from = Path(manifest["run_file_dir"], manifest["run_file"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if _absolute(made_from) != _absolute(run_file):  # another run's folder: not this batch's
        return None
    warned = manifest.get("warnings")
    seconds = (manifest.get("timings_seconds") or {}).get("total")
    return {
        "run_file": _absolute(run_file),
        "out_dir": str(folder),
        "status": "ok",
        "exit_code": 0,
        "message": "",
        "warnings": len(warned) if isinstance(warned, list) else 0,
        "seconds": seconds if isinstance(seconds, int | float) else float("nan"),
    }


def batch_row(path, out_dir, options: dict) -> dict:
    """Run one file of a batch; its row of batch.csv, whatever happened (never raises).

    ``options`` are keyword arguments of :func:`mecc.run.run_country`.
    """
    from mecc.errors import EXIT_INTERNAL, MeccError
    from mecc.outputs import write_problem
    from mecc.run import run_country

    started = time.perf_counter()
    row = {"run_file": str(path), "out_dir": str(out_dir)}
    try:
        result = run_country(path, out_dir, **options)
        row.update(status="ok", exit_code=0, message="", warnings=len(result.warnings))
        row[WARNING_TEXTS] = list(result.warnings)  # shown by the batch, not in batch.csv
    except Exception as error:  # noqa: BLE001 - one run's bug must not stop the batch
        error = write_problem(error) or error  # no space, no permission: as cli.py says
        if isinstance(error, MeccError):
            row.update(status="failed", exit_code=error.exit_code, message=str(error), warnings=0)
        else:
            row.update(
                status="internal error",
                exit_code=EXIT_INTERNAL,
                message=f"{type(error).__name__}: {error}",
                warnings=0,
            )
    row["seconds"] = round(time.perf_counter() - started, 3)
    return row


def _refuse_earlier_batch(out_dir: Path, stems) -> None:
    """Without ``overwrite``: refuse before any run a folder holding one of the batch's
    names, so a batch never mixes old and new results. The message says what would
    work: ``--overwrite`` when it may replace the folder, else what to move."""
    taken = [
        name
        for name in [*stems, "batch.csv"]
        if (out_dir / name).exists()
        and (not (out_dir / name).is_dir() or any((out_dir / name).iterdir()))
    ]
    if not taken:
        return
    why = _not_replaceable(out_dir)
    if why is None:
        raise OutputExistsError(
            f"{out_dir}: holds {', '.join(taken)} from an earlier batch; "
            "use --overwrite to replace them"
        )
    raise OutputExistsError(
        f"{out_dir}: holds {', '.join(taken)} from an earlier batch, and --overwrite would "
        f"not replace the folder ({why}); move or delete {', '.join(taken)} to run them "
        "again here, or choose a new folder"
    )


def _refuse_other_folders(out_dir: Path) -> None:
    """With ``overwrite``: refuse a folder that no batch of mecc wrote (see
    :func:`_not_replaceable`), saying what to do instead."""
    why = _not_replaceable(out_dir)
    if why is not None:
        raise OutputExistsError(
            f"{out_dir}: not a batch folder of mecc ({why}) and --overwrite replaces "
            "only an earlier batch, as a whole; choose a new folder, or move or delete "
            "yourself what it holds (without --overwrite, run files with other names "
            "may still be added to it)"
        )


def _not_replaceable(out_dir: Path) -> str | None:
    """Why ``--overwrite`` may not replace ``out_dir`` as a whole, or None if it may.

    A batch folder holds batch.csv or the marker of ``run batch``, and beside them only
    run folders of mecc (a manifest.json mecc wrote), empty folders and the hidden
    leftovers of killed runs; replacing anything else could delete the user's files.
    """
    entries = sorted(out_dir.iterdir())
    marker = made_by(out_dir) if (out_dir / OUTPUT_MARKER).is_file() else None
    foreign = [
        entry.name
        for entry in entries
        if not (
            (entry.name == "batch.csv" and _is_batch_table(entry))
            or (entry.name == OUTPUT_MARKER and marker == BATCH_COMMAND)
            or (_STAGED.fullmatch(entry.name) and entry.is_file() and not entry.is_symlink())
            or (_LEFTOVER.fullmatch(entry.name) and entry.is_dir() and not entry.is_symlink())
            or (entry.is_dir() and (made_by(entry) == "run" or not any(entry.iterdir())))
        )
    ]
    if not foreign and (_is_batch_table(out_dir / "batch.csv") or marker == BATCH_COMMAND):
        return None
    if made_by(out_dir) == "run":
        return "it is the folder of a single run"
    if foreign:
        more = ", ..." if len(foreign) > 3 else ""
        return f"it holds {', '.join(foreign[:3])}{more}, which no run of mecc wrote"
    return "it holds runs of mecc but no batch.csv nor the marker of a batch"


def _is_batch_table(path: Path) -> bool:
    """Whether ``path`` is a batch.csv mecc wrote (its header starts ``run_file,out_dir``)."""
    try:
        with open(path, encoding="utf-8-sig") as stream:
            return stream.readline().startswith("run_file,out_dir,")
    except (OSError, UnicodeDecodeError):
        return False


def _files_read(config_paths) -> list:
    """The run files and the files they name (those that can be read): a batch folder
    holding one of them is not replaced."""
    from mecc.config import load_config

    found = []
    for path in config_paths:
        found.append(Path(path))
        try:
            config = load_config(path)
        except (ConfigError, InputFileError):  # that run fails on its own; its file is kept
            continue
        found += files_named_by(config.data, config.base_dir)
    return found


def _write_marker(folder: Path, rows=(), runs=()) -> None:
    """Mark ``folder`` as a batch folder of mecc (so ``--overwrite`` may replace it), with
    the rows of the runs finished so far (a resumed batch lists them in its batch.csv)
    and the runs the batch started (``run_file``, ``out_dir``: one that ended without
    its row, stopped in between, gets its row back from its manifest on resume)."""
    from mecc import __version__

    marker = {
        "created_by": f"mecc {__version__}",
        "command": BATCH_COMMAND,
        "rows": list(rows),
        "runs": list(runs),
    }
    with staged_file(folder / OUTPUT_MARKER) as staging:  # never half-written (a Ctrl-C)
        staging.write_text(json.dumps(marker, default=str), encoding="utf-8")


class _Marker:
    """The marker of a batch folder, written when the batch starts and again after each
    run, into a folder the batch has to itself only (:attr:`owned`)."""

    def __init__(self, folder: Path, owned: bool):
        self.folder = Path(folder)
        self.owned = owned
        self.rows: list = []
        self.runs: list = []

    def write(self) -> None:
        if self.owned and self.folder.is_dir():
            _write_marker(self.folder, self.rows, self.runs)


class _DirectFolder:
    """A batch written straight into its folder (new, empty, an earlier batch's folder
    holding none of the batch's names, or the user's own folder holding none of them).

    Used as ``with folder as root: ...; folder.commit()``, as
    :class:`~mecc.outputs.OutputFolder`: a batch stopped before its end keeps the runs
    that finished and removes only a batch.csv being written. The marker of a batch
    folder is written as soon as the batch makes the folder (or starts in an empty one,
    or an earlier batch's) and after each run, so that ``--overwrite`` may replace it
    however the batch ended; never into a folder holding files of the user's.
    """

    def __init__(self, target: Path):
        self.target = Path(target)
        occupied = self.target.is_dir() and any(self.target.iterdir())
        self.marker = _Marker(self.target, not occupied or made_by(self.target) == BATCH_COMMAND)

    def __enter__(self) -> Path:
        if self.marker.owned:
            make_folder(self.target)  # a file where the folder must be: one line
            try:
                self.marker.write()
            except OSError as error:  # a folder that cannot be written: one line
                problem = write_problem(error, self.target)
                raise (problem or error) from None
        return self.target

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            return False
        with suppress(OSError):  # a folder that cannot be written: the error below says so
            self.marker.write()  # (a batch.csv being written went with its error)
        named = getattr(exc, "filename", None) if isinstance(exc, OSError) else None
        if named is not None and Path(os.fsdecode(named)).parent == self.target:
            problem = write_problem(exc, self.target)  # the folder, not a file of mecc's
            if problem is not None:
                raise problem from exc
        return False

    def commit(self) -> Path:
        return self.target
