"""Batches on Dask and in processes: paths on the workers, a worker that dies, a batch
stopped midway, and the command line's messages and option checks (mecc.cluster,
mecc.batch, mecc.commands.run)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from tests._run_inputs import POP, basic_case, hidden_entries, write_run
from tests.conftest import write_raster

# basic_case: zone B is columns 2-3 of POP; depth there is 1 m and 2 m, and flood_step_1m
# displaces everyone at 1 m or more, so the 100-year band displaces all of B's people
B_PEOPLE = float(POP[:, 2:].sum())


def _two_runs(folder: Path) -> list:
    """a.yaml (POP) and b.yaml (POP x 2) in ``folder``: names relative to it."""
    data = basic_case(folder)
    write_raster(folder / "pop2.tif", POP * 2)
    write_run(folder, data, "a.yaml")
    write_run(folder, {**data, "population": {"path": "pop2.tif", "kind": "count"}}, "b.yaml")
    return ["a.yaml", "b.yaml"]


def _displaced_100(run: Path) -> float:
    """People displaced in the 100-year band of hazard rf (summary.json)."""
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    return summary["hazards"]["rf"]["bands"][-1]["displaced"]


def _rows(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "batch.csv", encoding="utf-8-sig")


# ------------------------------------------------ 1. relative paths on a Dask worker


def test_dask_batch_reads_and_writes_under_the_clients_folder(tmp_path, monkeypatch):
    """A worker working in another folder read `a.yaml` there ("run file not found")."""
    from distributed import Client, LocalCluster

    from mecc.run import run_batch

    here, elsewhere = tmp_path / "here", tmp_path / "elsewhere"
    names = _two_runs(here)
    elsewhere.mkdir()
    monkeypatch.chdir(here)
    with (
        LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,
    ):
        client.run(os.chdir, str(elsewhere))
        batch = run_batch(names, "runs", dask=client, with_map=False)
    rows = _rows(here / "runs")
    assert list(rows["status"]) == ["ok", "ok"], list(rows["message"])
    # batch.csv names them absolute (readable from any folder); the rows keep them as given
    assert list(rows["run_file"]) == [str((here / n).resolve()) for n in names]
    assert list(rows["out_dir"]) == [str((here / "runs" / s).resolve()) for s in ("a", "b")]
    assert [r["run_file"] for r in batch.rows] == names
    assert batch.exit_code == 0
    assert _displaced_100(here / "runs" / "a") == pytest.approx(B_PEOPLE, rel=1e-12)
    assert _displaced_100(here / "runs" / "b") == pytest.approx(2 * B_PEOPLE, rel=1e-12)
    assert list(elsewhere.iterdir()) == []


# ------------------------------------------------ 2. a process of --jobs dies


def test_a_killed_process_fails_its_own_run_only(tmp_path):
    """SIGKILL to one process of `--jobs 2` aborted the batch (BrokenProcessPool, exit 3)."""
    import multiprocessing
    import signal

    from mecc.run import run_batch

    names = _two_runs(tmp_path)
    write_run(tmp_path, (tmp_path / "a.yaml").read_text(encoding="utf-8"), "c.yaml")
    files = [tmp_path / name for name in [*names, "c.yaml"]]
    killed = []

    def kill_first_child():
        deadline = time.monotonic() + 60
        while not killed and time.monotonic() < deadline:
            for child in multiprocessing.active_children():
                os.kill(child.pid, signal.SIGKILL)
                killed.append(child.pid)
                break
            time.sleep(0.01)

    killer = threading.Thread(target=kill_first_child)
    killer.start()
    try:
        batch = run_batch(files, tmp_path / "out", jobs=2, with_map=False)
    finally:
        killer.join()
    assert len(killed) == 1
    rows = _rows(tmp_path / "out")
    failed = rows[rows["status"] != "ok"]
    assert len(failed) == 1
    assert failed["exit_code"].tolist() == [1]
    assert failed["message"].tolist() == ["the worker process stopped (killed, or out of memory?)"]
    assert batch.exit_code == 1
    factors = {"a": 1, "b": 2, "c": 1}
    for path in rows[rows["status"] == "ok"]["run_file"]:
        stem = Path(path).stem
        assert _displaced_100(tmp_path / "out" / stem) == pytest.approx(factors[stem] * B_PEOPLE)
    assert hidden_entries(tmp_path / "out") == []


# ------------------------------------------------ 3. a Dask batch stopped midway


def test_a_stopped_dask_batch_ends_its_tasks_and_leaves_no_staging(tmp_path, monkeypatch, request):
    """Stopped while a run was writing, the task ran on: its run folder appeared after
    the batch had stopped, or its hidden staging folder stayed."""
    import _thread

    from distributed import Client, LocalCluster

    import mecc.run
    from mecc.run import run_batch

    real = mecc.run.run_country

    def slow_run(path, out, progress=None, **options):  # each stage 0.4 s longer
        def slow(*args):
            time.sleep(0.4)
            if progress:
                progress(*args)

        return real(path, out, progress=slow, **options)

    monkeypatch.setattr(mecc.run, "run_country", slow_run)  # workers are threads here
    # Ctrl-C as Python handles it by default (an earlier test of the suite may have left
    # the CLI's own handler installed: the interrupt then raised nothing here)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    request.addfinalizer(lambda: signal.signal(signal.SIGINT, previous))
    files = [tmp_path / name for name in _two_runs(tmp_path)]
    out = tmp_path / "out"
    with (
        LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,
    ):

        def interrupt_when_staging():
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not (
                list(out.glob(".*.partial-*")) or list(tmp_path.glob(".out.partial-*"))
            ):  # a run's staging in the batch folder, or the batch folder's own
                time.sleep(0.02)
            # not a real SIGINT: one that lands while a worker thread writes a NetCDF
            # crashed HDF5 (segmentation fault); the flag is seen by the batch's polling
            _thread.interrupt_main()

        watcher = threading.Thread(target=interrupt_when_staging)
        watcher.start()
        with pytest.raises(KeyboardInterrupt):
            run_batch(files, out, dask=client, with_map=False)
        watcher.join()
        time.sleep(4)  # a run left going would end (and appear) in about 2.4 s
        running = client.run(lambda dask_worker: len(dask_worker.state.tasks))
    assert sum(running.values()) == 0
    # nothing left: the batch folder empty (but its marker), or gone with the run that made it
    if out.exists():
        assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == []
        assert hidden_entries(out) == []
    assert not (out / "batch.csv").exists()


# ------------------------------------------------ 4. messages and idle options


def test_a_failed_run_of_a_batch_is_named_once(cli, tmp_path):
    names = _two_runs(tmp_path)
    bad = write_run(tmp_path, "country: [AAA\n", "syntax.yaml")
    result = cli("run", tmp_path / names[0], bad, "--out", tmp_path / "out", "--no-map")
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert errors[0].startswith(f"error: {bad}: ")
    assert errors[0].count("syntax.yaml") == 1


@pytest.fixture
def read_only(tmp_path):
    """An empty folder nobody may write into (chattr +i for root, chmod 555 otherwise)."""
    folder = tmp_path / "ro"
    folder.mkdir()
    if os.geteuid() == 0:
        done = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, check=False)
        if done.returncode != 0:
            pytest.skip("cannot make a folder read-only for root here (chattr)")
        yield folder
        subprocess.run(["chattr", "-i", str(folder)], check=True)
    else:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)


def test_a_batch_into_an_unwritable_folder_names_the_folder(cli, tmp_path, read_only):
    """It said `cannot write to ro/.mecc-output.json`, a file of mecc's own."""
    files = [tmp_path / name for name in _two_runs(tmp_path)]
    result = cli("run", *files, "--out", read_only, "--no-map")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: cannot write to {read_only} (permission denied)"
    ), result.stderr
    assert ".mecc-output.json" not in result.stderr


@pytest.mark.parametrize(
    ("files", "options", "named"),
    [
        (1, ["--chunk-size", "64"], "--chunk-size"),
        (2, ["--chunk-size", "64"], "--chunk-size"),
        (2, ["--dask", "local", "--chunk-size", "64"], "--chunk-size"),
        (1, ["--jobs", "2"], "--jobs"),
        (2, ["--jobs", "2", "--dask", "tcp://127.0.0.1:9"], "--jobs"),
    ],
)
def test_options_that_would_do_nothing_are_usage_errors(cli, tmp_path, files, options, named):
    names = _two_runs(tmp_path)[:files]
    out = tmp_path / "out"
    result = cli("run", *[tmp_path / n for n in names], "--out", out, *options)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and named in lines[0]
    assert not out.exists()
