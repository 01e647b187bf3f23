"""Displacement sites: camps and collective centres as people at points.

Site lists (IOM DTM site assessments, a national registry) give each site's location and
the individuals living there, read by column name or by HXL hashtag
(:func:`exposure.dtm.read_dtm_sites`). Their people are placed in the
analysis cell holding the site and counted as a sub-population of their own: people in
sites who would be displaced again are "at risk of secondary displacement" (DESIGN.md,
Mobility layers).

Whether the population grid already counts them is the user's statement
(``in_population_grid``), applied site by site (:func:`site_modes`):

- ``false``: every site's people are added to the grid at their site (an origin code,
  if given, changes nothing);
- ``true``, for a site with the code of its people's zone of origin: they are moved —
  taken out of that zone in proportion to its people, then added at the site;
- ``true``, for a site without an origin code: the grid already holds its people at the
  site; nothing moves and they are labelled within the cell (at most the cell's people;
  a shortfall is warned about).

A list may mix the last two: only the sites with an origin code move people, and the
others add nobody (the user said the grid already counts them).

Sites outside the analysis grid are left out with a warning naming their rows; but a
list whose off-grid sites would lie on the grid with latitude and longitude swapped, or
none of whose sites lies on the grid, is refused (:func:`check_outside`): it would add
nobody without a word.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from mecc.errors import DataError, MeccWarning

__all__ = ["ADDED", "IN_GRID", "MOVED", "SitePeople", "check_outside", "site_modes"]

ADDED, MOVED, IN_GRID = "added", "moved from origin", "already in the grid"
"""What happens to a site's people (:func:`site_modes`)."""


def site_modes(sites: pd.DataFrame, in_population_grid: bool) -> np.ndarray:
    """Each site's mode: :data:`ADDED` when the grid does not count the sites' people;
    else :data:`MOVED` for a site with an ``origin_code`` and :data:`IN_GRID` for one
    without (the rule is per site, so a list where only some sites give an origin adds
    nobody twice)."""
    if not in_population_grid:
        return np.full(len(sites), ADDED, dtype=object)
    codes = sites["origin_code"] if "origin_code" in sites else pd.Series("", index=sites.index)
    origin = codes.fillna("").astype(str).str.strip() != ""
    return np.where(origin.to_numpy(), MOVED, IN_GRID).astype(object)


class SitePeople:
    """The people of a site list on the analysis grid, cell by cell.

    Parameters
    ----------
    sites : DataFrame
        From :func:`exposure.dtm.read_dtm_sites`.
    grid : mecc.grid.GridSpec
        The analysis grid.
    label : str
    in_population_grid : bool
        The run file's statement; with :func:`site_modes` it decides, site by site,
        whose people :meth:`add_into` adds (``sites["mode"]`` says it of each site kept).
    source : path, optional
        The site list's file, read again only to name its rows and coordinate columns
        when sites lie outside the grid (:func:`check_outside`); without it, rows are
        numbered as in a file without an HXL row.

    Raises
    ------
    DataError
        Sites outside the grid that lie on it with latitude and longitude swapped, or a
        list none of whose sites is on the grid (:func:`check_outside`).
    """

    def __init__(
        self,
        sites: pd.DataFrame,
        grid,
        label: str,
        in_population_grid: bool = False,
        source=None,
    ):
        inside, rows, cols = _on_grid(sites["lon"].to_numpy(), sites["lat"].to_numpy(), grid)
        self.outside = sites.loc[~inside, "site_name"].tolist()
        if self.outside:
            check_outside(sites, inside, grid, label, source)
        kept = sites.loc[inside].copy()
        kept["row"] = rows[inside].astype(np.int64)
        kept["col"] = cols[inside].astype(np.int64)
        kept["mode"] = site_modes(kept, in_population_grid)
        self.sites = kept
        self.rows, self.cols, self.people = _cells(kept)
        self.total = float(self.people.sum())
        self._added = _cells(kept[kept["mode"] != IN_GRID])
        self.added_total = float(self._added[2].sum())

    @property
    def moved(self) -> pd.DataFrame:
        """The sites whose people are moved from their zone of origin (kept sites)."""
        return self.sites[self.sites["mode"] == MOVED]

    def _in(self, window, cells=None):
        rows, cols, people = cells if cells is not None else (self.rows, self.cols, self.people)
        r0, c0 = int(window.row_off), int(window.col_off)
        pick = (
            (rows >= r0)
            & (rows < r0 + int(window.height))
            & (cols >= c0)
            & (cols < c0 + int(window.width))
        )
        return rows[pick] - r0, cols[pick] - c0, people[pick]

    def add_into(self, window, out: np.ndarray) -> None:
        """Add the people of the sites added or moved (not those already in the grid) to
        their cells of ``out`` (a block of ``window``)."""
        rows, cols, people = self._in(window, self._added)
        np.add.at(out, (rows, cols), people)

    def layer_points(self, window, people: np.ndarray):
        """``(rows, cols, people)`` of the sites' cells in ``window`` (block positions),
        at most each cell's ``people``."""
        rows, cols, values = self._in(window)
        return rows, cols, np.minimum(values, people[rows, cols])


