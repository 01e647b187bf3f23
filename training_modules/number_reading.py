"""Reading a numeric answer as typed, in the key's language, and the hints about it.

:func:`parse_number` reads one number by the rules of :mod:`training_modules.grading`.
The hints say, in the key's language and with its own marks, what a participant
probably meant when the answer used the other decimal mark:

- :func:`decimal_hint`: the text cannot be read, but can with point and comma
  exchanged (``1,642.2`` in French: ``1 642,2``);
- :func:`meant_hint`: the text reads as a wrong number, but with point and comma
  exchanged it would be right (``112,932`` in Spanish, where the comma is the decimal
  mark, for 112 931.9: "did you mean 112 932?"). The answer stays wrong: a facilitator
  decides;
- :func:`percent_hint`: a share written as a fraction (``0,679`` for 67.9 %).

A suggestion groups thousands with the language's own mark (``1 642,2`` in French and
Spanish, ``1,642.2`` in English) when the answer grouped them; otherwise it keeps the
digits as typed.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata

from training_modules.answer_sheets import SheetText, number_text, say

__all__ = ["decimal_hint", "meant_hint", "parse_number", "percent_hint"]


_SCALES = {
    "en": {"thousand": 1e3, "thousands": 1e3, "million": 1e6, "millions": 1e6, "mn": 1e6},
    "fr": {"mille": 1e3, "millier": 1e3, "milliers": 1e3, "million": 1e6, "millions": 1e6},
    "es": {"mil": 1e3, "millon": 1e6, "millones": 1e6},
}
"""Scale words after a number, folded, by the key's language ("k" and "M" in every one).
The word of another language ("9 mil" in English: thousand or million?) is unreadable."""

_ANY_SCALE = frozenset().union(*_SCALES.values())

_PER_100K = re.compile(
    r"(?:(?:per|pour|por)(?:\s+cada)?\s+|/\s*)100(?:[\s,.]?000|\s?k)\b(?:\s+(?:residents|"
    r"inhabitants|people|persons|population|habitants|personnes|habitantes|personas|"
    r"poblaci[oó]n)\b)?",
    re.IGNORECASE,
)
"""A rate's unit however written: "per 100,000", "per 100 000 inhabitants", "/100k",
"pour 100 000 habitants", "por cada 100.000 personas"."""


@functools.lru_cache
def _number_pattern(decimal: str, group: str) -> re.Pattern:
    """One number: digits grouped by thousands (or not), a decimal part, an exponent.

    The key's group mark, a space, and the other of point and comma group thousands (one
    mark throughout the number; the first group is 1 to 999: ``0,018`` is no grouped
    eighteen); only the key's decimal mark is a decimal mark.
    """
    other = {",": ".", ".": ","}.get(decimal)
    groups = sorted({g for g in (group, " ", other) if g and g != decimal})
    mark = "|".join(re.escape(g) for g in groups)
    point = re.escape(decimal)
    whole = rf"(?:[1-9]\d{{0,2}}(?P<g>{mark})\d{{3}}(?:(?P=g)\d{{3}})*|\d+)"
    return re.compile(
        rf"(?P<before>\D*?)(?P<number>[-+]?(?:{whole}(?:{point}\d+)?|{point}\d+)"
        rf"(?:[eE][-+]?\d+)?)(?P<after>\D*)"
    )


def parse_number(value, number_format: dict, unit: str | None = None, lang=None) -> float | None:
    """One number from YAML, or from text such as ``10 876`` / ``10,876`` / ``1.0876e4``.

    Parameters
    ----------
    value : object
        The answer as written in the sheet.
    number_format : dict
        The key's ``decimal`` and ``group`` marks. A space also groups thousands, and so
        does a point where the decimal mark is a comma (``9.072`` is nine thousand in
        Spanish) or a comma where it is a point.
    unit : str, optional
        The question's unit (e.g. "per 100,000 residents"): left out when the answer
        ends with it; a rate's unit is left out however it is worded.
    lang : str, optional
        The key's language, for its scale words (``thousand``, ``mil``, ...).

    Returns
    -------
    float or None
        None unless the text holds exactly one well-formed number (groups of three
        digits after the first, scientific notation allowed), with words but no other
        digit around it: "19319 (range 5,657 to 19,319)", "1/2", "e5", "5-" or a list
        are not one number. An answer read from a sheet file
        (:class:`~training_modules.answer_sheets.SheetText`) that these rules cannot read
        and that holds no decimal mark of the key's is read with the other of point and
        comma as its decimal mark, by the same rule in every language: that mark could
        not group thousands there (a group has exactly three digits after a first one of
        one to three), so it can only be a decimal mark, as a program, a spreadsheet or
        another language writes it (``1642.2`` or ``1.02`` where the mark is a comma,
        ``1,02`` where it is a point). Where it could group thousands (``1,018`` in
        English, ``1.018`` in French) the key's reading stands, and a wrong answer's
        feedback asks whether the other reading was meant (:func:`meant_hint`).
    """
    number = _read_number(value, number_format, unit, lang)
    if number is None and isinstance(value, SheetText):
        decimal = unicodedata.normalize("NFKC", number_format.get("decimal") or ".")
        other = {",": ".", ".": ","}.get(decimal)
        if other is not None and decimal not in unicodedata.normalize("NFKC", value):
            number = _read_number(str(value), {"decimal": other, "group": ""}, unit, lang)
    return number


def _read_number(value, number_format: dict, unit, lang) -> float | None:
    """One number by the rules of :func:`parse_number`, without the sheet files' point."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if not isinstance(value, str):
        return None  # a list or a mapping
    text = _without_unit(unicodedata.normalize("NFKC", value).replace("\u2212", "-"), unit)
    text = text[:-1] if text.endswith(".") else text  # the end of a sentence
    decimal = unicodedata.normalize("NFKC", number_format.get("decimal") or ".")
    group = unicodedata.normalize("NFKC", number_format.get("group") or "")
    match = _number_pattern(decimal, group).fullmatch(text)
    if match is None or _run_into(match.group("before"), match.group("after")):
        return None
    scale = _scale(match.group("after"), lang)
    if scale is None:
        return None
    number = match.group("number")
    if match.group("g"):
        number = number.replace(match.group("g"), "")
    try:
        result = float(number.replace(decimal, ".")) * scale
    except ValueError:
        return None
    return result if math.isfinite(result) else None


