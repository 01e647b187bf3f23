"""Exposure and mobility: cohorts, attributes, households, official population, scaling,
sites, seasonal presence and the day/night shift — each checked against numbers worked
out by hand on the 4 x 4 test grid (tests/_run_inputs.py):

    population = 10  20  30  40      depth (m) = 0  0.5  1  2   (every row)
                 50  60  70  80
                 90 100 110 120
                130 140 150 160

Zone A = columns 0-1 (600 people), zone B = columns 2-3 (760 people). A scenario with
this depth and the 1 m step curve displaces everyone in B (760); people in water >= 0.1 m
are exposed: column 1 of A (320) and all of B (760).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import rasterio

from mecc.run import run_country
from tests._run_inputs import (
    POP,
    basic_case,
    cell_box,
    cell_centre,
    snapshot,
    write_run,
    write_zones,
)
from tests.conftest import write_raster

POP_A, POP_B = 600.0, 760.0
EXPOSED_A, EXPOSED_B = 320.0, 760.0


def scenario_case(folder, **population) -> dict:
    data = basic_case(folder)
    data["population"].update(population)
    data["hazards"] = [
        {
            "id": "sc",
            "type": "river_flood",
            "intensity": "rp100.tif",
            "scenario": "test flood",
            "curve": "flood_step_1m",
        }
    ]
    return data


def run(folder, data, out="out"):
    result = run_country(write_run(folder, data), folder / out, with_map=False)
    return result


def zone_rows(out, hazard="sc"):
    zones = pd.read_csv(out / "zones.csv", encoding="utf-8-sig", dtype={"zone_code": str})
    return zones[zones["hazard_id"] == hazard].set_index("zone_code")


def groups(out):
    return pd.read_csv(
        out / "zones_disaggregated.csv", encoding="utf-8-sig", dtype={"zone_code": str}
    )


# --- cohorts ------------------------------------------------------------------------


def test_cohort_shares_per_zone_with_a_parent_level(tmp_path):
    data = scenario_case(tmp_path)
    # a national level 0 above A and B: B has no row and takes the country's shares
    write_zones(tmp_path / "country.geojson", ["AAA"], [cell_box(0, 0, rows=4, cols=4)])
    data["zones"] = [
        {"path": "country.geojson", "code_field": "code", "level": 0},
        {**data["zones"], "parent_field": None},
    ]
    del data["zones"][1]["parent_field"]
    (tmp_path / "shares.csv").write_text(
        "pcode,female_0_14,female_15_64,female_65_plus,male_0_14,male_15_64,male_65_plus\n"
        "A,10,30,10,10,30,10\n"  # counts: shares .1 .3 .1 .1 .3 .1
        "AAA,1,2,1,1,2,1\n",  # shares 1/8 2/8 1/8 ...
        encoding="utf-8",
    )
    data["population"]["cohorts"] = {"path": "shares.csv", "code_column": "pcode"}
    run(tmp_path, data)
    table = groups(tmp_path / "out")
    b = table[table["zone_code"] == "B"].set_index("group")
    a = table[table["zone_code"] == "A"].set_index("group")
    assert b.loc["female_15_64", "displaced"] == pytest.approx(760 * 2 / 8, rel=1e-12)
    assert b.loc["male_65_plus", "population"] == pytest.approx(760 / 8, rel=1e-12)
    assert a.loc["female_15_64", "population"] == pytest.approx(600 * 0.3, rel=1e-12)
    assert a.loc["female_15_64", "exposed"] == pytest.approx(320 * 0.3, rel=1e-12)
    for code in ("A", "B", "AAA", "__outside__"):
        rows = table[(table["zone_code"] == code) & (table["breakdown"] == "sex_age")]
        whole = zone_rows(tmp_path / "out").loc[code]
        for column in ("population", "displaced"):
            assert rows[column].sum() == pytest.approx(whole[column], rel=1e-9, abs=1e-9)
    country = table[table["zone_code"] == "AAA"].set_index("group")
    assert country.loc["female_0_14", "displaced"] == pytest.approx(0 * 0.1 + 760 / 8)


def test_cohort_grids_split_each_cell(tmp_path):
    data = scenario_case(tmp_path)
    female = np.arange(16, dtype=np.float64).reshape(4, 4) % 5  # zeros at some cells
    male = (np.arange(16, dtype=np.float64).reshape(4, 4) * 7) % 3
    female[0, 0] = male[0, 0] = 0.0  # no cohort data in a populated cell: national shares
    write_raster(tmp_path / "f.tif", female)
    write_raster(tmp_path / "m.tif", male)
    data["population"]["cohorts"] = {"grids": {"f": "f.tif", "m": "m.tif"}}
    run(tmp_path, data)
    # independent numpy: each cell's people split f / (f + m), national shares elsewhere
    raw = female + male
    national_f = female.sum() / raw.sum()
    share_f = np.where(raw > 0, female / np.where(raw > 0, raw, 1), national_f)
    people_f = POP * share_f
    table = groups(tmp_path / "out").set_index(["zone_code", "group"])
    assert table.loc[("A", "f"), "population"] == pytest.approx(people_f[:, :2].sum(), rel=1e-12)
    assert table.loc[("B", "f"), "displaced"] == pytest.approx(people_f[:, 2:].sum(), rel=1e-12)
    assert table.loc[("B", "m"), "displaced"] == pytest.approx(
        (POP - people_f)[:, 2:].sum(), rel=1e-12
    )
    assert table.loc[("A", "f"), "exposed"] == pytest.approx(people_f[:, 1].sum(), rel=1e-12)
    for code in ("A", "B"):
        total = table.loc[(code, "f"), "population"] + table.loc[(code, "m"), "population"]
        assert total == pytest.approx(POP_A if code == "A" else POP_B, rel=1e-9)


def test_attributes_households_and_official_population(tmp_path):
    data = scenario_case(tmp_path)
    (tmp_path / "vuln.csv").write_text("code,dis,poor\nA,0.1,0.5\nB,0.2,0.25\n", encoding="utf-8")
    (tmp_path / "hh.csv").write_text("code,size\nA,5\nB,4\n", encoding="utf-8")
    (tmp_path / "census.csv").write_text("code,people\nA,650\n", encoding="utf-8")
    data["population"].update(
        attributes={
            "path": "vuln.csv",
            "code_column": "code",
            "columns": {"disability": "dis", "poverty": "poor"},
        },
        household_size={"path": "hh.csv", "code_column": "code", "value_column": "size"},
        official={
            "path": "census.csv",
            "code_column": "code",
            "value_column": "people",
            "year": 2020,
            "source": "census",
        },
    )
    run(tmp_path, data)
    table = groups(tmp_path / "out").set_index(["zone_code", "group"])
    assert table.loc[("B", "disability"), "displaced"] == pytest.approx(760 * 0.2)
    assert table.loc[("B", "poverty"), "displaced"] == pytest.approx(760 * 0.25)
    assert table.loc[("A", "poverty"), "population"] == pytest.approx(300)
    assert set(table["breakdown"]) == {"attribute"}
    zones = zone_rows(tmp_path / "out")
    assert zones.loc["A", "households"] == pytest.approx(600 / 5)
    assert zones.loc["B", "households"] == pytest.approx(760 / 4)
    assert zones.loc["A", "population_official"] == 650
    assert np.isnan(zones.loc["B", "population_official"])
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["parameters"]["exposure"]["official"]["year"] == 2020


def test_households_of_the_outside_bucket_use_the_national_mean_size(tmp_path):
    """A = columns 0-1 (600 people, 5 a household), B = column 2 (360 people, 4 a
    household), column 3 (400 people) outside every unit: the national mean size is
    960 / (120 + 90) = 4.571..., so the outside bucket holds 400 / 4.571... = 87.5
    households in zones.csv, as in the Sendai rows' households (they had 0 there)."""
    from tests._run_inputs import cell_box, write_zones

    data = scenario_case(tmp_path)
    write_zones(
        tmp_path / "zones.geojson",
        ["A", "B"],
        [cell_box(0, 0, rows=4, cols=2), cell_box(0, 2, rows=4, cols=1)],
    )
    data["zones"].pop("name_field", None)
    (tmp_path / "hh.csv").write_text("code,size\nA,5\nB,4\n", encoding="utf-8")
    data["population"]["household_size"] = {
        "path": "hh.csv",
        "code_column": "code",
        "value_column": "size",
    }
    run(tmp_path, data)
    zones = zone_rows(tmp_path / "out")
    assert zones.loc["A", "households"] == pytest.approx(120)
    assert zones.loc["B", "households"] == pytest.approx(90)
    assert zones.loc["__outside__", "households"] == pytest.approx(400 / (960 / 210))
    assert zones.loc["__outside__", "household_size"] == pytest.approx(960 / 210)


