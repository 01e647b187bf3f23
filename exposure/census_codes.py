"""Codes of census and per-zone tables: the census table, and the codes that match no unit.

A census table (OCHA COD-PS) often holds the rows of several levels, the country, its
provinces and its districts, while a command or a run uses some of them. A row whose
code is no unit of the levels used is one of two things:

- a code of **another level**: the country's code, a parent of units (a proper prefix of
  a unit's code, as P-codes are built: ``XMR01`` of ``XMR0101``) or a sub-unit (a code
  that extends a unit's: ``XMR010104`` of ``XMR0101``), a unit of another
  layer of the same boundaries file, or a total row (``Total``). It is left out or used
  as documented, with a warning (:func:`split_codes` says which codes these are);
- a code of **no unit at any level**: a typo (``XMR9999``), a code of another country.
  Its people or factors would be lost without a word, so :func:`refuse_codes` refuses
  it, naming the file, the column, the code(s), their rows and the closest unit codes.

Rows are numbered as the file numbers them: the header is row 1 (:func:`rows_of_file`),
in every message of the census and per-zone tables read here.
:func:`read_census_table` reads the table of ``mecc population from-census``.
"""

from __future__ import annotations

import difflib
import os
import warnings

import numpy as np
import pandas as pd

from mecc.errors import DataError, MeccWarning, read_input_table

__all__ = [
    "TOTAL_CODES",
    "closest_code",
    "code_rows",
    "other_layer_codes",
    "read_census_table",
    "refuse_codes",
    "rows_of_file",
    "split_codes",
]

TOTAL_CODES = frozenset({"total", "totals", "grand total", "sum", "all"})
"""Codes of a total row (compared case-blind): the whole table, not a unit."""

SHOWN_ROWS = 5
"""Rows named per code in messages (the others are counted)."""


def warn_note(notes: list, message: str) -> None:
    """Warn (:class:`MeccWarning`) and keep the message in ``notes``."""
    warnings.warn(message, MeccWarning, stacklevel=3)
    notes.append(message)


def listed(codes, n=8) -> str:
    """The first ``n`` codes, then how many in all."""
    codes = list(codes)
    return ", ".join(codes[:n]) + (f", … ({len(codes)} in all)" if len(codes) > n else "")


def rows_of_file(rows, *, short: bool = False) -> str:
    """``"row 14 of the file (the header is row 1)"``, or ``"rows 3, 4 of the file ..."``:
    the one way the messages here number a file's rows (``short``: ``"rows 3, 4"``, for a
    message that says the rest once)."""
    rows = [int(r) for r in rows]
    shown = ", ".join(map(str, rows[:SHOWN_ROWS]))
    more = f" and {len(rows) - SHOWN_ROWS} more" if len(rows) > SHOWN_ROWS else ""
    text = f"row{'s' if len(rows) > 1 else ''} {shown}{more}"
    return text if short else f"{text} of the file (the header is row 1)"


# ----------------------------------------------------------------------- the table


def _read_lines(path, what: str, label: str, **options) -> pd.DataFrame:
    """A CSV table read as text, its index the rows of the file (header = row 1, blank
    lines counted); fully blank lines are left out."""
    raw = read_input_table(path, what, label, skip_blank_lines=False, **options)
    text = raw.astype("string").fillna("")
    blank = text.apply(lambda column: column.str.strip() == "").all(axis=1)
    raw = raw.loc[~blank.to_numpy()]
    raw.index = raw.index + 2
    return raw


def read_census_table(path, code_column: str, value_column: str, notes: list | None = None):
    """Read a census table: ``{code: count}`` with duplicate codes summed (with a warning).

    Returns ``(counts, duplicates)``: a Series of float64 counts indexed by code (str),
    in first-appearance order, and ``{code: rows}`` for codes that appeared more than once.
    Messages name the rows of the file (the header is row 1).
    """
    notes = [] if notes is None else notes
    label = os.fspath(path)
    raw = _read_lines(label, "census table", label, dtype=str, keep_default_na=False)
    for option, column in (("table code", code_column), ("table value", value_column)):
        if column not in raw.columns:
            raise DataError(
                f"{label}: no column {column!r} (the {option} column); columns: "
                f"{', '.join(raw.columns)}"
            )
    codes = raw[code_column].fillna("").str.strip()
    text = raw[value_column].fillna("").str.strip()
    values = pd.to_numeric(text, errors="coerce")
    bad = values.isna() | ~np.isfinite(values.to_numpy(np.float64, na_value=np.nan))
    if bad.any():
        row = values.index[bad.to_numpy()][0]
        raise DataError(
            f"{label}: column {value_column}: {rows_of_file([row])}: "
            f"{raw[value_column].loc[row]!r} is not a number"
        )
    if (values < 0).any():
        row = values.index[(values < 0).to_numpy()][0]
        raise DataError(f"{label}: column {value_column}: {rows_of_file([row])}: negative count")
    if (codes == "").any():
        row = codes.index[(codes == "").to_numpy()][0]
        raise DataError(f"{label}: column {code_column}: {rows_of_file([row])} has no code")
    frame = pd.DataFrame({"code": codes, "value": values.astype(np.float64)})
    sizes = frame.groupby("code", sort=False).size()
    duplicates = {str(c): int(n) for c, n in sizes[sizes > 1].items()}
    if duplicates:
        warn_note(
            notes,
            f"{label}: {len(duplicates)} code(s) appear more than once and were summed "
            f"({listed(duplicates)})",
        )
    counts = frame.groupby("code", sort=False)["value"].sum()
    return counts, duplicates


