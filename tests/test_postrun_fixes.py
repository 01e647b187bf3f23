"""Commands on a finished run: evaluate statistics with zones that are 0 in both files,
option values that are not counts, an observed file with no data rows, a --level the run
does not have (profile) and an --inputs folder that does not exist (map)."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from mecc.errors import ConfigError, DataError
from mecc.evaluate import compare, read_observed
from mecc.profiles import build_profiles

# three zones with figures and nine zones that are 0 in both the run and the observed file
MODELLED = {"A": 999.0, "B": 99.0, "C": 9.0} | {f"Z{k}": 0.0 for k in range(9)}
OBSERVED = {"A": 1299.0, "B": 9.0, "C": 199.0} | {f"Z{k}": 0.0 for k in range(9)}


def _write_run(folder):
    """A run folder with what evaluate reads: zones.csv (one scenario hazard), summary and
    a manifest (a finished run)."""
    folder.mkdir()
    rows = [(c, f"Zone {c}", 1, "quake", 1e4, m, "") for c, m in MODELLED.items()]
    rows.append(("__outside__", "Outside every admin unit", "", "quake", 0.0, 0.0, ""))
    columns = ["zone_code", "zone_name", "level", "hazard_id", "population", "displaced"]
    pd.DataFrame(rows, columns=[*columns, "parent_code"]).to_csv(
        folder / "zones.csv", index=False, encoding="utf-8-sig"
    )
    summary = {"country": "XTS", "name": "Testland", "hazards": {"quake": {"kind": "scenario"}}}
    (folder / "summary.json").write_text(json.dumps(summary))
    (folder / "manifest.json").write_text(json.dumps({"created_by": "mecc 0.1.0"}))  # finished
    return folder


def _write_observed(path, values=OBSERVED):
    path.write_text(
        "zone_code,value\n" + "".join(f"{c},{v:g}\n" for c, v in values.items()),
        encoding="utf-8",
    )
    return path


@pytest.fixture
def case(tmp_path):
    return _write_run(tmp_path / "run"), _write_observed(tmp_path / "observed.csv")


# --------------------------------------------------- 1. zones that are 0 in both


def test_compare_leaves_zones_zero_in_both_out_of_the_statistics():
    o = np.array(list(OBSERVED.values()))
    m = np.array([MODELLED[c] for c in OBSERVED])
    stats = compare(o, m, 100.0)
    assert stats["zones"] == 12 and stats["reported_zeros"] == 9
    assert stats["both_zero"] == 9 and stats["zones_compared"] == 3
    # by hand over A, B, C: (1 + m) / (1 + o) = 1000/1300, 100/10, 10/200 -> median 10/13
    assert stats["median_ratio"] == pytest.approx(10 / 13)
    # ranks: o (1299, 9, 199) -> 3, 1, 2; m (999, 99, 9) -> 3, 2, 1; d = 0, 1, 1
    assert stats["spearman"] == pytest.approx(1 - 6 * 2 / (3 * (9 - 1)))  # 0.5
    log_o = [math.log(1300), math.log(10), math.log(200)]
    log_m = [math.log(1000), math.log(100), math.log(10)]
    assert stats["pearson_log1p"] == pytest.approx(np.corrcoef(log_o, log_m)[0, 1])
    # the zones 0 in both still agree in the hit table: threshold 100 -> hit A, miss C,
    # correct negatives B and the nine zeros
    assert (stats["hits"], stats["misses"], stats["false_alarms"]) == (1, 1, 0)
    assert stats["correct_negatives"] == 10
    assert stats["ratio_definition"] == "(1 + modelled) / (1 + observed) per zone"


def test_evaluate_states_the_zones_zero_in_both_and_the_ratio(case, tmp_path, cli):
    run, observed = case
    out = tmp_path / "e"
    result = cli("evaluate", run, "--observed", observed, "--out", out)
    assert result.exit_code == 0, result.output
    assert "12 observed zones, 9 of them 0 in both" in result.output
    assert "over the 3 zones not 0 in both" in result.output
    assert "Spearman 0.50, median ratio 0.77" in result.output
    assert "ratio = (1 + modelled) / (1 + observed) per zone" in result.output
    figures = json.loads((out / "evaluation.json").read_text(encoding="utf-8"))
    assert figures["zones"]["both_zero"] == 9 and figures["zones"]["zones_compared"] == 3
    assert figures["zones"]["median_ratio"] == pytest.approx(10 / 13)
    page = (out / "evaluation.html").read_text(encoding="utf-8")
    assert "0 in both observed and modelled" in page
    assert "<td>9</td>" in page and "<td>3</td>" in page
    assert "9 of the correct negatives are zones 0 in both" in page
    assert "ratio = (1 + modelled) / (1 + observed) per zone" in page


# ---------------------------------------- 2. option values that are not counts


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--national-observed", "nan"),
        ("--national-observed", "-5"),
        ("--national-observed", "inf"),
        ("--context", "a=nan"),
        ("--context", "foo=-3"),
    ],
)
def test_evaluate_refuses_options_that_are_not_counts(case, tmp_path, cli, option, value):
    run, observed = case
    out = tmp_path / "e"
    result = cli("evaluate", run, "--observed", observed, "--out", out, option, value)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and option in lines[0] and ">= 0" in lines[0], result.output
    assert not out.exists()


# ------------------------------------------------ 3. observed file without data


def test_observed_file_with_only_a_header(case, tmp_path, cli):
    run, _ = case
    header_only = tmp_path / "header.csv"
    header_only.write_text("zone_code,value\n", encoding="utf-8")
    with pytest.raises(DataError, match="header.csv: the observed file has a header but no data"):
        read_observed(header_only, code_column="zone_code", value_column="value")
    out = tmp_path / "e"
    result = cli("evaluate", run, "--observed", header_only, "--out", out)
    assert result.exit_code == 1 and "no data rows" in result.output, result.output
    assert not out.exists()
    blank = tmp_path / "blank.csv"
    blank.write_text("zone_code,value\nA,\nB, \n", encoding="utf-8")
    with pytest.raises(DataError, match="blank.csv: column value: every row is blank"):
        read_observed(blank, code_column="zone_code", value_column="value")


# ------------------------------------------- 4. profile: a level the run has not


def test_profile_level_the_run_does_not_have(demo_folder, tmp_path, cli):
    run = demo_folder / "run"
    with pytest.raises(ConfigError, match=r"--level 7: not a level of this run \(levels: 1, 2\)"):
        build_profiles(run, levels=[7])
    out = tmp_path / "p"
    result = cli("profile", run, "--no-pdf", "--level", "7", "--out", out)
    assert result.exit_code == 2, result.output
    assert "--level 7" in result.output and "levels: 1, 2" in result.output
    assert not out.exists()


# -------------------------------------------- 5. map: --inputs that does not exist


def test_map_refuses_an_inputs_folder_that_does_not_exist(demo_folder, tmp_path, cli):
    out = tmp_path / "m"
    missing = tmp_path / "no such folder"
    result = cli("map", demo_folder / "run", "--inputs", missing, "--out", out)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "--inputs" in lines[0] and "does not exist" in lines[0]
    assert not out.exists()
