"""Participant pages: the handout (both tracks and the questions) and the pre/post quiz.

Each page is one self-contained HTML file (styles inline, maps as inline SVG, no
script), laid out for A4 print, in one language and direction (``dir="rtl"`` for
right-to-left locales). :func:`page` checks the result with
:func:`mecc.offline.check_offline`: nothing in it may be fetched.
"""

from __future__ import annotations

import math
import re

from mecc.figures import name_svg
from mecc.offline import check_offline
from training_modules.words import STYLE_FILE, Words, esc

__all__ = [
    "data_label",
    "head_row",
    "interactive_map_text",
    "legend_html",
    "map_figure",
    "map_name",
    "map_values_text",
    "page",
    "place_name",
    "render_handout",
    "render_quiz",
    "table_html",
]


def page(words: Words, title: str, body: str, kind: str, *, offline: bool = True) -> str:
    """A complete printable page (``kind`` names it for tests: handout, quiz, guide)."""
    style = STYLE_FILE.read_text(encoding="utf-8")
    document = (
        f'<!DOCTYPE html>\n<html lang="{esc(words.lang)}" dir="{esc(words.dir)}">\n<head>\n'
        f'<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, '
        f'initial-scale=1">\n<title>{esc(title)}</title>\n<style>{style}</style>\n</head>\n'
        f'<body class="mecc-{kind}">\n{body}\n</body>\n</html>\n'
    )
    if offline:
        check_offline(document)
    return document


def cover(words: Words, module, kicker_key: str, variant: int) -> str:
    level = words.c(f"levels.{module.data['level']}")
    meta = words.c("handout.meta", level=level, minutes=module.data["minutes"], variant=variant)
    records = ""
    if (module.data.get("scenario") or {}).get("records"):  # reported figures, not modelled
        records = f'<span class="badge">{words.c("notice.reported")}</span>'
    return (
        f'<header class="cover"><p class="kicker">{words.c(kicker_key, number=module.number)}</p>'
        f'<h1>{words.m("title")}</h1><p class="meta">{meta}</p>'
        f'<p><span class="badge">{words.c("notice.modelled")}</span>'
        f"{records}"
        f'<span class="badge">{words.c("notice.fictional")}</span></p>'
        f"{words.md('summary')}</header>"
    )


def _legend_text(words: Words, key: str, args: dict) -> str:
    """A legend entry's text (``legend_between`` with a and b: "0.5 to 1"), not escaped."""
    shown = {k: words.num(v) for k, v in args.items()}
    return words.common("legend." + key.removeprefix("legend_"), **shown)


def legend_html(words: Words, exhibit) -> str:
    items = []
    for colour, key, args in exhibit.legend:
        items.append(
            f'<li><span class="swatch" style="background:{esc(colour)}"></span>'
            f"{esc(_legend_text(words, key, args))}</li>"
        )
    unit = words.c(f"units.{exhibit.unit}")
    return f'<ul class="legend" aria-label="{words.c("legend.title")}">{"".join(items)}<li>({unit})</li></ul>'


VISUALLY_HIDDEN = (
    "position:absolute;width:1px;height:1px;margin:-1px;padding:0;border:0;"
    "overflow:hidden;clip:rect(0 0 0 0);clip-path:inset(50%);white-space:nowrap"
)
"""Inline style of a text only screen readers read (not drawn on screen nor in print)."""


def map_figure(words: Words, exhibit, caption: str, anchor: str | None = None) -> str:
    """A printed map with its caption and legend.

    The SVG (``role="img"``, which hides its per-district titles) gets an accessible
    name in the language saying what it shows (:func:`map_name`) and is described by
    a paragraph only screen readers read, saying the values it draws
    (:func:`map_values_text`). ``anchor`` makes the paragraph's id unique on the page
    (a map shown twice: at a checkpoint and in track B); default the map's id.
    """
    svg = exhibit.svg
    described = ""
    if svg:
        ident = f"map-{anchor or exhibit.id}-values"
        svg = name_svg(svg, map_name(words, exhibit), ident)
        described = (
            f'<p id="{esc(ident)}" class="map-values" style="{VISUALLY_HIDDEN}">'
            f"{esc(map_values_text(words, exhibit))}</p>"
        )
    return (
        f'<figure class="map" data-map="{esc(exhibit.id)}"><figcaption>{esc(caption)}</figcaption>'
        f"{svg}{described}{legend_html(words, exhibit)}</figure>"
    )


