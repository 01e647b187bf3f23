"""The summaries of ``mecc evaluate`` beyond the per-zone table: the national totals, the
scatter plot, and the options that set them (``--threshold``, ``--national-observed``,
``--context``).

Like with like:

- Without ``--national-observed``, an observed file that reports only some units of the
  run is compared with the modelled figures **of those units only** (the units with an
  observed and a modelled figure, as the per-zone statistics): a unit missing from the
  file was not reported, and the whole country's model against a part of it would make
  any model look too high. When every unit of the run is reported, the whole run (with
  the people outside every unit) is compared with the sum of the rows.
- With ``--national-observed`` (an official national figure), the whole run is compared
  with it, and a figure below the sum of the file's own rows is warned about.
- Rows whose code is no unit of the run (e.g. a ``TOTAL`` row) count nowhere: not in the
  statistics, not in the observed national total.
- The ``observed_within_range`` check uses the same figures as the ratio.

``scope`` in ``evaluation.json`` ``national`` says which comparison was made
(``observed_units`` or ``whole_run``) and ``scope_text`` says it in words.

``scatter.png`` (:func:`scatter_png`) says under the plot which modelled figure was
compared (a proxy said so: displaced people / household size is no count of houses) and
the sources (curve, population, observed figures).
"""

from __future__ import annotations

import math
from numbers import Real

import pandas as pd

from mecc.errors import ConfigError

__all__ = [
    "check_national_observed",
    "check_threshold",
    "national_totals",
    "parse_context",
    "scatter_png",
]


def check_threshold(threshold) -> float:
    """``--threshold``: a finite number above 0, else a ConfigError naming it (exit 2).

    A zone is an event (observed or modelled) when its value is at or above the
    threshold. At 0 every zone would be an event on both sides, so every zone a hit and
    any model perfect; for "any damage" give 1 (one house, one person).
    """
    if not (
        isinstance(threshold, Real)
        and not isinstance(threshold, bool)
        and math.isfinite(threshold)
        and threshold > 0
    ):
        raise ConfigError(
            f"--threshold: give a number above 0 (zones at or above it are events; at 0 every "
            f"zone would be a hit), got {threshold!r}; for any damage give 1"
        )
    return float(threshold)


def check_count(option: str, value) -> None:
    """Refuse an option value that is not a finite number >= 0 (NaN, infinite, negative)."""
    if value is not None and not (
        isinstance(value, int | float) and math.isfinite(value) and value >= 0
    ):
        raise ConfigError(f"{option}: give a number >= 0, got {value!r}")


def check_national_observed(value, unit: str) -> float | None:
    """``--national-observed``: a count above 0 (a whole number, as the observed rows are),
    else a ConfigError naming the option (exit 2); None when not given."""
    check_count("--national-observed", value)
    if value is None:
        return None
    if value != math.floor(value):
        raise ConfigError(
            f"--national-observed: {value!r} is not a count (a whole number >= 0): {unit} "
            "are counted whole, as the observed rows are"
        )
    if value == 0:
        raise ConfigError(
            f"--national-observed: a national figure of 0 {unit} cannot be compared "
            "(modelled / 0); give the official national count, or leave the option out to "
            "compare with the rows of the observed file"
        )
    return float(value)


def parse_context(context) -> list[tuple[str, float]]:
    """``--context LABEL=VALUE`` items (people, for context only) as (label, number)."""
    parsed = []
    for item in context or ():
        if isinstance(item, tuple):
            label, value = item
        else:
            label, sep, value = str(item).rpartition("=")
            if not sep or not label.strip():
                raise ConfigError(
                    f"--context {item!r}: use LABEL=VALUE, e.g. 'IDMC displacements=4100000'"
                )
        try:
            number = float(str(value).replace(",", "").replace("_", ""))
        except ValueError:
            raise ConfigError(f"--context {item!r}: {value!r} is not a number") from None
        if not (math.isfinite(number) and number >= 0):
            raise ConfigError(
                f"--context {item!r}: give a number of people >= 0, got {str(value).strip()!r}"
            )
        parsed.append((str(label).strip(), number))
    return parsed


def _column(variant: str) -> str:
    return "modelled" if variant == "central" else f"modelled_{variant}"


