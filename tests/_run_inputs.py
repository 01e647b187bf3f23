"""Small synthetic inputs for the run-contract tests (bad input, zones, outputs, CLI).

The default grid is 4 x 4 cells of 0.1 degree (x 10.0-10.4, y 49.6-50.0, EPSG:4326):

    population = 10, 20, 30, 40        depth (m) = 0, 0.5, 1, 2 in every row
                 50, 60, 70, 80
                 ...
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import geopandas as gpd
import numpy as np
import yaml
from affine import Affine
from shapely.geometry import box

from mecc.outputs import OUTPUT_MARKER
from tests.conftest import write_raster

TRANSFORM = Affine(0.1, 0, 10.0, 0, -0.1, 50.0)
POP = (np.arange(16, dtype=np.float64).reshape(4, 4) + 1) * 10
DEPTH = np.array([[0.0, 0.5, 1.0, 2.0]] * 4)


def cell_box(row, col, transform=TRANSFORM, rows=1, cols=1):
    """The polygon of a block of cells (rows x cols) starting at (row, col)."""
    x0, y0 = transform @ (col, row)
    x1, y1 = transform @ (col + cols, row + rows)
    return box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def cell_centre(row, col, transform=TRANSFORM):
    return transform @ (col + 0.5, row + 0.5)


def write_zones(path, codes, geometries, names=None, crs="EPSG:4326", layer=None, **fields):
    """Write a zone layer (GeoJSON, GeoPackage or shapefile by extension)."""
    data = {"code": list(codes), "name": list(names or codes), **fields}
    frame = gpd.GeoDataFrame(data, geometry=list(geometries), crs=crs)
    kwargs = {"layer": layer} if layer else {}
    frame.to_file(path, **kwargs)
    return Path(path)


def write_zones_with_an_empty_unit(folder) -> Path:
    """zones.geojson with A, B and C, where C lies inside cell (0, 0) without containing
    its centre, so it receives no cell of the grid."""
    return write_zones(
        Path(folder) / "zones.geojson",
        ["A", "B", "C"],
        [
            cell_box(1, 0, rows=3, cols=2),
            cell_box(0, 2, rows=4, cols=2),
            cell_box(0, 0).buffer(-0.04).difference(cell_box(0, 0).buffer(-0.045)),
        ],
    )


def write_zones_with_a_ring_unit(inputs) -> list:
    """Two levels over the 4 x 4 grid: regions P (columns 0-1) and Q (2-3), units A
    (rows 1-3 of columns 0-1), B (columns 2-3) and C, a thin ring inside cell (0, 0) that
    holds no cell centre (a unit without a cell). Returns the run file's ``zones``."""
    ring = cell_box(0, 0).buffer(-0.04).difference(cell_box(0, 0).buffer(-0.045))
    write_zones(
        Path(inputs) / "fine.gpkg",
        ["A", "B", "C"],
        [cell_box(1, 0, rows=3, cols=2), cell_box(0, 2, rows=4, cols=2), ring],
    )
    write_zones(
        Path(inputs) / "region.gpkg",
        ["P", "Q"],
        [cell_box(0, 0, rows=4, cols=2), cell_box(0, 2, rows=4, cols=2)],
    )
    return [
        {"path": "region.gpkg", "code_field": "code", "level": 1},
        {"path": "fine.gpkg", "code_field": "code", "level": 2},
    ]


def write_run(folder, data, name="run.yaml") -> Path:
    """Write a run file (a mapping dumped as YAML, or raw text)."""
    path = Path(folder) / name
    text = data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def basic_case(folder) -> dict:
    """Write a valid small case into ``folder`` and return its run-file mapping.

    Files: pop.tif, rp10.tif, rp100.tif, ev.tif (2 bands), events.csv,
    zones.geojson (A = columns 0-1, B = columns 2-3). One hazard: a return-period set.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    write_raster(folder / "pop.tif", POP)
    write_raster(folder / "rp10.tif", DEPTH * 0.5)
    write_raster(folder / "rp100.tif", DEPTH)
    write_raster(folder / "ev.tif", np.stack([DEPTH, DEPTH * 2]))
    (folder / "events.csv").write_text("band,frequency\n1,0.1\n2,0.01\n", encoding="utf-8")
    write_zones(
        folder / "zones.geojson",
        ["A", "B"],
        [cell_box(0, 0, rows=4, cols=2), cell_box(0, 2, rows=4, cols=2)],
        names=["Zone A", "Zone B"],
    )
    return {
        "country": "AAA",
        "name": "Testland",
        "population": {"path": "pop.tif", "kind": "count"},
        "zones": {"path": "zones.geojson", "code_field": "code", "name_field": "name", "level": 1},
        "hazards": [
            {
                "id": "rf",
                "type": "river_flood",
                "return_periods": {10: "rp10.tif", 100: "rp100.tif"},
                "curve": "flood_step_1m",
            }
        ],
    }


def event_hazard(hazard_id="ev", **extra) -> dict:
    return {
        "id": hazard_id,
        "type": "river_flood",
        "intensity": "ev.tif",
        "events": "events.csv",
        "curve": "flood_step_1m",
        **extra,
    }


def snapshot(folder) -> dict:
    """Every file under ``folder`` with its bytes (to prove a folder is untouched)."""
    folder = Path(folder)
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def hidden_entries(parent) -> list:
    """Entries of ``parent`` whose names start with '.' (staging or old-run folders), but
    the marker naming the command that wrote an output folder (``OUTPUT_MARKER``)."""
    return sorted(
        p.name for p in Path(parent).iterdir() if p.name.startswith(".") and p.name != OUTPUT_MARKER
    )


def sha256(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def demo_population(inputs) -> np.ndarray:
    """The demo's people per cell as a run sees them: population.tif plus the people of
    its displacement sites (``in_population_grid: false``: added at their cells), read
    here with rasterio and pandas, not with mecc."""
    import pandas as pd
    import rasterio

    with rasterio.open(Path(inputs) / "population.tif") as src:
        people = src.read(1, masked=True).filled(np.nan).astype(np.float64)
        sites = pd.read_csv(Path(inputs) / "sites.csv", skiprows=[1])  # row 2: HXL tags
        for _, site in sites.iterrows():
            row, col = src.index(site["Longitude"], site["Latitude"])
            people[row, col] += site["Individuals"]
    return people
