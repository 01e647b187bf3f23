"""exposure.population.PopulationGrid: masking, validation, conservative resampling."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pyproj
import pytest
import rasterio
from affine import Affine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from rasterio.windows import Window

from exposure.population import PopulationGrid
from mecc.errors import DataError, ResamplingWarning
from mecc.grid import GridSpec, block_windows

HYPOTHESIS = settings(
    deadline=None,
    max_examples=100,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_names = itertools.count()
UTM = "EPSG:32633"


def whole(grid: GridSpec) -> Window:
    return Window(0, 0, grid.width, grid.height)


def read_all(pop: PopulationGrid, grid: GridSpec, block=None) -> np.ndarray:
    if block is None:
        return pop.read(whole(grid))
    out = np.full(grid.shape, np.nan)
    for window in block_windows(grid, *block):
        r, c = int(window.row_off), int(window.col_off)
        out[r : r + int(window.height), c : c + int(window.width)] = pop.read(window)
    return out


def prepare_quietly(pop, grid):
    """prepare() and whether it warned that people were lost."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = pop.prepare(grid)
    lost = [w for w in caught if issubclass(w.category, ResamplingWarning)]
    return report, lost


def file_values(path) -> np.ndarray:
    """What the file holds, as float64, with nodata / extremes / NaN as 0 people."""
    with rasterio.open(path) as dataset:
        raw = dataset.read(1)
        nodata = dataset.nodata
    values = raw.astype(np.float64)
    missing = ~np.isfinite(values) | (np.abs(values) >= 1e30)
    if nodata is not None:
        missing |= raw == np.asarray(nodata, dtype=raw.dtype)
    return np.where(missing, 0.0, values)


populations = st.one_of(st.sampled_from((0.0, 1.0, -9999.0)), st.floats(0, 5000, allow_nan=False))


# ------------------------------------------------------ aligned integer factors


@HYPOTHESIS
@given(
    factor=st.sampled_from((2, 3, 5)),
    shape=st.tuples(st.integers(1, 5), st.integers(1, 5)),
    pad=st.tuples(st.integers(0, 2), st.integers(0, 2), st.integers(0, 2), st.integers(0, 2)),
    dtype=st.sampled_from(("float32", "float64")),
    data=st.data(),
)
def test_aligned_aggregation_is_exact(raster_writer, factor, shape, pad, dtype, data):
    h, w = shape
    source = data.draw(hnp.arrays(np.float64, (h * factor, w * factor), elements=populations))
    source.flat[0] = 10.0  # at least one person
    path = raster_writer(
        f"agg{next(_names)}.tif",
        source,
        transform=Affine(100, 0, 500_000, 0, -100, 5_000_000),
        crs=UTM,
        nodata=-9999.0,
        dtype=dtype,
    )
    people = file_values(path)
    top, left, bottom, right = pad
    size = 100.0 * factor
    target = GridSpec(
        UTM,
        Affine(size, 0, 500_000 - left * size, 0, -size, 5_000_000 + top * size),
        w + left + right,
        h + top + bottom,
    )
    expected = np.zeros(target.shape)
    expected[top : top + h, left : left + w] = people.reshape(h, factor, w, factor).sum(axis=(1, 3))

    pop = PopulationGrid(path, kind="count", label="pop")
    report, lost = prepare_quietly(pop, target)
    assert not lost
    assert report["total_native"] == pytest.approx(people.sum(), rel=1e-12)
    assert report["total_on_grid"] == pytest.approx(people.sum(), rel=1e-9)
    for block in (None, (1, 1), (2, 3)):
        got = read_all(pop, target, block)
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-9 * max(people.max(), 1))
        assert got.sum() == pytest.approx(people.sum(), rel=1e-9)


