"""French and Spanish maps and district profiles say everything in their language (probe 24).

1. The demo data's "(fictional)" tag after a unit's name, a parent's or a scenario's is
   written in the page's language on profiles as on maps ("Serra (nombre ficticio)"), by
   one rule (:func:`mecc.map_text.retag`) with the map's words.
2. An input of a future is listed with its role in the language ("Dato de entrada
   (futuro ssp245_2050: amenaza river_flood@ssp245_2050)"), ids kept as written.
3. The methods a ``mecc hazard`` generator cites (References of a map's About panel) are
   in the language with their citations kept as written (``mecc/locales/generators.yaml``);
   every generator is run through the command line and each of its texts checked.

English is unchanged. Expected texts are written here by hand.
"""

from __future__ import annotations

import hashlib
import html
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import yaml
from affine import Affine

from mecc.errors import ConfigError
from tests.conftest import write_raster

ROOT = Path(__file__).resolve().parents[1]
NBSP = "\u00a0"


def _visible(page: str) -> str:
    """The text of an HTML page (tags and scripts out, entities decoded)."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "\n", page))


def _map_text(lang: str):
    from mecc.map_data import labels
    from mecc.map_text import Text

    return Text(labels(lang), lang)


# ------------------------------------------------- 1. the "(fictional)" tag on profiles


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "en",
            "If the scenario \u201cWind of Cyclone Aurelia (fictional)\u201d happens, about "
            "400 people in Serra (fictional) may lose their homes.",
        ),
        (
            "fr",
            "Si le scénario « Wind of Cyclone Aurelia (fictif) » se produit, environ 400 "
            "personnes de Serra (nom fictif) pourraient perdre leur logement.",
        ),
        (
            "es",
            "Si ocurre el escenario «Wind of Cyclone Aurelia (ficticio)», unas 400 personas "
            "en Serra (nombre ficticio) podrían perder su vivienda.",
        ),
    ],
)
def test_a_profile_sentence_tags_the_place_and_scenario_in_its_language(lang, expected):
    from mecc.profile_text import ProfileText

    text = ProfileText(lang).sentence(
        "scenario",
        "tropical_cyclone",
        "Serra (fictional)",
        400.0,
        np.nan,
        np.nan,
        scenario="Wind of Cyclone Aurelia (fictional)",
    )
    assert html.unescape(text) == expected


@pytest.mark.parametrize(
    ("lang", "heading", "part_of", "undefined"),
    [
        (
            "en",
            "District risk profile: Serra (fictional)",
            "part of Vale (fictional)",
            "in Serra (fictional).",
        ),
        (
            "fr",
            "Profil de risque du district : Serra (nom fictif)",
            "fait partie de Vale (nom fictif)",
            "à Serra (nom fictif).",
        ),
        (
            "es",
            "Perfil de riesgo del distrito: Serra (nombre ficticio)",
            "parte de Vale (nombre ficticio)",
            "en Serra (nombre ficticio).",
        ),
    ],
)
def test_profile_heading_parent_and_notes_tag_names_in_the_language(
    lang, heading, part_of, undefined
):
    """The labels profiles.py fills with a unit's name (heading, "part of", the sentence
    of a too-short event set) carry the tag in the page's language."""
    from mecc.profile_text import ProfileText

    t = ProfileText(lang)
    name, parent = html.escape("Serra (fictional)"), html.escape("Vale (fictional)")
    assert html.unescape(t.w("heading", title=t.w("title"), place=name)) == heading
    assert html.unescape(t.w("part_of", parent=parent)) == part_of
    text = t.sentence("event", "river_flood", "Serra (fictional)", np.nan, np.nan, np.nan, t=100)
    assert html.unescape(text).endswith(undefined)


def test_a_tagged_name_stays_escaped_and_an_untagged_one_as_written():
    from mecc.profile_text import ProfileText

    t = ProfileText("fr")
    shown = t.w("part_of", parent=html.escape('Vale & "Costa" <b> (fictional)'))
    assert shown == "fait partie de Vale &amp; &quot;Costa&quot; &lt;b&gt; (nom fictif)"
    assert t.w("part_of", parent="Serra") == "fait partie de Serra"
    assert t.w("part_of", parent="Serra (fictional) Sur") == "fait partie de Serra (fictional) Sur"
    made = ProfileText("es").w(
        "made_with", version="1", country="Mareva (fictional demo country)", date="d"
    )
    assert "Mareva (país de demostración ficticio)" in html.unescape(made)


