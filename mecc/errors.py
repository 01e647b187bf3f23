"""Errors and warnings raised by the toolkit.

Every error derives from :class:`MeccError` and from the built-in exception that
matches it, so callers can catch either. Each class carries the process exit code
the command line maps it to (the run contract in DESIGN.md):

- 1: bad data (a file or value that cannot be used),
- 2: bad usage (options, configuration syntax, unknown keys),
- 3: internal error (a bug; never raised on purpose).

:func:`read_input_table` reads the CSV tables users give (census counts, tracks,
curves, event and zone tables) and turns every way such a file can fail into one of
these errors: one line naming the file (and the run-file key that points to it). A file
that is not UTF-8 is refused with the fix ("save it as CSV UTF-8") rather than decoded
by guess, which would change the names in it without a word. It lives here so that
``hazards`` and ``exposure``, which may use only the engine base (DESIGN.md), share it;
so does :func:`did_you_mean`, which ends a "not found" message for a path the user gave
with the existing paths closest to it.
"""

from __future__ import annotations

import os
import re

import numpy as np

__all__ = [
    "AlignmentError",
    "ConfigError",
    "CurveError",
    "DataError",
    "DuplicateZoneCodeError",
    "InputFileError",
    "MeccError",
    "MeccWarning",
    "MissingCRSError",
    "NeedsProfileError",
    "NoOverlapError",
    "OutputExistsError",
    "ResamplingWarning",
    "UnsupportedKeyError",
    "did_you_mean",
    "error_reason",
    "nearby_paths",
    "plain_numbers",
    "read_input_table",
    "yaml_syntax_error",
]

EXIT_BAD_DATA = 1
EXIT_BAD_USAGE = 2
EXIT_INTERNAL = 3


class MeccError(Exception):
    """Root of every error the toolkit raises on purpose."""

    exit_code = EXIT_BAD_DATA


class DataError(MeccError, ValueError):
    """An input file or value cannot be used (exit code 1)."""


class InputFileError(MeccError, OSError):
    """An input file is missing, unreadable or corrupt (exit code 1)."""


class MissingCRSError(DataError):
    """A raster or vector layer has no coordinate reference system (or no georeference)."""


class NoOverlapError(DataError):
    """Two layers that must overlap do not (different places or CRS mix-up)."""


class AlignmentError(DataError):
    """Grids cannot be aligned (rotated transforms, unsupported resampling)."""


class DuplicateZoneCodeError(DataError):
    """Two admin units of one level share a code."""


class CurveError(DataError):
    """A displacement curve is malformed (non-monotone intensity, share outside [0, 1])."""


class ConfigError(MeccError, ValueError):
    """The run file is malformed: YAML syntax, unknown keys, wrong types (exit code 2)."""

    exit_code = EXIT_BAD_USAGE


class UnsupportedKeyError(ConfigError):
    """A documented run-file key that this version does not implement yet."""


class NeedsProfileError(DataError, ConfigError):
    """A needs profile that is not well formed: the user's own file or option, so exit 2
    (a usage error, as ``--household-size``); still a :class:`DataError` for callers."""

    exit_code = EXIT_BAD_USAGE


class OutputExistsError(MeccError, FileExistsError):
    """The output folder holds a previous run and ``overwrite`` was not requested."""

    exit_code = EXIT_BAD_USAGE


class MeccWarning(UserWarning):
    """Root of the toolkit's warnings; runs record each in manifest.json."""


class ResamplingWarning(MeccWarning):
    """Population totals changed while resampling onto the analysis grid."""


# ------------------------------------------------------------- users' CSV tables