def map_name(words: Words, exhibit) -> str:
    """The accessible name of a printed map in the language: the figure, the units it
    is mapped by, the hazard and the unit of its values ("Map of average annual
    displacement by district, river flood (people per year; modelled estimate)").
    Not escaped."""
    about = exhibit.about
    unit = words.common(f"units.{exhibit.unit}")
    if about.get("kind") == "shelters":
        return words.common("map_alt.name_sites", unit=unit)
    hazard = about["hazard"]
    figure_key = f"map_alt.figures.{hazard}_{about['figure']}"
    if not words.has_common(figure_key):
        figure_key = f"map_alt.figures.{about['figure']}"
    future = data_label(words, about.get("future", ""))
    figure = words.common(figure_key, future=future)
    if "t" in about:
        figure = words.common("map_alt.band", figure=figure, t=about["t"])
    hazard_key = next(
        (k for k in (f"map_alt.hazards.{hazard}", f"hazard_names.{hazard}") if words.has_common(k)),
        None,
    )
    return words.common(
        "map_alt.name",
        figure=figure,
        level=words.common(f"map_alt.level_{about['level']}"),
        hazard=words.common(hazard_key) if hazard_key else hazard,
        unit=unit,
    )


READINGS_SHOWN = 3
"""How many of the highest and of the lowest values a map's text says."""


def map_values_text(words: Words, exhibit) -> str:
    """What a printed map draws, in words: for a choropleth the districts with the
    :data:`READINGS_SHOWN` highest and lowest values (districts with the same value
    together, in the order of the map), then those without data; for the shelter map
    the water drawn under each site. From ``exhibit.readings``, the values the map was
    drawn from. Not escaped."""
    separator = words.common("handout.list_separator")
    if exhibit.about.get("kind") == "shelters":
        unit = words.common(f"units.{exhibit.unit}")
        items = [f"{site} {_site_water(words, exhibit, k)}" for site, k in exhibit.readings]
        return words.common("map_alt.sites", unit=unit, items=separator.join(items))
    groups: dict = {}
    missing = []
    for name, value in exhibit.readings:
        if math.isfinite(value):
            groups.setdefault(value, []).append(name)
        else:
            missing.append(name)
    ranked = sorted(groups, reverse=True)
    highest = ranked[:READINGS_SHOWN]
    lowest = [v for v in ranked[::-1][:READINGS_SHOWN] if v not in highest]

    def said(values) -> str:
        return separator.join(f"{', '.join(groups[v])} {words.num(v)}" for v in values)

    parts = [words.common("map_alt.highest", items=said(highest))] if highest else []
    if lowest:
        parts.append(words.common("map_alt.lowest", items=said(lowest)))
    if missing:
        label = words.common("handout.label_separator")
        parts.append(f"{words.common('legend.no_data')}{label}{', '.join(missing)}.")
    return " ".join(parts)


def _site_water(words: Words, exhibit, k: int) -> str:
    if k < 0:
        return words.common("legend.no_data")
    if k == 0:
        return words.common("legend.zero")
    _, key, args = exhibit.legend[k - 1]
    return _legend_text(words, key, args)


_FICTIONAL_TAG = re.compile(r"\s*\(fictional\)\s*$")


def place_name(words: Words, name) -> str:
    """A place name of the exercise data with its "(fictional)" tag in the language.

    The fictional country's data name each district ``Joval (fictional)``; options of
    questions and tables show the tag in the page's language (``Joval (nombre
    ficticio)``), so the name a participant finds in the files (``Joval``) reads the
    same everywhere on the page. Not escaped.
    """
    return _retag(words, name, "notice.fictional_tag")


def data_label(words: Words, label) -> str:
    """A label of the exercise data (a future, ``SSP2-4.5, 2050 (fictional)``) with its
    "(fictional)" tag in the language (``SSP2-4.5, 2050 (fictif)``). Not escaped."""
    return _retag(words, label, "notice.fictional_data_tag")


def _retag(words: Words, text, key: str) -> str:
    text = str(text)
    if not _FICTIONAL_TAG.search(text):
        return text
    return _FICTIONAL_TAG.sub("", text) + f" ({words.common(key)})"


WORD_KINDS = {
    "word": "needs.",
    "standard": "needs_standards.",
    "site_kind": "site_kinds.",
    "hazard": "hazard_names.",
}
"""Table cells holding a key: the common.yaml section of their words."""


def head_row(words: Words, prefix: str, names) -> str:
    """A table's header row of fixed words (``prefix`` + name, e.g. ``guide.col_answer``)."""
    cells = "".join(f'<th scope="col">{words.c(prefix + name)}</th>' for name in names)
    return f"<thead><tr>{cells}</tr></thead>"


