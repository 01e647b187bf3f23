"""Fixes of the Sendai rows, checked by hand on a 3 x 3 grid with two admin levels:

    population = 10 20 30      depth (m) = 0    1.0  2.0     P1 = column 0, P2 = column 1
                 40 50 60                  0.2  1.0  2.0     Q1 = column 2, rows 0-1
                 70 80 90                  0.6  1.2  3.0     cell (2, 2): outside

Provinces P = P1 + P2 (270 people on the grid), Q = Q1 (90). Official population only for
the districts (P1 100, P2 200, Q1 80; census 2019; grid 2020). Damage states as in
tests/test_sendai.py: damaged (not destroyed) for 0.5 <= depth < 1.5, destroyed from 1.5.
Cohorts by district in finer age bands (0-4, 5-14, 15-64, 65+ by sex).

1. official figures of the units below carried up to provinces and the nation;
2. event rows name their event and member as bands.csv does;
3. group rows rated against the area's official figure x the group's grid share;
4. cohort age bands outside the Sendai classes summed into them, and flagged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from affine import Affine

from mecc.run import run_country
from tests._run_inputs import cell_box, write_run, write_zones
from tests.conftest import write_raster
from tests.test_sendai import pick, read

TRANSFORM = Affine(0.1, 0, 10.0, 0, -0.1, 50.0)
POP = np.array([[10.0, 20, 30], [40, 50, 60], [70, 80, 90]])
DEPTH = np.array([[0.0, 1.0, 2.0], [0.2, 1.0, 2.0], [0.6, 1.2, 3.0]])
DISTRICTS = {"P1": (0, 0, 3, 1), "P2": (0, 1, 3, 1), "Q1": (0, 2, 2, 1)}  # row, col, rows, cols
GRID = {"P1": 120.0, "P2": 150.0, "Q1": 90.0, "P": 270.0, "Q": 90.0, "outside": 90.0}
OFFICIAL = {"P1": 100.0, "P2": 200.0, "Q1": 80.0}
COHORTS = [
    f"{sex}_{age}" for sex in ("female", "male") for age in ("0_4", "5_14", "15_64", "65_plus")
]
SHARES = {  # per district, in COHORTS order (female 0.5, 0.6, 0.45)
    "P1": [0.05, 0.10, 0.30, 0.05, 0.05, 0.10, 0.30, 0.05],
    "P2": [0.06, 0.10, 0.34, 0.10, 0.04, 0.06, 0.24, 0.06],
    "Q1": [0.05, 0.10, 0.25, 0.05, 0.05, 0.10, 0.35, 0.05],
}
EVENTS = [("1", 0.1, "flood_2001_m1", "m1"), ("2", 0.1, "flood_2001_m2", "m2")]


def female(code) -> float:
    return sum(SHARES[code][:4])


def b3(code) -> float:
    """People in damaged (not destroyed) dwellings of the scenario in a district."""
    row, col, rows, cols = DISTRICTS[code]
    depth, people = (
        DEPTH[row : row + rows, col : col + cols],
        POP[row : row + rows, col : col + cols],
    )
    return float(people[(depth >= 0.5) & (depth < 1.5)].sum())


def write_case(folder, official: dict) -> dict:
    write_raster(folder / "pop.tif", POP, transform=TRANSFORM)
    write_raster(folder / "depth.tif", DEPTH, transform=TRANSFORM)
    write_raster(folder / "ev.tif", np.stack([DEPTH, DEPTH * 0.5]), transform=TRANSFORM)
    boxes = {
        code: cell_box(r, c, TRANSFORM, rows, cols)
        for code, (r, c, rows, cols) in DISTRICTS.items()
    }
    write_zones(
        folder / "provinces.geojson", ["P", "Q"], [cell_box(0, 0, TRANSFORM, 3, 2), boxes["Q1"]]
    )
    write_zones(
        folder / "districts.geojson", list(boxes), list(boxes.values()), parent=["P", "P", "Q"]
    )
    lines = ["code," + ",".join(COHORTS)] + [
        f"{c}," + ",".join(map(repr, s)) for c, s in SHARES.items()
    ]
    (folder / "cohorts.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    lines = ["code,official"] + [f"{code},{value}" for code, value in official.items()]
    (folder / "official.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    lines = ["band,frequency,event_name,member"] + [",".join(map(str, e)) for e in EVENTS]
    (folder / "events.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    zone = {"code_field": "code", "name_field": "name"}
    damage = {"damaged": {"intensity": [0.5, 0.5, 1.5, 1.5], "share": [0.0, 1.0, 1.0, 0.0]}}
    damage["destroyed"] = {"step": 1.5}
    official_spec = {"path": "official.csv", "code_column": "code", "value_column": "official"}
    return {
        "country": "AAA",
        "name": "Testland",
        "population": {
            "path": "pop.tif",
            "kind": "count",
            "year": 2020,
            "official": {**official_spec, "year": 2019, "source": "census"},
            "cohorts": {"path": "cohorts.csv", "code_column": "code", "columns": COHORTS},
        },
        "zones": [
            {"path": "provinces.geojson", **zone, "level": 1},
            {"path": "districts.geojson", **zone, "level": 2, "parent_field": "parent"},
        ],
        "hazards": [
            {
                "id": "sc",
                "type": "river_flood",
                "intensity": "depth.tif",
                "scenario": "test flood",
                "curve": "flood_step_1m",
                "damage_curve": damage,
            },
            {
                "id": "ev",
                "type": "river_flood",
                "intensity": "ev.tif",
                "events": "events.csv",
                "curve": "flood_step_1m",
            },
        ],
    }


def _run(folder, official):
    folder.mkdir()
    run_country(write_run(folder, write_case(folder, official)), folder / "out", with_map=False)
    return read(folder / "out" / "sendai.csv")


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    """sendai.csv with official figures for every district, and with Q1's missing."""
    root = tmp_path_factory.mktemp("sendai_rows")
    partial = {k: v for k, v in OFFICIAL.items() if k != "Q1"}
    return {
        "all": _run(root / "all", OFFICIAL),
        "partial": _run(root / "partial", partial),
        "folder": root,
    }


