"""The map's hazard pictures: which bands a map draws, and their coarse previews.

The engine keeps, on its pass, the largest intensity of each group of cells of the bands
(``OverlayInput.preview_factor``); this module picks the bands a map shows and stores
them in results.nc (group ``previews``), so a map never reads the hazard files again.
Event sets of many bands keep no pictures on the pass: the run reads the few events the
map draws again once the pass has ranked them (:func:`read_again`).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "MAPPED_KINDS",
    "MAP_EVENT_BANDS",
    "factor_in_pass",
    "preview_bands",
    "previews_dataset",
    "read_again",
]

MAP_EVENT_BANDS = 4
"""Event sets: the map shows this many events, those displacing the most people."""
MAPPED_KINDS = ("return_periods", "events", "scenario")
"""Hazard kinds whose intensity the map draws (slow-onset inputs such as a DEM are not)."""
PREVIEW_PIXELS = 512
"""The map's hazard pictures: at most this many cells on the longest side."""
BANDS_IN_PASS = 16
"""Event sets of more bands keep no pictures on the engine's pass (a picture per band
would hold up to 2 MB each: gigabytes for thousands of events); the few the map draws
are read again once the pass has ranked the events (:func:`read_again`)."""


def _factor(grid, block_shape) -> int:
    """Cells per side of a preview pixel (a power of two lining up with the blocks)."""
    factor = 1
    while max(grid.width, grid.height) / factor > PREVIEW_PIXELS:
        factor *= 2
    single_block = grid.height <= block_shape[0] and grid.width <= block_shape[1]
    if not single_block and (block_shape[0] % factor or block_shape[1] % factor):
        return 0
    return factor


def factor_in_pass(hazard, grid, block_shape) -> int:
    """The preview factor of one hazard on the engine's pass (0: no pictures there)."""
    if hazard.kind not in MAPPED_KINDS or _read_again(hazard):
        return 0
    return _factor(grid, block_shape)


def _read_again(hazard) -> bool:
    return hazard.kind == "events" and len(hazard.bands) > BANDS_IN_PASS


def read_again(inputs, hazards, tabs, grid, block_shape) -> dict:
    """Pictures of the events the map draws, for event sets of many bands: ``{hazard id:
    {band position: picture}}``, each pixel the largest intensity of its cells."""
    from mecc.grid import AlignedBands, block_windows
    from mecc.kernels import max_groups

    factor = _factor(grid, block_shape)
    shown = {}
    for hazard, tab, given in zip(hazards, tabs, inputs, strict=True):
        if not factor or not _read_again(hazard) or given.components or hazard.exposure_only:
            continue
        positions = preview_bands(hazard, tab)
        source = given.intensity
        reader = AlignedBands(
            [source.layers[k] for k in positions],
            grid,
            source.resampling,
            source.label,
            source.scale,
        )
        shape = (len(positions), -(-grid.height // factor), -(-grid.width // factor))
        stack = np.full(shape, np.nan)
        for window in block_windows(grid, *block_shape):
            block = reader.read(window)
            r0, c0 = int(window.row_off) // factor, int(window.col_off) // factor
            part = np.full((-(-block.shape[1] // factor), -(-block.shape[2] // factor)), np.nan)
            for k in range(len(positions)):
                part.fill(np.nan)
                max_groups(block[k], factor, part)
                stack[k, r0 : r0 + part.shape[0], c0 : c0 + part.shape[1]] = part
        shown[hazard.id] = dict(zip(positions, stack, strict=True))
    return shown


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
    engine on its way through the grid (or by :func:`read_again`), so a map never reads
    the hazard files again. ``previews`` maps hazard ids to pictures by band position.
    """
    import xarray as xr

    if not previews:
        return None
    pictures, hazard_ids, labels, periods = [], [], [], []
    for hazard, tab in zip(hazards, tabs, strict=True):
        stack = previews.get(hazard.id)
        if stack is None or hazard.exposure_only:
            continue
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
    factor = -(-grid.width // pictures[0].shape[1])
    t = grid.transform
    x = t.c + t.a * factor * (np.arange(pictures[0].shape[1]) + 0.5)
    y = t.f + t.e * factor * (np.arange(pictures[0].shape[0]) + 0.5)
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
