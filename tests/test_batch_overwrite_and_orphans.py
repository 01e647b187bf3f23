"""A batch with --overwrite none of whose runs succeeded, the processes and hidden
folders a killed command left, a full disk's messages and the Dask chunks recorded
(mecc.batch, mecc.cluster, mecc.leftovers, mecc.cell_grid, mecc.run).

The 4 x 4 test case (tests/_run_inputs.py): with the 1 m step curve the 100-year map
displaces zone B, columns 2 and 3: (30 + 70 + 110 + 150) + (40 + 80 + 120 + 160) = 760
people (B_PEOPLE).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mecc.outputs import OUTPUT_MARKER
from tests._run_inputs import POP, basic_case, hidden_entries, snapshot, write_run

MECC = Path(sys.executable).parent / "mecc"
B_PEOPLE = float(POP[:, 2:].sum())


def _good(folder, name) -> Path:
    return write_run(folder, basic_case(folder), name=name)


def _displaced_100(run: Path) -> float:
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    return summary["hazards"]["rf"]["bands"][-1]["displaced"]


def _run_id(run: Path) -> str:
    return json.loads((run / "summary.json").read_text(encoding="utf-8"))["run_id"]


def _dead_pid() -> int:
    """The id of a process that has ended (and been reaped)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


# ----------------------------------------------- 1. --overwrite, no run succeeded


@pytest.mark.parametrize("jobs", [1, 2])
def test_an_overwrite_batch_whose_runs_all_fail_keeps_the_earlier_batch(cli, tmp_path, jobs):
    """Both runs fail this time: the batch deleted the earlier, good batch (its run
    folders gone, a batch.csv of failures left), and said "wrote runs/batch.csv"."""
    x = _good(tmp_path / "x", "x.yaml")
    y = _good(tmp_path / "y", "y.yaml")
    out = tmp_path / "runs"
    assert cli("run", x, y, "--out", out, "--no-map").exit_code == 0
    before = snapshot(out)
    assert _displaced_100(out / "x") == pytest.approx(B_PEOPLE, rel=1e-12)
    for case in ("x", "y"):
        (tmp_path / case / "pop.tif").unlink()
    again = cli("run", x, y, "--out", out, "--overwrite", "--no-map", "--jobs", jobs)
    assert again.exit_code == 1
    lines = again.stderr.strip().splitlines()
    assert lines[0] == (
        f"error: {out}: kept as it was: no run of this batch succeeded (2 failed), and "
        "--overwrite replaces an earlier batch only with one that has a finished run; the "
        "error of each run file:"
    )
    assert len(lines) == 3, again.stderr
    for line, run_file in zip(lines[1:], (x, y), strict=True):
        assert line.startswith(f"  {run_file}: ") and line.endswith(" (exit 1)"), line
        assert "population.path: file not found" in line and "pop.tif" in line
    assert "wrote" not in again.stdout
    assert snapshot(out) == before  # every file as it was, byte for byte
    assert hidden_entries(out) == [] and hidden_entries(tmp_path) == []


def test_an_overwrite_batch_with_one_good_run_replaces_the_folder(cli, tmp_path):
    """As the README says: once one run succeeded, the batch replaces the folder as a
    whole, its batch.csv listing the failed run (whose earlier folder goes)."""
    x = _good(tmp_path / "x", "x.yaml")
    y = _good(tmp_path / "y", "y.yaml")
    out = tmp_path / "runs"
    assert cli("run", x, y, "--out", out, "--no-map").exit_code == 0
    (tmp_path / "x" / "pop.tif").unlink()
    again = cli("run", x, y, "--out", out, "--overwrite", "--no-map")
    assert again.exit_code == 1
    assert "kept as it was" not in again.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted([OUTPUT_MARKER, "batch.csv", "y"])


# ---------------------------------------------------- 4. a full disk, in one line


def _on_a_full_disk(monkeypatch) -> None:
    """displaced.tif's spill file of compressed tiles is /dev/full (every write fails
    with ENOSPC), and the disk looks full to mecc, as it would then be."""
    from mecc.cell_grid import CellGridWriter

    real = CellGridWriter.__init__

    def full(self, path, *args, **options):
        Path(path).with_suffix(".tiles").symlink_to("/dev/full")
        real(self, path, *args, **options)

    monkeypatch.setattr(CellGridWriter, "__init__", full)
    monkeypatch.setattr("mecc.outputs._nearly_full", lambda folder: True)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
