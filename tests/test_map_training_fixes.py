"""Maps and training materials that said less, or other, than the run and the key hold.

- a map popup's Sendai B-1 row says which components it adds (B-5 only where the hazard
  has no damage curve: cyclone wind and earthquake in the demo);
- a figure inside a phrase (layer names, baseline/future rows) and the figure as a row
  label are separate words: "Change in people at risk ...", "Évolution du nombre de
  personnes exposées ...", "People displaced" as a row label;
- ``mecc training check`` prints its summary, status words and quiz lines in the key's
  language;
- a facilitator's rubric points outside 0 to the criterion's maximum are counted as the
  bound with a note naming the sheet, question and criterion; a criterion the question
  does not have is refused;
- a common mistake's figure in the facilitator guide and the key carries its own unit;
- the analyst handouts say what ``work/`` is.
"""

from __future__ import annotations

import html
import re
import shutil
from types import SimpleNamespace

import pandas as pd
import pytest
import yaml

from mecc.errors import ConfigError
from mecc.map_data import labels

# --------------------------------------------------------------------------- helpers

SENDAI_COLUMNS = [
    "admin_code",
    "hazard_id",
    "measure",
    "band",
    "indicator_code",
    "value_number",
    "per_100k",
    "breakdown",
]


def _sendai_run(tmp_path):
    """A run folder whose sendai.csv holds, for zone Z1: a wind scenario with B-5 only,
    a flood with B-3, B-4 and B-5, and a surge with B-3 and B-4 (no livelihoods)."""
    rows = [
        ("Z1", "wind", "scenario", "1", "B-5", "500", "25000", ""),
        ("Z1", "wind", "scenario", "1", "B-1", "500", "25000", ""),
        ("Z1", "wind", "scenario", "1", "B-1", "300", "30000", "sex"),
        ("Z1", "flood", "expected_annual", "", "B-3", "10", "500", ""),
        ("Z1", "flood", "expected_annual", "", "B-4", "5", "250", ""),
        ("Z1", "flood", "expected_annual", "", "B-5", "5", "250", ""),
        ("Z1", "flood", "expected_annual", "", "B-1", "20", "1000", ""),
        ("Z1", "surge", "scenario", "1", "B-3", "10", "500", ""),
        ("Z1", "surge", "scenario", "1", "B-4", "10", "500", ""),
        ("Z1", "surge", "scenario", "1", "B-1", "20", "1000", ""),
    ]
    table = pd.DataFrame(rows, columns=SENDAI_COLUMNS)
    table.to_csv(tmp_path / "sendai.csv", index=False, encoding="utf-8-sig")
    zones = pd.DataFrame({"zone_code": ["Z1"] * 3, "hazard_id": ["wind", "flood", "surge"]})
    return SimpleNamespace(zones=zones, run_dir=tmp_path, hazard_ids=["wind", "flood", "surge"])


def _rows(**columns):
    return pd.DataFrame({**columns}, index=pd.Index(["Z1"], name="zone_code"))


def _cells(popup: str) -> dict:
    """Row label -> cell text of a popup (HTML unescaped)."""
    found = re.findall(r'<th scope="row">(.*?)</th><td>(.*?)</td>', popup)
    return {html.unescape(k): html.unescape(re.sub("<[^>]+>", "", v)) for k, v in found}


# ------------------------------------------------------------ 1. Sendai B-1 in popups


def test_b1_parts_come_from_the_component_rows_of_sendai_csv(tmp_path):
    from mecc.map_text import sendai_b1, sendai_b1_parts

    run = _sendai_run(tmp_path)
    assert sendai_b1_parts(run, "wind") == {"Z1": ("B-5",)}
    assert sendai_b1_parts(run, "flood") == {"Z1": ("B-3", "B-4", "B-5")}
    assert sendai_b1_parts(run, "surge") == {"Z1": ("B-3", "B-4")}
    assert sendai_b1(run, "wind") == {"Z1": 25000.0}  # everyone's row, not the group's