def _without_unit(text: str, unit: str | None) -> str:
    """``text`` without the question's unit after the number (compared folded)."""
    text = text.strip()
    folded_unit = _fold(unicodedata.normalize("NFKC", str(unit or ""))).strip()
    if folded_unit and _fold(text).endswith(folded_unit):
        ends = (k for k in range(len(text), -1, -1) if _fold(text[k:]) == folded_unit)
        text = text[: next(ends, len(text))].strip()
    if folded_unit and _PER_100K.search(unicodedata.normalize("NFKC", str(unit))):
        text = _PER_100K.sub(" ", text).strip()
    return text


def _run_into(before: str, after: str) -> bool:
    """A number run into a letter or a sign ("e5", "x5", "5-", "5e"): not one number."""
    return bool(
        re.search(r"[^\W\d_]$|[-+.,/^]$", before) or re.match(r"[-+.,/^]|[eE](?![^\W\d_])", after)
    )


def _scale(after: str, lang) -> float | None:
    """The factor of a scale word right after the number (1 without one); None for a
    scale word of another language."""
    word = re.match(r"\s*([^\W\d_]+)", after)
    if word is None:
        return 1.0
    if word.group(1) == "M":
        return 1e6
    folded = _fold(word.group(1))
    scales = {"k": 1e3, **_SCALES.get(lang, {})}
    if folded in scales:
        return scales[folded]
    return None if folded in _ANY_SCALE else 1.0


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", str(text).casefold())
    return "".join(c for c in text if not unicodedata.combining(c))


def _swapped(value, key) -> str | None:
    """The answer's text with point and comma exchanged; None when it is no text or has
    no point or comma between digits (nothing to exchange)."""
    decimal = (key.get("number_format") or {}).get("decimal") or "."
    other = {",": ".", ".": ","}.get(decimal)
    if not isinstance(value, str) or other is None or not re.search(r"\d[.,]\d", value):
        return None
    return str(value).translate(str.maketrans({decimal: other, other: decimal})).strip()


def _suggestion(text: str, key: dict) -> str:
    """``text`` (readable with the key's marks) with the thousands of its number grouped
    by the language's own mark when they were grouped (``1.642,2`` -> ``1 642,2`` in
    French); as it is otherwise."""
    number_format = key.get("number_format") or {}
    decimal = unicodedata.normalize("NFKC", number_format.get("decimal") or ".")
    group = unicodedata.normalize("NFKC", number_format.get("group") or "")
    match = _number_pattern(decimal, group).fullmatch(unicodedata.normalize("NFKC", text))
    if match is None or not match.group("g"):
        return text
    number = match.group("number")
    sign = number[0] if number[0] in "+-" else ""
    body = number[len(sign) :].replace(match.group("g"), "")
    whole = re.match(r"\d*", body).group(0)  # then the decimals and the exponent as typed
    grouped = number_text(key, int(whole)) if whole else ""
    return f"{match.group('before')}{sign}{grouped}{body[len(whole) :]}{match.group('after')}"


def decimal_hint(value, entry: dict, key: dict) -> str:
    """`` (the decimal mark here is ","; 1 642,2)`` when the unreadable text is one number
    written with the other decimal mark; else empty."""
    swapped = _swapped(value, key)
    if swapped is None:
        return ""
    number = parse_number(
        swapped, key.get("number_format") or {}, entry.get("unit"), key.get("lang")
    )
    if number is not None:
        decimal = (key.get("number_format") or {}).get("decimal") or "."
        suggestion = _suggestion(swapped, key)
        return " " + say(key, "decimal_hint", decimal_mark=decimal, suggestion=suggestion)
    return ""


def meant_hint(value, entry: dict, key: dict, right) -> str:
    """`` (the decimal mark here is "."; did you mean 112,932?)`` when the answer, read
    with point and comma exchanged, would be right (``right(number)``); else empty.

    The answer is still graded as read with the key's marks: the hint only tells the
    participant and the facilitator, who decides, what was probably meant.
    """
    swapped = _swapped(value, key)
    if swapped is None:
        return ""
    number = parse_number(
        swapped, key.get("number_format") or {}, entry.get("unit"), key.get("lang")
    )
    if number is None or not right(number):
        return ""
    decimal = (key.get("number_format") or {}).get("decimal") or "."
    suggestion = _suggestion(swapped, key)
    return " " + say(key, "decimal_hint_meant", decimal_mark=decimal, suggestion=suggestion)


def percent_hint(number: float, key: dict) -> str:
    """`` (0,679 = 67,9 %?)``: a share written as a fraction, in the key's number format."""
    return f" ({number_text(key, number)} = {number_text(key, 100 * number)} %?)"
