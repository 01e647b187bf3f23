"""Acceptance: the Austria river-flood event set against CLIMADA and against numpy.

One run of ``mecc`` (module-scoped) on ../shared/data/austria_flood with four hazard
sets over the same 480 events:

- ``step``       0.5 m step curve, no fraction     -> CLIMADA reference (peer parity)
- ``step_frac``  0.5 m step curve, with fraction   -> CLIMADA reference (peer parity)
- ``linear``     piecewise-linear curve            -> independent numpy computation
- ``members``    the linear curve with a ``member`` column (model pair) in the events

Every expected number is computed here with plain numpy / shapely / rasterio; nothing
is taken from the code under test (mecc.risk, mecc.kernels) or its outputs.

Zoning note (investigated, not loosened): bezirke_995_geo.json holds both
"Wien(Stadt)" (code 900, the whole city) and the 23 Vienna districts 901-923, whose
union is exactly the 900 polygon. Every cell centre in Vienna therefore lies in two
units. No cell centre lies on a polygon boundary. The engine's documented rule
(exposure/zones.py) is "where units overlap, the one listed later wins"; the
independent assignment below applies the same rule with shapely.contains_xy, and a
separate test pins the overlap down to exactly those Vienna pairs.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
import yaml

pytestmark = pytest.mark.shared_data

REL = 1e-9
ABS = 1e-9
PMD_PERIODS = (10, 25, 50, 100, 250)
LINEAR_X = [0, 0.25, 0.5, 1, 2, 3, 100]
LINEAR_Y = [0, 0, 0.1, 0.5, 0.9, 1, 1]
RIVER_FLOOD_EXPOSURE_THRESHOLD = 0.1  # m, DESIGN.md ("flood depth >= 0.1 m")


def assert_close(got, expected, rel=REL, abs_=ABS, what=""):
    """Relative tolerance, absolute where the expected value is 0."""
    got = np.asarray(got, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert got.shape == expected.shape, f"{what}: shape {got.shape} != {expected.shape}"
    assert np.array_equal(np.isnan(got), np.isnan(expected)), f"{what}: null pattern differs"
    ok = ~np.isnan(expected)
    err = np.abs(got[ok] - expected[ok])
    tol = np.where(expected[ok] == 0, abs_, rel * np.abs(expected[ok]))
    bad = err > tol
    assert not bad.any(), (
        f"{what}: {int(bad.sum())} value(s) differ; worst relative error "
        f"{np.max(err / np.where(expected[ok] == 0, 1, np.abs(expected[ok]))):.3e}"
    )


def freq_curve_pmd(at_event, frequency, return_periods):
    """CLIMADA Impact.calc_freq_curve, re-implemented; NaN outside the curve's range."""
    at_event = np.asarray(at_event, dtype=np.float64)
    frequency = np.asarray(frequency, dtype=np.float64)
    order = np.argsort(at_event)[::-1]
    exceed = np.cumsum(frequency[order])
    rp = 1.0 / exceed[::-1]
    impact = at_event[order][::-1]
    periods = np.asarray(return_periods, dtype=np.float64)
    out = np.interp(periods, rp, impact)
    out[(periods < rp.min()) | (periods > rp.max())] = np.nan
    return out


# ------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def data_dir(shared_data):
    return shared_data / "austria_flood"


@pytest.fixture(scope="module")
def grids(data_dir):
    with rasterio.open(data_dir / "pop_count.tif") as src:
        pop = src.read(1).astype(np.float64)
        transform = src.transform
    with rasterio.open(data_dir / "hazard_depth.tif") as src:
        depth = src.read().astype(np.float64)
        assert src.transform == transform
    with rasterio.open(data_dir / "hazard_fraction.tif") as src:
        fraction = src.read().astype(np.float64)
    events = pd.read_csv(data_dir / "events.csv").sort_values("band").reset_index(drop=True)
    assert len(events) == depth.shape[0] == 480
    return {
        "pop": pop,
        "depth": depth,
        "fraction": fraction,
        "transform": transform,
        "frequency": events["frequency"].to_numpy(np.float64),
        "events": events,
    }


