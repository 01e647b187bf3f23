"""Documents for officials: minimum needs, district risk profiles (HTML, A4 PDF), and the
QGIS style embedded in zones.gpkg.

The small run here has two zones on a 4 x 4 grid (tests/_run_inputs.py) with population
x 100 and a return-period flood set (10 and 100 years) plus a scenario, so every figure
can be worked out by hand: in the 100-year map the depth is 0, 0.5, 1, 2 m by column,
so with the 1 m step zone B (columns 2-3) loses everyone, 76,000 people; the 1.5 m step
(low variant) only column 3, 40,000 people; the 0.5 m step (high) all of zone B again.
"""

from __future__ import annotations

import html
import json
import re
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mecc.errors import ConfigError, DataError, InputFileError
from mecc.map_data import read_table
from mecc.needs import load_needs_profile, write_needs
from mecc.profile_text import round_people
from mecc.profiles import build_profiles, find_chromium, write_profiles
from tests._run_inputs import DEPTH, POP, basic_case, snapshot, write_run
from tests.conftest import in_ci, write_raster
from tests.test_maps import CHROMIUM, browser  # noqa: F401 - the shared Chromium fixture

PEOPLE = POP * 100
B_100 = PEOPLE[:, 2:].sum()  # 76,000: zone B in the 100-year map (depth >= 1 m everywhere)
B_100_LOW = PEOPLE[:, 3].sum()  # 40,000: only the 2 m column reaches the 1.5 m step
SCENARIO_B = PEOPLE[:, 2:].sum()  # the scenario grid is the 100-year depth


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    from mecc.run import run_country

    base = tmp_path_factory.mktemp("documents")
    inputs = base / "inputs"
    data = basic_case(inputs)
    write_raster(inputs / "pop.tif", PEOPLE)
    write_raster(inputs / "surge.tif", DEPTH)
    data["hazards"].append(
        {
            "id": "surge",
            "type": "coastal_flood",
            "intensity": "surge.tif",
            "scenario": "Cyclone Alpha <b>surge</b>",
            "curve": "flood_step_1m",
        }
    )
    run_country(write_run(inputs, data), base / "run")
    return base / "run"


def test_hand_figures_match_the_run(run_dir):
    """The hand-worked figures of the module docstring are those of zones.csv."""
    zones = read_table(run_dir / "zones.csv").set_index(["zone_code", "hazard_id"])
    assert zones.loc[("B", "rf"), "pmd_100"] == pytest.approx(B_100)
    assert zones.loc[("B", "rf"), "pmd_100_low"] == pytest.approx(B_100_LOW)
    assert zones.loc[("B", "surge"), "displaced"] == pytest.approx(SCENARIO_B)


# ----------------------------------------------------------------- minimum needs


