"""The report of ``mecc evaluate``: the self-contained HTML page (no network, no external
file: the scatter plot, drawn by :mod:`mecc.evaluate_summary`, is embedded as a PNG data URI
and the residual map as inline SVG), and unit by unit the residual layer
(``residuals.geojson``) and its map. Figures come from :func:`mecc.evaluate.evaluate_run`;
the Sources section from :mod:`mecc.evaluation_sources`.

The national table says what was compared (``national["scope_text"]``): over the units
observed when the observed file reports only some of them, with the whole run's figure
shown next to it and labelled as not compared. The observed units without a modelled
figure (no grid cell) are listed with their observed values.

A unit's ``status`` in the residual layer:

- ``observed``: in the observed file and modelled; its log10 ratio and outcome are given;
- ``no modelled figure (no grid cell)``: in the observed file, but the unit received no
  cell of the run's grid, so its modelled figure is not known (blank, not 0: its people
  were counted in neighbouring units); its observed value is given;
- ``not reported``: not in the observed file (not a zero); its modelled value is given,
  blank when not known (no grid cell).

Per unit (the largest differences, the map's titles), a modelled figure is written with
its range where the run has curve variants: ``2,246 (low 287 – high 3,087)``: the central
curve's, then the low and the high variant's in brackets.
"""

from __future__ import annotations

import base64
import html
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from mecc.errors import MeccError
from mecc.evaluate_measures import compared_definition
from mecc.evaluation_sources import (
    _generator,  # noqa: F401  (tests read it here)
    run_sources,
    source_lines,
    sources_html,
)
from mecc.figures import DIVERGING_BINS, diverging_colour, polygon_map_svg

__all__ = [
    "NO_FIGURE",
    "NOT_REPORTED",
    "OBSERVED",
    "modelled_text",
    "render_html",
    "residual_layer",
    "residual_map_svg",
    "run_sources",
    "source_lines",
    "units_without_figure",
]

OBSERVED = "observed"
NO_FIGURE = "no modelled figure (no grid cell)"
NOT_REPORTED = "not reported"
NO_FIGURE_COLOUR = "#737373"
"""Map colour of an observed unit without a modelled figure (darker than not reported)."""


def _fmt(value, digits: int = 0) -> str:
    """A number with thousands separators; ``n/a`` when None, NaN or infinite."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return f"{value:,.{digits}f}"


def _known(value) -> bool:
    return value is not None and not pd.isna(value) and math.isfinite(float(value))


def modelled_text(central, low=None, high=None) -> str:
    """``"2,246 (low 287 – high 3,087)"``: the central figure and, where known, the low
    and high variants' (which is which said); ``n/a`` when the central one is not known."""
    if not _known(central):
        return "n/a"
    if not (_known(low) and _known(high)):
        return _fmt(float(central))
    return f"{_fmt(float(central))} (low {_fmt(float(low))} – high {_fmt(float(high))})"


def _statuses(observed, modelled) -> np.ndarray:
    has_observed = pd.notna(np.asarray(observed, dtype=np.float64))
    has_modelled = pd.notna(np.asarray(modelled, dtype=np.float64))
    return np.where(has_observed, np.where(has_modelled, OBSERVED, NO_FIGURE), NOT_REPORTED).astype(
        object
    )


def residual_layer(path, level, zones: pd.DataFrame, matched: pd.DataFrame):
    """Every unit of the compared level with its status (module docstring), observed and
    modelled figures (the central curve's and the variants'), log10 ratio and outcome,
    in WGS 84; None without a readable ``zones.gpkg``.

    Parameters
    ----------
    path : Path
        The run's ``zones.gpkg``.
    level : int or None
        The compared admin level (layer ``admin{level}``; else the file's last layer).
    zones : DataFrame
        Every unit: ``zone_code``, ``zone_name``, ``observed`` (NaN: not reported) and the
        modelled columns (NaN: not known, no grid cell).
    matched : DataFrame
        The units compared (an observed and a modelled figure), with ``log10_ratio`` and
        ``outcome``.
    """
    import geopandas as gpd
    import pyogrio

    if not path.is_file():
        return None
    layer = f"admin{level}" if level is not None else None
    try:
        layers = [str(name) for name in pyogrio.list_layers(path)[:, 0]]
        frame = gpd.read_file(path, layer=layer if layer in layers else layers[-1])
    except (pyogrio.errors.DataSourceError, ValueError, IndexError):
        return None
    frame = frame[["zone_code", "geometry"]].merge(zones, on="zone_code", how="inner")
    frame = frame.merge(
        matched[["zone_code", "log10_ratio", "outcome"]], on="zone_code", how="left"
    )
    frame["status"] = _statuses(frame["observed"], frame["modelled"])
    keep = ["zone_code", "zone_name", "status", "observed"]
    keep += [c for c in frame.columns if c.startswith("modelled") and "people" not in c]
    keep += ["log10_ratio", "outcome", "geometry"]
    return gpd.GeoDataFrame(frame[keep], geometry="geometry", crs=frame.crs).to_crs("EPSG:4326")


