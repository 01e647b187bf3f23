"""Printed handout maps have an accessible name and a text of their values.

A map ``<svg>`` has ``role="img"``, which hides its per-district ``<title>`` elements
from screen readers: each must carry a name in the page's language (what it shows, the
hazard, the unit) and ``aria-describedby`` pointing to a visually hidden text of the
values it draws. The values said are checked against the pack's own run files (zones.csv,
zones_bands.csv, futures.csv, the forecast grid and the shelter sites), not against the
code that wrote them.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

LANGS = ("en", "fr", "es")
MODULES = ("m1_concepts", "m3_exposure", "m4_displacement", "m5_evacuation", "m8_policy_tabletop")
DEPTH_BREAKS = (0.5, 1.0, 2.0)


class _Page(HTMLParser):
    """The map svgs' root tags, every element's id, and the text of elements by id."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.svgs, self.ids, self.text, self.styles = [], set(), {}, {}
        self._open = []  # (tag, id) of the elements with an id being read

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "svg":
            self.svgs.append(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
            self.text[attrs["id"]] = ""
            self.styles[attrs["id"]] = attrs.get("style", "")
            self._open.append((tag, attrs["id"]))

    def handle_endtag(self, tag):
        if self._open and self._open[-1][0] == tag:
            self._open.pop()

    def handle_data(self, data):
        for _, ident in self._open:
            self.text[ident] += data


def _read(path) -> _Page:
    parser = _Page()
    parser.feed(path.read_text("utf-8"))
    return parser


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    from training_modules.pack import build_pack

    out = tmp_path_factory.mktemp("a11y") / "pack"
    build_pack(out, modules=list(MODULES), langs=list(LANGS), interactive_maps=False)
    return out


def _words(lang, module):
    from training_modules.catalogue import load_catalogue
    from training_modules.words import Words

    return Words(load_catalogue(), lang, module)


def _specs(pack, module):
    from training_modules.catalogue import load_catalogue
    from training_modules.scenario import fill_knobs

    knobs = json.loads((pack / "pack.json").read_text("utf-8"))["modules"][module]["knobs"]
    return [fill_knobs(spec, knobs) for spec in load_catalogue().module(module).items("maps")]


def _expected_zone_values(pack, module, spec) -> dict:
    """Short zone name -> the value the map draws, read from the pack's run files."""
    run = pack / "runs" / module
    level = int(spec.get("level", 2))
    zones = pd.read_csv(run / "zones.csv", encoding="utf-8-sig", dtype={"zone_code": str})
    if spec.get("kind") == "future":
        table = pd.read_csv(run / "futures.csv", encoding="utf-8-sig", dtype={"zone_code": str})
        rows = table[
            (table["future_id"] == spec["future"])
            & (table["hazard_id"] == spec["hazard"])
            & (table["level"] == level)
        ]
        values = rows.set_index("zone_name")[spec.get("figure", "change")]
    else:
        source = zones
        if spec.get("band"):
            source = pd.read_csv(run / "zones_bands.csv", encoding="utf-8-sig")
            source = source[source["band"] == spec["band"]]
        rows = source[(source["hazard_id"] == spec["hazard"]) & (source["level"] == level)]
        values = rows.set_index("zone_code")[spec["figure"]]
        names = zones.drop_duplicates("zone_code").set_index("zone_code")
        if spec.get("per_100k"):
            values = values * 1e5 / names["population"].reindex(values.index)
        values.index = names["zone_name"].reindex(values.index)
    return {re.sub(r"\s*\(fictional\)$", "", str(k)): float(v) for k, v in values.items()}


def _groups(text: str, words) -> dict:
    """ "Highest: A 1,234; B, C 5. Lowest: D 0." -> {"highest": [(names, value text)], ...}."""
    separator = words.common("handout.list_separator")
    out = {}
    for part in ("highest", "lowest"):
        template = re.escape(words.common(f"map_alt.{part}", items="\0")).replace("\0", "(.+?)")
        found = re.search(template + r"(?: |$)", text)
        if not found:
            continue
        out[part] = []
        for group in found.group(1).split(separator):
            match = re.fullmatch(r"(.*[^\W\d_])\s+(-?[\d\s\u00a0\u202f.,]+)", group)
            assert match, group
            out[part].append((match.group(1).split(", "), match.group(2)))
    return out


def _site_depth_classes(pack) -> dict:
    import rasterio

    sites = pd.read_csv(pack / "data" / "inputs" / "shelters.csv", encoding="utf-8-sig")
    with rasterio.open(pack / "data" / "inputs" / "forecast_surge.tif") as src:
        samples = list(src.sample(zip(sites["lon"], sites["lat"], strict=True), masked=True))
    out = {}
    for site, sample in zip(sites["site_id"], samples, strict=True):
        depth = float(sample.filled(np.nan)[0])
        if not depth > 0:
            out[site] = 0
        else:
            out[site] = 1 + int(np.searchsorted(DEPTH_BREAKS, depth, side="right"))
    return out


@pytest.mark.parametrize("lang", LANGS)
def test_every_handout_map_has_a_name_and_a_description(pack, lang):
    for module in MODULES:
        words = _words(lang, module)
        page = _read(pack / lang / "participants" / module / "handout.html")
        maps = [s for s in page.svgs if s.get("role") == "img"]
        assert len(maps) == len(page.svgs) >= len(_specs(pack, module)), module
        units = {words.common(f"units.{s.get('unit', 'people')}") for s in _specs(pack, module)}
        units.add(words.common("units.metres"))
        for svg in maps:
            name = svg.get("aria-label", "").strip()
            assert name, (lang, module, svg)
            assert any(unit in name for unit in units), name
            target = svg.get("aria-describedby")
            assert target in page.ids, (lang, module, target)
            assert page.text[target].strip()
            style = page.styles[target].replace(" ", "")
            assert "position:absolute" in style and "clip" in style  # not drawn, not printed
        assert len({s["aria-describedby"] for s in maps}) == len(maps)  # ids unique


def test_names_are_in_the_page_language_and_say_what_the_map_shows(pack):
    names = {}
    for lang in LANGS:
        page = _read(pack / lang / "participants" / "m4_displacement" / "handout.html")
        names[lang] = sorted({s["aria-label"] for s in page.svgs})
    assert names["en"] == [
        "Map of average annual displacement by district, river flood "
        "(people per year; modelled estimate)",
        "Map of average annual displacement by district, river flood "
        "(per 100,000 residents per year; modelled estimate)",
    ]
    assert names["fr"][0] == (
        "Carte : déplacement annuel moyen par district, crue fluviale "
        "(personnes par an ; estimation modélisée)"
    )
    assert names["es"][0] == (
        "Mapa: desplazamiento anual promedio por distrito, inundación fluvial "
        "(personas al año; estimación modelada)"
    )
    page = _read(pack / "en" / "participants" / "m8_policy_tabletop" / "handout.html")
    future = [s["aria-label"] for s in page.svgs if "SSP5-8.5" in s["aria-label"]]
    assert future and all("by province" in n and "river flood" in n for n in future)
    page = _read(pack / "fr" / "participants" / "m3_exposure" / "handout.html")
    assert "(événement de 100 ans) par district, crue fluviale" in page.svgs[0]["aria-label"]


@pytest.mark.parametrize("lang", LANGS)
def test_described_values_are_the_values_the_map_draws(pack, lang):
    checked = 0
    for module in MODULES:
        words = _words(lang, module)
        page = _read(pack / lang / "participants" / module / "handout.html")
        for spec in _specs(pack, module):
            if spec.get("kind") == "shelters":
                continue
            ident = f"map-{spec['id']}-values"
            groups = _groups(page.text[ident], words)
            expected = _expected_zone_values(pack, module, spec)
            ranked = sorted(set(expected.values()), reverse=True)
            said = {}
            for part, listed in groups.items():
                for names, value in listed:
                    assert len({expected[n] for n in names}) == 1, (module, names)
                    assert value == words.num(expected[names[0]]), (module, names, value)
                    said.update(dict.fromkeys(names, part))
            top = set(ranked[:3])
            bottom = set(ranked[::-1][:3]) - top
            assert {n for n, p in said.items() if p == "highest"} == {
                n for n, v in expected.items() if v in top
            }, (lang, module, spec["id"])
            assert {n for n, p in said.items() if p == "lowest"} == {
                n for n, v in expected.items() if v in bottom
            }, (lang, module, spec["id"])
            highest = [expected[names[0]] for names, _ in groups["highest"]]
            assert highest == sorted(highest, reverse=True)
            checked += 1
    assert checked == 7


@pytest.mark.parametrize("lang", LANGS)
def test_the_shelter_map_says_the_water_under_each_site(pack, lang):
    words = _words(lang, "m5_evacuation")
    page = _read(pack / lang / "participants" / "m5_evacuation" / "handout.html")
    text = page.text["map-sites-values"]
    num = words.num
    label = {
        0: words.common("legend.zero"),
        1: words.common("legend.below", b=num(DEPTH_BREAKS[0])),
        2: words.common("legend.between", a=num(DEPTH_BREAKS[0]), b=num(DEPTH_BREAKS[1])),
        3: words.common("legend.between", a=num(DEPTH_BREAKS[1]), b=num(DEPTH_BREAKS[2])),
        4: words.common("legend.at_least", a=num(DEPTH_BREAKS[2])),
    }
    classes = _site_depth_classes(pack)
    assert len(set(classes.values())) >= 3  # dry sites and sites in water of several depths
    items = text.split(words.common("map_alt.sites", unit="\0", items="\0").split("\0")[-2])[-1]
    said = dict(
        item.split(" ", 1)
        for item in items.rstrip(".").split(words.common("handout.list_separator"))
    )
    assert said == {site: label[k] for site, k in classes.items()}
    assert words.common("units.metres") in text
    # the checkpoint shows the same map again, with its own id and the same text
    assert page.text["map-s3-sites-values"] == text


def test_name_svg_names_the_map_without_changing_its_drawing():
    import shapely

    from mecc.figures import name_svg, polygon_map_svg

    geoms = [shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)]
    svg = polygon_map_svg(geoms, ["#eee", "#ddd"], ["a", "b"])
    assert "aria-label" not in svg
    named = name_svg(svg, 'Map of "people" & more', "map-x-values")
    root = re.match(r"<svg[^>]*>", named).group(0)
    assert 'aria-label="Map of &quot;people&quot; &amp; more"' in root
    assert 'aria-describedby="map-x-values"' in root and root.count('role="img"') == 1
    assert named[len(root) :] == svg[len(re.match(r"<svg[^>]*>", svg).group(0)) :]
    again = name_svg(named, "Other", None)  # a name is replaced, never doubled
    assert again.count("aria-label") == 1 and "aria-describedby" not in again
    direct = polygon_map_svg(geoms, ["#eee", "#ddd"], ["a", "b"], label="L", described_by="d")
    assert direct == name_svg(svg, "L", "d")
    assert name_svg("", "L") == ""
