"""A finished run folder as the commands that read it see it: the guards they share.

Commands that work on a finished run (``mecc report``, ``map``, ``profile``, ``needs``,
``evaluate``, ``compare``) read it and write to their own ``--out``; they never modify a
run folder (DESIGN.md). :func:`check_out_dir` refuses an ``--out`` that would write into
or replace a run folder or its inputs (and, first, a run folder given wrongly when one
is next to it: the output folder of ``mecc demo`` for its ``run/``), and
:func:`check_results` refuses a results.nc that cannot be read or that another run wrote.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

import numpy as np

from mecc.errors import ConfigError, DataError, InputFileError, error_reason, nearby_paths

__all__ = ["check_out_dir", "check_results", "check_run_folder"]


def check_out_dir(out_dir, *run_dirs) -> None:
    """Refuse an ``--out`` that would write into, or replace, a finished run or its inputs.

    Commands that read a finished run never modify it (DESIGN.md): their ``--out`` may not
    be a run folder, lie inside one or hold one, nor hold an input file the run's
    manifest.json lists (``--overwrite`` replaces the output folder as a whole).

    Raises
    ------
    mecc.errors.InputFileError
        A run folder that is none while one is next to it (:func:`check_run_folder`).
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
    run folders (folders holding summary.json) to use instead. Anything else is left to
    the command, which says what it misses.

    Raises
    ------
    mecc.errors.InputFileError
        One line naming summary.json (or the folder) and the run folders (exit code 1).
    """
    path = os.fspath(run_dir)
    given = path.rstrip("/" + os.sep) or path
    parent = os.path.dirname(given)
    if not os.path.isdir(path):
        runs = [parent or os.curdir] if os.path.exists(path) and _is_run_folder(parent) else []
        runs = runs or nearby_paths(path, accept=_is_run_folder)
        if runs:
            raise InputFileError(f"{path}: run folder not found (did you mean {_or(runs)}?)")
        return
    if any(os.path.exists(os.path.join(path, name)) for name in _RUN_FILES):
        return  # a run folder, or a damaged one: the command says what it misses
    runs = _run_folders_in(path)
    if not runs and given not in (os.curdir, os.sep, "/"):
        runs = [parent or os.curdir] if _is_run_folder(parent) else _run_folders_in(parent)
    if runs:
        raise InputFileError(
            f"{Path(path) / 'summary.json'}: not found (is this a finished run folder? "
            f"did you mean the run folder {_or(runs)}?)"
        )


_RUN_FILES = ("summary.json", "zones.csv", "results.nc", "manifest.json")


def _is_run_folder(path: str) -> bool:
    return os.path.isfile(os.path.join(path or os.curdir, "summary.json"))


def _run_folders_in(folder: str) -> list[str]:
    """At most two run folders in ``folder`` (by name), written as ``folder`` is."""
    try:
        with os.scandir(folder or os.curdir) as scan:
            names = sorted(e.name for e in scan if e.is_dir() and not e.name.startswith("."))
    except OSError:
        return []
    runs = [os.path.join(folder, name) for name in names]
    return [run for run in runs if _is_run_folder(run)][:2]


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


def check_results(run_dir) -> None:
    """Refuse a run folder's results.nc that cannot be read or that another run wrote.

    A copied or downloaded run folder may arrive with a truncated results.nc, or with
    the results.nc of another run; the Sendai tables and the map's pictures would then
    fail obscurely or show the other run's figures. The file's hazards, zones and
    country are compared with the folder's summary.json and zones.csv (when present),
    and so is the run's identifier, which tells apart two runs of the same country
    (e.g. with other curves). A missing results.nc is left to the command that reads it.

    Raises
    ------
    mecc.errors.DataError
        Naming results.nc and what is wrong (exit code 1).
    """
    import netCDF4

    path = Path(run_dir) / "results.nc"
    if not path.is_file():
        return
    try:
        with netCDF4.Dataset(path) as store:
            hazards = _coordinate(store, "hazard")
            zones = _coordinate(store, "zone")
            run_id = getattr(store, "mecc_run_id", None)  # runs since 2026-11-29
            sendai = store.groups.get("sendai")
            metadata = sendai.getncattr("metadata") if sendai is not None else "{}"
    except (OSError, RuntimeError, ValueError, KeyError, IndexError, AttributeError) as error:
        reason = getattr(error, "strerror", None) or error_reason(error)
        raise DataError(f"{path}: damaged or unreadable ({reason}); run again (mecc run)") from None
    try:
        country = json.loads(metadata).get("country")
    except (ValueError, AttributeError):
        country = None
    mine = {"country": country, "hazards": hazards, "zones": zones, "run_id": run_id}
    for key, (theirs, source) in _folder_identity(Path(run_dir)).items():
        if mine[key] is None or theirs is None or mine[key] == theirs:
            continue
        if key == "country":
            detail = f"country {mine[key]}, {source}: {theirs}"
        elif key == "run_id":
            detail = f"run {mine[key][:8]}, {source}: run {theirs[:8]}"
        else:
            extra = sorted(set(mine[key]) - set(theirs))
            lacking = sorted(set(theirs) - set(mine[key]))
            parts = [f"only in results.nc: {key} {_listed(extra)}"] if extra else []
            if lacking:
                parts.append(f"only in {source}: {key} {_listed(lacking)}")
            detail = "; ".join(parts)
        raise DataError(
            f"{path}: written by another run ({detail}); copy the run folder whole or run again"
        )


def _coordinate(store, name: str):
    if name not in store.variables:
        return None
    return sorted(str(value) for value in np.asarray(store.variables[name][:]).ravel())


def _folder_identity(run: Path) -> dict:
    """``{key: (value, file)}``: country, hazards and run identifier of summary.json,
    zone codes of zones.csv (value None when the file is missing or unreadable)."""
    country = hazards = zones = run_id = None
    try:
        summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
        hazards = sorted(str(h) for h in summary.get("hazards") or {}) or None
        country = summary.get("country")
        run_id = summary.get("run_id")
    except (OSError, ValueError, AttributeError):
        pass
    try:
        import pandas as pd

        table = pd.read_csv(
            run / "zones.csv", encoding="utf-8-sig", usecols=["zone_code"], dtype=str
        )
        zones = sorted(set(table["zone_code"].dropna())) or None
    except (OSError, ValueError, UnicodeDecodeError):
        pass
    return {
        "country": (country, "summary.json"),
        "hazards": (hazards, "summary.json"),
        "zones": (zones, "zones.csv"),
        "run_id": (run_id, "summary.json"),
    }


def _listed(values, most: int = 5) -> str:
    if not isinstance(values, list):
        return str(values)
    more = f", ... ({len(values)} in all)" if len(values) > most else ""
    return ", ".join(values[:most]) + more