def _column(frame, name) -> list:
    return list(frame[name].astype(float)) if name in frame.columns else [None] * len(frame)


def _title(code, name, status, observed, central, low, high) -> str:
    modelled = modelled_text(central, low, high)
    if status == OBSERVED:
        return f"{code} {name}: observed {_fmt(observed)}, modelled {modelled}"
    if status == NO_FIGURE:
        return f"{code} {name}: observed {_fmt(observed)}; {NO_FIGURE}"
    if modelled == "n/a":
        return f"{code} {name}: {NOT_REPORTED}; {NO_FIGURE}"
    return f"{code} {name}: {NOT_REPORTED}; modelled {modelled}"


def residual_map_svg(frame) -> str:
    """Inline SVG map of log10(modelled / observed) per unit: grey where not reported,
    dark grey where observed without a modelled figure (no grid cell). Each unit's title
    gives its observed figure and its modelled one with the low – high range."""
    statuses = (
        list(frame["status"])
        if "status" in frame.columns
        else list(_statuses(frame["observed"], frame["modelled"]))
    )
    colours = [
        NO_FIGURE_COLOUR if s == NO_FIGURE else diverging_colour(v)
        for s, v in zip(statuses, frame["log10_ratio"], strict=True)
    ]
    titles = [
        _title(*row)
        for row in zip(
            frame["zone_code"],
            frame["zone_name"],
            statuses,
            frame["observed"].astype(float),
            frame["modelled"].astype(float),
            _column(frame, "modelled_low"),
            _column(frame, "modelled_high"),
            strict=True,
        )
    ]
    no_figure = statuses.count(NO_FIGURE)
    legend = [(colour, text) for _, _, colour, text in DIVERGING_BINS]
    legend.append((diverging_colour(math.nan), NOT_REPORTED))
    if no_figure:
        legend.append((NO_FIGURE_COLOUR, f"observed, {NO_FIGURE}"))
    ratio = frame["log10_ratio"].astype(float)
    reported = int(ratio.notna().sum())
    label = (  # the map's accessible name: role="img" hides the zones' titles
        f"Map of log10(modelled / observed) per zone: {reported} zones reported, the model "
        f"higher in {int((ratio > 0).sum())} and lower in {int((ratio < 0).sum())}; "
        + (f"{no_figure} observed with {NO_FIGURE}; " if no_figure else "")
        + f"{len(frame) - reported - no_figure} not reported; the largest differences are "
        "listed below"
    )
    return polygon_map_svg(frame.geometry, colours, titles, legend=legend, label=label)


def _from_files(figures: dict, codes: list) -> pd.DataFrame:
    """Names (the run's zones.csv) and observed values (the observed file, read as
    ``mecc evaluate`` read it) of ``codes``; values NaN when the file cannot be read the
    same way again (e.g. it was filtered by a measure column the figures do not record)."""
    from mecc.evaluate import read_observed
    from mecc.run_folder import read_run_table

    names, values = {}, pd.Series(dtype=np.float64)
    try:
        table = read_run_table(Path(figures["run"]["folder"]), "zones.csv")
        names = dict(zip(table["zone_code"], table["zone_name"], strict=True))
    except (MeccError, OSError, KeyError):
        pass
    recorded = figures["observed"]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            read = read_observed(
                recorded["file"],
                code_column=recorded["code_column"],
                value_column=recorded["value_column"],
                measure=recorded.get("measure"),
                measure_column=recorded.get("measure_column"),
            )
        if read.rows == recorded.get("rows"):
            values = read.values
    except (MeccError, OSError, KeyError):
        pass
    return pd.DataFrame(
        {
            "zone_code": codes,
            "zone_name": [names.get(c, "") for c in codes],
            "observed": [float(values.get(c, np.nan)) for c in codes],
        }
    )


