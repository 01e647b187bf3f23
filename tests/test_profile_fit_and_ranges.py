"""District risk profiles: a page too full for one A4 sheet, PMD bootstrap ranges, the
household size behind the kits, and the map's terms.

- A profile that does not fit its A4 box at the smallest type (the demo with three more
  scenarios, as a ministry adds them; or units with long names) continues on a second
  sheet: the PDF printed by Chromium keeps, for every unit, the sources and caveats (the
  modelled-estimate caveat, the curves, the Sphere attribution, the input hashes) and the
  footer. Before, ``overflow: hidden`` cut them off without a word.
- An event set's probable maximum displacement carries its bootstrap 5th-95th
  percentile (zones.csv ``pmd_T_p05`` / ``_p95``), marked † and named under the table in
  the map's words; the needs at that return period carry it too.
- "1 kit per household of 4.1 people" with 3,605 people gave 872 kits (3,605 / 4.133);
  the size is now shown with the decimals needed for the total to check by hand.
- Spanish and French words of the profile are the map's (mecc/locales/maps.yaml).

The PDF's text is read here from its content streams and the fonts' ToUnicode maps
(Chromium writes one glyph per ``Tj``), without a PDF library.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import unicodedata
import zlib
from pathlib import Path

import pandas as pd
import pytest
import yaml

from mecc.map_data import labels
from mecc.profiles import build_profiles, write_profiles
from tests.conftest import in_ci
from tests.test_maps import CHROMIUM, browser  # noqa: F401 - the shared Chromium fixture

FOOTER = {"en": "Made with the MECC toolkit", "fr": "Réalisé avec", "es": "Elaborado con"}
SOURCES = {"en": "Sources and caveats", "fr": "Sources et limites", "es": "Fuentes y advertencias"}
CAVEAT = {
    "en": "All figures are modelled estimates",
    "fr": "Tous les chiffres sont des estimations",
    "es": "Todas las cifras son estimaciones",
}
CONTINUED = {"en": "(continued)", "fr": "(suite)", "es": "(continuación)"}
GROUP = {"en": ",", "fr": "\u202f", "es": "\u00a0"}
DECIMAL = {"en": ".", "fr": ",", "es": ","}


# ------------------------------------------------------------------ reading a PDF


def pdf_pages_text(path) -> list[str]:
    """The text of each page of a PDF written by Chromium, in page order (NFKC: the
    "fi" ligature as two letters; one line per text object, spaces collapsed)."""
    data = Path(path).read_bytes()
    objects, streams, pos = {}, {}, 0
    while found := re.compile(rb"(\d+) 0 obj\b").search(data, pos):
        number, start = int(found[1]), found.end()
        end, at = data.find(b"endobj", start), data.find(b"stream", start)
        objects[number] = data[start:end]
        if 0 <= at < end:  # a stream: read its /Length bytes (binary may hold "endobj")
            header = data[start:at]
            size = int(re.search(rb"/Length (\d+)(?! \d+ R)", header)[1])
            body = at + 6 + (2 if data[at + 6 : at + 8] == b"\r\n" else 1)
            raw = data[body : body + size]
            streams[number] = zlib.decompress(raw) if b"/FlateDecode" in header else raw
            objects[number] = header
            end = data.find(b"endobj", body + size)
        pos = end + 6

    def ref(text, key):
        found = re.search(rb"/" + key + rb"\s+(\d+) 0 R", text)
        return int(found[1]) if found else None

    def to_unicode(number) -> dict:
        table, text = {}, streams[number].decode("latin-1")
        for block in re.findall(r"beginbfchar(.*?)endbfchar", text, re.S):
            for src, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                table[int(src, 16)] = bytes.fromhex(dst).decode("utf-16-be")
        for block in re.findall(r"beginbfrange(.*?)endbfrange", text, re.S):
            triples = re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block)
            for low, high, dst in triples:
                first = bytes.fromhex(dst).decode("utf-16-be")
                for k in range(int(low, 16), int(high, 16) + 1):
                    table[k] = first[:-1] + chr(ord(first[-1]) + k - int(low, 16))
        return table

    def leaves(number) -> list[int]:
        kids = re.search(rb"/Kids\s*\[(.*?)\]", objects[number], re.S)
        if not kids:
            return [number]
        return [leaf for k in re.findall(rb"(\d+) 0 R", kids[1]) for leaf in leaves(int(k))]

    catalog = next(n for n, t in objects.items() if re.search(rb"/Type\s*/Catalog\b", t))
    pages = []
    for page in leaves(ref(objects[catalog], rb"Pages")):
        resources = ref(objects[page], rb"Resources")
        resources = objects[resources] if resources else objects[page]
        named = re.search(rb"/Font\s*<<(.*?)>>", resources, re.S)
        fonts = {}
        for name, number in re.findall(rb"/(\w+)\s+(\d+) 0 R", named[1] if named else b""):
            unicode = ref(objects[int(number)], rb"ToUnicode")
            fonts[name.decode()] = to_unicode(unicode) if unicode else {}
        contents = re.search(rb"/Contents\s*(\[.*?\]|\d+ 0 R)", objects[page], re.S)[1]
        content = b"".join(streams[int(n)] for n in re.findall(rb"(\d+) 0 R", contents))
        font, chars = {}, []
        operators = r"/(\w+)\s+[\d.]+\s+Tf|<([0-9A-Fa-f]*)>\s*Tj|\[([^\]]*)\]\s*TJ|\b(ET|Tm)\b"
        for token in re.finditer(operators, content.decode("latin-1")):
            if token[1]:
                font = fonts.get(token[1], {})
            elif token[4]:
                chars.append("\n")
            else:
                runs = (
                    [token[2]] if token[2] is not None else re.findall(r"<([0-9A-F]*)>", token[3])
                )
                for run in runs:
                    chars += [font.get(int(run[i : i + 4], 16), "") for i in range(0, len(run), 4)]
        text = unicodedata.normalize("NFKC", "".join(chars))
        pages.append(re.sub(r"[ \t]*\n[\s]*", "\n", text))
    return pages


def _sheets_by_unit(pages: list[str], units: int) -> dict[int, str]:
    """The text of each unit's sheets, joined (grouped by the footer's "k/units")."""
    out: dict[int, str] = {}
    for text in pages:
        numbers = re.findall(rf"\b(\d+)/{units}\b", text)
        assert len(numbers) == 1, text[-300:]  # every sheet has its footer and number
        out[int(numbers[0])] = out.get(int(numbers[0]), "") + "\n" + text
    return out


def _flat(text: str) -> str:
    return " ".join(text.split())


# ------------------------------------------------------------------------ fixtures


def _needs_chromium():
    if not CHROMIUM.exists():
        if in_ci():
            pytest.fail("CI must install Debian's chromium (.ci/run does)")
        pytest.skip("Chromium is not installed")


def _run_demo_variant(demo_folder, base: Path, change) -> Path:
    """The demo's inputs copied to ``base``, changed by ``change(inputs)``, then run."""
    from mecc.run import run_country

    inputs = base / "inputs"
    shutil.copytree(demo_folder / "inputs", inputs)
    change(inputs)
    run_country(inputs / "run.yaml", base / "run", with_map=False)
    return base / "run"


