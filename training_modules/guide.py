"""The facilitator guide of a module: agenda, competencies, the key with its common
mistakes, rubrics, quiz key, debrief and notes, in one language (printable A4)."""

from __future__ import annotations

import math

from training_modules.handouts import cover, head_row, page, place_name
from training_modules.words import Words, esc

__all__ = ["answer_text", "render_guide", "rubric_example", "shown_decimals", "tolerance_text"]


def answer_text(words: Words, entry: dict, value=None) -> str:
    """A numeric answer (or a mistake's value) with its unit, in the language."""
    value = entry["answer"] if value is None else value
    unit = words.common(f"units.{entry['unit']}")
    return f"{words.num(value, shown_decimals(value, entry.get('decimals', 0)))} {unit}"


def shown_decimals(value, decimals: int) -> int:
    """The decimals to print ``value`` with: the question's ``decimals``, or more for a
    number below 1 so that it keeps two significant digits (0.00424 -> 0.0042, not
    "0.00": a mistake's value per 1,000 would otherwise read as nothing)."""
    try:
        size = abs(float(value))
    except (TypeError, ValueError):
        return decimals
    if not math.isfinite(size) or size == 0 or size >= 1:
        return decimals
    return max(decimals, min(1 - math.floor(math.log10(size)), 8))


def tolerance_text(words: Words, entry: dict) -> str:
    """A numeric answer's tolerance as the grader applies it, escaped: ``±2.0 % (at
    least 0.5)`` when it has a relative part, else the absolute distance with the unit
    (``±1 percentage point``, ``±0,4 site``, ``±2 personnes``): a "±0.0 %" of a
    tolerance that is absolute only would say nothing true."""
    tolerance = entry.get("tolerance") or {}
    relative = float(tolerance.get("relative") or 0.0)
    absolute = float(tolerance.get("absolute") or 0.0)
    if relative > 0:
        return words.c(
            "guide.tolerance_text",
            relative=words.num(100 * relative, 1),
            absolute=words.num(absolute),
        )
    decimals = _decimals_of(absolute)
    unit = entry["unit"]
    one = _is_one(absolute, words.common("guide.tolerance_plural"))
    try:
        unit_word = words.common(f"guide.tolerance_units_{'one' if one else 'other'}.{unit}")
    except KeyError:  # the unit's word as the key writes it (``per 100,000 residents``)
        unit_word = words.common("units." + unit)
    shown = words.num(absolute, decimals)
    return words.c("guide.tolerance_absolute", absolute=shown, unit=unit_word)


def _decimals_of(value: float) -> int:
    """The decimals that write ``value`` exactly (up to 6): 1 -> 0, 0.4 -> 1, 0.05 -> 2."""
    for decimals in range(7):
        if abs(round(value, decimals) - value) < 1e-9:
            return decimals
    return 6


def _is_one(value: float, rule: str) -> bool:
    """Whether the language writes a unit after ``value`` in the singular: ``one_if_1``
    (English, Spanish: 1 only) or ``one_below_2`` (French: 0 to 1.99)."""
    if rule == "one_below_2":
        return 0 <= value < 2
    return value == 1


def _option_text(words: Words, qid: str, entry: dict, letter: str) -> str:
    name = entry["options"].get(letter)
    name = place_name(words, name) if name else words.module(f"questions.{qid}.options.{letter}")
    return f"{letter}) {name}"


def _labelled(words: Words, label: str, mistake_id: str) -> str:
    """``59 049 personnes : Une part…``: a mistake's value (or option) and what it shows,
    joined as the language joins a label and its text (a space before the colon in
    French). Escaped."""
    separator = words.common("handout.label_separator")
    return esc(label) + esc(separator) + words.m("mistakes." + mistake_id)


