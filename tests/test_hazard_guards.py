"""Hazard inputs that gave wrong numbers without a word: cyclone wind cut at the
antimeridian on a global grid, a run file's unit contradicting a CLIMADA file's or a
GeoTIFF's own, implausible event frequencies (overflow, return periods typed as
frequencies), implausible track winds and radii, and the generators' messages."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine

from hazards.climada import read_climada_events
from hazards.cyclone import read_track, wind_field, write_cyclone
from hazards.earthquake import write_earthquake
from hazards.readers import read_events, read_hazard
from hazards.scenarios import target_grid
from mecc.errors import ConfigError, DataError, MeccWarning
from mecc.grid import GridSpec
from mecc.run import run_country
from tests._official_formats import write_climada
from tests._run_inputs import DEPTH, POP, TRANSFORM, basic_case, write_run
from tests.conftest import write_raster

R_E, OMEGA, RHO = 6371008.8, 7.2921e-5, 1.15


# ------------------------------------------------------------ the antimeridian


def _south_pacific_track(path):
    """175°E to 170°W in 48 h (IBTrACS writes -180..180), 950 hPa, rmax 20 nmi."""
    rows = ["time_utc,lat,lon,vmax_kt,pressure_hpa,env_pressure_hpa,rmax_nmi"]
    for h in range(0, 49, 6):
        lon = 175 + 15 * h / 48
        lon = lon - 360 if lon > 180 else lon
        rows.append(
            f"2020020{1 + h // 24}{h % 24:02d},{-15 - 5 * h / 48:.3f},{lon:.3f},100,950,1008,20"
        )
    path.write_text("\n".join(rows) + "\n")
    return path


def _independent_field(track_csv, lon, lat, cutoff=500e3):
    """The documented model written again from the track (Holland 1980 gradient wind with
    Coriolis, Holland 2008 b_s, surface factor 0.9, motion weighted min(1, R/r)), hourly,
    with east/north offsets from wrapped longitude differences; every node, every cell."""
    t = pd.read_csv(track_csv)
    times = pd.to_datetime(t.time_utc.astype(str), format="%Y%m%d%H")
    h = ((times - times.iloc[0]).dt.total_seconds() / 3600).to_numpy()
    hh = np.union1d(np.arange(0, h[-1], 1.0), h)
    nlat = np.interp(hh, h, t.lat)
    nlon = np.interp(hh, h, np.degrees(np.unwrap(np.radians(t.lon.to_numpy(float)))))
    pc = np.interp(hh, h, t.pressure_hpa)
    dp = np.interp(hh, h, t.env_pressure_hpa) - pc
    rmax = np.interp(hh, h, t.rmax_nmi) * 1852.0
    la, lo = np.radians(nlat), np.radians(nlon)
    de = np.concatenate([[0], np.cumsum(R_E * np.diff(lo) * np.cos((la[1:] + la[:-1]) / 2))])
    dn = np.concatenate([[0], np.cumsum(R_E * np.diff(la))])
    ve, vn = np.gradient(de, hh * 3600), np.gradient(dn, hh * 3600)
    cap = np.minimum(1, 30 * 1852 / 3600 / np.maximum(np.hypot(ve, vn), 1e-12))
    ve, vn = ve * cap, vn * cap
    dpdt = np.gradient(pc, hh)
    out = np.zeros(np.shape(lon))
    for k in range(hh.size):
        dlon = (lon - nlon[k] + 180) % 360 - 180
        east = R_E * np.radians(dlon) * np.cos(np.radians((lat + nlat[k]) / 2))
        north = R_E * np.radians(lat - nlat[k])
        r = np.maximum(np.hypot(east, north), 1.0)
        vt = math.hypot(ve[k], vn[k])
        x = 0.6 * (1 - min(dp[k], 215) / 215)
        bs = -4.4e-5 * dp[k] ** 2 + 0.01 * dp[k] + 0.03 * dpdt[k] - 0.014 * abs(nlat[k])
        bs += 0.15 * vt**x + 1
        vg = math.sqrt(bs * dp[k] * 100 / (RHO * math.e)) / 0.9
        f = 2 * OMEGA * math.sin(math.radians(abs(nlat[k])))
        b = min(max(RHO * math.e * (vg**2 + vg * rmax[k] * f) / (dp[k] * 100), 1), 2.5)
        xx = (rmax[k] / r) ** b
        v = np.sqrt(b / RHO * dp[k] * 100 * xx * np.exp(-xx) + (r * f / 2) ** 2) - r * f / 2
        w = np.minimum(1, rmax[k] / r)
        vs = np.maximum(0.9 * v - vt * w, 0)
        spin = (1 if nlat[k] >= 0 else -1) * vs / r
        speed = np.hypot(-spin * north + w * ve[k], spin * east + w * vn[k])
        speed[r > cutoff] = 0
        out = np.maximum(out, speed)
    return out


def test_a_grid_of_every_longitude_gets_the_wind_across_the_antimeridian(tmp_path):
    """-180..180 (as a Fiji WorldPop grid): cells just east of 180 get the wind of the
    positions just west of it (41.53 m/s instead of 51.70 at 179.95°W, 16.25°S before)."""
    track_csv = _south_pacific_track(tmp_path / "track.csv")
    track = read_track(track_csv)
    step = 0.1
    full = wind_field(track, GridSpec("EPSG:4326", Affine(step, 0, -180, 0, -step, -5), 3600, 250))
    lat = -5 - (np.arange(250) + 0.5) * step
    for lon0, cols in ((-180.0, slice(0, 150)), (170.0, slice(3500, 3600))):  # 180-165°W, 170-180°E
        lon = lon0 + (np.arange(150 if lon0 < 0 else 100) + 0.5) * step
        expected = _independent_field(track_csv, *np.meshgrid(lon, lat))
        np.testing.assert_allclose(full[:, cols], expected, atol=1e-6)
    assert full[112, 0] == pytest.approx(51.70, abs=0.01)  # 179.95°W, 16.25°S
    # the same cells on a 0..360 grid, and on a regional grid across the antimeridian
    shifted = wind_field(track, GridSpec("EPSG:4326", Affine(step, 0, 0, 0, -step, -5), 3600, 250))
    np.testing.assert_allclose(shifted[:, 1800:], full[:, :1800], rtol=0, atol=1e-9)
    regional = wind_field(
        track, GridSpec("EPSG:4326", Affine(step, 0, 170, 0, -step, -5), 250, 250)
    )
    np.testing.assert_allclose(regional, full[:, np.r_[3500:3600, 0:150]], rtol=0, atol=1e-9)


# ------------------------------------------------------------------ the units


def _tc_case(inputs, units="m/s"):
    """basic_case's grid with a CLIMADA TC file (2 events) and a linear curve 0-100 m/s."""
    data = basic_case(inputs)
    wind = np.stack([np.tile([20.0, 30.0, 40.0, 50.0], (4, 1)), np.full((4, 4), 35.0)])
    write_climada(inputs / "tc.hdf5", wind, TRANSFORM, [0.1, 0.01], units=units)
    (inputs / "lin.csv").write_text("intensity,share\n0,0\n100,1\n")
    hazard = {"id": "tc", "type": "tropical_cyclone", "events": "tc.hdf5", "curve": "lin.csv"}
    aad = float((POP * wind / 100).sum(axis=(1, 2)) @ [0.1, 0.01])  # the file's m/s
    return data, hazard, aad