def test_a_full_disk_is_one_line_without_gdal_messages(cli, tmp_path, monkeypatch, capfd):
    """libtiff and GDAL printed `_tiffSeekProc: No space left on device.` and `ERROR 1:
    TIFFAppendToStrip: ...` lines on stderr before mecc's one line."""
    run_file = _good(tmp_path / "case", "run.yaml")
    _on_a_full_disk(monkeypatch)
    out = tmp_path / "out"
    result = cli("run", run_file, "--out", out, "--no-map")
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: no space left on device writing {out}"
    printed = capfd.readouterr().err  # what the C libraries wrote on the process's stderr
    assert "No space left" not in printed and "ERROR 1" not in printed, printed
    assert not out.exists() and hidden_entries(tmp_path) == []


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
def test_a_full_disk_in_an_overwrite_batch_names_the_run_folder(cli, tmp_path, monkeypatch):
    """The error named the hidden staging folder (`runs/.runs.partial-6004-54f09a73/x`),
    gone by the time it was read, not `runs/x`; and the earlier batch was deleted."""
    x = _good(tmp_path / "x", "x.yaml")
    y = _good(tmp_path / "y", "y.yaml")
    monkeypatch.chdir(tmp_path)
    assert cli("run", "x/x.yaml", "y/y.yaml", "--out", "runs", "--no-map").exit_code == 0
    before = snapshot(tmp_path / "runs")
    _on_a_full_disk(monkeypatch)
    again = cli("run", x, y, "--out", "runs", "--overwrite", "--no-map")
    assert again.exit_code == 1
    lines = again.stderr.strip().splitlines()
    assert lines[1:] == [
        f"  {x}: no space left on device writing runs/x (exit 1)",
        f"  {y}: no space left on device writing runs/y (exit 1)",
    ], again.stderr
    assert snapshot(tmp_path / "runs") == before
    assert hidden_entries(tmp_path / "runs") == [] and hidden_entries(tmp_path) == []


# ------------------------------------- 3. the earlier folder a killed --overwrite set aside


def _killed_in_commit(run_file: Path, out: Path, when: str) -> int:
    """``mecc run RUN --out OUT --overwrite`` killed with SIGKILL inside its commit:
    ``between`` the renames (the earlier folder set aside, the new one not in place) or
    while ``deleting`` the earlier folder; the exit status."""
    code = f"""
import os, shutil, signal, sys
from pathlib import Path
import mecc.leftovers, mecc.outputs
real_rename, real_rmtree = Path.rename, shutil.rmtree
def rename(self, target):
    result = real_rename(self, target)
    if {when!r} == "between" and ".old-" in Path(target).name:
        os.kill(os.getpid(), signal.SIGKILL)
    return result
def rmtree(path, *args, **options):
    if {when!r} == "deleting" and Path(path).name.startswith(".{out.name}."):
        for child in sorted(Path(path).iterdir())[:3]:  # part of it deleted
            child.unlink()
        os.kill(os.getpid(), signal.SIGKILL)
    return real_rmtree(path, *args, **options)
Path.rename = rename
mecc.leftovers.shutil.rmtree = mecc.outputs.shutil.rmtree = rmtree
from cli import main
sys.argv = ["mecc", "-q", "run", {str(run_file)!r}, "--out", {str(out)!r}, "--overwrite",
            "--no-map"]
main()
"""
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120
    )
    return done.returncode


def test_killed_between_the_renames_the_next_run_puts_the_earlier_run_back(cli, tmp_path):
    """`.good.old-...` was never removed, and with the kill between the two renames of
    the commit `good/` was missing: the last good run survived only hidden."""
    run_file = _good(tmp_path / "case", "run.yaml")
    out = tmp_path / "good"
    assert cli("run", run_file, "--out", out, "--no-map").exit_code == 0
    earlier = _run_id(out)
    assert _killed_in_commit(run_file, out, "between") == -signal.SIGKILL
    assert not out.exists()
    [aside, staged] = hidden_entries(tmp_path)  # the new run's staging folder too
    assert aside.startswith(".good.old-") and staged.startswith(".good.partial-")
    # without --overwrite: the earlier run is back in place, and kept
    refused = cli("run", run_file, "--out", out, "--no-map")
    assert refused.exit_code == 2 and "use --overwrite" in refused.stderr
    assert _run_id(out) == earlier and hidden_entries(tmp_path) == []
    assert _displaced_100(out) == pytest.approx(B_PEOPLE, rel=1e-12)


