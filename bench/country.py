"""A synthetic country for benchmarks: 10,000 x 10,000 cells by default.

Deterministic generators, tile by tile, so memory stays small while writing:

- population: a rural background plus a few thousand settlements of varying size, sea
  as nodata (float32, tiled DEFLATE);
- eight river-flood return-period maps (2 to 1000 years) from a height-above-river
  model of meandering rivers: narrow wet corridors that widen with the return period,
  as real flood maps look (float32, nodata at sea; four maps DEFLATE, four ZSTD);
- 500 admin zones (Voronoi cells of random seeds) in a GeoPackage;
- a run file.

``write_mosaic`` builds the same country at 4x the cells (or ``factor`` squared) as VRT
mosaics of these files (2 x 2 copies, or factor x factor, no extra disk), with the
zones scaled to cover it.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

RETURN_PERIODS = (2, 5, 10, 25, 50, 100, 250, 1000)
TILE = 256
RESOLUTION = 1.0 / 1200.0  # 3 arc-seconds, about 90 m
WEST, NORTH = 30.0, 5.0


def _rivers(rng, size):
    """Meandering rivers: (kind, offset, amplitude, wavelength, phase), in cells."""
    rivers = []
    for k in range(14):
        rivers.append(
            (
                "h",
                (k + 0.5) * size / 14 + rng.uniform(-50, 50),
                rng.uniform(40, 160),
                rng.uniform(900, 2500),
                rng.uniform(0, 2 * math.pi),
            )
        )
    for k in range(10):
        rivers.append(
            (
                "v",
                (k + 0.5) * size / 10 + rng.uniform(-50, 50),
                rng.uniform(40, 160),
                rng.uniform(900, 2500),
                rng.uniform(0, 2 * math.pi),
            )
        )
    return rivers


def _settlements(rng, size):
    count = 3000
    rows = rng.uniform(0, size, count)
    cols = rng.uniform(0, size, count)
    peaks = np.minimum(5 + rng.pareto(1.5, count) * 15, 400)  # people per cell at the centre
    widths = rng.uniform(2, 8, count) * (1 + np.log1p(peaks / 50))
    return rows, cols, peaks, widths


def _tile_fields(r0, c0, h, w, size, rivers, settlements, sea_col, seed):
    """Height above the nearest river (m), people per cell and the sea mask of a tile.

    Cell-level noise stands for what real grids carry (DEM error in flood depths, the
    dasymetric spread of WorldPop-style population), so the files compress like real
    ones rather than like smooth formulas.
    """
    noise = np.random.default_rng([seed, r0, c0])
    rows, cols = np.mgrid[r0 : r0 + h, c0 : c0 + w].astype(np.float64)
    hand = np.full((h, w), np.inf)
    for kind, offset, amplitude, wavelength, phase in rivers:
        along, across = (cols, rows) if kind == "h" else (rows, cols)
        course = offset + amplitude * np.sin(along / wavelength * 2 * math.pi + phase)
        hand = np.minimum(hand, np.abs(across - course))
    hand = 0.15 * hand + 0.05 * np.sqrt(hand) * (1 + np.sin(rows / 37.0) * np.cos(cols / 41.0))
    hand = hand + noise.gamma(2.0, 0.15, size=(h, w))  # DEM noise, metres
    people = 0.05 + 0.15 * np.sin(rows / 300.0) ** 2  # rural background
    s_rows, s_cols, peaks, widths = settlements
    near = (np.abs(s_rows - (r0 + h / 2)) < h / 2 + 4 * widths) & (
        np.abs(s_cols - (c0 + w / 2)) < w / 2 + 4 * widths
    )
    for sr, sc, peak, width in zip(
        s_rows[near], s_cols[near], peaks[near], widths[near], strict=True
    ):
        people = people + peak * np.exp(
            -((rows - sr) ** 2 + (cols - sc) ** 2) / (2 * width * width)
        )
    people = people * noise.lognormal(0.0, 0.6, size=(h, w))
    sea = cols >= sea_col
    return hand, people, sea


def write_country(folder, size: int = 10_000, zones: int = 500, seed: int = 42) -> Path:
    """Write the synthetic country into ``folder`` (skipped when already complete)."""
    import rasterio
    from affine import Affine
    from rasterio.windows import Window

    folder = Path(folder)
    stamp = folder / "country.json"
    params = {"size": size, "zones": zones, "seed": seed, "version": 4}
    if stamp.exists() and json.loads(stamp.read_text()) == params:
        return folder / "run.yaml"
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    rivers = _rivers(rng, size)
    settlements = _settlements(rng, size)
    sea_col = int(size * 0.94)
    transform = Affine(RESOLUTION, 0, WEST, 0, -RESOLUTION, NORTH)
    base = {
        "driver": "GTiff",
        "width": size,
        "height": size,
        "count": 1,
        "dtype": "float32",
        "crs": "EPSG:4326",
        "transform": transform,
        "tiled": True,
        "blockxsize": TILE,
        "blockysize": TILE,
        "BIGTIFF": "IF_SAFER",
    }
    levels = {rp: 0.6 + 0.35 * math.log(rp) for rp in RETURN_PERIODS}
    files = {
        "population": rasterio.open(
            folder / "population.tif", "w", nodata=-99999.0, compress="deflate", predictor=3, **base
        )
    }
    for k, rp in enumerate(RETURN_PERIODS):
        codec = "deflate" if k % 2 == 0 else "zstd"
        files[rp] = rasterio.open(
            folder / f"flood_rp{rp:04d}.tif",
            "w",
            nodata=-9999.0,
            compress=codec,
            predictor=3,
            **base,
        )
    try:
        for r0 in range(0, size, TILE):
            for c0 in range(0, size, TILE):
                h, w = min(TILE, size - r0), min(TILE, size - c0)
                hand, people, sea = _tile_fields(
                    r0, c0, h, w, size, rivers, settlements, sea_col, seed
                )
                window = Window(c0, r0, w, h)
                files["population"].write(
                    np.where(sea, -99999.0, people).astype("float32"), 1, window=window
                )
                for rp in RETURN_PERIODS:
                    depth = np.where(sea, -9999.0, np.clip(levels[rp] - hand, 0, None))
                    files[rp].write(depth.astype("float32"), 1, window=window)
    finally:
        for dataset in files.values():
            dataset.close()
    _write_zones(folder / "zones.gpkg", rng, size, transform, zones)
    _write_run(
        folder / "run.yaml",
        "population.tif",
        "zones.gpkg",
        {rp: f"flood_rp{rp:04d}.tif" for rp in RETURN_PERIODS},
    )
    stamp.write_text(json.dumps(params))
    return folder / "run.yaml"


def _write_zones(path, rng, size, transform, count):
    import geopandas as gpd
    import shapely

    left, top = transform.c, transform.f
    right, bottom = left + size * transform.a, top + size * transform.e
    seeds = shapely.MultiPoint(
        list(zip(rng.uniform(left, right, count), rng.uniform(bottom, top, count), strict=True))
    )
    frame_box = shapely.box(left, bottom, right, top)
    cells = shapely.voronoi_polygons(seeds, extend_to=frame_box)
    polygons = [shapely.intersection(cell, frame_box) for cell in cells.geoms]
    frame = gpd.GeoDataFrame(
        {
            "code": [f"Z{k:04d}" for k in range(len(polygons))],
            "name": [f"Zone {k}" for k in range(len(polygons))],
        },
        geometry=polygons,
        crs="EPSG:4326",
    )
    if path.exists():
        path.unlink()
    frame.to_file(path, driver="GPKG")


def _write_run(path, population, zones, maps):
    lines = "\n".join(f"      {rp}: {name}" for rp, name in maps.items())
    path.write_text(
        "# synthetic benchmark country (not real data)\n"
        "country: XBE\nname: Benchmark country (synthetic)\n"
        f"population: {{path: {population}, kind: count}}\n"
        f"zones: {{path: {zones}, code_field: code, name_field: name, level: 1}}\n"
        "hazards:\n  - id: river_flood\n    type: river_flood\n    curve: flood_step_1m\n"
        f"    return_periods:\n{lines}\n"
    )


def write_mosaic(folder, source_folder, factor: int = 2) -> Path:
    """The country at factor x factor times the cells: factor x factor copies of
    ``source_folder``'s files (4x the cells by default), mosaicked in VRTs and written
    out as GeoTIFFs of the source's layout (tiles, compression, predictor), so the run
    reads them as it reads the country's own (mecc's decoder, not GDAL's block cache).
    A GeoTIFF newer than its source and of the mosaic's size is kept (about 50 s to write
    all nine)."""
    import geopandas as gpd
    import rasterio
    import shapely

    folder, source_folder = Path(folder), Path(source_folder)
    folder.mkdir(parents=True, exist_ok=True)
    names = ["population.tif"] + [f"flood_rp{rp:04d}.tif" for rp in RETURN_PERIODS]
    for name in names:
        src_path = (source_folder / name).resolve()
        with rasterio.open(src_path) as src:
            width, height, nodata = src.width, src.height, src.nodata
            t = src.transform
        tiles = []
        for dr in range(factor):
            for dc in range(factor):
                tiles.append(
                    f'    <ComplexSource><SourceFilename relativeToVRT="0">{src_path}</SourceFilename>'
                    f"<SourceBand>1</SourceBand><NODATA>{nodata}</NODATA>"
                    f'<SrcRect xOff="0" yOff="0" xSize="{width}" ySize="{height}"/>'
                    f'<DstRect xOff="{dc * width}" yOff="{dr * height}" xSize="{width}" ySize="{height}"/>'
                    "</ComplexSource>"
                )
        vrt = (
            f'<VRTDataset rasterXSize="{factor * width}" rasterYSize="{factor * height}">\n'
            "  <SRS>EPSG:4326</SRS>\n"
            f"  <GeoTransform>{t.c}, {t.a}, 0, {t.f}, 0, {t.e}</GeoTransform>\n"
            '  <VRTRasterBand dataType="Float32" band="1">\n'
            f"    <NoDataValue>{nodata}</NoDataValue>\n"
            + "\n".join(tiles)
            + "\n  </VRTRasterBand>\n</VRTDataset>\n"
        )
        (folder / name.replace(".tif", ".vrt")).write_text(vrt)
        _write_copy(folder / name.replace(".tif", ".vrt"), src_path, folder / name)
    zones = gpd.read_file(source_folder / "zones.gpkg")
    left, top = t.c, t.f
    zones["geometry"] = [
        shapely.affinity.scale(g, factor, factor, origin=(left, top)) for g in zones.geometry
    ]
    zones.to_file(folder / "zones.gpkg", driver="GPKG")
    _write_run(
        folder / "run.yaml",
        "population.tif",
        "zones.gpkg",
        {rp: f"flood_rp{rp:04d}.tif" for rp in RETURN_PERIODS},
    )
    return folder / "run.yaml"


def _write_copy(vrt: Path, source: Path, target: Path) -> None:
    """``vrt`` as a GeoTIFF laid out as ``source`` is, unless ``target`` is newer than
    ``source`` and of the VRT's size (a mosaic of another factor is written again)."""
    import rasterio
    import rasterio.shutil

    if target.exists() and target.stat().st_mtime > source.stat().st_mtime:
        with rasterio.open(vrt) as mosaic, rasterio.open(target) as written:
            if (written.width, written.height) == (mosaic.width, mosaic.height):
                return
    with rasterio.open(source) as src:
        structure = src.tags(ns="IMAGE_STRUCTURE")
        block_rows, block_cols = src.block_shapes[0]
    staging = target.with_suffix(".partial.tif")
    rasterio.shutil.copy(
        vrt,
        staging,
        driver="GTiff",
        TILED="YES",
        BLOCKXSIZE=block_cols,
        BLOCKYSIZE=block_rows,
        COMPRESS=structure.get("COMPRESSION", "DEFLATE"),
        PREDICTOR=structure.get("PREDICTOR", "1"),
        NUM_THREADS="ALL_CPUS",
        BIGTIFF="IF_SAFER",
    )
    staging.replace(target)
