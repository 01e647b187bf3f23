"""Reading answer sheets (and answer keys) as participants and facilitators save them.

- encodings: UTF-8 with or without a byte-order mark, UTF-16 (Windows Notepad's
  "Unicode", with its mark, or without one when the text starts in ASCII) and UTF-32
  with a mark; a file that is not UTF-8 is read as Windows' ANSI code page (cp1252)
  only when the key's language is one that code page writes (English, French, Spanish,
  ...); otherwise it is refused with the fix ("save the file as UTF-8");
- answers are read as the text the participant typed: ``q4: 1.642`` and
  ``q4: "1.642"`` are the same characters and get the same verdict (the grading reads
  the number with the key's language rules: 1642 in French or Spanish; text those rules
  cannot read, without the key's decimal mark, whose other mark cannot group thousands,
  such as ``1642.2`` in French or ``1,02`` in English, is read with that mark as the
  decimal mark, quoted or not); only an empty answer (``q4:``, ``null``, ``~``) is no
  answer;
- a text answer whose unquoted colon makes the line invalid YAML (the French
  ``q7: Enregistrer : la durée``) is read as the whole text after the question id, as
  if it were quoted; a line that cannot be read so, a tab or any other syntax error is
  one line in the key's language naming the file, the line and the fix;
- a question (or any field) given twice is refused, naming the file, the field and the
  two lines (YAML would silently keep the last one);
- a workbook (or a file named ``.xlsx``, ``.docx``... that is none: damaged, or not
  saved as one) is no answer sheet or key, said so in one line (:func:`office_reason`),
  never "save the file as UTF-8"; a text sheet named so is read as the sheet it is;
- what is wrong with a sheet is said in the key's language (the facilitator reads it in
  the class table), and the class table prints its numbers in that language's format;
  a bad ``--out`` for the grades
  (:func:`~training_modules.grades_file.check_out_path`) is a usage error in English,
  as every mecc option error.
"""

from __future__ import annotations

import codecs
import functools
import glob
import math
import numbers
import os
import re
from pathlib import Path

import yaml
from yaml.constructor import ConstructorError

from mecc.errors import ConfigError, InputFileError, did_you_mean
from training_modules.key import KEY_KIND, NOT_A_KEY, check_key, variant_number

__all__ = [
    "SHEET_KIND",
    "SheetText",
    "answer_file_kind",
    "is_office_document",
    "load_answer_file",
    "number_text",
    "office_reason",
    "participant_sheet",
    "read_key",
    "read_sheet",
    "say",
    "sheet_lang",
    "sheet_of",
    "sheet_variant",
]

SHEET_KIND = "mecc_training_answers"
LOCALES = Path(__file__).resolve().parent / "locales"

_ANSI_1252 = frozenset(
    {"af", "ca", "da", "de", "en", "es", "eu", "fi", "fo", "fr", "ga", "gl", "id", "is"}
    | {"it", "ms", "nb", "nl", "nn", "no", "pt", "sq", "sv", "sw"}
)
"""Languages (primary subtag) whose Windows "ANSI" code page is cp1252: what Notepad
and Excel write for them when a file is not saved as UTF-8."""

_TEXT_FIELDS = ("answers", "quiz_pre", "quiz_post")
"""The parts of a sheet read as typed text."""


class SheetText(str):
    """An answer as typed in a sheet file, quoted or not (a number in it may also be
    written as YAML writes numbers: see :func:`training_modules.grading.parse_number`)."""


# --------------------------------------------------------------------- messages


