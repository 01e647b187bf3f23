"""The ``mecc`` command line: parse options, call one tool, turn errors into exit codes.

No computation happens here. Library errors (:class:`mecc.errors.MeccError`) become one
line on stderr and their exit code (1 bad data, 2 bad usage); so does the system's
refusal to write (no space left, no permission: exit 1, :func:`mecc.outputs.write_problem`).
A reader that stops early (``mecc curves list | head``) ends the command quietly with
exit code 141, as Unix tools do. Anything else is a bug (exit 3, with where to report
it). ``-v`` shows tracebacks. Warnings of every command become one ``warning:`` line
each on stderr, none with ``-q`` (:func:`mecc.commands.warnings_as_lines`).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import sys
import threading

import click

from mecc.commands import all_commands, warnings_as_lines

REPORT_BUGS = "https://github.com/mecc-toolkit/mecc/issues"
EXIT_BROKEN_PIPE = 141
"""128 + SIGPIPE: what a shell shows for a Unix tool whose reader stopped early."""


_exit_code: list = []
"""The exit code of a command run from the shell, once it is known (:func:`_leave_now`)."""


def _leave_now() -> None:
    """Registered first, so run last of the exit handlers: a command run from the shell
    (arguments from ``sys.argv``) ends here, its output flushed, without the interpreter's
    clean-up of every module and object (about 0.3 s after a run: pandas, xarray, dask,
    GDAL). Non-daemon threads were joined and every other exit handler has run; its files
    are closed, since commands write through context managers. Imported as a library or
    under tests (arguments given), nothing is recorded and Python ends as usual."""
    if not _exit_code:
        return
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing to say
            stream.flush()
    os._exit(_exit_code[-1])


atexit.register(_leave_now)


def _code_of(stop: SystemExit) -> int:
    """The process's exit code for ``sys.exit(code)``, as Python computes it."""
    if stop.code is None:
        return 0
    if isinstance(stop.code, int):
        return stop.code
    print(stop.code, file=sys.stderr)
    return 1


