"""Unit codes with leading zeros in a run's tables that a spreadsheet saved again.

Admin codes are often digits with leading zeros (``01``, ``0101``). Excel or LibreOffice
in French or Spanish opens a run's CSV, reads such a code as a number and saves ``101``
(with ``;`` between fields and decimal commas). The commands that read the run give
those codes back from the run's own ones where exactly one matches, so the Sendai
figures stay on every page and popup and the run is not taken for another; a code that
may be two of the run's codes is refused in one line naming the file and the field.
"""

from __future__ import annotations

import csv
import re
import shutil

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner

from cli import main
from mecc.csv_files import LostZerosError
from mecc.run_folder import read_run_table
from mecc.run_identity import check_results
from tests._errors import one_error_line
from tests._run_inputs import snapshot

_NUMBER = re.compile(r"-?\d+(\.\d+)?(e-?\d+)?")


def _resave(path, delimiter=";"):
    """Save a table as Excel in French or Spanish does on open and save as CSV:
    ``;`` between fields, decimal commas, codes of digits as numbers (``0101`` -> 101);
    with ``delimiter=","`` as in English (decimal points)."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))

    def cell(value):
        if not _NUMBER.fullmatch(value):
            return value
        number = float(value)
        if number == int(number):
            return str(int(number))
        return f"{number:.15g}".replace(".", "," if delimiter == ";" else ".")

    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle, delimiter=delimiter).writerows(
            [rows[0]] + [[cell(v) for v in row] for row in rows[1:]]
        )


def _run_with_codes(demo_folder, folder, code):
    """The demo run with its codes changed by ``code`` (``XMR0101`` -> ``0101`` ...)."""
    inputs = folder / "inputs"
    shutil.copytree(demo_folder / "inputs", inputs)
    for layer in ("provinces", "districts"):
        frame = gpd.read_file(inputs / "admin.gpkg", layer=layer)
        for column in ("pcode", "parent"):
            if column in frame.columns:
                frame[column] = frame[column].map(code)
        frame.to_file(inputs / "admin.gpkg", layer=layer, driver="GPKG")
    for name, columns in (
        ("census_population.csv", ["pcode"]),
        ("census_districts.csv", ["pcode"]),
        ("commuting.csv", ["origin", "destination"]),
    ):
        table = pd.read_csv(inputs / name, dtype=str)
        for column in columns:
            table[column] = table[column].map(code)
        table.to_csv(inputs / name, index=False)
    run_file = inputs / "run.yaml"
    text = run_file.read_text(encoding="utf-8")
    text = re.sub(
        r"^      (XMR\d{4}):", lambda m: f"      '{code(m[1])}':", text, flags=re.MULTILINE
    )
    run_file.write_text(text, encoding="utf-8")
    run = folder / "run"
    result = CliRunner().invoke(main, ["-q", "run", str(run_file), "--out", str(run)])
    assert result.exit_code == 0, result.output
    return run


def _digits(value):
    return value if value == "XMR" else value[3:]


def _digits_and_001(value):
    """As :func:`_digits`, but district 0101 coded ``001``: ``1`` may be 01 or 001."""
    return "001" if value == "XMR0101" else _digits(value)


@pytest.fixture(scope="module")
def zero_run(demo_folder, tmp_path_factory):
    """The demo run with codes 01 ... 03 and 0101 ... 0312."""
    return _run_with_codes(demo_folder, tmp_path_factory.mktemp("zeros"), _digits)


@pytest.fixture(scope="module")
def twin_run(demo_folder, tmp_path_factory):
    """The demo run with province 01 and district 001 (and 0102 ... 0312)."""
    return _run_with_codes(demo_folder, tmp_path_factory.mktemp("twins"), _digits_and_001)


@pytest.fixture(scope="module")
def originals(zero_run, tmp_path_factory):
    """The profile (Spanish) and the map of the run as mecc wrote it."""
    out = tmp_path_factory.mktemp("originals")
    runner = CliRunner()
    profile = runner.invoke(
        main, ["profile", str(zero_run), "--out", str(out / "p"), "--lang", "es", "--no-pdf"]
    )
    assert profile.exit_code == 0, profile.output
    chart = runner.invoke(main, ["map", str(zero_run), "--out", str(out / "m"), "--lang", "es"])
    assert chart.exit_code == 0, chart.output
    return (out / "p" / "profiles.html").read_text(), (out / "m" / "map.html").read_text()


def _copy(run, tmp_path, *tables):
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    for name in tables:
        _resave(copy / name)
    return copy


def _sendai_values(page):
    """The Sendai figures of a profiles.html, rounded as a spreadsheet keeps them."""
    values = re.findall(r'data-figure="sendai_(value|per_100k)" data-value="([^"]+)"', page)
    return [(kind, round(float(v), 6)) for kind, v in values]


def _meta(page):
    return re.findall(r'<p class="meta">([^ <]+) ', page)


def test_the_demo_run_has_codes_with_leading_zeros(zero_run):
    zones = read_run_table(zero_run, "zones.csv")
    assert {"01", "0101", "0312"} <= set(zones["zone_code"])


def test_a_resaved_sendai_csv_keeps_every_sendai_figure(cli, zero_run, originals, tmp_path):
    run = _copy(zero_run, tmp_path, "sendai.csv")
    with open(run / "sendai.csv", encoding="utf-8-sig", newline="") as handle:
        codes = {row["admin_code"] for row in csv.DictReader(handle, delimiter=";")}
    assert {"1", "101"} <= codes and not {"01", "0101"} & codes
    page, chart = originals
    result = cli("profile", run, "--out", tmp_path / "p", "--lang", "es", "--no-pdf")
    assert result.exit_code == 0, result.output
    resaved = (tmp_path / "p" / "profiles.html").read_text()
    assert resaved.count("Indicadores del Marco de Sendai") == 15
    assert _sendai_values(resaved) == _sendai_values(page)
    assert len(_sendai_values(page)) > 30
    result = cli("map", run, "--out", tmp_path / "m", "--lang", "es")
    assert result.exit_code == 0, result.output
    resaved_chart = (tmp_path / "m" / "map.html").read_text()
    assert resaved_chart.count("Sendai B-1") == chart.count("Sendai B-1") == 60


def test_a_resaved_zones_csv_is_the_same_run_with_its_codes(cli, zero_run, originals, tmp_path):
    run = _copy(zero_run, tmp_path, "zones.csv")
    assert "\n101;" in (run / "zones.csv").read_text(encoding="utf-8-sig")
    check_results(run)  # not "written by another run"
    result = cli("map", run, "--out", tmp_path / "m", "--lang", "es")
    assert result.exit_code == 0, result.output
    assert "another run" not in result.output
    result = cli("profile", run, "--out", tmp_path / "p", "--lang", "es", "--no-pdf")
    assert result.exit_code == 0, result.output
    page = (tmp_path / "p" / "profiles.html").read_text()
    assert _meta(page) == _meta(originals[0])
    assert _meta(page)[:4] == ["01", "02", "03", "0101"]


def test_every_resaved_table_gives_the_codes_of_the_run(zero_run, tmp_path):
    tables = ("zones.csv", "sendai.csv", "flows.csv", "allocation.csv", "bands.csv")
    run = _copy(zero_run, tmp_path, *tables)
    columns = {
        "zones.csv": ["zone_code", "parent_code"],
        "sendai.csv": ["admin_code", "parent_code"],
        "flows.csv": ["from_zone", "to_zone"],
        "allocation.csv": ["zone_code"],
    }
    for name, names in columns.items():
        before = read_run_table(zero_run, name, dtype=str, keep_default_na=False)
        after = read_run_table(run, name, dtype=str, keep_default_na=False)
        assert after[names].equals(before[names]), name
        assert (after[names] == "0101").any().any(), name
    # read with its numbers as numbers: the codes too
    zones = read_run_table(run, "zones.csv")
    assert (
        zones["zone_code"].tolist() == read_run_table(zero_run, "zones.csv")["zone_code"].tolist()
    )


@pytest.mark.parametrize(
    ("table", "field", "commands"),
    [
        ("sendai.csv", "admin_code", ["profile", "map"]),
        ("zones.csv", "zone_code", ["map", "profile"]),
    ],
)
def test_a_code_that_may_be_two_of_the_run_is_refused(
    cli, twin_run, tmp_path, table, field, commands
):
    run = _copy(twin_run, tmp_path, table)
    before = snapshot(run)
    for name in commands:
        out = tmp_path / f"out-{name}"
        line = one_error_line(
            cli(name, run, "--out", out, "--no-pdf")
            if name == "profile"
            else cli(name, run, "--out", out),
            1,
        )
        assert str(run / table) in line, line
        assert f"{field} 1 lost its leading zeros" in line, line
        assert "001 or 01" in line and "another run" not in line, line
        assert not out.exists()
    assert snapshot(run) == before
    with pytest.raises(LostZerosError):
        read_run_table(run, table, dtype=str, keep_default_na=False)


def test_the_run_with_01_and_001_as_written_is_read_as_it_is(cli, twin_run, tmp_path):
    zones = read_run_table(twin_run, "zones.csv")
    assert {"01", "001", "0102"} <= set(zones["zone_code"])
    result = cli("map", twin_run, "--out", tmp_path / "m")
    assert result.exit_code == 0, result.output


def test_codes_an_english_spreadsheet_saved_with_commas_are_given_back(zero_run, tmp_path):
    run = _copy(zero_run, tmp_path)
    _resave(run / "sendai.csv", delimiter=",")
    _resave(run / "flows.csv", delimiter=",")
    for name, column in (("sendai.csv", "admin_code"), ("flows.csv", "from_zone")):
        before = read_run_table(zero_run, name, dtype=str, keep_default_na=False)[column]
        after = read_run_table(run, name, dtype=str, keep_default_na=False)[column]
        assert "101" not in set(after) and after.equals(before), name
