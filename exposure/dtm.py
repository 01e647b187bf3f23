"""IOM Displacement Tracking Matrix (DTM) tables: site lists and mobility baselines.

DTM publishes spreadsheets whose column names change from country to country and round
to round, but which usually carry an HXL hashtag row (``#geo+lat``, ``#affected+ind``
...) under the header. The readers here use the hashtags when the row is there and the
column names (in English, French or Spanish, case and accents ignored) otherwise, so the
same data read either way gives the same table. They are pure functions: a file in, a
:class:`pandas.DataFrame` out.

- :func:`read_dtm_sites`: one row per displacement site (camp, collective centre...):
  ``site_name, lat, lon, individuals, households, site_type, as_of``;
- :func:`read_dtm_baseline`: one row per admin unit of a mobility baseline:
  ``zone_code, zone_name, idps, returnees, as_of``.
"""

from __future__ import annotations

import datetime
import os
import re
import unicodedata
import warnings

import numpy as np
import pandas as pd

from exposure.hxl import read_tagged_table
from mecc.errors import DataError, InputFileError, MeccWarning, error_reason

__all__ = ["BASELINE_COLUMNS", "SITE_COLUMNS", "read_dtm_baseline", "read_dtm_sites"]

SITE_COLUMNS = (
    "site_name",
    "lat",
    "lon",
    "individuals",
    "households",
    "site_type",
    "as_of",
    "origin_code",
)
BASELINE_COLUMNS = ("zone_code", "zone_name", "idps", "returnees", "as_of")

# Each field: HXL hashtag patterns (tag + required attributes, any order), then column names.
_SITE_FIELDS = {
    "site_name": (
        ("#loc+name", "#site+name", "#loc"),
        (
            "site name",
            "site",
            "nom du site",
            "nombre del sitio",
            "sitio",
            "camp name",
            "location name",
        ),
    ),
    "lat": (("#geo+lat",), ("latitude", "lat", "y", "gps latitude")),
    "lon": (("#geo+lon",), ("longitude", "lon", "long", "lng", "x", "gps longitude")),
    "individuals": (
        ("#affected+ind", "#affected+idps+ind", "#population+ind", "#affected+idps+individuals"),
        (
            "individuals",
            "individus",
            "individuos",
            "idp individuals",
            "number of individuals",
            "total individuals",
            "personnes",
            "personas",
            "ind",
        ),
    ),
    "households": (
        ("#affected+hh", "#affected+idps+hh", "#affected+households"),
        ("households", "menages", "hogares", "idp households", "number of households", "hh"),
    ),
    "site_type": (
        ("#loc+type", "#site+type", "#loc+site+type"),
        ("site type", "type of site", "type de site", "tipo de sitio", "type"),
    ),
    "as_of": (
        ("#date+reported", "#date+assessed", "#date"),
        (
            "date",
            "as of",
            "reporting date",
            "assessment date",
            "date of assessment",
            "fecha",
            "date de collecte",
        ),
    ),
    "origin_code": (
        tuple(f"#adm{k}+{code}+origin" for k in (3, 2, 1) for code in ("code", "pcode")),
        (
            "origin pcode",
            "origin code",
            "pcode of origin",
            "origin",
            "code d origine",
            "pcode d origine",
            "codigo de origen",
        ),
    ),
}
_BASELINE_FIELDS = {
    "zone_code": (
        ("#adm3+code", "#adm2+code", "#adm1+code", "#adm3+pcode", "#adm2+pcode", "#adm1+pcode"),
        (
            "admin 3 pcode",
            "admin 2 pcode",
            "admin 1 pcode",
            "adm3_pcode",
            "adm2_pcode",
            "adm1_pcode",
            "pcode",
            "p-code",
        ),
    ),
    "zone_name": (
        ("#adm3+name", "#adm2+name", "#adm1+name"),
        ("admin 3", "admin 2", "admin 1", "adm3_en", "adm2_en", "adm1_en", "name"),
    ),
    "idps": (
        ("#affected+idps+ind", "#affected+idps"),
        ("idps", "idp individuals", "number of idps", "pdi", "personnes deplacees", "desplazados"),
    ),
    "returnees": (
        ("#affected+returnees+ind", "#affected+returnees"),
        ("returnees", "returnee individuals", "retournes", "retornados"),
    ),
    "as_of": (("#date+reported", "#date"), ("date", "as of", "reporting date", "fecha")),
}


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return re.sub(r"[\s_]+", " ", text).strip().lower()