def _three_more_scenarios(inputs: Path) -> None:
    """A second cyclone, earthquake and storm surge scenario (the probe's r1.sh)."""
    data = yaml.safe_load((inputs / "run.yaml").read_text(encoding="utf-8"))
    for base in ("cyclone_wind", "earthquake", "storm_surge"):
        hazard = dict(next(h for h in data["hazards"] if h["id"] == base))
        hazard["id"], hazard["scenario"] = f"{base}_b", hazard["scenario"] + " B"
        data["hazards"].append(hazard)
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    (inputs / "run.yaml").write_text(text, encoding="utf-8")


def _long_names(inputs: Path) -> None:
    """Every unit named with 116 characters (a full official name and its status)."""
    import geopandas as gpd

    for layer in ("provinces", "districts"):
        frame = gpd.read_file(inputs / "admin.gpkg", layer=layer)
        frame["name"] = [
            f"{name} — Municipalidad Autónoma Descentralizada del Cantón y sus Parroquias Rurales".ljust(
                116, "x"
            )[:116]
            for name in frame["name"]
        ]
        frame.to_file(inputs / "admin.gpkg", layer=layer, driver="GPKG")


@pytest.fixture(scope="module")
def crowded_run(demo_folder, tmp_path_factory):
    _needs_chromium()
    return _run_demo_variant(demo_folder, tmp_path_factory.mktemp("crowded"), _three_more_scenarios)


