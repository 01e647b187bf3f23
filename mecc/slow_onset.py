"""Tables of slow-onset hazards: planned relocation (sea-level rise) and drought exposure.

Neither is event displacement, and neither has an AAD: sea-level rise gives the people
living where the sea would stand at high tide after the rise ("at risk of planned
relocation", a planning figure), with the DEM as given (central), lowered by 1 m
(``_high``) and raised by 1 m (``_low``); drought gives the people in each severity
class of the index. See ``hazards.slow_onset`` for the inputs.

A drought displaces no one: its ``displaced`` in zones_bands.csv, bands.csv and
summary.json is left blank (NaN, null in JSON: not applicable), the column kept as the
run contract has it; its people are ``exposed`` and, per class, zones.csv's
``drought_<class>``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mecc.exceedance import EXCEEDANCE_COLUMNS

__all__ = ["slow_onset_tables"]

RELOCATION_LABEL = (
    "people at risk of planned relocation: living where the sea would stand at high tide after "
    "the sea-level rise, connected to the sea; a planning figure, not event displacement"
)


def slow_onset_tables(hazard, sums, zones, population, result_class):
    """All tables of one slow-onset hazard set (same shape as ``tables.hazard_tables``)."""
    table = zones.table()
    rows = {
        "population": zones.aggregate(population),
        "exposed": zones.aggregate(sums.exposed),
        "no_hazard_data": zones.aggregate(sums.no_hazard_data),
        "displaced_variants": zones.aggregate(sums.displaced),
    }
    # a drought's "variants" are its severity classes: people exposed, none displaced
    not_applicable = bool(hazard.exposure_only)
    rows["displaced"] = (
        np.full(rows["exposed"].shape, np.nan)
        if not_applicable
        else rows["displaced_variants"][..., 0]
    )
    national = {
        "population": float(population.sum()),
        "exposed": sums.exposed.sum(axis=0),
        "no_hazard_data": sums.no_hazard_data.sum(axis=0),
        "displaced_variants": sums.displaced.sum(axis=0),
    }
    summary = {
        "type": hazard.hazard_type.name,
        "kind": hazard.kind,
        "unit": hazard.hazard_type.unit,
        "population_no_hazard_data": float(national["no_hazard_data"].max()),
    }
    frame = table[["zone_code", "zone_name", "level"]].copy()
    frame["hazard_id"] = hazard.id
    frame["population"] = rows["population"]
    metrics = {}
    if hazard.kind == "relocation":
        # band 0: the DEM as given; band 1: lowered 1 m (more people); band 2: raised 1 m
        people = rows["displaced_variants"][:, :, 0]
        metrics = {
            "at_risk_relocation": people[:, 0],
            "at_risk_relocation_low": people[:, 2],
            "at_risk_relocation_high": people[:, 1],
        }
        total = national["displaced_variants"][:, 0]
        summary.update(
            label=RELOCATION_LABEL,
            water_level=hazard.scenario,
            at_risk_relocation=float(total[0]),
            at_risk_relocation_low=float(total[2]),
            at_risk_relocation_high=float(total[1]),
            range_note="low and high: the DEM raised and lowered by 1 m (global DEMs "
            "overstate coastal heights by metres)",
        )
    else:
        names = hazard.variant_names
        people = rows["displaced_variants"][:, 0, :]
        metrics = {f"drought_{name}": people[:, k] for k, name in enumerate(names)}
        summary.update(
            scenario=hazard.scenario,
            classes={
                name: float(national["displaced_variants"][0, k]) for k, name in enumerate(names)
            },
            exposed=float(national["exposed"][0]),
            note="exposure only: people in cells of each drought severity class; no displacement "
            "curve (displaced: null, not applicable)",
        )
    for name, values in metrics.items():
        frame[name] = values
    frame["population_no_hazard_data"] = rows["no_hazard_data"].max(axis=1)
    frame["parent_code"] = table["parent_code"]
    bands = hazard.bands
    n_bands = len(bands)
    zones_bands = pd.DataFrame(
        {
            "zone_code": np.repeat(table["zone_code"].to_numpy(), n_bands),
            "level": table["level"].repeat(n_bands).reset_index(drop=True).astype("Int64"),
            "hazard_id": hazard.id,
            "band": np.tile(bands["band"].to_numpy(), len(table)),
            "exposed": rows["exposed"].ravel(),
            "displaced": rows["displaced"].ravel(),
            "no_hazard_data": rows["no_hazard_data"].ravel(),
        }
    )
    band_frame = pd.DataFrame(
        {
            "hazard_id": hazard.id,
            "band": bands["band"].to_numpy(),
            "frequency": np.nan,
            "return_period": np.nan,
            "exposed": national["exposed"],
            "displaced": (
                np.full(len(bands), np.nan)
                if not_applicable
                else national["displaced_variants"][:, 0]
            ),
            "no_hazard_data": national["no_hazard_data"],
        }
    )
    summary["bands"] = band_frame.drop(columns=["hazard_id", "frequency", "return_period"]).to_dict(
        "records"
    )
    exceedance = pd.DataFrame(columns=EXCEEDANCE_COLUMNS)  # none: no frequencies
    arrays = {"rows": rows, "metrics": metrics, "national": national}
    return result_class(summary, frame, zones_bands, band_frame, exceedance, arrays)
