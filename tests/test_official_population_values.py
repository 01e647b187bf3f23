"""Official population figures as given: a 0 is a figure, a word in the column is quoted.

- An official 0 (``population.official``) is the unit's denominator: its per-100,000 rates
  are blank (not 0, not infinite) with a note in ``denominator_source``, the units above
  it sum it as 0, and both ``mecc validate`` and ``mecc run`` warn, naming the file, the
  code column, the zone and the people the grid holds there; the >10 % comparison names it.
- A cell that is not a number (``n/a``, which pandas reads as empty) is quoted as written
  with its file, column, row (header = row 1) and zone; exit 1 and nothing written.
- ``mecc population from-census`` says units without a cell get blank figures, not 0.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from exposure.census import write_census_population
from exposure.cohorts import read_zone_table
from mecc.errors import DataError, MeccWarning
from mecc.sendai_areas import ZERO_NOTE, areas, group_denominator, warn_population_mismatch
from tests._errors import expect_error
from tests._run_inputs import write_zones
from tests.conftest import write_raster

SOURCE = "Mareva census 2024 (fictional)"
# the demo's census figures of the units of province XMR01 other than XMR0101
XMR01_OTHERS = 137542.0 + 244673.0 + 110266.0
PROVINCES_02_03 = 407376.0 + 1240623.0
GRID_XMR0101 = "178,346"  # people the demo's grid holds in XMR0101


def _demo_with_census(demo_folder, tmp_path, edit) -> Path:
    """A copy of the demo's inputs whose census_population.csv lines pass ``edit``."""
    inputs = shutil.copytree(demo_folder / "inputs", tmp_path / "inputs")
    census = inputs / "census_population.csv"
    lines = census.read_text(encoding="utf-8").splitlines()
    census.write_text("\n".join(edit(lines)) + "\n", encoding="utf-8")
    return inputs / "run.yaml"


def _zero_xmr0101_no_parents(lines):
    """XMR0101 at 0; no row for the nation nor for its province XMR01 (both summed)."""
    out = []
    for line in lines:
        code = line.split(",")[0]
        if code in ("XMR", "XMR01"):
            continue
        out.append("XMR0101,0" if code == "XMR0101" else line)
    return out


def _warning_lines(text: str, start: str) -> list:
    return [line for line in text.splitlines() if start in line]


def test_an_official_zero_is_the_denominator_summed_up_and_warned_of(demo_folder, tmp_path, cli):
    run_file = _demo_with_census(demo_folder, tmp_path, _zero_xmr0101_no_parents)
    zero = (
        "run.yaml.population.official (census_population.csv).population: 1 unit(s) have an "
        f"official population of 0 (pcode XMR0101: 0, the grid holds {GRID_XMR0101} people "
        "there); 0 is kept as given"
    )
    checked = cli("validate", run_file)
    assert checked.exit_code == 0, checked.stderr
    assert "run.yaml: ready to run" in checked.stdout
    assert len(_warning_lines(checked.stdout, zero)) == 1, checked.stdout
    out = tmp_path / "out"
    result = cli("run", run_file, "--out", out, "--no-map")
    assert result.exit_code == 0, result.stderr
    assert len(_warning_lines(result.stderr, zero)) == 1, result.stderr
    (mismatch,) = _warning_lines(result.stderr, "population.official: the population on the")
    assert f"XMR0101: {GRID_XMR0101} on the grid, 0 official (rates blank)" in mismatch
    assert "in 3 area(s)" in mismatch

    table = pd.read_csv(out / "sendai.csv", keep_default_na=False, dtype={"per_100k": str})
    people = table[table["unit"].str.startswith("people")]
    unit = people[people["admin_code"] == "XMR0101"]
    assert len(unit) > 50  # totals and groups, every hazard and measure
    assert (unit["population_denominator"].astype(float) == 0.0).all()
    assert (unit["per_100k"] == "").all()  # blank: not 0, not inf
    assert unit["denominator_source"].str.startswith(f"official: {SOURCE}").all()
    assert unit["denominator_source"].str.endswith(ZERO_NOTE).all()
    assert (unit["value_number"].astype(float) > 0).any()  # people counted, rate undefined

    totals = people[(people["breakdown"] == "") & (people["indicator_code"] == "B-1")]
    province = totals[totals["admin_code"] == "XMR01"]
    nation = totals[totals["admin_code"] == "XMR"]
    assert len(province) and len(nation)
    assert (province["population_denominator"].astype(float) == XMR01_OTHERS).all()
    assert (
        province["denominator_source"] == f"official: {SOURCE} (sum of the 4 units below)"
    ).all()
    assert (nation["population_denominator"].astype(float) == XMR01_OTHERS + PROVINCES_02_03).all()
    assert (nation["denominator_source"] == f"official: {SOURCE} (sum of admin level 1)").all()
    rate = province["per_100k"].astype(float).to_numpy()
    expected = province["value_number"].astype(float).to_numpy() * 100_000 / XMR01_OTHERS
    np.testing.assert_allclose(rate, expected, rtol=1e-12)


def test_the_probe_case_warns_in_validate_with_the_census_parents_kept(demo_folder, tmp_path, cli):
    """The demo's census with only XMR0101 set to 0 (its province and nation given)."""
    run_file = _demo_with_census(
        demo_folder,
        tmp_path,
        lambda lines: ["XMR0101,0" if x.startswith("XMR0101,") else x for x in lines],
    )
    checked = cli("validate", run_file)
    assert checked.exit_code == 0, checked.stderr
    (line,) = _warning_lines(checked.stdout, "have an official population of 0")
    assert line.startswith(
        "  warning  run.yaml.population.official (census_population.csv).population: "
        f"1 unit(s) have an official population of 0 (pcode XMR0101: 0, the grid holds "
        f"{GRID_XMR0101} people there)"
    )


