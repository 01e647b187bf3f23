"""The array layer (mecc.arrays): xarray / GeoDataFrame in, xarray out.

Expected numbers are worked out here by hand or with plain numpy; the Austrian case is
checked against the run tool on the same files and against CLIMADA's reference AAD.
"""

from __future__ import annotations

import copy
import json
import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from mecc import errors

CRS = {"crs": "EPSG:4326"}
Y = [0.25, 0.15, 0.05]  # cell centres of 0.1-degree cells, north-up
X = [10.05, 10.15, 10.25]


def grid(values, *, attrs=CRS, y=Y, x=X, bands=None):
    values = np.asarray(values)
    if values.ndim == 2:
        return xr.DataArray(values, {"y": y, "x": x}, ("y", "x"), attrs=dict(attrs))
    labels = bands or list(range(1, values.shape[0] + 1))
    return xr.DataArray(
        values, {"band": labels, "y": y, "x": x}, ("band", "y", "x"), attrs=dict(attrs)
    )


def two_units(crs="EPSG:4326"):
    """West: the left two columns (x 10.0-10.2); east: the right column (10.2-10.3)."""
    import geopandas as gpd
    from shapely.geometry import box

    return gpd.GeoDataFrame(
        {"zone_code": ["W", "E"], "name": ["West", "East"]},
        geometry=[box(10.0, 0.0, 10.2, 0.3), box(10.2, 0.0, 10.3, 0.3)],
        crs=crs,
    )


PEOPLE = np.array([[10.0, 20.0, 30.0], [40.0, 50.0, 60.0], [70.0, 80.0, 90.0]])
DEPTH = np.array(
    [
        [[0.0, 0.6, 1.2], [0.05, 1.0, 2.0], [np.nan, 0.3, 1.6]],  # band "a"
        [[0.2, 0.0, 0.0], [1.5, 0.5, 0.09], [0.7, np.nan, 0.1]],  # band "b"
    ]
)


# ------------------------------------------------------------------ hand-computed


@pytest.fixture
def tiny():
    from mecc.arrays import displacement

    return displacement(
        grid(PEOPLE), grid(DEPTH, bands=["a", "b"]), two_units(), "flood_step_1m", cells=True
    )


def test_tiny_case_by_hand(tiny):
    """3 x 3 cells, units W (two left columns) and E (right column), two bands.

    flood_step_1m: central step 1 m, low 1.5 m, high 0.5 m; exposed: depth >= 0.1 m;
    NaN depth: the cell's people are "no hazard data".
    Band a: W cells depth (0, .6, .05, 1.0, nan, .3) people (10, 20, 40, 50, 70, 80);
            E cells depth (1.2, 2.0, 1.6) people (30, 60, 90).
    Band b: W depth (.2, 0, 1.5, .5, .7, nan); E depth (0, .09, .1).
    """
    assert tiny["zone"].values.tolist() == ["W", "E", "__outside__"]
    assert tiny["band"].values.tolist() == ["a", "b"]
    assert tiny["variant"].values.tolist() == ["low", "central", "high"]
    np.testing.assert_allclose(tiny["population"].values, [270.0, 180.0, 0.0])
    exposed = {"W": [20 + 50 + 80, 10 + 40 + 50 + 70], "E": [180, 90]}
    central = {"W": [50, 40], "E": [180, 0]}  # depth >= 1.0
    low = {"W": [0, 40], "E": [60 + 90, 0]}  # depth >= 1.5
    high = {"W": [20 + 50, 40 + 50 + 70], "E": [180, 0]}  # depth >= 0.5
    nhd = {"W": [70, 80], "E": [0, 0]}
    for code in ("W", "E"):
        z = tiny.sel(zone=code)
        np.testing.assert_allclose(z["exposed"].values, exposed[code])
        np.testing.assert_allclose(z["displaced"].sel(variant="central").values, central[code])
        np.testing.assert_allclose(z["displaced"].sel(variant="low").values, low[code])
        np.testing.assert_allclose(z["displaced"].sel(variant="high").values, high[code])
        np.testing.assert_allclose(z["no_hazard_data"].values, nhd[code])
    assert tiny.sel(zone="__outside__")["displaced"].values.sum() == 0
    assert "low: flood_step_1m:low" in tiny.attrs["variants"]
    assert "fewer" in tiny.attrs["variants"] and "more" in tiny.attrs["variants"]
    # per cell, central curve, bands summed with weight 1; NaN where no hazard data in any band
    cells = np.array([[0, 0, 30], [40, 50, 60], [0, 0, 90]], dtype=float)
    got = tiny["displaced_cells"].values
    assert np.isnan(got).sum() == 0  # each NaN cell has data in the other band
    np.testing.assert_allclose(got, cells)


