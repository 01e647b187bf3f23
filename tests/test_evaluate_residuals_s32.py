"""mecc evaluate on a run folder whose zones.gpkg is missing or unreadable: the
evaluation is written, and a note (a warning, evaluation.json's notes, the page) says
that the residual map is left out and why."""

from __future__ import annotations

import json

import pytest

from mecc.errors import MeccWarning
from mecc.evaluate import evaluate_run
from tests.test_evaluate import HOUSEHOLD, _evaluate, _write_observed, _write_run

OPTIONS = {
    "code_column": "code",
    "value_column": "houses",
    "measure": "destroyed_houses",
    "household_size": HOUSEHOLD,
    "threshold": 25.0,
}


@pytest.mark.parametrize("damage", ["missing", "unreadable"])
def test_a_run_without_its_boundaries_says_there_is_no_residual_map(tmp_path, damage):
    run = _write_run(tmp_path / "run")
    observed = _write_observed(tmp_path / "observed.csv")
    gpkg = run / "zones.gpkg"
    if damage == "missing":
        gpkg.unlink()
    else:
        gpkg.write_bytes(b"not a GeoPackage")
    with pytest.warns(MeccWarning) as caught:
        result = evaluate_run(run, observed, tmp_path / "eval", **OPTIONS)
    note = f"{gpkg}: missing or unreadable, so there is no residual map"
    assert any(str(w.message).startswith(note) for w in caught)
    out = tmp_path / "eval"
    assert not (out / "residuals.geojson").exists()
    assert {"evaluation.html", "evaluation.csv", "evaluation.json", "scatter.png"} <= {
        p.name for p in out.iterdir()
    }
    notes = json.loads((out / "evaluation.json").read_text(encoding="utf-8"))["notes"]
    assert any(n.startswith(note) for n in notes)
    assert result.notes == notes
    assert "<svg" not in (out / "evaluation.html").read_text(encoding="utf-8")


def test_a_run_with_its_boundaries_has_no_such_note(tmp_path):
    run = _write_run(tmp_path / "run")
    observed = _write_observed(tmp_path / "observed.csv")
    result = _evaluate((run, observed), tmp_path / "eval")
    assert (tmp_path / "eval" / "residuals.geojson").is_file()
    assert not any("residual map" in n for n in result.notes)