@pytest.fixture(scope="module")
def districts(data_dir, grids):
    """Independent cell-centre assignment: index into the district list, -1 = outside."""
    with open(data_dir / "bezirke_995_geo.json", encoding="utf-8") as handle:
        features = json.load(handle)["features"]
    codes = [str(f["properties"]["iso"]) for f in features]
    geoms = [shapely.geometry.shape(f["geometry"]) for f in features]
    height, width = grids["pop"].shape
    rows, cols = np.mgrid[0:height, 0:width]
    t = grids["transform"]
    assert t.b == 0 and t.d == 0  # north-up, no rotation
    xs = t.c + t.a * (cols + 0.5)
    ys = t.f + t.e * (rows + 0.5)
    index = np.full((height, width), -1, dtype=np.int64)
    hits = np.zeros((height, width), dtype=np.int64)
    on_boundary = np.zeros((height, width), dtype=bool)
    members = []
    for k, geom in enumerate(geoms):  # later units win where units overlap
        inside = shapely.contains_xy(geom, xs, ys)
        index[inside] = k
        hits += inside
        members.append(inside)
        on_boundary |= shapely.intersects_xy(geom.boundary, xs, ys)
    return {
        "codes": codes,
        "index": index,
        "hits": hits,
        "members": members,
        "on_boundary": on_boundary,
    }


@pytest.fixture(scope="module")
def run(data_dir, grids, tmp_path_factory):
    from mecc.run import run_country

    work = tmp_path_factory.mktemp("austria")
    events = grids["events"].copy()
    # model pair = the part of YYYY_HYDRO_CLIMATE after the year
    events["member"] = events["event_name"].str.split("_", n=1).str[1]
    events.to_csv(work / "events_members.csv", index=False)
    common = {
        "type": "river_flood",
        "intensity": str(data_dir / "hazard_depth.tif"),
        "events": str(data_dir / "events.csv"),
    }
    linear = {"intensity": LINEAR_X, "share": LINEAR_Y}
    config = {
        "country": "AUT",
        "name": "Austria",
        "population": {"path": str(data_dir / "pop_count.tif"), "kind": "count", "year": 2018},
        "zones": {
            "path": str(data_dir / "bezirke_995_geo.json"),
            "code_field": "iso",
            "name_field": "name",
            "level": 2,
        },
        "hazards": [
            {"id": "step", **common, "curve": "flood_step_0.5m"},
            {
                "id": "step_frac",
                **common,
                "fraction": str(data_dir / "hazard_fraction.tif"),
                "curve": "flood_step_0.5m",
            },
            {"id": "linear", **common, "curve": linear},
            {
                "id": "members",
                **common,
                "events": str(work / "events_members.csv"),
                "curve": linear,
            },
        ],
    }
    run_file = work / "austria.yaml"
    run_file.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    out = work / "out"
    run_country(run_file, out)
    with open(out / "summary.json", encoding="utf-8") as handle:
        summary = json.load(handle)
    zones = pd.read_csv(out / "zones.csv", encoding="utf-8-sig", dtype={"zone_code": str})
    bands = pd.read_csv(out / "bands.csv", encoding="utf-8-sig")
    return {"summary": summary, "zones": zones, "bands": bands}


@pytest.fixture(scope="module")
def reference(data_dir):
    with open(data_dir / "climada_reference_step05.json", encoding="utf-8") as handle:
        meta = json.load(handle)
    per_event = pd.read_csv(data_dir / "climada_reference_step05.csv").sort_values("band")
    return meta, per_event.reset_index(drop=True)


@pytest.fixture(scope="module")
def linear_expected(grids):
    """Per-cell, per-event displacement with the linear curve (events, rows, cols)."""
    depth = grids["depth"]
    share = np.interp(depth, LINEAR_X, LINEAR_Y)
    share[~(depth > 0)] = 0.0
    return grids["pop"][None] * share


def band_column(run, hazard_id, column="displaced"):
    frame = run["bands"][run["bands"]["hazard_id"] == hazard_id].sort_values("band")
    assert frame["band"].tolist() == list(range(1, 481))
    return frame[column].to_numpy(np.float64)


