"""Interactive risk maps that work with no network: ``map.html`` from a finished run folder.

:func:`build_map` reads a run folder (summary.json, manifest.json, zones.csv, bands.csv,
futures.csv, zones.gpkg, displaced.tif, and the hazard grids named in the manifest when
they are still where the run found them) and writes one self-contained HTML page with
Folium:

- a light basemap of the admin boundaries (no tile server);
- base layers (one at a time), at the finest admin level: per hazard, average annual
  displacement (people displaced for a scenario, people at risk for planned relocation),
  probable maximum displacement and displaced per 100,000 residents, or a drought's
  people exposed per severity class; per future, the change of the headline figure (a
  drought's per class) and its parts (climate alone, population alone, interaction);
  each with tooltips and popups; a unit whose people all lack hazard data is drawn as no
  data, not 0, and the popups and notes say how many people lack it
  (:mod:`mecc.map_no_hazard`);
- overlays: hazard intensity per band and displaced people (people at risk of planned
  relocation) per grid cell (raster images, no data transparent, warped to Web Mercator
  at the map's scale);
- a legend per layer, a title box with the run's date, sources and the "modelled estimate"
  notice; its About panel cites, per hazard, the curve behind the figures (and the
  variants behind the range) with its evidence grade and source, the method of a hazard
  grid ``mecc hazard`` generated, and the population's source, all from the run's records
  (:func:`mecc.map_text.method_records`); labels in English, French or Spanish
  (``mecc/locales/maps.yaml``), Leaflet's zoom, layer and popup buttons too, and a
  metric scale bar.

Every script, stylesheet, image and font is inlined (:mod:`mecc.offline`); the page is
refused with a :class:`~mecc.errors.MeccError` if any remote reference remains.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from mecc.errors import (
    DataError,
    InputFileError,
    MeccError,
    error_reason,
)
from mecc.map_data import (
    NODATA_FILL,
    PALETTES,
    ZERO_COLOUR,
    cell_size_text,
    class_breaks,
    classify,
    find_base_dir,
    labels,
    map_tolerance,
    palette,
    palette_png,
    read_run,
    simplified_geojson,
    warp_to_mercator,
)
from mecc.map_intensity import _intensity_class_breaks, intensity_layers  # noqa: F401
from mecc.map_methods import drought_class_name, drought_columns, figure_phrase, title_key
from mecc.map_mobility import flow_layers, host_choropleths, scenario_markers, site_layer
from mecc.map_no_hazard import NODATA_PATTERN, legend_note, national_note, no_hazard_people
from mecc.map_sendai import sendai_b1_ranges
from mecc.map_text import (
    Text,
    esc,
    future_layer_label,
    method_records,
    per_100k_denominator,
    sendai_b1,
    sendai_b1_parts,
)
from mecc.offline import check_offline, inline_assets, mecc_data_at
from mecc.outputs import OutputFolder, staged_file
from mecc.previews import MAP_EVENT_BANDS
from mecc.risk import STANDARD_RETURN_PERIODS as PMD_PERIODS
from mecc.run_folder import MAP_READS, check_finished_run, check_out_dir, is_run_folder
from mecc.run_identity import check_results
from mecc.sendai import per_100k

__all__ = ["MAX_EVENT_BANDS", "PMD_PERIODS", "build_map", "write_map"]

MAX_EVENT_BANDS = MAP_EVENT_BANDS
"""Event sets: the map shows this many events, those displacing the most people."""
HEADLINES = ("aad", "displaced", "at_risk_relocation")
"""The figure a hazard's first choropleth shows: the first of these zones.csv has."""
DECREASE_COLOUR = "#9ecae1"
_EXPOSED = "unit_people_exposed"
"""The unit of a drought's layers: people exposed (per severity class), not displaced."""
STYLE_FILE = Path(__file__).resolve().parent / "assets" / "mecc-map.css"


