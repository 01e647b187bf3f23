"""Spreadsheets of humanitarian data: CSV or Excel with an optional HXL hashtag row.

The Humanitarian Exchange Language (HXL) puts a row of hashtags (``#adm2+code``,
``#affected+ind``, ...) under the header. :func:`read_tagged_table` reads such a file as
text and returns the table without that row and the hashtag of each column.
"""

from __future__ import annotations

import os
import zipfile

import pandas as pd

from mecc.errors import InputFileError, did_you_mean, error_reason, plain_numbers, read_input_table

__all__ = ["is_hxl_row", "read_tagged_table"]


def is_hxl_row(values) -> bool:
    """True when at least half of the row's non-empty cells are hashtags."""
    cells = [str(v).strip() for v in values if str(v).strip()]
    return bool(cells) and sum(c.startswith("#") for c in cells) >= max(1, len(cells) // 2)


def read_tagged_table(
    path, what: str, label: str | None = None
) -> tuple[pd.DataFrame, dict | None]:
    """Read a CSV (UTF-8, BOM allowed) or Excel file as text.

    Returns the table (header names stripped; the HXL row removed) and ``{column:
    hashtag}`` when the first row under the header is an HXL row, else None. ``what``
    says what the file is in errors (e.g. "DTM site list"); ``label`` names where its
    path comes from (e.g. ``"run.yaml.mobility.sites (sites.csv)"``), as for every
    other table; without it errors name the path.
    """
    path = os.fspath(path)
    where = label or path
    if not path.lower().endswith((".xlsx", ".xls")):
        raw = read_input_table(path, what, label, dtype=str, keep_default_na=False)
    elif not os.path.isfile(path):
        found = "" if label is None or label == path else f" ({path})"
        raise InputFileError(f"{where}: {what} not found{found}{did_you_mean(path, label)}")
    else:
        try:
            raw = pd.read_excel(path, dtype=str, engine="openpyxl").fillna("")
        except (OSError, ValueError, zipfile.BadZipFile) as error:  # not a workbook
            raise InputFileError(
                f"{where}: cannot read the {what} ({error_reason(error)})"
            ) from None
        raw.columns = [str(c).strip() for c in raw.columns]
        raw = plain_numbers(raw)  # numbers typed as text: "1,234"
    tags = None
    if len(raw) and is_hxl_row(raw.iloc[0]):
        tags = {c: str(t).strip() for c, t in zip(raw.columns, raw.iloc[0], strict=True)}
        raw = raw.iloc[1:].reset_index(drop=True)
    return raw, tags
