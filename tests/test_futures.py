"""Futures in one run file: climate and population change, and their exact attribution.

Hand-built 2 x 3 grid with two districts; every expected number is derived here.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from affine import Affine
from shapely.geometry import box

from mecc.run import run_country

T = Affine(0.1, 0, 10.0, 0, -0.1, 50.0)
P0 = np.array([[100.0, 200.0, 300.0], [400.0, 500.0, 600.0]])
P1 = np.array([[150.0, 180.0, 330.0], [400.0, 900.0, 0.0]])
# two return-period maps today and in the future (depth, m)
D0 = {
    10: np.array([[0.0, 1.2, 0.5], [1.5, 0.2, 3.0]]),
    100: np.array([[1.1, 1.6, 0.9], [2.0, 1.0, 3.5]]),
}
D1 = {
    10: np.array([[1.0, 1.4, 1.1], [1.8, 0.4, 3.2]]),
    100: np.array([[1.3, 1.9, 1.2], [2.4, 1.2, 3.9]]),
}
ZONE = np.array([["A", "A", "B"], ["A", "B", "B"]])  # districts by cell


def rp_aad(displaced_10, displaced_100):
    """Trapezoid between the two maps: (1/10 - 1/100) (D10 + D100) / 2."""
    return (0.1 - 0.01) * (displaced_10 + displaced_100) / 2


def aad_by_zone(population, depth, step=1.0):
    displaced = {rp: population * (depth[rp] >= step) for rp in depth}
    out = {z: rp_aad(displaced[10][z == ZONE].sum(), displaced[100][z == ZONE].sum()) for z in "AB"}
    out["national"] = out["A"] + out["B"]
    return out


@pytest.fixture
def folder(tmp_path, raster_writer):
    import geopandas as gpd

    raster_writer("pop.tif", P0, transform=T)
    raster_writer("pop2050.tif", P1, transform=T)
    for rp in (10, 100):
        raster_writer(f"d{rp}.tif", D0[rp], transform=T)
        raster_writer(f"f{rp}.tif", D1[rp], transform=T)
    district_a = box(10.0, 49.9, 10.2, 50.0).union(box(10.0, 49.8, 10.1, 49.9))
    district_b = box(10.2, 49.9, 10.3, 50.0).union(box(10.1, 49.8, 10.3, 49.9))
    zones = gpd.GeoDataFrame(
        {"code": ["A", "B"]}, geometry=[district_a, district_b], crs="EPSG:4326"
    )
    zones.to_file(tmp_path / "zones.geojson")
    return tmp_path


ONE_LEVEL = "zones: {path: zones.geojson, code_field: code, level: 1}\n"


def _run(folder, futures_yaml, name, curve="flood_step_1m:central", zones=ONE_LEVEL):
    (folder / f"{name}.yaml").write_text(
        "country: XXF\npopulation: {path: pop.tif, year: 2020}\n"
        + zones
        + f"hazards:\n  - id: flood\n    type: river_flood\n    curve: {curve}\n"
        "    return_periods: {10: d10.tif, 100: d100.tif}\n"
        "futures:\n" + futures_yaml
    )
    result = run_country(folder / f"{name}.yaml", folder / f"out_{name}")
    read = lambda f: pd.read_csv(result.out_dir / f, encoding="utf-8-sig", dtype={"zone_code": str})  # noqa: E731
    return result.summary, read("futures.csv"), read("attribution.csv")


def _row(frame, future, zone):
    return frame[(frame["future_id"] == future) & (frame["zone_code"] == zone)].iloc[0]


def test_climate_and_population_grid_attribution(folder):
    summary, comparison, attribution = _run(
        folder,
        "  - id: ssp245_2050\n    label: SSP2-4.5, 2050\n"
        "    hazards: {flood: {return_periods: {10: f10.tif, 100: f100.tif}}}\n"
        "    population: {path: pop2050.tif, year: 2050}\n",
        "grid",
    )
    h00, h10 = aad_by_zone(P0, D0), aad_by_zone(P0, D1)
    h01, h11 = aad_by_zone(P1, D0), aad_by_zone(P1, D1)
    for zone, key in (("A", "A"), ("B", "B"), ("XXF", "national")):
        row = _row(comparison, "ssp245_2050", zone)
        assert row["baseline"] == pytest.approx(h00[key], rel=1e-12)
        assert row["future"] == pytest.approx(h11[key], rel=1e-12)
        parts = _row(attribution, "ssp245_2050", zone)
        assert parts["climate_only"] == pytest.approx(h10[key] - h00[key], rel=1e-12, abs=1e-12)
        assert parts["population_only"] == pytest.approx(h01[key] - h00[key], rel=1e-12, abs=1e-12)
        expected_interaction = h11[key] - h10[key] - h01[key] + h00[key]
        assert parts["interaction"] == pytest.approx(expected_interaction, rel=1e-9, abs=1e-9)
        total = parts["climate_only"] + parts["population_only"] + parts["interaction"]
        assert total == pytest.approx(parts["change_total"], rel=1e-9)
        assert parts["change_total"] == pytest.approx(h11[key] - h00[key], rel=1e-12)
    national = summary["futures"]["ssp245_2050"]["hazards"]["flood"]
    assert national["future"] == pytest.approx(h11["national"], rel=1e-12)
    assert _row(comparison, "ssp245_2050", "XXF")["population_future"] == pytest.approx(P1.sum())


def test_population_growth_factors_need_no_extra_pass(folder):
    _, comparison, attribution = _run(
        folder,
        "  - id: growth_only\n    population: {growth: {A: 1.5, B: 0.8}, year: 2040}\n"
        "  - id: climate_only\n    hazards: {flood: {return_periods: {10: f10.tif, 100: f100.tif}}}\n",
        "growth",
    )
    h00 = aad_by_zone(P0, D0)
    h10 = aad_by_zone(P0, D1)
    growth = {"A": 1.5, "B": 0.8}
    grown = {z: growth[z] * h00[z] for z in "AB"}
    for zone in "AB":
        row = _row(attribution, "growth_only", zone)
        assert row["population_only"] == pytest.approx(
            grown[zone] - h00[zone], rel=1e-12, abs=1e-12
        )
        assert row["climate_only"] == 0 and row["interaction"] == pytest.approx(0, abs=1e-9)
        pop = _row(comparison, "growth_only", zone)
        assert pop["population_future"] == pytest.approx(growth[zone] * P0[zone == ZONE].sum())
        row = _row(attribution, "climate_only", zone)
        assert row["climate_only"] == pytest.approx(h10[zone] - h00[zone], rel=1e-12, abs=1e-12)
        assert row["population_only"] == 0


def test_national_row_counts_people_once_with_two_levels(folder):
    """With a region above the districts, the national row's population is the
    country's people (finest units + outside), not the sum of both levels' rows."""
    import geopandas as gpd

    region = gpd.GeoDataFrame({"code": ["R"]}, geometry=[box(10.0, 49.8, 10.3, 50.0)])
    region.set_crs("EPSG:4326").to_file(folder / "region.geojson")
    two_levels = (
        "zones:\n  - {path: region.geojson, code_field: code, level: 1}\n"
        "  - {path: zones.geojson, code_field: code, level: 2}\n"
    )
    futures_yaml = (
        "  - id: grid\n    hazards: {flood: {return_periods: {10: f10.tif, 100: f100.tif}}}\n"
        "    population: {path: pop2050.tif, year: 2050}\n"
        "  - id: growth\n    population: {growth: {A: 1.5, B: 0.8}, year: 2040}\n"
    )
    _, comparison, attribution = _run(folder, futures_yaml, "levels", zones=two_levels)
    grown = 1.5 * P0[ZONE == "A"].sum() + 0.8 * P0[ZONE == "B"].sum()
    h00, h11 = aad_by_zone(P0, D0), aad_by_zone(P1, D1)
    for future, people in (("grid", P1.sum()), ("growth", grown)):
        national, region = _row(comparison, future, "XXF"), _row(comparison, future, "R")
        assert national["level"] == 0
        assert national["population_baseline"] == pytest.approx(P0.sum(), rel=1e-12)  # 2,100
        assert national["population_future"] == pytest.approx(people, rel=1e-12)
        assert region["population_baseline"] == pytest.approx(P0.sum(), rel=1e-12)
        assert national["baseline"] == pytest.approx(h00["national"], rel=1e-12)
    national = _row(comparison, "grid", "XXF")
    assert national["future"] == pytest.approx(h11["national"], rel=1e-12)
    change = _row(attribution, "grid", "XXF")["change_total"]
    assert change == pytest.approx(h11["national"] - h00["national"], rel=1e-12)
    book = pd.read_excel(folder / "out_levels" / "futures.xlsx", sheet_name="Futures")
    row = book[(book["future_id"] == "grid") & (book["level"] == 0)].iloc[0]
    assert row["population_baseline"] == pytest.approx(P0.sum(), rel=1e-12)
    assert row["population_future"] == pytest.approx(P1.sum(), rel=1e-12)


def test_curve_variant_ranges_and_the_workbook(folder):
    """flood_step_1m brings its variants (low: step at 1.5 m, high: at 0.5 m); futures.csv
    gives the baseline and future figure with each; futures.xlsx holds the same tables."""
    from openpyxl import load_workbook

    futures_yaml = (
        "  - id: ssp585_2050\n    label: SSP5-8.5, 2050\n    period: 2041-2060\n"
        "    hazards: {flood: {return_periods: {10: f10.tif, 100: f100.tif}}}\n"
        "    population: {path: pop2050.tif, year: 2050}\n"
        "  - id: growth_2040\n    population: {growth: {A: 1.5, B: 0.8}, year: 2040}\n"
    )
    _, comparison, _ = _run(folder, futures_yaml, "ranges", curve="flood_step_1m")
    growth = {"A": 1.5, "B": 0.8}
    for suffix, step in (("_low", 1.5), ("", 1.0), ("_high", 0.5)):
        now, then = aad_by_zone(P0, D0, step), aad_by_zone(P1, D1, step)
        for zone, key in (("A", "A"), ("B", "B"), ("XXF", "national")):
            row = _row(comparison, "ssp585_2050", zone)
            assert row[f"baseline{suffix}"] == pytest.approx(now[key], rel=1e-12, abs=1e-12)
            assert row[f"future{suffix}"] == pytest.approx(then[key], rel=1e-12, abs=1e-12)
        for zone in "AB":
            row = _row(comparison, "growth_2040", zone)
            grown = growth[zone] * now[zone]
            assert row[f"future{suffix}"] == pytest.approx(grown, rel=1e-12, abs=1e-12)
    out = folder / "out_ranges"
    book = load_workbook(out / "futures.xlsx", read_only=True)
    assert book.sheetnames == ["About", "Futures", "Attribution", "Columns"]
    for sheet, csv in (("Futures", "futures.csv"), ("Attribution", "attribution.csv")):
        from_csv = pd.read_csv(out / csv, encoding="utf-8-sig", dtype={"zone_code": str})
        from_xlsx = pd.read_excel(out / "futures.xlsx", sheet_name=sheet, dtype={"zone_code": str})
        pd.testing.assert_frame_equal(from_xlsx, from_csv, check_dtype=False)
    about = dict(pd.read_excel(out / "futures.xlsx", sheet_name="About").itertuples(index=False))
    assert (
        "SSP5-8.5, 2050; period 2041-2060; future hazard sets for flood"
        in (about["Future ssp585_2050"])
    )
    assert (
        "population growth: factors for 2 units; population year 2040"
        in (about["Future growth_2040"])
    )
    assert {"Assumption: stationary vulnerability", "Ranges", "Method and sources"} <= set(about)
    columns = pd.read_excel(out / "futures.xlsx", sheet_name="Columns")["column"].tolist()
    assert set(columns) == set(from_csv.columns) | set(
        pd.read_csv(out / "futures.csv", encoding="utf-8-sig").columns
    )
    first = (out / "futures.xlsx").read_bytes()
    _run(folder, futures_yaml, "ranges2", curve="flood_step_1m")
    assert (folder / "out_ranges2" / "futures.xlsx").read_bytes() == first


def test_future_errors(folder):
    from mecc.errors import ConfigError

    with pytest.raises(ConfigError, match="no baseline hazard 'flod'"):
        _run(
            folder,
            "  - id: x\n    hazards: {flod: {return_periods: {10: f10.tif, 100: f100.tif}}}\n",
            "bad1",
        )
    with pytest.raises(ConfigError, match="changes the hazards, the population or both"):
        _run(folder, "  - id: x\n    label: nothing\n", "bad2")


def _compare_two_runs(folder, cli, curve, scenario=False) -> pd.DataFrame:
    """compare.csv of a run on the d maps (base) against one on the f maps (later); with
    ``scenario``, of the 100-year maps as single scenarios."""
    for name, maps in (("base", "d"), ("later", "f")):
        grids = (
            f"intensity: {maps}100.tif, scenario: a 100-year flood"
            if scenario
            else f"return_periods: {{10: {maps}10.tif, 100: {maps}100.tif}}"
        )
        (folder / f"{name}.yaml").write_text(
            "country: XXF\npopulation: {path: pop.tif}\n"
            "zones: {path: zones.geojson, code_field: code, level: 1}\n"
            f"hazards:\n  - {{id: flood, type: river_flood, curve: {curve},\n"
            f"     {grids}}}\n"
        )
        assert cli("run", folder / f"{name}.yaml", "--out", folder / name).exit_code == 0
    result = cli("compare", folder / "base", folder / "later", "--out", folder / "cmp")
    assert result.exit_code == 0, result.output
    return pd.read_csv(
        folder / "cmp" / "compare.csv", encoding="utf-8-sig", dtype={"zone_code": str}
    )


def test_compare_two_runs(folder, cli):
    table = _compare_two_runs(folder, cli, "flood_step_1m:central")
    h00, h10 = aad_by_zone(P0, D0), aad_by_zone(P0, D1)
    # levels as zones.csv writes them: 1, not 1.0 (blank for the outside bucket)
    text = (folder / "cmp" / "compare.csv").read_text(encoding="utf-8-sig").splitlines()
    levels = {line.split(",")[0]: line.split(",")[2] for line in text[1:]}
    assert levels["A"] == "1" and levels["__outside__"] == ""
    row = table[table["zone_code"] == "A"].iloc[0]
    assert row["aad_change"] == pytest.approx(h10["A"] - h00["A"], rel=1e-12)
    summary = json.loads((folder / "base" / "summary.json").read_text())
    assert summary["hazards"]["flood"]["aad"] == pytest.approx(h00["national"], rel=1e-12)


def test_compare_gives_the_nation_and_the_ranges(folder, cli):
    """compare.csv starts with a national row per hazard (level 0, the country's code,
    from summary.json) and gives each run's range (curve variants: low 1.5 m step, high
    0.5 m) after its central value; the change is that of the central values."""
    table = _compare_two_runs(folder, cli, "flood_step_1m")
    nation = table.iloc[0]
    assert nation["zone_code"] == "XXF" and nation["level"] == 0 and nation["hazard_id"] == "flood"
    assert nation["population_baseline"] == pytest.approx(P0.sum(), rel=1e-12)
    for run, depth in (("baseline", D0), ("future", D1)):
        for suffix, step in (("", 1.0), ("_low", 1.5), ("_high", 0.5)):
            expected = aad_by_zone(P0, depth, step)
            assert nation[f"aad_{run}{suffix}"] == pytest.approx(expected["national"], rel=1e-12)
            zone_a = table[table["zone_code"] == "A"].iloc[0]
            assert zone_a[f"aad_{run}{suffix}"] == pytest.approx(expected["A"], rel=1e-12)
    change = aad_by_zone(P0, D1)["national"] - aad_by_zone(P0, D0)["national"]
    assert nation["aad_change"] == pytest.approx(change, rel=1e-12)
    assert list(table.columns[7:11]) == [
        "aad_baseline", "aad_baseline_low", "aad_baseline_high", "aad_future"
    ]  # fmt: skip


def test_compare_gives_the_range_of_scenario_figures(folder, cli):
    """A scenario's displaced people with the curve variants' range (low: 1.5 m step,
    high: 0.5 m), each run's and nationally; compare.csv left the range out."""
    table = _compare_two_runs(folder, cli, "flood_step_1m", scenario=True)
    for run, depth in (("baseline", D0[100]), ("future", D1[100])):
        for suffix, step in (("", 1.0), ("_low", 1.5), ("_high", 0.5)):
            displaced = P0 * (depth >= step)
            expected = {z: displaced[z == ZONE].sum() for z in "AB"}
            for code, value in (("XXF", displaced.sum()), *expected.items()):
                row = table[table["zone_code"] == code].iloc[0]
                assert row[f"displaced_{run}{suffix}"] == pytest.approx(value, rel=1e-12)
    nation = table.iloc[0]
    assert nation["displaced_baseline_low"] < nation["displaced_baseline_high"]