@pytest.mark.parametrize(
    "lang, wind, flood, surge",
    [
        (
            "en",
            "Sendai B-1 (per 100,000; B-5 only: no damage curve for B-3/B-4)",
            "Sendai B-1 (per 100,000 per year)",
            "Sendai B-1 (per 100,000; B-3 + B-4 only: no livelihoods layer for B-5)",
        ),
        (
            "fr",
            "Sendai B-1 (pour 100 000 ; B-5 seulement : pas de courbe de dommages pour B-3/B-4)",
            "Sendai B-1 (pour 100 000 par an)",
            "Sendai B-1 (pour 100 000 ; B-3 + B-4 seulement : pas de couche des moyens de "
            "subsistance pour B-5)",
        ),
        (
            "es",
            "Sendai B-1 (por cada 100 000; solo B-5: sin curva de daños para B-3/B-4)",
            "Sendai B-1 (por cada 100 000 por año)",
            "Sendai B-1 (por cada 100 000; solo B-3 + B-4: sin capa de medios de vida para B-5)",
        ),
    ],
)
def test_b1_row_says_what_it_holds_in_every_language(tmp_path, lang, wind, flood, surge):
    from mecc.map_text import Text, sendai_b1, sendai_b1_parts

    run = _sendai_run(tmp_path)
    text = Text(labels(lang), lang)
    rows = _rows(population=[2000.0], displaced=[500.0], aad=[20.0])
    shown = {}
    for hazard, kind, headline in (
        ("wind", "scenario", "displaced"),
        ("flood", "return_periods", None),
        ("surge", "scenario", "displaced"),
    ):
        summary = {"kind": kind, "type": "river_flood"}
        b1, parts = sendai_b1(run, hazard), sendai_b1_parts(run, hazard)
        popup = text.hazard_popups(rows, ["Zone"], hazard, summary, headline, b1, parts)[0]
        shown[hazard] = [k for k in _cells(popup) if k.startswith("Sendai B-1")]
    assert shown == {"wind": [wind], "flood": [flood], "surge": [surge]}


def test_demo_popups_of_alvora_say_b1_is_b5_only(demo_folder, tmp_path):
    """The demo's cyclone wind and earthquake have no damage curve: Alvora's B-1 row says
    B-5 only, and its value is B-5 x 100,000 / the denominator of sendai.csv."""
    from mecc.maps import build_map

    table = pd.read_csv(
        demo_folder / "run" / "sendai.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False
    )
    page = build_map(demo_folder / "run", tmp_path / "map.html").read_text("utf-8")
    page = page.replace("\\u003e", ">").replace("\\u003c", "<").replace('\\"', '"')
    for hazard in ("cyclone_wind", "earthquake"):
        mine = table[
            (table["admin_code"] == "XMR0101")
            & (table["hazard_id"] == hazard)
            & (table["breakdown"] == "")
        ]
        assert set(mine["indicator_code"]) & {"B-3", "B-4"} == set()
        b5 = mine[mine["indicator_code"] == "B-5"].iloc[0]
        rate = float(b5["value_number"]) * 1e5 / float(b5["population_denominator"])
        shown = f"{rate:,.0f}"  # e.g. 34,077
        label = "Sendai B-1 (per 100,000; B-5 only: no damage curve for B-3/B-4)"
        pattern = (
            rf"<h2>Alvora[^<]*</h2>(?:(?!</table>).)*?{re.escape(html.escape(label))}</th>"
            rf'<td><span class="mecc-value" data-figure="sendai_b1">{re.escape(shown)}</span>'
        )
        assert re.search(pattern, page), hazard
    assert "Sendai B-1 (per 100,000 per year)</th>" in page  # river floods: B-3 + B-4 + B-5


# ---------------------------------------------------------- 2. fragments and row labels


