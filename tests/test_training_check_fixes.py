"""``mecc training check``, fixes from a trainer grading a workshop (session 27).

1. ``--out grades.xlsx`` writes a real Excel workbook (the CSV's cells), not CSV text
   under an .xlsx name; an extension that is neither .csv nor .xlsx is refused in one
   line, nothing written.
2. One sheet of another module or variant names the key to grade it with, as a sheet of
   another language (and a class) already did.
3. A file named .xlsx that is no workbook (damaged) is said so, the same in both modes
   and as a key, never "save the file as UTF-8".
4. A sheet with an empty ``participant:`` is graded under its file name and a warning
   names it with that name.
5. The other of point and comma, where it cannot group thousands (``1,02``), is read as
   the decimal mark in every language; where it can (``1,018`` in English, ``1.018`` in
   French) the language's reading stands and the feedback asks.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml

M2, M3 = "m2_loss_records", "m3_exposure"


@pytest.fixture(scope="module")
def packs(tmp_path_factory):
    """Modules 2 and 3 in every language (variant 0), and module 3 in English, variant 3."""
    from training_modules.pack import build_pack

    base = tmp_path_factory.mktemp("check27")
    plain = build_pack(base / "pk", modules=["m2", "m3"], interactive_maps=False).out_dir
    other = build_pack(
        base / "v3", modules=["m3"], langs=["en"], variant=3, interactive_maps=False
    ).out_dir
    return {"plain": Path(plain), "v3": Path(other)}


def _key(pack: Path, module: str = M3, lang: str = "en") -> Path:
    return pack / lang / "facilitator" / module / "answer_key.yaml"


def _blank(pack: Path, module: str = M3, lang: str = "en") -> Path:
    return pack / lang / "participants" / module / "answer_sheet.yaml"


def _filled(pack: Path, path: Path, module: str = M3, lang: str = "en", **fields) -> Path:
    """The pack's blank sheet with ``fields`` set (``answers`` merged), as a file."""
    sheet = yaml.safe_load(_blank(pack, module, lang).read_text("utf-8"))
    answers = {**sheet["answers"], **fields.pop("answers", {})}
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump({**sheet, **fields, "answers": answers}, allow_unicode=True)
    path.write_text(text, "utf-8")
    return path


def _errors(stderr: str) -> list:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


def _warnings(stderr: str) -> list:
    return [line for line in stderr.splitlines() if line.startswith("warning:")]


# --- 1. --out grades.xlsx is a workbook ----------------------------------------------------


def _class_of_two(pack: Path, folder: Path) -> Path:
    key = yaml.safe_load(_key(pack).read_text("utf-8"))
    q1, p1 = key["questions"]["q1"]["answer"], key["quiz"]["p1"]["answer"]
    _filled(pack, folder / "ana.yaml", participant="Ana", answers={"q1": str(q1)})
    _filled(pack, folder / "ben.yaml", participant="Ben", quiz_pre={"p1": p1})
    return folder


def test_out_xlsx_is_a_workbook_with_the_csvs_cells(packs, tmp_path, cli):
    pack = packs["plain"]
    folder = _class_of_two(pack, tmp_path / "cls")
    book, csv = tmp_path / "grades.xlsx", tmp_path / "grades.csv"
    for out in (book, csv):
        result = cli("training", "check", "--class", folder, "--key", _key(pack), "--out", out)
        assert result.exit_code == 0, result.output
        assert result.stdout.rstrip().endswith(f"wrote {out}")
    assert zipfile.is_zipfile(book)  # not CSV text under an .xlsx name
    workbook = openpyxl.load_workbook(book)
    assert workbook.sheetnames == ["grades"]
    rows = list(workbook["grades"].iter_rows(values_only=True))
    columns = ["participant", "file", "score", "provisional", "total", "percent", "q1"]
    assert list(rows[0][:7]) == columns  # the column ids, as in the CSV
    ana, ben = (dict(zip(rows[0], row, strict=True)) for row in rows[1:])
    assert [ana["participant"], ana["file"], ben["participant"]] == ["Ana", "ana.yaml", "Ben"]
    assert [ana["q1"], ana["score"], ana["total"], ana["percent"]] == [1, 1, 10, 10]
    assert isinstance(ana["score"], int | float)  # a number, not text
    assert ana["quiz_pre_percent"] is None and ana["mistakes"] is None  # blank, as in the CSV
    assert ben["score"] == 0 and ben["quiz_pre_percent"] == 25  # one of four quiz items
    from_book = pd.read_excel(book, sheet_name="grades")
    from_csv = pd.read_csv(csv, encoding="utf-8-sig")
    pd.testing.assert_frame_equal(from_book, from_csv, check_dtype=False)


