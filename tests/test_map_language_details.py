"""Language details of ``map.html`` a French- or Spanish-speaking user met in English.

- Leaflet's own controls kept its English titles and screen-reader names ("Zoom in",
  "Zoom out", "Layers", "Close popup") in French and Spanish maps, and the scale bar showed
  miles beside kilometres (on the printed page too).
- The earthquake epicentre's tooltip wrote "magnitude 5.8, profondeur 18.0 km" where every
  other number of a French or Spanish map is written "5,8".
- The Spanish map said both "modelada" and "modelizada"; the README's map section said
  "DEM lowered and raised" where the tool says "raised and lowered".
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import yaml

from mecc.maps import build_map
from tests.test_maps import browser, screen_point  # noqa: F401  (Chromium, as the other map tests)

ROOT = Path(__file__).resolve().parents[1]
WORDS = yaml.safe_load((ROOT / "mecc/locales/maps.yaml").read_text(encoding="utf-8"))
EXPECTED_CONTROLS = {
    "en": ("Zoom in", "Zoom out", "Map layers", "Close popup"),
    "fr": ("Zoom avant", "Zoom arrière", "Couches de la carte", "Fermer la fenêtre contextuelle"),
    "es": ("Acercar", "Alejar", "Capas del mapa", "Cerrar la ventana emergente"),
}


@pytest.fixture(scope="module")
def maps(demo_folder, tmp_path_factory) -> dict:
    """The demo run's map in each language."""
    out = tmp_path_factory.mktemp("maps")
    return {
        lang: build_map(demo_folder / "run", out / lang / "map.html", lang=lang)
        for lang in ("en", "fr", "es")
    }


def _open(browser, path):  # noqa: F811
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    context.route(re.compile(r"^(?!file:|data:|blob:).*"), lambda route: route.abort())
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(Path(path).resolve().as_uri())
    page.wait_for_function("window.meccMap !== undefined")
    return context, page, errors


def _click_a_zone(page, run: Path) -> None:
    """Click inside a unit of the finest level, as a user does, and wait for its popup."""
    gpkg = run / "zones.gpkg"
    finest = max(name for name, _ in pyogrio.list_layers(gpkg) if name.startswith("admin"))
    point = gpd.read_file(gpkg, layer=finest).geometry.iloc[0].representative_point()
    xy = screen_point(page, point)
    assert page.evaluate("([x, y]) => document.elementFromPoint(x, y).dataset.zone", xy)
    page.mouse.click(*xy)
    page.locator(".leaflet-popup-content").wait_for()


def _names(page, selector) -> list[list[str]]:
    return page.evaluate(
        "(s) => Array.from(document.querySelectorAll(s))"
        ".map(e => [e.getAttribute('title'), e.getAttribute('aria-label')])",
        selector,
    )


@pytest.mark.parametrize("lang", ["fr", "es", "en"])
def test_leaflet_controls_speak_the_maps_language(browser, maps, demo_folder, lang):  # noqa: F811
    zoom_in, zoom_out, layers, close = EXPECTED_CONTROLS[lang]
    assert WORDS[lang]["layers"] == layers
    context, page, errors = _open(browser, maps[lang])
    try:
        assert _names(page, ".leaflet-control-zoom-in") == [[zoom_in, zoom_in]]
        assert _names(page, ".leaflet-control-zoom-out") == [[zoom_out, zoom_out]]
        assert _names(page, ".leaflet-control-layers-toggle") == [[layers, layers]]
        _click_a_zone(page, demo_folder / "run")
        assert _names(page, ".leaflet-popup-close-button") == [[close, close]]
        if lang != "en":  # no English name left on any element of the page
            shown = page.evaluate(
                "() => Array.from(document.querySelectorAll('[title], [aria-label]'))"
                ".map(e => (e.getAttribute('title') || '') + '|' +"
                " (e.getAttribute('aria-label') || ''))"
            )
            for english in EXPECTED_CONTROLS["en"] + ("Layers",):
                assert not any(english in s.split("|") for s in shown), english
        assert errors == []
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_scale_bar_is_metric_on_screen_and_in_print(browser, maps, lang):  # noqa: F811
    context, page, errors = _open(browser, maps[lang])
    try:
        for media in ("screen", "print"):
            page.emulate_media(media=media)
            page.wait_for_timeout(200)
            lines = page.evaluate(
                "() => Array.from(document.querySelectorAll('.leaflet-control-scale-line'))"
                ".map(e => e.textContent)"
            )
            assert len(lines) == 1, (media, lines)
            assert re.fullmatch(r"\d+ (km|m)", lines[0]), (media, lines)
        assert errors == []
    finally:
        context.close()


def test_epicentre_tooltip_uses_the_maps_number_format(demo_folder, maps):
    manifest = json.loads((demo_folder / "run" / "manifest.json").read_text(encoding="utf-8"))
    found = [
        h["generated"]
        for h in manifest["parameters"]["hazards"].values()
        if isinstance(h.get("generated"), dict) and "epicentre" in h["generated"]
    ]
    assert [(g["magnitude"], g["depth_km"]) for g in found] == [(5.8, 18.0)]
    expected = {
        "en": "Epicentre: magnitude 5.8, depth 18 km",
        "fr": "Épicentre : magnitude 5,8, profondeur 18 km",
        "es": "Epicentro: magnitud 5,8, profundidad 18 km",
    }
    for lang, tip in expected.items():
        page = maps[lang].read_text(encoding="utf-8")
        assert html.escape(tip) in page, lang
        assert "18.0 km" not in page and "magnitude 5.8, prof" not in page


def test_shakemap_line_writes_the_magnitude_in_the_maps_format():
    from mecc.map_data import labels
    from mecc.map_mobility import shakemap_line
    from mecc.map_text import Text

    record = {"event_id": "us7000abcd", "magnitude": 7.8, "shakemap_version": "12"}
    assert "événement ? M7,8)" in shakemap_line(Text(labels("fr"), "fr"), record)
    assert "evento ? M7,8)" in shakemap_line(Text(labels("es"), "es"), record)
    assert "? event M7.8)" in shakemap_line(Text(labels("en"), "en"), record)


def test_one_term_for_modelled_in_each_language(maps):
    profiles = yaml.safe_load((ROOT / "mecc/locales/profiles.yaml").read_text(encoding="utf-8"))
    es_profile = " ".join(str(v) for v in profiles["es"].values())
    es_map = " ".join(WORDS["es"].values())
    # the profile's term ("estimación modelada"), never "modelizada", in both
    assert "modelad" in es_profile and "modelizad" not in es_profile
    assert "modelizad" not in es_map
    assert re.findall(r"modelad\w*", es_map) and "modelizada" not in maps["es"].read_text("utf-8")
    assert WORDS["es"]["alloc_summary"].endswith("estimación modelada (allocation.csv).")
    fr_map = " ".join(WORDS["fr"].values())
    assert set(re.findall(r"modélis\w*", fr_map)) <= {"modélisée", "modélisées"}
    assert "modélisée" in profiles["fr"]["modelled_notice"]


def test_readme_map_section_says_raised_and_lowered():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("mecc map demo-output/run")
    section = readme[start : readme.index("\n## ", start)]
    assert "DEM raised and lowered by 1 m" in section
    assert "lowered and raised" not in readme
