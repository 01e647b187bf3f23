"""The official population of a run (``population.official``): read, checked and warned of.

A per-zone table (census, OCHA COD-PS) of residents, kept as the denominator of the
per-100,000 figures of the Sendai tables (:mod:`mecc.sendai_areas`). Every figure is kept
as the table gives it, 0 too: an official 0 is a figure, not a missing one. It is the
unit's denominator (its per-100,000 rates are then not defined and left blank) and it
counts, as 0, in the official sums of the areas above the unit. Where the grid holds
people in a unit the table gives 0, :func:`read_official` warns: the two counts then
disagree wholly (a typo, a unit renamed or merged, a census figure not collected).

Both ``mecc validate`` and ``mecc run`` read it here (through
:func:`mecc.mobility.prepare_exposure`), so both warn alike.
"""

from __future__ import annotations

import os
import warnings

import numpy as np

from exposure.zones import report_unknown_codes
from mecc.errors import MeccWarning

__all__ = ["read_official", "zero_figures_warning"]

SHOWN = 3
"""Units named in the warning of official figures of 0 (the others are counted)."""


def read_official(config, zones, label: str, grid_people) -> tuple[dict, dict]:
    """Read ``population.official`` of a run file.

    Parameters
    ----------
    config : mecc.config.RunConfig
        The run file (``population.official``: ``path``, ``code_column``,
        ``value_column``, optional ``year`` and ``source``).
    zones : exposure.zones.ZoneSet
        The run's admin units.
    label : str
        The run file's name, for messages (``"run.yaml"``).
    grid_people : callable
        ``grid_people()`` -> people on the grid per finest unit + outside (as the run
        counts them); called only when a figure is 0, to say how many the grid holds.

    Returns
    -------
    official, report : dict
        Zone code -> people as given (0 kept), and the summary's entry.

    Raises
    ------
    ConfigError, DataError, InputFileError
        Naming the run file's key, the file, the column, the row and the zone; a code
        that is no unit at any level of the zones, nor a parent of one (a prefix of a
        unit's code), nor the country's is refused (its figure would be lost). Codes of
        other levels are warned of and ignored.
    """
    from exposure.cohorts import read_zone_table

    spec = config.data["population"]["official"]
    where = f"{label}.population.official ({spec['path']})"
    column = spec["value_column"]
    table = read_zone_table(
        os.path.join(config.base_dir, spec["path"]), spec["code_column"], [column], where
    )[column]
    known = {code for level in zones.levels for code in level.codes} | {config.country}
    unknown = [str(code) for code in table.index if code not in known]
    source = (os.path.join(config.base_dir, spec["path"]), spec["code_column"])
    report_unknown_codes(  # a code of no unit at any level (a typo) is refused
        unknown,
        len(table),
        zones,
        f"{where}.{spec['code_column']}",
        (*source, "official population table", {config.country}),
    )
    official = table.to_dict()
    zeros = [code for code, value in official.items() if value == 0]
    if zeros:
        message = zero_figures_warning(zeros, zones, config.country, grid_people(), where, spec)
        if message:
            warnings.warn(message, MeccWarning, stacklevel=3)
    report = {
        "file": spec["path"],
        "year": spec.get("year"),
        "source": spec.get("source", spec["path"]),
    }
    return official, report


def _people_in(code: str, zones, country: str, people: np.ndarray) -> float | None:
    """People on the grid in the unit ``code`` (the whole grid for the country's code when
    no unit has it); None for a code that is no unit's."""
    hit = zones.locate(code)
    if hit is not None:
        return float(np.sum(people[zones.finest_members(*hit)]))
    return float(np.sum(people)) if code == country else None


def zero_figures_warning(zeros, zones, country: str, people, where: str, spec) -> str:
    """The warning of official figures of 0 (``""``: none of them is a known unit's).

    One line: the file and its columns, the units (the first :data:`SHOWN`, with the
    people the grid holds in each, then how many more) and what the run does with them.
    """
    found = [(code, _people_in(code, zones, country, people)) for code in zeros]
    found = [(code, n) for code, n in found if n is not None]
    if not found:
        return ""
    shown = "; ".join(
        f"{spec['code_column']} {code}: 0, the grid holds {n:,.{1 if 0 < n < 100 else 0}f} "
        "people there"
        for code, n in found[:SHOWN]
    )
    more = f"; and {len(found) - SHOWN} more" if len(found) > SHOWN else ""
    return (
        f"{where}.{spec['value_column']}: {len(found)} unit(s) have an official population "
        f"of 0 ({shown}{more}); 0 is kept as given: the per-100,000 rates of such a unit are "
        "blank in the Sendai tables and the units above it count it as 0 in their official "
        "sums; check the figure if people live there"
    )
