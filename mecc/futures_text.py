"""The texts and files of futures: futures.csv, attribution.csv and futures.xlsx.

:func:`futures_about` writes the About sheet of futures.xlsx, each future's row naming
what it changes: per hazard the parameters a future gives beside the baseline's
(:func:`change_text` of :attr:`mecc.futures.Future.changes`: a sea-level rise's rise in
metres and water level at high tide, a grid's file, a scenario's name); the tables come
from :func:`mecc.futures.attribution_tables`. :func:`emptied_units_warning` says when a
future population grid has no people in units where the baseline has some.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mecc import tables

__all__ = [
    "FUTURES_COLUMNS",
    "change_text",
    "emptied_units_warning",
    "futures_about",
    "write_future_outputs",
]

FUTURES_COLUMNS = {
    "future_id": "Identifier of the future (run file futures[].id).",
    "future_label": "Its label: pathway and period as the run file gives them.",
    "hazard_id": "The baseline hazard whose figure is compared.",
    "figure": "aad: people displaced a year on average; displaced: people displaced by a "
    "scenario; at_risk_relocation: people at risk of planned relocation (sea-level rise, a "
    "count, not per year); drought_<class>: people in that drought severity class "
    "(exposure only).",
    "zone_code": "Admin unit code (the country code for the national total; __outside__ for "
    "people on the grid outside every unit).",
    "zone_name": "Admin unit name.",
    "level": "Admin level (0 national; blank for __outside__, and for the whole grid's row "
    "beside a level-0 unit with the country's code whose figures differ from it: people "
    "outside every unit).",
    "population_baseline": "People of the unit in the baseline.",
    "population_future": "People of the unit in the future (grid or growth factors; with a "
    "grid, the people in displacement sites as in the baseline).",
    "baseline": "The figure now (central curve).",
    "future": "The figure in the future: future hazard with future population (central curve).",
    "change": "future - baseline.",
    "change_pct": "change / baseline x 100 (empty where the baseline is 0).",
    "baseline_low": "The baseline figure with the low curve variant (sea-level rise: the "
    "DEM raised by 1 m).",
    "baseline_high": "The baseline figure with the high curve variant (sea-level rise: the "
    "DEM lowered by 1 m).",
    "future_low": "The future figure with the low curve variant (sea-level rise: the DEM "
    "raised by 1 m).",
    "future_high": "The future figure with the high curve variant (sea-level rise: the DEM "
    "lowered by 1 m).",
    "change_total": "future - baseline (central curve).",
    "climate_only": "Future hazard with baseline population, minus the baseline.",
    "population_only": "Baseline hazard with future population, minus the baseline.",
    "interaction": "change_total - climate_only - population_only (so the three add up).",
}
"""The meaning of every column of futures.csv and attribution.csv."""


def futures_about(futures) -> list[tuple[str, str]]:
    """The About sheet of futures.xlsx: what the tables are, assumptions, each future."""
    rows = [
        (
            "What this is",
            "For each future and hazard, the change of each admin unit's headline figure "
            "from the baseline (sheet Futures) and its exact split into climate alone, "
            "population alone and their interaction (sheet Attribution). " + tables.MODELLED_NOTE,
        ),
        (
            "Slow-onset hazards",
            "Sea-level rise: people at risk of planned relocation (figure at_risk_relocation, "
            "a count, not per year), living where the sea would stand at high tide after the "
            "rise; a future may give its own rise (slr) or DEM. Drought: the people in each "
            "severity class (one figure per class, drought_<class>; exposure only). Both "
            "count residents (no seasonal presence) and are sums of people x a per-cell "
            "share, so growth factors and a future grid apply to them exactly.",
        ),
        (
            "Attribution of change",
            "climate_only = F(future hazard, baseline population) - F(baseline); "
            "population_only = F(baseline hazard, future population) - F(baseline); "
            "interaction = change_total - climate_only - population_only. The three add up "
            "to the total change exactly.",
        ),
        (
            "Ranges",
            "baseline_low/_high and future_low/_high are the same figure with the low and "
            "high curve variants of the hazard (the range of the displacement curve; for "
            "sea-level rise the DEM raised and lowered by 1 m). They are not a "
            "climate-model range: give each model or pathway as its own future.",
        ),
        (
            "Method and sources",
            tables.METHOD_NOTE
            + " The curves and their published sources, and every input file with its "
            "SHA-256, are listed in manifest.json and in the About sheet of sendai.xlsx.",
        ),
        (
            "Assumption: stationary vulnerability",
            "The same displacement curves now and in the future: no change in building "
            "standards, early warning or household behaviour.",
        ),
        (
            "Assumption: no adaptation",
            "No new defences or relocation policies unless the future's hazard grids contain them.",
        ),
        (
            "Assumption: population projection",
            "The projection is the one the run file gives (its source and year belong in "
            "the future's label and year). Growth factors scale each unit's people "
            "uniformly (the people in displacement sites included). A future population "
            "grid replaces the baseline grid (population.path) only: the people in "
            "displacement sites are added or moved as in the baseline, the population."
            "scale_to factors (target / the baseline grid's people, per unit) scale it too, "
            "and seasonal presence applies as in the baseline; so a future grid equal to "
            "the baseline's changes nothing.",
        ),
        (
            "Periods",
            "A hazard period far from the population year is warned about; the warning is "
            "recorded in manifest.json.",
        ),
    ]
    for future in futures:
        parts = [future.label]
        if future.period:
            parts.append(f"period {future.period}")
        if future.hazards:
            parts.append("future hazard sets for " + ", ".join(sorted(future.hazards)))
            changes = getattr(future, "changes", {}) or {}
            parts += [change_text(h, changes[h]) for h in sorted(future.hazards) if h in changes]
        if future.population is not None:
            shown = getattr(future, "grid_label", None) or future.population.label
            parts.append(f"population grid {shown}")  # the same whatever the run file
            if future.kept:
                parts.append("kept from the baseline: " + ", ".join(future.kept))
        elif future.growth is not None:
            national = future.growth.get(None)
            per_zone = len(future.growth) - (None in future.growth)
            growth = []
            if national is not None:
                growth.append(f"national factor {national:g}")
            if per_zone:
                growth.append(f"factors for {per_zone} units")
            parts.append("population growth: " + ", ".join(growth))
        else:
            parts.append("baseline population")
        if future.year is not None:
            parts.append(f"population year {future.year}")
        rows.append((f"Future {future.id}", "; ".join(parts) + "."))
    return rows


def emptied_units_warning(future, zones, baseline, people, shown: int = 5) -> str | None:
    """A warning when a future population grid has no people in units where the
    baseline has some: nodata over a whole unit (or 0), which the future counts as
    nobody there, a loss shown as "population alone".

    Parameters
    ----------
    future : mecc.futures.Future
        With its population grid (``future.population``).
    zones : exposure.zones.Zones
    baseline, people : numpy.ndarray
        People per finest unit and the outside bucket: the baseline's and the future
        grid's (the passes' ``population``).
    shown : int
        Units named at most (the count gives the rest).

    Returns
    -------
    str or None
        The message naming the future, its grid, the units (name, code, the baseline's
        people there) and their people in all; None when every unit keeps people.
    """
    n = zones.n
    before = np.asarray(baseline, dtype=np.float64)[:n]
    after = np.asarray(people, dtype=np.float64)[:n]
    lost = np.flatnonzero((before > 0) & ~(after > 0))
    if not lost.size:
        return None
    codes, names = zones.finest.codes, zones.finest.names
    listed = ", ".join(
        f"{names[k]} ({codes[k]}, {before[k]:,.0f} people in the baseline)" for k in lost[:shown]
    )
    more = f" and {lost.size - shown} more" if lost.size > shown else ""
    return (
        f"futures.{future.id}: the population grid {future.population.label} has no people "
        f"(nodata or 0 on every cell) in {lost.size} unit(s) where the baseline has "
        f"{before[lost].sum():,.0f}: {listed}{more}; this future counts nobody there (a loss "
        "shown as 'population alone'); check the grid's nodata and its coverage"
    )


def _value(value) -> str:
    if value is None:
        return "not given"
    if isinstance(value, dict):  # return_periods: period: file
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return f"{value:g}" if isinstance(value, float) else str(value)


def _beside(name: str, now, then, unit: str = "") -> str:
    """``name`` with the future's value, and the baseline's where it differs."""
    text = f"{name} {_value(then)}{unit}"
    return text + (f" (baseline {_value(now)}{unit})" if now != then else " (as the baseline)")


def change_text(hazard_id: str, record: dict) -> str:
    """What a future gives of a hazard, beside the baseline's values (a record of
    :func:`mecc.future_inputs.changed_parameters`): ``slr: sea-level rise 0.8 m since
    1995-2014 (baseline 0.5 m), water level at high tide 1.300 m in EGM2008 (baseline
    1.000 m; high tide 0.5 m in EGM2008)``, ``drought: intensity drought_2050.tif
    (baseline drought.tif), scenario 2050 (baseline 2015-16)``."""
    now, then = record["baseline"], record["future"]
    if "water_level_m" in then:  # a sea-level rise
        text = [
            f"sea-level rise {then['slr_m']:g} m since {then['slr_baseline']} "
            + (
                f"(baseline {now['slr_m']:g} m)"
                if now["slr_m"] != then["slr_m"]
                else "(as the baseline)"
            ),
            f"water level at high tide {then['water_level_m']:.3f} m in {then['datum']} "
            + (
                f"(baseline {now['water_level_m']:.3f} m; "
                if now["water_level_m"] != then["water_level_m"]
                else "(as the baseline; "
            )
            + f"high tide {then['high_tide_m']:g} m in {then['tide_datum']})",
        ]
        text += [
            _beside(k, now.get(k), then.get(k))
            for k in ("dem", "period")
            if now.get(k) != then.get(k)
        ]
        return f"{hazard_id}: " + ", ".join(text)
    keys = list(then)
    return f"{hazard_id}: " + ", ".join(_beside(k, now.get(k), then.get(k)) for k in keys)


def write_future_outputs(folder, futures, frames, country: str) -> None:
    """Write futures.csv, attribution.csv and futures.xlsx (About, Futures, Attribution,
    Columns) into ``folder``."""
    from pathlib import Path

    from mecc.outputs import write_csv
    from mecc.workbook import write_workbook

    folder = Path(folder)
    comparison, attribution = frames
    write_csv(comparison, folder / "futures.csv")
    write_csv(attribution, folder / "attribution.csv")
    about = pd.DataFrame(futures_about(futures), columns=["topic", "text"])
    used = [c for c in FUTURES_COLUMNS if c in comparison.columns or c in attribution.columns]
    columns = pd.DataFrame([(c, FUTURES_COLUMNS[c]) for c in used], columns=["column", "meaning"])
    write_workbook(
        folder / "futures.xlsx",
        f"Futures and the attribution of change ({country}), modelled estimates",
        [
            ("About", about, {"topic": 34, "text": 120}),
            ("Futures", comparison, None),
            ("Attribution", attribution, None),
            ("Columns", columns, {"column": 22, "meaning": 100}),
        ],
    )