def test_needs_are_displaced_times_the_profile_quantities(run_dir, tmp_path):
    before = snapshot(run_dir)
    out = write_needs(run_dir, tmp_path / "needs", household_size=4)
    assert snapshot(run_dir) == before  # the run folder is only read
    needs = pd.read_csv(out / "needs.csv", encoding="utf-8-sig")
    rows = needs[(needs["zone_code"] == "B") & (needs["hazard_id"] == "rf")].set_index("need_id")
    # by hand, Sphere 2018: 15 litres, 2,100 kcal, 3.5 m2, 1 toilet per 20, one kit per household
    assert rows.loc["water", "amount"] == pytest.approx(76_000 * 15)
    assert rows.loc["food_energy", "amount"] == pytest.approx(76_000 * 2_100)
    assert rows.loc["shelter_area", "amount"] == pytest.approx(76_000 * 3.5)
    assert rows.loc["toilets", "amount"] == pytest.approx(3_800)
    assert rows.loc["family_kits", "amount"] == pytest.approx(76_000 / 4)
    assert rows.loc["water", "amount_low"] == pytest.approx(40_000 * 15)
    assert rows.loc["water", "basis"] == "pmd_100"
    surge = needs[(needs["zone_code"] == "B") & (needs["hazard_id"] == "surge")]
    assert surge.set_index("need_id").loc["water", "amount"] == pytest.approx(76_000 * 15)
    assert (out / "needs_profile.json").is_file()
    assert (out / "needs.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_needs_take_the_runs_household_size_when_none_is_given(tmp_path):
    """The run sets 4 people a household in A and 5 in B (4 x 4 grid, A = columns 0-1):
    family kits use each unit's own size (as Sendai B-3a does), the run's mean only where a
    unit has none, not the profile's five; --household-size wins."""
    import json

    from mecc.run import run_country

    inputs = tmp_path / "inputs"
    data = basic_case(inputs)
    write_raster(inputs / "pop.tif", PEOPLE)
    (inputs / "hh.csv").write_text("code,size\nA,4\nB,5\n", encoding="utf-8")
    data["population"]["household_size"] = {
        "path": "hh.csv",
        "code_column": "code",
        "value_column": "size",
    }
    run_country(write_run(inputs, data), tmp_path / "run", with_map=False)
    people_a, people_b = PEOPLE[:, :2].sum(), PEOPLE[:, 2:].sum()
    mean = (people_a + people_b) / (people_a / 4 + people_b / 5)
    out = write_needs(tmp_path / "run", tmp_path / "needs")
    needs = pd.read_csv(out / "needs.csv", encoding="utf-8-sig")
    kits = needs[(needs["need_id"] == "family_kits") & (needs["hazard_id"] == "rf")]
    kits = kits.set_index("zone_code")
    assert kits.loc["B", "amount"] == pytest.approx(kits.loc["B", "displaced"] / 5)
    assert kits.loc["A", "amount"] == pytest.approx(kits.loc["A", "displaced"] / 4)
    assert kits.loc["B", "displaced"] > 0 and mean == pytest.approx(4.5, abs=0.5)
    about = json.loads((out / "needs_profile.json").read_text(encoding="utf-8"))
    assert about["household_size"] == pytest.approx(mean)
    assert about["household_size_source"].startswith("each zone's own household size")
    given = write_needs(tmp_path / "run", tmp_path / "given", household_size=6)
    kits = pd.read_csv(given / "needs.csv", encoding="utf-8-sig")
    row = kits[(kits["need_id"] == "family_kits") & (kits["hazard_id"] == "rf")]
    row = row.set_index("zone_code").loc["B"]
    assert row["amount"] == pytest.approx(row["displaced"] / 6)


def test_national_profile_and_return_period(run_dir, tmp_path):
    out = write_needs(
        run_dir, tmp_path / "n", profile="bnpb_indonesia", return_period=10, hazard_id="rf"
    )
    needs = pd.read_csv(out / "needs.csv", encoding="utf-8-sig")
    b = needs[needs["zone_code"] == "B"].set_index("need_id")
    # the 10-year map is half the depth: only column 3 (1 m) of zone B reaches the 1 m step
    assert b.loc["rice", "displaced"] == pytest.approx(PEOPLE[:, 3].sum())
    assert b.loc["rice", "amount"] == pytest.approx(PEOPLE[:, 3].sum() * 2.8)
    assert b.loc["family_kits", "amount"] == pytest.approx(PEOPLE[:, 3].sum() * 0.2)
    assert set(needs["hazard_id"]) == {"rf"}


def test_shelter_gap_against_capacity(run_dir, tmp_path):
    capacity = tmp_path / "capacity.csv"
    capacity.write_text('zone_code,capacity\nA,100\nB,"50,000"\n', encoding="utf-8")
    out = write_needs(run_dir, tmp_path / "gap", capacity=capacity, hazard_id="rf")
    gap = pd.read_csv(out / "shelter_gap.csv", encoding="utf-8-sig").set_index("zone_code")
    assert gap.loc["B", "gap"] == pytest.approx(76_000 - 50_000)
    assert gap.loc["B", "gap_low"] == pytest.approx(0.0)  # 40,000 fit in 50,000 places
    assert gap.loc["B", "shelter_area_gap"] == pytest.approx(26_000 * 3.5)
    assert gap.loc["A", "gap"] == 0.0


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"profile": "nowhere"}, ConfigError, "not found"),
        ({"household_size": 0}, ConfigError, "household size"),
        ({"hazard_id": "quake"}, ConfigError, "not in this run"),
        ({"return_period": 1000}, ConfigError, "25, 50, 100, 250 years; choose one of them"),
        ({"return_period": 30}, ConfigError, "--return-period 30: a run's tables hold"),
        ({"return_period": -5}, ConfigError, "--return-period -5: "),
        ({"household_size": float("inf")}, ConfigError, "household size must be a number > 0"),
        ({"household_size": float("nan")}, ConfigError, "household size must be a number > 0"),
    ],
)
def test_needs_bad_options_write_nothing(run_dir, tmp_path, options, error, message):
    if options.get("return_period"):
        options["hazard_id"] = "rf"
    with pytest.raises(error, match=message):
        write_needs(run_dir, tmp_path / "out", **options)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("content", "error", "message"),
    [
        (b"id: x\nneeds: [1,\n", ConfigError, r"YAML syntax error at line 3, column 1: "),
        ("id: S\u00e3o\n".encode("latin-1"), InputFileError, "is not UTF-8 text; save it as UTF-8"),
    ],
    ids=["yaml syntax", "latin-1"],
)
def test_needs_profile_file_that_cannot_be_read(run_dir, tmp_path, content, error, message):
    profile = tmp_path / "mine.yaml"
    profile.write_bytes(content)
    with pytest.raises(error, match=message) as raised:
        write_needs(run_dir, tmp_path / "out", profile=str(profile))
    assert "\n" not in str(raised.value) and str(raised.value).startswith(str(profile))
    assert not (tmp_path / "out").exists()


