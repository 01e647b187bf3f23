"""``--overwrite`` on the generators (``mecc hazard cyclone | earthquake | flood`` and
``mecc population from-census``) replaces only a grid mecc wrote, and never one of the
command's own inputs (``--like``, the track, the DEM, the census table...), even through
a symlink or a hard link: such an ``--out`` is one line, exit 2, the file unchanged."""

from __future__ import annotations

import hashlib
import json
import os

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from affine import Affine

from tests.conftest import write_raster

QUAKE = ["hazard", "earthquake", "--magnitude", "6", "--lat", "49.5", "--lon", "10.5"]
QUAKE += ["--depth-km", "10"]
TROPICS = Affine(0.1, 0, 120.0, 0, -0.1, 11.0)  # lon 120-121, lat 10-11
DEM = np.array([[-1.0, 0.5, 3.0, 0.2], [-1.0, 0.8, 3.0, 0.1]])


def _refused(result, path, before: bytes, words: str) -> str:
    """The command failed in one line naming ``path`` (exit 2), ``path`` unchanged."""
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    assert str(path) in lines[0] and words in lines[0], lines[0]
    assert path.read_bytes() == before
    return lines[0]


def _population(path, transform=None, shape=(10, 10)):
    """A population grid of 100 people per cell (not written by mecc)."""
    return write_raster(path, np.full(shape, 100.0), transform=transform)


def _foreign_files(tmp_path):
    """Files mecc never wrote: a CSV table and a plain GeoTIFF."""
    table = tmp_path / "census.csv"
    table.write_text("code,people\nA,1\n")
    return [table, write_raster(tmp_path / "other.tif", np.ones((3, 3)))]


def _track(path, lon0=119.0, vmax=100):
    rows = [f"20131107{h:02d},10.5,{lon0 + k:.1f},{vmax}" for k, h in enumerate((0, 6, 12, 18))]
    path.write_text("time_utc,lat,lon,vmax_kt\n" + "\n".join(rows) + "\n")
    return path


# ------------------------------------------------------------------- earthquake


def test_earthquake_out_as_like_is_refused_even_with_overwrite(cli, tmp_path):
    pop = _population(tmp_path / "pop.tif")
    before = pop.read_bytes()
    for flags in ([], ["--overwrite"]):
        result = cli(*QUAKE, "--out", pop, "--like", pop, *flags)
        line = _refused(result, pop, before, "is the same file as --like")
        assert "never writes over its inputs" in line
    with rasterio.open(pop) as dataset:
        assert (dataset.read(1) == 100.0).all()


def test_earthquake_out_linked_to_like_is_refused(cli, tmp_path):
    """A symlink or hard link to the --like grid is that grid (os.path.samefile)."""
    pop = _population(tmp_path / "pop.tif")
    before = pop.read_bytes()
    (tmp_path / "soft.tif").symlink_to(pop)
    os.link(pop, tmp_path / "hard.tif")
    for link in (tmp_path / "soft.tif", tmp_path / "hard.tif"):
        result = cli(*QUAKE, "--out", link, "--like", pop, "--overwrite")
        _refused(result, link, before, "is the same file as --like")
        assert pop.read_bytes() == before


def test_earthquake_overwrite_refuses_a_file_mecc_did_not_write(cli, tmp_path):
    pop = _population(tmp_path / "pop.tif")
    for foreign in _foreign_files(tmp_path):
        before = foreign.read_bytes()
        result = cli(*QUAKE, "--out", foreign, "--like", pop, "--overwrite")
        _refused(result, foreign, before, "is not a hazard grid mecc wrote")


def test_earthquake_overwrite_refuses_a_census_grid(cli, tmp_path):
    """A population grid from `population from-census` is mecc's, but not a hazard grid:
    a generator does not replace it."""
    census = _census_grid(tmp_path, cli)
    before = census.read_bytes()
    result = cli(*QUAKE, "--out", census, "--bounds", "10", "49", "11", "50", "--resolution", "0.1")
    _refused(result, census, before, "file exists; use --overwrite")
    result = cli(
        *QUAKE, "--out", census, "--bounds", "10", "49", "11", "50", "--resolution", "0.1",
        "--overwrite",
    )  # fmt: skip
    _refused(result, census, before, "is not a hazard grid mecc wrote")


def test_earthquake_overwrite_replaces_a_grid_mecc_wrote(cli, tmp_path):
    pop = _population(tmp_path / "pop.tif")
    out = tmp_path / "mmi.tif"
    assert cli(*QUAKE, "--out", out, "--like", pop).exit_code == 0
    again = [*QUAKE[:3], "7", *QUAKE[4:]]
    result = cli(*again, "--out", out, "--like", pop, "--overwrite")
    assert result.exit_code == 0, result.output
    with rasterio.open(out) as dataset:
        assert json.loads(dataset.tags()["parameters"])["magnitude"] == 7.0
        assert dataset.shape == (10, 10)


