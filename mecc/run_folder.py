"""A finished run folder as the commands that read it see it: the guards they share.

Commands that work on a finished run (``mecc report``, ``map``, ``profile``, ``needs``,
``evaluate``, ``compare``) read it and write to their own ``--out``; they never modify a
run folder (DESIGN.md). :func:`check_out_dir` refuses an ``--out`` that would write into
or replace a run folder or its inputs (and, first, a run folder given wrongly when one
is next to it: the output folder of ``mecc demo`` for its ``run/``, then a run folder
whose tables are damaged: :func:`check_tables`), and :func:`mecc.run_identity.check_results`
refuses a results.nc that cannot be read or that another run wrote. :func:`check_finished_run` is
the one rule of a finished run (:func:`is_run_folder`: its manifest.json, which a run
writes last, says mecc wrote it; ``--overwrite`` replaces only such a folder too), and
refuses one without a file the command reads (:data:`RUN_READS`, :data:`MAP_READS`).
:func:`read_run_table` is the one reader of a run's tables (:data:`RUN_TABLES`: the
columns each must have); :func:`read_sendai_rows` reads some columns of sendai.csv with
it (the map's popups and the profiles). :data:`RUN_OUTPUTS` names every file a run may
write, all that ``--overwrite`` may delete in a run folder (:mod:`mecc.output_guard`).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import json
import os
from pathlib import Path

import numpy as np

from mecc.errors import (
    ConfigError,
    DataError,
    InputFileError,
    error_reason,
    nearby_paths,
    read_input_table,
)

__all__ = [
    "MAP_READS",
    "RUN_OUTPUTS",
    "RUN_READS",
    "RUN_TABLES",
    "check_finished_run",
    "check_out_dir",
    "check_run_folder",
    "check_table",
    "check_tables",
    "coordinate_values",
    "is_run_folder",
    "not_found",
    "read_run_table",
    "read_sendai_rows",
]


def check_out_dir(out_dir, *run_dirs) -> None:
    """Refuse an ``--out`` that would write into, or replace, a finished run or its inputs.

    Commands that read a finished run never modify it (DESIGN.md): their ``--out`` may not
    be a run folder, lie inside one or hold one, nor hold an input file the run's
    manifest.json lists (``--overwrite`` replaces the output folder as a whole).

    Raises
    ------
    mecc.errors.InputFileError
        A run folder that is none while one is next to it (:func:`check_run_folder`).
    mecc.errors.DataError
        A run's table that is damaged or cut short (:func:`check_tables`), exit code 1.
    mecc.errors.ConfigError
        Naming the folder and why (exit code 2).
    """
    for run_dir in run_dirs:
        check_run_folder(run_dir)
    out = Path(out_dir).resolve()
    for run_dir in run_dirs:
        run = Path(run_dir).resolve()
        why = None
        if out == run:
            why = f"is the run folder {run_dir}"
        elif run in out.parents:
            why = f"lies inside the run folder {run_dir}"
        elif out in run.parents:
            why = f"holds the run folder {run_dir}"
        else:
            held = next((p for p in _recorded_inputs(run) if p == out or out in p.parents), None)
            if held == out:
                why = f"is an input of the run {run_dir}"
            elif held is not None:
                why = f"holds {held.relative_to(out)}, an input of the run {run_dir}"
        if why:
            raise ConfigError(
                f"--out {out_dir}: {why}; choose a folder outside the run folder and its "
                "inputs (a finished run is never modified)"
            )


def check_run_folder(run_dir) -> None:
    """Refuse a run folder given wrongly, naming the run folder next to it.

    A folder with none of a run's files (summary.json, zones.csv, results.nc,
    manifest.json) that holds a run folder (``mecc demo``'s output holds ``run/``), or
    sits beside or inside one, and a path that is no folder but is close to a run
    folder's (a misspelt name, a file in the run folder) are refused with at most two
    run folders (finished runs: :func:`is_run_folder`) to use instead. Anything else is
    left to the command, which says what it misses.

    Raises
    ------
    mecc.errors.InputFileError
        One line naming summary.json (or the folder) and the run folders (exit code 1).
    """
    path = os.fspath(run_dir)
    given = path.rstrip("/" + os.sep) or path
    parent = os.path.dirname(given)
    if not os.path.isdir(path):
        runs = [parent or os.curdir] if os.path.exists(path) and is_run_folder(parent) else []
        runs = runs or nearby_paths(path, accept=is_run_folder)
        if runs:
            raise InputFileError(f"{path}: run folder not found (did you mean {_or(runs)}?)")
        return
    if any(os.path.exists(os.path.join(path, name)) for name in _RUN_FILES):
        check_tables(path)  # a run folder, or a damaged one: the command says what it misses
        return
    runs = _run_folders_in(path)
    if not runs and given not in (os.curdir, os.sep, "/"):
        runs = [parent or os.curdir] if is_run_folder(parent) else _run_folders_in(parent)
    if runs:
        raise InputFileError(
            f"{Path(path) / 'summary.json'}: not found (is this a finished run folder? "
            f"did you mean the run folder {_or(runs)}?)"
        )


_RUN_FILES = ("summary.json", "zones.csv", "results.nc", "manifest.json")

RUN_OUTPUTS = frozenset(
    (
        *("summary.json", "zones.csv", "zones_bands.csv", "bands.csv", "exceedance.csv"),
        *("results.nc", "zones.gpkg", "displaced.tif", "manifest.json", "map.html"),
        *("sendai.xlsx", "sendai.csv", "sendai_hxl.csv"),
        *("futures.csv", "attribution.csv", "futures.xlsx"),
        *("zones_disaggregated.csv", "sites.csv", "allocation.csv", "flows.csv"),
    )
)
"""Every file ``mecc run`` may write into a run folder (DESIGN.md, outputs of one run;
futures, groups of people, sites and allocation when the run file asks for them): what
``--overwrite`` may delete in it (:mod:`mecc.output_guard`)."""


def is_run_folder(folder) -> bool:
    """Whether ``folder`` is a finished run of mecc: it holds a manifest.json written by
    mecc (a JSON object whose ``created_by`` starts with ``mecc``).

    ``mecc run`` writes every file into a hidden staging folder, manifest.json last, and
    renames the folder into place (:class:`mecc.outputs.OutputFolder`): a folder without
    it is a run still being written, or was left by one that failed. The one rule of the
    commands that read a run (:func:`check_finished_run`), of the run folders they
    suggest, and of the folders ``mecc run --overwrite`` may replace.
    """
    path = Path(os.fspath(folder) or os.curdir) / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and str(manifest.get("created_by", "")).startswith("mecc")


RUN_READS = ("summary.json", "zones.csv")
"""The files of a run that every command reading it reads (besides manifest.json)."""
MAP_READS = (
    *RUN_READS,
    *("bands.csv", "zones_bands.csv", "results.nc", "zones.gpkg", "displaced.tif", "sendai.csv"),
)
"""The files of a run that ``mecc map`` reads, all of which every run writes (those a run
file may ask for, futures, groups, sites, allocation, are read when present)."""


def check_finished_run(run_dir, reads=RUN_READS) -> None:
    """Refuse a folder that is no finished run of mecc (:func:`is_run_folder`), or one
    without a file the command reads (``reads``), in one line.

    Every command that reads a finished run (``map``, ``profile``, ``needs``,
    ``compare``, ``report sendai``, ``evaluate``, the training pack) calls it before
    reading: a staging folder of a run still being written holds summary.json, zones.csv
    and results.nc but not yet manifest.json. A finished run (a copy) without a file the
    command reads is refused too: :data:`RUN_READS` (every command), zones.gpkg
    (:func:`mecc.map_data.read_run`), results.nc (:func:`mecc.run_identity.check_results`),
    :data:`MAP_READS`.

    Raises
    ------
    mecc.errors.InputFileError
        ``<run>: run folder not found``, or ``<run>/manifest.json: not found (is this a
        finished run folder?)``, the same line naming a file of ``reads``, or with ``not
        written by mecc`` for a manifest.json that is not mecc's (exit code 1).
    """
    path = Path(run_dir) / "manifest.json"
    if not Path(run_dir).is_dir():
        raise InputFileError(f"{run_dir}: run folder not found")
    if is_run_folder(run_dir):
        missing = next((name for name in reads if not (Path(run_dir) / name).is_file()), None)
        if missing:
            raise not_found(Path(run_dir) / missing)
        return
    if not path.is_file():
        raise not_found(path)
    try:
        path.read_bytes()
    except OSError as error:
        raise InputFileError(f"{path}: cannot be read ({error_reason(error)})") from None
    raise InputFileError(f"{path}: not written by mecc (is this a finished run folder?)")


def not_found(path: Path) -> InputFileError:
    """The one line of a run folder without a file a command reads."""
    return InputFileError(f"{path}: not found (is this a finished run folder?)")


def _run_folders_in(folder: str) -> list[str]:
    """At most two run folders in ``folder`` (by name), written as ``folder`` is."""
    try:
        with os.scandir(folder or os.curdir) as scan:
            names = sorted(e.name for e in scan if e.is_dir() and not e.name.startswith("."))
    except OSError:
        return []
    runs = [os.path.join(folder, name) for name in names]
    return [run for run in runs if is_run_folder(run)][:2]


def _or(paths: list) -> str:
    return " or ".join(str(p) for p in paths)


def _recorded_inputs(run: Path) -> list[Path]:
    """The input files manifest.json lists, where they still are (resolved).

    The run file's folder is looked for as ``mecc map`` does: a folder recorded in the
    manifest, ``<run>/../inputs``, the run folder's parent, the current folder; every
    candidate holding the run file counts (when unsure, protect more).
    """
    try:
        manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
        paths = [str(record["path"]) for record in manifest["inputs"]]
        run_file = next(str(r["path"]) for r in manifest["inputs"] if r.get("role") == "run file")
    except (OSError, ValueError, KeyError, TypeError, StopIteration):
        return []
    bases = [manifest.get("base_dir"), manifest.get("run_file_dir")]
    bases += [run.parent / "inputs", run.parent]
    with contextlib.suppress(OSError):  # unless the current folder was deleted
        bases.append(Path.cwd())
    found = [Path(p) for p in paths if os.path.isabs(p)]
    for base in bases:
        if base and (Path(base) / run_file).is_file():
            found += [Path(base) / p for p in paths if not os.path.isabs(p)]
    return [p.resolve() for p in found if p.exists()]


RUN_TABLES = {
    "zones.csv": ("zone_code", "zone_name", "level", "hazard_id", "population"),
    "bands.csv": ("hazard_id", "band", "displaced"),
    "futures.csv": (
        "future_id",
        "future_label",
        "hazard_id",
        "figure",
        "zone_code",
        "level",
        "change",
    ),
    "attribution.csv": ("future_id", "hazard_id", "figure", "zone_code", "level"),
    "allocation.csv": ("zone_code", "hazard_id", "band", "host_burden_per_1000"),
    "flows.csv": ("hazard_id", "band", "from_zone", "to_zone", "people"),
    "sendai.csv": (),
}
"""The tables of a run folder that the commands read, with the columns every run
writes into each (the commands read them unchecked). zones.csv and bands.csv always
have a row (a zone, a band of each hazard); the others may be only a header."""
_WITH_ROWS = ("zones.csv", "bands.csv")
RUN_TEXT_COLUMNS = (
    "zone_code",
    "zone_name",
    "parent_code",
    "admin_code",
    "hazard_id",
    "band",
    "future_id",
    "future_label",
    "figure",
    "from_zone",
    "to_zone",
)
"""Columns of codes and names, read as written (a unit coded NA keeps its code)."""
_AGAIN = "copy the run folder whole or run again (mecc run)"
_TAIL = 1 << 16


def read_run_table(run_dir, name: str, **options):
    """One table of a finished run (:data:`RUN_TABLES`), checked, as a DataFrame.

    Parameters
    ----------
    run_dir : path
        The run folder.
    name : str
        The table's file name: ``"zones.csv"``, ``"bands.csv"``, ...
    **options
        Passed to :func:`mecc.errors.read_input_table`; without ``codes`` or ``dtype``,
        the :data:`RUN_TEXT_COLUMNS` are read as text and the others as numbers.

    Notes
    -----
    Text cells are given back as the run had them: the leading ``'`` written before a
    name a spreadsheet would run as a formula (``'=HYPERLINK(...)``,
    :func:`mecc.csv_files.escaped_cell`) is removed. A table a spreadsheet saved again
    (``;`` or tabs between fields, decimal commas, digits grouped) gives, without
    ``dtype``, the same frame as the run's own file (:func:`_as_written`): the same
    numbers and column types, the codes as written; codes whose leading zeros it dropped
    (``0101`` saved as ``101``) are the run's own again where one run code matches
    (:func:`mecc.csv_files.restored_codes`, by :func:`_run_codes`).

    Raises
    ------
    mecc.errors.InputFileError
        No such table (``<run>: not a run folder (no zones.csv)``), or one that is not
        UTF-8 text or not CSV.
    mecc.errors.DataError
        A table without a column it must have, or cut short (:func:`check_table`), or
        a code that lost its leading zeros and matches several of the run's.
    """
    path = Path(run_dir) / name
    if not path.is_file():
        raise InputFileError(f"{run_dir}: not a run folder (no {name})")
    check_table(path, RUN_TABLES.get(name, ()), rows=name in _WITH_ROWS)
    if "codes" not in options and "dtype" not in options:
        options["codes"] = RUN_TEXT_COLUMNS
    from mecc.csv_files import restored_codes, unescaped_cells  # as written for spreadsheets

    if "dtype" not in options and _separator(path) != ",":
        table = _as_written(path, options)
    else:
        table = read_input_table(path, "table of the run", **options)
    return restored_codes(unescaped_cells(table), path, lambda: _run_codes(Path(run_dir)))


def _run_codes(run: Path) -> list | None:
    """The run's own unit codes: results.nc's zones, else those of zones.gpkg's layers
    (None when neither can be read)."""
    import netCDF4

    with (
        contextlib.suppress(OSError, RuntimeError, ValueError, KeyError, IndexError),
        netCDF4.Dataset(run / "results.nc") as store,
    ):
        if codes := coordinate_values(store, "zone"):
            return codes
    import pyogrio

    codes = []
    with contextlib.suppress(Exception):  # pyogrio's errors of an unreadable file
        for layer, _ in pyogrio.list_layers(run / "zones.gpkg"):
            frame = pyogrio.read_dataframe(run / "zones.gpkg", layer=layer, read_geometry=False)
            if "zone_code" in frame.columns:
                codes += [str(code) for code in frame["zone_code"]]
    return codes or None


def _separator(path: Path) -> str:
    """The field separator of a run's table, from its header: ``,`` as mecc writes it,
    ``;`` or a tab where a spreadsheet in another locale saved it again."""
    with open(path, encoding="utf-8-sig", errors="replace") as handle:
        header = handle.readline()
    return next((s for s in (",", ";", "\t") if s in header), ",")


def _as_written(path: Path, options: dict):
    """A run's table that a spreadsheet saved again, read as the run's own file.

    Its cells are read as text (:func:`mecc.errors.read_input_table`: the locale's
    numbers become plain ones, ``1.234,5`` -> ``1234.5``; a number the spreadsheet left
    as the run wrote it, ``123.63``, stays so), written again as mecc writes a table and
    read from there with ``options``: numbers, missing cells and column types are
    pandas' reading of the same texts as in the original (not parsed a second way).
    """
    import tempfile

    text = read_input_table(
        path, "table of the run", dtype=str, keep_default_na=False, na_values=[]
    )
    with tempfile.TemporaryDirectory(prefix="mecc-table-") as folder:
        plain = Path(folder) / path.name
        text.to_csv(plain, index=False, encoding="utf-8")
        del text
        return read_input_table(plain, "table of the run", **options)


def read_sendai_rows(run_dir, columns, indicators=None):
    """Some columns of a finished run's sendai.csv, as text; None when it has none.

    Read as every table of the run (:func:`read_run_table`: checked, and a file a
    spreadsheet saved again with ``;`` between fields and decimal commas gives the same
    texts: ``12,5`` is ``12.5``), but only the columns asked for: a national table of
    40,000 units holds millions of rows.

    Parameters
    ----------
    run_dir : path
        The run folder.
    columns : collection of str
        The columns wanted; those the file lacks are left out (the caller checks).
    indicators : collection of str, optional
        Keep only the rows of these ``indicator_code`` values (when the file has them).

    Returns
    -------
    pandas.DataFrame or None
        Every cell a string (an empty cell is ``""``), rows numbered from 0.
    """
    if not (Path(run_dir) / "sendai.csv").is_file():
        return None
    wanted = frozenset(columns)
    table = read_run_table(
        run_dir, "sendai.csv", dtype=str, keep_default_na=False, usecols=wanted.__contains__
    )
    if indicators is not None and "indicator_code" in table.columns:
        table = table[table["indicator_code"].isin(list(indicators))]
    return table.reset_index(drop=True)


def check_tables(run_dir) -> None:
    """Refuse a run folder whose tables are damaged (:func:`check_table` on each of
    :data:`RUN_TABLES` the folder has; a missing table is left to the command)."""
    for name, required in RUN_TABLES.items():
        path = Path(run_dir) / name
        if path.is_file():
            check_table(path, required, rows=name in _WITH_ROWS)


def check_table(path, required=(), *, rows: bool = False) -> None:
    """Refuse a run's table that is damaged, partial or cut short, in one line.

    A table opened and saved again in a spreadsheet (in its locale's CSV) is read as
    mecc reads any table (:func:`mecc.errors.read_input_table`), its last line with or
    without a line end (Google Sheets writes none); refused are a file that is not UTF-8
    text or not CSV, a header without a column the run writes, a file cut short (its
    last line has fewer columns than the header: a truncated copy) and, with ``rows``, a
    table without a row.

    Raises
    ------
    mecc.errors.InputFileError
        Not UTF-8 text or not CSV, naming the file (exit code 1).
    mecc.errors.DataError
        Naming the file and the columns missing, or where it was cut (exit code 1).
    """
    path = Path(path)
    header = read_input_table(path, "table of the run", nrows=0, dtype=str).columns
    missing = [column for column in required if column not in header]
    if missing:
        raise DataError(
            f"{path}: damaged or not a table of the run (no column {', '.join(missing)}); {_AGAIN}"
        )
    head, tail, whole = _utf8_ends(path)
    lines = [line for line in tail.splitlines() if line.strip()]
    if whole and len(lines) < 2:  # the header alone
        if rows:
            raise DataError(f"{path}: holds no row, only its header (a partial file); {_AGAIN}")
        return
    first = head.lstrip("\ufeff").split("\n", 1)[0].rstrip("\r")
    sep = next((s for s in (",", ";", "\t") if s in first), ",")
    columns = len(next(csv.reader([first], delimiter=sep)))
    short = _cut_short(path, lines[-1], sep, columns)
    if short:
        raise DataError(f"{path}: cut short (its last line {short}); {_AGAIN}")


def _utf8_ends(path: Path) -> tuple[str, str, bool]:
    """The first and last 64 KiB of a table as text, and whether that is the whole file,
    after checking that every byte is UTF-8 (a file that is not:
    :func:`mecc.errors.read_input_table`'s error, naming the line)."""
    decoder, utf8 = codecs.getincrementaldecoder("utf-8")(), True
    try:
        with open(path, "rb") as handle:
            head = handle.read(_TAIL)
            try:
                decoder.decode(head)
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                utf8 = False
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(size - _TAIL, 0))
            tail = handle.read()
    except OSError as error:
        raise InputFileError(f"{path}: cannot be read ({error_reason(error)})") from None
    if not utf8:
        read_input_table(path, "table of the run", dtype=str)  # names the line and byte
        raise InputFileError(f"{path}: the table of the run is not UTF-8 text")
    # a cut in the middle of a character at the tail's start is not the file's
    return head.decode("utf-8", "ignore"), tail.decode("utf-8", "ignore"), size <= _TAIL


def _cut_short(path: Path, last: str, sep: str, columns: int) -> str | None:
    """Why the table's last line is cut short (fewer columns than its header), or None.

    The last physical line is parsed alone first; a line that seems short (a quoted
    cell may hold a line end) is confirmed by parsing the whole file.
    """
    fields = next(csv.reader([last], delimiter=sep), [])
    if len(fields) >= columns:
        return None
    text = path.read_text(encoding="utf-8-sig")
    records = [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=sep) if row]
    found = len(records[-1]) if records else 0
    if found >= columns:
        return None
    return f"has {found} of the {columns} columns of its header"


def coordinate_values(store, name: str):
    """The values of a results.nc coordinate as sorted text (None: no such variable)."""
    if name not in store.variables:
        return None
    return sorted(str(value) for value in np.asarray(store.variables[name][:]).ravel())
