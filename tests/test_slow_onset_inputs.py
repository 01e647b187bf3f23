"""Inputs of the slow-onset readers: the sea-level-rise DEM, datums and levels, drought classes.

The coast of tests/test_slow_onset.py: the sea (-5 m) in column 0; a coastal plain in
columns 1 and 2 (heights and people below); a 4 m ridge in column 3; an enclosed hollow
beyond it that the sea never reaches. Every plain cell of column 1 touches the sea; every
plain cell of column 2 touches a column-1 cell (8 neighbours), so for a level below 4 m
the people at risk are those of the plain cells strictly below the level whose column-1
neighbour is flooded too:

=====  ===========  ===========
row    column 1     column 2
=====  ===========  ===========
0      2.0 m: 1     2.0 m: 1
1      0.4 m: 10    1.2 m: 20
2      0.6 m: 30    0.9 m: 40
3      1.8 m: 50    2.4 m: 60
4      2.0 m: 1     2.0 m: 1
=====  ===========  ===========

So a level of 1.3 or 1.4 m floods 10 + 20 + 30 + 40 = 100 people, 1.9 m adds the 1.8 m
cell (150), 2.7 m or 2.9 m every plain cell (214).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import rasterio

from hazards.slow_onset import water_level
from mecc.config import load_config
from mecc.errors import ConfigError, DataError, MeccWarning
from mecc.run import run_country
from tests.test_slow_onset import DEM, PEOPLE, T

WHERE = "run.yaml.hazards[0] (slr)"


@pytest.fixture
def coast(tmp_path, raster_writer):
    raster_writer("dem.tif", DEM, transform=T)
    raster_writer("pop.tif", PEOPLE, transform=T)
    raster_writer(
        "spei.tif", np.array([[-0.5, -1.2, -1.6, -2.5, np.nan, 0.3, -1.0]] * 5), transform=T
    )
    return tmp_path


def _slr(dem="dem.tif", tide_datum="MSL", high_tide=0.5, slr=0.6, baseline="MSL", offsets=None):
    offsets = {"MSL": 0.2} if offsets is None else offsets
    shown = ", ".join(f"{k}: {v}" for k, v in offsets.items())
    return (
        f"  - id: slr\n    type: sea_level_rise\n    dem: {dem}\n    dem_datum: EGM2008\n"
        f"    high_tide: {high_tide}\n    tide_datum: {tide_datum}\n    slr: {slr}\n"
        f"    slr_baseline: {baseline}\n    datum_offsets: {{{shown}}}\n"
    )


def _write(folder, hazard, extra="", name="run"):
    path = folder / f"{name}.yaml"
    path.write_text("country: XXS\npopulation: {path: pop.tif}\nhazards:\n" + hazard + extra)
    return path


def _run(folder, hazard, extra="", name="run"):
    path = _write(folder, hazard, extra, name)
    return run_country(path, folder / f"out_{name}", with_map=False).summary


# ------------------------------------------------------------ 1. a DEM stating feet


def test_dem_in_feet_is_converted(coast, raster_writer):
    """The coast's DEM in feet (each height / 0.3048, band unit ``ft``): read as metres
    no plain cell is below 1.3 m (0.4 m is 1.31 ft), so nobody was at risk."""
    path = raster_writer("dem_ft.tif", DEM / 0.3048, transform=T)
    with rasterio.open(path, "r+") as dataset:
        dataset.units = ("ft",)
    item = _run(coast, _slr(dem="dem_ft.tif"))["hazards"]["slr"]
    # level 0.5 + 0.2 + 0.6 = 1.3 m: the 0.4, 0.6, 1.2 and 0.9 m cells
    assert item["at_risk_relocation"] == pytest.approx(100)
    # DEM lowered 1 m: ground < 2.3 m, also the 1.8 m cell and the four 2.0 m cells
    assert item["at_risk_relocation_high"] == pytest.approx(100 + 50 + 4)
    assert item["at_risk_relocation_low"] == 0.0  # raised 1 m: nothing below 0.3 m
    assert "ft converted to metres" in item["water_level"]


def test_dem_in_another_unit_is_refused(coast, raster_writer):
    path = raster_writer("dem_kg.tif", DEM, transform=T)
    with rasterio.open(path, "r+") as dataset:
        dataset.units = ("kg",)
    with pytest.raises(DataError, match=r"hazards\[0\] \(slr\)\.dem \(dem_kg\.tif\).*'kg'"):
        _run(coast, _slr(dem="dem_kg.tif"))


# ------------------------------------------------------ 2. SRTM's undeclared nodata


def test_undeclared_srtm_nodata_is_refused(coast, raster_writer):
    """Two sea cells hold SRTM's void value -32768 with no nodata declared: as ground
    they would be the sea's floor 32 km deep; refused as ``mecc hazard flood`` does."""
    dem = DEM.copy()
    dem[0, 0] = dem[4, 0] = -32768.0
    raster_writer("dem_srtm.tif", dem, transform=T)
    with pytest.raises(
        DataError,
        match=r"dem \(dem_srtm\.tif\): elevation value -32768 \(row 1, column 1, 2 cell\(s\)\)"
        r" is below -500 m.*undeclared nodata",
    ):
        _run(coast, _slr(dem="dem_srtm.tif"))


