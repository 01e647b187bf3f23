"""The map's popups give every figure's range beside its central value, and say what it is.

A workshop facilitator clicked Joval on the demo map: the 10- to 250-year rows of
"Displacement in the T-year maps" showed only central values although zones.csv has
``pmd_T_low`` / ``_high``; the event set's probable maximum displacement showed no
bootstrap ``p05`` / ``p95``; a future's "Change 7,956" had no range although futures.csv
has the baseline and the future with the low and the high variants (the m8 handout prints
``future_low - baseline_low`` to ``future_high - baseline_high``). Every range read
"range X to Y" with nothing saying what it was, the central value was not called central,
and the About panel said nothing on sea-level rise's range (the DEM lowered and raised by
1 m). Here each popup of a few zones is read back from the written map.html (and one in
Chromium) and compared with zones.csv / futures.csv, formatted as the map formats
numbers, in English and French.
"""

from __future__ import annotations

import html
import json
import re

import pandas as pd
import pytest

from mecc.map_data import labels
from mecc.map_text import Text
from mecc.maps import build_map
from mecc.risk import STANDARD_RETURN_PERIODS
from tests.test_maps import browser, screen_point, visit  # noqa: F401 (fixtures: Chromium, no network)

ZONES = ("XMR0310", "XMR0312")  # Joval (the probe's click), Lumira (sea-level rise)
WORDS = {
    "en": {
        "central": "(central)",
        "range": "range {low} to {high} ({kind})",
        "curves": "curve variants",
        "dem": "elevation model (DEM) raised and lowered by 1 m",
        "boot": "bootstrap 5th to 95th percentile, {samples} resamples of the ensemble members",
        "change": "change with the low and with the high curve variants",
        "change_dem": "change with the DEM raised and with it lowered by 1 m",
    },
    "fr": {
        "central": "(valeur centrale)",
        "range": "fourchette de {low} à {high} ({kind})",
        "curves": "variantes de courbe",
        "dem": "modèle numérique de terrain (MNT) relevé et abaissé de 1 m",
        "boot": "bootstrap, du 5e au 95e centile, {samples} rééchantillonnages des membres "
        "de l'ensemble",
        "change": "évolution avec les variantes de courbe basses et avec les hautes",
        "change_dem": "évolution avec le MNT relevé et avec le MNT abaissé de 1 m",
    },
}


@pytest.fixture(scope="module")
def maps(demo_folder, tmp_path_factory) -> dict:
    """The demo's own map (English, as ``mecc demo`` writes it) and a French one."""
    out = tmp_path_factory.mktemp("ranges")
    french = build_map(demo_folder / "run", out / "fr" / "map.html", lang="fr")
    return {"en": demo_folder / "run" / "map.html", "fr": french}


@pytest.fixture(scope="module")
def tables(demo_folder) -> dict:
    run = demo_folder / "run"
    read = {"encoding": "utf-8-sig", "dtype": {"zone_code": str}}
    return {
        "zones": pd.read_csv(run / "zones.csv", **read),
        "futures": pd.read_csv(run / "futures.csv", **read),
        "summary": json.loads((run / "summary.json").read_text(encoding="utf-8")),
    }


def _page(path) -> tuple[str, dict]:
    """The page's text and its data (zones, popups) as the browser gets them."""
    page = path.read_text(encoding="utf-8")
    data = json.loads(re.search(r"var mecc_zones\w* = (\{\"zones\".*?\});\n", page).group(1))
    return page, data


def _popup(data, code, *needles) -> str:
    """The one popup of zone ``code`` holding every needle, unescaped, tags kept."""
    codes = [f["properties"]["code"] for f in data["zones"]["features"]]
    k = codes.index(code)
    found = [
        html.unescape(p[k])
        for p in data["popups"]
        if all(n in html.unescape(p[k]) for n in needles)
    ]
    assert len(found) == 1, (code, needles, len(found))
    return found[0]


