"""Earthquake MMI scenarios (hazards/earthquake.py): the published equation, the 1994
Northridge earthquake against published intensities, the finite rupture, the tool."""

from __future__ import annotations

import json
import math

import numpy as np
import pyproj
import pytest
import rasterio
from affine import Affine

from hazards.earthquake import intensity, mmi_field, rupture_dimensions, write_earthquake
from hazards.scenarios import target_grid
from mecc.errors import ConfigError, OutputExistsError
from mecc.grid import GridSpec

# ------------------------------------------------------------ the published equation

# OpenQuake engine verification tables for Allen, Wald & Worden (2012), "generated from
# independent Matlab implementation" (gem/oq-engine,
# openquake/hazardlib/tests/gsim/data/a12ipe/AWW_IPE_RRUP_MEAN.csv and
# AWW_IPE_RHYPO_MEAN.csv): (M, R km, MMI).
RRUP_TABLE = [
    (5.0, 1.0, 7.7093365),
    (5.0, 10.0, 5.9481375),
    (5.0, 50.0, 4.1836633),
    (5.0, 300.0, 2.2008926),
    (6.0, 5.0, 7.4553302),
    (6.0, 20.0, 6.0976469),
    (6.0, 100.0, 4.3295066),
    (7.0, 1.0, 8.1745641),
    (7.0, 10.0, 7.5709359),
    (7.0, 50.0, 5.9996247),
    (7.0, 300.0, 4.0266109),
]
RHYPO_TABLE = [
    (5.0, 1.0, 8.1928149),
    (5.0, 20.0, 5.0191197),
    (5.0, 100.0, 2.8223814),
    (6.0, 10.0, 7.2488079),
    (6.0, 50.0, 5.1603881),
    (6.0, 300.0, 2.7958320),
    (7.0, 5.0, 8.2206291),
    (7.0, 20.0, 7.5721877),
    (7.0, 100.0, 5.6632662),
]


def _allen_rrup_by_hand(m, r):
    # Allen, Wald & Worden (2012), rupture-distance IPE: c0 3.950, c1 0.913, c2 -1.107, c3 0.813
    return (
        3.950 + 0.913 * m - 1.107 * math.log(math.sqrt(r**2 + (1 + 0.813 * math.exp(m - 5)) ** 2))
    )


def _allen_rhypo_by_hand(m, r):
    # hypocentral form: c0 2.085, c1 1.428, c2 -1.402, c4 0.078, m1 -0.209, m2 2.042
    rm = -0.209 + 2.042 * math.exp(m - 5)
    value = 2.085 + 1.428 * m - 1.402 * math.log(math.sqrt(r**2 + rm**2))
    return value + (0.078 * math.log(r / 50) if r > 50 else 0.0)


@pytest.mark.parametrize(("m", "r", "expected"), RRUP_TABLE)
def test_rupture_distance_equation_matches_published_values(m, r, expected):
    assert float(intensity(m, r, "allen2012_rrup")) == pytest.approx(expected, abs=0.01)
    assert _allen_rrup_by_hand(m, r) == pytest.approx(expected, abs=0.01)


@pytest.mark.parametrize(("m", "r", "expected"), RHYPO_TABLE)
def test_hypocentral_equation_matches_published_values(m, r, expected):
    assert float(intensity(m, r, "allen2012_rhypo")) == pytest.approx(expected, abs=0.01)
    assert _allen_rhypo_by_hand(m, r) == pytest.approx(expected, abs=0.01)


def test_rupture_dimensions_follow_wells_coppersmith_1994():
    length, width = rupture_dimensions(7.0)
    assert length == pytest.approx(10 ** (-2.44 + 0.59 * 7.0))  # 50.1 km
    assert width == pytest.approx(10 ** (-1.01 + 0.32 * 7.0))  # 17.0 km


# ------------------------------------------------------------- Northridge, 1994

# Epicentre 34.213 N, 118.537 W, depth 18.2 km, Mw 6.7 (USGS ANSS ComCat, as quoted by
# the Wikipedia article "1994 Northridge earthquake"). Fault: strike N122E, dip 40 deg
# (SeisSol documentation, "Kinematic source example - 1994 Northridge earthquake");
# with strike 122 the dip is toward 212 deg, i.e. SSW.
NORTHRIDGE = {"magnitude": 6.7, "lat": 34.213, "lon": -118.537, "depth_km": 18.2}
NORTHRIDGE_FAULT = {"strike": 122.0, "dip": 40.0}