# ------------------------------------------------------------------------ the codes


def split_codes(unknown, unit_codes, also=()) -> tuple[list[str], list[str]]:
    """Split codes that are no unit into those of another level and those of none.

    Parameters
    ----------
    unknown : iterable of str
        Codes of a table that are no unit of the levels used.
    unit_codes : iterable of str
        The units' codes (every level used).
    also : iterable of str
        Codes of other levels known otherwise: the country's, another layer's units.

    Returns
    -------
    other_level, no_level : list of str
        ``other_level``: in ``also``, a total row (:data:`TOTAL_CODES`), a proper prefix
        of a unit's code (a parent, as P-codes are built) or a code a unit's code is a
        proper prefix of (a sub-unit of a finer level: an admin-3 row against admin-2
        units); ``no_level``: the rest, in the order given.
    """
    if not unknown:
        return [], []
    prefixes = set()
    for code in unit_codes:
        code = str(code)
        prefixes.update(code[:n] for n in range(1, len(code)))
    known = prefixes | {str(c) for c in also}
    units = {str(c) for c in unit_codes}
    other, none = [], []
    for code in unknown:
        code = str(code)
        finer = any(code[:n] in units for n in range(1, len(code)))  # a unit's sub-unit
        fits = code in known or finer or code.strip().casefold() in TOTAL_CODES
        (other if fits else none).append(code)
    return other, none


def closest_code(code: str, codes) -> str | None:
    """The unit code closest to ``code``: the same but for case, else the closest by
    :mod:`difflib` (None when none is close)."""
    codes = [str(c) for c in codes]
    same = [c for c in codes if c.casefold() == str(code).casefold()]
    close = same or difflib.get_close_matches(str(code), codes, n=1, cutoff=0.6)
    return close[0] if close else None


def code_rows(path, column: str, codes, what: str, label: str) -> dict[str, list[int]]:
    """Rows of the file (header = row 1) holding each of ``codes`` in ``column``
    (messages only: ``{}`` when the file cannot be read so)."""
    try:
        raw = _read_lines(path, what, label, codes=[column])
    except (DataError, OSError, ValueError):  # (InputFileError is an OSError)
        return {}
    if column not in raw.columns:
        return {}
    text = raw[column].astype("string").fillna("").str.strip()
    return {str(c): [int(r) for r in text.index[(text == str(c)).to_numpy()]] for c in codes}


def refuse_codes(no_level, rows: dict, where: str, units, of: str) -> None:
    """Refuse codes that are no unit at any level, in one line.

    Parameters
    ----------
    no_level : list of str
        From :func:`split_codes` (nothing is raised when empty).
    rows : dict
        Code -> rows of the file (:func:`code_rows`).
    where : str
        The file and its column (``"run.yaml.population.official (census.csv).pcode"``).
    units : iterable of str
        Codes a typo may be of (for the suggestion).
    of : str
        What the codes are not units of (``"the run's zones"``).

    Raises
    ------
    DataError
    """
    if not no_level:
        return
    units = list(units)
    named, hints = [], []
    for code in no_level[:3]:
        found = rows.get(code) or []
        close = closest_code(code, units)
        named.append(f"{code!r}" + (f" in {rows_of_file(found, short=True)}" if found else ""))
        hints.append(f" (did you mean {close!r}?)" if close else "")
    rows_said = "; rows of the file, the header is row 1" if any(rows.values()) else ""
    unit = f"no unit at any level of {of}, nor a parent of one, nor the country"
    if len(no_level) == 1:
        raise DataError(
            f"{where}: {named[0]} is {unit}{hints[0]}{rows_said}; correct the code or "
            "remove the row, else its figures are lost"
        )
    more = f" and {len(no_level) - 3} more" if len(no_level) > 3 else ""
    listed_codes = ", ".join(n + h for n, h in zip(named, hints, strict=True))
    raise DataError(
        f"{where}: {len(no_level)} codes are {unit}: {listed_codes}{more}{rows_said}; correct "
        "the codes or remove the rows, else their figures are lost"
    )


def other_layer_codes(path, layer: str | None, code_field: str) -> set[str]:
    """Codes (``code_field``) of the units of the other layers of a boundaries file (a
    GeoPackage with provinces and districts); empty for a file of one layer, or layers
    without that field."""
    try:
        import pyogrio

        layers = [str(name) for name, _ in pyogrio.list_layers(os.fspath(path))]
    except Exception:  # a message's detail only (the file was read already)
        return set()
    found: set[str] = set()
    for name in layers:
        if name == layer or (layer is None and name == layers[0]):
            continue
        try:
            frame = pyogrio.read_dataframe(
                os.fspath(path), layer=name, columns=[code_field], read_geometry=False
            )
        except Exception:  # a layer of another kind: not a level
            continue
        if code_field in frame.columns:
            found.update(frame[code_field].dropna().astype(str).str.strip())
    return found
