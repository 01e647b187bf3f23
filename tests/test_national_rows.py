"""The national row of futures.csv, attribution.csv, futures.xlsx, summary.json's futures
and compare.csv beside a level-0 unit with the country's code.

A run without ``zones:`` has one unit, the nation (AAA, level 0); a zones file may have
one too. As in exceedance.csv: when that unit holds the same figures as the whole grid
(nobody outside every unit) a table has ONE row (AAA, level 0); otherwise two, the unit's
(AAA, level 0) and the whole grid's (AAA, blank level: summary.json's figures).

Every number is worked out by hand. The grid of tests/_run_inputs.py has column sums
280, 320, 360 and 400 people (1,360 in all); ``flood_step_1m`` displaces everyone where
the depth is at least 1 m (its low variant 1.5 m, its high 0.5 m). Depths per column:

    rp10  (today)   0  0.25 0.5  1        f10  (future)  0  0.5  1  2
    rp100 (today)   0  0.5  1    2        f100 (future)  0  1    2  4

A return-period set's AAD is the trapezoid (1/10 - 1/100) (D10 + D100) / 2. The event set
``ev`` has two events (depth x1 at 0.1 a year, x2 at 0.01): AAD = 0.1 D1 + 0.01 D2.
"""

from __future__ import annotations

import json

import numpy as np
import openpyxl
import pandas as pd
import pytest

from mecc.run import run_country
from tests._run_inputs import DEPTH, basic_case, cell_box, event_hazard, write_run, write_zones
from tests.conftest import write_raster
from tests.test_slow_onset import DEM
from tests.test_slow_onset import PEOPLE as RESIDENTS
from tests.test_slow_onset import T as COAST

COLUMNS = np.array([280.0, 320.0, 360.0, 400.0])  # people per column
GROWTH = 1.5
KEYS = ["future_id", "hazard_id", "figure", "zone_code", "level"]


def people(cols, depths, step):
    """People displaced in the columns ``cols`` by each depth row (one per map/event)."""
    return [float(COLUMNS[cols][np.asarray(d)[cols] >= step].sum()) for d in depths]


def rp_aad(d10, d100):
    return (0.1 - 0.01) * (d10 + d100) / 2


TODAY = (DEPTH[0] * 0.5, DEPTH[0])
FUTURE = (DEPTH[0], DEPTH[0] * 2)


def by_hand(cols):
    """The figures of the columns ``cols`` per hazard: baseline (h00), future hazard
    (h10), grown population (h01), both (h11), for the central curve and its variants."""
    out = {}
    for suffix, step in (("", 1.0), ("_low", 1.5), ("_high", 0.5)):
        rf0 = rp_aad(*people(cols, TODAY, step))
        rf1 = rp_aad(*people(cols, FUTURE, step))
        d1, d2 = people(cols, (DEPTH[0], DEPTH[0] * 2), step)
        ev = 0.1 * d1 + 0.01 * d2  # no future event set: h10 = h00
        out[("rf", suffix)] = (rf0, rf1, GROWTH * rf0, GROWTH * rf1)
        out[("ev", suffix)] = (ev, ev, GROWTH * ev, GROWTH * ev)
    return out


def _case(folder, zones_cols=None, first=0):
    """basic_case with the event set ``ev`` and a future ``far`` (rf's future maps, the
    people x 1.5); without zones, or with one level-0 unit AAA over ``zones_cols``
    columns from column ``first``."""
    run = basic_case(folder)
    run["hazards"].append(event_hazard())
    write_raster(folder / "f10.tif", DEPTH)
    write_raster(folder / "f100.tif", DEPTH * 2)
    if zones_cols is None:
        del run["zones"]
    else:
        write_zones(
            folder / "nation.geojson",
            ["AAA"],
            [cell_box(0, first, rows=4, cols=zones_cols)],
            ["Aland"],
        )
        run["zones"] = {"path": "nation.geojson", "code_field": "code", "name_field": "name"}
        run["zones"]["level"] = 0
    run["futures"] = [
        {
            "id": "far",
            "hazards": {"rf": {"return_periods": {10: "f10.tif", 100: "f100.tif"}}},
            "population": {"growth": GROWTH},
        }
    ]
    return run


