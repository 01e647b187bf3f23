"""A Dask cluster that fails under a run: one line naming the cause and the address, exit
code 1, nothing half-written (mecc.cluster_checks); addresses that cannot name a scheduler
refused at once (exit 2); float16 grids in the array layer.

The clusters are real ``dask scheduler`` and ``dask worker`` processes on free ports
(``--port 0``), killed by these tests with SIGKILL at a known point of the run (after the
first chunk, or once a batch's run has started), and always ended at teardown. A watchdog
kills the scheduler of a run that waits too long, so a run that would wait forever fails
the test instead of hanging it.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mecc.errors import DataError, MeccWarning
from tests._run_inputs import basic_case, write_run

pytestmark = pytest.mark.slow

DASK = str(Path(sys.executable).with_name("dask"))
START_WAIT = 120  # seconds for processes to start on a busy machine


class Cluster:
    """A scheduler and workers in processes of their own (SIGKILL at teardown)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.scheduler = None
        self.workers: list = []
        self.address = ""

    def _start(self, *args) -> subprocess.Popen:
        return subprocess.Popen(
            [DASK, *map(str, args)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # never sees the terminal's signals
        )

    def start(self, workers: int) -> Cluster:
        file = self.folder / "scheduler.json"
        self.scheduler = self._start(
            "scheduler", "--host", "127.0.0.1", "--port", "0", "--dashboard-address", ":0",
            "--scheduler-file", file,
        )  # fmt: skip
        ends = time.monotonic() + START_WAIT
        while not file.exists() or not file.read_text().strip():
            assert self.scheduler.poll() is None and time.monotonic() < ends, "no scheduler"
            time.sleep(0.1)
        time.sleep(0.2)  # the file written whole
        self.address = json.loads(file.read_text())["address"]
        for k in range(workers):
            self.workers.append(
                self._start(
                    "worker",
                    self.address,
                    "--nthreads",
                    "1",
                    "--no-nanny",
                    "--local-directory",
                    self.folder / f"w{k}",
                    "--death-timeout",
                    "60",
                )  # fmt: skip
            )
        if workers:
            from distributed import Client

            with Client(self.address, timeout="60s") as client:
                client.wait_for_workers(workers, timeout=START_WAIT)
        return self

    def kill(self, process) -> None:
        if process is not None and process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=30)

    def stop(self) -> None:
        for process in [*self.workers, self.scheduler]:
            self.kill(process)


@pytest.fixture
def cluster(tmp_path):
    made = Cluster(tmp_path / "cluster")
    made.folder.mkdir()
    try:
        yield made
    finally:
        made.stop()


class Watchdog:
    """Kills ``cluster``'s scheduler after ``seconds`` unless stopped first: a run that
    would wait for ever then ends (and the test fails on what it says)."""

    def __init__(self, cluster: Cluster, seconds: float):
        self.done = threading.Event()
        self.fired = False

        def watch():
            if not self.done.wait(seconds):
                self.fired = True
                cluster.kill(cluster.scheduler)

        threading.Thread(target=watch, daemon=True).start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.done.set()
        return False


@pytest.fixture
def short_waits(monkeypatch):
    import mecc.cluster
    import mecc.cluster_checks

    monkeypatch.setattr(mecc.cluster_checks, "WORKER_WAIT", 2.0)
    monkeypatch.setattr(mecc.cluster, "CONNECT_TIMEOUT", "2s")


def _case(tmp_path, name="case"):
    return write_run(tmp_path, basic_case(tmp_path / name), name=f"{name}/run.yaml")


def _wide_case(tmp_path) -> Path:
    """basic_case's run file on a 64 x 64 grid: 16 chunks of the smallest --block-size."""
    from affine import Affine
    from shapely.geometry import box

    from tests._run_inputs import write_zones
    from tests.conftest import write_raster

    folder = tmp_path / "wide"
    mapping = basic_case(folder)
    transform = Affine(0.01, 0, 10.0, 0, -0.01, 50.0)
    depth = np.tile([0.0, 0.5, 1.0, 2.0], (64, 16))
    write_raster(folder / "pop.tif", np.full((64, 64), 10.0), transform)
    write_raster(folder / "rp10.tif", depth * 0.5, transform)
    write_raster(folder / "rp100.tif", depth, transform)
    halves = [box(10.0, 49.36, 10.32, 50.0), box(10.32, 49.36, 10.64, 50.0)]
    write_zones(folder / "zones.geojson", ["A", "B"], halves, names=["Zone A", "Zone B"])
    return write_run(tmp_path, mapping, name="wide/run.yaml")


