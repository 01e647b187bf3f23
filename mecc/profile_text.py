"""The words and pictures of a district risk profile: sentences, numbers and the small map
(the page's A4 style and the script that fits it into its box: :mod:`mecc.profile_page`).

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

__all__ = [
    "ProfileText",
    "drought_columns",
    "round_people",
    "sea_level_rise",
    "svg_map",
]

LOCALE_FILE = Path(__file__).resolve().parent / "locales" / "profiles.yaml"
esc = html.escape


@functools.cache
def _all_labels() -> dict:
    import yaml

    text = LOCALE_FILE.read_text(encoding="utf-8")  # libyaml's loader: 10x as fast
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


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
    "datum": DATA_TAG,
    "since": DATA_TAG,
}
"""Placeholders that hold a name of the data (a unit, its parent, the country, a
scenario, a sea-level rise's datum and baseline), whose "(fictional)" tag
:meth:`ProfileText.w` writes in the language."""


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

    def bootstrap_span(self, low, high) -> str:
        """A probable maximum displacement's bootstrap range under it, marked † (zones.csv
        ``pmd_T_p05`` / ``_p95``: :meth:`bootstrap_note` says what it is); empty without
        both ends or for 0 to 0 (as on the map)."""
        if not (_finite(low) and _finite(high)) or float(low) == float(high) == 0:
            return ""
        text = self.w("range_bootstrap", low=self.num(low), high=self.num(high))
        title = self.w("range_bootstrap_title")
        return f'<span class="range" data-range="bootstrap" title="{title}">{text}</span>'

    def bootstrap_note(self, hazards: dict) -> str:
        """What the † ranges are (``ranges_note_bootstrap``) for ``{hazard id: its
        summary.json entry}``, in the map's words (:func:`mecc.map_methods.range_words`:
        "bootstrap 5th to 95th percentile, 500 resamples of the ensemble members");
        hazards resampled differently each named; "" without hazards."""
        from mecc.map_methods import range_kinds, range_words

        kinds: dict = {}
        for hid, info in hazards.items():
            try:
                words = esc(range_words(self.tags, range_kinds(info), "bootstrap"))
            except KeyError:  # a language maps do not have
                words = self.w("range_bootstrap_title")
            kinds.setdefault(words, []).append(esc(str(hid)))
        if not kinds:
            return ""
        if len(kinds) == 1:
            return self.w("ranges_note_bootstrap", kind=next(iter(kinds)))
        kind = "; ".join(f"{', '.join(ids)}: {words}" for words, ids in kinds.items())
        return self.w("ranges_note_bootstrap", kind=kind)

    def household_size(self, size: float, counts, quantities) -> float:
        """``size`` rounded to the fewest decimals (1 to 6) with which every total of a
        need per household, count / size x quantity, is shown as with ``size`` itself: the
        page's arithmetic checks by hand (3,605 people / 4.133 = 872 kits, where 4.1
        would give 879)."""
        pairs = [(c, q) for c in counts if _finite(c) for q in quantities]
        for digits in range(1, 7):
            shown = round(float(size), digits)
            if shown > 0 and all(
                self.num(c * q / shown) == self.num(c * q / size) for c, q in pairs
            ):
                return shown
        return float(size)

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

    def sentence(
        self, kind, hazard_type, place, value, low, high, t=None, scenario="", rise=None
    ) -> str:
        """The plain-language sentence for one hazard of one zone (escaped HTML).

        ``value`` is the zone's figure (PMD at ``t`` years for event sets and maps,
        displaced people for a scenario, people at risk for planned relocation); ``low``
        and ``high`` the curve-variant range (NaN when the run has none). ``rise``: a
        sea-level rise's rise and water level (:func:`sea_level_rise`), said in the
        sentence (``sentence_relocation_rise``); None: "the sea-level rise of this run".
        """
        place = esc(str(place))
        noun = self.hazard_noun(hazard_type)
        base = {"event": "sentence_event", "scenario": "sentence_scenario"}.get(kind, kind)
        if kind == "event" and not _finite(value):
            return self.w("sentence_undefined", hazard=noun, t=_t(t), place=place)
        args = {"hazard": noun, "t": _t(t), "place": place, "scenario": esc(str(scenario))}
        if rise and base == "sentence_relocation" and "sentence_relocation_rise" in self.words:
            base = "sentence_relocation_rise"
            args |= {
                "rise": self.qty(rise["rise"]),
                "level": self.qty(rise["level"]),
                "since": esc(rise["since"]),
                "datum": esc(rise["datum"]),
            }
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


WATER_LEVEL = re.compile(
    r"water level (?P<level>-?[0-9.]+) m in (?P<datum>.+?): high tide .*?"
    r"\+ sea-level rise (?P<rise>[0-9.e+-]+) m since (?P<since>.+?) \(a change of level"
)
"""The sentence of summary.json's ``water_level`` (``hazards.slow_onset.water_level``)."""


def sea_level_rise(info) -> dict | None:
    """A sea-level rise's ``rise`` (m since ``since``) and ``level`` (high tide + rise, m
    in the DEM's ``datum``), read from its summary.json entry's ``water_level``; None
    where it has none (the sentence then says "the sea-level rise of this run")."""
    found = WATER_LEVEL.search(str(info.get("water_level") or ""))
    if found is None:
        return None
    return {
        "rise": float(found["rise"]),
        "level": float(found["level"]),
        "since": found["since"],
        "datum": found["datum"],
    }


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
