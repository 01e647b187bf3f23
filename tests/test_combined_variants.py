"""A combined hazard (``components:``) gets a curve-variant range and names every curve.

- Its ``low`` and ``high`` figures combine the components' ``low`` and ``high`` curves
  (each built-in curve's own variants; a component without one keeps its central curve),
  in summary.json, zones.csv, zones_bands.csv, sendai.csv, the map's popups and the
  headline.
- sendai.csv and the map's About panel name every component's curve, its evidence grade
  and source, and the combine rule, from results.nc's Sendai metadata; the confidence is
  the lowest grade of the components.

Expected values are computed here with numpy from the curves' published parameters.
"""

from __future__ import annotations

import html
import json
import re

import netCDF4
import numpy as np
import pandas as pd
import pytest

from mecc.headlines import headlines
from mecc.run import run_country

PEOPLE = np.array([[1000.0, 2000.0, 3000.0], [4000.0, 5000.0, 6000.0]])
WIND = np.array([[50.0, 60.0, 72.0], [85.0, 30.0, 65.0]])  # m/s, 1-minute, event 1
SURGE = np.array([[0.3, 0.7, 1.2], [1.7, np.nan, 0.0]])  # m, event 1
SCALE = {"wind": (1.0, 0.8), "surge": (1.0, 0.5)}  # event 2: weaker wind, lower surge
FREQUENCY = np.array([0.1, 0.02])
VARIANTS = ("central", "low", "high")


def _tau_step(tau: float, v_half: float = 66.4, v_thresh: float = 25.7) -> float:
    """The wind at which Emanuel (2011) damage reaches tau (library: tc_emanuel_tau, wp1)."""
    return v_thresh + (tau / (1.0 - tau)) ** (1.0 / 3.0) * (v_half - v_thresh)


WIND_STEP = {"central": _tau_step(0.55), "low": _tau_step(0.7), "high": _tau_step(0.3)}
SURGE_STEP = {"central": 1.0, "low": 1.5, "high": 0.5}  # flood_step_1m and its variants


def _bands():
    wind = np.stack([WIND * k for k in SCALE["wind"]])
    surge = np.stack([SURGE * k for k in SCALE["surge"]])
    return wind, surge


def _expected(combine: str, wind_share) -> dict:
    """``{variant: displaced per band}`` with the surge's step at each variant."""
    wind, surge = _bands()
    out = {}
    for v in VARIANTS:
        a = wind_share(wind, v)
        b = np.where(np.isnan(surge), 0.0, (np.nan_to_num(surge) >= SURGE_STEP[v]) * 1.0)
        share = np.maximum(a, b) if combine == "max" else 1.0 - (1.0 - a) * (1.0 - b)
        out[v] = (PEOPLE[None] * share).sum(axis=(1, 2))
    return out


def _tau_share(wind, v):  # tc_emanuel_tau_wp1: displaced where damage >= tau
    return (wind >= WIND_STEP[v]) * 1.0


def _linear_share(wind, v):  # an inline curve: 30 -> 80 m/s, no variants
    return np.clip((wind - 30.0) / 50.0, 0.0, 1.0)


RUN = """country: XXC
population: {path: pop.tif}
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
      - type: tropical_cyclone
        intensity: wind.tif
        curve: {intensity: [30, 80], share: [0, 1]}
      - {type: coastal_flood, intensity: surge.tif, curve: flood_step_1m}
  - id: wind_only
    type: tropical_cyclone
    events: events.csv
    intensity: wind.tif
    curve: tc_emanuel_kam2024_wp1
"""


@pytest.fixture(scope="module")
def storm_run(tmp_path_factory):
    from tests.conftest import write_raster

    folder = tmp_path_factory.mktemp("combined")
    wind, surge = _bands()
    write_raster(folder / "pop.tif", PEOPLE)
    write_raster(folder / "wind.tif", wind)
    write_raster(folder / "surge.tif", surge)
    (folder / "events.csv").write_text("band,event_id,frequency\n1,e1,0.1\n2,e2,0.02\n")
    (folder / "run.yaml").write_text(RUN)
    result = run_country(folder / "run.yaml", folder / "out")
    return result.out_dir


