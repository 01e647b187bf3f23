"""``mecc compare``: the change of each zone's headline figures between two finished runs.

compare.csv has one row per zone and hazard, as zones.csv, and first, for each hazard, a
national row (``level`` 0, ``zone_code`` the country) taken from each run's
summary.json. A level-0 unit with the country's code (a run without ``zones:``) that
holds the nation's figures in both runs is written once, as that row; one that does not
(people outside every unit) keeps its zones.csv row, and the national row gets a blank
level (as in exceedance.csv, :mod:`mecc.national_rows`). For each figure it gives the
baseline and future values and their change; where the run gives a range (``_low`` /
``_high``: the curve variants that displace fewer and more people, or the DEM raised and
lowered for sea-level rise) the range of each run follows its value (blank for a run that
gives none, e.g. a curve without variants, with a warning line). For an event set
whose events carry a ``member``, each run's ensemble spread follows too
(``aad_<run>_member_median``, ``_member_min``, ``_member_max``: the member AADs of
zones.csv and summary.json, each member's frequencies rescaled to a complete set), kept
apart from the curve variants' ``_low`` / ``_high``. The change is that of the central
values: the range of a change is not the difference of two ranges. A drought hazard gives
the people in each severity class (zones.csv's ``drought_<class>``, summary.json's
``classes``) as ``drought_<class>_exposed_baseline``, ``_future`` and ``_change``: people
exposed, not displaced (a drought has no displacement curve), as futures.csv gives them.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import pandas as pd

from mecc.errors import DataError, InputFileError, MeccWarning
from mecc.national_rows import nation_unit, whole_grid_row

__all__ = ["FIGURES", "compare_runs"]

FIGURES = ("population", "aad", "displaced", "pmd_100", "at_risk_relocation")
"""The columns of zones.csv compared (those a run has)."""
RANGED = ("aad", "displaced", "pmd_100", "at_risk_relocation")
"""Figures whose range zones.csv gives as ``<figure>_low`` and ``<figure>_high``."""
DROUGHT_PREFIX = "drought_"
"""zones.csv's columns of people per drought severity class: ``drought_<class>``."""
MEMBER_STATS = ("median", "min", "max")
"""Ensemble-member statistics of AAD in zones.csv and summary.json (``aad_member_<stat>``)."""

_RUNS = ("baseline", "future")


