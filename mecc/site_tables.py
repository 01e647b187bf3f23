"""Displacement sites one by one: sites.csv.

Each site of ``mobility.sites`` with, per hazard, the people of the site who would be
displaced again (a scenario) or the site's average annual displacement (event sets and
return-period maps): the engine's own kernel (``kernels.overlay_bands``) run on the
site's cell with the site's people, weighted like every cell of displaced.tif (annual
frequencies or return-period weights, presence factors). These are modelled estimates
of secondary displacement for camp and site managers; the zone figures for people in
sites are in zones_disaggregated.csv (group ``in_sites``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from rasterio.windows import Window

from mecc.kernels import overlay_bands

__all__ = ["site_table"]

SITE_KINDS = ("events", "return_periods", "scenario")


def _site_figures(overlay, row, col, people, zone_index, n_zones):
    """(exposed in band 0, weighted displaced) of ``people`` at one cell."""
    window = Window(int(col), int(row), 1, 1)
    intensity = overlay.intensity.read(window)
    fraction = (
        overlay.fraction.read(window) if overlay.fraction is not None else np.zeros((0, 0, 0))
    )
    n_bands, n_curves = intensity.shape[0], overlay.curves[2].shape[0]
    exposed = np.zeros((n_zones, n_bands))
    displaced = np.zeros((n_zones, n_bands, n_curves))
    no_data = np.zeros((n_zones, n_bands))
    cell = np.zeros((1, 1))
    overlay_bands(
        np.full((1, 1), float(people)),
        np.full((1, 1), zone_index, dtype=np.int32),
        intensity,
        fraction,
        *overlay.curves,
        float(overlay.exposure_threshold),
        overlay.band_weight,
        exposed,
        displaced,
        no_data,
        cell,
    )
    return float(exposed[zone_index, 0]), float(cell[0, 0]), bool(no_data.any())


def site_table(sites, hazards, overlays, zones) -> pd.DataFrame:
    """One row per site on the analysis grid, with each hazard's figure for its people.

    Parameters
    ----------
    sites : exposure.sites.SitePeople
    hazards : list of hazards.readers.HazardSet
    overlays : list of mecc.engine.OverlayInput
        The engine inputs of ``hazards`` (same order): readers, curves, band weights.
    zones : exposure.zones.Zones
        Prepared on the analysis grid.
    """
    frame = sites.sites
    out = pd.DataFrame(
        {
            "site_name": frame["site_name"].to_numpy(),
            "site_type": frame["site_type"].to_numpy(),
            "as_of": [str(d.date()) if pd.notna(d) else "" for d in frame["as_of"]],
            "lat": frame["lat"].to_numpy(),
            "lon": frame["lon"].to_numpy(),
            "individuals": frame["individuals"].to_numpy(),
        }
    )
    zone_of = [
        int(zones.rasterize(Window(int(c), int(r), 1, 1))[0, 0])
        for r, c in zip(frame["row"], frame["col"], strict=True)
    ]
    codes = list(zones.finest.codes) + ["__outside__"]
    out["zone_code"] = [codes[z] for z in zone_of]
    for hazard, overlay in zip(hazards, overlays, strict=True):
        if hazard.kind not in SITE_KINDS or hazard.components or hazard.exposure_only:
            continue
        figures = [
            _site_figures(overlay, r, c, p, z, zones.n + 1)
            for r, c, p, z in zip(
                frame["row"], frame["col"], frame["individuals"], zone_of, strict=True
            )
        ]
        headline = "displaced" if hazard.kind == "scenario" else "aad"
        if hazard.kind == "scenario":
            out[f"{hazard.id}_exposed"] = [f[0] for f in figures]
        out[f"{hazard.id}_{headline}"] = [f[1] for f in figures]
        if any(f[2] for f in figures):
            out[f"{hazard.id}_no_hazard_data"] = [f[2] for f in figures]
    return out
