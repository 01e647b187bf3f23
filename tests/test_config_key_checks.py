"""A run file's keys are checked for what they are and where they apply (mecc.config).

- ``futures[]``: every key of the wrong type (a number, a list, null or text where a
  mapping goes) is refused in one line naming the key, exit 2 (``hazards: 5`` was an
  internal error, exit 3); ``id`` follows the rule of ``hazards[].id`` (text of letters,
  digits, ``_ - .``, used once) and ``label`` is text.
- ``.nan``/``.inf`` where a file or text goes says what the key expects, not "give a number".
- A hazard key given where it does not apply is refused (it was ignored silently): the
  sea-level keys off a sea-level rise, a sudden-onset key on a sea-level rise, ``classes``
  off drought, ``variants`` and ``season`` on drought, ``member_pattern`` off an event set,
  and the same in a future's hazard.

The small case (tests/_run_inputs.py): population 10..160 on 4 x 4 cells, depth 0, 0.5,
1, 2 m by column; the 10-year map is half the 100-year one. With the 1 m step curve the
10-year map displaces column 3 (40+80+120+160 = 400 people) and the 100-year map columns
2-3 (760), so AAD = (1/10 - 1/100) x (400 + 760) / 2 = 52.2 people a year.
"""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
import yaml

from mecc.config import load_config
from tests._errors import expect_error, one_error_line
from tests._run_inputs import POP, basic_case, write_run
from tests.conftest import write_raster

AAD = (1 / 10 - 1 / 100) * (400 + 760) / 2
DEM = np.array([[-5.0, 0.4, 2.0, 4.0]] * 4)
"""dem.tif: the sea in column 0, a plain 0.4 m high in column 1, land above 2 m."""
SEA_LEVEL = {
    "id": "slr",
    "type": "sea_level_rise",
    "dem": "dem.tif",
    "dem_datum": "MSL",
    "high_tide": 0.5,
    "tide_datum": "MSL",
    "slr": 0.6,
    "slr_baseline": "MSL",
}


@pytest.fixture
def case(tmp_path):
    folder = tmp_path / "case"
    return folder, basic_case(folder)


def _growth_future(**keys) -> dict:
    return {"id": "f", "population": {"growth": 1.5}, **keys}


def _refused(cli, folder, run, out, *needles) -> str:
    """``mecc run`` and ``mecc validate`` refuse the run file in one line, exit 2."""
    return expect_error(cli, write_run(folder, run), out, 2, "run.yaml", *needles)


# ------------------------------------------------------------- 1. futures[] key types


@pytest.mark.parametrize("value", [5, ["rf"], None, "rf"], ids=["number", "list", "null", "text"])
@pytest.mark.parametrize("key", ["hazards", "population"])
def test_a_future_mapping_key_of_another_type_is_refused(cli, case, tmp_path, key, value):
    folder, run = case
    future = _growth_future() if key == "hazards" else {"id": "f"}
    run["futures"] = [{**future, key: value}]
    line = _refused(cli, folder, run, tmp_path / "out", f"futures[0].{key}: expected a mapping")
    assert "internal error" not in line


def test_the_probe_future_hazards_number_says_expected_a_mapping(cli, case, tmp_path):
    """The auditor's case: ``hazards: 5`` beside growth factors (was AttributeError, exit 3)."""
    folder, run = case
    run["futures"] = [_growth_future(hazards=5)]
    result = cli("validate", write_run(folder, run))
    line = one_error_line(result, 2)
    assert line == "error: run.yaml.futures[0].hazards: expected a mapping, got 5"


