"""The ``mecc`` command line: help, version, output on success, warnings, -q."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import mecc
from tests._run_inputs import (
    basic_case,
    cell_box,
    hidden_entries,
    write_run,
    write_zones,
    write_zones_with_an_empty_unit,
)


def test_help(cli):
    result = cli("--help")
    assert result.exit_code == 0
    assert "Usage:" in result.stdout and "run" in result.stdout
    assert "--version" in result.stdout and "--verbose" in result.stdout
    assert result.stderr == ""
    assert cli("-h").stdout == result.stdout


def test_version(cli):
    result = cli("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"mecc {mecc.__version__}"


def test_run_help(cli):
    result = cli("run", "--help")
    assert result.exit_code == 0
    for option in ("RUN_FILE", "--out", "--overwrite", "--threads", "--block-size"):
        assert option in result.stdout, option


def test_run_without_out_is_usage_error(cli, tmp_path):
    run_file = write_run(tmp_path, basic_case(tmp_path))
    result = cli("run", run_file)
    assert result.exit_code == 2
    assert "--out" in result.stderr


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--bogus"], ("No such option '--bogus'", "(see 'mecc --help')")),
        (["nope"], ("No such command 'nope'", "(see 'mecc --help')")),
        (["run"], ("Missing argument 'RUN_FILE...'", "(see 'mecc run --help')")),
        (["report", "sendai"], ("Missing argument 'RUN_DIR'", "(see 'mecc report sendai --help')")),
        (
            ["hazard", "earthquake", "--magnitude", "six"],
            ("'--magnitude': 'six' is not a valid float", "mecc hazard earthquake --help"),
        ),
        (["map", "{file}"], ("'RUN_DIR'", "is a file", "(see 'mecc map --help')")),
    ],
    ids=["option", "command", "argument", "subcommand argument", "value", "file for folder"],
)
def test_usage_errors_are_one_line_with_exit_2(cli, tmp_path, args, words):
    """DESIGN.md: errors are one clear line on stderr; Click's own usage errors too."""
    a_file = tmp_path / "a_file"
    a_file.write_text("not a run folder", encoding="utf-8")
    result = cli(*[arg.format(file=a_file) for arg in args])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    assert result.stdout == ""


def test_a_group_without_its_command_shows_its_help(cli):
    result = cli("report")
    assert result.exit_code == 2 and "sendai" in result.stdout + result.stderr


def test_missing_run_file(cli, tmp_path):
    result = cli("run", tmp_path / "nope.yaml", "--out", tmp_path / "out")
    assert result.exit_code in (1, 2)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "nope.yaml" in lines[0]
    assert not (tmp_path / "out").exists()


def test_successful_run_prints_folder_and_headlines(cli, tmp_path):
    folder = tmp_path / "case"
    run_file = write_run(folder, basic_case(folder))
    out = tmp_path / "out"
    result = cli("run", run_file, "--out", out)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"wrote {out}"
    assert lines[1].strip() == f"map: {out / 'map.html'}"
    # rf (flood_step_1m): rp10 displaces column 3 (400 people), rp100 columns 2-3 (760);
    # trapezoid (0.1 - 0.01) x (400 + 760) / 2 = 52.2. Variants: low (1.5 m step) 0 and 400
    # -> 18.0; high (0.5 m step) columns 2-3 (760) and 1-3 (1080) -> 0.09 x 920 = 82.8
    assert lines[2].strip() == (
        "rf: AAD 52.2 people a year (range 18.0-82.8, curve variants; modelled estimate)"
    )
    assert result.stderr == ""
    assert (out / "summary.json").is_file() and (out / "map.html").is_file()
    again = cli("run", run_file, "--out", tmp_path / "plain", "--no-map")
    assert again.exit_code == 0, again.stderr
    assert not (tmp_path / "plain" / "map.html").exists()
    assert sorted(p.name for p in (tmp_path / "plain").iterdir()) == sorted(
        p.name for p in out.iterdir() if p.name != "map.html"
    )


