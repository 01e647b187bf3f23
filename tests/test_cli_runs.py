"""The command line around runs: several run files, init, validate, --json, versions,
progress bars on a terminal, and runs interrupted by a signal."""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from shapely.geometry import box

from tests._run_inputs import (
    DEPTH,
    basic_case,
    event_hazard,
    hidden_entries,
    snapshot,
    write_run,
)
from tests.conftest import write_raster

ROOT = Path(__file__).resolve().parents[1]


def _good(folder, name="run.yaml") -> Path:
    return write_run(folder, basic_case(folder), name=name)


def _error_lines(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line]


# ----------------------------------------------------------------- several run files


def test_several_run_files_make_a_batch(cli, tmp_path):
    good = _good(tmp_path / "a", "aaa.yaml")
    broken = basic_case(tmp_path / "b")
    (tmp_path / "b" / "pop.tif").unlink()
    bad = write_run(tmp_path / "b", broken, name="bbb.yaml")
    out = tmp_path / "runs"
    result = cli("run", good, bad, "--out", out)
    assert result.exit_code == 1  # the worst of 0 and 1
    missing = tmp_path / "b" / "pop.tif"
    assert _error_lines(result) == [
        f"error: {bad}: bbb.yaml.population.path: file not found ({missing})"
    ]
    assert result.stdout.splitlines()[0] == f"wrote {out / 'batch.csv'} (1 of 2 runs ok)"
    assert (out / "aaa" / "summary.json").is_file()
    assert not (out / "bbb").exists()
    assert (out / "batch.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    rows = pd.read_csv(out / "batch.csv", encoding="utf-8-sig")
    assert list(rows["run_file"]) == [str(good), str(bad)]
    assert list(rows["status"]) == ["ok", "failed"]
    assert list(rows["exit_code"]) == [0, 1]
    assert "pop.tif" in rows["message"].iloc[1]
    assert hidden_entries(out) == [] and hidden_entries(tmp_path) == []


def test_batch_exit_code_is_the_worst(cli, tmp_path):
    good = _good(tmp_path / "a", "aaa.yaml")
    usage = basic_case(tmp_path / "b")
    usage["hazzards"] = usage.pop("hazards")
    data = basic_case(tmp_path / "c")
    (tmp_path / "c" / "rp10.tif").unlink()
    files = [
        good,
        write_run(tmp_path / "b", usage, name="bbb.yaml"),
        write_run(tmp_path / "c", data, name="ccc.yaml"),
    ]
    result = cli("run", *files, "--out", tmp_path / "runs", "--json")
    assert result.exit_code == 2
    record = json.loads(result.stdout)
    assert record["exit_code"] == 2
    assert [run["exit_code"] for run in record["runs"]] == [0, 2, 1]
    assert record["runs"][0]["headlines"][0]["value"] == pytest.approx(52.2, rel=1e-12)
    assert "headlines" not in record["runs"][1]
    assert len(_error_lines(result)) == 2


def test_batch_never_mixes_with_an_earlier_batch(cli, tmp_path):
    files = [_good(tmp_path / "a", "aaa.yaml"), _good(tmp_path / "b", "bbb.yaml")]
    out = tmp_path / "runs"
    assert cli("run", *files, "--out", out).exit_code == 0
    before = snapshot(out)
    again = cli("run", *files, "--out", out)
    assert again.exit_code == 2
    lines = _error_lines(again)
    assert len(lines) == 1 and str(out) in lines[0] and "--overwrite" in lines[0]
    assert "aaa, bbb, batch.csv" in lines[0]
    assert again.stdout == ""
    assert snapshot(out) == before
    replaced = cli("run", *files, "--out", out, "--overwrite")
    assert replaced.exit_code == 0, replaced.stderr
    assert hidden_entries(out) == []


def test_batch_needs_different_file_names(cli, tmp_path):
    files = [_good(tmp_path / "a"), _good(tmp_path / "b")]
    result = cli("run", *files, "--out", tmp_path / "runs")
    assert result.exit_code == 2
    assert "different file names" in result.stderr
    assert not (tmp_path / "runs").exists()


# ------------------------------------------------------------------------ --json


def test_run_json(cli, tmp_path):
    out = tmp_path / "out"
    result = cli("run", _good(tmp_path / "case"), "--out", out, "--json")
    assert result.exit_code == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["out_dir"] == str(out) and record["map"] == str(out / "map.html")
    assert record["country"] == "AAA" and record["modelled_estimate"] is True
    assert record["population_total"] == pytest.approx(1360.0)  # 10 + 20 + ... + 160
    (headline,) = record["headlines"]
    # values derived by hand in tests/test_cli.py: 52.2 (18.0 - 82.8 over the variants)
    assert headline["hazard_id"] == "rf" and headline["figure"] == "aad"
    assert headline["value"] == pytest.approx(52.2, rel=1e-12)
    assert headline["low"] == pytest.approx(18.0, rel=1e-12)
    assert headline["high"] == pytest.approx(82.8, rel=1e-12)
    assert headline["range"] == "curve variants"
    assert record["warnings"] == [] and result.stderr == ""


def test_run_keeps_imported_objects_out_of_collection_while_it_lasts(cli, tmp_path, monkeypatch):
    """`mecc run` freezes the objects of the modules imported before the run (the
    collector need not walk numpy, pandas, numba again on every full collection) and
    unfreezes them afterwards, also when the run fails."""
    import gc

    import mecc.run

    seen = []
    real = mecc.run.run_country

    def watched(*args, **kwargs):
        seen.append(gc.get_freeze_count())
        return real(*args, **kwargs)

    monkeypatch.setattr(mecc.run, "run_country", watched)
    before = gc.get_freeze_count()
    result = cli("run", _good(tmp_path / "case"), "--out", tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    assert seen[0] > before + 1000  # numpy's, pandas', ... objects
    assert gc.get_freeze_count() == before
    broken = tmp_path / "broken.yaml"
    broken.write_text("country: [\n", encoding="utf-8")
    failing = cli("run", broken, "--out", tmp_path / "out2")
    assert failing.exit_code == 2 and len(seen) == 2  # refused inside the run
    assert gc.get_freeze_count() == before


def test_run_returns_the_pass_buffers_before_the_tables(cli, tmp_path, monkeypatch):
    """The freed buffers of the engine's pass go back to the system once, after the pass
    and before the tables (tests/test_engine.py shows what that gives back)."""
    import mecc.run

    calls = []
    real_tables = mecc.run.tables.hazard_tables

    def tables_after_release(*args, **kwargs):
        assert calls == ["released"]
        return real_tables(*args, **kwargs)

    monkeypatch.setattr(mecc.run, "release_freed_memory", lambda: calls.append("released"))
    monkeypatch.setattr(mecc.run.tables, "hazard_tables", tables_after_release)
    result = cli("run", _good(tmp_path / "case"), "--out", tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    assert calls == ["released"]


# -------------------------------------------------------------------------- init


def _template_files(folder):
    """The files the template names, so the template itself validates."""
    write_raster(folder / "population.tif", np.full((4, 4), 100.0))
    for rp, scale in ((10, 0.5), (100, 1.0), (1000, 1.5)):
        write_raster(folder / f"flood_rp{rp}.tif", DEPTH * scale)
    left = box(10.0, 49.6, 10.2, 50.0)
    right = box(10.2, 49.6, 10.4, 50.0)
    gpd.GeoDataFrame(
        {"ADM1_PCODE": ["KE01"], "ADM1_EN": ["Region"]},
        geometry=[left.union(right)],
        crs="EPSG:4326",
    ).to_file(folder / "admin.gpkg", layer="adm1")
    gpd.GeoDataFrame(
        {
            "ADM2_PCODE": ["KE0101", "KE0102"],
            "ADM2_EN": ["West", "East"],
            "ADM1_PCODE": ["KE01", "KE01"],
        },
        geometry=[left, right],
        crs="EPSG:4326",
    ).to_file(folder / "admin.gpkg", layer="adm2")


def test_init_writes_a_template_that_validates(cli, tmp_path):
    folder = tmp_path / "kenya"
    result = cli("init", "--country", "KEN", "--name", "Kenya", folder)
    assert result.exit_code == 0, result.stderr
    path = folder / "ken.yaml"
    assert result.stdout.splitlines()[0] == f"wrote {path}"
    text = path.read_text(encoding="utf-8")
    assert "country: KEN" in text and 'name: "Kenya"' in text
    _template_files(folder)
    checked = cli("validate", path)
    assert checked.exit_code == 0, checked.stderr
    assert checked.stdout.splitlines()[0] == "ken.yaml: ready to run"
    assert "level 1: 1 units, level 2: 2 units" in checked.stdout
    run = cli("run", path, "--out", tmp_path / "out", "--no-map")
    assert run.exit_code == 0, run.stderr


def test_template_mentions_only_known_keys():
    from mecc.checks import TEMPLATE
    from mecc.run_file_reference import SECTIONS

    known = {key for _, _, keys in SECTIONS for key in keys}
    mentioned = set(re.findall(r"^[#\s-]*([a-z_]+):", TEMPLATE, flags=re.M))
    assert mentioned and mentioned <= known, sorted(mentioned - known)


def test_init_never_overwrites_without_asking(cli, tmp_path):
    assert cli("init", "--country", "ken", tmp_path).exit_code == 0  # any case
    path = tmp_path / "ken.yaml"
    path.write_text("country: KEN  # my edits\n", encoding="utf-8")
    again = cli("init", "--country", "KEN", tmp_path)
    assert again.exit_code == 2
    lines = _error_lines(again)
    assert len(lines) == 1 and str(path) in lines[0] and "--overwrite" in lines[0]
    assert path.read_text(encoding="utf-8") == "country: KEN  # my edits\n"
    assert cli("init", "--country", "KEN", "--overwrite", tmp_path).exit_code == 0
    assert "# Run file for KEN" in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("code", ["KENYA", "K3N", ""])
def test_init_refuses_a_bad_country_code(cli, tmp_path, code):
    result = cli("init", "--country", code, tmp_path / "x")
    assert result.exit_code == 2
    lines = _error_lines(result)
    assert len(lines) == 1 and "--country" in lines[0]
    assert not (tmp_path / "x").exists()


# ---------------------------------------------------------------------- validate


def test_validate_reads_everything_and_writes_nothing(cli, tmp_path):
    folder = tmp_path / "case"
    run_file = _good(folder)
    before = snapshot(tmp_path)
    result = cli("validate", run_file)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "run.yaml: ready to run"
    assert "  ok  population: pop.tif, count, 1,360 people on the grid (identical)" in lines
    assert "  ok  zones: level 1: 2 units; 0% of the people in no unit" in lines
    assert any(
        line.startswith("  ok  hazard rf: river_flood, return_periods, 2 band(s)") for line in lines
    )
    assert result.stderr == ""
    assert snapshot(tmp_path) == before and hidden_entries(tmp_path) == []


def test_validate_json(cli, tmp_path):
    run_file = _good(tmp_path / "case")
    record = json.loads(cli("validate", run_file, "--json").stdout)
    assert record["ok"] is True and record["exit_code"] == 0 and record["error"] is None
    assert record["run_file"] == "run.yaml" and len(record["checked"]) >= 5
    (tmp_path / "case" / "rp100.tif").unlink()
    failed = cli("validate", run_file, "--json")
    assert failed.exit_code == 1
    record = json.loads(failed.stdout)
    assert record["ok"] is False and record["exit_code"] == 1
    assert _error_lines(failed) == [f"error: {record['error']}"]
    assert "rp100.tif" in record["error"]
    assert record["checked"][0].startswith("run file:")  # what passed before the error


def test_validate_warns_about_a_grid_in_another_unit(cli, tmp_path):
    folder = tmp_path / "case"
    run_file = _good(folder)
    write_raster(folder / "rp100.tif", DEPTH * 100)  # centimetres, read as metres
    result = cli("validate", run_file)
    assert result.exit_code == 0
    warnings = [line for line in result.stdout.splitlines() if "warning" in line]
    assert len(warnings) == 1
    assert "200 m" in warnings[0] and "plausible 50 m" in warnings[0] and "unit" in warnings[0]
    run = basic_case(folder)
    run["hazards"][0]["unit"] = "cm"
    fixed = cli("validate", write_run(folder, run))
    assert "warning" not in fixed.stdout


def test_validate_warns_about_a_depth_map_whose_nodata_is_zero(cli, tmp_path):
    folder = tmp_path / "case"
    run_file = _good(folder)
    write_raster(folder / "rp100.tif", DEPTH, nodata=0.0)  # dry cells declared missing
    result = cli("validate", run_file)
    assert result.exit_code == 0
    warnings = [line for line in result.stdout.splitlines() if "warning" in line]
    assert len(warnings) == 2  # and, as the run, the people on those cells without data
    assert "rp100.tif" in warnings[0] and "declares 0 as its nodata value" in warnings[0]
    assert "without hazard data in band rp100" in warnings[1]
    write_raster(folder / "rp100.tif", DEPTH, nodata=-9999.0)
    assert "warning" not in cli("validate", run_file).stdout


@pytest.mark.parametrize("interleave", ["pixel", "band"])
def test_validate_samples_a_few_bands_of_a_large_event_set(cli, tmp_path, interleave):
    """40 bands in centimetres: the warning comes from a sample of the bands, read in one
    call (a pixel-interleaved file was decoded whole once per band)."""
    folder = tmp_path / "case"
    run = basic_case(folder)
    stack = np.stack([DEPTH * 100 * (1 + k / 40) for k in range(40)])
    write_raster(folder / "ev.tif", stack, interleave=interleave, tiled=True)
    (folder / "events.csv").write_text(
        "band,frequency\n" + "".join(f"{k},0.001\n" for k in range(1, 41)), encoding="utf-8"
    )
    run["hazards"] = [event_hazard()]
    result = cli("validate", write_run(folder, run))
    assert result.exit_code == 0, result.stderr
    warnings = [line for line in result.stdout.splitlines() if "warning" in line]
    assert len(warnings) == 1 and "above the plausible 50 m" in warnings[0], warnings
    with rasterio.open(folder / "ev.tif") as dataset:
        assert dataset.interleaving.value.lower() == interleave


def test_validate_warns_about_units_without_cells(cli, tmp_path):
    from tests._run_inputs import write_zones_with_an_empty_unit

    folder = tmp_path / "case"
    run_file = _good(folder)
    write_zones_with_an_empty_unit(folder)  # unit C receives no cell
    result = cli("validate", run_file)
    assert result.exit_code == 0, result.stderr
    assert "  warning  zones: 1 unit(s) receive no cell of the analysis grid (e.g. C)" in (
        result.stdout
    )


# ----------------------------------------------------------------- versions


def test_show_versions(cli):
    from importlib import metadata

    import folium
    import geopandas
    import numba
    import numpy
    import pyproj
    import rasterio
    import shapely
    import xarray

    import mecc

    result = cli("--show-versions")
    assert result.exit_code == 0
    table = dict(line.split(None, 1) for line in result.stdout.splitlines())
    expected = {
        "mecc": mecc.__version__,
        "python": ".".join(map(str, sys.version_info[:3])),
        "gdal": rasterio.__gdal_version__,
        "proj": pyproj.proj_version_str,
        "geos": shapely.geos_version_string,
        "numba": numba.__version__,
        "numpy": numpy.__version__,
        "rasterio": rasterio.__version__,
        "geopandas": geopandas.__version__,
        "xarray": xarray.__version__,
        "folium": folium.__version__,
        "click": metadata.version("click"),
    }
    for name, version in expected.items():
        assert table[name] == version, name
    assert "platform" in table


def test_python_dash_m(tmp_path):
    import mecc

    result = subprocess.run(
        [sys.executable, "-m", "mecc", "--version"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout.strip() == f"mecc {mecc.__version__}"


# ------------------------------------------------------------- progress on a terminal


def _run_on_a_terminal(args, cwd) -> tuple[int, str, str]:
    """Run ``python -m mecc ARGS`` with stderr on a pseudo-terminal, stdout on a pipe."""
    import pty

    master, slave = pty.openpty()
    env = {**os.environ, "COLUMNS": "120", "TERM": "xterm"}
    process = subprocess.Popen(
        [sys.executable, "-m", "mecc", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=slave,
        stdin=subprocess.DEVNULL,
        cwd=cwd,
        env=env,
    )
    os.close(slave)
    terminal = b""
    while True:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            terminal += chunk
        elif process.poll() is not None:
            break
    stdout = process.stdout.read().decode()
    process.wait(timeout=60)
    os.close(master)
    return process.returncode, stdout, terminal.decode(errors="replace")


@pytest.mark.slow
def test_progress_bars_on_a_terminal_and_clean_stdout(tmp_path):
    run_file = _good(tmp_path / "case")
    out = tmp_path / "out"
    code, stdout, terminal = _run_on_a_terminal(["run", run_file, "--out", out], tmp_path)
    assert code == 0, terminal
    for label in (
        "Reading and checking inputs",
        "Overlaying hazards on people (blocks)",
        "Writing tables and grids",
        "Writing the map",
    ):
        assert label in terminal, label
    assert "\x1b[" not in stdout  # no terminal codes in the result
    assert stdout.splitlines()[0] == f"wrote {out}"
    quiet_code, quiet_out, quiet_terminal = _run_on_a_terminal(
        ["-q", "run", run_file, "--out", tmp_path / "quiet"], tmp_path
    )
    assert quiet_code == 0 and quiet_out == "" and quiet_terminal == ""


# ------------------------------------------------------------------ interrupted runs

_SLOW_ENGINE = """
import pathlib, sys, time
import mecc.engine

original = mecc.engine.overlay

def overlay(*args, **kwargs):
    pathlib.Path(sys.argv[1]).write_text("the engine has started")
    time.sleep(120)  # a long national run
    return original(*args, **kwargs)

mecc.engine.overlay = overlay
from cli import main

main(args=sys.argv[2:], prog_name="mecc")
"""


def _interrupt(tmp_path, run_file, out, signum, *extra):
    script = tmp_path / "slow_engine.py"
    script.write_text(_SLOW_ENGINE, encoding="utf-8")
    marker = tmp_path / "engine-started"
    marker.unlink(missing_ok=True)
    process = subprocess.Popen(
        [sys.executable, str(script), str(marker), "run", str(run_file), "--out", str(out), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        cwd=ROOT,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the run never reached the engine"
        time.sleep(0.05)
    staging = [p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.partial-")]
    assert len(staging) == 1, "the run writes into a staging folder"
    process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=60)
    return process.returncode, stdout, stderr


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_run_leaves_nothing(tmp_path, signum):
    run_file = _good(tmp_path / "case")
    out = tmp_path / "runs" / "out"
    code, stdout, stderr = _interrupt(tmp_path, run_file, out, signum)
    assert code == 128 + signum
    assert stdout == ""
    lines = [line for line in stderr.splitlines() if line]
    assert len(lines) == 1 and lines[0].startswith(f"interrupted ({signum.name})")
    assert "Traceback" not in stderr
    # runs/ did not exist: the folders the run made for --out go too
    assert not out.exists() and not out.parent.exists()


@pytest.mark.slow
def test_interrupted_overwrite_keeps_the_earlier_run(cli, tmp_path):
    run_file = _good(tmp_path / "case")
    out = tmp_path / "runs" / "out"
    assert cli("run", run_file, "--out", out).exit_code == 0
    before = snapshot(out)
    code, _, _ = _interrupt(tmp_path, run_file, out, signal.SIGTERM, "--overwrite")
    assert code == 128 + signal.SIGTERM
    assert snapshot(out) == before and hidden_entries(out.parent) == []


@pytest.mark.slow
def test_killed_run_leaves_the_target_alone_and_the_next_run_cleans_up(cli, tmp_path):
    run_file = _good(tmp_path / "case")
    out = tmp_path / "runs" / "out"
    assert cli("run", run_file, "--out", out).exit_code == 0
    before = snapshot(out)
    code, _, _ = _interrupt(tmp_path, run_file, out, signal.SIGKILL, "--overwrite")
    assert code == -signal.SIGKILL
    assert snapshot(out) == before  # the earlier run is untouched
    left = hidden_entries(out.parent)
    assert len(left) == 1 and left[0].startswith(".out.partial-")  # nobody could clean up
    again = cli("run", run_file, "--out", out, "--overwrite")
    assert again.exit_code == 0, again.stderr
    assert hidden_entries(out.parent) == []


def test_printed_commands_can_be_pasted_into_a_shell(cli, tmp_path, monkeypatch):
    """A folder named "Côte d'Ivoire runs": init's next step and the manifest's command
    quote it, so a copy pasted into a shell names the same paths (they were joined with
    spaces: the apostrophe opened a quote)."""
    import json
    import shlex

    from mecc.run import run_country

    folder = tmp_path / "Côte d'Ivoire runs"
    result = cli("init", "--country", "CIV", folder)
    assert result.exit_code == 0, result.output
    shown = result.output.split("then: ", 1)[1].strip()
    assert shlex.split(shown) == ["mecc", "validate", str(folder / "civ.yaml")]
    run_file = write_run(folder, basic_case(folder))
    argv = ["mecc", "run", str(run_file), "--out", str(folder / "my out")]
    monkeypatch.setattr("sys.argv", argv)
    out = run_country(run_file, folder / "my out", with_map=False).out_dir
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert shlex.split(manifest["command"]) == argv
