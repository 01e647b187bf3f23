"""Reading a best-track CSV cell by cell: the file's own row numbers, times and numbers.

:func:`hazards.cyclone.read_track` reads a track with :func:`mecc.errors.read_input_table`
(pandas). Pandas forgets where a row stood in the file (blank lines are skipped), reads
``NaN`` or ``NA`` as an empty cell, and, when the first data row has one field more than
the header, silently takes the first column as the row index so that every column
shifts by one. This module reads the same file with the :mod:`csv` module to keep what
pandas drops: each row's number in the file (the header is row 1, blank lines count,
as a text editor or a spreadsheet numbers them), the cell's text as written, and rows
with more fields than the header, which are refused. Errors are one line naming the
file, the column, the row and the value (DESIGN.md: bad data exits 1).
"""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd

from mecc.errors import DataError

__all__ = ["TrackRows", "check_plausible", "column_values", "track_rows", "track_times"]

PRESSURE_RANGE = (800.0, 1100.0)
"""Central and environmental pressures (hPa) accepted, given or estimated."""
MAX_VMAX_KT = 200.0
"""Largest 1-min wind (kt) accepted: above any observed (Patricia 2015, about 185 kt)."""
MAX_RMAX_NMI = 500.0
"""Largest radius of maximum wind (nmi) accepted; observed ones are some 5-150 nmi."""

_TIME_FORMATS = (
    (r"\d{10}", "%Y%m%d%H", "YYYYMMDDHH"),
    (r"\d{12}", "%Y%m%d%H%M", "YYYYMMDDHHMM"),
)


class TrackRows:
    """Where each row of a track table stood in its file, and its cells as written.

    Parameters
    ----------
    label : str
        Names the file in messages.
    lines : list of int, optional
        The file's row number (header = 1, blank lines counted) of each table row;
        without it rows are numbered as if the file had no blank lines.
    header : list of str, optional
        Column names, stripped, in file order.
    records : list of list of str, optional
        The cells of each table row as the file writes them (None for a row not kept).
    columns : dict, optional
        For a table converted from the file (IBTrACS): the file's column of each table
        column, one name or one name per row (``{"lat": "LAT", "vmax_kt": [...]}``).
    """

    def __init__(self, label, lines=None, header=None, records=None, columns=None):
        self.label, self.lines = label, lines
        self.header, self.records = header or [], records
        self.columns = columns or {}

    def select(self, keep: np.ndarray) -> TrackRows:
        """The rows where ``keep`` is True (after empty rows are dropped)."""
        if self.lines is None:
            return self
        return self.take(np.flatnonzero(keep))

    def take(self, index, columns=None) -> TrackRows:
        """Table rows ``index`` (0-based), e.g. the rows of a table converted from this
        one; ``columns`` (as the class's) names the file's column of each new column."""
        index = [int(i) for i in index]
        if columns is None:  # the same columns: per-row names follow their rows
            columns = {
                k: v if isinstance(v, str) else [v[i] for i in index]
                for k, v in self.columns.items()
            }
        records = None if self.records is None else [self.records[i] for i in index]
        return TrackRows(self.label, [self.row(i) for i in index], self.header, records, columns)

    def row(self, i: int) -> int:
        """The file's row number of table row ``i`` (0-based)."""
        return self.lines[i] if self.lines is not None else i + 2

    def name(self, column: str, i: int | None = None) -> str:
        """The file's name of ``column`` (in table row ``i`` when it differs by row)."""
        named = self.columns.get(column, column)
        if not isinstance(named, str):
            named = named[i] if i is not None else column
        return named or column

    def cell(self, i: int, column: str, fallback: str) -> str:
        """The text the file writes in table row ``i``, ``column`` (``fallback`` unknown)."""
        column = self.name(column, i)
        if self.lines is None or self.records is None or column not in self.header:
            return fallback
        record = self.records[i]
        if record is None:
            return fallback
        j = self.header.index(column)
        return record[j].strip() if j < len(record) else ""


