"""The report of ``mecc evaluate``: the scatter plot, the residual map, the sources and the
self-contained HTML page (no network, no external file: the plot is embedded as a PNG data
URI and the map as inline SVG). Figures come from :func:`mecc.evaluate.evaluate_run`.

The sources (:func:`run_sources`) are read from the evaluated run's own records, never
typed in: ``manifest.json`` (the curve applied and its source text, the hazard file and
what ``mecc hazard`` recorded of how it was generated or which USGS ShakeMap it is, the
population's source and attribution, the input files), ``results.nc`` (the curve's evidence grade, title and year,
and the impact method) and the options of the evaluation (the observed file and the source
the user gives for it).
"""

from __future__ import annotations

import base64
import html
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from mecc.evaluate_measures import compared_definition
from mecc.figures import DIVERGING_BINS, diverging_colour, log_scatter_png, polygon_map_svg
from mecc.manifest import shakemap_text

__all__ = [
    "render_html",
    "residual_layer",
    "residual_map_svg",
    "run_sources",
    "scatter_png",
    "source_lines",
]

NOT_RECORDED = "not recorded in the run"


def scatter_png(figures: dict, observed, modelled) -> bytes:
    """Modelled against observed per zone (central curve), log axes, 1:1 line."""
    central, label = figures["zones"], figures["observed"]["measure_label"]
    notes = (
        f"{central['zones']} observed zones ({central['reported_zeros']} reported zeros, "
        f"{central['both_zero']} zero in both)",
        f"statistics over the {central['zones_compared']} zones not zero in both:",
        f"Pearson r of log(1 + value): {_fmt2(central['pearson_log1p'])}",
        f"Spearman rank correlation: {_fmt2(central['spearman'])}",
        f"median of (1 + modelled) / (1 + observed): {_fmt2(central['median_ratio'])}",
    )
    return log_scatter_png(
        observed,
        modelled,
        x_label=f"observed {label} + 1",
        y_label=f"modelled {label} + 1 (central curve)",
        title=figures["title"],
        notes=notes,
        threshold=central["threshold"],
    )


def residual_layer(path, level, zones: pd.DataFrame, matched: pd.DataFrame):
    """Every zone of the finest level with observed, modelled and log10 ratio (WGS 84)."""
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
    frame = frame[["zone_code", "geometry"]].merge(
        zones.drop(columns=["observed"]), on="zone_code", how="inner"
    )
    frame = frame.merge(
        matched[["zone_code", "observed", "log10_ratio", "outcome"]], on="zone_code", how="left"
    )
    frame["status"] = np.where(frame["observed"].notna(), "observed", "not reported")
    keep = ["zone_code", "zone_name", "status", "observed"]
    keep += [c for c in frame.columns if c.startswith("modelled") and "people" not in c]
    keep += ["log10_ratio", "outcome", "geometry"]
    return gpd.GeoDataFrame(frame[keep], geometry="geometry", crs=frame.crs).to_crs("EPSG:4326")


def residual_map_svg(frame) -> str:
    """Inline SVG map of log10(modelled / observed) per zone; grey where not reported."""
    colours = [diverging_colour(v) for v in frame["log10_ratio"]]
    titles = [
        f"{c} {n}: observed {_fmt(o)}, modelled {_fmt(m)}"
        if np.isfinite(o)
        else f"{c} {n}: not reported (modelled {_fmt(m)})"
        for c, n, o, m in zip(
            frame["zone_code"],
            frame["zone_name"],
            frame["observed"].astype(float),
            frame["modelled"],
            strict=True,
        )
    ]
    legend = [(colour, text) for _, _, colour, text in DIVERGING_BINS]
    legend.append((diverging_colour(math.nan), "not reported"))
    ratio = frame["log10_ratio"].astype(float)
    reported = int(ratio.notna().sum())
    label = (  # the map's accessible name: role="img" hides the zones' titles
        f"Map of log10(modelled / observed) per zone: {reported} zones reported, the model "
        f"higher in {int((ratio > 0).sum())} and lower in {int((ratio < 0).sum())}; "
        f"{len(frame) - reported} not reported; the largest differences are listed below"
    )
    return polygon_map_svg(frame.geometry, colours, titles, legend=legend, label=label)


