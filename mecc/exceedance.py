"""exceedance.csv: one exceedance curve per hazard set and area, national and per unit.

Event sets give CLIMADA's ``calc_freq_curve`` (``mecc.risk.exceedance_curve``) of each
area's per-event displacement; return-period maps give each map's displacement at its
return period. Nothing here reads or writes files.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mecc import risk

__all__ = ["EXCEEDANCE_COLUMNS", "exceedance_table"]

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
        ISO3 code, the zone code of the national curve (level 0).

    Returns
    -------
    pandas.DataFrame
        One curve per area: the nation, then every zone row. A unit of level 0 whose code
        is the country's (the one unit of a run without ``zones:``, or a zones file's
        nation) is that area: its curve is written once, in place of the national one, as
        in zones.csv and the Sendai tables.
    """
    if hazard.kind == "scenario":
        return pd.DataFrame(columns=EXCEEDANCE_COLUMNS)
    bands = hazard.bands
    codes, levels = table["zone_code"], table["level"]
    nation_given = bool(((codes == country) & levels.eq(0).fillna(False)).any())
    targets = [] if nation_given else [(country, 0, displaced_national)]
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
