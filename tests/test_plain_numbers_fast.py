"""``plain_numbers`` rewrites only the cells that can change, and the map popups and the
unit profiles read sendai.csv through the shared reader of a run's tables.

- ``mecc.errors.plain_numbers`` gives the same frames as the implementation it
  replaced (copied below as the reference), over generated columns mixing grouped
  numbers of every style, decimals, names, codes, dates, empties and NaN;
- a run folder whose sendai.csv a spreadsheet saved again with ``;`` between fields and
  decimal commas gives the map popups (Sendai B-1) and the profiles (Sendai section)
  the figures of the original file.
"""

from __future__ import annotations

import re
import shutil
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mecc.errors import plain_numbers

# ------------------------------------------------------- the reference (the old code)

_OLD_GROUPED = {
    mark: rf"^\s*[-+]?[1-9]\d{{0,2}}(?P<g>[{group} \u00a0\u202f])\d{{3}}(?:(?P=g)\d{{3}})*"
    rf"(?:\{mark}\d+)?\s*$"
    for mark, group in ((".", ","), (",", "."))
}
_OLD_DECIMAL_COMMA = r"^(\s*[-+]?\d+),(\d+(?:[eE][-+]?\d+)?\s*)$"


def old_plain_numbers(table, decimal=".", *, skip=(), as_text=True):
    """mecc.errors.plain_numbers as it was (a pandas regex over every cell)."""
    grouped = re.compile(_OLD_GROUPED[decimal])
    group = "." if decimal == "," else ","
    marks = ",. \u00a0\u202f" if decimal == "," else ", \u00a0\u202f"
    marked = rf"\d[{marks}]\d"
    table = table.copy()
    for column in table.columns:
        values = table[column]
        if column in skip or pd.api.types.is_numeric_dtype(values):
            continue
        cells = "\n".join(values.dropna().astype(str).tolist())
        if not any(mark in cells for mark in marks) or not re.search(marked, cells):
            continue
        text = values.astype("string")
        written = text.str.match(grouped).fillna(False)
        if written.any():
            plain = text.str.replace(rf"[{group} \u00a0\u202f]", "", regex=True)
            text = text.mask(written, plain)
        if decimal == ",":
            text = text.str.replace(_OLD_DECIMAL_COMMA, r"\1.\2", regex=True)
        changed = (text != values.astype("string")).fillna(False)
        if not changed.any():
            continue
        if not as_text:
            numbers = pd.to_numeric(text.str.strip().replace("", pd.NA), errors="coerce")
            if not (numbers.isna() & text.notna() & (text.str.strip() != "")).any():
                table[column] = numbers.astype("float64")
                continue
        table[column] = values.where(~changed, text.astype(object))
    return table


# ------------------------------------------------------------- generated columns

SPACES = (" ", "\u00a0", "\u202f")


@st.composite
def grouped_number(draw):
    """A number with digit grouping, in any style (and sometimes a broken one)."""
    head = str(draw(st.integers(1, 999)))
    groups = [f"{g:03d}" for g in draw(st.lists(st.integers(0, 999), min_size=1, max_size=3))]
    mark = draw(st.sampled_from([",", ".", *SPACES]))
    text = head + mark + mark.join(groups)
    if draw(st.booleans()):
        decimal = draw(st.sampled_from([".", ","]))
        text += decimal + str(draw(st.integers(0, 99999)))
    if draw(st.integers(0, 5)) == 0:  # a group of two digits, a mixed mark: not grouped
        text = text[:-1] if draw(st.booleans()) else text.replace(mark, ",", 1)
    sign = draw(st.sampled_from(["", "", "-", "+"]))
    pad = draw(st.sampled_from(["", "", " ", "\u00a0", "\t"]))
    return pad + sign + text + draw(st.sampled_from(["", "", " "]))