def _summary(out):
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("hazard_id", "combine", "wind_share"),
    [("storm", "max", _tau_share), ("mixed", "independent", _linear_share)],
)
def test_a_combined_hazard_has_the_range_of_its_components_variants(
    storm_run, hazard_id, combine, wind_share
):
    expected = _expected(combine, wind_share)
    aad = {v: float(FREQUENCY @ expected[v]) for v in VARIANTS}
    assert aad["low"] < aad["central"] < aad["high"]  # the scene exercises every variant
    item = _summary(storm_run)["hazards"][hazard_id]
    assert item["aad"] == pytest.approx(aad["central"], rel=1e-12)
    assert item["aad_low"] == pytest.approx(aad["low"], rel=1e-12)
    assert item["aad_high"] == pytest.approx(aad["high"], rel=1e-12)
    zones = pd.read_csv(storm_run / "zones.csv", encoding="utf-8-sig")
    row = zones[zones["hazard_id"] == hazard_id].iloc[0]
    assert row["aad_low"] == pytest.approx(aad["low"], rel=1e-12)
    assert row["aad_high"] == pytest.approx(aad["high"], rel=1e-12)
    bands = pd.read_csv(storm_run / "zones_bands.csv", encoding="utf-8-sig")
    bands = bands[(bands["hazard_id"] == hazard_id) & (bands["level"] == 0)]  # the nation
    for v in ("low", "high"):
        assert bands[f"displaced_{v}"].to_numpy() == pytest.approx(expected[v], rel=1e-12)
    record = next(r for r in headlines(_summary(storm_run)) if r["hazard_id"] == hazard_id)
    assert record["range"] == "curve variants"
    assert (record["low"], record["high"]) == pytest.approx((aad["low"], aad["high"]))
    sendai = pd.read_csv(storm_run / "sendai.csv", encoding="utf-8-sig", keep_default_na=False)
    d1 = sendai[
        (sendai["hazard_id"] == hazard_id)
        & (sendai["indicator_code"].str.endswith("D1"))
        & (sendai["measure"] == "expected_annual")
        & (sendai["admin_level"].astype(str) == "0")
        & (sendai["breakdown"] == "")
    ].iloc[0]
    assert float(d1["low"]) == pytest.approx(aad["low"], rel=1e-9)
    assert float(d1["high"]) == pytest.approx(aad["high"], rel=1e-9)
    assert d1["range_kind"] == "curve variants (low / central / high)"


def test_the_variants_combine_each_components_own_variant(storm_run):
    variants = _summary(storm_run)["hazards"]["storm"]["variants"]
    assert variants == {
        "central": "tc_emanuel_tau_wp1 + flood_step_1m (max)",
        "low": "tc_emanuel_tau_wp1:low + flood_step_1m:low (max)",
        "high": "tc_emanuel_tau_wp1:high + flood_step_1m:high (max)",
    }
    mixed = _summary(storm_run)["hazards"]["mixed"]["variants"]  # the inline curve: central
    assert mixed["low"].endswith(" + flood_step_1m:low (independent)")
    assert mixed["low"].split(" + ")[0] == mixed["central"].split(" + ")[0]


def test_single_hazards_keep_their_own_figures(storm_run):
    """A single hazard beside combined ones keeps its own curve's figures and range: the
    Kam et al. (2024) wp1 v_half, median 52.4 m/s, low / high the largest / smallest of
    the region's per-event values (78.1 / 31.5 m/s)."""
    wind, _ = _bands()
    item = _summary(storm_run)["hazards"]["wind_only"]
    assert item["curve"] == "tc_emanuel_kam2024_wp1"

    def emanuel(v_half):
        vn = np.maximum(wind - 25.7, 0.0) / (v_half - 25.7)
        return float(FREQUENCY @ (PEOPLE[None] * vn**3 / (1 + vn**3)).sum(axis=(1, 2)))

    # the library samples the sigmoid
    assert item["aad"] == pytest.approx(emanuel(52.4), rel=1e-3)
    assert item["aad_low"] == pytest.approx(emanuel(78.1), rel=1e-3)
    assert item["aad_high"] == pytest.approx(emanuel(31.5), rel=1e-3)


