"""Bad inputs refused or warned of in one line: infinite population, cohort and attribute
shares above 1 or far from adding up to 1, invalid and overlapping admin units, the site
list's run-file key, empty column names."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from affine import Affine
from rasterio.windows import Window
from shapely.geometry import Polygon, box

from exposure.cohorts import SHARE_SUM_TOLERANCE, cohort_shares, read_zone_table
from exposure.dtm import read_dtm_sites
from exposure.population import PopulationGrid
from exposure.zones import read_zone_level
from mecc.errors import ConfigError, DataError, InputFileError, MeccWarning
from mecc.grid import GridSpec

LABEL = "run.yaml.population.path (pop.tif)"


def _people(shape=(6, 8)):
    """People per cell, all different, so a position or a sum tells which cells count."""
    return np.arange(1, shape[0] * shape[1] + 1, dtype=np.float64).reshape(shape)


# ------------------------------------------------------------------ 1. infinities


@pytest.mark.parametrize("value", [np.inf, -np.inf])
def test_infinite_population_is_refused_naming_file_band_and_cell(raster_writer, value):
    values = _people()
    values[4, 5] = value
    path = raster_writer("pop.tif", values, dtype="float64")
    reader = PopulationGrid(path, "count", label=LABEL)
    with pytest.raises(DataError) as caught:
        reader.prepare(reader.native_grid)
    message = str(caught.value)
    assert message.startswith(LABEL)
    assert "band 1" in message and "infinite" in message
    assert "row 4, column 5" in message
    assert "\n" not in message


def test_infinity_refused_on_the_engine_read_path_too(raster_writer):
    """With ``scan=False`` the file is first read by the engine: the read refuses it."""
    values = _people()
    values[0, 7] = np.inf
    path = raster_writer("pop.tif", values, dtype="float32")
    reader = PopulationGrid(path, "count", label=LABEL)
    reader.prepare(reader.native_grid, scan=False)
    with pytest.raises(DataError, match=r"row 0, column 7"):
        reader.read(Window(0, 0, 8, 6))


def test_infinity_in_a_south_up_file_names_the_files_own_row(raster_writer):
    values = _people()
    values[1, 2] = np.inf  # the file's own row 1 (counted from its first, southern row)
    path = raster_writer(
        "pop.tif", values, dtype="float64", transform=Affine(0.1, 0, 10.0, 0, 0.1, 49.4)
    )
    reader = PopulationGrid(path, "count", label=LABEL)
    # centre: 10.0 + 2.5 x 0.1, 49.4 + 1.5 x 0.1
    with pytest.raises(
        DataError, match=r"row 1, column 2 \(cell centre longitude 10\.25, latitude 49\.55"
    ):
        reader.prepare(reader.native_grid)


def test_declared_infinite_nodata_stays_nodata(raster_writer):
    values = _people()
    values[2, 3] = np.inf
    expected = values[np.isfinite(values)].sum()  # by hand: every cell but the declared one
    path = raster_writer("pop.tif", values, dtype="float64", nodata=np.inf)
    reader = PopulationGrid(path, "count", label=LABEL)
    report = reader.prepare(reader.native_grid)
    assert report["total_native"] == pytest.approx(expected)
    # or declared in the run file (population.nodata)
    path = raster_writer("pop2.tif", values, dtype="float64")
    reader = PopulationGrid(path, "count", label=LABEL, nodata=float("inf"))
    assert reader.prepare(reader.native_grid)["total_native"] == pytest.approx(expected)


def test_extreme_finite_sentinel_is_still_masked(raster_writer):
    """WorldPop's -3.4e38 stays nodata (the README's convention): only infinities are new."""
    values = _people().astype(np.float32)
    values[3, 3] = np.float32(-3.4028235e38)
    expected = float(_people().sum() - _people()[3, 3])
    path = raster_writer("pop.tif", values, dtype="float32")
    reader = PopulationGrid(path, "count", label=LABEL)
    assert reader.prepare(reader.native_grid)["total_native"] == pytest.approx(expected)


def test_infinity_on_another_grid_is_refused(raster_writer):
    """Resampled onto a coarser grid (area weighting), the scan refuses it as well."""
    values = _people()
    values[5, 0] = np.inf
    path = raster_writer("pop.tif", values, dtype="float64")
    reader = PopulationGrid(path, "count", label=LABEL)
    target = GridSpec("EPSG:4326", Affine(0.2, 0, 10.0, 0, -0.2, 50.0), 4, 3)
    with pytest.raises(DataError, match="infinite population"):
        reader.prepare(target)


# ------------------------------------------------------------------ 2. shares

COHORTS = ["female_0_14", "female_15_64", "male_0_14", "male_15_64"]


def _shares(rows):
    return pd.DataFrame(rows, columns=COHORTS, index=[f"Z{i}" for i in range(len(rows))])


def test_cohort_share_above_one_is_refused_naming_column_zone_and_row():
    table = _shares([[0.2, 0.3, 0.2, 0.3], [1.5, 0.3, 0.2, 0.3], [0.25, 0.25, 0.25, 0.25]])
    with pytest.raises(DataError) as caught:
        cohort_shares(table, "run.yaml.population.cohorts (c.csv)")
    message = str(caught.value)
    assert message.startswith("run.yaml.population.cohorts (c.csv).female_0_14: 1.5")
    assert "zone Z1" in message and "data row 2" in message


def test_cohort_shares_far_from_one_warn_naming_the_zones_then_renormalise():
    rows = [[0.2, 0.3, 0.2, 0.3], [0.3, 0.3, 0.2, 0.3], [0.1, 0.2, 0.1, 0.2]]
    table = _shares(rows)
    with pytest.warns(MeccWarning) as caught:
        shares = cohort_shares(table, "run.yaml.population.cohorts (c.csv)")
    (message,) = [str(w.message) for w in caught]
    assert "2 zone(s)" in message and "Z1 1.1" in message and "Z2 0.6" in message
    assert "Z0" not in message
    # renormalised by hand: Z1 = [0.3, 0.3, 0.2, 0.3] / 1.1
    assert shares.loc["Z1"].to_numpy() == pytest.approx(np.array([0.3, 0.3, 0.2, 0.3]) / 1.1)


def test_cohort_shares_within_the_tolerance_do_not_warn():
    off = 1 + SHARE_SUM_TOLERANCE / 2
    table = _shares([[0.25, 0.25, 0.25, 0.25], [0.25 * off, 0.25, 0.25, 0.25 + 0.25 * (off - 1)]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cohort_shares(table, "cohorts")


def test_cohort_counts_are_not_shares():
    """A table of counts (values above 1) is normalised without a refusal or a warning."""
    table = _shares([[120.0, 300.0, 110.0, 290.0], [15.0, 40.0, 14.0, 41.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        shares = cohort_shares(table, "cohorts")
    assert shares.loc["Z1", "male_15_64"] == pytest.approx(41.0 / 110.0)


def _table(tmp_path, text):
    path = tmp_path / "t.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_attribute_share_above_one_is_refused_naming_column_zone_and_row(tmp_path):
    path = _table(tmp_path, "pcode,disability,poverty\nA,0.1,0.3\nB,0.2,1.5\n")
    label = "run.yaml.population.attributes (t.csv)"
    with pytest.raises(DataError) as caught:
        read_zone_table(path, "pcode", ["disability", "poverty"], label)
    message = str(caught.value)
    assert message.startswith(f"{label}.poverty: 1.5 for zone B (data row 2)")
    assert "zone B" in message and "data row 2" in message


def test_attribute_shares_overlap_so_no_sum_rule(tmp_path):
    """Disability 0.9 and poverty 0.9 in one zone: both shares, no refusal, no warning."""
    path = _table(tmp_path, "pcode,disability,poverty\nA,0.9,0.9\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = read_zone_table(
            path, "pcode", ["disability", "poverty"], "run.yaml.population.attributes (t.csv)"
        )
    assert table.loc["A"].tolist() == [0.9, 0.9]


def test_values_above_one_stay_allowed_in_other_tables(tmp_path):
    path = _table(tmp_path, "pcode,population\nA,1500\n")
    table = read_zone_table(path, "pcode", ["population"], "run.yaml.population.official (t.csv)")
    assert table.loc["A", "population"] == 1500.0


# ------------------------------------------------------------------ 5. empty names


def test_empty_code_column_names_the_key(tmp_path):
    path = _table(tmp_path, "pcode,population\nA,1500\n")
    with pytest.raises(ConfigError) as caught:
        read_zone_table(path, "", ["population"], "run.yaml.population.official (t.csv)")
    message = str(caught.value)
    assert message.startswith("run.yaml.population.official.code_column: ")
    assert "empty" in message and "(t.csv)" in message


def test_empty_value_column_names_the_key(tmp_path):
    path = _table(tmp_path, "pcode,population\nA,1500\n")
    with pytest.raises(ConfigError, match=r"^run\.yaml\.population\.official\.value_column: "):
        read_zone_table(path, "pcode", [" "], "run.yaml.population.official (t.csv)")
    with pytest.raises(ConfigError, match=r"^run\.yaml\.population\.cohorts\.columns: "):
        read_zone_table(path, "pcode", ["population", ""], "run.yaml.population.cohorts (t.csv)")


# ------------------------------------------------------------------ 4. the site list

SITES = "run.yaml.mobility.sites (sites.csv)"


@pytest.mark.parametrize(
    "content, words",
    [
        (None, "not found"),
        (b"", "empty"),
        (b"name,lat,lon,individuals\nCamp \xe9,1.0,2.0,30\n", "not UTF-8"),
        (b"name,lat,lon,individuals\nA,1.0,2.0,30\nB,1,2,3,4,5,6,7,8\n", "cannot read"),
    ],
    ids=["missing", "empty", "latin1", "ragged"],
)
def test_site_list_errors_name_the_run_file_key(tmp_path, content, words):
    path = tmp_path / "sites.csv"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises((InputFileError, DataError)) as caught:
        read_dtm_sites(path, label=SITES)
    message = str(caught.value)
    assert message.startswith(f"{SITES}: ") and words in message


def test_site_list_in_a_missing_workbook_names_the_key(tmp_path):
    with pytest.raises(InputFileError, match=r"^run\.yaml\.mobility\.sites \(sites\.xlsx\): "):
        read_dtm_sites(tmp_path / "sites.xlsx", label="run.yaml.mobility.sites (sites.xlsx)")


# ------------------------------------------------------------------ 3. admin shapes


def _level(tmp_path, shapes, codes):
    frame = gpd.GeoDataFrame({"pcode": codes}, geometry=shapes, crs="EPSG:4326")
    frame.to_file(tmp_path / "admin.gpkg", layer="districts", driver="GPKG")
    spec = {"path": "admin.gpkg", "code_field": "pcode", "layer": "districts", "level": 2}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        level = read_zone_level(spec, tmp_path, "zones[1]")
    return level, [str(w.message) for w in caught if issubclass(w.category, MeccWarning)]


def test_invalid_geometry_is_repaired_naming_unit_and_reason(tmp_path):
    bowtie = Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])  # crosses itself at (1, 1)
    level, messages = _level(tmp_path, [box(3, 0, 5, 2), bowtie], ["A", "B"])
    (repair,) = [m for m in messages if "repaired" in m]
    assert repair.startswith("zones[1]: repaired 1 invalid geometry")
    assert "B: Self-intersection[1 1]" in repair and "A" not in repair.split("(")[1]
    assert level.geometry.is_valid.all()
    assert level.geometry.iloc[1].area == pytest.approx(2.0)  # two triangles of 1 each


def test_overlapping_units_of_a_level_are_named(tmp_path):
    shapes = [box(0, 0, 2, 2), box(2, 0, 4, 2), box(1.5, 0, 3, 1)]  # C overlaps A and B
    level, messages = _level(tmp_path, shapes, ["A", "B", "C"])
    (overlap,) = [m for m in messages if "overlap" in m]
    assert "2 pair(s)" in overlap and "A/C" in overlap and "B/C" in overlap
    assert "A/B" not in overlap  # A and B only touch
