"""Thresholds and curves meet hazard values at the precision the values are stored in,
and they are in the hazard type's valid range with the displaced among the exposed.

1. A float32 grid holds 0.7 m as 0.699999988; compared with a step at 0.7 in float64 it
   fell below it (nobody displaced where a float64 grid displaced everyone). Thresholds
   and curve intensities are now rounded as the grid stores values (to float32 or
   float16; through the grid's unit conversion), in the engine's overlay, a combined
   hazard's components (each its own dtype), site figures and the mobility sums.
2. An exposure threshold or a step outside the type's valid range (MMI 0.5-12.5 ...)
   is refused naming the run file and key. Exposure stays independent of the curve
   (DESIGN.md): a given threshold above where the curve displaces is warned about (a
   unit may then show more displaced than exposed people), never changed.

Expected values by hand (1,000 people a cell) or with plain numpy.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from affine import Affine

from hazards.catalogue import HAZARD_TYPES
from hazards.curves import Curve, round_knots
from hazards.library import curve_entries
from hazards.precision import stored_values
from hazards.readers import read_hazard
from hazards.thresholds import share_below
from mecc.grid import GridSpec
from mecc.inputs import overlay_input
from mecc.run import run_country
from tests._errors import expect_error
from tests._run_inputs import write_run
from tests.conftest import write_raster

T = Affine(0.01, 0, 30.0, 0, -0.01, -1.0)  # 2 x 1 cells, as the probe's repro
PEOPLE = 1000.0
F32_07 = float(np.float32(0.7))  # 0.699999988079071: what a float32 grid holds for 0.7


def _grid(width=2, height=1):
    from rasterio.crs import CRS

    return GridSpec(CRS.from_epsg(4326), T, width, height)


def _case(folder, depth, dtype, hazard, name="run.yaml", **raster):
    """pop.tif (1,000 people a cell) and depth.tif in ``dtype``; one hazard."""
    folder.mkdir(parents=True, exist_ok=True)
    values = np.asarray(depth, dtype=np.float64)[None, :]
    write_raster(folder / "pop.tif", np.full(values.shape, PEOPLE), transform=T, nodata=-1.0)
    write_raster(folder / "depth.tif", values, transform=T, dtype=dtype, **raster)
    spec = {"id": "t", "intensity": "depth.tif", "scenario": "s", **hazard}
    return write_run(
        folder, {"country": "XQK", "population": {"path": "pop.tif"}, "hazards": [spec]}, name
    )


def _national(out) -> pd.Series:
    table = pd.read_csv(out / "zones_bands.csv", encoding="utf-8-sig")
    return table[table["zone_code"] == "XQK"].iloc[0]


# ----------------------------------------------------------- 1. stored precision


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_depth_exactly_at_the_step_is_displaced_whatever_the_grids_dtype(tmp_path, dtype):
    """The probe's repro: depths [0.7, 0.69], curve tsunami_step_0.7m (0.7 m: the upper
    share). The 0.7 m cell's 1,000 people are displaced; both cells' 2,000 are exposed
    (>= 0.1 m)."""
    run = _case(
        tmp_path / dtype, [0.7, 0.69], dtype, {"type": "tsunami", "curve": "tsunami_step_0.7m"}
    )
    row = _national(run_country(run, tmp_path / f"out_{dtype}", with_map=False).out_dir)
    assert row["displaced"] == PEOPLE
    assert row["exposed"] == 2 * PEOPLE


def test_a_float32_value_exactly_at_the_exposure_threshold_is_exposed(tmp_path):
    """exposure_threshold 0.7 m and a float32 grid [0.7, 0.69]: the first cell is exposed."""
    hazard = {"type": "river_flood", "curve": {"step": 1.0}, "exposure_threshold": 0.7}
    run = _case(tmp_path / "c", [0.7, 0.69], "float32", hazard)
    row = _national(run_country(run, tmp_path / "out", with_map=False).out_dir)
    assert row["exposed"] == PEOPLE
    assert row["displaced"] == 0.0


def test_the_engine_gets_the_threshold_and_knots_rounded_to_float32_only(tmp_path):
    """overlay_input: a float32 grid's threshold and knots are np.float64(np.float32(x));
    float64 and integer grids keep them as given."""
    hazard = {"type": "river_flood", "curve": {"step": 0.7}, "exposure_threshold": 0.3}
    expected = {
        "float32": (float(np.float32(0.3)), F32_07),
        "float64": (0.3, 0.7),
        "int16": (0.3, 0.7),
    }
    for dtype, (threshold, knot) in expected.items():
        run = _case(tmp_path / dtype, [1, 0], dtype, hazard)
        spec = {"id": "t", "intensity": "depth.tif", "scenario": "s", **hazard}
        read = read_hazard(spec, run.parent, "run.yaml.hazards[0] (t)")
        given = overlay_input(read, _grid(), np.ones((1, 1)))
        x, y, n, _ = given.curves
        assert given.exposure_threshold == threshold, dtype
        assert list(x[0, : n[0]]) == [knot, knot], dtype
        assert list(y[0, : n[0]]) == [0.0, 1.0]
        assert read.exposure_threshold == 0.3  # the run's own numbers (manifest) unchanged
        assert read.curve.intensity == (0.7, 0.7)


def test_a_converted_float32_grid_is_rounded_in_its_own_unit(tmp_path):
    """A wind grid in knots, float32: the cell holding the float32 number nearest to
    17.5 m/s in knots (34.01728 kt, read back as 17.4999990 m/s) reaches the default
    17.5 m/s threshold; the next float32 number below does not. Rounding 17.5 itself to
    float32 (it is exact) would miss the first cell."""
    knots = np.float32(17.5 / (1852.0 / 3600.0))
    below = np.nextafter(knots, np.float32(0))
    assert float(knots) * (1852.0 / 3600.0) < 17.5  # why the unit matters
    hazard = {"type": "tropical_cyclone", "unit": "kt", "curve": "sshws_inasafe"}
    run = _case(tmp_path / "kt", [float(knots), float(below)], "float32", hazard)
    row = _national(run_country(run, tmp_path / "out", with_map=False).out_dir)
    assert row["exposed"] == PEOPLE


def test_a_float32_netcdf_grid_is_compared_at_float32(tmp_path):
    import xarray as xr

    folder = tmp_path / "nc"
    folder.mkdir()
    write_raster(folder / "pop.tif", np.full((1, 2), PEOPLE), transform=T, nodata=-1.0)
    depth = np.array([[0.7, 0.69], [0.0, 0.0]], dtype=np.float32)
    xr.Dataset(
        {"depth": (("lat", "lon"), depth, {"units": "m"})},
        coords={"lat": [-1.005, -1.015], "lon": [30.005, 30.015]},
    ).to_netcdf(folder / "depth.nc")
    spec = {"id": "t", "type": "tsunami", "intensity": "depth.nc", "scenario": "s"}
    spec["curve"] = "tsunami_step_0.7m"
    run = write_run(
        folder, {"country": "XQK", "population": {"path": "pop.tif"}, "hazards": [spec]}
    )
    row = _national(run_country(run, tmp_path / "out", with_map=False).out_dir)
    assert row["displaced"] == PEOPLE


def test_a_combined_hazards_components_are_each_at_their_own_dtype(tmp_path):
    """Wind and surge of one event: the surge grid float32, the wind grid float64; each
    component's threshold and step as its own grid stores values."""
    folder = tmp_path / "storm"
    run = _case(folder, [0.7, 0.0], "float32", {"type": "coastal_flood", "curve": "flood_step_1m"})
    write_raster(folder / "wind.tif", np.array([[0.0, 40.0]]), transform=T, dtype="float64")
    storm = {
        "id": "storm",
        "type": "tropical_cyclone",
        "scenario": "s",
        "combine": "max",
        "components": [
            {"type": "tropical_cyclone", "intensity": "wind.tif", "curve": {"step": 40.1},
             "exposure_threshold": 17.3},
            {"type": "coastal_flood", "intensity": "depth.tif", "curve": {"step": 0.7},
             "exposure_threshold": 0.7},
        ],
    }  # fmt: skip
    data = {"country": "XQK", "population": {"path": "pop.tif"}, "hazards": [storm]}
    run = write_run(folder, data)
    read = read_hazard(storm, folder, "run.yaml.hazards[0] (storm)")
    given = overlay_input(read, _grid(), np.ones((1, 1)))
    assert given.exposure_threshold == [17.3, F32_07]
    x, _, n, _ = given.curves
    assert list(x[0, : n[0]]) == [40.1, 40.1] and list(x[1, : n[1]]) == [F32_07, F32_07]
    row = _national(run_country(run, tmp_path / "out", with_map=False).out_dir)
    assert row["exposed"] == 2 * PEOPLE  # surge 0.7 >= 0.7; wind 40 >= 17.3
    assert row["displaced"] == PEOPLE  # surge 0.7 at its step; wind 40 below 40.1


