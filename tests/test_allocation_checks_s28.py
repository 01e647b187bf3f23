"""The allocation's checks of its grid, cost and exponent, and its no-host warning.

Real runs of a small synthetic country (GeoTIFFs and a GeoPackage in tmp_path): 30 x 40
cells of 1 km (UTM 33N), units A-D of 10 columns each. 1,000 people at row 15, column 16
(unit B) are under 2 m of water (all displaced); 1,000 next to them (column 17) under
0.5 m (exposed, not displaced); safe people 2 km away (100, column 18, B), 4 km (300,
column 20, C), 6 km (500, column 22, C) and far (50 at row 2, column 2, A).
"""

from __future__ import annotations

import json
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import yaml
from affine import Affine
from shapely.geometry import box

from mecc.allocation import AllocationSettings, check_cost
from mecc.errors import ConfigError
from mecc.grid import GridSpec
from mecc.run import run_country
from tests.conftest import write_raster

H, W = 30, 40
X0, Y0 = 500000.0, 5330000.0
TRANSFORM = Affine(1000, 0, X0, 0, -1000, Y0)
UNITS = {"A": (0, 10), "B": (10, 20), "C": (20, 30), "D": (30, 40)}
FLOODED = (15, 16)
SAFE = {(15, 18): 100.0, (15, 20): 300.0, (15, 22): 500.0, (2, 2): 50.0}
NODATA = -9999.0


