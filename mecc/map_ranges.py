"""The popups of a hazard's zones, and the ranges of the map that are not a figure's own.

A hazard's popup (:func:`hazard_popups`) gives each figure central, then its range and
what the range spans (:meth:`mecc.map_text.Text._range`). Two of its rows take their
range from elsewhere:

- the rate per 100,000 of the headline figure: the headline's range (curve variants,
  or the DEM raised and lowered for sea-level rise) and an event set's ensemble members,
  over the same population as the rate (:func:`rate_cell`), so "417 per 100,000" reads
  "range 206 to 758" beside an AAD of "887, range 438 to 1,613";
- Sendai B-1: the ``low`` / ``high`` of its row of sendai.csv over the row's population,
  named by its ``range_kind`` (:func:`mecc.map_sendai.sendai_b1_ranges`).

The About panel cites the bootstrap range of an event set's probable maximum
displacement only where a popup shows one (:func:`bootstrap_line`): the engine leaves it
blank at a return period that some resample of the set does not span
(:func:`mecc.risk.bootstrap_event_pmd`), at every return period for a small set.
"""

from __future__ import annotations

import numpy as np

from mecc.map_methods import drought_class_name, drought_columns, range_kinds, range_words
from mecc.map_no_hazard import popup_notes
from mecc.map_text import _value, esc, finite
from mecc.risk import STANDARD_RETURN_PERIODS
from mecc.sendai import per_100k

__all__ = ["b1_cell", "bootstrap_line", "bootstrap_periods", "hazard_popups", "rate_cell"]

YEARLY = ("events", "return_periods")
"""Kinds whose figures are per year (expected annual) and whose popups give the PMD."""


def _rate(value, people) -> float:
    """``value`` per 100,000 of ``people`` (NaN without both, or for no people)."""
    return per_100k(float(value), float(people)) if finite(value) and finite(people) else np.nan


def rate_cell(text, row, headline, people, kinds) -> str:
    """The cell of the rate per 100,000 of a popup's headline figure (escaped HTML).

    The rate of the central figure, marked central, then the range of the headline
    (its ``_low`` / ``_high``: the lowest to the highest of the three, as the headline's
    own) and, for an event set with members, the members' median, lowest and highest AAD,
    each over the same ``people`` as the rate and saying what it spans (``kinds``:
    :func:`mecc.map_methods.range_kinds`).

    Parameters
    ----------
    text : mecc.map_text.Text
    row : dict
        The zone's row of zones.csv.
    headline : str
        The figure the rate is of (``aad``, ``displaced``, ``at_risk_relocation``).
    people : float
        The rate's denominator (official population where given, else the grid's).
    kinds : dict
        What the hazard's ranges span.
    """
    scaled = {
        "per_100k": _rate(row.get(headline), people),
        "per_100k_low": _rate(row.get(f"{headline}_low"), people),
        "per_100k_high": _rate(row.get(f"{headline}_high"), people),
    }
    spread = text._range(scaled, "per_100k", range_words(text.words, kinds, "variants"))
    if headline == "aad" and finite(row.get("aad_member_median")):
        members = {k: _rate(row.get(f"aad_member_{k}"), people) for k in ("median", "min", "max")}
        spread += "<br>" + text.w(
            "aad_members",
            median=text.number(members["median"]),
            low=text.number(members["min"], "?"),
            high=text.number(members["max"], "?"),
        )
    return text._central(_value("per_100k", text.num(scaled["per_100k"])), spread)


def b1_cell(text, code, value, ranges) -> str:
    """The cell of a zone's Sendai B-1 (escaped HTML): the value, then the range of its
    row of sendai.csv when ``ranges`` (:func:`mecc.map_sendai.sendai_b1_ranges`) has one,
    marked central and saying what it spans. A range of ensemble members is shown as
    given (the pooled figure need not lie inside it); any other is the lowest to the
    highest of it and the figure, as every curve-variant range."""
    shown = _value("sendai_b1", text.num(value))
    if code not in ranges:
        return shown
    low, high, kind = ranges[code]
    ends = ("min", "max") if kind == "members" else ("low", "high")
    row = {"sendai_b1": value, f"sendai_b1_{ends[0]}": low, f"sendai_b1_{ends[1]}": high}
    return text._central(
        shown, text._range(row, "sendai_b1", text.words[f"range_kind_{kind}"], ends)
    )


