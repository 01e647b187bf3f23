"""The curves of a combined hazard (``components:``) at each curve variant.

A combined hazard (wind and storm surge of the same event) has no curve of its own: each
cell's share combines its components' shares (``max``, or ``independent``:
``1 - prod(1 - share)``). Its central figure uses every component's central curve; its
``low`` figure every component's ``low`` variant and its ``high`` figure every ``high``
variant (a built-in curve's own variants; a component without that variant keeps its
central curve). A variant no component has is not evaluated.

:func:`check_combined_type` refuses a top-level ``type`` none of the components has (it
is what the Sendai tables and the map report) and, through :func:`check_no_fatality`, a
component whose curve has a fatality model (a combined hazard computes no deaths, Sendai
A-2, so the deaths would be dropped and the dead counted as displaced where another
component displaces everyone); :func:`bands_difference` says how a component's bands differ
from the first's (e.g. its return periods) when they must match.
"""

from __future__ import annotations

from dataclasses import dataclass

from hazards.curves import VARIANT_ORDER, Curve
from mecc.errors import ConfigError

__all__ = [
    "COMBINE_RULES",
    "CombinedCurve",
    "bands_difference",
    "check_combined_type",
    "check_no_fatality",
    "combined_curves",
]

COMBINE_RULES = {"max": "max(share)", "independent": "1 - prod(1 - share)"}
"""How each ``combine`` mode joins the components' shares in a cell."""


@dataclass(frozen=True)
class CombinedCurve:
    """The components' curves of one variant of a combined hazard and how they combine.

    Attributes
    ----------
    parts : tuple of Curve
        One curve per component, in the components' order.
    combine : {"max", "independent"}
    """

    parts: tuple
    combine: str

    @property
    def name(self) -> str:
        """``"tc_emanuel_tau_wp1 + flood_step_1m (independent)"``: every component's
        curve, then the combine rule (the Sendai tables' ``curve`` column, summary.json)."""
        return f"{' + '.join(part.name for part in self.parts)} ({self.combine})"

    @property
    def source(self) -> str:
        """The components' sources, in order."""
        return "; ".join(part.source or part.name for part in self.parts)

    def describe(self) -> dict:
        """A JSON-ready description (for manifests and reports)."""
        return {
            "name": self.name,
            "combine": self.combine,
            "rule": COMBINE_RULES[self.combine],
            "components": [part.describe() for part in self.parts],
        }


def combined_curves(parts: list, combine: str) -> dict:
    """``{variant: CombinedCurve}`` of a combined hazard, central first.

    Parameters
    ----------
    parts : list of hazards.readers.HazardSet
        The components, each with its ``curves`` (``central`` and the built-in curve's
        ``low``/``high``).
    combine : {"max", "independent"}

    Returns
    -------
    dict
        ``central`` always; ``low`` and ``high`` where at least one component has that
        variant (the others take their central curve there).
    """
    out = {}
    for variant in VARIANT_ORDER:
        if variant != "central" and not any(variant in part.curves for part in parts):
            continue
        chosen: list[Curve] = [part.curves.get(variant, part.curve) for part in parts]
        out[variant] = CombinedCurve(tuple(chosen), combine)
    return out


def check_combined_type(type_name: str, parts: list, where: str) -> None:
    """Refuse a combined hazard's ``type`` that none of its components has, and a
    component with a fatality model (:func:`check_no_fatality`).

    The top-level type is what the Sendai tables (``hazard_type``, HIP code) and the map
    report for the combined hazard, so it must be one of the event's own hazards (e.g.
    ``tropical_cyclone`` for wind and surge), not another type.

    Raises
    ------
    ConfigError
        Naming ``<where>.type``, the type given and the components' types; or
        ``<where>.components[k].curve`` (:func:`check_no_fatality`).
    """
    check_no_fatality(parts, where)
    types = list(dict.fromkeys(part.hazard_type.name for part in parts))
    if type_name not in types:
        raise ConfigError(
            f"{where}.type: {type_name!r} is not the type of any of its components "
            f"({', '.join(types)}); give one of them (the type the Sendai tables and the map "
            "report for the combined hazard)"
        )


def check_no_fatality(parts: list, where: str) -> None:
    """Refuse a component whose curve (any variant) has a fatality model.

    A combined hazard's engine pass combines the components' displacement shares only: a
    component's fatality model (``survivors_step`` with ``fatality``, e.g.
    ``eq_mmi6_survivors_itb``) would give no deaths (Sendai A-2), and where another
    component displaces a cell's everyone (a tsunami step), the dead would be counted as
    displaced. Until deaths are computed for combined hazards, such a run file is refused.

    Parameters
    ----------
    parts : list of hazards.readers.HazardSet
        The components, in order.
    where : str
        The combined hazard's field, as errors name it (``run.yaml.hazards[0] (q)``).

    Raises
    ------
    ConfigError
        Naming ``<where>.components[k].curve``, the curve and what to do instead.
    """
    for k, part in enumerate(parts):
        curves = [part.curve, *part.curves.values()]
        with_model = [c for c in curves if (getattr(c, "metadata", None) or {}).get("fatality")]
        if part.fatality_curve is None and not with_model:
            continue
        name = (with_model[0] if with_model else part.curve).name
        example = " (e.g. eq_mmi6_survivors)" if part.hazard_type.name == "earthquake" else ""
        raise ConfigError(
            f"{where}.components[{k}].curve: {name!r} has a fatality model, but a combined "
            "hazard (components:) computes no deaths (Sendai A-2): they would be dropped and "
            f"the dead counted as displaced; run the {part.hazard_type.name} as its own hazard "
            "(not in components:) for deaths, or give this component a curve without a "
            f"fatality model{example}"
        )


def bands_difference(part, first) -> str:
    """How a component's bands differ from the first component's, for the refusal.

    ``part`` and ``first`` are ``hazards.readers.HazardSet``; e.g. ``"return periods
    10, 50 vs 10, 100"`` (the component's, then the first's), ``"scenario vs
    return_periods"``, ``"3 vs 2 bands"``.
    """
    if part.kind != first.kind:
        return f"{part.kind} vs {first.kind}"
    column = {"return_periods": "return_period", "events": "frequency"}.get(part.kind, "band")
    if len(part.bands) != len(first.bands):
        return f"{len(part.bands)} vs {len(first.bands)} bands"
    for name in (column, "band", *first.bands.columns):
        if name in part.bands and name in first.bands:
            mine, theirs = part.bands[name], first.bands[name]
            if not mine.equals(theirs):
                what = {"return_period": "return periods", "frequency": "event frequencies"}
                shown = (_listed(mine), _listed(theirs))
                return f"{what.get(name, name)} {shown[0]} vs {shown[1]}"
    return f"{len(part.bands)} bands each, described differently"


def _listed(values, shown: int = 8) -> str:
    """``"10, 50"``: the first ``shown`` values, then how many more."""
    items = [f"{v:g}" if isinstance(v, float) else str(v) for v in values.tolist()[:shown]]
    more = f" and {len(values) - shown} more" if len(values) > shown else ""
    return ", ".join(items) + more
