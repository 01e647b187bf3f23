"""The words and pictures of a district risk profile: sentences, numbers, the small map,
and the page's style (A4 CSS and the script that shrinks an overfull page's type).

Labels come from ``mecc/locales/profiles.yaml`` (en, fr, es; more languages are more
blocks there). Every value that comes from the run (names, codes, scenario names, file
names) is HTML-escaped here. The demo data's "(fictional)" tag after a name is written in
the page's language, with the words and the rule of the map (:func:`mecc.map_text.retag`).
"""

from __future__ import annotations

import functools
import html
import math
import re
import unicodedata
from pathlib import Path

import numpy as np

from mecc.elision import elide_before_placeholders
from mecc.errors import ConfigError, MeccError
from mecc.map_data import Numbers, labels
from mecc.map_methods import curve_text
from mecc.map_text import DATA_TAG, retag
from mecc.needs import exposure_only

__all__ = ["FIT_SCRIPT", "STYLE", "ProfileText", "drought_columns", "round_people", "svg_map"]

LOCALE_FILE = Path(__file__).resolve().parent / "locales" / "profiles.yaml"
esc = html.escape
# The look of a page: A4, printed by Chromium (mecc.profiles.print_to_pdf).
STYLE = """
@page { size: A4; margin: 0; }
* { box-sizing: border-box; }
html, body { margin: 0; padding: 0; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color: #1a1a1a;
  background: #d9d9d9; }
.page { width: 210mm; height: 296mm; padding: 11mm 12mm 9mm; margin: 6mm auto;
  font-size: 8.6pt; background: #fff; overflow: hidden; display: flex;
  flex-direction: column; break-after: page; page-break-after: always; position: relative; }
.page:last-child { break-after: auto; page-break-after: auto; }
@media print { body { background: #fff; } .page { margin: 0; box-shadow: none; } }
@media screen { .page { box-shadow: 0 1px 4px rgba(0,0,0,.35); } }
header { border-bottom: 2px solid #08519c; padding-bottom: 2mm; margin-bottom: 2.5mm; }
h1 { font-size: 1.75em; margin: 0 0 1mm; color: #08306b; }
h2 { font-size: 1.16em; margin: 2.6mm 0 1.2mm; color: #08306b; }
.meta { margin: 0; color: #444; }
.badge { display: inline-block; background: #fee391; border: 1px solid #cc8a00;
  padding: 0 2mm; font-weight: bold; font-size: .93em; }
.top { display: flex; gap: 4mm; align-items: flex-start; }
.sentences { flex: 1; }
.sentence { font-size: 1.2em; line-height: 1.3; margin: 0 0 1.6mm; }
figure { margin: 0; width: 55mm; flex: none; }
figure svg { width: 55mm; height: auto; border: 1px solid #bbb; background: #f7fbff; }
figcaption { font-size: .87em; color: #444; }
.unit-other { fill: #deebf7; stroke: #6baed6; stroke-width: .6; }
.unit-chosen { fill: #08519c; stroke: #08306b; stroke-width: 1; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #c6c6c6; padding: .5mm 1.2mm; text-align: right;
  vertical-align: top; }
th { background: #eff3ff; font-weight: bold; }
th.left, td.left { text-align: left; }
.range { display: block; color: #555; font-size: .86em; }
table.sendai .range { display: inline; }  /* in the figure's line: rows stay one line */
.note { font-size: .88em; color: #444; margin: .8mm 0; }
ul.sources { margin: 0; padding-left: 4mm; font-size: .8em; color: #333; columns: 2;
  column-gap: 6mm; }
ul.sources li { margin: 0 0 .4mm; overflow-wrap: anywhere; break-inside: avoid; }
footer { margin-top: auto; padding-top: 1.5mm; border-top: 1px solid #bbb; font-size: .8em;
  color: #555; display: flex; justify-content: space-between; }
"""
FIT_SCRIPT = """
(function () {
  // Shrink the type of a page whose content is taller than its A4 box, in small steps,
  // so that nothing is cut off when printed (never below 5.5 pt).
  document.querySelectorAll("section.page").forEach(function (page) {
    var size = 8.6;
    while (page.scrollHeight > page.clientHeight + 1 && size > 5.5) {
      size -= 0.2;
      page.style.fontSize = size.toFixed(1) + "pt";
    }
  });
  document.documentElement.setAttribute("data-fitted", "yes");
})();
"""