def _aad(run_dir):
    zones = pd.read_csv(run_dir / "zones.csv", encoding="utf-8-sig")
    return float(zones.loc[zones.zone_code != "__outside__", "aad"].sum())


def test_a_run_file_unit_contradicting_a_climada_file_is_refused(tmp_path):
    inputs = tmp_path / "inputs"
    data, hazard, aad = _tc_case(inputs)
    for unit in ("kt", "km/h"):  # was read as kt: AAD x 0.514 with no word
        run = write_run(inputs, {**data, "hazards": [{**hazard, "unit": unit}]})
        with pytest.raises(ConfigError, match=rf"says unit: {unit} but .*tc.hdf5.* 'm/s'.*wrong"):
            run_country(run, tmp_path / unit.replace("/", ""))
        assert not (tmp_path / unit.replace("/", "")).exists()
    for name, extra in (("stated", {"unit": "m/s"}), ("silent", {})):
        run_country(write_run(inputs, {**data, "hazards": [{**hazard, **extra}]}), tmp_path / name)
        assert _aad(tmp_path / name) == pytest.approx(aad, rel=1e-9)


def test_a_climada_file_in_udunits_spelling_is_read_as_its_unit(tmp_path):
    inputs = tmp_path / "inputs"
    data, hazard, aad = _tc_case(inputs, units="m s-1")
    run_country(write_run(inputs, {**data, "hazards": [hazard]}), tmp_path / "run")
    assert _aad(tmp_path / "run") == pytest.approx(aad, rel=1e-9)


