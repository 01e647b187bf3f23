"""Curves as a user gives or looks them up.

1. A curve whose share falls as the intensity rises (0 -> 0.8 -> 0.3 -> 1: a typing
   error) was accepted without a word; it now runs with a warning naming the key and the
   two points. Fatality-model curves, whose survivors' share falls by design, do not warn.
2. ``mecc curves show NAME:VARIANT`` (as a run file names a variant) shows that variant;
   an unknown variant is refused with the curve's variants, exit 2.
"""

from __future__ import annotations

import warnings

import pytest

from hazards.curves import load_curve, load_curve_set
from mecc.errors import MeccWarning

WHERE = "run.yaml.hazards[0].curve"


def _warnings(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = call()
    return result, [str(w.message) for w in caught if issubclass(w.category, MeccWarning)]


def test_a_csv_curve_whose_share_falls_is_warned_about(tmp_path):
    (tmp_path / "curve.csv").write_text(
        "# a typing error: 0.3 for 0.93\nintensity,share\n0,0\n1,0.8\n2,0.3\n3,1\n",
        encoding="utf-8",
    )
    curve, said = _warnings(lambda: load_curve("curve.csv", tmp_path, WHERE, "river_flood"))
    assert curve.share == (0.0, 0.8, 0.3, 1.0)  # run as given
    assert said == [
        f"{WHERE}: curve.csv: the share falls from 0.8 at intensity 1 to 0.3 at 2: more "
        "hazard displacing fewer people is unusual (a typing error?); check the curve's shares"
    ]


def test_an_inline_curve_whose_share_falls_is_warned_about_by_its_key():
    spec = {"intensity": [0, 20, 40], "share": [0, 0.5, 0.4]}
    _, said = _warnings(lambda: load_curve(spec, ".", WHERE, "tropical_cyclone"))
    assert len(said) == 1 and said[0].startswith(f"{WHERE}: the share falls from 0.5 at")


@pytest.mark.parametrize(
    "spec",
    [
        {"intensity": [0, 1, 2], "share": [0, 0.5, 0.5]},  # flat is fine
        "flood_step_1m",
        "jrc_residential_africa",
    ],
)
def test_rising_or_flat_curves_say_nothing(spec):
    _, said = _warnings(lambda: load_curve_set(spec, None, ".", WHERE, "river_flood"))
    assert said == []


def test_a_fatality_model_curve_falls_by_design_and_says_nothing():
    curves, said = _warnings(
        lambda: load_curve_set("eq_mmi6_survivors_itb", None, ".", WHERE, "earthquake", "IDN")
    )
    share = curves["central"].share
    assert any(b < a for a, b in zip(share, share[1:], strict=False))  # it does fall
    assert said == []


def test_curves_show_a_variant_as_a_run_file_names_it(cli):
    result = cli("curves", "show", "flood_step_1m:low")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("flood_step_1m: ")
    assert "  low: 0 below 1.5 m, 1 at or above" in lines
    assert not any(line.startswith(("  central:", "  high:")) for line in lines)
    whole = cli("curves", "show", "flood_step_1m").output.splitlines()
    assert (
        "  central: 0 below 1 m, 1 at or above" in whole
        and "  high: 0 below 0.5 m, 1 at or above" in whole
    )


def test_curves_show_refuses_an_unknown_variant(cli):
    result = cli("curves", "show", "flood_step_1m:lw")
    assert result.exit_code == 2
    assert result.output.strip().endswith(
        "curve: flood_step_1m has no variant 'lw'; its variants are central, low, high"
    )
