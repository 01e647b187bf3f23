"""Mobility inputs a user gets slightly wrong, and the per-site rule of displacement sites.

- ``mobility.sites`` with ``in_population_grid: true`` decides site by site: a site with
  an origin code is moved from that zone, a site without one is already in the grid and
  only labelled; nobody is added (a list where only some sites give an origin used to
  add the others on top of the grid);
- an impossible date anywhere in the run file (``as_of: 2026-02-30``, which YAML 1.1
  takes for a date) is one line naming the file, line and key, not an internal error;
- a blank code in the seasonal or day/night table, a blank Individuals cell in a site
  list and conflicting duplicates (a zone and month twice; an origin-destination pair
  twice) are refused in one line naming the file, the column or code and the rows.

Numbers are worked out by hand on the 4 x 4 test grid (tests/_run_inputs.py):

    population = 10  20  30  40      depth (m) = 0  0.5  1  2   (every row)
                 50  60  70  80
                 90 100 110 120
                130 140 150 160

Zone A = columns 0-1 (600 people), zone B = columns 2-3 (760 people). The scenario (the
100-year depth, 1 m step curve) displaces everyone in B.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

from mecc.config import load_config
from mecc.errors import ConfigError
from mecc.run import run_country
from mecc.run_yaml import RunFileLoader
from tests._errors import expect_error
from tests._run_inputs import basic_case, cell_centre, write_run

POP_A, POP_B = 600.0, 760.0


def _scenario_case(folder) -> dict:
    data = basic_case(folder)
    data["hazards"] = [
        {
            "id": "sc",
            "type": "river_flood",
            "intensity": "rp100.tif",
            "scenario": "test flood",
            "curve": "flood_step_1m",
        }
    ]
    return data


def _site_list(folder, rows, name="sites.csv"):
    """A DTM-style site list with HXL tags and an origin column (``#adm2+code+origin``),
    as IOM publishes them: ``rows`` are ``(name, (row, col), individuals, origin)``."""
    lines = [
        "Site name,Latitude,Longitude,Individuals,Origin pcode",
        "#loc+name,#geo+lat,#geo+lon,#affected+ind,#adm2+code+origin",
    ]
    for site, (row, col), people, origin in rows:
        lon, lat = cell_centre(row, col)
        lines.append(f"{site},{lat},{lon},{people},{origin}")
    (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")


def _zones(out) -> pd.DataFrame:
    zones = pd.read_csv(out / "zones.csv", encoding="utf-8-sig", dtype={"zone_code": str})
    return zones[zones["hazard_id"] == "sc"].set_index("zone_code")


# ------------------------------------------------------------ sites: the rule is per site

MIXED = [
    ("moved camp", (0, 0), 100, "B"),  # from B (wet) to a dry cell of A (10 people)
    ("camp in place", (1, 3), 30, ""),  # already counted in B's cell (1, 3) (80 people)
]


def test_sites_with_and_without_origin_are_moved_or_labelled_never_added(tmp_path):
    data = _scenario_case(tmp_path)
    _site_list(tmp_path, MIXED)
    data["mobility"] = {"sites": {"path": "sites.csv", "in_population_grid": True}}
    result = run_country(write_run(tmp_path, data), tmp_path / "out", with_map=False)
    # the grid already counts everyone: the total stays the grid's 1,360 (not 1,390)
    assert result.summary["population_total"] == pytest.approx(POP_A + POP_B)
    zones = _zones(tmp_path / "out")
    assert zones.loc["A", "population"] == pytest.approx(POP_A + 100)  # the moved camp
    assert zones.loc["B", "population"] == pytest.approx(POP_B - 100)  # the camp in place stays
    assert zones.loc["B", "displaced"] == pytest.approx(POP_B - 100)
    in_sites = result.summary["exposure"]["groups"]["sc"]["in_sites"]
    # both camps are labelled: 100 in cell (0, 0) (dry), 30 in cell (1, 3) (displaced)
    assert in_sites == {"population": pytest.approx(130), "displaced": pytest.approx(30)}
    sites = result.summary["exposure"]["sites"]
    assert sites["mode"] == "per site"
    assert sites["sites_per_mode"] == {"moved from origin": 1, "already in the grid": 1}
    assert not any("not in the population grid" in w for w in result.warnings)
    table = pd.read_csv(tmp_path / "out" / "sites.csv", encoding="utf-8-sig").set_index("site_name")
    assert table.loc["camp in place", "sc_displaced"] == pytest.approx(30)
    assert table.loc["moved camp", "sc_displaced"] == pytest.approx(0)


def test_the_same_list_not_in_the_grid_is_added_whatever_the_origins(tmp_path):
    data = _scenario_case(tmp_path)
    _site_list(tmp_path, MIXED)
    data["mobility"] = {"sites": {"path": "sites.csv", "in_population_grid": False}}
    result = run_country(write_run(tmp_path, data), tmp_path / "out", with_map=False)
    assert result.summary["population_total"] == pytest.approx(POP_A + POP_B + 130)
    zones = _zones(tmp_path / "out")
    assert zones.loc["A", "population"] == pytest.approx(POP_A + 100)
    assert zones.loc["B", "population"] == pytest.approx(POP_B + 30)  # nothing taken from B
    assert result.summary["exposure"]["sites"]["mode"] == "added"


def test_a_list_without_origins_in_the_grid_adds_nobody(tmp_path):
    data = _scenario_case(tmp_path)
    _site_list(tmp_path, [("a", (0, 0), 5, ""), ("b", (2, 2), 40, "")])
    data["mobility"] = {"sites": {"path": "sites.csv", "in_population_grid": True}}
    result = run_country(write_run(tmp_path, data), tmp_path / "out", with_map=False)
    assert result.summary["population_total"] == pytest.approx(POP_A + POP_B)
    assert result.summary["exposure"]["sites"]["mode"] == "already in the grid"
    in_sites = result.summary["exposure"]["groups"]["sc"]["in_sites"]
    assert in_sites == {"population": pytest.approx(45), "displaced": pytest.approx(40)}


# ------------------------------------------------------------ impossible dates in the run file


def _sites_run(folder) -> dict:
    data = basic_case(folder)
    _site_list(folder, [("camp", (0, 0), 10, "")])
    data["mobility"] = {"sites": {"path": "sites.csv", "in_population_grid": False}}
    return data


def test_an_impossible_date_is_one_line_naming_file_line_and_key(tmp_path, cli):
    folder = tmp_path / "case"
    folder.mkdir()
    text = yaml.safe_dump(_sites_run(folder), sort_keys=False) + "    as_of: 2026-02-30\n"
    line_number = text.splitlines().index("    as_of: 2026-02-30") + 1
    expect_error(
        cli,
        write_run(folder, text),
        tmp_path / "out",
        2,
        f"run.yaml: line {line_number}: mobility.sites.as_of: 2026-02-30 is not a date",
        "day is out of range for month",
    )


def test_an_impossible_date_in_a_list_names_its_place(tmp_path):
    folder = tmp_path / "case"
    folder.mkdir()
    data = basic_case(folder)
    text = yaml.safe_dump(data, sort_keys=False).replace(
        "  curve: flood_step_1m\n", "  curve: flood_step_1m\n  period: 2026-04-31\n"
    )
    with pytest.raises(ConfigError, match=r"run\.yaml: line \d+: hazards\[0\]\.period: "):
        load_config(write_run(folder, text))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a:\n  b: 2026-02-30\n", "line 2: a.b: 2026-02-30 is not a date"),
        ("a:\n  - x: 1\n  - x: 2026-13-01\n", "line 3: a[1].x: 2026-13-01 is not a date"),
        ("a:\n  2026-02-30: 1\n", "line 2: a: the key 2026-02-30 is not a date"),
        ("d: &d\n  at: 2025-02-29\ne:\n  <<: *d\n", "line 2: d.at: 2025-02-29 is not a date"),
        ("a: 2026-01-01 25:00:00\n", "line 1: a: 2026-01-01 25:00:00 is not a date and time"),
        ("a: !!float abc\n", "line 1: a: abc cannot be read as float"),
    ],
)
def test_run_file_loader_names_what_yaml_cannot_make(text, message):
    with pytest.raises(ConfigError) as refused:
        yaml.load(text, Loader=RunFileLoader)
    assert str(refused.value).startswith(message), str(refused.value)
    assert yaml.load("a: 2024-02-29\n", Loader=RunFileLoader)["a"].isoformat() == "2024-02-29"


# ------------------------------------------------------------ blank codes and cells


def _day_night(data, rows: str) -> dict:
    (data["_folder"] / "od.csv").write_text("from,to,share\n" + rows, encoding="utf-8")
    data.pop("_folder")
    data["mobility"] = {
        "day_night": {
            "path": "od.csv",
            "origin_column": "from",
            "destination_column": "to",
            "share_column": "share",
        }
    }
    return data


def _seasonal(data, rows: str) -> dict:
    (data["_folder"] / "months.csv").write_text("code,month,factor\n" + rows, encoding="utf-8")
    data.pop("_folder")
    data["hazards"][0]["season"] = {6: 1}
    data["mobility"] = {
        "seasonal": {
            "path": "months.csv",
            "code_column": "code",
            "month_column": "month",
            "multiplier_column": "factor",
        }
    }
    return data


@pytest.mark.parametrize(
    ("build", "rows", "needles"),
    [
        (_day_night, "A,B,0.2\nB,,0.1\n", ("(od.csv).to:", "data row 2 has no zone code")),
        (_day_night, ",B,0.2\n", ("(od.csv).from:", "data row 1 has no zone code")),
        (_seasonal, ",6,2\nA,6,2\n", ("(months.csv).code:", "data row 1 has no zone code")),
        (
            _seasonal,
            "B,6,2\nA,6,1\nB,6,0.5\n",
            ("(months.csv)", "zone B, month 6", "conflicting", "rows 1 and 3", "2, 0.5"),
        ),
        (
            _day_night,
            "A,B,0.2\nB,A,0.1\nA,B,0.2\n",
            ("(od.csv)", "origin A, destination B", "rows 1 and 3", "each pair once"),
        ),
        (
            _day_night,
            "A,B,0.2\nA,B,0.3\n",
            ("(od.csv)", "origin A, destination B", "rows 1 and 2", "0.2, 0.3"),
        ),
    ],
)
def test_blank_codes_and_duplicates_in_zone_tables_are_one_line(
    tmp_path, cli, build, rows, needles
):
    folder = tmp_path / "case"
    data = _scenario_case(folder)
    data["_folder"] = folder
    expect_error(cli, write_run(folder, build(data, rows)), tmp_path / "out", 1, *needles)


def test_the_same_multiplier_twice_is_taken_once(tmp_path):
    data = _scenario_case(tmp_path)
    data["_folder"] = tmp_path
    result = run_country(
        write_run(tmp_path, _seasonal(data, "B,6,2\nB,6,2\n")), tmp_path / "out", with_map=False
    )
    assert result.summary["hazards"]["sc"]["displaced"] == pytest.approx(2 * POP_B)


def test_a_site_without_individuals_is_refused_naming_column_and_row(tmp_path, cli):
    folder = tmp_path / "case"
    data = _scenario_case(folder)
    _site_list(folder, [("a", (0, 0), 10, ""), ("b", (1, 1), "", ""), ("c", (2, 2), 0, "")])
    data["mobility"] = {"sites": {"path": "sites.csv", "in_population_grid": False}}
    # row 4 of the file: header, HXL row, a, b
    expect_error(
        cli,
        write_run(folder, data),
        tmp_path / "out",
        1,
        "mobility.sites (sites.csv)",
        "column 'Individuals'",
        "row 4 is empty",
    )


def test_a_site_with_zero_individuals_is_read(tmp_path):
    data = _scenario_case(tmp_path)
    _site_list(tmp_path, [("a", (0, 3), 10, ""), ("empty", (1, 3), 0, "")])
    data["mobility"] = {"sites": {"path": "sites.csv", "in_population_grid": False}}
    run_country(write_run(tmp_path, data), tmp_path / "out", with_map=False)
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8-sig"))
    assert summary["population_total"] == pytest.approx(POP_A + POP_B + 10)