@pytest.mark.parametrize(
    "lang, figure, expected",
    [
        ("en", "at_risk_relocation", "Change in people at risk of planned relocation, F"),
        ("en", "aad", "Change in average annual displacement, F"),
        (
            "fr",
            "at_risk_relocation",
            "Évolution du nombre de personnes exposées à une réinstallation planifiée, F",
        ),
        ("fr", "displaced", "Évolution du nombre de personnes déplacées, F"),
        ("fr", "aad", "Évolution du déplacement annuel moyen, F"),
        ("es", "displaced", "Cambio en el número de personas desplazadas, F"),
    ],
)
def test_future_layer_names_read_as_phrases(lang, figure, expected):
    from mecc.map_text import future_layer_label
    from training_modules.exhibits import layer_name

    words = labels(lang)
    assert future_layer_label(words, figure, "F") == expected
    spec = {"label": "layer_future", "figure": figure, "future": "f1", "hazard": "h"}
    assert layer_name(spec, words, {"f1": "F"}) == f"{expected} \u00b7 h"


def test_popup_rows_use_labels_and_phrases_where_each_belongs():
    from mecc.map_text import Text

    text = Text(labels("en"), "en")
    summary = {"kind": "scenario", "type": "river_flood"}
    rows = _rows(population=[1000.0], displaced=[12.0])
    cells = _cells(text.hazard_popups(rows, ["Zone"], "h", summary, "displaced", {})[0])
    assert "People displaced" in cells and "people displaced" not in cells
    rows = _rows(population=[1000.0], at_risk_relocation=[7.0])
    cells = _cells(text.hazard_popups(rows, ["Zone"], "h", summary, "at_risk_relocation", {})[0])
    assert cells["People at risk of planned relocation"] == "7"
    future = pd.DataFrame(
        {"figure": ["at_risk_relocation"], "baseline": [7.0], "future": [9.0], "change": [2.0]},
        index=pd.Index(["Z1"], name="zone_code"),
    )
    cells = _cells(text.future_popups(future, ["Zone"], "h", summary, "F")[0])
    assert cells["Baseline people at risk of planned relocation"] == "7"
    assert cells["Future people at risk of planned relocation"] == "9"
    fr = _cells(Text(labels("fr"), "fr").future_popups(future, ["Zone"], "h", summary, "F")[0])
    assert fr["Référence : personnes exposées à une réinstallation planifiée"] == "7"


# ------------------------------------------------------ 3. and 4. grading words, rubric


def _key(lang: str) -> dict:
    """A small answer key as a pack writes it, without the messages (an older key: the
    words come from the toolkit's locale of its language)."""
    return {
        "kind": "mecc_training_answer_key",
        "module": "m4_displacement",
        "lang": lang,
        "variant": 0,
        "number_format": {"decimal": "," if lang != "en" else ".", "group": " "},
        "questions": {
            "q1": {
                "kind": "numeric",
                "points": 1,
                "answer": 100.0,
                "unit": "people",
                "tolerance": {"relative": 0.02, "absolute": 0.5},
                "mistakes": [],
            },
            "q2": {"kind": "numeric", "points": 1, "answer": 50.0, "mistakes": []},
            "q7": {
                "kind": "rubric",
                "points": 4,
                "criteria": {
                    "c1": {"points": 2, "keywords": ["modelled"]},
                    "c2": {"points": 1, "keywords": ["range"]},
                    "c3": {"points": 1, "keywords": ["zzz"]},
                },
            },
        },
        "quiz": {"p1": {"answer": "a", "options": {"a": "x", "b": "y"}}},
    }


