"""`mecc init --name` round-trips any display name; `hazards[].nodata` declares a hazard
grid's undeclared nodata value (Aqueduct maps re-saved without one); `mecc validate` gives
the run's warnings on people without hazard data, in no unit, and return-period maps out
of order; a grid off the analysis grid is named as the run file names it; `mecc
population from-census` counts the units that received people."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine
from shapely.geometry import box

from mecc.config import load_config
from tests._run_inputs import write_run, write_zones

AQUEDUCT = Path("/work/shared/data/aqueduct_djibouti")
PERIODS = {10: "rp00010.tif", 100: "rp00100.tif", 1000: "rp01000.tif"}


# ------------------------------------------------------------------ mecc init --name


@pytest.mark.parametrize(
    "name",
    ["Djibouti: République", "Jabuuti #1", "Yes", "null", "1e3", 'Côte "d\'Ivoire" \\ x', "- a"],
)
def test_init_writes_any_name_so_it_reads_back_exactly(cli, tmp_path, name):
    result = cli("init", "--country", "dji", "--name", name, tmp_path / "d")
    assert result.exit_code == 0, result.output
    config = load_config(str(tmp_path / "d" / "dji.yaml"))
    assert config.data["name"] == name
    assert config.country == "DJI"


def test_init_refuses_a_name_with_a_line_break(cli, tmp_path):
    from click.testing import CliRunner

    from cli import main

    result = CliRunner().invoke(main, ["init", "--country", "DJI", "--name", "a\nb", str(tmp_path)])
    assert result.exit_code == 2
    assert "--name" in result.output and "line break" in result.output
    assert not (tmp_path / "dji.yaml").exists()


# ------------------------------------------------------------------ Aqueduct inputs


def _aqueduct(folder: Path, declared: bool = True, swap: bool = False) -> np.ndarray:
    """The three Djibouti Aqueduct maps in ``folder`` (nodata -9999 declared or written as
    plain numbers) and a population grid of one person per cell on their grid; returns
    the mask of the maps' nodata cells."""
    folder.mkdir(parents=True, exist_ok=True)
    for period, name in PERIODS.items():
        source = AQUEDUCT / PERIODS[{10: 100, 100: 10}.get(period, period) if swap else period]
        with rasterio.open(source) as src:
            profile, data = src.profile, src.read()
            missing = data[0] == src.nodata
        profile.update(nodata=-9999.0 if declared else None)
        with rasterio.open(folder / name, "w", **profile) as dst:
            dst.write(data)
    profile.update(nodata=None)
    with rasterio.open(folder / "population.tif", "w", **profile) as dst:
        dst.write(np.ones((1, profile["height"], profile["width"]), dtype="float32"))
    return missing


def _run_file(folder: Path, **hazard) -> Path:
    entry = {
        "id": "river_flood",
        "type": "river_flood",
        "return_periods": dict(PERIODS),
        "curve": {"intensity": [0, 0.05, 0.6], "share": [0, 0, 0.4]},
        **hazard,
    }
    data = {
        "country": "DJI",
        "population": {"path": "population.tif", "kind": "count", "year": 2025},
        "hazards": [entry],
    }
    return write_run(folder, data, name="nov.yaml")


# ------------------------------------------------------------------ hazards[].nodata


def test_undeclared_nodata_warning_names_the_remedy(cli, tmp_path):
    _aqueduct(tmp_path, declared=False)
    result = cli("validate", _run_file(tmp_path))
    assert result.exit_code == 0, result.output
    assert "values down to -9999 m" in result.output
    assert "nodata: -9999 in the hazard's entry" in result.output
    assert "gdal_edit.py -a_nodata -9999 FILE" in result.output


def test_hazard_nodata_masks_an_undeclared_value_in_every_map(cli, tmp_path):
    missing = _aqueduct(tmp_path, declared=False)
    run_file = _run_file(tmp_path, nodata=-9999)
    result = cli("run", run_file, "--out", tmp_path / "run")
    assert result.exit_code == 0, result.output
    assert "-9999" not in result.output  # no undeclared-nodata warning left
    bands = pd.read_csv(tmp_path / "run" / "bands.csv")
    people = float(missing.size)  # one person per cell
    assert bands["no_hazard_data"].tolist() == pytest.approx([missing.sum()] * 3)
    assert missing.sum() / people == pytest.approx(0.2954, abs=1e-3)
    with rasterio.open(tmp_path / "run" / "displaced.tif") as src:
        displaced = src.read(1)
    assert np.isnan(displaced[missing]).all() and not np.isnan(displaced[~missing]).any()
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["parameters"]["hazards"]["river_flood"]["nodata"] == [-9999.0]


def test_hazard_nodata_as_a_list_and_its_record_when_absent(cli, tmp_path):
    missing = _aqueduct(tmp_path, declared=True)
    result = cli("run", _run_file(tmp_path, nodata=[-9999, -32768]), "--out", tmp_path / "a")
    assert result.exit_code == 0, result.output
    bands = pd.read_csv(tmp_path / "a" / "bands.csv")
    assert bands["no_hazard_data"].tolist() == pytest.approx([missing.sum()] * 3)
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["parameters"]["hazards"]["river_flood"]["nodata"] == [-9999.0, -32768.0]
    result = cli("run", _run_file(tmp_path), "--out", tmp_path / "b")
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["parameters"]["hazards"]["river_flood"]["nodata"] is None