@functools.lru_cache
def _locale_common(lang: str) -> dict:
    """The training locale ``lang``'s ``common.yaml`` shipped with the toolkit ({} when
    there is none)."""
    if not re.fullmatch(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*", lang):
        return {}
    path = LOCALES / lang / "common.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def _locale_grading(lang: str) -> dict:
    return _locale_common(lang).get("grading") or {}


def _languages(key: dict | None) -> tuple:
    """The key's language, its primary subtag, then English (the fallbacks of a word)."""
    lang = str((key or {}).get("lang") or "en")
    return lang, lang.split("-")[0], "en"


class _Fields(dict):
    def __missing__(self, name):
        return "{" + name + "}"


def say(key: dict | None, name: str, **fields) -> str:
    """The grading message ``name`` in the key's language, filled in.

    The key's own ``messages`` first (a key carries its language's words), then the
    locale of its ``lang`` shipped with the toolkit (a key built before the message
    existed), then English.
    """
    key = key or {}
    text = (key.get("messages") or {}).get(name)
    for candidate in _languages(key):
        if text is None:
            text = _locale_grading(candidate).get(name)
    return str(text or name).format_map(_Fields(fields))


def number_text(key: dict | None, value) -> str:
    """A number of the grades (points, a percentage) in the key's language: ``6``,
    ``1,5``, ``66,7`` in French; no trailing ``.0``, thousands grouped.

    The marks are the key's ``number_format``, else those of the training locale of its
    language (``number`` in ``common.yaml``), else English.
    """
    marks = dict((key or {}).get("number_format") or {})
    for candidate in _languages(key):
        for mark, default in (_locale_common(candidate).get("number") or {}).items():
            marks.setdefault(mark, default)
    value = float(value)
    text = f"{value:,.0f}" if value.is_integer() else f"{value:,.6g}"
    decimal, group = marks.get("decimal") or ".", marks.get("group") or ""
    return text.replace(",", "\0").replace(".", decimal).replace("\0", group)


def keyed_table(rows: list, key: dict):
    """A table of ``rows`` that keeps the key's language and messages (for
    :func:`shown_table`) in ``attrs["key"]``."""
    import pandas as pd

    table = pd.DataFrame(rows)
    table.attrs["key"] = {
        "lang": key.get("lang"),
        "messages": key.get("messages") or {},
        "number_format": key.get("number_format") or {},
    }
    return table


def shown_table(table):
    """The class table as ``mecc training check`` prints it: column headers in the key's
    language (``grading.col_<column>``; question ids as they are), numbers in its number
    format (:func:`number_text`: ``6``, ``1,5``, not ``6.0``) and empty cells (no quiz, no
    error) as the key's ``empty`` mark ("—"), never "None" or "NaN". The CSV of ``--out``
    keeps the column ids, numbers as a program reads them and empty cells blank.

    ``table`` is :func:`training_modules.grading.class_table`'s (a :func:`keyed_table`).
    """
    key = table.attrs.get("key") or {}
    shown = table.astype(object).where(table.notna(), say(key, "empty"))
    shown = shown.map(lambda v: number_text(key, v) if _is_number(v) else v)
    names = {column: say(key, f"col_{column}") for column in table.columns}
    return shown.rename(columns={c: n for c, n in names.items() if n != f"col_{c}"})


def _is_number(value) -> bool:
    """A finite number of the table (not a boolean, not text)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


# -------------------------------------------------------------------- encodings


def _cp1252_language(lang) -> bool:
    return str(lang or "").split("-")[0].split("_")[0].lower() in _ANSI_1252


_LANG_LINE = re.compile(r"^lang\s*:\s*['\"]?([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]+)*)", re.MULTILINE)


def _decode(raw: bytes, lang) -> str | None:
    """The file's text, or None when it is not text this reader can tell.

    ``lang`` is the key's language (the cp1252 fallback needs it); None takes the
    ``lang:`` line of the file itself (an answer key read on its own).
    """
    for bom, codec in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if raw.startswith(bom):
            try:
                return raw.decode(codec)
            except UnicodeDecodeError:
                return None
    head = raw[:64]
    if len(head) >= 4 and head.count(0) * 3 >= len(head):  # UTF-16 without its mark
        codec = "utf-16-le" if head[1] == 0 and head[0] != 0 else "utf-16-be"
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError:
        return None  # bytes cp1252 leaves undefined: some other code page
    if lang is None:
        found = _LANG_LINE.search(text)
        lang = found.group(1) if found else None
    return text if _cp1252_language(lang) else None


# ------------------------------------------------------------------------ YAML


class _Duplicate(yaml.YAMLError):
    def __init__(self, name: str, first: int, again: int):
        super().__init__(f"{name} given twice (lines {first} and {again})")
        self.name, self.first, self.again = name, first, again


class _Loader(yaml.SafeLoader):
    """YAML's safe loader that refuses a mapping key given twice."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen = {}
            for key_node, _ in node.value:
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag.endswith(":merge"):
                    continue
                line = key_node.start_mark.line + 1
                if key_node.value in seen:
                    raise _Duplicate(key_node.value, seen[key_node.value], line)
                seen[key_node.value] = line
        return super().construct_mapping(node, deep=deep)


class _TextLoader(_Loader):
    """Plain scalars stay the text typed: only an empty one (or ``null``, ``~``) is None."""


_TextLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag.endswith((":null", ":merge"))]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

