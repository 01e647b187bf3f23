"""Packaging: the wheel installs into a fresh venv and `mecc --help` works from it;
environment.yml lists the same runtime dependencies as pyproject.toml."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]

PACKAGES = ("mecc", "hazards", "exposure", "training_modules")

# conda-forge names that differ from the PyPI names
CONDA_NAMES = {
    "netcdf4": "netcdf4",
    "pyyaml": "pyyaml",
    "tables": "pytables",
}


def _requirement(text: str) -> tuple[str, str]:
    match = re.fullmatch(r"\s*([A-Za-z0-9_.-]+)\s*(.*)", text)
    return match.group(1).lower().replace("_", "-"), match.group(2).replace(" ", "")


def test_environment_yml_matches_pyproject():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    project = pyproject["project"]
    runtime = dict(_requirement(r) for r in project["dependencies"])
    tests = dict(_requirement(r) for r in project["optional-dependencies"]["test"])
    # the build backend too: `pip install --no-deps .` in a conda env with no internet
    # builds with what the environment has
    build = dict(_requirement(r) for r in pyproject["build-system"]["requires"])
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = dict(_requirement(d) for d in environment["dependencies"] if isinstance(d, str))
    conda.pop("python")
    conda.pop("pip")
    expected = {
        CONDA_NAMES.get(name, name): spec for name, spec in {**runtime, **tests, **build}.items()
    }
    assert conda == expected
    assert "conda-forge" in environment["channels"]


@pytest.mark.slow
def test_wheel_installs_in_a_clean_venv(tmp_path):
    """Build the wheel, install it (not editable) into a new venv, run the console script.

    The new venv gets the project only from the wheel; its third-party dependencies are
    borrowed from the test environment through a .pth line (so the test does not download
    them), which does not expose the source tree.
    """
    # from a copy of what a clean clone holds: a stale build/ of this tree would lend the
    # wheel files the package data leaves out
    source = tmp_path / "source"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE", "cli.py"):
        shutil.copy2(ROOT / name, source / name)
    for package in PACKAGES:
        shutil.copytree(ROOT / package, source / package, ignore=ignore)
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", str(source), "-w", str(wheels)],
        check=True,
        capture_output=True,
    )
    (wheel,) = wheels.glob("mecc-*.whl")
    # every data file of the packages travels in the wheel (needs profiles, asset licences)
    packaged = set(zipfile.ZipFile(wheel).namelist())
    data_files = {
        path.relative_to(ROOT).as_posix()
        for package in PACKAGES
        for path in (ROOT / package).rglob("*")
        if path.is_file() and path.suffix != ".py" and "__pycache__" not in path.parts
    }
    assert sorted(data_files - packaged) == []
    assert {"mecc/needs_profiles/sphere.yaml", "mecc/assets/README.md"} <= packaged
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "-q",
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (Path(site) / "borrowed_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    help_text = subprocess.run(
        [str(venv / "bin" / "mecc"), "--help"],
        cwd=outside,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert "Usage: mecc" in help_text and "run" in help_text
    probe = (
        "import cli, mecc, hazards, exposure, training_modules, mecc.kernels\n"
        "from hazards.curves import load_curve\n"
        "print(load_curve('jrc_residential_europe').intensity)\n"
        "for m in (cli, mecc, hazards, exposure, training_modules): print(m.__file__)\n"
    )
    lines = subprocess.run(
        [str(python), "-c", probe], cwd=outside, check=True, capture_output=True, text=True
    ).stdout.splitlines()
    # the JRC table and the library travel in the wheel: Europe reaches damage 0.55 at 1.75 m
    assert [round(float(v), 6) for v in lines[0].strip("()").split(",")] == [1.75, 1.75]
    for path in lines[1:]:
        assert path.startswith(site), f"{path} is not the installed copy in {site}"
