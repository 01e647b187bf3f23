"""The methods and sources the map's About panel cites, from the run's own records.

results.nc's Sendai metadata (group ``sendai``, attribute ``metadata``:
:mod:`mecc.sendai_store`) is the source of truth for curves, evidence grades and
sources, so the About panel and sendai.csv name the same curves; manifest.json gives the
rest. A combined hazard's record names every component's curve and the combine rule.

The sources of the built-in curves are shown in the page's language (:func:`curve_text`,
``mecc/locales/curves.yaml``), on maps and district profiles alike, and so are the
methods a ``mecc hazard`` generator cites for its grids (:func:`generator_text`,
``mecc/locales/generators.yaml``): the same templates around citations kept as written.
Slow-onset hazards have no displacement curve: the About panel gives a drought's classes
and a sea-level rise's relocation rule and water levels instead (:func:`slow_onset_lines`).
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

from mecc.errors import ConfigError, DataError
from mecc.map_data import read_run_file, results_drought_classes, run_entry

__all__ = [
    "DROUGHT_CLASSES_SOURCE",
    "curve_name",
    "curve_text",
    "future_layer_label",
    "generator_text",
    "method_records",
    "range_kinds",
    "range_words",
    "slow_onset_lines",
    "title_key",
]

CURVE_LOCALE_FILE = Path(__file__).resolve().parent / "locales" / "curves.yaml"
GENERATOR_LOCALE_FILE = Path(__file__).resolve().parent / "locales" / "generators.yaml"
_PLACE = re.compile(r"\{(\w+)\}")
DROUGHT_CLASSES_SOURCE = (
    "McKee, Doesken and Kleist (1993), The relationship of drought frequency and duration "
    "to time scales, 8th Conference on Applied Climatology, AMS, 179-184"
)
"""The source of the built-in drought classes (:data:`hazards.slow_onset.DROUGHT_CLASSES`)."""
OLD_RELOCATION_SOURCE = "any depth > 0"
"""What runs before the citation recorded as the relocation rule's source (a description)."""
_WATER_LEVEL = re.compile(
    r"water level (?P<level>\S+) m in (?P<datum>.+?): high tide (?P<tide>\S+) m in "
    r"(?P<tide_datum>.+?) \(offset (?P<offset>\S+) m to .+?\) \+ sea-level rise "
    r"(?P<rise>\S+) m since (?P<baseline>.+?) \(a change of level"
)
"""The water-level sentence of a sea-level rise (:func:`hazards.slow_onset.water_level`)."""


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
        hazard read (manifest.json); a drought's ``drought_classes``
        (:func:`drought_classes`) and a sea-level rise's ``water_levels``
        (:func:`water_levels`). ``population`` and ``official``: file,
        year, source and attribution (manifest.json).

    Raises
    ------
    mecc.errors.DataError
        results.nc's Sendai metadata is not JSON.
    """
    metadata = _sendai_metadata(run)
    hazards, run_file = {}, None
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
        summary = run.summary.get("hazards", {}).get(hazard_id) or {}
        if summary.get("type") == "drought":
            run_file = read_run_file(run, base) if run_file is None else run_file
            record["drought_classes"] = drought_classes(run, hazard_id, summary, run_file)
        elif summary.get("kind") == "relocation":
            run_file = read_run_file(run, base) if run_file is None else run_file
            record["water_levels"] = water_levels(run, hazard_id, summary, run_file)
        hazards[hazard_id] = record
    parameters = run.manifest.get("parameters", {})
    population = dict(parameters.get("population") or {})
    population["file"] = next(
        (r.get("path") for r in run.manifest.get("inputs", []) if r.get("role") == "population"),
        None,
    )
    official = (parameters.get("exposure") or {}).get("official") or None
    return {"hazards": hazards, "population": population, "official": official}


def drought_classes(run, hazard_id, summary, run_file) -> dict:
    """A drought's classes: ``names``, ``bounds`` (None when not known) and ``source``
    (``"default"``: :data:`hazards.slow_onset.DROUGHT_CLASSES`, ``"run file"`` or None),
    as results.nc records them (:func:`mecc.map_data.results_drought_classes`), else
    from the run file's entry (``run_file``: :func:`mecc.map_data.read_run_file`), else
    the built-in classes when the run's class names and first class (manifest.json
    ``curve``) are theirs."""
    from hazards.slow_onset import DROUGHT_CLASSES

    recorded = results_drought_classes(run, hazard_id)
    if recorded is not None:
        return recorded
    names = [str(n) for n in summary.get("classes") or {}]
    params = run.hazard_parameters(hazard_id)
    entry = run_entry(run_file.get("hazards"), hazard_id)
    given = (entry.get("classes") or DROUGHT_CLASSES) if entry is not None else None
    first = list((params.get("curve") or {}).get("intensity") or [])[1:3]
    default = [float(b) for b in DROUGHT_CLASSES["bounds"]]
    if given is None and names == DROUGHT_CLASSES["names"] and first == default[:2]:
        given = DROUGHT_CLASSES
    if given is None:
        return {"names": names, "bounds": None, "source": None}
    bounds = [float(b) for b in given.get("bounds") or []]
    is_default = bounds == default and list(given.get("names") or []) == DROUGHT_CLASSES["names"]
    names = [str(n) for n in given.get("names") or names]
    return {"names": names, "bounds": bounds, "source": "default" if is_default else "run file"}


def _water_level(text) -> dict | None:
    """The parts of a water-level sentence (:data:`_WATER_LEVEL`), numbers as floats."""
    found = _WATER_LEVEL.match(" ".join(str(text or "").split()))
    if found is None:
        return None
    parts = found.groupdict()
    try:
        for key in ("level", "tide", "offset", "rise"):
            parts[key] = float(parts[key])
    except ValueError:
        return None
    return parts


def water_levels(run, hazard_id, summary, run_file) -> dict:
    """A sea-level rise's ``baseline`` water level (:func:`_water_level` of summary.json
    ``water_level``, else of manifest.json ``conversion``), its ``text`` and ``period``,
    and ``futures``: each future's (summary.json ``parameters.future``, else its ``slr``
    in the run file, the baseline's when it gives none, on the baseline's tide and datums;
    left out when not known), with its ``future`` label and ``period``."""
    params = run.hazard_parameters(hazard_id)
    text = summary.get("water_level") or params.get("conversion") or ""
    baseline = _water_level(text)
    period = summary.get("period") or params.get("period")
    futures = []
    given = run.summary.get("futures")
    for future_id, future in (given if isinstance(given, dict) else {}).items():
        entry = (future.get("hazards") or {}).get(hazard_id)
        if not isinstance(entry, dict):
            continue
        recorded = (entry.get("parameters") or {}).get("future") or {}
        level, when = _water_level(recorded.get("water_level")), recorded.get("period")
        spec = run_entry(run_file.get("futures"), future_id)
        spec = (spec or {}).get("hazards", {}).get(hazard_id) if spec else None
        if level is None and baseline is not None and (spec is not None or run_file):
            spec = spec if isinstance(spec, dict) else {}
            rise = spec.get("slr", baseline["rise"])
            if isinstance(rise, bool) or not isinstance(rise, int | float):
                continue
            level = {**baseline, "rise": float(rise)}
            level["level"] = baseline["level"] - baseline["rise"] + float(rise)
            when = spec.get("period")
        if level is not None:
            futures.append({**level, "future": future.get("label") or future_id, "period": when})
    return {"baseline": baseline, "text": text, "period": period, "futures": futures}


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


# --- slow-onset hazards: what the map says instead of a displacement curve ------------


def figure_kinds(summary: dict) -> set:
    """What a run's figures are: ``displaced`` (a displacement curve), ``relocation``
    (sea-level rise: people at risk of planned relocation), ``drought`` (exposure)."""
    kinds = set()
    for h in (summary.get("hazards") or {}).values():
        relocation = "relocation" if h.get("kind") == "relocation" else "displaced"
        kinds.add("drought" if h.get("type") == "drought" else relocation)
    return kinds


def title_key(summary: dict) -> str:
    """The label of the map's default title: ``title`` ("people likely to be displaced")
    for a run with displacement (or none), else what its slow-onset hazards give:
    ``title_relocation``, ``title_drought`` or ``title_relocation_drought``."""
    kinds = figure_kinds(summary)
    if "displaced" in kinds or not kinds:
        return "title"
    return "title_" + "_".join(k for k in ("relocation", "drought") if k in kinds)


def drought_class_name(words: dict, name) -> str:
    """A drought severity class in the map's language (``drought_class_<name>``), a class
    of the run file's own as written (plain text)."""
    return words.get(f"drought_class_{name}", str(name))