_ANSWER_LINE = re.compile(r"^(?P<head>\s*[A-Za-z_][\w.-]*[ \t]*:[ \t]+)(?P<text>[^\s'\"].*?)\s*$")
_COMMENT = re.compile(r"\s+#.*$")
_STRUCTURE = re.compile(r"^(?:text|rubric)\s*:|[{}\[\]]", re.IGNORECASE)
_SHEET_KIND_LINE = re.compile(rf"^kind\s*:\s*['\"]?{SHEET_KIND}\b", re.MULTILINE)


def _quoted_line(line: str) -> str | None:
    """A line ``id: text: more`` with its text quoted, or None when it is no such line
    (a quoted value, a rubric mapping, a list, no colon in the text)."""
    match = _ANSWER_LINE.match(line)
    if match is None:
        return None
    text = match.group("text")
    comment = _COMMENT.search(text)
    tail = comment.group(0) if comment else ""
    text = text[: comment.start()] if comment else text
    if not re.search(r":(\s|$)", text) or _STRUCTURE.search(text) or text[0] in "|>&*!%@`-?":
        return None
    return match.group("head") + "'" + text.replace("'", "''") + "'" + tail


def _parse(text: str, loader, lenient: bool):
    """``(data, text)``: the YAML and the text it was read from (with answer lines whose
    unquoted colon broke the YAML quoted, when ``lenient``)."""
    for _ in range(200):
        try:
            return yaml.load(text, Loader=loader), text
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark
            if not lenient or mark is None or "mapping values" not in str(error.problem):
                raise
            lines = text.split("\n")
            fixed = _quoted_line(lines[mark.line]) if mark.line < len(lines) else None
            if fixed is None:
                raise
            lines[mark.line] = fixed
            text = "\n".join(lines)
    return yaml.load(text, Loader=loader), text


def _syntax_message(error, key) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = str(getattr(error, "problem", "") or "")
    if re.search(r"\btab\b|'\\t'|\t", problem):
        hint = say(key, "syntax_tab")
    elif "mapping values" in problem:
        hint = say(key, "syntax_colon")
    else:
        hint = say(key, "syntax_other")
    if mark is None:
        return hint
    return say(key, "syntax", line_number=mark.line + 1, column_number=mark.column + 1, hint=hint)


def _as_typed(value):
    """Texts of a sheet's answers as typed (:class:`SheetText`), also inside an answer's
    mapping (a facilitator's ``rubric: {c1: 1.5}`` points)."""
    if isinstance(value, dict):
        return {k: _as_typed(v) for k, v in value.items()}
    return SheetText(value) if isinstance(value, str) else value


