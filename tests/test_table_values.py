"""The tables a run file names: what is in their cells is checked, and said in one line.

Member names are trimmed (``"model_b "`` is ``model_b``) and a blank one is refused; a
per-zone table with a header and no rows, a blank zone code, a value that is not a finite
number, a household size outside 1-100 and a presence multiplier above 100 are refused
naming the table, row and column; site lists take dates written YYYY-MM-DD only, refuse
an empty list and an Excel 97-2003 workbook, and name the sheet they read. Numbers are
shown as written, never as numpy reprs (``tests._errors.expect_error`` checks that too).

The small case (tests/_run_inputs.py): population 10..160 on 4 x 4 cells; zone A is
columns 0-1 (600 people), zone B columns 2-3 (760 people).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from exposure.dtm import read_dtm_sites
from exposure.mobility import read_seasonal
from hazards.readers import read_events
from mecc.allocation import AllocationSettings
from mecc.errors import ConfigError, DataError, MeccWarning
from mecc.run import run_country
from tests._errors import expect_error
from tests._run_inputs import basic_case, event_hazard, write_run


@pytest.fixture
def case(tmp_path):
    folder = tmp_path / "case"
    return folder, basic_case(folder)


# -------------------------------------------------------------------- members


def test_member_names_are_trimmed(case, tmp_path):
    folder, run = case
    # band 1 (depth x1) and band 2 (depth x2) are both model_a: one member, not two
    (folder / "events.csv").write_text(
        "band,frequency,member\n1,0.1,model_a\n2,0.1,model_a \n", encoding="utf-8"
    )
    run["hazards"] = [event_hazard()]
    run_country(write_run(folder, run), tmp_path / "out", with_map=False)
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8-sig"))
    hazard = summary["hazards"]["ev"]
    assert hazard["members"] == 1 and list(hazard["aad_by_member"]) == ["model_a"]
    # band 1 (0, 0.5, 1, 2 m) displaces columns 2-3 (760), band 2 (0, 1, 2, 4 m) columns
    # 1-3 (1,080); one member, so the frequencies stand as given
    assert hazard["aad"] == pytest.approx(0.1 * 760 + 0.1 * 1080)


def test_blank_member_is_refused_naming_its_line(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("band,frequency,member\n1,0.1,a\n2,0.1,  \n", encoding="utf-8")
    with pytest.raises(DataError, match=r"ev.csv: the member on line 3 is blank \(in column"):
        read_events(path, 2, "ev.csv")
    path.write_text("band,frequency,event_name\n1,0.1,2001_ a \n2,0.1,2002_ \n", encoding="utf-8")
    with pytest.raises(DataError, match=r"line 3 is blank \(from member_pattern\)"):
        read_events(path, 2, "ev.csv", r"^\d{4}_(?P<member>.*)$")
    path.write_text("band,frequency,event_name\n1,0.1,2001_a \n2,0.1,2002_a\n", encoding="utf-8")
    events = read_events(path, 2, "ev.csv", r"^\d{4}_(?P<member>.*)$")
    assert events["member"].tolist() == ["a", "a"]


# ------------------------------------------------------------- per-zone tables


def _cohorts(folder, run, text):
    (folder / "c.csv").write_text(text, encoding="utf-8")
    run["population"]["cohorts"] = {"path": "c.csv", "code_column": "code", "columns": ["f", "m"]}
    return run


def test_table_with_a_header_and_no_rows(case, tmp_path, cli):
    folder, run = case
    expect_error(
        cli,
        write_run(folder, _cohorts(folder, run, "code,f,m\n")),
        tmp_path / "out",
        1,
        "population.cohorts (c.csv)",
        "the cohort table has a header but no rows",
    )


def test_negative_share_is_shown_as_written(case, tmp_path, cli):
    folder, run = case
    expect_error(
        cli,
        write_run(folder, _cohorts(folder, run, "code,f,m\nA,-0.5,0.5\nB,0.5,0.5\n")),
        tmp_path / "out",
        1,
        "population.cohorts (c.csv).f",
        "-0.5 for zone A",
    )


def test_row_without_zone_code(case, tmp_path, cli):
    folder, run = case
    expect_error(
        cli,
        write_run(folder, _cohorts(folder, run, "code,f,m\nA,0.5,0.5\n,0.5,0.5\n")),
        tmp_path / "out",
        1,
        "population.cohorts (c.csv).code",
        "data row 2 has no zone code",
    )


def _official(folder, run, text):
    (folder / "census.csv").write_text(text, encoding="utf-8")
    run["population"]["official"] = {
        "path": "census.csv",
        "code_column": "code",
        "value_column": "people",
    }
    return run


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        ("code,people\nA,600\nB,inf\n", ("official (census.csv).people", "inf", "zone B")),
        ("", ("official (census.csv)", "the official population table is empty")),
    ],
    ids=["inf", "empty"],
)
def test_official_population_table(case, tmp_path, cli, text, needles):
    folder, run = case
    expect_error(
        cli, write_run(folder, _official(folder, run, text)), tmp_path / "out", 1, *needles
    )


def test_household_size_in_a_table_is_plausible(case, tmp_path, cli):
    folder, run = case
    (folder / "hh.csv").write_text("code,size\nA,4\nB,0.5\n", encoding="utf-8")
    run["population"]["household_size"] = {
        "path": "hh.csv",
        "code_column": "code",
        "value_column": "size",
    }
    line = expect_error(
        cli,
        write_run(folder, run),
        tmp_path / "out",
        1,
        "population.household_size (hh.csv)",
        "zone B",
    )
    assert "from 1 to 100" in line


@pytest.mark.parametrize("factor", ["inf", "1e300", "-1"])
def test_seasonal_table_multiplier_bounds(tmp_path, factor):
    (tmp_path / "m.csv").write_text(f"code,month,factor\nA,7,1.5\nB,8,{factor}\n")
    spec = {
        "path": "m.csv",
        "code_column": "code",
        "month_column": "month",
        "multiplier_column": "factor",
    }
    with pytest.raises(DataError, match="data row 2 needs .* multiplier from 0 to 100"):
        read_seasonal(spec, tmp_path, "run.yaml.mobility.seasonal")
    (tmp_path / "m.csv").write_text("code,month,factor\nA,7,1.5\nB,8,100\n")
    _, per_zone = read_seasonal(spec, tmp_path, "run.yaml.mobility.seasonal")
    assert per_zone["B"][7] == 100 and per_zone["A"][6] == 1.5


def test_day_night_code_of_another_case_is_named_with_a_suggestion():
    from exposure.mobility import check_zone_codes

    od = pd.DataFrame({"origin": ["xmr0101"], "destination": ["XMR0102"], "share": [0.2]})
    with pytest.raises(DataError, match=r"'xmr0101' is not a code .*did you mean 'XMR0101'"):
        check_zone_codes(od, ["XMR0101", "XMR0102"], "run.yaml.mobility.day_night")
    check_zone_codes(od.replace("xmr0101", "XMR0101"), ["XMR0101", "XMR0102"], "x")


def test_allocation_settings_are_finite_and_within_reach():
    with pytest.raises(ConfigError, match=r"radius_km: give a finite number, not inf"):
        AllocationSettings.from_spec({"radius_km": float("inf")}, "run.yaml.mobility.allocation")
    with pytest.raises(ConfigError, match=r"cell_km: must be > 0 and at most 20,015 km"):
        AllocationSettings.from_spec({"cell_km": 1e6}, "run.yaml.mobility.allocation")
    settings = AllocationSettings.from_spec({"radius_km": 40}, "x")
    assert (settings.radius_km, settings.cell_km, settings.exponent) == (40.0, 4.0, 2.0)


# ---------------------------------------------------------------- site lists

SITES = (
    "Site name,Latitude,Longitude,Individuals,Date\n"
    "#loc+name,#geo+lat,#geo+lon,#affected+ind,#date+reported\n"
)


def _sites(folder, run, name="sites.csv"):
    run["mobility"] = {"sites": {"path": name, "in_population_grid": False}}
    return write_run(folder, run)


def test_site_list_without_sites(case, tmp_path, cli):
    folder, run = case
    (folder / "sites.csv").write_text(SITES, encoding="utf-8")
    expect_error(
        cli,
        _sites(folder, run),
        tmp_path / "out",
        1,
        "mobility.sites (sites.csv)",
        "has no rows under its header and HXL row",
    )


@pytest.mark.parametrize(
    ("name", "head", "needles"),
    [
        ("sites.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", ("Excel 97-2003", "save it as")),
        ("sites.xlsx", SITES.encode(), ("not an Excel workbook", "CSV UTF-8")),
    ],
    ids=["xls", "csv-named-xlsx"],
)
def test_site_list_that_is_no_workbook_mecc_reads(case, tmp_path, cli, name, head, needles):
    folder, run = case
    (folder / name).write_bytes(head + bytes(512))
    expect_error(cli, _sites(folder, run, name), tmp_path / "out", 1, f"({name})", *needles)


def _workbook(path, sheets):
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)


ROWS = [
    ["Site name", "Latitude", "Longitude", "Individuals", "Date"],
    ["Camp", 49.95, 10.05, 10, "2026-05-01"],
]


def test_workbook_site_list_names_the_sheet_read(tmp_path):
    path = tmp_path / "sites.xlsx"
    _workbook(path, [("README", [["DTM round 12: see the sheet Sites"]]), ("Sites", ROWS)])
    with (
        pytest.raises(DataError, match=r"in sheet 'README' \(the first of the workbook's 2"),
        pytest.warns(MeccWarning, match="read the sheet 'README'"),
    ):
        read_dtm_sites(path, label="sites.xlsx")
    _workbook(path, [("Sites", ROWS), ("Notes", [["checked"]])])
    with pytest.warns(MeccWarning, match=r"read the sheet 'Sites', the first of .* 2 sheets"):
        sites = read_dtm_sites(path, label="sites.xlsx")
    assert sites["individuals"].tolist() == [10.0]
    assert sites["as_of"].tolist() == [pd.Timestamp("2026-05-01")]


def test_site_dates_are_iso_and_rows_are_numbered_as_in_the_file(tmp_path):
    path = tmp_path / "sites.csv"
    path.write_text(SITES + "A,12.5,43.1,10,2026-05-01 00:00:00\nB,12.6,43.2,5,\n")
    sites = read_dtm_sites(path)
    assert sites["as_of"].iloc[0] == pd.Timestamp("2026-05-01") and pd.isna(sites["as_of"][1])
    path.write_text(SITES + "A,12.5,43.1,10,2026-05-01\nB,12.6,43.2,5,01/05/2026\n")
    with pytest.raises(DataError, match=r"'Date' \(date\): row 4: '01/05/2026' is not a date"):
        read_dtm_sites(path)  # line 4 of the file: header, HXL row, A, B
    with pytest.raises(DataError, match=r"as_of '01/02/2025' is not a date written YYYY-MM-DD"):
        read_dtm_sites(tmp_path / "sites.csv", as_of="01/02/2025")


def test_site_list_with_blank_rows_at_its_end(tmp_path):
    path = tmp_path / "sites.csv"
    path.write_text(SITES + "A,12.5,43.1,10,2026-05-01\n,,,,\n,,,,\n")
    sites = read_dtm_sites(path)
    assert sites["site_name"].tolist() == ["A"]
    assert np.array_equal(sites["individuals"], [10.0])