def test_a_restored_run_is_noted_in_one_line(cli, tmp_path):
    run_file = _good(tmp_path / "case", "run.yaml")
    out = tmp_path / "good"
    assert cli("run", run_file, "--out", out, "--no-map").exit_code == 0
    assert _killed_in_commit(run_file, out, "between") == -signal.SIGKILL
    aside = hidden_entries(tmp_path)[0]
    again = cli("run", run_file, "--out", out, "--overwrite", "--no-map")
    assert again.exit_code == 0, again.stderr
    assert again.stderr.strip().splitlines() == [
        f"warning: {out}: restored the earlier output from {aside}, where a command killed "
        "while replacing it (--overwrite) had left it"
    ]
    assert hidden_entries(tmp_path) == [] and _displaced_100(out) == pytest.approx(B_PEOPLE)


def test_killed_while_deleting_the_earlier_run_the_next_run_removes_it(cli, tmp_path):
    """The kill during the removal of the earlier run left `.good.old-...` forever."""
    run_file = _good(tmp_path / "case", "run.yaml")
    out = tmp_path / "good"
    assert cli("run", run_file, "--out", out, "--no-map").exit_code == 0
    earlier = _run_id(out)
    assert _killed_in_commit(run_file, out, "deleting") == -signal.SIGKILL
    assert _run_id(out) != earlier  # the new run is in place
    [left] = hidden_entries(tmp_path)
    assert left.startswith(".good.")
    again = cli("run", run_file, "--out", out, "--overwrite", "--no-map")
    assert again.exit_code == 0, again.stderr
    assert "restored" not in again.stderr  # a half-deleted folder is never put back
    assert hidden_entries(tmp_path) == []


