"""PMD of an event set is defined only over its exceedance curve, and exceedance.csv
holds one curve per hazard and area.

DESIGN.md ("Event sets"): the curve is CLIMADA's ``calc_freq_curve`` (sort descending,
cumulative frequency, return period = 1 / cumulative frequency, linear interpolation in
return period), and PMD beyond the largest return period the curve reaches is null with
a note, never the largest displacement carried on. Each zone has its own curve.

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
    """Linear interpolation in return period on the curve, NaN off both of its ends."""
    rp, values = reference_curve(displaced, frequency)
    out = np.interp(periods, rp, values)
    out[(np.asarray(periods) < rp[0]) | (np.asarray(periods) > rp[-1])] = np.nan
    return out


# ------------------------------------------------------------------ mecc.risk alone

# the probe's set: four events; the largest (13,284.4) recurs every 1 / 0.05 = 20 years
PROBE_D = np.array([12129.5, 11896.0, 13284.4, 11896.0])
PROBE_F = np.array([0.1, 0.02, 0.05, 0.02])


def test_pmd_is_null_beyond_the_curves_largest_return_period():
    pmd, (shortest, longest) = risk.event_pmd(PROBE_D, PROBE_F)
    # sorted: 13284.4 (0.05), 12129.5 (0.1), 11896 (0.02), 11896 (0.02): cumulative
    # 0.05, 0.15, 0.17, 0.19 -> return periods 20, 6.667, 5.882, 5.263
    assert (shortest, longest) == pytest.approx((1 / 0.19, 20.0), rel=1e-12)
    at_10 = 12129.5 + (10 - 1 / 0.15) / (20 - 1 / 0.15) * (13284.4 - 12129.5)
    assert pmd[0] == pytest.approx(at_10, rel=1e-12)
    assert np.isnan(pmd[1:]).all()  # 25 to 250 years: beyond 20, not 13,284.4


def test_a_rare_event_that_displaces_nobody_does_not_extend_the_curve():
    """A fifth event of frequency 0.001 displacing nobody: the set spans 1,000 years,
    the curve still ends at 20 (its largest displacement)."""
    pmd, (shortest, longest) = risk.event_pmd(
        np.append(PROBE_D, 0.0), np.append(PROBE_F, 0.001), PERIODS
    )
    assert (shortest, longest) == pytest.approx((1 / 0.191, 20.0), rel=1e-12)
    assert not np.isnan(pmd[0]) and np.isnan(pmd[1:]).all()


def test_each_row_has_its_own_curve_and_span():
    frequency = np.array([0.1, 0.02, 0.05, 0.004])
    rows = np.array(
        [
            [280.0, 400.0, 640.0, 320.0],  # top 640 at 0.05: 20 years
            [280.0, 0.0, 280.0, 320.0],  # top 320 at 0.004: 250 years
            [0.0, 400.0, 360.0, 0.0],  # top 400 at 0.02: 50 years
            [0.0, 0.0, 0.0, 0.0],  # nobody: 0 up to the rarest event, 250 years
        ]
    )
    pmd, (shortest, longest) = risk.event_pmd(rows, frequency, PERIODS)
    assert shortest == pytest.approx(1 / 0.174, rel=1e-12)
    np.testing.assert_allclose(longest, [20.0, 250.0, 50.0, 250.0], rtol=1e-12)
    for k, row in enumerate(rows):
        np.testing.assert_allclose(pmd[k], reference_pmd(row, frequency), rtol=1e-12)
    np.testing.assert_array_equal(pmd[3], np.zeros(5))
    assert np.isnan(pmd[2, 3:]).all() and pmd[2, 2] == pytest.approx(400.0)


def test_ties_at_the_top_do_not_depend_on_the_events_order():
    """Two events displace the largest number (5) at 0.03 and 0.01 a year: the curve's
    top point is the rarer one's, 100 years, in any order; exceedance_curve writes it."""
    frequency = np.array([0.03, 0.01, 0.1])
    displaced = np.array([5.0, 5.0, 1.0])
    # sorted: 5 (0.01), 5 (0.03), 1 (0.1): cumulative 0.01, 0.04, 0.14
    expected_rp = [1 / 0.14, 25.0, 100.0]
    at_10 = 1 + (10 - 1 / 0.14) / (25 - 1 / 0.14) * 4
    for order in ([0, 1, 2], [1, 0, 2], [2, 1, 0], [2, 0, 1]):
        rp, curve = risk.exceedance_curve(displaced[order], frequency[order])
        np.testing.assert_allclose(rp, expected_rp, rtol=1e-12)
        np.testing.assert_array_equal(curve, [1.0, 5.0, 5.0])
        pmd, (_, longest) = risk.event_pmd(displaced[order], frequency[order], PERIODS)
        assert longest == pytest.approx(rp[-1], rel=1e-12)
        np.testing.assert_allclose(pmd, [at_10, 5.0, 5.0, 5.0, np.nan], rtol=1e-12)


