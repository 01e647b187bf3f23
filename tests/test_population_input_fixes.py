"""Population inputs: what a file states about its values, and `mecc population from-census`
refusing grids that cannot hold its units.

- A population file that states its values (mecc's own "people per cell" tags, a GDAL band
  unit or description such as "persons per square kilometre") decides ``kind`` when the
  run file gives none; a run-file ``kind`` that contradicts it is refused (exit 2): a
  grid of people per cell read as people per km² was multiplied by the cell area.
- from-census refuses a ``--like`` grid holding none of the units (it wrote 0 people,
  exit 0), a ``--resolution`` larger than the units' extent (metres given for degrees: one
  cell 10,000 degrees wide), and an output whose folder is a file (an internal error).
- Its warning about units holding no cell centre says where a run puts their people:
  outside every unit, or in the unit holding their cell (it said "the neighbouring unit").
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyproj
import pytest
import rasterio
from affine import Affine
from shapely.geometry import box

from exposure.census import census_grid, write_census_population
from exposure.population import PopulationGrid
from mecc.errors import ConfigError, DataError, MeccWarning
from mecc.grid import GridSpec
from tests._run_inputs import POP, TRANSFORM, basic_case, write_run, write_zones
from tests.conftest import write_raster

TABLE = {"A": 1234.5, "B": 8765.25}  # people of zones A (columns 0-1) and B (columns 2-3)


def _census_case(folder: Path) -> dict:
    """basic_case with pop.tif written by `mecc population from-census` (mecc's own tags:
    unit=people, measure and band description "people per cell") on the case's grid."""
    spec = basic_case(folder)
    (folder / "census.csv").write_text(
        "code,people\n" + "".join(f"{c},{n}\n" for c, n in TABLE.items()), encoding="utf-8"
    )
    (folder / "pop.tif").unlink()
    write_raster(folder / "like.tif", np.zeros((4, 4)))
    write_census_population(
        folder / "zones.geojson",
        folder / "census.csv",
        folder / "pop.tif",
        code_field="code",
        table_code="code",
        table_value="people",
        like=folder / "like.tif",
    )
    return spec


def _error_lines(result) -> list[str]:
    return [line for line in result.output.splitlines() if line.startswith("error:")]


def _tagged(path, data, *, unit=None, description=None, **tags) -> Path:
    """A GeoTIFF on the 4 x 4 test grid stating its values as a GDAL band unit, a band
    description and/or file tags."""
    write_raster(path, data)
    with rasterio.open(path, "r+") as dataset:
        if unit is not None:
            dataset.units = (unit,)
        if description is not None:
            dataset.set_band_description(1, description)
        if tags:
            dataset.update_tags(**tags)
    return Path(path)


def _cell_areas_km2() -> np.ndarray:
    """Geodesic area of each 0.1° cell of the test grid (pyproj, independent of mecc)."""
    geod = pyproj.Geod(ellps="WGS84")
    areas = np.empty((4, 4))
    for row in range(4):
        for col in range(4):
            x0, y1 = TRANSFORM @ (col, row)
            x1, y0 = TRANSFORM @ (col + 1, row + 1)
            area, _ = geod.polygon_area_perimeter([x0, x1, x1, x0], [y0, y0, y1, y1])
            areas[row, col] = abs(area) / 1e6
    return areas


# ------------------------------------------------------------- 1. the file's stated kind


def test_density_on_a_from_census_grid_is_refused_naming_the_key_and_the_statement(tmp_path, cli):
    """The repro: kind: density on mecc's own people-per-cell grid ran, with every cell
    multiplied by its area (about 80 km² for 0.1° at 50° N): 10,000 people became ~800,000."""
    spec = _census_case(tmp_path)
    spec["population"]["kind"] = "density"
    run = write_run(tmp_path, spec)
    result = cli("run", run, "--out", tmp_path / "out")
    assert result.exit_code == 2, result.output
    (line,) = _error_lines(result)
    assert line.startswith("error: run.yaml.population.kind: the run file says kind: density")
    assert "'people per cell'" in line and "kind: count" in line
    assert not (tmp_path / "out").exists()


