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
English like every mecc option error).
"""

from __future__ import annotations

from pathlib import Path

from mecc.errors import ConfigError

__all__ = ["GRADE_FORMATS", "check_grades_suffix", "write_grades"]

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
