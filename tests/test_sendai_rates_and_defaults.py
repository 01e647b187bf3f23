"""Per-100,000 rates whose grid and official populations differ, and the country-code row
of the cohort and household-size tables.

Numbers are worked out by hand on the 4 x 4 test grid (tests/_run_inputs.py)::

    population = 10  20  30  40      depth (m) = 0  0.5  1  2   (every row)
                 50  60  70  80
                 90 100 110 120
                130 140 150 160

Rates: zone A = columns 0-1 (600 people), zone B = columns 2-3 (760). The scenario (1 m
step curve) displaces everyone in B (760) and nobody in A.

Country rows: zone A = columns 0-1 (600 people), zone B = column 2 (30 + 70 + 110 + 150 =
360), column 3 (40 + 80 + 120 + 160 = 400) outside every unit.
"""

from __future__ import annotations

import json
import warnings

import pandas as pd
import pytest
import xarray as xr

from mecc.errors import DataError, MeccWarning
from mecc.run import run_country
from mecc.sendai_areas import MISMATCH_TOLERANCE, Area, rate_note, warn_population_mismatch
from tests._run_inputs import basic_case, cell_box, write_run, write_zones

ABOVE = "per_100k above 100,000"


def _scenario(folder) -> dict:
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


def _with_outside(folder) -> dict:
    """A = columns 0-1, B = column 2, column 3 outside every unit."""
    data = _scenario(folder)
    write_zones(
        folder / "zones.geojson",
        ["A", "B"],
        [cell_box(0, 0, rows=4, cols=2), cell_box(0, 2, rows=4, cols=1)],
    )
    data["zones"].pop("name_field", None)
    return data


def _table(folder, name: str, text: str, **columns) -> dict:
    (folder / name).write_text(text, encoding="utf-8")
    return {"path": name, "code_column": "code", **columns}


def _run(folder, data):
    return run_country(write_run(folder, data), folder / "out", with_map=False)


def _sendai(out) -> pd.DataFrame:
    table = pd.read_csv(
        out / "sendai.csv", encoding="utf-8-sig", keep_default_na=False, na_values=[""]
    )
    return table[table["breakdown"].isna()]


def _zones(out) -> pd.DataFrame:
    table = pd.read_csv(out / "zones.csv", encoding="utf-8-sig", dtype={"zone_code": str})
    return table.set_index("zone_code")


def _area(code, grid, denominator, official=True) -> Area:
    return Area(1, code, code, "", [0], denominator, "x", 2020, official=official, grid=grid)


# --- (a) the warning --------------------------------------------------------------------


def test_the_tolerance_is_ten_percent():
    assert MISMATCH_TOLERANCE == 0.10


def test_areas_within_the_tolerance_or_without_an_official_figure_do_not_warn():
    areas = [
        _area("A", 1090.0, 1000.0),  # +9 %
        _area("B", 910.0, 1000.0),  # -9 %
        _area("C", 5000.0, 5000.0, official=False),  # the grid's own figure
        _area("D", 0.0, 1000.0),  # no cell: reported by the run apart
    ]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert warn_population_mismatch(areas) == ""
    assert not [w for w in caught if issubclass(w.category, MeccWarning)]


def test_areas_beyond_the_tolerance_warn_with_count_codes_and_both_totals():
    areas = [
        _area("N", 1_712_541.0, 1_150_000.0),  # +48.9 %
        _area("P1", 1120.0, 1000.0),  # +12 %
        _area("P2", 880.0, 1000.0),  # -12 %
        _area("P3", 1050.0, 1000.0),  # +5 %: within
        _area("P4", 3000.0, 2000.0),  # +50 %
    ]
    with pytest.warns(MeccWarning, match="population.official") as caught:
        message = warn_population_mismatch(areas)
    assert str(caught[0].message) == message
    assert "more than 10%" in message
    assert "in 4 area(s)" in message
    assert "N: 1,712,541 on the grid, 1,150,000 official (+49%)" in message
    assert "P1: 1,120 on the grid, 1,000 official (+12%)" in message
    assert "P2: 880 on the grid, 1,000 official (-12%)" in message
    assert "and 1 more" in message  # P4, beyond the first three
    assert "P3" not in message


# --- (b) rates above 100,000 ------------------------------------------------------------


