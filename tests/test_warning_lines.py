"""Warnings of every ``mecc`` command as one ``warning:`` line (none with ``-q``), and an
infinite population cell named as the file numbers it (north-up, south-up, 0-360)."""

from __future__ import annotations

import re
import warnings

import click
import geopandas as gpd
import numpy as np
import pytest
import rasterio
import yaml
from affine import Affine
from rasterio.windows import Window
from shapely.geometry import box

from exposure.population import PopulationGrid
from mecc.errors import DataError, MeccWarning

LABEL = "run.yaml.population.path (pop.tif)"
RAW = re.compile(r"\.py:\d+: \w*Warning")  # Python's own format: path:line: Category


def _stderr_lines(result) -> list[str]:
    return result.stderr.strip().splitlines()


# ------------------------------------------------------------- 1. warning lines


def _leaf_commands(group: click.Group, path=()):
    """``(names, command)`` of every command under ``group``, subcommands included."""
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from _leaf_commands(command, (*path, name))
        else:
            yield (*path, name), command


def _every_command():
    from cli import main

    return list(_leaf_commands(main))


def test_every_command_of_mecc_help_is_walked():
    """The walk below reaches the subcommands of every group ``mecc --help`` lists."""
    names = {" ".join(path) for path, _ in _every_command()}
    for expected in (
        "run",
        "demo",
        "compare",
        "validate",
        "init",
        "evaluate",
        "map",
        "report sendai",
        "needs",
        "profile",
        "hazard cyclone",
        "hazard flood",
        "population from-census",
        "training build",
        "curves list",
    ):
        assert expected in names, names


def _probe(then_fail=False):
    """A command body that warns as mecc's tools and the libraries under them do."""

    def body(*_args, **_kwargs):
        warnings.warn("probe: the toolkit's words", MeccWarning, stacklevel=1)
        warnings.warn("probe: the toolkit's words", MeccWarning, stacklevel=1)  # said twice
        warnings.warn("invalid value encountered in divide", RuntimeWarning, stacklevel=1)
        warnings.warn("a note\n  over two lines", UserWarning, stacklevel=1)
        if then_fail:
            raise DataError("probe.csv: column x: not a number")

    return body


@pytest.mark.parametrize("path", [p for p, _ in _every_command()], ids=" ".join)
def test_every_command_prints_warnings_as_one_line_each(path, cli, monkeypatch):
    command = dict(_every_command())[path]
    monkeypatch.setattr(command, "callback", _probe())
    monkeypatch.setattr(command, "params", [])
    result = cli(*path)
    assert result.exit_code == 0, result.output
    assert _stderr_lines(result) == [
        "warning: probe: the toolkit's words",
        "warning: RuntimeWarning: invalid value encountered in divide",
        "warning: UserWarning: a note over two lines",
    ]
    assert not RAW.search(result.stderr)
    quiet = cli("-q", *path)
    assert quiet.exit_code == 0 and quiet.stderr == ""


def test_a_failed_command_prints_its_error_line_alone_and_verbose_adds_the_warnings(
    cli, monkeypatch
):
    """A failed command: its one error line (bad input is one line); with -v the
    warnings raised before it, each naming where, then the error."""
    from cli import main

    command = main.commands["compare"]
    monkeypatch.setattr(command, "callback", _probe(then_fail=True))
    monkeypatch.setattr(command, "params", [])
    result = cli("compare")
    assert result.exit_code == 1
    assert _stderr_lines(result) == ["error: probe.csv: column x: not a number"]
    verbose = cli("-v", "compare")
    lines = [line for line in _stderr_lines(verbose) if line.startswith("warning: ")]
    assert len(lines) == 3, verbose.stderr
    assert lines[0].startswith("warning: probe: the toolkit's words (")
    assert re.search(r"test_warning_lines\.py:\d+\)$", lines[0]), lines[0]
    assert lines[1].startswith("warning: RuntimeWarning: invalid value encountered in divide (")
    assert _stderr_lines(verbose)[-1] == "error: probe.csv: column x: not a number"
    quiet = cli("-q", "compare")  # -q: errors only
    assert _stderr_lines(quiet) == ["error: probe.csv: column x: not a number"]


