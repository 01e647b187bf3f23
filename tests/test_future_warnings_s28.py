"""A future's inputs get the warnings and errors the baseline's get.

A real run of a small synthetic country (GeoTIFFs and a GeoPackage in tmp_path): 10 x 20
cells, cell (row r, column c) holding 100 + c people; units W (columns 0-7), M (8-15)
and E (16-19); population year 2020; a coastal-flood scenario ``sc`` (period 2011-2030)
of 2 m everywhere. Its futures:

- ``half``: ``sc`` on a map of columns 0-11 only: columns 12-19 have no hazard data;
- ``old``: ``sc`` for 1951-1970 with the baseline population (year 2020: 50 years off);
- ``holes``: a population grid (2050) that is nodata over the whole of unit E.

A future population grid's errors name the run file, as the baseline's do.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
import yaml
from affine import Affine
from shapely.geometry import box

from mecc.errors import DataError, InputFileError
from mecc.run import run_country
from tests.conftest import write_raster

CELL = 0.01
TRANSFORM = Affine(CELL, 0, 30.0, 0, -CELL, 0.1)
ROWS, COLS = 10, 20
UNITS = {"W": (0, 8), "M": (8, 16), "E": (16, 20)}
COVERED = 12  # columns of the future map of ``half``
PEOPLE = np.tile(100.0 + np.arange(COLS), (ROWS, 1)).astype("float32")


def _column_people(a: int, b: int) -> float:
    """People of columns a..b-1: 10 rows of (100 + c) each."""
    return float(ROWS * sum(100 + c for c in range(a, b)))


def _country(folder, futures) -> object:
    write_raster(folder / "pop.tif", PEOPLE, TRANSFORM, nodata=-1)
    write_raster(
        folder / "full.tif", np.full((ROWS, COLS), 2.0, "float32"), TRANSFORM, nodata=-9999
    )
    small = np.full((ROWS, COVERED), 2.0, "float32")  # ends at column 11
    write_raster(folder / "small.tif", small, TRANSFORM, nodata=-9999)
    holes = PEOPLE * 1.5
    holes[:, UNITS["E"][0] :] = -1  # nodata over all of E
    write_raster(folder / "holes.tif", holes, TRANSFORM, nodata=-1)
    geometries = [box(30.0 + a * CELL, 0.0, 30.0 + b * CELL, 0.1) for a, b in UNITS.values()]
    codes = list(UNITS)
    names = [f"Unit {code}" for code in codes]
    frame = gpd.GeoDataFrame({"code": codes, "name": names}, geometry=geometries, crs=4326)
    frame.to_file(folder / "z.gpkg", layer="z")
    config = {
        "country": "VUT",
        "population": {"path": "pop.tif", "kind": "count", "year": 2020},
        "zones": {"path": "z.gpkg", "layer": "z", "code_field": "code", "name_field": "name"},
        "hazards": [
            {
                "id": "sc",
                "type": "coastal_flood",
                "curve": "flood_step_1m",
                "intensity": "full.tif",
                "scenario": "test",
                "period": "2011-2030",
            }
        ],
        "futures": futures,
    }
    path = folder / "run.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def said(tmp_path_factory) -> list[str]:
    """The warnings manifest.json records for a run with the three futures."""
    folder = tmp_path_factory.mktemp("future_warnings")
    futures = [
        {"id": "half", "hazards": {"sc": {"intensity": "small.tif"}}},
        {"id": "old", "hazards": {"sc": {"intensity": "full.tif", "period": "1951-1970"}}},
        {"id": "holes", "population": {"path": "holes.tif", "year": 2050}},
    ]
    run_country(_country(folder, futures), folder / "out", with_map=False)
    return json.loads((folder / "out" / "manifest.json").read_text())["warnings"]


def test_a_future_hazard_map_smaller_than_the_country_is_warned(said):
    total = _column_people(0, COLS)  # 20 columns of 100..119 people, 10 rows
    missing = _column_people(COVERED, COLS)  # columns 12-19
    assert (total, missing) == (21_900.0, 9_240.0)
    lines = [w for w in said if w.startswith("hazards.sc@half: ")]
    assert len(lines) == 1, said
    assert lines[0].startswith(
        f"hazards.sc@half: {missing:,.0f} people ({missing / total:.0%} of the {total:,.0f} "
        "on the analysis grid) are on cells without hazard data"
    )
    assert "42%" in lines[0]
    assert "this future's figures count them as not displaced" in lines[0]
    # the baseline map covers everything: no such warning of its own
    assert not [w for w in said if w.startswith("hazards.sc: ")], said


def test_a_future_period_is_checked_against_the_baseline_population_year(said):
    lines = [w for w in said if "hazards.sc@old.period" in w]
    assert lines == [
        "futures.old: hazards.sc@old.period 1951-1970 is 50 years from the population year "
        "2020 (the baseline population's: the future gives none)"
    ], said
    assert not [w for w in said if "hazards.sc.period" in w]  # 2011-2030 holds 2020


def test_a_future_population_grid_without_people_in_a_unit_is_warned(said):
    people_e = _column_people(*UNITS["E"])  # columns 16-19 in the baseline
    assert people_e == 4_700.0
    lines = [w for w in said if w.startswith("futures.holes: ")]
    assert len(lines) == 1, said
    assert "no people (nodata or 0 on every cell) in 1 unit(s)" in lines[0]
    assert f"Unit E (E, {people_e:,.0f} people in the baseline)" in lines[0]
    assert "run.yaml.futures[2].population.path (holes.tif)" in lines[0]
    assert "Unit W" not in lines[0] and "Unit M" not in lines[0]


def test_a_missing_future_population_grid_names_the_run_file(tmp_path):
    path = _country(tmp_path, [{"id": "x", "population": {"path": "nothere.tif"}}])
    with pytest.raises(InputFileError) as error:
        run_country(path, tmp_path / "out", with_map=False)
    assert str(error.value) == (
        f"run.yaml.futures[0].population.path: file not found ({tmp_path / 'nothere.tif'})"
    )


def test_a_future_population_grid_of_part_of_the_area_names_the_run_file(tmp_path):
    path = _country(tmp_path, [{"id": "x", "population": {"path": "west.tif"}}])
    write_raster(tmp_path / "west.tif", PEOPLE[:, :10], TRANSFORM, nodata=-1)
    with pytest.raises(DataError) as error:
        run_country(path, tmp_path / "out", with_map=False)
    assert str(error.value).startswith("run.yaml.futures[0].population.path (west.tif): covers")
