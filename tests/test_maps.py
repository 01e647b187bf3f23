"""The offline map: self-contained HTML checked in Debian's Chromium with the network blocked.

Browser tests use Playwright for Python driving /usr/bin/chromium (never a downloaded
browser). They skip on a machine without Chromium, and fail instead when CI=true.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import yaml

from mecc.errors import MeccError
from mecc.maps import HEADLINES, MAX_EVENT_BANDS, PMD_PERIODS, build_map
from mecc.offline import check_offline, inline_assets
from tests._run_inputs import basic_case, snapshot, write_run, write_zones
from tests.conftest import in_ci

CHROMIUM = Path("/usr/bin/chromium")
XSS = "<img src=x onerror=alert(1)>"
JINJA_NAMES = ["Zone {{ 7*7 }} {# note", "{% if 1 %}B{% endif %}"]
ROOT = Path(__file__).resolve().parents[1]


# --- fixtures -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(demo_folder) -> Path:
    """The session's demo, written once by ``mecc demo`` (tests/conftest.py)."""
    return demo_folder


@pytest.fixture(scope="module")
def demo_map(demo, tmp_path_factory) -> Path:
    return build_map(demo / "run", tmp_path_factory.mktemp("out") / "map.html")


def _named_map(base: Path, country: str, names: list[str]) -> Path:
    """A tiny real run of two units named ``names`` in a country named ``country``."""
    from mecc.run import run_country

    inputs = base / "inputs"
    data = basic_case(inputs)
    data["name"] = country
    geometries = list(gpd.read_file(inputs / "zones.geojson").geometry)
    write_zones(inputs / "zones.geojson", ["A", "B"], geometries, names=names)
    run_country(write_run(inputs, data), base / "run")
    return build_map(base / "run", base / "map" / "map.html")


@pytest.fixture(scope="module")
def xss_map(tmp_path_factory) -> Path:
    """A tiny real run whose admin names and country name are HTML payloads."""
    names = [XSS, "<b onmouseover=alert(2)>B"]
    return _named_map(tmp_path_factory.mktemp("xss"), "<script>alert(3)</script>", names)


@pytest.fixture(scope="module")
def jinja_map(tmp_path_factory) -> Path:
    """Names holding Jinja's openings (folium parses rendered output as a template)."""
    return _named_map(tmp_path_factory.mktemp("jinja"), "{{ 6*7 }} land", JINJA_NAMES)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        if in_ci():
            pytest.fail("CI must install Debian's chromium (.ci/run does)")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if in_ci():
            pytest.fail("CI must install playwright (the test extras)")
        pytest.skip("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"],
        )
        yield browser
        browser.close()


class Visit:
    """A page opened with every non-file/data/blob request blocked and recorded."""

    def __init__(self, browser, path, **context):
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.context = browser.new_context(**context)
        self.context.route(re.compile(r"^(?!file:|data:|blob:).*"), self._block)
        page = self.context.new_page()
        page.on("request", self._request)
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("dialog", self._dialog)
        page.goto(Path(path).resolve().as_uri())
        page.wait_for_function("window.meccMap !== undefined")
        self.page = page

    def _block(self, route):
        self.requests.append(route.request.url)
        route.abort()

    def _request(self, request):
        if not request.url.startswith(("file:", "data:", "blob:")):
            self.requests.append(request.url)

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def close(self):
        self.context.close()


def screen_point(page, point) -> list:
    """The page coordinates of a shapely ``point`` (lon, lat) on the map, centred there
    first (a user's click): ``[x, y]``."""
    return page.evaluate(
        "([lat, lon]) => { meccMap.setView([lat, lon], meccMap.getZoom(), {animate: false});"
        " const p = meccMap.latLngToContainerPoint([lat, lon]);"
        " const box = meccMap.getContainer().getBoundingClientRect();"
        " return [p.x + box.left, p.y + box.top]; }",
        [point.y, point.x],
    )


