"""sites.csv gives a combined hazard's figures; compare.csv gives a drought's classes.

- A displacement site on a cell of a combined hazard (``components:``: wind and surge of
  one event) gets the hazard's figures, as a single hazard's: ``<hazard>_aad`` (an event
  set) or ``<hazard>_exposed`` / ``<hazard>_displaced`` (a scenario), with ``_low`` /
  ``_high`` from the components' curve variants. The share at the site's cell combines
  the components' shares there (``max`` or ``independent``: ``1 - prod(1 - share)``).
- ``mecc compare`` gives, for a drought hazard, the people in each severity class in
  each run and the change (``drought_<class>_exposed_baseline``, ``_future``,
  ``_change``): exposure, not displacement.

Hand-built grids; expected values computed here by hand or with numpy from the curves'
published parameters.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from mecc.compare import compare_runs
from mecc.run import run_country
from tests.conftest import write_raster

# --- sites.csv and combined hazards -------------------------------------------------

PEOPLE = np.array([[1000.0, 2000.0, 3000.0], [4000.0, 5000.0, 6000.0]])
WIND = np.array([[20.0, 60.0, 72.0], [85.0, 45.0, 10.0]])  # m/s, 1-minute, event 1
SURGE = np.array([[0.3, 1.2, 0.5], [1.7, 0.7, 0.7]])  # m, event 1
SCALE = {"wind": (1.0, 0.8), "surge": (1.0, 0.5)}  # event 2: weaker wind, lower surge
FREQUENCY = np.array([0.1, 0.02])
# the default grid (tests.conftest.write_raster): 0.1 degree cells from 10 E, 50 N
SITES = {"North": ((0, 1), 49.95, 10.15, 300.0), "South": ((1, 2), 49.85, 10.25, 120.0)}


def _tau_step(tau: float, v_half: float = 66.4, v_thresh: float = 25.7) -> float:
    """The wind at which Emanuel (2011) damage reaches tau (library: tc_emanuel_tau, wp1)."""
    return v_thresh + (tau / (1.0 - tau)) ** (1.0 / 3.0) * (v_half - v_thresh)


WIND_STEP = {"central": _tau_step(0.55), "low": _tau_step(0.7), "high": _tau_step(0.3)}
SURGE_STEP = {"central": 1.0, "low": 1.5, "high": 0.5}  # flood_step_1m and its variants


def _tau(wind, variant):  # tc_emanuel_tau_wp1: displaced where damage >= tau
    return (wind >= WIND_STEP[variant]) * 1.0


def _surge_step(surge, variant):  # flood_step_1m
    return (surge >= SURGE_STEP[variant]) * 1.0


def _wind_linear(wind, variant):  # inline: 30 -> 80 m/s, no variants
    return np.clip((wind - 30.0) / 50.0, 0.0, 1.0)


def _surge_linear(surge, variant):  # inline: 0 -> 2 m, no variants
    return np.clip(surge / 2.0, 0.0, 1.0)


def _combine(a, b, mode):
    return np.maximum(a, b) if mode == "max" else 1.0 - (1.0 - a) * (1.0 - b)


RUN = """country: XXC
population: {path: pop.tif}
mobility:
  sites: {path: sites.csv, in_population_grid: false}
hazards:
  - id: storm
    type: tropical_cyclone
    events: events.csv
    combine: max
    components:
      - {type: tropical_cyclone, intensity: wind.tif, curve: tc_emanuel_tau_wp1}
      - {type: coastal_flood, intensity: surge.tif, curve: flood_step_1m}
  - id: mixed
    type: tropical_cyclone
    events: events.csv
    combine: independent
    components:
      - {type: tropical_cyclone, intensity: wind.tif, curve: {intensity: [30, 80], share: [0, 1]}}
      - {type: coastal_flood, intensity: surge.tif, curve: {intensity: [0, 2], share: [0, 1]}}
  - id: mixed_max
    type: tropical_cyclone
    events: events.csv
    combine: max
    components:
      - {type: tropical_cyclone, intensity: wind.tif, curve: {intensity: [30, 80], share: [0, 1]}}
      - {type: coastal_flood, intensity: surge.tif, curve: {intensity: [0, 2], share: [0, 1]}}
  - id: scene
    type: tropical_cyclone
    scenario: landfall
    combine: independent
    components:
      - {type: tropical_cyclone, intensity: wind1.tif, curve: {intensity: [30, 80], share: [0, 1]}}
      - {type: coastal_flood, intensity: surge1.tif, curve: flood_step_1m}