def _separator(path: str) -> str:
    """The field separator ``read_input_table`` uses: ``,`` unless the header line has
    none and has ``;`` or a tab (a spreadsheet saving CSV in another locale)."""
    with open(path, encoding="utf-8-sig", errors="replace") as handle:
        header = next((line for line in handle if line.strip()), "")
    if "," in header:
        return ","
    return next((sep for sep in (";", "\t") if sep in header), ",")


def track_rows(path, table: pd.DataFrame, label: str, keep=None) -> TrackRows:
    """The file row of each row of ``table`` (read from ``path`` by pandas) and its cells.

    Refuses a row with more fields than the header (pandas would shift its columns).
    Falls back to numbering rows as if the file had no blank lines when the file cannot
    be matched to the table (a quoting pandas reads differently). ``keep`` (table row
    indices) keeps the cells of those rows only (one storm of a global IBTrACS file).
    """
    keep = None if keep is None else {int(i) for i in keep}
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, delimiter=_separator(path), skipinitialspace=True)
            header, lines, records, previous = None, [], [], 0
            for record in reader:
                start, previous = previous + 1, reader.line_num
                if not record or (len(record) == 1 and not record[0].strip()):
                    continue  # a blank line: pandas skips it too
                if header is None:
                    header = [cell.strip() for cell in record]
                    continue
                if len(record) > len(header):
                    raise DataError(
                        f"{label}: row {start} has {len(record)} fields but the header has "
                        f"{len(header)} ({', '.join(header)}); remove the extra field(s) "
                        "(a stray comma shifts every column)"
                    )
                kept = keep is None or len(lines) in keep
                lines.append(start)
                records.append(record if kept else None)
    except (OSError, csv.Error, UnicodeDecodeError):
        return TrackRows(label)
    if header is None or len(lines) < len(table):
        return TrackRows(label)
    # read_input_table drops separator-only lines at the end of the file
    return TrackRows(label, lines[: len(table)], header, records[: len(table)])


def track_times(column: pd.Series, rows: TrackRows) -> pd.DatetimeIndex:
    """Times (UTC, naive) from ``time_utc`` text: YYYYMMDDHH, YYYYMMDDHHMM or ISO 8601.

    The first row sets the format; a cell that is empty, not a valid time, or in another
    format is refused naming its row and its text.
    """
    label = rows.label
    text = column.fillna("").astype(str).str.strip()
    empty = (text == "").to_numpy()
    if empty.any():
        i = int(np.flatnonzero(empty)[0])
        value = rows.cell(i, "time_utc", "")
        where = f"{label}: column {rows.name('time_utc', i)}: row {rows.row(i)}"
        if value:  # a cell pandas reads as missing, such as NaN or NA
            raise DataError(f"{where}: {value!r} is not a time; every track point needs one")
        raise DataError(f"{where}: the time is empty; every track point needs one")
    first = text.iloc[0] if len(text) else ""
    for pattern, fmt, name in _TIME_FORMATS:
        if pd.Series([first]).str.fullmatch(pattern).iloc[0]:
            shaped = text.str.fullmatch(pattern).to_numpy()
            times = pd.to_datetime(text.where(shaped, ""), format=fmt, errors="coerce")
            _refuse_bad_time(times, text, shaped, name, rows)
            return pd.DatetimeIndex(times)
    shaped = ~text.str.fullmatch(r"\d+").to_numpy()  # digits alone are no ISO 8601 time
    times = pd.to_datetime(text.where(shaped, ""), utc=True, format="ISO8601", errors="coerce")
    _refuse_bad_time(times, text, shaped, "ISO 8601", rows)
    return pd.DatetimeIndex(times).tz_convert(None)


