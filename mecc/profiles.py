"""District risk profiles: one printable A4 page per admin unit, as HTML and PDF.

``mecc profile RUN_DIR --out DIR`` reads a finished run (zones.csv, summary.json,
manifest.json, zones.gpkg and, when present, sendai.csv) and writes ``profiles.html``:
per unit a plain-language sentence for every hazard, the key figures with their ranges,
a small map, the Sendai figures of the run with their ranges (:mod:`mecc.profile_sendai`),
the minimum needs of the displaced and the sources and caveats. Every number is read from
the run's tables (nothing is computed here but the needs, which are displaced people x
the profile's quantities, the ends of a Sendai rate's range, which are the row's range
over its population, and the rounding of the sentences). With ``pdf=True`` Chromium
prints the same file to ``profiles.pdf`` (one A4 page per unit; a unit whose page does not fit
one even at the smallest type continues on a second: :mod:`mecc.profile_page`). The run folder
is never modified.
"""

from __future__ import annotations

import html
import os
import shutil
import subprocess
import tempfile
from functools import partial
from pathlib import Path

import numpy as np

from mecc.errors import ConfigError, DataError, MeccError
from mecc.needs import (
    DEFAULT_RETURN_PERIOD,
    basis_column,
    check_return_period,
    exposure_only,
    left_out_reason,
    load_needs_profile,
    per_person,
    with_run_household_size,
    zone_household_sizes,
)
from mecc.profile_page import FIT_SCRIPT, STYLE
from mecc.profile_sendai import read_sendai as _read_sendai
from mecc.profile_sendai import sendai_table
from mecc.profile_text import (
    ProfileText,
    drought_columns,
    sea_level_rise,
    svg_map,
)
from mecc.risk import STANDARD_RETURN_PERIODS
from mecc.variant_order import variant_range

__all__ = ["build_profiles", "find_chromium", "print_to_pdf", "write_profiles"]

esc = html.escape


def _row_value(row, column):
    if row is None or column not in row.index:
        return np.nan
    try:
        return float(row[column])
    except (TypeError, ValueError):
        return np.nan


def _finite(value) -> bool:
    return value is not None and bool(np.isfinite(value))


