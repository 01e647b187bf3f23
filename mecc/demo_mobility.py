"""Mobility layers of the demo country (fictional): sites, seasons, commuting, hosts.

- eight displacement sites (camps and collective centres) of people displaced by an
  earlier flood, listed as IOM DTM publishes them (with an HXL hashtag row), some on the
  flood plain near the river mouth; the camps are newer than the population grid, which
  does not count their people (``in_population_grid: false``): they are added at their
  sites, at risk of secondary displacement;
- seasonal presence: farm workers come for the harvest (March to May, +15 %) and
  leave in the lean season (August to October, −10 %); river floods come in the rainy
  season (January to April);
- a day/night table: a fifth of the residents of the districts around the capital
  work in the capital's district by day (the earthquake strikes at 11:00);
- the allocation of the displaced within 40 km.
"""

from __future__ import annotations

import numpy as np

from mecc import demo_inputs as layers

__all__ = ["FLOOD_SEASON", "write_mobility"]

FLOOD_SEASON = {1: 1, 2: 2, 3: 3, 4: 2}
"""Months of the demo's river floods (shares of events)."""

SITE_TYPES = ("Camp", "Collective centre")


def _sites(land: layers.DemoLand) -> str:
    """The site list (CSV text with an HXL row) near the river and the capital."""
    rng = land.rng
    transform = land.transform
    header = "Site name,Latitude,Longitude,Individuals,Households,Site type,Date\n"
    tags = "#loc+name,#geo+lat,#geo+lon,#affected+ind,#affected+hh,#loc+type,#date+reported\n"
    lines = []
    size = land.hand.shape[1]
    for k in range(8):
        col = int(size * (0.45 + 0.045 * k))  # along the lower river, towards the sea
        row = int(land.river_row[min(col, size - 1)] + rng.integers(-12, 13))
        x, y = transform @ (col + 0.5, row + 0.5)
        people = int(rng.integers(800, 6000))
        lines.append(
            f"Site {chr(65 + k)} (fictional),{y:.6f},{x:.6f},{people},{people // 5},"
            f"{SITE_TYPES[k % 2]},2026-05-01"
        )
    return header + tags + "\n".join(lines) + "\n"


def write_mobility(land: layers.DemoLand) -> dict:
    """Write the mobility inputs; return the run file's ``mobility:`` entry."""
    (land.folder / "sites.csv").write_text(_sites(land), encoding="utf-8")
    codes = layers.district_codes()
    capital = codes[int(np.argmin([abs(k - len(codes) // 2) for k in range(len(codes))]))]
    rows = ["origin,destination,share"]
    rows += [f"{code},{capital},0.2" for code in codes if code != capital][:4]
    (land.folder / "commuting.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return {
        "sites": {"path": "sites.csv", "in_population_grid": False},
        "seasonal": {"multipliers": {3: 1.15, 4: 1.15, 5: 1.15, 8: 0.9, 9: 0.9, 10: 0.9}},
        "day_night": {
            "path": "commuting.csv",
            "origin_column": "origin",
            "destination_column": "destination",
            "share_column": "share",
        },
        "allocation": {"radius_km": 40, "exponent": 2},
    }
