"""Grading answer sheets as participants write them: numbers in the key's language (points
grouping thousands in Spanish, scale words, any wording of a rate's unit), districts by
the name on the maps, and hand-edited keys, bad variants, class folders and ``--out``
targets refused or handled with one line naming the file and the field.

The keys here are small copies of the built keys of modules 4 and 7 (same numbers,
options and mistakes), so that no pack needs building.
"""

from __future__ import annotations

import copy

import pytest
import yaml

from mecc.errors import ConfigError
from training_modules.grading import check_answers, grade, parse_number

FORMATS = {
    "en": {"decimal": ".", "group": ","},
    "fr": {"decimal": ",", "group": "\u202f"},
    "es": {"decimal": ",", "group": "\u00a0"},
}
UNITS = {
    "en": ("people per year", "people", "per 100,000 residents per year"),
    "fr": ("personnes par an", "personnes", "pour 100 000 habitants par an"),
    "es": ("personas al año", "personas", "por cada 100.000 habitantes al año"),
}
MESSAGES = {
    "right": "Right.",
    "wrong": "Not right; see the key.",
    "mistake": "Not right. Likely mistake:",
    "unanswered": "No answer.",
    "unreadable": "The answer is not one number.",
    "scored": "Scored by the facilitator.",
    "provisional": "Provisional points.",
}
TOLERANCE = {"relative": 0.02, "absolute": 0.5}
LEGEND = "This district is in the lightest coloured class."


def make_key(lang: str = "en") -> dict:
    """An answer key as ``localised_key`` writes it: module 4's figures and module 7's map
    question, in the number format and units of ``lang``."""
    per_year, people, rate = UNITS[lang]
    return {
        "kind": "mecc_training_answer_key",
        "module": "m4_displacement",
        "lang": lang,
        "variant": 0,
        "number_format": dict(FORMATS[lang]),
        "messages": dict(MESSAGES),
        "questions": {
            "q1": {
                "kind": "numeric",
                "points": 1,
                "answer": 9072.414589676697,
                "unit": per_year,
                "tolerance": dict(TOLERANCE),
                "mistakes": [
                    {"id": "pmd_for_aad", "value": 131945.35605968157, "feedback": "Rare flood."}
                ],
            },
            "q2": {
                "kind": "numeric",
                "points": 1,
                "answer": 14208.369247164635,
                "unit": per_year,
                "tolerance": dict(TOLERANCE),
                "mistakes": [],
            },
            "q3": {
                "kind": "numeric",
                "points": 1,
                "answer": 131945.35605968157,
                "unit": people,
                "tolerance": dict(TOLERANCE),
                "mistakes": [],
            },
            "q4": {
                "kind": "numeric",
                "points": 1,
                "answer": 105569.52364849678,
                "unit": people,
                "tolerance": dict(TOLERANCE),
                "mistakes": [],
            },
            "q6": {
                "kind": "numeric",
                "points": 1,
                "answer": 384.6584423035529,
                "unit": rate,
                "tolerance": {"relative": 0.02, "absolute": 0.05},
                "mistakes": [{"id": "per_thousand", "value": 3.846584423035529}],
            },
            "q8": {
                "kind": "numeric",
                "points": 1,
                "answer": 67.91892965068233,
                "unit": "%",
                "tolerance": dict(TOLERANCE),
                "mistakes": [],
            },
            "map": {
                "kind": "map",
                "points": 1,
                "answer": "d",
                "options": {
                    "a": "Corrim (fictional)",
                    "b": "Eluno (fictional)",
                    "c": "Istra (fictional)",
                    "d": "Joval (fictional)",
                },
                "option_codes": {"a": "XMR0103", "b": "XMR0205", "c": "XMR0309", "d": "XMR0310"},
                "mistakes": [{"id": "legend_reversed", "option": "a", "feedback": LEGEND}],
            },
            "q7": {
                "kind": "rubric",
                "points": 2,
                "answer": {"rubric": {"c1": 2}},
                "criteria": {"c1": {"points": 2, "keywords": ["range"]}},
            },
        },
        "quiz": {"p1": {"options": {"a": "x", "b": "y"}, "answer": "b"}},
    }