def table_html(words: Words, exhibit, caption: str) -> str:
    """A table with localised headers; numbers in the language's format; an id (kind
    ``id``: ``XMR-2024-001``) in a ``td.id`` that handout.css keeps on one line.

    A table with ranges (``exhibit.ranges``) is followed by a note per kind of range
    saying which column is the central value and which columns are the range
    (``range_notes``).
    """
    frame = exhibit.frame
    heads = "".join(f'<th scope="col">{esc(header(words, c, exhibit))}</th>' for c in frame.columns)
    rows = []
    for record in frame.itertuples(index=False):
        cells = []
        for column, value in zip(frame.columns, record, strict=True):
            kind = exhibit.kinds.get(column, "number")
            if kind == "share":
                cells.append(f'<td class="num">{words.num(100 * float(value), 1)} %</td>')
            elif kind == "number":
                cells.append(f'<td class="num">{words.num(value)}</td>')
            elif kind in WORD_KINDS:
                cells.append(f"<td>{words.c(WORD_KINDS[kind] + str(value))}</td>")
            elif kind == "place":
                cells.append(f"<td>{esc(place_name(words, value))}</td>")
            elif kind == "label":
                cells.append(f"<td>{esc(data_label(words, value))}</td>")
            elif kind == "id":  # a record's or a site's id, never wrapped (handout.css)
                cells.append(f'<td class="id">{esc(str(value))}</td>')
            else:
                cells.append(f"<td>{esc(str(value))}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    notes = "".join(
        f'<p class="range-note" data-table="{esc(exhibit.id)}" data-range="{esc(name)}">'
        f"{words.c('range_notes.' + name)}</p>"
        for name in exhibit.ranges
    )
    return (
        f'<table data-table="{esc(exhibit.id)}"><caption>{esc(caption)}</caption>'
        f"<thead><tr>{heads}</tr></thead><tbody>{''.join(rows)}</tbody></table>{notes}"
    )


def header(words: Words, column: str, exhibit=None) -> str:
    """The localised header of a table column (``pmd_100_low`` -> "... 100-year ... low";
    ``pmd_bootstrap.p05.25``, an end of the bootstrap interval, -> ``pmd_t_p05``)."""
    if exhibit is not None and column in exhibit.headers:
        column = exhibit.headers[column]
    args = dict(exhibit.header_args) if exhibit is not None else {}
    column = re.sub(r"pmd_bootstrap[._](p\d+)[._](\d+)", r"pmd.\2_\1", column)
    match = re.search(r"pmd[._](\d+)", column)
    if match:
        args["t"] = match.group(1)
    key = re.sub(r"pmd[._]\d+", "pmd_t", column).replace(":", "_").replace(".", "_")
    return words.common(f"columns.{key}", **args)


def _steps(words: Words, module, maps: dict, lang_commands: dict) -> str:
    items = []
    for step in module.items("steps"):
        commands = "\n".join(lang_commands[step["id"]])
        block = f"<pre><code>{esc(commands)}</code></pre>" if commands else ""
        check = ""
        checkpoint = step.get("checkpoint") or {}
        if checkpoint:
            figure = ""
            if checkpoint.get("map"):
                exhibit = maps[checkpoint["map"]]
                figure = map_figure(
                    words, exhibit, words.common("handout.looks_like"), f"{step['id']}-{exhibit.id}"
                )
            check = (
                f'<div class="checkpoint"><strong>{words.c("handout.checkpoint")}</strong> '
                f"{words.md('checkpoints.' + step['id'])}{figure}</div>"
            )
        items.append(f'<li class="step">{words.md("steps." + step["id"])}{block}{check}</li>')
    return f"<ol>{''.join(items)}</ol>"


def _question(words: Words, question, entry) -> str:
    qid, kind = question["id"], entry["kind"]
    points = words.c("handout.points", n=entry["points"])
    body = words.md(f"questions.{qid}.text")
    if kind == "numeric":
        unit = words.c(f"units.{entry['unit']}")
        answer = (
            f'<p class="answer">{words.c("handout.answer")} <span class="blank"></span> {unit}</p>'
        )
    elif kind in ("choice", "map"):
        options = []
        for letter, name in entry["options"].items():
            text = (
                esc(place_name(words, name))
                if name
                else words.m(f"questions.{qid}.options.{letter}")
            )
            options.append(f'<li><span class="box"></span><strong>{letter}</strong>) {text}</li>')
        answer = f'<ul class="options">{"".join(options)}</ul>'
    else:
        lines = max(4, 2 * entry["points"])
        answer = '<div class="write"></div>' * lines
    return (
        f'<li class="question" data-question="{esc(qid)}">{body}'
        f'<span class="points">{points}</span>{answer}</li>'
    )


