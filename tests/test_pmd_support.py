"""PMD of an event set is defined over the return periods the set supports, and
exceedance.csv holds one curve per hazard and area.

DESIGN.md ("Event sets"): the curve is CLIMADA's ``calc_freq_curve`` (sort descending,
cumulative frequency, return period = 1 / cumulative frequency, linear interpolation in
return period, flat beyond its top point), and "PMD beyond the largest return period the
set supports is null with a flag, never clamped silently". The set supports
``1 / sum f`` to ``1 / min f`` (its span), the same for every zone: a zone whose largest
displacement recurs every 10 years in a set spanning 500 years keeps that figure up to
500 years (nothing larger happens there in the set). Events that displace the same number
are sorted rarest first, so nothing depends on the events' order.

Expected values are worked out by hand below (the small grid of tests/_run_inputs.py:
column sums of the population are 280, 320, 360 and 400 people, and ``flood_step_1m``
displaces everyone at 1 m or more).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from mecc import risk
from tests._run_inputs import POP, basic_case, cell_box, write_run, write_zones
from tests.conftest import write_raster

PERIODS = (10, 25, 50, 100, 250)


def reference_curve(displaced, frequency):
    """calc_freq_curve written out: events by displacement, largest first (of tied ones
    the rarest first), cumulative frequency, return period = 1 / it; ascending."""
    events = sorted(zip(displaced, frequency, strict=True), key=lambda e: (-e[0], e[1]))
    cumulative = np.cumsum([f for _, f in events])
    return 1.0 / cumulative[::-1], np.array([d for d, _ in events])[::-1]


def reference_pmd(displaced, frequency, periods=PERIODS):
    """Linear interpolation in return period on the curve (flat beyond its top point),
    NaN outside the set's span: below 1 / sum f and beyond 1 / min f."""
    rp, values = reference_curve(displaced, frequency)
    periods = np.asarray(periods, dtype=np.float64)
    out = np.interp(periods, rp, values)
    shortest, longest = 1.0 / np.sum(frequency), 1.0 / np.min(frequency)
    out[(periods < shortest * (1 - 1e-12)) | (periods > longest * (1 + 1e-12))] = np.nan
    return out


# ------------------------------------------------------------------ mecc.risk alone

# the probe's set: four events; the largest (13,284.4) recurs every 1 / 0.05 = 20 years,
# the rarest event every 1 / 0.02 = 50 years (the set's span)
PROBE_D = np.array([12129.5, 11896.0, 13284.4, 11896.0])
PROBE_F = np.array([0.1, 0.02, 0.05, 0.02])


def test_pmd_is_defined_up_to_the_sets_span_and_flat_beyond_the_top_point():
    pmd, (shortest, longest) = risk.event_pmd(PROBE_D, PROBE_F)
    # sorted: 13284.4 (0.05), 12129.5 (0.1), 11896 (0.02), 11896 (0.02): cumulative
    # 0.05, 0.15, 0.17, 0.19 -> return periods 20, 6.667, 5.882, 5.263; span 1 / 0.02
    assert (shortest, longest) == pytest.approx((1 / 0.19, 50.0), rel=1e-12)
    at_10 = 12129.5 + (10 - 1 / 0.15) / (20 - 1 / 0.15) * (13284.4 - 12129.5)
    assert pmd[0] == pytest.approx(at_10, rel=1e-12)
    assert pmd[1] == pytest.approx(13284.4) and pmd[2] == pytest.approx(13284.4)
    assert np.isnan(pmd[3:]).all()  # 100 and 250 years: beyond the set's 50


def test_a_rare_event_that_displaces_nobody_extends_the_span():
    """A fifth event of frequency 0.001 displacing nobody: the set spans 1,000 years and
    says nothing larger than 13,284.4 happens in them."""
    pmd, (shortest, longest) = risk.event_pmd(
        np.append(PROBE_D, 0.0), np.append(PROBE_F, 0.001), PERIODS
    )
    assert (shortest, longest) == pytest.approx((1 / 0.191, 1000.0), rel=1e-12)
    np.testing.assert_allclose(pmd[1:], [13284.4] * 4, rtol=1e-12)


