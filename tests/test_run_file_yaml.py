"""The run file's YAML is read as people write it, and its values are checked in one place.

Zero-padded numbers are decimal (YAML 1.1 reads ``0010`` as octal 8 and ``08`` as text),
keys YAML reads as true or false and list keys are refused, merge keys work, UTF-16 with a
byte-order mark is read, non-finite and implausible numbers are refused naming the key,
dates are ``YYYY-MM-DD``, and messages show values as written (no Python reprs, one line).
Each refusal is checked by ``tests._errors.expect_error``: exit code, one line naming the
file and key, nothing written, and the same verdict from ``mecc validate``.

The small case (tests/_run_inputs.py): population 10..160 on 4 x 4 cells, depth 0, 0.5,
1, 2 m by column; the 10-year map is half the 100-year one. With the 1 m step curve the
10-year map displaces column 3 (400 people) and the 100-year map columns 2-3 (760), so
AAD = (1/10 - 1/100) x (400 + 760) / 2 = 52.2 people a year.
"""

from __future__ import annotations

import json
import re

import pytest
import yaml

from mecc.config import load_config
from mecc.errors import ConfigError, InputFileError
from mecc.run import run_country
from tests._errors import expect_error
from tests._run_inputs import basic_case, write_run

AAD = (1 / 10 - 1 / 100) * (400 + 760) / 2


@pytest.fixture
def case(tmp_path):
    folder = tmp_path / "case"
    return folder, basic_case(folder)


def _text(run: dict) -> str:
    return yaml.safe_dump(run, sort_keys=False, allow_unicode=True)


def _scenario(run: dict, **extra) -> dict:
    """The case with one scenario (the 100-year depth): 760 people displaced."""
    run["hazards"] = [
        {
            "id": "sc",
            "type": "river_flood",
            "intensity": "rp100.tif",
            "scenario": "test flood",
            "curve": "flood_step_1m",
            **extra,
        }
    ]
    return run


def _summary(out) -> dict:
    return json.loads((out / "summary.json").read_text(encoding="utf-8-sig"))


# ------------------------------------------------------------ zero-padded numbers


def test_zero_padded_return_periods_are_years_not_octal(case, tmp_path):
    folder, run = case
    text = re.sub(r"(?m)^(\s+)10: rp10", r"\g<1>0010: rp10", _text(run))
    text = re.sub(r"(?m)^(\s+)100: rp100", r"\g<1>0100: rp100", text)
    assert "0010: rp10.tif" in text and "0100: rp100.tif" in text
    run_country(write_run(folder, text), tmp_path / "out", with_map=False)
    hazard = _summary(tmp_path / "out")["hazards"]["rf"]
    assert [band["return_period"] for band in hazard["bands"]] == [10.0, 100.0]  # not 8, 64
    assert hazard["aad"] == pytest.approx(AAD)  # 63.4 with octal 8 and 64


def test_zero_padded_month_and_code_keep_their_meaning(case, tmp_path):
    folder, run = case
    _scenario(run, season={8: 1})
    run["mobility"] = {"seasonal": {"multipliers": {8: 2}}}
    text = _text(run).replace("8: 1", "08: 1").replace("8: 2", "08: 2")
    assert "08: 1" in text and "08: 2" in text
    result = run_country(write_run(folder, text), tmp_path / "out", with_map=False)
    assert result.summary["hazards"]["sc"]["displaced"] == pytest.approx(760 * 2)
    # a zone code written with leading zeros keeps them as text (growth, protection)
    run["futures"] = [{"id": "f", "population": {"growth": {"A": 1.5}}}]
    text = _text(run).replace("A: 1.5", "0101: 1.5")
    growth = load_config(write_run(folder, text)).data["futures"][0]["population"]["growth"]
    assert [str(code) for code in growth] == ["0101"]


@pytest.mark.parametrize(("key", "value"), [("yes", "true"), ("No", "false"), ("off", "false")])
def test_a_key_yaml_reads_as_true_or_false_is_refused(case, tmp_path, key, value, cli):
    folder, run = case
    text = re.sub(r"(?m)^(\s+)10: rp10", rf"\g<1>{key}: rp10", _text(run))
    number = next(n for n, line in enumerate(text.splitlines(), 1) if f"{key}: rp10" in line)
    line = expect_error(
        cli, write_run(folder, text), tmp_path / "out", 2, "run.yaml", f"line {number}"
    )
    assert f"the key {key} as {value}" in line and f"'{key}':" in line  # was a 1-year period


