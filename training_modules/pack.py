"""``mecc training build``: write workshop packs (compute once, render per language).

:func:`build_pack` writes, into a new folder::

    pack.json                         what was built: modules, languages, variant, keys, timings
    data/inputs/                      the exercise inputs (demo country + exercise layers)
    data/<module>/run.yaml            each module's run file (analyst track)
    runs/<module>/                    the engine's outputs for it (precomputed)
    <lang>/index.html                 the pack's contents in that language
    <lang>/participants/<module>/     handout.html, quiz.html, answer_sheet.yaml, map.html
    <lang>/facilitator/<module>/      guide.html, answer_key.yaml

The engine runs once per module (identical scenarios once in all); facts, maps, tables
and keys are computed once; each language only renders them. The folder is written
to a staging folder and renamed into place (nothing half-written on failure).

In ``pack.json`` each module's ``variants`` is its number of distinct variants
(:func:`scenario.variant_count`; ``--variant`` must be below it), or null for a module
whose data are drawn afresh for every variant (loss records, shelter sites): every
``--variant N`` gives it other numbers, there is no limit. ``files`` lists every file the
builder wrote (relative, ``/``-separated).

Rebuilding over an earlier pack (``overwrite``) never deletes the participants' work: it
is refused while the pack holds an answer sheet that is filled in or any file the
builder did not write (:func:`participant_files`), before any work and again just
before the new pack replaces the old one.
"""

from __future__ import annotations

import functools
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from mecc.errors import ConfigError, OutputExistsError
from mecc.output_guard import IGNORED_FILES  # a file manager's own files, no one's work
from mecc.outputs import OUTPUT_MARKER, OutputFolder, write_json
from training_modules import scenario
from training_modules.catalogue import load_catalogue, locale_problems
from training_modules.exhibits import (
    layer_name,
    map_exhibit,
    named_layers,
    short_name,
    table_exhibit,
)
from training_modules.facts import Facts
from training_modules.guide import render_guide
from training_modules.handouts import head_row, page, render_handout, render_quiz
from training_modules.key import compute_key, localised_key
from training_modules.words import Words, esc

__all__ = ["PackResult", "build_pack", "participant_files"]

MAP_LANGUAGES = ("en", "fr", "es")
"""Languages of the interactive map's labels (mecc/locales/maps.yaml); a training locale
in another language names one of them as ``meta.map_language``."""


@dataclass
class PackResult:
    """What :func:`build_pack` wrote."""

    out_dir: Path
    modules: list
    languages: list
    variant: int
    runs_computed: int
    timings: dict = field(default_factory=dict)


@dataclass
class _Computed:
    module: object
    facts: Facts
    key: dict
    maps: dict
    tables: dict
    run_dir: Path
    values: dict


def _refuse_variant_of_fixed_modules(modules, variant: int) -> None:
    """Refuse ``--variant N`` (N > 0) when a chosen module has no variants at all.

    Such a module (no knobs, no forecast track, no data drawn per variant) would be the
    same for every N, yet labelled variant N: groups given "other" variants would share
    one key. Refused in one line naming the modules, also when others do have variants.
    """
    if variant <= 0:
        return
    fixed = [m.id for m in modules if scenario.variant_count(m) == 1]
    if fixed:
        which = f"{fixed[0]} has" if len(fixed) == 1 else f"{', '.join(fixed)} have"
        others = " (or build the other modules alone)" if len(fixed) < len(modules) else ""
        raise ConfigError(
            f"--variant {variant}: {which} no variants (every variant would be variant 0 "
            f"under another number), so build {'it' if len(fixed) == 1 else 'them'} "
            f"without --variant{others}"
        )


def _version() -> str:
    from mecc import __version__

    return __version__


