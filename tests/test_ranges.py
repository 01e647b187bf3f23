"""Ranges: curve variants in the same pass, ensemble members parsed from event names,
bootstrap intervals of PMD — on the Austrian event set (independent numpy here)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import rasterio

from mecc.run import run_country


@pytest.fixture(scope="module")
def austria(shared_data, tmp_path_factory):
    data = shared_data / "austria_flood"
    folder = tmp_path_factory.mktemp("ranges")
    (folder / "run.yaml").write_text(
        f"country: AUT\npopulation: {{path: {data / 'pop_count.tif'}}}\n"
        f"zones: {{path: {data / 'bezirke_995_geo.json'}, code_field: iso, name_field: name, level: 2}}\n"
        "hazards:\n"
        f"  - id: step\n    type: river_flood\n    intensity: {data / 'hazard_depth.tif'}\n"
        f"    events: {data / 'events.csv'}\n    curve: flood_step_1m\n"
        "    member_pattern: '^\\d{4}_(?P<member>.+)$'\n"
        f"  - id: jrc\n    type: river_flood\n    intensity: {data / 'hazard_depth.tif'}\n"
        f"    events: {data / 'events.csv'}\n    curve: jrc_residential_europe\n"
    )
    result = run_country(folder / "run.yaml", folder / "out")
    zones = pd.read_csv(
        result.out_dir / "zones.csv", encoding="utf-8-sig", dtype={"zone_code": str}
    )
    bands = pd.read_csv(result.out_dir / "bands.csv", encoding="utf-8-sig")
    with rasterio.open(data / "pop_count.tif") as src:
        people = src.read(1)
    with rasterio.open(data / "hazard_depth.tif") as src:
        depth = src.read().astype(np.float64)
    events = pd.read_csv(data / "events.csv")
    return result.summary["hazards"], zones, bands, people, depth, events


def test_variants_are_evaluated_in_the_same_pass(austria):
    hazards, zones, bands, people, depth, events = austria
    frequency = events.sort_values("band")["frequency"].to_numpy()
    for name, step in (("", 1.0), ("_low", 1.5), ("_high", 0.5)):
        per_event = (people[None] * (depth >= step)).sum(axis=(1, 2))
        assert hazards["step"][f"aad{name}"] == pytest.approx(per_event @ frequency, rel=1e-9)
        column = f"displaced{name}"
        np.testing.assert_allclose(
            bands[bands["hazard_id"] == "step"][column], per_event, rtol=1e-9
        )
    assert hazards["step"]["variants"] == {
        "central": "flood_step_1m",
        "low": "flood_step_1m:low",
        "high": "flood_step_1m:high",
    }


@pytest.mark.parametrize("hazard", ["step", "jrc"])
def test_low_central_high_in_every_zone(austria, hazard):
    _, zones, *_ = austria
    rows = zones[zones["hazard_id"] == hazard]
    known = rows["population"].notna()  # units without a cell: all three blank
    assert not rows.loc[~known, ["aad_low", "aad", "aad_high"]].notna().any().any()
    rows = rows[known]
    for figure in ("aad", "pmd_100", "pmd_250"):
        low, central, high = (rows[f"{figure}{s}"].to_numpy() for s in ("_low", "", "_high"))
        assert (low <= central + 1e-9).all() and (central <= high + 1e-9).all(), figure
    assert (rows["aad_high"] > rows["aad_low"]).any()


def test_members_parsed_from_event_names(austria):
    hazards, zones, bands, people, depth, events = austria
    names = events.sort_values("band")["event_name"]
    member = names.str.replace(r"^\d{4}_", "", regex=True).to_numpy()
    per_event = (people[None] * (depth >= 1.0)).sum(axis=(1, 2))
    aads = {m: per_event[member == m].sum() / 20 for m in np.unique(member)}  # 1/20 per model-year
    assert len(aads) == 24
    item = hazards["step"]
    assert item["members"] == 24
    assert item["aad_member_median"] == pytest.approx(np.median(list(aads.values())), rel=1e-9)
    assert item["aad_member_min"] == pytest.approx(min(aads.values()), rel=1e-9, abs=1e-9)
    assert item["aad_member_max"] == pytest.approx(max(aads.values()), rel=1e-9)
    assert item["aad"] == pytest.approx(np.mean(list(aads.values())), rel=1e-9)  # pooled = mean


def test_bootstrap_interval_brackets_the_pmd(austria):
    hazards, zones, *_ = austria
    item = hazards["step"]
    boot = item["pmd_bootstrap"]
    assert boot["resampled"] == "members" and boot["samples"] == 500
    for t in ("25", "50", "100", "250"):
        assert boot["p05"][t] <= item["pmd"][t] <= boot["p95"][t], t
    rows = zones[(zones["hazard_id"] == "step") & zones["population"].notna()]  # with cells
    assert (rows["pmd_100_p05"] <= rows["pmd_100_p95"]).all()


@pytest.mark.parametrize("swapped", [True, False])
def test_variants_given_in_the_wrong_order_are_refused(tmp_path, swapped):
    """On the 4 x 4 test case, a scenario at depths 0, 0.5, 1 and 2 m per column: a
    0.5 m step displaces columns 1-3 (1,080 people), a 1 m step columns 2-3 (760) and a
    1.5 m step column 3 (400). Given as low = 0.5 m and high = 1.5 m around the 1 m step,
    'low' lies above 'high' at every depth: refused (swap them); the right way round, the
    range is 400-1,080 with no warning."""
    import json

    from mecc.errors import ConfigError
    from tests._run_inputs import basic_case, write_run

    data = basic_case(tmp_path)
    low, high = ({"step": 0.5}, {"step": 1.5}) if swapped else ({"step": 1.5}, {"step": 0.5})
    data["hazards"] = [
        {
            "id": "sc",
            "type": "river_flood",
            "intensity": "rp100.tif",
            "scenario": "test flood",
            "curve": {"step": 1.0},
            "variants": {"low": low, "high": high},
        }
    ]
    if swapped:
        with pytest.raises(ConfigError, match="low must displace fewer people: swap them"):
            run_country(write_run(tmp_path, data), tmp_path / "out", with_map=False)
        return
    result = run_country(write_run(tmp_path, data), tmp_path / "out", with_map=False)
    figures = result.summary["hazards"]["sc"]
    assert figures["displaced"] == pytest.approx(760)
    assert (figures["displaced_low"], figures["displaced_high"]) == pytest.approx((400, 1080))
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert [w for w in manifest["warnings"] if "curve variants" in w] == []


@pytest.mark.parametrize("frequencies", [(0.1, 0.05), (0.1, 0.1)], ids=["unequal", "equal"])
def test_members_of_unequal_span_are_said_to_skew_the_mean(tmp_path, frequencies):
    """DESIGN.md: the pooled aad is the mean of the member AADs, which holds for members
    of equal total frequency only; otherwise the run now says so (summary and warning)."""
    import json

    from tests._run_inputs import basic_case, event_hazard, write_run

    data = basic_case(tmp_path)
    f_a, f_b = frequencies
    (tmp_path / "events.csv").write_text(
        f"band,frequency,member\n1,{f_a},A\n2,{f_b},B\n", encoding="utf-8"
    )
    data["hazards"] = [event_hazard()]
    result = run_country(write_run(tmp_path, data), tmp_path / "out", with_map=False)
    figures = result.summary["hazards"]["ev"]
    by_member = figures["aad_by_member"]
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    said = [w for w in manifest["warnings"] if "members of unequal total frequency" in w]
    if f_a == f_b:
        assert "member_note" not in figures and said == []
        assert figures["aad"] == pytest.approx(np.mean(list(by_member.values())), rel=1e-12)
    else:
        assert figures["member_note"].startswith(
            "members of unequal total frequency (events a year: A 0.1, B 0.05)"
        )
        assert said == [f"hazards.ev: {figures['member_note']}"]
        assert figures["aad"] != pytest.approx(np.mean(list(by_member.values())), rel=1e-6)
