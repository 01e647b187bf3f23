"""``mecc compare`` of runs whose figures differ in kind, and of a folder that is no run.

1. A run whose curve has low/high variants (``flood_step_1m``) compared with one whose
   curve has none (``flood_step_0.5m``), and an event set with ensemble members compared
   with return-period maps, stopped with a KeyError (exit 3) when the run with the extra
   columns came first. Both orders now give every figure of both runs, the columns only
   one run has blank for the other, and one warning line naming what is blank and why.
2. A half-written staging folder (summary.json, zones.csv and results.nc, no
   manifest.json) was compared with exit 0; it is refused in one line, exit 1, as
   ``mecc map`` refuses it, and nothing is written.

The 4 x 4 test grid (tests/_run_inputs.py) holds 280, 320, 360 and 400 people in its
columns 0-3 (zone A: columns 0-1, 600 people; B: columns 2-3, 760), 0, 0.5, 1 and 2 m of
water in the 100-year map and half that in the 10-year map. A step curve displaces
everyone where the depth reaches its step. AAD of two maps by hand: the trapezoid
0.09 x (D10 + D100) / 2 (frequencies 0.1 and 0.01).
"""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from tests._errors import one_error_line
from tests._run_inputs import basic_case, event_hazard, write_run

COLUMN_PEOPLE = np.array([280.0, 320.0, 360.0, 400.0])
RP10 = np.array([0.0, 0.25, 0.5, 1.0])
RP100 = np.array([0.0, 0.5, 1.0, 2.0])
ZONES = {"AAA": [0, 1, 2, 3], "A": [0, 1], "B": [2, 3]}


def _displaced(depth, step, columns) -> float:
    return float(COLUMN_PEOPLE[columns][depth[columns] >= step].sum())


def _maps(step, columns) -> tuple[float, float]:
    """AAD and PMD(100) of the two maps under a step curve at ``step`` metres."""
    d10, d100 = _displaced(RP10, step, columns), _displaced(RP100, step, columns)
    return 0.09 * (d10 + d100) / 2, d100


# flood_step_1m: 1 m, its variants 1.5 m (low) and 0.5 m (high); flood_step_0.5m: 0.5 m
STEP_1M = {code: {end: _maps(s, c) for end, s in (("", 1.0), ("_low", 1.5), ("_high", 0.5))}
           for code, c in ZONES.items()}  # fmt: skip
STEP_05M = {code: _maps(0.5, c) for code, c in ZONES.items()}


def test_the_figures_by_hand():
    """The by-hand figures above, spelled out (national row)."""
    assert STEP_1M["AAA"][""] == pytest.approx((52.2, 760.0))  # 0.09 (400 + 760) / 2
    assert STEP_1M["AAA"]["_low"] == pytest.approx((18.0, 400.0))  # 0.09 (0 + 400) / 2
    assert STEP_1M["AAA"]["_high"] == pytest.approx((82.8, 1080.0))  # 0.09 (760 + 1080) / 2
    assert STEP_05M["AAA"] == pytest.approx((82.8, 1080.0))
    assert STEP_1M["A"][""] == (0.0, 0.0) and STEP_05M["A"] == pytest.approx((14.4, 320.0))


def _run(cli, tmp_path, name, hazard=None, events=None):
    folder = tmp_path / f"{name}-inputs"
    data = basic_case(folder)
    if hazard is not None:
        data["hazards"] = [hazard]
    if events is not None:
        (folder / "events.csv").write_text(events, encoding="utf-8")
    out = tmp_path / name
    result = cli("run", write_run(folder, data), "--out", out, "--no-map")
    assert result.exit_code == 0, result.stderr
    return out


def _compare(cli, tmp_path, base, future, name="cmp"):
    out = tmp_path / name
    result = cli("compare", base, future, "--out", out)
    assert result.exit_code == 0, (result.exit_code, result.stderr)
    table = pd.read_csv(out / "compare.csv", encoding="utf-8-sig", dtype={"zone_code": str})
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    return table.set_index("zone_code"), warnings


