"""What workshop packs say, checked against what the toolkit shows: module 3 says what its
interactive map shows and what it does not, every map layer a handout names is a layer
of the map built for that module and language (named from the map's own labels), French
and Spanish pages show the data's "(fictional)" tag in their language and cite curves
without internal run-file names, Spanish prose groups thousands as its numbers do, the
pack's runs print no warning, reported records are told apart from modelled estimates,
and module 4 and module 1 point to what the files and the terminal really show.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
LANGS = ("en", "fr", "es")
MODULES = (
    "m1_concepts",
    "m2_loss_records",
    "m3_exposure",
    "m4_displacement",
    "m5_evacuation",
    "m6_sendai_table",
    "m7_risk_map",
    "m8_policy_tabletop",
)
TAG = {"en": "(fictional)", "fr": "(nom fictif)", "es": "(nombre ficticio)"}
LABEL_TAG = {"en": "(fictional)", "fr": "(fictif)", "es": "(ficticio)"}
QUOTES = {"en": ("“", "”"), "fr": ("« ", " »"), "es": ("«", "»")}
SEPARATOR = " \u00b7 "  # between a layer's label and its hazard id in mecc map


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    """Every module in every built-in language, variant 0, with the interactive maps."""
    from training_modules.pack import build_pack

    return build_pack(tmp_path_factory.mktemp("content") / "pack").out_dir


@pytest.fixture(scope="module")
def map_layers(pack, tmp_path_factory):
    """(module, lang) -> the layer names of the map ``mecc map`` writes of the module's
    run in that language (the pack's map.html where it ships one)."""
    from mecc.maps import build_map

    out = {}
    folder = tmp_path_factory.mktemp("maps")
    for module in MODULES:
        for lang in LANGS:
            shipped = pack / lang / "participants" / module / "map.html"
            if not shipped.is_file():
                shipped = build_map(
                    pack / "runs" / module, folder / f"{module}_{lang}.html", lang=lang
                )
            out[module, lang] = layer_names(shipped)
    return out


def layer_names(path: Path) -> list:
    """The names in the layer control of a map.html (base layers and overlays)."""
    page = path.read_text("utf-8")
    names = []
    for block in re.findall(r"(?:base_layers|overlays) :\s*\{(.*?)\n\s*\}", page, flags=re.S):
        names += [json.loads(n) for n in re.findall(r'^\s*("(?:[^"\\]|\\.)*") :', block, re.M)]
    assert names, path
    return [html.unescape(n) for n in names]  # Leaflet shows them as HTML


def page_text(path: Path, part: str = "") -> str:
    """The visible text of a page (or of its first element matching ``part``)."""
    text = path.read_text("utf-8")
    if part:
        text = re.search(part, text, flags=re.S).group(0)
    text = re.sub(r"<style>.*?</style>|<svg.*?</svg>", " ", text, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", text)))


def quoted_layers(text: str, lang: str) -> list:
    """The map layers a text quotes: quoted names ending with `` · <hazard id>``."""
    left, right = QUOTES[lang]
    quoted = re.findall(re.escape(left) + "(.+?)" + re.escape(right), text)
    return [q for q in quoted if re.search(re.escape(SEPARATOR) + r"[a-z_0-9]+$", q)]


def handout(pack, lang, module) -> Path:
    return pack / lang / "participants" / module / "handout.html"


def key(pack, module, lang="en") -> dict:
    path = pack / lang / "facilitator" / module / "answer_key.yaml"
    return yaml.safe_load(path.read_text("utf-8"))


# --- 1. module 3 says what its interactive map shows, and what it does not ----------------------


def test_module_3_map_has_no_exposure_and_the_handout_says_so(pack, map_layers):
    exposed = key(pack, "m3_exposure")["questions"]["q1"]["answer"]
    period = key(pack, "m3_exposure")["knobs"]["return_period"]
    for lang in LANGS:
        page = handout(pack, lang, "m3_exposure")
        shipped = (page.parent / "map.html").read_text("utf-8")
        assert not re.search(rf"\b{round(exposed)}\b|\b{round(exposed):,}\b", shipped)  # premise
        layers = map_layers["m3_exposure", lang]
        assert not any("expos" in name.casefold() for name in layers), layers
        track_b = page_text(page, r'<section class="track-no-install">.*?</section>')
        named = quoted_layers(track_b, lang)
        assert len(named) == 2 and all(n in layers for n in named), named
        assert f"{period}" in named[0]  # the water of the module's own flood map
        text = page_text(page)
        old = ("same figures can be explored", "mêmes chiffres peuvent", "mismas cifras pueden")
        for wrong in old:  # the sentence of modules whose map shows the printed figures
            assert wrong not in text, (lang, wrong)
        track_a = page_text(page, r'<section class="track-analyst">.*?</section>')
        assert set(quoted_layers(track_a, lang)) == set(named)
        # the map's step shows no printed map "to look like": none of its layers does
        step = re.findall(r'<li class="step">.*?</li>', page.read_text("utf-8"), flags=re.S)[1]
        assert "mecc map" in step and '<figure class="map"' not in step


# --- 2. every layer a handout names is a layer of its map, named by the map's labels -----------


@pytest.mark.parametrize("lang", LANGS)
def test_every_layer_a_handout_quotes_is_in_its_map(pack, map_layers, lang):
    from training_modules.catalogue import load_catalogue
    from training_modules.handouts import named_layer_specs

    catalogue = load_catalogue()
    quoting = set()
    for module in MODULES:
        text = page_text(handout(pack, lang, module))
        quoted = quoted_layers(text, lang)
        missing = [q for q in quoted if q not in map_layers[module, lang]]
        assert not missing, (module, missing, map_layers[module, lang])
        if named_layer_specs(catalogue.module(module)):
            assert quoted, module  # a module that names layers quotes them
            quoting.add(module)
    assert quoting >= {"m1_concepts", "m3_exposure", "m4_displacement", "m5_evacuation"}
    assert quoting >= {"m7_risk_map", "m8_policy_tabletop"}


def test_the_layers_the_probe_found_misnamed(pack):
    fr = page_text(handout(pack, "fr", "m8_policy_tabletop"))
    es = page_text(handout(pack, "es", "m8_policy_tabletop"))
    assert "variation du déplacement annuel moyen" not in fr
    assert "« Évolution du déplacement annuel moyen, SSP5-8.5" in fr
    assert "cambio del desplazamiento anual promedio" not in es
    assert "«Cambio en desplazamiento medio anual, SSP5-8.5" in es
    for module in ("m4_displacement", "m7_risk_map"):
        text = page_text(handout(pack, "es", module))
        assert "capa del DAP" not in text and "capas del DAP" not in text
        assert "«Desplazamiento medio anual · river_flood»" in text


def test_layer_names_come_from_the_maps_labels(tmp_path, monkeypatch):
    """A label changed in the map's locale changes the handout: nothing is retyped."""
    import mecc.map_data
    from training_modules.pack import build_pack

    original = mecc.map_data.labels

    def relabelled(lang):
        words = dict(original(lang))
        words["layer_aad"] = "Renamed AAD layer"
        return words

    monkeypatch.setattr(mecc.map_data, "labels", relabelled)
    out = build_pack(tmp_path / "p", modules=["m7"], langs=["en"], interactive_maps=False).out_dir
    text = page_text(handout(out, "en", "m7_risk_map"))
    assert "“Renamed AAD layer · river_flood”" in text
    assert "“Average annual displacement · river_flood”" not in text


# --- 3. French and Spanish pages: the tag in the language, curves without internal names --------


def data_names(pack) -> set:
    import geopandas as gpd

    names = set()
    for layer in ("provinces", "districts"):
        frame = gpd.read_file(pack / "data" / "inputs" / "admin.gpkg", layer=layer)
        names |= set(frame["name"])
    return names


@pytest.mark.parametrize("lang", ("fr", "es"))
def test_french_and_spanish_pages_show_the_tag_in_their_language(pack, lang):
    for path in sorted((pack / lang).glob("*/*/*.html")):
        if path.name == "map.html":
            continue  # the interactive map shows the data as they are
        text = page_text(path)
        for quote in quoted_layers(text, lang):  # a layer's name is quoted as the map shows it
            text = text.replace(quote, "")
        assert "fictional" not in text, (path, re.findall(r".{40}fictional.{10}", text))
    futures = page_text(
        handout(pack, lang, "m8_policy_tabletop"), r'<table data-table="futures">.*?</table>'
    )
    assert f"SSP2-4.5, 2050 {LABEL_TAG[lang]}" in futures


@pytest.mark.parametrize("lang", LANGS)
def test_tables_show_the_datas_names_with_the_languages_tag(pack, lang):
    """The intent of test_the_province_table_is_headed_province (the data's names appear
    in the tables), with the "(fictional)" tag in the page's language."""
    names = data_names(pack)
    shown = {n.replace(" (fictional)", f" {TAG[lang]}") for n in names}
    assert all(n.endswith(" (fictional)") for n in names)  # premise: the data tag them
    bases = {n.removesuffix(" (fictional)") for n in names}
    seen = 0
    for module in MODULES:
        page = handout(pack, lang, module).read_text("utf-8")
        for table in re.findall(r"<table data-table=.*?</table>", page, flags=re.S):
            cells = [html.unescape(c) for c in re.findall(r"<td>(.*?)</td>", table)]
            places = [c for c in cells if c.split(" (")[0] in bases]
            assert set(places) <= shown, (module, set(places) - shown)
            seen += len(places)
    assert seen >= 40, seen
    provinces = page_text(
        handout(pack, lang, "m8_policy_tabletop"), r'<table data-table="provinces">.*?</table>'
    )
    assert f"Costa {TAG[lang]}" in provinces


@pytest.mark.parametrize("lang", LANGS)
def test_footers_cite_curves_without_internal_names(pack, lang):
    for module in MODULES:
        footer = page_text(handout(pack, lang, module), r'<footer class="notice">.*?</footer>')
        for internal in ("run.yaml", "run file", "../inputs", "hazards[", ".curve"):
            assert internal not in footer, (module, internal, footer)
        if lang != "en":
            for english in ("sensitivity variant", "permanent inundation", "displaces more"):
                assert english not in footer, (module, english)
    m3 = page_text(handout(pack, lang, "m3_exposure"), r'<footer class="notice">.*?</footer>')
    assert "flood_step_1m, Kam et al., 2021" in m3
    m8 = page_text(
        handout(pack, lang, "m8_policy_tabletop"), r'<footer class="notice">.*?</footer>'
    )
    assert {"en": "1.5 m", "fr": "1,5 m", "es": "1,5 m"}[lang] in m8  # the exercise's threshold


# --- 4. Spanish prose groups thousands as its numbers do --------------------------------------


def test_spanish_prose_groups_thousands_like_its_numbers(pack):
    from training_modules.catalogue import flatten_words, load_catalogue

    catalogue = load_catalogue()
    group = catalogue.words("es", "common")["number"]["group"]
    assert group == "\u00a0"
    for name in ("common", *MODULES):
        for key_name, text in flatten_words(catalogue.words("es", name)).items():
            if isinstance(text, str):  # keyword lists match answers: they may hold both
                assert not re.search(r"\d\.\d{3}(?!\d)", text), (name, key_name, text)
    for module in MODULES:
        text = page_text(handout(pack, "es", module))
        assert not re.search(r"\d\.\d{3}(?!\d)", text), (
            module,
            re.findall(r".{20}\d\.\d{3}", text),
        )
    raw = html.unescape(handout(pack, "es", "m3_exposure").read_text("utf-8"))
    assert "de 2 a 1\u00a0000 años" in raw  # page_text would fold the no-break space
    assert f"2{group}358{group}564" in raw  # a generated number, grouped the same way


# --- 5. the pack's runs print no warning ---------------------------------------------------


def test_participant_runs_print_no_warning(pack, cli, tmp_path, monkeypatch):
    monkeypatch.chdir(pack)
    for module in MODULES:
        run = yaml.safe_load((pack / "data" / module / "run.yaml").read_text("utf-8"))
        assert not any("season" in h for h in run["hazards"]), module
        result = cli("run", f"data/{module}/run.yaml", "--out", tmp_path / module)
        assert result.exit_code == 0, result.output
        assert "warning" not in result.output.casefold(), (module, result.output)


def test_leaving_out_the_season_changes_no_number(pack, tmp_path):
    """The demo's seasons matter only with mobility.seasonal: the key is the same with them."""
    from training_modules.scenario import RunCache, run_module

    inputs = pack / "data" / "inputs"
    demo = yaml.safe_load((inputs / "run.yaml").read_text("utf-8"))
    seasons = {h["id"]: h["season"] for h in demo["hazards"] if "season" in h}
    run = yaml.safe_load((pack / "data" / "m3_exposure" / "run.yaml").read_text("utf-8"))
    for hazard in run["hazards"]:
        hazard["season"] = seasons[hazard["id"]]
    folder = pack / "data" / "m3_with_season"
    folder.mkdir()
    try:
        (folder / "run.yaml").write_text(yaml.safe_dump(run), "utf-8")
        out = run_module(folder / "run.yaml", tmp_path / "run", RunCache())
        with_season = pd.read_csv(out / "zones.csv", encoding="utf-8-sig")
        without = pd.read_csv(pack / "runs" / "m3_exposure" / "zones.csv", encoding="utf-8-sig")
        columns = ["aad", "pmd_100", "population"]
        pd.testing.assert_frame_equal(with_season[columns], without[columns])
    finally:
        import shutil

        shutil.rmtree(folder)


# --- 6. reported records are not called modelled --------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_records_are_told_apart_from_modelled_estimates(pack, lang):
    from training_modules.catalogue import load_catalogue

    notice = load_catalogue().words(lang, "common")["notice"]
    plain = notice["method"].split("{version}")[0]
    records = notice["method_records"].split("{version}")[0]
    for module in MODULES:
        footer = page_text(handout(pack, lang, module), r'<footer class="notice">.*?</footer>')
        guide = page_text(pack / lang / "facilitator" / module / "guide.html")
        cover = page_text(handout(pack, lang, module), r'<header class="cover">.*?</header>')
        if module in ("m2_loss_records", "m6_sendai_table"):
            assert footer.startswith(" " + records) and plain not in footer, module
            assert records in guide and notice["reported"] in cover
        else:
            assert footer.startswith(" " + plain) and notice["reported"] not in cover, module


# --- 7. module 4's fields and module 1's rounding ------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_module_4_names_the_fields_the_files_have(pack, lang):
    period = key(pack, "m4_displacement")["knobs"]["return_period"]
    summary = json.loads((pack / "runs" / "m4_displacement" / "summary.json").read_text("utf-8"))
    flood = summary["hazards"]["river_flood"]
    zones = pd.read_csv(pack / "runs" / "m4_displacement" / "zones.csv", encoding="utf-8-sig")
    assert f"pmd_{period}" not in flood and str(period) in flood["pmd"]  # premise
    assert f"pmd_{period}" in zones.columns
    page = handout(pack, lang, "m4_displacement").read_text("utf-8")
    step = html.unescape(re.findall(r'<li class="step">.*?</li>', page, flags=re.S)[3])
    codes = re.findall(r"<code>(.*?)</code>", step)
    at = codes.index("summary.json", 2)  # after the first mention of both files
    assert codes[at + 1 : at + 3] == ["pmd", f'"{period}"'], codes
    assert codes[codes.index("zones.csv", at) + 1] == f"pmd_{period}", codes
    for field in ("aad", "aad_low", "aad_high"):
        assert field in codes and field in flood and field in zones.columns
    for field in ("aad_member_min", "aad_member_max"):
        assert field in codes and field in summary["hazards"]["river_flood_years"]


@pytest.mark.parametrize("lang", LANGS)
def test_module_1_says_why_the_terminal_and_the_handout_round_differently(pack, lang):
    from mecc.headlines import format_headline, headlines
    from training_modules.catalogue import load_catalogue
    from training_modules.words import Words

    summary = json.loads((pack / "runs" / "m1_concepts" / "summary.json").read_text("utf-8"))
    record = next(r for r in headlines(summary) if r["hazard_id"] == "sea_level_rise")
    assert record["low"] < 100 and not float(record["low"]).is_integer()
    assert f"range {record['low']:.1f}-" in format_headline(record)  # one decimal there
    words = Words(load_catalogue(), lang, "m1_concepts")
    table = page_text(
        handout(pack, lang, "m1_concepts"), r'<table data-table="hazards">.*?</table>'
    )
    assert f" {words.num(record['low'])} " in table and words.num(record["low"]).isdigit()
    checkpoint = {"en": "one decimal under 100", "fr": "une décimale sous 100"}
    checkpoint["es"] = "un decimal por debajo de 100"
    assert checkpoint[lang] in page_text(handout(pack, lang, "m1_concepts"))