def units_without_figure(figures: dict, units: pd.DataFrame | None = None) -> pd.DataFrame:
    """The observed units without a modelled figure (``evaluation.json`` ``observed``
    ``zones_without_modelled_figure``), with ``zone_name`` and ``observed``.

    Parameters
    ----------
    figures : dict
        What :func:`mecc.evaluate.evaluate_run` writes to ``evaluation.json``.
    units : DataFrame, optional
        Every unit of the compared level with ``zone_code``, ``zone_name`` and
        ``observed``; without it, the names and values are read again from the run's
        zones.csv and the observed file (:func:`_from_files`).
    """
    codes = list(figures["observed"].get("zones_without_modelled_figure") or [])
    if not codes:
        return pd.DataFrame({"zone_code": [], "zone_name": [], "observed": []})
    if units is None:
        return _from_files(figures, codes)
    found = units.drop_duplicates("zone_code").set_index("zone_code").reindex(codes)
    return pd.DataFrame(
        {
            "zone_code": codes,
            "zone_name": found["zone_name"].fillna("").astype(str).to_list(),
            "observed": found["observed"].astype(float).to_list(),
        }
    )


def _fmt2(value) -> str:
    return _fmt(value, 2)


def _range_definition(modelled: dict, has_range: bool) -> str:
    """The Definitions' sentence on the low – high range: where it comes from, or that
    the hazard's curve has none (no range is shown then)."""
    if not has_range:
        return f"The hazard's {modelled['curve_kind']} has no low/high variants: no range is shown."
    one_sided = modelled.get("range_note")
    return (
        f"The low – high range comes from the variants of the run's {modelled['curve_kind']} "
        "(low = the variant that counts fewer)" + (f"; {one_sided}." if one_sided else ".")
    )


def _range_text(national: dict, suffix: str = "") -> str:
    """`` (range low – high)`` of ``modelled_low{suffix}`` / ``modelled_high{suffix}``."""
    low, high = national.get(f"modelled_low{suffix}"), national.get(f"modelled_high{suffix}")
    if low is None or high is None:
        return " (no curve range for this hazard)"
    low, high = sorted((low, high))
    return f" (range {_fmt(low)} – {_fmt(high)})"


def _national_rows(figures: dict, compared: str) -> list[tuple[str, str]]:
    """The national table: what was compared (``scope_text``), the observed and modelled
    totals of that scope and, when it is a part of the run, the whole run's, labelled."""
    national, obs = figures["national"], figures["observed"]
    has_range = "modelled_low" in national and "modelled_high" in national
    scope_text = national.get("scope_text") or "the whole run"
    partial = national.get("scope") == "observed_units"
    rows = [
        ("Modelled figure compared", compared),
        ("Compared", scope_text[:1].upper() + scope_text[1:]),
        ("Observed, sum of the rows (units of the run)", _fmt(national["observed_rows_total"])),
    ]
    if partial and national["observed"] != national["observed_rows_total"]:
        rows.append(
            ("Observed, units compared (with a modelled figure)", _fmt(national["observed"]))
        )
    if "observed_national_figure" in national:
        rows.append(("Observed, national figure given", _fmt(national["observed_national_figure"])))
    curve = f"central curve{', low – high' if has_range else ''}"
    rows.append(
        (
            f"Modelled ({curve}): {scope_text}" if partial else f"Modelled, whole run ({curve})",
            _fmt(national["modelled"]) + _range_text(national),
        )
    )
    if partial:
        rows.append(
            (
                f"Modelled, whole run ({curve}): not compared, it includes the "
                f"{obs['zones_not_reported']:,} units not reported and the people outside "
                "every unit",
                _fmt(national.get("modelled_whole_run")) + _range_text(national, "_whole_run"),
            )
        )
    else:
        rows.append(
            ("Modelled, observed zones only (central)", _fmt(national["modelled_observed_zones"]))
        )
    rows.append(("Modelled / observed (central)", _fmt2(national["ratio"])))
    within = national.get("observed_within_range")
    if within is not None:
        rows.append(("Observed value within the low – high range", "yes" if within else "no"))
    return rows


