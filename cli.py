"""The ``mecc`` command line: parse options, call one tool, turn errors into exit codes.

No computation happens here. Library errors (:class:`mecc.errors.MeccError`) become one
line on stderr and their exit code (1 bad data, 2 bad usage); anything else is a bug
(exit 3, with where to report it). ``-v`` shows tracebacks.
"""

from __future__ import annotations

import sys

import click

from mecc.commands import all_commands

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


for _command in all_commands():
    main.add_command(_command)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
