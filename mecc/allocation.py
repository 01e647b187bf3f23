"""Where the displaced may go: a distance-decay allocation to safe places nearby.

A documented planning heuristic (DESIGN.md, Mobility layers), not a forecast of
movements: people displaced in a band are shared among the places within a travel
radius where people were not exposed in that band, in proportion to

    safe people there × distance^-exponent

(a gravity rule, the form used for migration and evacuation destination choice since
Zipf 1946; host communities absorb most disaster displacement, IDMC GRID). It runs
after the engine on a coarser grid (``factor x factor`` cells, about ``cell_km`` wide)
from the per-band sums the engine kept on its pass (the coarse sums of
``kernels.overlay_bands``).
It gives per zone the people hosted, the host burden per 1,000 residents, flows between
zones and people with no safe place within reach; Σ hosted + Σ no host = Σ displaced.
Hosting is not capped by capacity: a few safe people may "host" any number of displaced
people, and ``mecc.allocation_tables.band_warnings`` says so in the run's warnings.

The people moved are the run's own displaced people: a coarse cell that several units
share is split into one part per unit (:func:`zone_parts`, by the unit's share of the
cell's fine cells), and each unit's parts are rescaled to the run's displaced people of
that unit (seasonal presence and the fine zone raster included), so a unit's displaced
people here equal zones_bands.csv. Each part moves by its cell's shares; people hosted
in a coarse cell are counted in the unit holding most of its fine cells (outside only
when no unit reaches the cell).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pyproj
from affine import Affine
from rasterio.windows import Window

from mecc.errors import ConfigError, MeccWarning
from mecc.grid import GridSpec
from mecc.mobility_kernels import allocate_by_distance, count_zone_parts

__all__ = [
    "AllocationSettings",
    "allocate_band",
    "host_zones",
    "zone_parts",
    "block_zone_parts",
    "join_zone_parts",
    "allocation_factor",
    "check_cell_size",
    "check_cost",
    "check_exponent",
    "check_grid",
    "coarse_grid",
    "distance_weights",
]

EARTH_RADIUS_KM = 6371.0088
"""Mean Earth radius (IUGG), for distances between cells of a geographic grid."""
KM_PER_DEGREE = math.pi * EARTH_RADIUS_KM / 180.0
MOST_KM = math.pi * EARTH_RADIUS_KM
"""Half the Earth's circumference (20,015 km): the farthest apart two places can be."""


@dataclass(frozen=True)
class AllocationSettings:
    """The rule's parameters (run file ``mobility.allocation``).

    Distances are measured between the centres of the allocation grid's cells, so
    people in one cell count as 0 km apart and the radius limits where people go only
    when it reaches beyond a cell. The size of a cell is its larger side: ``cell_km``
    asked, and the cell the run uses (a power of two of the analysis grid's cells,
    :func:`allocation_factor`, up to 1.41 times ``cell_km``, never smaller than an
    analysis cell). A cell as large as the radius or larger is refused: the radius
    would reach no other cell and people would move anywhere within their own. A cell
    larger than half the radius is warned about: the radius then reaches only the next
    cell. No one is placed more than ``radius_km + 1.41 x cell`` (half a cell's diagonal
    at each end) from home: at most 1.71 times the radius with cells of half the radius
    or less. See :meth:`from_spec` and :func:`check_cell_size`.
    """

    radius_km: float = 50.0
    exponent: float = 2.0
    cell_km: float | None = None  # default: a tenth of the radius, at least 1 km
    label: str = field(default="mobility.allocation", compare=False, repr=False)
    """Where the settings were given (``run.yaml.mobility.allocation``), for messages."""

    @classmethod
    def from_spec(cls, spec: dict, label: str) -> AllocationSettings:
        """The settings of ``mobility.allocation``, each a finite number in its range:
        ``radius_km`` and ``cell_km`` > 0 and at most :data:`MOST_KM` (no two places on
        Earth are farther apart), ``cell_km`` smaller than ``radius_km`` (also the
        default, a tenth of the radius but at least 1 km: a radius of 1 km or less needs
        a ``cell_km``), ``exponent`` >= 0.

        Raises
        ------
        ConfigError
        """
        values = {}
        for name, value in spec.items():
            number = not isinstance(value, bool) and isinstance(value, int | float)
            if not number or not math.isfinite(value):
                raise ConfigError(f"{label}.{name}: give a finite number, not {value!r}")
            values[name] = float(value)
        given = "cell_km" in values
        values.setdefault("cell_km", max(values.get("radius_km", cls.radius_km) / 10.0, 1.0))
        settings = cls(**values, label=label)
        for name in ("radius_km", "cell_km"):
            if not 0 < getattr(settings, name) <= MOST_KM:
                raise ConfigError(
                    f"{label}.{name}: must be > 0 and at most {MOST_KM:,.0f} km, not "
                    f"{getattr(settings, name):g}"
                )
        if not settings.exponent >= 0:
            raise ConfigError(f"{label}.exponent: must be >= 0, not {settings.exponent:g}")
        if settings.cell_km >= settings.radius_km:
            cells = f"{settings.cell_km:g} km" + ("" if given else " (the default)")
            raise ConfigError(
                f"{label}.cell_km: must be smaller than radius_km, not {cells} with a "
                f"{settings.radius_km:g} km radius (distances are measured between cell "
                "centres, so people in one cell count as 0 km apart and would go beyond "
                f"the radius); give cell_km: {settings.radius_km / 2:g} or less"
            )
        return settings