@functools.cache
def _all_labels() -> dict:
    import yaml

    return yaml.safe_load(LOCALE_FILE.read_text(encoding="utf-8"))


def languages() -> list[str]:
    """The languages profiles can be written in."""
    return list(_all_labels())


def round_people(value: float) -> float:
    """A people count rounded for a sentence ("about 12,000").

    To the nearest 10 below 1,000, 100 below 100,000 and 1,000 above (InaSAFE's
    magnitudes, ``safe/utilities/rounding.py``, but to the nearest, not up); counts
    below 10 to the nearest whole person.
    """
    value = float(value)
    if value < 10:
        step = 1
    elif value < 1_000:
        step = 10
    elif value < 100_000:
        step = 100
    else:
        step = 1_000
    return float(math.floor(value / step + 0.5) * step)


TAGGED = {
    "place": "fictional_tag",
    "parent": "fictional_tag",
    "country": "fictional_tag",
    "scenario": DATA_TAG,
}
"""Placeholders that hold a name of the data (a unit, its parent, the country, a
scenario), whose "(fictional)" tag :meth:`ProfileText.w` writes in the language."""


class ProfileText:
    """Labels of one language, filled in and escaped, and its number format."""

    def __init__(self, lang: str):
        table = _all_labels()
        if lang not in table:
            raise ConfigError(f"--lang {lang}: not available; use one of {', '.join(table)}")
        self.lang = lang
        self.words = table[lang]
        self.number = Numbers(self.words)
        try:  # the tag's words are the map's (maps.yaml), one set for maps and profiles
            self.tags = labels(lang)
        except MeccError:  # a language maps do not have: names as written
            self.tags = {}

    def w(self, key, **args) -> str:
        """A label, its placeholders filled with escaped values.

        A name of the data in a placeholder of :data:`TAGGED` (``place``, ``parent``,
        ``country``, ``scenario``) has its trailing "(fictional)" tag in this language, as
        on the map: "Serra (nombre ficticio)", "Wind of Cyclone Aurelia (ficticio)"; a
        place after "de", "le", "la" or "que" is elided in French ("d'Alvora"; not an id).
        """
        text = self.words.get(key)
        if text is None:
            return esc(key.replace("_", " "))
        for name in TAGGED.keys() & args.keys():
            args[name] = self._retagged(args[name], TAGGED[name])
        names = {key: args[key] for key in ("place", "parent", "country") if key in args}
        text = elide_before_placeholders(text, names, self.lang)  # places, not hazard ids
        return esc(text).format(**args)

    def retag(self, text, key: str = "fictional_tag") -> str:
        """``text`` (plain) with its "(fictional)" tag in this language
        (:func:`mecc.map_text.retag`): "Serra (nom fictif)"; ``key`` ``fictional_data_tag``
        for a label of the data (a scenario's name)."""
        return retag(text, self.tags, key)

    def _retagged(self, shown, key: str) -> str:
        """An escaped value with its "(fictional)" tag in this language (escaped)."""
        plain = html.unescape(str(shown))
        tagged = self.retag(plain, key)
        return shown if tagged == plain else esc(tagged)

    def singular(self, shown: str) -> bool:
        """Whether a number as shown (``1``, ``1,5``, ``1.0``) takes the singular in
        this language: its ``plural`` rule (see the top of the locale file)."""
        return _is_singular(self.words.get("plural", "one_exact"), html.unescape(shown), self.words)

    def counted(self, key, shown: str, **args) -> str:
        """The label ``key`` for the count ``shown``: ``<key>_one`` where the count is
        singular and the locale has it, else ``key`` (the plural)."""
        if self.singular(shown) and f"{key}_one" in self.words:
            key = f"{key}_one"
        return self.w(key, **args)

    def num(self, value) -> str:
        """A figure in full (locale grouping), or the "not defined" mark."""
        if value is None or not np.isfinite(float(value)):
            return self.w("not_defined")
        return esc(self.number(float(value)))

    def qty(self, value) -> str:
        """A per-person quantity as given (2,100; 3.5; 0.05), in the locale's format."""
        text = f"{float(value):,.6g}"
        return esc(
            text.replace(",", "\0")
            .replace(".", self.words["decimal"])
            .replace("\0", self.words["group"])
        )

    def people(self, value) -> str:
        """A rounded count for a sentence."""
        return esc(self.number(round_people(value)))

    def population_note(self, population, official, known=True) -> str:
        """The population line: the grid's people ("not known" unless ``known``) and
        the official population where the run has one (zones.csv)."""
        shown = self.num(population) if known else self.w("not_known")
        text = (
            f'{self.w("figure_population")}: <span data-figure="population" '
            f'data-value="{population!r}">{shown}</span>'
        )
        if _finite(official) and float(official) > 0:
            text += (
                f" · {self.w('figure_population_official')}: <span "
                f'data-figure="population_official" data-value="{official!r}">'
                f"{self.num(official)}</span>"
            )
        return f'<p class="note">{text}</p>'

    def range_span(self, low, high, members=False) -> str:
        """A figure's range under it: curve variants, or the ensemble members' lowest
        and highest (``range_members``); empty without both ends."""
        if not (_finite(low) and _finite(high)):
            return ""
        if members:
            text = self.w("range_members", low=self.num(low), high=self.num(high))
            title = self.w("range_members_title")
            return f'<span class="range" data-range="members" title="{title}">{text}</span>'
        return f'<span class="range">{self.num(low)}–{self.num(high)}</span>'

    def need_unit(self, unit, shown: str = "") -> str:
        """The unit of a need in the language (``need_unit_<unit>``, ``m²`` as ``m2``),
        in the singular when the count ``shown`` before it is (``1 kit``); a unit the
        locale does not name (a user's profile) as written, escaped."""
        name = re.sub(r"\W", "_", unicodedata.normalize("NFKC", str(unit)).casefold())
        if f"need_unit_{name}" in self.words:
            return self.counted(f"need_unit_{name}", shown)
        return esc(str(unit))

    def amount(self, shown: str, unit, period: str = "") -> str:
        """A count with its unit (and period) in agreement: ``1 kit``, ``0,05 toilette``
        (French singular below 2), ``2 100 kcal par jour``."""
        return f"{shown} {self.need_unit(unit, shown)} {period}".strip()

    def curve_source(self, curve: dict) -> str:
        """Where a run's displacement curve comes from, in the language (escaped).

        The citation (authors, titles, codes) stays as published; the library's own
        descriptive words are the locale's (``mecc/locales/curves.yaml``, as on the map:
        :func:`mecc.map_methods.curve_text`), and so are a ``NAME:low`` / ``:high`` /
        ``:central`` variant, the sea-level-rise inundation curve and a curve given in the
        run file. Any other source is shown as written.
        """
        name = str(curve.get("name") or "")
        source = " ".join(str(curve.get("source") or "").split())
        base, _, variant = name.partition(":")
        if (name, source) == ("permanent inundation", "any depth > 0"):
            return esc(curve_text(source, self.lang))
        if source == "run file":
            text = self.w("curve_run_file")
        else:
            text = esc(curve_text(source, self.lang))
        if variant in ("low", "high", "central"):
            return self.w(f"curve_variant_{variant}", source=text, curve=esc(base))
        return text

    def sendai_label(self, indicator, hazard_id=None, per_year=False) -> str:
        """A Sendai row's label: the indicator code, with its hazard and "per year" for
        expected annual values (``sendai_label``, ``sendai_label_per_year``)."""
        if not hazard_id:
            return esc(str(indicator))
        key = "sendai_label_per_year" if per_year else "sendai_label"
        return self.w(key, indicator=esc(str(indicator)), hazard=esc(str(hazard_id)))

    def hazard_noun(self, hazard_type: str) -> str:
        return self.w(f"hazard_{hazard_type}")

    def sentence(self, kind, hazard_type, place, value, low, high, t=None, scenario="") -> str:
        """The plain-language sentence for one hazard of one zone (escaped HTML).

        ``value`` is the zone's figure (PMD at ``t`` years for event sets and maps,
        displaced people for a scenario, people at risk for planned relocation); ``low``
        and ``high`` the curve-variant range (NaN when the run has none).
        """
        place = esc(str(place))
        noun = self.hazard_noun(hazard_type)
        base = {"event": "sentence_event", "scenario": "sentence_scenario"}.get(kind, kind)
        if kind == "event" and not _finite(value):
            return self.w("sentence_undefined", hazard=noun, t=_t(t), place=place)
        args = {"hazard": noun, "t": _t(t), "place": place, "scenario": esc(str(scenario))}
        if round_people(value) < 1:
            return self.w(f"{base}_none", **args)
        span = ""
        if _finite(low) and _finite(high):
            span = self.w("range", low=self.people(low), high=self.people(high))
        people = self.people(value)
        return self.counted(base, people, people=people, range=span, **args)

    def drought_sentence(self, place, scenario, classes) -> str:
        """The sentence of a drought (exposure, not displacement): its people in each
        severity class, ``classes`` a list of ``(class name, people)``; a class the
        locale names (``drought_class_<name>``) in the language, any other as written."""
        args = {"place": esc(str(place)), "scenario": esc(str(scenario))}
        shown = [(name, v) for name, v in classes if _finite(v) and round_people(v) >= 1]
        if not shown and all(_finite(v) for _, v in classes):
            return self.w("sentence_drought_none", **args)
        items = [
            self.w(
                "drought_class",
                severity=self.drought_class(name),
                people=self.people(v) if _finite(v) else self.w("not_defined"),
            )
            for name, v in classes
        ]
        return self.w(
            "sentence_drought", classes=self.w("drought_class_separator").join(items), **args
        )

    def ranges_note(self, hazards, members=False) -> str:
        """What the ranges under the key figures are, for the run's hazards (summary.json
        entries): curve variants (and ensemble members) for hazards with displacement
        curves, the DEM raised and lowered by 1 m for sea-level rise; drought has none."""
        hazards = list(hazards)
        curves = any(h.get("kind") != "relocation" and not exposure_only(h) for h in hazards)
        dem = any(h.get("kind") == "relocation" for h in hazards)
        if not curves:
            return self.w("ranges_note_relocation") if dem else ""
        key = "ranges_note_members" if members else "ranges_note"
        return self.w(f"{key}_and_relocation" if dem else key)

    def drought_rows(self, hid, info, row, cell) -> str:
        """A drought's rows of the key figures: its people in each severity class
        (zones.csv ``drought_<class>``: exposed, not displaced; no range, no PMD);
        ``cell(column)`` gives a figure's table cell."""
        from mecc.risk import STANDARD_RETURN_PERIODS

        head = f"{self.hazard_noun(info.get('type', ''))} · {self.w('kind_exposure')}"
        unit = f'<span class="range">{self.w("unit_people_exposed")}</span>'
        blank = "<td></td>" * len(STANDARD_RETURN_PERIODS)
        return "".join(
            f'<tr><td class="left">{esc(str(hid))}<span class="range">{head}</span></td>'
            f'<td class="left">{self.w("figure_drought_class", severity=self.drought_class(n))}'
            f"{unit}</td>{cell(column)}{blank}</tr>"
            for n, column in drought_columns(info, row)
        )

    def drought_class(self, name) -> str:
        """A drought severity class by name, in the language where the locale has it."""
        key = f"drought_class_{name}"
        return self.w(key) if key in self.words else esc(str(name))


