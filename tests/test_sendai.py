"""Sendai tables built by hand on a 3 x 3 grid with 2 zones, and their files.

    population = 10 20 30      depth (m) = 0    1.0  2.0     zone A = column 0
                 40 50 60                  0.2  1.0  2.0     zone B = columns 1-2, rows 0-1
                 70 80 90                  0.6  1.2  3.0     cells (2, 1), (2, 2): outside

Damage states: damaged (not destroyed) for 0.5 <= depth < 1.5, destroyed from 1.5 m;
displacement curve: the 1 m step. Household size A 4, B 5; official population A 150,
B 200; livelihood shares (B-5) A 0.5, B 0.25; early-warning coverage A 1, B 0.4 (zones
without a value, the outside bucket, take the population-weighted mean). A scenario (the depth above) and return-period maps (10 years: half the depth,
100 years: the depth). Every expected number below is worked out from these grids.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from affine import Affine

from exposure.cohorts import STANDARD_COHORTS
from mecc.run import run_country
from tests._run_inputs import cell_box, snapshot, write_run, write_zones
from tests.conftest import write_raster

TRANSFORM = Affine(0.1, 0, 10.0, 0, -0.1, 50.0)
POP = np.array([[10.0, 20, 30], [40, 50, 60], [70, 80, 90]])
DEPTH = np.array([[0.0, 1.0, 2.0], [0.2, 1.0, 2.0], [0.6, 1.2, 3.0]])
DAMAGED = {"intensity": [0.5, 0.5, 1.5, 1.5], "share": [0.0, 1.0, 1.0, 0.0]}
DESTROYED = {"step": 1.5}
IN_A = np.zeros((3, 3), bool)
IN_A[:, 0] = True
IN_B = np.zeros((3, 3), bool)
IN_B[:2, 1:] = True
OUTSIDE = ~(IN_A | IN_B)
SIZE = {"A": 4.0, "B": 5.0}
OFFICIAL = {"A": 150.0, "B": 200.0}
SHARES = {  # female_0_14 ... male_65_plus
    "A": [1 / 6] * 6,
    "B": [0.2, 0.2, 0.2, 0.4 / 3, 0.4 / 3, 0.4 / 3],
}
DISABILITY = {"A": 0.1, "B": 0.2}
LIVELIHOODS = {"A": 0.5, "B": 0.25}
WARNED = {"A": 1.0, "B": 0.4}
COHORTS = list(STANDARD_COHORTS)


def damaged(depth):
    return (depth >= 0.5) & (depth < 1.5)


def destroyed(depth):
    return depth >= 1.5


def people(mask, where):
    return float(POP[mask & where].sum())


def per_zone(shares, where, mask) -> float:
    """People in ``where`` x their zone's share; outside: the population-weighted mean."""
    weights = {"A": float(POP[IN_A].sum()), "B": float(POP[IN_B].sum())}
    mean = sum(shares[c] * w for c, w in weights.items()) / sum(weights.values())
    total = 0.0
    for zone, share in ((IN_A, shares["A"]), (IN_B, shares["B"]), (OUTSIDE, mean)):
        total += people(where, mask & zone) * share
    return total


def livelihoods(depth, mask) -> float:
    """B-5: people exposed (depth >= 0.1 m, the river-flood threshold) x the share."""
    return per_zone(LIVELIHOODS, depth >= 0.1, mask)