def _results_records(run_dir: Path) -> tuple[dict, str | None]:
    """The Sendai metadata of ``results.nc`` (curves with evidence grades) and its method
    line (``references``); empty when the file or the attribute is missing."""
    import xarray as xr

    path = Path(run_dir) / "results.nc"
    if not path.is_file():
        return {}, None
    try:
        with xr.open_dataset(path, engine="netcdf4") as main:
            references = main.attrs.get("references")
        with xr.open_dataset(path, engine="netcdf4", group="sendai") as store:
            metadata = json.loads(store.attrs["metadata"])
    except (OSError, KeyError, ValueError):
        return {}, None
    return (metadata if isinstance(metadata, dict) else {}), references


def _inputs(manifest: dict, role) -> list[str]:
    """Paths of the manifest's inputs whose role is ``role`` (or passes ``role(text)``)."""
    test = role if callable(role) else (lambda text: text == role)
    return [
        str(r.get("path"))
        for r in manifest.get("inputs") or []
        if isinstance(r, dict) and test(str(r.get("role", "")))
    ]


def _dict_or_none(value) -> dict | None:
    return value if isinstance(value, dict) else None


def _generator(generated) -> dict | None:
    """What ``mecc hazard`` recorded of a generated scenario: its model, each citation
    (a ``*_source`` key, with the values it stands behind) and its other scalar values."""
    if not isinstance(generated, dict):
        return None
    scalar = (str, int, float)
    cited, citations = set(), []
    for key, text in generated.items():
        if key.endswith("_source") and text:
            name = key[: -len("_source")]
            values = {
                k: v
                for k, v in generated.items()
                if (k == name or k.startswith(name + "_"))
                and not k.endswith("_source")
                and isinstance(v, scalar)
            }
            cited |= set(values) | {key}
            citations.append({"for": name.replace("_", " "), "values": values, "source": text})
    if generated.get("estimates"):
        cited.add("estimates")
        citations.append({"for": "estimates", "values": {}, "source": generated["estimates"]})
    others = {
        k: v
        for k, v in generated.items()
        if k not in cited and k != "model" and isinstance(v, scalar) and not isinstance(v, bool)
    }
    return {"model": generated.get("model"), "citations": citations, "parameters": others}


def run_sources(run_dir, manifest: dict, summary: dict, hazard_id: str, observed: dict) -> dict:
    """Methods and data sources of an evaluation, from the run's records and the options.

    Parameters
    ----------
    run_dir : path
        The evaluated run folder (``results.nc`` is read for the curve's evidence grade).
    manifest, summary : dict
        The run's ``manifest.json`` and ``summary.json`` (a finished run: both read;
        empty when unreadable).
    hazard_id : str
        The evaluated hazard.
    observed : dict
        ``file`` (the observed table) and ``source`` (the user's, or None).

    Returns
    -------
    dict
        ``method``: ``curve`` (name, title, year, evidence grade and its meaning, source
        text, variants), ``damage_curve`` (``{"damaged:central": {name, evidence,
        source}, ...}`` from results.nc, or None without damage states), ``hazard`` (type,
        scenario, files, how it was generated, ``shakemap``: which USGS ShakeMap) and
        ``impact`` (the run's method line);
        ``data``: ``population``, ``boundaries`` and ``observed``. A value the run does
        not record is None.
    """
    from mecc.sendai_text import CONFIDENCE

    parameters = manifest.get("parameters") or {}
    hazard = (parameters.get("hazards") or {}).get(hazard_id) or {}
    applied = hazard.get("curve") if isinstance(hazard.get("curve"), dict) else {}
    metadata, references = _results_records(run_dir)
    recorded = ((metadata.get("hazards") or {}).get(hazard_id) or {}).get("curve") or {}
    described = (summary.get("hazards") or {}).get(hazard_id) or {}
    evidence = recorded.get("evidence") if recorded else None
    curve = {
        "name": applied.get("name") or recorded.get("name") or described.get("curve"),
        "title": recorded.get("title"),
        "year": recorded.get("year"),
        "evidence": evidence,
        "evidence_meaning": CONFIDENCE.get(evidence) if recorded else None,
        "source": applied.get("source") or recorded.get("source"),
        "variants": {k: v for k, v in (described.get("variants") or {}).items() if k != "central"},
    }
    damage = ((metadata.get("hazards") or {}).get(hazard_id) or {}).get("damage_curve") or {}
    population = parameters.get("population") or {}
    zones = parameters.get("zones") or {}
    return {
        "method": {
            "curve": curve,
            "damage_curve": {
                key: {k: record.get(k) for k in ("name", "evidence", "source")}
                for key, record in damage.items()
                if isinstance(record, dict)
            }
            or None,
            "hazard": {
                "id": hazard_id,
                "type": hazard.get("type") or described.get("type"),
                "scenario": described.get("scenario"),
                "period": hazard.get("period"),
                "files": _inputs(manifest, f"hazard {hazard_id}"),
                "generated_by_mecc": _generator(hazard.get("generated")),
                "shakemap": _dict_or_none(hazard.get("shakemap")),
            },
            "impact": references,
        },
        "data": {
            "population": {
                "files": _inputs(manifest, "population"),
                "year": population.get("year"),
                "kind": population.get("kind"),
                "source": population.get("source"),
                "attribution": population.get("attribution"),
            },
            "boundaries": {
                "files": _inputs(manifest, lambda role: role.startswith("zones")),
                "levels": zones.get("levels"),
                "units": zones.get("units"),
            },
            "observed": {"file": observed.get("file"), "source": observed.get("source")},
        },
    }


