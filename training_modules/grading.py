"""``mecc training check``: grade answer sheets against a computed answer key.

- numeric: right when within the key's tolerance (max of absolute and relative); a
  wrong answer that matches a documented common mistake's value (within tolerance) is
  named in the feedback;
- choice and map: the option's letter, its zone code, or its name as on the maps
  (``Joval``, without the "(fictional)" label; ``d) Joval``); a wrong option that a
  documented mistake leads to is named;
- numeric answers written as text must be one number in the key's language: where the
  decimal mark is a comma a point only groups thousands (``14.208,37``), where it is a
  point a comma only does; a space always may; scientific notation, a scale word
  (``9.1 thousand``, ``14k``, ``132 mil``) and the question's unit after it (for rates,
  any wording of "per 100,000 residents") are allowed. Text holding other numbers
  ("19319 (range 5,657 to 19,319)", "1/2"), a number run into a letter or sign ("e5",
  "5-") or a scale word of another language is *unreadable*, never read as a guess
  (when it is one number with the other decimal mark, the feedback says which mark the
  language uses). A wrong answer that would be right with point and comma exchanged
  (``112,932`` in Spanish for 112 931.9) stays wrong, the facilitator decides, and the
  feedback asks whether that was meant (``¿quiso decir 112 932?``); a share written as
  a fraction gets ``(0,679 = 67,9 %?)``. Hints write numbers with the language's own
  marks (:mod:`training_modules.number_reading`). Sheets are read as typed
  (:mod:`training_modules.answer_sheets`): ``q4: 1.642`` and ``q4: "1.642"`` get the
  same verdict. In a sheet, the other of point and comma where it cannot group
  thousands (``1,02`` in English, ``1.02`` in French or Spanish: a group has exactly
  three digits) is read as the decimal mark, the same rule in every language; where it
  can (``1,018`` in English, ``1.018`` in French) the language's reading stands;
- quiz letters are read like choice letters (``" A) "`` is ``a``); unknown question or
  quiz ids are errors; a letter that is none of the options (``e`` for a to d) earns no
  point and is named: in the feedback for a choice, in the grade's notes for the quiz;
- rubric (short policy answers, :mod:`training_modules.rubric`): points per criterion
  given by the facilitator in the sheet (``{rubric: {c1: 2}}``) are used; with text
  only, criteria whose keywords appear as words earn provisional points, kept apart from
  the sure score (``7 / 10 sure, up to 3 more for the facilitator to confirm``) until
  the facilitator confirms them.

An answer key is checked when it is read (:func:`training_modules.key.check_key`); a
``--key`` file that is none (the guide, notes) is said so in one line naming where the
key is. A key given as the answer sheet is refused in one line (it is no participant's,
and would score 100 %). ``--class DIR`` grades every sheet of a
folder into one table (``--out``: a CSV, UTF-8 with BOM, or an Excel workbook of the same
cells, by its extension, :mod:`training_modules.grades_file`; an answer key in the folder
is not graded, and a warning line names it, as the folder's other files) with
the file, the sure score and the provisional points apart, the mistakes found (named as
the feedback names them, in the key's language), pre/post quiz scores, the questions
whose answer was unreadable and the notes. A sheet is a ``*.yaml`` / ``*.yml`` file or
any file whose text is one (``bob.yaml.txt`` saved by Notepad); every other file is not
graded and a warning line names it with why (a workbook is no answer sheet; a file
named ``.xlsx`` that is none is "not an Excel workbook (damaged or not saved as
.xlsx)", the same line as when it is graded alone), a sheet whose ``participant:`` is
empty is graded under its file name and a warning line names it with that name, and two
sheets of one participant (file names differing only in case or suffix, or the same
``participant:`` name) are refused (:mod:`training_modules.class_folder`). Every sheet
is checked before anything is written: when one cannot be graded (for another module,
variant or language, unreadable, a question the key does not have), no table is
written or shown,
an existing ``--out`` is left as it was, and one line names the first such sheet, what
is wrong with it, how many others cannot be graded and their file names (up to 10), and
for a sheet of another module, variant or language the key to grade it with (``<lang>/
facilitator/<module>/answer_key.yaml``), never to edit it (bad data, exit 1). A sheet
says its language (``lang:``, written by the pack): graded alone with a key of another
module, variant or language it is refused the same way, one line naming the key to use
(for another variant, that key of a pack built with ``--variant N``); a sheet without
``lang`` (an older pack) is graded as before. A wrong numeric answer that is (within tolerance)
an end of the key's range is told so ("that is the high end of the range"). The reasons are
in the key's language, as the printed table's numbers (``2,5`` in French; the CSV keeps
``2.5`` in its numeric columns, while its notes, text for people, keep the key's marks:
``2,5 points donnés``). ``--out`` is never an answer key or an answer sheet (whichever grading they
belong to), and an existing file is replaced only with ``overwrite``
(:func:`~training_modules.grades_file.check_out_path`).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from mecc.errors import ConfigError, DataError, InputFileError, MeccError, MeccWarning
from training_modules.answer_sheets import (
    keyed_table,
    load_answer_file,
    number_text,
    participant_sheet,
    read_key,
    read_sheet,
    say,
    sheet_lang,
    sheet_variant,
)
from training_modules.class_folder import (
    class_files,
    no_sheets_found,
    same_file_name,
    same_participant_name,
    sheet_stem,
    warn_not_graded,
)
from training_modules.grades_file import check_out_path, write_grades
from training_modules.key import tolerance_of
from training_modules.number_reading import (
    _fold,
    decimal_hint,
    meant_hint,
    parse_number,
    percent_hint,
)
from training_modules.rubric import grade_rubric

__all__ = ["Grade", "check_answers", "grade", "parse_number", "read_key", "read_sheet"]


@dataclass
class Grade:
    """The grade of one answer sheet.

    ``score`` and ``percent`` count the sure points only; ``provisional`` holds the
    rubric points found by keywords, which the facilitator still has to confirm.
    ``notes`` are lines for the facilitator (a quiz letter that is no option).
    """

    participant: str
    score: float
    total: float
    questions: list = field(
        default_factory=list
    )  # dicts: id, points, max, status, feedback, mistakes
    quiz_pre: float | None = None
    quiz_post: float | None = None
    file: str = ""
    provisional: float = 0.0
    notes: list = field(default_factory=list)
    key: dict = field(default_factory=dict, repr=False)  # the key's lang, messages, marks
    unnamed: bool = False  # no participant name in the sheet: named by its file

    @property
    def percent(self) -> float:
        return 100.0 * self.score / self.total if self.total else 0.0

    def say(self, name: str, **fields) -> str:
        """A grading message in the key's language (:func:`say`)."""
        return say(self.key, name, **fields)

    def points(self, value: float) -> str:
        """Points as ``1.5`` (``1,5``) in the key's language (:func:`number_text`)."""
        return number_text(self.key, value)

    @property
    def summary(self) -> str:
        """``7 / 10 (70 %)``, or with provisional points ``7 / 10 sure, up to 3 more
        for the facilitator to confirm (70 %)``, in the key's language."""
        score, total = self.points(self.score), self.points(self.total)
        return self.say(
            "summary_provisional" if self.provisional else "summary",
            score=score,
            total=total,
            more=self.points(self.provisional),
            percent=f"{self.percent:.0f}",
        )


