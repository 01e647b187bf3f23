"""Training content fixes: handouts do not give graded answers away, questions that ask a
precision are graded at that precision, and the pack's runs cite their population grid.

1. The m6 handout's step-3 checkpoint said "your table has 32 rows", the answer of
   question 6 (the same in every variant). Checked for every module, language and a few
   variants: statically (no handout text names an answer's fact) and in the rendered
   handouts (no number the grader would accept is written with the answer's unit).
2. m2's A-2 and A-1 ask for two decimals but accepted 2 %: ``1`` for 1.0176.
3. Every pack map said the population source was not given in the run file.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
import yaml

from training_modules.catalogue import flatten_words, load_catalogue
from training_modules.grading import grade, read_key
from training_modules.key import tolerance_of
from training_modules.pack import build_pack

VARIANTS = (0, 1, 5)
"""Variant 0 (with the interactive maps) and two others: every module has at least six."""

LANGS = ("en", "fr", "es")
MODULE_COUNT = 8


@pytest.fixture(scope="module")
def packs(tmp_path_factory):
    """Packs of every module in every language, one per variant in VARIANTS."""
    out = {}
    for variant in VARIANTS:
        folder = tmp_path_factory.mktemp("content") / f"pack{variant}"
        build_pack(folder, variant=variant, interactive_maps=variant == 0)
        out[variant] = folder
    return out


def _keys(pack: Path):
    """(lang, module id, key) of every answer key of a pack."""
    found = []
    for path in sorted(pack.glob("*/facilitator/*/answer_key.yaml")):
        found.append((path.parts[-4], path.parts[-2], read_key(path)))
    return found


# --- 1. handouts do not give a graded answer away -----------------------------------------

_FACILITATOR_ONLY = re.compile(
    r"^(notes|debrief|agenda|mistakes)\.|^questions\.\w+\.(model_answer|criteria)\b"
)
"""Locale keys only the facilitator's guide and key show (participants see the rest)."""


def _answer_facts(module) -> set:
    """The facts that are a graded numeric answer, and any fact computed the same way."""
    facts = module.data.get("facts") or {}
    answers = [q["answer"] for q in module.items("questions") if q["kind"] == "numeric"]
    return {name for name, spec in facts.items() if any(spec == facts[a] for a in answers)}


def test_no_participant_text_or_checkpoint_names_a_graded_answer():
    catalogue = load_catalogue()
    found = []
    for module in catalogue.modules.values():
        graded = _answer_facts(module)
        assert graded, module.id
        for step in module.items("steps"):
            fact = (step.get("checkpoint") or {}).get("fact")
            if fact in graded:
                found.append((module.id, f"steps.{step['id']}.checkpoint", fact))
        for lang in LANGS:
            for key, text in flatten_words(catalogue.words(lang, module.id)).items():
                if _FACILITATOR_ONLY.search(key) or not isinstance(text, str):
                    continue
                for name in re.findall(r"{(\w+)}", text):
                    if name in graded:
                        found.append((module.id, lang, key, name))
    assert found == []


_NOT_PROSE = re.compile(
    r"<(style|script|svg|table|figure)\b.*?</\1>|<p[^>]*class=\"map-values\".*?</p>", re.S
)
"""Reading material, not statements: data tables, maps with their legends."""


def _prose(page: str) -> str:
    text = re.sub(r"<[^>]+>", " ", _NOT_PROSE.sub(" ", page))
    return re.sub(r"[ \t\r\n]+", " ", html.unescape(text))  # keeps the group marks


def _numbers(text: str, marks: dict):
    """(value, end) of each number written with the language's marks; an identifier's
    digits (B-1, m6, version 0.1.0) are no number."""
    decimal, group = re.escape(marks["decimal"]), re.escape(marks["group"])
    pattern = re.compile(
        rf"(?<![\w{decimal}{group}-])(\d{{1,3}}(?:{group}\d{{3}})+|\d+)(?:{decimal}(\d+))?"
        rf"(?!\w|[.,]\d)"
    )
    for match in pattern.finditer(text):
        whole = match.group(1).replace(marks["group"], "")
        yield float(f"{whole}.{match.group(2) or 0}"), match.end()


