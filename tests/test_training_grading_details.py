"""Details of grading a class and of the facilitator's pages: files of a class folder
that are not ``*.yaml`` (graded when they are sheets, else named with why), a workbook
given as a sheet, two sheets naming one participant, the mistakes column in the key's
language, rubric points given as a list, mistakes' values below 1 in the guide, the
precision a rate question asks for, the index's links to the key and the blank sheet,
and the questions whose answer is the same in every group variant.

The packs are built once (module 2 as group 1 in three languages, module 4 as groups 0
and 1 in English), without interactive maps.
"""

from __future__ import annotations

import re
import shutil

import openpyxl
import pandas as pd
import pytest
import yaml

from mecc.errors import ConfigError, DataError

M2, M4 = "m2_loss_records", "m4_displacement"


@pytest.fixture(scope="module")
def packs(tmp_path_factory):
    from training_modules.pack import build_pack

    root = tmp_path_factory.mktemp("details")
    out = {}
    for name, module, langs, variant in (
        ("m2", M2, ["en", "fr", "es"], 1),
        ("m4", M4, ["en"], 0),
        ("m4v1", M4, ["en"], 1),
    ):
        build_pack(
            root / name, modules=[module], langs=langs, variant=variant, interactive_maps=False
        )
        out[name] = root / name
    return out


def key_path(pack, module, lang="en"):
    return pack / lang / "facilitator" / module / "answer_key.yaml"


def blank_sheet(pack, module, lang="en") -> dict:
    path = pack / lang / "participants" / module / "answer_sheet.yaml"
    return yaml.safe_load(path.read_text("utf-8"))


def write_yaml(path, data):
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def read_key(path) -> dict:
    return yaml.safe_load(path.read_text("utf-8"))


# --- 1. a class folder's files that are not *.yaml -----------------------------------------


def test_a_class_grades_sheets_saved_as_text_and_names_the_files_it_does_not_grade(
    cli, packs, tmp_path
):
    pack = packs["m4"]
    key = key_path(pack, M4)
    answer = read_key(key)["questions"]["q1"]["answer"]
    folder = tmp_path / "cls"
    folder.mkdir()
    sheet = blank_sheet(pack, M4)
    write_yaml(folder / "a.yaml", {**sheet, "participant": "Ana"})
    write_yaml(folder / "b.yaml.txt", {**sheet, "participant": "Beto", "answers": {"q1": answer}})
    write_yaml(folder / "d.txt", {**sheet, "participant": "Dora"})
    book = openpyxl.Workbook()
    book.active.append(["q1", 9072])
    book.save(folder / "c.xlsx")
    (folder / "notes.txt").write_text("Ana came late", "utf-8")
    (folder / "desktop.ini").write_text("[.ShellClassInfo]", "utf-8")  # a file manager's
    out = tmp_path / "g.csv"
    result = cli("training", "check", "--class", folder, "--key", key, "--out", out)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert list(table["file"]) == ["a.yaml", "b.yaml.txt", "d.txt"]
    assert list(table["participant"]) == ["Ana", "Beto", "Dora"]
    assert list(table["q1"]) == [0, 1, 0]  # b.yaml.txt graded like b.yaml
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 2, result.stderr
    assert warnings[0].startswith("warning: c.xlsx: not graded: a workbook or other office")
    assert "answer_sheet.yaml, a text file" in warnings[0]
    assert warnings[1].startswith("warning: notes.txt: not graded: expected mecc_training_answers")
    # run again with --out inside the folder: the table written there is not a sheet
    again = folder / "grades.csv"
    result = cli("training", "check", "--class", folder, "--key", key, "--out", again)
    assert result.exit_code == 0, result.output
    result = cli(
        "training", "check", "--class", folder, "--key", key, "--out", again, "--overwrite"
    )
    assert result.exit_code == 0, result.output
    assert "grades.csv" not in result.stderr


def test_not_graded_files_are_named_in_the_keys_language(packs, tmp_path, recwarn):
    from training_modules.grading import check_answers

    pack = packs["m2"]
    folder = tmp_path / "cls"
    folder.mkdir()
    write_yaml(folder / "ana.yaml", {**blank_sheet(pack, M2, "fr"), "participant": "Ana"})
    (folder / "ben.xlsx").write_bytes(b"PK\x03\x04" + b"\0" * 40)
    check_answers(None, key_path(pack, M2, "fr"), folder)
    said = [str(w.message) for w in recwarn]
    assert said == [
        "ben.xlsx : non noté : un classeur ou un autre document bureautique, pas une feuille "
        "de réponses : les feuilles de réponses sont le fichier answer_sheet.yaml du kit, un "
        "fichier texte ; écrivez les réponses dans ce fichier avec un éditeur de texte "
        "(Bloc-notes) et enregistrez-le en texte"
    ]