def _write(path, data):
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "lang, summary, right, quiz",
    [
        (
            "fr",
            "P: 1 / 6 sûrs, jusqu'à 3 de plus à confirmer par l'animateur (17 %)",
            "q1: 1/1 juste",
            "quiz avant: 100 %",
        ),
        (
            "es",
            "P: 1 / 6 seguros, hasta 3 más que el facilitador debe confirmar (17 %)",
            "q1: 1/1 correcta",
            "cuestionario antes: 100 %",
        ),
    ],
)
def test_check_speaks_the_keys_language(cli, tmp_path, lang, summary, right, quiz):
    key = _write(tmp_path / "answer_key.yaml", _key(lang))
    sheet = {
        "kind": "mecc_training_answers",
        "participant": "P",
        "answers": {"q1": 100, "q2": 7, "q7": "modelled, with a range"},
        "quiz_pre": {"p1": "a"},
    }
    result = cli("training", "check", _write(tmp_path / "s.yaml", sheet), "--key", key)
    assert result.exit_code == 0, result.output
    lines = [line.strip() for line in result.output.splitlines()]
    assert lines[0] == summary  # 1 sure of 6; c1 (2) + c2 (1) provisional
    assert any(line.startswith(right) for line in lines)
    assert quiz in lines
    assert not re.search(r"\b(sure|right|wrong|quiz before|provisional -)\b", result.output)


def test_rubric_points_out_of_range_are_counted_with_a_note(tmp_path):
    from training_modules.grading import grade

    key = _key("en")
    sheet = {"answers": {"q1": 100, "q2": 50, "q7": {"text": "x", "rubric": {"c1": 5, "c2": -1}}}}
    result = grade(sheet, key, str(tmp_path / "ana.yaml"))
    q7 = next(r for r in result.questions if r["id"] == "q7")
    assert q7["points"] == 2.0  # c1: 5 counted as its maximum 2, c2: -1 as 0, c3 absent
    assert result.score == 4.0 and result.total == 6.0
    where = f"{tmp_path / 'ana.yaml'}.answers.q7.rubric"
    assert result.notes == [
        f"{where}.c1: 5 points given, outside 0 to 2 for this criterion: counted as 2",
        f"{where}.c2: -1 points given, outside 0 to 1 for this criterion: counted as 0",
    ]
    fine = {"answers": {"q7": {"text": "x", "rubric": {"c1": 2, "c2": 0}}}}
    assert grade(fine, key, "b.yaml").notes == []


def test_a_criterion_the_question_lacks_is_refused(tmp_path):
    from training_modules.grading import grade

    sheet = {"answers": {"q7": {"text": "x", "rubric": {"c1": 1, "c9": 1}}}}
    with pytest.raises(ConfigError, match=r"rub2\.yaml\.answers\.q7\.rubric: unknown criterion c9"):
        grade(sheet, _key("en"), "rub2.yaml")


def test_the_class_table_keeps_the_rubric_notes(tmp_path):
    folder = tmp_path / "sheets"
    folder.mkdir()
    key = _write(tmp_path / "answer_key.yaml", _key("en"))
    sheet = {"kind": "mecc_training_answers", "answers": {"q7": {"text": "", "rubric": {"c3": 4}}}}
    _write(folder / "ana.yaml", sheet)
    from training_modules.grading import check_answers

    _, table = check_answers(None, key, folder)
    assert "q7.rubric.c3: 4 points given, outside 0 to 1" in table["notes"].iloc[0]


# ------------------------------------------------------- 5. and 6. the pack's pages


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    from training_modules.pack import build_pack

    out = tmp_path_factory.mktemp("pack") / "pack"
    build_pack(out, modules=["m4_displacement"], langs=["en", "fr", "es"], interactive_maps=False)
    return out


def _mistakes(pack, lang: str) -> dict:
    """Question number -> the figures of its common mistakes in the guide (plain text)."""
    page = (pack / lang / "facilitator" / "m4_displacement" / "guide.html").read_text("utf-8")
    out = {}
    for row in re.findall(r'<tr data-question="(q\d)">(.*?)</tr>', page, re.S):
        found = re.findall(r'<li class="mistake">(.*?)\s*:', row[1])
        out[row[0]] = [html.unescape(f) for f in found]
    return out