def test_the_reviewers_case_keeps_a_units_pmd_over_the_sets_span():
    """Three events at 0.1, 0.01 and 0.002 a year; the first displaces 600 people in A,
    the other two 760 in B. The set spans 500 years: A's PMD is 600 from 10 years on."""
    frequency = np.array([0.1, 0.01, 0.002])
    rows = np.array([[600.0, 0.0, 0.0], [0.0, 760.0, 760.0], [600.0, 760.0, 760.0]])
    pmd, (shortest, longest) = risk.event_pmd(rows, frequency, PERIODS)
    assert (shortest, longest) == pytest.approx((1 / 0.112, 500.0), rel=1e-12)
    # A: 600 (0.1), 0 (0.002), 0 (0.01): cumulative 0.1 -> the curve reaches 600 at 10
    np.testing.assert_allclose(pmd[0], [600.0] * 5, rtol=1e-12)
    # B: 760 (0.002), 760 (0.01), 0 (0.1): return periods 500, 83.33, 8.929
    slope = 760.0 / (1 / 0.012 - 1 / 0.112)
    b = [(t - 1 / 0.112) * slope for t in (10, 25, 50)] + [760.0, 760.0]
    np.testing.assert_allclose(pmd[1], b, rtol=1e-12)
    # the nation: 760 (0.002), 760 (0.01), 600 (0.1)
    nation = [600.0 + (10 - 1 / 0.112) * 160.0 / (1 / 0.012 - 1 / 0.112)]
    assert pmd[2, 0] == pytest.approx(nation[0], rel=1e-12)
    np.testing.assert_allclose(pmd[2, 3:], [760.0, 760.0], rtol=1e-12)


def test_every_row_shares_the_sets_span():
    frequency = np.array([0.1, 0.02, 0.05, 0.004])  # span 1 / 0.004 = 250 years
    rows = np.array(
        [
            [280.0, 400.0, 640.0, 320.0],  # top 640 at 0.05: 20 years, then flat
            [280.0, 0.0, 280.0, 320.0],  # top 320 at 0.004: 250 years
            [0.0, 400.0, 360.0, 0.0],  # top 400 at 0.02: 50 years, then flat
            [0.0, 0.0, 0.0, 0.0],  # nobody: 0 over the whole span
        ]
    )
    pmd, (shortest, longest) = risk.event_pmd(rows, frequency, PERIODS)
    assert (shortest, longest) == pytest.approx((1 / 0.174, 250.0), rel=1e-12)
    for k, row in enumerate(rows):
        np.testing.assert_allclose(pmd[k], reference_pmd(row, frequency), rtol=1e-12)
    np.testing.assert_allclose(pmd[0, 1:], [640.0] * 4, rtol=1e-12)
    # row 1: 320 (0.004), 280 (0.05), 280 (0.1), 0 (0.02): 250, 18.52, 6.494, 5.747 years
    at_25 = 280.0 + (25 - 1 / 0.054) / (250 - 1 / 0.054) * 40.0
    assert pmd[1, 0] == pytest.approx(280.0) and pmd[1, 1] == pytest.approx(at_25, rel=1e-12)
    np.testing.assert_allclose(pmd[2, 2:], [400.0] * 3, rtol=1e-12)
    np.testing.assert_array_equal(pmd[3], np.zeros(5))


def test_ties_do_not_depend_on_the_events_order():
    """At the top: two events displace 5 at 0.03 and 0.01 a year; in the middle: two
    displace 3 at 0.05 and 0.02. Sorted rarest first in any order of the set."""
    frequency = np.array([0.03, 0.01, 0.1])
    displaced = np.array([5.0, 5.0, 1.0])
    # sorted: 5 (0.01), 5 (0.03), 1 (0.1): cumulative 0.01, 0.04, 0.14
    expected_rp = [1 / 0.14, 25.0, 100.0]
    at_10 = 1 + (10 - 1 / 0.14) / (25 - 1 / 0.14) * 4
    for order in ([0, 1, 2], [1, 0, 2], [2, 1, 0], [2, 0, 1]):
        rp, curve = risk.exceedance_curve(displaced[order], frequency[order])
        np.testing.assert_allclose(rp, expected_rp, rtol=1e-12)
        np.testing.assert_array_equal(curve, [1.0, 5.0, 5.0])
        pmd, _ = risk.event_pmd(displaced[order], frequency[order], PERIODS)
        np.testing.assert_allclose(pmd, [at_10, 5.0, 5.0, 5.0, np.nan], rtol=1e-12)
    frequency = np.array([0.01, 0.05, 0.02])
    displaced = np.array([5.0, 3.0, 3.0])
    # sorted: 5 (0.01), 3 (0.02), 3 (0.05): cumulative 0.01, 0.03, 0.08 -> 100, 33.3, 12.5
    at_50 = 3.0 + (50 - 100 / 3) / (100 - 100 / 3) * 2.0
    for order in ([0, 1, 2], [0, 2, 1], [1, 2, 0], [2, 1, 0]):
        rp, curve = risk.exceedance_curve(displaced[order], frequency[order])
        np.testing.assert_allclose(rp, [12.5, 100 / 3, 100.0], rtol=1e-12)
        pmd, _ = risk.event_pmd(displaced[order], frequency[order], PERIODS)
        np.testing.assert_allclose(pmd, [np.nan, 3.0, at_50, 5.0, np.nan], rtol=1e-12)


