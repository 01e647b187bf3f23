"""The built-in curve library: ``hazards/curves/library.yaml`` turned into curves.

Each entry carries its source, year, region and evidence grade, and its variants
(``central``, and ``low``/``high`` where the source gives a range). Variants are points
or generators with parameters, evaluated here:

- ``step: T`` — 0 below T, 1 at or above T;
- ``classes`` — a right-continuous step function over class bounds (in ``bounds_unit``,
  or one list per unit, each bound the lowest of its values: :func:`_class_bounds`);
- ``damage_threshold`` — a step at the depth where a depth-damage table reaches tau
  (the IDMC GDRM v2 rule: ``np.interp(tau, mdd, intensity)``);
- ``emanuel`` — Emanuel (2011): ``v^3 / (1 + v^3)``, ``v = max(V - v_thresh, 0) /
  (v_half - v_thresh)``, sampled every 0.25 m/s (and at v_thresh and v_half);
- ``emanuel_threshold`` — a step at the wind where that function reaches tau;
- ``survivors_step`` — 1 minus a fatality rate at or above an intensity threshold;
- ``damage_states`` — two exclusive curves, damaged-not-destroyed and destroyed.

Every generator mapping, in the library as in a run file, is checked before it is
evaluated (:func:`check_generator`): a key it does not take is refused, with the closest
known key as a suggestion, never dropped; ``survivors_step``'s fatality model is checked by
:func:`hazards.fatality.check_fatality` (coefficients and a plausible death rate).

A family gives one curve per region (``FAMILY_REGION``): the region's parameters are merged
into every variant's generator, and a region may give its own parameters per variant
(``variants``: the Kam et al. 2024 cyclone curves' per-region low and high v_half); the
region's name is the key the library declares (``north_america``), in the title and in
``mecc curves show``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import numpy as np

from hazards.curves import Curve
from hazards.fatality import check_fatality, fatality_rate, refuse_unknown_keys
from mecc.errors import ConfigError, CurveError

__all__ = [
    "CurveEntry",
    "build_curve",
    "check_generator",
    "curve_entries",
    "describe_entries",
    "describe_entry",
    "fatality_curve",
    "get_entry",
]

WIND_TOP = 120.0
MMI_TOP = 12.5


@dataclass(frozen=True)
class CurveEntry:
    """One curve of the library with its metadata and variants."""

    name: str
    title: str
    hazard_types: tuple
    unit: str
    source: str
    year: int | None
    region: str
    evidence: str
    calibration_country: str | None
    variants: dict = field(compare=False)
    damage_states: bool = False
    notes: str = ""
    parameters: dict = field(default_factory=dict, compare=False)

    def curve(self, variant: str = "central") -> Curve:
        """The curve of ``variant`` (not for damage-state entries)."""
        if self.damage_states:
            raise ConfigError(
                f"curve {self.name!r} gives damage states (Sendai B-3/B-4), not one displacement curve"
            )
        if variant not in self.variants:
            raise ConfigError(
                f"curve {self.name!r} has no variant {variant!r} (it has {', '.join(self.variants)})"
            )
        return self.variants[variant]


def _table(name: str) -> dict:
    import pandas as pd

    text = resources.files("hazards").joinpath(f"curves/{name}_mdd.csv")
    with resources.as_file(text) as path:
        frame = pd.read_csv(path, comment="#")
    return {column: frame[column].to_numpy(np.float64) for column in frame.columns}


def _threshold_from_table(table: str, column: str, tau: float) -> float:
    """The smallest intensity at which the table's damage reaches ``tau`` (inf if never)."""
    data = _table(table)
    intensity, damage = next(iter(data.values())), data[column]  # first column: intensity
    reached = np.flatnonzero(damage >= tau)
    if reached.size == 0:
        return math.inf
    k = int(reached[0])
    if k == 0:
        return float(intensity[0])
    x0, x1, y0, y1 = intensity[k - 1], intensity[k], damage[k - 1], damage[k]
    return float(x0 + (tau - y0) * (x1 - x0) / (y1 - y0))


def _step(threshold: float, name: str, share: float = 1.0) -> Curve:
    if math.isinf(threshold):
        return Curve(name, (0.0,), (0.0,))
    return Curve(name, (threshold, threshold), (0.0, share))