decimals = st.one_of(
    st.floats(-1e7, 1e7, allow_nan=False).map(lambda x: f"{x:.{abs(hash(x)) % 6}f}"),
    st.floats(-1e7, 1e7, allow_nan=False).map(lambda x: f"{x:.3f}".replace(".", ",")),
    st.sampled_from(["1,5e3", "2,25E-2", "0,5", "-3,75 ", " 12,0", "1.5", "1e5", "nan", "inf"]),
)
names = st.sampled_from(
    [
        "Paris, 1er",
        "Lyon 2e",
        "Marseille, 13 200",
        "Région 0 Côte",
        "Rue 12, 34",
        "a,b",
        "1 in 100",
        "People displaced, evacuation-type (modelled)",
        "exposure threshold 0.1 m",
        "Zone 1 2 3",
        "line\n1 234",
        "12 345\n",
        "١٢,٣٤٥",  # Arabic-Indic digits: \d, but not [1-9]
        "1,234,5678",
    ]
)
codes = st.sampled_from(["CI12000003", "007", "NA", "XMR0101", "B-1", "B-3", "1-2", "A.1"])
dates = st.sampled_from(["2020-01-31", "31/01/2020", "31.01.2020", "2020", "01/02/20 12:30"])
empties = st.sampled_from(["", " ", "\u00a0", "-", None, np.nan])
cells = st.one_of(grouped_number(), decimals, names, codes, dates, empties, st.text(max_size=8))


