"""Language of the training grades and pages for Spanish and French workshops (probe 24).

- a share written as a fraction gets its hint in the key's number format (``0,679 = 67,9
  %?``);
- rubric points out of range are noted with the key's marks (``2,5 points donnés``), in
  the single grade and the class table's notes (printed and CSV alike);
- an answer that is right with point and comma exchanged (``112,932`` in Spanish for
  112 931.9) stays wrong, with a hint asking whether that was meant; hints group
  thousands with the language's own mark (``1 642,2`` in French, not ``1.642,2``);
- French elides "de", "le", "la" before a name starting with a vowel or a mute h
  (``d'Istra``) and puts a space before the colon of the guide's common mistakes.

Expected strings are written by hand from the locale texts; the small keys are built
here (no pack) except for the page checks, which build two French modules.
"""

from __future__ import annotations

import csv
import html
import re
from pathlib import Path

import pytest
import yaml

from training_modules.answer_sheets import SheetText, shown_table
from training_modules.grading import class_table, grade

ROOT = Path(__file__).resolve().parents[1]
FORMATS = {
    "en": {"decimal": ".", "group": ","},
    "fr": {"decimal": ",", "group": "\u202f"},
    "es": {"decimal": ",", "group": "\u00a0"},
}
NNBSP, NBSP = "\u202f", "\u00a0"


def _messages(lang: str) -> dict:
    """The grading messages shipped in the locale (as a built key carries them)."""
    path = ROOT / "training_modules" / "locales" / lang / "common.yaml"
    return yaml.safe_load(path.read_text("utf-8"))["grading"]


def _key(lang: str, **questions) -> dict:
    return {
        "kind": "mecc_training_answer_key",
        "module": "m_test",
        "lang": lang,
        "variant": 0,
        "number_format": FORMATS[lang],
        "messages": _messages(lang),
        "questions": questions,
    }


SHARE = {
    "kind": "numeric",
    "points": 1,
    "answer": 67.91892965068233,
    "unit": "%",
    "tolerance": {"relative": 0.0, "absolute": 1.0},
    "mistakes": [],
}
EVACUEES = {
    "kind": "numeric",
    "points": 1,
    "answer": 112931.9,
    "unit": "people",
    "tolerance": {"relative": 0.0, "absolute": 0.5},
    "mistakes": [],
}
RUBRIC = {
    "kind": "rubric",
    "points": 4,
    "criteria": {
        "c1": {"points": 2, "keywords": ["range"]},
        "c2": {"points": 1, "keywords": ["modelled"]},
        "c3": {"points": 1, "keywords": ["record"]},
    },
}


def _one(lang: str, entry: dict, typed: str) -> dict:
    result = grade({"answers": {"q1": SheetText(typed)}}, _key(lang, q1=entry), "sheet.yaml")
    return result.questions[0]


# --- 1. the fraction hint in the key's number format ------------------------------------


@pytest.mark.parametrize(
    ("lang", "typed", "feedback"),
    [
        ("fr", "0,679", "Inexact ; voir le corrigé. (0,679 = 67,9 %?)"),
        ("es", "0,679", "Incorrecto; vea la clave. (0,679 = 67,9 %?)"),
        ("en", "0.679", "Not right; see the key. (0.679 = 67.9 %?)"),
    ],
)
def test_fraction_hint_uses_the_keys_decimal_mark(lang, typed, feedback):
    result = _one(lang, SHARE, typed)
    assert result["status"] == "wrong"
    assert result["feedback"] == feedback


# --- 2. rubric points out of range, noted with the key's marks --------------------------


def _clamped(lang: str, given):
    sheet = {"participant": "Moussa", "answers": {"q7": {"text": "x", "rubric": {"c1": given}}}}
    return grade(sheet, _key(lang, q7=RUBRIC), "class/moussa.yaml")