def _emanuel_share(v, v_thresh, v_half):
    scaled = np.maximum(np.asarray(v, dtype=np.float64) - v_thresh, 0.0) / (v_half - v_thresh)
    return scaled**3 / (1.0 + scaled**3)


GENERATOR_KEYS = {
    "points": (("intensity", "share"), ("kind", "name", "source")),
    "classes": (("bounds", "shares"), ("bounds_unit",)),
    "damage_threshold": (("table", "column", "tau"), ()),
    "emanuel": (("v_thresh", "v_half"), ()),
    "emanuel_threshold": (("v_thresh", "v_half", "tau"), ()),
    "survivors_step": (("threshold",), ("fatality",)),
    "damage_states": (("table", "column", "destroyed_tau", "damaged_tau"), ()),
}
"""The keys of each generator mapping: (required, optional); any other key is refused."""


def check_generator(kind: str, params, where: str) -> None:
    """Refuse a generator mapping with an unknown or a missing key.

    Parameters
    ----------
    kind : str
        The generator (``classes``, ``emanuel``, ``survivors_step``, ...); ``step`` takes
        a number, not a mapping.
    params : object
        Its value in the run file or the library.
    where : str
        The field, as errors name it (``run.yaml.hazards[0] (g).curve.survivors_step``).

    Raises
    ------
    ConfigError
        One line naming ``where`` and the key (with the closest known key for a misspelt
        one), e.g. ``...curve.survivors_step: unknown key 'fatalities'; did you mean
        'fatality'?``.
    """
    if kind == "step":
        if isinstance(params, dict | list):
            raise ConfigError(f"{where}: give one number (the threshold), not a mapping or list")
        return
    required, optional = GENERATOR_KEYS[kind]
    if not isinstance(params, dict):
        raise ConfigError(f"{where}: give a mapping with {', '.join(required)}, got {params!r}")
    refuse_unknown_keys(params, (*required, *optional), where)
    for key in required:
        if key not in params:
            raise ConfigError(f"{where}.{key}: missing (required)")


def _number(value, where: str) -> float:
    """A generator's number (a number in quotes is read as the number, as it always was)."""
    try:
        if isinstance(value, bool):
            raise TypeError
        return float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: must be a number, got {value!r}") from None