def write_map(run_dir, out_dir, *, lang="en", title=None, inputs_dir=None, overwrite=False) -> Path:
    """``mecc map``: write ``OUT_DIR/map.html`` for a finished run, outside the run folder.

    ``out_dir`` may not be, hold or lie inside the run folder, nor hold its inputs
    (:func:`mecc.run_folder.check_out_dir`). It is written through a staging folder, so
    an error leaves nothing behind, and an existing non-empty ``out_dir`` is replaced
    only with ``overwrite`` (as every command's ``--out``). A finished run without a file
    the map draws (:data:`mecc.run_folder.MAP_READS`) is refused in one line naming it.
    """
    check_out_dir(out_dir, run_dir)
    if is_run_folder(run_dir):  # else build_map says what the folder is not
        check_finished_run(run_dir, MAP_READS)
    check_results(run_dir)
    folder = OutputFolder(out_dir, overwrite=overwrite, command="map")
    with folder as staging:
        build_map(run_dir, staging / "map.html", lang=lang, title=title, inputs_dir=inputs_dir)
    return folder.commit() / "map.html"


def build_map(run_dir, out_path, *, lang="en", title=None, inputs_dir=None) -> Path:
    """Write a self-contained interactive map of a finished run.

    Parameters
    ----------
    run_dir : path
        A run folder written by ``mecc run`` (only read).
    out_path : path
        The HTML file to write (its folder is created; written atomically).
    lang : {"en", "fr", "es"}
        Language of every label.
    title : str, optional
        Default: "<country name>: people likely to be displaced", or for a run without
        displacement what it shows (:func:`mecc.map_methods.title_key`).
    inputs_dir : path, optional
        Folder of the run file, when the hazard grids are not where the run found them
        (default: a folder recorded in the manifest, ``<run>/../inputs`` or nearby).

    Returns
    -------
    pathlib.Path
        ``out_path``.

    Raises
    ------
    mecc.errors.MeccError
        A missing or unreadable run file, an unknown language, or a page that would need
        the network (naming the reference).
    """
    text = Text(labels(lang), lang)
    run = read_run(run_dir)
    if not run.levels:
        raise DataError(f"{Path(run_dir) / 'zones.gpkg'}: no admin boundaries to map")
    pieces = _Page(run, text, inputs_dir).render(title)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    # a staging file of its own (another map written there meanwhile keeps its own), gone
    # on a full disk or Ctrl-C: no half-written page left
    with staged_file(out_path) as staging, open(staging, "w", encoding="utf-8") as file:
        for piece in pieces:  # as write_text: newlines too
            file.write(piece if isinstance(piece, str) else piece.decode("utf-8"))
    return out_path