def test_a_sheet_saved_as_text_with_a_yaml_of_the_same_name_is_one_participant(packs, tmp_path):
    from training_modules.grading import check_answers

    pack = packs["m4"]
    folder = tmp_path / "cls"
    folder.mkdir()
    write_yaml(folder / "bob.yaml", {**blank_sheet(pack, M4), "participant": ""})
    shutil.copy(folder / "bob.yaml", folder / "bob.yaml.txt")
    with pytest.raises(DataError, match=r"bob\.yaml and bob\.yaml\.txt are two sheets of one"):
        check_answers(None, key_path(pack, M4), folder)


# --- 2. a workbook given as the answer sheet --------------------------------------------------


def test_a_workbook_as_the_sheet_says_what_an_answer_sheet_is(cli, packs, tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["q1", 9072])
    book.save(tmp_path / "c.xlsx")
    result = cli("training", "check", tmp_path / "c.xlsx", "--key", key_path(packs["m4"], M4))
    assert result.exit_code == 1
    line = result.stderr.strip()
    assert line == (
        f"error: {tmp_path / 'c.xlsx'}: a workbook or other office document, not an answer "
        "sheet: answer sheets are the pack's answer_sheet.yaml, a text file; type the answers "
        "into that file with a text editor (Notepad) and save it as text"
    )
    assert "UTF-8" not in line


# --- 7. two sheets naming one participant ------------------------------------------------


def test_two_sheets_naming_one_participant_are_refused(cli, packs, tmp_path):
    pack = packs["m4"]
    folder = tmp_path / "cls"
    folder.mkdir()
    sheet = blank_sheet(pack, M4)
    write_yaml(folder / "a.yaml", {**sheet, "participant": "Ana"})
    write_yaml(folder / "b.yaml", {**sheet, "participant": " ana "})
    out = tmp_path / "g.csv"
    result = cli("training", "check", "--class", folder, "--key", key_path(pack, M4), "--out", out)
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error: a.yaml and b.yaml both name the participant  ana ; no grades written: keep "
        "one of them in the folder, or write each participant's full name in the sheet, "
        "then run again"
    )
    assert not out.exists()
    write_yaml(folder / "b.yaml", {**sheet, "participant": "Ana María"})
    result = cli("training", "check", "--class", folder, "--key", key_path(pack, M4), "--out", out)
    assert result.exit_code == 0, result.output


# --- 6. the mistakes column in the key's language ----------------------------------------


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_the_mistakes_column_names_mistakes_in_the_keys_language(packs, tmp_path, lang):
    from training_modules.grading import check_answers

    pack = packs["m2"]
    key = key_path(pack, M2, lang)
    entry = read_key(key)["questions"]["q1"]
    folder = tmp_path / "cls"
    folder.mkdir()
    value = f"{entry['mistakes'][0]['value']:.0f}"
    write_yaml(folder / "a.yaml", {**blank_sheet(pack, M2, lang), "answers": {"q1": value}})
    _, table = check_answers(None, key, folder)
    words = {
        "en": "The record entered twice was counted twice",
        "fr": "La fiche saisie deux fois",
        "es": "El registro",
    }[lang]
    assert table.loc[0, "mistakes"] == f"q1: {entry['mistakes'][0]['feedback']}"
    assert table.loc[0, "mistakes"].startswith(f"q1: {words}")
    assert "kept_duplicate" not in table.loc[0, "mistakes"]


# --- 8. rubric points given as a list --------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "lang", "line"),
    [
        (
            "[2, 1, 1]",
            "en",
            "answers.q7.rubric: give the points of each criterion by its name, as in "
            "{c1: 2, c2: 1, c3: 1}, not [2, 1, 1]",
        ),
        (
            "4",
            "fr",
            "answers.q7.rubric: donnez les points de chaque critère par son nom, comme dans "
            "{c1: 2, c2: 1, c3: 1}, pas 4",
        ),
    ],
)
def test_rubric_points_given_as_a_list_are_refused(cli, packs, tmp_path, given, lang, line):
    pack = packs["m2"]
    sheet = tmp_path / "a.yaml"
    text = yaml.safe_dump({**blank_sheet(pack, M2, lang), "answers": {}}, allow_unicode=True)
    text = text.replace("answers: {}", f'answers:\n  q7: {{text: "x", rubric: {given}}}')
    sheet.write_text(text, "utf-8")
    result = cli("training", "check", sheet, "--key", key_path(pack, M2, lang))
    assert result.exit_code != 0
    assert result.stderr.strip() == f"error: {sheet}.{line}"


def test_rubric_points_as_a_list_are_refused_by_grade_rubric():
    from training_modules.rubric import grade_rubric

    entry = {"criteria": {"c1": {"points": 2, "keywords": ["x"]}, "c2": {"points": 1}}}
    with pytest.raises(ConfigError, match=r"^s\.answers\.q7\.rubric: give the points .*\[2, 1\]$"):
        grade_rubric(entry, {"text": "x", "rubric": [2, 1]}, {"lang": "en"}, "s.answers.q7", float)