def _letter(value) -> str:
    """An answer folded for comparison; a choice letter without its ``)`` or ``.``.

    ``" a "``, ``"A)"``, ``"(a)"`` and ``"a."`` are all ``"a"``; other text is only
    folded (lower case, no accents) and stripped.
    """
    text = _fold(str(value)).strip()
    match = re.fullmatch(r"\(?\s*([a-z])\s*[).]?", text)
    return match.group(1) if match else text


def _choice_letter(value, entry: dict) -> str | None:
    """The option an answer names: its letter, its zone code, its name, or "d) Joval";
    None when it names none, or two that disagree."""
    if value is None or isinstance(value, dict | list):
        return None
    text = _letter(value)
    if text in (entry.get("options") or {}):
        return text
    lettered = re.fullmatch(r"\(?\s*([a-z])\s*[).:-]\s*(.+)", text)
    if lettered and lettered.group(1) in (entry.get("options") or {}):
        named = _named_option(lettered.group(2), entry)
        return lettered.group(1) if named == lettered.group(1) else None
    return _named_option(text, entry)


def _named_option(text: str, entry: dict) -> str | None:
    """The letter of the one option whose zone code or name is ``text`` (folded); a name
    matches with or without the label in brackets after it ("Joval (fictional)")."""
    found = {k for k, code in (entry.get("option_codes") or {}).items() if text == _fold(code)}
    for letter, name in (entry.get("options") or {}).items():
        if name and _bare(text) == _bare(_fold(name)):
            found.add(letter)
    return found.pop() if len(found) == 1 else None


