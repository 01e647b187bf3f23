"""The Kam et al. (2024) cyclone curves carry the source's range; family regions keep
their declared names.

1. Kam, Ciccone, Kropf, Riedel, Fairless and Bresch (2024), Impact-based forecasting of
   tropical cyclone-related human displacement to support anticipatory action, Nature
   Communications, doi:10.1038/s41467-024-53200-w. Their code repository
   (manniepmkam/TC_displacement_forecast, commit 22e4742d,
   Sensitivity_analysis_events_2017-2020/unc_sen_analysis_events_2017-2020.py,
   ``impf_80quantiles``) lists the per-event calibrated v_half (m/s) of every region.
   :data:`PUBLISHED` holds, read off those lists by hand: the number of values, the
   smallest, the median and the largest. ``low`` (fewer people displaced) is the largest
   v_half, ``high`` the smallest; README.md's Haiyan section uses 103.5 and 37.4 m/s for
   the Philippines (WP2), the independent cross-check of the WP2 row.
2. ``jrc_residential_*`` and ``flood_damage_states_jrc_*`` are per continent; the two
   Americas must not both say "america".
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from hazards.library import curve_entries, get_entry
from tests.conftest import write_raster

V_THRESH = 25.7
PUBLISHED = {  # region: (values, smallest, median, largest), m/s, impf_80quantiles
    "na1": (37, 30.4, 57.7, 149.6),
    "na2": (9, 42.4, 59.1, 144.2),
    "ni": (24, 31.1, 42.55, 76.7),
    "oc1": (26, 32.2, 52.9, 85.0),
    "oc2": (12, 29.9, 54.45, 108.9),
    "si": (12, 33.8, 49.0, 68.0),
    "wp1": (14, 31.5, 52.4, 78.1),
    "wp2": (27, 37.4, 52.3, 103.5),
    "wp3": (36, 25.8, 42.15, 88.1),
    "wp4": (27, 37.4, 64.7, 127.0),
}
HAIYAN_README = {"low": 103.5, "high": 37.4}  # README.md, "Curve" of the Haiyan validation


def _emanuel(wind, v_half):
    v = np.maximum(np.asarray(wind, dtype=np.float64) - V_THRESH, 0.0) / (v_half - V_THRESH)
    return v**3 / (1.0 + v**3)


@pytest.mark.parametrize("region", sorted(PUBLISHED))
def test_every_kam_curve_has_the_published_per_event_extremes_as_low_and_high(region):
    _, smallest, median, largest = PUBLISHED[region]
    entry = get_entry(f"tc_emanuel_kam2024_{region}")
    assert list(entry.variants) == ["central", "low", "high"]
    # the median of the published values, to the 0.1 m/s the library gives
    for variant, v_half in (("central", round(median + 1e-9, 1)), ("low", largest),
                            ("high", smallest)):  # fmt: skip
        curve = entry.curve(variant)
        assert curve.evaluate(np.array([v_half]))[0] == pytest.approx(0.5, abs=1e-12), variant
        winds = np.array([20.0, 30.0, 41.3, 55.0, 77.7, 100.0, 119.0])
        assert curve.evaluate(winds) == pytest.approx(_emanuel(winds, v_half), abs=2e-4)
    winds = np.linspace(26.0, 119.0, 94)
    low, central, high = (entry.curve(v).evaluate(winds) for v in ("low", "central", "high"))
    assert (low <= central + 1e-12).all() and (central <= high + 1e-12).all()
    assert (low < high).all()


def test_the_philippine_range_is_the_one_the_haiyan_validation_uses():
    entry = get_entry("tc_emanuel_kam2024_wp2")
    for variant, v_half in HAIYAN_README.items():
        assert entry.curve(variant).evaluate(np.array([v_half]))[0] == pytest.approx(0.5)


@pytest.mark.parametrize("region", ["wp2", "na1", "wp3", "oc2"])
def test_curves_show_prints_low_central_high_with_the_published_numbers(cli, region):
    count, smallest, median, largest = PUBLISHED[region]
    shown = cli("curves", "show", f"tc_emanuel_kam2024_{region}")
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    variants = [line.split(":")[0].strip() for line in lines if re.match(r"  \w+: ", line)]
    assert variants[-3:] == ["central", "low", "high"]
    said = {v: next(line for line in lines if line.startswith(f"  {v}: ")) for v in variants[-3:]}
    assert f"v_half {round(median + 1e-9, 1):g} m/s" in said["central"]
    assert f"v_half {largest:g} m/s" in said["low"]
    assert f"v_half {smallest:g} m/s" in said["high"]
    notes = next(line for line in lines if line.startswith("  notes: "))
    # which interval it is: the extremes of the per-event values of impf_80quantiles
    assert f"v_half {largest:g} and {smallest:g} m/s" in notes
    assert f"the {count} per-event values" in notes and "impf_80quantiles" in notes
    assert region.upper() in notes
    listing = cli("curves", "list", "--hazard", "tropical_cyclone")
    row = next(
        r for r in listing.output.splitlines() if r.startswith(f"tc_emanuel_kam2024_{region} ")
    )
    assert "central/low/high" in row


def test_a_run_with_a_kam_curve_prints_and_writes_its_range(tmp_path, cli):
    wind = np.array([[20.0, 30.0, 45.0, 60.0], [35.0, 52.3, 70.0, 90.0], [25.7, 40.0, 80.0, 110.0]])
    people = np.full(wind.shape, 1000.0)
    write_raster(tmp_path / "pop.tif", people)
    write_raster(tmp_path / "wind.tif", wind)
    (tmp_path / "run.yaml").write_text(
        "country: PHL\npopulation: {path: pop.tif}\nhazards:\n"
        "  - {id: storm, type: tropical_cyclone, scenario: Test storm, intensity: wind.tif,"
        " curve: tc_emanuel_kam2024_wp2}\n",
        encoding="utf-8",
    )
    done = cli("run", tmp_path / "run.yaml", "--out", tmp_path / "out", "--no-map")
    assert done.exit_code == 0, done.output
    _, smallest, median, largest = PUBLISHED["wp2"]
    # independent: people x Emanuel share where wind >= 17.5 (the cyclone exposure cut)
    expected = {
        v: float((people * np.where(wind >= 17.5, _emanuel(wind, h), 0.0)).sum())
        for v, h in (("low", largest), ("central", 52.3), ("high", smallest))
    }
    assert expected["low"] < expected["central"] < expected["high"]
    item = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    item = item["hazards"]["storm"]
    assert item["displaced"] == pytest.approx(expected["central"], rel=1e-3)
    assert item["displaced_low"] == pytest.approx(expected["low"], rel=1e-3)
    assert item["displaced_high"] == pytest.approx(expected["high"], rel=1e-3)
    assert item["displaced_low"] <= item["displaced"] <= item["displaced_high"]
    zones = pd.read_csv(tmp_path / "out" / "zones.csv", encoding="utf-8-sig")
    nation = zones[zones["zone_code"] == "PHL"].iloc[0]
    assert nation["displaced_low"] == pytest.approx(expected["low"], rel=1e-3)
    assert nation["displaced_high"] == pytest.approx(expected["high"], rel=1e-3)
    printed = next(line for line in done.output.splitlines() if "storm: displaced" in line)
    low, high = (f"{round(item[f'displaced_{v}']):,}" for v in ("low", "high"))
    assert f"displaced {round(item['displaced']):,} people (range {low}-{high}" in printed


@pytest.mark.parametrize("family", ["jrc_residential", "flood_damage_states_jrc"])
@pytest.mark.parametrize("region", ["north_america", "south_america"])
def test_family_regions_are_named_as_the_library_declares_them(cli, family, region):
    entry = curve_entries()[f"{family}_{region}"]
    assert entry.region == region
    assert f"({region})" in entry.title
    shown = cli("curves", "show", f"{family}_{region}")
    assert shown.exit_code == 0, shown.output
    first, *rest = shown.output.splitlines()
    assert f"({region})" in first and "(america)" not in first
    assert f"  region: {region}; year: 2017" in rest


def test_one_word_regions_are_unchanged():
    assert get_entry("jrc_residential_europe").region == "europe"
    assert get_entry("tc_emanuel_kam2024_wp2").region == "wp2"
    assert "(wp2)" in get_entry("tc_emanuel_kam2024_wp2").title
    assert get_entry("flood_step_1m").region == "global"


def test_a_region_without_per_event_values_stays_central_only_and_says_so():
    """The rule for a region whose values the source does not give: central only, with the
    region's own notes; a region naming a variant its family lacks is refused."""
    from hazards.library import _entry
    from mecc.errors import CurveError

    family = {
        "title": "Emanuel ({region})",
        "hazard_types": ["tropical_cyclone"],
        "unit": "m/s",
        "evidence": "A",
        "source": "test",
        "notes": "low and high: v_half {low[v_half]:g} and {high[v_half]:g} m/s ({events})",
        "variants": {v: {"emanuel": {"v_thresh": 25.7}} for v in ("central", "low", "high")},
    }
    given = _entry("f_xx", family, ("xx", {"v_half": 50.0, "events": 3,
                                         "variants": {"low": {"v_half": 90.0},
                                                      "high": {"v_half": 30.0}}}))  # fmt: skip
    assert list(given.variants) == ["central", "low", "high"]
    assert given.notes == "low and high: v_half 90 and 30 m/s (3)"
    alone = _entry(
        "f_yy", family, ("yy", {"v_half": 50.0, "variants": {}, "notes": "no values found"})
    )
    assert list(alone.variants) == ["central"] and alone.notes == "no values found"
    with pytest.raises(CurveError, match="f_zz: the region gives variants mid"):
        _entry("f_zz", family, ("zz", {"v_half": 50.0, "variants": {"mid": {"v_half": 40}}}))
