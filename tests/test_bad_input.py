"""Bad data, output folders and failures during a run: exit codes, one clear error
line, nothing half-written (bad usage is in tests/test_bad_usage.py).

The run contract (DESIGN.md): exit 1 for bad data, 2 for bad usage, 3 for a bug; one
line on stderr naming the file and the field; unknown keys get a did-you-mean; a failed
run leaves no output folder and no staging folder; an existing run folder is replaced
only with --overwrite.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests._errors import expect_error
from tests._run_inputs import (
    DEPTH,
    POP,
    basic_case,
    cell_box,
    event_hazard,
    hidden_entries,
    snapshot,
    write_run,
    write_zones,
)
from tests.conftest import write_raster

REPORT_URL = "https://github.com/mecc-toolkit/mecc/issues"


@pytest.fixture
def case(tmp_path):
    """A valid case in tmp_path/case; returns (folder, run mapping)."""
    folder = tmp_path / "case"
    return folder, basic_case(folder)


# ------------------------------------------------------------------ bad data (exit 1)


def test_missing_population_file(cli, case, tmp_path):
    folder, run = case
    (folder / "pop.tif").unlink()
    expect_error(
        cli, write_run(folder, run), tmp_path / "out", 1, "run.yaml", "population.path", "pop.tif"
    )


@pytest.mark.parametrize(
    "written", ["C:\\Users\\ana\\pop.tif", "Donn\u00e9es\\pop.tif", "D:/data/pop.tif"]
)
def test_a_windows_path_says_how_paths_are_written_here(cli, case, tmp_path, written):
    """A run file made on Windows: the error names the path and says to write / and no
    drive letter (it only said 'file not found' with the path glued to the folder)."""
    folder, run = case
    run["population"]["path"] = written
    line = expect_error(cli, write_run(folder, run), tmp_path / "out", 1, "population.path")
    assert "file not found" in line and "write paths with / (not \\)" in line


def test_a_path_from_the_home_folder_is_read_as_a_shell_reads_it(cli, case, tmp_path, monkeypatch):
    folder, run = case
    monkeypatch.setenv("HOME", str(folder))
    run["population"]["path"] = "~/pop.tif"
    result = cli("run", write_run(folder, run), "--out", tmp_path / "out", "--no-map")
    assert result.exit_code == 0, result.stderr
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    population = next(i for i in manifest["inputs"] if i["role"] == "population")
    assert population["path"] == "pop.tif"  # the home folder is the run file's here


@pytest.mark.parametrize(
    ("missing", "mutate", "needles"),
    [
        ("rp10.tif", None, ("run.yaml", "hazards[0]", "return_periods.10", "rp10.tif")),
        ("ev.tif", "events", ("run.yaml", "hazards[0]", "intensity", "ev.tif")),
        ("events.csv", "events", ("run.yaml", "hazards[0]", "events", "events.csv")),
        ("zones.geojson", None, ("run.yaml", "zones.path", "zones.geojson")),
    ],
    ids=["return-period grid", "event grid", "events table", "zones"],
)
def test_missing_input_file(cli, case, tmp_path, missing, mutate, needles):
    folder, run = case
    if mutate == "events":
        run["hazards"] = [event_hazard()]
    (folder / missing).unlink()
    line = expect_error(cli, write_run(folder, run), tmp_path / "out", 1, *needles)
    assert "not found" in line or "cannot" in line


def test_missing_curve_file_suggests_a_built_in_curve(cli, case, tmp_path):
    folder, run = case
    run["hazards"][0]["curve"] = "flood_step_1n"
    line = expect_error(
        cli, write_run(folder, run), tmp_path / "out", 1, "run.yaml", "hazards[0]", "curve"
    )
    assert "did you mean the built-in curve 'flood_step_1m'" in line


@pytest.mark.parametrize(
    ("target", "needles"),
    [
        ("pop.tif", ("population.path", "pop.tif")),
        ("rp10.tif", ("return_periods", "rp10.tif")),
    ],
)
def test_corrupt_raster(cli, case, tmp_path, target, needles):
    folder, run = case
    (folder / target).write_bytes(np.random.default_rng(0).bytes(3000))
    expect_error(cli, write_run(folder, run), tmp_path / "out", 1, *needles)


@pytest.mark.parametrize(
    ("target", "data", "needles"),
    [
        ("pop.tif", POP, ("population.path", "pop.tif", "CRS")),
        ("rp10.tif", DEPTH * 0.5, ("return_periods", "rp10.tif", "CRS")),
    ],
)
def test_raster_without_crs(cli, case, tmp_path, target, data, needles):
    folder, run = case
    write_raster(folder / target, data, crs=None)
    expect_error(cli, write_run(folder, run), tmp_path / "out", 1, *needles)


def test_hazard_not_overlapping_population(cli, case, tmp_path):
    folder, run = case
    far = (folder / "rp10.tif").parent
    from affine import Affine

    elsewhere = Affine(0.1, 0, 100.0, 0, -0.1, -20.0)
    write_raster(far / "rp10.tif", DEPTH * 0.5, transform=elsewhere)
    write_raster(far / "rp100.tif", DEPTH, transform=elsewhere)
    line = expect_error(cli, write_run(folder, run), tmp_path / "out", 1, "rf", "rp10.tif")
    assert "overlap" in line


def test_negative_population(cli, case, tmp_path):
    folder, run = case
    pop = POP.copy()
    pop[2, 1] = -5
    write_raster(folder / "pop.tif", pop)
    line = expect_error(
        cli, write_run(folder, run), tmp_path / "out", 1, "population.path", "pop.tif"
    )
    assert "negative" in line and "-5" in line
    assert "row 2, column 1" in line


def test_nan_only_population(cli, case, tmp_path):
    folder, run = case
    write_raster(folder / "pop.tif", np.full((4, 4), np.nan))
    expect_error(
        cli, write_run(folder, run), tmp_path / "out", 1, "population.path", "pop.tif", "nodata"
    )


def test_declared_nodata_only_population(cli, case, tmp_path):
    folder, run = case
    write_raster(folder / "pop.tif", np.full((4, 4), -99.0), nodata=-99.0)
    expect_error(cli, write_run(folder, run), tmp_path / "out", 1, "population.path", "pop.tif")


def test_non_monotonic_curve(cli, case, tmp_path):
    folder, run = case
    (folder / "curve.csv").write_text("intensity,share\n0,0\n2,0.5\n1,1\n", encoding="utf-8")
    run["hazards"][0]["curve"] = "curve.csv"
    line = expect_error(cli, write_run(folder, run), tmp_path / "out", 1, "curve.csv", "intensity")
    assert "decrease" in line


@pytest.mark.parametrize("share", ["1.5", "-0.2"])
def test_curve_share_outside_unit_interval(cli, case, tmp_path, share):
    folder, run = case
    (folder / "curve.csv").write_text(f"intensity,share\n0,0\n1,{share}\n2,1\n", encoding="utf-8")
    run["hazards"][0]["curve"] = "curve.csv"
    line = expect_error(cli, write_run(folder, run), tmp_path / "out", 1, "curve.csv", "share")
    assert "[0, 1]" in line


def test_inline_curve_share_outside_unit_interval(cli, case, tmp_path):
    folder, run = case
    run["hazards"][0]["curve"] = {"intensity": [0, 1], "share": [0, 1.2]}
    expect_error(cli, write_run(folder, run), tmp_path / "out", 1, "run.yaml", "curve", "share")


@pytest.mark.parametrize("frequency", ["0", "-0.1"])
def test_event_frequency_not_positive(cli, case, tmp_path, frequency):
    folder, run = case
    run["hazards"] = [event_hazard()]
    (folder / "events.csv").write_text(f"band,frequency\n1,0.1\n2,{frequency}\n", encoding="utf-8")
    line = expect_error(
        cli, write_run(folder, run), tmp_path / "out", 1, "events", "frequency", "line 3"
    )
    # the bad value sits in events.csv: the line must name that file and show the value
    assert "events.csv" in line
    assert f"got {frequency}" in line or f"got '{frequency}'" in line


@pytest.mark.parametrize(
    "rows",
    [
        "1,0.1\n",  # fewer rows than raster bands
        "1,0.1\n2,0.01\n3,0.001\n",  # a band the raster does not have
    ],
)
def test_events_bands_not_matching_raster(cli, case, tmp_path, rows):
    folder, run = case
    run["hazards"] = [event_hazard()]
    (folder / "events.csv").write_text("band,frequency\n" + rows, encoding="utf-8")
    line = expect_error(cli, write_run(folder, run), tmp_path / "out", 1, "events", "band")
    assert "2 bands" in line


def test_duplicate_zone_codes(cli, case, tmp_path):
    folder, run = case
    write_zones(
        folder / "zones.geojson",
        ["A", "A"],
        [cell_box(0, 0, rows=4, cols=2), cell_box(0, 2, rows=4, cols=2)],
    )
    line = expect_error(
        cli,
        write_run(folder, run),
        tmp_path / "out",
        1,
        "run.yaml",
        "zones.code_field",
        "zones.geojson",
    )
    assert "'A'" in line


def test_zones_without_crs(cli, case, tmp_path):
    folder, run = case
    write_zones(
        folder / "zones.shp",
        ["A", "B"],
        [cell_box(0, 0, rows=4, cols=2), cell_box(0, 2, rows=4, cols=2)],
    )
    (folder / "zones.prj").unlink()
    run["zones"]["path"] = "zones.shp"
    expect_error(cli, write_run(folder, run), tmp_path / "out", 1, "zones", "zones.shp", "CRS")


def test_zones_given_as_a_table_without_shapes(cli, case, tmp_path):
    folder, run = case
    (folder / "zones.csv").write_text("code,name\nA,Zone A\nB,Zone B\n", encoding="utf-8")
    run["zones"]["path"] = "zones.csv"
    line = expect_error(cli, write_run(folder, run), tmp_path / "out", 1, "zones", "zones.csv")
    assert "no boundaries in this file" in line


def test_zone_field_missing_with_suggestion(cli, case, tmp_path):
    folder, run = case
    run["zones"]["code_field"] = "cod"
    line = expect_error(cli, write_run(folder, run), tmp_path / "out", 1, "code_field", "'cod'")
    assert "did you mean 'code'" in line


# --------------------------------------------------------------- output folder


def test_existing_output_folder_needs_overwrite(cli, case, tmp_path):
    folder, run = case
    run_file = write_run(folder, run)
    out = tmp_path / "out"
    assert cli("run", run_file, "--out", out).exit_code == 0
    (out / "notes.txt").write_text("my notes", encoding="utf-8")
    line = expect_error(cli, run_file, out, 2, str(out), "--overwrite", input_error=False)
    assert (out / "notes.txt").read_text(encoding="utf-8") == "my notes"
    assert "exists" in line


def test_existing_folder_with_foreign_file_is_refused(cli, case, tmp_path):
    folder, run = case
    out = tmp_path / "out"
    out.mkdir()
    (out / "thesis.docx").write_bytes(b"precious")
    expect_error(cli, write_run(folder, run), out, 2, str(out), "--overwrite", input_error=False)


def test_existing_empty_output_folder_is_used(cli, case, tmp_path):
    folder, run = case
    out = tmp_path / "out"
    out.mkdir()
    result = cli("run", write_run(folder, run), "--out", out)
    assert result.exit_code == 0, result.stderr
    assert (out / "summary.json").is_file()
    assert hidden_entries(tmp_path) == []


def test_overwrite_replaces_the_whole_folder(cli, case, tmp_path):
    folder, run = case
    out = tmp_path / "out"
    assert cli("run", write_run(folder, run), "--out", out).exit_code == 0
    (out / "futures.csv").write_text("from an earlier run with futures", encoding="utf-8")
    old_summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert list(old_summary["hazards"]) == ["rf"]

    run["hazards"] = [event_hazard("ev_new")]
    result = cli("run", write_run(folder, run), "--out", out, "--overwrite")
    assert result.exit_code == 0, result.stderr
    assert not (out / "futures.csv").exists()  # a file of the earlier run only
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert list(summary["hazards"]) == ["ev_new"]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert list(manifest["parameters"]["hazards"]) == ["ev_new"]
    assert "rf," not in (out / "zones.csv").read_text(encoding="utf-8-sig")
    assert hidden_entries(tmp_path) == []


# ------------------------------------------------------ failures during the run


def _fail_on(name, original):
    def write(frame, path):
        if path.name == name:
            raise RuntimeError(f"simulated failure while writing {name}")
        return original(frame, path)

    return write


def test_failure_mid_run_leaves_nothing(cli, case, tmp_path, monkeypatch):
    import mecc.run

    folder, run = case
    monkeypatch.setattr(mecc.run, "write_csv", _fail_on("bands.csv", mecc.run.write_csv))
    out = tmp_path / "out"
    result = cli("run", write_run(folder, run), "--out", out)
    assert result.exit_code == 3
    assert not out.exists()
    assert hidden_entries(tmp_path) == []


def test_failure_mid_run_keeps_previous_run_with_overwrite(cli, case, tmp_path, monkeypatch):
    import mecc.run

    folder, run = case
    run_file = write_run(folder, run)
    out = tmp_path / "out"
    assert cli("run", run_file, "--out", out).exit_code == 0
    before = snapshot(out)
    monkeypatch.setattr(mecc.run, "write_csv", _fail_on("exceedance.csv", mecc.run.write_csv))
    result = cli("run", run_file, "--out", out, "--overwrite")
    assert result.exit_code == 3
    assert snapshot(out) == before
    assert hidden_entries(tmp_path) == []


def test_bad_data_found_late_leaves_nothing(cli, case, tmp_path, monkeypatch):
    """A MeccError raised while outputs are being written: exit 1, no folder left."""
    import mecc.cell_grid
    from mecc.errors import DataError

    folder, run = case

    def broken_close(self):
        raise DataError("displaced.tif: simulated write problem")

    monkeypatch.setattr(mecc.cell_grid.CellGridWriter, "close", broken_close)
    out = tmp_path / "out"
    result = cli("run", write_run(folder, run), "--out", out)
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == ["error: displaced.tif: simulated write problem"]
    assert not out.exists()
    assert hidden_entries(tmp_path) == []


# ----------------------------------------------------------------- internal error


def _break_engine(monkeypatch):
    import mecc.engine

    def boom(*args, **kwargs):
        raise RuntimeError("simulated bug in the engine")

    monkeypatch.setattr(mecc.engine, "overlay", boom)


def test_internal_error_exit_3_with_report_line(cli, case, tmp_path, monkeypatch):
    folder, run = case
    _break_engine(monkeypatch)
    out = tmp_path / "out"
    result = cli("run", write_run(folder, run), "--out", out)
    assert result.exit_code == 3
    assert "Traceback" not in result.stderr
    assert "RuntimeError: simulated bug in the engine" in result.stderr
    report = [line for line in result.stderr.splitlines() if "This is a bug" in line]
    assert report and REPORT_URL in report[0]
    assert not out.exists()
    assert hidden_entries(tmp_path) == []


def test_verbose_prints_traceback(cli, case, tmp_path, monkeypatch):
    folder, run = case
    _break_engine(monkeypatch)
    result = cli("-v", "run", write_run(folder, run), "--out", tmp_path / "out")
    assert result.exit_code == 3
    assert "Traceback (most recent call last)" in result.stderr
    assert "simulated bug in the engine" in result.stderr
    assert REPORT_URL in result.stderr


def test_verbose_traceback_for_bad_data_too(cli, case, tmp_path):
    folder, run = case
    (folder / "pop.tif").unlink()
    result = cli("-v", "run", write_run(folder, run), "--out", tmp_path / "out")
    assert result.exit_code == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error:")


def test_out_is_an_existing_file(cli, case, tmp_path):
    folder, run = case
    out = tmp_path / "out"
    out.write_text("not a folder", encoding="utf-8")
    result = cli("run", write_run(folder, run), "--out", out)
    # refused by Click's option check (a usage error in Click's own format)
    assert result.exit_code == 2
    assert str(out) in result.stderr and "--out" in result.stderr
    assert out.read_text(encoding="utf-8") == "not a folder"
    assert hidden_entries(tmp_path) == []