def _cell_km(grid: GridSpec) -> tuple[float, float]:
    """Height and width of a cell in km (geographic grids: at the grid's middle)."""
    t = grid.transform
    if grid.is_geographic:
        middle = t.f + t.e * grid.height / 2
        return abs(t.e) * KM_PER_DEGREE, abs(t.a) * KM_PER_DEGREE * math.cos(math.radians(middle))
    factor = pyproj.CRS.from_user_input(grid.crs).axis_info[0].unit_conversion_factor
    return abs(t.e) * factor / 1000.0, abs(t.a) * factor / 1000.0


def allocation_factor(grid: GridSpec, cell_km: float, block_shape) -> int:
    """Cells per side of an allocation cell: the power of two nearest ``cell_km``, that
    lines up with the engine's blocks.

    The cell the run uses can be up to 1.41 times ``cell_km`` (the nearest power of two
    of the analysis grid's cells), and never smaller than an analysis cell:
    :func:`check_cell_size` holds it to half the radius.
    """
    if not grid.rectilinear:
        raise ConfigError("mobility.allocation: the analysis grid must not be rotated")
    height_km, width_km = _cell_km(grid)
    wanted = max(cell_km / max(height_km, width_km), 1.0)
    factor = 2 ** round(math.log2(wanted))
    single_block = grid.height <= block_shape[0] and grid.width <= block_shape[1]
    while factor > 1 and not single_block and (block_shape[0] % factor or block_shape[1] % factor):
        factor //= 2
    return factor


MAX_WEIGHTS = 5e7
"""Entries of the distance-weight table above which a run is refused (400 MB)."""

MAX_PAIRS = 2e9
"""Distance checks per band above which a run is refused (minutes of work per band)."""