def build_curve(generator: dict, name: str, unit: str | None = None, **meta) -> Curve | tuple:
    """Evaluate one variant specification into a :class:`Curve` (or two, for damage states)."""
    if not isinstance(generator, dict) or len(generator) != 1:
        raise CurveError(f"{name}: a variant is one generator (step, classes, ...) or points")
    ((kind, params),) = generator.items()
    where = f"{name}.{kind}"
    if kind in GENERATOR_KEYS or kind == "step":
        check_generator(kind, params, where)
    common = {"unit": unit, **meta}
    if kind == "points":
        return Curve(
            name,
            tuple(params["intensity"]),
            tuple(params["share"]),
            kind=params.get("kind", "linear"),
            **common,
        )
    if kind == "step":
        return _with(_step(_number(params, where), name), **common)
    if kind == "classes":
        if not isinstance(params["shares"], list):
            raise ConfigError(f"{where}.shares: give a list of numbers, got {params['shares']!r}")
        bounds = _class_bounds(params, unit, where)
        shares = [_number(s, f"{where}.shares") for s in params["shares"]]
        if len(bounds) != len(shares):
            raise CurveError(f"{name}: classes need as many shares as bounds")
        return Curve(name, (0.0, *bounds), (0.0, *shares), kind="step", **common)
    if kind == "damage_threshold":
        threshold = _threshold_from_table(
            params["table"], params["column"], _number(params["tau"], f"{where}.tau")
        )
        return _with(_step(threshold, name), **common)
    if kind == "emanuel":
        v_thresh, v_half = (_number(params[k], f"{where}.{k}") for k in ("v_thresh", "v_half"))
        grid = np.union1d(np.arange(0.0, WIND_TOP + 0.125, 0.25), [v_thresh, v_half])
        share = _emanuel_share(grid, v_thresh, v_half)
        return Curve(name, tuple(map(float, grid)), tuple(map(float, share)), **common)
    if kind == "emanuel_threshold":
        v_thresh, v_half, tau = (
            _number(params[k], f"{where}.{k}") for k in ("v_thresh", "v_half", "tau")
        )
        threshold = v_thresh + (v_half - v_thresh) * (tau / (1.0 - tau)) ** (1.0 / 3.0)
        return _with(_step(threshold, name), **common)
    if kind == "survivors_step":
        threshold = _number(params["threshold"], f"{where}.threshold")
        fatality = params.get("fatality")
        if fatality is None:
            return _with(_step(threshold, name), **common)
        fatality = check_fatality(fatality, f"{where}.fatality")
        grid = np.union1d(np.arange(threshold, MMI_TOP + 0.025, 0.05), [threshold])
        survivors = 1.0 - fatality_rate(grid, fatality)
        # the fatality model rides along: Sendai A-2 (fatality_curve)
        common["metadata"] = {**common.get("metadata", {}), "fatality": dict(fatality)}
        return Curve(name, (threshold, *map(float, grid)), (0.0, *map(float, survivors)), **common)
    if kind == "damage_states":
        destroyed_at = _threshold_from_table(
            params["table"],
            params["column"],
            _number(params["destroyed_tau"], f"{where}.destroyed_tau"),
        )
        damaged_at = _threshold_from_table(
            params["table"],
            params["column"],
            _number(params["damaged_tau"], f"{where}.damaged_tau"),
        )
        destroyed = _with(_step(destroyed_at, f"{name}:destroyed"), **common)
        if math.isinf(damaged_at):
            damaged = Curve(f"{name}:damaged", (0.0,), (0.0,), **common)
        elif math.isinf(destroyed_at):
            damaged = _with(_step(damaged_at, f"{name}:damaged"), **common)
        else:
            damaged = Curve(
                f"{name}:damaged",
                (damaged_at, damaged_at, destroyed_at, destroyed_at),
                (0.0, 1.0, 1.0, 0.0),
                **common,
            )
        return damaged, destroyed
    raise CurveError(f"{name}: unknown curve generator {kind!r}")


def _bounds_factor(text, unit: str | None, where: str) -> float:
    """The exact factor from a class bound's unit (any spelling a run file or a grid may
    use: ``kt``, ``knots``, ``mph``, ``km/h``) to the curve's ``unit`` (wind in m/s when
    the curve does not say: an inline curve)."""
    from hazards.catalogue import UNIT_FACTORS, spelled_unit

    factors = UNIT_FACTORS.get(unit or "m/s", UNIT_FACTORS["m/s"])
    found = None if text is None else spelled_unit(text)
    if text is not None and found not in factors:
        raise ConfigError(
            f"{where}: give one of {', '.join(factors)} or leave it out (the type's unit), "
            f"got {text!r}"
        )
    return 1.0 if text is None else factors[found]


def _class_bounds(params: dict, unit: str | None, where: str) -> list[float]:
    """A ``classes`` generator's bounds in the curve's unit.

    ``bounds`` is a list (in ``bounds_unit``, else the curve's unit), or a mapping of
    units to lists, one bound each: a scale published in several units whose limits do
    not convert exactly into each other (the Saffir-Simpson scale in kt, mph and km/h).
    Each bound is then the lowest of its values converted exactly, so a value at the
    published limit in any of the units is in the higher class.
    """
    given = params["bounds"]
    if not isinstance(given, dict):
        if not isinstance(given, list):
            raise ConfigError(f"{where}.bounds: give a list of numbers, got {given!r}")
        scale = _bounds_factor(params.get("bounds_unit"), unit, f"{where}.bounds_unit")
        return [_number(b, f"{where}.bounds") * scale for b in given]
    if "bounds_unit" in params:
        raise ConfigError(f"{where}.bounds_unit: leave it out; the bounds name their units")
    converted = []
    for text, values in given.items():
        if not isinstance(values, list) or not values:
            raise ConfigError(f"{where}.bounds.{text}: give a list of numbers, got {values!r}")
        scale = _bounds_factor(text, unit, f"{where}.bounds")
        converted.append([_number(b, f"{where}.bounds.{text}") * scale for b in values])
    if not converted or len({len(values) for values in converted}) != 1:
        raise ConfigError(f"{where}.bounds: give as many bounds in each unit, one per class")
    return [min(column) for column in zip(*converted, strict=True)]


