"""Folium elements of the MECC map: shared zone data, choropleths, legends, title, setup.

Every string these elements put into the page is either HTML-escaped by the caller
(:mod:`mecc.maps`, with :func:`mecc.map_text.esc`) or embedded as JSON with ``<``, ``>``
and ``&`` escaped, so an admin name such as ``<img src=x onerror=alert(1)>`` stays text.
Leaflet inserts popup, tooltip and layer names as HTML: callers pass them escaped. Both
also keep Jinja's openings (``{{``, ``{%``, ``{#``) out of the page: folium parses each
element's rendered output as a template again.
"""

from __future__ import annotations

import json
import re
import uuid

from branca.element import Element, MacroElement
from folium.map import Layer
from folium.template import Template

__all__ = [
    "Choropleth",
    "EmptyLayer",
    "Helpers",
    "Legends",
    "MapSetup",
    "Payload",
    "StaticLayer",
    "ZoneData",
]


_JINJA_OPENING = re.compile(r"\{(?=[{%#])")


def js_json(value) -> str:
    """JSON safe inside a ``<script>`` element (no ``</script>``, no HTML comment, no U+2028)
    and inert for Jinja, which folium runs over rendered output again: a ``{`` before
    ``{``, ``%`` or ``#`` (only possible inside a string) is written ``\\u007b``."""
    return _escape(json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False))


def _escape(text: str) -> str:
    """:func:`js_json`'s escapes of a JSON text (each looks at one character and the next)."""
    text = _JINJA_OPENING.sub(r"\\u007b", text)
    for char, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escaped)
    return text


def _json_pieces(value, depth: int):
    """JSON texts whose concatenation is ``json.dumps`` of ``value`` (mecc's separators).

    Lists and dicts with text keys are split into their items down to ``depth`` levels.
    No piece ends with an opening brace, so :func:`_escape` of each piece equals the pieces
    of the escaped whole.
    """
    if depth > 0 and isinstance(value, (list, tuple)) and value:
        yield "["
        for k, item in enumerate(value):
            if k:
                yield ","
            yield from _json_pieces(item, depth - 1)
        yield "]"
    elif depth > 0 and isinstance(value, dict) and value and all(type(k) is str for k in value):
        for k, (key, item) in enumerate(value.items()):
            yield ("{" if k == 0 else ",") + json.dumps(key, ensure_ascii=False) + ":"
            yield from _json_pieces(item, depth - 1)
        yield "}"
    else:
        yield json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


class Payload:
    """:func:`js_json` of a large value, kept out of the rendered page as UTF-8 chunks.

    The element renders :attr:`token`, a small JSON object no other page text contains;
    :mod:`mecc.maps` writes :attr:`chunks` in its place. The text is never one string:
    40,000 zones and their popups are hundreds of MB, several copies of which the page
    held while folium rendered, mecc finished and checked it.
    """

    CHUNK = 1 << 20
    """Characters per chunk, about (JSON pieces are not split)."""

    def __init__(self, value, depth: int = 4):
        self.token = '{"mecc_payload":"' + uuid.uuid4().hex + '"}'
        self.chunks: list[bytes] = []
        buffer, size = [], 0
        for piece in _json_pieces(value, depth):
            buffer.append(piece)
            size += len(piece)
            if size >= self.CHUNK:  # escaped a chunk at a time: pieces split no escape
                self.chunks.append(_escape("".join(buffer)).encode("utf-8"))
                buffer, size = [], 0
        self.chunks.append(_escape("".join(buffer)).encode("utf-8"))

    def __str__(self) -> str:
        return self.token

    def text(self) -> str:
        """The whole JSON text (for tests and small pages)."""
        return b"".join(self.chunks).decode("utf-8")