def check_cell_size(grid: GridSpec, factor: int, settings) -> None:
    """Hold the cells the run uses below the radius (see :class:`AllocationSettings`).

    The size of a cell is its larger side (at the grid's middle latitude): ``factor``
    times the analysis grid's. ``cell_km`` is smaller than the radius
    (:meth:`AllocationSettings.from_spec`), but the power of two of analysis cells
    nearest to it (:func:`allocation_factor`) can be larger, and so can the analysis
    grid's own cells.

    Raises
    ------
    ConfigError
        The cells are as large as the radius or larger: naming ``cell_km`` (and the
        value that fits) when they are several analysis cells, ``radius_km`` when they
        are the analysis grid's own.

    Warns
    -----
    MeccWarning
        The cells are more than half the radius (naming their size and how far people
        may then be placed).
    """
    height_km, width_km = _cell_km(grid)
    fine = max(height_km, width_km)
    size, radius, label = factor * fine, settings.radius_km, settings.label
    if size <= radius / 2 * (1 + 1e-9):
        return
    # the largest power of two of analysis cells within half the radius (at least one)
    fits = fine * 2 ** max(math.floor(math.log2(radius / 2 / fine) + 1e-9), 0)
    larger_radius = f"radius_km: {2 * fine:.3g} or more"
    if factor > 1:
        made = f"{size:.3g} km ({factor} x {factor} cells of {fine:.3g} km of the analysis grid)"
    else:
        made = f"{size:.3g} km (the analysis grid's own)"
    if factor > 1 and fine < radius:  # fewer analysis cells per allocation cell would do
        field_name = "cell_km"
        remedy = f"give cell_km: {fits:.4g} or less"
        if fine > radius / 2:  # even one analysis cell is more than half the radius
            remedy += f" (a radius_km of {2 * fine:.3g} or more keeps them within half of it)"
    else:
        field_name = "radius_km"
        remedy = f"give {larger_radius}, or a finer analysis grid"
    if size >= radius:
        raise ConfigError(
            f"{label}.{field_name}: the allocation's cells of {made} are not smaller than "
            f"the {radius:g} km radius, so it would not limit where people go (people in "
            f"one cell count as 0 km apart); {remedy}"
        )
    warnings.warn(
        f"{label}: the allocation's cells of {made} are more than half the {radius:g} km "
        "radius, which reaches only the next cell; distances are measured between cell "
        f"centres, so some people may be placed up to {radius + math.sqrt(2) * size:.3g} "
        f"km from home; {remedy}",
        MeccWarning,
        stacklevel=2,
    )


WEIGHT_DIGITS = 250
"""Decimal digits a distance weight may span either side of 1 (``d^-exponent`` from 1e-250
to 1e250): a float holds 1e-308 to 1e308, and the weights are multiplied by people."""


def check_grid(grid: GridSpec, factor: int, settings) -> None:
    """Refuse allocation cells as large as the grid's extent: with fewer than 2 cells
    across (along a side of 2 analysis cells or more), everyone on that side is in one
    cell, counts as 0 km from everyone else there and is "hosted" wherever that cell's
    safe people are, whatever the radius.

    Raises
    ------
    ConfigError
        Naming ``cell_km``, the cells it makes and the largest ``cell_km`` that leaves
        at least 2 cells each way.
    """
    small = coarse_grid(grid, factor)
    height_km, width_km = _cell_km(grid)
    sides = [(n, m) for n, m in ((grid.height, small.height), (grid.width, small.width)) if n > 1]
    if all(m > 1 for _, m in sides):
        return
    fine = max(height_km, width_km)
    # the largest power of two of analysis cells below the shorter side (2 cells at least)
    fits = fine * 2 ** math.floor(math.log2(min(n for n, _ in sides) - 1))
    raise ConfigError(
        f"{settings.label}.cell_km: the allocation's cells of {factor * fine:.3g} km leave "
        f"{small.height} x {small.width} cell{'s' if small.height * small.width > 1 else ''} "
        f"over the {grid.height * height_km:.3g} x {grid.width * width_km:.3g} km grid, so "
        "people in one cell count as 0 km apart and would be hosted wherever its safe "
        f"people are, whatever the radius; give cell_km: {fits:.4g} or less (at least 2 "
        "cells each way)"
    )


