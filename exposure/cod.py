"""OCHA common operational datasets: COD-AB boundaries and COD-PS population tables.

**COD-AB** (administrative boundaries) come as one GeoPackage with a layer per level
(``..._adm0_...``, ``..._adm1_...``, ...) whose features carry ``ADMn_PCODE`` and names in
``ADMn_EN`` / ``ADMn_FR`` / ``ADMn_ES`` (or another language suffix), and the codes of
every coarser level (``ADM{n-1}_PCODE``). :func:`read_cod_ab` finds the levels, their
code, name and parent fields by these conventions and returns :class:`ZoneLevel` objects
linked by parent P-codes, ready for :class:`exposure.zones.Zones`.

**COD-PS** (population statistics) are tables with one row per P-code and columns such
as ``T_TL`` (total), ``F_TL`` / ``M_TL`` (women, men) and ``F_00_04`` ... ``M_80plus``
(sex by five-year age band), often with an HXL hashtag row under the header.
:func:`read_cod_ps` returns them tidy: one row per zone, sex and age band (see its
docstring for the shape); :func:`cohort_shares` turns that into shares of each zone's
total. Both are pure functions (no files written).
"""

from __future__ import annotations

import os
import re

import numpy as np
import pandas as pd

from exposure.hxl import read_tagged_table
from mecc.errors import ConfigError, DataError, InputFileError, did_you_mean

__all__ = [
    "COD_PS_COLUMNS",
    "cohort_shares",
    "cod_ab_levels",
    "read_cod_ab",
    "read_cod_ps",
    "zone_denominators",
]

LANGUAGES = ("en", "fr", "es", "pt", "ar", "ru", "ref")
"""Name-field suffixes tried, in this order after the requested language."""

COD_PS_COLUMNS = ("zone_code", "sex", "age_band", "people", "year")
"""Columns of :func:`read_cod_ps`'s result, in order."""

_LAYER_LEVEL = re.compile(r"adm(?:in)?[_ ]?(\d)", re.IGNORECASE)
_PCODE = re.compile(r"^ADM(\d)_PCODE$", re.IGNORECASE)


def _level_of_layer(name: str, columns: list[str]) -> int | None:
    """Admin level of a layer: the finest ``ADMn_PCODE`` field, else its name."""
    levels = [int(m.group(1)) for c in columns if (m := _PCODE.match(c))]
    if levels:
        return max(levels)
    match = _LAYER_LEVEL.search(name)
    return int(match.group(1)) if match else None


def cod_ab_levels(path) -> dict[int, str]:
    """The layers of a COD-AB GeoPackage by admin level: ``{level: layer name}``.

    Layers without an ``ADMn_PCODE`` field (e.g. lines or points layers) are skipped.
    """
    import pyogrio

    label = os.fspath(path)
    if not os.path.exists(label):
        raise InputFileError(f"{label}: COD-AB file not found{did_you_mean(label)}")
    try:
        layers = pyogrio.list_layers(label)
    except (pyogrio.errors.DataSourceError, ValueError) as error:
        raise InputFileError(f"{label}: cannot read COD-AB file ({error})") from None
    found: dict[int, str] = {}
    for name, geometry_type in layers:
        if geometry_type is None or "polygon" not in str(geometry_type).lower():
            continue
        columns = list(pyogrio.read_info(label, layer=name)["fields"])
        level = _level_of_layer(str(name), columns)
        if level is None or not any(c.upper() == f"ADM{level}_PCODE" for c in columns):
            continue
        if level in found:
            raise DataError(
                f"{label}: two layers hold admin level {level} ({found[level]}, {name}); "
                "give the levels as separate zones entries with layer:"
            )
        found[level] = str(name)
    if not found:
        raise DataError(
            f"{label}: no COD-AB layer found (polygon layers with ADMn_PCODE fields, e.g. "
            "ADM1_PCODE)"
        )
    return dict(sorted(found.items()))


def _field(columns: list[str], wanted: str) -> str | None:
    upper = {c.upper(): c for c in columns}
    return upper.get(wanted.upper())


def _name_field(columns: list[str], level: int, language: str) -> str | None:
    for suffix in (language, *LANGUAGES):
        field = _field(columns, f"ADM{level}_{suffix}")
        if field:
            return field
    others = [c for c in columns if re.fullmatch(rf"ADM{level}_[A-Za-z]{{2}}", c, re.IGNORECASE)]
    return others[0] if others else None