def zone_rows(run, hazard_id):
    return run["zones"][run["zones"]["hazard_id"] == hazard_id].set_index("zone_code")


# ----------------------------------------------------------------- peer parity


@pytest.mark.parametrize(
    ("hazard_id", "column", "aad_key"),
    [
        ("step", "displaced_no_fraction", "aad_no_fraction"),
        ("step_frac", "displaced_with_fraction", "aad_with_fraction"),
    ],
)
def test_climada_parity_step_05(run, reference, hazard_id, column, aad_key):
    meta, per_event = reference
    assert meta["curve"]["intensity"] == [0.0, 0.5, 0.5, 100.0]
    assert per_event["band"].tolist() == list(range(1, 481))
    assert_close(
        band_column(run, hazard_id),
        per_event[column].to_numpy(np.float64),
        what=f"{hazard_id} per-event displaced vs CLIMADA",
    )
    assert_close(
        run["summary"]["hazards"][hazard_id]["aad"], meta[aad_key], what=f"{hazard_id} AAD"
    )


def test_step_05_also_matches_numpy(run, grids):
    """The reference itself agrees with pop x fraction x [depth >= 0.5] (sanity of the data)."""
    depth, pop = grids["depth"], grids["pop"]
    step = (depth >= 0.5).astype(np.float64)
    expected = (pop[None] * step).sum(axis=(1, 2))
    expected_frac = (pop[None] * grids["fraction"] * step).sum(axis=(1, 2))
    assert_close(band_column(run, "step"), expected, what="step per event")
    assert_close(band_column(run, "step_frac"), expected_frac, what="step_frac per event")


def test_exposed_uses_threshold_not_curve(run, grids):
    wet = (grids["depth"] >= RIVER_FLOOD_EXPOSURE_THRESHOLD).astype(np.float64)
    expected = (grids["pop"][None] * wet).sum(axis=(1, 2))
    expected_frac = (grids["pop"][None] * grids["fraction"] * wet).sum(axis=(1, 2))
    assert_close(band_column(run, "step", "exposed"), expected, what="exposed")
    assert_close(band_column(run, "linear", "exposed"), expected, what="exposed (linear)")
    assert_close(band_column(run, "step_frac", "exposed"), expected_frac, what="exposed frac")


# -------------------------------------------------------------- linear curve


def test_linear_curve_per_event_and_aad(run, grids, linear_expected):
    per_event = linear_expected.sum(axis=(1, 2))
    assert (per_event > 0).any() and (per_event == 0).any()
    assert_close(band_column(run, "linear"), per_event, what="linear per event")
    aad = float(np.sum(grids["frequency"] * per_event))
    assert_close(run["summary"]["hazards"]["linear"]["aad"], aad, what="linear AAD")


def test_linear_curve_pmd_national(run, grids, linear_expected):
    per_event = linear_expected.sum(axis=(1, 2))
    expected = freq_curve_pmd(per_event, grids["frequency"], PMD_PERIODS)
    # 480 events of 1/480 per year: the curve spans 1 to 480 years, so all are defined
    assert not np.isnan(expected).any()
    pmd = run["summary"]["hazards"]["linear"]["pmd"]
    got = [np.nan if pmd[str(t)] is None else pmd[str(t)] for t in PMD_PERIODS]
    assert_close(got, expected, what="linear PMD")
    # PMD never exceeds the largest event and is non-decreasing in T
    assert np.all(np.diff(expected) >= 0) and expected[-1] <= per_event.max()