def _key_rows(words: Words, module, key: dict) -> str:
    rows = []
    for number, question in enumerate(module.items("questions"), start=1):
        qid = question["id"]
        entry = key["questions"][qid]
        mistakes = []
        if entry["kind"] == "numeric":
            answer = esc(answer_text(words, entry))
            tolerance = tolerance_text(words, entry)
            if "range" in entry:
                low, high = (
                    words.num(v, shown_decimals(v, entry.get("decimals", 0)))
                    for v in entry["range"]
                )
                kind = words.common(f"range_kinds.{entry['range_kind']}")
                answer += "<br>" + words.c("guide.range", low=low, high=high, kind=kind)
            for m in entry["mistakes"]:
                own = {**entry, "unit": m.get("unit", entry["unit"])}  # the figure's own unit
                label = answer_text(words, own, m["value"])
                mistakes.append(f'<li class="mistake">{_labelled(words, label, m["id"])}</li>')
        elif entry["kind"] in ("choice", "map"):
            answer = esc(_option_text(words, qid, entry, entry["answer"]))
            tolerance = "—"
            for m in entry["mistakes"]:
                label = _option_text(words, qid, entry, m["option"])
                mistakes.append(f'<li class="mistake">{_labelled(words, label, m["id"])}</li>')
        else:
            answer = words.c("guide.see_rubric")
            tolerance = "—"
        for mistake in entry.get("indistinguishable", []):
            mistakes.append(
                f"<li>{words.c('guide.indistinguishable', mistake=words.module('mistakes.' + mistake))}</li>"
            )
        rows.append(
            f'<tr data-question="{esc(qid)}"><td>{number}</td><td class="key-right">{answer}</td>'
            f"<td>{tolerance}</td><td><ul>{''.join(mistakes)}</ul></td>"
            f'<td class="num">{entry["points"]}</td></tr>'
        )
    heads = head_row(
        words,
        "guide.",
        ("col_question", "col_answer", "col_tolerance", "col_mistakes", "col_points"),
    )
    return (
        f'<table class="answer-key"><colgroup><col style="width:7%"><col style="width:25%">'
        f'<col style="width:14%"><col style="width:46%"><col style="width:8%"></colgroup>'
        f"{heads}<tbody>{''.join(rows)}</tbody></table>"
    )


def _same_every_variant(words: Words, module) -> str:
    """A note under the key naming the questions whose answer is the same for every
    group variant (``same_in_every_variant: true`` in the module), or ``""``."""
    numbers = [
        str(number)
        for number, question in enumerate(module.items("questions"), start=1)
        if question.get("same_in_every_variant")
    ]
    if not numbers:
        return ""
    form = "one" if len(numbers) == 1 else "other"
    text = words.md_common(f"guide.same_every_variant_{form}", questions=", ".join(numbers))
    return f'<div class="same-every-variant">{text}</div>'


def _rubrics(words: Words, module, key: dict) -> str:
    out = []
    for number, question in enumerate(module.items("questions"), start=1):
        if question["kind"] != "rubric":
            continue
        qid = question["id"]
        rows = "".join(
            f'<tr><td>{words.m(f"questions.{qid}.criteria.{c}.text")}</td><td class="num">{p}</td>'
            f"<td>{esc(', '.join(words.keywords(qid, c)))}</td></tr>"
            for c, p in key["questions"][qid]["criteria"].items()
        )
        heads = head_row(words, "guide.", ("col_criterion", "col_points", "col_keywords"))
        out.append(
            f'<div class="keep"><h3>{words.c("guide.question_n", n=number)}</h3>'
            f"{words.md(f'questions.{qid}.text')}"
            f'<table class="rubric"><colgroup><col style="width:55%"><col style="width:10%">'
            f'<col style="width:35%"></colgroup>{heads}<tbody>{rows}</tbody></table>'
            f"<p><strong>{words.c('guide.model_answer')}</strong></p>"
            f"{words.md(f'questions.{qid}.model_answer')}</div>"
        )
    return "".join(out)


def rubric_example(module, key: dict) -> dict:
    """The placeholders of the grading text's example of facilitator rubric points.

    Parameters
    ----------
    module : Module
        The module whose guide shows the example.
    key : dict
        Its language-neutral answer key (:func:`training_modules.key.compute_key`).

    Returns
    -------
    dict
        ``rubric_question``: the id of the module's first rubric question, and
        ``rubric_points``: its criteria with their full points as a YAML flow mapping
        (``{c1: 2, c2: 1}``), so that ``q7: {text: "...", rubric: {c1: 2, c2: 1}}``
        written in an answer sheet is graded as the facilitator's points.
    """
    for question in module.items("questions"):
        entry = key["questions"][question["id"]]
        if entry["kind"] == "rubric":
            points = ", ".join(f"{c}: {p}" for c, p in entry["criteria"].items())
            return {"rubric_question": question["id"], "rubric_points": f"{{{points}}}"}
    return {"rubric_question": "q1", "rubric_points": "{c1: 1}"}