# ---------------------------------------------------------------- 3. three datums


def _level(**spec):
    base = {"dem_datum": "EGM2008", "high_tide": 1.8, "slr": 0.6}
    return water_level({**base, **spec}, WHERE)[0]


def test_each_height_moves_from_its_own_datum():
    # the probe's case: LAT 1 m below EGM2008 (heights in LAT - 1 = heights in EGM2008),
    # the rise counted from the DEM's datum: 1.8 - 1.0 + 0.6 = 1.4 m (was 2.4 m)
    assert _level(
        tide_datum="LAT", slr_baseline="EGM2008", datum_offsets={"LAT": -1.0}
    ) == pytest.approx(1.4)
    # DEM, tide and baseline in three datums: the tide moves by its offset; the rise, a
    # change of level, is 0.6 m in every datum: 1.8 - 1.0 + 0.6 = 1.4 m again
    assert _level(
        tide_datum="LAT",
        slr_baseline="MSL 1995-2014",
        datum_offsets={"LAT": -1.0, "MSL 1995-2014": 0.5},
    ) == pytest.approx(1.4)
    # tide and baseline in one datum 0.2 m above the DEM's: 1.8 + 0.2 + 0.6 = 2.6 m
    assert _level(
        tide_datum="MSL", slr_baseline="MSL", datum_offsets={"MSL": 0.2}
    ) == pytest.approx(2.6)
    # the tide in the DEM's datum, the baseline elsewhere (no offset needed): 1.8 + 0.6
    assert _level(tide_datum="EGM2008", slr_baseline="MSL 1995-2014") == pytest.approx(2.4)


def test_three_datums_in_a_run(coast):
    """DEM in EGM2008, high tide 1.8 m above LAT (LAT: -1.0 m), rise 0.6 m from
    MSL 1995-2014 (+0.5 m): level 1.4 m, 100 people. Adding the baseline's offset (1.9 m)
    would count 150; the former formula (tide + baseline offset + rise, 2.9 m) 214."""
    hazard = _slr(
        tide_datum="LAT",
        high_tide=1.8,
        baseline="MSL 1995-2014",
        offsets={"LAT": -1.0, "MSL 1995-2014": 0.5},
    )
    item = _run(coast, hazard)["hazards"]["slr"]
    assert item["at_risk_relocation"] == pytest.approx(100)
    assert "1.400 m in EGM2008" in item["water_level"]
    assert "high tide 1.8 m in LAT (offset -1 m" in item["water_level"]


def test_tide_datum_without_an_offset_is_still_refused():
    with pytest.raises(DataError, match=r"\(slr\)\.tide_datum: 'LAT' differs from the DEM"):
        _level(tide_datum="LAT", slr_baseline="EGM2008", datum_offsets={"MSL": 0.2})


# ------------------------------------------------------------- 4-6. drought classes


def _drought(classes):
    return (
        "  - id: dry\n    type: drought\n    intensity: spei.tif\n    unit: SPEI\n"
        f"    scenario: 2022 drought\n    classes: {classes}\n"
    )