def _cells(sites: pd.DataFrame) -> tuple:
    """``(rows, cols, people)`` per cell holding sites (people summed over its sites)."""
    cells = sites.groupby(["row", "col"], sort=True)["individuals"].sum()
    return (
        cells.index.get_level_values(0).to_numpy(np.int64),
        cells.index.get_level_values(1).to_numpy(np.int64),
        cells.to_numpy(np.float64),
    )


def _on_grid(lon: np.ndarray, lat: np.ndarray, grid) -> tuple:
    """``(inside, rows, cols)``: whether each point (WGS 84 degrees) lies in a cell of
    ``grid`` (False for a latitude beyond 90 degrees: no place), and its cell."""
    from pyproj import Transformer

    transformer = Transformer.from_crs("EPSG:4326", grid.crs, always_xy=True)
    valid = np.abs(lat) <= 90
    x, y = transformer.transform(np.where(valid, lon, 0.0), np.where(valid, lat, 0.0))
    inverse = ~grid.transform
    with np.errstate(invalid="ignore"):
        cols = np.floor(inverse.a * x + inverse.b * y + inverse.c)
        rows = np.floor(inverse.d * x + inverse.e * y + inverse.f)
        inside = (rows >= 0) & (rows < grid.height) & (cols >= 0) & (cols < grid.width)
    return inside & valid, rows, cols


def check_outside(sites: pd.DataFrame, inside: np.ndarray, grid, label: str, source=None):
    """Refuse or warn of the sites outside the analysis grid (``~inside``).

    - Refused when more than half of them (one of one) would lie on the grid with
      latitude and longitude swapped: the coordinates look swapped in those rows;
    - refused when no site of the list lies on the grid: the list would add no one (a
      list of another country, coordinates in another CRS);
    - else warned of, naming their rows of the file: they are left out.

    Rows are those of the file (the header is row 1; ``source``, the file, is read again
    to know whether an HXL row follows the header and the coordinate columns' names).

    Raises
    ------
    DataError
    """
    from exposure.census_codes import listed, rows_of_file

    first, lat_column, lon_column = _layout(source, label)
    off = np.flatnonzero(~inside)
    rows = off + first  # the sites' positions in the list, as rows of the file
    lat, lon = sites["lat"].to_numpy()[off], sites["lon"].to_numpy()[off]
    swapped = _on_grid(lat, lon, grid)[0]  # the latitude read as the longitude
    if 2 * int(swapped.sum()) > len(off):
        raise DataError(
            f"{label}: {lat_column} and {lon_column} look swapped in "
            f"{rows_of_file(rows[swapped])}: {int(swapped.sum())} of the {len(off)} site(s) "
            f"outside the analysis grid lie on it with the two exchanged; put each site's "
            f"latitude (north-south) in {lat_column} and its longitude in {lon_column}"
        )
    if not inside.any():
        raise DataError(
            f"{label}: no site of the list lies on the analysis grid ({_extent(grid)}); e.g. "
            f"{rows_of_file(rows[:3])}: {lat_column} {lat[0]:g}, {lon_column} {lon[0]:g}; a "
            "site list that adds no one is a mistake: check the coordinates (WGS 84 degrees) "
            "or give the site list of the run's area"
        )
    names = [str(n) for n in sites["site_name"].to_numpy()[off] if str(n).strip()]
    named = f"; site(s) {listed(names, 3)}" if names else ""
    warnings.warn(
        f"{label}: {len(off)} site(s) lie outside the analysis grid and are left out: "
        f"{rows_of_file(rows)}{named}",
        MeccWarning,
        stacklevel=3,
    )


def _layout(source, label: str) -> tuple[int, str, str]:
    """``(first, lat, lon)``: the row of the file holding the first site (2, or 3 under
    an HXL row) and the names of its coordinate columns, as
    :func:`exposure.dtm.read_dtm_sites` found them (for messages)."""
    if source is None:
        return 2, "latitude", "longitude"
    from exposure.dtm import _SITE_FIELDS, _columns
    from exposure.hxl import read_tagged_table

    try:
        raw, tags = read_tagged_table(source, "DTM site list", label)
    except (DataError, OSError, ValueError):  # (messages only: the list was read already)
        return 2, "latitude", "longitude"
    fields = {key: _SITE_FIELDS[key] for key in ("lat", "lon")}
    found = _columns(raw, tags, fields, label)
    return (3 if tags else 2), found.get("lat", "latitude"), found.get("lon", "longitude")


def _extent(grid) -> str:
    """The grid's extent in WGS 84 degrees, for messages."""
    from pyproj import Transformer

    transformer = Transformer.from_crs(grid.crs, "EPSG:4326", always_xy=True)
    west, south, east, north = transformer.transform_bounds(*grid.bounds)
    return f"latitude {south:.4g} to {north:.4g}, longitude {west:.4g} to {east:.4g}"