def check_exponent(grid: GridSpec, factor: int, settings) -> None:
    """Refuse an exponent whose weights ``d^-exponent`` (``d`` from half a cell to the
    radius, :func:`distance_weights`) leave :data:`WEIGHT_DIGITS`: they would round to 0
    (everyone seeming to have no host although safe people are in reach) or overflow.

    Raises
    ------
    ConfigError
        Naming ``exponent`` and the largest that fits.
    """
    height_km, width_km = _cell_km(coarse_grid(grid, factor))
    nearest, far = 0.5 * min(height_km, width_km), settings.radius_km
    digits = max(math.log10(far), -math.log10(nearest))
    if digits <= 0 or settings.exponent * digits <= WEIGHT_DIGITS:
        return
    raise ConfigError(
        f"{settings.label}.exponent: {settings.exponent:g} makes the distance weights "
        f"d^-{settings.exponent:g} between {nearest:.3g} and {far:g} km reach "
        f"1e{-settings.exponent * math.log10(far):+.0f}"
        f"{'' if nearest >= 1 else f' to 1e{-settings.exponent * math.log10(nearest):+.0f}'}"
        ", beyond what a computer's numbers hold (they would round to 0 and people with "
        "safe places in reach would have no host); give exponent: "
        f"{math.floor(WEIGHT_DIGITS / digits)} or less (1 to 3 are usual)"
    )


def check_cost(grid: GridSpec, factor: int, settings) -> None:
    """Refuse an allocation grid of fewer than 2 cells across (:func:`check_grid`), too
    coarse for its radius (:func:`check_cell_size`), an exponent whose weights leave a
    computer's numbers (:func:`check_exponent`), or a grid so fine for its radius that it
    would take very long: the distance checks per band, each cell's reach (``2 x radius``
    across, plus the cells at its ends) capped by the grid's extent."""
    check_grid(grid, factor, settings)
    check_cell_size(grid, factor, settings)
    check_exponent(grid, factor, settings)
    small = coarse_grid(grid, factor)
    height_km, width_km = _cell_km(small)
    rows = min(2 * settings.radius_km / height_km + 3, small.height)
    cols = min(2 * settings.radius_km / width_km + 3, small.width)
    checks = small.width * small.height * rows * cols
    if checks > MAX_PAIRS:
        suggested = settings.radius_km / 10
        raise ConfigError(
            f"{settings.label}: cells of {max(height_km, width_km):.2g} km with a "
            f"{settings.radius_km:g} km radius need about {checks:.2g} distance checks "
            f"per band; give cell_km: {suggested:g} or more (or a smaller radius_km)"
        )