_MISSING_MARKS = (
    *("", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND"),
    *("1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"),
)
"""The texts pandas reads as missing by default (its documented ``na_values``)."""


def read_input_table(path, what: str, label: str | None = None, *, codes=(), **options):
    """Read a user's CSV table; header names are stripped of surrounding spaces.

    Parameters
    ----------
    path : str or os.PathLike
    what : str
        What the table is, for messages: ``"census table"``, ``"track file"``.
    label : str, optional
        Where the path comes from (e.g. ``"run.yaml.hazards[0].protection_rp"``); the
        messages then name it and the path. Without it they name the path.
    codes : sequence of str, optional
        Columns of codes and names, read as written: ``NA`` (Namibia), ``null`` or
        ``007`` stay text; only an empty cell is missing. Other columns keep pandas'
        reading (numbers, and its default marks of missing values).
    **options
        Passed to :func:`pandas.read_csv` (``dtype``, ``keep_default_na``, ``comment``,
        ...); the encoding is always UTF-8, with or without a byte-order mark.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    InputFileError
        The file is missing, is not UTF-8 text or is not CSV.
    DataError
        The file is empty (not even a header).
    """
    import pandas as pd  # here, so that importing the errors stays light

    path = os.fspath(path)
    where = path if label is None else label
    if not os.path.isfile(path):
        found = "" if label is None or label == path else f" ({path})"
        raise InputFileError(f"{where}: {what} not found{found}{did_you_mean(path, label)}")
    dialect = {}
    if "sep" not in options and "delimiter" not in options:
        dialect = _spreadsheet_dialect(path, options.get("comment"))
        options = {**options, **dialect}
    try:
        if codes:
            shape = {
                k: v for k, v in options.items() if k in {"comment", "sep", "skipinitialspace"}
            }
            header = pd.read_csv(path, encoding="utf-8-sig", nrows=0, **shape).columns
            options = _verbatim_codes(header, codes, options)
        table = pd.read_csv(path, encoding="utf-8-sig", **options)
    except pd.errors.EmptyDataError:
        raise DataError(f"{where}: the {what}{_named(path, label)} is empty") from None
    except UnicodeDecodeError:
        if _is_workbook(path):
            raise InputFileError(
                f"{where}: the {what}{_named(path, label)} is a spreadsheet workbook, not a "
                "CSV table; save the sheet as CSV UTF-8"
            ) from None
        raise InputFileError(
            f"{where}: the {what}{_named(path, label)} is not UTF-8 text "
            f"({_first_bad_byte(path)}); save it as CSV UTF-8"
        ) from None
    except (OSError, pd.errors.ParserError, ValueError) as error:
        raise InputFileError(
            f"{where}: cannot read the {what}{_named(path, label)} ({error_reason(error)})"
        ) from None
    table.columns = [str(column).strip() for column in table.columns]
    blank = _separator_lines_at_end(path, options.get("sep") or options.get("delimiter") or ",")
    table = table.iloc[: max(len(table) - blank, 0)]  # rows keep their line numbers
    as_text = options.get("dtype") is str
    return plain_numbers(table, dialect.get("decimal", "."), skip=codes, as_text=as_text)


def plain_numbers(table, decimal: str = ".", *, skip=(), as_text: bool = True):
    """Numbers a spreadsheet wrote for people, as plain numbers a parser reads.

    A cell that is a whole number with digit grouping (``1,234,567``; ``1.234.567`` where
    the decimal mark is a comma; ``12 345`` with a space or a no-break space, as French
    Excel writes it) loses its group marks, and a decimal comma becomes a point
    (``1.234,5`` -> ``1234.5``). Without this, ``12.345`` people in a table from Spanish
    or German Excel would be read as twelve. Cells that are anything else (names such
    as "Paris, 1er", codes, dates) are left as they are, and so are the ``skip`` columns.

    Parameters
    ----------
    table : pandas.DataFrame
    decimal : {".", ","}
        The file's decimal mark.
    skip : sequence of str
        Columns of codes and names.
    as_text : bool
        Keep text columns as text (the reader parses its own numbers); when False, a
        column whose every non-empty cell is now a number becomes numeric.

    Returns
    -------
    pandas.DataFrame
        A new frame; ``table`` is not changed.
    """
    import pandas as pd

    table = table.copy(deep=False)  # columns are replaced, never changed in place
    for column in table.columns:
        values = table[column]
        if column in skip or pd.api.types.is_numeric_dtype(values):
            continue
        where, text = _rewritten_cells(values, decimal)
        if not len(where):
            continue
        changed = np.zeros(len(values), dtype=bool)
        changed[where] = True
        if not as_text:
            whole = values.astype("string")
            whole.iloc[where] = text.to_numpy()
            stripped = whole.str.strip()
            numbers = pd.to_numeric(stripped.replace("", pd.NA), errors="coerce")
            if not (numbers.isna() & whole.notna() & (stripped != "")).any():
                table[column] = numbers.astype("float64")
                continue
        other = np.full(len(values), None, dtype=object)
        other[where] = text.to_numpy(dtype=object)
        table[column] = values.where(~changed, pd.Series(other, index=values.index))
    return table


def _rewritten_cells(values, decimal: str):
    """The cells of a text column that :func:`plain_numbers` rewrites: their positions
    and new texts.

    Only a cell with a mark between two digits can change, and a column repeats its
    texts (a national sendai.csv: millions of rows, a few hundred names). So each
    distinct text is looked at once: they are joined, one a line, and searched once for
    a mark between digits, and only the texts found are rewritten one by one.
    """
    import pandas as pd

    marks = ",. \u00a0\u202f" if decimal == "," else ", \u00a0\u202f"
    nothing = np.zeros(0, dtype=np.int64), pd.Series([], dtype="string")
    joined = "\n".join(values.dropna().astype(str).tolist())
    if not any(mark in joined for mark in marks):
        return nothing  # no mark at all (most columns)
    del joined
    codes, distinct = pd.factorize(np.asarray(values, dtype=object))  # missing: -1
    cells = pd.Series(distinct, dtype=object).astype(str).tolist()
    joined = "\n".join(cells)
    hits = [found.start() for found in _MARKED[decimal].finditer(joined)]
    if not hits:
        return nothing
    lengths = np.fromiter(map(len, cells), dtype=np.int64, count=len(cells))
    starts = np.cumsum(lengths + 1) - (lengths + 1)  # where each text begins in ``joined``
    found = np.searchsorted(starts, hits, side="right") - 1  # in order, repeated
    candidates = found[np.r_[True, found[1:] != found[:-1]]]
    before = pd.Series(distinct[candidates], dtype=object).astype("string").tolist()
    grouped, group_marks = _GROUPED[decimal], _GROUP_MARKS[decimal]
    text = [group_marks.sub("", cell) if grouped.match(cell) else cell for cell in before]
    if decimal == ",":
        text = [_DECIMAL_COMMA.sub(_point, cell) if "," in cell else cell for cell in text]
    changed = np.fromiter(map(str.__ne__, text, before), dtype=bool, count=len(text))
    new = np.full(len(distinct) + 1, -1, dtype=np.int64)  # the last one: missing cells
    new[candidates[changed]] = np.arange(changed.sum())
    where = np.flatnonzero(new[codes] >= 0)
    texts = np.array([cell for cell, c in zip(text, changed, strict=True) if c], dtype=object)
    return where, pd.Series(texts[new[codes[where]]], dtype="string")


def _point(match) -> str:
    """A number written with a decimal comma (:data:`_DECIMAL_COMMA`), with a point."""
    return f"{match[1]}.{match[2]}"


_GROUPED = {
    mark: re.compile(
        rf"^\s*[-+]?[1-9]\d{{0,2}}(?P<g>[{group} \u00a0\u202f])\d{{3}}(?:(?P=g)\d{{3}})*"
        rf"(?:\{mark}\d+)?\s*$"
    )
    for mark, group in ((".", ","), (",", "."))
}
"""A whole cell that is a number with digit grouping, by the file's decimal mark."""
_GROUP_MARKS = {".": re.compile("[, \u00a0\u202f]"), ",": re.compile("[. \u00a0\u202f]")}
"""The marks a grouped number loses, by the file's decimal mark."""
_MARKED = {
    ".": re.compile("\\d[, \u00a0\u202f]\\d[^\n]*"),
    ",": re.compile("\\d[,. \u00a0\u202f]\\d[^\n]*"),
}
"""A mark between two digits (and the rest of the line: one hit per joined cell)."""


def _separator_lines_at_end(path: str, sep: str) -> int:
    """How many lines at the end of the file hold nothing but separators (``,,,``: Excel
    leaves them under a table that was once longer, and they are read as empty rows)."""
    with open(path, "rb") as file:
        file.seek(0, os.SEEK_END)
        file.seek(max(0, file.tell() - (1 << 16)))
        tail = file.read().decode("utf-8", errors="replace")
    count = 0
    for line in reversed(tail.splitlines()):
        if not line.strip():
            continue  # blank lines are no rows
        if line.strip(f"{sep} \t"):
            break
        count += 1
    return count


_DECIMAL_COMMA = re.compile(r"^(\s*[-+]?\d+),(\d+(?:[eE][-+]?\d+)?\s*)$")
"""A number written with a decimal comma (the whole cell); names with commas are left."""


def _spreadsheet_dialect(path: str, comment: str | None) -> dict:
    """``sep`` and ``decimal`` of a table saved by a spreadsheet program in another locale.

    Excel in French or Spanish saves "CSV" with ``;`` between fields and ``,`` as the
    decimal mark, and "Unicode text" with tabs. A header line holding ``;`` (or a tab)
    and no ``,`` is read so, with a decimal comma when a digit, comma, digit appears, or
    when every number written with a point is grouped by thousands (``12.345``, as such
    a locale writes whole numbers; ``0.25`` or ``1.5`` anywhere means decimal points).
    """
    try:
        with open(path, "rb") as handle:
            head = handle.read(1 << 16).decode("utf-8-sig", errors="replace")
    except OSError:
        return {}  # read_csv says what is wrong
    lines = (line for line in head.splitlines() if line.strip())
    header = next((x for x in lines if not (comment and x.lstrip().startswith(comment))), "")
    if "," in header:
        return {}
    for sep in (";", "\t"):
        if sep in header:
            dotted = re.findall(r"(?<![\w.,])\d+(?:\.\d+)+(?![\w.,])", head)
            grouped = dotted and all(re.fullmatch(r"[1-9]\d{0,2}(?:\.\d{3})+", n) for n in dotted)
            comma = re.search(r"\d,\d", head) or grouped
            return {"sep": sep, "decimal": ","} if comma else {"sep": sep}
    return {}


def _verbatim_codes(header, codes, options: dict) -> dict:
    """``read_csv`` options that read the ``codes`` columns as text, missing only when
    empty, and every other column with pandas' default marks of missing values."""
    wanted = set(codes)
    verbatim = [column for column in header if str(column).strip() in wanted]
    dtype = options.get("dtype")
    if dtype is None or isinstance(dtype, dict):
        dtype = {**(dtype or {}), **dict.fromkeys(verbatim, str)}
    na_values = {column: [""] if column in verbatim else list(_MISSING_MARKS) for column in header}
    return {**options, "dtype": dtype, "keep_default_na": False, "na_values": na_values}


def _named(path: str, label: str | None) -> str:
    """The file's name, when the label does not already say it."""
    name = os.path.basename(path)
    return "" if label is None or name in label else f" {name}"


def _is_workbook(path: str) -> bool:
    """An Excel or OpenDocument workbook (a ZIP package, or Excel 97's OLE2 file)."""
    with open(path, "rb") as file:
        return file.read(4) in (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")


def _first_bad_byte(path: str) -> str:
    """Where a file first stops being UTF-8, as "byte 0xE3 on line 3"."""
    with open(path, "rb") as file:
        data = file.read()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        return f"byte 0x{data[error.start]:02X} on line {line}"
    return "a byte that is not UTF-8"


def yaml_syntax_error(error) -> str:
    """A YAML parser's error as one line: "YAML syntax error at line 3, column 5: ..."."""
    mark = getattr(error, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    problem = getattr(error, "problem", None) or error_reason(error)
    return f"YAML syntax error{where}: {problem}"


def error_reason(error: Exception) -> str:
    """The first line of an exception's message (its type's name if it has none), for
    one-line errors that quote a library's reason."""
    text = str(error).strip()
    if error.__cause__ is not None and "previous exception" in text:
        return error_reason(error.__cause__)  # rasterio's "Read failed. See previous ..."
    return text.splitlines()[0] if text else type(error).__name__


_WINDOWS_PATH = re.compile(r"file not found \((?=[^)]*(?:\\|\b[A-Za-z]:[\\/]))")


def path_hint(message: str) -> str:
    """``message`` with a hint when a file not found was written as a Windows path (a
    drive letter or backslashes) on a system that reads neither."""
    if os.sep == "/" and _WINDOWS_PATH.search(message):
        return (
            f"{message}; on Linux and macOS write paths with / (not \\) and without a drive "
            "letter: relative to the run file's folder, or from /"
        )
    return message


# ------------------------------------------------------------- paths that are not there


def did_you_mean(path, written: str | None = None, *, accept=None) -> str:
    """A suffix naming the existing paths closest to a missing one: ``" (did you mean
    inputs/run.yaml?)"``, or ``""`` when none is close.

    Parameters
    ----------
    path : str or os.PathLike
        The path looked for: absolute, or relative to the current folder (a path given on
        the command line is shown back as the user typed it).
    written : str, optional
        How the user wrote it, when ``path`` is that joined to a folder (a run file's path,
        joined to the run file's folder): the suggestions are then written relative to
        that folder, as they would be in the run file. A label ending with the path as
        written, in parentheses (``"run.yaml.zones[0].path (admin.gpk)"``), is read so.
    accept : callable, optional
        Which existing paths may be suggested (default: any file or folder).

    Returns
    -------
    str
        At most two names (:func:`nearby_paths`).
    """
    path = os.fspath(path)
    names = nearby_paths(path, accept=accept)
    base = _written_base(path, written)
    if base is not None:
        names = [os.path.relpath(name, base or os.curdir) for name in names]
    return f" (did you mean {' or '.join(names)}?)" if names else ""


def nearby_paths(path, *, accept=None) -> list[str]:
    """At most two existing paths close to a missing one, written as ``path`` is.

    A misspelt name (``event.csv`` for ``events.csv``, ``run.yml`` for ``run.yaml``) is
    matched in its folder (:mod:`difflib`, ignoring case), and a misspelt folder on the
    way to it (``input/`` for ``inputs/``) among its siblings. When no name is close,
    the same name is looked for one folder below the nearest existing folder and, when
    a folder of the path does not exist, in that nearest folder itself.

    Parameters
    ----------
    path : str or os.PathLike
    accept : callable, optional
        Which existing paths count (default: :func:`os.path.exists`).

    Returns
    -------
    list of str
        Best first; empty when nothing is close (or the folders cannot be read).
    """
    accept = accept or os.path.exists
    path = os.fspath(path)
    stripped = path.rstrip("/" + os.sep)
    folder, name = os.path.split(stripped or path)
    lost = []  # folders of the path that do not exist, below the nearest one that does
    while folder and not os.path.isdir(folder):
        parent, part = os.path.split(folder)
        if parent == folder:
            return []
        folder, lost = parent, [part, *lost]
    if not name:
        return []
    try:
        found = _respelt(folder, [*lost, name], accept)
        if not found:
            found = _same_name(path, folder, name, accept, bool(lost))
    except OSError:
        return []
    return found[:2]


def _respelt(folder: str, parts: list, accept) -> list[str]:
    """``parts`` below ``folder``, each missing one replaced by its closest sibling."""
    for k, part in enumerate(parts):
        last = k == len(parts) - 1
        here = os.path.join(folder, part)
        if not last and os.path.isdir(here):
            folder = here
            continue
        names = _entries(folder)
        if last:
            if accept(here) and k > 0:  # the name, in a respelt folder
                return [here]
            names = [n for n in names if n != part and accept(os.path.join(folder, n))]
            return [os.path.join(folder, n) for n in _closest(part, names, most=2)]
        names = [n for n in names if os.path.isdir(os.path.join(folder, n))]
        best = _closest(part, names, most=1)
        if not best:
            return []
        folder = os.path.join(folder, best[0])
    return []


def _same_name(path: str, folder: str, name: str, accept, lost: bool) -> list[str]:
    """``name`` in ``folder`` (when the path's own folder is ``lost`` below it), else in
    its subfolders: the nearest that has it."""
    tiers = [[folder]] if lost else []
    tiers.append([os.path.join(folder, n) for n in _entries(folder)])
    given = os.path.normpath(path)
    for places in tiers:
        found = [os.path.join(p, name) for p in places if os.path.isdir(p or os.curdir)]
        found = sorted(p for p in found if os.path.normpath(p) != given and accept(p))
        if found:
            return found
    return []


def _entries(folder: str, most: int = 2000) -> list[str]:
    """The names in ``folder`` (sorted; the first ``most`` of a huge folder)."""
    with os.scandir(folder or os.curdir) as scan:
        names = [entry.name for _, entry in zip(range(most), scan, strict=False)]
    return sorted(n for n in names if not n.startswith("."))


def _closest(name: str, names: list, most: int) -> list[str]:
    """The names most like ``name`` (ignoring case): a second one only when about as close."""
    import difflib

    matcher = difflib.SequenceMatcher(b=name.lower())
    scored = []
    for other in names:
        matcher.set_seq1(other.lower())
        score = matcher.ratio()
        if score >= 0.75:
            scored.append((-score, other))
    scored.sort()
    return [n for s, n in scored[:most] if s <= scored[0][0] + 0.05]


def _written_base(path: str, written: str | None) -> str | None:
    """The folder ``written`` was joined to, making ``path`` (None when it was not)."""
    if not written:
        return None
    for text in (written, *re.findall(r"\(([^()]+)\)$", written)):
        if os.path.isabs(text) or not path.endswith(text):
            continue
        base = path[: len(path) - len(text)]
        if not base or base.endswith(("/", os.sep)):
            return base
    return None
