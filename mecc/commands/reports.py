"""Commands that read a finished run: ``mecc evaluate``, ``mecc map``, ``mecc report``.

They never modify the run folder; their outputs go to ``--out``, which
:func:`mecc.run_folder.check_out_dir` keeps outside the run folder and its inputs.
"""

from __future__ import annotations

import click


@click.command("evaluate")
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option(
    "--observed",
    "observed_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="CSV of observed figures per zone.",
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder to create for the report (outside the run folder).",
)
@click.option(
    "--code-column", default="zone_code", show_default=True, help="Zone-code column of --observed."
)
@click.option("--value-column", default="value", show_default=True, help="Value column.")
@click.option(
    "--measure",
    type=click.Choice(["destroyed_houses", "damaged_houses", "displaced_people"]),
    default="displaced_people",
    show_default=True,
    help="What the observed values count. damaged_houses / destroyed_houses compare with the "
    "run's damaged (not destroyed) / destroyed dwellings (damage_curve); without a damage "
    "curve, destroyed_houses uses displaced people / --household-size (a proxy) and "
    "damaged_houses is refused.",
)
@click.option(
    "--measure-column",
    default=None,
    help="Column saying what each row measures (rows of other measures are skipped).",
)
@click.option(
    "--household-size",
    type=float,
    default=None,
    help="People per household, for houses from people: displaced people / this (the "
    "destroyed_houses proxy, run without damage_curve) or damage-state people / this (run "
    "without household sizes); refused when the run counts its own dwellings.",
)
@click.option("--hazard", default=None, help="Hazard id of the run (when it has several).")
@click.option(
    "--threshold",
    type=float,
    default=100.0,
    show_default=True,
    help="Hit / miss / false-alarm threshold, in the measure's unit: above 0; 0 is refused "
    "(every zone would be a hit). A zone is an event at or above it; for any damage give 1.",
)
@click.option(
    "--national-observed",
    type=float,
    default=None,
    help="Official national figure of the measure (a whole number above 0): the whole run "
    "is compared with it. Without it, a file covering only some units is compared over its "
    "own units (their modelled figures against the sum of their rows).",
)
@click.option(
    "--context",
    multiple=True,
    metavar="LABEL=PEOPLE",
    help="Another observed figure in people, shown for context (repeat).",
)
@click.option(
    "--observed-source",
    default=None,
    metavar="TEXT",
    help="Who published --observed, and its licence (printed under Sources).",
)
@click.option("--title", default=None, help="Title of the report.")
@click.option("--overwrite", is_flag=True, help="Replace an existing report folder.")
@click.pass_context
def evaluate_command(ctx, run_dir, observed_path, out_dir, **options):
    """Compare a finished run's per-zone figures with observed ones (writes --out).

    Statistics use the observed zones only: a zone missing from --observed was not
    reported and is not counted as zero. The run folder is never modified.
    """
    import warnings

    from mecc.errors import MeccWarning
    from mecc.evaluate import evaluate_run
    from mecc.run_folder import check_out_dir
    from mecc.variant_order import variant_range

    check_out_dir(out_dir, run_dir)  # also refuses an --out holding the run's inputs
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MeccWarning)
        result = evaluate_run(run_dir, observed_path, out_dir, **options)
    if not ctx.obj["quiet"]:
        for message in result.notes:
            click.echo(f"warning: {message}", err=True)
        figures = result.figures
        national, zones = figures["national"], figures["zones"]
        unit = figures["observed"]["unit"]
        span = ""
        shown = variant_range(  # lowest to highest, around the central figure (as the map)
            national["modelled"], national.get("modelled_low"), national.get("modelled_high")
        )
        if shown is not None:
            span = f" (range {shown[0]:,.0f} - {shown[1]:,.0f})"
        click.echo(f"wrote {result.out_dir}")
        compared = (figures.get("modelled") or {}).get("description")
        if compared:
            click.echo(f"  modelled: {compared}")
        click.echo(
            f"  national: modelled {national['modelled']:,.0f}{span} vs observed "
            f"{national['observed']:,.0f} {unit} (modelled estimate vs observation)"
        )
        statistics = (
            f"log correlation {_two(zones['pearson_log1p'])}, Spearman "
            f"{_two(zones['spearman'])}, median ratio {_two(zones['median_ratio'])} "
            f"(ratio = {zones['ratio_definition']})"
        )
        if zones["both_zero"]:
            click.echo(
                f"  {zones['zones']} observed zones, {zones['both_zero']} of them 0 in both "
                "(they agree; left out of the statistics below)"
            )
            click.echo(f"  over the {zones['zones_compared']} zones not 0 in both: {statistics}")
        else:
            click.echo(f"  {zones['zones']} observed zones: {statistics}")


def _two(value) -> str:
    """A statistic with two decimals; ``n/a`` when undefined (e.g. fewer than 3 zones)."""
    return "n/a" if value != value else f"{value:.2f}"


@click.command("map")
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder to create for map.html (not the run folder).",
)
@click.option(
    "--lang",
    type=click.Choice(["en", "fr", "es"]),
    default="en",
    show_default=True,
    help="Language of the map's labels.",
)
@click.option("--title", default=None, help="Map title (default: from the run's country name).")
@click.option(
    "--inputs",
    "inputs_dir",
    type=click.Path(exists=True, file_okay=False),
    default=None,
    help="Folder of the run file, if the hazard grids have moved since the run.",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing output folder.")
@click.pass_context
def map_command(ctx, run_dir, out_dir, lang, title, inputs_dir, overwrite):
    """Write an interactive map of a finished run that works with no network."""
    from mecc.maps import write_map

    out = write_map(
        run_dir, out_dir, lang=lang, title=title, inputs_dir=inputs_dir, overwrite=overwrite
    )
    if not ctx.obj["quiet"]:
        click.echo(f"wrote {out}")


@click.group("report")
def report_group():
    """Reporting tables of a finished run (read from its results.nc; the run folder is
    never modified)."""


@report_group.command("sendai")
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder to create for sendai.xlsx, sendai.csv and sendai_hxl.csv (not the run folder).",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing output folder.")
@click.pass_context
def sendai_command(ctx, run_dir, out_dir, overwrite):
    """Sendai Framework tables (modelled B-3, B-4, B-1 and custom displacement indicators)."""
    from mecc.run_folder import check_out_dir
    from mecc.run_identity import check_results
    from mecc.sendai_writers import write_sendai_report

    check_out_dir(out_dir, run_dir)
    check_results(run_dir)  # damaged, or copied from another run
    out = write_sendai_report(run_dir, out_dir, overwrite=overwrite)
    if not ctx.obj["quiet"]:
        click.echo(f"wrote {out} (sendai.xlsx, sendai.csv, sendai_hxl.csv; modelled estimates)")


COMMANDS = [evaluate_command, map_command, report_group]
