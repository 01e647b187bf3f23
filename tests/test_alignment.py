"""Whole runs where hazard and population grids differ: the analysis grid, conservative
population aggregation, nearest/bilinear hazard sampling, other CRS, partial coverage."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyproj
import pytest
from affine import Affine

from mecc.run import run_country

FINE = Affine(0.05, 0, 10.0, 0, -0.05, 50.0)  # 8 x 8 population cells
COARSE = Affine(0.1, 0, 10.0, 0, -0.1, 50.0)  # 4 x 4 hazard cells


def _run(tmp_path, hazard_lines, name="run"):
    (tmp_path / f"{name}.yaml").write_text(
        "country: XXB\npopulation: {path: pop.tif}\nhazards:\n  - id: h\n    type: river_flood\n"
        + "".join(f"    {line}\n" for line in hazard_lines)
    )
    result = run_country(tmp_path / f"{name}.yaml", tmp_path / f"out_{name}")
    out = result.out_dir
    return (
        json.loads((out / "summary.json").read_text()),
        json.loads((out / "manifest.json").read_text()),
        pd.read_csv(out / "bands.csv", encoding="utf-8-sig"),
    )


@pytest.fixture
def population(raster_writer):
    rng = np.random.default_rng(3)
    people = rng.uniform(0, 50, (8, 8))
    raster_writer("pop.tif", people, transform=FINE)
    return people


def test_fraction_makes_the_hazard_grid_the_analysis_grid(tmp_path, raster_writer, population):
    depth = np.array(
        [[0.2, 0.6, 1.2, 0.0], [2.0, 0.4, 0.9, 1.0], [0.0, 0.0, 3.0, 0.1], [1.5, 0.7, 0.0, 0.55]]
    )
    fraction = np.linspace(0.05, 1.0, 16).reshape(4, 4)
    raster_writer("depth.tif", depth, transform=COARSE)
    raster_writer("fraction.tif", fraction, transform=COARSE)
    summary, manifest, bands = _run(
        tmp_path,
        ["intensity: depth.tif", "fraction: fraction.tif", "scenario: s", "curve: flood_step_0.5m"],
    )
    aggregated = population.reshape(4, 2, 4, 2).sum(axis=(1, 3))  # exact 2 x 2 sums
    expected = float((aggregated * fraction * (depth >= 0.5)).sum())
    assert summary["population_total"] == pytest.approx(population.sum(), rel=1e-12)
    assert summary["hazards"]["h"]["displaced"] == pytest.approx(expected, rel=1e-12)
    assert manifest["parameters"]["analysis_grid"]["source"] == "hazard h"
    assert manifest["parameters"]["analysis_grid"]["width"] == 4
    assert manifest["parameters"]["population"]["resampling"]["method"] == "area_weighted"
    exposed = float((aggregated * fraction * (depth >= 0.1)).sum())
    assert bands["exposed"].iloc[0] == pytest.approx(exposed, rel=1e-12)


@pytest.mark.parametrize("method", ["nearest", "bilinear"])
def test_coarse_hazard_is_sampled_onto_the_population_grid(
    tmp_path, raster_writer, population, method
):
    depth = np.array(
        [[0.0, 0.6, 1.2, 0.3], [2.0, -9999, 0.9, 1.0], [0.0, 0.0, 3.0, 0.1], [1.5, 0.7, 0.0, 0.55]]
    )
    raster_writer("depth.tif", depth, transform=COARSE, nodata=-9999)
    summary, manifest, _ = _run(
        tmp_path,
        ["intensity: depth.tif", "scenario: s", "curve: flood_step_0.5m", f"resampling: {method}"],
    )
    nearest = np.repeat(np.repeat(depth, 2, axis=0), 2, axis=1)
    missing = nearest == -9999  # the nearest source cell is nodata: never filled
    if method == "nearest":
        values = nearest
    else:
        values = _bilinear_by_hand(depth, nodata=-9999)
    displaced = float((population * (np.where(missing, 0, values) >= 0.5)).sum())
    assert summary["hazards"]["h"]["displaced"] == pytest.approx(displaced, rel=1e-12)
    assert summary["population_no_hazard_data"] == pytest.approx(
        population[missing].sum(), rel=1e-12
    )
    assert manifest["parameters"]["hazards"]["h"]["resampling"] == method
    assert manifest["parameters"]["analysis_grid"]["source"] == "population"


def _bilinear_by_hand(depth, nodata):
    """Fine-cell values: bilinear between coarse cell centres, missing neighbours dropped."""
    out = np.zeros((8, 8))
    valid = depth != nodata
    for i in range(8):
        for j in range(8):
            r, c = (i + 0.5) / 2 - 0.5, (j + 0.5) / 2 - 0.5  # position in coarse centre units
            r0, c0 = int(np.floor(r)), int(np.floor(c))
            total = weights = 0.0
            for rr, wy in ((r0, 1 - (r - r0)), (r0 + 1, r - r0)):
                for cc, wx in ((c0, 1 - (c - c0)), (c0 + 1, c - c0)):
                    if 0 <= rr < 4 and 0 <= cc < 4 and valid[rr, cc] and wy * wx > 0:
                        total += wy * wx * depth[rr, cc]
                        weights += wy * wx
            out[i, j] = total / weights
    return out


def test_hazard_in_another_crs_covering_part_of_the_country(tmp_path, raster_writer, population):
    """A Web Mercator hazard over the western half: the rest is "no hazard data"."""
    to_merc = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
    left, top = to_merc.transform(9.9, 50.05)
    right, bottom = to_merc.transform(10.2, 49.55)
    size = 1000.0
    width, height = int((right - left) // size), int((top - bottom) // size)
    merc = Affine(size, 0, left, 0, -size, top)
    cols, rows = np.meshgrid(np.arange(width), np.arange(height))
    depth = 0.02 * cols + 0.01 * rows  # metres, rising eastwards and southwards
    raster_writer("depth.tif", depth, transform=merc, crs="EPSG:3857")
    summary, manifest, _ = _run(
        tmp_path, ["intensity: depth.tif", "scenario: s", "curve: flood_step_0.5m"]
    )
    # independent nearest sampling of each population cell centre
    fine_cols, fine_rows = np.meshgrid(np.arange(8) + 0.5, np.arange(8) + 0.5)
    lon, lat = 10.0 + 0.05 * fine_cols, 50.0 - 0.05 * fine_rows
    x, y = to_merc.transform(lon, lat)
    col = np.floor((x - left) / size).astype(int)
    row = np.floor((top - y) / size).astype(int)
    inside = (col >= 0) & (col < width) & (row >= 0) & (row < height)
    value = np.where(inside, depth[np.clip(row, 0, height - 1), np.clip(col, 0, width - 1)], np.nan)
    assert 0 < inside.sum() < 64
    assert summary["population_no_hazard_data"] == pytest.approx(
        population[~inside].sum(), rel=1e-12
    )
    displaced = float(population[inside & (value >= 0.5)].sum())
    assert summary["hazards"]["h"]["displaced"] == pytest.approx(displaced, rel=1e-12)
    assert manifest["parameters"]["hazards"]["h"]["resampling"] == "nearest"


def test_south_up_files_are_read_north_up(tmp_path, raster_writer, population):
    """Rows stored from south to north (positive y resolution) are the same cells."""
    import rasterio

    depth = np.linspace(0.0, 2.5, 16).reshape(4, 4)
    south_up = Affine(0.1, 0, 10.0, 0, 0.1, 49.6)  # same cells as COARSE, rows reversed
    raster_writer("depth.tif", depth, transform=COARSE)
    raster_writer("depth_south.tif", depth[::-1], transform=south_up)
    raster_writer("pop.tif", population[::-1], transform=Affine(0.05, 0, 10.0, 0, 0.05, 49.6))
    summaries, grids = {}, {}
    for name in ("depth", "depth_south"):
        lines = [f"intensity: {name}.tif", "scenario: s", "curve: flood_step_0.5m"]
        summaries[name], manifest, _ = _run(tmp_path, lines, name=name)
        with rasterio.open(tmp_path / f"out_{name}" / "displaced.tif") as dataset:
            grids[name] = (dataset.transform, dataset.read(1))
        assert manifest["parameters"]["analysis_grid"]["width"] == 8
    aggregated = population.reshape(4, 2, 4, 2).sum(axis=(1, 3))
    expected = float((aggregated * (depth >= 0.5)).sum())  # population north-up, as meant
    for name in summaries:
        assert summaries[name]["population_total"] == pytest.approx(population.sum(), rel=1e-12)
        assert summaries[name]["hazards"]["h"]["displaced"] == pytest.approx(expected, rel=1e-12)
    assert grids["depth"][0] == grids["depth_south"][0] and grids["depth"][0].e < 0
    np.testing.assert_array_equal(grids["depth"][1], grids["depth_south"][1])