def test_a_zone_code_yaml_reads_as_true_is_refused(case, tmp_path, cli):
    folder, run = case
    run["futures"] = [{"id": "f", "population": {"growth": {"A": 1.1, "B": 1.2}}}]
    text = _text(run).replace("B: 1.2", "ON: 1.2")  # Ontario's code
    line = expect_error(cli, write_run(folder, text), tmp_path / "out", 2, "run.yaml", "key ON")
    assert "'ON':" in line and "quotes" in line


def test_a_list_as_key_is_one_line(case, tmp_path, cli):
    folder, run = case
    text = "? [a, b]\n: 1\n" + _text(run)
    expect_error(cli, write_run(folder, text), tmp_path / "out", 2, "run.yaml", "line 1", "a list")


# ------------------------------------------------------------------- merge keys


def test_merge_keys_work_and_duplicates_are_still_refused(case, tmp_path):
    folder, run = case
    _scenario(run)
    run["hazards"].append({**run["hazards"][0], "id": "sc2"})
    text = _text(run).replace("  curve: flood_step_1m\n", "  curve: flood_step_1m\n", 1)
    text = text.replace(
        "- id: sc\n", "- id: sc\n  season: &months\n    1: 1\n    2: 1\n", 1
    ).replace("- id: sc2\n", "- id: sc2\n  season:\n    <<: *months\n    2: 3\n    3: 1\n", 1)
    config = load_config(write_run(folder, text))
    assert config.data["hazards"][1]["season"] == {1: 1, 2: 3, 3: 1}  # written after: wins
    assert config.data["hazards"][0]["season"] == {1: 1, 2: 1}
    twice = text.replace("    3: 1\n", "    3: 1\n    3: 2\n")
    with pytest.raises(ConfigError, match=r"key 3 appears twice \(lines \d+ and \d+\)"):
        load_config(write_run(folder, twice))


# --------------------------------------------------------------------- encodings


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_run_file_in_utf16_with_a_byte_order_mark_is_read(case, tmp_path, encoding):
    folder, run = case
    run["name"] = "Côte d'Essai"
    text = _text(run).replace("\n", "\r\n")
    bom = {"utf-16-be": "\ufeff"}.get(encoding, "")  # utf-16 and utf-32 write their own
    (folder / "run.yaml").write_bytes((bom + text).encode(encoding))
    config = load_config(folder / "run.yaml")
    assert config.name == "Côte d'Essai"
    result = run_country(folder / "run.yaml", tmp_path / "out", with_map=False)
    assert result.summary["hazards"]["rf"]["aad"] == pytest.approx(AAD)


def test_run_file_not_utf8_says_line_and_byte(case, tmp_path, cli):
    folder, run = case
    run["name"] = "Côte d'Essai"
    (folder / "run.yaml").write_bytes(_text(run).encode("cp1252"))
    line = expect_error(cli, folder / "run.yaml", tmp_path / "out", 1, "run.yaml", "not UTF-8 text")
    assert "byte 0xF4 on line 2" in line and "save it as UTF-8" in line
    assert "codec" not in line
    (folder / "run.yaml").write_bytes(_text(run).encode("utf-16-le"))  # no byte-order mark
    with pytest.raises(InputFileError, match="NUL bytes.*save it as UTF-8"):
        load_config(folder / "run.yaml")


# ------------------------------------------------------------ numbers and bounds


