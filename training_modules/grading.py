"""``mecc training check``: grade answer sheets against a computed answer key.

- numeric: right when within the key's tolerance (max of absolute and relative); a
  wrong answer that matches a documented common mistake's value (within tolerance) is
  named in the feedback;
- choice and map: the option's letter (its zone code or name is accepted too); a
  wrong option that a documented mistake leads to is named;
- numeric answers written as text must be one number (the key's decimal and group
  marks, or scientific notation, the question's unit after it allowed): text holding
  other numbers ("19319 (range 5,657 to 19,319)", "1/2") is *unreadable*, not wrong;
- quiz letters are read like choice letters (``" A) "`` is ``a``); unknown question or
  quiz ids are errors;
- rubric (short policy answers): points per criterion given by the facilitator in
  the sheet (``{rubric: {c1: 2}}``) are used; with text only, criteria whose keywords
  appear earn provisional points for the facilitator to confirm.

An answer key given as the answer sheet scores 100 %. ``--class DIR`` grades every
sheet of a folder into one table (CSV, UTF-8 with BOM) with pre/post quiz scores and the
questions whose answer was unreadable. ``--out`` is never the key or a sheet being
graded, and an existing file is replaced only with ``overwrite``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from mecc.errors import ConfigError, InputFileError, OutputExistsError, yaml_syntax_error
from training_modules.key import KEY_KIND, tolerance_of

__all__ = ["Grade", "check_answers", "grade", "read_sheet"]

SHEET_KIND = "mecc_training_answers"


@dataclass
class Grade:
    """The grade of one answer sheet."""

    participant: str
    score: float
    total: float
    questions: list = field(
        default_factory=list
    )  # dicts: id, points, max, status, feedback, mistakes
    quiz_pre: float | None = None
    quiz_post: float | None = None

    @property
    def percent(self) -> float:
        return 100.0 * self.score / self.total if self.total else 0.0


def _load(path) -> dict:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise InputFileError(f"{path}: not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputFileError(f"{path}: cannot read ({error})") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: {yaml_syntax_error(error)}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping (an answer sheet or an answer key)")
    return data


def read_key(path) -> dict:
    key = _load(path)
    if key.get("kind") != KEY_KIND or not isinstance(key.get("questions"), dict):
        raise ConfigError(f"{path}: not an answer key (kind: {KEY_KIND})")
    return key


def read_sheet(path) -> dict:
    """An answer sheet; an answer key is read as the sheet of its own answers."""
    data = _load(path)
    if data.get("kind") == KEY_KIND:
        return {
            "module": data.get("module"),
            "variant": data.get("variant"),
            "participant": "answer key",
            "answers": {q: e.get("answer") for q, e in (data.get("questions") or {}).items()},
            "quiz_pre": {q: e.get("answer") for q, e in (data.get("quiz") or {}).items()},
            "quiz_post": {q: e.get("answer") for q, e in (data.get("quiz") or {}).items()},
        }
    if data.get("kind") != SHEET_KIND:
        raise ConfigError(f"{path}.kind: expected {SHEET_KIND} (the pack's answer_sheet.yaml)")
    answers = data.get("answers")
    if answers is not None and not isinstance(answers, dict):
        raise ConfigError(f"{path}.answers: expected a mapping of question ids to answers")
    for name in ("quiz_pre", "quiz_post"):
        if data.get(name) is not None and not isinstance(data[name], dict):
            raise ConfigError(f"{path}.{name}: expected a mapping of quiz ids to letters")
    return data


def _number_pattern(decimal: str, group: str) -> re.Pattern:
    """One number: digits grouped by thousands (or not), a decimal part, an exponent."""
    groups = sorted({g for g in (group, " ") if g and g != decimal})
    decimals = sorted({d for d in (decimal, ".") if d and d not in groups})
    mark = "|".join(re.escape(g) for g in groups)
    point = "|".join(re.escape(d) for d in decimals)
    whole = rf"(?:\d{{1,3}}(?:(?:{mark})\d{{3}})+|\d+)"
    return re.compile(
        rf"(?P<before>\D*?)(?P<number>[-+]?(?:{whole}(?:(?:{point})\d+)?|(?:{point})\d+)"
        rf"(?:[eE][-+]?\d+)?)(?P<after>\D*)"
    )


def parse_number(value, number_format: dict, unit: str | None = None) -> float | None:
    """One number from YAML, or from text such as ``10 876`` / ``10,876`` / ``1.0876e4``.

    Parameters
    ----------
    value : object
        The answer as written in the sheet.
    number_format : dict
        The key's ``decimal`` and ``group`` marks. A space also groups thousands, and a
        point is read as the decimal mark when it does not group thousands.
    unit : str, optional
        The question's unit (e.g. "per 100,000 residents"): left out when the answer
        ends with it.

    Returns
    -------
    float or None
        None unless the text holds exactly one well-formed number (groups of three
        digits after the first, scientific notation allowed), with words but no other
        digit around it: "19319 (range 5,657 to 19,319)" or "1/2" are not one number.
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    text = _fold(unicodedata.normalize("NFKC", str(value))).replace("\u2212", "-").strip()
    if unit:
        folded_unit = _fold(unicodedata.normalize("NFKC", str(unit))).strip()
        if folded_unit and text.endswith(folded_unit):
            text = text[: len(text) - len(folded_unit)].strip()
    decimal = unicodedata.normalize("NFKC", number_format.get("decimal", ".") or ".")
    group = unicodedata.normalize("NFKC", number_format.get("group", ",") or "")
    match = _number_pattern(decimal, group).fullmatch(text)
    if match is None:
        return None
    number = match.group("number")
    for mark in {group, " "} - {decimal}:
        if mark:
            number = number.replace(mark, "")
    number = number.replace(decimal, ".")
    try:
        result = float(number)
    except ValueError:
        return None
    return result if math.isfinite(result) else None


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", str(text).casefold())
    return "".join(c for c in text if not unicodedata.combining(c))


