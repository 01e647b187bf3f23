"""A future's inputs are checked against the baseline's before the engine runs.

- a future hazard set of another kind, or a return-period set with other return periods,
  is refused (the probe: a future with the 10- and 100-year maps of a baseline with
  2-1000 years gave -23 % "climate change" where the same maps gave +15 %);
- the growth table (``futures[].population.growth``, CSV ``zone_code,growth``) is read
  like every per-zone table: a code given twice, a bad factor, a row without a code are
  refused naming the file, the row or zone and the column (a duplicate code won silently,
  a bad factor blamed another zone, a blank code was an internal error after the engine);
- growth codes are those of the finest level: a coarser unit's code is refused, saying
  which finest units it holds.

The small case (tests/_run_inputs.py): zone A is columns 0-1 (600 people), zone B
columns 2-3 (760); depth 0, 0.5, 1, 2 by column; curve flood_step_1m (displaced at >= 1 m).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mecc.config import load_config
from mecc.errors import ConfigError, DataError
from tests._errors import expect_error
from tests._run_inputs import (
    DEPTH,
    POP,
    basic_case,
    cell_box,
    event_hazard,
    write_run,
    write_zones,
)
from tests.conftest import write_raster


@pytest.fixture
def case(tmp_path):
    folder = tmp_path / "case"
    return folder, basic_case(folder)


@pytest.fixture
def no_engine(monkeypatch):
    """Fail the test if a run reaches the engine's pass (the checks come before it)."""

    def reached(*args, **kwargs):
        raise AssertionError("the engine ran before the futures' inputs were checked")

    monkeypatch.setattr("mecc.engine.overlay", reached)


def _national(out) -> pd.Series:
    table = pd.read_csv(out / "futures.csv", encoding="utf-8-sig", dtype={"zone_code": str})
    return table[table["level"] == 0].iloc[0]


# ------------------------------------------------------------- future hazard sets


def test_other_return_periods_are_refused(case, tmp_path, cli, no_engine):
    folder, run = case
    run["futures"] = [
        {"id": "f", "hazards": {"rf": {"return_periods": {10: "rp10.tif", 50: "rp100.tif"}}}}
    ]
    line = expect_error(
        cli,
        write_run(folder, run),
        tmp_path / "out",
        2,
        "run.yaml.futures[0].hazards.rf.return_periods",
        "same return periods as the baseline",
        "baseline: 10, 100 years",
        "future: 10, 50 years",
    )
    assert "change of method" in line


def test_the_same_return_periods_in_another_order_and_spelling_are_accepted(case, cli):
    folder, run = case
    write_raster(folder / "f10.tif", DEPTH)  # the future's maps: depth x 1 and x 2
    write_raster(folder / "f100.tif", DEPTH * 2)
    run["futures"] = [
        {"id": "f", "hazards": {"rf": {"return_periods": {"100.0": "f100.tif", 10: "f10.tif"}}}}
    ]
    result = cli("run", write_run(folder, run), "--out", folder / "out")
    assert result.exit_code == 0, result.output
    displaced = {  # people where the depth is >= 1 m: baseline maps depth x 0.5 and x 1
        "now": (POP[:, 3:].sum(), POP[:, 2:].sum()),
        "then": (POP[:, 2:].sum(), POP[:, 1:].sum()),
    }
    row = _national(folder / "out")
    for column, key in (("baseline", "now"), ("future", "then")):
        expected = (0.1 - 0.01) * sum(displaced[key]) / 2
        assert row[column] == pytest.approx(expected, rel=1e-12)


def test_another_kind_of_hazard_set_is_refused(case, tmp_path, cli, no_engine):
    folder, run = case
    run["futures"] = [
        {"id": "f", "hazards": {"rf": {"intensity": "ev.tif", "events": "events.csv"}}}
    ]
    expect_error(
        cli,
        write_run(folder, run),
        tmp_path / "out",
        2,
        "run.yaml.futures[0].hazards.rf:",
        "the baseline is a return-period set",
        "the future is an event set",
    )


