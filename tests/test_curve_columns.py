"""Curve files read as a CLIMADA user writes them, and curves that displace people at
intensity <= 0.

- A curve file has the columns ``intensity,share`` and nothing else: a column mecc does
  not read (CLIMADA's ``paa`` next to ``share``) is refused in one line naming the file
  and the column, never silently dropped (it changed the AAD by about a quarter).
- A curve whose share is above 0 at intensity <= 0 keeps mecc's rule (a cell with
  intensity <= 0 contributes nothing, DESIGN.md) but warns once, in manifest.json,
  that CLIMADA would apply that share (its MDR(0)) to every dry cell.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from hazards import curves
from hazards.curves import Curve, load_curve, read_curve_csv
from mecc.errors import ConfigError, CurveError, MeccWarning
from tests._errors import expect_error
from tests._run_inputs import DEPTH, POP, basic_case, event_hazard, write_run

CLIMADA_HINT = "share = mdd x paa"


# ------------------------------------------------------------ columns of a curve file


def test_a_paa_column_next_to_share_is_refused_naming_file_and_column(tmp_path):
    path = tmp_path / "sharepaa.csv"
    path.write_text("intensity,share,paa\n0,0,0\n1,0.5,0.5\n3,1,1\n", encoding="utf-8")
    with pytest.raises(CurveError) as raised:
        read_curve_csv(path, name="sharepaa.csv")
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("sharepaa.csv:")
    assert "'paa'" in message and CLIMADA_HINT in message


def test_a_run_with_a_paa_column_stops_with_one_line_and_writes_nothing(cli, tmp_path):
    folder = tmp_path / "case"
    run = basic_case(folder)
    (folder / "curve.csv").write_text(
        "intensity,share,paa\n0,0,0\n1,0.5,0.5\n3,1,1\n", encoding="utf-8"
    )
    run["hazards"][0]["curve"] = "curve.csv"
    line = expect_error(
        cli, write_run(folder, run), tmp_path / "out", 1, "hazards[0]", "curve.csv", "'paa'"
    )
    assert CLIMADA_HINT in line


def test_mdd_and_paa_without_share_say_how_to_make_the_share(tmp_path):
    path = tmp_path / "mddpaa.csv"
    path.write_text("intensity,mdd,paa\n0,0,0\n1,0.5,0.5\n", encoding="utf-8")
    with pytest.raises(CurveError, match="'share' is missing") as raised:
        read_curve_csv(path)
    assert CLIMADA_HINT in str(raised.value)


def test_any_other_column_is_refused_and_notes_go_in_comment_lines(tmp_path):
    path = tmp_path / "noted.csv"
    path.write_text("intensity,share,source\n0,0,JRC\n2,1,JRC\n", encoding="utf-8")
    with pytest.raises(CurveError) as raised:
        read_curve_csv(path, name="noted.csv")
    message = str(raised.value)
    assert "noted.csv" in message and "'source'" in message and "#" in message
    assert CLIMADA_HINT not in message


def test_a_column_without_a_header_but_with_values_is_refused(tmp_path):
    path = tmp_path / "loose.csv"
    path.write_text("intensity,share,\n0,0,0.3\n2,1,0.3\n", encoding="utf-8")
    with pytest.raises(CurveError, match=r"column 3 \(no header\)"):
        read_curve_csv(path, name="loose.csv")


def test_comments_header_case_and_empty_spreadsheet_columns_are_still_read(tmp_path):
    """What curve files legitimately hold today keeps working: # lines (sources), any
    header case, and the empty trailing columns a spreadsheet writes (here semicolons
    and decimal commas)."""
    path = tmp_path / "sheet.csv"
    path.write_text(
        "# source: Huizinga et al. 2017\nIntensity;Share;;\n0;0;;\n0,5;0,25;;\n2;1;;\n",
        encoding="utf-8",
    )
    curve = read_curve_csv(path)
    assert curve.intensity == (0.0, 0.5, 2.0) and curve.share == (0.0, 0.25, 1.0)
    # 1.25 m lies halfway between 0.5 m (0.25) and 2 m (1.0)
    assert curve.evaluate(np.array([1.25]))[0] == pytest.approx(0.625, rel=1e-12)


def test_an_inline_curve_with_paa_is_refused_with_the_climada_hint():
    with pytest.raises(ConfigError, match="unknown key") as raised:
        load_curve({"intensity": [0, 1], "share": [0, 1], "paa": [0, 1]}, where="h.curve")
    assert "paa" in str(raised.value) and CLIMADA_HINT in str(raised.value)


# --------------------------------------------------- share above 0 at intensity <= 0


def _curve_warnings(spec) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load_curve(spec, where="h.curve")
    return [str(w.message) for w in caught if issubclass(w.category, MeccWarning)]


@pytest.mark.parametrize(
    ("intensity", "share", "expected"),
    [
        ([0, 1, 2], [0.1, 0.5, 0.9], (0.0, 0.1)),  # the probe's curve: 0.1 at 0
        ([0.5, 1], [0.2, 1], (0.0, 0.2)),  # starts above 0: clamped, 0.2 at 0
        ([-1, 1], [0.3, 0.8], (0.0, 0.55)),  # 0.3 + (0.8 - 0.3) * 1 / 2 at 0
        ([-1, 0, 1], [0.2, 0, 1], (-1.0, 0.2)),  # 0 at 0, but 0.2 at -1 and below
    ],
)
def test_a_share_above_zero_at_intensity_zero_or_below_warns_once(intensity, share, expected):
    curve = Curve("c", tuple(map(float, intensity)), tuple(map(float, share)))
    assert curves.dry_share(curve) == pytest.approx(expected, abs=1e-12)
    caught = _curve_warnings({"intensity": intensity, "share": share})
    assert len(caught) == 1, caught
    at, value = expected
    assert caught[0].startswith("h.curve:")
    assert f"share {value:g} at intensity {at:g} is not applied" in caught[0]
    assert "not exposed" in caught[0] and "CLIMADA" in caught[0]


@pytest.mark.parametrize(
    "spec",
    [
        {"intensity": [0, 1, 2], "share": [0, 0.5, 1]},
        {"intensity": [-2, 0, 1], "share": [0, 0, 1]},
        {"intensity": [1, 1], "share": [0, 1]},
        {"step": 1.0},
        "flood_step_1m",
        "jrc_residential_europe",
    ],
)
def test_a_curve_that_gives_nothing_at_intensity_zero_does_not_warn(spec):
    assert _curve_warnings(spec) == []


def test_a_run_keeps_the_rule_and_records_the_warning_in_the_manifest(cli, tmp_path):
    folder = tmp_path / "case"
    run = basic_case(folder)
    hazard = event_hazard(curve={"intensity": [0, 1, 2], "share": [0.1, 0.5, 0.9]})
    run["hazards"] = [hazard]
    result = cli("run", write_run(folder, run), "--out", tmp_path / "out", "--no-map")
    assert result.exit_code == 0, result.stderr
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    about = [w for w in manifest["warnings"] if "at intensity 0 is not applied" in w]
    assert len(about) == 1, manifest["warnings"]
    assert "hazards[0]" in about[0] and "share 0.1" in about[0]
    # AAD by hand: events.csv gives band 1 (DEPTH) frequency 0.1 and band 2 (2 x DEPTH)
    # 0.01; the dry column (depth 0) counts nothing, not 0.1 of its people
    expected = 0.0
    for depth, frequency in ((DEPTH, 0.1), (DEPTH * 2, 0.01)):
        share = np.where(depth > 0, np.interp(depth, [0, 1, 2], [0.1, 0.5, 0.9]), 0.0)
        expected += frequency * float((POP * share).sum())
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["hazards"]["ev"]["aad"] == pytest.approx(expected, rel=1e-9)
