"""The Sendai tables written a chunk of rows at a time (``mecc.sendai.sendai_stream``):
the same bytes as the table built all at once, memory bounded by the chunk.

A country of 40,000 units gave millions of rows: ``mecc run`` peaked at 13.2 GB and
``mecc report sendai`` at 10.7 GB, holding every row as a record, then as a table, then
as one CSV text. The case is the 3 x 3 grid of ``tests/test_sendai.py`` (2 zones, a
scenario and two return-period maps), whose numbers are worked out there from the grids.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mecc.run import run_country
from tests._run_inputs import write_run
from tests.test_sendai import DEPTH, IN_A, IN_B, OUTSIDE, POP, damaged, write_case

SHEETS = ("National", "Admin 1", "By return period or event", "Disaggregated")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sendai_chunks")
    run_country(write_run(folder, write_case(folder)), folder / "out", with_map=False)
    return folder / "out"


def read(path) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False, dtype=str)


def sheet_rows(path) -> dict:
    """Every sheet of a workbook as lists of cell values (openpyxl)."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in book}
    finally:
        book.close()


def written_sizes(monkeypatch) -> list:
    """Record the number of rows of every table the Sendai writers turn into CSV text."""
    import mecc.sendai_writers

    sizes = []
    original = mecc.sendai_writers.csv_text

    def recording(frame):
        sizes.append(len(frame))
        return original(frame)

    monkeypatch.setattr(mecc.sendai_writers, "csv_text", recording)
    return sizes


def test_report_sendai_writes_a_chunk_at_a_time_with_the_same_bytes(run, tmp_path, monkeypatch):
    """``mecc report sendai`` never turns more than a chunk (5 rows + one area's) into
    CSV text, and writes the bytes of the run's own files (all at once before)."""
    import mecc.sendai
    from mecc.sendai_writers import write_sendai_report

    whole = read(run / "sendai.csv")
    assert len(whole) > 60  # several chunks of 5
    stream = mecc.sendai.sendai_stream
    monkeypatch.setattr(mecc.sendai, "sendai_stream", lambda d: stream(d, rows=5))
    sizes = written_sizes(monkeypatch)
    out = write_sendai_report(run, tmp_path / "report")
    assert len(sizes) > 10
    assert max(sizes) <= 5 + 13  # a chunk ends at the first area reaching 5 rows
    assert sum(sizes) == len(whole)
    for name in ("sendai.csv", "sendai_hxl.csv", "sendai.xlsx"):
        assert (out / name).read_bytes() == (run / name).read_bytes(), name


@pytest.mark.parametrize("rows", [1, 7, 10_000])
def test_chunked_tables_equal_the_tables_built_at_once(run, tmp_path, rows):
    """Any chunk size gives the files of the table built all at once (``sendai_tables``,
    whose writer is kept for its callers): CSVs byte for byte, workbook cell for cell."""
    from mecc.sendai import sendai_stream, sendai_tables
    from mecc.sendai_writers import write_sendai

    (tmp_path / "chunks").mkdir()
    (tmp_path / "whole").mkdir()
    write_sendai(sendai_stream(run, rows=rows), tmp_path / "chunks")
    tables = sendai_tables(run)
    write_sendai(tables, tmp_path / "whole")
    for name in ("sendai.csv", "sendai_hxl.csv"):
        assert (tmp_path / "chunks" / name).read_bytes() == (tmp_path / "whole" / name).read_bytes()
    chunked = sheet_rows(tmp_path / "chunks" / "sendai.xlsx")
    assert chunked == sheet_rows(tmp_path / "whole" / "sendai.xlsx")
    assert [n for n in chunked if n in SHEETS] == [n for n in SHEETS if n in tables.sheets]
    assert not [p for p in tmp_path.glob("*/*") if "partial" in p.name]  # spool gone


def test_chunked_sheets_hold_the_rows_worked_out_by_hand(run, tmp_path):
    """Written in chunks of 3 rows: the scenario's D1, B-3 and the maps' D1 of every area,
    from the grids, in sendai.csv and on the sheets; each sheet holds the CSV's rows of
    its filter, in the CSV's order, the Admin sheet then the outside bucket's."""
    from mecc.sendai import sendai_stream
    from mecc.sendai_writers import write_sendai

    write_sendai(sendai_stream(run, rows=3), tmp_path)
    table = read(tmp_path / "sendai.csv")
    sheets = sheet_rows(tmp_path / "sendai.xlsx")
    masks = {"A": IN_A, "B": IN_B, "__outside__": OUTSIDE, "AAA": np.ones((3, 3), bool)}
    totals = table[table["breakdown"] == ""]

    def value(frame, code, indicator, measure, return_period=""):
        rows = frame[
            (frame["admin_code"] == code)
            & (frame["indicator_code"] == indicator)
            & (frame["measure"] == measure)
            & (frame["return_period"] == return_period)
        ]
        assert len(rows) == 1, (code, indicator, measure)
        return float(rows["value_number"].iloc[0])

    def as_frame(cells) -> pd.DataFrame:
        width = len(cells[0])  # (a row without its trailing blanks is read shorter)
        text = [["" if v is None else str(v) for v in row] for row in cells[1:]]
        return pd.DataFrame([row + [""] * (width - len(row)) for row in text], columns=cells[0])

    admin = as_frame(sheets["Admin 1"])
    national = as_frame(sheets["National"])
    maps = as_frame(sheets["By return period or event"])
    for code, mask in masks.items():
        displaced = float(POP[mask & (DEPTH >= 1.0)].sum())
        b3 = float(POP[mask & damaged(DEPTH)].sum())
        assert value(totals, code, "AAA-D1", "scenario") == pytest.approx(displaced)
        assert value(totals, code, "B-3", "scenario") == pytest.approx(b3)
        sheet = national if code == "AAA" else admin
        assert value(sheet, code, "AAA-D1", "scenario") == pytest.approx(displaced)
        for period, depth in (("100.0", DEPTH), ("10.0", DEPTH * 0.5)):
            at_map = float(POP[mask & (depth >= 1.0)].sum())
            found = value(maps, code, "AAA-D1", "return_period_map", period)
            assert found == pytest.approx(at_map)
    # each sheet: the CSV's rows of its filter, in order (the outside bucket's at the end)
    headline = totals["measure"].isin(["expected_annual", "scenario", "planning"])
    outside = totals[(totals["admin_code"] == "__outside__") & headline]
    level = totals[(totals["admin_level"] == "1") & headline]
    expected = {
        "National": totals[(totals["admin_level"] == "0") & headline],
        "Admin 1": pd.concat([level, outside]),
        "By return period or event": totals[
            totals["measure"].isin(["return_period_map", "event", "pmd"])
        ],
        "Disaggregated": table[table["breakdown"] != ""],
    }
    for name, rows in expected.items():
        keys = ["admin_code", "hazard_id", "measure", "indicator_code", "group", "band"]
        got = as_frame(sheets[name])[keys].to_numpy().tolist()
        assert got == rows[keys].to_numpy().tolist(), name
        assert len(rows) > 0, name