def write_case(folder) -> dict:
    write_raster(folder / "pop.tif", POP, transform=TRANSFORM)
    write_raster(folder / "rp10.tif", DEPTH * 0.5, transform=TRANSFORM)
    write_raster(folder / "rp100.tif", DEPTH, transform=TRANSFORM)
    write_zones(
        folder / "zones.geojson",
        ["A", "B"],
        [cell_box(0, 0, rows=3, cols=1), cell_box(0, 1, rows=2, cols=2)],
        names=["Zone A", "Zone B"],
    )
    lines = ["code,official,household_size,disability,livelihood,warned," + ",".join(COHORTS)]
    for code in ("A", "B"):
        shares = ",".join(repr(s) for s in SHARES[code])
        lines.append(
            f"{code},{OFFICIAL[code]},{SIZE[code]},{DISABILITY[code]},{LIVELIHOODS[code]},"
            f"{WARNED[code]},{shares}"
        )
    (folder / "census.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    table = {"path": "census.csv", "code_column": "code"}
    damage = {"damaged": DAMAGED, "destroyed": DESTROYED}
    return {
        "country": "AAA",
        "name": "Testland",
        "population": {
            "path": "pop.tif",
            "kind": "count",
            "year": 2020,
            "official": {**table, "value_column": "official", "year": 2019, "source": "census"},
            "household_size": {**table, "value_column": "household_size"},
            "cohorts": table,
            "attributes": {**table, "columns": {"disability": "disability"}},
            "livelihoods": {**table, "value_column": "livelihood"},
        },
        "mobility": {"early_warning": {**table, "value_column": "warned"}},
        "zones": {"path": "zones.geojson", "code_field": "code", "name_field": "name", "level": 1},
        "hazards": [
            {
                "id": "sc",
                "type": "river_flood",
                "intensity": "rp100.tif",
                "scenario": "test flood",
                "curve": "flood_step_1m",
                "damage_curve": damage,
            },
            {
                "id": "rf",
                "type": "river_flood",
                "return_periods": {10: "rp10.tif", 100: "rp100.tif"},
                "curve": "flood_step_1m",
                "damage_curve": damage,
            },
        ],
    }


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sendai")
    run_country(write_run(folder, write_case(folder)), folder / "out", with_map=False)
    return folder


def read(path) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False, dtype=str)


def pick(table, **where) -> pd.DataFrame:
    rows = table
    for column, value in where.items():
        rows = rows[rows[column] == value]
    return rows


def number(table, **where) -> float:
    rows = pick(table, breakdown="", **where)
    assert len(rows) == 1, (where, len(rows))
    return float(rows["value_number"].iloc[0])


def test_b3_b4_b1_by_hand_for_a_scenario(case):
    table = read(case / "out" / "sendai.csv")
    households_mean = (120.0 + 160.0) / (120.0 / 4 + 160.0 / 5)  # outside takes the mean
    # the nation: the sum of level 1 and the grid's people outside every unit (the national
    # rows count them in their numerators too)
    official = {"A": 150.0, "B": 200.0, "AAA": 350.0 + float(POP[OUTSIDE].sum())}
    masks = {"A": IN_A, "B": IN_B, "__outside__": OUTSIDE, "AAA": np.ones((3, 3), bool)}
    for code, mask in masks.items():
        b3 = people(damaged(DEPTH), mask)
        b4 = people(destroyed(DEPTH), mask)
        b5 = livelihoods(DEPTH, mask)
        common = {"admin_code": code, "hazard_id": "sc", "measure": "scenario"}
        assert number(table, indicator_code="B-3", **common) == pytest.approx(b3)
        assert number(table, indicator_code="B-4", **common) == pytest.approx(b4)
        assert number(table, indicator_code="B-5", **common) == pytest.approx(b5)
        assert number(table, indicator_code="B-1", **common) == pytest.approx(b3 + b4 + b5)
        denominator = official.get(code, float(POP[mask].sum()))
        row = pick(table, indicator_code="B-1", breakdown="", **common).iloc[0]
        assert float(row["per_100k"]) == pytest.approx((b3 + b4 + b5) * 1e5 / denominator)
        assert float(row["population_denominator"]) == pytest.approx(denominator)
        assert row["denominator_source"].startswith("official") == (code != "__outside__")
        # a unit's own figure is not "the sum of admin level 1"; the nation's says what it adds
        assert ("(sum of admin level 1 + " in row["denominator_source"]) == (code == "AAA")
        assert ("outside every unit)" in row["denominator_source"]) == (code == "AAA")
        displaced = people(DEPTH >= 1.0, mask)
        assert number(table, indicator_code="AAA-D1", **common) == pytest.approx(displaced)
        assert number(table, indicator_code="AAA-D2", **common) == pytest.approx(b3)
        assert number(table, indicator_code="AAA-D3", **common) == pytest.approx(b4)
        warned = per_zone(WARNED, DEPTH >= 1.0, mask)
        assert number(table, indicator_code="AAA-D6", **common) == pytest.approx(warned)
    # dwellings: people / the unit's household size (outside and nation: the mean)
    for code in ("A", "B"):
        common = {"admin_code": code, "hazard_id": "sc", "measure": "scenario"}
        b3 = people(damaged(DEPTH), masks[code])
        assert number(table, indicator_code="B-3a", **common) == pytest.approx(b3 / SIZE[code])
    outside = people(damaged(DEPTH), OUTSIDE) / households_mean
    b3a = number(table, indicator_code="B-3a", admin_code="AAA", hazard_id="sc", measure="scenario")
    assert b3a == pytest.approx(70 / 4 + 70 / 5 + outside)
    row = pick(table, indicator_code="B-3a", admin_code="A", hazard_id="sc").iloc[0]
    assert row["unit"] == "dwellings" and row["per_100k"] == ""


