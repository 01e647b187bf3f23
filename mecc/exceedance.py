"""exceedance.csv: one exceedance curve per hazard set and area, national and per unit.

Event sets give CLIMADA's ``calc_freq_curve`` (``mecc.risk.exceedance_curve``) of each
area's per-event displacement; return-period maps give each map's displacement at its
return period. A hazard with curve variants (DESIGN.md "Ranges and futures") adds each
variant's curve beside the central one: ``displaced_low`` and ``displaced_high``, as
zones.csv's ``_low`` / ``_high`` (a column for each variant the hazard has; blank for a
hazard without it when another hazard of the run has it). Nothing here reads or writes
files.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mecc import risk

__all__ = [
    "EXCEEDANCE_COLUMNS",
    "RANGE_VARIANTS",
    "exceedance_table",
    "same_as_national_curve",
    "variant_curve",
]

EXCEEDANCE_COLUMNS = [
    "hazard_id",
    "zone_code",
    "level",
    "return_period",
    "exceedance_frequency",
    "displaced",
]
"""The columns every exceedance table has; ``displaced_<variant>`` follow where a hazard
has curve variants (:data:`RANGE_VARIANTS`)."""
RANGE_VARIANTS = ("low", "high")
"""The curve variants written beside the central curve, in this order."""


def exceedance_table(hazard, table, displaced_rows, displaced_national, country) -> pd.DataFrame:
    """The rows of exceedance.csv for one hazard set.

    Parameters
    ----------
    hazard : hazards.readers.HazardSet
    table : pandas.DataFrame
        ``Zones.table()``: every unit of every level, then the outside bucket.
    displaced_rows : ndarray, shape (len(table), n_bands[, n_variants])
        Displaced people per zone row and band (protection applied), per curve variant
        in the order of ``hazard.variant_names`` (central first) where a third axis is
        given; a 2-D array is the central curve alone.
    displaced_national : ndarray, shape (n_bands[, n_variants])
        Displaced people on the whole grid per band (and variant).
    country : str
        ISO3 code, the zone code of the national curve.

    Returns
    -------
    pandas.DataFrame
        One curve per area: the nation (the whole grid, whose PMD summary.json gives;
        ``zone_code`` the country, ``level`` 0), then every zone row (keyed as in
        zones.csv). A unit of level 0 whose code is the country's (the one unit of a run
        without ``zones:``, or a zones file's nation) is the same area when nobody is
        displaced outside it (by any curve variant): its curve is then written once. When
        anyone outside it is displaced (people outside every unit) the two curves differ
        and both are written: the unit's as in zones.csv (the country's code, level 0) and
        the whole grid's with the country's code and a blank level, so no two rows share
        hazard, zone code, level and return period.

        Columns :data:`EXCEEDANCE_COLUMNS`, then ``displaced_low`` / ``displaced_high``
        for the variants the hazard has (:func:`variant_curve`): for return-period maps
        the variant's displacement in each map; for an event set the variant's own
        exceedance curve read at the central curve's return periods.
    """
    if hazard.kind == "scenario":
        return pd.DataFrame(columns=EXCEEDANCE_COLUMNS)
    bands = hazard.bands
    rows = np.asarray(displaced_rows, dtype=np.float64)
    national = np.asarray(displaced_national, dtype=np.float64)
    if rows.ndim == 2:  # the central curve alone
        rows, national, names = rows[..., None], national[:, None], ["central"]
    else:
        names = list(hazard.variant_names)
    ranged = [(name, names.index(name)) for name in RANGE_VARIANTS if name in names]
    codes, levels = table["zone_code"], table["level"]
    given = np.flatnonzero(((codes == country) & levels.eq(0).fillna(False)).to_numpy())
    if given.size == 0:
        targets = [(country, 0, national)]
    elif same_as_national_curve(rows[given[0]], national):
        targets = []  # the unit is the nation (every variant): its row below
    else:
        targets = [(country, None, national)]  # the whole grid beside the unit
    targets += [
        (code, level, rows[k]) for k, (code, level) in enumerate(zip(codes, levels, strict=True))
    ]
    frequency = bands["frequency"].to_numpy(np.float64) if hazard.kind == "events" else None
    return_periods, curves = [], {name: [] for name in ["central", *(n for n, _ in ranged)]}
    for _, _, values in targets:
        if frequency is not None:
            rp, curve = risk.exceedance_curve(values[:, 0], frequency)
        else:
            rp, curve = bands["return_period"].to_numpy(np.float64), values[:, 0]
        return_periods.append(np.asarray(rp, dtype=np.float64))
        curves["central"].append(np.asarray(curve, dtype=np.float64))
        for name, v in ranged:
            curves[name].append(
                values[:, v] if frequency is None else variant_curve(values[:, v], frequency, rp)
            )
    # one frame from concatenated columns (a frame per unit cost 0.2 ms each)
    sizes = [len(rp) for rp in return_periods]
    rp = np.concatenate(return_periods)
    frame = pd.DataFrame(
        {
            "hazard_id": hazard.id,
            "zone_code": np.repeat(np.array([t[0] for t in targets], dtype=object), sizes),
            "level": pd.Series(np.repeat(np.array([t[1] for t in targets], dtype=object), sizes)),
            "return_period": rp,
            "exceedance_frequency": 1.0 / rp,
            "displaced": np.concatenate(curves["central"]),
            **{f"displaced_{name}": np.concatenate(curves[name]) for name, _ in ranged},
        },
        columns=EXCEEDANCE_COLUMNS + [f"displaced_{name}" for name, _ in ranged],
    )
    frame["level"] = frame["level"].astype("Int64")
    return frame


def variant_curve(displaced, frequency, return_periods) -> np.ndarray:
    """One curve variant's exceedance curve of an event set, at the central curve's
    return periods.

    The range of an exceedance curve is the curves the variants give: at each return
    period T, the T-year displacement of the run with the ``low`` (``high``) curve — that
    variant's own CLIMADA ``calc_freq_curve``, its events sorted by their own
    displacement under that variant (:func:`mecc.risk.exceedance_curve`). So the range
    at T is the range of the PMD at T that zones.csv and summary.json give
    (``pmd_<T>_low`` / ``_high``, read from the same curve). It is not the central
    curve's events re-read with the variant (each return period keeping the event the
    central curve puts there): that is no variant's exceedance curve, need not grow
    with the return period, and would not match the variant's PMD. Where every event
    displaces, under ``low``, at most what it does under the central curve (a variant
    below the central curve at every intensity), the sorted values keep that order at
    every return period, so the range brackets the central curve; curves that cross
    are written as computed, as zones.csv's (the run warns about them).

    The variant's curve is read at ``return_periods`` by linear interpolation in
    return period and flat beyond its top point, CLIMADA's rule for the PMD
    (:func:`mecc.risk.event_pmd`); every point of the central curve lies within the
    set's span (``1 / sum f`` to ``1 / min f``). With equal frequencies (or wherever the
    two curves share their return periods) the values are the variant's sorted per-event
    displacement, exactly; with unequal ones, points of the variant's curve between the
    central curve's are not written (its events: zones_bands.csv's ``displaced_<variant>``).

    Parameters
    ----------
    displaced : ndarray, shape (n_events,)
        The variant's displaced people per event.
    frequency : ndarray, shape (n_events,)
    return_periods : ndarray
        The central curve's return periods (ascending).

    Returns
    -------
    ndarray, shape (len(return_periods),)

    Examples
    --------
    >>> frequency = [0.1, 0.1, 0.1]
    >>> rp, central = risk.exceedance_curve([6.0, 2.0, 4.0], frequency)
    >>> central, variant_curve([5.0, 1.0, 0.0], frequency, rp)
    (array([2., 4., 6.]), array([0., 1., 5.]))
    """
    rp, curve = risk.exceedance_curve(displaced, frequency)
    return_periods = np.asarray(return_periods, dtype=np.float64)
    if np.array_equal(rp, return_periods):
        return curve
    return np.interp(return_periods, rp, curve)


def same_as_national_curve(unit: np.ndarray, national: np.ndarray) -> bool:
    """Whether a unit displaces, in every band (and curve variant, where given), what the
    whole grid does (up to the rounding of summing the same people in another order):
    nobody outside it is."""
    unit = np.asarray(unit, dtype=np.float64)
    return bool(np.allclose(unit, national, rtol=1e-9, atol=0.0))
