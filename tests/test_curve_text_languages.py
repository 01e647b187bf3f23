"""The sources of the built-in curves in the language of district profiles and maps.

Profiles (``mecc profile --lang``) list each hazard's displacement curve with its source;
the map's About panel (``mecc map --lang``) cites the curves of every hazard (central,
variants, damage states, fatality model) under References. In French and Spanish the
citations (authors, titles, DOIs, code names, quotations) stay as published and the words
that say what a curve does are the page's language; English is unchanged.

Every curve ``mecc curves list`` shows is checked in both languages, through the real
map and profile text code: its citations (``mecc/locales/curves.yaml``, each a piece of
the library's own English source) are found verbatim, and with them taken out no English
word of :data:`ENGLISH` is left. A few translations are checked by exact text written
here by hand, and a small run is turned into a French map and a Spanish profile.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import yaml

from mecc.errors import ConfigError
from tests._run_inputs import basic_case, write_run
from tests.conftest import write_raster

ROOT = Path(__file__).resolve().parents[1]
LANGS = ("fr", "es")
ENGLISH = frozenset(
    (  # noqa: SIM905 - a paragraph of words is easier to read than a list
        "the where displaced displaces displacement people everyone nobody with without "
        "above below and of by is are which so as at for not per times own look like "
        "damage damaged destroyed depth threshold fatality fatalities rate rates variant "
        "variants applied directly calibrated median values records region regional "
        "residential flooded default evacuation wind winds sustained "
        "gusts limits means covers water class function shape intensity "
        "mean lower bound choice published value toolkit sensitivity step more "
        "fewer placed tabulated any observed those two put reaches asset lists computed "
        "uninhabitable empirical wet dry low medium high earthquake model "
        "removed docs"
    ).split()
)
"""English words of the curves' descriptions, none of which French or Spanish uses."""


def _library() -> dict:
    from hazards import library

    return library.curve_entries()


def _shipped() -> list[str]:
    """The names ``mecc curves list`` prints."""
    from click.testing import CliRunner

    from cli import main

    result = CliRunner().invoke(main, ["curves", "list"])
    assert result.exit_code == 0, result.output
    names = [line.split()[0] for line in result.output.splitlines()[1:] if line.strip()]
    assert len(names) >= 40 and "flood_step_1m" in names
    return names


def _citations() -> list[str]:
    """Every citation of the locale file, longest first (so a short one that is part of a
    longer one is taken out last)."""
    table = yaml.safe_load((ROOT / "mecc/locales/curves.yaml").read_text(encoding="utf-8"))
    cites = {c for entry in table["sources"].values() for c in (entry.get("cite") or {}).values()}
    return sorted(cites, key=len, reverse=True)


def _words(lang: str) -> dict:
    return yaml.safe_load((ROOT / "mecc/locales/maps.yaml").read_text(encoding="utf-8"))[lang]


def _map_references(lang: str, hazards: dict) -> list[str]:
    """The map's References (plain text) for ``hazards``: id -> the About panel's record
    (``mecc.map_methods.method_records``), through :meth:`mecc.map_text.Text.methods`."""
    from mecc.map_text import Text

    run = SimpleNamespace(
        summary={"hazards": {h: {"type": "river_flood", "kind": "scenario"} for h in hazards}}
    )
    _, listed = Text(_words(lang), lang).methods(run, {"hazards": hazards})
    return [html.unescape(t) for t in re.findall(r"<li>\[\d+\] (.*?)</li>", listed)]


def _record(entry) -> dict:
    """The About panel's record of a hazard using ``entry``: as its displacement curve, or
    as damage states or as the fatality model where the entry is one."""
    own = {"name": entry.name, "evidence": entry.evidence, "source": entry.source}
    record = {"curve": None, "variants": {}, "damage": [], "fatality": None}
    if entry.damage_states:
        record["damage"] = [own]
    elif entry.calibration_country:  # a survivors curve with its fatality model
        record["curve"] = own
        record["fatality"] = {**own, "name": f"{entry.name}:fatalities"}
    else:
        record["curve"] = own
        if "high" in entry.variants:  # a variant of the central curve: the same source
            record["variants"] = {"high": {"name": f"{entry.name}:high", "source": entry.source}}
    return record


