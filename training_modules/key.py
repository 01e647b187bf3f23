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
:func:`check_key` refuses a written key (perhaps edited by hand) that cannot grade.
"""

from __future__ import annotations

import hashlib
import json
import math

from mecc.errors import ConfigError, DataError
from training_modules.facts import zone_options
from training_modules.handouts import place_name

__all__ = [
    "DEFAULT_TOLERANCE",
    "KEY_KIND",
    "NOT_A_KEY",
    "check_key",
    "compute_key",
    "fact_unit",
    "localised_key",
    "tolerance_of",
    "variant_number",
]

DEFAULT_TOLERANCE = {"relative": 0.02, "absolute": 0.5}
KEY_KIND = "mecc_training_answer_key"
NOT_A_KEY = (
    f"not an answer key (kind: {KEY_KIND}): the key is the pack's "
    "<lang>/facilitator/<module>/answer_key.yaml, a text file"
)
"""What a ``--key`` file that is no answer key is told (an option error: in English)."""
LETTERS = "abcdefgh"


def tolerance_of(value: float, tolerance: dict) -> float:
    """Largest accepted distance from ``value``: max(absolute, relative x |value|)."""
    return max(
        float(tolerance.get("absolute") or 0.0),
        float(tolerance.get("relative") or 0.0) * abs(value),
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
    span = _range(question, facts)
    if span is not None:
        entry["range"] = span
        entry["range_kind"] = question.get("range_kind", "curve")
    mistakes, dropped = [], []
    units = question.get("mistake_units") or {}
    for fact, mistake in (question.get("mistakes") or {}).items():
        value = facts.number(fact)
        apart = abs(value - answer) > tolerance_of(answer, tolerance) + tolerance_of(
            value, tolerance
        )
        unit = units.get(fact) or fact_unit(facts.specs, fact) or entry["unit"]
        (mistakes if apart else dropped).append({"id": mistake, "value": value, "unit": unit})
    entry["mistakes"] = mistakes
    entry["indistinguishable"] = [m["id"] for m in dropped]
    return entry


def _range(question, facts) -> list | None:
    """The ``[low, high]`` the engine gives around a numeric answer, or None.

    ``range`` names the two facts (curve variants, ensemble members, a bootstrap
    interval; ``range_kind`` says which). A range whose facts are ``optional`` (a module
    whose variants may pick a curve without low and high variants) is left out where the
    run does not hold it; any other missing range is an error, as for any fact. The
    range is shown, not graded: the answer and its tolerance are the central value's.
    """
    if not question.get("range"):
        return None
    try:
        low, high = (facts.number(name) for name in question["range"])
    except DataError:
        if any(facts.optional(name) for name in question["range"]):
            return None
        raise
    return [min(low, high), max(low, high)]


_PEOPLE_FACTS = ("pmd", "band", "cohort")
"""Facts that count people (a map's or an event's displacement, exposure, a group)."""


def fact_unit(specs: dict, name, seen=()) -> str | None:
    """The unit of a fact, where its spec tells it (a key of the locales' ``units``).

    A figure of ``summary`` or ``zone``: ``people_per_year`` for the yearly average and
    its variants (``aad``, ``aad_high``, ``aad_member_max``), ``people`` for a count
    (``exposed``, ``displaced``, ``at_risk_relocation``); ``pmd``, ``band`` and
    ``cohort``: ``people``; ``per_100k``: the rate of its value's unit. None for any
    other fact (a module gives a mistake's unit as ``mistake_units`` then).

    Parameters
    ----------
    specs : dict
        The module's facts, knobs filled in (``Facts.specs``).
    name : str
        The fact.

    Returns
    -------
    str or None
    """
    spec = specs.get(name) if isinstance(name, str) and name not in seen else None
    if not isinstance(spec, dict):
        return None
    kind, figure = spec.get("of"), str(spec.get("figure", ""))
    if kind in ("summary", "zone"):
        if figure.startswith("aad"):
            return "people_per_year"
        return "people" if figure.startswith(("exposed", "displaced", "at_risk")) else None
    if kind in _PEOPLE_FACTS:
        return "people"
    if kind == "per_100k":
        inner = fact_unit(specs, spec.get("value"), (*seen, name))
        return {"people": "per_100k", "people_per_year": "per_100k_year"}.get(inner)
    return None


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
                    "unit": words.common(f"units.{m.get('unit', entry['unit'])}"),
                    "feedback": words.module(f"mistakes.{m['id']}"),
                }
                for m in entry["mistakes"]
            ]
        elif entry["kind"] in ("choice", "map"):
            options = entry["options"]
            if not any(options.values()):
                options = {k: words.module(f"questions.{qid}.options.{k}") for k in options}
            else:  # zones, named as the guide and handouts name them ("Joval (nom fictif)")
                options = {k: place_name(words, name) for k, name in options.items()}
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


# ------------------------------------------------------------ reading a written key

KINDS = ("numeric", "choice", "map", "rubric")


def check_key(key: dict, where) -> dict:
    """Refuse an answer key (as read from ``answer_key.yaml``) that cannot grade a sheet.

    Facilitators edit keys by hand (a tolerance, an answer). Every field the grading
    reads is checked here, so that a bad one is one line naming the file and the field
    (``answer_key.yaml.questions.q1.tolerance.relative: expected a number, not '2%'``)
    instead of a failure in the middle of grading.

    Parameters
    ----------
    key : dict
        The key as loaded from YAML.
    where : str or os.PathLike
        The key's file, for messages.

    Returns
    -------
    dict
        ``key``, unchanged.

    Raises
    ------
    ConfigError
        The file is not an answer key, or one of its fields is missing or malformed.
    """
    if key.get("kind") != KEY_KIND or not isinstance(key.get("questions"), dict):
        raise ConfigError(f"{where}: {NOT_A_KEY}")
    if key.get("variant") is not None:
        variant_number(key["variant"], f"{where}.variant")
    marks = _field(key, "number_format", dict, where, "a mapping", optional=True) or {}
    for mark in ("decimal", "group"):
        _field(marks, mark, str, f"{where}.number_format", "text", optional=True)
    _field(key, "messages", dict, where, "a mapping", optional=True)
    for qid in key["questions"]:
        question = "a question with a kind and an answer"
        entry = _field(key["questions"], qid, dict, f"{where}.questions", question)
        _check_question(entry, f"{where}.questions.{qid}")
    quiz = _field(key, "quiz", dict, where, "a mapping of quiz ids", optional=True) or {}
    for qid in quiz:
        item = _field(quiz, qid, dict, f"{where}.quiz", "a mapping with options and answer")
        _field(item, "answer", str, f"{where}.quiz.{qid}", "an option letter")
    return key


def variant_number(value, where: str) -> int:
    """A group variant as an int: a whole number, or text holding one; anything else is a
    :class:`~mecc.errors.ConfigError` naming ``where``."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    if _is_real(value) and value == int(value):
        return int(value)
    raise ConfigError(
        f"{where}: expected the group variant, a whole number such as 0, not {value!r}"
    )


def _check_question(entry: dict, at: str) -> None:
    if entry.get("kind") not in KINDS:
        found = f", not {entry['kind']!r}" if "kind" in entry else " (it is missing)"
        raise ConfigError(f"{at}.kind: expected one of {', '.join(KINDS)}{found}")
    _field(entry, "points", _REAL, at, "a number", optional=True)
    if entry["kind"] == "rubric":
        criteria = _field(entry, "criteria", dict, at, "a mapping of criteria")
        for criterion, spec in criteria.items():
            if not isinstance(spec, dict):
                _field(criteria, criterion, _REAL, f"{at}.criteria", "points (a number)")
                continue
            _field(spec, "points", _REAL, f"{at}.criteria.{criterion}", "a number")
            _field(spec, "keywords", list, f"{at}.criteria.{criterion}", "a list", optional=True)
        return
    if entry["kind"] == "numeric":
        _field(entry, "answer", _REAL, at, "a number")
        _field(entry, "unit", str, at, "text", optional=True)
        tolerance = _field(entry, "tolerance", dict, at, "a mapping", optional=True) or {}
        for name in ("relative", "absolute"):
            if (
                _field(tolerance, name, _REAL, f"{at}.tolerance", "a number", optional=True) or 0
            ) < 0:
                raise ConfigError(f"{at}.tolerance.{name}: expected a number of 0 or more")
        points_to, expected, options = "value", "a number", None
    else:
        options = _field(entry, "options", dict, at, "a mapping of letters to options")
        _field(entry, "option_codes", dict, at, "a mapping", optional=True)
        points_to, expected = "option", f"one of the options {', '.join(map(str, options))}"
        if entry.get("answer") not in options:
            raise ConfigError(f"{at}.answer: expected {expected}, not {entry.get('answer')!r}")
    mistakes = _field(entry, "mistakes", list, at, "a list", optional=True) or []
    for k, mistake in enumerate(mistakes):
        where = f"{at}.mistakes[{k}]"
        if not isinstance(mistake, dict):
            raise ConfigError(f"{where}: expected a mapping with id and {points_to}")
        _field(mistake, "id", str, where, "a name")
        value = _field(mistake, points_to, _REAL if options is None else object, where, expected)
        if options is not None and value not in options:
            raise ConfigError(f"{where}.{points_to}: expected {expected}, not {value!r}")


_REAL = "real"
"""Stands for a finite number (not a boolean) in :func:`_field`."""


def _is_real(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _field(mapping: dict, name, kind, where: str, expected: str, optional: bool = False):
    """``mapping[name]`` when it is of ``kind`` (a type, or ``_REAL``); else a ConfigError
    naming ``where.name``. A missing (or null) value is accepted when ``optional``."""
    value = mapping.get(name)
    if value is None and optional:
        return None
    if value is None:
        raise ConfigError(f"{where}.{name}: missing (expected {expected})")
    if not (_is_real(value) if kind == _REAL else isinstance(value, kind)):
        raise ConfigError(f"{where}.{name}: expected {expected}, not {value!r}")
    return value