def _bare(name: str) -> str:
    """A name without a trailing label in brackets: "joval (ficticio)" -> "joval"."""
    return re.sub(r"\s*\([^()\d]*\)$", "", name.strip())


def _grade_question(qid, entry, value, key, where: str = "answers") -> dict:
    messages = key.get("messages") or {}
    points = float(1 if entry.get("points") is None else entry["points"])
    result = {"id": qid, "max": points, "points": 0.0, "mistakes": []}
    kind = entry["kind"]
    if value is None or (isinstance(value, str) and not value.strip()):
        return {**result, "status": "unanswered", "feedback": messages.get("unanswered", "")}
    right = {**result, "points": points, "status": "right", "feedback": messages.get("right", "")}
    hint = ""
    if kind == "numeric":
        number_format = key.get("number_format") or {}
        number = parse_number(value, number_format, entry.get("unit"), key.get("lang"))
        if number is None:
            feedback = messages.get("unreadable", "") + decimal_hint(value, entry, key)
            return {**result, "status": "unreadable", "feedback": feedback}
        tolerance = entry.get("tolerance") or {}

        def close(x: float, to: float) -> bool:
            return abs(x - to) <= tolerance_of(to, tolerance)

        if close(number, entry["answer"]):
            return right
        found = [m for m in entry.get("mistakes") or [] if close(number, m["value"])]
        if entry.get("unit") == "%" and close(100 * number, entry["answer"]):
            hint = percent_hint(number, key)  # a share written as a fraction
        hint += meant_hint(value, entry, key, lambda x: close(x, entry["answer"]))
        hint += _range_end_hint(number, entry, key, close)
    elif kind in ("choice", "map"):
        letter = _choice_letter(value, entry)
        if letter == entry["answer"]:
            return right
        found = [m for m in entry.get("mistakes") or [] if m["option"] == letter]
        span = _options_span(value, entry.get("options"))
        if letter is None and span:
            hint = f" ({say(key, 'not_option', option_letters=span)})"
    else:
        number_format = key.get("number_format") or {}
        scored = grade_rubric(
            entry, value, key, f"{where}.answers.{qid}", lambda v: parse_number(v, number_format)
        )
        return {**result, **scored}
    feedback = messages.get("wrong", "")
    if found:
        named = " ".join(str(m.get("feedback", m["id"])) for m in found)
        feedback = f"{messages.get('mistake', '')} {named}".strip()
    return {
        **result,
        "status": "wrong",
        "feedback": feedback + hint,
        "mistakes": [m["id"] for m in found],
    }


def _range_end_hint(number: float, entry: dict, key: dict, close) -> str:
    """`` That is the low (high) end of the range; the question asks for the central
    value.`` when a wrong numeric answer is (within tolerance) an end of the key's
    ``range``, in the key's language; else ``""``."""
    span = entry.get("range")
    if not isinstance(span, list | tuple) or len(span) != 2:
        return ""
    try:
        low, high = (float(v) for v in span)
    except (TypeError, ValueError):
        return ""
    for end, name in ((low, "range_low_end"), (high, "range_high_end")):
        if close(number, end):
            return " " + say(key, name)
    return ""


def _options_span(value, options) -> str | None:
    """``a–d`` when ``value`` is one letter that names none of ``options``; else None."""
    if not options or value is None or isinstance(value, dict | list | bool):
        return None
    letter = _letter(value)
    if not re.fullmatch(r"[a-z]", letter) or letter in options:
        return None
    letters = sorted(str(k) for k in options)
    return f"{letters[0]}–{letters[-1]}" if len(letters) > 2 else " ".join(letters)


def _quiz_score(answers, quiz, key=None, name="quiz", notes=None) -> float | None:
    if not answers or not any(v not in (None, "") for v in answers.values()):
        return None
    right = 0
    for qid, item in quiz.items():
        given = answers.get(qid)
        if given in (None, ""):
            continue
        if _letter(given) == _letter(item["answer"]):
            right += 1
        elif notes is not None and _options_span(given, item.get("options")):
            span = _options_span(given, item["options"])
            notes.append(f"{name}.{qid}: {given} - {say(key, 'not_option', option_letters=span)}")
    return 100.0 * right / len(quiz) if quiz else None


