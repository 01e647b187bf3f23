"""Bad usage (exit 2): run-file syntax, unknown keys, units, wind averaging, duplicates.

Each case is checked by ``tests._errors.expect_error``: the exit code, one line naming
the file and field, nothing written, an earlier run untouched, and the same verdict
from ``mecc validate``.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests._errors import expect_error
from tests._run_inputs import basic_case, hidden_entries, write_run
from tests.conftest import write_raster


@pytest.fixture
def case(tmp_path):
    """A valid case in tmp_path/case; returns (folder, run mapping)."""
    folder = tmp_path / "case"
    return folder, basic_case(folder)


# ------------------------------------------------------------- bad usage (exit 2)


def test_unknown_unit(cli, case, tmp_path):
    folder, run = case
    run["hazards"][0]["unit"] = "furlong"
    expect_error(
        cli,
        write_run(folder, run),
        tmp_path / "out",
        2,
        "run.yaml",
        "hazards[0]",
        "unit",
        "furlong",
    )


def test_unit_of_another_measure(cli, case, tmp_path):
    folder, run = case
    run["hazards"][0]["unit"] = "km/h"  # a wind speed for a flood depth
    line = expect_error(
        cli, write_run(folder, run), tmp_path / "out", 2, "run.yaml", "hazards[0]", "unit"
    )
    assert "'km/h'" in line and "water depth" in line


def _cyclone(folder, **extra) -> dict:
    write_raster(folder / "wind.tif", np.full((4, 4), 40.0))
    return {
        "id": "tc",
        "type": "tropical_cyclone",
        "intensity": "wind.tif",
        "scenario": "Cyclone X",
        "curve": "sshws_inasafe",
        **extra,
    }


@pytest.mark.parametrize(
    ("extra", "needles"),
    [
        ({"averaging": "3-min"}, ("averaging", "'3-min'", "1-min, 10-min, gust")),
        ({"averaging": "10-minute"}, ("averaging", "did you mean '10-min'")),
        ({"averaging": "gust"}, ("averaging", "gust_factor")),
        ({"averaging": "gust", "gust_factor": 0.8}, ("averaging", "gust_factor", ">= 1")),
        ({"gust_factor": 1.2}, ("gust_factor", "averaging: gust")),
    ],
    ids=["unknown", "did-you-mean", "gust-without-factor", "factor-below-1", "factor-alone"],
)
def test_wrong_wind_averaging(cli, case, tmp_path, extra, needles):
    folder, run = case
    run["hazards"] = [_cyclone(folder, **extra)]
    expect_error(
        cli, write_run(folder, run), tmp_path / "out", 2, "run.yaml", "hazards[0]", *needles
    )


def test_averaging_for_a_flood(cli, case, tmp_path):
    folder, run = case
    run["hazards"][0]["averaging"] = "10-min"
    expect_error(
        cli,
        write_run(folder, run),
        tmp_path / "out",
        2,
        "run.yaml",
        "hazards[0]",
        "averaging",
        "wind hazards only",
        "river_flood",
    )


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        ("", ("run.yaml", "mapping")),
        ("- country: AAA\n", ("run.yaml", "mapping")),
        ("country: AAA\n\tpopulation: {}\n", ("run.yaml", "YAML", "line 2")),
    ],
    ids=["empty", "a list", "tab"],
)
def test_run_file_that_is_not_a_mapping(cli, case, tmp_path, text, needles):
    folder, _ = case
    expect_error(cli, write_run(folder, text), tmp_path / "out", 2, *needles)


def test_duplicate_return_periods_int_and_float(cli, case, tmp_path):
    folder, run = case
    text = (
        "country: AAA\n"
        "population: {path: pop.tif}\n"
        "zones: {path: zones.geojson, code_field: code}\n"
        "hazards:\n"
        "  - id: rf\n"
        "    type: river_flood\n"
        "    curve: flood_step_1m\n"
        "    return_periods:\n"
        "      2: rp10.tif\n"
        "      2.0: rp100.tif\n"
    )
    line = expect_error(cli, write_run(folder, text), tmp_path / "out", 2, "run.yaml", "2")
    assert "twice" in line


def test_duplicate_return_periods_text_and_number(cli, case, tmp_path):
    """'2' (text) and 2.0 are the same return period: refused as bad usage like a duplicate key."""
    folder, run = case
    text = (
        "country: AAA\n"
        "population: {path: pop.tif}\n"
        "zones: {path: zones.geojson, code_field: code}\n"
        "hazards:\n"
        "  - id: rf\n"
        "    type: river_flood\n"
        "    curve: flood_step_1m\n"
        "    return_periods:\n"
        "      '2': rp10.tif\n"
        "      2.0: rp100.tif\n"
    )
    out = tmp_path / "out"
    result = cli("run", write_run(folder, text), "--out", out)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:")
    assert "return_periods" in lines[0] and "twice" in lines[0]
    assert not out.exists() and hidden_entries(tmp_path) == []


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (
            "country: AAA\ncountry: BBB\npopulation: {path: pop.tif}\n"
            "hazards: [{id: rf, type: river_flood, return_periods: {10: rp10.tif, 100: rp100.tif},"
            " curve: flood_step_1m}]\n",
            "'country'",
        ),
        (
            "country: AAA\npopulation: {path: pop.tif}\nhazards:\n  - id: rf\n"
            "    type: river_flood\n    curve: flood_step_1m\n    return_periods:\n"
            "      10: rp10.tif\n      10: rp100.tif\n",
            "10",
        ),
    ],
)
def test_duplicate_yaml_keys(cli, case, tmp_path, text, key):
    folder, _ = case
    line = expect_error(cli, write_run(folder, text), tmp_path / "out", 2, "run.yaml", key)
    assert "twice" in line and "line" in line


def test_events_and_return_periods_both_given(cli, case, tmp_path):
    folder, run = case
    run["hazards"][0].update(intensity="ev.tif", events="events.csv")
    line = expect_error(cli, write_run(folder, run), tmp_path / "out", 2, "run.yaml", "hazards[0]")
    assert "events" in line and "return_periods" in line


def test_fraction_for_non_flood_hazard(cli, case, tmp_path):
    folder, run = case
    write_raster(folder / "mmi.tif", np.full((4, 4), 7.0))
    write_raster(folder / "frac.tif", np.full((4, 4), 0.5))
    run["hazards"] = [
        {
            "id": "eq",
            "type": "earthquake",
            "intensity": "mmi.tif",
            "scenario": "M7 test",
            "fraction": "frac.tif",
            "curve": {"intensity": [5.5, 9.5], "share": [0.0, 0.2]},
        }
    ]
    expect_error(
        cli, write_run(folder, run), tmp_path / "out", 2, "run.yaml", "fraction", "earthquake"
    )


def test_yaml_syntax_error(cli, case, tmp_path):
    folder, _ = case
    text = "country: AAA\npopulation: {path: pop.tif\nhazards: []\n"
    expect_error(cli, write_run(folder, text), tmp_path / "out", 2, "run.yaml", "YAML", "line")


@pytest.mark.parametrize(
    ("mutate", "needles"),
    [
        (
            lambda run: run.update(hazzards=run.pop("hazards")),
            ("run.yaml", "'hazzards'", "did you mean 'hazards'"),
        ),
        (
            lambda run: run["hazards"][0].update(curv=run["hazards"][0].pop("curve")),
            ("run.yaml", "hazards[0]", "'curv'", "did you mean 'curve'"),
        ),
        (
            lambda run: run["zones"].update(code_feild=run["zones"].pop("code_field")),
            ("run.yaml", "zones", "'code_feild'", "did you mean 'code_field'"),
        ),
        (
            lambda run: run["population"].update(pth=run["population"].pop("path")),
            ("run.yaml", "population", "'pth'", "did you mean 'path'"),
        ),
    ],
    ids=["top-level", "hazard", "zones", "population"],
)
def test_unknown_key_with_did_you_mean(cli, case, tmp_path, mutate, needles):
    folder, run = case
    mutate(run)
    expect_error(cli, write_run(folder, run), tmp_path / "out", 2, *needles)


def test_unknown_hazard_type_with_suggestion(cli, case, tmp_path):
    folder, run = case
    run["hazards"][0]["type"] = "river_flod"
    expect_error(
        cli,
        write_run(folder, run),
        tmp_path / "out",
        2,
        "run.yaml",
        "hazards[0]",
        "type",
        "'river_flod'",
        "did you mean 'river_flood'",
    )
