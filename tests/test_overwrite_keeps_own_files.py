"""``--overwrite`` replaces an output folder of mecc only while it holds nothing of the user's.

A user probe: ``mecc run --overwrite`` deleted a QGIS project saved next to a run's
zones.gpkg, with exit 0 and no message. Now a run folder, a batch's run folder, the demo
folder and the other commands' folders are replaced only when every file in them is one
mecc wrote (:mod:`mecc.output_guard`): anything else is refused in one line, exit 2,
nothing touched. Files mecc wrote (also later, by another command, into a subfolder),
GIS programs' sidecars, file managers' files and empty folders do not stop a rerun.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mecc.errors import OutputExistsError
from mecc.output_guard import OUTPUT_MARKER, foreign_files
from mecc.outputs import OutputFolder
from tests._errors import one_error_line
from tests._run_inputs import basic_case, hidden_entries, snapshot, write_run


def _austria(folder: Path, data: Path, name: str = "run.yaml") -> Path:
    """The probe's run file: Austria's population and river-flood depths."""
    d = data / "austria_flood"
    run = {
        "country": "AUT",
        "population": {"path": str(d / "pop_count.tif")},
        "hazards": [
            {
                "id": "rf",
                "type": "river_flood",
                "intensity": str(d / "hazard_depth.tif"),
                "events": str(d / "events.csv"),
                "curve": "flood_step_1m",
            }
        ],
    }
    return write_run(folder, run, name)


def _refused(result, folder: Path, *names) -> str:
    line = one_error_line(result, 2)
    assert line.startswith(f"error: {folder}: holds "), line
    for name in names:
        assert name in line, line
    assert "which no run of mecc wrote" in line and "choose another --out" in line, line
    return line


def test_a_qgis_project_saved_in_a_run_folder_is_never_deleted(cli, tmp_path, shared_data):
    run_file = _austria(tmp_path, shared_data)
    out = tmp_path / "out"
    assert cli("-q", "run", run_file, "--out", out, "--no-map").exit_code == 0
    (out / "project.qgz").write_text("notes", encoding="utf-8")
    before = snapshot(out)

    result = cli("-q", "run", run_file, "--out", out, "--overwrite", "--no-map")
    line = _refused(result, out, "project.qgz")
    assert "move it out of the folder" in line
    assert snapshot(out) == before  # nothing touched, the project kept
    assert hidden_entries(tmp_path) == []

    # a file the user's GIS wrote beside mecc's, a file manager's, an empty folder: mecc's
    (out / "project.qgz").unlink()
    (out / "displaced.tif.aux.xml").write_text("<PAMDataset/>", encoding="utf-8")
    (out / ".DS_Store").write_bytes(b"\0")
    (out / "scratch").mkdir()
    old_id = json.loads((out / "summary.json").read_text(encoding="utf-8"))["run_id"]
    again = cli("-q", "run", run_file, "--out", out, "--overwrite", "--no-map")
    assert again.exit_code == 0, again.stderr
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["run_id"] != old_id
    assert not (out / "displaced.tif.aux.xml").exists() and not (out / "scratch").exists()
    assert hidden_entries(tmp_path) == []


def test_a_users_folder_in_a_run_folder_is_named_and_kept(cli, tmp_path):
    folder, run = tmp_path / "case", basic_case(tmp_path / "case")
    run_file = write_run(folder, run)
    out = tmp_path / "out"
    assert cli("-q", "run", run_file, "--out", out, "--no-map").exit_code == 0
    (out / "notes" / "2025").mkdir(parents=True)
    (out / "notes" / "2025" / "a.txt").write_text("reviewed", encoding="utf-8")
    (out / "zz.txt").write_text("mine", encoding="utf-8")
    (out / "zzz.txt").write_text("mine", encoding="utf-8")
    before = snapshot(out)
    line = _refused(cli("run", run_file, "--out", out, "--overwrite"), out, "notes/, zz.txt")
    assert "and 1 more" in line and "move them out" in line
    assert snapshot(out) == before


def test_a_run_folder_inside_a_batch_folder_keeps_the_users_file(cli, tmp_path):
    folder, run = tmp_path / "case", basic_case(tmp_path / "case")
    files = [write_run(folder, run, "a.yaml"), write_run(folder, run, "b.yaml")]
    runs = tmp_path / "runs"
    assert cli("-q", "run", *files, "--out", runs, "--no-map").exit_code == 0
    first = cli("-q", "run", *files, "--out", runs, "--no-map", "--overwrite")
    assert first.exit_code == 0, first.stderr  # a batch of mecc's files only is replaced

    (runs / "a" / "project.qgz").write_text("notes", encoding="utf-8")
    before = snapshot(runs)
    batch = cli("-q", "run", *files, "--out", runs, "--no-map", "--overwrite")
    _refused(batch, runs, "a/project.qgz")
    assert snapshot(runs) == before
    member = cli("-q", "run", files[0], "--out", runs / "a", "--no-map", "--overwrite")
    _refused(member, runs / "a", "project.qgz")
    assert snapshot(runs) == before
    assert hidden_entries(tmp_path) == [] and hidden_entries(runs) == []

    other = cli("-q", "run", files[1], "--out", runs / "b", "--no-map", "--overwrite")
    assert other.exit_code == 0, other.stderr  # the other run's folder holds mecc's only


def test_the_demo_is_rebuilt_with_a_map_written_into_it_but_not_over_a_users_file(
    cli, tmp_path, demo_folder
):
    demo = tmp_path / "demo-output"
    shutil.copytree(demo_folder, demo, symlinks=True)
    marker = json.loads((demo / OUTPUT_MARKER).read_text(encoding="utf-8"))
    assert marker["command"] == "demo"
    assert {"demo.json", "inputs/run.yaml", "run/zones.gpkg"} <= set(marker["files"])

    (demo / "run" / "project.qgz").write_text("notes", encoding="utf-8")
    before = snapshot(demo)
    _refused(cli("demo", "--out", demo, "--overwrite"), demo, "run/project.qgz")
    assert snapshot(demo) == before
    (demo / "run" / "project.qgz").unlink()

    # the README's tour: a map in French written into the demo folder, then `make demo`
    assert cli("map", demo / "run", "--out", demo / "map", "--lang", "fr").exit_code == 0
    assert json.loads((demo / "map" / OUTPUT_MARKER).read_text(encoding="utf-8"))["files"] == [
        OUTPUT_MARKER,
        "map.html",
    ]
    for _ in range(2):  # `make demo` runs `mecc demo --out demo-output --overwrite`
        result = cli("demo", "--out", demo, "--overwrite")
        assert result.exit_code == 0, result.stderr
        assert (demo / "run" / "manifest.json").is_file() and not (demo / "map").exists()
    assert hidden_entries(tmp_path) == []


def test_a_report_folder_is_replaced_but_not_over_a_users_file(cli, tmp_path):
    folder, run = tmp_path / "case", basic_case(tmp_path / "case")
    out = tmp_path / "out"
    assert cli("-q", "run", write_run(folder, run), "--out", out, "--no-map").exit_code == 0
    tables = tmp_path / "tables"
    report = ("report", "sendai", out, "--out", tables, "--overwrite")
    assert cli(*report).exit_code == 0
    assert cli(*report).exit_code == 0  # an earlier report alone is replaced
    (tables / "sendai_checked.xlsx").write_bytes(b"PK")
    before = snapshot(tables)
    _refused(cli(*report), tables, "sendai_checked.xlsx")
    assert snapshot(tables) == before


def test_a_file_saved_during_the_run_stops_the_replacement(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.json").write_text('{"created_by": "mecc 0.1.0"}', encoding="utf-8")
    (out / "zones.csv").write_text("old", encoding="utf-8")
    folder = OutputFolder(out, overwrite=True, only_runs=True)
    with folder as staging:
        (staging / "zones.csv").write_text("new", encoding="utf-8")
        (out / "project.qgz").write_text("saved meanwhile", encoding="utf-8")
    with pytest.raises(OutputExistsError, match=r"out: holds project\.qgz, which no run"):
        folder.commit()
    assert (out / "zones.csv").read_text(encoding="utf-8") == "old"
    assert (out / "project.qgz").is_file() and hidden_entries(tmp_path) == []


def test_what_the_rule_counts_as_written_by_mecc(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "manifest.json").write_text('{"created_by": "mecc 0.1.0"}', encoding="utf-8")
    for name in ("zones.csv", "zones.gpkg", "zones.gpkg-wal", ".map.html.partial-12-0a1b2c3d"):
        (run / name).write_text("x", encoding="utf-8")
    (run / ".run.old-0a1b2c3d").mkdir()
    (run / "Thumbs.db").write_bytes(b"\0")
    (run / "~$sendai.xlsx").write_bytes(b"\0")  # Excel has the workbook open
    (run / ".~lock.sendai.xlsx#").write_text("LibreOffice", encoding="utf-8")
    assert foreign_files(run) == []
    (run / "zones.qml").write_text("a style of the user's", encoding="utf-8")
    (run / "zones.csv.bak").write_text("a copy of the user's", encoding="utf-8")
    assert foreign_files(run) == ["zones.csv.bak", "zones.qml"]

    # a marker written before it listed the files cannot tell its own files; the run
    # folders and marked folders inside it are still looked into
    legacy = tmp_path / "legacy"
    (legacy / "extra").mkdir(parents=True)
    (legacy / OUTPUT_MARKER).write_text('{"created_by": "mecc 0.1.0", "command": "demo"}')
    (legacy / "notes.txt").write_text("?", encoding="utf-8")
    (legacy / "extra" / "x").write_text("?", encoding="utf-8")
    shutil.copytree(run, legacy / "run")
    assert foreign_files(legacy) == ["run/zones.csv.bak", "run/zones.qml"]
