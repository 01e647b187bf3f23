"""A grid stating a unit of another measure (PGA in g for an earthquake) is refused, and
MMI values outside the scale (13, -1, 0; PGA in %g read as MMI) are refused by ``mecc
validate`` and ``mecc run`` alike, nothing written (hazards/catalogue.py, hazards/stated.py,
mecc/checks.py).

Grids are small synthetic GeoTIFFs and NetCDFs (0.05 degree cells, EPSG:4326); every
expected number is computed here from the arrays written.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import rasterio
import xarray as xr
import yaml
from affine import Affine

from hazards.catalogue import HAZARD_TYPES, get_hazard_type
from hazards.readers import read_hazard
from mecc.errors import ConfigError, DataError
from tests.conftest import write_raster

TRANSFORM = Affine(0.05, 0, 82.5, 0, -0.05, 30.5)
ROWS, COLS = 16, 20
POP = np.random.default_rng(1).integers(0, 5000, (ROWS, COLS)).astype(np.float64)
PGA_G = np.random.default_rng(0).uniform(0.01, 0.8, (ROWS, COLS))
GMICE = "convert PGA to MMI first, e.g. with a GMICE such as Worden et al. (2012)"


def _grid(path, values, band_unit=None, tag=None, nodata=None):
    write_raster(path, values, transform=TRANSFORM, dtype="float32", nodata=nodata)
    with rasterio.open(path, "r+") as dataset:
        if band_unit:
            dataset.set_band_unit(1, band_unit)
        if tag:
            dataset.update_tags(unit=tag)
    return path


def _case(folder, name, values, hazard_type="earthquake", **kwargs):
    """A run file over POP with one scenario hazard from ``values`` written to ``name``."""
    folder.mkdir(parents=True, exist_ok=True)
    write_raster(folder / "pop.tif", POP, transform=TRANSFORM)
    _grid(folder / name, values, **{k: v for k, v in kwargs.items() if k != "entry"})
    curve = {"earthquake": "eq_mmi6_survivors", "river_flood": "flood_step_1m"}[hazard_type]
    entry = {"id": "g", "type": hazard_type, "intensity": name, "scenario": "G", "curve": curve}
    config = {
        "country": "NPL",
        "population": {"path": "pop.tif", "kind": "count", "year": 2015},
        "hazards": [{**entry, **kwargs.get("entry", {})}],
    }
    path = folder / "t.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def _refused(cli, run_file, out, *parts):
    """Both commands refuse with exit code 1 and the same one line; nothing is written."""
    lines = []
    for args in (("validate", run_file), ("run", run_file, "--out", out, "--no-map")):
        result = cli(*args)
        assert result.exit_code == 1, result.output
        errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
        assert len(errors) == 1, result.stderr
        for part in parts:
            assert part in errors[0], errors[0]
        lines.append(errors[0])
    assert not out.exists()
    assert lines[0] == lines[1]
    return lines[0]


# ------------------------------------------------------- a stated unit of another measure


@pytest.mark.parametrize(
    ("values", "stated", "how"),
    [
        (PGA_G, "g", "band_unit"),
        (PGA_G * 100, "%g", "band_unit"),
        (PGA_G * 100, "pctg", "tag"),  # ShakeMap's spelling
        (PGA_G * 980.665, "cm/s^2", "band_unit"),
        (PGA_G * 980.665, "gal", "tag"),
    ],
)
def test_a_pga_geotiff_is_refused_by_validate_and_run(cli, tmp_path, values, stated, how):
    run_file = _case(tmp_path / "in", "pga.tif", values, **{how: stated})
    where = "band 1" if how == "band_unit" else "(its unit tag)"
    line = _refused(
        cli, run_file, tmp_path / "out", f"(pga.tif) {where}", f"states the unit {stated!r}"
    )
    assert line.endswith(f"(acceleration), but earthquake grids are MMI; {GMICE}"), line


def test_a_pga_geotiff_is_refused_whatever_the_run_file_unit(cli, tmp_path):
    run_file = _case(tmp_path / "in", "pga.tif", PGA_G, band_unit="g", entry={"unit": "MMI"})
    _refused(cli, run_file, tmp_path / "out", "(pga.tif) band 1 states the unit 'g'", GMICE)


def test_a_pgv_geotiff_in_m_per_s_is_refused_for_an_earthquake(tmp_path):
    """m/s is a wind unit, but for an MMI hazard it is a velocity (PGV)."""
    _grid(tmp_path / "pgv.tif", PGA_G, band_unit="m/s")
    spec = {"id": "g", "type": "earthquake", "intensity": "pgv.tif", "scenario": "G"}
    spec["curve"] = "eq_mmi6_survivors"
    with pytest.raises(DataError, match=r"'m/s' \(velocity\), but earthquake grids are MMI; "):
        read_hazard(spec, tmp_path, "hazards[0]")


def _write_nc(path, values, units):
    lat = 30.5 - 0.05 * (np.arange(ROWS) + 0.5)
    lon = 82.5 + 0.05 * (np.arange(COLS) + 0.5)
    variables = {"pga": (("lat", "lon"), values, {"units": units})}
    xr.Dataset(variables, coords={"lat": lat, "lon": lon}).to_netcdf(path)


def test_a_netcdf_in_g_is_still_refused(cli, tmp_path):
    folder = tmp_path / "in"
    run_file = _case(folder, "unused.tif", np.full((ROWS, COLS), 7.0))
    _write_nc(folder / "pga.nc", PGA_G, "g")
    config = yaml.safe_load(run_file.read_text(encoding="utf-8"))
    config["hazards"][0]["intensity"] = "pga.nc"
    run_file.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    line = _refused(cli, run_file, tmp_path / "out", "(pga.nc): variable 'pga'", "'g'")
    assert line.endswith(
        f"states the unit 'g' (acceleration), but earthquake grids are MMI; {GMICE}"
    )


def test_a_run_file_unit_of_ground_motion_is_refused_with_the_remedy(tmp_path):
    _grid(tmp_path / "pga.tif", PGA_G)
    spec = {"id": "g", "type": "earthquake", "intensity": "pga.tif", "scenario": "G"}
    spec |= {"curve": "eq_mmi6_survivors", "unit": "g"}
    with pytest.raises(ConfigError, match=r"unit 'g' is not a unit of MMI \(acceleration\)"):
        read_hazard(spec, tmp_path, "hazards[0]")


def test_which_stated_units_are_of_another_measure():
    from hazards.catalogue import foreign_unit

    quake, flood = get_hazard_type("earthquake"), get_hazard_type("river_flood")
    wind = get_hazard_type("tropical_cyclone")
    assert foreign_unit(quake, "g") == ("g", "acceleration")
    assert foreign_unit(quake, "m s**-2") == ("m/s2", "acceleration")
    assert foreign_unit(quake, "cms") == ("cm/s", "velocity")
    assert foreign_unit(quake, "cm") == ("cm", "displacement")
    assert foreign_unit(flood, "%g") == ("%g", "acceleration")
    assert foreign_unit(flood, "cm/s") == ("cm/s", "velocity")
    # not refused outright: the units of the measure, a speed for wind, free text, and the
    # catalogue's units of other types (refused unless the run file gives unit:)
    for hazard, text in [
        (quake, "MMI"),
        (quake, "1"),
        (flood, "cm"),
        (wind, "cm/s"),
        (wind, "knots"),
        (flood, "metres above the river bed"),
        (flood, "m/s"),
        (wind, "m"),
    ]:
        assert foreign_unit(hazard, text) is None, (hazard.name, text)


def test_free_text_in_a_geotiff_band_unit_is_still_no_statement(tmp_path):
    _grid(tmp_path / "mmi.tif", np.full((ROWS, COLS), 7.0), band_unit="shaking, see report")
    spec = {"id": "g", "type": "earthquake", "intensity": "mmi.tif", "scenario": "G"}
    hazard = read_hazard({**spec, "curve": "eq_mmi6_survivors"}, tmp_path, "hazards[0]")
    assert hazard.unit_factor == 1.0 and hazard.conversion == ""


# ---------------------------------------------------------------- MMI outside the scale


def _mmi(value, cells):
    mmi = np.full((ROWS, COLS), 7.0)
    mmi.ravel()[:cells] = value
    return mmi


@pytest.mark.parametrize(
    ("value", "cells", "words"),
    [
        (13.0, 7, "has values up to 13 MMI"),
        (-1.0, 30, "has values down to -1 MMI"),
        (0.0, 12, "has values down to 0 MMI"),
    ],
)
def test_an_mmi_grid_outside_the_scale_is_refused(cli, tmp_path, value, cells, words):
    run_file = _case(tmp_path / "in", "mmi.tif", _mmi(value, cells))
    line = _refused(
        cli,
        run_file,
        tmp_path / "out",
        f"(mmi.tif) band 1 {words}, outside 0.5-12.5 MMI, the whole range of MMI values",
        f"({cells} cells of the band in the file are outside it)",
    )
    if value > 12.5:
        assert line.endswith(
            "is the grid another measure? If so, convert it to MMI first, e.g. with a GMICE "
            "such as Worden et al. (2012)"
        )
    else:
        assert (
            f"is {value:g} an undeclared nodata value? Declare it (gdal_edit.py -a_nodata" in line
        )
    assert ("if 0 means no shaking, set those cells to 1" in line) == (value == 0)


def test_pga_in_percent_g_without_a_unit_is_refused_as_mmi(cli, tmp_path):
    values = PGA_G * 100
    run_file = _case(tmp_path / "in", "pga.tif", values)
    outside = int((values.astype(np.float32) > 12.5).sum())
    top = float(values.astype(np.float32).max())
    _refused(
        cli,
        run_file,
        tmp_path / "out",
        f"(pga.tif) band 1 has values up to {top:g} MMI",
        f"({outside} cells of the band in the file are outside it)",
    )


def test_a_declared_nodata_value_is_not_refused(cli, tmp_path):
    run_file = _case(tmp_path / "in", "mmi.tif", _mmi(-1.0, 40), nodata=-1.0)
    result = cli("run", run_file, "--out", tmp_path / "out", "--no-map")
    assert result.exit_code == 0, result.output


def test_a_valid_mmi_grid_runs_untouched(cli, tmp_path):
    mmi = np.tile(np.linspace(1.0, 12.0, COLS), (ROWS, 1))
    mmi[0, 0], mmi[0, 1] = 0.5, 12.5  # the bounds are MMI values
    run_file = _case(tmp_path / "in", "mmi.tif", mmi)
    validated = cli("validate", run_file)
    assert validated.exit_code == 0 and "warning" not in validated.output, validated.output
    result = cli("run", run_file, "--out", tmp_path / "out", "--no-map")
    assert result.exit_code == 0, result.output
    bands = pd.read_csv(tmp_path / "out" / "bands.csv", encoding="utf-8-sig")
    expected = float(POP[mmi.astype(np.float32) >= 5.5].sum())  # everyone at MMI >= VI
    assert bands["displaced"].tolist() == pytest.approx([expected], rel=1e-9)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert not [w for w in manifest["warnings"] if "MMI" in w], manifest["warnings"]


# ------------------------------------------------------------------- type-specific hints


def test_a_flood_depth_in_cm_still_warns_with_its_units(cli, tmp_path):
    depth_cm = np.tile(np.linspace(10.0, 390.0, COLS), (ROWS, 1))
    run_file = _case(tmp_path / "in", "depth.tif", depth_cm, hazard_type="river_flood")
    result = cli("validate", run_file)
    assert result.exit_code == 0, result.output
    warned = [line for line in result.output.splitlines() if "values reach 390 m" in line]
    assert len(warned) == 1, result.output
    assert warned[0].endswith(
        "above the plausible 50 m for river_flood; is the grid in another unit (set unit:, "
        "one of cm, mm, ft)?"
    )
    run = cli("run", run_file, "--out", tmp_path / "out", "--no-map")
    assert run.exit_code == 0 and "one of cm, mm, ft" in run.stderr


def test_the_hints_name_the_units_each_type_takes():
    from mecc.checks import unit_hint

    assert unit_hint(HAZARD_TYPES["tropical_cyclone"]).endswith("one of km/h, kt, mph)?")
    mmi = unit_hint(HAZARD_TYPES["earthquake"])
    assert "cm" not in mmi and "km/h" not in mmi and "GMICE" in mmi
    hard = {name: kind.hard_range for name, kind in HAZARD_TYPES.items() if kind.hard_range}
    assert hard == {"earthquake": (0.5, 12.5)}  # flood depth and wind: plausibility only
