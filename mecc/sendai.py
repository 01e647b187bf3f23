"""Sendai Framework reporting tables from a run: modelled B-indicators and custom
displacement indicators, per admin level, scenario, return period and year.

The formulas (../shared/reference/sendai_training.md §1.3, from UNDRR's DesInventar-SFM
script) are the small functions :func:`per_100k`, :func:`directly_affected`,
:func:`people_from_dwellings` and :func:`mortality`; the training modules use the same
ones for reported records. :func:`sendai_tables` builds the long table (``sendai.csv``)
and the sheets of ``sendai.xlsx`` from a run folder's results.nc alone (group
``sendai``, written by :mod:`mecc.sendai_store`; group ``disaggregated``), so
``mecc run`` and ``mecc report sendai`` give the same bytes (writers:
:mod:`mecc.sendai_writers`). :func:`sendai_stream` gives the same tables a chunk of rows
at a time (:func:`long_frame`, :func:`sheet_parts`): the writers use it, so memory is
bounded by the chunk, not by the country.

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
    "SendaiStream",
    "SendaiTables",
    "custom_code",
    "definitions_table",
    "directly_affected",
    "long_frame",
    "mortality",
    "people_from_dwellings",
    "per_100k",
    "read_store",
    "sendai_stream",
    "sendai_tables",
    "sheet_parts",
]

PER_100K = 100_000.0
OUTSIDE = "__outside__"
HEADLINE = ("expected_annual", "scenario", "planning")
"""Measures shown per admin unit and disaggregated (per band: the long table)."""
CHUNK_ROWS = 20_000
"""Rows of the long table built and written at a time (:func:`sendai_stream`)."""


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
    if not any(v.get("fatality_model") or v.get("fatality_models") for v in hazards.values()):
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
    given = meta.get("layers_given", [])  # (absent from stores written before it)
    if builder._breakdown_index("livelihoods") is None:
        out.append(
            (
                "B-5 (livelihoods)",
                _unused_layer("livelihoods layer (population.livelihoods)", meta)
                if "livelihoods" in given
                else "no livelihoods layer given (population.livelihoods).",
            )
        )
    if builder._breakdown_index("early_warning") is None:
        out.append(
            (
                "pre-emptive evacuation (custom D6)",
                _unused_layer("early-warning coverage layer (mobility.early_warning)", meta)
                if "early_warning" in given
                else "no early-warning coverage layer given (mobility.early_warning).",
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
    droughts = sorted(k for k, v in meta["hazards"].items() if v["type"] == "drought")
    if droughts:
        out.append(
            (
                "drought (" + ", ".join(droughts) + ")",
                "no rows in these tables: a drought is exposure, not a loss the Sendai "
                "B-indicators or the displacement indicators count. The run gives the people "
                "in cells of each severity class (zones.csv drought_<class>, summary.json "
                "classes, results.nc exposed_by_class), not people affected, displaced or "
                "whose homes are damaged or destroyed; drought losses (livelihoods, crops, "
                "livestock) need a loss model the toolkit does not have.",
            )
        )
    return out


def _unused_layer(layer: str, meta: dict) -> str:
    """Why a layer the run file gives yields no rows: none of the run's hazards is one
    it applies to (a drought is exposure, sea-level rise planned relocation)."""
    kinds = sorted({_hazard_kind_name(v) for v in meta["hazards"].values()})
    return (
        f"the {layer} was given, but no hazard of this run is one it applies to "
        f"(this run: {', '.join(kinds)}; it applies to sudden-onset hazards: scenarios, "
        "event sets and return-period maps)."
    )


def _hazard_kind_name(record: dict) -> str:
    if record["type"] == "drought":
        return "drought (exposure only)"
    if record["kind"] == "relocation":
        return f"{record['type'].replace('_', ' ')} (planned relocation)"
    return record["type"].replace("_", " ")


SHEET_MEASURES = {
    "headline": ("expected_annual", "scenario", "planning"),
    "bands": ("return_period_map", "event", "pmd"),
}


def sendai_tables(run_dir, version: str | None = None) -> SendaiTables:
    """Every Sendai table of a finished run, from its results.nc, in memory (a country
    of thousands of units: :func:`sendai_stream`, which the writers use).

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
    stream = sendai_stream(run_dir, version)
    builder = stream.builder
    for h in range(len(builder.hazard_ids)):
        builder.hazard(h)
    long = long_frame(builder.rows)
    parts = sheet_parts(long, stream.levels)
    outside = parts.pop(OUTSIDE)
    for level in stream.levels:
        parts[f"Admin {level}"] = pd.concat([parts[f"Admin {level}"], outside])
    if not len(parts["Disaggregated"]):
        del parts["Disaggregated"]
    sheets = {name: frame.reset_index(drop=True) for name, frame in parts.items()}
    definitions = definitions_table(builder.country, set(long["indicator_code"]))
    return SendaiTables(long, sheets, stream.about, definitions, builder.country)