# ---------------------------------------------------------------------- cyclone


def test_cyclone_out_as_like_or_track_is_refused(cli, tmp_path):
    pop = _population(tmp_path / "pop.tif", transform=TROPICS)
    track = _track(tmp_path / "track.csv")
    for out, words in ((pop, "is the same file as --like"), (track, "is the same file as TRACK")):
        before = out.read_bytes()
        result = cli("hazard", "cyclone", track, "--out", out, "--like", pop, "--overwrite")
        _refused(result, out, before, words)
    with rasterio.open(pop) as dataset:
        assert (dataset.read(1) == 100.0).all()


def test_cyclone_overwrite_refuses_a_file_mecc_did_not_write(cli, tmp_path):
    pop = _population(tmp_path / "pop.tif", transform=TROPICS)
    track = _track(tmp_path / "track.csv")
    for foreign in _foreign_files(tmp_path):
        before = foreign.read_bytes()
        result = cli("hazard", "cyclone", track, "--out", foreign, "--like", pop, "--overwrite")
        _refused(result, foreign, before, "is not a hazard grid mecc wrote")


def test_cyclone_overwrite_replaces_a_grid_mecc_wrote(cli, tmp_path):
    pop = _population(tmp_path / "pop.tif", transform=TROPICS)
    out = tmp_path / "wind.tif"
    first = _track(tmp_path / "first.csv")
    assert cli("hazard", "cyclone", first, "--out", out, "--like", pop).exit_code == 0
    second = _track(tmp_path / "second.csv", lon0=118.5, vmax=80)
    result = cli("hazard", "cyclone", second, "--out", out, "--like", pop, "--overwrite")
    assert result.exit_code == 0, result.output
    with rasterio.open(out) as dataset:
        track = json.loads(dataset.tags()["parameters"])["track"]
    assert track["file"] == "second.csv"
    assert track["sha256"] == hashlib.sha256(second.read_bytes()).hexdigest()


# ------------------------------------------------------------------------ flood


def test_flood_out_as_an_input_is_refused(cli, tmp_path):
    dem = write_raster(tmp_path / "dem.tif", DEM)
    like = write_raster(tmp_path / "like.tif", np.zeros((2, 4)))
    for out, words in ((dem, "is the same file as DEM"), (like, "is the same file as --like")):
        before = out.read_bytes()
        result = cli(
            "hazard", "flood", dem, "--out", out, "--water-level", "1", "--like", like,
            "--overwrite",
        )  # fmt: skip
        _refused(result, out, before, words)


def test_flood_overwrite_refuses_a_file_mecc_did_not_write(cli, tmp_path):
    dem = write_raster(tmp_path / "dem.tif", DEM)
    for foreign in _foreign_files(tmp_path):
        before = foreign.read_bytes()
        result = cli("hazard", "flood", dem, "--out", foreign, "--water-level", "1", "--overwrite")
        _refused(result, foreign, before, "is not a hazard grid mecc wrote")


def test_flood_overwrite_replaces_a_grid_mecc_wrote(cli, tmp_path):
    """Depths by hand: the sea (column 0, below 0 at the edge) and the cells below the
    level joined to it (column 1) are wet; the 3 m ridge keeps column 3 dry."""
    dem = write_raster(tmp_path / "dem.tif", DEM)
    out = tmp_path / "depth.tif"
    assert cli("hazard", "flood", dem, "--out", out, "--water-level", "1").exit_code == 0
    result = cli("hazard", "flood", dem, "--out", out, "--water-level", "2", "--overwrite")
    assert result.exit_code == 0, result.output
    with rasterio.open(out) as dataset:
        depth = dataset.read(1)
    expected = np.array([[3.0, 1.5, 0.0, 0.0], [3.0, 1.2, 0.0, 0.0]])
    np.testing.assert_allclose(depth, expected, atol=1e-6)


def test_flood_return_periods_never_replace_an_input(cli, tmp_path):
    """An earlier set's grid that is this command's --like is refused, not replaced."""
    dem = write_raster(tmp_path / "dem.tif", DEM)
    folder = tmp_path / "floods"
    result = cli("hazard", "flood", dem, "--out", folder, "--return-period", "100=1")
    assert result.exit_code == 0, result.output
    grid = folder / "flood_rp0100.tif"
    before = grid.read_bytes()
    result = cli(
        "hazard", "flood", dem, "--out", folder, "--return-period", "100=2", "--like", grid,
        "--overwrite",
    )  # fmt: skip
    _refused(result, grid, before, "is the same file as --like")
    assert sorted(p.name for p in folder.iterdir()) == ["flood_rp0100.tif"]