def test_rubric_clamp_note_uses_the_french_decimal_comma():
    result = _clamped("fr", SheetText("2,5"))
    assert result.score == 2.0  # 2.5 counted as the criterion's 2 points
    assert result.notes == [
        "class/moussa.yaml.answers.q7.rubric.c1: "
        "2,5 points donnés, hors de 0 à 2 pour ce critère : compté 2"
    ]


def test_rubric_clamp_note_in_spanish_and_english():
    assert _clamped("es", SheetText("-0,5")).notes == [
        "class/moussa.yaml.answers.q7.rubric.c1: "
        "se dieron -0,5 puntos, fuera de 0 a 2 para este criterio: se cuentan 0"
    ]
    assert _clamped("en", SheetText("2.5")).notes == [
        "class/moussa.yaml.answers.q7.rubric.c1: "
        "2.5 points given, outside 0 to 2 for this criterion: counted as 2"
    ]


def test_class_table_notes_keep_the_keys_marks_in_print_and_csv(tmp_path):
    from mecc.outputs import write_csv

    key = _key("fr", q7=RUBRIC)
    table = class_table([_clamped("fr", SheetText("2,5"))], key)
    note = "2,5 points donnés, hors de 0 à 2 pour ce critère : compté 2"
    # the file column names the sheet: the note does not repeat its path
    assert table["notes"].iloc[0] == f"answers.q7.rubric.c1: {note}"
    assert shown_table(table)["remarques"].iloc[0].endswith(note)
    write_csv(table, tmp_path / "notes.csv")
    with open(tmp_path / "notes.csv", encoding="utf-8-sig", newline="") as handle:
        row = next(csv.DictReader(handle))
    assert row["notes"].endswith(note)  # text for people: the key's language
    assert float(row["score"]) == 2.0 and float(row["q7"]) == 2.0  # numbers for programs


# --- 3. the other decimal mark: "did you mean", with the language's own grouping --------


@pytest.mark.parametrize(
    ("lang", "typed", "feedback"),
    [
        (
            "es",
            "112,932",
            "Incorrecto; vea la clave. "
            f"(aquí el separador decimal es «,»: ¿quiso decir 112{NBSP}932?)",
        ),
        (
            "fr",
            "112,932",
            "Inexact ; voir le corrigé. "
            f"(ici le séparateur décimal est « , » : vouliez-vous dire 112{NNBSP}932 ?)",
        ),
        (
            "en",
            "112.932",
            "Not right; see the key. (the decimal mark here is “.”: did you mean 112,932?)",
        ),
    ],
)
def test_right_with_the_other_decimal_mark_stays_wrong_with_a_hint(lang, typed, feedback):
    result = _one(lang, EVACUEES, typed)
    assert result["status"] == "wrong" and result["points"] == 0
    assert result["feedback"] == feedback


def test_other_readings_are_unchanged():
    assert _one("es", EVACUEES, "112.932")["status"] == "right"
    assert _one("es", EVACUEES, "112931,9")["status"] == "right"
    assert _one("en", EVACUEES, "112,932")["status"] == "right"
    # wrong either way: no hint
    assert _one("es", EVACUEES, "113,5")["feedback"] == "Incorrecto; vea la clave."
    assert _one("en", EVACUEES, "1.5")["feedback"] == "Not right; see the key."


@pytest.mark.parametrize(
    ("lang", "typed", "hint"),
    [
        ("fr", "1,642.2", f"(ici le séparateur décimal est « , » : 1{NNBSP}642,2)"),
        ("es", "112,931.9", f"(aquí el separador decimal es «,»: 112{NBSP}931,9)"),
        ("en", "112.931,9", "(the decimal mark here is “.”: 112,931.9)"),
        ("en", "1.642,2", "(the decimal mark here is “.”: 1,642.2)"),
    ],
)
def test_unreadable_hint_groups_thousands_the_languages_way(lang, typed, hint):
    result = _one(lang, EVACUEES, typed)
    assert result["status"] == "unreadable"
    assert result["feedback"].endswith(" " + hint)


# --- 4. French elision and the space before the colon -----------------------------------