def test_random_sets_follow_the_reference():
    """Random sets with ties and zeros: the curve and PMD over the set's span."""
    rng = np.random.default_rng(3)
    for _ in range(50):
        n = int(rng.integers(2, 9))
        frequency = rng.choice([0.001, 0.004, 0.02, 0.05, 0.1], size=n)
        displaced = rng.choice([0.0, 0.0, 3.0, 7.0, 7.0, 12.0], size=n)
        rp, curve = risk.exceedance_curve(displaced, frequency)
        ref_rp, ref_curve = reference_curve(displaced, frequency)
        np.testing.assert_allclose(rp, ref_rp, rtol=1e-12)
        np.testing.assert_array_equal(curve, ref_curve)
        pmd, span = risk.event_pmd(displaced, frequency, PERIODS)
        assert span == pytest.approx((1 / frequency.sum(), 1 / frequency.min()), rel=1e-12)
        np.testing.assert_allclose(pmd, reference_pmd(displaced, frequency), rtol=1e-12)


def test_equal_frequencies_keep_the_sets_span():
    """Every event at 1/480 (Austria's layout): every curve ends at 480 years."""
    rng = np.random.default_rng(5)
    rows = rng.gamma(0.5, 100.0, size=(3, 480)) * (rng.random((3, 480)) < 0.3)
    rows[2] = 0.0
    frequency = np.full(480, 1 / 480)
    pmd, (_, longest) = risk.event_pmd(rows, frequency, PERIODS)
    assert longest == pytest.approx(480.0, rel=1e-12)
    for k in range(3):
        np.testing.assert_allclose(pmd[k], reference_pmd(rows[k], frequency), rtol=1e-9)
    assert not np.isnan(pmd).any()


def test_bootstrap_samples_span_the_set_not_each_curve():
    """Two members of the same layout (0.1 and 0.002 a year): every sample spans 500
    years. A displaces 600 (member a) or 300 (b) in the frequent event and nobody in the
    rare one, so a sample's PMD at 10 to 250 years is its largest: 300 when it drew b
    twice (a quarter of the 500 samples), else 600; p05 = 300, p95 = 600."""
    frequency = np.array([0.1, 0.002, 0.1, 0.002])
    member = np.array(["a", "a", "b", "b"])
    displaced = np.array([[600.0, 0.0, 300.0, 0.0]])
    interval = risk.bootstrap_event_pmd(displaced, frequency, member, PERIODS)
    np.testing.assert_array_equal(interval[0, 0], [300.0] * 5)
    np.testing.assert_array_equal(interval[1, 0], [600.0] * 5)


# ---------------------------------------------------------------------- a whole run


def _event_case(folder, frequency, flooded):
    """basic_case (zones A = columns 0-1, B = columns 2-3) with one event set: per
    event, the columns in ``flooded`` 2 m deep, the rest dry."""
    run = basic_case(folder)
    depth = np.zeros((len(frequency), *POP.shape))
    for e, columns in enumerate(flooded):
        depth[e][:, columns] = 2.0
    write_raster(folder / "evs.tif", depth)
    (folder / "evs.csv").write_text(
        "band,frequency\n" + "".join(f"{e + 1},{f}\n" for e, f in enumerate(frequency)),
        encoding="utf-8",
    )
    run["hazards"] = [
        {
            "id": "ev",
            "type": "river_flood",
            "intensity": "evs.tif",
            "events": "evs.csv",
            "curve": "flood_step_1m",
        }
    ]
    return run


