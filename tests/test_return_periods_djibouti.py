"""Acceptance: return-period maps (WRI Aqueduct, Djibouti) against numpy.

One run of ``mecc`` (module-scoped): a population grid of 100 people per cell on
exactly the Aqueduct grid, no zones (one national zone ``DJI``), and one hazard set per
curve x protection standard. Expected values come from plain numpy, following
DESIGN.md "Return-period maps":

- aad         = sum_i (p_i - p_(i+1)) (D_i + D_(i+1)) / 2 over the maps, p = 1/RP
- aad_tail    = min(p_n, 1/P) * D_n
- aad_climada = sum_i D_i (p_i - p_(i+1)), p_(n+1) = 0
- PMD(T)      = linear in log T between maps, null outside [RP_1, RP_n]
- protection P: events more frequent than P displace nobody; the trapezoid starts at
  p = 1/P with D(P) interpolated in log T; P <= RP_1 changes nothing; P >= RP_n gives 0.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import rasterio
import yaml

pytestmark = pytest.mark.shared_data

REL = 1e-9
ABS = 1e-9
PEOPLE_PER_CELL = 100.0
RPS = (2, 5, 10, 25, 50, 100, 250, 500, 1000)
SUBSET = (25, 50, 100)
PMD_PERIODS = (10, 25, 50, 100, 250)
NODATA = -9999.0
RIVER_FLOOD_EXPOSURE_THRESHOLD = 0.1
CURVES = {
    "step": {"intensity": [0, 0.05, 0.05, 100], "share": [0, 0, 1, 1]},
    "lin": {"intensity": [0, 1], "share": [0, 1]},
}
PROTECTIONS = (None, 10, 30, 1000, 2000, 2, 1)


def share_of(curve: str, depth: np.ndarray) -> np.ndarray:
    """Independent curve evaluation (depth already masked: NaN = no data)."""
    if curve == "step":
        share = (depth >= 0.05).astype(np.float64)  # value at the step takes the upper share
    else:
        share = np.clip(depth, 0.0, 1.0)
    share[~(depth > 0)] = 0.0  # intensity <= 0 or NaN contributes nothing
    return share


def hazard_id(curve, protection, subset=False):
    return f"{curve}{'_sub' if subset else ''}_p{protection if protection else 'none'}"


def assert_close(got, expected, rel=REL, abs_=ABS, what=""):
    got = np.asarray(got, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert got.shape == expected.shape, f"{what}: shape {got.shape} != {expected.shape}"
    assert np.array_equal(np.isnan(got), np.isnan(expected)), (
        f"{what}: null pattern differs (got {got}, expected {expected})"
    )
    ok = ~np.isnan(expected)
    err = np.abs(got[ok] - expected[ok])
    tol = np.where(expected[ok] == 0, abs_, rel * np.abs(expected[ok]))
    assert not (err > tol).any(), f"{what}: got {got}, expected {expected}"


# ------------------------------------------------------ independent risk formulas


def d_at(rps, d, period):
    """D(T) linear in log T between the maps around T (T inside [RP_1, RP_n])."""
    rps = np.asarray(rps, dtype=np.float64)
    for k in range(rps.size - 1):
        lo, hi = rps[k], rps[k + 1]
        if lo <= period <= hi:
            t = (math.log(period) - math.log(lo)) / (math.log(hi) - math.log(lo))
            return d[k] + t * (d[k + 1] - d[k])
    raise AssertionError(f"{period} outside the maps")


def expected_metrics(rps, d, protection=None):
    rps = [float(r) for r in rps]
    d = [float(v) for v in d]
    n = len(rps)
    # integration points (T, D) from the protection standard (or the first map) onwards
    if protection is None or protection <= rps[0]:
        points = list(zip(rps, d, strict=True))
    elif protection >= rps[-1]:
        points = []
    else:
        points = [(protection, d_at(rps, d, protection))]
        points += [(r, v) for r, v in zip(rps, d, strict=True) if r > protection]
    aad = 0.0
    for (t0, d0), (t1, d1) in zip(points[:-1], points[1:], strict=True):
        aad += (1 / t0 - 1 / t1) * (d0 + d1) / 2
    p_last = 1 / rps[-1] if protection is None else min(1 / rps[-1], 1 / protection)
    tail = p_last * d[-1]
    climada = sum(d[i] * (1 / rps[i] - (1 / rps[i + 1] if i + 1 < n else 0.0)) for i in range(n))
    pmd = []
    for period in PMD_PERIODS:
        if period < rps[0] or period > rps[-1]:
            pmd.append(np.nan)
        elif protection is not None and period < protection:
            pmd.append(0.0)  # the T-year event is held back by the protection
        else:
            pmd.append(d_at(rps, d, period))
    return {"aad": aad, "aad_tail": tail, "aad_climada": climada, "pmd": np.array(pmd)}


# ------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def data_dir(shared_data):
    return shared_data / "aqueduct_djibouti"


@pytest.fixture(scope="module")
def maps(data_dir):
    """Depth per map as float64 with nodata -> NaN, and the grid profile."""
    depths = []
    profile = None
    for rp in RPS:
        with rasterio.open(data_dir / f"rp{rp:05d}.tif") as src:
            raw = src.read(1).astype(np.float64)
            assert src.nodata == NODATA
            if profile is None:
                profile = {"transform": src.transform, "crs": src.crs, "shape": raw.shape}
            else:
                assert src.transform == profile["transform"]
        depths.append(np.where(raw == NODATA, np.nan, raw))
    depths = np.stack(depths)
    assert np.nanmax(depths[0]) == pytest.approx(0.011, abs=5e-4)
    assert np.nanmax(depths) <= 0.62 + 0.01
    return depths, profile


@pytest.fixture(scope="module")
def per_map(maps):
    """D_i per curve: people displaced in each map (national)."""
    depths, _ = maps
    return {
        name: np.array([(PEOPLE_PER_CELL * share_of(name, d)).sum() for d in depths])
        for name in CURVES
    }


@pytest.fixture(scope="module")
def run(data_dir, maps, tmp_path_factory):
    from mecc.run import run_country

    _, profile = maps
    work = tmp_path_factory.mktemp("djibouti")
    height, width = profile["shape"]
    with rasterio.open(
        work / "pop.tif",
        "w",
        driver="GTiff",
        width=width,
        height=height,
        count=1,
        dtype="float64",
        crs=profile["crs"],
        transform=profile["transform"],
    ) as dst:
        dst.write(np.full((1, height, width), PEOPLE_PER_CELL))
    hazards = []
    for curve, spec in CURVES.items():
        for protection in PROTECTIONS:
            entry = {
                "id": hazard_id(curve, protection),
                "type": "river_flood",
                "return_periods": {rp: str(data_dir / f"rp{rp:05d}.tif") for rp in RPS},
                "curve": spec,
            }
            if protection is not None:
                entry["protection_rp"] = protection
            hazards.append(entry)
        hazards.append(
            {
                "id": hazard_id(curve, None, subset=True),
                "type": "river_flood",
                "return_periods": {rp: str(data_dir / f"rp{rp:05d}.tif") for rp in SUBSET},
                "curve": spec,
            }
        )
    config = {
        "country": "DJI",
        "name": "Djibouti",
        "population": {"path": "pop.tif", "kind": "count"},
        "hazards": hazards,
    }
    run_file = work / "djibouti.yaml"
    run_file.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    out = work / "out"
    run_country(run_file, out)
    with open(out / "summary.json", encoding="utf-8") as handle:
        summary = json.load(handle)
    return {
        "summary": summary,
        "zones": pd.read_csv(
            out / "zones.csv", encoding="utf-8-sig", keep_default_na=False, na_values=[""]
        ),
        "bands": pd.read_csv(out / "bands.csv", encoding="utf-8-sig"),
    }


def pmd_of(hazard_summary):
    pmd = hazard_summary["pmd"]
    return np.array([np.nan if pmd.get(str(t)) is None else pmd[str(t)] for t in PMD_PERIODS])


# --------------------------------------------------------------------------- tests


def test_grid_population_and_no_hazard_data(run, maps):
    depths, profile = maps
    height, width = profile["shape"]
    summary = run["summary"]
    assert summary["country"] == "DJI"
    assert_close(summary["population_total"], height * width * PEOPLE_PER_CELL)
    missing_cells = np.isnan(depths[0]).sum()
    assert missing_cells > 0
    # every map has the same nodata mask
    assert all((np.isnan(d) == np.isnan(depths[0])).all() for d in depths)
    expected = missing_cells * PEOPLE_PER_CELL
    assert_close(summary["population_no_hazard_data"], expected, what="summary no data")
    bands = run["bands"]
    assert_close(
        bands["no_hazard_data"].to_numpy(np.float64),
        np.full(len(bands), expected),
        what="bands no_hazard_data",
    )
    for hazard in summary["hazards"].values():
        assert [b["no_hazard_data"] for b in hazard["bands"]] == [expected] * len(hazard["bands"])


def test_single_national_zone(run):
    zones = run["zones"]
    codes = set(zones["zone_code"])
    assert codes <= {"DJI", "__outside__"} and "DJI" in codes
    summary = run["summary"]
    for hid, hazard in summary["hazards"].items():
        rows = zones[zones["hazard_id"] == hid].set_index("zone_code")
        assert_close(rows.loc["DJI", "population"], summary["population_total"])
        assert_close(rows["aad"].sum(), hazard["aad"], what=f"{hid} zones AAD")
        if "__outside__" in rows.index:
            assert rows.loc["__outside__", "population"] == 0


@pytest.mark.parametrize("curve", list(CURVES))
def test_per_map_displaced_and_exposed(run, maps, per_map, curve):
    depths, _ = maps
    d = per_map[curve]
    if curve == "step":
        assert d[0] == 0 and (d[1:] > 0).all()  # the 2-year map displaces nobody
    else:
        assert (d > 0).all()  # every map displaces people
    exposed = np.array(
        [PEOPLE_PER_CELL * np.sum(dd >= RIVER_FLOOD_EXPOSURE_THRESHOLD) for dd in depths]
    )
    bands = run["bands"]
    frame = bands[bands["hazard_id"] == hazard_id(curve, None)].sort_values("return_period")
    assert frame["return_period"].tolist() == [float(r) for r in RPS]
    assert_close(frame["displaced"].to_numpy(np.float64), d, what=f"{curve} D_i")
    assert_close(frame["exposed"].to_numpy(np.float64), exposed, what=f"{curve} exposed")
    records = run["summary"]["hazards"][hazard_id(curve, None)]["bands"]
    assert_close([b["displaced"] for b in records], d, what=f"{curve} summary bands")
    assert [b["return_period"] for b in records] == [float(r) for r in RPS]


@pytest.mark.parametrize("curve", list(CURVES))
def test_metrics_without_protection(run, per_map, curve):
    expected = expected_metrics(RPS, per_map[curve])
    hazard = run["summary"]["hazards"][hazard_id(curve, None)]
    for key in ("aad", "aad_tail", "aad_climada"):
        assert_close(hazard[key], expected[key], what=f"{curve} {key}")
    assert not np.isnan(expected["pmd"]).any()
    assert_close(pmd_of(hazard), expected["pmd"], what=f"{curve} PMD")
    rows = run["zones"]
    row = rows[(rows["hazard_id"] == hazard_id(curve, None)) & (rows["zone_code"] == "DJI")]
    assert_close(
        row[[f"pmd_{t}" for t in PMD_PERIODS]].to_numpy(np.float64)[0],
        expected["pmd"],
        what=f"{curve} zone PMD",
    )


@pytest.mark.parametrize("curve", list(CURVES))
def test_pmd_null_outside_maps(run, per_map, curve):
    """Maps for 25, 50, 100 years only: PMD 10 and 250 are null, AAD from 1/25 to 1/100."""
    d = per_map[curve][[RPS.index(r) for r in SUBSET]]
    expected = expected_metrics(SUBSET, d)
    assert np.isnan(expected["pmd"][[0, 4]]).all()
    hazard = run["summary"]["hazards"][hazard_id(curve, None, subset=True)]
    assert_close(pmd_of(hazard), expected["pmd"], what=f"{curve} subset PMD")
    assert hazard["pmd"].get("10") is None and hazard["pmd"].get("250") is None
    for key in ("aad", "aad_tail", "aad_climada"):
        assert_close(hazard[key], expected[key], what=f"{curve} subset {key}")


@pytest.mark.parametrize("curve", list(CURVES))
@pytest.mark.parametrize("protection", [p for p in PROTECTIONS if p is not None])
def test_protection_standard(run, per_map, curve, protection):
    d = per_map[curve]
    expected = expected_metrics(RPS, d, protection)
    hazard = run["summary"]["hazards"][hazard_id(curve, protection)]
    assert hazard["protection_rp"] == protection
    assert_close(hazard["aad"], expected["aad"], what=f"{curve} P={protection} aad")
    assert_close(hazard["aad_tail"], expected["aad_tail"], what=f"{curve} P={protection} tail")
    assert_close(pmd_of(hazard), expected["pmd"], what=f"{curve} P={protection} PMD")
    unprotected = expected_metrics(RPS, d)
    if protection <= RPS[0]:
        for key in ("aad", "aad_tail", "aad_climada"):
            assert_close(hazard[key], unprotected[key], what=f"P={protection} changes nothing")
    if protection >= RPS[-1]:
        assert hazard["aad"] == 0
        assert_close(hazard["aad_tail"], d[-1] / protection)
    if protection == 10:
        # P is itself a map: the integral starts at (1/10, D_10)
        k = RPS.index(10)
        manual = sum(
            (1 / RPS[i] - 1 / RPS[i + 1]) * (d[i] + d[i + 1]) / 2 for i in range(k, len(RPS) - 1)
        )
        assert_close(hazard["aad"], manual, what="P=10 from the 10-year map")
    if protection == 30:
        # strictly between the 25- and 50-year maps
        t = math.log(30 / 25) / math.log(50 / 25)
        d30 = d[3] + t * (d[4] - d[3])
        manual = (1 / 30 - 1 / 50) * (d30 + d[4]) / 2 + sum(
            (1 / RPS[i] - 1 / RPS[i + 1]) * (d[i] + d[i + 1]) / 2 for i in range(4, len(RPS) - 1)
        )
        assert_close(hazard["aad"], manual, what="P=30 between maps")
        assert 0 < hazard["aad"] < unprotected["aad"]
