"""How the bad-input tests check a failure: exit code, one line, nothing written or damaged."""

from __future__ import annotations

from tests._run_inputs import hidden_entries, snapshot


def one_error_line(result, code) -> str:
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error:"), lines[0]
    assert "Traceback" not in result.stderr
    return lines[0]


def previous_run(folder):
    """A folder standing for an earlier run the user wants to keep (files a run writes and
    an empty subfolder; its manifest.json says mecc wrote it and it holds nothing else, so
    ``--overwrite`` may replace it: mecc.output_guard)."""
    folder.mkdir()
    (folder / "manifest.json").write_text('{"created_by": "mecc 0.1.0"}', encoding="utf-8")
    (folder / "summary.json").write_text('{"country": "AAA"}', encoding="utf-8")
    (folder / "zones.csv").write_bytes("\ufeffzone_code,aad\r\nA,1.5\r\n".encode())
    (folder / "futures.csv").write_text("zone_code,future\nA,2.5\n", encoding="utf-8")
    (folder / "notes").mkdir()
    return snapshot(folder)


def expect_error(cli, run_file, out, code, *needles, extra_args=(), input_error=True):
    """Check a bad input the three ways a user meets it; return the error line.

    1. ``mecc run RUN --out OUT``: the exit code, one 'error:' line naming the file and
       field (``needles``), no traceback, and nothing written: OUT absent (or, if it
       existed, byte-identical) and no staging folder left.
    2. (input errors) ``mecc run RUN --out PREVIOUS --overwrite`` over an earlier run:
       the same line, and the earlier run byte-identical (nothing damaged).
    3. (input errors) ``mecc validate RUN``: the same exit code, one line naming the same
       file and field.
    """
    before = snapshot(out) if out.exists() else None
    result = cli("run", run_file, "--out", out, *extra_args)
    line = one_error_line(result, code)
    for needle in needles:
        assert needle in line, f"{needle!r} not in {line!r}"
    assert "np.float64" not in line and "np.int64" not in line, "numpy repr in a user message"
    assert result.stdout == ""
    if before is None:
        assert not out.exists(), f"{out} was created by a failed run"
    else:
        assert snapshot(out) == before, f"{out} was modified by a failed run"
    assert hidden_entries(out.parent) == []
    if not input_error:
        return line
    previous = out.parent / f"{out.name}-previous"
    kept = previous_run(previous)
    again = cli("run", run_file, "--out", previous, "--overwrite", *extra_args)
    assert one_error_line(again, code) == line
    assert snapshot(previous) == kept, f"{previous} was damaged by a failed --overwrite run"
    assert hidden_entries(out.parent) == []
    checked = cli("validate", run_file)
    checked_line = one_error_line(checked, code)
    for needle in needles:  # validate reads the population in full, so may word it sharper
        assert needle in checked_line, f"validate: {needle!r} not in {checked_line!r}"
    assert checked.stdout == ""
    return line