class _Page:
    """The folium map of one run in one language."""

    def __init__(self, run, text: Text, inputs_dir):
        self.run, self.text = run, text
        self.notes: list[str] = []
        self.legends: list[tuple[str, list, str]] = []  # (id, layers, markup)
        self.popups: list[list[str]] = []
        self.popup_of: dict[str, int] = {}  # hazard id -> its popups
        self.no_hazard_of: dict = {}  # hazard id -> its people without hazard data, or None
        self.finest = max(run.levels)
        self.frame = run.levels[self.finest].reset_index(drop=True)
        self.codes = list(self.frame["zone_code"])
        self.names = [text.retag(n) for n in self.frame["zone_name"]]  # "(nom fictif)"
        self.base = find_base_dir(run, inputs_dir)

    # --- figures per zone ------------------------------------------------------------

    def rows(self, table, hazard_id, **match):
        """Rows of one hazard at the finest level, in the map's zone order."""
        keep = table["hazard_id"] == hazard_id
        for column, value in match.items():
            keep &= table[column] == value
        rows = table[keep].drop_duplicates("zone_code")
        return rows.set_index("zone_code").reindex(self.codes)

    def choropleths(self):
        """(layer name, values, unit key, popup index[, legend note]) of every choropleth."""
        run, w = self.run, self.text.w
        out = []
        for hazard_id, summary in run.summary.get("hazards", {}).items():
            rows = self.rows(run.zones, hazard_id)
            kind = summary.get("kind")
            headline = next((f for f in HEADLINES if _has(rows, f)), None)
            no_hazard = no_hazard_people(run, hazard_id, rows, summary)  # not known, not 0
            self.no_hazard_of[hazard_id] = no_hazard
            self.popups.append(
                self.text.hazard_popups(
                    rows,
                    self.names,
                    hazard_id,
                    summary,
                    headline,
                    sendai_b1(run, hazard_id),
                    sendai_b1_parts(run, hazard_id),
                    no_hazard,
                    sendai_b1_ranges(run, hazard_id),
                )
            )
            popup = len(self.popups) - 1
            self.popup_of[hazard_id] = popup
            unknown = np.zeros(len(rows), bool) if no_hazard is None else no_hazard.unknown
            note = legend_note(self.text, run, hazard_id, summary)  # its people without data
            note = () if note is None else (note,)
            if line := national_note(self.text, run, hazard_id, summary):
                self.notes.append(line)
            if summary.get("type") == "drought":  # exposure per severity class, no headline
                for name, column in drought_columns(summary, rows.columns):
                    severity = drought_class_name(self.text.words, name)
                    layer = w("layer_drought_class", severity=severity)
                    values = _column(rows, column, unknown)
                    out.append((f"{layer} · {esc(hazard_id)}", values, _EXPOSED, popup, *note))
            if headline is None:
                continue
            suffix = f" · {esc(hazard_id)}"
            values = _column(rows, headline, unknown)
            yearly = kind in ("events", "return_periods")
            unit = "unit_people_year" if yearly else "unit_people"
            out.append((w(f"layer_{headline}") + suffix, values, unit, popup, *note))
            period = _pmd_period(rows) if yearly else None
            if period is not None:
                key = "layer_pmd_maps" if kind == "return_periods" else "layer_pmd_events"
                pmd = _column(rows, f"pmd_{period}", unknown)
                out.append((w(key, t=period) + suffix, pmd, "unit_people", popup, *note))
            denominator, source = per_100k_denominator(rows)
            density = per_100k(values, denominator)
            unit = "unit_per_100k_year" if yearly else "unit_per_100k"
            unit += "" if source == "grid" else f"_{source}"
            key = "layer_per_100k_at_risk" if headline == "at_risk_relocation" else "layer_per_100k"
            out.append((w(key) + suffix, density, unit, popup, *note))
        out += host_choropleths(self)
        out += self.future_choropleths()
        return out

    def future_choropleths(self):
        """Change of the headline figure per future and hazard (futures.csv; a drought: of
        each severity class), and its parts (attribution.csv: climate alone, population
        alone and their interaction, which add up to the change)."""
        run = self.run
        path = run.run_dir / "futures.csv"
        if not path.is_file():
            return []
        from mecc.map_data import read_table

        table = read_table(path)
        attribution_path = run.run_dir / "attribution.csv"
        attribution = read_table(attribution_path) if attribution_path.is_file() else None
        out = []
        keys = ["future_id", "hazard_id", "figure"]  # a drought: one figure per class
        for (future_id, hazard_id, figure), group in table.groupby(keys, sort=False, dropna=False):
            summary = run.summary.get("hazards", {}).get(hazard_id, {"kind": ""})
            rows = self.rows(group, hazard_id, future_id=future_id)
            label = self.text.retag(
                group["future_label"].iloc[0] or future_id, "fictional_data_tag"
            )
            figure = str(figure)
            parts = None
            if attribution is not None:
                parts = self.rows(attribution, hazard_id, future_id=future_id, figure=figure)
            no_hazard = self.no_hazard_of.get(hazard_id)  # the baseline's: change not known
            unknown = None if no_hazard is None else no_hazard.unknown
            self.popups.append(
                self.text.future_popups(
                    rows, self.names, hazard_id, summary, label, parts, no_hazard
                )
            )
            name = esc(future_layer_label(self.text.words, figure, label))
            yearly = figure == "aad"
            unit = "unit_people_year" if yearly else "unit_people"
            unit = _EXPOSED if summary.get("type") == "drought" else unit
            popup = len(self.popups) - 1
            change = _column(rows, "change", unknown)
            out.append((f"{name} · {esc(hazard_id)}", change, unit, popup))
            for part in ("climate_only", "population_only", "interaction"):
                if parts is not None and _has(parts, part):  # the parts of the change
                    layer = self.text.w(f"layer_{part}", future=label)
                    if figure.startswith("drought_"):  # a part of each severity class
                        phrase = figure_phrase(self.text.words, figure)
                        layer = self.text.w(f"layer_{part}_figure", figure=phrase, future=label)
                    values = _column(parts, part, unknown)
                    out.append((f"{layer} · {esc(hazard_id)}", values, unit, popup))
        return out

    # --- the page --------------------------------------------------------------------

    def render(self, title) -> list[str | bytes]:
        """The page in pieces: text, and mecc's JSON data as UTF-8 chunks (in file order).

        The data (zones, popups, tooltips: hundreds of MB for 40,000 units) never joins
        the page's text: elements render a placeholder (:class:`mecc.map_elements.Payload`),
        the page is finished, inlined and checked without it, and the data goes in its
        place as the file is written. :func:`mecc.offline.check_offline` skips mecc's JSON
        data wherever it stands, so checking the page with placeholders finds the same.
        """
        import folium

        from mecc import map_elements as el

        run, text = self.run, self.text
        name = text.retag(run.summary.get("name") or run.summary.get("country") or "")
        title = title or text.words[title_key(run.summary)].format(name=name)
        west, south, east, north = self.frame.total_bounds
        m = folium.Map(
            location=[(south + north) / 2, (west + east) / 2],
            zoom_start=8,
            tiles=None,
            control_scale=True,  # metric only (mecc.map_elements.HELPERS_JS)
            zoom_control="bottomleft",
            prefer_canvas=False,
        )
        el.Helpers().add_to(m)
        for pane, z_index in (("mecc-base", 250), ("mecc-rasters", 450), ("mecc-outlines", 460)):
            folium.map.CustomPane(pane, z_index=z_index, pointer_events=False).add_to(m)
        tolerance = map_tolerance(run.levels)
        properties = [
            {"i": k, "code": code, "name": n}
            for k, (code, n) in enumerate(zip(self.codes, self.names, strict=True))
        ]
        layers = self.choropleths()
        data = el.ZoneData(simplified_geojson(self.frame, tolerance, properties), self.popups)
        data.add_to(m)
        basemap = {"fillColor": "#f4f1ea", "fillOpacity": 1, "color": "#ffffff", "weight": 1}
        el.StaticLayer(basemap, "mecc-base", data=data).add_to(m)
        el.EmptyLayer(text.w("boundaries_only")).add_to(m)
        for k, (layer_name, values, unit, popup, *note) in enumerate(layers):
            fills, breaks, colours, negative = self.choropleth_colours(values)
            tips = [text.tooltip(n, v, unit) for n, v in zip(self.names, values, strict=True)]
            layer = el.Choropleth(data, layer_name, fills, tips, popup, show=k == 0).add_to(m)
            self.add_legend(
                [layer], layer_name, text.w(unit), breaks, colours, negative=negative, note=note
            )
        for hazard_id in run.hazard_ids:
            self.intensity_layers(m, hazard_id)
        self.cell_layers(m)
        flow_layers(m, self)
        site_layer(m, self)
        scenario_markers(m, self)
        if self.finest != min(run.levels):
            outline = simplified_geojson(run.levels[min(run.levels)], tolerance)
            style = {"fill": False, "color": "#1a1a1a", "weight": 1.6, "opacity": 0.9}
            el.StaticLayer(style, "mecc-outlines", geojson=outline).add_to(m)
        control = folium.LayerControl(collapsed=False, position="topright").add_to(m)
        markup = "".join(markup for _, _, markup in self.legends)
        el.Legends(
            f'<div id="mecc-legends" class="mecc-legends leaflet-bar" role="region" '
            f'aria-label="{text.w("legend")}">{NODATA_PATTERN}{markup}</div>',
            [(legend_id, layers) for legend_id, layers, _ in self.legends],
        ).add_to(m)
        version = _version()
        style = STYLE_FILE.read_text(encoding="utf-8")
        el.MapSetup(
            text.title_box(title, run, self.notes, version, style, method_records(run, self.base)),
            control=control,
            prefix="Leaflet",
            attribution=f"{text.w('modelled_notice')} · {text.w('made_with', version=version)}",
            layers_label=text.words["layers"],
            map_label=title,
            bounds=[[south, west], [north, east]],
            controls={
                "zoomIn": text.words["control_zoom_in"],
                "zoomOut": text.words["control_zoom_out"],
                "layers": text.words["layers"],
                "closePopup": text.words["control_close_popup"],
            },
        ).add_to(m)
        _fix_ids(m)
        payloads = _payloads(m)
        page = _finish(m.get_root().render(), title, text.lang)
        data = (c.decode("utf-8") for p in payloads.values() for c in p.chunks)
        page = inline_assets(page, data=data)
        check_offline(page)
        return _pieces(page, payloads)

    def choropleth_colours(self, values):
        """Fill per zone, class edges, class colours and the colour of decreases (if any)."""
        values = np.asarray(values, dtype="float64")
        breaks = class_breaks(values)
        colours = palette(PALETTES["choropleth"], len(breaks) + 1, stop=0.95, reverse=True)
        negative = DECREASE_COLOUR if np.nanmin(values, initial=0.0) < 0 else None
        fills = [
            NODATA_FILL
            if c < 0
            else (DECREASE_COLOUR if v < 0 else ZERO_COLOUR)
            if c == 0
            else colours[c - 1]
            for c, v in zip(classify(values, breaks), values, strict=True)
        ]
        return fills, breaks, colours, negative

    def add_legend(
        self, layers, title, unit, breaks, colours, zero_key="zero", negative=None, note=()
    ):
        """A legend for ``layers``; ``note``: lines of escaped HTML below its classes."""
        legend_id = f"mecc-legend-{len(self.legends)}"
        markup = self.text.legend(legend_id, title, unit, breaks, colours, zero_key, negative)
        if note:
            lines = "".join(f'<p class="mecc-unit mecc-legend-note">{n}</p>' for n in note)
            markup = markup.replace("</ul></section>", f"</ul>{lines}</section>")
        self.legends.append((legend_id, layers, markup))

    # --- rasters ---------------------------------------------------------------------

    def intensity_layers(self, m, hazard_id):
        """Hazard intensity overlays (:func:`mecc.map_intensity.intensity_layers`)."""
        intensity_layers(m, self, hazard_id)

    def cell_layers(self, m):
        """Displaced people per grid cell (people at risk of planned relocation for a
        sea-level rise): one overlay per band of displaced.tif."""
        import folium
        import rasterio

        path = self.run.run_dir / "displaced.tif"
        if not path.is_file():
            return
        try:
            with rasterio.open(path) as src:
                names = list(src.descriptions)
        except rasterio.errors.RasterioIOError as error:
            raise InputFileError(
                f"{path}: cannot read the per-cell grid ({error_reason(error)})"
            ) from None
        size = cell_size_text(self.run)
        for index, hazard_id in enumerate(names, start=1):
            summary = self.run.summary.get("hazards", {}).get(hazard_id)
            if summary is None or summary.get("type") == "drought":  # exposure: no band values
                continue
            values, bounds = warp_to_mercator(path, index)
            breaks = class_breaks(values, 5)
            colours = palette(PALETTES["cells"], len(breaks) + 1, start=0.95, stop=0.25)
            yearly = summary.get("kind") in ("events", "return_periods")
            unit = self.text.w("unit_cells_year" if yearly else "unit_cells", size=size)
            key = "layer_cells_relocation" if summary.get("kind") == "relocation" else "layer_cells"
            layer_name = f"{self.text.w(key)} · {esc(hazard_id)}"
            layer = folium.raster_layers.ImageOverlay(
                palette_png(classify(values, breaks), colours),
                bounds,
                name=layer_name,
                show=False,
                opacity=0.9,
                pane="mecc-rasters",
                alt=layer_name,
            ).add_to(m)
            self.add_legend([layer], layer_name, unit, breaks, colours, zero_key=None)