def _official_mismatch_run(folder):
    """A 4 x 4 grid of 10..160 people, units A (two western columns) and B, and
    official figures far below A's people on the grid."""
    transform = Affine(0.1, 0, 10.0, 0, -0.1, 50.0)
    people = (np.arange(16, dtype=np.float64).reshape(4, 4) + 1) * 10
    for name, values in (("pop.tif", people), ("depth.tif", np.full((4, 4), 2.0))):
        with rasterio.open(
            folder / name,
            "w",
            driver="GTiff",
            width=4,
            height=4,
            count=1,
            dtype="float64",
            crs="EPSG:4326",
            transform=transform,
        ) as dst:
            dst.write(values[None])
    gpd.GeoDataFrame(
        {"code": ["A", "B"], "name": ["Zone A", "Zone B"]},
        geometry=[box(10.0, 49.6, 10.2, 50.0), box(10.2, 49.6, 10.4, 50.0)],
        crs="EPSG:4326",
    ).to_file(folder / "zones.geojson")
    (folder / "official.csv").write_text("code,pop\nA,300\nB,1000\n", encoding="utf-8")
    run = {
        "country": "AAA",
        "name": "Testland",
        "population": {
            "path": "pop.tif",
            "kind": "count",
            "official": {
                "path": "official.csv",
                "code_column": "code",
                "value_column": "pop",
                "year": 2020,
            },
        },
        "zones": {"path": "zones.geojson", "code_field": "code", "name_field": "name", "level": 1},
        "hazards": [
            {
                "id": "sc",
                "type": "river_flood",
                "intensity": "depth.tif",
                "scenario": "flood X",
                "curve": "flood_step_1m",
            }
        ],
    }
    (folder / "run.yaml").write_text(yaml.safe_dump(run, sort_keys=False), encoding="utf-8")
    return folder / "run.yaml", people


def test_report_sendai_prints_the_official_mismatch_as_one_line(cli, tmp_path):
    run_file, people = _official_mismatch_run(tmp_path)
    ran = cli("-q", "run", run_file, "--out", tmp_path / "run")
    assert ran.exit_code == 0, ran.output
    on_grid_a = people[:, :2].sum()  # by hand: 10+20+50+60+90+100+130+140 = 600
    assert on_grid_a == 600
    result = cli("report", "sendai", tmp_path / "run", "--out", tmp_path / "rep")
    assert result.exit_code == 0, result.output
    lines = _stderr_lines(result)
    assert len(lines) == 1, lines  # once, though the tables are built twice
    assert lines[0].startswith("warning: population.official: ")
    assert "A: 600 on the grid, 300 official (+100%)" in lines[0]
    assert "MeccWarning" not in result.stderr and "sendai.py" not in result.stderr
    assert not RAW.search(result.stderr)
    quiet = cli("-q", "report", "sendai", tmp_path / "run", "--out", tmp_path / "rep2")
    assert quiet.exit_code == 0 and quiet.stderr == "" and quiet.stdout == ""
    assert (tmp_path / "rep2" / "sendai.csv").is_file()


def test_quiet_needs_on_the_demo_prints_nothing(demo_folder, cli, tmp_path):
    """The demo's needs warn of blank 1-in-100-year amounts; -q prints errors only."""
    loud = cli("needs", demo_folder / "run", "--out", tmp_path / "loud")
    assert loud.exit_code == 0 and loud.stderr.startswith("warning: needs.csv: ")
    quiet = cli("-q", "needs", demo_folder / "run", "--out", tmp_path / "quiet")
    assert quiet.exit_code == 0 and quiet.stderr == "" and quiet.stdout == ""


# ------------------------------------------------------------ 2. infinite cell


def _refused(path, label=LABEL) -> str:
    reader = PopulationGrid(path, "count", label=label)
    with pytest.raises(DataError) as caught:
        reader.prepare(reader.native_grid)
    return str(caught.value)


def _rasterio_says(path):
    """Row, column and centre of the infinite cell as rasterio shows the file."""
    with rasterio.open(path) as src:
        (row, col) = np.argwhere(np.isinf(src.read(1)))[0]
        x, y = src.xy(int(row), int(col))  # the cell's centre
    return int(row), int(col), x, y


