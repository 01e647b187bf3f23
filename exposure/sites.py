"""Displacement sites: camps and collective centres as people at points.

Site lists (IOM DTM site assessments, a national registry) give each site's location and
the individuals living there, read by column name or by HXL hashtag (``#geo+lat``,
``#geo+lon``, ``#affected+ind``; https://hxlstandard.org). Their people are placed in the
analysis cell holding the site and counted as a sub-population of their own: people in
sites who would be displaced again are "at risk of secondary displacement" (DESIGN.md,
Mobility layers).

Whether the population grid already counts them is the user's statement
(``in_population_grid``):

- ``false``: they are added to the grid at their sites;
- ``true`` with the zone of origin of each site's people: they are moved — taken out of
  their zone of origin in proportion to its people, then added at the site;
- ``true`` without origins: the grid already holds them at the sites; nothing moves and
  the site's people are labelled within the cell (at most the cell's people; a shortfall
  is warned about).
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pandas as pd

from mecc.errors import DataError, InputFileError, MeccWarning

__all__ = ["SitePeople", "read_sites"]

FIELDS = {
    "lat": ("#geo+lat", ("lat", "latitude", "y")),
    "lon": ("#geo+lon", ("lon", "long", "longitude", "x")),
    "individuals": ("#affected+ind", ("individuals", "people", "persons", "ind")),
    "name": ("#loc+name", ("site_name", "name", "site")),
    "site_type": ("#loc+type", ("site_type", "type")),
    "as_of": ("#date", ("as_of", "date", "reporting_date")),
    "origin_code": ("#adm+code+origin", ("origin_code", "origin_pcode", "origin")),
}
"""Each field: its HXL hashtag (attributes in any order, extra attributes allowed) and
the column names recognised without HXL (case-insensitive)."""
REQUIRED = ("lat", "lon", "individuals")


def _hxl_matches(tag: str, wanted: str) -> bool:
    """Whether an HXL tag such as ``#affected +ind +f`` has the wanted hashtag and attributes.

    ``#adm`` in ``wanted`` matches ``#adm1``, ``#adm2``, ...
    """
    parts = [p for p in str(tag).replace(" ", "").lower().split("+") if p]
    if not parts or not parts[0].startswith("#"):
        return False
    head, *attributes = wanted.split("+")
    if head == "#adm":
        if not (parts[0].startswith("#adm") and parts[0][4:].isdigit()):
            return False
    elif parts[0] != head:
        return False
    return set(attributes) <= set(parts[1:])


def read_sites(path, label: str, columns: dict | None = None) -> pd.DataFrame:
    """Read a site list into ``lat, lon, individuals, name, site_type, as_of, origin_code``.

    Parameters
    ----------
    path : path
        CSV (UTF-8), optionally with an HXL hashtag row under the header.
    label : str
        Names the input in errors.
    columns : dict, optional
        Field → column name, overriding detection.

    Raises
    ------
    InputFileError, DataError
    """
    if not os.path.isfile(path):
        raise InputFileError(f"{label}: file not found ({path})")
    try:
        raw = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as error:
        raise DataError(f"{label}: cannot read the site list ({error})") from None
    tags = None
    if len(raw) and all(str(v).strip().startswith("#") or not v for v in raw.iloc[0]):
        tags = [str(v).strip() for v in raw.iloc[0]]
        raw = raw.iloc[1:].reset_index(drop=True)
    chosen = dict(columns or {})
    lower = {str(c).strip().lower(): c for c in raw.columns}
    for field, (hashtag, names) in FIELDS.items():
        if field in chosen:
            continue
        if tags is not None:
            hit = next(
                (c for c, t in zip(raw.columns, tags, strict=True) if _hxl_matches(t, hashtag)),
                None,
            )
            if hit is not None:
                chosen[field] = hit
                continue
        hit = next((lower[n] for n in names if n in lower), None)
        if hit is not None:
            chosen[field] = hit
    missing = [f for f in REQUIRED if f not in chosen or chosen[f] not in raw.columns]
    if missing:
        field = missing[0]
        raise DataError(
            f"{label}: no column for {field} (HXL {FIELDS[field][0]} or a column named "
            f"{' / '.join(FIELDS[field][1])})"
        )
    out = pd.DataFrame(index=raw.index)
    for field in ("lat", "lon", "individuals"):
        values = pd.to_numeric(
            raw[chosen[field]].str.replace(",", "", regex=False), errors="coerce"
        )
        bad = values.isna()
        if field == "individuals":
            bad |= values < 0
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataError(
                f"{label}.{chosen[field]}: {raw[chosen[field]].iloc[row]!r} in data row {row + 1} "
                f"is not a valid {field}"
            )
        out[field] = values.astype(np.float64)
    if ((out["lat"].abs() > 90) | (out["lon"].abs() > 180)).any():
        row = int(
            np.flatnonzero(((out["lat"].abs() > 90) | (out["lon"].abs() > 180)).to_numpy())[0]
        )
        raise DataError(f"{label}: data row {row + 1} has coordinates outside -90..90 / -180..180")
    for field in ("name", "site_type", "as_of", "origin_code"):
        out[field] = raw[chosen[field]].str.strip() if field in chosen else ""
    if "name" not in chosen:
        out["name"] = [f"site {k + 1}" for k in range(len(out))]
    return out


class SitePeople:
    """The people of a site list on the analysis grid, cell by cell.

    Parameters
    ----------
    sites : DataFrame
        From :func:`read_sites`.
    grid : mecc.grid.GridSpec
        The analysis grid.
    label : str
    """

    def __init__(self, sites: pd.DataFrame, grid, label: str):
        from pyproj import Transformer

        transformer = Transformer.from_crs("EPSG:4326", grid.crs, always_xy=True)
        x, y = transformer.transform(sites["lon"].to_numpy(), sites["lat"].to_numpy())
        inverse = ~grid.transform
        cols = np.floor(inverse.a * x + inverse.b * y + inverse.c)
        rows = np.floor(inverse.d * x + inverse.e * y + inverse.f)
        inside = (rows >= 0) & (rows < grid.height) & (cols >= 0) & (cols < grid.width)
        self.outside = sites.loc[~inside, "name"].tolist()
        if self.outside:
            warnings.warn(
                f"{label}: {len(self.outside)} site(s) lie outside the analysis grid and are left "
                f"out (e.g. {', '.join(self.outside[:3])})",
                MeccWarning,
                stacklevel=2,
            )
        kept = sites.loc[inside].copy()
        kept["row"] = rows[inside].astype(np.int64)
        kept["col"] = cols[inside].astype(np.int64)
        self.sites = kept
        cells = kept.groupby(["row", "col"], sort=True)["individuals"].sum()
        self.rows = cells.index.get_level_values(0).to_numpy(np.int64)
        self.cols = cells.index.get_level_values(1).to_numpy(np.int64)
        self.people = cells.to_numpy(np.float64)
        self.total = float(self.people.sum())

    def _in(self, window):
        r0, c0 = int(window.row_off), int(window.col_off)
        pick = (
            (self.rows >= r0)
            & (self.rows < r0 + int(window.height))
            & (self.cols >= c0)
            & (self.cols < c0 + int(window.width))
        )
        return self.rows[pick] - r0, self.cols[pick] - c0, self.people[pick]

    def add_into(self, window, out: np.ndarray) -> None:
        """Add each site's people to its cell of ``out`` (a block of ``window``)."""
        rows, cols, people = self._in(window)
        np.add.at(out, (rows, cols), people)

    def layer_into(self, window, people: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Write the sites' people (at most each cell's ``people``) into ``out``."""
        out[...] = 0.0
        rows, cols, values = self._in(window)
        np.add.at(out, (rows, cols), values)
        np.minimum(out, people, out=out)
        return out