def _refuse_bad_time(times, text, shaped, name, rows) -> None:
    bad = pd.isna(times).to_numpy()
    if not bad.any():
        return
    i = int(np.flatnonzero(bad)[0])
    value = rows.cell(i, "time_utc", text.iloc[i])
    where = f"{rows.label}: column {rows.name('time_utc', i)}: row {rows.row(i)}: {value!r}"
    if i > 0 and not shaped[i]:
        raise DataError(f"{where} is not a {name} time like the rows above it; use one time format")
    if name == "ISO 8601" or not shaped[i]:
        raise DataError(
            f"{where} is not a time; give YYYYMMDDHH, YYYYMMDDHHMM or ISO 8601 "
            "(e.g. 2020-01-01T06:00)"
        )
    raise DataError(f"{where} is not a valid {name} time (no such date or hour)")


def column_values(raw: pd.DataFrame, name: str, rows: TrackRows, required=False) -> np.ndarray:
    """A numeric column (NaN where empty); refuses text, and negatives where optional."""
    label = rows.label
    if name not in raw.columns:
        return np.full(len(raw), np.nan)
    text = raw[name].fillna("").astype(str).str.strip()
    values = pd.to_numeric(text.replace("", np.nan), errors="coerce").to_numpy(
        np.float64, copy=True
    )
    bad = np.isnan(values) & ((text != "").to_numpy() | required)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        value = rows.cell(i, name, text.iloc[i])
        reason = "is empty" if not value else "is not a number"
        raise DataError(
            f"{label}: column {rows.name(name, i)}: row {rows.row(i)}: {value!r} {reason}"
        )
    if not required and (values < 0).any():
        i = int(np.flatnonzero(values < 0)[0])
        where = f"{label}: column {rows.name(name, i)}: row {rows.row(i)}"
        raise DataError(f"{where}: {values[i]:g} is negative")
    return values


def check_plausible(vmax, factor, rmax, estimated, rows: TrackRows) -> None:
    """Refuse winds, radii and estimated pressures no observed cyclone has (unit mix-ups)."""
    label = rows.label
    with np.errstate(invalid="ignore"):
        fast, wide = vmax * factor > MAX_VMAX_KT, rmax > MAX_RMAX_NMI
    k = int(np.argmax(fast | wide))
    if fast[k]:
        written = _written(rows, k, "vmax_kt", vmax[k])  # IBTrACS: the agency's wind
        raise DataError(
            f"{label}: column {rows.name('vmax_kt', k)}: row {rows.row(k)}: {written:g} kt"
            + (f" ({vmax[k] * factor:.0f} kt as 1-min wind)" if vmax[k] * factor != written else "")
            + f" is above {MAX_VMAX_KT:g} kt, stronger than any observed cyclone (about "
            "185 kt); is the wind in km/h or mph rather than knots?"
        )
    if wide[k]:
        raise DataError(
            f"{label}: column {rows.name('rmax_nmi', k)}: row {rows.row(k)}: {rmax[k]:g} nmi is above "
            f"{MAX_RMAX_NMI:g} nmi; radii of maximum wind are some 5-150 nmi (is it in km "
            "or m, or a radius of gales?)"
        )
    if estimated is not None:  # (pressure, vmax, flags) after the estimates
        pressure, wind, flags = estimated
        with np.errstate(invalid="ignore"):
            bad = flags & ((pressure < PRESSURE_RANGE[0]) | (pressure > PRESSURE_RANGE[1]))
        if bad.any():
            k = int(np.argmax(bad))
            raise DataError(
                f"{label}: column {rows.name('vmax_kt', k)}: row {rows.row(k)}: a 1-min wind of {wind[k]:g} kt "
                f"gives an estimated central pressure of {pressure[k]:.0f} hPa, outside "
                f"800-1100 hPa; check the wind's unit (knots) or give {rows.name('pressure_hpa', k)}"
            )


def _written(rows: TrackRows, i: int, column: str, value: float) -> float:
    """The number the file writes where a converted table holds ``value`` (IBTrACS: an
    agency's 10-minute wind before the conversion), else ``value``."""
    if column not in rows.columns:
        return float(value)
    try:
        return float(rows.cell(i, column, repr(float(value))))
    except ValueError:
        return float(value)
