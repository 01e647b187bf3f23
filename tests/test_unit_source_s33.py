"""Where a hazard grid's unit comes from is said, never silently assumed.

A depth grid in centimetres (0-45) or a wind grid in knots (up to 110) stays inside the
hazard type's valid range when read as metres or m/s, so no range check can tell. When
neither the run file (``unit:``) nor the grid states a unit, ``mecc validate`` now says
the type's unit is assumed, and manifest.json records where each hazard's unit comes from
(``unit_source``): the run file, the file that states it, or none.
"""

from __future__ import annotations

import json

import numpy as np
import rasterio

from mecc.run import run_country
from tests._run_inputs import POP, TRANSFORM, write_run
from tests.conftest import write_raster

DEPTH_CM = np.array([[0.0, 15.0, 30.0, 45.0]] * 4)
WIND_KT = np.array([[40.0, 70.0, 90.0, 110.0]] * 4)


def _case(folder, hazards):
    folder.mkdir(parents=True, exist_ok=True)
    write_raster(folder / "pop.tif", POP, transform=TRANSFORM)
    write_raster(folder / "depth_cm.tif", DEPTH_CM, transform=TRANSFORM)
    write_raster(folder / "wind_kt.tif", WIND_KT, transform=TRANSFORM)
    write_raster(folder / "wind_tagged.tif", WIND_KT, transform=TRANSFORM)
    with rasterio.open(folder / "wind_tagged.tif", "r+") as dataset:
        dataset.units = ("kt",)  # a GDAL band unit, as QGIS shows it
    data = {"country": "XQK", "population": {"path": "pop.tif"}, "hazards": hazards}
    return write_run(folder, data)


FLOOD = {"id": "d", "type": "coastal_flood", "intensity": "depth_cm.tif", "scenario": "s"}
WIND = {"id": "w", "type": "tropical_cyclone", "intensity": "wind_kt.tif", "scenario": "s"}
CURVES = {"d": "flood_step_1m", "w": "sshws_inasafe"}


def _hazards(**units):
    found = []
    for spec in (FLOOD, WIND):
        entry = {**spec, "curve": CURVES[spec["id"]]}
        if spec["id"] in units:
            entry["unit"] = units[spec["id"]]
        found.append(entry)
    return found


def test_validate_says_when_no_unit_is_stated(cli, tmp_path):
    run = _case(tmp_path / "c", _hazards())
    result = cli("validate", run)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    depth = next(line for line in lines if "hazard d:" in line)
    wind = next(line for line in lines if "hazard w:" in line)
    assert "; no unit stated (run file or grid): read as m; people" in depth
    assert "; no unit stated (run file or grid): read as m/s; people" in wind


def test_validate_says_nothing_more_when_the_run_file_states_it(cli, tmp_path):
    run = _case(tmp_path / "c", _hazards(d="cm", w="kt"))
    result = cli("validate", run)
    assert result.exit_code == 0, result.output
    assert "no unit stated" not in result.output
    assert "grid unit cm x 0.01 = m" in result.output


def test_the_manifest_records_where_each_unit_comes_from(tmp_path):
    hazards = _hazards(d="cm")
    hazards[1]["intensity"] = "wind_tagged.tif"
    run = _case(tmp_path / "c", hazards)
    out = run_country(run, tmp_path / "out", with_map=False).out_dir
    recorded = json.loads((out / "manifest.json").read_text())["parameters"]["hazards"]
    assert recorded["d"]["unit_source"] == "the run file (unit:)"
    assert recorded["w"]["unit_source"].startswith("stated by ")
    assert "wind_tagged.tif" in recorded["w"]["unit_source"]
    assert recorded["w"]["unit_in_files"] == "kt"

    unstated = _case(tmp_path / "u", _hazards())
    out = run_country(unstated, tmp_path / "out_u", with_map=False).out_dir
    recorded = json.loads((out / "manifest.json").read_text())["parameters"]["hazards"]
    assert recorded["d"]["unit_source"] == (
        "none stated (run file or grid): read as m, the type's unit"
    )
    assert recorded["w"]["unit_source"].endswith("read as m/s, the type's unit")


def test_a_combined_hazard_names_its_component_without_a_unit(cli, tmp_path):
    combined = {
        "id": "storm",
        "type": "tropical_cyclone",
        "scenario": "s",
        "combine": "max",
        "components": [
            {
                "type": "tropical_cyclone",
                "intensity": "wind_kt.tif",
                "unit": "kt",
                "curve": "sshws_inasafe",
            },
            {"type": "coastal_flood", "intensity": "depth_cm.tif", "curve": "flood_step_1m"},
        ],
    }
    run = _case(tmp_path / "c", [combined])
    result = cli("validate", run)
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if "hazard storm:" in line)
    assert "; no unit stated (run file or grid): read as components[1]: m" in line
    assert "components[0]: m/s" not in line
    out = run_country(run, tmp_path / "out", with_map=False).out_dir
    recorded = json.loads((out / "manifest.json").read_text())["parameters"]["hazards"]
    assert recorded["storm"]["unit_source"] is None
    parts = recorded["storm"]["components"]
    assert parts[0]["unit_source"] == "the run file (unit:)"
    assert parts[1]["unit_source"].startswith("none stated")


def test_a_shakemap_and_a_climada_file_state_their_own_units(cli, tmp_path):
    """A ShakeMap field is in its stated unit (MMI), a CLIMADA file names its units: neither
    is reported as unstated."""
    from tests._official_formats import write_climada, write_shakemap

    folder = tmp_path / "c"
    run = _case(folder, [])
    mmi = np.array([[4.0, 5.4, 5.5, 7.2]] * 4)
    write_shakemap(folder / "grid.xml", mmi, lon_min=10.05, lat_max=49.95, step=0.1)
    write_climada(folder / "haz.hdf5", np.stack([DEPTH_CM / 100] * 2), TRANSFORM, [0.1, 0.01])
    hazards = [
        {
            "id": "eq",
            "type": "earthquake",
            "intensity": "grid.xml",
            "scenario": "s",
            "curve": "eq_mmi6_survivors",
        },
        {"id": "ev", "type": "river_flood", "events": "haz.hdf5", "curve": "flood_step_1m"},
    ]
    data = {"country": "XQK", "population": {"path": "pop.tif"}, "hazards": hazards}
    run = write_run(folder, data)
    result = cli("validate", run)
    assert result.exit_code == 0, result.output
    assert "no unit stated" not in result.output
    out = run_country(run, tmp_path / "out", with_map=False).out_dir
    recorded = json.loads((out / "manifest.json").read_text())["parameters"]["hazards"]
    assert recorded["eq"]["unit_source"].startswith("stated by ")
    assert "(ShakeMap field MMI)" in recorded["eq"]["unit_source"]
    assert recorded["ev"]["unit_source"].endswith("(units 'm')")