def grade(sheet: dict, key: dict, where: str = "answers") -> Grade:
    """Grade one answer sheet (as read by :func:`read_sheet`) against a key.

    A sheet for another module, variant or language is a :class:`OtherKeyError` (a file
    that cannot be used with this key); an unknown question, quiz item or rubric
    criterion a :class:`~mecc.errors.ConfigError`; both one line naming the sheet (and
    the field) in the key's language, as the facilitator reads it in the class table.
    """
    _refuse_other_key(sheet, key, where)
    answers = sheet.get("answers") or {}
    unknown = ", ".join(sorted(map(str, set(answers) - set(key["questions"]))))
    if unknown:
        raise ConfigError(f"{where}.answers: {say(key, 'unknown_questions', question_ids=unknown)}")
    quiz = key.get("quiz") or {}
    for name in ("quiz_pre", "quiz_post"):
        unknown = ", ".join(sorted(map(str, set(sheet.get(name) or {}) - set(quiz))))
        if unknown:
            raise ConfigError(f"{where}.{name}: {say(key, 'unknown_quiz', quiz_ids=unknown)}")
    _check_rubric_points(answers, key, where)
    results = [
        _grade_question(q, e, answers.get(q), key, where) for q, e in key["questions"].items()
    ]
    notes: list = []
    quiz_pre = _quiz_score(sheet.get("quiz_pre"), quiz, key, "quiz_pre", notes)
    quiz_post = _quiz_score(sheet.get("quiz_post"), quiz, key, "quiz_post", notes)
    name = str(sheet.get("participant") or "")
    return Grade(
        participant=name if name.strip() else sheet_stem(Path(where).name),
        score=float(sum(r["points"] for r in results if r["status"] != "provisional")),
        total=sum(r["max"] for r in results),
        questions=results,
        quiz_pre=quiz_pre,
        quiz_post=quiz_post,
        file=Path(where).name,
        provisional=float(sum(r["points"] for r in results if r["status"] == "provisional")),
        notes=[*(n for r in results for n in r.pop("notes", [])), *notes],
        key={k: key[k] for k in ("lang", "messages", "number_format") if k in key},
        unnamed=not name.strip(),
    )


class OtherKeyError(DataError):
    """A sheet for another module, variant or language than the key's: it is not to be
    edited but graded with its own key, ``key_file`` (as the pack lays keys out; for
    another variant, that key of a pack built with ``--variant N``). The line names that
    key, whether the sheet is graded alone or in a class (whose refusal words it in its
    own line from ``reason`` and ``key_file``)."""

    def __init__(self, where: str, reason: str, key_file: str, key: dict):
        super().__init__(f"{where}: {say(key, 'use_key', reason=reason, key_file=key_file)}")
        self.reason, self.key_file = f"{where}: {reason}", key_file


def _refuse_other_key(sheet: dict, key: dict, where: str) -> None:
    """Refuse (:class:`OtherKeyError`) a sheet whose ``module``, ``variant`` or ``lang``
    is not the key's (a sheet without them, from an older pack, is not refused): a
    French ``19903,3`` read with English rules would silently lose its points."""
    module = sheet.get("module") or key.get("module")
    variant = key.get("variant") or 0
    if sheet.get("variant") is not None:
        variant = sheet_variant(sheet["variant"], f"{where}.variant", key)
    key_lang = str(key.get("lang") or "en")
    lang = key_lang
    if sheet.get("lang") is not None:
        lang = sheet["lang"].strip()
        if sheet_lang(lang, f"{where}.lang", key) == key_lang.replace("_", "-").lower():
            lang = key_lang
    if module != key.get("module"):
        reason = say(key, "wrong_module", sheet_module=module, key_module=key.get("module"))
    elif variant != (key.get("variant") or 0):
        found = {"sheet_variant": variant, "key_variant": key.get("variant") or 0}
        reason = say(key, "wrong_variant", **found)
    elif lang != key_lang:
        reason = say(key, "wrong_lang", sheet_lang=lang, key_lang=key_lang)
    else:
        return
    key_file = f"{lang}/facilitator/{module}/answer_key.yaml"
    if variant != (key.get("variant") or 0):
        key_file = say(key, "key_of_variant", key_file=key_file, variant=variant)
    raise OtherKeyError(where, reason, key_file, key)