def compare_runs(base_dir, future_dir, out_dir, *, overwrite=False) -> os.PathLike:
    """``mecc compare``: the change of each zone's headline figures between two runs.

    Without the cross combinations (future hazard with baseline population and the
    reverse) the change cannot be split into climate and population; give both in one
    run file under ``futures:`` for that. ``out_dir`` is outside both run folders and
    their inputs, and replaced only with ``overwrite``.

    A figure, range or ensemble spread that one run gives for a hazard and the other
    does not (a curve with low/high variants in one run only, an event set's members, a
    PMD(100) beyond an event set's return periods) is blank for the other run, as is the
    change of a figure it lacks, with one warning line each (:class:`MeccWarning`)
    naming the run, the hazard, why and the blank columns.

    Raises
    ------
    mecc.errors.InputFileError
        A folder without zones.csv or summary.json, or that is no finished run: without
        manifest.json (a staging folder of a run still being written), as every command
        reading a run refuses it (:func:`mecc.run_folder.check_finished_run`).
    mecc.errors.DataError
        A zones.csv without a column every run writes, or cut short
        (:func:`mecc.run_folder.read_run_table`).
        Runs of other countries, zones or hazards (naming what each alone has), or a
        hazard of another type or kind in each run (a return-period set in one, a
        scenario in the other: AAD against displaced people).
    """
    from mecc.outputs import OutputFolder, write_csv
    from mecc.run_folder import check_finished_run, check_out_dir, read_run_table

    base_dir, future_dir = Path(base_dir), Path(future_dir)
    runs = (base_dir, future_dir)
    check_out_dir(out_dir, base_dir, future_dir)
    for run in runs:  # ``<run>/manifest.json: not found (is this a finished run folder?)``
        check_finished_run(run)  # as every command reading a run (also in check_out_dir)
    folder = OutputFolder(out_dir, overwrite=overwrite, command="compare")
    # checked: the columns every run writes, not cut short (``<run>: not a run folder
    # (no zones.csv)`` without one)
    frames = [read_run_table(run, "zones.csv") for run in runs]  # codes as text
    keys = ["zone_code", "hazard_id"]
    merged = _side(frames[0], keys, "baseline").merge(
        _side(frames[1], keys, "future"), on=keys, how="outer", indicator=True
    )
    if (merged["_merge"] != "both").any():
        raise DataError(
            f"{future_dir}: zones or hazards differ from {base_dir}: "
            + _differences(merged, {"left_only": base_dir, "right_only": future_dir})
        )
    summaries = [_summary(run) for run in runs]
    _refuse_other_countries(runs, summaries)
    _refuse_other_kinds(runs, summaries, dict.fromkeys(frames[0]["hazard_id"]))
    classes = _drought_classes(frames)
    nations = [
        _national_rows(summary, frame, classes)
        for summary, frame in zip(summaries, frames, strict=True)
    ]
    country = summaries[0]["country"]
    nations, same = _beside_the_nation_unit(nations, frames, country)
    national = _side(nations[0], keys, "baseline").merge(_side(nations[1], keys, "future"), on=keys)
    level = pd.to_numeric(merged["level_baseline"], errors="coerce")
    twin = (merged["zone_code"] == country) & level.eq(0) & merged["hazard_id"].isin(same)
    merged = pd.concat([national, merged[~twin].drop(columns="_merge")], ignore_index=True)
    # compare.csv's columns, gathered first and made into one frame at the end (a frame
    # grown a column at a time is fragmented: pandas warns and slows down)
    out = {
        "zone_code": merged["zone_code"],
        "zone_name": merged["zone_name_baseline"],
        # whole levels as zones.csv writes them (a column with the outside bucket's blank
        # level is read as floats: 1.0, 2.0)
        "level": pd.to_numeric(merged["level_baseline"], errors="coerce").round().astype("Int64"),
        "hazard_id": merged["hazard_id"],
    }
    for figure in FIGURES:  # those either run has, blank for a run without them
        if not any(f"{figure}_{run}" in merged for run in _RUNS):
            continue
        ranged = figure in RANGED and any(f"{figure}_low_{run}" in merged for run in _RUNS)
        for run in _RUNS:
            out[f"{figure}_{run}"] = _column(merged, f"{figure}_{run}")
            if ranged:  # a run may have none (a curve without variants)
                for end in ("low", "high"):
                    out[f"{figure}_{run}_{end}"] = _column(merged, f"{figure}_{end}_{run}")
            if figure == "aad":
                _add_members(out, merged, run)
        out[f"{figure}_change"] = out[f"{figure}_future"] - out[f"{figure}_baseline"]
    _add_drought(out, merged, classes)
    out = pd.DataFrame(out, index=merged.index)
    _warn_one_sided(out, runs, summaries)
    with folder as staging:
        write_csv(out, staging / "compare.csv")
    return folder.commit()


def _column(merged: pd.DataFrame, name: str) -> pd.Series:
    """``merged[name]``, or blanks when that run has no such column."""
    return merged[name] if name in merged else pd.Series(float("nan"), index=merged.index)


def _warn_one_sided(out: pd.DataFrame, runs: tuple, summaries: list) -> None:
    """One warning per hazard and kind of figure that one run gives and the other does not
    (in none of the hazard's rows): its columns are blank for the other run in compare.csv.

    A figure (PMD(100) beyond the return periods an event set supports) leaves its change
    blank too; a range (``_low``/``_high``) or an ensemble spread (``_member_``) is shown
    for one run only, the change being that of the central values either way.
    """
    items = [(f, "{f}_{run}", "") for f in FIGURES]
    items += [(f, "{f}_{run}_low", "range") for f in RANGED]
    items += [("aad", "{f}_{run}_member_median", "members")]
    for hazard_id, rows in out.groupby("hazard_id", sort=False):
        found, lacking = {}, set()
        for figure, pattern, what in items:
            columns = [pattern.format(f=figure, run=run) for run in _RUNS]
            if not all(column in rows for column in columns) or figure in lacking:
                continue  # (a range of a figure one run lacks: said with the figure)
            given = [bool(rows[column].notna().any()) for column in columns]
            if given[0] != given[1]:
                found.setdefault((given.index(False), what), []).append(figure)
                if not what:  # the figure itself
                    lacking.add(figure)
        for (k, what), figures in found.items():
            record = summaries[k]["hazards"].get(hazard_id) or {}
            message = _one_sided(what, figures, _RUNS[k], record)
            warnings.warn(
                f"{runs[k]}: {message[0]} for hazard {hazard_id}{message[1]}, which "
                f"{runs[1 - k]} gives; compare.csv leaves {message[2]} blank",
                MeccWarning,
                stacklevel=3,
            )