def test_site_figures_use_the_rounded_step(tmp_path):
    """A displacement site in the float32 0.7 m cell: its 300 people are displaced."""
    folder = tmp_path / "sites"
    run = _case(folder, [0.7, 0.0], "float32", {"type": "tsunami", "curve": "tsunami_step_0.7m"})
    (folder / "sites.csv").write_text(
        "site_name,lat,lon,individuals\nS1,-1.005,30.005,300\n", encoding="utf-8"
    )
    text = run.read_text(encoding="utf-8") + (
        "mobility:\n  sites: {path: sites.csv, in_population_grid: false}\n"
    )
    run.write_text(text, encoding="utf-8")
    out = run_country(run, tmp_path / "out", with_map=False).out_dir
    table = pd.read_csv(out / "sites.csv", encoding="utf-8-sig").set_index("site_name")
    assert table.loc["S1", "t_displaced"] == 300.0
    assert table.loc["S1", "t_exposed"] == 300.0


class _Stored:
    """A source stub: a grid stored in ``dtype`` (for float16, which GDAL 3.10 lacks)."""

    def __init__(self, dtype, scale=1.0, offset=0.0):
        self.dtype, self.scales, self.offsets = dtype, (scale,), (offset,)


class _Hazard:
    def __init__(self, *sources, unit_factor=1.0):
        self.layers = [(source, 1) for source in sources]
        self.unit_factor = unit_factor