@pytest.mark.parametrize("name", ["grades.ods", "grades.xls", "grades.txt", "grades"])
def test_out_of_another_format_is_refused_and_nothing_written(packs, tmp_path, cli, name):
    pack = packs["plain"]
    folder = _class_of_two(pack, tmp_path / "cls")
    out = tmp_path / name
    result = cli("training", "check", "--class", folder, "--key", _key(pack), "--out", out)
    assert result.exit_code == 2, result.output  # bad usage
    assert result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"error: --out {out}: the grades are written as CSV (.csv) or as ")
    assert line.endswith("give a name such as grades.csv or grades.xlsx")
    assert not out.exists()


# --- 2. one sheet of another module or variant names its key ------------------------------


def test_one_sheet_of_another_variant_names_the_variants_pack(packs, cli):
    sheet = _blank(packs["v3"])
    result = cli("training", "check", sheet, "--key", _key(packs["plain"]))
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"error: {sheet}: answers for variant 3, but the key is for variant 0; grade it with "
        "en/facilitator/m3_exposure/answer_key.yaml of a pack built with --variant 3"
    )
    result = cli("training", "check", sheet, "--key", _key(packs["plain"], lang="fr"))
    assert result.stderr.strip() == (
        f"error: {sheet}: réponses pour la variante 3, mais le corrigé est pour la variante 0 "
        "; notez-la avec en/facilitator/m3_exposure/answer_key.yaml d'un kit construit avec "
        "--variant 3"
    )


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "answers for m2_loss_records, but the key is for m3_exposure; grade it with "),
        ("fr", "réponses pour m2_loss_records, mais le corrigé est pour m3_exposure ; notez-la "),
    ],
)
def test_one_sheet_of_another_module_names_its_key(packs, cli, lang, expected):
    pack = packs["plain"]
    sheet = _blank(pack, M2, lang)
    result = cli("training", "check", sheet, "--key", _key(pack, M3, lang))
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"error: {sheet}: {expected}{'avec ' if lang == 'fr' else ''}"
        f"{lang}/facilitator/m2_loss_records/answer_key.yaml"
    )


# --- 3. a damaged workbook ----------------------------------------------------------------

DAMAGED = (
    "not an Excel workbook (damaged or not saved as .xlsx), and no answer sheet: answer "
    "sheets are the pack's answer_sheet.yaml, a text file"
)


def _damaged(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(range(256)) * 12)  # no zip, not text
    return path


def test_a_damaged_workbook_is_said_so_in_both_modes(packs, tmp_path, cli):
    pack = packs["plain"]
    book = _damaged(tmp_path / "c.xlsx")
    result = cli("training", "check", book, "--key", _key(pack))
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: {book}: {DAMAGED}"

    folder = tmp_path / "cls"
    _filled(pack, folder / "ana.yaml", participant="Ana")
    _damaged(folder / "c.xlsx")
    result = cli("training", "check", "--class", folder, "--key", _key(pack))
    assert result.exit_code == 0, result.output
    assert _warnings(result.stderr) == [f"warning: c.xlsx: not graded: {DAMAGED}"]
    assert "UTF-8" not in result.stderr and "mecc_training_answers" not in result.stderr

    result = cli("training", "check", book, "--key", _key(pack, lang="fr"))
    assert result.stderr.strip() == (
        f"error: {book}: pas un classeur Excel (endommagé ou pas enregistré en .xlsx), ni une "
        "feuille de réponses : les feuilles de réponses sont le fichier answer_sheet.yaml du "
        "kit, un fichier texte"
    )