@pytest.mark.parametrize("value", ["minus", [1, 2, 3], [], True])
def test_hazard_nodata_that_is_no_number_is_refused(cli, tmp_path, value):
    _aqueduct(tmp_path)
    result = cli("validate", _run_file(tmp_path, nodata=value))
    assert result.exit_code == 2
    assert "nov.yaml.hazards[0]" in result.output and ".nodata" in result.output


# ------------------------------------------------------------------ overlap label


def test_a_map_off_the_analysis_grid_is_named_as_the_run_file_names_it(cli, tmp_path):
    _aqueduct(tmp_path)
    with rasterio.open(tmp_path / "rp00010.tif", "r+") as dst:
        t = dst.transform
        dst.transform = Affine(t.a, 0, t.c + 60.0, 0, t.e, t.f)  # far east
    result = cli("validate", _run_file(tmp_path))
    assert result.exit_code != 0
    line = result.output.strip().splitlines()[-1]
    assert (
        "nov.yaml.hazards[0] (river_flood).return_periods.10 (rp00010.tif): does not overlap"
        in line
    )
    assert "hazards.river_flood.intensity" not in line and str(tmp_path) not in line


# ------------------------------------------------------------------ mecc validate


def test_validate_warns_of_people_without_data_in_no_unit_and_maps_out_of_order(cli, tmp_path):
    missing = _aqueduct(tmp_path, swap=True)
    with rasterio.open(tmp_path / "population.tif") as src:
        left, bottom, right, top = src.bounds
    west = left + 0.83 * (right - left)  # about 17 % of the cells east of the unit
    write_zones(tmp_path / "zones.geojson", ["DJ01"], [box(left, bottom, west, top)])
    run_file = _run_file(tmp_path)
    text = run_file.read_text(encoding="utf-8")
    run_file.write_text(
        text + "zones:\n  path: zones.geojson\n  code_field: code\n", encoding="utf-8"
    )
    result = cli("validate", run_file)
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    share = f"{missing.mean():.0%}"
    assert f"people ({share} of the" in out and "without hazard data in band rp10" in out
    assert f"people without hazard data: up to {share} (band rp10)" in out
    assert "the 100-year map exposes" in out and "fewer than the 10-year map" in out
    assert "lie in no unit" in out and "17% of the people in no unit" in out
    # the run gives the same three warnings
    run = cli("run", run_file, "--out", tmp_path / "run")
    ran = " ".join(run.output.split())
    assert "lie in no unit" in ran and "fewer than the 10-year map" in ran
    assert f"({share} of the" in ran


def test_validate_is_quiet_when_people_are_covered(cli, tmp_path):
    _aqueduct(tmp_path)
    with rasterio.open(tmp_path / "population.tif", "r+") as dst:
        with rasterio.open(tmp_path / "rp00010.tif") as src:
            covered = (src.read(1) != -9999).astype("float32")
        dst.write(covered[None])
    result = cli("validate", _run_file(tmp_path))
    assert result.exit_code == 0, result.output
    assert "without hazard data in band" not in result.output
    assert "fewer than the" not in result.output
    assert "people without hazard data: up to 0% (band rp10)" in result.output


# ------------------------------------------------------------------ from-census


def test_from_census_counts_the_units_that_received_people(cli, tmp_path):
    from mecc.commands.population import census_summary

    units = pd.DataFrame({"code": list("ABCDEF"), "placed": [1e5, 2e5, 0.0, 3e5, np.nan, 235e3]})

    class Grid:
        width, height = 120, 80

    report = type(
        "R",
        (),
        {"units": units, "placed_total": 835e3, "table_total": 9e5, "grid": Grid},
    )
    assert (
        census_summary(report)
        == "835,000 people in 4 of 6 units on 120 x 80 cells (table: 900,000)"
    )
    report.units = units.assign(placed=1.0)
    assert census_summary(report).startswith("835,000 people in 6 units on")


def test_from_census_command_line_counts_units_with_people(cli, tmp_path):
    transform = Affine(0.1, 0, 10.0, 0, -0.1, 50.0)
    cells = [box(10.0 + 0.1 * c, 49.6, 10.1 + 0.1 * c, 50.0) for c in range(3)]
    cells.append(box(30.0, 0.0, 30.1, 0.1))  # far from the grid: nobody placed
    write_zones(tmp_path / "adm.gpkg", list("ABCD"), cells)
    pd.DataFrame({"code": list("ABCD"), "population": [100, 200, 300, 400]}).to_csv(
        tmp_path / "census.csv", index=False
    )
    like = tmp_path / "like.tif"
    with rasterio.open(
        like,
        "w",
        driver="GTiff",
        width=3,
        height=4,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=transform,
    ) as dst:
        dst.write(np.ones((1, 4, 3), dtype="float32"))
    from click.testing import CliRunner

    from cli import main

    args = ["population", "from-census", str(tmp_path / "adm.gpkg"), str(tmp_path / "census.csv")]
    args += ["--code-field", "code", "--table-code", "code", "--table-value", "population"]
    args += ["--like", str(like), "--out", str(tmp_path / "p.tif")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "600 people in 3 of 4 units" in result.output
