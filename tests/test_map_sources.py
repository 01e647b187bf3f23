"""The map's About panel cites the method and data behind its figures, from the run's records.

Per hazard: the displacement curve (central, and the variants behind the range) with its
evidence grade and source as results.nc records them for sendai.xlsx, the damage states,
the method citations of a hazard grid ``mecc hazard`` generated (its GeoTIFF tags), and the
population's source. Expected texts are read here from results.nc, the GeoTIFF tags,
manifest.json and the locale file, independently of mecc's map code.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from hazards.slow_onset import RELOCATION_SOURCE
from mecc.errors import DataError
from mecc.maps import build_map
from tests.test_maps import browser, visit  # noqa: F401 - the Chromium harness's fixtures

ROOT = Path(__file__).resolve().parents[1]
LANGS = ("en", "fr", "es")
XSS = "<img src=x onerror=alert(1)> {{ 7*7 }}"


def _words(lang: str) -> dict:
    table = yaml.safe_load((ROOT / "mecc/locales/maps.yaml").read_text(encoding="utf-8"))
    return table[lang]


def _metadata(run: Path) -> dict:
    """results.nc's Sendai metadata per hazard, read with xarray (as mecc.sendai does)."""
    import xarray as xr

    with xr.open_dataset(run / "results.nc", group="sendai", engine="netcdf4") as store:
        return json.loads(store.attrs["metadata"])["hazards"]


def _tag_parameters(path: Path) -> dict:
    import rasterio

    with rasterio.open(path) as dataset:
        return json.loads(dataset.tags()["parameters"])


def _about(page: str) -> str:
    start = page.index('<div id="mecc-title"')
    return page[page.index("<details>", start) : page.index("</details>", start)]


def _items(about: str) -> dict:
    """The methods' items by hazard id (and population / official)."""
    found = re.findall(r'<li data-(?:hazard|source)="([^"]+)">(.*?)</li>', about)
    return dict(found)


def _references(about: str) -> dict:
    """Reference number -> text (HTML as written)."""
    return {int(n): text for n, text in re.findall(r"<li>\[(\d+)\] (.*?)</li>", about)}


def _curve_words(lang: str) -> tuple[dict, dict]:
    """English source -> the source in ``lang``, and English name -> name in ``lang``,
    from mecc/locales/curves.yaml (each template with its citations filled in)."""
    table = yaml.safe_load((ROOT / "mecc/locales/curves.yaml").read_text(encoding="utf-8"))
    sources = {}
    for entry in table["sources"].values():
        cite = entry.get("cite") or {}

        def fill(template, cite=cite):
            return re.sub(r"\{(\w+)\}", lambda m: cite[m.group(1)], template)

        sources[fill(entry["en"])] = fill(entry.get(lang, entry["en"]))
    names = {name: texts.get(lang, name) for name, texts in table["names"].items()}
    return sources, names


def _generator_words(lang: str) -> dict:
    """A generator's English text -> the text in ``lang``, from mecc/locales/generators.yaml
    (each template with its citations filled in)."""
    table = yaml.safe_load((ROOT / "mecc/locales/generators.yaml").read_text(encoding="utf-8"))
    out = {}
    for entry in table["texts"].values():
        cite = entry.get("cite") or {}
        out[entry["en"].format(**cite)] = entry[lang].format(**cite)
    return out


def _cited(item: str, references: dict, text: str) -> bool:
    """Whether ``item`` cites (by number) the reference whose text is ``text``."""
    numbers = [n for n, t in references.items() if t == html.escape(text)]
    return len(numbers) == 1 and f"[{numbers[0]}]" in re.findall(r"\[\d+\]", item)


