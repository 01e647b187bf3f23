"""The CSV files of a run: UTF-8 with a byte-order mark, text cells safe in spreadsheets.

Every CSV output of mecc is written by :func:`write_csv` (or from :func:`csv_text`, as
the Sendai writers do): UTF-8 with a byte-order mark so that spreadsheet programs open
names in French and Spanish correctly (readers use ``utf-8-sig``), no index, LF line
ends, full float precision.

Names come from outside files (COD-AB boundaries, site lists) and the CSVs are meant to
be opened in a spreadsheet, which runs a cell beginning with ``=``, ``+``, ``-`` or ``@``
as a formula (CSV injection: ``=HYPERLINK(...)``, ``=cmd|...``). Following the OWASP
guidance, a text cell beginning with one of those, a tab or a carriage return is written
with a leading single quote (``'=HYPERLINK(...)``), which spreadsheet programs show as
text; numbers are never changed (``-5`` stays ``-5``, in a column of numbers or as a
text cell that is a plain number). A text cell that already begins with quotes before
one of those characters gets one quote more, so :func:`unescaped_cell` (used by mecc's
reader of a run's tables, :func:`mecc.run_folder.read_run_table`) gives every cell back
exactly as it was.

A spreadsheet that opens a table and saves it again also reads a code of digits as a
number, so ``0101`` comes back as ``101``. :func:`restored_codes` gives such codes back
by the run's own codes (a code read matches the one run code of the same digits with
the zeros in front) and refuses a code that matches more than one in one line
(:class:`LostZerosError`): the figures of a unit are never dropped or given to another.
"""

from __future__ import annotations

import re

from mecc.errors import DataError

__all__ = [
    "CODE_COLUMNS",
    "FORMULA_STARTS",
    "LostZerosError",
    "csv_text",
    "escaped_cell",
    "restored_codes",
    "unescaped_cell",
    "unescaped_cells",
    "write_csv",
]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""The first characters that make a spreadsheet read a cell as a formula (OWASP)."""
_ESCAPED = re.compile(r"'+[=+\-@\t\r]")
"""A cell as written escaped: quotes, then one of :data:`FORMULA_STARTS`."""
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
"""A plain number (``-5``, ``+1.5e3``): a spreadsheet reads it as a number, not a formula."""
_DIGITS = re.compile(r"[0-9]+")
_AS_NUMBER = re.compile(r"0|[1-9][0-9]*")
"""A code of digits as a spreadsheet writes the number it read: no leading zero."""
CODE_COLUMNS = ("zone_code", "parent_code", "admin_code", "from_zone", "to_zone")
"""Columns of a run's tables holding the codes of its units (:func:`restored_codes`)."""


class LostZerosError(DataError):
    """A table's code lost its leading zeros and may be more than one code of the run."""


def write_csv(frame, path) -> None:
    """Write a DataFrame as UTF-8 CSV with a byte-order mark (:func:`csv_text`)."""
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        handle.write(csv_text(frame))


def csv_text(frame) -> str:
    """The CSV text of a table: no index, LF line ends, full float precision.

    A text cell that a spreadsheet would run as a formula is written with a leading
    single quote (:func:`escaped_cell`). A carriage return inside a text cell is written
    as a line feed: with LF line ends the csv module quotes a field holding a line feed
    but not one holding only a carriage return, which readers take for the end of a
    row (an admin name ``"A\\rB"`` split its row in two). The caller's table is left as
    it is.
    """
    cleaned = None
    for k in range(frame.shape[1]):
        column = frame.iloc[:, k]
        changed = _changed_values(column, _written)
        if changed:
            if cleaned is None:
                cleaned = frame.copy()
            cleaned.isetitem(k, column.astype(object).map(lambda v, c=changed: c.get(v, v)))
    return (frame if cleaned is None else cleaned).to_csv(index=False, lineterminator="\n")