def _version() -> str:
    from mecc import __version__

    return __version__


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM arrived: unwinds like Ctrl-C so staging folders are removed."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _stdout_to_devnull() -> None:
    """After a broken pipe: send what is left of stdout to /dev/null, so Python's own
    flush at exit does not fail again (the recipe of Python's ``signal`` documentation)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real stdout (tests): nothing to redirect
        pass
    finally:
        os.close(devnull)


def _raise_interrupted(signum, frame):
    raise Interrupted(signum)


def _catch_signals() -> dict:
    """Turn SIGINT and SIGTERM into :class:`Interrupted` (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    previous = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        previous[signum] = signal.signal(signum, _raise_interrupted)
    return previous


def _show_versions(ctx, _param, value):
    if not value or ctx.resilient_parsing:
        return
    from mecc.manifest import versions

    table = versions()
    width = max(len(name) for name in table)
    for name, version in table.items():
        click.echo(f"{name:<{width}}  {version if version is not None else 'not installed'}")
    ctx.exit(0)


class _UsageLine(click.ClickException):
    """A usage error (unknown option, bad value) shown as one line, exit code 2."""

    exit_code = 2

    def __init__(self, error: click.UsageError):
        super().__init__(error.format_message())
        self.command_path = error.ctx.command_path if error.ctx is not None else "mecc"

    def show(self, file=None) -> None:
        click.echo(f"error: {self.format_message()} (see '{self.command_path} --help')", err=True)


def _missing_package(error) -> str | None:
    """The message for a package mecc needs that this Python lacks (mecc run with another
    Python than its environment's), else None: not a bug of mecc, and one line says how."""
    own = {"mecc", "hazards", "exposure", "training_modules", "cli"}
    name = getattr(error, "name", None) if isinstance(error, ModuleNotFoundError) else None
    if not name or name.split(".")[0] in own:
        return None
    return (
        f"the package {name.split('.')[0]!r} that mecc needs is not installed in this Python "
        f"({sys.executable}): run mecc from the environment it was installed into "
        "(source .venv/bin/activate, or .venv/bin/mecc), or install it here with "
        "'python -m pip install .'"
    )


def _one_line(error: click.UsageError) -> click.ClickException:
    """Click's usage errors as one line (DESIGN.md), except "no arguments: show help"."""
    return error if isinstance(error, click.exceptions.NoArgsIsHelpError) else _UsageLine(error)


class _Group(click.Group):
    """Maps toolkit errors to one line and an exit code, and warnings to one line each,
    for every command."""

    def main(self, args=None, *rest, standalone_mode=True, **extra):
        """Click's ``main``; from the shell (no ``args``), the exit code is kept for
        :func:`_leave_now`."""
        if args is not None or not standalone_mode:  # tests and callers: Click's own ways
            return super().main(args, *rest, standalone_mode=standalone_mode, **extra)
        try:
            super().main(None, *rest, **extra)
            stop = SystemExit(0)
        except SystemExit as raised:
            stop = raised
        _exit_code.append(_code_of(stop))  # :func:`_leave_now`, after the other handlers
        raise SystemExit(_exit_code[-1])

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as error:
            raise _one_line(error) from None

    def invoke(self, ctx):
        previous = _catch_signals()
        try:
            with warnings_as_lines(ctx):  # one line each; a failed command: its error alone
                return super().invoke(ctx)
        except click.UsageError as error:
            raise _one_line(error) from None
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except BrokenPipeError:  # the reader of stdout stopped early: not an error of ours
            _stdout_to_devnull()
            ctx.exit(EXIT_BROKEN_PIPE)
        except KeyboardInterrupt as error:
            signum = getattr(error, "signum", signal.SIGINT)
            left = [str(path) for path in getattr(error, "left_behind", ())]
            if left:  # a process that did not end in time: say what it left, never "nothing"
                more = f" and {len(left) - 3} more" if len(left) > 3 else ""
                said = (
                    "outputs are moved into place only when complete, but these hidden "
                    f"folders of unfinished runs could not be removed: {', '.join(left[:3])}"
                    f"{more} (delete them; they are never taken for results)"
                )
            else:
                said = (
                    "outputs are moved into place only when complete, so nothing was left "
                    "half-written"
                )
            # a batch adds the runs it kept and the run files still to run (mecc.batch)
            batch = getattr(error, "batch_stop", None)
            said += f"; {batch}" if batch else ""
            click.echo(
                f"interrupted ({signal.Signals(signum).name}): stopped before the end; {said}",
                err=True,
            )
            ctx.exit(128 + int(signum))
        except Exception as error:  # noqa: BLE001 - the one place errors become exit codes
            from mecc.errors import EXIT_BAD_USAGE, EXIT_INTERNAL, MeccError, path_hint
            from mecc.outputs import write_problem

            verbose = (ctx.obj or {}).get("verbose", 0)
            if verbose:
                import traceback

                traceback.print_exc()
            error = write_problem(error) or error  # no space, no permission: not a bug
            if isinstance(error, MeccError):
                click.echo(f"error: {path_hint(str(error))}", err=True)
                ctx.exit(error.exit_code)
            missing = _missing_package(error)
            if missing:
                click.echo(f"error: {missing}", err=True)
                ctx.exit(EXIT_BAD_USAGE)
            click.echo(
                f"internal error: {type(error).__name__}: {error}\n"
                f"This is a bug in mecc; please report it at {REPORT_BUGS} "
                "with the command and the output of 'mecc -v ...'.",
                err=True,
            )
            ctx.exit(EXIT_INTERNAL)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version=_version(), prog_name="mecc", message="%(prog)s %(version)s")
@click.option(
    "--show-versions",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_show_versions,
    help="Show the versions of mecc, Python, GDAL, PROJ, GEOS and the libraries, then exit.",
)
@click.option("-v", "--verbose", count=True, help="Show tracebacks and more detail.")
@click.option("-q", "--quiet", is_flag=True, help="Print errors only; no progress bars.")
@click.pass_context
def main(ctx, verbose, quiet):
    """MECC toolkit: disaster-displacement risk for Sendai reporting and training.

    \b
    Try it:             mecc demo --out mecc-demo
    Start a country:    mecc init --country KEN my-country
    Check a run file:   mecc validate my-country/ken.yaml
    Run it:             mecc run my-country/ken.yaml --out runs/ken

    Exit codes: 0 success, 1 bad data, 2 bad usage, 3 internal error (a bug).
    """
    ctx.ensure_object(dict)
    ctx.obj["verbose"] = verbose
    ctx.obj["quiet"] = quiet


for _command in all_commands():
    main.add_command(_command)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
