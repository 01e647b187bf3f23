"""Training content as data: module structure, complete locales, and grading rules.

These tests need no engine run: the modules and locales are read as files, and the
grading rules are checked on small keys written here.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from mecc.errors import ConfigError, DataError, InputFileError
from training_modules.catalogue import (
    LOCALES_DIR,
    QUESTION_KINDS,
    load_catalogue,
    locale_problems,
    required_keys,
)
from training_modules.grading import check_answers, grade, parse_number, read_sheet

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


# --- modules -----------------------------------------------------------------------------


def test_eight_modules_each_complete(catalogue):
    modules = list(catalogue.modules.values())
    assert [m.number for m in modules] == list(range(1, 9))
    kinds = set()
    for module in modules:
        data = module.data
        assert data["competencies"] and data["objectives"], module.id
        assert data["steps"] and any(s.get("commands") for s in data["steps"]), module.id
        assert any(s.get("checkpoint") for s in data["steps"]), module.id
        assert data.get("maps") or data.get("tables"), module.id  # the no-install track
        assert len(data["quiz"]) >= 3 and data["debrief"] and data["notes"], module.id
        assert sum(a["minutes"] for a in data["agenda"]) == data["minutes"]
        questions = data["questions"]
        assert {"numeric", "rubric"} <= {q["kind"] for q in questions}, module.id
        assert any(q.get("mistakes") for q in questions), module.id
        kinds |= {q["kind"] for q in questions}
        for question in questions:
            if question["kind"] == "numeric":
                # the expected number is a fact computed from the run, never a number
                assert isinstance(question["answer"], str), (module.id, question["id"])
                assert question["answer"] in data["facts"]
    assert kinds == set(QUESTION_KINDS)


def test_commands_of_the_analyst_track_are_mecc_commands(catalogue):
    from cli import main

    names = set(main.commands)
    for module in catalogue.modules.values():
        for step in module.items("steps"):
            for command in step.get("commands") or []:
                words = command.split()
                assert words[0] == "mecc" and words[1] in names, command


def test_module_errors_name_the_file_and_field(tmp_path):
    source = ROOT / "training_modules" / "modules" / "m1_concepts.yaml"
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    cases = [
        ({"level": "expert"}, "m1_concepts.yaml.level"),
        ({"minutes": 95}, "m1_concepts.yaml.agenda: 90 minutes"),
        ({"colour": "red"}, "unknown key(s) colour"),
    ]
    for change, message in cases:
        folder = tmp_path / str(len(message))
        folder.mkdir()
        (folder / "m1_concepts.yaml").write_text(yaml.safe_dump({**data, **change}), "utf-8")
        with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
            load_catalogue(modules_dir=folder)
    broken = dict(data)
    broken["questions"] = [{**data["questions"][3], "answer": "no_such_fact"}]
    folder = tmp_path / "fact"
    folder.mkdir()
    (folder / "m1_concepts.yaml").write_text(yaml.safe_dump(broken), "utf-8")
    with pytest.raises(ConfigError, match="fact 'no_such_fact' is not defined"):
        load_catalogue(modules_dir=folder)


def test_the_installed_package_ships_every_content_file():
    import fnmatch
    import tomllib

    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]
    base = ROOT / "training_modules"
    files = [
        p.relative_to(base).as_posix() for p in base.rglob("*") if p.is_file() and p.suffix != ".py"
    ]
    files = [f for f in files if "__pycache__" not in f]
    assert len(files) >= 8 + 3 * 9 + 1
    missing = [
        f for f in files if not any(fnmatch.fnmatch(f, pat) for pat in patterns["training_modules"])
    ]
    assert missing == []


# --- locales -----------------------------------------------------------------------------


def test_english_french_and_spanish_are_complete(catalogue):
    assert {"en", "fr", "es"} <= set(catalogue.languages)
    for lang in ("en", "fr", "es"):
        assert locale_problems(catalogue, lang) == [], lang


def test_every_module_key_english_has_is_needed(catalogue):
    for module_id, module in catalogue.modules.items():
        words = yaml.safe_load((LOCALES_DIR / "en" / f"{module_id}.yaml").read_text("utf-8"))
        assert words["title"] and required_keys(module) >= {"title", "scenario"}


def _copy_locale(tmp_path, lang="fr", name="xx"):
    target = tmp_path / "locales" / name
    shutil.copytree(LOCALES_DIR / lang, target)
    return tmp_path / "locales", target


def test_missing_stale_and_placeholder_problems_are_found(tmp_path):
    base, folder = _copy_locale(tmp_path)
    path = folder / "m4_displacement.yaml"
    words = yaml.safe_load(path.read_text("utf-8"))
    del words["questions"]["q2"]["text"]  # missing
    words["questions"]["q9"] = {"text": "plus utilisé"}  # stale
    words["questions"]["q3"]["text"] = "sans le paramètre"  # lost {return_period}
    path.write_text(yaml.safe_dump(words, allow_unicode=True), "utf-8")
    common = folder / "common.yaml"
    text = yaml.safe_load(common.read_text("utf-8"))
    del text["guide"]["debrief"]
    common.write_text(yaml.safe_dump(text, allow_unicode=True), "utf-8")
    problems = locale_problems(load_catalogue([base]), "xx")
    assert "xx/m4_displacement: missing questions.q2.text" in problems
    assert "xx/m4_displacement: stale questions.q9.text" in problems
    assert any("questions.q3.text has other {placeholders}" in p for p in problems)
    assert "xx/common: missing guide.debrief" in problems
    from training_modules.pack import build_pack

    with pytest.raises(ConfigError, match="training locale xx is incomplete"):
        build_pack(tmp_path / "pack", langs=["xx"], locales=[base])
    assert not (tmp_path / "pack").exists()


def test_an_english_key_no_module_uses_is_stale(tmp_path):
    folder = tmp_path / "modules"
    shutil.copytree(ROOT / "training_modules" / "modules", folder)
    path = folder / "m7_risk_map.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))
    data["debrief"] = data["debrief"][:-1]  # d3 is no longer used
    path.write_text(yaml.safe_dump(data), "utf-8")
    problems = locale_problems(load_catalogue(modules_dir=folder), "en")
    assert problems == ["en/m7_risk_map: stale debrief.d3"]


def test_unknown_language_and_module_are_usage_errors(catalogue, tmp_path):
    with pytest.raises(ConfigError, match="--lang pt: no training locale 'pt'"):
        catalogue.words("pt", "common")
    with pytest.raises(ConfigError, match="--module m9: no such training module"):
        catalogue.module("m9")
    assert catalogue.module("4").id == catalogue.module("m4").id == "m4_displacement"
    with pytest.raises(InputFileError, match="locale folder not found"):
        load_catalogue([tmp_path / "missing"])


# --- grading rules on a small key ----------------------------------------------------------

KEY = {
    "kind": "mecc_training_answer_key",
    "module": "m9_test",
    "variant": 0,
    "lang": "fr",
    "number_format": {"decimal": ",", "group": "\u202f"},
    "messages": {
        "right": "Juste.",
        "wrong": "Inexact.",
        "mistake": "Erreur probable :",
        "unanswered": "Pas de réponse.",
        "unreadable": "Pas un nombre.",
        "scored": "Noté.",
        "provisional": "Provisoire.",
    },
    "questions": {
        "q1": {
            "kind": "numeric",
            "answer": 1000.0,
            "tolerance": {"relative": 0.02, "absolute": 0.5},
            "points": 1,
            "mistakes": [{"id": "per_week", "value": 7000.0, "feedback": "Par semaine."}],
        },
        "q2": {
            "kind": "map",
            "answer": "b",
            "options": {"a": "Alvora", "b": "Joval", "c": "Kessa"},
            "option_codes": {"a": "XMR0101", "b": "XMR0310", "c": "XMR0311"},
            "points": 1,
            "mistakes": [{"id": "legend", "option": "c", "feedback": "Légende inversée."}],
        },
        "q3": {
            "kind": "rubric",
            "points": 3,
            "answer": {"rubric": {"c1": 2, "c2": 1}},
            "criteria": {
                "c1": {"points": 2, "keywords": ["modélisé"]},
                "c2": {"points": 1, "keywords": ["fourchette"]},
            },
        },
    },
    "quiz": {"p1": {"answer": "a"}, "p2": {"answer": "c"}},
}


def _sheet(answers, **extra):
    return {
        "kind": "mecc_training_answers",
        "module": "m9_test",
        "variant": 0,
        "answers": answers,
        **extra,
    }


def _by_id(result):
    return {r["id"]: r for r in result.questions}


def test_numbers_in_the_languages_formats():
    french = {"decimal": ",", "group": "\u202f"}
    assert parse_number("1\u202f234,5", french) == 1234.5
    assert parse_number("1 234,5 personnes", french) == 1234.5
    assert parse_number("1,234.5", {"decimal": ".", "group": ","}) == 1234.5
    # where the decimal mark is a comma, a point can only group thousands (es: "12.500")
    assert parse_number("12.500", {"decimal": ",", "group": "\u00a0"}) == 12500.0
    assert parse_number(True, french) is None and parse_number("beaucoup", french) is None


def test_right_answers_mistakes_and_wrong_answers():
    right = grade(
        _sheet({"q1": "1\u202f010", "q2": "Joval", "q3": {"rubric": {"c1": 2, "c2": 1}}}), KEY
    )
    assert right.score == right.total == 5 and right.percent == 100
    mistaken = _by_id(grade(_sheet({"q1": 7000, "q2": "C", "q3": "c'est modélisé"}), KEY))
    assert (
        mistaken["q1"]["mistakes"] == ["per_week"] and "Par semaine." in mistaken["q1"]["feedback"]
    )
    assert mistaken["q2"]["mistakes"] == ["legend"] and mistaken["q2"]["points"] == 0
    assert mistaken["q3"] == {**mistaken["q3"], "points": 2.0, "status": "provisional"}
    wrong = _by_id(grade(_sheet({"q1": 4321, "q2": "a", "q3": "xyzzy"}), KEY))
    assert [wrong[q]["points"] for q in ("q1", "q2", "q3")] == [0, 0, 0]
    assert wrong["q1"]["mistakes"] == [] and wrong["q1"]["feedback"] == "Inexact."
    empty = _by_id(grade(_sheet({"q1": "", "q2": None}), KEY))
    assert empty["q1"]["status"] == empty["q3"]["status"] == "unanswered"
    assert _by_id(grade(_sheet({"q1": "beaucoup"}), KEY))["q1"]["status"] == "unreadable"
    capped = grade(_sheet({"q3": {"rubric": {"c1": 5, "c2": -1}}}), KEY)
    assert capped.score == 2  # points are kept within each criterion's maximum


def test_quiz_before_and_after():
    result = grade(
        _sheet({}, quiz_pre={"p1": "b", "p2": "c"}, quiz_post={"p1": "a", "p2": "c"}), KEY
    )
    assert (result.quiz_pre, result.quiz_post) == (50.0, 100.0)
    assert grade(_sheet({}, quiz_pre={"p1": None}), KEY).quiz_pre is None


def test_sheets_for_another_module_variant_or_question_are_refused():
    # the key is French: the reasons are in its language; another module or variant is a
    # sheet that cannot be used (bad data), an unknown question bad usage of the key
    with pytest.raises(
        DataError, match="réponses pour m1_concepts, mais le corrigé est pour m9_test"
    ):
        grade({**_sheet({}), "module": "m1_concepts"}, KEY)
    with pytest.raises(
        DataError, match="réponses pour la variante 2, mais le corrigé est pour la variante 0"
    ):
        grade({**_sheet({}), "variant": 2}, KEY)
    with pytest.raises(ConfigError, match=r"answers: question\(s\) inconnue\(s\) : q7"):
        grade(_sheet({"q7": 1}), KEY)


def test_check_tool_and_class_table(tmp_path):
    key = tmp_path / "answer_key.yaml"
    key.write_text(yaml.safe_dump(KEY, allow_unicode=True), "utf-8")
    assert grade(read_sheet(key), KEY).percent == 100  # the key's answers against itself
    with pytest.raises(ConfigError, match="c'est un corrigé, pas la feuille"):  # not a sheet
        check_answers(key, key)
    sheets = tmp_path / "class"
    sheets.mkdir()
    for name, answers in (("ana", {"q1": 1000, "q2": "b"}), ("ben", {"q1": 7000, "q2": "a"})):
        (sheets / f"{name}.yaml").write_text(
            yaml.safe_dump(_sheet(answers, participant=name)), "utf-8"
        )
    (sheets / "notes.txt").write_text("not a sheet", "utf-8")
    grades, table = check_answers(None, key, sheets, tmp_path / "out" / "grades.csv")
    assert list(table["participant"]) == ["ana", "ben"]
    assert list(table["score"]) == [2.0, 0.0] and list(table["q1"]) == [1.0, 0.0]
    assert table["mistakes"].iloc[1] == "q1: Par semaine."  # as the feedback names it
    raw = (tmp_path / "out" / "grades.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"ben" in raw


def test_check_tool_bad_input(tmp_path):
    key = tmp_path / "key.yaml"
    key.write_text(yaml.safe_dump(KEY), "utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text("answers: [1, 2\n", "utf-8")
    plain = tmp_path / "plain.yaml"
    plain.write_text("module: m9_test\n", "utf-8")
    with pytest.raises(ConfigError, match=r"bad.yaml: YAML syntax error at line 2, column 1: "):
        read_sheet(bad)
    with pytest.raises(ConfigError, match=r"plain.yaml.kind: expected mecc_training_answers"):
        read_sheet(plain)
    with pytest.raises(ConfigError, match="plain.yaml: not an answer key"):
        check_answers(key, plain)
    with pytest.raises(InputFileError, match="nothing.yaml: not found"):
        check_answers(tmp_path / "nothing.yaml", key)
    with pytest.raises(ConfigError, match="give either one ANSWERS file or --class DIR"):
        check_answers(key, key, tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputFileError, match="no answer sheets"):
        check_answers(None, key, empty)


def test_check_command(cli, tmp_path):
    key = tmp_path / "key.yaml"
    key.write_text(yaml.safe_dump(KEY, allow_unicode=True), "utf-8")
    sheet = tmp_path / "sheet.yaml"
    sheet.write_text(yaml.safe_dump(_sheet({"q1": 7000, "q2": "b"}, participant="Ana")), "utf-8")
    result = cli("training", "check", sheet, "--key", key)
    assert result.exit_code == 0, result.output
    assert "Ana: 1 / 5 (20 %)" in result.output
    assert "q1: 0/1 inexact - Erreur probable : Par semaine." in result.output  # the key's
    assert "q3: 0/3 sans réponse" in result.output  # language (French) for the status too
    missing = cli("training", "check", tmp_path / "none.yaml", "--key", key)
    assert missing.exit_code == 1 and missing.output.count("\n") == 1
    neither = cli("training", "check", "--key", key)
    assert neither.exit_code == 2 and "give either one ANSWERS file" in neither.output


# --- answers written as text, quiz letters, where the grades go -----------------------------


ENGLISH = {"decimal": ".", "group": ","}


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("1.0876e4", 10876.0),  # scientific notation: the right answer, not 1.08764
        ("1.0876E+4 people", 10876.0),
        ("10,876", 10876.0),
        ("10 876 people", 10876.0),
        ("about 10,900", 10900.0),
        ("461.1 per 100,000 residents per year", None),  # without the key's unit: two numbers
        ("19319 (range 5,657 to 19,319)", None),  # not one number (was 19319565719319)
        ("1/2", None),  # a fraction is not one number (was 12)
        ("10,87", None),  # not grouped by thousands (was 1087)
        ("5 to 10", None),
        ("1e999", None),
    ],
)
def test_text_answers_are_one_number_or_none(text, number):
    assert parse_number(text, ENGLISH) == number


def test_text_answers_in_french_and_with_the_questions_unit():
    french = {"decimal": ",", "group": "\u202f"}
    assert parse_number("1,0876e4", french) == 10876.0
    assert parse_number("1\u202f087,6", french) == 1087.6
    assert parse_number("1\u202f087,6 pour 100\u202f000", french) is None
    unit = "pour 100\u202f000 habitants"
    assert parse_number("1\u202f087,6 pour 100\u202f000 habitants", french, unit) == 1087.6


def test_an_answer_that_is_not_one_number_is_unreadable_not_wrong(tmp_path):
    results = _by_id(grade(_sheet({"q1": "1000 (fourchette 900 à 1\u202f100)"}), KEY))
    assert results["q1"]["status"] == "unreadable" and results["q1"]["points"] == 0
    assert results["q1"]["feedback"] == "Pas un nombre." and results["q1"]["mistakes"] == []
    assert _by_id(grade(_sheet({"q1": "1e3"}), KEY))["q1"]["status"] == "right"
    assert _by_id(grade(_sheet({"q1": "1/2"}), KEY))["q1"]["status"] == "unreadable"
    key = tmp_path / "key.yaml"
    key.write_text(yaml.safe_dump(KEY, allow_unicode=True), "utf-8")
    sheet = tmp_path / "ana.yaml"
    sheet.write_text(yaml.safe_dump(_sheet({"q1": "1/2", "q2": "b"}, participant="Ana")), "utf-8")
    _, table = check_answers(sheet, key)
    assert table["unreadable"].iloc[0] == "q1"  # the class table names the question


def test_quiz_letters_are_normalised_like_choice_answers():
    result = grade(
        _sheet({}, quiz_pre={"p1": " A) ", "p2": "c."}, quiz_post={"p1": "(a)", "p2": "C"}), KEY
    )
    assert (result.quiz_pre, result.quiz_post) == (100.0, 100.0)
    assert grade(_sheet({}, quiz_pre={"p1": "b)", "p2": "c"}), KEY).quiz_pre == 50.0
    assert _by_id(grade(_sheet({"q2": " B. "}), KEY))["q2"]["status"] == "right"


def test_unknown_quiz_items_are_refused_like_unknown_questions():
    with pytest.raises(
        ConfigError, match=r"answers.quiz_pre: item\(s\) de quiz inconnu\(s\) : p99"
    ):
        grade(_sheet({}, quiz_pre={"p1": "a", "p99": "x"}), KEY)
    with pytest.raises(
        ConfigError, match=r"answers.quiz_post: item\(s\) de quiz inconnu\(s\) : p7"
    ):
        grade(_sheet({}, quiz_post={"p7": "a"}), KEY)


def test_the_grades_never_replace_the_key_or_a_sheet(tmp_path, cli):
    from mecc.errors import OutputExistsError

    key = tmp_path / "key.yaml"
    key.write_text(yaml.safe_dump(KEY, allow_unicode=True), "utf-8")
    sheets = tmp_path / "class"
    sheets.mkdir()
    sheet = sheets / "ana.yaml"
    sheet.write_text(yaml.safe_dump(_sheet({"q1": 1000}, participant="Ana")), "utf-8")
    before = {p: p.read_bytes() for p in (key, sheet)}
    for answers, class_dir, out in (
        (sheet, None, key),
        (sheet, None, sheet),
        (None, sheets, tmp_path / "class" / "." / "ana.yaml"),
    ):
        for overwrite in (False, True):
            with pytest.raises(ConfigError, match="write the grades to another file"):
                check_answers(answers, key, class_dir, out, overwrite)
    assert {p: p.read_bytes() for p in (key, sheet)} == before
    grades_csv = tmp_path / "grades.csv"
    grades_csv.write_text("earlier grades", "utf-8")
    with pytest.raises(OutputExistsError, match="use --overwrite"):
        check_answers(sheet, key, None, grades_csv)
    assert grades_csv.read_text("utf-8") == "earlier grades"
    check_answers(sheet, key, None, grades_csv, overwrite=True)
    assert "Ana" in grades_csv.read_text("utf-8-sig")
    refused = cli("training", "check", sheet, "--key", key, "--out", key)
    assert refused.exit_code == 2 and "is the answer key" in refused.output
    assert key.read_bytes() == before[key]
    exists = cli("training", "check", sheet, "--key", key, "--out", grades_csv)
    assert exists.exit_code == 2 and "--overwrite" in exists.output
    again = cli("training", "check", sheet, "--key", key, "--out", grades_csv, "--overwrite")
    assert again.exit_code == 0, again.output


# --- variants -----------------------------------------------------------------------------


def test_variants_combine_the_knobs_and_say_how_many_there_are(catalogue):
    from training_modules.scenario import check_variant, knob_values, variant_count

    m4 = catalogue.module("m4")
    combinations = [tuple(knob_values(m4, v).values()) for v in range(16)]
    assert len(set(combinations)) == 16 == variant_count(m4)  # every pair once
    lists = m4.data["knobs"]
    assert combinations[:4] == list(zip(*lists.values(), strict=True))  # 0-3 as written
    m8 = catalogue.module("m8")
    assert variant_count(m8) == 7 * 4 * 4  # the forecast track (N modulo 7) and two knobs
    assert len({(v % 7, *knob_values(m8, v).values()) for v in range(112)}) == 112
    counts = {m.id: variant_count(m) for m in catalogue.modules.values()}
    # a workshop of six groups can build every module: at least six variants each
    assert counts["m7_risk_map"] == 6 and counts["m3_exposure"] == 6
    assert min(c for c in counts.values() if c is not None) == 6
    assert counts["m2_loss_records"] is None  # variant-seeded records: every variant differs
    check_variant([m4], 15)
    with pytest.raises(ConfigError, match=r"--variant 16: m4_displacement has 16 distinct var"):
        check_variant([m4], 16)
    with pytest.raises(
        ConfigError, match=r"m(3_exposure|7_risk_map) has 6 distinct variants.*0 to 5"
    ):
        check_variant(list(catalogue.modules.values()), 6)


def test_a_variant_beyond_the_distinct_ones_is_refused_before_any_work(tmp_path, cli):
    result = cli("training", "build", "--module", "m7", "--variant", "6", "--out", tmp_path / "p")
    assert result.exit_code == 2 and result.output.count("\n") == 1
    assert "m7_risk_map has 6 distinct variants, so give --variant 0 to 5" in result.output
    assert not (tmp_path / "p").exists()