def _run(tmp_path, cli, run, name="out"):
    result = cli("run", write_run(tmp_path / "case", run), "--out", tmp_path / name, "--no-map")
    assert result.exit_code == 0, result.output + (result.stderr or "")
    return tmp_path / name


def _read(path):
    return pd.read_csv(path, encoding="utf-8-sig", dtype={"zone_code": str})


def _check_row(futures, attribution, code, level, figures, population):
    """The futures.csv and attribution.csv rows of ``code`` and ``level`` (None: blank)
    against the figures by hand, for both hazards."""
    for frame in (futures, attribution):
        mine = frame[frame["zone_code"] == code]
        mine = mine[mine["level"].isna()] if level is None else mine[mine["level"] == level]
        assert sorted(mine["hazard_id"]) == ["ev", "rf"], (code, level)
    for hazard in ("ev", "rf"):
        pick = (futures["zone_code"] == code) & (futures["hazard_id"] == hazard)
        pick &= futures["level"].isna() if level is None else futures["level"] == level
        row = futures[pick].iloc[0]
        h00, _, _, h11 = figures[(hazard, "")]
        assert row["figure"] == "aad"
        assert row["population_baseline"] == pytest.approx(population, rel=1e-12)
        assert row["population_future"] == pytest.approx(GROWTH * population, rel=1e-12)
        assert row["baseline"] == pytest.approx(h00, rel=1e-12)
        assert row["future"] == pytest.approx(h11, rel=1e-12)
        assert row["change"] == pytest.approx(h11 - h00, rel=1e-12)
        for suffix in ("_low", "_high"):
            low0, _, _, low1 = figures[(hazard, suffix)]
            assert row[f"baseline{suffix}"] == pytest.approx(low0, rel=1e-12, abs=1e-12)
            assert row[f"future{suffix}"] == pytest.approx(low1, rel=1e-12, abs=1e-12)
        pick = (attribution["zone_code"] == code) & (attribution["hazard_id"] == hazard)
        pick &= attribution["level"].isna() if level is None else attribution["level"] == level
        part = attribution[pick].iloc[0]
        h00, h10, h01, h11 = figures[(hazard, "")]
        assert part["change_total"] == pytest.approx(h11 - h00, rel=1e-12)
        assert part["climate_only"] == pytest.approx(h10 - h00, rel=1e-12, abs=1e-12)
        assert part["population_only"] == pytest.approx(h01 - h00, rel=1e-12)
        interaction = h11 - h10 - h01 + h00
        assert part["interaction"] == pytest.approx(interaction, rel=1e-9, abs=1e-9)


def _check_summary(out, figures):
    """summary.json's futures are the whole grid's figures."""
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    hazards = summary["futures"]["far"]["hazards"]
    assert sorted(hazards) == ["ev", "rf"]
    for hazard, entry in hazards.items():
        h00, h10, h01, h11 = figures[(hazard, "")]
        assert entry["figure"] == "aad"
        assert entry["baseline"] == pytest.approx(h00, rel=1e-12)
        assert entry["future"] == pytest.approx(h11, rel=1e-12)
        assert entry["change"] == pytest.approx(h11 - h00, rel=1e-12)
        assert entry["climate_only"] == pytest.approx(h10 - h00, rel=1e-12, abs=1e-12)
        assert entry["population_only"] == pytest.approx(h01 - h00, rel=1e-12)
    for hazard in ("ev", "rf"):  # the baseline AAD summary.json gives for the hazard
        assert summary["hazards"][hazard]["aad"] == pytest.approx(figures[(hazard, "")][0])


def _workbook_keys(out) -> dict:
    """The key columns of the Futures and Attribution sheets of futures.xlsx."""
    book = openpyxl.load_workbook(out / "futures.xlsx", read_only=True)
    keys = {}
    for sheet in ("Futures", "Attribution"):
        rows = [list(r) for r in book[sheet].iter_rows(values_only=True)]
        start = next(k for k, r in enumerate(rows) if "zone_code" in r)
        header = rows[start]
        at = [header.index(c) for c in KEYS]
        keys[sheet] = [tuple(r[i] for i in at) for r in rows[start + 1 :] if any(r)]
    book.close()
    return keys


# ---------------------------------------------------------------- a run without zones