def _plain(cli, tmp_path):
    """The same maps under flood_step_0.5m, a built-in curve without variants."""
    hazard = basic_case(tmp_path / "x")["hazards"][0]
    return _run(cli, tmp_path, "plain", dict(hazard, curve="flood_step_0.5m"))


# ------------------------------------------------- 1. a range in one run only


@pytest.mark.parametrize("order", ["variants first", "variants second"])
def test_compare_a_curve_with_variants_and_one_without(cli, tmp_path, order):
    steps, plain = _run(cli, tmp_path, "steps"), _plain(cli, tmp_path)
    runs = (steps, plain) if order == "variants first" else (plain, steps)
    table, warnings = _compare(cli, tmp_path, *runs)
    side = ("baseline", "future") if order == "variants first" else ("future", "baseline")
    has, lacks = side  # the run with variants, the run without
    for code in ZONES:
        row = table.loc[code]
        assert (
            row["population_baseline"]
            == row["population_future"]
            == pytest.approx(COLUMN_PEOPLE[ZONES[code]].sum(), rel=1e-12)
        )
        for k, figure in enumerate(("aad", "pmd_100")):
            central = STEP_1M[code][""][k]
            assert row[f"{figure}_{has}"] == pytest.approx(central, rel=1e-12, abs=1e-12)
            assert row[f"{figure}_{lacks}"] == pytest.approx(STEP_05M[code][k], rel=1e-12)
            for end in ("low", "high"):
                assert row[f"{figure}_{has}_{end}"] == pytest.approx(
                    STEP_1M[code][f"_{end}"][k], rel=1e-12, abs=1e-12
                )
                assert np.isnan(row[f"{figure}_{lacks}_{end}"])  # blank, not dropped
            change = row[f"{figure}_future"] - row[f"{figure}_baseline"]
            expected = STEP_05M[code][k] - central
            expected = expected if order == "variants first" else -expected
            assert row[f"{figure}_change"] == pytest.approx(expected, rel=1e-12, abs=1e-12)
            assert change == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert table.loc["AAA", "level"] == 0 and list(table.index[:1]) == ["AAA"]
    assert list(table.filter(like="aad_").columns) == [
        "aad_baseline", "aad_baseline_low", "aad_baseline_high",
        "aad_future", "aad_future_low", "aad_future_high", "aad_change",
    ]  # fmt: skip
    assert warnings == [
        f"warning: {plain}: no range (_low, _high) of aad, pmd_100 for hazard rf (its curve "
        f"flood_step_0.5m has no low/high variants), which {steps} gives; compare.csv "
        f"leaves aad_{lacks}_low, aad_{lacks}_high, pmd_100_{lacks}_low, "
        f"pmd_100_{lacks}_high blank"
    ]


def test_compare_of_two_runs_with_variants_warns_of_nothing(cli, tmp_path):
    steps = _run(cli, tmp_path, "steps")
    table, warnings = _compare(cli, tmp_path, steps, steps)
    assert warnings == []
    assert table.loc["AAA", "aad_future_low"] == pytest.approx(18.0, rel=1e-12)


# ------------------------------------------- 1. ensemble members in one run only

# events.csv: band 1 (the 100-year depths) is member a, band 2 (twice as deep) member b;
# each member's frequencies rescaled to the set's total 0.11: a x 1.1, b x 11
MEMBER_EVENTS = "band,frequency,member\n1,0.1,a\n2,0.01,b\n"
DEPTH_BY_BAND = (RP100, 2 * RP100)


def _members_by_hand(columns) -> tuple[float, list]:
    """Pooled AAD (flood_step_1m) and the two members' AADs of the columns."""
    displaced = [_displaced(depth, 1.0, columns) for depth in DEPTH_BY_BAND]
    pooled = 0.1 * displaced[0] + 0.01 * displaced[1]
    return pooled, [0.1 * 1.1 * displaced[0], 0.01 * 11 * displaced[1]]


