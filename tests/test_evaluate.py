"""mecc evaluate: statistics on a hand-built run whose expected numbers are derived here,
duplicates summed, zones missing from the observed file not counted as zeros, outputs
(HTML offline, CSV with a byte-order mark) and the run folder left untouched."""

from __future__ import annotations

import hashlib
import json
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from mecc.errors import ConfigError, DataError, MeccWarning
from mecc.evaluate import compare, evaluate_run, pearson, read_observed, spearman

# displaced people per zone in the run (central); low = half, high = double
RUN_PEOPLE = {"A": 2000.0, "B": 400.0, "C": 0.0, "D": 60.0, "E": 18.0, "F": 1000.0}
OUTSIDE_PEOPLE = 20.0
HOUSEHOLD = 2.0
# observed houses: A twice (600 + 400), D a reported zero, X matches no zone, G blank
# (not reported), F absent (not reported)
OBSERVED_ROWS = [
    ("A", "600"),
    ("B", "100"),
    ("C", "5"),
    ("D", "0"),
    ("E", "90"),
    ("A", "400"),
    ("X", "50"),
    ("G", ""),
]


def _write_run(folder):
    folder.mkdir()
    rows = []
    for code, people in RUN_PEOPLE.items():
        rows.append(
            (code, f"Zone {code}", 1, "storm", 1e4, people, people / 2, people * 2, 0.0, "")
        )
    rows.append(
        (
            "__outside__",
            "Outside every admin unit",
            "",
            "storm",
            100.0,
            OUTSIDE_PEOPLE,
            OUTSIDE_PEOPLE / 2,
            OUTSIDE_PEOPLE * 2,
            0.0,
            "",
        )
    )
    columns = [
        "zone_code",
        "zone_name",
        "level",
        "hazard_id",
        "population",
        "displaced",
        "displaced_low",
        "displaced_high",
        "population_no_hazard_data",
        "parent_code",
    ]
    pd.DataFrame(rows, columns=columns).to_csv(
        folder / "zones.csv", index=False, encoding="utf-8-sig"
    )
    summary = {
        "country": "XTS",
        "name": "Testland",
        "hazards": {"storm": {"kind": "scenario", "scenario": "Storm T", "curve": "test_curve"}},
    }
    (folder / "summary.json").write_text(json.dumps(summary))
    (folder / "manifest.json").write_text(
        json.dumps({"created_by": "mecc 0.1.0", "zones_without_cells": []})
    )
    shapes = [shapely.box(k, 0, k + 1, 1) for k in range(len(RUN_PEOPLE))]
    gpd.GeoDataFrame(
        {"zone_code": list(RUN_PEOPLE), "zone_name": [f"Zone {c}" for c in RUN_PEOPLE], "level": 1},
        geometry=shapes,
        crs="EPSG:4326",
    ).to_file(folder / "zones.gpkg", layer="admin1", driver="GPKG")
    return folder


def _write_observed(path, rows=OBSERVED_ROWS):
    text = "code,houses\n" + "".join(f"{c},{v}\n" for c, v in rows)
    path.write_text(text, encoding="utf-8")
    return path


def _digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture
def case(tmp_path):
    return _write_run(tmp_path / "run"), _write_observed(tmp_path / "observed.csv")


def _evaluate(case, out, **options):
    run, observed = case
    kwargs = {
        "code_column": "code",
        "value_column": "houses",
        "measure": "destroyed_houses",
        "household_size": HOUSEHOLD,
        "threshold": 25.0,
    }
    kwargs.update(options)
    with pytest.warns(MeccWarning):
        return evaluate_run(run, observed, out, **kwargs)


