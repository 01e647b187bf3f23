"""Spreadsheets (xlsx) with the same bytes on every rerun.

The workbook's document properties carry a fixed date (the ZIP epoch, 1980-01-01) and
its ZIP members are written in a fixed order with that date, so two runs with the same
inputs give identical files (sendai.xlsx, futures.xlsx). Files are written atomically.
"""

from __future__ import annotations

import datetime
import io
import os
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["FIXED_TIME", "write_bytes_atomically", "write_workbook"]

FIXED_TIME = datetime.datetime(1980, 1, 1)
"""The date written into a workbook (no clock time: reruns give the same bytes)."""


def write_workbook(path, title: str, sheets) -> None:
    """Write an xlsx file of one sheet per table.

    Parameters
    ----------
    path : path-like
        The file to write (replaced atomically).
    title : str
        The document title (workbook properties).
    sheets : iterable of (str, pandas.DataFrame, dict or None)
        Sheet name, its table (header row in bold, frozen) and column widths by column
        name (others fit the header, 10-40 characters).
    """
    from openpyxl import Workbook
    from openpyxl.writer.excel import ExcelWriter

    import mecc

    workbook = Workbook(write_only=True)
    props = workbook.properties
    props.creator = f"mecc {mecc.__version__}"
    props.title = title
    props.created = props.modified = FIXED_TIME
    for name, frame, widths in sheets:
        _sheet(workbook, name, frame, widths)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).write_data()  # not save_workbook: it stamps the time
    write_bytes_atomically(path, _fixed_zip(buffer.getvalue()))


def write_bytes_atomically(path, data: bytes) -> None:
    """Write ``data`` next to ``path`` and rename it into place."""
    partial = Path(f"{path}.partial")
    partial.write_bytes(data)
    os.replace(partial, path)


def _cell(value):
    """A spreadsheet cell: None for missing values, plain Python numbers."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float | np.floating):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def _sheet(workbook, title: str, frame: pd.DataFrame, widths: dict | None) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet = workbook.create_sheet(title)
    bold = Font(bold=True)
    for k, column in enumerate(frame.columns, start=1):
        width = (widths or {}).get(column, min(max(len(str(column)) + 2, 10), 40))
        sheet.column_dimensions[get_column_letter(k)].width = width
    sheet.freeze_panes = "A2"
    header = []
    for column in frame.columns:
        cell = WriteOnlyCell(sheet, value=str(column))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in frame.itertuples(index=False, name=None):
        sheet.append([_cell(v) for v in row])


def _fixed_zip(data: bytes) -> bytes:
    """The same ZIP members with a fixed date and permissions (reproducible bytes)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()