# --- scaling to official totals ------------------------------------------------------------


def test_scale_to_a_national_total(tmp_path):
    data = scenario_case(tmp_path, scale_to={"total": 2720, "year": 2025})
    result = run(tmp_path, data)
    assert result.summary["population_total"] == pytest.approx(2720)
    assert result.summary["hazards"]["sc"]["displaced"] == pytest.approx(2 * 760)


def test_scale_to_per_zone_totals(tmp_path):
    (tmp_path / "totals.csv").write_text("code,total\nA,1200\nB,380\n", encoding="utf-8")
    data = scenario_case(
        tmp_path,
        scale_to={"path": "totals.csv", "code_column": "code", "value_column": "total"},
    )
    run(tmp_path, data)
    zones = zone_rows(tmp_path / "out")
    assert zones.loc["A", "population"] == pytest.approx(1200)
    assert zones.loc["B", "displaced"] == pytest.approx(380)
    with rasterio.open(tmp_path / "out" / "displaced.tif") as src:
        cells = src.read(1)
    assert cells[0, 3] == pytest.approx(40 * 0.5)  # B's factor 380 / 760


def test_scale_to_codes_that_match_no_zone_are_refused_or_named(tmp_path, cli):
    """Per-zone totals with the codes in lower case were ignored silently (the run kept
    the grid's people and its manifest said both zones were scaled); a "Total" row is
    named in a warning and left out."""
    (tmp_path / "lower.csv").write_text("code,total\na,1200\nb,380\n", encoding="utf-8")
    data = scenario_case(
        tmp_path, scale_to={"path": "lower.csv", "code_column": "code", "value_column": "total"}
    )
    result = cli("run", write_run(tmp_path, data), "--out", tmp_path / "out")
    assert result.exit_code == 1 and not (tmp_path / "out").exists()
    (line,) = [line for line in result.stderr.splitlines() if line]
    assert line.startswith(
        "error: run.yaml.population.scale_to (lower.csv).code: no code is a unit of the "
        "run's zones (it has a, b...; the zones have A, B...)"
    )
    (tmp_path / "total.csv").write_text("code,total\nA,1200\nB,380\nTotal,1580\n", encoding="utf-8")
    data["population"]["scale_to"]["path"] = "total.csv"
    result = cli("run", write_run(tmp_path, data), "--out", tmp_path / "out2")
    assert result.exit_code == 0, result.output
    assert "1 zone code(s) are no unit of the run's zones and are ignored (e.g. Total)" in (
        result.stderr
    )
    manifest = json.loads((tmp_path / "out2" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["parameters"]["exposure"]["scale_to"]["zones"] == 2  # A and B, not Total
    zones = zone_rows(tmp_path / "out2")
    assert zones.loc["A", "population"] == pytest.approx(1200)


def test_a_per_zone_table_whose_codes_match_no_zone_is_refused(tmp_path, cli):
    """Household sizes (as any per-zone table) coded in lower case changed nothing: every
    code was ignored with a warning and the run went on with the default size."""
    (tmp_path / "hh.csv").write_text("code,size\na,5\nb,4\n", encoding="utf-8")
    data = scenario_case(
        tmp_path, household_size={"path": "hh.csv", "code_column": "code", "value_column": "size"}
    )
    result = cli("run", write_run(tmp_path, data), "--out", tmp_path / "out")
    assert result.exit_code == 1 and not (tmp_path / "out").exists()
    (line,) = [line for line in result.stderr.splitlines() if line]
    assert "population.household_size (hh.csv): no code is a unit of the run's zones" in line
    assert "(it has a, b...; the zones have A, B...)" in line


# --- sites ------------------------------------------------------------------------------


def _sites(folder, rows, hxl=False):
    header = "site_name,lat,lon,individuals,origin_code\n"
    tags = "#loc+name,#geo+lat,#geo+lon,#affected+ind,#adm1+code+origin\n" if hxl else ""
    lines = []
    for name, (row, col), people, origin in rows:
        lon, lat = cell_centre(row, col)
        lines.append(f"{name},{lat},{lon},{people},{origin}")
    (folder / "sites.csv").write_text(header + tags + "\n".join(lines) + "\n", encoding="utf-8")


def test_sites_added_to_the_grid(tmp_path):
    data = scenario_case(tmp_path)
    _sites(tmp_path, [("wet camp", (0, 3), 1000, ""), ("dry camp", (0, 0), 500, "")], hxl=True)
    data["mobility"] = {"sites": {"path": "sites.csv", "in_population_grid": False}}
    result = run(tmp_path, data)
    assert result.summary["population_total"] == pytest.approx(1360 + 1500)
    assert result.summary["hazards"]["sc"]["displaced"] == pytest.approx(760 + 1000)
    in_sites = result.summary["exposure"]["groups"]["sc"]["in_sites"]
    assert in_sites == {"population": pytest.approx(1500), "displaced": pytest.approx(1000)}
    table = groups(tmp_path / "out").set_index(["zone_code", "group"])
    assert table.loc[("B", "in_sites"), "displaced"] == pytest.approx(1000)
    assert table.loc[("A", "in_sites"), "population"] == pytest.approx(500)


def test_sites_moved_from_their_zone_of_origin(tmp_path):
    data = scenario_case(tmp_path)
    _sites(tmp_path, [("camp", (0, 0), 100, "B")])  # from B (wet) into A (dry)
    data["mobility"] = {"sites": {"path": "sites.csv", "in_population_grid": True}}
    result = run(tmp_path, data)
    assert result.summary["population_total"] == pytest.approx(1360)
    zones = zone_rows(tmp_path / "out")
    assert zones.loc["B", "population"] == pytest.approx(660)
    assert zones.loc["A", "population"] == pytest.approx(700)
    assert zones.loc["B", "displaced"] == pytest.approx(760 * 660 / 760)
    assert result.summary["exposure"]["sites"]["mode"] == "moved from origin"


def test_sites_already_in_the_grid_are_labelled_not_added(tmp_path):
    data = scenario_case(tmp_path)
    _sites(tmp_path, [("camp", (0, 3), 30, ""), ("big camp", (1, 2), 100, "")])
    data["mobility"] = {"sites": {"path": "sites.csv", "in_population_grid": True}}
    result = run(tmp_path, data)
    assert result.summary["population_total"] == pytest.approx(1360)
    in_sites = result.summary["exposure"]["groups"]["sc"]["in_sites"]
    # the second site holds more people than its cell (70): only 70 can be labelled
    assert in_sites["population"] == pytest.approx(30 + 70)
    assert in_sites["displaced"] == pytest.approx(30 + 70)
    assert any("cells hold 100: 30 of them are not in" in w for w in result.warnings)


# --- seasonal presence and the day/night shift ------------------------------------------


def test_seasonal_presence_national_and_per_zone(tmp_path):
    data = scenario_case(tmp_path)
    data["hazards"][0]["season"] = {1: 1, 7: 1}  # half the events in January, half in July
    data["mobility"] = {"seasonal": {"multipliers": {7: 1.5}}}
    result = run(tmp_path, data)
    assert result.summary["hazards"]["sc"]["displaced"] == pytest.approx(760 * 1.25)
    with rasterio.open(tmp_path / "out" / "displaced.tif") as src:
        assert src.read(1)[0, 3] == pytest.approx(40 * 1.25)
    (tmp_path / "months.csv").write_text("code,month,factor\nB,7,2\n", encoding="utf-8")
    data["mobility"] = {
        "seasonal": {
            "path": "months.csv",
            "code_column": "code",
            "month_column": "month",
            "multiplier_column": "factor",
        }
    }
    result = run(tmp_path, data, out="out2")
    assert result.summary["hazards"]["sc"]["displaced"] == pytest.approx(760 * 1.5)
    zones = zone_rows(tmp_path / "out2")
    assert zones.loc["B", "presence_factor"] == pytest.approx(1.5)
    assert zones.loc["A", "presence_factor"] == pytest.approx(1.0)
    manifest = json.loads((tmp_path / "out2" / "manifest.json").read_text())
    assert manifest["parameters"]["exposure"]["seasonal"]["hazards"]["sc"]["months_used"] == [1, 7]


def test_day_night_shift_changes_exposed_not_displaced(tmp_path):
    data = scenario_case(tmp_path)
    data["hazards"][0]["impact_time"] = "day"
    (tmp_path / "od.csv").write_text("from,to,share\nA,B,0.5\nA,A,0.5\n", encoding="utf-8")
    data["mobility"] = {
        "day_night": {
            "path": "od.csv",
            "origin_column": "from",
            "destination_column": "to",
            "share_column": "share",
        }
    }
    result = run(tmp_path, data)
    bands = pd.read_csv(
        tmp_path / "out" / "zones_bands.csv", encoding="utf-8-sig", dtype={"zone_code": str}
    ).set_index("zone_code")
    # by day A holds 300, B 1060; exposed shares 320/600 and 760/760
    assert bands.loc["A", "exposed_at_impact"] == pytest.approx(320 / 600 * 300)
    assert bands.loc["B", "exposed_at_impact"] == pytest.approx(1060)
    assert bands.loc["B", "exposed"] == pytest.approx(EXPOSED_B)
    assert result.summary["hazards"]["sc"]["displaced"] == pytest.approx(760)


# --- no keys, no change -------------------------------------------------------------------


def test_neutral_mobility_keys_change_no_number(tmp_path):
    plain = basic_case(tmp_path)
    run(tmp_path, plain, out="plain")
    neutral = basic_case(tmp_path)
    neutral["hazards"][0]["season"] = {3: 1}
    neutral["mobility"] = {"seasonal": {"multipliers": dict.fromkeys(range(1, 13), 1)}}
    run(tmp_path, neutral, out="neutral")
    a = json.loads((tmp_path / "plain" / "summary.json").read_text())
    b = json.loads((tmp_path / "neutral" / "summary.json").read_text())
    assert a["hazards"] == b["hazards"]
    assert (tmp_path / "plain" / "zones_bands.csv").read_bytes() == (
        tmp_path / "neutral" / "zones_bands.csv"
    ).read_bytes()
    assert not (tmp_path / "plain" / "zones_disaggregated.csv").exists()


# --- bad input ------------------------------------------------------------------------------


def _bad(tmp_path, cli, data, *expected):
    run_file = write_run(tmp_path, data)
    (tmp_path / "out").mkdir(exist_ok=True)
    (tmp_path / "out" / "keep.txt").write_text("earlier run", encoding="utf-8")
    # an earlier run (mecc wrote its manifest.json), so --overwrite may replace it
    (tmp_path / "out" / "manifest.json").write_text('{"created_by": "mecc"}', encoding="utf-8")
    before = snapshot(tmp_path / "out")
    result = cli("run", run_file, "--out", tmp_path / "out", "--overwrite", "--no-map")
    lines = result.stderr.strip().splitlines()
    assert result.exit_code in (1, 2), result.stderr
    assert len(lines) == 1, lines
    for text in expected:
        assert text in lines[0], lines[0]
    assert snapshot(tmp_path / "out") == before
    return result.exit_code


@pytest.mark.parametrize(
    ("change", "expected", "code"),
    [
        (
            lambda d, f: d["population"].update(cohorts={"path": "c.csv", "code_colum": "x"}),
            ("population.cohorts", "code_colum", "did you mean 'code_column'"),
            2,
        ),
        (
            lambda d, f: (
                (f / "c.csv").write_text("code,female_0_14\nA,1\n"),
                d["population"].update(cohorts={"path": "c.csv", "code_column": "code"}),
            ),
            ("population.cohorts (c.csv)", "female_15_64"),
            1,
        ),
        (
            lambda d, f: (
                (f / "c.csv").write_text("code,girls,boys\nA,0,0\nB,1,1\n"),
                d["population"].update(
                    cohorts={"path": "c.csv", "code_column": "code", "columns": ["girls", "boys"]}
                ),
            ),
            ("c.csv", "zone A"),
            1,
        ),
        (
            lambda d, f: (
                (f / "c.csv").write_text("code,girls,boys\nA,1,1\n"),
                d["population"].update(
                    cohorts={"path": "c.csv", "code_column": "code", "columns": ["girls", "boys"]}
                ),
            ),
            ("c.csv", "no cohort shares for zone B"),
            1,
        ),
        (
            lambda d, f: (
                (f / "s.csv").write_text("name,latitude,people\nx,50,10\n"),
                d.setdefault("mobility", {}).update(
                    sites={"path": "s.csv", "in_population_grid": False}
                ),
            ),
            ("mobility.sites (s.csv)", "lon"),
            1,
        ),
        (
            lambda d, f: (
                (f / "s.csv").write_text("lat,lon,individuals,origin_code\n49.95,10.05,10,ZZ\n"),
                d.setdefault("mobility", {}).update(
                    sites={"path": "s.csv", "in_population_grid": True}
                ),
            ),
            ("mobility.sites", "origin 'ZZ'"),
            1,
        ),
        (
            lambda d, f: (
                (f / "s.csv").write_text("lat,lon,individuals,origin_code\n49.95,10.05,5000,A\n"),
                d.setdefault("mobility", {}).update(
                    sites={"path": "s.csv", "in_population_grid": True}
                ),
            ),
            ("mobility.sites", "5,000 people come from A", "600"),
            1,
        ),
        (
            lambda d, f: d.setdefault("mobility", {}).update(seasonal={"multipliers": {13: 1.2}}),
            ("mobility.seasonal.multipliers", "month 13"),
            2,
        ),
        (
            lambda d, f: (
                (f / "od.csv").write_text("o,d,s\nA,B,0.7\nA,C,0.6\n"),
                d.setdefault("mobility", {}).update(
                    day_night={
                        "path": "od.csv",
                        "origin_column": "o",
                        "destination_column": "d",
                        "share_column": "s",
                    }
                ),
            ),
            ("mobility.day_night (od.csv)", "zone A", "more than 1"),
            1,
        ),
        (
            lambda d, f: (
                (f / "v.csv").write_text("code,dis\nA,1.5\nB,0.1\n"),
                d["population"].update(
                    attributes={
                        "path": "v.csv",
                        "code_column": "code",
                        "columns": {"disability": "dis"},
                    }
                ),
            ),
            ("population.attributes (v.csv).dis", "between 0 and 1"),
            1,
        ),
        (
            lambda d, f: (
                (f / "hh.csv").write_text("code,size\nA,0\nB,4\n"),
                d["population"].update(
                    household_size={"path": "hh.csv", "code_column": "code", "value_column": "size"}
                ),
            ),
            ("population.household_size (hh.csv)", "zone A"),
            1,
        ),
        (
            lambda d, f: (
                (f / "l.csv").write_text("code,farm\nA,0.5\nB,2\n"),
                d["population"].update(
                    livelihoods={"path": "l.csv", "code_column": "code", "value_column": "farm"}
                ),
            ),
            ("population.livelihoods (l.csv).farm", "between 0 and 1", "zone B"),
            1,
        ),
        (
            lambda d, f: (
                (f / "w.csv").write_text("code,share\nA,0.5\n"),
                d.setdefault("mobility", {}).update(
                    early_warning={"path": "w.csv", "code_column": "code", "value_column": "cover"}
                ),
            ),
            ("mobility.early_warning (w.csv)", "cover", "not found"),
            1,
        ),
        (
            lambda d, f: d["population"].update(scale_to={"total": -5}),
            ("population.scale_to.total", "> 0"),
            2,
        ),
        (
            lambda d, f: d["hazards"][0].update(impact_time="noon"),
            ("impact_time", "'noon'"),
            2,
        ),
    ],
)
def test_bad_exposure_input_is_one_line_and_writes_nothing(tmp_path, cli, change, expected, code):
    data = scenario_case(tmp_path)
    change(data, tmp_path)
    assert _bad(tmp_path, cli, data, *expected) == code


# --- where the displaced go ---------------------------------------------------------------


def _allocation(out):
    frame = pd.read_csv(out / "allocation.csv", encoding="utf-8-sig", dtype={"zone_code": str})
    flows = pd.read_csv(out / "flows.csv", encoding="utf-8-sig", dtype=str)
    flows["people"] = flows["people"].astype(float)
    return frame.set_index("zone_code"), flows


def test_allocation_with_everyone_in_reach_follows_safe_population(tmp_path):
    data = scenario_case(tmp_path)
    # exponent 0: only the safe people count; the only safe cells are column 0 (dry);
    # column 1 is exposed (0.5 m), columns 2-3 displaced. 0.1 degree cells, 300 km reach.
    data["mobility"] = {"allocation": {"radius_km": 300, "exponent": 0, "cell_km": 0.5}}
    run(tmp_path, data)
    frame, flows = _allocation(tmp_path / "out")
    assert frame.loc["A", "hosted"] == pytest.approx(760)
    assert frame.loc["B", "hosted"] == pytest.approx(0)
    assert frame.loc["A", "host_burden_per_1000"] == pytest.approx(760 / 600 * 1000)
    assert frame.loc["B", "displaced"] == pytest.approx(760)
    assert frame["no_host"].sum() == pytest.approx(0)
    assert flows.set_index(["from_zone", "to_zone"])["people"].to_dict() == {
        ("B", "A"): pytest.approx(760)
    }


def test_allocation_radius_leaves_far_people_without_host(tmp_path):
    data = scenario_case(tmp_path)
    # at latitude ~50 a 0.1-degree column is ~7.2 km wide and a row 11.1 km high:
    # column 2 reaches the dry cell two columns west (14.3 km) and nothing diagonal
    # (18.1 km); column 3 (21.5 km away) reaches no safe cell within 15 km
    data["mobility"] = {"allocation": {"radius_km": 15, "exponent": 2, "cell_km": 0.5}}
    result = run(tmp_path, data)
    frame, flows = _allocation(tmp_path / "out")
    column2, column3 = POP[:, 2].sum(), POP[:, 3].sum()
    assert frame.loc["A", "hosted"] == pytest.approx(column2)
    assert frame.loc["B", "no_host"] == pytest.approx(column3)
    assert frame["hosted"].sum() + frame["no_host"].sum() == pytest.approx(760)  # conserved
    about = json.loads((tmp_path / "out" / "manifest.json").read_text())["parameters"]
    assert about["exposure"]["allocation"]["radius_km"] == 15
    assert result.summary["hazards"]["sc"]["displaced"] == pytest.approx(760)


# --- population products ------------------------------------------------------------------


def test_ghsl_source_masks_its_undeclared_nodata(tmp_path):
    data = scenario_case(tmp_path, source="ghsl")
    pop = POP.copy()
    pop[3, 3] = -200.0  # GHS-POP's nodata, not declared in this file
    write_raster(tmp_path / "pop.tif", pop)
    result = run(tmp_path, data)
    expected = POP[:3].sum() + POP[3, :3].sum()  # independent masked sum
    assert result.summary["population_total"] == pytest.approx(expected)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert "GHS-POP" in manifest["parameters"]["population"]["attribution"]


def test_unknown_population_source_is_refused(tmp_path, cli):
    data = scenario_case(tmp_path, source="landscan")
    assert _bad(tmp_path, cli, data, "population.source", "worldpop", "'landscan'") == 2


def test_allocation_grid_too_fine_for_its_radius_is_refused():
    from affine import Affine

    from mecc.allocation import AllocationSettings, check_cost
    from mecc.errors import ConfigError
    from mecc.grid import GridSpec

    # a 100 m grid over 4,000 km: 1 km cells and a 100 km radius would need ~1e12 checks
    grid = GridSpec("EPSG:3857", Affine(100, 0, 0, 0, -100, 0), 40_000, 40_000)
    settings = AllocationSettings(radius_km=100, exponent=2, cell_km=1)
    with pytest.raises(ConfigError, match="give cell_km: 10 or more"):
        check_cost(grid, 8, settings)
    check_cost(grid, 128, AllocationSettings(radius_km=100, exponent=2, cell_km=12.8))


def test_sites_table_gives_each_site_its_own_figures(tmp_path):
    data = scenario_case(tmp_path)
    data["hazards"].append(
        {
            "id": "rf",
            "type": "river_flood",
            "return_periods": {10: "rp10.tif", 100: "rp100.tif"},
            "curve": "flood_step_1m",
        }
    )
    _sites(tmp_path, [("wet camp", (2, 3), 1000, ""), ("dry camp", (0, 0), 500, "")])
    data["mobility"] = {"sites": {"path": "sites.csv", "in_population_grid": False}}
    run(tmp_path, data)
    sites = pd.read_csv(tmp_path / "out" / "sites.csv", encoding="utf-8-sig").set_index("site_name")
    assert sites.loc["wet camp", "zone_code"] == "B" and sites.loc["dry camp", "zone_code"] == "A"
    assert sites.loc["wet camp", "sc_displaced"] == pytest.approx(1000)  # 2 m of water
    assert sites.loc["dry camp", "sc_displaced"] == 0
    assert sites.loc["wet camp", "sc_exposed"] == pytest.approx(1000)
    # column 3 floods at 1 m in the 10-year map and 2 m in the 100-year map: both displace
    # everyone; trapezoid between the maps: (0.1 - 0.01) x 1000
    assert sites.loc["wet camp", "rf_aad"] == pytest.approx(0.09 * 1000)


def test_map_shows_sites_host_burden_and_flows_escaped(tmp_path):
    from mecc.maps import build_map

    data = scenario_case(tmp_path)
    _sites(tmp_path, [("<img src=x onerror=alert(1)>", (0, 0), 500, ""), ("camp", (2, 3), 80, "")])
    data["mobility"] = {
        "sites": {"path": "sites.csv", "in_population_grid": False},
        "allocation": {"radius_km": 300, "exponent": 0, "cell_km": 0.5},
    }
    run(tmp_path, data)
    page = build_map(tmp_path / "out", tmp_path / "map.html").read_text(encoding="utf-8")
    assert "Displacement sites" in page
    assert "People hosted per 1,000 residents (scenario)" in page
    assert "Where the displaced may go (scenario)" in page
    assert "Zone B → Zone A" in page  # the flow's tooltip names both units
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert page.count("L.circleMarker(") == 2


def test_distance_weights_follow_great_circle_distances():
    from affine import Affine

    from mecc.allocation import AllocationSettings, distance_weights
    from mecc.grid import GridSpec

    grid = GridSpec("EPSG:4326", Affine(0.05, 0, 30.0, 0, -0.05, 60.0), 40, 30)  # 60 N
    settings = AllocationSettings(radius_km=12, exponent=2, cell_km=5)
    weights = distance_weights(grid, settings)
    rows, cols = (weights.shape[1] - 1) // 2, (weights.shape[2] - 1) // 2

    def haversine(lat1, lon1, lat2, lon2):
        p1, p2 = np.radians(lat1), np.radians(lat2)
        a = (
            np.sin((p2 - p1) / 2) ** 2
            + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
        )
        return 2 * 6371.0088 * np.arcsin(np.sqrt(a))

    lat0 = 60.0 - 0.025  # centre of the first row
    for dr, dc in ((0, 1), (1, 0), (1, 2), (0, 3)):
        d = haversine(lat0, 30.0, lat0 - 0.05 * dr, 30.0 + 0.05 * dc)
        expected = d**-2 if d <= 12 else 0.0
        assert weights[0, rows + dr, cols + dc] == pytest.approx(expected, rel=2e-3)
    # a cell's own people host at half the narrower side of a cell (at the grid's middle)
    width_km = 0.05 * np.pi * 6371.0088 / 180 * np.cos(np.radians(60 - 0.05 * 30 / 2))
    assert weights[0, rows, cols] == pytest.approx((0.5 * width_km) ** -2, rel=1e-9)
    assert (weights[:, rows, cols + 5] == 0).all()  # 5 columns at 60 N: 13.9 km > 12 km


def test_a_site_list_with_no_site_on_the_grid_is_refused_not_a_crash(tmp_path):
    """Every site outside the analysis grid (a list for another country, or lat/lon
    swapped): sites.csv was built from an empty float index and the run stopped with an
    IndexError after the engine; then the list was dropped with a warning; now it is
    refused (tests/test_sites_and_unknown_codes.py)."""
    from mecc.errors import DataError

    data = scenario_case(tmp_path)
    lon, lat = cell_centre(0, 0)
    (tmp_path / "sites.csv").write_text(
        f"site_name,lat,lon,individuals\nswapped,{lon},{lat},300\n", encoding="utf-8"
    )
    data["mobility"] = {"sites": {"path": "sites.csv", "in_population_grid": False}}
    with pytest.raises(DataError, match=r"lat and lon look swapped in row 2 of the file"):
        run(tmp_path, data)
    assert not (tmp_path / "out").exists()


def test_map_draws_only_the_largest_flows_and_says_so(tmp_path, monkeypatch):
    """A national run had 1.7 million flows in one band, a line and a tooltip each: the
    map draws the MAX_FLOW_LINES largest and its layer name says how many of how many."""
    import mecc.map_mobility
    from mecc.maps import build_map
    from tests._run_inputs import cell_box, write_zones

    data = scenario_case(tmp_path)
    write_zones(
        tmp_path / "zones.geojson",
        ["A", "B", "C"],
        [
            cell_box(0, 0, rows=4, cols=2),
            cell_box(0, 2, rows=4, cols=1),
            cell_box(0, 3, rows=4, cols=1),
        ],
        names=["Zone A", "Zone B", "Zone C"],
    )
    data["mobility"] = {"allocation": {"radius_km": 300, "exponent": 0, "cell_km": 0.5}}
    run(tmp_path, data)
    flows = pd.read_csv(tmp_path / "out" / "flows.csv", encoding="utf-8-sig", dtype=str)
    flows["people"] = flows["people"].astype(float)
    between = flows[flows["from_zone"] != flows["to_zone"]]
    assert len(between) == 2  # B and C (the flooded columns) send people to A
    monkeypatch.setattr(mecc.map_mobility, "MAX_FLOW_LINES", 1)
    page = build_map(tmp_path / "out", tmp_path / "map.html").read_text(encoding="utf-8")
    assert f"the 1 largest of {len(between)} flows; all in flows.csv" in page
    largest = between.loc[between["people"].idxmax()]
    names = {"A": "Zone A", "B": "Zone B", "C": "Zone C"}
    assert f"{names[largest['from_zone']]} → {names[largest['to_zone']]}" in page
    assert page.count(" → ") == 1