def _tagged(path, values, tag=None, band_unit=None):
    write_raster(path, values)
    with rasterio.open(path, "r+") as dataset:
        if tag:
            dataset.update_tags(unit=tag)
        if band_unit:
            dataset.set_band_unit(1, band_unit)
    return path


def test_a_geotiff_unit_tag_follows_the_netcdf_rule(tmp_path):
    """The unit tag mecc's generators write (and GDAL's band unit) are statements: a run
    file contradicting them is refused, a unit of the measure is honoured, free text is not
    a statement."""
    _tagged(tmp_path / "wind.tif", np.full((4, 4), 40.0), tag="m/s")
    _tagged(tmp_path / "cm.tif", DEPTH * 100, band_unit="cm")
    _tagged(tmp_path / "free.tif", DEPTH, band_unit="metres above the river bed")
    tc = {"id": "tc", "type": "tropical_cyclone", "intensity": "wind.tif", "scenario": "x"}
    tc["curve"] = "sshws_inasafe"
    with pytest.raises(ConfigError, match=r"says unit: kt but .*wind.tif.* 'm/s'.*wrong"):
        read_hazard({**tc, "unit": "kt"}, tmp_path, "hazards[0]")
    assert read_hazard(tc, tmp_path, "hazards[0]").unit_factor == 1.0
    assert read_hazard({**tc, "unit": "m/s"}, tmp_path, "hazards[0]").unit_factor == 1.0
    flood = {"id": "f", "type": "river_flood", "intensity": "cm.tif", "scenario": "x"}
    flood["curve"] = "flood_step_1m"
    assert read_hazard(flood, tmp_path, "hazards[0]").unit_factor == 0.01  # 1 cm = 0.01 m
    with pytest.raises(ConfigError, match=r"says unit: m but .*cm.tif.* 'cm'"):
        read_hazard({**flood, "unit": "m"}, tmp_path, "hazards[0]")
    free = read_hazard({**flood, "intensity": "free.tif"}, tmp_path, "hazards[0]")
    assert free.unit_factor == 1.0


def test_a_generated_wind_grid_read_with_unit_kt_is_refused(tmp_path):
    track = tmp_path / "t.csv"
    track.write_text(
        "time_utc,lat,lon,pressure_hpa\n2020010100,15,130,950\n2020010106,15,129,950\n"
    )
    write_cyclone(track, tmp_path / "wind.tif", bounds=(128, 14, 131, 16), resolution=0.1)
    spec = {"id": "tc", "type": "tropical_cyclone", "intensity": "wind.tif", "scenario": "x"}
    spec |= {"curve": "sshws_inasafe", "unit": "kt"}
    with pytest.raises(ConfigError, match="says unit: kt but .*wind.tif"):
        read_hazard(spec, tmp_path, "hazards[0]")


# ---------------------------------------------------------- event frequencies


def _events(tmp_path, frequencies):
    path = tmp_path / "events.csv"
    path.write_text(
        "band,frequency\n" + "".join(f"{k},{f}\n" for k, f in enumerate(frequencies, 1))
    )
    return read_events(path, len(frequencies), "events.csv")


@pytest.mark.parametrize(
    ("frequencies", "message"),
    [
        (["1e308"] * 3, r"line 2 is 1e\+308 events a year, more than 365.*return periods"),
        (["2", "10", "100"], r"every frequency is 1 or more .*\(2, 10, 100\).*return periods"),
        (["0.5", "400", "0.01"], r"line 3 is 400 events a year, more than 365"),
        (["1", "2"], "look like return periods"),
    ],
)
def test_implausible_frequencies_are_refused(tmp_path, frequencies, message):
    with pytest.raises(DataError, match=message):
        _events(tmp_path, frequencies)


def test_plausible_frequencies_are_read(tmp_path):
    assert _events(tmp_path, ["1", "0.5"]).frequency.tolist() == [1, 0.5]  # not all 1 or more
    assert _events(tmp_path, ["365", "0.5"]).frequency.tolist() == [365, 0.5]
    assert _events(tmp_path, ["0.1", "0.01"]).frequency.tolist() == [0.1, 0.01]