def outcome(key: dict, qid: str, answer) -> dict:
    """The graded result of one answer."""
    result = grade({"answers": {qid: answer}}, key)
    return next(r for r in result.questions if r["id"] == qid)


def write_yaml(path, data):
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def sheet(**answers) -> dict:
    return {"kind": "mecc_training_answers", "module": "m4_displacement", "answers": answers}


# --- 1. numbers in a language whose decimal mark is a comma -------------------------------


@pytest.mark.parametrize(
    ("qid", "answer", "read"),
    [
        ("q1", "9.072", 9072.0),
        ("q2", "14.208,37", 14208.37),
        ("q3", "131.945 personas", 131945.0),
        ("q4", "105 570", 105570.0),
        ("q4", "105\u00a0570", 105570.0),
        ("q3", "1.319.454", 1319454.0),
    ],
)
def test_spanish_points_group_thousands(qid, answer, read):
    key = make_key("es")
    entry = key["questions"][qid]
    assert parse_number(answer, key["number_format"], entry["unit"], "es") == read
    expected = "right" if abs(read - entry["answer"]) <= 0.02 * entry["answer"] else "wrong"
    assert outcome(key, qid, answer)["status"] == expected


@pytest.mark.parametrize("answer", ["9072.5", "9.07", "9.0721"])
def test_points_that_cannot_group_thousands_are_unreadable_in_spanish(answer):
    assert outcome(make_key("es"), "q1", answer)["status"] == "unreadable"


def test_the_same_text_is_read_by_the_keys_language():
    english, spanish = make_key("en")["number_format"], make_key("es")["number_format"]
    assert parse_number("9,072", english) == 9072.0 and parse_number("9,072", spanish) == 9.072
    assert parse_number("9.072", english) == 9.072 and parse_number("9.072", spanish) == 9072.0
    assert parse_number("9,072.5", english) == 9072.5 and parse_number("9,072.5", spanish) is None
    assert parse_number("9.072,5", english) is None and parse_number("9.072,5", spanish) == 9072.5
    assert outcome(make_key("en"), "q1", "9,07")["status"] == "unreadable"


def test_french_numbers_group_with_narrow_spaces_or_points():
    key = make_key("fr")
    assert outcome(key, "q2", "14\u202f208,37")["status"] == "right"
    assert outcome(key, "q2", "14.208,37")["status"] == "right"
    assert parse_number("14\u202f208,37", key["number_format"]) == 14208.37


# --- 2. scale words -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "qid", "answer", "read"),
    [
        ("en", "q1", "9.1 thousand", 9100.0),
        ("en", "q2", "14k", 14000.0),
        ("en", "q3", "132 thousand people", 132000.0),
        ("en", "q4", "0.1 million", 100000.0),
        ("en", "q3", "0.132 M", 132000.0),
        ("fr", "q1", "9,1 milliers", 9100.0),
        ("fr", "q3", "132 mille personnes", 132000.0),
        ("es", "q1", "9,1 mil", 9100.0),
        ("es", "q3", "0,132 millones de personas", 132000.0),
    ],
)
def test_scale_words_scale_the_number(lang, qid, answer, read):
    key = make_key(lang)
    unit = key["questions"][qid]["unit"]
    assert parse_number(answer, key["number_format"], unit, lang) == pytest.approx(read)
    status = outcome(key, qid, answer)["status"]
    assert status == ("wrong" if qid == "q4" else "right")  # 0.1 million is 5 % off


@pytest.mark.parametrize(
    ("lang", "answer"), [("en", "9 mil"), ("en", "9 mille"), ("es", "9 thousand"), ("fr", "9 mil")]
)
def test_a_scale_word_of_another_language_is_unreadable(lang, answer):
    assert outcome(make_key(lang), "q1", answer)["status"] == "unreadable"