@pytest.mark.parametrize(
    ("lang", "place", "data", "country"),
    [
        ("en", "Joval (fictional)", "SSP2-4.5 (fictional)", "Mareva (fictional demo country)"),
        ("fr", "Joval (nom fictif)", "SSP2-4.5 (fictif)", "Mareva (pays de démonstration fictif)"),
        (
            "es",
            "Joval (nombre ficticio)",
            "SSP2-4.5 (ficticio)",
            "Mareva (país de demostración ficticio)",
        ),
    ],
)
def test_profiles_and_maps_share_one_tag_rule(lang, place, data, country):
    from mecc.map_data import labels
    from mecc.map_text import DATA_TAG, retag
    from mecc.profile_text import ProfileText

    profile, page = ProfileText(lang), _map_text(lang)
    cases = [
        ("Joval (fictional)", "fictional_tag", place),
        ("SSP2-4.5 (fictional)", DATA_TAG, data),
        ("Mareva (fictional demo country)", "fictional_tag", country),
        ("Joval", "fictional_tag", "Joval"),
    ]
    for name, key, expected in cases:
        assert profile.retag(name, key) == expected
        assert page.retag(name, key) == expected
        assert retag(name, labels(lang), key) == expected


def test_the_small_map_titles_take_the_tag_in_the_language():
    import geopandas as gpd
    import shapely

    from mecc.profile_text import ProfileText, svg_map

    frame = gpd.GeoDataFrame(
        {"zone_code": ["A", "B"], "zone_name": ["Serra (fictional)", "Vale"]},
        geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)],
        crs="EPSG:4326",
    )
    spanish = svg_map(frame, "A", retag=ProfileText("es").retag)
    assert "<title>Serra (nombre ficticio)</title>" in spanish
    assert "<title>Vale</title>" in spanish
    assert "<title>Serra (fictional)</title>" in svg_map(frame, "A")


# ------------------------------------------------------------ 2. roles of the inputs


@pytest.mark.parametrize(
    ("lang", "role", "expected"),
    [
        (
            "en",
            "future ssp245_2050: hazard river_flood@ssp245_2050",
            "Input (future ssp245_2050: hazard river_flood@ssp245_2050)",
        ),
        (
            "fr",
            "future ssp245_2050: hazard river_flood@ssp245_2050",
            "Donnée d'entrée (avenir ssp245_2050 : aléa river_flood@ssp245_2050)",
        ),
        (
            "es",
            "future ssp245_2050: hazard river_flood@ssp245_2050",
            "Dato de entrada (futuro ssp245_2050: amenaza river_flood@ssp245_2050)",
        ),
        ("en", "future f-1: population", "Input (future f-1: population)"),
        ("fr", "future f-1: population", "Donnée d'entrée (avenir f-1 : population)"),
        ("es", "future f-1: population", "Dato de entrada (futuro f-1: población)"),
        ("en", "future f-1: population growth", "Input (future f-1: population growth)"),
        (
            "fr",
            "future f-1: population growth",
            "Donnée d'entrée (avenir f-1 : croissance de la population)",
        ),
        (
            "es",
            "future f-1: population growth",
            "Dato de entrada (futuro f-1: crecimiento de la población)",
        ),
        ("es", "future f-1: a later kind", "Dato de entrada (futuro f-1: a later kind)"),
        ("en", "population.official", "Input (population.official)"),
        ("es", "population.official", "Dato de entrada (population.official)"),
        ("fr", "run file", "Fichier de calcul"),
        ("es", "population", "Población"),
        ("fr", "zones level 2", "Limites administratives, niveau 2"),
        ("es", "hazard river_flood", "Amenaza river_flood"),
        ("fr", "curve of flood.v2", "Courbe de déplacement de flood.v2"),
    ],
)
def test_an_input_line_gives_its_role_in_the_language(lang, role, expected):
    record = {"role": role, "path": "data/in_put.tif", "sha256": "0123456789abcdef"}
    line = html.unescape(_map_text(lang).role(record))
    colon = " : " if lang == "fr" else ": "
    assert line == f"{expected}{colon}in_put.tif <code>0123456789ab</code>"


