"""The ``mecc`` subcommands, one module per family; ``cli.py`` assembles them.

Each module parses options, calls one tool and prints; no computation happens here
(DESIGN.md, four layers). Errors are turned into exit codes by ``cli.py``'s group.
"""

from __future__ import annotations

from contextlib import contextmanager


@contextmanager
def warnings_as_lines(ctx):
    """Run a tool in the block and print its toolkit warnings as one ``warning:`` line
    each on stderr (none with ``-q``); other warnings are shown as Python shows them."""
    import warnings

    import click

    from mecc.errors import MeccWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", MeccWarning)
        yield
    for warning in caught:
        if not issubclass(warning.category, MeccWarning):
            warnings.showwarning(
                warning.message, warning.category, warning.filename, warning.lineno
            )
        elif not ctx.obj["quiet"]:
            click.echo(f"warning: {warning.message}", err=True)


def all_commands() -> list:
    """Every top-level command and group, in the order ``mecc --help`` lists them."""
    from mecc.commands import (
        documents,
        hazard,
        population,
        reports,
        run,
        runfile,
        training,
    )

    return [
        *run.COMMANDS,
        *runfile.COMMANDS,
        *hazard.COMMANDS,
        *population.COMMANDS,
        *reports.COMMANDS,
        *documents.COMMANDS,
        *training.COMMANDS,
    ]