def test_rate_note_names_both_totals_when_the_grid_exceeds_the_official_figure():
    note = rate_note(_area("B", 760.0, 500.0))
    assert note.startswith(ABOVE)
    assert "760 in this area" in note and "(500)" in note
    # a grid denominator (or a grid below the official figure): people counted twice
    assert "more than once" in rate_note(_area("B", 760.0, 760.0, official=False))
    assert "more than once" in rate_note(_area("B", 400.0, 500.0))


def test_a_run_warns_of_grid_and_official_totals_and_notes_rates_above_100k(tmp_path):
    """Official A = 600 (the grid's), B = 500 (the grid 760: +52 %); the nation 1,100
    official (the sum of A and B) against 1,360 on the grid (+23.6 %). B's D1 = 760 x
    100,000 / 500 = 152,000 per 100,000, kept and noted; the nation's 760 x 100,000 /
    1,100 = 69,090.9 and A's 0 are not noted."""
    data = _scenario(tmp_path)
    data["population"]["official"] = _table(
        tmp_path, "official.csv", "code,people\nA,600\nB,500\n", value_column="people"
    )
    result = _run(tmp_path, data)
    out = tmp_path / "out"
    said = [w for w in result.warnings if w.startswith("population.official")]
    assert len(said) == 1, result.warnings
    assert "in 2 area(s)" in said[0]
    assert "AAA: 1,360 on the grid, 1,100 official (+24%)" in said[0]
    assert "B: 760 on the grid, 500 official (+52%)" in said[0]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert said[0] in manifest["warnings"]
    sendai = _sendai(out)
    d1 = sendai[sendai["indicator_code"] == "AAA-D1"].set_index("admin_code")
    assert d1.loc["B", "per_100k"] == pytest.approx(760 * 1e5 / 500)  # not capped
    assert ABOVE in d1.loc["B", "notes"]
    assert "760 in this area" in d1.loc["B", "notes"]
    assert "official residents (500)" in d1.loc["B", "notes"]
    assert d1.loc["AAA", "per_100k"] == pytest.approx(760 * 1e5 / 1100)
    for code in ("AAA", "A"):
        assert ABOVE not in str(d1.loc[code, "notes"])
    # every row above 100,000 is noted, and only those
    rated = sendai.dropna(subset=["per_100k"])
    noted = rated["notes"].fillna("").str.contains(ABOVE, regex=False)
    assert (noted == (rated["per_100k"] > 1e5)).all()
    about = pd.read_excel(out / "sendai.xlsx", sheet_name="About", header=None)
    text = " ".join(about.astype(str).to_numpy().ravel())
    assert "differ by more than 10%" in text


def test_official_figures_within_the_tolerance_do_not_warn(tmp_path):
    """A 600 on the grid against 570 official (+5.3 %), B 760 against 800 (-5 %)."""
    data = _scenario(tmp_path)
    data["population"]["official"] = _table(
        tmp_path, "official.csv", "code,people\nA,570\nB,800\n", value_column="people"
    )
    result = _run(tmp_path, data)
    assert not [w for w in result.warnings if "population.official" in w], result.warnings


def test_the_demo_does_not_warn_of_its_official_figures(demo_folder):
    manifest = json.loads((demo_folder / "run" / "manifest.json").read_text(encoding="utf-8"))
    assert not [w for w in manifest["warnings"] if w.startswith("population.official")]
    # its grid and census differ by at most 8.5 % per unit (zones.csv), under 10 %
    zones = pd.read_csv(demo_folder / "run" / "zones.csv", encoding="utf-8-sig")
    zones = zones.dropna(subset=["population_official"]).drop_duplicates("zone_code")
    ratio = zones["population"] / zones["population_official"]
    assert (ratio - 1).abs().max() < MISMATCH_TOLERANCE


# --- country rows of the cohort and household-size tables -------------------------------


def test_a_cohort_tables_country_row_is_every_units_default_and_the_outsides(tmp_path):
    """A 0.6 / 0.4, the country row 0.5 / 0.5: B's 360 people and the 400 outside split
    half and half (the units' mean would give the outside (0.6 x 600 + 0.5 x 360) / 960
    = 0.5625 girls, 225)."""
    data = _with_outside(tmp_path)
    data["population"]["cohorts"] = _table(
        tmp_path, "c.csv", "code,girls,boys\nA,0.6,0.4\nAAA,0.5,0.5\n", columns=["girls", "boys"]
    )
    result = _run(tmp_path, data)
    assert not [w for w in result.warnings if "ignored" in w], result.warnings
    out = tmp_path / "out"
    groups = pd.read_csv(
        out / "zones_disaggregated.csv", encoding="utf-8-sig", dtype={"zone_code": str}
    ).set_index(["zone_code", "group"])
    population = groups[groups["hazard_id"] == "sc"]["population"]
    assert population[("A", "girls")] == pytest.approx(0.6 * 600)
    assert population[("B", "girls")] == pytest.approx(0.5 * 360)
    assert population[("B", "boys")] == pytest.approx(0.5 * 360)
    assert population[("__outside__", "girls")] == pytest.approx(0.5 * 400)
    with xr.open_dataset(out / "results.nc", engine="netcdf4", group="disaggregated") as ds:
        basis = dict(zip(ds["group"].values, ds["outside_share"].values, strict=True))
    assert basis["girls"] == "country" and basis["boys"] == "country"