def national_totals(
    zones: pd.DataFrame,
    matched: pd.DataFrame,
    outside: dict,
    variants,
    national_observed: float | None,
    unit: str,
) -> tuple[dict, list[str]]:
    """The national comparison (module docstring) and the notes that explain it.

    Parameters
    ----------
    zones : DataFrame
        Every unit of the compared level: ``observed`` (NaN: not reported) and the
        modelled columns (``modelled``, ``modelled_low``, ...; NaN: not known, no grid
        cell).
    matched : DataFrame
        The units compared zone by zone (an observed and a modelled figure).
    outside : dict
        Modelled figure outside every unit, per variant.
    variants : sequence of str
        ``central`` first, then ``low`` / ``high`` where the run has them.
    national_observed : float or None
        ``--national-observed`` (checked by :func:`check_national_observed`).
    unit : str
        ``houses`` or ``people``, for the notes.

    Returns
    -------
    (dict, list of str)
        ``evaluation.json`` ``national`` and the notes (each also a warning line).
    """
    units, reported = len(zones), int(zones["observed"].notna().sum())
    rows_total = float(zones["observed"].sum())  # rows matching a unit of the run only
    whole = national_observed is not None or reported == units
    national = {
        "observed_rows_total": rows_total,
        "scope": "whole_run" if whole else "observed_units",
        "units": units,
        "units_reported": reported,
        "units_compared": len(matched),
    }
    notes = []
    if national_observed is not None:
        national["observed_national_figure"] = float(national_observed)
        if national_observed < rows_total:
            notes.append(
                f"--national-observed {national_observed:,.0f} {unit} is below the sum of the "
                f"observed file's rows ({rows_total:,.0f} {unit} in {reported:,} units of the "
                "run): a national figure cannot be smaller than its units' own; check the "
                "figure and the file"
            )
    observed = (
        float(national_observed)
        if national_observed is not None
        else rows_total
        if whole
        else float(matched["observed"].sum())
    )
    national["observed"] = observed
    for variant in variants:
        column = _column(variant)
        whole_run = float(zones[column].sum() + outside[variant])  # unknown units: skipped
        national[f"{column}_whole_run"] = whole_run
        national[f"{column}_observed_zones"] = float(matched[column].sum())
        national[column] = whole_run if whole else national[f"{column}_observed_zones"]
    national["ratio"] = national["modelled"] / observed if observed else math.nan
    if {"low", "high"} <= set(variants):
        low, high = sorted((national["modelled_low"], national["modelled_high"]))
        national["observed_within_range"] = bool(low <= observed <= high)
    if whole:
        national["scope_text"] = (
            f"the whole run ({units:,} units and people outside every unit) against "
            + (
                "the national figure given (--national-observed)"
                if national_observed is not None
                else "the sum of the rows (every unit of the run reported)"
            )
        )
    else:
        unknown = reported - len(matched)
        national["scope_text"] = (
            f"national figures over the {len(matched):,} of {units:,} units observed"
            + (f" and modelled ({unknown:,} observed without a grid cell)" if unknown else "")
        )
        notes.append(
            f"{national['scope_text']}: modelled {national['modelled']:,.0f} vs observed "
            f"{observed:,.0f} {unit}, like with like (the units not reported are left out, "
            f"not counted as zeros; the whole run models {national['modelled_whole_run']:,.0f}"
            "); give --national-observed to compare the whole run with an official "
            "national figure"
        )
    return national, notes


def _population_source(population: dict) -> str:
    text = population.get("attribution") or population.get("source") or "not recorded"
    return text if text.lower().startswith("population") else f"population: {text}"


def scatter_png(figures: dict, observed, modelled) -> bytes:
    """scatter.png: modelled against observed per zone (central curve), log axes, 1:1
    line, with the figure compared (a proxy said so) and the sources under the plot."""
    from mecc.figures import log_scatter_png

    central, label = figures["zones"], figures["observed"]["measure_label"]
    record, sources = figures["modelled"], figures["sources"]

    def two(value):
        return "n/a" if value != value else f"{value:.2f}"

    notes = (
        f"{central['zones']} observed zones ({central['reported_zeros']} reported zeros, "
        f"{central['both_zero']} zero in both)",
        f"statistics over the {central['zones_compared']} zones not 0 in both:",
        f"Pearson r of log(1 + value): {two(central['pearson_log1p'])}",
        f"Spearman rank correlation: {two(central['spearman'])}",
        f"median of (1 + modelled) / (1 + observed): {two(central['median_ratio'])}",
    )
    curve, data = sources["method"]["curve"], sources["data"]
    about = ", ".join(str(v) for v in (curve.get("title"), curve.get("year")) if v)
    population = data["population"]
    cited = [
        f"curve {curve.get('name') or 'not recorded'}{f' ({about})' if about else ''}",
        *(
            f"damage curve {key.replace(':', ' ')} {item.get('name')}"
            for key, item in (sources["method"].get("damage_curve") or {}).items()
        ),
        _population_source(population),
        f"observed: {data['observed'].get('source') or 'source not given (--observed-source)'}",
    ]
    proxy = record.get("proxy")
    compared = (
        f"Proxy: modelled {label} = displaced people / {record['household_size']:g} people "
        "per household (--household-size), as the run has no damage_curve; not houses counted"
        if proxy
        else f"Modelled {label}: {record['description']}"
    )
    return log_scatter_png(
        observed,
        modelled,
        x_label=f"observed {label} + 1",
        y_label=f"modelled {label}{' (proxy)' if proxy else ''} + 1 (central curve)",
        title=figures["title"],
        notes=notes,
        threshold=central["threshold"],
        footer=(compared, "Sources: " + "; ".join(cited)),
    )