def test_expected_annual_by_hand_for_return_period_maps(case):
    table = read(case / "out" / "sendai.csv")
    weight = (1 / 10 - 1 / 100) / 2  # the trapezoid between the two maps
    for code, mask in (("A", IN_A), ("B", IN_B), ("__outside__", OUTSIDE)):
        common = {"admin_code": code, "hazard_id": "rf"}
        for key, state in (("B-3", damaged), ("B-4", destroyed)):
            ten, hundred = people(state(DEPTH * 0.5), mask), people(state(DEPTH), mask)
            annual = number(table, indicator_code=key, measure="expected_annual", **common)
            assert annual == pytest.approx(weight * (ten + hundred))
            in_map = number(
                table,
                indicator_code=key,
                measure="return_period_map",
                return_period="10.0",
                **common,
            )
            assert in_map == pytest.approx(ten)
        ten, hundred = livelihoods(DEPTH * 0.5, mask), livelihoods(DEPTH, mask)
        annual = number(table, indicator_code="B-5", measure="expected_annual", **common)
        assert annual == pytest.approx(weight * (ten + hundred))
        row = pick(table, indicator_code="B-3", measure="expected_annual", **common).iloc[0]
        assert row["unit"] == "people per year" and row["additive"] == "True"


def test_pmd_rows_of_return_period_maps_say_what_they_are(case):
    """PMD from return-period maps is displacement in the T-year maps (DESIGN.md), and
    the nation's row is the sum of its units there: no "never summed" note."""
    table = read(case / "out" / "sendai.csv")
    pmd = pick(table, hazard_id="rf", measure="pmd", breakdown="")
    assert len(pmd) > 0
    for note in pmd["notes"]:
        assert "displacement in the T-year maps" in note and "not a national T-year" in note
        assert "never summed" not in note
    d1 = pick(pmd, indicator_code=pick(pmd, admin_level="0")["indicator_code"].iloc[0])
    for rp in set(d1["return_period"]):
        rows = pick(d1, return_period=rp)
        units = rows[rows["admin_level"] == "1"]["value_number"].astype(float).sum()
        outside = rows[rows["admin_code"] == "__outside__"]["value_number"].astype(float).sum()
        nation = float(pick(rows, admin_level="0")["value_number"].iloc[0])
        assert nation == pytest.approx(units + outside, rel=1e-12)


def test_disaggregated_by_hand(case):
    table = read(case / "out" / "sendai.csv")
    female = {"A": 0.5, "B": 0.6}
    weights = {code: float(POP[m].sum()) for code, m in (("A", IN_A), ("B", IN_B))}
    outside_female = (weights["A"] * 0.5 + weights["B"] * 0.6) / (weights["A"] + weights["B"])
    common = {"hazard_id": "sc", "measure": "scenario", "indicator_code": "B-3"}
    for code, mask, share in (
        ("A", IN_A, female["A"]),
        ("B", IN_B, female["B"]),
        ("__outside__", OUTSIDE, outside_female),
    ):
        rows = pick(table, admin_code=code, sex="female", **common)
        assert len(rows) == 1 and rows["breakdown"].iloc[0] == "sex"
        assert float(rows["value_number"].iloc[0]) == pytest.approx(
            people(damaged(DEPTH), mask) * share
        )
        # the area's official figure times the group's share of its grid people (the
        # people outside every unit have no official figure: their grid people)
        group_people = OFFICIAL.get(code, float(POP[mask].sum())) * share
        assert float(rows["population_denominator"].iloc[0]) == pytest.approx(group_people)
        if code in OFFICIAL:
            assert str(rows["denominator_year"].iloc[0]) == "2019"
    rows = pick(table, admin_code="B", disability="with_disability", **common)
    assert float(rows["value_number"].iloc[0]) == pytest.approx(70 * 0.2)
    ages = pick(table, admin_code="B", breakdown="age", **common)
    assert sorted(ages["age_group"]) == ["0-14", "15-64", "65+"]
    assert ages["value_number"].astype(float).sum() == pytest.approx(70)


