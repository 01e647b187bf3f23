"""``mecc compare`` of runs that cannot be compared, and outputs that cannot be written.

- a hazard that is a return-period set in one run and a scenario in the other, and runs
  of two countries, are refused in one line (exit 1), either way round;
- an ``--out`` that cannot be made (a file where a folder must be, ``/proc``) is one
  line, exit 1, for every command that writes through an output folder;
- a full disk while results.nc is written is one line, exit 1 (netCDF4 says only
  ``NetCDF: HDF error``), and GDAL's and libtiff's own lines are not printed besides it;
- a path that is not valid UTF-8 is one line naming the folder to rename.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from collections import namedtuple
from pathlib import Path

import pytest

from tests._errors import one_error_line
from tests._run_inputs import basic_case, write_run

ROOT = Path(__file__).resolve().parents[1]


def _run(cli, tmp_path, name, **changes) -> Path:
    """A finished run of the small case (one hazard ``rf``) with ``changes`` to its run
    file's top level; returns the run folder."""
    folder = tmp_path / f"{name}-inputs"
    data = basic_case(folder)
    data.update(changes)
    out = tmp_path / name
    result = cli("run", write_run(folder, data), "--out", out, "--no-map")
    assert result.exit_code == 0, result.stderr
    return out


def _scenario_rf() -> list:
    return [
        {
            "id": "rf",
            "type": "river_flood",
            "intensity": "rp100.tif",
            "scenario": "the 100-year flood as a scenario",
            "curve": "flood_step_1m",
        }
    ]


# ----------------------------------------------------------------------- compare


def test_compare_refuses_a_hazard_of_another_kind_either_way(cli, tmp_path):
    sets, scenario = (
        _run(cli, tmp_path, "sets"),
        _run(cli, tmp_path, "scen", hazards=_scenario_rf()),
    )
    out = tmp_path / "cmp"
    line = one_error_line(cli("compare", sets, scenario, "--out", out), 1)
    assert line == (
        f"error: {scenario}: hazard rf is a scenario here and a return-period set in "
        f"{sets}; their figures cannot be compared (give the hazard the same type and "
        "kind in both run files)"
    )
    line = one_error_line(cli("compare", scenario, sets, "--out", out), 1)
    assert f"{sets}: hazard rf is a return-period set here and a scenario in {scenario};" in line
    assert not out.exists()  # before the fix: KeyError one way, a figure dropped the other


def test_compare_takes_an_event_set_against_return_period_maps(cli, tmp_path):
    """Both give an AAD (review: the kind check first refused this pair too)."""
    import json

    import pandas as pd

    from tests._run_inputs import event_hazard

    maps = _run(cli, tmp_path, "maps")
    events = _run(cli, tmp_path, "events", hazards=[event_hazard("rf")])
    out = tmp_path / "cmp"
    assert cli("compare", maps, events, "--out", out).exit_code == 0
    table = pd.read_csv(out / "compare.csv", encoding="utf-8-sig", dtype={"zone_code": str})
    national = table[table["level"] == 0].iloc[0]
    aad = [
        json.loads((r / "summary.json").read_text())["hazards"]["rf"]["aad"] for r in (maps, events)
    ]
    assert national["aad_baseline"] == pytest.approx(aad[0], rel=1e-12)
    assert national["aad_future"] == pytest.approx(aad[1], rel=1e-12)


def test_compare_refuses_runs_of_two_countries(cli, tmp_path):
    first, second = _run(cli, tmp_path, "aaa"), _run(cli, tmp_path, "bbb", country="BBB")
    out = tmp_path / "cmp"
    line = one_error_line(cli("compare", first, second, "--out", out), 1)
    assert line == (
        f"error: {second}: a run of country BBB, and {first} of AAA; compare two runs of "
        "the same country"
    )
    assert not out.exists()  # before the fix: exit 0 and no national rows


