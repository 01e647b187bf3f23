"""mecc evaluate reads the run's results.nc only for its sources (the curves' evidence
grades, the method line): a missing one is said (a warning line and a note in
evaluation.json), and one from another run, or a damaged one, is refused in one line as
every command that reads a run refuses it."""

from __future__ import annotations

import json
import shutil

import pytest

from tests._errors import one_error_line
from tests.test_evaluate_demo_compare import _write_observed

NOTE = "results.nc: missing, so the sources name no evidence grade of the curves"


@pytest.fixture
def demo_run(demo_folder, tmp_path):
    return shutil.copytree(demo_folder / "run", tmp_path / "run")


def _evaluate(cli, run, out, observed):
    return cli("evaluate", run, "--observed", observed, "--hazard", "earthquake", "--out", out)


def test_an_intact_run_gives_grades_and_no_note(cli, demo_run, tmp_path):
    out = tmp_path / "ev"
    result = _evaluate(cli, demo_run, out, _write_observed(tmp_path / "obs.csv"))
    assert result.exit_code == 0, result.stderr
    figures = json.loads((out / "evaluation.json").read_text(encoding="utf-8"))
    assert not any(NOTE in n for n in figures["notes"])
    assert NOTE not in result.stderr


def test_a_run_without_results_nc_says_what_its_sources_lack(cli, demo_run, tmp_path):
    (demo_run / "results.nc").unlink()
    out = tmp_path / "ev"
    result = _evaluate(cli, demo_run, out, _write_observed(tmp_path / "obs.csv"))
    assert result.exit_code == 0, result.stderr
    figures = json.loads((out / "evaluation.json").read_text(encoding="utf-8"))
    note = next(n for n in figures["notes"] if NOTE in n)
    assert note.startswith(str(demo_run / "results.nc"))
    assert f"warning: {note}" in result.stderr


def test_a_damaged_results_nc_is_refused(cli, demo_run, tmp_path):
    path = demo_run / "results.nc"
    path.write_bytes(path.read_bytes()[:4000])
    out = tmp_path / "ev"
    result = _evaluate(cli, demo_run, out, _write_observed(tmp_path / "obs.csv"))
    line = one_error_line(result, 1)
    assert "results.nc" in line
    assert not out.exists()


def test_another_runs_results_nc_is_refused(cli, demo_run, tmp_path):
    from tests._run_inputs import basic_case, write_run

    case = tmp_path / "case"
    case.mkdir()
    run_file = write_run(case, basic_case(case))
    other = tmp_path / "other"
    assert cli("run", run_file, "--out", other, "--no-map").exit_code == 0
    shutil.copy2(other / "results.nc", demo_run / "results.nc")
    out = tmp_path / "ev"
    result = _evaluate(cli, demo_run, out, _write_observed(tmp_path / "obs.csv"))
    line = one_error_line(result, 1)
    assert "results.nc" in line
    assert not out.exists()
