"""Site lists off the grid and table codes of no unit: refused, not dropped without a word.

- A site list with latitude and longitude swapped, or none of whose sites lies on the
  grid, was run with a warning and added no one (sites.csv only a header, exit 0); now it
  is refused naming the file, the columns and the rows. Some sites outside: the warning
  names their rows.
- A census, official or seasonal code that is no unit at any level (a typo) was only
  warned about and its people or factors lost; now it is refused naming the file, the
  column, the code, its rows and the closest unit code. Codes of other levels (the
  country, a parent: a prefix of unit codes, another layer's unit) are still accepted.
- Every message numbers rows as the file does: "row N of the file (the header is row 1)".

The test grid (tests/_run_inputs.py) spans longitude 10.0-10.4, latitude 49.6-50.0.
"""

from __future__ import annotations

import json

import pandas as pd
import rasterio

from tests._errors import expect_error, one_error_line
from tests._run_inputs import basic_case, cell_box, cell_centre, write_run, write_zones

SITES_HEADER = (
    "Site name,Latitude,Longitude,Individuals\n#loc+name,#geo+lat,#geo+lon,#affected+ind\n"
)


def _sites_case(folder, rows: list[tuple]) -> dict:
    """basic_case with ``mobility.sites`` = sites.csv (an HXL row under the header:
    the first site is row 3 of the file)."""
    data = basic_case(folder)
    lines = "".join(f"{name},{lat},{lon},{people}\n" for name, lat, lon, people in rows)
    (folder / "sites.csv").write_text(SITES_HEADER + lines, encoding="utf-8")
    data["mobility"] = {"sites": {"path": "sites.csv", "in_population_grid": False}}
    return data


def test_swapped_site_coordinates_are_refused_naming_the_rows(cli, tmp_path):
    lon, lat = cell_centre(1, 1)
    folder = tmp_path / "case"
    folder.mkdir()
    # site 1 is right; sites 2 and 3 (rows 4 and 5 of the file) have the two swapped
    data = _sites_case(
        folder, [("Ok", lat, lon, 100), ("S2", lon, lat, 200), ("S3", 10.15, 49.95, 300)]
    )
    line = expect_error(cli, write_run(folder, data), tmp_path / "out", 1)
    assert line == (
        "error: run.yaml.mobility.sites (sites.csv): Latitude and Longitude look swapped in "
        "rows 4, 5 of the file (the header is row 1): 2 of the 2 site(s) outside the "
        "analysis grid lie on it with the two exchanged; put each site's latitude "
        "(north-south) in Latitude and its longitude in Longitude"
    )


def test_a_site_list_with_no_site_on_the_grid_is_refused(cli, tmp_path):
    folder = tmp_path / "case"
    folder.mkdir()
    data = _sites_case(folder, [("Far", -30.5, 120.25, 100), ("Farther", -31, 121, 200)])
    line = expect_error(cli, write_run(folder, data), tmp_path / "out", 1)
    assert line == (
        "error: run.yaml.mobility.sites (sites.csv): no site of the list lies on the analysis "
        "grid (latitude 49.6 to 50, longitude 10 to 10.4); e.g. rows 3, 4 of the file (the "
        "header is row 1): Latitude -30.5, Longitude 120.25; a site list that adds no one is "
        "a mistake: check the coordinates (WGS 84 degrees) or give the site list of the "
        "run's area"
    )


def test_sites_outside_the_grid_are_warned_of_by_their_rows(cli, tmp_path):
    lon, lat = cell_centre(1, 1)
    folder = tmp_path / "case"
    folder.mkdir()
    data = _sites_case(folder, [("In", lat, lon, 100), ("Far", -30.5, 120.25, 40)])
    run_file = write_run(folder, data)
    checked = cli("validate", run_file)
    assert checked.exit_code == 0, checked.output
    said = (
        "run.yaml.mobility.sites (sites.csv): 1 site(s) lie outside the analysis grid and "
        "are left out: row 4 of the file (the header is row 1); site(s) Far"
    )
    assert said in checked.output
    result = cli("run", run_file, "--out", tmp_path / "out", "--no-map")
    assert result.exit_code == 0, result.stderr
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert said in manifest["warnings"]
    assert manifest["parameters"]["exposure"]["sites"]["on_grid"] == 100.0
    sites = pd.read_csv(tmp_path / "out" / "sites.csv", encoding="utf-8-sig")
    assert len(sites) == 1


# ----------------------------------------------------------------- from-census


