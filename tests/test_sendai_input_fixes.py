"""Sendai-related inputs: gaps in per-zone share tables, and implausible years and periods.

Share tables (``population.livelihoods``, ``mobility.early_warning``,
``population.attributes``) give a share per zone at any level, the nearest unit wins. A
finest unit with no value of its own nor of a unit above it is refused (exit 1, before the
engine runs: nothing written) rather than given an invented share; a row with the
country's code gives every unit a default, and the people outside every zone its share;
without one, those people take the units' population-weighted mean (said in the notes).

Years of the run file lie from 1850 to 2300 and a ``period`` is a year or a range of
years (``2021-2040``, optionally a note in parentheses): anything else is bad usage of
the run file (exit 2, as ``year: '2O25'``).

Numbers are worked out by hand on the 4 x 4 test grid (tests/_run_inputs.py): zone A =
columns 0-1 (600 people), zone B = columns 2-3 (760 people); the scenario (depth 0, 0.5,
1, 2 m by column, 1 m step curve) exposes column 1 of A (60 + 100 + 140 + 20 = 320) and
all of B (760), and displaces everyone in B (760).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mecc.config import load_config
from mecc.errors import ConfigError
from mecc.group_tables import _with_outside_shares
from mecc.run import run_country
from tests._errors import expect_error
from tests._run_inputs import basic_case, write_run

EXPOSED_A, EXPOSED_B = 320.0, 760.0
POP_A, POP_B = 600.0, 760.0


def scenario_case(folder) -> dict:
    data = basic_case(folder)
    data["hazards"] = [
        {
            "id": "sc",
            "type": "river_flood",
            "intensity": "rp100.tif",
            "scenario": "test flood",
            "curve": "flood_step_1m",
        }
    ]
    return data


def groups(out) -> pd.DataFrame:
    table = pd.read_csv(
        out / "zones_disaggregated.csv", encoding="utf-8-sig", dtype={"zone_code": str}
    )
    return table.set_index(["zone_code", "group"])


def _livelihoods(data):
    data["population"]["livelihoods"] = {
        "path": "shares.csv",
        "code_column": "code",
        "value_column": "share",
    }


def _early_warning(data):
    data["mobility"] = {
        "early_warning": {"path": "shares.csv", "code_column": "code", "value_column": "share"}
    }


def _attributes(data):
    data["population"]["attributes"] = {
        "path": "shares.csv",
        "code_column": "code",
        "columns": {"disability": "share"},
    }


SHARE_TABLES = [
    (_livelihoods, "run.yaml.population.livelihoods (shares.csv)"),
    (_early_warning, "run.yaml.mobility.early_warning (shares.csv)"),
    (_attributes, "run.yaml.population.attributes (shares.csv)"),
]


# --- 1. gaps in per-zone share tables ----------------------------------------------------


@pytest.mark.parametrize(("add", "key"), SHARE_TABLES, ids=["livelihoods", "warning", "attr"])
def test_a_unit_missing_from_a_share_table_is_refused_and_nothing_written(tmp_path, cli, add, key):
    data = scenario_case(tmp_path)
    add(data)
    (tmp_path / "shares.csv").write_text("code,share\nA,0.5\n", encoding="utf-8")
    line = expect_error(
        cli,
        write_run(tmp_path, data),
        tmp_path / "out",
        1,
        key,
        "zone B",
        "1 zone(s)",
        "national code AAA",
    )
    assert "zone A" not in line


def test_the_national_row_is_the_default_of_units_without_their_own(tmp_path):
    data = scenario_case(tmp_path)
    _livelihoods(data)
    _early_warning(data)
    _attributes(data)
    # A has its own share; B takes the country's row (AAA is not a zone of the run)
    (tmp_path / "shares.csv").write_text("code,share\nA,0.5\nAAA,0.2\n", encoding="utf-8")
    run_country(write_run(tmp_path, data), tmp_path / "out", with_map=False)
    table = groups(tmp_path / "out")
    assert table.loc[("A", "livelihoods"), "exposed"] == pytest.approx(EXPOSED_A * 0.5)
    assert table.loc[("B", "livelihoods"), "exposed"] == pytest.approx(EXPOSED_B * 0.2)
    assert table.loc[("B", "early_warning"), "displaced"] == pytest.approx(760 * 0.2)
    assert table.loc[("B", "disability"), "population"] == pytest.approx(POP_B * 0.2)
    assert table.loc[("A", "disability"), "population"] == pytest.approx(POP_A * 0.5)


def test_the_national_row_with_one_stray_code_keeps_the_default(tmp_path):
    """The country's row plus a code that is no zone: the stray code is warned about and
    ignored, as without the national row (it was refused: "no code is a unit")."""
    import json

    data = scenario_case(tmp_path)
    _livelihoods(data)
    (tmp_path / "shares.csv").write_text("code,share\nAAA,0.3\nAAA99,0.4\n", encoding="utf-8")
    run_country(write_run(tmp_path, data), tmp_path / "out", with_map=False)
    table = groups(tmp_path / "out")
    assert table.loc[("A", "livelihoods"), "exposed"] == pytest.approx(EXPOSED_A * 0.3)
    assert table.loc[("B", "livelihoods"), "exposed"] == pytest.approx(EXPOSED_B * 0.3)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert any("AAA99" in warning for warning in manifest["warnings"])


def test_a_share_of_a_unit_above_is_used_by_the_units_below(tmp_path):
    """A level-0 unit "N" holding A and B: its row gives B its share; A keeps its own."""
    from tests._run_inputs import cell_box, write_zones

    data = scenario_case(tmp_path)
    write_zones(tmp_path / "country.geojson", ["N"], [cell_box(0, 0, rows=4, cols=4)])
    data["zones"] = [
        {"path": "country.geojson", "code_field": "code", "level": 0},
        {**data["zones"], "parent_field": "parent"},
    ]
    write_zones(
        tmp_path / "zones.geojson",
        ["A", "B"],
        [cell_box(0, 0, rows=4, cols=2), cell_box(0, 2, rows=4, cols=2)],
        names=["Zone A", "Zone B"],
        parent=["N", "N"],
    )
    _livelihoods(data)
    (tmp_path / "shares.csv").write_text("code,share\nA,0.5\nN,0.25\n", encoding="utf-8")
    run_country(write_run(tmp_path, data), tmp_path / "out", with_map=False)
    table = groups(tmp_path / "out")
    assert table.loc[("B", "livelihoods"), "exposed"] == pytest.approx(EXPOSED_B * 0.25)
    assert table.loc[("N", "livelihoods"), "exposed"] == pytest.approx(
        EXPOSED_A * 0.5 + EXPOSED_B * 0.25
    )


def test_only_the_outside_bucket_takes_the_population_weighted_mean():
    shares = np.array([[0.5], [0.2], [np.nan]])
    population = np.array([600.0, 760.0, 100.0])
    filled = _with_outside_shares(shares, population)
    assert filled[:2, 0].tolist() == [0.5, 0.2]
    assert filled[2, 0] == pytest.approx((0.5 * 600 + 0.2 * 760) / (600 + 760))


def test_a_unit_without_a_share_is_never_filled_with_the_mean():
    shares = np.array([[0.5], [np.nan], [np.nan]])
    with pytest.raises(ValueError, match="no share"):
        _with_outside_shares(shares, np.array([600.0, 760.0, 0.0]))


# --- 2. implausible years and periods ----------------------------------------------------


def _official(data, folder):
    (folder / "census.csv").write_text("code,people\nA,600\nB,760\n", encoding="utf-8")
    data["population"]["official"] = {
        "path": "census.csv",
        "code_column": "code",
        "value_column": "people",
        "year": 2024,
    }


@pytest.mark.parametrize(
    ("change", "key", "shown"),
    [
        (lambda d: d["population"].update(year=20250), "run.yaml.population.year", "20250"),
        (
            lambda d: d["population"]["official"].update(year=20244),
            "run.yaml.population.official.year",
            "20244",
        ),
        (
            lambda d: d["hazards"][0].update(period="2021-2O40"),
            "run.yaml.hazards[0].period",
            "'2021-2O40'",
        ),
    ],
    ids=["population.year", "official.year", "period"],
)
def test_implausible_year_or_period_is_refused_as_bad_usage(tmp_path, cli, change, key, shown):
    data = scenario_case(tmp_path)
    _official(data, tmp_path)
    change(data)
    line = expect_error(cli, write_run(tmp_path, data), tmp_path / "out", 2, key, shown)
    assert "1850" in line and "2300" in line or "2021-2040" in line


def _config(tmp_path, change):
    data = scenario_case(tmp_path)
    change(data)
    return load_config(write_run(tmp_path, data))


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (lambda d: d["population"].update(year=1024), "population.year"),
        (lambda d: d["population"].update(year=2501), "population.year"),
        (
            lambda d: d["population"].update(
                livelihoods={"path": "l.csv", "code_column": "c", "value_column": "v", "year": 224}
            ),
            "population.livelihoods.year",
        ),
        (
            lambda d: d.update(
                mobility={
                    "early_warning": {
                        "path": "w.csv",
                        "code_column": "c",
                        "value_column": "v",
                        "year": 20230,
                    }
                }
            ),
            "mobility.early_warning.year",
        ),
        (lambda d: d["hazards"][0].update(period="soon"), "hazards[0].period"),
        (lambda d: d["hazards"][0].update(period="2021-40"), "hazards[0].period"),
        (lambda d: d["hazards"][0].update(period="20210-2040"), "hazards[0].period"),
        (lambda d: d["hazards"][0].update(period="2040-2021"), "hazards[0].period"),
        (lambda d: d["hazards"][0].update(period="1021-1040"), "hazards[0].period"),
        (lambda d: d["hazards"][0].update(period=205), "hazards[0].period"),
        (
            lambda d: d.update(
                futures=[
                    {
                        "id": "f",
                        "label": "f",
                        "period": "2O41-2060",
                        "population": {"growth": 1.1, "year": 2050},
                    }
                ]
            ),
            "futures[0].period",
        ),
        (
            lambda d: d.update(
                futures=[{"id": "f", "label": "f", "population": {"growth": 1.1, "year": 250}}]
            ),
            "futures[0].population.year",
        ),
        (
            lambda d: d.update(
                futures=[{"id": "f", "label": "f", "hazards": {"sc": {"period": "2O50"}}}]
            ),
            "futures[0].hazards.sc.period",
        ),
    ],
)
def test_years_and_periods_out_of_form_or_range_name_the_key(tmp_path, change, key):
    with pytest.raises(ConfigError) as caught:
        _config(tmp_path, change)
    message = str(caught.value)
    assert message.startswith(f"run.yaml.{key}: "), message
    assert "\n" not in message


@pytest.mark.parametrize(
    "period",
    [2050, "2050", "2021-2040", "2021 - 2040", "2021–2040", "1981-2010 (historical)", "2100"],
)
def test_documented_period_forms_are_accepted(tmp_path, period):
    config = _config(tmp_path, lambda d: d["hazards"][0].update(period=period))
    assert config.data["hazards"][0]["period"] == period


def test_years_at_the_ends_of_the_range_are_accepted(tmp_path):
    def change(d):
        d["population"]["year"] = 1850
        d["hazards"][0]["period"] = "1850-2300"

    config = _config(tmp_path, change)
    assert config.data["population"]["year"] == 1850