def _no_figure_html(figures: dict, units: pd.DataFrame | None) -> str:
    """The observed units without a modelled figure (no grid cell), with their values."""
    e = html.escape
    listed = units_without_figure(figures, units)
    if listed.empty:
        return ""
    unit = figures["observed"]["unit"]
    partial = figures["national"].get("scope") == "observed_units"
    rows = "".join(
        f"<tr><td>{e(str(r.zone_code))}</td><td>{e(str(r.zone_name))}</td>"
        f"<td>{e(_fmt(r.observed))}</td></tr>"
        for r in listed.itertuples()
    )
    return (
        f"<h3>Units without a modelled figure (no grid cell)</h3><p>{len(listed)} observed "
        "unit(s) received no cell of the run's grid: their modelled figure is not known "
        "(blank, not 0: their people were counted in neighbouring units). They are left out "
        "of the statistics"
        + (
            " and of the national totals compared"
            if partial
            else " (the whole run's total counts their people, in neighbouring units)"
        )
        + f"; their observed {e(unit)}: {e(_fmt(float(listed['observed'].sum(min_count=1))))}."
        f"</p><table><tr><th>code</th><th>name</th><th>observed {e(unit)}</th></tr>{rows}"
        "</table>"
    )


def render_html(
    figures: dict,
    png: bytes,
    map_svg: str,
    table: pd.DataFrame,
    units: pd.DataFrame | None = None,
) -> str:
    """The report page (self-contained).

    Parameters
    ----------
    figures : dict
        What :func:`mecc.evaluate.evaluate_run` writes to ``evaluation.json``.
    png, map_svg : bytes, str
        scatter.png and the residual map (empty: no map).
    table : DataFrame
        evaluation.csv: the units compared, with ``modelled_low`` / ``modelled_high``
        where the run has curve variants.
    units : DataFrame, optional
        Every unit of the compared level (``zone_code``, ``zone_name``, ``observed``),
        for the observed values of the units without a modelled figure; without it they
        are read again (:func:`units_without_figure`).
    """
    e = html.escape
    run, obs, zones = figures["run"], figures["observed"], figures["zones"]
    unit, label = obs["unit"], obs["measure_label"]
    modelled = figures["modelled"]
    compared = f"modelled {label}: {modelled['description']}"
    compared_html = (
        f'<p class="note"><b>Modelled figure compared{" (a proxy)" if modelled["proxy"] else ""}'
        f":</b> {e(compared)}.</p>"
    )
    rows = _national_rows(figures, compared)
    national_html = "".join(f"<tr><th>{e(a)}</th><td>{e(b)}</td></tr>" for a, b in rows)
    national_html += _no_figure_html(figures, units)
    both_zero = zones["both_zero"]
    both_zero_outcome = "correct negatives"  # the threshold is above 0
    zone_rows = [
        ("Observed zones (statistics use these only)", _fmt(zones["zones"])),
        ("… of which reported zeros", _fmt(zones["reported_zeros"])),
        (
            "… of which 0 in both observed and modelled (agree; left out of the "
            "correlations and the median ratio)",
            _fmt(both_zero),
        ),
        (
            "Zones of the correlations and the median ratio (not 0 in both)",
            _fmt(zones["zones_compared"]),
        ),
        ("Zones of the run not reported (left out, not zeros)", _fmt(obs["zones_not_reported"])),
        ("Pearson correlation of log(1 + value)", _fmt2(zones["pearson_log1p"])),
        ("Spearman rank correlation", _fmt2(zones["spearman"])),
        (
            "Bias: median ratio, ratio = (1 + modelled) / (1 + observed) per zone",
            _fmt2(zones["median_ratio"]),
        ),
        (f"Threshold for hits (at or above, {unit})", _fmt(zones["threshold"])),
        (
            "Hits / misses / false alarms / correct negatives",
            f"{zones['hits']} / {zones['misses']} / {zones['false_alarms']} / "
            f"{zones['correct_negatives']}"
            + (
                f" ({both_zero} of the {both_zero_outcome} are zones 0 in both)"
                if both_zero
                else ""
            ),
        ),
        ("Probability of detection", _fmt2(zones["probability_of_detection"])),
        ("False-alarm ratio", _fmt2(zones["false_alarm_ratio"])),
        ("Critical success index", _fmt2(zones["critical_success_index"])),
    ]
    zones_html = "".join(f"<tr><th>{e(a)}</th><td>{e(b)}</td></tr>" for a, b in zone_rows)
    variant_html = ""
    by_variant = figures["zones_by_variant"]
    if len(by_variant) > 1:
        head = "".join(f"<th>{e(v)}</th>" for v in by_variant)
        lines = []
        for key, text in (
            ("modelled_sum", f"modelled {unit}, observed zones"),
            ("zones_compared", "zones not 0 in both"),
            ("pearson_log1p", "Pearson of log(1 + value)"),
            ("spearman", "Spearman"),
            ("median_ratio", "median ratio"),
            ("critical_success_index", "critical success index"),
        ):
            show = _fmt if key in ("modelled_sum", "zones_compared") else _fmt2
            cells = "".join(f"<td>{e(show(s[key]))}</td>" for s in by_variant.values())
            lines.append(f"<tr><th>{e(text)}</th>{cells}</tr>")
        variant_html = (
            "<h3>By curve variant</h3><table><tr><th></th>"
            + head
            + "</tr>"
            + "".join(lines)
            + "</table>"
        )
    context_html = ""
    if figures["context"]:
        people = figures["modelled_displaced_people"]
        people_range = (
            f" (range {_fmt(people['low'])} – {_fmt(people['high'])})"
            if {"low", "high"} <= set(people)
            else ""
        )
        items = "".join(
            f"<tr><th>{e(c['label'])}</th><td>{e(_fmt(c['value_people']))} people</td>"
            f"<td>{e(_fmt2(c['ratio']))}</td></tr>"
            for c in figures["context"]
        )
        context_html = (
            "<h2>Context: other observed figures (people)</h2>"
            f"<p>Modelled people displaced by loss of housing: "
            f"<b>{e(_fmt(people['central']))}</b>{e(people_range)}.</p>"
            "<table><tr><th>figure</th><th>value</th><th>modelled / figure</th></tr>"
            f"{items}</table>"
            "<p>These figures measure something else and are not used in any statistic "
            "above; see the definitions below.</p>"
        )
    notes_html = "".join(f"<li>{e(n)}</li>" for n in figures["notes"]) or "<li>none</li>"
    worst = table.reindex(table["log10_ratio"].abs().sort_values(ascending=False).index).head(15)
    has_range = {"modelled_low", "modelled_high"} <= set(table.columns)
    worst_rows = "".join(
        f"<tr><td>{e(str(r.zone_code))}</td><td>{e(str(r.zone_name))}</td>"
        f"<td>{e(_fmt(r.observed))}</td><td>"
        + e(
            modelled_text(r.modelled, r.modelled_low, r.modelled_high)
            if has_range
            else _fmt(r.modelled)
        )
        + f"</td><td>{e(_fmt2(r.log10_ratio))}</td></tr>"
        for r in worst.itertuples()
    )
    range_note = (
        "Modelled: the central curve's figure, then in brackets the low and the high "
        f"variant's (the range of the run's {modelled['curve_kind']}; low = the variant that "
        "counts fewer)."
        if has_range
        else "Modelled: the central curve's figure (the hazard's curve has no variants)."
    )
    image = base64.b64encode(png).decode("ascii")
    map_html = (
        f"<h2>Residual map</h2><p>log10(modelled / observed) per zone, with 1 added to "
        f"both; grey: not reported; dark grey: observed, no modelled figure (no grid cell). "
        f"Hover a zone for its figures: observed, then modelled. {e(range_note)} The same "
        f"layer is in residuals.geojson.</p><figure>{map_svg}</figure>"
        if map_svg
        else "<p>No residual map: the run folder has no zones.gpkg.</p>"
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(figures["title"])}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 980px; margin: 2em auto; padding: 0 1em;
       color: #222; line-height: 1.45; }}
