"""Combined hazards (``components:``): coverage, type, bands; and the cyclone's averaging tag.

- A component map smaller than the country (surge over the west half only) is named in a
  warning by ``mecc validate`` and by the run's no-data check (people on cells without
  that component's data get the other components' share only), as a single hazard's
  map would be.
- A combined hazard's top-level ``type`` must be one of its components' types; the
  manifest lists every component's type and HIP code.
- Components whose bands differ are refused naming the bands that differ.
- A track wind the Holland (2008) wind field does not use has its averaging factor
  recorded as not applied.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine
from shapely.geometry import box

from hazards.cyclone import write_cyclone
from mecc.checks import validate_run
from mecc.config import load_config
from mecc.errors import ConfigError, DataError
from mecc.inputs import analysis_grid, load_inputs
from mecc.run import run_country
from mecc.run_checks import no_data_warnings

TRANSFORM = Affine(0.02, 0.0, 168.0, 0.0, -0.02, -17.6)
SHAPE = (15, 20)  # 100 people a cell: 30,000; the west half (10 columns) 15,000
LAT = -17.6 - 0.02 * (np.arange(SHAPE[0]) + 0.5)
SURGE = np.tile(np.clip(4 - (LAT[:, None] + 17.9) * 25, 0, None), (1, SHAPE[1]))
WIND = np.full(SHAPE, 45.0)


def _write(path, values, nodata=np.nan):
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=values.shape[1],
        height=values.shape[0],
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=TRANSFORM,
        nodata=nodata,
    ) as dataset:
        dataset.write(values.astype("float32"), 1)


def _island(folder):
    _write(folder / "pop.tif", np.full(SHAPE, 100.0), -99999)
    _write(folder / "wind.tif", WIND)
    _write(folder / "surge.tif", SURGE)
    _write(folder / "surge_west.tif", SURGE[:, :10])  # same origin: the west half only
    gpd.GeoDataFrame(
        {"code": ["W", "E"]},
        geometry=[box(168, -17.9, 168.2, -17.6), box(168.2, -17.9, 168.4, -17.6)],
        crs=4326,
    ).to_file(folder / "z.gpkg", layer="z")


def _run_file(folder, surge="surge_west.tif", top="tropical_cyclone", name="run.yaml"):
    text = f"""country: VUT
population: {{path: pop.tif, kind: count}}
zones: {{path: z.gpkg, layer: z, code_field: code, level: 1}}
hazards:
  - id: tc
    type: {top}
    scenario: Cyclone wind and surge
    combine: independent
    components:
      - {{type: tropical_cyclone, intensity: wind.tif, curve: tc_emanuel_kam2024_oc1}}
      - {{type: coastal_flood, intensity: {surge}, curve: flood_step_1m}}
"""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _component_warnings(messages):
    return [m for m in messages if m.startswith("hazards.tc.components[")]


# ------------------------------------------------------------------- coverage


def test_validate_names_a_component_that_covers_half_the_people(tmp_path):
    _island(tmp_path)
    report = validate_run(_run_file(tmp_path))
    (message,) = _component_warnings(report.warnings)
    assert message.startswith("hazards.tc.components[1] (coastal_flood, surge_west.tif): ")
    assert "15,000 people (50% of the 30,000 on the analysis grid)" in message
    assert "got the share of components[0] (tropical_cyclone) only" in message
    # the surge over the whole island: no warning
    report = validate_run(_run_file(tmp_path, surge="surge.tif", name="full.yaml"))
    assert _component_warnings(report.warnings) == []


def test_run_no_data_check_counts_each_component(tmp_path):
    """The run's no-data check, given the population and grid, warns per component;
    the combined set's own no_hazard_data (every component missing) stays 0."""
    _island(tmp_path)
    path = _run_file(tmp_path)
    run_country(path, tmp_path / "out")
    config = load_config(path)
    population, _, hazards = load_inputs(config)
    grid, _ = analysis_grid(config, population, hazards)
    population.prepare(grid)
    # bands.csv as the run wrote it: every cell has wind, so no one is without data
    tab = SimpleNamespace(bands=pd.read_csv(tmp_path / "out" / "bands.csv"))
    assert tab.bands["no_hazard_data"].sum() == 0
    assert no_data_warnings(hazards[0], tab, 30000.0) == []  # without the population
    (message,) = no_data_warnings(hazards[0], tab, 30000.0, population, grid)
    assert "components[1] (coastal_flood, surge_west.tif)" in message
    assert "15,000 people (50% of the 30,000" in message


