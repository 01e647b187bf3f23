"""The layering rules of DESIGN.md, checked on the source: import directions, where
click may appear, a light ``mecc`` import and one place for Numba settings."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("mecc", "hazards", "exposure", "training_modules")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _sources(*packages):
    for package in packages:
        yield from sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("path", list(_sources("hazards", "exposure")), ids=lambda p: p.name)
def test_hazards_and_exposure_use_only_the_engine_base(path):
    """hazards/* and exposure/* may use mecc.errors, the grid layer (mecc.grid and its
    raster reader mecc.raster_file) and mecc.kernels only."""
    allowed = {"mecc.errors", "mecc.grid", "mecc.raster_file", "mecc.kernels"}
    used = {name for name in _imports(path) if name == "mecc" or name.startswith("mecc.")}
    assert used <= allowed, f"{path.name} imports {sorted(used - allowed)}"


@pytest.mark.parametrize("path", list(_sources("mecc")), ids=lambda p: p.name)
def test_engine_layers_do_not_import_upwards(path):
    """Kernels, grid and errors know nothing above them; the engine never imports inputs."""
    imports = _imports(path)
    if path.name in {"kernels.py", "grid.py", "errors.py", "_numba.py", "engine.py", "risk.py"}:
        above = {
            n
            for n in imports
            if n.split(".")[0] in {"hazards", "exposure", "training_modules", "cli"}
        }
        above |= {
            n for n in imports if n in {"mecc.run", "mecc.tables", "mecc.demo", "mecc.outputs"}
        }
        assert not above, f"{path.name} imports {sorted(above)}"


@pytest.mark.parametrize("path", list(_sources(*PACKAGES)), ids=lambda p: str(p.relative_to(ROOT)))
def test_click_only_in_cli(path):
    """The CLI layer is cli.py and mecc/commands/; nothing else parses options or prints."""
    if path.parent.name == "commands" or path.name == "__main__.py":  # python -m mecc
        return
    imports = _imports(path)
    assert "click" not in {name.split(".")[0] for name in imports}
    assert not {n for n in imports if n.startswith("mecc.commands") or n == "cli"}


@pytest.mark.parametrize("path", list(_sources(*PACKAGES)), ids=lambda p: str(p.relative_to(ROOT)))
def test_numba_settings_live_in_one_module(path):
    """Only mecc/_numba.py calls numba's decorators; kernels use its ``jit``."""
    if path.name == "_numba.py":
        return
    decorators = {"jit", "njit", "vectorize", "guvectorize", "stencil", "prange"}
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("numba"):
            assert not {a.name for a in node.names} & decorators, path.name
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            assert not (node.value.id == "numba" and node.attr in decorators), path.name


def test_importing_mecc_is_light():
    code = (
        "import sys, mecc\n"
        "heavy = [m for m in ('numba', 'rasterio', 'xarray', 'geopandas', 'pandas', 'click') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip() == ""


def test_modules_stay_small():
    sizes = {str(p.relative_to(ROOT)): len(p.read_text().splitlines()) for p in _sources(*PACKAGES)}
    sizes["cli.py"] = len((ROOT / "cli.py").read_text().splitlines())
    assert {name: n for name, n in sizes.items() if n > 600} == {}
