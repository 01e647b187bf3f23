"""Sendai Framework reporting tables from a run: modelled B-indicators and custom
displacement indicators, per admin level, scenario, return period and year.

The formulas (../shared/reference/sendai_training.md §1.3, from UNDRR's DesInventar-SFM
script) are the small functions :func:`per_100k`, :func:`directly_affected`,
:func:`people_from_dwellings` and :func:`mortality`; the training modules use the same
ones for reported records. :func:`sendai_tables` builds the long table (``sendai.csv``)
and the sheets of ``sendai.xlsx`` from a run folder's results.nc alone (group
``sendai``, written by :mod:`mecc.sendai_store`; group ``disaggregated``), so
``mecc run`` and ``mecc report sendai`` give the same bytes (writers:
:mod:`mecc.sendai_writers`).

Rules: B-1 = (B-2 + B-3 + B-4 + B-5) x 100,000 / population in every row; the nation
is the sum of the units of any level plus the ``__outside__`` row for additive rows;
PMD rows are not additive; figures of different hazards are never added.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from mecc.errors import DataError, InputFileError
from mecc.sendai_text import COLUMNS, INDICATORS, about_rows, custom_code

__all__ = [
    "PER_100K",
    "SendaiTables",
    "custom_code",
    "directly_affected",
    "mortality",
    "people_from_dwellings",
    "per_100k",
    "read_store",
    "sendai_tables",
]

PER_100K = 100_000.0
OUTSIDE = "__outside__"
HEADLINE = ("expected_annual", "scenario", "planning")
"""Measures shown per admin unit and disaggregated (per band: the long table)."""


# ------------------------------------------------------------------------- formulas


def per_100k(value, population):
    """``value x 100,000 / population``; NaN where the population is not positive."""
    if isinstance(value, int | float) and isinstance(population, int | float):
        # one row of the long table at a time: no array machinery
        return value * PER_100K / population if population > 0 else np.nan
    value = np.asarray(value, dtype=np.float64)
    population = np.asarray(population, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(population > 0, value * PER_100K / population, np.nan)
    return float(out) if out.ndim == 0 else out


def directly_affected(b2=0.0, b3=0.0, b4=0.0, b5=0.0):
    """The people of B-1: ``B-2 + B-3 + B-4 + B-5`` (B-1 is this per 100,000)."""
    return b2 + b3 + b4 + b5


def people_from_dwellings(dwellings, household_size):
    """People of B-3 / B-4 from dwellings: ``dwellings x inhabitants per household``."""
    return dwellings * household_size


def mortality(deaths, missing, population) -> dict:
    """A-1 (deaths and missing), A-2 (deaths) and A-3 (missing) per 100,000."""
    return {
        "A-1": per_100k(deaths + missing, population),
        "A-2": per_100k(deaths, population),
        "A-3": per_100k(missing, population),
    }


# ---------------------------------------------------------------------------- store


@dataclass
class SendaiStore:
    """results.nc of a run: the main Dataset, its ``sendai`` and ``disaggregated`` groups."""

    main: object
    store: object
    groups: object
    meta: dict = field(default_factory=dict)


def read_store(run_dir) -> SendaiStore:
    """Read the groups of ``RUN_DIR/results.nc`` the Sendai tables need (into memory).
    A store whose evacuation-type figures of a hazard striking by day counted the people
    present by day (written before ``displacement_by``: they follow residence) is refused."""
    import xarray as xr

    path = Path(run_dir) / "results.nc"
    if not path.is_file():
        raise InputFileError(f"{path}: not found; is {run_dir} a run folder of 'mecc run'?")
    try:
        with xr.open_dataset(path, engine="netcdf4") as main:
            main = main.load()
        with xr.open_dataset(path, engine="netcdf4", group="sendai") as store:
            store = store.load()
    except OSError as error:
        raise DataError(
            f"{path}: no 'sendai' group ({error}); the run was made by an older mecc, run it again"
        ) from None
    try:
        with xr.open_dataset(path, engine="netcdf4", group="disaggregated") as groups:
            groups = groups.load()
    except OSError:
        groups = None
    meta = json.loads(store.attrs["metadata"])
    by_day = sorted(k for k, v in meta["hazards"].items() if v.get("impact_time") == "day")
    if by_day and meta.get("displacement_by") != "residence":  # mecc.sendai_store
        raise DataError(
            f"{path}: its Sendai figures of {', '.join(by_day)} (impact_time: day) count the "
            "people present by day, not residents; the run was made by an older mecc, run it "
            "again"
        )
    return SendaiStore(main, store, groups, meta)


# --------------------------------------------------------------------------- tables


@dataclass
class SendaiTables:
    """The long table and the sheets of sendai.xlsx."""

    long: pd.DataFrame
    sheets: dict
    about: list
    definitions: pd.DataFrame
    country: str


def _left_out(builder) -> list:
    """Indicators the run could not give, and why (the About sheet)."""
    meta = builder.meta
    hazards = {k: v for k, v in meta["hazards"].items() if v["type"] != "drought"}
    out = [
        (
            "B-2 (injured or ill)",
            "no injury or illness model exists in the toolkit; B-1 therefore counts B-3 + B-4 "
            "(+ B-5) only.",
        ),
        (
            "A-3 (missing persons) and A-1",
            "no model of missing persons exists in the toolkit (A-1 = A-2 + A-3 would be "
            "incomplete).",
        ),
    ]
    if not any(v.get("fatality_model") for v in hazards.values()):
        out.insert(
            1,
            (
                "A-2 (deaths)",
                "no hazard of the run has a fatality model: the library's (ITB, PAGER "
                "earthquake models) are calibrated for Indonesia and refused elsewhere; give "
                "a survivors_step curve with fatality coefficients valid for the country to "
                "get A-2.",
            ),
        )
    if builder._breakdown_index("livelihoods") is None:
        out.append(("B-5 (livelihoods)", "no livelihoods layer given (population.livelihoods)."))
    if builder._breakdown_index("early_warning") is None:
        out.append(
            (
                "pre-emptive evacuation (custom D6)",
                "no early-warning coverage layer given (mobility.early_warning).",
            )
        )
    without = sorted(
        k for k, v in hazards.items() if not v.get("damage_curve") and v["kind"] != "relocation"
    )
    if without:
        out.append(
            (
                "B-3 and B-4 of " + ", ".join(without),
                "no damage_curve given for these hazards (damage states are needed for B-3 "
                "and B-4); their B-1, where given, counts B-5 only.",
            )
        )
    if not (meta.get("household_size") or {}).get("given"):
        out.append(("B-3a and B-4a (dwellings)", "no household size given."))
    return out


SHEET_MEASURES = {
    "headline": ("expected_annual", "scenario", "planning"),
    "bands": ("return_period_map", "event", "pmd"),
}


def sendai_tables(run_dir, version: str | None = None) -> SendaiTables:
    """Every Sendai table of a finished run, from its results.nc.

    Parameters
    ----------
    run_dir : path
        A run folder written by ``mecc run`` (only read).
    version : str, optional
        The mecc version named in the tables (default: this one).

    Returns
    -------
    SendaiTables
    """
    import mecc
    from mecc.sendai_rows import RowBuilder

    builder = RowBuilder(read_store(run_dir), version or mecc.__version__)
    for h in range(len(builder.hazard_ids)):
        builder.hazard(h)
    long = pd.DataFrame(builder.rows, columns=list(COLUMNS))
    long["admin_level"] = long["admin_level"].astype("Int64")
    long["denominator_year"] = pd.array(long["denominator_year"], dtype="Int64")
    long["year"] = pd.array(long["year"], dtype="Int64")
    totals = long[long["breakdown"] == ""]
    sheets = {"National": totals[(totals["admin_level"] == 0) & totals["measure"].isin(HEADLINE)]}
    outside = totals[(totals["admin_code"] == OUTSIDE) & totals["measure"].isin(HEADLINE)]
    for level in sorted({lv for lv in builder.levels if lv > 0}):
        rows = totals[(totals["admin_level"] == level) & totals["measure"].isin(HEADLINE)]
        sheets[f"Admin {level}"] = pd.concat([rows, outside])
    sheets["By return period or event"] = totals[totals["measure"].isin(SHEET_MEASURES["bands"])]
    disaggregated = long[long["breakdown"] != ""]
    if len(disaggregated):
        sheets["Disaggregated"] = disaggregated
    sheets = {name: frame.reset_index(drop=True) for name, frame in sheets.items()}
    definitions = pd.DataFrame(
        [
            {
                "indicator_code": custom_code(builder.country, int(ind.code[1:]))
                if ind.is_custom
                else ind.code,
                "indicator_name": ind.name,
                "official_or_custom": "national custom indicator"
                if ind.is_custom
                else "Sendai Framework",
                "unit": ind.unit,
                "sdg_series": ind.sdg_series,
                "definition": ind.definition,
                "displacement_type": ind.displacement_type,
                "displacement_timing": ind.timing,
                "displacement_duration": ind.duration,
                "in_this_run": bool(
                    (
                        long["indicator_code"]
                        == (
                            custom_code(builder.country, int(ind.code[1:]))
                            if ind.is_custom
                            else ind.code
                        )
                    ).any()
                ),
            }
            for ind in INDICATORS
        ]
    )
    about = about_rows(builder.meta, _left_out(builder), builder.version)
    return SendaiTables(long, sheets, about, definitions, builder.country)
