"""Minimum needs and shelter gap of the people a run expects to be displaced.

A needs profile (``mecc/needs_profiles/*.yaml``: Sphere and national profiles, each
quantity with its source) gives quantities per person or per household and per day,
week, month or once. The needs of a zone are its displaced people times those
quantities (per household: displaced / household size x quantity, the zone's own
household size where the run has one), as InaSAFE's minimum-needs post-processor does;
nothing else is modelled.

Which displaced figure: a scenario's ``displaced``; for event sets and return-period
maps the probable maximum displacement at a chosen return period (``pmd_<T>``, default
100 years); for planned relocation the people at risk. Curve-variant ranges
(``_low``/``_high`` columns of zones.csv) carry through to the needs. A drought counts
people exposed per severity class, no one displaced: it has no needs and is left out
with a note (:func:`left_out_notes`).

The shelter gap compares the displaced people with the shelter capacity of each zone
(a CSV ``zone_code, capacity`` in people); coarser units without a row sum their
children's capacity when every child has one. Every zone has a row: a zone whose
capacity is not known has it blank, and its gap too when it has displaced people
(:func:`capacity_notes` names them).
"""

from __future__ import annotations

import math
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from mecc.errors import (
    ConfigError,
    DataError,
    InputFileError,
    MeccWarning,
    read_input_table,
    yaml_syntax_error,
)
from mecc.risk import STANDARD_RETURN_PERIODS