def test_statistics_match_the_hand_derivation(case, tmp_path):
    result = _evaluate(case, tmp_path / "eval")
    figures = result.figures
    # observed zones A..E: o (A summed), m = people / 2
    o = np.array([1000.0, 100.0, 5.0, 0.0, 90.0])
    m = np.array([1000.0, 200.0, 0.0, 30.0, 9.0])
    zones = figures["zones"]
    assert zones["zones"] == 5 and zones["reported_zeros"] == 1
    assert zones["pearson_log1p"] == pytest.approx(np.corrcoef(np.log1p(o), np.log1p(m))[0, 1])
    # ranks: o -> [5, 4, 2, 1, 3], m -> [5, 4, 1, 3, 2]; d = [0, 0, 1, -2, 1]
    assert zones["spearman"] == pytest.approx(1 - 6 * 6 / (5 * (25 - 1)))  # 0.7
    # (1 + m) / (1 + o) = [1, 201/101, 1/6, 31, 10/91]: median 1
    assert zones["median_ratio"] == pytest.approx(1.0)
    # threshold 25: hits A, B; miss E; false alarm D; correct negative C
    assert (zones["hits"], zones["misses"], zones["false_alarms"], zones["correct_negatives"]) == (
        2,
        1,
        1,
        1,
    )
    assert zones["probability_of_detection"] == pytest.approx(2 / 3)
    assert zones["false_alarm_ratio"] == pytest.approx(1 / 3)
    assert zones["critical_success_index"] == pytest.approx(0.5)
    national = figures["national"]
    # F is not reported and X is no zone: like with like over A..E (X counts nowhere)
    assert national["scope"] == "observed_units"
    assert national["observed"] == 1195.0  # 1000 + 100 + 5 + 0 + 90
    assert national["modelled"] == pytest.approx(1239.0)  # (2000 + 400 + 0 + 60 + 18) / 2
    assert national["modelled_low"] == pytest.approx(1239.0 / 2)
    assert national["modelled_high"] == pytest.approx(1239.0 * 2)
    assert national["modelled_observed_zones"] == pytest.approx(1239.0)
    total_people = sum(RUN_PEOPLE.values()) + OUTSIDE_PEOPLE
    assert national["modelled_whole_run"] == pytest.approx(total_people / HOUSEHOLD)  # 1749
    assert national["ratio"] == pytest.approx(1239 / 1195)
    assert national["observed_within_range"] is True
    assert figures["modelled_displaced_people"]["central"] == pytest.approx(total_people)
    # the variants' own statistics: low halves every modelled value
    assert figures["zones_by_variant"]["low"]["modelled_sum"] == pytest.approx(1239.0 / 2)


def test_duplicates_are_summed_with_a_warning(case, tmp_path):
    result = _evaluate(case, tmp_path / "eval")
    observed = result.figures["observed"]
    assert observed["duplicate_codes_summed"] == {"A": 2}
    assert any("appear more than once" in n and "A (2 rows)" in n for n in result.notes)
    table = pd.read_csv(tmp_path / "eval" / "evaluation.csv", encoding="utf-8-sig")
    assert table.set_index("zone_code").loc["A", "observed"] == 1000.0


def test_not_reported_zones_are_not_zeros(case, tmp_path):
    result = _evaluate(case, tmp_path / "eval")
    figures = result.figures
    assert figures["observed"]["zones_not_reported"] == 1  # F (G is no zone of the run)
    assert figures["observed"]["blank_rows"] == 1
    assert figures["observed"]["codes_not_in_run"] == ["X"]
    table = pd.read_csv(tmp_path / "eval" / "evaluation.csv", encoding="utf-8-sig")
    assert sorted(table["zone_code"]) == ["A", "B", "C", "D", "E"]
    # had F been counted as an observed zero, the statistics would differ
    o = np.array([1000.0, 100.0, 5.0, 0.0, 90.0, 0.0])
    m = np.array([1000.0, 200.0, 0.0, 30.0, 9.0, 500.0])
    wrong = compare(o, m, 25.0)
    assert wrong["zones"] == 6
    assert not math.isclose(wrong["pearson_log1p"], figures["zones"]["pearson_log1p"])
    residuals = gpd.read_file(tmp_path / "eval" / "residuals.geojson").set_index("zone_code")
    assert residuals.loc["F", "status"] == "not reported"
    assert pd.isna(residuals.loc["F", "observed"]) and pd.isna(residuals.loc["F", "log10_ratio"])
    assert residuals.loc["D", "observed"] == 0.0
    assert residuals.loc["B", "log10_ratio"] == pytest.approx(math.log10(201 / 101))