def _english_left(text: str, source: str) -> set:
    """English words of :data:`ENGLISH` in ``text`` once the citations are taken out,
    after checking that every citation the English ``source`` holds is in ``text``."""
    for cite in _citations():  # longest first: "InaSAFE v3" before "InaSAFE"
        if cite in source:
            assert cite in text, (cite, text)
            text, source = text.replace(cite, " "), source.replace(cite, " ")
    return {w for w in re.findall(r"[^\W\d_]+", text) if w.lower() in ENGLISH}


# ------------------------------------------------- 1. every shipped curve, both languages


@pytest.mark.parametrize("lang", LANGS)
def test_every_shipped_curve_is_described_in_the_language_of_profiles(lang):
    from mecc.profile_text import ProfileText

    entries, text = _library(), ProfileText(lang)
    for name in _shipped():
        source = entries[name].source
        # the library's source does have English words to translate
        assert _english_left(source, source), name
        shown = html.unescape(text.curve_source({"name": name, "source": source}))
        assert _english_left(shown, source) == set(), (name, shown)
        for variant in set(entries[name].variants) - {"central"}:
            shown = html.unescape(
                text.curve_source({"name": f"{name}:{variant}", "source": source})
            )
            assert f"{name}," in shown  # the curve's name (an id, not words): as written
            left = _english_left(shown.replace(f"{name},", " "), source)
            assert left == set(), (name, variant, shown)


@pytest.mark.parametrize("lang", LANGS)
def test_every_shipped_curve_is_cited_in_the_language_of_the_map(lang):
    entries = _library()
    names = _shipped()
    references = _map_references(lang, {name: _record(entries[name]) for name in names})
    # one reference per distinct source of the library (a family shares one)
    assert len(references) == len({entries[name].source for name in names})
    for name in names:
        source = entries[name].source
        cites = [c for c in _citations() if c in source]
        cited = [r for r in references if all(c in r for c in cites)]
        assert cited, name  # the reference of the curve: every citation of its source
        for reference in cited:
            assert _english_left(reference, source) == set(), (name, reference)


def test_english_is_the_library_source_as_written():
    from mecc.profile_text import ProfileText

    entries = _library()
    names = _shipped()
    text = ProfileText("en")
    for name in names:
        assert text.curve_source({"name": name, "source": entries[name].source}) == html.escape(
            entries[name].source
        )
    references = _map_references("en", {name: _record(entries[name]) for name in names})
    assert set(references) == {entries[name].source for name in names}


# ------------------------------------------------------------ 2. exact translations

FLOOD_STEP_FR = (
    "Kam, Aznar-Siguan, Schewe, Milano, Ginnetti, Willner, McCaughey and Bresch (2021), "
    "Environ. Res. Lett. 16:044026 (IF_FL_1m : personnes déplacées là où la hauteur d'eau "
    "est >= 1 m, multipliées par la fraction inondée) ; seuil par défaut de 1 m de "
    "l'évacuation en cas d'inondation d'InaSAFE v3 (\"selected based on consensus, not hard "
    'evidence", documentation de FloodEvacuationFunction)'
)
TSUNAMI_ES = (
    "clases de población por tsunami de InaSAFE: toda persona en agua >= 0,7 m es "
    "desplazada (inasafe#3779, #3782)"
)
DAMAGE_STATES_ES = (
    "Daños a las viviendas según la profundidad del JRC (Huizinga et al. 2017). Destruida o "
    "inhabitable (B-4): daño medio >= 0,55 (variantes 0,7 / 0,3, IDMC GDRM v2). Dañada sin "
    "estar destruida (B-3): 0,1 <= daño < umbral de destrucción; el límite inferior de 0,1 "
    "es una elección de este conjunto de herramientas, no un valor publicado"
)
ITB_FR = (
    "modèle de mortalité sismique ITB d'InaSAFE v3, calibré pour l'Indonésie : taux de "
    "mortalité 10^(0,62275231 MMI - 8,03314466) pour MMI >= 4 "
    "(safe/definitions/earthquake.py) ; déplacés = (population - décès) x 1[MMI >= 5,5]. "
    "Appliqué autrement que dans InaSAFE v3, qui donne à toutes les personnes d'une "
    "classe entière d'intensité m (m - 0,5 < MMI <= m + 0,5) le taux en m et compte comme"
    " 0 moins de 50 décès : ici chaque cellule prend le taux à sa propre intensité MMI et"
    " rien n'est arrondi, si bien que les décès peuvent s'écarter de ceux d'InaSAFE v3 de"
    " plusieurs dizaines de pour cent, dans un sens ou dans l'autre, sur la même grille"
)