def test_guide_mistakes_carry_their_own_units(pack):
    key = yaml.safe_load(
        (pack / "en" / "facilitator" / "m4_displacement" / "answer_key.yaml").read_text("utf-8")
    )
    q = key["questions"]
    aad, pmd, rate = q["q1"]["answer"], q["q3"]["answer"], q["q6"]["answer"]
    guide = _mistakes(pack, "en")
    # q1 (people per year): the rare-flood map's displacement is a count of people
    assert f"{pmd:,.0f} people" in guide["q1"]
    # q3 (people): the yearly average is people per year
    assert guide["q3"] == [f"{aad:,.0f} people per year"]
    # q6: a rate per 1,000 is a hundredth of the rate per 100,000
    assert guide["q6"] == [f"{rate / 100:.1f} per 1,000 residents per year"]
    by_id = {m["id"]: m for m in q["q1"]["mistakes"] + q["q3"]["mistakes"]}
    assert by_id["pmd_for_aad"]["unit"] == "people"
    assert by_id["aad_for_pmd"]["unit"] == "people per year"
    fr = _mistakes(pack, "fr")
    assert fr["q3"][0].endswith(" personnes par an") and fr["q1"][-1].endswith(" personnes")


def test_fact_units_follow_the_figure():
    from training_modules.key import fact_unit

    specs = {
        "aad": {"of": "summary", "hazard": "h", "figure": "aad"},
        "aad_high": {"of": "summary", "hazard": "h", "figure": "aad_high"},
        "exposed": {"of": "summary", "hazard": "h", "figure": "exposed"},
        "pmd": {"of": "pmd", "hazard": "h", "period": 25},
        "rate": {"of": "per_100k", "value": "aad", "population": "p"},
        "count_rate": {"of": "per_100k", "value": "exposed", "population": "p"},
        "x25": {"of": "scale", "value": "aad", "by": 25},
    }
    found = {name: fact_unit(specs, name) for name in specs}
    assert found == {
        "aad": "people_per_year",
        "aad_high": "people_per_year",
        "exposed": "people",
        "pmd": "people",
        "rate": "per_100k_year",
        "count_rate": "per_100k",
        "x25": None,  # AAD x 25 years: the module gives the unit (else the question's)
    }


def test_mistake_units_must_name_a_mistake(tmp_path):
    from training_modules.catalogue import MODULES_DIR, load_catalogue

    folder = shutil.copytree(MODULES_DIR, tmp_path / "modules")
    data = yaml.safe_load((folder / "m4_displacement.yaml").read_text("utf-8"))
    q6 = next(q for q in data["questions"] if q["id"] == "q6")
    q6["mistake_units"] = {"aad": "people"}
    _write(folder / "m4_displacement.yaml", data)
    with pytest.raises(ConfigError, match=r"mistake_units: 'aad' is none of its mistakes"):
        load_catalogue(modules_dir=folder)


def test_analyst_handouts_say_what_work_is(pack):
    for lang in ("en", "fr", "es"):
        page = (pack / lang / "participants" / "m4_displacement" / "handout.html").read_text(
            "utf-8"
        )
        intro = next(p for p in re.findall(r"<p>(.*?)</p>", page) if "<code>runs/</code>" in p)
        assert "<code>work/</code>" in intro, lang
        assert "--out work/m4_displacement" in page  # the commands write there


def test_b1_label_gives_the_reason_of_the_part_that_is_missing():
    """B-4 alone missing is not 'no livelihoods layer' (review); B-5 missing is."""
    from mecc.map_text import Text

    text = Text(labels("en"), "en")
    assert text.b1_label(False, ["B-3", "B-4"]).endswith(
        "B-3 + B-4 only: no livelihoods layer for B-5)"
    )
    assert text.b1_label(False, ["B-5"]).endswith("B-5 only: no damage curve for B-3/B-4)")
    assert text.b1_label(False, ["B-3", "B-5"]) == "Sendai B-1 (per 100,000)"
    assert text.b1_label(True, ["B-3", "B-4", "B-5"]) == "Sendai B-1 (per 100,000 per year)"