@st.composite
def frames(draw):
    """A table of 1 to 4 text columns (and sometimes a numeric one), 0 to 30 rows."""
    rows = draw(st.integers(0, 30))
    columns = {}
    for k in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["mixed", "mixed", "numbers", "one"]))
        if kind == "numbers":  # a column a parser would read once its marks are gone
            pool = st.one_of(grouped_number(), decimals, st.sampled_from(["", None, np.nan]))
        elif kind == "one":
            pool = st.just(draw(cells))
        else:
            pool = cells
        values = draw(st.lists(pool, min_size=rows, max_size=rows))
        dtype = draw(st.sampled_from(["str", object]))
        columns[f"c{k}"] = pd.Series(values, dtype=dtype)
    if draw(st.booleans()):
        columns["n"] = pd.Series(np.arange(rows, dtype=float))
    index = draw(st.sampled_from(["range", "shifted", "repeated"]))
    table = pd.DataFrame(columns)
    if index == "shifted":
        table.index = table.index + 7
    elif index == "repeated":
        table.index = [k // 2 for k in range(rows)]
    return table


@settings(
    max_examples=600,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    table=frames(),
    decimal=st.sampled_from([".", ","]),
    as_text=st.booleans(),
    skip=st.sampled_from([(), ("c0",), ("c1", "n")]),
)
def test_plain_numbers_gives_what_the_old_implementation_gave(table, decimal, as_text, skip):
    before = table.copy()
    expected = old_plain_numbers(table, decimal, skip=skip, as_text=as_text)
    got = plain_numbers(table, decimal, skip=skip, as_text=as_text)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    pd.testing.assert_frame_equal(table, before)  # the given table is not changed


@pytest.mark.parametrize(
    "decimal, cells, expected",
    [
        (".", ["1,234,567", "12 345", "Paris, 1er", "1,5", None], [1234567.0, 12345.0]),
        (",", ["1.234,5", "12\u00a0345", "0,25", "3,5e2", "12.345"], [1234.5, 12345.0]),
    ],
)
def test_known_cells_are_rewritten(decimal, cells, expected):
    """Hand-checked cells: grouped numbers lose their marks, decimal commas become points,
    names and single commas stay."""
    got = plain_numbers(pd.DataFrame({"c": pd.Series(cells, dtype=object)}), decimal)["c"]
    assert [float(got[0]), float(got[1])] == expected
    if decimal == ".":
        assert got[2] == "Paris, 1er" and got[3] == "1,5" and got[4] is None
    else:
        assert list(got[2:]) == ["0.25", "3.5e2", "12345"]


def _regex_calls(function):
    """``function()``, and the names of the calls it made to compiled regular expressions
    (``re.Pattern.match``, ``.sub``, ...: one per cell when a column is read cell by cell)."""
    calls = []

    def profile(frame, event, arg):
        if event == "c_call" and isinstance(getattr(arg, "__self__", None), re.Pattern):
            calls.append(arg.__name__)

    sys.setprofile(profile)
    try:
        result = function()
    finally:
        sys.setprofile(None)
    return result, calls


def test_a_big_column_is_searched_once_and_rewritten_only_where_marked():
    """A column of a million names with three grouped numbers and two names with a comma:
    a handful of regular-expression calls, not one or two per cell (a national
    sendai.csv took minutes so)."""
    values = np.array([f"Zone {k % 977}, nord" for k in range(1_000_000)], dtype=object)
    values[[5, 500_000, 700_000, 999_999]] = ["1,234", "Rue 12, 34", "Paris, 1er", "12 345 678"]
    table = pd.DataFrame({"name": values})
    got, calls = _regex_calls(lambda: plain_numbers(table)["name"])
    assert got[5] == "1234" and got[999_999] == "12345678"
    assert got[500_000] == "Rue 12, 34" and got[700_000] == "Paris, 1er"
    kept = table["name"].drop([5, 999_999])
    assert (got.drop([5, 999_999]) == kept).all()
    assert 0 < len(calls) <= 20, f"{len(calls)} calls ({sorted(set(calls))})"


# ------------------------------------------- sendai.csv saved again by a spreadsheet


def _resaved(path, out):
    """sendai.csv as French Excel saves it: ``;`` between fields, decimal commas."""
    table = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    for column in table.columns:
        numbers = pd.to_numeric(table[column].replace("", np.nan), errors="coerce")
        if numbers.notna().sum() and not (numbers.isna() & (table[column] != "")).any():
            table[column] = table[column].str.replace(".", ",", regex=False)
    table.to_csv(out, sep=";", index=False, encoding="utf-8-sig")
    head = out.read_text(encoding="utf-8-sig").split("\n", 1)[0]
    assert "," not in head and re.search(r"\d,\d", out.read_text(encoding="utf-8-sig"))


@pytest.fixture(scope="module")
def resaved_run(demo_folder, tmp_path_factory):
    """The demo's run folder, and a copy whose sendai.csv was saved again with ``;``."""
    original = demo_folder / "run"
    copy = tmp_path_factory.mktemp("resaved") / "run"
    shutil.copytree(original, copy)
    _resaved(original / "sendai.csv", copy / "sendai.csv")
    return original, copy


def _original_rows(run_dir):
    """The original sendai.csv's rows for everyone, B-1 to B-5 (read independently)."""
    table = pd.read_csv(
        run_dir / "sendai.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False
    )
    table = table[(table["breakdown"] == "") & table["indicator_code"].str.match(r"B-\d$")]
    return table[table["measure"].isin(["expected_annual", "scenario"])]


def test_map_popups_read_a_resaved_sendai_csv(resaved_run):
    from mecc.map_data import read_run
    from mecc.map_text import sendai_b1, sendai_b1_parts

    original, copy = resaved_run
    rows = _original_rows(original)
    run = read_run(copy)
    checked = 0
    for hazard in run.hazard_ids:
        mine = rows[(rows["hazard_id"] == hazard) & (rows["indicator_code"] == "B-1")]
        expected = {c: float(v) for c, v in zip(mine["admin_code"], mine["per_100k"], strict=True)}
        got = sendai_b1(run, hazard)
        assert got.keys() == expected.keys()
        assert all(got[c] == pytest.approx(expected[c], rel=1e-12) for c in expected)
        assert sendai_b1_parts(run, hazard) == sendai_b1_parts(read_run(original), hazard)
        checked += len(expected)
    assert checked > 10


def test_profiles_read_a_resaved_sendai_csv(resaved_run):
    from mecc.profiles import _read_sendai

    original, copy = resaved_run
    rows = _original_rows(original)
    rows = rows[rows["indicator_code"].isin(["B-1", "B-3", "B-4", "B-5"])]
    got = _read_sendai(copy / "sendai.csv")
    assert sum(len(v) for v in got.values()) == len(rows) > 10
    for row in rows.itertuples():
        label = (row.indicator_code, row.hazard_id, row.measure == "expected_annual")
        found = [(v, p) for lab, v, p in got[row.admin_code] if lab == label]
        value, per = float(row.value_number), float(row.per_100k)
        assert any(
            v == pytest.approx(value, rel=1e-12) and p == pytest.approx(per, rel=1e-12)
            for v, p in found
        ), (row.admin_code, label)