@dataclass
class SendaiStream:
    """The Sendai tables of a run, to be built and written a chunk of rows at a time
    (:meth:`frames`): memory holds one chunk, not the table (:mod:`mecc.sendai_writers`).

    The sheets of sendai.xlsx are filters of the long table in its order
    (:func:`sheet_parts`; each ``Admin <level>`` sheet ends with the ``__outside__``
    rows), the About sheet does not depend on the rows and the indicator definitions
    need only the indicator codes the table holds (:func:`definitions_table`).
    """

    builder: object
    about: list
    country: str
    levels: list
    rows_per_chunk: int = CHUNK_ROWS

    def frames(self):
        """The long table (``sendai.csv``), a frame of about ``rows_per_chunk`` rows
        at a time, in order (:func:`long_frame` of each chunk); once only."""
        for rows in self.builder.chunks(self.rows_per_chunk):
            yield long_frame(rows)


def sendai_stream(run_dir, version: str | None = None, rows: int = CHUNK_ROWS) -> SendaiStream:
    """The Sendai tables of a finished run, to be built a chunk of about ``rows`` rows at
    a time (:class:`SendaiStream`); reads results.nc (refusing a store the tables cannot
    use) and warns as :func:`sendai_tables` does."""
    import mecc
    from mecc.drought_store import drought_classes
    from mecc.sendai_rows import RowBuilder

    builder = RowBuilder(read_store(run_dir), version or mecc.__version__)
    droughts = drought_classes(builder.s.main)  # their class bounds, for the About sheet
    about = about_rows(builder.meta, _left_out(builder), builder.version, droughts)
    levels = sorted({lv for lv in builder.levels if lv > 0})
    return SendaiStream(builder, about, builder.country, levels, rows)


def long_frame(rows: list) -> pd.DataFrame:
    """The long table of row records (all of them, or a chunk: the same column types)."""
    long = pd.DataFrame(rows, columns=list(COLUMNS))
    long["admin_level"] = long["admin_level"].astype("Int64")
    long["denominator_year"] = pd.array(long["denominator_year"], dtype="Int64")
    long["year"] = pd.array(long["year"], dtype="Int64")
    return long


def sheet_parts(long: pd.DataFrame, levels) -> dict:
    """The rows of ``long`` (the table or a chunk of it) on each sheet of sendai.xlsx, in
    order: ``National``, ``Admin <level>`` (without the ``__outside__`` rows that end
    each of these sheets: key ``OUTSIDE``), ``By return period or event`` and
    ``Disaggregated`` (empty frames where none)."""
    totals = long[long["breakdown"] == ""]
    headline = totals["measure"].isin(HEADLINE)
    parts = {"National": totals[(totals["admin_level"] == 0) & headline]}
    for level in levels:
        parts[f"Admin {level}"] = totals[(totals["admin_level"] == level) & headline]
    parts[OUTSIDE] = totals[(totals["admin_code"] == OUTSIDE) & headline]
    parts["By return period or event"] = totals[totals["measure"].isin(SHEET_MEASURES["bands"])]
    parts["Disaggregated"] = long[long["breakdown"] != ""]
    return parts


RATE_NAME = ", per 100,000 population"
"""The end of the official name of a Sendai indicator that is a rate (A-2, B-1)."""


def definition_unit(ind) -> str:
    """The ``unit`` of an indicator on the ``Indicator definitions`` sheet, naming the
    long table's column of each: a Sendai rate (A-2, B-1: per 100,000 population, in
    ``per_100k``) first, then its count (people, in ``value_number``); a count of people
    first, its rate after; dwellings (no rate)."""
    count = f"{ind.unit} (value_number)"
    if ind.unit != "people":
        return count
    rate = "per 100,000 population (per_100k)"
    return f"{rate}; {count}" if ind.name.endswith(RATE_NAME) else f"{count}; {rate}"


def definitions_table(country: str, codes) -> pd.DataFrame:
    """The ``Indicator definitions`` sheet; ``codes``: the indicator codes of the table
    (``in_this_run``); ``unit`` names both the count and the rate where the long table
    has both (:func:`definition_unit`)."""

    def code(ind) -> str:
        return custom_code(country, int(ind.code[1:])) if ind.is_custom else ind.code

    return pd.DataFrame(
        [
            {
                "indicator_code": code(ind),
                "indicator_name": ind.name,
                "official_or_custom": "national custom indicator"
                if ind.is_custom
                else "Sendai Framework",
                "unit": definition_unit(ind),
                "sdg_series": ind.sdg_series,
                "definition": ind.definition,
                "displacement_type": ind.displacement_type,
                "displacement_timing": ind.timing,
                "displacement_duration": ind.duration,
                "in_this_run": code(ind) in codes,
            }
            for ind in INDICATORS
        ]
    )
