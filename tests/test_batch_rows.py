"""A batch's rows give the exit codes the command line gives for the same failure."""

from __future__ import annotations

import errno
import os

import pytest

import mecc.run
from mecc.batch import batch_row


@pytest.mark.parametrize(
    ("failure", "status", "code"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), "failed", 1),  # the machine's
        (OSError(errno.EACCES, "Permission denied"), "failed", 1),
        (ZeroDivisionError("division by zero"), "internal error", 3),  # a bug
    ],
)
def test_a_failed_write_is_exit_1_as_on_the_command_line(
    monkeypatch, tmp_path, failure, status, code
):
    """cli.py maps a full disk or a refused permission to exit 1 (outputs.write_problem);
    a batch recorded them as internal errors, exit 3."""

    def failing(*args, **kwargs):
        raise failure

    monkeypatch.setattr(mecc.run, "run_country", failing)
    row = batch_row(tmp_path / "a.yaml", tmp_path / "out" / "a", {})
    assert (row["status"], row["exit_code"]) == (status, code)
    if code == 1:
        assert "internal" not in row["message"] and row["message"]


def test_a_process_that_ended_unreaped_is_not_alive():
    """A child that exited but was not yet reaped (a zombie) cannot write any more: its
    staging folders are abandoned (one rule for the batch and for outputs)."""
    import subprocess
    import sys
    import time

    from mecc.outputs import process_alive

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        for _ in range(200):  # until it has exited (still unreaped: no wait() yet)
            with open(f"/proc/{child.pid}/stat", encoding="ascii") as stat:
                if stat.read().rsplit(")", 1)[-1].split()[0] == "Z":
                    break
            time.sleep(0.05)
        assert not process_alive(child.pid)
    finally:
        child.wait()
    assert process_alive(os.getpid())