def _country(folder, allocation, nodata_where_dry=False):
    pop = np.zeros((H, W), "float32")
    depth = np.zeros((H, W), "float32")
    if nodata_where_dry:  # dry cells stored as no data: only the flood has values
        depth[:] = NODATA
    pop[FLOODED], depth[FLOODED] = 1000, 2.0
    pop[15, 17], depth[15, 17] = 1000, 0.5
    for cell, people in SAFE.items():
        pop[cell] = people
    write_raster(folder / "pop.tif", pop, TRANSFORM, crs="EPSG:32633", nodata=-1)
    write_raster(folder / "flood.tif", depth, TRANSFORM, crs="EPSG:32633", nodata=NODATA)
    geometries = [box(X0 + a * 1000, Y0 - H * 1000, X0 + b * 1000, Y0) for a, b in UNITS.values()]
    codes = list(UNITS)
    gpd.GeoDataFrame({"code": codes, "name": codes}, geometry=geometries, crs=32633).to_file(
        folder / "z.gpkg", layer="z"
    )
    config = {
        "country": "AUT",
        "population": {"path": "pop.tif", "kind": "count"},
        "zones": {"path": "z.gpkg", "layer": "z", "code_field": "code", "level": 1},
        "hazards": [
            {
                "id": "fl",
                "type": "river_flood",
                "curve": "flood_step_1m",
                "exposure_threshold": 0.1,
                "intensity": "flood.tif",
                "scenario": "test",
            }
        ],
        "mobility": {"allocation": allocation},
    }
    (folder / "run.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return folder / "run.yaml"


def _run(tmp_path, allocation, **kwargs):
    run_country(_country(tmp_path, allocation, **kwargs), tmp_path / "run", with_map=False)
    table = pd.read_csv(tmp_path / "run" / "allocation.csv", encoding="utf-8-sig")
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    return table.set_index("zone_code"), manifest["warnings"]


def test_a_radius_beyond_the_country_is_counted_within_the_grid_and_allocates(tmp_path):
    """1 km cells and a 1,000 km radius on a 30 x 40 km grid: at most 1,200 x 1,200
    distance checks; it was refused for "about 4.8e+09"."""
    hosts, _ = _run(tmp_path, {"radius_km": 1000, "exponent": 2, "cell_km": 1})
    # every safe cell is within reach: shares safe x d^-2 (d in km between cell centres)
    share = {
        cell: people * math.hypot(cell[0] - FLOODED[0], cell[1] - FLOODED[1]) ** -2
        for cell, people in SAFE.items()
    }
    total = sum(share.values())
    expected = {
        "A": share[(2, 2)],
        "B": share[(15, 18)],
        "C": share[(15, 20)] + share[(15, 22)],
        "D": 0.0,
    }
    for code, value in expected.items():
        assert hosts.loc[code, "hosted"] == pytest.approx(1000 * value / total, rel=1e-6)
    assert hosts.loc["B", "displaced"] == pytest.approx(1000)
    assert hosts["no_host"].sum() == pytest.approx(0, abs=1e-9)


def test_a_costly_allocation_is_refused_with_the_run_file_key_and_its_count():
    # 100 m cells over 4,000 km, cells of 8 x 100 m and a 100 km radius: 5,000 x 5,000
    # cells, each reaching (2 x 100 / 0.8 + 3)^2 = 253^2 cells
    grid = GridSpec("EPSG:3857", Affine(100, 0, 0, 0, -100, 0), 40_000, 40_000)
    label = "run.yaml.mobility.allocation"
    settings = AllocationSettings.from_spec({"radius_km": 100, "cell_km": 1}, label)
    expected = f"{5000 * 5000 * 253**2:.2g}"
    with pytest.raises(ConfigError) as error:
        check_cost(grid, 8, settings)
    assert str(error.value).startswith(f"{label}: cells of 0.8 km with a 100 km radius")
    assert f"need about {expected} distance checks per band" in str(error.value)


def test_allocation_cells_as_large_as_the_grid_are_refused(tmp_path):
    """A 500 km cell on a 30 x 40 km grid made one coarse cell: everyone displaced was
    "hosted" in it, in the unit holding most of its cells, however flooded."""
    with pytest.raises(ConfigError) as error:
        run_country(
            _country(tmp_path, {"radius_km": 1000, "exponent": 2, "cell_km": 500}),
            tmp_path / "run",
            with_map=False,
        )
    message = str(error.value)
    assert message.startswith("run.yaml.mobility.allocation.cell_km: ")
    assert "leave 1 x 1 cell over the 30 x 40 km grid" in message
    # 16 km cells: ceil(30 / 16) = 2 rows, ceil(40 / 16) = 3 columns; 32 km: 1 row
    assert message.endswith("give cell_km: 16 or less (at least 2 cells each way)")
    assert "\n" not in message


def test_the_largest_allocation_cell_named_is_accepted():
    grid = GridSpec("EPSG:32633", TRANSFORM, W, H)
    label = "run.yaml.mobility.allocation"
    check_cost(grid, 16, AllocationSettings.from_spec({"radius_km": 1000, "cell_km": 16}, label))
    with pytest.raises(ConfigError, match=r"leave 1 x 2 cells .* give cell_km: 16 or less"):
        check_cost(
            grid, 32, AllocationSettings.from_spec({"radius_km": 1000, "cell_km": 32}, label)
        )


def test_no_host_warning_names_people_without_hazard_data(tmp_path):
    """Dry cells stored as no data: the safe people have no hazard data, so no one can
    host; the warning said everyone within reach "is exposed to the hazard"."""
    hosts, warned = _run(
        tmp_path, {"radius_km": 5, "exponent": 2, "cell_km": 1}, nodata_where_dry=True
    )
    assert hosts["no_host"].sum() == pytest.approx(1000)
    (line,) = [w for w in warned if "have no host" in w]
    assert "1,000 of 1,000 displaced people (100%) have no host within the 5 km radius" in line
    assert "exposed to the hazard or without hazard data there" in line
    # the people on cells without data: all the safe ones (the two flooded cells have data)
    people = f"{sum(SAFE.values()):,.0f}"
    assert f"; {people} people in this band have no hazard data" in line


def test_no_host_warning_says_exposed_when_everyone_has_hazard_data(tmp_path):
    # a 1.5 km radius reaches only the exposed neighbour (1 km); the safe people are 2 km away
    hosts, warned = _run(tmp_path, {"radius_km": 1.5, "exponent": 2, "cell_km": 0.5})
    assert hosts["no_host"].sum() == pytest.approx(1000)
    (line,) = [w for w in warned if "have no host" in w]
    assert "(everyone within reach of them is exposed to the hazard); allocation.csv" in line


def test_an_exponent_whose_weights_underflow_is_refused(tmp_path):
    """exponent 1100: 2 km^-1100 rounds to 0, so everyone had "no host" though 100
    safe people were 2 km away."""
    with pytest.raises(ConfigError) as error:
        run_country(
            _country(tmp_path, {"radius_km": 5, "exponent": 1100, "cell_km": 1}),
            tmp_path / "run",
            with_map=False,
        )
    message = str(error.value)
    assert message.startswith("run.yaml.mobility.allocation.exponent: 1100 ")
    # weights from 0.5 km (half a cell) to 5 km: 5^-e stays above 1e-250 for e <= 357.7
    assert f"give exponent: {math.floor(250 / math.log10(5))} or less" in message
    assert "\n" not in message


def test_a_large_exponent_that_fits_sends_people_to_the_nearest_safe_place(tmp_path):
    hosts, _ = _run(tmp_path, {"radius_km": 5, "exponent": 300, "cell_km": 1})
    # 100 x 2^-300 against 300 x 4^-300: all but 3 x 2^-300 of them to the nearest
    assert hosts.loc["B", "hosted"] == pytest.approx(1000, rel=1e-12)
    assert hosts["no_host"].sum() == 0