def test_a_future_gives_its_own_flooded_fraction(folder, raster_writer):
    """The baseline's fraction was dropped silently when a future set only its intensity
    (the future counted whole cells: +62 % 'climate only' in a probe); now the future
    gives its own fraction, or fraction: null for whole cells."""
    from mecc.errors import ConfigError

    share = np.array([[0.5, 0.25, 1.0], [0.5, 0.75, 0.1]])
    raster_writer("share.tif", share, transform=T)
    run = (
        "country: XXF\npopulation: {path: pop.tif}\n" + ONE_LEVEL + "hazards:\n"
        "  - {id: flood, type: river_flood, curve: flood_step_1m, intensity: d100.tif,\n"
        "     scenario: s, fraction: share.tif}\n"
        "futures:\n  - id: later\n    hazards: {flood: {intensity: f100.tif, scenario: s%s}}\n"
    )
    (folder / "run.yaml").write_text(run % "")
    with pytest.raises(ConfigError, match=r"futures\[0\]\.hazards\.flood\.fraction: give"):
        run_country(folder / "run.yaml", folder / "out")
    assert not (folder / "out").exists()
    for given, expected_share in ((", fraction: share.tif", share), (", fraction: null", 1.0)):
        (folder / "run.yaml").write_text(run % given)
        out = run_country(folder / "run.yaml", folder / "out", overwrite=True).out_dir
        table = pd.read_csv(out / "futures.csv", encoding="utf-8-sig", dtype={"zone_code": str})
        row = table[(table["zone_code"] == "XXF") & (table["level"] == 0)].iloc[0]
        expected = (P0 * expected_share * (D1[100] >= 1.0)).sum()
        assert row["future"] == pytest.approx(expected, rel=1e-12), given


