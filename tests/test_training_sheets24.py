"""Training packs, session 24 fixes (sheetlang): a trilingual workshop's grading.

1. Every answer sheet a pack builds says its language (``lang:``, beside ``module:`` and
   ``variant:``); a sheet graded with a key of another language is refused like a sheet
   of another module (one line naming the sheet, its language and the key to use; exit
   1), instead of losing the points of ``19903,3`` read with English rules. A sheet
   without ``lang`` (an older pack) is graded as before.
2. ``--class``: a sheet of another module, variant or language is to be graded with its
   own key (named as the pack lays keys out), not edited; the refusal lists the bad
   sheets' file names (up to 10).
3. The guide shows a tolerance that is absolute only as the grader applies it:
   ``±1 percentage point``, never ``±0.0 % (at least 1)``.
4. A wrong numeric answer equal (within tolerance) to an end of the key's range is told
   so in the feedback, in the key's language; it stays wrong.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

LANGS = ("en", "fr", "es")


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    """Modules 3, 4, 5 and 8 in every language, variant 0, no map.html."""
    from training_modules.pack import build_pack

    out = tmp_path_factory.mktemp("sheets24") / "pack"
    return build_pack(out, modules=["m3", "m4", "m5", "m8"], interactive_maps=False).out_dir


def _sheet(pack: Path, lang: str, module: str = "m4_displacement") -> dict:
    path = pack / lang / "participants" / module / "answer_sheet.yaml"
    return yaml.safe_load(path.read_text("utf-8"))


def _key(pack: Path, lang: str = "en", module: str = "m4_displacement") -> Path:
    return pack / lang / "facilitator" / module / "answer_key.yaml"


def _write(path: Path, data: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def _french_amelie(pack: Path) -> dict:
    """A French participant's sheet: numbers with a decimal comma and spaces."""
    sheet = _sheet(pack, "fr")
    sheet["participant"] = "Amélie"
    sheet["answers"] = {**sheet["answers"], "q1": "9 072", "q5": "19903,3"}
    return sheet


# --- 1. a sheet says its language; another language's key refuses it ---------------------


@pytest.mark.parametrize("lang", LANGS)
def test_every_built_sheet_says_its_language(pack, lang):
    for module in ("m3_exposure", "m4_displacement", "m5_evacuation", "m8_policy_tabletop"):
        sheet = _sheet(pack, lang, module)
        assert sheet["lang"] == lang
        assert (sheet["module"], sheet["variant"]) == (module, 0)


def test_a_blank_sheet_with_its_language_is_still_blank(pack):
    """Rebuilding a pack deletes blank sheets only: ``lang`` is no participant's work."""
    from training_modules.pack import participant_files

    assert participant_files(pack) == []


def test_a_french_sheet_graded_with_the_english_key_is_refused(pack, tmp_path, cli):
    path = _write(tmp_path / "amelie.yaml", _french_amelie(pack))
    result = cli("training", "check", path, "--key", _key(pack, "en"))
    assert result.exit_code == 1, result.output  # bad data, not a silent 0 points
    assert result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert line == (
        f"error: {path}: answers written in fr, but the key is in en; "
        "grade it with fr/facilitator/m4_displacement/answer_key.yaml"
    )


def test_the_refusal_is_in_the_key_language(pack, tmp_path, cli):
    sheet = {**_sheet(pack, "en"), "participant": "Alice"}
    path = _write(tmp_path / "alice.yaml", sheet)
    result = cli("training", "check", path, "--key", _key(pack, "fr"))
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert "réponses écrites en en, mais le corrigé est en fr" in line
    assert line.endswith("notez-la avec en/facilitator/m4_displacement/answer_key.yaml")


def test_the_french_sheet_with_the_french_key_reads_its_commas(pack, tmp_path):
    from training_modules.grading import check_answers

    path = _write(tmp_path / "amelie.yaml", _french_amelie(pack))
    key = yaml.safe_load(_key(pack, "fr").read_text("utf-8"))
    (grade,), _ = check_answers(path, _key(pack, "fr"))
    q5 = next(q for q in grade.questions if q["id"] == "q5")
    expected = abs(19903.3 - key["questions"]["q5"]["answer"]) <= max(
        key["questions"]["q5"]["tolerance"]["absolute"],
        key["questions"]["q5"]["tolerance"]["relative"] * key["questions"]["q5"]["answer"],
    )
    assert q5["status"] == ("right" if expected else "wrong")  # read as 19 903.3 either way