def test_sendai_rows_name_every_component_curve_and_the_lowest_grade(storm_run):
    sendai = pd.read_csv(storm_run / "sendai.csv", encoding="utf-8-sig", keep_default_na=False)
    d1 = sendai[sendai["indicator_code"].str.endswith("D1")]
    storm = d1[d1["hazard_id"] == "storm"]
    assert set(storm["curve"]) == {"tc_emanuel_tau_wp1 + flood_step_1m (max)"}
    # grades B (wind) and C (surge): the combination is graded C
    assert set(storm["confidence"]) == {"C (a convention or practitioners' default)"}
    assert set(storm["hazard_label"]) == {"Tropical-cyclone wind + Coastal flood / storm surge"}
    parameters = storm["parameters"].iloc[0]
    assert "tc_emanuel_tau_wp1 (tropical_cyclone, grade B, exposure threshold 17.5 m/s)" in (
        parameters
    )
    assert "flood_step_1m (coastal_flood, grade C, exposure threshold 0.1 m)" in parameters
    assert "max(share)" in parameters and "lowest grade" in parameters
    mixed = d1[d1["hazard_id"] == "mixed"]  # a user's curve: ungraded, whatever the other
    assert set(mixed["confidence"]) == {"ungraded (curve given by the user)"}
    assert "1 - prod(1 - share) (independent)" in mixed["parameters"].iloc[0]
    with netCDF4.Dataset(storm_run / "results.nc") as dataset:
        metadata = json.loads(dataset.groups["sendai"].getncattr("metadata"))
    curve = metadata["hazards"]["storm"]["curve"]
    assert [c["name"] for c in curve["components"]] == ["tc_emanuel_tau_wp1", "flood_step_1m"]
    assert [c["evidence"] for c in curve["components"]] == ["B", "C"]
    assert curve["evidence"] == "C" and curve["combine"] == "max"


def test_the_about_panel_names_each_component_with_grade_and_source(storm_run):
    page = html.unescape((storm_run / "map.html").read_text(encoding="utf-8"))
    start = page.index('data-hazard="storm"')
    item = re.sub(r"<[^>]+>", "\n", page[start : page.index("</li>", start)])
    assert "tc_emanuel_tau_wp1 + flood_step_1m (max: max(share))" in item
    assert re.search(r"tc_emanuel_tau_wp1: evidence grade B[^\n]*\[\d\]", item)
    assert re.search(r"flood_step_1m: evidence grade C[^\n]*\[\d\]", item)
    number = re.search(r"flood_step_1m: evidence grade C[^\n]*\[(\d)\]", item).group(1)
    assert re.search(rf"\[{number}\] Kam, Aznar-Siguan", page)  # the surge curve's source
    assert "tc_emanuel_tau_wp1:low + flood_step_1m:low (max)" in item  # the range's curves


def test_the_map_popups_show_a_combined_hazards_range(storm_run):
    aad = {v: float(FREQUENCY @ _expected("max", _tau_share)[v]) for v in ("low", "high")}
    page = html.unescape((storm_run / "map.html").read_text(encoding="utf-8"))
    assert f"range {aad['low']:,.0f} to {aad['high']:,.0f}" in page


def test_a_components_curve_file_is_an_input_of_the_run(tmp_path):
    from tests.conftest import write_raster

    write_raster(tmp_path / "pop.tif", PEOPLE)
    write_raster(tmp_path / "wind.tif", WIND)
    write_raster(tmp_path / "surge.tif", SURGE)
    (tmp_path / "surge_curve.csv").write_text("intensity,share\n0.5,0\n2,1\n")
    (tmp_path / "run.yaml").write_text(
        "country: XXC\npopulation: {path: pop.tif}\nhazards:\n"
        "  - id: storm\n    type: tropical_cyclone\n    scenario: s\n    components:\n"
        "      - {type: tropical_cyclone, intensity: wind.tif, curve: tc_emanuel_tau_wp1}\n"
        "      - {type: coastal_flood, intensity: surge.tif, curve: surge_curve.csv}\n"
    )
    out = run_country(tmp_path / "run.yaml", tmp_path / "out").out_dir
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    roles = {r["path"]: r["role"] for r in manifest["inputs"]}
    assert roles.get("surge_curve.csv") == "curve of storm"
