"""A hazard with a flooded-fraction grid across 180 degrees, people in the other convention.

Fiji's people on a grid at 177-183 degrees east (0-360 longitudes) and a storm surge with
its flooded fraction east of 180, written at 180-183 or at -180..-177. The fraction makes
the hazard's grid the analysis grid, grown to cover the population grid: it was grown to
-183..-177, and the population grid at 177-183 was then refused as not overlapping it.
Now the hazard's grid is moved to the population's longitudes before it grows, so the
analysis grid is 177-183: per-zone figures match numpy by hand, the population's total
is conserved (area-weighted from finer cells), and the hazard's cells are its own.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from tests.test_antimeridian_hazards import CELL, DEPTH, ROWS, fiji_run

FINE = CELL / 2  # the population's cells: 40 x 48 of 0.125 degrees, 177-183 east
PEOPLE = np.random.default_rng(261).uniform(5.0, 200.0, size=(2 * ROWS, 48))
FRACTION = np.random.default_rng(262).uniform(0.05, 1.0, size=DEPTH.shape)
ON_HAZARD_CELLS = PEOPLE.reshape(ROWS, 2, 24, 2).sum(axis=(1, 3))  # 20 x 24 of 0.25 degrees


def _run_file(tmp_path, population_left, surge_left):
    return fiji_run(tmp_path, PEOPLE, FINE, population_left, surge_left, fraction=FRACTION)


def _by_hand(east):
    """Displaced and no-hazard-data people of the eastern cells (0.25 degrees)."""
    displaced = float((east * FRACTION * (np.nan_to_num(DEPTH) >= 1.0)).sum())
    return displaced, float(east[np.isnan(DEPTH)].sum())


@pytest.mark.parametrize(
    ("population_left", "moved"), [(177.0, True), (-183.0, False)], ids=["pop_0_360", "pop_minus"]
)
@pytest.mark.parametrize("surge_left", [180.0, -180.0], ids=["surge_e360", "surge_e180"])
def test_a_flooded_fraction_across_180_runs_on_people_in_either_convention(
    cli, tmp_path, population_left, moved, surge_left
):
    run = _run_file(tmp_path, population_left, surge_left)
    result = cli("validate", run)
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    result = cli("run", run, "--out", out, "--no-map")
    assert result.exit_code == 0, result.output

    # surge column k is the population's (0.25-degree) column 12 + k
    east, west = ON_HAZARD_CELLS[:, 12:], ON_HAZARD_CELLS[:, :12]
    displaced, missing = _by_hand(east)
    table = pd.read_csv(out / "zones.csv", encoding="utf-8-sig").set_index("zone_code")
    assert table.loc["W", "population"] == pytest.approx(float(west.sum()), rel=1e-9)
    assert table.loc["W", "displaced"] == 0.0
    assert table.loc["W", "population_no_hazard_data"] == pytest.approx(float(west.sum()), rel=1e-9)
    assert table.loc["E", "population"] == pytest.approx(float(east.sum()), rel=1e-9)
    assert table.loc["E", "displaced"] == pytest.approx(displaced, rel=1e-9)
    assert table.loc["E", "population_no_hazard_data"] == pytest.approx(missing, rel=1e-9)
    assert table.loc["__outside__", "population"] == 0.0
    assert 0.1 * east.sum() < displaced < 0.9 * east.sum()  # the fraction is applied

    manifest = json.loads((out / "manifest.json").read_text())
    grid = manifest["parameters"]["analysis_grid"]
    # the hazard's 0.25-degree cells, at the population's longitudes, grown westwards
    # over 177-180 only (not the wrong way round the Earth)
    assert grid["transform"] == pytest.approx([CELL, 0, population_left, 0, -CELL, -15.0])
    assert (grid["width"], grid["height"]) == (24, ROWS)
    shift = ", moved by +360° to the population grid's longitudes" if moved else ""
    assert grid["source"] == f"hazard s{shift}, grown to cover the population grid"
    assert manifest["parameters"]["hazards"]["s"]["resampling"] == "none (on the analysis grid)"
    # every person of the file is on the analysis grid (area-weighted 2 x 2 sums)
    report = manifest["parameters"]["population"]["resampling"]
    assert report["method"] == "area_weighted"
    assert report["total_native"] == pytest.approx(float(PEOPLE.sum()), rel=1e-12)
    assert report["total_on_grid"] == pytest.approx(float(PEOPLE.sum()), rel=1e-12)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["population_total"] == pytest.approx(float(PEOPLE.sum()), rel=1e-12)
    assert summary["hazards"]["s"]["displaced"] == pytest.approx(displaced, rel=1e-9)


def test_a_grid_kept_from_growing_is_still_at_the_population_longitudes(tmp_path, monkeypatch):
    """A hazard grid that may not grow (too many cells) is kept as it is, but at the
    population's longitudes: the eastern people are on it, the western ones are left out
    with a warning, instead of the population grid being refused."""
    import mecc.inputs
    from mecc.run import run_country

    monkeypatch.setattr(mecc.inputs, "GROWN_CELLS_MAX", 24 * ROWS - 1)
    run = _run_file(tmp_path, 177.0, -180.0)
    out = run_country(run, tmp_path / "out").out_dir
    manifest = json.loads((out / "manifest.json").read_text())
    grid = manifest["parameters"]["analysis_grid"]
    assert grid["transform"] == pytest.approx([CELL, 0, 180.0, 0, -CELL, -15.0])
    assert (grid["width"], grid["height"]) == (12, ROWS)
    assert grid["source"] == "hazard s, moved by +360° to the population grid's longitudes"
    assert any("would grow to 24 x 20 cells" in w for w in manifest["warnings"])
    east = ON_HAZARD_CELLS[:, 12:]
    displaced, missing = _by_hand(east)
    report = manifest["parameters"]["population"]["resampling"]
    assert report["total_native"] == pytest.approx(float(PEOPLE.sum()), rel=1e-12)
    assert report["total_on_grid"] == pytest.approx(float(east.sum()), rel=1e-12)
    table = pd.read_csv(out / "zones.csv", encoding="utf-8-sig").set_index("zone_code")
    assert table.loc["E", "population"] == pytest.approx(float(east.sum()), rel=1e-9)
    assert table.loc["E", "displaced"] == pytest.approx(displaced, rel=1e-9)
    assert table.loc["E", "population_no_hazard_data"] == pytest.approx(missing, rel=1e-9)
