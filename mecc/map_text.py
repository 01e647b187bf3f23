"""The words of the map: popups, tooltips, legends and the title box, as escaped HTML.

Every value that comes from the run (admin names, codes, hazard ids, file names, labels of
futures) goes through :func:`esc` here, so a zone named ``<img src=x onerror=alert(1)>``
is shown as text wherever Leaflet inserts it as HTML, and one named ``{{ 7*7 }}`` as
itself (folium parses rendered output as a Jinja template again).
Labels come from ``mecc/locales/maps.yaml``; nothing is written in one language here.

A figure with a range is shown as its central value, marked "central", then each range
with what it spans, named from the run's summary.json (:func:`mecc.map_methods.range_kinds`):
curve variants or, for sea-level rise, the DEM raised and lowered by 1 m (``_low`` /
``_high``), an event set's ensemble members and its bootstrap 5th-95th percentiles of the
probable maximum displacement (``_p05`` / ``_p95``), and a future's change under the low
and the high variants. Sendai B-1 per zone comes from :mod:`mecc.map_sendai`; a hazard's
popups, the range of its rate per 100,000 and of its B-1, and the About panel's line on a
PMD's bootstrap range (only where a popup shows one) from :mod:`mecc.map_ranges`.
"""

from __future__ import annotations

import html
import os
import re

import numpy as np

from mecc.map_data import NODATA_FILL, ZERO_COLOUR, Numbers
from mecc.map_methods import (
    curve_name,
    curve_text,
    figure_kinds,
    figure_phrase,
    future_layer_label,
    generator_text,
    method_records,
    range_kinds,
    range_words,
    slow_onset_lines,
)
from mecc.map_no_hazard import popup_notes
from mecc.map_sendai import B1_PARTS, _sendai_table, b1_label, sendai_b1, sendai_b1_parts  # noqa: F401
from mecc.sendai import per_100k
from mecc.variant_order import variant_range

__all__ = [
    "Text",
    "per_100k",
    "per_100k_denominator",
    "sendai_b1",
    "future_layer_label",
    "method_records",
    "retag",
    "sendai_b1_parts",
]


def esc(text: str) -> str:
    """HTML-escaped text that Jinja leaves alone.

    folium renders each element and then parses its output again as a Jinja template
    (branca's ``Element``), so a ``{`` of a name is written as the entity ``&#123;``: a
    unit named ``Zone {# 1`` stopped the map with a template error, and ``{{ 7*7 }}``
    was shown as ``49``. folium also puts tooltips inside JavaScript template literals
    (`` `...` ``), so a backtick or a backslash of a name (``N`go``) ended the string or
    made a bad escape and left the map blank: they are written as entities too.
    """
    return html.escape(text).replace("{", "&#123;").replace("`", "&#96;").replace("\\", "&#92;")


_FICTIONAL_TAG = re.compile(r"\s*\(fictional( demo country)?\)\s*$")
"""The tag the demo data put after a name (:func:`retag`)."""
DATA_TAG = "fictional_data_tag"
"""The key of the tag of a label or source of the data (not a place)."""


def retag(text, words: dict, key: str = "fictional_tag") -> str:
    """``text`` with its trailing "(fictional)" tag in the language of ``words`` (plain
    text): the one rule of maps (:meth:`Text.retag`) and district profiles
    (:meth:`mecc.profile_text.ProfileText.retag`), with the words of
    ``mecc/locales/maps.yaml``.

    The demo data name places ``Joval (fictional)`` (``key`` ``fictional_tag``: "Joval
    (nom fictif)"), label futures and scenarios ``SSP2-4.5, 2050 (fictional)``
    (``fictional_data_tag``: "(fictif)") and the country ``Mareva (fictional demo
    country)`` (always ``fictional_country_tag``); a name without the tag is left as it
    is, and so is every name when ``words`` has no such key.
    """
    text = str(text)
    match = _FICTIONAL_TAG.search(text)
    if match is None:
        return text
    key = "fictional_country_tag" if match.group(1) else key
    tag = words.get(key)
    return f"{text[: match.start()]} ({tag})" if tag else text


def finite(value) -> bool:
    try:
        return bool(np.isfinite(float(value)))
    except (TypeError, ValueError):
        return False