def giveaways(page: str, key: dict) -> list:
    """Statements of a numeric answer in a handout: a number the grader accepts for a
    question (within the key's tolerance) followed by the question's unit ("32 rows",
    "1.02 per 100,000"; one word may come between a one-word unit and the number)."""
    text, found = _prose(page), []
    for qid, entry in key["questions"].items():
        if entry["kind"] != "numeric":
            continue
        words = str(entry["unit"]).split()
        gap = r"(?:[^\W\d_]+\s+)?" if len(words) == 1 else ""
        head = r"\s+".join(map(re.escape, words[:2]))
        unit = re.compile(rf"\s*{gap}{head}(?!\w)", re.I)
        answer = float(entry["answer"])
        for value, end in _numbers(text, key["number_format"]):
            accepted = abs(value - answer) <= tolerance_of(answer, entry["tolerance"])
            if accepted and unit.match(text, end):
                found.append((qid, text[max(0, end - 60) : end + 30]))
    return found


def test_the_detector_finds_an_answer_written_with_its_unit():
    key = {
        "number_format": {"decimal": ",", "group": "\u202f"},
        "questions": {
            "q6": {"kind": "numeric", "answer": 32.0, "unit": "lignes", "tolerance": {}},
            "q2": {
                "kind": "numeric",
                "answer": 1.0176,
                "unit": "pour 100\u202f000 habitants",
                "tolerance": {"relative": 0.0, "absolute": 0.005},
            },
            "q9": {
                "kind": "numeric",
                "answer": 2358564.0,
                "unit": "personnes",
                "tolerance": {"relative": 0.02, "absolute": 0.5},
            },
        },
    }
    page = (
        "<p>Point de contrôle : votre tableau a 32 lignes. A-2 vaut 1,02 pour 100\u202f000 "
        "habitants ; 2\u202f358\u202f564 personnes.</p><table><td>32 lignes</td></table>"
    )
    assert [q for q, _ in giveaways(page, key)] == ["q6", "q2", "q9"]
    # an identifier, a denominator, another unit or a table cell give nothing away
    page = (
        "<p>B-32 lignes ; 32 districts ; 1,5 pour 100\u202f000 ; version 1,02,1 "
        "pour 100\u202f000</p><table><td>32 lignes</td></table>"
    )
    assert giveaways(page, key) == []


def test_no_handout_states_a_graded_answer(packs):
    checked = set()
    for variant, pack in packs.items():
        keys = _keys(pack)
        assert len(keys) == MODULE_COUNT * len(LANGS)
        for lang, module, key in keys:
            page = (pack / lang / "participants" / module / "handout.html").read_text("utf-8")
            assert giveaways(page, key) == [], (variant, lang, module)
            checked.add(module)
    assert len(checked) == MODULE_COUNT


def test_the_m6_checkpoint_checks_a_row_no_question_asks_for(packs):
    for pack in packs.values():
        for lang, module, key in _keys(pack):
            if module != "m6_sendai_table":
                continue
            rows = key["questions"]["q6"]["answer"]
            assert rows == 32  # 3 districts with records and the nation, 8 indicators each
            page = (pack / lang / "participants" / module / "handout.html").read_text("utf-8")
            checkpoint = re.findall(r'<div class="checkpoint">(.*?)</div>', page, re.S)[-1]
            assert "32" not in checkpoint and "population_denominator" in checkpoint
            word = {"en": "rows", "fr": "lignes", "es": "filas"}[lang]
            assert not re.search(rf"\b32\s+{word}\b", _prose(page))


# --- 2. a question that asks a precision is graded at that precision -----------------------

_PRECISION = {
    1: re.compile(r"\b(one decimal|une décimale|un decimal)\b"),
    2: re.compile(r"\b(two decimals|deux décimales|dos decimales)\b"),
}


