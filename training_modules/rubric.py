"""Short policy answers: the facilitator's points, or provisional points from keywords.

A criterion's keyword counts when the answer holds it as a word (accents and case
folded):

- at the start of a word, never inside one ("low" is not in "follow");
- a keyword of at most four letters (its last word) is a whole word, with the plural
  or comparative endings of the key's language ("low", "lower"; "haut", "haute";
  "alto", "alta") but no other ("bas" is not in "base"); a longer keyword may be a stem
  ("modélis" in "modélisée", "disaggregat" in "disaggregated");
- not right after a negation in the same clause ("not a modelled estimate", "ce n'est
  pas une estimation", "sin rango"), unless the keyword says the negation itself ("not
  observed").

Keyword points are provisional: the grade keeps them apart from the sure points until
the facilitator confirms them in the sheet (``{text: ..., rubric: {c1: 2}}``).
"""

from __future__ import annotations

import functools
import re
import unicodedata

from mecc.errors import ConfigError

__all__ = ["fold", "grade_rubric", "keyword_found"]

_SHORT = 4
"""Keywords (their last word) of at most this many letters are whole words."""

_ENDINGS = {
    "en": ("s", "es", "d", "ed", "er", "est", "ing"),
    "fr": ("s", "x", "e", "es"),
    "es": ("s", "es"),
}
_OTHER_ENDINGS = ("s", "es")

_NEGATIONS = {
    "en": {"not", "no", "never", "nor", "without", "cannot", "neither"},
    # not "ne": "ne ... que" means "only" ("ce ne sont que des estimations"); "pas",
    # "jamais" etc. carry French negation
    "fr": {"pas", "non", "jamais", "ni", "sans", "aucun", "aucune", "nullement"},
    "es": {"no", "nunca", "ni", "sin", "ningun", "ninguna", "ninguno", "jamas", "tampoco"},
}
_ANY_NEGATION = frozenset().union(*_NEGATIONS.values())

_NOT_NEGATING = (
    "no doubt",
    "without doubt",
    "without a doubt",
    "not only",
    "sans aucun doute",
    "sans doute",
    "non seulement",
    "sin duda",
    "sin ninguna duda",
    "sin embargo",
    "no solo",
    "no solamente",
)
"""Phrases (folded) holding a negation word that do not negate what follows them."""

_TURNS = {"but", "rather", "instead", "mais", "plutot", "pero", "sino"}
"""Words after which a negation before them no longer applies ("not observed but
modelled")."""

_WINDOW = 4
"""A negation counts among the last words before the keyword, in the same clause."""


def fold(text) -> str:
    """Lower case, without accents, compatibility forms unified (NFKC), typographic
    apostrophes as ``'``."""
    text = unicodedata.normalize("NFKC", str(text)).replace("\u2019", "'").replace("`", "'")
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in text if not unicodedata.combining(c))


def _language(lang) -> str:
    return str(lang or "").split("-")[0].split("_")[0].lower()


def _forms(last: str, lang: str) -> list[str]:
    """The forms a short keyword's last word may take in the key's language."""
    if lang == "fr" and last.endswith(("s", "x")):
        return [last, last + "se", last + "ses"]  # "bas", "basse": never "base"
    forms = [last + e for e in ("", *_ENDINGS.get(lang, _OTHER_ENDINGS))]
    if lang == "es" and last.endswith("o"):
        forms += [last[:-1] + e for e in ("a", "as", "os")]  # "alto", "alta"
    return forms


@functools.lru_cache(maxsize=4096)
def _keyword_pattern(keyword: str, lang: str) -> re.Pattern | None:
    words = [w for w in re.split(r"[\s\-]+", fold(keyword).strip()) if w]
    if not words:
        return None
    gap = r"[\s\-]*"
    last = words[-1]
    if sum(c.isalpha() for c in last) > _SHORT or not re.search(r"\w$", last):
        return re.compile(r"(?<!\w)" + gap.join(map(re.escape, words)))  # a stem
    forms = "|".join(re.escape(f) for f in sorted(_forms(last, lang), key=len, reverse=True))
    head = "".join(re.escape(w) + gap for w in words[:-1])
    return re.compile(rf"(?<!\w){head}(?:{forms})(?!\w)")


