"""The unit profiles' Sendai table shows each figure's range from sendai.csv.

A disaster-loss analyst found the demo's profile of XMR0205 showing "B-3 (river_flood, per
year) 316 | 274" where sendai.csv gives 180–477 (curve variants). Each figure of the table
is now its central value, then its range and what the range spans ("316 (range 180–477,
curve variants)"), the rate per 100,000 with the same range over the row's population
("274 (range 156–414)"); figures without a range (or not known) are shown as before. The
pages are parsed as HTML and compared, row by row, with sendai.csv.
"""

from __future__ import annotations

import shutil
from html.parser import HTMLParser

import pandas as pd
import pytest

from mecc.profile_text import ProfileText
from mecc.profiles import build_profiles

ZONE = "XMR0205"


class _SendaiTables(HTMLParser):
    """Per page (``data-zone``): the Sendai section's heading, column headings and rows;
    a row is a list of cells ``{"text", "attrs", "ranges": [(attrs, text)]}``."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.pages: dict = {}
        self.zone = None
        self.in_table = self.in_h2 = False
        self.h2 = ""
        self.cell = self.span = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section" and "data-zone" in attrs:
            self.zone = attrs["data-zone"]
            self.pages[self.zone] = {"heading": None, "head": [], "rows": []}
        elif tag == "h2":
            self.in_h2, self.h2 = True, ""
        elif tag == "table" and attrs.get("class") == "sendai":
            self.in_table = True
            self.pages[self.zone]["heading"] = self.h2
        elif self.in_table and tag == "tr":
            self.pages[self.zone]["rows"].append([])
        elif self.in_table and tag in ("td", "th"):
            self.cell = {"tag": tag, "text": "", "attrs": attrs, "ranges": []}
        elif self.cell is not None and tag == "span":
            self.span = [attrs, ""]

    def handle_endtag(self, tag):
        if tag == "h2":
            self.in_h2 = False
        elif tag == "table":
            self.in_table = False
        elif tag == "span" and self.span is not None:
            self.cell["ranges"].append(tuple(self.span))
            self.span = None
        elif tag in ("td", "th") and self.cell is not None:
            page = self.pages[self.zone]
            if self.cell["tag"] == "th":
                page["head"].append(self.cell["text"])
            else:
                page["rows"][-1].append(self.cell)
            self.cell = None

    def handle_data(self, data):
        if self.in_h2:
            self.h2 += data
        if self.cell is not None:
            self.cell["text"] += data
        if self.span is not None:
            self.span[1] += data


def _tables(document: str) -> dict:
    parser = _SendaiTables()
    parser.feed(document)
    return {zone: page for zone, page in parser.pages.items() if page["heading"]}


def _sendai_rows(run_dir) -> pd.DataFrame:
    """The rows a profile shows: everyone, expected annual or scenario, B-1/3/4/5."""
    table = pd.read_csv(
        run_dir / "sendai.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False
    )
    return table[
        (table["breakdown"] == "")
        & table["measure"].isin(["expected_annual", "scenario"])
        & table["indicator_code"].isin(["B-1", "B-3", "B-4", "B-5"])
        & table["unit"].str.startswith("people")
    ]


KIND = {
    "en": {"curve": "curve variants", "ensemble": "ensemble members", "word": "range"},
    "fr": {
        "curve": "variantes de courbe",
        "ensemble": "membres de l'ensemble",
        "word": "fourchette",
    },
    "es": {"curve": "variantes de curva", "ensemble": "miembros del conjunto", "word": "rango"},
}
PER_YEAR = {"en": "per year", "fr": "par an", "es": "por año"}


def _expected(row, lang) -> tuple[str, str]:
    """The People and Per 100,000 cells of a sendai.csv row, as the page shows them."""
    num = ProfileText(lang).number
    value, per = float(row["value_number"]), float(row["per_100k"])
    people, rate = num(value), num(per)
    if row["low"] and row["high"]:
        low, high, den = float(row["low"]), float(row["high"]), float(row["population_denominator"])
        kind = KIND[lang][row["range_kind"].split()[0]]
        word = KIND[lang]["word"]
        people += f" ({word} {num(low)}–{num(high)}, {kind})"
        rate += f" ({word} {num(low * 1e5 / den)}–{num(high * 1e5 / den)})"
    return people, rate


def _label(row, lang) -> str:
    if row["measure"] == "expected_annual":
        return f"{row['indicator_code']} ({row['hazard_id']}, {PER_YEAR[lang]})"
    return f"{row['indicator_code']} ({row['hazard_id']})"


def _check_pages(tables, rows, lang) -> int:
    """Every Sendai row of every page equals sendai.csv's; the number of ranges seen."""
    ranges = 0
    for zone, page in tables.items():
        mine = rows[rows["admin_code"] == zone]
        shown = {r[0]["text"]: r for r in page["rows"] if r}
        assert len(shown) == len(mine) > 0, zone
        for _, row in mine.iterrows():
            label, people, rate = shown[_label(row, lang)]
            assert (people["text"], rate["text"]) == _expected(row, lang), (zone, label["text"])
            if row["low"]:
                ranges += 1
                [(attrs, _)], [(per_attrs, _)] = people["ranges"], rate["ranges"]
                assert float(attrs["data-low"]) == pytest.approx(float(row["low"]), rel=1e-12)
                assert float(attrs["data-high"]) == pytest.approx(float(row["high"]), rel=1e-12)
                assert attrs["title"] and per_attrs["data-range"] == attrs["data-range"]
            else:
                assert people["ranges"] == rate["ranges"] == []
    return ranges


