"""A hazard's grid as the analysis grid grows to cover the population grid, so people
beyond the hazard's map count as "no hazard data" instead of leaving the run."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from affine import Affine

from mecc.grid import GridSpec
from mecc.run import run_country

FINE = Affine(0.05, 0, 10.0, 0, -0.05, 50.0)  # 8 x 8 population cells, 10.0-10.4 E
WEST = Affine(0.1, 0, 10.0, 0, -0.1, 50.0)  # 2 x 4 hazard cells, 10.0-10.2 E only


def test_covering_grows_by_whole_cells_on_every_side():
    grid = GridSpec("EPSG:4326", Affine(0.1, 0, 10.0, 0, -0.1, 50.0), 2, 2)
    # half a cell beyond the west and north edges, two cells beyond the east and south
    grown = grid.covering((9.95, 49.6, 10.4, 50.05))
    assert (grown.width, grown.height) == (5, 5)
    assert grown.transform.almost_equals(Affine(0.1, 0, 9.9, 0, -0.1, 50.1))
    assert grid.covering((10.0, 49.8, 10.2, 50.0)) is grid  # already covered (its own bounds)
    assert grid.covering((10.01, 49.85, 10.15, 49.99)) is grid


def test_people_beyond_the_hazard_map_count_as_no_hazard_data(tmp_path, raster_writer):
    people = np.random.default_rng(7).uniform(0, 50, (8, 8))
    raster_writer("pop.tif", people, transform=FINE)
    depth = np.array([[0.2, 0.6], [2.0, 0.4], [0.0, 1.1], [1.5, 0.7]])
    fraction = np.array([[0.5, 1.0], [0.25, 0.75], [1.0, 1.0], [0.1, 0.9]])
    raster_writer("depth.tif", depth, transform=WEST)
    raster_writer("fraction.tif", fraction, transform=WEST)
    (tmp_path / "run.yaml").write_text(
        "country: XXB\npopulation: {path: pop.tif}\nhazards:\n  - id: h\n"
        "    type: river_flood\n    intensity: depth.tif\n    fraction: fraction.tif\n"
        "    scenario: s\n    curve: flood_step_0.5m\n"
    )
    out = run_country(tmp_path / "run.yaml", tmp_path / "out").out_dir
    summary = json.loads((out / "summary.json").read_text())
    manifest = json.loads((out / "manifest.json").read_text())
    west = people[:, :4].reshape(4, 2, 2, 2).sum(axis=(1, 3))  # exact 2 x 2 sums
    assert summary["population_total"] == pytest.approx(people.sum(), rel=1e-12)
    assert summary["population_no_hazard_data"] == pytest.approx(people[:, 4:].sum(), rel=1e-12)
    displaced = float((west * fraction * (depth >= 0.5)).sum())
    assert summary["hazards"]["h"]["displaced"] == pytest.approx(displaced, rel=1e-12)
    grid = manifest["parameters"]["analysis_grid"]
    assert grid["source"] == "hazard h, grown to cover the population grid"
    assert (grid["width"], grid["height"]) == (4, 4)
    zones = pd.read_csv(out / "zones.csv", encoding="utf-8-sig")
    national = zones.loc[zones["zone_code"] == "XXB"].iloc[0]
    assert national["population"] == pytest.approx(people.sum(), rel=1e-12)


def test_a_0_360_map_across_180_is_not_grown_the_wrong_way(tmp_path, raster_writer):
    """Tonga's people at -176..-174 under a map stored 170..190 east: the map is moved to
    the population's longitudes (-190..-170), where it covers them, so it does not grow
    at all; grown the wrong way round the Earth (to -176..190, 366 cells wide) it put
    every person beyond the map (0 displaced, no warning). Once refused as not
    overlapping, the population is now on the map's cells and half of it is displaced."""
    people = np.random.default_rng(11).uniform(1.0, 20.0, (20, 20))  # 0.1 degree cells
    raster_writer("pop.tif", people, transform=Affine(0.1, 0, -176, 0, -0.1, -19))
    east = Affine(1.0, 0, 170.0, 0, -1.0, -15.0)
    raster_writer("depth.tif", np.full((10, 20), 2.0), transform=east)
    raster_writer("fraction.tif", np.full((10, 20), 0.5), transform=east)
    (tmp_path / "run.yaml").write_text(
        "country: TON\npopulation: {path: pop.tif}\nhazards:\n  - id: h\n"
        "    type: coastal_flood\n    intensity: depth.tif\n    fraction: fraction.tif\n"
        "    scenario: s\n    curve: flood_step_0.5m\n"
    )
    out = run_country(tmp_path / "run.yaml", tmp_path / "out").out_dir
    manifest = json.loads((out / "manifest.json").read_text())
    grid = manifest["parameters"]["analysis_grid"]
    assert grid["source"] == "hazard h, moved by -360° to the population grid's longitudes"
    assert (grid["width"], grid["height"]) == (20, 10)  # the map's own cells, not grown
    assert grid["transform"] == pytest.approx([1.0, 0, -190.0, 0, -1.0, -15.0])
    assert not any("would grow" in w for w in manifest["warnings"])
    summary = json.loads((out / "summary.json").read_text())
    assert summary["population_total"] == pytest.approx(people.sum(), rel=1e-12)
    assert summary["population_no_hazard_data"] == 0.0
    # 2 m everywhere, over the 0.5 m step: the flooded half of everyone
    assert summary["hazards"]["h"]["displaced"] == pytest.approx(0.5 * people.sum(), rel=1e-12)
    report = manifest["parameters"]["population"]["resampling"]
    assert report["total_on_grid"] == pytest.approx(report["total_native"], rel=1e-12)