def read_cod_ab(spec: dict, base_dir, where: str = "zones") -> list:
    """Read a ``zones:`` entry with ``format: cod-ab`` into linked zone levels.

    Parameters
    ----------
    spec : dict
        ``path`` (the GeoPackage), optional ``levels`` (admin levels to use, default
        every level found) and ``language`` (name suffix: ``en`` default, ``fr``,
        ``es``, ...; falls back to the first name field present).
    base_dir : path
        Folder relative paths start from.
    where : str
        How errors name the entry.

    Returns
    -------
    list of exposure.zones.ZoneLevel
        Coarse first; each level's ``parents`` are the P-codes of the level above it
        (from ``ADM{n-1}_PCODE`` when that level is used; a skipped intermediate level
        is bridged through the field of the next used level).
    """
    from exposure.zones import read_zone_level

    if "path" not in spec:
        raise ConfigError(f"{where}.path: missing")
    for key in ("code_field", "name_field", "parent_field", "layer", "level"):
        if key in spec:
            raise ConfigError(
                f"{where}.{key}: not used with format: cod-ab (levels, codes, names and "
                "parents are read from the ADMn_PCODE / ADMn_EN fields; use levels: and language:)"
            )
    path = os.path.join(os.fspath(base_dir), spec["path"])
    found = cod_ab_levels(path)
    wanted = spec.get("levels", list(found))
    if not isinstance(wanted, list) or not wanted:
        raise ConfigError(f"{where}.levels: give a list of admin levels, e.g. [1, 2, 3]")
    for level in wanted:
        if isinstance(level, bool) or not isinstance(level, int):
            raise ConfigError(f"{where}.levels: {level!r} is not an admin level number")
        if level not in found:
            raise DataError(
                f"{where}.levels: level {level} is not in {spec['path']} (it has "
                f"{', '.join(map(str, found))})"
            )
    wanted = sorted(set(wanted))
    language = str(spec.get("language", "en")).lower()
    import pyogrio

    levels = []
    for k, level in enumerate(wanted):
        layer = found[level]
        columns = list(pyogrio.read_info(path, layer=layer)["fields"])
        parent = wanted[k - 1] if k > 0 else None
        entry = {
            "path": spec["path"],
            "layer": layer,
            "level": level,
            "code_field": _field(columns, f"ADM{level}_PCODE"),
            "name_field": _name_field(columns, level, language),
        }
        if parent is not None:
            parent_field = _field(columns, f"ADM{parent}_PCODE")
            if parent_field is None:
                raise DataError(
                    f"{where}: layer {layer} has no ADM{parent}_PCODE field to link it to "
                    f"level {parent}"
                )
            entry["parent_field"] = parent_field
        if entry["name_field"] is None:
            del entry["name_field"]
        levels.append(read_zone_level(entry, base_dir, f"{where} (layer {layer})"))
    return levels


# ------------------------------------------------------------------------ COD-PS

_SEX = {"T": "total", "F": "female", "M": "male", "B": "total"}
_COLUMN = re.compile(
    r"^(?P<sex>[TFMB])_(?:(?P<total>TL|total)|(?P<lo>\d{1,3})_?(?P<hi>\d{1,3})|"
    r"(?P<plus>\d{1,3})_?(?:plus|\+|over))$",
    re.IGNORECASE,
)
_HXL_CODE = re.compile(r"^#adm(\d)\+(?:code|pcode)", re.IGNORECASE)


def _age_band(match) -> str | None:
    if match.group("total"):
        return "all"
    if match.group("plus"):
        return f"{int(match.group('plus'))}+"
    return f"{int(match.group('lo'))}-{int(match.group('hi'))}"


def read_cod_ps(path, *, code_column: str | None = None, year: int | None = None) -> pd.DataFrame:
    """Read a COD-PS population table (CSV or Excel) into a tidy table.

    Columns recognised: ``ADMn_PCODE`` (the finest one present is the zone code, unless
    ``code_column`` names another), ``T_TL`` / ``F_TL`` / ``M_TL`` (totals by sex) and
    ``F_00_04``, ``M_05_09``, ..., ``F_80plus`` (sex by age band; ``T_`` columns for both
    sexes). An HXL hashtag row under the header (``#adm2+code``, ``#population+f+age0_4``
    ...) is recognised and skipped. Thousands separators are removed.

    Parameters
    ----------
    path : path
        ``.csv`` (UTF-8, BOM allowed) or ``.xlsx``.
    code_column : str, optional
    year : int, optional
        Reference year; default: a ``year`` / ``reference_year`` column, else the last
        four-digit year (1900-2100) in the file name, else missing.

    Returns
    -------
    pandas.DataFrame
        :data:`COD_PS_COLUMNS`: ``zone_code`` (str), ``sex`` (``total``, ``female``,
        ``male``), ``age_band`` (``all`` for totals, else ``"0-4"``, ``"80+"``...),
        ``people`` (float64) and ``year`` (Int64). One row per zone, sex and band,
        in the file's order. A zone whose total is missing gets ``total/all`` =
        female + male totals when both exist.
    """
    label = os.fspath(path)
    raw, hxl = read_tagged_table(path, "COD-PS table")
    code_column = code_column or _finest_code_column(raw.columns, hxl, label)
    if code_column not in raw.columns:
        raise DataError(f"{label}: no column {code_column!r}; columns: {', '.join(raw.columns)}")
    figures = [(c, m) for c in raw.columns if (m := _COLUMN.match(c))]
    if not figures:
        raise DataError(
            f"{label}: no population columns (expected T_TL, F_TL, M_TL or F_00_04-style "
            "sex-and-age columns)"
        )
    codes = raw[code_column].astype(str).str.strip()
    if (codes == "").any():
        row = int(np.flatnonzero((codes == "").to_numpy())[0]) + 2 + (hxl is not None)
        raise DataError(f"{label}: column {code_column}: row {row} has no code")
    if codes.duplicated().any():
        raise DataError(
            f"{label}: column {code_column}: code {codes[codes.duplicated()].iloc[0]!r} "
            "appears twice"
        )
    year = _year(raw, label, year)
    parts = []
    for column, match in figures:
        text = raw[column].astype(str).str.strip()
        values = pd.to_numeric(text.replace("", np.nan), errors="coerce")
        bad = values.isna() & (text != "")
        if bad.any() or (values < 0).any():
            row = int(np.flatnonzero((bad | (values < 0)).to_numpy())[0])
            raise DataError(
                f"{label}: column {column}: row {row + 2 + (hxl is not None)}: "
                f"{raw[column].iloc[row]!r} is not a count of people"
            )
        parts.append(
            pd.DataFrame(
                {
                    "zone_code": codes,
                    "sex": _SEX[match.group("sex").upper()],
                    "age_band": _age_band(match),
                    "people": values.astype(np.float64),
                }
            )
        )
    tidy = pd.concat(parts, ignore_index=True)
    tidy = tidy[tidy["people"].notna()]
    tidy = _fill_totals(tidy)
    order = {code: k for k, code in enumerate(codes)}
    tidy = tidy.assign(_order=tidy["zone_code"].map(order)).sort_values("_order", kind="stable")
    tidy["year"] = pd.array([year] * len(tidy), dtype="Int64")
    return tidy[list(COD_PS_COLUMNS)].reset_index(drop=True)