def test_a_run_without_zones_and_a_future_writes_the_nation_once(tmp_path, cli):
    """The run crashed (exit 3, float() of a Series): the nation's row came twice."""
    out = _run(tmp_path, cli, _case(tmp_path / "case"))
    futures, attribution = _read(out / "futures.csv"), _read(out / "attribution.csv")
    for frame in (futures, attribution):
        assert not frame.duplicated(KEYS).any()
        assert sorted(set(frame["zone_code"])) == ["AAA", "__outside__"]
        assert (frame["zone_code"] == "AAA").sum() == 2  # one per hazard (one figure each)
        assert (frame.loc[frame["zone_code"] == "AAA", "level"] == 0).all()
    everyone = by_hand([0, 1, 2, 3])
    # rf by hand: 0.09 (400 + 760) / 2 = 52.2 today, 0.09 (760 + 1080) / 2 = 82.8 then
    assert everyone[("rf", "")][:2] == pytest.approx((52.2, 82.8))
    assert everyone[("ev", "")][0] == pytest.approx(0.1 * 760 + 0.01 * 1080)
    _check_row(futures, attribution, "AAA", 0, everyone, COLUMNS.sum())
    nobody = dict.fromkeys(everyone, (0.0, 0.0, 0.0, 0.0))
    _check_row(futures, attribution, "__outside__", None, nobody, 0.0)
    assert futures.loc[futures["zone_code"] == "AAA", "zone_name"].tolist() == ["Testland"] * 2
    _check_summary(out, everyone)
    for sheet, keys in _workbook_keys(out).items():
        assert len(keys) == len(set(keys)) == 4, sheet
        assert sum(1 for k in keys if k[3] == "AAA" and k[4] == 0) == 2, sheet


# ------------------------------------------------- a zones file with a level-0 unit


def test_a_level0_unit_with_people_outside_keeps_the_whole_grids_row(tmp_path, cli):
    """AAA (level 0) covers columns 0-2; column 3 (400 people, flooded in every map and
    event) is outside it. The unit's row keeps level 0, the whole grid's has a blank
    level and summary.json's figures."""
    out = _run(tmp_path, cli, _case(tmp_path / "case", zones_cols=3))
    futures, attribution = _read(out / "futures.csv"), _read(out / "attribution.csv")
    for frame in (futures, attribution):
        assert not frame.duplicated(KEYS).any()
        assert len(frame) == 6  # the unit, the whole grid and the outside, per hazard
    unit = by_hand([0, 1, 2])
    # rf of the unit by hand: 0.09 (0 + 360) / 2 = 16.2 today, 0.09 (360 + 680) / 2 then
    assert unit[("rf", "")][:2] == pytest.approx((16.2, 46.8))
    _check_row(futures, attribution, "AAA", 0, unit, 960.0)
    _check_row(futures, attribution, "AAA", None, by_hand([0, 1, 2, 3]), 1360.0)
    _check_row(futures, attribution, "__outside__", None, by_hand([3]), 400.0)
    aaa = futures[futures["zone_code"] == "AAA"]
    assert set(aaa.loc[aaa["level"] == 0, "zone_name"]) == {"Aland"}
    assert set(aaa.loc[aaa["level"].isna(), "zone_name"]) == {"National total"}
    _check_summary(out, by_hand([0, 1, 2, 3]))
    for sheet, keys in _workbook_keys(out).items():
        assert len(keys) == len(set(keys)) == 6, sheet


def test_a_level0_unit_with_everyone_inside_is_the_national_row(tmp_path, cli):
    out = _run(tmp_path, cli, _case(tmp_path / "case", zones_cols=4))
    futures, attribution = _read(out / "futures.csv"), _read(out / "attribution.csv")
    for frame in (futures, attribution):
        assert not frame.duplicated(KEYS).any()
        assert (frame["zone_code"] == "AAA").sum() == 2
    _check_row(futures, attribution, "AAA", 0, by_hand([0, 1, 2, 3]), 1360.0)
    _check_summary(out, by_hand([0, 1, 2, 3]))


