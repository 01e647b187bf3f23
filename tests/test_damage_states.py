"""Damage states (Sendai B-3 damaged but not destroyed, B-4 destroyed): evaluated in the
engine's pass, exclusive by construction, checked by hand on the 4 x 4 test grid
(tests/_run_inputs.py): depth 0, 0.5, 1, 2 m by column; zone A = columns 0-1, B = 2-3."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from mecc.run import run_country
from tests._run_inputs import POP, basic_case, write_run

DAMAGED = {"intensity": [0.5, 0.5, 1.5, 1.5], "share": [0.0, 1.0, 1.0, 0.0]}
DESTROYED = {"step": 1.5}


def _scenario(folder, damage_curve):
    data = basic_case(folder)
    data["hazards"] = [
        {
            "id": "sc",
            "type": "river_flood",
            "intensity": "rp100.tif",
            "scenario": "test flood",
            "curve": "flood_step_1m",
            "damage_curve": damage_curve,
        }
    ]
    return data


def test_damage_states_by_hand(tmp_path):
    data = _scenario(tmp_path, {"damaged": DAMAGED, "destroyed": DESTROYED})
    result = run_country(write_run(tmp_path, data), tmp_path / "out", with_map=False)
    bands = pd.read_csv(
        tmp_path / "out" / "zones_bands.csv", encoding="utf-8-sig", dtype={"zone_code": str}
    ).set_index("zone_code")
    # 0.5 m and 1 m: damaged (columns 1 and 2); 2 m: destroyed (column 3)
    assert bands.loc["A", "damaged"] == pytest.approx(POP[:, 1].sum())
    assert bands.loc["A", "destroyed"] == 0
    assert bands.loc["B", "damaged"] == pytest.approx(POP[:, 2].sum())
    assert bands.loc["B", "destroyed"] == pytest.approx(POP[:, 3].sum())
    summary = result.summary["hazards"]["sc"]
    assert summary["destroyed"] == pytest.approx(POP[:, 3].sum())
    assert summary["damaged"] == pytest.approx(POP[:, 1:3].sum())
    # the displacement curve is unaffected by the extra curves in the pass
    assert summary["displaced"] == pytest.approx(POP[:, 2:].sum())


def test_built_in_damage_states_bring_their_range(tmp_path):
    data = _scenario(tmp_path, "flood_damage_states_jrc_europe")
    run_country(write_run(tmp_path, data), tmp_path / "out", with_map=False)
    bands = pd.read_csv(tmp_path / "out" / "bands.csv", encoding="utf-8-sig")
    row = bands.iloc[0]
    for state in ("damaged", "destroyed"):
        assert {f"{state}_low", f"{state}_high"} <= set(bands.columns)
    # exclusive: nobody counted twice, nobody beyond the people in water
    people_in_water = POP[:, 1:].sum()
    for variant in ("", "_low", "_high"):
        assert row[f"damaged{variant}"] + row[f"destroyed{variant}"] <= people_in_water + 1e-9
    # the JRC europe curve: damage >= 0.1 from 0.23 m, >= 0.55 (destroyed) from 1.75 m
    assert row["destroyed"] == pytest.approx(POP[:, 3].sum())
    assert row["damaged"] == pytest.approx(POP[:, 1:3].sum())
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["hazards"]["sc"]["damage_curve"]["destroyed:central"].startswith(
        "flood_damage_states_jrc_europe"
    )


@pytest.mark.parametrize(
    ("damage_curve", "expected"),
    [
        (
            {"damaged": {"step": 0.5}, "destroyed": DESTROYED},
            "add up to 2 at intensity 1.5",
        ),
        ({"damaged": DAMAGED}, "give damaged and destroyed curves"),
        ("flood_step_1m", "not a built-in damage-state curve"),
    ],
)
def test_bad_damage_curves(tmp_path, cli, damage_curve, expected):
    data = _scenario(tmp_path, damage_curve)
    result = cli("run", write_run(tmp_path, data), "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert "hazards[0] (sc).damage_curve" in result.stderr and expected in result.stderr
    assert not (tmp_path / "out").exists()


def test_damage_curve_refused_for_slow_onset(tmp_path, cli):
    data = basic_case(tmp_path)
    data["hazards"][0]["type"] = "drought"
    data["hazards"][0]["damage_curve"] = "flood_damage_states_jrc_europe"
    result = cli("validate", write_run(tmp_path, data))
    assert result.exit_code == 2 and "damage states apply to" in result.stderr
    assert np.isfinite(POP).all()
