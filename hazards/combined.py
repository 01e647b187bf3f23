"""The curves of a combined hazard (``components:``) at each curve variant.

A combined hazard (wind and storm surge of the same event) has no curve of its own: each
cell's share combines its components' shares (``max``, or ``independent``:
``1 - prod(1 - share)``). Its central figure uses every component's central curve; its
``low`` figure every component's ``low`` variant and its ``high`` figure every ``high``
variant (a built-in curve's own variants; a component without that variant keeps its
central curve). A variant no component has is not evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass

from hazards.curves import VARIANT_ORDER, Curve

__all__ = ["COMBINE_RULES", "CombinedCurve", "combined_curves"]

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