def _one_sided(what: str, figures: list, run: str, record: dict) -> tuple:
    """What a run lacks, why (from its summary.json ``record`` of the hazard, when it
    says) and the columns of compare.csv left blank: for :func:`_warn_one_sided`."""
    named = ", ".join(figures)
    if what == "range":
        curve = record.get("curve")
        why = f" (its curve {curve} has no low/high variants)" if curve else ""
        blank = [f"{f}_{run}_{end}" for f in figures for end in ("low", "high")]
        return f"no range (_low, _high) of {named}", why, ", ".join(blank)
    if what == "members":
        why = {
            "return_periods": " (return-period maps have no ensemble members)",
            "events": " (its events have no member)",
        }.get(record.get("kind"), "")
        blank = [f"aad_{run}_member_{stat}" for stat in MEMBER_STATS]
        return "no ensemble-member spread of aad", why, ", ".join(blank)
    notes = [
        (record.get("pmd_notes") or {}).get("100") if f == "pmd_100" else None for f in figures
    ]
    why = "; ".join(str(note) for note in notes if note)
    blank = [f"{f}_{side}" for f in figures for side in (run, "change")]
    return f"no {named}", f" ({why})" if why else "", ", ".join(blank)


def _add_members(out: dict, merged: pd.DataFrame, run: str) -> None:
    """``aad_<run>_member_<stat>`` after the run's AAD and its curve-variant range, when
    either run has ensemble members (blank for a run, zone or hazard without them)."""
    names = {stat: f"aad_member_{stat}" for stat in MEMBER_STATS}
    if not any(f"{name}_{side}" in merged for name in names.values() for side in _RUNS):
        return
    for stat, name in names.items():
        column = f"{name}_{run}"
        out[f"aad_{run}_member_{stat}"] = merged[column] if column in merged else float("nan")


def _drought_classes(frames: list) -> list:
    """The drought severity classes of either run's zones.csv (``drought_<class>``
    columns), in the order the runs write them."""
    columns = [c for frame in frames for c in frame.columns if c.startswith(DROUGHT_PREFIX)]
    return [c.removeprefix(DROUGHT_PREFIX) for c in dict.fromkeys(columns)]


def _add_drought(out: dict, merged: pd.DataFrame, classes: list) -> None:
    """For each drought severity class, ``drought_<class>_exposed_baseline``, ``_future``
    and ``_change``: the people in cells of that class in each run (exposure: a drought
    displaces nobody in the model), blank for other hazards and for a run without it."""
    for name in classes:
        figure = f"{DROUGHT_PREFIX}{name}"
        values = {}
        for run in _RUNS:
            column = f"{figure}_{run}"
            values[run] = merged[column] if column in merged else float("nan")
            out[f"{figure}_exposed_{run}"] = values[run]
        out[f"{figure}_exposed_change"] = values["future"] - values["baseline"]


def _side(frame: pd.DataFrame, keys: list, run: str) -> pd.DataFrame:
    """``frame`` with ``_<run>`` after each column but ``keys`` (whether or not the other
    run has the column: one run may give a range the other does not), in one block per
    dtype: the run tables are read a column at a time, and a merge of two such frames
    would be fragmented (pandas' PerformanceWarning, shown as a ``warning:`` line)."""
    renamed = frame.rename(columns={c: f"{c}_{run}" for c in frame.columns if c not in keys})
    return renamed.copy()  # copy() consolidates the blocks


def _summary(run: Path) -> dict:
    """The run's summary.json (its ``country`` as text, its ``hazards`` a mapping)."""
    path = run / "summary.json"
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
        summary["country"] = str(summary["country"])
        if not isinstance(summary["hazards"], dict):
            raise TypeError("hazards is not a mapping")
    except FileNotFoundError:
        raise InputFileError(f"{run}: not a run folder (no summary.json)") from None
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise InputFileError(f"{path}: unreadable ({error})") from None
    return summary


def _refuse_other_countries(runs: tuple, summaries: list) -> None:
    """Refuse runs of two countries (their zones may share codes; the nations never do)."""
    countries = [summary["country"] for summary in summaries]
    if countries[0] != countries[1]:
        raise DataError(
            f"{runs[1]}: a run of country {countries[1]}, and {runs[0]} of {countries[0]}; "
            "compare two runs of the same country"
        )


_KIND_WORDS = {
    "return_periods": "a return-period set",
    "events": "an event set",
    "scenario": "a scenario",
    "relocation": "a relocation (slow-onset) hazard",
}


_FIGURE_OF_KIND = {"events": "aad", "return_periods": "aad"}
"""Kinds of hazard set whose headline figure is the same quantity (an AAD)."""