HELPERS_JS = """
// the scale bar in metres and kilometres only (Leaflet's own adds feet and miles); set
// here, before the map script makes the control
L.Control.Scale.mergeOptions({imperial: false});
function meccControlTexts(map, texts) {
  // Leaflet's own controls in the map's language: titles and screen-reader names
  var box = map.getContainer();
  [['.leaflet-control-zoom-in', texts.zoomIn], ['.leaflet-control-zoom-out', texts.zoomOut],
   ['.leaflet-control-layers-toggle', texts.layers]].forEach(function (pair) {
    box.querySelectorAll(pair[0]).forEach(function (el) {
      el.title = pair[1];
      el.setAttribute('aria-label', pair[1]);
    });
  });
  map.on('popupopen', function (e) {  // a popup's close button exists once it opens
    var el = e.popup.getElement();
    var close = el && el.querySelector('.leaflet-popup-close-button');
    if (close) {
      close.title = texts.closePopup;
      close.setAttribute('aria-label', texts.closePopup);
    }
  });
}
function meccChoropleth(data, spec) {
  var layer = L.geoJson(data.zones, {
    style: function (f) {
      return {fillColor: spec.colors[f.properties.i], fillOpacity: 0.85,
              color: '#3b3b3b', weight: 0.8, opacity: 1};
    },
    onEachFeature: function (f, part) {
      part.bindTooltip(spec.tips[f.properties.i], {sticky: true, className: 'mecc-tip'});
      part.bindPopup(data.popups[spec.popups][f.properties.i],
                     {maxWidth: 340, className: 'mecc-popup'});
      part.on('add', function () {
        var el = part.getElement && part.getElement();
        if (el) {
          el.setAttribute('data-zone', f.properties.code);
          el.setAttribute('aria-label', f.properties.name);
        }
      });
      part.on('mouseover', function () { part.setStyle({weight: 2.5, color: '#000000'}); });
      part.on('mouseout', function () { layer.resetStyle(part); });
    }
  });
  return layer;
}
function meccStatic(geojson, style, pane) {
  return L.geoJson(geojson, {pane: pane, interactive: false, style: function () { return style; }});
}
function meccLegends(map, legends) {
  function update() {
    legends.forEach(function (entry) {
      var shown = entry.layers.some(function (layer) { return map.hasLayer(layer); });
      document.getElementById(entry.id).hidden = !shown;
    });
  }
  map.on('baselayerchange overlayadd overlayremove', update);
  update();
}
function meccControl(map, id, position) {
  var Box = L.Control.extend({
    onAdd: function () {
      var el = document.getElementById(id);
      L.DomEvent.disableClickPropagation(el);
      L.DomEvent.disableScrollPropagation(el);
      return el;
    }
  });
  return new Box({position: position}).addTo(map);
}
"""

