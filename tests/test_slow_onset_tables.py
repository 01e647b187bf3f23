"""Slow-onset hazards (drought: exposure by class; sea-level rise: people at risk of
planned relocation) where people read the results.

- sendai.xlsx's About sheet described a drought by a "displacement curve drought
  moderate" and said nothing of why sendai.csv has no drought rows: it now names the
  classes with their bounds and source and has a "Not included: drought" line.
- A future's rise and water level were stated nowhere (summary.json, futures.xlsx said
  only "future hazard sets for drought, slr"): each future hazard now records what it
  gives beside the baseline's values; the district profile states the rise in metres.
- results.nc held no drought class counts: ``exposed_by_class`` with a ``drought_class``
  dimension and the classes' bounds.
- A future drought giving only a new intensity had to repeat ``scenario:``; it now keeps
  the baseline's (contradictions are still refused).
- The CLI headline said "DEM lowered and raised" for a range whose low end is the DEM
  raised, and "0.0 people" for nobody.

A 40 x 40 grid (0.01 degree) in four districts: columns 0-4 sea (DEM -5 m, nobody), then
the land rising 0.15 m a column from 0.05 m; every expected number is derived here.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import openpyxl
import pytest
import rasterio
from affine import Affine
from shapely.geometry import box

from mecc.errors import ConfigError
from mecc.headlines import format_headline, headlines
from mecc.run import run_country

PROFILE = {
    "driver": "GTiff",
    "height": 40,
    "width": 40,
    "count": 1,
    "dtype": "float32",
    "crs": "EPSG:4326",
    "transform": Affine(0.01, 0, 40, 0, -0.01, -10),
}
RUN = """country: MOZ
population: {{path: pop.tif, kind: count, year: 2020}}
zones: {{path: z.gpkg, code_field: code, level: 1}}
hazards:
  - {{id: slr, type: sea_level_rise, dem: dem.tif, dem_datum: EGM2008, tide_datum: EGM2008, high_tide: 0.5, slr: 0.5, slr_baseline: "1995-2014", period: 2100}}
  - {{id: drought, type: drought, intensity: drought.tif, scenario: "2015-16"}}
futures:
  - {{id: f2050, label: "SSP2-4.5, 2050", hazards: {{slr: {{slr: 0.8}}, drought: {drought}}}, population: {{growth: 1.3}}}}
