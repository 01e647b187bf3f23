"""``mecc training check`` and module 3's question 6, fixes from a workshop facilitator
(session 30).

1. An answer key given as a participant's sheet is refused in one line (it scored
   100 %), and one dropped into a ``--class`` folder is named in a warning with why and
   not graded, as the folder's other files that are no sheet.
2. A ``--key`` file that is no answer key (the guide, notes) says so, naming the file
   and where the key is, never the YAML advice meant for a participant's answers.
3. Module 3's question 6 gives the national displaced figure with its range over the
   curve variants, labelled (central value, range), as computed by the engine.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

M3, M4 = "m3_exposure", "m4_displacement"


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    """Modules 3 and 4 in English and French (variant 0)."""
    from training_modules.pack import build_pack

    base = tmp_path_factory.mktemp("sheets30")
    built = build_pack(
        base / "pk", modules=["m3", "m4"], langs=["en", "fr"], interactive_maps=False
    )
    return Path(built.out_dir)


def _key(pack: Path, module: str = M4, lang: str = "en") -> Path:
    return pack / lang / "facilitator" / module / "answer_key.yaml"


def _filled(pack: Path, path: Path, name: str, module: str = M4, lang: str = "en") -> Path:
    """The pack's blank sheet, with a participant's name, as ``path``."""
    blank = pack / lang / "participants" / module / "answer_sheet.yaml"
    sheet = {**yaml.safe_load(blank.read_text("utf-8")), "participant": name}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(sheet, allow_unicode=True), "utf-8")
    return path


def _warnings(stderr: str) -> list:
    return [line for line in stderr.splitlines() if line.startswith("warning:")]


# --- 1. an answer key is no participant's sheet ----------------------------------------


def test_the_key_given_as_a_sheet_is_refused_in_one_line(pack, cli):
    key = _key(pack)
    result = cli("training", "check", key, "--key", key)
    assert result.exit_code == 2, result.output
    assert "100 %" not in result.output and result.stdout == ""
    assert result.stderr.strip() == (
        f"error: {key}: this is an answer key, not a participant's sheet (the sheets are "
        f"the pack's participants/{M4}/answer_sheet.yaml, filled in)"
    )


def test_the_key_given_as_a_sheet_is_refused_in_the_keys_language(pack, cli):
    key = _key(pack, lang="fr")
    result = cli("training", "check", key, "--key", key)
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"error: {key}: c'est un corrigé, pas la feuille d'un participant (les feuilles "
        f"sont le fichier participants/{M4}/answer_sheet.yaml du kit, rempli)"
    )


def test_a_key_in_a_class_folder_is_named_and_not_graded(pack, tmp_path, cli):
    folder = tmp_path / "cls"
    _filled(pack, folder / "ana.yaml", "Ana")
    _filled(pack, folder / "ben.yaml", "Ben")
    shutil.copy(_key(pack), folder / "answer_key.yaml")
    out = tmp_path / "grades.csv"
    result = cli("training", "check", "--class", folder, "--key", _key(pack), "--out", out)
    assert result.exit_code == 0, result.output
    assert _warnings(result.stderr) == [
        "warning: answer_key.yaml: not graded: this is an answer key, not a participant's "
        f"sheet (the sheets are the pack's participants/{M4}/answer_sheet.yaml, filled in)"
    ]
    grades = out.read_text("utf-8-sig")
    assert "answer_key.yaml" not in grades and "answer key" not in grades
    assert [row.split(",")[0] for row in grades.splitlines()[1:]] == ["Ana", "Ben"]


def test_a_class_folder_of_answer_keys_only_names_them(pack, tmp_path, cli):
    folder = tmp_path / "keys"
    folder.mkdir()
    shutil.copy(_key(pack), folder / "answer_key.yaml")
    result = cli("training", "check", "--class", folder, "--key", _key(pack))
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"error: {folder}: no answer sheets (answer_sheet.yaml) found (1 other file(s) "
        "there; an answer key, not a participant's sheet: answer_key.yaml)"
    )


# --- 2. a --key file that is no answer key ---------------------------------------------


NOT_A_KEY = (
    "not an answer key (kind: mecc_training_answer_key): the key is the pack's "
    "<lang>/facilitator/<module>/answer_key.yaml, a text file"
)


def test_the_guide_given_as_the_key_is_no_answer_key(pack, cli):
    guide = _key(pack).with_name("guide.html")
    sheet = pack / "en" / "participants" / M4 / "answer_sheet.yaml"
    result = cli("training", "check", sheet, "--key", guide)
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {guide}: {NOT_A_KEY}"
    assert "YAML" not in result.stderr and "quotes" not in result.stderr


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("notes.txt", "Workshop: Tuesday\nroom: 4: upstairs\n"),  # YAML syntax error
        ("plain.txt", "just a line of notes\n"),  # YAML, but no mapping
        ("alice.yaml", "kind: mecc_training_answers\nanswers: {q1: 3}\n"),  # a sheet
    ],
)
def test_other_files_given_as_the_key_are_no_answer_key(pack, tmp_path, cli, name, text):
    path = tmp_path / name
    path.write_text(text, "utf-8")
    sheet = pack / "en" / "participants" / M4 / "answer_sheet.yaml"
    result = cli("training", "check", sheet, "--key", path)
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {path}: {NOT_A_KEY}"


def test_a_damaged_key_still_names_the_line(pack, tmp_path, cli):
    key = tmp_path / "answer_key.yaml"
    key.write_text(_key(pack).read_text("utf-8") + "questions: [\n", "utf-8")
    sheet = pack / "en" / "participants" / M4 / "answer_sheet.yaml"
    result = cli("training", "check", sheet, "--key", key)
    assert result.exit_code == 2
    assert f"{key}: YAML syntax error at line" in result.stderr


# --- 3. module 3's question 6: the national displaced figure with its range --------------


def _people(text: str) -> float:
    return float(text.replace(",", ""))


def test_m3_question_6_gives_the_displaced_figure_with_its_range(pack):
    key = yaml.safe_load(_key(pack, M3).read_text("utf-8"))
    q6, exposed = key["questions"]["q6"], key["questions"]["q1"]["answer"]
    found = re.search(
        r"national displaced figure: ([\d,]+) people \(central value, displacement threshold "
        r"1 m; range ([\d,]+) to ([\d,]+) people over the curve variants: displacement "
        r"threshold lower and higher\)\.$",
        q6["text"],
    )
    assert found, q6["text"]
    central, low, high = (_people(found.group(k)) for k in (1, 2, 3))
    assert low < central < high
    # the engine's figures: the share's central value and range are these over the exposed
    assert 100 * central / exposed == pytest.approx(q6["answer"], abs=0.001)
    assert 100 * low / exposed == pytest.approx(q6["range"][0], abs=0.001)
    assert 100 * high / exposed == pytest.approx(q6["range"][1], abs=0.001)
    handout = (pack / "en" / "participants" / M3 / "handout.html").read_text("utf-8")
    shown = f"{found.group(1)} people (central value, displacement threshold 1 m; range "
    assert shown + f"{found.group(2)} to {found.group(3)} people" in handout


def test_m3_question_6_gives_the_range_in_french_too(pack):
    english = yaml.safe_load(_key(pack, M3).read_text("utf-8"))["questions"]["q6"]["text"]
    french = yaml.safe_load(_key(pack, M3, "fr").read_text("utf-8"))["questions"]["q6"]["text"]
    numbers = re.findall(r"\d{1,3}(?:,\d{3})+", english)
    assert len(numbers) == 3
    for number in numbers:  # the same figures, with French marks
        assert number.replace(",", "\u202f") in french
    assert "valeur centrale" in french and "fourchette" in french
