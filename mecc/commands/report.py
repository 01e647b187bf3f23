"""``mecc report sendai``: reporting tables of a finished run, written elsewhere."""

from __future__ import annotations

import click


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
    from mecc.sendai_writers import write_sendai_report

    out = write_sendai_report(run_dir, out_dir, overwrite=overwrite)
    if not ctx.obj["quiet"]:
        click.echo(f"wrote {out} (sendai.xlsx, sendai.csv, sendai_hxl.csv; modelled estimates)")


COMMANDS = [report_group]
