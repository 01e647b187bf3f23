"""Best-track checks of the cyclone generator (hazards.track_checks): impossible motion
(a sign error), long gaps, columns under other names or units, the IBTrACS grid's
averaging tags and citation, and pressures estimated from the wind near 180°."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import rasterio
from affine import Affine

from hazards.cyclone import read_track, wind_field, write_cyclone
from hazards.ibtracs import estimate_pressure, fit_longitudes
from mecc.errors import DataError, MeccWarning
from mecc.grid import GridSpec

HEADER = "time_utc,lat,lon,vmax_kt,pressure_hpa"


def _track(path, rows, header=HEADER):
    path.write_text(header + "\n" + "".join(",".join(map(str, r)) + "\n" for r in rows))
    return path


def _quiet_read(path, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error", MeccWarning)  # no warning expected
        return read_track(path, **kwargs)


# ------------------------------------------------------- 1. motion and gaps


def test_a_longitude_sign_error_is_refused_with_its_speed(tmp_path, cli):
    rows = [("2020010100", 15, 142, 100, 950), ("2020010106", 15, -141, 100, 950)]
    path = _track(tmp_path / "j.csv", [*rows, ("2020010112", 15, 140, 100, 950)])
    message = r"j\.csv: column lon: row 3: -141 puts the storm 8,220 km from row 2 \(142\)"
    with pytest.raises(DataError, match=message + r".* 6 h earlier, a motion of 381 m/s"):
        read_track(path)
    out = tmp_path / "j.tif"
    args = ("hazard", "cyclone", path, "--out", out, "--bounds", 130, 5, 180, 25)
    result = cli(*args, "--resolution", 0.1)
    assert result.exit_code == 1 and not out.exists()
    assert len(result.stderr.strip().splitlines()) == 1
    assert "column lon: row 3" in result.stderr and "381 m/s" in result.stderr


def test_a_latitude_flip_is_refused_naming_lat(tmp_path):
    rows = [(f"20200101{h:02d}", lat, 142 - h / 6, 100, 950) for h, lat in ((0, 15), (6, -15))]
    path = _track(tmp_path / "flip.csv", [*rows, ("2020010112", 15, 140, 100, 950)])
    with pytest.raises(DataError, match=r"flip\.csv: column lat: row 3: -15 .* 155 m/s"):
        read_track(path)
    out = tmp_path / "flip.tif"
    with pytest.raises(DataError, match="column lat"):
        write_cyclone(path, out, bounds=(130, -20, 150, 20), resolution=0.5)
    assert not out.exists()


def test_fast_but_possible_motion_and_the_antimeridian_pass(tmp_path):
    # 25 m/s northward for 6 h (540 km, 4.86° of latitude): fast extratropical motion
    fast = [("2020010100", 30.0, -60.0, 80, 970), ("2020010106", 34.86, -60.0, 80, 970)]
    assert _quiet_read(_track(tmp_path / "fast.csv", fast)).lat.tolist() == [30.0, 34.86]
    # 60 m/s: refused (limit 50 m/s plus 50 km for the fixes)
    too_fast = [fast[0], ("2020010106", 41.66, -60.0, 80, 970)]
    with pytest.raises(DataError, match=r"column lat: row 3: 41.66 .* 60 m/s"):
        read_track(_track(tmp_path / "too_fast.csv", too_fast))
    # across 180°, in -180..180 and in 0..360
    crossing = [("2020010100", -15.0, 179.0, 90, 960), ("2020010106", -15.0, -179.0, 90, 960)]
    assert _quiet_read(_track(tmp_path / "x.csv", crossing)).lon.tolist() == [179.0, -179.0]
    east = [("2020010100", -15.0, 179.0, 90, 960), ("2020010106", -15.0, 181.0, 90, 960)]
    assert _quiet_read(_track(tmp_path / "e.csv", east)).lon.tolist() == [179.0, -179.0]
    # 10-minute fixes 0.3° apart (33 km, 56 m/s raw): within the fixes' uncertainty
    minutes = [("202001010000", 15.0, 130.0, 90, 960), ("202001010010", 15.0, 130.3, 90, 960)]
    assert len(_quiet_read(_track(tmp_path / "m.csv", minutes))) == 2


def test_a_gap_of_more_than_a_day_is_refused_naming_the_rows(tmp_path):
    rows = [("2020010100", 15, 142, 100, 950), ("2020010106", 15, 141, 100, 950)]
    typo = _track(tmp_path / "typo.csv", [*rows, ("2020013112", 15, 140, 100, 950)])
    message = r"typo\.csv: column time_utc: rows 3-4: 726 h \(30\.2 days\) without a position"
    with pytest.raises(DataError, match=message + r" \(2020010106 to 2020013112\)"):
        read_track(typo)
    thirty = _track(tmp_path / "thirty.csv", [*rows, ("2020010212", 15, 140, 100, 950)])
    with pytest.raises(DataError, match="rows 3-4: 30 h without a position"):
        read_track(thirty)
    day = _quiet_read(_track(tmp_path / "day.csv", [*rows, ("2020010206", 15, 140, 100, 950)]))
    assert day.hours.tolist() == [0.0, 6.0, 30.0]


def test_ibtracs_motion_errors_name_the_files_columns_and_rows(tmp_path):
    lines = [
        "SID,NAME,ISO_TIME,LAT,LON,WMO_WIND,WMO_PRES,WMO_AGENCY",
        " ,,,degrees_north,degrees_east,kts,mb,",
        "2016041S14170,WINSTON,2016-02-19 00:00:00,-17.0,179.5,130,920,nadi",
        "2016041S14170,WINSTON,2016-02-19 06:00:00,-17.3,-1.0,140,915,nadi",
    ]
    (tmp_path / "ib.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"ib\.csv: column LON: row 4: -1\.0 puts the storm"):
        read_track(tmp_path / "ib.csv")


# ------------------------------------------------------------- 2. columns


def test_a_column_under_another_unit_is_refused_with_the_expected_name(tmp_path):
    rows = [("2020010100", 15, 142, 100, 950, 30), ("2020010106", 15, 141, 100, 950, 30)]
    path = _track(tmp_path / "r.csv", rows, HEADER + ",rmax_km")
    expected = "column rmax_km is not read: give it as rmax_nmi, the radius of maximum wind in "
    with pytest.raises(DataError, match=expected + r"nautical miles \(km / 1\.852\)"):
        read_track(path)
    ms = _track(
        tmp_path / "v.csv",
        [r[:3] + (50, 950) for r in rows],
        "time_utc,lat,lon,vmax_ms,pressure_hpa",
    )
    with pytest.raises(DataError, match=r"v\.csv: column vmax_ms is not read: give it as vmax_kt"):
        read_track(ms)
    both = _track(
        tmp_path / "b.csv",
        [r[:4] + (50, 950) for r in rows],
        "time_utc,lat,lon,vmax_kt,vmax_ms,pressure_hpa",
    )
    with pytest.warns(
        MeccWarning, match=r"b\.csv: column\(s\) not read: vmax_ms \(the track's vmax_kt is read\)"
    ):
        track = read_track(both)
    assert track.vmax_kt.tolist() == [100.0, 100.0]


def test_look_alikes_are_named_when_a_required_column_is_missing(tmp_path):
    rows = [("2020010100", 15, 142, 100, 950), ("2020010106", 15, 141, 100, 950)]
    no_intensity = _track(tmp_path / "w.csv", rows, "time_utc,lat,lon,wind,pres")
    with pytest.raises(
        DataError,
        match=r"no intensity column.*column wind is not read: give it as vmax_kt.*column pres is not read: give it as pressure_hpa",
    ):
        read_track(no_intensity)
    no_lon = _track(tmp_path / "l.csv", rows, "time_utc,lat,longitude,vmax_kt,pressure_hpa")
    with pytest.raises(
        DataError,
        match=r"missing column\(s\) lon; .*column longitude is not read: give it as lon, in degrees east",
    ):
        read_track(no_lon)


def test_a_case_only_mismatch_is_read_and_named_as_written(tmp_path):
    rows = [("2020010100", 15, 142, 100, 950), ("2020010106", 15, 141, 100, 950)]
    plain = _quiet_read(_track(tmp_path / "plain.csv", rows))
    upper = [(r[1], r[2], r[0], r[3], r[4]) for r in rows]
    header = "Lat,Lon,TIME_UTC,Vmax_KT,pressure_hpa"
    cased = _quiet_read(_track(tmp_path / "cased.csv", upper, header))
    assert cased[["lat", "lon", "vmax_kt", "pressure_hpa"]].equals(
        plain[["lat", "lon", "vmax_kt", "pressure_hpa"]]
    )
    assert cased.hours.tolist() == [0.0, 6.0]
    bad = _track(tmp_path / "bad.csv", [upper[0], ("x", 141, "2020010106", 100, 950)], header)
    with pytest.raises(DataError, match=r"bad\.csv: column Lat: row 3: 'x' is not a number"):
        read_track(bad)
    twice = _track(tmp_path / "twice.csv", [r + (15,) for r in rows], HEADER + ",LAT")
    with pytest.raises(DataError, match="columns lat and LAT would both be read as lat"):
        read_track(twice)


def test_other_columns_pass_without_a_word(shared_data):
    track = _quiet_read(shared_data / "tracks" / "irma_2017.csv")  # has an "agency" column
    assert len(track) == 117


# ------------------------------------------------------ 3. IBTrACS grid tags

WINSTON = (
    "SID,NAME,ISO_TIME,LAT,LON,WMO_WIND,WMO_PRES,WMO_AGENCY\n"
    "2016041S14170,WINSTON,2016-02-19 00:00:00,-17.0,179.5,130,{p0},nadi\n"
    "2016041S14170,WINSTON,2016-02-19 06:00:00,-17.3,179.0,140,{p1},nadi\n"
)


def _parameters(path):
    with rasterio.open(path) as dataset:
        return json.loads(dataset.tags()["parameters"])


def test_ibtracs_grid_says_the_factor_is_unused_and_cites_ibtracs(tmp_path):
    (tmp_path / "ib.csv").write_text(WINSTON.format(p0=920, p1=915))
    out = write_cyclone(
        tmp_path / "ib.csv", tmp_path / "ib.tif", bounds=(176, -20, 182, -15), resolution=0.05
    )
    parameters = _parameters(out)
    assert parameters["averaging_to_1min_factor"] is None
    assert parameters["averaging_note"].startswith("not applied: with b_parameter holland2008")
    assert "winds (10-min, per its IBTrACS agencies) are unused" in parameters["averaging_note"]
    assert parameters["track_averaging"] == "per point, its IBTrACS agency's: 10-min"
    assert parameters["ibtracs_wind_sources"] == {"nadi 10-min": 2}
    assert parameters["track_source"].startswith("Knapp, Kruk, Levinson, Diamond & Neumann (2010)")
    assert "Bull. Amer. Meteor. Soc. 91:363-376" in parameters["track_source"]
    # winds only: the pressures come from the 10-min winds x 1/0.93, the factor applies
    (tmp_path / "wind.csv").write_text(WINSTON.format(p0="", p1=""))
    with pytest.warns(MeccWarning, match="from 180°"):
        out = write_cyclone(
            tmp_path / "wind.csv", tmp_path / "w.tif", bounds=(176, -20, 182, -15), resolution=0.05
        )
    parameters = _parameters(out)
    assert parameters["averaging_to_1min_factor"] == {"10-min": pytest.approx(1 / 0.93)}
    assert "averaging_note" not in parameters and "Knapp" in parameters["track_source"]


def test_a_plain_track_carries_no_ibtracs_citation(tmp_path):
    rows = [("2020010100", 15, 130, 100, 950), ("2020010106", 15, 129, 100, 950)]
    out = write_cyclone(
        _track(tmp_path / "p.csv", rows),
        tmp_path / "p.tif",
        bounds=(128, 14, 131, 17),
        resolution=0.1,
    )
    parameters = _parameters(out)
    assert "track_source" not in parameters and parameters["averaging_to_1min_factor"] is None


# ------------------------------------------------------- 4. near 180°


def test_fit_longitudes_keep_a_track_on_its_first_points_side():
    np.testing.assert_allclose(fit_longitudes([178.0, -178.0]), [178.0, 182.0])
    np.testing.assert_allclose(fit_longitudes([-178.0, 178.0]), [-178.0, -182.0])
    np.testing.assert_allclose(fit_longitudes([350.0, 10.0]), [-10.0, 10.0])
    np.testing.assert_allclose(fit_longitudes([125.0, 124.0, 123.5]), [125.0, 124.0, 123.5])


def test_a_wind_only_track_crossing_180_has_continuous_pressures(tmp_path):
    lons = (178.0, 179.0, 180.0, 181.0, 182.0)  # 0-360
    rows = [
        (f"202001{1 + h // 24:02d}{h % 24:02d}", -17.0, lon, 100, "")
        for h, lon in zip(range(0, 30, 6), lons, strict=True)
    ]
    with pytest.warns(MeccWarning, match="jumps 12.7 hPa"):
        track = read_track(_track(tmp_path / "x.csv", rows))
    assert track.pressure_estimated.all()
    expected = estimate_pressure(100.0, -17.0, np.array(lons))  # one side: 178 to 182
    np.testing.assert_allclose(track.pressure_hpa, expected)
    assert np.abs(np.diff(track.pressure_hpa)).max() < 0.05  # was a 12.7 hPa step at 180°
    field = wind_field(track, GridSpec("EPSG:4326", Affine(0.05, 0, 176, 0, -0.05, -14), 160, 120))
    west, east = field[:, 79].max(), field[:, 80].max()  # 179.95°E and 179.95°W
    assert east == pytest.approx(west, rel=0.01)


def test_wind_only_tracks_near_180_warn_with_the_size_of_the_jump(tmp_path):
    times = ("2020010100", "2020010106", "2020010112", "2020010118")
    west = [
        (t, -17, lon, 100, "") for t, lon in zip(times, (178.0, 178.5, 179.0, 179.5), strict=True)
    ]
    east = [
        (t, -17, lon, 100, "") for t, lon in zip(times, (180.5, 181.0, 181.5, 182.0), strict=True)
    ]
    grid = {"bounds": (176, -20, 184, -14), "resolution": 0.05}
    with pytest.warns(MeccWarning) as caught:
        write_cyclone(_track(tmp_path / "w1.csv", west), tmp_path / "w1.tif", **grid)
    (message,) = [str(w.message) for w in caught]
    assert message.startswith(f"{tmp_path / 'w1.csv'}: column lon: row 2: 178.0 is 2.0° from 180°")
    assert "945.5 hPa, 958.3 hPa just across 180°" in message
    assert "a deficit of 64.5 vs 51.7 hPa, roughly 10 % in peak wind" in message
    with pytest.warns(
        MeccWarning, match=r"row 2: 180.5 is 0.5° from 180°: .* 958.2 hPa, 945.5 hPa"
    ):
        write_cyclone(_track(tmp_path / "w2.csv", east), tmp_path / "w2.tif", **grid)
    far = [
        (t, 15, lon, 100, "") for t, lon in zip(times, (130.0, 129.5, 129.0, 128.5), strict=True)
    ]
    assert _quiet_read(_track(tmp_path / "far.csv", far)).pressure_estimated.all()
    given = [(t, -17, lon, 100, 950) for t, _, lon, *_ in west]
    assert not _quiet_read(_track(tmp_path / "given.csv", given)).pressure_estimated.any()
