"""Protection standards and return-period maps a user gets wrong without an error.

A protection standard at or above the largest map protects against every map (DESIGN.md:
``aad`` = 0); a quoted number is text, not years; the same file given for two return
periods is one map twice; a protection mapping with an unknown zone code is refused with
the run file named. ``mecc validate`` and ``mecc run`` both say so.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio

from mecc.risk import protection_beyond_maps
from tests._errors import expect_error
from tests._run_inputs import basic_case, write_run

DJIBOUTI = Path("/work/shared/data/aqueduct_djibouti")
WHERE = "run.yaml.hazards[0] (rf)"


def _warnings(result, command: str) -> list[str]:
    """The warning lines of ``mecc run`` (stderr) or ``mecc validate`` (stdout)."""
    assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr)
    if command == "run":
        return [line[len("warning: ") :] for line in result.stderr.splitlines()]
    return [
        line.strip()[len("warning  ") :]
        for line in result.stdout.splitlines()
        if line.strip().startswith("warning  ")
    ]


def _both(cli, run_file, out) -> dict:
    """The warnings of ``mecc validate`` and of ``mecc run`` (``out``: its folder)."""
    return {
        "validate": _warnings(cli("validate", run_file), "validate"),
        "run": _warnings(cli("run", run_file, "--out", out, "--no-map"), "run"),
    }


def _djibouti_case(folder: Path, return_periods: dict, protection=None) -> Path:
    """The user's probe: 100 people on every cell of the Aqueduct Djibouti grid."""
    folder.mkdir(parents=True, exist_ok=True)
    with rasterio.open(DJIBOUTI / "rp00100.tif") as source:
        profile = source.profile
        shape = (source.height, source.width)
    profile.update(nodata=None, dtype="float32")
    with rasterio.open(folder / "pop.tif", "w", **profile) as target:
        target.write(np.full(shape, 100, "float32"), 1)
    hazard = {
        "id": "fl",
        "type": "river_flood",
        "return_periods": {rp: str(DJIBOUTI / name) for rp, name in return_periods.items()},
        "curve": {"step": 0.2},
    }
    if protection is not None:
        hazard["protection_rp"] = protection
    run = {"country": "DJI", "population": {"path": "pop.tif"}, "hazards": [hazard]}
    return write_run(folder, run, "r.yaml")


DJI_MAPS = {10: "rp00010.tif", 100: "rp00100.tif", 1000: "rp01000.tif"}


# ------------------------------------------------- protection at or above the largest map


def test_a_protection_above_the_largest_map_is_warned_about_in_validate_and_run(tmp_path, cli):
    run_file = _djibouti_case(tmp_path / "case", DJI_MAPS, protection=5000)
    found = _both(cli, run_file, tmp_path / "out")
    expected = (
        "r.yaml.hazards[0] (fl).protection_rp: the protection standard (5000 years) is at or "
        "above the largest mapped return period (1000 years): every map is protected, so "
        "every figure of this hazard is 0 (AAD, PMD, each map's) and floods rarer than the "
        "largest map, the only ones that get past the protection, are not modelled"
    )
    for command, lines in found.items():
        matching = [line for line in lines if line.startswith(expected)]
        assert len(matching) == 1, (command, lines)
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    figures = summary["hazards"]["fl"]
    assert figures["aad"] == 0.0 and set(figures["pmd"].values()) == {0.0}  # semantics stay
    assert figures["protection_rp"] == 5000.0


def test_a_protection_equal_to_the_largest_map_is_warned_about(tmp_path, cli):
    run_file = _djibouti_case(tmp_path / "case", DJI_MAPS, protection=1000)
    found = _both(cli, run_file, tmp_path / "out")
    expected = (
        "r.yaml.hazards[0] (fl).protection_rp: the protection standard (1000 years) is at or "
        "above the largest mapped return period (1000 years): every map but the 1000-year one "
        "is protected, so its AAD and every figure below 1000 years are 0"
    )
    for command, lines in found.items():
        assert sum(line.startswith(expected) for line in lines) == 1, (command, lines)
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    bands = {b["band"]: b["displaced"] for b in summary["hazards"]["fl"]["bands"]}
    assert summary["hazards"]["fl"]["aad"] == 0.0
    assert bands["rp10"] == bands["rp100"] == 0.0 and bands["rp1000"] > 0


def test_a_protection_below_the_largest_map_gives_no_such_warning(tmp_path, cli):
    run_file = _djibouti_case(tmp_path / "case", DJI_MAPS, protection=500)
    for command, lines in _both(cli, run_file, tmp_path / "out").items():
        assert not [line for line in lines if "protection_rp" in line], (command, lines)
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["hazards"]["fl"]["aad"] > 0


def test_zones_protected_above_the_largest_map_are_counted_and_named(tmp_path, cli):
    folder = tmp_path / "case"
    run = basic_case(folder)  # maps of 10 and 100 years, zones A and B
    run["hazards"][0]["protection_rp"] = {"A": 100, "B": 5}
    found = _both(cli, write_run(folder, run), tmp_path / "out")
    expected = (
        f"{WHERE}.protection_rp: 1 zone(s) (A) have a protection standard at or above the "
        "largest mapped return period (100 years): their AAD is 0, so is every figure of a "
        "map below their standard, and floods rarer than the largest map"
    )
    for command, lines in found.items():
        assert sum(line.startswith(expected) for line in lines) == 1, (command, lines)
    zones = pd.read_csv(tmp_path / "out" / "zones.csv", encoding="utf-8-sig")
    aad = dict(zip(zones["zone_code"], zones["aad"], strict=True))
    assert aad["A"] == 0.0 and aad["B"] > 0