def test_annual_and_pmd_by_hand(tiny):
    from mecc.arrays import annual_displacement

    out = annual_displacement(tiny, [0.1, 0.02], return_periods=[5, 10, 50])
    aad = out["aad"].sel(variant="central")
    np.testing.assert_allclose(aad.sel(zone="W"), 0.1 * 50 + 0.02 * 40)
    np.testing.assert_allclose(aad.sel(zone="E"), 0.1 * 180)
    np.testing.assert_allclose(out["aad_national"].sel(variant="central"), 0.1 * 230 + 0.02 * 40)
    # W: events 50 (f 0.1) and 40 (f 0.02): sorted descending 50, 40; cumulative 0.1, 0.12;
    # return periods 1/0.12 = 8.33 (40) and 10 (50); PMD(10) = 50; 5 and 50 years lie
    # outside 1/sum f = 8.33 .. 1/min f = 50 -> 5 undefined, 50 at the flat top = 50
    pmd = out["pmd"].sel(variant="central", zone="W").values
    assert np.isnan(pmd[0])
    np.testing.assert_allclose(pmd[1:], [50.0, 50.0])
    members = annual_displacement(tiny, [0.1, 0.02], member=["m1", "m2"])
    # each member alone rescaled to the whole 0.12 a year
    w = members.sel(zone="W", variant="central")
    np.testing.assert_allclose(w["aad_member_min"], 0.12 * 40)
    np.testing.assert_allclose(w["aad_member_max"], 0.12 * 50)


def test_return_periods_by_hand(tiny):
    from mecc.arrays import return_period_displacement

    d1, d2 = 50.0, 40.0  # W central in maps a (10 years) and b (100 years)
    out = return_period_displacement(tiny, [10, 100], periods=[10, 31.6227766016838, 100, 250])
    w = out.sel(zone="W", variant="central")
    np.testing.assert_allclose(w["aad"], (0.1 - 0.01) * (d1 + d2) / 2)
    np.testing.assert_allclose(w["aad_tail"], 0.01 * d2)
    np.testing.assert_allclose(w["aad_climada"], d1 * (0.1 - 0.01) + d2 * 0.01)
    np.testing.assert_allclose(w["pmd"].values[:3], [d1, (d1 + d2) / 2, d2])
    assert np.isnan(w["pmd"].values[3])
    p = 10**1.5  # halfway in log T: D(P) = 45
    prot = return_period_displacement(tiny, [10, 100], {"W": p}).sel(variant="central")
    np.testing.assert_allclose(prot["aad"].sel(zone="W"), (1 / p - 0.01) * (45 + d2) / 2)
    np.testing.assert_allclose(prot["aad"].sel(zone="E"), (0.1 - 0.01) * 180 / 2)
    assert prot["protection_rp"].sel(zone="W") == p and np.isnan(
        prot["protection_rp"].sel(zone="E")
    )
    with pytest.warns(
        errors.MeccWarning,
        match=r"protection_rp: the protection standard \(100 years\) is at or above",
    ):
        none = return_period_displacement(tiny, [10, 100], 100)  # at the largest map
    assert float(none["aad_national"].sel(variant="central")) == 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error", errors.MeccWarning)  # below the largest: no word
        return_period_displacement(tiny, [10, 100], {"W": p})


def test_national_pmd_outside_the_maps_is_not_known(tiny):
    """Outside the maps' return periods every unit's PMD is undefined (NaN), and so is
    the nation's, as `mecc run` leaves it null: a sum of nothing known is not 0. Inside,
    the national figure is the units' sum (W 50 + E 180 at 10 years)."""
    from mecc.arrays import return_period_displacement

    out = return_period_displacement(tiny, [10, 100], periods=[5, 10, 250])
    national = out["pmd_national"].sel(variant="central").values
    assert np.isnan(national[0]) and np.isnan(national[2])
    np.testing.assert_allclose(national[1], 50.0 + 180.0)