@HYPOTHESIS
@given(
    factor=st.sampled_from((2, 3, 5)),
    shape=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    dtype=st.sampled_from(("float32", "float64")),
    data=st.data(),
)
def test_aligned_disaggregation_is_exact(raster_writer, factor, shape, dtype, data):
    h, w = shape
    source = data.draw(hnp.arrays(np.float64, (h, w), elements=populations))
    source.flat[-1] = 7.0
    size = 100.0 * factor
    path = raster_writer(
        f"dis{next(_names)}.tif",
        source,
        transform=Affine(size, 0, 600_000, 0, -size, 4_000_000),
        crs=UTM,
        nodata=-9999.0,
        dtype=dtype,
    )
    people = file_values(path)
    target = GridSpec(UTM, Affine(100, 0, 600_000, 0, -100, 4_000_000), w * factor, h * factor)
    expected = np.kron(people, np.ones((factor, factor))) / factor**2

    pop = PopulationGrid(path, kind="count", label="pop")
    report, lost = prepare_quietly(pop, target)
    assert not lost
    assert report["total_on_grid"] == pytest.approx(people.sum(), rel=1e-9)
    for block in (None, (1, 1), (3, 2)):
        got = read_all(pop, target, block)
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12 * max(people.max(), 1))
        assert got.sum() == pytest.approx(people.sum(), rel=1e-9)


# --------------------------------------------------- same CRS, not aligned


def overlap_matrix(source_edges, target_edges):
    """share of source interval j inside target interval i (both increasing)."""
    lo = np.maximum(source_edges[None, :-1], target_edges[:-1, None])
    hi = np.minimum(source_edges[None, 1:], target_edges[1:, None])
    return np.clip(hi - lo, 0, None) / np.diff(source_edges)[None, :]


@HYPOTHESIS
@given(
    shape=st.tuples(st.integers(1, 9), st.integers(1, 9)),
    target_size=st.sampled_from((70.0, 130.0, 250.0, 45.0, 333.0)),
    target_shape=st.tuples(st.integers(1, 8), st.integers(1, 8)),
    offset=st.tuples(
        st.sampled_from((-130.0, -40.0, 0.0, 35.0, 210.0)),
        st.sampled_from((-90.0, 0.0, 55.0, 160.0)),
    ),
    data=st.data(),
)
def test_same_crs_area_weighting(raster_writer, shape, target_size, target_shape, offset, data):
    h, w = shape
    source = data.draw(hnp.arrays(np.float64, (h, w), elements=populations))
    source.flat[0] = 10.0
    x0, y0 = 500_000.0, 5_000_000.0
    path = raster_writer(
        f"aw{next(_names)}.tif",
        source,
        transform=Affine(100, 0, x0, 0, -100, y0),
        crs=UTM,
        nodata=-9999.0,
        dtype="float64",
    )
    people = file_values(path)
    th, tw = target_shape
    tx0, ty0 = x0 + offset[0], y0 - offset[1]
    target = GridSpec(UTM, Affine(target_size, 0, tx0, 0, -target_size, ty0), tw, th)
    # the grids share area when both axes overlap (strictly)
    target_bounds_overlap = min(x0 + 100 * w, tx0 + target_size * tw) > max(x0, tx0) and min(
        y0, ty0
    ) > max(y0 - 100 * h, ty0 - target_size * th)
    # independent overlap matrices (rows measured downwards from the top edge)
    cols = overlap_matrix(x0 + 100 * np.arange(w + 1), tx0 + target_size * np.arange(tw + 1))
    rows = overlap_matrix(-y0 + 100 * np.arange(h + 1), -ty0 + target_size * np.arange(th + 1))
    expected = rows @ people @ cols.T
    inside_total = float(expected.sum())

    pop = PopulationGrid(path, kind="count", label="pop")
    if not target_bounds_overlap:
        with pytest.raises(DataError):
            pop.prepare(target)
        return
    report, lost = prepare_quietly(pop, target)
    assert report["method"] == "area_weighted"
    assert report["total_native"] == pytest.approx(people.sum(), rel=1e-12)
    assert report["total_on_grid"] == pytest.approx(inside_total, rel=1e-9, abs=1e-9)
    # people outside the analysis grid are warned about, and only then
    outside = people.sum() - inside_total
    if outside > 1e-6 * people.sum():
        assert lost and "pop" in str(lost[0].message)
    elif outside < 1e-12 * people.sum():
        assert not lost
    for block in (None, (1, 1), (2, 3)):
        got = read_all(pop, target, block)
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9 * people.max())
        assert got.sum() == pytest.approx(inside_total, rel=1e-9, abs=1e-9)