table {{ border-collapse: collapse; margin: 0.6em 0 1.2em; }}
th, td {{ border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }}
td {{ font-variant-numeric: tabular-nums; }}
.note {{ background: #fff6e0; border-left: 4px solid #e0a800; padding: 0.5em 1em; }}
figure {{ margin: 0; }} img, svg {{ max-width: 100%; height: auto; }}
</style></head><body>
<h1>{e(figures["title"])}</h1>
<p class="note"><b>Modelled estimates compared with observations.</b> The modelled figures
are estimates from a hazard grid, a population grid and a curve; the observed figures are
official reports. Neither is perfect.</p>
<p>Run: <code>{e(str(run["folder"]))}</code>, hazard <code>{e(str(run["hazard_id"]))}</code>
{("(" + e(str(run["scenario"])) + ")") if run.get("scenario") else ""},
curve <code>{e(str(run.get("curve")))}</code>, admin level {e(str(run["admin_level"]))}
({e(_fmt(run["zones"]))} zones). Observed: <code>{e(obs["file"])}</code>, column
<code>{e(obs["value_column"])}</code> ({e(label)}) by <code>{e(obs["code_column"])}</code>.</p>
{compared_html}

<h2>National totals ({e(label)})</h2>
<table>{national_html}</table>

<h2>Zone by zone</h2>
<table>{zones_html}</table>
{variant_html}
<figure><img alt="Scatter plot of modelled against observed {e(label)} per zone, log axes"
 src="data:image/png;base64,{image}"></figure>

{map_html}

<h3>Largest differences</h3>
<p>{e(range_note)}</p>
<table><tr><th>code</th><th>name</th><th>observed</th>
<th>modelled{" (low – high)" if has_range else ""}</th><th>log10 ratio</th></tr>
{worst_rows}</table>
{context_html}

<h2>Definitions</h2>
<ul>
<li><b>Observed zones only.</b> Every per-zone statistic uses the zones that have a row in
the observed file. A zone without a row was <i>not reported</i>: it is left out, not
counted as zero. A reported 0 is an observation and is kept.</li>
<li><b>Duplicates.</b> A zone code that appears on several rows is counted once, with the
rows' values summed (listed in the notes).</li>
<li><b>What was compared.</b> {e(compared_definition(modelled, label))}</li>
<li><b>Displacement is counted differently by different sources.</b> Housing-loss
displacement counts people whose home was destroyed or made uninhabitable. The Internal
Displacement Monitoring Centre (IDMC) counts <i>displacements</i> — movements — including
pre-emptive evacuations ordered before landfall, people counted more than once, and
people who returned within days; its figures are therefore usually larger than
housing-loss displacement, and not comparable with it one to one.</li>
<li><b>Zones that are 0 in both</b> (observed 0 and modelled 0) agree, and are counted
and stated above, but the correlations and the median ratio leave them out: their tied
pairs and their ratios of exactly 1 would make any model look good when many zones saw
nothing. They stay in the hit / miss table, as correct negatives (the threshold is above 0).</li>
<li><b>Pearson correlation of log(1 + value)</b> measures whether zones with more observed
damage also have more modelled damage, on a scale of orders of magnitude (1 is added so
that zeros can be used). 1 is perfect agreement in pattern, 0 none.</li>
<li><b>Spearman rank correlation</b> compares the order of the zones only (tied values
share their average rank).</li>
<li><b>Bias</b> is the median ratio: the median over the observed zones not 0 in both of
the ratio (1 + modelled) / (1 + observed) of each zone: 1 is unbiased, 2 means the typical
zone is modelled twice too high.</li>
<li><b>Hit</b>: observed and modelled both at or above the threshold; <b>miss</b>: observed
at or above, modelled below; <b>false alarm</b>: modelled at or above, observed below.
Probability of detection = hits / (hits + misses); false-alarm ratio = false alarms /
(hits + false alarms); critical success index = hits / (hits + misses + false alarms).</li>
<li><b>National totals</b> compare like with like. When the observed file reports only
some units of the run, the modelled total is the sum over the units compared (observed
and with a modelled figure) and the observed total the sum of their rows; the whole run's
modelled total is shown too but not compared, as it includes the units not reported.
When every unit is reported, or with an official national figure (--national-observed),
the modelled total covers every unit of the run (and people outside every unit) and the
observed total is the sum of the file's rows (or the national figure given). Rows whose
code is no unit of the run count in neither total. A unit that received no cell of the run's
grid has no modelled figure (not known, not 0) and is listed under the national totals.
{e(_range_definition(modelled, has_range))}</li>
</ul>

{sources_html(figures["sources"])}

<h2>Notes</h2>
<ul>{notes_html}</ul>
<p>Files: evaluation.csv (one row per observed zone), evaluation.json (every figure),
scatter.png, residuals.geojson. Written by mecc evaluate.</p>
</body></html>
"""
