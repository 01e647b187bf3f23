"""The map says the range of every figure it shows, and cites only what the run has.

Probes of real runs found four faults, each checked here against the run's own tables
(zones.csv, sendai.csv), not against the map's code:

1. a popup's "Per 100,000 residents per year 417" had no range, while its AAD had one
   (the training handout's answer key, "the popups' main figures", gives 206 to 758);
2. the Sendai B-1 row had no range either, though sendai.csv has its ``low`` / ``high``;
3. the About panel of a drought-only run spoke of "people at risk of planned relocation
   (sea-level rise)", a figure the run does not have;
4. the About panel of a small tsunami event set cited a bootstrap 5-95 % range of the
   probable maximum displacement (PMD), though every ``pmd_T_p05`` / ``_p95`` of the run
   is blank: the engine leaves a percentile blank at a return period that some resample
   of the set does not span (:func:`mecc.risk.bootstrap_event_pmd`).

Runs: the training pack's modules 4 and 7 (Mareva, built with their maps), a run of two
tsunami event sets written here, and the slow-onset runs of
``tests/test_map_slow_onset.py`` (drought only, sea-level rise only, both).
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import yaml
from affine import Affine
from shapely.geometry import box

from mecc.map_data import Numbers, labels
from mecc.maps import build_map
from mecc.risk import STANDARD_RETURN_PERIODS
from tests.conftest import write_raster
from tests.test_maps import browser, screen_point, visit  # noqa: F401 (fixtures: Chromium, no network)

M4, M7 = "m4_displacement", "m7_risk_map"
ISTRA = "XMR0309"  # the handout's district (module 7, question 3)
MEMBERS = ("aad_member_median", "aad_member_min", "aad_member_max")
WORDS = {  # what the popups call each range, and the central value
    "en": {"central": "central", "range": "range {low} to {high} ({kind})",
           "curves": "curve variants", "damage": "damage-state curve variants",
           "members": "lowest and highest ensemble member"},
    "fr": {"central": "valeur centrale", "range": "fourchette de {low} à {high} ({kind})",
           "curves": "variantes de courbe", "damage": "variantes des courbes d'états de dommage",
           "members": "membre de l'ensemble le plus bas et le plus haut"},
}  # fmt: skip


# --------------------------------------------------------------------------- helpers


def _tables(run: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(run / name, encoding="utf-8-sig", dtype=str, keep_default_na=False)


def _number(values) -> np.ndarray:
    return pd.to_numeric(pd.Series(values), errors="coerce").to_numpy("float64")


def _popups(page: str, run: Path) -> dict:
    """``{hazard id: {zone code: popup HTML}}`` of a written map.html (its zone data)."""
    data = json.loads(re.search(r"var mecc_zones\w* = (\{\"zones\".*?\});\n", page).group(1))
    codes = [f["properties"]["code"] for f in data["zones"]["features"]]
    hazards = list(json.loads((run / "summary.json").read_text("utf-8"))["hazards"])
    return {
        hazard: dict(zip(codes, data["popups"][k], strict=True)) for k, hazard in enumerate(hazards)
    }


def _plain(markup: str) -> str:
    """Text of HTML, spaces of the markup collapsed (not a number's group separator)."""
    return html.unescape(re.sub(r"[ \t\n]+", " ", re.sub(r"<[^>]+>", " ", markup))).strip()


def _cells(popup: str) -> dict:
    """A popup's rows: label -> its cell as plain text."""
    found = re.findall(r'<th scope="row">(.*?)</th><td>(.*?)</td></tr>', popup)
    return {_plain(label): _plain(cell) for label, cell in found}


def _shown(number, lang, central, low, high, kind) -> str:
    """A figure as a popup gives it: central, then its range unless it is 0 to 0."""
    if low == high == 0:
        return number(central)
    words = WORDS[lang]
    span = words["range"].format(low=number(low), high=number(high), kind=words[kind])
    return f"{number(central)} ({words['central']}) {span}"


def _about(page: str) -> str:
    """The first paragraph of the About panel (plain text)."""
    return _plain(re.search(r"<summary>[^<]*</summary><p>(.*?)</p>", page).group(1))


def _hazard_item(page: str, hazard: str) -> str:
    """The About panel's item on one hazard's methods (plain text)."""
    start = page.index(f'<li data-hazard="{hazard}">')
    return _plain(page[start : page.index("</li>", start)].replace("<br>", " | "))


# ------------------------------------------------------- the training pack (m4, m7)


@pytest.fixture(scope="module")
def pack(tmp_path_factory) -> Path:
    """Modules 4 and 7 in English and French, with their interactive maps."""
    from training_modules.pack import build_pack

    out = tmp_path_factory.mktemp("ranges_s30") / "pack"
    build_pack(out, modules=[M4, M7], langs=["en", "fr"], interactive_maps=True)
    return out


def _map(pack: Path, module: str, lang: str) -> str:
    return (pack / lang / "participants" / module / "map.html").read_text("utf-8")


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_per_100k_row_gives_the_range_of_the_aad_over_the_same_people(pack, lang):
    """Every unit: the rate of the AAD, then the lowest to the highest of the AAD and its
    curve variants, each x 100,000 / the unit's population (zones.csv)."""
    run = pack / "runs" / M7
    zones = _tables(run, "zones.csv")
    zones = zones[(zones.hazard_id == "river_flood") & (zones.level == "2")]
    popups = _popups(_map(pack, M7, lang), run)["river_flood"]
    number = Numbers(labels(lang))
    label = labels(lang)["per_100k_year_grid"]  # Mareva's pack gives no official figure
    ranged = 0
    for code, aad, low, high, people in zip(
        zones.zone_code,
        *(_number(zones[c]) for c in ("aad", "aad_low", "aad_high", "population")),
        strict=True,
    ):
        rates = [v * 1e5 / people for v in (aad, low, high)]
        expected = _shown(number, lang, rates[0], min(rates), max(rates), "curves")
        assert _cells(popups[code])[label] == expected, code
        ranged += min(rates) < max(rates)
    assert ranged >= 3  # units with a real range, not only 0 to 0


def test_istra_rate_range_is_the_answer_keys(pack):
    """The handout's question 3 (the engine's answer key) and Istra's popup agree."""
    key = yaml.safe_load((pack / "en" / "facilitator" / M7 / "answer_key.yaml").read_text("utf-8"))
    q3 = key["questions"]["q3"]
    number = Numbers(labels("en"))
    cell = _cells(_popups(_map(pack, M7, "en"), pack / "runs" / M7)["river_flood"][ISTRA])
    low, high = q3["range"]
    assert cell["Per 100,000 residents per year (population grid)"] == (
        f"{number(q3['answer'])} (central) range {number(low)} to {number(high)} (curve variants)"
    )


def test_per_100k_row_of_an_event_set_gives_the_members_rates(pack):
    """Module 4's event set with two members: the rate's line gives the members' median,
    lowest and highest AAD over the unit's population, as the AAD's does in people."""
    run = pack / "runs" / M4
    zones = _tables(run, "zones.csv")
    zones = zones[(zones.hazard_id == "river_flood_years") & (zones.level == "2")]
    popups = _popups(_map(pack, M4, "en"), run)["river_flood_years"]
    number = Numbers(labels("en"))
    for _, row in zones.iterrows():
        people = float(row.population)
        rate = {k: float(row[k]) * 1e5 / people for k in ("aad", *MEMBERS)}
        expected = (
            f"{number(rate['aad'])} (central) ensemble members: median "
            f"{number(rate['aad_member_median'])}, {number(rate['aad_member_min'])} to "
            f"{number(rate['aad_member_max'])}"
        )
        assert _cells(popups[row.zone_code])[
            "Per 100,000 residents per year (population grid)"
        ] == (expected)


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("hazard", ["river_flood", "river_flood_years"])
def test_sendai_b1_row_gives_its_range_from_sendai_csv(pack, lang, hazard):
    """B-1 of each unit: sendai.csv's per_100k, then its ``low`` / ``high`` x 100,000 /
    ``population_denominator``, named by ``range_kind``: the ensemble members of the
    event set, the damage-state curves' variants of the return-period maps (whose
    summary.json ``damage_curve`` has low and high variants)."""
    run = pack / "runs" / M4
    sendai = _tables(run, "sendai.csv")
    rows = sendai[
        (sendai.indicator_code == "B-1")
        & (sendai.hazard_id == hazard)
        & (sendai.measure == "expected_annual")
        & (sendai.breakdown == "")
        & (sendai.admin_level == "2")
    ]
    assert len(rows) == 12
    summary = json.loads((run / "summary.json").read_text("utf-8"))["hazards"][hazard]
    assert {"damaged:low", "damaged:high"} <= set(summary["damage_curve"])
    popups = _popups(_map(pack, M4, lang), run)[hazard]
    number = Numbers(labels(lang))
    ranged = 0
    for _, row in rows.iterrows():
        people = float(row.population_denominator)
        value, low, high = (float(row[c]) for c in ("value_number", "low", "high"))
        members = row.range_kind.startswith("ensemble members")
        if not members:  # curve variants: the lowest to the highest, the central inside
            low, high = min(value, low, high), max(value, low, high)
        kind = "members" if members else "damage"
        expected = _shown(
            number, lang, float(row.per_100k), low * 1e5 / people, high * 1e5 / people, kind
        )
        (cell,) = [v for k, v in _cells(popups[row.admin_code]).items() if "B-1" in k]
        assert cell == expected, row.admin_code
        ranged += low < high
    assert ranged >= (3 if hazard == "river_flood_years" else 0)


def test_istra_popup_in_chromium_shows_the_rate_and_b1_ranges(pack, visit):  # noqa: F811
    """Istra's popup as Chromium shows it: the rate and B-1 each with a range."""
    run = pack / "runs" / M7
    shapes = gpd.read_file(run / "zones.gpkg", layer="admin2")
    point = shapes[shapes.zone_code == ISTRA].geometry.iloc[0].representative_point()
    v = visit(
        pack / "en" / "participants" / M7 / "map.html", viewport={"width": 1200, "height": 800}
    )
    xy = screen_point(v.page, point)
    v.page.mouse.click(*xy)
    popup = v.page.locator(".leaflet-popup-content")
    popup.wait_for()
    zones = _tables(run, "zones.csv")
    row = zones[(zones.zone_code == ISTRA) & (zones.hazard_id == "river_flood")].iloc[0]
    people = float(row.population)
    rates = [float(row[c]) * 1e5 / people for c in ("aad", "aad_low", "aad_high")]
    number = Numbers(labels("en"))
    shown = popup.locator(".mecc-range[data-figure='per_100k_low']").inner_text()
    assert shown == f"range {number(min(rates))} to {number(max(rates))} (curve variants)"
    assert popup.locator(".mecc-range[data-figure='sendai_b1_low']").count() == 1
    assert v.requests == [] and v.errors == []


# ----------------------------------------------------- slow onset: the About panel


@pytest.fixture(scope="module")
def slow_onset(tmp_path_factory) -> dict:
    """Runs of tests/test_map_slow_onset.py's inputs: drought, sea-level rise, both."""
    from tests.test_map_slow_onset import DROUGHT, SLR, _inputs, _run

    folder = tmp_path_factory.mktemp("about_s30")
    _inputs(folder)
    runs = {
        "drought": _run(folder, "drought", [DROUGHT]),
        "slr": _run(folder, "slr", [SLR]),
        "both": _run(folder, "both", [SLR, DROUGHT]),
    }
    return {
        (name, lang): build_map(run, folder / f"{name}_{lang}" / "map.html", lang=lang).read_text(
            "utf-8"
        )
        for name, run in runs.items()
        for lang in ("en", "fr", "es")
    }


RELOCATION = {"en": "planned relocation", "fr": "réinstallation", "es": "reubicación"}
DROUGHT_WORD = {"en": "drought", "fr": "sécheresse", "es": "sequía"}


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_about_text_names_only_the_figures_the_run_has(slow_onset, lang):
    summaries = {}
    for name in ("drought", "slr", "both"):
        about = _about(slow_onset[(name, lang)])
        summaries[name] = (RELOCATION[lang] in about, DROUGHT_WORD[lang] in about.casefold())
    assert summaries == {
        "drought": (False, True),
        "slr": (True, False),
        "both": (True, True),
    }


# ------------------------------------------------ event sets: the PMD's bootstrap


CELL = 0.01
TRANSFORM = Affine(CELL, 0, 40.0, 0, -CELL, -10.0)
SETS = {  # events a year of each event set; event k floods columns 0 to 2k+1 (2 m deep)
    "small": [0.05, 0.01, 0.002],  # some resample lacks the rarest or the commonest: none
    "some": [0.02] * 10 + [0.0025],  # resamples lacking the rare event end at 50 years
}


@pytest.fixture(scope="module")
def tsunami(tmp_path_factory) -> Path:
    """A run of two tsunami event sets on 20 x 20 cells of 100 people, two units."""
    folder = tmp_path_factory.mktemp("tsunami_s30")
    write_raster(folder / "pop.tif", np.full((20, 20), 100.0, "float32"), TRANSFORM, nodata=-1)
    hazards = []
    for name, frequencies in SETS.items():
        depth = np.zeros((len(frequencies), 20, 20), "float32")
        for k in range(len(frequencies)):
            depth[k, :, : 2 * k + 2] = 2.0
        write_raster(folder / f"{name}.tif", depth, TRANSFORM, nodata=-9999)
        table = "".join(f"{k + 1},{f}\n" for k, f in enumerate(frequencies))
        (folder / f"{name}.csv").write_text("band,frequency\n" + table, encoding="utf-8")
        hazards.append(
            {
                "id": name,
                "type": "tsunami",
                "intensity": f"{name}.tif",
                "events": f"{name}.csv",
                "curve": "tsunami_step_0.7m",
            }
        )
    units = [
        {"code": f"U{j}", "geometry": box(40 + 0.1 * j, -10.2, 40 + 0.1 * (j + 1), -10)}
        for j in range(2)
    ]
    gpd.GeoDataFrame(units, crs=4326).to_file(folder / "z.gpkg")
    spec = {
        "country": "MOZ",
        "population": {"path": "pop.tif", "kind": "count", "year": 2020},
        "zones": {"path": "z.gpkg", "code_field": "code", "level": 1},
        "hazards": hazards,
    }
    (folder / "run.yaml").write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    from mecc.run import run_country

    run_country(folder / "run.yaml", folder / "run", with_map=False)
    return folder / "run"


def _bootstrap_periods(run: Path, hazard: str) -> tuple[list[int], list[int]]:
    """From zones.csv: the return periods with a bootstrap range in some unit (both
    ends, not 0 to 0), and those with a central PMD in some unit."""
    zones = _tables(run, "zones.csv")
    zones = zones[(zones.hazard_id == hazard) & (zones.level == "1")]
    shown, defined = [], []
    for t in STANDARD_RETURN_PERIODS:
        low, high = _number(zones[f"pmd_{t}_p05"]), _number(zones[f"pmd_{t}_p95"])
        if (np.isfinite(low) & np.isfinite(high) & ((low != 0) | (high != 0))).any():
            shown.append(t)
        if np.isfinite(_number(zones[f"pmd_{t}"])).any():
            defined.append(t)
    return shown, defined


def test_the_tsunami_run_is_as_built(tsunami):
    """The small set: every percentile blank, nationally and in every unit (a PMD at 25
    years and more all the same); the other: a range at 10 to 50 years only, a PMD at
    every return period."""
    summary = json.loads((tsunami / "summary.json").read_text("utf-8"))["hazards"]
    small = summary["small"]["pmd_bootstrap"]
    assert all(v is None for end in ("p05", "p95") for v in small[end].values())
    assert _bootstrap_periods(tsunami, "small") == ([], [25, 50, 100, 250])
    assert _bootstrap_periods(tsunami, "some") == ([10, 25, 50], list(STANDARD_RETURN_PERIODS))


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_about_cites_a_pmd_bootstrap_range_only_where_the_popups_show_one(tsunami, lang):
    page = build_map(tsunami, tsunami.parent / f"map_{lang}" / "map.html", lang=lang).read_text(
        "utf-8"
    )
    words = labels(lang)
    cited = words["method_range_bootstrap"].split("{kind}")[0]  # "Range of the PMD: "
    small = _hazard_item(page, "small")
    assert cited not in small  # no range cited...
    kind = words["range_kind_bootstrap_events"].format(samples=500)
    assert words["method_range_bootstrap_none"].format(kind=kind) in small  # ...and why
    popups = _popups(page, tsunami)
    assert not any("pmd_10_p05" in p or "_p05" in p for p in popups["small"].values())
    some = _hazard_item(page, "some")
    shown, _ = _bootstrap_periods(tsunami, "some")
    periods = ", ".join(str(t) for t in shown)
    assert words["method_range_bootstrap_some"].format(kind=kind, periods=periods) in some
    # the popups show the range at those return periods, and only there
    given = {
        t
        for p in popups["some"].values()
        for t in STANDARD_RETURN_PERIODS
        if f'data-figure="pmd_{t}_p05"' in p
    }
    assert sorted(given) == shown