def test_every_b1_row_is_the_sum_of_its_parts(case):
    check_b1_rows(read(case / "out" / "sendai.csv"))


KEYS = [
    "admin_code",
    "hazard_id",
    "measure",
    "band",
    "return_period",
    "breakdown",
    "group",
    "sex",
    "age_group",
    "disability",
    "income_group",
]


def check_b1_rows(table) -> int:
    """B-1 = (B-2 + B-3 + B-4 + B-5) in people and per 100,000, in every row."""
    parts = table[table["indicator_code"].isin(["B-2", "B-3", "B-4", "B-5"])].copy()
    parts["value"] = pd.to_numeric(parts["value_number"], errors="coerce")
    sums = parts.groupby(KEYS)["value"].sum(min_count=1)  # all blank: blank (no cell)
    b1 = table[table["indicator_code"] == "B-1"].set_index(KEYS)
    assert len(b1) > 0 and b1.index.is_unique
    value = pd.to_numeric(b1["value_number"], errors="coerce")  # blank: a unit without a cell
    np.testing.assert_allclose(value, sums.reindex(b1.index).to_numpy(), rtol=1e-12)
    per = pd.to_numeric(b1["per_100k"], errors="coerce")
    denominator = pd.to_numeric(b1["population_denominator"], errors="coerce")
    assert (per.notna() == (denominator > 0)).all()  # no rate of nobody
    rated = denominator > 0
    expected = sums.reindex(b1.index) * 1e5 / denominator
    np.testing.assert_allclose(per[rated], expected[rated], rtol=1e-12)
    return len(b1)


def check_national_sums(table) -> int:
    """For additive rows of everyone: nation = sum of each admin level + outside."""
    rows = table[(table["breakdown"] == "") & (table["additive"] == "True")].copy()
    rows["value"] = pd.to_numeric(rows["value_number"], errors="coerce")  # blank: no cell
    keys = ["hazard_id", "measure", "band", "return_period", "indicator_code"]
    national = rows[rows["admin_level"] == "0"].set_index(keys)["value"]
    outside = rows[rows["admin_code"] == "__outside__"].set_index(keys)["value"]
    levels = sorted(set(rows["admin_level"]) - {"0", ""})
    assert levels and len(national) > 0
    for level in levels:
        total = rows[rows["admin_level"] == level].groupby(keys)["value"].sum()
        total = total.reindex(national.index) + outside.reindex(national.index).fillna(0.0)
        np.testing.assert_allclose(total, national, rtol=1e-9, atol=1e-9)
    return len(national)


def test_nation_is_the_sum_of_its_units(case):
    assert check_national_sums(read(case / "out" / "sendai.csv")) > 10


# --------------------------------------------------------------------- files