def _cell(popup, label) -> str:
    """The text of the cell of the row labelled ``label`` (tags dropped, lines kept)."""
    match = re.search(rf'<th scope="row">{re.escape(label)}</th><td>(.*?)</td>', popup)
    assert match, label
    return re.sub(r"<[^>]+>", "", match.group(1).replace("<br>", "\n"))


def _hazard(text, hazard_id, summary) -> str:
    return html.unescape(text.hazard_text(hazard_id, summary["hazards"][hazard_id]))


def _baseline(text, hazard_id, summary) -> tuple[str, str]:
    """Needles of a hazard's own popup (a future's has "Population, baseline")."""
    population = html.unescape(text.w("population"))
    return _hazard(text, hazard_id, summary), f'<th scope="row">{population}</th>'


def _shown(text, central, low, high, kind) -> str:
    """The cell of a figure with one range, as a reader sees it."""
    return f"{text.num(central)} {WORDS[text.lang]['central']}\n" + WORDS[text.lang][
        "range"
    ].format(low=text.num(low), high=text.num(high), kind=kind)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_return_period_rows_show_their_curve_variant_range(maps, tables, lang):
    text, words = Text(labels(lang), lang), WORDS[lang]
    _, data = _page(maps[lang])
    zones = tables["zones"]
    for code in ZONES:
        row = zones[(zones.zone_code == code) & (zones.hazard_id == "river_flood")].iloc[0]
        popup = _popup(data, code, *_baseline(text, "river_flood", tables["summary"]))
        for t in STANDARD_RETURN_PERIODS:
            cell = _cell(popup, html.unescape(text.w("years", t=t)))
            low, high = row[f"pmd_{t}_low"], row[f"pmd_{t}_high"]
            if low == high == 0:  # Lumira: no one in any variant, no range to show
                assert cell == text.num(0.0)
                continue
            assert cell == _shown(text, row[f"pmd_{t}"], low, high, words["curves"]), (code, t)
    joval = zones[(zones.zone_code == "XMR0310") & (zones.hazard_id == "river_flood")].iloc[0]
    assert [round(joval[c]) for c in ("pmd_10", "pmd_10_low", "pmd_10_high")] == [
        29453,
        13175,
        52166,
    ]
    # the headline AAD: central, then its range and kind
    popup = _popup(data, "XMR0310", *_baseline(text, "river_flood", tables["summary"]))
    cell = _cell(popup, html.unescape(text.w("aad")))
    unit = html.unescape(text.w("unit_people_year"))
    expected = _shown(text, joval["aad"], joval["aad_low"], joval["aad_high"], words["curves"])
    assert cell == expected.replace(" (", f" {unit} (", 1)


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_event_set_rows_show_the_bootstrap_interval(maps, tables, lang):
    text, words = Text(labels(lang), lang), WORDS[lang]
    _, data = _page(maps[lang])
    zones, summary = tables["zones"], tables["summary"]
    samples = summary["hazards"]["river_flood_years"]["pmd_bootstrap"]["samples"]
    kind = words["boot"].format(samples=samples)
    row = zones[(zones.zone_code == "XMR0310") & (zones.hazard_id == "river_flood_years")].iloc[0]
    popup = _popup(data, "XMR0310", *_baseline(text, "river_flood_years", summary))
    for t in (10, 25):
        cell = _cell(popup, html.unescape(text.w("years", t=t)))
        assert cell == _shown(text, row[f"pmd_{t}"], row[f"pmd_{t}_p05"], row[f"pmd_{t}_p95"], kind)
    assert round(row["pmd_10_p05"]) == 32380 and round(row["pmd_10_p95"]) == 52684
    for t in (50, 100, 250):  # beyond the event set's return periods: not defined, no range
        cell = _cell(popup, html.unescape(text.w("years", t=t)))
        assert cell == html.unescape(text.w("not_defined"))


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_sea_level_rise_popup_names_its_dem_range(maps, tables, lang):
    text, words = Text(labels(lang), lang), WORDS[lang]
    _, data = _page(maps[lang])
    zones, summary = tables["zones"], tables["summary"]
    row = zones[(zones.zone_code == "XMR0312") & (zones.hazard_id == "sea_level_rise")].iloc[0]
    popup = _popup(data, "XMR0312", *_baseline(text, "sea_level_rise", summary))
    cell = _cell(popup, html.unescape(text.w("at_risk_relocation")))
    low, high = row["at_risk_relocation_low"], row["at_risk_relocation_high"]
    assert cell == _shown(text, row["at_risk_relocation"], low, high, words["dem"])
    assert [round(v) for v in (row["at_risk_relocation"], low, high)] == [411, 41, 769]


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_future_popups_show_baseline_future_and_change_ranges(maps, tables, lang):
    text, words = Text(labels(lang), lang), WORDS[lang]
    _, data = _page(maps[lang])
    futures, summary = tables["futures"], tables["summary"]
    figure = {
        "river_flood": html.unescape(text.w("figure_aad")),
        "sea_level_rise": html.unescape(text.w("figure_at_risk_relocation")),
    }
    checked = []
    for hazard_id, code, kind, change_kind in (
        ("river_flood", "XMR0310", words["curves"], words["change"]),
        ("sea_level_rise", "XMR0312", words["dem"], words["change_dem"]),
    ):
        for future_id in ("ssp245_2050", "ssp585_2050"):
            row = futures[
                (futures.future_id == future_id)
                & (futures.hazard_id == hazard_id)
                & (futures.zone_code == code)
            ].iloc[0]
            label = text.retag(summary["futures"][future_id]["label"], "fictional_data_tag")
            popup = _popup(data, code, _hazard(text, hazard_id, summary), f"<td>{label}</td>")
            for column, key in (("baseline", "baseline_value"), ("future", "future_value")):
                cell = _cell(popup, html.unescape(text.w(key, figure=figure[hazard_id])))
                low, high = row[f"{column}_low"], row[f"{column}_high"]
                assert cell == _shown(text, row[column], low, high, kind), (future_id, column)
            # the change with the low and with the high variants, as the m8 handout has it
            low = row["future_low"] - row["baseline_low"]
            high = row["future_high"] - row["baseline_high"]
            cell = _cell(popup, html.unescape(text.w("change")))
            assert cell == _shown(text, row["change"], low, high, change_kind), future_id
            checked.append(round(row["change"]))
    # the probe's Joval: change 7,956 (4,381 to 10,722); Lumira's sea-level rise 123 (12 to 231)
    assert checked[0] == 7956 and checked[2] == 123
    joval = futures[
        (futures.future_id == "ssp245_2050")
        & (futures.hazard_id == "river_flood")
        & (futures.zone_code == "XMR0310")
    ].iloc[0]
    assert round(joval.future_low - joval.baseline_low) == 4381
    assert round(joval.future_high - joval.baseline_high) == 10722


