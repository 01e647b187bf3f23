"""What no command may do to a user's folders, and how it says it cannot write.

- an ``--out`` that is, holds or lies inside a finished run folder, or holds the run's
  inputs, is refused by every command that reads a run (one line, exit 2), even with
  ``--overwrite``: nothing is deleted;
- ``mecc run --overwrite`` replaces only an earlier run folder, never the folder of its
  own run file and inputs, the current folder or a folder that is not a run;
- a folder that cannot be written, or a full disk, is one line and exit 1 (not "a bug
  in mecc"), and nothing half-written is left;
- a results.nc that is damaged, or that another run wrote, is refused in one line;
- ``mecc map`` and ``mecc compare`` refuse an existing folder without ``--overwrite``;
- a reader that stops early (``mecc curves list | head``) ends mecc quietly.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests._errors import one_error_line
from tests._run_inputs import basic_case, hidden_entries, snapshot, write_run

ROOT = Path(__file__).resolve().parents[1]

READERS = {
    "report": lambda run, out: ["report", "sendai", run, "--out", out, "--overwrite"],
    "needs": lambda run, out: ["needs", run, "--out", out, "--overwrite"],
    "profile": lambda run, out: ["profile", run, "--no-pdf", "--out", out, "--overwrite"],
    "map": lambda run, out: ["map", run, "--out", out, "--overwrite"],
    "evaluate": lambda run, out: [
        "evaluate",
        run,
        "--observed",
        run.parent / "observed.csv",
        "--out",
        out,
        "--overwrite",
    ],
    "compare": lambda run, out: ["compare", run, run, "--out", out, "--overwrite"],
}


@pytest.fixture
def demo(demo_folder, tmp_path):
    """A copy of the demo (inputs/, run/, demo.json) that a test may put at risk."""
    copy = shutil.copytree(demo_folder, tmp_path / "demo")
    (tmp_path / "demo" / "observed.csv").write_text("zone_code,value\nXMR0101,10\n")
    return copy


@pytest.mark.parametrize("command", list(READERS))
@pytest.mark.parametrize(
    ("out", "words"),
    [
        (".", "holds the run folder"),
        ("inputs", "holds"),
        ("run", "is the run folder"),
        ("run/sub", "lies inside the run folder"),
    ],
    ids=["parent", "inputs", "run", "inside"],
)
def test_an_out_over_a_run_or_its_inputs_is_refused(cli, demo, command, out, words):
    before = snapshot(demo)
    line = one_error_line(cli(*READERS[command](demo / "run", demo / out)), 2)
    assert f"--out {demo / out}: {words}" in line, line
    assert "choose a folder outside the run folder and its inputs" in line
    assert snapshot(demo) == before  # nothing deleted, nothing written
    assert not (demo / "run" / "sub").exists()
    assert hidden_entries(demo) == [] and hidden_entries(demo.parent) == []


@pytest.mark.parametrize("command", list(READERS))
def test_overwrite_replaces_only_an_earlier_output_of_the_same_command(cli, demo, command):
    """``--overwrite`` replaced any folder it was pointed at (a folder of notes, another
    command's output): it now replaces only what the same command wrote before."""
    mine = demo.parent / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me", encoding="utf-8")
    line = one_error_line(cli(*READERS[command](demo / "run", mine)), 2)
    assert f"{mine}: not a folder `mecc " in line and "of the same command" in line, line
    assert (mine / "notes.txt").read_text(encoding="utf-8") == "keep me"
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"]
    if command == "evaluate":  # needs a scenario run: tests/test_evaluate.py
        return
    out = demo.parent / "out"
    for _ in range(2):  # its own earlier output is replaced
        result = cli(*READERS[command](demo / "run", out))
        assert result.exit_code == 0, result.output
    other = "report" if command == "map" else "map"
    line = one_error_line(cli(*READERS[other](demo / "run", out)), 2)
    assert "not a folder `mecc " in line and "of the same command" in line, line
    assert (out / ".mecc-output.json").is_file()
    assert hidden_entries(demo.parent) == []


def test_needs_overwrite_never_replaces_its_capacity_table(cli, demo):
    """The capacity table inside an earlier ``mecc needs`` output: replacing that folder
    would delete the table the command reads."""
    out = demo.parent / "needs"
    assert cli("needs", demo / "run", "--out", out).exit_code == 0
    (out / "shelters.csv").write_text("zone_code,capacity\nXMR0101,100\n", encoding="utf-8")
    line = one_error_line(
        cli("needs", demo / "run", "--out", out, "--capacity", out / "shelters.csv", "--overwrite"),
        2,
    )
    assert "shelters.csv, a file this run reads" in line, line
    assert (out / "shelters.csv").is_file()


def test_training_build_overwrite_never_replaces_its_locales(cli, tmp_path):
    locales = tmp_path / "loc"
    (locales / "xx").mkdir(parents=True)
    (locales / "xx" / "notes.txt").write_text("a translator's work", encoding="utf-8")
    result = cli("training", "build", "--locales", locales, "--out", locales, "--overwrite")
    assert result.exit_code == 2, result.output
    assert (locales / "xx" / "notes.txt").read_text(encoding="utf-8") == "a translator's work"


@pytest.fixture
def case(tmp_path):
    """A small valid run file with its inputs in tmp_path/case."""
    folder = tmp_path / "case"
    return write_run(folder, basic_case(folder))


def test_run_overwrite_never_replaces_its_own_inputs(cli, case, tmp_path):
    inputs = snapshot(case.parent)
    for out in (case.parent, tmp_path):  # the run file's folder, and a folder holding it
        line = one_error_line(cli("run", case, "--out", out, "--overwrite"), 2)
        assert line.startswith(f"error: {out}: holds ") and "a file this run reads" in line
    assert snapshot(case.parent) == inputs
    assert hidden_entries(tmp_path) == []


def test_run_overwrite_replaces_only_an_earlier_run(cli, case, tmp_path):
    mine = tmp_path / "documents"
    mine.mkdir()
    (mine / "letter.txt").write_text("not a run", encoding="utf-8")
    line = one_error_line(cli("run", case, "--out", mine, "--overwrite"), 2)
    assert "not a run folder of mecc" in line and "--overwrite replaces only an earlier run" in line
    assert (mine / "letter.txt").read_text(encoding="utf-8") == "not a run"
    earlier = tmp_path / "earlier"
    assert cli("run", case, "--out", earlier, "--no-map").exit_code == 0
    again = cli("run", case, "--out", earlier, "--overwrite", "--no-map")
    assert again.exit_code == 0, again.stderr
    assert (earlier / "manifest.json").is_file()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli("run", case, "--out", empty, "--overwrite", "--no-map").exit_code == 0


def test_run_into_the_current_folder_is_refused(cli, case, tmp_path, monkeypatch):
    here = tmp_path / "here"
    (here / "deeper").mkdir(parents=True)
    (here / "notes.txt").write_text("keep me", encoding="utf-8")
    monkeypatch.chdir(here / "deeper")
    for out, words in ((".", "is the current folder"), ("..", "holds the current folder")):
        line = one_error_line(cli("run", case, "--out", out, "--overwrite"), 2)
        assert words in line, line
    assert (here / "notes.txt").read_text(encoding="utf-8") == "keep me"
    assert (here / "deeper").is_dir()


# --------------------------------------------------- folders that cannot be written


@pytest.fixture
def read_only(tmp_path):
    """A folder nobody may write into (chattr +i for root, chmod 555 otherwise)."""
    folder = tmp_path / "ro"
    folder.mkdir()
    if os.geteuid() == 0:
        done = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, check=False)
        if done.returncode != 0:
            pytest.skip("cannot make a folder read-only for root here (chattr)")
        yield folder
        subprocess.run(["chattr", "-i", str(folder)], check=True)
    else:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)


