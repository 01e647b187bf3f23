"""Flood depth from a DEM: a connected water level, or height above nearest drainage.

Two methods, both without a "bathtub" (water never appears in a depression that no
path below the water connects to the sea or the river):

- **Water level** (storm surge, lake, a flat river stage): depth = level - ground in
  the cells the water reaches from the *sources* through cells whose ground is
  strictly below the level (a breadth-first fill, :func:`mecc.kernels.flood_fill_below`),
  0 elsewhere. The level is in the DEM's vertical datum. Default sources: the sea,
  i.e. the cells that are nodata or below 0 and connected to the grid edge through
  such cells. A DEM clipped to a land border with nodata outside it would make the
  outside "sea": give ``sources`` for inland DEMs. The file tool finds the sea on the
  DEM's own grid: cells an output grid adds beyond the DEM are nodata, never sea.
- **Height above nearest drainage (HAND)**: depth = h - HAND in the cells connected
  to the river through cells with HAND below ``h`` (the water height above the
  channel), 0 elsewhere. A HAND grid can be given, or computed from the DEM and a
  river mask by a priority-flood from the river cells
  (:func:`mecc.kernels.height_above_drainage`): each cell's HAND is its height above
  the river cell its depression-filled downhill path reaches; a cell whose path
  leaves the grid first (at its edge or into nodata) drains there and stays dry. This
  is an approximation: no flow-direction conditioning (burned streams, breached dams),
  one flat ``h`` along the whole river, no routing or volume limits — a planning
  screening, not a hydraulic model.

Heights are metres: a DEM or HAND grid stating feet (GDAL band unit or a ``unit`` /
``units`` tag) is converted, another unit refused, a grid stating none read as metres.

Depth is NaN where the DEM (or the HAND grid) is nodata. Connectivity 8 lets water
pass between diagonal neighbours; 4 only across cell edges.

Undeclared nodata: a DEM (or HAND grid) holding heights below -500 m, lower than any
land on Earth, is refused (:mod:`hazards.heights`, which reads every height grid).
A HAND grid is a height *above* the drainage, 0 on it and above 0 elsewhere: values
below -:data:`HAND_TOLERANCE_M` (-0.01 m) are refused (a DEM or a depth given as HAND
would flood closed depressions as drainage and give depths deeper than ``h``); values
between -0.01 m and 0 are float noise of a HAND computation and read as 0. These checks,
and the one line naming the input whose water sources all fall on nodata (a HAND grid's
drainage cells, a river or sources mask), are in :mod:`hazards.flood_checks`.

What is cited: the written grid's tags hold the ``model`` and the sources of its
method (:data:`CITATIONS`): HAND after Rennó et al. (2008) and Nobre et al. (2011);
the priority-flood of :func:`mecc.kernels.height_above_drainage` after Barnes, Lehman
and Mulla (2014), cited only when HAND is computed from a river mask; the water-level
fill's connectivity rule (4 or 8 neighbours, joined to the sources, no bathtub) after
Poulter and Halpin (2008). manifest.json's ``generated`` and the map's sources list them.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from hazards import scenarios
from hazards.flood_checks import (
    HAND_TOLERANCE_M,
    as_mask,
    as_surface,
    check_channel_height,
    check_connectivity,
    check_hand,
    check_number,
    no_drainage,
)
from hazards.heights import LOWEST_GROUND_M, height_unit_factor, read_heights, read_on_grid
from hazards.scenarios import earlier_grids, replace_files, target_grid, write_scenario_grid
from mecc.errors import ConfigError, DataError, InputFileError, OutputExistsError, did_you_mean
from mecc.grid import GridSpec, source_positions
from mecc.kernels import flood_fill_below, height_above_drainage, sample_nearest
from mecc.raster_file import RasterFile

__all__ = [
    "CITATIONS",
    "HAND_TOLERANCE_M",
    "LOWEST_GROUND_M",
    "MODELS",
    "compute_hand",
    "default_sea",
    "flood_depth",
    "flood_depths_by_return_period",
    "write_flood",
]


MODELS = {
    "water_level": "connected water level: depth = level - ground in the cells the water "
    "reaches from its sources through lower ground (no bathtub)",
    "hand": "height above nearest drainage: depth = h - HAND in the cells the water reaches "
    "from the drainage through cells with HAND below h",
}
"""The ``model`` tag of a flood grid, by method."""

CITATIONS = {
    "connectivity_source": "Poulter & Halpin (2008), Int. J. Geogr. Inf. Sci. 22:167-182",
    "hand_source": "Rennó et al. (2008), Remote Sens. Environ. 112:3469-3481; "
    "Nobre et al. (2011), J. Hydrol. 404:13-29",
    "priority_flood_source": "Barnes, Lehman & Mulla (2014), Comput. Geosci. 62:117-127",
}
"""The method sources a flood grid's tags cite: the connectivity rule of the water-level
fill; HAND; the priority-flood that computes HAND from a river mask."""


# ---------------------------------------------------------------- array functions


def default_sea(dem: np.ndarray, connectivity: int = 8) -> np.ndarray:
    """The sea: nodata-or-below-0 cells connected to the grid edge through such cells."""
    dem = np.asarray(dem, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        sea_like = np.isnan(dem) | (dem < 0)
    edge = np.zeros(dem.shape, dtype=bool)
    edge[[0, -1], :] = True
    edge[:, [0, -1]] = True
    marker = np.ascontiguousarray(np.where(sea_like, -1.0, 1.0))
    sea = np.zeros(dem.shape, dtype=bool)
    flood_fill_below(marker, 0.0, np.ascontiguousarray(edge & sea_like), connectivity, sea)
    return sea


def compute_hand(dem: np.ndarray, river, connectivity: int = 8) -> np.ndarray:
    """HAND in metres from a DEM and a river mask (priority-flood; see the module note).

    NaN where the DEM is nodata, +inf where no river cell is reachable.
    """
    connectivity = check_connectivity(connectivity)
    dem = as_surface(dem, np.shape(dem), "dem")
    river = as_mask(river, dem.shape, "river")
    if not (river & ~np.isnan(dem)).any():
        raise DataError("river: no river cell on valid DEM ground; cannot compute HAND")
    out = np.empty(dem.shape)
    height_above_drainage(dem, river, connectivity, out)
    return out


def _prepare(dem, grid, *, mode, hand, river, sources, connectivity, names=None, sea=None):
    """The surface the water rises over, its source cells and the nodata mask.

    ``names`` maps ``dem``, ``hand``, ``river`` and ``sources`` to how messages name
    their files (the tool passes them; arrays are named by their role). ``sea``, when
    given, is the default sea already found (on the DEM's own grid, see
    :func:`write_flood`) instead of :func:`default_sea` of ``dem``.
    """
    names = {"dem": "the DEM", "sources": "the sources mask"} | (names or {})
    connectivity = check_connectivity(connectivity)
    shape = grid.shape if isinstance(grid, GridSpec) else tuple(grid)
    dem = as_surface(dem, shape, "dem")
    nodata = np.isnan(dem)
    if mode == "water_level":
        if hand is not None or river is not None:
            raise ConfigError("hand and river apply to the channel-height (HAND) method only")
        surface = dem
        if sources is not None:
            seeds = as_mask(sources, shape, "sources")
        else:
            seeds = default_sea(dem, connectivity) if sea is None else as_mask(sea, shape, "sea")
        if not seeds.any():
            raise DataError(
                f"no source cells: {names['dem']} has no nodata or below-0 cells on its edge "
                "(sea); give the sources (sea or river cells) explicitly"
                if sources is None
                else f"no source cells: {names['sources']} has no non-zero cell; mark the sea "
                "or river cells with non-zero values"
            )
    else:
        if hand is None and river is None:
            raise ConfigError("the HAND method needs a HAND grid or a river mask")
        labels = {"hand": "the HAND grid", "river": "the river mask"} | names
        drainage = 0
        if hand is None:
            marked = as_mask(river, shape, "river")
            if not (marked & ~nodata).any():
                raise no_drainage("river", int(marked.sum()), labels, hand_given=False)
            surface = compute_hand(dem, river, connectivity)
        else:
            surface = as_surface(hand, shape, "hand")
            with np.errstate(invalid="ignore"):
                drainage = int(np.count_nonzero(surface <= 0))  # HAND 0, nodata or not
            surface[nodata] = np.nan
            check_hand(surface, names.get("hand", "hand"))
        nodata = nodata | np.isnan(surface)
        if sources is not None:
            role, seeds = "sources", as_mask(sources, shape, "sources")
        elif river is not None:
            role, seeds = "river", as_mask(river, shape, "river")
        else:
            with np.errstate(invalid="ignore"):
                role, seeds = "hand", surface <= 0  # the drainage cells of a HAND grid
        marked = drainage if role == "hand" else int(seeds.sum())
        seeds = seeds & ~nodata
        if not seeds.any():
            raise no_drainage(role, marked, labels, hand_given=hand is not None)
    return surface, np.ascontiguousarray(seeds), nodata, connectivity


def _depth(surface, seeds, nodata, level, connectivity) -> np.ndarray:
    wet = np.zeros(surface.shape, dtype=bool)
    flood_fill_below(surface, level, seeds, connectivity, wet)
    with np.errstate(invalid="ignore"):
        depth = np.where(wet, np.maximum(level - surface, 0.0), 0.0)
    depth[nodata] = np.nan
    return depth


def flood_depth(
    dem,
    grid,
    *,
    water_level=None,
    channel_height=None,
    hand=None,
    river=None,
    sources=None,
    connectivity=8,
) -> np.ndarray:
    """Water depth in metres, float64 ``(h, w)``; NaN where the DEM is nodata.

    Parameters
    ----------
    dem : array-like, shape (h, w)
        Ground elevation in metres, NaN for nodata.
    grid : GridSpec or (h, w)
        The grid of every array given (only its shape is used here).
    water_level : float, optional
        Water-level method: a flat level in the DEM's vertical datum.
    channel_height : float, optional
        HAND method: water height above the channel (>= 0), with ``hand`` or ``river``.
    hand : array-like, optional
        Height above nearest drainage per cell (NaN nodata), >= 0: values below
        -:data:`HAND_TOLERANCE_M` are refused (:class:`DataError`), those above it read as 0.
    river : array-like of bool, optional
        River cells; used to compute HAND when ``hand`` is not given, and as sources.
    sources : array-like of bool, optional
        Where the water comes from. Default: the sea (water level) or the river cells
        (HAND; with a HAND grid alone, the cells with HAND <= 0).
    connectivity : {4, 8}
    """
    mode = _mode(water_level, channel_height)
    level = _level(mode, water_level, channel_height)
    surface, seeds, nodata, connectivity = _prepare(
        dem, grid, mode=mode, hand=hand, river=river, sources=sources, connectivity=connectivity
    )
    return _depth(surface, seeds, nodata, level, connectivity)


def _mode(water_level, channel_height) -> str:
    if (water_level is None) == (channel_height is None):
        raise ConfigError("give exactly one of water_level or channel_height")
    return "water_level" if water_level is not None else "hand"


def _level(mode, water_level, channel_height) -> float:
    if mode == "water_level":
        return check_number(water_level, "water_level")
    return check_channel_height(channel_height)


def flood_depths_by_return_period(
    dem,
    grid,
    levels: Mapping,
    *,
    method: str = "water_level",
    hand=None,
    river=None,
    sources=None,
    connectivity=8,
) -> dict[float, np.ndarray]:
    """One depth grid per return period, in increasing return period.

    ``levels`` maps a return period in years (>= 1) to a water level (``method``
    ``"water_level"``) or a channel height (``"hand"``). Levels must not decrease as
    the return period grows; depths then never decrease either (a higher level wets a
    superset of cells, each deeper). HAND and the sources are computed once.
    """
    if method not in ("water_level", "hand"):
        raise ConfigError(f"method: use 'water_level' or 'hand', not {method!r}")
    if not isinstance(levels, Mapping) or not levels:
        raise ConfigError("levels: give a mapping {return period: level} with at least one entry")
    checked = {}
    for rp, value in levels.items():
        period = check_number(rp, f"levels: return period {rp!r}")
        if period < 1:
            raise ConfigError(f"levels: return period {rp!r} must be >= 1 year")
        name = f"levels[{rp!r}]"
        checked[period] = (
            check_number(value, name)
            if method == "water_level"
            else check_channel_height(value, name)
        )
    if len(checked) != len(levels):
        raise ConfigError("levels: the same return period is given twice")
    periods = sorted(checked)
    for a, b in zip(periods, periods[1:], strict=False):
        if checked[b] < checked[a]:
            raise ConfigError(
                f"levels: the level for {b:g} years ({checked[b]:g}) is below the level for "
                f"{a:g} years ({checked[a]:g}); rarer events need higher levels"
            )
    surface, seeds, nodata, connectivity = _prepare(
        dem, grid, mode=method, hand=hand, river=river, sources=sources, connectivity=connectivity
    )
    return {rp: _depth(surface, seeds, nodata, checked[rp], connectivity) for rp in periods}


# ------------------------------------------------------------------------- the tool


def _open(path, label: str) -> RasterFile:
    if not os.path.exists(path):
        raise InputFileError(f"{label}: file not found ({path}){did_you_mean(path)}")
    return RasterFile(path, f"{label} ({path})")


def _sea_on(grid: GridSpec, raster: RasterFile, own: np.ndarray, connectivity: int):
    """``(sea on grid, its cells on the DEM's grid)``: the DEM's default sea found on its
    own grid, placed on ``grid`` by nearest cell. Cells of ``grid`` beyond the DEM are
    unknown, not sea (taken for sea, they flooded closed basins at the DEM's edge)."""
    from rasterio.windows import Window

    own_sea = default_sea(own, connectivity)
    rows, cols = source_positions(raster.grid, grid, Window(0, 0, grid.width, grid.height))
    placed = np.empty((1, *grid.shape))
    sample_nearest(own_sea.astype(np.float64)[None], rows, cols, placed)
    return placed[0] == 1.0, int(own_sea.sum())


def _inputs(dem, hand_path=None, river_path=None, sources_path=None, like=None, **_) -> dict:
    """The generator's input files by option: an output is never one of them."""
    paths = (dem, hand_path, river_path, sources_path, like)
    return dict(zip(("DEM", "--hand", "--river", "--sources", "--like"), paths, strict=True))


def _warn_above_everything(level: float, dem: np.ndarray, dem_path) -> None:
    """Warn when the water level tops every cell of the DEM on the grid: the whole grid
    floods, which is more often a level in another datum or unit than a scenario."""
    import warnings

    from mecc.errors import MeccWarning

    with np.errstate(invalid="ignore"):
        highest = np.nanmax(dem) if np.isfinite(dem).any() else np.nan
    if highest < level:
        warnings.warn(
            f"--water-level {level:g} m is above every cell of the DEM {dem_path} (highest "
            f"{highest:g} m): every cell the water reaches floods; is the level in another "
            "datum or unit than the DEM?",
            MeccWarning,
            stacklevel=3,
        )


def write_flood(
    dem_path,
    out_path,
    *,
    water_level=None,
    hand_path=None,
    river_path=None,
    channel_height=None,
    sources_path=None,
    like=None,
    connectivity=8,
    overwrite: bool = False,
    return_period=None,
) -> Path:
    """Compute a flood depth grid from a DEM file and write it as a GeoTIFF (metres).

    Give ``water_level`` (with an optional ``sources_path`` mask, default the sea), or
    ``channel_height`` with ``hand_path`` and/or ``river_path``. Masks are rasters whose
    non-zero valid cells are True. The output grid is the DEM's unless ``like`` names
    a raster whose grid to use (the DEM and HAND are then sampled bilinearly, masks by
    nearest cell). The default sea is found on the DEM's own grid (nodata or below-0
    cells joined to the DEM's edge) and placed on the ``like`` grid: cells that grid adds
    beyond the DEM are nodata, never a water source, so the depths do not depend on the
    output extent. ``return_period`` (years), when the grid is one of a set, is recorded
    in the ``parameters`` tag. A DEM or HAND file with heights below -500 m (undeclared
    nodata, :data:`LOWEST_GROUND_M`) is refused, and so is a HAND file with heights below
    -0.01 m (:data:`HAND_TOLERANCE_M`). The tags record the ``model`` and the sources of
    its method (:data:`CITATIONS`). Nothing is written when anything fails,
    nothing over an input, and over an existing file only with ``overwrite`` when mecc wrote it.
    """
    mode = _mode(water_level, channel_height)
    level = _level(mode, water_level, channel_height)
    connectivity = check_connectivity(connectivity)
    if mode == "water_level" and (hand_path is not None or river_path is not None):
        raise ConfigError("hand_path and river_path apply with channel_height, not water_level")
    if mode == "hand" and hand_path is None and river_path is None:
        raise ConfigError(
            "channel_height needs hand_path (a HAND grid) or river_path (a river mask)"
        )
    if return_period is not None:
        return_period = check_number(return_period, "return_period")
    out_path = Path(out_path)
    if out_path.is_dir():
        raise ConfigError(
            f"{out_path}: is a folder; give a GeoTIFF file name (a folder of grids is written "
            "with --return-period)"
        )
    inputs = _inputs(dem_path, hand_path, river_path, sources_path, like)
    scenarios.check_scenario_output(out_path, overwrite, inputs)
    dem_file = _open(dem_path, "dem")
    grid = dem_file.grid if like is None else target_grid(like=like)
    factor, unit = height_unit_factor(dem_file)
    own, dem = read_heights(dem_file, grid, factor, "elevation", "dem")
    sea = None
    if mode == "water_level" and sources_path is None and not dem_file.grid.same_as(grid):
        sea, own_cells = _sea_on(grid, dem_file, own, connectivity)
        if own_cells and not sea.any():
            raise DataError(
                f"no source cells: the sea of the DEM {dem_path} ({own_cells} cells, nodata "
                f"or below 0 joined to its edge) lies outside the --like grid {like}; give "
                "the sources (sea or river cells) explicitly"
            )
    del own
    inputs = {"dem": Path(dem_path).name}
    units = {"dem": unit or "m (no unit stated)"}
    arrays = {}
    for key, path, resampling in (
        ("hand", hand_path, "bilinear"),
        ("river", river_path, "nearest"),
        ("sources", sources_path, "nearest"),
    ):
        if path is not None:
            source = _open(path, key)
            inputs[key] = Path(path).name
            if key == "hand":
                factor, unit = height_unit_factor(source)
                arrays[key] = read_heights(source, grid, factor, "height above drainage", key)[1]
                units["hand"] = unit or "m (no unit stated)"
            else:
                arrays[key] = read_on_grid(source, grid, resampling, key)
    names = {"dem": f"the DEM {dem_path}", "hand": f"the HAND grid {hand_path}, band 1"}
    names |= {
        "river": f"the river mask {river_path}",
        "sources": f"the sources mask {sources_path}",
    }
    names |= {f"{key}_option": f"--{key}" for key in ("hand", "river", "sources")}
    surface, seeds, nodata, connectivity = _prepare(
        dem, grid, mode=mode, connectivity=connectivity, names=names, sea=sea, **_roles(arrays)
    )
    depth = _depth(surface, seeds, nodata, level, connectivity)
    if mode == "water_level":
        _warn_above_everything(level, dem, dem_path)
        method = "connected water level"
        sources_rule = (
            "sources mask" if sources_path else "sea: nodata or < 0 cells joined to the DEM's edge"
        )
        described = {
            "water_level_m": level,
            "connectivity_source": CITATIONS["connectivity_source"],
        }
        text = f"Water depth for a water level of {level:g} m (DEM datum), connected to {sources_rule}."
    else:
        method = "height above nearest drainage"
        sources_rule = (
            "sources mask" if sources_path else ("river mask" if river_path else "HAND <= 0")
        )
        described = {
            "channel_height_m": level,
            "hand": "grid" if hand_path else "priority-flood from the river mask",
            "hand_source": CITATIONS["hand_source"],
        }
        if not hand_path:  # HAND computed here: the priority-flood's source too
            described["priority_flood_source"] = CITATIONS["priority_flood_source"]
        text = f"Water depth for {level:g} m above the channel (HAND), connected to the river."
    if return_period is not None:
        described["return_period_years"] = return_period
        text = f"{return_period:g}-year flood. {text}"
    parameters = {
        "model": MODELS[mode],
        "method": method,
        **described,
        "sources": sources_rule,
        "connectivity": connectivity,
        "inputs": inputs,
        "height_units": units,
        "grid": grid.describe(),
        "wet_cells": int(np.count_nonzero(depth > 0)),
    }
    return write_scenario_grid(
        out_path,
        grid,
        depth,
        measure="water depth",
        unit="m",
        parameters=parameters,
        description=text,
        overwrite=overwrite,
        inputs=inputs,
    )


def _roles(arrays: dict) -> dict:
    """The optional grids as :func:`_prepare` takes them (None when not given)."""
    return {key: arrays.get(key) for key in ("hand", "river", "sources")}


def write_flood_return_periods(
    dem_path, out_dir, levels: dict, *, overwrite: bool = False, **options
) -> list[Path]:
    """One depth grid per return period: ``out_dir/flood_rpNNNN.tif`` for ``{rp: level}``.

    ``levels`` are water levels (with ``water_level`` mode) or channel heights (when
    ``options`` name ``hand_path`` or ``river_path``); they must not fall as the return
    period rises. Each file's ``parameters`` tag records its return period. ``out_dir``
    may be missing, but its parent folder must exist (as for a single ``--out`` file;
    missing parents are not created). Every check comes before anything is created, and
    all files are written, or none: a folder this call created is removed on failure.

    ``out_dir`` then holds one set: grids of an earlier set (``flood_rp*.tif`` mecc
    wrote, known by their tags) need ``overwrite`` and are removed with the replacement;
    a ``flood_rp*.tif`` mecc did not write (or that is an input) is refused, never removed.
    """
    import shutil
    import uuid

    if not levels:
        raise ConfigError("give at least one return period and its level")
    periods = sorted(
        (check_number(rp, "return period"), check_number(level, f"level of {rp}"))
        for rp, level in levels.items()
    )
    if any(rp < 1 for rp, _ in periods):
        raise ConfigError("return periods must be >= 1 year")
    for (rp_a, low), (rp_b, high) in zip(periods[:-1], periods[1:], strict=True):
        if high < low:
            raise ConfigError(
                f"--return-period {rp_b:g}={high:g}: its level is below the {rp_a:g}-year "
                f"one (--return-period {rp_a:g}={low:g}); levels must not fall as the return "
                "period rises (a rarer flood reaches at least as high)"
            )
    hand_mode = options.get("hand_path") is not None or options.get("river_path") is not None
    key = "channel_height" if hand_mode else "water_level"
    for rp, level in periods:  # the level checks write_flood makes, before any folder
        if hand_mode:
            check_channel_height(level, f"level of the {rp:g}-year return period")
    out_dir = Path(out_dir)
    names = [
        f"flood_rp{int(rp):04d}.tif" if float(rp).is_integer() else f"flood_rp{rp:g}.tif"
        for rp, _ in periods
    ]
    if out_dir.exists() and not out_dir.is_dir():
        raise ConfigError(f"{out_dir}: not a folder; --return-period writes a folder of grids")
    if not out_dir.exists() and not out_dir.parent.is_dir():
        raise ConfigError(f"{out_dir}: folder {out_dir.parent} does not exist; create it first")
    pattern, inputs = r"flood_rp[0-9][0-9.e+]*\.tif", _inputs(dem_path, **options)
    earlier = earlier_grids(out_dir, pattern, names, "water depth", inputs)
    existing = [name for name in names if (out_dir / name).exists()] + earlier
    if existing and not overwrite:
        raise OutputExistsError(
            f"{out_dir}: flood grids exist ({', '.join(existing)}); use --overwrite to replace "
            "the set"
        )
    created = not out_dir.exists()
    out_dir.mkdir(exist_ok=True)
    staging = out_dir / f".flood.partial-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    done = False
    try:
        for (rp, level), name in zip(periods, names, strict=True):
            write_flood(dem_path, staging / name, **{key: level}, return_period=rp, **options)
        written = replace_files(staging, out_dir, names, remove=earlier)
        done = True
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if created and not done:
            with contextlib.suppress(OSError):
                out_dir.rmdir()  # only if empty: never removes anything but our folder
