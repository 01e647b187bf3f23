"""A future population grid must cover the baseline grid's area: the people outside it
would count as none in that future, a loss booked as "population alone"."""

from __future__ import annotations

import numpy as np
import pytest
from affine import Affine

from mecc.errors import DataError
from mecc.run import run_country
from tests.test_futures_population import (
    D0,
    P1,
    T,
    _flood_run,
    _read,
    _row,
    aad,
    flood,  # noqa: F401 - the fixture
)


def test_a_future_grid_of_part_of_the_area_is_refused(flood, raster_writer):  # noqa: F811
    raster_writer("west.tif", P1[:, :2], transform=T)  # two of the three columns
    path = _flood_run(
        flood, "part", "", "  - id: people\n    population: {path: west.tif, year: 2050}\n"
    )
    with pytest.raises(DataError) as error:
        run_country(path, flood / "out_part", with_map=False)
    message = str(error.value)
    assert message.startswith(
        "part.yaml.futures[0].population.path (west.tif): covers (10, 49.8, 10.2, 50)"
    )
    assert "not all of the baseline population grid (10, 49.8, 10.3, 50)" in message
    assert not (flood / "out_part").exists()


def test_a_finer_future_grid_of_the_same_area_is_used(flood, raster_writer):  # noqa: F811
    finer = np.repeat(np.repeat(P1, 2, axis=0), 2, axis=1) / 4  # the same people, 0.05 cells
    raster_writer("fine.tif", finer, transform=Affine(0.05, 0, 10.0, 0, -0.05, 50.0))
    path = _flood_run(
        flood, "fine", "", "  - id: people\n    population: {path: fine.tif, year: 2050}\n"
    )
    out = run_country(path, flood / "out_fine", with_map=False).out_dir
    row = _row(_read(out, "futures.csv"), "people", "XXF")
    assert row["population_future"] == pytest.approx(P1.sum(), rel=1e-12)
    assert row["future"] == pytest.approx(aad(P1, D0)["national"], rel=1e-12)
