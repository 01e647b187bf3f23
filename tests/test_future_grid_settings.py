"""A future population grid is read like the baseline's: the baseline's extra nodata
marker (``population.nodata``) applies to it unless it gives its own, and it may name the
band of its file (``futures[].population.band``). Expected figures by numpy."""

from __future__ import annotations

import numpy as np
import pytest

from mecc.run import run_country
from tests.test_futures_population import (
    D0,
    P0,
    P1,
    _flood_run,
    _read,
    _row,
    aad,
    by_zone,
    flood,  # noqa: F401 - the fixture
)

MISSING = (1, 2)  # the cell both grids mark -99: not people


def _marked(grid):
    marked = grid.copy()
    marked[MISSING] = -99.0
    return marked


@pytest.mark.parametrize("own", [False, True], ids=["baseline-marker", "own-marker"])
def test_a_future_grid_takes_the_baseline_nodata_marker(flood, raster_writer, own):  # noqa: F811
    raster_writer("pop_m.tif", _marked(P0))
    raster_writer("pop2050_m.tif", _marked(P1) if not own else np.where(_marked(P1) < 0, -1, P1))
    marker = ", nodata: -1" if own else ""
    path = _flood_run(
        flood,
        f"marked{own}",
        "",
        f"  - id: people\n    population: {{path: pop2050_m.tif, year: 2050{marker}}}\n",
        population="{path: pop_m.tif, year: 2020, nodata: -99}",
    )
    out = run_country(path, flood / f"out_marked{own}", with_map=False).out_dir
    comparison = _read(out, "futures.csv")
    now, then = P0.copy(), P1.copy()
    now[MISSING] = then[MISSING] = 0.0
    people, before, after = by_zone(then), aad(now, D0), aad(then, D0)
    for zone, key in (("A", "A"), ("B", "B"), ("XXF", "national")):
        row = _row(comparison, "people", zone)
        assert row["population_future"] == pytest.approx(people[key], rel=1e-12)
        assert row["baseline"] == pytest.approx(before[key], rel=1e-12)
        assert row["future"] == pytest.approx(after[key], rel=1e-12)


def test_a_future_grid_reads_the_band_it_names(flood, raster_writer):  # noqa: F811
    raster_writer("stack.tif", np.stack([P0 * 7.0, P1]))  # band 2: the 2050 people
    path = _flood_run(
        flood,
        "band",
        "",
        "  - id: people\n    population: {path: stack.tif, band: 2, year: 2050}\n",
    )
    out = run_country(path, flood / "out_band", with_map=False).out_dir
    row = _row(_read(out, "futures.csv"), "people", "XXF")
    assert row["population_future"] == pytest.approx(P1.sum(), rel=1e-12)
    assert row["future"] == pytest.approx(aad(P1, D0)["national"], rel=1e-12)
