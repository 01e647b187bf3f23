"""Census tables spread over admin polygons: every unit's total is kept (<= 1e-9 relative),
uniformly or by weights; tiny units go to their representative point's cell; duplicates,
unmatched rows and units without a row are reported."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import rasterio.features
import shapely

from exposure.census import census_grid, read_census_table, spread_counts, write_census_population
from mecc.errors import DataError, MeccWarning, OutputExistsError
from tests.conftest import write_raster

TOLERANCE = 1e-9

# three units on a 0.1 degree grid: two large rectangles and one tiny square that holds
# no cell centre; totals that are not round in binary
UNITS = {
    "U1": shapely.box(10.0, 50.0, 10.7, 50.5),
    "U2": shapely.box(10.7, 50.0, 11.0, 50.5),
    "U3": shapely.box(10.32, 50.52, 10.34, 50.54),  # inside cell row 4 col 3 of the grid
}
COUNTS = {"U1": 1_000_000 / 3, "U2": 98765.4321, "U3": 7.1}


def _zones(tmp_path, units=UNITS):
    frame = gpd.GeoDataFrame(
        {"code": list(units), "name": [f"unit {c}" for c in units]},
        geometry=list(units.values()),
        crs="EPSG:4326",
    )
    path = tmp_path / "units.geojson"
    frame.to_file(path, driver="GeoJSON")
    return path


def _table(tmp_path, rows, name="census.csv"):
    path = tmp_path / name
    pd.DataFrame(rows, columns=["unit_code", "people"]).to_csv(path, index=False)
    return path


def _unit_sums(out_path, units=UNITS):
    """Grid sum over the cells whose centre lies in each unit (independent rasterising)."""
    with rasterio.open(out_path) as dataset:
        values = dataset.read(1)
        transform, shape = dataset.transform, dataset.shape
        assert dataset.dtypes[0] == "float64"
    sums = {}
    for code, geom in units.items():
        mask = rasterio.features.geometry_mask([geom], shape, transform, invert=True)
        sums[code] = float(values[mask].sum())
    return values, transform, sums


def test_uniform_spread_conserves_every_unit(tmp_path):
    zones = _zones(tmp_path)
    table = _table(tmp_path, list(COUNTS.items()))
    out = tmp_path / "pop.tif"
    with pytest.warns(MeccWarning, match="hold no cell centre"):
        report = write_census_population(
            zones,
            table,
            out,
            code_field="code",
            table_code="unit_code",
            table_value="people",
            resolution=0.1,
        )
    values, transform, sums = _unit_sums(out)
    assert report.grid.shape == (6, 10)  # 10.0..11.0 x 50.0..50.6 (edges on 0.1 multiples)
    for code in ("U1", "U2"):
        assert abs(sums[code] - COUNTS[code]) <= TOLERANCE * COUNTS[code]
    # uniform: every cell of U1 holds the same share (35 cells)
    u1 = rasterio.features.geometry_mask([UNITS["U1"]], values.shape, transform, invert=True)
    assert u1.sum() == 35
    np.testing.assert_allclose(values[u1], COUNTS["U1"] / 35, rtol=1e-12)
    # the tiny unit: all its people in the cell holding its representative point
    point = shapely.point_on_surface(UNITS["U3"])
    col, row = (int(v) for v in np.floor(~transform @ (point.x, point.y)))
    assert values[row, col] == pytest.approx(COUNTS["U3"], rel=1e-12)
    assert not u1[row, col]  # a cell in no unit (row 4 lies above every rectangle)
    assert values.sum() == pytest.approx(sum(COUNTS.values()), rel=1e-12)
    units = report.units.set_index("code")
    assert units.loc["U3", "method"] == "representative point"
    assert units.loc["U1", "method"] == "uniform"
    relative = (units["placed"] - units["table_count"]).abs() / units["table_count"]
    assert relative.max() <= TOLERANCE
    assert report.placed_total == pytest.approx(report.table_total, rel=1e-12)


def test_weighted_spread_follows_the_weights_and_conserves(tmp_path):
    zones = _zones(tmp_path)
    table = _table(tmp_path, list(COUNTS.items()))
    grid = census_grid((10.0, 50.0, 11.0, 50.54), 0.1, "EPSG:4326")
    rng = np.random.default_rng(7)
    weights = rng.random(grid.shape) * 100
    weights[:, 7:] = 0.0  # U2 (columns 7-9) has zero weight everywhere: uniform fallback
    weights[0, 0] = np.nan  # missing weight counts as 0
    weights_path = write_raster(tmp_path / "built_up.tif", weights, transform=grid.transform)
    out = tmp_path / "pop.tif"
    with pytest.warns(MeccWarning) as caught:
        report = write_census_population(
            zones,
            table,
            out,
            code_field="code",
            table_code="unit_code",
            table_value="people",
            like=weights_path,
            weights=weights_path,
        )
    assert any("zero weight" in str(w.message) for w in caught)
    values, transform, sums = _unit_sums(out)
    for code in ("U1", "U2"):
        assert abs(sums[code] - COUNTS[code]) <= TOLERANCE * COUNTS[code]
    u1 = rasterio.features.geometry_mask([UNITS["U1"]], values.shape, transform, invert=True)
    w = np.nan_to_num(weights)
    np.testing.assert_allclose(values[u1], COUNTS["U1"] * w[u1] / w[u1].sum(), rtol=1e-12)
    assert values[0, 0] == 0.0
    u2 = rasterio.features.geometry_mask([UNITS["U2"]], values.shape, transform, invert=True)
    np.testing.assert_allclose(values[u2], COUNTS["U2"] / u2.sum(), rtol=1e-12)
    methods = report.units.set_index("code")["method"]
    assert methods["U1"] == "weighted"
    assert methods["U2"] == "uniform (zero weights)"


def test_tiny_unit_alone_in_a_grid_cell(tmp_path):
    """A unit far smaller than a cell, in the middle of a larger one: its people go to the
    cell holding its representative point, the larger unit keeps exactly its own total."""
    units = {
        "BIG": shapely.box(0.0, 0.0, 1.0, 1.0),
        "TINY": shapely.box(0.41, 0.41, 0.42, 0.42),
    }
    zones = _zones(tmp_path, units)
    table = _table(tmp_path, [("BIG", 1234.5), ("TINY", 77.0)])
    out = tmp_path / "pop.tif"
    with pytest.warns(MeccWarning):
        report = write_census_population(
            zones,
            table,
            out,
            code_field="code",
            table_code="unit_code",
            table_value="people",
            resolution=0.25,
        )
    with rasterio.open(out) as dataset:
        values = dataset.read(1)
    assert values.shape == (4, 4)
    # TINY lies in cell (row 2, col 1); BIG's share there is 1234.5 / 16
    assert values[2, 1] == pytest.approx(1234.5 / 16 + 77.0, rel=1e-12)
    assert values.sum() == pytest.approx(1234.5 + 77.0, rel=1e-12)
    units_table = report.units.set_index("code")
    assert units_table.loc["TINY", "cells"] == 0
    assert units_table.loc["TINY", "placed"] == 77.0
    assert units_table.loc["BIG", "placed"] == pytest.approx(1234.5, rel=TOLERANCE)


def test_duplicates_summed_and_mismatches_reported(tmp_path):
    zones = _zones(tmp_path)
    table = _table(tmp_path, [("U1", 100.0), ("U1", 50.5), ("U2", 10.0), ("U", 999.0)], "dups.csv")
    out = tmp_path / "pop.tif"
    with pytest.warns(MeccWarning) as caught:
        report = write_census_population(
            zones,
            table,
            out,
            code_field="code",
            table_code="unit_code",
            table_value="people",
            resolution=0.1,
        )
    messages = " ".join(str(w.message) for w in caught)
    assert "summed" in messages and "match no unit" in messages and "have no row" in messages
    assert report.duplicate_codes == {"U1": 2}
    assert report.rows_without_unit == ["U"]  # a parent code (a code of no unit is refused)
    assert report.units_without_row == ["U3"]
    _, _, sums = _unit_sums(out)
    assert sums["U1"] == pytest.approx(150.5, rel=TOLERANCE)
    assert report.placed_total == pytest.approx(160.5, rel=1e-12)  # U is not on the grid
    assert report.units.set_index("code").loc["U3", "method"] == "no table row"


def test_read_census_table_refuses_bad_values(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("code,people\nA,12\nB,many\n")
    with pytest.raises(DataError, match="row 3"):
        read_census_table(path, "code", "people")
    path.write_text("code,people\nA,-1\n")
    with pytest.raises(DataError, match="negative"):
        read_census_table(path, "code", "people")
    with pytest.raises(DataError, match="no column 'pop'"):
        read_census_table(path, "code", "pop")


def test_spread_counts_conserves_many_units():
    rng = np.random.default_rng(3)
    index = rng.integers(-1, 500, size=(300, 400))
    totals = rng.random(500) * 10.0 ** rng.integers(0, 7, 500)
    weights = rng.random((300, 400)) ** 4
    for w in (None, weights):
        values, method, placed = spread_counts(index, totals, w)
        sums = np.bincount(index[index >= 0], weights=values[index >= 0], minlength=500)
        present = np.bincount(index[index >= 0], minlength=500) > 0
        assert (np.abs(sums[present] - totals[present]) <= TOLERANCE * totals[present]).all()
        assert np.allclose(placed[present], totals[present], rtol=TOLERANCE)


def test_existing_output_is_not_replaced(tmp_path):
    zones = _zones(tmp_path)
    table = _table(tmp_path, list(COUNTS.items()))
    out = tmp_path / "pop.tif"
    out.write_bytes(b"keep")
    with pytest.raises(OutputExistsError):
        write_census_population(
            zones,
            table,
            out,
            code_field="code",
            table_code="unit_code",
            table_value="people",
            resolution=0.1,
        )
    assert out.read_bytes() == b"keep"


def test_cli_from_census(tmp_path, cli):
    zones = _zones(tmp_path)
    table = _table(tmp_path, list(COUNTS.items()))
    out = tmp_path / "pop.tif"
    result = cli(
        "population",
        "from-census",
        zones,
        table,
        "--out",
        out,
        "--code-field",
        "code",
        "--table-code",
        "unit_code",
        "--table-value",
        "people",
        "--resolution",
        "0.1",
    )
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output and out.exists()
    result = cli(
        "population",
        "from-census",
        zones,
        table,
        "--out",
        tmp_path / "b.tif",
        "--code-field",
        "nope",
        "--table-code",
        "unit_code",
        "--table-value",
        "people",
        "--resolution",
        "0.1",
    )
    assert result.exit_code == 1
    assert "nope" in result.output


@pytest.mark.shared_data
def test_philippine_census_conserves_every_municipality(shared_data, tmp_path):
    """The 2015 census on the 1,647 municipality polygons at 0.02 degrees: every
    municipality keeps its total to 1e-9, checked on the written grid."""
    folder = shared_data / "philippines_haiyan"
    out = tmp_path / "population.tif"
    with pytest.warns(MeccWarning):
        report = write_census_population(
            folder / "municipalities_adm3.geojson",
            folder / "population_2015.csv",
            out,
            code_field="ADM3_PCODE",
            table_code="pcode",
            table_value="total_pop",
            resolution=0.02,
        )
    table = pd.read_csv(folder / "population_2015.csv", dtype={"pcode": str})
    assert report.table_total == table["total_pop"].sum() == 100_979_303
    assert not report.units_without_row and not report.rows_without_unit
    units = report.units.set_index("code")
    relative = (units["placed"] - units["table_count"]).abs() / units["table_count"]
    assert len(units) == 1647 and relative.max() <= TOLERANCE
    # independently, on the file: cell sums by the same cell-centre rule, plus the
    # municipalities too small for a cell centre at their representative point
    zones = gpd.read_file(folder / "municipalities_adm3.geojson")
    with rasterio.open(out) as dataset:
        values, transform = dataset.read(1), dataset.transform
    index = rasterio.features.rasterize(
        ((g, k) for k, g in enumerate(zones.geometry)),
        out_shape=values.shape,
        transform=transform,
        fill=-1,
        dtype="int32",
    )
    sums = np.bincount(index[index >= 0], weights=values[index >= 0], minlength=len(zones))
    tiny = units["method"].eq("representative point").to_numpy()
    points = shapely.point_on_surface(zones.geometry.to_numpy()[tiny])
    inv = ~transform
    for point, count in zip(points, units["table_count"].to_numpy()[tiny], strict=True):
        col, row = int(np.floor(inv.a * point.x + inv.c)), int(np.floor(inv.e * point.y + inv.f))
        k = index[row, col]
        if k >= 0:
            sums[k] -= count  # the tiny unit's people sit in a neighbour's cell
    expected = units["table_count"].to_numpy()
    got = np.where(tiny, expected, sums)
    assert (np.abs(got - expected) <= TOLERANCE * expected).all()
    assert values.sum() == pytest.approx(100_979_303, rel=1e-12)
    assert tiny.sum() == 12


def test_a_table_whose_codes_match_no_unit_is_refused(tmp_path, cli):
    """Codes in lower case (u1 for U1): the grid was written with 0 people everywhere
    and the command exited 0, with two warnings."""
    zones = _zones(tmp_path)
    table = _table(tmp_path, [(code.lower(), n) for code, n in COUNTS.items()])
    out = tmp_path / "pop.tif"
    result = cli("population", "from-census", zones, table, "--out", out,
                 "--code-field", "code", "--table-code", "unit_code",
                 "--table-value", "people", "--resolution", "0.1")  # fmt: skip
    assert result.exit_code == 1
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert line == (
        "error: census.csv: no code is a unit of units.geojson (the table has u1, u2, u3; "
        "the units have U1, U2, U3); check the code format (case, leading zeros, a country "
        "prefix)"
    )
    assert not out.exists()


def test_a_total_row_is_left_out_of_the_table_total(tmp_path):
    """A census with a "Total" row (the sum of the units' rows): the command reported a
    table of twice the people and 'people not on the grid'."""
    zones = _zones(tmp_path)
    rows = [*COUNTS.items(), ("Total", sum(COUNTS.values()))]
    table = _table(tmp_path, rows, "with_total.csv")
    with pytest.warns(MeccWarning) as caught:
        report = write_census_population(
            zones, table, tmp_path / "pop.tif", code_field="code", table_code="unit_code",
            table_value="people", resolution=0.1,
        )  # fmt: skip
    messages = [str(w.message) for w in caught]
    assert any("row Total (" in m and "read as a total and left out" in m for m in messages)
    assert not any("match no unit" in m for m in messages)
    assert report.table_total == pytest.approx(sum(COUNTS.values()), rel=1e-12)
    assert report.rows_without_unit == []


def test_a_unit_split_at_180_spreads_over_a_0_360_grid(tmp_path):
    """A -180..180 unit split at 180 degrees (as OCHA boundaries are) on a --like grid in
    0-360 longitudes (178..182 E): its people go to its cells on both sides of 180, all 16
    of them (4 x 4 cells of 0.5 degrees), 50 people each; nothing is lost."""
    split = shapely.MultiPolygon(
        [shapely.box(179.0, -17.0, 180.0, -15.0), shapely.box(-180.0, -17.0, -179.0, -15.0)]
    )
    zones = _zones(tmp_path, {"FJ": split})
    like = tmp_path / "like.tif"
    write_raster(
        like,
        np.zeros((6, 8)),
        transform=rasterio.Affine(0.5, 0, 178.0, 0, -0.5, -14.5),
    )
    out = tmp_path / "pop.tif"
    write_census_population(
        zones,
        _table(tmp_path, [("FJ", 800.0)]),
        out,
        code_field="code",
        table_code="unit_code",
        table_value="people",
        like=like,
    )
    with rasterio.open(out) as dataset:
        values = dataset.read(1)
    # rows 1-4 (latitude -15..-17), columns 2-5 (longitude 179..181)
    expected = np.zeros((6, 8))
    expected[1:5, 2:6] = 50.0
    np.testing.assert_allclose(values, expected, rtol=1e-12)
