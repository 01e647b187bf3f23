"""The checks of a run's hazard values, from what the run has already read.

``mecc validate`` samples every intensity file for values that look like another unit,
an undeclared nodata value or no hazard at all (:func:`mecc.checks.plausibility_warnings`).
A run gives the same warnings without reading the hazard files a second time: the
engine keeps, on its pass, the largest intensity of each group of cells of every band
for the map (:mod:`mecc.previews`; event sets of many bands: their events the map
draws, read again anyway), and :func:`plausibility_warnings` turns these pictures into
the samples the validator's messages are built from. Each picture's largest value is
the largest of the band on the analysis grid, so the warnings on the largest value (above
the plausible range, none above 0, only nodata) rest on every cell; a value below the
range is seen where a whole group of cells is below it (every cell on grids of at most
512 cells a side). A combined hazard's component grids, of which the engine keeps no
pictures, are sampled as ``mecc validate`` samples them when they are small
(:data:`SAMPLE_BUDGET`), and named as not checked otherwise.

:func:`no_data_warnings` warns when a hazard set leaves a notable share of the people
without hazard data (:data:`NO_DATA_SHARE`): the figures count them as not displaced;
:func:`future_no_data_warnings` says it of a future's hazard set (``futures[].hazards``,
with the baseline population), whose people without data show as a fall "climate only".
:func:`aad_warnings` warns when a hazard's AAD is more than the people it could displace,
on the analysis grid or in a unit: frequencies that are too large.
"""

from __future__ import annotations

import numpy as np

from mecc.check_samples import SAMPLE_BANDS, GridSample
from mecc.checks import bands_by_file, is_checked, sample_warnings

__all__ = [
    "NO_DATA_SHARE",
    "SAMPLE_BUDGET",
    "aad_warnings",
    "future_no_data_warnings",
    "no_data_warnings",
    "plausibility_warnings",
]

NO_DATA_SHARE = 0.05
"""Share of the people on the analysis grid without hazard data in a band above which a
run warns (as for the people in no unit). People count as without data only on cells
with people, so a hazard's nodata over the sea counts nobody; coastal cells with people
that a coarser hazard grid leaves blank stay below it (1.8 % of the people of the
WorldPop Accra tile, 46 % sea, under a grid 10 times coarser blank where mostly sea)."""
SAMPLE_BUDGET = 2**24
"""Most values (cells x bands) of a grid the engine keeps no picture of that a run
samples as ``mecc validate`` does (a decimated read of a tiled file decodes every tile:
about 0.2 s for this many values)."""


def plausibility_warnings(hazard, pictures: dict | None, grid=None) -> list[str]:
    """The plausibility warnings of ``mecc validate`` for one hazard set of a run.

    Parameters
    ----------
    hazard : hazard set
        As the run loaded it.
    pictures : dict or None
        ``{band position: picture}`` of the set, on the analysis grid in the hazard
        type's unit, each pixel the largest value of its cells (NaN where every cell is
        missing), as the engine keeps them (:mod:`mecc.previews`); None when it kept none.
    grid : mecc.grid.GridSpec, optional
        The analysis grid: files sampled without pictures (a combined set's components,
        a run that kept none) are sampled on it, with the file's own peak named when it
        alone is implausible, as ``mecc validate`` does.

    Returns
    -------
    list of str
        The messages of :func:`mecc.checks.sample_warnings`, and for a grid too large
        to sample without the pictures (:data:`SAMPLE_BUDGET`), one saying it was not
        checked.
    """
    if hazard.components:
        checked = [part for part in hazard.components if is_checked(part)]
        return _sampled_warnings(hazard, checked, grid)
    if not is_checked(hazard):
        return []
    if not pictures:
        return _sampled_warnings(hazard, [hazard], grid)
    files: dict[int, tuple] = {}
    for position, (source, band) in enumerate(hazard.layers):
        label = getattr(source, "label", str(source))
        _, bands, sample = files.setdefault(id(source), (source, [], GridSample(label, 0)))
        if band in bands:
            continue
        bands.append(band)
        sample.bands_total += 1
        picture = pictures.get(position)
        if picture is not None:
            values = np.array(picture, dtype=np.float64)[np.newaxis]
            values[~np.isfinite(values) | (np.abs(values) > 1e30)] = np.nan
            sample.add([band], values)
            sample.bands_read += 1
    return sample_warnings(hazard, list(files.values()))


def _sampled_warnings(hazard, parts, grid=None) -> list[str]:
    """The validator's samples of ``parts`` (the set itself, or a combined set's
    components) when their files are small, on the analysis grid ``grid`` as
    :func:`mecc.checks.plausibility_warnings` samples them, else one note naming them."""
    from mecc import checks

    files = [pair for part in parts for pair in bands_by_file(part.layers)]
    values = sum(
        source.grid.width * source.grid.height * min(len(set(bands)), SAMPLE_BANDS)
        for source, bands in files
    )
    if values <= SAMPLE_BUDGET:
        return [m for part in parts for m in checks.plausibility_warnings(part, grid)]
    names = ", ".join(getattr(source, "label", str(source)) for source, _ in files)
    return [
        f"hazards.{hazard.id}: the values of {names} were not checked for plausibility on "
        f"this run ({values:,} values to sample; the run reads them once, in its pass); "
        "`mecc validate` checks them"
    ]