def load_answer_file(path, key: dict | None = None, what: str = "sheet") -> dict:
    """An answer sheet or an answer key as a mapping; errors are one line naming the file.

    Parameters
    ----------
    path : path
        The file.
    key : dict, optional
        The answer key the sheet is graded against: its language gives the messages and
        tells whether a file that is not UTF-8 may be read as cp1252. Without it (reading
        a key), the file's own ``lang:`` line does.
    what : {"sheet", "key"}
        What the file is read as: a workbook given instead says which text file to give
        (:func:`office_reason`).

    Returns
    -------
    dict
        The file's fields; a sheet's ``answers``, ``quiz_pre`` and ``quiz_post`` hold the
        text typed (None for an empty answer).
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputFileError(f"{path}: not found{_sheet_hint(path, key)}") from None
    except OSError as error:
        raise InputFileError(f"{path}: cannot read ({error.strerror or error})") from None
    office = office_reason(path, raw, key, what)  # a workbook, or a damaged one
    if office and (is_office_document(raw) or _kind_in(raw) is None):
        raise InputFileError(f"{path}: {office}")
    text = _decode(raw, key.get("lang") if key else None)
    if text is None:
        raise InputFileError(f"{path}: {say(key, 'not_utf8')}")
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")  # Windows, old Macs
    # answer lines are quoted only in sheets, whose lines YAML counts as split() does
    lenient = bool(_SHEET_KIND_LINE.search(text)) and not re.search("[\x85\u2028\u2029]", text)
    try:
        data, text = _parse(text, _Loader, lenient=lenient)
        if isinstance(data, dict) and data.get("kind") == SHEET_KIND:
            typed = yaml.load(text, Loader=_TextLoader)
            for name in _TEXT_FIELDS:
                if name in data:
                    data[name] = _as_typed(typed.get(name))
    except _Duplicate as error:
        message = say(
            key,
            "duplicate",
            question_id=error.name,
            first_line=error.first,
            line_number=error.again,
        )
        raise ConfigError(f"{path}: {message}") from None
    except (yaml.YAMLError, ConstructorError) as error:
        raise ConfigError(f"{path}: {_syntax_message(error, key)}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: {say(key, 'not_mapping')}")
    return data


_OFFICE_SIGNATURES = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
"""How a zipped document (``.xlsx``, ``.ods``, ``.docx``) and an older Office file
(``.xls``, ``.doc``) begin."""


def is_office_document(head: bytes) -> bool:
    """Whether the bytes ``head`` begin a workbook or another office document (a zip
    archive or an Office 97-2003 file), never an answer sheet, which is text."""
    return head.startswith(_OFFICE_SIGNATURES)


_OFFICE_SUFFIXES = {".xlsx": "workbook", ".xlsm": "workbook", ".xls": "workbook"}
_OFFICE_SUFFIXES.update(dict.fromkeys((".ods", ".odt", ".docx", ".doc"), "document"))
"""The extensions of office files, and whether each is an Excel workbook."""


def office_reason(path, head: bytes, key: dict | None, what: str = "sheet") -> str | None:
    """Why the file is no answer sheet (``what="sheet"``) or key (``"key"``) when it is an
    office file, in the key's language, else None: a workbook or other office document
    (by its first bytes, whatever its name), or a file named as one (``c.xlsx``) that is
    none ("not an Excel workbook (damaged or not saved as .xlsx)"), never text to save
    as UTF-8. A text answer sheet named ``.xlsx`` is read as the sheet it is."""
    suffix = Path(path).suffix.lower()
    kind = _OFFICE_SUFFIXES.get(suffix)
    if is_office_document(head):
        return say(key, "office_document" if what == "sheet" else "office_key")
    if kind is None:
        return None
    name = f"damaged_{kind}" if what == "sheet" else f"damaged_{kind}_key"
    return say(key, name, suffix=suffix)


def _sheet_hint(path: Path, key: dict | None) -> str:
    """`` (did you mean X?)`` for a sheet or key not found: a close name near it (never
    a key for a sheet), else (a sheet, graded against ``key``) the file of that name in
    the participants' folder of the key's module, in a pack near the folder given: in
    it, below it (``pack/en/participants/m5_evacuation/``), or from the module's
    facilitator folder (``../../participants/m5_evacuation/``)."""
    if not isinstance(key, dict):
        return did_you_mean(path)
    hint = did_you_mean(path, accept=lambda p: os.path.isfile(p) and not _is_key(p))
    module, lang = key.get("module"), key.get("lang")
    if hint or not isinstance(module, str) or not isinstance(lang, str) or not module.strip():
        return hint
    folder = glob.escape(os.path.dirname(os.fspath(path)))
    module, lang = glob.escape(module), glob.escape(lang)
    places = ([], ["participants"], [lang, "participants"], ["*", lang, "participants"])
    places += ([os.pardir, os.pardir, "participants"],)
    name = glob.escape(path.name)
    found = {s for parts in places for s in glob.glob(os.path.join(folder, *parts, module, name))}
    found = sorted(sheet for sheet in found if os.path.isfile(sheet))
    return f" (did you mean {' or '.join(found[:2])}?)" if found else ""


def _is_key(path) -> bool:
    """An answer key (its ``kind:`` line), not a sheet."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    return KEY_KIND.encode() in head


def read_key(path) -> dict:
    """An answer key, every field the grading reads checked (one line naming the field).

    A file that holds no answer key's ``kind`` line (the guide, notes, an answer sheet)
    and cannot be read as YAML, or as a mapping, is said to be no answer key
    (:data:`~training_modules.key.NOT_A_KEY`), never given the advice meant for a
    participant's answers (quotes around a text answer); a key that fails to read keeps
    its own error (the line of a YAML syntax error), as does a workbook given as the key.
    """
    try:
        data = load_answer_file(path, what="key")
    except (ConfigError, InputFileError):
        if _no_key_text(path):
            raise ConfigError(f"{path}: {NOT_A_KEY}") from None
        raise
    return check_key(data, path)


def _no_key_text(path) -> bool:
    """Whether ``path`` is a readable text file without an answer key's ``kind`` line
    (not a workbook, or a file named as one: those have their own message)."""
    try:
        raw = Path(path).read_bytes()
    except OSError:
        return False
    if is_office_document(raw) or Path(path).suffix.lower() in _OFFICE_SUFFIXES:
        return False
    return _kind_in(raw) != "an answer key"


def read_sheet(path, key: dict | None = None) -> dict:
    """An answer sheet; an answer key is read as the sheet of its own answers (the
    pack's check that a key grades itself 100 %; ``mecc training check`` refuses a key
    given as a sheet: :func:`participant_sheet`).

    ``key``, the key it will be graded against, gives the language of the messages and
    of the encoding fallback (see :func:`load_answer_file`).
    """
    return sheet_of(load_answer_file(path, key), path, key)


