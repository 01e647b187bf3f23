"""Overlay kernels and the curve they evaluate: numpy arrays in, ``out`` arrays filled.

The displaced share at an intensity (:func:`evaluate_curves`) and the overlays that call
it per cell (:func:`overlay_bands`, :func:`overlay_combined`, :func:`mark_unknown_cells`)
live in this one file on purpose: numba's cache notices a change only in the file that
defines a cached kernel, so a jitted helper in another file (the curve) would leave the
cached overlays computing with the old one (DESIGN.md, Numba rules; a test checks it).
Conventions as in :mod:`mecc.kernels`, whose ``KERNELS`` lists each kernel with its
plain-numpy reference (those of this file's kernels are in :mod:`mecc.overlay_references`).
"""

from __future__ import annotations

import math

import numpy as np

from mecc._numba import jit

__all__ = [
    "CURVE_LINEAR",
    "CURVE_STEP",
    "evaluate_curves",
    "mark_unknown_cells",
    "overlay_bands",
    "overlay_combined",
]

CURVE_LINEAR = 0
"""Linear between points, clamped at the ends; a repeated intensity is a vertical step
whose value at the step is the upper share (right-continuous)."""
CURVE_STEP = 1
"""Piecewise constant, right-continuous: the share of the last point at or below the
intensity (the first point's share below it)."""


# --------------------------------------------------------------------------- curves


@jit
def _curve_share(intensity, xs, ys, n, kind):
    """Share displaced at ``intensity`` for one curve (scalar helper).

    ``k``, the last point at or below the intensity (right-continuous at repeats), is
    counted rather than searched, and the ends are chosen by selects: curves have few
    points, and on real maps intensities vary from cell to cell, so a binary search's
    branches are mispredicted about once per cell (the overlay of the bench country ran
    11-13 % faster on one thread with counting). The arithmetic of every case is the
    one of the definition, so the shares are the same to the bit.
    """
    k = -1
    for m in range(n):
        k += xs[m] <= intensity
    return _share_at(k, intensity, xs, ys, n, kind)


@jit(inline="always")
def _share_at(k, intensity, xs, ys, n, kind):
    """The share at ``intensity`` given ``k``, the index of the curve's last point at or
    below it (-1 below the first): the ends by selects, linear between points."""
    if kind == CURVE_STEP or n == 1:
        return ys[max(k, 0)]
    inner = min(max(k, 0), n - 2)
    x0 = xs[inner]
    y0 = ys[inner]
    # (x1 - x0) > 0 whenever 0 <= k < n - 1; the clamped ends are discarded below
    interpolated = y0 + (ys[inner + 1] - y0) * ((intensity - x0) / (xs[inner + 1] - x0))
    share = ys[n - 1] if k >= n - 1 else interpolated
    return ys[0] if k < 0 else share


SMALL_CURVE = 8
"""Most points of a curve the overlay evaluates from tables (:func:`_small_curves`):
its points, then +inf (never at or below an intensity), counted in a loop of fixed
length without branches."""


@jit
def evaluate_curves(intensity, curve_x, curve_y, curve_n, curve_kind, out):
    """Evaluate every curve at every intensity.

    Parameters
    ----------
    intensity : ndarray of float64, shape (m,)
    curve_x, curve_y : ndarray of float64, shape (n_curves, max_points)
    curve_n, curve_kind : ndarray of int64, shape (n_curves,)
    out : ndarray of float64, shape (n_curves, m)
        Receives the shares; NaN where the intensity is NaN.
    """
    for v in range(curve_n.shape[0]):
        for i in range(intensity.shape[0]):
            value = intensity[i]
            if math.isnan(value):
                out[v, i] = np.nan
            else:
                out[v, i] = _curve_share(value, curve_x[v], curve_y[v], curve_n[v], curve_kind[v])


# --------------------------------------------------------------------- the overlay


