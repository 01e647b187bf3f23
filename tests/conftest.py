"""Shared fixtures: the real data in ../shared/data, small raster/vector writers, the CLI.

Tests that need ../shared/data use the ``shared_data`` fixture: it skips when the
folder is absent on a user's machine, and fails when CI=true (CI must run them).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine

# openpyxl reads workbooks unless a test names another reader (calamine, the independent
# cross-check in test_workbook.py)
pd.set_option("io.excel.xlsx.reader", "openpyxl")

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


def pytest_configure(config):
    """Runs remember input hashes in a folder of this test session, not ~/.cache/mecc
    (subprocesses inherit it)."""
    config.mecc_cache_dir = tempfile.mkdtemp(prefix="mecc-test-cache-")
    os.environ["MECC_CACHE_DIR"] = config.mecc_cache_dir


def pytest_unconfigure(config):
    shutil.rmtree(getattr(config, "mecc_cache_dir", ""), ignore_errors=True)


def in_ci() -> bool:
    """True when running under CI (the CI variable is set to true)."""
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of ../shared/data; skip without it locally, fail without it in CI."""
    if not SHARED_DATA.is_dir():
        if in_ci():
            pytest.fail(f"CI needs the real data in {SHARED_DATA}")
        pytest.skip(f"real data not available ({SHARED_DATA})")
    return SHARED_DATA


@pytest.fixture(scope="session")
def haiyan_reproduced(shared_data, tmp_path_factory) -> Path:
    """The folder ``validation/haiyan/reproduce.sh`` writes (``run/``, ``evaluation/``),
    made once per test session: tests read it and write their own outputs elsewhere."""
    import subprocess
    import sys

    out = tmp_path_factory.mktemp("haiyan") / "h"
    script = Path(sys.executable).with_name("mecc")
    mecc = str(script) if script.exists() else f"{sys.executable} -m cli"
    done = subprocess.run(
        [
            "bash",
            str(ROOT / "validation" / "haiyan" / "reproduce.sh"),
            str(shared_data / "philippines_haiyan"),
            str(out),
        ],
        cwd=ROOT,
        env={**os.environ, "MECC": mecc},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return out


def write_raster(path, data, transform=None, crs="EPSG:4326", nodata=None, dtype=None, **extra):
    """Write a 2-D or 3-D (bands first) array as a GeoTIFF and return its path."""
    data = np.asarray(data)
    if data.ndim == 2:
        data = data[None]
    if transform is None:
        transform = Affine(0.1, 0, 10.0, 0, -0.1, 50.0)
    profile = {
        "driver": "GTiff",
        "width": data.shape[2],
        "height": data.shape[1],
        "count": data.shape[0],
        "dtype": dtype or data.dtype,
        "transform": transform,
        "nodata": nodata,
        **extra,
    }
    if crs is not None:
        profile["crs"] = crs
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data.astype(profile["dtype"]))
    return Path(path)


@pytest.fixture
def raster_writer(tmp_path):
    """``write(name, data, **kwargs)`` writes a GeoTIFF in tmp_path and returns its path."""

    def write(name, data, **kwargs):
        return write_raster(tmp_path / name, data, **kwargs)

    return write


@pytest.fixture
def cli():
    """Invoke the ``mecc`` Click group in-process: ``cli("run", "x.yaml", "--out", d)``."""
    from click.testing import CliRunner

    from cli import main

    def invoke(*args):
        runner = CliRunner()
        return runner.invoke(main, [str(a) for a in args], prog_name="mecc", catch_exceptions=False)

    return invoke


@pytest.fixture(scope="session")
def demo_command(tmp_path_factory):
    """``mecc demo --out DIR`` run once per session through the command line.

    Returns ``(folder, result)``: the demo folder (inputs/, run/, demo.json) and Click's
    result (stdout, stderr, exit code). Tests read the folder and never modify it; copy
    it first to change anything.
    """
    from click.testing import CliRunner

    from cli import main

    out = tmp_path_factory.mktemp("demo") / "mecc-demo"
    result = CliRunner().invoke(main, ["demo", "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return out, result


@pytest.fixture(scope="session")
def demo_folder(demo_command) -> Path:
    """The demo folder written by ``mecc demo`` (see ``demo_command``)."""
    return demo_command[0]