def test_the_manifest_lists_and_hashes_every_file_a_future_reads(folder):
    import hashlib

    (folder / "growth.csv").write_text("zone_code,growth\nA,1.1\nB,1\n", encoding="utf-8")
    futures = (
        "  - id: grid\n    hazards: {flood: {return_periods: {10: f10.tif, 100: f100.tif}}}\n"
        "    population: {path: pop2050.tif, year: 2050}\n"
        "  - id: growth\n    population: {growth: growth.csv}\n"
    )
    _run(folder, futures, "listed")
    manifest = json.loads((folder / "out_listed" / "manifest.json").read_text(encoding="utf-8"))
    listed = {record["path"]: record for record in manifest["inputs"]}
    for name in ("f10.tif", "f100.tif", "pop2050.tif", "growth.csv"):
        record = next(r for path, r in listed.items() if path.endswith(name))
        assert record["role"].startswith("future "), record
        assert record["sha256"] == hashlib.sha256((folder / name).read_bytes()).hexdigest()


def test_a_future_population_grid_keeps_the_seasonal_presence(folder):
    """The hazard strikes in August, when twice the residents are present (national
    multiplier 2): every figure doubles, the future population grid's too (its pass left
    presence out: the future showed half, and population_only came out negative)."""
    (folder / "season.yaml").write_text(
        "country: XXF\npopulation: {path: pop.tif, year: 2020}\n"
        + ONE_LEVEL
        + "hazards:\n  - id: flood\n    type: river_flood\n    curve: flood_step_1m:central\n"
        "    return_periods: {10: d10.tif, 100: d100.tif}\n    season: {8: 1}\n"
        "mobility: {seasonal: {multipliers: {8: 2.0}}}\n"
        "futures:\n  - id: people\n    population: {path: pop2050.tif, year: 2050}\n"
        "  - id: both\n    hazards: {flood: {return_periods: {10: f10.tif, 100: f100.tif}}}\n"
        "    population: {path: pop2050.tif, year: 2050}\n"
    )
    out = run_country(folder / "season.yaml", folder / "out_season", with_map=False).out_dir
    comparison = pd.read_csv(out / "futures.csv", encoding="utf-8-sig", dtype={"zone_code": str})
    attribution = pd.read_csv(
        out / "attribution.csv", encoding="utf-8-sig", dtype={"zone_code": str}
    )
    h00, h01, h11 = aad_by_zone(P0, D0), aad_by_zone(P1, D0), aad_by_zone(P1, D1)
    for zone, key in (("A", "A"), ("B", "B"), ("XXF", "national")):
        assert _row(comparison, "people", zone)["baseline"] == pytest.approx(2 * h00[key])
        assert _row(comparison, "people", zone)["future"] == pytest.approx(2 * h01[key])
        assert _row(comparison, "both", zone)["future"] == pytest.approx(2 * h11[key])
        parts = _row(attribution, "people", zone)
        assert parts["population_only"] == pytest.approx(2 * (h01[key] - h00[key]), abs=1e-9)


