"""The grids ``mecc hazard`` writes carry their unit as the GDAL band unit too (what QGIS
and gdalinfo show as "Unit Type"), not only as a dataset tag; mecc reads it back as the
grid's stated unit."""

from __future__ import annotations

import numpy as np
import rasterio
from affine import Affine

from hazards.stated import stated_unit
from mecc.raster_file import RasterFile
from tests.conftest import write_raster


def _units(path):
    with rasterio.open(path) as dataset:
        return dataset.units, dataset.tags()["unit"]


def test_every_generator_writes_the_band_unit(cli, tmp_path):
    dem = np.array([[5.0, 5.0, 5.0, 5.0], [5.0, 1.0, 1.0, 5.0], [-1.0, 0.5, 1.0, 5.0]])
    write_raster(tmp_path / "dem.tif", dem, transform=Affine(0.01, 0, 30.0, 0, -0.01, -1.0))
    track = tmp_path / "track.csv"
    track.write_text(
        "time_utc,lat,lon,vmax_kt,pressure_hpa\n2020010100,15.0,130.0,90,960\n"
        "2020010106,15.5,129.0,95,955\n",
        encoding="utf-8",
    )
    grid = ["--bounds", "128", "14", "131", "17", "--resolution", "0.05"]
    commands = {
        "wind.tif": ["hazard", "cyclone", track, *grid],
        "mmi.tif": [
            "hazard",
            "earthquake",
            "--magnitude",
            "6.5",
            "--lat",
            "15.5",
            "--lon",
            "129.5",
            "--depth-km",
            "10",
            *grid,
        ],
        "depth.tif": ["hazard", "flood", tmp_path / "dem.tif", "--water-level", "2"],
    }
    expected = {"wind.tif": "m/s", "mmi.tif": "MMI", "depth.tif": "m"}
    for name, args in commands.items():
        result = cli(*args, "--out", tmp_path / name)
        assert result.exit_code == 0, result.output
        assert _units(tmp_path / name) == ((expected[name],), expected[name])
    stated = stated_unit(RasterFile(tmp_path / "depth.tif", "depth.tif"))
    assert stated == ("m", "depth.tif band 1")
