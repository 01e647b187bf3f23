"""A finished run as every command that reads one sees it.

1. A run folder whose tables a spreadsheet in French or Spanish saved again (``;``
   between fields, decimal commas, digits grouped) gives every command the same outputs
   as the run's own files: ``mecc compare`` crashed (exit 3: the numbers of zones.csv
   were read as text) and ``mecc evaluate`` said zones.csv had no zone_code (it read the
   table with commas only); the guard comparing results.nc with zones.csv lost a unit
   coded ``NA`` and skipped a re-saved zones.csv.
2. One rule of a finished run (:func:`mecc.run_folder.is_run_folder`: a manifest.json
   mecc wrote, the file a run writes last): ``mecc report sendai`` crashed (exit 3) on a
   staging folder without manifest.json and ``mecc evaluate`` took it as a run; every
   command now refuses it in the same line, exit 1.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from tests._errors import one_error_line

TEXT = {"zone_code", "zone_name", "parent_code", "hazard_id", "band", "future_id"}
TEXT |= {"future_label", "figure", "from_zone", "to_zone"}
NUMBER = re.compile(r"^(-?)(\d+)(?:\.(\d+))?([eE][-+]?\d+)?$")


def _spreadsheet_cell(text: str, group: str) -> str:
    """A number as a French or Spanish spreadsheet writes it: ``1234.5`` -> ``1234,5``,
    or with ``group`` between thousands (``1.234,5``, ``1 234,5``)."""
    found = NUMBER.match(text)
    if not found:
        return text
    sign, whole, fraction, exponent = found.groups()
    if group and not exponent:
        whole = f"{int(whole):,}".replace(",", group)
    return sign + whole + ("," + fraction if fraction is not None else "") + (exponent or "")


def _resave(run: Path, copy: Path, group: str = "") -> Path:
    """``run`` copied, every CSV table saved again with ``;`` and decimal commas (the
    cells of its number columns rewritten, codes and names left as written)."""
    shutil.copytree(run, copy)
    for path in sorted(run.glob("*.csv")):
        with open(path, encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
        numeric = pd.read_csv(path, encoding="utf-8-sig").select_dtypes("number").columns
        numbers = [name in set(numeric) - TEXT for name in rows[0]]
        out = [rows[0]] + [
            [_spreadsheet_cell(v, group) if n else v for v, n in zip(row, numbers, strict=True)]
            for row in rows[1:]
        ]
        with open(copy / path.name, "w", encoding="utf-8-sig", newline="") as handle:
            csv.writer(handle, delimiter=";", lineterminator="\r\n").writerows(out)
    return copy


def _pandas_resave(run: Path, copy: Path) -> Path:
    """zones.csv saved again by pandas with ``;`` and ``decimal=","`` (the reviewer's
    copy): only the columns pandas read as floats get decimal commas, the others (those
    with blank cells, read as text) keep their points."""
    shutil.copytree(run, copy)
    zones = pd.read_csv(
        run / "zones.csv", encoding="utf-8-sig", dtype={"zone_code": str}, keep_default_na=False
    )
    text = zones.to_csv(sep=";", index=False, decimal=",")
    (copy / "zones.csv").write_text(text, encoding="utf-8-sig")
    return copy


# ------------------------------------------------------------------ 1. re-saved tables


@pytest.mark.parametrize("group", ["", ".", "\u202f"], ids=["plain", "dots", "narrow-space"])
def test_a_resaved_table_reads_as_the_original(demo_folder, tmp_path, group):
    from mecc.run_folder import read_run_table

    run = demo_folder / "run"
    copy = _resave(run, tmp_path / "copy", group)
    zones = (copy / "zones.csv").read_text(encoding="utf-8-sig")
    assert ";" in zones.splitlines()[0] and re.search(r"\d,\d", zones)
    for name in ("zones.csv", "bands.csv", "futures.csv", "allocation.csv", "flows.csv"):
        if (run / name).is_file():
            pd.testing.assert_frame_equal(read_run_table(copy, name), read_run_table(run, name))
    # a figure against the run's own text, parsed here (not by mecc)
    with open(run / "zones.csv", encoding="utf-8-sig", newline="") as handle:
        first = next(csv.DictReader(handle))
    table = read_run_table(copy, "zones.csv")
    assert table["population"].dtype == "float64"
    assert table["population"].iloc[0] == float(first["population"])
    assert table["zone_code"].iloc[0] == first["zone_code"]


def test_a_pandas_resaved_zones_table_reads_as_the_original(demo_folder, tmp_path):
    from mecc.run_folder import read_run_table

    run = demo_folder / "run"
    copy = _pandas_resave(run, tmp_path / "copy")
    assert "123.6" in (copy / "zones.csv").read_text(encoding="utf-8-sig")  # points kept
    table = read_run_table(copy, "zones.csv")
    pd.testing.assert_frame_equal(table, read_run_table(run, "zones.csv"))
    assert table["aad"].dtype == "float64"


def _outputs(cli, run: Path, out: Path, observed: Path, inputs: Path) -> dict:
    """Every command that reads a run's tables, on ``run``: their files' bytes."""
    commands = {
        "compare": ("compare", run, run),
        "evaluate": ("evaluate", run, "--observed", observed, "--hazard", "cyclone_wind"),
        "sendai": ("report", "sendai", run),
        "map": ("map", run, "--inputs", inputs),
        "needs": ("needs", run),
        "profile": ("profile", run, "--no-pdf"),
    }
    files = {}
    for name, args in commands.items():
        result = cli(*args, "--out", out / name)
        assert result.exit_code == 0, (name, result.stderr)
        for path in sorted((out / name).iterdir()):
            if path.suffix in (".csv", ".html", ".geojson"):
                text = path.read_text(encoding="utf-8").replace(str(run), "RUN")
                files[f"{name}/{path.name}"] = text
    return files


def test_every_command_gives_the_same_outputs_on_a_resaved_run(cli, demo_folder, tmp_path):
    run = demo_folder / "run"
    zones = pd.read_csv(run / "zones.csv", encoding="utf-8-sig", keep_default_na=False)
    chosen = zones[(zones.hazard_id == "cyclone_wind") & (zones.level.astype(str) == "2")]
    observed = tmp_path / "observed.csv"
    chosen[["zone_code"]].assign(value=1000).to_csv(observed, index=False)
    inputs = demo_folder / "inputs"
    original = _outputs(cli, run, tmp_path / "original", observed, inputs)
    assert {"compare/compare.csv", "evaluate/evaluation.csv", "needs/needs.csv"} <= set(original)
    assert {"sendai/sendai.csv", "map/map.html", "profile/profiles.html"} <= set(original)
    for copy in (
        _resave(run, tmp_path / "dots", "."),
        _pandas_resave(run, tmp_path / "pandas"),
    ):
        again = _outputs(cli, copy, tmp_path / f"out-{copy.name}", observed, inputs)
        again = {k: v.replace(str(copy), "RUN") for k, v in again.items()}
        assert again.keys() == original.keys()
        for name, text in original.items():
            assert again[name] == text, (copy.name, name)


def _results_nc(path: Path, zones) -> None:
    """A results.nc of these zones in a finished run (its manifest.json, as mecc writes)."""
    import netCDF4

    (path.parent / "manifest.json").write_text('{"created_by": "mecc 0.1.0"}', encoding="utf-8")
    with netCDF4.Dataset(path, "w") as store:
        store.createDimension("zone", len(zones))
        variable = store.createVariable("zone", str, ("zone",))
        for k, code in enumerate(zones):
            variable[k] = code


def test_the_results_guard_keeps_a_unit_coded_na(tmp_path):
    from mecc.run_identity import check_results

    run = tmp_path / "run"
    run.mkdir()
    header = "zone_code,zone_name,level,hazard_id,population\n"
    rows = "NA,Namibia,0,flood,10.5\nXB,Other,0,flood,2.5\n"
    (run / "zones.csv").write_text(header + rows, encoding="utf-8-sig")
    _results_nc(run / "results.nc", ["NA", "XB"])
    check_results(run)  # the same units: no error


def test_the_results_guard_reads_a_resaved_zones_table(tmp_path):
    from mecc.errors import DataError
    from mecc.run_identity import check_results

    run = tmp_path / "run"
    run.mkdir()
    header = "zone_code;zone_name;level;hazard_id;population\n"
    rows = "XA;One;0;flood;10,5\nXB;Other;0;flood;2,5\n"
    (run / "zones.csv").write_text(header + rows, encoding="utf-8-sig")
    _results_nc(run / "results.nc", ["XA", "XC"])  # another run's units
    with pytest.raises(
        DataError, match="only in results.nc: zones XC; only in zones.csv: zones XB"
    ):
        check_results(run)


# ------------------------------------------------------------------ 2. finished runs


@pytest.fixture
def staging(demo_folder, tmp_path):
    """A run still being written: its files, but not yet manifest.json."""
    folder = tmp_path / "staging"
    shutil.copytree(demo_folder / "run", folder)
    (folder / "manifest.json").unlink()
    return folder


COMMANDS = {
    "map": ("map", "RUN"),
    "profile": ("profile", "RUN"),
    "needs": ("needs", "RUN"),
    "compare": ("compare", "RUN", "RUN"),
    "report sendai": ("report", "sendai", "RUN"),
    "evaluate": ("evaluate", "RUN", "--observed", "OBSERVED"),
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_refuses_a_run_still_being_written(cli, staging, tmp_path, command):
    observed = tmp_path / "observed.csv"
    observed.write_text("zone_code,value\nXMR0101,5\n", encoding="utf-8")
    names = {"RUN": staging, "OBSERVED": observed}
    args = [names.get(a, a) for a in COMMANDS[command]]
    line = one_error_line(cli(*args, "--out", tmp_path / "out"), 1)
    assert line == f"error: {staging / 'manifest.json'}: not found (is this a finished run folder?)"
    assert not (tmp_path / "out").exists()


def test_a_manifest_mecc_did_not_write_is_refused_in_one_line(cli, staging, tmp_path):
    (staging / "manifest.json").write_text('{"name": "a web app"}', encoding="utf-8")
    line = one_error_line(cli("report", "sendai", staging, "--out", tmp_path / "out"), 1)
    manifest = staging / "manifest.json"
    assert line == f"error: {manifest}: not written by mecc (is this a finished run folder?)"


def test_the_readers_refuse_a_run_still_being_written(staging):
    from mecc.errors import InputFileError
    from mecc.evaluate import read_run_figures
    from mecc.map_data import read_run  # map, profile, needs and the training pack

    for read in (read_run, read_run_figures):
        with pytest.raises(InputFileError, match=r"manifest.json: not found \(is this a"):
            read(staging)


def test_one_rule_of_a_run_folder(demo_folder, staging, tmp_path):
    """The run folders the guards suggest are those --overwrite may replace."""
    from mecc.outputs import made_by
    from mecc.run_folder import check_finished_run, is_run_folder

    finished = demo_folder / "run"
    assert is_run_folder(finished) and made_by(finished) == "run"
    check_finished_run(finished)
    assert not is_run_folder(staging) and made_by(staging) is None
    with (staging / "manifest.json").open("w", encoding="utf-8") as handle:
        json.dump({"created_by": "mecc 0.1.0"}, handle)
    assert is_run_folder(staging) and made_by(staging) == "run"


def test_a_run_still_being_written_is_not_suggested(cli, demo_folder, tmp_path, monkeypatch):
    """A folder beside a staging folder: no run folder to suggest (it is no finished run)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out" / "inputs").mkdir(parents=True)
    shutil.copytree(demo_folder / "run", tmp_path / "out" / "run")
    (tmp_path / "out" / "run" / "manifest.json").unlink()
    line = one_error_line(cli("map", "out/inputs", "--out", "m"), 1)
    assert line == "error: out/inputs/manifest.json: not found (is this a finished run folder?)"