"""


@pytest.fixture(scope="module")
def sites_table(tmp_path_factory):
    folder = tmp_path_factory.mktemp("combined_sites")
    write_raster(folder / "pop.tif", PEOPLE)
    write_raster(folder / "wind.tif", np.stack([WIND * k for k in SCALE["wind"]]))
    write_raster(folder / "surge.tif", np.stack([SURGE * k for k in SCALE["surge"]]))
    write_raster(folder / "wind1.tif", WIND)
    write_raster(folder / "surge1.tif", SURGE)
    (folder / "events.csv").write_text("band,event_id,frequency\n1,e1,0.1\n2,e2,0.02\n")
    lines = ["site_name,lat,lon,individuals"]
    lines += [f"{name},{lat},{lon},{people}" for name, (_, lat, lon, people) in SITES.items()]
    (folder / "sites.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "run.yaml").write_text(RUN)
    out = run_country(folder / "run.yaml", folder / "out", with_map=False).out_dir
    return pd.read_csv(out / "sites.csv", encoding="utf-8-sig").set_index("site_name")


def _event_values(cell):
    """Each component's intensity at ``cell`` in each event."""
    wind = np.array([WIND[cell] * k for k in SCALE["wind"]])
    surge = np.array([SURGE[cell] * k for k in SCALE["surge"]])
    return wind, surge


def test_the_north_sites_storm_figures_by_hand(sites_table):
    """North: wind 60 then 48 m/s, surge 1.2 then 0.6 m; steps at 69.2/79.7/56.4 m/s
    (tau 0.55/0.7/0.3) and 1/1.5/0.5 m. Event 1: surge displaces (central, high), the
    wind only at high; event 2: wind below every step, surge only at high."""
    central = 300 * (0.1 * max(0, 1) + 0.02 * max(0, 0))
    low = 300 * (0.1 * max(0, 0) + 0.02 * max(0, 0))
    high = 300 * (0.1 * max(1, 1) + 0.02 * max(0, 1))
    row = sites_table.loc["North"]
    assert row["storm_aad"] == pytest.approx(central)  # 30
    assert row["storm_aad_low"] == pytest.approx(low)  # 0
    assert row["storm_aad_high"] == pytest.approx(high)  # 36


@pytest.mark.parametrize("name", list(SITES))
@pytest.mark.parametrize(
    ("hazard_id", "mode", "wind_share", "surge_share", "variants"),
    [
        ("storm", "max", _tau, _surge_step, ("central", "low", "high")),
        ("mixed", "independent", _wind_linear, _surge_linear, ("central",)),
        ("mixed_max", "max", _wind_linear, _surge_linear, ("central",)),
    ],
)
def test_a_site_gets_a_combined_event_sets_aad(
    sites_table, name, hazard_id, mode, wind_share, surge_share, variants
):
    cell, _, _, people = SITES[name]
    wind, surge = _event_values(cell)
    row = sites_table.loc[name]
    for variant in variants:
        share = _combine(wind_share(wind, variant), surge_share(surge, variant), mode)
        suffix = "" if variant == "central" else f"_{variant}"
        assert row[f"{hazard_id}_aad{suffix}"] == pytest.approx(
            people * float(FREQUENCY @ share), rel=1e-12
        )
    if len(variants) == 1:  # inline curves: no range
        assert f"{hazard_id}_aad_low" not in sites_table.columns


def test_independent_and_max_differ_at_the_site(sites_table):
    """North: wind 60 -> 0.6, surge 1.2 -> 0.6 (event 1); wind 48 -> 0.36, surge 0.6 ->
    0.3 (event 2). max: 0.6 and 0.36; independent: 1 - 0.4 * 0.4 = 0.84 and
    1 - 0.64 * 0.7 = 0.552."""
    row = sites_table.loc["North"]
    assert row["mixed_max_aad"] == pytest.approx(300 * (0.1 * 0.6 + 0.02 * 0.36))
    assert row["mixed_aad"] == pytest.approx(300 * (0.1 * 0.84 + 0.02 * 0.552))


def test_a_site_gets_a_combined_scenarios_exposed_and_displaced(sites_table):
    """North: wind 60 (share 0.6, above 17.5 m/s), surge 1.2 m: central
    1 - 0.4 * 0 = 1, low (step 1.5 m) 0.6, high (0.5 m) 1. South: wind 10 m/s (share 0,
    not exposed by wind) but surge 0.7 m (above 0.1 m: exposed): central 0, low 0,
    high 1."""
    north, south = sites_table.loc["North"], sites_table.loc["South"]
    assert north["scene_exposed"] == pytest.approx(300)
    assert north["scene_displaced"] == pytest.approx(300 * 1.0)
    assert north["scene_displaced_low"] == pytest.approx(300 * 0.6)
    assert north["scene_displaced_high"] == pytest.approx(300 * 1.0)
    assert south["scene_exposed"] == pytest.approx(120)
    assert south["scene_displaced"] == pytest.approx(0.0)
    assert south["scene_displaced_low"] == pytest.approx(0.0)
    assert south["scene_displaced_high"] == pytest.approx(120 * 1.0)