def _languages(catalogue, langs) -> list:
    chosen = list(langs) if langs else sorted(catalogue.languages)
    for lang in chosen:
        catalogue.words(lang, "common")  # unknown language: one clear error
        problems = locale_problems(catalogue, lang)
        if problems:
            more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
            raise ConfigError(
                f"training locale {lang} is incomplete: {'; '.join(problems[:3])}{more}"
            )
    return chosen


def build_pack(
    out_dir,
    *,
    modules=None,
    langs=None,
    variant: int = 0,
    overwrite: bool = False,
    locales=(),
    modules_dir=None,
    threads=None,
    interactive_maps: bool = True,
    progress=None,
) -> PackResult:
    """Build training packs.

    Parameters
    ----------
    out_dir : path
        The pack folder to create (refused if it holds files, unless ``overwrite``).
    overwrite : bool
        Replace an earlier pack in ``out_dir``; refused (:class:`OutputExistsError`, exit
        code 2) while it holds participants' work (:func:`participant_files`): a filled-in
        answer sheet or a file the builder did not write.
    modules : list of str, optional
        Module ids, short ids (``m4``) or numbers; default: every module.
    langs : list of str, optional
        Languages; default: every language found (built-in en, fr, es and ``locales``).
    variant : int
        0 is the module as written; N > 0 perturbs each scenario deterministically
        (another combination of knob values and storm track). Refused when N is not below
        a chosen module's number of distinct variants (:func:`scenario.variant_count`),
        and N > 0 when a chosen module has no variants at all (one line naming those
        modules, even when the others have variants).
    locales : list of paths
        Folders with more ``<lang>/`` locale folders (a new language needs no code).
    modules_dir : path, optional
        Another folder of module definitions.
    interactive_maps : bool
        Also write each module's interactive ``map.html`` (``mecc.maps.build_map``).
    progress : callable, optional
        ``progress(message)``.
    """
    started = time.perf_counter()
    catalogue = load_catalogue(locales, modules_dir)
    chosen = [catalogue.module(m) for m in modules] if modules else list(catalogue.modules.values())
    chosen = list({m.id: m for m in chosen}.values())
    languages = _languages(catalogue, langs)
    _refuse_variant_of_fixed_modules(chosen, variant)
    scenario.check_variant(chosen, variant)
    read = [*locales, *([modules_dir] if modules_dir else [])]  # never replaced by the pack
    folder = OutputFolder(out_dir, overwrite=overwrite, keep=read, command="training build")
    if overwrite:
        refuse_losing_work(folder.target)
    timings = {}
    with folder as staging:
        inputs = staging / "data" / scenario.INPUTS
        exercise = scenario.write_exercise_inputs(inputs, variant)
        cache = scenario.RunCache()
        computed = []
        for module in chosen:
            if progress:
                progress(f"computing {module.id}")
            computed.append(_compute(module, staging, inputs, variant, cache, threads, exercise))
        timings["compute_seconds"] = round(time.perf_counter() - started, 3)
        for lang in languages:
            began = time.perf_counter()
            if progress:
                progress(f"rendering {lang}")
            for item in computed:
                _render(catalogue, lang, item, staging, variant, interactive_maps)
            _index(catalogue, lang, computed, staging, variant)
            timings[f"render_{lang}_seconds"] = round(time.perf_counter() - began, 3)
        timings["total_seconds"] = round(time.perf_counter() - started, 3)
        written = sorted({*_files_in(staging), "pack.json", OUTPUT_MARKER})
        write_json(
            {
                "kind": "mecc_training_pack",
                "created_by": f"mecc {_version()}",
                "variant": variant,
                "languages": languages,
                "exercise": exercise,
                "modules": {
                    c.module.id: {
                        "knobs": c.key["knobs"],
                        "key_fingerprint": c.key["fingerprint"],
                        "variants": scenario.variant_count(c.module),
                    }
                    for c in computed
                },
                "runs_computed": cache.computed,
                "timings": timings,
                "note": scenario.FICTIONAL,
                "files": written,
            },
            staging / "pack.json",
        )
        if overwrite:  # a sheet filled in while the pack was being built
            refuse_losing_work(folder.target)
    out = folder.commit()
    return PackResult(
        out, [c.module.id for c in computed], languages, variant, cache.computed, timings
    )


