"""Batches stopped between a run's folder appearing and its row being recorded, progress
of parallel batches, and what a stopped or resumed batch says (mecc.batch, mecc.cluster,
mecc.commands.run)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

from mecc.outputs import OUTPUT_MARKER
from tests._run_inputs import POP, basic_case, write_run
from tests.test_cli_runs import _run_on_a_terminal

# basic_case: zone B (columns 2-3 of POP) is flooded 1 m and 2 m deep at 100 years and
# flood_step_1m displaces everyone at 1 m or more
B_PEOPLE = float(POP[:, 2:].sum())


def _runs(folder: Path, names) -> list:
    """Run files of the basic case in ``folder``, as paths."""
    data = basic_case(folder)
    return [write_run(folder, data, name) for name in names]


def _rows(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "batch.csv", encoding="utf-8-sig")


def _marker(out: Path) -> dict:
    return json.loads((out / OUTPUT_MARKER).read_text(encoding="utf-8"))


def _displaced_100(run: Path) -> float:
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    return summary["hazards"]["rf"]["bands"][-1]["displaced"]


def _stop_once_in_place(monkeypatch, stops_at: int = 1):
    """Ctrl-C right after run number ``stops_at`` of a serial batch has moved its folder
    into place, before the batch records its row (the gap a real Ctrl-C can hit)."""
    import mecc.batch

    real, calls = mecc.batch.batch_row, []

    def row_then_stop(path, out, options):
        row = real(path, out, options)
        calls.append(path)
        if len(calls) == stops_at:
            assert (Path(out) / "summary.json").is_file()  # the run is in place
            raise KeyboardInterrupt
        return row

    monkeypatch.setattr(mecc.batch, "batch_row", row_then_stop)


# ------------------------------------------------ 1. a finished run is never left out


def test_a_run_in_place_without_its_row_gets_it_back_when_the_batch_is_resumed(
    tmp_path, cli, monkeypatch
):
    """Stopped after run a's folder was moved into place but before its row was
    recorded, the resumed batch's batch.csv listed b and c only, beside a's folder."""
    from mecc.run import run_batch

    a, b, c = _runs(tmp_path, ["a.yaml", "b.yaml", "c.yaml"])
    out = tmp_path / "out"
    _stop_once_in_place(monkeypatch)
    with pytest.raises(KeyboardInterrupt) as stopped:
        run_batch([a, b, c], out, with_map=False)
    monkeypatch.undo()
    assert sorted(p.name for p in out.iterdir()) == [OUTPUT_MARKER, "a"]
    assert _marker(out)["rows"] == []  # a's row never recorded
    manifest = json.loads((out / "a" / "manifest.json").read_text(encoding="utf-8"))

    result = cli("run", b, c, "--out", out, "--no-map")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == (
        f"wrote {out / 'batch.csv'} (3 runs listed, 3 ok: 1 earlier, 2 now)"
    )
    rows = _rows(out)
    assert [Path(p).name for p in rows["out_dir"]] == ["a", "b", "c"]
    assert rows["run_file"].tolist() == [str(p.resolve()) for p in (a, b, c)]
    assert rows["status"].tolist() == ["ok", "ok", "ok"]
    assert rows["exit_code"].tolist() == [0, 0, 0]
    assert rows["seconds"][0] == pytest.approx(manifest["timings_seconds"]["total"])
    assert rows["warnings"][0] == len(manifest["warnings"])
    for name in "abc":
        assert _displaced_100(out / name) == pytest.approx(B_PEOPLE, rel=1e-12)
    assert "kept 1 finished run in" in stopped.value.batch_stop  # its folder counts


def test_a_parallel_run_in_place_without_its_row_gets_it_back(tmp_path, cli, monkeypatch):
    """--jobs: the worker moves the run into place, the parent records its row; a
    Ctrl-C between the two (here: as the parent receives the first row) lost it."""
    import mecc.cluster
    from mecc.run import run_batch

    files = _runs(tmp_path, ["a.yaml", "b.yaml", "c.yaml", "d.yaml"])
    out = tmp_path / "out"
    real = mecc.cluster.run_rows

    def stop_at_first_row(paths, outs, options, *, jobs=1, dask=None, on_row=None):
        def interrupted(index, row):
            raise KeyboardInterrupt

        return real(paths, outs, options, jobs=jobs, dask=dask, on_row=interrupted)

    monkeypatch.setattr(mecc.cluster, "run_rows", stop_at_first_row)
    with pytest.raises(KeyboardInterrupt):
        run_batch(files, out, with_map=False, jobs=2, threads=1)
    monkeypatch.undo()
    finished = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert 1 <= len(finished) <= 2  # the first run to end, without its row (and the other?)
    assert _marker(out)["rows"] == []
    rest = [p for p in files if p.stem not in finished]
    result = cli("run", *rest, "--out", out, "--no-map", "--jobs", "2")
    assert result.exit_code == 0, result.output
    rows = _rows(out)
    assert [Path(p).name for p in rows["out_dir"]] == finished + [p.stem for p in rest]
    assert rows["status"].tolist() == ["ok"] * 4


def test_a_resumed_batch_takes_back_only_the_runs_the_stopped_batch_started(tmp_path, cli):
    """A complete run folder the stopped batch did not start (run there by hand), or
    one under a started run's name but made from another run file, is not listed."""
    from mecc.run import run_batch, run_country

    a, b, c = _runs(tmp_path, ["a.yaml", "b.yaml", "c.yaml"])
    other = write_run(tmp_path / "else", basic_case(tmp_path / "else"), "b.yaml")
    z = write_run(tmp_path, basic_case(tmp_path), "z.yaml")
    out = tmp_path / "out"

    def stop_at_start(stage, done, total):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_batch([a, b, c], out, with_map=False, progress=stop_at_start)
    assert [run["out_dir"] for run in _marker(out)["runs"]] == [
        str((out / n).resolve()) for n in "abc"
    ]
    run_country(z, out / "z", with_map=False)  # never started by the batch
    run_country(other, out / "b", with_map=False)  # b's name, another run file
    result = cli("run", a, c, "--out", out, "--no-map")
    assert result.exit_code == 0, result.output
    assert [Path(p).name for p in _rows(out)["out_dir"]] == ["a", "c"]
    assert result.stdout.splitlines()[0] == f"wrote {out / 'batch.csv'} (2 of 2 runs ok)"


