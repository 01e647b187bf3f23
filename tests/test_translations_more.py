"""Words of profiles and training packs in the page's language, read back from real built
files: the curve sources of a district profile (citations as published, the library's
own descriptive words translated), singular and plural of counts with a unit in English,
French and Spanish, the answer key's district options with the "(fictional)" tag in the
key's language, and the class table of ``mecc training check`` with headers in the key's
language and no "None" (printed; the CSV keeps its column ids).

The profile run (tests/_run_inputs.py grid, 4 x 4 cells, zones A = columns 0-1, B =
columns 2-3) holds one person in cell (0, 0) of A and 30 people in each cell of B; one
depth grid is 2 m in cells (0, 0) and (0, 2) and 0 elsewhere. Every hazard displaces
the one person of A and the 30 of B's cell (0, 2) (2 m is above every step used:
0.5 m, 0.7 m, 1.5 m). Households: 1 person in A, 1.5 in B. So, by hand, with the
Sphere profile (per person 15 litres a day, 0.05 toilets, one kit per household):
A needs 1 kit (1 / 1) and 0.05 toilets; B needs 30 / 1.5 = 20 kits and 30 x 0.05 = 1.5
toilets.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from tests._run_inputs import basic_case, write_run
from tests.conftest import write_raster


def _text(fragment: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


# ------------------------------------------------------------------ the profile run


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    from mecc.run import run_country

    base = tmp_path_factory.mktemp("translations_more")
    inputs = base / "inputs"
    data = basic_case(inputs)
    people = np.zeros((4, 4))
    people[0, 0] = 1
    people[:, 2:] = 30
    depth = np.zeros((4, 4))
    depth[0, 0] = depth[0, 2] = 2.0
    write_raster(inputs / "pop.tif", people)
    write_raster(inputs / "flood.tif", depth)
    (inputs / "hh.csv").write_text("code,size\nA,1\nB,1.5\n", encoding="utf-8")
    data["population"]["household_size"] = {
        "path": "hh.csv",
        "code_column": "code",
        "value_column": "size",
    }
    surge = {"type": "coastal_flood", "intensity": "flood.tif"}
    data["hazards"] = [
        {"id": "one", "scenario": "Surge", "curve": "flood_step_1m:high", **surge},
        {"id": "sens", "scenario": "Surge 2", "curve": "flood_step_1.5m", **surge},
        {"id": "own", "scenario": "Surge 3", "curve": {"step": 0.7}, **surge},
    ]
    run_country(write_run(inputs, data), base / "run", with_map=False)
    return base / "run"


@pytest.fixture(scope="module")
def profiles(run_dir, tmp_path_factory):
    """lang -> the profiles.html ``mecc profile`` writes (needs of hazard ``one``)."""
    from click.testing import CliRunner

    from cli import main

    out = {}
    for lang in ("en", "fr", "es"):
        folder = tmp_path_factory.mktemp(f"profile_{lang}")
        args = ["profile", str(run_dir), "--out", str(folder / "p"), "--lang", lang]
        result = CliRunner().invoke(main, [*args, "--hazard", "one", "--no-pdf"])
        assert result.exit_code == 0, result.output
        out[lang] = (folder / "p" / "profiles.html").read_text("utf-8")
    return out


def _page(document: str, code: str) -> str:
    match = re.search(rf'<section class="page" data-zone="{code}".*?</section>', document, re.S)
    assert match, code
    return match.group(0)


def _sources(page: str) -> list:
    block = re.search(r'<ul class="sources">(.*?)</ul>', page, re.S).group(1)
    return [_text(item) for item in re.findall(r"<li>(.*?)</li>", block, re.S)]


def _needs_rows(page: str) -> dict:
    """need id -> (the per-person cell, the total cell), as shown."""
    table = re.search(r'<table class="needs">.*?</table>', page, re.S).group(0)
    rows = re.findall(
        r'<tr><td class="left">[^<]*</td><td>(.*?)</td><td data-need="([^"]+)"[^>]*>(.*?)'
        r"(?:<span|</td>)",
        table,
        re.S,
    )
    return {need: (_text(per), _text(total)) for per, need, total in rows}


# ------------------------------------------------------ 1. curve sources in the language

SOURCES = {
    "en": {
        "sens": "Displacement curve of sens: sensitivity variant of the 1 m "
        "step of Kam et al. (2021); displaces fewer people",
        "one": "(curve flood_step_1m, high variant: displaces more people)",
        "own": "Displacement curve of own: given in the run file",
    },
    "fr": {
        "sens": "Courbe de déplacement de sens : variante de sensibilité du "
        "seuil de 1 m de Kam et al. (2021) ; déplace moins de personnes",
        "one": "(courbe flood_step_1m, variante haute : déplace plus de personnes)",
        "own": "Courbe de déplacement de own : donnée dans le fichier de calcul",
    },
    "es": {
        "sens": "Curva de desplazamiento de sens: variante de sensibilidad del "
        "umbral de 1 m de Kam et al. (2021); desplaza a menos personas",
        "one": "(curva flood_step_1m, variante alta: desplaza a más personas)",
        "own": "Curva de desplazamiento de own: dada en el archivo de cálculo",
    },
}


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_curve_sources_use_the_profile_language(profiles, lang):
    lines = _sources(_page(profiles[lang], "A"))
    sens = next(line for line in lines if " sens" in line.split(":")[0])
    assert sens == SOURCES[lang]["sens"]
    own = next(line for line in lines if " own" in line.split(":")[0])
    assert own == SOURCES[lang]["own"]
    one = next(line for line in lines if " one" in line.split(":")[0])
    # the library entry's citation stays as published, the variant's meaning is translated
    assert "Kam, Aznar-Siguan, Schewe, Milano, Ginnetti, Willner, McCaughey and Bresch" in one
    assert one.endswith(SOURCES[lang]["one"])
    if lang != "en":
        joined = " ".join(lines)
        for english in ("sensitivity variant", "displaces", "run file", "high variant"):
            assert english not in joined, english


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "any depth > 0"),
        ("fr", "toute hauteur d'eau > 0"),
        ("es", "cualquier profundidad > 0"),
    ],
)
def test_the_sea_level_rise_curve_is_described_in_the_language(lang, expected):
    from mecc.profile_text import ProfileText

    curve = {"name": "permanent inundation", "source": "any depth > 0"}
    assert html.unescape(ProfileText(lang).curve_source(curve)) == expected


def test_a_source_the_toolkit_does_not_know_is_kept_as_written():
    from mecc.profile_text import ProfileText

    curve = {"name": "my_curve", "source": "Ministry of Works <2020> survey"}
    assert ProfileText("fr").curve_source(curve) == "Ministry of Works &lt;2020&gt; survey"


# ------------------------------------------------- 2. singular and plural of counts


@pytest.mark.parametrize(
    ("lang", "shown", "singular"),
    [
        ("en", "1", True),
        ("en", "1.0", False),
        ("en", "1.5", False),
        ("en", "0.05", False),
        ("en", "2", False),
        ("es", "1", True),
        ("es", "1,0", True),
        ("es", "1,5", False),
        ("es", "0,05", False),
        ("fr", "0,05", True),
        ("fr", "1", True),
        ("fr", "1,5", True),
        ("fr", "2", False),
        ("fr", "1\u202f000", False),
        ("fr", "–", False),
    ],
)
def test_plural_rules(lang, shown, singular):
    from mecc.profile_text import ProfileText

    assert ProfileText(lang).singular(shown) is singular


COUNTS = {
    "en": {
        "A_sentence": "about 1 person in Zone A may lose their home.",
        "A_needs": "Minimum needs if 1 person is displaced",
        "A_kits": ("1 kit per household of 1 person (this unit's size)", "1 kit"),
        "A_toilets": ("0.05 toilets", "0.050 toilets"),
        "A_water": ("15 litres per day", "15 litres per day"),
        "B_sentence": "about 30 people in Zone B may lose their homes.",
        "B_needs": "Minimum needs if 30 people are displaced",
        "B_kits": ("1 kit per household of 1.5 people (this unit's size)", "20 kits"),
        "B_toilets": ("0.05 toilets", "1.5 toilets"),
    },
    "fr": {
        "A_sentence": "environ 1 personne de Zone A pourrait perdre son logement.",
        "A_needs": "Besoins minimaux si 1 personne est déplacée",
        "A_kits": ("1 kit par ménage de 1 personne (taille de l'unité)", "1 kit"),
        "A_toilets": ("0,05 toilette", "0,050 toilette"),
        "A_water": ("15 litres par jour", "15 litres par jour"),
        "B_sentence": "environ 30 personnes de Zone B pourraient perdre leur logement.",
        "B_needs": "Besoins minimaux si 30 personnes sont déplacées",
        "B_kits": ("1 kit par ménage de 1,5 personne (taille de l'unité)", "20 kits"),
        "B_toilets": ("0,05 toilette", "1,5 toilette"),
    },
    "es": {
        "A_sentence": "aproximadamente 1 persona en Zone A podría perder su vivienda.",
        "A_needs": "Necesidades mínimas si 1 persona es desplazada",
        "A_kits": ("1 kit por hogar de 1 persona (tamaño de la unidad)", "1 kit"),
        "A_toilets": ("0,05 letrinas", "0,050 letrinas"),
        "A_water": ("15 litros por día", "15 litros por día"),
        "B_sentence": "unas 30 personas en Zone B podrían perder su vivienda.",
        "B_needs": "Necesidades mínimas si 30 personas son desplazadas",
        "B_kits": ("1 kit por hogar de 1,5 personas (tamaño de la unidad)", "20 kits"),
        "B_toilets": ("0,05 letrinas", "1,5 letrinas"),
    },
}


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_counts_agree_with_their_number(profiles, lang):
    expected = COUNTS[lang]
    for code in ("A", "B"):
        page = _page(profiles[lang], code)
        sentence = re.search(r'<p class="sentence" data-hazard="one".*?</p>', page, re.S)
        assert _text(sentence.group(0)).endswith(expected[f"{code}_sentence"])
        needs_title = re.search(r"<h2>([^<]*)</h2><table class=\"needs\">", page).group(1)
        assert _text(needs_title).startswith(expected[f"{code}_needs"])
        rows = _needs_rows(page)
        assert rows["family_kits"] == expected[f"{code}_kits"]
        assert rows["toilets"] == expected[f"{code}_toilets"]
    assert _needs_rows(_page(profiles[lang], "A"))["water"] == expected["A_water"]


# ------------------------------------------- 3. and 4. a French and a Spanish pack


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    """Module 3 (district options) in French and Spanish, without interactive maps."""
    from training_modules.pack import build_pack

    out = tmp_path_factory.mktemp("translations_pack") / "pack"
    return build_pack(
        out, modules=["m3_exposure"], langs=["fr", "es"], interactive_maps=False
    ).out_dir


TAG = {"fr": "(nom fictif)", "es": "(nombre ficticio)"}


@pytest.mark.parametrize("lang", ["fr", "es"])
def test_answer_key_names_districts_with_the_tag_in_its_language(pack, lang):
    key = yaml.safe_load(
        (pack / lang / "facilitator" / "m3_exposure" / "answer_key.yaml").read_text("utf-8")
    )
    zones = {qid: entry for qid, entry in key["questions"].items() if entry.get("option_codes")}
    assert zones
    admin = pd.read_csv(pack / "runs" / "m3_exposure" / "zones.csv", encoding="utf-8-sig")
    data_names = dict(zip(admin["zone_code"], admin["zone_name"], strict=False))
    for entry in zones.values():
        for letter, name in entry["options"].items():
            data_name = data_names[entry["option_codes"][letter]]
            assert data_name.endswith(" (fictional)")
            assert name == data_name.removesuffix(" (fictional)") + f" {TAG[lang]}"
    guide = _text((pack / lang / "facilitator" / "m3_exposure" / "guide.html").read_text("utf-8"))
    assert "(fictional)" not in guide and TAG[lang] in guide


def _class(pack, lang, tmp_path) -> tuple[Path, Path]:
    """Two filled-in sheets of module 3: Ana without a quiz, Ben with the pre-quiz, who
    answers the district question with the data's own name ("Joval (fictional)")."""
    key_path = pack / lang / "facilitator" / "m3_exposure" / "answer_key.yaml"
    key = yaml.safe_load(key_path.read_text("utf-8"))
    qid, entry = next((q, e) for q, e in key["questions"].items() if e.get("option_codes"))
    admin = pd.read_csv(pack / "runs" / "m3_exposure" / "zones.csv", encoding="utf-8-sig")
    data_name = dict(zip(admin["zone_code"], admin["zone_name"], strict=False))[
        entry["option_codes"][entry["answer"]]
    ]
    sheet = yaml.safe_load(
        (pack / lang / "participants" / "m3_exposure" / "answer_sheet.yaml").read_text("utf-8")
    )
    folder = tmp_path / f"class_{lang}"
    folder.mkdir()
    ana = {**sheet, "participant": "Ana", "answers": {**sheet["answers"], qid: data_name}}
    (folder / "ana.yaml").write_text(yaml.safe_dump(ana, allow_unicode=True), "utf-8")
    quiz = dict.fromkeys(sheet["quiz_pre"], "a")
    (folder / "ben.yaml").write_text(
        yaml.safe_dump({**sheet, "participant": "Ben", "quiz_pre": quiz}, allow_unicode=True),
        "utf-8",
    )
    return key_path, folder