@pytest.fixture(scope="module")
def long_named_run(demo_folder, tmp_path_factory):
    _needs_chromium()
    return _run_demo_variant(demo_folder, tmp_path_factory.mktemp("long"), _long_names)


def _units(run: Path, levels=None) -> list[str]:
    zones = pd.read_csv(run / "zones.csv", encoding="utf-8-sig", dtype={"zone_code": str})
    zones = zones[zones["zone_code"] != "__outside__"]
    if levels:
        zones = zones[zones["level"].isin(levels)]
    return list(dict.fromkeys(zones["zone_code"]))


def _check_every_unit_whole(run: Path, pages: list[str], lang: str, units: int) -> None:
    """Each unit's sheets hold its sources and caveats once, whole, and a footer on each."""
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    first = {}  # the first input of each role: its line names its hash
    for record in manifest["inputs"]:
        first.setdefault(record.get("role"), record)
    hashes = [r["sha256"][:12] for r in first.values() if r.get("sha256")]
    assert hashes
    assert all(FOOTER[lang] in text for text in pages)  # every sheet: none cut off
    by_unit = _sheets_by_unit(pages, units)
    assert sorted(by_unit) == list(range(1, units + 1))
    for number, text in by_unit.items():
        flat = _flat(text)
        assert flat.count(SOURCES[lang]) == 1, number
        assert CAVEAT[lang] in flat, number
        assert "Sphere Association (2018)" in flat, number
        assert "www.spherestandards.org/handbook" in flat, number  # the last line of all
        assert all(h in flat for h in hashes), number  # every role's input, with its hash
        assert flat.count(FOOTER[lang]) == text.count(f"{number}/{units}")


# ------------------------------------------------------------- nothing cut off


@pytest.mark.parametrize("lang", ["fr", "en", "es"])
def test_a_crowded_profile_continues_on_a_second_sheet_with_its_sources(
    crowded_run, tmp_path, lang
):
    """Nine hazards (the demo's six and three more scenarios): no unit fits one sheet
    even at 5.4 pt. Before, the PDF had 15 pages and none had the footer or the
    sources; now every unit's sheets hold them, the extra sheets marked continued."""
    out = write_profiles(crowded_run, tmp_path / "p", lang=lang, pdf=True)
    pages = pdf_pages_text(out / "profiles.pdf")
    units = len(_units(crowded_run))
    assert units == 15
    _check_every_unit_whole(crowded_run, pages, lang, units)
    continued = [text for text in pages if CONTINUED[lang] in text]
    assert len(pages) > units and len(continued) == len(pages) - units
    assert "cyclone_wind_b" in _flat(" ".join(continued))  # its curve, with the sources


def test_long_unit_names_keep_the_sources_and_footer(long_named_run, tmp_path):
    """116-character names with the demo's six hazards (the level-1 units, in French)."""
    out = write_profiles(long_named_run, tmp_path / "p", lang="fr", levels=[1], pdf=True)
    pages = pdf_pages_text(out / "profiles.pdf")
    units = len(_units(long_named_run, levels=[1]))
    _check_every_unit_whole(long_named_run, pages, "fr", units)
    assert "Municipalidad Autónoma" in pages[0]


