"""Displacement curves: intensity -> share of people displaced.

A curve is piecewise linear (clamped at the ends; two points with the same intensity
make a vertical step whose value exactly at the step is the upper share) or an
explicit right-continuous step function. Curves are data: CSV files with columns
``intensity,share`` (the run contract), the built-in library
``hazards/curves/library.yaml`` (``hazards.library``), or inline mappings in a run file.

Why an explicit step rule: CLIMADA builds steps as ``np.interp`` over a repeated
point (``ImpactFunc.from_step_impf``), whose value at the repeated point numpy leaves
undefined; here the value at the step is defined (the upper share), which is also what
CLIMADA's reference results on ../shared/data/austria_flood show.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field, replace

import numpy as np

from hazards.curve_names import inline_name
from mecc.errors import (
    ConfigError,
    CurveError,
    DataError,
    InputFileError,
    MeccError,
    MeccWarning,
    read_input_table,
)
from mecc.kernels import CURVE_LINEAR, CURVE_STEP

__all__ = [
    "VARIANT_ORDER",
    "Curve",
    "dry_share",
    "load_curve",
    "load_curve_set",
    "pack_curves",
    "read_curve_csv",
]

VARIANT_ORDER = ("central", "low", "high")
"""Variants a run evaluates, in this order (``low`` displaces fewer people, ``high`` more)."""

KINDS = {"linear": CURVE_LINEAR, "step": CURVE_STEP}


@dataclass(frozen=True)
class Curve:
    """A displacement curve.

    Attributes
    ----------
    name : str
    intensity, share : tuple of float
        The points; intensities non-decreasing (``linear``) or increasing (``step``).
    kind : {"linear", "step"}
    unit : str or None
        Intensity unit of the points (the hazard type's canonical unit).
    source : str
        Where the curve comes from (citation or file path).
    """

    name: str
    intensity: tuple[float, ...]
    share: tuple[float, ...]
    kind: str = "linear"
    unit: str | None = None
    source: str = ""
    metadata: dict = field(default_factory=dict, compare=False)

    def __post_init__(self):
        label = self.name
        if self.kind not in KINDS:
            raise CurveError(f"{label}: kind must be one of {', '.join(KINDS)}, not {self.kind!r}")
        x = np.asarray(self.intensity, dtype=np.float64)
        y = np.asarray(self.share, dtype=np.float64)
        if x.ndim != 1 or x.shape != y.shape or x.size < 1:
            raise CurveError(f"{label}: intensity and share need the same number of points (>= 1)")
        if not (np.isfinite(x).all() and np.isfinite(y).all()):
            raise CurveError(f"{label}: intensity and share must be finite numbers")
        if ((y < 0) | (y > 1)).any():
            bad = y[(y < 0) | (y > 1)][0]
            raise CurveError(f"{label}: share {bad:g} is outside [0, 1]")
        steps = np.diff(x)
        if (steps < 0).any():
            k = int(np.argmax(steps < 0))
            raise CurveError(
                f"{label}: intensity must not decrease (row {k + 2}: {x[k + 1]:g} after {x[k]:g})"
            )
        if self.kind == "step" and (steps == 0).any():
            raise CurveError(f"{label}: a step curve needs strictly increasing intensities")
        repeats = (steps[:-1] == 0) & (steps[1:] == 0) if steps.size > 1 else np.array([False])
        if repeats.any():
            k = int(np.argmax(repeats))
            raise CurveError(f"{label}: intensity {x[k]:g} appears more than twice")

    def evaluate(self, intensity) -> np.ndarray:
        """Share displaced at each intensity (NaN stays NaN)."""
        from mecc.kernels import evaluate_curves

        values = np.ascontiguousarray(np.atleast_1d(intensity), dtype=np.float64).ravel()
        x, y, n, kind = pack_curves([self])
        out = np.empty((1, values.size))
        evaluate_curves(values, x, y, n, kind, out)
        return out[0].reshape(np.shape(intensity))

    def describe(self) -> dict:
        """A JSON-ready description (for manifests and reports)."""
        return {
            "name": self.name,
            "kind": self.kind,
            "intensity": list(self.intensity),
            "share": list(self.share),
            "unit": self.unit,
            "source": self.source,
        }


def pack_curves(curves) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Padded arrays ``(x, y, n, kind)`` for the kernels (see ``mecc.kernels``)."""
    curves = list(curves)
    width = max(len(c.intensity) for c in curves)
    x = np.zeros((len(curves), width))
    y = np.zeros((len(curves), width))
    for k, curve in enumerate(curves):
        x[k, : len(curve.intensity)] = curve.intensity
        y[k, : len(curve.share)] = curve.share
    n = np.array([len(c.intensity) for c in curves], dtype=np.int64)
    kind = np.array([KINDS[c.kind] for c in curves], dtype=np.int64)
    return x, y, n, kind


CURVE_COLUMNS = ("intensity", "share")
"""The columns of a curve file; any other column is refused, never silently dropped."""

CLIMADA_COLUMNS = ("mdd", "paa", "mdr")
"""Columns of a CLIMADA impact function: mecc's share is CLIMADA's MDR = MDD x PAA, which
CLIMADA's ``calc_mdr`` forms after interpolating MDD and PAA separately (a product of two
linear pieces is no linear piece: tabulate it finely where both change)."""

CLIMADA_HINT = (
    "for a CLIMADA impact function give one column share = mdd x paa at each intensity, "
    "exact where mdd or paa is constant between neighbouring rows; where both change, "
    "CLIMADA interpolates mdd and paa separately and then multiplies, so add rows in "
    "between (e.g. every 0.1 m or 1 m/s) for the product to follow CLIMADA's curve"
)


def read_curve_csv(path, name: str | None = None, kind: str = "linear", **meta) -> Curve:
    """Read a curve from a CSV file with columns ``intensity,share``.

    Lines starting with ``#`` are comments (sources and notes go there). Any other
    column is refused with a :class:`~mecc.errors.CurveError`, never dropped silently
    (e.g. CLIMADA's ``paa`` next to ``share``: CLIMADA reads MDR = MDD x PAA). Columns
    without a header and without values (the trailing separators a spreadsheet may
    write) are dropped.
    """
    import pandas as pd

    label = name or os.fspath(path)
    table = read_input_table(path, "curve file", label=label, comment="#")
    table.columns = [str(c).lower() for c in table.columns]
    blank = [c for c in table.columns if c.startswith("unnamed: ") and table[c].isna().all()]
    table = table.drop(columns=blank)
    climada = any(c in CLIMADA_COLUMNS for c in table.columns)
    for column in CURVE_COLUMNS:
        if column not in table.columns:
            hint = f"; {CLIMADA_HINT}" if climada else ""
            raise CurveError(f"{label}: column {column!r} is missing (need intensity,share{hint})")
    other = [_column_name(c, table) for c in table.columns if c not in CURVE_COLUMNS]
    if other:
        hint = CLIMADA_HINT if climada else "put notes in lines starting with #"
        raise CurveError(
            f"{label}: {'columns' if len(other) > 1 else 'column'} {', '.join(other)} "
            f"{'are' if len(other) > 1 else 'is'} not read by mecc (a curve file has only "
            f"the columns intensity,share; {hint})"
        )
    try:
        x = pd.to_numeric(table["intensity"]).to_numpy(np.float64)
        y = pd.to_numeric(table["share"]).to_numpy(np.float64)
    except (ValueError, TypeError) as error:
        raise CurveError(f"{label}: intensity and share must be numbers ({error})") from None
    return Curve(
        label,
        tuple(map(float, x)),
        tuple(map(float, y)),
        kind=kind,
        source=meta.pop("source", label),
        **meta,
    )


def _column_name(column: str, table) -> str:
    """A column as an error names it (a column without a header by its position)."""
    if column.startswith("unnamed: "):
        return f"{list(table.columns).index(column) + 1} (no header)"
    return repr(column)


def load_curve(
    spec,
    base_dir=".",
    where: str = "curve",
    hazard_type: str | None = None,
    country: str | None = None,
) -> Curve:
    """Resolve a run file's ``curve:`` value.

    Parameters
    ----------
    spec : str or mapping
        A built-in curve ``NAME`` or ``NAME:VARIANT`` (see ``mecc curves list``), a path to
        a CSV curve file (relative to ``base_dir``), or a mapping: points (``intensity``,
        ``share``, optional ``kind``) or one generator of the library (e.g.
        ``{survivors_step: {threshold: 5.5, fatality: {...}}}``).
    hazard_type : str, optional
        The hazard type the curve is used for; a built-in curve made for other hazard
        types is refused.
    country : str, optional
        The run's country; a built-in curve calibrated for another country (the ITB and
        PAGER fatality models) is refused — give its coefficients in a mapping instead.

    Raises
    ------
    ConfigError
        A fatality model (``survivors_step`` with ``fatality``) for a ``hazard_type``
        other than earthquake (naming ``where``).

    Warns
    -----
    MeccWarning
        Once per curve whose share is above 0 somewhere at intensity <= 0: a cell with
        intensity <= 0 contributes nothing (DESIGN.md), so that share is not applied,
        whereas CLIMADA applies MDR(0) to every centroid (see :func:`dry_share`).
    """
    curve = _resolve_curve(spec, base_dir, where, hazard_type, country)
    if hazard_type not in (None, "earthquake") and (curve.metadata or {}).get("fatality"):
        raise ConfigError(  # a death rate per MMI applied to metres of water or m/s of wind
            f"{where}: a fatality model (survivors_step with fatality) gives deaths by MMI, "
            f"for earthquakes only, not {hazard_type}; leave fatality out"
        )
    fall = falling_share(curve)
    if fall is not None:
        import warnings

        label = f"{where}: {spec}" if isinstance(spec, str) else where
        (x0, y0), (x1, y1) = fall
        warnings.warn(
            f"{label}: the share falls from {y0:g} at intensity {x0:g} to {y1:g} at {x1:g}: "
            "more hazard displacing fewer people is unusual (a typing error?); check the "
            "curve's shares",
            MeccWarning,
            stacklevel=2,
        )
    dry = dry_share(curve)
    if dry is not None:
        import warnings

        at, share = dry
        label = f"{where}: {spec}" if isinstance(spec, str) else where
        warnings.warn(
            f"{label}: the curve's share {share:g} at intensity {at:g} is not applied: cells "
            "with intensity <= 0 (no hazard) count as not exposed and displace nobody, "
            "unlike CLIMADA, which applies the curve to every cell, those without hazard "
            "included (its MDR(0) != 0)",
            MeccWarning,
            stacklevel=2,
        )
    return curve


def falling_share(curve) -> tuple | None:
    """The first pair of neighbouring points above intensity 0 (the first one: the share
    just above 0) where a displacement curve's share falls, as
    ``((intensity, share), (intensity, share))``; None when it never falls, for a combined
    curve, and for a curve with a fatality model (its survivors' share falls as the death
    rate rises, by design)."""
    if not isinstance(curve, Curve) or (curve.metadata or {}).get("fatality"):
        return None
    x, y = np.asarray(curve.intensity), np.asarray(curve.share)
    wet = x > 0  # intensity <= 0 displaces nobody (dry_share): from the share just above 0
    x = np.concatenate([[0.0], x[wet]])
    y = np.concatenate([curve.evaluate(np.array([np.nextafter(0.0, 1.0)])), y[wet]])
    falls = np.flatnonzero(np.diff(y) < -1e-12)
    if not falls.size:
        return None
    k = int(falls[0])
    return (float(x[k]), float(y[k])), (float(x[k + 1]), float(y[k + 1]))


def dry_share(curve: Curve) -> tuple[float, float] | None:
    """The largest share a curve gives at an intensity <= 0, as ``(intensity, share)``;
    None when the curve gives 0 at every intensity <= 0.

    The candidates are the share at intensity 0 (the first point's share when the
    curve starts above 0, by clamping) and every point at intensity <= 0 (the first
    point's share also holds below it); between them a linear curve takes no larger
    value. Ties go to intensity 0.
    """
    x = np.asarray(curve.intensity, dtype=np.float64)
    y = np.asarray(curve.share, dtype=np.float64)
    candidates = [(0.0, float(curve.evaluate(np.zeros(1))[0]))]
    candidates += [(float(a), float(b)) for a, b in zip(x, y, strict=True) if a <= 0]
    at, share = max(candidates, key=lambda pair: pair[1])
    return (at, share) if share > 0 else None


def _resolve_curve(spec, base_dir, where, hazard_type, country) -> Curve:
    from hazards import library
    from hazards.fatality import mapping_form

    if isinstance(spec, dict):
        return _inline_curve(spec, where, _unit_of(hazard_type))
    if not isinstance(spec, str) or not spec:
        raise ConfigError(f"{where}: give a curve file, a built-in curve name or a mapping")
    name, _, variant = spec.partition(":")
    entries = library.curve_entries()
    if name in entries:
        entry = entries[name]
        if hazard_type is not None and hazard_type not in entry.hazard_types:
            raise ConfigError(
                f"{where}: curve {name!r} is for {', '.join(entry.hazard_types)}, not {hazard_type}"
            )
        if country is not None and entry.calibration_country not in (None, country):
            raise ConfigError(
                f"{where}: curve {name!r} uses a fatality model calibrated for "
                f"{entry.calibration_country}, not {country}; give its coefficients in a "
                f"curve mapping if you have them for this country ({mapping_form(entry.parameters)})"
            )
        try:
            return entry.curve(variant or "central")
        except ConfigError as error:
            raise ConfigError(f"{where}: {error}") from None
    path = os.path.join(os.fspath(base_dir), spec)
    if not os.path.exists(path):
        import difflib

        close = difflib.get_close_matches(name, entries, n=1)
        hint = f"; did you mean the built-in curve {close[0]!r}?" if close else ""
        raise InputFileError(
            f"{where}: {spec!r} is neither a curve file nor a built-in curve{hint}"
        )
    try:
        return read_curve_csv(path, name=spec)
    except (DataError, InputFileError) as error:
        raise type(error)(f"{where}: {error}") from None


def load_curve_set(
    spec,
    variants=None,
    base_dir=".",
    where: str = "curve",
    hazard_type: str | None = None,
    country: str | None = None,
) -> dict:
    """The curves a run evaluates in one pass: ``{"central": ..., "low": ..., "high": ...}``.

    A built-in curve named without a variant brings its own ``low``/``high`` variants;
    ``variants`` (a mapping ``low``/``high`` -> curve spec) sets or replaces them. A
    curve named with a variant (``NAME:low``), a file or an inline curve is central only
    unless ``variants`` is given.
    """
    from hazards import library

    curves = {"central": load_curve(spec, base_dir, where, hazard_type, country)}
    if isinstance(spec, str) and ":" not in spec and spec in library.curve_entries():
        entry = library.curve_entries()[spec]
        curves.update({k: v for k, v in entry.variants.items() if k in VARIANT_ORDER[1:]})
    if variants is not None:
        if not isinstance(variants, dict) or not variants:
            raise ConfigError(f"{where} variants: give a mapping with low and/or high")
        unknown = set(variants) - set(VARIANT_ORDER[1:])
        if unknown:
            raise ConfigError(
                f"{where} variants: use low and high, not {', '.join(sorted(unknown))}"
            )
        for name, variant_spec in variants.items():
            curves[name] = load_curve(
                variant_spec, base_dir, f"{where} variants.{name}", hazard_type, country
            )
    low, high = curves.get("low"), curves.get("high")
    if isinstance(low, Curve) and isinstance(high, Curve) and _dominates(low, high):
        named = {
            k: ""
            if c.name.startswith(where) or (c.metadata or {}).get("inline")
            else f" ({c.name})"
            for k, c in curves.items()
        }
        raise ConfigError(
            f"{where} variants: 'low'{named['low']} displaces at least as large a share as "
            f"'high'{named['high']} at every intensity, and more at some; low must displace "
            "fewer people: swap them"
        )
    return {name: curves[name] for name in VARIANT_ORDER if name in curves}


def _dominates(upper: Curve, lower: Curve) -> bool:
    """Whether ``upper``'s share is at or above ``lower``'s at every intensity and above
    it at some (beyond 1e-12).

    Both curves are linear between their points (steps right-continuous) and constant
    beyond their ends, so their difference is linear between the points of either:
    compared at every point of both, at the largest float below each point (the share
    just before a step) and beyond the ends.
    """
    points = np.unique(np.concatenate([upper.intensity, lower.intensity]))
    below = np.nextafter(points, -np.inf)
    at = np.concatenate([points, below, [points[0] - 1.0, points[-1] + 1.0]])
    difference = upper.evaluate(at) - lower.evaluate(at)
    return bool((difference >= -1e-12).all() and (difference > 1e-12).any())


def _inline_curve(spec: dict, where: str, unit: str | None = None) -> Curve:
    """A curve given as a mapping in a run file, named for what it is (:func:`inline_name`).

    Errors name ``where`` (the run file's entry); the curve itself is named by its shape
    (``step at 1 m``, ``inline curve, 4 points (0-3 m)``) unless the mapping gives a
    ``name``, and carries the hazard type's ``unit`` when known.
    """
    from hazards import library

    if "intensity" in spec or "share" in spec:
        unknown = set(spec) - {"intensity", "share", "kind", "name", "source"}
        if unknown:
            hint = f" ({CLIMADA_HINT})" if unknown & set(CLIMADA_COLUMNS) else ""
            raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}{hint}")
        for key in ("intensity", "share"):
            if not isinstance(spec.get(key), list):
                raise ConfigError(f"{where}.{key}: give a list of numbers")
        try:
            curve = Curve(
                spec.get("name", where),
                tuple(float(v) for v in spec["intensity"]),
                tuple(float(v) for v in spec["share"]),
                kind=spec.get("kind", "linear"),
                source=spec.get("source", "run file"),
            )
        except (TypeError, ValueError) as error:
            if isinstance(error, CurveError):
                raise
            raise ConfigError(f"{where}: intensity and share must be numbers") from None
    else:
        generators = ("step", "classes", "emanuel", "emanuel_threshold", "survivors_step")
        if len(spec) != 1 or next(iter(spec)) not in generators:
            close = [
                hit
                for key in spec
                for hit in difflib.get_close_matches(str(key), generators, n=1, cutoff=0.6)
            ]
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(
                f"{where}: give intensity and share, or one of {', '.join(sorted(generators))}"
                f"{hint}"
            )
        try:
            curve = library.build_curve(spec, where, source="run file")
        except (KeyError, TypeError, ValueError) as error:
            if isinstance(error, MeccError):
                raise
            raise ConfigError(f"{where}: incomplete curve parameters ({error})") from None
    name = spec.get("name") if isinstance(spec.get("name"), str) and spec.get("name") else None
    return replace(
        curve,
        name=name or inline_name(spec, curve, unit),
        unit=unit,
        metadata={**curve.metadata, "inline": where},
    )