def test_the_baselines_variant_warning_is_given_once_not_by_every_future(folder):
    """Variants in the wrong order (curves that cross, so not refused: 'low' displaces
    90 % from 0.5 m, more than the 1 m step here, 'high' everyone from 1.5 m): the
    baseline's tables warn; each future's pass (a population grid, a future hazard)
    rebuilt the tables and warned again, with other numbers under the same hazard id."""
    import json

    (folder / "swapped.yaml").write_text(
        "country: XXF\npopulation: {path: pop.tif, year: 2020}\n"
        + ONE_LEVEL
        + "hazards:\n  - id: flood\n    type: river_flood\n    curve: {step: 1.0}\n"
        "    variants: {low: {intensity: [0, 0.5, 0.5, 5], share: [0, 0, 0.9, 0.9]},"
        " high: {step: 1.5}}\n"
        "    return_periods: {10: d10.tif, 100: d100.tif}\n"
        "futures:\n  - id: both\n    hazards: {flood: {return_periods: {10: f10.tif, 100: f100.tif}}}\n"
        "    population: {path: pop2050.tif, year: 2050}\n"
    )
    out = run_country(folder / "swapped.yaml", folder / "out_swapped", with_map=False).out_dir
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    said = [w for w in manifest["warnings"] if "curve variants are in the wrong order" in w]
    assert len(said) == 1 and said[0].startswith("hazards.flood: ")