# ------------------------------------------------ 2. progress of parallel batches


def test_a_jobs_batch_shows_the_run_files_bar_on_a_terminal_only(tmp_path, cli):
    """A serial batch drew "Run files n/N"; with --jobs nothing was drawn."""
    names = [p.name for p in _runs(tmp_path, ["a.yaml", "b.yaml"])]
    code, _, terminal = _run_on_a_terminal(  # tests.test_cli_runs: stderr on a pty
        ["run", *names, "--out", "out", "--no-map", "--jobs", "2"], tmp_path
    )
    assert code == 0, terminal
    assert "Run files" in terminal
    assert "2/2" in terminal
    assert _rows(tmp_path / "out")["status"].tolist() == ["ok", "ok"]
    # not on a pipe (CliRunner's stderr is no terminal)
    plain = cli("run", *[tmp_path / n for n in names], "--out", tmp_path / "p", "--jobs", "2")
    assert plain.exit_code == 0, plain.output
    assert "Run files" not in plain.stderr
    assert "note:" not in plain.stderr


def test_a_dask_batch_reports_each_run_as_it_comes_back(tmp_path):
    """run_rows got no progress: the "runs" stage now moves as each row comes back."""
    from distributed import Client, LocalCluster

    from mecc.run import run_batch

    files = _runs(tmp_path, ["a.yaml", "b.yaml"])
    seen = []
    with (
        LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,
    ):
        run_batch(
            files,
            tmp_path / "out",
            dask=client,
            with_map=False,
            progress=lambda *step: seen.append(step),
        )
    assert [s for s in seen if s[0] == "runs"] == [("runs", 0, 2), ("runs", 1, 2), ("runs", 2, 2)]


# ------------------------------------------------ 3. --jobs on a small machine