def test_an_event_set_may_have_another_number_of_events(case, cli):
    """AAD = sum of frequency x displaced over the events, whatever their number: a future
    catalogue of one event (depth x 2, once in 20 years) against two today."""
    folder, run = case
    write_raster(folder / "ev1.tif", DEPTH * 2)
    (folder / "events1.csv").write_text("band,frequency\n1,0.05\n", encoding="utf-8")
    run["hazards"] = [event_hazard()]
    run["futures"] = [
        {"id": "f", "hazards": {"ev": {"intensity": "ev1.tif", "events": "events1.csv"}}}
    ]
    result = cli("run", write_run(folder, run), "--out", folder / "out")
    assert result.exit_code == 0, result.output
    row = _national(folder / "out")
    assert row["baseline"] == pytest.approx(0.1 * POP[:, 2:].sum() + 0.01 * POP[:, 1:].sum())
    assert row["future"] == pytest.approx(0.05 * POP[:, 1:].sum())


# ------------------------------------------------------------------ growth table


@pytest.mark.parametrize(
    ("rows", "needles"),
    [
        ("A,1.05\nA,3\n", ("(growth.csv).zone_code", "'A' appears twice")),
        ("A,1.05\nB,abc\n", ("(growth.csv).growth", "'abc' for zone B", "finite number >= 0")),
        ("A,1.05\nB,-1\n", ("(growth.csv).growth", "for zone B", "finite number >= 0")),
        ("A,1.05\n,1.1\n", ("(growth.csv).zone_code", "data row 2 has no zone code")),
    ],
    ids=["duplicate", "not-a-number", "negative", "blank-code"],
)
def test_a_bad_growth_table_is_refused_naming_file_row_and_column(
    case, tmp_path, cli, no_engine, rows, needles
):
    folder, run = case
    (folder / "growth.csv").write_text("zone_code,growth\n" + rows, encoding="utf-8")
    run["futures"] = [{"id": "f", "population": {"growth": "growth.csv", "year": 2040}}]
    expect_error(
        cli,
        write_run(folder, run),
        tmp_path / "out",
        1,
        "run.yaml.futures[0].population.growth (growth.csv)",
        *needles,
    )


def test_a_growth_table_without_its_columns_is_refused(case, tmp_path, cli, no_engine):
    folder, run = case
    (folder / "growth.csv").write_text("code,factor\nA,1.1\n", encoding="utf-8")
    run["futures"] = [{"id": "f", "population": {"growth": "growth.csv"}}]
    expect_error(
        cli,
        write_run(folder, run),
        tmp_path / "out",
        1,
        "run.yaml.futures[0].population.growth (growth.csv)",
        "zone_code, growth not found",
    )


@pytest.mark.parametrize(
    ("growth", "needles"),
    [
        ({"A": "abc"}, ("run.yaml.futures[0].population.growth.A", "'abc'")),
        ({"A": 1.1, "B": -2}, ("run.yaml.futures[0].population.growth.B", "-2")),
        (-1.5, ("run.yaml.futures[0].population.growth:", "-1.5")),
    ],
    ids=["mapping-text", "mapping-negative", "national-negative"],
)
def test_a_bad_growth_factor_names_its_key(case, tmp_path, cli, no_engine, growth, needles):
    folder, run = case
    run["futures"] = [{"id": "f", "population": {"growth": growth}}]
    expect_error(cli, write_run(folder, run), tmp_path / "out", 1, *needles)


def test_a_good_growth_table_scales_each_unit(case, cli):
    folder, run = case
    (folder / "growth.csv").write_text("zone_code,growth\nA,1.5\nB,0.5\n", encoding="utf-8")
    run["futures"] = [{"id": "f", "population": {"growth": "growth.csv"}}]
    result = cli("run", write_run(folder, run), "--out", folder / "out")
    assert result.exit_code == 0, result.output
    row = _national(folder / "out")
    assert row["population_future"] == pytest.approx(1.5 * 600 + 0.5 * 760)
    assert row["future"] == pytest.approx(0.5 * row["baseline"])  # only B is flooded


