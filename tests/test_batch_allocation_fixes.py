"""Two fixes of ``mecc run``: a batch run with --overwrite replaces its whole folder, and an
allocation cell as large as the travel radius is refused.

Figures of the 4 x 4 test case (tests/_run_inputs.py) by hand: with the 1 m step curve
the 100-year map (depth 0, 0.5, 1, 2 m by column) displaces columns 2 and 3,
(30 + 70 + 110 + 150) + (40 + 80 + 120 + 160) = 760 people; twice the people, 1520.
Its cells are 0.1 degree: 0.1 x pi x 6371.0088 / 180 = 11.12 km high and 7.2 km wide at
latitude 49.8, so an allocation cell is 11.12 km times a power of two.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from mecc.outputs import OUTPUT_MARKER
from tests._run_inputs import POP, basic_case, hidden_entries, snapshot, write_run
from tests.conftest import write_raster

ROW_KM = 0.1 * math.pi * 6371.0088 / 180  # 11.12 km: the larger side of a test cell


def _good(folder, name, people=1.0) -> Path:
    data = basic_case(folder)
    if people != 1.0:
        write_raster(Path(folder) / "pop.tif", POP * people)
    return write_run(folder, data, name=name)


def _rows(out) -> pd.DataFrame:
    return pd.read_csv(out / "batch.csv", encoding="utf-8-sig")


def _displaced_100_year(run_folder) -> float:
    summary = json.loads((run_folder / "summary.json").read_text(encoding="utf-8"))
    return summary["hazards"]["rf"]["bands"][-1]["displaced"]


def _error_lines(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line]


# ------------------------------------------------------------ batch with --overwrite


def test_overwrite_replaces_the_whole_batch_folder(cli, tmp_path):
    """x and y, then y and z with --overwrite: x's earlier results were left beside the
    new runs, under a batch.csv that did not list them."""
    x = _good(tmp_path / "x", "x.yaml")
    y = _good(tmp_path / "y", "y.yaml")
    out = tmp_path / "runs"
    assert cli("run", x, y, "--out", out, "--no-map").exit_code == 0
    z = _good(tmp_path / "z", "z.yaml", people=2.0)
    again = cli("run", y, z, "--out", out, "--overwrite", "--no-map")
    assert again.exit_code == 0, again.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted([OUTPUT_MARKER, "batch.csv", "y", "z"])
    rows = _rows(out)
    assert list(rows["run_file"]) == [str(y), str(z)]
    assert list(rows["out_dir"]) == [str(out / "y"), str(out / "z")]  # not a staging folder
    assert _displaced_100_year(out / "y") == pytest.approx(760, rel=1e-12)
    assert _displaced_100_year(out / "z") == pytest.approx(1520, rel=1e-12)
    assert hidden_entries(out) == [] and hidden_entries(tmp_path) == []


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_failed_run_leaves_no_earlier_results_under_its_name(cli, tmp_path, jobs):
    """x fails this time: batch.csv said `failed` while runs/x/ still held the earlier
    results, which `mecc report runs/x` would read. Also with --jobs (processes)."""
    x = _good(tmp_path / "x", "x.yaml")
    y = _good(tmp_path / "y", "y.yaml")
    out = tmp_path / "runs"
    assert cli("run", x, y, "--out", out, "--no-map").exit_code == 0
    (tmp_path / "x" / "pop.tif").unlink()
    write_raster(tmp_path / "y" / "pop.tif", POP * 2)
    again = cli("run", x, y, "--out", out, "--overwrite", "--no-map", "--jobs", jobs)
    assert again.exit_code == 1
    assert list(_rows(out)["status"]) == ["failed", "ok"]
    assert not (out / "x").exists()
    assert _displaced_100_year(out / "y") == pytest.approx(1520, rel=1e-12)
    assert hidden_entries(out) == [] and hidden_entries(tmp_path) == []


def test_a_failed_run_leaves_no_earlier_results_on_dask(tmp_path):
    """The same with one Dask task per run file (mecc.cluster.run_rows)."""
    from distributed import Client, LocalCluster

    from mecc.run import run_batch

    x = _good(tmp_path / "x", "x.yaml")
    y = _good(tmp_path / "y", "y.yaml")
    out = tmp_path / "runs"
    assert run_batch([x, y], out, with_map=False).exit_code == 0
    (tmp_path / "x" / "pop.tif").unlink()
    write_raster(tmp_path / "y" / "pop.tif", POP * 2)
    options = {"processes": False, "n_workers": 1, "threads_per_worker": 2}
    with LocalCluster(dashboard_address=":0", **options) as cluster, Client(cluster) as client:
        batch = run_batch([x, y], out, overwrite=True, with_map=False, dask=client)
    assert batch.exit_code == 1 and [row["status"] for row in batch.rows] == ["failed", "ok"]
    assert [row["out_dir"] for row in batch.rows] == [str(out / "x"), str(out / "y")]
    assert sorted(p.name for p in out.iterdir()) == sorted([OUTPUT_MARKER, "batch.csv", "y"])
    assert _displaced_100_year(out / "y") == pytest.approx(1520, rel=1e-12)
    assert hidden_entries(tmp_path) == []


def test_a_batch_folder_written_before_the_marker_is_replaced(cli, tmp_path):
    """A batch folder of an earlier version (batch.csv and run folders, no marker)."""
    x = _good(tmp_path / "x", "x.yaml")
    y = _good(tmp_path / "y", "y.yaml")
    out = tmp_path / "runs"
    assert cli("run", x, y, "--out", out, "--no-map").exit_code == 0
    (out / OUTPUT_MARKER).unlink()
    replaced = cli("run", y, _good(tmp_path / "z", "z.yaml"), "--out", out, "--overwrite")
    assert replaced.exit_code == 0, replaced.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted([OUTPUT_MARKER, "batch.csv", "y", "z"])


def test_overwrite_never_replaces_a_folder_mecc_did_not_write(cli, tmp_path):
    x = _good(tmp_path / "x", "x.yaml")
    y = _good(tmp_path / "y", "y.yaml")
    out = tmp_path / "runs"
    assert cli("run", x, y, "--out", out, "--no-map").exit_code == 0
    (out / "notes.txt").write_text("the analyst's notes", encoding="utf-8")
    single = tmp_path / "single"
    assert cli("run", x, "--out", single, "--no-map").exit_code == 0
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "y").mkdir()
    (mine / "y" / "draft.csv").write_text("a,b\n", encoding="utf-8")
    for folder, named in ((out, "notes.txt"), (single, "a single run"), (mine, "holds y,")):
        before = snapshot(folder)
        refused = cli("run", x, y, "--out", folder, "--overwrite", "--no-map")
        assert refused.exit_code == 2
        (line,) = _error_lines(refused)
        assert line.startswith(f"error: {folder}: not a batch folder of mecc") and named in line
        assert snapshot(folder) == before
        assert hidden_entries(tmp_path) == []


def test_overwrite_never_deletes_hidden_files_or_a_batch_csv_of_the_users(cli, tmp_path):
    """A hidden file named like a killed run's staging folder (".thesis.old-2023", digits
    read as hex) was deleted as a leftover, and any file named batch.csv made a folder
    pass for a batch's."""
    x = _good(tmp_path / "x", "x.yaml")
    y = _good(tmp_path / "y", "y.yaml")
    out = tmp_path / "runs"
    assert cli("run", x, y, "--out", out, "--no-map").exit_code == 0
    (out / ".thesis.old-20232024").write_text("my 2023 thesis draft", encoding="utf-8")
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "batch.csv").write_text("batch\n", encoding="utf-8")
    for folder, named in ((out, ".thesis.old-20232024"), (theirs, "holds batch.csv")):
        before = snapshot(folder)
        refused = cli("run", x, y, "--out", folder, "--overwrite", "--no-map")
        assert refused.exit_code == 2, refused.output
        (line,) = _error_lines(refused)
        assert line.startswith(f"error: {folder}: not a batch folder of mecc") and named in line
        assert snapshot(folder) == before


