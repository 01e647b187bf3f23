"""Event sets of many bands: the block shape keeps each thread's grids bounded, buffers
are held once per thread, and GDAL_CACHEMAX is taken in GDAL's own forms."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine

from mecc import engine
from mecc.grid import reused
from mecc.run import run_country

TRANSFORM = Affine(0.01, 0, 10.0, 0, -0.01, 50.0)


def _hazard(bands, fraction=False, components=None):
    layers = [(None, b) for b in range(1, bands + 1)]
    return SimpleNamespace(
        layers=layers, fraction_layers=layers if fraction else None, components=components
    )


def test_block_shape_follows_the_grids_a_thread_holds():
    assert engine.block_shape_for([_hazard(8)]) == engine.DEFAULT_BLOCK  # 32 MB
    assert engine.block_shape_for([_hazard(8), _hazard(8, fraction=True)]) == (256, 2048)
    assert engine.block_shape_for([_hazard(600)]) == (128, 256)  # 157 MB, not 2.5 GB
    assert engine.block_shape_for([_hazard(300, fraction=True)]) == (128, 256)
    combined = _hazard(0, components=[_hazard(300), _hazard(300)])
    assert engine.block_shape_for([combined]) == (128, 256)
    assert engine.block_shape_for([_hazard(100_000)]) == (16, 256)  # the smallest
    for layers in (1, 8, 64, 65, 600, 5000):
        rows, cols = engine.block_shape_for([_hazard(layers)])
        assert cols % 256 == 0 and rows & (rows - 1) == 0
        assert layers * rows * cols * 8 <= engine.STACK_BYTES or (rows, cols) == (16, 256)


def test_buffers_are_reused_for_every_shape():
    store = {}
    big = reused(store, "x", (3, 4, 5), np.float64)
    small = reused(store, "x", (2, 3, 5), np.float64)
    assert big.flags.c_contiguous and small.flags.c_contiguous
    assert np.shares_memory(big, small) and len(store) == 1
    larger = reused(store, "x", (4, 4, 5), np.float64)
    assert larger.shape == (4, 4, 5) and store["x"].size == 80
    assert reused(store, "x", (2, 2), np.float32).dtype == np.float32


def _event_set(folder, bands=300, size=(120, 260)):
    rng = np.random.default_rng(2)
    h, w = size
    depth = np.zeros((bands, h, w), dtype=np.float32)
    for b in range(bands):
        r, c = rng.integers(0, h), rng.integers(0, w)
        depth[b, max(r - 20, 0) : r + 20, max(c - 30, 0) : c + 30] = rng.uniform(0.2, 3.0)
    profile = {
        "driver": "GTiff",
        "width": w,
        "height": h,
        "crs": "EPSG:4326",
        "transform": TRANSFORM,
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
    }
    with rasterio.open(folder / "events.tif", "w", count=bands, dtype="float32", **profile) as ds:
        ds.write(depth)
    people = rng.uniform(0, 10, (1, h, w))
    with rasterio.open(folder / "pop.tif", "w", count=1, dtype="float64", **profile) as ds:
        ds.write(people)
    pd.DataFrame({"band": range(1, bands + 1), "frequency": 1.0 / (5 * bands)}).to_csv(
        folder / "events.csv", index=False
    )
    (folder / "run.yaml").write_text(
        "country: XXA\npopulation: {path: pop.tif}\nhazards:\n  - id: f\n    type: river_flood\n"
        "    intensity: events.tif\n    events: events.csv\n    curve: flood_step_1m\n"
    )
    return depth, people[0]


def test_an_event_set_of_300_bands_runs_in_narrower_blocks_with_the_same_figures(tmp_path):
    depth, people = _event_set(tmp_path)
    narrow = run_country(tmp_path / "run.yaml", tmp_path / "narrow", with_map=False).out_dir
    manifest = json.loads((narrow / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["parameters"]["block_shape"] == [256, 256]  # 157 MB of float64
    wide = run_country(
        tmp_path / "run.yaml", tmp_path / "wide", with_map=False, block_shape=(256, 2048)
    ).out_dir
    a = pd.read_csv(narrow / "bands.csv", encoding="utf-8-sig")
    b = pd.read_csv(wide / "bands.csv", encoding="utf-8-sig")
    np.testing.assert_allclose(a["displaced"], b["displaced"], rtol=1e-12)
    expected = [float((people * (d.astype(np.float64) >= 1.0)).sum()) for d in depth]
    np.testing.assert_allclose(a["displaced"], expected, rtol=1e-12)


@pytest.mark.parametrize("value", ["16", "64MB", "5%"])
def test_gdal_cachemax_in_gdals_own_forms(tmp_path, monkeypatch, value):
    # '16' stopped the run with an internal TypeError (rasterio wants bytes as an int)
    _event_set(tmp_path, bands=3, size=(40, 60))
    monkeypatch.setenv("GDAL_CACHEMAX", value)
    out = run_country(tmp_path / "run.yaml", tmp_path / "out", with_map=False).out_dir
    assert (out / "bands.csv").is_file()


def test_the_maps_events_are_pictured_without_keeping_every_bands_picture(tmp_path):
    """40 events (more than BANDS_IN_PASS): the four the map draws are read again."""
    import xarray as xr

    from mecc import previews

    bands = 40
    assert bands > previews.BANDS_IN_PASS
    depth, _ = _event_set(tmp_path, bands=bands, size=(120, 1100))  # pixels of 4 x 4 cells
    out = run_country(tmp_path / "run.yaml", tmp_path / "out", with_map=False).out_dir
    table = pd.read_csv(out / "bands.csv", encoding="utf-8-sig")
    top = sorted(np.argsort(-table["displaced"].to_numpy(), kind="stable")[:4])
    with xr.open_dataset(out / "results.nc", group="previews") as pictures:
        assert pictures.attrs["factor"] == 4
        assert pictures["band_label"].values.tolist() == [str(k + 1) for k in top]
        got = pictures["intensity"].values
    for picture, k in zip(got, top, strict=True):
        expected = depth[k].reshape(30, 4, 275, 4).max(axis=(1, 3))  # no missing cells
        np.testing.assert_array_equal(picture, expected.astype(np.float32))
