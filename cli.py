"""The ``mecc`` command line: parse options, call one tool, turn errors into exit codes.

No computation happens here. Library errors (:class:`mecc.errors.MeccError`) become one
line on stderr and their exit code (1 bad data, 2 bad usage); anything else is a bug
(exit 3, with where to report it). ``-v`` shows tracebacks.
"""

from __future__ import annotations

import sys

import click

REPORT_BUGS = "https://github.com/mecc-toolkit/mecc/issues"


def _version() -> str:
    from mecc import __version__

    return __version__


class _Group(click.Group):
    """Maps toolkit errors to one line and an exit code for every command."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except Exception as error:  # noqa: BLE001 - the one place errors become exit codes
            from mecc.errors import EXIT_INTERNAL, MeccError

            verbose = (ctx.obj or {}).get("verbose", 0)
            if verbose:
                import traceback

                traceback.print_exc()
            if isinstance(error, MeccError):
                click.echo(f"error: {error}", err=True)
                ctx.exit(error.exit_code)
            click.echo(
                f"internal error: {type(error).__name__}: {error}\n"
                f"This is a bug in mecc; please report it at {REPORT_BUGS} "
                "with the command and the output of 'mecc -v ...'.",
                err=True,
            )
            ctx.exit(EXIT_INTERNAL)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version=_version(), prog_name="mecc", message="%(prog)s %(version)s")
@click.option("-v", "--verbose", count=True, help="Show tracebacks and more detail.")
@click.option("-q", "--quiet", is_flag=True, help="Print errors only.")
@click.pass_context
def main(ctx, verbose, quiet):
    """MECC toolkit: disaster-displacement risk for Sendai reporting and training.

    Run a country from its run file with 'mecc run RUN.yaml --out DIR'.
    """
    ctx.ensure_object(dict)
    ctx.obj["verbose"] = verbose
    ctx.obj["quiet"] = quiet


@main.command("run")
@click.argument("run_file", type=click.Path(dir_okay=False))
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Run folder to create.",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing run folder.")
@click.option(
    "--threads",
    default=None,
    type=click.IntRange(1, 256),
    help="Blocks processed at once (default: one per CPU; results do not depend on it).",
)
@click.option(
    "--block-size",
    default=None,
    type=click.IntRange(16, 1 << 16),
    help="Rows and columns per block (default 256 x 2048).",
)
@click.pass_context
def run_command(ctx, run_file, out_dir, overwrite, threads, block_size):
    """Run one country from RUN_FILE and write its outputs to --out."""
    from mecc.run import run_country

    block = (block_size, block_size) if block_size else None
    result = run_country(run_file, out_dir, overwrite=overwrite, threads=threads, block_shape=block)
    if not ctx.obj["quiet"]:
        for message in result.warnings:
            click.echo(f"warning: {message}", err=True)
        click.echo(f"wrote {result.out_dir}")
        for hazard_id, item in result.summary["hazards"].items():
            headline = item.get("aad", item.get("displaced"))
            label = "AAD" if "aad" in item else "displaced"
            click.echo(f"  {hazard_id}: {label} {headline:,.1f} people (modelled estimate)")


@main.command("demo")
@click.option(
    "--out",
    "out_dir",
    default="mecc-demo",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Folder to create.",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing demo folder.")
@click.option(
    "--threads",
    default=None,
    type=click.IntRange(1, 256),
    help="Blocks processed at once (default: one per CPU; results do not depend on it).",
)
@click.pass_context
def demo_command(ctx, out_dir, overwrite, threads):
    """Build the fictional demo country and run it end to end (no download)."""
    from mecc.demo import build_demo

    out = build_demo(out_dir, overwrite=overwrite, threads=threads)
    if not ctx.obj["quiet"]:
        click.echo(f"wrote {out} (fictional demo country: inputs/ and run/)")


@main.group("curves")
def curves_group():
    """The built-in displacement curves, with sources and evidence grades."""


@curves_group.command("list")
@click.option("--hazard", "hazard_type", default=None, help="Only curves for this hazard type.")
def curves_list(hazard_type):
    """List the built-in curves."""
    from hazards.library import describe_entries

    click.echo("\n".join(describe_entries(hazard_type)))


@curves_group.command("show")
@click.argument("name")
def curves_show(name):
    """Show one curve: source, evidence grade and every variant."""
    from hazards.library import describe_entry

    click.echo("\n".join(describe_entry(name)))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
