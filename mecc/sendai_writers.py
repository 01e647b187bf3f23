"""Writers of the Sendai tables: sendai.xlsx, sendai.csv and sendai_hxl.csv.

Every file is byte-identical when written again from the same run (the workbook by
``mecc.workbook``). CSVs are UTF-8 with a byte-order mark.

- ``sendai.csv``: the long table (``mecc.sendai_text.COLUMNS``);
- ``sendai_hxl.csv``: the same with a row of HXL hashtags under the header
  (Humanitarian Exchange Language, core hashtags only; numbers carry ``+num``);
- ``sendai.xlsx``: sheets About, National, Admin <level>, By return period or event,
  Disaggregated (when the run has groups), Indicator definitions, Columns.

``mecc run`` and ``mecc report sendai`` build and write the rows a chunk at a time
(:func:`mecc.sendai.sendai_stream`): memory is bounded by the chunk, not by the
country (40,000 units gave 2.6 million rows: 10 GB held at once). The sheets' rows wait
in a spool file next to the workbook (``.sendai.xlsx.rows.partial-<pid>-<hex>``, about
the size of the CSV, removed once the workbook is written).
"""

from __future__ import annotations

import pickle
from functools import partial
from pathlib import Path
from types import SimpleNamespace

import pandas as pd

from mecc.errors import ConfigError
from mecc.outputs import OutputFolder, csv_text, staged_file, write_results_group
from mecc.sendai import definitions_table
from mecc.sendai_text import COLUMNS
from mecc.workbook import ChunkedTable, write_workbook

__all__ = ["HXL_TAGS", "SHEET_ORDER", "write_run_sendai", "write_sendai", "write_sendai_report"]

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
    "band": "#event+code",
    "event_name": "#event+name",
    "member": "#event+member",
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
    """Write sendai.csv, sendai_hxl.csv and sendai.xlsx into ``out_dir`` (existing).

    ``tables``: a :class:`mecc.sendai.SendaiTables` (in memory), or a
    :class:`mecc.sendai.SendaiStream`, whose rows are built and written a chunk at a
    time (the same bytes; memory bounded by the chunk, not by the country).
    """
    from mecc.sendai import SendaiStream

    out_dir = Path(out_dir)
    paths = [out_dir / "sendai.csv", out_dir / "sendai_hxl.csv", out_dir / "sendai.xlsx"]
    if isinstance(tables, SendaiStream):
        _write_stream(tables, paths)
        return paths
    _write_csv_and_hxl(tables.long, paths[0], paths[1])
    _write_workbook(tables, paths[2])
    return paths


def write_run_sendai(staging, inputs) -> list[Path]:
    """At the end of ``mecc run``: add the ``sendai`` group to results.nc, then write the
    tables from it (the same way ``mecc report sendai`` does).

    ``inputs`` is ``(config, hazards, hazard_tabs, result, zones, exposure, group_sets,
    protections)``.
    """
    from mecc.sendai import sendai_stream
    from mecc.sendai_store import sendai_dataset

    config, hazards, tabs, result, zones, exposure, group_sets, protections = inputs
    store = sendai_dataset(
        config, hazards, tabs, result, zones, exposure, group_sets, protections, result.population
    )
    write_results_group(store, Path(staging) / "results.nc", "sendai")
    del store
    return write_sendai(sendai_stream(staging), staging)


def write_sendai_report(run_dir, out_dir, *, overwrite: bool = False) -> Path:
    """``mecc report sendai``: the Sendai tables of a finished run, into ``out_dir``.

    The run folder is only read; ``out_dir`` must lie outside it and is written
    atomically (nothing half-written on an error).
    """
    from mecc.sendai import sendai_stream

    run_dir, out_dir = Path(run_dir), Path(out_dir)
    run, out = run_dir.resolve(), out_dir.resolve()
    if out == run or run in out.parents:
        raise ConfigError(f"--out {out_dir}: choose a folder outside the run folder {run_dir}")
    tables = sendai_stream(run_dir)  # results.nc read (and refused) before any folder
    folder = OutputFolder(out_dir, overwrite=overwrite, command="report sendai")
    with folder as staging:
        write_sendai(tables, staging)
    return folder.commit()


def _write_csv_and_hxl(frame: pd.DataFrame, csv_path, hxl_path) -> None:
    """The long table as CSV, and again with the HXL hashtag row under the header (both
    UTF-8 with BOM, as ``mecc.outputs.write_csv`` writes); the text is made once and
    written a slice at a time (no encoded copies of a country-sized table)."""
    text = csv_text(frame)
    body = text.index("\n") + 1
    tags = ",".join(HXL_TAGS[column] for column in frame.columns) + "\n"
    _write_text_atomically(csv_path, [(text, 0)])
    _write_text_atomically(hxl_path, [(text[:body], 0), (tags, 0), (text, body)])