def _census_inputs(folder, rows: str):
    """boundaries.gpkg: layer regions (NORTH) and layer districts (N01 = columns 0-1, N02 =
    columns 2-3 of the test grid); census.csv with ``rows`` under its header."""
    folder.mkdir(exist_ok=True)
    gpkg = folder / "boundaries.gpkg"
    write_zones(gpkg, ["NORTH"], [cell_box(0, 0, rows=4, cols=4)], layer="regions")
    boxes = [cell_box(0, 0, rows=4, cols=2), cell_box(0, 2, rows=4, cols=2)]
    write_zones(gpkg, ["N01", "N02"], boxes, layer="districts")
    (folder / "census.csv").write_text("pcode,people\n" + rows, encoding="utf-8")
    return gpkg, folder / "census.csv"


def _from_census(cli, gpkg, table, out):
    return cli("population", "from-census", gpkg, table, "--layer", "districts",
               "--code-field", "code", "--table-code", "pcode", "--table-value", "people",
               "--resolution", "0.1", "--out", out)  # fmt: skip


def test_from_census_refuses_a_code_of_no_unit_and_writes_nothing(cli, tmp_path):
    rows = "N,1000\nNORTH,1000\nN01,600\nN02,400\nn02,7\nN002,1234\n"
    gpkg, table = _census_inputs(tmp_path / "in", rows)
    out = tmp_path / "pop.tif"
    line = one_error_line(_from_census(cli, gpkg, table, out), 1)
    assert line == (
        "error: census.csv: column pcode: 2 codes are no unit at any level of boundaries.gpkg "
        "(layer districts), nor a parent of one, nor the country: 'n02' in row 6 (did you "
        "mean 'N02'?), 'N002' in row 7 (did you mean 'N02'?); rows of the file, the header "
        "is row 1; correct the codes or remove the rows, else their figures are lost"
    )
    assert not out.exists() and list(tmp_path.glob(".pop.tif*")) == []


def test_from_census_keeps_codes_of_other_levels(cli, tmp_path):
    """N (a prefix of the districts' codes) and NORTH (a unit of the file's other
    layer) are rows of coarser levels: left out with a warning, as before."""
    gpkg, table = _census_inputs(tmp_path / "in", "N,1000\nNORTH,1000\nN01,600\nN02,400\n")
    out = tmp_path / "pop.tif"
    result = _from_census(cli, gpkg, table, out)
    assert result.exit_code == 0, result.output
    assert (
        "census.csv: 2 row(s) match no unit of boundaries.gpkg (codes of other levels); their "
        "2,000 people are not on the grid (N, NORTH)"
    ) in result.stderr
    with rasterio.open(out) as dataset:
        values = dataset.read(1)
    assert values.sum() == 1000.0
    assert values[:, :2].sum() == 600.0 and values[:, 2:].sum() == 400.0


def test_from_census_numbers_rows_as_the_file_does(cli, tmp_path):
    """A blank line counts: the negative count is on row 4 of the file (the census
    messages said "row 3": blank lines were skipped before numbering)."""
    gpkg, table = _census_inputs(tmp_path / "in", "N01,600\n\nN02,-400\n")
    line = one_error_line(_from_census(cli, gpkg, table, tmp_path / "pop.tif"), 1)
    assert line == (
        "error: " + str(table) + ": column people: row 4 of the file (the header is row 1): "
        "negative count"
    )


# ------------------------------------------------------- official and seasonal codes


def _zoned_case(folder) -> dict:
    """basic_case with zones X01 (columns 0-1) and X02 (columns 2-3), country AAA."""
    data = basic_case(folder)
    boxes = [cell_box(0, 0, rows=4, cols=2), cell_box(0, 2, rows=4, cols=2)]
    write_zones(folder / "zones.geojson", ["X01", "X02"], boxes)
    return data


def _with_official(folder, data, table: str) -> None:
    """``population.official`` read from census.csv (``code,people`` then ``table``)."""
    (folder / "census.csv").write_text("code,people\n" + table, encoding="utf-8")
    data["population"]["official"] = {
        "path": "census.csv",
        "code_column": "code",
        "value_column": "people",
    }


def test_an_official_code_of_no_unit_is_refused(cli, tmp_path):
    folder = tmp_path / "case"
    data = _zoned_case(folder)
    _with_official(folder, data, "AAA,1400\nX,1400\nX01,650\nX02,740\nX2,10\n")
    line = expect_error(cli, write_run(folder, data), tmp_path / "out", 1)
    assert line == (
        "error: run.yaml.population.official (census.csv).code: 'X2' in row 6 is no unit at "
        "any level of the run's zones, nor a parent of one, nor the country (did you mean "
        "'X02'?); rows of the file, the header is row 1; correct the code or remove the row, "
        "else its figures are lost"
    )