def _listing(values) -> str:
    return ", ".join(str(v) for v in values) if values else NOT_RECORDED


def _values_text(values: dict) -> str:
    """``{"surface_factor": 0.9}`` as "surface factor 0.9" (floats to 6 significant digits)."""
    return ", ".join(
        f"{k.replace('_', ' ')} {f'{v:g}' if isinstance(v, float) else v}"
        for k, v in values.items()
    )


def _generator_text(generated: dict) -> str:
    parts = [f"model: {generated['model']}"] if generated.get("model") else []
    for cite in generated["citations"]:
        name, values = cite["for"], cite["values"]
        if list(values) == [name.replace(" ", "_")]:
            parts.append(f"{_values_text(values)}: {cite['source']}")
        else:
            parts.append(
                f"{name}{f' ({_values_text(values)})' if values else ''}: {cite['source']}"
            )
    if generated["parameters"]:
        parts.append(_values_text(generated["parameters"]))
    return "; ".join(parts) or NOT_RECORDED


def source_lines(sources: dict) -> dict:
    """The Sources section as text: ``{"Method": [(what, text)], "Data": [...]}``."""
    method, data = sources["method"], sources["data"]
    curve, hazard = method["curve"], method["hazard"]
    about = ", ".join(str(v) for v in (curve["title"], curve["year"]) if v)
    grade = curve["evidence_meaning"] or f"evidence grade {NOT_RECORDED}"
    curve_text = f"{curve['name'] or NOT_RECORDED}{f' ({about})' if about else ''}; {grade}. "
    curve_text += f"Source: {curve['source'] or NOT_RECORDED}."
    if curve["variants"]:
        curve_text += " Variants: " + "; ".join(f"{k}: {v}" for k, v in curve["variants"].items())
    generated = hazard["generated_by_mecc"]
    hazard_text = f"{hazard['type'] or ''} {hazard['id']}".strip()
    if hazard["scenario"]:
        hazard_text += f" ({hazard['scenario']})"
    hazard_text += f", file {_listing(hazard['files'])}: "
    hazard_text += (
        "generated by mecc hazard; " + _generator_text(generated)
        if generated
        else "not generated by mecc; " + shakemap_text(hazard["shakemap"])
        if hazard.get("shakemap")
        else "not generated by mecc; its source is the file's own"
    )
    rows = [("Displacement curve", curve_text)]
    if method.get("damage_curve"):  # damaged (not destroyed) and destroyed, per variant
        rows.append(
            (
                "Damage curve",
                "; ".join(
                    f"{key.replace(':', ' ')}: {record['name'] or NOT_RECORDED} (evidence grade "
                    f"{record['evidence'] or 'not given'}; source {record['source'] or NOT_RECORDED})"
                    for key, record in method["damage_curve"].items()
                ),
            )
        )
    rows.append(("Hazard", hazard_text))
    if method["impact"]:
        rows.append(("Impact calculation", method["impact"]))
    population, zones, observed = data["population"], data["boundaries"], data["observed"]
    if population["attribution"]:
        given = f'attribution "{population["attribution"]}"'
    elif population["source"]:
        given = f"source {population['source']}"
    else:
        given = f"source {NOT_RECORDED} (the run file sets no population.source)"
    population_text = (
        f"{_listing(population['files'])} ({population['kind'] or 'kind ' + NOT_RECORDED}, "
        f"year {population['year'] or NOT_RECORDED}); {given}"
    )
    levels = ", ".join(str(v) for v in zones["levels"] or [])
    zones_text = f"{_listing(zones['files'])} (admin level {levels or NOT_RECORDED}"
    zones_text += f", {zones['units']:,} units)" if zones["units"] else ")"
    zones_text += f"; source {NOT_RECORDED} (the run file has no key for it)"
    observed_text = f"{observed['file']}; " + (
        observed["source"] or "source not given (the evaluation was given no --observed-source)"
    )
    data_rows = [("Population", population_text), ("Boundaries", zones_text)]
    data_rows.append(("Observed figures", observed_text))
    return {"Method": rows, "Data": data_rows}