def test_demo_profile_of_xmr0205_shows_sendai_ranges(demo_folder):
    """The analyst's row, as the demo wrote it: the central value, its range and kind."""
    document = (demo_folder / "profiles" / "profiles.html").read_text(encoding="utf-8")
    page = _tables(document)[ZONE]
    assert page["heading"] == "Sendai Framework indicators (modelled)"
    assert page["head"] == ["Indicator", "People", "Per 100,000"]
    shown = {r[0]["text"]: (r[1]["text"], r[2]["text"]) for r in page["rows"] if r}
    assert shown["B-3 (river_flood, per year)"] == (
        "316 (range 180–477, curve variants)",
        "274 (range 156–414)",
    )
    assert shown["B-5 (river_flood_years, per year)"] == (
        "342 (range 170–514, ensemble members)",
        "297 (range 147–446)",
    )
    # no range in sendai.csv: shown as before
    assert shown["B-5 (river_flood, per year)"] == ("205", "178")
    assert shown["B-1 (cyclone_wind)"] == ("32,813", "28,458")
    rows = _sendai_rows(demo_folder / "run")
    assert _check_pages(_tables(document), rows, "en") > 50


@pytest.mark.parametrize("lang", ["fr", "es"])
def test_sendai_ranges_in_french_and_spanish(demo_folder, lang):
    document = build_profiles(demo_folder / "run", lang=lang, levels=[2])
    tables = _tables(document)
    rows = _sendai_rows(demo_folder / "run")
    assert _check_pages(tables, rows, lang) > 20
    page = tables[ZONE]
    heading = {"fr": "Indicateurs du Cadre de Sendai (modélisés)"}
    heading["es"] = "Indicadores del Marco de Sendai (modelados)"
    assert page["heading"] == heading[lang]
    head = {"fr": ["Indicateur", "Personnes", "Pour 100 000"]}
    head["es"] = ["Indicador", "Personas", "Por 100 000"]
    assert page["head"] == head[lang]
    b3 = {r[0]["text"]: r for r in page["rows"] if r}[f"B-3 (river_flood, {PER_YEAR[lang]})"]
    word, kind = KIND[lang]["word"], KIND[lang]["curve"]
    assert b3[1]["text"] == f"316 ({word} 180–477, {kind})"
    assert b3[2]["text"] == f"274 ({word} 156–414)"
    words = " ".join(
        c["text"] + "".join(a.get("title", "") for a, _ in c["ranges"])
        for page in tables.values()
        for row in page["rows"]
        for c in row
    )
    for english in ("range", "curve variants", "ensemble members", "per year", "lowest"):
        assert english not in words, english