def _aside(out: Path, pid: int, marker: bool = True) -> Path:
    """A folder ``.<out>.old-<pid>-<hex>`` as a killed --overwrite leaves it."""
    aside = out.parent / f".{out.name}.old-{pid}-0a1b2c3d"
    aside.mkdir(parents=True)
    (aside / "zones.csv").write_text("zone_code\nA\n", encoding="utf-8")
    if marker:
        manifest = {"created_by": "mecc 0.1.0"}
        (aside / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return aside


def test_restore_replaced_only_touches_mecc_folders_of_ended_processes(tmp_path):
    from mecc.leftovers import restore_replaced

    out = tmp_path / "good"
    # a folder of the user's named so, and one a live process is replacing: kept
    theirs = _aside(out, _dead_pid(), marker=False)
    busy = _aside(tmp_path / "busy", os.getppid())
    assert restore_replaced(out) is None and restore_replaced(tmp_path / "busy") is None
    assert theirs.is_dir() and busy.is_dir() and not out.exists()
    shutil.rmtree(theirs)
    # the target in place: the folder set aside is deleted
    out.mkdir()
    (out / "notes.txt").write_text("kept", encoding="utf-8")
    old = _aside(out, _dead_pid())
    assert restore_replaced(out) is None
    assert not old.exists() and (out / "notes.txt").read_text(encoding="utf-8") == "kept"
    # the target missing: put back (a warning says so)
    shutil.rmtree(out)
    old = _aside(out, _dead_pid())
    with pytest.warns(UserWarning, match="restored the earlier output from .good.old-"):
        assert restore_replaced(out) == out
    assert not old.exists() and (out / "zones.csv").read_text(encoding="utf-8") == "zone_code\nA\n"


def test_a_batch_put_back_by_the_next_batch(cli, tmp_path):
    """A batch folder set aside by a killed batch --overwrite (`.runs.old-...`, the
    runs folder missing): the next batch puts it back before judging the folder."""
    x = _good(tmp_path / "x", "x.yaml")
    y = _good(tmp_path / "y", "y.yaml")
    out = tmp_path / "runs"
    assert cli("run", x, y, "--out", out, "--no-map").exit_code == 0
    before = snapshot(out)
    out.rename(tmp_path / f".runs.old-{_dead_pid()}-0a1b2c3d")
    again = cli("run", x, y, "--out", out, "--no-map")
    assert again.exit_code == 2 and "--overwrite" in again.stderr  # it is there again
    assert snapshot(out) == before and hidden_entries(tmp_path) == []


# ------------------------------------------------ 2. --jobs workers end with mecc


def _workers(pid: int) -> list:
    import psutil

    found = []
    for child in psutil.Process(pid).children():
        try:
            if "spawn_main" in " ".join(child.cmdline()):
                found.append(child)
        except psutil.Error:
            continue
    return found


def _gone(process) -> bool:
    import psutil

    try:
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_jobs_workers_end_when_the_batch_is_killed(tmp_path):
    """kill -9 of a --jobs batch: its two workers (and multiprocessing's resource
    tracker) ran on for ever, re-parented to PID 1, finishing their runs unrecorded."""
    names = []
    for name in ("a.yaml", "b.yaml"):
        names.append(_good(tmp_path / "case", name).name)
    out = tmp_path / "out"
    process = subprocess.Popen(
        [str(MECC), "-q", "run", *names, "--out", out, "--jobs", "2", "--no-map"],
        cwd=tmp_path / "case",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        workers: list = []
        while len(workers) < 2 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
            workers = _workers(process.pid)
        assert len(workers) == 2, "the batch ended before its workers started"
        process.kill()
        process.wait()
        ends = time.monotonic() + 10
        while not all(_gone(w) for w in workers) and time.monotonic() < ends:
            time.sleep(0.05)
        assert all(_gone(w) for w in workers), [w.pid for w in workers if not _gone(w)]
    finally:
        with contextlib.suppress(ProcessLookupError):  # whatever is left of the group
            os.killpg(process.pid, signal.SIGKILL)


def test_exit_with_parent_ends_a_process_whose_parent_died(tmp_path):
    """The watchdog alone (no prctl, as on macOS): a grandchild whose parent is killed
    ends within a second or so."""
    code = """
import os, sys, time
from mecc import cluster
cluster.sys.platform = "darwin"  # the portable watch only
parent = os.getpid()
child = os.fork()
if child == 0:
    cluster.exit_with_parent(parent, interval=0.05)
    print(os.getpid(), flush=True)
    time.sleep(60)
    os._exit(0)
time.sleep(60)
"""
    import psutil

    process = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        child = psutil.Process(int(process.stdout.readline()))
        assert child.is_running() and not _gone(child)
        process.kill()
        process.wait()
        ends = time.monotonic() + 5
        while not _gone(child) and time.monotonic() < ends:
            time.sleep(0.05)
        assert _gone(child)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


# ------------------------------------------------- 5. the Dask chunks recorded


def test_the_manifest_records_the_chunks_used(tmp_path):
    """chunk_shape was the size asked for (2 x 2), though chunks are whole blocks."""
    from distributed import Client, LocalCluster

    from mecc.chunked import chunk_sides
    from mecc.run import run_country

    run_file = _good(tmp_path / "case", "run.yaml")
    assert chunk_sides((256, 1024), (64, 64)) == (256, 1024)
    assert chunk_sides((3, 2), (4, 4)) == (6, 4)
    options = {"processes": False, "n_workers": 1, "threads_per_worker": 2}
    with LocalCluster(dashboard_address=":0", **options) as cluster, Client(cluster) as client:
        result = run_country(
            run_file,
            tmp_path / "dk",
            with_map=False,
            dask=client,
            block_shape=(3, 2),
            chunk_shape=(4, 4),
        )
    manifest = json.loads((result.out_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["parameters"]["block_shape"] == [3, 2]
    assert manifest["parameters"]["dask"]["chunk_shape"] == [6, 4]
    assert manifest["parameters"]["dask"]["chunk_shape_requested"] == [4, 4]
    assert _displaced_100(result.out_dir) == pytest.approx(B_PEOPLE, rel=1e-12)