@pytest.mark.parametrize("order", ["members first", "members second"])
def test_compare_an_event_set_with_members_and_return_period_maps(cli, tmp_path, order):
    events = _run(cli, tmp_path, "events", event_hazard("rf"), MEMBER_EVENTS)
    maps = _run(cli, tmp_path, "maps")
    runs = (events, maps) if order == "members first" else (maps, events)
    table, warnings = _compare(cli, tmp_path, *runs)
    mine, theirs = ("baseline", "future") if order == "members first" else ("future", "baseline")
    pooled, members = _members_by_hand(ZONES["AAA"])
    assert (pooled, *members) == pytest.approx((86.8, 83.6, 118.8))  # 0.1 x 760 + 0.01 x 1080
    for code, columns in ZONES.items():
        row = table.loc[code]
        pooled, members = _members_by_hand(columns)
        assert row[f"aad_{mine}"] == pytest.approx(pooled, rel=1e-12, abs=1e-12)
        assert row[f"aad_{theirs}"] == pytest.approx(STEP_1M[code][""][0], rel=1e-12, abs=1e-12)
        for stat, value in (("median", np.median(members)), ("min", min(members))):
            assert row[f"aad_{mine}_member_{stat}"] == pytest.approx(value, rel=1e-12, abs=1e-12)
        assert row[f"aad_{mine}_member_max"] == pytest.approx(max(members), rel=1e-12, abs=1e-12)
        for stat in ("median", "min", "max"):
            assert np.isnan(row[f"aad_{theirs}_member_{stat}"])
        # both curves have variants (flood_step_1m): the maps' low variant by hand
        assert row[f"aad_{theirs}_low"] == pytest.approx(
            STEP_1M[code]["_low"][0], rel=1e-12, abs=1e-12
        )
        change = STEP_1M[code][""][0] - pooled
        change = change if order == "members first" else -change
        assert row["aad_change"] == pytest.approx(change, rel=1e-12, abs=1e-12)
    assert warnings == [
        f"warning: {maps}: no ensemble-member spread of aad for hazard rf (return-period "
        f"maps have no ensemble members), which {events} gives; compare.csv leaves "
        f"aad_{theirs}_member_median, aad_{theirs}_member_min, aad_{theirs}_member_max blank"
    ]


# ---------------------------------------------- 2. a folder that is no finished run


def _staging_copy(run, tmp_path):
    """A run's staging folder as a killed or still-running ``mecc run`` leaves it."""
    staging = tmp_path / ".steps.partial-123-abcdef12"
    staging.mkdir()
    for name in ("summary.json", "zones.csv", "results.nc"):
        shutil.copy(run / name, staging / name)
    return staging


@pytest.mark.parametrize("position", [0, 1])
def test_compare_refuses_a_folder_without_manifest(cli, tmp_path, position):
    steps = _run(cli, tmp_path, "steps")
    staging = _staging_copy(steps, tmp_path)
    runs = [steps, steps]
    runs[position] = staging
    out = tmp_path / "cmp"
    line = one_error_line(cli("compare", *runs, "--out", out), 1)
    assert line == (
        f"error: {staging / 'manifest.json'}: not found (is this a finished run folder?)"
    )
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == [staging.name]
    # the same line as mecc map (the same check)
    assert one_error_line(cli("map", staging, "--out", tmp_path / "m"), 1) == line


def test_compare_runs_refuses_a_folder_without_manifest(tmp_path, cli):
    from mecc.compare import compare_runs
    from mecc.errors import InputFileError

    steps = _run(cli, tmp_path, "steps")
    staging = _staging_copy(steps, tmp_path)
    with pytest.raises(InputFileError, match="manifest.json: not found"):
        compare_runs(steps, staging, tmp_path / "cmp")
    assert not (tmp_path / "cmp").exists()
