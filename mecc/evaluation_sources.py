"""The Sources of ``mecc evaluate``'s report, read from the evaluated run's own records,
never typed in: ``manifest.json`` (the curve applied and its source text, the hazard file
and what ``mecc hazard`` recorded of how it was generated or which USGS ShakeMap it is, the
population's source and attribution, the input files), ``results.nc`` (the curve's
evidence grade, title and year, and the impact method) and the options of the evaluation
(the observed file and the source the user gives for it).

:func:`run_sources` gathers them (``evaluation.json`` ``sources``), :func:`source_lines`
writes them as text and :func:`sources_html` as the report's section.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from mecc.manifest import shakemap_text

__all__ = ["NOT_RECORDED", "results_for_sources", "run_sources", "source_lines", "sources_html"]

NOT_RECORDED = "not recorded in the run"


def results_for_sources(run_dir) -> str | None:
    """Check the run's results.nc, whose curve grades and method line the sources give:
    another run's or a damaged one is refused as every command refuses it
    (:func:`mecc.run_identity.check_results`); a missing one gives the note returned."""
    from mecc.run_identity import check_results

    path = Path(run_dir) / "results.nc"
    if not path.is_file():
        return (
            f"{path}: missing, so the sources name no evidence grade of the curves and "
            "no method line"
        )
    check_results(run_dir)
    return None


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


def sources_html(sources: dict) -> str:
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