def test_people_outside_whom_nothing_displaces_still_give_two_rows(tmp_path, cli):
    """AAA covers columns 1-3; column 0 (280 people) is dry in every map and event, so
    the unit displaces what the whole grid does, but it holds 1,080 people, the grid
    1,360: one row could not give both populations."""
    out = _run(tmp_path, cli, _case(tmp_path / "case", zones_cols=3, first=1))
    futures, attribution = _read(out / "futures.csv"), _read(out / "attribution.csv")
    assert not futures.duplicated(KEYS).any() and not attribution.duplicated(KEYS).any()
    _check_row(futures, attribution, "AAA", 0, by_hand([1, 2, 3]), 1080.0)
    _check_row(futures, attribution, "AAA", None, by_hand([0, 1, 2, 3]), 1360.0)
    _check_summary(out, by_hand([0, 1, 2, 3]))


# ------------------------------------------------------------------------ compare


def _compare(tmp_path, cli, zones_cols):
    """Two runs of the same inputs: the baseline's maps, and the future's as the other
    run's baseline (f10, f100); compare.csv of the two."""
    base = _case(tmp_path / "case", zones_cols)
    del base["futures"]
    other = dict(base, hazards=[dict(base["hazards"][0]), base["hazards"][1]])
    other["hazards"][0]["return_periods"] = {10: "f10.tif", 100: "f100.tif"}
    runs = []
    for name, run in (("base", base), ("future", other)):
        path = write_run(tmp_path / "case", run, name=f"{name}.yaml")
        result = cli("run", path, "--out", tmp_path / name, "--no-map")
        assert result.exit_code == 0, result.output
        runs.append(tmp_path / name)
    result = cli("compare", *runs, "--out", tmp_path / "cmp")
    assert result.exit_code == 0, result.output
    text = (tmp_path / "cmp" / "compare.csv").read_text(encoding="utf-8-sig")
    return _read(tmp_path / "cmp" / "compare.csv"), text, runs


def _check_compare(row, cols):
    figures = by_hand(cols)
    population = COLUMNS[cols].sum()
    assert row["population_baseline"] == pytest.approx(population, rel=1e-12)
    assert row["population_future"] == pytest.approx(population, rel=1e-12)
    assert row["population_change"] == pytest.approx(0.0, abs=1e-9)
    h00, h10 = figures[("rf", "")][:2]
    assert row["aad_baseline"] == pytest.approx(h00, rel=1e-12)
    assert row["aad_future"] == pytest.approx(h10, rel=1e-12)
    assert row["aad_change"] == pytest.approx(h10 - h00, rel=1e-12)
    for suffix in ("_low", "_high"):
        low0, low1 = figures[("rf", suffix)][:2]
        assert row[f"aad_baseline{suffix}"] == pytest.approx(low0, rel=1e-12, abs=1e-12)
        assert row[f"aad_future{suffix}"] == pytest.approx(low1, rel=1e-12, abs=1e-12)


def test_compare_two_runs_without_zones_gives_the_nation_once(tmp_path, cli):
    table, text, runs = _compare(tmp_path, cli, None)
    assert not table.duplicated(["zone_code", "level", "hazard_id"]).any()
    nation = table[table["zone_code"] == "AAA"]
    assert sorted(nation["hazard_id"]) == ["ev", "rf"] and (nation["level"] == 0).all()
    assert list(table["zone_code"][:2]) == ["AAA", "AAA"]  # first, as before
    _check_compare(nation[nation["hazard_id"] == "rf"].iloc[0], [0, 1, 2, 3])
    summary = json.loads((runs[0] / "summary.json").read_text(encoding="utf-8"))
    row = nation[nation["hazard_id"] == "ev"].iloc[0]
    assert row["aad_baseline"] == summary["hazards"]["ev"]["aad"]  # summary.json's own
    assert row["aad_baseline"] == pytest.approx(0.1 * 760 + 0.01 * 1080, rel=1e-12)
    assert row["aad_change"] == pytest.approx(0.0, abs=1e-12)
    assert "AAA,Testland,0,rf," in text


def test_compare_two_runs_with_a_level0_unit_and_people_outside(tmp_path, cli):
    table, text, _ = _compare(tmp_path, cli, 3)
    assert not table.duplicated(["zone_code", "level", "hazard_id"]).any()
    rf = table[(table["hazard_id"] == "rf") & (table["zone_code"] == "AAA")]
    assert len(rf) == 2
    _check_compare(rf[rf["level"].isna()].iloc[0], [0, 1, 2, 3])  # the whole grid
    _check_compare(rf[rf["level"] == 0].iloc[0], [0, 1, 2])  # the unit
    outside = table[(table["hazard_id"] == "rf") & (table["zone_code"] == "__outside__")]
    _check_compare(outside.iloc[0], [3])
    assert "AAA,Testland,,rf," in text and "AAA,Aland,0,rf," in text
    assert list(table["level"][:2].isna()) == [True, True]  # the national rows first


