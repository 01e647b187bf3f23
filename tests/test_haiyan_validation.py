"""The Typhoon Haiyan validation, end to end, with the exact commands of
``make validate-haiyan`` (validation/haiyan/reproduce.sh); its figures must be the ones the
README section "How good are the numbers?" publishes, so that evidence cannot drift."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CASE = ROOT / "validation" / "haiyan"


def _readme_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"^## How good are the numbers\?\n(.*?)(?=^## )", text, re.M | re.S)
    assert match, "README.md has no section 'How good are the numbers?'"
    return match.group(1)


def _table_rows():
    spec = importlib.util.spec_from_file_location("haiyan_readme_table", CASE / "readme_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.table_rows


@pytest.mark.slow
@pytest.mark.shared_data
def test_haiyan_evaluation_matches_the_readme(haiyan_reproduced):
    out = haiyan_reproduced  # conftest: reproduce.sh, run once per session
    figures = json.loads((out / "evaluation" / "evaluation.json").read_text(encoding="utf-8"))

    # the data as the shared README describes it
    observed = figures["observed"]
    assert observed["rows"] == 412 and observed["codes"] == 410
    assert observed["duplicate_codes_summed"] == {"PH175103000": 2, "PH184532000": 2}
    assert observed["codes_not_in_run"] == []
    assert figures["zones"]["zones"] == 410 and figures["zones"]["reported_zeros"] == 37
    assert figures["national"]["observed"] == 550_928
    assert figures["household_size"] == 4.4
    assert set(figures["run"]["variants"]) == {"central", "low", "high"}
    # the report cites the observed figures' publisher and the census (both from the data's
    # README: ../shared/data/README.md)
    sources = figures["sources"]["data"]
    assert "NDRRMC" in sources["observed"]["source"] and "510" in sources["observed"]["source"]
    assert sources["population"]["source"] == "census"

    # the published figures
    section = _readme_section()
    missing = [row for row in _table_rows()(figures) if row not in section]
    assert not missing, "README figures differ from the evaluation:\n" + "\n".join(missing)

    # the wind field was made from 10-minute winds with the stated factor
    import rasterio

    with rasterio.open(out / "work" / "wind.tif") as dataset:
        parameters = json.loads(dataset.tags()["parameters"])
    assert parameters["track_averaging"] == "10-min"
    assert parameters["averaging_to_1min_factor"] == pytest.approx(1 / 0.93)