def test_long_csv_schema(case):
    from mecc.sendai_text import COLUMNS

    raw = (case / "out" / "sendai.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    check_schema(read(case / "out" / "sendai.csv"), "AAA")
    assert list(read(case / "out" / "sendai.csv").columns) == list(COLUMNS)


def check_schema(table, country):
    from mecc.sendai_text import COLUMNS

    assert list(table.columns) == list(COLUMNS)
    assert (table["country_iso3"] == country).all() and (table["method"] == "modelled").all()
    assert set(table["admin_level"]) <= {"0", "1", "2", "3", ""}
    assert (table.loc[table["admin_level"] == "", "admin_code"] == "__outside__").all()
    assert set(table["measure"]) <= {
        "scenario",
        "return_period_map",
        "event",
        "expected_annual",
        "pmd",
        "planning",
    }
    codes = {"A-2", "B-1", "B-2", "B-3", "B-3a", "B-4", "B-4a", "B-5"}
    custom = table["indicator_code"].str.match(rf"^{country}-D[1-6]$")
    assert (table["indicator_code"].isin(codes) | custom).all()
    assert (table["is_custom"] == custom.map(str)).all()
    value = pd.to_numeric(table["value_number"], errors="coerce")
    blank = value.isna()  # only a unit without a cell: not known, and its note says so
    assert table.loc[blank, "notes"].str.contains("not known, not 0", regex=False).all()
    assert np.isfinite(value[~blank]).all() and (value[~blank] >= 0).all()
    people = table["unit"].str.startswith("people")
    assert set(table["unit"]) <= {"people", "people per year", "dwellings", "dwellings per year"}
    per = pd.to_numeric(table["per_100k"], errors="coerce")
    denominator = pd.to_numeric(table["population_denominator"], errors="coerce")
    assert per[blank].isna().all()
    rated = people & (denominator > 0) & ~blank
    assert per[rated].notna().all() and per[~rated].isna().all()
    np.testing.assert_allclose(per[rated], value[rated] * 1e5 / denominator[rated], rtol=1e-12)
    assert (table.loc[people, "denominator_source"] != "").all()
    low = pd.to_numeric(table["low"], errors="coerce")
    high = pd.to_numeric(table["high"], errors="coerce")
    ranged = low.notna()
    assert (ranged == high.notna()).all() and (table.loc[ranged, "range_kind"] != "").all()
    tolerance = 1e-9 * value[ranged].abs().clip(lower=1)
    assert (low[ranged] <= value[ranged] + tolerance).all()
    assert (value[ranged] <= high[ranged] + tolerance).all()
    assert set(table["displacement_timing"]) <= {"", "pre-emptive", "reactive"}
    assert set(table["displacement_duration"]) <= {
        "",
        "short",
        "medium_short",
        "medium_long",
        "long",
        "permanent",
    }
    assert set(table["sex"]) <= {"", "female", "male"}
    assert set(table["age_group"]) <= {"", "0-14", "15-64", "65+"}
    assert not (table["additive"] == "True")[table["measure"].isin(["pmd", "event"])].any()


HXL_CORE = {
    "adm1", "adm2", "adm3", "adm4", "adm5", "affected", "country", "crisis", "date",
    "description", "event", "group", "impact", "indicator", "loc", "meta", "population",
}  # fmt: skip
"""HXL 1.1 core hashtags the tables use."""
HXL_PATTERN = re.compile(r"^#([a-z][a-z0-9_]*)((?:\+[a-z][a-z0-9_]*)*)$")


def check_hxl(path, long):
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    header, tags, _ = text.split("\n", 2)
    assert header.split(",") == list(long.columns)
    tags = tags.split(",")
    assert len(tags) == len(long.columns) and len(set(tags)) == len(tags)
    for tag in tags:
        match = HXL_PATTERN.match(tag)
        assert match, f"{tag}: not an HXL hashtag"
        assert match.group(1) in HXL_CORE, f"{tag}: not a core hashtag"
        attributes = match.group(2).split("+")[1:]
        assert len(set(attributes)) == len(attributes)
    # HXL's default schema: #indicator+num and #population hold numbers (or nothing)
    for column, tag in zip(long.columns, tags, strict=True):
        if tag.startswith("#population") or "+num" in tag:
            values = pd.to_numeric(long[column].replace("", np.nan), errors="raise")
            assert values.notna().any(), column
    data = pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False, dtype=str, skiprows=[1])
    pd.testing.assert_frame_equal(data, long)


def test_hxl_row(case):
    check_hxl(case / "out" / "sendai_hxl.csv", read(case / "out" / "sendai.csv"))


def check_workbook(path, long):
    import openpyxl

    from mecc.sendai_text import COLUMNS

    book = openpyxl.load_workbook(path, read_only=True)
    names = book.sheetnames
    assert names[0] == "About" and names[1] == "National"
    assert names[-2:] == ["Indicator definitions", "Columns"]
    assert "By return period or event" in names
    sheets = pd.read_excel(path, sheet_name=None, keep_default_na=False, dtype=str)
    for name in names:
        if name in ("About", "Indicator definitions", "Columns"):
            continue
        assert list(sheets[name].columns) == list(COLUMNS), name
    assert list(sheets["Columns"]["column"]) == list(COLUMNS)
    national = sheets["National"]
    assert set(national["admin_level"]) == {"0"}
    expected = long[
        (long["admin_level"] == "0")
        & (long["breakdown"] == "")
        & long["measure"].isin(["expected_annual", "scenario", "planning"])
    ]
    np.testing.assert_allclose(
        national["value_number"].astype(float), expected["value_number"].astype(float), rtol=1e-15
    )
    about = dict(zip(sheets["About"]["topic"], sheets["About"]["text"], strict=True))
    assert "additive = False" in about["Why PMD is never summed"]
    assert "can overlap B-3" in about["B-1"]
    assert "Not included: B-2 (injured or ill)" in about
    assert "Not included: A-2 (deaths)" in about  # no fatality model in these runs
    codes = set(sheets["Indicator definitions"]["indicator_code"])
    assert {"B-1", "B-3", "B-4"} <= codes
    props = book.properties
    assert props.created.year == props.modified.year == 1980
    return sheets