# --- 3. a mistake's value below 1 in the guide -------------------------------------------


def test_the_guide_shows_small_mistake_values_with_significant_digits(packs):
    pack = packs["m2"]
    entry = read_key(key_path(pack, M2))["questions"]["q2"]
    value = entry["mistakes"][0]["value"]
    assert 0.001 < value < 0.01  # per 1,000: a hundredth of the rate
    page = (pack / "en" / "facilitator" / M2 / "guide.html").read_text("utf-8")
    assert f"{value:.4f} per 1,000 residents" in page
    assert "0.00 per 1,000 residents" not in page
    french = (pack / "fr" / "facilitator" / M2 / "guide.html").read_text("utf-8")
    assert f"{value:.4f}".replace(".", ",") + " pour 1" in french


def test_shown_decimals():
    from training_modules.guide import shown_decimals

    assert shown_decimals(0.00424, 2) == 4
    assert shown_decimals(0.424, 2) == 2
    assert shown_decimals(0.4, 0) == 2  # 0.40: two significant digits
    assert shown_decimals(17.0, 0) == 0 and shown_decimals(0.0, 1) == 1


# --- 4. the precision a rate question asks for ------------------------------------------


@pytest.mark.parametrize(
    ("lang", "words"),
    [("en", "with two decimals"), ("fr", "avec deux décimales"), ("es", "con dos decimales")],
)
def test_rate_questions_say_the_precision_they_ask_for(packs, lang, words):
    pack = packs["m2"]
    key = read_key(key_path(pack, M2, lang))
    handout = (pack / lang / "participants" / M2 / "handout.html").read_text("utf-8")
    for qid in ("q2", "q3"):
        assert words in key["questions"][qid]["text"]
        assert key["questions"][qid]["text"].split(" (")[0] in handout
    assert handout.count(words) == 2


def test_a_rate_rounded_as_asked_is_right(packs):
    from training_modules.grading import grade
    from training_modules.grading import read_key as read

    key = read(key_path(packs["m2"], M2))
    answers = {q: f"{key['questions'][q]['answer']:.2f}" for q in ("q2", "q3")}
    result = grade({"kind": "mecc_training_answers", "answers": answers}, key)
    assert {r["id"]: r["status"] for r in result.questions if r["id"] in answers} == {
        "q2": "right",
        "q3": "right",
    }


# --- 5. the index links the answer key and the blank answer sheet ------------------------


@pytest.mark.parametrize(
    ("lang", "head", "key_word", "sheet_word"),
    [
        ("en", "Facilitator", "answer key (YAML)", "blank answer sheet (YAML)"),
        ("fr", "Animateur", "corrigé (YAML)", "feuille de réponses vierge (YAML)"),
        ("es", "Facilitador", "clave de respuestas (YAML)", "hoja de respuestas en blanco (YAML)"),
    ],
)
def test_the_index_links_the_answer_key_and_the_answer_sheet(
    packs, lang, head, key_word, sheet_word
):
    pack = packs["m2"]
    page = (pack / lang / "index.html").read_text("utf-8")
    links = dict(re.findall(r'<a href="([^"]+)">([^<]+)</a>', page))
    assert links[f"facilitator/{M2}/answer_key.yaml"] == key_word
    assert links[f"participants/{M2}/answer_sheet.yaml"] == sheet_word
    assert f"<th>{head}</th>" in page or f">{head}</th>" in page
    for link in links:
        assert (pack / lang / link).is_file(), link


# --- 9. questions whose answer is the same in every group variant --------------------------


def test_the_guide_names_the_questions_that_stay_the_same_and_they_do(packs):
    first, second = (read_key(key_path(packs[n], M4))["questions"] for n in ("m4", "m4v1"))
    same = sorted(
        q for q, e in first.items() if e["kind"] == "numeric" and e["answer"] == second[q]["answer"]
    )
    assert same == ["q4", "q5"]
    guide = (packs["m4v1"] / "en" / "facilitator" / M4 / "guide.html").read_text("utf-8")
    assert (
        "The answers to questions 4, 5 are the same in every group variant: "
        "<code>--variant</code> does not change the figures they ask for"
    ) in guide
    other = (packs["m2"] / "en" / "facilitator" / M2 / "guide.html").read_text("utf-8")
    assert "same in every group variant" not in other


def test_the_modules_mark_the_questions_that_stay_the_same():
    from training_modules.catalogue import load_catalogue

    catalogue = load_catalogue()
    marked = {
        module.id: [q["id"] for q in module.items("questions") if q.get("same_in_every_variant")]
        for module in catalogue.modules.values()
    }
    assert {m: qs for m, qs in marked.items() if qs} == {
        "m4_displacement": ["q4", "q5"],
        "m6_sendai_table": ["q3", "q6"],
        "m7_risk_map": ["q5"],
        "m8_policy_tabletop": ["q4", "q5", "q6"],
    }