def test_return_periods_as_frequencies_in_a_run_are_refused(tmp_path):
    """Was AAD 150 x the population on the grid, exit 0; now one line naming the table."""
    inputs = tmp_path / "inputs"
    data = basic_case(inputs)
    (inputs / "events.csv").write_text("band,frequency\n1,10\n2,100\n")
    hazard = {"id": "ev", "type": "river_flood", "intensity": "ev.tif", "events": "events.csv"}
    run = write_run(inputs, {**data, "hazards": [{**hazard, "curve": "flood_step_1m"}]})
    with pytest.raises(DataError, match=r"events.csv.*look like return periods"):
        run_country(run, tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_climada_frequencies_get_the_same_checks(tmp_path):
    stack = np.stack([DEPTH, DEPTH])
    path = write_climada(tmp_path / "rp.hdf5", stack, TRANSFORM, [10.0, 100.0])
    with pytest.raises(DataError, match="look like return periods"):
        read_climada_events(path, "haz")
    path = write_climada(tmp_path / "big.hdf5", stack, TRANSFORM, [0.1, 1e308])
    with pytest.raises(DataError, match="frequency of event 2 is 1e\\+308 events a year"):
        read_climada_events(path, "haz")


# --------------------------------------------------------- track plausibility


def _track(tmp_path, header, values, name="t.csv"):
    rows = [
        f"2020010{1 + h // 24}{h % 24:02d},15,{130 - 0.25 * h},{values}" for h in range(0, 25, 6)
    ]
    path = tmp_path / name
    path.write_text(f"time_utc,lat,lon,{header}\n" + "\n".join(rows) + "\n")
    return path


@pytest.mark.parametrize(
    ("header", "values", "averaging", "message"),
    [
        ("vmax_kt", "1000", "1-min", r"vmax_kt: row 2: 1000 kt is above 200 kt.*km/h"),
        ("vmax_kt", "300", "1-min", r"vmax_kt: row 2: 300 kt is above 200 kt"),
        ("vmax_kt", "190", "10-min", r"190 kt \(204 kt as 1-min wind\) is above 200 kt"),
        ("pressure_hpa,rmax_nmi", "950,5000", "1-min", r"rmax_nmi: row 2: 5000 nmi is above 500"),
    ],
)
def test_implausible_tracks_are_refused(tmp_path, header, values, averaging, message):
    path = _track(tmp_path, header, values)
    with pytest.raises(DataError, match=message):
        read_track(path, averaging=averaging)
    with pytest.raises(DataError, match=message):
        write_cyclone(
            path,
            tmp_path / "w.tif",
            bounds=(120, 8, 135, 22),
            resolution=0.5,
            track_averaging=averaging,
        )
    assert not (tmp_path / "w.tif").exists()


def test_the_strongest_observed_winds_are_read(tmp_path):
    track = read_track(_track(tmp_path, "vmax_kt,rmax_nmi", "185,500"))
    expected = 1026.3401 - 0.05504 * 15 - 0.03536 * 130 - 0.7357 * 185  # CLIMADA's fit
    assert track.pressure_hpa.iloc[0] == pytest.approx(expected)
    assert track.rmax_nmi.iloc[0] == 500


def test_estimated_pressures_get_the_given_pressures_range(tmp_path, monkeypatch):
    import hazards.cyclone

    monkeypatch.setattr(hazards.cyclone, "estimate_pressure", lambda v, lat, lon: 1026.34 - v)
    path = _track(tmp_path, "vmax_kt", "199")  # 827 hPa: accepted
    assert read_track(path).pressure_hpa.iloc[0] == pytest.approx(827.34)
    monkeypatch.setattr(hazards.cyclone, "estimate_pressure", lambda v, lat, lon: 1000 - 2 * v)
    with pytest.raises(
        DataError,
        match=r"row 2: a 1-min wind of 199 kt gives an estimated "
        r"central pressure of 602 hPa, outside 800-1100 hPa",
    ):
        read_track(path)


def test_a_track_that_never_reaches_the_grid_is_warned_about(tmp_path, cli):
    path = tmp_path / "sign.csv"  # 130°W for 130°E
    path.write_text(
        "time_utc,lat,lon,pressure_hpa\n2020010100,15,-130,950\n2020010106,15,-128.5,950\n"
    )
    with pytest.warns(MeccWarning, match="no wind reaches the grid.*500 km.*longitudes"):
        write_cyclone(path, tmp_path / "a.tif", bounds=(118, 11, 128, 19), resolution=0.5)
    result = cli(
        "hazard",
        "cyclone",
        path,
        "--out",
        tmp_path / "b.tif",
        "--bounds",
        "118",
        "11",
        "128",
        "19",
        "--resolution",
        "0.5",
    )
    assert result.exit_code == 0, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("warning: ") and "no wind" in lines[0]
    with warnings.catch_warnings():  # a track over the grid: no warning
        warnings.simplefilter("error", MeccWarning)
        write_cyclone(path, tmp_path / "c.tif", bounds=(-135, 11, -125, 19), resolution=0.5)


# ------------------------------------------------------------- the generators


@pytest.mark.parametrize(
    ("bounds", "message"),
    [
        ((118, 11, 128, 95), r"latitudes must be within -90 to 90 .*TOP 95"),
        ((118, -91, 128, 19), r"latitudes must be within -90 to 90 .*BOTTOM -91"),
        ((-180, 0, 181, 10), "spans 361 degrees of longitude"),
    ],
)
def test_geographic_bounds_beyond_the_globe_are_refused(bounds, message):
    with pytest.raises(ConfigError, match=message):
        target_grid(bounds=bounds, resolution=0.5)


def test_geographic_and_projected_bounds_within_range_are_accepted():
    assert target_grid(bounds=(-180, -90, 180, 90), resolution=1.0).shape == (180, 360)
    utm = target_grid(bounds=(0, 0, 1000, 2000), resolution=100, crs="EPSG:32651")
    assert utm.shape == (20, 10)  # metres: no latitude limit


def test_the_bounds_error_from_the_command_line(cli, tmp_path):
    track = _track(tmp_path, "pressure_hpa", "950")
    result = cli(
        "hazard",
        "cyclone",
        track,
        "--out",
        tmp_path / "o.tif",
        "--bounds",
        "118",
        "11",
        "128",
        "95",
        "--resolution",
        "0.5",
    )
    assert result.exit_code == 2 and "latitudes must be within -90 to 90" in result.stderr
    assert not (tmp_path / "o.tif").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--channel-height", "2"], "--channel-height needs --hand (a HAND grid) or --river"),
        ([], "give exactly one of --water-level or --channel-height"),
        (["--water-level", "2", "--channel-height", "1"], "exactly one of --water-level or"),
    ],
)
def test_flood_command_errors_name_its_options(cli, tmp_path, args, message):
    dem = write_raster(tmp_path / "dem.tif", np.arange(16, dtype=float).reshape(4, 4))
    result = cli("hazard", "flood", dem, "--out", tmp_path / "o.tif", *args)
    assert result.exit_code == 2
    assert message in result.stderr and "_path" not in result.stderr, result.stderr
    assert "channel_height" not in result.stderr and "water_level" not in result.stderr
    assert not (tmp_path / "o.tif").exists()