def test_a_protection_table_above_the_largest_map_names_the_first_zones(tmp_path, cli):
    folder = tmp_path / "case"
    run = basic_case(folder)
    (folder / "prot.csv").write_text("zone_code,protection_rp\nA,500\nB,100\n", encoding="utf-8")
    run["hazards"][0]["protection_rp"] = "prot.csv"
    found = _both(cli, write_run(folder, run), tmp_path / "out")
    expected = f"{WHERE}.protection_rp: 2 zone(s) (A, B) have a protection standard at or above"
    for command, lines in found.items():
        assert sum(line.startswith(expected) for line in lines) == 1, (command, lines)


def test_protection_beyond_maps_is_none_below_the_largest_map():
    assert protection_beyond_maps([10, 100], None) is None
    assert protection_beyond_maps([10, 100], 99.0) is None
    assert protection_beyond_maps([10, 100], {"A": 50.0, "B": None}) is None
    many = {f"Z{k}": 100.0 for k in range(7)}
    assert protection_beyond_maps([10, 100], many).startswith(
        "7 zone(s) (Z0, Z1, Z2, Z3, Z4, ...) have a protection standard"
    )


# -------------------------------------------------------------- a number given as text


def test_a_quoted_number_as_protection_is_refused_as_text(tmp_path, cli):
    folder = tmp_path / "case"
    run = basic_case(folder)
    run["hazards"][0]["protection_rp"] = "50"
    line = expect_error(cli, write_run(folder, run), tmp_path / "out", 2)
    assert line == (
        f"error: {WHERE}.protection_rp: '50' is text (in quotes), not a number of years; "
        "write 50 without quotes, or give the path of a CSV table with columns zone_code, "
        "protection_rp"
    )


def test_a_missing_protection_table_is_still_a_missing_file(tmp_path, cli):
    folder = tmp_path / "case"
    run = basic_case(folder)
    run["hazards"][0]["protection_rp"] = "prot.csv"
    line = expect_error(cli, write_run(folder, run), tmp_path / "out", 1)
    assert line.startswith(f"error: {WHERE}.protection_rp: file not found (")


# ---------------------------------------------------- one file for two return periods


@pytest.mark.parametrize("spelling", ["rp10.tif", "./rp10.tif"])
def test_one_file_for_two_return_periods_is_warned_about(tmp_path, cli, spelling):
    folder = tmp_path / "case"
    run = basic_case(folder)
    run["hazards"][0]["return_periods"] = {10: "rp10.tif", 100: spelling}
    found = _both(cli, write_run(folder, run), tmp_path / "out")
    expected = (
        f"{WHERE}.return_periods: the 10- and 100-year maps are the same file ({spelling}); "
        "each return period needs its own map"
    )
    for command, lines in found.items():
        assert sum(line.startswith(expected) for line in lines) == 1, (command, lines)


def test_one_djibouti_file_for_two_return_periods_is_warned_about(tmp_path, cli):
    maps = {10: "rp00010.tif", 100: "rp00010.tif", 1000: "rp01000.tif"}
    found = _both(cli, _djibouti_case(tmp_path / "case", maps), tmp_path / "out")
    expected = (
        f"r.yaml.hazards[0] (fl).return_periods: the 10- and 100-year maps are the same file "
        f"({DJIBOUTI / 'rp00010.tif'})"
    )
    for command, lines in found.items():
        assert sum(line.startswith(expected) for line in lines) == 1, (command, lines)


def test_files_of_their_own_give_no_such_warning(tmp_path, cli):
    folder = tmp_path / "case"
    run = basic_case(folder)
    for command, lines in _both(cli, write_run(folder, run), tmp_path / "out").items():
        assert not [line for line in lines if "same file" in line], (command, lines)


# ------------------------------------------------------ unknown zone codes, file named


def test_an_unknown_protection_zone_code_names_the_run_file(tmp_path, cli):
    folder = tmp_path / "case"
    run = basic_case(folder)
    run["hazards"][0]["protection_rp"] = {"A": 50, "Z9": 10}
    line = expect_error(cli, write_run(folder, run), tmp_path / "out", 1)
    assert line == (
        f"error: {WHERE}.protection_rp: zone code(s) Z9 are not codes of the finest zone "
        "level; give codes of the finest zone level (e.g. A, B)"
    )


def test_protection_zone_codes_without_zones_name_the_run_file(tmp_path, cli):
    run_file = _djibouti_case(tmp_path / "case", DJI_MAPS, protection={101: 50, 999: 10})
    line = expect_error(cli, run_file, tmp_path / "out", 1)
    assert line == (
        "error: r.yaml.hazards[0] (fl).protection_rp: zone code(s) 101, 999 are not codes of "
        "the finest zone level; the run has no zones (one national unit, DJI): give one "
        "number of years"
    )


@pytest.mark.parametrize(
    "protection, said",
    [
        (50, "hazard fl: protection standard 50 years"),
        (37.5, "hazard fl: protection standard 37.5 years"),
    ],
)
def test_validate_reports_the_standard_in_years(tmp_path, cli, protection, said):
    """The report line names the standard as years (it read 5000.0, the raw value)."""
    run_file = _djibouti_case(tmp_path / "case", DJI_MAPS, protection=protection)
    result = cli("validate", run_file)
    assert result.exit_code == 0, result.stdout
    assert said in result.stdout


def test_the_report_wording_of_standards_per_unit():
    from mecc.checks import _years

    assert _years(5000.0) == "5000 years"
    assert _years({"A": 5.0, "B": 100.0, "C": None}) == "per unit (2 units, 5-100 years)"
    assert _years({"A": 20.0}) == "per unit (1 unit, 20 years)"