@pytest.mark.parametrize(
    "value", [5, ["rf.tif"], None, "x"], ids=["number", "list", "null", "text"]
)
def test_a_future_hazard_entry_that_is_no_mapping_is_refused(cli, case, tmp_path, value):
    folder, run = case
    run["futures"] = [{"id": "f", "hazards": {"rf": value}}]
    _refused(cli, folder, run, tmp_path / "out", "futures[0].hazards.rf: expected a mapping")


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("return_periods", 5, "a mapping"),
        ("return_periods", ["rp10.tif"], "a mapping"),
        ("intensity", ["rp100.tif"], "text"),
        ("period", [2050], "text or a whole number"),
    ],
    ids=["rp-number", "rp-list", "intensity-list", "period-list"],
)
def test_a_future_hazard_key_of_another_type_is_refused(cli, case, tmp_path, key, value, expected):
    folder, run = case
    run["futures"] = [{"id": "f", "hazards": {"rf": {key: value}}}]
    _refused(
        cli, folder, run, tmp_path / "out", f"futures[0].hazards.rf.{key}: expected {expected}"
    )


# ---------------------------------------------------------- 2. futures[].id and label


@pytest.mark.parametrize(
    "value", [None, "", ["ssp245_2050"], -1, 12345, "ssp 245"], ids=lambda v: repr(v)
)
def test_a_future_id_is_refused_as_a_hazard_id_would_be(cli, case, tmp_path, value):
    folder, run = case
    run["futures"] = [_growth_future(id=value)]
    _refused(cli, folder, run, tmp_path / "out", "futures[0].id: ")
    run.pop("futures")  # the same value as a hazard's id: refused too, naming that key
    run["hazards"][0]["id"] = value
    _refused(cli, folder, run, tmp_path / "out2", "hazards[0].id: ")


def test_a_future_label_that_is_no_text_is_refused(cli, case, tmp_path):
    folder, run = case
    run["futures"] = [_growth_future(label=[1, 2])]
    _refused(cli, folder, run, tmp_path / "out", "futures[0].label: expected text")


def test_a_future_id_used_twice_is_refused_when_the_run_file_is_read(case, tmp_path):
    folder, run = case
    run["futures"] = [_growth_future(), _growth_future(population={"growth": 2.0})]
    with pytest.raises(Exception, match=r"run\.yaml\.futures\[1\]\.id: 'f' is used twice"):
        load_config(write_run(folder, run))


def test_a_valid_future_id_and_label_are_written_as_given(cli, case, tmp_path):
    """Growth 1.5 everywhere: the future AAD is 1.5 x 52.2 = 78.3 people a year."""
    folder, run = case
    run["futures"] = [_growth_future(id="ssp2-4.5_2050", label="SSP2-4.5, 2050")]
    result = cli("run", write_run(folder, run), "--out", tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    with open(tmp_path / "out" / "futures.csv", encoding="utf-8-sig", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["zone_code"] == "AAA"]
    assert [(r["future_id"], r["future_label"]) for r in rows] == [
        ("ssp2-4.5_2050", "SSP2-4.5, 2050")
    ]
    assert float(rows[0]["baseline"]) == pytest.approx(AAD)
    assert float(rows[0]["future"]) == pytest.approx(1.5 * AAD)


# -------------------------------------------- 3. .nan / .inf where a file or text goes


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (("population:\n  path: pop.tif", "population:\n  path: .nan"), "population.path: "),
        (("10: rp10.tif", "10: .nan"), "hazards[0].return_periods.10: "),
        (("intensity: ev.tif", "intensity: -.inf"), "hazards[1].intensity: "),
    ],
    ids=["population-path", "return-period-file", "intensity"],
)
def test_a_non_finite_number_for_a_file_says_a_file_path(cli, case, tmp_path, edit, needle):
    folder, run = case
    run["hazards"].append(
        {
            "id": "ev",
            "type": "river_flood",
            "intensity": "ev.tif",
            "events": "events.csv",
            "curve": "flood_step_1m",
        }
    )
    text = yaml.safe_dump(run, sort_keys=False).replace(*edit)
    line = _refused(cli, folder, text, tmp_path / "out", needle + "expected a file path, got ")
    assert "finite number" not in line and "give a number" not in line