def _left(folder: Path, name: str) -> list:
    """What a run named ``name`` left in ``folder``: its folder or hidden staging ones."""
    return sorted(p.name for p in folder.iterdir() if p.name.lstrip(".").startswith(name))


def _error_lines(output: str) -> list:
    return [line for line in output.splitlines() if line.strip()]


# ----------------------------------------------------------- addresses (no cluster)


@pytest.mark.parametrize(
    ("address", "said"),
    [
        ("tls://127.0.0.1:1", "tls:// needs certificates"),
        ("tcp://127.0.0.1:99999", "the port of 'tcp://127.0.0.1:99999' must be a number from 1"),
        ("tcp://:8786", "'tcp://:8786' names no host"),
        ("ucx://127.0.0.1:8786", "ucx:// is not supported"),
    ],
)
def test_an_address_that_names_no_scheduler_is_refused_at_once(cli, tmp_path, address, said):
    run_file = _case(tmp_path)
    started = time.monotonic()
    result = cli("run", run_file, "--out", tmp_path / "x", "--dask", address)
    assert time.monotonic() - started < 10  # not the 20 s connection timeout
    assert result.exit_code == 2, result.output
    assert _error_lines(result.output) == [_error_lines(result.output)[0]]
    assert result.output.startswith("error: dask: ") and said in result.output
    assert "internal error" not in result.output
    assert not (tmp_path / "x").exists()


def test_an_unreachable_scheduler_is_an_environment_problem(cli, tmp_path, short_waits):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = cli(
        "run", _case(tmp_path), "--out", tmp_path / "x", "--dask", f"tcp://127.0.0.1:{port}"
    )
    assert result.exit_code == 1, result.output  # exit 1: the machines, not the command
    assert result.output.startswith(
        f"error: dask: cannot reach a Dask scheduler at tcp://127.0.0.1:{port} ("
    )
    assert len(_error_lines(result.output)) == 1
    assert not (tmp_path / "x").exists()


# ------------------------------------------------------------ a scheduler, no worker


def test_a_scheduler_without_workers_is_one_line_and_leaves_nothing(
    cli, tmp_path, cluster, short_waits, capfd
):
    cluster.start(workers=0)
    run_file = _case(tmp_path)
    second = run_file.with_name("second.yaml")
    second.write_text(run_file.read_text(), encoding="utf-8")
    expected = (
        f"error: dask: the Dask scheduler at {cluster.address} has no workers (waited 2 s); "
        f"start some (dask worker {cluster.address}) and run again"
    )
    for files, out in (([run_file], "one"), ([run_file, second], "batch")):
        with Watchdog(cluster, 60) as watchdog:
            result = cli(
                "run", *files, "--out", tmp_path / out, "--no-map", "--dask", cluster.address
            )
        assert not watchdog.fired, "the run waited for workers without end"
        assert result.exit_code == 1, result.output
        assert _error_lines(result.output) == [expected]
        assert _left(tmp_path, out) == []  # no folder, no marker, no staging folder
    assert "distributed." not in capfd.readouterr().err  # none of distributed's log lines


# ------------------------------------------------------------- lost during a run


def test_losing_the_only_worker_stops_the_run_in_one_line(
    cli, tmp_path, cluster, monkeypatch, capfd, short_waits
):
    import mecc.chunked

    cluster.start(workers=1)
    put = mecc.chunked._Tree.put

    def put_then_kill(tree, index, value):  # the first chunk is in: the worker dies
        cluster.kill(cluster.workers[0])
        monkeypatch.setattr(mecc.chunked._Tree, "put", put)
        return put(tree, index, value)

    monkeypatch.setattr(mecc.chunked._Tree, "put", put_then_kill)
    run_file = _wide_case(tmp_path)
    with Watchdog(cluster, 120):
        result = cli(
            "run", run_file, "--out", tmp_path / "x", "--no-map", "--block-size", "16",
            "--chunk-size", "16", "--dask", cluster.address,
        )  # fmt: skip
    assert result.exit_code == 1, result.output
    lines = _error_lines(result.output)
    assert lines[-1].startswith("error: dask: the cluster's workers were lost ("), lines
    assert f"the scheduler at {cluster.address} " in lines[-1] and " 2 s); " in lines[-1]
    assert lines[-1].endswith("the run stopped and left nothing")
    assert [line for line in lines if line.startswith("error:")] == [lines[-1]]
    assert "Traceback" not in result.output and "internal error" not in result.output
    assert _left(tmp_path, "x") == []
    assert "distributed." not in capfd.readouterr().err


