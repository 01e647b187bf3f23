"""Ensemble-member ranges of an event set in sites.csv, the site popups and compare.csv.

DESIGN.md ("Ranges and futures"): ``_low``/``_high`` are the curve variants only, the
ensemble spread is ``_member_median/_min/_max``. zones.csv and summary.json gave it;
sites.csv and compare.csv dropped it. The 4 x 4 test grid (tests/_run_inputs.py) has
depth 0, 0.5, 1 and 2 m in columns 0-3; each event here scales it, and the 1 m step curve
displaces everyone where an event's depth reaches 1 m.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from mecc.run import run_country
from tests._run_inputs import DEPTH, basic_case, cell_centre, event_hazard, write_run
from tests.conftest import write_raster

ROOT = Path(__file__).resolve().parents[1]
SCALES = np.array([0.8, 1.6, 2.4, 1.1, 0.9])
"""Depth of each event, times the grid's depth."""
FREQUENCY = np.array([0.1, 0.05, 0.02, 0.08, 0.04])
MEMBERS = np.array(["A", "B", "C", "A", "B"])
"""Members of unequal total frequency (A 0.18, B 0.09, C 0.02): each is rescaled."""
SITES = {"camp one": ((1, 2), 1000.0), "camp two": ((3, 1), 400.0), "dry camp": ((0, 0), 50.0)}


def _member_case(folder, scales=SCALES) -> dict:
    data = basic_case(folder)
    write_raster(folder / "ev.tif", np.stack([DEPTH * s for s in scales]))
    lines = [f"{b + 1},{f},{m}" for b, (f, m) in enumerate(zip(FREQUENCY, MEMBERS, strict=True))]
    (folder / "events.csv").write_text(
        "band,frequency,member\n" + "\n".join(lines) + "\n", encoding="utf-8"
    )
    data["hazards"].append(event_hazard())  # curve flood_step_1m: variants 1.5 m, 0.5 m
    return data


def _with_sites(folder, data) -> dict:
    rows = []
    for name, ((row, col), people) in SITES.items():
        lon, lat = cell_centre(row, col)
        rows.append(f"{name},{lat},{lon},{people}")
    (folder / "sites.csv").write_text(
        "site_name,lat,lon,individuals\n" + "\n".join(rows) + "\n", encoding="utf-8"
    )
    data["mobility"] = {"sites": {"path": "sites.csv", "in_population_grid": False}}
    return data


def _expected_member_aads(col: int, people: float) -> np.ndarray:
    """Each member's AAD for ``people`` in column ``col``, worked out with numpy: the
    member's frequencies rescaled by total / member total."""
    displaced = people * (DEPTH[0, col] * SCALES >= 1.0)
    total, aads = FREQUENCY.sum(), []
    for name in ("A", "B", "C"):
        mask = np.asarray([m == name for m in MEMBERS])
        aads.append((FREQUENCY * displaced)[mask].sum() * total / FREQUENCY[mask].sum())
    return np.array(aads)


def _run_sites(tmp_path):
    data = _with_sites(tmp_path, _member_case(tmp_path))
    run_country(write_run(tmp_path, data), tmp_path / "out", with_map=False)
    return pd.read_csv(tmp_path / "out" / "sites.csv", encoding="utf-8-sig").set_index("site_name")


def test_sites_give_each_members_range_of_an_event_set(tmp_path):
    sites = _run_sites(tmp_path)
    # camp one (1 m of water): A 0.08/0.18, B 0.05/0.09, C 0.02/0.02 of 0.29 x 1000
    camp = _expected_member_aads(2, 1000.0)
    assert camp == pytest.approx([0.29 * 1000 * 0.08 / 0.18, 0.29 * 1000 * 0.05 / 0.09, 290.0])
    for name, ((_, col), people) in SITES.items():
        expected = _expected_member_aads(col, people)
        row = sites.loc[name]
        assert row["ev_aad_member_min"] == pytest.approx(expected.min(), rel=1e-12, abs=1e-12)
        assert row["ev_aad_member_median"] == pytest.approx(
            np.median(expected), rel=1e-12, abs=1e-12
        )
        assert row["ev_aad_member_max"] == pytest.approx(expected.max(), rel=1e-12, abs=1e-12)
        # the central figure is the pooled AAD, not a member statistic
        pooled = (FREQUENCY * people * (DEPTH[0, col] * SCALES >= 1.0)).sum()
        assert row["ev_aad"] == pytest.approx(pooled, rel=1e-12, abs=1e-12)
    # the curve variants stay in _low/_high (1.5 m and 0.5 m steps), apart from members
    low = (FREQUENCY * 1000.0 * (SCALES >= 1.5)).sum()
    assert sites.loc["camp one", "ev_aad_low"] == pytest.approx(low, rel=1e-12)
    # a return-period hazard has no members: no member columns for it
    assert not any(c.startswith("rf_") and "member" in c for c in sites.columns)