def _sources_html(sources: dict) -> str:
    e = html.escape
    parts = ["<h2>Sources</h2>"]
    for heading, rows in source_lines(sources).items():
        items = "".join(f"<li><b>{e(what)}</b>: {e(text)}</li>" for what, text in rows)
        parts.append(f"<h3>{e(heading)}</h3><ul>{items}</ul>")
    parts.append(
        "<p>Read from the run's manifest.json and results.nc and from the options of this "
        "evaluation. The modelled figures above are estimates computed from these inputs; "
        "the observed figures are the observed file's.</p>"
    )
    return "".join(parts)


def _fmt(value, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return f"{value:,.{digits}f}"


def _fmt2(value) -> str:
    return _fmt(value, 2)


def render_html(figures: dict, png: bytes, map_svg: str, table: pd.DataFrame) -> str:
    """The report page (self-contained)."""
    e = html.escape
    run, obs, national, zones = (
        figures["run"],
        figures["observed"],
        figures["national"],
        figures["zones"],
    )
    unit, label = obs["unit"], obs["measure_label"]
    has_range = "modelled_low" in national and "modelled_high" in national
    range_text = (
        f" (range {_fmt(national['modelled_low'])} – {_fmt(national['modelled_high'])})"
        if has_range
        else " (no curve range in this run)"
    )
    within = national.get("observed_within_range")
    modelled = figures["modelled"]
    compared = f"modelled {label}: {modelled['description']}"
    compared_html = (
        f'<p class="note"><b>Modelled figure compared{" (a proxy)" if modelled["proxy"] else ""}'
        f":</b> {e(compared)}.</p>"
    )
    rows = [
        ("Modelled figure compared", compared),
        ("Observed, sum of the rows", _fmt(national["observed_rows_total"])),
    ]
    if "observed_national_figure" in national:
        rows.append(("Observed, national figure given", _fmt(national["observed_national_figure"])))
    rows += [
        (
            f"Modelled, whole run (central curve){'' if not has_range else ', low – high'}",
            _fmt(national["modelled"]) + range_text,
        ),
        ("Modelled, observed zones only (central)", _fmt(national["modelled_observed_zones"])),
        ("Modelled / observed (central)", _fmt2(national["ratio"])),
    ]
    if within is not None:
        rows.append(("Observed value within the low – high range", "yes" if within else "no"))
    national_html = "".join(f"<tr><th>{e(a)}</th><td>{e(b)}</td></tr>" for a, b in rows)
    both_zero = zones["both_zero"]
    both_zero_outcome = "hits" if zones["threshold"] <= 0 else "correct negatives"
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
    worst_rows = "".join(
        f"<tr><td>{e(str(r.zone_code))}</td><td>{e(str(r.zone_name))}</td>"
        f"<td>{e(_fmt(r.observed))}</td><td>{e(_fmt(r.modelled))}</td>"
        f"<td>{e(_fmt2(r.log10_ratio))}</td></tr>"
        for r in worst.itertuples()
    )
    image = base64.b64encode(png).decode("ascii")
    map_html = (
        f"<h2>Residual map</h2><p>log10(modelled / observed) per zone, with 1 added to "
        f"both; grey: not reported. Hover a zone for its figures. The same layer is in "
        f"residuals.geojson.</p><figure>{map_svg}</figure>"
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
<table><tr><th>code</th><th>name</th><th>observed</th><th>modelled</th><th>log10 ratio</th></tr>
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
nothing. They stay in the hit / miss table (as correct negatives above a threshold of 0).</li>
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
<li><b>National totals</b>: the modelled total covers every zone of the run (and people
outside every zone); the observed total is the sum of the file's rows (or the national
figure given). The low – high range comes from the variants of the run's
{e(modelled["curve_kind"])} (low = the variant that counts fewer).</li>
</ul>

{_sources_html(figures["sources"])}

<h2>Notes</h2>
<ul>{notes_html}</ul>
<p>Files: evaluation.csv (one row per observed zone), evaluation.json (every figure),
scatter.png, residuals.geojson. Written by mecc evaluate.</p>
</body></html>
"""
