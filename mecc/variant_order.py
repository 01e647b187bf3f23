"""The warning a run gives when its curve variants do not lie around the central curve.

``low`` names the variant that displaces fewer people than the central curve and
``high`` the one that displaces more (DESIGN.md "Ranges and futures"). Curves that
cross are run (a ``low`` at or above ``high`` everywhere is refused when the curves are
read), so the national figures can still come out in another order: this says which
way, what to change in the run file's ``curve:`` / ``variants:`` for that case, and the
range every output shows meanwhile — the lowest to the highest of the central figure
and the variants (:func:`variant_range`), as sendai.csv's ``low`` / ``high``.
"""

from __future__ import annotations

import math
import warnings

from mecc.errors import MeccWarning

__all__ = ["variant_range", "warn_variants_out_of_order"]


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


def _finite(value) -> bool:
    try:
        return value is not None and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def warn_variants_out_of_order(hazard, summary: dict) -> None:
    """Warn when the ``low`` variant displaces more people than the central curve, or
    ``high`` fewer (beyond rounding), with advice that fits the case.

    The cases: ``low`` above and ``high`` below the central figure (swap the two
    variants); only one variant, on the wrong side (give it under the other name);
    both variants above, or both below, the central figure (the central curve is the
    fewest or the most of the three: choose another variant, or give the curve in the
    middle as ``curve:``). Curves are named as the run file gives them — a built-in
    name, a CSV file or an inline curve — so the advice speaks of the curves under
    ``variants:``, not of files.

    Parameters
    ----------
    hazard : mecc.config.Hazard
        The hazard (``id``, ``kind`` and ``curves``: central, low, high).
    summary : dict
        Its entry of summary.json, with the central figure and ``_low`` / ``_high``.
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

    def beyond(value, sign):  # on the wrong side of the central figure, beyond rounding
        return value is not None and sign * (value - central) > 1e-9 * abs(central)

    low_wrong, high_wrong = beyond(given.get("low"), 1), beyond(given.get("high"), -1)
    if not (low_wrong or high_wrong):
        return
    unit = " a year" if key == "aad" else ""
    names = {name: hazard.curves[name].name for name in ("central", *given)}
    values = {"central": central, **given}
    shown = ", ".join(
        f"{'the central curve' if name == 'central' else repr(name)} ({names[name]}) "
        f"{values[name]:,.1f}"
        for name in sorted(values, key=lambda n: values[n])
    )
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
        f"hazards.{hazard.id}: the curve variants are in the wrong order ('low' must "
        f"displace fewer people than the central curve and 'high' more); from fewest to "
        f"most, in people{unit}: {shown}; {advice}. Meanwhile the headline, the map and "
        f"the tables show the range {lowest:,.1f} to {highest:,.1f} (the lowest to the "
        "highest of the central figure and the variants)",
        MeccWarning,
        stacklevel=3,  # the caller of mecc.tables.hazard_tables
    )