def test_the_pmd_span_is_the_span_of_the_curve_exceedance_csv_writes():
    """Random sets with ties and zeros: PMD is defined exactly where the curve is."""
    rng = np.random.default_rng(3)
    for _ in range(50):
        n = int(rng.integers(2, 9))
        frequency = rng.choice([0.001, 0.004, 0.02, 0.05, 0.1], size=n)
        displaced = rng.choice([0.0, 0.0, 3.0, 7.0, 7.0, 12.0], size=n)
        rp, curve = risk.exceedance_curve(displaced, frequency)
        ref_rp, ref_curve = reference_curve(displaced, frequency)
        np.testing.assert_allclose(rp, ref_rp, rtol=1e-12)
        np.testing.assert_array_equal(curve, ref_curve)
        pmd, (shortest, longest) = risk.event_pmd(displaced, frequency, PERIODS)
        assert (shortest, longest) == pytest.approx((rp[0], rp[-1]), rel=1e-12)
        np.testing.assert_allclose(pmd, reference_pmd(displaced, frequency), rtol=1e-12)


def test_equal_frequencies_keep_the_sets_span():
    """Every event at 1/480 (Austria's layout): every curve ends at 480 years."""
    rng = np.random.default_rng(5)
    rows = rng.gamma(0.5, 100.0, size=(3, 480)) * (rng.random((3, 480)) < 0.3)
    rows[2] = 0.0
    frequency = np.full(480, 1 / 480)
    pmd, (_, longest) = risk.event_pmd(rows, frequency, PERIODS)
    np.testing.assert_allclose(longest, 480.0, rtol=1e-12)
    for k in range(3):
        np.testing.assert_allclose(pmd[k], reference_pmd(rows[k], frequency), rtol=1e-9)
    assert not np.isnan(pmd).any()


# ---------------------------------------------------------------------- a whole run

FREQ = (0.1, 0.02, 0.05, 0.004)
FLOODED_COLUMNS = ([0], [3], [0, 2], [1])  # per event: columns 2 m deep, the rest dry


def _event_case(folder):
    run = basic_case(folder)
    depth = np.zeros((len(FREQ), *POP.shape))
    for e, columns in enumerate(FLOODED_COLUMNS):
        depth[e][:, columns] = 2.0
    write_raster(folder / "ev4.tif", depth)
    (folder / "ev4.csv").write_text(
        "band,frequency\n" + "".join(f"{e + 1},{f}\n" for e, f in enumerate(FREQ)),
        encoding="utf-8",
    )
    run["hazards"] = [
        {
            "id": "ev",
            "type": "river_flood",
            "intensity": "ev4.tif",
            "events": "ev4.csv",
            "curve": "flood_step_1m",
        }
    ]
    return run


def _read(out, name):
    return pd.read_csv(out / name, encoding="utf-8-sig", dtype={"zone_code": str})


def test_run_reports_pmd_only_within_each_curve(tmp_path, cli):
    folder = tmp_path / "case"
    run = _event_case(folder)  # zones A = columns 0-1, B = columns 2-3
    result = cli("run", write_run(folder, run), "--out", tmp_path / "out", "--no-map")
    assert result.exit_code == 0, result.stderr
    out = tmp_path / "out"
    # per event: A 280, 0, 280, 320; B 0, 400, 360, 0; nation 280, 400, 640, 320
    expected = {
        "A": [280.0, 0.0, 280.0, 320.0],
        "B": [0.0, 400.0, 360.0, 0.0],
        "__outside__": [0.0, 0.0, 0.0, 0.0],
    }
    by_hand = {  # the curves: A ends at 1/0.004 = 250 years, B at 1/0.02 = 50
        "A": [
            280.0,
            *(280.0 + (t - 1 / 0.054) / (250 - 1 / 0.054) * 40.0 for t in (25, 50, 100)),
            320.0,
        ],
        "B": [0.0, 360.0 + (25 - 1 / 0.07) / (50 - 1 / 0.07) * 40.0, 400.0, None, None],
        "__outside__": [0.0] * 5,
    }
    zones = _read(out, "zones.csv").set_index("zone_code")
    for code, values in by_hand.items():
        got = [zones.loc[code, f"pmd_{t}"] for t in PERIODS]
        want = [np.nan if v is None else v for v in values]
        np.testing.assert_allclose(got, want, rtol=1e-12, err_msg=code)
        np.testing.assert_allclose(got, reference_pmd(expected[code], FREQ), rtol=1e-12)

    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))["hazards"]["ev"]
    # the nation: 640 (0.05), 400 (0.02), 320 (0.004), 280 (0.1): ends at 20 years
    at_10 = 280.0 + (10 - 1 / 0.174) / (1 / 0.074 - 1 / 0.174) * 40.0
    assert summary["pmd"]["10"] == pytest.approx(at_10, rel=1e-12)
    assert [summary["pmd"][str(t)] for t in PERIODS[1:]] == [None] * 4
    assert summary["supported_return_periods"] == pytest.approx([1 / 0.174, 20.0], rel=1e-11)
    assert set(summary["pmd_notes"]) == {"25", "50", "100", "250"}
    assert all("longer" in note and "20 years" in note for note in summary["pmd_notes"].values())

    import xarray as xr

    with xr.open_dataset(out / "results.nc") as store:
        pmd = store["pmd"].sel(hazard="ev", variant="central")
        for code, values in by_hand.items():
            want = [np.nan if v is None else v for v in values]
            np.testing.assert_allclose(pmd.sel(zone=code).values, want, rtol=1e-12)

    # the exceedance curves end where PMD does
    curves = _read(out, "exceedance.csv")
    longest = curves.groupby("zone_code")["return_period"].max()
    assert longest.to_dict() == pytest.approx(
        {"AAA": 20.0, "A": 250.0, "B": 50.0, "__outside__": 250.0}
    )

    # the Sendai rows: a PMD only where it is defined
    sendai = pd.read_csv(out / "sendai.csv", encoding="utf-8-sig", dtype={"admin_code": str})
    rows = sendai[(sendai["measure"] == "pmd") & (sendai["hazard_id"] == "ev")]
    rows = rows[rows["value_number"].notna()]
    periods = rows.groupby("admin_code")["return_period"].agg(lambda s: sorted(set(s)))
    assert periods["AAA"] == [10.0]
    assert periods["B"] == [10.0, 25.0, 50.0]
    assert periods["A"] == [10.0, 25.0, 50.0, 100.0, 250.0]


