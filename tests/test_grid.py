"""mecc.grid: nodata masking, geodesic cell areas, block partitions."""

from __future__ import annotations

import numpy as np
import pyproj
import pytest
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st
from rasterio.windows import Window

from mecc.grid import EXTREME_VALUE, GridSpec, block_windows, cell_areas_km2, mask_missing

NAN = float("nan")

# ----------------------------------------------------------------- mask_missing


def test_mask_missing_float32_worldpop_nodata():
    # WorldPop float32 nodata: rasterio reports it as the float64 -3.3999999521443642e38,
    # the file stores float32(-3.4e38); a declared -3.4e38 must match too
    raw = np.array([[1.5, -3.4e38, 0.0], [np.nan, np.inf, 2.0]], dtype=np.float32)
    for declared in (-3.4e38, float(np.float32(-3.4e38))):
        out, extreme = mask_missing(raw, declared)
        assert out.dtype == np.float64
        np.testing.assert_array_equal(np.isnan(out), [[False, True, False], [True, True, False]])
        np.testing.assert_array_equal(out[~np.isnan(out)], [1.5, 0.0, 2.0])
        assert extreme == 0  # declared, NaN and inf are not "undeclared extremes"
    assert raw.dtype == np.float32 and raw[0, 1] == np.float32(-3.4e38)  # input untouched


def test_mask_missing_float64_nodata():
    raw = np.array([3.0, -1.7e308, 4.0, -np.inf])
    out, extreme = mask_missing(raw, -1.7e308)
    np.testing.assert_array_equal(np.isnan(out), [False, True, False, True])
    assert extreme == 0
    assert raw[1] == -1.7e308


def test_mask_missing_compares_in_the_files_dtype():
    # -9999.9 is not representable in float32: the file holds float32(-9999.9)
    raw = np.array([-9999.9, 5.0, -9999.0], dtype=np.float32)
    out, extreme = mask_missing(raw, -9999.9)
    np.testing.assert_array_equal(np.isnan(out), [True, False, False])
    assert out[2] == -9999.0 and extreme == 0


def test_mask_missing_undeclared_extremes_are_counted():
    raw = np.array([[-3.4e38, 1e30, -1e30, 9.99e29], [1.0, np.nan, -1.7e308, 7.0]])
    out, extreme = mask_missing(raw, None)
    np.testing.assert_array_equal(
        np.isnan(out), [[True, True, True, False], [False, True, True, False]]
    )
    assert extreme == 4  # -3.4e38, 1e30, -1e30, -1.7e308; not the NaN
    assert out[0, 3] == 9.99e29


def test_mask_missing_mixed_declared_and_undeclared():
    # a float32 file declaring -9999 but also holding WorldPop's -3.4e38
    raw = np.array([-9999.0, -3.4e38, 3.0, 3.4e38], dtype=np.float32)
    out, extreme = mask_missing(raw, -9999)
    np.testing.assert_array_equal(np.isnan(out), [True, True, False, True])
    assert extreme == 2


def test_mask_missing_integer_and_nan_nodata():
    raw = np.array([0, 255, 17], dtype=np.uint8)
    out, extreme = mask_missing(raw, 255)
    np.testing.assert_array_equal(out, [0.0, np.nan, 17.0])
    assert extreme == 0
    out, _ = mask_missing(np.array([1.0, np.nan]), NAN)
    np.testing.assert_array_equal(np.isnan(out), [False, True])
    assert EXTREME_VALUE == 1e30


@settings(deadline=None, max_examples=200)
@given(
    values=st.lists(
        st.one_of(
            st.floats(allow_nan=True, allow_infinity=True, width=32),
            st.sampled_from([-3.4e38, -9999.0, 1e30, -1e30, 0.0]),
        ),
        min_size=1,
        max_size=30,
    ),
    declared=st.sampled_from([None, -9999.0, -3.4e38]),
)
def test_mask_missing_property(values, declared):
    raw = np.array(values, dtype=np.float32)
    out, extreme = mask_missing(raw, declared)
    as64 = raw.astype(np.float64)
    is_declared = np.zeros(raw.shape, bool) if declared is None else raw == np.float32(declared)
    bad = ~np.isfinite(as64) | is_declared
    undeclared = ~bad & (np.abs(np.where(bad, 0, as64)) >= 1e30)
    np.testing.assert_array_equal(np.isnan(out), bad | undeclared)
    np.testing.assert_array_equal(out[~np.isnan(out)], as64[~np.isnan(out)])
    assert extreme == int(undeclared.sum())


# --------------------------------------------------------------- cell areas

WGS84_A = 6378137.0
WGS84_F = 1 / 298.257223563


def band_area_km2(lat0, lat1, dlon):
    """Exact area on the WGS 84 ellipsoid between two parallels over ``dlon`` degrees."""
    b = WGS84_A * (1 - WGS84_F)
    e = np.sqrt(WGS84_F * (2 - WGS84_F))

    def q(lat):
        s = np.sin(np.radians(lat))
        return s / (2 * (1 - e * e * s * s)) + np.arctanh(e * s) / (2 * e)

    return np.radians(abs(dlon)) * b * b * abs(q(lat1) - q(lat0)) / 1e6


def test_band_formula_is_right():
    # the whole ellipsoid: 510,065,621.7 km² (WGS 84)
    assert 2 * band_area_km2(0, 90, 360) == pytest.approx(510_065_621.724, rel=1e-9)