def _unit_of(hazard_type: str | None) -> str | None:
    """The canonical unit of a hazard type named in a run file (None when unknown)."""
    if hazard_type is None:
        return None
    from hazards.catalogue import HAZARD_TYPES

    found = HAZARD_TYPES.get(hazard_type)
    return found.unit if found is not None else None


DAMAGE_STATES = ("damaged", "destroyed")
"""Exclusive damage states of dwellings: damaged but not destroyed (Sendai B-3), destroyed
or uninhabitable (B-4)."""


def load_damage_curves(
    spec, base_dir=".", where: str = "damage_curve", hazard_type=None, country=None
) -> dict:
    """Resolve a run file's ``damage_curve:``: ``{(state, variant): Curve}``.

    ``spec`` is a built-in damage-state curve (``NAME`` with its ``low``/``high``
    variants, or ``NAME:VARIANT``), or a mapping ``{damaged: CURVE, destroyed: CURVE}``
    of two exclusive curves (central only). The shares of the two states may never add up
    to more than 1: a dwelling is damaged *or* destroyed (reference/methodology.md §6).
    """
    from hazards import library

    if isinstance(spec, dict):
        unknown = set(spec) - set(DAMAGE_STATES)
        if unknown or set(spec) != set(DAMAGE_STATES):
            raise ConfigError(f"{where}: give damaged and destroyed curves (and nothing else)")
        pair = tuple(
            load_curve(spec[state], base_dir, f"{where}.{state}", hazard_type, country)
            for state in DAMAGE_STATES
        )
        curves = {"central": pair}
    elif isinstance(spec, str) and spec:
        name, _, variant = spec.partition(":")
        entries = library.curve_entries()
        entry = entries.get(name)
        if entry is None or not entry.damage_states:
            known = sorted(n for n, e in entries.items() if e.damage_states)
            raise ConfigError(
                f"{where}: {spec!r} is not a built-in damage-state curve ({', '.join(known)}) "
                "nor a mapping {damaged: ..., destroyed: ...}"
            )
        if hazard_type is not None and hazard_type not in entry.hazard_types:
            raise ConfigError(
                f"{where}: curve {name!r} is for {', '.join(entry.hazard_types)}, not {hazard_type}"
            )
        if variant:
            if variant not in entry.variants:
                raise ConfigError(f"{where}: curve {name!r} has no variant {variant!r}")
            curves = {"central": entry.variants[variant]}
        else:
            curves = {v: entry.variants[v] for v in VARIANT_ORDER if v in entry.variants}
    else:
        raise ConfigError(f"{where}: give a built-in damage-state curve or a mapping")
    for variant, (damaged, destroyed) in curves.items():
        points = np.unique(np.concatenate([damaged.intensity, destroyed.intensity]))
        probe = np.unique(
            np.concatenate([points, (points[:-1] + points[1:]) / 2, points + 1e-9, points - 1e-9])
        )
        total = damaged.evaluate(probe) + destroyed.evaluate(probe)
        if (total > 1 + 1e-12).any():
            at = float(probe[int(np.argmax(total))])
            raise ConfigError(
                f"{where}: damaged and destroyed shares add up to {total.max():.3g} at intensity "
                f"{at:g} ({variant}); they must be exclusive (damaged means damaged but not "
                "destroyed)"
            )
    return {
        (state, variant): curve
        for variant, pair in curves.items()
        for state, curve in zip(DAMAGE_STATES, pair, strict=True)
    }


def round_knots(curve: Curve, rounding) -> Curve:
    """``curve`` with its intensities passed through ``rounding``; shares, kind and the
    rest unchanged.

    Parameters
    ----------
    curve : Curve
    rounding : callable
        Takes the intensities as a float64 array and returns them rounded (e.g. to the
        precision a hazard grid stores its values in: ``hazards.precision``); it must
        not change their order.

    Returns
    -------
    Curve
        ``curve`` itself when no intensity changes.

    Raises
    ------
    CurveError
        When the rounded intensities no longer make a curve (two intensities of a step
        curve, or three of a linear one, become one number).
    """
    import dataclasses

    x = np.asarray(curve.intensity, dtype=np.float64)
    rounded = np.asarray(rounding(x), dtype=np.float64)
    if np.array_equal(rounded, x):
        return curve
    return dataclasses.replace(curve, intensity=tuple(map(float, rounded)))