def hazard_popups(
    text,
    rows,
    names,
    hazard_id,
    summary,
    headline,
    b1,
    b1_parts=None,
    no_hazard=None,
    b1_ranges=None,
) -> list[str]:
    """The popup of every zone for one hazard (``rows``: zones.csv, map order).

    A drought's popup gives its people in each severity class (exposed, not displaced).
    ``b1`` is Sendai B-1 per zone (:func:`mecc.map_sendai.sendai_b1`); ``b1_parts`` the
    components each zone's B-1 adds up (:func:`mecc.map_sendai.sendai_b1_parts`): a B-1
    without B-3 and B-4 (no damage curve) or without B-5 says so in its row's label;
    ``b1_ranges`` its range (:func:`mecc.map_sendai.sendai_b1_ranges`). ``no_hazard``:
    its people without hazard data (:func:`mecc.map_no_hazard.no_hazard_people`): a unit
    where nobody has any says its figures are not known, one where some lack it how many.
    The rate per 100,000 has the range of the figure it is of (:func:`rate_cell`).
    """
    b1_parts, b1_ranges = b1_parts or {}, b1_ranges or {}
    w = text.w
    kind, hazard = summary.get("kind", ""), text.hazard_text(hazard_id, summary)
    kinds = range_kinds(summary)  # what each range spans, from summary.json
    variants, boot = (range_words(text.words, kinds, k) for k in ("variants", "bootstrap"))
    out, gaps = [], popup_notes(text, no_hazard, len(rows))  # (not known?, its row)
    records = zip(rows.index, rows.to_dict("records"), strict=True)  # dicts: fast .get
    for (code, row), name, (unknown, gap) in zip(records, names, gaps, strict=True):
        cells = [(w("zone_code"), esc(str(code))), (w("hazard"), hazard)]
        if code != "__outside__" and not finite(row.get("population", 0.0)):  # no cell
            note = f'<tr><td colspan="2">{w("no_cells_popup")}</td></tr>'
            out.append(text._popup(name, cells, note))  # not known (not 0): why
            continue
        cells.insert(1, (w("population"), text.num(row.get("population"))))
        if unknown:  # nobody with hazard data: not known (not 0), and why
            out.append(text._popup(name, cells, gap))
            continue
        extra, rated = "", None
        if kind in YEARLY:
            shown = f"{_value('aad', text.num(row.get('aad')))} {w('unit_people_year')}"
            spread = text._range(row, "aad", variants)
            if finite(row.get("aad_member_median")):
                spread += "<br>" + w(
                    "aad_members",
                    median=text.number(row["aad_member_median"]),
                    low=text.number(row.get("aad_member_min"), "?"),
                    high=text.number(row.get("aad_member_max"), "?"),
                )
            cells.append((w("aad"), text._central(shown, spread)))
            rated = "aad"
            head = w("pmd_maps" if kind == "return_periods" else "pmd_events")
            extra = f'<tr><th colspan="2" scope="rowgroup">{head}</th></tr>'
            for t in STANDARD_RETURN_PERIODS:  # curve variants and bootstrap p05-p95
                spread = text._range(row, f"pmd_{t}", variants)
                spread += text._range(row, f"pmd_{t}", boot, ("p05", "p95"))
                value = text._central(_value(f"pmd_{t}", text.num(row.get(f"pmd_{t}"))), spread)
                extra += f'<tr><th scope="row">{w("years", t=t)}</th><td>{value}</td></tr>'
        elif headline:
            rated = headline
            spread = text._range(row, headline, variants)
            shown = text._central(_value(headline, text.num(row.get(headline))), spread)
            cells.append((w(headline), shown))  # the figure as a row label
        if summary.get("type") == "drought":  # people per class: exposed, not displaced
            for n, column in drought_columns(summary, rows.columns):
                label = w("layer_drought_class", severity=drought_class_name(text.words, n))
                cells.append((label, _value(column, text.num(row.get(column)))))
            extra = f'<tr><td colspan="2">{w("drought_popup_note")}</td></tr>'
        if rated is not None and row.get(rated) is not None:
            official = row.get("population_official")
            source = "official" if finite(official) and official > 0 else "grid"
            people = official if source == "official" else row.get("population")
            yearly = "_year" if kind in YEARLY else ""  # AAD: a year
            cells.append(
                (w(f"per_100k{yearly}_{source}"), rate_cell(text, row, rated, people, kinds))
            )
        if code in b1:
            label = text.b1_label(kind in YEARLY, b1_parts.get(code))
            cells.append((label, b1_cell(text, code, b1[code], b1_ranges)))
        out.append(text._popup(name, cells, extra + gap))
    return out


