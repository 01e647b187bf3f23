"""One language's words for one module, and the small HTML helpers of printed pages.

Words come from the locale files (see :mod:`training_modules.catalogue`);
``{placeholders}`` are filled from the variant's knobs, the exercise (landfall,
peak surge) and the module's facts (numbers formatted in the language, zone codes
shown as zone names). Long texts use a small, safe subset of Markdown: paragraphs,
``- `` bullet lists, ``**bold**`` and ```code``` (everything is escaped first).
"""

from __future__ import annotations

import html
import math
import numbers
import re
from pathlib import Path

from mecc.elision import elide, elide_before_placeholders
from mecc.map_data import Numbers
from training_modules.catalogue import flatten_words

__all__ = ["Words", "elide", "esc", "is_whole", "markdown"]

esc = html.escape
STYLE_FILE = Path(__file__).resolve().parent / "assets" / "handout.css"


def is_whole(value) -> bool:
    """Whether ``value`` is a finite number without a fractional part (3, 3.0, not 3.5).

    Parameters
    ----------
    value : object
        Anything; text, None, NaN and infinities are not whole numbers.

    Returns
    -------
    bool
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return False
    value = float(value)
    return math.isfinite(value) and value.is_integer()


class _Context(dict):
    def __missing__(self, key):
        return "{" + key + "}"


class Words:
    """The words of ``common`` and one module in one language."""

    def __init__(self, catalogue, lang: str, module_id: str | None, context=None):
        self.lang = lang
        self._common = flatten_words(catalogue.words(lang, "common"))
        self._module = flatten_words(catalogue.words(lang, module_id)) if module_id else {}
        self.number = Numbers(
            {"decimal": self._common["number.decimal"], "group": self._common["number.group"]}
        )
        self.dir = self._common.get("meta.dir", "ltr")
        self.context = _Context(context or {})

    def _fill(self, text, args) -> str:
        """``text`` filled in; a name put after "de", "le", "la" or "que" in French is
        elided (``de {zone_x}`` with Istra reads ``d'Istra``: :func:`elide`)."""
        if not isinstance(text, str):
            return str(text)
        values = _Context({**self.context, **args})
        return elide_before_placeholders(text, values, self.lang).format_map(values)

    def common(self, key: str, **args) -> str:
        """Fixed text (``common.yaml``), filled in, not escaped."""
        if key not in self._common:
            raise KeyError(f"training locale {self.lang}/common: no key {key}")
        return self._fill(self._common[key], args)

    def module(self, key: str, **args) -> str:
        """Module text, filled in, not escaped."""
        if key not in self._module:
            raise KeyError(f"training locale {self.lang}: no key {key}")
        return self._fill(self._module[key], args)

    def has(self, key: str) -> bool:
        return key in self._module

    def has_common(self, key: str) -> bool:
        return key in self._common

    def question_text(self, qid: str) -> str:
        return self.module(f"questions.{qid}.text")

    def keywords(self, qid: str, criterion: str) -> list:
        return [str(k) for k in self._module[f"questions.{qid}.criteria.{criterion}.keywords"]]

    def grading_keys(self) -> list:
        return sorted(k[len("grading.") :] for k in self._common if k.startswith("grading."))

    def num(self, value, decimals: int | None = None) -> str:
        """A number in this language.

        Parameters
        ----------
        value : float or int
            The number; None or not finite prints the language's "missing" word.
        decimals : int, optional
            Fixed decimals. By default a whole number (a count, a return period, a
            year) prints without decimals and any other value with the significant
            digits of :class:`mecc.map_data.Numbers` (one decimal from 1 to 10).

        Returns
        -------
        str
            The number with the language's decimal and group marks.
        """
        if decimals is None and is_whole(value):
            decimals = 0
        if decimals is not None:
            text = f"{float(value):,.{decimals}f}"
            return (
                text.replace(",", "\0")
                .replace(".", self._common["number.decimal"])
                .replace("\0", self._common["number.group"])
            )
        return self.number(value, self.common("missing"))

    def c(self, key: str, **args) -> str:
        """Fixed text, HTML-escaped."""
        return esc(self.common(key, **args))

    def m(self, key: str, **args) -> str:
        """Module text, HTML-escaped."""
        return esc(self.module(key, **args))

    def md(self, key: str, **args) -> str:
        """Module text as HTML (the Markdown subset)."""
        return markdown(self.module(key, **args))

    def md_common(self, key: str, **args) -> str:
        """Fixed text as HTML (the Markdown subset)."""
        return markdown(self.common(key, **args))


_INLINE = (
    (re.compile(r"`([^`]+)`"), r"<code>\1</code>"),
    (re.compile(r"\*\*([^*]+)\*\*"), r"<strong>\1</strong>"),
)


def _inline(text: str) -> str:
    text = esc(text)
    for pattern, replacement in _INLINE:
        text = pattern.sub(replacement, text)
    return text


def markdown(text: str) -> str:
    """Paragraphs, ``- `` bullets, ``**bold**`` and ```code``` as HTML (escaped first)."""
    blocks = re.split(r"\n\s*\n", str(text).strip())
    out = []
    for block in blocks:
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        if lines and all(line.startswith("- ") for line in lines):
            items = "".join(f"<li>{_inline(line[2:])}</li>" for line in lines)
            out.append(f"<ul>{items}</ul>")
        elif lines:
            out.append(f"<p>{_inline(' '.join(lines))}</p>")
    return "".join(out)