def test_a_sheet_without_lang_is_graded_as_before(pack, tmp_path, cli):
    sheet = _french_amelie(pack)
    del sheet["lang"]  # a sheet of an older pack
    path = _write(tmp_path / "amelie.yaml", sheet)
    result = cli("training", "check", path, "--key", _key(pack, "en"))
    assert result.exit_code == 0, result.output
    # her "19903,3" cannot group thousands (one digit after the comma): the comma is the
    # decimal mark in every language, so the English key reads 19 903.3, her right answer
    assert re.search(r"q5: 1/1 right", result.stdout)


def test_a_lang_that_is_no_language_code_is_named(pack, tmp_path, cli):
    sheet = {**_sheet(pack, "en"), "lang": 3}
    path = _write(tmp_path / "alice.yaml", sheet)
    result = cli("training", "check", path, "--key", _key(pack, "en"))
    assert result.exit_code != 0
    (line,) = result.stderr.strip().splitlines()
    assert f"{path}.lang:" in line and "not 3" in line


# --- 2. a class: another key's sheet is graded with its own key, bad sheets listed -------


def test_a_mixed_language_class_names_the_key_to_use(pack, tmp_path, cli):
    folder = tmp_path / "mixed"
    _write(folder / "alice.yaml", {**_sheet(pack, "en"), "participant": "Alice"})
    _write(folder / "amelie.yaml", _french_amelie(pack))
    out = tmp_path / "grades.csv"
    result = cli("training", "check", "--class", folder, "--key", _key(pack, "en"), "--out", out)
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"error: {folder / 'amelie.yaml'}: answers written in fr, but ")
    assert "grade it with fr/facilitator/m4_displacement/answer_key.yaml" in line
    assert "fix this sheet" not in line  # editing its module or lang is not the fix
    assert not out.exists()


def test_a_class_sheet_of_another_module_or_variant_names_its_key(pack, tmp_path, cli):
    folder = tmp_path / "class"
    _write(folder / "a.yaml", {**_sheet(pack, "en"), "participant": "Ana"})
    _write(folder / "b.yaml", {**_sheet(pack, "en", "m5_evacuation"), "participant": "Ben"})
    result = cli("training", "check", "--class", folder, "--key", _key(pack, "en"))
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert "answers for m5_evacuation, but the key is for m4_displacement" in line
    assert "grade it with en/facilitator/m5_evacuation/answer_key.yaml" in line
    assert "fix this sheet" not in line

    (folder / "b.yaml").unlink()
    _write(folder / "d.yaml", {**_sheet(pack, "en"), "participant": "Dora", "variant": 2})
    result = cli("training", "check", "--class", folder, "--key", _key(pack, "en"))
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert "answers for variant 2, but the key is for variant 0" in line
    assert (
        "grade it with en/facilitator/m4_displacement/answer_key.yaml "
        "of a pack built with --variant 2"
    ) in line


def test_a_class_refusal_lists_the_bad_sheets(pack, tmp_path, cli):
    folder = tmp_path / "class"
    _write(folder / "a_good.yaml", {**_sheet(pack, "en"), "participant": "Ana"})
    names = [f"s{n:02d}.yaml" for n in range(12)]
    for name in names:
        (folder / name).write_text("answers: [1, 2\n", "utf-8")  # not YAML
    result = cli("training", "check", "--class", folder, "--key", _key(pack, "en"))
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"error: {folder / 's00.yaml'}: ")
    assert "(and 11 other sheet(s) cannot be graded)" in line
    listed = "sheets that cannot be graded: " + ", ".join(names[:10]) + " and 2 more; "
    assert listed in line
    assert line.endswith(
        "no grades written: fix these sheets or move them out of the folder, then run again"
    )


def test_a_class_with_several_bad_sheets_says_which_key_grades_one(pack, tmp_path, cli):
    folder = tmp_path / "class"
    _write(folder / "alice.yaml", {**_sheet(pack, "fr"), "participant": "Alice"})
    _write(folder / "amelie.yaml", _french_amelie(pack))
    (folder / "broken.yaml").write_text("answers: [1, 2\n", "utf-8")
    result = cli("training", "check", "--class", folder, "--key", _key(pack, "es"))
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert "(y 2 hoja(s) más que no se puede(n) calificar)" in line
    assert "hojas que no se pueden calificar: alice.yaml, amelie.yaml, broken.yaml; " in line
    assert (
        "alice.yaml es de otro módulo, otra variante u otro idioma: no la modifique, "
        "califíquela con fr/facilitator/m4_displacement/answer_key.yaml"
    ) in line


