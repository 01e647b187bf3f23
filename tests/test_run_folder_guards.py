"""Guards of a run folder's tables and of an output folder's path, and validate's futures.

1. A run folder's table that is damaged (a zones.csv holding ``x,y``) or cut short (a
   truncated copy) stopped map, needs, profile and compare with a KeyError (exit 3); every
   command that reads a run now refuses it in one line naming the file and the missing
   columns, exit 1, before writing anything (one shared check: mecc.run_folder).
2. An --out whose names are longer than the file system allows (a 300-byte folder name)
   or whose path SQLite cannot open (three 200-byte folders: zones.gpkg) failed after the
   whole computation with an internal error and left empty folders; it is refused up
   front in one line, exit 2, creating nothing, and a writer's refusal at write time is
   one line with the staging and the folders made for it removed.
3. ``mecc validate`` said "ready to run" for a future grid that ``mecc run`` refuses (it
   does not overlap the analysis grid) and gave no warning for a future grid holding only
   nodata; futures' grids are now checked as the baseline's.
"""

from __future__ import annotations

import csv
import errno
import io
import os
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from affine import Affine

from mecc.errors import ConfigError, DataError, InputFileError, MeccError
from tests._errors import expect_error, one_error_line
from tests._run_inputs import DEPTH, POP, TRANSFORM, basic_case, hidden_entries, snapshot, write_run
from tests.conftest import write_raster

ZONES_COLUMNS = "zone_code, zone_name, level, hazard_id, population"
"""The columns every run writes into zones.csv, in the order the error names them."""


def _commands(run, out, tmp_path):
    observed = tmp_path / "observed.csv"
    observed.write_text("zone_code,value\nXMR01,5\n", encoding="utf-8")
    return {
        "map": ["map", run, "--out", out],
        "needs": ["needs", run, "--out", out],
        "profile": ["profile", run, "--out", out, "--no-pdf"],
        "compare": ["compare", run, run, "--out", out],
        "report sendai": ["report", "sendai", run, "--out", out],
        "evaluate": ["evaluate", run, "--observed", observed, "--out", out],
    }