PRINT_JS = """
function meccPrint(map, bounds) {
  var box = map.getContainer(), root = document.documentElement, saved = null;
  var MARGIN = 8, GUESS = 680;  // px; GUESS: a box that fits A4 and Letter either way
  bounds = L.latLngBounds(bounds);
  var details = document.querySelector('#mecc-title details');
  if (details) {  // the About panel, expanded below the map in print (mecc-map.css)
    var about = document.createElement('section');
    about.className = 'mecc-print-about';
    about.lang = document.getElementById('mecc-title').lang;
    Array.prototype.forEach.call(details.childNodes, function (node) {
      var copy = node.nodeName === 'SUMMARY' ? document.createElement('h2') : node.cloneNode(true);
      if (node.nodeName === 'SUMMARY') { copy.textContent = node.textContent; }
      about.appendChild(copy);
    });
    box.parentNode.insertBefore(about, box.nextSibling);
  }
  function controls() {  // the boxes of the controls shown on the map, in map pixels
    var frame = box.getBoundingClientRect(), out = [];
    box.querySelectorAll('.leaflet-control').forEach(function (el) {
      var r = el.getBoundingClientRect();
      if (r.width && r.height) {
        out.push([r.left - frame.left, r.top - frame.top, r.right - frame.left,
                  r.bottom - frame.top]);
      }
    });
    return out;
  }
  function padding(width, height, rects, size) {
    // [left, top, right, bottom]: the country as large as it goes, clear of every control
    var sides = [[MARGIN], [MARGIN], [MARGIN], [MARGIN]], best = null;
    rects.forEach(function (r) {
      sides[0].push(r[2] + MARGIN); sides[1].push(r[3] + MARGIN);
      sides[2].push(width - r[0] + MARGIN); sides[3].push(height - r[1] + MARGIN);
    });
    sides[0].forEach(function (l) { sides[1].forEach(function (t) {
      sides[2].forEach(function (r) { sides[3].forEach(function (b) {
        var w = width - l - r, h = height - t - b;
        if (w < 1 || h < 1) { return; }
        var scale = Math.min(w / size.x, h / size.y);
        var x = l + (w - size.x * scale) / 2, y = t + (h - size.y * scale) / 2;
        var clear = rects.every(function (c) {
          return c[0] >= x + size.x * scale || c[2] <= x || c[1] >= y + size.y * scale
                 || c[3] <= y;
        });
        if (clear && (!best || scale > best.scale)) { best = {scale: scale, pad: [l, t, r, b]}; }
      }); });
    }); });
    if (best) { return best.pad; }
    var top = Math.max.apply(null, sides[1]), bottom = Math.max.apply(null, sides[3]);
    var room = Math.max(height - 2 * MARGIN, 2) / 2;  // a tiny page: keep half for the map
    return [MARGIN, Math.min(top, room), MARGIN, Math.min(bottom, room)];
  }
  function layout(width, maxHeight) {  // the box that holds the country, and the fit
    var nw = map.project(bounds.getNorthWest(), 0), se = map.project(bounds.getSouthEast(), 0);
    var size = L.point(Math.max(se.x - nw.x, 1e-9), Math.max(se.y - nw.y, 1e-9));
    var rects = controls(), top = MARGIN, bottom = MARGIN;
    var corner = function (r) { return r[1] < box.clientHeight / 2; };
    rects.forEach(function (r) {  // below the controls at the top, above those at the bottom
      if (corner(r)) { top = Math.max(top, r[3] + MARGIN); }
      else { bottom = Math.max(bottom, box.clientHeight - r[1] + MARGIN); }
    });
    var inner = Math.max(width - 2 * MARGIN, 1) * size.y / size.x;
    var height = Math.min(maxHeight, Math.max(inner + top + bottom, top + bottom + width / 4));
    box.style.setProperty('--mecc-print-height', Math.floor(height) + 'px');
    map.invalidateSize({animate: false, pan: false});
    var pad = padding(box.clientWidth, box.clientHeight, controls(), size);
    map.fitBounds(bounds, {paddingTopLeft: [pad[0], pad[1]],
                           paddingBottomRight: [pad[2], pad[3]], animate: false});
  }
  function prepare() {
    if (saved) { return; }
    saved = {center: map.getCenter(), zoom: map.getZoom(), snap: map.options.zoomSnap};
    map.options.zoomSnap = 0;  // fill the page, not the nearest whole zoom level
    root.classList.add('mecc-printing');
  }
  function before() {  // screen layout still: fit a box that fits any A4 or Letter page
    prepare();
    box.style.setProperty('--mecc-print-width', GUESS + 'px');
    layout(GUESS, GUESS);
  }
  function printing() {  // print layout: the page's own width and height
    prepare();
    box.style.removeProperty('--mecc-print-width');
    box.style.removeProperty('--mecc-print-height');
    layout(box.clientWidth, box.clientHeight);
  }
  function after() {
    if (!saved) { return; }
    root.classList.remove('mecc-printing');
    box.style.removeProperty('--mecc-print-width');
    box.style.removeProperty('--mecc-print-height');
    map.options.zoomSnap = saved.snap;
    map.invalidateSize({animate: false, pan: false});
    map.setView(saved.center, saved.zoom, {animate: false});
    saved = null;
  }
  window.addEventListener('beforeprint', before);
  window.addEventListener('afterprint', after);
  if (window.matchMedia) {  // browsers without beforeprint, and the print layout itself
    var query = window.matchMedia('print');
    var changed = function (e) { if (e.matches) { printing(); } else { after(); } };
    if (query.addEventListener) { query.addEventListener('change', changed); }
    else if (query.addListener) { query.addListener(changed); }
  }
}
"""


class Helpers(MacroElement):
    """The page's small JavaScript helpers, defined once in the document header."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}<script>{{ this.code }}</script>{% endmacro %}
        """
    )

    def __init__(self):
        super().__init__()
        self._name = "MeccHelpers"
        self.code = HELPERS_JS + PRINT_JS


class ZoneData(MacroElement):
    """The finest admin level once: simplified geometry, code, name, and per-hazard popups."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = {{ this.payload }};
        {% endmacro %}
        """
    )

    def __init__(self, zones: dict, popups: list[list[str]]):
        super().__init__()
        self._name = "MeccZones"
        self.payload = Payload({"zones": zones, "popups": popups})

    def render(self, **kwargs):
        """Add the script as rendered: branca's ``Element`` would parse the whole payload
        (megabytes of shapes) as a Jinja template again (5 s for 40,000 units)."""
        script = self._template.module.__dict__["script"](self, kwargs)
        self.get_root().script.add_child(_Rendered(script), name=self.get_name())


