"""``mecc validate`` warns of a future's hazard period far from its population year, as
the run does (before, only the run said it: a file that validated without a word then
ran with the warning)."""

from __future__ import annotations

from mecc.checks import validate_run
from tests.test_future_warnings_s28 import _country

OLD = (
    "futures.old: hazards.sc@old.period 1951-1970 is 50 years from the population year "
    "2020 (the baseline population's: the future gives none)"
)


def test_validate_warns_of_a_future_period_as_the_run_does(tmp_path):
    futures = [
        {"id": "old", "hazards": {"sc": {"intensity": "full.tif", "period": "1951-1970"}}},
        {"id": "near", "hazards": {"sc": {"intensity": "full.tif", "period": "2021-2040"}}},
    ]
    report = validate_run(_country(tmp_path, futures))
    assert [w for w in report.warnings if "years from the population" in w] == [OLD]


def test_validate_and_the_run_say_the_same_line(cli, tmp_path):
    futures = [{"id": "old", "hazards": {"sc": {"intensity": "full.tif", "period": "1951-1970"}}}]
    path = _country(tmp_path, futures)
    validated = cli("validate", path)
    assert validated.exit_code == 0, validated.output
    assert f"warning  {OLD}" in [line.strip() for line in validated.output.splitlines()]
    ran = cli("run", path, "--out", tmp_path / "out", "--no-map")
    assert ran.exit_code == 0, ran.output
    assert f"warning: {OLD}" in ran.output.splitlines()
