"""The files of a ``mecc training check --class`` folder: the answer sheets, the files
that are not, and the sheets of one participant.

- an answer sheet is a ``*.yaml`` / ``*.yml`` file, or any other file whose text says it
  is one (``kind: mecc_training_answers``): a sheet Notepad saved as ``bob.yaml.txt``
  or ``bob.txt`` is graded like ``bob.yaml``;
- every other file is not graded, and a warning line (in the key's language) names each
  with why: an answer key (its ``kind``, whatever its name: no participant's sheet, as
  when it is given alone), a workbook (``.xlsx``: the answer sheets are the pack's text
  file ``answer_sheet.yaml``), a file named as a workbook that is none ("not an Excel
  workbook (damaged or not saved as .xlsx)", as when it is graded alone), or a file
  that is not an answer sheet. A folder with no sheet is refused in one line naming
  its answer keys (:func:`no_sheets_found`). A file manager's own
  files (``.DS_Store``, ``Thumbs.db``, ``desktop.ini``), an office suite's lock files
  (``~$grades.xlsx``), hidden files and the ``--out`` file itself are left out silently;
- two sheets are of one participant when their file names differ only in case or in
  their suffix (``bob.yaml``, ``Bob.yml``, ``bob.yaml.txt``), or when they name the
  same participant (``participant: Ana`` in both, case, accents and spaces folded).
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

from mecc.errors import MeccWarning
from mecc.output_guard import IGNORED_FILES, OFFICE_LOCKS
from training_modules.answer_sheets import SHEET_KIND, answer_file_kind, office_reason, say
from training_modules.rubric import fold

__all__ = [
    "class_files",
    "no_sheets_found",
    "same_file_name",
    "same_participant_name",
    "sheet_stem",
    "warn_not_graded",
]

_KEY = "an answer key"
"""What :func:`~training_modules.answer_sheets.answer_file_kind` says of an answer key."""

SHEET_SUFFIXES = (".yaml", ".yml")
"""Suffixes of the files taken as answer sheets whatever their text."""

_SAVED_AS = re.compile(r"(?:\.(?:ya?ml|txt))+$", re.IGNORECASE)
"""The suffixes a sheet's name may carry (``bob.yaml.txt`` is Bob's sheet)."""


def sheet_stem(name: str) -> str:
    """A sheet's file name without its suffixes: ``bob.yaml.txt`` -> ``bob``."""
    return _SAVED_AS.sub("", name) or name


def class_files(folder: Path, out_path=None) -> tuple[list, list]:
    """``(sheets, others)``: the answer sheets of a class folder and its other files
    (answer keys among them: no participant's), each sorted by name.

    Parameters
    ----------
    folder : Path
        The ``--class`` folder.
    out_path : path, optional
        The ``--out`` file, left out of the other files (a table of grades written
        there earlier); a sheet given as ``--out`` stays a sheet (and is refused).
    """
    out = Path(out_path).resolve() if out_path is not None else None
    sheets, others = [], []
    for path in sorted(folder.iterdir()):
        name = path.name
        if name.startswith(".") or name in IGNORED_FILES or OFFICE_LOCKS.fullmatch(name):
            continue
        if not path.is_file():
            continue
        kind = answer_file_kind(path)
        if kind != _KEY and (path.suffix.lower() in SHEET_SUFFIXES or kind):
            sheets.append(path)  # as --out too: refused, never replaced
        elif out is None or path.resolve() != out:
            others.append(path)
    return sheets, others


def warn_not_graded(others: list, key: dict) -> None:
    """One warning line per file of the folder that is not graded, with why, in the key's
    language (:class:`~mecc.errors.MeccWarning`: ``mecc`` prints it after the table)."""
    for path in others:
        try:
            with open(path, "rb") as handle:
                head = handle.read(8)
        except OSError:
            head = b""
        reason = office_reason(path, head, key)
        if reason is None and answer_file_kind(path) == _KEY:  # a key: no participant's
            reason = say(key, "key_as_sheet", module=key.get("module") or "<module>")
        reason = reason or say(key, "not_sheet", sheet_kind=SHEET_KIND)
        message = say(key, "class_not_graded", file=Path(path).name, reason=reason)
        warnings.warn(message, MeccWarning, stacklevel=3)


def no_sheets_found(folder: Path, others: list) -> str:
    """The line refusing a class folder without answer sheets: how many other files it
    holds, and the answer keys among them by name (an option error: in English)."""
    found = f"{len(others)} other file(s) there" if others else ""
    keys = [Path(p).name for p in others if answer_file_kind(p) == _KEY]
    if keys:
        what = "an answer key, not a participant's sheet"
        what = what if len(keys) == 1 else "answer keys, not participants' sheets"
        found += f"; {what}: {', '.join(keys[:10])}"
        found += f" and {len(keys) - 10} more" if len(keys) > 10 else ""
    found = f" ({found})" if found else ""
    return f"{folder}: no answer sheets (answer_sheet.yaml) found{found}"


def same_file_name(paths: list) -> tuple[str, str] | None:
    """The first two sheets whose file names differ only in case or in their suffixes
    (``bob.yaml``, ``Bob.yml``, ``bob.yaml.txt``: one row each would count the
    participant twice), or None."""
    seen: dict = {}
    for path in paths:
        stem = sheet_stem(Path(path).name).casefold()
        if stem in seen:
            return Path(seen[stem]).name, Path(path).name
        seen[stem] = path
    return None


def same_participant_name(grades: list) -> tuple[str, str, str] | None:
    """``(first file, second file, name)`` of the first two grades naming the same
    participant (case, accents and spaces folded), or None."""
    seen: dict = {}
    for grade in grades:
        name = " ".join(fold(grade.participant).split())
        if not name:
            continue
        if name in seen:
            return seen[name].file, grade.file, str(grade.participant)
        seen[name] = grade
    return None
