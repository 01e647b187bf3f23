"""exceedance.csv: one exceedance curve per hazard set and area, national and per unit.

Event sets give CLIMADA's ``calc_freq_curve`` (``mecc.risk.exceedance_curve``) of each
area's per-event displacement; return-period maps give each map's displacement at its
return period. Nothing here reads or writes files.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mecc import risk

__all__ = ["EXCEEDANCE_COLUMNS", "exceedance_table", "same_as_national_curve"]

EXCEEDANCE_COLUMNS = [
    "hazard_id",
    "zone_code",
    "level",
    "return_period",
    "exceedance_frequency",
    "displaced",
]


def exceedance_table(hazard, table, displaced_rows, displaced_national, country) -> pd.DataFrame:
    """The rows of exceedance.csv for one hazard set.

    Parameters
    ----------
    hazard : hazards.readers.HazardSet
    table : pandas.DataFrame
        ``Zones.table()``: every unit of every level, then the outside bucket.
    displaced_rows : ndarray, shape (len(table), n_bands)
        Displaced people per zone row and band (protection applied).
    displaced_national : ndarray, shape (n_bands,)
        Displaced people on the whole grid per band.
    country : str
        ISO3 code, the zone code of the national curve.

    Returns
    -------
    pandas.DataFrame
        One curve per area: the nation (the whole grid, whose PMD summary.json gives;
        ``zone_code`` the country, ``level`` 0), then every zone row (keyed as in
        zones.csv). A unit of level 0 whose code is the country's (the one unit of a run
        without ``zones:``, or a zones file's nation) is the same area when nobody is
        displaced outside it: its curve is then written once. When anyone outside it is
        displaced (people outside every unit) the two curves differ and both are
        written: the unit's as in zones.csv (the country's code, level 0) and the whole
        grid's with the country's code and a blank level, so no two rows share hazard,
        zone code, level and return period.
    """
    if hazard.kind == "scenario":
        return pd.DataFrame(columns=EXCEEDANCE_COLUMNS)
    bands = hazard.bands
    codes, levels = table["zone_code"], table["level"]
    given = np.flatnonzero(((codes == country) & levels.eq(0).fillna(False)).to_numpy())
    national = np.asarray(displaced_national, dtype=np.float64)
    if given.size == 0:
        targets = [(country, 0, national)]
    elif same_as_national_curve(displaced_rows[given[0]], national):
        targets = []  # the unit is the nation: its row below
    else:
        targets = [(country, None, national)]  # the whole grid beside the unit
    targets += [
        (code, level, displaced_rows[k])
        for k, (code, level) in enumerate(zip(codes, levels, strict=True))
    ]
    return_periods, curves = [], []
    for _, _, values in targets:
        if hazard.kind == "events":
            rp, curve = risk.exceedance_curve(values, bands["frequency"].to_numpy(np.float64))
        else:
            rp = bands["return_period"].to_numpy(np.float64)
            curve = values
        return_periods.append(np.asarray(rp, dtype=np.float64))
        curves.append(np.asarray(curve, dtype=np.float64))
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
            "displaced": np.concatenate(curves),
        },
        columns=EXCEEDANCE_COLUMNS,
    )
    frame["level"] = frame["level"].astype("Int64")
    return frame


def same_as_national_curve(unit: np.ndarray, national: np.ndarray) -> bool:
    """Whether a unit displaces, in every band, what the whole grid does (up to the
    rounding of summing the same people in another order): nobody outside it is."""
    unit = np.asarray(unit, dtype=np.float64)
    return bool(np.allclose(unit, national, rtol=1e-9, atol=0.0))
