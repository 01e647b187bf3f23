"""The maps and tables of a module's no-install track, computed once for all languages.

A map is an inline SVG (``mecc.figures.polygon_map_svg``) with the same class breaks
and colours as the interactive map (``mecc.map_data``), so "your map should look like
this" matches what ``mecc map`` draws; its legend and caption are words added per
language. A table is a DataFrame of the run's figures; its headers are words too.
Nothing here is in a language: zone names are data (they come from the run); a table
marks the columns of place names (kind ``place``) and of labels of the data (``label``),
whose "(fictional)" tag each language shows in its own words.

The layers of the interactive map (``mecc map``) that a module's words name are declared
in its structure, never retyped in a language: a printed map's ``layer`` (the layer
showing the same figures) and a step's ``layers``. :func:`layer_name` writes a layer's
name from the map's own labels (``mecc/locales/maps.yaml``), as ``mecc map`` does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from mecc.errors import ConfigError
from mecc.map_text import future_layer_label
from training_modules.labels import map_with_labels
from training_modules.scenario import fill_knobs

__all__ = [
    "MapExhibit",
    "TableExhibit",
    "layer_name",
    "map_exhibit",
    "named_layers",
    "short_name",
    "table_exhibit",
]

NO_DATA_COLOUR = "#bdbdbd"
BASE_COLOUR = "#f4f1ea"
DEPTH_BREAKS = [0.5, 1.0, 2.0]


@dataclass
class MapExhibit:
    """A printable map: SVG, legend entries ``(colour, key, args)`` and zone classes.

    ``about`` says what it shows, for its accessible name in a language (``kind``:
    zones, future or shelters; ``hazard``, ``figure``, ``level``, the band's return
    period ``t``, the ``future``'s label). ``readings`` are the values it draws, in
    the order of its shapes: ``(zone name, value)`` (NaN: no data) for a choropleth,
    ``(site id, class)`` for the shelter map (the class of the water depth drawn under
    the site: 0 no water, k >= 1 the class of ``legend[k - 1]``, -1 outside the grid). The handout says them in text
    (:func:`training_modules.handouts.map_figure`), since a screen reader cannot read
    the colours.
    """

    id: str
    svg: str
    legend: list
    unit: str
    classes: dict = field(default_factory=dict)  # zone code -> class (0 zero, k >= 1)
    about: dict = field(default_factory=dict)
    readings: list = field(default_factory=list)


@dataclass
class TableExhibit:
    """A table: rows of values, per column its kind (number, share, text, id, word, hazard),
    header keys replacing the column names, values for the headers' placeholders, and
    the kinds of range its columns show (:data:`RANGE_MARKS`), each said under it."""

    id: str
    frame: object
    kinds: dict
    headers: dict = field(default_factory=dict)
    header_args: dict = field(default_factory=dict)
    ranges: list = field(default_factory=list)


RANGE_MARKS = {
    "curve": re.compile(r"_(low|high)$"),
    "dem": re.compile(r"_(low|high)$"),
    "members": re.compile(r"_member_(min|max)$"),
    "bootstrap": re.compile(r"[._]p(05|95)([._]|$)"),
}
"""A table's ``ranges`` (kinds of range: curve variants, the elevation model raised and
lowered, ensemble members, a bootstrap interval) and the columns that hold a range's
ends; a kind is said under the table only when the table has such a column (a curve
without variants leaves its ``optional`` range columns out, and then says nothing)."""


def short_name(name) -> str:
    """A zone name without the "(fictional)" tag, for labels on a small map."""
    return re.sub(r"\s*\(fictional\)\s*$", "", str(name))


def _choropleth(values):
    from mecc.map_data import PALETTES, ZERO_COLOUR, class_breaks, classify, palette

    breaks = class_breaks(values)
    colours = palette(PALETTES["choropleth"], len(breaks) + 1, stop=0.95, reverse=True)
    classes = classify(values, breaks)
    fills = [
        NO_DATA_COLOUR if c < 0 else ZERO_COLOUR if c == 0 else colours[c - 1] for c in classes
    ]
    legend = [(ZERO_COLOUR, "legend_zero", {})]
    edges = list(breaks)
    if not edges and np.nanmax(np.asarray(values, dtype="float64"), initial=0.0) > 0:
        legend.append((colours[0], "legend_above_zero", {}))
    for k, colour in enumerate(colours if edges else []):
        if k == 0:
            legend.append((colour, "legend_below", {"b": edges[0]}))
        elif k == len(edges):
            legend.append((colour, "legend_at_least", {"a": edges[-1]}))
        else:
            legend.append((colour, "legend_between", {"a": edges[k - 1], "b": edges[k]}))
    if np.isnan(np.asarray(values, dtype="float64")).any():
        legend.append((NO_DATA_COLOUR, "legend_no_data", {}))
    return fills, legend, classes


def map_values(facts, spec: dict):
    """(codes, values) of a choropleth spec, in the order of the level's boundaries."""
    frame = facts.run.levels[int(spec.get("level", 2))]
    codes = list(frame["zone_code"])
    kind = spec.get("kind", "zones")
    if kind == "future":
        table = facts.futures()
        rows = table[
            (table["future_id"] == spec["future"]) & (table["hazard_id"] == spec["hazard"])
        ]
        values = rows.set_index("zone_code")[spec.get("figure", "change")]
        return codes, values.reindex(codes).to_numpy(dtype="float64")
    rows = facts.zone_rows(spec["hazard"], spec.get("level", 2), spec.get("band"))
    values = rows.set_index("zone_code")[spec["figure"]].reindex(codes).to_numpy(dtype="float64")
    if spec.get("per_100k"):
        values = values * 1e5 / facts.population_of(codes)
    return codes, values