_SHEET_FIELDS = ("kind", "module", "variant", "lang", "note")
"""The fields of a blank answer sheet that hold something (the rest are left empty)."""


def _files_in(folder: Path) -> list:
    """Every file under ``folder``, relative and ``/``-separated (links not followed)."""
    out = []
    for root, _dirs, names in os.walk(folder):
        for name in names:
            out.append((Path(root) / name).relative_to(folder).as_posix())
    return sorted(out)


def _builder_wrote(meta: dict) -> set | None:
    """The files an earlier build wrote: ``pack.json``'s list; None if it has none."""
    files = meta.get("files")
    if isinstance(files, list) and all(isinstance(f, str) for f in files):
        return set(files)
    return None


def _written_by_layout(name: str, meta: dict) -> bool:
    """Whether a pack without a list of its files (made before it had one) wrote ``name``."""
    parts = name.split("/")
    languages = [str(lang) for lang in meta.get("languages") or []]
    if name in ("pack.json", OUTPUT_MARKER) or parts[0] in ("data", "runs"):
        return True
    if parts[0] not in languages:
        return False
    if parts[1:] == ["index.html"]:
        return True
    pages = {
        "participants": {"handout.html", "quiz.html", "answer_sheet.yaml", "map.html"},
        "facilitator": {"guide.html", "answer_key.yaml"},
    }
    return len(parts) == 4 and parts[3] in pages.get(parts[1], ())


def _filled(value) -> bool:
    """Whether an answer sheet's value holds anything (an answer, a name, a choice)."""
    if isinstance(value, dict):
        return any(_filled(v) for v in value.values())
    if isinstance(value, list):
        return any(_filled(v) for v in value)
    return not (value is None or (isinstance(value, str) and not value.strip()))