def test_area_weighting_by_hand(raster_writer):
    # 2 x 2 source cells of 100 m; one 150 m target cell over the top-left corner
    path = raster_writer(
        "hand.tif",
        np.array([[40.0, 80.0], [120.0, 160.0]]),
        transform=Affine(100, 0, 0, 0, -100, 200),
        crs=UTM,
    )
    pop = PopulationGrid(path, kind="count", label="pop")
    target = GridSpec(UTM, Affine(150, 0, 0, 0, -150, 200), 1, 1)
    with pytest.warns(ResamplingWarning):
        report = pop.prepare(target)
    # shares inside: 1, 1/2 (x), 1/2 (y), 1/4
    expected = 40 + 80 * 0.5 + 120 * 0.5 + 160 * 0.25
    assert pop.read(Window(0, 0, 1, 1))[0, 0] == pytest.approx(expected, rel=1e-12)
    assert report["total_on_grid"] == pytest.approx(expected, rel=1e-12)
    assert report["total_native"] == 400.0


# ------------------------------------------------------------- different CRS


def sub_centres_on_target(path, target: GridSpec, k: int) -> np.ndarray:
    """People per target cell when each source cell is split into k x k sub-cells and
    each sub-cell goes to the target cell holding its centre (independent of mecc)."""
    people = np.nan_to_num(file_values(path), nan=0.0)
    with rasterio.open(path) as dataset:
        transform, crs = dataset.transform, dataset.crs
    to_target = pyproj.Transformer.from_crs(crs, target.crs, always_xy=True)
    out = np.zeros(target.shape)
    inverse = ~target.transform
    for sub_row in range(k):
        for sub_col in range(k):
            rows, cols = np.mgrid[0 : people.shape[0], 0 : people.shape[1]].astype(float)
            x = transform.c + transform.a * (cols + (sub_col + 0.5) / k)
            y = transform.f + transform.e * (rows + (sub_row + 0.5) / k)
            x, y = to_target.transform(x, y)
            col = np.floor(inverse.a * x + inverse.b * y + inverse.c).astype(int)
            row = np.floor(inverse.d * x + inverse.e * y + inverse.f).astype(int)
            inside = (row >= 0) & (row < target.height) & (col >= 0) & (col < target.width)
            np.add.at(out, (row[inside], col[inside]), people[inside] / (k * k))
    return out


@pytest.fixture
def lonlat_population(raster_writer):
    rng = np.random.default_rng(11)
    values = rng.uniform(0, 100, (30, 40))
    values[3, 4] = np.nan
    values[10:12, 20:25] = -3.4e38  # WorldPop-style nodata, declared
    return raster_writer(
        "lonlat.tif",
        values,
        transform=Affine(0.01, 0, 10.0, 0, -0.01, 50.0),
        crs="EPSG:4326",
        nodata=-3.4e38,
        dtype="float32",
    )


def utm_target(cell=1000.0, width=12, height=9, crs="EPSG:32632"):
    x, y = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(10.06, 49.93)
    return GridSpec(crs, Affine(cell, 0, x, 0, -cell, y), width, height)


