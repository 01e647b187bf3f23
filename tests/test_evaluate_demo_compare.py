"""User probes on the demo run: ``mecc evaluate`` of a hazard without curve variants in a
run where other hazards have them (no range anywhere), and of a curve with one variant
only (the other end is the central figure); ``mecc run`` and ``mecc demo`` print the
run's warnings after their output, and ``demo --json`` lists them; ``mecc compare`` of
two wide runs raises no pandas PerformanceWarning."""

from __future__ import annotations

import csv
import json
import shutil
import warnings

import pandas as pd
import pytest
import yaml

from mecc.compare import compare_runs
from mecc.evaluate import evaluate_run
from tests._run_inputs import basic_case, write_run, write_zones_with_an_empty_unit

# observed displaced people in three districts of the demo country (Mareva)
OBSERVED = {"XMR0101": 120000, "XMR0104": 30000, "XMR0103": 2000}


def _zones(run) -> list[dict]:
    with open(run / "zones.csv", encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _observed_sum(run, hazard: str, column: str) -> float:
    """The hazard's zones.csv ``column`` summed over the observed districts."""
    rows = [r for r in _zones(run) if r["hazard_id"] == hazard and r["zone_code"] in OBSERVED]
    assert len(rows) == len(OBSERVED)
    return sum(float(r[column]) for r in rows)


def _write_observed(path):
    path.write_text(
        "zone_code,value\n" + "".join(f"{c},{v}\n" for c, v in OBSERVED.items()),
        encoding="utf-8",
    )
    return path


def _manifest_warnings(run) -> list:
    return json.loads((run / "manifest.json").read_text(encoding="utf-8"))["warnings"]


# ------------------------------------------------------------------ evaluate: ranges


def test_evaluate_of_a_hazard_without_variants_shows_no_range(demo_folder, tmp_path, cli):
    """The demo's earthquake curve has no variants; its cyclone's has (so zones.csv has
    displaced_low/_high columns, blank in the earthquake's rows): no "range 0 - 0"."""
    run = demo_folder / "run"
    assert {r["displaced_low"] for r in _zones(run) if r["hazard_id"] == "earthquake"} == {""}
    observed = _write_observed(tmp_path / "obs.csv")
    out = tmp_path / "ev"
    result = cli("evaluate", run, "--observed", observed, "--hazard", "earthquake", "--out", out)
    assert result.exit_code == 0, result.stderr
    central = _observed_sum(run, "earthquake", "displaced")
    national_line = next(x for x in result.stdout.splitlines() if "national:" in x)
    assert national_line.strip() == (
        f"national: modelled {central:,.0f} vs observed 152,000 people (modelled estimate vs "
        "observation)"
    )
    figures = json.loads((out / "evaluation.json").read_text(encoding="utf-8"))
    national = figures["national"]
    assert national["modelled"] == pytest.approx(central)
    assert not [k for k in national if "_low" in k or "_high" in k or "range" in k]
    assert list(figures["zones_by_variant"]) == ["central"]
    assert figures["modelled"]["variants"] == ["central"]
    assert figures["run"]["variants"] == ["central"]
    assert list(figures["modelled_displaced_people"]) == ["central"]
    page = (out / "evaluation.html").read_text(encoding="utf-8")
    assert "(range " not in page and "low – high range" not in page
    assert f"{central:,.0f} (no curve range for this hazard)" in page
    assert "has no low/high variants: no range is shown" in page
    header = (out / "evaluation.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert header == "zone_code,zone_name,observed,modelled,log10_ratio,outcome"

    # the cyclone of the same run keeps its range, from its own variants
    out = tmp_path / "ev_cyclone"
    result = cli("evaluate", run, "--observed", observed, "--hazard", "cyclone_wind", "--out", out)
    assert result.exit_code == 0, result.stderr
    national = json.loads((out / "evaluation.json").read_text(encoding="utf-8"))["national"]
    low = _observed_sum(run, "cyclone_wind", "displaced_low")
    high = _observed_sum(run, "cyclone_wind", "displaced_high")
    assert 0 < low < high
    assert national["modelled_low"] == pytest.approx(low)
    assert national["modelled_high"] == pytest.approx(high)
    assert national["observed_within_range"] is (low <= 152000 <= high)
    assert f"(range {low:,.0f} - {high:,.0f})" in result.stdout


@pytest.fixture(scope="module")
def one_sided_run(demo_folder, tmp_path_factory):
    """The demo's earthquake with a ``high`` variant only (everyone at MMI 5 or more,
    against the central curve's 5.5), beside the cyclone whose curve has both."""
    from mecc.run import run_country

    folder = tmp_path_factory.mktemp("one_sided")
    inputs = folder / "inputs"
    shutil.copytree(demo_folder / "inputs", inputs)
    data = yaml.safe_load((inputs / "run.yaml").read_text(encoding="utf-8"))
    data.pop("futures")
    data["hazards"] = [h for h in data["hazards"] if h["id"] in ("earthquake", "cyclone_wind")]
    quake = next(h for h in data["hazards"] if h["id"] == "earthquake")
    quake["variants"] = {"high": {"step": 5.0}}
    (inputs / "run.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run_country(inputs / "run.yaml", folder / "run", with_map=False)
    return result.out_dir


def test_evaluate_of_a_curve_with_one_variant_takes_the_central_as_the_other_end(
    one_sided_run, tmp_path
):
    run = one_sided_run
    rows = [r for r in _zones(run) if r["hazard_id"] == "earthquake"]
    assert {r["displaced_low"] for r in rows} == {""}  # no low variant
    central = _observed_sum(run, "earthquake", "displaced")
    high = _observed_sum(run, "earthquake", "displaced_high")
    assert high > central > 0
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))["hazards"]
    whole_high = summary["earthquake"]["displaced_high"]
    assert "displaced_low" not in summary["earthquake"]

    observed = _write_observed(tmp_path / "obs.csv")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = evaluate_run(run, observed, tmp_path / "ev", hazard="earthquake")
    note = (
        "the displacement curve of hazard earthquake has a high variant only (no low): the "
        "low end of the range is the central figure"
    )
    assert note in result.notes and note in [str(w.message) for w in caught]
    national = result.figures["national"]
    assert national["modelled_low"] == pytest.approx(central)
    assert national["modelled_high"] == pytest.approx(high)
    assert national["modelled_high_whole_run"] == pytest.approx(whole_high)
    assert national["observed_within_range"] is (central <= 152000 <= high)
    assert result.figures["modelled"]["range_note"] == note
    assert result.figures["run"]["variants"] == ["central", "high"]  # what the run has
    people = result.figures["modelled_displaced_people"]
    assert people["low"] == pytest.approx(people["central"])
    assert people["high"] == pytest.approx(whole_high)
    by_variant = result.figures["zones_by_variant"]
    assert by_variant["low"] == by_variant["central"]
    table = pd.read_csv(tmp_path / "ev" / "evaluation.csv", encoding="utf-8-sig")
    assert list(table["modelled_low"]) == pytest.approx(list(table["modelled"]))
    assert table["modelled_high"].sum() == pytest.approx(high)
    page = (tmp_path / "ev" / "evaluation.html").read_text(encoding="utf-8")
    assert f"(range {central:,.0f} – {high:,.0f})" in page
    assert "(range 0 –" not in page


# ------------------------------------------------------------------ run and demo warnings


def test_a_single_run_prints_its_warnings_after_its_output(cli, tmp_path):
    """README, Messages and exit codes: one ``warning:`` line each after the output."""
    folder = tmp_path / "case"
    run = basic_case(folder)
    write_zones_with_an_empty_unit(folder)  # unit C receives no cell: a warning
    run_file = write_run(folder, run)
    out = tmp_path / "out"
    result = cli("run", run_file, "--out", out, "--no-map")
    assert result.exit_code == 0, result.stderr
    recorded = _manifest_warnings(out)
    assert recorded and any("no cell" in w for w in recorded)
    printed = result.stdout.splitlines()
    assert printed[0] == f"wrote {out}"
    assert result.stderr.splitlines() == [f"warning: {w}" for w in recorded]
    assert result.output.splitlines() == printed + result.stderr.splitlines()

    result = cli("run", run_file, "--out", tmp_path / "json", "--no-map", "--json")
    assert result.exit_code == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["warnings"] == _manifest_warnings(tmp_path / "json") == recorded
    assert result.output.splitlines() == result.stdout.splitlines() + [
        f"warning: {w}" for w in recorded
    ]


def test_demo_prints_the_runs_warnings_after_its_output(demo_command):
    folder, result = demo_command
    recorded = _manifest_warnings(folder / "run")
    assert len(recorded) == 4  # the demo run's warnings, as mecc run prints them
    assert result.stderr.splitlines() == [f"warning: {w}" for w in recorded]
    assert result.output.splitlines() == result.stdout.splitlines() + [
        f"warning: {w}" for w in recorded
    ]


def test_demo_json_lists_the_runs_warnings(cli, demo_folder, monkeypatch):
    """--json: the run's warnings in the record and as lines on stderr (the demo itself is
    the session's; only the printing is under test here)."""
    import mecc.demo

    monkeypatch.setattr(mecc.demo, "build_demo", lambda *args, **kwargs: demo_folder)
    result = cli("demo", "--out", demo_folder, "--json")
    assert result.exit_code == 0, result.stderr
    recorded = _manifest_warnings(demo_folder / "run")
    assert len(recorded) == 4
    assert json.loads(result.stdout)["warnings"] == recorded
    assert result.stderr.splitlines() == [f"warning: {w}" for w in recorded]
    demo = json.loads((demo_folder / "demo.json").read_text(encoding="utf-8"))
    assert demo["warnings"] == recorded  # what the demo's own record says too

    quiet = cli("-q", "demo", "--out", demo_folder, "--json")
    assert quiet.exit_code == 0 and quiet.stderr == ""
    assert json.loads(quiet.stdout)["warnings"] == recorded


# ------------------------------------------------------------------ compare


def test_compare_of_two_demo_runs_warns_nothing(demo_folder, tmp_path, cli):
    run = demo_folder / "run"
    out = tmp_path / "cmp"
    result = cli("compare", run, run, "--out", out)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""  # no "warning: PerformanceWarning: ... fragmented"
    assert result.stdout == f"wrote {out}\n"
    table = pd.read_csv(out / "compare.csv", encoding="utf-8-sig", dtype={"zone_code": str})
    quake = table[(table["hazard_id"] == "earthquake") & (table["zone_code"] == "XMR0101")]
    expected = next(
        float(r["displaced"])
        for r in _zones(run)
        if r["hazard_id"] == "earthquake" and r["zone_code"] == "XMR0101"
    )
    assert quake["displaced_baseline"].item() == pytest.approx(expected)
    assert quake["displaced_future"].item() == pytest.approx(expected)
    assert quake["displaced_change"].item() == 0.0
    assert quake["displaced_baseline_low"].isna().all()  # no variants: no range
    cyclone = table[(table["hazard_id"] == "cyclone_wind") & (table["zone_code"] == "XMR0101")]
    assert cyclone["displaced_baseline_low"].item() < cyclone["displaced_baseline"].item()
    assert table["level"].dropna().isin([0, 1, 2]).all()

    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.PerformanceWarning)
        compare_runs(run, run, tmp_path / "strict")
    again = pd.read_csv(tmp_path / "strict" / "compare.csv", encoding="utf-8-sig")
    assert list(again.columns) == list(table.columns) and len(again) == len(table)