ABOUT = {
    "en": {
        "river_flood": [
            "Range: curve variants, the curves that displace fewer and more people (a range "
            "of the method, not a confidence interval); the central value is the central "
            "curve's",
            "Range from the curve variants: low flood_step_1m:low",
            "Range of the change under a future: change with the low and with the high curve "
            "variants (future minus baseline with each)",
        ],
        "river_flood_years": [
            "Range of the average annual displacement: lowest and highest ensemble member "
            "(2 members; each unit's popup also gives their median)",
            "Range of the probable maximum displacement: bootstrap 5th to 95th percentile, "
            "500 resamples of the ensemble members",
        ],
        "cyclone_wind": [  # Kam et al. (2024): the region's per-event extremes
            "Range from the curve variants: low tc_emanuel_kam2024_si:low; high "
            "tc_emanuel_kam2024_si:high",
            "Range: curve variants, the curves that displace fewer and more people",
        ],
        "sea_level_rise": [
            "Range: elevation model (DEM) raised and lowered by 1 m (global elevation models "
            "overstate coastal heights by metres); the central value is the DEM's as given",
            "Range of the change under a future: change with the DEM raised and with it "
            "lowered by 1 m (future minus baseline with each)",
        ],
    },
    "fr": {
        "river_flood": [
            "Fourchette : variantes de courbe, les courbes qui déplacent moins et plus de "
            "personnes (une fourchette de la méthode, pas un intervalle de confiance)",
            "Fourchette issue des variantes de courbe : basse flood_step_1m:low",
        ],
        "river_flood_years": [
            "Fourchette du déplacement maximal probable : bootstrap, du 5e au 95e centile, "
            "500 rééchantillonnages des membres de l'ensemble",
        ],
        "cyclone_wind": [
            "Fourchette issue des variantes de courbe : basse tc_emanuel_kam2024_si:low ; haute "
            "tc_emanuel_kam2024_si:high",
            "Fourchette : variantes de courbe, les courbes qui déplacent moins et plus de "
            "personnes",
        ],
        "sea_level_rise": [
            "Fourchette : modèle numérique de terrain (MNT) relevé et abaissé de 1 m",
            "Fourchette de l'évolution dans un avenir : évolution avec le MNT relevé et avec "
            "le MNT abaissé de 1 m",
        ],
    },
}


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_about_panel_says_what_every_range_is(maps, tables, lang):
    page, _ = _page(maps[lang])
    summary = tables["summary"]
    for hazard_id in summary["hazards"]:
        start = page.index(f'<li data-hazard="{hazard_id}">')
        item = html.unescape(page[start : page.index("</li>", start)])
        lines = [re.sub(r"<[^>]+>|\s*\[\d+\]", "", line) for line in item.split("<br>")]
        expected = ABOUT[lang].get(hazard_id, [])
        for line in expected:
            assert any(shown.startswith(line) for shown in lines), (hazard_id, line, lines)
        has_range = any(
            k.endswith("_low") or k in ("members", "pmd_bootstrap")
            for k in summary["hazards"][hazard_id]
        )
        assert has_range == bool(expected)  # a line on the range of every hazard with one
        if not has_range:  # scenarios without curve variants: nothing said of a range
            assert not [s for s in lines if s.startswith(("Range", "Fourchette"))], hazard_id
    # the range's curves, then the line saying what the range is
    start = page.index('<li data-hazard="river_flood">')
    item = html.unescape(page[start : page.index("</li>", start)]).split("<br>")
    first = next(k for k, s in enumerate(item) if s.startswith(ABOUT[lang]["river_flood"][1]))
    assert item[first + 1].startswith(ABOUT[lang]["river_flood"][0])