def test_a_few_sources_by_exact_text():
    from mecc.profile_text import ProfileText

    entries = _library()
    shown = ProfileText("fr").curve_source(
        {"name": "flood_step_1m:low", "source": entries["flood_step_1m"].source}
    )
    assert html.unescape(shown) == (
        f"{FLOOD_STEP_FR} (courbe flood_step_1m, variante basse : déplace moins de personnes)"
    )
    tsunami = _record(entries["tsunami_step_0.7m"])
    assert _map_references("es", {"ts": tsunami}) == [TSUNAMI_ES]
    states = _record(entries["flood_damage_states_jrc_oceania"])
    assert _map_references("es", {"rf": states}) == [DAMAGE_STATES_ES]
    itb = _record(entries["eq_mmi6_survivors_itb"])
    assert _map_references("fr", {"eq": itb}) == [ITB_FR]


@pytest.mark.parametrize(
    ("lang", "name", "depth"),
    [
        ("en", "People at risk of planned relocation (no displacement curve): ", "any depth > 0"),
        (
            "fr",
            "Personnes exposées à une réinstallation planifiée (aucune courbe de déplacement) : ",
            "toute hauteur d'eau > 0",
        ),
        (
            "es",
            "Personas en riesgo de reubicación planificada (sin curva de desplazamiento): ",
            "cualquier profundidad > 0",
        ),
    ],
)
def test_the_sea_level_rise_curve_on_the_map(lang, name, depth):
    """The relocation rule in the language, cited by its source (Poulter and Halpin
    2008), not by the description a run of an older version recorded as its source."""
    from hazards.slow_onset import RELOCATION_SOURCE
    from mecc.map_text import Text

    record = {
        "curve": {"name": "permanent inundation", "evidence": None, "source": "any depth > 0"},
        "variants": {},
        "damage": [],
        "fatality": None,
    }
    run = SimpleNamespace(summary={"hazards": {"slr": {"type": "sea_level_rise"}}})
    items, listed = Text(_words(lang), lang).methods(run, {"hazards": {"slr": record}})
    assert html.escape(name) in items and html.escape(depth) in items
    assert re.findall(r"<li>\[1\] (.*?)</li>", listed) == [html.escape(RELOCATION_SOURCE)]


@pytest.mark.parametrize("lang", ["en", *LANGS])
def test_a_source_the_toolkit_does_not_know_is_cited_as_written_on_the_map(lang):
    own = "Ministry of Works (2020), survey of flooded houses"
    record = {
        "curve": {"name": "my_curve.csv", "evidence": None, "source": own},
        "variants": {},
        "damage": [],
        "fatality": None,
    }
    assert _map_references(lang, {"rf": record}) == [own]


# ------------------------------------------------------------- 3. the locale file checked