@pytest.mark.parametrize(
    ("lang", "word", "name", "joined"),
    [
        ("fr", "de", "Alvora", "d'Alvora"),
        ("fr", "de", "Eluno", "d'Eluno"),
        ("fr", "De", "Istra", "D'Istra"),
        ("fr", "la", "Écija", "l'Écija"),
        ("fr", "le", "Hiveno", "l'Hiveno"),  # a mute h
        ("fr", "de", "Hongrie", "de Hongrie"),  # an aspirated h
        ("fr", "de", "Yaoundé", "de Yaoundé"),  # y before a vowel
        ("fr", "de", "Corrim", "de Corrim"),
        ("fr", "de", "100", "de 100"),
        ("fr-CA", "que", "Istra", "qu'Istra"),
        ("es", "de", "Istra", "de Istra"),
        ("en", "de", "Alvora", "de Alvora"),
    ],
)
def test_elide(lang, word, name, joined):
    from training_modules.words import elide

    assert elide(lang, word, name) == joined


def test_names_after_de_are_elided_in_french_templates_only():
    from training_modules.catalogue import load_catalogue
    from training_modules.words import Words

    catalogue = load_catalogue()
    fr = Words(catalogue, "fr", "m7_risk_map", {"zone_x": "Istra"})
    assert fr.question_text("q2") == "Quel est le DAM d'Istra (dans sa fenêtre ou le tableau) ?"
    assert fr.question_text("q3") == "Quel est le DAM d'Istra pour 100 000 habitants ?"
    fr = Words(catalogue, "fr", "m7_risk_map", {"zone_x": "Corrim"})
    assert fr.question_text("q3") == "Quel est le DAM de Corrim pour 100 000 habitants ?"
    fr = Words(catalogue, "fr", "m8_policy_tabletop", {"valley": "Eluno"})
    assert fr.question_text("q6") == (
        "Injection 4 : de combien le DAM varie-t-il dans la province d'Eluno sous SSP5-8.5 ?"
    )
    es = Words(catalogue, "es", "m7_risk_map", {"zone_x": "Istra"})
    assert es.question_text("q3") == f"¿Cuál es el DAP de Istra por cada 100{NBSP}000 habitantes?"
    # a value given as an argument is elided too; a number never is
    fr = Words(catalogue, "fr", None)
    assert fr.common("guide.range", low="8", high="9", kind="k") == "fourchette de 8 à 9 (k)"


@pytest.fixture(scope="module")
def french_pack(tmp_path_factory):
    from training_modules.pack import build_pack

    out = tmp_path_factory.mktemp("pack24") / "pack"
    build_pack(out, modules=["m3_exposure", "m7_risk_map"], langs=["fr"], interactive_maps=False)
    return out / "fr"


def _text(path: Path) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", path.read_text("utf-8")))


def test_french_guide_puts_a_space_before_the_colon_of_mistakes(french_pack):
    page = (french_pack / "facilitator" / "m3_exposure" / "guide.html").read_text("utf-8")
    items = [html.unescape(i) for i in re.findall(r'<li class="mistake">(.*?)</li>', page)]
    assert len(items) >= 5
    for item in items:
        assert re.match(r"[^:]*\S : \S", item), item  # "59 049 personnes : Une part…"
    assert "personnes : Une part moyenne nationale a été appliquée" in "\n".join(items)
    title = re.search(r"<title>(.*?)</title>", page).group(1)
    assert html.unescape(title).endswith(" : Module 3 · guide de l'animateur")


def test_french_pages_elide_vowel_initial_names(french_pack):
    handout = _text(french_pack / "participants" / "m7_risk_map" / "handout.html")
    key = (french_pack / "facilitator" / "m7_risk_map" / "answer_key.yaml").read_text("utf-8")
    for text in (handout, key):
        assert not re.search(r"\b[dD]e [AEIOUYÉÈÊ]", text), re.findall(
            r".{30}\bde [AEIOU].{20}", text
        )
    assert re.search(r"Quel est le DAM (d'[AEIOUÉH]|de [^AEIOUÉH])", handout)