def test_every_sheet_fits_its_a4_box_on_screen_and_in_print(crowded_run, tmp_path, browser):  # noqa: F811
    """In the browser (print media) every sheet fits its box with the footer inside,
    the type of a sheet is never below 5.4 pt, and no sheet runs on past its box."""
    out = write_profiles(crowded_run, tmp_path / "p", lang="es", zones=["XMR01", "XMR0205"])
    page = browser.new_page(viewport={"width": 900, "height": 1200})
    page.emulate_media(media="print")
    page.goto((out / "profiles.html").resolve().as_uri())
    page.wait_for_function("document.documentElement.dataset.fitted === 'yes'")
    report = page.evaluate(
        """() => Array.from(document.querySelectorAll('section.page')).map(p => ({
            zone: p.dataset.zone, sheet: p.dataset.sheet || '1', runsOn: p.dataset.runsOn,
            tall: p.scrollHeight - p.clientHeight, size: parseFloat(getComputedStyle(p).fontSize),
            footer: p.querySelector('footer').getBoundingClientRect().bottom
                    - p.getBoundingClientRect().bottom,
            sources: p.querySelectorAll('ul.sources').length}))"""
    )
    page.close()
    assert [(r["zone"], r["sheet"]) for r in report] == [
        ("XMR01", "1"),
        ("XMR01", "2"),
        ("XMR0205", "1"),
        ("XMR0205", "2"),
    ]
    for entry in report:
        assert entry["tall"] <= 1 and entry["footer"] <= 0.5 and not entry["runsOn"], entry
        assert entry["size"] >= 5.4 * 96 / 72 - 0.05, entry  # px
    assert [r["sources"] for r in report] == [0, 1, 0, 1]


# ----------------------------------------------------------- bootstrap ranges


def _number(value: float, lang: str) -> str:
    return f"{round(value):,}".replace(",", GROUP[lang])


def _cell(document: str, attributes: str) -> str:
    found = re.search(rf"<td {attributes}[^>]*>(.*?)</td>", document, re.S)
    assert found, attributes
    return found[1]


@pytest.mark.parametrize("lang", ["fr", "en", "es"])
def test_an_event_sets_pmd_shows_its_bootstrap_range_and_says_what_it_is(demo_folder, lang):
    """XMR0205, river_flood_years at 25 years (the probe's command): the PMD cells and
    the needs carry zones.csv's pmd_T_p05 / _p95, marked †, and the note says, in the
    map's words, that they are the bootstrap 5th to 95th percentile of 500 resamples."""
    run = demo_folder / "run"
    zones = pd.read_csv(run / "zones.csv", encoding="utf-8-sig").set_index(
        ["zone_code", "hazard_id"]
    )
    row = zones.loc[("XMR0205", "river_flood_years")]
    document = build_profiles(
        run, lang=lang, zones=["XMR0205"], hazard_id="river_flood_years", return_period=25
    )
    for t in (10, 25):
        low, high = row[f"pmd_{t}_p05"], row[f"pmd_{t}_p95"]
        assert 0 < low < row[f"pmd_{t}"] < high  # the set-up: a real range around it
        cell = _cell(document, f'data-hazard="river_flood_years" data-figure="pmd_{t}"')
        shown = re.search(r'<span class="range" data-range="bootstrap"[^>]*>(.*?)</span>', cell)
        assert shown and shown[1] == f"{_number(low, lang)}–{_number(high, lang)}†"
    for t in (50, 100, 250):  # not defined beyond the set: no range
        cell = _cell(document, f'data-hazard="river_flood_years" data-figure="pmd_{t}"')
        assert "bootstrap" not in cell
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    samples = summary["hazards"]["river_flood_years"]["pmd_bootstrap"]["samples"]
    words = labels(lang)["range_kind_bootstrap_members"].format(samples=samples)
    text = html.unescape(re.sub(r"<[^>]+>", " ", document))
    assert samples == 500
    assert text.count(f"† {words}.") == 2  # under the key figures and under the needs
    # the needs: the 25-year PMD's range x each need's quantity per person
    water = _cell(document, 'data-need="water"')
    boot = re.search(r'data-range="bootstrap"[^>]*>(.*?)</span>', water)
    expected = f"{_number(row['pmd_25_p05'] * 15, lang)}–{_number(row['pmd_25_p95'] * 15, lang)}†"
    assert boot and boot[1] == expected


