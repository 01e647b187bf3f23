"""mecc.workbook: xlsx written as XML parts, read back by openpyxl and pandas."""

from __future__ import annotations

import zipfile

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from mecc.workbook import column_letters, write_workbook


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "zone_code": pd.array(["007", "AB<1>&", None], dtype="string"),
            "value": [1.0 / 3.0, np.nan, -1e-300],
            "big": [np.inf, 12345678901234567.0, 2.5e30],
            "count": np.array([0, -4, 2**40], dtype=np.int64),
            "level": pd.array([1, pd.NA, 2], dtype="Int64"),
            "additive": [True, False, True],
            "notes": ["  spaced  ", "bell\x07 tab\tline\nend", 'Ñandú, ‘quoted’ "x"'],
            "mixed": [3, "text", None],
        }
    )


def test_values_types_and_layout_read_back(tmp_path):
    path = tmp_path / "t.xlsx"
    frame = _frame()
    about = pd.DataFrame({"topic": ["What"], "text": ["Modelled estimates"]})
    write_workbook(path, "Title & more", [("About", about, {"text": 90}), ("Data", frame, None)])

    book = load_workbook(path)
    assert book.sheetnames == ["About", "Data"]
    assert book.properties.title == "Title & more"
    assert book.properties.creator.startswith("mecc ")
    sheet = book["Data"]
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.b for cell in sheet[1])
    assert not sheet["A2"].font.b
    assert [c.value for c in sheet[1]] == list(frame.columns)
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert rows[0] == ["007", 1.0 / 3.0, None, 0, 1, True, "  spaced  ", 3]
    assert rows[1] == [
        "AB<1>&",
        None,
        12345678901234567.0,
        -4,
        None,
        False,
        "bell tab\tline\nend",  # the bell cannot be stored in XML; tab and line end can
        "text",
    ]
    assert rows[2] == [None, -1e-300, 2.5e30, 2**40, 2, True, 'Ñandú, ‘quoted’ "x"', None]
    assert sheet.column_dimensions["A"].width == len("zone_code") + 2
    assert book["About"].column_dimensions["B"].width == 90

    back = pd.read_excel(path, sheet_name="Data", dtype={"zone_code": str})
    assert back["value"].iloc[0] == 1.0 / 3.0  # every digit of a float survives


def test_same_bytes_and_a_valid_package(tmp_path):
    frame = _frame()
    for name in ("a.xlsx", "b.xlsx"):
        write_workbook(tmp_path / name, "t", [("Data", frame, None)])
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()
    with zipfile.ZipFile(tmp_path / "a.xlsx") as archive:
        assert archive.testzip() is None
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert "[Content_Types].xml" in archive.namelist()
    assert not [p for p in tmp_path.iterdir() if "partial" in p.name]  # no staging left


def test_empty_table_and_bad_sheet_names(tmp_path):
    write_workbook(tmp_path / "e.xlsx", "t", [("Empty", pd.DataFrame({"a": []}), None)])
    sheet = load_workbook(tmp_path / "e.xlsx")["Empty"]
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [["a"]]
    with pytest.raises(ValueError, match="unique and 1-31"):
        write_workbook(tmp_path / "x.xlsx", "t", [("A", pd.DataFrame(), None)] * 2)
    assert not (tmp_path / "x.xlsx").exists()


def test_a_table_longer_than_a_sheet_continues_on_more_sheets(tmp_path, monkeypatch):
    """A national run's Sendai table by map had 1.7 million rows: the run stopped at the
    workbook and wrote nothing. Rows beyond a worksheet continue on sheets of the same
    columns, every row kept (here a sheet holds 2 rows under its header)."""
    import openpyxl

    import mecc.workbook

    monkeypatch.setattr(mecc.workbook, "MAX_ROWS", 3)  # the real limit needs 10^6 rows
    data = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": list("vwxyz")})
    long_name = "By return period or event (all)"  # 31 characters: the suffix shortens it
    sheets = [("Data", data, None), (long_name, data.iloc[:3], None), ("Data (2)x", data, None)]
    write_workbook(tmp_path / "big.xlsx", "t", sheets)
    book = openpyxl.load_workbook(tmp_path / "big.xlsx", read_only=True)
    assert book.sheetnames == [
        "Data",
        "Data (2)",
        "Data (3)",
        long_name,
        "By return period or event (2)",
        "Data (2)x",
        "Data (2)x (2)",
        "Data (2)x (3)",
    ]

    def rows(*names):
        out = []
        for name in names:
            values = list(book[name].iter_rows(values_only=True))
            assert values[0] == ("a", "b")
            out += values[1:]
        return out

    assert rows("Data", "Data (2)", "Data (3)") == list(data.itertuples(index=False, name=None))
    assert rows(long_name, "By return period or event (2)") == [(1, "v"), (2, "w"), (3, "x")]
    from mecc.errors import DataError

    monkeypatch.setattr(mecc.workbook, "MAX_COLUMNS", 1)
    with pytest.raises(DataError, match="sheet 'Data' has 2 columns"):
        write_workbook(tmp_path / "wide.xlsx", "t", [("Data", data, None)])
    assert not (tmp_path / "wide.xlsx").exists()