def test_joval_popup_in_chromium_shows_the_ranges(visit, demo_folder, tables):  # noqa: F811
    """The probe's click: Joval on the demo map, the first layer (river_flood's AAD)."""
    import geopandas as gpd

    run = demo_folder / "run"
    zones = tables["zones"]
    row = zones[(zones.zone_code == "XMR0310") & (zones.hazard_id == "river_flood")].iloc[0]
    shapes = gpd.read_file(run / "zones.gpkg", layer="admin2")
    point = shapes[shapes.zone_code == "XMR0310"].geometry.iloc[0].representative_point()
    v = visit(run / "map.html", viewport={"width": 1200, "height": 800})
    xy = screen_point(v.page, point)
    assert v.page.evaluate("([x, y]) => document.elementFromPoint(x, y).dataset.zone", xy) == (
        "XMR0310"
    )
    v.page.mouse.click(*xy)
    popup = v.page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = Text(labels("en"), "en")
    shown = popup.inner_text()
    for t in STANDARD_RETURN_PERIODS:
        low, high = text.num(row[f"pmd_{t}_low"]), text.num(row[f"pmd_{t}_high"])
        assert f"range {low} to {high} (curve variants)" in shown, t
    # the AAD, its rate per 100,000 and Sendai B-1 (each with its range), then the PMDs
    assert popup.locator(".mecc-central").count() == 3 + len(STANDARD_RETURN_PERIODS)
    assert popup.locator(".mecc-value[data-figure='pmd_10']").inner_text() == text.num(
        row["pmd_10"]
    )
    assert v.requests == [] and v.errors == []