# ------------------------------------------------------------ population from-census

UNITS = {"U1": shapely.box(10.0, 50.0, 10.5, 50.5), "U2": shapely.box(10.5, 50.0, 11.0, 50.5)}
CENSUS_GRID = Affine(0.1, 0, 10.0, 0, -0.1, 50.5)  # 5 x 10 cells over both units


def _from_census(cli, tmp_path, out, counts, *extra):
    zones = tmp_path / "units.geojson"
    if not zones.exists():
        frame = gpd.GeoDataFrame({"code": list(UNITS)}, geometry=list(UNITS.values()))
        frame.set_crs("EPSG:4326").to_file(zones, driver="GeoJSON")
    table = tmp_path / "table.csv"
    pd.DataFrame({"unit": list(counts), "people": list(counts.values())}).to_csv(table, index=False)
    args = ["--code-field", "code", "--table-code", "unit", "--table-value", "people"]
    grid = [] if "--like" in extra else ["--resolution", "0.1"]
    return cli("population", "from-census", zones, table, "--out", out, *args, *grid, *extra)


def _census_grid(tmp_path, cli):
    out = tmp_path / "census_pop.tif"
    assert _from_census(cli, tmp_path, out, {"U1": 1000, "U2": 500}).exit_code == 0
    return out


def test_census_out_as_an_input_is_refused(cli, tmp_path):
    like = write_raster(tmp_path / "like.tif", np.zeros((5, 10)), transform=CENSUS_GRID)
    before = like.read_bytes()
    result = _from_census(cli, tmp_path, like, {"U1": 1000}, "--like", like, "--overwrite")
    _refused(result, like, before, "is the same file as --like")
    table = tmp_path / "table.csv"
    before = table.read_bytes()
    result = _from_census(cli, tmp_path, table, {"U1": 1000}, "--overwrite")
    _refused(result, table, before, "is the same file as TABLE")
    weights = write_raster(tmp_path / "weights.tif", np.ones((5, 10)), transform=CENSUS_GRID)
    before = weights.read_bytes()
    result = _from_census(cli, tmp_path, weights, {"U1": 1}, "--weights", weights, "--overwrite")
    _refused(result, weights, before, "is the same file as --weights")


def test_census_overwrite_refuses_a_file_mecc_did_not_write(cli, tmp_path):
    foreign = [*_foreign_files(tmp_path)]
    pop = tmp_path / "mmi.tif"  # a hazard grid mecc wrote is not a population grid
    assert (
        cli(*QUAKE, "--out", pop, "--bounds", "10", "49", "11", "50", "--resolution", "1").exit_code
        == 0
    )
    for path in [*foreign, pop]:
        before = path.read_bytes()
        result = _from_census(cli, tmp_path, path, {"U1": 1000, "U2": 500}, "--overwrite")
        _refused(result, path, before, "is not a census population grid mecc wrote")


def test_census_overwrite_replaces_a_grid_mecc_wrote(cli, tmp_path):
    """Uniform spread by hand: U1 (25 cells west of 10.5) holds 300 people, 12 a cell;
    U2 (25 cells east of it) 200, 8 a cell."""
    out = _census_grid(tmp_path, cli)
    result = _from_census(cli, tmp_path, out, {"U1": 300, "U2": 200}, "--overwrite")
    assert result.exit_code == 0, result.output
    with rasterio.open(out) as dataset:
        values = dataset.read(1)
        assert dataset.transform.almost_equals(CENSUS_GRID)
    expected = np.hstack([np.full((5, 5), 12.0), np.full((5, 5), 8.0)])
    np.testing.assert_allclose(values, expected, rtol=1e-12)


@pytest.mark.parametrize("overwrite", [False, True])
def test_census_out_linked_to_the_table_is_refused(cli, tmp_path, overwrite):
    _from_census(cli, tmp_path, tmp_path / "first.tif", {"U1": 1})  # writes the table
    table = tmp_path / "table.csv"
    link = tmp_path / "table_link.csv"
    link.symlink_to(table)
    before = table.read_bytes()
    flags = ["--overwrite"] if overwrite else []
    result = cli(
        "population", "from-census", tmp_path / "units.geojson", link, "--out", table,
        "--code-field", "code", "--table-code", "unit", "--table-value", "people",
        "--resolution", "0.1", *flags,
    )  # fmt: skip
    _refused(result, table, before, "is the same file as TABLE")
