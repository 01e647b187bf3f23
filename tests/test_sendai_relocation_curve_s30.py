"""sendai.csv's method column of a sea-level rise's planned-relocation rows describes
the method the run used (water connected to the sea, closed depressions left dry), as
the map and README do; it called it a "bathtub", the very method it is not."""

from __future__ import annotations

import pandas as pd

from tests.test_map_slow_onset import SLR, _inputs
from tests.test_sendai_unused_layers_s30 import _run


def test_relocation_rows_name_the_connected_method(tmp_path):
    _inputs(tmp_path)
    run = _run(tmp_path, "slr", [SLR], layers=False)
    rows = pd.read_csv(run / "sendai.csv", encoding="utf-8-sig", keep_default_na=False)
    relocation = rows[rows["hazard_id"] == "slr"]
    assert len(relocation) > 0
    assert set(relocation["curve"]) == {
        "connected inundation: DEM below high tide + sea-level rise, on cells connected to "
        "the sea (no bathtub over closed depressions; Poulter and Halpin 2008)"
    }
