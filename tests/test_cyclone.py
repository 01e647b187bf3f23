"""Cyclone wind fields from best tracks (hazards.cyclone): the Holland (1980) profile,
motion asymmetry, Irma's observed peak winds, Haiyan over the Philippines, bad input."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pyproj
import pytest
import rasterio
from affine import Affine

from hazards.cyclone import (
    AVERAGING_TO_1MIN,
    SURFACE_FACTOR,
    holland_gradient_wind,
    node_peak,
    read_track,
    storm_nodes,
    surface_winds,
    wind_field,
    write_cyclone,
)
from mecc.errors import ConfigError, DataError, InputFileError, MeccError, OutputExistsError
from mecc.grid import GridSpec

KNOT = 1852.0 / 3600.0
RHO, OMEGA = 1.15, 7.2921e-5
TACLOBAN = (125.0, 11.24)


def _grid(left, top, resolution, width, height, crs="EPSG:4326"):
    return GridSpec(crs, Affine(resolution, 0, left, 0, -resolution, top), width, height)


def _write_track(path, rows, header="time_utc,lat,lon,vmax_kt,pressure_hpa"):
    path.write_text(header + "\n" + "".join(",".join(map(str, r)) + "\n" for r in rows))
    return path


def _straight_track(tmp_path, lat=15.0, vmax_kt=100, pressure=950, rmax=20, lon0=130.0):
    """Westward at 0.3° of longitude per 3 h (about 3 m/s), constant intensity."""
    rows = [
        (f"20200101{h:02d}", lat, lon0 - 0.1 * h, vmax_kt, pressure, 1010, rmax)
        for h in range(0, 13, 3)
    ]
    header = "time_utc,lat,lon,vmax_kt,pressure_hpa,env_pressure_hpa,rmax_nmi"
    return read_track(_write_track(tmp_path / "straight.csv", rows, header))


_ring_peak = node_peak  # the model's peak around a node (hazards.cyclone)


# ------------------------------------------------------------------- the profile


def test_holland_profile_is_the_published_closed_form():
    rmax, b, dp = 30e3, 1.6, 6000.0
    r = rmax * np.array([0.25, 0.5, 1.0, 1.5, 2.0, 4.0, 8.0])
    x = (rmax / r) ** b
    # cyclostrophic (no Coriolis at the equator): Holland (1980) eq. 4 with f = 0
    expected = np.sqrt(b / RHO * dp * x * np.exp(-x))
    np.testing.assert_allclose(holland_gradient_wind(r, rmax, b, dp, 0.0), expected, rtol=1e-12)
    # with Coriolis at 20°N: sqrt(B Δp x e^-x / ρ + (rf/2)²) - rf/2
    f = 2 * OMEGA * math.sin(math.radians(20))
    with_f = np.sqrt(b / RHO * dp * x * np.exp(-x) + (r * f / 2) ** 2) - r * f / 2
    np.testing.assert_allclose(holland_gradient_wind(r, rmax, b, dp, 20.0), with_f, rtol=1e-12)
    # shape: V(r)/V(R) = sqrt(x e^(1-x)), within 3 % from R/2 to 2 R where r f / 2 is small
    ratio = holland_gradient_wind(r, rmax, b, dp, 20.0) / holland_gradient_wind(
        rmax, rmax, b, dp, 20.0
    )
    shape = np.sqrt(x * np.exp(1 - x))
    close = (r >= rmax / 2) & (r <= 2 * rmax)
    np.testing.assert_allclose(ratio[close], shape[close], rtol=0.03)
    assert np.all(np.diff(ratio[r >= rmax]) < 0)  # decays outside R_max


@pytest.mark.parametrize("lat", [0.0, 15.0])
def test_holland_profile_peaks_at_the_radius_of_maximum_wind(lat):
    rmax = 25e3
    r = np.linspace(1e3, 200e3, 199_001)  # 1 m steps
    speed = holland_gradient_wind(r, rmax, 1.8, 8000.0, lat)
    peak = r[np.argmax(speed)]
    assert abs(peak - rmax) / rmax < (1e-4 if lat == 0 else 0.02)
    assert speed.max() == pytest.approx(math.sqrt(1.8 * 8000.0 / (RHO * math.e)), rel=0.02)


def test_motion_adds_on_the_right_in_the_north_and_on_the_left_in_the_south(tmp_path):
    for lat, side in ((15.0, 1.0), (-15.0, -1.0)):
        track = _straight_track(tmp_path, lat=lat)
        nodes = storm_nodes(track, b_parameter="holland1980")
        i = len(nodes) // 2
        vmax, vt = 100 * KNOT, nodes.vt_ms.iat[i]
        assert vt == pytest.approx(0.3 * 111.2e3 * math.cos(math.radians(15)) / 10800, rel=0.01)
        peak, east, north = _ring_peak(nodes, i, step_deg=1.0)
        # B from the track's wind: the peak is the track's 1-min wind, right of the motion
        assert peak == pytest.approx(vmax, rel=0.01)
        assert np.sign(north) == side and abs(east) < 0.2 * abs(north)
        rmax = nodes.rmax_m.iat[i]
        left = surface_winds(nodes, i, np.array([0.0]), np.array([-side * rmax]))[0]
        assert left == pytest.approx(vmax - 2 * vt, rel=0.01)


def test_field_on_a_grid_is_the_node_model(tmp_path):
    track = _straight_track(tmp_path)
    nodes = storm_nodes(track)
    grid = _grid(128.0, 16.5, 0.01, 300, 300)
    field = wind_field(track, grid)
    peaks = [_ring_peak(nodes, i)[0] for i in range(len(nodes))]
    assert field.max() == pytest.approx(max(peaks), rel=0.01)
    assert field.min() >= 0 and np.isfinite(field).all()
    # a node's winds reach no farther than the cut-off
    far = wind_field(track, _grid(140.0, 16.5, 0.05, 40, 40), cutoff_km=300)
    assert (far == 0).all()


def test_projected_grid_matches_the_geographic_one(tmp_path):
    track = _straight_track(tmp_path)
    geo = _grid(127.5, 17.0, 0.01, 400, 400)
    geo_field = wind_field(track, geo)
    utm = pyproj.CRS("EPSG:32651")
    x0, y0 = pyproj.Transformer.from_crs("EPSG:4326", utm, always_xy=True).transform(128.0, 16.5)
    proj = _grid(x0, y0, 2000.0, 120, 100, crs="EPSG:32651")
    proj_field = wind_field(track, proj)
    x, y = proj.cell_centres(rasterio.windows.Window(0, 0, 120, 100))
    lon, lat = pyproj.Transformer.from_crs(utm, "EPSG:4326", always_xy=True).transform(x, y)
    rows = np.floor((17.0 - lat) / 0.01).astype(int)
    cols = np.floor((lon - 127.5) / 0.01).astype(int)
    inside = (rows >= 0) & (rows < 400) & (cols >= 0) & (cols < 400)
    assert inside.mean() > 0.9
    diff = np.abs(proj_field[inside] - geo_field[rows[inside], cols[inside]])
    assert diff.mean() < 0.5 and proj_field.max() > 40


def test_a_track_across_the_antimeridian_is_continuous(tmp_path):
    rows = [(f"20200101{h:02d}", -15.0, lon, 90, 960) for h, lon in ((0, 178.5), (6, -178.5))]
    track = read_track(_write_track(tmp_path / "dateline.csv", rows))
    assert track.lon.tolist() == [178.5, -178.5]
    field = wind_field(track, _grid(178.5, -13.0, 0.05, 60, 80))  # 178.5°E to 178.5°W
    assert (field.max(axis=0) > 40).all()


# ------------------------------------------------------------------------- Irma


def _irma_peaks(shared_data):
    track = read_track(shared_data / "tracks" / "irma_2017.csv")
    nodes = storm_nodes(track)  # B from pressure (Holland 2008): the wind is not used
    at_track = np.flatnonzero(np.isin(nodes.hours, track.hours))
    model = np.array([_ring_peak(nodes, i)[0] for i in at_track])
    observed = track.vmax_kt.to_numpy() * KNOT
    hurricane = track.vmax_kt.to_numpy() >= 64
    return track, (model / observed - 1)[hurricane]


def test_irma_reads_with_its_own_pressures_and_radii(shared_data):
    track = read_track(shared_data / "tracks" / "irma_2017.csv")
    assert len(track) == 117 and not track.pressure_estimated.any()
    assert track.rmax_estimated.sum() == 3  # the first three points have no radius
    assert track.rmax_nmi.iloc[0] == pytest.approx(
        np.interp(1008, [980, 1021], [25.742142, 56.856522])
    )
    peak = track.loc[track.time_utc == pd.Timestamp("2017-09-05 18:00")].iloc[0]
    assert (peak.vmax_kt, peak.pressure_hpa, peak.rmax_nmi) == (155, 926, 15)


@pytest.mark.xfail(
    strict=True,
    reason="measured: Holland 2008 from pressure alone is within 10 % of Irma's 1-min vmax at "
    "32 of 89 hurricane-stage times (mean error -6.3 %; -21 % early, -19 % at the 155 kt peak, "
    "+41 % over Florida where the pressure stays low as the wind drops)",
)
def test_irma_peak_wind_from_pressure_within_10_percent(shared_data):
    _, error = _irma_peaks(shared_data)
    assert np.abs(error).max() <= 0.10


def test_irma_figures_as_reported(shared_data):
    """The figures reported for the surface factor chosen beforehand (0.9); not tuned."""
    track, error = _irma_peaks(shared_data)
    assert SURFACE_FACTOR == 0.9 and error.size == 89
    assert error.mean() == pytest.approx(-0.063, abs=0.005)
    assert np.abs(error).mean() == pytest.approx(0.111, abs=0.005)
    assert error.min() == pytest.approx(-0.207, abs=0.005)
    assert error.max() == pytest.approx(0.414, abs=0.005)
    assert (np.abs(error) <= 0.10).sum() == 32


# ------------------------------------------------------------------------ Haiyan


def test_haiyan_reads_with_estimates(shared_data):
    track = read_track(
        shared_data / "philippines_haiyan" / "haiyan_best_track.csv", averaging="10-min"
    )
    assert len(track) == 33
    assert track.vmax_kt.isna().sum() == 4  # JMA's 0 = missing, at both ends
    known = track.vmax_kt.notna()
    assert track.pressure_estimated[known].all() and track.rmax_estimated[known].all()
    assert (track.env_pressure_hpa == 1010).all()
    peak = track.loc[track.vmax_kt.idxmax()]
    v1 = 125 / 0.93
    assert peak.vmax_kt == pytest.approx(v1)
    expected_p = 1026.3401 - 0.05504 * peak.lat - 0.03536 * peak.lon - 0.7357 * v1
    assert peak.pressure_hpa == pytest.approx(expected_p)
    assert 900 < peak.pressure_hpa < 930 and 10 < peak.rmax_nmi < 20


def test_haiyan_field_over_leyte(shared_data, tmp_path):
    path = shared_data / "philippines_haiyan" / "haiyan_best_track.csv"
    out = write_cyclone(
        path,
        tmp_path / "haiyan.tif",
        bounds=(122.0, 9.5, 127.0, 13.0),
        resolution=0.02,
        track_averaging="10-min",
    )
    with rasterio.open(out) as dataset:
        field = dataset.read(1).astype(np.float64)
        tags = dataset.tags()
        lon, lat = dataset.xy(*np.indices(field.shape))
    lon, lat = np.reshape(lon, field.shape), np.reshape(lat, field.shape)
    km = 111.2 * np.hypot(
        (lon - TACLOBAN[0]) * math.cos(math.radians(TACLOBAN[1])), lat - TACLOBAN[1]
    )
    near = field[km < 30]
    assert 60 <= near.max() <= 95, near.max()
    assert 60 <= field[km < 3].max() <= 95
    assert field.max() < 95 and (field >= 17.5).mean() > 0.5
    assert tags["unit"] == "m/s" and tags["measure"] == "maximum 1-minute sustained wind at 10 m"
    parameters = json.loads(tags["parameters"])
    assert parameters["surface_factor"] == 0.9 and "Franklin" in parameters["surface_factor_source"]
    assert parameters["averaging_to_1min_factor"] == pytest.approx(1 / 0.93)
    assert parameters["estimated_points"]["pressure_estimated"] == 29
    assert parameters["b_parameter"] == "holland2008" and parameters["cutoff_km"] == 500


# -------------------------------------------------------------------- bad input

GOOD = [("2020010100", 15.0, 130.0, 90, 960), ("2020010106", 15.5, 129.0, 95, 955)]


@pytest.mark.parametrize(
    ("rows", "header", "error", "message"),
    [
        (GOOD[:1], None, DataError, "at least two"),
        ([], None, DataError, "0 track point"),
        (GOOD, "time_utc,lat,vmax_kt,pressure_hpa", DataError, "missing column.*lon"),
        (GOOD, "time_utc,lat,lon,wind,pres", DataError, "no intensity column"),
        (GOOD[::-1], None, DataError, "time_utc: times must increase"),
        ([GOOD[0], ("2020010106", 95.0, 129.0, 95, 955)], None, DataError, "lat: values outside"),
        ([r[:3] + (0, "") for r in GOOD], None, DataError, "no usable intensity"),
        ([GOOD[0], ("2020010106", 15.5, "x", 95, 955)], None, DataError, "lon: row 3"),
        ([("yesterday", 15, 130, 90, 960), GOOD[1]], None, DataError, "time_utc"),
    ],
)
def test_bad_tracks_are_refused_and_nothing_is_written(tmp_path, rows, header, error, message):
    kwargs = {"header": header} if header else {}
    path = _write_track(tmp_path / "bad.csv", rows, **kwargs)
    with pytest.raises(error, match=message) as caught:
        read_track(path)
    assert "bad.csv" in str(caught.value)
    out = tmp_path / "wind.tif"
    with pytest.raises(error, match=message):
        write_cyclone(path, out, bounds=(128, 14, 131, 17), resolution=0.1)
    assert not out.exists() and list(tmp_path.iterdir()) == [path]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"track_averaging": "3-hour"}, ConfigError, "averaging '3-hour' is unknown"),
        ({"b_parameter": "rankine"}, ConfigError, "b_parameter 'rankine'"),
        ({"surface_factor": 1.2}, ConfigError, "surface_factor"),
        ({"cutoff_km": 0}, ConfigError, "cutoff_km"),
        ({"resolution": None}, ConfigError, "--resolution"),
    ],
)
def test_bad_options_are_refused_and_nothing_is_written(tmp_path, kwargs, error, message):
    path = _write_track(tmp_path / "ok.csv", GOOD)
    out = tmp_path / "wind.tif"
    options = {"bounds": (128, 14, 131, 17), "resolution": 0.1} | kwargs
    with pytest.raises(error, match=message):
        write_cyclone(path, out, **options)
    assert not out.exists()


def test_missing_and_empty_files_and_existing_outputs(tmp_path):
    with pytest.raises(InputFileError, match="nowhere.csv: track file not found"):
        read_track(tmp_path / "nowhere.csv")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DataError, match="empty.csv: the track file is empty"):
        read_track(tmp_path / "empty.csv")
    with pytest.raises(ConfigError, match="unknown"):
        read_track(tmp_path / "empty.csv", averaging="2-min")
    path = _write_track(tmp_path / "ok.csv", GOOD)
    out = write_cyclone(path, tmp_path / "wind.tif", bounds=(128, 14, 131, 17), resolution=0.1)
    before = out.read_bytes()
    with pytest.raises(OutputExistsError, match="overwrite"):
        write_cyclone(path, out, bounds=(128, 14, 131, 17), resolution=0.05)
    assert out.read_bytes() == before
    write_cyclone(path, out, bounds=(128, 14, 131, 17), resolution=0.05, overwrite=True)
    with rasterio.open(out) as dataset:
        assert dataset.width == 60 and dataset.read(1).max() > 30
    assert issubclass(DataError, MeccError) and set(AVERAGING_TO_1MIN) == {"1-min", "10-min"}


def test_iso_times_and_ten_minute_winds(tmp_path):
    rows = [("2020-01-01T00:00Z", 15, 130, 93, ""), ("2020-01-01T06:00Z", 15.5, 129, 93, "")]
    track = read_track(_write_track(tmp_path / "iso.csv", rows), averaging="10-min")
    assert track.hours.tolist() == [0.0, 6.0]
    assert track.vmax_kt.tolist() == pytest.approx([100.0, 100.0])
    assert track.pressure_estimated.all()