@pytest.mark.parametrize(
    ("classes", "message"),
    [
        # 4. a repeated name: the first class's people vanished
        (
            "{bounds: [1.0, 1.5, 2.0], names: [a, a, b]}",
            "run.yaml.hazards[0].classes.names[1]: 'a' names two classes",
        ),
        # 5. outside drought's valid range (0 to 5 -SPEI), or not numbers
        (
            "{bounds: [1.0, 7.0], names: [a, b]}",
            "run.yaml.hazards[0].classes.bounds[1]: 7 is outside drought's valid range",
        ),
        (
            "{bounds: [0, 1.0], names: [a, b]}",
            "run.yaml.hazards[0].classes.bounds[0]: 0 is outside drought's valid range",
        ),
        (
            "{bounds: ['1', '1.5'], names: [a, b]}",
            "run.yaml.hazards[0].classes.bounds[0]: expected a number, got '1'",
        ),
        # 6. one line naming the key
        (
            "{bounds: [-1.0, 1.5, 2.0], names: [a, b, c]}",
            "run.yaml.hazards[0].classes.bounds[0]: -1 is outside drought's valid range",
        ),
        (
            "{bounds: [1.5, 1.0, 2.0], names: [b, a, c]}",
            "run.yaml.hazards[0].classes.bounds[1]: 1 after 1.5; the bounds must increase",
        ),
        (
            "{bounds: [1.0, 1.0, 2.0], names: [a, b, c]}",
            "run.yaml.hazards[0].classes.bounds[1]: 1 after 1; the bounds must increase",
        ),
        (
            "{bounds: [1.0, 1.5, 2.0], names: [a, b]}",
            "run.yaml.hazards[0].classes.names: 2 name(s) for 3 bound(s)",
        ),
        (
            "{bound: [1.0], names: [a]}",
            "run.yaml.hazards[0].classes: unknown key 'bound'; did you mean 'bounds'?",
        ),
        ("{names: [a]}", "run.yaml.hazards[0].classes.bounds: give a list"),
    ],
    ids=[
        "duplicate-names",
        "bound-7",
        "bound-0",
        "string-bounds",
        "negative",
        "unordered",
        "equal",
        "mismatch",
        "misspelt-key",
        "no-bounds",
    ],
)
def test_bad_drought_classes_are_refused_naming_the_key(coast, classes, message):
    with pytest.raises(ConfigError) as error:
        load_config(_write(coast, _drought(classes)))
    assert str(error.value).startswith(message), str(error.value)
    assert "\n" not in str(error.value)


def test_custom_drought_classes_by_hand(coast):
    """Deficits per column: 0.5, 1.2, 1.6, 2.5, NaN, -0.3, 1.0. Classes from 0.8 (mild),
    1.1 (moderate) and 2.0 (extreme): mild column 6, moderate columns 1 and 2, extreme 3."""
    item = _run(coast, _drought("{bounds: [0.8, 1.1, 2.0], names: [mild, moderate, extreme]}"))
    column = PEOPLE.sum(axis=0)  # 0, 92, 122, 25, 500, 500, 35
    assert item["hazards"]["dry"]["classes"] == {
        "mild": pytest.approx(35),
        "moderate": pytest.approx(92 + 122),
        "extreme": pytest.approx(25),
    }
    assert column[6] == 35 and column[1] + column[2] == 214 and column[3] == 25


# ------------------------------------------------------- 7. absurd rises and tides


@pytest.mark.parametrize(
    ("key", "value"),
    [("slr", 500), ("slr", 1e9), ("high_tide", 1e6), ("high_tide", 100.5)],
    ids=["slr-500", "slr-1e9", "tide-1e6", "tide-100.5"],
)
def test_above_the_valid_range_is_refused(key, value):
    spec = {"tide_datum": "EGM2008", "slr_baseline": "EGM2008", key: value}
    with pytest.raises(ConfigError, match=rf"\(slr\)\.{key}: .* above the sea-level-rise valid"):
        _level(**spec)


def test_the_valid_range_top_itself_is_accepted():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MeccWarning)
        # 100 m of rise + 1.8 m of tide, both in the DEM's datum
        assert _level(tide_datum="EGM2008", slr_baseline="EGM2008", slr=100) == pytest.approx(101.8)


@pytest.mark.parametrize(
    ("key", "value", "bound"),
    [("slr", 12.0, "10.4"), ("high_tide", 17.0, "16.3")],
    ids=["slr", "high_tide"],
)
def test_implausible_rise_or_tide_is_warned_about(key, value, bound):
    spec = {"tide_datum": "EGM2008", "slr_baseline": "EGM2008", key: value}
    with pytest.warns(MeccWarning, match=rf"\(slr\)\.{key}: {value:g} m is above {bound} m"):
        level = _level(**spec)
    assert level == pytest.approx(spec.get("high_tide", 1.8) + spec.get("slr", 0.6))


def test_plausible_rise_and_tide_are_not_warned_about():
    with warnings.catch_warnings():
        warnings.simplefilter("error", MeccWarning)
        assert _level(
            tide_datum="EGM2008", slr_baseline="EGM2008", slr=10.4, high_tide=16.3
        ) == pytest.approx(26.7)


def test_a_future_absurd_rise_is_refused(coast):
    futures = "futures:\n  - id: far\n    hazards: {slr: {slr: 300}}\n"
    with pytest.raises(
        ConfigError, match=r"futures\[0\]\.hazards\.slr\.slr: 300 m is above the sea-level-rise"
    ):
        _run(coast, _slr(), futures)