def test_workbook_reads_back(case):
    sheets = check_workbook(case / "out" / "sendai.xlsx", read(case / "out" / "sendai.csv"))
    assert "Admin 1" in sheets and "Disaggregated" in sheets
    admin = sheets["Admin 1"]
    assert set(admin["admin_code"]) == {"A", "B", "__outside__"}


def test_two_runs_and_the_report_give_identical_bytes(case, tmp_path, cli):
    run_country(case / "run.yaml", tmp_path / "again", with_map=False)
    before = snapshot(case / "out")
    result = cli("report", "sendai", case / "out", "--out", tmp_path / "report")
    assert result.exit_code == 0, result.output
    assert "modelled estimates" in result.output
    assert snapshot(case / "out") == before  # the run folder is only read
    for name in ("sendai.xlsx", "sendai.csv", "sendai_hxl.csv"):
        first = (case / "out" / name).read_bytes()
        assert (tmp_path / "again" / name).read_bytes() == first, name
        assert (tmp_path / "report" / name).read_bytes() == first, name


def test_report_refuses_bad_folders(case, tmp_path, cli):
    inside = cli("report", "sendai", case / "out", "--out", case / "out" / "tables")
    assert inside.exit_code == 2 and "outside the run folder" in inside.output
    empty = tmp_path / "empty"
    empty.mkdir()
    missing = cli("report", "sendai", empty, "--out", tmp_path / "x")
    assert missing.exit_code == 1 and "results.nc: not found" in missing.output
    import xarray as xr

    xr.Dataset({"population": ("zone", [1.0])}).to_netcdf(empty / "results.nc")
    unfinished = cli("report", "sendai", empty, "--out", tmp_path / "y")  # no manifest.json
    assert unfinished.exit_code == 1
    assert "manifest.json: not found (is this a finished run folder?)" in unfinished.output
    (empty / "manifest.json").write_text('{"created_by": "mecc 0.1.0"}', encoding="utf-8")
    old = cli("report", "sendai", empty, "--out", tmp_path / "y")
    assert old.exit_code == 1 and "no 'sendai' group" in old.output
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


# ------------------------------------------------------ mobility: sites, day and night


def _mobility_run(folder, mobility, **hazard):
    from tests.test_mobility import scenario_case

    data = scenario_case(folder)
    data["hazards"][0].update(hazard)
    data["mobility"] = mobility
    run_country(write_run(folder, data), folder / "out", with_map=False)
    return read(folder / "out" / "sendai.csv")