def test_one_degree_cell_at_the_equator():
    grid = GridSpec("EPSG:4326", Affine(1.0, 0, 30.0, 0, -1.0, 1.0), 3, 1)
    area = cell_areas_km2(grid, Window(0, 0, 3, 1))
    assert area.shape == (1, 3)
    # WGS 84: 12,308.5 km² (the often quoted 12,364 km² is the R = 6371 km sphere)
    assert area[0, 0] == pytest.approx(band_area_km2(0, 1, 1), rel=1e-4)
    assert area[0, 0] == pytest.approx(12_308.46, rel=1e-4)
    np.testing.assert_array_equal(area[0], area[0, 0])


def test_areas_shrink_with_latitude_and_follow_the_window():
    grid = GridSpec("EPSG:4326", Affine(1.0, 0, 0.0, 0, -1.0, 90.0), 2, 180)
    whole = cell_areas_km2(grid, Window(0, 0, 2, 180))
    north = whole[:90, 0]
    assert (np.diff(north) > 0).all()  # row 0 is at the pole: areas grow southwards
    np.testing.assert_allclose(whole[:90], whole[90:][::-1], rtol=1e-9)  # symmetric
    expected = [band_area_km2(90 - k, 89 - k, 1.0) for k in range(180)]
    np.testing.assert_allclose(whole[:, 0], expected, rtol=1e-4)
    part = cell_areas_km2(grid, Window(1, 100, 1, 5))
    np.testing.assert_array_equal(part, whole[100:105, 1:2])
    # the whole globe at 1°: 360 x Σ rows
    assert 360 * whole[:, 0].sum() == pytest.approx(510_065_621.724, rel=1e-4)


@pytest.mark.parametrize("size,lat", [(1.0, 70.0), (5.0, 60.0), (10.0, 40.0)])
def test_geographic_cells_are_exact_ellipsoidal_areas(size, lat):
    """The docstring promises the exact area of each cell (bounded by parallels)."""
    grid = GridSpec("EPSG:4326", Affine(size, 0, 0.0, 0, -size, lat + size), 1, 1)
    area = cell_areas_km2(grid, Window(0, 0, 1, 1))[0, 0]
    # cells are bounded by parallels, not by geodesics between their corners
    assert area == pytest.approx(band_area_km2(lat, lat + size, size), rel=1e-6)


def _geod_cell_area_km2(crs, x0, y0, x1, y1, n=64):
    """Area on WGS 84 of a projected rectangle, its edges densified to ``n`` points each."""
    to_lonlat = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    s = np.linspace(0, 1, n, endpoint=False)
    xs = np.concatenate([x0 + (x1 - x0) * s, np.full(n, x1), x1 - (x1 - x0) * s, np.full(n, x0)])
    ys = np.concatenate([np.full(n, y0), y0 + (y1 - y0) * s, np.full(n, y1), y1 - (y1 - y0) * s])
    lon, lat = to_lonlat.transform(xs, ys)
    area, _ = pyproj.Geod(ellps="WGS84").polygon_area_perimeter(lon, lat)
    return abs(area) / 1e6


@pytest.mark.parametrize(
    "crs,transform",
    [
        ("EPSG:32633", Affine(1000, 0, 300_000, 0, -1000, 5_500_000)),  # UTM 33N, off-centre
        ("EPSG:32633", Affine(100, 0, 700_000, 0, -100, 1_000_000)),
        ("EPSG:3035", Affine(1000, 0, 4_000_000, 0, -1000, 3_000_000)),  # LAEA Europe
        ("EPSG:3857", Affine(1000, 0, 1_000_000, 0, -1000, 8_000_000)),  # Web Mercator, ~58°N
        ("EPSG:3857", Affine(1000, 0, 1_000_000, 0, -1000, 500_000)),  # Web Mercator, ~4.5°N
        ("ESRI:54009", Affine(1000, 0, 1_000_000, 0, -1000, 3_000_000)),  # Mollweide (GHSL)
    ],
    ids=["utm33-north", "utm33-low", "laea-europe", "webmerc-58N", "webmerc-4N", "mollweide"],
)
def test_projected_cell_areas_match_geodesic_polygons(crs, transform):
    grid = GridSpec(crs, transform, 4, 3)
    area = cell_areas_km2(grid, Window(0, 0, 4, 3))
    expected = np.array(
        [
            [
                _geod_cell_area_km2(
                    crs,
                    transform.c + transform.a * j,
                    transform.f + transform.e * i,
                    transform.c + transform.a * (j + 1),
                    transform.f + transform.e * (i + 1),
                )
                for j in range(4)
            ]
            for i in range(3)
        ]
    )
    np.testing.assert_allclose(area, expected, rtol=1e-3)


# ------------------------------------------------------------ block partition


@settings(deadline=None, max_examples=100)
@given(h=st.integers(1, 40), w=st.integers(1, 40), br=st.integers(1, 50), bc=st.integers(1, 50))
def test_block_windows_cover_every_cell_once_in_row_major_order(h, w, br, bc):
    grid = GridSpec("EPSG:4326", Affine(1, 0, 0, 0, -1, 0), w, h)
    seen = np.zeros((h, w), int)
    starts = []
    for window in block_windows(grid, br, bc):
        r, c = int(window.row_off), int(window.col_off)
        seen[r : r + int(window.height), c : c + int(window.width)] += 1
        starts.append((r, c))
    assert (seen == 1).all()
    assert starts == sorted(starts)
    with pytest.raises(ValueError):
        list(block_windows(grid, 0, 1))