def _read(out, name):
    return pd.read_csv(out / name, encoding="utf-8-sig", dtype={"zone_code": str})


def _run(tmp_path, cli, run):
    result = cli("run", write_run(tmp_path / "case", run), "--out", tmp_path / "out", "--no-map")
    assert result.exit_code == 0, result.stderr
    return tmp_path / "out"


def _check_outputs(out, by_hand, nation, span, notes):
    """zones.csv, results.nc, summary.json and the Sendai rows against figures by hand
    (None: null)."""
    zones = _read(out, "zones.csv").set_index("zone_code")
    for code, values in by_hand.items():
        want = [np.nan if v is None else v for v in values]
        got = [zones.loc[code, f"pmd_{t}"] for t in PERIODS]
        np.testing.assert_allclose(got, want, rtol=1e-12, err_msg=code)
        for variant in ("low", "high"):  # one curve: the variants are the central figure
            got = [zones.loc[code, f"pmd_{t}_{variant}"] for t in PERIODS]
            np.testing.assert_allclose(got, want, rtol=1e-12, err_msg=code)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))["hazards"]["ev"]
    got = [summary["pmd"][str(t)] for t in PERIODS]
    np.testing.assert_allclose(
        [np.nan if v is None else v for v in got],
        [np.nan if v is None else v for v in nation],
        rtol=1e-12,
    )
    assert summary["supported_return_periods"] == pytest.approx(span, rel=1e-11)
    assert set(summary.get("pmd_notes", {})) == set(notes)
    for period in notes:
        note = summary["pmd_notes"][period]
        assert "longer than the return periods" in note and f"{span[1]:g} years" in note

    import xarray as xr

    with xr.open_dataset(out / "results.nc") as store:
        pmd = store["pmd"].sel(hazard="ev", variant="central")
        for code, values in by_hand.items():
            want = [np.nan if v is None else v for v in values]
            np.testing.assert_allclose(pmd.sel(zone=code).values, want, rtol=1e-12)

    sendai = pd.read_csv(out / "sendai.csv", encoding="utf-8-sig", dtype={"admin_code": str})
    rows = sendai[(sendai["measure"] == "pmd") & (sendai["hazard_id"] == "ev")]
    rows = rows[rows["value_number"].notna()]
    for code, values in {**by_hand, "AAA": nation}.items():
        if code == "__outside__":
            continue
        mine = rows[rows["admin_code"] == code].set_index("return_period")["value_number"]
        defined = {float(t): v for t, v in zip(PERIODS, values, strict=True) if v is not None}
        assert sorted(set(mine.index)) == sorted(defined), code
        for period, value in defined.items():
            np.testing.assert_allclose(mine.loc[[period]], value, rtol=1e-9, err_msg=code)


def test_run_the_reviewers_case(tmp_path, cli):
    """Events at 0.1, 0.01, 0.002: the first floods A (columns 0-1, 600 people), the
    other two B (columns 2-3, 760). A's PMD is 600 up to the set's 500 years."""
    run = _event_case(tmp_path / "case", (0.1, 0.01, 0.002), ([0, 1], [2, 3], [2, 3]))
    out = _run(tmp_path, cli, run)
    slope = 760.0 / (1 / 0.012 - 1 / 0.112)  # B: 0 at 8.929 years, 760 at 83.33
    by_hand = {
        "A": [600.0] * 5,
        "B": [*((t - 1 / 0.112) * slope for t in (10, 25, 50)), 760.0, 760.0],
        "__outside__": [0.0] * 5,
    }
    nation_slope = 160.0 / (1 / 0.012 - 1 / 0.112)  # 600 at 8.929 years, 760 at 83.33
    nation = [*(600.0 + (t - 1 / 0.112) * nation_slope for t in (10, 25, 50)), 760.0, 760.0]
    _check_outputs(out, by_hand, nation, (1 / 0.112, 500.0), notes=())