@pytest.mark.parametrize(
    ("target", "sub_cells"),
    [
        (utm_target(), 1),
        (utm_target(cell=400.0, width=30, height=20), 3),
        (utm_target(cell=2000.0, width=4, height=4, crs="EPSG:3857"), 1),
    ],
    ids=["utm-1km", "utm-400m", "webmerc-2km"],
)
def test_different_crs_moves_every_person_into_one_cell(lonlat_population, target, sub_cells):
    pop = PopulationGrid(lonlat_population, kind="count", label="pop")
    with pytest.warns(ResamplingWarning, match="pop"):
        report = pop.prepare(target)
    everyone = file_values(lonlat_population).sum()
    assert report["method"] == "reproject"
    assert report["total_native"] == pytest.approx(everyone, rel=1e-12)
    # source cells of 0.72 x 1.11 km: one sub-cell for a 1 km UTM cell or a 2 km Mercator
    # cell (1.9 km² of Mercator plane at 50°N), 3 x 3 for 400 m cells (ratio 5)
    k = report["sub_cells_per_side"]
    assert k == sub_cells
    expected = sub_centres_on_target(lonlat_population, target, k)
    assert 0 < expected.sum() < everyone
    assert report["total_on_grid"] == pytest.approx(expected.sum(), rel=1e-12)
    got = read_all(pop, target)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("block", [(4, 3), (1, 1)])