# --- 3. an absolute tolerance is shown with its unit --------------------------------------


def _tolerance_cell(pack: Path, lang: str, module: str, qid: str) -> str:
    text = (pack / lang / "facilitator" / module / "guide.html").read_text("utf-8")
    row = re.search(rf'<tr data-question="{qid}">(.*?)</tr>', text, re.S).group(1)
    return re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[2]


@pytest.mark.parametrize(
    ("lang", "module", "qid", "shown"),
    [
        ("en", "m3_exposure", "q6", "±1 percentage point"),
        ("fr", "m3_exposure", "q6", "±1 point de pourcentage"),
        ("es", "m3_exposure", "q6", "±1 punto porcentual"),
        ("en", "m8_policy_tabletop", "q5", "±2 percentage points"),
        ("fr", "m8_policy_tabletop", "q5", "±2 points de pourcentage"),
        ("es", "m8_policy_tabletop", "q5", "±2 puntos porcentuales"),
        ("en", "m5_evacuation", "q2", "±0.4 sites"),
        ("fr", "m5_evacuation", "q2", "±0,4 site"),
        ("es", "m5_evacuation", "q2", "±0,4 sitios"),
    ],
)
def test_an_absolute_tolerance_is_shown_as_applied(pack, lang, module, qid, shown):
    assert _tolerance_cell(pack, lang, module, qid) == shown


@pytest.mark.parametrize("lang", LANGS)
def test_no_guide_shows_a_zero_relative_tolerance(pack, lang):
    for guide in (pack / lang / "facilitator").glob("*/guide.html"):
        assert not re.search(r"±0[.,]0 %", guide.read_text("utf-8")), guide


def test_a_relative_tolerance_keeps_its_text(pack):
    assert _tolerance_cell(pack, "en", "m4_displacement", "q1") == "±2.0 % (at least 0.50)"


# --- 4. an end of the range is named in the feedback --------------------------------------


def _feedback(pack: Path, tmp_path: Path, lang: str, qid: str, value) -> dict:
    from training_modules.grading import check_answers

    sheet = _sheet(pack, lang)
    sheet["answers"] = {**sheet["answers"], qid: value}
    path = _write(tmp_path / f"{lang}_{qid}.yaml", sheet)
    (grade,), _ = check_answers(path, _key(pack, lang))
    return next(q for q in grade.questions if q["id"] == qid)


def _range(pack: Path, qid: str) -> list:
    key = yaml.safe_load(_key(pack, "en").read_text("utf-8"))
    return key["questions"][qid]["range"]


def test_a_range_end_is_named_and_stays_wrong(pack, tmp_path):
    low, high = _range(pack, "q1")
    result = _feedback(pack, tmp_path, "en", "q1", str(round(low)))
    assert result["status"] == "wrong" and result["points"] == 0
    assert result["feedback"] == (
        "Not right; see the key. That is the low end of the range; "
        "the question asks for the central value."
    )
    result = _feedback(pack, tmp_path, "en", "q3", str(round(_range(pack, "q3")[1])))
    assert result["status"] == "wrong"
    assert "That is the high end of the range" in result["feedback"]


def test_a_range_end_is_named_in_the_key_language(pack, tmp_path):
    low, _high = _range(pack, "q1")
    result = _feedback(pack, tmp_path, "fr", "q1", str(round(low)))
    assert result["status"] == "wrong"
    assert (
        "C'est le bas de la fourchette ; la question demande la valeur centrale."
        in (result["feedback"])
    )
    result = _feedback(pack, tmp_path, "es", "q1", str(round(_range(pack, "q1")[1])))
    assert "Es el extremo superior del rango" in result["feedback"]


def test_a_value_inside_the_range_gets_no_range_hint(pack, tmp_path):
    low, _high = _range(pack, "q1")
    result = _feedback(pack, tmp_path, "en", "q1", str(round(low * 1.2)))
    assert result["status"] == "wrong"
    assert "range" not in result["feedback"]
