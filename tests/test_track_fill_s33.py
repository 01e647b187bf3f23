"""Best tracks with gaps or mixed-up units (hazards.cyclone.read_track).

1. A point with its own wind but no pressure took a pressure interpolated between the
   points around it: a 140 kt hurricane between two weak points' pressures (1004 and
   995 hPa, as early best tracks report pressure only now and then) peaked at 24.9 m/s,
   and the grid's tags said every pressure came from the file. Such a point now gets its
   pressure from its own wind (CLIMADA's fit, as at a track's ends); only points giving
   neither are interpolated, and the tags count them.
2. Winds in m/s (or km/h) under ``vmax_kt`` disagree with the pressures by the unit's
   factor: the track is read with a warning naming the column and the ratio.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
import rasterio

from hazards import track_checks
from hazards.cyclone import read_track, write_cyclone
from mecc.errors import MeccWarning

KNOT = 1852.0 / 3600.0
WINDS = [35, 60, 90, 120, 140, 120, 90, 60]


def _track(path, pressures, winds=WINDS):
    rows = [
        f"2020090{1 + h // 24}{h % 24:02d},15.0,{-50.0 - k:.1f},{w},{p}"
        for k, (h, w, p) in enumerate(zip(range(0, 48, 6), winds, pressures, strict=True))
    ]
    path.write_text("time_utc,lat,lon,vmax_kt,pressure_hpa\n" + "\n".join(rows) + "\n")
    return path


def _fit(v_kt, lat, lon):
    """CLIMADA's _estimate_pressure, written out (its published coefficients)."""
    return 1026.3401 - 0.05504 * lat - 0.03536 * lon - 0.7357 * v_kt


def test_a_point_with_its_own_wind_gets_its_pressure_from_it(tmp_path):
    path = _track(tmp_path / "sparse.csv", [1004, "", "", "", "", "", "", 995])
    track = read_track(path)
    inside = slice(1, 7)
    expected = _fit(np.array(WINDS[inside], float), 15.0, track.lon.to_numpy()[inside])
    np.testing.assert_allclose(track.pressure_hpa.to_numpy()[inside], expected, rtol=1e-12)
    assert track.pressure_hpa.iat[4] < 930  # the 140 kt point: about 920 hPa, not ~999
    assert track.pressure_estimated.sum() == 6 and not track.pressure_interpolated.any()

    out = write_cyclone(path, tmp_path / "wind.tif", bounds=(-60, 8, -46, 22), resolution=0.05)
    with rasterio.open(out) as dataset:
        peak = float(dataset.read(1).max())
        counted = json.loads(dataset.tags()["parameters"])["estimated_points"]
    assert peak > 55.0  # Holland (2008) from about 920 hPa; was 24.9 m/s
    assert counted["pressure_estimated"] == 6 and counted["pressure_interpolated"] == 0


def test_only_a_point_giving_neither_is_interpolated(tmp_path):
    winds = [35, 60, 90, "", 140, 120, 90, 60]
    path = _track(tmp_path / "gap.csv", [1004, 990, 970, "", 930, 945, 970, 995], winds)
    track = read_track(path)
    assert track.pressure_interpolated.tolist() == [False] * 3 + [True] + [False] * 4
    assert track.vmax_interpolated.tolist() == track.pressure_interpolated.tolist()
    assert track.pressure_hpa.iat[3] == pytest.approx(950.0)  # halfway between 970 and 930
    assert track.vmax_kt.iat[3] == pytest.approx(115.0)
    assert not track.pressure_estimated.any() and not track.vmax_estimated.any()


def _irma_with_winds_times(shared_data, tmp_path, factor, rows=None):
    table = pd.read_csv(shared_data / "tracks" / "irma_2017.csv", dtype={"time_utc": str})
    table = table.iloc[:rows]  # km/h: the points to 4 September (up to 100 kt, 185 km/h)
    table["vmax_kt"] = (table["vmax_kt"] * factor).round(1)
    path = tmp_path / f"irma_{factor}.csv"
    table.to_csv(path, index=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        read_track(path)
    return [str(w.message) for w in caught if issubclass(w.category, MeccWarning)]


def _median_ratio(shared_data, factor, rows):
    """The median ratio written out: winds over CLIMADA's _estimate_vmax of the pressures
    (its published coefficients), at the points of 34 kt or more by both."""
    table = pd.read_csv(shared_data / "tracks" / "irma_2017.csv").iloc[:rows]
    wind = (table.vmax_kt * factor).round(1)
    fitted = (
        1216.5223 - 0.04086 * table.lat.abs() - 0.04190 * table.lon - 1.1797 * table.pressure_hpa
    )
    strong = (wind >= 34) & (fitted >= 34)
    return float(np.median(wind[strong] / fitted[strong]))


@pytest.mark.parametrize(("factor", "rows"), [(KNOT, None), (1.852, 36)])
def test_winds_in_another_unit_are_warned_about(shared_data, tmp_path, factor, rows):
    said = _irma_with_winds_times(shared_data, tmp_path, factor, rows)
    ratio = f"{_median_ratio(shared_data, factor, rows):.2f}"
    assert ratio in {"0.57", "2.45"}
    assert len(said) == 1
    assert f"column vmax_kt: its winds are {ratio} times the winds its pressures give" in said[0]
    assert "(median of" in said[0] and "m/s, km/h" in said[0]


def test_irma_as_published_reads_without_that_warning(shared_data, tmp_path):
    assert _irma_with_winds_times(shared_data, tmp_path, 1.0) == []
    # the figures the checks' docstring gives for Irma, computed here
    table = pd.read_csv(shared_data / "tracks" / "irma_2017.csv")
    fitted = (
        1216.5223 - 0.04086 * table.lat.abs() - 0.04190 * table.lon - 1.1797 * table.pressure_hpa
    )
    strong = int(((table.vmax_kt >= 34) & (fitted >= 34)).sum())
    text = " ".join(track_checks.__doc__.split())
    ratio = _median_ratio(shared_data, 1.0, None)
    assert f"Hurricane Irma's {strong} such points {ratio:.2f}" in text
    assert f"m/s under ``vmax_kt`` read about {_median_ratio(shared_data, KNOT, None):.2f}" in text