ENGLISH_ROLE_WORDS = {"future", "hazard", "curve", "of", "zones", "level", "run", "file"}
ENGLISH_ROLE_WORDS |= {"input", "growth", "boundaries", "displacement"}


def _ids_out(text: str) -> str:
    """A label with the ids and run-file keys (``river_flood@ssp245_2050``,
    ``population.official``, ``earthquake``, level numbers) taken out."""
    words = [w for w in re.split(r"[\s():,]+", text) if w]
    return " ".join(w for w in words if not re.search(r"[_.@\d-]", w) and w != "earthquake")


@pytest.mark.parametrize("lang", ["fr", "es"])
def test_every_role_of_a_run_is_in_the_language(demo_folder, lang):
    """Every role of the demo's manifest.json, and the future roles it lacks (a future's
    population and its growth table), leave no English word once ids are out."""
    import json

    manifest = json.loads((demo_folder / "run" / "manifest.json").read_text(encoding="utf-8"))
    roles = {r["role"] for r in manifest["inputs"]}
    assert {"run file", "population", "zones level 1", "curve of river_flood_years"} <= roles
    assert "future ssp245_2050: hazard river_flood@ssp245_2050" in roles
    roles |= {"future ssp245_2050: population", "future ssp245_2050: population growth"}
    text = _map_text(lang)
    for role in sorted(roles):
        label = html.unescape(text.role_label(role))
        left = set(_ids_out(label).lower().split()) & ENGLISH_ROLE_WORDS
        assert not left, (role, label)


# ------------------------------------------- 3. the methods the generators cite


def _generator(name: str, tmp_path: Path, cli) -> list[Path]:
    """Run ``mecc hazard NAME`` (every way it can be run) and return the grids written."""
    out = tmp_path / name
    out.mkdir()
    grid = ("--bounds", "128", "14", "131", "17", "--resolution", "0.1")
    if name == "cyclone":
        track = out / "track.csv"
        rows = [
            f"2020-01-01 {h:02d}:00,15.0,{130.0 - 0.1 * h:.1f},100,950" for h in range(0, 13, 3)
        ]
        track.write_text("time_utc,lat,lon,vmax_kt,pressure_hpa\n" + "\n".join(rows) + "\n")
        runs = [("hazard", "cyclone", track, "--out", out / "wind.tif", *grid)]
    elif name == "earthquake":
        quake = ("hazard", "earthquake", "--magnitude", "6.5", "--lat", "15.5", "--lon", "129.5")
        quake += ("--depth-km", "10", *grid)
        runs = [(*quake, "--out", out / "point.tif")]
        runs.append((*quake, "--strike", "30", "--dip", "60", "--out", out / "rupture.tif"))
    else:
        heights = np.tile(np.arange(8, dtype="float32") - 1.0, (6, 1))  # sea at the left edge
        transform = Affine(0.01, 0, 10.0, 0, -0.01, 5.0)
        dem = write_raster(out / "dem.tif", heights, transform=transform, nodata=-9999.0)
        river = write_raster(out / "river.tif", (heights == 2).astype("uint8"), transform=transform)
        runs = [
            ("hazard", "flood", dem, "--water-level", "2", "--out", out / "level.tif"),
            ("hazard", "flood", dem, "--channel-height", "1", "--river", river, "--out",
             out / "hand.tif"),
            ("hazard", "flood", dem, "--return-period", "10=1", "--return-period", "100=2",
             "--out", out / "periods"),
        ]  # fmt: skip
    for args in runs:
        result = cli(*args)
        assert result.exit_code == 0, result.output
    return sorted(p for p in out.rglob("*.tif") if p.name not in ("dem.tif", "river.tif"))


def _cited(path: Path) -> list[str]:
    """What the map's References list for a generated grid (the map's own reading:
    manifest.json's ``generated`` record and the grid's tags)."""
    from mecc.manifest import generated_scenario
    from mecc.map_mobility import generator_citations

    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    run = SimpleNamespace(
        manifest={"inputs": [{"role": "hazard h", "path": path.name, "sha256": digest}]}
    )
    generated = generated_scenario(SimpleNamespace(inputs=[str(path)])) or {}
    return generator_citations(run, path.parent, "h", generated)["generated"]