def _letter(value) -> str:
    """An answer folded for comparison; a choice letter without its ``)`` or ``.``.

    ``" a "``, ``"A)"``, ``"(a)"`` and ``"a."`` are all ``"a"``; other text is only
    folded (lower case, no accents) and stripped.
    """
    text = _fold(str(value)).strip()
    match = re.fullmatch(r"\(?\s*([a-z])\s*[).]?", text)
    return match.group(1) if match else text


def _choice_letter(value, entry: dict) -> str | None:
    if value is None:
        return None
    text = _letter(value)
    options = entry.get("options") or {}
    if text in options:
        return text
    for letter, code in (entry.get("option_codes") or {}).items():
        if text == _fold(code):
            return letter
    for letter, name in options.items():
        if name and text == _fold(name):
            return letter
    return None


def _grade_question(qid, entry, value, key) -> dict:
    messages = key.get("messages") or {}
    points = float(entry.get("points", 1))
    result = {"id": qid, "max": points, "points": 0.0, "mistakes": []}
    kind = entry["kind"]
    if value is None or value == "":
        return {**result, "status": "unanswered", "feedback": messages.get("unanswered", "")}
    if kind == "numeric":
        number = parse_number(value, key.get("number_format") or {}, entry.get("unit"))
        if number is None:
            return {**result, "status": "unreadable", "feedback": messages.get("unreadable", "")}
        tolerance = entry.get("tolerance") or {}
        if abs(number - entry["answer"]) <= tolerance_of(entry["answer"], tolerance):
            return {
                **result,
                "points": points,
                "status": "right",
                "feedback": messages.get("right", ""),
            }
        found = [
            m
            for m in entry.get("mistakes") or []
            if abs(number - m["value"]) <= tolerance_of(m["value"], tolerance)
        ]
    elif kind in ("choice", "map"):
        letter = _choice_letter(value, entry)
        if letter == entry["answer"]:
            return {
                **result,
                "points": points,
                "status": "right",
                "feedback": messages.get("right", ""),
            }
        found = [m for m in entry.get("mistakes") or [] if m["option"] == letter]
    else:
        return {**result, **_grade_rubric(entry, value, messages)}
    feedback = messages.get("wrong", "")
    if found:
        named = " ".join(str(m.get("feedback", m["id"])) for m in found)
        feedback = f"{messages.get('mistake', '')} {named}".strip()
    return {**result, "status": "wrong", "feedback": feedback, "mistakes": [m["id"] for m in found]}


def _grade_rubric(entry, value, messages) -> dict:
    criteria = entry.get("criteria") or {}
    given = value.get("rubric") if isinstance(value, dict) else None
    if isinstance(given, dict):
        points = 0.0
        for criterion, spec in criteria.items():
            most = float(spec["points"] if isinstance(spec, dict) else spec)
            try:
                points += min(max(float(given.get(criterion) or 0), 0.0), most)
            except (TypeError, ValueError):
                raise ConfigError(f"rubric points of {criterion}: give a number") from None
        return {"points": points, "status": "scored", "feedback": messages.get("scored", "")}
    text = _fold(value.get("text", "") if isinstance(value, dict) else value)
    points = 0.0
    for spec in criteria.values():
        keywords = spec.get("keywords", []) if isinstance(spec, dict) else []
        if any(_fold(k) in text for k in keywords):
            points += float(spec["points"])
    return {"points": points, "status": "provisional", "feedback": messages.get("provisional", "")}


def _quiz_score(answers, quiz) -> float | None:
    if not answers or not any(v not in (None, "") for v in answers.values()):
        return None
    right = sum(
        1
        for qid, item in quiz.items()
        if answers.get(qid) not in (None, "") and _letter(answers[qid]) == _letter(item["answer"])
    )
    return 100.0 * right / len(quiz) if quiz else None