def row(table, **where) -> pd.Series:
    rows = pick(table, hazard_id="sc", measure="scenario", indicator_code="B-3", **where)
    assert len(rows) == 1, where
    return rows.iloc[0]


# ------------------------------------------------- 1. official figures carried up


def test_official_figures_of_the_units_below_are_carried_up(tables):
    table = tables["all"]
    for code, expected, source in (
        ("P1", 100.0, "official: census"),
        ("P", 300.0, "official: census (sum of the 2 units below)"),
        ("Q", 80.0, "official: census (sum of the unit below)"),
        ("AAA", 300.0 + 80.0 + GRID["outside"], "official: census (sum of admin level 1"),
    ):
        got = row(table, admin_code=code, breakdown="")
        assert float(got["population_denominator"]) == pytest.approx(expected)
        assert got["denominator_source"].startswith(source), got["denominator_source"]
        assert got["denominator_year"] == "2019"
    value = b3("P1") + b3("P2")  # 70 + 150
    assert value == 220.0
    assert float(row(table, admin_code="P", breakdown="")["per_100k"]) == pytest.approx(
        value * 1e5 / 300.0
    )


def test_a_unit_with_only_some_official_units_below_keeps_the_grid(tables):
    table = tables["partial"]
    for code, expected in (("Q", GRID["Q"]), ("AAA", GRID["P"] + GRID["Q"] + GRID["outside"])):
        got = row(table, admin_code=code, breakdown="")
        assert float(got["population_denominator"]) == pytest.approx(expected)
        assert "no official figure; flagged" in got["denominator_source"]
        assert got["denominator_year"] == "2020"
    got = row(table, admin_code="P", breakdown="")  # both its districts have figures
    assert float(got["population_denominator"]) == pytest.approx(300.0)


# --------------------------------------------------------- 2. event identity


def test_event_rows_carry_the_event_name_and_member(tables):
    from mecc.sendai_text import COLUMNS
    from mecc.sendai_writers import HXL_TAGS

    table = tables["all"]
    events = table[(table["hazard_id"] == "ev") & (table["measure"] == "event")]
    assert len(events) > 0
    for band, _, name, member in EVENTS:
        rows = events[events["band"] == band]
        assert len(rows) > 0
        assert set(rows["event_name"]) == {name} and set(rows["member"]) == {member}
    others = table[table["measure"] != "event"]
    assert set(others["event_name"]) == {""} and set(others["member"]) == {""}
    assert {"event_name", "member"} <= set(COLUMNS) and HXL_TAGS["event_name"] == "#event+name"