GENERATOR_ENGLISH = frozenset(
    {"wind", "with", "the", "term", "over", "track", "at", "sea", "eq", "rule"} | {"all", "slip"}
)
"""English words of the generators' texts that French and Spanish do not use."""


def _citations() -> list[str]:
    table = yaml.safe_load((ROOT / "mecc/locales/generators.yaml").read_text(encoding="utf-8"))
    cites = {c for entry in table["texts"].values() for c in (entry.get("cite") or {}).values()}
    return sorted(cites, key=len, reverse=True)


def test_the_generators_checked_are_every_mecc_hazard_command():
    from mecc.commands.hazard import hazard_group

    assert set(hazard_group.commands) == {"cyclone", "earthquake", "flood"}


@pytest.mark.parametrize("name", ["cyclone", "earthquake", "flood"])
def test_every_text_a_generator_cites_is_in_french_and_spanish(name, tmp_path, cli):
    from mecc.map_methods import generator_text

    texts = []
    for path in _generator(name, tmp_path, cli):
        texts += [t for t in _cited(path) if t not in texts]
    expected_count = {"cyclone": 5, "earthquake": 2, "flood": 5}[name]
    assert len(texts) == expected_count, texts
    citations = _citations()
    for text in texts:
        assert generator_text(text, "en") == text
        for lang in ("fr", "es"):
            shown = generator_text(text, lang)
            rest = shown
            for cite in citations:
                if cite in text:  # a citation of the English is kept as written
                    assert cite in shown, (lang, cite, shown)
                    rest = rest.replace(cite, " ")
            left = set(re.findall(r"[a-z]+", rest.lower())) & GENERATOR_ENGLISH
            assert not left, (lang, text, shown)
            if rest.strip(" ,;:()"):  # words around the citations: the language's own
                assert shown != text, (lang, text)


def test_the_track_wind_variant_of_b_is_in_french_and_spanish():
    """``b_parameter="holland1980"`` (Python only) cites the track's wind."""
    from hazards.cyclone import B_SOURCES
    from mecc.map_methods import generator_text

    text = B_SOURCES["holland1980"]
    assert (
        generator_text(text, "fr")
        == "vent de la trajectoire : v_g = (vmax - v_t) / f (CLIMADA H1980)"
    )
    assert (
        generator_text(text, "es")
        == "viento de la trayectoria: v_g = (vmax - v_t) / f (CLIMADA H1980)"
    )


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        (
            "Holland (1980) gradient wind with the Coriolis term, maximum over the track",
            "fr",
            "vent de gradient de Holland (1980) avec le terme de Coriolis, maximum sur la "
            "trajectoire",
        ),
        (
            "Holland (1980) gradient wind with the Coriolis term, maximum over the track",
            "es",
            "viento de gradiente de Holland (1980) con el término de Coriolis, máximo a lo "
            "largo de la trayectoria",
        ),
        (
            "Harper, Kepert & Ginger (2010), WMO/TD-No. 1555, at sea",
            "es",
            "Harper, Kepert & Ginger (2010), WMO/TD-No. 1555, en el mar",
        ),
        (
            "Franklin, Black & Valde (2003), Wea. Forecasting 18:32-44, 90% rule "
            "(CLIMADA DEF_GRADIENT_TO_SURFACE_WINDS)",
            "fr",
            "Franklin, Black & Valde (2003), Wea. Forecasting 18:32-44, règle des 90 % "
            "(CLIMADA DEF_GRADIENT_TO_SURFACE_WINDS)",
        ),
        (
            "Holland (2008) MWR 136:3432 eq. 11 b_s, v_ms = sqrt(b_s dp/(rho e)); v_g = v_ms/f",
            "es",
            "Holland (2008) MWR 136:3432 ec. 11 b_s, v_ms = sqrt(b_s dp/(rho e)); v_g = v_ms/f",
        ),
        (
            "Wells, D. L. & Coppersmith, K. J. (1994). New empirical relationships among "
            "magnitude, rupture length, rupture width, rupture area, and surface displacement. "
            "BSSA 84(4), 974-1002 (all slip types): log10 RLD = -2.44 + 0.59 M, "
            "log10 RW = -1.01 + 0.32 M",
            "fr",
            "Wells, D. L. & Coppersmith, K. J. (1994). New empirical relationships among "
            "magnitude, rupture length, rupture width, rupture area, and surface displacement. "
            "BSSA 84(4), 974-1002 (tous types de glissement) : log10 RLD = -2.44 + 0.59 M, "
            "log10 RW = -1.01 + 0.32 M",
        ),
        ("a text of a later version", "fr", "a text of a later version"),
    ],
)
def test_generator_texts_by_hand(text, lang, expected):
    from mecc.map_methods import generator_text

    assert generator_text(text, lang) == expected