def drought_columns(summary: dict, columns) -> list[tuple[str, str]]:
    """``(class, zones.csv column)`` of a drought's severity classes, in summary.json's
    order (``classes``), else the ``drought_<class>`` columns among ``columns``."""
    names = [str(n) for n in summary.get("classes") or {}]
    names = names or [str(c)[len("drought_") :] for c in columns if str(c).startswith("drought_")]
    return [(name, f"drought_{name}") for name in names]


def figure_phrase(words: dict, figure) -> str:
    """A figure inside a phrase (plain text): ``figure_<figure>``; a drought class's
    (``drought_<class>``) ``figure_drought_class``; else the figure's id."""
    figure = str(figure)
    if f"figure_{figure}" in words:
        return words[f"figure_{figure}"]
    if figure.startswith("drought_"):
        severity = drought_class_name(words, figure[len("drought_") :])
        return words["figure_drought_class"].format(severity=severity)
    return figure


def future_layer_label(words: dict, figure: str, future: str) -> str:
    """The name of the layer of a figure's change under a future (plain text).

    ``layer_future_<figure>`` of the language when it has one (each language words the
    whole phrase: "Évolution du nombre de personnes déplacées"), else ``layer_future``
    with the figure's phrase (``figure_<figure>``, or the figure's id); a drought class's
    (``drought_<class>``) ``layer_future_drought_class``.
    """
    own = words.get(f"layer_future_{figure}")
    if own is not None:
        return own.format(future=future)
    if str(figure).startswith("drought_") and f"figure_{figure}" not in words:
        severity = drought_class_name(words, str(figure)[len("drought_") :])
        return words["layer_future_drought_class"].format(severity=severity, future=future)
    return words["layer_future"].format(figure=figure_phrase(words, figure), future=future)


