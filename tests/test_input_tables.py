"""The CSV tables users give: one reader, one-line errors, nothing written.

Every run-file key that points to a table is tried with an empty file and with a file
saved in a legacy encoding (Latin-1, as spreadsheet programs still offer): the run
stops with exit 1 and one line naming the key and the file, and writes nothing (the
three ways of ``tests._errors.expect_error``).
"""

from __future__ import annotations

import pytest

from mecc.errors import DataError, InputFileError, read_input_table
from tests._errors import expect_error, one_error_line
from tests._run_inputs import basic_case, cell_box, event_hazard, write_run, write_zones

LATIN_1 = "code,value\nA,1\nS\u00e3o Tom\u00e9,2\n".encode("latin-1")


def test_reads_utf8_with_a_byte_order_mark_and_strips_header_names(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes("\ufeff code , value\nS\u00e3o Tom\u00e9,2\n".encode())
    table = read_input_table(path, "table", dtype=str)
    assert list(table.columns) == ["code", "value"]
    assert table.loc[0, "code"] == "S\u00e3o Tom\u00e9"


def test_code_columns_are_read_as_written(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(" code ,share,note\nNA,0.5,NA\n007,,x\n,0.25,null\nnull,N/A,\n", "utf-8")
    table = read_input_table(path, "cohort table", codes=["code"])
    # NA (Namibia), null and 007 are codes; an empty cell is a missing one
    assert table["code"].tolist()[:2] == ["NA", "007"]
    assert table["code"].isna().tolist() == [False, False, True, False]
    assert table["code"].iloc[3] == "null"
    # the other columns are read as before: numbers, and pandas' marks of missing values
    assert table["share"].dtype == float and table["share"].isna().tolist() == [
        False,
        True,
        False,
        True,
    ]
    assert table["note"].isna().tolist() == [True, False, True, True]
    plain = read_input_table(path, "cohort table", dtype={"code": str})
    assert plain["code"].isna().tolist() == [True, False, True, True]  # without codes=


def test_a_unit_coded_na_keeps_its_code_in_compare(tmp_path, cli):
    import geopandas as gpd

    inputs = tmp_path / "inputs"
    data = basic_case(inputs)
    geometries = list(gpd.read_file(inputs / "zones.geojson").geometry)
    write_zones(inputs / "zones.geojson", ["NA", "007"], geometries)
    run_file = write_run(inputs, data)
    for name in ("base", "later"):
        assert cli("-q", "run", run_file, "--out", tmp_path / name).exit_code == 0
    result = cli("-q", "compare", tmp_path / "base", tmp_path / "later", "--out", tmp_path / "cmp")
    assert result.exit_code == 0, result.output
    table = read_input_table(tmp_path / "cmp" / "compare.csv", "compare", codes=["zone_code"])
    # the unit coded NA lost its code (an empty cell) before
    assert {"NA", "007"} <= set(table["zone_code"].dropna())
    assert table["zone_code"].notna().all()


def _as_french_excel(text: str, sep: str = ";") -> str:
    """A comma CSV as Excel in French saves it: ';' between fields, decimal commas."""
    import csv
    import io

    rows = list(csv.reader(io.StringIO(text)))
    return "".join(
        sep.join(v.replace(".", ",") if v.replace(".", "").isdigit() else v for v in row) + "\r\n"
        for row in rows
    )


def test_tables_saved_with_semicolons_and_decimal_commas(tmp_path):
    plain = 'code,count,share,name\nA1,676182.0,0.25,"Paris, 1er"\n007,12,1.5e3,B\n'
    (tmp_path / "plain.csv").write_text(plain, encoding="utf-8")
    french = "code;count;share;name\r\nA1;676182,0;0,25;Paris, 1er\r\n007;12;1,5E+03;B\r\n"
    (tmp_path / "french.csv").write_text(french, encoding="utf-8-sig")
    (tmp_path / "tabs.csv").write_text(plain.replace(",", "\t").replace("\tParis\t", ","))
    expected = read_input_table(tmp_path / "plain.csv", "table", codes=["code"])
    for name in ("french.csv", "tabs.csv"):
        table = read_input_table(tmp_path / name, "table", codes=["code"])
        assert table["count"].tolist() == [676182.0, 12.0], name
        assert table["share"].tolist() == [0.25, 1500.0], name
    assert read_input_table(tmp_path / "french.csv", "table", codes=["code"]).equals(expected)
    # read as text (census tables parse their own numbers): the decimal comma becomes a
    # point, so '676182,0' is not read as 6,761,820 by a parser that drops thousands commas
    text = read_input_table(tmp_path / "french.csv", "table", dtype=str, keep_default_na=False)
    assert text.to_dict("list") == {
        "code": ["A1", "007"],
        "count": ["676182.0", "12"],
        "share": ["0.25", "1.5E+03"],
        "name": ["Paris, 1er", "B"],
    }


def test_a_comment_line_does_not_decide_the_separator(tmp_path):
    path = tmp_path / "curve.csv"
    path.write_text("# source: JRC; 2017\ndepth,share\n0.5,0.25\n", encoding="utf-8")
    table = read_input_table(path, "curve file", comment="#")
    assert list(table.columns) == ["depth", "share"] and table["share"].tolist() == [0.25]


def test_numbers_grouped_by_thousands_as_spreadsheets_write_them(tmp_path):
    tables = {
        # Spanish or German Excel: points group digits, the decimal mark is a comma
        "es.csv": "code;people;share;name\r\n007;1.234;0,5;Paris, 1er\r\n"
        "B;12.345.678;0,25;B\r\nC;1.234,5;1;0.250\r\n",
        # whole numbers only: no decimal comma in the file, every point groups thousands
        "es_whole.csv": "code;people\r\n007;676.182\r\nB;12\r\n",
        # French Excel groups with a no-break space (or a narrow one)
        "fr.csv": "code;people\r\n007;12\u00a0345\r\nB;1\u202f234\u202f567,25\r\n",
        # English: commas group digits (the cell is quoted)
        "en.csv": 'code,people\n007,"1,234,567.5"\nB,12\n',
    }
    expected = {
        "es.csv": [1234.0, 12345678.0, 1234.5],
        "es_whole.csv": [676182.0, 12.0],
        "fr.csv": [12345.0, 1234567.25],
        "en.csv": [1234567.5, 12.0],
    }
    for name, text in tables.items():
        (tmp_path / name).write_text(text, encoding="utf-8-sig")
        table = read_input_table(tmp_path / name, "table", codes=["code"])
        assert table["people"].tolist() == expected[name], name
        assert table["code"].iloc[0] == "007", name
        as_text = read_input_table(tmp_path / name, "table", dtype=str, keep_default_na=False)
        assert [float(v) for v in as_text["people"]] == expected[name], name
    table = read_input_table(tmp_path / "es.csv", "table", codes=["code"])
    assert table["share"].tolist() == [0.5, 0.25, 1.0]
    assert table["name"].tolist() == ["Paris, 1er", "B", "0.250"]  # names are left
    # a point that is a decimal point stays one: 0.25 in the file says so
    (tmp_path / "points.csv").write_text("code;people;share\n007;1.234;0.25\n")
    assert read_input_table(tmp_path / "points.csv", "t", codes=["code"])["people"].tolist() == [
        1.234
    ]


def test_a_census_number_that_is_not_grouped_by_thousands_is_refused(tmp_path):
    from exposure.census import read_census_table

    path = tmp_path / "census.csv"
    path.write_text('pcode,population\nA,"1,234"\nB,"12,34"\n', encoding="utf-8")
    # '12,34' was read as 1234 (every comma dropped); it may be 12.34 or a typo
    with pytest.raises(
        DataError,
        match=r"census\.csv: column population: row 3 of the file \(the header is row 1\): '12,34' is",
    ):
        read_census_table(path, "pcode", "population")
    path.write_text('pcode,population\nA,"1,234"\nB,"12,345"\n', encoding="utf-8")
    counts, _ = read_census_table(path, "pcode", "population")
    assert counts.to_dict() == {"A": 1234.0, "B": 12345.0}


def _as_spanish_excel(text: str) -> str:
    """A comma CSV of whole numbers as Excel in Spanish saves it with thousands shown."""
    import csv
    import io

    def shown(value: str) -> str:
        if not value.replace(".", "", 1).isdigit() or float(value) != int(float(value)):
            return value
        return f"{int(float(value)):,}".replace(",", ".")

    rows = list(csv.reader(io.StringIO(text)))
    return "".join(";".join(shown(v) for v in row) + "\r\n" for row in rows)


def test_a_census_saved_by_spanish_excel_gives_the_same_run(demo_folder, tmp_path):
    import shutil

    from mecc.run import run_country

    inputs = tmp_path / "inputs"
    shutil.copytree(demo_folder / "inputs", inputs)
    text = (inputs / "census_population.csv").read_text(encoding="utf-8-sig")
    (inputs / "census_population.csv").write_text(_as_spanish_excel(text), encoding="utf-8-sig")
    assert "\nXMR01;676.182\n" in (inputs / "census_population.csv").read_text("utf-8-sig")
    out = run_country(inputs / "run.yaml", tmp_path / "run", with_map=False).out_dir
    for table in ("sendai.csv", "zones.csv"):
        assert (out / table).read_bytes() == (demo_folder / "run" / table).read_bytes(), table


def test_a_census_saved_by_french_excel_gives_the_same_run(demo_folder, tmp_path):
    import shutil

    from mecc.run import run_country

    inputs = tmp_path / "inputs"
    shutil.copytree(demo_folder / "inputs", inputs)
    for name in ("census_population.csv", "census_districts.csv"):
        text = (inputs / name).read_text(encoding="utf-8-sig")
        (inputs / name).write_text(_as_french_excel(text), encoding="utf-8-sig")
    assert ";" in (inputs / "census_population.csv").read_text(encoding="utf-8-sig")
    out = run_country(inputs / "run.yaml", tmp_path / "run", with_map=False).out_dir
    for table in ("sendai.csv", "zones.csv"):
        assert (out / table).read_bytes() == (demo_folder / "run" / table).read_bytes(), table


def test_a_missing_file_is_named_with_its_key(tmp_path):
    with pytest.raises(InputFileError, match=r"^.*nowhere\.csv: census table not found$"):
        read_input_table(tmp_path / "nowhere.csv", "census table")
    with pytest.raises(InputFileError) as raised:
        read_input_table(tmp_path / "nowhere.csv", "growth table", "futures[0].growth")
    assert str(raised.value) == (
        f"futures[0].growth: growth table not found ({tmp_path / 'nowhere.csv'})"
    )


def test_a_workbook_given_for_a_table_is_named_so(tmp_path):
    import pandas as pd

    pd.DataFrame({"pcode": ["A"], "population": [1]}).to_excel(tmp_path / "t.xlsx", index=False)
    (tmp_path / "t.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    for name in ("t.xlsx", "t.xls"):
        with pytest.raises(InputFileError) as raised:
            read_input_table(tmp_path / name, "census table", "population.official")
        assert str(raised.value) == (
            f"population.official: the census table {name} is a spreadsheet workbook, not a "
            "CSV table; save the sheet as CSV UTF-8"
        )


@pytest.mark.parametrize(
    ("content", "error", "message"),
    [
        (b"", DataError, "t.csv: the table is empty"),
        (b"\n\n", DataError, "t.csv: the table is empty"),
        (
            LATIN_1,
            InputFileError,
            "t.csv: the table is not UTF-8 text (byte 0xE3 on line 3); save it as CSV UTF-8",
        ),
        (
            b'code,value\n"A,1\nB,2\n',
            InputFileError,
            "t.csv: cannot read the table (Error tokenizing data. C error: EOF inside string",
        ),
    ],
    ids=["empty", "blank lines", "latin-1", "open quote"],
)
def test_bad_files_give_one_line(tmp_path, content, error, message):
    path = tmp_path / "t.csv"
    path.write_bytes(content)
    with pytest.raises(error) as raised:
        read_input_table(path, "table", dtype=str)
    text = str(raised.value)
    assert "\n" not in text
    assert text.startswith(str(tmp_path / message)), text


def test_a_labelled_table_names_the_key_and_the_file(tmp_path):
    path = tmp_path / "prot.csv"
    path.write_bytes(LATIN_1)
    with pytest.raises(InputFileError) as raised:
        read_input_table(path, "protection table", "run.yaml.hazards[0].protection_rp")
    assert str(raised.value).startswith(
        "run.yaml.hazards[0].protection_rp: the protection table prot.csv is not UTF-8"
    )


# ---------------------------------------------------------------- through `mecc run`


def _protection(run, folder):
    run["hazards"][0]["protection_rp"] = "table.csv"
    return ("hazards[0]", "protection_rp")


def _events(run, folder):
    run["hazards"] = [event_hazard(events="table.csv")]
    return ("hazards[0]", "events")


def _curve(run, folder):
    run["hazards"][0]["curve"] = "table.csv"
    return ("hazards[0]", "curve")


def _cohorts(run, folder):
    run["population"]["cohorts"] = {"path": "table.csv", "code_column": "code"}
    return ("population.cohorts",)


def _seasonal(run, folder):
    run["mobility"] = {
        "seasonal": {
            "path": "table.csv",
            "code_column": "code",
            "month_column": "month",
            "multiplier_column": "factor",
        }
    }
    return ("mobility.seasonal",)


def _day_night(run, folder):
    run["hazards"][0]["impact_time"] = "day"
    run["mobility"] = {
        "day_night": {
            "path": "table.csv",
            "origin_column": "from",
            "destination_column": "to",
            "share_column": "share",
        }
    }
    return ("mobility.day_night",)


def _growth(run, folder):
    run["futures"] = [{"id": "grown", "population": {"growth": "table.csv", "year": 2040}}]
    return ("futures", "growth")


TABLES = {
    "protection": _protection,
    "events": _events,
    "curve": _curve,
    "cohorts": _cohorts,
    "seasonal": _seasonal,
    "day-night": _day_night,
    "growth": _growth,
}


@pytest.mark.parametrize(
    ("content", "words"),
    [(b"", "is empty"), (LATIN_1, "is not UTF-8 text (byte 0xE3 on line 3)")],
    ids=["empty", "latin-1"],
)
@pytest.mark.parametrize("table", TABLES)
def test_every_run_table_refuses_bad_files_in_one_line(cli, tmp_path, table, content, words):
    folder = tmp_path / "case"
    run = basic_case(folder)
    needles = TABLES[table](run, folder)
    (folder / "table.csv").write_bytes(content)
    line = expect_error(cli, write_run(folder, run), tmp_path / "out", 1, *needles, "table.csv")
    assert words in line


# ------------------------------------------------------------ the other commands


def _command_args(name, demo_folder, tmp_path, table):
    run_dir = demo_folder / "run"
    out = tmp_path / "out"
    if name == "needs --capacity":
        return ["needs", run_dir, "--out", out, "--capacity", table], out
    if name == "evaluate --observed":
        return ["evaluate", run_dir, "--observed", table, "--out", out], out
    if name == "hazard cyclone":
        out = tmp_path / "wind.tif"
        grid = ["--bounds", "124", "10", "126", "12", "--resolution", "0.1"]
        return ["hazard", "cyclone", table, "--out", out, *grid], out
    zones = tmp_path / "zones.geojson"
    write_zones(zones, ["A"], [cell_box(0, 0, rows=4, cols=4)])
    columns = ["--table-code", "code", "--table-value", "value", "--code-field", "code"]
    out = tmp_path / "pop.tif"
    return ["population", "from-census", zones, table, "--out", out, *columns], out


@pytest.mark.parametrize(
    "command", ["needs --capacity", "evaluate --observed", "hazard cyclone", "from-census"]
)
def test_commands_refuse_a_table_that_is_not_utf8(cli, demo_folder, tmp_path, command):
    table = tmp_path / "legacy.csv"
    table.write_bytes(LATIN_1)
    args, out = _command_args(command, demo_folder, tmp_path, table)
    result = cli(*args, "--resolution", "0.1") if command == "from-census" else cli(*args)
    line = one_error_line(result, 1)
    assert "legacy.csv" in line and "is not UTF-8 text (byte 0xE3 on line 3)" in line
    assert not out.exists()