def _has(rows, column) -> bool:
    return column in rows.columns and bool(rows[column].notna().any())


def _column(rows, name, unknown=None):
    """A column as numbers (NaN without it); NaN, no data, where ``unknown`` is true."""
    if name not in rows.columns:
        return np.full(len(rows), np.nan)
    values = rows[name].to_numpy(dtype="float64")
    return values if unknown is None else np.where(unknown, np.nan, values)


def _pmd_period(rows):
    """The PMD return period to map: 100 years when defined somewhere, else the longest."""
    defined = [t for t in PMD_PERIODS if _has(rows, f"pmd_{t}")]
    if not defined:
        return None
    return 100 if 100 in defined else defined[-1]


def _version() -> str:
    from mecc import __version__

    return __version__


def _fix_ids(m) -> None:
    """Deterministic element names, so the same run gives the same page."""
    counter = 0
    stack = [m.get_root()]
    seen = []
    while stack:
        element = stack.pop(0)
        element._id = f"{counter:04d}"
        counter += 1
        stack.extend(element._children.values())
        # a popup keeps its content in elements outside its children
        stack.extend(
            getattr(element, part)
            for part in ("header", "html", "script")
            if hasattr(getattr(element, part, None), "_children")
        )
        seen.append(element)
    for element in seen:  # templates also use the keys children were added under
        element._children = type(element._children)(
            (child.get_name(), child) for child in element._children.values()
        )