def _tag_matches(tag: str, pattern: str) -> bool:
    """HXL: ``#affected+ind+f`` matches ``#affected+ind`` (attributes in any order)."""
    parts = [p.strip().lower() for p in tag.split("+")]
    wanted = [p.lower() for p in pattern.split("+")]
    return parts[0] == wanted[0] and set(wanted[1:]) <= set(parts[1:])


def _columns(raw, tags, fields, label) -> dict:
    """Column of each field: the first hashtag pattern that matches, else a column name.

    Patterns are tried in order, so a plain ``#affected+ind`` wins over a more specific
    ``#affected+ind+f`` only when it is listed first (sex-specific columns are skipped).
    """
    found = {}
    names = {_plain(c): c for c in raw.columns}
    for field, (patterns, synonyms) in fields.items():
        column = None
        if tags:
            for pattern in patterns:
                hits = [
                    c
                    for c, tag in tags.items()
                    if tag and _tag_matches(tag, pattern) and not _sex_specific(tag, pattern)
                ]
                if hits:
                    column = hits[0]
                    break
        if column is None:
            column = next((names[s] for s in synonyms if s in names), None)
        if column is not None:
            found[field] = column
    return found


def _sex_specific(tag: str, pattern: str) -> bool:
    extra = set(tag.lower().split("+")[1:]) - set(pattern.lower().split("+")[1:])
    return bool(extra & {"f", "m", "female", "male", "children", "adults", "elderly"})


def _numbers(raw, column, label, field, *, lo=None, hi=None, first=2, required=False) -> np.ndarray:
    """A column of finite numbers in ``[lo, hi]`` (empty cells: NaN, or refused when
    ``required``); ``first`` is the row number of the table's first data row in the file
    (for messages)."""
    text = raw[column].astype(str).str.strip()
    if required and (text == "").any():
        row = int(np.flatnonzero((text == "").to_numpy())[0])
        raise DataError(
            f"{label}: column {column!r} ({field}): row {row + first} is empty; give a "
            "number (0 when there is none)"
        )
    values = pd.to_numeric(text.replace("", np.nan), errors="coerce")
    bad = (values.isna() & (text != "")) | (values < (lo if lo is not None else -np.inf))
    bad |= (values > (hi if hi is not None else np.inf)) | values.isin([np.inf, -np.inf])
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(
            f"{label}: column {column!r} ({field}): row {row + first}: "
            f"{raw[column].iloc[row]!r} is not a valid value"
        )
    return values.to_numpy(np.float64)


