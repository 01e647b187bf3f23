"""Admin zones through whole runs: cell-centre rule, outside bucket, empty units,
geometry repair, two linked levels and the three vector formats."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point, Polygon

from tests._run_inputs import (
    DEPTH,
    POP,
    TRANSFORM,
    basic_case,
    cell_box,
    cell_centre,
    event_hazard,
    hidden_entries,
    write_run,
    write_zones,
)


def run_ok(cli, run_file, out, *args):
    result = cli("run", run_file, "--out", out, *args)
    assert result.exit_code == 0, result.stderr
    return result


def read_outputs(out):
    zones = pd.read_csv(out / "zones.csv", encoding="utf-8-sig", dtype={"zone_code": str})
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return zones, manifest, summary


def zone_value(zones, code, column, hazard="rf"):
    rows = zones[(zones["zone_code"] == code) & (zones["hazard_id"] == hazard)]
    assert len(rows) == 1, (code, hazard, rows)
    return float(rows[column].iloc[0])


# ---------------------------------------------------------------- cell-centre rule


def test_cell_centre_rule_outside_bucket_and_empty_zones(cli, tmp_path):
    folder = tmp_path / "case"
    run = basic_case(folder)
    # THIN: a strip 0.02 degree wide (20 % of cell (0, 0)) through the cell's centre.
    cx, cy = cell_centre(0, 0)
    thin = shapely.box(cx - 0.01, 49.9, cx + 0.01, 50.0)
    # HOLE: all of cell (0, 1) except a small square around its centre (96 % of the cell).
    hx, hy = cell_centre(0, 1)
    hole = cell_box(0, 1).difference(shapely.box(hx - 0.01, hy - 0.01, hx + 0.01, hy + 0.01))
    assert hole.area > 0.9 * cell_box(0, 1).area and not hole.contains(Point(hx, hy))
    assert thin.area < 0.5 * cell_box(0, 0).area and thin.contains(Point(cx, cy))
    # REST: rows 1-3, columns 0-1.  Columns 2-3 and cell (0, 1) are in no unit.
    rest = cell_box(1, 0, rows=3, cols=2)
    write_zones(folder / "zones.geojson", ["THIN", "HOLE", "REST"], [thin, hole, rest])
    out = tmp_path / "out"
    result = run_ok(cli, write_run(folder, run), out)
    zones, manifest, summary = read_outputs(out)

    assert zone_value(zones, "THIN", "population") == POP[0, 0]
    # no cell: its figures are not known (blank), not 0 (its people are in the buckets)
    assert np.isnan(zone_value(zones, "HOLE", "population"))
    assert zone_value(zones, "REST", "population") == POP[1:, :2].sum()
    outside = POP[0, 1] + POP[:, 2:].sum()
    assert zone_value(zones, "__outside__", "population") == outside
    assert summary["population_outside_zones"] == outside
    assert summary["population_total"] == POP.sum()
    # every hazard's zone rows plus the outside bucket reconcile with the total
    for hazard, rows in zones.groupby("hazard_id"):
        assert rows["population"].sum() == pytest.approx(POP.sum(), rel=1e-12), hazard

    # the displacement of cells in no unit is kept in the outside bucket, not dropped
    rp100_displaced = POP[:, 2:].sum()  # depth >= 1 m in columns 2-3, all outside
    assert zone_value(zones, "__outside__", "pmd_100") == pytest.approx(rp100_displaced)
    assert summary["hazards"]["rf"]["pmd"]["100"] == pytest.approx(rp100_displaced)

    assert manifest["zones_without_cells"] == ["HOLE"]
    assert any("HOLE" in w for w in manifest["warnings"])
    assert "HOLE" in result.stderr


def test_outside_bucket_counted_in_results_nc(cli, tmp_path):
    import xarray as xr

    folder = tmp_path / "case"
    run = basic_case(folder)
    write_zones(folder / "zones.geojson", ["A"], [cell_box(0, 0, rows=4, cols=2)])
    out = tmp_path / "out"
    run_ok(cli, write_run(folder, run), out)
    with xr.open_dataset(out / "results.nc") as ds:
        assert ds["population"].sel(zone="__outside__").item() == POP[:, 2:].sum()
        assert int(ds["cells"].sel(zone="__outside__")) == 8
        assert int(ds["cells"].sel(zone="A")) == 8


# ---------------------------------------------------------------- invalid geometry


def test_self_intersecting_polygon_repaired_with_warning(cli, tmp_path):
    folder = tmp_path / "case"
    run = basic_case(folder)
    # a bow-tie over the 4 x 4 grid, crossing itself at (10.2, 49.85)
    bowtie = Polygon([(10.0, 50.0), (10.4, 49.7), (10.4, 50.0), (10.0, 49.7)])
    assert not bowtie.is_valid
    write_zones(folder / "zones.geojson", ["BOW"], [bowtie])
    out = tmp_path / "out"
    result = run_ok(cli, write_run(folder, run), out)
    zones, manifest, _ = read_outputs(out)

    repaired = shapely.make_valid(bowtie)
    inside = np.array(
        [[repaired.contains(Point(cell_centre(r, c))) for c in range(4)] for r in range(4)]
    )
    assert inside.sum() == 8  # (0,0) (1,0) (2,0) (1,1) (1,2) (0,3) (1,3) (2,3)
    assert zone_value(zones, "BOW", "population") == POP[inside].sum()
    assert zone_value(zones, "__outside__", "population") == POP[~inside].sum()
    repairs = [w for w in manifest["warnings"] if "repaired" in w]
    assert len(repairs) == 1 and "BOW" in repairs[0]
    assert "repaired" in result.stderr


def test_shapes_with_points_and_lines_keep_their_polygons(cli, tmp_path):
    """A geometry collection (a GIS overlay's output) and a polygon whose repair leaves a
    line: only the polygons are used (the map stopped with KeyError 'coordinates')."""
    from shapely.geometry import GeometryCollection, LineString

    folder = tmp_path / "case"
    run = basic_case(folder)
    left = cell_box(0, 0, rows=4, cols=2)
    collection = GeometryCollection(
        [left, Point(10.05, 49.95), LineString([(10, 50), (10.1, 49.9)])]
    )
    # a square over columns 2-3 with a spike out to the east: make_valid keeps the spike
    x0, y0, x1, y1 = cell_box(0, 2, rows=4, cols=2).bounds
    spiky = Polygon(
        [(x0, y0), (x1, y0), (x1, 49.85), (10.6, 49.85), (x1, 49.85), (x1, y1), (x0, y1)]
    )
    assert not spiky.is_valid and shapely.get_type_id(shapely.make_valid(spiky)) == 7
    write_zones(folder / "zones.geojson", ["GC", "SPIKE"], [collection, spiky])
    out = tmp_path / "out"
    result = run_ok(cli, write_run(folder, run), out)
    zones, manifest, _ = read_outputs(out)
    assert zone_value(zones, "GC", "population") == POP[:, :2].sum()
    assert zone_value(zones, "SPIKE", "population") == POP[:, 2:].sum()
    assert (out / "map.html").is_file()
    kept = [w for w in manifest["warnings"] if "other than polygons" in w]
    assert len(kept) == 1 and "GC, SPIKE" in kept[0]
    assert "other than polygons" in result.stderr


# ---------------------------------------------------------------- two levels


def _two_levels(folder, with_parent_field=True, ext="geojson"):
    """Regions R1 (columns 0-1) and R2 (columns 2-3); districts D1..D4, one per column.

    D4 covers only rows 0-2 of column 3, so row 3 column 3 is outside.
    """
    regions = [cell_box(0, 0, rows=4, cols=2), cell_box(0, 2, rows=4, cols=2)]
    districts = [cell_box(0, c, rows=4) for c in range(3)] + [cell_box(0, 3, rows=3)]
    extra = {"parent": ["R1", "R1", "R2", "R2"]} if with_parent_field else {}
    if ext == "gpkg":
        path = folder / "admin.gpkg"
        write_zones(path, ["R1", "R2"], regions, ["Région 1", "Region 2"], layer="regions")
        write_zones(path, ["D1", "D2", "D3", "D4"], districts, layer="districts", **extra)
        return [
            {"path": "admin.gpkg", "layer": "regions", "code_field": "code",
             "name_field": "name", "level": 1},
            {"path": "admin.gpkg", "layer": "districts", "code_field": "code",
             "name_field": "name", "level": 2,
             **({"parent_field": "parent"} if with_parent_field else {})},
        ]  # fmt: skip
    write_zones(folder / f"regions.{ext}", ["R1", "R2"], regions, ["Région 1", "Region 2"])
    write_zones(folder / f"districts.{ext}", ["D1", "D2", "D3", "D4"], districts, **extra)
    return [
        {"path": f"regions.{ext}", "code_field": "code", "name_field": "name", "level": 1},
        {
            "path": f"districts.{ext}",
            "code_field": "code",
            "name_field": "name",
            "level": 2,
            **({"parent_field": "parent"} if with_parent_field else {}),
        },
    ]


def _check_two_levels(zones):
    children = {"R1": ["D1", "D2"], "R2": ["D3", "D4"]}
    expected_population = {
        "D1": POP[:, 0].sum(),
        "D2": POP[:, 1].sum(),
        "D3": POP[:, 2].sum(),
        "D4": POP[:3, 3].sum(),
        "R1": POP[:, :2].sum(),
        "R2": POP[:, 2].sum() + POP[:3, 3].sum(),
        "__outside__": POP[3, 3],
    }
    for hazard in ("rf", "ev"):
        for code, value in expected_population.items():
            assert zone_value(zones, code, "population", hazard) == value, (hazard, code)
        for parent, kids in children.items():
            for column in ("population", "aad", "pmd_10", "pmd_100"):
                total = sum(zone_value(zones, k, column, hazard) for k in kids)
                assert zone_value(zones, parent, column, hazard) == pytest.approx(
                    total, rel=1e-12, abs=1e-12
                ), (hazard, parent, column)
        rows = zones[zones["hazard_id"] == hazard]
        outside = rows[rows["zone_code"] == "__outside__"]
        coarse, fine = rows[rows["level"] == 1], rows[rows["level"] == 2]
        assert coarse["aad"].sum() == pytest.approx(fine["aad"].sum(), rel=1e-12)
        for at_level in (coarse, fine):
            assert at_level["population"].sum() + outside["population"].sum() == POP.sum()
    # real numbers: rf AAD of D4 = trapezoid over (rp10, rp100) of its displaced people
    d4_rp10 = POP[:3, 3].sum()  # depth 1 m at rp10 in column 3
    d4_rp100 = POP[:3, 3].sum()
    assert zone_value(zones, "D4", "aad", "rf") == pytest.approx(0.09 * (d4_rp10 + d4_rp100) / 2)
    d3_ev = 0.1 * POP[:, 2].sum() + 0.01 * POP[:, 2].sum()
    assert zone_value(zones, "D3", "aad", "ev") == pytest.approx(d3_ev)
    assert zone_value(zones, "D1", "aad", "ev") == 0.0
    assert zone_value(zones, "D2", "aad", "ev") == pytest.approx(0.01 * POP[:, 1].sum())
    parents = zones[zones["hazard_id"] == "rf"].set_index("zone_code")["parent_code"]
    assert parents[["D1", "D2", "D3", "D4"]].tolist() == ["R1", "R1", "R2", "R2"]
    assert zone_value(zones, "R1", "level") == 1 and zone_value(zones, "D1", "level") == 2


@pytest.mark.parametrize("with_parent_field", [True, False], ids=["parent_field", "location"])
def test_two_levels_sum_up(cli, tmp_path, with_parent_field):
    folder = tmp_path / "case"
    run = basic_case(folder)
    run["zones"] = _two_levels(folder, with_parent_field)
    run["hazards"].append(event_hazard())
    out = tmp_path / "out"
    run_ok(cli, write_run(folder, run), out)
    zones, manifest, _ = read_outputs(out)
    _check_two_levels(zones)
    names = zones.set_index("zone_code")["zone_name"]
    assert names["R1"].iloc[0] == "Région 1"
    by_location = [w for w in manifest["warnings"] if "parents assigned by location" in w]
    assert bool(by_location) is (not with_parent_field)
    assert manifest["parameters"]["zones"]["levels"] == [1, 2]


@pytest.mark.parametrize("ext", ["geojson", "gpkg", "shp"])
def test_vector_formats(cli, tmp_path, ext):
    folder = tmp_path / "case"
    run = basic_case(folder)
    run["zones"] = _two_levels(folder, True, ext)
    run["hazards"].append(event_hazard())
    out = tmp_path / "out"
    run_ok(cli, write_run(folder, run), out)
    zones, manifest, _ = read_outputs(out)
    _check_two_levels(zones)
    roles = {item["role"] for item in manifest["inputs"]}
    assert {"zones level 1", "zones level 2"} <= roles


def test_gpkg_layer_is_honoured(cli, tmp_path):
    """Naming the other layer of the same GeoPackage gives the other units."""
    folder = tmp_path / "case"
    run = basic_case(folder)
    levels = _two_levels(folder, True, "gpkg")
    run["zones"] = {**levels[1], "level": 1}
    run["zones"].pop("parent_field")
    out = tmp_path / "out"
    run_ok(cli, write_run(folder, run), out)
    zones, _, _ = read_outputs(out)
    assert sorted(zones["zone_code"].unique()) == ["D1", "D2", "D3", "D4", "__outside__"]


def test_missing_gpkg_layer_is_an_error(cli, tmp_path):
    folder = tmp_path / "case"
    run = basic_case(folder)
    levels = _two_levels(folder, True, "gpkg")
    run["zones"] = {**levels[0], "layer": "provinces"}
    out = tmp_path / "out"
    result = cli("run", write_run(folder, run), "--out", out)
    assert result.exit_code == 1
    line = result.stderr.strip()
    assert line.startswith("error:") and "\n" not in line
    assert "zones" in line and "provinces" in line and "admin.gpkg" in line
    assert not out.exists() and hidden_entries(tmp_path) == []


def test_child_naming_unknown_parent(cli, tmp_path):
    folder = tmp_path / "case"
    run = basic_case(folder)
    run["zones"] = _two_levels(folder, True)
    districts = [cell_box(0, c, rows=4) for c in range(4)]
    write_zones(
        folder / "districts.geojson",
        ["D1", "D2", "D3", "D4"],
        districts,
        parent=["R1", "R1", "R2", "R9"],
    )
    out = tmp_path / "out"
    result = cli("run", write_run(folder, run), "--out", out)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:")
    assert "'R9'" in lines[0] and "'D4'" in lines[0] and "parent" in lines[0]
    assert not out.exists() and hidden_entries(tmp_path) == []


def test_zones_in_another_crs(cli, tmp_path):
    """Zones in a projected CRS are reprojected onto the analysis grid."""
    import geopandas as gpd

    folder = tmp_path / "case"
    run = basic_case(folder)
    frame = gpd.GeoDataFrame(
        {"code": ["A", "B"], "name": ["A", "B"]},
        geometry=[cell_box(0, 0, rows=4, cols=2), cell_box(0, 2, rows=4, cols=2)],
        crs="EPSG:4326",
    ).to_crs("EPSG:3035")
    frame.to_file(folder / "zones_laea.gpkg")
    run["zones"]["path"] = "zones_laea.gpkg"
    out = tmp_path / "out"
    run_ok(cli, write_run(folder, run), out)
    zones, _, _ = read_outputs(out)
    assert zone_value(zones, "A", "population") == POP[:, :2].sum()
    assert zone_value(zones, "B", "population") == POP[:, 2:].sum()
    assert zone_value(zones, "__outside__", "population") == 0.0


def test_transform_constant_matches_grid():
    """Guard for the helpers: the 4 x 4 test grid starts at (10, 50) with 0.1 degree cells."""
    assert TRANSFORM.c == 10.0 and TRANSFORM.f == 50.0 and DEPTH.shape == POP.shape == (4, 4)
