"""A unit that received no cell of the analysis grid: its figures are not known (blank,
NaN), never 0, in every table; the units above it add the units that have cells.

One small run (tests/_run_inputs.py, 4 x 4 cells, people = POP x 100) with two levels:
P (columns 0-1) and Q (columns 2-3) at level 1; A (rows 1-3, columns 0-1), B (columns
2-3) and C (a thin ring inside cell (0, 0), between cell centres: no cell) at level 2.
Cells (0, 0) and (0, 1) are in no level-2 unit (outside). Hazards with the 1 m step:

- ``rf``: return-period maps 10 / 100 years (depth 0, 0.5, 1, 2 m by column, x 0.5 / x 1);
- ``ev``: two events, 0.1 a year (that depth: columns 2-3 lose everyone) and 0.01 a year
  (twice it: columns 1-3). By hand: B = 0.11 x 76,000 = 8,360; A = 0.01 x (6,000 +
  10,000 + 14,000) = 300; outside = 0.01 x 2,000 = 20; the nation 8,680.

A future ``later`` doubles every cell's people.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from tests._run_inputs import (
    POP,
    basic_case,
    cell_box,
    write_run,
    write_zones,
    write_zones_with_a_ring_unit,
)
from tests.conftest import write_raster

PEOPLE = POP * 100
A_EV = 0.01 * PEOPLE[1:, 1].sum()  # 300 people a year
B_EV = 0.11 * PEOPLE[:, 2:].sum()  # 8,360
OUT_EV = 0.01 * PEOPLE[0, 1]  # 20
A_PEOPLE = PEOPLE[1:, :2].sum()  # 57,000
NO_CELLS = "received no cell of the analysis grid"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    import mecc.run as run_module

    base = tmp_path_factory.mktemp("no_cells")
    inputs = base / "inputs"
    data = basic_case(inputs)
    write_raster(inputs / "pop.tif", PEOPLE)
    write_raster(inputs / "pop2050.tif", PEOPLE * 2)
    data["zones"] = write_zones_with_a_ring_unit(inputs)
    data["hazards"].append(
        {
            "id": "ev",
            "type": "river_flood",
            "intensity": "ev.tif",
            "events": "events.csv",
            "curve": "flood_step_1m",
        }
    )
    data["futures"] = [{"id": "later", "population": {"path": "pop2050.tif", "year": 2050}}]
    run_module.run_country(write_run(inputs, data), base / "run", with_map=True)
    return base / "run"


def _csv(run_dir, name):
    return pd.read_csv(run_dir / name, encoding="utf-8-sig", dtype={"zone_code": str})


def test_the_run_lists_c_as_a_unit_without_cells(run_dir):
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["zones_without_cells"] == ["C"]


def test_zones_csv_leaves_c_blank_and_p_adds_a(run_dir):
    zones = _csv(run_dir, "zones.csv").set_index(["hazard_id", "zone_code"])
    c = zones.loc[("ev", "C")]
    figures = [k for k in zones.columns if k.startswith(("aad", "pmd_", "population"))]
    assert figures and c[figures].isna().all(), c[figures][c[figures].notna()]
    assert c["level"] == 2 and c["parent_code"] == "P"
    assert zones.loc[("rf", "C"), ["population", "aad", "pmd_100"]].isna().all()
    # the parent adds the units that have cells: A alone
    assert zones.loc[("ev", "P"), "population"] == pytest.approx(A_PEOPLE)
    assert zones.loc[("ev", "P"), "aad"] == pytest.approx(A_EV)
    assert zones.loc[("ev", "A"), "aad"] == pytest.approx(A_EV)
    assert zones.loc[("ev", "B"), "aad"] == pytest.approx(B_EV)


def test_zones_bands_and_exceedance_leave_c_blank(run_dir):
    bands = _csv(run_dir, "zones_bands.csv")
    c = bands[bands["zone_code"] == "C"]
    assert len(c) == 4  # 2 hazards x 2 bands, keys kept
    assert c[["exposed", "displaced", "no_hazard_data"]].isna().all().all()
    p = bands[(bands["zone_code"] == "P") & (bands["hazard_id"] == "ev")]
    assert p["displaced"].tolist() == pytest.approx([0.0, PEOPLE[1:, 1].sum()])
    curve = _csv(run_dir, "exceedance.csv")
    c = curve[curve["zone_code"] == "C"]
    assert len(c) and c["displaced"].isna().all() and c["return_period"].notna().all()


def test_results_nc_has_nan_for_c(run_dir):
    import xarray as xr

    with xr.open_dataset(run_dir / "results.nc") as data:
        assert int(data["cells"].sel(zone="C")) == 0
        for name in ("aad", "pmd", "displaced", "exposed"):
            assert np.isnan(data[name].sel(zone="C").values).all(), name
        assert float(data["aad"].sel(zone="A", hazard="ev", variant="central")) == A_EV


def test_sendai_rows_of_c_are_blank_with_the_reason(run_dir):
    table = pd.read_csv(run_dir / "sendai.csv", encoding="utf-8-sig")
    c = table[table["admin_code"] == "C"]
    assert len(c)
    assert c[["value_number", "low", "high", "per_100k"]].isna().all().all()
    assert c["notes"].str.contains("not known, not 0").all()
    assert c["notes"].str.contains(NO_CELLS).all()
    annual = table[(table["hazard_id"] == "ev") & (table["measure"] == "expected_annual")]
    d1 = annual[annual["indicator_code"].str.endswith("-D1")].set_index("admin_code")
    assert d1.loc["P", "value_number"] == pytest.approx(A_EV)
    assert d1.loc["AAA", "value_number"] == pytest.approx(A_EV + B_EV + OUT_EV)
    for area in ("P", "AAA"):
        assert "nothing added for C" in d1.loc[area, "notes"]
    assert "nothing added" not in str(d1.loc["Q", "notes"])
    sheet = pd.read_excel(run_dir / "sendai.xlsx", sheet_name="Admin 2", engine="openpyxl")
    c = sheet[sheet["admin_code"] == "C"]
    assert len(c) and c["value_number"].isna().all()
    assert c["notes"].str.contains("not known, not 0").all()


def test_futures_leave_c_blank_and_p_adds_a(run_dir):
    futures, attribution = _csv(run_dir, "futures.csv"), _csv(run_dir, "attribution.csv")
    c = futures[futures["zone_code"] == "C"]
    assert len(c) == 2
    assert c[["population_baseline", "baseline", "future", "change"]].isna().all().all()
    assert attribution[attribution["zone_code"] == "C"]["change_total"].isna().all()
    p = futures[(futures["zone_code"] == "P") & (futures["hazard_id"] == "ev")].iloc[0]
    assert p["baseline"] == pytest.approx(A_EV) and p["future"] == pytest.approx(2 * A_EV)
    assert p["population_future"] == pytest.approx(2 * A_PEOPLE)


def test_map_popup_of_c_says_not_known(run_dir):
    text = (run_dir / "map.html").read_text(encoding="utf-8")
    text = text.replace("\\u003c", "<").replace("\\u003e", ">").replace('\\"', '"')
    popups = re.findall(r"<h2>C</h2>.*?</div>", text, re.S)
    assert len(popups) >= 4  # per hazard: the baseline's and the future's
    for popup in popups:
        assert "Not known (not 0)" in popup and "not defined" not in popup


def test_consumers_read_the_blank_figures(run_dir, tmp_path):
    """needs, profiles and compare run on such a run and say "not known" for C."""
    from mecc.compare import compare_runs
    from mecc.needs import write_needs
    from mecc.profiles import build_profiles

    write_needs(run_dir, tmp_path / "needs")
    needs = pd.read_csv(tmp_path / "needs" / "needs.csv", encoding="utf-8-sig")
    c = needs[needs["zone_code"] == "C"]
    assert len(c) and c["amount"].isna().all()
    page = build_profiles(run_dir, zones=["C"])
    assert NO_CELLS in page and "not known" in page
    compare_runs(run_dir, run_dir, tmp_path / "compare")
    compared = pd.read_csv(tmp_path / "compare" / "compare.csv", encoding="utf-8-sig")
    rows = compared[compared["zone_code"] == "C"]
    assert len(rows) and rows["aad_change"].isna().all()


def test_no_cells_rows_lists_the_units_above():
    from mecc.national_rows import no_cells_rows

    codes = ["P", "Q", "A", "B", "C", "__outside__"]
    parents = ["", "", "P", "Q", "P", ""]
    unknown, below = no_cells_rows(codes, parents, [6, 8, 6, 8, 0, 0], "AAA")
    assert unknown == {"C"} and below == {"P": ["C"], "AAA": ["C"]}
    assert no_cells_rows(codes, parents, None, "AAA") == (set(), {})


def _districts_case(inputs, scenario=False) -> dict:
    """The districts A, B and C (no cell) alone at level 1, with people PEOPLE; the
    return-period maps, or (``scenario``) the 100-year map as a scenario ``sc``."""
    from tests.test_mobility import scenario_case

    data = scenario_case(inputs) if scenario else basic_case(inputs)
    write_raster(inputs / "pop.tif", PEOPLE)
    ring = cell_box(0, 0).buffer(-0.04).difference(cell_box(0, 0).buffer(-0.045))
    write_zones(
        inputs / "fine.gpkg",
        ["A", "B", "C"],
        [cell_box(1, 0, rows=3, cols=2), cell_box(0, 2, rows=4, cols=2), ring],
    )
    data["zones"] = {"path": "fine.gpkg", "code_field": "code", "level": 1}
    return data


def test_the_groups_rows_of_a_unit_without_cells_are_blank(tmp_path):
    """zones_disaggregated.csv (sex x age groups) gave the unit without a cell 0 people
    in every group; its rows are blank as in zones.csv, the others' as before."""
    from mecc.run import run_country

    inputs = tmp_path / "inputs"
    data = _districts_case(inputs)
    (inputs / "shares.csv").write_text(
        "pcode,female_0_14,female_15_64,female_65_plus,male_0_14,male_15_64,male_65_plus\n"
        "A,10,30,10,10,30,10\nB,10,30,10,10,30,10\nC,10,30,10,10,30,10\n",
        encoding="utf-8",
    )
    data["population"]["cohorts"] = {"path": "shares.csv", "code_column": "pcode"}
    run_country(write_run(inputs, data), tmp_path / "run", with_map=False)
    groups = _csv(tmp_path / "run", "zones_disaggregated.csv")
    figures = [c for c in groups.columns if c.startswith(("population", "aad"))]
    assert figures
    c_rows = groups[groups["zone_code"] == "C"]
    assert len(c_rows) and c_rows[figures].isna().all().all()
    a_rows = groups[(groups["zone_code"] == "A") & (groups["group"] == "female_15_64")]
    assert a_rows["population"].tolist() == pytest.approx([0.3 * A_PEOPLE] * len(a_rows))


def test_evaluate_leaves_a_unit_without_cells_out_of_the_statistics(tmp_path, cli):
    """evaluate scored C (no cell: not known) as modelled 0 and a miss; it is left out of
    the per-zone comparison with a note, and its observed people still count nationally."""
    from mecc.run import run_country

    inputs = tmp_path / "inputs"
    data = _districts_case(inputs, scenario=True)
    run_country(write_run(inputs, data), tmp_path / "run", with_map=False)
    (tmp_path / "obs.csv").write_text("zone_code,value\nA,500\nB,8000\nC,100\n", "utf-8")
    result = cli(
        *("evaluate", tmp_path / "run", "--observed", tmp_path / "obs.csv"),
        *("--out", tmp_path / "ev", "--hazard", "sc", "--threshold", "100"),
    )
    assert result.exit_code == 0, result.output
    rows = _csv(tmp_path / "ev", "evaluation.csv")
    assert rows["zone_code"].tolist() == ["A", "B"]
    # B: columns 2-3 at 1 m and 2 m all displaced (1 m step): 76,000 people
    assert rows.set_index("zone_code").loc["B", "modelled"] == PEOPLE[:, 2:].sum()
    assert "their modelled figures are not known, not 0" in result.output
    assert "2 observed zones" in result.output
