"""Numba kernels: numpy arrays in, numpy arrays (``out``) filled, no I/O.

This module is the registry of every kernel: the overlays and the curve they evaluate
(:mod:`mecc.overlay_kernels`, one file, so that numba's cache sees a change of the curve
in the overlays), the grid kernels (masking, sampling, conservative regridding,
overviews, zonal population: :mod:`mecc.grid_kernels`), the terrain kernels (flood fill,
height above drainage: :mod:`mecc.terrain_kernels`), the allocation kernels
(:mod:`mecc.mobility_kernels`) and the TIFF predictor kernels that decode GeoTIFF
blocks (bytes and unsigned integers in, not float64: :mod:`mecc.tiff_kernels`). Import
them from here.

Every kernel has a plain-numpy reference implementation next to it, written
independently (vectorised, no shared helpers), and :data:`KERNELS` maps each kernel to
its reference so that tests and benchmarks iterate over the same registry.

Conventions shared by all kernels
---------------------------------
- Inputs are float64, C-ordered (the array layer casts before calling); sums
  accumulate in float64 into the ``out`` arrays, so calling a kernel block after block
  with the same ``out`` arrays adds the blocks in call order.
- Missing values are NaN. A hazard cell whose intensity is NaN contributes nothing and
  its population is counted as "no hazard data"; a cell with intensity <= 0
  contributes nothing (DESIGN.md, semantics). Population <= 0 or NaN counts nothing.
- Curves are passed as padded arrays (``curve_x``, ``curve_y`` of shape
  ``(n_curves, max_points)``, ``curve_n`` the number of points of each, ``curve_kind``
  :data:`CURVE_LINEAR` or :data:`CURVE_STEP`), never read from globals.
"""

from __future__ import annotations

from mecc.grid_kernels import (
    mask_missing_into,
    mask_missing_into_reference,
    max_groups,
    max_groups_reference,
    regrid_area_weighted,
    regrid_area_weighted_reference,
    sample_bilinear,
    sample_bilinear_reference,
    sample_nearest,
    sample_nearest_reference,
    sum_groups,
    sum_groups_reference,
    sum_known_groups,
    sum_known_groups_reference,
    zonal_population,
    zonal_population_reference,
)
from mecc.mobility_kernels import (
    allocate_by_distance,
    allocate_by_distance_reference,
    count_zone_parts,
    count_zone_parts_reference,
)
from mecc.overlay_kernels import (
    CURVE_LINEAR,
    CURVE_STEP,
    evaluate_curves,
    mark_unknown_cells,
    overlay_bands,
    overlay_combined,
)
from mecc.overlay_references import (
    evaluate_curves_reference,
    mark_unknown_cells_reference,
    overlay_bands_reference,
    overlay_combined_reference,
)
from mecc.terrain_kernels import (
    flood_fill_below,
    flood_fill_below_reference,
    height_above_drainage,
    height_above_drainage_reference,
)
from mecc.tiff_kernels import (
    unpredict_floating_point,
    unpredict_floating_point_into,
    unpredict_floating_point_into_reference,
    unpredict_floating_point_reference,
    unpredict_horizontal,
    unpredict_horizontal_reference,
)

__all__ = [
    "CURVE_LINEAR",
    "CURVE_STEP",
    "KERNELS",
    "allocate_by_distance",
    "allocate_by_distance_reference",
    "count_zone_parts",
    "count_zone_parts_reference",
    "evaluate_curves",
    "evaluate_curves_reference",
    "flood_fill_below",
    "flood_fill_below_reference",
    "height_above_drainage",
    "height_above_drainage_reference",
    "mark_unknown_cells",
    "mark_unknown_cells_reference",
    "mask_missing_into",
    "mask_missing_into_reference",
    "overlay_bands",
    "overlay_bands_reference",
    "overlay_combined",
    "overlay_combined_reference",
    "regrid_area_weighted",
    "regrid_area_weighted_reference",
    "sample_bilinear",
    "sample_bilinear_reference",
    "sample_nearest",
    "sample_nearest_reference",
    "sum_groups",
    "sum_groups_reference",
    "sum_known_groups",
    "sum_known_groups_reference",
    "unpredict_floating_point",
    "unpredict_floating_point_into",
    "unpredict_floating_point_into_reference",
    "unpredict_floating_point_reference",
    "unpredict_horizontal",
    "unpredict_horizontal_reference",
    "zonal_population",
    "zonal_population_reference",
]

KERNELS = {
    "evaluate_curves": (evaluate_curves, evaluate_curves_reference),
    "mask_missing_into": (mask_missing_into, mask_missing_into_reference),
    "zonal_population": (zonal_population, zonal_population_reference),
    "overlay_bands": (overlay_bands, overlay_bands_reference),
    "overlay_combined": (overlay_combined, overlay_combined_reference),
    "mark_unknown_cells": (mark_unknown_cells, mark_unknown_cells_reference),
    "sample_nearest": (sample_nearest, sample_nearest_reference),
    "sample_bilinear": (sample_bilinear, sample_bilinear_reference),
    "sum_groups": (sum_groups, sum_groups_reference),
    "sum_known_groups": (sum_known_groups, sum_known_groups_reference),
    "max_groups": (max_groups, max_groups_reference),
    "regrid_area_weighted": (regrid_area_weighted, regrid_area_weighted_reference),
    "flood_fill_below": (flood_fill_below, flood_fill_below_reference),
    "height_above_drainage": (height_above_drainage, height_above_drainage_reference),
    "allocate_by_distance": (allocate_by_distance, allocate_by_distance_reference),
    "count_zone_parts": (count_zone_parts, count_zone_parts_reference),
    "unpredict_floating_point": (unpredict_floating_point, unpredict_floating_point_reference),
    "unpredict_floating_point_into": (
        unpredict_floating_point_into,
        unpredict_floating_point_into_reference,
    ),
    "unpredict_horizontal": (unpredict_horizontal, unpredict_horizontal_reference),
}
"""Each kernel name mapped to ``(numba_kernel, numpy_reference)``; same signatures."""