def test_overwrite_never_replaces_a_batch_folder_holding_a_run_file(cli, tmp_path):
    x = _good(tmp_path / "x", "x.yaml")
    y = _good(tmp_path / "y", "y.yaml")
    out = tmp_path / "runs"
    assert cli("run", x, y, "--out", out, "--no-map").exit_code == 0
    inside = out / "x" / "mine.yaml"  # a run file kept in an earlier run's folder
    inside.write_bytes((tmp_path / "y" / "y.yaml").read_bytes())
    before = snapshot(out)
    refused = cli("run", inside, y, "--out", out, "--overwrite", "--no-map")
    assert refused.exit_code == 2
    (line,) = _error_lines(refused)
    assert str(out) in line and "x/mine.yaml" in line
    assert snapshot(out) == before


@pytest.mark.parametrize("overwrite", [False, True])
def test_a_stopped_batch_keeps_finished_runs_or_the_earlier_batch(cli, tmp_path, overwrite):
    """Ctrl-C after the first run. With --overwrite the earlier batch stays as it was;
    without, the finished run is kept whole (no batch.csv: the batch did not end), and a
    later --overwrite replaces the folder."""
    from mecc.run import run_batch

    x = _good(tmp_path / "x", "x.yaml")
    y = _good(tmp_path / "y", "y.yaml")
    out = tmp_path / "runs"
    if overwrite:
        assert run_batch([x, y], out, with_map=False).exit_code == 0
    before = snapshot(out) if overwrite else None
    write_raster(tmp_path / "x" / "pop.tif", POP * 2)

    def stop_after_the_first(stage, done, total):
        if stage == "runs" and done == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_batch([x, y], out, overwrite=overwrite, with_map=False, progress=stop_after_the_first)
    assert hidden_entries(tmp_path) == []
    if overwrite:
        assert snapshot(out) == before
        assert _displaced_100_year(out / "x") == pytest.approx(760, rel=1e-12)
        return
    assert sorted(p.name for p in out.iterdir() if p.name != OUTPUT_MARKER) == ["x"]
    assert _displaced_100_year(out / "x") == pytest.approx(1520, rel=1e-12)  # the new x
    again = cli("run", x, y, "--out", out, "--overwrite", "--no-map")
    assert again.exit_code == 0, again.output
    assert sorted(p.name for p in out.iterdir() if p.name != OUTPUT_MARKER) == [
        "batch.csv",
        "x",
        "y",
    ]