@pytest.fixture(scope="module")
def demo_maps(demo_folder, tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("cited")
    return {
        lang: build_map(demo_folder / "run", out / lang / "map.html", lang=lang) for lang in LANGS
    }


@pytest.mark.parametrize("lang", LANGS)
def test_about_panel_cites_each_curve_with_its_grade_and_source(demo_folder, demo_maps, lang):
    run = demo_folder / "run"
    words = _words(lang)
    page = demo_maps[lang].read_text(encoding="utf-8")
    about = _about(page)
    items, references = _items(about), _references(about)
    assert f"<h2>{html.escape(words['methods'])}</h2>" in about
    assert f"<h2>{html.escape(words['references'])}</h2>" in about
    metadata = _metadata(run)
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    assert set(summary["hazards"]) <= set(items)
    sources, names = _curve_words(lang)  # a built-in curve's words in the map's language
    checked = 0
    for hazard_id, record in metadata.items():
        item = items[hazard_id]
        curve = record.get("curve")
        if curve:
            assert html.escape(names.get(curve["name"], curve["name"])) in item, hazard_id
            grade = curve["evidence"] or "none"
            assert html.escape(words[f"evidence_{grade}"]) in item, hazard_id
            if curve["source"] != curve["name"]:  # a library curve: its source, cited
                source = sources.get(curve["source"], curve["source"])
                assert _cited(item, references, source), hazard_id
            checked += 1
        for variant in ("low", "high"):
            name = record["variants"].get(variant)
            if name:  # the curves behind the range
                assert f"{html.escape(words['variant_' + variant])} {html.escape(name)}" in item
        for damage in record.get("damage_curve", {}).values():
            assert html.escape(damage["name"].split(":")[0]) in item
            source = sources.get(damage["source"], damage["source"])
            assert _cited(item, references, source), hazard_id
    assert checked >= 4
    # the demo's range of river_flood comes from the low and high steps of flood_step_1m
    assert set(metadata["river_flood"]["variants"]) == {"central", "low", "high"}
    # Huizinga et al. 2017 (JRC) behind the B-3 / B-4 damage states of both flood sets
    jrc = [t for t in references.values() if "Huizinga et al. 2017" in t]
    assert len(jrc) == 1


@pytest.mark.parametrize("lang", LANGS)
def test_about_panel_cites_the_generators_of_the_hazard_grids(demo_folder, demo_maps, lang):
    inputs = demo_folder / "inputs"
    words = _words(lang)
    about = _about(demo_maps[lang].read_text(encoding="utf-8"))
    items, references = _items(about), _references(about)
    shown = _generator_words(lang)  # the generator's words in the map's language
    quake = _tag_parameters(inputs / "earthquake_mmi.tif")
    assert quake["citation"].startswith("Allen, T. I., Wald, D. J. & Worden, C. B. (2012)")
    label = html.escape(words["method_generated"]).format(file="earthquake_mmi.tif")
    assert label in items["earthquake"]
    assert _cited(items["earthquake"], references, shown[quake["citation"]])
    wind = _tag_parameters(inputs / "cyclone_wind.tif")
    assert wind["b_source"].startswith("Holland (2008)")
    for key in ("model", "b_source", "surface_factor_source", "averaging_source"):
        assert _cited(items["cyclone_wind"], references, shown[wind[key]]), key
    # a hazard grid mecc did not generate cites no generator
    assert html.escape(words["method_generated"]).split("{")[0] not in items["storm_surge"]


@pytest.mark.parametrize("lang", LANGS)
def test_about_panel_gives_the_population_sources(demo_folder, demo_maps, lang):
    run = demo_folder / "run"
    words = _words(lang)
    items = _items(_about(demo_maps[lang].read_text(encoding="utf-8")))
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    population = manifest["parameters"]["population"]
    file = next(r["path"] for r in manifest["inputs"] if r["role"] == "population")
    # the demo's grid is `source: fictional`: its attribution, the tag in the map's language
    assert population["source"] == "fictional"
    tagged = re.sub(
        r"\(fictional\)$", f"({words['fictional_data_tag']})", population["attribution"]
    )
    expected = html.escape(words["method_population"]).format(
        file=f"{file} ({population['year']})", source=html.escape(tagged)
    )
    assert items["population"] == expected
    assert words["method_no_source"] not in items["population"]
    official = manifest["parameters"]["exposure"]["official"]
    source = re.sub(r"\(fictional\)$", f"({words['fictional_data_tag']})", official["source"])
    expected = html.escape(words["method_official"]).format(
        file=f"{official['file']} ({official['year']})", source=html.escape(source)
    )
    assert items["official"] == expected


def test_the_methods_add_little_to_the_page(demo_maps):
    page = demo_maps["en"].read_text(encoding="utf-8")
    about = _about(page)
    added = about[about.index("<h2>Methods") : about.index("<h2>Notes")]
    assert 0 < len(added.encode("utf-8")) < 0.01 * len(page.encode("utf-8"))
    assert "http" not in added  # offline: a DOI is text, nothing is loaded


def test_without_results_or_inputs_the_manifest_is_cited(demo_folder, tmp_path):
    """A copied run folder (no inputs beside it) without results.nc: the curves and the
    generators' citations come from manifest.json alone, and a run-file text is escaped."""
    run = tmp_path / "run"
    shutil.copytree(demo_folder / "run", run)
    (run / "results.nc").unlink()
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    manifest["parameters"]["population"]["attribution"] = XSS
    (run / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    about = _about(build_map(run, tmp_path / "map" / "map.html").read_text(encoding="utf-8"))
    items, references = _items(about), _references(about)
    words = _words("en")
    hazards = manifest["parameters"]["hazards"]
    for hazard_id, params in hazards.items():
        curve = params["curve"]
        if params["type"] in ("drought", "sea_level_rise"):  # no displacement curve
            assert "Displacement curve" not in items[hazard_id]
            continue
        assert f"Displacement curve {html.escape(curve['name'])}: " in items[hazard_id]
        assert words["evidence_?"] in items[hazard_id]
    # sea-level rise: the relocation rule, cited (tests/test_map_slow_onset.py: drought)
    assert _cited(items["sea_level_rise"], references, RELOCATION_SOURCE)
    cyclone = hazards["cyclone_wind"]["generated"]
    cited = [cyclone["model"]] + [v for k, v in cyclone.items() if k.endswith("_source")]
    assert any(text.startswith("Holland (2008)") for text in cited)
    for text in cited:
        assert _cited(items["cyclone_wind"], references, text), text
    # the manifest keeps the earthquake's equation and rupture scaling law too: cited with
    # the grid's tags out of reach
    tags = _tag_parameters(demo_folder / "inputs" / "earthquake_mmi.tif")
    assert "earthquake_mmi.tif, modelled by mecc hazard" in items["earthquake"]
    for text in (tags["citation"], tags["rupture"]["scaling_law"]):
        assert text in hazards["earthquake"]["generated"].values()
        assert _cited(items["earthquake"], references, text), text
    assert "&lt;img src=x onerror=alert(1)&gt; &#123;&#123; 7*7 }}" in items["population"]
    assert "<img" not in about and "49" not in items["population"]


def test_a_variant_from_another_curve_gets_its_own_grade_and_source(demo_folder, tmp_path):
    """low and high set to other curves (``hazards[].variants``): a built-in one is cited
    with its grade and source as hazards.library lists them, a curve file by its name."""
    import netCDF4

    from hazards import library

    run = tmp_path / "run"
    shutil.copytree(demo_folder / "run", run)
    with netCDF4.Dataset(run / "results.nc", "a") as dataset:
        store = dataset.groups["sendai"]
        metadata = json.loads(store.getncattr("metadata"))
        metadata["hazards"]["river_flood"]["variants"] = {
            "central": "flood_step_1m",
            "low": "flood_step_1.5m",
            "high": "my_high_curve.csv",
        }
        store.setncattr("metadata", json.dumps(metadata))
    about = _about(build_map(run, tmp_path / "map" / "map.html").read_text(encoding="utf-8"))
    items, references = _items(about), _references(about)
    entry = library.curve_entries()["flood_step_1.5m"]
    grade = html.escape(_words("en")[f"evidence_{entry.evidence}"])
    line = next(x for x in items["river_flood"].split("<br>") if x.startswith("Range"))
    low, high = line.split(": ", 1)[1].rsplit("; ", 1)
    assert low.startswith(f"low flood_step_1.5m ({grade}) [")
    assert _cited(low, references, entry.source)
    assert high == "high my_high_curve.csv"  # a file: no grade, no source to cite


def test_unreadable_sendai_metadata_is_named(demo_folder, tmp_path):
    import netCDF4

    run = tmp_path / "run"
    shutil.copytree(demo_folder / "run", run)
    with netCDF4.Dataset(run / "results.nc", "a") as dataset:
        dataset.groups["sendai"].setncattr("metadata", "{not json")
    with pytest.raises(DataError, match=r"results\.nc: group sendai, attribute metadata is not"):
        build_map(run, tmp_path / "map" / "map.html")


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_about_panel_shows_them_in_chromium(visit, demo_folder, demo_maps, lang):  # noqa: F811
    words = _words(lang)
    quake = _tag_parameters(demo_folder / "inputs" / "earthquake_mmi.tif")
    curve = _metadata(demo_folder / "run")["earthquake"]["curve"]
    v = visit(demo_maps[lang], viewport={"width": 1200, "height": 800})
    page = v.page
    item = page.locator("#mecc-title li[data-hazard='earthquake']")
    citation = page.locator("#mecc-title li", has_text=quake["citation"])
    assert not item.is_visible() and not citation.is_visible()  # About is closed
    page.locator("#mecc-title summary").click()
    item.scroll_into_view_if_needed()
    assert item.is_visible()
    text = item.inner_text()
    assert curve["name"] in text and words[f"evidence_{curve['evidence']}"] in text
    citation.scroll_into_view_if_needed()
    assert citation.is_visible()
    number = re.match(r"\[(\d+)\]", citation.inner_text()).group(1)
    assert f"[{number}]" in text
    assert v.requests == [] and v.errors == []
