"""The ``mecc`` subcommands, one module per family; ``cli.py`` assembles them.

Each module parses options, calls one tool and prints; no computation happens here
(DESIGN.md, four layers). Errors are turned into exit codes, and warnings into
``warning:`` lines (:func:`warnings_as_lines`), by ``cli.py``'s group.
"""

from __future__ import annotations

from contextlib import contextmanager


@contextmanager
def warnings_as_lines(ctx):
    """Print the warnings raised in the block as one ``warning:`` line each on stderr.

    The ``mecc`` group runs every command in this block (``cli.py``), so no command
    shows a warning as Python does (a path inside mecc and a line of its source). The
    lines come after the command's own output, once each (a tool that warns twice with
    the same words prints one line); ``-q`` prints none. A command that fails prints
    its one error line alone (bad input is one line, DESIGN.md); with ``-v`` the
    warnings raised before it come first.

    Parameters
    ----------
    ctx : click.Context
        The command's context; its ``obj`` holds the ``-q`` and ``-v`` of the command
        line (read when the block ends, after the group's options are parsed).
    """
    import warnings

    import click

    from mecc.errors import MeccWarning

    caught: list = []
    failed = False
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", MeccWarning)
            yield
    except click.exceptions.Exit:  # ctx.exit(code): the command ended as it meant to
        raise
    except Exception:
        failed = True
        raise
    finally:
        options = ctx.find_root().obj or {}
        verbose = options.get("verbose", 0)
        if failed and not verbose:  # the one error line says what went wrong
            caught = []
        if not options.get("quiet"):
            for line in warning_lines(caught, verbose=verbose):
                click.echo(line, err=True)


def warning_lines(caught, verbose: int = 0) -> list[str]:
    """One ``warning:`` line per distinct warning, in the order they were raised.

    Parameters
    ----------
    caught : list of warnings.WarningMessage
        What ``warnings.catch_warnings(record=True)`` recorded.
    verbose : int
        With ``-v`` each line ends with where the warning was first raised.

    Returns
    -------
    list of str
        A toolkit warning (:class:`mecc.errors.MeccWarning`) as ``warning: TEXT``; any
        other (numpy, pandas, GDAL...) as ``warning: CATEGORY: TEXT``. A text of several
        lines is joined into one.
    """
    from mecc.errors import MeccWarning

    lines: dict = {}  # text: line, the first of each text
    for warning in caught:
        text = " ".join(part.strip() for part in str(warning.message).splitlines() if part.strip())
        if not issubclass(warning.category, MeccWarning):
            text = f"{warning.category.__name__}: {text}"
        where = f" ({warning.filename}:{warning.lineno})" if verbose else ""
        lines.setdefault(text, f"warning: {text}{where}")
    return list(lines.values())


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
