"""Event tables of hazard event sets: ``band``, ``frequency`` and the members of events.

Moved out of ``hazards.readers`` (which re-exports :func:`read_events`) to keep that
module small.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mecc.errors import ConfigError, DataError, read_input_table

__all__ = [
    "band_labels",
    "check_band_labels",
    "check_column_names",
    "check_return_periods",
    "members_from_names",
    "read_events",
]


def read_events(
    path, n_bands: int, where: str, member_pattern: str | None = None, source=None
) -> pd.DataFrame:
    """Read an events CSV: columns ``band``, ``frequency`` (per year), optional ``member``.

    Every raster band must appear exactly once. An ``event_name`` (or ``name``) and an
    ``event_id`` column are kept for the tables (bands.csv, zones_bands.csv, results.nc,
    Sendai event rows); event ids and event names must each be unique (blank ones
    aside): two events of one name would share the rows of the tables. A
    ``return_period`` column is not used (``frequency`` weights each event) but checked:
    one that contradicts 1/frequency beyond rounding is refused (:func:`check_return_periods`).
    A column written as a known one in other case or spacing (``Member``, ``Event ID``) is
    refused naming the known column (as ``Band`` is: no column ``band``); one spelt close
    to a known column (``memebr``) is warned about; other extra columns are ignored. With
    ``member_pattern`` (a regular expression with a ``(?P<member>...)``
    group) the member of each event is parsed from its name, e.g.
    ``^\\d{4}_(?P<member>.+)$`` for ``YEAR_HYDROMODEL_CLIMATEMODEL`` names.

    ``source`` is the intensity grid file the bands are read from: when it labels its
    bands (:func:`band_labels`), the table's event names and ids must agree with them
    (:func:`check_band_labels`).
    """
    table = read_input_table(path, "event table", where, dtype=str, keep_default_na=False)
    check_column_names(table.columns, where)
    for column in ("band", "frequency"):
        if column not in table.columns:
            raise DataError(f"{where}: column {column!r} is missing (need band, frequency)")
    band = pd.to_numeric(table["band"], errors="coerce")
    if band.isna().any() or (band != band.round()).any():
        row = int(np.flatnonzero(band.isna() | (band != band.round()))[0]) + 2
        raise DataError(f"{where}: band on line {row} is not a whole number")
    frequency = pd.to_numeric(table["frequency"], errors="coerce")
    bad = frequency.isna() | ~np.isfinite(frequency) | (frequency <= 0)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 2
        raise DataError(
            f"{where}: frequency on line {row} must be a number > 0 (events per year), "
            f"got {table['frequency'].iloc[row - 2]!r}"
        )
    from hazards.catalogue import check_frequencies

    check_frequencies(frequency.to_numpy(np.float64), where, lambda k: f"on line {k + 2}")
    if "return_period" in table.columns:
        check_return_periods(table["return_period"], frequency.to_numpy(np.float64), where)
    band = band.astype(np.int64)
    if band.duplicated().any():
        raise DataError(f"{where}: band {int(band[band.duplicated()].iloc[0])} is listed twice")
    outside = band[(band < 1) | (band > n_bands)]
    if len(outside):
        raise DataError(
            f"{where}: band {int(outside.iloc[0])} does not exist (the raster has {n_bands} bands)"
        )
    if len(band) != n_bands:
        missing = sorted(set(range(1, n_bands + 1)) - set(band))[:5]
        raise DataError(
            f"{where}: the raster has {n_bands} bands but the table lists {len(band)} "
            f"(missing e.g. {', '.join(map(str, missing))})"
        )
    name_column = next((c for c in ("event_name", "name") if c in table.columns), None)
    named = {
        c: table[c].astype(str).str.strip() for c in (name_column, "event_id") if c in table.columns
    }
    members = None  # names and ids repeat across members: 2001 of model_a, 2001 of model_b
    if "member" in table.columns and member_pattern is None:
        members = table["member"].astype(str).str.strip()
    for column, values in named.items():
        _refuse_duplicates(values, members, where, column)
    if source is not None:
        check_band_labels(
            band.to_numpy(), named, band_labels(source), where, getattr(source, "label", "")
        )
    out = pd.DataFrame({"band": band.to_numpy(), "frequency": frequency.to_numpy(np.float64)})
    if "member" in table.columns and member_pattern is None:
        out["member"] = _member_names(table["member"].astype(str), where, "in column 'member'")
    if name_column:
        out["event_name"] = table[name_column].astype(str).to_numpy()
    if "event_id" in named:  # carried to bands.csv, zones_bands.csv and results.nc
        out["event_id"] = named["event_id"].to_numpy()
    if member_pattern is not None:
        out["member"] = members_from_names(out.get("event_name"), member_pattern, where)
    return out.sort_values("band", kind="stable").reset_index(drop=True)


KNOWN_COLUMNS = ("band", "frequency", "member", "event_name", "name", "event_id", "return_period")
"""The columns of an events table read (or checked) by :func:`read_events`."""

RETURN_PERIOD_TOLERANCE = 0.05
"""How far a ``return_period`` may stray from 1/frequency by rounding (relative; two
significant digits), besides half a year (a return period rounded to whole years)."""


def check_column_names(columns, where: str) -> None:
    """Refuse or warn about an events-table column that looks like a known one.

    A column that is a known column (:data:`KNOWN_COLUMNS`) written in other case or with
    spaces or hyphens (``Member``, ``Event ID``, ``return-period``) is refused: it would be
    ignored, and a ``Member`` column silently gives no ensemble range. A column spelt close
    to a known one (``memebr``, ``frequncy``) is warned about; any other is ignored.

    Raises
    ------
    DataError
        Naming the events table, the column and the known column.
    """
    import difflib
    import warnings

    from mecc.errors import MeccWarning

    present = set(columns)
    for column in columns:
        text = str(column)
        if text in KNOWN_COLUMNS:
            continue
        plain = "_".join(text.strip().casefold().replace("-", " ").split())
        if plain in KNOWN_COLUMNS and plain not in present:
            raise DataError(
                f"{where}: column {text!r} is not read (column names are lower case, words "
                f"joined by _); rename it {plain!r}"
            )
        close = difflib.get_close_matches(plain, KNOWN_COLUMNS, n=1, cutoff=0.8)
        if close and close[0] not in present and not plain.startswith("unnamed:"):
            warnings.warn(
                f"{where}: column {text!r} is not read; did you mean {close[0]!r}? "
                f"(rename it {close[0]!r} for mecc to use it, or ignore this warning)",
                MeccWarning,
                stacklevel=4,
            )


def check_return_periods(values: pd.Series, frequency: np.ndarray, where: str) -> None:
    """Refuse a ``return_period`` column that contradicts 1/frequency beyond rounding.

    mecc weights each event by its ``frequency``; a return-period column is not used, but
    one that disagrees with it (a table whose frequencies are 1,000 times its return
    periods' reciprocals) shows that one of the two is wrong. Blank cells are skipped;
    :data:`RETURN_PERIOD_TOLERANCE` (relative) or half a year of rounding is allowed.

    Raises
    ------
    DataError
        Naming the events table, the line, both values and 1/frequency.
    """
    text = values.astype(str).str.strip()
    given = text != ""
    years = pd.to_numeric(text.where(given), errors="coerce").to_numpy(np.float64)
    expected = 1.0 / frequency
    with np.errstate(invalid="ignore"):
        off = np.abs(years - expected)
        wrong = given.to_numpy() & ~((off <= RETURN_PERIOD_TOLERANCE * expected) | (off <= 0.5))
    if not wrong.any():
        return
    k = int(np.flatnonzero(wrong)[0])
    raise DataError(
        f"{where}: return_period on line {k + 2} is {text.iloc[k]!r} but its frequency "
        f"{frequency[k]:g} a year is a return period of {expected[k]:.4g} years; mecc "
        "weights each event by frequency and reads return_period only to check it: correct "
        "the wrong one, or rename the column if it holds something else (e.g. the return "
        "period of the event's magnitude)"
    )


def _member_names(members: pd.Series, where: str, source: str) -> np.ndarray:
    """Member names without surrounding spaces (``"model_b "`` is ``model_b``, as a
    spreadsheet cell shows it); a blank one is refused, naming its line."""
    names = members.str.strip()
    blank = names == ""
    if blank.any():
        line = int(np.flatnonzero(blank.to_numpy())[0]) + 2
        raise DataError(
            f"{where}: the member on line {line} is blank ({source}); give each event the "
            "member (model) it comes from, or leave the member column out"
        )
    return names.to_numpy()


def members_from_names(names, pattern: str, where: str) -> np.ndarray:
    import re

    if names is None:
        raise ConfigError(f"{where}: member_pattern needs an event_name column")
    try:
        regex = re.compile(pattern)
    except re.error as error:
        raise ConfigError(f"member_pattern: not a regular expression ({error})") from None
    if "member" not in regex.groupindex:
        raise ConfigError("member_pattern: needs a (?P<member>...) group")
    members = []
    for line, name in enumerate(names, start=2):
        match = regex.search(name)
        if match is None:
            raise DataError(
                f"{where}: event name {name!r} on line {line} does not match member_pattern"
            )
        members.append(match.group("member") or "")
    return _member_names(pd.Series(members, dtype=str), where, "from member_pattern")


def _refuse_duplicates(values: pd.Series, members, where: str, column: str) -> None:
    """Refuse a value of ``column`` given to two events (of one member, when ``members``
    gives each event's), blank values aside, naming the lines (1 is the header)."""
    keys = pd.DataFrame({"value": values, "member": "" if members is None else members})
    given = keys[values != ""]
    repeated = given[given.duplicated(keep=False)]
    if repeated.empty:
        return
    value, member = repeated.iloc[0]
    same = (keys["value"] == value) & (keys["member"] == member)
    lines = [int(k) + 2 for k in np.flatnonzero(same.to_numpy())]
    of = "" if members is None else f" of member {member!r}"
    raise DataError(
        f"{where}: {column} {value!r}{of} is given to {len(lines)} events (lines "
        f"{', '.join(map(str, lines))}); give each event its own {column}"
    )


def band_labels(source) -> list | None:
    """The label a grid file gives each of its bands, or None.

    A NetCDF file's labels of its event (band) dimension (:class:`hazards.netcdf.NetCDFFile`
    ``band_labels``), a GeoTIFF's band descriptions (``descriptions`` of
    :class:`mecc.raster_file.RasterFile`); None for other files. Descriptions that only
    number the bands in order ("1", "2", ..., as GDAL tools and QGIS exports leave them)
    are returned as they are: :func:`check_band_labels` decides whether they label events.
    """
    labels = getattr(source, "band_labels", None)
    if labels is None:
        labels = getattr(source, "descriptions", None)
    return None if labels is None else list(labels)


def check_band_labels(bands, names: dict, labels, where: str, file_label: str = "") -> None:
    """Refuse an events table that gives an event the band the file labels as another event.

    The check applies when every band of the file has a label and no two bands share one
    (a text repeated on every band, such as "maximum 1-minute sustained wind at 10 m",
    describes the measure, not the event). An event whose name or id is the label of its
    own band agrees; one whose name or id is the label of another band of the file is
    refused (a table listing the bands in reverse order, say); a name the file does not
    use says nothing. Labels compare without surrounding spaces and case.

    Labels that only number the bands in their order, "1", "2", ..., "n" or "0", "1", ...,
    "n-1" (GDAL tools such as gdal_merge.py or gdalbuildvrt -separate, QGIS exports and some
    rasterio writes leave such band descriptions), count the bands rather than label the
    events, as a NetCDF coordinate numbering its bands in order does
    (:class:`hazards.netcdf.NetCDFFile`): they are used only when the table numbers its
    events the same way, that is when the event names or the event ids of its rows are
    exactly those n numbers, each once (then an event given the number of another band is
    refused); otherwise the file counts as unlabelled. Any other labels, "rp10", "10",
    "100", "2", "3", "4", or 1..n in another order, are used as they are.

    Parameters
    ----------
    bands : array-like of int
        Each table row's band (1-based).
    names : dict
        ``{column: values}`` of the table's event names and ids, one value per row, ``""``
        where blank.
    labels : sequence of str or None, or None
        The file's label of each band (:func:`band_labels`).
    where : str
        How errors name the events table.
    file_label : str
        How errors name the grid file.

    Raises
    ------
    DataError
        Naming the events table, the band, the file's label and the table's.
    """
    if labels is None or not names:
        return
    texts = ["" if text is None else str(text).strip() for text in labels]
    keys = [text.casefold() for text in texts]
    if not texts or "" in keys or len(set(keys)) < len(keys):
        return
    numbered = _numbers_the_bands(keys)
    if numbered and not any(
        sorted(str(value).strip().casefold() for value in values) == sorted(keys)
        for values in names.values()
    ):
        return  # band numbers, not event labels: the table names its events otherwise
    position = {key: k + 1 for k, key in enumerate(keys)}
    columns = [(column, list(values)) for column, values in names.items()]
    for row, band in enumerate(np.asarray(bands, dtype=np.int64).tolist()):
        given = [(column, values[row]) for column, values in columns if values[row] != ""]
        if not given or not 1 <= band <= len(keys):
            continue
        if any(value.casefold() == keys[band - 1] for _, value in given):
            continue
        for column, value in given:
            other = position.get(value.casefold())
            if other is not None:
                raise DataError(
                    f"{where}: band {band} of {file_label or 'the grid file'} is labelled "
                    f"{texts[band - 1]!r} in the file, but the table gives it {column} "
                    f"{value!r}, the file's label of band {other}; give each event the band "
                    "the file holds it in"
                    + (
                        f" (or, if the file's labels {texts[0]}..{texts[-1]} only count its "
                        "bands, remove them from the file)"
                        if numbered
                        else ""
                    )
                )


def _numbers_the_bands(keys: list) -> bool:
    """Whether band labels are just "1".."n" or "0".."n-1" in band order."""
    n = len(keys)
    return keys in ([str(k) for k in range(1, n + 1)], [str(k) for k in range(n)])