class _Profiles:
    """Everything one profiles.html needs from a run, in one language."""

    def __init__(self, run, text: ProfileText, needs_profile, return_period, hazard_id):
        self.run, self.text = run, text
        self.hazards = run.summary.get("hazards", {})
        if hazard_id is not None and hazard_id not in self.hazards:
            raise ConfigError(f"--hazard {hazard_id}: not in this run ({', '.join(self.hazards)})")
        self.hazard_id = hazard_id
        self.needs = needs_profile
        self.t = check_return_period(return_period)
        zones = run.zones
        self.rows = {
            (code, hid): row
            for (code, hid), row in zones.set_index(["zone_code", "hazard_id"]).iterrows()
        }
        self.names = dict(zip(zones["zone_code"], zones["zone_name"], strict=False))
        self.sendai = _read_sendai(run.run_dir / "sendai.csv", self.hazards)
        self.no_cells = set(run.manifest.get("zones_without_cells") or [])
        from mecc.map_data import labels
        from mecc.map_text import Text

        self.roles = Text(labels(text.lang), text.lang)

    # --- one page -----------------------------------------------------------------

    def page(self, unit, number, total) -> str:
        t = self.text
        code, name = str(unit["zone_code"]), str(unit["zone_name"])
        level = unit.get("level")
        parent = unit.get("parent_code")
        parent_name = self.names.get(parent, parent) if isinstance(parent, str) and parent else ""
        meta = [esc(code)]
        if _finite(_as_float(level)):
            meta.append(t.w("level", level=int(float(level))))
        if parent_name:
            meta.append(t.w("part_of", parent=esc(str(parent_name))))
        meta.append(esc(str(self.run.summary.get("country", ""))))
        meta.append(t.w("run_date", date=esc(self.run.date)))
        empty = code in self.no_cells  # no cell of the analysis grid: figures not known
        sentences = (
            f'<p class="sentence" data-no-cells="yes">{t.w("no_cells", place=esc(name))}</p>'
            if empty
            else "".join(self.sentence(code, name, hid) for hid in self.hazards)
        )
        figure = self.small_map(unit, name, parent_name)
        return (
            f'<section class="page" data-zone="{esc(code)}" lang="{t.lang}" '
            f'data-continued-label="{t.w("continued")}">'
            f"<header><h1>{t.w('heading', title=t.w('title'), place=esc(name))}</h1>"
            f'<p class="meta">{" · ".join(meta)} <span class="badge">{t.w("modelled_notice")}'
            f"</span></p></header>"
            f'<div class="top"><div class="sentences">{sentences}</div>{figure}</div>'
            f"<h2>{t.w('key_figures')}</h2>{self.figures(code, empty)}"
            f"{'' if empty else self.sendai_section(code)}{self.needs_section(code, empty)}"
            f"{self.sources()}"
            f"<footer><span>{self.made_with()}</span><span>{number}/{total}</span></footer>"
            "</section>"
        )

    def basis(self, hid):
        info = self.hazards[hid]
        kind = info.get("kind", "")
        if exposure_only(info):  # a drought: people per severity class, no one displaced
            return kind, None
        columns = self.run.zones.columns
        return kind, basis_column(kind, columns, self.t) if kind else None

    def sentence(self, code, name, hid) -> str:
        info = self.hazards[hid]
        row = self.rows.get((code, hid))
        kind, column = self.basis(hid)
        if row is not None and exposure_only(info):  # people per class, never "displaced"
            classes = [(n, _row_value(row, c)) for n, c in drought_columns(info, row)]
            text = self.text.drought_sentence(name, info.get("scenario") or hid, classes)
            return f'<p class="sentence" data-hazard="{esc(hid)}" data-figure="drought">{text}</p>'
        if row is None or kind not in ("events", "return_periods", "scenario", "relocation"):
            return ""
        column = column or f"pmd_{int(self.t)}"
        value = _row_value(row, column)
        low, high = _variant_ends(row, column)
        style = {"events": "event", "return_periods": "event"}.get(kind, kind)
        if style == "relocation":
            style = "sentence_relocation"
        text = self.text.sentence(
            style,
            info.get("type", ""),
            name,
            value,
            low,
            high,
            t=self.t,
            scenario=info.get("scenario") or hid,
            rise=sea_level_rise(info) if kind == "relocation" else None,
        )
        return (
            f'<p class="sentence" data-hazard="{esc(hid)}" data-figure="{esc(column)}" '
            f'data-value="{value!r}">{text}</p>'
        )

    def figures(self, code, empty=False) -> str:
        """The key figures; ``empty``: the unit has no cell, its figures are not known."""
        t = self.text
        kinds = {info.get("kind") for info in self.hazards.values()}
        head = t.w("pmd_maps_head") if kinds == {"return_periods"} else t.w("pmd_events_head")
        pmd_heads = "".join(f"<th>{t.w('figure_pmd', t=p)}</th>" for p in STANDARD_RETURN_PERIODS)
        first = self.rows.get((code, next(iter(self.hazards))))
        population = np.nan if empty else _row_value(first, "population")
        official = _row_value(first, "population_official")
        rows, members, boot = "", False, {}
        for hid, info in self.hazards.items():
            row = self.rows.get((code, hid))
            if row is None:
                continue
            kind = info.get("kind", "")
            if exposure_only(info):  # one row per severity class: people exposed
                rows += t.drought_rows(hid, info, row, partial(self.cell, row, hid, unknown=empty))
                continue
            headline = {"scenario": "displaced", "relocation": "at_risk_relocation"}.get(
                kind, "aad"
            )
            label = t.w(f"figure_{headline}")
            unit = t.w("unit_people_year" if headline == "aad" else "unit_people")
            cells = self.cell(row, hid, headline, empty)
            members |= not empty and _finite(_member_range(row, headline)[0])
            shown = (
                t.bootstrap_span(*_bootstrap(row, f"pmd_{p}")) for p in STANDARD_RETURN_PERIODS
            )
            if not empty and kind in ("events", "return_periods") and any(shown):
                boot[hid] = info  # its PMDs show a bootstrap range (†)
            pmd = "".join(
                self.cell(row, hid, f"pmd_{p}", empty)
                if kind in ("events", "return_periods")
                else "<td></td>"
                for p in STANDARD_RETURN_PERIODS
            )
            rows += (
                f'<tr><td class="left">{esc(hid)}<span class="range">'
                f"{t.hazard_noun(info.get('type', ''))} · {t.w('kind_' + kind)}</span></td>"
                f'<td class="left">{label}<span class="range">{unit}</span></td>{cells}{pmd}</tr>'
            )
        note = "" if empty else t.ranges_note(self.hazards.values(), members)
        note = " ".join(filter(None, [note, t.bootstrap_note(boot)]))
        return (
            f"{t.population_note(population, official, known=not empty)}"
            f'<table class="figures"><thead><tr><th class="left" rowspan="2">'
            f'{t.w("figure_hazard")}</th><th class="left" rowspan="2">{t.w("figure")}</th>'
            f'<th rowspan="2">{t.w("figure_value")}</th><th colspan="5">{head}</th></tr>'
            f"<tr>{pmd_heads}</tr></thead><tbody>{rows}</tbody></table>"
            + (f'<p class="note">{note}</p>' if note else "")
        )

    def cell(self, row, hid, column, unknown=False) -> str:
        """A figure of zones.csv with its curve-variant range (:func:`_variant_ends`), for an
        AAD its ensemble members' (:func:`_member_range`) and for a PMD its bootstrap
        5th-95th percentile (``_p05``/``_p95``, marked †); "–" if ``unknown``."""
        value = np.nan if unknown else _row_value(row, column)
        span = self.text.range_span(*_variant_ends(row, column))
        span += self.text.range_span(*_member_range(row, column), members=True)
        if column.startswith("pmd_"):  # an event set's bootstrap 5th-95th percentile
            span += self.text.bootstrap_span(*_bootstrap(row, column))
        span = "" if unknown else span
        return (
            f'<td data-hazard="{esc(hid)}" data-figure="{esc(column)}" data-value="{value!r}">'
            f"{self.text.num(value)}{span}</td>"
        )

    def small_map(self, unit, name, parent_name) -> str:
        level = _as_float(unit.get("level"))
        if not _finite(level) or int(level) not in self.run.levels:
            return ""
        frame = self.run.levels[int(level)]
        parent = unit.get("parent_code")
        if isinstance(parent, str) and parent and "parent_code" in frame.columns:
            frame = frame[frame["parent_code"].astype(str) == parent]
        caption = (
            self.text.w("map_caption", place=esc(name), parent=esc(str(parent_name)))
            if parent_name
            else self.text.w("map_caption_alone", place=esc(name))
        )
        picture = svg_map(
            frame, str(unit["zone_code"]), label=html.unescape(caption), retag=self.text.retag
        )
        if not picture:
            return ""
        return f"<figure>{picture}<figcaption>{caption}</figcaption></figure>"

    def sendai_section(self, code) -> str:
        """The run's Sendai figures of the unit with their ranges (:mod:`mecc.profile_sendai`)."""
        return sendai_table(self.sendai.get(code) if self.sendai else None, self.text)

    def needs_hazard(self, code):
        """The hazard whose figure the needs are for: the chosen one, else the first
        with a defined figure in this unit; never a drought or sea-level rise, which
        needs.csv leaves out (:func:`mecc.needs.left_out_reason`)."""
        candidates = [self.hazard_id] if self.hazard_id else list(self.hazards)
        for hid in candidates:
            if left_out_reason(self.hazards[hid]):  # as needs.csv: no daily caseload
                continue
            kind, column = self.basis(hid)
            row = self.rows.get((code, hid))
            if column and row is not None and _finite(_row_value(row, column)):
                return hid, column, row
        return None, None, None

    def needs_section(self, code, empty=False) -> str:
        t = self.text
        if empty:  # no cell of the analysis grid: not known, not "no needs"
            return f'<h2>{t.w("needs_unknown")}</h2><p class="note">{t.w("needs_no_cells")}</p>'
        hid, column, row = self.needs_hazard(code)
        if hid is None:
            return ""
        displaced = _row_value(row, column)
        low, high = _variant_ends(row, column)
        boot = _bootstrap(row, column) if column.startswith("pmd_") else (np.nan, np.nan)
        basis = (
            t.w("needs_basis_pmd", t=int(self.t) if self.t.is_integer() else self.t)
            if column.startswith("pmd_")
            else t.w(f"needs_basis_{column}")
        )
        title = t.counted(
            "needs", t.num(displaced), people=t.num(displaced), basis=basis, hazard=esc(hid)
        )
        profile_title = self.needs.get("title", {})
        profile_title = (
            profile_title.get(t.lang, self.needs["id"])
            if isinstance(profile_title, dict)
            else str(profile_title)
        )
        note = t.w("needs_profile", profile=esc(profile_title))
        if t.bootstrap_span(*boot):
            note += " " + t.bootstrap_note({hid: self.hazards[hid]})
        note = f'<p class="note">{note}</p>'
        if round(displaced) < 1:
            return f'<h2>{title}</h2><p class="note">{t.w("needs_none")}</p>'
        sizes, own = zone_household_sizes(self.needs, _row_value(row, "household_size"))
        size, whose = float(sizes[0]), self.needs.get("household_size_from", "profile")
        whose = t.w("household_unit" if own[0] else f"household_{whose}")
        kits = [float(n["quantity"]) for n in self.needs["needs"] if n["per"] == "household"]
        shown = t.household_size(size, (displaced, low, high, *boot), kits)  # checks by hand
        body = ""
        for need in self.needs["needs"]:
            factor = per_person(need, size)
            period = t.w(f"period_{need['period']}")
            if need["per"] == "household":
                people = t.qty(shown)
                quantity = t.w(
                    "per_household",
                    quantity=t.amount(t.qty(need["quantity"]), need["unit"]),
                    size=f"{people} {t.counted('unit_people', people)}",
                    source=whose,
                )
            else:
                quantity = t.amount(t.qty(need["quantity"]), need["unit"], period)
            span = ""
            if _finite(low) and _finite(high):
                span = f'<span class="range">{t.num(low * factor)}–{t.num(high * factor)}</span>'
            span += t.bootstrap_span(boot[0] * factor, boot[1] * factor)
            amount = displaced * factor
            body += (
                f'<tr><td class="left">{t.w("need_" + need["id"])}</td><td>{quantity}</td>'
                f'<td data-need="{esc(need["id"])}" data-value="{amount!r}">'
                f"{t.amount(t.num(amount), need['unit'], period)}{span}</td></tr>"
            )
        return (
            f'<h2>{title}</h2><table class="needs"><thead><tr><th class="left">'
            f"{t.w('needs_item')}</th><th>{t.w('needs_per_person')}</th>"
            f"<th>{t.w('needs_total')}</th></tr></thead><tbody>{body}</tbody></table>{note}"
        )

    def sources(self) -> str:
        t = self.text
        dry = [exposure_only(h) for h in self.hazards.values()]  # drought: nobody displaced
        items = [t.w("caveat_modelled")] * (not all(dry)) + [t.w("caveat_rounding")]
        if any(h.get("kind") == "return_periods" for h in self.hazards.values()):
            items.append(t.w("caveat_pmd_maps"))
        items += [t.w("caveat_drought")] * any(dry)
        for hid in self.hazards:
            curve = self.run.hazard_parameters(hid).get("curve") or {}
            if isinstance(curve, dict) and curve.get("source"):
                items.append(t.w("curve_of", hazard=esc(hid), source=t.curve_source(curve)))
        items += self.input_lines()
        items.append(esc(str(self.needs["source"]).strip()))
        body = "".join(f"<li>{item}</li>" for item in items)
        return f'<h2>{t.w("sources")}</h2><ul class="sources">{body}</ul>'

    def input_lines(self) -> list[str]:
        """The run's inputs, one line per role (over three files: the first and last and
        their count, so that a page of futures' return-period maps fits its A4 box)."""
        groups: dict = {}
        for record in self.run.manifest.get("inputs", []):
            groups.setdefault(record.get("role", ""), []).append(record)
        lines = []
        for records in groups.values():
            line = self.roles.role(records[0])
            more = [esc(os.path.basename(str(r.get("path", "")))) for r in records[1:]]
            if len(more) > 2:
                more = [self.text.w("files_more", first=more[0], last=more[-1], count=len(records))]
            lines.append(f"{line} + {', '.join(more)}" if more else line)
        return lines

    def made_with(self) -> str:
        import mecc

        return self.text.w(
            "made_with",
            version=esc(mecc.__version__),
            country=esc(str(self.run.summary.get("country", ""))),
            date=esc(self.run.date),
        )