def _sheet_is_blank(path: Path) -> bool:
    """Whether an answer sheet is still the blank template (nothing written in it)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return False  # a sheet being edited, or damaged: keep it
    if not isinstance(data, dict) or data.get("kind") != "mecc_training_answers":
        return False
    return not any(_filled(v) for k, v in data.items() if k not in _SHEET_FIELDS)


def participant_files(pack) -> list:
    """The files of an earlier pack that rebuilding it would delete and that are not the
    builder's to delete: filled-in answer sheets and files the builder did not write.

    Parameters
    ----------
    pack : path
        A folder ``mecc training build`` wrote.

    Returns
    -------
    list of (str, str)
        ``(file, why)`` in the order of the files' paths (relative, ``/``-separated);
        ``why`` is ``"filled-in answer sheet"`` or ``"not written by the pack builder"``.
        File managers' own files (:data:`IGNORED_FILES`) are left out.
    """
    pack = Path(pack)
    try:
        meta = json.loads((pack / "pack.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):  # no readable pack.json: judged by the layout alone
        meta = None
    meta = meta if isinstance(meta, dict) else {}
    wrote = _builder_wrote(meta)
    found = []
    for name in _files_in(pack):
        if name.rsplit("/", 1)[-1] in IGNORED_FILES:
            continue
        ours = name in wrote if wrote is not None else _written_by_layout(name, meta)
        if not ours:
            found.append((name, "not written by the pack builder"))
        elif name.endswith("/answer_sheet.yaml") and not _sheet_is_blank(pack / name):
            found.append((name, "filled-in answer sheet"))
    return found


def refuse_losing_work(target: Path) -> None:
    """Refuse to replace a pack that holds participants' work (one line, exit code 2);
    ``mecc demo`` asks it of its ``training/`` folder too."""
    if not target.is_dir():
        return
    found = participant_files(target)
    if found:
        name, why = found[0]
        more = f" and {len(found) - 1} more file(s)" if len(found) > 1 else ""
        raise OutputExistsError(
            f"{target}: holds {name} ({why}){more}, which --overwrite would delete; move "
            "the participants' files out of the pack first (e.g. the filled-in answer "
            "sheets to a class folder outside it, for `mecc training check --class`), or "
            "build into a new --out folder"
        )


def _compute(module, staging, inputs, variant, cache, threads, exercise) -> _Computed:
    knobs = scenario.knob_values(module, variant)
    run_file = scenario.module_run_file(module, inputs, staging / "data" / module.id, knobs)
    run_dir = scenario.run_module(run_file, staging / "runs" / module.id, cache, threads)
    facts = Facts(module, run_dir, inputs, knobs, variant)
    maps = {spec["id"]: map_exhibit(facts, spec) for spec in module.items("maps")}
    tables = {spec["id"]: table_exhibit(facts, spec) for spec in module.items("tables")}
    key = compute_key(module, facts, variant, maps)
    if module.data["scenario"].get("records"):
        from mecc.outputs import write_csv

        write_csv(facts.records(), staging / "data" / module.id / "loss_records.csv")
    values = {**exercise, **knobs, **facts.all()}
    return _Computed(module, facts, key, maps, tables, run_dir, values)


def _context(words: Words, item: _Computed) -> dict:
    """Placeholder values in the language: numbers formatted, zone codes as names."""
    names = item.facts.zones.drop_duplicates("zone_code").set_index("zone_code")["zone_name"]
    out = {}
    for name, value in item.values.items():
        if isinstance(value, str):
            out[name] = short_name(names[value]) if value in names.index else value
        elif isinstance(value, float) and name in ("landfall_lon", "landfall_lat"):
            out[name] = words.num(value, 2)
        else:
            out[name] = words.num(value, 1 if abs(float(value)) < 10 and value % 1 else None)
    out["module"] = item.module.id
    return out


def _sources(words: Words, item: _Computed) -> str:
    """The footer: what the figures are (modelled; reported records apart), the curves
    in the language with their cited sources, minimum needs and Sendai definitions."""
    hazards = item.facts.run.manifest.get("parameters", {}).get("hazards", {})
    units = {h: s.get("unit") for h, s in item.facts.summary.get("hazards", {}).items()}
    separator = words.common("handout.list_separator")
    curves = separator.join(
        words.common(
            "notice.curve", hazard=hid, curve=_curve_text(words, spec["curve"], units.get(hid))
        )
        for hid, spec in hazards.items()
        if isinstance(spec.get("curve"), dict)
    )
    extra = [
        words.common("notice.need", item=words.common("needs." + k), source=v["source"])
        for k, v in (item.module.data.get("needs_per_person") or {}).items()
    ]
    records = bool(item.module.data["scenario"].get("records"))
    method = "notice.method_records" if records else "notice.method"
    text = words.c(method, version=_version()) + " " + words.c("notice.curves") + " "
    text += esc(curves) + "."
    if extra:
        text += " " + words.c("notice.needs") + " " + esc(separator.join(extra)) + "."
    if records:
        text += " " + words.c("notice.sendai")
    return f"<p>{text}</p>"


_CITATION = re.compile(
    r"\b([A-Z][A-Za-z'\-]+)((?:,? (?:and |& )?(?:de |van |von |der )*[A-Z][A-Za-z'\-]+)*)"
    r"( et al\.)?,? \(?((?:19|20)\d{2})\)?"
)


def _citations(source: str, year=None) -> list:
    """The works a curve's source cites, as author and year (``Kam et al., 2021``); for
    a source naming no author, its leading tool or agency (``InaSAFE``) and ``year``."""
    out = []
    for first, others, etal, cited in _CITATION.findall(source):
        cite = f"{first}{' et al.' if others or etal else ''}, {cited}"
        if cite not in out:
            out.append(cite)
    lead = re.match(r"[A-Za-z]*[A-Z][A-Za-z]*[A-Z][A-Za-z]*\b", source)
    if not out and lead and year:
        out.append(f"{lead.group(0)}, {year}")
    return out


@functools.cache
def _library() -> dict:
    from hazards.library import curve_entries

    return curve_entries()


def _depth(words: Words, metres) -> str:
    """A water depth as the run file gives it (0.5 m, 1 m), in the language's format."""
    decimals = min(2, len(f"{float(metres):g}".partition(".")[2]))
    return words.num(float(metres), decimals)


