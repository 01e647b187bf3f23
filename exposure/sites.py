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
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from mecc.errors import MeccWarning

__all__ = ["ADDED", "IN_GRID", "MOVED", "SitePeople", "site_modes"]

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
    """

    def __init__(self, sites: pd.DataFrame, grid, label: str, in_population_grid: bool = False):
        from pyproj import Transformer

        transformer = Transformer.from_crs("EPSG:4326", grid.crs, always_xy=True)
        x, y = transformer.transform(sites["lon"].to_numpy(), sites["lat"].to_numpy())
        inverse = ~grid.transform
        cols = np.floor(inverse.a * x + inverse.b * y + inverse.c)
        rows = np.floor(inverse.d * x + inverse.e * y + inverse.f)
        inside = (rows >= 0) & (rows < grid.height) & (cols >= 0) & (cols < grid.width)
        self.outside = sites.loc[~inside, "site_name"].tolist()
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
