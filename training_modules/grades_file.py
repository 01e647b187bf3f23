"""The ``--out`` file of ``mecc training check``: the table of grades as CSV or workbook.

The name's extension says the format, as a trainer types it:

- ``.csv``: UTF-8 with a byte-order mark (Excel opens it with its accents), the column
  ids as headers (``participant, file, score, …, quiz_post_percent``), numbers as a
  program reads them (``2.5``) and empty cells blank;
- ``.xlsx``: an Excel workbook of one sheet, ``grades``, with the same columns and
  cells as the CSV: numbers as numbers (Excel shows them in its own language's format),
  texts as texts, empty cells blank; header row in bold and frozen.

Any other extension (``.xls``, ``.ods``, ``.txt``, none) is refused before anything is
graded or written: one line naming the file and the formats written (bad usage, in
English like every mecc option error); so is an ``--out`` that is an input of the
grading, any answer key or answer sheet, a folder, or a file that exists without
``--overwrite`` (:func:`check_out_path`).
"""

from __future__ import annotations

from pathlib import Path

from mecc.errors import ConfigError, OutputExistsError
from training_modules.answer_sheets import answer_file_kind

__all__ = ["GRADE_FORMATS", "check_grades_suffix", "check_out_path", "write_grades"]

GRADE_FORMATS = (".csv", ".xlsx")
"""The extensions of the ``--out`` files written (case does not matter)."""

SHEET_NAME = "grades"
"""The name of the workbook's one sheet."""


def check_grades_suffix(out_path) -> None:
    """Refuse an ``--out`` whose extension is no format written (:data:`GRADE_FORMATS`):
    a :class:`~mecc.errors.ConfigError` naming the file, its extension and the formats."""
    path = Path(out_path)
    suffix = path.suffix.lower()
    if suffix in GRADE_FORMATS:
        return
    given = f"not as {path.suffix}" if path.suffix else "and this name has no extension"
    stem = path.stem or "grades"
    raise ConfigError(
        f"--out {path}: the grades are written as CSV (.csv) or as an Excel workbook "
        f"(.xlsx), {given}; give a name such as {stem}.csv or {stem}.xlsx"
    )


def check_out_path(out_path: Path, inputs: list, overwrite: bool) -> None:
    """Refuse an ``--out`` that is an input of this grading (``(role, path)`` pairs), an
    answer key or an answer sheet (of any grading), a folder, a name whose extension is
    no format written (:func:`check_grades_suffix`: only ``.csv`` and ``.xlsx``), or a
    file that exists without ``overwrite``: bad usage, one line in English like the
    toolkit's other option errors."""
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
    kind = answer_file_kind(out_path)
    if kind:
        raise ConfigError(
            f"--out {out_path}: is {kind}; write the grades to another file "
            "(--overwrite never replaces an answer key or an answer sheet)"
        )
    if out_path.is_dir():
        raise OutputExistsError(
            f"--out {out_path}: is a folder; give a file name such as grades.csv"
        )
    check_grades_suffix(out_path)  # .csv or .xlsx: never CSV text in a .xlsx
    if out_path.exists() and not overwrite:
        raise OutputExistsError(f"--out {out_path}: file exists; use --overwrite to replace it")


def write_grades(table, out_path) -> None:
    """Write the class table (``table``, :func:`training_modules.grading.class_table`'s)
    to ``out_path`` whole or not at all, in the format of its extension.

    Parameters
    ----------
    table : pandas.DataFrame
        The table of grades, its columns the ids (not the headers printed).
    out_path : path
        ``*.csv`` or ``*.xlsx`` (:func:`check_grades_suffix` has accepted it); its folder
        exists.
    """
    out_path = Path(out_path)
    if out_path.suffix.lower() == ".xlsx":
        from mecc.workbook import write_workbook

        title = "Grades - mecc training check"
        write_workbook(out_path, title, [(SHEET_NAME, table, None)])
        return
    from mecc.outputs import staged_file, write_csv

    with staged_file(out_path) as partial:  # whole or not at all, never a shared name
        write_csv(table, partial)