def test_blank_ranges_and_unknown_figures_stay_as_they_are(demo_folder, tmp_path):
    """A row whose low/high are blank shows no range; a figure not known shows the
    "not defined" mark and no range, even where low/high are given; a spreadsheet's
    ``;`` and decimal commas give the same ranges."""
    run = shutil.copytree(demo_folder / "run", tmp_path / "run")
    table = pd.read_csv(run / "sendai.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    mine = (table["admin_code"] == ZONE) & (table["breakdown"] == "")
    mine &= table["measure"] == "expected_annual"
    b3 = mine & (table["indicator_code"] == "B-3") & (table["hazard_id"] == "river_flood")
    b4 = mine & (table["indicator_code"] == "B-4") & (table["hazard_id"] == "river_flood")
    assert b3.sum() == b4.sum() == 1
    table.loc[b3, ["low", "high", "range_kind"]] = ""
    table.loc[b4, "value_number"] = ""
    table.loc[b4, "per_100k"] = ""
    resaved = table.copy()
    for column in ("value_number", "per_100k", "low", "high", "population_denominator"):
        resaved[column] = resaved[column].str.replace(".", ",", regex=False)
    resaved.to_csv(run / "sendai.csv", sep=";", index=False, encoding="utf-8-sig")
    page = _tables(build_profiles(run, zones=[ZONE]))[ZONE]
    shown = {r[0]["text"]: r for r in page["rows"] if r}
    row = shown["B-3 (river_flood, per year)"]
    assert (row[1]["text"], row[2]["text"]) == ("316", "274")
    assert row[1]["ranges"] == row[2]["ranges"] == []
    row = shown["B-4 (river_flood, per year)"]
    mark = ProfileText("en").w("not_defined")
    assert (row[1]["text"], row[2]["text"]) == (mark, mark)
    assert row[1]["ranges"] == row[2]["ranges"] == []
    # the other rows keep their ranges, read from the resaved file
    assert shown["B-3 (river_flood_years, per year)"][1]["text"] == (
        "561 (range 244–771, curve variants)"
    )


def test_a_profile_shows_deaths_where_the_run_models_them(tmp_path):
    """A-2 (deaths, where the run has a fatality model) is in sendai.csv and on the page,
    its value the table's (the earthquake analyst found it missing from profiles)."""
    import numpy as np

    from mecc.run import run_country
    from tests._run_inputs import basic_case, write_run
    from tests.conftest import write_raster

    data = basic_case(tmp_path / "case")
    write_raster(tmp_path / "case" / "mmi.tif", np.array([[5.0, 6.0, 7.0, 8.0]] * 4))
    data["hazards"] = [
        {
            "id": "eq",
            "type": "earthquake",
            "intensity": "mmi.tif",
            "scenario": "test earthquake",
            "curve": {
                "survivors_step": {
                    "threshold": 5.5,
                    "fatality": {"model": "lognormal", "theta": 11, "beta": 0.2},
                }
            },
        }
    ]
    run = tmp_path / "run"
    run_country(write_run(tmp_path / "case", data), run, with_map=False)
    table = pd.read_csv(run / "sendai.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    deaths = table[
        (table["indicator_code"] == "A-2")
        & (table["breakdown"] == "")
        & (table["admin_code"] == "B")
        & table["unit"].str.startswith("people")
    ]
    assert len(deaths) == 1, table["indicator_code"].unique()
    page = _tables(build_profiles(run, zones=["B"]))["B"]
    shown = {r[0]["text"]: r for r in page["rows"] if r}
    people = shown["A-2 (eq)"][1]["text"]
    value = float(deaths["value_number"].iloc[0])
    assert value > 0 and people.startswith(ProfileText("en").number(value))
