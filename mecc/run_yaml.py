"""The YAML of run files, read as people write it, and values shown as they wrote them.

:class:`RunFileLoader` is YAML 1.1's safe loader with the surprises that change a run's
numbers without a word taken out: a zero-padded number is decimal (``0010:`` is a
10-year return period, not octal 8; ``08`` is August, not text), ``1:30`` is text (not
the base-60 number 90), and keys YAML reads as true or false (``yes:``, ``ON:``) or as
lists are refused, as are duplicate keys, and a value YAML cannot make what it looks
like (an unquoted ``2026-02-30`` is no date) is refused with its line and key path.
Merge keys (``<<: *anchor``) work.

:func:`read_text` reads UTF-8 (with or without a byte-order mark) and UTF-16/32 with a
byte-order mark (Notepad's "Unicode"); other bytes are refused with the line and byte.
:func:`shown` is how messages show a value: short, no Python repr of a date or a long
structure. :func:`iso_date` reads a date a run file gives.
"""

from __future__ import annotations

import codecs
import datetime
import math
import re

import yaml

from mecc.errors import (
    ConfigError,
    InputFileError,
    MeccError,
    _first_bad_byte,
    did_you_mean,
    error_reason,
)

__all__ = ["RunFileLoader", "ZeroPadded", "iso_date", "read_text", "shown"]


class RunFileLoader(yaml.SafeLoader):
    """The safe YAML loader of run files.

    Unlike plain YAML 1.1 it reads a zero-padded whole number as decimal (``0010`` is 10,
    ``08`` is 8; YAML 1.1 reads ``0010`` as octal 8 and ``08`` as text) and keeps what was
    written as its text (``str()`` of the key ``0101:`` is ``"0101"``, a zone code), and
    reads ``1:30`` as text rather than the base-60 number 90. Mappings refuse duplicate
    keys, keys read as true or false (``yes:``, ``ON:``) and keys that are lists or
    mappings; merge keys (``<<: *anchor``) work, and keys written after them win.

    A scalar its type's constructor refuses (an impossible date such as ``2026-02-30``,
    which YAML 1.1 takes for a date, or ``!!float abc``) is a :class:`ConfigError`
    naming its line and key path, e.g. ``line 12: mobility.sites.as_of: 2026-02-30 is
    not a date (day is out of range for month)``, not a ``ValueError``.
    """

    def construct_document(self, node):
        self._key_paths = _key_paths(node)
        return super().construct_document(node)

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError) as error:
            if isinstance(error, MeccError) or not isinstance(node, yaml.ScalarNode):
                raise
            path = getattr(self, "_key_paths", {}).get(node)
            raise ConfigError(_unreadable(node, path, error)) from None


def _key_paths(root) -> dict:
    """``{node: key path}`` (``mobility.sites.as_of``, ``hazards[0].period``) of every
    node under ``root``; a key's node has ``(path of its mapping, key)``. A node reached
    twice (an alias) keeps the first."""
    paths: dict = {}
    stack = [(root, "")]
    while stack:
        node, path = stack.pop()
        if node in paths:
            continue
        paths[node] = path
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in reversed(node.value):
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
                inner = f"{path}.{key}" if path else str(key)
                stack += [(value_node, inner), (key_node, (path, key))]
        elif isinstance(node, yaml.SequenceNode):
            stack += [(item, f"{path}[{k}]") for k, item in reversed(list(enumerate(node.value)))]
    return paths


def _unreadable(node, path, error: Exception) -> str:
    """One line on a scalar YAML cannot make: its line, key path, text and the reason."""
    where = f"line {node.start_mark.line + 1}: "
    if isinstance(path, tuple):  # a key
        where += f"{path[0]}: the key " if path[0] else "the key "
    elif path:
        where += f"{path}: "
    kind = node.tag.rsplit(":", 1)[-1]
    if kind == "timestamp":
        what = "a date and time" if ":" in node.value else "a date"
        return f"{where}{node.value} is not {what} ({error_reason(error)})"
    return f"{where}{node.value} cannot be read as {kind} ({error_reason(error)})"