def escaped_cell(value):
    """A text cell as written: with a leading ``'`` if it begins with one of
    :data:`FORMULA_STARTS` (not a plain number) or with quotes before one of them;
    anything else (numbers, missing values, other text) as it is."""
    if not isinstance(value, str) or not value:
        return value
    if value[0] == "'":
        return "'" + value if _ESCAPED.match(value) else value
    if value[0] in FORMULA_STARTS and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def unescaped_cell(value):
    """A cell as :func:`escaped_cell` was given it: one leading ``'`` removed from a text
    cell of quotes followed by one of :data:`FORMULA_STARTS`."""
    if isinstance(value, str) and value[:1] == "'" and _ESCAPED.match(value):
        return value[1:]
    return value


def unescaped_cells(frame):
    """``frame`` (a table read from a CSV mecc wrote) with every text cell unescaped
    (:func:`unescaped_cell`), changed in place and returned."""
    for k in range(frame.shape[1]):
        column = frame.iloc[:, k]
        changed = _changed_values(column, unescaped_cell)
        if changed:
            frame.isetitem(k, column.map(lambda v, c=changed: c.get(v, v)))
    return frame


def _written(value):
    if isinstance(value, str) and "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return escaped_cell(value)


def _changed_values(column, change) -> dict:
    """``{value: change(value)}`` for the text values of a column that ``change`` alters
    (each distinct value once: a column repeats its names); empty for numbers."""
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    if is_numeric_dtype(column.dtype) or is_bool_dtype(column.dtype):
        return {}
    try:
        values = column.unique()
    except TypeError:  # unhashable cells (lists): none is text
        return {}
    changed = {}
    for value in values:
        if isinstance(value, str):
            new = change(value)
            if new != value:
                changed[value] = new
    return changed


def restored_codes(frame, path, run_codes):
    """``frame`` with the unit codes a spreadsheet stripped of leading zeros given back.

    A column of :data:`CODE_COLUMNS` has lost its zeros when a code in it is none of the
    run's codes but is one of them without its leading zeros (``101`` for ``0101``).
    Then each code of digits without a leading zero in that column becomes the one run
    code of the same width it is the zero-padded form of (``1`` -> ``01``; a code that is
    already a run code and matches no other stays). Columns without such a code are left
    as they are.

    Parameters
    ----------
    frame : pandas.DataFrame
        A run's table as read (changed in place and returned).
    path : path
        The table's file, for the message.
    run_codes : callable
        Gives the run's own codes (or None when it has none to compare with); called
        only when a column holds codes of digits without a leading zero.

    Raises
    ------
    LostZerosError
        A code whose zeros were lost that matches several codes of the run (``1`` of a
        run with ``01`` and ``001``), naming the file and the column (exit code 1).
    """
    from pandas.api.types import is_numeric_dtype

    digits = {}
    for column in CODE_COLUMNS:
        if column in frame.columns and not is_numeric_dtype(frame[column].dtype):
            values = frame[column].unique()
            found = [v for v in values if isinstance(v, str) and _AS_NUMBER.fullmatch(v)]
            if found:
                digits[column] = found
    known = set(run_codes() or ()) if digits else set()
    if not known:
        return frame
    padded: dict = {}  # the digits without leading zeros -> the run's codes
    for code in known:
        if _DIGITS.fullmatch(code):
            padded.setdefault(code.lstrip("0"), []).append(code)
    for column, values in digits.items():
        matches = {
            v: sorted(c for c in padded.get(v.lstrip("0"), ()) if len(c) >= len(v)) for v in values
        }
        if not any(v not in known and matches[v] for v in values):
            continue  # the column kept its zeros (or has codes of another kind)
        change = {}
        for value, codes in matches.items():
            if len(codes) > 1:
                either = f"{', '.join(codes[:-1])} or {codes[-1]}"
                raise LostZerosError(
                    f"{path}: {column} {value} lost its leading zeros (a spreadsheet saved"
                    f" the file again) and may be {either}; copy the run folder whole or"
                    " run again (mecc run)"
                )
            if codes and codes[0] != value:
                change[value] = codes[0]
        series = frame[column].copy()
        lost = series.isin(list(change))
        series[lost] = series[lost].map(change)
        frame[column] = series
    return frame
