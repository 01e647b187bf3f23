"""Writers of the Sendai tables: sendai.xlsx, sendai.csv and sendai_hxl.csv.

Every file is byte-identical when written again from the same run: the workbook's
document properties carry a fixed date (the ZIP epoch, 1980-01-01), and its ZIP members
are written in a fixed order with that date. CSVs are UTF-8 with a byte-order mark.

- ``sendai.csv``: the long table (``mecc.sendai_text.COLUMNS``);
- ``sendai_hxl.csv``: the same with a row of HXL hashtags under the header
  (Humanitarian Exchange Language, core hashtags only; numbers carry ``+num``);
- ``sendai.xlsx``: sheets About, National, Admin <level>, By return period or event,
  Disaggregated (when the run has groups), Indicator definitions, Columns.
"""

from __future__ import annotations

import datetime
import io
import os
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from mecc.errors import ConfigError
from mecc.outputs import OutputFolder, write_csv
from mecc.sendai_text import COLUMNS

__all__ = ["HXL_TAGS", "SHEET_ORDER", "write_run_sendai", "write_sendai", "write_sendai_report"]

FIXED_TIME = datetime.datetime(1980, 1, 1)
"""The date written into the workbook (no clock time: reruns give the same bytes)."""
SHEET_ORDER = ("About", "National", "Admin *", "By return period or event", "Disaggregated")
HXL_TAGS = {
    "country_iso3": "#country+code",
    "admin_level": "#meta+admin_level",
    "admin_code": "#loc+code",
    "admin_name": "#loc+name",
    "parent_code": "#loc+code+parent",
    "year": "#date+year",
    "hazard_id": "#crisis+code",
    "hazard_type": "#crisis+type",
    "hazard_hip_code": "#crisis+code+hip",
    "hazard_label": "#crisis+name",
    "measure": "#meta+measure",
    "band": "#event+name",
    "return_period": "#meta+return_period",
    "indicator_code": "#indicator+code",
    "indicator_name": "#indicator+name",
    "is_custom": "#indicator+custom",
    "unit": "#indicator+unit",
    "value_number": "#indicator+num",
    "per_100k": "#indicator+num+per_100k",
    "population_denominator": "#population+num+denominator",
    "denominator_source": "#meta+source+denominator",
    "denominator_year": "#date+year+denominator",
    "breakdown": "#group+breakdown",
    "group": "#group+name",
    "sex": "#group+sex",
    "age_group": "#group+age",
    "disability": "#group+disability",
    "income_group": "#group+income",
    "displacement_type": "#impact+type+displacement",
    "displacement_timing": "#impact+timing+displacement",
    "displacement_duration": "#impact+duration+displacement",
    "method": "#meta+method",
    "curve": "#meta+curve",
    "parameters": "#meta+parameters",
    "source": "#meta+source",
    "confidence": "#meta+confidence",
    "low": "#indicator+num+low",
    "high": "#indicator+num+high",
    "range_kind": "#meta+range",
    "additive": "#meta+additive",
    "sdg_series": "#indicator+code+sdg",
    "notes": "#description+notes",
}
"""The HXL hashtag of every column of the long table."""


def write_sendai(tables, out_dir) -> list[Path]:
    """Write sendai.csv, sendai_hxl.csv and sendai.xlsx into ``out_dir`` (existing)."""
    out_dir = Path(out_dir)
    paths = [out_dir / "sendai.csv", out_dir / "sendai_hxl.csv", out_dir / "sendai.xlsx"]
    write_csv(tables.long, paths[0])
    _write_hxl(tables.long, paths[1])
    _write_workbook(tables, paths[2])
    return paths


def write_run_sendai(staging, inputs) -> list[Path]:
    """At the end of ``mecc run``: add the ``sendai`` group to results.nc, then write the
    tables from it (the same way ``mecc report sendai`` does).

    ``inputs`` is ``(config, hazards, hazard_tabs, result, zones, exposure, group_sets,
    protections)``.
    """
    from mecc.sendai import sendai_tables
    from mecc.sendai_store import sendai_dataset

    config, hazards, tabs, result, zones, exposure, group_sets, protections = inputs
    store = sendai_dataset(
        config, hazards, tabs, result, zones, exposure, group_sets, protections, result.population
    )
    compressed = {"zlib": True, "complevel": 4}
    store.to_netcdf(
        Path(staging) / "results.nc",
        mode="a",
        group="sendai",
        engine="netcdf4",
        encoding=dict.fromkeys(store.data_vars, compressed),
    )
    return write_sendai(sendai_tables(staging), staging)


def write_sendai_report(run_dir, out_dir, *, overwrite: bool = False) -> Path:
    """``mecc report sendai``: the Sendai tables of a finished run, into ``out_dir``.

    The run folder is only read; ``out_dir`` must lie outside it and is written
    atomically (nothing half-written on an error).
    """
    from mecc.sendai import sendai_tables

    run_dir, out_dir = Path(run_dir), Path(out_dir)
    run, out = run_dir.resolve(), out_dir.resolve()
    if out == run or run in out.parents:
        raise ConfigError(f"--out {out_dir}: choose a folder outside the run folder {run_dir}")
    tables = sendai_tables(run_dir)
    folder = OutputFolder(out_dir, overwrite=overwrite)
    with folder as staging:
        write_sendai(tables, staging)
    return folder.commit()


def _write_hxl(frame: pd.DataFrame, path) -> None:
    """The long table with the HXL hashtag row under the header (UTF-8 with BOM)."""
    text = frame.to_csv(index=False, lineterminator="\n")
    header, _, body = text.partition("\n")
    tags = ",".join(HXL_TAGS[column] for column in frame.columns)
    _atomic_bytes(path, (header + "\n" + tags + "\n" + body).encode("utf-8-sig"))


def _atomic_bytes(path, data: bytes) -> None:
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


def _sheet(workbook, title: str, frame: pd.DataFrame, widths: dict | None = None) -> None:
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


def _write_workbook(tables, path) -> None:
    from openpyxl import Workbook
    from openpyxl.writer.excel import ExcelWriter

    import mecc

    workbook = Workbook(write_only=True)
    props = workbook.properties
    props.creator = f"mecc {mecc.__version__}"
    props.title = f"Sendai Framework reporting tables ({tables.country}), modelled estimates"
    props.created = props.modified = FIXED_TIME
    about = pd.DataFrame(tables.about, columns=["topic", "text"])
    _sheet(workbook, "About", about, {"topic": 34, "text": 120})
    for name, frame in tables.sheets.items():
        _sheet(workbook, name, frame)
    _sheet(workbook, "Indicator definitions", tables.definitions, {"definition": 80})
    columns = pd.DataFrame(list(COLUMNS.items()), columns=["column", "meaning"])
    _sheet(workbook, "Columns", columns, {"column": 26, "meaning": 100})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).write_data()  # not save_workbook: it stamps the time
    _atomic_bytes(path, _fixed_zip(buffer.getvalue()))


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
