"""Sea-level rise (people at risk of planned relocation) and drought exposure in runs.

A hand-built coast: the sea on the left, a low coastal plain connected to it, a ridge,
and an inland depression below sea level that the sea cannot reach.
"""

from __future__ import annotations

import numpy as np
import pytest
from affine import Affine

from mecc.errors import ConfigError, DataError
from mecc.run import run_country

T = Affine(0.01, 0, 20.0, 0, -0.01, 40.0)
# the sea (left), a coastal plain, a 4 m ridge, a hollow below sea level enclosed by land
DEM = np.array(
    [
        [-5.0, 2.0, 2.0, 4.0, 3.0, 3.0, 3.0],
        [-5.0, 0.4, 1.2, 4.0, -0.5, -0.2, 3.0],
        [-5.0, 0.6, 0.9, 4.0, -0.8, 0.1, 3.0],
        [-5.0, 1.8, 2.4, 4.0, -0.3, 0.5, 3.0],
        [-5.0, 2.0, 2.0, 4.0, 3.0, 3.0, 3.0],
    ]
)
PEOPLE = np.array(
    [
        [0.0, 1.0, 1.0, 5.0, 7.0, 7.0, 7.0],
        [0.0, 10.0, 20.0, 5.0, 100.0, 100.0, 7.0],
        [0.0, 30.0, 40.0, 5.0, 100.0, 100.0, 7.0],
        [0.0, 50.0, 60.0, 5.0, 100.0, 100.0, 7.0],
        [0.0, 1.0, 1.0, 5.0, 7.0, 7.0, 7.0],
    ]
)


@pytest.fixture
def coast(tmp_path, raster_writer):
    raster_writer("dem.tif", DEM, transform=T)
    raster_writer("pop.tif", PEOPLE, transform=T)
    raster_writer(
        "spei.tif", np.array([[-0.5, -1.2, -1.6, -2.5, np.nan, 0.3, -1.0]] * 5), transform=T
    )
    return tmp_path


def _run(folder, hazard, name="run"):
    (folder / f"{name}.yaml").write_text(
        "country: XXS\npopulation: {path: pop.tif}\nhazards:\n" + hazard
    )
    return run_country(folder / f"{name}.yaml", folder / f"out_{name}").summary["hazards"]


SLR = (
    "  - id: slr\n    type: sea_level_rise\n    dem: dem.tif\n    dem_datum: EGM2008\n"
    "    high_tide: 0.5\n    tide_datum: MSL\n    slr: 0.6\n    slr_baseline: MSL\n"
)


def test_permanent_inundation_reaches_only_connected_land(coast):
    hazards = _run(coast, SLR + "    datum_offsets: {MSL: 0.2}\n")
    item = hazards["slr"]
    # water level: high tide 0.5 m in MSL + MSL -> EGM2008 offset 0.2 m + rise 0.6 m = 1.3 m;
    # connected cells strictly below it: the plain's 0.4, 1.2, 0.6 and 0.9 m cells
    assert item["at_risk_relocation"] == pytest.approx(10 + 20 + 30 + 40)
    # the hollow below sea level (300 people a column) is enclosed: never counted
    # DEM lowered by 1 m: the 1.8 m cell and the four 2.0 m cells join (ground < 2.3 m)
    assert item["at_risk_relocation_high"] == pytest.approx(10 + 20 + 30 + 40 + 50 + 4)
    # DEM raised by 1 m: no plain cell is below 0.3 m
    assert item["at_risk_relocation_low"] == 0.0
    assert "1.300 m" in item["water_level"]
    assert "planned relocation" in item["label"]


def test_datum_mismatch_without_an_offset_is_refused(coast):
    with pytest.raises(DataError, match="differs from the DEM's datum 'EGM2008' and no offset"):
        _run(coast, SLR, "nooffset")


def test_rise_counted_from_another_baseline(coast):
    hazards = _run(
        coast,
        SLR.replace("slr_baseline: MSL", "slr_baseline: MSL2005")
        + "    datum_offsets: {MSL: 0.2, MSL2005: -0.5}\n",
        "baseline",
    )
    # level = high tide 0.5 + offset 0.2 + rise 0.6 = 1.3 m (the rise is a change of sea level,
    # the same in every datum: the baseline's offset is not added)
    assert hazards["slr"]["at_risk_relocation"] == pytest.approx(10 + 20 + 30 + 40)


def test_drought_people_by_severity_class(coast):
    hazards = _run(
        coast,
        "  - {id: dry, type: drought, intensity: spei.tif, unit: SPEI, scenario: 2022 drought}\n",
        "drought",
    )
    item = hazards["dry"]
    column = PEOPLE.sum(axis=0)  # people per column (each row has one SPEI per column)
    # deficits (-SPEI): 0.5 none, 1.2 moderate, 1.6 severe, 2.5 extreme, NaN, -0.3 none, 1.0 moderate
    assert item["classes"] == {
        "moderate": pytest.approx(column[1] + column[6]),
        "severe": pytest.approx(column[2]),
        "extreme": pytest.approx(column[3]),
    }
    assert item["exposed"] == pytest.approx(column[1] + column[2] + column[3] + column[6])
    assert item["population_no_hazard_data"] == pytest.approx(column[4])
    with pytest.raises(ConfigError, match="exposure only"):
        _run(
            coast,
            "  - {id: dry, type: drought, intensity: spei.tif, scenario: s, curve: flood_step_1m}\n",
            "bad",
        )


def test_sites_in_a_drought_are_counted_per_severity_class(coast):
    """sites.csv named a drought's severity-class counts `dry_displaced`, `dry_displaced_
    severe`...: people in sites are exposed to a drought class, not displaced."""
    import pandas as pd

    lon, lat = T @ (2.5, 1.5)  # column 2 (deficit 1.6: severe), row 1
    (coast / "sites.csv").write_text(
        f"site_name,lat,lon,individuals\ncamp,{lat},{lon},40\n", encoding="utf-8"
    )
    (coast / "run.yaml").write_text(
        "country: XXS\npopulation: {path: pop.tif}\nhazards:\n"
        "  - {id: dry, type: drought, intensity: spei.tif, unit: SPEI, scenario: 2022 drought}\n"
        "mobility: {sites: {path: sites.csv, in_population_grid: false}}\n"
    )
    run_country(coast / "run.yaml", coast / "out", with_map=False)
    sites = pd.read_csv(coast / "out" / "sites.csv", encoding="utf-8-sig")
    site = sites.iloc[0]
    assert (site["dry_drought_moderate"], site["dry_drought_severe"]) == (0.0, 40.0)
    assert site["dry_drought_extreme"] == 0.0
    assert not [c for c in sites.columns if c.startswith("dry_displaced")]