# Published intensities: Dewey, Reagor, Dengler & Moley (1995), USGS Open-File Report
# 95-92, "Intensity distribution and isoseismal maps for the Northridge, California,
# earthquake of January 17, 1994", as entered (name, lat, lon, intensity) in USGS
# ShakeMap's Northridge input, usgs/shakemap tests/data/eventdata/northridge/
# northridge_stations.xml (stations with source="Dewey et al. (1995)").
DOWNTOWN_LA = ("90055 Los Angeles", 34.05416, -118.23833, 7)
PASADENA = ("91109 Pasadena 1", 34.13832, -118.14333, 6)
BURBANK = ("91503 Burbank (Downtown)", 34.18082, -118.30883, 7)
# Near-field places the median equation underestimates (see test below).
NORTHRIDGE_CSUN = ("Northridge (CSUN)", 34.24, -118.525, 9)
RESEDA = ("91335 Reseda 1", 34.20111, -118.53555, 8)
SANTA_MONICA = ("90404 Santa Monica", 34.03033, -118.4805, 8)


@pytest.fixture(scope="module")
def northridge_field():
    grid = target_grid(bounds=(-118.75, 33.95, -118.05, 34.35), resolution=0.005)
    return grid, mmi_field(**NORTHRIDGE, grid=grid, **NORTHRIDGE_FAULT)


def _at(grid: GridSpec, values, lat, lon):
    col, row = ~grid.transform @ (lon, lat)
    return float(values[int(row), int(col)])


@pytest.mark.parametrize("place", [DOWNTOWN_LA, PASADENA, BURBANK], ids=lambda p: p[0])
def test_northridge_within_one_unit_of_published_intensity(northridge_field, place):
    """Model (finite rupture, no site terms) vs Dewey et al. (1995): |model - class| <= 1.

    Modelled: downtown LA 6.6 (VII), Pasadena 6.5 (VI), Burbank 7.0 (VII).
    """
    grid, values = northridge_field
    name, lat, lon, published = place
    assert abs(_at(grid, values, lat, lon) - published) <= 1.0


@pytest.mark.parametrize("place", [NORTHRIDGE_CSUN, RESEDA, SANTA_MONICA], ids=lambda p: p[0])
def test_northridge_near_field_is_underestimated_by_the_median_equation(northridge_field, place):
    """A documented limitation, pinned so that a change is noticed.

    The equation is a median without site or directivity terms; at M 6.7 it cannot
    exceed about 8.2 even on the fault, and Northridge shook the San Fernando Valley
    and Santa Monica harder than the median: modelled 7.1 at CSUN (IX), 7.0 at Reseda
    (VIII), 6.6 in Santa Monica (VIII) -- 1 to 2 units low.
    """
    grid, values = northridge_field
    name, lat, lon, published = place
    modelled = _at(grid, values, lat, lon)
    assert published - 2.5 < modelled < published - 0.5


def test_northridge_field_peaks_over_the_rupture(northridge_field):
    grid, values = northridge_field
    row, col = np.unravel_index(np.argmax(values), values.shape)
    x, y = grid.transform @ (col + 0.5, row + 0.5)
    assert abs(y - 34.25) < 0.15 and abs(x + 118.5) < 0.2
    assert 7.0 < values.max() < 8.3


# --------------------------------------------------------------- finite rupture


def _equator_grid():
    return target_grid(bounds=(-1.2, -1.2, 1.2, 1.2), resolution=0.01)


def _along_and_across(magnitude, distance_km=100.0):
    """MMI at ``distance_km`` along an east-west strike and perpendicular to it."""
    grid = _equator_grid()
    values = mmi_field(magnitude, 0.0, 0.0, 10.0, grid, strike=90.0, dip=90.0)
    geod = pyproj.Geod(ellps="WGS84")
    lon_e, lat_e, _ = geod.fwd(0.0, 0.0, 90.0, distance_km * 1e3)
    lon_n, lat_n, _ = geod.fwd(0.0, 0.0, 0.0, distance_km * 1e3)
    return _at(grid, values, lat_e, lon_e), _at(grid, values, lat_n, lon_n)


def test_long_rupture_shakes_harder_along_strike():
    along, across = _along_and_across(7.8)
    assert along > across + 1.0  # 145 km rupture: 27 km from its end vs 100 km


def test_small_rupture_is_nearly_a_point():
    for magnitude in (5.0, 6.0):
        along, across = _along_and_across(magnitude)
        assert abs(along - across) < 0.15


def test_dip_direction_is_right_of_strike():
    """Strike north, dip 45: the plane dips east, so its shallow (up-dip) half lies
    west of the hypocentre and the west shakes harder; strike south mirrors it."""
    grid = _equator_grid()
    north = mmi_field(7.0, 0.0, 0.0, 15.0, grid, strike=0.0, dip=45.0)
    south = mmi_field(7.0, 0.0, 0.0, 15.0, grid, strike=180.0, dip=45.0)
    vertical = mmi_field(7.0, 0.0, 0.0, 15.0, grid, strike=0.0, dip=90.0)
    west, east = (0.0, -0.105), (0.0, 0.105)  # cell centres, 11.7 km
    assert _at(grid, north, *west) > _at(grid, north, *east) + 0.3
    assert _at(grid, south, *east) > _at(grid, south, *west) + 0.3
    assert _at(grid, vertical, *west) == pytest.approx(_at(grid, vertical, *east), abs=0.02)