def _curve_text(words: Words, curve: dict, unit) -> str:
    """A displacement curve in the language: what it counts (a step in metres of water)
    and where it comes from: a library curve's name and the works it cites, the table
    file of the exercise, or the exercise's own threshold. Never the run file's
    internal names (``run.yaml.hazards[1] (evacuation).curve``). Not escaped."""
    name, source = str(curve.get("name") or ""), str(curve.get("source") or "")
    x, y = list(curve.get("intensity") or []), list(curve.get("share") or [])
    shape = None
    if unit == "m" and len(x) == 2 and x[0] == x[1] and [float(v) for v in y] == [0.0, 1.0]:
        shape = (
            words.common("notice.curve_any")
            if x[0] <= 0
            else words.common("notice.curve_step", depth=_depth(words, x[0]))
        )
    origin = None
    if name in _library():
        cites = _citations(_library()[name].source, _library()[name].year)
        if cites and _library()[name].source.startswith("sensitivity variant"):
            origin = words.common("notice.curve_variant", curve=name, cite=cites[0])
        else:
            origin = ", ".join([name, *cites])
    elif Path(source).suffix.lower() in (".csv", ".yaml", ".yml", ".json"):
        origin = words.common("notice.curve_table", file=Path(source).name)
    elif name.startswith("run.yaml") or source == "run file":
        origin = words.common("notice.curve_exercise")
    if shape and origin:
        return f"{shape} ({origin})"
    return shape or origin or name


def _layer_names(item: _Computed, map_lang: str) -> dict:
    """Name -> the map's name of each layer the module names, in the map's language,
    from the map's own labels (so the words quote what ``mecc map`` shows, a future's
    "(fictional)" tag in the map's words too: :meth:`mecc.map_text.Text.retag`)."""
    from mecc.map_data import labels
    from mecc.map_text import DATA_TAG, Text

    words = labels(map_lang)
    shown = Text(words, map_lang)
    futures = {
        future_id: shown.retag(future.get("label", future_id), DATA_TAG)
        for future_id, future in (item.facts.summary.get("futures") or {}).items()
    }
    return {
        name: layer_name(spec, words, futures)
        for name, spec in named_layers(item.module, item.facts.knobs).items()
    }


def _commands(module, lang, map_lang) -> dict:
    values = {"module": module.id, "lang": map_lang, "run": f"work/{module.id}"}
    return {
        step["id"]: [scenario.fill_knobs(c, values) for c in step.get("commands") or []]
        for step in module.items("steps")
    }