def drought_columns(info, row) -> list[tuple[str, str]]:
    """``(class, zones.csv column)`` of a drought's severity classes, in summary.json's
    order (``classes``), else the row's ``drought_<class>`` columns."""
    names = list(info.get("classes") or {})
    names = names or [c[len("drought_") :] for c in row.index if str(c).startswith("drought_")]
    return [(name, f"drought_{name}") for name in names]


def _is_singular(rule: str, shown: str, words: dict) -> bool:
    """Whether ``shown`` (a number in the locale's format) is singular under ``rule``:
    ``one_exact`` 1 without decimals (English), ``one_value`` 1, 1.0 (Spanish),
    ``below_two`` an integer part of 0 or 1 (French: 0,5 kit, 1,5 kit)."""
    text = "".join(shown.split()).replace(words["group"], "").lstrip("-−")
    whole, _, fraction = text.partition(words["decimal"])
    if not whole.isdigit() or not (fraction.isdigit() or fraction == ""):
        return False
    whole = int(whole)
    if rule == "below_two":
        return whole < 2
    if rule == "one_value":
        return whole == 1 and not fraction.strip("0")
    return whole == 1 and not fraction


def _finite(value) -> bool:
    try:
        return value is not None and bool(np.isfinite(float(value)))
    except (TypeError, ValueError):
        return False