def test_warnings_go_to_stderr(cli, tmp_path):
    folder = tmp_path / "case"
    run = basic_case(folder)
    write_zones_with_an_empty_unit(folder)  # unit C receives no cell
    out = tmp_path / "out"
    result = cli("run", write_run(folder, run), "--out", out)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0] == f"wrote {out}"
    warnings = [line for line in result.stderr.splitlines() if line]
    assert warnings and all(line.startswith("warning: ") for line in warnings)
    assert any("no cell" in line and "C" in line for line in warnings)
    assert not [line for line in result.stdout.splitlines() if line.startswith("warning")]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["zones_without_cells"] == ["C"]
    assert len(manifest["warnings"]) == len(warnings)


def test_quiet_silences_output_and_warnings(cli, tmp_path):
    folder = tmp_path / "case"
    run = basic_case(folder)
    write_zones(
        folder / "zones.geojson",
        ["A", "EMPTY"],
        [cell_box(0, 0, rows=4, cols=2), cell_box(0, 0).buffer(-0.045)],
    )
    out = tmp_path / "out"
    result = cli("-q", "run", write_run(folder, run), "--out", out)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "" and result.stderr == ""
    assert (out / "summary.json").is_file()


def test_quiet_still_prints_errors(cli, tmp_path):
    folder = tmp_path / "case"
    run = basic_case(folder)
    (folder / "pop.tif").unlink()
    result = cli("-q", "run", write_run(folder, run), "--out", tmp_path / "out")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("error:") and "pop.tif" in result.stderr


def _mecc_executable():
    candidate = Path(sys.executable).with_name("mecc")
    return str(candidate) if candidate.exists() else shutil.which("mecc")


@pytest.mark.skipif(_mecc_executable() is None, reason="the mecc console script is not installed")
def test_console_script_exit_codes(tmp_path):
    """The installed `mecc` script: real process exit codes and streams."""
    exe = _mecc_executable()
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    help_ = subprocess.run([exe, "--help"], capture_output=True, text=True, env=env, check=False)
    assert help_.returncode == 0 and "run" in help_.stdout

    folder = tmp_path / "case"
    run = basic_case(folder)
    run["hazzards"] = run.pop("hazards")
    bad = subprocess.run(
        [exe, "run", str(write_run(folder, run)), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert bad.stderr.strip() == (
        "error: run.yaml: unknown key 'hazzards'; did you mean 'hazards'?"
    )
    assert not (tmp_path / "out").exists() and hidden_entries(tmp_path) == []

    run["hazards"] = run.pop("hazzards")
    good = subprocess.run(
        [exe, "run", str(write_run(folder, run)), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert good.returncode == 0, good.stderr
    assert good.stdout.splitlines()[0] == f"wrote {tmp_path / 'out'}"


def test_a_package_missing_from_this_python_is_not_called_a_bug(cli, tmp_path, monkeypatch):
    """`python -m mecc` with a Python other than mecc's environment failed on the first
    lazy import of a dependency with "internal error ... This is a bug in mecc"."""
    import mecc.checks

    def lacking(*args, **kwargs):
        raise ModuleNotFoundError("No module named 'pyproj'", name="pyproj")

    monkeypatch.setattr(mecc.checks, "validate_run", lacking)
    result = cli("validate", tmp_path / "run.yaml")
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: the package 'pyproj' that mecc needs is not installed")
    assert "source .venv/bin/activate" in line and "bug" not in line


def test_a_missing_module_of_mecc_itself_is_still_a_bug(cli, tmp_path, monkeypatch):
    import mecc.checks

    def broken(*args, **kwargs):
        raise ModuleNotFoundError("No module named 'mecc.gone'", name="mecc.gone")

    monkeypatch.setattr(mecc.checks, "validate_run", broken)
    result = cli("validate", tmp_path / "run.yaml")
    assert result.exit_code == 3 and "This is a bug in mecc" in result.stderr