# ------------------------------------------------------------------ household size


@pytest.mark.parametrize("lang", ["fr", "en", "es"])
def test_the_kits_total_checks_by_hand_from_the_household_size_shown(demo_folder, lang):
    """Every unit of the demo (100-year river flood): displaced / the size printed gives
    the kits printed, and their range's ends too (XMR01: 3,605 / 4.1331 = 872, not
    3,605 / 4.1 = 879)."""
    run = demo_folder / "run"
    zones = pd.read_csv(run / "zones.csv", encoding="utf-8-sig").set_index(
        ["zone_code", "hazard_id"]
    )
    document = build_profiles(run, lang=lang)
    pages = re.findall(r'<section class="page" data-zone="([^"]+)".*?</section>', document, re.S)
    bodies = re.split(r'<section class="page" ', document)[1:]
    checked = 0
    for code, body in zip(pages, bodies, strict=True):
        row = zones.loc[(code, "river_flood")]
        if not row["pmd_100"] >= 1:
            continue
        per = re.search(r"1 kit [^<]*? ([\d.,]+) (?:people|personnes|personas)", body)
        size = float(per[1].replace(DECIMAL[lang], "."))
        kits = _cell(body, 'data-need="family_kits"')
        total = re.match(r"([\d\s\u202f\u00a0,]+) kits", html.unescape(kits))[1]
        assert total == _number(row["pmd_100"] / size, lang), (code, size)
        ends = re.search(r'<span class="range">([^<]*)</span>', kits)[1]
        low, high = row["pmd_100_low"] / size, row["pmd_100_high"] / size
        assert ends == f"{_number(low, lang)}–{_number(high, lang)}", (code, size)
        checked += 1
    assert checked == 7  # the demo's units where the 100-year river flood displaces anyone
    xmr01 = bodies[pages.index("XMR01")]
    assert f"4{DECIMAL[lang]}1331" in xmr01 and ">872 kits<" in xmr01


# ------------------------------------------------------------------- the map's terms


def test_spanish_and_french_profiles_use_the_maps_terms(demo_folder):
    """The profile says what the map says: AAD, planned relocation, sea-level rise,
    "modelled estimate" in Spanish; "submersion marine" in French."""
    run = demo_folder / "run"
    es = html.unescape(re.sub(r"<[^>]+>", " ", build_profiles(run, lang="es", zones=["XMR01"])))
    fr = html.unescape(re.sub(r"<[^>]+>", " ", build_profiles(run, lang="fr", zones=["XMR01"])))
    es_map, fr_map = labels("es"), labels("fr")
    assert es_map["layer_aad"] == "Desplazamiento medio anual" and es_map["layer_aad"] in es
    assert es_map["modelled_notice"] == "Estimación modelada" and es_map["modelled_notice"] in es
    assert es_map["kind_relocation"] in es and es_map["hazard_type_sea_level_rise"] in es
    for old in ("anual promedio", "reasentamiento", "subida del nivel", "modelizad"):
        assert old not in es, old
    assert fr_map["hazard_type_coastal_flood"] == "submersion marine"
    assert "la submersion marine · scénario" in fr and "côtière ·" not in fr
    assert fr_map["kind_events"] in fr and fr_map["kind_return_periods"] in fr