def test_losing_the_scheduler_stops_the_run_in_one_line(tmp_path, cluster):
    from mecc.cluster_checks import ClusterError
    from mecc.run import run_country

    cluster.start(workers=1)

    def kill_scheduler(stage, done, total):  # the first chunk is in: the scheduler dies
        if stage == "engine" and done and cluster.scheduler.poll() is None:
            cluster.kill(cluster.scheduler)

    started = time.monotonic()
    with pytest.raises(ClusterError) as caught:
        run_country(
            _case(tmp_path), tmp_path / "x", block_shape=(2, 2), chunk_shape=(2, 2),
            progress=kill_scheduler, dask=cluster.address,
        )  # fmt: skip
    assert time.monotonic() - started < 90
    assert caught.value.exit_code == 1
    message = str(caught.value)
    assert message.startswith(f"dask: lost the Dask scheduler at {cluster.address} ("), message
    assert message.endswith("the run stopped and left nothing") and "\n" not in message
    assert _left(tmp_path, "x") == []


def test_losing_the_worker_holding_the_inputs_gives_the_same_numbers(tmp_path, cluster):
    """Of two workers, the one left holding the run's inputs dies after the first chunk
    (the scheduler keeps one copy of them once no task needs more): the run sends them
    again and ends with the streaming run's numbers."""
    from distributed import Client

    from mecc.run import run_country

    cluster.start(workers=2)
    killed = []
    pids = {}
    with Client(cluster.address, timeout="60s") as probe:
        pids.update(probe.run(os.getpid))

        def kill_the_holder(stage, done, total):
            if stage != "engine" or not done or killed:
                return
            ends = time.monotonic() + 20
            while True:  # the inputs' key: scattered bytes, held by one worker once trimmed
                held = {k: v for k, v in probe.who_has().items() if k.startswith("bytes-")}
                holders = [w for workers in held.values() for w in workers]
                if len(holders) == 1 or time.monotonic() > ends:
                    break
                time.sleep(0.2)
            victim = next(p for p in cluster.workers if p.pid == pids[holders[0]])
            killed.append(len(holders))
            cluster.kill(victim)

        run_file = _wide_case(tmp_path)
        run_country(run_file, tmp_path / "stream", block_shape=(16, 16))
        run_country(
            run_file, tmp_path / "dask", block_shape=(16, 16), chunk_shape=(16, 16),
            progress=kill_the_holder, dask=cluster.address,
        )  # fmt: skip
    assert killed == [1]  # the only copy of the inputs went with the worker
    stream = pd.read_csv(tmp_path / "stream" / "zones.csv")
    dask = pd.read_csv(tmp_path / "dask" / "zones.csv")
    numbers = stream.select_dtypes("number").columns
    assert list(dask.columns) == list(stream.columns)
    np.testing.assert_allclose(dask[numbers], stream[numbers], rtol=1e-12)
    assert stream["population"].sum() == pytest.approx(64 * 64 * 10.0)


# ------------------------------------------------------------- lost during a batch


def _batch_files(tmp_path) -> list:
    first = _case(tmp_path, "a")
    second = first.with_name("b.yaml")
    second.write_text(first.read_text(), encoding="utf-8")
    return [first, second]


def _when_a_run_starts(out: Path, then) -> threading.Thread:
    """Calls ``then()`` once a run of the batch in ``out`` has its staging folder."""

    def watch():
        ends = time.monotonic() + START_WAIT
        while time.monotonic() < ends:
            if out.is_dir() and any(".partial-" in p.name for p in out.iterdir()):
                then()
                return
            time.sleep(0.02)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("lost", ["worker", "scheduler"])