# --- compare.csv and drought --------------------------------------------------------

POP = np.array([[100.0, 200.0, 300.0], [400.0, 500.0, 600.0]])
# SPEI (drought negative): moderate -1 to -1.5, severe -1.5 to -2, extreme below -2
SPEI = {
    "base": np.array([[-1.2, -1.7, 0.3], [-2.5, -1.2, 0.3]]),
    "future": np.array([[-1.7, -1.7, -1.2], [-2.5, -2.5, 0.3]]),
}
DEPTH = np.array([[2.0, 0.0, 0.0], [0.0, 0.0, 2.0]])  # the same flood in both runs

DROUGHT_RUN = """country: XXD
name: Dryland
population: {path: pop.tif}
zones: {path: zones.geojson, code_field: code, level: 1}
hazards:
  - {id: dry, type: drought, intensity: spei.tif, unit: SPEI, scenario: a drought}
  - {id: flood, type: river_flood, intensity: depth.tif, scenario: s, curve: {step: 1.0}}
"""


def _drought_run(folder, spei):
    folder.mkdir()
    write_raster(folder / "pop.tif", POP)
    write_raster(folder / "spei.tif", spei)
    write_raster(folder / "depth.tif", DEPTH)
    gpd.GeoDataFrame(  # A: the top row of cells, B: the bottom row
        {"code": ["A", "B"]},
        geometry=[box(10.0, 49.9, 10.3, 50.0), box(10.0, 49.8, 10.3, 49.9)],
        crs="EPSG:4326",
    ).to_file(folder / "zones.geojson")
    (folder / "run.yaml").write_text(DROUGHT_RUN)
    return run_country(folder / "run.yaml", folder / "out", with_map=False).out_dir


@pytest.fixture(scope="module")
def drought_compare(tmp_path_factory):
    root = tmp_path_factory.mktemp("drought_compare")
    base = _drought_run(root / "base", SPEI["base"])
    future = _drought_run(root / "future", SPEI["future"])
    out = compare_runs(base, future, root / "compare")
    table = pd.read_csv(out / "compare.csv", encoding="utf-8-sig", keep_default_na=True)
    return table.set_index(["zone_code", "hazard_id"])


# by hand: A (100 moderate, 200 severe, 300 none) -> (100 severe, 200 severe, 300
# moderate); B (400 extreme, 500 moderate, 600 none) -> (400 extreme, 500 extreme)
EXPECTED = {
    "A": {"moderate": (100, 300), "severe": (200, 300), "extreme": (0, 0)},
    "B": {"moderate": (500, 0), "severe": (0, 0), "extreme": (400, 900)},
    "XXD": {"moderate": (600, 300), "severe": (200, 300), "extreme": (400, 900)},
}


@pytest.mark.parametrize("zone", list(EXPECTED))
def test_compare_gives_each_drought_class_and_its_change(drought_compare, zone):
    row = drought_compare.loc[(zone, "dry")]
    for name, (base, future) in EXPECTED[zone].items():
        assert row[f"drought_{name}_exposed_baseline"] == pytest.approx(base)
        assert row[f"drought_{name}_exposed_future"] == pytest.approx(future)
        assert row[f"drought_{name}_exposed_change"] == pytest.approx(future - base)


def test_the_national_drought_row_comes_first_at_level_0(drought_compare):
    table = drought_compare.reset_index()
    national = table[(table["zone_code"] == "XXD") & (table["hazard_id"] == "dry")]
    assert len(national) == 1 and national["level"].iloc[0] == 0


def test_drought_columns_say_exposed_and_stay_blank_for_other_hazards(drought_compare):
    columns = [c for c in drought_compare.columns if c.startswith("drought_")]
    assert columns and all("_exposed_" in c for c in columns)
    assert not any("displaced" in c for c in columns)
    flood = drought_compare.xs("flood", level="hazard_id")
    assert flood[columns].isna().all().all()
    # the flood's own figures are still compared: 100 + 600 people under 2 m, both runs
    assert flood.loc["XXD", "displaced_baseline"] == pytest.approx(700)
    assert flood.loc["XXD", "displaced_change"] == pytest.approx(0)