def test_the_run_itself_warns_about_the_half_covering_component(tmp_path):
    """`mecc run` passes its population and grid to the check (manifest warnings)."""
    _island(tmp_path)
    run_country(_run_file(tmp_path), tmp_path / "out")
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    found = [m for m in manifest["warnings"] if "components[1] (coastal_flood, surge_west" in m]
    assert len(found) == 1 and "15,000 people (50% of the 30,000" in found[0]


# ---------------------------------------------------------------- type and HIP


def test_a_type_no_component_has_is_refused(tmp_path, cli):
    _island(tmp_path)
    path = _run_file(tmp_path, top="earthquake")
    with pytest.raises(ConfigError, match=r"hazards\[0\] \(tc\)\.type: 'earthquake' is not"):
        validate_run(path)
    result = cli("validate", path)
    assert result.exit_code == 2
    assert "(tropical_cyclone, coastal_flood)" in result.output


def test_manifest_lists_each_components_type_and_hip_code(tmp_path):
    _island(tmp_path)
    path = _run_file(tmp_path, top="coastal_flood", surge="surge.tif")
    run_country(path, tmp_path / "out")
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    entry = manifest["parameters"]["hazards"]["tc"]
    assert entry["hip_code"] == "MH0601"
    assert [(c["type"], c["hip_code"]) for c in entry["components"]] == [
        ("tropical_cyclone", "MH0309"),
        ("coastal_flood", "MH0601"),
    ]


# ----------------------------------------------------------------------- bands


def test_components_with_other_return_periods_name_them(tmp_path):
    _island(tmp_path)
    for name, values in (("w10", WIND), ("w100", WIND * 1.2), ("s10", SURGE), ("s50", SURGE)):
        _write(tmp_path / f"{name}.tif", values * (1.5 if name == "s50" else 1.0))
    text = (
        _run_file(tmp_path)
        .read_text()
        .replace("intensity: wind.tif,", "return_periods: {10: w10.tif, 100: w100.tif},")
    )
    text = text.replace("intensity: surge_west.tif,", "return_periods: {10: s10.tif, 50: s50.tif},")
    text = text.replace("    scenario: Cyclone wind and surge\n", "")
    path = tmp_path / "rp.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_inputs(load_config(path))
    assert "components[1]: its bands differ from components[0]'s" in str(caught.value)
    assert "(return periods 10, 50 vs 10, 100)" in str(caught.value)


# ----------------------------------------------------------- cyclone averaging


TRACK = (
    "time_utc,lat,lon,vmax_kt,pressure_hpa\n2026020100,-15,166,90,960\n"
    "2026020112,-17,167.7,115,940\n2026020200,-19,169.3,95,955\n"
)


def _cyclone(tmp_path, name, track, averaging):
    (tmp_path / f"{name}.csv").write_text(track, encoding="utf-8")
    out = write_cyclone(
        tmp_path / f"{name}.csv",
        tmp_path / f"{name}.tif",
        like=tmp_path / "pop.tif",
        track_averaging=averaging,
    )
    with rasterio.open(out) as dataset:
        return dataset.read(1), json.loads(dataset.tags()["parameters"])


def test_averaging_factor_not_applied_when_the_wind_comes_from_pressures(tmp_path):
    _island(tmp_path)
    one, tag_one = _cyclone(tmp_path, "one", TRACK, "1-min")
    ten, tag_ten = _cyclone(tmp_path, "ten", TRACK, "10-min")
    np.testing.assert_array_equal(one, ten)  # the track's wind is unused
    assert ten.max() > 30
    assert tag_ten["averaging_to_1min_factor"] is None
    assert tag_ten["averaging_note"].startswith("not applied: with b_parameter holland2008")
    assert tag_ten["track_averaging"] == "10-min"
    # a track of winds only: pressures estimated from the 10-min wind, the factor applies
    winds = "\n".join(",".join(row.split(",")[:4]) for row in TRACK.strip().split("\n")) + "\n"
    w1, _ = _cyclone(tmp_path, "w1", winds, "1-min")
    w10, tag_w10 = _cyclone(tmp_path, "w10", winds, "10-min")
    assert tag_w10["averaging_to_1min_factor"] == pytest.approx(1 / 0.93)
    assert "averaging_note" not in tag_w10
    assert w10.max() > w1.max()
