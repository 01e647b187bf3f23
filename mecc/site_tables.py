"""Displacement sites one by one: sites.csv.

Each site of ``mobility.sites`` with, per hazard, the people of the site who would be
exposed and displaced again (a scenario: ``<hazard>_exposed``, ``<hazard>_displaced``),
the site's average annual displacement (event sets and return-period maps:
``<hazard>_aad``), with the curve variants' range (``_low``, ``_high``) and, for an event
set whose events carry a ``member``, the ensemble members' spread
(``<hazard>_aad_member_median``, ``_member_min``, ``_member_max``: each member's AAD with
its frequencies rescaled to a complete set, as zones.csv), or the site's people at risk
of planned relocation (sea-level rise: ``<hazard>_at_risk_relocation``, people, no
frequency; ``_low`` / ``_high`` the DEM raised / lowered by 1 m, as zones.csv). The
engine computes figures per person at each site's cell on its pass
(``engine.PointFigures``: its own kernel, weighted like every cell of displaced.tif); a
site's figure is its people times those. These are modelled estimates of secondary
displacement for camp and site managers, for the people the run counted at each site
(``individuals_counted``: as listed, or, for a list the grid already holds, at most the
cell's people, shared by the cell's sites; a scenario's figures weighted by seasonal
presence, as every band weight is); the zone figures for people in sites are in
zones_disaggregated.csv (group ``in_sites``). A combined hazard (``components:``, wind
and surge of the same event) has the same figures, its share at a site's cell the
combination of its components' shares there (``max`` or ``independent``, as on every
cell), and its range from the components' curve variants.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["site_table"]


def site_table(sites, hazards, overlays, points: dict | None, zones) -> pd.DataFrame:
    """One row per site on the analysis grid, with each hazard's figures for its people.

    Parameters
    ----------
    sites : exposure.sites.SitePeople
    hazards : list of hazards.readers.HazardSet
    overlays : list of mecc.engine.OverlayInput
        The engine inputs of ``hazards`` (same order), for their band weights.
    points : dict
        ``EngineResult.points``: hazard id → ``engine.PointFigures``.
    zones : exposure.zones.Zones
    """
    frame = sites.sites
    people = frame["individuals"].to_numpy(np.float64)
    out = pd.DataFrame(
        {
            "site_name": frame["site_name"].to_numpy(),
            "site_type": frame["site_type"].to_numpy(),
            "as_of": [str(d.date()) if pd.notna(d) else "" for d in frame["as_of"]],
            "lat": frame["lat"].to_numpy(),
            "lon": frame["lon"].to_numpy(),
            "individuals": people,
        }
    )
    codes = list(zones.finest.codes) + ["__outside__"]
    zone_found = False
    for hazard, overlay in zip(hazards, overlays, strict=True):
        figures = (points or {}).get(hazard.id)
        if figures is None:
            continue
        index = {(r, c): k for k, (r, c) in enumerate(zip(figures.rows, figures.cols, strict=True))}
        at = np.array(
            [index.get((r, c), -1) for r, c in zip(frame["row"], frame["col"], strict=True)],
            dtype=np.int64,  # also when no site lies on the grid
        )
        found = at >= 0
        pick = np.where(found, at, 0)
        # the people the run found at each site: a list the grid already counts holds at
        # most the cell's people, shared by the cell's sites in proportion to their lists
        listed = frame.groupby(["row", "col"])["individuals"].transform("sum").to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            kept = np.where(listed > 0, figures.people[pick] / listed, 0.0)
        people = frame["individuals"].to_numpy(np.float64) * np.minimum(kept, 1.0)
        if not zone_found:
            out.insert(out.columns.get_loc("individuals") + 1, "individuals_counted", np.nan)
            out["individuals_counted"] = np.where(found, people, np.nan)
            out["zone_code"] = [
                codes[z] if f else "" for z, f in zip(figures.zone[pick], found, strict=True)
            ]
            zone_found = True
        weights = overlay.band_weight[figures.zone[pick]]  # (sites, bands)
        variants = hazard.variant_names
        if hazard.exposure_only:  # drought: people in each severity class, none displaced
            for k, name in enumerate(variants):
                value = figures.displaced[pick, 0, k]
                out[f"{hazard.id}_drought_{name}"] = np.where(found, people * value, np.nan)
            variants = []
        if hazard.kind == "relocation":  # a one-off count of people, not a yearly figure
            variants = []  # bands: the DEM as given, lowered 1 m (high), raised 1 m (low)
            for band, suffix in ((0, ""), (2, "_low"), (1, "_high")):
                value = figures.displaced[pick, band, 0]
                out[f"{hazard.id}_at_risk_relocation{suffix}"] = np.where(
                    found, people * value, np.nan
                )
        for v, variant in enumerate(variants):
            suffix = "" if v == 0 else f"_{variant}"
            if hazard.kind == "scenario":  # its weight: the seasonal presence (else 1)
                value = weights[:, 0] * figures.displaced[pick, 0, v]
                name = f"{hazard.id}_displaced{suffix}"
            else:
                value = (weights * figures.displaced[pick, :, v]).sum(axis=1)
                name = f"{hazard.id}_aad{suffix}"
            if v == 0 and hazard.kind == "scenario":
                out[f"{hazard.id}_exposed"] = np.where(
                    found, people * weights[:, 0] * figures.exposed[pick, 0], np.nan
                )
            out[name] = np.where(found, people * value, np.nan)
        if hazard.kind == "events" and "member" in hazard.bands.columns:
            spread = _member_spread(hazard.bands, weights * figures.displaced[pick, :, 0])
            for stat, values in spread.items():
                out[f"{hazard.id}_aad_member_{stat}"] = np.where(found, people * values, np.nan)
        missing = figures.no_hazard_data[pick].max(axis=1) > 0
        if missing.any():
            out[f"{hazard.id}_no_hazard_data"] = found & missing
    return out


def _member_spread(bands: pd.DataFrame, weighted: np.ndarray) -> dict:
    """Median, min and max over ensemble members of each site's AAD per person.

    Parameters
    ----------
    bands : pandas.DataFrame
        The event set's bands, with ``frequency`` and ``member``.
    weighted : ndarray, shape (sites, bands)
        Band weight (the event's frequency, times seasonal presence where given) times
        the displaced per person of the central curve.

    Returns
    -------
    dict
        ``median``, ``min``, ``max``: ndarray of shape (sites,). Each member's frequencies
        are rescaled by ``sum(all f) / sum(member f)`` so the member alone is a complete
        set (``risk.member_aad``, as zones.csv).
    """
    frequency = bands["frequency"].to_numpy(np.float64)
    member = bands["member"].astype(str).to_numpy()
    names = sorted(set(member.tolist()))
    per_member = np.empty((weighted.shape[0], len(names)))
    for k, name in enumerate(names):
        mask = member == name
        per_member[:, k] = weighted[:, mask].sum(axis=1) * (frequency.sum() / frequency[mask].sum())
    return {
        "median": np.median(per_member, axis=1),
        "min": per_member.min(axis=1),
        "max": per_member.max(axis=1),
    }