def _check_rubric_points(answers: dict, key: dict, where: str) -> None:
    """Refuse a facilitator's rubric points (``{rubric: {c1: 2}}``) for a criterion the
    question does not have, or not written as a number, in the key's language."""
    number_format = key.get("number_format") or {}
    for qid, entry in key["questions"].items():
        value = answers.get(qid)
        given = value.get("rubric") if isinstance(value, dict) else None
        if entry.get("kind") != "rubric" or not isinstance(given, dict):
            continue
        at = f"{where}.answers.{qid}.rubric"
        criteria = entry.get("criteria") or {}
        unknown = sorted(str(c) for c in given if c not in criteria)
        if unknown:
            names = {"criteria": ", ".join(unknown), "known": ", ".join(map(str, criteria))}
            raise ConfigError(f"{at}: {say(key, 'unknown_criterion', **names)}")
        for criterion, raw in given.items():
            if raw not in (None, "") and parse_number(raw, number_format) is None:
                raise ConfigError(
                    f"{at}.{criterion}: {say(key, 'points_not_number', value=repr(raw))}"
                )


def class_table(grades: list, key: dict, failed=()):
    """One row per participant: file, score, percent, points per question, mistakes,
    quiz; then a row per sheet in ``failed`` (``(file, reason)`` pairs) with its reason."""
    rows = []
    for item in grades:
        row = {
            "participant": item.participant,
            "file": item.file,
            "score": item.score,
            "provisional": item.provisional,
            "total": item.total,
            "percent": round(item.percent, 1),
        }
        for result in item.questions:
            row[result["id"]] = result["points"]
        row["mistakes"] = "; ".join(
            f"{r['id']}: {_mistake_labels(r['id'], r['mistakes'], key)}"
            for r in item.questions
            if r["mistakes"]
        )
        row["to_confirm"] = " ".join(
            r["id"] for r in item.questions if r["status"] == "provisional"
        )
        row["unreadable"] = " ".join(r["id"] for r in item.questions if r["status"] == "unreadable")
        row["notes"] = "; ".join(_without_path(note, item.file) for note in item.notes)
        row["quiz_pre_percent"] = item.quiz_pre
        row["quiz_post_percent"] = item.quiz_post
        rows.append(row)
    rows += [{"participant": "", "file": Path(p).name, "error": reason} for p, reason in failed]
    return keyed_table(rows, key)  # keeps the key's language for its headers


def _mistake_labels(qid, mistakes: list, key: dict) -> str:
    """The mistakes of an answer as the guide and the feedback name them, in the key's
    language (the key's ``feedback`` of each); a mistake without one by its id."""
    entry = (key.get("questions") or {}).get(qid) or {}
    named = {m.get("id"): m.get("feedback") for m in entry.get("mistakes") or []}
    return " ".join(str(named.get(m) or m).strip() for m in mistakes)