@pytest.fixture
def visit(browser):
    opened = []

    def open_page(path, **context):
        opened.append(Visit(browser, path, **context))
        return opened[-1]

    yield open_page
    for page in opened:
        page.close()


# --- what the demo map should hold, from the run folder --------------------------------


def _expected(run: Path) -> dict:
    """Layer counts by the rules of mecc.maps, from the run folder's own tables."""
    import rasterio

    summary = json.loads((run / "summary.json").read_text())
    zones = pd.read_csv(run / "zones.csv", encoding="utf-8-sig", dtype={"zone_code": str})
    bands = pd.read_csv(run / "bands.csv", encoding="utf-8-sig", dtype={"band": str})
    finest = int(zones["level"].max())
    choropleths, intensity, intensity_legends = 0, 0, 0
    for hazard_id, item in summary["hazards"].items():
        rows = zones[(zones["hazard_id"] == hazard_id) & (zones["level"] == finest)]
        n_bands = int((bands["hazard_id"] == hazard_id).sum())
        drawn = {"return_periods": n_bands, "events": min(n_bands, MAX_EVENT_BANDS)}
        drawn["scenario"] = 1
        intensity += drawn.get(item["kind"], 0)
        intensity_legends += item["kind"] in drawn
        if item.get("type") == "drought":  # people exposed per severity class
            choropleths += len(item.get("classes") or {})
        if not any(rows[f].notna().any() for f in HEADLINES if f in rows):
            continue
        yearly = item["kind"] in ("events", "return_periods")
        pmd = yearly and any(rows[f"pmd_{t}"].notna().any() for t in PMD_PERIODS)
        choropleths += 2 + int(pmd)
    if (run / "futures.csv").exists():
        futures = pd.read_csv(run / "futures.csv", encoding="utf-8-sig")
        keys = ["future_id", "hazard_id", "figure"]  # a drought: each severity class
        choropleths += len(futures.groupby(keys))
        if (run / "attribution.csv").exists():  # climate alone, population alone, interaction
            attribution = pd.read_csv(run / "attribution.csv", encoding="utf-8-sig")
            for part in ("climate_only", "population_only", "interaction"):
                choropleths += int((attribution.groupby(keys)[part].count() > 0).sum())
    with rasterio.open(run / "displaced.tif") as src:
        cells = sum(name in summary["hazards"] for name in src.descriptions)
    overlays = 0  # feature groups: sites, flows of the shown band, tracks and epicentres
    if (run / "sites.csv").exists():
        overlays += 1
    manifest = json.loads((run / "manifest.json").read_text())
    overlays += sum(
        bool(item.get("generated")) for item in manifest["parameters"]["hazards"].values()
    )
    if (run / "allocation.csv").exists():
        allocation = pd.read_csv(run / "allocation.csv", encoding="utf-8-sig", dtype={"band": str})
        flows = pd.read_csv(run / "flows.csv", encoding="utf-8-sig", dtype=str)
        for hazard_id in allocation["hazard_id"].unique():
            rows = bands[bands["hazard_id"] == hazard_id]
            # the 100-year map of a return-period set, the one band of a scenario
            band = (
                rows.loc[rows["return_period"] == 100, "band"]
                if rows["return_period"].notna().any()
                else rows["band"]
            )
            chosen = flows[
                (flows["hazard_id"] == hazard_id)
                & (flows["band"] == band.iloc[0])
                & (flows["from_zone"] != flows["to_zone"])
            ]
            choropleths += 1  # people hosted per 1,000 residents
            overlays += int(len(chosen) > 0)
    return {
        "zones": int(
            ((zones["level"] == finest) & (zones["hazard_id"] == zones["hazard_id"].iloc[0])).sum()
        ),
        "choropleths": choropleths,
        "rasters": intensity + cells + overlays,  # every checkbox of the layer control
        "images": intensity + cells,
        "overlays": overlays,
        "legends": choropleths + intensity_legends + cells,
        "overlay_legends": intensity_legends + cells,
        "finest": finest,
    }


