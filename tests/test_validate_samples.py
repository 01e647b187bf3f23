"""``mecc validate``'s plausibility checks read a sample of every hazard grid.

- an event set whose wet events are few is not called dry (Austria: 93 of 480 bands hold
  water; 3 bands of its pixel-interleaved file were sampled, all dry): the sample reads 32
  bands in one call and more when those are dry, and a warning resting on what a sample
  did not find says how much was read;
- a grid that cannot be read (a truncated GeoTIFF) is one error line naming the file;
- NetCDF grids get the unit and undeclared-nodata warnings GeoTIFFs get;
- a flooded-fraction grid outside [0, 1] (percent) is an error naming the file.

Expected numbers are computed here with numpy/rasterio, never from the code under test.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import rasterio
import xarray as xr
from affine import Affine
from rasterio.windows import Window

from tests._errors import one_error_line
from tests._run_inputs import DEPTH, TRANSFORM, basic_case, event_hazard, write_run
from tests.conftest import write_raster


def _warnings(result) -> list[str]:
    return [line.strip() for line in result.stdout.splitlines() if "warning" in line]


def _austria_run(folder, data, fraction=None):
    austria = data / "austria_flood"
    hazard = {
        "id": "flood",
        "type": "river_flood",
        "intensity": str(austria / "hazard_depth.tif"),
        "events": str(austria / "events.csv"),
        "curve": "flood_step_0.5m",
    }
    if fraction is not None:
        hazard["fraction"] = str(fraction)
    folder.mkdir(parents=True, exist_ok=True)
    run = {
        "country": "AUT",
        "name": "Austria",
        "population": {"path": str(austria / "pop_count.tif"), "kind": "count"},
        "hazards": [hazard],
    }
    return write_run(folder, run)


# --------------------------------------------------- D9: a sample that finds the water


def test_validate_does_not_call_the_austria_event_set_dry(cli, tmp_path, shared_data):
    path = shared_data / "austria_flood" / "hazard_depth.tif"
    with rasterio.open(path) as dataset:
        depth = dataset.read(masked=True).filled(np.nan)
        assert dataset.interleaving == rasterio.enums.Interleaving.pixel
    wet = np.flatnonzero(np.nanmax(depth.reshape(480, -1), axis=1) > 0) + 1
    assert wet.size == 93 and np.nanmax(depth) == pytest.approx(11.6247, abs=1e-4)

    result = cli("validate", _austria_run(tmp_path / "case", shared_data))
    assert result.exit_code == 0, result.stderr
    assert _warnings(result) == []

    from mecc.check_samples import sample_bands
    from mecc.raster_file import RasterFile

    sample = sample_bands(RasterFile(path), range(1, 481))
    # bands sharing their tiles are decoded whole by any read: the 32 bands and the 448
    # more read when they are dry (182 x 63 cells: cheap) come in one pass
    assert sample.bands_read == 480 and sample.complete
    assert sample.peak == pytest.approx(np.nanmax(depth), rel=1e-7)
    assert sample.peak_band == np.nanargmax(np.nanmax(depth.reshape(480, -1), axis=1)) + 1
    assert sample.bottom == 0.0


def _event_set(folder, stack, **extra):
    run = basic_case(folder)
    write_raster(folder / "ev.tif", stack, **extra)
    n = len(stack)
    (folder / "events.csv").write_text(
        "band,frequency\n" + "".join(f"{k},0.001\n" for k in range(1, n + 1)), encoding="utf-8"
    )
    run["hazards"] = [event_hazard()]
    return write_run(folder, run)


@pytest.mark.parametrize("interleave", ["pixel", "band"])
def test_validate_looks_further_when_the_sampled_bands_are_dry(cli, tmp_path, interleave):
    """100 events, only event 2 wet: not among the 32 bands read first (1, 4, 7, ...)."""
    stack = np.zeros((100, 4, 4))
    stack[1] = DEPTH
    folder = tmp_path / "case"
    result = cli("validate", _event_set(folder, stack, interleave=interleave, tiled=True))
    assert result.exit_code == 0, result.stderr
    assert _warnings(result) == []
    dry = cli("validate", _event_set(folder, np.zeros((100, 4, 4)), interleave=interleave))
    assert _warnings(dry) == [
        "warning  hazards.ev: no value above 0 in every cell of all 100 band(s): "
        "nobody can be exposed or displaced"
    ]


def test_a_warning_from_a_partial_sample_says_how_much_was_read(cli, tmp_path, monkeypatch):
    import mecc.check_samples as samples

    monkeypatch.setattr(samples, "SAMPLE_CELLS", 2)  # 2 x 2 of the 4 x 4 cells
    monkeypatch.setattr(samples, "SAMPLE_BANDS", 5)
    monkeypatch.setattr(samples, "SAMPLE_VALUES", 0)  # then 5 more bands
    folder = tmp_path / "case"
    result = cli("validate", _event_set(folder, np.zeros((100, 4, 4)), interleave="pixel"))
    assert _warnings(result) == [
        "warning  hazards.ev: no value above 0 in the 10 of 100 bands read (a decimated "
        "sample of their cells): unless the cells or bands not read differ, nobody can be "
        "exposed or displaced"
    ]


def test_the_sample_reads_any_source_by_windows_and_decimates():
    """A source with ``grid`` and ``read(bands, window)`` only (as NetCDF, CLIMADA)."""
    from hazards.slow_onset import ArraySource
    from mecc.check_samples import sample_bands
    from mecc.grid import GridSpec

    values = np.zeros((40, 3000, 6))  # sampled: 1,024 rows (1, 4, 7, ...) x columns 1, 4
    values[5, 1501, 1] = 7.0
    values[5, 1500, 1] = 99.0  # row 1500 is not sampled
    values[5, 1501, 2] = 50.0  # column 2 is not sampled
    values[39, 2998, 4] = -3.0
    values[:, 1, :] = np.nan
    calls = []

    class Source(ArraySource):
        def read(self, bands, window, out=None):
            calls.append((tuple(bands), window))
            return super().read(bands, window, out)

    grid = GridSpec("EPSG:4326", TRANSFORM, 6, 3000)
    sample = sample_bands(Source(grid, values, "grid.nc"), range(1, 41), factor=2.0)
    picked = np.unique(np.linspace(1, 40, 32).round().astype(int))
    rows = np.floor((np.arange(1024) + 0.5) * 3000 / 1024).astype(int)
    assert rows[[0, 1, 512, 1023]].tolist() == [1, 4, 1501, 2998] and 1500 not in rows
    expected = values[picked - 1][:, rows][:, :, [1, 4]] * 2.0
    assert (sample.peak, sample.peak_band) == (np.nanmax(expected), 6) == (14.0, 6)
    assert (sample.bottom, sample.bottom_band) == (np.nanmin(expected), 40) == (-6.0, 40)
    assert sample.bands_read == 32 and not sample.full and sample.valid
    # one call: every band wanted, the window spanning the sampled rows and columns
    assert calls == [(tuple(picked.tolist()), Window(1, 1, 4, 2998))]


# ----------------------------------------------------- D10: a grid that cannot be read


def _truncate(path, keep=0.5):
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


@pytest.mark.parametrize("bands", [1, 3], ids=["one band", "pixel-interleaved"])
def test_validate_reports_a_truncated_geotiff_in_one_line(cli, tmp_path, bands):
    folder = tmp_path / "case"
    run = basic_case(folder)
    depth = np.stack([np.tile(DEPTH, (64, 64))] * bands)  # 256 x 256, uncompressed strips
    wide = TRANSFORM @ Affine.scale(1 / 64)
    write_raster(folder / "rp100.tif", depth, transform=wide, dtype="float32")
    _truncate(folder / "rp100.tif")
    with rasterio.open(folder / "rp100.tif") as dataset:  # the header is intact
        assert dataset.count == bands
    if bands > 1:
        run["hazards"][0] = event_hazard(intensity="rp100.tif")
        (folder / "events.csv").write_text("band,frequency\n1,0.1\n2,0.01\n3,0.001\n")
    result = cli("validate", write_run(folder, run))
    line = one_error_line(result, 1)
    # refused on opening: the blocks end past the end of the file
    assert "rp100.tif" in line and "the file is cut short" in line
    assert "internal error" not in result.stderr and "bug" not in result.stderr


# ------------------------------------------------------------ D2: NetCDF grids sampled


def _netcdf_case(folder, values, attrs=None) -> list[str]:
    run = basic_case(folder)
    lon = TRANSFORM.c + TRANSFORM.a * (np.arange(4) + 0.5)
    lat = TRANSFORM.f + TRANSFORM.e * (np.arange(4) + 0.5)
    variable = ("lat", "lon"), values.astype(np.float32), attrs or {}
    xr.Dataset({"depth": variable}, coords={"lat": lat, "lon": lon}).to_netcdf(folder / "d.nc")
    run["hazards"][0] = {
        "id": "rf",
        "type": "river_flood",
        "intensity": "d.nc",
        "scenario": "s",
        "curve": "flood_step_1m",
    }
    return write_run(folder, run)


def test_validate_warns_about_a_netcdf_grid_in_another_unit(cli, tmp_path):
    folder = tmp_path / "case"
    result = cli("validate", _netcdf_case(folder, DEPTH * 100))  # cm, no units attribute
    assert result.exit_code == 0, result.stderr
    (warning,) = _warnings(result)
    assert "values reach 200 m" in warning and "d.nc" in warning and "band 1" in warning
    assert "plausible 50 m" in warning and "another unit" in warning
    assert _warnings(cli("validate", _netcdf_case(folder, DEPTH))) == []


def test_validate_warns_about_an_undeclared_nodata_value_in_a_netcdf(cli, tmp_path):
    folder = tmp_path / "case"
    depth = DEPTH.copy()
    depth[0, 0] = -9999.0  # no _FillValue / missing_value declared
    result = cli("validate", _netcdf_case(folder, depth))
    assert result.exit_code == 0, result.stderr
    (warning,) = _warnings(result)
    assert "d.nc" in warning and "band 1 has values down to -9999 m" in warning
    assert "undeclared" in warning


# ------------------------------------------------- D7: a flooded fraction in percent


def test_validate_refuses_a_fraction_in_percent(cli, tmp_path):
    folder = tmp_path / "case"
    run = basic_case(folder)
    write_raster(folder / "frac.tif", np.full((4, 4), 40.0, dtype=np.float32))
    run["hazards"][0] = {**event_hazard(intensity="rp100.tif"), "fraction": "frac.tif"}
    (folder / "events.csv").write_text("band,frequency\n1,0.1\n", encoding="utf-8")
    line = one_error_line(cli("validate", write_run(folder, run)), 1)
    assert "hazards[0]" in line and "fraction" in line and "frac.tif" in line
    assert "reaches 40 in band 1" in line and "between 0 and 1" in line
    assert "looks like percent" in line
    write_raster(folder / "frac.tif", np.full((4, 4), 250.0, dtype=np.float32))
    line = one_error_line(cli("validate", write_run(folder, run)), 1)
    assert "reaches 250 in band 1" in line and "looks like percent" not in line
    write_raster(folder / "frac.tif", np.full((4, 4), 0.4, dtype=np.float32))
    assert cli("validate", write_run(folder, run)).exit_code == 0


def test_validate_refuses_the_austria_fraction_in_percent(cli, tmp_path, shared_data):
    """The real fraction x 100 (pixel-interleaved, 480 bands, the first bands dry)."""
    with rasterio.open(shared_data / "austria_flood" / "hazard_fraction.tif") as dataset:
        fraction, profile = dataset.read(), dataset.profile
    percent = tmp_path / "fraction_percent.tif"
    with rasterio.open(percent, "w", **profile) as dataset:
        dataset.write((fraction * 100).astype("float32"))
    result = cli("validate", _austria_run(tmp_path / "case", shared_data, percent))
    line = one_error_line(result, 1)
    assert "fraction" in line and "fraction_percent.tif" in line
    assert "looks like percent" in line and "between 0 and 1" in line
    found = re.search(r"reaches ([0-9.]+) in band (\d+)", line)
    value, band = float(found.group(1)), int(found.group(2))
    assert value == pytest.approx(fraction[band - 1].max() * 100, rel=1e-5)
    assert 1 < value <= 100
