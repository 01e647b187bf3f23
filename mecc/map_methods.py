"""The methods and sources the map's About panel cites, from the run's own records.

results.nc's Sendai metadata (group ``sendai``, attribute ``metadata``:
:mod:`mecc.sendai_store`) is the source of truth for curves, evidence grades and
sources, so the About panel and sendai.csv name the same curves; manifest.json gives the
rest. A combined hazard's record names every component's curve and the combine rule.
"""

from __future__ import annotations

import json

from mecc.errors import DataError

__all__ = ["method_records"]


def method_records(run, base) -> dict:
    """What the map's About panel cites, taken from the run's own records.

    Parameters
    ----------
    run : mecc.map_data.RunData
    base : pathlib.Path or None
        The folder the run file's paths start from (:func:`mecc.map_data.find_base_dir`).

    Returns
    -------
    dict
        ``hazards``: per hazard, ``curve`` (name, evidence grade, source; a combined
        hazard's also ``combine``, ``rule`` and each component's record), ``variants``
        (low and high: name, and the grade and source of a built-in curve other than the
        central one, from :mod:`hazards.library`), ``damage`` and ``fatality``, as
        results.nc records them for sendai.xlsx (group ``sendai``, attribute
        ``metadata``; the curve of manifest.json when it has none), and for a grid
        ``mecc hazard`` generated its ``file`` and the ``generated`` citations
        (manifest.json ``generated``, and the grid's own tags when it is still where the
        run found it with the recorded SHA-256). ``population`` and ``official``: file,
        year, source and attribution (manifest.json).

    Raises
    ------
    mecc.errors.DataError
        results.nc's Sendai metadata is not JSON.
    """
    metadata = _sendai_metadata(run)
    hazards = {}
    for hazard_id in run.hazard_ids:
        recorded = metadata.get(hazard_id) or {}
        params = run.hazard_parameters(hazard_id)
        central = recorded.get("curve")
        if not central and params.get("curve"):  # not in results.nc: manifest's, no grade
            central = {key: params["curve"].get(key) for key in ("name", "source")}
        damage = {}
        for key in sorted(recorded.get("damage_curve") or {}):
            curve = recorded["damage_curve"][key]
            damage.setdefault(str(curve["name"]).split(":")[0], curve)
        record = {
            "curve": central,
            "variants": _variants(recorded.get("variants") or {}, central),
            "damage": [{**c, "name": name} for name, c in damage.items()],
            "fatality": recorded.get("fatality_model"),
        }
        if params.get("generated"):
            from mecc.map_mobility import generator_citations

            record.update(generator_citations(run, base, hazard_id, params["generated"]))
        hazards[hazard_id] = record
    parameters = run.manifest.get("parameters", {})
    population = dict(parameters.get("population") or {})
    population["file"] = next(
        (r.get("path") for r in run.manifest.get("inputs", []) if r.get("role") == "population"),
        None,
    )
    official = (parameters.get("exposure") or {}).get("official") or None
    return {"hazards": hazards, "population": population, "official": official}


def _sendai_metadata(run) -> dict:
    """Per hazard, the curves results.nc records for the Sendai tables ({} without)."""
    path = run.run_dir / "results.nc"
    if not path.is_file():
        return {}
    import netCDF4

    try:
        with netCDF4.Dataset(path) as dataset:
            text = dataset.groups["sendai"].getncattr("metadata")
    except (OSError, KeyError, AttributeError):  # an older run: no Sendai group
        return {}
    try:
        return json.loads(text).get("hazards") or {}
    except (ValueError, AttributeError) as error:
        raise DataError(f"{path}: group sendai, attribute metadata is not JSON ({error})") from None


def _variants(variants: dict, central) -> dict:
    """The low and high curves behind a range: each name, and the library's record of
    a built-in curve other than the central one (as results.nc records curves)."""
    from types import SimpleNamespace

    from hazards.curves import VARIANT_ORDER
    from mecc.sendai_store import _curve_record

    base = str((central or {}).get("name") or "").split(":")[0]
    out = {}
    for variant in VARIANT_ORDER:
        name = variants.get(variant)
        if variant == "central" or not name:
            continue
        if (central or {}).get("components"):  # a combined hazard: its components cited
            out[variant] = {"name": name}
            continue
        if str(name).split(":")[0] == base:  # a variant of the central curve: its source
            out[variant] = {"name": name, "source": central.get("source")}
            continue
        found = _curve_record(SimpleNamespace(name=str(name), source=None))
        out[variant] = {"name": name}
        if found["evidence"]:  # a built-in curve: its grade and source
            out[variant].update(evidence=found["evidence"], source=found["source"])
    return out
