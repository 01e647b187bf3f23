"""What facilitators and participants read in their own language, from real built outputs.

- ``mecc training check`` with a French key prints the class table's numbers in French
  (``2,5``, ``10``, not ``2.5``, ``10.0``) and says why a sheet cannot be graded, in the
  table and in the summary line, in French; a sheet for another module or variant is
  bad data (exit 1). Usage errors (``--out`` exists) stay English like every mecc error;
- the French and Spanish maps and handouts write the demo data's "(fictional)" tag in
  their language, and a handout names the map's layers exactly as the map shows them;
- French profiles put a space before the colon of "Population : ..." and of the
  sources ("Fichier de calcul : run.yaml").
"""

from __future__ import annotations

import html
import re

import pytest
import yaml

from mecc.errors import DataError
from training_modules.grading import grade

M5, M8 = "m5_evacuation", "m8_policy_tabletop"


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    """A pack of modules 5 (grading) and 8 (a map whose layers the handout names)."""
    from training_modules.pack import build_pack

    out = tmp_path_factory.mktemp("loc") / "pack"
    build_pack(out, modules=[M5, M8], langs=["en", "fr", "es"])
    return out


def _key(pack, lang):
    return pack / lang / "facilitator" / M5 / "answer_key.yaml"


def _sheet(folder, name, module=M5, variant=0, **answers):
    lines = "".join(f"  {q}: {a}\n" for q, a in answers.items())
    text = f"kind: mecc_training_answers\nmodule: {module}\nvariant: {variant}\n"
    text += f"participant: {name.capitalize()}\nanswers:\n{lines}"
    path = folder / f"{name}.yaml"
    path.write_text(text, "utf-8")
    return path


def _class(tmp_path, bad=True):
    """Two sheets that can be graded and (``bad``) one for module 4 and one for variant 2."""
    folder = tmp_path / "class"
    folder.mkdir()
    # q2 right (1 point) and the facilitator's 1,5 points for q7's first criterion
    _sheet(folder, "ana", q2=6, q7='{text: "familles d accueil", rubric: {c1: "1,5"}}')
    _sheet(folder, "carla", q7='{text: "x", rubric: {c1: "0,25"}}')  # 0.25 of 10: 2.5 %
    if bad:
        _sheet(folder, "zz_m4", module="m4_displacement", q1=1)
        _sheet(folder, "zz_v2", variant=2, q1=1)
    return folder


def _row(output: str, participant: str) -> list:
    line = next(line for line in output.splitlines() if line.split()[:1] == [participant])
    return line.split()


# ------------------------------------------------------------ 1. grading in French


def test_french_class_table_prints_french_numbers(pack, tmp_path, cli):
    folder = _class(tmp_path, bad=False)
    result = cli("training", "check", "--class", folder, "--key", _key(pack, "fr"))
    assert result.exit_code == 0, result.output
    # participant, file, score, provisional, total, percent, q1..q7: by hand, Ana has
    # q2 (1) + 1.5 rubric points = 2.5 of 10 (six 1-point questions and q7's 4): 25 %
    ana = _row(result.stdout, "Ana")
    assert ana[2:6] == ["2,5", "0", "10", "25"], ana
    assert ana[6:13] == ["0", "1", "0", "0", "0", "0", "1,5"], ana
    carla = _row(result.stdout, "Carla")  # 0.25 of 10 points: 2.5 %
    assert carla[2:6] == ["0,25", "0", "10", "2,5"], carla
    assert not re.search(r"\d\.\d", result.stdout)  # no English decimal point anywhere


def test_why_a_sheet_is_not_graded_is_said_in_the_keys_language(pack, tmp_path, cli):
    out = tmp_path / "notes.csv"
    key = _key(pack, "fr")
    result = cli("training", "check", "--class", _class(tmp_path), "--key", key, "--out", out)
    assert result.exit_code == 1, result.output  # a sheet that cannot be used: bad data
    wrong_module = "réponses pour m4_displacement, mais le corrigé est pour m5_evacuation"
    (line,) = result.stderr.strip().splitlines()  # the first bad sheet (zz_m4), in French
    assert wrong_module in line
    assert "(et 1 autre(s) feuille(s) impossible(s) à noter)" in line
    assert line.endswith(
        "aucune note n'est écrite : rectifiez ces feuilles ou retirez-les du dossier, puis relancez"
    )
    assert "answers for" not in result.output and "key is for" not in result.output
    assert result.stdout == "" and not out.exists()  # nothing shown, nothing written


