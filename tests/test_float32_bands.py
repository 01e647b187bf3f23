"""Hazard bands held in float32 where that is exact: the same figures, half the traffic.

The engine reads a float32 (or 8/16-bit integer) grid on the analysis grid into float32
buffers and the overlay widens each value to float64 where it uses it, so every figure
must be the one of the float64 values to the bit: checked on the kernel (hypothesis,
against the same values in float64) and on whole runs (a float32 file against the same
values written as a float64 file).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine
from hypothesis import given
from hypothesis import strategies as st

from mecc import kernels
from mecc.grid import AlignedBands, GridSpec
from mecc.raster_file import RasterFile
from tests.test_kernels import SETTINGS, overlay_inputs

ROOT = Path(__file__).resolve().parents[1]
GRID = GridSpec("EPSG:4326", Affine(0.01, 0, 30.0, 0, -0.01, 10.0), 6, 5)


@SETTINGS
@given(data=st.data())
def test_float32_bands_give_the_figures_of_their_float64_values(data):
    args = data.draw(overlay_inputs())
    narrow = list(args)
    narrow[2] = args[2].astype(np.float32)
    if args[3].shape[0]:
        narrow[3] = args[3].astype(np.float32)
    wide = list(args)
    wide[2] = narrow[2].astype(np.float64)
    wide[3] = narrow[3].astype(np.float64)
    outputs = (10, 11, 12, 13, 15, 16)
    for k in outputs:
        if isinstance(args[k], np.ndarray):
            narrow[k], wide[k] = args[k].copy(), args[k].copy()
    kernels.overlay_bands(*narrow)
    kernels.overlay_bands(*wide)
    for k in outputs:
        if isinstance(args[k], np.ndarray):
            np.testing.assert_array_equal(narrow[k], wide[k])
    # and both are the plain-numpy reference's figures (to its summation order)
    reference = [a.copy() if isinstance(a, np.ndarray) else a for a in wide]
    for k in outputs:
        if isinstance(args[k], np.ndarray):
            reference[k] = args[k].copy()
    kernels.overlay_bands_reference(*reference)
    for k in outputs:
        if isinstance(args[k], np.ndarray):
            np.testing.assert_allclose(narrow[k], reference[k], rtol=1e-12, atol=1e-9)


def _write(path, values, dtype, grid=GRID, **tags):
    profile = {
        "driver": "GTiff",
        "width": grid.width,
        "height": grid.height,
        "count": 1,
        "dtype": dtype,
        "crs": grid.crs,
        "transform": grid.transform,
    }
    with rasterio.open(path, "w", **profile) as dataset:
        dataset.write(values.astype(dtype), 1)
        if "scale" in tags:
            dataset.scales = (tags["scale"],)
    return RasterFile(path, label=path.name)


@pytest.mark.parametrize(
    ("dtype", "expected"),
    [
        ("float32", np.float32),
        ("int16", np.float32),
        ("uint16", np.float32),
        ("uint8", np.float32),
        ("int32", np.float64),  # 2**24 + 1 has no float32
        ("float64", np.float64),
    ],
)
def test_buffers_are_float32_only_where_every_value_is_exact(tmp_path, dtype, expected):
    values = np.arange(30, dtype=np.float64).reshape(5, 6)
    bands = AlignedBands([(_write(tmp_path / "a.tif", values, dtype), 1)], GRID, label="x")
    assert bands.dtype == np.dtype(expected)
    window = rasterio.windows.Window(0, 0, 6, 5)
    read = bands.read(window, out=np.empty((1, 5, 6), bands.dtype))
    np.testing.assert_array_equal(read[0], values)


def test_scaled_converted_or_resampled_bands_stay_float64(tmp_path):
    values = np.arange(30, dtype=np.float64).reshape(5, 6)
    packed = _write(tmp_path / "packed.tif", values, "int16", scale=0.01)  # depth in cm
    assert AlignedBands([(packed, 1)], GRID, label="x").dtype == np.float64
    plain = _write(tmp_path / "plain.tif", values, "float32")
    feet = AlignedBands([(plain, 1)], GRID, label="x", scale=0.3048)  # a unit conversion
    assert feet.dtype == np.float64
    finer = GridSpec("EPSG:4326", Affine(0.005, 0, 30.0, 0, -0.005, 10.0), 12, 10)
    other = _write(tmp_path / "finer.tif", np.ones((10, 12)), "float32", grid=finer)
    assert AlignedBands([(other, 1)], GRID, label="x").aligned is False
    assert AlignedBands([(other, 1)], GRID, label="x").dtype == np.float64
    assert AlignedBands([(plain, 1), (packed, 1)], GRID, label="x").dtype == np.float64


def _country(folder: Path) -> Path:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import country
    finally:
        sys.path.remove(str(ROOT / "bench"))
    return country.write_country(folder, size=96, zones=6, seed=3)


def test_a_run_on_float32_maps_equals_the_run_on_the_same_values_in_float64(tmp_path):
    narrow_file = _country(tmp_path / "narrow")
    wide_dir = tmp_path / "wide"
    wide_dir.mkdir()
    for path in (tmp_path / "narrow").iterdir():
        if path.name.startswith("flood_rp") and path.suffix == ".tif":
            with rasterio.open(path) as source:
                profile = source.profile | {"dtype": "float64", "compress": "deflate"}
                values = source.read(1)
                assert source.dtypes[0] == "float32"
            with rasterio.open(wide_dir / path.name, "w", **profile) as target:
                target.write(values.astype(np.float64), 1)
        elif path.name != "run.yaml":
            (wide_dir / path.name).symlink_to(path)
    (wide_dir / "run.yaml").write_text(narrow_file.read_text())

    from mecc.config import load_config
    from mecc.inputs import analysis_grid, load_inputs

    dtypes = []
    for run_file in (narrow_file, wide_dir / "run.yaml"):
        population, _, hazards = load_inputs(load_config(run_file))
        grid, _ = analysis_grid(load_config(run_file), population, hazards)
        intensity, _ = hazards[0].align(grid)
        dtypes.append(intensity.dtype)
    assert dtypes == [np.float32, np.float64]

    outputs = []
    for run_file in (narrow_file, wide_dir / "run.yaml"):
        out = run_file.parent / "run"
        subprocess.run(
            [sys.executable, "-m", "mecc", "-q", "run", str(run_file), "--out", str(out)],
            check=True,
            cwd=run_file.parent,
        )
        outputs.append(out)
    for name in ("zones.csv", "zones_bands.csv", "bands.csv"):
        narrow, wide = (pd.read_csv(out / name) for out in outputs)
        assert narrow.shape == wide.shape and len(narrow) > 0
        pd.testing.assert_frame_equal(narrow, wide, check_exact=True)
    displaced = pd.read_csv(outputs[0] / "zones_bands.csv").filter(like="displaced")
    assert displaced.to_numpy(dtype=float).sum() > 0  # the country floods somewhere
    with (
        rasterio.open(outputs[0] / "displaced.tif") as a,
        rasterio.open(outputs[1] / "displaced.tif") as b,
    ):
        np.testing.assert_array_equal(a.read(1), b.read(1))