def grade(sheet: dict, key: dict, where: str = "answers") -> Grade:
    """Grade one answer sheet (as read by :func:`read_sheet`) against a key."""
    if sheet.get("module") and sheet["module"] != key.get("module"):
        raise ConfigError(
            f"{where}: answers for {sheet['module']}, but the key is for {key.get('module')}"
        )
    if sheet.get("variant") is not None and int(sheet["variant"]) != int(key.get("variant", 0)):
        raise ConfigError(
            f"{where}: answers for variant {sheet['variant']}, but the key is for variant {key.get('variant')}"
        )
    answers = sheet.get("answers") or {}
    unknown = set(answers) - set(key["questions"])
    if unknown:
        raise ConfigError(
            f"{where}.answers: unknown question(s) {', '.join(sorted(map(str, unknown)))}"
        )
    quiz = key.get("quiz") or {}
    for name in ("quiz_pre", "quiz_post"):
        unknown = set(sheet.get(name) or {}) - set(quiz)
        if unknown:
            raise ConfigError(
                f"{where}.{name}: unknown quiz item(s) {', '.join(sorted(map(str, unknown)))}"
            )
    results = [_grade_question(q, e, answers.get(q), key) for q, e in key["questions"].items()]
    return Grade(
        participant=str(sheet.get("participant") or Path(where).stem),
        score=sum(r["points"] for r in results),
        total=sum(r["max"] for r in results),
        questions=results,
        quiz_pre=_quiz_score(sheet.get("quiz_pre"), quiz),
        quiz_post=_quiz_score(sheet.get("quiz_post"), quiz),
    )


def class_table(grades: list, key: dict):
    """One row per participant: score, percent, points per question, mistakes, quiz."""
    import pandas as pd

    rows = []
    for item in grades:
        row = {
            "participant": item.participant,
            "score": item.score,
            "total": item.total,
            "percent": round(item.percent, 1),
        }
        for result in item.questions:
            row[result["id"]] = result["points"]
        row["mistakes"] = "; ".join(
            f"{r['id']}: {', '.join(r['mistakes'])}" for r in item.questions if r["mistakes"]
        )
        row["to_confirm"] = " ".join(
            r["id"] for r in item.questions if r["status"] == "provisional"
        )
        row["unreadable"] = " ".join(r["id"] for r in item.questions if r["status"] == "unreadable")
        row["quiz_pre_percent"] = item.quiz_pre
        row["quiz_post_percent"] = item.quiz_post
        rows.append(row)
    return pd.DataFrame(rows)


def _check_out_path(out_path: Path, inputs: list, overwrite: bool) -> None:
    """Refuse an ``--out`` that is an input of this grading, or exists without overwrite."""
    target = out_path.resolve()
    for role, path in inputs:
        path = Path(path)
        same = target == path.resolve()
        if not same and out_path.exists() and path.exists():
            same = out_path.samefile(path)
        if same:
            raise ConfigError(
                f"--out {out_path}: is {role}; write the grades to another file "
                "(--overwrite never replaces an input)"
            )
    if out_path.is_dir():
        raise OutputExistsError(
            f"--out {out_path}: is a folder; give a file name such as grades.csv"
        )
    if out_path.exists() and not overwrite:
        raise OutputExistsError(f"--out {out_path}: file exists; use --overwrite to replace it")


def check_answers(answers=None, key_path=None, class_dir=None, out_path=None, overwrite=False):
    """The tool behind ``mecc training check``: one sheet, or a folder into one table.

    Parameters
    ----------
    answers : path, optional
        One answer sheet (or an answer key, graded as its own answers).
    key_path : path
        The answer key.
    class_dir : path, optional
        A folder of answer sheets (``*.yaml``), instead of ``answers``.
    out_path : path, optional
        Where to write the table of grades (CSV, UTF-8 with BOM). Never the key or a
        sheet being graded; an existing file only with ``overwrite``.
    overwrite : bool
        Replace an existing ``out_path``.

    Returns
    -------
    tuple
        ``(grades, table)``: a :class:`Grade` per sheet and the class table.
    """
    if key_path is None:
        raise ConfigError("--key: give the answer key (answer_key.yaml)")
    if (answers is None) == (class_dir is None):
        raise ConfigError("give either one ANSWERS file or --class DIR")
    if class_dir is not None:
        folder = Path(class_dir)
        if not folder.is_dir():
            raise InputFileError(f"{folder}: folder of answer sheets not found")
        paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".yaml", ".yml"))
        if not paths:
            raise InputFileError(f"{folder}: no answer sheets (*.yaml) found")
    else:
        paths = [Path(answers)]
    if out_path is not None:
        out_path = Path(out_path)
        inputs = [("the answer key", key_path)] + [
            ("an answer sheet being graded", p) for p in paths
        ]
        _check_out_path(out_path, inputs, overwrite)
    key = read_key(key_path)
    grades = [grade(read_sheet(p), key, str(p)) for p in paths]
    table = class_table(grades, key)
    if out_path is not None:
        from mecc.outputs import write_csv

        out_path.parent.mkdir(parents=True, exist_ok=True)
        partial = out_path.with_name(out_path.name + ".partial")
        write_csv(table, partial)
        partial.replace(out_path)
    return grades, table