_ISO_DATE = re.compile(
    r"(\d{4}-\d{2}-\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)
"""A date written ``YYYY-MM-DD``, with a time or not (as Excel's date cells are read)."""


def iso_day(text: str):
    """The day of a date written ``YYYY-MM-DD`` (a time after it is ignored), else None.

    Day-first and month-first forms (``01/05/2026``) are not read: the same text is 1 May
    in some countries and 5 January in others.
    """
    match = _ISO_DATE.fullmatch(str(text).strip())
    if match is None:
        return None
    try:
        return pd.Timestamp(datetime.date.fromisoformat(match.group(1)))
    except ValueError:
        return None


def _dates(raw, column, label, first=2) -> pd.Series:
    text = raw[column].astype(str).str.strip()
    days = text.map(lambda cell: iso_day(cell) if cell else pd.NaT)
    bad = days.isna() & (text != "")
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(
            f"{label}: column {column!r} (date): row {row + first}: {text.iloc[row]!r} is not a "
            "date written YYYY-MM-DD; write the dates so (01/05/2026 is 1 May in some "
            "countries and 5 January in others)"
        )
    return pd.to_datetime(days).astype("datetime64[ns]")


_XLS = b"\xd0\xcf\x11\xe0"
_ZIP = b"PK\x03\x04"


def _sheets(path, label: str, what: str) -> list | None:
    """The sheet names of a workbook site list (None for a CSV); refuses what cannot be
    read as a workbook (an Excel 97-2003 .xls, a renamed CSV) in one line."""
    name = os.fspath(path)
    if not name.lower().endswith((".xlsx", ".xls")) or not os.path.isfile(name):
        return None
    with open(name, "rb") as handle:
        head = handle.read(4)
    if head == _XLS:
        raise InputFileError(
            f"{label}: the {what} is an Excel 97-2003 workbook (.xls), which mecc does not "
            "read; save it as an Excel workbook (.xlsx) or as CSV UTF-8"
        )
    if head != _ZIP:
        raise InputFileError(
            f"{label}: the {what} is not an Excel workbook (.xlsx) despite its name; save it "
            "as .xlsx or as CSV UTF-8 (named .csv)"
        )
    import zipfile

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    with open(name, "rb") as handle:  # a handle: openpyxl judges a file name by its suffix
        try:
            workbook = openpyxl.load_workbook(handle, read_only=True)
            sheets = list(workbook.sheetnames)
            workbook.close()
        except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as error:
            raise InputFileError(
                f"{label}: cannot read the {what} as a workbook ({error_reason(error)})"
            ) from None
    return sheets


def _read(path, label: str, what: str):
    """The table (fully blank rows at its end left out), its HXL tags, the row number of
    its first data row, and where it was read from for messages (a workbook's sheet)."""
    sheets = _sheets(path, label, what)
    raw, tags = read_tagged_table(path, what, label)
    blank = raw.apply(lambda column: column.astype(str).str.strip().isin(["", "nan"]))
    filled = np.flatnonzero(~blank.all(axis=1).to_numpy())
    raw = raw.iloc[: filled[-1] + 1 if len(filled) else 0].reset_index(drop=True)
    where = ""
    if sheets and len(sheets) > 1:
        where = (
            f" in sheet {sheets[0]!r} (the first of the workbook's {len(sheets)} sheets, "
            f"{', '.join(sheets)}, is the one read)"
        )
        warnings.warn(
            f"{label}: read the sheet {sheets[0]!r}, the first of the workbook's "
            f"{len(sheets)} sheets ({', '.join(sheets)})",
            MeccWarning,
            stacklevel=3,
        )
    if raw.empty:
        under = "header and HXL row" if tags else "header"
        raise DataError(f"{label}: the {what}{where} has no rows under its {under}")
    return raw, tags, (3 if tags else 2), where


def read_dtm_sites(path, *, as_of=None, label=None) -> pd.DataFrame:
    """Read a DTM site list (CSV or Excel) by HXL hashtags or column names.

    Parameters
    ----------
    path : path
    as_of : date or str, optional
        Date of the list when the file has no date column (or to override it); text is
        written ``YYYY-MM-DD``.
    label : str, optional
        Names the input in errors (default: the path).

    Returns
    -------
    pandas.DataFrame
        :data:`SITE_COLUMNS`: ``site_name`` (str, may be empty), ``lat``, ``lon`` (WGS 84
        degrees), ``individuals`` (float64), ``households`` (float64, NaN when not
        given), ``site_type`` (str, may be empty), ``as_of`` (datetime64, NaT when
        unknown), ``origin_code`` (P-code of the zone the site's people come from; empty
        when not given). Rows without coordinates are refused (they cannot be placed), rows
        without individuals (an empty cell is not 0: write 0 for an empty site), and so are
        dates not written ``YYYY-MM-DD`` (``01/05/2026`` would be a guess between
        1 May and 5 January), a list without sites and an Excel 97-2003 workbook. Of a
        workbook with several sheets the first is read, and a warning names it.
    """
    label = label or os.fspath(path)
    raw, tags, first, sheet = _read(path, label, "DTM site list")
    found = _columns(raw, tags, _SITE_FIELDS, label)
    missing = [f for f in ("lat", "lon", "individuals") if f not in found]
    if missing:
        raise DataError(
            f"{label}: no column for {', '.join(missing)}{sheet} (HXL #geo+lat, #geo+lon, "
            "#affected+ind, or columns named latitude, longitude, individuals)"
        )
    lat = _numbers(raw, found["lat"], label, "lat", lo=-90, hi=90, first=first)
    lon = _numbers(raw, found["lon"], label, "lon", lo=-180, hi=360, first=first)
    if np.isnan(lat).any() or np.isnan(lon).any():
        row = int(np.flatnonzero(np.isnan(lat) | np.isnan(lon))[0]) + first
        raise DataError(f"{label}: row {row} has no coordinates")
    out = pd.DataFrame(
        {
            "site_name": raw[found["site_name"]].astype(str).str.strip()
            if "site_name" in found
            else "",
            "lat": lat,
            "lon": np.where(lon > 180.0, lon - 360.0, lon),  # exact for -180..180
            "individuals": _numbers(  # an empty cell is no count: refused, not taken as 0
                raw, found["individuals"], label, "individuals", lo=0, first=first, required=True
            ),
            "households": _numbers(raw, found["households"], label, "households", lo=0, first=first)
            if "households" in found
            else np.nan,
            "site_type": raw[found["site_type"]].astype(str).str.strip()
            if "site_type" in found
            else "",
            "origin_code": raw[found["origin_code"]].astype(str).str.strip()
            if "origin_code" in found
            else "",
        }
    )
    out["as_of"] = _as_of(raw, found, label, as_of, first)
    return out[list(SITE_COLUMNS)]


def _as_of(raw, found, label, as_of, first=2) -> pd.Series:
    if as_of is not None:
        given = as_of if isinstance(as_of, datetime.date) else iso_day(as_of)
        if given is None:
            raise DataError(
                f"{label}: as_of {as_of!r} is not a date written YYYY-MM-DD; write it so "
                "(01/02/2025 is 1 February in some countries and 2 January in others)"
            )
        return pd.Series(pd.Timestamp(given).normalize(), index=raw.index)
    if "as_of" in found:
        return _dates(raw, found["as_of"], label, first)
    return pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")


def read_dtm_baseline(path, *, as_of=None) -> pd.DataFrame:
    """Read a DTM mobility baseline (IDPs and returnees per admin unit).

    Returns
    -------
    pandas.DataFrame
        :data:`BASELINE_COLUMNS`: ``zone_code`` (P-code, str), ``zone_name``, ``idps``
        and ``returnees`` (float64, NaN when the file has no such column), ``as_of``.
        Rows of the same P-code are summed (a baseline often lists villages or sites).
    """
    label = os.fspath(path)
    raw, tags, first, _ = _read(path, label, "DTM baseline")
    found = _columns(raw, tags, _BASELINE_FIELDS, label)
    if "zone_code" not in found or not {"idps", "returnees"} & set(found):
        raise DataError(
            f"{label}: needs a P-code column (#adm2+code or admin 2 pcode) and IDPs or "
            "returnees (#affected+idps+ind, #affected+returnees+ind)"
        )
    codes = raw[found["zone_code"]].astype(str).str.strip()
    if (codes == "").any():
        raise DataError(f"{label}: row {int(np.flatnonzero(codes == '')[0]) + first} has no P-code")
    frame = pd.DataFrame({"zone_code": codes})
    frame["zone_name"] = (
        raw[found["zone_name"]].astype(str).str.strip() if "zone_name" in found else ""
    )
    for field in ("idps", "returnees"):
        frame[field] = (
            _numbers(raw, found[field], label, field, lo=0, first=first)
            if field in found
            else np.nan
        )
    frame["as_of"] = _as_of(raw, found, label, as_of, first)
    grouped = frame.groupby("zone_code", sort=False).agg(
        zone_name=("zone_name", "first"),
        idps=("idps", lambda s: s.sum(min_count=1)),
        returnees=("returnees", lambda s: s.sum(min_count=1)),
        as_of=("as_of", "max"),
    )
    return grouped.reset_index()[list(BASELINE_COLUMNS)]
