"""``mecc training build`` and ``mecc training check``: workshop packs and grading."""

from __future__ import annotations

import click


@click.group("training")
def training_group():
    """Workshop packs for officials: handouts, guides, computed answer keys, grading."""


@training_group.command("build")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder to create for the pack.",
)
@click.option(
    "--module",
    "modules",
    multiple=True,
    help="Module id, short id (m4) or number (repeat; default: every module).",
)
@click.option(
    "--lang",
    "langs",
    multiple=True,
    help="Language: en, fr, es or one added with --locales (repeat; default: all found).",
)
@click.option(
    "--variant",
    type=int,
    default=0,
    show_default=True,
    help="0: the modules as written; N > 0: another combination of track, threshold, curve "
    "or return period. Each module has a number of distinct variants (pack.json lists it); "
    "an N beyond it is refused with the largest N the chosen modules allow, and N > 0 "
    "for a module without variants.",
)
@click.option(
    "--locales",
    multiple=True,
    type=click.Path(file_okay=False),
    help="Folder holding more <lang>/ locale folders (adds languages without code).",
)
@click.option("--no-maps", is_flag=True, help="Leave out the interactive map.html pages.")
@click.option(
    "--overwrite",
    is_flag=True,
    help="Replace an existing pack folder; refused while it holds participants' work (a "
    "filled-in answer sheet, or a file the builder did not write).",
)
@click.pass_context
def build_command(ctx, out_dir, modules, langs, variant, locales, no_maps, overwrite):
    """Build training packs: handouts, quizzes, facilitator guides, keys, data, maps."""
    from training_modules.pack import build_pack

    quiet = ctx.obj["quiet"]
    result = build_pack(
        out_dir,
        modules=list(modules) or None,
        langs=list(langs) or None,
        variant=variant,
        overwrite=overwrite,
        locales=locales,
        interactive_maps=not no_maps,
        progress=None if quiet else (lambda message: click.echo(message, err=True)),
    )
    if not quiet:
        click.echo(f"wrote {result.out_dir}")
        click.echo(
            f"  {len(result.modules)} module(s) x {len(result.languages)} language(s) "
            f"({', '.join(result.languages)}), variant {result.variant}; "
            f"{result.runs_computed} engine run(s), {result.timings['total_seconds']:.1f} s"
        )


@training_group.command("check")
@click.argument("answers", required=False, type=click.Path(dir_okay=False))
@click.option(
    "--key",
    "key_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="The answer key (facilitator/<module>/answer_key.yaml).",
)
@click.option(
    "--class",
    "class_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="A folder of answer sheets to grade into one table.",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write the table of grades: grades.csv (CSV) or grades.xlsx (an Excel workbook of "
    "the same cells); never the key or a sheet being graded.",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing --out file.")
@click.pass_context
def check_command(ctx, answers, key_path, class_dir, out_path, overwrite):
    """Grade ANSWERS.yaml (or a --class folder) against --key; name common mistakes."""
    from mecc.errors import MeccError
    from training_modules.answer_sheets import shown_table
    from training_modules.grading import check_answers

    try:
        grades, table = check_answers(answers, key_path, class_dir, out_path, overwrite)
    except MeccError as error:  # a class with sheets that cannot be graded: the others
        table = getattr(error, "table", None)  # are graded; show them, then fail
        if table is not None and not ctx.obj["quiet"]:
            click.echo(shown_table(table).to_string(index=False))
        raise
    if ctx.obj["quiet"]:
        return
    if class_dir is None:
        grade = grades[0]
        click.echo(f"{grade.participant}: {grade.summary}")  # provisional points apart
        for result in grade.questions:  # status words in the key's language
            points = f"{grade.points(result['points'])}/{grade.points(result['max'])}"
            line = f"  {result['id']}: {points} {grade.say('status_' + result['status'])}"
            if result["feedback"]:
                line += f" - {result['feedback']}"
            click.echo(line)
        for name, value in (("quiz_before", grade.quiz_pre), ("quiz_after", grade.quiz_post)):
            if value is not None:
                click.echo(f"  {grade.say(name)}: {value:.0f} %")
        for note in grade.notes:  # quiz letters that are no option, rubric points clamped
            click.echo(f"  {note}")
    else:
        click.echo(shown_table(table).to_string(index=False))
    if out_path:
        click.echo(f"wrote {out_path}")


COMMANDS = [training_group]
