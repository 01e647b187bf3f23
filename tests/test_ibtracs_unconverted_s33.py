"""IBTrACS points whose only winds are New Delhi's 3-minute or CMA's 2-minute winds: no
cited factor turns those into 1-minute winds, so they are not used; that used to happen
without a word (a Fani-like track's 115 kt became a wind estimated from its pressure).
It is now said in one warning naming the file, the count and the agencies' periods."""

from __future__ import annotations

import warnings

import numpy as np

from hazards.cyclone import read_track
from mecc.errors import MeccWarning
from tests._official_formats import IBTRACS_HEADER, IBTRACS_UNITS


def _write(path, agency, winds, pressures):
    lines = [IBTRACS_HEADER, IBTRACS_UNITS]
    for k, (wind, pressure) in enumerate(zip(winds, pressures, strict=True)):
        time = f"2019-05-0{1 + k // 4} {6 * (k % 4):02d}:00:00"
        cells = ["2019117N05088", "2019", "1", "NI", "BB", "FANI", time, "TS"]
        cells += [f"{15.0 + 0.5 * k:g}", "86.0", f"{wind:g}", f"{pressure:g}", agency, "main"]
        cells += [" "] * 6  # no USA_* and TOKYO_* values
        lines.append(",".join(cells))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _read(path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        track = read_track(path)
    return track, [str(w.message) for w in caught if issubclass(w.category, MeccWarning)]


def test_three_minute_winds_are_left_out_with_a_warning(tmp_path):
    path = _write(tmp_path / "fani.csv", "newdelhi", [90, 115, 100], [960, 937, 950])
    track, said = _read(path)
    assert len(said) == 1
    assert said[0].startswith(f"{path}: 3 point(s) give winds only as newdelhi 3-min: ")
    assert "no cited factor" in said[0]
    # the winds come from the pressures (CLIMADA's _estimate_vmax, written out)
    expected = 1216.5223 - 0.04086 * track.lat.abs() - 0.04190 * 86.0 - 1.1797 * track.pressure_hpa
    np.testing.assert_allclose(track.vmax_kt, expected, rtol=1e-12)
    assert track.vmax_estimated.all()


def test_two_minute_winds_too(tmp_path):
    _, said = _read(_write(tmp_path / "cma.csv", "cma", [60, 70], [985, 975]))
    assert len(said) == 1 and "2 point(s) give winds only as cma 2-min" in said[0]


def test_ten_minute_winds_are_converted_and_say_nothing(tmp_path):
    track, said = _read(_write(tmp_path / "jma.csv", "tokyo", [90, 100], [950, 940]))
    assert said == []
    np.testing.assert_allclose(track.vmax_kt, np.array([90, 100]) / 0.93)