@jit
def overlay_bands(
    population,
    zone,
    intensity,
    fraction,
    curve_x,
    curve_y,
    curve_n,
    curve_kind,
    exposure_threshold,
    band_weight,
    exposed_out,
    displaced_out,
    no_data_out,
    cell_out,
    coarse_factor,
    coarse_displaced_out,
    coarse_safe_out,
):
    """Overlay all bands of one hazard with population in one pass; add per zone.

    For each cell with population ``p > 0`` and each band ``b`` with intensity ``I``:

    - ``I`` NaN (or, where ``I > 0``, the fraction NaN): ``p`` is added to
      ``no_data_out[zone, b]``;
    - ``I <= 0``: nothing (the fraction is not consulted);
    - otherwise, with ``f`` the fraction (1 without a fraction grid):
      ``exposed_out[zone, b] += p * f`` when ``I >= exposure_threshold`` and
      ``displaced_out[zone, b, v] += p * f * curve_v(I)`` for every curve ``v``.

    A row is scanned band by band for its cells wet or missing in some band (a
    vectorised pass: most cells are dry); each of those is then visited once, every band
    at once, and runs of equal zone ids among them are summed locally and added once per
    run. A cell's ``cell_out`` gets its bands in order, as one ``+=`` per band would.

    Parameters
    ----------
    population : ndarray of float64, shape (h, w)
    zone : ndarray of int32, shape (h, w)
    intensity : ndarray of float64 or float32, shape (n_bands, h, w)
        Float32 bands (as read from float32 files) are widened exactly to float64 where
        used: the figures are those of the float64 values, at half the memory traffic.
    fraction : ndarray of float64 or float32, shape (n_bands, h, w) or (0, 0, 0)
        Flooded share of each cell; an empty array means 1 everywhere.
    curve_x, curve_y, curve_n, curve_kind : see module docstring
    exposure_threshold : float
        Intensity at or above which a cell's people count as exposed.
    band_weight : ndarray of float64, shape (n_zones, n_bands)
        Weights of the per-cell output, per zone (annual frequencies or return-period
        integration weights, which depend on a zone's protection standard; 1 for a
        single scenario).
    exposed_out, no_data_out : ndarray of float64, shape (n_zones, n_bands)
    displaced_out : ndarray of float64, shape (n_zones, n_bands, n_curves)
    cell_out : ndarray of float64, shape (h, w) or (0, 0)
        When not empty, ``sum_b band_weight[zone, b] * displaced`` of the first curve is
        added to each cell (pass zeros); :func:`mark_unknown_cells` then marks the cells
        with no hazard data.
    coarse_factor : int
        Cells per side of the coarse grid's cells (the allocation's), from the block's
        first row and column.
    coarse_displaced_out, coarse_safe_out : ndarray of float64, shape (n_bands,
        ceil(h / coarse_factor), ceil(w / coarse_factor)), or None
        When given, each band's displaced people (first curve) and safe people
        (who can host) are added per coarse cell: a populated cell with ``I`` NaN, or a
        NaN fraction, adds to neither; ``I <= 0`` adds ``p`` to the safe; otherwise
        ``d = p * f * curve_0(I)`` (0 where ``f <= 0``) is displaced and, where ``I`` is
        below the exposure threshold, ``p - d`` is safe.
    """
    n_bands = intensity.shape[0]
    n_curves = curve_n.shape[0]
    has_fraction = fraction.shape[0] > 0
    write_cells = cell_out.shape[0] > 0
    height, width = population.shape
    n_words = -(-width // 8)
    acted = np.zeros(n_words * 8, dtype=np.uint8)  # wet or missing in some band
    words = acted.view(np.uint64)  # eight cells at a time: most are 0
    where = np.empty(n_words * 8, dtype=np.int64)  # their columns
    tables = _small_curves(curve_x, curve_y, curve_n, curve_kind)
    # the current run's sums per band (curves 1, 2, ... in `displaced`)
    exposed = np.zeros(n_bands)
    first_curve = np.zeros(n_bands)
    displaced = np.zeros((n_bands, n_curves))
    missing = np.zeros(n_bands)
    weight = np.zeros(n_bands)
    run = (exposed, first_curve, displaced, missing, weight)
    sums = (exposed_out, displaced_out, no_data_out)
    # The coarse sums are tested as `coarse_safe_out is None` where they are used: numba
    # prunes those branches when None is passed, so the overlay alone pays nothing.
    # People of dry cells, per band and column, over the coarse grid's current row:
    if coarse_safe_out is not None:
        dry_people = np.zeros((n_bands, width))
    for i in range(height):
        ci = 0
        if coarse_safe_out is not None:
            ci = i // coarse_factor
        people_row = population[i]
        # one vectorised pass per band marks the cells to look at (most are dry) ...
        first = intensity[0, i]
        for j in range(width):
            acted[j] = not (first[j] <= 0.0)
        for b in range(1, n_bands):
            row = intensity[b, i]
            for j in range(width):
                acted[j] |= not (row[j] <= 0.0)
        if coarse_safe_out is not None:  # branch-free, column by column: vectorised
            for b in range(n_bands):
                row = intensity[b, i]
                dry_row = dry_people[b]
                for j in range(width):
                    p = people_row[j]
                    dry_row[j] += p if (p > 0.0) & (row[j] <= 0.0) else 0.0
        count = 0
        for w in range(n_words):
            if words[w] == 0:
                continue
            for j in range(8 * w, 8 * w + 8):
                where[count] = j
                count += acted[j]
        # ... and each of them is visited once, every band at once
        run_zone = _visit_cells(
            i, where[:count], people_row, zone[i], intensity, fraction, has_fraction, tables,
            curve_x, curve_y, curve_n, curve_kind, exposure_threshold, band_weight,
            run, sums, cell_out, write_cells, ci, coarse_factor,
            coarse_displaced_out, coarse_safe_out,
        )  # fmt: skip
        if run_zone >= 0:
            _add_run(run_zone, exposed, first_curve, displaced, missing, sums)
        if coarse_safe_out is not None:  # noqa: SIM102 - pruned alone (above)
            if (i + 1) % coarse_factor == 0 or i + 1 == height:
                _add_dry_people(dry_people, coarse_factor, coarse_safe_out[:, ci])


@jit
def _small_curves(curve_x, curve_y, curve_n, curve_kind):
    """Tables of the curves of at most :data:`SMALL_CURVE` points, for :func:`_small_share`.

    Returns
    -------
    small : ndarray of bool, shape (n_curves,)
        Whether curve ``v`` has at most SMALL_CURVE points (the others are evaluated by
        :func:`_curve_share`).
    padded : ndarray of float64, shape (n_curves, SMALL_CURVE)
        Its points' intensities, then +inf (never at or below an intensity).
    segments : ndarray of float64, shape (n_curves, SMALL_CURVE, 4)
        Per segment ``k``: ``x[k]``, ``y[k]``, ``x[k + 1] - x[k]``, ``y[k + 1] - y[k]``,
        the differences :func:`_share_at` takes, so the shares are the same to the bit.
    linear : ndarray of bool, shape (n_curves,)
        Whether the curve is interpolated (linear, more than one point).
    """
    n_curves = curve_n.shape[0]
    small = np.zeros(n_curves, dtype=np.bool_)
    padded = np.full((n_curves, SMALL_CURVE), np.inf)
    segments = np.zeros((n_curves, SMALL_CURVE, 4))
    linear = np.zeros(n_curves, dtype=np.bool_)
    for v in range(n_curves):
        n = curve_n[v]
        if n > SMALL_CURVE:
            continue
        small[v] = True
        linear[v] = curve_kind[v] != CURVE_STEP and n > 1
        for m in range(n):
            padded[v, m] = curve_x[v, m]
        for m in range(n - 1):
            segments[v, m, 0] = curve_x[v, m]
            segments[v, m, 1] = curve_y[v, m]
            segments[v, m, 2] = curve_x[v, m + 1] - curve_x[v, m]
            segments[v, m, 3] = curve_y[v, m + 1] - curve_y[v, m]
    return small, padded, segments, linear


@jit(inline="always")
def _small_share(intensity, padded, segments, ys, n, linear):
    """:func:`_curve_share` of a curve of at most SMALL_CURVE points, from its row of
    :func:`_small_curves`: ``k`` counted in a loop of fixed length, then
    :func:`_share_at`'s cases with the same arithmetic."""
    k = -1
    for m in range(SMALL_CURVE):
        k += padded[m] <= intensity
    k = min(k, n - 1)  # +inf is at or below the padding's +inf too
    if not linear:
        return ys[max(k, 0)]
    if k < 0:
        return ys[0]
    if k >= n - 1:
        return ys[n - 1]
    return segments[k, 1] + segments[k, 3] * ((intensity - segments[k, 0]) / segments[k, 2])


@jit(inline="always")  # called once per row: a call costs a 1-band overlay 20 %
def _visit_cells(
    i,
    where,
    people_row,
    zone_row,
    intensity,
    fraction,
    has_fraction,
    tables,
    curve_x,
    curve_y,
    curve_n,
    curve_kind,
    exposure_threshold,
    band_weight,
    run,
    sums,
    cell_out,
    write_cells,
    ci,
    coarse_factor,
    coarse_displaced_out,
    coarse_safe_out,
):
    """Add the cells ``where`` of row ``i`` (wet or missing in some band) of
    :func:`overlay_bands`, every band of a cell at once, runs of equal zones summed in
    ``run`` (``exposed, first_curve, displaced, missing, weight``) and added to ``sums``
    when the zone changes. Returns the zone of the last run (-1: none), whose sums are
    still in ``run``.

    The first curve is evaluated in the loop over the bands, the other curves (a
    curve's variants) in a loop of their own after it: in one loop, their code alone
    slowed the overlay of a single curve by 5-10 %.
    """
    exposed, first_curve, displaced, missing, weight = run
    n_bands = intensity.shape[0]
    n_curves = curve_n.shape[0]
    n_zones = sums[0].shape[0]  # exposed_out's zones
    small, padded, segments, linear = tables
    # the first curve's rows, taken once: array views made inside the loop cost registers
    small0, padded0, segments0, linear0 = small[0], padded[0], segments[0], linear[0]
    xs0, ys0, n0, kind0 = curve_x[0], curve_y[0], curve_n[0], curve_kind[0]
    run_zone = -1
    for q in range(where.shape[0]):
        j = where[q]
        p = people_row[j]
        if not p > 0.0:
            continue
        z = zone_row[j]
        if z != run_zone or run_zone < 0:  # a row's first zone is checked too
            if z < 0 or z >= n_zones:
                raise ValueError("zone index out of range")
            if run_zone >= 0:
                _add_run(run_zone, exposed, first_curve, displaced, missing, sums)
            run_zone = z
            for b in range(n_bands):
                weight[b] = band_weight[z, b]
        cell = cell_out[i, j] if write_cells else 0.0
        for b in range(n_bands):
            value = np.float64(intensity[b, i, j])  # float32 bands are read exactly
            if not value > 0.0:
                if value != value:
                    missing[b] += p
                continue
            f = 1.0
            if has_fraction:
                f = np.float64(fraction[b, i, j])
                if f != f:
                    missing[b] += p
                    continue
                if not f > 0.0:
                    if coarse_safe_out is not None:  # noqa: SIM102 - pruned alone (above)
                        if value < exposure_threshold:
                            coarse_safe_out[b, ci, j // coarse_factor] += p
                    continue
            people = p * f
            exposed[b] += people if value >= exposure_threshold else 0.0
            if small0:
                share = _small_share(value, padded0, segments0, ys0, n0, linear0)
            else:
                share = _curve_share(value, xs0, ys0, n0, kind0)
            cell_displaced = people * share
            first_curve[b] += cell_displaced
            cell += weight[b] * cell_displaced  # bands in order, as `+=` on the cell
            if coarse_safe_out is not None:
                cj = j // coarse_factor
                coarse_displaced_out[b, ci, cj] += cell_displaced
                if value < exposure_threshold:
                    coarse_safe_out[b, ci, cj] += p - cell_displaced
        if write_cells:
            cell_out[i, j] = cell
        if n_curves == 1:
            continue
        for b in range(n_bands):  # the other curves, on the same people as above
            value = np.float64(intensity[b, i, j])
            if not value > 0.0:  # dry, or missing (counted above)
                continue
            f = 1.0
            if has_fraction:
                f = np.float64(fraction[b, i, j])
                if not f > 0.0:  # NaN (counted above) or no flooded share
                    continue
            people = p * f
            for v in range(1, n_curves):
                if small[v]:
                    share = _small_share(
                        value, padded[v], segments[v], curve_y[v], curve_n[v], linear[v]
                    )
                else:
                    share = _curve_share(value, curve_x[v], curve_y[v], curve_n[v], curve_kind[v])
                displaced[b, v] += people * share
    return run_zone


@jit(inline="always")
def _add_dry_people(dry_people, factor, safe_out):
    """Add each band's people of dry cells, per stretch of ``factor`` columns, to one row
    of the coarse grid (``safe_out[b, cj]``), and clear them."""
    n_bands, width = dry_people.shape
    for b in range(n_bands):
        for cj in range(safe_out.shape[1]):
            total = 0.0
            for j in range(cj * factor, min((cj + 1) * factor, width)):
                total += dry_people[b, j]
                dry_people[b, j] = 0.0
            safe_out[b, cj] += total


@jit(inline="always")
def _add_run(z, exposed, first_curve, displaced, missing, sums):
    """Add one run's sums, every band, to zone ``z`` and clear them.

    ``sums`` is ``(exposed_out, displaced_out, no_data_out)`` of :func:`overlay_bands`;
    ``first_curve`` holds the first curve's sums, ``displaced[:, 1:]`` the others'.
    """
    exposed_out, displaced_out, no_data_out = sums
    for b in range(exposed.shape[0]):
        exposed_out[z, b] += exposed[b]
        displaced_out[z, b, 0] += first_curve[b]
        no_data_out[z, b] += missing[b]
        exposed[b] = 0.0
        first_curve[b] = 0.0
        missing[b] = 0.0
        for v in range(1, displaced.shape[1]):
            displaced_out[z, b, v] += displaced[b, v]
            displaced[b, v] = 0.0


@jit
def mark_unknown_cells(population, intensity, fraction, cell_out):
    """Set to NaN the per-cell output of populated cells with no hazard data in any band.

    The overlays count such people as "no hazard data" per zone and band; this marks
    their cells so that a per-cell grid (displaced.tif) shows them as unknown rather
    than 0. A cell missing in some bands only keeps the other bands' sum, as the zone
    sums do. Run after :func:`overlay_bands` or :func:`overlay_combined` on a block that
    had people without hazard data (kept out of the overlay's own loop, which it would
    slow down: 17 % with the allocation's coarse sums).

    Parameters
    ----------
    population : ndarray of float64, shape (h, w)
    intensity : ndarray of float64, shape (n_components, n_bands, h, w)
        One component for :func:`overlay_bands`; a band of a cell is missing when every
        component is NaN there, or (one component with a fraction) the intensity is
        above 0 and the fraction NaN.
    fraction : ndarray of float64, shape (n_bands, h, w) or (0, 0, 0)
    cell_out : ndarray of float64, shape (h, w)
    """
    n_components, n_bands = intensity.shape[0], intensity.shape[1]
    has_fraction = fraction.shape[0] > 0
    for i in range(population.shape[0]):
        for j in range(population.shape[1]):
            if not population[i, j] > 0.0:
                continue
            unknown = True
            for b in range(n_bands):
                band_missing = True
                for c in range(n_components):
                    value = intensity[c, b, i, j]
                    if value == value and not (
                        has_fraction and value > 0.0 and fraction[b, i, j] != fraction[b, i, j]
                    ):
                        band_missing = False
                        break
                if not band_missing:
                    unknown = False
                    break
            if unknown:
                cell_out[i, j] = np.nan


# ------------------------------------------------------- hazards of the same event


@jit
def overlay_combined(
    population,
    zone,
    intensity,
    curve_x,
    curve_y,
    curve_n,
    curve_kind,
    exposure_threshold,
    combine_max,
    band_weight,
    exposed_out,
    displaced_out,
    no_data_out,
    cell_out,
):
    """Overlay hazards of the same event (e.g. wind and storm surge), shares combined.

    For each populated cell and band, component ``c`` with intensity ``I_c`` gives the
    share ``curve_c(I_c)``; the cell's share is the largest (``combine_max``) or
    ``1 - prod(1 - share_c)`` (independent damage mechanisms) — never the sum. A
    missing component contributes nothing; the cell's people count as "no hazard data"
    only where every component is missing. People are exposed where any component
    reaches its own exposure threshold.

    Parameters
    ----------
    population : ndarray of float64, shape (h, w)
    zone : ndarray of int32, shape (h, w)
    intensity : ndarray of float64, shape (n_components, n_bands, h, w)
    curve_x, curve_y, curve_n, curve_kind : the curve of each component (packed)
    exposure_threshold : ndarray of float64, shape (n_components,)
    combine_max : bool
    band_weight, exposed_out, no_data_out : as for :func:`overlay_bands`
    displaced_out : ndarray of float64, shape (n_zones, n_bands, 1)
    cell_out : ndarray of float64, shape (h, w) or (0, 0)
    """
    n_components = intensity.shape[0]
    n_bands = intensity.shape[1]
    n_zones = exposed_out.shape[0]
    write_cells = cell_out.shape[0] > 0
    for i in range(population.shape[0]):
        for j in range(population.shape[1]):
            p = population[i, j]
            if not p > 0.0:
                continue
            z = zone[i, j]
            if z < 0 or z >= n_zones:
                raise ValueError("zone index out of range")
            for b in range(n_bands):
                all_missing = True
                exposed = False
                largest = 0.0
                spared = 1.0
                for c in range(n_components):
                    value = intensity[c, b, i, j]
                    if value != value:
                        continue
                    all_missing = False
                    if not value > 0.0:
                        continue
                    if value >= exposure_threshold[c]:
                        exposed = True
                    share = _curve_share(value, curve_x[c], curve_y[c], curve_n[c], curve_kind[c])
                    largest = max(largest, share)
                    spared *= 1.0 - share
                if all_missing:
                    no_data_out[z, b] += p
                    continue
                if exposed:
                    exposed_out[z, b] += p
                displaced = p * (largest if combine_max else 1.0 - spared)
                displaced_out[z, b, 0] += displaced
                if write_cells:
                    cell_out[i, j] += band_weight[z, b] * displaced
