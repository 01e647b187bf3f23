"""Hazard inputs that were read wrongly without a word.

- A wind grid whose file states its averaging period (``mecc hazard cyclone`` writes
  "maximum 1-minute sustained wind at 10 m") was converted again when the run file said
  ``averaging: 10-min`` (x 1/0.93, 2.8 times the people displaced in a probe); the
  contradiction is now refused as a contradicting ``unit:`` is, and a stated period is
  used when the run file gives none.
- A protection table giving a zone twice kept its last value; it is refused.
- IBTrACS track errors named the converted column (``lat``, ``vmax_kt``) and a row one
  less than the file's (IBTrACS has a units row under its header); they name the file's
  column (``LAT``, ``USA_WIND``) and row (header = row 1, as plain track CSVs).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import rasterio
import yaml
from affine import Affine

from hazards.cyclone import read_track
from hazards.readers import _read_protection
from mecc.errors import ConfigError, DataError
from tests._errors import expect_error, one_error_line
from tests._official_formats import IBTRACS_HEADER, IBTRACS_UNITS, ibtracs_rows
from tests._run_inputs import basic_case, write_run
from tests.conftest import write_raster

# ------------------------------------------------------------------ wind averaging

PEOPLE = np.arange(1.0, 17.0).reshape(4, 4) * 100.0
TRANSFORM = Affine(0.1, 0, 124.8, 0, -0.1, 10.2)  # 124.8-125.2 E, 9.8-10.2 N
STEP = 40.0  # m/s (1-minute): everyone at STEP or more is displaced
GENERATED_STEP = 60.0  # the same for the generated grid (56-63 m/s)


def _track(path):
    """A storm crossing the grid westward along 10 N at 930 hPa."""
    pd.DataFrame(
        {
            "time_utc": ["2020010100", "2020010106", "2020010112"],
            "lat": [10.0, 10.0, 10.0],
            "lon": [126.0, 125.0, 124.0],
            "pressure_hpa": [930.0, 930.0, 930.0],
        }
    ).to_csv(path, index=False)
    return path


@pytest.fixture
def generated(tmp_path, cli):
    """pop.tif and wind.tif written by ``mecc hazard cyclone`` on the same grid."""
    write_raster(tmp_path / "pop.tif", PEOPLE, transform=TRANSFORM)
    track = _track(tmp_path / "track.csv")
    result = cli(
        "hazard", "cyclone", track, "--out", tmp_path / "wind.tif", "--like", tmp_path / "pop.tif"
    )
    assert result.exit_code == 0, result.stderr
    with rasterio.open(tmp_path / "wind.tif") as dataset:
        wind = dataset.read(1).astype(np.float64)
    # the grid must straddle the step for the test to tell x1 from x1/0.93
    step = GENERATED_STEP
    assert (wind >= step).any() and ((wind < step) & (wind / 0.93 >= step)).any()
    return tmp_path, wind


def _cyclone_run(folder, name, **extra):
    hazard = {
        "id": "tc",
        "type": "tropical_cyclone",
        "intensity": extra.pop("intensity", "wind.tif"),
        "scenario": "s",
        "curve": {"step": extra.pop("step", STEP)},
        **extra,
    }
    data = {"country": "XMR", "population": {"path": "pop.tif"}, "hazards": [hazard]}
    return write_run(folder, data, f"{name}.yaml")


def _displaced(cli, run_file, out):
    result = cli("run", run_file, "--out", out, "--no-map")
    assert result.exit_code == 0, result.stderr
    summary = yaml.safe_load((out / "summary.json").read_text(encoding="utf-8"))
    manifest = yaml.safe_load((out / "manifest.json").read_text(encoding="utf-8"))
    return summary["hazards"]["tc"]["displaced"], manifest["parameters"]["hazards"]["tc"]


def test_a_generated_one_minute_grid_read_as_10_minutes_is_refused(generated, cli):
    folder, _ = generated
    run = _cyclone_run(folder, "ten", averaging="10-min")
    line = expect_error(cli, run, folder / "out", 2, "ten.yaml", "averaging", "wind.tif")
    assert "1-minute" in line and "10-min" in line
    # the exit code of a run-file unit that contradicts the file (wind.tif says m/s)
    unit = one_error_line(
        cli("run", _cyclone_run(folder, "kt", unit="kt"), "--out", folder / "o"), 2
    )
    assert "unit" in unit and "wind.tif" in unit


@pytest.mark.parametrize("averaging", [None, "1-min"])
def test_a_generated_one_minute_grid_is_used_as_given(generated, cli, averaging):
    folder, wind = generated
    extra = {"step": GENERATED_STEP} | ({} if averaging is None else {"averaging": averaging})
    displaced, _ = _displaced(cli, _cyclone_run(folder, "one", **extra), folder / "out")
    assert displaced == pytest.approx(float(PEOPLE[wind >= GENERATED_STEP].sum()), rel=1e-12)
    assert displaced < float(PEOPLE[wind / 0.93 >= GENERATED_STEP].sum())  # not converted


def _stated_grid(folder, name, values, **tags):
    path = write_raster(folder / name, values, transform=TRANSFORM)
    with rasterio.open(path, "r+") as dataset:
        description = tags.pop("description", None)
        if description:
            dataset.set_band_description(1, description)
        dataset.update_tags(**tags)
    return path


@pytest.mark.parametrize("averaging", [None, "10-min"])
def test_a_grid_stating_10_minutes_is_converted_without_averaging(tmp_path, cli, averaging):
    write_raster(tmp_path / "pop.tif", PEOPLE, transform=TRANSFORM)
    wind = np.array([[30.0, 37.0, 38.0, 39.0]] * 4)  # 10-minute means; / 0.93: 32.3-41.9
    _stated_grid(tmp_path, "w10.tif", wind, measure="maximum 10-minute mean wind at 10 m")
    extra = {} if averaging is None else {"averaging": averaging}
    run = _cyclone_run(tmp_path, "w10", intensity="w10.tif", **extra)
    displaced, parameters = _displaced(cli, run, tmp_path / "out")
    assert displaced == pytest.approx(float(PEOPLE[wind / 0.93 >= STEP].sum()), rel=1e-12)
    assert displaced == pytest.approx(float(PEOPLE[:, 2:].sum()), rel=1e-12)  # by hand
    assert "0.93" in parameters["conversion"]
    if averaging is None:  # the manifest says where the period came from
        assert "w10.tif" in parameters["conversion"] and "10-minute" in parameters["conversion"]
    expect_error(
        cli,
        _cyclone_run(tmp_path, "bad", intensity="w10.tif", averaging="1-min"),
        tmp_path / "bad_out",
        2,
        "bad.yaml",
        "averaging",
        "w10.tif",
    )


def test_a_gust_grid_stated_in_its_band_description_takes_the_gust_factor(tmp_path, cli):
    write_raster(tmp_path / "pop.tif", PEOPLE, transform=TRANSFORM)
    gust = np.array([[50.0, 59.0, 60.0, 70.0]] * 4)  # / 1.49 (inland): 33.6, 39.6, 40.3, 47.0
    _stated_grid(tmp_path, "gust.tif", gust, description="3-second gust at 10 m")
    run = _cyclone_run(tmp_path, "g", intensity="gust.tif", gust_factor="inland")
    displaced, _ = _displaced(cli, run, tmp_path / "out")
    assert displaced == pytest.approx(float(PEOPLE[:, 2:].sum()), rel=1e-12)
    expect_error(
        cli,
        _cyclone_run(tmp_path, "g10", intensity="gust.tif", averaging="10-min"),
        tmp_path / "g10_out",
        2,
        "g10.yaml",
        "averaging",
        "gust.tif",
    )


def test_a_netcdf_variable_stating_its_averaging_is_honoured(tmp_path, cli):
    import xarray as xr

    write_raster(tmp_path / "pop.tif", PEOPLE, transform=TRANSFORM)
    wind = np.array([[30.0, 37.0, 38.0, 39.0]] * 4)  # as above: / 0.93 in columns 2-3 >= 40
    lat = 10.2 - 0.1 * (np.arange(4) + 0.5)
    lon = 124.8 + 0.1 * (np.arange(4) + 0.5)
    attrs = {"units": "m s-1", "long_name": "10-minute mean wind speed at 10 m"}
    xr.Dataset({"wind": (("lat", "lon"), wind, attrs)}, coords={"lat": lat, "lon": lon}).to_netcdf(
        tmp_path / "wind.nc"
    )
    displaced, _ = _displaced(
        cli, _cyclone_run(tmp_path, "nc", intensity="wind.nc"), tmp_path / "o"
    )
    assert displaced == pytest.approx(float(PEOPLE[:, 2:].sum()), rel=1e-12)
    run = _cyclone_run(tmp_path, "nc1", intensity="wind.nc", averaging="1-min")
    expect_error(cli, run, tmp_path / "o1", 2, "nc1.yaml", "averaging", "wind.nc", "10-minute")


def test_return_period_grids_stating_different_averaging_are_refused(tmp_path, cli):
    write_raster(tmp_path / "pop.tif", PEOPLE, transform=TRANSFORM)
    wind = np.full((4, 4), 45.0)
    _stated_grid(tmp_path, "rp10.tif", wind, measure="1-minute sustained wind")
    _stated_grid(tmp_path, "rp100.tif", wind * 1.2, measure="10-minute mean wind")
    data = {
        "country": "XMR",
        "population": {"path": "pop.tif"},
        "hazards": [
            {
                "id": "tc",
                "type": "tropical_cyclone",
                "return_periods": {10: "rp10.tif", 100: "rp100.tif"},
                "curve": {"step": STEP},
            }
        ],
    }
    run = write_run(tmp_path, data, "mixed.yaml")
    expect_error(cli, run, tmp_path / "o", 2, "mixed.yaml", "different wind averaging", "rp100.tif")


# ------------------------------------------------------------------ protection tables


def test_a_protection_table_giving_a_zone_twice_is_refused(tmp_path, cli):
    folder = tmp_path / "case"
    run = basic_case(folder)
    pd.DataFrame({"zone_code": ["A", "B", "A"], "protection_rp": [50, 5, 2]}).to_csv(
        folder / "prot.csv", index=False
    )
    run["hazards"][0]["protection_rp"] = "prot.csv"
    line = expect_error(
        cli, write_run(folder, run), tmp_path / "out", 1, "run.yaml", "protection_rp", "prot.csv"
    )
    assert "'A'" in line and "twice" in line


def test_a_protection_table_row_without_a_zone_code_is_refused(tmp_path, cli):
    folder = tmp_path / "case"
    run = basic_case(folder)
    (folder / "prot.csv").write_text("zone_code,protection_rp\nA,50\n,5\n", encoding="utf-8")
    run["hazards"][0]["protection_rp"] = "prot.csv"
    line = expect_error(cli, write_run(folder, run), tmp_path / "out", 1, "prot.csv")
    assert "data row 2 has no zone code" in line


def test_a_protection_mapping_giving_a_zone_twice_is_refused(tmp_path, cli):
    with pytest.raises(ConfigError, match=r"zone code .7. appears twice"):
        _read_protection({7: 50, "7": 2}, tmp_path, "run.yaml.hazards[0].protection_rp")
    assert _read_protection({7: 50, "8": 2}, tmp_path, "x") == {"7": 50.0, "8": 2.0}
    folder = tmp_path / "case"  # the same code written twice: the YAML reader refuses it
    run = basic_case(folder)
    text = yaml.safe_dump(run, sort_keys=False).replace(
        "return_periods:", "protection_rp: {A: 50, A: 2}\n  return_periods:"
    )
    expect_error(cli, write_run(folder, text), tmp_path / "out", 2, "'A' appears twice")


# ---------------------------------------------------------------- IBTrACS messages


def _points(n=4, wind=100.0):
    return pd.DataFrame(
        {
            "time_utc": [f"20200101{6 * k:02d}" for k in range(n)],
            "lat": [10.0 + 0.5 * k for k in range(n)],
            "lon": [128.0 - k for k in range(n)],
            "vmax_kt": [wind] * n,
            "pressure_hpa": [950.0] * n,
        }
    )


def _ibtracs(path, *storms, change=None):
    """An IBTrACS file; ``change = (file line, column, text)`` rewrites one cell."""
    lines = [IBTRACS_HEADER, IBTRACS_UNITS]
    for storm in storms:
        lines += ibtracs_rows(*storm)
    if change is not None:
        line, column, text = change
        cells = lines[line - 1].split(",")
        cells[IBTRACS_HEADER.split(",").index(column)] = text
        lines[line - 1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _message(path, **options) -> str:
    with pytest.raises(DataError) as error:
        read_track(path, **options)
    return str(error.value)


def test_ibtracs_errors_name_the_files_column_and_row(tmp_path):
    storm = (_points(), "A1", "ONE", "usa")  # lines 3-6 under the header and units rows
    path = _ibtracs(tmp_path / "lat.csv", storm, change=(5, "LAT", "102"))
    assert _message(path) == f"{path}: column LAT: values outside -90 to 90 (row 5: 102)"
    path = _ibtracs(tmp_path / "wind.csv", storm, change=(4, "USA_WIND", "999"))
    assert _message(path).startswith(f"{path}: column USA_WIND: row 4: 999 kt is above 200 kt")
    path = _ibtracs(tmp_path / "time.csv", storm, change=(6, "ISO_TIME", "2020-13-45 00:00:00"))
    assert _message(path).startswith(f"{path}: column ISO_TIME: row 6: '2020-13-45 00:00:00'")
    path = _ibtracs(tmp_path / "text.csv", storm, change=(3, "LON", "east"))
    assert _message(path) == f"{path}: column LON: row 3: 'east' is not a number"


def test_ibtracs_errors_name_the_agencys_column_and_its_own_wind(tmp_path):
    storm = (_points(wind=250.0), "T1", "TOKYO", "tokyo")  # 10-minute winds of WMO (tokyo)
    message = _message(_ibtracs(tmp_path / "t.csv", storm))
    one_minute = round(250.0 / 0.93)  # 269 kt
    assert f"column WMO_WIND: row 3: 250 kt ({one_minute} kt as 1-min wind)" in message


def test_ibtracs_rows_of_the_second_storm_keep_their_file_rows(tmp_path):
    first, second = (_points(3), "A1", "ONE", "usa"), (_points(4), "B2", "TWO", "usa")
    # header, units, 3 rows of ONE (lines 3-5), TWO on lines 6-9
    path = _ibtracs(tmp_path / "two.csv", first, second, change=(8, "USA_PRES", "700"))
    assert _message(path, storm="TWO") == (
        f"{path}: column USA_PRES: values outside 800-1100 hPa (row 8: 700)"
    )
    read_track(path, storm="ONE")  # the other storm reads


def test_plain_track_errors_number_rows_the_same_way(tmp_path):
    path = tmp_path / "plain.csv"
    track = _points()
    track.loc[2, "lat"] = 102.0  # the file's row 4 (header = row 1)
    track.to_csv(path, index=False)
    assert _message(path) == f"{path}: column lat: values outside -90 to 90 (row 4: 102)"
