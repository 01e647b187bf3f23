"""The names the toolkit gives the curves a run file writes as mappings.

An inline curve (``curve: {step: 1}`` in a run file) is named for what it is, in the
hazard type's unit: ``step at 1 m``, ``classes at 64, 83, 96 kt``, ``step at MMI 6``,
``inline curve, 4 points (0-3 m)`` (:func:`inline_name`). Results, manifests, maps and
profiles show that name (``mecc/locales/curves.yaml`` ``shapes`` translate it).
"""

from __future__ import annotations

__all__ = ["INDEX_UNITS", "inline_name"]


def inline_name(spec: dict, curve, unit: str | None = None) -> str:
    """What an inline curve is, as results and reports name it.

    ``step at 1 m`` ({step: 1}), ``classes at 64, 83, 96 kt`` ({classes: ...}),
    ``Emanuel curve (v_thresh 25.7 m/s, v_half 74.7 m/s)``, ``step at 41.2 m/s (Emanuel
    damage 0.5)`` ({emanuel_threshold: ...}), ``step at MMI 6`` ({survivors_step: ...};
    ``survivors of a step at MMI 6`` with a fatality model), ``inline curve, 4 points
    (0-3 m)`` (points; ``inline step curve`` for ``kind: step``). No colon: a colon
    separates a library curve from its variant (``NAME:low``).
    """
    if "intensity" in spec:
        lo, hi = curve.intensity[0], curve.intensity[-1]
        n = len(curve.intensity)
        span = _amount(lo, unit) if lo == hi else _span(lo, hi, unit)
        kind = "inline step curve" if curve.kind == "step" else "inline curve"
        return f"{kind}, {n} point{'s' if n != 1 else ''} ({'at ' if lo == hi else ''}{span})"
    ((generator, params),) = spec.items()
    if generator == "step":
        return f"step at {_amount(float(params), unit)}"
    if generator == "classes":  # bounds in several units (mph, kt, ...): the ones used
        given, bounds = params.get("bounds_unit") or unit, params["bounds"]
        if isinstance(bounds, dict):
            given, bounds = unit or "m/s", [f"{b:.4g}" for b in curve.intensity[1:]]
        return f"classes at {_amount(', '.join(f'{float(b):g}' for b in bounds), given)}"
    if generator == "emanuel":
        return (
            f"Emanuel curve (v_thresh {_amount(float(params['v_thresh']), unit)}, "
            f"v_half {_amount(float(params['v_half']), unit)})"
        )
    at = curve.intensity[0] if len(curve.intensity) > 1 else float("inf")
    step = f"step at {_amount(f'{at:.4g}', unit)}" if at != float("inf") else "no step"
    if generator == "emanuel_threshold":
        return f"{step} (Emanuel damage {float(params['tau']):g})"
    if params.get("fatality") is not None:  # survivors_step with its fatality model
        return f"survivors of a {step}"
    return step


INDEX_UNITS = ("MMI", "-SPEI")
"""Units written before their value (``MMI 6``), as intensity scales are."""


def _amount(value, unit: str | None) -> str:
    shown = f"{value:g}" if isinstance(value, float) else str(value)
    if not unit:
        return shown
    return f"{unit} {shown}" if unit in INDEX_UNITS else f"{shown} {unit}"


def _span(lo: float, hi: float, unit: str | None) -> str:
    joined = f"{lo:g}-{hi:g}" if lo >= 0 else f"{lo:g} to {hi:g}"
    return _amount(joined, unit)