def test_jobs_on_a_two_core_machine_notes_that_serial_is_faster(cli, tmp_path, monkeypatch):
    import mecc.batch
    import mecc.commands.run
    from mecc.errors import ConfigError

    def stop(*args, **kwargs):
        raise ConfigError("stopped here")

    monkeypatch.setattr(mecc.batch, "run_batch", stop)
    monkeypatch.setattr(mecc.commands.run, "bars_wanted", lambda quiet: not quiet)
    files = [tmp_path / "a.yaml", tmp_path / "b.yaml"]
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    noted = cli("run", *files, "--out", tmp_path / "o", "--jobs", "2")
    assert noted.exit_code == 2
    assert noted.stderr.splitlines()[0] == (
        "note: --jobs 2 on a machine of 2 cores: a run alone already uses every core, so "
        "runs one after another (no --jobs) are usually faster here"
    )
    assert "note:" not in cli("-q", "run", *files, "--out", tmp_path / "o", "--jobs", "2").stderr
    assert "note:" not in cli("run", *files, "--out", tmp_path / "o").stderr
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    assert "note:" not in cli("run", *files, "--out", tmp_path / "o", "--jobs", "4").stderr


# ------------------------------------------------ 4. what a stopped batch says


def test_ctrl_c_names_the_runs_kept_and_the_files_still_to_run(tmp_path, cli, monkeypatch):
    """The one line said only "nothing was left half-written"."""
    names = [p.name for p in _runs(tmp_path, ["a.yaml", "b.yaml", "c.yaml"])]
    monkeypatch.chdir(tmp_path)
    _stop_once_in_place(monkeypatch)
    result = cli("run", *names, "--out", "out", "--no-map")
    assert result.exit_code == 130
    assert result.stderr.splitlines() == [
        "interrupted (SIGINT): stopped before the end; outputs are moved into place only "
        "when complete, so nothing was left half-written; kept 1 finished run in out: a; "
        "still to run: 2 run files, b.yaml, c.yaml: run them with --out out to finish the "
        "batch (its batch.csv then lists every run)"
    ]
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path)
    again = cli("run", "b.yaml", "c.yaml", "--out", "out", "--no-map")
    assert again.exit_code == 0, again.output
    assert again.stdout.splitlines()[0] == (
        "wrote out/batch.csv (3 runs listed, 3 ok: 1 earlier, 2 now)"
    )


def test_a_stopped_batch_names_failed_runs_and_the_first_few_files(tmp_path):
    from mecc.run import run_batch

    files = _runs(tmp_path, [f"r{k}.yaml" for k in range(8)])
    bad = write_run(tmp_path, "country: [AAA\n", "bad.yaml")
    out = tmp_path / "out"

    def stop_after_two(stage, done, total):
        if stage == "runs" and done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt) as stopped:
        run_batch([files[0], bad, *files[1:]], out, with_map=False, progress=stop_after_two)
    assert stopped.value.batch_stop == (
        f"kept 1 finished run in {out}: r0; still to run: 8 run files, {bad} (failed, exit 2), "
        f"{files[1]}, {files[2]}, {files[3]}, {files[4]} and 3 more: run them with --out "
        f"{out} to finish the batch (its batch.csv then lists every run)"
    )


def test_a_stopped_overwrite_batch_says_the_folder_is_as_it_was(tmp_path, cli, monkeypatch):
    a, b = _runs(tmp_path, ["a.yaml", "b.yaml"])
    out = tmp_path / "out"
    assert cli("run", a, b, "--out", out, "--no-map").exit_code == 0
    before = sorted(p.name for p in out.iterdir())
    _stop_once_in_place(monkeypatch)
    result = cli("run", a, b, "--out", out, "--no-map", "--overwrite")
    assert result.exit_code == 130
    (line,) = result.stderr.splitlines()
    assert line.endswith(
        f"with --overwrite a batch replaces {out} only once all its runs have ended, so "
        f"{out} is as it was; run the batch again to replace it"
    )
    assert sorted(p.name for p in out.iterdir()) == before


# ------------------------------------------------ 5. two run files with one name


def test_two_run_files_with_one_name_are_named(tmp_path, cli, monkeypatch):
    (tmp_path / "a").mkdir()
    monkeypatch.chdir(tmp_path)
    result = cli("run", "m1.yaml", "a/m1.yaml", "--out", "d")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: m1.yaml and a/m1.yaml: run files in one batch need different file names "
        "(their folders are named after them; both would be m1/)"
    )
    assert not (tmp_path / "d").exists()