# --- the About panel: the bootstrap range of an event set's PMD ------------------------


def bootstrap_periods(rows) -> tuple[list[int], list[int]]:
    """The return periods at which the popups of ``rows`` (zones.csv) show a bootstrap
    range of the probable maximum displacement (both ends given, not 0 to 0, in some
    unit), and those at which some unit has a central PMD (``pmd_T``)."""
    shown, defined = [], []
    for t in STANDARD_RETURN_PERIODS:
        ends = [
            rows[c].to_numpy(dtype="float64") if c in rows.columns else np.full(len(rows), np.nan)
            for c in (f"pmd_{t}_p05", f"pmd_{t}_p95")
        ]
        given = np.isfinite(ends[0]) & np.isfinite(ends[1]) & ~((ends[0] == 0) & (ends[1] == 0))
        if given.any():
            shown.append(t)
        if f"pmd_{t}" in rows.columns and np.isfinite(rows[f"pmd_{t}"].to_numpy("float64")).any():
            defined.append(t)
    return shown, defined


def _hazard_rows(run, hazard_id):
    """The hazard's rows of zones.csv that the popups show: the finest level's units."""
    zones = run.zones
    rows = zones[zones["hazard_id"] == hazard_id]
    if run.levels:
        codes = set(run.levels[max(run.levels)]["zone_code"].astype(str))
        rows = rows[rows["zone_code"].astype(str).isin(codes)]
    return rows


def bootstrap_line(text, run, hazard_id, kinds) -> str | None:
    """The About panel's line on the bootstrap range of a hazard's probable maximum
    displacement, or None when the run has none (``kinds``:
    :func:`mecc.map_methods.range_kinds`).

    What it spans when the popups show it at every return period with a central PMD;
    at which return periods only when they show it at some; why there is none when the
    run resampled the set but every percentile is blank (a return period that some
    resample does not span); nothing when the only ranges are 0 to 0 (none shown).
    """
    if not kinds["bootstrap"]:
        return None
    kind = range_words(text.words, kinds, "bootstrap")
    rows = _hazard_rows(run, hazard_id)
    shown, defined = bootstrap_periods(rows)
    if shown and set(defined) <= set(shown):
        return text.w("method_range_bootstrap", kind=kind)
    if shown:
        periods = ", ".join(str(t) for t in shown)
        return text.w("method_range_bootstrap_some", kind=kind, periods=periods)
    columns = [f"pmd_{t}_{e}" for t in STANDARD_RETURN_PERIODS for e in ("p05", "p95")]
    given = [rows[c].to_numpy("float64") for c in columns if c in rows.columns]
    if any(np.isfinite(values).any() for values in given):  # 0 to 0 only: none shown
        return None
    return text.w("method_range_bootstrap_none", kind=kind)