def test_stored_values_round_as_the_grid_stores_them():
    values = np.array([0.1, 0.7, 4.5, 17.3])
    for dtype in (np.float16, np.float32):
        got = stored_values(values, _Hazard(_Stored(np.dtype(dtype).name)))
        assert list(got) == [float(np.float64(dtype(v))) for v in values]
    for dtype in ("float64", "int16", "uint8"):
        assert list(stored_values(values, _Hazard(_Stored(dtype)))) == list(values)
    # a packed float32 band (scale 0.01): 0.7 is the stored 70.0 (exact) x 0.01
    assert stored_values([0.7], _Hazard(_Stored("float32", 0.01)))[0] == 70.0 * 0.01
    # float32 and float64 files in one set: the smaller of the two, never above 0.7
    mixed = stored_values([0.7, 0.1], _Hazard(_Stored("float32"), _Stored("float64")))
    assert list(mixed) == [F32_07, 0.1]


def test_round_knots_keeps_the_curve_and_returns_it_when_nothing_changes():
    curve = Curve("c", (0.0, 0.7, 0.7, 2.0), (0.0, 0.0, 1.0, 1.0), source="s")
    rounded = round_knots(curve, lambda x: x.astype(np.float32).astype(np.float64))
    assert rounded.intensity == (0.0, F32_07, F32_07, 2.0)
    assert rounded.share == curve.share and rounded.name == "c" and rounded.source == "s"
    assert round_knots(curve, lambda x: x) is curve


# ------------------------------------------ 2. valid range; displaced below the threshold


@pytest.fixture
def quake(tmp_path):
    """An earthquake case: MMI 5.6 and 7.0 over 1,000 people each."""
    folder = tmp_path / "quake"
    folder.mkdir()
    write_raster(folder / "pop.tif", np.full((1, 2), PEOPLE), transform=T, nodata=-1.0)
    write_raster(folder / "mmi.tif", np.array([[5.6, 7.0]]), transform=T)

    def run_file(**hazard):
        spec = {"id": "q", "type": "earthquake", "intensity": "mmi.tif", "scenario": "s"}
        spec.update({"curve": "eq_mmi6_survivors", **hazard})
        data = {"country": "XQK", "population": {"path": "pop.tif"}, "hazards": [spec]}
        return write_run(folder, data)

    return folder, run_file