__all__ = [
    "PROFILE_DIR",
    "basis_column",
    "blank_notes",
    "exposure_only",
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
DEFAULT_RETURN_PERIOD = 100


def available_profiles() -> list[str]:
    """Names of the built-in needs profiles."""
    return sorted(p.stem for p in PROFILE_DIR.glob("*.yaml"))


def load_needs_profile(name, household_size: float | None = None) -> dict:
    """A needs profile by built-in name (``sphere``, ``bnpb_indonesia``) or YAML path.

    Returns the profile mapping with every need checked (``id``, ``quantity`` > 0,
    ``unit``, ``per`` person/household, ``period`` day/week/month/once, ``source``) and
    ``household_size`` replaced by the given one (``household_size_from``: ``given``
    or ``profile``).
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
        raise DataError(f"{label}: a needs profile has id, title, source and a list of needs")
    for key in ("id", "source"):
        if not profile.get(key):
            raise DataError(f"{label}: {key} is missing")
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
    for k, need in enumerate(profile["needs"]):
        where = f"{label}: needs[{k}]"
        for key in ("id", "quantity", "unit", "per", "period", "source"):
            if key not in need:
                raise DataError(f"{where}.{key} is missing")
        quantity = need["quantity"]
        if (
            isinstance(quantity, bool)
            or not isinstance(quantity, int | float)
            or not math.isfinite(quantity)
            or quantity <= 0
        ):
            raise DataError(f"{where}.quantity must be a number > 0")
        if need["per"] not in PER:
            raise DataError(f"{where}.per must be person or household")
        if need["period"] not in PERIODS:
            raise DataError(f"{where}.period must be one of {', '.join(PERIODS)}")
    return profile


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


def left_out_notes(run, hazard_id=None) -> list[str]:
    """One line per hazard that needs.csv leaves out because it displaces no one."""
    return [
        f"needs.csv: {hid}: left out ({info.get('type')}: {EXPOSURE_ONLY_NOTE})"
        for hid, info in run.summary.get("hazards", {}).items()
        if (hazard_id is None or hid == hazard_id) and exposure_only(info)
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
        Hazards without the basis column are left out, and so is a drought (exposure
        only: :func:`exposure_only`); a run with nothing else is a DataError.
    """
    check_return_period(return_period)
    hazards = run.summary.get("hazards", {})
    if hazard_id is not None and hazard_id not in hazards:
        raise ConfigError(f"--hazard {hazard_id}: not in this run ({', '.join(hazards)})")
    zones = run.zones[run.zones["zone_code"] != "__outside__"]
    no_cells = set((getattr(run, "manifest", None) or {}).get("zones_without_cells") or [])
    frames = []
    for hid, info in hazards.items():
        if (hazard_id is not None and hid != hazard_id) or exposure_only(info):
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
        if chosen and all(exposure_only(hazards[h]) for h in chosen):
            which = "the hazard chosen (--hazard)" if hazard_id else "every hazard of the run"
            raise DataError(
                f"{run.run_dir}: no displaced people to plan for: {which} is a drought "
                f"({', '.join(chosen)}), which counts people exposed per severity class "
                "(zones.csv drought_<class>), not displaced people"
            )
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


def whole_levels(levels) -> pd.Series:
    """Admin levels as whole numbers (1, 2; blank where a row has none), as in zones.csv."""
    return pd.to_numeric(pd.Series(levels), errors="coerce").round().astype("Int64")


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


def read_capacity(path) -> pd.Series:
    """Shelter capacity per zone: a CSV with ``zone_code`` and ``capacity`` (people)."""
    label = os.fspath(path)
    table = read_input_table(label, "shelter capacity file", dtype=str, keep_default_na=False)
    column = next((c for c in ("capacity", "shelter_capacity") if c in table.columns), None)
    if "zone_code" not in table.columns or column is None:
        raise DataError(f"{label}: needs columns zone_code and capacity (people)")
    values = pd.to_numeric(table[column].str.strip(), errors="coerce")
    bad = values.isna() | (values < 0)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(f"{label}: {column} on line {row + 2} is not a number of people >= 0")
    codes = table["zone_code"].str.strip()
    if codes.duplicated().any():
        raise DataError(f"{label}: zone {codes[codes.duplicated()].iloc[0]!r} is listed twice")
    return pd.Series(values.to_numpy(np.float64), index=codes.to_numpy(), name="capacity")


def _capacity_per_zone(zones: pd.DataFrame, capacity: pd.Series) -> dict:
    """Given capacity, else the sum of the children's (finest level first)."""
    units = zones.drop_duplicates("zone_code")
    out = {c: float(v) for c, v in capacity.items()}
    for level in sorted(units["level"].dropna().unique(), reverse=True):
        for row in units[units["level"] == level].itertuples():
            if row.zone_code in out:
                continue
            children = units[units["parent_code"] == row.zone_code]["zone_code"]
            known = [out[c] for c in children if c in out]
            if known and len(known) == len(children):
                out[row.zone_code] = float(sum(known))
    return out


def shelter_gap(
    needs: pd.DataFrame, zones: pd.DataFrame, capacity: pd.Series, source=None
) -> pd.DataFrame:
    """Displaced people beyond the shelter capacity of each zone, per hazard.

    ``source``: the capacity file, named in the error for a zone code the run does not
    have (default: "shelter capacity").

    Returns ``zone_code, zone_name, level, hazard_id, basis, displaced, capacity, gap,
    gap_low, gap_high, shelter_area_gap`` (m², when the profile has ``shelter_area``),
    one row per zone and hazard of ``needs``: ``gap = max(displaced - capacity, 0)``. A
    zone with no capacity (no row in the file, and not every one of its units has one)
    has ``capacity`` blank (not known, not 0) and its gaps blank where it has displaced
    people (0 where it has none: no one needs a shelter).
    """
    known = set(zones["zone_code"])
    unknown = [k for k, code in enumerate(capacity.index) if code not in known]
    if unknown:
        where = os.fspath(source) if source is not None else "shelter capacity"
        raise DataError(
            f"{where}: zone_code {capacity.index[unknown[0]]!r} is not a zone of this run "
            f"(line {unknown[0] + 2}; {len(unknown)} unknown code(s); the codes are those of "
            "the run's zones.csv)"
        )
    per_zone = _capacity_per_zone(zones, capacity)
    first = needs.drop_duplicates(["zone_code", "hazard_id"])
    area = needs[needs["need_id"] == "shelter_area"]
    keys = zip(area["zone_code"], area["hazard_id"], strict=True)
    per_person_area = dict(zip(keys, area["per_person"], strict=True))
    first_keys = zip(first["zone_code"], first["hazard_id"], strict=True)
    area_per_person = np.array(
        [per_person_area.get(k, math.nan) for k in first_keys], dtype=np.float64
    )
    cap = first["zone_code"].map(per_zone).to_numpy(np.float64)  # NaN: not known
    gap = _gap(first["displaced"], cap)
    return pd.DataFrame(
        {
            "zone_code": first["zone_code"].to_numpy(),
            "zone_name": first["zone_name"].to_numpy(),
            "level": whole_levels(first["level"]).array,
            "hazard_id": first["hazard_id"].to_numpy(),
            "basis": first["basis"].to_numpy(),
            "displaced": first["displaced"].to_numpy(),
            "capacity": cap,
            "gap": gap,
            "gap_low": _gap(first["displaced_low"], cap),
            "gap_high": _gap(first["displaced_high"], cap),
            "shelter_area_gap": gap * area_per_person,
        }
    )


def _gap(displaced, capacity: np.ndarray) -> np.ndarray:
    """``max(displaced - capacity, 0)``: blank (NaN) where either is not known, except 0
    where no one is displaced (whatever the capacity)."""
    displaced = np.asarray(displaced, dtype=np.float64)
    return np.where(displaced == 0, 0.0, np.maximum(displaced - capacity, 0.0))


def capacity_notes(gap: pd.DataFrame, source) -> list[str]:
    """One line naming the zones with displaced people but no shelter capacity (their
    capacity and gap in shelter_gap.csv are blank); [] when every such zone has one."""
    missing = gap[gap["capacity"].isna() & (pd.to_numeric(gap["displaced"]) > 0)]
    codes = list(dict.fromkeys(missing["zone_code"].astype(str)))
    if not codes:
        return []
    shown = ", ".join(codes[:5]) + (f" and {len(codes) - 5} more" if len(codes) > 5 else "")
    return [
        f"{os.fspath(source)}: no shelter capacity for {len(codes)} zone(s) with displaced "
        f"people ({shown}): their capacity and gap in shelter_gap.csv are blank (not known); "
        "add a row per zone (a coarser zone without one takes the sum of its units when "
        "every unit has one)"
    ]


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
    whose amounts are blank in some zones and, with ``capacity``, one naming the zones
    with displaced people but no capacity (:func:`capacity_notes`); each also issued as a
    :class:`MeccWarning`.
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