@pytest.mark.parametrize("dip", [0.0, -5.0, 95.0])
def test_earthquake_dip_messages_state_the_accepted_range(tmp_path, dip):
    with pytest.raises(ConfigError, match=rf"dip must be within \(0, 90\], got {dip:g}$"):
        write_earthquake(
            tmp_path / "eq.tif",
            magnitude=6,
            lat=12,
            lon=122,
            depth_km=10,
            strike=10,
            dip=dip,
            bounds=(120, 10, 124, 14),
            resolution=0.5,
        )
    assert not (tmp_path / "eq.tif").exists()


def test_earthquake_dips_in_the_range_are_accepted(tmp_path):
    for dip in (0.5, 90.0):
        out = write_earthquake(
            tmp_path / f"eq{dip}.tif",
            magnitude=6,
            lat=12,
            lon=122,
            depth_km=10,
            strike=10,
            dip=dip,
            bounds=(120, 10, 124, 14),
            resolution=0.5,
        )
        assert out.exists()


@pytest.mark.parametrize("swapped", [True, False])
def test_return_period_maps_in_the_wrong_order_are_warned(tmp_path, swapped):
    """The 10-year map reaches columns 2-3 (760 people of the 4 x 4 grid) and the 100-year
    map columns 1-3 (1,080): given to each other's return periods, the rarer map would
    expose fewer people, and the AAD would be computed on them without a word."""
    data = basic_case(tmp_path)
    write_raster(tmp_path / "rp10.tif", np.where(DEPTH >= 1.0, DEPTH, 0.0))
    if swapped:
        data["hazards"][0]["return_periods"] = {10: "rp100.tif", 100: "rp10.tif"}
    result = run_country(write_run(tmp_path, data), tmp_path / "out", with_map=False)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    said = [w for w in manifest["warnings"] if "map exposes" in w]
    assert POP[:, 2:].sum() == 760 and POP[:, 1:].sum() == 1080
    if swapped:
        expected = (
            "hazards.rf: the 100-year map exposes 760 people, fewer than the 10-year map "
            "(1,080); rarer events should reach"
        )
        assert len(said) == 1 and said[0].startswith(expected)
    else:
        assert said == []
    assert result.summary["hazards"]["rf"]["aad"] > 0
