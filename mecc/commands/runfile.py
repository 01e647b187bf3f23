"""Commands for run files: ``mecc init`` (a commented template) and ``mecc validate``."""

from __future__ import annotations

import json
import shlex

import click


@click.command("init")
@click.option("--country", required=True, metavar="ISO3", help="ISO 3166 alpha-3 code, e.g. KEN.")
@click.option("--name", default=None, help="Display name of the country (default: the code).")
@click.option("--overwrite", is_flag=True, help="Replace an existing run file of that name.")
@click.argument("folder", required=False, default=".", type=click.Path(file_okay=False))
@click.pass_context
def init_command(ctx, country, name, overwrite, folder):
    """Write a commented run-file template FOLDER/<iso3>.yaml (default: here).

    Fill in the paths, then check it with 'mecc validate'. An existing file is never
    replaced without --overwrite.
    """
    from mecc.run_template import write_template

    path = write_template(country, folder, name=name, overwrite=overwrite)
    if not ctx.obj["quiet"]:
        click.echo(f"wrote {path}")
        shown = shlex.quote(str(path))  # a path with spaces or quotes, ready to paste
        click.echo(f"  next: put your files beside it, edit it, then: mecc validate {shown}")


@click.command("validate")
@click.argument("run_file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON on stdout.")
@click.pass_context
def validate_command(ctx, run_file, as_json):
    """Check every input of RUN_FILE without running it.

    Opens the run file and every file it names; checks keys, CRS, overlap with the
    analysis grid, population values, units and wind averaging, curves, zones and
    their codes, events tables, return periods, years and futures. Prints what was
    checked; the first problem is one line naming the file and field, with the exit
    code a run would give (1 bad data, 2 bad usage).
    """
    import os

    from mecc.checks import ValidationReport, validate_run
    from mecc.errors import MeccError

    report = ValidationReport(os.path.basename(run_file))
    try:
        validate_run(run_file, report)
    except MeccError as error:
        if as_json:
            click.echo(json.dumps(report.as_dict(error), indent=2, ensure_ascii=False))
        raise
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
    elif not ctx.obj["quiet"]:
        click.echo(report.text())


COMMANDS = [init_command, validate_command]
