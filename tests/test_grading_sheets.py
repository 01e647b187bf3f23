"""Answer sheets as French, Spanish and English participants save them: Windows encodings,
numbers with or without YAML quotes, a French colon or a tab in the sheet, the same
question twice, quiz letters that are no option, and rubric keywords matched as words,
with their provisional points kept apart from the sure score.

The real keys of modules 1 and 2 are built once (no engine run, a few seconds); the
other tests use small keys written here.
"""

from __future__ import annotations

import codecs
import copy

import pandas as pd
import pytest
import yaml

from mecc.errors import ConfigError, InputFileError
from training_modules.answer_sheets import SheetText, read_sheet
from training_modules.grading import check_answers, grade, parse_number
from training_modules.rubric import keyword_found

SHEET = "kind: mecc_training_answers\nmodule: {module}\nvariant: 0\nparticipant: Ana\n"
FRENCH_COLON = "Enregistrer : le moment et la durée"


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    """``keys(lang, module)``: the path of a built answer key (modules 1 and 2)."""
    from training_modules.pack import build_pack

    out = tmp_path_factory.mktemp("keys") / "pack"
    build_pack(
        out, modules=["m1_concepts", "m2_loss_records"], langs=["en", "fr", "es"],
        interactive_maps=False,
    )  # fmt: skip

    def path(lang: str, module: str = "m2_loss_records"):
        return out / lang / "facilitator" / module / "answer_key.yaml"

    return path


def sheet_text(module="m2_loss_records", **answers) -> str:
    lines = "".join(f"  {q}: {a}\n" for q, a in answers.items())
    return SHEET.format(module=module) + "answers:\n" + lines


def by_id(result) -> dict:
    return {r["id"]: r for r in result.questions}


