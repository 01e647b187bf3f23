"""A finished run folder without a file the command reads: one line naming it, exit 1.

A workshop facilitator copied a run folder without its results.nc: ``mecc map`` still
wrote a map (exit 0) whose About panel had lost the curves' evidence grades and the
damage-curve citations, and ``mecc report sendai`` wrote the Sendai tables of a folder
without summary.json (results.nc could not be told from another run's). Every command
reading a run now refuses a finished run without a file it reads in the same line as a
missing summary.json (``<file>: not found (is this a finished run folder?)``), exit
code 1, writing nothing; files a run writes only when asked (map.html without
``--no-map``, groups of people, sites, allocation) are not required.
"""

from __future__ import annotations

import shutil

import pytest

from tests._errors import one_error_line
from tests._run_inputs import basic_case, hidden_entries, snapshot, write_run

COMMANDS = {
    "map": lambda run, out, observed: ["map", run, "--out", out],
    "report sendai": lambda run, out, observed: ["report", "sendai", run, "--out", out],
    "profile": lambda run, out, observed: ["profile", run, "--no-pdf", "--out", out],
    "needs": lambda run, out, observed: ["needs", run, "--out", out],
    "compare": lambda run, out, observed: ["compare", run, run, "--out", out],
    "evaluate": lambda run, out, observed: [
        *("evaluate", run, "--observed", observed[0], "--hazard", observed[1], "--out", out)
    ],
}
"""Every command that reads a finished run, writing to ``out`` (``observed``: the
observed table and hazard of ``mecc evaluate``)."""


@pytest.fixture
def observed(tmp_path):
    path = tmp_path / "observed.csv"
    path.write_text("zone_code,value\nXMR0101,5\n", encoding="utf-8")
    return path, "cyclone_wind"  # a scenario of the demo


def _refused(cli, run, missing, commands, observed, tmp_path):
    """Each of ``commands`` on ``run`` (a copy of the demo's run without ``missing``)
    stops in the one line naming the missing file, exit 1, writing nothing."""
    (run / missing).unlink()
    before = snapshot(run)
    for name in commands:
        out = tmp_path / f"out-{name.replace(' ', '-')}"
        line = one_error_line(cli(*COMMANDS[name](run, out, observed)), 1)
        assert line == f"error: {run / missing}: not found (is this a finished run folder?)", name
        assert not out.exists(), name
        assert hidden_entries(tmp_path) == [], name  # no staging folder left
    assert snapshot(run) == before  # the run folder is only read


@pytest.fixture
def run_copy(demo_folder, tmp_path):
    return shutil.copytree(demo_folder / "run", tmp_path / "run")


def test_a_map_of_a_run_folder_without_results_nc_is_refused(cli, run_copy, observed, tmp_path):
    """The facilitator's copy: a map without the curves' grades and citations, exit 0."""
    _refused(cli, run_copy, "results.nc", ["map", "report sendai"], observed, tmp_path)


def test_the_sendai_tables_of_a_run_folder_without_summary_json_are_refused(
    cli, run_copy, observed, tmp_path
):
    _refused(cli, run_copy, "summary.json", list(COMMANDS), observed, tmp_path)


def test_every_command_refuses_a_run_folder_without_zones_csv_in_the_same_line(
    cli, run_copy, observed, tmp_path
):
    """compare and evaluate said ``<run>: not a run folder (no zones.csv)``."""
    _refused(cli, run_copy, "zones.csv", list(COMMANDS), observed, tmp_path)


@pytest.mark.parametrize(
    "missing", ["bands.csv", "zones_bands.csv", "displaced.tif", "sendai.csv", "zones.gpkg"]
)
def test_the_map_refuses_a_run_folder_without_a_file_it_draws(
    cli, run_copy, observed, tmp_path, missing
):
    """Without bands.csv, displaced.tif or sendai.csv the map lost layers or popups
    (exit 0); without zones.gpkg it said ``no admin boundaries to map``."""
    _refused(cli, run_copy, missing, ["map"], observed, tmp_path)


def test_profile_and_needs_refuse_a_run_folder_without_its_boundaries(
    cli, run_copy, observed, tmp_path
):
    """The profiles lost their locator maps (exit 0)."""
    _refused(cli, run_copy, "zones.gpkg", ["profile", "needs"], observed, tmp_path)


def test_a_run_without_its_optional_files_is_read_by_every_command(cli, tmp_path):
    """A run made with --no-map, without groups of people, sites, allocation or
    futures: every command reads it."""
    inputs = tmp_path / "inputs"
    data = basic_case(inputs)
    scenario = {"type": "river_flood", "intensity": "rp100.tif", "scenario": "test"}
    data["hazards"].append({"id": "flood", **scenario, "curve": "flood_step_1m"})
    run = tmp_path / "run"
    result = cli("run", write_run(inputs, data), "--out", run, "--no-map")
    assert result.exit_code == 0, result.output
    optional = ["map.html", "zones_disaggregated.csv", "sites.csv", "allocation.csv"]
    assert not any((run / name).exists() for name in [*optional, "futures.csv"])
    observed = tmp_path / "observed.csv"
    observed.write_text("zone_code,value\nA,5\nB,10\n", encoding="utf-8")
    for name, command in COMMANDS.items():
        out = tmp_path / f"out-{name.replace(' ', '-')}"
        result = cli(*command(run, out, (observed, "flood")))
        assert result.exit_code == 0, (name, result.output)
        assert out.is_dir(), name


def test_profile_refuses_a_run_folder_without_its_sendai_table(cli, run_copy, observed, tmp_path):
    """The profiles dropped their Sendai section without a word (exit 0)."""
    _refused(cli, run_copy, "sendai.csv", ["profile"], observed, tmp_path)