# -------------------------------------------------------------- growth zone codes


def _two_levels(folder, run):
    """Region R (level 1) over districts A and B (level 2)."""
    write_zones(folder / "region.geojson", ["R"], [cell_box(0, 0, rows=4, cols=4)])
    run["zones"] = [
        {"path": "region.geojson", "code_field": "code", "level": 1},
        {**run["zones"], "level": 2},
    ]


def _coarse_growth(folder, run):
    _two_levels(folder, run)
    (folder / "growth.csv").write_text("zone_code,growth\nR,1.2\n", encoding="utf-8")
    run["futures"] = [{"id": "f", "population": {"growth": "growth.csv"}}]
    return write_run(folder, run)


def test_a_coarser_units_growth_code_is_refused_naming_its_units(case, tmp_path, cli):
    folder, run = case
    line = expect_error(
        cli,
        _coarse_growth(folder, run),
        tmp_path / "out",
        1,
        "run.yaml.futures[0].population.growth (growth.csv)",
        "finest",
        "R",
    )
    assert "per finest-level unit" in line or "per unit of the finest zone level" in line


def test_read_futures_checks_growth_codes_given_the_zones(case):
    """Given the zones, read_futures refuses a coarser unit's code before any engine pass,
    and says which finest units the code holds."""
    from mecc.futures import read_futures
    from mecc.inputs import load_inputs

    folder, run = case
    config = load_config(_coarse_growth(folder, run))
    population, zones, hazards = load_inputs(config)
    with pytest.raises(DataError) as error:
        read_futures(config, hazards, population, zones=zones)
    assert str(error.value) == (
        "run.yaml.futures[0].population.growth (growth.csv): growth factors are given per unit "
        "of the finest zone level (level 2); R is a level-1 unit (its level-2 units: A, B)"
    )
    (folder / "growth.csv").write_text("zone_code,growth\nA,1.2\nZ,2\n", encoding="utf-8")
    with pytest.raises(DataError, match="no zone has the code 'Z'"):
        read_futures(config, hazards, population, zones=zones)
    (folder / "growth.csv").write_text("zone_code,growth\nA,1.2\n", encoding="utf-8")
    with pytest.raises(DataError, match="no growth factor for zone B; give every finest unit"):
        read_futures(config, hazards, population, zones=zones)  # B would keep 1 silently
    (folder / "growth.csv").write_text("zone_code,growth\nA,1.2\nB,1\n", encoding="utf-8")
    (future,) = read_futures(config, hazards, population, zones=zones)
    assert dict(future.growth) == {"A": 1.2, "B": 1.0}


def test_a_run_checks_growth_codes_before_the_engine(case, tmp_path, cli, no_engine):
    folder, run = case
    result = cli("run", _coarse_growth(folder, run), "--out", tmp_path / "out")
    assert result.exit_code == 1 and "growth" in result.stderr


def test_growth_codes_of_a_run_without_zones(tmp_path):
    from exposure.zones import Zones
    from mecc.future_inputs import read_growth
    from mecc.futures import growth_vector

    growth = read_growth({"A": 1.1}, tmp_path, "run.yaml.futures[0].population.growth")
    zones = Zones.national("AAA", "Testland")
    with pytest.raises(DataError, match=r"growth: the run has no zones .* one national factor"):
        growth_vector(growth, ["AAA", "__outside__"], zones)
    national = read_growth(1.25, tmp_path, "run.yaml.futures[0].population.growth")
    assert growth_vector(national, ["AAA", "__outside__"], zones) == pytest.approx([1.25] * 2)


def test_a_growth_value_of_another_kind_is_refused(tmp_path):
    from mecc.future_inputs import read_growth

    for value in (True, [1.1], {}):
        with pytest.raises(ConfigError, match=r"^g: give a number \(the nation\)"):
            read_growth(value, tmp_path, "g")
    assert np.isclose(read_growth(0, tmp_path, "g")[None], 0.0)