def map_exhibit(facts, spec: dict) -> MapExhibit:
    """The printable map of one ``maps:`` entry of a module; its labels are placed so
    that none overlaps another (:func:`training_modules.labels.map_with_labels`)."""
    spec = fill_knobs(spec, facts.knobs)
    level = int(spec.get("level", 2))
    frame = facts.run.levels[level]
    names = [short_name(n) for n in frame["zone_name"]]
    labels = []
    for geom, name in zip(frame.geometry, names, strict=True):
        point = geom.representative_point()
        labels.append((point.x, point.y, name))
    if spec.get("kind") == "shelters":
        return _shelter_map(facts, spec, frame, labels)
    codes, values = map_values(facts, spec)
    fills, legend, classes = _choropleth(values)
    svg = map_with_labels(frame.geometry, fills, names, labels=labels)
    unit = spec.get("unit", "people")
    kind = spec.get("kind", "zones")
    about = {"kind": kind, "hazard": spec["hazard"], "level": level}
    about["figure"] = spec.get("figure", "change" if kind == "future" else None)
    digits = re.findall(r"\d+", str(spec.get("band", "")))
    if digits:
        about["t"] = int(digits[0])
    if kind == "future":
        about["future"] = facts.summary["futures"][spec["future"]]["label"]
    readings = [(n, float(v)) for n, v in zip(names, values, strict=True)]
    return MapExhibit(
        spec["id"],
        svg,
        legend,
        unit,
        dict(zip(codes, map(int, classes), strict=True)),
        about,
        readings,
    )


def _shelter_map(facts, spec, frame, labels) -> MapExhibit:
    """Districts, the forecast water depth and the candidate sites (not their verdict),
    zoomed to the sites (the district boundaries are clipped to a box around them)."""
    import rasterio
    import shapely

    from mecc.map_data import PALETTES, classify, palette, palette_png

    sites = facts.shelters()
    with rasterio.open(facts.inputs_dir / spec.get("grid", "forecast_surge.tif")) as src:
        depth = src.read(1, masked=True).filled(np.nan).astype("float64")
        west, south, east, north = src.bounds
        rows, cols = rasterio.transform.rowcol(src.transform, sites["lon"], sites["lat"])
    colours = palette(PALETTES["water"], len(DEPTH_BREAKS) + 1, start=0.3, stop=1.0)
    classes = classify(np.where(depth > 0, depth, 0.0), DEPTH_BREAKS)
    underlay = (palette_png(classes, colours), (west, south, east, north))
    readings = []  # the class of the water drawn under each site's dot
    for site, row, col in zip(sites["site_id"], rows, cols, strict=True):
        inside = 0 <= row < classes.shape[0] and 0 <= col < classes.shape[1]
        readings.append((str(site), int(classes[row, col]) if inside else -1))
    points = [
        (x, y, s, "#ffffff")
        for x, y, s in zip(sites["lon"], sites["lat"], sites["site_id"], strict=True)
    ]
    x0, x1 = sites["lon"].min(), sites["lon"].max()
    y0, y1 = sites["lat"].min(), sites["lat"].max()
    margin = 0.25 * max(x1 - x0, y1 - y0, 0.05)
    box = (x0 - margin, y0 - margin, x1 + margin, y1 + margin)
    clipped = [shapely.clip_by_rect(g, *box) for g in frame.geometry]
    keep = [not g.is_empty for g in clipped]
    names = [short_name(n) for n, k in zip(frame["zone_name"], keep, strict=True) if k]
    geoms = [g for g, k in zip(clipped, keep, strict=True) if k]
    labels = [
        (g.representative_point().x, g.representative_point().y, n)
        for g, n in zip(geoms, names, strict=True)
    ]
    svg = map_with_labels(
        geoms, [BASE_COLOUR] * len(geoms), names, labels=labels, points=points, underlay=underlay
    )
    legend = [(colours[0], "legend_below", {"b": DEPTH_BREAKS[0]})]
    for k in range(1, len(DEPTH_BREAKS)):
        legend.append(
            (colours[k], "legend_between", {"a": DEPTH_BREAKS[k - 1], "b": DEPTH_BREAKS[k]})
        )
    legend.append((colours[-1], "legend_at_least", {"a": DEPTH_BREAKS[-1]}))
    legend.append(("#ffffff", "legend_site", {}))
    about = {"kind": "shelters"}
    return MapExhibit(spec["id"], svg, legend, "metres", {}, about, readings)


