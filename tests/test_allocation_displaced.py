"""The allocation moves the run's own displaced people (allocation.csv = zones_bands.csv).

On the 4 x 4 test grid (tests/_run_inputs.py, 0.1-degree cells) a scenario with the 1 m
step curve displaces columns 2 and 3 (depth 1 and 2 m):

    column 2: 30 + 70 + 110 + 150 = 360 people, column 3: 40 + 80 + 120 + 160 = 400.

Here unit A = columns 0-2 and B = column 3, and the allocation grid has 2 x 2 cells, so
the coarse cells of columns 2-3 are cut by the A/B border. With seasonal presence (half
the events in January, half in July, B's presence doubled in July) B's factor is 1.5:
A displaces 360 and B 400 x 1.5 = 600.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mecc.allocation import allocate_band
from tests._run_inputs import cell_box, write_zones
from tests.test_mobility import run, scenario_case


def _read(out, name):
    frame = pd.read_csv(out / name, encoding="utf-8-sig", dtype={"zone_code": str, "band": str})
    return frame.set_index(["zone_code", "hazard_id", "band"])


def test_allocation_displaced_equals_the_runs_per_unit_with_presence_and_cut_cells(tmp_path):
    data = scenario_case(tmp_path)
    write_zones(
        tmp_path / "zones.geojson",
        ["A", "B"],
        [cell_box(0, 0, rows=4, cols=3), cell_box(0, 3, rows=4, cols=1)],
    )
    data["hazards"][0]["season"] = {1: 1, 7: 1}
    (tmp_path / "months.csv").write_text("code,month,factor\nB,7,2\n", encoding="utf-8")
    data["mobility"] = {
        "seasonal": {
            "path": "months.csv",
            "code_column": "code",
            "month_column": "month",
            "multiplier_column": "factor",
        },
        # rows are 11.1 km high: 25 km gives 2 x 2 cells per allocation cell
        "allocation": {"radius_km": 300, "exponent": 0, "cell_km": 25},
    }
    result = run(tmp_path, data)
    assert result.summary["hazards"]["sc"]["displaced"] == pytest.approx(960, rel=1e-12)
    out = tmp_path / "out"
    allocation, bands = _read(out, "allocation.csv"), _read(out, "zones_bands.csv")
    assert allocation.loc[("A", "sc", "1"), "displaced"] == pytest.approx(360, rel=1e-9)
    assert allocation.loc[("B", "sc", "1"), "displaced"] == pytest.approx(600, rel=1e-9)
    assert allocation.loc[("__outside__", "sc", "1"), "displaced"] == 0
    assert allocation.loc[("__outside__", "sc", "1"), "hosted"] == 0
    joined = allocation.join(bands["displaced"].rename("displaced_run"), how="inner")
    assert len(joined) == len(allocation)
    np.testing.assert_allclose(joined["displaced"], joined["displaced_run"], rtol=1e-9)
    total = allocation.loc[["A", "B", "__outside__"]]
    assert total["hosted"].sum() + total["no_host"].sum() == pytest.approx(960, rel=1e-9)
    # everyone is in reach (exponent 0): the only safe cells are column 0, in A
    flows = pd.read_csv(out / "flows.csv", encoding="utf-8-sig", dtype=str)
    flows = flows.astype({"people": float}).groupby(["from_zone", "to_zone"])["people"].sum()
    assert flows.to_dict() == {
        ("A", "A"): pytest.approx(360, rel=1e-9),
        ("B", "A"): pytest.approx(600, rel=1e-9),
    }


def test_allocate_band_splits_a_cut_cell_and_rescales_to_the_units_totals():
    # one row of two coarse cells, one weight (everyone within reach, no decay)
    displaced = np.array([[0.0, 100.0]])
    safe = np.array([[50.0, 0.0]])
    weights = np.ones((1, 3, 3))
    # cell 0: 4 fine cells of unit 0; cell 1: 1 fine cell of unit 0 and 3 of unit 1
    parts = (np.array([0, 1, 1]), np.array([0, 0, 1], dtype=np.int32), np.array([4.0, 1, 3]))
    host = np.array([0, 1], dtype=np.int32)
    totals = np.array([30.0, 90.0, 0.0])  # the run's: unit 0, unit 1, outside
    moved = allocate_band(displaced, safe, weights, parts, host, 3, totals)
    np.testing.assert_allclose(moved["zone_displaced"], [30, 90, 0], rtol=1e-12)
    np.testing.assert_allclose(moved["zone_hosted"], [120, 0, 0], rtol=1e-12)
    np.testing.assert_allclose(moved["zone_no_host"], [0, 0, 0], atol=1e-12)
    origin, destination, people = moved["flows"]  # one entry per pair of units
    np.testing.assert_array_equal(origin, [0, 1])
    np.testing.assert_array_equal(destination, [0, 0])
    np.testing.assert_allclose(people, [30, 90], rtol=1e-12)
    # without run totals: the cut cell is split by fine cells (25 + 75)
    moved = allocate_band(displaced, safe, weights, parts, host, 3)
    np.testing.assert_allclose(moved["zone_displaced"], [25, 75, 0], rtol=1e-12)


def test_allocating_among_many_units_needs_no_matrix_of_every_pair():
    """A country of 20,000 finest units (barangay-level zones): the flows are kept per pair
    of units with people moving, not as a 20,000² matrix (3.2 GB a band)."""
    import tracemalloc

    n_zones = 20_001
    rng = np.random.default_rng(3)
    displaced = rng.uniform(0, 50, (40, 40))
    safe = rng.uniform(0, 500, (40, 40))
    weights = np.ones((1, 5, 5))
    cell = np.repeat(np.arange(1600), 2)
    zone = (cell * 7 + np.tile([0, 1], 1600)) % (n_zones - 1)
    parts = (cell, zone.astype(np.int32), np.tile([3.0, 1.0], 1600))
    host = (np.arange(1600) * 7 % (n_zones - 1)).astype(np.int32)
    allocate_band(displaced, safe, weights, parts, host, n_zones)  # compiled or loaded
    tracemalloc.start()
    moved = allocate_band(displaced, safe, weights, parts, host, n_zones)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 20e6, peak
    origin, destination, people = moved["flows"]
    assert people.sum() == pytest.approx(moved["hosted"].sum(), rel=1e-12)
    assert people.sum() + moved["no_host"].sum() == pytest.approx(displaced.sum(), rel=1e-12)
    # each unit of origin sends its parts' people: 3/4 and 1/4 of its cells' displaced
    sent = np.bincount(origin, weights=people, minlength=n_zones)
    expected = np.bincount(zone, weights=displaced.ravel()[cell] * parts[2] / 4, minlength=n_zones)
    np.testing.assert_allclose(sent, expected, rtol=1e-9)
