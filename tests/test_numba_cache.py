"""A second process compiles nothing: every kernel a run uses comes from Numba's cache.

Counts cache hits and misses of the dispatchers (not wall-clock time), in two fresh
processes running the same small country.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import json, sys
from mecc import kernels
from mecc.demo import write_demo_inputs
from mecc.run import run_country

run = write_demo_inputs(sys.argv[1] + "/inputs")
run_country(run, sys.argv[1] + "/out", overwrite=True)
stats = {}
for name, (kernel, _) in kernels.KERNELS.items():
    stats[name] = [sum(kernel.stats.cache_hits.values()), sum(kernel.stats.cache_misses.values())]
print(json.dumps(stats))
"""


def _probe(folder) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(folder)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "MECC_NUMBA_CACHE": "1"},
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_second_process_compiles_nothing(tmp_path):
    _probe(tmp_path / "first")  # fills the cache if this checkout has none yet
    stats = _probe(tmp_path / "second")
    used = {name for name, (hits, misses) in stats.items() if hits or misses}
    # a run uses at least these (masking reads, zonal sums, the overlay)
    assert {"mask_missing_into", "zonal_population", "overlay_bands"} <= used
    assert {name: misses for name, (_, misses) in stats.items() if misses} == {}


def _kernel_modules() -> list[str]:
    """Every module of the project that defines numba kernels (uses ``mecc._numba.jit``)."""
    found = []
    for folder in ("mecc", "hazards", "exposure"):
        for path in sorted((ROOT / folder).glob("*.py")):
            if "from mecc._numba import jit" in path.read_text(encoding="utf-8"):
                found.append(f"{folder}.{path.stem}")
    return found


def _jitted_calls_elsewhere(module) -> list[str]:
    """``kernel -> helper`` for each jitted function of ``module`` that refers to a jitted
    function defined in another module (its global names, nested code included)."""
    import types

    from numba.core.dispatcher import Dispatcher

    def names(code):
        found = set(code.co_names)
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                found |= names(const)
        return found

    problems = []
    for name, kernel in vars(module).items():
        if not isinstance(kernel, Dispatcher) or kernel.py_func.__module__ != module.__name__:
            continue
        for used in sorted(names(kernel.py_func.__code__)):
            helper = vars(module).get(used)
            if isinstance(helper, Dispatcher) and helper.py_func.__module__ != module.__name__:
                problems.append(f"{module.__name__}.{name} -> {helper.py_func.__module__}.{used}")
    return problems


def test_every_jitted_helper_lives_in_the_file_of_its_callers():
    """DESIGN.md: numba's cache notices a change only in the file defining a cached
    kernel, so a kernel calling a jitted helper of another file keeps computing with the
    old helper after the helper changes (the overlays called the curve of another file:
    a doubled curve still gave the old figures until the cache was cleared)."""
    import importlib

    modules = _kernel_modules()
    assert "mecc.overlay_kernels" in modules and "mecc.grid_kernels" in modules
    problems = []
    for name in modules:
        problems += _jitted_calls_elsewhere(importlib.import_module(name))
    assert problems == []


def test_the_rule_sees_a_helper_imported_from_another_file():
    """The check above fails on the layout it forbids (not a check that cannot fail)."""
    import types

    import numba

    from mecc import grid_kernels

    module = types.ModuleType("mecc.fake_kernels")
    source = "def kernel(x):\n    return sample_nearest_helper(x)\n"
    exec(compile(source, "fake_kernels.py", "exec"), module.__dict__)
    module.kernel = numba.njit(module.kernel)  # no cache: the source is no file
    module.kernel.py_func.__module__ = "mecc.fake_kernels"
    module.sample_nearest_helper = grid_kernels.sample_nearest
    assert _jitted_calls_elsewhere(module) == [
        "mecc.fake_kernels.kernel -> mecc.grid_kernels.sample_nearest_helper"
    ]
