"""Displacement sites: camps and collective centres as people at points.

Site lists (IOM DTM site assessments, a national registry) give each site's location and
the individuals living there, read by column name or by HXL hashtag
(:func:`exposure.dtm.read_dtm_sites`). Their people are placed in the
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

import warnings

import numpy as np
import pandas as pd

from mecc.errors import MeccWarning

__all__ = ["SitePeople"]


class SitePeople:
    """The people of a site list on the analysis grid, cell by cell.

    Parameters
    ----------
    sites : DataFrame
        From :func:`exposure.dtm.read_dtm_sites`.
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

    def layer_points(self, window, people: np.ndarray):
        """``(rows, cols, people)`` of the sites' cells in ``window`` (block positions),
        at most each cell's ``people``."""
        rows, cols, values = self._in(window)
        return rows, cols, np.minimum(values, people[rows, cols])