def participant_sheet(data: dict, path, key: dict) -> dict:
    """The participant's sheet in ``data`` (as read from ``path``), its fields checked
    (:func:`sheet_of`); an answer key is refused (:class:`~mecc.errors.ConfigError`, one
    line in the language of ``key``, the key it would be graded against): it is no
    participant's, and graded as one it would score 100 %. A key edited by hand that
    cannot grade is named by its field first (:func:`~training_modules.key.check_key`)."""
    if data.get("kind") == KEY_KIND:
        check_key(data, path)
        module = (key or {}).get("module") or data.get("module") or "<module>"
        raise ConfigError(f"{path}: {say(key, 'key_as_sheet', module=module)}")
    return sheet_of(data, path, key)


def sheet_of(data: dict, path, key: dict | None = None) -> dict:
    """The sheet in ``data`` (as read from ``path``), its fields checked; what is wrong is
    said in the language of ``key``, the key it will be graded against."""
    if data.get("kind") == KEY_KIND:
        check_key(data, path)
        quiz = {q: e.get("answer") for q, e in (data.get("quiz") or {}).items()}
        return {
            "module": data.get("module"),
            "variant": data.get("variant"),
            "participant": "answer key",
            "answers": {q: e.get("answer") for q, e in (data.get("questions") or {}).items()},
            "quiz_pre": quiz,
            "quiz_post": dict(quiz),
        }
    if data.get("kind") != SHEET_KIND:
        raise ConfigError(f"{path}.kind: {say(key, 'not_sheet', sheet_kind=SHEET_KIND)}")
    answers = data.get("answers")
    if answers is not None and not isinstance(answers, dict):
        raise ConfigError(f"{path}.answers: {say(key, 'answers_not_mapping')}")
    for name in ("quiz_pre", "quiz_post"):
        if data.get(name) is not None and not isinstance(data[name], dict):
            raise ConfigError(f"{path}.{name}: {say(key, 'quiz_not_mapping')}")
    if data.get("variant") is not None:
        sheet_variant(data["variant"], f"{path}.variant", key)
    if data.get("lang") is not None:
        sheet_lang(data["lang"], f"{path}.lang", key)
    return data


def sheet_lang(value, where: str, key: dict | None = None) -> str:
    """A sheet's language (``lang:``, as the pack writes it: ``fr``, ``pt-BR``) folded
    for comparison (lower case, ``-``), or a :class:`~mecc.errors.ConfigError` naming
    ``where`` in the key's language (``lang: no`` read by YAML as false, a number)."""
    if not isinstance(value, str) or not _LANG_TAG.fullmatch(value.strip()):
        raise ConfigError(f"{where}: {say(key, 'bad_lang', value=repr(value))}")
    return value.strip().replace("_", "-").lower()


_LANG_TAG = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*")


def sheet_variant(value, where: str, key: dict | None = None) -> int:
    """A sheet's group variant as an int (:func:`~training_modules.key.variant_number`),
    or a :class:`~mecc.errors.ConfigError` naming ``where`` in the key's language."""
    try:
        return variant_number(value, where)
    except ConfigError:
        raise ConfigError(f"{where}: {say(key, 'bad_variant', value=repr(value))}") from None


# --------------------------------------------------- what an answer file is


_ANSWER_KINDS = re.compile(rf"\bkind\s*:\s*['\"]?({KEY_KIND}|{SHEET_KIND})\b")


def answer_file_kind(path: Path) -> str | None:
    """What the file is when it is an answer key or an answer sheet (known by its
    ``kind``, whatever its name: ``bob.yaml.txt`` saved by Notepad too, in any encoding
    the grading reads), else None."""
    try:
        with open(path, "rb") as file:
            head = file.read(1 << 20)
    except OSError:
        return None  # missing, or a folder
    return _kind_in(head)


def _kind_in(head: bytes) -> str | None:
    """ "an answer key" or "an answer sheet" when the bytes ``head`` hold such a file's
    ``kind`` line (in any encoding the grading reads), else None."""
    if is_office_document(head):
        return None
    text = _decode(head[: 1 << 20], "en")  # the kind line is ASCII: any fallback finds it
    if text is None:
        utf16 = head[:2] in (b"\xff\xfe", b"\xfe\xff")
        text = head[: 1 << 20].decode("utf-16" if utf16 else "utf-8", errors="replace")
    match = _ANSWER_KINDS.search(text)
    if match is None:
        return None
    return "an answer key" if match.group(1) == KEY_KIND else "an answer sheet"