"""
WITH_SCENARIO = '{intensity: drought_2050.tif, scenario: "2050"}'
INTENSITY_ONLY = "{intensity: drought_2050.tif}"


def _inputs(folder):
    rng = np.random.default_rng(6)
    col = np.arange(40)
    dem = np.tile(np.where(col < 5, -5.0, (col - 5) * 0.15 + 0.05), (40, 1))
    dem[10:15, 25:30] = 0.3  # a low patch inland, not connected to the sea
    pop = rng.integers(0, 200, (40, 40)).astype(float)
    pop[:, :5] = 0
    spei = rng.uniform(-0.5, 2.8, (40, 40))
    for name, values in {
        "dem": dem,
        "pop": pop,
        "drought": spei,
        "drought_2050": spei + 0.4,
    }.items():
        with rasterio.open(folder / f"{name}.tif", "w", **PROFILE) as dst:
            dst.write(values.astype("float32"), 1)
    zones = [
        {
            "code": f"D{i}{j}",
            "geometry": box(40 + 0.2 * j, -10 - 0.2 * (i + 1), 40 + 0.2 * (j + 1), -10 - 0.2 * i),
        }
        for i in range(2)
        for j in range(2)
    ]
    gpd.GeoDataFrame(zones, crs=4326).to_file(folder / "z.gpkg")
    return pop.astype("float32").astype(float), dem.astype("float32"), spei.astype("float32")


def _expected(pop, spei):
    """People per drought class of the deficit (the grid as given, -SPEI)."""
    return {
        "moderate": pop[(spei >= 1.0) & (spei < 1.5)].sum(),
        "severe": pop[(spei >= 1.5) & (spei < 2.0)].sum(),
        "extreme": pop[spei >= 2.0].sum(),
    }


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("slow_onset")
    grids = _inputs(folder)
    (folder / "run.yaml").write_text(RUN.format(drought=WITH_SCENARIO), encoding="utf-8")
    out = run_country(folder / "run.yaml", folder / "r", with_map=False).out_dir
    return folder, out, grids


def _about(path):
    book = openpyxl.load_workbook(path, read_only=True)
    return {row[0]: row[1] for row in book["About"].iter_rows(values_only=True) if row[0]}


def test_sendai_about_names_drought_classes_and_why_it_has_no_rows(run):
    _, out, _ = run
    about = _about(out / "sendai.xlsx")
    drought = about["Hazard drought"]
    assert "displacement curve drought" not in drought
    assert (
        "classes of -SPEI (the deficit): moderate 1 to 1.5, severe 1.5 to 2, extreme 2 and above"
        in drought
    )
    assert "McKee, Doesken and Kleist (1993)" in drought
    assert "scenario 2015-16" in drought
    note = about["Not included: drought (drought)"]
    assert note.startswith("no rows in these tables: a drought is exposure")
    assert "results.nc exposed_by_class" in note
    long = (out / "sendai.csv").read_text(encoding="utf-8-sig")
    assert ",drought," not in long  # still no rows: the About sheet says why


def test_results_nc_holds_people_per_drought_class(run):
    import xarray as xr

    _, out, (pop, _, spei) = run
    expected = _expected(pop, spei)
    with xr.open_dataset(out / "results.nc") as data:
        by_class = data["exposed_by_class"].load()
        lower = data["drought_class_lower"].sel(hazard="drought").values
        upper = data["drought_class_upper"].sel(hazard="drought").values
        source = str(data["drought_class_source"].sel(hazard="drought").values)
    assert by_class.attrs["units"] == "people"
    assert list(by_class["drought_class"].values) == ["moderate", "severe", "extreme"]
    zones = by_class.sel(hazard="drought").where(by_class["level"] == 1, drop=True)
    for name, people in expected.items():
        assert float(zones.sel(drought_class=name).sum()) == pytest.approx(people, rel=1e-9)
    assert np.isnan(by_class.sel(hazard="slr").values).all()
    assert lower.tolist() == [1.0, 1.5, 2.0]
    assert upper[:2].tolist() == [1.5, 2.0] and np.isnan(upper[2])
    assert source.startswith("McKee")
    zones_csv = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert zones_csv["hazards"]["drought"]["classes"] == pytest.approx(expected, rel=1e-9)


def test_future_parameters_state_the_rise_and_water_level(run):
    _, out, _ = run
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    slr = summary["futures"]["f2050"]["hazards"]["slr"]["parameters"]
    assert slr["given"] == ["slr"]
    assert slr["baseline"]["slr_m"] == 0.5 and slr["future"]["slr_m"] == 0.8
    assert slr["baseline"]["water_level_m"] == pytest.approx(1.0)
    assert slr["future"]["water_level_m"] == pytest.approx(1.3)
    assert slr["future"]["datum"] == "EGM2008"
    assert slr["future"]["water_level"].startswith("water level 1.300 m in EGM2008")
    drought = summary["futures"]["f2050"]["hazards"]["drought"]["parameters"]
    assert drought["baseline"] == {"intensity": "drought.tif", "scenario": "2015-16"}
    assert drought["future"] == {"intensity": "drought_2050.tif", "scenario": "2050"}
    about = _about(out / "futures.xlsx")["Future f2050"]
    assert (
        "slr: sea-level rise 0.8 m since 1995-2014 (baseline 0.5 m), water level at high "
        "tide 1.300 m in EGM2008 (baseline 1.000 m; high tide 0.5 m in EGM2008)"
    ) in about
    assert (
        "drought: intensity drought_2050.tif (baseline drought.tif), scenario 2050 (baseline 2015-16)"
        in about
    )


def test_futures_parameters_for_the_manifest(run):
    from mecc.futures import Future, futures_parameters

    future = Future("f", "F", changes={"slr": {"given": ["slr"]}})
    assert futures_parameters([future])["f"] == {
        "label": "F",
        "period": None,
        "population": "baseline",
        "population_year": None,
        "hazards": {"slr": {"given": ["slr"]}},
    }


def test_manifest_records_what_each_future_changed(run):
    """manifest.json (the run's record) states the future's rise and water level too."""
    _, out, _ = run
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    future = manifest["parameters"]["futures"]["f2050"]
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert future["hazards"]["slr"] == summary["futures"]["f2050"]["hazards"]["slr"]["parameters"]
    assert future["hazards"]["slr"]["future"]["water_level_m"] == pytest.approx(1.3)


def test_profile_states_the_rise_in_metres(run):
    from mecc.profiles import build_profiles

    _, out, _ = run
    html = build_profiles(out, zones=["D00"])
    assert (
        "With a sea-level rise of 0.5 m since 1995-2014 (the sea at high tide at 1 m in "
        "EGM2008), about"
    ) in html
    assert "sea-level rise of this run" not in html
    french = build_profiles(out, zones=["D00"], lang="fr")
    assert "Avec une élévation du niveau de la mer de 0,5 m depuis 1995-2014" in french


def test_future_drought_inherits_the_baseline_scenario(run, tmp_path):
    folder, out, _ = run
    for name in ("dem.tif", "pop.tif", "drought.tif", "drought_2050.tif", "z.gpkg"):
        (tmp_path / name).write_bytes((folder / name).read_bytes())
    (tmp_path / "run.yaml").write_text(RUN.format(drought=INTENSITY_ONLY), encoding="utf-8")
    inherited = run_country(tmp_path / "run.yaml", tmp_path / "r", with_map=False).out_dir
    summary = json.loads((inherited / "summary.json").read_text(encoding="utf-8"))
    entry = summary["futures"]["f2050"]["hazards"]["drought"]
    assert entry["parameters"]["given"] == ["intensity"]
    assert entry["parameters"]["future"] == {"intensity": "drought_2050.tif", "scenario": "2015-16"}
    same = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    both = same["futures"]["f2050"]["hazards"]["drought"]["classes"]
    for name, figures in entry["classes"].items():  # the same grid: the same figures
        assert figures["future"] == pytest.approx(both[name]["future"], rel=1e-12)


def test_future_contradictions_are_still_refused(tmp_path):
    from mecc.future_inputs import inherited_keys

    where = "run.yaml.futures[0].hazards.x"
    assert inherited_keys({"scenario": "s"}, {"intensity": "f.tif"}, where) == {"scenario": "s"}
    events = {"events": "ev.csv", "member_pattern": "m(\\d+)"}
    assert inherited_keys(events, {"intensity": "f.tif"}, where) == events
    assert inherited_keys({"scenario": "s"}, {"intensity": "f.tif", "events": "e.csv"}, where) == {}
    assert inherited_keys({"scenario": "s"}, {"period": 2050}, where) == {}
    with pytest.raises(
        ConfigError, match=r"hazards\.x\.intensity: the baseline is a return-period set"
    ):
        inherited_keys({"return_periods": {10: "a.tif"}}, {"intensity": "f.tif"}, where)
    with pytest.raises(ConfigError, match="CLIMADA hazard file"):
        inherited_keys({"events": "h.hdf5"}, {"intensity": "f.tif"}, where)


def test_cli_headline_range_order_and_zero(run):
    _, out, _ = run
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    records = {r["hazard_id"]: r for r in headlines(summary)}
    slr = summary["hazards"]["slr"]
    text = format_headline(records["slr"])
    low, high = slr["at_risk_relocation_low"], slr["at_risk_relocation_high"]
    assert low < high
    assert (
        f"(range {low:,.0f}-{high:,.0f}, DEM raised and lowered by 1 m;" in text
        and "lowered and raised" not in text
    )
    zero = {"hazards": {"dry": {"kind": "scenario", "exposed": 0.0}}}
    assert format_headline(headlines(zero)[0]) == "dry: exposed 0 people (modelled estimate)"
    small = {"hazards": {"f": {"kind": "events", "aad": 12.34}}}
    assert format_headline(headlines(small)[0]) == "f: AAD 12.3 people a year (modelled estimate)"