def test_people_in_sites_at_risk_of_secondary_displacement(tmp_path):
    """tests/_run_inputs.py grid: depth 0, 0.5, 1, 2 m by column; a camp of 1000 in the
    2 m column (zone B) and one of 500 in the dry column (zone A), added to the grid."""
    from tests._run_inputs import cell_centre

    lines = ["site_name,lat,lon,individuals"]
    for name, (row, col), people_ in (("wet camp", (0, 3), 1000), ("dry camp", (0, 0), 500)):
        lon, lat = cell_centre(row, col)
        lines.append(f"{name},{lat},{lon},{people_}")
    (tmp_path / "sites.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    table = _mobility_run(tmp_path, {"sites": {"path": "sites.csv", "in_population_grid": False}})
    rows = pick(table, indicator_code="AAA-D5", measure="scenario")
    values = dict(zip(rows["admin_code"], rows["value_number"].astype(float), strict=True))
    assert values == {"AAA": pytest.approx(1000), "A": 0.0, "B": pytest.approx(1000)}
    assert set(rows["displacement_type"]) == {"secondary"}
    # everyone (grid + camps): the 1 m step displaces columns 2-3 and the wet camp
    from tests._run_inputs import POP

    everyone = number(table, indicator_code="AAA-D1", admin_code="AAA", measure="scenario")
    assert everyone == pytest.approx(POP[:, 2:].sum() + 1000)


def test_evacuation_type_follows_residence_by_day(tmp_path):
    """Half of zone A's people work in zone B by day: displacement still follows residence
    (DESIGN.md "Mobility layers"), so B's figure is its displacement rate times its
    residents, as zones.csv's (A is dry: nobody displaced); the row says so."""
    from tests._run_inputs import POP

    (tmp_path / "od.csv").write_text("from,to,share\nA,B,0.5\nA,A,0.5\n", encoding="utf-8")
    spec = {"path": "od.csv", "origin_column": "from", "destination_column": "to"}
    table = _mobility_run(
        tmp_path, {"day_night": {**spec, "share_column": "share"}}, impact_time="day"
    )
    night_b, a = POP[:, 2:].sum(), POP[:, :2].sum()
    assert a > 0  # people who commute into B by day, not counted in B's displacement
    rate_b = POP[:, 2:].sum() / night_b  # everyone in zone B is in water >= 1 m
    common = {"indicator_code": "AAA-D1", "measure": "scenario"}
    assert number(table, admin_code="B", **common) == pytest.approx(rate_b * night_b)
    assert number(table, admin_code="AAA", **common) == pytest.approx(rate_b * night_b)
    row = pick(table, admin_code="B", **common).iloc[0]
    assert "by residence" in row["notes"] and "time of impact" not in row["parameters"]


def test_groups_and_d6_follow_residence_by_day(tmp_path):
    """Day-time impact with cohorts and early warning: half of zone A's people work in
    zone B (flooded, everyone >= 1 m in the scenario). Displacement follows residence:
    each unit's groups are its residents' shares of its residents' displacement, so they
    add up to D1; D6 = early-warning share x D1. Same in sendai.xlsx."""
    from tests._run_inputs import DEPTH as DEPTH4
    from tests._run_inputs import POP as POP4

    shares = {"A": [0.1, 0.3, 0.1, 0.1, 0.3, 0.1], "B": [0.2, 0.25, 0.05, 0.1, 0.3, 0.1]}
    lines = ["code,warned," + ",".join(COHORTS)]
    lines += [f"{c},{w}," + ",".join(map(repr, shares[c])) for c, w in (("A", 1.0), ("B", 0.4))]
    (tmp_path / "census.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "od.csv").write_text("from,to,share\nA,B,0.5\nA,A,0.5\n", encoding="utf-8")
    from tests.test_mobility import scenario_case

    data = scenario_case(tmp_path, cohorts={"path": "census.csv", "code_column": "code"})
    data["hazards"][0]["impact_time"] = "day"
    maps = {10: "rp10.tif", 100: "rp100.tif"}
    data["hazards"].append(
        {"id": "rf", "type": "river_flood", "return_periods": maps, "curve": "flood_step_1m"}
    )
    data["hazards"][1]["impact_time"] = "day"
    data["mobility"] = {
        "day_night": {
            "path": "od.csv",
            "origin_column": "from",
            "destination_column": "to",
            "share_column": "share",
        },
        "early_warning": {"path": "census.csv", "code_column": "code", "value_column": "warned"},
    }
    run_country(write_run(tmp_path, data), tmp_path / "out", with_map=False)
    table = read(tmp_path / "out" / "sendai.csv")
    in_b = np.zeros((4, 4), bool)
    in_b[:, 2:] = True
    # by residence: the commuters into B change nothing (zone A is dry: nobody displaced)
    scenario = POP4[in_b & (DEPTH4 >= 1.0)].sum()  # = B's residents
    res10, res100 = POP4[in_b & (DEPTH4 * 0.5 >= 1.0)].sum(), POP4[in_b & (DEPTH4 >= 1.0)].sum()
    annual = (0.1 - 0.01) * (res10 + res100) / 2
    female = sum(shares["B"][:3])
    age_0_14 = shares["B"][0] + shares["B"][3]
    book = pd.read_excel(tmp_path / "out" / "sendai.xlsx", sheet_name=None, dtype=str)
    book = pd.concat([book["National"], book["Admin 1"], book["Disaggregated"]])
    book = book.fillna("")
    for hazard, measure, total in (("sc", "scenario", scenario), ("rf", "expected_annual", annual)):
        for code in ("AAA", "B"):
            where = {"hazard_id": hazard, "measure": measure, "admin_code": code}
            d1 = pick(table, indicator_code="AAA-D1", **where)
            expected = {
                "": total,
                "female": total * female,
                "male": total * (1 - female),
                "0-14": total * age_0_14,
            }
            for frame in (table, book):
                rows = pick(frame, indicator_code="AAA-D1", **where)
                got = {
                    label: float(pick(rows, **{column: label})["value_number"].iloc[0])
                    for column, label in (("breakdown", ""), ("sex", "female"), ("sex", "male"))
                }
                got["0-14"] = float(pick(rows, age_group="0-14")["value_number"].iloc[0])
                assert got == pytest.approx(expected, rel=1e-9)
                d6 = float(
                    pick(frame, indicator_code="AAA-D6", breakdown="", **where).iloc[0][
                        "value_number"
                    ]
                )
                assert d6 == pytest.approx(0.4 * total, rel=1e-9)  # B's share, of D1
            sexes = pick(d1, breakdown="sex")["value_number"].astype(float).sum()
            ages = pick(d1, breakdown="age")["value_number"].astype(float).sum()
            assert sexes == pytest.approx(total, rel=1e-9) and ages == pytest.approx(total)
            assert all("by residence" in n for n in pick(d1, breakdown="sex")["notes"])


# ------------------------------------------------------------------- deaths

ITB = (0.62275231, -8.03314466)  # InaSAFE's ITB model: rate = 10^(a MMI + b), MMI >= 4


def test_deaths_of_a_valid_fatality_model_by_hand(tmp_path):
    """Indonesia with the ITB earthquake model (valid there): A-2 deaths = people x
    10^(a MMI + b) from MMI 4; the displaced are the survivors at MMI >= 5.5."""
    mmi = np.array([[3.0, 4.0, 5.0], [5.5, 6.0, 7.0], [8.0, 9.0, 10.0]])
    write_raster(tmp_path / "pop.tif", POP, transform=TRANSFORM)
    write_raster(tmp_path / "mmi.tif", mmi, transform=TRANSFORM)
    write_zones(
        tmp_path / "zones.geojson",
        ["A", "B"],
        [cell_box(0, 0, rows=3, cols=1), cell_box(0, 1, rows=3, cols=2)],
    )
    data = {
        "country": "IDN",
        "population": {"path": "pop.tif", "kind": "count"},
        "zones": {"path": "zones.geojson", "code_field": "code", "level": 1},
        "hazards": [
            {
                "id": "eq",
                "type": "earthquake",
                "intensity": "mmi.tif",
                "scenario": "test earthquake",
                "curve": "eq_mmi6_survivors_itb",
            }
        ],
    }
    run_country(write_run(tmp_path, data), tmp_path / "out", with_map=False)
    table = read(tmp_path / "out" / "sendai.csv")
    rate = np.where(mmi >= 4.0, 10.0 ** (ITB[0] * mmi + ITB[1]), 0.0)
    deaths = POP * rate
    survivors = np.where(mmi >= 5.5, POP - deaths, 0.0)
    for code, cols in (("A", slice(0, 1)), ("B", slice(1, 3)), ("IDN", slice(0, 3))):
        common = {"admin_code": code, "measure": "scenario"}
        expected = deaths[:, cols].sum()
        assert number(table, indicator_code="A-2", **common) == pytest.approx(expected, rel=1e-9)
        row = pick(table, indicator_code="A-2", **common).iloc[0]
        assert float(row["per_100k"]) == pytest.approx(
            expected * 1e5 / POP[:, cols].sum(), rel=1e-9
        )
        assert "IDN" in row["parameters"]
        displaced = number(table, indicator_code="IDN-D1", **common)
        assert displaced == pytest.approx(survivors[:, cols].sum(), rel=1e-9)
    check_schema(table, "IDN")
    tables = pd.read_excel(tmp_path / "out" / "sendai.xlsx", sheet_name="About", dtype=str)
    assert "Not included: A-2 (deaths)" not in set(tables["topic"])
