"""Needs, shelter gap and allocation as a humanitarian planner reads them.

1. ``mecc needs`` leaves sea-level rise out (planned relocation by a distant horizon is
   not an emergency caseload with daily needs), as it does a drought, with a note.
2. shelter_gap.csv does not pool shelter across units: a coarser unit's gap is the sum of
   its units' gaps, with the spare places shown apart.
3. allocation.csv and flows.csv say they are the central curve's, and allocation.csv
   gives the curve variants' displaced people per unit.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest


def _csv(path) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False, dtype=str)


def _number(values) -> np.ndarray:
    return pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(np.float64)


# ------------------------------------------------------------- 1. sea-level rise


def test_needs_leave_sea_level_rise_out_with_a_note(cli, demo_folder, tmp_path):
    run = demo_folder / "run"
    summary = json.loads((run / "summary.json").read_text("utf-8"))
    assert summary["hazards"]["sea_level_rise"]["kind"] == "relocation"  # the premise
    zones = _csv(run / "zones.csv")
    slr = zones[(zones["hazard_id"] == "sea_level_rise") & (zones["zone_code"] != "__outside__")]
    assert _number(slr["at_risk_relocation"]).sum() > 0  # people at risk to be left out
    out = tmp_path / "n"
    result = cli("needs", run, "--out", out)
    assert result.exit_code == 0, result.output
    needs = _csv(out / "needs.csv")
    assert "sea_level_rise" not in set(needs["hazard_id"])
    assert "at_risk_relocation" not in set(needs["basis"])
    # the other hazards stay: a scenario's displaced people, times Sphere's 15 l of water
    water = needs[(needs["hazard_id"] == "cyclone_wind") & (needs["need_id"] == "water")]
    cyclone = zones[zones["hazard_id"] == "cyclone_wind"].set_index("zone_code")
    for row in water.itertuples():
        expected = float(cyclone.loc[row.zone_code, "displaced"])
        assert float(row.displaced) == pytest.approx(expected, rel=1e-12)
        assert float(row.amount) == pytest.approx(expected * 15.0, rel=1e-12)
    notes = json.loads((out / "needs_profile.json").read_text("utf-8"))["notes"]
    slr_notes = [n for n in notes if n.startswith("needs.csv: sea_level_rise: left out")]
    assert len(slr_notes) == 1 and "planned relocation" in slr_notes[0]
    assert "not an emergency caseload" in slr_notes[0]
    warned = [line for line in result.stderr.splitlines() if "sea_level_rise: left out" in line]
    assert len(warned) == 1 and warned[0].startswith("warning:")


def test_needs_for_sea_level_rise_alone_is_one_line(cli, demo_folder, tmp_path):
    out = tmp_path / "n"
    result = cli("needs", demo_folder / "run", "--out", out, "--hazard", "sea_level_rise")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "no displaced people to plan for" in lines[0]
    assert "sea_level_rise" in lines[0] and "planned relocation" in lines[0]
    assert not out.exists()


# ------------------------------------------------------ 2. shelter gap, not pooled

CAPACITY = {"XMR0309": 50000.0, "XMR0310": 50000.0, "XMR0311": 1000.0, "XMR0312": 1000.0}


def test_shelter_gap_of_a_province_is_the_sum_of_its_districts_gaps(cli, demo_folder, tmp_path):
    run = demo_folder / "run"
    capacity = tmp_path / "c.csv"
    capacity.write_text(
        "zone_code,capacity\n" + "".join(f"{c},{v:.0f}\n" for c, v in CAPACITY.items()),
        encoding="utf-8",
    )
    out = tmp_path / "n"
    result = cli("needs", run, "--out", out, "--capacity", capacity, "--hazard", "river_flood")
    assert result.exit_code == 0, result.output
    gap = _csv(out / "shelter_gap.csv").set_index("zone_code")
    # independently, from the run's zones.csv: each district against its own places
    zones = _csv(run / "zones.csv")
    flood = zones[zones["hazard_id"] == "river_flood"].set_index("zone_code")
    districts = list(CAPACITY)
    assert set(flood.loc[districts, "parent_code"]) == {"XMR03"}
    assert set(flood.index[flood["parent_code"] == "XMR03"]) == set(districts)
    expected = {"gap": 0.0, "gap_low": 0.0, "gap_high": 0.0, "spare": 0.0}
    for code in districts:
        d = {s: float(flood.loc[code, f"pmd_100{s}"]) for s in ("", "_low", "_high")}
        cap = CAPACITY[code]
        own = {
            "gap": max(d[""] - cap, 0.0),
            "gap_low": max(d["_low"] - cap, 0.0),
            "gap_high": max(d["_high"] - cap, 0.0),
            "spare": max(cap - d[""], 0.0),
        }
        for column, value in own.items():
            assert float(gap.loc[code, column]) == pytest.approx(value, rel=1e-12, abs=1e-9)
            expected[column] += value
        assert gap.loc[code, "gap_from"] == "capacity"
    joval = float(flood.loc["XMR0310", "pmd_100"])
    assert joval - CAPACITY["XMR0310"] > 58000  # the premise: Joval alone lacks 58,000+
    costa = gap.loc["XMR03"]
    for column, value in expected.items():
        assert float(costa[column]) == pytest.approx(value, rel=1e-12)
    assert float(costa["gap"]) >= joval - CAPACITY["XMR0310"]  # never below one district's
    pooled = float(flood.loc["XMR03", "pmd_100"]) - sum(CAPACITY.values())
    assert float(costa["gap"]) > pooled + 20000  # Istra's spare places cover no one in Joval
    assert float(costa["capacity"]) == sum(CAPACITY.values())
    assert costa["gap_from"] == "units"
    area = sum(float(gap.loc[c, "shelter_area_gap"]) for c in districts)
    assert float(costa["shelter_area_gap"]) == pytest.approx(area, rel=1e-12)
    notes = json.loads((out / "needs_profile.json").read_text("utf-8"))["notes"]
    assert any("not pooled across units" in n for n in notes)


def test_shelter_gap_rules_over_three_levels():
    """Sums go up level by level; a unit whose units' gaps are not all known falls back
    on its own capacity row (pooled within it), else its gap is blank."""
    from mecc.needs_shelter import shelter_gap

    zones = pd.DataFrame(
        {
            "zone_code": ["N", "P1", "P2", "D1", "D2", "D3", "D4", "__outside__"],
            "level": [0, 1, 1, 2, 2, 2, 2, np.nan],
            "parent_code": ["", "N", "N", "P1", "P1", "P2", "P2", ""],
            "hazard_id": "h",
        }
    )
    displaced = {"N": 650.0, "P1": 400.0, "P2": 250.0, "D1": 300.0, "D2": 100.0}
    displaced |= {"D3": 250.0, "D4": 0.0}
    needs = pd.DataFrame(
        {
            "zone_code": list(displaced),
            "zone_name": list(displaced),
            "level": [0, 1, 1, 2, 2, 2, 2],
            "hazard_id": "h",
            "basis": "displaced",
            "displaced": list(displaced.values()),
            "displaced_low": [v / 2 for v in displaced.values()],
            "displaced_high": [v * 2 for v in displaced.values()],
            "need_id": "water",
            "per_person": 15.0,
        }
    )
    # D1 and D2 have places; D3 has none but its province P2 has a row of its own
    capacity = pd.Series({"D1": 100.0, "D2": 400.0, "P2": 200.0})
    gap = shelter_gap(needs, zones, capacity).set_index("zone_code")
    assert gap.loc["D1", "gap"] == 200 and gap.loc["D2", "gap"] == 0
    assert gap.loc["D2", "spare"] == 300 and gap.loc["D1", "spare"] == 0
    assert gap.loc["P1", "gap"] == 200 and gap.loc["P1", "spare"] == 300  # not 0: no pooling
    assert gap.loc["P1", "capacity"] == 500 and gap.loc["P1", "gap_from"] == "units"
    assert gap.loc["P1", "gap_low"] == 50 and gap.loc["P1", "gap_high"] == 500
    assert np.isnan(gap.loc["D3", "gap"]) and gap.loc["D3", "gap_from"] == ""
    assert gap.loc["D4", "gap"] == 0 and gap.loc["D4", "gap_from"] == "no_one_displaced"
    assert gap.loc["P2", "gap"] == 50 and gap.loc["P2", "gap_from"] == "capacity"
    assert gap.loc["P2", "spare"] == 0 and gap.loc["P2", "capacity"] == 200
    assert gap.loc["N", "gap"] == 250 and gap.loc["N", "gap_from"] == "units"
    assert gap.loc["N", "capacity"] == 700 and gap.loc["N", "spare"] == 300


# ------------------------------------------------ 3. allocation: central and range


def test_allocation_gives_the_variants_displaced_and_labels_the_central_curve(demo_folder):
    run = demo_folder / "run"
    allocation = _csv(run / "allocation.csv")
    flows = _csv(run / "flows.csv")
    assert set(allocation["curve"]) == {"central"} and set(flows["curve"]) == {"central"}
    bands = _csv(run / "zones_bands.csv").set_index(["zone_code", "hazard_id", "band"])
    cyclone = allocation[allocation["hazard_id"] == "cyclone_wind"]
    assert len(cyclone) > 0
    for row in cyclone.itertuples():
        source = bands.loc[(row.zone_code, row.hazard_id, row.band)]
        for column in ("displaced_low", "displaced_high"):
            value = float(getattr(row, column))
            assert value == pytest.approx(float(source[column]), rel=1e-12, abs=1e-9)
        assert "central curve" in row.note and "not allocated" in row.note
    summary = json.loads((run / "summary.json").read_text("utf-8"))["hazards"]["cyclone_wind"]
    provinces = cyclone[cyclone["level"] == "1"]
    outside = cyclone[cyclone["zone_code"] == "__outside__"]
    for s in ("_low", "_high"):
        national = _number(provinces[f"displaced{s}"]).sum() + _number(outside[f"displaced{s}"])
        assert float(national.sum()) == pytest.approx(summary[f"displaced{s}"], rel=1e-9)
    assert round(summary["displaced_low"]) == 69253 and round(summary["displaced_high"]) == 1399925
    # a hazard with one curve: no range, no note
    surge = allocation[allocation["hazard_id"] == "storm_surge"]
    assert len(surge) > 0
    assert set(surge["displaced_low"]) == {""} and set(surge["note"]) == {""}
    # the central figures: hosted + no host = displaced over the finest units and outside
    finest = cyclone[cyclone["level"].isin(["2", ""])]
    total = _number(finest["hosted"]).sum() + _number(finest["no_host"]).sum()
    assert total == pytest.approx(_number(finest["displaced"]).sum(), rel=1e-9)
    assert total == pytest.approx(summary["displaced"], rel=1e-9)
