"""A protection standard (``protection_rp``) holds back every T-year event with T below it,
in every figure of the run: AAD and PMD, the groups of people, and the exceedance curve.

The small case (tests/_run_inputs.py): zone A is columns 0-1, zone B columns 2-3; the
maps' depths are DEPTH x 0.5, x 1 and x 2 (10, 100 and 1,000 years), the curve
displaces everyone at 1 m or more. Zone B is protected up to 30 years, A not at all.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from exposure.cohorts import STANDARD_COHORTS as COHORTS
from tests._run_inputs import DEPTH, POP, basic_case, write_run
from tests.conftest import write_raster

RPS = (10, 100, 1000)
SCALE = {10: 0.5, 100: 1.0, 1000: 2.0}


def _displaced(cols, rp) -> float:
    return float((POP[:, cols] * (DEPTH[:, cols] * SCALE[rp] >= 1.0)).sum())


def _trapezoid(points) -> float:
    """Area under (exceedance probability, displaced) points, from the most frequent."""
    pairs = zip(points[:-1], points[1:], strict=True)
    return sum((p0 - p1) * (d0 + d1) / 2 for (p0, d0), (p1, d1) in pairs)


def test_protection_holds_back_frequent_events_in_every_figure(tmp_path, cli):
    folder = tmp_path / "case"
    run = basic_case(folder)
    write_raster(folder / "rp1000.tif", DEPTH * 2.0)
    pd.DataFrame({"code": ["A", "B"], **{c: [1, 1] for c in COHORTS}}).to_csv(
        folder / "cohorts.csv", index=False
    )
    run["population"]["cohorts"] = {"path": "cohorts.csv", "code_column": "code"}
    run["hazards"][0]["return_periods"] = {rp: f"rp{rp}.tif" for rp in RPS}
    run["hazards"][0]["protection_rp"] = {"B": 30}
    result = cli("run", write_run(folder, run), "--out", tmp_path / "out", "--no-map")
    assert result.exit_code == 0, result.stderr
    out = tmp_path / "out"

    a = {rp: _displaced(slice(0, 2), rp) for rp in RPS}
    b = {rp: _displaced(slice(2, 4), rp) for rp in RPS}
    t = np.log(30 / 10) / np.log(100 / 10)  # D(30) in log T between the 10- and 100-year maps
    aad_b = _trapezoid([(1 / 30, (1 - t) * b[10] + t * b[100]), (0.01, b[100]), (1e-3, b[1000])])
    aad_a = _trapezoid([(1 / rp, a[rp]) for rp in RPS])
    assert b[10] > 0  # the 10-year map does reach zone B: protection matters
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["hazards"]["rf"]["aad"] == pytest.approx(aad_a + aad_b, rel=1e-12)
    # the groups add up to everyone: each cohort is a sixth of the protected AAD
    groups = summary["exposure"]["groups"]["rf"]
    for cohort in COHORTS:  # were the AAD without protection (7.6 times too high in a probe)
        assert groups[cohort]["aad"] == pytest.approx((aad_a + aad_b) / 6, rel=1e-12)
    # the exceedance curve: zone B displaces nobody at 10 years, as its PMD says
    curve = pd.read_csv(out / "exceedance.csv", encoding="utf-8-sig", dtype={"zone_code": str})
    national = curve[curve["level"] == 0].set_index("return_period")["displaced"]
    assert national.to_dict() == pytest.approx(
        {10.0: a[10], 100.0: a[100] + b[100], 1000.0: a[1000] + b[1000]}
    )
    zone_b = curve[curve["zone_code"] == "B"].set_index("return_period")["displaced"]
    assert zone_b[10.0] == 0.0 and zone_b[100.0] == pytest.approx(b[100])
    zones = pd.read_csv(out / "zones.csv", encoding="utf-8-sig").set_index("zone_code")
    assert zones.loc["B", "pmd_10"] == 0.0
    # per-map figures say the same: the 10-year map displaces nobody in B (they gave the
    # map as drawn, so one file showed two different 10-year figures for B)
    bands = pd.read_csv(out / "zones_bands.csv", encoding="utf-8-sig", dtype={"zone_code": str})
    per_map = bands.set_index(["zone_code", "band"])
    assert per_map.loc[("B", "rp10"), ["exposed", "displaced"]].tolist() == [0.0, 0.0]
    assert per_map.loc[("B", "rp100"), "displaced"] == pytest.approx(b[100])
    assert per_map.loc[("A", "rp10"), "displaced"] == pytest.approx(a[10])
    national_bands = pd.read_csv(out / "bands.csv", encoding="utf-8-sig").set_index("band")
    assert national_bands.loc["rp10", "displaced"] == pytest.approx(a[10])
    assert national_bands.loc["rp100", "displaced"] == pytest.approx(a[100] + b[100])
    assert [r["displaced"] for r in summary["hazards"]["rf"]["bands"]] == pytest.approx(
        [a[10], a[100] + b[100], a[1000] + b[1000]]
    )
    sendai = pd.read_csv(out / "sendai.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    maps = (
        sendai[
            (sendai["measure"] == "return_period_map")
            & (sendai["indicator_code"] == "AAA-D1")
            & (sendai["breakdown"] == "")
        ]
        .set_index(["admin_code", "band"])["value_number"]
        .astype(float)
    )
    assert maps[("B", "rp10")] == 0.0 and maps[("AAA", "rp10")] == pytest.approx(a[10])
    assert maps[("B", "rp100")] == pytest.approx(b[100])
    import xarray as xr

    with xr.open_dataset(out / "results.nc", group="disaggregated") as groups_nc:
        cohort = groups_nc["displaced"].sel(group=COHORTS[0], zone="B", variant="central")
        per_band = cohort.isel(hazard=0).to_numpy()
    assert per_band[0] == 0.0 and per_band[1] == pytest.approx(b[100] / 6)
