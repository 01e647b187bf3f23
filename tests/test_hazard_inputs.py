"""Hazard inputs in runs: wind averaging and units converted with stated factors, hazards
of the same event combined per cell, curves checked against the hazard type."""

from __future__ import annotations

import json

import numpy as np
import pytest
import rasterio

from mecc.errors import ConfigError
from mecc.run import run_country


def _run(tmp_path, hazard_yaml, name="run"):
    (tmp_path / f"{name}.yaml").write_text(
        "country: XXC\npopulation: {path: pop.tif}\nhazards:\n" + hazard_yaml
    )
    result = run_country(tmp_path / f"{name}.yaml", tmp_path / f"out_{name}")
    manifest = json.loads((result.out_dir / "manifest.json").read_text())
    return result.summary["hazards"], manifest


@pytest.fixture
def scene(raster_writer):
    people = np.array([[100.0, 200.0, 300.0], [400.0, 500.0, 600.0]])
    wind_10min = np.array([[20.0, 30.0, 40.0], [50.0, 60.0, 70.0]])  # m/s, 10-minute means
    surge = np.array([[0.0, 0.2, 1.2], [np.nan, 0.6, 2.0]])  # m
    raster_writer("pop.tif", people)
    raster_writer("wind10.tif", wind_10min)
    raster_writer("wind_kt.tif", wind_10min * 3600 / 1852)  # the same winds in knots
    raster_writer("surge.tif", surge)
    return people, wind_10min, surge


SSHWS = np.array([64, 83, 96, 113, 137]) * 1852 / 3600  # NHC 1-min limits, m/s
RATES = np.array([0.15, 0.65, 0.90, 0.99, 1.0])


def sshws_share(one_minute):
    k = np.searchsorted(SSHWS, one_minute, side="right") - 1
    return np.where(k >= 0, RATES[np.clip(k, 0, 4)], 0.0)


def test_ten_minute_winds_are_converted_with_the_stated_factor(tmp_path, scene):
    people, wind, _ = scene
    hazards, manifest = _run(
        tmp_path,
        "  - {id: tc, type: tropical_cyclone, intensity: wind10.tif, scenario: s,\n"
        "     averaging: 10-min, curve: sshws_inasafe}\n",
    )
    one_minute = wind / 0.93  # Harper et al. (2010), at sea
    assert hazards["tc"]["displaced"] == pytest.approx(
        float((people * sshws_share(one_minute)).sum())
    )
    assert hazards["tc"]["exposed"] == pytest.approx(float(people[one_minute >= 17.5].sum()))
    assert "0.93" in manifest["parameters"]["hazards"]["tc"]["conversion"]
    # knots and 10-minute means together: both factors applied
    hazards_kt, manifest_kt = _run(
        tmp_path,
        "  - {id: tc, type: tropical_cyclone, intensity: wind_kt.tif, scenario: s, unit: kt,\n"
        "     averaging: 10-min, curve: sshws_inasafe}\n",
        name="knots",
    )
    assert hazards_kt["tc"]["displaced"] == pytest.approx(hazards["tc"]["displaced"], rel=1e-9)
    assert "kt" in manifest_kt["parameters"]["hazards"]["tc"]["conversion"]


def test_gusts_need_a_stated_factor(tmp_path, scene):
    with pytest.raises(ConfigError, match="gust grids need gust_factor"):
        _run(
            tmp_path,
            "  - {id: tc, type: tropical_cyclone, intensity: wind10.tif, scenario: s,\n"
            "     averaging: gust, curve: sshws_inasafe}\n",
        )
    people, wind, _ = scene
    hazards, _ = _run(
        tmp_path,
        "  - {id: tc, type: tropical_cyclone, intensity: wind10.tif, scenario: s,\n"
        "     averaging: gust, gust_factor: inland, curve: sshws_inasafe}\n",
        name="gust",
    )
    assert hazards["tc"]["displaced"] == pytest.approx(
        float((people * sshws_share(wind / 1.49)).sum())
    )


@pytest.mark.parametrize("combine", ["max", "independent"])
def test_wind_and_surge_combine_per_cell(tmp_path, scene, combine):
    people, wind, surge = scene
    hazards, _ = _run(
        tmp_path,
        "  - id: storm\n    type: tropical_cyclone\n    scenario: Storm X\n"
        f"    combine: {combine}\n    components:\n"
        "      - {type: tropical_cyclone, intensity: wind10.tif, averaging: 10-min, curve: sshws_inasafe}\n"
        "      - {type: coastal_flood, intensity: surge.tif, curve: flood_step_1m}\n",
        name=combine,
    )
    wind_share = sshws_share(wind / 0.93)
    surge_share = np.where(np.isnan(surge), 0.0, (np.nan_to_num(surge) >= 1.0).astype(float))
    if combine == "max":
        share = np.maximum(wind_share, surge_share)
    else:
        share = 1 - (1 - wind_share) * (1 - surge_share)
    item = hazards["storm"]
    assert item["displaced"] == pytest.approx(float((people * share).sum()), rel=1e-12)
    assert item["displaced"] < float((people * (wind_share + surge_share)).sum())  # never added
    assert item["population_no_hazard_data"] == 0.0  # the wind covers the NaN surge cell
    exposed = (wind / 0.93 >= 17.5) | (np.nan_to_num(surge) >= 0.1)
    assert item["exposed"] == pytest.approx(float(people[exposed].sum()))
    assert [c["type"] for c in item["components"]] == ["tropical_cyclone", "coastal_flood"]


def test_components_must_share_their_bands(tmp_path, scene, raster_writer):
    raster_writer("surge2.tif", np.zeros((2, 2, 3)))
    with pytest.raises(Exception, match="bands|scenario is one grid"):
        _run(
            tmp_path,
            "  - id: storm\n    type: tropical_cyclone\n    scenario: s\n    components:\n"
            "      - {type: tropical_cyclone, intensity: wind10.tif, curve: sshws_inasafe}\n"
            "      - {type: coastal_flood, intensity: surge2.tif, curve: flood_step_1m}\n",
        )


def test_a_curve_for_another_hazard_type_is_refused_in_a_run(tmp_path, scene):
    with pytest.raises(ConfigError, match="is for tropical_cyclone, not coastal_flood"):
        _run(
            tmp_path,
            "  - {id: s, type: coastal_flood, intensity: surge.tif, scenario: s, curve: sshws_inasafe}\n",
        )


def test_scenario_grids_record_their_parameters(tmp_path):
    from hazards.earthquake import write_earthquake

    out = write_earthquake(
        tmp_path / "eq.tif",
        magnitude=6.0,
        lat=10.0,
        lon=120.0,
        depth_km=10.0,
        bounds=(119.5, 9.5, 120.5, 10.5),
        resolution=0.05,
    )
    with rasterio.open(out) as dataset:
        tags = dataset.tags()
        values = dataset.read(1)
    parameters = json.loads(tags["parameters"])
    assert parameters["magnitude"] == 6.0 and tags["unit"] == "MMI"
    assert values.max() > 6 and values.min() >= 1