def test_a_cohort_table_without_a_units_row_names_the_country_row(tmp_path):
    data = _with_outside(tmp_path)
    data["population"]["cohorts"] = _table(
        tmp_path, "c.csv", "code,girls,boys\nA,0.6,0.4\n", columns=["girls", "boys"]
    )
    with pytest.raises(DataError) as error:
        _run(tmp_path, data)
    message = str(error.value)
    assert "population.cohorts (c.csv)" in message
    assert "no cohort shares for zone B" in message
    assert "national code AAA" in message


def test_a_household_tables_country_row_is_every_units_default_and_the_outsides(tmp_path):
    """A 5 a household, the country row 4: B 360 / 4 = 90 households, the outside
    400 / 4 = 100 (before: the country row ignored, B and the outside at the mean 5:
    72 and 80)."""
    data = _with_outside(tmp_path)
    data["population"]["household_size"] = _table(
        tmp_path, "hh.csv", "code,size\nA,5\nAAA,4\n", value_column="size"
    )
    result = _run(tmp_path, data)
    assert not [w for w in result.warnings if "ignored" in w], result.warnings
    zones = _zones(tmp_path / "out")
    assert zones.loc["A", "households"] == pytest.approx(600 / 5)
    assert zones.loc["B", "households"] == pytest.approx(360 / 4)
    assert zones.loc["__outside__", "households"] == pytest.approx(400 / 4)


def test_the_outside_keeps_the_country_rows_size_instead_of_the_mean(tmp_path):
    """A 5, B 4, the country row 3: the outside's 400 people are 400 / 3 = 133.3
    households, not 400 / (960 / 210) = 87.5 at the units' mean; the Sendai About sheet
    says so."""
    data = _with_outside(tmp_path)
    data["population"]["household_size"] = _table(
        tmp_path, "hh.csv", "code,size\nA,5\nB,4\nAAA,3\n", value_column="size"
    )
    _run(tmp_path, data)
    out = tmp_path / "out"
    zones = _zones(out)
    assert zones.loc["A", "households"] == pytest.approx(120)
    assert zones.loc["B", "households"] == pytest.approx(90)
    assert zones.loc["__outside__", "households"] == pytest.approx(400 / 3)
    with xr.open_dataset(out / "results.nc", engine="netcdf4", group="sendai") as store:
        households = dict(zip(store["zone"].values, store["households"].values, strict=True))
        meta = json.loads(store.attrs["metadata"])
    assert households["__outside__"] == pytest.approx(400 / 3)
    assert meta["household_size"]["outside"] == "country"
    assert meta["household_size"]["national_mean"] == pytest.approx(960 / 210)
    about = pd.read_excel(out / "sendai.xlsx", sheet_name="About", header=None)
    size = about[about[0] == "Household size"].iloc[0, 1]
    assert "row with the country code" in size and "so does the outside" not in size


def test_tiny_differences_are_not_named_and_small_counts_keep_a_decimal():
    """A unit of 2 official people with 2.3 on the grid is +15 % but 0.3 people: noise, not
    named (fewer than MISMATCH_PEOPLE); one of 50 official with 62.5 on the grid is."""
    import warnings

    from mecc.sendai_areas import MISMATCH_PEOPLE, Area, warn_population_mismatch

    def area(code, grid, official):
        return Area(1, code, code, "", [0], official, "official", 2020, official=True, grid=grid)

    assert MISMATCH_PEOPLE == 10.0
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        assert warn_population_mismatch([area("T", 2.3, 2.0)]) == ""
        message = warn_population_mismatch([area("T", 2.3, 2.0), area("S", 62.5, 50.0)])
    assert "in 1 area(s) (S: 62.5 on the grid, 50.0 official (+25%))" in message