# ------------------------------------------- sea-level rise and drought without zones

# tests/test_slow_onset.py's coast: the sea (left), a plain joined to it, a 4 m ridge and
# an enclosed hollow below sea level; SPEI per column for the drought
SPEI = np.array([[-0.5, -1.2, -1.6, -2.5, np.nan, 0.3, -1.0]] * 5)


def test_sea_level_rise_and_drought_futures_without_zones(tmp_path, raster_writer):
    """A future rise of 1.2 m instead of 0.6 (the brief's repro): the run crashed. The
    water stands at 0.5 (high tide) + 0.2 (MSL -> EGM2008) + rise: 1.3 m today, 1.9 m then;
    the plain's connected cells below it hold 10 + 20 + 30 + 40 people today, and the
    1.8 m cell's 50 more then. The drought has no future: each class keeps its people."""
    raster_writer("dem.tif", DEM, transform=COAST)
    raster_writer("pop.tif", RESIDENTS, transform=COAST)
    raster_writer("spei.tif", SPEI, transform=COAST)
    (tmp_path / "run.yaml").write_text(
        "country: XXS\npopulation: {path: pop.tif}\nhazards:\n"
        "  - {id: slr, type: sea_level_rise, dem: dem.tif, dem_datum: EGM2008, high_tide: 0.5,\n"
        "     tide_datum: MSL, slr: 0.6, slr_baseline: MSL, datum_offsets: {MSL: 0.2}}\n"
        "  - {id: dry, type: drought, intensity: spei.tif, unit: SPEI, scenario: 2022 drought}\n"
        "futures:\n  - {id: far, hazards: {slr: {slr: 1.2}}}\n",
        encoding="utf-8",
    )
    out = run_country(tmp_path / "run.yaml", tmp_path / "out").out_dir
    futures, attribution = _read(out / "futures.csv"), _read(out / "attribution.csv")
    column = RESIDENTS.sum(axis=0)  # SPEI deficits per column: 1.2, 1.6, 2.5 and 1.0 classed
    expected = {
        ("slr", "at_risk_relocation"): (100.0, 150.0),
        ("dry", "drought_moderate"): (column[1] + column[6],) * 2,
        ("dry", "drought_severe"): (column[2],) * 2,
        ("dry", "drought_extreme"): (column[3],) * 2,
    }
    for frame in (futures, attribution):
        assert not frame.duplicated(KEYS).any()
        nation = frame[frame["zone_code"] == "XXS"]
        assert (nation["level"] == 0).all()
        assert sorted(zip(nation["hazard_id"], nation["figure"], strict=True)) == sorted(expected)
    nation = futures[futures["zone_code"] == "XXS"].set_index(["hazard_id", "figure"])
    parts = attribution[attribution["zone_code"] == "XXS"].set_index(["hazard_id", "figure"])
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    hazards = summary["futures"]["far"]["hazards"]
    for (hazard, figure), (base, future) in expected.items():
        assert nation.loc[(hazard, figure), "baseline"] == pytest.approx(base, rel=1e-12)
        assert nation.loc[(hazard, figure), "future"] == pytest.approx(future, rel=1e-12)
        assert nation.loc[(hazard, figure), "population_baseline"] == pytest.approx(column.sum())
        assert parts.loc[(hazard, figure), "climate_only"] == pytest.approx(future - base)
        assert parts.loc[(hazard, figure), "population_only"] == 0.0
        entry = hazards[hazard]
        if hazard == "dry":
            assert entry["figure"] == "drought_classes"
            entry = entry["classes"][figure.removeprefix("drought_")]
        assert (entry["baseline"], entry["future"]) == pytest.approx((base, future), rel=1e-12)
        assert entry["climate_only"] == pytest.approx(future - base)
    assert sorted(hazards["dry"]["classes"]) == ["extreme", "moderate", "severe"]