def test_count_on_a_from_census_grid_keeps_the_census_total(tmp_path, cli):
    spec = _census_case(tmp_path)
    run = write_run(tmp_path, spec)
    result = cli("run", run, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["population_total"] == pytest.approx(1234.5 + 8765.25, rel=1e-12)


def test_a_future_grid_kind_contradicting_its_file_is_refused(tmp_path, cli):
    """futures[].population.kind goes through the same check (the future grid here is the
    baseline's own from-census grid)."""
    spec = _census_case(tmp_path)
    spec["futures"] = [
        {"id": "later", "population": {"path": "pop.tif", "kind": "density", "year": 2050}}
    ]
    run = write_run(tmp_path, spec)
    result = cli("run", run, "--out", tmp_path / "out")
    assert result.exit_code == 2, result.output
    (line,) = _error_lines(result)
    assert "futures[0].population.kind: the run file says kind: density" in line
    assert "'people per cell'" in line


@pytest.mark.parametrize(
    ("statement", "stated"),
    [
        ({"unit": "people per km2"}, "density"),
        ({"description": "persons per square kilometre"}, "density"),
        ({"units": "Population density"}, "density"),
        ({"unit": "count"}, "count"),
        ({"description": "people per cell"}, "count"),
        ({"tags": {"unit": "people", "measure": "people per cell"}}, "count"),
        ({"units": "persons per cell"}, "count"),  # CLIMADA LitPop (austria_flood)
    ],
)
def test_a_kind_contradicting_the_file_is_refused(tmp_path, statement, stated):
    statement = dict(statement)
    tags = statement.pop("tags", {})
    path = _tagged(tmp_path / "pop.tif", POP, **statement, **tags)
    other = "count" if stated == "density" else "density"
    label = "run.yaml.population.path (pop.tif)"
    with pytest.raises(ConfigError) as caught:
        PopulationGrid(path, kind=other, label=label)
    message = str(caught.value)
    assert message.startswith(f"run.yaml.population.kind: the run file says kind: {other}")
    assert f"kind: {stated}" in message and "\n" not in message
    # the same statement with the agreeing kind, or no kind: the file's kind is used
    assert PopulationGrid(path, kind=stated, label=label).kind == stated
    assert PopulationGrid(path, kind=None, label=label).kind == stated


def test_without_kind_a_density_file_is_converted_with_cell_areas(tmp_path):
    """No kind in the run file, a file stating people per km² (GDAL band unit): read as a
    density, each cell's people = density x its geodesic area."""
    path = _tagged(tmp_path / "pop.tif", POP, unit="persons per km²")
    grid = GridSpec("EPSG:4326", TRANSFORM, 4, 4)
    population = PopulationGrid(path, kind=None, label="population.path (pop.tif)")
    report = population.prepare(grid)
    expected = POP * _cell_areas_km2()
    got = population.read(rasterio.windows.Window(0, 0, 4, 4))
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    assert report["total_native"] == pytest.approx(expected.sum(), rel=1e-6)


def test_a_file_without_a_statement_keeps_the_run_file_kind(tmp_path):
    path = write_raster(tmp_path / "pop.tif", POP)
    assert PopulationGrid(path, kind="density", label="p").kind == "density"
    assert PopulationGrid(path, kind=None, label="p").kind == "count"
    assert PopulationGrid(path, kind=None, label="p", default_kind="density").kind == "density"


def test_people_per_hectare_is_refused_whatever_the_kind(tmp_path):
    """Neither kind reads people per hectare right (density would be 100 x too small)."""
    path = _tagged(tmp_path / "pop.tif", POP, unit="people per hectare")
    with pytest.raises(ConfigError, match=r"^population\.kind: the run file says kind: density"):
        PopulationGrid(path, kind="density", label="population.path (pop.tif)")
    with pytest.raises(DataError, match="neither people per cell"):
        PopulationGrid(path, kind=None, label="population.path (pop.tif)")


# ------------------------------------------------------------------- 2.-5. from-census


def _from_census(cli, tmp_path, out, *grid_options):
    units = {"A": box(10.0, 49.6, 10.2, 50.0), "B": box(10.2, 49.6, 10.4, 50.0)}
    zones = write_zones(tmp_path / "units.geojson", list(units), list(units.values()))
    table = tmp_path / "census.csv"
    table.write_text("code,people\nA,6000\nB,4000\n", encoding="utf-8")
    return cli("population", "from-census", zones, table, "--out", out,
               "--code-field", "code", "--table-code", "code", "--table-value", "people",
               *grid_options)  # fmt: skip


def test_a_like_grid_holding_no_unit_is_refused(tmp_path, cli):
    """The units lie at 10-10.4° E, 49.6-50° N; the grid to copy far away (-25° E)."""
    like = write_raster(
        tmp_path / "far.tif", np.ones((3, 3)), transform=Affine(0.5, 0, -25.0, 0, -0.5, -19.0)
    )
    out = tmp_path / "pop.tif"
    result = _from_census(cli, tmp_path, out, "--like", like)
    assert result.exit_code == 1, result.output
    (line,) = _error_lines(result)
    assert "holds none of the units of units.geojson" in line
    assert "wrote" not in result.output
    assert not out.exists()


def test_a_resolution_larger_than_the_units_extent_is_refused(tmp_path, cli):
    """10,000 (metres meant) on units in degrees: it made one cell 10,000 degrees wide."""
    out = tmp_path / "pop.tif"
    result = _from_census(cli, tmp_path, out, "--resolution", "10000")
    assert result.exit_code == 2, result.output
    (line,) = _error_lines(result)
    assert line.startswith("error: resolution: 10000 is larger than the zones' extent")
    assert "degrees, EPSG:4326" in line
    assert not out.exists()
    with pytest.raises(ConfigError, match="metres"):
        census_grid((500_000, 0, 520_000, 10_000), 50_000, "EPSG:32633")
    # a resolution inside the extent is fine: 0.4 x 0.4 degrees in 0.2 degree cells
    assert census_grid((10.0, 49.6, 10.4, 50.0), 0.2, "EPSG:4326").shape == (2, 2)


def test_an_output_inside_a_file_is_refused_in_one_line(tmp_path, cli):
    afile = tmp_path / "afile.txt"
    afile.write_text("not a folder\n", encoding="utf-8")
    result = _from_census(cli, tmp_path, afile / "sub.tif", "--resolution", "0.1")
    assert result.exit_code == 1, result.output
    (line,) = _error_lines(result)
    assert line == f"error: {afile / 'sub.tif'}: {afile} is a file, not a folder"
    assert afile.read_text(encoding="utf-8") == "not a folder\n"


def test_the_no_cell_centre_warning_says_where_a_run_puts_those_people(tmp_path, cli):
    """On a 0.1° grid: BIG covers columns 0-1; ISLE, a small island at sea (column 3),
    and INNER, inside a cell of BIG, hold no cell centre. A run on the grid puts ISLE's
    77 people outside every unit and INNER's 5 in BIG, as the warning now says."""
    units = {
        "BIG": box(10.0, 49.6, 10.2, 50.0),
        "ISLE": box(10.31, 49.71, 10.33, 49.73),
        "INNER": box(10.01, 49.91, 10.02, 49.92),
    }
    zones = write_zones(tmp_path / "zones.geojson", list(units), list(units.values()))
    table = tmp_path / "census.csv"
    table.write_text("code,people\nBIG,1000\nISLE,77\nINNER,5\n", encoding="utf-8")
    write_raster(tmp_path / "like.tif", np.zeros((4, 4)))
    with pytest.warns(MeccWarning) as caught:
        write_census_population(
            zones, table, tmp_path / "pop.tif", code_field="code", table_code="code",
            table_value="people", like=tmp_path / "like.tif",
        )  # fmt: skip
    (note,) = [str(w.message) for w in caught if "hold no cell centre" in str(w.message)]
    assert "neighbouring unit" not in note
    assert "outside every unit (77 people of ISLE" in note
    assert "in the unit holding that cell (5 people: INNER in BIG)" in note
    # what a run on that grid does with them
    write_raster(tmp_path / "depth.tif", np.full((4, 4), 2.0))
    run = write_run(
        tmp_path,
        {
            "country": "AAA",
            "name": "Isles",
            "population": {"path": "pop.tif"},
            "zones": {"path": "zones.geojson", "code_field": "code", "level": 1},
            "hazards": [
                {"id": "f", "type": "river_flood", "intensity": "depth.tif", "scenario": "s",
                 "curve": "flood_step_1m"}
            ],
        },
    )  # fmt: skip
    result = cli("run", run, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["population_outside_zones"] == pytest.approx(77.0, rel=1e-12)
    assert summary["population_total"] == pytest.approx(1082.0, rel=1e-12)


def test_a_file_stating_both_kinds_needs_the_run_file_kind(tmp_path):
    """A band description "people per cell" with a units tag "people per km2": the run
    file's kind decides; without one the file is refused."""
    path = _tagged(tmp_path / "pop.tif", POP, description="people per cell", units="people/km2")
    with pytest.raises(DataError, match=r"which disagree; give population\.kind"):
        PopulationGrid(path, kind=None, label="population.path (pop.tif)")
    assert PopulationGrid(path, kind="density", label="population.path (pop.tif)").kind == (
        "density"
    )


def test_a_run_without_kind_reads_a_density_file_as_densities(tmp_path):
    """End to end: run file without ``kind``, a file stating persons per km²; the run's
    population is the densities times the cells' geodesic areas (it was read as counts)."""
    import json

    from mecc.run import run_country

    _tagged(tmp_path / "pop.tif", POP, unit="persons per km²")
    (tmp_path / "run.yaml").write_text(
        "country: XXK\npopulation: {path: pop.tif}\nhazards:\n  - id: h\n"
        "    type: river_flood\n    intensity: depth.tif\n    scenario: s\n"
        "    curve: flood_step_0.5m\n",
        encoding="utf-8",
    )
    write_raster(tmp_path / "depth.tif", np.full(POP.shape, 1.0), transform=TRANSFORM)
    out = run_country(tmp_path / "run.yaml", tmp_path / "out", with_map=False).out_dir
    summary = json.loads((out / "summary.json").read_text())
    expected = float((POP * _cell_areas_km2()).sum())
    assert summary["population_total"] == pytest.approx(expected, rel=1e-6)
    assert summary["hazards"]["h"]["displaced"] == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize(
    "text",
    [
        "persons per 1 km2 grid cell",  # a count on a 1 km grid: both kinds named, none sure
        "residential population count per cell (built-up density model)",
        "Population count adjusted to match UN density estimates",
    ],
)
def test_texts_that_mention_density_in_passing_do_not_make_a_count_a_density(tmp_path, text):
    """Read as a density these files' counts were multiplied by the cells' areas, and a
    run file's kind: count was refused (review)."""
    path = _tagged(tmp_path / "pop.tif", POP, description=text)
    assert PopulationGrid(path, kind=None, label="p").kind == "count"
    assert PopulationGrid(path, kind="count", label="p").kind == "count"