def _finest_code_column(columns, hxl, label) -> str:
    best = None
    for column in columns:
        level = None
        if (m := _PCODE.match(column)) or hxl and (m := _HXL_CODE.match(hxl.get(column, ""))):
            level = int(m.group(1))
        if level is not None and (best is None or level > best[0]):
            best = (level, column)
    if best is None:
        raise DataError(f"{label}: no P-code column (ADMn_PCODE or HXL #adm2+code); name it")
    return best[1]


def _year(raw: pd.DataFrame, label: str, year) -> int | None:
    if year is not None:
        return int(year)
    for column in raw.columns:
        if column.lower() in ("year", "reference_year", "ref_year"):
            values = pd.to_numeric(raw[column], errors="coerce").dropna().unique()
            if len(values) == 1:
                return int(values[0])
            if len(values) > 1:
                raise DataError(f"{label}: column {column}: several years in one table")
    found = re.findall(r"(?<!\d)(19\d\d|20\d\d|2100)(?!\d)", os.path.basename(label))
    return int(found[-1]) if found else None


def _fill_totals(tidy: pd.DataFrame) -> pd.DataFrame:
    """Add ``total/all`` rows from female + male totals where a zone has none."""
    totals = tidy[(tidy["sex"] == "total") & (tidy["age_band"] == "all")]
    by_sex = tidy[(tidy["sex"] != "total") & (tidy["age_band"] == "all")]
    sums = by_sex.groupby("zone_code", sort=False)["people"].agg(["sum", "count"])
    missing = sums[(sums["count"] == 2) & ~sums.index.isin(totals["zone_code"])]
    if missing.empty:
        return tidy
    extra = pd.DataFrame(
        {"zone_code": missing.index, "sex": "total", "age_band": "all", "people": missing["sum"]}
    )
    return pd.concat([tidy, extra], ignore_index=True)


def zone_denominators(tidy: pd.DataFrame) -> pd.Series:
    """Official population per zone (``total/all`` rows of :func:`read_cod_ps`), by code."""
    rows = tidy[(tidy["sex"] == "total") & (tidy["age_band"] == "all")]
    return pd.Series(rows["people"].to_numpy(), index=rows["zone_code"].to_numpy(), name="people")


def cohort_shares(tidy: pd.DataFrame) -> pd.DataFrame:
    """Share of each zone's total in every sex x age band of :func:`read_cod_ps`.

    Returns ``zone_code, sex, age_band, share`` for the sex-by-age rows (``age_band``
    not ``all``); shares of a zone add up to 1 when its bands cover its total. Zones
    without a positive total are left out.
    """
    totals = zone_denominators(tidy)
    totals = totals[totals > 0]
    bands = tidy[(tidy["age_band"] != "all") & tidy["zone_code"].isin(totals.index)]
    shares = bands["people"].to_numpy() / totals.loc[bands["zone_code"]].to_numpy()
    return pd.DataFrame(
        {
            "zone_code": bands["zone_code"].to_numpy(),
            "sex": bands["sex"].to_numpy(),
            "age_band": bands["age_band"].to_numpy(),
            "share": shares,
        }
    )