def _variant_ends(row, column) -> tuple[float, float]:
    """The curve-variant range of ``column`` in a zones.csv row as the map and sendai.csv
    show it: the lowest to the highest of the central figure and its ``_low`` / ``_high``
    (:func:`mecc.variant_order.variant_range`), so variants that cross still give a range,
    in order, around the central figure; a ``_low`` alone gives low-central. NaN, NaN
    without a variant or a central figure."""
    central = _row_value(row, column)
    low, high = _row_value(row, f"{column}_low"), _row_value(row, f"{column}_high")
    return variant_range(central, low, high) or (np.nan, np.nan)


def _member_range(row, column) -> tuple[float, float]:
    """The lowest and highest AAD of an event set's ensemble members (zones.csv
    ``aad_member_min``/``_max``) for ``column`` ``aad``; NaN for other figures and
    hazards without members."""
    if column != "aad":
        return np.nan, np.nan
    return _row_value(row, "aad_member_min"), _row_value(row, "aad_member_max")


def _bootstrap(row, column) -> tuple[float, float]:
    """The bootstrap 5th and 95th percentiles of a PMD (zones.csv ``pmd_T_p05`` /
    ``_p95``); NaN where the row has none."""
    return _row_value(row, f"{column}_p05"), _row_value(row, f"{column}_p95")