def test_south_up_and_index_zones_give_the_same_cells(tiny):
    """y ascending (south-up) and a zone-index grid: the same figures, cells in the
    caller's order."""
    from mecc.arrays import displacement

    flipped_y = Y[::-1]
    people = grid(PEOPLE[::-1], y=flipped_y)
    depth = grid(DEPTH[:, ::-1], y=flipped_y, bands=["a", "b"])
    index = grid(np.array([[0, 0, 1]] * 3), y=flipped_y, attrs={**CRS, "zone_codes": ["W", "E"]})
    index = index.astype(np.int32)
    index.attrs = {**CRS, "zone_codes": ["W", "E"]}
    out = displacement(people, depth, index, cells=True)
    for name in ("population", "exposed", "displaced", "no_hazard_data"):
        np.testing.assert_allclose(out[name].values, tiny[name].values)
    np.testing.assert_allclose(out["displaced_cells"].values, tiny["displaced_cells"].values[::-1])
    assert out["displaced_cells"]["y"].values.tolist() == flipped_y


def test_nodata_attrs_float32_and_fraction():
    """_FillValue / nodata in attrs: population 0, hazard "no hazard data"; float32
    depth of 0.1 counts as exposed (the threshold compared at the grid's precision)."""
    from mecc.arrays import displacement

    people = PEOPLE.copy()
    people[0, 0] = -9999.0
    depth = np.array([[0.1, 0.1, -1.0], [0.1, 0.1, 3.0], [0.1, 0.1, 3.0]], dtype=np.float32)
    share = np.full((3, 3), 0.5)
    out = displacement(
        grid(people, attrs={**CRS, "_FillValue": -9999.0}),
        xr.DataArray(depth, {"y": Y, "x": X}, ("y", "x"), attrs={**CRS, "nodata": -1.0}),
        two_units(),
        variants=False,
        fraction=grid(share),
    )
    # one curve: the variant dimension stays, of size 1 ("central"), for a stable shape
    assert out["displaced"].dims == ("zone", "band", "variant")
    assert out["variant"].values.tolist() == ["central"]
    out = out.sel(variant="central")
    np.testing.assert_allclose(out["population"].values, [260.0, 180.0, 0.0])
    # W: every cell at 0.1 m (float32) -> exposed x fraction 0.5; E: 30 people no data
    np.testing.assert_allclose(out["exposed"].values[:, 0], [130.0, 75.0, 0.0])
    np.testing.assert_allclose(out["displaced"].values[:, 0], [0.0, 75.0, 0.0])
    np.testing.assert_allclose(out["no_hazard_data"].values[:, 0], [0.0, 30.0, 0.0])


def test_units_and_hazard_type():
    from mecc.arrays import displacement

    depth_cm = grid(DEPTH[0] * 100, attrs={**CRS, "units": "cm"})
    out = displacement(grid(PEOPLE), depth_cm, two_units(), variants=False)
    out = out.sel(variant="central")
    np.testing.assert_allclose(out["displaced"].values[:, 0], [50.0, 180.0, 0.0])
    wind = grid(np.full((3, 3), 40.0))
    out = displacement(
        grid(PEOPLE), wind, two_units(), {"step": 33.0}, hazard_type="tropical_cyclone"
    )
    assert out.attrs["exposure_threshold"] == 17.5 and out.attrs["unit"] == "m/s"
    np.testing.assert_allclose(
        out["displaced"].sel(variant="central").values[:, 0], [270.0, 180.0, 0.0]
    )


# -------------------------------------------------------------------------- bad input


def _bad_cases():
    import geopandas as gpd
    from shapely.geometry import box

    dup = gpd.GeoDataFrame(
        {"zone_code": ["W", "W"]},
        geometry=[box(10, 0, 10.2, 0.3), box(10.2, 0, 10.3, 0.3)],
        crs="EPSG:4326",
    )
    shifted = [x + 0.05 for x in X]
    irregular = [10.05, 10.15, 10.3]
    return {
        "hazard CRS": (
            {"hazard": grid(DEPTH, attrs={"crs": "EPSG:3857"})},
            errors.AlignmentError,
            "hazard",
        ),
        "zones CRS": ({"zones": two_units("EPSG:32633")}, errors.AlignmentError, "zones"),
        "no CRS": ({"population": grid(PEOPLE, attrs={})}, errors.MissingCRSError, "population"),
        "shifted": ({"hazard": grid(DEPTH, x=shifted)}, errors.AlignmentError, "hazard"),
        "shape": ({"hazard": grid(DEPTH[:, :2], y=Y[:2])}, errors.AlignmentError, "hazard"),
        "irregular": ({"hazard": grid(DEPTH, x=irregular)}, errors.AlignmentError, "hazard"),
        "not an array": ({"hazard": DEPTH}, errors.DataError, "hazard"),
        "dims": (
            {"population": xr.DataArray(PEOPLE, dims=("r", "c"), attrs=CRS)},
            errors.DataError,
            "population",
        ),
        "negative": ({"population": grid(-PEOPLE)}, errors.DataError, "population"),
        "type": ({"hazard_type": "river_floods"}, errors.ConfigError, "hazard_type"),
        "curve": ({"curve": "flood_step_1x"}, errors.InputFileError, "curve"),
        "threshold": ({"exposure_threshold": -1.0}, errors.ConfigError, "exposure_threshold"),
        "fraction": ({"fraction": grid(DEPTH * 100)}, errors.DataError, "fraction"),
        "code column": ({"zone_code": "iso"}, errors.DataError, "zones"),
        "duplicate": ({"zones": dup}, errors.DuplicateZoneCodeError, "zones"),
        "frequency": ({"cells": True, "frequency": [0.1]}, errors.DataError, "frequency"),
        "variants": ({"variants": "yes"}, errors.ConfigError, "variants"),
    }


