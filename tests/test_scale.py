"""Scale: the engine on a real Dask LocalCluster (2 worker processes) gives the streaming
path's numbers; batches run in parallel processes and as Dask tasks.

Acceptance (issue 12): on ../shared/data/austria_flood and on the demo country, a run on
Dask gives summary.json and zone tables equal to the streaming run within 1e-12 relative.
The Dask runs use small blocks and chunks so the grids split into many tasks, while the
streaming runs use the default blocks (one block): the partition and the order of the
sums differ, the numbers may not.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio

from mecc.outputs import OUTPUT_MARKER
from tests._run_inputs import POP, basic_case, write_run

pytestmark = pytest.mark.slow

RTOL = 1e-12
SMALL_BLOCK = (16, 32)
SMALL_CHUNK = (32, 64)


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as dask_client,
    ):
        yield dask_client


def assert_same(a, b, where="summary"):
    """Equal structure; numbers equal within RTOL relative (exactly when one is 0)."""
    if isinstance(a, dict):
        assert sorted(a) == sorted(b), where
        for key in a:
            assert_same(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list):
        assert len(a) == len(b), where
        for k, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{where}[{k}]")
    elif isinstance(a, float | int) and not isinstance(a, bool):
        if math.isnan(a):
            assert math.isnan(b), where
        else:
            assert abs(a - b) <= RTOL * max(abs(a), abs(b)), (where, a, b)
    else:
        assert a == b, where


def assert_same_tables(stream: Path, dask: Path, names) -> None:
    for name in names:
        x = pd.read_csv(stream / name, encoding="utf-8-sig", dtype={"zone_code": str})
        y = pd.read_csv(dask / name, encoding="utf-8-sig", dtype={"zone_code": str})
        assert list(x.columns) == list(y.columns) and len(x) == len(y) > 0, name
        numbers = x.select_dtypes("number").columns
        pd.testing.assert_frame_equal(x.drop(columns=numbers), y.drop(columns=numbers))
        np.testing.assert_allclose(
            y[numbers].to_numpy(float), x[numbers].to_numpy(float), rtol=RTOL, atol=0, err_msg=name
        )


def read_summary(folder: Path) -> dict:
    """summary.json without ``run_id`` (each run's own identifier)."""
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert len(summary.pop("run_id")) == 32
    return summary


def stream_and_dask(run_file, tmp_path, client, block_shape, chunk_shape) -> tuple:
    """The run folders of one run file run streaming (default blocks) and on Dask."""
    from mecc.run import run_country

    stream = run_country(run_file, tmp_path / "stream", with_map=False).out_dir
    dask = run_country(
        run_file,
        tmp_path / "dask",
        with_map=False,
        dask=client,
        block_shape=block_shape,
        chunk_shape=chunk_shape,
    ).out_dir
    return stream, dask


ZONE_TABLES = ["zones.csv", "zones_bands.csv", "bands.csv", "exceedance.csv"]


@pytest.fixture(scope="module")
def austria_run_file(shared_data, tmp_path_factory):
    data = shared_data / "austria_flood"
    events = str(data / "events.csv")
    depth = str(data / "hazard_depth.tif")
    config = {
        "country": "AUT",
        "name": "Austria",
        "population": {"path": str(data / "pop_count.tif"), "kind": "count", "year": 2018},
        "zones": {
            "path": str(data / "bezirke_995_geo.json"),
            "code_field": "iso",
            "name_field": "name",
            "level": 2,
        },
        "hazards": [
            {
                "id": "step_fraction",
                "type": "river_flood",
                "intensity": depth,
                "fraction": str(data / "hazard_fraction.tif"),
                "events": events,
                "curve": "flood_step_0.5m",
            },
            {
                "id": "linear",
                "type": "river_flood",
                "intensity": depth,
                "events": events,
                "curve": {"intensity": [0, 0.5, 1, 2, 4], "share": [0, 0.1, 0.4, 0.8, 1]},
            },
        ],
    }
    return write_run(tmp_path_factory.mktemp("austria"), config, name="austria.yaml")


def test_austria_on_dask_equals_streaming(austria_run_file, client, tmp_path):
    from mecc.run import run_country

    stream = run_country(austria_run_file, tmp_path / "stream", with_map=False).out_dir
    dask = run_country(
        austria_run_file,
        tmp_path / "dask",
        with_map=False,
        dask=client,
        block_shape=SMALL_BLOCK,
        chunk_shape=SMALL_CHUNK,
    ).out_dir
    summary = read_summary(stream)
    assert summary["hazards"]["linear"]["aad"] > 0
    assert_same(summary, read_summary(dask))
    assert_same_tables(stream, dask, ZONE_TABLES)
    # the Austrian grid (63 x 182 cells) split into 2 x 3 chunks of 2 x 2 blocks
    manifest = json.loads((dask / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["parameters"]["blocks"] == 4 * 6
    assert manifest["parameters"]["dask"]["workers"] == 2
    assert manifest["parameters"]["dask"]["chunk_shape"] == list(SMALL_CHUNK)
    with rasterio.open(stream / "displaced.tif") as a, rasterio.open(dask / "displaced.tif") as b:
        np.testing.assert_array_equal(a.read(), b.read())


def test_demo_country_on_dask_equals_streaming(client, tmp_path):
    """The demo: return periods, an event set, a scenario, sea-level rise (in-memory
    grids) and two futures, whose extra passes run on Dask too, and mobility: sites (a
    sparse layer with figures per site), seasonal presence and the allocation grids."""
    from mecc.demo import write_demo_inputs

    run_file = write_demo_inputs(tmp_path / "inputs")
    stream, dask = stream_and_dask(run_file, tmp_path, client, (64, 64), (128, 128))
    summary = read_summary(stream)
    assert set(summary["futures"]) == {"ssp245_2050", "ssp585_2050"}
    assert_same(summary, read_summary(dask))
    assert_same_tables(
        stream,
        dask,
        [
            *ZONE_TABLES,
            "futures.csv",
            "attribution.csv",
            "zones_disaggregated.csv",
            "sites.csv",
            "allocation.csv",
            "flows.csv",
            "sendai.csv",
        ],
    )
    import xarray as xr

    with (
        xr.open_dataset(stream / "results.nc", group="previews") as a,
        xr.open_dataset(dask / "results.nc", group="previews") as b,
    ):
        xr.testing.assert_identical(a, b)


def test_chunks_are_whole_blocks_of_the_partition():
    from affine import Affine

    from mecc.chunked import chunk_windows
    from mecc.grid import GridSpec, block_windows

    grid = GridSpec("EPSG:4326", Affine(0.1, 0, 0, 0, -0.1, 0), 100, 70)
    blocks = {(w.row_off, w.col_off, w.height, w.width) for w in block_windows(grid, 16, 32)}
    chunks = chunk_windows(grid, (16, 32), (40, 50))  # rounded up to 48 x 64
    assert [(c.row_off, c.col_off) for c in chunks] == [(r, c) for r in (0, 48) for c in (0, 64)]
    inside = set()
    for chunk in chunks:
        for r in range(chunk.row_off, chunk.row_off + chunk.height, 16):
            for c in range(chunk.col_off, chunk.col_off + chunk.width, 32):
                h = min(16, chunk.row_off + chunk.height - r)
                w = min(32, chunk.col_off + chunk.width - c)
                inside.add((r, c, h, w))
    assert inside == blocks
    assert sum(c.height * c.width for c in chunks) == 100 * 70


def test_tree_combines_in_index_order_whatever_the_arrival():
    """Floating-point addition is not associative: the fixed tree gives the same bits
    as ((p0 + p1) + (p2 + p3)) + p4 for any order in which the parts arrive."""
    from mecc.chunked import _Tree

    parts = [1e16, 1.0, -1e16, 1.0, 3.0]
    expected = ((parts[0] + parts[1]) + (parts[2] + parts[3])) + parts[4]
    assert expected != sum(parts)  # the order matters for these numbers
    rng = np.random.default_rng(0)
    for _ in range(20):
        tree = _Tree(len(parts), lambda a, b: a + b)
        for index in rng.permutation(len(parts)):
            tree.put(int(index), parts[index])
        assert tree.root == expected
        assert not tree.waiting


def test_cli_run_on_a_scheduler_address_prints_the_dashboard(cli, client, tmp_path):
    from mecc.run import run_country

    run_file = write_run(tmp_path, basic_case(tmp_path / "case"), name="case/run.yaml")
    result = cli(
        "run", run_file, "--out", tmp_path / "dask", "--no-map",
        "--dask", client.scheduler.address, "--block-size", "16", "--chunk-size", "16",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"Dask dashboard: {client.dashboard_link}" in result.output
    summary = read_summary(tmp_path / "dask")
    # by hand: the 1 m step floods column 3 at 10 years and columns 2-3 at 100 years
    displaced = {b["return_period"]: b["displaced"] for b in summary["hazards"]["rf"]["bands"]}
    assert displaced == {10: float(POP[:, 3].sum()), 100: float(POP[:, 2:].sum())}
    stream = run_country(run_file, tmp_path / "stream", with_map=False).out_dir
    assert_same(read_summary(stream), summary)


def test_bad_data_in_a_worker_fails_the_run_with_the_streaming_message(client, tmp_path):
    from mecc.errors import DataError
    from mecc.run import run_country
    from tests.conftest import write_raster

    case = tmp_path / "case"
    config = basic_case(case)
    people = POP.copy()
    people[3, 1] = -5.0  # a negative count in the last chunk row
    write_raster(case / "pop.tif", people)
    run_file = write_run(case, config)
    messages = []
    for name, options in (("stream", {}), ("dask", {"dask": client, "chunk_shape": (2, 2)})):
        with pytest.raises(DataError) as caught:
            run_country(run_file, tmp_path / name, block_shape=(2, 2), **options)
        messages.append(str(caught.value))
        assert not (tmp_path / name).exists()  # nothing half-written
    assert messages[0] == messages[1]
    assert "negative population -5 at row 3, column 1" in messages[1]


def test_an_unreadable_grid_in_a_worker_is_the_streaming_error(client, tmp_path):
    """A GDAL read error raised in a worker came back as an internal error (exit 3): the
    mecc error carried GDAL's exception, which does not unpickle on the client."""
    from mecc.errors import InputFileError
    from mecc.run import run_country

    case = tmp_path / "case"
    config = basic_case(case)
    import rasterio.shutil

    # an LZW file (GDAL decodes it) whose block is zeroed: the header (and CRS) and the
    # file's length stay whole, the block fails to decode where it is read
    rasterio.shutil.copy(case / "rp100.tif", case / "lzw.tif", driver="GTiff", compress="LZW")
    with rasterio.open(case / "lzw.tif") as dataset:
        start = int(dataset.get_tag_item("BLOCK_OFFSET_0_0", "TIFF", bidx=1))
        length = int(dataset.get_tag_item("BLOCK_SIZE_0_0", "TIFF", bidx=1))
    data = bytearray((case / "lzw.tif").read_bytes())
    data[start : start + length] = bytes(length)
    (case / "rp100.tif").write_bytes(bytes(data))
    run_file = write_run(case, config)
    messages = []
    for name, options in (("stream", {}), ("dask", {"dask": client, "chunk_shape": (2, 2)})):
        with pytest.raises(InputFileError) as caught:
            run_country(run_file, tmp_path / name, block_shape=(2, 2), **options)
        messages.append(str(caught.value))
        assert not (tmp_path / name).exists()  # nothing half-written
    assert messages[0] == messages[1]
    assert "rp100.tif" in messages[1] and "cannot read raster data" in messages[1]


def test_unreachable_scheduler_is_an_environment_error_a_bad_address_usage(
    cli, tmp_path, monkeypatch
):
    """A well-formed address nobody answers at: an environment problem (exit 1); an
    address that is no address: bad usage (exit 2)."""
    import socket

    import mecc.cluster

    monkeypatch.setattr(mecc.cluster, "CONNECT_TIMEOUT", "1s")
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    run_file = write_run(tmp_path, basic_case(tmp_path / "case"), name="case/run.yaml")
    result = cli("run", run_file, "--out", tmp_path / "x", "--dask", f"tcp://127.0.0.1:{port}")
    assert result.exit_code == 1
    assert f"dask: cannot reach a Dask scheduler at tcp://127.0.0.1:{port}" in result.output
    result = cli("run", run_file, "--out", tmp_path / "x", "--dask", "nowhere")
    assert result.exit_code == 2
    assert "dask: give 'local' or a scheduler address tcp://HOST:PORT" in result.output
    assert not (tmp_path / "x").exists()


def _batch_files(tmp_path) -> list:
    """Two good runs (the second with twice the people) and one with a missing file."""
    good = basic_case(tmp_path / "a")
    first = write_run(tmp_path / "a", good, name="first.yaml")
    from tests.conftest import write_raster

    write_raster(tmp_path / "a" / "pop2.tif", POP * 2)
    second = write_run(
        tmp_path / "a", {**good, "population": {"path": "pop2.tif", "kind": "count"}}, "second.yaml"
    )
    broken = write_run(
        tmp_path / "a", {**good, "population": {"path": "nope.tif", "kind": "count"}}, "broken.yaml"
    )
    return [first, broken, second]


def _check_batch(batch, out: Path) -> None:
    rows = pd.read_csv(out / "batch.csv", encoding="utf-8-sig")
    assert list(rows["run_file"].map(lambda p: Path(p).stem)) == ["first", "broken", "second"]
    assert list(rows["status"]) == ["ok", "failed", "ok"]
    assert list(rows["exit_code"]) == [0, 1, 0]
    assert "nope.tif" in rows["message"][1]
    assert batch.exit_code == 1
    for stem, factor in (("first", 1), ("second", 2)):
        bands = read_summary(out / stem)["hazards"]["rf"]["bands"]
        assert bands[-1]["displaced"] == factor * float(POP[:, 2:].sum())
    assert not (out / "broken").exists()


def test_batch_in_parallel_processes(cli, tmp_path):
    """``mecc run A B C --jobs 2``: two processes; rows in the order given; worst exit code."""
    from mecc.run import BatchResult

    out = tmp_path / "out"
    result = cli("run", *_batch_files(tmp_path), "--out", out, "--jobs", "2", "--no-map")
    assert result.stdout.splitlines()[0] == f"wrote {out / 'batch.csv'} (2 of 3 runs ok)"
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "broken.yaml" in errors[0] and "nope.tif" in errors[0]
    _check_batch(BatchResult(out, [], result.exit_code), out)


@pytest.mark.slow
def test_ctrl_c_stops_a_parallel_batch_at_once(demo_folder, tmp_path):
    """SIGINT to ``mecc run ... --jobs 2`` waited for every queued run to finish (and at
    times never exited); now the batch stops, writing nothing more, and leaves no hidden
    staging folder behind."""
    import shutil
    import signal
    import subprocess
    import sys
    import time

    inputs = shutil.copytree(demo_folder / "inputs", tmp_path / "inputs")
    files = []
    for k in range(6):
        shutil.copy(inputs / "run.yaml", inputs / f"r{k}.yaml")
        files.append(inputs / f"r{k}.yaml")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "mecc", "-q", "run", *files, "--out", out]
    process = subprocess.Popen([*command, "--jobs", "2", "--no-map"], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not list(out.glob(".r*.partial-*")) and time.monotonic() < deadline:
        time.sleep(0.1)  # until the first runs are under way
    assert process.poll() is None, process.stderr.read().decode()
    process.send_signal(signal.SIGINT)  # to the main process only, as `timeout -s INT`
    try:
        code = process.wait(timeout=30)
    finally:
        process.kill()
    stderr = process.stderr.read().decode()
    assert code == 130 and "interrupted (SIGINT)" in stderr, stderr
    written = sorted(p.name for p in out.iterdir()) if out.exists() else []
    assert len([name for name in written if name.startswith("r")]) < 6, written
    assert "batch.csv" not in written  # the batch did not end
    # no staging folder; the marker says the folder is a batch's (--overwrite may replace it)
    assert not [name for name in written if name.startswith(".") and name != OUTPUT_MARKER]


def test_batch_on_a_local_dask_cluster_one_task_per_file(tmp_path):
    """``dask="local"``: a LocalCluster sized to this machine by Dask's defaults."""
    import os

    from mecc.cluster import dask_client, describe_client
    from mecc.run import run_batch

    with dask_client("local", dashboard_address=":0") as local:
        assert describe_client(local)["threads"] == os.cpu_count()
        out = tmp_path / "out"
        batch = run_batch(_batch_files(tmp_path), out, dask=local, with_map=False)
    _check_batch(batch, out)


def test_exposure_and_mobility_on_dask_equal_streaming(client, tmp_path):
    """Cohort grids (dense layers), sites added at points, scaling to a total and the
    allocation grids, on chunks of 2 x 2 blocks of 2 x 2 cells."""
    from tests._run_inputs import basic_case, cell_centre, write_run
    from tests.conftest import write_raster

    data = basic_case(tmp_path)
    write_raster(tmp_path / "f.tif", np.arange(16.0).reshape(4, 4) % 5)
    write_raster(tmp_path / "m.tif", (np.arange(16.0).reshape(4, 4) * 7) % 3)
    lon, lat = cell_centre(2, 3)
    (tmp_path / "sites.csv").write_text(
        f"site_name,lat,lon,individuals\ncamp,{lat},{lon},700\n", encoding="utf-8"
    )
    data["population"].update(
        cohorts={"grids": {"f": "f.tif", "m": "m.tif"}}, scale_to={"total": 5000}
    )
    data["mobility"] = {
        "sites": {"path": "sites.csv", "in_population_grid": False},
        "allocation": {"radius_km": 300, "exponent": 1, "cell_km": 5},
    }
    run_file = write_run(tmp_path, data)
    stream, dask = stream_and_dask(run_file, tmp_path, client, (2, 2), (2, 2))
    assert_same(read_summary(stream), read_summary(dask))
    names = [*ZONE_TABLES, "zones_disaggregated.csv", "sites.csv", "allocation.csv", "flows.csv"]
    assert_same_tables(stream, dask, names)


def test_allocation_on_dask_equals_streaming_with_cells_cut_by_units_and_chunks(client, tmp_path):
    """The units sharing each allocation cell are counted on the pass, chunk by chunk on
    Dask: a 12 x 16 grid in 3 x 2 chunks of 2 x 2 blocks, allocation cells of 2 x 2 cells
    cut by the units' borders, gives the streaming run's allocation.csv and flows.csv."""
    from tests._run_inputs import cell_box, write_run, write_zones
    from tests.conftest import write_raster

    rows, cols = np.indices((12, 16))
    write_raster(tmp_path / "pop.tif", 10.0 + (rows * 16 + cols) % 7)
    depth = np.clip((cols - 8) / 3.0, 0.0, None) + rows * 0.05 * (cols > 8)
    write_raster(tmp_path / "rp10.tif", depth * 0.5)
    write_raster(tmp_path / "rp100.tif", depth)
    write_zones(
        tmp_path / "zones.geojson",
        ["A", "B", "C"],
        [
            cell_box(0, 0, rows=7, cols=5),
            cell_box(0, 5, rows=7, cols=11),
            cell_box(7, 0, rows=5, cols=13),
        ],
    )
    data = {
        "country": "AAA",
        "name": "Testland",
        "population": {"path": "pop.tif", "kind": "count"},
        "zones": {"path": "zones.geojson", "code_field": "code", "level": 1},
        "hazards": [
            {
                "id": "rf",
                "type": "river_flood",
                "return_periods": {10: "rp10.tif", 100: "rp100.tif"},
                "curve": "flood_step_1m",
            }
        ],
        # rows are 11.1 km high: 25 km gives allocation cells of 2 x 2 cells
        "mobility": {"allocation": {"radius_km": 40, "exponent": 1, "cell_km": 25}},
    }
    run_file = write_run(tmp_path, data)
    stream, dask = stream_and_dask(run_file, tmp_path, client, (2, 4), (2, 2))
    manifest = json.loads((stream / "manifest.json").read_text(encoding="utf-8"))
    about = manifest["parameters"]["exposure"]["allocation"]
    assert about["grid_cells_per_side"] == 2 and about["grid"] == {"width": 8, "height": 6}
    assert_same_tables(stream, dask, ["allocation.csv", "flows.csv"])
    flows = pd.read_csv(dask / "flows.csv", encoding="utf-8-sig", dtype=str)
    assert {("B", "B"), ("B", "C"), ("C", "B"), ("__outside__", "C")} <= set(
        zip(flows.from_zone, flows.to_zone, strict=True)
    )


def test_extreme_cells_on_dask_are_counted_once(client, tmp_path):
    """Each task's reader arrives with the client's count (here the scaling pass's): the
    tasks report what they masked themselves, so the manifest counts each cell once."""
    from tests.test_population import _run_with_undeclared_extremes

    manifest, hidden = _run_with_undeclared_extremes(
        tmp_path, dask=client, block_shape=(8, 32), chunk_shape=(2, 2)
    )
    assert manifest["extreme_values_masked"]["population"] == hidden