@pytest.mark.parametrize(
    ("edit", "needle", "expected"),
    [
        (("code_field: code", "code_field: .nan"), "zones.code_field", "text"),
        (("name: Testland", "name: .inf"), "run.yaml.name", "text"),
        (("curve: flood_step_1m", "curve: .nan"), "hazards[0].curve", "text or a mapping"),
    ],
    ids=["zone-field", "name", "curve"],
)
def test_a_non_finite_number_for_text_says_text(cli, case, tmp_path, edit, needle, expected):
    folder, run = case
    text = yaml.safe_dump(run, sort_keys=False).replace(*edit)
    line = _refused(cli, folder, text, tmp_path / "out", f"{needle}: expected {expected}, got ")
    assert "give a number" not in line


def test_a_non_finite_number_in_a_future_or_a_column_list_says_what_goes_there(case):
    folder, run = case
    run["population"]["cohorts"] = {"path": "c.csv", "code_column": "code", "columns": ["x"]}
    run["futures"] = [_growth_future(label="later")]
    text = yaml.safe_dump(run, sort_keys=False)
    for old, new, message in [
        ("label: later", "label: .nan", "run.yaml.futures[0].label: expected text, got .nan"),
        ("- x\n", "- .nan\n", "run.yaml.population.cohorts.columns[0]: expected a column name"),
        ("growth: 1.5", "growth: .nan", "growth: .nan is not a finite number; give a number"),
    ]:
        with pytest.raises(Exception, match=".") as error:
            load_config(write_run(folder, text.replace(old, new)))
        assert message in str(error.value), str(error.value)


# ----------------------------------------------- 4. hazard keys where they do not apply


SEA_LEVEL_ONLY = {
    "slr": 1.0,
    "high_tide": 0.8,
    "sources": "pop.tif",
    "datum_offsets": {"EGM2008": 0.3},
    "connectivity": 4,
    "dem": "pop.tif",
    "dem_datum": "MSL",
    "tide_datum": "MSL",
    "slr_baseline": "MSL",
}


@pytest.mark.parametrize(("key", "value"), SEA_LEVEL_ONLY.items(), ids=list(SEA_LEVEL_ONLY))
def test_a_sea_level_key_on_a_return_period_flood_is_refused(cli, case, tmp_path, key, value):
    folder, run = case
    run["hazards"][0][key] = value
    _refused(
        cli,
        folder,
        run,
        tmp_path / "out",
        f"hazards[0].{key}: applies to sea_level_rise hazards only, not river_flood",
    )


def test_the_probe_coastal_scenario_with_sea_level_keys_is_refused(cli, case, tmp_path):
    """The docs follower's case: it ran (same figures as without the keys), no warning."""
    folder, run = case
    run["hazards"] = [
        {
            "id": "s",
            "type": "coastal_flood",
            "intensity": "rp100.tif",
            "scenario": "x",
            "curve": "flood_step_1m",
            "slr": 1.0,
            "high_tide": 0.8,
            "connectivity": 4,
        }
    ]
    _refused(cli, folder, run, tmp_path / "out", "hazards[0].slr: applies to sea_level_rise")


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("curve", "flood_step_1m"),
        ("intensity", "rp10.tif"),
        ("scenario", "x"),
        ("exposure_threshold", 0.5),
        ("resampling", "bilinear"),
        ("unit", "cm"),
        ("season", {2: 1}),
        ("averaging", "10-min"),
        ("combine", "max"),
    ],
    ids=lambda v: str(v),
)
def test_a_key_a_sea_level_rise_does_not_read_is_refused(cli, case, tmp_path, key, value):
    folder, run = case
    run["hazards"].append({**SEA_LEVEL, key: value})
    _refused(
        cli,
        folder,
        run,
        tmp_path / "out",
        f"hazards[1].{key}: does not apply to sea_level_rise (it reads dem, dem_datum",
    )


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        ("classes", {"bounds": [1, 2], "names": ["a", "b"]}, "applies to drought only"),
        ("member_pattern", "(?P<member>a)", "applies to event sets (given with events) only"),
    ],
    ids=["classes", "member_pattern"],
)
def test_a_key_of_another_kind_on_a_return_period_flood_is_refused(
    cli, case, tmp_path, key, value, reason
):
    folder, run = case
    run["hazards"][0][key] = value
    _refused(cli, folder, run, tmp_path / "out", f"hazards[0].{key}: {reason}")


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        ("variants", {"low": "flood_step_1m"}, "applies with a curve, not drought"),
        ("season", {2: 1}, "does not apply to drought"),
    ],
    ids=["variants", "season"],
)
def test_a_curve_or_season_key_on_drought_is_refused(cli, case, tmp_path, key, value, reason):
    folder, run = case
    write_raster(folder / "spei.tif", np.full((4, 4), 1.6))
    run["hazards"] = [
        {"id": "dry", "type": "drought", "intensity": "spei.tif", "scenario": "s", key: value}
    ]
    _refused(cli, folder, run, tmp_path / "out", f"hazards[0].{key}: {reason}")


