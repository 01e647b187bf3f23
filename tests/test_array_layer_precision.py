"""The array layer (mecc.arrays) as a risk modeller uses it in a notebook: float32
coordinates of a CF NetCDF file placed as ``mecc run`` places them, results.nc's band
numbers as the CSV files', results labelled as results.nc, the georeference of
``displaced_cells``, plain band labels in messages and warnings at the caller's line.
Expected figures by hand (numpy)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import rasterio
import xarray as xr
import yaml
from affine import Affine

from mecc import errors

W, H = 400, 40  # a 0.05-degree grid from -25 (west) and -19 (north), as CHIRPS stores it
STEP = 0.05
LON = -25 + STEP / 2 + STEP * np.arange(W)
LAT = -19 - STEP / 2 - STEP * np.arange(H)


def _zones(boxes, codes=None):
    import geopandas as gpd
    from shapely.geometry import box

    codes = codes or [chr(ord("A") + k) for k in range(len(boxes))]
    return gpd.GeoDataFrame({"zone_code": codes}, geometry=[box(*b) for b in boxes], crs=4326)


def _float32_depth(tmp_path):
    depth = np.random.default_rng(1).uniform(0, 2, (H, W)).astype("float32")
    coords = {"lat": LAT.astype("float32"), "lon": LON.astype("float32")}
    xr.Dataset({"depth": (("lat", "lon"), depth, {"units": "m"})}, coords=coords).to_netcdf(
        tmp_path / "depth.nc"
    )
    return depth


def _people():
    coords = {"lat": LAT.copy(), "lon": LON.copy()}  # float64, from the GeoTIFF's transform
    return xr.DataArray(np.full((H, W), 10.0), coords, ("lat", "lon"), attrs={"crs": "EPSG:4326"})


# ------------------------------------------------------------ float32 coordinates (1)


def test_float32_netcdf_gives_the_figures_of_mecc_run(tmp_path):
    from mecc.arrays import annual_displacement, displacement
    from mecc.run import run_country

    depth = _float32_depth(tmp_path)
    with rasterio.open(
        tmp_path / "pop.tif", "w", driver="GTiff", width=W, height=H, count=1,
        dtype="float64", crs="EPSG:4326", transform=Affine(STEP, 0, -25, 0, -STEP, -19),
    ) as f:  # fmt: skip
        f.write(np.full((1, H, W), 10.0))
    _zones([(-25, -21, -5, -19)]).to_file(tmp_path / "z.gpkg")
    pd.DataFrame({"band": [1], "frequency": [0.01]}).to_csv(tmp_path / "ev.csv", index=False)
    config = {
        "country": "XXX",
        "name": "t",
        "population": {"path": "pop.tif", "kind": "count", "year": 2020},
        "zones": {"path": "z.gpkg", "code_field": "zone_code", "level": 1},
        "hazards": [
            {
                "id": "fl",
                "type": "river_flood",
                "intensity": "depth.nc",
                "events": "ev.csv",
                "curve": "flood_step_1m",
            }
        ],
    }
    (tmp_path / "run.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    run_country(tmp_path / "run.yaml", tmp_path / "out", with_map=False)
    rows = pd.read_csv(tmp_path / "out" / "zones.csv", encoding="utf-8-sig")
    run_aad = rows.set_index("zone_code").loc["A"]

    hazard = xr.open_dataset(tmp_path / "depth.nc")["depth"].assign_attrs(crs="EPSG:4326")
    assert hazard["lat"].dtype == np.float32
    result = displacement(_people(), hazard, _zones([(-25, -21, -5, -19)]))
    risk = annual_displacement(result, [0.01])
    hand = float((depth >= 1).sum()) * 10 * 0.01  # 79,800 people in cells >= 1 m, once a century
    assert hand == pytest.approx(798.0)
    assert float(risk["aad"].sel(zone="A", variant="central")) == pytest.approx(hand, rel=1e-12)
    assert run_aad["aad"] == pytest.approx(hand, rel=1e-12)
    for variant in ("low", "high"):
        assert float(risk["aad"].sel(zone="A", variant=variant)) == pytest.approx(
            run_aad[f"aad_{variant}"], rel=1e-12
        )
    # placed from the first and last centre, as mecc run places the file's grid
    from hazards.netcdf import NetCDFFile
    from mecc.array_checks import array_grid, read_crs

    layout = array_grid(hazard, "hazard", read_crs(hazard, "hazard"))
    assert tuple(layout.grid.transform)[:6] == pytest.approx(
        tuple(NetCDFFile(tmp_path / "depth.nc", "depth").grid.transform)[:6], abs=1e-12
    )
    hazard.close()


def test_irregular_axes_are_still_refused(tmp_path):
    from mecc.arrays import displacement

    people = _people()
    for dtype, shift in ((np.float32, 1e-4), (np.float64, 1e-5), (np.float32, 0.01)):
        lon = LON.copy()
        lon[200:] += shift  # one step of 0.05 + shift: beyond the dtype's precision
        hazard = xr.DataArray(
            np.full((H, W), 2.0),
            {"lat": LAT.astype(dtype), "lon": lon.astype(dtype)},
            ("lat", "lon"),
            attrs={"crs": "EPSG:4326"},
        )
        with pytest.raises(errors.AlignmentError, match=r"^hazard: coordinate lon is not regul"):
            displacement(people, hazard, _zones([(-25, -21, -5, -19)]))


def test_float32_grid_shifted_by_more_than_its_precision_is_refused():
    from mecc.arrays import displacement

    shifted = (LON + STEP / 100).astype(np.float32)  # a hundredth of a cell east
    hazard = xr.DataArray(
        np.full((H, W), 2.0),
        {"lat": LAT.astype(np.float32), "lon": shifted},
        ("lat", "lon"),
        attrs={"crs": "EPSG:4326"},
    )
    with pytest.raises(errors.AlignmentError, match=r"^hazard: x of the first cell differs"):
        displacement(_people(), hazard, _zones([(-25, -21, -5, -19)]))


# ----------------------------------------------------------- results.nc band (2)


def test_results_nc_numbers_bands_from_1_as_the_csv_files(tmp_path):
    from mecc.run import run_country

    transform = Affine(0.1, 0, 10, 0, -0.1, 0.3)
    profile = {"driver": "GTiff", "width": 3, "height": 3, "crs": "EPSG:4326"}
    profile["transform"] = transform
    with rasterio.open(tmp_path / "p.tif", "w", count=1, dtype="float64", **profile) as f:
        f.write(np.full((1, 3, 3), 100.0))
    with rasterio.open(tmp_path / "h.tif", "w", count=3, dtype="float64", **profile) as f:
        f.write(np.stack([np.full((3, 3), d) for d in (2.0, 0.0, 0.0)]))  # band 1 floods
    _zones([(10, 0, 10.3, 0.3)]).to_file(tmp_path / "z.gpkg")
    events = {"band": [1, 2, 3], "frequency": [0.1, 0.02, 0.01], "event_name": ["a", "b", "c"]}
    pd.DataFrame(events).to_csv(tmp_path / "ev.csv", index=False)
    config = {
        "country": "XXX",
        "name": "t",
        "population": {"path": "p.tif", "kind": "count", "year": 2020},
        "zones": {"path": "z.gpkg", "code_field": "zone_code", "level": 1},
        "hazards": [
            {
                "id": "fl",
                "type": "river_flood",
                "intensity": "h.tif",
                "events": "ev.csv",
                "curve": "flood_step_1m",
            }
        ],
    }
    (tmp_path / "run.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    run_country(tmp_path / "run.yaml", tmp_path / "out", with_map=False)
    zb = pd.read_csv(tmp_path / "out" / "zones_bands.csv", encoding="utf-8-sig")
    first = zb[(zb["zone_code"] == "A") & (zb["band"] == 1)]["displaced"].item()
    assert first == pytest.approx(900.0)
    with xr.open_dataset(tmp_path / "out" / "results.nc") as ds:
        assert ds["band"].values.tolist() == [1, 2, 3]
        assert "band 1 is the first band" in ds["band"].attrs["comment"]
        assert ds["band"].attrs["long_name"].startswith("band number")
        cell = {"zone": "A", "hazard": "fl", "variant": "central"}
        assert float(ds["displaced"].sel(band=1, **cell)) == pytest.approx(first)  # 900
        assert float(ds["displaced"].sel(band=2, **cell)) == 0.0
        assert ds["band_label"].sel(hazard="fl").values.tolist() == ["1", "2", "3"]
        assert ds["band_event_name"].sel(hazard="fl", band=1).item() == "a"
        assert float(ds["frequency"].sel(hazard="fl", band=1)) == pytest.approx(0.1)
    from mecc.sendai import read_store  # a reader of results.nc: by position, unchanged

    store = read_store(tmp_path / "out")
    assert [str(b) for b in store.main["band_label"].values[0]] == ["1", "2", "3"]


# ------------------------------------------------------------------- labels (3, 4)

Y, X = [0.25, 0.15, 0.05], [10.05, 10.15, 10.25]
CRS = {"crs": "EPSG:4326"}


def _small(labels=("e1", "e2"), spatial_ref=False):
    people = xr.DataArray(np.full((3, 3), 100.0), {"y": Y, "x": X}, ("y", "x"), attrs=CRS)
    depth = np.stack([np.full((3, 3), 2.0), np.array([[0.0, 0.0, 2.0]] * 3)])
    depth = xr.DataArray(depth, {"band": list(labels), "y": Y, "x": X}, ("band", "y", "x"))
    if spatial_ref:
        import pyproj

        ref = xr.DataArray(
            0,
            attrs={
                "crs_wkt": pyproj.CRS("EPSG:4326").to_wkt(),
                "GeoTransform": "10.0 0.1 0.0 0.3 0.0 -0.1",
            },
        )
        people = people.assign_coords(spatial_ref=ref)
        people.attrs = {}  # the CRS in spatial_ref alone, as rioxarray gives it
        return people, depth.assign_coords(spatial_ref=ref)
    return people, depth.assign_attrs(CRS)


def test_results_carry_the_labels_of_results_nc():
    from mecc import tables
    from mecc.arrays import annual_displacement, displacement, return_period_displacement

    people, depth = _small()
    result = displacement(people, depth, _zones([(10, 0, 10.3, 0.3)]), cells=True)
    for name in ("population", "exposed", "displaced", "no_hazard_data", "displaced_cells"):
        assert result[name].attrs["units"] == "people", name
    assert result.attrs["comment"] == tables.MODELLED_NOTE
    assert result.attrs["references"] == tables.METHOD_NOTE
    assert result.attrs["source"].startswith("mecc ")
    assert "low: flood_step_1m:low" in result["variant"].attrs["comment"]

    risk = annual_displacement(result, [0.1, 0.01])
    assert float(risk["aad"].sel(zone="A", variant="central")) == pytest.approx(
        900 * 0.1 + 300 * 0.01
    )
    assert risk["aad"].attrs["units"] == "people per year"
    assert risk["aad_national"].attrs["units"] == "people per year"
    assert risk["pmd"].attrs["units"] == "people"
    assert risk["pmd"].dims == ("zone", "variant", "return_period")  # as the docstring says
    assert "(zone[, variant], return_period)" in annual_displacement.__doc__
    assert risk.attrs["comment"] == tables.MODELLED_NOTE
    assert risk.attrs["references"] == tables.METHOD_NOTE
    assert risk.attrs["curve_central"] == "flood_step_1m"
    assert risk.attrs["hazard_type"] == "river_flood"
    assert risk.attrs["method"].startswith("event set")
    assert "high: flood_step_1m:high" in risk.attrs["variants"]
    assert "crs" not in risk.attrs
    assert risk["variant"].attrs["long_name"] == "curve variant"

    people, depth = _small(labels=(10, 100))
    result = displacement(people, depth, _zones([(10, 0, 10.3, 0.3)]), frequency=[0.1, 0.01],
                          cells=True)  # fmt: skip
    assert result["displaced_cells"].attrs["units"] == "people per year"
    maps = return_period_displacement(result, protection_rp=5)
    assert maps["aad"].attrs["units"] == "people per year"
    assert maps["protection_rp"].attrs["units"] == "years"
    assert maps["displaced_protected"].attrs["units"] == "people"
    assert maps.attrs["comment"] == tables.MODELLED_NOTE
    assert maps.attrs["curve_central"] == "flood_step_1m"


# ------------------------------------------------------ displaced_cells georeference (5)


def test_displaced_cells_keep_the_population_crs():
    from mecc.array_checks import read_crs
    from mecc.arrays import displacement

    people, depth = _small()
    cells = displacement(people, depth, _zones([(10, 0, 10.3, 0.3)]), cells=True)
    assert cells["displaced_cells"].attrs["crs"] == "EPSG:4326"
    assert read_crs(cells["displaced_cells"], "cells").to_epsg() == 4326
    np.testing.assert_array_equal(cells["displaced_cells"].values, [[100, 100, 200]] * 3)

    people, depth = _small(spatial_ref=True)
    cells = displacement(people, depth, _zones([(10, 0, 10.3, 0.3)]), cells=True)
    on = cells["displaced_cells"]
    assert "spatial_ref" in on.coords
    assert on.coords["spatial_ref"].attrs == people.coords["spatial_ref"].attrs
    assert read_crs(on.drop_vars("spatial_ref"), "cells").to_epsg() == 4326  # attrs too
    assert read_crs(on, "cells").to_epsg() == 4326

    import pyproj  # a CRS object in attrs: kept as WKT text, so the result saves to NetCDF

    people, depth = _small()
    people.attrs["crs"] = pyproj.CRS("EPSG:4326")
    cells = displacement(people, depth, _zones([(10, 0, 10.3, 0.3)]), cells=True)
    assert pyproj.CRS(cells["displaced_cells"].attrs["crs"]).to_epsg() == 4326
    assert isinstance(cells["displaced_cells"].attrs["crs"], str)


# ------------------------------------------------------------- plain band labels (6)


@pytest.mark.parametrize(("labels", "shown"), [(("e1", "e2"), "'e2'"), ((1, 2), "2")])
def test_frequency_errors_name_bands_plainly(labels, shown):
    from mecc.arrays import annual_displacement, displacement

    people, depth = _small(labels=labels)
    result = displacement(people, depth, _zones([(10, 0, 10.3, 0.3)]))
    with pytest.raises(errors.DataError, match=rf"^frequency: band {shown} has frequency 0;"):
        annual_displacement(result, [0.1, 0.0])
    with pytest.raises(errors.DataError) as caught:
        annual_displacement(result, [0.1, 400])
    assert f"frequency of band {shown} is 400 events a year" in str(caught.value)
    assert "np." not in str(caught.value)


# ------------------------------------------------------- warnings at the caller (7)


def test_warnings_point_at_the_callers_line():
    from mecc.arrays import displacement

    people, depth = _small()
    zones = _zones(
        [(10, 0, 10.1, 0.3), (10.05, 0, 10.1, 0.3), (9.9, 0, 10.1, 0.3)]
    )  # A and B overlap, C reaches west of the grid; 2/3 of the people lie in no unit
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        displacement(people, depth, zones)
    seen = {w.filename for w in caught}
    texts = " | ".join(str(w.message) for w in caught)
    for part in ("overlap", "partly or wholly outside", "lie in no unit", "received no cell"):
        assert part in texts, part
    assert seen == {__file__}, [(w.filename, w.lineno, str(w.message)[:40]) for w in caught]