def coarse_grid(grid: GridSpec, factor: int) -> GridSpec:
    """The grid of ``factor x factor`` groups of cells (the last ones may be partial)."""
    return GridSpec(
        grid.crs,
        grid.transform @ Affine.scale(factor),
        -(-grid.width // factor),
        -(-grid.height // factor),
    )


def distance_weights(grid: GridSpec, settings) -> np.ndarray:
    """Distance-decay weight of each target offset, per source row: ``(H, 2R + 1, 2C + 1)``.

    ``max(d, nearest)^-exponent`` for targets within ``radius_km``, 0 beyond, with ``d``
    the distance between cell centres (geographic grids: equirectangular at the mean
    latitude, within 0.1 % of the great-circle distance up to 100 km; projected grids:
    planar, in the CRS's unit converted to km) and ``nearest`` half the smaller side of a
    cell (a cell's own people are not at distance 0 from each other).
    """
    t = grid.transform
    height_km, width_km = _cell_km(grid)
    rows = np.arange(grid.height)
    if grid.is_geographic:
        lat = t.f + t.e * (rows + 0.5)
        widest = min(float(np.abs(lat).max()), 89.9)
        narrowest_km = abs(t.a) * KM_PER_DEGREE * max(math.cos(math.radians(widest)), 1e-6)
    else:
        narrowest_km = width_km
    reach_rows = min(int(math.ceil(settings.radius_km / height_km)) + 1, grid.height - 1)
    reach_cols = min(int(math.ceil(settings.radius_km / narrowest_km)) + 1, grid.width - 1)
    size = (grid.height if grid.is_geographic else 1) * (2 * reach_rows + 1) * (2 * reach_cols + 1)
    if size > MAX_WEIGHTS:
        raise ConfigError(
            f"{settings.label}: a {settings.radius_km:g} km radius on cells of "
            f"{min(height_km, width_km):.2g} km needs {size:.2g} distance weights; give a "
            "larger cell_km"
        )
    dr = np.arange(-reach_rows, reach_rows + 1)[None, :, None]
    dc = np.arange(-reach_cols, reach_cols + 1)[None, None, :]
    if grid.is_geographic:
        source = lat[:, None, None]
        target = source + t.e * dr
        mean = np.radians(0.5 * (source + target))
        dx = np.radians(t.a * dc) * np.cos(mean)
        dy = np.radians(t.e * dr)
        distance = EARTH_RADIUS_KM * np.sqrt(dx**2 + dy**2)
    else:
        distance = np.sqrt((dr * height_km) ** 2 + (dc * width_km) ** 2)  # the same every row
    nearest = 0.5 * min(height_km, width_km)
    with np.errstate(divide="ignore"):
        weights = np.maximum(distance, nearest) ** -settings.exponent
    return np.ascontiguousarray(np.where(distance <= settings.radius_km, weights, 0.0))


def zone_parts(grid: GridSpec, zones, factor: int, block_rows: int = 256):
    """Fine cells of each unit in each coarse cell, as ``(cell, zone, count)`` arrays.

    ``cell`` is the flat index of the coarse cell, ``zone`` the finest unit
    (``zones.n`` = outside) from the same rasterisation as the engine's
    (``zones.rasterize``), read in stripes of whole coarse rows.
    """
    small = coarse_grid(grid, factor)
    n_zones = zones.n + 1
    stripe = max(block_rows // factor, 1) * factor  # whole coarse rows
    cols = (np.arange(grid.width) // factor) * n_zones
    keys, counts = [], []
    for row in range(0, grid.height, stripe):
        height = min(stripe, grid.height - row)
        window = Window(0, row, grid.width, height)
        zone = zones.rasterize(window, out=np.empty((height, grid.width), dtype=np.int32))
        rows = ((np.arange(height) // factor) * small.width * n_zones)[:, None]
        # (coarse cell of the stripe, zone) as one index: counted, then the ones present
        local = np.bincount((rows + cols[None, :] + zone).ravel())
        present = np.flatnonzero(local)
        keys.append(present + (row // factor) * small.width * n_zones)
        counts.append(local[present])
    keys, counts = np.concatenate(keys), np.concatenate(counts).astype(np.float64)
    return keys // n_zones, (keys % n_zones).astype(np.int32), counts


def block_zone_parts(zone: np.ndarray, factor: int, n_zones: int):
    """Fine cells of each unit in each coarse cell of one block, counted on the engine's
    pass (``mobility_kernels.count_zone_parts``).

    Returns ``(row, col, zone, count)``: the coarse cell's row and column within the
    block, the unit (``n_zones - 1`` = outside) and its fine cells there.
    """
    size = zone.size
    cell, unit, count = np.empty(size, np.int64), np.empty(size, np.int32), np.empty(size)
    n = np.zeros(1, dtype=np.int64)
    zone = np.ascontiguousarray(zone, dtype=np.int32)
    count_zone_parts(zone, factor, n_zones, np.zeros(n_zones, np.int64), cell, unit, count, n)
    row, col = np.divmod(cell[: n[0]], -(-zone.shape[1] // factor))
    return row, col, unit[: n[0]].copy(), count[: n[0]].copy()


def join_zone_parts(pieces, coarse_width: int, n_zones: int):
    """The blocks' parts (:func:`block_zone_parts`) as one ``(cell, zone, count)``, as
    :func:`zone_parts` gives them.

    ``pieces`` holds ``(row_offset, col_offset, parts)`` per block, the offsets in coarse
    cells; the blocks line up with the coarse cells, so no coarse cell is in two.
    """
    if not pieces:
        return np.zeros(0, np.int64), np.zeros(0, np.int32), np.zeros(0)
    cell = np.concatenate([(r0 + p[0]) * coarse_width + c0 + p[1] for r0, c0, p in pieces])
    zone = np.concatenate([p[2] for _, _, p in pieces])
    count = np.concatenate([p[3] for _, _, p in pieces])
    order = np.argsort(cell * n_zones + zone, kind="stable")
    return cell[order], zone[order], count[order]


def host_zones(parts, n_cells: int, outside: int) -> np.ndarray:
    """Unit of each coarse cell for the people it hosts: the unit with most of its fine
    cells, outside (``outside``) only when no unit reaches the cell."""
    cell, zone, count = parts
    rank = np.where(zone == outside, -1.0, count)
    order = np.lexsort((rank, cell))  # by cell, then by count, most last
    host = np.full(n_cells, outside, dtype=np.int32)
    host[cell[order]] = zone[order]
    return host


def allocate_band(displaced, safe, weights, parts, host, n_zones: int, totals=None):
    """Allocate one band's displaced people on the coarse grid, unit by unit.

    Each coarse cell's displaced people are split among the units sharing it in
    proportion to their fine cells; with ``totals``, each unit's parts are then rescaled
    to its total (the run's displaced people of the unit; a unit whose parts hold no one
    gets its total spread over its cells by fine cells). Every part moves by its cell's
    distance-decay shares (``mobility_kernels.allocate_by_distance``), so that each flow
    keeps its unit of origin.

    Parameters
    ----------
    displaced, safe : ndarray, shape (H, W)
        People displaced, and people safe (able to host), per coarse cell.
    weights : ndarray
        From :func:`distance_weights`.
    parts : tuple of ndarray
        ``(cell, zone, count)`` from :func:`zone_parts` or the engine's pass
        (``EngineResult.zone_parts``), by cell.
    host : ndarray of int32, shape (H * W,)
        From :func:`host_zones`.
    n_zones : int
        Finest units + outside.
    totals : ndarray, shape (n_zones,), optional
        Displaced people per finest unit + outside to reproduce.

    Returns
    -------
    dict
        ``hosted``, ``no_host`` (per coarse cell), ``flows`` (``(origin, destination,
        people)`` arrays, one entry per pair of units with people moving, by origin then
        destination) and per-zone ``zone_displaced``, ``zone_hosted``, ``zone_no_host``.
    """
    cell, zone, count = parts
    shape = displaced.shape
    n_cells = shape[0] * shape[1]
    if cell.size > 1 and (np.diff(cell) < 0).any():
        order = np.argsort(cell, kind="stable")
        cell, zone, count = cell[order], zone[order], count[order]
    in_cell = np.bincount(cell, weights=count, minlength=n_cells)
    amount = displaced.ravel()[cell] * count / in_cell[cell]
    if totals is not None:
        found = np.bincount(zone, weights=amount, minlength=n_zones)
        cells_of = np.bincount(zone, weights=count, minlength=n_zones)
        with np.errstate(invalid="ignore", divide="ignore"):
            scale = np.where(found > 0, totals / found, 0.0)
            spread = np.where((found > 0) | (cells_of == 0), 0.0, totals / cells_of)
        amount = amount * scale[zone] + count * spread[zone]
    hosted = np.zeros(n_cells)
    no_host = np.zeros(n_cells)
    zone_no_host = np.zeros(n_zones)
    flow_from, flow_to, flow_people = allocate_by_distance(
        np.searchsorted(cell, np.arange(n_cells + 1)).astype(np.int64),
        np.ascontiguousarray(zone, dtype=np.int32),
        np.ascontiguousarray(amount, dtype=np.float64),
        np.ascontiguousarray(safe, dtype=np.float64),
        weights,
        np.ascontiguousarray(host, dtype=np.int32).reshape(shape),
        hosted.reshape(shape),
        no_host.reshape(shape),
        zone_no_host,
    )
    # the flows of every cell summed per (unit of origin, host unit) pair
    pairs, which = np.unique(flow_from.astype(np.int64) * n_zones + flow_to, return_inverse=True)
    people = np.bincount(which, weights=flow_people, minlength=pairs.size)
    moving = people > 0
    return {
        "hosted": hosted.reshape(shape),
        "no_host": no_host.reshape(shape),
        "flows": (pairs[moving] // n_zones, pairs[moving] % n_zones, people[moving]),
        "zone_displaced": np.bincount(zone, weights=amount, minlength=n_zones),
        "zone_hosted": np.bincount(host, weights=hosted, minlength=n_zones),
        "zone_no_host": zone_no_host,
    }
