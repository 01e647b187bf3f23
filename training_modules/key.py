"""Answer keys: computed from a module's facts once, then written in each language.

:func:`compute_key` turns a module's questions into a language-neutral key: the
answer of every numeric question is a fact (computed from the engine's outputs), with
its tolerance, its range where the figure has one, and the value each documented
common mistake would give; choice questions get their options (zones ranked by a
figure, or fixed letters) and the option each mistake leads to. A mistake that gives
the same answer as the right method in this variant cannot be told apart: it is left
out of the key and listed under ``indistinguishable`` (the facilitator guide says so).

:func:`localised_key` adds the words of one language; the numbers are the same in
every language (``fingerprint`` is a hash of the language-neutral key).
"""

from __future__ import annotations

import hashlib
import json

from mecc.errors import ConfigError
from training_modules.facts import zone_options

__all__ = ["DEFAULT_TOLERANCE", "compute_key", "localised_key", "tolerance_of"]

DEFAULT_TOLERANCE = {"relative": 0.02, "absolute": 0.5}
KEY_KIND = "mecc_training_answer_key"
LETTERS = "abcdefgh"


def tolerance_of(value: float, tolerance: dict) -> float:
    """Largest accepted distance from ``value``: max(absolute, relative x |value|)."""
    return max(
        float(tolerance.get("absolute", 0.0)), float(tolerance.get("relative", 0.0)) * abs(value)
    )


def _numeric(question, facts) -> dict:
    tolerance = {**DEFAULT_TOLERANCE, **(question.get("tolerance") or {})}
    answer = facts.number(question["answer"])
    entry = {
        "kind": "numeric",
        "answer": answer,
        "unit": question.get("unit", "people"),
        "tolerance": tolerance,
        "decimals": int(question.get("decimals", 0)),
    }
    if question.get("range"):
        low, high = (facts.number(name) for name in question["range"])
        entry["range"] = [min(low, high), max(low, high)]
        entry["range_kind"] = question.get("range_kind", "curve")
    mistakes, dropped = [], []
    for fact, mistake in (question.get("mistakes") or {}).items():
        value = facts.number(fact)
        apart = abs(value - answer) > tolerance_of(answer, tolerance) + tolerance_of(
            value, tolerance
        )
        (mistakes if apart else dropped).append({"id": mistake, "value": value})
    entry["mistakes"] = mistakes
    entry["indistinguishable"] = [m["id"] for m in dropped]
    return entry


def _choice(question, facts, maps) -> dict:
    entry = {"kind": question["kind"]}
    if question.get("map"):
        entry["map"] = question["map"]
    if question.get("options_from"):
        answer = facts.code(question["answer"])
        mistake_codes = {m: facts.code(f) for f, m in (question.get("mistakes") or {}).items()}
        kept = {m: c for m, c in mistake_codes.items() if c != answer}
        same_class = None
        if question.get("map") and question["map"] in maps:
            classes = maps[question["map"]].classes
            same_class = {c for c, k in classes.items() if k == classes.get(answer) and c != answer}
            kept = {m: c for m, c in kept.items() if c not in same_class}
        codes = zone_options(facts, question["options_from"], [answer, *kept.values()], same_class)
        if len(codes) > len(LETTERS):
            raise ConfigError(f"question {question['id']}: too many options")
        letters = dict(zip(LETTERS, codes, strict=False))
        by_code = {c: k for k, c in letters.items()}
        names = facts.zones.drop_duplicates("zone_code").set_index("zone_code")["zone_name"]
        entry["options"] = {k: str(names[c]) for k, c in letters.items()}
        entry["option_codes"] = letters
        entry["answer"] = by_code[answer]
        entry["mistakes"] = [{"id": m, "option": by_code[c]} for m, c in kept.items()]
        entry["indistinguishable"] = sorted(set(mistake_codes) - set(kept))
        return entry
    options = list(question["options"])
    if question["answer"] not in options:
        raise ConfigError(f"question {question['id']}: answer {question['answer']!r} not an option")
    entry["options"] = dict.fromkeys(options, "")
    entry["answer"] = question["answer"]
    entry["mistakes"] = [
        {"id": mistake, "option": letter}
        for letter, mistake in (question.get("mistakes") or {}).items()
    ]
    entry["indistinguishable"] = []
    return entry