class _Rendered(Element):
    """Output that is already rendered, returned as it is."""

    def __init__(self, text: str):
        super().__init__()
        self.text = text

    def render(self, **kwargs) -> str:
        return self.text


class Choropleth(Layer):
    """A base layer (radio button): the zones coloured by one figure, tooltips and popups."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = meccChoropleth({{ this.data.get_name() }}, {{ this.payload }});
        {% endmacro %}
        """
    )

    def __init__(self, data: ZoneData, name: str, colors, tips, popups: int, show=False):
        super().__init__(name=name, overlay=False, control=True, show=show)
        self._name = "MeccChoropleth"
        self.data = data
        self.payload = Payload({"colors": list(colors), "tips": list(tips), "popups": popups})


class EmptyLayer(Layer):
    """A base layer with nothing on it ("admin boundaries only")."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.layerGroup();
        {% endmacro %}
        """
    )

    def __init__(self, name: str, show=False):
        super().__init__(name=name, overlay=False, control=True, show=show)
        self._name = "MeccEmpty"


class StaticLayer(MacroElement):
    """Boundaries drawn in a pane, not interactive and not in the layer control."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = meccStatic(
            {% if this.data %}{{ this.data.get_name() }}.zones{% else %}{{ this.payload }}{% endif %},
            {{ this.style }}, {{ this.pane }}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, style: dict, pane: str, *, data: ZoneData | None = None, geojson=None):
        super().__init__()
        self._name = "MeccStatic"
        self.data = data
        self.payload = Payload(geojson) if geojson is not None else "null"
        self.style = js_json(style)
        self.pane = js_json(pane)


class Legends(MacroElement):
    """One legend per layer (or group of layers), shown while one of its layers is on."""

    _template = Template(
        """
        {% macro html(this, kwargs) %}{{ this.markup }}{% endmacro %}
        {% macro script(this, kwargs) %}
        meccControl({{ this._parent.get_name() }}, "mecc-legends", "bottomright");
        meccLegends({{ this._parent.get_name() }}, [
        {%- for id, layers in this.entries %}
          {id: {{ id|tojson }}, layers: [{% for layer in layers %}{{ layer.get_name() }},{% endfor %}]},
        {%- endfor %}
        ]);
        {% endmacro %}
        """
    )

    def __init__(self, markup: str, entries: list[tuple[str, list]]):
        super().__init__()
        self._name = "MeccLegends"
        self.markup = markup
        self.entries = entries


class MapSetup(MacroElement):
    """Title box, attribution, accessible names, the initial view (added last) and printing.

    Printed, the map refits to the page: :data:`PRINT_JS` gives the map a box the width
    of the page (``beforeprint``: a box any A4 or Letter page holds; the print layout,
    from ``matchMedia('print')``: the page's own) and fits ``bounds``, the view the map
    opens on, between the title and the legend; the About panel prints expanded below
    the map (``mecc-map.css``); the screen view comes back after printing.

    ``controls``: the titles and screen-reader names of Leaflet's own controls in the
    map's language (``zoomIn``, ``zoomOut``, ``layers``: the layer control's button, and
    ``closePopup``: every popup's close button); the scale bar is metric only
    (:data:`HELPERS_JS`).
    """

    _template = Template(
        """
        {% macro html(this, kwargs) %}{{ this.markup }}{% endmacro %}
        {% macro script(this, kwargs) %}
        (function (map) {
          window.meccMap = map;
          meccControl(map, "mecc-title", "topleft");
          map.attributionControl.setPrefix({{ this.prefix }});
          map.attributionControl.addAttribution({{ this.attribution }});
          meccControlTexts(map, {{ this.controls }});
          var control = {{ this.control.get_name() }}.getContainer();
          control.setAttribute('role', 'region');
          control.setAttribute('aria-label', {{ this.layers_label }});
          map.getContainer().setAttribute('aria-label', {{ this.map_label }});
          map.fitBounds({{ this.bounds }}, {animate: false});
          meccPrint(map, {{ this.bounds }});
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(
        self, markup, *, control, prefix, attribution, layers_label, map_label, bounds, controls
    ):
        super().__init__()
        self._name = "MeccSetup"
        self.markup = markup
        self.control = control
        self.prefix = js_json(prefix)
        self.attribution = js_json(attribution)
        self.layers_label = js_json(layers_label)
        self.map_label = js_json(map_label)
        self.bounds = js_json(bounds)
        self.controls = js_json(controls)
