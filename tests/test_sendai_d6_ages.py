"""Sendai tables: pre-emptive evacuation (custom D6) only for hazard types with a lead
time, and Sendai age classes built from common census bands.

1. D6 (displacement_timing pre-emptive) = displaced x early-warning coverage, given for
   hazard types whose forecasts or warnings come before the impact (floods, tropical
   cyclones, tsunamis, noted); never for an earthquake, whose D1 rows say why.
2. Cohorts ``<sex>_0_4, _5_14, _15_59, _60_plus`` (the PSA census's 60+): the age rows
   (breakdown ``age``) are the Sendai classes the bands form (0-14 = 0-4 + 5-14, per
   unit and nationally), every cohort band is an ``age_detail`` row, and the classes
   they cannot form (15-64, 65+) are named in the notes and in a run warning.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
import yaml

BANDS = ("0_4", "5_14", "15_59", "60_plus")
COHORTS = [f"{sex}_{band}" for sex in ("female", "male") for band in BANDS]


def _census_bands(path) -> pd.DataFrame:
    """The demo's census with its 0-14 / 15-64 / 65+ shares split into 0-4, 5-14, 15-59
    and 60+ (exact sums: 0-4 = 35 % of 0-14, 15-59 = 90 % of 15-64)."""
    census = pd.read_csv(path, dtype={"pcode": str})
    for sex in ("female", "male"):
        kids, adults, old = (census.pop(f"{sex}_{a}") for a in ("0_14", "15_64", "65_plus"))
        census[f"{sex}_0_4"] = kids * 0.35
        census[f"{sex}_5_14"] = kids - kids * 0.35
        census[f"{sex}_15_59"] = adults * 0.9
        census[f"{sex}_60_plus"] = adults - adults * 0.9 + old
    census.to_csv(path, index=False)
    return census.set_index("pcode")


@pytest.fixture(scope="module")
def run(demo_folder, tmp_path_factory):
    """The demo's run file with census-style age bands, its earthquake, cyclone, storm
    surge and a tsunami (the surge's depth grid read as a tsunami's), run through the CLI."""
    from click.testing import CliRunner

    from cli import main

    folder = tmp_path_factory.mktemp("d6_ages")
    inputs = folder / "inputs"
    shutil.copytree(demo_folder / "inputs", inputs)
    census = _census_bands(inputs / "census_districts.csv")
    data = yaml.safe_load((inputs / "run.yaml").read_text(encoding="utf-8"))
    data.pop("futures")
    kept = {"earthquake", "cyclone_wind", "storm_surge"}
    data["hazards"] = [h for h in data["hazards"] if h["id"] in kept]
    data["hazards"].append(
        {
            "id": "tsunami",
            "type": "tsunami",
            "intensity": "storm_surge_scenario.tif",
            "scenario": "Tsunami (fictional)",
            "curve": "tsunami_step_0.7m",
        }
    )
    data["population"]["cohorts"]["columns"] = COHORTS
    (inputs / "run.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    out = folder / "run"
    result = CliRunner().invoke(
        main, ["run", str(inputs / "run.yaml"), "--out", str(out)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "sendai.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    groups = pd.read_csv(
        out / "zones_disaggregated.csv", encoding="utf-8-sig", dtype={"zone_code": str}
    )
    zones = pd.read_csv(out / "zones.csv", encoding="utf-8-sig", dtype={"zone_code": str})
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return {
        "table": table,
        "groups": groups,
        "zones": zones,
        "census": census,
        "manifest": manifest,
        "output": result.output,
        "out": out,
    }


def pick(table, **where) -> pd.DataFrame:
    mask = np.ones(len(table), bool)
    for column, value in where.items():
        mask &= (table[column] == value).to_numpy()
    return table[mask]


def one(table, **where) -> float:
    rows = pick(table, **where)
    assert len(rows) == 1, (where, len(rows))
    return float(rows["value_number"].iloc[0])


# ------------------------------------------------------------------ 1. D6 and lead time


def test_no_pre_emptive_evacuation_for_an_earthquake(run):
    table = run["table"]
    quake = pick(table, hazard_id="earthquake")
    assert len(pick(quake, indicator_code="XMR-D1")) > 20
    assert pick(quake, indicator_code="XMR-D6").empty
    assert "pre-emptive" not in set(quake["displacement_timing"])
    # the earthquake's D1 rows say why (and keep their own note: by residence)
    d1 = pick(quake, indicator_code="XMR-D1", breakdown="")
    assert len(d1) > 10
    for note in d1["notes"]:
        assert "no pre-emptive evacuation row (custom D6)" in note
        assert "an earthquake is not forecast" in note
        assert "by residence" in note
    # hazards with a lead time keep theirs, without that note
    for hazard in ("cyclone_wind", "storm_surge", "tsunami"):
        d6 = pick(table, hazard_id=hazard, indicator_code="XMR-D6", breakdown="")
        assert len(d6) > 10, hazard
        assert set(d6["displacement_timing"]) == {"pre-emptive"}
        d1 = pick(table, hazard_id=hazard, indicator_code="XMR-D1")
        assert not d1["notes"].str.contains("no pre-emptive").any()


@pytest.mark.parametrize("hazard", ["cyclone_wind", "tsunami"])
def test_d6_is_displaced_times_early_warning_coverage(run, hazard):
    """D6 of the nation = the finest units' displaced x their early-warning share (the
    census has a row for every finest unit; no one outside every unit is displaced)."""
    zones, census = run["zones"], run["census"]
    by_zone = zones[zones["hazard_id"] == hazard].set_index("zone_code")["displaced"]
    finest = by_zone[by_zone.index.isin(census.index)]
    expected = float((finest * census.loc[finest.index, "early_warning"]).sum())
    assert expected > 100
    table = pick(run["table"], hazard_id=hazard, indicator_code="XMR-D6", breakdown="")
    assert one(table, admin_code="XMR") == pytest.approx(expected, rel=1e-9)
    unit = finest.index[np.argmax(finest.to_numpy())]
    got = one(table, admin_code=unit)
    assert got == pytest.approx(finest[unit] * census.loc[unit, "early_warning"], rel=1e-9)
    notes = " ".join(table["notes"])
    assert ("near-field" in notes) == (hazard == "tsunami")


def test_every_hazard_type_of_the_catalogue_has_a_lead_time_decision():
    from hazards.catalogue import HAZARD_TYPES
    from mecc.sendai_lead_time import LEAD_TIME, has_lead_time, no_d6_note

    assert set(LEAD_TIME) == set(HAZARD_TYPES)
    assert not has_lead_time("earthquake")
    assert has_lead_time("tsunami") and has_lead_time("flash_flood")
    assert not has_lead_time("volcano")  # unknown: no D6, said so
    assert "no forecast lead time for hazard type volcano" in no_d6_note("volcano")


# --------------------------------------------------------------- 2. census age bands


def test_census_bands_form_0_14_per_unit_and_nationally(run):
    table, groups = run["table"], run["groups"]
    for hazard, indicator in (("earthquake", "XMR-D1"), ("cyclone_wind", "XMR-D1")):
        rows = pick(table, hazard_id=hazard, indicator_code=indicator, measure="scenario")
        ages = rows[rows["breakdown"] == "age"]
        detail = rows[rows["breakdown"] == "age_detail"]
        # breakdown age holds Sendai classes only; every cohort band is age_detail
        assert set(ages["age_group"]) == {"0-14"}
        assert set(detail["age_group"]) == {"0-4", "5-14", "15-59", "60+"}
        codes = sorted(set(ages["admin_code"]))
        assert "XMR" in codes and len(codes) > 10
        for code in codes:
            children = one(ages, admin_code=code)
            parts = [one(detail, admin_code=code, age_group=a) for a in ("0-4", "5-14")]
            assert children == pytest.approx(sum(parts), rel=1e-12), code
            bands = [one(detail, admin_code=code, age_group=a) for a in ("15-59", "60+")]
            everyone = one(rows, admin_code=code, breakdown="")
            assert sum(parts) + sum(bands) == pytest.approx(everyone, rel=1e-9), code
        # per unit, the cohorts' own figures (zones_disaggregated.csv)
        own = groups[(groups["hazard_id"] == hazard) & (groups["breakdown"] == "sex_age")]
        own = own.set_index(["zone_code", "group"])["displaced"]
        for code in codes:
            if code == "XMR" or code.startswith("__"):
                continue
            expected = sum(
                own[(code, f"{sex}_{band}")] for sex in ("female", "male") for band in BANDS[:2]
            )
            assert one(ages, admin_code=code) == pytest.approx(expected, rel=1e-9), code
    # the national 0-14 is the units' plus no one outside: the finest units' sum
    rows = pick(table, hazard_id="earthquake", indicator_code="XMR-D1", breakdown="age")
    finest = rows[rows["admin_level"] == "2"]
    assert one(rows, admin_code="XMR") == pytest.approx(
        finest["value_number"].astype(float).sum()
        + sum(float(v) for v in rows[rows["admin_code"] == "__outside__"]["value_number"]),
        rel=1e-9,
    )


def test_classes_the_bands_cannot_form_are_named(run):
    table = run["table"]
    rows = pick(table, hazard_id="earthquake", indicator_code="XMR-D1", admin_code="XMR")
    children = rows[rows["breakdown"] == "age"]["notes"].iloc[0]
    assert "sum of the cohorts' age bands 0-4 + 5-14" in children
    assert "do not form 15-64, 65+" in children
    for band in ("15-59", "60+"):
        note = rows[rows["age_group"] == band]["notes"].iloc[0]
        assert "not a Sendai Monitor class" in note and "do not form 15-64, 65+" in note
    for band in ("0-4", "5-14"):
        assert "part of the 0-14 row" in rows[rows["age_group"] == band]["notes"].iloc[0]
    warned = [w for w in run["manifest"]["warnings"] if w.startswith("population.cohorts:")]
    assert len(warned) == 1
    assert "do not form the Sendai Monitor age class(es) 15-64, 65+" in warned[0]
    assert "0-14 (= 0-4 + 5-14)" in warned[0]
    assert "15-64, 65+" in run["output"]


def test_age_rows_of_other_band_sets():
    from mecc.sendai_ages import missing_classes, missing_message, sendai_ages

    def rows(by_age):
        return [(r[1], r[2], r[3]) for r in sendai_ages(by_age)]

    # the census bands: 0-14 summed, the rest detail
    census = {"0-4": [0, 4], "5-14": [1, 5], "15-59": [2, 6], "60+": [3, 7]}
    assert rows(census) == [
        ([0, 4, 1, 5], "age", "0-14"),
        ([0, 4], "age_detail", "0-4"),
        ([1, 5], "age_detail", "5-14"),
        ([2, 6], "age_detail", "15-59"),
        ([3, 7], "age_detail", "60+"),
    ]
    assert missing_classes(census) == ["15-64", "65+"]
    # bands that form no class: all detail, every class named
    straddling = {"0-9": [0], "10-64": [1], "65+": [2]}
    assert rows(straddling) == [
        ([2], "age", "65+"),
        ([0], "age_detail", "0-9"),
        ([1], "age_detail", "10-64"),
    ]
    assert missing_classes(straddling) == ["0-14", "15-64"]
    # finer bands of every class: each class summed, no warning
    fine = {"0-4": [0], "5-14": [1], "15-59": [2], "60-64": [3], "65-79": [4], "80+": [5]}
    assert [r for r in rows(fine) if r[1] == "age"] == [
        ([0, 1], "age", "0-14"),
        ([2, 3], "age", "15-64"),
        ([4, 5], "age", "65+"),
    ]
    assert missing_message(list(fine)) == ""
    # the classes themselves: unchanged, no notes
    standard = sendai_ages({"0-14": [0], "15-64": [1], "65+": [2]})
    assert [(r[2], r[3], r[4]) for r in standard] == [
        ("age", "0-14", ""),
        ("age", "15-64", ""),
        ("age", "65+", ""),
    ]
    # a band that is no age band at all is detail
    assert rows({"adult": [0], "0-14": [1]}) == [([1], "age", "0-14"), ([0], "age_detail", "adult")]
    assert missing_classes({}) == []