def _negated(before: str, lang: str) -> bool:
    """Whether the clause before a keyword ends with a negation among its last words."""
    clause = re.split(r"[.;:!?,()\[\]\n]", before)[-1]
    clause = re.sub(r"n't\b", " not", clause)
    for phrase in _NOT_NEGATING:
        clause = re.sub(rf"(?<!\w){phrase}(?!\w)", " ", clause)
    words = re.findall(r"\w+", clause)
    for k in range(len(words) - 1, -1, -1):
        if words[k] in _TURNS:
            words = words[k + 1 :]
            break
    negations = _NEGATIONS.get(lang, _ANY_NEGATION)
    return any(w in negations for w in words[-_WINDOW:])


def keyword_found(keyword, text: str, lang=None) -> bool:
    """Whether ``text`` (folded with :func:`fold`) holds ``keyword`` as a word, not
    negated (see the module's rules)."""
    lang = _language(lang)
    pattern = _keyword_pattern(str(keyword), lang)
    if pattern is None:
        return False
    first = re.findall(r"\w+", fold(keyword).replace("n't", " not"))[:1]
    says_negation = bool(first) and first[0] in _NEGATIONS.get(lang, _ANY_NEGATION)
    for match in pattern.finditer(text):
        if says_negation or not _negated(text[: match.start()], lang):
            return True
    return False


def grade_rubric(entry, value, key, where: str, number) -> dict:
    """Points, status and feedback of a rubric answer.

    ``number(text)`` reads points written as text in the key's language (``1,5``).

    The facilitator's points (``rubric: {c1: 2}``): points not given per criterion
    (``rubric: [2, 1, 1]``, ``rubric: 4``) are refused (one line in the key's language
    showing the form), never dropped for keyword points; a criterion the question does
    not have (``c9``, a typo) is refused like an unknown question id, since its points cannot
    be given to any criterion and the score would be silently low; points outside 0 to
    the criterion's maximum are counted as the nearest bound, with a note (``notes`` of
    the result) naming the sheet, question and criterion, as quiz letters that are no
    option are noted: the grade stands and the facilitator sees what was counted. The
    note is text for people, in the key's language with its number marks (``2,5 points
    donnés`` in French), in the printed table and in the ``--out`` CSV alike.
    """
    from training_modules.answer_sheets import number_text, say

    messages = key.get("messages") or {}
    criteria = entry.get("criteria") or {}
    given = value.get("rubric") if isinstance(value, dict) else None
    if given is not None and not isinstance(given, dict):  # [2, 1, 1]: whose points?
        example = ", ".join(
            f"{c}: {number_text(key, spec['points'] if isinstance(spec, dict) else spec)}"
            for c, spec in criteria.items()
        )
        typed = "[" + ", ".join(map(str, given)) + "]" if isinstance(given, list) else given
        found = {"example": "{" + example + "}", "value": str(typed)}
        raise ConfigError(f"{where}.rubric: {say(key, 'rubric_not_mapping', **found)}")
    if isinstance(given, dict):
        unknown = sorted(str(c) for c in given if c not in criteria)
        if unknown:
            raise ConfigError(
                f"{where}.rubric: unknown criterion {', '.join(unknown)} (the question's "
                f"criteria are {', '.join(map(str, criteria))})"
            )
        points, notes = 0.0, []
        for criterion, spec in criteria.items():
            most = float(spec["points"] if isinstance(spec, dict) else spec)
            raw = given.get(criterion)
            found = 0.0 if raw is None or raw == "" else number(raw)
            if found is None:
                raise ConfigError(
                    f"{where}.rubric.{criterion}: give the points as a number, not {raw!r}"
                )
            counted = min(max(found, 0.0), most)
            if counted != found:
                numbers = {  # text for people: the key's marks (``2,5`` in French)
                    "points": number_text(key, found),
                    "most": number_text(key, most),
                    "counted": number_text(key, counted),
                }
                notes.append(f"{where}.rubric.{criterion}: {say(key, 'points_clamped', **numbers)}")
            points += counted
        scored = {"points": points, "status": "scored", "feedback": messages.get("scored", "")}
        return {**scored, "notes": notes}
    text = fold(value.get("text", "") if isinstance(value, dict) else value)
    points = 0.0
    for spec in criteria.values():
        keywords = (spec.get("keywords") or []) if isinstance(spec, dict) else []
        if any(keyword_found(k, text, key.get("lang")) for k in keywords):
            points += float(spec["points"])
    return {"points": points, "status": "provisional", "feedback": messages.get("provisional", "")}
