"""Answer keys and no-install tables give the engine's range beside the central value.

Where a method has variants (curve variants), members or a sampling interval (the
bootstrap of simulated years), the key gives ``range`` and ``range_kind`` and the
no-install tables the low and high figures, in every language. Each range here is read
independently from the pack's own run outputs (futures.csv, zones.csv, bands.csv,
summary.json) with pandas, never from the key code. Ranges are shown, not graded: the
central answer still earns the points and a range end is still wrong.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

LANGS = ("en", "fr", "es")
MODULES = ("m3_exposure", "m4_displacement", "m7_risk_map", "m8_policy_tabletop")
CURVE = {  # each language's words for a range over curve variants (common.yaml)
    "en": "curve variants",
    "fr": "variantes de la courbe",
    "es": "variantes de la curva",
}


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    """The four modules with ranges added, every language, variant 0, no map.html."""
    from training_modules.pack import build_pack

    out = tmp_path_factory.mktemp("key_ranges") / "pack"
    return build_pack(out, modules=list(MODULES), interactive_maps=False).out_dir


def key(pack: Path, module: str, lang: str) -> dict:
    path = pack / lang / "facilitator" / module / "answer_key.yaml"
    return yaml.safe_load(path.read_text("utf-8"))


def run_csv(pack: Path, module: str, name: str) -> pd.DataFrame:
    return pd.read_csv(
        pack / "runs" / module / name, encoding="utf-8-sig", dtype={"zone_code": str}
    )


def table_text(pack: Path, module: str, table: str, lang: str = "en") -> str:
    page = (pack / lang / "participants" / module / "handout.html").read_text("utf-8")
    found = re.search(rf'<table data-table="{table}".*?</table>', page, re.S)
    assert found, f"{module}: no table {table}"
    return found.group(0)


def row_cells(table: str, name: str) -> list[str]:
    """The cells of the table row whose first cell starts with ``name``."""
    for row in re.findall(r"<tr>(.*?)</tr>", table, re.S):
        cells = [html.unescape(c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        if cells and cells[0].startswith(name):
            return cells
    raise AssertionError(f"no row {name!r}")


def heads(table: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r"<th[^>]*>(.*?)</th>", table)]


def en(value: float) -> str:
    """A whole number as the English handouts print it (1,613)."""
    return f"{round(value):,}"


# --- the keys --------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_m8_changes_carry_the_range_of_futures_csv_low_and_high_variants(pack, lang):
    table = run_csv(pack, "m8_policy_tabletop", "futures.csv")
    flood = table[table["hazard_id"] == "river_flood"]
    nation = flood[(flood["future_id"] == "ssp245_2050") & (flood["zone_code"] == "XMR")]
    vale = flood[(flood["future_id"] == "ssp585_2050") & (flood["zone_code"] == "XMR02")]
    the_key = key(pack, "m8_policy_tabletop", lang)["questions"]
    for qid, row in (("q4", nation), ("q6", vale)):
        assert len(row) == 1
        low = row["future_low"].item() - row["baseline_low"].item()
        high = row["future_high"].item() - row["baseline_high"].item()
        entry = the_key[qid]
        assert entry["answer"] == pytest.approx(row["change"].item(), rel=1e-9)
        assert entry["range"] == pytest.approx([min(low, high), max(low, high)], rel=1e-9)
        assert CURVE[lang] in entry["range_kind"]
    # the probe's figures: 4,463 to 11,986 nationally, 120 to 487 in Vale
    assert [round(v) for v in the_key["q4"]["range"]] == [4463, 11986]
    assert [round(v) for v in the_key["q6"]["range"]] == [120, 487]


@pytest.mark.parametrize("lang", LANGS)
def test_m7_district_aad_and_rate_carry_the_popups_range(pack, lang):
    zones = run_csv(pack, "m7_risk_map", "zones.csv")
    districts = zones[(zones["level"] == 2) & (zones["hazard_id"] == "river_flood")]
    # zone X: the second district by AAD (ties by code), as the module defines it
    ranked = districts.sort_values(["aad", "zone_code"], ascending=[False, True])
    zone = ranked.iloc[1]
    the_key = key(pack, "m7_risk_map", lang)["questions"]
    assert the_key["q2"]["answer"] == pytest.approx(zone["aad"], rel=1e-9)
    assert the_key["q2"]["range"] == pytest.approx([zone["aad_low"], zone["aad_high"]], rel=1e-9)
    rate = [zone[c] * 1e5 / zone["population"] for c in ("aad_low", "aad_high")]
    assert the_key["q3"]["range"] == pytest.approx(rate, rel=1e-9)
    assert the_key["q3"]["answer"] == pytest.approx(zone["aad"] * 1e5 / zone["population"])
    for qid in ("q2", "q3"):
        assert CURVE[lang] in the_key[qid]["range_kind"]
    assert [round(v) for v in the_key["q2"]["range"]] == [438, 1613]  # the probe's Istra


@pytest.mark.parametrize("lang", LANGS)
def test_m3_displaced_share_carries_the_bands_low_and_high(pack, lang):
    the_key = key(pack, "m3_exposure", lang)
    period = the_key["knobs"]["return_period"]
    bands = run_csv(pack, "m3_exposure", "bands.csv")
    band = bands[(bands["hazard_id"] == "river_flood") & (bands["band"] == f"rp{period}")]
    exposed = band["exposed"].item()
    expected = [100 * band[c].item() / exposed for c in ("displaced_low", "displaced_high")]
    entry = the_key["questions"]["q6"]
    assert entry["answer"] == pytest.approx(100 * band["displaced"].item() / exposed)
    assert entry["range"] == pytest.approx(expected, rel=1e-9)
    assert CURVE[lang] in entry["range_kind"]


@pytest.mark.parametrize("lang", LANGS)
def test_m4_simulated_years_carry_the_bootstrap_interval_not_curve_variants(pack, lang):
    summary = json.loads((pack / "runs" / "m4_displacement" / "summary.json").read_text())
    years = summary["hazards"]["river_flood_years"]
    entry = key(pack, "m4_displacement", lang)["questions"]["q4"]
    assert entry["answer"] == pytest.approx(years["pmd"]["25"], rel=1e-9)
    interval = [years["pmd_bootstrap"]["p05"]["25"], years["pmd_bootstrap"]["p95"]["25"]]
    assert entry["range"] == pytest.approx(interval, rel=1e-9)
    assert "5–95" in entry["range_kind"] and "bootstrap" in entry["range_kind"]
    assert CURVE[lang] in entry["range_kind"]  # it says it is NOT the curve variants
    assert (
        entry["range_kind"] != key(pack, "m4_displacement", lang)["questions"]["q1"]["range_kind"]
    )


def test_m4_national_rate_carries_the_curve_range(pack):
    summary = json.loads((pack / "runs" / "m4_displacement" / "summary.json").read_text())
    flood, people = summary["hazards"]["river_flood"], summary["population_total"]
    entry = key(pack, "m4_displacement", "en")["questions"]["q6"]
    expected = [flood[c] * 1e5 / people for c in ("aad_low", "aad_high")]
    assert entry["range"] == pytest.approx(expected, rel=1e-9)


def test_the_guide_prints_each_range_with_its_kind(pack):
    guide = (pack / "fr" / "facilitator" / "m4_displacement" / "guide.html").read_text("utf-8")
    row = html.unescape(re.search(r'<tr data-question="q4">.*?</tr>', guide, re.S).group(0))
    summary = json.loads((pack / "runs" / "m4_displacement" / "summary.json").read_text())
    interval = summary["hazards"]["river_flood_years"]["pmd_bootstrap"]
    group = key(pack, "m4_displacement", "fr")["number_format"]["group"]
    for end in ("p05", "p95"):
        assert f"{round(interval[end]['25']):,}".replace(",", group) in row
    assert "intervalle 5–95 % d'un bootstrap" in row


# --- grading: the range is shown, not graded ------------------------------------------------


@pytest.mark.parametrize(
    ("module", "qid"),
    [
        ("m8_policy_tabletop", "q4"),
        ("m8_policy_tabletop", "q6"),
        ("m7_risk_map", "q2"),
        ("m3_exposure", "q6"),
        ("m4_displacement", "q4"),
    ],
)
def test_the_central_answer_still_earns_the_points_and_a_range_end_does_not(pack, module, qid):
    from training_modules.grading import grade

    the_key = key(pack, module, "en")
    entry = the_key["questions"][qid]
    right = grade({"answers": {qid: entry["answer"]}}, the_key)
    assert next(r for r in right.questions if r["id"] == qid)["points"] == entry["points"]
    for end in entry["range"]:
        wrong = grade({"answers": {qid: end}}, the_key)
        assert next(r for r in wrong.questions if r["id"] == qid)["points"] == 0


# --- the no-install tables -----------------------------------------------------------------


def test_m7_popup_table_shows_each_districts_range(pack):
    zones = run_csv(pack, "m7_risk_map", "zones.csv")
    istra = zones[(zones["zone_name"] == "Istra (fictional)") & (zones["level"] == 2)].iloc[0]
    table = table_text(pack, "m7_risk_map", "districts")
    names = heads(table)
    cells = row_cells(table, "Istra")
    assert cells[names.index("AAD, low variant")] == en(istra["aad_low"]) == "438"
    assert cells[names.index("AAD, high variant")] == en(istra["aad_high"]) == "1,613"
    assert cells[names.index("Average annual displacement")] == en(istra["aad"])


def test_m8_futures_tables_show_the_change_range(pack):
    table = run_csv(pack, "m8_policy_tabletop", "futures.csv")
    flood = table[table["hazard_id"] == "river_flood"]
    for exhibit, future, code, first in (
        ("futures", "ssp245_2050", "XMR", "SSP2-4.5"),
        ("provinces", "ssp585_2050", "XMR02", "Vale"),
    ):
        row = flood[(flood["future_id"] == future) & (flood["zone_code"] == code)].iloc[0]
        shown = table_text(pack, "m8_policy_tabletop", exhibit)
        names, cells = heads(shown), row_cells(shown, first)
        low = row["future_low"] - row["baseline_low"]
        high = row["future_high"] - row["baseline_high"]
        assert cells[names.index("Change")] == en(row["change"])
        assert cells[names.index("Change, low variant")] == en(low)
        assert cells[names.index("Change, high variant")] == en(high)
    fr = heads(table_text(pack, "m8_policy_tabletop", "provinces", "fr"))
    assert "Variation, variante basse" in fr and "Variation, variante haute" in fr


def test_m4_simulated_years_table_shows_the_bootstrap_interval(pack):
    summary = json.loads((pack / "runs" / "m4_displacement" / "summary.json").read_text())
    interval = summary["hazards"]["river_flood_years"]["pmd_bootstrap"]
    shown = table_text(pack, "m4_displacement", "events")
    names, cells = heads(shown), row_cells(shown, "River flood")
    assert cells[names.index("Displacement, 25-year, bootstrap 5 %")] == en(interval["p05"]["25"])
    assert cells[names.index("Displacement, 25-year, bootstrap 95 %")] == en(interval["p95"]["25"])


# --- a curve without variants: no range to show ----------------------------------------------


def test_a_variant_whose_curve_has_no_variants_has_no_range_and_still_builds(tmp_path):
    from training_modules.pack import build_pack

    out = build_pack(
        tmp_path / "pack", modules=["m7"], langs=["en"], variant=1, interactive_maps=False
    ).out_dir
    zones = run_csv(out, "m7_risk_map", "zones.csv")
    assert "aad_low" not in zones.columns  # flood_step_0.5m: one curve, no low / high
    the_key = key(out, "m7_risk_map", "en")
    assert the_key["knobs"]["curve"] == "flood_step_0.5m"
    assert "range" not in the_key["questions"]["q2"] and "range" not in the_key["questions"]["q3"]
    assert "AAD, low variant" not in heads(table_text(out, "m7_risk_map", "districts"))