def mixed_frame(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    numbers = rng.normal(size=n) * 1e5
    numbers[::4] = np.nan
    return pd.DataFrame(
        {
            "code": [f"Z{k:03d}" if k % 5 else "" for k in range(n)],
            "level": pd.array([k % 3 if k % 7 else None for k in range(n)], dtype="Int64"),
            "value": numbers,
            "flag": [k % 2 == 0 for k in range(n)],
            "name": [f"Ségou {k} – <a&b>" for k in range(n)],
        }
    )


def test_a_chunked_sheet_is_the_frame_it_holds(tmp_path):
    """A ``ChunkedTable`` of uneven chunks: its windows are the frame's rows (iloc), a
    sheet split over several worksheets (``continued``) keeps every row once, and the
    workbook has the same bytes as one written from the frame."""
    from mecc.workbook import ChunkedTable, continued, write_workbook

    frame = mixed_frame(23)
    bounds = [0, 1, 6, 6, 14, 23]  # an empty chunk too
    pieces = [
        (b - a, lambda a=a, b=b: frame.iloc[a:b].reset_index(drop=True))
        for a, b in zip(bounds[:-1], bounds[1:], strict=True)
    ]
    table = ChunkedTable(frame.columns, pieces)
    assert len(table) == 23
    for start, stop in ((0, 23), (3, 9), (6, 14), (13, 15), (22, 23)):
        got = pd.concat(list(table.window(start, stop).frames()), ignore_index=True)
        pd.testing.assert_frame_equal(got, frame.iloc[start:stop].reset_index(drop=True))
    parts = continued([("Rows", table, None)], rows=5)
    assert [name for name, _, _ in parts] == [
        "Rows",
        "Rows (2)",
        "Rows (3)",
        "Rows (4)",
        "Rows (5)",
    ]
    assert [len(t) for _, t, _ in parts] == [5, 5, 5, 5, 3]
    joined = pd.concat([f for _, t, _ in parts for f in t.frames()], ignore_index=True)
    pd.testing.assert_frame_equal(joined, frame)
    write_workbook(tmp_path / "chunks.xlsx", "t", [("Rows", table, None)])
    write_workbook(tmp_path / "whole.xlsx", "t", [("Rows", frame, None)])
    assert (tmp_path / "chunks.xlsx").read_bytes() == (tmp_path / "whole.xlsx").read_bytes()
    cells = sheet_rows(tmp_path / "chunks.xlsx")["Rows"]
    assert cells[0] == list(frame.columns)
    for k, row in enumerate(cells[1:]):
        assert row[0] == (frame["code"][k] or None)
        assert row[1] == (None if pd.isna(frame["level"][k]) else int(frame["level"][k]))
        assert row[2] == (None if np.isnan(frame["value"][k]) else frame["value"][k])
        assert row[3] is bool(frame["flag"][k])
        assert row[4] == f"Ségou {k} – <a&b>"


def test_a_chunked_sheet_gives_the_pieces_of_the_frame():
    """The worksheet XML of a chunked table, piece for piece, is the frame's: a piece
    with a missing nullable integer writes the column's numbers as floats (pandas'
    ``to_numpy``), so the pieces are cut at the frame's rows, not at the chunks'."""
    from mecc.workbook import ChunkedTable, _worksheet

    frame = mixed_frame(23)
    assert np.flatnonzero(frame["level"].isna()).tolist() == [0, 7, 14, 21]
    bounds = [0, 3, 10, 11, 23]
    pieces = [
        (b - a, lambda a=a, b=b: frame.iloc[a:b].reset_index(drop=True))
        for a, b in zip(bounds[:-1], bounds[1:], strict=True)
    ]
    table = ChunkedTable(frame.columns, pieces)
    got = list(_worksheet(table, {}, rows_per_piece=4))
    assert got == list(_worksheet(frame, {}, rows_per_piece=4))
    assert len(got) == 2 + 6  # head, 6 pieces of 4 rows (the last 3), end
    assert '<c r="B3"><v>1.0</v></c>' in got[1]  # row 1 (level 1): rows 0-3 hold a missing one
    assert '<c r="B10"><v>2</v></c>' in got[3]  # row 8 (level 2): rows 8-11 hold none
