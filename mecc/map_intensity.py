"""The map's hazard intensity layers: each band of a hazard, or of each component of a
combined hazard, as a raster overlay with its legend.

A hazard's bands come from the run's own previews (results.nc group ``previews``:
:func:`mecc.map_data.preview_bands`), else from its grids where the run file still
names them with the SHA-256 the run recorded (:func:`hazard_bands`). A combined hazard
(``components:``, e.g. cyclone wind and storm surge) has no intensity of its own and the
engine keeps no previews of it: each component's grid is drawn as its own layers, named
with the component's hazard type and unit, in the type's canonical unit (the
component's ``unit_factor`` of manifest.json), with a legend of its own; the About
panel's notes say so (``components_drawn``), or that they are left out when the grids
are not found.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from mecc.errors import MeccError, MeccWarning
from mecc.map_data import (
    PALETTES,
    Band,
    RunData,
    _checked,
    _plain,
    class_breaks,
    classify,
    palette,
    palette_png,
    preview_bands,
    warp_picture,
    warp_to_mercator,
)
from mecc.map_text import esc
from mecc.previews import MAP_EVENT_BANDS, MAPPED_KINDS

__all__ = ["FLOOD_TYPES", "hazard_bands", "hazard_spec", "intensity_layers", "spec_bands"]

FLOOD_TYPES = {"river_flood", "flash_flood", "pluvial_flood", "coastal_flood", "tsunami"}
SHARED_KEYS = ("scenario", "events")
"""Keys of a combined hazard's entry its components' bands follow."""


def intensity_layers(m, page, hazard_id: str) -> None:
    """The intensity overlays of one hazard (``page``: :class:`mecc.maps._Page`)."""
    run, w = page.run, page.text.w
    summary = run.summary["hazards"][hazard_id]
    if summary.get("kind") not in MAPPED_KINDS:
        return  # slow-onset inputs (a DEM, a drought index) are not hazard intensities
    params = run.hazard_parameters(hazard_id)
    if params.get("components"):
        _component_layers(m, page, hazard_id, params["components"])
        return
    from_previews = preview_bands(run, hazard_id)
    if from_previews is not None:
        bands, total = from_previews
    else:
        bands, total = hazard_bands(run, page.base, hazard_id, MAP_EVENT_BANDS)
    if bands is None:
        page.notes.append(w("grids_missing", hazard=hazard_id))
        return
    _events_note(page, hazard_id, bands, total)
    unit = str(summary.get("unit") or params.get("unit_in_files") or "")
    factor = float(params.get("unit_factor") or 1.0)
    if not _draw(m, page, bands, factor, summary.get("type"), unit, esc(hazard_id)) and bands:
        page.notes.append(w("grids_missing", hazard=hazard_id))


def _events_note(page, hazard_id, bands, total) -> None:
    if bands and total > len(bands) and bands[0].key == "band_event":
        page.notes.append(page.text.w("events_shown", hazard=hazard_id, n=len(bands), total=total))


def _component_layers(m, page, hazard_id: str, components: list) -> None:
    """Each component's intensity of a combined hazard, as layers of their own."""
    from hazards.catalogue import get_hazard_type

    run, text = page.run, page.text
    spec = hazard_spec(run, page.base, hazard_id) or {}
    parts = spec.get("components") or []
    if len(parts) != len(components):  # no run file (a moved run folder): not found
        page.notes.append(text.w("grids_missing", hazard=hazard_id))
        return
    rows = run.bands[run.bands["hazard_id"] == hazard_id]
    shared = {key: spec[key] for key in SHARED_KEYS if key in spec}
    drawn = []
    for part, record in zip(parts, components, strict=True):
        kind = str(record.get("type") or part.get("type") or "")
        what = text.w(f"hazard_type_{kind}")
        bands, total = spec_bands(run, page.base, {**part, **shared}, rows, MAP_EVENT_BANDS)
        named = f"{hazard_id} · {text.words.get(f'hazard_type_{kind}', kind)}"
        if bands is None:
            page.notes.append(text.w("grids_missing", hazard=named))
            continue
        if not drawn:
            _events_note(page, hazard_id, bands, total)
        try:
            unit = get_hazard_type(kind).unit
        except MeccError:
            unit = str(record.get("unit_in_files") or "")
        factor = float(record.get("unit_factor") or 1.0)
        suffix = f"{esc(hazard_id)} · {what} ({esc(unit)})"
        if _draw(m, page, bands, factor, kind, unit, suffix):
            drawn.append(what)
        elif bands:
            page.notes.append(text.w("grids_missing", hazard=named))
    if drawn:
        page.notes.append(text.w("components_drawn", hazard=hazard_id))


