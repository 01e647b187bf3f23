"""The headline figure of each hazard of a finished run, with its range.

Used by ``mecc run`` (text and ``--json``) and by batch summaries: one figure per
hazard — average annual displacement for event and return-period sets, displaced
people for a scenario, people at risk of planned relocation for sea-level rise, people
exposed for drought — read from ``summary.json``'s mapping, never recomputed.
"""

from __future__ import annotations

from mecc.variant_order import variant_range

__all__ = ["format_headline", "headlines"]

_FIGURES = (
    # key in summary, label, unit words
    ("aad", "AAD", "people a year"),
    ("displaced", "displaced", "people"),
    ("at_risk_relocation", "at risk of planned relocation", "people"),
    ("exposed", "exposed", "people"),
)


def headlines(summary: dict) -> list[dict]:
    """One record per hazard of ``summary`` (the mapping of summary.json).

    Each record has ``hazard_id``, ``kind``, ``figure`` (the summary key),
    ``label``, ``unit``, ``value``, and ``low``, ``high`` and ``range`` (what the
    range is: curve variants, ensemble members or the DEM ±1 m for sea-level rise)
    when the run has one; otherwise those three are None. A curve-variant range (also
    the DEM ±1 m) is the lowest to the highest of the central figure and the variants
    the run has (:func:`mecc.variant_order.variant_range`, the rule of sendai.csv's
    ``low`` / ``high``): it always includes the central figure, runs low–central when
    the run has only a ``low`` variant (central–high with only ``high``), and stays
    lowest–highest where the variants are in the wrong order (curves that cross; the
    run warns). An ensemble range is the members' lowest and highest AAD; an event set
    whose events are all of one member (``members`` 1) has none.
    """
    records = []
    for hazard_id, item in summary.get("hazards", {}).items():
        figure = next((f for f in _FIGURES if item.get(f[0]) is not None), None)
        if figure is None:
            continue
        key, label, unit = figure
        low = high = what = None
        spread = variant_range(item[key], item.get(key + "_low"), item.get(key + "_high"))
        if spread is not None:  # one variant or both; the central figure always inside
            (low, high), what = spread, "curve variants"
        elif (item.get("members") or 0) >= 2:  # one member: its AAD is the figure itself
            ends = (item.get(key + "_member_min"), item.get(key + "_member_max"))
            if None not in ends:
                (low, high), what = sorted(ends), "ensemble members"
        if what == "curve variants" and item.get("kind") == "relocation":
            what = "DEM raised and lowered by 1 m"  # low: raised (fewer people), high: lowered
        records.append(
            {
                "hazard_id": hazard_id,
                "kind": item.get("kind"),
                "figure": key,
                "label": label,
                "unit": unit,
                "value": float(item[key]),
                "low": None if low is None else float(low),
                "high": None if high is None else float(high),
                "range": what,
            }
        )
    return records


def _number(value: float) -> str:
    """A figure as the tables show it: whole people from 100 up, one decimal below (an
    AAD of 12.3 people a year), and nobody as ``0``, not ``0.0``."""
    if value == 0:
        return "0"
    return f"{value:,.1f}" if abs(value) < 100 else f"{value:,.0f}"


def format_headline(record: dict) -> str:
    """``river_flood: AAD 10,876 people a year (range 5,657-19,319, curve variants;
    modelled estimate)``."""
    text = f"{record['hazard_id']}: {record['label']} {_number(record['value'])} {record['unit']}"
    if record["range"]:
        spread = f"{_number(record['low'])}-{_number(record['high'])}"
        return f"{text} (range {spread}, {record['range']}; modelled estimate)"
    return f"{text} (modelled estimate)"