def graded(tmp_path, key_path, text: str, name="ana.yaml", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    (result,), _ = check_answers(path, key_path)
    return result


def one_line(result, *fragments):
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.output
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


# --- 1. sheets saved by Windows Notepad ------------------------------------------------


ENCODINGS = ["cp1252", "utf-16", "utf-16-le", "utf-16-be", "utf-8-sig", "utf-8"]


def _encode(text: str, encoding: str) -> bytes:
    if encoding in ("utf-16-le", "utf-16-be"):  # with Notepad's byte-order mark
        bom = codecs.BOM_UTF16_LE if encoding.endswith("le") else codecs.BOM_UTF16_BE
        return bom + text.encode(encoding)
    return text.encode(encoding)


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_notepad_encodings_are_graded(keys, tmp_path, encoding):
    text = sheet_text(q1="24", q7='"durée"')
    expected = graded(tmp_path, keys("fr"), text, "utf8.yaml")
    sheet = tmp_path / "ana.yaml"
    sheet.write_bytes(_encode(text, encoding))
    (result,), _ = check_answers(sheet, keys("fr"))
    assert result.questions == expected.questions and result.participant == "Ana"
    assert by_id(result)["q7"]["points"] > 0  # "durée" read with its accent: a keyword


def test_a_notepad_sheet_with_windows_line_ends_and_a_french_colon(keys, tmp_path):
    text = sheet_text(q1="24", q7=FRENCH_COLON).replace("\n", "\r\n")
    expected = graded(tmp_path, keys("fr"), sheet_text(q1="24", q7=f'"{FRENCH_COLON}"'))
    for encoding in ("cp1252", "utf-16"):
        result = graded(tmp_path, keys("fr"), text, encoding=encoding)
        assert result.questions == expected.questions and by_id(result)["q7"]["points"] > 0


def test_utf16_without_a_byte_order_mark(keys, tmp_path):
    text = sheet_text(q1="24", q7='"durée"')
    for codec in ("utf-16-le", "utf-16-be"):
        (tmp_path / "ana.yaml").write_bytes(text.encode(codec))
        (result,), _ = check_answers(tmp_path / "ana.yaml", keys("fr"))
        assert by_id(result)["q1"]["status"] == "right" and by_id(result)["q7"]["points"] > 0


def test_a_class_of_notepad_sheets(cli, keys, tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    text = sheet_text(q1="24", q7='"durée"')
    # three participants (one sheet each: two sheets naming one participant are refused)
    for encoding, name in (("cp1252", "Anaïs"), ("utf-16", "Bérénice"), ("utf-8", "Céline")):
        sheet = text.replace("participant: Ana\n", f"participant: {name}\n")
        (folder / f"{encoding}.yaml").write_bytes(_encode(sheet, encoding))
    out = tmp_path / "notes.csv"
    result = cli("training", "check", "--class", folder, "--key", keys("fr"), "--out", out)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert list(table["q1"]) == [1, 1, 1] and len(set(table["q7"])) == 1


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_text_in_no_known_encoding_is_one_localised_line(cli, keys, tmp_path, lang):
    sheet = tmp_path / "ana.yaml"
    sheet.write_bytes(sheet_text(q7='"dur\x81e"').encode("latin-1"))  # undefined in cp1252
    result = cli("training", "check", sheet, "--key", keys(lang))
    assert result.exit_code == 1
    line = one_line(result, "ana.yaml", "UTF-8")
    assert "codec" not in line and "0x" not in line
    hint = {"en": "save the file as UTF-8", "fr": "enregistrez", "es": "guarde el archivo"}
    assert hint[lang] in line


def test_cp1252_only_for_languages_windows_writes_in_it(keys, tmp_path):
    """A sheet for a language whose Windows code page is not cp1252 is not guessed."""
    key = yaml.safe_load(keys("fr").read_text("utf-8"))
    key["lang"] = "ru"
    sheet = tmp_path / "ana.yaml"
    sheet.write_bytes(sheet_text(q7='"durée"').encode("cp1252"))
    with pytest.raises(InputFileError, match=r"ana\.yaml: .*UTF-8"):
        read_sheet(sheet, key)
    assert read_sheet(sheet, {**key, "lang": "fr"})["answers"]["q7"] == "durée"
    with pytest.raises(InputFileError, match=r"ana\.yaml: .*UTF-8"):
        read_sheet(sheet)  # no key: no language to tell the code page


# --- 2. the same characters, the same verdict ------------------------------------------


@pytest.mark.parametrize("lang", ["fr", "es"])
@pytest.mark.parametrize(
    ("typed", "status"),
    [("1.642", "right"), ("1642.2", "right"), ("1642,2", "right"), ("1.642,2", "right")]
    + [("1.6", "wrong"), ("1,642.2", "unreadable"), ("1642.2 personas", "right")],
)
def test_quotes_do_not_change_the_verdict(keys, tmp_path, lang, typed, status):
    bare = by_id(graded(tmp_path, keys(lang), sheet_text(q4=typed)))["q4"]
    quoted = by_id(graded(tmp_path, keys(lang), sheet_text(q4=f'"{typed}"')))["q4"]
    assert bare == quoted and bare["status"] == status, (bare, quoted)


@pytest.mark.parametrize(("typed", "status"), [("1.642", "wrong"), ("1642.2", "right")])
def test_quotes_do_not_change_the_verdict_in_english(keys, tmp_path, typed, status):
    for text in (typed, f'"{typed}"', f"'{typed}'"):
        assert by_id(graded(tmp_path, keys("en"), sheet_text(q4=text)))["q4"]["status"] == status


def test_answers_are_read_as_typed(tmp_path):
    path = tmp_path / "ana.yaml"
    path.write_text(
        sheet_text(q1="24", q2="1.0e+2", q3="", q4="~", q5="null", q6="yes", q7="0x1A"), "utf-8"
    )
    answers = read_sheet(path)["answers"]
    expected = {"q1": "24", "q2": "1.0e+2", "q3": None, "q4": None, "q5": None, "q6": "yes"}
    assert answers == {**expected, "q7": "0x1A"}
    assert all(isinstance(v, SheetText) for v in answers.values() if v is not None)
    assert read_sheet(path)["variant"] == 0  # the other fields keep their YAML types


def test_a_point_decimal_is_read_only_when_the_language_cannot_read_the_text():
    spanish = {"decimal": ",", "group": "\u00a0"}
    assert parse_number(SheetText("1.642"), spanish) == 1642.0  # the language's reading first
    assert parse_number(SheetText("1642.2"), spanish) == 1642.2
    assert parse_number(SheetText("9,072.5"), spanish) is None  # a comma: never guessed
    assert parse_number("1642.2", spanish) is None  # text given in code keeps the rule


def test_unreadable_text_with_the_other_decimal_mark_gets_a_hint(keys, tmp_path):
    result = by_id(graded(tmp_path, keys("fr"), sheet_text(q4='"1,642.2"')))["q4"]
    assert result["status"] == "unreadable" and "« , » : 1\u202f642,2" in result["feedback"]
    # a comma that cannot group thousands (not three digits after it) is the decimal mark
    # in every language now; "1.642,2" stays unreadable in English, with the hint
    result = by_id(graded(tmp_path, keys("en"), sheet_text(q4='"1.642,2"')))["q4"]
    assert result["status"] == "unreadable" and "“.”: 1,642.2" in result["feedback"]


def test_a_key_graded_as_its_own_sheet_keeps_its_numbers(keys):
    for lang in ("en", "fr", "es"):
        key = yaml.safe_load(keys(lang).read_text("utf-8"))
        assert grade(read_sheet(keys(lang)), key).percent == 100


# --- 3. a French colon, a tab: one line in the key's language ----------------------------


def test_a_french_colon_in_a_text_answer_is_read_as_if_quoted(keys, tmp_path):
    loose = graded(tmp_path, keys("fr"), sheet_text(q1="24", q7=FRENCH_COLON))
    quoted = graded(tmp_path, keys("fr"), sheet_text(q1="24", q7=f'"{FRENCH_COLON}"'))
    assert loose.questions == quoted.questions and by_id(loose)["q7"]["points"] > 0
    comment = sheet_text(q7=f"{FRENCH_COLON}  # relu", q6="Oui : c")
    result = by_id(graded(tmp_path, keys("fr"), comment))
    assert result["q7"] == by_id(quoted)["q7"]
    assert read_sheet(tmp_path / "ana.yaml")["answers"]["q6"] == "Oui : c"


@pytest.mark.parametrize(
    ("lang", "hint"),
    [
        ("fr", "mettez les réponses en texte entre guillemets"),
        ("es", "entre comillas"),
        ("en", "put text answers between quotes"),
    ],
)
def test_a_colon_that_cannot_be_read_is_one_localised_line(cli, keys, tmp_path, lang, hint):
    sheet = tmp_path / "ana.yaml"
    sheet.write_text(sheet_text(q1="24", q7='"durée" : trois jours'), "utf-8")
    result = cli("training", "check", sheet, "--key", keys(lang))
    assert result.exit_code == 2
    where = {"fr": "ligne 7", "es": "línea 7", "en": "line 7"}[lang]
    one_line(result, "ana.yaml", where, hint)
    assert "mapping values" not in result.stderr


def test_a_rubric_mapping_on_one_line_is_not_taken_for_text(cli, keys, tmp_path):
    sheet = tmp_path / "ana.yaml"
    sheet.write_text(sheet_text(q7="rubric: {c1: 2}"), "utf-8")
    result = cli("training", "check", sheet, "--key", keys("fr"))
    assert result.exit_code == 2
    one_line(result, "ana.yaml", "ligne 6")


@pytest.mark.parametrize(
    ("lang", "hint"),
    [("fr", "pas des tabulations"), ("es", "no con tabulaciones"), ("en", "not tabs")],
)
def test_a_tab_is_one_localised_line(cli, keys, tmp_path, lang, hint):
    sheet = tmp_path / "ana.yaml"
    sheet.write_text(SHEET.format(module="m2_loss_records") + "answers:\n\tq1: 24\n", "utf-8")
    result = cli("training", "check", sheet, "--key", keys(lang))
    assert result.exit_code == 2
    one_line(result, "ana.yaml", {"fr": "ligne 6", "es": "línea 6", "en": "line 6"}[lang], hint)
    assert "\\t" not in result.stderr and "token" not in result.stderr


def test_a_key_built_before_these_messages_speaks_its_language(tmp_path, keys):
    """A key whose messages lack the new ones takes them from its language's locale."""
    key = yaml.safe_load(keys("es").read_text("utf-8"))
    key["messages"] = {k: v for k, v in key["messages"].items() if not k.startswith("syntax")}
    old_key = tmp_path / "old_key.yaml"
    old_key.write_text(yaml.safe_dump(key, allow_unicode=True), "utf-8")
    sheet = tmp_path / "ana.yaml"
    sheet.write_text(sheet_text(q7='"x" : y'), "utf-8")
    with pytest.raises(ConfigError, match=r"^.*ana\.yaml: error de sintaxis YAML en la línea 6"):
        check_answers(sheet, old_key)


# --- 5. the same question twice, letters that are no option -----------------------------


@pytest.mark.parametrize(("lang", "word"), [("en", "twice"), ("fr", "deux fois"), ("es", "dos")])
def test_a_question_given_twice_is_refused(cli, keys, tmp_path, lang, word):
    sheet = tmp_path / "ana.yaml"
    sheet.write_text(sheet_text(q1="24", q2="1", q3="2") + "  q1: 25\n", "utf-8")
    result = cli("training", "check", sheet, "--key", keys(lang))
    assert result.exit_code == 2
    one_line(result, "ana.yaml", "q1", word, "6", "9")


def test_a_question_given_twice_in_a_class_is_named_and_nothing_written(cli, keys, tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "a.yaml").write_text(sheet_text(q1="24"), "utf-8")
    (folder / "b.yaml").write_text(sheet_text(q1="24") + "  q1: 25\n", "utf-8")
    out = tmp_path / "notes.csv"
    result = cli("training", "check", "--class", folder, "--key", keys("en"), "--out", out)
    assert result.exit_code == 1
    one_line(result, "b.yaml: q1 is given twice", "no grades written")
    assert not out.exists()


def test_a_quiz_letter_that_is_no_option_is_named(cli, keys, tmp_path):
    text = sheet_text(q6="e") + "quiz_pre:\n  p1: b\n  p4: e\nquiz_post:\n  p1: B\n"
    result = graded(tmp_path, keys("fr"), text)
    assert result.quiz_pre == 25 and result.quiz_post == 25  # still no point for "e"
    assert result.notes == ["quiz_pre.p4: e - ne fait pas partie des options a–d"]
    q6 = by_id(result)["q6"]
    assert q6["points"] == 0 and "ne fait pas partie des options a–d" in q6["feedback"]
    out = tmp_path / "grades.csv"
    cli("training", "check", "--class", tmp_path, "--key", keys("fr"), "--out", out)
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert table.loc[table["file"] == "ana.yaml", "notes"].item() == result.notes[0]


def test_a_letter_of_an_option_is_still_just_wrong(keys, tmp_path):
    q6 = by_id(graded(tmp_path, keys("en"), sheet_text(q6="b")))["q6"]
    assert q6["status"] == "wrong" and "options" not in q6["feedback"]
    q6 = by_id(graded(tmp_path, keys("en"), sheet_text(q6="E")))["q6"]
    assert q6["feedback"].endswith("(not one of the options a–d)")


# --- 4. rubric keywords as words; provisional points apart --------------------------------


@pytest.mark.parametrize(
    ("lang", "answer", "points"),
    [
        ("en", "I would follow up.", 0),  # "low" is not in "follow"
        ("en", "It is not a modelled estimate; it is an observed count.", 0),
        ("en", "A modelled estimate, not an observed count.", 2),
        ("en", "It is not observed but modelled.", 2),
        ("en", "It isn't a modelled estimate.", 0),
        ("en", "The lower and the higher figures.", 1),
        ("en", "Modelled, between 10 and 20; report it as a national indicator.", 4),
        ("fr", "On le saisit dans la base de données.", 0),  # "bas" is not in "base"
        ("fr", "Ce n'est pas une estimation modélisée.", 0),
        ("fr", "Une estimation modélisée, avec une valeur basse et une haute.", 3),
        ("fr", "Les chiffres modélisés et déclarés restent séparés.", 3),
        ("es", "Es una estimación modelada; la cifra alta y la baja.", 3),
        ("es", "No es una estimación modelada.", 0),
        ("es", "No es un conteo observado.", 2),  # the keyword says the negation itself
    ],
)
def test_keywords_are_words_and_not_negated(keys, lang, answer, points):
    key = yaml.safe_load(keys(lang, "m1_concepts").read_text("utf-8"))
    result = by_id(grade({"answers": {"q8": answer}}, key))["q8"]
    assert (result["status"], result["points"]) == ("provisional", points)


@pytest.mark.parametrize(
    ("keyword", "text", "found"),
    [
        ("disaggregat", "disaggregated by sex", True),
        ("disaggregat", "not aggregated", False),
        ("famil", "host families", True),
        ("low", "lowest", True),
        ("low", "slow", False),
        ("age", "aged 65 and over", True),
        ("sex", "Sussex", False),
        ("per 100", "per 100,000 residents", True),
        ("per 100", "per 1000 residents", False),
        ("national indicator", "a national  indicator", True),
        ("land-use", "land use planning", True),
        ("XMR-D1", "report xmr-d1", True),
        ("range", "in the range, not exact", True),
    ],
)
def test_keyword_rules(keyword, text, found):
    assert keyword_found(keyword, text.casefold(), "en") is found


@pytest.mark.parametrize(
    ("lang", "keyword", "text", "found"),
    [
        ("fr", "haut", "la valeur haute", True),
        ("fr", "bas", "la valeur basse", True),
        ("fr", "bas", "la base", False),
        ("fr", "âge", "par âges", True),
        ("fr", "modélis", "les chiffres modelises", True),
        ("fr", "estimation", "l'estimation centrale", True),
        ("fr", "estimation", "sans estimation", False),
        ("es", "alto", "la cifra alta", True),
        ("es", "bajo", "los valores bajos", True),
        ("es", "edad", "por edades", True),
        ("es", "base", "las bases de datos", True),
        ("es", "rango", "sin rango", False),
        # "ne ... que" is "only", not "not"; phrases with a negation word that do not negate
        ("fr", "estimation", "Ces chiffres ne sont que des estimations.", True),
        ("fr", "estimation", "Ce n'est qu'une estimation.", True),
        ("fr", "estimation", "Ce n'est pas une estimation.", False),
        ("fr", "estimation", "C'est sans aucun doute une estimation.", True),
        ("fr", "modélis", "Non seulement modélisé, mais ...", True),
        ("es", "estimación", "Sin duda es una estimación.", True),
        ("es", "estimación", "Sin embargo es una estimación.", True),
        ("es", "estimación", "No es una estimación.", False),
        ("en", "estimate", "No doubt an estimate.", True),
        ("en", "estimate", "Not only an estimate.", True),
        ("en", "estimate", "Not an estimate.", False),
    ],
)
def test_keyword_rules_by_language(lang, keyword, text, found):
    from training_modules.rubric import fold

    assert keyword_found(keyword, fold(text), lang) is found


def test_every_model_answer_still_earns_every_criterion(keys):
    for lang in ("en", "fr", "es"):
        for module in ("m1_concepts", "m2_loss_records"):
            key = yaml.safe_load(keys(lang, module).read_text("utf-8"))
            for qid, entry in key["questions"].items():
                if entry["kind"] == "rubric":
                    result = by_id(grade({"answers": {qid: entry["model_answer"]}}, key))[qid]
                    assert result["points"] == entry["points"], (lang, module, qid)


def test_provisional_points_are_kept_apart_from_the_score(cli, keys, tmp_path):
    key = yaml.safe_load(keys("en", "m1_concepts").read_text("utf-8"))
    right = {q: e["answer"] for q, e in key["questions"].items() if e["kind"] != "rubric"}
    answers = {**right, "q8": "A modelled estimate: between low and high."}  # c1 + c2 = 3
    result = grade({"answers": answers}, key)
    sure = sum(e["points"] for e in key["questions"].values() if e["kind"] != "rubric")
    assert (result.score, result.provisional, result.total) == (sure, 3, sure + 4)
    assert result.percent == pytest.approx(100 * sure / (sure + 4))
    assert result.summary == (
        f"{sure:g} / {sure + 4:g} sure, up to 3 more for the facilitator to confirm "
        f"({result.percent:.0f} %)"
    )
    confirmed = grade({"answers": {**answers, "q8": {"rubric": {"c1": 2, "c2": 1}}}}, key)
    assert (confirmed.score, confirmed.provisional) == (sure + 3, 0)
    assert confirmed.summary == f"{sure + 3:g} / {sure + 4:g} ({confirmed.percent:.0f} %)"
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "a.yaml").write_text(
        yaml.safe_dump({"kind": "mecc_training_answers", "module": "m1_concepts",
                        "answers": {"q8": answers["q8"]}}),
        "utf-8",
    )  # fmt: skip
    out = tmp_path / "grades.csv"
    assert cli("training", "check", "--class", folder, "--key", keys("en", "m1_concepts"),
               "--out", out).exit_code == 0  # fmt: skip
    row = pd.read_csv(out, encoding="utf-8-sig").iloc[0]
    assert (row["score"], row["provisional"], row["q8"], row["to_confirm"]) == (0, 3, 3, "q8")
    assert row["percent"] == 0


def test_rubric_points_in_the_keys_language(keys):
    key = yaml.safe_load(keys("fr", "m1_concepts").read_text("utf-8"))
    given = {"q8": {"text": "x", "rubric": {"c1": SheetText("1,5"), "c2": SheetText("1")}}}
    assert by_id(grade({"answers": given}, key))["q8"]["points"] == 2.5
    bad = copy.deepcopy(given)
    bad["q8"]["rubric"]["c1"] = "deux"
    with pytest.raises(ConfigError, match=r"answers\.q8\.rubric\.c1: .*'deux'"):
        grade({"answers": bad}, key)


@pytest.mark.parametrize("lang", ["fr", "es"])
def test_a_facilitators_decimal_points_in_a_sheet_file(keys, tmp_path, lang):
    """`rubric: {c1: 1.5}` in a French or Spanish sheet file: read as typed, the points
    were refused ("give the points as a number, not '1.5'"); 1,5 is read too."""
    for typed, points in (("1.5", 2.5), ("'1,5'", 2.5), ("2", 3.0)):
        text = sheet_text("m1_concepts", q8="{text: x, rubric: {c1: " + typed + ", c2: 1}}")
        result = graded(tmp_path, keys(lang, "m1_concepts"), text)
        assert by_id(result)["q8"]["points"] == points, typed