@pytest.mark.parametrize(
    "command",
    [
        lambda run, out: ["report", "sendai", run, "--out", out],
        lambda run, out: ["map", run, "--out", out],
        lambda run, out: ["needs", run, "--out", out],
        lambda run, out: ["profile", run, "--no-pdf", "--out", out],
        lambda run, out: ["init", "--country", "KEN", out],
        lambda run, out: [
            "hazard", "earthquake", "--magnitude", "6", "--lat", "0", "--lon", "0",
            "--depth-km", "10", "--bounds", "-1", "-1", "1", "1", "--resolution", "0.1",
            "--out", f"{out}.tif",
        ],
    ],
    ids=["report", "map", "needs", "profile", "init", "hazard"],
)  # fmt: skip
def test_a_folder_that_cannot_be_written_is_one_line_exit_1(cli, demo_folder, read_only, command):
    out = read_only / "out"
    result = cli(*command(demo_folder / "run", out))
    line = one_error_line(result, 1)
    assert line.startswith(f"error: cannot write to {out}") and "(permission denied)" in line
    assert "bug" not in result.stderr
    assert list(read_only.iterdir()) == []


def _disk_full_after(nbytes):
    """A ``write`` that writes ``nbytes`` then fails as a full disk does."""

    def write(self, text, *args, **kwargs):
        with open(self, "w", encoding="utf-8") as handle:
            handle.write(text[:nbytes])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    return write