def test_questions_that_ask_a_precision_have_a_tolerance_of_half_its_last_digit():
    catalogue = load_catalogue()
    asked = []
    for module in catalogue.modules.values():
        for question in module.items("questions"):
            for lang in LANGS:
                text = flatten_words(catalogue.words(lang, module.id))[
                    f"questions.{question['id']}.text"
                ]
                for decimals, pattern in _PRECISION.items():
                    if pattern.search(text):
                        asked.append((module.id, question["id"], lang))
                        assert question.get("decimals") == decimals
                        tolerance = question["tolerance"]
                        assert tolerance["relative"] == 0
                        assert tolerance["absolute"] == pytest.approx(0.5 * 10**-decimals)
    assert {(m, q) for m, q, _ in asked} == {("m2_loss_records", "q2"), ("m2_loss_records", "q3")}
    assert len(asked) == 2 * len(LANGS)


def _written(value: float, decimals: int, key: dict) -> str:
    return f"{value:.{decimals}f}".replace(".", key["number_format"]["decimal"])


def test_a_two_decimal_rate_is_right_rounded_as_asked_and_wrong_rounded_less(packs):
    wrong_seen = 0
    for variant, pack in packs.items():
        for lang, module, key in _keys(pack):
            if module != "m2_loss_records":
                continue
            for qid in ("q2", "q3"):
                answer = key["questions"][qid]["answer"]
                cases = {_written(answer, 2, key): "right"}
                for decimals in (0, 1):  # a whole number, one decimal
                    if abs(round(answer, decimals) - answer) > 0.005:
                        cases[_written(answer, decimals, key)] = "wrong"
                        wrong_seen += 1
                for given, status in cases.items():
                    sheet = {"kind": "mecc_training_answers", "answers": {qid: given}}
                    result = grade(sheet, key)
                    got = {r["id"]: r["status"] for r in result.questions}[qid]
                    assert got == status, (variant, lang, qid, given, answer)
    assert wrong_seen >= len(VARIANTS) * len(LANGS) * 2


def test_the_probe_s_whole_numbers_score_nothing(packs):
    key = read_key(packs[0] / "en" / "facilitator" / "m2_loss_records" / "answer_key.yaml")
    assert key["questions"]["q2"]["answer"] == pytest.approx(1.0176, abs=1e-4)
    assert key["questions"]["q3"]["answer"] == pytest.approx(1.4840, abs=1e-4)
    answers = {"q2": "1", "q3": "1.5"}
    result = grade({"kind": "mecc_training_answers", "answers": answers}, key)
    assert {r["id"]: r["status"] for r in result.questions if r["id"] in answers} == {
        "q2": "wrong",
        "q3": "wrong",
    }
    answers = {"q2": "1.02", "q3": "1.48"}
    result = grade({"kind": "mecc_training_answers", "answers": answers}, key)
    assert result.score == 2


# --- 3. the pack's runs cite their population grid ---------------------------------------


def test_pack_maps_and_runs_cite_the_fictional_population_grid(packs):
    """The pack's run files name their population grid `source: fictional` (as the demo's):
    every run's manifest and every map cites it, and no map says the source is missing."""
    from exposure.population import SOURCES

    pack = packs[0]
    attribution = SOURCES["fictional"]["attribution"]
    assert attribution.endswith("(fictional)")  # the tag maps translate
    maps = sorted(pack.glob("*/participants/*/map.html"))
    assert len(maps) >= len(LANGS)
    for path in maps:
        page = path.read_text("utf-8")
        assert "population.source" not in page, path
        cited = re.escape(attribution.removesuffix(" (fictional)"))  # tag in the map's language
        assert re.search(rf"population\.tif \(2025\)\s?: {cited} \(", page), path
    runs = sorted(pack.glob("runs/*/manifest.json"))
    assert len(runs) == MODULE_COUNT
    for path in runs:
        population = json.loads(path.read_text("utf-8"))["parameters"]["population"]
        assert (population["source"], population["attribution"]) == ("fictional", attribution)
    for path in sorted(pack.glob("data/m*/run.yaml")):
        assert yaml.safe_load(path.read_text("utf-8"))["population"]["source"] == "fictional"


def test_the_demo_names_its_population_grid_fictional(tmp_path):
    from mecc.demo import write_demo_inputs

    run_file = write_demo_inputs(tmp_path / "demo")
    assert yaml.safe_load(run_file.read_text("utf-8"))["population"]["source"] == "fictional"