def test_different_crs_blocks_do_not_change_cells(lonlat_population, block):
    """The engine reads population block by block: the cells must not depend on it
    (DESIGN: block size changes sums by at most 1e-12 relative)."""
    target = utm_target()
    pop = PopulationGrid(lonlat_population, kind="count", label="pop")
    with pytest.warns(ResamplingWarning):
        report = pop.prepare(target)
    whole_read = read_all(pop, target)
    blocks = read_all(pop, target, block)
    assert blocks.sum() == pytest.approx(report["total_on_grid"], rel=1e-12)
    np.testing.assert_allclose(blocks, whole_read, rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------- density


def band_area_km2(lat0, lat1, dlon):
    a, f = 6378137.0, 1 / 298.257223563
    b, e = a * (1 - f), np.sqrt(f * (2 - f))

    def q(lat):
        s = np.sin(np.radians(lat))
        return s / (2 * (1 - e * e * s * s)) + np.arctanh(e * s) / (2 * e)

    return np.radians(abs(dlon)) * b * b * np.abs(q(lat1) - q(lat0)) / 1e6


def test_density_converts_with_geodesic_cell_areas(raster_writer):
    density = np.array([[100.0, 0.0, 50.0], [10.0, 20.0, -9999.0], [1.0, 2.0, 3.0]])
    transform = Affine(0.1, 0, 10.0, 0, -0.1, 60.0)
    path = raster_writer("density.tif", density, transform=transform, nodata=-9999.0)
    grid = GridSpec("EPSG:4326", transform, 3, 3)
    pop = PopulationGrid(path, kind="density", label="density")
    report = pop.prepare(grid)
    lat_top = 60.0 - 0.1 * np.arange(3)
    areas = band_area_km2(lat_top - 0.1, lat_top, 0.1)[:, None]
    expected = np.where(density == -9999.0, 0.0, density) * areas
    got = pop.read(whole(grid))
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    assert report["total_native"] == pytest.approx(expected.sum(), rel=1e-6)
    # a 0.1° cell at 60° N is about 55.7 x 11.1 km
    assert 60 < areas[0, 0] < 63


def test_density_on_projected_grid(raster_writer):
    transform = Affine(1000, 0, 300_000, 0, -1000, 5_500_000)
    path = raster_writer("density_utm.tif", np.full((2, 2), 250.0), transform=transform, crs=UTM)
    grid = GridSpec(UTM, transform, 2, 2)
    pop = PopulationGrid(path, kind="density", label="density")
    pop.prepare(grid)
    to_lonlat = pyproj.Transformer.from_crs(UTM, "EPSG:4326", always_xy=True)
    geod = pyproj.Geod(ellps="WGS84")
    expected = np.empty((2, 2))
    for i, j in np.ndindex(2, 2):
        xs = 300_000 + 1000 * np.array([j, j + 1, j + 1, j])
        ys = 5_500_000 - 1000 * np.array([i, i, i + 1, i + 1])
        lon, lat = to_lonlat.transform(xs, ys)
        expected[i, j] = 250.0 * abs(geod.polygon_area_perimeter(lon, lat)[0]) / 1e6
    np.testing.assert_allclose(pop.read(whole(grid)), expected, rtol=1e-6)
    # off the central meridian UTM enlarges: true areas are below 1 km²
    assert (expected < 250.0).all()


# ----------------------------------------------------------------- validation


def test_negative_population_names_the_file(raster_writer):
    values = np.ones((3, 4))
    values[1, 2] = -5.0
    path = raster_writer("negative_pop.tif", values)
    grid = GridSpec("EPSG:4326", Affine(0.1, 0, 10.0, 0, -0.1, 50.0), 4, 3)
    with pytest.raises(DataError, match="negative_pop.tif") as error:
        PopulationGrid(path, kind="count").prepare(grid)
    assert "-5" in str(error.value) and "row 1" in str(error.value)
    with pytest.raises(DataError, match=r"population\.path \(negative_pop\.tif\)"):
        PopulationGrid(path, kind="count", label="population.path (negative_pop.tif)").prepare(grid)


@pytest.mark.parametrize(
    "values,nodata,dtype",
    [
        (np.full((3, 3), -3.4e38), -3.4e38, "float32"),
        (np.full((3, 3), -1.7e308), -1.7e308, "float64"),
        (np.full((3, 3), -1.7e308), None, "float64"),  # undeclared extreme
        (np.full((3, 3), np.nan), None, "float32"),
        (np.full((3, 3), -9999.0), -9999.0, "float32"),
    ],
    ids=["f32-declared", "f64-declared", "f64-undeclared", "nan", "minus9999"],
)
def test_all_nodata_is_an_error(raster_writer, values, nodata, dtype):
    path = raster_writer(f"empty_{next(_names)}.tif", values, nodata=nodata, dtype=dtype)
    grid = GridSpec("EPSG:4326", Affine(0.1, 0, 10.0, 0, -0.1, 50.0), 3, 3)
    with pytest.raises(DataError, match=path.name):
        PopulationGrid(path, kind="count").prepare(grid)


def test_undeclared_extremes_are_no_people(raster_writer):
    values = np.array([[5.0, -3.4e38], [1e31, 2.0]])
    path = raster_writer("undeclared.tif", values, dtype="float32")
    grid = GridSpec("EPSG:4326", Affine(0.1, 0, 10.0, 0, -0.1, 50.0), 2, 2)
    pop = PopulationGrid(path, kind="count")
    report = pop.prepare(grid)
    assert report["total_native"] == 7.0
    np.testing.assert_array_equal(pop.read(whole(grid)), [[5.0, 0.0], [0.0, 2.0]])
    assert pop.file.extreme_cells >= 2


# ------------------------------------------------------------- real WorldPop


WORLDPOP = [
    # file, dtype, declared nodata, plausible total range
    ("NPL_ppp_v2c_2020_UNadj_ktm.tif", "float32", -3.4e38, (1e5, 1e8)),
    ("GHA15adj_040213_accra.tif", "float64", -1.7e308, (1e5, 1e8)),
]


@pytest.mark.shared_data
@pytest.mark.parametrize("name,dtype,nodata,plausible", WORLDPOP, ids=["kathmandu", "accra"])
def test_worldpop_totals(shared_data, name, dtype, nodata, plausible):
    path = shared_data / "worldpop" / name
    with rasterio.open(path) as dataset:
        raw = dataset.read(1)
        declared = dataset.nodata
        grid = GridSpec(dataset.crs, dataset.transform, dataset.width, dataset.height)
    assert raw.dtype == np.dtype(dtype)
    assert declared == pytest.approx(nodata, rel=1e-7)
    values = raw.astype(np.float64)
    missing = (raw == np.asarray(declared, dtype=raw.dtype)) | ~np.isfinite(values)
    missing |= np.abs(values) >= 1e30
    independent = float(values[~missing].sum())
    assert plausible[0] < independent < plausible[1]

    pop = PopulationGrid(path, kind="count", label=f"population ({name})")
    report = pop.prepare(grid)
    assert report["method"] == "identical"
    assert report["total_native"] == pytest.approx(independent, rel=1e-9)
    assert report["total_on_grid"] == pytest.approx(independent, rel=1e-9)
    got = read_all(pop, grid, (64, 100))
    assert np.isfinite(got).all() and (got >= 0).all()
    assert got.sum() == pytest.approx(independent, rel=1e-9)
    assert got.max() < 1e5  # people per ~100 m cell


@pytest.mark.shared_data
@pytest.mark.parametrize("name", [w[0] for w in WORLDPOP], ids=["kathmandu", "accra"])
def test_worldpop_aggregated_twice_keeps_the_total(shared_data, name):
    path = shared_data / "worldpop" / name
    with rasterio.open(path) as dataset:
        t, width, height, crs = dataset.transform, dataset.width, dataset.height, dataset.crs
    independent = file_values(path).sum()
    target = GridSpec(
        crs, Affine(2 * t.a, 0, t.c, 0, 2 * t.e, t.f), (width + 1) // 2, (height + 1) // 2
    )
    pop = PopulationGrid(path, kind="count", label=name)
    report, lost = prepare_quietly(pop, target)
    assert report["method"] == "area_weighted"
    assert not lost
    assert report["total_on_grid"] == pytest.approx(independent, rel=1e-9)
    got = read_all(pop, target, (16, 32))
    assert got.sum() == pytest.approx(independent, rel=1e-9)
    people = np.zeros((2 * target.height, 2 * target.width))
    people[:height, :width] = file_values(path)
    expected = people.reshape(target.height, 2, target.width, 2).sum(axis=(1, 3))
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9)