def test_a_damaged_workbook_as_the_key_is_no_utf8_advice(packs, tmp_path, cli):
    book = _damaged(tmp_path / "c.xlsx")
    result = cli("training", "check", _blank(packs["plain"]), "--key", book)
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"error: {book}: not an Excel workbook (damaged or not saved as .xlsx), and no answer "
        "key: the key is the pack's facilitator/<module>/answer_key.yaml, a text file"
    )
    real = tmp_path / "key.xlsx"
    openpyxl.Workbook().save(real)
    result = cli("training", "check", _blank(packs["plain"]), "--key", real)
    assert result.exit_code == 1
    assert "not an answer key" in result.stderr and "not an answer sheet" not in result.stderr


def test_a_text_sheet_named_xlsx_is_still_graded(packs, tmp_path, cli):
    pack = packs["plain"]
    sheet = _filled(pack, tmp_path / "ana.xlsx", participant="Ana")
    result = cli("training", "check", sheet, "--key", _key(pack))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Ana: 0 / 10 (0 %)")


# --- 4. sheets without a participant name -------------------------------------------------


def test_unnamed_sheets_are_named_in_a_warning(packs, tmp_path, cli):
    pack = packs["plain"]
    folder = tmp_path / "cls"
    folder.mkdir()
    for name in ("answer_sheet.yaml", "answer_sheet (1).yaml", "answer_sheet (2).yaml"):
        shutil.copy(_blank(pack), folder / name)
    _filled(pack, folder / "dora.yaml", participant="Dora")
    _filled(pack, folder / "eva.yaml", participant="   ")  # spaces are no name either
    out = tmp_path / "grades.csv"
    result = cli("training", "check", "--class", folder, "--key", _key(pack), "--out", out)
    assert result.exit_code == 0, result.output
    said = "no participant name in the sheet (participant: is empty); graded as"
    tail = "its file name; write the name after participant: to see it in the grades"
    assert _warnings(result.stderr) == [
        f"warning: answer_sheet (1).yaml: {said} answer_sheet (1), {tail}",
        f"warning: answer_sheet (2).yaml: {said} answer_sheet (2), {tail}",
        f"warning: answer_sheet.yaml: {said} answer_sheet, {tail}",
        f"warning: eva.yaml: {said} eva, {tail}",
    ]
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert list(table["participant"]) == [
        "answer_sheet (1)",
        "answer_sheet (2)",
        "answer_sheet",
        "Dora",
        "eva",
    ]
    result = cli("training", "check", "--class", folder, "--key", _key(pack, lang="es"))
    assert result.exit_code == 1  # English sheets, a Spanish key: refused, no warning
    assert _warnings(result.stderr) == []


def test_one_unnamed_sheet_is_named_in_a_warning_in_french(packs, tmp_path, cli):
    pack = packs["plain"]
    sheet = shutil.copy(_blank(pack, lang="fr"), tmp_path / "feuille.yaml")
    result = cli("training", "check", sheet, "--key", _key(pack, lang="fr"))
    assert result.exit_code == 0, result.output
    assert _warnings(result.stderr) == [
        "warning: feuille.yaml : pas de nom de participant dans la feuille (participant: est "
        "vide) ; notée sous le nom feuille, celui du fichier ; écrivez le nom après "
        "participant: pour le voir dans les notes"
    ]


# --- 5. the other decimal mark, the same rule in every language --------------------------