def test_a_batch_that_loses_its_cluster_stops_in_one_line(
    cli, tmp_path, cluster, short_waits, lost
):
    cluster.start(workers=1)
    out = tmp_path / "runs"
    victim = cluster.workers[0] if lost == "worker" else cluster.scheduler
    killer = _when_a_run_starts(out, lambda: cluster.kill(victim))
    with Watchdog(cluster, 120) as watchdog:
        result = cli(
            "run", *_batch_files(tmp_path), "--out", out, "--no-map", "--dask", cluster.address
        )
    killer.join(timeout=1)
    assert not watchdog.fired, "the batch waited for a worker without end"
    assert result.exit_code == 1, result.output
    lines = _error_lines(result.output)
    expected = {
        "worker": f"error: dask: the cluster's workers were lost (the scheduler at "
        f"{cluster.address} has had none for 2 s); ",
        "scheduler": f"error: dask: lost the Dask scheduler at {cluster.address} (",
    }[lost]
    assert lines[-1].startswith(expected), lines
    assert lines[-1].endswith("the batch stopped; the runs that finished are kept")
    assert "internal error" not in result.output
    assert not (out / "batch.csv").exists()
    assert [p.name for p in out.iterdir() if not p.name.startswith(".")] == []
    # a hidden staging folder stays only while a worker that lost its scheduler still runs
    # the run (it removes it as the run ends, as does the next run into the folder)
    running = {str(w.pid) for w in cluster.workers if w.poll() is None}
    staging = [p.name for p in out.iterdir() if ".partial-" in p.name]
    assert all(name.split("-")[1] in running for name in staging), (staging, running)


# ---------------------------------------------------------- distributed's log lines


def test_distributeds_log_lines_stay_off_the_terminal_while_mecc_holds_the_client(
    tmp_path, cluster
):
    from mecc.cluster import dask_client

    class Shown(logging.Handler):  # stands for the terminal distributed prints to
        def __init__(self):
            super().__init__()
            self.lines = []

        def emit(self, record):
            self.lines.append(record.getMessage())

    cluster.start(workers=1)
    log, shown = logging.getLogger("distributed.client"), Shown()
    log.addHandler(shown)
    try:
        with dask_client(cluster.address) as client:
            assert client.scheduler.address == cluster.address
            log.warning("Couldn't gather 1 keys, rescheduling (test)")
        log.warning("after the client (test)")  # the logging of the user's own left as it was
    finally:
        log.removeHandler(shown)
    assert shown.lines == ["after the client (test)"]


# ------------------------------------------------------------ float16 array layer


def _arrays(dtype, **attrs):
    import geopandas as gpd
    import xarray as xr
    from shapely.geometry import box

    y, x = [0.25, 0.15, 0.05], [10.05, 10.15, 10.25]
    people = xr.DataArray(
        np.full((3, 3), 100.0), {"y": y, "x": x}, ("y", "x"), attrs={"crs": "EPSG:4326"}
    )
    depth = xr.DataArray(
        np.array([[[0.1, 1.0, 2.0]] * 3, [[0, 0, 1.2]] * 3]).astype(dtype),
        {"band": ["e1", "e2"], "y": y, "x": x},
        ("band", "y", "x"),
        attrs={"crs": "EPSG:4326", **attrs},
    )
    units = gpd.GeoDataFrame(
        {"zone_code": ["west", "east"]},
        geometry=[box(10.0, 0.0, 10.2, 0.3), box(10.2, 0.0, 10.3, 0.3)],
        crs="EPSG:4326",
    )
    return people, depth, units


def test_float16_grids_run_compared_at_their_precision():
    from mecc.arrays import displacement

    result = displacement(*_arrays("float16"), "flood_step_1m")
    # 0.1 m stored as float16 (0.09998) meets the 0.1 m exposure threshold, as in the grid
    assert result["exposed"].sel(band="e1").values.tolist() == [600.0, 300.0, 0.0]
    assert result["displaced"].sel(band="e1", variant="central").values.tolist() == [
        300.0,
        300.0,
        0.0,
    ]
    people, depth, units = _arrays("float16", _FillValue=1.2)  # nodata as float16 stores it
    with pytest.warns(MeccWarning, match="300 people .* without hazard data in band e2"):
        masked = displacement(people.astype("float16"), depth, units, "flood_step_1m")
    assert masked["no_hazard_data"].sel(band="e2").values.tolist() == [0.0, 300.0, 0.0]
    assert masked["population"].values.tolist() == [600.0, 300.0, 0.0]


def test_a_dtype_the_kernels_cannot_take_is_one_line():
    from mecc.arrays import displacement

    if np.dtype(np.longdouble).itemsize <= 8:
        pytest.skip("longdouble is float64 here")
    with pytest.raises(DataError) as caught:
        displacement(*_arrays(np.longdouble), "flood_step_1m")
    assert str(caught.value) == (
        f"hazard: values are {np.dtype(np.longdouble)}; give float64, float32, float16, "
        "integers or booleans"
    )
