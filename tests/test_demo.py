"""The embedded demo country runs end to end and its outputs reconcile."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import rasterio

from tests._run_inputs import demo_population


@pytest.fixture
def demo(demo_folder):
    """The session's demo, written once by ``mecc demo`` (tests/conftest.py)."""
    return demo_folder


def test_demo_is_deterministic_and_labelled_fictional(demo, tmp_path):
    from mecc.demo import write_demo_inputs

    again = write_demo_inputs(tmp_path / "again")
    for name in ("population.tif", "river_flood_rp0100.tif", "river_flood_events.csv", "run.yaml"):
        first, second = demo / "inputs" / name, again.parent / name
        if name.endswith(".tif"):
            with rasterio.open(first) as a, rasterio.open(second) as b:
                np.testing.assert_array_equal(a.read(), b.read())
        else:
            assert first.read_text() == second.read_text()
    summary = json.loads((demo / "run" / "summary.json").read_text())
    assert "fictional" in summary["name"]
    assert summary["country"] == "XMR"


def test_demo_outputs_reconcile(demo):
    run = demo / "run"
    summary = json.loads((run / "summary.json").read_text())
    zones = pd.read_csv(run / "zones.csv", encoding="utf-8-sig", dtype={"zone_code": str})
    people = demo_population(demo / "inputs")  # the grid and the sites' people added
    assert summary["population_total"] == pytest.approx(np.nansum(people), rel=1e-12)
    for hazard_id, item in summary["hazards"].items():
        rows = zones[zones["hazard_id"] == hazard_id]
        districts = rows[rows["level"] == 2]
        provinces = rows[rows["level"] == 1]
        outside = rows[rows["zone_code"] == "__outside__"]
        total = districts["population"].sum() + outside["population"].sum()
        assert total == pytest.approx(summary["population_total"], rel=1e-12)
        assert provinces["population"].sum() == pytest.approx(
            districts["population"].sum(), rel=1e-12
        )
        for province in provinces.itertuples():
            children = districts[districts["parent_code"] == province.zone_code]
            assert len(children) > 0
            assert province.population == pytest.approx(children["population"].sum(), rel=1e-12)
        headline = next(k for k in ("aad", "displaced", "at_risk_relocation") if k in item)
        national = item[headline]
        assert national > 0
        assert districts[headline].sum() + outside[headline].sum() == pytest.approx(
            national, rel=1e-9
        )
        assert provinces[headline].sum() == pytest.approx(districts[headline].sum(), rel=1e-9)
    with rasterio.open(run / "displaced.tif") as grid:
        assert list(grid.descriptions) == list(summary["hazards"])
        for k, (hazard_id, item) in enumerate(summary["hazards"].items(), start=1):
            headline = next(
                item[k] for k in ("aad", "displaced", "at_risk_relocation") if k in item
            )
            assert grid.read(k).sum() == pytest.approx(headline, rel=1e-9), hazard_id


def test_demo_ensemble_members_bracket_the_pooled_aad(demo):
    item = json.loads((demo / "run" / "summary.json").read_text())["hazards"]["river_flood_years"]
    members = item["aad_by_member"]
    assert set(members) == {"model_a", "model_b"}
    assert item["aad_member_min"] <= item["aad"] <= item["aad_member_max"]
    assert np.mean(list(members.values())) == pytest.approx(item["aad"], rel=1e-12)
    # 20 model-years per member: PMD is defined up to 40 years for the pooled set only
    assert item["pmd"]["25"] is not None and item["pmd"]["50"] is None
    assert "longer than the return periods" in item["pmd_notes"]["50"]


def test_zones_geopackage_matches_zones_csv(demo):
    import geopandas as gpd
    import pyogrio

    run = demo / "run"
    zones = pd.read_csv(run / "zones.csv", encoding="utf-8-sig", dtype={"zone_code": str})
    layers = [name for name, _ in pyogrio.list_layers(run / "zones.gpkg")]
    assert layers == ["admin1", "admin2", "layer_styles"]  # layer_styles: the QGIS style
    for level in (1, 2):
        frame = gpd.read_file(run / "zones.gpkg", layer=f"admin{level}")
        assert frame.crs.to_epsg() == 4326
        expected = zones[(zones["level"] == level) & (zones["hazard_id"] == "river_flood")]
        merged = frame.merge(expected, on="zone_code", suffixes=("", "_csv"))
        assert len(merged) == len(frame) == len(expected)
        np.testing.assert_allclose(merged["river_flood_aad"], merged["aad"], rtol=1e-12)
        np.testing.assert_allclose(merged["population"], merged["population_csv"], rtol=1e-12)


def test_demo_futures_attribution_adds_up(demo):
    summary = json.loads((demo / "run" / "summary.json").read_text())
    assert set(summary["futures"]) == {"ssp245_2050", "ssp585_2050"}
    for future in summary["futures"].values():
        flood = future["hazards"]["river_flood"]
        parts = flood["climate_only"] + flood["population_only"] + flood["interaction"]
        assert parts == pytest.approx(flood["change"], rel=1e-9)
        assert flood["climate_only"] > 0 and flood["population_only"] > 0  # wetter and more people
    assert summary["hazards"]["sea_level_rise"]["at_risk_relocation"] > 0


def test_demo_prints_the_folder_as_given(cli, tmp_path, monkeypatch):
    """README's tour shows `wrote demo-output (...)` and `map: demo-output/run/map.html`;
    the demo printed the folder's absolute path."""
    monkeypatch.chdir(tmp_path)
    result = cli("demo", "--out", "demo-output")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "wrote demo-output (fictional demo country: inputs/, run/, profiles/ and training/)"
    )
    assert lines[1] == "  map: demo-output/run/map.html"
    assert lines[-1] == "open demo-output/run/map.html in a browser (works with no network)"
    assert (tmp_path / "demo-output" / "run" / "map.html").is_file()