def _as_float(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return np.nan


MAX_DEFAULT_PAGES = 2000
"""Most pages written when neither --zone nor --level chooses them (a country of 40,000
communes gave 40,000 pages: about 4 GB of HTML and 20 minutes before the PDF)."""


def _check_zone_levels(left_out, zones, levels) -> None:
    """Refuse a --zone that --level leaves out, naming the zone's own level."""
    levels_of = dict(zip(left_out["zone_code"], left_out["level"], strict=False))
    for code in zones:
        if code in levels_of:
            level = _as_float(levels_of[code])
            own = f"a level-{int(level)} zone" if _finite(level) else "a zone without a level"
            chosen = ", ".join(str(v) for v in levels)
            raise ConfigError(
                f"--zone {code}: {own} of this run, but --level {chosen} leaves it out "
                "(add its level or leave out --level)"
            )


def build_profiles(
    run_dir,
    *,
    lang="en",
    zones=None,
    levels=None,
    needs_profile="sphere",
    household_size=None,
    return_period=DEFAULT_RETURN_PERIOD,
    hazard_id=None,
) -> str:
    """The HTML of the profiles of a finished run (one ``section.page`` per unit).

    Parameters
    ----------
    run_dir : path
    lang : str
        ``en``, ``fr`` or ``es`` (any language of ``mecc/locales/profiles.yaml``).
    zones : list of str, optional
        Zone codes (default: every unit of every level, coarse first).
    levels : list of int, optional
        Admin levels to include.
    needs_profile, household_size : see :func:`mecc.needs.load_needs_profile`.
    return_period : float
        The T of the sentences and needs for event sets and return-period maps.
    hazard_id : str, optional
        The hazard the needs are computed for (default: the first with a figure).
    """
    from mecc.map_data import read_run
    from mecc.offline import check_offline

    text = ProfileText(lang)
    run = read_run(run_dir)  # its tables checked: a damaged one is one line
    needs = load_needs_profile(needs_profile, household_size)
    needs = with_run_household_size(needs, run, household_size)
    profiles = _Profiles(run, text, needs, return_period, hazard_id)
    units = run.zones.drop_duplicates("zone_code")
    units = units[units["zone_code"] != "__outside__"]
    if zones:
        unknown = sorted(set(zones) - set(units["zone_code"]))
        if unknown:
            raise ConfigError(f"--zone {unknown[0]}: not a zone of this run")
    if levels:
        kept = units["level"].isin([float(v) for v in levels])
        if zones:
            _check_zone_levels(units[~kept], zones, levels)
        # a level the run does not have is bad usage, not an empty document
        have = sorted({int(f) for v in units["level"] if _finite(f := _as_float(v))})
        if missing := [v for v in levels if v not in have]:
            known = ", ".join(str(v) for v in have) or "none"
            raise ConfigError(f"--level {missing[0]}: not a level of this run (levels: {known})")
        units = units[kept]
    if zones:
        units = units[units["zone_code"].isin(zones)]
    if units.empty:
        raise DataError(f"{run_dir}: no admin unit to profile")
    if not zones and not levels and len(units) > MAX_DEFAULT_PAGES:
        counts = units["level"].value_counts().sort_index()
        per_level = ", ".join(f"level {int(lv)}: {n:,}" for lv, n in counts.items())
        raise ConfigError(
            f"{run_dir}: {len(units):,} units ({per_level}) would make a document of "
            f"{len(units):,} pages; choose --level (e.g. --level {int(counts.index[0])}) or "
            "--zone CODE"
        )
    pages = [profiles.page(unit, k + 1, len(units)) for k, (_, unit) in enumerate(units.iterrows())]
    title = f"{text.w('title')} · {esc(str(run.summary.get('country', '')))}"
    document = (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><style>{STYLE}</style></head><body>"
        + "".join(pages)
        + f"<script>{FIT_SCRIPT}</script></body></html>"
    )
    check_offline(document)
    return document


def find_chromium() -> str | None:
    """Debian's chromium (or Chrome) on this machine; ``MECC_CHROMIUM`` names another."""
    named = os.environ.get("MECC_CHROMIUM")
    if named:
        return named if shutil.which(named) or os.path.isfile(named) else None
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def print_to_pdf(html_path, pdf_path, *, chromium=None, timeout=180) -> Path:
    """Print an HTML file to PDF with headless Chromium (A4 from the page's CSS).

    The browser runs with a fresh profile, no extensions and every network request
    sent to a closed local port, so the PDF holds only what the file itself contains.
    """
    browser = chromium or find_chromium()
    if browser is None:
        raise ConfigError(
            "printing to PDF needs Chromium (Debian: apt-get install chromium) or MECC_CHROMIUM "
            "naming it; use --no-pdf for HTML only (nothing was written)"
        )
    pdf_path = Path(pdf_path)
    with tempfile.TemporaryDirectory(prefix="mecc-chromium-") as profile:
        command = [
            browser,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--proxy-server=127.0.0.1:9",
            "--no-pdf-header-footer",
            "--print-to-pdf-no-header",
            f"--user-data-dir={profile}",
            f"--print-to-pdf={pdf_path}",
            Path(html_path).resolve().as_uri(),
        ]
        try:
            done = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise MeccError(f"{browser}: could not print to PDF ({error})") from None
    if not pdf_path.is_file() or pdf_path.stat().st_size == 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        raise MeccError(f"{browser}: printing to PDF failed ({detail[0]})")
    return pdf_path


def write_profiles(run_dir, out_dir, *, pdf=False, overwrite=False, **options) -> Path:
    """``mecc profile``: write ``profiles.html`` (and ``profiles.pdf``) into ``out_dir``.

    ``options`` go to :func:`build_profiles`. Staged and renamed into place: a failure
    (e.g. no Chromium for the PDF) leaves nothing behind; the run folder is only read. A
    finished run without sendai.csv (the pages' Sendai section) or another file the
    profiles read is refused in one line naming it.
    """
    from mecc.outputs import OutputFolder
    from mecc.run_folder import RUN_READS, check_finished_run, is_run_folder

    if is_run_folder(run_dir):  # else build_profiles says what the folder is not
        check_finished_run(run_dir, (*RUN_READS, "zones.gpkg", "sendai.csv"))

    run_dir, out_dir = Path(run_dir), Path(out_dir)
    if out_dir.resolve() == run_dir.resolve() or run_dir.resolve() in out_dir.resolve().parents:
        raise ConfigError(f"--out {out_dir}: choose a folder outside the run folder")
    document = build_profiles(run_dir, **options)
    if pdf and find_chromium() is None:
        print_to_pdf(None, None)  # raises the "needs Chromium" error before writing
    folder = OutputFolder(out_dir, overwrite=overwrite, command="profile")
    with folder as staging:
        (staging / "profiles.html").write_text(document, encoding="utf-8")
        if pdf:
            print_to_pdf(staging / "profiles.html", staging / "profiles.pdf")
    return folder.commit()