def no_data_warnings(hazard, tab, population_total: float, population=None, grid=None) -> list[str]:
    """A warning when a band of ``hazard`` leaves a notable share of the people without
    hazard data, and one per component of a combined hazard that does.

    A combined hazard's people count as without data only where every component is;
    with ``population`` and ``grid``, each component's own people without data are
    counted too (:func:`mecc.check_coverage.component_coverage_warnings`: read again,
    as ``mecc validate`` reads them), since those people get the other components'
    share only.

    Parameters
    ----------
    hazard : hazard set
    tab : mecc.tables.HazardTables
        Its tables; ``tab.bands`` holds the people without hazard data per band
        (``no_hazard_data``, as bands.csv).
    population_total : float
        People on the analysis grid.
    population : object, optional
        ``read(window)``: people per analysis-grid cell (the run's prepared population).
    grid : mecc.grid.GridSpec, optional
        The analysis grid.

    Returns
    -------
    list of str
        One message naming the band with the most people without data (their number
        and share, and how many bands exceed :data:`NO_DATA_SHARE`), or none; then one
        per component without data for more than that share of the people.
    """
    parts = []
    if hazard.components and population is not None and grid is not None:
        from mecc.check_coverage import component_coverage_warnings

        parts = component_coverage_warnings(hazard, population, grid, NO_DATA_SHARE)
    return _set_no_data_warnings(hazard, tab, population_total) + parts


_COUNTED = "the figures count them as not displaced (bands.csv: no_hazard_data)"
_FUTURE_COUNTED = (
    "this future's figures count them as not displaced (in attribution.csv, a fall "
    "'climate only' where the baseline displaces people there)"
)


def future_no_data_warnings(hazard, tab, population_total: float) -> list[str]:
    """The warning of :func:`no_data_warnings` for a future's hazard set.

    Parameters
    ----------
    hazard : hazard set
        The future's (``futures[].hazards.<id>``; its id ``<id>@<future>`` names both).
    tab : mecc.tables.HazardTables
        Its tables with the baseline population (``no_hazard_data`` per band).
    population_total : float
        People on the analysis grid (the baseline's).

    Returns
    -------
    list of str
        One message naming the band with the most people without data, or none.
    """
    return _set_no_data_warnings(hazard, tab, population_total, _FUTURE_COUNTED)


def _set_no_data_warnings(
    hazard, tab, population_total: float, counted: str = _COUNTED
) -> list[str]:
    """The set's own warning of :func:`no_data_warnings` (cells without any data);
    ``counted`` says where the figures count those people."""
    if population_total <= 0 or not {"band", "no_hazard_data"} <= set(tab.bands.columns):
        return []
    missing = tab.bands["no_hazard_data"].to_numpy(dtype=np.float64)
    over = missing > NO_DATA_SHARE * population_total
    if not over.any():
        return []
    k = int(np.argmax(missing))
    share = missing[k] / population_total
    n_bands = len(missing)
    others = (
        f"; {int(over.sum())} of its {n_bands} bands leave more than {NO_DATA_SHARE:.0%} "
        "of the people without data"
        if n_bands > 1
        else ""
    )
    where = ""
    layers = getattr(hazard, "layers", None) or []
    if not hazard.components and k < len(layers):
        source, band = layers[k]
        where = f" ({getattr(source, 'label', source)} band {band})"
    return [
        f"hazards.{hazard.id}: {missing[k]:,.0f} people ({share:.0%} of the "
        f"{population_total:,.0f} on the analysis grid) are on cells without hazard data in "
        f"band {tab.bands['band'].iloc[k]}{where}{others}; {counted}; check that the hazard "
        "grid covers the country"
    ]


def aad_warnings(hazard, tab, population_total: float, shown: int = 5) -> list[str]:
    """A warning when a hazard's AAD is more than the people it applies to.

    An AAD above the people on the analysis grid (or in a unit) says that every person
    is displaced more than once a year on average: event frequencies too large (return
    periods or counts typed as frequencies, events of a many-year set each given 1 a
    year). Possible in principle for events that strike several times a year, so a
    warning, not a refusal.

    Parameters
    ----------
    hazard : hazard set
    tab : mecc.tables.HazardTables
        Its tables: ``tab.summary["aad"]`` (national) and ``tab.zones`` (``zone_code``,
        ``zone_name``, ``population``, ``aad`` per unit, as zones.csv).
    population_total : float
        People on the analysis grid.
    shown : int
        Units named at most (the count gives the rest).

    Returns
    -------
    list of str
        One message: the national AAD and its share of the people when above them, and
        the units whose AAD is above their people (name, code, AAD, people); or none.
    """
    aad = tab.summary.get("aad")
    if aad is None:
        return []
    parts = []
    if population_total > 0 and aad > population_total * (1 + 1e-9):
        parts.append(
            f"AAD {aad:,.0f} people a year is more than the {population_total:,.0f} people "
            f"on the analysis grid ({aad / population_total:.0%} of them displaced every year)"
        )
    zones = tab.zones
    if {"zone_code", "population", "aad"} <= set(zones.columns):
        people = zones["population"].to_numpy(dtype=np.float64)
        unit_aad = zones["aad"].to_numpy(dtype=np.float64)
        over = np.flatnonzero((people > 0) & (unit_aad > people * (1 + 1e-9)))
        if over.size:
            names = zones["zone_name"] if "zone_name" in zones.columns else zones["zone_code"]
            listed = ", ".join(
                f"{names.iloc[k]} ({zones['zone_code'].iloc[k]}) {unit_aad[k]:,.0f} a year for "
                f"{people[k]:,.0f} people"
                for k in over[:shown]
            )
            more = f" and {over.size - shown} more" if over.size > shown else ""
            parts.append(
                f"in {over.size} unit(s) the AAD is more than the people living there: "
                f"{listed}{more}"
            )
    if not parts:
        return []
    return [
        f"hazards.{hazard.id}: {'; '.join(parts)}; check the events' frequencies (events "
        "per year, 1 / return period, each event of a many-year set 1 / its years)"
    ]
