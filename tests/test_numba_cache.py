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