# --- 3. map questions answered by the name on the maps ------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        "Joval",
        "joval",
        " JOVAL ",
        "d) Joval",
        "(d) Joval",
        "Joval (ficticio)",
        "Joval (nom fictif)",
    ],
)
def test_a_district_by_its_name_on_the_maps(answer):
    result = outcome(make_key("en"), "map", answer)
    assert (result["status"], result["points"]) == ("right", 1.0)


@pytest.mark.parametrize("answer", ["Corrim", "corrim (fictif)", "a) Corrim"])
def test_a_documented_mistake_by_name_gets_its_feedback(answer):
    result = outcome(make_key("en"), "map", answer)
    assert result["status"] == "wrong" and result["mistakes"] == ["legend_reversed"]
    assert LEGEND in result["feedback"]
    assert (
        result == outcome(make_key("en"), "map", "a") == outcome(make_key("en"), "map", "XMR0103")
    )


def test_a_letter_and_a_name_that_disagree_are_not_right():
    assert outcome(make_key("en"), "map", "d) Joval")["status"] == "right"
    result = outcome(make_key("en"), "map", "a) Joval")
    assert result["points"] == 0 and result["mistakes"] == []


# --- 4. the wording of a rate's unit ------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "answer"),
    [
        ("en", "384.7 per 100,000"),
        ("en", "384.7 per 100 000 inhabitants"),
        ("en", "384.7 per 100\u00a0000 people"),
        ("en", "384.7 per 100.000 population per year"),
        ("en", "384.7 /100k"),
        ("fr", "384,7 pour 100 000 habitants"),
        ("es", "384,7 por 100 000 habitantes"),
        ("es", "384,7 por cada 100.000 personas"),
    ],
)
def test_rates_accept_any_wording_of_per_100000(lang, answer):
    result = outcome(make_key(lang), "q6", answer)
    assert result["status"] == "right", result


def test_per_100000_is_a_unit_of_rates_only():
    assert outcome(make_key("en"), "q6", "384.7 per 100,000")["status"] == "right"
    assert outcome(make_key("en"), "q3", "132000 per 100,000")["status"] == "unreadable"


# --- 5. a bad variant in a sheet ----------------------------------------------------------


@pytest.mark.parametrize("variant", ["two", [1], 1.7])
def test_a_bad_variant_in_a_sheet_is_one_line(cli, tmp_path, variant):
    key = write_yaml(tmp_path / "answer_key.yaml", make_key("en"))
    answers = write_yaml(tmp_path / "ana.yaml", {**sheet(q1="9072"), "variant": variant})
    result = cli("training", "check", answers, "--key", key)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "ana.yaml.variant" in lines[0], lines


def test_a_variant_written_as_text_of_digits_is_read():
    assert grade({**sheet(q1="9072"), "variant": "0"}, make_key("en")).score == 1
    with pytest.raises(ConfigError, match=r"^ana\.yaml\.variant: .*'two'"):
        grade({**sheet(q1="9072"), "variant": "two"}, make_key("en"), "ana.yaml")


# --- 6. hand-edited answer keys -----------------------------------------------------------


def _set(path: str, value):
    """An edit of the key: set a field to ``value``, or delete it when ``value`` is KeyError."""

    def edit(key):
        *parents, name = path.split(".")
        place = key
        for part in parents:
            place = place[int(part)] if isinstance(place, list) else place[part]
        if value is KeyError:
            del place[name]
        else:
            place[name] = value
        return key

    return edit


HAND_EDITS = [
    (_set("questions.q1.tolerance.relative", "2%"), "questions.q1.tolerance.relative"),
    (_set("questions.q1.tolerance.absolute", -1), "questions.q1.tolerance.absolute"),
    (_set("questions.q1.answer", KeyError), "questions.q1.answer"),
    (_set("questions.q1.kind", KeyError), "questions.q1.kind"),
    (_set("questions.q1.answer", "9,072"), "questions.q1.answer"),
    (_set("questions.q1", None), "questions.q1"),
    (_set("variant", "zero"), ".variant"),
    (_set("questions.q1.mistakes.0.value", KeyError), "questions.q1.mistakes[0].value"),
    (_set("quiz", [1, 2]), ".quiz"),
    (_set("questions.map.answer", "x"), "questions.map.answer"),
    (_set("questions.q7.criteria.c1.points", "two"), "questions.q7.criteria.c1.points"),
]


