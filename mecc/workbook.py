"""Spreadsheets (xlsx) with the same bytes on every rerun, written fast.

An xlsx file is a ZIP of XML parts (Office Open XML, ECMA-376 Part 1, SpreadsheetML). This
module writes the few parts a table needs directly: one worksheet per table with the
header row in bold and frozen, column widths, numbers as numbers, text as inline strings
(no shared-string table), and the document title and creator. Writing the XML a column
at a time is about ten times faster than building a cell object per value (openpyxl), which
matters for the Sendai workbook of a country with hundreds of units (hundreds of
thousands of cells). Files are read back by openpyxl, pandas and spreadsheet programs
(tests read every workbook back).

Reproducible: the document date is fixed (the ZIP epoch, 1980-01-01) and so are the ZIP
members' dates, order and permissions, so two runs with the same inputs give identical
files (sendai.xlsx, futures.xlsx). Files are written atomically.
"""

from __future__ import annotations

import datetime
import re
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

from mecc.errors import DataError
from mecc.outputs import staged_file

__all__ = ["FIXED_TIME", "ChunkedTable", "continued", "write_workbook"]

FIXED_TIME = datetime.datetime(1980, 1, 1)
"""The date written into a workbook (no clock time: reruns give the same bytes)."""
MAX_ROWS, MAX_COLUMNS = 1_048_576, 16_384
"""The size of a worksheet (ECMA-376; Excel refuses larger sheets)."""

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
"""Characters XML 1.0 cannot hold (control characters other than tab and line ends)."""


def write_workbook(path, title: str, sheets) -> None:
    """Write an xlsx file of one sheet per table.

    Parameters
    ----------
    path : path-like
        The file to write (replaced atomically).
    title : str
        The document title (document properties).
    sheets : iterable of (str, pandas.DataFrame or ChunkedTable, dict or None)
        Sheet name (at most 31 characters), its table (header row in bold, frozen) and
        column widths by column name (others fit the header, 10-40 characters). Missing
        values, empty texts and non-finite numbers are written as no cell (blank). A
        :class:`ChunkedTable` is read a chunk at a time (the same cells as its frames
        joined).
    """
    sheets = list(sheets)
    names = [name for name, _, _ in sheets]
    if len(set(names)) != len(names) or any(not 0 < len(n) <= 31 for n in names):
        raise ValueError(f"sheet names must be unique and 1-31 characters: {names}")
    for name, frame, _ in sheets:
        if len(frame.columns) > MAX_COLUMNS:
            raise DataError(
                f"{Path(path).name}: sheet {name!r} has {len(frame.columns)} columns; a "
                f"spreadsheet holds at most {MAX_COLUMNS} (the CSV has them all)"
            )
    sheets = continued(sheets)
    names = [name for name, _, _ in sheets]
    parts = {
        "[Content_Types].xml": _content_types(len(sheets)),
        "_rels/.rels": _package_relationships(),
        "docProps/app.xml": _APP_PROPERTIES,
        "docProps/core.xml": _core_properties(title),
        "xl/workbook.xml": _workbook(names),
        "xl/_rels/workbook.xml.rels": _workbook_relationships(len(sheets)),
        "xl/styles.xml": _STYLES,
    }
    with staged_file(path) as staging:
        try:
            _write_parts(staging, parts, sheets, force_zip64=False)
        except RuntimeError as error:  # a sheet's XML passed 2 GiB: ZIP64 members
            if "force_zip64" not in str(error):
                raise
            _write_parts(staging, parts, sheets, force_zip64=True)


class ChunkedTable:
    """A table kept as chunks (frames of the same columns, in order), each loaded only
    while its rows are written: a country-sized sheet never sits in memory whole.

    Parameters
    ----------
    columns : sequence of str
        The columns of every chunk.
    pieces : iterable of (int, callable)
        Per chunk its number of rows and a function without arguments returning its
        frame.
    """

    def __init__(self, columns, pieces=()):
        self.columns = list(columns)
        self.pieces = list(pieces)

    def __len__(self) -> int:
        return sum(n for n, _ in self.pieces)

    def frames(self):
        """The chunks' frames, in order, one loaded at a time (empty chunks left out)."""
        for n, load in self.pieces:
            if n:
                yield load()

    def window(self, start: int, stop: int) -> ChunkedTable:
        """Rows ``start`` to ``stop`` (as ``frame.iloc[start:stop]``), without loading
        a chunk."""
        pieces, at = [], 0
        for n, load in self.pieces:
            low, high = max(start - at, 0), min(stop - at, n)
            if low < high:
                whole = (low, high) == (0, n)
                pieces.append((high - low, load if whole else _rows_of(load, low, high)))
            at += n
        return ChunkedTable(self.columns, pieces)


def _rows_of(load, low: int, high: int):
    return lambda: load().iloc[low:high]


