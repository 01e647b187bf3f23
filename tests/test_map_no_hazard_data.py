"""The map draws people without hazard data as not known, not 0, and says how many.

A real run of a small synthetic country (GeoTIFFs and a GeoPackage in tmp_path): 10 x 20
cells of 100 people; units W (columns 0-7), M (8-15) and E (16-19). Hazard grids that
stop at column 11 leave M's east half and all of E without hazard data:

- ``sc``: a scenario, 2 m of water on columns 0-11 (everyone there displaced);
- ``rp``: return-period maps, the 10-year one on columns 0-11, the 100-year one on all;
- ``rpx``: return-period maps, both on columns 0-11;
- a future ``later`` doubles everyone.

E's figures for ``sc`` and ``rpx`` are not known (the no-data hatch, a popup saying
why); for ``rp`` the 100-year map gives them. M shows its figures and how many people
they leave out. The About panel and the legends give each hazard's national count.
"""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import yaml
from affine import Affine
from shapely.geometry import box

from mecc.map_data import NODATA_FILL, Numbers, labels
from mecc.maps import build_map
from mecc.run import run_country
from tests.conftest import write_raster
from tests.test_maps import browser, visit  # noqa: F401 (fixtures: Chromium, no network)

CELL = 0.01
TRANSFORM = Affine(CELL, 0, 30.0, 0, -CELL, 0.1)
PEOPLE = 100.0  # per cell
UNITS = {"W": (0, 8), "M": (8, 16), "E": (16, 20)}
COVERED = 12  # columns of the small hazard grids
SCENARIO_LAYER = "People displaced (scenario) · sc"
WORDS = {
    "en": ("Not known (not 0)", "the hazard grid has no data where this unit"),
    "fr": ("Inconnus (pas 0)", "la grille d'aléa n'a pas de données là où vivent"),
    "es": ("Desconocidas (no 0)", "la grilla de amenaza no tiene datos donde viven"),
}
SOME = {
    "en": "{n} people without hazard data (not counted)",
    "fr": "{n} personnes sans données d'aléa (non comptées)",
    "es": "{n} personas sin datos de amenaza (no contadas)",
}


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("no_hazard")
    write_raster(folder / "pop.tif", np.full((10, 20), PEOPLE, "float32"), TRANSFORM, nodata=-1)
    later = np.full((10, 20), 2 * PEOPLE, "float32")
    write_raster(folder / "pop2050.tif", later, TRANSFORM, nodata=-1)
    small = np.full((10, COVERED), 2.0, "float32")  # ends at column 11: a smaller map
    write_raster(folder / "small.tif", small, TRANSFORM, nodata=-9999)
    write_raster(folder / "full.tif", np.full((10, 20), 2.0, "float32"), TRANSFORM, nodata=-9999)
    geometries = [box(30.0 + a * CELL, 0.0, 30.0 + b * CELL, 0.1) for a, b in UNITS.values()]
    codes = list(UNITS)
    frame = gpd.GeoDataFrame({"code": codes, "name": codes}, geometry=geometries, crs=4326)
    frame.to_file(folder / "z.gpkg", layer="z")
    flood = {"type": "river_flood", "curve": "flood_step_1m"}
    config = {
        "country": "VUT",
        "population": {"path": "pop.tif", "kind": "count"},
        "zones": {"path": "z.gpkg", "layer": "z", "code_field": "code", "level": 1},
        "hazards": [
            {"id": "sc", **flood, "intensity": "small.tif", "scenario": "test"},
            {"id": "rp", **flood, "return_periods": {10: "small.tif", 100: "full.tif"}},
            {"id": "rpx", **flood, "return_periods": {10: "small.tif", 100: "small.tif"}},
        ],
        "futures": [{"id": "later", "population": {"path": "pop2050.tif", "year": 2050}}],
    }
    (folder / "run.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    run_country(folder / "run.yaml", folder / "run", with_map=False)
    return folder / "run"


@pytest.fixture(scope="module")
def maps(run) -> dict:
    return {
        lang: build_map(run, run.parent / f"map_{lang}" / "map.html", lang=lang)
        for lang in ("en", "fr", "es")
    }


def _zones(run: Path) -> pd.DataFrame:
    table = pd.read_csv(run / "zones.csv", encoding="utf-8-sig", dtype={"zone_code": str})
    return table.set_index(["hazard_id", "zone_code"])


def _page(path: Path) -> dict:
    """The choropleths of a written map by layer name: per zone code its fill colour,
    tooltip and popup (from the page's own JSON data; entities as characters)."""
    html = path.read_text(encoding="utf-8")
    decoder = json.JSONDecoder()
    found = re.search(r"var mecc_zones_\d+ = ", html)
    data, _ = decoder.raw_decode(html, found.end())
    codes = [f["properties"]["code"] for f in data["zones"]["features"]]
    names = {
        var: json.loads(f'"{name}"')
        for name, var in re.findall(r'"((?:[^"\\]|\\.)*)" : (mecc_choropleth_\d+)', html)
    }
    layers = {}
    for match in re.finditer(r"var (mecc_choropleth_\d+) = meccChoropleth\(mecc_zones_\d+, ", html):
        spec, _ = decoder.raw_decode(html, match.end())
        popups = data["popups"][spec["popups"]]
        layers[names[match.group(1)]] = {
            code: (colour, unescape(tip), unescape(popup))
            for code, colour, tip, popup in zip(
                codes, spec["colors"], spec["tips"], popups, strict=True
            )
        }
    layers["_html"] = html
    return layers


def test_the_run_has_units_without_hazard_data(run):
    """The case as built: E has nobody with hazard data, M half, W none missing."""
    zones = _zones(run)
    people = {code: 10 * (b - a) * PEOPLE for code, (a, b) in UNITS.items()}
    missing = zones.loc["sc", "population_no_hazard_data"]
    assert missing["E"] == pytest.approx(people["E"])
    assert missing["M"] == pytest.approx(people["M"] / 2)
    assert missing["W"] == 0
    assert zones.loc[("sc", "W"), "displaced"] == pytest.approx(people["W"])


def test_unit_without_any_hazard_data_is_drawn_as_no_data(run, maps):
    layers = _page(maps["en"])
    zones = _zones(run)
    scenario = layers[SCENARIO_LAYER]
    assert scenario["E"][0] == NODATA_FILL  # the no-data hatch, as a unit without cells
    assert scenario["E"][1] == "<strong>E</strong><br>no data"  # not "0 people"
    assert scenario["W"][0] != NODATA_FILL and scenario["M"][0] != NODATA_FILL
    assert layers["Displaced per 100,000 residents · sc"]["E"][0] == NODATA_FILL
    popup = scenario["E"][2]
    start, why = WORDS["en"]
    assert start in popup and why in popup
    people = Numbers(labels("en"))(zones.loc[("sc", "E"), "population"])
    assert f"unit's {people} people live" in popup
    assert 'data-figure="displaced"' not in popup  # no "People displaced 0"
    # return-period maps: E is unknown only where no map has data for it
    assert layers["Average annual displacement · rpx"]["E"][0] == NODATA_FILL
    assert start in layers["Average annual displacement · rpx"]["E"][2]
    assert layers["Average annual displacement · rp"]["E"][0] != NODATA_FILL
    assert 'data-figure="aad"' in layers["Average annual displacement · rp"]["E"][2]


def test_unit_with_some_people_without_hazard_data_says_how_many(run, maps):
    layers = _page(maps["en"])
    zones = _zones(run)
    number = Numbers(labels("en"))
    popup = layers[SCENARIO_LAYER]["M"][2]
    shown = re.search(r'data-figure="displaced">([^<]+)<', popup).group(1)
    assert shown == number(zones.loc[("sc", "M"), "displaced"])
    missing = number(zones.loc[("sc", "M"), "population_no_hazard_data"])
    assert missing == "4,000"
    assert SOME["en"].format(n=missing) in popup
    assert "without hazard data" not in layers[SCENARIO_LAYER]["W"][2]
    rp = layers["Average annual displacement · rp"]["E"][2]
    missing = number(zones.loc[("rp", "E"), "population_no_hazard_data"])
    assert f"Up to {missing} people without hazard data in one of its maps or events" in rp


def test_about_panel_and_legend_give_the_national_count(run, maps):
    html = _page(maps["en"])["_html"]
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    number = Numbers(labels("en"))
    people = summary["hazards"]["sc"]["population_no_hazard_data"]
    share = 100 * people / summary["population_total"]
    assert (number(people), number(share)) == ("8,000", "40")
    about = html[html.index('<div id="mecc-title"') :]
    about = about[: about.index("</details>")]
    assert (
        f"<li>sc: {number(people)} people ({number(share)}% of the people on the analysis "
        "grid) live where the hazard grid has no data" in about
    )
    rpx = number(summary["hazards"]["rpx"]["population_no_hazard_data"])
    assert f"<li>rpx: up to {rpx} people in one of its maps or events" in about
    legend = html[html.index(f"<h2>{SCENARIO_LAYER}</h2>") :]
    legend = legend[: legend.index("</section>")]
    assert f"{number(people)} people without hazard data, not counted" in legend


def test_future_change_of_a_unit_without_hazard_data_is_not_known(maps):
    layers = _page(maps["en"])
    change = next(layers[n] for n in layers if n.startswith("Change in people displaced, later"))
    assert change["E"][0] == NODATA_FILL and "no data" in change["E"][1]
    assert WORDS["en"][0] in change["E"][2] and 'data-figure="change"' not in change["E"][2]
    assert change["W"][0] != NODATA_FILL and 'data-figure="change"' in change["W"][2]


@pytest.mark.parametrize("lang", ["fr", "es"])
def test_popups_and_notes_in_french_and_spanish(run, maps, lang):
    layers = _page(maps[lang])
    zones = _zones(run)
    number = Numbers(labels(lang))
    name = next(n for n in layers if n.endswith(" · sc") and layers[n]["E"][0] == NODATA_FILL)
    start, why = WORDS[lang]
    assert start in layers[name]["E"][2] and why in layers[name]["E"][2]
    missing = number(zones.loc[("sc", "M"), "population_no_hazard_data"])
    assert SOME[lang].format(n=missing) in layers[name]["M"][2]
    html = layers["_html"]
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    people = number(summary["hazards"]["sc"]["population_no_hazard_data"])
    assert f"<li>sc{' :' if lang == 'fr' else ':'} {people} person" in html


def test_browser_shows_the_hatch_and_the_reason(visit, maps):  # noqa: F811
    v = visit(maps["en"], viewport={"width": 1200, "height": 800})
    page = v.page
    page.locator("label", has_text=SCENARIO_LAYER).locator("input").check()
    east = page.locator("path.leaflet-interactive[data-zone='E']")
    west = page.locator("path.leaflet-interactive[data-zone='W']")
    assert east.get_attribute("fill") == NODATA_FILL
    assert west.get_attribute("fill") not in (None, NODATA_FILL)
    box_ = east.bounding_box()
    page.mouse.click(box_["x"] + box_["width"] / 2, box_["y"] + box_["height"] / 2)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "Not known (not 0): the hazard grid has no data where this unit" in popup.inner_text()
    about = page.locator("#mecc-title details").text_content()
    assert "sc: 8,000 people (40% of the people on the analysis grid)" in about
    legend = page.locator(".mecc-legend:not([hidden])")
    assert "8,000 people without hazard data, not counted" in legend.inner_text()
    assert v.requests == [] and v.errors == []
