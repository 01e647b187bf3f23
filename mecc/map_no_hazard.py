"""What the map cannot know: the no-data hatch, and the people without hazard data.

Where a hazard grid has no data (a ShakeMap or a flood map smaller than the country,
nodata cells), the run counts nobody there as displaced and reports those people: per
unit (zones.csv ``population_no_hazard_data``, the most of any band; zones_bands.csv
``no_hazard_data`` per band) and per hazard (summary.json ``population_no_hazard_data``).
The map keeps the rule "not known, not 0" (as displaced.tif's NaN cells):

- a unit whose people all lack hazard data in every band has every figure of that hazard
  drawn with the no-data hatch (:data:`NODATA_PATTERN`, as a unit without a grid cell),
  "no data" in its tooltip, and a popup saying its figures are not known because the
  hazard grid has no data there (:func:`popup_notes`);
- a unit where only some people lack it shows its figures and, in its popup, how many
  people they leave out;
- the About panel's notes (:func:`national_note`) and the legends of the hazard's
  layers (:func:`legend_note`) give the hazard's national count.

Labels: ``no_hazard_*`` of ``mecc/locales/maps.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "NODATA_PATTERN",
    "NoHazard",
    "legend_note",
    "national_note",
    "no_hazard_people",
    "popup_notes",
]

NODATA_PATTERN = (
    '<svg width="0" height="0" style="position:absolute" aria-hidden="true"><defs>'
    '<pattern id="mecc-nodata" width="6" height="6" patternUnits="userSpaceOnUse" '
    'patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/>'
    '<line x1="0" y1="0" x2="0" y2="6" stroke="#737373" stroke-width="2"/></pattern>'
    "</defs></svg>"
)
"""The hatch of figures that are not known (fill ``url(#mecc-nodata)``), once per page."""

_SAME = 1e-6
"""Relative tolerance: a unit's people without hazard data equal to its population."""


@dataclass
class NoHazard:
    """People without hazard data of one hazard per zone, in the map's zone order.

    Attributes
    ----------
    missing : numpy.ndarray
        People without hazard data (the most of any band), 0 where none.
    unknown : numpy.ndarray
        Boolean: the zone has people and none of them has hazard data in any band.
    several : bool
        The hazard has several bands (return-period maps, events): ``missing`` is the
        most of any one band.
    """

    missing: np.ndarray
    unknown: np.ndarray
    several: bool


def no_hazard_people(run, hazard_id: str, rows, summary: dict) -> NoHazard | None:
    """The people without hazard data of one hazard per zone (None when there are none).

    Parameters
    ----------
    run : mecc.map_data.RunData
        The run (its zones_bands.csv is read for a hazard of several bands whose every
        band has people without hazard data).
    hazard_id : str
        The hazard.
    rows : pandas.DataFrame
        Its zones.csv rows indexed by zone code, in the map's order.
    summary : dict
        Its summary.json entry.
    """
    if "population_no_hazard_data" not in rows.columns or _national(summary) is None:
        return None
    missing = np.nan_to_num(rows["population_no_hazard_data"].to_numpy(dtype="float64"))
    population = np.nan_to_num(rows["population"].to_numpy(dtype="float64"))
    bands = _bands(run, hazard_id, summary)
    several = len(bands) > 1
    least = missing  # people without hazard data in every band
    if several:
        if min(bands) > 0:
            least = _least_per_zone(run, hazard_id, rows.index)
        else:  # a band with hazard data wherever people live: every unit has figures
            least = np.zeros_like(missing)
    unknown = (population > 0) & (least >= population * (1 - _SAME))
    return NoHazard(missing, unknown, several)


def _national(summary: dict) -> float | None:
    """A hazard's people without hazard data (summary.json: the most of any band), None
    for none."""
    people = summary.get("population_no_hazard_data")
    try:
        people = float(people)
    except (TypeError, ValueError):
        return None
    return people if np.isfinite(people) and people > 0 else None


def _bands(run, hazard_id: str, summary: dict) -> list[float]:
    """The national people without hazard data of each band of a hazard (bands.csv, else
    summary.json's ``bands``)."""
    table = run.bands
    if table is not None and {"hazard_id", "no_hazard_data"} <= set(table.columns):
        rows = table[table["hazard_id"] == hazard_id]["no_hazard_data"]
        if len(rows):
            return [float(v) if np.isfinite(v) else 0.0 for v in rows.astype("float64")]
    return [float(b.get("no_hazard_data") or 0.0) for b in summary.get("bands") or []]


def _least_per_zone(run, hazard_id: str, codes) -> np.ndarray:
    """Per zone (``codes``' order), the fewest people without hazard data of any band
    (zones_bands.csv; 0 for a zone it lacks)."""
    from mecc.run_folder import read_run_table

    columns = ["zone_code", "hazard_id", "no_hazard_data"]
    table = read_run_table(run.run_dir, "zones_bands.csv", usecols=columns)
    table = table[table["hazard_id"] == hazard_id]
    least = table.groupby("zone_code", sort=False)["no_hazard_data"].min()
    return np.nan_to_num(least.reindex(list(codes)).to_numpy(dtype="float64"))


def popup_notes(text, no_hazard: NoHazard | None, count: int) -> list[tuple[bool, str]]:
    """Per zone: whether its figures are not known for want of hazard data, and the row
    (escaped HTML, "" for none) its popup adds: why not known, or how many people its
    figures leave out.

    ``text`` is the map's :class:`mecc.map_text.Text`; ``count`` the number of zones.
    """
    if no_hazard is None:
        return [(False, "")] * count
    out = []
    for missing, unknown in zip(no_hazard.missing, no_hazard.unknown, strict=True):
        if unknown:
            key = "no_hazard_popup_unknown"
        elif missing > 0:
            key = "no_hazard_popup_bands" if no_hazard.several else "no_hazard_popup_some"
        else:
            out.append((False, ""))
            continue
        line = text.w(key, people=text.number(missing))
        out.append((bool(unknown), f'<tr><td colspan="2" class="mecc-no-hazard">{line}</td></tr>'))
    return out


def national_note(text, run, hazard_id: str, summary: dict) -> str | None:
    """The About panel's note (escaped HTML) on a hazard's people without hazard data:
    how many (summary.json; of a hazard of several bands, the most of any band), their
    share of the people on the analysis grid (summary.json ``population_total``), that
    its figures leave them out and that units where nobody has hazard data are drawn as
    no data; None when the hazard has none."""
    people = _national(summary)
    if people is None:
        return None
    key = "no_hazard_note_bands" if len(_bands(run, hazard_id, summary)) > 1 else "no_hazard_note"
    total = run.summary.get("population_total")
    share = 100.0 * people / total if isinstance(total, int | float) and total > 0 else np.nan
    return text.w(key, hazard=hazard_id, people=text.number(people), share=text.number(share, "?"))


def legend_note(text, run, hazard_id: str, summary: dict) -> str | None:
    """The line (escaped HTML) the legends of a hazard's layers add under their classes:
    its people without hazard data, not counted, and units without any drawn as no data;
    None when the hazard has none."""
    people = _national(summary)
    if people is None:
        return None
    several = len(_bands(run, hazard_id, summary)) > 1
    key = "no_hazard_legend_bands" if several else "no_hazard_legend"
    return text.w(key, people=text.number(people))
