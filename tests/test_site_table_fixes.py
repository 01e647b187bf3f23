"""sites.csv agrees with the run's own figures for people in sites: a scenario's figures
carry the seasonal presence the zone figures carry, and a site list the grid already
counts holds at most the cell's people (shared by the cell's sites). Hand-built inputs;
expected numbers by hand."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from affine import Affine
from shapely.geometry import box

from mecc.run import run_country

T = Affine(0.1, 0, 10.0, 0, -0.1, 50.0)  # 3 x 3 cells of 100 people; cell (0, 0) 2 m deep


def _case(folder, raster_writer, sites, in_grid, seasonal=""):
    raster_writer("pop.tif", np.full((3, 3), 100.0), transform=T)
    depth = np.zeros((3, 3))
    depth[0, 0] = 2.0
    raster_writer("flood.tif", depth, transform=T)
    gpd.GeoDataFrame(
        {"code": ["A"]}, geometry=[box(10.0, 49.7, 10.3, 50.0)], crs="EPSG:4326"
    ).to_file(folder / "zones.geojson")
    lines = ["site_name,lat,lon,individuals"] + [f"{n},49.95,10.05,{p}" for n, p in sites]
    (folder / "sites.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "run.yaml").write_text(
        "country: XXS\npopulation: {path: pop.tif}\n"
        "zones: {path: zones.geojson, code_field: code, level: 1}\n"
        "hazards:\n  - id: flood\n    type: river_flood\n    intensity: flood.tif\n"
        "    scenario: s\n    curve: {step: 1.0}\n"
        f"mobility:\n  sites: {{path: sites.csv, in_population_grid: {in_grid}}}\n" + seasonal
    )
    out = run_country(folder / "run.yaml", folder / "out", with_map=False).out_dir
    table = pd.read_csv(out / "sites.csv", encoding="utf-8-sig").set_index("site_name")
    return table, json.loads((out / "summary.json").read_text())


def test_sites_the_grid_counts_hold_at_most_the_cells_people(tmp_path, raster_writer):
    table, summary = _case(tmp_path, raster_writer, [("S1", 500), ("S2", 300)], "true")
    # the cell holds 100 people: S1 and S2 share them 500 : 300
    for name, share in (("S1", 500 / 800), ("S2", 300 / 800)):
        assert table.loc[name, "individuals"] == {"S1": 500, "S2": 300}[name]
        assert table.loc[name, "individuals_counted"] == pytest.approx(100 * share)
        assert table.loc[name, "flood_displaced"] == pytest.approx(100 * share)
        assert table.loc[name, "flood_exposed"] == pytest.approx(100 * share)
    assert table["flood_displaced"].sum() == pytest.approx(summary["hazards"]["flood"]["displaced"])


def test_a_scenarios_site_figures_carry_the_seasonal_presence(tmp_path, raster_writer):
    (tmp_path / "seasonal.csv").write_text("code,month,mult\nA,3,0.5\nA,9,2\n")
    seasonal = (
        "  seasonal: {path: seasonal.csv, code_column: code, month_column: month, "
        "multiplier_column: mult}\n"
    )
    table, summary = _case(tmp_path, raster_writer, [("S1", 500)], "false", seasonal)
    presence = (10 * 1.0 + 0.5 + 2.0) / 12  # a scenario without a season: the year's mean
    assert table.loc["S1", "individuals_counted"] == pytest.approx(500)
    assert table.loc["S1", "flood_displaced"] == pytest.approx(500 * presence, rel=1e-12)
    assert table.loc["S1", "flood_exposed"] == pytest.approx(500 * presence, rel=1e-12)
    # the cell's grid people (100) and the site's (500), both present as the season says
    displaced = summary["hazards"]["flood"]["displaced"]
    assert displaced == pytest.approx(600 * presence, rel=1e-12)