def _draw(m, page, bands, factor, hazard_type, unit, suffix) -> bool:
    """One overlay per band and one legend for them all (False: none could be read)."""
    import folium
    from rasterio.errors import RasterioError

    w = page.text.w
    grids = []
    for band in bands:
        if band.picture is not None:  # already in the hazard type's unit
            values, bounds = warp_picture(*band.picture)
            grids.append((band, values, bounds))
            continue
        try:
            values, bounds = warp_to_mercator(band.path, band.index, variable=band.variable)
        except (OSError, MeccError, RasterioError) as error:  # left out, with a warning
            warnings.warn(f"map: {band.path}: {error}", MeccWarning, stacklevel=2)
            continue
        grids.append((band, values * factor, bounds))
    if not grids:
        return False
    everything = np.concatenate([g[1].ravel() for g in grids])
    breaks = (  # MMI by its classes (VI: 5.5 to 6.5), other intensities by quantiles
        _intensity_class_breaks(everything)
        if hazard_type == "earthquake"
        else class_breaks(everything, 6)
    )
    scheme = PALETTES["water" if hazard_type in FLOOD_TYPES else "other"]
    colours = palette(scheme, len(breaks) + 1, start=0.15, stop=1.0)
    layers = []
    for band, values, bounds in grids:
        band_text = w(band.key, **{k: str(v) for k, v in band.args.items()})
        layer_name = f"{w('layer_intensity', band=band_text)} · {suffix}"
        layer = folium.raster_layers.ImageOverlay(
            palette_png(classify(values, breaks), colours),
            bounds,
            name=layer_name,
            show=False,
            opacity=0.85,
            pane="mecc-rasters",
            alt=layer_name,
        )
        layers.append(layer.add_to(m))
    title = f"{w('intensity')} · {suffix}"
    page.add_legend(layers, title, esc(unit), breaks, colours, zero_key="no_hazard")
    return True


def _intensity_class_breaks(values) -> list[float]:
    """Class edges of intensities on a scale of classes (MMI: class k is [k - 0.5,
    k + 0.5), so "MMI VI" is 5.5 to 6.5): the half-unit edges within the values."""
    values = np.asarray(values, dtype="float64")
    values = values[np.isfinite(values) & (values > 0)]
    if values.size == 0:
        return []
    low, high = float(values.min()), float(values.max())
    return [
        k + 0.5
        for k in range(int(np.floor(low - 0.5)), int(np.ceil(high)))
        if low < k + 0.5 <= high
    ]


def hazard_bands(run: RunData, base: Path | None, hazard_id: str, max_events: int):
    """The grids to draw for one hazard, and the number of bands of its set.

    Return-period maps: every map; a scenario: its grid; an event set: the ``max_events``
    events with the most people displaced nationally. None when the grids cannot be found.
    """
    spec = hazard_spec(run, base, hazard_id)
    if spec is None:
        return None, 0
    if spec.get("components") or not (spec.get("intensity") or spec.get("return_periods")):
        return [], 0  # slow-onset hazards; combined: mecc.map_intensity, a layer per component
    return spec_bands(run, base, spec, run.bands[run.bands["hazard_id"] == hazard_id], max_events)


def hazard_spec(run: RunData, base: Path | None, hazard_id: str) -> dict | None:
    """A hazard's entry of the run file (None without the run file or the bands)."""
    import yaml

    if base is None or run.bands is None:
        return None
    run_file = base / next(r["path"] for r in run.manifest["inputs"] if r["role"] == "run file")
    hazards = yaml.safe_load(run_file.read_text(encoding="utf-8")).get("hazards", [])
    return next((h for h in hazards if str(h.get("id")) == hazard_id), None)


def spec_bands(run: RunData, base: Path, spec: dict, rows, max_events: int):
    """:func:`hazard_bands` of one run-file entry (a combined hazard's component with its
    hazard's ``scenario``) and ``rows``, its bands of bands.csv."""
    variable = spec.get("variable")
    picked: list[Band] = []
    if spec.get("return_periods"):
        files = {float(k): v for k, v in spec["return_periods"].items()}
        for row in rows.itertuples():
            path = files.get(float(row.return_period))
            checked = path and _checked(base, path, run)
            if not checked:
                return None, len(rows)
            args = {"t": _plain(row.return_period)}
            picked.append(Band("band_return_period", args, checked, 1, row.displaced))
        return _with_variable(picked, variable), len(rows)
    checked = spec.get("intensity") and _checked(base, spec["intensity"], run)
    if not checked:
        return None, len(rows)
    for row in rows.itertuples():
        name = getattr(row, "event_name", "") or str(row.band)
        key, args = (
            ("band_scenario", {}) if spec.get("scenario") else ("band_event", {"name": name})
        )
        picked.append(Band(key, args, checked, int(row.band), row.displaced))
    if not spec.get("scenario"):
        order = sorted(picked, key=lambda b: (-(b.displaced or 0.0), b.index))
        picked = sorted(order[:max_events], key=lambda b: b.index)
    return _with_variable(picked, variable), len(rows)


def _with_variable(bands: list[Band], variable: str | None) -> list[Band]:
    for band in bands:
        band.variable = variable
    return bands
