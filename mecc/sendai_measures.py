"""The measures of one hazard in the Sendai long table (:mod:`mecc.sendai_rows`): which
rows a hazard of each kind gives (scenario, planning, expected annual, PMD, T-year map,
event) and the band columns that name them."""

from __future__ import annotations

import numpy as np

__all__ = ["hazard_measures"]


def hazard_measures(main, h: int, record: dict) -> list:
    """``(measure, band, band columns, return period, national only)`` of one hazard.

    Parameters
    ----------
    main : xarray.Dataset
        The main group of results.nc (``band_label``, ``return_period``,
        ``pmd_return_period`` and, when kept, ``band_event_name``, ``band_event_id``,
        ``band_member``).
    h : int
        The hazard's position in ``main``.
    record : dict
        The hazard's metadata (its ``kind``).

    Returns
    -------
    list of tuple
        The band columns: ``band`` as bands.csv names it, an event's ``event_name`` (its
        ``event_id`` where the events table gives no name) and ``member`` (results.nc
        written before they were kept: none).
    """
    kind = record["kind"]
    labels = [str(b) for b in main["band_label"].values[h]]
    given = {  # read once, not once per band
        column: main[f"band_{column}"].values[h]
        for column in ("event_name", "event_id", "member")
        if f"band_{column}" in main.coords
    }

    def named(b) -> dict:
        out = {"band": labels[b]}
        for column in ("event_name", "member"):
            if column in given:
                out[column] = str(given[column][b])
        if not out.get("event_name", "").strip() and "event_id" in given:
            out["event_name"] = str(given["event_id"][b])  # blank when no id either
        return out

    rps = main["return_period"].values[h]
    n = sum(1 for label in labels if label)
    if kind == "scenario":
        return [("scenario", 0, named(0), np.nan, False)]
    if kind == "relocation":
        return [("planning", 0, named(0), np.nan, False)]
    out = [("expected_annual", None, {}, np.nan, False)]
    out += [("pmd", k, {}, float(t), False) for k, t in enumerate(main["pmd_return_period"].values)]
    if kind == "return_periods":
        out += [("return_period_map", b, named(b), float(rps[b]), False) for b in range(n)]
    else:
        out += [("event", b, named(b), np.nan, True) for b in range(n)]
    return out
