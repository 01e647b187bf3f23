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

import os
import re
import unicodedata

import numpy as np
import pandas as pd

from exposure.hxl import read_tagged_table
from mecc.errors import DataError

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


def _numbers(raw, column, label, field, *, lo=None, hi=None, integer_ok=True) -> np.ndarray:
    text = raw[column].astype(str).str.strip()
    values = pd.to_numeric(text.replace("", np.nan), errors="coerce")
    bad = (values.isna() & (text != "")) | (values < (lo if lo is not None else -np.inf))
    bad |= values > (hi if hi is not None else np.inf)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(
            f"{label}: column {column!r} ({field}): row {row + 2}: {raw[column].iloc[row]!r} "
            "is not a valid value"
        )
    return values.to_numpy(np.float64)


def _dates(raw, column, label) -> pd.Series:
    text = raw[column].astype(str).str.strip()
    dates = pd.to_datetime(text.replace("", None), errors="coerce", dayfirst=False)
    if (dates.isna() & (text != "")).any():
        dates = pd.to_datetime(text.replace("", None), errors="coerce", dayfirst=True)
    bad = dates.isna() & (text != "")
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(f"{label}: column {column!r} (date): row {row + 2}: {text.iloc[row]!r}")
    return dates.dt.normalize()


def read_dtm_sites(path, *, as_of=None, label=None) -> pd.DataFrame:
    """Read a DTM site list (CSV or Excel) by HXL hashtags or column names.

    Parameters
    ----------
    path : path
    as_of : str or date, optional
        Date of the list when the file has no date column (or to override it).
    label : str, optional
        Names the input in errors (default: the path).

    Returns
    -------
    pandas.DataFrame
        :data:`SITE_COLUMNS`: ``site_name`` (str, may be empty), ``lat``, ``lon`` (WGS 84
        degrees), ``individuals`` (float64), ``households`` (float64, NaN when not
        given), ``site_type`` (str, may be empty), ``as_of`` (datetime64, NaT when
        unknown), ``origin_code`` (P-code of the zone the site's people come from; empty
        when not given). Rows without coordinates are refused (they cannot be placed).
    """
    label = label or os.fspath(path)
    raw, tags = read_tagged_table(path, "DTM site list")
    found = _columns(raw, tags, _SITE_FIELDS, label)
    missing = [f for f in ("lat", "lon", "individuals") if f not in found]
    if missing:
        raise DataError(
            f"{label}: no column for {', '.join(missing)} (HXL #geo+lat, #geo+lon, "
            "#affected+ind, or columns named latitude, longitude, individuals)"
        )
    lat = _numbers(raw, found["lat"], label, "lat", lo=-90, hi=90)
    lon = _numbers(raw, found["lon"], label, "lon", lo=-180, hi=360)
    if np.isnan(lat).any() or np.isnan(lon).any():
        row = int(np.flatnonzero(np.isnan(lat) | np.isnan(lon))[0]) + 2
        raise DataError(f"{label}: row {row} has no coordinates")
    out = pd.DataFrame(
        {
            "site_name": raw[found["site_name"]].astype(str).str.strip()
            if "site_name" in found
            else "",
            "lat": lat,
            "lon": np.where(lon > 180.0, lon - 360.0, lon),  # exact for -180..180
            "individuals": _numbers(raw, found["individuals"], label, "individuals", lo=0),
            "households": _numbers(raw, found["households"], label, "households", lo=0)
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
    out["as_of"] = _as_of(raw, found, label, as_of)
    return out[list(SITE_COLUMNS)]


def _as_of(raw, found, label, as_of) -> pd.Series:
    if as_of is not None:
        return pd.Series(pd.Timestamp(as_of).normalize(), index=raw.index)
    if "as_of" in found:
        return _dates(raw, found["as_of"], label)
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
    raw, tags = read_tagged_table(path, "DTM baseline")
    found = _columns(raw, tags, _BASELINE_FIELDS, label)
    if "zone_code" not in found or not {"idps", "returnees"} & set(found):
        raise DataError(
            f"{label}: needs a P-code column (#adm2+code or admin 2 pcode) and IDPs or "
            "returnees (#affected+idps+ind, #affected+returnees+ind)"
        )
    codes = raw[found["zone_code"]].astype(str).str.strip()
    if (codes == "").any():
        raise DataError(f"{label}: row {int(np.flatnonzero(codes == '')[0]) + 2} has no P-code")
    frame = pd.DataFrame({"zone_code": codes})
    frame["zone_name"] = (
        raw[found["zone_name"]].astype(str).str.strip() if "zone_name" in found else ""
    )
    for field in ("idps", "returnees"):
        frame[field] = _numbers(raw, found[field], label, field, lo=0) if field in found else np.nan
    frame["as_of"] = _as_of(raw, found, label, as_of)
    grouped = frame.groupby("zone_code", sort=False).agg(
        zone_name=("zone_name", "first"),
        idps=("idps", lambda s: s.sum(min_count=1)),
        returnees=("returnees", lambda s: s.sum(min_count=1)),
        as_of=("as_of", "max"),
    )
    return grouped.reset_index()[list(BASELINE_COLUMNS)]
