"""How a command run from the shell ends (cli._leave_now).

A command whose arguments come from ``sys.argv`` (the ``mecc`` script, ``python -m
mecc``) leaves once its output is flushed, its threads joined and every exit handler
run, without the interpreter's clean-up of each module and object; its exit code is the
one Click chose. Called with arguments (tests, a library caller), Python ends as usual.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

import cli

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = textwrap.dedent(
    """
    import atexit, sys, threading, time
    from pathlib import Path
    import cli

    class TornDown:
        def __del__(self):
            sys.stderr.write("torn down\\n")

    kept = TornDown()  # a global of __main__: its clean-up runs only in the full shutdown
    atexit.register(lambda: print("exit handler ran"))  # buffered: flushed when leaving

    marker = Path(sys.argv[1])

    def late():
        time.sleep(0.3)
        marker.write_text("written")

    threading.Thread(target=late).start()  # not a daemon: joined before the exit
    sys.argv = ["mecc", *sys.argv[2:]]
    cli.main()
    """
)


def _shell(tmp_path, *args):
    marker = tmp_path / "thread.txt"
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(marker), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"},  # buffered
        check=False,
        timeout=120,
    )
    return done, marker


def test_a_command_from_the_shell_leaves_without_the_clean_up(tmp_path):
    done, marker = _shell(tmp_path, "curves", "list")
    assert done.returncode == 0, done.stderr
    # every line reached the pipe (block-buffered: flushed before leaving)
    expected = CliRunner().invoke(cli.main, ["curves", "list"], prog_name="mecc")
    assert expected.exit_code == 0
    assert done.stdout == expected.stdout + "exit handler ran\n"
    assert len(done.stdout.splitlines()) > 10
    assert marker.read_text() == "written"  # the thread was joined
    # handlers registered later ran first, and what they printed was flushed
    assert "torn down" not in done.stderr  # no clean-up of module globals


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["curves", "show", "no_such_curve"], 2, "no_such_curve"),
        (["run", "no-such-run.yaml", "--out", "x"], 1, "no-such-run.yaml"),
        (["curves", "--no-such-option"], 2, "--no-such-option"),
    ],
    ids=["unknown curve", "missing run file", "bad option"],
)
def test_an_error_keeps_its_exit_code_and_line(tmp_path, args, code, needle):
    done, _ = _shell(tmp_path, *args)
    assert done.returncode == code, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and needle in lines[0], lines
    assert done.stdout == "exit handler ran\n"
    assert not (ROOT / "x").exists()


def test_callers_with_arguments_end_as_usual(monkeypatch):
    monkeypatch.setattr(cli, "_exit_code", [])
    result = CliRunner().invoke(cli.main, ["curves", "list"], prog_name="mecc")
    assert result.exit_code == 0
    assert cli.main(["--version"], standalone_mode=False) == 0  # returns: no SystemExit
    assert cli._exit_code == []  # nothing recorded: the interpreter's own ending
    cli._leave_now()  # and with nothing recorded, leaving is not forced


def test_sys_exit_codes_as_python_computes_them(capsys):
    assert cli._code_of(SystemExit(None)) == 0
    assert cli._code_of(SystemExit(3)) == 3
    assert cli._code_of(SystemExit("stopped")) == 1
    assert capsys.readouterr().err == "stopped\n"
