"""Units in run files, the gust factor's key, the Saffir-Simpson bounds in every published
unit, the fatality curves' stated method, and fatality models outside earthquakes.

1. A run file's ``unit:`` takes the spellings a grid's band unit takes (one table,
   ``hazards.catalogue.UNIT_SPELLINGS``): ``unit: knots`` is ``kt``. A bad ``gust_factor``
   is reported under ``gust_factor``, not ``averaging``.
2. ``sshws_inasafe`` puts NHC's limits as published in kt, mph and km/h in their
   categories: each bound is the lowest of the three converted exactly (NHC,
   Saffir-Simpson Hurricane Wind Scale: 64/83/96/113/137 kt, 74/96/111/130/157 mph,
   119/154/178/209/252 km/h).
3. The ITB and PAGER curves say how they apply the death rate (at each cell's MMI), unlike
   InaSAFE v3 (the rate at m for the whole of class m; methodology §4.2).
4. A fatality model is refused for any hazard type but earthquake, in validate and run.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import rasterio
from affine import Affine

from hazards import catalogue
from hazards.catalogue import HAZARD_TYPES, UNIT_FACTORS, unit_factor
from hazards.curves import load_curve
from hazards.library import fatality_curve, get_entry
from mecc.errors import ConfigError
from tests._errors import expect_error, one_error_line
from tests._run_inputs import write_run
from tests.conftest import write_raster

T = Affine(0.01, 0, 30.0, 0, -0.01, -1.0)
WIND = HAZARD_TYPES["tropical_cyclone"]
RATES = [0.15, 0.65, 0.90, 0.99, 1.0]
# NHC's Saffir-Simpson Hurricane Wind Scale: the lowest wind of Categories 1-5 (1-min)
NHC = {
    "kt": [64, 83, 96, 113, 137],
    "mph": [74, 96, 111, 130, 157],
    "km/h": [119, 154, 178, 209, 252],
}
EXACT = {"kt": 1852.0 / 3600.0, "mph": 0.44704, "km/h": 1.0 / 3.6}


def _grid(folder, name, values, unit=None, dtype="float32", description=None):
    path = write_raster(
        folder / name, np.asarray([values], dtype=dtype), transform=T, nodata=-9999.0
    )
    with rasterio.open(path, "r+") as dataset:
        if unit:
            dataset.set_band_unit(1, unit)
        if description:
            dataset.set_band_description(1, description)
    return path


def _cyclone(folder, name, intensity, **extra):
    hazard = {"id": "tc", "type": "tropical_cyclone", "intensity": intensity, "scenario": "s"}
    hazard.update({"curve": "sshws_inasafe", **extra})
    data = {"country": "XQK", "population": {"path": "pop.tif"}, "hazards": [hazard]}
    return write_run(folder, data, f"{name}.yaml")


def _run(cli, run_file, out):
    result = cli("run", run_file, "--out", out, "--no-map")
    assert result.exit_code == 0, result.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    with rasterio.open(out / "displaced.tif") as dataset:
        cells = dataset.read(1)[0].tolist()
    return summary["hazards"]["tc"], manifest["parameters"]["hazards"]["tc"], cells


# ------------------------------------------------------------ 1. unit names, gust_factor


@pytest.mark.parametrize(
    ("spelling", "unit"),
    [("knots", "kt"), ("kts", "kt"), ("KT", "kt"), ("miles per hour", "mph"),
     ("kph", "km/h"), ("km h-1", "km/h"), ("m s-1", "m/s")],
)  # fmt: skip
def test_a_run_file_unit_takes_the_spellings_of_a_band_unit(spelling, unit):
    assert catalogue.run_unit(WIND, spelling, "hazards[0].unit") == unit
    assert unit_factor(WIND, spelling) == UNIT_FACTORS["m/s"][unit]
    with pytest.raises(ConfigError, match=r"hazards\[0\]\.unit: unit 'fathoms' is not a unit"):
        catalogue.run_unit(WIND, "fathoms", "hazards[0].unit")


def test_unit_knots_in_a_run_file_is_knots(tmp_path, cli):
    """The probe: ``unit: knots`` was refused, though a band unit "knots" was read."""
    write_raster(tmp_path / "pop.tif", np.full((1, 5), 1000.0), transform=T)
    _grid(tmp_path, "plain.tif", NHC["kt"], dtype="float64")  # no unit stated
    _grid(tmp_path, "stated.tif", NHC["kt"], unit="kt", dtype="float64")
    given, parameters, cells = _run(
        cli, _cyclone(tmp_path, "knots", "plain.tif", unit="knots"), tmp_path / "o1"
    )
    assert cells == [150.0, 650.0, 900.0, 990.0, 1000.0]
    assert given["displaced"] == 3690.0
    assert parameters["conversion"] == "grid unit kt x 0.514444 = m/s"
    # the run file's knots and the file's kt are one unit: no contradiction
    agreed, _, _ = _run(
        cli, _cyclone(tmp_path, "agree", "stated.tif", unit="knots"), tmp_path / "o2"
    )
    assert agreed["displaced"] == 3690.0


@pytest.mark.parametrize("value", [0.9, "inlnd"])
def test_a_bad_gust_factor_is_named_under_its_own_key(tmp_path, cli, value):
    write_raster(tmp_path / "pop.tif", np.full((1, 5), 1000.0), transform=T)
    _grid(tmp_path, "gust.tif", [60.0] * 5)
    run = _cyclone(tmp_path, "g", "gust.tif", averaging="gust", gust_factor=value)
    line = expect_error(cli, run, tmp_path / "out", 2, "g.yaml", "hazards[0] (tc).gust_factor:")
    assert ".averaging" not in line and ">= 1" in line and repr(value) in line
    if isinstance(value, str):
        assert "did you mean 'inland'?" in line
    # a grid that states it holds gusts: the same key
    _grid(tmp_path, "said.tif", [60.0] * 5, description="3-second gust at 10 m")
    said = _cyclone(tmp_path, "s", "said.tif", gust_factor=value)
    line = one_error_line(cli("validate", said), 2)
    assert "hazards[0] (tc).gust_factor:" in line and ".averaging" not in line


# ------------------------------------------------------------ 2. Saffir-Simpson bounds


def _category(value, unit):
    """NHC's category of a whole ``value`` in ``unit`` by its own table (0: below Cat 1)."""
    return sum(value >= limit for limit in NHC[unit])


