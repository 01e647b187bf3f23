"""displaced.tif: unknown cells are nodata (NaN), never 0, at every overview level."""

from __future__ import annotations

import json

import numpy as np
import pytest
import rasterio
from affine import Affine
from click.testing import CliRunner
from rasterio.windows import Window

from cli import main
from mecc.cell_grid import CellGridWriter
from mecc.grid import GridSpec
from tests._run_inputs import DEPTH, POP, basic_case, write_run
from tests.conftest import write_raster

NAN = np.nan


def _nan_means(values, factor):
    """Mean of the known (non-NaN) cells of each factor x factor group; NaN if none."""
    h, w = values.shape
    out = np.full((-(-h // factor), -(-w // factor)), np.nan)
    for r in range(out.shape[0]):
        for c in range(out.shape[1]):
            group = values[r * factor : (r + 1) * factor, c * factor : (c + 1) * factor]
            known = group[~np.isnan(group)]
            if known.size:
                out[r, c] = known.sum() / known.size
    return out


def _grid(height, width):
    return GridSpec("EPSG:4326", Affine(0.01, 0, 0, 0, -0.01, 10), width, height)


@pytest.mark.parametrize("block", [(256, 512), (200, 300)])  # aligned, and GDAL's overviews
def test_writer_marks_unknown_cells_and_averages_only_known_ones(tmp_path, block):
    height, width = 700, 1100  # overview levels 2x, 4x and 8x (1100 / 4 > 256)
    rng = np.random.default_rng(5)
    values = rng.uniform(0, 10, (height, width))
    values[rng.random((height, width)) < 0.2] = np.nan  # scattered unknown cells
    values[:, 600:] = 0.0  # tiles of zeros: sparse in the staging file, 0 in the COG
    values[0:16, 0:16] = np.nan  # a whole 4 x 4 group of the coarsest level unknown
    path = tmp_path / "cells.tif"
    writer = CellGridWriter(path, _grid(height, width), ["h"])
    for r in range(0, height, block[0]):
        for c in range(0, width, block[1]):
            part = values[r : r + block[0], c : c + block[1]].copy()
            writer.write(0, Window(c, r, part.shape[1], part.shape[0]), part)
    writer.close()
    with rasterio.open(path) as src:
        assert np.isnan(src.nodata)
        assert src.overviews(1) == [2, 4, 8]
        full = src.read(1)
        np.testing.assert_array_equal(np.isnan(full), np.isnan(values))
        np.testing.assert_array_equal(full[~np.isnan(full)], values[~np.isnan(values)])
        for factor in (2, 4, 8):
            shape = (-(-height // factor), -(-width // factor))
            level = src.read(1, out_shape=shape)
            expected = _nan_means(values, factor)
            np.testing.assert_array_equal(np.isnan(level), np.isnan(expected))
            np.testing.assert_allclose(level, expected, rtol=1e-12, equal_nan=True)
            assert (level[:, 600 // factor :] == 0).all()  # zeros stay 0, not nodata


def test_run_marks_populated_cells_without_hazard_data(tmp_path):
    """Flood maps that miss part of a populated country: displaced.tif is NaN (nodata)
    where a cell has no hazard data in any band; a cell missing in some bands keeps the
    others' sum, as the tables do, so the known cells add up to the summary."""
    case = basic_case(tmp_path / "case")
    rp10, rp100 = DEPTH * 0.5, DEPTH.copy()
    rp10[0, 0] = -9999.0  # the maps' nodata: (0, 0) has none in either map,
    rp100[0, :] = -9999.0  # the rest of row 0 only the 10-year map
    write_raster(tmp_path / "case" / "rp10.tif", rp10, nodata=-9999.0)
    write_raster(tmp_path / "case" / "rp100.tif", rp100, nodata=-9999.0)
    case["hazards"].append(
        {
            "id": "sc",
            "type": "river_flood",
            "intensity": "rp100.tif",
            "scenario": "A 100-year flood",
            "curve": "flood_step_1m",
        }
    )
    run_file = write_run(tmp_path / "case", case)
    result = CliRunner().invoke(main, ["run", str(run_file), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    with rasterio.open(tmp_path / "out" / "displaced.tif") as src:
        assert np.isnan(src.nodata)
        rf, sc = src.read(1), src.read(2)
    assert (POP > 0).all()  # every cell has people
    only_first = np.zeros((4, 4), dtype=bool)
    only_first[0, 0] = True
    np.testing.assert_array_equal(np.isnan(rf), only_first)
    np.testing.assert_array_equal(np.isnan(sc), np.repeat(np.arange(4)[:, None] == 0, 4, axis=1))
    # the scenario: people times the 1 m step (depth >= 1 m displaces everyone)
    np.testing.assert_array_equal(sc[1:], np.where(DEPTH[1:] >= 1.0, POP[1:], 0.0))
    assert sc[1:].sum() == pytest.approx(summary["hazards"]["sc"]["displaced"], rel=1e-12)
    assert np.nansum(rf) == pytest.approx(summary["hazards"]["rf"]["aad"], rel=1e-12)
    # row 0, columns 1-3: only the 10-year map (depth 0.25, 0.5, 1 m): the 1 m cell's
    # people displaced in the trapezoid's first half-interval (p10 - p100) / 2 = 0.045
    np.testing.assert_allclose(rf[0, 1:], [0.0, 0.0, POP[0, 3] * 0.045], rtol=1e-12)
    assert summary["hazards"]["sc"]["population_no_hazard_data"] == pytest.approx(POP[0].sum())
