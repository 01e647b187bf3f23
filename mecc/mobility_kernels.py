"""Kernels of the allocation of displaced people (numpy in, numpy out, no I/O).

- :func:`coarse_sums_reference`: per band, displaced people and people left safe, summed
  over ``factor x factor`` groups of cells (the allocation grid); the engine adds them on
  its pass, in :func:`mecc.kernels.overlay_bands`, which this is part of the reference of;
- :func:`allocate_by_distance`: each coarse cell's displaced people shared among safe
  coarse cells within a radius, in proportion to ``safe people x weight``, the weight a
  distance decay ``distance^-exponent`` given per source row and offset (a gravity rule,
  as planning heuristics for host communities use; DESIGN.md, Mobility layers);
- :func:`count_zone_parts`: the fine cells of each zone in each coarse cell, counted on
  the engine's pass from the block's rasterised zones (the units sharing a coarse cell).

Each kernel has a plain-numpy reference (``*_reference``) checked by property tests.
"""

from __future__ import annotations

import numpy as np

from mecc._numba import jit
from mecc.overlay_references import evaluate_curves_reference

__all__ = [
    "allocate_by_distance",
    "allocate_by_distance_reference",
    "coarse_sums_reference",
    "count_zone_parts",
    "count_zone_parts_reference",
]


