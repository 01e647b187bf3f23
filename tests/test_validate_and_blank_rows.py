"""`mecc validate` refuses what the run would refuse, and fully blank rows at the end of a
table (Excel leaves ``,,,`` rows under what was once filled) are skipped in every table.

The zone codes of growth factors are checked by ``mecc.futures.growth_vector``, which
validate calls from ``mecc.checks``; the day/night table's codes by
``exposure.mobility.check_zone_codes``, which ``mecc.mobility.prepare_exposure`` calls;
blank rows are dropped by ``mecc.errors.read_input_table``.

The small case (tests/_run_inputs.py): zone A is columns 0-1 (600 people), zone B
columns 2-3 (760); AAD of its river flood = (1/10 - 1/100) x (400 + 760) / 2 = 52.2.
"""

from __future__ import annotations

import pytest

from mecc.run import run_country
from tests._errors import expect_error
from tests._run_inputs import basic_case, event_hazard, write_run


@pytest.fixture
def case(tmp_path):
    folder = tmp_path / "case"
    return folder, basic_case(folder)


@pytest.mark.parametrize("growth", [{"A": 1.1, "Z": 1.2}, "growth.csv"], ids=["mapping", "csv"])
def test_validate_refuses_an_unknown_growth_code(case, tmp_path, cli, growth):
    folder, run = case
    (folder / "growth.csv").write_text("zone_code,growth\nA,1.1\nZ,1.2\n", encoding="utf-8")
    run["futures"] = [{"id": "f", "population": {"growth": growth}}]
    expect_error(cli, write_run(folder, run), tmp_path / "out", 1, "growth", "Z")


def test_validate_refuses_an_unknown_day_night_code(case, tmp_path, cli):
    folder, run = case
    (folder / "od.csv").write_text("o,d,s\nA,B,0.2\na,B,0.1\n", encoding="utf-8")
    run["hazards"][0]["impact_time"] = "day"
    run["mobility"] = {
        "day_night": {
            "path": "od.csv",
            "origin_column": "o",
            "destination_column": "d",
            "share_column": "s",
        }
    }
    expect_error(
        cli, write_run(folder, run), tmp_path / "out", 1, "mobility.day_night", "'a'", "'A'"
    )


def test_blank_rows_at_the_end_of_tables_are_skipped(case, tmp_path, cli):
    folder, run = case
    (folder / "events.csv").write_text("band,frequency\n1,0.1\n2,0.01\n,\n,\n", encoding="utf-8")
    (folder / "census.csv").write_text("code,people\nA,600\nB,760\n,\n", encoding="utf-8")
    (folder / "prot.csv").write_text("zone_code,protection_rp\nA,2\n,\n", encoding="utf-8")
    (folder / "growth.csv").write_text("zone_code,growth\nA,1.5\nB,1\n,\n", encoding="utf-8")
    (folder / "od.csv").write_text("o,d,s\nA,B,0.5\n,,\n", encoding="utf-8")
    run["population"]["official"] = {
        "path": "census.csv",
        "code_column": "code",
        "value_column": "people",
    }
    run["hazards"][0]["protection_rp"] = "prot.csv"  # below the first map: no change
    run["hazards"].append(event_hazard())
    run["futures"] = [{"id": "f", "population": {"growth": "growth.csv"}}]
    run["mobility"] = {
        "day_night": {
            "path": "od.csv",
            "origin_column": "o",
            "destination_column": "d",
            "share_column": "s",
        }
    }
    checked = cli("validate", write_run(folder, run))
    assert checked.exit_code == 0, checked.stderr
    result = run_country(folder / "run.yaml", tmp_path / "out", with_map=False)
    assert result.summary["hazards"]["rf"]["aad"] == pytest.approx(52.2)
    # events: band 1 displaces columns 2-3 (760), band 2 columns 1-3 (1,080)
    assert result.summary["hazards"]["ev"]["aad"] == pytest.approx(0.1 * 760 + 0.01 * 1080)