def _refuse_other_kinds(runs: tuple, summaries: list, hazard_ids) -> None:
    """Refuse a hazard that is of another type in each run, or whose figures are other
    quantities (a scenario's displaced people in one, a set's AAD in the other); an event
    set and a return-period set of the same hazard both give an AAD and are compared."""
    for hazard_id in hazard_ids:
        records = [summary["hazards"].get(hazard_id) or {} for summary in summaries]
        for field, words in (("type", "of type {}"), ("kind", "{}")):
            values = [record.get(field) for record in records]
            same = _FIGURE_OF_KIND.get(values[0], values[0]) == _FIGURE_OF_KIND.get(
                values[1], values[1]
            )
            if None not in values and not (same if field == "kind" else values[0] == values[1]):
                said = [
                    words.format(_KIND_WORDS.get(v, v) if field == "kind" else v) for v in values
                ]
                raise DataError(
                    f"{runs[1]}: hazard {hazard_id} is {said[1]} here and {said[0]} in "
                    f"{runs[0]}; their figures cannot be compared (give the hazard the "
                    "same type and kind in both run files)"
                )


def _national_rows(summary: dict, zones: pd.DataFrame, classes: list = ()) -> pd.DataFrame:
    """One row per hazard of ``zones`` (zones.csv) with the nation's figures of the run's
    summary.json, in zones.csv's columns (a drought's people per severity class of
    ``classes`` from the hazard's ``classes``)."""
    country, hazards = summary["country"], summary["hazards"]
    rows = []
    for hazard_id in dict.fromkeys(zones["hazard_id"]):
        record = hazards.get(hazard_id) or {}
        row = {
            "zone_code": country,
            "zone_name": summary.get("name") or country,
            "level": 0,
            "hazard_id": hazard_id,
            "population": summary.get("population_total"),
        }
        for figure in ("aad", "displaced", "at_risk_relocation"):
            for suffix in ("", "_low", "_high"):
                row[figure + suffix] = record.get(figure + suffix)
        for stat in MEMBER_STATS:  # an event set with members: its ensemble spread
            row[f"aad_member_{stat}"] = record.get(f"aad_member_{stat}")
        for suffix in ("", "_low", "_high"):  # pmd: {return period: people}
            row["pmd_100" + suffix] = (record.get("pmd" + suffix) or {}).get("100")
        for name in classes:  # a drought: people per severity class
            row[DROUGHT_PREFIX + name] = (record.get("classes") or {}).get(name)
        rows.append(row)
    frame = pd.DataFrame(rows)
    columns = [c for c in frame.columns if c in zones.columns]
    return frame[columns].astype(dict.fromkeys(columns[4:], float))


def _beside_the_nation_unit(nations: list, frames: list, country: str) -> tuple:
    """Each run's national rows (:func:`_national_rows`) beside a level-0 unit with the
    country's code, settled as in exceedance.csv (:mod:`mecc.national_rows`).

    Returns
    -------
    (nations, same)
        The national rows, with a blank level for each hazard where such a unit does not
        hold the nation's figures in both runs; ``same``: the hazards where it does, whose
        unit rows are the national rows (left out of the zone rows).
    """
    same, blank = [], []
    for hazard_id in nations[0]["hazard_id"]:
        settled = set()
        for nation, frame in zip(nations, frames, strict=True):
            figures = list(nation.columns[4:])  # each run's own (one may give a range)
            rows = frame[frame["hazard_id"] == hazard_id]
            k = nation_unit(rows["zone_code"], rows["level"], country)
            unit = None if k is None else rows.iloc[k][figures].to_numpy(dtype=float)
            national = nation.loc[nation["hazard_id"] == hazard_id, figures]
            settled.add(whole_grid_row(unit, national.to_numpy(dtype=float)))
        if settled == {(False, 0)}:
            same.append(hazard_id)
        elif settled != {(True, 0)}:
            blank.append(hazard_id)
    nations = [nation.astype({"level": float}) for nation in nations]
    for nation in nations:
        nation.loc[nation["hazard_id"].isin(blank), "level"] = float("nan")
    return nations, same


def _differences(merged, sides: dict) -> str:
    """What each run alone has: whole hazards, whole zones, else (zone, hazard) pairs."""
    found = {}
    for side, run in sides.items():
        rows = merged[merged["_merge"] == side]
        other = merged[merged["_merge"] != side]
        for column, word in (("hazard_id", "hazards"), ("zone_code", "zones")):
            alone = sorted(set(map(str, rows[column])) - set(map(str, other[column])))
            if alone:
                found.setdefault(run, []).append(f"{word} {_few(alone)}")
        if len(rows) and run not in found:
            pairs = zip(rows.zone_code, rows.hazard_id, strict=True)
            found[run] = [f"zones {_few(sorted({f'{z} ({h})' for z, h in pairs}))}"]
    return "; ".join(f"{run} alone has {' and '.join(parts)}" for run, parts in found.items())


def _few(values: list, most: int = 5) -> str:
    more = f", ... ({len(values)} in all)" if len(values) > most else ""
    return ", ".join(values[:most]) + more