def test_event_columns_in_the_hxl_and_workbook_files(tables):
    from tests.test_sendai import check_hxl

    folder = tables["folder"] / "all" / "out"
    check_hxl(folder / "sendai_hxl.csv", tables["all"])
    tags = (folder / "sendai_hxl.csv").read_text(encoding="utf-8-sig").split("\n")[1].split(",")
    header = list(tables["all"].columns)
    assert tags[header.index("event_name")] == "#event+name"
    assert tags[header.index("member")] == "#event+member"
    columns = pd.read_excel(folder / "sendai.xlsx", sheet_name="Columns", dtype=str)
    meaning = dict(zip(columns["column"], columns["meaning"], strict=True))
    assert "event's name" in meaning["event_name"] and "member" in meaning["member"]


# ------------------------------------------------------ 3. group denominators


def test_group_denominator_is_the_official_figure_times_the_group_share(tables):
    table = tables["all"]
    female_p = GRID["P1"] * female("P1") + GRID["P2"] * female("P2")  # 60 + 90
    got = row(table, admin_code="P", sex="female")
    assert float(got["population_denominator"]) == pytest.approx(300.0 * female_p / GRID["P"])
    assert got["denominator_source"].startswith("official: census (sum of the 2 units below)")
    assert "share" in got["denominator_source"] and got["denominator_year"] == "2019"
    # the outside bucket has no official figure: the group's grid people, the grid's year
    weights = {code: GRID[code] for code in SHARES}
    outside_share = sum(weights[c] * female(c) for c in SHARES) / sum(weights.values())
    got = row(table, admin_code="__outside__", sex="female")
    assert float(got["population_denominator"]) == pytest.approx(GRID["outside"] * outside_share)
    assert got["denominator_year"] == "2020" and "flagged" in got["denominator_source"]
    # the nation: 470 official x the female share of its 450 grid people
    female_nation = female_p + GRID["Q1"] * female("Q1") + GRID["outside"] * outside_share
    got = row(table, admin_code="AAA", sex="female")
    assert float(got["population_denominator"]) == pytest.approx(470.0 * female_nation / 450.0)
    # the partial run: Q has no official figure, so its groups take the grid and its year
    got = row(tables["partial"], admin_code="Q", sex="female")
    assert float(got["population_denominator"]) == pytest.approx(GRID["Q"] * female("Q1"))
    assert got["denominator_year"] == "2020"


def test_total_rate_lies_between_its_groups_rates(tables):
    table = tables["all"]
    # P by hand: female B-3 = 70 x 0.5 + 150 x 0.6 = 125 of 300 x 150/270 people
    rate = {
        sex: float(row(table, admin_code="P", sex=sex)["per_100k"]) for sex in ("female", "male")
    }
    assert rate["female"] == pytest.approx(125.0 * 1e5 / (300.0 * 150.0 / 270.0))
    assert rate["male"] == pytest.approx(95.0 * 1e5 / (300.0 * 120.0 / 270.0))
    for code in ("P", "AAA"):
        total = float(row(table, admin_code=code, breakdown="")["per_100k"])
        sexes = [float(row(table, admin_code=code, sex=s)["per_100k"]) for s in ("female", "male")]
        assert min(sexes) <= total <= max(sexes), (code, total, sexes)
        # and the groups' denominators add up to the area's
        total_denominator = float(
            row(table, admin_code=code, breakdown="")["population_denominator"]
        )
        denominators = [
            float(row(table, admin_code=code, sex=s)["population_denominator"])
            for s in ("female", "male")
        ]
        assert sum(denominators) == pytest.approx(total_denominator)


# ------------------------------------------------------------------ 4. age bands


def test_finer_age_bands_are_summed_into_the_sendai_classes(tables):
    table = tables["all"]
    rows = pick(table, hazard_id="sc", measure="scenario", indicator_code="B-3", admin_code="P1")
    ages = rows[rows["breakdown"] == "age"]
    assert sorted(ages["age_group"]) == ["0-14", "15-64", "65+"]
    assert ages["value_number"].astype(float).sum() == pytest.approx(b3("P1"))  # 70
    shares = dict(zip(COHORTS, SHARES["P1"], strict=True))
    children = (
        shares["female_0_4"] + shares["female_5_14"] + shares["male_0_4"] + shares["male_5_14"]
    )
    got = float(ages[ages["age_group"] == "0-14"]["value_number"].iloc[0])
    assert got == pytest.approx(b3("P1") * children)
    detail = rows[rows["breakdown"] == "age_detail"]
    assert sorted(detail["age_group"]) == ["0-4", "5-14"]
    assert all("not a Sendai Monitor class" in note for note in detail["notes"])
    got = float(detail[detail["age_group"] == "0-4"]["value_number"].iloc[0])
    assert got == pytest.approx(b3("P1") * (shares["female_0_4"] + shares["male_0_4"]))
    assert not any("Sendai Monitor" in note for note in ages["notes"])