def test_a_future_member_pattern_on_a_return_period_set_is_refused(cli, case, tmp_path):
    folder, run = case
    run["futures"] = [
        {
            "id": "f",
            "hazards": {"rf": {"return_periods": {10: "rp10.tif", 100: "rp100.tif"}}},
        }
    ]
    run["futures"][0]["hazards"]["rf"]["member_pattern"] = "(?P<member>a)"
    _refused(cli, folder, run, tmp_path / "out", "futures[0].hazards.rf.member_pattern: applies")


def test_a_future_sea_level_rise_gives_only_its_rise_dem_and_period(cli, case, tmp_path):
    folder, run = case
    write_raster(folder / "dem.tif", DEM)
    run["hazards"].append(dict(SEA_LEVEL))
    run["futures"] = [{"id": "f", "hazards": {"slr": {"intensity": "rp10.tif"}}}]
    _refused(cli, folder, run, tmp_path / "out", "futures[0].hazards.slr", "(dem, period, slr)")


def test_the_keys_where_they_apply_still_run(cli, case, tmp_path):
    """A sea-level rise with its optional keys and a future rise, a drought with classes.

    Water level 0.5 + 0.6 = 1.1 m: the sea (column 0: 10+50+90+130 = 280 people) and the
    0.4 m plain (column 1: 20+60+100+140 = 320) are at risk, 600; the future's 2 m rise
    (2.5 m) reaches the 2 m land of column 2 too (30+70+110+150 = 360), 960. A -SPEI of
    1.6 everywhere puts all 1,360 people in the class from 1 to 2.
    """
    folder, run = case
    write_raster(folder / "spei.tif", np.full((4, 4), 1.6))
    write_raster(folder / "dem.tif", DEM)
    run["hazards"] += [
        {**SEA_LEVEL, "connectivity": 4, "period": 2100, "impact_time": "day"},
        {
            "id": "dry",
            "type": "drought",
            "intensity": "spei.tif",
            "scenario": "s",
            "classes": {"bounds": [1.0, 2.0], "names": ["dry", "very_dry"]},
        },
    ]
    run["futures"] = [{"id": "f", "hazards": {"slr": {"slr": 2.0, "period": 2100}}}]
    result = cli("run", write_run(folder, run), "--out", tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8-sig"))
    assert summary["hazards"]["rf"]["aad"] == pytest.approx(AAD)
    future = summary["futures"]["f"]["hazards"]
    assert future["slr"]["baseline"] == pytest.approx(280 + 320)
    assert future["slr"]["future"] == pytest.approx(280 + 320 + 360)
    assert future["dry"]["classes"]["dry"]["baseline"] == pytest.approx(POP.sum())
    assert POP.sum() == 1360


def test_the_shipped_run_files_still_pass(tmp_path):
    from pathlib import Path

    from mecc.checks import write_template
    from mecc.demo import write_demo_inputs

    root = Path(__file__).resolve().parents[1]
    demo = load_config(write_demo_inputs(tmp_path / "demo"))
    assert {h["type"] for h in demo.data["hazards"]} >= {"sea_level_rise", "river_flood"}
    load_config(write_template("KEN", tmp_path / "template"))
    load_config(root / "validation" / "haiyan" / "run.yaml")