def check_answers(answers=None, key_path=None, class_dir=None, out_path=None, overwrite=False):
    """The tool behind ``mecc training check``: one sheet, or a folder into one table.

    Parameters
    ----------
    answers : path, optional
        One participant's answer sheet (an answer key is refused).
    key_path : path
        The answer key.
    class_dir : path, optional
        A folder of answer sheets (``*.yaml``, ``*.yml`` or any file whose text is a
        sheet), instead of ``answers``; its other files are named in a warning each,
        not graded.
    out_path : path, optional
        Where to write the table of grades: ``*.csv`` (UTF-8 with BOM) or ``*.xlsx`` (an
        Excel workbook of the same cells, :mod:`training_modules.grades_file`); any
        other extension is refused. Never the key or a sheet being graded; an existing
        file only with ``overwrite``.
    overwrite : bool
        Replace an existing ``out_path``.

    Returns
    -------
    tuple
        ``(grades, table)``: a :class:`Grade` per sheet and the class table.

    Raises
    ------
    MeccError
        One line naming the file and field: a bad key, sheet or ``out_path``. With
        ``class_dir``, every sheet is checked first; if any cannot be graded, nothing
        is written (an existing ``out_path`` is kept) and one
        :class:`~mecc.errors.DataError` names the first bad sheet, its reason and how
        many others are bad.
    """
    if key_path is None:
        raise ConfigError("--key: give the answer key (answer_key.yaml)")
    if (answers is None) == (class_dir is None):
        raise ConfigError("give either one ANSWERS file or --class DIR")
    if class_dir is not None:
        folder = Path(class_dir)
        if not folder.is_dir():
            raise InputFileError(f"{folder}: folder of answer sheets not found")
        paths, others = class_files(folder, out_path)
        if not paths:  # the other files named: answer keys, a workbook...
            raise InputFileError(no_sheets_found(folder, others))
        twice = same_file_name(paths)
    else:
        paths, twice, others = [Path(answers)], None, []
    if out_path is not None:
        out_path = Path(out_path)
        inputs = [("the answer key", key_path)] + [
            ("an answer sheet being graded", p) for p in paths
        ]
        check_out_path(out_path, inputs, overwrite)
    key = read_key(key_path)
    if twice:  # a sheet saved twice (bob.yaml, bob.yml): one row
        raise DataError(say(key, "class_same_participant", first=twice[0], second=twice[1]))
    warn_not_graded(others, key)  # a workbook, notes, a key: named, with why, not graded
    if class_dir is None:  # an answer key is no participant's sheet: refused
        sheet = participant_sheet(load_answer_file(paths[0], key), paths[0], key)
        grades = [grade(sheet, key, str(paths[0]))]
    else:
        grades, failed = _grade_class(paths, key)
        if failed:  # before anything is written: no half class, no earlier table replaced
            raise _class_refused(failed, key)
        named = same_participant_name(grades)
        if named:  # two sheets naming one participant: one row each would count twice
            first, second, name = named
            raise DataError(
                say(key, "class_same_name", first=first, second=second, participant=name)
            )
    for item in grades:  # a row named by its file: say so, the facilitator may fix it
        if item.unnamed:
            found = {"file": item.file, "participant": item.participant}
            warnings.warn(say(key, "unnamed_sheet", **found), MeccWarning, stacklevel=2)
    table = class_table(grades, key)
    if out_path is not None:  # CSV or an Excel workbook, by its extension
        out_path.parent.mkdir(parents=True, exist_ok=True)
        write_grades(table, out_path)
    return grades, table


def _without_path(note: str, file: str) -> str:
    """A note of the class table without the sheet's path, which the ``file`` column
    gives: ``/…/bob.yaml.answers.q7.rubric.c1: …`` reads ``answers.q7.rubric.c1: …``."""
    start = note.find(f"{file}.")
    if start == 0 or (start > 0 and note[start - 1] in "/\\"):
        return note[start + len(file) + 1 :]
    return note


def _class_refused(failed: list, key: dict) -> DataError:
    """The one line refusing a class with sheets that cannot be graded: the first one
    (in file order) with its reason, then how many others are bad, in the key's
    language. A bad sheet in a class is bad data (exit 1), whatever its reason."""
    error = failed[0][1]
    other_key = isinstance(error, OtherKeyError)
    first = error.reason if other_key else str(error)  # names the sheet (and the field)
    others = len(failed) - 1
    if not others:
        if other_key:
            return DataError(
                say(key, "class_other_key_sheet", reason=first, key_file=error.key_file)
            )
        return DataError(say(key, "class_bad_sheet", reason=first))
    names = [Path(path).name for path, _ in failed]
    files = ", ".join(names[:_LISTED])
    if len(names) > _LISTED:
        files = say(key, "more_files", files=files, more=len(names) - _LISTED)
    elsewhere = [(p, e) for p, e in failed if isinstance(e, OtherKeyError)]
    other_key = ""
    if elsewhere:  # not to be edited: graded with its own key
        path, example = elsewhere[0]
        found = {"file": Path(path).name, "key_file": example.key_file}
        other_key = say(key, "class_other_key_note", **found)
    found = {"reason": first, "others": others, "files": files, "other_key": other_key}
    return DataError(say(key, "class_bad_sheets_listed", **found))


_LISTED = 10
"""How many bad sheets a class refusal names."""


def _grade_class(paths: list, key: dict) -> tuple[list, list]:
    """The grades of a folder's sheets, and ``(path, error)`` of those that cannot be
    graded (answer keys in the folder are among its other files, named in a warning:
    :func:`~training_modules.class_folder.class_files`)."""
    grades, failed = [], []
    for path in paths:
        try:
            sheet = participant_sheet(load_answer_file(path, key), path, key)
            grades.append(grade(sheet, key, str(path)))
        except MeccError as error:
            failed.append((path, error))
    return grades, failed
