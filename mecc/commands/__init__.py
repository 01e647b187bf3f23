"""The ``mecc`` subcommands, one module per family; ``cli.py`` assembles them.

Each module parses options, calls one tool and prints; no computation happens here
(DESIGN.md, four layers). Errors are turned into exit codes by ``cli.py``'s group.
"""

from __future__ import annotations


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