@pytest.mark.parametrize(("edit", "field"), HAND_EDITS)
def test_a_hand_edited_key_is_refused_naming_the_key_and_field(cli, tmp_path, edit, field):
    key = write_yaml(tmp_path / "edited_key.yaml", edit(copy.deepcopy(make_key("en"))))
    answers = write_yaml(tmp_path / "ana.yaml", {**sheet(q1="9072"), "quiz_pre": {"p1": "b"}})
    result = cli("training", "check", answers, "--key", key)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert (
        len(lines) == 1 and f"edited_key.yaml{'' if field[0] == '.' else '.'}{field}" in (lines[0])
    ), lines
    assert "ana.yaml" not in lines[0]  # the fault is in the key, not in the sheet


def test_a_hand_edited_key_given_as_the_sheet_is_refused(cli, tmp_path):
    edited = make_key("en")
    edited["questions"]["q1"] = None
    key = write_yaml(tmp_path / "answer_key.yaml", make_key("en"))
    bad = write_yaml(tmp_path / "edited_key.yaml", edited)
    result = cli("training", "check", bad, "--key", key)
    assert result.exit_code == 2 and "edited_key.yaml.questions.q1" in result.stderr


def test_rubric_points_that_are_no_number_name_the_sheet(cli, tmp_path):
    key = write_yaml(tmp_path / "answer_key.yaml", make_key("en"))
    answers = write_yaml(tmp_path / "ana.yaml", sheet(q7={"rubric": {"c1": "two"}}))
    result = cli("training", "check", answers, "--key", key)
    assert result.exit_code == 2
    assert "ana.yaml.answers.q7.rubric.c1" in result.stderr and "'two'" in result.stderr


# --- 7. --out never replaces an answer key or an answer sheet ------------------------------


@pytest.mark.parametrize("what", ["key", "sheet"])
def test_out_refuses_any_answer_key_or_sheet(cli, tmp_path, what):
    key = write_yaml(tmp_path / "answer_key.yaml", make_key("en"))
    answers = write_yaml(tmp_path / "ana.yaml", sheet(q1="9072"))
    other = {**make_key("en"), "module": "m7_risk_map"} if what == "key" else sheet(q1="1")
    target = write_yaml(tmp_path / "notes.csv", other)  # known by its content, not its name
    before = target.read_bytes()
    result = cli("training", "check", answers, "--key", key, "--out", target, "--overwrite")
    assert result.exit_code == 2, result.output
    assert f"is an answer {what}" in result.stderr
    assert target.read_bytes() == before
    assert not (tmp_path / "notes.csv.partial").exists()


def test_out_still_replaces_an_earlier_table_with_overwrite(cli, tmp_path):
    key = write_yaml(tmp_path / "answer_key.yaml", make_key("en"))
    answers = write_yaml(tmp_path / "ana.yaml", sheet(q1="9072"))
    target = tmp_path / "grades.csv"
    target.write_text("participant,score\nold,0\n", "utf-8")
    result = cli("training", "check", answers, "--key", key, "--out", target, "--overwrite")
    assert result.exit_code == 0, result.output
    assert "ana.yaml" in target.read_text("utf-8-sig")


# --- minor: class folders and odd answers --------------------------------------------------