HEADERS = {
    "fr": ["participant", "fichier", "note", "provisoire", "total", "pourcentage"],
    "es": ["participante", "archivo", "puntuación", "provisional", "total", "porcentaje"],
}
QUIZ = {
    "fr": ("quiz avant (%)", "quiz après (%)"),
    "es": ("cuestionario antes (%)", "cuestionario después (%)"),
}


@pytest.mark.parametrize("lang", ["fr", "es"])
def test_class_table_speaks_the_keys_language(cli, pack, lang, tmp_path):
    key_path, folder = _class(pack, lang, tmp_path)
    out = tmp_path / "grades.csv"
    result = cli("training", "check", "--class", folder, "--key", key_path, "--out", out)
    assert result.exit_code == 0, result.output
    shown = result.stdout.splitlines()
    assert "None" not in result.stdout and "NaN" not in result.stdout
    header = shown[0]
    for word in [*HEADERS[lang], *QUIZ[lang]]:
        assert word in header, word
    for english in ("file", "percent", "quiz_pre_percent", "mistakes"):
        assert english not in header.split(), english
    ana = next(line for line in shown if "ana.yaml" in line)
    assert ana.split()[-2:] == ["—", "—"]  # no quiz before, no quiz after
    # the CSV keeps the column ids (read by programs) and leaves empty cells blank
    table = pd.read_csv(out, encoding="utf-8-sig", keep_default_na=False)
    assert list(table.columns[:2]) == ["participant", "file"]
    rows = table.set_index("participant")
    assert rows.loc["Ana", "quiz_pre_percent"] == "" and rows.loc["Ana", "quiz_post_percent"] == ""
    # Ben answered every pre-quiz question "a": his score is the share of "a" answers
    key = yaml.safe_load(key_path.read_text("utf-8"))
    right = sum(item["answer"] == "a" for item in key["quiz"].values())
    assert float(rows.loc["Ben", "quiz_pre_percent"]) == pytest.approx(
        100 * right / len(key["quiz"])
    )
    # the district named as in the data ("Joval (fictional)") is right with the key's tag
    qid = next(q for q, e in key["questions"].items() if e.get("option_codes"))
    assert float(rows.loc["Ana", qid]) == float(key["questions"][qid]["points"])