def _render(catalogue, lang, item: _Computed, staging: Path, variant: int, interactive: bool):
    module = item.module
    words = Words(catalogue, lang, module.id)
    words.context.update(_context(words, item))
    map_lang = lang if lang in MAP_LANGUAGES else words.common("meta.map_language")
    layers = _layer_names(item, map_lang)
    words.context.update({f"layer_{name}": text for name, text in layers.items()})
    participants = staging / lang / "participants" / module.id
    facilitator = staging / lang / "facilitator" / module.id
    participants.mkdir(parents=True)
    facilitator.mkdir(parents=True)
    sources = _sources(words, item)
    commands = _commands(module, lang, map_lang)
    with_map = bool(interactive and module.data.get("interactive_map"))
    handout = render_handout(
        module,
        words,
        item.key,
        item.maps,
        item.tables,
        commands,
        variant,
        sources,
        interactive_map=with_map,
        layers=layers,
    )
    (participants / "handout.html").write_text(handout, encoding="utf-8")
    (participants / "quiz.html").write_text(render_quiz(module, words, variant), encoding="utf-8")
    _write_yaml(participants / "answer_sheet.yaml", _answer_sheet(module, item.key, words))
    files = [
        f"{lang}/participants/{module.id}/handout.html",
        f"{lang}/participants/{module.id}/quiz.html",
        f"{lang}/participants/{module.id}/answer_sheet.yaml",
        f"data/{module.id}/run.yaml",
        f"runs/{module.id}/",
    ]
    if with_map:
        from mecc.maps import build_map

        build_map(item.run_dir, participants / "map.html", lang=map_lang)
        files.insert(2, f"{lang}/participants/{module.id}/map.html")
    guide = render_guide(module, words, item.key, variant, sources, files)
    (facilitator / "guide.html").write_text(guide, encoding="utf-8")
    _write_yaml(facilitator / "answer_key.yaml", localised_key(item.key, words, _version()))


def _answer_sheet(module, key: dict, words: Words) -> dict:
    return {
        "kind": "mecc_training_answers",
        "module": module.id,
        "variant": key["variant"],
        "lang": words.lang,  # the language its numbers are written in: graded with that key
        "participant": "",
        "answers": dict.fromkeys(key["questions"]),
        "quiz_pre": dict.fromkeys(key["quiz"]),
        "quiz_post": dict.fromkeys(key["quiz"]),
        "note": words.common("sheet.note"),
    }


def _write_yaml(path: Path, data: dict) -> None:
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    path.write_text(text, encoding="utf-8")


def _index(catalogue, lang, computed, staging: Path, variant: int) -> None:
    """``<lang>/index.html``: the modules with links to their pages (relative, in the pack)."""
    words = Words(catalogue, lang, None)
    rows = []
    for item in computed:
        module_words = Words(catalogue, lang, item.module.id)
        mid = item.module.id
        links = [
            (f"participants/{mid}/handout.html", words.common("index.handout")),
            (f"participants/{mid}/quiz.html", words.common("index.quiz")),
        ]
        if (staging / lang / "participants" / mid / "map.html").is_file():
            links.append((f"participants/{mid}/map.html", words.common("index.map")))
        facilitator = [  # the key to grade with, and the blank sheet to hand out
            (f"facilitator/{mid}/guide.html", words.common("index.guide")),
            (f"facilitator/{mid}/answer_key.yaml", words.common("index.answer_key")),
            (f"participants/{mid}/answer_sheet.yaml", words.common("index.answer_sheet")),
        ]
        cells = "</td><td>".join(
            " · ".join(f'<a href="{esc(href)}">{esc(text)}</a>' for href, text in group)
            for group in (links, facilitator)
        )
        rows.append(
            f"<tr><td>{item.module.number}</td><td>{module_words.m('title')}</td>"
            f"<td>{words.c('levels.' + item.module.data['level'])}</td>"
            f'<td class="num">{item.module.data["minutes"]}</td><td>{cells}</td></tr>'
        )
    heads = head_row(
        words,
        "index.",
        ("col_number", "col_title", "col_level", "col_minutes", "col_pages", "col_facilitator"),
    )
    body = (
        f'<header class="cover"><h1>{words.c("index.title")}</h1>'
        f'<p class="meta">{words.c("index.meta", variant=variant)} · '
        f"{words.c('meta.language_name')}</p>"
        f'<p><span class="badge">{words.c("notice.modelled")}</span>'
        f'<span class="badge">{words.c("notice.fictional")}</span></p></header>'
        f"{words.md_common('index.intro')}<table>{heads}"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
    text = page(words, words.common("index.title"), body, "index", offline=False)
    (staging / lang / "index.html").write_text(text, encoding="utf-8")