def test_run_pmd_beyond_the_sets_span_is_null_with_a_note(tmp_path, cli):
    """The probe's frequencies 0.1, 0.02, 0.05, 0.02: the set spans 50 years. Per
    event: A 280, 0, 280, 320; B 0, 400, 360, 0; the nation 280, 400, 640, 320."""
    frequency = (0.1, 0.02, 0.05, 0.02)
    run = _event_case(tmp_path / "case", frequency, ([0], [3], [0, 2], [1]))
    out = _run(tmp_path, cli, run)
    # A: 320 (0.02), 280 (0.05), 280 (0.1), 0 (0.02): 50, 14.29, 5.882, 5.263 years
    # B: 400 (0.02), 360 (0.05), 0 (0.02), 0 (0.1): 50, 14.29, 11.11, 5.263 years
    by_hand = {
        "A": [280.0, 280.0 + (25 - 1 / 0.07) / (50 - 1 / 0.07) * 40.0, 320.0, None, None],
        "B": [0.0, 360.0 + (25 - 1 / 0.07) / (50 - 1 / 0.07) * 40.0, 400.0, None, None],
        "__outside__": [0.0, 0.0, 0.0, None, None],
    }
    # the nation: 640 (0.05), 400 (0.02), 320 (0.02), 280 (0.1): 20, 14.29, 11.11, 5.263
    at_10 = 280.0 + (10 - 1 / 0.19) / (1 / 0.09 - 1 / 0.19) * 40.0
    nation = [at_10, 640.0, 640.0, None, None]
    _check_outputs(out, by_hand, nation, (1 / 0.19, 50.0), notes=("100", "250"))
    zones = _read(out, "zones.csv")
    for t in (100, 250):  # the bootstrap interval too
        assert zones[[f"pmd_{t}_p05", f"pmd_{t}_p95"]].isna().all().all()


# ------------------------------------------------------------------ exceedance.csv

FREQ = (0.1, 0.02, 0.05, 0.004)
FLOODED = ([0], [3], [0, 2], [1])  # nation per event: 280, 400, 640, 320


def _keys(curves):
    return curves.duplicated(["hazard_id", "zone_code", "level", "return_period"])


def _curve(curves, code, level):
    mine = curves[curves["zone_code"] == code]
    return mine[mine["level"].isna()] if level is None else mine[mine["level"] == level]


def _nation_unit(folder, cols):
    """A zones file of one level-0 unit with the country's code over columns 0 to
    ``cols - 1``."""
    write_zones(folder / "nation.geojson", ["AAA"], [cell_box(0, 0, rows=4, cols=cols)])
    return {"path": "nation.geojson", "code_field": "code", "name_field": "name", "level": 0}


def test_a_run_without_zones_writes_each_national_curve_once(tmp_path, cli):
    run = _event_case(tmp_path / "case", FREQ, FLOODED)
    del run["zones"]
    run["hazards"].append(basic_case(tmp_path / "rp")["hazards"][0])
    for name in ("rp10.tif", "rp100.tif"):
        (tmp_path / "case" / name).write_bytes((tmp_path / "rp" / name).read_bytes())
    curves = _read(_run(tmp_path, cli, run), "exceedance.csv")
    assert not _keys(curves).any()
    assert set(curves["zone_code"]) == {"AAA", "__outside__"}
    national = curves[(curves["zone_code"] == "AAA") & (curves["hazard_id"] == "ev")]
    assert national["level"].tolist() == [0] * len(FREQ)
    rp, values = reference_curve([280.0, 400.0, 640.0, 320.0], FREQ)
    np.testing.assert_allclose(national["return_period"], rp, rtol=1e-12)
    np.testing.assert_allclose(national["displaced"], values, rtol=1e-12)
    maps = curves[(curves["zone_code"] == "AAA") & (curves["hazard_id"] == "rf")]
    assert maps["return_period"].tolist() == [10.0, 100.0]


@pytest.mark.parametrize(
    ("cols", "flooded", "nation"),
    [
        (4, FLOODED, [280.0, 400.0, 640.0, 320.0]),  # nobody outside the unit
        (3, ([0], [1], [0, 2], [1]), [280.0, 320.0, 640.0, 320.0]),  # 400 outside, dry
    ],
    ids=["nobody-outside", "nobody-displaced-outside"],
)
def test_a_level0_unit_that_is_the_nation_gives_one_curve(tmp_path, cli, cols, flooded, nation):
    run = _event_case(tmp_path / "case", FREQ, flooded)
    run["zones"] = _nation_unit(tmp_path / "case", cols)
    curves = _read(_run(tmp_path, cli, run), "exceedance.csv")
    assert not _keys(curves).any()
    assert _curve(curves, "AAA", None).empty
    unit = _curve(curves, "AAA", 0)
    rp, values = reference_curve(nation, FREQ)
    np.testing.assert_allclose(unit["return_period"], rp, rtol=1e-12)
    np.testing.assert_allclose(unit["displaced"], values, rtol=1e-12)