def test_nodata_from_the_run_file_is_compared_in_the_file_dtype(raster_writer):
    """A float32 file that does not declare its nodata: ``nodata: -99999.9`` from YAML
    (a float64) still matches the stored float32 value."""
    values = np.array([[1.5, -99999.9], [2.5, 4.0]], dtype=np.float32)
    path = raster_writer("undeclared.tif", values, dtype="float32")
    pop = PopulationGrid(path, label="pop", nodata=-99999.9)
    report = pop.prepare(pop.native_grid)
    assert report["total_native"] == pytest.approx(8.0, rel=1e-7)
    without = PopulationGrid(path, label="pop")
    with pytest.raises(DataError, match="negative population"):
        without.prepare(without.native_grid)


def _run_with_undeclared_extremes(folder, **options):
    """A 96 x 128 run whose population hides 1e31 (no nodata declared) in a fifth of its
    cells, scaled to a national total (a first pass over the population), read in many
    blocks. Returns the manifest and the number of such cells."""
    import json

    from mecc.run import run_country
    from tests._run_inputs import cell_box, write_run, write_zones
    from tests.conftest import write_raster

    rng = np.random.default_rng(11)
    people = rng.uniform(1, 100, (96, 128)).astype(np.float32)
    hidden = rng.random(people.shape) < 0.2
    people[hidden] = 1e31
    write_raster(folder / "pop.tif", people)
    write_raster(folder / "rp10.tif", np.tile(np.linspace(0, 2, 128), (96, 1)))
    write_zones(
        folder / "zones.geojson",
        ["A", "B"],
        [cell_box(0, 0, rows=96, cols=64), cell_box(0, 64, rows=96, cols=64)],
    )
    data = {
        "country": "AAA",
        "name": "Testland",
        "population": {"path": "pop.tif", "kind": "count", "scale_to": {"total": 1e6}},
        "zones": {"path": "zones.geojson", "code_field": "code", "level": 1},
        "hazards": [
            {
                "id": "sc",
                "type": "river_flood",
                "intensity": "rp10.tif",
                "scenario": "test flood",
                "curve": "flood_step_1m",
            }
        ],
    }
    out = run_country(write_run(folder, data), folder / "out", with_map=False, **options).out_dir
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return manifest, int(hidden.sum())


def test_manifest_counts_each_extreme_cell_once_on_two_threads(tmp_path):
    """Blocks read on two threads added their counts at once (counts were lost: 0.69 M of
    1.26 M on a 2048² grid), and the scaling pass was counted as well as the engine's."""
    manifest, hidden = _run_with_undeclared_extremes(tmp_path, threads=2, block_shape=(4, 32))
    assert manifest["extreme_values_masked"]["population"] == hidden
