"""Fixes of the array layer (mecc.arrays): population density, CF packing, per-band
matching, errors naming the argument, the run's warnings, protected per-band figures,
grids one cell wide, notebook wording and a stable ``variant`` dimension.

Expected numbers are worked out by hand or with independent numpy / pyproj.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from mecc import errors

CRS = {"crs": "EPSG:4326"}
Y = [0.25, 0.15, 0.05]
X = [10.05, 10.15, 10.25]


def grid(values, *, attrs=CRS, y=Y, x=X, bands=None, dtype=None):
    values = np.asarray(values, dtype=dtype)
    if values.ndim == 2:
        return xr.DataArray(values, {"y": y, "x": x}, ("y", "x"), attrs=dict(attrs))
    labels = bands or list(range(1, values.shape[0] + 1))
    return xr.DataArray(
        values, {"band": labels, "y": y, "x": x}, ("band", "y", "x"), attrs=dict(attrs)
    )


def one_unit():
    import geopandas as gpd
    from shapely.geometry import box

    return gpd.GeoDataFrame(
        {"zone_code": ["all"]}, geometry=[box(10.0, 0.0, 10.3, 0.3)], crs="EPSG:4326"
    )


def two_units():
    import geopandas as gpd
    from shapely.geometry import box

    return gpd.GeoDataFrame(
        {"zone_code": ["W", "E"]},
        geometry=[box(10.0, 0.0, 10.2, 0.3), box(10.2, 0.0, 10.3, 0.3)],
        crs="EPSG:4326",
    )


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


# ------------------------------------------------------------- 1. density population


def _geodesic_km2(lat_south, lat_north, width_deg=0.1):
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    lons = [0.0, width_deg, width_deg, 0.0]
    lats = [lat_south, lat_south, lat_north, lat_north]
    area, _ = geod.polygon_area_perimeter(lons, lats)
    return abs(area) / 1e6


def test_density_stated_in_attrs_is_converted_by_cell_area():
    from mecc.arrays import displacement

    density = grid(np.full((3, 3), 100.0), attrs={**CRS, "units": "persons per square kilometre"})
    depth = grid(np.full((1, 3, 3), 2.0))
    out = quiet(displacement, density, depth, one_unit(), variants=False)
    rows = [_geodesic_km2(0.2, 0.3), _geodesic_km2(0.1, 0.2), _geodesic_km2(0.0, 0.1)]
    expected = 100.0 * 3 * sum(rows)  # about 110,800 people, not 900
    assert float(out["population"].sel(zone="all")) == pytest.approx(expected, rel=1e-6)
    assert float(out["displaced"].sum()) == pytest.approx(expected, rel=1e-6)
    # the same by argument, on an array that states nothing
    given = quiet(
        displacement,
        grid(np.full((3, 3), 100.0)),
        depth,
        one_unit(),
        variants=False,
        population_kind="density",
    )
    assert float(given["population"].sum()) == pytest.approx(expected, rel=1e-6)
    with pytest.raises(errors.ConfigError, match=r"^population_kind: 'count'.*density"):
        displacement(density, depth, one_unit(), population_kind="count")
    with pytest.raises(errors.ConfigError, match=r"^population_kind: give 'count' or"):
        displacement(grid(np.ones((3, 3))), depth, one_unit(), population_kind="people")


# ---------------------------------------------------------------------- 2. packing


def test_packed_values_are_unscaled_after_nodata():
    from mecc.arrays import displacement

    packed = {**CRS, "scale_factor": 0.01, "add_offset": 0.0, "_FillValue": -32768}
    raw = np.array([[[40, 60, 120]] * 3], dtype=np.int16)  # 0.4, 0.6, 1.2 m
    raw[0, 0, 0] = -32768  # nodata on the raw value
    depth = grid(raw, attrs=packed)
    # population packed too: raw 5 x 20 = 100 people, raw -1 is nodata (not -20)
    pop_raw = np.full((3, 3), 5, dtype=np.int16)
    pop_raw[2, 2] = -1
    people = grid(pop_raw, attrs={**CRS, "scale_factor": 20.0, "_FillValue": -1})
    out = quiet(displacement, people, depth, two_units(), "flood_step_0.5m", variants=False)
    out = out.sel(variant="central", band=1)
    # W: columns 0.4 m (step 0.5: 0) and 0.6 m (all); E: 1.2 m, one cell nodata population
    np.testing.assert_allclose(out["population"].values, [600.0, 200.0, 0.0])
    np.testing.assert_allclose(out["displaced"].values, [300.0, 200.0, 0.0])
    np.testing.assert_allclose(out["no_hazard_data"].values, [100.0, 0.0, 0.0])
    # a packed flooded fraction: raw 50 x 0.01 = half of each cell
    share = grid(np.full((1, 3, 3), 50, dtype=np.uint8), attrs={**CRS, "scale_factor": 0.01})
    wet = quiet(
        displacement, people, depth, two_units(), "flood_step_0.5m", variants=False, fraction=share
    )
    np.testing.assert_allclose(
        wet["displaced"].sel(variant="central", band=1).values, [150.0, 100.0, 0.0]
    )


# ------------------------------------------------------------ 3. per-band matching


@pytest.fixture
def four_events():
    from mecc.arrays import displacement

    depth = np.array([2.0, 2.0, 0.0, 2.0])[:, None, None] * np.ones((4, 3, 3))
    stack = grid(depth, bands=[1, 2, 3, 4])
    kept = quiet(
        displacement,
        grid(np.full((3, 3), 100.0)),
        stack.sel(band=[2, 3]),
        one_unit(),
        variants=False,
    )
    return kept


def test_frequency_matched_by_label_or_position_never_guessed(four_events):
    from mecc.arrays import annual_displacement

    events = pd.DataFrame({"band": [1, 2, 3, 4], "frequency": [0.5, 0.1, 0.01, 0.001]})
    # a column with the default index: by position, so 4 values for 2 bands is refused
    with pytest.raises(errors.DataError, match=r"^frequency: 4 values for 2 bands"):
        annual_displacement(four_events, events["frequency"])
    # indexed by band label: band 2 (900 people) at 0.1, band 3 (nobody) at 0.01
    by_band = events.set_index("band")["frequency"]
    with pytest.raises(errors.DataError, match=r"^frequency: .*labels 1, 4 are not bands"):
        annual_displacement(four_events, by_band)
    aad = annual_displacement(four_events, by_band.loc[[3, 2]])["aad_national"]
    assert float(aad.sel(variant="central")) == pytest.approx(900 * 0.1)
    # a Series on other labels is refused, naming what is missing
    other = pd.Series([0.1, 0.01], index=["ev2", "ev3"])
    with pytest.raises(errors.DataError, match=r"no value for band 2, 3.*'ev2', 'ev3'"):
        annual_displacement(four_events, other)
    # plain values and an unlabelled DataArray: in band order
    assert float(
        annual_displacement(four_events, [0.1, 0.01])["aad_national"].sel(variant="central")
    ) == pytest.approx(90.0)
    assert float(
        annual_displacement(four_events, xr.DataArray([0.1, 0.01], dims=("e",)))[
            "aad_national"
        ].sel(variant="central")
    ) == pytest.approx(90.0)
    labelled = xr.DataArray([0.01, 0.1], {"band": [3, 2]}, ("band",))
    assert float(
        annual_displacement(four_events, labelled)["aad_national"].sel(variant="central")
    ) == pytest.approx(90.0)


def test_frequency_of_displacement_cells_uses_the_same_rule():
    from mecc.arrays import displacement

    depth = grid(np.full((2, 3, 3), 2.0), bands=[5, 6])
    s = pd.Series([0.1, 0.2])  # default index 0, 1: by position
    out = quiet(
        displacement, grid(np.full((3, 3), 10.0)), depth, one_unit(), cells=True, frequency=s
    )
    np.testing.assert_allclose(out["displaced_cells"].values, np.full((3, 3), 10.0 * 0.3))
    with pytest.raises(errors.DataError, match=r"^frequency: indexed by labels.*band 5, 6"):
        displacement(
            grid(np.ones((3, 3))),
            depth,
            one_unit(),
            cells=True,
            frequency=pd.Series([0.1, 0.2], index=[1, 2]),
        )


def test_return_periods_refuses_band_numbers():
    from mecc.arrays import displacement, return_period_displacement

    maps = quiet(
        displacement, grid(np.full((3, 3), 10.0)), grid(np.full((2, 3, 3), 2.0)), one_unit()
    )  # bands labelled 1, 2 (as rioxarray labels a GeoTIFF's bands)
    with pytest.raises(errors.DataError, match=r"^return_periods: .*band numbers.*return_periods"):
        return_period_displacement(maps)
    # 90 people in both maps: trapezoid from 1/10 to 1/100 of 90 = 8.1
    aad = return_period_displacement(maps, [10, 100])["aad"].sel(variant="central", zone="all")
    assert float(aad) == pytest.approx(90 * (0.1 - 0.01))


# ------------------------------------------------------------------- 4. bad inputs


def test_bad_inputs_name_the_argument():
    from mecc.arrays import annual_displacement, displacement, return_period_displacement

    people = grid(np.full((3, 3), 10.0))
    depth = grid(np.full((2, 3, 3), 2.0), bands=["e1", "e2"])
    res = quiet(displacement, people, depth, two_units())
    cases = [
        (lambda: annual_displacement(res, ["0.1x", "0.01"]), r"^frequency: give numbers"),
        (
            lambda: annual_displacement(res, [0.1, 0.01], return_periods=["ten"]),
            r"^return_periods: give numbers",
        ),
        (
            lambda: return_period_displacement(res, [10, 100], periods=["a"]),
            r"^periods: give numbers",
        ),
        (
            lambda: return_period_displacement(res, [10, 100], periods=[0.5, 10]),
            r"^periods: .*>= 1",
        ),
        (
            lambda: return_period_displacement(
                res, [10, 100], protection_rp=xr.DataArray([5.0, 5.0, 5.0], dims=("unit",))
            ),
            r"^protection_rp: .*'zone'",
        ),
        (
            lambda: annual_displacement(res, [0.1, 0.1], member=["a", None]),
            r"^member: band 'e2' has no member",
        ),
        (
            lambda: annual_displacement(res, [0.1, 0.1], member=["a", "  "]),
            r"^member: band 'e2' has no member",
        ),
        (
            lambda: displacement(people, depth.assign_coords(band=["e1", "e1"]), two_units()),
            r"^hazard: band label 'e1' appears twice",
        ),
        (
            lambda: displacement(people, depth, two_units(), cells=True, frequency=["a", "b"]),
            r"^frequency: give numbers",
        ),
    ]
    for call, pattern in cases:
        with pytest.raises(errors.DataError, match=pattern):
            call()


# -------------------------------------------------------------------- 5. warnings


def test_the_run_warnings_in_notebook_words():
    import geopandas as gpd
    from shapely.geometry import box

    from mecc.arrays import displacement

    units = gpd.GeoDataFrame(
        {"zone_code": ["W", "gone"]}, geometry=[box(10.0, 0.0, 10.2, 0.3), None], crs=4326
    )
    depth = np.full((2, 3, 3), 2.0)
    depth[0, 0, :] = np.nan  # band 1: the top row (30 of 90 people) without data
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = displacement(grid(np.full((3, 3), 10.0)), grid(depth, bands=["a", "b"]), units)
    messages = [str(w.message) for w in caught if issubclass(w.category, errors.MeccWarning)]
    text = " | ".join(messages)
    assert "zones: 1 unit(s) received no cell of the grid (e.g. gone)" in text
    assert "their figures are not known (NaN), not 0" in text
    # as zones.csv leaves them blank: not known, never 0 people or 0 displaced
    for name in ("exposed", "displaced", "no_hazard_data"):
        assert np.isnan(result[name].sel(zone="gone").values).all(), name
    assert float(result["population"].sel(zone="gone")) == 0.0  # the grid's, as results.nc
    assert float(result["population"].sel(zone="W")) == 60.0  # two columns of 3 x 10
    # east column (30 of 90 people, 33 %) in no unit, above the run's 5 %
    assert "zones: 33% of the people on the analysis grid (30 of 90) lie in no unit" in text
    assert "hazard: 30 people (33% of the 90 on the analysis grid) are on cells without " in text
    assert "in band a" in text and "bands.csv" not in text and "run file" not in text


# ------------------------------------------------------------ 6. protected per band


def test_return_period_displacement_gives_protected_per_band_figures():
    from mecc.arrays import displacement, return_period_displacement

    depth = np.stack([np.full((3, 3), d) for d in (0.5, 1.5, 2.5)])  # maps of 10, 50, 200 y
    res = quiet(
        displacement,
        grid(np.full((3, 3), 10.0)),
        grid(depth, bands=[10, 50, 200]),
        two_units(),
        "flood_step_1m",
        variants=False,
    )
    out = return_period_displacement(res, protection_rp={"W": 50})
    # W (60 people) protected to 50 years: the 10-year map counts nobody, 50 and 200 do
    np.testing.assert_allclose(
        out["displaced_protected"].sel(variant="central", zone="W").values, [0.0, 60.0, 60.0]
    )
    np.testing.assert_allclose(out["exposed_protected"].sel(zone="W").values, [0.0, 60.0, 60.0])
    # E (30 people) unprotected: the maps as given (0.5 m displaces nobody on a 1 m step)
    np.testing.assert_allclose(
        out["displaced_protected"].sel(variant="central", zone="E").values, [0.0, 30.0, 30.0]
    )
    np.testing.assert_allclose(out["exposed_protected"].sel(zone="E").values, [30.0, 30.0, 30.0])
    # the result's own per-band figures stay unprotected
    np.testing.assert_allclose(res["exposed"].sel(zone="W").values, [60.0, 60.0, 60.0])


# ------------------------------------------------------------------ 7. smaller ones


def test_grid_one_row_uses_its_transform():
    from mecc.arrays import displacement

    y, x = [0.25], [10.05, 10.15, 10.25]
    transform = (0.1, 0.0, 10.0, 0.0, -0.1, 0.3)  # a, b, c, d, e, f
    people = xr.DataArray(
        [[10.0, 20.0, 30.0]], {"y": y, "x": x}, ("y", "x"), attrs={**CRS, "transform": transform}
    )
    depth = xr.DataArray([[0.0, 1.0, 2.0]], {"y": y, "x": x}, ("y", "x"), attrs=CRS)
    out = quiet(displacement, people, depth, two_units(), variants=False)
    np.testing.assert_allclose(out["population"].values, [30.0, 30.0, 0.0])
    np.testing.assert_allclose(
        out["displaced"].sel(variant="central").values[:, 0], [20.0, 30.0, 0.0]
    )
    with pytest.raises(errors.AlignmentError, match=r"^population: .*attrs\['transform'\]"):
        displacement(people.drop_attrs().assign_attrs(CRS), depth, two_units())


def test_unit_messages_name_the_argument():
    from mecc.arrays import displacement

    depth = grid(np.full((3, 3), 150.0), attrs={**CRS, "units": "cm"})
    with pytest.raises(errors.ConfigError) as caught:
        displacement(grid(np.ones((3, 3))), depth, two_units(), unit="m")
    message = str(caught.value)
    assert "unit=m" in message and "hazard.attrs['units']" in message
    assert "run file" not in message
    out = quiet(displacement, grid(np.ones((3, 3))), depth, two_units())
    assert "hazard.attrs['units']" in out.attrs["conversion"]


def test_variant_dimension_always_there():
    from mecc.arrays import annual_displacement, displacement

    out = quiet(
        displacement,
        grid(np.full((3, 3), 10.0)),
        grid(np.full((1, 3, 3), 2.0)),
        two_units(),
        variants=False,
    )
    assert out["displaced"].dims == ("zone", "band", "variant")
    assert out["variant"].values.tolist() == ["central"]
    aad = annual_displacement(out, [0.1])["aad"].sel(variant="central", zone="W")
    assert float(aad) == pytest.approx(60 * 0.1)