class ZeroPadded(int):
    """A whole number written with leading zeros (``0010``): its value, and its text as
    ``str()`` gives it (a zone code keeps its zeros)."""

    text: str

    def __new__(cls, text: str):
        number = super().__new__(cls, text.replace("_", ""), 10)
        number.text = text
        return number

    def __getnewargs__(self):
        return (self.text,)

    def __str__(self) -> str:
        return self.text

    def __format__(self, spec: str) -> str:
        return self.text if not spec else int(self).__format__(spec)


_INT_TAG = "tag:yaml.org,2002:int"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_DECIMAL = re.compile(r"^[-+]?[0-9][0-9_]*$")
RunFileLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _INT_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
RunFileLoader.add_implicit_resolver(
    _INT_TAG,
    re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0x[0-9a-fA-F_]+|[-+]?[0-9][0-9_]*)$"),
    list("-+0123456789"),
)


def _construct_int(loader, node):
    text = loader.construct_scalar(node)
    if not _DECIMAL.match(text):  # 0b..., 0x...
        return loader.construct_yaml_int(node)
    digits = text.lstrip("+-").replace("_", "")
    if len(digits) > 1 and digits.startswith("0"):
        return ZeroPadded(text)
    return int(text.replace("_", ""), 10)


def _construct_mapping(loader, node, deep=False):
    seen = {}
    for key_node, _ in node.value:
        if key_node.tag == _MERGE_TAG:
            continue
        line = key_node.start_mark.line + 1
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, bool):
            written = getattr(key_node, "value", key)
            raise ConfigError(
                f"line {line}: YAML reads the key {written} as {str(key).lower()} (unquoted "
                f"yes, no, on and off are true or false); put it in quotes: '{written}':"
            )
        if isinstance(key, list | dict | set):
            raise ConfigError(
                f"line {line}: a key must be a name or a number, not {shown(key)} (a line "
                "starting with '? ' makes such a key)"
            )
        if key in seen:
            raise ConfigError(f"key {key!r} appears twice (lines {seen[key]} and {line})")
        seen[key] = line
    return loader.construct_mapping(node, deep=deep)  # flattens merge keys first


RunFileLoader.add_constructor(_INT_TAG, _construct_int)
RunFileLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def shown(value) -> str:
    """A run-file value as a message shows it: short, and never a Python repr of a date,
    a boolean or a long structure."""
    if isinstance(value, bool):
        return str(value).lower()
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, dict):
        return f"a mapping of {len(value)} key(s)"
    if isinstance(value, list | tuple | set):
        return f"a list of {len(value)} item(s)"
    if isinstance(value, datetime.datetime):
        return f"the date and time {value.isoformat(sep=' ')}"
    if isinstance(value, datetime.date):
        return f"the date {value.isoformat()}"
    if isinstance(value, float) and not math.isfinite(value):
        return ".nan" if math.isnan(value) else ("-.inf" if value < 0 else ".inf")
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def read_text(path: str) -> str:
    """The run file's text: UTF-8 (with or without a byte-order mark), or UTF-16/32 with one."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise InputFileError(f"{path}: run file not found{did_you_mean(path)}") from None
    except OSError as error:
        raise InputFileError(f"{path}: cannot read run file ({error_reason(error)})") from None
    for bom, codec in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                raise InputFileError(
                    f"{path}: the run file starts with a {codec.upper()} byte-order mark but "
                    "is not that text; save it as UTF-8"
                ) from None
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise InputFileError(
            f"{path}: the run file holds NUL bytes (line {line}), as UTF-16 text without a "
            "byte-order mark does; save it as UTF-8"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputFileError(
            f"{path}: the run file is not UTF-8 text ({_first_bad_byte(path)}); save it as UTF-8"
        ) from None


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def iso_date(value, where: str) -> str:
    """A run file's date as ``YYYY-MM-DD``: a YAML date, or text written so.

    Raises
    ------
    ConfigError
        Any other form: ``01/02/2025`` is 1 February in most of the world and 2 January in
        the United States, so it is refused rather than guessed.
    """
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value).strip()
    if _ISO_DATE.fullmatch(text):
        try:
            return datetime.date.fromisoformat(text).isoformat()
        except ValueError as error:
            raise ConfigError(f"{where}: {shown(value)} is not a date ({error})") from None
    raise ConfigError(
        f"{where}: {shown(value)} is not a date written YYYY-MM-DD; write it so, e.g. "
        "2025-05-31 (a date such as 01/02/2025 is 1 February in some countries and 2 January "
        "in others)"
    )
