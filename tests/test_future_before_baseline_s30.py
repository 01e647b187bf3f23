"""A future whose every stated year is before the baseline population's year is warned
about, by ``mecc validate`` and by the run alike (before, a future dated 2010 beside a
2025 baseline validated and ran without a word, its figures in futures.csv presented as
changes to come)."""

from __future__ import annotations

import json

from mecc.checks import validate_run
from tests.test_future_warnings_s28 import _country

PAST = (
    "futures.past: every year it states (2000, 2010) is before the baseline population's "
    "year 2020: a future is meant to be later (check its period and years); futures.csv and "
    "attribution.csv give its figures as changes from the baseline all the same"
)


def _futures():
    return [
        {
            "id": "past",
            "period": 2010,
            "hazards": {"sc": {"intensity": "full.tif", "period": "2000"}},
            "population": {"growth": 1.2, "year": 2010},
        },
        # one year at or after the baseline's is enough: a period reaching 2020
        {"id": "reaching", "hazards": {"sc": {"intensity": "full.tif", "period": "2001-2020"}}},
        {"id": "later", "period": "2041-2060", "hazards": {"sc": {"intensity": "full.tif"}}},
        {"id": "no_year", "population": {"growth": 1.1}},  # nothing stated: nothing said
    ]


def test_validate_warns_of_a_future_before_the_baseline(tmp_path):
    report = validate_run(_country(tmp_path, _futures()))
    assert [w for w in report.warnings if "before the baseline" in w] == [PAST]


def test_the_run_says_and_records_the_same_line(cli, tmp_path):
    ran = cli("run", _country(tmp_path, _futures()), "--out", tmp_path / "out", "--no-map")
    assert ran.exit_code == 0, ran.output
    assert f"warning: {PAST}" in ran.output.splitlines()
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert [w for w in manifest["warnings"] if "before the baseline" in w] == [PAST]