def _t(t) -> str:
    if t is None:
        return ""
    t = float(t)
    return str(int(t)) if t.is_integer() else f"{t:g}"


# ------------------------------------------------------------------------ the map


def _rings(geometry):
    import shapely

    for polygon in getattr(geometry, "geoms", [geometry]):
        if isinstance(polygon, shapely.Polygon) and not polygon.is_empty:
            yield np.asarray(polygon.exterior.coords)
            for ring in polygon.interiors:
                yield np.asarray(ring.coords)


def svg_map(
    frame, code: str, *, width: int = 220, height: int = 180, label: str = "", retag=None
) -> str:
    """A small inline SVG of one unit (dark) among the units of ``frame`` (light).

    ``frame``: a GeoDataFrame in WGS 84 with ``zone_code`` (the unit's siblings, or the
    unit alone). Longitudes are scaled by the cosine of the mean latitude (equirectangular
    around the unit), simplified to about a pixel; no network, no tiles. Each unit's
    ``zone_name`` is its title (shown on hover), through ``retag`` when given
    (:meth:`ProfileText.retag`: the "(fictional)" tag in the page's language).
    """
    import shapely

    if frame is None or frame.empty or code not in set(frame["zone_code"]):
        return ""
    lon0, lat0, lon1, lat1 = frame.total_bounds
    scale_x = math.cos(math.radians((lat0 + lat1) / 2))
    span_x = max((lon1 - lon0) * scale_x, 1e-9)
    span_y = max(lat1 - lat0, 1e-9)
    pad = 4
    factor = min((width - 2 * pad) / span_x, (height - 2 * pad) / span_y)
    tolerance = 0.7 / factor

    def path(geometry) -> str:
        simplified = shapely.simplify(geometry, tolerance / max(scale_x, 1e-6))
        parts = []
        for ring in _rings(simplified):
            x = pad + (ring[:, 0] - lon0) * scale_x * factor
            y = pad + (lat1 - ring[:, 1]) * factor
            points = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(x, y, strict=True))
            parts.append(f"M{points}Z")
        return "".join(parts)

    def title(name) -> str:
        return retag(str(name)) if retag is not None else str(name)

    shapes = []
    for row in frame.itertuples():
        chosen = row.zone_code == code
        shapes.append(
            f'<path d="{path(row.geometry)}" class="{"unit-chosen" if chosen else "unit-other"}"'
            f' fill-rule="evenodd"><title>{esc(title(row.zone_name))}</title></path>'
        )
    chosen_last = sorted(shapes, key=lambda s: "unit-chosen" in s)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{esc(label)}">'
        + "".join(chosen_last)
        + "</svg>"
    )