def test_site_popups_show_the_members_range(tmp_path):
    from mecc.map_text import Text
    from mecc.maps import build_map

    _run_sites(tmp_path)
    page = build_map(tmp_path / "out", tmp_path / "map.html").read_text(encoding="utf-8")
    words = yaml.safe_load((ROOT / "mecc/locales/maps.yaml").read_text(encoding="utf-8"))["en"]
    text = Text(words, "en")
    expected = _expected_member_aads(2, 1000.0)
    median, low, high = (text.num(v) for v in (np.median(expected), expected.min(), expected.max()))
    assert f"(ensemble members: median {median}, {low} to {high})" in page
    assert median != low != high  # three different numbers: 161, 129, 290


def _compare(tmp_path, cli) -> pd.DataFrame:
    """compare.csv of a run against one whose events are 1.5 times as deep."""
    for name, scales in (("base", SCALES), ("later", SCALES * 1.5)):
        folder = tmp_path / name
        folder.mkdir()
        run_country(write_run(folder, _member_case(folder, scales)), folder / "out", with_map=False)
    result = cli(
        "compare", tmp_path / "base/out", tmp_path / "later/out", "--out", tmp_path / "cmp"
    )
    assert result.exit_code == 0, result.output
    return pd.read_csv(
        tmp_path / "cmp" / "compare.csv", encoding="utf-8-sig", dtype={"zone_code": str}
    )


def test_compare_gives_each_runs_member_range(tmp_path, cli):
    table = _compare(tmp_path, cli)
    events = table[table["hazard_id"] == "ev"].set_index("zone_code")
    for run, name in (("baseline", "base"), ("future", "later")):
        out = tmp_path / name / "out"
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))["hazards"]["ev"]
        zones = pd.read_csv(out / "zones.csv", encoding="utf-8-sig", dtype={"zone_code": str})
        zones = zones[zones["hazard_id"] == "ev"].set_index("zone_code")
        for stat in ("median", "min", "max"):
            column = f"aad_{run}_member_{stat}"
            # the national row from summary.json
            assert events.loc["AAA", column] == pytest.approx(
                summary[f"aad_member_{stat}"], rel=1e-12, abs=1e-12
            )
            for code in ("A", "B"):
                assert events.loc[code, column] == pytest.approx(
                    zones.loc[code, f"aad_member_{stat}"], rel=1e-12, abs=1e-12
                )
        # the curve variants stay in _low/_high, apart from the members
        assert events.loc["AAA", f"aad_{run}_low"] == pytest.approx(summary["aad_low"], rel=1e-12)
    # the national spread differs between the runs and is a real spread
    nation = events.loc["AAA"]
    assert nation["aad_baseline_member_min"] < nation["aad_baseline_member_max"]
    assert nation["aad_future_member_min"] != pytest.approx(nation["aad_baseline_member_min"])
    # after each run's central value and curve-variant range
    columns = list(table.columns)
    start = columns.index("aad_baseline")
    assert columns[start : start + 7] == [
        "aad_baseline", "aad_baseline_low", "aad_baseline_high", "aad_baseline_member_median",
        "aad_baseline_member_min", "aad_baseline_member_max", "aad_future",
    ]  # fmt: skip
    # the return-period hazard has no members: blank
    floods = table[table["hazard_id"] == "rf"]
    assert floods.filter(like="_member_").isna().all().all()