def test_point_source_is_radial_and_uses_hypocentral_distance():
    """Without a strike: the hypocentral equation at the geodesic hypocentral distance."""
    crs = "EPSG:32611"  # a projected grid (UTM 11N) around Los Angeles
    grid = GridSpec(crs, Affine(2000.0, 0, 300_000.0, 0, -2000.0, 3_850_000.0), 60, 40)
    values = mmi_field(6.0, 34.05, -118.25, 12.0, grid)
    x, y = grid.transform @ np.meshgrid(np.arange(60) + 0.5, np.arange(40) + 0.5)
    lon, lat = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(x, y)
    _, _, metres = pyproj.Geod(ellps="WGS84").inv(
        np.full(lon.shape, -118.25), np.full(lat.shape, 34.05), lon, lat
    )
    expected = np.clip(
        [_allen_rhypo_by_hand(6.0, r) for r in np.hypot(metres / 1e3, 12.0).ravel()], 1, 10
    ).reshape(values.shape)
    np.testing.assert_allclose(values, expected, atol=1e-6)


def test_values_are_clipped_to_one_and_ten():
    grid = target_grid(bounds=(-4.0, -1.0, 4.0, 1.0), resolution=0.05)
    small = mmi_field(3.0, 0.0, 0.0, 5.0, grid, strike=0.0, equation="allen2012_rrup")
    assert small.min() == 1.0 and small.max() < 6.0
    assert mmi_field(9.5, 0.0, 0.0, 0.0, grid, strike=0.0).max() <= 10.0


# ------------------------------------------------------------------------ the tool


def test_write_earthquake_records_parameters(tmp_path):
    out = write_earthquake(
        tmp_path / "mmi.tif",
        **NORTHRIDGE,
        **NORTHRIDGE_FAULT,
        bounds=(-118.8, 34.0, -118.3, 34.4),
        resolution=0.02,
    )
    with rasterio.open(out) as dataset:
        tags = dataset.tags()
        data = dataset.read(1)
    assert tags["measure"] == "MMI" and tags["unit"] == "MMI"
    parameters = json.loads(tags["parameters"])
    assert parameters["equation"] == "allen2012_rrup"
    assert "Allen" in parameters["citation"] and "2012" in parameters["citation"]
    assert parameters["equation_coefficients"]["c2"] == -1.107
    assert parameters["rupture"]["length_km"] == pytest.approx(32.6, abs=0.1)
    assert "Wells" in parameters["rupture"]["scaling_law"]
    assert parameters["strike_deg"] == 122.0 and parameters["dip_deg"] == 40.0
    assert 6.0 < data.max() <= 8.3 and data.min() >= 1.0


def test_point_source_defaults_to_hypocentral_equation(tmp_path):
    out = write_earthquake(
        tmp_path / "p.tif",
        magnitude=5.5,
        lat=0,
        lon=0,
        depth_km=10,
        bounds=(-1, -1, 1, 1),
        resolution=0.1,
    )
    with rasterio.open(out) as dataset:
        parameters = json.loads(dataset.tags()["parameters"])
    assert parameters["equation"] == "allen2012_rhypo"
    assert parameters["rupture"]["length_km"] == 0.0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"magnitude": -1.0}, "magnitude"),
        ({"magnitude": 10.2}, "magnitude"),
        ({"depth_km": -5.0}, "depth_km"),
        ({"depth_km": 800.0}, "depth_km"),
        ({"strike": 400.0}, "strike"),
        ({"strike": 360.0}, "strike"),
        ({"lat": 91.0}, "latitude"),
        ({"lon": -200.0}, "longitude"),
        ({"magnitude": "big"}, "magnitude"),
        ({"dip": 0.0}, "dip"),
        ({"equation": "nope"}, "equation"),
        ({"equation": "allen2012_rhypo"}, "strike has no effect"),
        ({"colour": "red"}, "unknown earthquake option"),
    ],
)
def test_bad_parameters_raise_config_error_and_write_nothing(tmp_path, changes, message):
    arguments = {**NORTHRIDGE, "strike": 122.0, "bounds": (-119, 34, -118, 35), "resolution": 0.1}
    arguments.update(changes)
    out = tmp_path / "bad.tif"
    with pytest.raises(ConfigError, match=message) as raised:
        write_earthquake(out, **arguments)
    assert raised.value.exit_code == 2 and "\n" not in str(raised.value)
    assert list(tmp_path.iterdir()) == []


def test_dip_without_strike_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="strike"):
        write_earthquake(
            tmp_path / "x.tif", **NORTHRIDGE, dip=40.0, bounds=(-119, 34, -118, 35), resolution=0.1
        )
    assert list(tmp_path.iterdir()) == []


def test_existing_output_needs_overwrite(tmp_path):
    arguments = {**NORTHRIDGE, "bounds": (-119, 34, -118, 35), "resolution": 0.1}
    out = write_earthquake(tmp_path / "e.tif", **arguments)
    with pytest.raises(OutputExistsError):
        write_earthquake(out, **arguments)
    write_earthquake(out, **arguments, overwrite=True)