def test_compare_of_one_country_keeps_its_national_row(cli, tmp_path):
    first = _run(cli, tmp_path, "aaa")
    out = tmp_path / "cmp"
    assert cli("compare", first, first, "--out", out).exit_code == 0
    lines = (out / "compare.csv").read_text(encoding="utf-8-sig").splitlines()
    # first the national row (level 0), then the zones A and B and the outside bucket
    rows = [row.split(",")[:4] for row in lines[1:]]
    assert rows[0] == ["AAA", "Testland", "0", "rf"]
    assert [row[0] for row in rows[1:]] == ["A", "B", "__outside__"]


# ----------------------------------------------------------- an --out not made


@pytest.fixture
def a_file(tmp_path) -> Path:
    path = tmp_path / "afile.txt"
    path.write_text("x", encoding="utf-8")
    return path


OUT_COMMANDS = {
    "run": lambda demo, out: ["run", demo / "inputs" / "run.yaml", "--no-map", "--out", out],
    "profile": lambda demo, out: ["profile", demo / "run", "--no-pdf", "--out", out],
    "needs": lambda demo, out: ["needs", demo / "run", "--out", out],
    "report": lambda demo, out: ["report", "sendai", demo / "run", "--out", out],
    "init": lambda demo, out: ["init", "--country", "KEN", out],
    "compare": lambda demo, out: ["compare", demo / "run", demo / "run", "--out", out],
}


@pytest.mark.parametrize("command", list(OUT_COMMANDS))
def test_an_out_under_a_file_is_one_line(cli, demo_folder, a_file, command):
    for out in (a_file / "sub", a_file / "a" / "b"):
        line = one_error_line(cli(*OUT_COMMANDS[command](demo_folder, out)), 1)
        assert line == (
            f"error: {out}: cannot make the output folder: {a_file} is a file, not a "
            "folder; choose another --out"
        )
    assert a_file.read_text(encoding="utf-8") == "x"
    assert sorted(p.name for p in a_file.parent.iterdir()) == ["afile.txt"]


def test_a_batch_out_under_a_file_is_one_line(cli, demo_folder, a_file, tmp_path):
    inputs = tmp_path / "inputs"
    shutil.copytree(demo_folder / "inputs", inputs)
    shutil.copy(inputs / "run.yaml", inputs / "again.yaml")
    out = a_file / "sub"
    result = cli("run", inputs / "run.yaml", inputs / "again.yaml", "--no-map", "--out", out)
    assert one_error_line(result, 1) == (
        f"error: {out}: cannot make the output folder: {a_file} is a file, not a "
        "folder; choose another --out"
    )


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_an_out_in_proc_is_one_line(cli, demo_folder):
    out = Path("/proc/mecc-test-out")
    line = one_error_line(cli(*OUT_COMMANDS["profile"](demo_folder, out)), 1)
    assert line.startswith(
        f"error: {out}: cannot make the output folder: no folder can be made in /proc ("
    )


def test_make_folder_says_why_a_folder_cannot_be_made(a_file, tmp_path):
    """The helper for the folders made outside an output folder (a batch's --out)."""
    from mecc.errors import EXIT_BAD_DATA, MeccError
    from mecc.outputs import make_folder

    for folder in (a_file, a_file / "sub"):
        with pytest.raises(MeccError) as caught:
            make_folder(folder)
        assert str(caught.value) == (
            f"{folder}: cannot make the output folder: {a_file} is a file, not a folder; "
            "choose another --out"
        )
        assert caught.value.exit_code == EXIT_BAD_DATA
    assert make_folder(tmp_path / "a" / "b").is_dir()


# ----------------------------------------------------------- a full disk


_Usage = namedtuple("_Usage", "total used free")


def test_a_netcdf_write_failing_on_a_full_disk_is_one_line(cli, tmp_path, monkeypatch):
    """Simulated at the narrowest point (no root needed): netCDF4's own exception from
    ``to_netcdf`` while the file system reports no space left."""
    import xarray

    case = tmp_path / "case"
    run_file = write_run(case, basic_case(case))

    def hdf_error(*args, **kwargs):
        raise RuntimeError("NetCDF: HDF error")

    monkeypatch.setattr(xarray.Dataset, "to_netcdf", hdf_error)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: _Usage(10**9, 10**9 - 4096, 4096))
    out = tmp_path / "out"
    line = one_error_line(cli("run", run_file, "--out", out, "--no-map"), 1)
    assert line == f"error: no space left on device writing {out}"
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["case"]
    # with space to spare the same failure is not a full disk: still a bug to report
    monkeypatch.setattr(shutil, "disk_usage", lambda path: _Usage(10**10, 10**9, 9 * 10**9))
    result = cli("run", run_file, "--out", out, "--no-map")
    assert (
        result.exit_code == 3 and "internal error: RuntimeError: NetCDF: HDF error" in result.stderr
    )