def _payloads(m) -> dict:
    """Every :class:`~mecc.map_elements.Payload` of the map's elements, by token."""
    from mecc.map_elements import Payload

    found, stack = {}, [m.get_root()]
    while stack:
        element = stack.pop()
        payload = getattr(element, "payload", None)
        if isinstance(payload, Payload):
            found[payload.token] = payload
        stack.extend(element._children.values())
        stack.extend(
            getattr(element, part)
            for part in ("header", "html", "script")
            if hasattr(getattr(element, part, None), "_children")
        )
    return found


_TOKEN = re.compile(r'\{"mecc_payload":"[0-9a-f]{32}"\}')


def _pieces(page: str, payloads: dict) -> list[str | bytes]:
    """The page's text around each placeholder, with the payload's chunks in its place."""
    out, start = [], 0
    for match in _TOKEN.finditer(page):
        if not mecc_data_at(page, match.start()):  # the check would have read it
            raise MeccError(f"map: data placed where the offline check reads it: {match[0]}")
        out.append(page[start : match.start()])
        out.extend(payloads[match.group(0)].chunks)
        start = match.end()
    out.append(page[start:])
    return out


def _finish(page: str, title: str, lang: str) -> str:
    """Language, title, charset and a zoomable mobile viewport on folium's page."""
    viewport = '<meta name="viewport" content="width=device-width, initial-scale=1" />'
    page, count = re.subn(r'<meta name="viewport"[^>]*>', viewport, page, count=1)
    head = f'<head>\n<meta charset="utf-8" />\n<title>{esc(title)}</title>'
    if count != 1:
        head += "\n" + viewport
    page = page.replace("<head>", head, 1)
    page = page.replace(
        '<meta http-equiv="content-type" content="text/html; charset=UTF-8" />', "", 1
    )
    return page.replace("<html>", f'<html lang="{lang}">', 1)