def test_a_class_with_a_bad_sheet_and_a_key_in_it(cli, tmp_path):

    key = write_yaml(tmp_path / "answer_key.yaml", make_key("en"))
    folder = tmp_path / "class"
    folder.mkdir()
    write_yaml(folder / "a.yaml", {**sheet(q1="9,072"), "participant": "Ana"})
    write_yaml(folder / "b.yaml", {**sheet(q1="1"), "participant": "Ana"})
    write_yaml(folder / "c.yaml", {**sheet(q1="1"), "variant": "two"})
    write_yaml(folder / "key_copy.yaml", make_key("en"))
    out = tmp_path / "grades.csv"
    result = cli("training", "check", "--class", folder, "--key", key, "--out", out)
    assert result.exit_code == 1, result.output  # a sheet for another variant: bad data
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "c.yaml.variant" in lines[0]
    assert "no grades written" in lines[0]
    assert not out.exists()  # nothing half-written: the good sheets are not graded alone


def test_a_class_with_a_bad_sheet_shows_nothing_without_out(cli, tmp_path):
    """Without --out no table is shown either when a sheet cannot be graded: the one
    line naming the bad sheet (stderr) and exit 1."""
    key = write_yaml(tmp_path / "answer_key.yaml", make_key("en"))
    folder = tmp_path / "class"
    folder.mkdir()
    write_yaml(folder / "a.yaml", {**sheet(q1="9,072"), "participant": "Ana"})
    write_yaml(folder / "c.yaml", {**sheet(q1="1"), "variant": "two"})
    result = cli("training", "check", "--class", folder, "--key", key)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "c.yaml" in lines[0] and "no grades written" in lines[0]
    assert result.stdout == ""
    assert sorted(tmp_path.iterdir()) == sorted([key, folder])  # nothing written


def test_check_answers_returns_the_file_of_each_grade(tmp_path):
    key = write_yaml(tmp_path / "answer_key.yaml", make_key("en"))
    folder = tmp_path / "class"
    folder.mkdir()
    write_yaml(folder / "x.yaml", sheet(q1="9072"))
    grades, table = check_answers(key_path=key, class_dir=folder)
    assert [g.file for g in grades] == ["x.yaml"] and list(table["file"]) == ["x.yaml"]


@pytest.mark.parametrize(
    ("answer", "status"),
    [("   ", "unanswered"), ({"x": 9072}, "unreadable"), ([9072], "unreadable")]
    + [("e5", "unreadable"), ("5-", "unreadable"), ("5e", "unreadable"), ("x5", "unreadable")],
)
def test_odd_answers(answer, status):
    assert outcome(make_key("en"), "q1", answer)["status"] == status


def test_a_share_for_a_percent_gets_a_hint():
    result = outcome(make_key("en"), "q8", 0.68)
    assert result["status"] == "wrong" and "68 %" in result["feedback"]
    assert outcome(make_key("en"), "q8", "68 %")["status"] == "right"


@pytest.mark.parametrize(
    "lang, words",
    [("en", "two sheets of one participant"), ("fr", "deux feuilles d'un même participant")],
)
def test_a_sheet_saved_twice_is_refused_not_counted_twice(cli, tmp_path, lang, words):
    """bob.yaml and Bob.yml (a sheet saved again with the other extension) would be two
    rows of one participant: refused in one line naming both, nothing written."""
    key = write_yaml(tmp_path / "answer_key.yaml", make_key(lang))
    folder = tmp_path / "class"
    folder.mkdir()
    write_yaml(folder / "ana.yaml", {**sheet(q1="9,072"), "participant": "Ana", "lang": lang})
    write_yaml(folder / "bob.yaml", {**sheet(q1="1"), "participant": "Bob", "lang": lang})
    write_yaml(folder / "Bob.yml", {**sheet(q1="2"), "participant": "Bob", "lang": lang})
    out = tmp_path / "grades.csv"
    result = cli("training", "check", "--class", folder, "--key", key, "--out", out)
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Bob.yml" in lines[0] and "bob.yaml" in lines[0], lines
    assert words in lines[0]
    assert not out.exists()
    (folder / "Bob.yml").unlink()  # one sheet each: graded
    result = cli("training", "check", "--class", folder, "--key", key, "--out", out)
    assert result.exit_code == 0, result.output
    assert len(out.read_text(encoding="utf-8-sig").strip().splitlines()) == 3  # header + 2