def test_linear_curve_per_district(run, grids, districts, linear_expected):
    rows = zone_rows(run, "linear")
    codes = districts["codes"]
    assert sorted(rows.index) == sorted([*codes, "__outside__"])
    frequency = grids["frequency"]
    per_cell_aad = np.tensordot(frequency, linear_expected, axes=1)
    index = districts["index"]
    expected_aad = np.array([per_cell_aad[index == k].sum() for k in range(len(codes))])
    expected_pop = np.array([grids["pop"][index == k].sum() for k in range(len(codes))])
    # a district that no cell centre falls in: its figures are not known (blank), not 0
    no_cell = np.array([not (index == k).any() for k in range(len(codes))])
    assert no_cell.sum() == 11  # as the run warns (Vienna districts under Wien(Stadt), ...)
    expected_aad[no_cell] = expected_pop[no_cell] = np.nan
    assert_close(rows.loc[codes, "aad"].to_numpy(), expected_aad, what="district AAD")
    assert_close(rows.loc[codes, "population"].to_numpy(), expected_pop, what="district pop")
    outside = index == -1
    assert_close(rows.loc["__outside__", "aad"], per_cell_aad[outside].sum(), what="outside AAD")
    assert_close(
        rows.loc["__outside__", "population"], grids["pop"][outside].sum(), what="outside pop"
    )
    # per-district PMD: per-event totals of the district first, then the curve
    per_event = np.stack([linear_expected[:, index == k].sum(axis=1) for k in range(len(codes))])
    expected_pmd = np.stack([freq_curve_pmd(d, frequency, PMD_PERIODS) for d in per_event])
    expected_pmd[no_cell] = np.nan
    got_pmd = rows.loc[codes, [f"pmd_{t}" for t in PMD_PERIODS]].to_numpy(np.float64)
    assert_close(got_pmd, expected_pmd, what="district PMD")


def test_district_overlap_is_vienna_only(districts):
    """The only multiply-covered cell centres are Wien(Stadt) 900 x one Vienna district."""
    assert not districts["on_boundary"].any(), "a cell centre lies on a polygon boundary"
    multi = districts["hits"] > 1
    assert multi.any()
    assert districts["hits"].max() == 2
    codes = districts["codes"]
    for r, c in zip(*np.nonzero(multi), strict=True):
        owners = sorted(codes[k] for k, m in enumerate(districts["members"]) if m[r, c])
        assert owners[0] == "900" and owners[1].startswith("9") and owners[1] != "900"


def test_members_rescaled(run, grids, linear_expected):
    events = grids["events"]
    member = events["event_name"].str.split("_", n=1).str[1].to_numpy()
    per_event = linear_expected.sum(axis=(1, 2))
    frequency = grids["frequency"]
    names = sorted(set(member))
    assert len(names) == 24
    member_aad = []
    for name in names:
        mask = member == name
        assert mask.sum() == 20
        member_aad.append(per_event[mask].sum() / 20.0)  # 1/480 -> 1/20 per model-year
    member_aad = np.array(member_aad)
    hazard = run["summary"]["hazards"]["members"]
    assert_close(hazard["aad"], float(np.sum(frequency * per_event)), what="pooled AAD")
    assert_close(hazard["aad"], member_aad.mean(), what="pooled AAD = mean of members")
    assert_close(hazard["aad_member_median"], np.median(member_aad), what="member median")
    assert_close(hazard["aad_member_min"], member_aad.min(), what="member min")
    assert_close(hazard["aad_member_max"], member_aad.max(), what="member max")


# ------------------------------------------------------------------ reconciling


@pytest.mark.parametrize("hazard_id", ["step", "step_frac", "linear"])
def test_zones_add_up_to_national(run, hazard_id):
    rows = zone_rows(run, hazard_id)
    summary = run["summary"]
    assert "__outside__" in rows.index
    assert_close(rows["population"].sum(), summary["population_total"], what="population")
    assert_close(rows["aad"].sum(), summary["hazards"][hazard_id]["aad"], what="AAD")
    assert_close(
        rows.loc["__outside__", "population"],
        summary["population_outside_zones"],
        what="outside population",
    )
    assert summary["population_outside_zones"] > 0  # border generalisation (data README)


def test_population_total_is_raster_sum(run, grids):
    raster_total = grids["pop"].sum()
    assert abs(raster_total - 8_826_776) < 1e-6 * 8_826_776
    assert_close(run["summary"]["population_total"], raster_total, what="population_total")
    assert run["summary"]["population_no_hazard_data"] == 0
