"""The warning a run gives when its curve variants do not lie around the central curve.

``low`` names the variant that displaces fewer people than the central curve and
``high`` the one that displaces more (DESIGN.md "Ranges and futures"). Curves that
cross are run (a ``low`` at or above ``high`` everywhere is refused when the curves are
read), so the national figures, or only some units' (zones.csv's), can still come out
in another order: this says which way, what to change in the run file's ``curve:`` /
``variants:`` for that case, and the range the headline, the map, sendai.csv and
needs.csv show meanwhile — the lowest to the highest of the central figure and the variants
(:func:`variant_range`), as sendai.csv's ``low`` / ``high`` — while zones.csv,
zones_bands.csv and summary.json keep each variant's own figure.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from mecc.errors import MeccWarning

__all__ = ["variant_range", "variant_ranges", "warn_variants_out_of_order"]


def variant_range(central, low=None, high=None) -> tuple[float, float] | None:
    """The range shown for a figure with curve variants: ``(lowest, highest)`` of the
    central figure and the variants given (finite ones), or None without a variant.

    The central figure always lies inside it: a run with only a ``low`` variant has the
    range low–central, one with only ``high`` central–high, and variants in the wrong
    order (curves that cross) still give a range around the central figure, as the
    Sendai tables' ``low`` / ``high`` (the finite minimum and maximum of central, low
    and high).

    Examples
    --------
    >>> variant_range(999_938.0, 999_999.8, 1_000_000.0)
    (999938.0, 1000000.0)
    >>> variant_range(100.0, low=80.0)
    (80.0, 100.0)
    >>> variant_range(100.0) is None
    True
    """
    ends = [float(v) for v in (low, high) if _finite(v)]
    if not ends or not _finite(central):
        return None
    values = [float(central), *ends]
    return min(values), max(values)


def variant_ranges(central, low, high) -> tuple[np.ndarray, np.ndarray]:
    """:func:`variant_range` of each element of arrays (NaN for a missing variant):
    the lowest and highest of the finite figures where the central figure and at least
    one variant are finite, NaN elsewhere (tables of many units, e.g. needs.csv).

    Examples
    --------
    >>> low, high = variant_ranges(
    ...     np.array([100.0, 100.0]), np.array([120.0, np.nan]), np.array([90.0, np.nan])
    ... )
    >>> low.tolist(), high.tolist()
    ([90.0, nan], [120.0, nan])
    """
    central, low, high = (np.asarray(a, dtype=np.float64) for a in (central, low, high))
    known = np.isfinite(central) & (np.isfinite(low) | np.isfinite(high))
    lowest = np.fmin(np.fmin(central, low), high)  # fmin skips NaN
    highest = np.fmax(np.fmax(central, low), high)
    return np.where(known, lowest, np.nan), np.where(known, highest, np.nan)


def _finite(value) -> bool:
    try:
        return value is not None and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def warn_variants_out_of_order(hazard, summary: dict, units=None, figures=None) -> None:
    """Warn when the ``low`` variant displaces more people than the central curve, or
    ``high`` fewer (beyond rounding), nationally or in some units, with advice that fits
    the case.

    The national cases: ``low`` above and ``high`` below the central figure (swap the
    two variants); only one variant, on the wrong side (give it under the other name);
    both variants above, or both below, the central figure (the central curve is the
    fewest or the most of the three: choose another variant, or give the curve in the
    middle as ``curve:``). Curves are named as the run file gives them — a built-in
    name, a CSV file or an inline curve — so the advice speaks of the curves under
    ``variants:``, not of files. With the national figure in order, curves that cross
    can still put some units' figures (the same figure, or a PMD) out of order: one
    warning says how many units and the farthest out (:func:`_units_out_of_order`).

    Parameters
    ----------
    hazard : mecc.config.Hazard
        The hazard (``id``, ``kind`` and ``curves``: central, low, high).
    summary : dict
        Its entry of summary.json, with the central figure and ``_low`` / ``_high``.
    units : pandas.DataFrame, optional
        The rows of zones.csv (``zone_code``, ``zone_name``, ``level``), in order.
    figures : dict, optional
        zones.csv's figures per row by column name (``aad``, ``aad_low``, ``pmd_25``...).
    """
    key = "displaced" if hazard.kind == "scenario" else "aad"
    central = summary.get(key)
    if central is None:
        return
    given = {
        name: summary.get(f"{key}_{name}")
        for name in ("low", "high")
        if summary.get(f"{key}_{name}") is not None
    }
    low_wrong = _beyond(central, given.get("low"), 1)
    high_wrong = _beyond(central, given.get("high"), -1)
    if not (low_wrong or high_wrong):
        if units is not None and figures is not None:
            _units_out_of_order(hazard, key, units, figures)
        return
    names = {name: hazard.curves[name].name for name in ("central", *given)}
    values = {"central": central, **given}
    if low_wrong and high_wrong:
        advice = (
            "'low' displaces more people than the central curve and 'high' fewer: swap the "
            f"curves given under variants: as 'low' ({names['low']}) and as 'high' "
            f"({names['high']})"
        )
    elif len(given) == 1:
        (name,) = given
        other = "high" if name == "low" else "low"
        side = "more" if name == "low" else "fewer"
        advice = (
            f"the only variant, {name!r}, displaces {side} people than the central curve: "
            f"give that curve ({names[name]}) as {other!r} instead of {name!r}"
        )
    else:  # both on one side: 'low' above and 'high' not below, or the reverse
        more, side = ("more", "low") if low_wrong else ("fewer", "high")
        middle = sorted(values, key=lambda n: values[n])[1]
        advice = (
            f"both variants displace as many people as the central curve or {more}, so "
            f"swapping them cannot help: give as {side!r} a curve that displaces "
            f"{'fewer' if low_wrong else 'more'} people than the central curve, or give the "
            f"curve in the middle ({names[middle]}) as the hazard's curve and the other two "
            "as its variants 'low' (the fewest) and 'high' (the most)"
        )
    lowest, highest = variant_range(central, given.get("low"), given.get("high"))
    warnings.warn(
        f"hazards.{hazard.id}: {WRONG} ({MUST}); from fewest to most, in "
        f"people{_PER[key]}: {_shown(names, values)}; {advice}. Meanwhile the headline, the "
        f"map and sendai.csv show the range {lowest:,.1f} to {highest:,.1f} (the lowest to "
        f"the highest of the central figure and the variants); {KEPT}",
        MeccWarning,
        stacklevel=3,  # the caller of mecc.tables.hazard_tables
    )


WRONG = "the curve variants are in the wrong order"
MUST = "'low' must displace fewer people than the central curve and 'high' more"
KEPT = "zones.csv, zones_bands.csv and summary.json keep each variant's own figure"
_PER = {"aad": " a year", "displaced": ""}


def _beyond(central, value, sign) -> bool:
    """Whether ``value`` is on the wrong side of the central figure (``sign`` 1: above,
    -1: below), beyond rounding."""
    return value is not None and sign * (value - central) > 1e-9 * abs(central)


def _shown(names: dict, values: dict) -> str:
    """The curves from fewest to most people, named as the run file gives them."""
    return ", ".join(
        f"{'the central curve' if name == 'central' else repr(name)} ({names[name]}) "
        f"{values[name]:,.1f}"
        for name in sorted(values, key=lambda n: values[n])
    )


def _units_out_of_order(hazard, key: str, units, figures: dict) -> None:
    """Warn once when some units' figures (``key``, and for return-period maps the PMDs
    of zones.csv) have a variant on the wrong side of the central figure, beyond
    rounding, naming how many units and the farthest out: the unit and figure where a
    variant lies the most people beyond the central figure (ties: the finer unit, then
    the first).

    An event set's PMDs are not compared: each variant's is read off its own exceedance
    curve, between events ranked by its own figures, so curves that never cross can
    still give a variant's PMD on the other side of the central one (a probe: the
    built-in steps at 1.5, 1 and 0.5 m gave low 2,011.6, high 2,242.2 around a central
    2,271.3). The AAD (a frequency-weighted sum) and a map's PMD (each map's figure,
    interpolated at the same return periods for every variant) keep the curves' order.
    """
    pmds = hazard.kind == "return_periods"
    figures = {
        name: np.asarray(values, dtype=float)
        for name, values in figures.items()
        if name == key or name.startswith(f"{key}_") or (pmds and name.startswith("pmd_"))
    }
    columns = [c for c in figures if c == key or (c.startswith("pmd_") and c[4:].isdigit())]
    levels = units["level"].astype("Float64").fillna(-1).to_numpy(float)
    wrong = np.zeros(len(units), dtype=bool)
    worst = None  # (gap, level, -row), row, column
    for column in columns:
        central = figures[column]
        gap = np.full(central.shape, -np.inf)
        for name, sign in (("low", 1), ("high", -1)):
            if f"{column}_{name}" in figures:
                gap = np.fmax(gap, sign * (figures[f"{column}_{name}"] - central))
        out = np.isfinite(central) & (gap > 1e-9 * np.abs(central))
        wrong |= out
        for row in np.flatnonzero(out):
            rank = (gap[row], levels[row], -row)
            if worst is None or rank > worst[0]:
                worst = (rank, row, column)
    if worst is None:
        return
    _, row, column = worst
    given = {
        name: float(figures[f"{column}_{name}"][row])
        for name in ("low", "high")
        if f"{column}_{name}" in figures and _finite(figures[f"{column}_{name}"][row])
    }
    central = float(figures[column][row])
    values = {"central": central, **given}
    names = {name: hazard.curves[name].name for name in values}
    out = [n for n, s in (("low", 1), ("high", -1)) if _beyond(central, given.get(n), s)]
    side = {"low": "no more", "high": "no fewer"}
    advice = " and as ".join(f"{n!r} a curve that displaces {side[n]} people" for n in out)
    lowest, highest = variant_range(central, given.get("low"), given.get("high"))
    count = int(wrong.sum())
    code, name = units["zone_code"].iloc[row], units["zone_name"].iloc[row]
    unit = "people a year" if column == "aad" else "people"
    warnings.warn(
        f"hazards.{hazard.id}: {WRONG} in {count} unit{'s' if count > 1 else ''} of "
        f"zones.csv, though not in the national figure ({key}) ({MUST}): the curves cross, "
        "so which one displaces more people depends on the intensities in each unit. The "
        f"farthest out is unit {code} ({name}), {column} in {unit}: from fewest to most, "
        f"{_shown(names, values)}. Change the curves under variants: so that they do not "
        f"cross the central curve: give as {advice} than the central curve "
        f"({names['central']}) at any intensity. Meanwhile the headline, the map and "
        "sendai.csv show the lowest to the highest of the central figure and the variants "
        f"(for that unit {lowest:,.1f} to {highest:,.1f}); {KEPT}",
        MeccWarning,
        stacklevel=4,  # the caller of mecc.tables.hazard_tables
    )