def _zones(official, population):
    """A province P (units A, B) under no nation row; returns the areas by code."""
    meta = {"country": "AAA", "name": "Aland", "official": {"source": "census"}}
    codes, names = ["P", "A", "B", "__outside__"], ["P", "A", "B", ""]
    levels, parents = [1, 2, 2, -1], ["", "P", "P", ""]
    found = areas(meta, np.array(official), codes, names, levels, parents, np.array(population))
    return {a.code: a for a in found}


def test_areas_keep_an_official_zero_and_sum_it():
    by_code = _zones([math.nan, 0.0, 40.0, math.nan], [100.0, 60.0, 40.0, 0.0])
    a, p, nation = by_code["A"], by_code["P"], by_code["AAA"]
    assert (a.denominator, a.official) == (0.0, True)
    assert a.denominator_source == f"official: census {ZERO_NOTE}"
    assert (p.denominator, p.denominator_source) == (
        40.0,
        "official: census (sum of the 2 units below)",
    )
    assert (nation.denominator, nation.official) == (40.0, True)
    value, source, _ = group_denominator(a, 30.0, 2025)
    assert value == 0.0
    assert source.startswith("official: census x the group's share") and source.endswith(ZERO_NOTE)
    with pytest.warns(MeccWarning) as caught:
        message = warn_population_mismatch([a, p])
    assert len(caught) == 1
    assert "in 2 area(s) (A: 60.0 on the grid, 0 official (rates blank); P: 100 on the grid, " in (
        message
    )


def test_n_a_in_the_official_column_is_quoted_with_its_row(demo_folder, tmp_path, cli):
    run_file = _demo_with_census(
        demo_folder,
        tmp_path,
        lambda lines: ["XMR0101,n/a" if x.startswith("XMR0101,") else x for x in lines],
    )
    line = expect_error(
        cli,
        run_file,
        tmp_path / "out",
        1,
        "error: run.yaml.population.official (census_population.csv).population: 'n/a' for "
        "zone XMR0101 (row 6 of the file; the header is row 1) is not a finite number >= 0",
    )
    assert "an empty cell" not in line


def test_haiyan_n_a_and_an_empty_cell_are_told_apart(shared_data, tmp_path):
    """The Haiyan census (population_2015.csv), with 'n/a' for Burgos (PH012806000, row
    7), then with that cell empty and a blank line above it (row 8 then)."""
    lines = (
        (shared_data / "philippines_haiyan" / "population_2015.csv")
        .read_text(encoding="utf-8-sig")
        .splitlines()
    )
    (row,) = [i for i, x in enumerate(lines) if x.startswith("PH012806000,")]
    assert row + 1 == 7
    label = "run.yaml.population.official (data/population_2015.csv)"
    path = tmp_path / "population_2015.csv"
    for cell, blank, shown, number in (("n/a", False, "'n/a'", 7), ("", True, "an empty cell", 8)):
        edited = list(lines)
        edited[row] = edited[row].rsplit(",", 1)[0] + "," + cell
        if blank:
            edited.insert(3, "")
        path.write_text("\n".join(edited) + "\n", encoding="utf-8")
        with pytest.raises(DataError) as caught:
            read_zone_table(path, "pcode", ["total_pop"], label)
        assert str(caught.value) == (
            f"{label}.total_pop: {shown} for zone PH012806000 (row {number} of the file; the "
            "header is row 1) is not a finite number >= 0"
        )


def test_from_census_says_units_without_a_cell_get_blank_figures(tmp_path):
    units = {"BIG": box(10.0, 49.6, 10.2, 50.0), "INNER": box(10.01, 49.91, 10.02, 49.92)}
    zones = write_zones(tmp_path / "zones.geojson", list(units), list(units.values()))
    table = tmp_path / "census.csv"
    table.write_text("code,people\nBIG,1000\nINNER,5\n", encoding="utf-8")
    write_raster(tmp_path / "like.tif", np.zeros((4, 4)))
    with pytest.warns(MeccWarning) as caught:
        write_census_population(
            zones, table, tmp_path / "pop.tif", code_field="code", table_code="code",
            table_value="people", like=tmp_path / "like.tif",
        )  # fmt: skip
    (note,) = [str(w.message) for w in caught if "hold no cell centre" in str(w.message)]
    assert "gives these units no cell (their figures blank: not known, not 0)" in note
    assert "figures are 0" not in note


def test_the_map_takes_an_official_zero_as_the_denominator():
    """As sendai.csv: the unit's per-100,000 layer value is blank, not a grid-based rate."""
    import pandas as pd

    from mecc.map_text import per_100k_denominator
    from mecc.sendai import per_100k

    rows = pd.DataFrame(
        {"population": [1000.0, 2000.0, 500.0], "population_official": [1200.0, 0.0, np.nan]}
    )
    denominator, source = per_100k_denominator(rows)
    np.testing.assert_array_equal(denominator, [1200.0, 0.0, 500.0])
    assert source == "mixed"
    rates = per_100k(np.array([12.0, 20.0, 5.0]), denominator)
    np.testing.assert_allclose(rates[[0, 2]], [1000.0, 1000.0])
    assert np.isnan(rates[1])