def compute_key(module, facts, variant: int, maps=None) -> dict:
    """The language-neutral answer key of a module (see the module docstring)."""
    questions = {}
    for question in module.items("questions"):
        kind = question["kind"]
        if kind == "numeric":
            entry = _numeric(question, facts)
        elif kind in ("choice", "map"):
            entry = _choice(question, facts, maps or {})
        else:
            criteria = {c: int(p) for c, p in question["criteria"].items()}
            entry = {"kind": "rubric", "criteria": criteria, "answer": {"rubric": dict(criteria)}}
        entry["points"] = int(
            question.get("points", sum(entry["criteria"].values()) if kind == "rubric" else 1)
        )
        questions[question["id"]] = entry
    quiz = {
        item["id"]: {"kind": "choice", "options": list(item["options"]), "answer": item["answer"]}
        for item in module.items("quiz")
    }
    key = {
        "module": module.id,
        "variant": int(variant),
        "knobs": dict(facts.knobs),
        "questions": questions,
        "quiz": quiz,
    }
    key["fingerprint"] = hashlib.sha256(
        json.dumps(key, sort_keys=True, default=str).encode()
    ).hexdigest()[:16]
    return key


def localised_key(key: dict, words, version: str) -> dict:
    """The key as written to ``answer_key.yaml``: numbers plus one language's words."""
    questions = {}
    for qid, entry in key["questions"].items():
        out = {"kind": entry["kind"], "text": words.question_text(qid), "points": entry["points"]}
        if entry["kind"] == "numeric":
            out.update(
                answer=entry["answer"],
                unit=words.common(f"units.{entry['unit']}"),
                tolerance=entry["tolerance"],
            )
            if "range" in entry:
                out["range"] = entry["range"]
                out["range_kind"] = words.common(f"range_kinds.{entry['range_kind']}")
            out["mistakes"] = [
                {
                    "id": m["id"],
                    "value": m["value"],
                    "feedback": words.module(f"mistakes.{m['id']}"),
                }
                for m in entry["mistakes"]
            ]
        elif entry["kind"] in ("choice", "map"):
            options = entry["options"]
            if not any(options.values()):
                options = {k: words.module(f"questions.{qid}.options.{k}") for k in options}
            out.update(answer=entry["answer"], options=options)
            if "option_codes" in entry:
                out["option_codes"] = entry["option_codes"]
            out["mistakes"] = [
                {
                    "id": m["id"],
                    "option": m["option"],
                    "feedback": words.module(f"mistakes.{m['id']}"),
                }
                for m in entry["mistakes"]
            ]
        else:
            out["answer"] = entry["answer"]
            out["criteria"] = {
                c: {
                    "points": p,
                    "text": words.module(f"questions.{qid}.criteria.{c}.text"),
                    "keywords": words.keywords(qid, c),
                }
                for c, p in entry["criteria"].items()
            }
            out["model_answer"] = words.module(f"questions.{qid}.model_answer")
        if entry.get("indistinguishable"):
            out["indistinguishable"] = entry["indistinguishable"]
        questions[qid] = out
    quiz = {
        qid: {
            "text": words.module(f"quiz.{qid}.text"),
            "options": {k: words.module(f"quiz.{qid}.options.{k}") for k in item["options"]},
            "answer": item["answer"],
        }
        for qid, item in key["quiz"].items()
    }
    return {
        "kind": KEY_KIND,
        "module": key["module"],
        "title": words.module("title"),
        "lang": words.lang,
        "variant": key["variant"],
        "knobs": key["knobs"],
        "fingerprint": key["fingerprint"],
        "created_by": f"mecc {version}",
        "note": words.common("key.note"),
        "number_format": {
            "decimal": words.common("number.decimal"),
            "group": words.common("number.group"),
        },
        "messages": {k: words.common(f"grading.{k}") for k in words.grading_keys()},
        "questions": questions,
        "quiz": quiz,
    }