def test_a_grid_that_would_grow_too_far_is_kept_with_a_warning(
    tmp_path, raster_writer, monkeypatch
):
    import mecc.inputs

    monkeypatch.setattr(mecc.inputs, "GROWN_CELLS_MAX", 15)  # 4 x 4 = 16 cells: too many
    people = np.random.default_rng(7).uniform(0, 50, (8, 8))
    raster_writer("pop.tif", people, transform=FINE)
    raster_writer("depth.tif", np.full((4, 2), 2.0), transform=WEST)
    raster_writer("fraction.tif", np.full((4, 2), 0.5), transform=WEST)
    (tmp_path / "run.yaml").write_text(
        "country: XXB\npopulation: {path: pop.tif}\nhazards:\n  - id: h\n"
        "    type: river_flood\n    intensity: depth.tif\n    fraction: fraction.tif\n"
        "    scenario: s\n    curve: flood_step_0.5m\n"
    )
    out = run_country(tmp_path / "run.yaml", tmp_path / "out").out_dir
    manifest = json.loads((out / "manifest.json").read_text())
    assert any("would grow to 4 x 4 cells" in w for w in manifest["warnings"])
    assert manifest["parameters"]["analysis_grid"]["source"] == "hazard h"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["population_total"] == pytest.approx(people[:, :4].sum(), rel=1e-12)


def test_a_grown_hazard_grid_is_recorded_as_not_resampled(tmp_path, raster_writer):
    raster_writer("pop.tif", np.ones((8, 8)), transform=FINE)
    raster_writer("depth.tif", np.full((4, 2), 2.0), transform=WEST)
    raster_writer("fraction.tif", np.full((4, 2), 0.5), transform=WEST)
    (tmp_path / "run.yaml").write_text(
        "country: XXB\npopulation: {path: pop.tif}\nhazards:\n  - id: h\n"
        "    type: river_flood\n    intensity: depth.tif\n    fraction: fraction.tif\n"
        "    scenario: s\n    curve: flood_step_0.5m\n"
    )
    out = run_country(tmp_path / "run.yaml", tmp_path / "out").out_dir
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["parameters"]["hazards"]["h"]["resampling"] == "none (on the analysis grid)"
    assert GridSpec("EPSG:4326", WEST, 2, 4).shares_cells_with(
        GridSpec("EPSG:4326", WEST @ Affine.translation(-1, -3), 9, 9)
    )
    assert not GridSpec("EPSG:4326", WEST, 2, 4).shares_cells_with(
        GridSpec("EPSG:4326", FINE, 8, 8)
    )