def _long_frame(n: int) -> pd.DataFrame:
    k = np.arange(n)
    return pd.DataFrame(
        {
            "code": [f"Z{i:05d}" for i in k],
            "value": k / 7.0,
            "count": k * 3,
            "note": np.where(k % 3 == 0, "a & b", None),
        }
    )


def test_a_sheet_of_many_pieces_reads_back_whole(tmp_path):
    # the sheet is streamed 5,000 rows at a time: 12,345 rows make three pieces
    frame = _long_frame(12_345)
    write_workbook(tmp_path / "long.xlsx", "t", [("Data", frame, None)])
    back = pd.read_excel(tmp_path / "long.xlsx", sheet_name="Data")
    assert len(back) == 12_345
    assert back["code"].tolist() == frame["code"].tolist()
    assert back["value"].tolist() == frame["value"].tolist()  # every digit survives
    assert back["count"].tolist() == frame["count"].tolist()
    assert back["note"].isna().tolist() == frame["note"].isna().tolist()
    assert back["note"].dropna().eq("a & b").all()
    with zipfile.ZipFile(tmp_path / "long.xlsx") as archive:
        assert {i.compress_type for i in archive.infolist()} == {zipfile.ZIP_DEFLATED}
        assert {i.external_attr >> 16 for i in archive.infolist()} == {0o600}


def test_a_failure_while_streaming_leaves_the_old_file(tmp_path):
    class Unprintable:
        def __str__(self):
            raise RuntimeError("cannot print this cell")

    path = tmp_path / "t.xlsx"
    path.write_bytes(b"the previous workbook")
    frame = _long_frame(7_000).astype({"note": object})
    frame.loc[6_500, "note"] = Unprintable()  # in the second piece of rows
    with pytest.raises(RuntimeError, match="cannot print"):
        write_workbook(path, "t", [("Data", frame, None)])
    assert path.read_bytes() == b"the previous workbook"
    assert not [p for p in tmp_path.iterdir() if "partial" in p.name]  # no staging left


def test_a_sheet_past_the_zip_size_limit_is_written_as_zip64(tmp_path, monkeypatch):
    # the real limit is 2 GiB of sheet XML; lowered so a small sheet passes it
    monkeypatch.setattr(zipfile, "ZIP64_LIMIT", 50_000)
    frame = _long_frame(3_000)
    write_workbook(tmp_path / "big.xlsx", "t", [("Data", frame, None)])
    with zipfile.ZipFile(tmp_path / "big.xlsx") as archive:
        sheet = archive.getinfo("xl/worksheets/sheet1.xml")
        assert sheet.file_size > 50_000 and archive.testzip() is None
    back = pd.read_excel(tmp_path / "big.xlsx", sheet_name="Data")
    assert back["value"].tolist() == frame["value"].tolist()
    assert not [p for p in tmp_path.iterdir() if "partial" in p.name]  # no staging left


def test_column_letters():
    letters = column_letters(800)
    assert letters[:3] == ["A", "B", "C"]
    assert letters[25:28] == ["Z", "AA", "AB"]
    assert letters[701:703] == ["ZZ", "AAA"]


@pytest.mark.parametrize("name", ["sendai.xlsx", "futures.xlsx"])
def test_demo_workbooks_read_the_same_with_two_independent_readers(demo_folder, name):
    """openpyxl (Python) and calamine (Rust) parse the demo's workbooks to the same tables,
    and the sheets that mirror a CSV hold its numbers exactly."""
    path = demo_folder / "run" / name
    by_openpyxl = pd.read_excel(path, sheet_name=None, engine="openpyxl")
    by_calamine = pd.read_excel(path, sheet_name=None, engine="calamine")
    assert list(by_openpyxl) == list(by_calamine)
    for sheet, frame in by_openpyxl.items():
        assert len(frame) > 0, sheet
        pd.testing.assert_frame_equal(by_calamine[sheet], frame, check_dtype=False, obj=sheet)
    mirrors = (
        {"Futures": "futures.csv", "Attribution": "attribution.csv"}
        if name == "futures.xlsx"
        else {}
    )
    for sheet, csv in mirrors.items():
        table = pd.read_csv(demo_folder / "run" / csv, encoding="utf-8-sig")
        numbers = table.select_dtypes("number").columns
        np.testing.assert_array_equal(
            by_calamine[sheet][numbers].to_numpy(float), table[numbers].to_numpy(float)
        )