def fatality_curve(curve: Curve) -> Curve | None:
    """The fatality rate of a ``survivors_step`` curve's fatality model, as a curve (0
    below the model's minimum intensity), or None for any other curve (Sendai A-2)."""
    fatality = (curve.metadata or {}).get("fatality")
    if fatality is None:
        return None
    start = float(fatality.get("minimum", 0.0))
    grid = np.union1d(np.arange(start, MMI_TOP + 0.025, 0.05), [start])
    rate = fatality_rate(grid, fatality)
    return Curve(
        f"{curve.name}:fatalities",
        (start, *map(float, grid)),
        (0.0, *map(float, rate)),
        unit=curve.unit,
        source=curve.source,
    )


def _with(curve: Curve, **meta) -> Curve:
    return Curve(curve.name, curve.intensity, curve.share, kind=curve.kind, **meta)


REGION_KEYS = ("variants", "events", "notes")
"""Keys of a family region that are not generator parameters: ``variants`` (the region's
own parameters per variant; a region that has it gets only the variants it names, besides
``central``), ``events`` (how many values its source gives, for the family's ``notes``) and
``notes`` (the region's own notes, in place of the family's)."""


def _region_generator(generator: dict, region: dict, variant: str) -> dict | None:
    """A family variant's generator with the region's parameters merged in (the region's
    per-variant ones last), or None where the region does not give that variant."""
    own = region.get("variants")
    if own is not None and variant != "central" and variant not in own:
        return None
    base = {k: v for k, v in region.items() if k not in REGION_KEYS}
    ((kind, params),) = generator.items()
    return {kind: {**base, **(params or {}), **((own or {}).get(variant) or {})}}


def _entry(name: str, spec: dict, region: tuple[str, dict] | None = None) -> CurveEntry:
    """One library entry; ``region`` is ``(key, parameters)`` of a family's region."""
    variants, parameters = {}, {}
    damage_states = False
    own = set((region[1].get("variants") or {}) if region is not None else ())
    if own - set(spec["variants"]):
        raise CurveError(
            f"{name}: the region gives variants {', '.join(sorted(own - set(spec['variants'])))}"
            f" that the family does not have ({', '.join(spec['variants'])})"
        )
    for variant, generator in spec["variants"].items():
        generator = dict(generator)
        if region is not None:
            generator = _region_generator(generator, region[1], variant)
            if generator is None:
                continue
        label = name if variant == "central" else f"{name}:{variant}"
        built = build_curve(generator, label, spec.get("unit"), source=spec["source"].strip())
        damage_states = isinstance(built, tuple)
        variants[variant] = built
        parameters[variant] = generator
    fields, notes = {}, spec.get("notes", "")
    if region is not None:  # the region as the library declares it (north_america)
        key, params = region
        fields = {"region": key, "REGION": key.upper(), "events": params.get("events")}
        fields.update({v: next(iter(g.values())) for v, g in parameters.items()})
        notes = params.get("notes") or notes.format(**fields)
    return CurveEntry(
        name=name,
        title=spec["title"].format(**fields) if region is not None else spec["title"],
        hazard_types=tuple(spec["hazard_types"]),
        unit=spec.get("unit"),
        source=" ".join(spec["source"].split()),
        year=spec.get("year"),
        region=spec.get("region", region[0] if region is not None else "global"),
        evidence=spec["evidence"],
        calibration_country=spec.get("calibration_country"),
        variants=variants,
        damage_states=damage_states,
        notes=" ".join(notes.split()),
        parameters=parameters,
    )


@lru_cache(maxsize=1)
def curve_entries() -> dict[str, CurveEntry]:
    """Every built-in curve, by name (families expanded per region)."""
    import yaml

    text = resources.files("hazards").joinpath("curves/library.yaml").read_text(encoding="utf-8")
    # libyaml's loader when there (ten times as fast, the same data: a test compares)
    library = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    entries = {name: _entry(name, spec) for name, spec in library["curves"].items()}
    for family, spec in library.get("families", {}).items():
        for region, params in spec["regions"].items():
            name = f"{family}_{region}"
            entries[name] = _entry(name, spec, (region, params))
    return entries