BUILTIN = {errors.InputFileError: OSError}


@pytest.mark.parametrize("case", list(_bad_cases()))
def test_bad_input_is_refused_naming_the_argument(case):
    from mecc.arrays import displacement

    change, kind, argument = _bad_cases()[case]
    args = {"population": grid(PEOPLE), "hazard": grid(DEPTH), "zones": two_units(), **change}
    with pytest.raises(kind) as info:
        displacement(**args)
    assert isinstance(info.value, BUILTIN.get(kind, ValueError))
    message = str(info.value)
    assert "\n" not in message and argument in message.split(":")[0], message


def test_bad_risk_arguments(tiny):
    from mecc.arrays import annual_displacement, return_period_displacement

    for call, argument in (
        (lambda: annual_displacement(tiny, [0.1]), "frequency"),
        (lambda: annual_displacement(tiny, [0.1, -1.0]), "frequency"),
        (lambda: annual_displacement(tiny, [2.0, 5.0]), "frequency"),  # return periods
        (lambda: return_period_displacement(tiny), "return_periods"),  # labels a, b
        (lambda: return_period_displacement(tiny, [10, 10]), "return_periods"),
        (lambda: return_period_displacement(tiny, [10, 100], {"X": 5}), "protection_rp"),
    ):
        with pytest.raises(errors.DataError) as info:
            call()
        assert isinstance(info.value, ValueError) and str(info.value).startswith(argument)


# ------------------------------------------------------------------------ no mutation


def test_inputs_are_not_modified():
    from geopandas.testing import assert_geodataframe_equal

    from mecc.arrays import annual_displacement, displacement

    people = grid(PEOPLE[::-1].copy(), y=Y[::-1], attrs={**CRS, "_FillValue": -9999.0})
    people.values[0, 0] = -9999.0
    people.encoding = {"dtype": "float32", "scale_factor": 1.0}
    depth = grid(DEPTH[:, ::-1].astype(np.float32), y=Y[::-1], attrs={**CRS, "nodata": -1.0})
    depth.values[0, 0, 0] = -1.0
    depth.encoding = {"_FillValue": -1.0}
    share = grid(np.full((2, 3, 3), 0.5), y=Y[::-1])
    units = two_units()
    before = [copy.deepcopy(v) for v in (people, depth, share, units)]
    result = displacement(people, depth, units, fraction=share, cells=True, frequency=[0.1, 0.01])
    annual_displacement(result, xr.DataArray([0.1, 0.01], {"band": [1, 2]}, ("band",)))
    for got, kept in zip((people, depth, share), before[:3], strict=True):
        xr.testing.assert_identical(got, kept)
        assert got.encoding == kept.encoding and got.attrs == kept.attrs
        assert got.dtype == kept.dtype and got.values.flags.writeable
    assert_geodataframe_equal(units, before[3])
    assert units.attrs == before[3].attrs


# ----------------------------------------------------------------------- README example