# --- without a browser -----------------------------------------------------------------


def test_demo_map_is_self_contained_and_small(demo_map):
    page = demo_map.read_text(encoding="utf-8")
    check_offline(page)
    assert demo_map.stat().st_size < 5 * 2**20
    assert '<html lang="en">' in page
    assert 'content="width=device-width, initial-scale=1"' in page
    assert "user-scalable=no" not in page
    assert not re.search(r"<(script|link)[^>]+(src|href)=", page)


@pytest.mark.parametrize(
    ("page", "named"),
    [
        ("<html><body><img src='x.png'></body></html>", "x.png"),
        (
            '<html><head><script src="https://example.org/a.js"></script></head></html>',
            "example.org",
        ),
        (
            "<html><style>.a{background:url(//cdn.example.org/b.png)}</style></html>",
            "cdn.example.org",
        ),
        ("<html><style>@import 'local.css';</style></html>", "@import"),
        (
            "<html><script>L.tileLayer('https://tile.example.org/{z}/{x}/{y}.png')</script></html>",
            "tile",
        ),
    ],
)
def test_any_remaining_reference_fails_loudly(page, named):
    with pytest.raises(MeccError, match=re.escape(named)):
        check_offline(page)


def test_web_address_shown_as_text_is_not_a_reference():
    """A unit or country name containing a web address is shown, never fetched."""
    from mecc.map_elements import js_json

    name = "Alvora (see https://example.org/alvora)"
    data = js_json({"zones": {"features": [{"properties": {"name": name}}]}, "popups": [[name]]})
    spec = js_json({"colors": ["#481466"], "tips": [f"<b>{name}</b>"]})
    page = (
        f"<html><head><title>Mareva, https://mareva.example.org</title></head><body>"
        f"<h2>{name}</h2><script>var mecc_zones_0001 = {data};\n"
        f"var c = meccChoropleth(mecc_zones_0001, {spec});\n"
        f'var label = "Layer: {name}";</script></body></html>'
    )
    check_offline(page)
    tile = "<script>L.tileLayer('https://tile.example.org/{z}/{x}/{y}.png')</script>"
    with pytest.raises(MeccError, match="tile.example.org"):
        check_offline(page.replace("</body>", tile + "</body>"))
    style = "<script>el.style.cssText = 'background: url(https://cdn.example.org/b.png)';</script>"
    with pytest.raises(MeccError, match="cdn.example.org"):
        check_offline(page.replace("</body>", style + "</body>"))


def test_unvendored_asset_and_tile_layers_are_errors():
    import folium

    page = folium.Map(location=[0, 0]).get_root().render()  # OpenStreetMap tiles
    with pytest.raises(MeccError, match="tile.openstreetmap.org"):
        check_offline(inline_assets(page))
    plugin = '<script src="https://cdn.example.org/leaflet-plugin.js"></script>'
    with pytest.raises(MeccError, match="leaflet-plugin.js"):
        inline_assets(f"<html><head>{plugin}</head></html>")


def test_marker_icons_are_inlined_when_used():
    import folium

    m = folium.Map(location=[0, 0], tiles=None)
    folium.Marker([0, 0], icon=folium.Icon(icon="info-sign")).add_to(m)
    folium.Marker([1, 1], icon=folium.Icon(prefix="fa", icon="star")).add_to(m)
    folium.Marker([2, 2]).add_to(m)
    page = inline_assets(m.get_root().render())
    check_offline(page)
    assert "L.AwesomeMarkers = {}" in page and "Glyphicons Halflings" in page
    assert "font/woff2;base64" in page and "L.Icon.Default.mergeOptions" in page