def test_a_full_disk_leaves_nothing_and_is_one_line(cli, demo_folder, tmp_path, monkeypatch):
    import mecc.sendai_writers

    monkeypatch.setattr(Path, "write_text", _disk_full_after(1000))
    out = tmp_path / "maps"
    line = one_error_line(cli("map", demo_folder / "run", "--out", out), 1)
    assert line == f"error: no space left on device writing {out}"
    assert list(tmp_path.iterdir()) == []  # no map.html.partial, no staging folder

    def sendai_disk_full(tables, folder):
        (Path(folder) / "sendai.csv.partial").write_bytes(b"half a table")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(mecc.sendai_writers, "write_sendai", sendai_disk_full)
    out = tmp_path / "sendai"
    line = one_error_line(cli("report", "sendai", demo_folder / "run", "--out", out), 1)
    assert line == f"error: no space left on device writing {out}"
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------- results.nc


SMALL_RUN = """country: XMR
name: Small test
population: {path: population.tif, kind: count, year: 2025}
zones: {path: admin.gpkg, code_field: pcode, name_field: name, layer: districts, level: 2}
hazards:
  - {id: quake, type: earthquake, intensity: earthquake_mmi.tif, scenario: test quake,
     curve: eq_mmi6_survivors}
"""


def test_a_results_nc_of_another_run_is_refused(cli, demo, case, tmp_path):
    (demo / "inputs" / "small.yaml").write_text(SMALL_RUN, encoding="utf-8")
    small, other = tmp_path / "small", tmp_path / "other"
    assert cli("run", demo / "inputs" / "small.yaml", "--out", small, "--no-map").exit_code == 0
    assert cli("run", case, "--out", other, "--no-map").exit_code == 0
    mixed = demo / "run"
    for source, words in (
        (small, "(only in results.nc: hazards quake; only in summary.json: hazards "
         "cyclone_wind, earthquake, river_flood, river_flood_years, sea_level_rise, ... "
         "(6 in all))"),
        (other, "(country AAA, summary.json: XMR)"),
    ):  # fmt: skip
        shutil.copyfile(source / "results.nc", mixed / "results.nc")
        _refused_as_another_runs(cli, mixed, words, tmp_path)


def _refused_as_another_runs(cli, run, words, tmp_path) -> None:
    """report sendai and map refuse ``run``'s results.nc as another run's, writing nothing."""
    for args in (["report", "sendai"], ["map"]):
        out = tmp_path / f"out-{args[0]}"
        line = one_error_line(cli(*args, run, "--out", out), 1)
        assert line == (
            f"error: {run / 'results.nc'}: written by another run {words}; copy the "
            "run folder whole or run again"
        )
        assert not out.exists()


def test_a_results_nc_of_another_run_of_the_same_layout_is_refused(cli, case, tmp_path):
    """Two runs of the same country, hazards and units (e.g. with other curves) are told
    apart by the run identifier in summary.json and results.nc."""
    first, second = tmp_path / "first", tmp_path / "second"
    for out in (first, second):
        assert cli("run", case, "--out", out, "--no-map").exit_code == 0
    ids = [json.loads((out / "summary.json").read_text())["run_id"] for out in (first, second)]
    assert len(ids[0]) == 32 and ids[0] != ids[1]
    out = tmp_path / "report"
    assert cli("report", "sendai", first, "--out", out).exit_code == 0  # its own: fine
    shutil.copyfile(second / "results.nc", first / "results.nc")
    words = f"(run {ids[1][:8]}, summary.json: run {ids[0][:8]})"
    _refused_as_another_runs(cli, first, words, tmp_path)


@pytest.mark.parametrize(
    "damage",
    [lambda data: data[:1000], lambda data: b""],
    ids=["truncated", "empty"],
)
def test_a_damaged_results_nc_is_not_blamed_on_an_older_mecc(cli, demo_folder, tmp_path, damage):
    run = shutil.copytree(demo_folder / "run", tmp_path / "run")
    (run / "results.nc").write_bytes(damage((run / "results.nc").read_bytes()))
    for args in (["report", "sendai"], ["map"]):
        out = tmp_path / f"out-{args[0]}"
        line = one_error_line(cli(*args, run, "--out", out), 1)
        assert line.startswith(f"error: {run / 'results.nc'}: damaged or unreadable ("), line
        assert line.endswith("; run again (mecc run)") and "older" not in line
        assert not out.exists()


