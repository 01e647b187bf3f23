"""needs.csv gives each unit's range around its central figure, also where curves cross.

Before, needs.csv copied a unit's low and high variant figures as they were: where the
curves cross in a unit (its low variant displaces more than the central curve), its
displaced_low was above displaced and the range left the central figure out, unlike the
Sendai tables, profiles and map, which show the lowest and highest of the three.
"""

from __future__ import annotations

import math
import shutil

import pandas as pd
import pytest

from mecc.map_data import read_run
from mecc.needs import basis_column, load_needs_profile, needs_table


def test_crossing_variants_give_a_range_holding_the_central_figure(demo_folder, tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(demo_folder / "run", run_dir)
    zones = pd.read_csv(run_dir / "zones.csv", dtype={"zone_code": str}, keep_default_na=False)
    run = read_run(run_dir)
    info = run.summary["hazards"]["cyclone_wind"]
    column = basis_column(info["kind"], zones.columns)
    rows = zones[(zones["hazard_id"] == "cyclone_wind") & (zones["zone_code"] != "__outside__")]
    central = pd.to_numeric(rows[column], errors="coerce")
    crossing = central[central > 0].index[:2]  # two units with people displaced
    assert len(crossing) == 2
    # curves crossing in those units: the low variant above the central figure in one,
    # the high variant below it in the other
    zones.loc[crossing[0], f"{column}_low"] = repr(float(central[crossing[0]]) * 1.5)
    zones.loc[crossing[1], f"{column}_high"] = repr(float(central[crossing[1]]) * 0.5)
    zones.to_csv(run_dir / "zones.csv", index=False)

    needs = needs_table(read_run(run_dir), load_needs_profile("sphere"), hazard_id="cyclone_wind")
    water = needs[needs["need_id"] == "water"].set_index("zone_code")
    for index in rows.index:
        row = zones.loc[index]
        values = [float(row[column])] + [
            float(row[f"{column}{s}"]) for s in ("_low", "_high") if row[f"{column}{s}"] != ""
        ]
        if not all(math.isfinite(v) for v in values) or len(values) == 1:
            continue
        got = water.loc[row["zone_code"]]
        assert got["displaced_low"] == pytest.approx(min(values), rel=1e-12)
        assert got["displaced_high"] == pytest.approx(max(values), rel=1e-12)
        assert got["displaced_low"] <= got["displaced"] <= got["displaced_high"]
        assert got["amount_low"] == pytest.approx(min(values) * got["per_person"], rel=1e-12)
    # the crossed units: the range still holds the central figure
    first, second = (zones.loc[i] for i in crossing)
    assert water.loc[first["zone_code"], "displaced_low"] <= float(first[column])
    assert float(first[column]) < float(first[f"{column}_low"])  # (the raw low variant)
    assert water.loc[second["zone_code"], "displaced_high"] >= float(second[column])
    assert float(second[column]) > float(second[f"{column}_high"])


def test_the_table_rule_is_the_scalar_rule_unit_by_unit():
    """variant_ranges (tables) gives variant_range (headline, map) of every element."""
    import itertools

    import numpy as np

    from mecc.variant_order import variant_range, variant_ranges

    values = (np.nan, 0.0, 80.0, 100.0, 120.0)
    triples = list(itertools.product(values, repeat=3))
    low, high = variant_ranges(*(np.array(column) for column in zip(*triples, strict=True)))
    for k, (central, lo, hi) in enumerate(triples):
        scalar = variant_range(
            central, None if math.isnan(lo) else lo, None if math.isnan(hi) else hi
        )
        if scalar is None:
            assert math.isnan(low[k]) and math.isnan(high[k]), (central, lo, hi)
        else:
            assert (low[k], high[k]) == scalar, (central, lo, hi)