def per_100k_denominator(rows) -> tuple[np.ndarray, str]:
    """Per-100,000 denominator of each zone and where it comes from.

    The official population (zones.csv ``population_official``) where the run has it for a
    unit, as in sendai.csv (an official 0 too, whose rates :func:`mecc.sendai.per_100k`
    leaves blank); else the population grid's.

    Returns
    -------
    denominator : numpy.ndarray
        People per zone.
    source : str
        ``"official"`` (every zone), ``"grid"`` (none) or ``"mixed"``.
    """
    if "population" in rows.columns:
        grid = rows["population"].to_numpy(dtype="float64")
    else:
        grid = np.full(len(rows), np.nan)
    if "population_official" not in rows.columns:
        return grid, "grid"
    official = rows["population_official"].to_numpy(dtype="float64")
    given = np.isfinite(official) & (official >= 0)  # an official 0 too: its rate blank
    source = "official" if given.all() else "mixed" if given.any() else "grid"
    return np.where(given, official, grid), source


class Text:
    """Labels of one language, filled in and escaped, and its number format."""

    def __init__(self, words: dict, lang: str):
        self.words, self.lang = words, lang
        self.number = Numbers(words)
        self._plain: dict[str, str] = {}  # labels without arguments, once escaped

    def w(self, key, **args) -> str:
        """A label, filled in and HTML-escaped (the key itself if it has no label)."""
        if not args and key in self._plain:  # a country's popups ask thousands of times
            return self._plain[key]
        text = self.words.get(key)
        shown = esc(text.format(**args) if text is not None else key.replace("_", " "))
        if not args:
            self._plain[key] = shown
        return shown

    def num(self, value) -> str:
        return esc(self.number(value, self.words["not_defined"]))

    def retag(self, text, key: str = "fictional_tag") -> str:
        """``text`` with its trailing "(fictional)" tag in this language (plain text):
        :func:`retag`, e.g. "Joval (nom fictif)"."""
        return retag(text, self.words, key)

    def hazard_text(self, hazard_id, summary) -> str:
        kind = summary.get("kind", "")
        type_label = self.w(f"hazard_type_{summary.get('type', '')}")
        return f"{esc(hazard_id)} ({type_label}, {self.w('kind_' + kind)})"

    def tooltip(self, name, value, unit_key) -> str:
        shown = esc(self.number(value, self.words["no_data"]))
        unit = f" {self.w(unit_key)}" if finite(value) else ""  # "no data", not "no data people"
        return f"<strong>{esc(str(name))}</strong><br>{shown}{unit}"

    # --- popups --------------------------------------------------------------------

    def _popup(self, name, cells, extra="") -> str:
        table = "".join(f'<tr><th scope="row">{k}</th><td>{v}</td></tr>' for k, v in cells)
        return (
            f'<div class="mecc-popup-body" lang="{self.lang}"><h2>{esc(str(name))}</h2>'
            f"<table>{table}{extra}</table>"
            f'<p class="mecc-badge">{self.w("modelled_notice")}</p></div>'
        )

    def _range(self, row, figure, kind, ends=("low", "high")) -> str:
        """A line break and the range of ``figure`` in ``row`` (its ``_low`` / ``_high``,
        or the ``ends`` given, e.g. ``p05`` / ``p95``) saying what it spans (``kind``:
        :func:`mecc.map_methods.range_words`); "" when the row has no finite range, or
        one of 0 to 0 (as the site popups). The curve variants' range is the lowest to the
        highest of the central figure and the variants the row has, as the headline and
        sendai.csv (:func:`mecc.variant_order.variant_range`: a ``low`` alone gives
        low-central)."""
        low, high = (row.get(f"{figure}_{end}") for end in ends)
        if ends == ("low", "high") and finite(row.get(figure)):  # around the central
            low, high = variant_range(row.get(figure), low, high) or (None, None)
        if not (finite(low) and finite(high)) or low == high == 0:  # 0 to 0: no news
            return ""
        text = self.w("range_of", low=self.number(low), high=self.number(high), kind=kind)
        return f'<br><span class="mecc-range" data-figure="{esc(figure)}_{ends[0]}">{text}</span>'

    def _central(self, value, spread) -> str:
        """``value`` marked as the central one when ``spread`` (its ranges) is not empty."""
        if not spread:
            return value
        return f'{value} <span class="mecc-central">({self.w("central")})</span>{spread}'

    def hazard_popups(self, *args, **options) -> list[str]:
        """The popup of every zone for one hazard (``rows``: zones.csv, map order):
        :func:`mecc.map_ranges.hazard_popups` with this text, which says what each
        argument is."""
        from mecc.map_ranges import hazard_popups

        return hazard_popups(self, *args, **options)

    def b1_label(self, yearly: bool, parts) -> str:
        """The label of a B-1 row: plain when it adds B-3, B-4 and B-5 (or its parts are
        not known), else naming the parts it holds and why the others are missing."""
        return b1_label(self, yearly, parts)

    def future_popups(
        self, rows, names, hazard_id, summary, label, parts=None, no_hazard=None
    ) -> list[str]:
        """The popup of every zone for one future of one hazard (futures.csv rows).

        The baseline and the future with their range (``baseline_low`` ... ``future_high``:
        the low and the high variants), and the change with the lowest to the highest of it
        and the change under each variant (``future_low - baseline_low``, ``future_high -
        baseline_high``, as the training handouts compute them; curves that cross can give
        the low variant the larger change), each range named from the summary; with ``parts``
        (attribution.csv rows, map order) the change's parts, which add up to it: climate
        alone, population alone and their interaction. A unit where nobody has hazard data
        (``no_hazard``, the baseline's: :func:`mecc.map_no_hazard.no_hazard_people`) says
        its figures are not known and why.
        """
        out, hazard = [], self.hazard_text(hazard_id, summary)
        gaps = popup_notes(self, no_hazard, len(rows))  # (not known?, its row) per zone
        kinds = range_kinds(summary)
        variants, change = (range_words(self.words, kinds, k) for k in ("variants", "change"))
        for k, ((code, row), name) in enumerate(zip(rows.iterrows(), names, strict=True)):
            figure = esc(figure_phrase(self.words, row.get("figure") or "aad"))
            # blank population: a unit without a cell (a table without the column: known)
            if code != "__outside__" and not finite(row.get("population_baseline", 0.0)):
                note = f'<tr><td colspan="2">{self.w("no_cells_popup")}</td></tr>'
            elif gaps[k][0]:  # nobody with hazard data: not known (not 0), and why
                note = gaps[k][1]
            else:
                note = None
            if note is not None:
                cells = [(self.w("zone_code"), esc(str(code))), (self.w("hazard"), hazard)]
                out.append(self._popup(name, cells + [(self.w("future"), esc(str(label)))], note))
                continue
            base, then = (
                self._central(self.num(row.get(k)), self._range(row, k, variants))
                for k in ("baseline", "future")
            )
            ends = {f"change_{e}": _change(row, e) for e in ("low", "high")}
            spread = self._range({"change": row.get("change"), **ends}, "change", change)
            cells = [
                (self.w("zone_code"), esc(str(code))),
                (self.w("hazard"), self.hazard_text(hazard_id, summary)),
                (self.w("future"), esc(str(label))),
                (self.w("baseline_value", figure=figure), base),
                (self.w("future_value", figure=figure), then),
                (
                    self.w("change"),
                    self._central(_value("change", self.num(row.get("change"))), spread),
                ),
                *(
                    (self.w(f"part_{part}"), _value(part, self.num(parts[part].iloc[k])))
                    for part in ("climate_only", "population_only", "interaction")
                    if parts is not None and part in parts and finite(parts[part].iloc[k])
                ),
                (self.w("change_pct"), self.num(row.get("change_pct"))),
                (self.w("population_baseline"), self.num(row.get("population_baseline"))),
                (self.w("population_future"), self.num(row.get("population_future"))),
            ]
            out.append(self._popup(name, cells))
        return out

    # --- legends and title -----------------------------------------------------------

    def legend(self, legend_id, title, unit, breaks, colours, zero_key="zero", negative=None):
        """A legend section: one swatch per class, hidden until its layer is shown."""
        items = [(negative, self.w("decrease"))] if negative else []
        if zero_key:
            items.append((ZERO_COLOUR, self.w(zero_key)))
        edges = [self.number(b) for b in breaks]
        for k, colour in enumerate(colours if edges else []):
            if k == 0:
                text = self.w("below", b=edges[0])
            elif k == len(edges):
                text = self.w("at_least", a=edges[-1])
            else:
                text = self.w("between", a=edges[k - 1], b=edges[k])
            items.append((colour, text))
        if colours and not edges:
            # one class (a single positive value, or values too small to split): still a swatch
            items.append((colours[0], self.w("above_zero")))
        if zero_key == "zero":
            items.append((NODATA_FILL, self.w("no_data")))
        swatches = "".join(
            f'<li><svg width="18" height="12" aria-hidden="true"><rect width="18" height="12" '
            f'fill="{colour}" stroke="#555" stroke-width="1"/></svg> {text}</li>'
            for colour, text in items
        )
        return (
            f'<section class="mecc-legend" id="{legend_id}" hidden><h2>{title}</h2>'
            f'<p class="mecc-unit">{unit}</p><ul>{swatches}</ul></section>'
        )

    def title_box(self, title, run, notes, version, style, cited=None) -> str:
        """The title box; its About panel says what the figures are (displaced people, or
        for a run without a displacement curve only the slow-onset figures it has: people
        at risk of planned relocation, people exposed per drought class, or both), lists
        the inputs, the methods and sources of the figures (``cited``:
        :func:`method_records`), their references and the notes."""
        w = self.w
        sources = "".join(f"<li>{self.role(r)}</li>" for r in run.manifest.get("inputs", []))
        methods, references = self.methods(run, cited or {})
        kinds = {h.get("kind") for h in run.summary.get("hazards", {}).values()}
        figures = figure_kinds(run.summary)  # no displacement: no displacement curves
        about = "modelled_text"  # displacement curves (or no hazard)
        if figures and "displaced" not in figures:  # slow onset only: the kinds it has
            about = "modelled_text_" + ("slow_onset" if len(figures) > 1 else next(iter(figures)))
        notes = list(notes) + [w(f"note_{k}") for k in ("relocation", "drought") if k in figures]
        if "return_periods" in kinds:
            notes.append(w("pmd_maps_note"))
        if "events" in kinds:
            notes.append(w("pmd_events_note"))
        note_items = "".join(f"<li>{n}</li>" for n in notes)
        country = esc(self.retag(run.summary.get("country", "")))
        return (
            f'<div id="mecc-title" class="mecc-title" lang="{self.lang}">'
            f"<h1>{esc(title)}</h1>"
            f'<p><span class="mecc-badge">{w("modelled_notice")}</span> '
            f'<span class="mecc-meta">{w("run_date", date=run.date)} · {country}</span></p>'
            f"<details><summary>{w('about')}</summary><p>{w(about)}</p>"
            f"<h2>{w('sources')}</h2><ul>{sources}</ul>"
            f"<h2>{w('methods')}</h2><ul>{methods}</ul>"
            f"<h2>{w('references')}</h2><ul>{references}</ul>"
            f"<h2>{w('notes')}</h2><ul>{note_items}</ul>"
            f"<p>{w('made_with', version=version)}</p></details></div>"
            f"<style>{style}</style>"
        )

    def methods(self, run, cited: dict) -> tuple[str, str]:
        """The items of the About panel's methods and of its numbered references.

        Per hazard: its displacement curve (name, evidence grade, source; a drought's
        classes, a sea-level rise's relocation rule and water levels instead:
        :func:`slow_onset_lines`; a combined hazard: every component's curve and the combine rule, the lowest grade of its
        components, then each component's curve with its grade and source), the curve
        variants behind the range, the damage states and fatality model, and the
        citations of a hazard grid mecc generated or the USGS ShakeMap read; then the
        population grid and the
        official population with their source. Each source text is listed once under
        References and cited by its number; a built-in curve's source, a name the
        toolkit gives a curve (:func:`curve_text`) and the methods a generator cites
        (:func:`generator_text`) are in the map's language.
        """
        references: list[str] = []

        def cite(texts) -> str:
            numbers = []
            for text in (self.retag(t, DATA_TAG) for t in texts):
                if text not in references:
                    references.append(text)
                numbers.append(f"[{references.index(text) + 1}]")
            return f" {' '.join(numbers)}" if numbers else ""

        def grade_of(record) -> str:
            return self.w(f"evidence_{record.get('evidence', '?') or 'none'}")

        def curve(key, record) -> str:
            own = record.get("source") and record["source"] != record.get("name")
            name = esc(curve_name(record.get("name"), self.lang))
            return self.filled(key, name=name, grade=grade_of(record)) + cite(
                [curve_text(record["source"], self.lang)] if own else []
            )

        items = []
        for hazard_id, summary in run.summary.get("hazards", {}).items():
            record = cited.get("hazards", {}).get(hazard_id, {})
            lines = [f"<strong>{self.hazard_text(hazard_id, summary)}</strong>"]
            central = record.get("curve") or {}
            parts = central.get("components") or []
            slow = slow_onset_lines(self, summary, record, cite)  # no displacement curve
            if slow is not None:
                lines += slow
            elif parts:  # combined: the rule and lowest grade, then each component's own
                name = self.combined_name([c["name"] for c in parts], central)
                lines.append(self.filled("method_curve", name=name, grade=grade_of(central)))
                lines += [curve("method_curve", c) for c in parts]
            elif central:
                lines.append(curve("method_curve", central))
            variants = [
                f"{self.w('variant_' + name)} {self.variant_name(v['name'], parts)}"
                + (f" ({self.w('evidence_' + v['evidence'])})" if v.get("evidence") else "")
                + (cite([curve_text(v["source"], self.lang)]) if v.get("source") else "")
                for name, v in record.get("variants", {}).items()
            ]
            if variants:  # the range's curves, then what the range is (every range)
                semicolon = " ; " if self.lang == "fr" else "; "  # French spaces it
                lines.append(self.filled("method_range", variants=semicolon.join(variants)))
            lines += self.range_lines(run, hazard_id, summary)
            lines += [curve("method_damage", d) for d in record.get("damage", [])]
            if record.get("fatality"):
                lines.append(curve("method_fatality", record["fatality"]))
            if record.get("shakemap"):  # the ShakeMap read: event, version, status
                from mecc.map_mobility import shakemap_line

                lines.append(shakemap_line(self, record["shakemap"]))
            if record.get("file"):  # a grid mecc generated, with what it cites
                file = esc(str(record["file"]))
                texts = [generator_text(t, self.lang) for t in record["generated"]]
                lines.append(self.filled("method_generated", file=file) + cite(texts))
            items.append(f'<li data-hazard="{esc(hazard_id)}">{"<br>".join(lines)}</li>')
        for key in ("population", "official"):
            given = cited.get(key) or {}
            if not any(given.get(k) for k in ("file", "source", "attribution")):
                continue
            file = esc(os.path.basename(str(given.get("file") or "")))
            file += f" ({esc(str(given['year']))})" if given.get("year") else ""
            source = given.get("attribution") or given.get("source")
            source = esc(self.retag(source, DATA_TAG)) if source else self.w("method_no_source")
            line = self.filled(f"method_{key}", file=file, source=source)
            items.append(f'<li data-source="{key}">{line}</li>')
        listed = "".join(f"<li>[{k}] {esc(t)}</li>" for k, t in enumerate(references, start=1))
        return "".join(items), listed

    def combined_name(self, names, central, rule=True) -> str:
        """A combined hazard's curve (escaped): each component's curve name in this
        language (:func:`curve_name`, a variant's ``:low`` / ``:high`` kept), joined by
        " + ", then the combine mode and, with ``rule``, its rule in this language
        (``combine_<mode>``, ``combine_rule_<mode>``; a mode the labels lack as written)."""
        shown = []
        for name in names:
            base, colon, suffix = str(name).rpartition(":")
            if colon and suffix in ("low", "high", "central"):
                shown.append(f"{curve_name(base, self.lang)}:{suffix}")
            else:
                shown.append(curve_name(name, self.lang))
        mode = str(central.get("combine") or "")
        key = f"combine_rule_{mode}" if rule else f"combine_{mode}"
        if key in self.words:
            words = self.words[key]
        else:
            words = f"{mode}: {central.get('rule')}" if rule else mode
        return esc(f"{' + '.join(shown)} ({words})")

    def variant_name(self, name, parts) -> str:
        """A curve variant's name (escaped); a combined hazard's (``A:low + B:low
        (independent)``) in this language, as :meth:`combined_name`."""
        found = re.fullmatch(r"(.+) \((\w+)\)", str(name)) if parts else None
        if found is None:
            return esc(str(name))
        names = found.group(1).split(" + ")
        return self.combined_name(names, {"combine": found.group(2)}, rule=False)

    def range_lines(self, run, hazard_id, summary) -> list[str]:
        """The About panel's lines on what each range of a hazard spans (summary.json);
        a PMD's bootstrap range only where the popups show one, else why there is none
        (:func:`mecc.map_ranges.bootstrap_line`)."""
        kinds, lines = range_kinds(summary), []
        what = {k: range_words(self.words, kinds, k) for k in ("variants", "change")}
        if kinds["variants"]:
            lines.append(self.w(f"method_range_{kinds['variants']}", kind=what["variants"]))
        if kinds["members"]:
            kind = range_words(self.words, kinds, "members")
            lines.append(self.w("method_range_members", kind=kind, members=kinds["members"]))
        if kinds["bootstrap"]:  # only where a popup shows it, or why none does
            from mecc.map_ranges import bootstrap_line

            lines += [line for line in [bootstrap_line(self, run, hazard_id, kinds)] if line]
        futures = run.summary.get("futures")
        futures = futures.values() if isinstance(futures, dict) else []
        if kinds["variants"] and any(hazard_id in (f.get("hazards") or {}) for f in futures):
            lines.append(self.w("method_range_change", kind=what["change"]))
        return lines

    def filled(self, key, **markup) -> str:
        """A label whose placeholders take markup that is already escaped."""
        return html.escape(self.words[key]).format(**markup)

    def role(self, record) -> str:
        """One input of the manifest: role, file name, source when given, start of SHA-256."""
        label = self.role_label(str(record.get("role", "")))
        extra = "".join(
            f" · {esc(self.retag(record[key], DATA_TAG))}"
            for key in ("source", "licence", "license")
            if record.get(key)
        )
        digest = esc(str(record.get("sha256", ""))[:12])
        name = esc(os.path.basename(str(record.get("path", ""))))
        return f"{self.filled('role_line', role=label, file=name)}{extra} <code>{digest}</code>"

    def role_label(self, role: str) -> str:
        """An input's role in this language (escaped HTML), ids and run-file keys as written.

        The roles :func:`mecc.inputs.input_records` writes into manifest.json:
        ``run file``, ``population``, ``zones level N``, ``hazard ID``, ``curve of ID``, a
        table named by its run-file key (``population.official``, ``mobility.sites``:
        ``role_other`` with the key), and a future's inputs ``future F: hazard ID``,
        ``future F: population``, ``future F: population growth`` (``role_future``); any
        other role as ``role_other`` with the role as written.
        """
        future = re.fullmatch(r"future (\S+): (.+)", role)
        if future:
            what = self._future_role(future.group(2))
            return self.filled("role_future", future=esc(future.group(1)), role=what)
        match = re.fullmatch(r"zones level (\S+)|hazard (.+)|curve of (.+)", role)
        if role == "run file":
            return self.w("role_run_file")
        if role == "population":
            return self.w("role_population")
        if match and match.group(1):
            return self.w("role_zones", level=match.group(1))
        if match and match.group(2):
            return self.w("role_hazard", hazard=match.group(2))
        if match and match.group(3):
            return self.w("role_curve", hazard=match.group(3))
        return f"{self.w('role_other')} ({esc(role)})"

    def _future_role(self, what: str) -> str:
        """What a future's input is (the part of its role after ``future F: ``), escaped."""
        hazard = re.fullmatch(r"hazard (.+)", what)
        if hazard:
            return self.filled("role_future_hazard", hazard=esc(hazard.group(1)))
        known = {"population": "role_future_population", "population growth": "role_future_growth"}
        return self.w(known[what]) if what in known else esc(what)


def _change(row, end) -> float:
    """The change under the ``end`` (low, high) variants: the row's ``change_<end>``, else
    ``future_<end> - baseline_<end>`` (NaN without them)."""
    given = row.get(f"change_{end}")
    if finite(given):
        return float(given)
    future, baseline = row.get(f"future_{end}"), row.get(f"baseline_{end}")
    return float(future) - float(baseline) if finite(future) and finite(baseline) else np.nan


def _value(figure, text) -> str:
    """A figure in a popup, marked so tests and screen readers can find it (text escaped)."""
    return f'<span class="mecc-value" data-figure="{esc(figure)}">{text}</span>'