@pytest.fixture
def small_disk(tmp_path):
    """A real 8 MB file system (tmpfs; needs root and mount), unmounted afterwards."""
    disk = tmp_path / "disk"
    disk.mkdir()
    # CI runs as root with mount: there the test must run, never skip
    skip = pytest.fail if os.environ.get("CI") == "true" else pytest.skip
    if os.name != "posix" or os.geteuid() != 0 or shutil.which("mount") is None:
        skip("mounting a small file system needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(disk)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        skip(f"cannot mount a tmpfs here ({done.stderr.decode(errors='replace').strip()})")
    yield disk
    # lazily: a library may still hold the failed file open (HDF5 keeps a cache of them)
    subprocess.run(["umount", "-l", str(disk)], check=True)


def test_results_nc_on_a_really_full_disk_is_one_line(cli, tmp_path, small_disk, monkeypatch):
    """The disk is filled just before results.nc is written: HDF5 meets a real ENOSPC."""
    import xarray

    case = tmp_path / "case"
    run_file = write_run(case, basic_case(case))
    real = xarray.Dataset.to_netcdf

    def on_a_full_disk(self, *args, **kwargs):
        _fill(small_disk / "filler")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(xarray.Dataset, "to_netcdf", on_a_full_disk)
    out = small_disk / "x"
    line = one_error_line(cli("run", run_file, "--out", out, "--no-map"), 1)
    assert line == f"error: no space left on device writing {out}"
    assert [p.name for p in small_disk.iterdir()] == ["filler"]  # no staging folder left


def _fill(path: Path) -> None:
    """Write zeros into ``path`` until the disk is full."""
    with open(path, "wb", buffering=0) as handle:
        for size in (1 << 20, 1 << 12, 1):
            try:
                while True:
                    handle.write(b"\0" * size)
            except OSError as error:
                assert error.errno == errno.ENOSPC


def test_displaced_tif_on_a_full_disk_prints_only_mecc_line(demo_folder, small_disk):
    """A real full disk (300 KB) fails on displaced.tif: one line of mecc's, exit 1, and
    nothing left on the disk."""
    subprocess.run(["mount", "-o", "remount,size=300k", str(small_disk)], check=True)
    out = small_disk / "x"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mecc",
            "run",
            demo_folder / "inputs" / "run.yaml",
            "--out",
            out,
            "--no-map",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    # GDAL and libtiff may print their own lines first; mecc's one line comes last
    assert done.stderr.strip().splitlines()[-1] == f"error: no space left on device writing {out}"
    assert list(small_disk.iterdir()) == []


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="names are bytes on Linux only")
def test_inputs_under_a_folder_not_utf8_are_one_line(cli, tmp_path):
    good = tmp_path / "good"
    write_run(good, basic_case(good))
    folder = Path(os.fsdecode(os.path.join(os.fsencode(tmp_path), b"bad\xffname")))
    good.rename(folder)  # (the test's own raster writer cannot write there either)
    run_file = folder / "run.yaml"
    line = one_error_line(cli("run", run_file, "--out", tmp_path / "out", "--no-map"), 1)
    assert line == (
        f"error: run.yaml.population.path (pop.tif): the path {tmp_path}/bad\\xffname/pop.tif "
        "cannot be passed to GDAL: the name 'bad\\xffname' in it is not valid UTF-8; rename "
        "that folder or file"
    )
    assert not (tmp_path / "out").exists()
    line = one_error_line(cli("run", run_file, "--out", folder / "out", "--no-map"), 2)
    assert line == (
        f"error: {tmp_path}/bad\\xffname/out: the output folder's path is not valid UTF-8, "
        "which the NetCDF and GeoTIFF writers require; choose or rename a folder with a "
        "UTF-8 name"
    )
