"""The methods and sources the map's About panel cites, from the run's own records.

results.nc's Sendai metadata (group ``sendai``, attribute ``metadata``:
:mod:`mecc.sendai_store`) is the source of truth for curves, evidence grades and
sources, so the About panel and sendai.csv name the same curves; manifest.json gives the
rest. A combined hazard's record names every component's curve and the combine rule.

The sources of the built-in curves are shown in the page's language (:func:`curve_text`,
``mecc/locales/curves.yaml``), on maps and district profiles alike, and so are the
methods a ``mecc hazard`` generator cites for its grids (:func:`generator_text`,
``mecc/locales/generators.yaml``): the same templates around citations kept as written.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

from mecc.errors import ConfigError, DataError

__all__ = [
    "curve_name",
    "curve_text",
    "generator_text",
    "method_records",
    "range_kinds",
    "range_words",
]

CURVE_LOCALE_FILE = Path(__file__).resolve().parent / "locales" / "curves.yaml"
GENERATOR_LOCALE_FILE = Path(__file__).resolve().parent / "locales" / "generators.yaml"
_PLACE = re.compile(r"\{(\w+)\}")


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
        run found it with the recorded SHA-256); ``shakemap``: which USGS ShakeMap a
        hazard read (manifest.json). ``population`` and ``official``: file,
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
        if params.get("shakemap"):  # which USGS ShakeMap (manifest.json)
            record["shakemap"] = params["shakemap"]
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


def range_kinds(summary: dict) -> dict:
    """What the ranges of one hazard's figures span, from its entry of summary.json.

    The run says it in its own keys: ``range_note`` (the ``_low`` / ``_high`` figures:
    curve variants, or for sea-level rise the elevation model raised and lowered by 1 m),
    ``variants`` (the curve variants' names), ``members`` (an event set's ensemble
    members: ``aad_member_min`` / ``_max``) and ``pmd_bootstrap`` (the 5th and 95th
    percentiles of the probable maximum displacement over bootstrap resamples:
    ``pmd_T_p05`` / ``_p95``).

    Returns
    -------
    dict
        ``variants``: ``"dem"`` (the note names the DEM, or a planned-relocation hazard
        with a range), ``"curves"`` (any other note, curve variants or ``_low`` figure)
        or None (the summary names no ``_low`` / ``_high`` range; a table that has one
        anyway is read as curve variants, DESIGN.md); ``members``: the number of members (2 or more)
        or None; ``bootstrap``: ``{"samples": int or None, "resampled": "members",
        "events" or None}`` or None.
    """
    note = str(summary.get("range_note") or "")
    given = note or summary.get("variants") or any(str(k).endswith("_low") for k in summary)
    if not given:
        variants = None
    elif "DEM" in note.split() or summary.get("kind") == "relocation":
        variants = "dem"
    else:
        variants = "curves"
    members = summary.get("members")
    members = int(members) if isinstance(members, (int, float)) and members >= 2 else None
    given = summary.get("pmd_bootstrap")
    bootstrap = None
    if isinstance(given, dict):
        samples, resampled = given.get("samples"), given.get("resampled")
        bootstrap = {
            "samples": int(samples) if isinstance(samples, (int, float)) else None,
            "resampled": resampled if resampled in ("members", "events") else None,
        }
    return {"variants": variants, "members": members, "bootstrap": bootstrap}


def range_words(words: dict, kinds: dict, which: str) -> str:
    """What a range spans, in the map's words (plain text; ``kinds``: :func:`range_kinds`).

    ``which``: ``variants`` (a figure's ``_low`` / ``_high``), ``change`` (a future's
    change: with the low and with the high variants), ``members`` or ``bootstrap``.
    """
    if which == "bootstrap":
        given = kinds.get("bootstrap") or {}
        key = f"range_kind_bootstrap_{given.get('resampled')}"
        if given.get("samples") and key in words:
            return words[key].format(samples=given["samples"])
        return words["range_kind_bootstrap"]
    if which == "members":
        return words["range_kind_members"]
    kind = kinds.get("variants") or "curves"
    return words[f"range_kind_{'change_' if which == 'change' else ''}{kind}"]


def curve_text(source, lang: str) -> str:
    """The source of a built-in curve with its descriptive words in ``lang`` (plain text).

    The citations (authors, titles, DOIs, code names, quotations) are kept as written;
    the words saying what the curve does are the language's (``mecc/locales/curves.yaml``:
    ``sources``). A source the file does not give in English (a user's curve, a library
    text edited since), or one in a language without a template, is returned as written.

    Parameters
    ----------
    source : str
        The source as a run records it (results.nc, manifest.json).
    lang : str
        ``en``, ``fr``, ``es`` or another language of the file.

    Raises
    ------
    mecc.errors.ConfigError
        curves.yaml is not readable, or a template names a citation its entry does not
        give (or leaves one out).
    """
    text = " ".join(str(source or "").split())
    found = _curve_locale()["sources"].get(text, {}).get(lang)
    return str(source or "") if found is None or found == text else found


def curve_name(name, lang: str) -> str:
    """A name the toolkit gives a curve (``permanent inundation``, or a run file's curve
    named for its shape: ``step at 1 m``) in ``lang`` (plain text; ``names`` and
    ``shapes`` of ``mecc/locales/curves.yaml``), any other name as written."""
    name = str(name)
    locale = _curve_locale()
    base, colon, suffix = name.rpartition(":")
    if colon and suffix in locale["suffixes"]:  # NAME:fatalities, the name in lang
        texts = locale["suffixes"][suffix]
        return texts.get(lang, texts["en"]).format(name=curve_name(base, lang))
    if name in locale["names"]:
        return locale["names"][name].get(lang, name)
    for pattern, texts in locale["shapes"]:
        found = pattern.fullmatch(name)
        if found and lang in texts:
            return texts[lang].format(**found.groupdict())
    return name


def generator_text(text, lang: str) -> str:
    """A method a ``mecc hazard`` generator cites (a GeoTIFF tag, manifest.json
    ``generated``) with its descriptive words in ``lang`` (plain text).

    As :func:`curve_text` for the generators' texts (``mecc/locales/generators.yaml``):
    ``Holland (1980) gradient wind with the Coriolis term, maximum over the track`` is
    ``vent de gradient de Holland (1980) avec le terme de Coriolis, maximum sur la
    trajectoire`` in French, the citations kept as written. A text the file does not give
    in English (a grid of an older or later version) is returned as written.

    Raises
    ------
    mecc.errors.ConfigError
        generators.yaml is not readable, or a template names a citation its entry does
        not give (or leaves one out).
    """
    plain = " ".join(str(text or "").split())
    found = _generator_locale().get(plain, {}).get(lang)
    return str(text or "") if found is None or found == plain else found


@functools.cache
def _generator_locale() -> dict:
    """generators.yaml as ``{English text: {lang: text}}``."""
    where = GENERATOR_LOCALE_FILE
    table = _read_locale(where, "texts")
    return _templates(where, "texts", table.get("texts"))


def _read_locale(where: Path, sections: str) -> dict:
    """A locale file of templates, as a mapping (``sections`` names what it holds)."""
    import yaml

    try:
        table = yaml.safe_load(where.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ConfigError(f"{where}: not readable ({error})") from None
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: a mapping with {sections} is expected")
    return table


def _templates(where: Path, section: str, entries) -> dict:
    """``{English text: {lang: text}}`` of one section of templates around citations
    (``cite``: the pieces kept as written; every language uses each of them)."""
    out = {}
    for name, entry in (entries or {}).items():
        field = f"{section}.{name}"
        if not isinstance(entry, dict) or not isinstance(entry.get("en"), str):
            raise ConfigError(f"{where}: {field}: needs an English template (en)")
        cite = entry.get("cite") or {}
        if not isinstance(cite, dict):
            raise ConfigError(f"{where}: {field}.cite: a mapping of key: citation is expected")
        texts = {}
        for lang, template in entry.items():
            if lang == "cite":
                continue
            used = set(_PLACE.findall(str(template)))
            if used != set(cite):
                missing = ", ".join(sorted(set(cite) ^ used))
                raise ConfigError(
                    f"{where}: {field}.{lang}: citations {{{missing}}} unknown or left out "
                    f"(every language uses each of: {', '.join(cite) or 'none'})"
                )
            filled = _PLACE.sub(lambda m, cite=cite: str(cite[m.group(1)]), str(template))
            texts[lang] = " ".join(filled.split())
        out[texts["en"]] = texts
    return out


@functools.cache
def _curve_locale() -> dict:
    """curves.yaml as ``{"sources": {English source: {lang: text}}, "names": {...},
    "shapes": [(pattern of the English name, {lang: template}), ...], "suffixes": {...}}``."""
    where = CURVE_LOCALE_FILE
    table = _read_locale(where, "sources and names")
    sources = _templates(where, "sources", table.get("sources"))
    names = {}
    for name, entry in (table.get("names") or {}).items():
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: names.{name}: one text per language is expected")
        names[str(name)] = {lang: str(text) for lang, text in entry.items()}
    shapes = []
    for kind, entry in (table.get("shapes") or {}).items():
        if not isinstance(entry, dict) or not isinstance(entry.get("en"), str):
            raise ConfigError(f"{where}: shapes.{kind}: one text per language, en first")
        pattern = re.escape(entry["en"])
        for key, group in (("a", ".+?"), ("b", ".+?"), ("n", r"\d+")):
            pattern = pattern.replace(re.escape("{" + key + "}"), f"(?P<{key}>{group})")
        shapes.append((re.compile(pattern), {lang: str(t) for lang, t in entry.items()}))
    suffixes = {}
    for suffix, entry in (table.get("suffixes") or {}).items():
        if not isinstance(entry, dict) or "{name}" not in str(entry.get("en", "")):
            raise ConfigError(f"{where}: suffixes.{suffix}: one text per language with {{name}}")
        suffixes[str(suffix)] = {lang: str(text) for lang, text in entry.items()}
    return {"sources": sources, "names": names, "shapes": shapes, "suffixes": suffixes}