# ------------------------------------------------------------- exceedance.csv, once


def _keys(curves):
    return curves.duplicated(["hazard_id", "zone_code", "level", "return_period"])


def test_a_run_without_zones_writes_each_national_curve_once(tmp_path, cli):
    folder = tmp_path / "case"
    run = _event_case(folder)
    del run["zones"]
    run["hazards"].append(basic_case(tmp_path / "rp")["hazards"][0])
    for name in ("rp10.tif", "rp100.tif"):
        (folder / name).write_bytes((tmp_path / "rp" / name).read_bytes())
    result = cli("run", write_run(folder, run), "--out", tmp_path / "out", "--no-map")
    assert result.exit_code == 0, result.stderr
    curves = _read(tmp_path / "out", "exceedance.csv")
    assert not _keys(curves).any()
    national = curves[(curves["zone_code"] == "AAA") & (curves["hazard_id"] == "ev")]
    rp, values = reference_curve([280.0, 400.0, 640.0, 320.0], FREQ)
    np.testing.assert_allclose(national["return_period"], rp, rtol=1e-12)
    np.testing.assert_allclose(national["displaced"], values, rtol=1e-12)
    maps = curves[(curves["zone_code"] == "AAA") & (curves["hazard_id"] == "rf")]
    assert maps["return_period"].tolist() == [10.0, 100.0]


def test_a_zones_file_whose_unit_is_the_nation_gives_one_curve(tmp_path, cli):
    """One unit of level 0 with the country's code over columns 0-2; column 3 (400
    people, flooded by event 2) lies outside it. exceedance.csv has one AAA curve, the
    unit's (as its zones.csv row), and the outside bucket's."""
    folder = tmp_path / "case"
    run = _event_case(folder)
    write_zones(folder / "nation.geojson", ["AAA"], [cell_box(0, 0, rows=4, cols=3)])
    run["zones"] = {
        "path": "nation.geojson",
        "code_field": "code",
        "name_field": "name",
        "level": 0,
    }
    result = cli("run", write_run(folder, run), "--out", tmp_path / "out", "--no-map")
    assert result.exit_code == 0, result.stderr
    curves = _read(tmp_path / "out", "exceedance.csv")
    assert not _keys(curves).any()
    unit = curves[curves["zone_code"] == "AAA"]
    assert unit["level"].tolist() == [0] * len(FREQ)
    rp, values = reference_curve([280.0, 0.0, 640.0, 320.0], FREQ)
    np.testing.assert_allclose(unit["return_period"], rp, rtol=1e-12)
    np.testing.assert_allclose(unit["displaced"], values, rtol=1e-12)
    outside = curves[curves["zone_code"] == "__outside__"]
    rp, values = reference_curve([0.0, 400.0, 0.0, 0.0], FREQ)
    np.testing.assert_allclose(outside["return_period"], rp, rtol=1e-12)
    np.testing.assert_allclose(outside["displaced"], values, rtol=1e-12)


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
    result = cli("run", write_run(folder, run), "--out", tmp_path / "out", "--no-map")
    assert result.exit_code == 0, result.stderr
    zones = _read(tmp_path / "out", "zones.csv")
    assert set(zones["zone_code"]) == {"A", "B", "__outside__"}
    outside = zones[(zones["zone_code"] == "__outside__") & (zones["hazard_id"] == "rf")]
    assert outside["population"].iloc[0] == pytest.approx(POP[:, 3].sum())
    columns = [c for c in zones.columns if c.startswith("pmd_250")]
    assert len(columns) == 3 and zones[columns].isna().all().all()  # _low and _high too
    # within the maps: the outside bucket's 100-year figure is column 3 at 1 m (400)
    assert outside["pmd_100"].iloc[0] == pytest.approx(400.0)
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert all(summary["hazards"][h]["pmd"]["250"] is None for h in ("rf", "rf_b", "rf_all"))
