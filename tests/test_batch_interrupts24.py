"""Batches stopped midway and batch folders written again (mecc.batch, mecc.cluster, cli):
no staging folder left and one line on Ctrl-C (real processes, the signal sent to the
whole process group as a terminal does), messages that never send the user in a circle,
a resumed batch's batch.csv, the runs' warnings and absolute paths in batch.csv."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from mecc.outputs import OUTPUT_MARKER
from tests._run_inputs import POP, basic_case, cell_box, hidden_entries, write_run, write_zones

MECC = Path(sys.executable).parent / "mecc"
# basic_case: zone B is columns 2-3 of POP, flooded 1 m and 2 m deep at 100 years, and
# flood_step_1m displaces everyone at 1 m or more: the 100-year band displaces B's people
B_PEOPLE = float(POP[:, 2:].sum())


def _runs(folder: Path, names) -> list:
    """Run files of the basic case in ``folder`` (one set of inputs), names relative to it."""
    data = basic_case(folder)
    for name in names:
        write_run(folder, data, name)
    return list(names)


def _rows(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "batch.csv", encoding="utf-8-sig")


def _displaced_100(run: Path) -> float:
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    return summary["hazards"]["rf"]["bands"][-1]["displaced"]


def _interrupt_after_first_run(args, cwd: Path, out: Path, new_child=False, timeout=90.0):
    """Start ``mecc ARGS`` in a session of its own; once the first run folder is in
    place, send SIGINT to the whole group (a terminal's Ctrl-C reaches every process of
    it); with ``new_child``, first to a process the batch started after that, once it
    runs Python (a run's process importing mecc); return (exit code, stderr lines)."""
    import psutil

    process = subprocess.Popen(
        [str(MECC), *map(str, args)],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and process.poll() is None:
            if out.is_dir() and any(
                p.is_dir() and not p.name.startswith(".") for p in out.iterdir()
            ):
                break
            time.sleep(0.02)
        before = {child.pid for child in psutil.Process(process.pid).children()}
        while new_child and time.monotonic() < deadline and process.poll() is None:
            started = []  # Python started in it: it now imports mecc (a second or so)
            for child in psutil.Process(process.pid).children():
                with contextlib.suppress(psutil.Error, OSError):  # one that ended meanwhile
                    if child.pid not in before and _handles_sigint(child.pid):
                        started.append(child)
            if started:
                # the terminal's Ctrl-C reaches that process first: it stops there, or not
                with contextlib.suppress(psutil.Error):
                    started[0].send_signal(signal.SIGINT)
                    started[0].wait(timeout=1.0)
                break
            time.sleep(0.005)
        assert process.poll() is None, "the batch ended before it could be interrupted"
        os.killpg(process.pid, signal.SIGINT)
        _, err = process.communicate(timeout=timeout)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return process.returncode, err.splitlines()


def _handles_sigint(pid: int) -> bool:
    """Whether Python runs in process ``pid`` with its SIGINT handler (it has started)."""
    status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    caught = next(line for line in status.splitlines() if line.startswith("SigCgt:"))
    return bool(int(caught.split()[1], 16) & (1 << (signal.SIGINT - 1)))


def _leftovers(out: Path) -> list:
    """Hidden entries of the batch folder and beside it (staging folders), not the marker."""
    return hidden_entries(out) + [p for p in hidden_entries(out.parent) if out.name in p]


# ------------------------------------------------ 1-2. Ctrl-C: one line, nothing left


@pytest.mark.parametrize("how", [["--jobs", "2"], ["--dask", "local"]], ids=["jobs", "dask"])
def test_ctrl_c_prints_one_line_and_leaves_no_staging(tmp_path, how):
    """Workers and pool children printed their own KeyboardInterrupt tracebacks (21-77
    lines), and a Dask batch left `.g.partial-<pid>-...` folders of workers still
    shutting down, while saying "nothing was left half-written"."""
    names = _runs(tmp_path, [f"r{k}.yaml" for k in range(6)])
    out = tmp_path / "out"
    args = ["run", *names, "--out", out, "--no-map", *how]
    code, lines = _interrupt_after_first_run(args, tmp_path, out, new_child="--jobs" in how)
    said = [line for line in lines if not line.startswith("Dask dashboard:")]
    assert code == 130, lines
    assert len(said) == 1, "\n".join(lines)
    assert said[0].startswith("interrupted (SIGINT): stopped before the end;")
    assert "nothing was left half-written" in said[0]
    assert _leftovers(out) == []
    # the runs in place are whole: each one's people displaced in the 100-year band
    done = [p for p in out.iterdir() if p.is_dir()]
    assert done
    for run in done:
        assert _displaced_100(run) == pytest.approx(B_PEOPLE, rel=1e-12)


def test_staging_of_a_worker_still_shutting_down_is_removed_once_it_ends(tmp_path):
    """`remove_abandoned` skipped a folder whose process still looked alive (a worker in
    its last second): the batch now waits for that process (bounded), then removes it."""
    from mecc.cluster import _remove_staging

    out = tmp_path / "g"
    worker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(1.0)"])
    staging = tmp_path / f".g.partial-{worker.pid}-0123abcd"
    staging.mkdir()
    (staging / "summary.json").write_text("{}", encoding="utf-8")
    other = tmp_path / ".g.partial-999999999-0123abcd"  # not a process of this batch
    other.mkdir()
    try:
        left = _remove_staging([out], [worker.pid], [worker.pid], wait_seconds=20)
    finally:
        worker.wait()
    assert left == []
    assert not staging.exists()
    assert other.exists()


def test_staging_that_cannot_be_removed_is_named_not_denied(tmp_path, cli, monkeypatch):
    """A process that does not end in time keeps its folder, and the message names it
    instead of saying nothing was left."""
    import mecc.batch
    from mecc.cluster import _remove_staging

    out = tmp_path / "out" / "a"
    staging = tmp_path / "out" / f".a.partial-{os.getppid()}-0123abcd"  # alive meanwhile
    staging.mkdir(parents=True)
    left = _remove_staging([out], [os.getppid()], [os.getppid()], wait_seconds=0.3)
    assert left == [staging]
    assert staging.exists()

    def stopped(*args, **kwargs):
        error = KeyboardInterrupt()
        error.left_behind = [str(staging)]
        raise error

    monkeypatch.setattr(mecc.batch, "run_batch", stopped)
    names = _runs(tmp_path, ["a.yaml", "b.yaml"])
    result = cli("run", *[tmp_path / n for n in names], "--out", tmp_path / "out", "--no-map")
    assert result.exit_code == 130
    line = result.stderr.strip().splitlines()[-1]
    assert "nothing was left" not in line
    assert str(staging) in line


# ------------------------------------------------ 3. a batch folder never gets stuck


def _stop_after_first(stage, done, total):
    if stage == "runs" and done == 1:
        raise KeyboardInterrupt


def test_the_marker_is_written_before_the_first_run(tmp_path):
    """Written only when the batch ended or was stopped, a batch killed outright left
    runs and no marker, and --overwrite then said "it holds no batch.csv"."""
    from mecc.run import run_batch

    names = _runs(tmp_path, ["a.yaml", "b.yaml"])
    out = tmp_path / "out"
    seen = []

    def look(stage, done, total):
        if stage == "runs" and done == 0 and not seen:
            marker = out / OUTPUT_MARKER
            seen.append(json.loads(marker.read_text()) if marker.is_file() else None)

    run_batch([tmp_path / n for n in names], out, with_map=False, progress=look)
    assert seen[0] is not None
    assert seen[0]["command"] == "run batch"


def test_a_stopped_batch_beside_the_users_files_never_sends_the_user_in_a_circle(tmp_path, cli):
    """`own/notes.txt`: the rerun said "use --overwrite", and --overwrite said "not a
    batch folder". Now the first says what works, and doing it works."""
    from mecc.run import run_batch

    names = _runs(tmp_path, ["a.yaml", "b.yaml"])
    files = [tmp_path / n for n in names]
    own = tmp_path / "own"
    own.mkdir()
    (own / "notes.txt").write_text("x\n", encoding="utf-8")
    with pytest.raises(KeyboardInterrupt):
        run_batch(files, own, with_map=False, progress=_stop_after_first)
    assert sorted(p.name for p in own.iterdir()) == ["a", "notes.txt"]

    again = cli("run", *files, "--out", own, "--no-map")
    assert again.exit_code == 2
    assert "--overwrite to replace" not in again.stderr
    assert "notes.txt" in again.stderr
    assert "move or delete a to run them again here" in again.stderr
    forced = cli("run", *files, "--out", own, "--no-map", "--overwrite")
    assert forced.exit_code == 2
    assert "move or delete" in forced.stderr

    # doing what the first message says ends the matter: the user's file stays
    import shutil

    shutil.rmtree(own / "a")
    done = cli("run", *files, "--out", own, "--no-map")
    assert done.exit_code == 0, done.output
    assert (own / "notes.txt").read_text(encoding="utf-8") == "x\n"
    assert _rows(own)["status"].tolist() == ["ok", "ok"]


# ------------------------------------------------ 5. a resumed batch lists every run


def test_a_resumed_batch_keeps_the_rows_of_the_runs_it_did_not_run_again(tmp_path, cli):
    """batch.csv of a batch resumed with the files a stopped one did not finish listed
    the last command's runs only (5 rows beside 9 run folders)."""
    from mecc.run import run_batch

    names = _runs(tmp_path, ["a.yaml", "b.yaml", "c.yaml"])
    bad = write_run(tmp_path, "country: [AAA\n", "d.yaml")
    out = tmp_path / "out"
    a, b, c = (tmp_path / n for n in names)

    def stop_after_two(stage, done, total):
        if stage == "runs" and done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):  # a done, d failed, b and c not run
        run_batch([a, bad, b, c], out, with_map=False, progress=stop_after_two)
    assert sorted(p.name for p in out.iterdir()) == [OUTPUT_MARKER, "a"]
    write_run(tmp_path, basic_case(tmp_path), "d.yaml")  # d mended, run again with b, c
    result = cli("run", bad, b, c, "--out", out, "--no-map")
    assert result.exit_code == 0, result.output
    rows = _rows(out)
    assert [Path(p).name for p in rows["out_dir"]] == ["a", "d", "b", "c"]
    assert rows["status"].tolist() == ["ok", "ok", "ok", "ok"]  # d's failed row replaced
    assert rows["run_file"].tolist() == [str(p.resolve()) for p in (a, bad, b, c)]
    for name in "adbc":
        assert _displaced_100(out / name) == pytest.approx(B_PEOPLE, rel=1e-12)


# ------------------------------------------------ 4. the runs' warnings


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_batch_prints_each_runs_warnings_led_by_its_run_file(tmp_path, cli, monkeypatch, jobs):
    """A single run printed `warning: ...` lines; the same file in a batch printed none."""
    data = basic_case(tmp_path)
    # zone C lies inside zone A: the run warns that A and C overlap (once per run)
    write_zones(
        tmp_path / "zones2.geojson",
        ["A", "B", "C"],
        [cell_box(0, 0, rows=4, cols=2), cell_box(0, 2, rows=4, cols=2), cell_box(0, 0)],
    )
    data["zones"]["path"] = "zones2.geojson"
    write_run(tmp_path, data, "w.yaml")
    write_run(tmp_path, basic_case(tmp_path), "q.yaml")  # no warning
    monkeypatch.chdir(tmp_path)
    result = cli("run", "w.yaml", "q.yaml", "--out", "out", "--no-map", "--jobs", jobs)
    assert result.exit_code == 0, result.output
    warned = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warned) == 1, result.stderr
    assert warned[0].startswith("warning: w.yaml: zones: 1 pair(s) of units overlap (A/C)")
    assert _rows(tmp_path / "out")["warnings"].tolist() == [1, 0]


# ------------------------------------------------ 6. absolute paths in batch.csv


def test_batch_csv_names_run_files_and_folders_absolute(tmp_path, cli, monkeypatch):
    """batch.csv named them relative to the folder the command was typed in."""
    names = _runs(tmp_path / "in", ["a.yaml", "b.yaml"])
    monkeypatch.chdir(tmp_path)
    result = cli("run", *[f"in/{n}" for n in names], "--out", "out", "--no-map")
    assert result.exit_code == 0, result.output
    rows = _rows(tmp_path / "out")
    here = tmp_path.resolve()
    assert rows["run_file"].tolist() == [str(here / "in" / n) for n in names]
    assert rows["out_dir"].tolist() == [str(here / "out" / "a"), str(here / "out" / "b")]