# --- tables -----------------------------------------------------------------------------


def _zone_table(facts, spec):
    """Zone rows; a column of ``optional`` (a range's ``aad_low``, ``aad_high``) is left
    out where the run has none (a curve without low and high variants)."""
    import pandas as pd

    level = int(spec.get("level", 2))
    rows = facts.zone_rows(spec["hazard"], level).set_index("zone_code")
    out = pd.DataFrame({"zone_name": rows["zone_name"]})
    kinds = {"zone_name": "place"}
    for column in spec["columns"]:
        source, _, name = column.rpartition(":")
        if column in (spec.get("optional") or ()) and name not in rows.columns:
            continue
        if source == "band":
            band = facts.zone_rows(spec["hazard"], level, spec["band"]).set_index("zone_code")
            out[column] = band[name].reindex(out.index)
        elif source == "census":
            census = facts.census().set_index("zone_code")
            out[column] = census[name].reindex(out.index)
            kinds[column] = "share"
            continue
        elif source == "per_100k":
            out[column] = rows[name] * 1e5 / rows["population"]
        elif source == "":
            out[column] = rows[name]
        else:
            raise ConfigError(f"table {spec['id']}: unknown column {column!r}")
        kinds[column] = "number"
    if spec.get("sort"):
        out = out.sort_values(spec["sort"], ascending=False, kind="stable")
    return out.reset_index(drop=True), kinds


def _records_table(facts, spec):
    from training_modules.sendai_records import RECORD_COLUMNS

    frame = facts.records()[RECORD_COLUMNS].drop(columns=["zone_code"])
    kinds = dict.fromkeys(frame.columns, "number")
    kinds.update(serial="id", zone_name="place")  # an id is printed on one line
    return frame, kinds


def _shelters_table(facts, spec):
    frame = facts.shelters()
    names = facts.zones.drop_duplicates("zone_code").set_index("zone_code")["zone_name"]
    frame = frame.assign(zone_name=names.reindex(frame["zone_code"]).to_numpy())
    frame = frame[["site_id", "kind", "zone_name", "floor_area_m2", "road_distance_m"]]
    kinds = {"site_id": "id", "kind": "site_kind", "zone_name": "place"}
    kinds.update(floor_area_m2="number", road_distance_m="number")
    return frame, kinds


def _bands_table(facts, spec):
    rows = facts.bands[facts.bands["hazard_id"] == spec["hazard"]]
    frame = rows[spec["columns"]].reset_index(drop=True)
    return frame, dict.fromkeys(frame.columns, "number")


def _futures_table(facts, spec):
    """One row per future (national): summary.json's figures; a column it lacks (a
    range: ``change_low``, ``future_high``) from futures.csv's whole-grid row."""
    import pandas as pd

    rows = []
    for future_id, future in facts.summary["futures"].items():
        entry = future["hazards"][spec["hazard"]]
        national = facts.future_rows(future_id, spec["hazard"])
        row = {"future_label": future["label"]}
        for column in spec["columns"]:
            row[column] = entry[column] if column in entry else national[column].iloc[0]
        rows.append(row)
    frame = pd.DataFrame(rows)
    kinds = dict.fromkeys(spec["columns"], "number")
    kinds["future_label"] = "label"
    return frame, kinds


def _future_zones_table(facts, spec):
    table = facts.futures()
    rows = table[
        (table["future_id"] == spec["future"])
        & (table["hazard_id"] == spec["hazard"])
        & (table["level"] == int(spec.get("level", 1)))
    ]
    frame = rows[["zone_name", *spec["columns"]]].reset_index(drop=True)
    kinds = dict.fromkeys(spec["columns"], "number")
    kinds["zone_name"] = "place"
    return frame, kinds


def _hazards_table(facts, spec):
    import pandas as pd

    rows = []
    for hazard_id in spec["hazards"]:
        entry = facts.summary["hazards"][hazard_id]
        row = {"hazard_id": hazard_id}
        for column in spec["columns"]:
            value = entry
            for part in column.split("."):
                value = value.get(part) if isinstance(value, dict) else None
            row[column] = np.nan if value is None else value
        rows.append(row)
    frame = pd.DataFrame(rows)
    kinds = dict.fromkeys(spec["columns"], "number")
    kinds["hazard_id"] = "hazard"
    return frame, kinds


