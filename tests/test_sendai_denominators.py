"""Per-100,000 denominators of the Sendai tables with official figures (``population.official``).

- The nation's official sum adds only the people outside every unit whom no official
  figure counts: those up to the official residents of the units with nobody on the grid
  (units that received no cell, whose people a census grid put outside every unit) are
  taken as those residents, already in the sum; the rest (people beyond the country's
  units) are added, and ``denominator_source`` says which.
- A rate note blames the grid only when the grid's total exceeds the official figure by
  more than float sums' noise (14,779.000000000002 is 14,779); else the row's own cause.
- The groups (sex, age) of a unit without a grid cell have a blank denominator (not
  known, as their figures), not 0.
- The Indicator definitions sheet gives A-2 and B-1 as per 100,000 population (per_100k)
  and their count (value_number).

The case: a 4 x 4 grid of 0.1 degree; BIG covers columns 0-1 (8 cells of 125 people, each
a float a few ulps above 125); ISLE, a small island inside cell (2, 3) holding none of its
centre, received no cell: its 77 people are in that cell, outside every unit; cell (0, 3)
holds 40 people beyond the country's units (over the sea border). Official: BIG 1,000,
ISLE 77 (census total 1,077). The nation's denominator: 1,077 + 40 = 1,117.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import yaml
from shapely.geometry import box

from mecc.run import run_country
from mecc.sendai import definitions_table
from mecc.sendai_areas import NO_SHARES, Area, areas, group_denominator, outside_added
from mecc.sendai_notes import rate_cause
from tests._run_inputs import write_run, write_zones
from tests.conftest import write_raster

ABOVE = "per_100k above 100,000 (not capped): "
OVERLAP = "the figure counts some people more than once (B-5 overlaps B-3 and B-4)"
GRID_BLAMED = "the figure counts people on the grid"
BIG_CELL = 125.00000000000003  # 8 of them: 1,000.0000000000002 on the grid
COHORTS = ("female_0_14", "female_15_64", "female_65_plus", "male_0_14", "male_15_64")
COHORTS += ("male_65_plus",)


def _read(path) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False, dtype=str)


def _write_case(folder):
    pop = np.zeros((4, 4))
    pop[:, 0:2] = BIG_CELL
    pop[2, 3] = 77.0  # ISLE's people, in the cell holding the island: outside every unit
    pop[0, 3] = 40.0  # people beyond the country's units
    write_raster(folder / "pop.tif", pop, dtype="float64")
    write_raster(folder / "depth.tif", np.full((4, 4), 2.0))
    write_zones(
        folder / "zones.geojson",
        ["BIG", "ISLE"],
        [box(10.0, 49.6, 10.2, 50.0), box(10.31, 49.71, 10.33, 49.73)],
    )
    (folder / "official.csv").write_text("code,people\nBIG,1000\nISLE,77\n", encoding="utf-8")
    shares = ",".join(["0.2", "0.25", "0.05", "0.2", "0.25", "0.05"])
    (folder / "cohorts.csv").write_text(
        f"code,{','.join(COHORTS)}\nAAA,{shares}\n", encoding="utf-8"
    )
    (folder / "livelihoods.csv").write_text("code,share\nAAA,1.0\n", encoding="utf-8")
    data = {
        "country": "AAA",
        "name": "Isles",
        "population": {
            "path": "pop.tif",
            "kind": "count",
            "year": 2020,
            "official": {
                "path": "official.csv",
                "code_column": "code",
                "value_column": "people",
                "year": 2020,
                "source": "census",
            },
            "cohorts": {"path": "cohorts.csv", "code_column": "code"},
            "livelihoods": {
                "path": "livelihoods.csv",
                "code_column": "code",
                "value_column": "share",
            },
        },
        "zones": {"path": "zones.geojson", "code_field": "code", "level": 1},
        "hazards": [
            {
                "id": "f",
                "type": "river_flood",
                "intensity": "depth.tif",
                "scenario": "s",
                "curve": "flood_step_1m",
                "damage_curve": "flood_damage_states_jrc_europe",
            }
        ],
    }
    return write_run(folder, data)


@pytest.fixture(scope="module")
def isles(tmp_path_factory):
    folder = tmp_path_factory.mktemp("isles")
    result = run_country(_write_case(folder), folder / "out", with_map=False)
    assert any("received no cell" in w for w in result.warnings), result.warnings
    return _read(folder / "out" / "sendai.csv")


# --- 1. the nation's official sum ----------------------------------------------------


def test_the_nation_adds_only_the_people_outside_the_countrys_units(isles):
    nation = isles[(isles["admin_code"] == "AAA") & (isles["breakdown"] == "")]
    people = nation[nation["population_denominator"] != ""]
    assert len(people) > 5
    # 1,077 official (BIG + ISLE) + the 40 beyond the units; ISLE's 77 are not added twice
    assert set(people["population_denominator"].astype(float)) == {1117.0}
    assert set(people["denominator_source"]) == {
        "official: census (sum of admin level 1 + 40 people on the grid outside every unit: "
        "of the 117 there, 77 are taken as the official residents of the 1 unit(s) with "
        "nobody on the grid, counted in the sum)"
    }
    b3 = people[people["indicator_code"] == "B-3"].iloc[0]
    assert float(b3["per_100k"]) == pytest.approx(float(b3["value_number"]) * 1e5 / 1117.0)


def _nation(official, population, codes=("A", "B", "C"), levels=(1, 1, 1), parents=None):
    meta = {"country": "AAA", "name": "Aland", "official": {"source": "census"}}
    codes = [*codes, "__outside__"]
    levels = [*levels, -1]
    parents = [*(parents or [""] * (len(codes) - 1)), ""]
    found = areas(
        meta, np.array(official), codes, codes, levels, parents, np.array(population, float)
    )
    (nation,) = [a for a in found if a.national]
    return nation


def test_outside_people_up_to_the_empty_units_residents_are_not_added():
    # C (official 50) has nobody on the grid; its 50 people are the 50 outside
    nation = _nation([100.0, 200.0, 50.0, math.nan], [100.0, 200.0, 0.0, 50.0])
    assert nation.denominator == 350.0  # the census total, not 400
    assert nation.denominator_source == (
        "official: census (sum of admin level 1; the 50 people on the grid outside every "
        "unit are taken as residents of the 1 unit(s) with nobody on the grid (50 "
        "official), counted in the sum)"
    )
    # C's people put in a neighbour's cells instead: nobody outside, nothing added
    nation = _nation([100.0, 200.0, 50.0, math.nan], [150.0, 200.0, 0.0, 0.0])
    assert (nation.denominator, nation.denominator_source) == (
        350.0,
        "official: census (sum of admin level 1)",
    )


def test_outside_people_without_empty_units_are_all_added_as_before():
    nation = _nation([100.0, 200.0, 50.0, math.nan], [100.0, 200.0, 50.0, 30.0])
    assert nation.denominator == 380.0
    assert nation.denominator_source == (
        "official: census (sum of admin level 1 + 30 people on the grid outside every unit)"
    )


def test_an_empty_unit_without_a_figure_of_its_own_is_named():
    """Official figures of the provinces only: C1 (nobody on the grid) is in P's 300, in a
    number not known; the 20 outside are added and the label says they may be twice."""
    nation = _nation(
        [100.0, 300.0, math.nan, math.nan, math.nan],
        [100.0, 280.0, 280.0, 0.0, 20.0],
        codes=("A", "P", "P1", "C1"),
        levels=(1, 1, 2, 2),
        parents=["", "", "P", "P"],
    )
    assert nation.denominator == 420.0
    assert nation.denominator_source == (
        "official: census (sum of admin level 1 + 20 people on the grid outside every unit; "
        "1 unit(s) with nobody on the grid have no official figure of their own: their "
        "residents among the people outside every unit may be counted twice)"
    )


def test_outside_added_splits_the_outside_people():
    assert outside_added(0.0, [50.0])[0] == 0.0
    assert outside_added(117.0, [77.0, 0.0])[0] == 40.0
    assert outside_added(50.0, [77.0, 5.0])[0] == 0.0
    assert outside_added(30.0, [])[0] == 30.0
    assert outside_added(30.0, [math.nan])[0] == 30.0


# --- 2. rate notes: float sums are not a difference ---------------------------------


def _area(grid, official=14779.0):
    return Area(
        3, "PH082618000", "X", "", [0], official, "official: census", 2015, False, True, grid
    )


def test_a_float_sum_of_the_official_figure_does_not_blame_the_grid():
    note = rate_cause(_area(14779.000000000002), "scenario", True, 14779.0)
    assert note == ABOVE + OVERLAP
    note = rate_cause(_area(14779.000000000002), "scenario", False, 14779.0)
    assert note == ABOVE + "the figure exceeds the population of the denominator (14,779)"


def test_a_real_excess_is_named_with_the_row_s_own_cause():
    note = rate_cause(_area(15500.0), "scenario", True, 14779.0)
    assert note == (
        ABOVE + f"{GRID_BLAMED} (15,500 in this area), the denominator official residents "
        f"(14,779); {OVERLAP}"
    )
    # a small excess is shown with the decimals that tell the totals apart
    note = rate_cause(_area(14779.4), "scenario", False, 14779.0)
    assert "(14,779.4 in this area), the denominator official residents (14,779.0)" in note


def test_the_run_notes_the_overlap_not_the_grid(isles):
    big = isles[(isles["admin_code"] == "BIG") & (isles["indicator_code"] == "B-1")]
    assert len(big) == 6  # the total, 2 sexes, 3 ages
    assert (big["per_100k"].astype(float) > 1e5).all()
    for note in big["notes"]:
        assert ABOVE + OVERLAP in note
        assert GRID_BLAMED not in note


# --- 3. groups of a unit without a cell --------------------------------------------


def test_groups_of_a_unit_without_a_cell_have_a_blank_denominator(isles):
    isle = isles[isles["admin_code"] == "ISLE"]
    totals = isle[(isle["breakdown"] == "") & (isle["population_denominator"] != "")]
    assert set(totals["population_denominator"].astype(float)) == {77.0}
    groups = isle[isle["breakdown"] != ""]
    assert set(groups["breakdown"]) == {"sex", "age"}
    people = groups[groups["unit"] == "people"]
    assert len(people) > 10
    assert set(people["population_denominator"]) == {""}  # not 0.0
    assert set(people["per_100k"]) == {""} and set(people["value_number"]) == {""}
    assert all(s.endswith(NO_SHARES) for s in people["denominator_source"])
    assert set(people["denominator_year"]) == {""}


def test_group_denominator_of_an_area_with_nobody_on_the_grid():
    empty = Area(1, "C", "C", "", [0], 50.0, "official: census", 2015, False, True, 0.0)
    value, source, year = group_denominator(empty, 0.0, 2020)
    assert math.isnan(value) and year is None
    assert source == (
        "official: census x the group's share of the area's grid population (modelled "
        f"shares) {NO_SHARES}"
    )
    # an official 0 is every group's 0; people on the grid: the share as before
    zero = Area(1, "C", "C", "", [0], 0.0, "official: census", 2015, False, True, 0.0)
    assert group_denominator(zero, 0.0, 2020)[0] == 0.0
    some = Area(1, "C", "C", "", [0], 50.0, "official: census", 2015, False, True, 40.0)
    assert group_denominator(some, 10.0, 2020)[:3:2] == (12.5, 2015)


# --- 4. the Indicator definitions sheet -------------------------------------------


def test_definitions_give_the_rates_per_100000_and_their_counts():
    sheet = definitions_table("AAA", {"A-2", "B-1"}).set_index("indicator_code")["unit"]
    rate = "per 100,000 population (per_100k); people (value_number)"
    assert sheet["A-2"] == rate and sheet["B-1"] == rate
    assert sheet["B-3"] == "people (value_number); per 100,000 population (per_100k)"
    assert sheet["B-3a"] == "dwellings (value_number)"
    assert sheet["AAA-D1"] == "people (value_number); per 100,000 population (per_100k)"


# --- the Haiyan data (the user's probe) --------------------------------------------


def test_haiyan_national_denominator_is_the_census_total(haiyan_reproduced, shared_data, tmp_path):
    """The 2015 census as ``population.official`` with cohorts, livelihoods and damage
    states: the national denominator is the census total (100,979,303; it was 100,984,214,
    Turtle Islands' 4,727 and Kalayaan's 184 people on the grid outside every unit added
    to the level sums that count them), PH082618000's B-1 note names the overlap (its grid
    total is 14,779.000000000002), PH042116000 (no cell) has blank group denominators."""
    work = haiyan_reproduced / "work"
    census = pd.read_csv(shared_data / "philippines_haiyan" / "population_2015.csv")
    (tmp_path / "cohorts.csv").write_text(
        f"code,{','.join(COHORTS)}\nPHL,0.16,0.31,0.03,0.17,0.31,0.02\n", encoding="utf-8"
    )
    (tmp_path / "liv.csv").write_text("code,share\nPHL,0.9\n", encoding="utf-8")
    data = yaml.safe_load((work / "run.yaml").read_text(encoding="utf-8"))
    data["population"].update(
        path=str(work / "population.tif"),
        official={
            "path": str(shared_data / "philippines_haiyan" / "population_2015.csv"),
            "code_column": "pcode",
            "value_column": "total_pop",
            "year": 2015,
        },
        cohorts={"path": "cohorts.csv", "code_column": "code"},
        livelihoods={"path": "liv.csv", "code_column": "code", "value_column": "share"},
    )
    data["zones"]["path"] = str(shared_data / "philippines_haiyan" / "municipalities_adm3.geojson")
    (hazard,) = data["hazards"]
    hazard.pop("variants")
    hazard["intensity"] = str(work / "wind.tif")
    hazard["damage_curve"] = {
        "damaged": {"intensity": [20, 40, 40, 60, 60], "share": [0.0, 0.3, 0.3, 0.5, 0.0]},
        "destroyed": {"intensity": [40, 60, 80], "share": [0.0, 0.4, 0.9]},
    }
    run_country(write_run(tmp_path, data), tmp_path / "out", with_map=False)
    table = _read(tmp_path / "out" / "sendai.csv")
    nation = table[(table["admin_level"] == "0") & (table["breakdown"] == "")]
    denominators = set(nation.loc[nation["unit"] == "people", "population_denominator"])
    assert {float(d) for d in denominators} == {float(census["total_pop"].sum())} == {100979303.0}
    assert (
        "the 4,911 people on the grid outside every unit are taken as residents of the"
        in (nation["denominator_source"].iloc[0])
    )
    b1 = table[(table["admin_code"] == "PH082618000") & (table["indicator_code"] == "B-1")]
    assert len(b1) == 6 and (b1["per_100k"].astype(float) > 1e5).all()
    for note in b1["notes"]:
        assert ABOVE + OVERLAP in note and GRID_BLAMED not in note
    unit = table[table["admin_code"] == "PH042116000"]
    totals = unit[(unit["breakdown"] == "") & (unit["unit"] == "people")]
    assert set(totals["population_denominator"]) == {"45846.0"}
    groups = unit[(unit["breakdown"] != "") & (unit["unit"] == "people")]
    assert len(groups) > 10 and set(groups["population_denominator"]) == {""}
