"""Acceptance of the Sendai tables on the demo country and on Austria (real data).

For both: B-1 is the sum of its parts per 100,000 in every row; B-3 and B-4 never count
the same person (checked against an independent numpy count of the people above the
damage thresholds, read from the JRC table); the nation is the sum of every admin level
plus the outside row for additive rows; the files pass the schema, HXL and workbook
checks of tests/test_sendai.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import rasterio
import yaml

from tests._run_inputs import demo_population
from tests.test_sendai import (
    check_b1_rows,
    check_hxl,
    check_national_sums,
    check_schema,
    check_workbook,
    read,
)

JRC_TABLE = "hazards/curves/jrc_residential_mdd.csv"


def jrc_thresholds(column: str) -> tuple[float, float]:
    """Depths where the JRC residential damage reaches 0.1 (damaged) and 0.55 (destroyed)."""
    from pathlib import Path

    table = pd.read_csv(Path(__file__).resolve().parents[1] / JRC_TABLE, comment="#")
    depth, damage = table.iloc[:, 0].to_numpy(float), table[column].to_numpy(float)
    return float(np.interp(0.1, damage, depth)), float(np.interp(0.55, damage, depth))


def national(table, indicator, **where) -> pd.Series:
    rows = table[
        (table["indicator_code"] == indicator)
        & (table["admin_level"] == "0")
        & (table["breakdown"] == "")
    ]
    for column, value in where.items():
        rows = rows[rows[column] == value]
    return rows


# ------------------------------------------------------------------------------ demo


@pytest.fixture(scope="module")
def demo_table(demo_folder):
    return read(demo_folder / "run" / "sendai.csv")


def test_demo_b1_and_national_sums(demo_table):
    assert check_b1_rows(demo_table) > 100
    assert check_national_sums(demo_table) > 50
    check_schema(demo_table, "XMR")


def test_demo_b3_b4_exclusive_against_numpy(demo_folder, demo_table):
    inputs = demo_folder / "inputs"
    run_file = yaml.safe_load((inputs / "run.yaml").read_text(encoding="utf-8"))
    hazard = next(h for h in run_file["hazards"] if h["id"] == "river_flood")
    low, high = jrc_thresholds(hazard["damage_curve"].removeprefix("flood_damage_states_jrc_"))
    people = np.nan_to_num(demo_population(inputs))  # sites' people added at their cells
    # seasonal presence: the floods' months weighted by the national multipliers
    season = hazard.get("season") or dict.fromkeys(range(1, 13), 1)
    multipliers = ((run_file.get("mobility") or {}).get("seasonal") or {}).get("multipliers", {})
    presence = sum(w * multipliers.get(m, 1.0) for m, w in season.items()) / sum(season.values())
    people = people * presence
    for period in (10, 100, 1000):
        with rasterio.open(inputs / hazard["return_periods"][period]) as src:
            depth = src.read(1).astype(np.float64)
        b3 = people[(depth >= low) & (depth < high)].sum()
        b4 = people[depth >= high].sum()
        where = {"hazard_id": "river_flood", "return_period": f"{float(period)}"}
        got3 = national(demo_table, "B-3", **where)["value_number"].astype(float).item()
        got4 = national(demo_table, "B-4", **where)["value_number"].astype(float).item()
        assert got3 == pytest.approx(b3, rel=1e-9) and got4 == pytest.approx(b4, rel=1e-9)
        b1 = national(demo_table, "B-1", **where)["value_number"].astype(float).item()
        b5 = national(demo_table, "B-5", **where)["value_number"].astype(float).item()
        assert b1 - b5 == pytest.approx(people[depth >= low].sum(), rel=1e-9)
    # every variant counts each person once: B-3 + B-4 is the same in all of them
    # (an event set with members then gives its members' range, saying the variants agree)
    b1 = demo_table[(demo_table["indicator_code"] == "B-1") & (demo_table["low"] != "")]
    curves = b1["range_kind"].str.startswith("curve variants")
    assert curves.sum() > 0 and (b1.loc[~curves, "range_kind"].str.startswith("ensemble")).all()
    said = b1["notes"].str.contains("the curve variants all give this value")
    assert (said == (b1["value_number"].astype(float) != 0)).all()  # (0 for all: unsaid)
    low, high = (b1.loc[curves, k].astype(float) for k in ("low", "high"))
    np.testing.assert_allclose(low, high, rtol=1e-12)


def test_demo_denominators_and_files(demo_folder, demo_table):
    census = pd.read_csv(demo_folder / "inputs" / "census_population.csv", dtype={"pcode": str})
    official = dict(zip(census["pcode"], census["population"], strict=True))
    rows = demo_table[(demo_table["breakdown"] == "") & demo_table["unit"].str.startswith("people")]
    inside = rows[rows["admin_code"] != "__outside__"]
    expected = inside["admin_code"].map(official).astype(float)
    np.testing.assert_allclose(inside["population_denominator"].astype(float), expected)
    assert inside["denominator_source"].str.startswith("official").all()
    assert set(inside["denominator_year"]) == {"2024"}
    run = demo_folder / "run"
    check_hxl(run / "sendai_hxl.csv", demo_table)
    sheets = check_workbook(run / "sendai.xlsx", demo_table)
    assert {"Admin 1", "Admin 2", "Disaggregated"} <= set(sheets)
    groups = sheets["Disaggregated"]
    assert {"female", "male"} <= set(groups["sex"]) and {"0-14", "65+"} <= set(groups["age_group"])
    assert "with_disability" in set(groups["disability"])
    assert "below_poverty_line" in set(groups["income_group"])
    # custom indicators are labelled as such, with DELTA classes
    custom = demo_table[demo_table["is_custom"] == "True"]
    assert set(custom["indicator_code"]) == {f"XMR-D{n}" for n in range(1, 7)}
    # people in sites (D5): the in_sites group of zones_disaggregated.csv, per unit
    groups_csv = pd.read_csv(
        demo_folder / "run" / "zones_disaggregated.csv",
        encoding="utf-8-sig",
        dtype={"zone_code": str},
    )
    in_sites = groups_csv[groups_csv["group"] == "in_sites"].set_index(["zone_code", "hazard_id"])
    sites = custom[
        (custom["indicator_code"] == "XMR-D5")
        & custom["measure"].isin(["expected_annual", "scenario"])
        & (custom["admin_level"] != "0")
    ]
    assert len(sites) > 20
    for row in sites.itertuples():
        figure = "aad" if row.measure == "expected_annual" else "displaced"
        expected = in_sites.loc[(row.admin_code, row.hazard_id), figure]
        assert float(row.value_number) == pytest.approx(expected, rel=1e-12, abs=1e-9)
    assert set(custom.loc[custom["indicator_code"] == "XMR-D6", "displacement_timing"]) == {
        "pre-emptive"
    }
    assert "B-5" in set(demo_table["indicator_code"])  # the census gives livelihood shares
    relocation = custom[custom["indicator_code"] == "XMR-D4"]
    assert set(relocation["displacement_duration"]) == {"permanent"}


# --------------------------------------------------------------------------- Austria


@pytest.fixture(scope="module")
def austria(shared_data, tmp_path_factory):
    from mecc.run import run_country

    data = shared_data / "austria_flood"
    work = tmp_path_factory.mktemp("austria_sendai")
    config = {
        "country": "AUT",
        "name": "Austria",
        "population": {
            "path": str(data / "pop_count.tif"),
            "kind": "count",
            "year": 2018,
            "household_size": 2.3,
        },
        "zones": [
            {
                "path": str(data / "laender_995_geo.json"),
                "code_field": "iso",
                "name_field": "name",
                "level": 1,
            },
            {
                "path": str(data / "bezirke_995_geo.json"),
                "code_field": "iso",
                "name_field": "name",
                "level": 2,
            },
        ],
        "hazards": [
            {
                "id": "flood",
                "type": "river_flood",
                "intensity": str(data / "hazard_depth.tif"),
                "events": str(data / "events.csv"),
                "curve": "flood_step_0.5m",
                "damage_curve": "flood_damage_states_jrc_europe",
            }
        ],
    }
    run_file = work / "austria.yaml"
    run_file.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    run_country(run_file, work / "out", with_map=False)
    with rasterio.open(data / "pop_count.tif") as src:
        people = src.read(1).astype(np.float64)
    with rasterio.open(data / "hazard_depth.tif") as src:
        depth = src.read().astype(np.float64)
    events = pd.read_csv(data / "events.csv").sort_values("band")
    return work / "out", people, depth, events["frequency"].to_numpy(np.float64)


@pytest.mark.shared_data
def test_austria_b1_national_sums_and_files(austria):
    out = austria[0]
    table = read(out / "sendai.csv")
    assert check_b1_rows(table) > 100
    assert check_national_sums(table) == 8  # expected annual B-1, B-3(a), B-4(a), D1-D3
    check_schema(table, "AUT")
    check_hxl(out / "sendai_hxl.csv", table)
    sheets = check_workbook(out / "sendai.xlsx", table)
    assert {"Admin 1", "Admin 2"} <= set(sheets)
    assert len(sheets["Admin 1"]) > 9  # nine states and the outside row, per indicator
    events = table[(table["measure"] == "event") & (table["indicator_code"] == "B-4")]
    assert set(events["admin_level"]) == {"0"} and len(events) == 480
    # no official population given: every denominator is the grid's, flagged
    assert (
        table.loc[table["population_denominator"] != "", "denominator_source"]
        .str.startswith("grid population")
        .all()
    )


@pytest.mark.shared_data
def test_austria_expected_annual_b3_b4_against_numpy(austria):
    out, people, depth, frequency = austria
    table = read(out / "sendai.csv")
    low, high = jrc_thresholds("europe")
    wet = depth > 0  # NaN and dry cells count nothing
    b3 = np.array(
        [people[w & (d >= low) & (d < high)].sum() for d, w in zip(depth, wet, strict=True)]
    )
    b4 = np.array([people[w & (d >= high)].sum() for d, w in zip(depth, wet, strict=True)])
    annual = {"B-3": b3 @ frequency, "B-4": b4 @ frequency, "B-1": (b3 + b4) @ frequency}
    for key, value in annual.items():
        row = national(table, key, measure="expected_annual")
        assert float(row["value_number"].item()) == pytest.approx(value, rel=1e-9)
    worst = int(np.argmax(b4))
    row = national(table, "B-4", measure="event")
    assert float(row["value_number"].iloc[worst]) == pytest.approx(b4[worst], rel=1e-9)
    dwellings = national(table, "B-4a", measure="expected_annual")
    assert float(dwellings["value_number"].item()) == pytest.approx(annual["B-4"] / 2.3)
    rate = national(table, "B-1", measure="expected_annual")
    assert float(rate["per_100k"].item()) == pytest.approx(
        annual["B-1"] * 1e5 / people.sum(), rel=1e-9
    )
