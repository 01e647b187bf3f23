"""Areas of the Sendai long table and their per-100,000 denominators (``mecc.sendai_rows``).

An area is the nation, an admin unit of any level, or the ``__outside__`` bucket (people on
the grid outside every unit). Its denominator is, in this order:

- its own official population, when the run gives one (``population.official``);
- the sum of the official figures of the units one level below it, when every one of
  them has one (their own or, in turn, their units' sum) and together they hold all of
  its people on the grid (``denominator_source`` "official: ... (sum of the N units
  below)"); the nation likewise from the coarsest level, plus those of the grid's people
  outside every unit whom no official figure counts (:func:`outside_added`): the people
  outside every unit up to the official residents of the units with nobody on the grid
  (units that received no cell, whose people the grid put outside every unit) are taken
  as those residents, already in the sum; the rest (people on the grid beyond the
  country's units: a coast, a border) are added, as the national rows count them too;
- else its population on the grid, flagged in ``denominator_source``.

An official figure of 0 is a figure as given, not a missing one: it is the area's
denominator, its per-100,000 rates are not defined and left blank (never 0, never
infinite; ``denominator_source`` ends with :data:`ZERO_NOTE`), it counts as 0 in the sums
of the areas above it, and :func:`warn_population_mismatch` names it when the grid holds
people there (``mecc.official_population`` warns of it when the table is read).

A group of people (sex, age, attribute) of an area is rated against the area's
denominator times the group's share of the area's grid population, so that a total's
rate lies between its groups' rates; without an official figure that is the group's own
grid population (the grid's year). An area with an official figure and nobody on the grid
(a unit that received no cell) has no group shares: its groups' denominators are blank
(not known, as its figures are), not 0.

The people outside every unit have no code: a per-zone share table gives them its row
with the country code, else they take the units' population-weighted mean
(``mecc.group_tables``); :func:`outside_share_note` says so in the rows that count them.

The figures count people on the grid, an official denominator counts residents: where the
two totals of an area differ by more than :data:`MISMATCH_TOLERANCE`
(:func:`warn_population_mismatch`) its rates are skewed, and may exceed 100,000 per
100,000. Such rates are kept as computed, never capped; :func:`rate_note` says why in
the row. The grid's total counts as above the official figure only beyond
:data:`GRID_ABOVE_RTOL` (float sums of the grid's cells are not exact).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from mecc.errors import MeccWarning

__all__ = [
    "GRID_ABOVE_RTOL",
    "GRID_SOURCE",
    "MISMATCH_TOLERANCE",
    "ZERO_NOTE",
    "Area",
    "areas",
    "grid_above",
    "group_denominator",
    "outside_added",
    "outside_share_note",
    "rate_note",
    "warn_population_mismatch",
]

OUTSIDE = "__outside__"
GRID_SOURCE = "grid population sum (no official figure; flagged)"
GROUP_GRID_SOURCE = "grid population of the group (modelled shares; flagged)"
GROUP_SHARE = "x the group's share of the area's grid population (modelled shares)"
MISMATCH_TOLERANCE = 0.10
"""Relative difference between an area's population on the grid and its official figure
(``|grid - official| / official``) above which :func:`warn_population_mismatch` warns:
a few years of growth between the grid's year and the census's and the grid model's own
error stay within it; beyond it the per-100,000 rates are skewed by the denominator."""
MISMATCH_PEOPLE = 10.0
"""Fewest people of difference :func:`warn_population_mismatch` names: below it a unit's
difference is rounding and noise (a unit of 2 people with 2.3 on the grid is +15 %)."""
ZERO_NOTE = "(an official 0: per_100k not defined, left blank)"
"""The end of ``denominator_source`` of an area (and its groups) whose official figure is 0."""
GRID_ABOVE_RTOL = 1e-6
"""Relative excess of an area's population on the grid over its official figure below
which the two are the same count (:func:`grid_above`): the grid's total is a float sum of
its cells (float32 cells hold 7 digits), e.g. 14,779.000000000002 for 14,779; a difference
between the grid and the census that skews a rate is far larger."""
NO_SHARES = "(not known: nobody on the grid in this area, so no group shares)"
"""The end of ``denominator_source`` of a group of an area with an official figure and
nobody on the grid (a unit that received no cell): its denominator is blank."""
SHARE_NAMES = {"livelihoods": "livelihood share", "early_warning": "early-warning share"}
"""How :func:`outside_share_note` names the share of a breakdown (else the group's share)."""


@dataclass
class Area:
    """One area of the table: its zone rows and its per-100,000 denominator."""

    level: object
    code: str
    name: str
    parent: str
    rows: list  # zone rows summed (one, or the finest level + outside for the nation)
    denominator: float
    denominator_source: str
    denominator_year: object
    national: bool = False  # the nation summed from the units (not a zone row of its own)
    official: bool = False  # the denominator is an official figure (given or summed)
    grid: float = float("nan")  # the area's population on the grid


def _carried_up(levels, codes, parents, official, population) -> tuple[np.ndarray, list]:
    """Official figure per zone row, a unit without one taking the sum of the units below
    it when every one of them has one and they hold all its grid people; and per row
    the number of units so summed (0: its own figure or none). A figure of 0 is one."""
    values = np.where(np.isfinite(official) & (official >= 0), official, np.nan)
    summed = [0] * len(levels)
    row_of = {code: z for z, code in enumerate(codes)}
    children: dict = {}
    roots = [z for z, level in enumerate(levels) if level == 0]  # a nation given as a zone
    below_root = min((lv for lv in levels if lv > 0), default=None)
    for z, (level, parent) in enumerate(zip(levels, parents, strict=True)):
        if level > 0 and parent in row_of and levels[row_of[parent]] < level:
            children.setdefault(row_of[parent], []).append(z)
        elif len(roots) == 1 and level == below_root and not parent:
            children.setdefault(roots[0], []).append(z)
    for z in sorted(children, key=lambda row: -levels[row]):  # finest first
        below = children[z]
        if np.isfinite(values[z]) or not np.isfinite(values[below]).all():
            continue
        if not np.isclose(np.sum(population[below]), population[z], rtol=1e-9, atol=1e-6):
            continue  # the units below do not hold all its people
        values[z] = float(np.sum(values[below]))
        summed[z] = len(below)
    return values, summed


def areas(meta: dict, official, codes, names, levels, parents, population) -> list[Area]:
    """The nation (unless a zone of level 0 is given), every unit and the outside bucket
    (when anyone lives there), each with its denominator.

    Parameters
    ----------
    meta : dict
        The store's metadata (``country``, ``name``, ``official``, ``population``).
    official, population : ndarray
        Official (NaN where none) and grid population per zone row.
    codes, names, levels, parents : list
        Per zone row; level -1 marks the outside bucket.
    """
    given = meta.get("official") or {}
    year_official, source = given.get("year"), given.get("source") or "official population"
    year_grid = (meta.get("population") or {}).get("year")
    official, summed = _carried_up(levels, codes, parents, np.asarray(official), population)
    inside = [z for z, lv in enumerate(levels) if lv >= 0]
    finest = max((levels[z] for z in inside), default=0)
    beyond_rows = [z for z, lv in enumerate(levels) if lv < 0]
    everything = [z for z in inside if levels[z] == finest] + beyond_rows

    def area(level, code, name, parent, rows, value, text, national=False) -> Area:
        grid = float(np.sum(population[rows]))
        known = value is not None and bool(np.isfinite(value)) and value >= 0
        zero = f" {ZERO_NOTE}" if known and value == 0 else ""
        figure, src, year = (
            (float(value), f"official: {text}{zero}", year_official)
            if known
            else (grid, GRID_SOURCE, year_grid)
        )
        return Area(level, code, name, parent, rows, figure, src, year, national, known, grid)

    out = []
    if not any(lv == 0 for lv in levels):
        national = given.get("national")
        top = min((levels[z] for z in inside), default=0)
        coarsest = [z for z in inside if levels[z] == top]
        national_source = source
        if national is None and coarsest and np.isfinite(official[coarsest]).all():
            # the national rows count everyone, the people outside every unit too: the
            # grid's figure stands in for those whom no official figure counts
            beyond = float(np.sum(population[beyond_rows]))
            parents_of = {parents[z] for z in inside}
            empty = [z for z in inside if codes[z] not in parents_of and not population[z] > 0]
            added, said = outside_added(beyond, official[empty])
            national = float(np.sum(official[coarsest])) + added
            national_source = f"{source} (sum of admin level {top}{said})"
        value = None if national is None else float(national)
        out.append(
            area(0, meta["country"], meta["name"], "", everything, value, national_source, True)
        )
    # the outside bucket is its own row, left out only when it holds nobody
    outside = [z for z in beyond_rows if population[z] > 0]
    for z in inside + outside:
        level = levels[z] if levels[z] >= 0 else None
        name = names[z] if level is not None else "Outside every admin unit (on the grid)"
        units = f"{summed[z]} units" if summed[z] > 1 else "unit"
        text = source + (f" (sum of the {units} below)" if summed[z] else "")
        out.append(area(level, codes[z], name, parents[z], [z], official[z], text))
    return out


def outside_added(beyond: float, empty_official) -> tuple[float, str]:
    """The people outside every unit that the national official sum adds, and the words
    that say so after "sum of admin level N" in ``denominator_source``.

    The official figures already count the residents of the units with nobody on the
    grid (units that received no cell: a census spread on the grid puts their people in
    the cell holding them, often outside every unit). So the people outside every unit,
    up to those units' official residents, are taken as them and not added; the rest
    are on the grid beyond the country's units (a coast, a border), whom no official
    figure counts: they are added, as the national rows count them too. Units with
    nobody on the grid and no official figure of their own (their people are in a
    figure above them, in a number not known) are named: their residents among the
    people outside may be counted twice.

    Parameters
    ----------
    beyond : float
        People on the grid outside every unit.
    empty_official : array_like
        Official figure (NaN: none of its own) of each unit with no unit below it and
        nobody on the grid.
    """
    figures = np.asarray(empty_official, dtype=np.float64)
    if not beyond > 0:
        return 0.0, ""
    known = figures[np.isfinite(figures) & (figures > 0)]
    residents = float(np.sum(known))
    added = max(beyond - residents, 0.0)
    unknown = int(np.sum(~np.isfinite(figures)))
    caveat = (
        f"; {unknown} unit(s) with nobody on the grid have no official figure of their own: "
        "their residents among the people outside every unit may be counted twice"
        if unknown
        else ""
    )
    if not known.size:
        return beyond, f" + {beyond:,.0f} people on the grid outside every unit{caveat}"
    units = f"{known.size} unit(s) with nobody on the grid"
    if added > 0:
        said = (
            f" + {added:,.0f} people on the grid outside every unit: of the {beyond:,.0f} "
            f"there, {residents:,.0f} are taken as the official residents of the {units}, "
            "counted in the sum"
        )
    else:
        said = (
            f"; the {beyond:,.0f} people on the grid outside every unit are taken as "
            f"residents of the {units} ({residents:,.0f} official), counted in the sum"
        )
    return added, said + caveat


def group_denominator(area: Area, group_grid: float, grid_year) -> tuple[float, str, object]:
    """``(denominator, source, year)`` of a group of people of ``area`` whose population
    on the grid is ``group_grid``: the area's official figure x the group's share of the
    area's grid population, else the group's grid population (the grid's year). An area
    with an official figure above 0 and nobody on the grid (a unit that received no cell)
    has no shares: NaN (blank, not known), its source ending with :data:`NO_SHARES`, no
    year; an official 0 is every group's 0."""
    if not area.official:
        return float(group_grid), GROUP_GRID_SOURCE, grid_year
    source = area.denominator_source.removesuffix(f" {ZERO_NOTE}")
    zero = f" {ZERO_NOTE}" if source != area.denominator_source else ""
    if not area.grid > 0 and area.denominator > 0:
        return float("nan"), f"{source} {GROUP_SHARE} {NO_SHARES}", None
    share = group_grid / area.grid if area.grid > 0 else 0.0
    return (area.denominator * share, f"{source} {GROUP_SHARE}{zero}", area.denominator_year)


def outside_share_note(area: Area, groups, index, codes, population) -> str:
    """The note of a row of ``area`` that counts the people outside every unit through
    the shares of groups ``index`` (of results.nc group ``disaggregated``) when those
    people took the units' population-weighted mean (the share table has no row with the
    country code), with the share; else ``""`` (the table's country row, another area,
    nobody outside, or a results.nc written before ``outside_share`` was kept).

    Parameters
    ----------
    area : Area
        The area of the row (the outside bucket, or the nation summed from the units).
    groups : xarray.Dataset or None
        results.nc group ``disaggregated``.
    index : list of int
        The groups whose people the row counts (e.g. the female cohorts).
    codes, population : sequence
        Zone code and grid population per zone row (``__outside__`` the outside bucket).
    """
    if not (area.national or area.code == OUTSIDE) or groups is None:
        return ""  # (a unit's rows never count the people outside every unit)
    if "outside_share" not in groups.coords or OUTSIDE not in codes:
        return ""
    z = list(codes).index(OUTSIDE)
    basis = [str(groups["outside_share"].values[i]) for i in index]
    if z not in area.rows or not population[z] > 0 or "units_mean" not in basis:
        return ""
    share = float(np.sum(groups["population"].values[index, z])) / float(population[z])
    kind = str(groups["breakdown"].values[index[0]])
    what = SHARE_NAMES.get(kind, "share of the group")
    return (
        f"people outside every unit: {what} {share:.3g}, the units' population-weighted "
        "mean (the share table has no row with the country code)"
    )


def warn_population_mismatch(area_list: list) -> str:
    """Warn (:class:`mecc.errors.MeccWarning`) when the population on the grid of areas
    with an official denominator differs from it by more than :data:`MISMATCH_TOLERANCE`,
    naming how many areas and the first three (in table order: the nation first) with
    both totals; returns the message (``""``: none). Areas with nobody on the grid (units that
    received no cell, which the run reports apart) are not compared, nor differences of
    fewer than :data:`MISMATCH_PEOPLE` people (a unit of 2 people off by 0.3 is noise). An
    official 0 against people on the grid differs wholly (by 100 % of the grid's)."""
    off = [
        a
        for a in area_list
        if a.official
        and a.grid > 0
        and abs(a.grid - a.denominator) > MISMATCH_TOLERANCE * a.denominator
        and abs(a.grid - a.denominator) >= MISMATCH_PEOPLE
    ]
    if not off:
        return ""
    shown = "; ".join(
        f"{a.code}: {a.grid:,.{1 if a.grid < 100 else 0}f} on the grid, "
        + (
            f"{a.denominator:,.{1 if a.denominator < 100 else 0}f} official "
            f"({a.grid / a.denominator - 1:+.0%})"
            if a.denominator > 0
            else "0 official (rates blank)"
        )
        for a in off[:3]
    )
    more = f"; and {len(off) - 3} more" if len(off) > 3 else ""
    message = (
        f"population.official: the population on the grid differs from the official figure "
        f"by more than {MISMATCH_TOLERANCE:.0%} in {len(off)} area(s) ({shown}{more}); their "
        "per-100,000 rates in the Sendai tables divide people counted on the grid by "
        "official residents (rates above 100,000 are kept and noted in sendai.csv): check "
        "that both cover the same area and year, or scale the grid (population.scale_to)"
    )
    warnings.warn(message, MeccWarning, stacklevel=3)
    return message


def grid_above(area: Area) -> bool:
    """Whether the population on the grid of ``area`` exceeds its official denominator
    by more than :data:`GRID_ABOVE_RTOL` (float sums of the same count do not)."""
    return bool(area.official and area.grid > area.denominator * (1 + GRID_ABOVE_RTOL))


def _both(grid: float, official: float) -> tuple[str, str]:
    """The two totals with the fewest decimals (0 to 3) that tell them apart."""
    for digits in range(4):
        shown = f"{grid:,.{digits}f}", f"{official:,.{digits}f}"
        if shown[0] != shown[1]:
            return shown
    return shown


def rate_note(area: Area) -> str:
    """The note of a row of ``area`` whose per-100,000 rate exceeds 100,000 (more people
    than the denominator; kept, never capped): where the area's grid population exceeds
    its official denominator (:func:`grid_above`), the two counts differ; else the
    figure counts some people more than once."""
    if grid_above(area):
        grid, official = _both(area.grid, area.denominator)
        return (
            "per_100k above 100,000 (not capped): the figure counts people on the grid "
            f"({grid} in this area), the denominator official residents ({official})"
        )
    return (
        "per_100k above 100,000 (not capped): the figure counts some people more than once "
        "(B-5 overlaps B-3 and B-4; an expected annual value adds up events)"
    )
