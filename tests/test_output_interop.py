"""The outputs as other programs open them: spreadsheets, GDAL/QGIS, Excel.

- CSV injection (OWASP): a text cell a spreadsheet would run as a formula (``=``, ``+``,
  ``-``, ``@``, tab, carriage return first) is written with a leading ``'``; numbers
  never; mecc's own readers of a run's tables give the names back exactly.
- zones.gpkg is GeoPackage 1.2 (GDAL 3.6 under QGIS 3.28 LTR warns on 1.4) and each
  layer's ``gpkg_contents.description`` names the run and says "modelled estimates".
- A blank value in a workbook is no cell (an empty text cell is not blank to Excel).

Expected values are written out by hand here from the inputs (the grid of
tests/_run_inputs.py), not taken from mecc's output.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import io
import json
import sqlite3
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests._run_inputs import POP, basic_case, cell_box, write_run, write_zones

# one zone per grid column (4 rows each): hostile names from an outside boundary file
NAMES = [
    '=HYPERLINK("http://evil.example/","click")',
    '-2+3 Ōtsu, "quoted"',
    "@cmd|' /C calc'!A0",
    "'=already quoted",
]
CODES = ["A", "=B", "C", "D"]  # '=B': a code is a text cell too
# a spreadsheet runs a cell starting with these as a formula
FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _written(name: str) -> str:
    """The cell as it must be written (by hand: one quote before a formula start, and
    before a cell already quoted in front of one)."""
    if name.startswith(FORMULA) or (name.startswith("'") and name.lstrip("'")[:1] in FORMULA):
        return "'" + name
    return name


def _rows(path, skip_tags=False):
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return rows[1:] if skip_tags else rows


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    from mecc.run import run_country

    root = tmp_path_factory.mktemp("interop")
    inputs = root / "inputs"
    data = basic_case(inputs)
    data["zones"]["path"] = "hostile.gpkg"
    data["zones"]["layer"] = "districts"
    write_zones(
        inputs / "hostile.gpkg",
        CODES,
        [cell_box(0, col, rows=4) for col in range(4)],
        names=NAMES,
        layer="districts",
    )
    run_country(write_run(inputs, data), root / "run", with_map=False)
    return root / "run"


# --- 1. CSV injection ------------------------------------------------------------


def test_csv_text_quotes_formula_text_cells_and_never_numbers():
    from mecc.outputs import csv_text  # the one CSV writer, still importable there

    frame = pd.DataFrame(
        {
            "name": ["=1+1", "+SUM(1,2)", "-2+3", "@A1", "\tx", "'=y", "'plain", "-5", None],
            "value": [-5.0, 1.5, -0.25, 0.0, 2.0, 3.0, 4.0, 5.0, -7.0],
            "count": [-5, 1, 2, 3, 4, 5, 6, 7, 8],
        }
    )
    rows = list(csv.reader(io.StringIO(csv_text(frame), newline="")))
    assert rows[0] == ["name", "value", "count"]
    assert [row[0] for row in rows[1:]] == [
        "'=1+1",
        "'+SUM(1,2)",
        "'-2+3",
        "'@A1",
        "'\tx",
        "''=y",  # one quote more: read back it is '=y again
        "'plain",  # a quote before no formula start: as it is
        "-5",  # a text cell that is a plain number: a number to a spreadsheet
        "",
    ]
    values = ["-5.0", "1.5", "-0.25", "0.0", "2.0", "3.0", "4.0", "5.0", "-7.0"]
    assert [row[1] for row in rows[1:]] == values  # numbers as pandas writes them
    assert [row[2] for row in rows[1:]] == ["-5", "1", "2", "3", "4", "5", "6", "7", "8"]
    assert frame["name"].iloc[0] == "=1+1"  # the caller's table is left alone


def test_escaped_cells_read_back_exactly():
    from mecc.csv_files import csv_text, unescaped_cells

    names = ["=1", "'=1", "''=1", "'", "'x", "-", "-1e3", "@", "\rX", "plain", ""]
    text = csv_text(pd.DataFrame({"name": names}))
    back = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    # a carriage return is written as a line feed (rows stay whole): "\rX" -> "\nX"
    assert unescaped_cells(back)["name"].tolist() == [*names[:8], "\nX", "plain", ""]


@pytest.mark.parametrize(
    ("name", "column", "tags"),
    [
        ("zones.csv", "zone_name", False),
        ("sendai.csv", "admin_name", False),
        ("sendai_hxl.csv", "admin_name", True),
    ],
)
def test_run_csvs_write_hostile_names_quoted(hostile_run, name, column, tags):
    rows = _rows(hostile_run / name, skip_tags=tags)
    written = {row[column] for row in rows if row[column] not in ("", "Testland")}
    written = {cell for cell in written if not cell.startswith("Outside")}
    expected = {_written(n) for n in NAMES}
    assert expected <= written, name
    for cell in written:  # no cell a spreadsheet would run
        assert not cell.startswith(FORMULA), (name, cell)


def test_run_csvs_write_hostile_codes_quoted_and_numbers_as_numbers(hostile_run):
    rows = [row for row in _rows(hostile_run / "zones.csv") if row["zone_code"] in ("A", "'=B")]
    assert [row["zone_code"] for row in rows] == ["A", "'=B"]
    # people per column of the grid, by hand: POP[:, 0] = 10+50+90+130, POP[:, 1] = 20+...
    assert [float(row["population"]) for row in rows] == [280.0, 320.0]
    assert POP[:, 0].sum() == 280.0 and POP[:, 1].sum() == 320.0


def test_mecc_readers_give_the_names_back(hostile_run):
    from mecc.map_data import read_table
    from mecc.run_folder import read_run_table
    from mecc.run_identity import check_results

    zones = read_run_table(hostile_run, "zones.csv")
    units = zones[zones["level"] == 1].drop_duplicates("zone_code")
    assert dict(zip(units["zone_code"], units["zone_name"], strict=True)) == dict(
        zip(CODES, NAMES, strict=True)
    )
    populations = dict(zip(units["zone_code"], units["population"], strict=True))
    assert populations == {"A": 280.0, "=B": 320.0, "C": 360.0, "D": 400.0}
    table = read_table(hostile_run / "zones.csv")  # the map's reader
    assert set(NAMES) <= set(table["zone_name"])
    assert set(table.loc[table["zone_code"] == "=B", "population"]) == {320.0}
    sendai = read_run_table(hostile_run, "sendai.csv", dtype=str, keep_default_na=False)
    assert set(NAMES) <= set(sendai["admin_name"])  # the profiles' reader
    assert "=B" in set(sendai["admin_code"])
    check_results(hostile_run)  # the codes of zones.csv are results.nc's ('=B', not "'=B")


def test_the_maps_sendai_rows_give_the_codes_as_written(tmp_path):
    """The popups' B-1 rows (map_text._sendai_table, read once per run): a code written
    quoted ("'=B") is read as given ("=B"); rows of other indicators are left out."""
    from types import SimpleNamespace

    from mecc.map_text import _sendai_table

    (tmp_path / "sendai.csv").write_text(
        "\ufeffadmin_code,admin_name,indicator_code,per_100k\n"
        "'=B,'=Sud,B-1,12.5\nA,Nord,B-5,3\nA,Nord,D-1,4\n",
        encoding="utf-8",
    )
    run = SimpleNamespace(run_dir=tmp_path)
    table = _sendai_table(run)
    assert table["admin_code"].tolist() == ["=B", "A"]
    assert table["per_100k"].tolist() == ["12.5", "3"]  # text, as the popups read it
    assert "admin_name" not in table.columns and _sendai_table(run) is table  # kept


def test_report_sendai_rebuilds_the_quoted_csvs_byte_for_byte(hostile_run, tmp_path, cli):
    result = cli("report", "sendai", hostile_run, "--out", tmp_path / "report")
    assert result.exit_code == 0, result.output
    for name in ("sendai.csv", "sendai_hxl.csv"):
        assert (tmp_path / "report" / name).read_bytes() == (hostile_run / name).read_bytes()


def test_compare_reads_the_names_back(hostile_run, tmp_path, cli):
    result = cli("compare", hostile_run, hostile_run, "--out", tmp_path / "compare")
    assert result.exit_code == 0, result.output
    rows = _rows(tmp_path / "compare" / "compare.csv")
    names = {row["zone_name"] for row in rows if "zone_name" in row}
    assert {_written(n) for n in NAMES} <= names  # written quoted once, not twice


# --- 2. zones.gpkg: GeoPackage 1.2, described ------------------------------------


def test_zones_gpkg_is_geopackage_1_2_with_described_layers(hostile_run):
    import pyogrio

    summary = json.loads((hostile_run / "summary.json").read_text(encoding="utf-8"))
    with contextlib.closing(sqlite3.connect(hostile_run / "zones.gpkg")) as db:
        (version,) = db.execute("PRAGMA user_version").fetchone()
        (application,) = db.execute("PRAGMA application_id").fetchone()
        described = dict(db.execute("SELECT table_name, description FROM gpkg_contents").fetchall())
        styles = db.execute("SELECT f_table_name, useAsDefault FROM layer_styles").fetchall()
    assert version == 10200  # GeoPackage 1.2.0
    assert application == 0x47504B47  # 'GPKG'
    text = described["admin1"]
    assert summary["run_id"] in text and len(summary["run_id"]) == 32
    assert "AAA" in text and "Testland" in text
    assert "modelled estimates, see manifest.json" in text
    today = datetime.datetime.now(datetime.UTC).date()
    dates = {(today - datetime.timedelta(days=k)).isoformat() for k in (0, 1)}
    assert any(day in text for day in dates)
    assert styles == [("admin1", 1)]  # the QGIS style is still there
    layers = [name for name, _ in pyogrio.list_layers(hostile_run / "zones.gpkg")]
    assert "admin1" in layers
    frame = pyogrio.read_dataframe(hostile_run / "zones.gpkg", layer="admin1")
    assert dict(zip(frame["zone_code"], frame["zone_name"], strict=True)) == dict(
        zip(CODES, NAMES, strict=True)
    )  # the GeoPackage keeps names as they are (its cells are typed)


# --- 3. blank cells in workbooks -------------------------------------------------


def test_workbook_writes_no_cell_for_an_empty_value(tmp_path):
    import openpyxl

    from mecc.workbook import write_workbook

    frame = pd.DataFrame(
        {"name": ["x", "", None, "\x00"], "value": [1.0, np.nan, 2.0, 3.0], "n": [1, 2, 3, 4]}
    )
    path = tmp_path / "book.xlsx"
    write_workbook(path, "test", [("Sheet", frame, None)])
    sheet = openpyxl.load_workbook(path)["Sheet"]
    assert [sheet.cell(r, 1).value for r in range(2, 6)] == ["x", None, None, None]
    assert [sheet.cell(r, 2).value for r in range(2, 6)] == [1, None, 2, 3]
    with zipfile.ZipFile(path) as book:
        xml = book.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert '<t xml:space="preserve"></t>' not in xml  # no empty text cell
    assert xml.count("<c ") == 3 + 1 + 3 + 4  # header, 'x', three numbers, four counts


def test_sendai_workbook_has_no_empty_text_cells(hostile_run):
    import openpyxl

    with zipfile.ZipFile(hostile_run / "sendai.xlsx") as book:
        sheets = [n for n in book.namelist() if n.startswith("xl/worksheets/")]
        for name in sheets:
            assert '<t xml:space="preserve"></t>' not in book.read(name).decode("utf-8"), name
    book = openpyxl.load_workbook(hostile_run / "sendai.xlsx", read_only=True)
    sheet = book["National"]
    header = [cell.value for cell in next(sheet.iter_rows(max_row=1))]
    first = [cell.value for cell in next(sheet.iter_rows(min_row=2, max_row=2))]
    row = dict(zip(header, first, strict=False))
    assert row["parent_code"] is None and row["event_name"] is None  # blank, not ""
    assert row["admin_name"] == "Testland"
    book.close()


def test_futures_workbook_blank_cells(tmp_path):
    """futures.xlsx is written by the same writer: an empty label is no cell."""
    import openpyxl

    from mecc.workbook import write_workbook

    frame = pd.DataFrame({"future_label": ["", "SSP2-4.5"], "change": [np.inf, -5.0]})
    write_workbook(tmp_path / "f.xlsx", "futures", [("Futures", frame, None)])
    sheet = openpyxl.load_workbook(tmp_path / "f.xlsx")["Futures"]
    assert [[c.value for c in row] for row in sheet.iter_rows(min_row=2)] == [
        [None, None],
        ["SSP2-4.5", -5],
    ]


def test_hostile_names_in_the_workbook_stay_text(hostile_run):
    """The xlsx files hold names as text cells, never formulas (no quote added)."""
    import openpyxl

    book = openpyxl.load_workbook(hostile_run / "sendai.xlsx", read_only=True)
    names = set()
    for sheet in book.worksheets:
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, ())
        if "admin_name" in header:
            k = header.index("admin_name")
            names.update(row[k] for row in rows)
    book.close()
    assert set(NAMES) <= names
    assert Path(hostile_run / "sendai.xlsx").is_file()
