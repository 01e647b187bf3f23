"""The outputs of one complete run (DESIGN.md, "Outputs of one run" and the run contract).

One module-scoped run holds a return-period set, an event set and a scenario on a
600 x 24 grid (wide enough for the COG to carry an overview). It is started through
the CLI from another working directory with a relative run-file path, so relative
paths inside the run file must resolve against the run file's folder.
Expected numbers are computed here with numpy from the files as written.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine
from click.testing import CliRunner
from shapely.geometry import box

import mecc
from tests._run_inputs import write_run, write_zones
from tests.conftest import write_raster

COUNTRY = "TST"
T = Affine(0.01, 0, 10.0, 0, -0.01, 50.0)
H, W = 24, 600
RPS = (10.0, 50.0, 100.0)
FREQ = (0.1, 0.02, 0.005)
EVENT_SCALE = (0.6, 1.0, 1.6)
ZONES = {  # code: (name, first column, last column + 1)
    "A": ("Île-de-Test", 0, 200),
    "B": ("Región Ñandú", 200, 400),
    "C": ("Zone C", 400, 550),
}  # columns 550-599 are outside every unit
NODATA_COLS = slice(590, 600)  # no hazard data in the return-period maps
PMD_KEYS = ("10", "25", "50", "100", "250")


def _linear_curve(x):
    return np.interp(x, [0.0, 0.5, 2.5], [0.0, 0.0, 1.0])


def _step_1m(x):
    return (x >= 1.0).astype(np.float64)


def _mmi_curve(x):
    return np.interp(x, [5.5, 9.5], [0.0, 0.2])


def _read(path):
    with rasterio.open(path) as ds:
        data = ds.read(masked=True).astype(np.float64)
    return data.filled(np.nan)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """Inputs in <tmp>/case, started from <tmp>/elsewhere with '../case/run.yaml'."""
    root = tmp_path_factory.mktemp("outputs")
    case = root / "case"
    (case / "grids").mkdir(parents=True)
    rng = np.random.default_rng(7)
    pop = rng.integers(0, 100, (H, W)).astype(np.float32)
    pop[0, :5] = -1  # declared nodata: no people
    write_raster(case / "pop.tif", pop, transform=T, nodata=-1)
    rows = np.arange(H)[:, None]
    cols = np.arange(W)[None, :]
    depth = (np.linspace(0.0, 3.0, W)[None, :] + 0.02 * rows).astype(np.float32)
    for rp, factor in zip(RPS, (0.5, 0.8, 1.0), strict=True):
        grid = (depth * factor).astype(np.float32)
        grid[:, NODATA_COLS] = -9999
        write_raster(case / "grids" / f"rp{int(rp)}.tif", grid, transform=T, nodata=-9999)
    events = np.stack([depth * s for s in EVENT_SCALE]).astype(np.float32)
    write_raster(case / "grids" / "events.tif", events, transform=T)
    (case / "events.csv").write_text(
        "band,frequency,event_name,comment\n"
        "1,0.1,small,ignored\n2,0.02,medium,ignored\n3,0.005,large,ignored\n",
        encoding="utf-8",
    )
    mmi = (4.0 + 5.0 * cols / W + 0 * rows).astype(np.float32)
    write_raster(case / "grids" / "mmi.tif", mmi, transform=T)
    (case / "curve.csv").write_text("intensity,share\n0,0\n0.5,0\n2.5,1\n", encoding="utf-8")
    geoms = [
        box(10.0 + c0 * 0.01, 50.0 - H * 0.01, 10.0 + c1 * 0.01, 50.0)
        for _, c0, c1 in ZONES.values()
    ]
    write_zones(
        case / "zones.geojson",
        list(ZONES),
        geoms,
        names=[v[0] for v in ZONES.values()],
    )
    config = {
        "country": COUNTRY,
        "name": "Testland",
        "population": {"path": "pop.tif", "kind": "count", "year": 2020},
        "zones": {"path": "zones.geojson", "code_field": "code", "name_field": "name", "level": 1},
        "hazards": [
            {
                "id": "rf",
                "type": "river_flood",
                "return_periods": {int(rp): f"grids/rp{int(rp)}.tif" for rp in RPS},
                "curve": "curve.csv",
            },
            {
                "id": "ev",
                "type": "river_flood",
                "intensity": "grids/events.tif",
                "events": "events.csv",
                "curve": "flood_step_1m",
            },
            {
                "id": "eq",
                "type": "earthquake",
                "intensity": "grids/mmi.tif",
                "scenario": "Test quake",
                "curve": {"intensity": [5.5, 9.5], "share": [0.0, 0.2]},
            },
        ],
    }
    write_run(case, config)
    case_files = sorted(p for p in case.rglob("*") if p.is_file())
    elsewhere = root / "elsewhere"
    elsewhere.mkdir()
    from cli import main

    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(elsewhere)
        result = CliRunner().invoke(
            main, ["run", "../case/run.yaml", "--out", "out"], catch_exceptions=False
        )
    assert result.exit_code == 0, result.stderr
    out = elsewhere / "out"

    # expected values from the files as written
    people = np.nan_to_num(_read(case / "pop.tif")[0], nan=0.0)
    rp_grids = [_read(case / "grids" / f"rp{int(rp)}.tif")[0] for rp in RPS]
    ev_grids = _read(case / "grids" / "events.tif")
    mmi_grid = _read(case / "grids" / "mmi.tif")[0]
    return {
        "root": root,
        "case": case,
        "case_files": case_files,
        "elsewhere": elsewhere,
        "out": out,
        "result": result,
        "people": people,
        "rp_grids": rp_grids,
        "ev_grids": ev_grids,
        "mmi": mmi_grid,
    }


@pytest.fixture(scope="module")
def summary(run):
    return json.loads((run["out"] / "summary.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def manifest(run):
    return json.loads((run["out"] / "manifest.json").read_text(encoding="utf-8"))


def _csv(run, name):
    return pd.read_csv(
        run["out"] / name, encoding="utf-8-sig", dtype={"zone_code": str, "band": str}
    )


def _displaced_cells(run, grid, curve):
    return np.where(np.isfinite(grid), run["people"] * np.nan_to_num(curve(grid)), 0.0)


def _zone_mask(code):
    mask = np.zeros((H, W), dtype=bool)
    _, c0, c1 = ZONES[code]
    mask[:, c0:c1] = True
    return mask


def _outside_mask():
    mask = np.ones((H, W), dtype=bool)
    for code in ZONES:
        mask &= ~_zone_mask(code)
    return mask


def _rp_expected(run, mask=None):
    mask = np.ones((H, W), dtype=bool) if mask is None else mask
    d = np.array([_displaced_cells(run, g, _linear_curve)[mask].sum() for g in run["rp_grids"]])
    p = 1.0 / np.array(RPS)
    aad = sum((p[i] - p[i + 1]) * (d[i] + d[i + 1]) / 2 for i in range(len(p) - 1))
    tail = p[-1] * d[-1]
    climada = sum(d[i] * (p[i] - (p[i + 1] if i + 1 < len(p) else 0.0)) for i in range(len(p)))
    return d, aad, tail, climada


def _ev_displaced(run, mask=None):
    mask = np.ones((H, W), dtype=bool) if mask is None else mask
    return np.array([_displaced_cells(run, g, _step_1m)[mask].sum() for g in run["ev_grids"]])


def _freq_curve(displaced, frequency):
    """CLIMADA Impact.calc_freq_curve: sort descending, cumulate, RP = 1/cum. freq."""
    order = np.argsort(displaced)[::-1]
    cum = np.cumsum(np.asarray(frequency)[order])
    return (1.0 / cum)[::-1], np.asarray(displaced)[order][::-1]


# --------------------------------------------------------------------- the files


def test_run_writes_the_contract_files(run):
    out = run["out"]
    names = {p.name for p in out.iterdir()}
    for name in (
        "summary.json",
        "zones.csv",
        "zones_bands.csv",
        "bands.csv",
        "exceedance.csv",
        "results.nc",
        "displaced.tif",
        "manifest.json",
    ):
        assert name in names, name
    assert not [n for n in names if n.startswith(".") or "staging" in n or "partial" in n]
    assert not [p.name for p in run["root"].rglob(".*")]


def test_every_csv_starts_with_bom_and_reads_back(run):
    csvs = sorted(run["out"].glob("*.csv"))
    assert {p.name for p in csvs} >= {"zones.csv", "zones_bands.csv", "bands.csv", "exceedance.csv"}
    for path in csvs:
        raw = path.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf"), path.name
        assert not raw[3:].startswith(b"\xef\xbb\xbf"), f"{path.name}: two BOMs"
        frame = pd.read_csv(path, encoding="utf-8-sig")
        assert not frame.columns[0].startswith("\ufeff"), path.name
        assert len(frame) > 0, path.name
    text = (run["out"] / "zones.csv").read_text(encoding="utf-8-sig")
    assert "Île-de-Test" in text and "Región Ñandú" in text


def test_zones_csv_columns_and_values(run):
    zones = _csv(run, "zones.csv")
    assert list(zones.columns[:5]) == ["zone_code", "zone_name", "level", "hazard_id", "population"]
    for column in ("aad", "pmd_10", "pmd_25", "pmd_50", "pmd_100", "pmd_250"):
        assert column in zones.columns, column
    codes = [*ZONES, "__outside__"]
    for hazard in ("rf", "ev", "eq"):
        rows = zones[zones["hazard_id"] == hazard].set_index("zone_code")
        assert list(rows.index) == codes, hazard
        assert rows.loc[rows["zone_name"] == "Île-de-Test"].index.tolist() == ["A"]
        for code in ZONES:
            assert rows.loc[code, "population"] == pytest.approx(
                run["people"][_zone_mask(code)].sum(), rel=1e-12
            )
        assert rows.loc["__outside__", "population"] == pytest.approx(
            run["people"][_outside_mask()].sum(), rel=1e-12
        )
    rf = zones[zones["hazard_id"] == "rf"].set_index("zone_code")
    for code in ZONES:
        d, aad, tail, climada = _rp_expected(run, _zone_mask(code))
        assert rf.loc[code, "aad"] == pytest.approx(aad, rel=1e-9)
        assert rf.loc[code, "aad_tail"] == pytest.approx(tail, rel=1e-9)
        assert rf.loc[code, "aad_climada"] == pytest.approx(climada, rel=1e-9)
        assert rf.loc[code, "pmd_10"] == pytest.approx(d[0], rel=1e-9)
        assert rf.loc[code, "pmd_100"] == pytest.approx(d[2], rel=1e-9)
    # pmd_250 lies beyond the last map: empty, never clamped
    assert rf["pmd_250"].isna().all()
    ev = zones[zones["hazard_id"] == "ev"].set_index("zone_code")
    for code in ZONES:
        expected = _ev_displaced(run, _zone_mask(code)) @ np.array(FREQ)
        assert ev.loc[code, "aad"] == pytest.approx(expected, rel=1e-9)
    eq = zones[zones["hazard_id"] == "eq"].set_index("zone_code")
    for code in ZONES:
        expected = _displaced_cells(run, run["mmi"], _mmi_curve)[_zone_mask(code)].sum()
        assert eq.loc[code, "displaced"] == pytest.approx(expected, rel=1e-9)


def _in_order(columns, required):
    positions = [list(columns).index(c) for c in required]
    return positions == sorted(positions)


def test_zones_bands_csv(run):
    zb = _csv(run, "zones_bands.csv")
    required = ["zone_code", "hazard_id", "band", "exposed", "displaced"]
    assert set(required) <= set(zb.columns) and _in_order(zb.columns, required), list(zb.columns)
    counts = zb.groupby("hazard_id").size()
    assert counts.to_dict() == {"rf": 4 * 3, "ev": 4 * 3, "eq": 4 * 1}
    ev = zb[zb["hazard_id"] == "ev"]
    for code in ZONES:
        rows = ev[ev["zone_code"] == code].sort_values("band")
        assert rows["band"].tolist() == ["1", "2", "3"]
        np.testing.assert_allclose(
            rows["displaced"].to_numpy(), _ev_displaced(run, _zone_mask(code)), rtol=1e-12
        )
    rf = zb[(zb["hazard_id"] == "rf") & (zb["zone_code"] == "__outside__")]
    assert sorted(rf["band"]) == ["rp10", "rp100", "rp50"]
    no_data = run["people"][:, NODATA_COLS].sum()
    assert no_data > 0
    np.testing.assert_allclose(rf["no_hazard_data"].to_numpy(), no_data)


def test_level_columns_are_whole_numbers(run):
    """`level` is an admin level number: written as 1, never as 1.0, in every table."""
    for name in ("zones.csv", "zones_bands.csv", "exceedance.csv"):
        with open(run["out"] / name, encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
        values = {row["level"] for row in rows}
        assert values <= {"", "0", "1"}, (name, sorted(values)[:5])


def test_bands_csv(run):
    bands = _csv(run, "bands.csv")
    assert list(bands.columns[:6]) == [
        "hazard_id",
        "band",
        "frequency",
        "return_period",
        "exposed",
        "displaced",
    ]
    rf = bands[bands["hazard_id"] == "rf"]
    assert rf["band"].tolist() == ["rp10", "rp50", "rp100"]
    assert rf["return_period"].tolist() == list(RPS) and rf["frequency"].isna().all()
    d, *_ = _rp_expected(run)
    np.testing.assert_allclose(rf["displaced"].to_numpy(), d, rtol=1e-12)
    exposed = [
        run["people"][np.isfinite(g) & (g >= 0.1)].sum() for g in run["rp_grids"]
    ]  # exposure threshold of river floods: 0.1 m
    np.testing.assert_allclose(rf["exposed"].to_numpy(), exposed, rtol=1e-12)
    ev = bands[bands["hazard_id"] == "ev"]
    assert ev["frequency"].tolist() == list(FREQ) and ev["return_period"].isna().all()
    assert ev["event_name"].tolist() == ["small", "medium", "large"]
    assert "comment" not in bands.columns
    np.testing.assert_allclose(ev["displaced"].to_numpy(), _ev_displaced(run), rtol=1e-12)
    eq = bands[bands["hazard_id"] == "eq"]
    assert len(eq) == 1
    assert eq["exposed"].iloc[0] == pytest.approx(run["people"][run["mmi"] >= 4.5].sum())


def test_exceedance_csv(run):
    exc = _csv(run, "exceedance.csv")
    for column in ("hazard_id", "zone_code", "return_period", "displaced"):
        assert column in exc.columns
    national = exc[(exc["hazard_id"] == "ev") & (exc["zone_code"] == COUNTRY)]
    rp, curve = _freq_curve(_ev_displaced(run), FREQ)
    np.testing.assert_allclose(national["return_period"].to_numpy(), rp, rtol=1e-12)
    np.testing.assert_allclose(national["displaced"].to_numpy(), curve, rtol=1e-12)
    assert "eq" not in set(exc["hazard_id"])  # a scenario has no exceedance curve


def test_summary_json(run, summary):
    people = run["people"]
    assert summary["country"] == COUNTRY
    assert summary["population_total"] == pytest.approx(people.sum(), rel=1e-12)
    assert summary["population_outside_zones"] == pytest.approx(
        people[_outside_mask()].sum(), rel=1e-12
    )
    assert summary["population_no_hazard_data"] == pytest.approx(
        people[:, NODATA_COLS].sum(), rel=1e-12
    )
    assert set(summary["hazards"]) == {"rf", "ev", "eq"}

    rf = summary["hazards"]["rf"]
    d, aad, tail, climada = _rp_expected(run)
    assert rf["aad"] == pytest.approx(aad, rel=1e-9)
    assert rf["aad_tail"] == pytest.approx(tail, rel=1e-9)
    assert rf["aad_climada"] == pytest.approx(climada, rel=1e-9)
    assert set(rf["pmd"]) == set(PMD_KEYS)
    assert rf["pmd"]["10"] == pytest.approx(d[0], rel=1e-9)
    assert rf["pmd"]["50"] == pytest.approx(d[1], rel=1e-9)
    assert rf["pmd"]["100"] == pytest.approx(d[2], rel=1e-9)
    at_25 = d[0] + (d[1] - d[0]) * math.log(25 / 10) / math.log(50 / 10)
    assert rf["pmd"]["25"] == pytest.approx(at_25, rel=1e-9)
    assert rf["pmd"]["250"] is None
    assert [b["return_period"] for b in rf["bands"]] == list(RPS)
    assert [b["displaced"] for b in rf["bands"]] == pytest.approx(list(d), rel=1e-12)
    assert all({"band", "exposed", "displaced"} <= set(b) for b in rf["bands"])

    ev = summary["hazards"]["ev"]
    displaced = _ev_displaced(run)
    assert ev["aad"] == pytest.approx(displaced @ np.array(FREQ), rel=1e-9)
    rp, curve = _freq_curve(displaced, FREQ)
    for key in PMD_KEYS:
        t = float(key)
        if rp[0] <= t <= rp[-1]:
            assert ev["pmd"][key] == pytest.approx(np.interp(t, rp, curve), rel=1e-9), key
        else:
            assert ev["pmd"][key] is None, key
    assert [b["frequency"] for b in ev["bands"]] == list(FREQ)
    assert "aad_tail" not in ev

    eq = summary["hazards"]["eq"]
    expected = _displaced_cells(run, run["mmi"], _mmi_curve).sum()
    assert eq["displaced"] == pytest.approx(expected, rel=1e-9)
    assert "aad" not in eq and len(eq["bands"]) == 1
    assert eq["bands"][0]["displaced"] == pytest.approx(expected, rel=1e-9)


# --------------------------------------------------------------------- results.nc


def test_results_nc_groups_number_bands_as_the_main_group(run):
    """The Sendai group (and any other group with bands) counts bands from 1 too, so a
    ``sel(band=...)`` means the same band in every group."""
    import netCDF4
    import xarray as xr

    with netCDF4.Dataset(run["out"] / "results.nc") as dataset:
        groups = [
            name
            for name, group in dataset.groups.items()
            if any("band" in v.dimensions for v in group.variables.values())
        ]
    assert "sendai" in groups
    with xr.open_dataset(run["out"] / "results.nc") as main:
        expected = main["band"].values.tolist()
    assert expected[0] == 1
    for name in groups:
        with xr.open_dataset(run["out"] / "results.nc", group=name) as ds:
            assert ds["band"].values.tolist() == expected, name
            assert "numbered from 1" in ds["band"].attrs["comment"], name


def test_results_nc_matches_zones_bands(run):
    import xarray as xr

    zb = _csv(run, "zones_bands.csv")
    zones = _csv(run, "zones.csv")
    with xr.open_dataset(run["out"] / "results.nc") as ds:
        assert list(ds["hazard"].values) == ["rf", "ev", "eq"]
        assert list(ds["zone"].values) == [*ZONES, "__outside__"]
        displaced = ds["displaced"].sel(variant="central")
        labels = ds["band_label"]
        for row in zb.itertuples(index=False):
            band_index = list(labels.sel(hazard=row.hazard_id).values).index(str(row.band))
            cell = {"zone": row.zone_code, "hazard": row.hazard_id, "band": band_index + 1}
            assert float(displaced.sel(**cell)) == pytest.approx(row.displaced, rel=1e-12)
            assert float(ds["exposed"].sel(**cell)) == pytest.approx(row.exposed, rel=1e-12)
        # per hazard and band, the zone sum equals the national band total in bands.csv
        bands = _csv(run, "bands.csv")
        for row in bands.itertuples(index=False):
            band_index = list(labels.sel(hazard=row.hazard_id).values).index(str(row.band))
            total = float(displaced.sel(hazard=row.hazard_id, band=band_index + 1).sum("zone"))
            assert total == pytest.approx(row.displaced, rel=1e-12)
        # the padding of the one-band scenario is NaN, not zero
        assert np.isnan(displaced.sel(hazard="eq", band=2)).all()
        # bands numbered from 1, as bands.csv numbers them (band 1 is the first band)
        assert ds["band"].values.tolist() == [1, 2, 3]
        assert "numbered from 1" in ds["band"].attrs["comment"]
        population = ds["population"].to_series()
        for code, value in (
            zones[zones["hazard_id"] == "rf"].set_index("zone_code")["population"].items()
        ):
            assert population[code] == pytest.approx(value, rel=1e-12)
        aad = ds["aad"].sel(hazard="ev", variant="central").to_series()
        for code, value in zones[zones["hazard_id"] == "ev"].set_index("zone_code")["aad"].items():
            assert aad[code] == pytest.approx(value, rel=1e-12)


# ------------------------------------------------------------------- displaced.tif


def test_displaced_tif_is_a_zstd_cog(run):
    with rasterio.open(run["out"] / "displaced.tif") as ds:
        profile = ds.profile
        assert profile["driver"] == "GTiff"
        assert profile["tiled"] is True
        assert ds.compression == rasterio.enums.Compression.zstd
        assert ds.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
        assert ds.count == 3
        assert ds.descriptions == ("rf", "ev", "eq")
        for band in range(1, 4):
            block_h, block_w = ds.block_shapes[band - 1]
            assert block_h == block_w and block_w % 16 == 0 and block_w < W
            assert ds.overviews(band), "a grid wider than one tile needs overviews"
        assert ds.crs == rasterio.crs.CRS.from_epsg(4326)
        assert ds.transform.almost_equals(T)
        assert (ds.width, ds.height) == (W, H)


def test_displaced_tif_sums_equal_summary(run, summary):
    with rasterio.open(run["out"] / "displaced.tif") as ds:
        data = ds.read().astype(np.float64)
    hazards = summary["hazards"]
    # the return-period maps have no data in NODATA_COLS: cells with people there are
    # unknown (NaN, the file's nodata), not 0; the other hazards cover every cell
    unknown = np.zeros((H, W), dtype=bool)
    unknown[:, NODATA_COLS] = run["people"][:, NODATA_COLS] > 0
    assert unknown.any() and not unknown.all()
    np.testing.assert_array_equal(np.isnan(data[0]), unknown)
    assert not np.isnan(data[1:]).any()
    assert np.nansum(data[0]) == pytest.approx(hazards["rf"]["aad"], rel=1e-9)
    assert data[1].sum() == pytest.approx(hazards["ev"]["aad"], rel=1e-9)
    assert data[2].sum() == pytest.approx(hazards["eq"]["displaced"], rel=1e-9)
    # per cell: the event set's expected annual displacement
    cells = sum(
        f * _displaced_cells(run, g, _step_1m) for f, g in zip(FREQ, run["ev_grids"], strict=True)
    )
    np.testing.assert_allclose(data[1], cells, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(
        data[2], _displaced_cells(run, run["mmi"], _mmi_curve), rtol=1e-9, atol=1e-12
    )


# ------------------------------------------------------------------- manifest.json


def test_manifest_inputs_with_sha256(run, manifest):
    case = run["case"]
    expected = {
        case / "run.yaml",
        case / "pop.tif",
        case / "zones.geojson",
        case / "grids" / "rp10.tif",
        case / "grids" / "rp50.tif",
        case / "grids" / "rp100.tif",
        case / "grids" / "events.tif",
        case / "events.csv",
        case / "grids" / "mmi.tif",
        case / "curve.csv",
    }
    listed = {}
    for item in manifest["inputs"]:
        assert {"role", "path", "sha256"} <= set(item)
        # paths inside the run file's folder are relative to it (a portable manifest)
        path = Path(item["path"])
        assert not path.is_absolute(), item
        listed[(case / path).resolve()] = item["sha256"]
    assert set(listed) == {p.resolve() for p in expected}
    assert len(manifest["inputs"]) == len(expected)
    for path, digest in listed.items():
        assert digest == hashlib.sha256(path.read_bytes()).hexdigest(), path
    assert (case / manifest["run_file"]).resolve() == (case / "run.yaml").resolve()


def test_manifest_versions_timings_parameters(manifest):
    import numba
    import rasterio as rio

    versions = manifest["versions"]
    assert versions["mecc"] == mecc.__version__
    assert versions["numpy"] == np.__version__
    assert versions["numba"] == numba.__version__
    assert versions["rasterio"] == rio.__version__
    assert versions["gdal"] == rio.__gdal_version__
    for key in ("python", "pandas", "xarray", "geopandas", "shapely", "pyproj", "proj"):
        assert isinstance(versions.get(key), str) and versions[key], key

    timings = manifest["timings_seconds"]
    assert {"read_config", "open_inputs", "engine", "total"} <= set(timings)
    assert all(isinstance(v, int | float) and v >= 0 for v in timings.values())
    assert timings["total"] >= max(v for k, v in timings.items() if k != "total")

    parameters = manifest["parameters"]
    grid = parameters["analysis_grid"]
    assert grid["source"] == "population"
    assert grid["crs"] == "EPSG:4326"
    assert (grid["width"], grid["height"]) == (W, H)
    assert grid["transform"] == pytest.approx([0.01, 0.0, 10.0, 0.0, -0.01, 50.0])
    assert parameters["population"]["kind"] == "count"
    assert parameters["population"]["year"] == 2020
    hazards = parameters["hazards"]
    assert {h: hazards[h]["kind"] for h in hazards} == {
        "rf": "return_periods",
        "ev": "events",
        "eq": "scenario",
    }
    assert hazards["rf"]["curve"]["intensity"] == [0.0, 0.5, 2.5]
    assert hazards["rf"]["curve"]["share"] == [0.0, 0.0, 1.0]
    assert hazards["rf"]["exposure_threshold"] == 0.1
    assert hazards["eq"]["exposure_threshold"] == 4.5
    assert hazards["ev"]["curve"]["name"] == "flood_step_1m"
    assert parameters["zones"]["rule"] == "cell centre"
    assert parameters["zones"]["units"] == len(ZONES)
    assert isinstance(manifest["warnings"], list)
    assert manifest["zones_without_cells"] == []


# ---------------------------------------------------------------- relative paths


def test_relative_paths_resolve_against_the_run_file(run):
    # the run was started from another folder with '../case/run.yaml' and '--out out'
    elsewhere = run["elsewhere"]
    assert sorted(p.name for p in elsewhere.iterdir()) == ["out"]
    assert f"wrote {run['out']}" in run["result"].stdout
    # the run wrote nothing next to its inputs
    assert sorted(p for p in run["case"].rglob("*") if p.is_file()) == run["case_files"]


def test_parent_relative_path_resolves_against_the_run_file(cli, tmp_path, monkeypatch):
    """'../shared/pop.tif' in runs/run.yaml is shared/pop.tif, wherever mecc is started."""
    from tests._run_inputs import POP, basic_case

    shared = tmp_path / "shared"
    run = basic_case(shared)
    runs = tmp_path / "runs"
    runs.mkdir()
    run["population"]["path"] = "../shared/pop.tif"
    run["zones"]["path"] = "../shared/zones.geojson"
    run["hazards"][0]["return_periods"] = {10: "../shared/rp10.tif", 100: "../shared/rp100.tif"}
    run_file = write_run(runs, run)
    cwd = tmp_path / "cwd" / "deeper"
    cwd.mkdir(parents=True)
    # a decoy that '../shared/pop.tif' would reach from the working directory
    (tmp_path / "cwd" / "shared").mkdir()
    write_raster(tmp_path / "cwd" / "shared" / "pop.tif", POP * 0 + 1)
    monkeypatch.chdir(cwd)
    result = cli("run", os.path.relpath(run_file, cwd), "--out", "out")
    assert result.exit_code == 0, result.stderr
    out = cwd / "out"
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["population_total"] == POP.sum()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    paths = {item["role"]: item["path"] for item in manifest["inputs"]}
    # outside the run file's folder: shown as absolute paths
    assert Path(paths["population"]) == (shared / "pop.tif").resolve()
    assert paths["run file"] == "run.yaml"


def test_cell_grid_overviews_are_block_averages(tmp_path):
    """The writer averages its own overview levels; the COG's levels are exact averages
    of the cells (partial groups at the edges average the cells they have)."""
    from affine import Affine
    from rasterio.windows import Window

    from mecc.cell_grid import CellGridWriter
    from mecc.grid import GridSpec

    height, width = 1203, 2001
    grid = GridSpec("EPSG:4326", Affine(0.01, 0, 0, 0, -0.01, 0), width, height)
    values = np.random.default_rng(0).random((height, width))
    values[:300] = 0.0  # sparse rows are not written at all
    writer = CellGridWriter(tmp_path / "cells.tif", grid, ["a"])
    assert writer.factors == [2, 4, 8]  # 256-cell tiles: 2001 / 8 fits in one
    for r in range(0, height, 256):
        for c in range(0, width, 512):
            window = Window(c, r, min(512, width - c), min(256, height - r))
            writer.write(0, window, values[r : r + int(window.height), c : c + int(window.width)])
    writer.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cells.tif"]
    with rasterio.open(tmp_path / "cells.tif") as dataset:
        assert dataset.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
        assert dataset.overviews(1) == [2, 4, 8]
        np.testing.assert_array_equal(dataset.read(1), values)
    for level, factor in enumerate((2, 4, 8)):
        rows, cols = -(-height // factor), -(-width // factor)
        padded = np.full((rows * factor, cols * factor), np.nan)
        padded[:height, :width] = values
        expected = np.nanmean(padded.reshape(rows, factor, cols, factor), axis=(1, 3))
        with rasterio.open(tmp_path / "cells.tif", overview_level=level) as dataset:
            np.testing.assert_allclose(dataset.read(1), expected, rtol=1e-12, atol=1e-15)


def test_csv_text_writes_carriage_returns_in_cells_as_line_feeds():
    from mecc.outputs import csv_text

    frame = pd.DataFrame({"name": ["A\rB", "C\r\nD", "E\nF", None], "value": [1.5, 2.0, 3.0, 4.0]})
    rows = list(csv.reader(csv_text(frame).splitlines(keepends=True)))
    # a bare CR was written unquoted, and readers ended the row there
    assert rows == [
        ["name", "value"],
        ["A\nB", "1.5"],
        ["C\nD", "2.0"],
        ["E\nF", "3.0"],
        ["", "4.0"],
    ]
    plain = frame.iloc[2:]
    assert csv_text(plain) == plain.to_csv(index=False, lineterminator="\n")  # no CR: as is
    assert frame["name"].iloc[0] == "A\rB"  # the caller's table is left alone


def test_unit_names_with_carriage_returns_keep_every_row_whole(tmp_path):
    from mecc.run import run_country
    from tests._run_inputs import basic_case

    inputs = tmp_path / "inputs"
    data = basic_case(inputs)
    geometries = list(gpd.read_file(inputs / "zones.geojson").geometry)
    write_zones(
        inputs / "zones.geojson", ["A", "B"], geometries, names=["North\rBank", "South\r\n"]
    )
    run_country(write_run(inputs, data), tmp_path / "run")
    for name in ("zones.csv", "sendai.csv", "sendai_hxl.csv", "exceedance.csv"):
        with open(tmp_path / "run" / name, encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
        assert len({len(row) for row in rows}) == 1, name
    zones = pd.read_csv(tmp_path / "run" / "zones.csv", encoding="utf-8-sig")
    assert {"North\nBank", "South\n"} <= set(zones["zone_name"])


def test_results_nc_written_without_importing_distributed(tmp_path):
    """Writing results.nc does not import dask.distributed (0.4 s a run) when no client
    can be running, leaves the import working afterwards, and the file reads back."""
    import subprocess
    import sys

    script = f"""
import sys
import numpy as np
import xarray as xr
from mecc.outputs import write_results_group

data = xr.Dataset({{"displaced": ("zone", np.array([1.5, 2.25]))}})
write_results_group(data, {str(tmp_path / "r.nc")!r})
assert "distributed" not in sys.modules and "dask.distributed" not in sys.modules
assert sys.modules.get("distributed", 1) is not None  # no blocking entry left behind
import distributed
from dask.distributed import Client
print(xr.open_dataset({str(tmp_path / "r.nc")!r})["displaced"].values.tolist())
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[1.5, 2.25]"


def test_results_nc_written_beside_a_running_client(tmp_path):
    """With dask.distributed imported (a --dask run), the probe is left to xarray."""
    import sys

    import distributed  # noqa: F401
    import xarray as xr

    from mecc.outputs import write_results_group

    data = xr.Dataset({"displaced": ("zone", np.array([3.0, 4.5]))})
    write_results_group(data, tmp_path / "r.nc")
    assert sys.modules["distributed"] is not None
    with xr.open_dataset(tmp_path / "r.nc") as back:
        assert back["displaced"].values.tolist() == [3.0, 4.5]