def test_north_up_infinity_named_by_row_column_and_centre(raster_writer):
    values = np.ones((6, 8))
    values[4, 5] = np.inf
    path = raster_writer("pop.tif", values, dtype="float64")  # 0.1 degree from 10 E, 50 N
    message = _refused(path)
    # by hand: centre of row 4, column 5 = 10 + 5.5 x 0.1, 50 - 4.5 x 0.1
    assert "row 4, column 5 (cell centre longitude 10.55, latitude 49.55 in the file's CRS)" in (
        message
    )
    assert _rasterio_says(path)[:2] == (4, 5)
    assert "\n" not in message


def test_south_up_infinity_named_by_the_files_own_row(raster_writer, tmp_path, cli):
    values = np.full((4, 4), 10.0)
    values[0, 1] = np.inf  # the file's row 0: its southern row
    south_up = Affine(0.1, 0, 10.0, 0, 0.1, 49.6)
    path = raster_writer("pop.tif", values, dtype="float32", transform=south_up)
    row, col, x, y = _rasterio_says(path)
    assert (row, col) == (0, 1) and (x, y) == pytest.approx((10.15, 49.65))  # by hand
    message = _refused(path)
    assert "row 0, column 1 (cell centre longitude 10.15, latitude 49.65 in the file's CRS)" in (
        message
    )
    # on the engine's read path (scan=False) and through mecc run, the same cell
    reader = PopulationGrid(path, "count", label=LABEL)
    reader.prepare(reader.native_grid, scan=False)
    with pytest.raises(DataError, match=r"at row 0, column 1 \(cell centre longitude 10\.15,"):
        reader.read(Window(0, 0, 4, 4))
    raster_writer("depth.tif", np.full((4, 4), 2.0), dtype="float32", transform=south_up)
    run = {
        "country": "AAA",
        "name": "T",
        "population": {"path": "pop.tif", "kind": "count"},
        "hazards": [
            {
                "id": "sc",
                "type": "river_flood",
                "intensity": "depth.tif",
                "scenario": "x",
                "curve": "flood_step_1m",
            }
        ],
    }
    (tmp_path / "run.yaml").write_text(yaml.safe_dump(run), encoding="utf-8")
    result = cli("run", tmp_path / "run.yaml", "--out", tmp_path / "out")
    assert result.exit_code == 1
    assert "infinite population (inf) at row 0, column 1 (cell centre" in result.stderr


def test_global_0_360_infinity_named_by_the_files_own_column(raster_writer):
    values = np.full((18, 36), 10.0)
    values[5, 2] = -np.inf  # 20-30 E, 30-40 N: presented as column 20 of -180..180
    path = raster_writer(
        "pop.tif", values, dtype="float32", transform=Affine(10, 0, 0.0, 0, -10, 90)
    )
    row, col, x, y = _rasterio_says(path)
    assert (row, col) == (5, 2) and (x, y) == pytest.approx((25.0, 35.0))  # by hand
    message = _refused(path)
    assert "infinite population (-inf) at row 5, column 2 " in message
    assert "(cell centre longitude 25, latitude 35 in the file's CRS)" in message
    # the last column of the file: presented just west of 180 (column 17)
    values[5, 2] = 10.0
    values[17, 35] = np.inf
    path = raster_writer(
        "pop2.tif", values, dtype="float32", transform=Affine(10, 0, 0, 0, -10, 90)
    )
    assert "row 17, column 35 (cell centre longitude 355, latitude -85 " in _refused(path)


def test_projected_infinity_named_by_x_and_y(raster_writer):
    values = np.ones((3, 3))
    values[2, 0] = np.inf
    transform = Affine(1000, 0, 500000, 0, -1000, 4000000)  # UTM 33N, 1 km cells
    path = raster_writer("pop.tif", values, dtype="float64", crs="EPSG:32633", transform=transform)
    # by hand: 500000 + 0.5 x 1000, 4000000 - 2.5 x 1000
    assert "row 2, column 0 (cell centre x 500500, y 3997500 in the file's CRS)" in _refused(path)