def test_a_template_that_leaves_out_a_citation_is_named(tmp_path, monkeypatch):
    from mecc import map_methods

    bad = tmp_path / "curves.yaml"
    bad.write_text(
        "sources:\n  step:\n    cite: {kam: 'Kam et al. (2021)'}\n"
        "    en: 'a step of {kam}'\n    fr: 'un seuil'\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(map_methods, "CURVE_LOCALE_FILE", bad)
    map_methods._curve_locale.cache_clear()
    try:
        with pytest.raises(
            ConfigError, match=r"curves\.yaml: sources\.step\.fr: citations \{kam\}"
        ):
            map_methods.curve_text("a step of Kam et al. (2021)", "fr")
    finally:
        map_methods._curve_locale.cache_clear()


# ----------------------------------------------------- 4. a run, a map and a profile


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """Two flood hazards of a small run: river_flood with the JRC Europe curve (low
    variant) and damage states, a tsunami with the 0.7 m step."""
    from mecc.run import run_country

    base = tmp_path_factory.mktemp("curve_text")
    inputs = base / "inputs"
    data = basic_case(inputs)
    write_raster(inputs / "wave.tif", np.full((4, 4), 2.0))
    data["hazards"] = [
        {
            "id": "rf",
            "type": "river_flood",
            "return_periods": {10: "rp10.tif", 100: "rp100.tif"},
            "curve": "jrc_residential_europe:low",
            "damage_curve": "flood_damage_states_jrc_europe",
        },
        {"id": "ts", "type": "tsunami", "intensity": "wave.tif", "scenario": "Wave"},
    ]
    data["hazards"][1]["curve"] = "tsunami_step_0.7m"
    run_country(write_run(inputs, data), base / "run", with_map=False)
    return base / "run"


JRC_FR = (
    "Dommages selon la hauteur d'eau : Huizinga, de Moel and Szewczyk (2017), JRC global "
    "flood depth-damage functions, JRC105688 (logements, par continent ; tels que tabulés "
    "dans CLIMADA petals). Seuil : IDMC Global Displacement Risk Model v2 (Meiler, "
    'Muehlhofer, Luethi; IDMC, UNU-EHS, ETH) : "people are displaced when 55% (30-70%) of '
    'a building gets destroyed"'
)


def test_a_french_map_of_a_run(run_dir, tmp_path):
    from mecc.maps import build_map

    page = build_map(run_dir, tmp_path / "map" / "map.html", lang="fr").read_text("utf-8")
    start = page.index('<div id="mecc-title"')
    about = page[page.index("<details>", start) : page.index("</details>", start)]
    references = [html.unescape(t) for t in re.findall(r"<li>\[\d+\] (.*?)</li>", about)]
    assert JRC_FR in references
    assert (
        "classes de population tsunami d'InaSAFE : toute personne dans une eau >= 0,7 m est "
        "déplacée (inasafe#3779, #3782)"
    ) in references
    for name in ("jrc_residential_europe", "flood_damage_states_jrc_europe"):
        source = _library()[name].source
        own = [r for r in references if all(c in r for c in _citations() if c in source)]
        assert len(own) == 1 and _english_left(own[0], source) == set(), name


def test_a_spanish_profile_of_a_run(run_dir, tmp_path):
    from click.testing import CliRunner

    from cli import main

    out = tmp_path / "p"
    args = ["profile", str(run_dir), "--out", str(out), "--lang", "es", "--no-pdf"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    page = html.unescape((out / "profiles.html").read_text("utf-8"))
    assert (
        "Curva de desplazamiento de ts: clases de población por tsunami de InaSAFE: toda "
        "persona en agua >= 0,7 m es desplazada (inasafe#3779, #3782)"
    ) in page
    assert (
        "Curva de desplazamiento de rf: Daños según la profundidad: Huizinga, de Moel and "
        "Szewczyk (2017), JRC global flood depth-damage functions, JRC105688 (viviendas, por "
        "continente; tal como se tabulan en CLIMADA petals). Umbral: IDMC Global "
        "Displacement Risk Model v2 (Meiler, Muehlhofer, Luethi; IDMC, UNU-EHS, ETH): "
        '"people are displaced when 55% (30-70%) of a building gets destroyed" (curva '
        "jrc_residential_europe, variante baja: desplaza a menos personas)"
    ) in page
    assert "Depth-damage" not in page and "tsunami population classes" not in page
