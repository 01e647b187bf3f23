"""Checks of a hazard's exposure threshold and displacement curves against its type.

Exposed people are those at or above the exposure threshold; displaced people are
``curve(intensity)`` of the people of a cell (DESIGN.md, semantics: exposure is
independent of the curve, so the two are different numbers). Both must make sense for the
hazard type:

- the exposure threshold, and a step a run file gives (``{step: X}``,
  ``{survivors_step: {threshold: X}}``, in ``curve`` or ``variants``), lie in the type's
  valid range (``HazardType.valid_range``: MMI 0.5-12.5, depth 0-50 m, ...): a threshold
  of MMI 15 exposes nobody, a step of MMI 15 displaces nobody;
- an exposure threshold (the type's default or one the run file gives) above the
  intensity a displacement curve already displaces from is warned about
  (:func:`warn_displaced_below_threshold`): people below it are displaced without being
  counted as exposed, so a unit may show more displaced than exposed people. The
  default is warned about too: a CLIMADA impact function rising from 0 m under the
  0.1 m flood default gives tables with more displaced than exposed people, and the
  warning says why (the definition of exposure itself stays the same).

Every built-in displacement curve passes with its types' default thresholds; damage-state
curves (Sendai B-3/B-4) are not displacement and are not checked.
"""

from __future__ import annotations

import math

import numpy as np

from mecc.errors import ConfigError

__all__ = [
    "check_exposure_threshold",
    "check_steps",
    "share_below",
    "warn_displaced_below_threshold",
]


def _range_text(hazard_type) -> str:
    lo, hi = hazard_type.valid_range
    return f"{lo:g}-{hi:g} {hazard_type.unit}"


def check_exposure_threshold(threshold, hazard_type, where: str) -> float:
    """The exposure threshold as a float, refused outside the type's valid range.

    Raises
    ------
    ConfigError
        ``{where}.exposure_threshold: ...`` for a non-number or a value outside
        ``hazard_type.valid_range`` (bounds included).
    """
    if not isinstance(threshold, int | float) or isinstance(threshold, bool):
        raise ConfigError(f"{where}.exposure_threshold: give a number")
    lo, hi = hazard_type.valid_range
    if not (math.isfinite(threshold) and lo <= threshold <= hi):
        raise ConfigError(
            f"{where}.exposure_threshold: {threshold:g} {hazard_type.unit} is outside the "
            f"valid range of {hazard_type.name} {hazard_type.measure} ({_range_text(hazard_type)})"
        )
    return float(threshold)


STEP_KEYS = {"step": None, "survivors_step": "threshold"}
"""Curve generators whose parameter is a step in the type's unit (the key inside it)."""


def check_steps(spec: dict, hazard_type, where: str) -> None:
    """Refuse a step a run file gives outside the type's valid range.

    ``spec`` is the hazard entry; its ``curve`` and each ``variants`` curve are looked at
    when they are generator mappings (``{step: X}``, ``{survivors_step: {threshold: X}}``).
    """
    curves = [("curve", spec.get("curve"))]
    if isinstance(spec.get("variants"), dict):
        curves += [(f"variants.{k}", v) for k, v in spec["variants"].items()]
    lo, hi = hazard_type.valid_range
    for key, curve in curves:
        if not isinstance(curve, dict) or len(curve) != 1:
            continue
        ((kind, params),) = curve.items()
        if kind not in STEP_KEYS:
            continue
        inner = STEP_KEYS[kind]
        value = params.get(inner) if inner and isinstance(params, dict) else params
        label = f"{where}.{key}.{kind}" + (f".{inner}" if inner else "")
        if isinstance(value, str):  # a number in quotes (as the curve's reading takes it)
            try:
                value = float(value)
            except ValueError:
                continue  # not a number: the curve's own reading refuses it
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if not (math.isfinite(value) and lo <= value <= hi):
            raise ConfigError(
                f"{label}: {value:g} {hazard_type.unit} is outside the valid range of "
                f"{hazard_type.name} {hazard_type.measure} ({_range_text(hazard_type)})"
            )


def share_below(curve, threshold: float) -> tuple[float, float] | None:
    """An intensity in ``(0, threshold)`` where ``curve`` gives a share above 0, with the
    share, or None when it gives 0 everywhere there.

    Exact for the curves' rules (linear between points, right-continuous steps): on each
    piece between consecutive points the share is linear or constant, so it is positive
    somewhere inside a piece only if it is at the piece's start, its middle or just
    before its end.
    """
    if not threshold > 0:
        return None
    x = np.asarray(curve.intensity, dtype=np.float64)
    edges = np.unique(np.concatenate([[0.0], x[(x > 0) & (x < threshold)], [threshold]]))
    probes = np.concatenate(
        [
            edges[1:-1],  # the points themselves (the upper share at a step)
            (edges[:-1] + edges[1:]) / 2,  # inside each piece
            [np.nextafter(threshold, 0.0)],  # just below the threshold
        ]
    )
    probes = np.unique(probes[(probes > 0) & (probes < threshold)])
    if probes.size == 0:
        return None
    share = curve.evaluate(probes)
    positive = np.flatnonzero(share > 0)
    if positive.size == 0:
        return None
    k = int(positive[0])
    return float(probes[k]), float(share[k])


def _onset(curve) -> float | None:
    """The smallest intensity (at least 0) from which a curve displaces people: its
    first point with a share above 0 (a step), or the point before it (a linear rise);
    None when it displaces nobody."""
    x = np.asarray(curve.intensity, dtype=np.float64)
    y = np.asarray(curve.share, dtype=np.float64)
    positive = np.flatnonzero(y > 0)
    if positive.size == 0:
        return None
    k = int(positive[0])
    if k == 0:  # clamped: the first share holds below the first point
        return 0.0
    return max(float(x[k] if curve.kind == "step" or x[k] == x[k - 1] else x[k - 1]), 0.0)


def warn_displaced_below_threshold(curves: dict, threshold: float, hazard_type, where: str):
    """Warn when a displacement curve displaces people below the exposure threshold in
    force, the type's default or one the run file gives (exposed and displaced are different numbers, DESIGN.md; this says
    when a unit may show more displaced than exposed people, and why).

    Parameters
    ----------
    curves : dict
        The displacement curves of the hazard, by variant (``central``, ``low``, ``high``).
    threshold : float
        The exposure threshold in force (canonical unit).
    where : str
        How messages name the hazard entry.

    Warns
    -----
    MeccWarning
        Naming the entry's ``curve`` (or ``variants.NAME``), an intensity and share below
        the threshold, and the intensity the curve displaces from.
    """
    unit = hazard_type.unit
    below = {v: share_below(c, threshold) for v, c in curves.items()}
    below = {v: found for v, found in below.items() if found is not None}
    if not below:
        return
    import warnings

    from mecc.errors import MeccWarning

    onset = min(_onset(curves[v]) for v in below)
    variant, (at, share) = next(iter(below.items()))
    curve = curves[variant]
    key = "curve" if variant == "central" else f"variants.{variant}"
    named = "" if curve.name.startswith(where) else f" ({curve.name})"
    warnings.warn(
        f"{where}.{key}{named}: the curve displaces people below exposure_threshold "
        f"{threshold:g} {unit} (share {share:g} at {at:g} {unit}; it displaces from "
        f"{onset:g} {unit}): they count as displaced but not as exposed, so a unit may "
        "show more displaced than exposed people",
        MeccWarning,
        stacklevel=3,
    )
