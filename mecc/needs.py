"""Minimum needs and shelter gap of the people a run expects to be displaced.

A needs profile (``mecc/needs_profiles/*.yaml``: Sphere and national profiles, each
quantity with its source) gives quantities per person or per household and per day,
week, month or once. The needs of a zone are its displaced people times those
quantities (per household: displaced / household size x quantity, the zone's own
household size where the run has one), as InaSAFE's minimum-needs post-processor does;
nothing else is modelled.

Which displaced figure: a scenario's ``displaced``; for event sets and return-period
maps the probable maximum displacement at a chosen return period (``pmd_<T>``, default
100 years). Curve-variant ranges (``_low``/``_high`` columns of zones.csv) carry through
to the needs. Two kinds of hazard are left out with a note (:func:`left_out_notes`): a
drought counts people exposed per severity class, no one displaced; sea-level rise
counts people at risk of planned relocation by the rise's horizon, moved over years or
decades, not an emergency caseload needing daily food and water at once.

The shelter gap (``mecc.needs_shelter``) compares the displaced people with the shelter
capacity of each unit; a coarser unit's gap is the sum of its units' gaps (shelter is
not pooled across units).
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from mecc.errors import (
    ConfigError,
    DataError,
    InputFileError,
    MeccWarning,
    NeedsProfileError,
    yaml_syntax_error,
)
from mecc.needs_shelter import (
    GAP_RULE_NOTE,
    capacity_notes,
    read_capacity,
    shelter_gap,
    whole_levels,
)
from mecc.risk import STANDARD_RETURN_PERIODS
from mecc.variant_order import variant_ranges

__all__ = [
    "PROFILE_DIR",
    "basis_column",
    "blank_notes",
    "exposure_only",
    "left_out_reason",
    "left_out_notes",
    "capacity_notes",
    "load_needs_profile",
    "with_run_household_size",
    "zone_household_sizes",
    "needs_table",
    "read_capacity",
    "shelter_gap",
    "whole_levels",
    "write_needs",
]

PROFILE_DIR = Path(__file__).resolve().parent / "needs_profiles"
PERIODS = ("day", "week", "month", "once")
PER = ("person", "household")
NEED_KEYS = ("id", "quantity", "unit", "per", "period", "source")
PROFILE_KEYS = ("id", "title", "source", "household_size", "household_size_source", "needs")
DEFAULT_RETURN_PERIOD = 100


def available_profiles() -> list[str]:
    """Names of the built-in needs profiles."""
    return sorted(p.stem for p in PROFILE_DIR.glob("*.yaml"))


def load_needs_profile(name, household_size: float | None = None) -> dict:
    """A needs profile by built-in name (``sphere``, ``bnpb_indonesia``) or YAML path.

    Returns the profile mapping with every need checked (a mapping with ``id``,
    ``quantity`` > 0, ``unit``, ``per`` person/household, ``period``
    day/week/month/once, ``source``; at least one need, no id twice) and
    ``household_size`` replaced by the given one (``household_size_from``: ``given``
    or ``profile``). A malformed profile is a :class:`NeedsProfileError` (exit 2), one
    line naming the file and the entry (``needs[k]``).
    """
    import yaml

    given = Path(str(name))
    is_yaml = given.suffix.lower() in (".yaml", ".yml")
    if given.is_file() and not is_yaml:
        raise ConfigError(
            f"needs profile {name!r}: a needs profile is a YAML file (.yaml) with id, source "
            "and a list of needs (id, quantity, unit, per, period, source), like "
            f"{PROFILE_DIR / 'sphere.yaml'}; this file is not one (it ends in "
            f"{given.suffix or 'no extension'})"
        )
    path = given if is_yaml else PROFILE_DIR / f"{name}.yaml"
    if is_yaml and not path.is_file():
        raise ConfigError(f"needs profile {name!r}: file not found")
    if not path.is_file():
        raise ConfigError(
            f"needs profile {name!r} not found; use one of {', '.join(available_profiles())} "
            "or a YAML file"
        )
    try:
        profile = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError:
        raise InputFileError(
            f"{path}: the needs profile is not UTF-8 text; save it as UTF-8"
        ) from None
    except OSError as error:
        raise InputFileError(f"{path}: cannot read the needs profile ({error})") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: {yaml_syntax_error(error)}") from None
    label = path.name
    if not isinstance(profile, dict) or not isinstance(profile.get("needs"), list):
        raise NeedsProfileError(
            f"{label}: a needs profile has id, title, source and a list of needs"
        )
    _refuse_unknown_keys(profile, PROFILE_KEYS, label)
    for key in ("id", "source"):
        if not profile.get(key):
            raise NeedsProfileError(f"{label}: {key} is missing")
    given_size = household_size is not None
    size = household_size if given_size else profile.get("household_size", 5)
    if (
        isinstance(size, bool)
        or not isinstance(size, int | float)
        or not math.isfinite(size)
        or not size > 0
    ):
        where = "--household-size" if given_size else f"{label}: household_size"
        raise ConfigError(
            f"{where}: household size must be a number > 0 (people per household), got {size!r}"
        )
    profile["household_size"] = float(size)
    profile["household_size_from"] = "given" if given_size else "profile"
    _check_needs(profile["needs"], label)
    return profile


def _check_needs(needs: list, label: str) -> None:
    """Every need of a profile well formed (:data:`NEED_KEYS`, ids unique), else a
    :class:`NeedsProfileError` naming the file and the entry (``needs[k]``)."""
    fields = f"{', '.join(NEED_KEYS[:-1])} and {NEED_KEYS[-1]}"
    if not needs:
        raise NeedsProfileError(f"{label}: needs is empty: list at least one need ({fields})")
    seen: dict[str, int] = {}
    for k, need in enumerate(needs):
        where = f"{label}: needs[{k}]"
        if not isinstance(need, dict):
            raise NeedsProfileError(
                f"{where}: each need is a mapping with {fields}, one key per line as in "
                f"mecc/needs_profiles/sphere.yaml, {_what(need)}"
            )
        _refuse_unknown_keys(need, NEED_KEYS, where)
        for key in NEED_KEYS:
            if key not in need:
                raise NeedsProfileError(f"{where}.{key} is missing")
        for key in ("id", "unit", "source"):
            if not isinstance(need[key], str) or not need[key].strip():
                raise NeedsProfileError(f"{where}.{key} must be text (not empty)")
        quantity = need["quantity"]
        if (
            isinstance(quantity, bool)
            or not isinstance(quantity, int | float)
            or not math.isfinite(quantity)
            or quantity <= 0
        ):
            raise NeedsProfileError(f"{where}.quantity must be a number > 0")
        if not isinstance(need["per"], str) or need["per"] not in PER:
            raise NeedsProfileError(f"{where}.per must be person or household")
        if not isinstance(need["period"], str) or need["period"] not in PERIODS:
            raise NeedsProfileError(f"{where}.period must be one of {', '.join(PERIODS)}")
        if need["id"] in seen:
            raise NeedsProfileError(
                f"{where}.id {need['id']!r} is also needs[{seen[need['id']]}].id: "
                "give each need its own id"
            )
        seen[need["id"]] = k


def _refuse_unknown_keys(mapping: dict, known: tuple, where: str) -> None:
    """A key that is not one of ``known`` (a misspelt ``houshold_size`` would leave the
    default of 5 in use unseen) is refused, with the closest known key if any."""
    import difflib

    for key in mapping:
        if key in known:
            continue
        close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}?" if close else f"the keys are {', '.join(known)}"
        raise NeedsProfileError(f"{where}: unknown key {str(key)!r}; {hint}")


def _what(value) -> str:
    """What a need that is not a mapping was instead, short enough for one line."""
    if value is None:
        return "not empty"
    if isinstance(value, str):
        text = " ".join(value.split())
        return f"not the text {text[:60] + '...' if len(text) > 60 else text!r}"
    if isinstance(value, list):
        return "not a list"
    return f"not {value!r}"[:80]


def with_run_household_size(profile: dict, run, given) -> dict:
    """The profile with the run's household sizes when ``--household-size`` was not
    given and the run had ``population.household_size``: each zone its own (zones.csv
    ``household_size``, as Sendai B-3a/B-4a; see :func:`zone_household_sizes`), and
    the run's mean, people / households over its finest units and outside, as
    ``household_size`` for zones without one; else the profile unchanged."""
    zones = run.zones
    if given is not None or "households" not in zones.columns:
        return profile
    levels = pd.to_numeric(zones["level"], errors="coerce")
    first = zones["hazard_id"] == zones["hazard_id"].iloc[0]
    rows = zones[first & ((levels == levels.max()) | (zones["zone_code"] == "__outside__"))]
    people = pd.to_numeric(rows["population"], errors="coerce").sum()
    households = pd.to_numeric(rows["households"], errors="coerce").sum()
    if not (households > 0 and people > 0):
        return profile
    return {
        **profile,
        "household_size": float(people / households),
        "household_size_from": "mean",
        "household_size_per_zone": "household_size" in zones.columns,
        "household_size_source": (
            "each zone's own household size (zones.csv household_size, from "
            "population.household_size); zones without one take the run's mean household "
            f"size ({people:,.0f} people in {households:,.0f} households); give "
            "--household-size for one size everywhere"
        ),
    }


def zone_household_sizes(profile: dict, own) -> tuple[np.ndarray, np.ndarray]:
    """The household size of each zone for needs per household, and whether it is the
    zone's own.

    ``own``: the zones' ``household_size`` of zones.csv (blank where none). A zone's own
    size when the profile takes the run's sizes (:func:`with_run_household_size`) and
    the zone has one > 0; else the profile's ``household_size`` (given, the run's mean
    or the profile's).
    """
    own = pd.to_numeric(pd.Series(np.atleast_1d(own)), errors="coerce").to_numpy(np.float64)
    with np.errstate(invalid="ignore"):
        usable = np.isfinite(own) & (own > 0) & bool(profile.get("household_size_per_zone"))
    return np.where(usable, own, float(profile["household_size"])), usable


def per_person(need: dict, household_size):
    """The need's quantity per displaced person (``household_size``: a number, or one
    per zone as an array)."""
    quantity = float(need["quantity"])
    return quantity / household_size if need["per"] == "household" else quantity


def check_return_period(return_period) -> float:
    """``return_period`` if a run's tables hold its probable maximum, else ConfigError.

    zones.csv has ``pmd_T`` for the standard return periods only; any other T would
    leave the event sets and return-period maps out without a word.
    """
    if float(return_period) not in STANDARD_RETURN_PERIODS:
        periods = ", ".join(f"{t:g}" for t in STANDARD_RETURN_PERIODS)
        raise ConfigError(
            f"--return-period {return_period:g}: a run's tables hold the probable maximum "
            f"for {periods} years; choose one of them"
        )
    return float(return_period)


EXPOSURE_ONLY_NOTE = (
    "exposure, not displacement: people per severity class (zones.csv drought_<class>), "
    "no displaced people to plan for"
)


def exposure_only(info: dict) -> bool:
    """Whether a hazard of summary.json counts people exposed only (a drought: people in
    each severity class of the index, no displacement curve), so no one to plan for."""
    return str(info.get("type", "")) == "drought"


PLANNED_RELOCATION_NOTE = (
    "planned relocation, not an emergency caseload: people at risk by the rise's horizon "
    "(zones.csv at_risk_relocation), moved over years or decades, so no daily food, water "
    "or emergency shelter to plan for at once; plan relocation with the at-risk count"
)


def left_out_reason(info: dict) -> str | None:
    """Why needs.csv leaves a hazard of summary.json out, or None if it does not: a
    drought (exposure only, :func:`exposure_only`) and sea-level rise (planned
    relocation: a count at risk by a horizon decades away, not people displaced at once
    who need daily rations)."""
    if exposure_only(info):
        return EXPOSURE_ONLY_NOTE
    if str(info.get("kind", "")) == "relocation":
        return PLANNED_RELOCATION_NOTE
    return None


def left_out_notes(run, hazard_id=None) -> list[str]:
    """One line per hazard that needs.csv leaves out (:func:`left_out_reason`)."""
    return [
        f"needs.csv: {hid}: left out ({info.get('type')}: {left_out_reason(info)})"
        for hid, info in run.summary.get("hazards", {}).items()
        if (hazard_id is None or hid == hazard_id) and left_out_reason(info)
    ]


def basis_column(kind: str, columns, return_period: float = DEFAULT_RETURN_PERIOD) -> str | None:
    """The zones.csv column of displaced people the needs are computed for."""
    if kind == "scenario":
        return "displaced"
    if kind == "relocation":
        return "at_risk_relocation"
    column = f"pmd_{int(return_period) if float(return_period).is_integer() else return_period}"
    return column if column in columns else None


def needs_table(run, profile: dict, *, hazard_id=None, return_period=DEFAULT_RETURN_PERIOD):
    """Needs of every zone (every level) and hazard of a finished run.

    Parameters
    ----------
    run : mecc.map_data.RunData
    profile : dict
        From :func:`load_needs_profile`.
    hazard_id : str, optional
        Only this hazard.
    return_period : float
        For event sets and return-period maps: the PMD used.

    Returns
    -------
    pandas.DataFrame
        One row per zone, hazard and need: ``zone_code, zone_name, level, hazard_id,
        basis, displaced, displaced_low, displaced_high, need_id, quantity, unit, per,
        period, per_person, amount, amount_low, amount_high, source, note``. ``amount`` =
        ``displaced x per_person``; per household, ``per_person`` uses each zone's own
        household size where the run has one (:func:`zone_household_sizes`). ``level``
        is a whole number. Where the zone has no figure (e.g. an event set too short for
        the return period, or a unit that received no cell of the analysis grid:
        manifest.json ``zones_without_cells``) the displaced people and amounts are blank
        and ``note`` says why (the run's ``pmd_notes``); otherwise ``note`` is empty.
        Hazards without the basis column are left out, and so are a drought (exposure
        only) and sea-level rise (planned relocation; :func:`left_out_reason`); a run
        with nothing else is a DataError.
    """
    check_return_period(return_period)
    hazards = run.summary.get("hazards", {})
    if hazard_id is not None and hazard_id not in hazards:
        raise ConfigError(f"--hazard {hazard_id}: not in this run ({', '.join(hazards)})")
    zones = run.zones[run.zones["zone_code"] != "__outside__"]
    no_cells = set((getattr(run, "manifest", None) or {}).get("zones_without_cells") or [])
    frames = []
    for hid, info in hazards.items():
        if (hazard_id is not None and hid != hazard_id) or left_out_reason(info):
            continue
        rows = zones[zones["hazard_id"] == hid]
        column = basis_column(info.get("kind", ""), rows.columns, return_period)
        if column is None or rows.empty:
            continue
        displaced = pd.to_numeric(rows[column], errors="coerce").to_numpy(np.float64)
        low, high = (
            pd.to_numeric(rows[f"{column}{s}"], errors="coerce").to_numpy(np.float64)
            if f"{column}{s}" in rows.columns
            else np.full(len(rows), np.nan)
            for s in ("_low", "_high")
        )
        empty = rows["zone_code"].isin(no_cells).to_numpy()
        displaced, low, high = (np.where(empty, np.nan, a) for a in (displaced, low, high))
        low, high = variant_ranges(displaced, low, high)  # around the central figure
        note = np.where(np.isnan(displaced), _blank_reason(info, column), "")
        note = np.where(empty, NO_CELLS_NOTE, note)
        own = rows.get("household_size", pd.Series(np.nan, index=rows.index))
        sizes = _parents_from_units(rows, displaced, zone_household_sizes(profile, own)[0])
        for need in profile["needs"]:
            factor = per_person(need, sizes)
            frames.append(
                pd.DataFrame(
                    {
                        "zone_code": rows["zone_code"].to_numpy(),
                        "zone_name": rows["zone_name"].to_numpy(),
                        "level": whole_levels(rows["level"]).array,
                        "hazard_id": hid,
                        "basis": column,
                        "displaced": displaced,
                        "displaced_low": low,
                        "displaced_high": high,
                        "need_id": need["id"],
                        "quantity": float(need["quantity"]),
                        "unit": need["unit"],
                        "per": need["per"],
                        "period": need["period"],
                        "per_person": factor,
                        "amount": displaced * factor,
                        "amount_low": low * factor,
                        "amount_high": high * factor,
                        "source": need["source"],
                        "note": note,
                    }
                )
            )
    if not frames:
        chosen = [h for h in hazards if hazard_id is None or h == hazard_id]
        if chosen and all(left_out_reason(hazards[h]) for h in chosen):
            which = "the hazard chosen (--hazard)" if hazard_id else "every hazard of the run"
            why = (
                f"is a drought ({', '.join(chosen)}), which counts people exposed per severity "
                "class (zones.csv drought_<class>), not displaced people"
                if all(exposure_only(hazards[h]) for h in chosen)
                else f"is a drought or sea-level rise ({', '.join(chosen)}); sea-level rise "
                "counts people at risk of planned relocation (zones.csv at_risk_relocation), "
                "moved over decades, not an emergency caseload with daily needs"
            )
            raise DataError(f"{run.run_dir}: no displaced people to plan for: {which} {why}")
        raise DataError(
            f"{run.run_dir}: no hazard of this run has displaced people to plan for "
            f"(scenario displaced or pmd_{return_period:g})"
        )
    return pd.concat(frames, ignore_index=True)


def _parents_from_units(rows: pd.DataFrame, displaced: np.ndarray, sizes: np.ndarray):
    """Household sizes with each parent's replaced by its units' (level by level, finest
    first): the displaced people over the households they make in its units, so a
    parent's needs per household are the sum of its units' (each at its own size)."""
    sizes = np.asarray(sizes, dtype=np.float64).copy()
    codes = rows["zone_code"].astype(str).to_numpy()
    parents = rows.get("parent_code", pd.Series("", index=rows.index)).fillna("").astype(str)
    parents = parents.to_numpy()
    levels = pd.to_numeric(rows["level"], errors="coerce").to_numpy()
    for level in sorted({lv for lv in levels if np.isfinite(lv)}, reverse=True):
        for k in np.flatnonzero(levels == level):
            units = np.flatnonzero(parents == codes[k])
            if units.size == 0:
                continue
            households = displaced[units] / sizes[units]
            if np.isfinite(households).all() and households.sum() > 0:
                sizes[k] = displaced[units].sum() / households.sum()
    return sizes


NO_CELLS_NOTE = (
    "the unit received no cell of the analysis grid (smaller than a cell, or covered by a "
    "unit listed after it): its displaced people are not known, not 0; a finer population "
    "grid, or boundaries that do not overlap, give them"
)


def _blank_reason(info: dict, column: str) -> str:
    """Why a zone has no figure in ``column``: the run's note on it, else a general one."""
    if column.startswith("pmd_"):
        reason = (info.get("pmd_notes") or {}).get(column[len("pmd_") :])
        if reason:
            return f"no {column}: {reason}"
    return f"no {column} for this zone in the run's zones.csv"


def blank_notes(table: pd.DataFrame) -> list[str]:
    """One line per hazard whose needs are blank in some zones, saying why."""
    notes = []
    blank = table[table["note"] != ""].drop_duplicates(["zone_code", "hazard_id"])
    for (hid, note), rows in blank.groupby(["hazard_id", "note"], sort=False):
        notes.append(
            f"needs.csv: {hid}: {len(rows)} zone(s) have blank amounts ({note}); "
            "the note column says so on each row"
        )
    return notes


def write_needs(
    run_dir,
    out_dir,
    *,
    profile="sphere",
    return_period=DEFAULT_RETURN_PERIOD,
    hazard_id=None,
    capacity=None,
    household_size=None,
    overwrite=False,
) -> Path:
    """``mecc needs``: write needs.csv (and shelter_gap.csv with a capacity file).

    The run folder is only read; ``out_dir`` is created through a staging folder, so a
    failure leaves nothing behind. Also writes needs_profile.json: the profile used with
    its sources, the household size, the return period and ``notes``: one line per hazard
    left out (drought, sea-level rise: :func:`left_out_notes`) or whose amounts are blank
    in some zones and, with ``capacity``, one naming the zones with displaced people but
    no known gap (:func:`capacity_notes`), each also issued as a :class:`MeccWarning`,
    and the rule of the shelter gap (no pooling across units).
    """
    from mecc.map_data import read_run
    from mecc.outputs import OutputFolder, write_csv, write_json

    run_dir, out_dir = Path(run_dir), Path(out_dir)
    if out_dir.resolve() == run_dir.resolve() or run_dir.resolve() in out_dir.resolve().parents:
        raise ConfigError(f"--out {out_dir}: choose a folder outside the run folder")
    run = read_run(run_dir)
    chosen = with_run_household_size(
        load_needs_profile(profile, household_size), run, household_size
    )
    table = needs_table(run, chosen, hazard_id=hazard_id, return_period=return_period)
    notes = left_out_notes(run, hazard_id) + blank_notes(table)
    for message in notes:
        warnings.warn(message, MeccWarning, stacklevel=2)
    gap = None
    if capacity is not None:
        gap = shelter_gap(table, run.zones, read_capacity(capacity), source=capacity)
        for message in capacity_notes(gap, capacity):
            warnings.warn(message, MeccWarning, stacklevel=2)
            notes.append(message)
        notes.append(GAP_RULE_NOTE)
    given = [capacity, *([profile] if Path(str(profile)).is_file() else [])]
    folder = OutputFolder(
        out_dir, overwrite=overwrite, keep=[p for p in given if p], command="needs"
    )
    with folder as staging:
        write_csv(table, staging / "needs.csv")
        if gap is not None:
            write_csv(gap, staging / "shelter_gap.csv")
        write_json(
            {
                "profile": chosen["id"],
                "title": chosen.get("title"),
                "source": chosen["source"],
                "household_size": chosen["household_size"],
                "household_size_source": chosen.get("household_size_source"),
                "household_size_per_zone": bool(chosen.get("household_size_per_zone")),
                "return_period": return_period,
                "rule": "amount = displaced people x quantity per person "
                "(per household: / household size); modelled estimate",
                "needs": chosen["needs"],
                "notes": notes,
                "run": str(run_dir.resolve()),
            },
            staging / "needs_profile.json",
        )
    return folder.commit()