def test_a_template_that_leaves_out_a_citation_is_one_error_naming_file_and_field(
    tmp_path, monkeypatch
):
    from mecc import map_methods

    bad = tmp_path / "generators.yaml"
    bad.write_text(
        "texts:\n  model:\n    cite:\n      holland: 'Holland (1980)'\n"
        "    en: '{holland} wind'\n    fr: 'vent'\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(map_methods, "GENERATOR_LOCALE_FILE", bad)
    map_methods._generator_locale.cache_clear()
    try:
        with pytest.raises(ConfigError, match=r"generators\.yaml: texts\.model\.fr: citations"):
            map_methods.generator_text("Holland (1980) wind", "fr")
    finally:
        map_methods._generator_locale.cache_clear()


# ------------------------------------------------------------- the demo, end to end


@pytest.fixture(scope="module")
def demo_pages(demo_folder, tmp_path_factory):
    """The demo's map (About panel) and the profile of Serra (XMR01), per language."""
    from mecc.maps import build_map
    from mecc.profiles import build_profiles

    out = tmp_path_factory.mktemp("pages")
    pages = {}
    for lang in ("en", "fr", "es"):
        path = build_map(demo_folder / "run", out / f"map_{lang}.html", lang=lang)
        about = path.read_text(encoding="utf-8")
        start = about.index('<div id="mecc-title"')
        about = about[start : about.index("</details></div>", start)]
        profile = build_profiles(demo_folder / "run", lang=lang, zones=["XMR01"])
        profile = re.sub(r"<svg\b.*?</svg>", " ", profile, flags=re.S)  # see the report
        pages[lang] = (_visible(about), _visible(profile))
    return pages


@pytest.mark.parametrize(
    ("lang", "lines"),
    [
        (
            "en",
            [
                "District risk profile: Serra (fictional)",
                "Input (future ssp245_2050: hazard river_flood@ssp245_2050): "
                "river_flood_ssp245_2050_rp0002.tif",
                "] Holland (1980) gradient wind with the Coriolis term, maximum over the track",
                "] Harper, Kepert & Ginger (2010), WMO/TD-No. 1555, at sea",
                "974-1002 (all slip types): log10 RLD",
            ],
        ),
        (
            "fr",
            [
                "Profil de risque du district : Serra (nom fictif)",
                "Donnée d'entrée (avenir ssp245_2050 : aléa river_flood@ssp245_2050) : "
                "river_flood_ssp245_2050_rp0002.tif",
                "] vent de gradient de Holland (1980) avec le terme de Coriolis, maximum sur "
                "la trajectoire",
                "] Harper, Kepert & Ginger (2010), WMO/TD-No. 1555, en mer",
                "974-1002 (tous types de glissement) : log10 RLD",
            ],
        ),
        (
            "es",
            [
                "Perfil de riesgo del distrito: Serra (nombre ficticio)",
                "Dato de entrada (futuro ssp245_2050: amenaza river_flood@ssp245_2050): "
                "river_flood_ssp245_2050_rp0002.tif",
                "] viento de gradiente de Holland (1980) con el término de Coriolis, máximo a "
                "lo largo de la trayectoria",
                "] Harper, Kepert & Ginger (2010), WMO/TD-No. 1555, en el mar",
                "974-1002 (todos los tipos de deslizamiento): log10 RLD",
            ],
        ),
    ],
)
def test_the_demo_map_and_profile_in_each_language(demo_pages, lang, lines):
    about, profile = demo_pages[lang]
    both = about + "\n" + profile
    for line in lines:
        assert line in both, line
    if lang != "en":
        assert "(fictional)" not in profile
        assert "(future " not in both
        assert "gradient wind with the Coriolis" not in about
        assert "(all slip types)" not in about
