"""exceedance.csv shows each curve with its range: ``displaced_low`` / ``displaced_high``.

A hazard with curve variants (DESIGN.md "Ranges and futures") writes, beside the central
curve, each variant's curve: for return-period maps the variant's displacement in each
map, for an event set the variant's own exceedance curve (CLIMADA's calc_freq_curve of
its per-event displacement, sorted by its own values) read at the central curve's return
periods, linearly in return period (as the PMD). Columns only for the variants a hazard
has, blank for a hazard without them, as zones.csv. Expected values are computed here
with numpy from the grids written by the test (step curves: everyone at or above the
step's depth is displaced).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests._run_inputs import POP, basic_case, cell_box, write_run, write_zones
from tests.conftest import write_raster

COUNTRY = "AAA"
STEPS = {"displaced": 1.0, "displaced_low": 1.5, "displaced_high": 0.4}
VARIANTS = {"low": {"step": 1.5}, "high": {"step": 0.4}}
ZONE_COLUMNS = {"A": [0, 1], "B": [2, 3]}  # basic_case: A = columns 0-1, B = 2-3 (level 1)
FREQ = np.array([0.1, 0.02, 0.05, 0.004, 0.03])


def _read(out, name):
    return pd.read_csv(out / name, encoding="utf-8-sig", dtype={"zone_code": str})


def _run(tmp_path, cli, run):
    result = cli("run", write_run(tmp_path / "case", run), "--out", tmp_path / "out", "--no-map")
    assert result.exit_code == 0, result.stderr
    return tmp_path / "out"


def _displaced(depth, step, columns=slice(None)):
    """People at or above ``step`` m in each band (depth: bands x rows x cols)."""
    return ((depth >= step) * POP)[:, :, columns].sum(axis=(1, 2))


def _freq_curve(displaced, frequency):
    """calc_freq_curve: largest first (ties: rarest first), 1 / cumulative frequency;
    returned ascending in return period."""
    order = sorted(range(len(displaced)), key=lambda e: (-displaced[e], frequency[e]))
    cumulative = np.cumsum(frequency[order])
    return 1.0 / cumulative[::-1], np.asarray(displaced)[order][::-1]


def _curve(curves, hazard, code, level):
    mine = curves[(curves["hazard_id"] == hazard) & (curves["zone_code"] == code)]
    return mine[mine["level"].isna()] if level is None else mine[mine["level"] == level]


# ------------------------------------------------------------ return-period maps


def test_return_period_maps_give_each_variants_displacement_per_map(tmp_path, cli):
    run = basic_case(tmp_path / "case")  # rp10 = 0, .25, .5, 1 m; rp100 = 0, .5, 1, 2 m
    run["hazards"][0].update(curve={"step": 1.0}, variants=VARIANTS)
    curves = _read(_run(tmp_path, cli, run), "exceedance.csv")
    assert curves.columns.tolist()[-3:] == ["displaced", "displaced_low", "displaced_high"]
    depth = np.stack([np.array([[0.0, 0.25, 0.5, 1.0]] * 4), np.array([[0.0, 0.5, 1.0, 2.0]] * 4)])
    areas = {(COUNTRY, 0): slice(None), **{(c, 1): cols for c, cols in ZONE_COLUMNS.items()}}
    for (code, level), columns in areas.items():
        curve = _curve(curves, "rf", code, level)
        assert curve["return_period"].tolist() == [10.0, 100.0]
        for column, step in STEPS.items():
            want = _displaced(depth, step, columns)
            np.testing.assert_allclose(curve[column], want, rtol=1e-12, err_msg=f"{code} {column}")
    # by hand, the nation: high (0.4 m) at 10 years = columns 2-3 (0.5, 1 m)
    nation = _curve(curves, "rf", COUNTRY, 0).set_index("return_period")
    assert nation.loc[10.0, "displaced_high"] == POP[:, 2:].sum() == 760.0
    assert nation.loc[100.0, "displaced_low"] == POP[:, 3].sum() == 400.0


# ------------------------------------------------------------------- event sets


def _event_depth(seed=7):
    """Five events on the 4 x 4 grid with depths 0, 0.5, 1.2 or 2 m: the variants rank
    the events differently from the central curve."""
    rng = np.random.default_rng(seed)
    return rng.choice([0.0, 0.5, 1.2, 2.0], size=(len(FREQ), *POP.shape), p=[0.4, 0.2, 0.2, 0.2])


def _event_case(folder, depth, frequency, variants=VARIANTS):
    run = basic_case(folder)
    write_raster(folder / "evs.tif", depth)
    (folder / "evs.csv").write_text(
        "band,frequency\n" + "".join(f"{e + 1},{float(f)!r}\n" for e, f in enumerate(frequency)),
        encoding="utf-8",
    )
    hazard = {"id": "ev", "type": "river_flood", "intensity": "evs.tif", "events": "evs.csv"}
    hazard["curve"] = {"step": 1.0}
    if variants:
        hazard["variants"] = variants
    run["hazards"] = [hazard]
    return run


@pytest.mark.parametrize("frequency", [FREQ, np.full(len(FREQ), 0.02)], ids=["unequal", "equal"])
def test_an_event_set_gives_each_variants_own_curve(tmp_path, cli, frequency):
    depth = _event_depth()
    out = _run(tmp_path, cli, _event_case(tmp_path / "case", depth, frequency))
    curves = _read(out, "exceedance.csv")
    areas = {(COUNTRY, 0): slice(None), **{(c, 1): cols for c, cols in ZONE_COLUMNS.items()}}
    reordered = 0
    for (code, level), columns in areas.items():
        curve = _curve(curves, "ev", code, level)
        rp, central = _freq_curve(_displaced(depth, STEPS["displaced"], columns), frequency)
        np.testing.assert_allclose(curve["return_period"], rp, rtol=1e-12)
        np.testing.assert_allclose(curve["displaced"], central, rtol=1e-12)
        for column in ("displaced_low", "displaced_high"):
            per_event = _displaced(depth, STEPS[column], columns)
            own_rp, own = _freq_curve(per_event, frequency)
            reordered += not np.allclose(own_rp, rp, rtol=1e-12)
            # the variant's own curve, linear in return period at the central points
            want = np.interp(rp, own_rp, own)
            np.testing.assert_allclose(curve[column], want, rtol=1e-12, err_msg=f"{code} {column}")
            if np.all(frequency == frequency[0]):  # the variant's values sorted, exactly
                np.testing.assert_array_equal(curve[column], np.sort(per_event))
        # step curves below/above the central one at every depth bracket the curve
        assert (curve["displaced_low"] <= curve["displaced"]).all()
        assert (curve["displaced"] <= curve["displaced_high"]).all()
    if np.all(frequency == frequency[0]):
        assert reordered == 0
    else:  # the case exercises curves whose own return periods differ from the central's
        assert reordered > 0


def test_columns_follow_zones_csv_one_side_and_none(tmp_path, cli):
    """Only a ``high`` variant: displaced_high alone, as zones.csv has aad_high alone; a
    second hazard without variants in the same run: its range blank (not 0)."""
    depth = _event_depth()
    run = _event_case(tmp_path / "case", depth, FREQ, variants={"high": {"step": 0.4}})
    plain = dict(run["hazards"][0], id="plain")
    del plain["variants"]
    run["hazards"].append(plain)
    out = _run(tmp_path, cli, run)
    curves = _read(out, "exceedance.csv")
    zones = _read(out, "zones.csv")
    assert "displaced_high" in curves.columns and "aad_high" in zones.columns
    assert "displaced_low" not in curves.columns and "aad_low" not in zones.columns
    nation = _curve(curves, "ev", COUNTRY, 0)
    rp, _ = _freq_curve(_displaced(depth, 1.0), FREQ)
    own_rp, own = _freq_curve(_displaced(depth, 0.4), FREQ)
    np.testing.assert_allclose(nation["displaced_high"], np.interp(rp, own_rp, own), rtol=1e-12)
    assert curves.loc[curves["hazard_id"] == "plain", "displaced_high"].isna().all()
    assert zones.loc[zones["hazard_id"] == "plain", "aad_high"].isna().all()


def test_a_nation_unit_is_the_nation_only_if_no_variant_displaces_outside(tmp_path, cli):
    """A level-0 unit AAA over columns 0-2; column 3 (400 people) lies outside it, 0.5 m
    deep in every event: only the high variant (0.4 m) displaces anyone there. The
    central curves agree, the high ones do not: both curves are written, the whole
    grid's (summary.json's figures) with a blank level."""
    depth = np.zeros((len(FREQ), *POP.shape))
    depth[:, :, 3] = 0.5
    for e, columns in enumerate(([0], [1], [0, 2], [1, 2], [2])):
        depth[e][:, columns] = 2.0
    run = _event_case(tmp_path / "case", depth, FREQ)
    write_zones(tmp_path / "case" / "nation.geojson", [COUNTRY], [cell_box(0, 0, rows=4, cols=3)])
    run["zones"] = {"path": "nation.geojson", "code_field": "code", "name_field": "name"}
    run["zones"]["level"] = 0
    curves = _read(_run(tmp_path, cli, run), "exceedance.csv")
    assert not curves.duplicated(["hazard_id", "zone_code", "level", "return_period"]).any()
    for level, columns in ((None, slice(None)), (0, slice(0, 3))):
        curve = _curve(curves, "ev", COUNTRY, level)
        assert len(curve) == len(FREQ), level
        rp, central = _freq_curve(_displaced(depth, 1.0, columns), FREQ)
        np.testing.assert_allclose(curve["displaced"], central, rtol=1e-12)
        own_rp, own = _freq_curve(_displaced(depth, 0.4, columns), FREQ)
        want = np.interp(rp, own_rp, own)
        np.testing.assert_allclose(curve["displaced_high"], want, rtol=1e-12, err_msg=str(level))
    whole, unit = _curve(curves, "ev", COUNTRY, None), _curve(curves, "ev", COUNTRY, 0)
    assert (whole["displaced_high"].to_numpy() - unit["displaced_high"].to_numpy() == 400).all()
