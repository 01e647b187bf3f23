"""The map's hazard pictures: which bands a map draws, and their coarse previews.

The engine keeps, on its pass, the largest intensity of each group of cells of the bands
(``OverlayInput.preview_factor``); this module picks the bands a map shows and stores
them in results.nc (group ``previews``), so a map never reads the hazard files again.
"""

from __future__ import annotations

import numpy as np

__all__ = ["MAPPED_KINDS", "MAP_EVENT_BANDS", "preview_bands", "previews_dataset"]

MAP_EVENT_BANDS = 4
"""Event sets: the map shows this many events, those displacing the most people."""


MAPPED_KINDS = ("return_periods", "events", "scenario")
"""Hazard kinds whose intensity the map draws (slow-onset inputs such as a DEM are not)."""


def preview_bands(hazard, tab) -> list[int]:
    """Positions of the bands the map draws: every map, the scenario, the top events."""
    n = len(hazard.bands)
    if hazard.kind != "events":
        return list(range(n))
    displaced = tab.arrays["national"]["displaced"]
    order = sorted(range(n), key=lambda k: (-displaced[k], k))[:MAP_EVENT_BANDS]
    return sorted(order)


def previews_dataset(grid, hazards, tabs, previews):
    """Coarse pictures of the hazard bands the map draws (results.nc group ``previews``).

    Each pixel holds the largest intensity (canonical unit) of its cells, read by the
    engine on its way through the grid, so a map never reads the hazard files again.
    """
    import xarray as xr

    if not previews:
        return None
    pictures, hazard_ids, labels, periods = [], [], [], []
    factor = None
    for hazard, tab in zip(hazards, tabs, strict=True):
        stack = previews.get(hazard.id)
        if stack is None or hazard.exposure_only:
            continue
        factor = grid.width // stack.shape[2] if factor is None else factor
        for k in preview_bands(hazard, tab):
            pictures.append(stack[k])
            hazard_ids.append(hazard.id)
            labels.append(str(hazard.bands["band"].iloc[k]))
            periods.append(
                float(hazard.bands["return_period"].iloc[k])
                if "return_period" in hazard.bands
                else np.nan
            )
    if not pictures:
        return None
    first = next(iter(previews.values()))
    factor = -(-grid.width // first.shape[2])
    t = grid.transform
    x = t.c + t.a * factor * (np.arange(first.shape[2]) + 0.5)
    y = t.f + t.e * factor * (np.arange(first.shape[1]) + 0.5)
    import pyproj

    dataset = xr.Dataset(
        {
            "intensity": (
                ("picture", "y", "x"),
                np.stack(pictures),
                {"long_name": "largest intensity in the pixel"},
            )
        },
        coords={
            "x": x,
            "y": y,
            "hazard_id": ("picture", hazard_ids),
            "band_label": ("picture", labels),
            "return_period": ("picture", np.asarray(periods)),
        },
    )
    dataset.attrs.update(
        crs_wkt=pyproj.CRS.from_user_input(grid.crs).to_wkt(),
        transform=[t.a * factor, 0.0, t.c, 0.0, t.e * factor, t.f],
        factor=factor,
    )
    return dataset