def test_outputs_offline_and_run_untouched(case, tmp_path):
    run, _ = case
    before = _digest(run)
    _evaluate(case, tmp_path / "eval", context=["IDMC displacements=4000"])
    assert _digest(run) == before
    out = tmp_path / "eval"
    names = {p.name for p in out.iterdir()}
    assert {
        "evaluation.html",
        "evaluation.csv",
        "evaluation.json",
        "scatter.png",
        "residuals.geojson",
    } <= names
    assert (out / "evaluation.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert (out / "scatter.png").read_bytes().startswith(b"\x89PNG")
    page = (out / "evaluation.html").read_text(encoding="utf-8")
    for external in (
        'src="http',
        "src='http",
        'href="http',
        "url(",
        "@import",
        "<script src",
        "<link",
    ):
        assert external not in page
    assert "data:image/png;base64," in page and "<svg" in page
    assert "pre-emptive evacuations" in page and "not reported" in page
    assert "IDMC displacements" in page


def test_refusals(case, tmp_path, cli):
    run, observed = case
    with pytest.raises(ConfigError, match="household-size"):
        evaluate_run(
            run,
            observed,
            tmp_path / "e1",
            code_column="code",
            value_column="houses",
            measure="destroyed_houses",
        )
    with pytest.raises(ConfigError, match="outside the run folder"):
        evaluate_run(run, observed, run / "evaluation", code_column="code", value_column="houses")
    with pytest.raises(ConfigError, match="did you mean 'houses'"):
        evaluate_run(run, observed, tmp_path / "e2", code_column="code", value_column="house")
    result = cli(
        "evaluate",
        run,
        "--observed",
        observed,
        "--out",
        tmp_path / "e3",
        "--code-column",
        "code",
        "--value-column",
        "houses",
        "--measure",
        "damaged_houses",
    )
    assert result.exit_code == 2 and "household-size" in result.output
    assert not (tmp_path / "e3").exists()
    bad = _write_observed(tmp_path / "bad.csv", [("A", "12"), ("B", "lots")])
    with pytest.raises(DataError, match="row 3"):
        read_observed(bad, code_column="code", value_column="houses")


def test_cli_evaluate(case, tmp_path, cli):
    run, observed = case
    result = cli(
        "evaluate",
        run,
        "--observed",
        observed,
        "--out",
        tmp_path / "e",
        "--code-column",
        "code",
        "--value-column",
        "houses",
        "--measure",
        "destroyed_houses",
        "--household-size",
        "2",
        "--threshold",
        "25",
        "--context",
        "IDMC displacements=4,000",
    )
    assert result.exit_code == 0, result.output
    assert "5 observed zones" in result.output and "appear more than once" in result.output
    figures = json.loads((tmp_path / "e" / "evaluation.json").read_text())
    assert figures["context"][0]["value_people"] == 4000.0


def test_measure_column_filters_rows(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text(
        "code,what,n\nA,destroyed_houses,3\nA,displaced_people,40\nB,destroyed_houses,1\n"
    )
    table = read_observed(
        path,
        code_column="code",
        value_column="n",
        measure="destroyed_houses",
        measure_column="what",
    )
    assert table.values.to_dict() == {"A": 3.0, "B": 1.0}


def test_rank_and_correlation_helpers():
    x, y = [1, 2, 2, 3], [1, 3, 2, 4]
    # average ranks: x -> [1, 2.5, 2.5, 4], y -> [1, 3, 2, 4]
    expected = np.corrcoef([1, 2.5, 2.5, 4], [1, 3, 2, 4])[0, 1]
    assert spearman(x, y) == pytest.approx(expected)
    assert math.isnan(pearson([1, 1, 1], [1, 2, 3]))
    assert math.isnan(pearson([1, 2], [1, 2]))


def _write_two_level_run(folder):
    """Provinces P1 (A, B, C) and P2 (D, E, F) over the districts of RUN_PEOPLE."""
    folder = _write_run(folder)
    zones = pd.read_csv(folder / "zones.csv", encoding="utf-8-sig", keep_default_na=False)
    zones.loc[zones["zone_code"] != "__outside__", "level"] = "2"
    zones["parent_code"] = zones["zone_code"].map(
        dict.fromkeys("ABC", "P1") | dict.fromkeys("DEF", "P2")
    )
    provinces = []
    for code, children in (("P1", "ABC"), ("P2", "DEF")):
        people = sum(RUN_PEOPLE[c] for c in children)
        provinces.append(
            (code, f"Province {code}", 1, "storm", 3e4, people, people / 2, people * 2, 0.0, "")
        )
    provinces = pd.DataFrame(provinces, columns=zones.columns)
    pd.concat([provinces, zones]).to_csv(folder / "zones.csv", index=False, encoding="utf-8-sig")
    return folder


def test_observed_codes_of_two_admin_levels_are_refused(tmp_path):
    """A province among districts was 'no zone of the run' and its people counted twice in
    the observed national total (once itself, once through its districts)."""
    run = _write_two_level_run(tmp_path / "run")
    observed = _write_observed(tmp_path / "obs.csv", [("P1", "1000"), ("A", "500"), ("B", "20")])
    with pytest.raises(DataError, match=r"2 admin levels \(level 1: P1; level 2: A, B\)"):
        evaluate_run(run, observed, tmp_path / "e", code_column="code", value_column="houses")
    assert not (tmp_path / "e").exists()


def test_observed_provinces_are_compared_at_the_province_level(tmp_path):
    run = _write_two_level_run(tmp_path / "run")
    observed = _write_observed(tmp_path / "obs.csv", [("P1", "2000"), ("P2", "1000")])
    with pytest.warns(MeccWarning, match="admin level 1 zones: compared at that level"):
        result = evaluate_run(
            run, observed, tmp_path / "e", code_column="code", value_column="houses"
        )
    figures = result.figures
    assert figures["run"]["admin_level"] == 1 and figures["zones"]["zones"] == 2
    assert figures["observed"]["codes_not_in_run"] == []
    assert figures["national"]["observed"] == 3000.0
    total = sum(RUN_PEOPLE.values()) + OUTSIDE_PEOPLE  # provinces + outside, counted once
    assert figures["national"]["modelled"] == pytest.approx(total)
    table = pd.read_csv(tmp_path / "e" / "evaluation.csv", encoding="utf-8-sig")
    assert table.set_index("zone_code")["modelled"].to_dict() == {"P1": 2400.0, "P2": 1078.0}


def test_evaluate_overwrite_replaces_its_own_output_never_its_observed_table(case, tmp_path, cli):
    run, observed = case
    options = ["--code-column", "code", "--value-column", "houses", "--measure"]
    options += ["destroyed_houses", "--household-size", "2", "--threshold", "25"]
    out = tmp_path / "e"
    for _ in range(2):
        result = cli("evaluate", run, "--observed", observed, "--out", out, "--overwrite", *options)
        assert result.exit_code == 0, result.output
    moved = out / "observed.csv"
    moved.write_bytes(observed.read_bytes())
    result = cli("evaluate", run, "--observed", moved, "--out", out, "--overwrite", *options)
    assert result.exit_code == 2 and "observed.csv, a file this run reads" in result.output
    assert moved.is_file()


def test_residual_map_has_an_accessible_name():
    """The residual map is role="img" (its zones' titles hidden from screen readers): its
    name counts the zones as the ratios give them."""
    import geopandas as gpd
    from shapely.geometry import box

    from mecc.evaluation_report import residual_map_svg

    frame = gpd.GeoDataFrame(
        {
            "zone_code": ["A", "B", "C", "D"],
            "zone_name": ["Alpha", "Beta", "Gamma", "Delta"],
            "observed": [10.0, 100.0, 5.0, float("nan")],
            "modelled": [20.0, 50.0, 5.0, 7.0],
            "log10_ratio": [np.log10(21 / 11), np.log10(51 / 101), 0.0, float("nan")],
        },
        geometry=[box(k, 0, k + 1, 1) for k in range(4)],
        crs="EPSG:4326",
    )
    svg = residual_map_svg(frame)
    assert 'role="img"' in svg
    assert (
        'aria-label="Map of log10(modelled / observed) per zone: 3 zones reported, the model '
        'higher in 1 and lower in 1; 1 not reported; the largest differences are listed below"'
    ) in svg