def continued(sheets: list, rows: int | None = None) -> list:
    """The sheets with every table longer than a worksheet holds (``rows`` under the
    header) split over sheets of the same columns: ``name``, ``name (2)``, ... (names cut
    to 31 characters), so a national run's workbook holds every row, as its CSV does.

    A country of 40,000 units with 27 return-period maps had 1.7 million rows by map:
    the run stopped at the workbook and wrote nothing.
    """
    rows = MAX_ROWS - 1 if rows is None else rows
    out = []
    taken = {name for name, _, _ in sheets}
    for name, frame, widths in sheets:
        if len(frame) <= rows:
            out.append((name, frame, widths))
            continue
        for k, start in enumerate(range(0, len(frame), rows), start=1):
            part = name
            if k > 1:
                suffix = f" ({k})"
                part = name[: 31 - len(suffix)].rstrip(" (-") + suffix
                while part in taken:  # another sheet has that name: a shorter stem
                    part = part[: -len(suffix) - 1] + suffix
                taken.add(part)
            if isinstance(frame, ChunkedTable):
                out.append((part, frame.window(start, start + rows), widths))
            else:
                out.append((part, frame.iloc[start : start + rows], widths))
    return out


def _write_parts(target: Path, parts: dict, sheets: list, force_zip64: bool) -> None:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(_member(name), text.encode("utf-8"))
        for k, (_, frame, widths) in enumerate(sheets, start=1):
            # streamed a slice of rows at a time: memory stays flat however many units a
            # country has (the whole sheet as one string was about 100 KB per unit in the
            # Sendai workbook)
            member = _member(f"xl/worksheets/sheet{k}.xml")
            with archive.open(member, "w", force_zip64=force_zip64) as stream:
                for piece in _worksheet(frame, widths or {}):
                    stream.write(piece.encode("utf-8"))