def test_single_sheet_refusals_in_french_and_english(pack, tmp_path, cli):
    folder = tmp_path / "one"
    folder.mkdir()
    typo = _sheet(folder, "typo", q7='{text: "x", rubric: {c1: 2, c4: 1}}')
    variant = _sheet(folder, "variant", variant=2, q1=1)
    found = cli("training", "check", typo, "--key", _key(pack, "fr"))
    assert found.exit_code == 2  # a field the key does not have: bad usage, as before
    assert found.stderr.strip() == (
        f"error: {typo}.answers.q7.rubric: critère inconnu : c4 "
        "(les critères de la question sont c1, c2, c3)"
    )
    found = cli("training", "check", variant, "--key", _key(pack, "fr"))
    assert found.exit_code == 1
    assert found.stderr.strip() == (
        f"error: {variant}: réponses pour la variante 2, mais le corrigé est pour la variante 0 ; "
        "notez-la avec fr/facilitator/m5_evacuation/answer_key.yaml d'un kit construit avec "
        "--variant 2"
    )
    found = cli("training", "check", variant, "--key", _key(pack, "es"))
    assert "respuestas para la variante 2, pero la clave es para la variante 0" in found.stderr
    found = cli("training", "check", variant, "--key", _key(pack, "en"))
    assert found.exit_code == 1
    assert "answers for variant 2, but the key is for variant 0" in found.stderr


def test_a_sheet_for_another_module_is_a_data_error(pack):
    key = yaml.safe_load(_key(pack, "en").read_text("utf-8"))
    with pytest.raises(DataError, match="answers for m4_displacement, but the key is for m5_"):
        grade({"kind": "mecc_training_answers", "module": "m4_displacement"}, key)


# ------------------------------------------------- 2. the "(fictional)" tag, in words


def _plain(path) -> str:
    return html.unescape(path.read_text("utf-8"))


@pytest.mark.parametrize(("lang", "tag"), [("fr", "fictif"), ("es", "ficticio")])
def test_handout_quotes_the_maps_layer_names_in_its_language(pack, lang, tag):
    folder = pack / lang / "participants" / M8
    handout, page = _plain(folder / "handout.html"), _plain(folder / "map.html")
    quoted = re.findall(r"« ?([^«»]+?) ?»", handout) or re.findall(r"“([^”]+)”", handout)
    layers = [q for q in quoted if " · " in q]
    assert layers, "the handout names no map layer"
    assert any(f"2050 ({tag}) · " in name for name in layers), layers
    for name in layers:
        assert name in page, name  # verbatim, as the map shows it
    assert "(fictional" not in handout and "(fictional" not in page


def test_french_map_of_the_demo_has_no_english_tag(demo_folder, tmp_path, cli):
    result = cli("map", demo_folder / "run", "--lang", "fr", "--out", tmp_path / "fr")
    assert result.exit_code == 0, result.output
    page = _plain(tmp_path / "fr" / "map.html")
    assert "(fictional" not in page
    for shown in (
        "Joval (nom fictif)",  # a district
        "Site A (nom fictif)",  # a displacement site
        "SSP2-4.5, 2050 (fictif)",  # a future
        "Mareva (pays de démonstration fictif) : personnes",  # the title
        "Fichier de calcul : run.yaml",  # the About panel's inputs
    ):
        assert shown in page, shown
    english = _plain(demo_folder / "run" / "map.html")  # mecc demo's own map, in English
    assert "Joval (fictional)" in english and "Mareva (fictional demo country)" in english


# -------------------------------------------------------- 3. French colons in profiles


def test_french_profile_spaces_its_colons(demo_folder, tmp_path, cli):
    out = tmp_path / "profile"
    result = cli(
        "profile", demo_folder / "run", "--lang", "fr", "--no-pdf", "--zone", "XMR01",
        "--out", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    text = re.sub(r"<[^>]+>", "", _plain(out / "profiles.html"))
    space = "[ \u00a0\u202f]"
    for label in (
        "Population",
        "Population officielle",
        "Fichier de calcul",
        "Limites administratives, niveau 2",
        "Donnée d'entrée \\(population.official\\)",
    ):
        assert re.search(f"{label}{space}: ", text), label
        assert not re.search(f"{label}: ", text), label
    assert re.search(f"Population{space}: \\d", text)  # the figure follows
