"""The identity of a run folder's results.nc: readable, and written by the run whose
tables are beside it (:func:`check_results`), before the Sendai tables or the map read
it."""

from __future__ import annotations

import json
from pathlib import Path

from mecc.errors import DataError, error_reason
from mecc.run_folder import (
    check_finished_run,
    coordinate_values,
    is_run_folder,
    not_found,
    read_run_table,
)

__all__ = ["check_results"]


def check_results(run_dir) -> None:
    """Refuse a run folder's results.nc that cannot be read or that another run wrote.

    A copied or downloaded run folder may arrive with a truncated results.nc, or with
    the results.nc of another run; the Sendai tables and the map's pictures would then
    fail obscurely or show the other run's figures. The file's hazards, zones and
    country are compared with the folder's summary.json and zones.csv (refused missing
    when results.nc records them), and so is the run's identifier, which tells apart two
    runs of the same country (e.g. with other curves). A finished run without results.nc
    is refused, and so is a results.nc in a folder that is no finished run (a run still
    being written: :func:`check_finished_run`).

    Raises
    ------
    mecc.errors.InputFileError
        A missing results.nc, summary.json or zones.csv, or a folder that is no finished
        run (:func:`check_finished_run`), exit code 1.
    mecc.errors.DataError
        Naming results.nc and what is wrong (exit code 1).
    """
    import netCDF4

    path = Path(run_dir) / "results.nc"
    if not path.is_file():
        if is_run_folder(run_dir):
            raise not_found(path)
        return  # no run folder: the command says what it misses
    check_finished_run(run_dir, reads=())  # results.nc and summary.json, not yet manifest
    try:
        with netCDF4.Dataset(path) as store:
            hazards = coordinate_values(store, "hazard")
            zones = coordinate_values(store, "zone")
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
        if mine[key] is not None and not (Path(run_dir) / source).is_file():
            raise not_found(Path(run_dir) / source)  # nothing to tell the run by
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
    from mecc.csv_files import LostZerosError

    try:  # the codes as written (a unit coded NA), whatever the table's separator, and
        # with the leading zeros a spreadsheet dropped (0101 saved as 101) given back
        table = read_run_table(
            run, "zones.csv", usecols=["zone_code"], dtype=str, keep_default_na=False
        )
        zones = sorted(set(table["zone_code"]) - {""}) or None
    except LostZerosError:
        raise  # not another run: the codes lost their zeros
    except (OSError, ValueError, KeyError):  # the errors of mecc are ones too
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
