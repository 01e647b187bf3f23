"""Curve variants that cross warn also when only some units' figures are out of order.

A probe: the demo's river flood with a ``low`` of 30 % from 0.5 m and a ``high`` of
everyone from 0.8 m (they cross the 1 m step of the central curve) gave a unit with low
958.5 and high 574.6 around a central 151.4 (PMD 25) while the national figures were in
order, and the run said nothing; the national warning also said "the tables" show the
lowest-to-highest range, though zones.csv and summary.json keep each variant's figure.

A real run of a small synthetic country: 10 x 20 cells of 100 people; units W (columns
0-7, 8,000 people), M (8-11, 4,000) and E (12-19, 8,000). Depths of ``sc.tif``: W 0.6 m,
M 0.9 m, E 2 m. The curves: the central ``flood_step_1m`` (everyone from 1 m), ``low``
30 % from 0.5 m, ``high`` everyone from 0.8 m. So, by hand:

- ``sc`` (scenario): central W 0, M 0, E 8,000 (8,000); low 2,400, 1,200, 2,400
  (6,000); high 0, 4,000, 8,000 (12,000). In order nationally; W (low 2,400 above 0)
  and M (low 1,200 above 0) are not: 2 units, W the farthest out.
- ``rp`` (return-period maps): the 10-year map W 0.6 m, M and E dry; the 100-year map
  2 m everywhere. AAD = (1/10 - 1/100) (D10 + D100) / 2 is in order in every unit
  (W: central 0.045 x 8,000 = 360, low 0.045 x 4,800 = 216, high 360) and nationally,
  but W's pmd_10 (the 10-year map) is central 0, low 2,400, high 0: 1 unit.
- ``ok``: the central step at 1 m between a ``low`` step at 1.5 m and a ``high`` one at
  0.5 m: in order everywhere, no warning.
- ``nat``: the central step at 0.5 m (20,000) above both variants nationally (low 6,000,
  high 12,000): the national warning alone (once per hazard), saying which outputs show
  the range 6,000 to 20,000 and which keep each variant's own figure.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import yaml
from affine import Affine
from shapely.geometry import box

from mecc.run import run_country
from tests.conftest import write_raster

CELL = 0.01
TRANSFORM = Affine(CELL, 0, 30.0, 0, -CELL, 0.1)
PEOPLE = 100.0  # per cell
UNITS = {"W": (0, 8), "M": (8, 12), "E": (12, 20)}
DEPTH = {"W": 0.6, "M": 0.9, "E": 2.0}
CROSS = {
    "low": {"intensity": [0.5, 0.5, 10], "share": [0, 0.3, 0.3]},
    "high": {"intensity": [0.8, 0.8, 10], "share": [0, 1, 1]},
}
WRONG = "the curve variants are in the wrong order"


def _people(unit: str) -> float:
    a, b = UNITS[unit]
    return 10 * (b - a) * PEOPLE


def _share(curve: str, depth: float) -> float:
    """The three curves of the runs, by hand."""
    return {
        "central": float(depth >= 1.0),
        "low": 0.3 * (depth >= 0.5),
        "high": float(depth >= 0.8),
    }[curve]


def _grid(depths: dict) -> np.ndarray:
    grid = np.zeros((10, 20), "float32")
    for unit, (a, b) in UNITS.items():
        grid[:, a:b] = depths.get(unit, 0.0)
    return grid


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> tuple[Path, list[str]]:
    folder = tmp_path_factory.mktemp("variant_order")
    write_raster(folder / "pop.tif", np.full((10, 20), PEOPLE, "float32"), TRANSFORM, nodata=-1)
    write_raster(folder / "sc.tif", _grid(DEPTH), TRANSFORM, nodata=-9999)
    write_raster(folder / "rp10.tif", _grid({"W": 0.6}), TRANSFORM, nodata=-9999)
    write_raster(folder / "rp100.tif", np.full((10, 20), 2.0, "float32"), TRANSFORM, nodata=-9999)
    geometries = [box(30.0 + a * CELL, 0.0, 30.0 + b * CELL, 0.1) for a, b in UNITS.values()]
    codes = list(UNITS)
    frame = gpd.GeoDataFrame({"code": codes, "name": codes}, geometry=geometries, crs=4326)
    frame.to_file(folder / "z.gpkg", layer="z")
    flood = {"type": "river_flood", "curve": "flood_step_1m"}
    scenario = {"intensity": "sc.tif", "scenario": "test"}
    config = {
        "country": "VUT",
        "population": {"path": "pop.tif", "kind": "count"},
        "zones": {"path": "z.gpkg", "layer": "z", "code_field": "code", "level": 1},
        "hazards": [
            {"id": "sc", **flood, **scenario, "variants": CROSS},
            {
                "id": "rp",
                **flood,
                "return_periods": {10: "rp10.tif", 100: "rp100.tif"},
                "variants": CROSS,
            },
            {
                "id": "ok",
                **flood,
                **scenario,
                "variants": {"low": {"step": 1.5}, "high": {"step": 0.5}},
            },
            {"id": "nat", **flood, **scenario, "curve": {"step": 0.5}, "variants": CROSS},
        ],
    }
    (folder / "run.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    result = run_country(folder / "run.yaml", folder / "run", with_map=False)
    return result.out_dir, list(result.warnings)


def _said(warnings: list[str], hazard_id: str) -> list[str]:
    return [w for w in warnings if w.startswith(f"hazards.{hazard_id}: ") and WRONG in w]


def _zones(out: Path, hazard_id: str) -> pd.DataFrame:
    table = pd.read_csv(out / "zones.csv", encoding="utf-8-sig", dtype={"zone_code": str})
    return table[table["hazard_id"] == hazard_id].set_index("zone_code")


def test_the_run_has_the_figures_worked_out_by_hand(run):
    out, _ = run
    zones = _zones(out, "sc")
    for unit in UNITS:
        for curve, column in (("central", ""), ("low", "_low"), ("high", "_high")):
            expected = _people(unit) * _share(curve, DEPTH[unit])
            assert zones.loc[unit, f"displaced{column}"] == pytest.approx(expected)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))["hazards"]
    national = [summary["sc"][k] for k in ("displaced", "displaced_low", "displaced_high")]
    assert national == pytest.approx([8000.0, 6000.0, 12000.0])  # in order
    rp = _zones(out, "rp")
    assert rp.loc["W", ["pmd_10", "pmd_10_low", "pmd_10_high"]].tolist() == pytest.approx(
        [0.0, 2400.0, 0.0]
    )
    weight = (1 / 10 - 1 / 100) / 2  # trapezoid between the two maps
    assert rp.loc["W", ["aad", "aad_low", "aad_high"]].tolist() == pytest.approx(
        [weight * 8000, weight * (2400 + 2400), weight * 8000]
    )
    assert summary["rp"]["aad_low"] == pytest.approx(weight * (2400 + 0.3 * 20000))


def test_units_out_of_order_warn_once_naming_the_worst(run):
    out, warnings = run
    (said,) = _said(warnings, "sc")
    # W: low 0.3 x 8,000 = 2,400 above the central 0; M: 0.3 x 4,000 = 1,200 above 0
    assert said.startswith(
        "hazards.sc: the curve variants are in the wrong order in 2 units of zones.csv, "
        "though not in the national figure (displaced) ('low' must displace fewer people "
        "than the central curve and 'high' more): the curves cross"
    )
    assert (
        "The farthest out is unit W (W), displaced in people: from fewest to most, the "
        "central curve (flood_step_1m) 0.0, 'high' (inline curve"
    ) in said
    assert " 0.0, 'low' (inline curve" in said and ") 2,400.0." in said
    assert (
        "give as 'low' a curve that displaces no more people than the central curve "
        "(flood_step_1m) at any intensity"
    ) in said
    assert (
        "the headline, the map and sendai.csv show the lowest to the highest of the central "
        "figure and the variants (for that unit 0.0 to 2,400.0); zones.csv, zones_bands.csv "
        "and summary.json keep each variant's own figure"
    ) in said


def test_a_pmd_out_of_order_warns_though_the_aad_is_in_order(run):
    out, warnings = run
    (said,) = _said(warnings, "rp")
    assert said.startswith(
        "hazards.rp: the curve variants are in the wrong order in 1 unit of zones.csv, "
        "though not in the national figure (aad)"
    )
    assert "The farthest out is unit W (W), pmd_10 in people: from fewest to most" in said
    assert "(flood_step_1m) 0.0, 'high' (inline" in said and ") 2,400.0." in said
    assert "(for that unit 0.0 to 2,400.0)" in said


def test_variants_in_order_everywhere_give_no_warning(run):
    out, warnings = run
    zones = _zones(out, "ok")
    assert (zones["displaced_low"] <= zones["displaced"]).all()
    assert (zones["displaced"] <= zones["displaced_high"]).all()
    assert _said(warnings, "ok") == []
    assert not [w for w in warnings if w.startswith("hazards.ok:")]


def test_national_warning_alone_says_which_outputs_show_the_range(run):
    _, warnings = run
    (said,) = _said(warnings, "nat")  # units out of order too, but one warning per hazard
    # central 8,000 + 4,000 + 8,000 = 20,000 (step at 0.5 m); low 6,000; high 12,000
    assert said.startswith("hazards.nat: the curve variants are in the wrong order ('low' must")
    assert "people: 'low' (inline" in said and "6,000.0, 'high'" in said
    assert "12,000.0, the central curve (step at 0.5 m) 20,000.0;" in said
    assert said.endswith(
        "Meanwhile the headline, the map and sendai.csv show the range 6,000.0 to 20,000.0 "
        "(the lowest to the highest of the central figure and the variants); zones.csv, "
        "zones_bands.csv and summary.json keep each variant's own figure"
    )


def _curves():
    from types import SimpleNamespace

    return {n: SimpleNamespace(name=f"step {n}") for n in ("central", "low", "high")}


@pytest.mark.parametrize(("kind", "warned"), [("events", False), ("return_periods", True)])
def test_an_event_sets_pmd_out_of_order_alone_is_not_blamed_on_crossing_curves(kind, warned):
    """A probe: an event set with the built-in steps at 1.5, 1 and 0.5 m (never crossing)
    gave a unit's PMD 25 low 2,011.6 and high 2,242.2 around a central 2,271.3 (each
    variant's exceedance curve ranks the events by its own figures) and the run warned
    that the curves cross. Only return-period maps' PMDs are compared; the AAD in order."""
    import warnings as python_warnings
    from types import SimpleNamespace

    from mecc.variant_order import warn_variants_out_of_order

    hazard = SimpleNamespace(id="pf", kind=kind, curves=_curves())
    summary = {"aad": 100.0, "aad_low": 80.0, "aad_high": 120.0}
    units = pd.DataFrame({"zone_code": ["A"], "zone_name": ["A"], "level": [1]})
    figures = {
        "aad": [100.0],
        "aad_low": [80.0],
        "aad_high": [120.0],
        "pmd_25": [2271.3],
        "pmd_25_low": [2011.6],
        "pmd_25_high": [2242.2],
    }
    with python_warnings.catch_warnings(record=True) as caught:
        python_warnings.simplefilter("always")
        warn_variants_out_of_order(hazard, summary, units, figures)
    said = [str(w.message) for w in caught]
    assert bool(said) == warned
    if warned:
        assert "in 1 unit of zones.csv" in said[0] and "pmd_25" in said[0]
