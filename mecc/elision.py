"""Elision: "de" + "Istra" is "d'Istra" in French, for names filled into sentences.

Shared by the training pack's words (:mod:`training_modules.words`) and the unit
profiles (:mod:`mecc.profile_text`), whose templates put data names (units, places)
after "de", "le", "la" or "que".
"""

from __future__ import annotations

import html
import re
import unicodedata

__all__ = ["elide", "elide_before_placeholders"]

_ELIDED = {"fr": {"de": "d'", "le": "l'", "la": "l'", "que": "qu'"}}
"""Words that drop their vowel before a vowel or a mute h, by language (primary subtag)."""

_ASPIRATED_H = ("hambourg", "hanovre", "havre", "hollande", "hongrie", "honduras", "hawa")
"""Place names whose h is aspirated (``de Hongrie``); any other h is taken as mute."""

_BEFORE_PLACEHOLDER = re.compile(
    r"(?<![\w'\u2019])(?P<word>[DdLlQq][a-z]{0,2}) (?P<mark>\*\*|« )?\{(?P<name>\w+)\}"
)


def _starts_with_vowel_sound(text) -> bool:
    """Whether ``text`` starts with a vowel (accented or not), a ``y`` before a
    consonant (``Yvelines``) or a mute h (``Hiveno``, ``Haïti``; not ``Hongrie``)."""
    letters = unicodedata.normalize("NFKD", str(text).strip().casefold())
    letters = "".join(c for c in letters if not unicodedata.combining(c))
    if not letters:
        return False
    first, second = letters[0], letters[1:2]
    if first == "h":
        return second in "aeiouy" and bool(second) and not letters.startswith(_ASPIRATED_H)
    if first == "y":
        return bool(second) and second.isalpha() and second not in "aeiou"
    return first in "aeiouæœ"


def elide(lang, word: str, following) -> str:
    """``word`` and ``following`` as the language joins them: ``d'Istra``, ``l'Eluno``
    in French before a vowel or a mute h, ``de Corrim`` otherwise (and in languages
    without elision).

    Parameters
    ----------
    lang : str
        The language tag (``fr``, ``fr-CA``).
    word : str
        The word before, as written (``de``, ``De``, ``le``, ``la``, ``que``).
    following : str
        The word or name after it.

    Returns
    -------
    str
    """
    elided = _ELIDED.get(str(lang or "").split("-")[0].split("_")[0].lower(), {})
    short = elided.get(word.lower())
    if short is None or not _starts_with_vowel_sound(following):
        return f"{word} {following}"
    return f"{word[0]}{short[1:]}{following}"


def elide_before_placeholders(text: str, values, lang) -> str:
    """``text`` (a template) with each "de {name}" (or le, la, que) written elided,
    ``d'{name}``, where the language elides and ``values[name]`` starts with a vowel
    sound; « quoted » names and values that are not text keep the word whole.

    Parameters
    ----------
    text : str
        A template with ``{placeholders}``, not yet filled.
    values : mapping
        Placeholder values (text may be HTML-escaped: it is read unescaped).
    lang : str
        The language tag.

    Returns
    -------
    str
        The template, still to be filled.
    """
    if not _ELIDED.get(str(lang or "").split("-")[0].split("_")[0].lower()):
        return text

    def elided(match) -> str:
        word, mark, name = match.group("word"), match.group("mark") or "", match.group("name")
        value = values.get(name)
        if mark.startswith("«") or not isinstance(value, str):
            return match.group(0)  # « quoted » names and numbers keep "de"
        plain = html.unescape(value)
        joined = elide(lang, word, plain)
        if joined == f"{word} {plain}":
            return match.group(0)
        return joined[: len(joined) - len(plain)] + mark + "{" + name + "}"

    return _BEFORE_PLACEHOLDER.sub(elided, text)