def render_handout(
    module,
    words: Words,
    key: dict,
    maps: dict,
    tables: dict,
    commands: dict,
    variant: int,
    sources: str,
    *,
    interactive_map: bool = True,
    layers: dict | None = None,
) -> str:
    """The participant handout of one module in one language.

    ``interactive_map``: whether the pack holds the module's ``map.html`` (a pack built
    with ``--no-maps`` has none, and the handout then does not point to it).
    ``layers``: the names of the map's layers the module names (:func:`interactive_map_text`).
    """
    objectives = "".join(
        f"<li>{words.m('objectives.' + o)}</li>" for o in module.items("objectives")
    )
    parts = [
        cover(words, module, "handout.kicker", variant),
        f"<section><h2>{words.c('handout.objectives')}</h2><ul>{objectives}</ul></section>",
        f"<section><h2>{words.c('handout.scenario')}</h2>{words.md('scenario')}</section>",
    ]
    if module.items("steps"):
        parts.append(
            f'<section class="track-analyst"><h2>{words.c("handout.track_analyst")}</h2>'
            f"{words.md_common('handout.analyst_intro')}{_steps(words, module, maps, commands)}</section>"
        )
    exhibits = [
        map_figure(words, maps[m["id"]], words.module(f"maps.{m['id']}"))
        for m in module.items("maps")
    ]
    exhibits += [
        table_html(words, tables[t["id"]], words.module(f"tables.{t['id']}"))
        for t in module.items("tables")
    ]
    interactive = ""
    if interactive_map and module.data.get("interactive_map"):
        interactive = f"<p>{esc(interactive_map_text(words, module, layers or {}))}</p>"
    parts.append(
        f'<section class="track-no-install"><h2>{words.c("handout.track_no_install")}</h2>'
        f"{words.md('no_install')}{interactive}{''.join(exhibits)}</section>"
    )
    questions = "".join(
        _question(words, q, key["questions"][q["id"]]) for q in module.items("questions")
    )
    parts.append(
        f'<section class="questions page-break"><h2>{words.c("handout.questions")}</h2>'
        f"{words.md_common('handout.questions_intro')}<ol>{questions}</ol></section>"
    )
    parts.append(f'<footer class="notice">{sources}</footer>')
    return page(words, words.module("title"), "\n".join(parts), "handout")


def interactive_map_text(words: Words, module, layers: dict) -> str:
    """What the module's ``map.html`` shows of the printed maps, naming its layers.

    ``layers``: name -> the layer's name in the map (``exhibits.named_layers``). When a
    printed map has a ``layer`` (the interactive layer with its figures), the sentence
    names those layers. When none has, the map holds none of the printed figures: the
    sentence says so and what the layers the module names show instead
    (``handout.layer_shows.<label>``), so that no one reads, say, displacement as
    exposure. Not escaped.
    """
    separator = words.common("handout.list_separator")
    quote = [
        words.common("handout.layer", layer=layers[m["id"]])
        for m in module.items("maps")
        if m.get("layer")
    ]
    if quote:
        return words.common("handout.interactive_map", layers=separator.join(quote))
    shown = []
    for name, spec in named_layer_specs(module).items():
        key = f"handout.layer_shows.{spec['label']}"
        key = key if words.has_common(key) else "handout.layer"
        shown.append(words.common(key, layer=layers[name]))
    return words.common("handout.interactive_map_other", layers=separator.join(shown))


def named_layer_specs(module) -> dict:
    """Name -> spec of the layers a module declares, in order (knobs not filled in)."""
    out = {m["id"]: m["layer"] for m in module.items("maps") if m.get("layer")}
    for step in module.items("steps"):
        out.update(step.get("layers") or {})
    return out


def render_quiz(module, words: Words, variant: int) -> str:
    """The pre/post quiz of one module (the same items before and after)."""
    items = []
    for item in module.items("quiz"):
        qid = item["id"]
        options = "".join(
            f'<li><span class="box"></span><strong>{k}</strong>) {words.m(f"quiz.{qid}.options.{k}")}</li>'
            for k in item["options"]
        )
        items.append(
            f'<li class="question" data-question="{esc(qid)}">{words.md(f"quiz.{qid}.text")}'
            f'<ul class="options">{options}</ul></li>'
        )
    body = (
        cover(words, module, "quiz.kicker", variant)
        + f"<section><h2>{words.c('quiz.title')}</h2>{words.md_common('quiz.intro')}"
        + f"<ol>{''.join(items)}</ol></section>"
    )
    title = (
        words.module("title") + words.common("handout.label_separator") + words.common("quiz.title")
    )
    return page(words, title, body, "quiz")