def test_age_bands_that_do_not_nest_are_kept_with_a_note():
    from mecc.sendai_ages import sendai_ages as _sendai_ages

    kept = _sendai_ages({"0-9": [0, 3], "10-64": [1, 4], "65+": [2, 5]})
    # only the Sendai classes are `age` rows (65+ here); the other bands are age_detail,
    # and the classes they cannot form (0-14, 15-64) are named in every note
    assert [(r[1], r[2], r[3]) for r in kept] == [
        ([2, 5], "age", "65+"),
        ([0, 3], "age_detail", "0-9"),
        ([1, 4], "age_detail", "10-64"),
    ]
    assert all("do not form 0-14, 15-64" in r[4] for r in kept)
    assert ["Sendai Monitor" in r[4] for r in kept] == [False, True, True]
    # a standard class given next to finer bands inside it: the class is the `age` row,
    # the finer bands are age_detail rows with a note
    overlapping = _sendai_ages({"0-14": [0], "0-4": [1], "5-14": [2], "15-64": [3], "65+": [4]})
    assert [(r[2], r[3]) for r in overlapping] == [
        ("age", "0-14"),
        ("age", "15-64"),
        ("age", "65+"),
        ("age_detail", "0-4"),
        ("age_detail", "5-14"),
    ]
    assert [r[3] for r in overlapping if r[4]] == ["0-4", "5-14"]
    # the standard classes alone: unchanged, no notes
    standard = _sendai_ages({"0-14": [0, 3], "15-64": [1, 4], "65+": [2, 5]})
    assert [(r[2], r[3], r[4]) for r in standard] == [
        ("age", "0-14", ""),
        ("age", "15-64", ""),
        ("age", "65+", ""),
    ]
    # finer bands of the elderly nest too: 65-79 + 80+ = 65+
    nested = _sendai_ages({"0-14": [0], "15-64": [1], "65-79": [2], "80+": [3]})
    assert [(r[1], r[2], r[3]) for r in nested] == [
        ([0], "age", "0-14"),
        ([1], "age", "15-64"),
        ([2, 3], "age", "65+"),
        ([2], "age_detail", "65-79"),
        ([3], "age_detail", "80+"),
    ]


# ------------------------------------- B-1 of an event set with members: the members' range


def test_b1_of_members_spans_the_members_when_the_curve_variants_agree(demo_command):
    """B-1 = B-3 + B-4 + B-5: its curve variants all give the central value (only the
    destroyed threshold moves), so low and high are the members' B-1, summed per member
    from results.nc (damaged + destroyed + the livelihoods group's exposed people)."""
    import xarray as xr

    from mecc.sendai_rows import MEMBER_RANGE

    run = demo_command[0] / "run"
    table = pd.read_csv(run / "sendai.csv", encoding="utf-8-sig", dtype=str)
    store = xr.open_dataset(run / "results.nc", group="sendai")
    hazard = "river_flood_years"
    checked = 0
    for zone in ("XMR01", "XMR02", "XMR03", "XMR0310"):
        member = store["expected_annual_member"].sel(zone=zone, hazard=hazard)
        livelihoods = store["group_expected_annual_member"].sel(
            group="livelihoods", group_figure="exposed", zone=zone, hazard=hazard
        )
        per_member = (
            member.sel(figure="damaged") + member.sel(figure="destroyed") + livelihoods
        ).values
        keep = (table["indicator_code"] == "B-1") & (table["admin_code"] == zone)
        keep &= (table["hazard_id"] == hazard) & (table["measure"] == "expected_annual")
        row = table[keep & table["breakdown"].isna()].iloc[0]
        assert row["range_kind"] == MEMBER_RANGE
        assert float(row["low"]) == pytest.approx(per_member.min(), rel=1e-9)
        assert float(row["high"]) == pytest.approx(per_member.max(), rel=1e-9)
        assert "the curve variants all give this value" in row["notes"]
        checked += per_member.max() > 0
    assert checked == 4