@pytest.mark.parametrize(
    ("hazard", "key", "value"),
    [
        ({"exposure_threshold": 15}, "exposure_threshold", "15 MMI"),
        ({"exposure_threshold": -1}, "exposure_threshold", "-1 MMI"),
        ({"exposure_threshold": 0.4}, "exposure_threshold", "0.4 MMI"),
        ({"curve": {"step": 15}}, "curve.step", "15 MMI"),
        ({"curve": {"step": -3}}, "curve.step", "-3 MMI"),
        ({"curve": {"step": "13"}}, "curve.step", "13 MMI"),
        ({"curve": {"survivors_step": {"threshold": 13}}}, "curve.survivors_step.threshold", "13"),
        ({"variants": {"high": {"step": 0.2}}}, "variants.high.step", "0.2 MMI"),
    ],
    ids=["threshold-15", "threshold-neg", "threshold-0.4", "step-15", "step-neg", "step-text",
         "survivors", "variant"],
)  # fmt: skip
def test_a_threshold_or_step_outside_the_valid_range_is_refused(
    quake, tmp_path, cli, hazard, key, value
):
    folder, run_file = quake
    line = expect_error(
        cli, run_file(**hazard), tmp_path / "out", 2, f"run.yaml.hazards[0] (q).{key}", value
    )
    assert "0.5-12.5 MMI" in line


def test_a_curve_displacing_below_a_given_threshold_is_warned_about(quake, tmp_path):
    """eq_mmi6_survivors displaces from MMI 5.5: with exposure threshold 6 the 1,000
    people at MMI 5.6 are displaced but not exposed (exposure is independent of the
    curve): the run says so, and keeps both numbers as defined."""
    _, run_file = quake
    out = run_country(run_file(exposure_threshold=6), tmp_path / "o", with_map=False).out_dir
    row = _national(out)
    assert row["exposed"] == PEOPLE  # MMI 7.0 only
    assert row["displaced"] == 2 * PEOPLE  # both cells at MMI >= 5.5
    warned = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["warnings"]
    (line,) = [w for w in warned if "below exposure_threshold" in w]
    assert "hazards[0] (q).curve (eq_mmi6_survivors)" in line
    assert "share 1 at 5.5 MMI" in line and "displaces from 5.5 MMI" in line


def test_a_component_threshold_outside_the_valid_range_is_refused(quake, tmp_path, cli):
    folder, _ = quake
    parts = [
        {"type": "earthquake", "intensity": "mmi.tif", "curve": "eq_mmi6_survivors"},
        {"type": "earthquake", "intensity": "mmi.tif", "curve": "eq_mmi6_survivors",
         "exposure_threshold": 13},
    ]  # fmt: skip
    spec = {"id": "q", "type": "earthquake", "scenario": "s", "components": parts}
    run = write_run(
        folder, {"country": "XQK", "population": {"path": "pop.tif"}, "hazards": [spec]}
    )
    expect_error(
        cli, run, tmp_path / "out", 2, "run.yaml.hazards[0] (q).components[1].exposure_threshold"
    )


def test_at_the_curves_own_step_exposed_holds_every_displaced_person(quake, tmp_path):
    """Threshold 5.5 (the curve's step): both cells exposed (2,000), both displaced."""
    _, run_file = quake
    row = _national(
        run_country(run_file(exposure_threshold=5.5), tmp_path / "o", with_map=False).out_dir
    )
    assert row["exposed"] == 2 * PEOPLE
    assert row["displaced"] == 2 * PEOPLE
    assert row["exposed"] >= row["displaced"]


@pytest.mark.parametrize(
    ("intensity", "share", "kind", "expected"),
    [
        ([0.0, 1.0], [0.0, 1.0], "linear", True),  # 0.05 at 0.05 m
        ([0.1, 0.1], [0.0, 1.0], "linear", False),  # a step exactly at the threshold
        ([0.09, 0.09], [0.0, 1.0], "linear", True),
        ([0.0, 0.1, 0.1], [0.0, 0.0, 1.0], "linear", False),
        ([0.0, 0.05, 0.2], [0.0, 0.0, 1.0], "step", False),  # 0 until 0.2 m
        ([0.05, 0.1], [0.0, 1.0], "linear", True),  # rises right after 0.05 m
        ([0.0], [0.0], "linear", False),
    ],
)
def test_share_below_the_threshold_matches_a_dense_numpy_scan(intensity, share, kind, expected):
    curve = Curve("c", tuple(intensity), tuple(share), kind=kind)
    x = np.asarray(intensity)
    probes = np.linspace(0.0, 0.1, 100_001)[1:-1]  # (0, 0.1)
    if kind == "linear":
        dense = np.interp(probes, x, share)
    else:
        dense = np.asarray(share)[np.searchsorted(x, probes, side="right") - 1]
    assert bool((dense > 0).any()) == expected
    assert (share_below(curve, 0.1) is not None) == bool((dense > 0).any())