def _needs_table(facts, spec):
    import pandas as pd

    rows = [
        {
            "item": item,
            "per_person": float(entry["per_person"]),
            "standard": item,
            "source": entry["source"],
        }
        for item, entry in facts.module.data["needs_per_person"].items()
    ]
    kinds = {"item": "word", "per_person": "number", "standard": "standard", "source": "text"}
    return pd.DataFrame(rows), kinds


TABLES = {
    "zones": _zone_table,
    "records": _records_table,
    "shelters": _shelters_table,
    "bands": _bands_table,
    "futures": _futures_table,
    "future_zones": _future_zones_table,
    "hazards": _hazards_table,
    "needs": _needs_table,
}


def table_exhibit(facts, spec: dict) -> TableExhibit:
    """The table of one ``tables:`` entry of a module."""
    spec = fill_knobs(spec, facts.knobs)
    kind = spec.get("kind", "zones")
    if kind not in TABLES:
        raise ConfigError(f"table {spec.get('id')}: kind must be one of {', '.join(TABLES)}")
    frame, kinds = TABLES[kind](facts, spec)
    digits = re.findall(r"\d+", str(spec.get("band", "")))
    args = {"t": digits[0]} if digits else {}
    ranges = []
    for name in spec.get("ranges") or ():
        if name not in RANGE_MARKS:
            raise ConfigError(
                f"table {spec['id']}: ranges: {name!r} is none of {', '.join(RANGE_MARKS)}"
            )
        if any(RANGE_MARKS[name].search(str(column)) for column in frame.columns):
            ranges.append(name)
    headers = dict(spec.get("headers") or {})
    return TableExhibit(spec["id"], frame, kinds, headers, args, ranges)


# --- layers of the interactive map ------------------------------------------------------

LAYER_SEPARATOR = " \u00b7 "
"""Between a layer's label and its hazard id in ``mecc map`` (``mecc/maps.py``)."""
_LAYER_KEYS = ("label", "hazard")


def named_layers(module, knobs: dict) -> dict:
    """The interactive map's layers a module's words name, ``{name: spec}``.

    A printed map's ``layer`` is named by the map's id; a step's ``layers`` give their
    names. The words use a layer as the placeholder ``{layer_<name>}``. A spec gives the
    map label's key (``label: layer_intensity``), the hazard id and the label's values:
    ``band`` (a band key of the map, e.g. ``band_return_period`` with ``t``), ``figure``
    (``aad``: the map's ``figure_aad``; ``layer_future`` of a figure is worded as the map
    words it, :func:`mecc.map_text.future_layer_label`), ``future`` (a future's id: its label in the run)
    or any other ``{placeholder}`` of the label (``t``). Knobs are filled in.
    """
    out = {}
    for spec in module.items("maps"):
        if spec.get("layer"):
            out[spec["id"]] = fill_knobs(spec["layer"], knobs)
    for step in module.items("steps"):
        for name, spec in (step.get("layers") or {}).items():
            out[name] = fill_knobs(spec, knobs)
    for name, spec in out.items():
        if not isinstance(spec, dict) or any(k not in spec for k in _LAYER_KEYS):
            raise ConfigError(f"{module.path.name}: layer {name}: give at least label and hazard")
    return out


def layer_name(spec: dict, labels: dict, futures: dict | None = None) -> str:
    """A layer's name as ``mecc map`` shows it in the language of ``labels``.

    Parameters
    ----------
    spec : dict
        A layer of :func:`named_layers`.
    labels : dict
        The map's labels in one language (:func:`mecc.map_data.labels`).
    futures : dict, optional
        Future id -> its label in the run (``summary.json``'s ``futures``).

    Returns
    -------
    str
        Plain text (not escaped), e.g. ``Hazard intensity, 100-year map · river_flood``.
    """
    args = {k: str(v) for k, v in spec.items() if k not in _LAYER_KEYS}
    try:
        if "band" in args:
            args["band"] = labels[args["band"]].format(**args)
        if "future" in args:
            args["future"] = str((futures or {})[args["future"]])
        if spec["label"] == "layer_future" and "figure" in args:
            text = future_layer_label(labels, args["figure"], args.get("future", ""))
        else:
            if "figure" in args:
                args["figure"] = labels.get(f"figure_{args['figure']}", args["figure"])
            text = labels[spec["label"]].format(**args)
    except KeyError as error:
        raise ConfigError(f"map layer {spec}: the map has no {error.args[0]!r}") from None
    return f"{text}{LAYER_SEPARATOR}{spec['hazard']}"