def test_official_codes_of_the_country_and_of_parents_are_kept(cli, tmp_path):
    folder = tmp_path / "case"
    data = _zoned_case(folder)
    _with_official(folder, data, "AAA,1400\nX,1400\nX01,650\nX02,740\n")
    result = cli("run", write_run(folder, data), "--out", tmp_path / "out", "--no-map")
    assert result.exit_code == 0, result.stderr
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    said = [w for w in manifest["warnings"] if "population.official" in w]
    assert said == [
        "run.yaml.population.official (census.csv).code: 1 zone code(s) are no unit of the "
        "run's zones and are ignored (e.g. X)"
    ]
    zones = pd.read_csv(tmp_path / "out" / "zones.csv", encoding="utf-8-sig")
    official = zones.drop_duplicates("zone_code").set_index("zone_code")["population_official"]
    assert official["X01"] == 650 and official["X02"] == 740


def _seasonal_case(folder, rows: str) -> dict:
    data = _zoned_case(folder)
    (folder / "seasonal.csv").write_text("code,month,factor\n" + rows, encoding="utf-8")
    data["hazards"][0]["season"] = {3: 1}
    data["mobility"] = {
        "seasonal": {
            "path": "seasonal.csv",
            "code_column": "code",
            "month_column": "month",
            "multiplier_column": "factor",
        }
    }
    return data


def test_a_seasonal_code_of_no_unit_is_refused(cli, tmp_path):
    folder = tmp_path / "case"
    rows = "X01,3,1.5\nx01,3,2\nx01,4,2\nAAA,3,1\n"
    data = _seasonal_case(folder, rows)
    line = expect_error(cli, write_run(folder, data), tmp_path / "out", 1)
    assert line == (
        "error: run.yaml.mobility.seasonal (seasonal.csv).code: 'x01' in rows 3, 4 is no unit "
        "at any level of the run's zones, nor a parent of one, nor the country (did you mean "
        "'X01'?); rows of the file, the header is row 1; correct the code or remove the row, "
        "else its figures are lost"
    )


def test_seasonal_codes_of_the_country_and_of_parents_are_ignored_as_before(cli, tmp_path):
    folder = tmp_path / "case"
    data = _seasonal_case(folder, "X01,3,1.5\nX0,3,2\nAAA,3,1\n")
    result = cli("run", write_run(folder, data), "--out", tmp_path / "out", "--no-map")
    assert result.exit_code == 0, result.stderr
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    said = [w for w in manifest["warnings"] if "mobility.seasonal" in w]
    assert said == [
        "run.yaml.mobility.seasonal (seasonal.csv).code: 2 zone code(s) are no unit of the "
        "run's zones and are ignored (e.g. AAA, X0)"
    ]
    zones = pd.read_csv(tmp_path / "out" / "zones.csv", encoding="utf-8-sig")
    presence = zones[zones["hazard_id"] == "rf"].set_index("zone_code")["presence_factor"]
    assert presence["X01"] == 1.5 and presence["X02"] == 1.0  # (X01's March factor)


def test_a_run_without_zones_still_warns_of_official_codes_below_the_country(cli, tmp_path):
    """Without zones the run cannot tell a typo from a province of a COD-PS table: the
    national row is used and the other rows are warned of, as before."""
    folder = tmp_path / "case"
    data = basic_case(folder)
    del data["zones"]
    _with_official(folder, data, "AAA,1400\nAAA01,700\n")
    result = cli("run", write_run(folder, data), "--out", tmp_path / "out", "--no-map")
    assert result.exit_code == 0, result.stderr
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert [w for w in manifest["warnings"] if "population.official" in w] == [
        "run.yaml.population.official (census.csv).code: 1 zone code(s) are no unit of the "
        "run's zones and are ignored (e.g. AAA01)"
    ]
    zones = pd.read_csv(tmp_path / "out" / "zones.csv", encoding="utf-8-sig")
    assert zones.set_index("zone_code").loc["AAA", "population_official"] == 1400


def test_codes_of_parents_and_sub_units_are_another_level_not_typos():
    """A COD-PS table of several levels: parents and sub-units of the units are warned
    about as before; only a code of no unit at any level is refused."""
    from exposure.census_codes import split_codes

    units = ["XMR0101", "XMR0102", "XMR0201"]
    other, none = split_codes(
        ["XMR01", "XMR", "XMR010104", "Total", "XMR9999", "XQZ0101"], units, also=["XMR"]
    )
    assert other == ["XMR01", "XMR", "XMR010104", "Total"]
    assert none == ["XMR9999", "XQZ0101"]
