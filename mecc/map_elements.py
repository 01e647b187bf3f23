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

from branca.element import Element, MacroElement
from folium.map import Layer
from folium.template import Template

__all__ = ["Choropleth", "EmptyLayer", "Helpers", "Legends", "MapSetup", "StaticLayer", "ZoneData"]


_JINJA_OPENING = re.compile(r"\{(?=[{%#])")


def js_json(value) -> str:
    """JSON safe inside a ``<script>`` element (no ``</script>``, no HTML comment, no U+2028)
    and inert for Jinja, which folium runs over rendered output again: a ``{`` before
    ``{``, ``%`` or ``#`` (only possible inside a string) is written ``\\u007b``."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
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


HELPERS_JS = """
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
        self.code = HELPERS_JS


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
        self.payload = js_json({"zones": zones, "popups": popups})

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
        self.payload = js_json({"colors": list(colors), "tips": list(tips), "popups": popups})


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
        self.payload = js_json(geojson) if geojson is not None else "null"
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
    """Title box, attribution, accessible names and the initial view (added last)."""

    _template = Template(
        """
        {% macro html(this, kwargs) %}{{ this.markup }}{% endmacro %}
        {% macro script(this, kwargs) %}
        (function (map) {
          window.meccMap = map;
          meccControl(map, "mecc-title", "topleft");
          map.attributionControl.setPrefix({{ this.prefix }});
          map.attributionControl.addAttribution({{ this.attribution }});
          var control = {{ this.control.get_name() }}.getContainer();
          control.setAttribute('role', 'region');
          control.setAttribute('aria-label', {{ this.layers_label }});
          map.getContainer().setAttribute('aria-label', {{ this.map_label }});
          map.fitBounds({{ this.bounds }}, {animate: false});
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, markup, *, control, prefix, attribution, layers_label, map_label, bounds):
        super().__init__()
        self._name = "MeccSetup"
        self.markup = markup
        self.control = control
        self.prefix = js_json(prefix)
        self.attribution = js_json(attribution)
        self.layers_label = js_json(layers_label)
        self.map_label = js_json(map_label)
        self.bounds = js_json(bounds)
