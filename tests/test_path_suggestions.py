"""A wrong path gets the existing path it was probably meant to be, in one line.

A new analyst following README.md types ``demo-output/input/run.yaml`` for
``demo-output/inputs/run.yaml``, names ``event.csv`` in a run file beside ``events.csv``,
gives ``mecc demo``'s output folder where its ``run/`` folder is meant, or grades a sheet
from the folder holding the training pack. Each error keeps its wording and ends with
``(did you mean X?)``: at most two existing paths, written as the user would type them
(relative to the current folder, or to the run file's folder in a run file).
"""

from __future__ import annotations

import json

import pytest
import yaml

from tests._errors import one_error_line
from tests._run_inputs import basic_case, event_hazard, write_run


@pytest.fixture
def demo_like(tmp_path, monkeypatch):
    """``mecc demo``'s layout in the current folder: demo-output/inputs/run.yaml and the
    finished run folder demo-output/run (only what the guards look at)."""
    monkeypatch.chdir(tmp_path)
    inputs = tmp_path / "demo-output" / "inputs"
    inputs.mkdir(parents=True)
    (inputs / "run.yaml").write_text("country: XMR\n", encoding="utf-8")
    run = tmp_path / "demo-output" / "run"
    run.mkdir()
    (run / "summary.json").write_text(json.dumps({"country": "XMR"}), encoding="utf-8")
    (run / "zones.csv").write_text("zone_code\nXMR0101\n", encoding="utf-8")
    (run / "manifest.json").write_text('{"created_by": "mecc 0.1.0"}', encoding="utf-8")
    return tmp_path / "demo-output"


# --------------------------------------------------------------------- the run file


@pytest.mark.parametrize("given", ["demo-output/input/run.yaml", "demo-output/inputs/run.yml"])
def test_a_wrong_run_file_path_names_the_run_file(cli, demo_like, given):
    line = one_error_line(cli("validate", given), 1)
    assert line == (
        f"error: {given}: run file not found (did you mean demo-output/inputs/run.yaml?)"
    )


def test_an_absolute_run_file_path_is_suggested_absolute(cli, demo_like):
    given = demo_like / "input" / "run.yaml"
    line = one_error_line(cli("validate", given), 1)
    assert line == (
        f"error: {given}: run file not found (did you mean {demo_like / 'inputs' / 'run.yaml'}?)"
    )


# ------------------------------------------------------------ files a run file names


@pytest.fixture
def case(tmp_path):
    folder = tmp_path / "case"
    return folder, basic_case(folder)


def test_a_misspelt_event_table_names_the_one_beside_it(cli, case):
    folder, run = case
    run["hazards"] = [event_hazard(events="event.csv")]
    line = one_error_line(cli("validate", write_run(folder, run)), 1)
    assert line == (
        "error: run.yaml.hazards[0] (ev).events (event.csv): event table not found "
        f"({folder / 'event.csv'}) (did you mean events.csv?)"
    )


def test_a_population_grid_in_a_wrong_folder_names_the_file_where_it_is(cli, case):
    folder, run = case
    run["population"]["path"] = "data/pop.tif"
    line = one_error_line(cli("validate", write_run(folder, run)), 1)
    assert line == (
        "error: run.yaml.population.path: file not found "
        f"({folder / 'data' / 'pop.tif'}) (did you mean pop.tif?)"
    )


def test_a_misspelt_hazard_grid_is_suggested_relative_to_the_run_file(cli, case):
    folder, run = case
    (folder / "grids").mkdir()
    (folder / "rp100.tif").rename(folder / "grids" / "rp100.tif")
    run["hazards"][0]["return_periods"] = {10: "rp10.tif", 100: "grid/rp100.tif"}
    line = one_error_line(cli("validate", write_run(folder, run)), 1)
    assert line == (
        "error: run.yaml.hazards[0] (rf).return_periods.100 (grid/rp100.tif): file not "
        f"found ({folder / 'grid' / 'rp100.tif'}) (did you mean grids/rp100.tif?)"
    )


def test_a_misspelt_zone_file_names_the_zone_file(cli, case):
    folder, run = case
    run["zones"]["path"] = "zone.geojson"
    line = one_error_line(cli("validate", write_run(folder, run)), 1)
    assert line == (
        "error: run.yaml.zones.path: file not found "
        f"({folder / 'zone.geojson'}) (did you mean zones.geojson?)"
    )


# ------------------------------------------------------------------ run folders