@pytest.mark.parametrize("unit", sorted(NHC))
def test_every_published_value_is_in_its_published_category(unit):
    curve = load_curve("sshws_inasafe", hazard_type="tropical_cyclone")
    values = np.arange(1, NHC[unit][-1] + 40)
    shares = curve.evaluate(values * UNIT_FACTORS["m/s"][unit])
    expected = [([0.0, *RATES])[_category(v, unit)] for v in values]
    assert shares.tolist() == expected
    # the published limits themselves, and the whole value below each
    limits = np.asarray(NHC[unit], dtype=np.float64)
    assert curve.evaluate(limits * EXACT[unit]).tolist() == RATES
    assert curve.evaluate((limits - 1) * EXACT[unit]).tolist() == [0.0, *RATES[:-1]]


def test_the_knot_limits_keep_their_categories():
    """The published points of the knot table (as test_curve_library checks them)."""
    kt = 1852.0 / 3600.0
    for knots, rate in ((63.9, 0.0), (64, 0.15), (82.9, 0.15), (83, 0.65), (95, 0.65),
                        (96, 0.90), (112, 0.90), (113, 0.99), (136, 0.99), (137, 1.0)):  # fmt: skip
        assert float(load_curve("sshws_inasafe").evaluate(np.array([knots * kt]))[0]) == rate


def test_the_bounds_are_the_lowest_published_limits_converted_exactly():
    curve = load_curve("sshws_inasafe")
    assert curve.intensity[1:] == pytest.approx(
        (64 * 1852 / 3600, 83 * 1852 / 3600, 96 * 1852 / 3600, 209 / 3.6, 252 / 3.6), rel=1e-15
    )
    entry = get_entry("sshws_inasafe")
    text = f"{entry.source} {entry.notes}"
    for said in ("lowest of the three converted exactly to m/s", "58.06, 70.00 m/s",
                 "mph (74, 96, 111, 130, 157)", "km/h (119, 154, 178, 209, 252)",
                 "nhc.noaa.gov/aboutsshws.php"):  # fmt: skip
        assert said in text, said
    assert "58.13, 70.48 m/s" not in entry.source


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("unit", "stated"), [("mph", "mph"), ("km/h", "km/h"), ("kt", "knots")])
def test_nhc_limits_in_mph_and_kmh_grids_fall_in_their_category(tmp_path, cli, unit, stated, dtype):
    """The probe: 130 mph / 209 km/h gave Category 3's 0.90, 157 mph / 252 km/h 0.99."""
    write_raster(tmp_path / "pop.tif", np.full((1, 5), 1000.0), transform=T)
    description = "maximum 1-minute sustained wind at 10 m"
    _grid(tmp_path, "wind.tif", NHC[unit], unit=stated, dtype=dtype, description=description)
    given, parameters, cells = _run(cli, _cyclone(tmp_path, "w", "wind.tif"), tmp_path / "out")
    assert cells == [150.0, 650.0, 900.0, 990.0, 1000.0]
    assert given["displaced"] == 3690.0
    assert parameters["conversion"].startswith(f"grid unit {unit} (the file's units attribute)")