@pytest.mark.parametrize(
    ("change", "needles"),
    [
        (
            lambda r: r["hazards"][0].update(exposure_threshold=".nan"),
            ("exposure_threshold", ".nan"),
        ),
        (
            lambda r: r["hazards"][0].update(exposure_threshold=".inf"),
            ("exposure_threshold", ".inf"),
        ),
        (lambda r: r["population"].update(scale_to={"total": ".inf"}), ("scale_to.total", ".inf")),
        (lambda r: r["hazards"][0].update(season={1: 1, 2: ".inf"}), ("season.2", ".inf")),
        (lambda r: r["population"].update(household_size="-.inf"), ("household_size", "-.inf")),
        (lambda r: r.update(mobility={"allocation": {"radius_km": ".inf"}}), ("radius_km",)),
        (lambda r: r["hazards"][0].update(protection_rp=".inf"), ("protection_rp", ".inf")),
    ],
    ids=["threshold-nan", "threshold-inf", "total", "season", "household", "radius", "protect"],
)
def test_non_finite_numbers_are_refused_naming_the_key(case, tmp_path, change, needles, cli):
    folder, run = case
    change(run)
    text = re.sub(r"'(-?\.(?:nan|inf))'", r"\1", _text(run))  # YAML's own non-finite floats
    line = expect_error(cli, write_run(folder, text), tmp_path / "out", 2, "run.yaml", *needles)
    assert "not a finite number" in line


@pytest.mark.parametrize(
    ("change", "needles"),
    [
        (lambda r: r["population"].update(scale_to={"total": 2e10}), ("scale_to.total", "> 0")),
        (lambda r: r["population"].update(household_size=0.5), ("household_size", "1 to 100")),
        (
            lambda r: r.update(mobility={"seasonal": {"multipliers": {3: 1.0e300}}}),
            ("seasonal.multipliers.3", "from 0 to 100", "1e+300"),
        ),
        (
            lambda r: r.update(mobility={"allocation": {"radius_km": 30000}}),
            ("allocation.radius_km", "20,015 km"),
        ),
        (lambda r: r["hazards"][0].update(connectivity=6), ("hazards[0].connectivity", "4 or 8")),
    ],
    ids=["world-population", "household", "multiplier", "radius", "connectivity"],
)
def test_implausible_numbers_are_refused_naming_the_key(case, tmp_path, change, needles, cli):
    folder, run = case
    change(run)
    expect_error(cli, write_run(folder, run), tmp_path / "out", 2, "run.yaml", *needles)


# -------------------------------------------------------------------------- dates


def _sites(folder, run, as_of=None, date="2026-05-01"):
    (folder / "sites.csv").write_text(
        f"site,lat,lon,individuals,date\nCamp,49.95,10.05,10,{date}\n", encoding="utf-8"
    )
    run["mobility"] = {"sites": {"path": "sites.csv", "in_population_grid": False}}
    if as_of is not None:
        run["mobility"]["sites"]["as_of"] = as_of
    return run


def test_as_of_written_as_a_yaml_date_is_a_date(case, tmp_path, cli):
    folder, run = case
    text = _text(_sites(folder, run)) + "    as_of: 2025-12-31\n"
    assert cli("validate", write_run(folder, text)).exit_code == 0
    run_country(folder / "run.yaml", tmp_path / "out", with_map=False)
    sites = (tmp_path / "out" / "sites.csv").read_text(encoding="utf-8-sig")
    assert "2025-12-31" in sites and "2026-05-01" not in sites


@pytest.mark.parametrize(
    ("as_of", "needles"),
    [
        ("01/02/2025", ("'01/02/2025'", "YYYY-MM-DD")),
        ("fin mai 2025", ("'fin mai 2025'", "YYYY-MM-DD")),
        ("2025-13-01", ("'2025-13-01'", "not a date", "month")),
    ],
)
def test_as_of_in_another_form_is_refused(case, tmp_path, as_of, needles, cli):
    folder, run = case
    expect_error(
        cli,
        write_run(folder, _sites(folder, run, as_of=as_of)),
        tmp_path / "out",
        2,
        "run.yaml.mobility.sites.as_of",
        *needles,
    )


def test_day_first_date_in_the_site_list_is_refused(case, tmp_path, cli):
    folder, run = case
    line = expect_error(
        cli,
        write_run(folder, _sites(folder, run, date="01/05/2026")),
        tmp_path / "out",
        1,
        "mobility.sites (sites.csv)",
        "column 'date'",
        "row 2",
        "'01/05/2026'",
    )
    assert "YYYY-MM-DD" in line


# ----------------------------------------------------------- futures[].population