def test_needs_profile_with_an_infinite_quantity(run_dir, tmp_path):
    profile = tmp_path / "mine.yaml"
    profile.write_text(
        "id: mine\nsource: test\nneeds:\n  - {id: water, quantity: .inf, unit: l, "
        "per: person, period: day, source: test}\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError, match=r"needs\[0\]\.quantity must be a number > 0"):
        write_needs(run_dir, tmp_path / "out", profile=str(profile))
    assert not (tmp_path / "out").exists()


def test_needs_capacity_for_an_unknown_zone(run_dir, tmp_path):
    capacity = tmp_path / "capacity.csv"
    capacity.write_text("zone_code,capacity\nZ,100\n", encoding="utf-8")
    with pytest.raises(DataError, match="'Z' is not a zone"):
        write_needs(run_dir, tmp_path / "out", capacity=capacity)
    assert not (tmp_path / "out").exists()


def test_needs_refuses_to_write_into_the_run_folder(run_dir):
    with pytest.raises(ConfigError, match="outside the run folder"):
        write_needs(run_dir, run_dir / "needs")


def test_needs_levels_are_whole_numbers_as_in_zones_csv(run_dir, tmp_path):
    import csv

    capacity = tmp_path / "capacity.csv"
    capacity.write_text("zone_code,capacity\nA,100\nB,200\n", encoding="utf-8")
    out = write_needs(run_dir, tmp_path / "needs", capacity=capacity)

    def levels(path):
        with open(path, encoding="utf-8-sig", newline="") as handle:
            return {row["level"] for row in csv.DictReader(handle)}

    assert levels(run_dir / "zones.csv") - {""} == {"1"}
    assert levels(out / "needs.csv") == levels(out / "shelter_gap.csv") == {"1"}  # not 1.0


def test_blank_needs_say_why(run_dir, tmp_path):
    """A zone without the figure at the return period (an event set too short for it)
    gets blank amounts with a note, and a warning, instead of blanks without a word."""
    import shutil

    from mecc.errors import MeccWarning

    copy = shutil.copytree(run_dir, tmp_path / "run")
    zones = pd.read_csv(copy / "zones.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    rows = (zones["zone_code"] == "B") & (zones["hazard_id"] == "rf")
    zones.loc[rows, ["pmd_100", "pmd_100_low", "pmd_100_high"]] = ""
    zones.to_csv(copy / "zones.csv", index=False, encoding="utf-8-sig")
    summary = json.loads((copy / "summary.json").read_text(encoding="utf-8"))
    reason = "undefined: longer than the return periods this event set supports (1 to 40 years)"
    summary["hazards"]["rf"]["pmd_notes"] = {"100": reason}
    (copy / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    with pytest.warns(MeccWarning, match="needs.csv: rf: 1 zone\\(s\\) have blank amounts"):
        out = write_needs(copy, tmp_path / "needs", hazard_id="rf")
    needs = pd.read_csv(out / "needs.csv", encoding="utf-8-sig", keep_default_na=False)
    blank = needs[needs["zone_code"] == "B"]
    assert (blank["amount"] == "").all() and set(blank["note"]) == {f"no pmd_100: {reason}"}
    assert set(needs.loc[needs["zone_code"] == "A", "note"]) == {""}
    notes = json.loads((out / "needs_profile.json").read_text(encoding="utf-8"))["notes"]
    assert len(notes) == 1 and reason in notes[0]


def test_mecc_needs_prints_its_warnings_as_lines(demo_folder, cli, tmp_path):
    """The demo's 40-year event set has no 1-in-100-year figure: one 'warning:' line."""
    result = cli("needs", demo_folder / "run", "--out", tmp_path / "needs")
    assert result.exit_code == 0, result.output
    lines = result.stderr.strip().splitlines()
    assert lines and all(line.startswith("warning: needs.csv: ") for line in lines), lines
    assert any("river_flood_years" in line for line in lines)
    assert "MeccWarning" not in result.stderr


def test_needs_errors_name_the_real_cause(run_dir, tmp_path):
    with pytest.raises(ConfigError, match="^--household-size: household size must be") as raised:
        write_needs(run_dir, tmp_path / "out", household_size=0)
    assert "sphere" not in str(raised.value)  # the option, not the built-in profile
    table = tmp_path / "prof.csv"
    table.write_text("a,b\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="a needs profile is a YAML file") as raised:
        write_needs(run_dir, tmp_path / "out", profile=str(table))
    assert "not found" not in str(raised.value) and "ends in .csv" in str(raised.value)
    with pytest.raises(ConfigError, match="'nowhere.yaml': file not found"):
        write_needs(run_dir, tmp_path / "out", profile="nowhere.yaml")
    assert not (tmp_path / "out").exists()


def test_every_needs_profile_cites_its_sources():
    for name in ("sphere", "bnpb_indonesia"):
        profile = load_needs_profile(name)
        assert profile["source"] and all(n["source"] for n in profile["needs"])


# ------------------------------------------------------------------- profiles

SENTENCES = {
    "en": "If the 1-in-100-year river flood happens, about 76,000 people (range 40,000–76,000) "
    "in Zone B may lose their homes.",
    "fr": "Si la crue fluviale de période de retour 100 ans se produit, environ 76\u202f000 "
    "personnes (fourchette 40\u202f000–76\u202f000) de Zone B pourraient perdre leur logement.",
    "es": "Si ocurre la inundación fluvial de 1 en 100 años, unas 76\u00a0000 personas "
    "(rango 40\u00a0000–76\u00a0000) en Zone B podrían perder su vivienda.",
}


def _pages(document: str) -> dict:
    return {
        m.group(1): m.group(0)
        for m in re.finditer(r'<section class="page" data-zone="([^"]+)".*?</section>', document)
    }


def _text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_plain_language_sentence_in_three_languages(run_dir, lang):
    page = _pages(build_profiles(run_dir, lang=lang))["B"]
    sentence = re.search(r'<p class="sentence" data-hazard="rf".*?</p>', page).group(0)
    assert _text(sentence) == SENTENCES[lang]


def test_scenario_sentence_and_escaped_names(run_dir):
    page = _pages(build_profiles(run_dir))["B"]
    sentence = re.search(r'<p class="sentence" data-hazard="surge".*?</p>', page).group(0)
    assert "<b>" not in sentence  # the scenario name is text, not markup
    assert _text(sentence) == (
        "If the scenario “Cyclone Alpha <b>surge</b>” happens, about 76,000 people "
        "(range 40,000–76,000) in Zone B may lose their homes."
    )
    zone_a = _pages(build_profiles(run_dir))["A"]
    assert "the model expects almost no one in Zone A" in _text(zone_a)


def test_profile_numbers_equal_zones_csv(run_dir):
    from mecc.map_data import Numbers
    from mecc.profile_text import ProfileText

    zones = read_table(run_dir / "zones.csv").set_index(["zone_code", "hazard_id"])
    number = Numbers(ProfileText("en").words)
    pages = _pages(build_profiles(run_dir))
    assert set(pages) == {"A", "B"}  # one page per unit, no page for __outside__
    checked = 0
    for code, page in pages.items():
        for match in re.finditer(
            r'<td data-hazard="([^"]+)" data-figure="([^"]+)" data-value="([^"]+)">([^<]*)', page
        ):
            hazard, figure, value, shown = match.groups()
            expected = zones.loc[(code, hazard), figure]
            if np.isfinite(expected):
                assert float(value) == expected
                assert html.unescape(shown) == number(expected)
            else:
                assert html.unescape(shown) == "–"
            checked += 1
    assert checked >= 2 * (1 + 5 + 1)  # AAD and five PMDs of rf, displaced of surge, per zone


def test_profile_needs_on_the_page(run_dir):
    page = _pages(build_profiles(run_dir, household_size=4))["B"]
    amounts = dict(re.findall(r'data-need="([^"]+)" data-value="([^"]+)"', page))
    assert float(amounts["water"]) == pytest.approx(76_000 * 15)
    assert float(amounts["family_kits"]) == pytest.approx(76_000 / 4)


def test_round_people_for_sentences():
    assert [round_people(v) for v in (4.4, 7.6, 764.9, 12_049, 12_051, 149_499)] == [
        4,
        8,
        760,
        12_000,
        12_100,
        149_000,
    ]


def test_sendai_figures_shown_when_the_run_has_them(run_dir, tmp_path):
    import shutil

    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    (copy / "sendai.csv").write_text(
        "admin_code,hazard_id,indicator_code,value,per_100k,sex\n"
        "B,rf,B-1,1234,5678.6,\nB,rf,B-1,600,,female\n",
        encoding="utf-8-sig",
    )
    page = _pages(build_profiles(copy))["B"]
    assert "Sendai Framework indicators" in page
    section = re.search(r'<table class="sendai">.*?</table>', page).group(0)
    assert _text(section).count("B-1 (rf)") == 1  # the female row is a breakdown, not shown
    assert "1,234" in section and "5,679" in section
    (copy / "sendai.csv").unlink()
    assert "Sendai" not in _pages(build_profiles(copy))["B"]


def test_sendai_figures_of_the_run_are_shown(tmp_path):
    """The run's own sendai.csv (mecc.sendai): B-1, B-3, B-4 and B-5 of each hazard with damage
    states, for everyone, expected annual (per year) or the scenario's, with the rate."""
    from mecc.run import run_country

    data = basic_case(tmp_path)
    write_raster(tmp_path / "pop.tif", PEOPLE)
    data["hazards"][0]["damage_curve"] = "flood_damage_states_jrc_europe"
    (tmp_path / "farming.csv").write_text("code,share\nA,0.3\nB,0.5\n", encoding="utf-8")
    data["population"]["livelihoods"] = {
        "path": "farming.csv",
        "code_column": "code",
        "value_column": "share",
    }
    run_country(write_run(tmp_path, data), tmp_path / "run", with_map=False)
    table = pd.read_csv(
        tmp_path / "run" / "sendai.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False
    )
    section = re.search(
        r'<table class="sendai">.*?</table>', _pages(build_profiles(tmp_path / "run"))["B"]
    ).group(0)
    shown = _text(section)
    values = {}
    for code in ("B-1", "B-3", "B-4", "B-5"):
        row = table[
            (table["admin_code"] == "B")
            & (table["indicator_code"] == code)
            & (table["measure"] == "expected_annual")
            & (table["breakdown"] == "")
        ]
        assert len(row) == 1 and f"{code} (rf, per year)" in shown
        values[code] = float(row["value_number"].iloc[0])
        assert f"{values[code]:,.0f}" in shown
    # the parts B-1 adds up are all shown (B-5 was left out: the rows did not add up)
    assert values["B-1"] == pytest.approx(values["B-3"] + values["B-4"] + values["B-5"])
    assert shown.count("(rf, per year)") == 4 and "AAA-D1" not in shown


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("fr", ["B-3 (rf, par an)", "B-1 (surge)", "0,05 toilette", "15 litres par jour"]),
        ("es", ["B-3 (rf, por año)", "B-1 (surge)", "0,05 letrinas", "15 litros por día"]),
        ("en", ["B-3 (rf, per year)", "B-1 (surge)", "0.05 toilets", "15 litres per day"]),
    ],
)
def test_profile_sendai_rows_and_need_units_in_the_language(run_dir, tmp_path, lang, words):
    """The Sendai rows' "per year" and the needs' units come from the locale: no English
    in French and Spanish profiles."""
    import shutil

    copy = shutil.copytree(run_dir, tmp_path / "run")
    (copy / "sendai.csv").write_text(
        "admin_code,hazard_id,indicator_code,measure,breakdown,unit,value_number,per_100k\n"
        "B,rf,B-3,expected_annual,,people,120,300\n"
        "B,surge,B-1,scenario,,people,76000,190000\n",
        encoding="utf-8-sig",
    )
    shown = _text(_pages(build_profiles(copy, lang=lang))["B"])
    for text in words:
        assert text in shown, (lang, text)
    if lang != "en":
        for english in ("per year", "toilets", "litres per", "litres por"):
            assert english not in shown, (lang, english)


def test_profile_zone_left_out_by_its_level(run_dir):
    with pytest.raises(ConfigError, match="--zone B: a level-1 zone of this run, but --level 2"):
        build_profiles(run_dir, zones=["B"], levels=[2])
    with pytest.raises(ConfigError, match="--zone Q: not a zone of this run"):
        build_profiles(run_dir, zones=["Q"], levels=[1])


def test_profile_options_and_errors(run_dir, tmp_path):
    assert set(_pages(build_profiles(run_dir, zones=["B"]))) == {"B"}
    with pytest.raises(ConfigError, match="not a zone"):
        build_profiles(run_dir, zones=["Q"])
    with pytest.raises(ConfigError, match="--lang de"):
        build_profiles(run_dir, lang="de")
    with pytest.raises(ConfigError, match="outside the run folder"):
        write_profiles(run_dir, run_dir / "profiles")
    with pytest.raises(ConfigError, match="--return-period 0: a run's tables hold"):
        write_profiles(run_dir, tmp_path / "rp", pdf=False, return_period=0)
    assert not (tmp_path / "rp").exists()


def test_profile_without_chromium_writes_nothing(run_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("MECC_CHROMIUM", str(tmp_path / "no-such-browser"))
    with pytest.raises(ConfigError, match="needs Chromium"):
        write_profiles(run_dir, tmp_path / "out", pdf=True)
    assert not (tmp_path / "out").exists()
    out = write_profiles(run_dir, tmp_path / "html", pdf=False)
    assert sorted(p.name for p in out.iterdir()) == [".mecc-output.json", "profiles.html"]


# -------------------------------------------------------------- the commands


def test_profile_and_needs_commands(cli, run_dir, tmp_path):
    before = snapshot(run_dir)
    result = cli("profile", run_dir, "--out", tmp_path / "p", "--no-pdf", "--lang", "es")
    assert result.exit_code == 0, result.output
    assert 'lang="es"' in (tmp_path / "p" / "profiles.html").read_text(encoding="utf-8")
    result = cli("needs", run_dir, "--out", tmp_path / "n", "--return-period", "10")
    assert result.exit_code == 0, result.output
    assert snapshot(run_dir) == before
    result = cli("profile", run_dir, "--out", tmp_path / "q", "--zone", "nope", "--no-pdf")
    assert result.exit_code == 2 and "not a zone" in result.output
    result = cli("needs", run_dir, "--out", tmp_path / "n")
    assert result.exit_code != 0 and "--overwrite" in result.output


# ---------------------------------------------------------------- QGIS style


def test_zones_gpkg_carries_a_default_qgis_style(run_dir):
    import geopandas as gpd

    with sqlite3.connect(run_dir / "zones.gpkg") as db:
        styles = db.execute(
            "SELECT f_table_name, f_geometry_column, useAsDefault, styleQML FROM layer_styles"
        ).fetchall()
        contents = dict(db.execute("SELECT table_name, data_type FROM gpkg_contents").fetchall())
    assert contents["layer_styles"] == "attributes"
    assert [(s[0], s[1], s[2]) for s in styles] == [("admin1", "geom", 1)]
    qml = ET.fromstring(styles[0][3])
    renderer = qml.find("renderer-v2")
    assert renderer.get("type") == "graduatedSymbol" and renderer.get("attr") == "rf_aad"
    layer = gpd.read_file(run_dir / "zones.gpkg", layer="admin1")
    ranges = [(float(r.get("lower")), float(r.get("upper"))) for r in renderer.iter("range")]
    assert ranges[0] == (0.0, 0.0)  # zero has its own (white) class
    for value in layer["rf_aad"]:
        hits = [k for k, (lo, hi) in enumerate(ranges) if (lo < value <= hi) or value == lo == 0]
        assert hits, value
        assert (hits[0] == 0) == (value == 0)


# ----------------------------------------------------------- Chromium and PDF


def _needs_chromium():
    if find_chromium() is None or not CHROMIUM.exists():
        if in_ci():
            pytest.fail("CI must install Debian's chromium (.ci/run does)")
        pytest.skip("Chromium is not installed")


@pytest.fixture(scope="module")
def demo_profiles(tmp_path_factory):
    """Profiles of the demo country (four hazards, two levels) in French, with the PDF."""
    _needs_chromium()
    from mecc.demo import build_demo

    demo = build_demo(tmp_path_factory.mktemp("demo") / "demo")
    out = write_profiles(
        demo / "run", tmp_path_factory.mktemp("profiles") / "fr", lang="fr", pdf=True
    )
    zones = read_table(demo / "run" / "zones.csv")
    hazards = json.loads((demo / "run" / "summary.json").read_text(encoding="utf-8"))["hazards"]
    units = int(zones.loc[zones["zone_code"] != "__outside__", "zone_code"].nunique())
    return out, units, len(hazards)


def test_pdf_has_one_a4_page_per_zone(demo_profiles):
    out, units, _ = demo_profiles
    data = (out / "profiles.pdf").read_bytes()
    assert data.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page(?![s\w])", data)) == units
    sizes = {
        (round(float(w)), round(float(h)))
        for w, h in re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", data)
    }
    assert sizes and all(abs(w - 595) <= 2 and abs(h - 842) <= 2 for w, h in sizes)  # A4


def test_profiles_render_offline_with_nothing_cut_off(demo_profiles, browser):  # noqa: F811
    out, units, hazards = demo_profiles
    requests = []
    context = browser.new_context(viewport={"width": 900, "height": 1200})
    context.route(
        re.compile(r"^(?!file:|data:).*"),
        lambda route: (requests.append(route.request.url), route.abort()),
    )
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.emulate_media(media="print")
    page.goto((out / "profiles.html").resolve().as_uri())
    page.wait_for_function("document.documentElement.dataset.fitted === 'yes'")
    report = page.evaluate(
        """() => Array.from(document.querySelectorAll('section.page')).map(p => ({
            zone: p.dataset.zone, tall: p.scrollHeight - p.clientHeight,
            wide: p.scrollWidth - p.clientWidth,
            footer: p.querySelector('footer').getBoundingClientRect().bottom
                    - p.getBoundingClientRect().bottom,
            sentences: p.querySelectorAll('p.sentence').length,
            svg: p.querySelectorAll('figure svg path').length}))"""
    )
    context.close()
    assert requests == [] and errors == []
    assert len(report) == units
    for entry in report:
        assert entry["tall"] <= 1 and entry["wide"] <= 1, entry
        assert entry["footer"] <= 0.5, entry  # the footer sits inside the A4 box
        assert entry["sentences"] == hazards and entry["svg"] >= 1, entry  # one per hazard


def test_a_profile_of_every_unit_of_a_large_country_asks_for_a_level(run_dir, monkeypatch):
    """Without --zone or --level every unit is profiled: 40,000 communes made a document
    of about 4 GB. Above MAX_DEFAULT_PAGES units the command says how many and asks."""
    import mecc.profiles

    monkeypatch.setattr(mecc.profiles, "MAX_DEFAULT_PAGES", 1)
    with pytest.raises(ConfigError, match=r"2 units \(level 1: 2\) would make a document"):
        build_profiles(run_dir)
    assert "--level 1" in str(pytest.raises(ConfigError, build_profiles, run_dir).value)
    assert build_profiles(run_dir, levels=[1]).count('class="page') >= 2
    assert build_profiles(run_dir, zones=["B"]).count('class="page') >= 1


def test_a_role_of_many_files_names_the_first_and_last_with_their_count(demo_profiles):
    """Nine return-period maps per future listed file by file made a French page taller
    than its A4 box even at the smallest type; over three files the line names the first,
    the second and the last, and how many there are."""
    out, _, _ = demo_profiles
    text = html.unescape(re.sub(r"<[^>]+>", "", (out / "profiles.html").read_text("utf-8")))
    expected = "+ river_flood_rp0005.tif … river_flood_rp1000.tif (9 fichiers en tout)"
    assert expected in text
    assert "river_flood_rp0050.tif" not in text