# ------------------------------------------------------------- map and compare --out


def test_map_refuses_an_existing_folder_without_overwrite(cli, demo_folder, tmp_path):
    maps = tmp_path / "maps"
    maps.mkdir()
    (maps / "map.html").write_text("<html>my edited map</html>", encoding="utf-8")
    line = one_error_line(cli("map", demo_folder / "run", "--out", maps), 2)
    assert "folder exists and is not empty; use --overwrite" in line
    assert (maps / "map.html").read_text(encoding="utf-8") == "<html>my edited map</html>"
    # a folder mecc map did not write is not replaced, with --overwrite either
    line = one_error_line(cli("map", demo_folder / "run", "--out", maps, "--overwrite"), 2)
    assert "not a folder `mecc map` wrote" in line
    assert (maps / "map.html").read_text(encoding="utf-8") == "<html>my edited map</html>"
    written = tmp_path / "written"
    for _ in range(2):
        result = cli("map", demo_folder / "run", "--out", written, "--overwrite")
        assert result.exit_code == 0, result.stderr
    assert (written / "map.html").read_bytes() == (demo_folder / "run" / "map.html").read_bytes()
    assert hidden_entries(tmp_path) == []


def test_compare_overwrite_and_what_differs(cli, demo_folder, case, tmp_path):
    run = demo_folder / "run"
    out = tmp_path / "cmp"
    assert cli("compare", run, run, "--out", out).exit_code == 0
    again = one_error_line(cli("compare", run, run, "--out", out), 2)
    assert "use --overwrite to replace it" in again
    assert cli("compare", run, run, "--out", out, "--overwrite").exit_code == 0
    other = tmp_path / "other"
    assert cli("run", case, "--out", other, "--no-map").exit_code == 0
    line = one_error_line(cli("compare", run, other, "--out", tmp_path / "cmp2"), 1)
    assert f"{run} alone has hazards cyclone_wind, earthquake, river_flood" in line, line
    assert "(6 in all) and zones XMR01, XMR0101" in line
    assert line.endswith(f"; {other} alone has hazards rf and zones A, B")
    codes = re.findall(r"XMR\d+", line)
    assert len(codes) == len(set(codes)) == 5  # distinct codes, not one code five times
    assert not (tmp_path / "cmp2").exists()


# ------------------------------------------------------------------------ pipes


@pytest.mark.parametrize(
    "args", [["curves", "list"], ["curves", "show", "flood_step_1m"]], ids=["list", "show"]
)
def test_a_reader_that_stops_early_ends_mecc_quietly(args):
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before mecc writes: every write is EPIPE
    try:
        done = subprocess.run(
            [sys.executable, "-m", "mecc", *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
            check=False,
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert done.returncode == 141, done.stderr
    assert done.stderr == ""


def test_overwrite_through_a_link_replaces_the_run_it_names(cli, case, tmp_path):
    """--out a symlink to an earlier run: the link was replaced by a real folder, the run
    it named left stale and a dangling '.<name>.old-...' link left in the folder."""
    real = tmp_path / "runs" / "2026"
    assert cli("run", case, "--out", real, "--no-map").exit_code == 0
    link = tmp_path / "latest"
    link.symlink_to(real, target_is_directory=True)
    (real / "zones.csv").write_text("stale", encoding="utf-8")
    result = cli("run", case, "--out", link, "--overwrite", "--no-map")
    assert result.exit_code == 0, result.stderr
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert (real / "zones.csv").read_text(encoding="utf-8-sig").startswith("zone_code")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case", "latest", "runs"]
    assert sorted(p.name for p in real.parent.iterdir()) == ["2026"]


def test_an_out_with_a_backslash_says_to_use_slashes(cli, case, tmp_path, monkeypatch):
    """'runs\\civ' typed as on Windows: the run failed late in HDF5 with "permission
    denied" for a folder that could be written; it is now one line, before any work."""
    monkeypatch.chdir(tmp_path)
    line = one_error_line(cli("run", case, "--out", "runs\\civ", "--no-map"), 2)
    assert "a backslash is not a folder separator" in line and "use /" in line
    assert not (tmp_path / "runs\\civ").exists() and hidden_entries(tmp_path) == []