def get_entry(name: str, where: str = "curve") -> CurveEntry:
    """A library entry by name, with a did-you-mean when it does not exist."""
    entries = curve_entries()
    if name in entries:
        return entries[name]
    import difflib

    close = difflib.get_close_matches(name, entries, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise ConfigError(f"{where}: no built-in curve {name!r}{hint}; see 'mecc curves list'")


EVIDENCE = {
    "A": "calibrated against observed displacement",
    "B": "derived from published damage functions with a stated threshold",
    "C": "a convention, a practitioners' default or expert consensus",
}


def _points_text(curve: Curve, unit: str) -> str:
    """A curve in a line: steps as thresholds, short curves as points, long ones sampled."""
    x, y = curve.intensity, curve.share
    if len(x) == 1:
        return f"{y[0]:g} everywhere"
    if len(x) == 2 and x[0] == x[1]:
        return f"{y[0]:g} below {x[0]:.4g} {unit}, {y[1]:g} at or above"
    if curve.kind == "step":
        parts = [f">= {a:.4g}: {b:g}" for a, b in zip(x[1:], y[1:], strict=True)]
        return f"{y[0]:g} below {x[1]:.4g} {unit}; " + "; ".join(parts)
    if len(x) <= 8:
        return ", ".join(f"{a:.4g} {unit} -> {b:.4g}" for a, b in zip(x, y, strict=True))
    probes = np.linspace(x[0], x[-1], 6)
    values = curve.evaluate(probes)
    return f"{len(x)} points; " + ", ".join(
        f"{a:.4g} {unit} -> {b:.4g}" for a, b in zip(probes, values, strict=True)
    )


def _parameters_text(generator: dict | None, unit: str) -> str:
    """An Emanuel variant's parameters, which its sampled points do not show."""
    params = (generator or {}).get("emanuel")
    if not params:
        return ""
    return f"Emanuel, v_thresh {params['v_thresh']:g} {unit}, v_half {params['v_half']:g} {unit}; "


def describe_entries(hazard_type: str | None = None) -> list[str]:
    """One line per built-in curve (for ``mecc curves list``)."""
    lines = [f"{'name':<38} {'evidence':<8} {'variants':<27} hazard types"]
    for name, entry in sorted(curve_entries().items()):
        if hazard_type and hazard_type not in entry.hazard_types:
            continue
        variants = "/".join(entry.variants) + (" (B-3/B-4)" if entry.damage_states else "")
        lines.append(
            f"{name:<38} {entry.evidence:<8} {variants:<27} {', '.join(entry.hazard_types)}"
        )
    return lines


def describe_entry(name: str) -> list[str]:
    """The metadata and every variant of one curve (for ``mecc curves show``); with
    ``NAME:VARIANT``, as a run file names one, that variant only.

    Raises
    ------
    ConfigError
        No such curve (with the closest name) or no such variant of it (with its variants).
    """
    name, colon, chosen = name.partition(":")
    entry = get_entry(name)
    if colon and chosen not in entry.variants:
        raise ConfigError(
            f"curve: {entry.name} has no variant {chosen!r}; its variants are "
            f"{', '.join(entry.variants)}"
        )
    lines = [
        f"{entry.name}: {entry.title}",
        f"  hazard types: {', '.join(entry.hazard_types)}",
        f"  intensity unit: {entry.unit}",
        f"  region: {entry.region}; year: {entry.year}",
        f"  evidence: {entry.evidence} ({EVIDENCE.get(entry.evidence, '')})",
    ]
    if entry.calibration_country:
        lines.append(f"  calibrated for: {entry.calibration_country} (refused elsewhere)")
    lines.append(f"  source: {entry.source}")
    if entry.notes:
        lines.append(f"  notes: {entry.notes}")
    for variant, built in entry.variants.items():
        if colon and variant != chosen:
            continue
        if entry.damage_states:
            damaged, destroyed = built
            lines.append(f"  {variant}: damaged (B-3): {_points_text(damaged, entry.unit)}")
            lines.append(
                f"  {' ' * len(variant)}  destroyed (B-4): {_points_text(destroyed, entry.unit)}"
            )
        else:
            said = _parameters_text(entry.parameters.get(variant), entry.unit)
            lines.append(f"  {variant}: {said}{_points_text(built, entry.unit)}")
    return lines