def coarse_sums_reference(
    population,
    intensity,
    fraction,
    curve_x,
    curve_y,
    curve_n,
    curve_kind,
    exposure_threshold,
    factor,
    displaced_out,
    safe_out,
):
    """Plain-numpy reference of the coarse sums of :func:`mecc.kernels.overlay_bands`:
    per band, displaced and safe people summed over ``factor x factor`` groups of cells."""
    h, w = population.shape
    rows = np.repeat(np.arange(h) // factor, w)
    cols = np.tile(np.arange(w) // factor, h)
    n_cols = displaced_out.shape[2]
    key = rows * n_cols + cols
    size = displaced_out.shape[1] * n_cols
    p = population.ravel()
    people = p > 0
    for b in range(intensity.shape[0]):
        value = intensity[b].ravel()
        f = fraction[b].ravel() if fraction.shape[0] else np.ones_like(value)
        known = people & ~np.isnan(value)
        dry = known & ~(value > 0)
        wet = known & (value > 0) & ~np.isnan(f)
        share = np.zeros((curve_n.shape[0], value.size))
        evaluate_curves_reference(
            np.where(wet, value, 0.0), curve_x, curve_y, curve_n, curve_kind, share
        )
        d = np.where(wet & (f > 0), p * np.where(wet, f, 0.0) * share[0], 0.0)
        displaced_out[b] += np.bincount(key[wet], weights=d[wet], minlength=size).reshape(
            displaced_out.shape[1:]
        )
        safe = np.where(dry, p, 0.0) + np.where(wet & (value < exposure_threshold), p - d, 0.0)
        safe_out[b] += np.bincount(key[people], weights=safe[people], minlength=size).reshape(
            safe_out.shape[1:]
        )


@jit
def allocate_by_distance(
    part_start,
    part_zone,
    part_amount,
    safe,
    weights,
    host_zone,
    hosted_out,
    no_host_out,
    zone_no_host_out,
):
    """Share each coarse cell's displaced people among safe cells nearby.

    The displaced people of a source cell ``s`` are its parts: one per unit of origin
    (the units sharing the cell). ``s``, in row ``si``, gives a target ``t`` at offset
    ``(dr, dc)`` (``t`` may be ``s``) the share ``safe_t × w / Σ`` of its people, with
    ``w = weights[si, dr + R, dc + C]`` (0 beyond the radius; see
    ``mecc.allocation.distance_weights``), over the targets with ``safe_t > 0`` and
    ``w > 0``; each part moves by the same shares, so that every flow keeps its unit of
    origin. With no such target the people go to ``no_host_out[s]`` (and their units'
    ``zone_no_host_out``). Parts that are not positive move no one.
    ``Σ hosted + Σ no host = Σ displaced``.

    Parameters
    ----------
    part_start : ndarray of int64, shape (H * W + 1,)
        The parts of the cell of flat index ``s`` are ``part_start[s]:part_start[s + 1]``.
    part_zone : ndarray of int32, shape (n_parts,)
        Unit of origin of each part, ``0 <= part_zone < n_zones``.
    part_amount : ndarray of float64, shape (n_parts,)
        People displaced of each part.
    safe : ndarray of float64, shape (H, W)
        People able to host, per cell.
    weights : ndarray of float64, shape (H, 2R + 1, 2C + 1) or (1, 2R + 1, 2C + 1)
        Distance-decay weight of each offset, per source row (one row for all when the
        distances do not depend on the row, as on a projected grid).
    host_zone : ndarray of int32, shape (H, W)
        Unit of each target cell, ``0 <= host_zone < n_zones``.
    hosted_out, no_host_out : ndarray of float64, shape (H, W)
    zone_no_host_out : ndarray of float64, shape (n_zones,)

    Returns
    -------
    flow_from, flow_to : ndarray of int32
    flow_people : ndarray of float64
        The flows of each source cell (in row-major order): for each of its positive
        parts, in order, the people moving to each host unit, in the order the unit's
        first target cell comes in the window (row-major); not summed over cells. Only
        as many entries as flows: a country of 40,000 units needs no 40,000² matrix.
    """
    height, width = safe.shape
    reach_rows = (weights.shape[1] - 1) // 2
    reach_cols = (weights.shape[2] - 1) // 2
    per_row = weights.shape[0] > 1
    n_zones = zone_no_host_out.size
    seen = np.full(n_zones, -1, dtype=np.int64)  # the last source cell reaching a unit
    share_of = np.zeros(n_zones)  # the share of that cell's people a unit receives
    touched = np.empty(min(n_zones, (2 * reach_rows + 1) * (2 * reach_cols + 1)), np.int32)
    size = max(64, 4 * part_zone.size)
    flow_from = np.empty(size, np.int32)
    flow_to = np.empty(size, np.int32)
    flow_people = np.empty(size)
    n = 0
    for si in range(height):
        table = weights[si if per_row else 0]
        for sj in range(width):
            s = si * width + sj
            first, stop = part_start[s], part_start[s + 1]
            people = 0.0
            for k in range(first, stop):
                if part_amount[k] > 0.0:
                    people += part_amount[k]
            if not people > 0.0:
                continue
            r0, r1 = max(si - reach_rows, 0), min(si + reach_rows + 1, height)
            c0, c1 = max(sj - reach_cols, 0), min(sj + reach_cols + 1, width)
            total = 0.0
            for ti in range(r0, r1):
                row_weights = table[ti - si + reach_rows]
                for tj in range(c0, c1):
                    hosts = safe[ti, tj]
                    if hosts > 0.0:
                        total += hosts * row_weights[tj - sj + reach_cols]
            if not total > 0.0:
                no_host_out[si, sj] += people
                for k in range(first, stop):
                    if part_amount[k] > 0.0:
                        zone_no_host_out[part_zone[k]] += part_amount[k]
                continue
            m = 0  # host units reached from s, with the share each receives
            for ti in range(r0, r1):
                row_weights = table[ti - si + reach_rows]
                for tj in range(c0, c1):
                    hosts = safe[ti, tj]
                    w = row_weights[tj - sj + reach_cols]
                    if hosts > 0.0 and hosts * w > 0.0:  # a product that underflows: none
                        share = hosts * w / total
                        hosted_out[ti, tj] += people * share
                        into = host_zone[ti, tj]
                        if seen[into] != s:
                            seen[into] = s
                            share_of[into] = 0.0
                            touched[m] = into
                            m += 1
                        share_of[into] += share
            for k in range(first, stop):
                amount = part_amount[k]
                if not amount > 0.0:
                    continue
                if n + m > flow_people.size:  # more flows than room: twice the room
                    size = 2 * (n + m)
                    grown_from, grown_to = np.empty(size, np.int32), np.empty(size, np.int32)
                    grown_people = np.empty(size)
                    grown_from[:n], grown_to[:n] = flow_from[:n], flow_to[:n]
                    grown_people[:n] = flow_people[:n]
                    flow_from, flow_to, flow_people = grown_from, grown_to, grown_people
                for a in range(m):
                    flow_from[n] = part_zone[k]
                    flow_to[n] = touched[a]
                    flow_people[n] = amount * share_of[touched[a]]
                    n += 1
    return flow_from[:n].copy(), flow_to[:n].copy(), flow_people[:n].copy()


def allocate_by_distance_reference(
    part_start,
    part_zone,
    part_amount,
    safe,
    weights,
    host_zone,
    hosted_out,
    no_host_out,
    zone_no_host_out,
):
    """Plain-numpy reference for :func:`allocate_by_distance` (a padded window per source)."""
    height, width = safe.shape
    reach_rows = (weights.shape[1] - 1) // 2
    reach_cols = (weights.shape[2] - 1) // 2
    pad_safe = np.pad(np.where(safe > 0, safe, 0.0), ((reach_rows,), (reach_cols,)))
    pad_zone = np.pad(host_zone.astype(np.int64), ((reach_rows,), (reach_cols,)))
    amount = np.where(part_amount > 0, part_amount, 0.0)
    cell_of_part = np.repeat(np.arange(height * width), np.diff(part_start))
    displaced = np.bincount(cell_of_part, weights=amount, minlength=height * width)
    flow_from, flow_to, flow_people = [], [], []
    for s in np.flatnonzero(displaced > 0):
        si, sj = divmod(int(s), width)
        parts = np.arange(part_start[s], part_start[s + 1])
        parts = parts[amount[parts] > 0]
        hosts = pad_safe[si : si + 2 * reach_rows + 1, sj : sj + 2 * reach_cols + 1]
        share = hosts * np.where(hosts > 0, weights[si if weights.shape[0] > 1 else 0], 0.0)
        total = share.sum()
        if not total > 0:
            no_host_out[si, sj] += displaced[s]
            np.add.at(zone_no_host_out, part_zone[parts], amount[parts])
            continue
        targets = np.nonzero(share > 0)
        fraction = share[targets] / total
        hosted_out[si + targets[0] - reach_rows, sj + targets[1] - reach_cols] += (
            displaced[s] * fraction
        )
        into = pad_zone[si + targets[0], sj + targets[1]]
        units, first = np.unique(into, return_index=True)
        units = units[np.argsort(first)]  # in the order each unit is first reached
        to_unit = np.array([fraction[into == u].sum() for u in units])
        for k in parts:
            flow_from += [part_zone[k]] * units.size
            flow_to += list(units)
            flow_people += list(amount[k] * to_unit)
    return (
        np.array(flow_from, dtype=np.int32),
        np.array(flow_to, dtype=np.int32),
        np.array(flow_people, dtype=np.float64),
    )


@jit
def count_zone_parts(zone, factor, n_zones, counts, cell_out, zone_out, count_out, n_out):
    """Fine cells of each zone in each ``factor x factor`` group of cells (coarse cell).

    Writes one ``(coarse cell, zone, cells)`` triple per zone present in a coarse cell,
    by coarse cell (row-major flat index on the coarse grid ``ceil(h / factor) x
    ceil(w / factor)``), then by zone, into the first ``n_out[0]`` entries of the outputs.

    Parameters
    ----------
    zone : ndarray of int32, shape (h, w)
        ``0 <= zone < n_zones``.
    factor, n_zones : int
    counts : ndarray of int64, shape (n_zones,)
        All zero; a scratch array, left all zero.
    cell_out : ndarray of int64, shape (>= h * w,)
    zone_out : ndarray of int32, shape (>= h * w,)
    count_out : ndarray of float64, shape (>= h * w,)
    n_out : ndarray of int64, shape (1,)
        Receives the number of triples written.
    """
    height, width = zone.shape
    coarse_width = -(-width // factor)
    touched = np.empty(min(n_zones, factor * factor), dtype=np.int32)
    n = 0
    for ci in range(-(-height // factor)):
        for cj in range(coarse_width):
            m = 0
            for i in range(ci * factor, min(ci * factor + factor, height)):
                row = zone[i]
                for j in range(cj * factor, min(cj * factor + factor, width)):
                    z = row[j]
                    if counts[z] == 0:
                        touched[m] = z
                        m += 1
                    counts[z] += 1
            for a in range(1, m):  # the few zones of a coarse cell, in order
                z = touched[a]
                b = a - 1
                while b >= 0 and touched[b] > z:
                    touched[b + 1] = touched[b]
                    b -= 1
                touched[b + 1] = z
            for a in range(m):
                z = touched[a]
                cell_out[n] = ci * coarse_width + cj
                zone_out[n] = z
                count_out[n] = counts[z]
                counts[z] = 0
                n += 1
    n_out[0] = n


def count_zone_parts_reference(zone, factor, n_zones, counts, cell_out, zone_out, count_out, n_out):
    """Plain-numpy reference for :func:`count_zone_parts` (one ``bincount``)."""
    height, width = zone.shape
    coarse_width = -(-width // factor)
    rows = (np.arange(height) // factor)[:, None]
    cols = (np.arange(width) // factor)[None, :]
    key = ((rows * coarse_width + cols) * n_zones + zone).ravel()
    local = np.bincount(key, minlength=1)
    present = np.flatnonzero(local)
    n = present.size
    cell_out[:n] = present // n_zones
    zone_out[:n] = present % n_zones
    count_out[:n] = local[present]
    n_out[0] = n