def test_a_level0_unit_with_people_displaced_outside_keeps_the_national_curve(tmp_path, cli):
    """The unit AAA (level 0) covers columns 0-2; column 3 (400 people, flooded by event
    2) lies outside it. exceedance.csv has the whole grid's curve (summary.json's PMD)
    with a blank level, the unit's with level 0 (its zones.csv row) and the outside's."""
    run = _event_case(tmp_path / "case", FREQ, FLOODED)
    run["zones"] = _nation_unit(tmp_path / "case", 3)
    out = _run(tmp_path, cli, run)
    curves = _read(out, "exceedance.csv")
    assert not _keys(curves).any()
    for level, per_event in (
        (None, [280.0, 400.0, 640.0, 320.0]),  # the whole grid
        (0, [280.0, 0.0, 640.0, 320.0]),  # the unit: columns 0-2
    ):
        curve = _curve(curves, "AAA", level)
        rp, values = reference_curve(per_event, FREQ)
        np.testing.assert_allclose(curve["return_period"], rp, rtol=1e-12, err_msg=str(level))
        np.testing.assert_allclose(curve["displaced"], values, rtol=1e-12, err_msg=str(level))
    outside = _curve(curves, "__outside__", None)
    rp, values = reference_curve([0.0, 400.0, 0.0, 0.0], FREQ)
    np.testing.assert_allclose(outside["displaced"], values, rtol=1e-12)
    # summary.json's PMD reads the whole grid's curve: 640 (0.05) at 20 years, flat on
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))["hazards"]["ev"]
    assert [summary["pmd"][str(t)] for t in (25, 50, 100, 250)] == pytest.approx([640.0] * 4)
    zones = _read(out, "zones.csv").set_index("zone_code")
    # the unit's: 640 (0.05), 320 (0.004), 280 (0.1), 0 (0.02): 20, 18.52, 6.494, 5.747
    at_10 = 280.0 + (10 - 1 / 0.154) / (1 / 0.054 - 1 / 0.154) * 40.0
    assert zones.loc["AAA", "pmd_10"] == pytest.approx(at_10, rel=1e-12)
    assert zones.loc["AAA", "pmd_250"] == pytest.approx(640.0)


# ------------------------------------------------------------ return-period maps


def test_map_pmd_is_null_outside_the_maps_in_every_row(tmp_path, cli):
    """Maps for 10 and 100 years: PMD(250) is null in every row, the outside bucket's
    (which holds people here) and protected units' too."""
    folder = tmp_path / "case"
    run = basic_case(folder)
    write_zones(
        folder / "zones.geojson",
        ["A", "B"],
        [cell_box(0, 0, rows=4, cols=2), cell_box(0, 2, rows=4, cols=1)],
    )
    base = run["hazards"][0]
    run["hazards"] = [
        base,
        {**base, "id": "rf_b", "protection_rp": {"B": 30}},
        {**base, "id": "rf_all", "protection_rp": 500},
    ]
    out = _run(tmp_path, cli, run)
    zones = _read(out, "zones.csv")
    assert set(zones["zone_code"]) == {"A", "B", "__outside__"}
    outside = zones[(zones["zone_code"] == "__outside__") & (zones["hazard_id"] == "rf")]
    assert outside["population"].iloc[0] == pytest.approx(POP[:, 3].sum())
    columns = [c for c in zones.columns if c.startswith("pmd_250")]
    assert len(columns) == 3 and zones[columns].isna().all().all()  # _low and _high too
    # within the maps: the outside bucket's 100-year figure is column 3 at 1 m (400)
    assert outside["pmd_100"].iloc[0] == pytest.approx(400.0)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert all(summary["hazards"][h]["pmd"]["250"] is None for h in ("rf", "rf_b", "rf_all"))