def test_readme_python_api_example():
    """README's "Python API" example runs as written there and prints what it shows."""
    import contextlib
    import io
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    part = readme[readme.index("## Python API") : readme.index("## Speed")]
    code, shown = re.findall(r"```python\n(.*?)```\n\n```\n(.*?)```", part, re.S)[0]
    namespace = {}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(code, namespace)
    assert printed.getvalue() == shown
    aad = namespace["risk"]["aad"]
    # east: 3 cells of 100 people at 2.0 m (event 1) and 1.2 m (event 2), 1 m step
    assert aad.sel(variant="central", zone="east") == pytest.approx(300 * 0.1 + 300 * 0.01)
    assert aad.sel(variant="central", zone="west") == 0.0
    # the high variant (0.5 m step) also displaces west's 0.5 m cells in event 1
    assert aad.sel(variant="high", zone="west") == pytest.approx(300 * 0.1)


# ----------------------------------------------------------------------------- Austria


@pytest.mark.shared_data
def test_austria_matches_the_run_and_climada(shared_data, tmp_path):
    import geopandas as gpd
    import rasterio
    import yaml

    from mecc.arrays import annual_displacement, displacement
    from mecc.run import run_country

    data = shared_data / "austria_flood"

    def read(name, bands):
        with rasterio.open(data / name) as src:
            values, t, wkt = (src.read() if bands else src.read(1)), src.transform, src.crs.to_wkt()
        h, w = values.shape[-2:]
        coords = {"y": t.f + t.e * (np.arange(h) + 0.5), "x": t.c + t.a * (np.arange(w) + 0.5)}
        dims = ("y", "x")
        if bands:
            coords, dims = {"band": np.arange(1, values.shape[0] + 1), **coords}, ("band", *dims)
        array = xr.DataArray(values, coords, dims)
        return array.assign_coords(spatial_ref=xr.DataArray(0, attrs={"crs_wkt": wkt}))

    population = read("pop_count.tif", False)
    depth = read("hazard_depth.tif", True)
    fraction = read("hazard_fraction.tif", True)
    districts = gpd.read_file(data / "bezirke_995_geo.json")
    events = pd.read_csv(data / "events.csv").set_index("band").sort_index()
    with pytest.warns(errors.MeccWarning, match="overlap"):  # Vienna 900 and its districts
        plain = displacement(population, depth, districts, "flood_step_0.5m", zone_code="iso")
        wet = displacement(
            population, depth, districts, "flood_step_0.5m", zone_code="iso", fraction=fraction
        )
    config = {
        "country": "AUT",
        "name": "Austria",
        "population": {"path": str(data / "pop_count.tif"), "kind": "count", "year": 2018},
        "zones": {"path": str(data / "bezirke_995_geo.json"), "code_field": "iso", "level": 2},
        "hazards": [
            {
                "id": h,
                "type": "river_flood",
                "intensity": str(data / "hazard_depth.tif"),
                "events": str(data / "events.csv"),
                "curve": "flood_step_0.5m",
                **extra,
            }
            for h, extra in (("step", {}), ("wet", {"fraction": str(data / "hazard_fraction.tif")}))
        ],
    }
    run_file = tmp_path / "austria.yaml"
    run_file.write_text(yaml.safe_dump(config), encoding="utf-8")
    run_country(run_file, tmp_path / "out")
    zones = pd.read_csv(
        tmp_path / "out" / "zones.csv", encoding="utf-8-sig", dtype={"zone_code": str}
    )
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    reference = json.loads((data / "climada_reference_step05.json").read_text(encoding="utf-8"))
    for hazard_id, result, key in (
        ("step", plain, "aad_no_fraction"),
        ("wet", wet, "aad_with_fraction"),
    ):
        risk = annual_displacement(result, events["frequency"]).sel(variant="central")
        rows = zones[zones["hazard_id"] == hazard_id].set_index("zone_code")
        codes = [str(c) for c in result["zone"].values]
        assert sorted(codes) == sorted(rows.index)
        np.testing.assert_allclose(
            risk["aad"].values, rows.loc[codes, "aad"].to_numpy(), rtol=1e-12, atol=1e-9
        )
        # zones.csv leaves a unit without a cell blank; the array layer keeps the grid's 0
        np.testing.assert_allclose(
            result["population"].values,
            rows.loc[codes, "population"].fillna(0.0).to_numpy(),
            rtol=1e-12,
        )
        np.testing.assert_allclose(
            risk["pmd"].values,
            rows.loc[codes, [f"pmd_{t}" for t in (10, 25, 50, 100, 250)]].to_numpy(),
            rtol=1e-12,
            atol=1e-9,
        )
        national = float(risk["aad_national"])
        assert national == pytest.approx(summary["hazards"][hazard_id]["aad"], rel=1e-12)
        assert national == pytest.approx(reference[key], rel=1e-9)