def test_no_built_in_displacement_curve_displaces_below_its_types_default_threshold():
    """Checked by a dense numpy scan between 0 and each type's threshold, and by
    share_below; damage-state curves (not displacement) are left out."""
    for name, entry in curve_entries().items():
        if entry.damage_states:
            continue
        for hazard_type in entry.hazard_types:
            threshold = HAZARD_TYPES[hazard_type].exposure_threshold
            probes = np.linspace(0.0, threshold, 20_001)[1:-1]
            for curve in entry.variants.values():
                assert not (curve.evaluate(probes) > 0).any(), (name, hazard_type)
                assert share_below(curve, threshold) is None, (name, hazard_type)


def test_a_curve_from_zero_keeps_the_default_threshold_with_a_warning(tmp_path):
    """A CLIMADA-style curve (0, 0)-(1, 1) displaces 5% at 0.05 m, below the 0.1 m
    default: exposure keeps its definition (only the 0.5 m cell, 1,000 people), and the
    run says why a unit may show more displaced than exposed people, whether the
    threshold is the type's default or the same one given in the run file."""
    curve = {"intensity": [0, 1], "share": [0, 1]}
    run = _case(tmp_path / "a", [0.05, 0.5], "float64", {"type": "river_flood", "curve": curve})
    out = run_country(run, tmp_path / "out_a", with_map=False).out_dir
    row = _national(out)
    assert row["exposed"] == PEOPLE
    assert row["displaced"] == pytest.approx(PEOPLE * (0.05 + 0.5), rel=1e-12)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["parameters"]["hazards"]["t"]["exposure_threshold"] == 0.1
    assert any("below exposure_threshold 0.1 m" in w for w in manifest["warnings"])
    hazard = {"type": "river_flood", "curve": curve, "exposure_threshold": 0.1}
    run = _case(tmp_path / "b", [0.05, 0.5], "float64", hazard)
    out = run_country(run, tmp_path / "out_b", with_map=False).out_dir
    warned = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["warnings"]
    assert any("below exposure_threshold 0.1 m" in w for w in warned)
    assert _national(out)["exposed"] == PEOPLE


def test_the_allocation_takes_hosts_below_the_rounded_threshold_only(tmp_path):
    """Mobility sums: depths 2 m, float32 0.7 m, dry; threshold 0.7 m, step 1 m. The
    0.7 m cell is exposed, so it cannot host: the 1,000 displaced all go to the dry
    cell (zone B); compared in float64 the 0.7 m cell counted as safe and took half."""
    from tests._run_inputs import cell_box, write_zones

    folder = tmp_path / "alloc"
    hazard = {"type": "river_flood", "curve": {"step": 1.0}, "exposure_threshold": 0.7}
    run = _case(folder, [2.0, 0.7, 0.0], "float32", hazard)
    write_zones(
        folder / "zones.geojson",
        ["A", "B"],
        [cell_box(0, 0, transform=T, cols=2), cell_box(0, 2, transform=T)],
    )
    text = run.read_text(encoding="utf-8") + (
        "zones: {path: zones.geojson, code_field: code, level: 1}\n"
        "mobility:\n  allocation: {radius_km: 300, exponent: 0, cell_km: 0.5}\n"
    )
    run.write_text(text, encoding="utf-8")
    out = run_country(run, tmp_path / "out", with_map=False).out_dir
    frame = pd.read_csv(out / "allocation.csv", encoding="utf-8-sig", dtype={"zone_code": str})
    hosted = frame.set_index("zone_code")["hosted"]
    assert hosted["B"] == pytest.approx(PEOPLE)
    assert hosted["A"] == pytest.approx(0.0)
