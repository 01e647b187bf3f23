"""The map states the displaced it cannot place, and draws and words combined hazards.

- People with no host in reach and people hosted outside every admin unit
  (allocation.csv, flows.csv) are in the host-burden layer's legend and popups, the flow
  layer's name and the About panel's notes.
- A combined hazard (``components:``) has each component's intensity as its own layer,
  in the component type's canonical unit.
- A French or Spanish map names a combined hazard's component curves and combine rule in
  its language.

Real runs of small synthetic countries (GeoTIFFs and a GeoPackage in tmp_path).
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import yaml
from affine import Affine
from shapely.geometry import box

from mecc.map_data import Numbers, labels, read_run
from mecc.map_text import Text
from mecc.maps import _Page, build_map
from mecc.run import run_country
from tests.conftest import write_raster

CELL = 0.01  # degrees, about 1.1 km at the equator
TRANSFORM = Affine(CELL, 0, 30.0, 0, -CELL, 0.1)


def _zones(path: Path, codes, columns) -> None:
    """Units over column ranges of the 10-row grid (the rest of the grid: no unit)."""
    geometries = [box(30.0 + a * CELL, 0.1 - 10 * CELL, 30.0 + b * CELL, 0.1) for a, b in columns]
    frame = gpd.GeoDataFrame({"code": codes, "name": codes}, geometry=geometries, crs=4326)
    frame.to_file(path, layer="z")


def _run(folder: Path, config: dict) -> Path:
    (folder / "run.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    run_country(folder / "run.yaml", folder / "run", with_map=False)
    return folder / "run"


@pytest.fixture(scope="module")
def outside_run(tmp_path_factory) -> Path:
    """Flooded columns 0-14 in two units (W: 0-7, E: 8-14), dry columns 15-19 in no unit:
    the west has no host within 5 km, the east is hosted outside every admin unit."""
    folder = tmp_path_factory.mktemp("outside")
    write_raster(folder / "pop.tif", np.full((10, 20), 100.0, "float32"), TRANSFORM, nodata=-1)
    depth = np.zeros((10, 20), "float32")
    depth[:, :15] = 2.0
    write_raster(folder / "depth.tif", depth, TRANSFORM, nodata=-9999)
    _zones(folder / "z.gpkg", ["W", "E"], [(0, 8), (8, 15)])
    config = {
        "country": "VUT",
        "population": {"path": "pop.tif", "kind": "count"},
        "zones": {"path": "z.gpkg", "layer": "z", "code_field": "code", "level": 1},
        "hazards": [
            {
                "id": "flood",
                "type": "river_flood",
                "intensity": "depth.tif",
                "scenario": "test",
                "curve": "flood_step_1m",
            }
        ],
        "mobility": {"allocation": {"radius_km": 5}},
    }
    return _run(folder, config)


@pytest.fixture(scope="module")
def combined_run(tmp_path_factory) -> Path:
    """Cyclone wind (in knots) and storm surge (an inline curve) combined."""
    folder = tmp_path_factory.mktemp("combined")
    write_raster(folder / "pop.tif", np.full((10, 20), 100.0, "float32"), TRANSFORM, nodata=-1)
    wind = np.tile(np.linspace(40.0, 100.0, 20, dtype="float32"), (10, 1))  # kt
    write_raster(folder / "wind.tif", wind, TRANSFORM, nodata=-9999)
    surge = np.zeros((10, 20), "float32")
    surge[:, :6] = 2.5
    write_raster(folder / "surge.tif", surge, TRANSFORM, nodata=-9999)
    _zones(folder / "z.gpkg", ["W", "E"], [(0, 10), (10, 20)])
    config = {
        "country": "VUT",
        "population": {"path": "pop.tif", "kind": "count"},
        "zones": {"path": "z.gpkg", "layer": "z", "code_field": "code", "level": 1},
        "hazards": [
            {
                "id": "tc",
                "type": "tropical_cyclone",
                "scenario": "wind and surge",
                "combine": "independent",
                "components": [
                    {
                        "type": "tropical_cyclone",
                        "intensity": "wind.tif",
                        "unit": "kt",
                        "curve": "tc_emanuel_kam2024_oc1",
                    },
                    {
                        "type": "coastal_flood",
                        "intensity": "surge.tif",
                        "curve": {"intensity": [0, 3], "share": [0, 0.6]},
                    },
                ],
            }
        ],
    }
    return _run(folder, config)


def _map(run: Path, lang: str = "en") -> str:
    out = build_map(run, run.parent / f"map_{lang}" / "map.html", lang=lang)
    return out.read_text(encoding="utf-8")


def _allocation(run: Path) -> pd.DataFrame:
    return pd.read_csv(run / "allocation.csv", keep_default_na=False, na_values=[""])


# --- people with no host, people hosted outside every unit -----------------------------


def test_the_run_has_people_with_no_host_and_people_hosted_outside(outside_run):
    table = _allocation(outside_run).set_index("zone_code")
    assert table.loc["W", "no_host"] > 100  # far from any dry cell
    assert table.loc["E", "no_host"] < table.loc["E", "displaced"]
    assert table.loc["__outside__", "hosted"] > 100
    flows = pd.read_csv(outside_run / "flows.csv")
    assert (flows["to_zone"] == "__outside__").any()


def test_about_panel_and_legend_give_no_host_and_hosted_outside(outside_run):
    table = _allocation(outside_run)
    number = Numbers(labels("en"))
    no_host, outside = table["no_host"].sum(), table.set_index("zone_code").loc["__outside__"]
    # the variants' range: the lowest to the highest of the central total and the variants'
    totals = [table[c].sum() for c in ("displaced", "displaced_low", "displaced_high")]
    line = (
        f"flood, scenario: {number(no_host)} people have no host in reach (no safe place "
        f"within the radius) and {number(outside['hosted'])} are hosted outside every admin "
        f"unit; people displaced: {number(totals[0])} (curve variants "
        f"{number(min(totals))} to {number(max(totals))}, not allocated). Central curve, "
        "modelled estimate (allocation.csv)."
    )
    page = html.unescape(_map(outside_run))
    about = page[page.index('id="mecc-title"') :]
    assert line in about  # the About panel's notes
    legends = page[page.index('id="mecc-legends"') : page.index('id="mecc-title"')]
    legend = re.search(r"<section[^>]*><h2>People hosted per 1,000[^§]*?</section>", legends)
    assert legend is not None and line in legend.group(0)


def test_flow_layer_names_the_people_hosted_outside(outside_run):
    flows = pd.read_csv(outside_run / "flows.csv")
    sent = flows.loc[flows["to_zone"] == "__outside__", "people"].sum()
    page = html.unescape(_map(outside_run))
    name = f"{Numbers(labels('en'))(sent)} people hosted outside every admin unit, not drawn"
    assert sent > 0 and name in page


def test_unit_popups_of_the_host_layer_show_their_own_no_host(outside_run):
    table = _allocation(outside_run).set_index("zone_code")
    flows = pd.read_csv(outside_run / "flows.csv")
    text = Text(labels("en"), "en")
    page = _Page(read_run(outside_run), text, None)
    layers = page.choropleths()
    host = next(layer for layer in layers if layer[0].startswith("People hosted per 1,000"))
    popups = dict(zip(page.codes, page.popups[host[3]], strict=True))
    for code in ("W", "E"):
        cells = dict(re.findall(r'<th scope="row">([^<]*)</th><td>(.*?)</td>', popups[code]))
        no_host = cells["No host in reach (no safe place within the radius)"]
        assert no_host == text.num(table.loc[code, "no_host"])
        assert cells["People hosted here"] == text.num(table.loc[code, "hosted"])
    sent = flows[(flows["from_zone"] == "E") & (flows["to_zone"] == "__outside__")]
    cells = dict(re.findall(r'<th scope="row">([^<]*)</th><td>(.*?)</td>', popups["E"]))
    assert cells["Sent to hosts outside every admin unit"] == text.num(sent["people"].sum())


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("fr", "personnes n'ont aucun hôte à portée"),
        ("es", "personas no tienen anfitrión al alcance"),
    ],
)
def test_no_host_line_in_french_and_spanish(outside_run, lang, words):
    table = _allocation(outside_run)
    number = Numbers(labels(lang))(table["no_host"].sum())
    page = html.unescape(_map(outside_run, lang))
    assert f"{number} {words}" in page


# --- combined hazards -------------------------------------------------------------------


def _legend(page: str, title: str) -> str:
    found = re.search(rf"<section[^>]*><h2>{re.escape(title)}</h2>.*?</section>", page)
    assert found is not None, title
    return found.group(0)


def test_combined_hazard_draws_each_component_intensity(combined_run):
    page = html.unescape(_map(combined_run)).replace("\\u00b7", "·")
    assert "Hazard intensity, scenario · tc · tropical cyclone (m/s)" in page
    assert "Hazard intensity, scenario · tc · coastal flood (m)" in page
    wind = _legend(page, "Hazard intensity · tc · tropical cyclone (m/s)")
    classes = " ".join(re.findall(r"</svg> ([^<]*)</li>", wind))
    edges = [float(e.replace(",", "")) for e in re.findall(r"\d[\d.,]*", classes)]
    # 40-100 kt drawn in m/s (20.6-51.4): no class edge in knots
    assert edges and min(edges) >= 20 and max(edges) <= 52
    surge = _legend(page, "Hazard intensity · tc · coastal flood (m)")
    assert "m</p>" in surge


def test_combined_hazard_intensity_note_in_about_panel(combined_run):
    page = html.unescape(_map(combined_run))
    about = page[page.index('id="mecc-title"') :]
    assert "tc combines its components' displacement shares: there is no combined" in about


@pytest.mark.parametrize(
    ("lang", "central", "variant"),
    [
        (
            "en",
            "tc_emanuel_kam2024_oc1 + inline curve, 2 points (0-3 m) "
            "(independent: 1 - prod(1 - share))",
            "tc_emanuel_kam2024_oc1:low + inline curve, 2 points (0-3 m) (independent)",
        ),
        (
            "fr",
            "tc_emanuel_kam2024_oc1 + courbe du fichier de calcul, 2 points (0-3 m) "
            "(parts indépendantes : 1 - prod(1 - part))",
            "tc_emanuel_kam2024_oc1:low + courbe du fichier de calcul, 2 points (0-3 m) "
            "(parts indépendantes)",
        ),
        (
            "es",
            "tc_emanuel_kam2024_oc1 + curva del archivo de cálculo, 2 puntos (0-3 m) "
            "(proporciones independientes: 1 - prod(1 - proporción))",
            "tc_emanuel_kam2024_oc1:low + curva del archivo de cálculo, 2 puntos (0-3 m) "
            "(proporciones independientes)",
        ),
    ],
)
def test_combined_curve_name_and_rule_in_the_maps_language(combined_run, lang, central, variant):
    page = html.unescape(_map(combined_run, lang))
    about = page[page.index('data-hazard="tc"') :]
    about = about[: about.index("</li>")]
    assert central in about
    assert variant in about
    if lang != "en":
        assert "inline curve" not in about and "independent" not in about