def test_classes_bounds_in_several_units_are_checked():
    from hazards.library import build_curve

    two = {"bounds": {"kt": [64, 83], "mph": [74]}, "shares": [0.5, 1.0]}
    with pytest.raises(ConfigError, match=r"c\.classes\.bounds: give as many bounds in each"):
        build_curve({"classes": two}, "c", "m/s")
    bad = {"bounds": {"fathoms": [1]}, "shares": [1.0]}
    with pytest.raises(ConfigError, match=r"c\.classes\.bounds: give one of m/s, km/h, kt, mph"):
        build_curve({"classes": bad}, "c", "m/s")
    inline = {"classes": {"bounds": {"knots": [64], "mph": [74]}, "shares": [1.0]}}
    curve = load_curve(inline, hazard_type="tropical_cyclone")
    assert curve.intensity[1] == 64 * 1852 / 3600 and curve.name == "classes at 32.92 m/s"
    with pytest.raises(ConfigError, match=r"bounds_unit: give one of .* got 'fathoms'"):
        load_curve({"classes": {"bounds": [1], "bounds_unit": "fathoms", "shares": [1]}})


# ------------------------------------------------------------ 3. fatality curves' method


@pytest.mark.parametrize("name", ["eq_mmi6_survivors_itb", "eq_mmi6_survivors_pager_idn"])
def test_the_fatality_curves_state_how_they_apply_the_rate(name, cli):
    entry = get_entry(name)
    assert "as in InaSAFE" not in entry.source
    assert "Applied differently from InaSAFE" in entry.source
    assert "(m - 0.5 < MMI <= m + 0.5) the rate at m" in entry.source
    assert "each cell takes the rate at its own MMI" in entry.source
    shown = cli("curves", "show", name)
    assert shown.exit_code == 0 and "each cell takes the rate at its own MMI" in shown.stdout
    # what the text says: the rate at MMI 7.4 itself, not the class VII rate at 7
    rate = float(fatality_curve(entry.curve()).evaluate(np.array([7.4]))[0])
    if name.endswith("itb"):
        assert rate == pytest.approx(10 ** (0.62275231 * 7.4 - 8.03314466), rel=1e-3)
        assert rate > 1.5 * 10 ** (0.62275231 * 7 - 8.03314466)
    else:  # Phi(ln(MMI / 13.249) / 0.151)

        def phi(mmi):
            return 0.5 * (1 + math.erf(math.log(mmi / 13.249) / 0.151 / math.sqrt(2)))

        assert rate == pytest.approx(phi(7.4), rel=1e-2) and rate > 2 * phi(7)


# ------------------------------------------------------------ 4. fatality models elsewhere

FATALITY = {"model": "exponential", "a": 0.62275231, "b": -8.03314466}


@pytest.mark.parametrize(
    ("kind", "where"),
    [("curve", "hazards[0] (ts).curve:"), ("variants", "hazards[0] (ts).curve variants.high:")],
)
def test_a_fatality_model_is_refused_for_a_tsunami(tmp_path, cli, kind, where):
    write_raster(tmp_path / "pop.tif", np.full((1, 5), 1000.0), transform=T)
    _grid(tmp_path, "depth.tif", [0.5, 1.0, 2.0, 4.0, 8.0])
    model = {"survivors_step": {"threshold": 0.7, "fatality": FATALITY}}
    hazard = {"id": "ts", "type": "tsunami", "intensity": "depth.tif", "scenario": "s"}
    if kind == "curve":
        hazard["curve"] = model
    else:
        hazard.update(curve="tsunami_step_0.7m", variants={"high": model})
    data = {"country": "XQK", "population": {"path": "pop.tif"}, "hazards": [hazard]}
    run = write_run(tmp_path, data)
    line = expect_error(cli, run, tmp_path / "out", 2, "run.yaml", where, "fatality", "tsunami")
    assert "earthquakes only" in line


def test_a_fatality_model_is_refused_for_other_types_and_kept_for_earthquakes():
    model = {"survivors_step": {"threshold": 1.0, "fatality": FATALITY}}
    for kind in ("river_flood", "tropical_cyclone", "coastal_flood"):
        with pytest.raises(ConfigError, match=rf"^x\.curve: a fatality model .* not {kind};"):
            load_curve(model, where="x.curve", hazard_type=kind)
    quake = {"survivors_step": {"threshold": 5.5, "fatality": FATALITY}}
    curve = load_curve(quake, where="x.curve", hazard_type="earthquake")
    assert curve.metadata["fatality"]["a"] == 0.62275231
    assert load_curve({"survivors_step": {"threshold": 0.7}}, hazard_type="tsunami").name