@pytest.fixture
def run_copy(demo_folder, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(demo_folder / "run", run)
    return run


# ------------------------------------------------------- 1. a run folder's damaged tables


def test_a_zones_table_without_its_columns_stops_every_command_in_one_line(cli, run_copy, tmp_path):
    """The auditor's broken/r5: zones.csv holding ``x,y`` (KeyError 'zone_code', exit 3)."""
    (run_copy / "zones.csv").write_text("x,y\n1,2\n", encoding="utf-8")
    before = snapshot(run_copy)
    for name, args in _commands(run_copy, tmp_path / "out", tmp_path).items():
        line = one_error_line(cli(*args), 1)
        assert line == (
            f"error: {run_copy / 'zones.csv'}: damaged or not a table of the run (no column "
            f"{ZONES_COLUMNS}); copy the run folder whole or run again (mecc run)"
        ), name
        assert not (tmp_path / "out").exists(), name
    assert snapshot(run_copy) == before


def test_a_zones_table_missing_one_column_names_that_column(cli, run_copy, tmp_path):
    path = run_copy / "zones.csv"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    k = rows[0].index("hazard_id")
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(r[:k] + r[k + 1 :] for r in rows)
    line = one_error_line(cli("needs", run_copy, "--out", tmp_path / "out"), 1)
    assert f"{path}: damaged or not a table of the run (no column hazard_id);" in line


@pytest.mark.parametrize("name", ["zones.csv", "bands.csv", "sendai.csv", "futures.csv"])
def test_a_table_cut_short_is_refused_naming_its_columns(cli, run_copy, tmp_path, name):
    """A truncated copy: the last line has fewer cells than the header (read silently as
    blanks before: a zone without its figures)."""
    path = run_copy / name
    data = path.read_bytes()
    lines = data.split(b"\n")
    cut = len(data) - len(lines[-2]) - 1 + len(lines[-2]) // 2  # in the middle of the last row
    path.write_bytes(data[:cut])
    text = data[:cut].decode("utf-8-sig")
    header = next(csv.reader([text.split("\n", 1)[0]]))
    last = next(csv.reader([text.rstrip("\n").split("\n")[-1]]))
    assert len(last) < len(header)
    line = one_error_line(cli("map", run_copy, "--out", tmp_path / "out"), 1)
    assert line == (
        f"error: {path}: cut short (its last line has {len(last)} of the {len(header)} "
        "columns of its header); copy the run folder whole or run again (mecc run)"
    )
    assert not (tmp_path / "out").exists()


def test_a_complete_table_without_its_last_line_end_is_read(cli, run_copy, tmp_path):
    """Saved again without a final line end (Google Sheets' export): still the run's
    table, every command reads it; cut inside its last line (a column short), refused."""
    path = run_copy / "zones.csv"
    whole = path.read_bytes()
    path.write_bytes(whole.rstrip(b"\r\n"))
    result = cli("report", "sendai", run_copy, "--out", tmp_path / "report")
    assert result.exit_code == 0, result.stderr
    last = whole.rstrip(b"\r\n").rsplit(b"\n", 1)[1]
    path.write_bytes(whole.rstrip(b"\r\n")[: -len(last) + last.rindex(b",")])
    line = one_error_line(cli("compare", run_copy, run_copy, "--out", tmp_path / "out"), 1)
    assert f"{path}: cut short (its last line has " in line


def test_the_shared_reader_checks_and_reads_a_run_table(tmp_path):
    from mecc.run_folder import check_table, read_run_table

    with pytest.raises(InputFileError, match=r"not a run folder \(no zones.csv\)"):
        read_run_table(tmp_path, "zones.csv")
    zones = tmp_path / "zones.csv"
    zones.write_text("zone_code,zone_name,level,hazard_id,population\n", encoding="utf-8")
    with pytest.raises(DataError, match="holds no row, only its header"):
        read_run_table(tmp_path, "zones.csv")
    # saved again by a spreadsheet in French: ';' between cells, CRLF, a code 'NA'
    zones.write_bytes(
        "\ufeffzone_code;zone_name;level;hazard_id;population\r\nNA;Nord;1;rf;1234,5\r\n".encode()
    )
    table = read_run_table(tmp_path, "zones.csv")
    assert table["zone_code"].tolist() == ["NA"] and table["population"].tolist() == [1234.5]
    # a quoted cell holding a line end is not a cut
    flows = tmp_path / "flows.csv"
    flows.write_text('hazard_id,band,from_zone,to_zone,people\nrf,"a\nb",A,B,3\n', "utf-8")
    check_table(flows, ("hazard_id", "people"))
    zones.write_bytes(b"zone_code,zone_name\nA,S\xe3o Tom\xe9\n")
    with pytest.raises(InputFileError, match=r"is not UTF-8 text \(byte 0xE3 on line 2\)"):
        read_run_table(tmp_path, "zones.csv")


def test_the_profiles_api_checks_the_run_tables_it_reads(run_copy):
    """write_profiles / build_profiles called from Python (no command's guard first): a
    sendai.csv cut short was read silently (its last unit's figures blank)."""
    from mecc.profiles import build_profiles

    path = run_copy / "sendai.csv"
    data = path.read_bytes()
    path.write_bytes(data[: data.rindex(b",")])  # the last line loses its last cell
    with pytest.raises(DataError, match=r"sendai.csv: cut short \(its last line has"):
        build_profiles(run_copy, levels=[1])


# ---------------------------------------------------------- 2. an --out path too long


def _name_max(folder) -> int:
    return os.pathconf(folder, "PC_NAME_MAX")


@pytest.fixture
def case(tmp_path):
    folder = tmp_path / "case"
    return write_run(folder, basic_case(folder))


def test_a_folder_name_longer_than_the_file_system_allows_is_refused_before_any_work(
    cli, case, tmp_path
):
    """A 300-byte folder name: 'internal error: OSError: [Errno 36] File name too long'."""
    runs = tmp_path / "runs"
    runs.mkdir()
    name = "b" * (_name_max(runs) + 45)
    for args in (("run", case, "--no-map"), ("map", case.parent)):
        line = one_error_line(cli(*args, "--out", runs / name), 2)
        assert line == (
            f"error: {runs / name}: the folder name {'b' * 20}...{'b' * 8} is {len(name)} "
            f"bytes long, more than {_name_max(runs)} (the file system allows "
            f"{_name_max(runs)} in a name); choose a shorter --out"
        )
    assert list(runs.iterdir()) == []


def test_a_folder_name_that_leaves_no_room_for_the_staging_name_is_refused(cli, case, tmp_path):
    """.<name>.partial-<pid>-<8 hex>: 26 bytes more than the name itself."""
    name = "c" * (_name_max(tmp_path) - 10)
    line = one_error_line(cli("run", case, "--out", tmp_path / "new" / name, "--no-map"), 2)
    room = _name_max(tmp_path) - 26
    assert f"is {len(name)} bytes long, more than {room} (the file system allows" in line
    assert "mecc writes it under a name 26 bytes longer" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case"]


def test_a_run_folder_too_long_for_sqlite_is_refused_before_any_work(cli, case, tmp_path):
    """The auditor's three 200-byte folders: computed everything, then 'OperationalError:
    unable to open database file' in sqlite3.connect (zones.gpkg), exit 3."""
    out = tmp_path / "a" / ("a" * 200) / ("a" * 200) / ("a" * 200)
    line = one_error_line(cli("run", case, "--out", out, "--no-map"), 2)
    size = len(os.fsencode(os.path.realpath(tmp_path))) + len("/a") + 3 * 201
    most = 512 - len("-journal") - 26 - len("/zones.gpkg")  # 467
    assert line == (
        f"error: {out}: the path is {size} bytes long (links resolved); a folder's may have "
        f"{most}, for SQLite to open the zones.gpkg mecc writes in it; choose a shorter --out"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case"]


def test_a_run_folder_at_sqlites_limit_is_written_with_its_styles(cli, case, tmp_path):
    """467 bytes, the longest path allowed, is not refused: zones.gpkg gets its styles."""
    base = Path(os.path.realpath(tmp_path))
    left = 467 - len(os.fsencode(str(base)))
    parts = []
    while left > 0:
        size = min(200, left - 1)
        if left - 1 - size == 1:  # no one-byte remainder: a name needs a byte after "/"
            size -= 2
        parts.append("d" * size)
        left -= size + 1
    out = base.joinpath(*parts)
    assert len(os.fsencode(str(out))) == 467
    result = cli("run", case, "--out", out, "--no-map")
    assert result.exit_code == 0, result.stderr
    with sqlite3.connect(out / "zones.gpkg") as db:
        styled = db.execute("SELECT f_table_name FROM layer_styles").fetchall()
    assert styled == [("admin1",)]


def test_sqlite_refusing_the_geopackage_is_one_line_naming_the_file(tmp_path):
    """At write time (a path SQLite cannot open): a MeccError, not an OperationalError."""
    import geopandas as gpd
    from shapely.geometry import box

    from mecc.qgis_style import add_qgis_styles

    folder = tmp_path.joinpath(*["e" * 150] * 3, ".out.partial-1-abc")
    folder.mkdir(parents=True)
    path = folder / "zones.gpkg"
    assert len(os.fsencode(str(path))) > 504
    frame = gpd.GeoDataFrame(
        {"zone_code": ["A"], "rf_aad": [2.0]}, geometry=[box(0, 0, 1, 1)], crs="EPSG:4326"
    )
    frame.to_file(path, layer="admin1", driver="GPKG")
    with pytest.raises(MeccError) as caught:
        add_qgis_styles(path, ["rf"])
    message = str(caught.value)
    shown = tmp_path.joinpath(*["e" * 150] * 3, "out", "zones.gpkg")
    assert message.startswith(f"{shown}: SQLite cannot write the layer styles (")
    assert f"its path is {len(os.fsencode(str(path)))} bytes long" in message
    assert "\n" not in message


def test_a_name_too_long_at_write_time_is_one_line_and_removes_what_was_made(tmp_path):
    from mecc.outputs import OutputFolder

    target = tmp_path / "new" / "deeper" / "out"
    with pytest.raises(MeccError) as caught, OutputFolder(target) as staging:
        raise OSError(errno.ENAMETOOLONG, os.strerror(errno.ENAMETOOLONG), str(staging / "x"))
    assert str(caught.value) == (
        f"cannot write to {target} (a file name or path is too long for the file system); "
        "choose a shorter --out"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_path_over_the_systems_path_limit_is_refused(tmp_path):
    from mecc.outputs import check_path_length

    path_max = os.pathconf(tmp_path, "PC_PATH_MAX")
    out = tmp_path.joinpath(*["f" * 200] * (path_max // 201 + 1))
    with pytest.raises(ConfigError, match=f"the {path_max} bytes the file system allows"):
        check_path_length(out)
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------ 3. validate checks futures' grids

SHIFTED = Affine(0.1, 0, 110.0, 0, -0.1, 50.0)
"""The test grid moved 100 degrees east: no cell on the analysis grid."""


def _future_case(tmp_path, **raster):
    folder = tmp_path / "case"
    data = basic_case(folder)
    write_raster(folder / "f10.tif", DEPTH * 0.6, **raster)
    write_raster(folder / "f100.tif", DEPTH * 1.2, **raster)
    data["futures"] = [
        {"id": "f1", "hazards": {"rf": {"return_periods": {10: "f10.tif", 100: "f100.tif"}}}}
    ]
    return write_run(folder, data)


@pytest.mark.parametrize(
    "raster",
    [{"transform": SHIFTED}, {"crs": "EPSG:32633"}, {"crs": "EPSG:3857"}],
    ids=["shifted_away", "crs_utm", "crs3857"],
)
def test_validate_refuses_a_future_grid_the_run_refuses(cli, tmp_path, raster):
    """validate said 'ready to run' (exit 0); the run: 'does not overlap', exit 1."""
    run_file = _future_case(tmp_path, **raster)
    line = expect_error(
        cli,
        run_file,
        tmp_path / "out",
        1,
        "run.yaml.futures[0].hazards.rf.return_periods.10 (f10.tif)",
        "does not overlap the analysis grid",
    )
    # named as the run file names it (the future's key), with the file's own name
    assert line.startswith("error: run.yaml.futures[0].hazards.rf.return_periods.10 (f10.tif)")


def test_validate_warns_for_a_future_grid_holding_only_nodata(cli, tmp_path):
    """As for a baseline grid: 'only nodata in every cell' (no warning before)."""
    folder = tmp_path / "case"
    data = basic_case(folder)
    nodata = np.full(DEPTH.shape, -9999.0)
    write_raster(folder / "f10.tif", nodata, nodata=-9999.0)
    write_raster(folder / "f100.tif", nodata, nodata=-9999.0)
    data["futures"] = [
        {"id": "f1", "hazards": {"rf": {"return_periods": {10: "f10.tif", 100: "f100.tif"}}}}
    ]
    result = cli("validate", write_run(folder, data))
    assert result.exit_code == 0, result.stderr
    assert "  warning  hazards.rf@f1: only nodata in every cell of all 2 band(s)" in (
        result.stdout.splitlines()
    )


def test_validate_refuses_a_future_population_grid_without_people(cli, tmp_path):
    """The run refuses it ('the grid holds no people', exit 1); validate said ready."""
    folder = tmp_path / "case"
    data = basic_case(folder)
    write_raster(folder / "pop2050.tif", np.full(POP.shape, -1.0), nodata=-1.0)
    data["futures"] = [{"id": "f1", "population": {"path": "pop2050.tif", "year": 2050}}]
    run_file = write_run(folder, data)
    run_line = one_error_line(cli("run", run_file, "--out", tmp_path / "out", "--no-map"), 1)
    assert "futures[0].population.path (pop2050.tif)" in run_line
    line = one_error_line(cli("validate", run_file), 1)
    assert line.startswith("error: run.yaml.futures[0].population.path (pop2050.tif): ")
    assert not (tmp_path / "out").exists() and hidden_entries(tmp_path) == []


def test_validate_reports_a_future_population_grid_as_the_baseline(cli, tmp_path):
    folder = tmp_path / "case"
    data = basic_case(folder)
    write_raster(folder / "pop2050.tif", POP * 2, transform=TRANSFORM)
    data["futures"] = [{"id": "f1", "population": {"path": "pop2050.tif", "year": 2050}}]
    result = cli("validate", write_run(folder, data))
    assert result.exit_code == 0, result.stderr
    people = f"{POP.sum() * 2:,.0f}"  # 2 x (10 + 20 + ... + 160) = 2,720
    assert (
        f"  ok  future f1: no hazard changed, a population grid ({people} people on the grid)"
        in result.stdout.splitlines()
    )