def _agenda(words: Words, module) -> str:
    rows, start = [], 0
    for item in module.items("agenda"):
        aid = item["id"]
        clock = f"{start // 60}:{start % 60:02d}"
        rows.append(
            f'<tr><td class="num">{clock}</td><td class="num">{item["minutes"]}</td>'
            f"<td>{words.m(f'agenda.{aid}.activity')}</td><td>{words.m(f'agenda.{aid}.method')}</td></tr>"
        )
        start += int(item["minutes"])
    heads = head_row(words, "guide.", ("col_start", "col_minutes", "col_activity", "col_method"))
    return (
        f'<table class="agenda"><colgroup><col style="width:10%"><col style="width:10%">'
        f'<col style="width:55%"><col style="width:25%"></colgroup>{heads}'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def render_guide(module, words: Words, key: dict, variant: int, sources: str, files: list) -> str:
    """The facilitator guide of one module in one language."""
    competencies = "".join(
        f"<tr><td>{words.m(f'competencies.{c}.name')}</td><td>{words.m(f'competencies.{c}.indicator')}</td></tr>"
        for c in module.items("competencies")
    )
    objectives = "".join(
        f"<li>{words.m('objectives.' + o)}</li>" for o in module.items("objectives")
    )
    knobs = "".join(
        f"<dt>{words.c('knobs.' + name)}</dt><dd>{esc(words.num(value) if isinstance(value, int | float) else str(value))}</dd>"
        for name, value in key["knobs"].items()
    )
    quiz = "".join(
        f"<li>{words.m(f'quiz.{qid}.text')} — <strong>{item['answer']}) "
        + words.m(f"quiz.{qid}.options.{item['answer']}")
        + "</strong></li>"
        for qid, item in key["quiz"].items()
    )
    debrief = "".join(f"<li>{words.m('debrief.' + d)}</li>" for d in module.items("debrief"))
    notes = "".join(f"<li>{words.m('notes.' + n)}</li>" for n in module.items("notes"))
    materials = "".join(f"<li><code>{esc(f)}</code></li>" for f in files)
    parts = [
        cover(words, module, "guide.kicker", variant),
        f"<section><h2>{words.c('guide.overview')}</h2>{words.md_common('guide.overview_text')}"
        f'<dl class="facts"><dt>{words.c("guide.variant")}</dt><dd>{variant}</dd>{knobs}</dl>'
        f"<h3>{words.c('guide.materials')}</h3><ul>{materials}</ul></section>",
        f"<section><h2>{words.c('guide.competencies')}</h2><table>"
        + head_row(words, "guide.", ("col_competency", "col_indicator"))
        + f"<tbody>{competencies}</tbody></table>"
        f"<h3>{words.c('handout.objectives')}</h3><ul>{objectives}</ul></section>",
        f"<section><h2>{words.c('guide.agenda')}</h2>{_agenda(words, module)}</section>",
        f"<section><h2>{words.c('handout.scenario')}</h2>{words.md('scenario')}</section>",
        f'<section class="page-break"><h2>{words.c("guide.key")}</h2>'
        f"{words.md_common('guide.key_intro')}{_key_rows(words, module, key)}"
        f"{_same_every_variant(words, module)}</section>",
    ]
    rubrics = _rubrics(words, module, key)
    if rubrics:
        parts.append(f"<section><h2>{words.c('guide.rubrics')}</h2>{rubrics}</section>")
    parts += [
        f"<section><h2>{words.c('guide.quiz')}</h2>{words.md_common('guide.quiz_intro')}<ol>{quiz}</ol></section>",
        f"<section><h2>{words.c('guide.debrief')}</h2><ul>{debrief}</ul></section>",
        f"<section><h2>{words.c('guide.notes')}</h2><ul>{notes}</ul>"
        f"{words.md_common('guide.grading', **rubric_example(module, key))}</section>",
        f'<footer class="notice">{sources}</footer>',
    ]
    separator = words.common("handout.label_separator")
    title = words.module("title") + separator + words.common("guide.kicker", number=module.number)
    return page(words, title, "\n".join(parts), "guide")