def _member(name: str) -> zipfile.ZipInfo:
    """A ZIP member with the fixed date and permissions, deflated at level 1 (a third
    less time than the default level for a quarter more bytes: the Sendai workbook of a
    500-unit country is 3.3 MB)."""
    info = zipfile.ZipInfo(name, date_time=FIXED_TIME.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o600 << 16
    info._compresslevel = 1  # honoured by ZipFile.open(info, "w"); an alias since 3.13
    return info


def column_letters(n: int) -> list[str]:
    """The spreadsheet names of the first ``n`` columns: A, B, ..., Z, AA, AB, ..."""
    letters = []
    for k in range(1, n + 1):
        name = ""
        while k:
            k, rest = divmod(k - 1, 26)
            name = chr(65 + rest) + name
        letters.append(name)
    return letters


def _text(value) -> str:
    text = escape(_NOT_XML.sub("", str(value)))
    return f'<is><t xml:space="preserve">{text}</t></is>'


def _blank(value) -> bool:
    """True for a text that holds nothing once the characters XML cannot hold are gone:
    written as no cell (an empty text cell is not blank to ISBLANK() or Ctrl+arrow)."""
    return isinstance(value, str) and not _NOT_XML.sub("", value)


def _cells(values, letter: str, rows: list[str]) -> list[str]:
    """The XML of one column's cells (empty strings for empty cells)."""
    # numeric columns: tolist() gives Python numbers, whose formatting is the fast path
    if isinstance(values.dtype, np.dtype) and values.dtype.kind == "b":
        return [
            f'<c r="{letter}{r}" t="b"><v>{int(v)}</v></c>'
            for v, r in zip(values.tolist(), rows, strict=True)
        ]
    if isinstance(values.dtype, np.dtype) and values.dtype.kind in "iu":
        return [
            f'<c r="{letter}{r}"><v>{v}</v></c>' for v, r in zip(values.tolist(), rows, strict=True)
        ]
    if isinstance(values.dtype, np.dtype) and values.dtype.kind == "f":
        finite = np.isfinite(values).tolist()
        return [
            f'<c r="{letter}{r}"><v>{v!r}</v></c>' if ok else ""
            for v, ok, r in zip(values.astype(np.float64).tolist(), finite, rows, strict=True)
        ]
    cells, known = [], {}  # a column repeats its texts: each is escaped once
    for value, r in zip(values, rows, strict=True):
        try:
            inside = known[type(value), value]
        except KeyError:
            inside = known[type(value), value] = _inside(value)
        except TypeError:  # unhashable
            inside = _inside(value)
        cells.append(f'<c r="{letter}{r}"{inside}' if inside else "")
    return cells


def _inside(value) -> str:
    """A cell of a column of mixed values, after its reference ('' for an empty cell:
    a missing value or an empty text, of which no cell is written)."""
    if value is None or value is pd.NA or value is pd.NaT or _blank(value):
        return ""
    if isinstance(value, bool | np.bool_):
        return f' t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | np.integer):
        return f"><v>{int(value)}</v></c>"
    if isinstance(value, float | np.floating):
        return f"><v>{float(value)!r}</v></c>" if np.isfinite(value) else ""
    return f' t="inlineStr">{_text(value)}</c>'


def _worksheet(frame, widths: dict, rows_per_piece: int = 5_000):
    """The worksheet's XML, in pieces of ``rows_per_piece`` rows (a generator of str);
    ``frame``: a DataFrame or a :class:`ChunkedTable` (the same pieces: :func:`_pieces`)."""
    columns = [str(c) for c in frame.columns]
    letters = column_letters(len(columns))
    cols = "".join(
        f'<col min="{k}" max="{k}" width="{widths.get(c, min(max(len(c) + 2, 10), 40))}" '
        'customWidth="1"/>'
        for k, c in enumerate(columns, start=1)
    )
    header = "".join(
        f'<c r="{letter}1" s="1" t="inlineStr">{_text(c)}</c>'
        for letter, c in zip(letters, columns, strict=True)
    )
    views = (
        '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
        'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" '
        'activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
    )
    cols_xml = f"<cols>{cols}</cols>" if cols else ""
    yield (
        f'{_HEAD}<worksheet xmlns="{_MAIN}" xmlns:r="{_RELS}">{views}'
        f'<sheetFormatPr defaultRowHeight="15"/>{cols_xml}<sheetData>'
        f'<row r="1">{header}</row>'
    )
    start = 0
    for part in _pieces(frame, rows_per_piece):
        rows = [str(r) for r in range(start + 2, start + len(part) + 2)]
        body = [
            _cells(part.iloc[:, k].to_numpy(), letter, rows) for k, letter in enumerate(letters)
        ]
        yield "".join(
            f'<row r="{r}">{"".join(cells)}</row>' for r, *cells in zip(rows, *body, strict=True)
        )
        start += len(part)
    yield "</sheetData></worksheet>"


def _pieces(frame, rows: int):
    """The rows of a DataFrame or :class:`ChunkedTable` as frames of ``rows`` rows (the
    last shorter). A chunked table gives the same pieces as its frames joined: a piece's
    cells can depend on it as a whole (a nullable integer column's ``to_numpy`` gives
    floats when the piece holds a missing value), and the workbook keeps its bytes."""
    if not isinstance(frame, ChunkedTable):
        for start in range(0, len(frame), rows):
            yield frame.iloc[start : start + rows]
        return
    held, count = [], 0
    for chunk in frame.frames():
        held.append(chunk)
        count += len(chunk)
        if count < rows:
            continue
        joined = pd.concat(held, ignore_index=True) if len(held) > 1 else chunk
        cut = count - count % rows
        for start in range(0, cut, rows):
            yield joined.iloc[start : start + rows]
        held = [joined.iloc[cut:]] if cut < count else []
        count -= cut
    if count:
        yield pd.concat(held, ignore_index=True) if len(held) > 1 else held[0]


def _content_types(n_sheets: int) -> str:
    spreadsheet = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    sheets = "".join(
        f'<Override PartName="/xl/worksheets/sheet{k}.xml" '
        f'ContentType="{spreadsheet}.worksheet+xml"/>'
        for k in range(1, n_sheets + 1)
    )
    return (
        f'{_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{spreadsheet}.sheet.main+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{spreadsheet}.styles+xml"/>'
        f"{sheets}"
        '<Override PartName="/docProps/core.xml" '
        'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        '<Override PartName="/docProps/app.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
        "</Types>"
    )


def _package_relationships() -> str:
    kinds = "http://schemas.openxmlformats.org"
    return (
        f'{_HEAD}<Relationships xmlns="{_PACKAGE_RELS}">'
        f'<Relationship Id="rId1" Type="{_RELS}/officeDocument" Target="xl/workbook.xml"/>'
        f'<Relationship Id="rId2" Type="{kinds}/package/2006/relationships/metadata/'
        'core-properties" Target="docProps/core.xml"/>'
        f'<Relationship Id="rId3" Type="{_RELS}/extended-properties" '
        'Target="docProps/app.xml"/></Relationships>'
    )


def _workbook_relationships(n_sheets: int) -> str:
    sheets = "".join(
        f'<Relationship Id="rId{k}" Type="{_RELS}/worksheet" Target="worksheets/sheet{k}.xml"/>'
        for k in range(1, n_sheets + 1)
    )
    styles = f'<Relationship Id="rId{n_sheets + 1}" Type="{_RELS}/styles" Target="styles.xml"/>'
    return f'{_HEAD}<Relationships xmlns="{_PACKAGE_RELS}">{sheets}{styles}</Relationships>'


def _workbook(names: list[str]) -> str:
    sheets = "".join(
        f'<sheet name="{escape(name, {chr(34): "&quot;"})}" sheetId="{k}" r:id="rId{k}"/>'
        for k, name in enumerate(names, start=1)
    )
    return (
        f'{_HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_RELS}">'
        f'<bookViews><workbookView activeTab="0"/></bookViews><sheets>{sheets}</sheets>'
        "</workbook>"
    )


def _core_properties(title: str) -> str:
    import mecc

    when = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        f"{_HEAD}<cp:coreProperties "
        'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:title>{escape(title)}</dc:title>"
        f"<dc:creator>mecc {escape(mecc.__version__)}</dc:creator>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{when}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{when}</dcterms:modified>'
        "</cp:coreProperties>"
    )


_APP_PROPERTIES = (
    f"{_HEAD}<Properties "
    'xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    "<Application>mecc</Application></Properties>"
)
_STYLES = (
    f'{_HEAD}<styleSheet xmlns="{_MAIN}">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
"""Two cell formats: 0 plain, 1 bold (the header row)."""