def _metres(words: dict, value) -> str:
    """A number as given (``1.5``, ``0.25``), with the language's decimal mark."""
    return f"{float(value):g}".replace(".", words["decimal"])


def slow_onset_lines(text, summary: dict, record: dict, cite) -> list[str] | None:
    """The About panel's lines (escaped HTML) on a hazard with no displacement curve,
    None for others: a drought's classes and bounds, cited when built in (McKee, Doesken
    and Kleist 1993); a sea-level rise's relocation rule, cited (a recorded description,
    ``any depth > 0``, as :data:`hazards.slow_onset.RELOCATION_SOURCE`), and the water
    level of the baseline and of each future. ``text``: :class:`mecc.map_text.Text`;
    ``cite``: numbers the sources among the references."""
    from mecc.map_text import esc

    words = text.words
    if summary.get("type") == "drought":
        given = record.get("drought_classes") or {}
        names = given.get("names") or list(summary.get("classes") or {})
        bounds = given.get("bounds")
        unit = esc(str(summary.get("unit") or "-SPEI"))
        if not bounds:
            shown = ", ".join(esc(drought_class_name(words, n)) for n in names)
            return [text.filled("method_drought_classes_unknown", unit=unit, classes=shown)]
        parts = []
        for k, (name, bound) in enumerate(zip(names, bounds, strict=False)):
            severity, a = drought_class_name(words, name), _metres(words, bound)
            if k + 1 < len(bounds):
                b = _metres(words, bounds[k + 1])
                parts.append(text.w("drought_class_between", severity=severity, a=a, b=b))
            else:
                parts.append(text.w("drought_class_from", severity=severity, a=a))
        listed = (" ; " if text.lang == "fr" else "; ").join(parts)
        line = text.filled("method_drought_classes", unit=unit, classes=listed)
        if given.get("source") == "default":
            return [line + cite([DROUGHT_CLASSES_SOURCE])]
        return [f"{line} {text.w('drought_classes_run_file')}"]
    if summary.get("type") != "sea_level_rise" and summary.get("kind") != "relocation":
        return None
    from hazards.slow_onset import RELOCATION_SOURCE

    central = record.get("curve") or {}
    source = " ".join(str(central.get("source") or "").split())
    if source in ("", OLD_RELOCATION_SOURCE, str(central.get("name"))):
        source = RELOCATION_SOURCE
    lines = [text.w("method_relocation") + cite([source])]
    levels = record.get("water_levels") or {}
    if levels.get("baseline"):
        lines.append(_level_line(text, "method_water_level", levels["baseline"], levels))
    elif levels.get("text"):
        lines.append(text.w("method_water_level_text", text=levels["text"]))
    for future in levels.get("futures") or []:
        lines.append(_level_line(text, "method_water_level_future", future, future))
    return lines


def _level_line(text, key, level: dict, where: dict) -> str:
    """A water-level line (``key``): the level, the high tide and the rise (escaped)."""
    from mecc.map_text import esc

    words, offset = text.words, ""

    def named(value) -> str:  # a datum or baseline the demo tags "(fictional)"
        return esc(text.retag(value, "fictional_data_tag"))

    if level["tide_datum"] != level["datum"]:
        shift = f"{level['offset']:+g}".replace(".", words["decimal"])
        datum = text.retag(level["datum"], "fictional_data_tag")  # w() escapes it
        offset = text.w("method_tide_offset", offset=shift, datum=datum)
    period = text.w("method_period", period=where["period"]) if where.get("period") else ""
    return text.filled(
        key,
        level=esc(_metres(words, round(level["level"], 3))),
        datum=named(level["datum"]),
        tide=esc(_metres(words, level["tide"])),
        tide_datum=named(level["tide_datum"]),
        offset=offset,
        rise=esc(_metres(words, level["rise"])),
        baseline=named(level["baseline"]),
        period=period,
        future=esc(text.retag(level.get("future", ""), "fictional_data_tag")),
    )