def _q2(packs, tmp_path, cli, lang: str, typed: str) -> tuple:
    """The line of m2's question 2 (Sendai A-2, about 1.0176 per 100 000, two decimals)
    for ``typed``, a format of the key's answer: ``{2}`` with two decimals (``1.02``),
    ``{,2}`` with a comma (``1,02``), ``{3}``, ``{4}``: three, four decimals; and the
    answer with three decimals (``1.018``)."""
    pack = packs["plain"]
    key = _key(pack, M2, lang)
    answer = yaml.safe_load(key.read_text("utf-8"))["questions"]["q2"]["answer"]
    assert 1 <= answer < 10  # a rate near 1: "1,018" could be a thousands group
    for n in (2, 3, 4):
        text = f"{answer:.{n}f}"
        typed = typed.replace(f"{{,{n}}}", text.replace(".", ",")).replace(f"{{{n}}}", text)
    sheet = _blank(pack, M2, lang).read_text("utf-8")
    path = tmp_path / f"{lang}.yaml"
    path.write_text(sheet.replace("  q2: null", f"  q2: {typed}"), "utf-8")
    result = cli("training", "check", path, "--key", key)
    assert result.exit_code == 0, result.output
    line = next(line.strip() for line in result.stdout.splitlines() if "q2:" in line)
    return line, f"{answer:.3f}"


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
@pytest.mark.parametrize("typed", ["{2}", "{,2}", "'{,2}'", "{,4}", "{4}"])
def test_a_decimal_mark_that_cannot_group_thousands_is_read_in_every_language(
    packs, tmp_path, cli, lang, typed
):
    right = {"en": "right", "fr": "juste", "es": "correcta"}[lang]
    line, _ = _q2(packs, tmp_path, cli, lang, typed)
    assert line.startswith(f"q2: 1/1 {right}"), line


@pytest.mark.parametrize(
    ("lang", "typed", "line"),
    [
        (
            "en",
            "{,3}",
            "q2: 0/1 wrong - Not right; see the key. (the decimal mark here is “.”: "
            "did you mean {.}?)",
        ),
        (
            "fr",
            "{3}",
            "q2: 0/1 inexact - Inexact ; voir le corrigé. (ici le séparateur décimal est « , » "
            ": vouliez-vous dire {,} ?)",
        ),
        (
            "es",
            "{3}",
            "q2: 0/1 incorrecta - Incorrecto; vea la clave. (aquí el separador decimal es «,»: "
            "¿quiso decir {,}?)",
        ),
    ],
)
def test_a_possible_thousands_group_stays_the_languages_reading(
    packs, tmp_path, cli, lang, typed, line
):
    found, three = _q2(packs, tmp_path, cli, lang, typed)  # 1,018 in English: 1018
    assert found == line.replace("{.}", three).replace("{,}", three.replace(".", ","))


def test_parse_number_reads_the_other_mark_alike_in_every_language():
    from training_modules.answer_sheets import SheetText
    from training_modules.number_reading import parse_number

    english, french = {"decimal": ".", "group": ","}, {"decimal": ",", "group": "\u202f"}
    for theirs, mark in ((english, ","), (french, ".")):
        assert parse_number(SheetText(f"1{mark}02"), theirs) == 1.02
        assert parse_number(SheetText(f"1642{mark}25"), theirs) == 1642.25
        assert parse_number(SheetText(f"1{mark}018"), theirs) == 1018.0  # a group: as before
        assert parse_number(SheetText(f"0{mark}018"), theirs) == 0.018  # 0 groups nothing
        assert parse_number(SheetText(f"1{mark}5 k"), theirs) == 1500.0
    assert parse_number(SheetText("1.642,2"), english) is None  # both marks: never guessed
    assert parse_number(SheetText("1,642.2"), french) is None
    assert parse_number("1,02", english) is None  # text given in code keeps the rule