@pytest.mark.parametrize(
    ("population", "needles"),
    [
        ({"growth": 1.2, "yaer": 2050}, ("futures[0].population", "'yaer'", "did you mean 'year'")),
        ({"growth": 1.2, "scale": 2}, ("futures[0].population", "'scale'", "growth")),
        ({"growth": 1.2, "path": "pop.tif"}, ("futures[0].population", "not both")),
        ({"growth": 1.2, "kind": "count"}, ("futures[0].population.kind", "path")),
        ({"year": 2050}, ("futures[0].population", "path", "growth")),
    ],
    ids=["misspelt", "unknown", "both", "kind-with-growth", "neither"],
)
def test_future_population_keys_are_checked(case, tmp_path, population, needles, cli):
    folder, run = case
    run["futures"] = [{"id": "f", "population": population}]
    expect_error(cli, write_run(folder, run), tmp_path / "out", 2, "run.yaml", *needles)


def test_misspelt_future_key_has_a_suggestion(case, tmp_path, cli):
    folder, run = case
    run["futures"] = [{"id": "f", "lable": "SSP2-4.5", "population": {"growth": 1.2}}]
    expect_error(
        cli,
        write_run(folder, run),
        tmp_path / "out",
        2,
        "run.yaml.futures[0]",
        "did you mean 'label'",
    )


# ---------------------------------------------------------------------- messages


def test_country_read_as_false_says_to_quote_it(case, tmp_path, cli):
    folder, run = case
    text = _text(run).replace("country: AAA", "country: NO")
    line = expect_error(cli, write_run(folder, text), tmp_path / "out", 2, "run.yaml.country")
    assert "got false" in line and "quotes" in line and "False" not in line


def test_date_as_period_is_shown_as_written(case, tmp_path, cli):
    folder, run = case
    text = _text(run).replace("curve: flood_step_1m", "curve: flood_step_1m\n  period: 2030-01-01")
    line = expect_error(cli, write_run(folder, text), tmp_path / "out", 2, "hazards[0].period")
    assert "the date 2030-01-01" in line and "datetime" not in line


def test_double_quoted_windows_path_is_one_line_naming_the_key(case, tmp_path, cli):
    folder, run = case
    text = _text(run).replace("path: pop.tif", 'path: "C:\\new\\table.tif"')
    line = expect_error(
        cli, write_run(folder, text), tmp_path / "out", 2, "run.yaml.population.path"
    )
    assert "line break" in line and "single quotes" in line


def test_list_instead_of_mapping_is_not_dumped(case, tmp_path, cli):
    folder, run = case
    run["mobility"] = [{"allocation": {"radius_km": 40, "exponent": 2, "cell_km": 5}}]
    line = expect_error(cli, write_run(folder, run), tmp_path / "out", 2, "run.yaml.mobility")
    assert "a list of 1 item(s)" in line and "radius_km" not in line


@pytest.mark.parametrize(
    ("mobility", "needles"),
    [
        (
            {"seasonal": {"multiplier": {3: 1.2}}},
            ("mobility.seasonal", "'multiplier'", "'multipliers'"),
        ),
        (
            {
                "day_night": {
                    "path": "od.csv",
                    "origin_column": "o",
                    "destination_column": "d",
                    "share_colum": "s",
                }
            },
            ("mobility.day_night", "'share_colum'", "did you mean 'share_column'"),
        ),
        (
            {"seasonal": {"multipliers": {3: 1.2}, "path": "m.csv"}},
            ("mobility.seasonal", "not both"),
        ),
    ],
    ids=["multiplier", "share_colum", "both"],
)
def test_misspelt_mobility_keys_have_a_suggestion(case, tmp_path, mobility, needles, cli):
    folder, run = case
    run["mobility"] = mobility
    expect_error(cli, write_run(folder, run), tmp_path / "out", 2, "run.yaml", *needles)


def test_misspelt_household_size_key_has_a_suggestion(case, tmp_path, cli):
    folder, run = case
    run["population"]["household_size"] = {
        "path": "hh.csv",
        "code_column": "code",
        "value_colum": "size",
    }
    expect_error(
        cli,
        write_run(folder, run),
        tmp_path / "out",
        2,
        "population.household_size",
        "did you mean 'value_column'",
    )