# ------------------------------------------------------- allocation cell and radius


def _allocation_run(cli, tmp_path, allocation):
    data = basic_case(tmp_path)
    data["mobility"] = {"allocation": allocation}
    return cli("run", write_run(tmp_path, data), "--out", tmp_path / "out", "--no-map")


def test_a_cell_larger_than_the_radius_is_refused(cli, tmp_path):
    """radius_km 1 with cell_km 500: distances inside a cell count as 0, so people moved
    tens of km with a 1 km radius, and no one was told."""
    result = _allocation_run(cli, tmp_path, {"radius_km": 1, "cell_km": 500})
    assert result.exit_code == 2
    (line,) = _error_lines(result)
    assert line.startswith("error: run.yaml.mobility.allocation.cell_km: must be smaller than")
    assert "give cell_km: 0.5 or less" in line
    assert not (tmp_path / "out").exists()


def test_settings_refuse_a_cell_not_smaller_than_the_radius():
    from mecc.allocation import AllocationSettings
    from mecc.errors import ConfigError

    label = "run.yaml.mobility.allocation"
    with pytest.raises(ConfigError, match=r"^run\.yaml\.mobility\.allocation\.cell_km: .*5 km"):
        AllocationSettings.from_spec({"radius_km": 5, "cell_km": 5}, label)
    # the default, a tenth of the radius but at least 1 km, is too coarse for 1 km
    with pytest.raises(ConfigError, match=r"cell_km: .*1 km \(the default\).*0\.5 or less"):
        AllocationSettings.from_spec({"radius_km": 1}, label)
    assert AllocationSettings.from_spec({"radius_km": 5, "cell_km": 4.9}, label).cell_km == 4.9


def test_a_cell_rounded_up_to_the_radius_is_refused_with_its_size(cli, tmp_path):
    """cell_km 20 (< 22) becomes 2 x 2 cells of 11.12 km = 22.24 km, not smaller than a
    22 km radius; one analysis cell (11.12 km) fits."""
    result = _allocation_run(cli, tmp_path, {"radius_km": 22, "cell_km": 20})
    assert result.exit_code == 2
    (line,) = _error_lines(result)
    assert line.startswith("error: run.yaml.mobility.allocation.cell_km: ")
    assert f"cells of {2 * ROW_KM:.3g} km (2 x 2 cells of {ROW_KM:.3g} km" in line
    assert f"give cell_km: {ROW_KM:.4g} or less" in line
    assert not (tmp_path / "out").exists()


def test_analysis_cells_as_large_as_the_radius_are_refused(cli, tmp_path):
    """A 10 km radius on rows 11.12 km high: even one analysis cell is too coarse."""
    result = _allocation_run(cli, tmp_path, {"radius_km": 10, "cell_km": 4})
    assert result.exit_code == 2
    (line,) = _error_lines(result)
    assert line.startswith("error: run.yaml.mobility.allocation.radius_km: ")
    assert f"give radius_km: {2 * ROW_KM:.3g} or more" in line


def test_a_cell_over_half_the_radius_is_warned_with_its_size(cli, tmp_path):
    """cell_km 25 gives 22.24 km cells: below a 30 km radius but over half of it; the
    farthest a person can be placed is 30 + sqrt(2) x 22.24 = 61.5 km."""
    result = _allocation_run(cli, tmp_path, {"radius_km": 30, "cell_km": 25})
    assert result.exit_code == 0, result.stderr
    farthest = 30 + math.sqrt(2) * 2 * ROW_KM
    # (B's displaced people also give zone A a host burden above 1,000 per 1,000: warned too)
    warned = [line for line in _error_lines(result) if "allocation's cells" in line]
    assert len(warned) == 1 and f"cells of {2 * ROW_KM:.3g} km" in warned[0]
    assert "more than half the 30 km radius" in warned[0]
    assert f"up to {farthest:.3g} km from home" in warned[0]
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert any(f"cells of {2 * ROW_KM:.3g} km" in w for w in manifest["warnings"])
    # 300 km: 22.24 km cells are within half the radius, no warning
    again = _allocation_run(cli, tmp_path / "wide", {"radius_km": 300, "cell_km": 25})
    assert again.exit_code == 0 and "allocation's cells" not in again.stderr