@pytest.mark.parametrize(
    "args",
    [
        ["map", "demo-output"],
        ["profile", "demo-output"],
        ["needs", "demo-output"],
        ["report", "sendai", "demo-output"],
        ["evaluate", "demo-output", "--observed", "observed.csv"],
        ["compare", "demo-output", "demo-output/run"],
    ],
    ids=lambda args: args[0],
)
def test_the_demo_folder_given_for_its_run_folder_names_the_run_folder(cli, demo_like, args):
    """Every command reading a finished run (the guard they share)."""
    (demo_like.parent / "observed.csv").write_text("zone_code,value\nXMR0101,5\n", "utf-8")
    line = one_error_line(cli(*args, "--out", "out"), 1)
    assert line == (
        "error: demo-output/summary.json: not found (is this a finished run folder? "
        "did you mean the run folder demo-output/run?)"
    )


def test_a_misspelt_run_folder_names_the_run_folder(cli, demo_like):
    line = one_error_line(cli("map", "demo-output/rn", "--out", "m3"), 1)
    assert line == "error: demo-output/rn: run folder not found (did you mean demo-output/run?)"


def test_a_folder_beside_the_run_folder_names_the_run_folder(cli, demo_like):
    line = one_error_line(cli("map", "demo-output/inputs", "--out", "m3"), 1)
    assert line == (
        "error: demo-output/inputs/summary.json: not found (is this a finished run folder? "
        "did you mean the run folder demo-output/run?)"
    )


# ------------------------------------------------------------------ training sheets

KEY = {
    "kind": "mecc_training_answer_key",
    "module": "m5_evacuation",
    "variant": 0,
    "lang": "en",
    "number_format": {"decimal": ".", "group": ","},
    "messages": {
        "right": "Right.",
        "wrong": "Wrong.",
        "mistake": "Likely mistake:",
        "unanswered": "No answer.",
        "unreadable": "Not a number.",
        "scored": "Scored.",
        "provisional": "Provisional.",
    },
    "questions": {
        "q1": {"kind": "numeric", "answer": 10.0, "tolerance": {"relative": 0.02}, "points": 1}
    },
}


def test_a_sheet_not_found_names_the_participants_sheet_of_the_keys_module(
    cli, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    key = tmp_path / "pack" / "en" / "facilitator" / "m5_evacuation" / "answer_key.yaml"
    key.parent.mkdir(parents=True)
    key.write_text(yaml.safe_dump(KEY), "utf-8")
    sheet = tmp_path / "pack" / "en" / "participants" / "m5_evacuation" / "answer_sheet.yaml"
    sheet.parent.mkdir(parents=True)
    sheet.write_text(
        yaml.safe_dump({"kind": "mecc_training_answers", "module": "m5_evacuation"}), "utf-8"
    )
    result = cli(
        "training",
        "check",
        "answer_sheet.yaml",
        "--key",
        "pack/en/facilitator/m5_evacuation/answer_key.yaml",
    )
    assert one_error_line(result, 1) == (
        "error: answer_sheet.yaml: not found "
        "(did you mean pack/en/participants/m5_evacuation/answer_sheet.yaml?)"
    )


def test_a_misspelt_sheet_is_never_matched_to_the_key_beside_it(cli, tmp_path, monkeypatch):
    """In the facilitator's module folder, answer_sheet.yaml is close to answer_key.yaml
    by name; the participants' sheet is meant."""
    folder = tmp_path / "pack" / "en" / "facilitator" / "m5_evacuation"
    folder.mkdir(parents=True)
    (folder / "answer_key.yaml").write_text(yaml.safe_dump(KEY), "utf-8")
    sheet = tmp_path / "pack" / "en" / "participants" / "m5_evacuation" / "answer_sheet.yaml"
    sheet.parent.mkdir(parents=True)
    sheet.write_text("kind: mecc_training_answers\n", "utf-8")
    monkeypatch.chdir(folder)
    result = cli("training", "check", "answer_sheet.yaml", "--key", "answer_key.yaml")
    assert one_error_line(result, 1) == (
        "error: answer_sheet.yaml: not found "
        "(did you mean ../../participants/m5_evacuation/answer_sheet.yaml?)"
    )


# ------------------------------------------------------------------ the helper


def test_never_more_than_two_names(tmp_path):
    from mecc.errors import did_you_mean, nearby_paths

    for name in ("rp0010.tif", "rp0011.tif", "rp0012.tif"):
        (tmp_path / name).write_bytes(b"")
    assert nearby_paths(tmp_path / "rp001.tif") == [
        str(tmp_path / "rp0010.tif"),
        str(tmp_path / "rp0011.tif"),
    ]
    assert did_you_mean(tmp_path / "rp001.tif", "rp001.tif") == (
        " (did you mean rp0010.tif or rp0011.tif?)"
    )
