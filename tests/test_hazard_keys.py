"""Hazard keys the docs promise are honoured or refused, never dropped without a word.

- A hazard with ``components:`` refuses a top-level key it does not use (``exposure_threshold``,
  ``damage_curve``, ``averaging``, ...): one line naming the run file, the hazard and the
  key and where it belongs, exit 2, nothing written; the keys it does use keep working.
- The manifest and ``mecc validate`` state each component's unit and averaging conversion.
- A drought grid in ordinary SPEI (drought negative) read against classes of -SPEI is
  warned about in ``mecc validate`` and in runs (recorded in manifest.json).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from hazards import readers
from mecc import config
from tests._errors import expect_error
from tests._run_inputs import DEPTH, POP, basic_case, write_run
from tests.conftest import write_raster

WIND_10MIN = np.array([[20.0, 30.0, 45.0, 60.0]] * 4)  # m/s, 10-minute means
SURGE = DEPTH  # m: 0, 0.5, 1, 2 in every row


def _storm(**top) -> dict:
    return {
        "id": "storm",
        "type": "tropical_cyclone",
        "scenario": "Storm X",
        **top,
        "components": [
            {
                "type": "tropical_cyclone",
                "intensity": "wind.tif",
                "averaging": "10-min",
                "curve": "sshws_inasafe",
            },
            {"type": "coastal_flood", "intensity": "surge.tif", "curve": "flood_step_1m"},
        ],
    }


@pytest.fixture
def storm_case(tmp_path):
    """The basic case with a wind grid (10-minute means) and a surge grid; no hazards yet."""
    folder = tmp_path / "case"
    run = basic_case(folder)
    write_raster(folder / "wind.tif", WIND_10MIN)
    write_raster(folder / "surge.tif", SURGE)
    return folder, run


# ------------------------------------------------ 1. top-level keys of combined hazards


IN_A_COMPONENT = {
    "exposure_threshold": 99,
    "averaging": "10-min",
    "resampling": "bilinear",
    "unit": "km/h",
    "intensity": "wind.tif",
    "return_periods": {10: "rp10.tif", 100: "rp100.tif"},
    "curve": "flood_step_1m",
    "variable": "wind",
    "gust_factor": 1.23,
}
NOT_COMBINED = {
    "damage_curve": "flood_damage_states_jrc_africa",
    "variants": {"low": "flood_step_1m:low"},
    "classes": {"bounds": [1.0], "names": ["dry"]},
    "slr": 0.5,
    "connectivity": 4,
}


@pytest.mark.parametrize(("key", "value"), IN_A_COMPONENT.items(), ids=list(IN_A_COMPONENT))
def test_a_component_key_at_the_top_level_is_refused(cli, storm_case, tmp_path, key, value):
    folder, run = storm_case
    run["hazards"] = [_storm(**{key: value})]
    line = expect_error(
        cli, write_run(folder, run), tmp_path / "out", 2, "run.yaml", "hazards[0]", "(storm)"
    )
    assert f"(storm).{key}: " in line
    assert f"inside each component it applies to (components[k].{key})" in line


@pytest.mark.parametrize(("key", "value"), NOT_COMBINED.items(), ids=list(NOT_COMBINED))
def test_a_single_hazard_key_on_a_combined_hazard_is_refused(cli, storm_case, tmp_path, key, value):
    folder, run = storm_case
    run["hazards"] = [_storm(**{key: value})]
    line = expect_error(
        cli, write_run(folder, run), tmp_path / "out", 2, "run.yaml", "hazards[0]", "(storm)"
    )
    assert f"(storm).{key}: " in line and "not combined hazards" in line
    if key == "damage_curve":
        assert "damage states apply to single sudden-onset hazards" in line


def test_the_keys_a_combined_hazard_uses_still_work(storm_case, tmp_path, cli):
    folder, run = storm_case
    run["hazards"] = [
        _storm(combine="independent", period="2021-2040", season={2: 1}, impact_time="night")
    ]
    run["mobility"] = {"seasonal": {"multipliers": dict.fromkeys(range(1, 13), 1.0)}}
    result = cli("run", write_run(folder, run), "--out", tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["parameters"]["hazards"]["storm"]["period"] == "2021-2040"
    assert cli("validate", write_run(folder, run)).exit_code == 0


def test_a_shared_member_pattern_gives_the_members(storm_case, tmp_path, cli):
    """``member_pattern`` goes with the shared ``events`` table: it is applied, not dropped."""
    folder, run = storm_case
    write_raster(folder / "wind2.tif", np.stack([WIND_10MIN, WIND_10MIN * 0.5]))
    write_raster(folder / "surge2.tif", np.stack([SURGE, SURGE * 0.5]))
    (folder / "storms.csv").write_text(
        "band,frequency,event_name\n1,0.05,2001_model_a\n2,0.05,2002_model_b\n", encoding="utf-8"
    )
    storm = _storm(events="storms.csv", member_pattern=r"^\d{4}_(?P<member>.+)$")
    del storm["scenario"]
    storm["components"][0]["intensity"] = "wind2.tif"
    storm["components"][1]["intensity"] = "surge2.tif"
    run["hazards"] = [storm]
    result = cli("run", write_run(folder, run), "--out", tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    item = summary["hazards"]["storm"]
    assert "aad_member_median" in item, sorted(item)


def test_the_component_keys_listed_match_the_run_file_schema():
    assert set(readers.COMPONENT_KEYS) == set(config.COMPONENT_KEYS) - {"type"}
    top = readers.COMBINED_KEYS | set(readers.SHARED_KEYS)
    assert top <= set(config.HAZARD_KEYS)
    assert not top & set(readers.COMPONENT_KEYS)


# ------------------------------------------------ 2. component conversions recorded


def test_a_component_conversion_is_in_the_manifest_and_the_validate_report(
    storm_case, tmp_path, cli
):
    folder, run = storm_case
    run["hazards"] = [_storm()]
    run_file = write_run(folder, run)
    result = cli("run", run_file, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    storm = manifest["parameters"]["hazards"]["storm"]
    assert "0.93" in storm["conversion"] and "components[0]" in storm["conversion"]
    wind, surge = storm["components"]
    assert wind["type"] == "tropical_cyclone" and "10-minute" in wind["conversion"]
    assert wind["unit_factor"] == pytest.approx(1 / 0.93)
    assert surge["type"] == "coastal_flood" and surge["conversion"] == "none"
    assert surge["unit_factor"] == 1.0
    assert storm["unit_factor"] is None  # each component has its own
    checked = cli("validate", run_file)
    assert checked.exit_code == 0, checked.stderr
    line = next(x for x in checked.stdout.splitlines() if "hazard storm:" in x)
    assert "0.93" in line and "components[0] (tropical_cyclone)" in line


# ------------------------------------------------ 3. drought grids in SPEI, not -SPEI


@pytest.fixture
def drought_case(tmp_path):
    folder = tmp_path / "case"
    run = basic_case(folder)
    run["hazards"] = [
        {"id": "dry", "type": "drought", "intensity": "spei.tif", "scenario": "2022 drought"}
    ]
    return folder, run


def _drought_warnings(cli, folder, run, out, grid, **extra):
    write_raster(folder / "spei.tif", grid)
    run["hazards"][0].update(extra)
    run_file = write_run(folder, run)
    checked = cli("validate", run_file, "--json")
    assert checked.exit_code == 0, checked.stderr
    found = [w for w in json.loads(checked.stdout)["warnings"] if "looks like SPEI" in w]
    result = cli("run", run_file, "--out", out)
    assert result.exit_code == 0, result.stderr
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    recorded = [w for w in manifest["warnings"] if "looks like SPEI" in w]
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return found, recorded, summary["hazards"]["dry"]


def test_an_ordinary_spei_grid_is_warned_about(cli, drought_case, tmp_path):
    folder, run = drought_case
    found, recorded, item = _drought_warnings(
        cli, folder, run, tmp_path / "out", np.full((4, 4), -1.7)
    )
    assert len(found) == 1 and recorded == found
    line = found[0]
    assert "run.yaml" in line and "hazards[0] (dry).intensity (spei.tif)" in line
    assert "unit: SPEI" in line and "negate the grid" in line and "\n" not in line
    assert item["exposed"] == 0.0  # not negated silently


def test_spei_read_with_unit_spei_or_sign_flipped_is_not_warned_about(cli, drought_case, tmp_path):
    folder, run = drought_case
    found, recorded, item = _drought_warnings(
        cli, folder, run, tmp_path / "a", np.full((4, 4), -1.7), unit="SPEI"
    )
    assert found == recorded == []
    assert item["exposed"] == pytest.approx(POP.sum())
    found, recorded, item = _drought_warnings(
        cli, folder, run, tmp_path / "b", np.full((4, 4), 1.7), unit="-SPEI"
    )
    assert found == recorded == [] and item["exposed"] == pytest.approx(POP.sum())


def test_a_deficit_grid_with_some_wet_cells_is_not_warned_about(cli, drought_case, tmp_path):
    folder, run = drought_case
    grid = np.array([[-1.2, 0.5, 1.2, 2.5]] * 4)  # -SPEI: one wet column, three in drought
    found, recorded, _ = _drought_warnings(cli, folder, run, tmp_path / "out", grid)
    assert found == recorded == []
    mild = np.full((4, 4), -0.4)  # SPEI near normal: nothing reaches a drought class
    found, recorded, _ = _drought_warnings(cli, folder, run, tmp_path / "out2", mild)
    assert found == recorded == []