def _write_stream(stream, paths) -> None:
    """sendai.csv, sendai_hxl.csv and sendai.xlsx of a :class:`mecc.sendai.SendaiStream`:
    each chunk of rows is written to both CSVs and its rows of each sheet are pickled to
    a spool file next to them (``.sendai.xlsx.rows.partial-<pid>-<hex>``, removed at the
    end), from which the workbook is then written a chunk at a time (its sheets are
    filters of the long table, each in the table's order). Each file is written through
    :func:`mecc.outputs.staged_file`: whole or not at all."""
    from mecc.sendai import OUTSIDE, long_frame, sheet_parts

    csv_path, hxl_path, xlsx_path = paths
    columns, codes, pieces = list(COLUMNS), set(), {}
    with staged_file(f"{xlsx_path}.rows", replace=False) as spool_path:
        with (
            staged_file(csv_path) as csv_staging,
            staged_file(hxl_path) as hxl_staging,
            open(csv_staging, "w", encoding="utf-8-sig", newline="") as csv_stream,
            open(hxl_staging, "w", encoding="utf-8-sig", newline="") as hxl_stream,
            open(spool_path, "wb") as spool,
        ):
            head = None
            for frame in stream.frames():
                text = csv_text(frame)
                body = text.index("\n") + 1
                if head is None:
                    head = text[:body]
                    _write_head(csv_stream, hxl_stream, head, frame.columns)
                _write_slices([csv_stream, hxl_stream], text, body)
                del text
                codes.update(frame["indicator_code"])
                for name, rows in sheet_parts(frame, stream.levels).items():
                    if len(rows):
                        pieces.setdefault(name, []).append(_spooled(spool, spool_path, rows))
            if head is None:  # no rows: the header alone
                empty = long_frame([])
                _write_head(csv_stream, hxl_stream, csv_text(empty), empty.columns)
        outside = pieces.pop(OUTSIDE, [])
        sheets = {"National": ChunkedTable(columns, pieces.get("National", []))}
        for level in stream.levels:
            admin = pieces.get(f"Admin {level}", []) + outside
            sheets[f"Admin {level}"] = ChunkedTable(columns, admin)
        sheets["By return period or event"] = ChunkedTable(
            columns, pieces.get("By return period or event", [])
        )
        if pieces.get("Disaggregated"):
            sheets["Disaggregated"] = ChunkedTable(columns, pieces["Disaggregated"])
        tables = SimpleNamespace(
            about=stream.about,
            sheets=sheets,
            definitions=definitions_table(stream.country, codes),
            country=stream.country,
        )
        _write_workbook(tables, xlsx_path)


def _write_head(csv_stream, hxl_stream, head: str, columns) -> None:
    """The header of both CSVs (and the HXL hashtag row under the header of the second)."""
    csv_stream.write(head)
    hxl_stream.write(head + ",".join(HXL_TAGS[column] for column in columns) + "\n")


def _write_slices(streams, text: str, start: int, slice_chars: int = 1 << 20) -> None:
    """``text`` from ``start`` on into every stream, a slice at a time."""
    for k in range(start, len(text), slice_chars):
        piece = text[k : k + slice_chars]
        for stream in streams:
            stream.write(piece)


def _spooled(spool, path: Path, frame: pd.DataFrame) -> tuple:
    """Pickle ``frame`` to the end of ``spool`` (open at ``path``); returns ``(rows, load)``
    for a :class:`mecc.workbook.ChunkedTable` (``load`` reads it back once the spool is
    closed)."""
    offset = spool.tell()
    pickle.dump(frame, spool, protocol=pickle.HIGHEST_PROTOCOL)
    return len(frame), partial(_unspooled, path, offset)


def _unspooled(path: Path, offset: int) -> pd.DataFrame:
    with open(path, "rb") as stream:
        stream.seek(offset)
        return pickle.load(stream)  # noqa: S301 (this process's own spool file)


def _write_text_atomically(path, pieces, slice_chars: int = 1 << 20) -> None:
    """Write ``(text, start)`` pieces (each from ``start`` on) as UTF-8 with BOM next to
    ``path`` and rename the file into place."""
    with (
        staged_file(path) as staging,
        open(staging, "w", encoding="utf-8-sig", newline="") as stream,
    ):
        for text, start in pieces:
            for k in range(start, len(text), slice_chars):
                stream.write(text[k : k + slice_chars])


def _write_workbook(tables, path) -> None:
    about = pd.DataFrame(tables.about, columns=["topic", "text"])
    columns = pd.DataFrame(list(COLUMNS.items()), columns=["column", "meaning"])
    write_workbook(
        path,
        f"Sendai Framework reporting tables ({tables.country}), modelled estimates",
        [
            ("About", about, {"topic": 34, "text": 120}),
            *((name, frame, None) for name, frame in tables.sheets.items()),
            ("Indicator definitions", tables.definitions, {"definition": 80}),
            ("Columns", columns, {"column": 26, "meaning": 100}),
        ],
    )