def _legend_gaps(page: str) -> list[str]:
    """Choropleth colours drawn on the page that their legend does not list."""
    specs = re.findall(r"meccChoropleth\(mecc_zones_\d+, (\{\"colors\".*?\})\)", page)
    legends = re.findall(r'<section class="mecc-legend" id="[^"]+" hidden>(.*?)</section>', page)
    assert specs and len(legends) >= len(specs)
    gaps = []
    for spec, legend in zip(specs, legends, strict=False):  # choropleth legends come first
        listed = set(re.findall(r'fill="([^"]+)"', legend))
        gaps += [f"{c} not in {legend[:80]}" for c in set(json.loads(spec)["colors"]) - listed]
    return gaps


def test_every_colour_drawn_has_a_legend_entry(demo_map):
    # the demo's sea-level rise layer has one unit with people (Lumira, 411)
    assert _legend_gaps(demo_map.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_a_single_positive_value_gets_a_legend_class(lang):
    from mecc.map_data import class_breaks, classify, palette
    from mecc.map_text import Text

    words = yaml.safe_load((ROOT / "mecc/locales/maps.yaml").read_text(encoding="utf-8"))[lang]
    for values in ([0.0, 411.0, np.nan], [411.0], [0.001, 0.002]):
        breaks = class_breaks(values)
        colours = palette("viridis", len(breaks) + 1)
        drawn = {colours[c - 1] for c in classify(values, breaks) if c >= 1}
        legend = Text(words, lang).legend("l", "t", "u", breaks, colours)
        items = re.findall(r'fill="([^"]+)"[^>]*/></svg> ([^<]+)</li>', legend)
        assert drawn and drawn <= {c for c, _ in items}, (values, legend)
        assert all(text.strip() for _, text in items)


def test_every_label_exists_in_every_language():
    table = yaml.safe_load((ROOT / "mecc/locales/maps.yaml").read_text(encoding="utf-8"))
    assert set(table) == {"en", "fr", "es"}
    assert set(table["fr"]) == set(table["en"]) == set(table["es"])
    source = (ROOT / "mecc/maps.py").read_text(encoding="utf-8")
    used = set(re.findall(r"""\bw\(\s*["']([a-z_0-9]+)["']\s*[,)]""", source))
    used |= set(re.findall(r"""words\[["']([a-z_0-9]+)["']\]""", source))
    assert used and used <= set(table["en"]), sorted(used - set(table["en"]))
    for lang, words in table.items():
        for key, text in words.items():
            assert set(re.findall(r"{(\w+)}", text)) == set(
                re.findall(r"{(\w+)}", table["en"][key])
            ), (lang, key)


def test_map_leaves_the_run_folder_alone_and_is_reproducible(demo, tmp_path):
    before = snapshot(demo / "run")
    first = build_map(demo / "run", tmp_path / "a" / "map.html", lang="fr")
    second = build_map(demo / "run", tmp_path / "b" / "map.html", lang="fr")
    assert snapshot(demo / "run") == before
    assert first.read_bytes() == second.read_bytes()
    assert '<html lang="fr">' in first.read_text(encoding="utf-8")
    english = build_map(demo / "run", tmp_path / "c" / "map.html")
    assert english.read_bytes() == (demo / "run" / "map.html").read_bytes()  # the run's own


def test_cli_map_command(cli, demo, tmp_path):
    result = cli("map", demo / "run", "--out", tmp_path / "es", "--lang", "es")
    assert result.exit_code == 0, result.output
    page = (tmp_path / "es" / "map.html").read_text(encoding="utf-8")
    assert '<html lang="es">' in page and "Estimación modelada" in page
    own = (demo / "run" / "map.html").read_bytes()  # written by the run itself
    into_run = cli("map", demo / "run", "--out", demo / "run")
    assert into_run.exit_code == 2 and (demo / "run" / "map.html").read_bytes() == own
    missing = cli("map", tmp_path / "no-such-run", "--out", tmp_path / "x")
    assert missing.exit_code == 1 and missing.output.count("\n") == 1


def test_moved_run_folder_maps_without_hazard_grids(demo, tmp_path):
    run = shutil.copytree(demo / "run", tmp_path / "elsewhere" / "run")
    page = build_map(run, tmp_path / "map.html").read_text(encoding="utf-8")
    # cells and hazard pictures both come from the run folder itself (results.nc previews)
    assert page.count("L.imageOverlay(") == _expected(run)["images"]
    assert "Hazard grids of" not in page
    (run / "results.nc").unlink()  # an older run folder: the pictures come from the inputs
    page = build_map(run, tmp_path / "old.html").read_text(encoding="utf-8")
    assert "Hazard grids of river_flood not found" in page
    with_inputs = build_map(run, tmp_path / "again.html", inputs_dir=demo / "inputs")
    with_inputs = with_inputs.read_text(encoding="utf-8")
    assert "Hazard grids of" not in with_inputs
    assert with_inputs.count("L.imageOverlay(") == _expected(run)["images"]


def test_ranges_and_sendai_b1_appear_when_present(demo, tmp_path):
    run = shutil.copytree(demo / "run", tmp_path / "run")
    zones = pd.read_csv(run / "zones.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    aad = pd.to_numeric(zones["aad"], errors="coerce")
    zones["aad_low"], zones["aad_high"] = aad * 0.5, aad * 2
    zones["sendai_b1"] = 123.0
    zones.to_csv(run / "zones.csv", index=False, encoding="utf-8-sig")
    page = build_map(run, tmp_path / "map.html", inputs_dir=demo / "inputs").read_text("utf-8")
    assert "Sendai B-1 (per 100,000)" in page and "range " in page
    (run / "sendai.csv").unlink()  # neither a zones.csv column nor sendai.csv: no B-1
    zones.drop(columns="sendai_b1").to_csv(run / "zones.csv", index=False, encoding="utf-8-sig")
    plain = build_map(run, tmp_path / "plain.html").read_text("utf-8")
    assert "Sendai B-1" not in plain


def test_demo_map_shows_sendai_b1_of_sendai_csv(demo, demo_map):
    """The demo's river floods have damage states: their popups show B-1 per 100,000 per
    year from sendai.csv (expected annual value, everyone)."""
    from mecc.map_data import labels
    from mecc.map_text import Text

    table = pd.read_csv(
        demo / "run" / "sendai.csv", encoding="utf-8-sig", keep_default_na=False, dtype=str
    )
    rows = table[
        (table["indicator_code"] == "B-1")
        & (table["hazard_id"] == "river_flood")
        & (table["measure"] == "expected_annual")
        & (table["breakdown"] == "")
        & (table["admin_level"] == "2")
    ]
    assert len(rows) == 12
    page = demo_map.read_text("utf-8")
    assert "Sendai B-1 (per 100,000 per year)" in page
    text = Text(labels("en"), "en")
    for value in rows["per_100k"].astype(float):
        shown = f'data-figure="sendai_b1">{text.num(value)}</span>'
        assert shown in page.replace("\\u003e", ">").replace("\\u003c", "<").replace('\\"', '"')


def test_per_100k_uses_the_official_population_like_sendai(demo, demo_map):
    """README: population.official is the per-100,000 denominator (sendai.csv uses it)."""
    from mecc.map_data import labels
    from mecc.map_text import Text

    page = demo_map.read_text(encoding="utf-8")
    data = json.loads(re.search(r"var mecc_zones\w* = (\{\"zones\".*?\});\n", page).group(1))
    codes = [f["properties"]["code"] for f in data["zones"]["features"]]
    sendai = pd.read_csv(
        demo / "run" / "sendai.csv", encoding="utf-8-sig", keep_default_na=False, dtype=str
    )
    hazards = list(json.loads((demo / "run" / "summary.json").read_text())["hazards"])
    text = Text(labels("en"), "en")
    checked = 0
    for hazard in ("river_flood", "cyclone_wind"):
        for code, popup in zip(codes, data["popups"][hazards.index(hazard)], strict=True):
            row = sendai[
                (sendai.admin_code == code)
                & (sendai.hazard_id == hazard)
                & sendai.indicator_code.str.endswith("-D1")
                & (sendai.breakdown == "")
                & sendai.measure.isin(["expected_annual", "scenario"])
            ]
            if row.empty or not row.iloc[0].denominator_source.startswith("official"):
                continue
            shown = re.search(r"Per 100,000 residents([^<]*)</th><td><span[^>]*>([^<]*)<", popup)
            assert shown.group(2) == text.num(float(row.iloc[0].per_100k)), (hazard, code)
            # an annual figure's rate is per year (the return-period maps), a scenario's not
            annual = " per year" if hazard == "river_flood" else ""
            assert shown.group(1) == f"{annual} (official population)"
            checked += 1
    assert checked >= 20
    assert 'mecc-unit">per 100,000 residents per year (official population)<' in page


# --- in Chromium, network blocked ------------------------------------------------------


def test_demo_map_in_chromium(visit, demo, demo_map):
    expected = _expected(demo / "run")
    v = visit(demo_map, viewport={"width": 1200, "height": 800})
    page = v.page
    radios = page.locator("input.leaflet-control-layers-selector[type=radio]")
    boxes = page.locator("input.leaflet-control-layers-selector[type=checkbox]")
    assert radios.count() == expected["choropleths"] + 1  # + "admin boundaries only"
    assert boxes.count() == expected["rasters"]
    assert page.locator(".mecc-legend").count() == expected["legends"]
    assert page.locator(".leaflet-interactive").count() == expected["zones"]
    assert page.locator(".mecc-legend:not([hidden])").count() == 1
    for k in range(1, radios.count()):
        radios.nth(k).check()
        assert page.locator(".leaflet-interactive").count() == expected["zones"]
        assert page.locator(".mecc-legend:not([hidden])").count() == 1
    radios.nth(0).check()
    assert page.locator(".leaflet-interactive").count() == 0
    assert page.locator(".mecc-legend:not([hidden])").count() == 0
    for k in range(boxes.count()):
        boxes.nth(k).check()
    page.wait_for_function(
        "n => Array.from(document.querySelectorAll('img.leaflet-image-layer'))"
        ".filter(i => i.complete && i.naturalWidth > 0).length === n",
        arg=expected["images"],
    )
    assert page.locator(".mecc-legend:not([hidden])").count() == expected["overlay_legends"]
    if (demo / "run" / "sites.csv").exists():  # the sites' circles (and flow lines) are drawn
        sites = pd.read_csv(demo / "run" / "sites.csv", encoding="utf-8-sig")
        assert page.locator("path.leaflet-interactive").count() >= len(sites) > 0
    assert page.locator("a[href^='http']").count() == 0
    assert page.locator(".mecc-badge").first.inner_text() == "Modelled estimate"
    assert v.requests == [] and v.errors == []


def test_popup_shows_the_zone_aad_from_zones_csv(visit, demo, demo_map):
    run = demo / "run"
    expected = _expected(run)
    summary = json.loads((run / "summary.json").read_text())
    hazard_id = next(iter(summary["hazards"]))
    zones = pd.read_csv(run / "zones.csv", encoding="utf-8-sig", dtype={"zone_code": str})
    rows = zones[(zones["hazard_id"] == hazard_id) & (zones["level"] == expected["finest"])]
    row = rows.loc[rows["aad"].idxmax()]
    shapes = gpd.read_file(run / "zones.gpkg", layer=f"admin{expected['finest']}")
    point = shapes[shapes["zone_code"] == row["zone_code"]].geometry.iloc[0].representative_point()
    v = visit(demo_map, viewport={"width": 1200, "height": 800})
    xy = screen_point(v.page, point)
    zone = v.page.evaluate("([x, y]) => document.elementFromPoint(x, y).dataset.zone", xy)
    assert zone == row["zone_code"]
    v.page.mouse.click(*xy)
    popup = v.page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert row["zone_name"] in popup.inner_text()
    shown = popup.locator(".mecc-value[data-figure='aad']").inner_text()
    assert float(shown.replace(",", "")) == pytest.approx(row["aad"], abs=0.5)
    assert v.requests == [] and v.errors == []


def test_layer_control_works_from_the_keyboard(visit, demo_map):
    v = visit(demo_map, viewport={"width": 1200, "height": 800})
    page = v.page
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.type === 'checkbox'"):
            break
    else:
        pytest.fail("no layer checkbox reachable with Tab")
    page.keyboard.press("Space")
    assert page.evaluate("document.activeElement.checked")
    page.wait_for_function("document.querySelectorAll('img.leaflet-image-layer').length === 1")
    label = page.evaluate(
        "document.querySelector('.leaflet-control-layers').getAttribute('aria-label')"
    )
    assert label == "Map layers"
    assert v.errors == [] and v.requests == []


def test_phone_sized_viewport(visit, demo_map):
    v = visit(demo_map, viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True)
    size = v.page.evaluate("[meccMap.getSize().x, meccMap.getSize().y]")
    assert size == [375, 667]
    assert v.errors == [] and v.requests == []


def _tooltips_and_popup_titles(page) -> tuple[list[str], list[str]]:
    """The first tooltip line and the popup title of each unit, hovered and clicked."""
    centres = page.evaluate(
        "Array.from(document.querySelectorAll('path.leaflet-interactive')).map(p => {"
        " const r = p.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })"
    )
    assert len(centres) == 2
    tips, shown = [], []
    for x, y in centres:
        page.evaluate("meccMap.closePopup()")
        page.wait_for_function("document.querySelectorAll('.leaflet-popup').length === 0")
        page.mouse.move(x, y)
        tips.append(page.locator(".leaflet-tooltip").last.inner_text().splitlines()[0])
        page.mouse.click(x, y)
        page.locator(".leaflet-popup-content").wait_for()
        shown.append(page.locator(".leaflet-popup-content h2").inner_text())
    return tips, shown


def test_admin_names_are_shown_as_text_never_run(visit, xss_map):
    v = visit(xss_map, viewport={"width": 1000, "height": 700})
    page = v.page
    assert page.locator("img[src='x']").count() == 0
    assert (
        page.evaluate("document.title")
        == "<script>alert(3)</script>: people likely to be displaced"
    )
    assert "<script>alert(3)</script>" in page.locator(".mecc-title h1").inner_text()
    tips, shown = _tooltips_and_popup_titles(page)
    assert sorted(tips) == sorted(shown) == sorted([XSS, "<b onmouseover=alert(2)>B"])
    assert (
        page.locator(".leaflet-popup-content img, .leaflet-tooltip img, b[onmouseover]").count()
        == 0
    )
    page.wait_for_timeout(200)
    assert v.dialogs == [] and v.errors == [] and v.requests == []


def test_names_with_template_openings_are_shown_as_written(visit, jinja_map):
    # before: '{#' stopped the run's map with a TemplateSyntaxError and '{{ 7*7 }}' showed 49
    v = visit(jinja_map, viewport={"width": 1000, "height": 700})
    page = v.page
    assert page.evaluate("document.title") == "{{ 6*7 }} land: people likely to be displaced"
    assert "{{ 6*7 }} land" in page.locator(".mecc-title h1").inner_text()
    tips, shown = _tooltips_and_popup_titles(page)
    assert sorted(tips) == sorted(shown) == sorted(JINJA_NAMES)
    page.wait_for_timeout(200)
    assert v.dialogs == [] and v.errors == [] and v.requests == []


def test_every_vendored_asset_and_licence_is_shipped():
    from mecc.offline import ASSETS_DIR

    registry = json.loads((ASSETS_DIR / "assets.json").read_text(encoding="utf-8"))
    for url, entry in registry["links"].items():
        assert url.startswith("https://")
        for name in entry.get("files") or ([entry["file"]] if "file" in entry else []):
            assert (ASSETS_DIR / name).is_file(), name
        assert ("omit" in entry) != ("group" in entry), url
    for package in registry["packages"]:
        assert (ASSETS_DIR / package["licence_file"]).stat().st_size > 500, package["name"]


@pytest.mark.parametrize(
    ("scheme", "start", "stop", "reverse"),
    [("viridis", 0.0, 0.95, True), ("magma", 0.95, 0.25, False), ("YlGnBu_09", 0.15, 1.0, False)]
    + [("YlOrRd_09", 0.15, 1.0, False)],
)
def test_palettes_keep_their_order_in_grayscale(scheme, start, stop, reverse):
    """Each class is darker than the one before (relative luminance), as printed in gray."""
    from mecc.map_data import palette

    colours = palette(scheme, 7, start=start, stop=stop, reverse=reverse)
    rgb = np.array([[int(c[i : i + 2], 16) / 255 for i in (1, 3, 5)] for c in colours])
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    luminance = linear @ np.array([0.2126, 0.7152, 0.0722])
    assert np.all(np.diff(luminance) < -0.02), luminance


TICK_NAMES = ["N`go ${7*7}", "Back\\xslash \\u00"]


def test_names_with_backticks_and_backslashes_keep_the_map_working(visit, tmp_path):
    """folium writes tooltips inside JavaScript template literals: a unit or site named
    ``N`go`` ended the literal and a backslash made a bad escape, so with the allocation's
    flow lines (whose tooltips name both units) the page stopped with a script error and
    showed no unit at all."""
    from mecc.run import run_country
    from tests._run_inputs import cell_centre

    inputs = tmp_path / "inputs"
    data = basic_case(inputs)
    geometries = list(gpd.read_file(inputs / "zones.geojson").geometry)
    write_zones(inputs / "zones.geojson", ["A", "B"], geometries, names=TICK_NAMES)
    lon, lat = cell_centre(0, 0)
    (inputs / "sites.csv").write_text(
        f"site_name,lat,lon,individuals\ncamp `x` \\n,{lat},{lon},300\n", encoding="utf-8"
    )
    data["mobility"] = {
        "sites": {"path": "sites.csv", "in_population_grid": False},
        "allocation": {"radius_km": 300, "exponent": 0, "cell_km": 0.5},
    }
    run_country(write_run(inputs, data), tmp_path / "run")
    flows = pd.read_csv(tmp_path / "run" / "flows.csv", encoding="utf-8-sig")
    assert (flows["from_zone"] != flows["to_zone"]).any()  # a flow line is drawn
    v = visit(tmp_path / "run" / "map.html", viewport={"width": 1000, "height": 700})
    page = v.page
    page.wait_for_timeout(200)
    assert v.errors == [] and v.dialogs == []
    assert page.locator("path.leaflet-interactive").count() >= 2
    page.evaluate(  # every layer on: the sites and flows are off at first
        "document.querySelectorAll('.leaflet-control-layers-overlays input')"
        ".forEach(i => { if (!i.checked) i.click(); })"
    )
    assert v.errors == []
    tips = page.evaluate(
        "(() => { const out = []; meccMap.eachLayer(l => { const t = l.getTooltip &&"
        " l.getTooltip(); if (t) { const d = document.createElement('div');"
        " d.innerHTML = t.getContent(); out.push(d.textContent); } }); return out; })()"
    )
    text = " | ".join(tips)
    assert "camp `x` \\n" in text
    assert (
        f"{TICK_NAMES[1]} → {TICK_NAMES[0]}" in text or f"{TICK_NAMES[0]} → {TICK_NAMES[1]}" in text
    )
    assert "49" not in text


def test_zone_and_site_popups_name_the_ensemble_range_alike(demo_folder):
    """The demo's river_flood_years has ensemble members: zone popups called their range
    "models", the site popups "ensemble members"."""
    page = (demo_folder / "run" / "map.html").read_text(encoding="utf-8")
    assert page.count("ensemble members: median") >= 13  # 12 districts and the sites
    assert "models: median" not in page
