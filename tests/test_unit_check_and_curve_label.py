"""The check of values in another unit is the same in ``mecc validate`` and ``mecc run``
(mecc/checks.py, mecc/check_extent.py), and an inline curve is named for what it is
(hazards/curves.py).

1. Both commands check the values on the analysis grid (those a run uses) and, in the
   same words, name a file whose values reach above the plausible range only outside it
   (a depth grid in centimetres whose deepest cell lies west of the people); the run
   records it in manifest.json as it does its other warnings.
2. ``curve: {step: 1.0}`` is ``step at 1 m`` in summary.json, sendai.csv, manifest.json
   and ``mecc validate``, not the run file's path of the entry.

Grids are small synthetic GeoTIFFs (0.01 degree cells, EPSG:4326) written here, and the
Aqueduct Djibouti maps of the user's probe; every expected number comes from the arrays.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio
import yaml
from affine import Affine

from mecc.checks import validate_run
from tests.conftest import write_raster

CELL = 0.01
SIDE = 40
WEST = 20  # columns of the hazard grid west of the population grid
HAZARD_TRANSFORM = Affine(CELL, 0, 10.0, 0, -CELL, 50.0)
POP_TRANSFORM = Affine(CELL, 0, 10.0 + WEST * CELL, 0, -CELL, 50.0)
AQUEDUCT = Path("/work/shared/data/aqueduct_djibouti")


def _depth_cm(peak_west: float, peak_on_grid: float) -> np.ndarray:
    """Depths in centimetres (as metres, without unit:) over SIDE x (WEST + SIDE) cells:
    ``peak_on_grid`` at most under the people, ``peak_west`` in one cell west of them."""
    depth = np.tile(np.linspace(0.0, peak_on_grid, SIDE + WEST), (SIDE, 1))
    depth[:, :WEST] = np.minimum(depth[:, :WEST], 5.0)
    depth[7, 3] = peak_west
    return depth.astype(np.float32)


def _case(folder: Path, depth: np.ndarray, curve="flood_step_1m", hazard_extra=None) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    write_raster(folder / "pop.tif", np.full((SIDE, SIDE), 10.0), transform=POP_TRANSFORM)
    for rp, scale in ((10, 0.5), (100, 1.0)):
        write_raster(folder / f"d{rp}.tif", depth * scale, transform=HAZARD_TRANSFORM)
    hazard = {
        "id": "rf",
        "type": "river_flood",
        "return_periods": {10: "d10.tif", 100: "d100.tif"},
        "curve": curve,
        **(hazard_extra or {}),
    }
    config = {"country": "XQK", "population": {"path": "pop.tif"}, "hazards": [hazard]}
    path = folder / "run.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return str(path)


def _run(run_file: str, out: Path) -> dict:
    from mecc.run import run_country

    run_country(run_file, out, with_map=False)
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def _reach(messages) -> list[str]:
    return [m for m in messages if "values reach" in m]


# ------------------------------------------------- 1. values of another unit, one rule


def test_validate_and_run_name_a_file_implausible_only_outside_the_grid_alike(tmp_path):
    """62 m west of the people, at most 31 m under them: the old validate warned from
    the whole file and the run said nothing (its AAD 100 times too large, no hint)."""
    depth = _depth_cm(peak_west=62.0, peak_on_grid=31.0)
    run_file = _case(tmp_path / "case", depth)
    on_grid = float(depth[:, WEST:].max())  # the deeper map (rp100, scale 1)
    assert on_grid == pytest.approx(31.0) and depth.max() == pytest.approx(62.0)

    validated = _reach(validate_run(run_file).warnings)
    recorded = _reach(_run(run_file, tmp_path / "out")["warnings"])

    assert len(validated) == 1, validated
    assert validated == recorded  # the same answer, in the same words
    message = validated[0]
    assert message.startswith("hazards.rf: values reach 62 m (")
    assert "(d100.tif) band 1) in the file, above the plausible 50 m for river_flood" in message
    assert f"though at most {on_grid:g} m on the analysis grid (the values the run uses)" in message
    assert "set unit:" in message


def test_values_above_the_range_on_the_grid_give_one_warning_from_the_grid(tmp_path):
    """Under the people already: the warning on the grid's values, not a second one."""
    depth = _depth_cm(peak_west=62.0, peak_on_grid=300.0)
    run_file = _case(tmp_path / "case", depth)
    peak = float(depth[:, WEST:].max())
    validated = _reach(validate_run(run_file).warnings)
    recorded = _reach(_run(run_file, tmp_path / "out")["warnings"])
    assert validated == recorded and len(validated) == 1, validated
    assert validated[0].startswith(f"hazards.rf: values reach {peak:g} m (")
    assert "in the file" not in validated[0]


def test_plausible_values_everywhere_give_no_warning(tmp_path):
    depth = _depth_cm(peak_west=4.0, peak_on_grid=3.0)
    run_file = _case(tmp_path / "case", depth)
    assert _reach(validate_run(run_file).warnings) == []
    assert _reach(_run(run_file, tmp_path / "out")["warnings"]) == []


def test_validate_checks_the_values_the_run_uses(tmp_path):
    """Water only west of the people: the run finds none on its grid, and validate,
    which read the whole file, said nothing; both now say nobody can be displaced."""
    depth = np.zeros((SIDE, SIDE + WEST), dtype=np.float32)
    depth[:, :WEST] = 2.0
    run_file = _case(tmp_path / "case", depth)
    dry = [m for m in validate_run(run_file).warnings if "no value above 0" in m]
    recorded = [m for m in _run(run_file, tmp_path / "out")["warnings"] if "no value above 0" in m]
    assert len(dry) == 1 and dry == recorded, (dry, recorded)
    assert dry[0].startswith("hazards.rf: no value above 0 in every cell of all 2 band(s)")


def test_a_run_does_not_read_a_file_within_its_grid_again(tmp_path, monkeypatch):
    """The hazard grid is the population grid: the pictures saw every cell."""
    import mecc.check_extent

    def refuse(*args, **kwargs):
        raise AssertionError("the hazard grid was read a second time")

    monkeypatch.setattr(mecc.check_extent, "file_peak", refuse)
    folder = tmp_path / "case"
    depth = _depth_cm(peak_west=4.0, peak_on_grid=30.0)[:, WEST:]
    run_file = _case(folder, depth)
    for rp, scale in ((10, 0.5), (100, 1.0)):  # the population grid's cells
        write_raster(folder / f"d{rp}.tif", depth * scale, transform=POP_TRANSFORM)
    assert _reach(_run(run_file, tmp_path / "out")["warnings"]) == []


def test_the_largest_value_of_a_large_file_comes_from_overviews_or_statistics(
    tmp_path, monkeypatch
):
    """Too large to sample on a run: its overviews are sampled, else the GDAL statistics
    it states are taken, else the file is not read again (None)."""
    import mecc.run_checks
    from mecc.check_extent import file_peak
    from mecc.raster_file import RasterFile

    monkeypatch.setattr(mecc.run_checks, "SAMPLE_BUDGET", 100)
    depth = np.zeros((64, 64), dtype=np.float32)
    depth[10:20, 30:40] = 62.0  # a block, so that a 2x overview keeps it
    plain = write_raster(tmp_path / "plain.tif", depth)
    assert file_peak(RasterFile(plain), [1]) is None

    stated = write_raster(tmp_path / "stated.tif", depth * 0 + 3.0)
    with rasterio.open(stated, "r+") as dataset:
        dataset.update_tags(1, STATISTICS_MAXIMUM="6200", STATISTICS_MINIMUM="0")
    from_statistics = file_peak(RasterFile(stated), [1], factor=0.01)
    assert from_statistics.peak == pytest.approx(62.0) and from_statistics.peak_band == 1

    shutil.copy(plain, tmp_path / "overviews.tif")
    with rasterio.open(tmp_path / "overviews.tif", "r+") as dataset:
        dataset.build_overviews([2, 4], rasterio.enums.Resampling.nearest)
    assert file_peak(RasterFile(tmp_path / "overviews.tif"), [1]).peak == pytest.approx(62.0)


def test_the_analysis_window_in_another_crs_holds_the_grid(tmp_path):
    """A UTM analysis grid over part of a geographic file: the window holds its area."""
    from pyproj import Transformer

    from mecc.check_extent import analysis_window
    from mecc.grid import GridSpec

    source = GridSpec("EPSG:4326", Affine(CELL, 0, 36.0, 0, -CELL, 1.0), 300, 200)
    utm = GridSpec("EPSG:32737", Affine(100.0, 0, 300000.0, 0, -100.0, 9950000.0), 50, 40)
    window = analysis_window(source, utm)
    to_lonlat = Transformer.from_crs("EPSG:32737", "EPSG:4326", always_xy=True)
    lon, lat = to_lonlat.transform([300000.0, 305000.0], [9946000.0, 9950000.0])
    cols = [(x - 36.0) / CELL for x in lon]
    rows = [(1.0 - y) / CELL for y in lat]
    assert window.col_off <= min(cols) and window.col_off + window.width >= max(cols)
    assert window.row_off <= min(rows) and window.row_off + window.height >= max(rows)
    assert window.width < 10 and window.height < 10  # the grid's part, not the file
    assert analysis_window(source, source) is None  # the whole file


def test_the_probe_aqueduct_depths_in_centimetres_east_of_djibouti(tmp_path):
    """The user's probe: Aqueduct Djibouti depths written in cm (int16), people over the
    east only, where the depths in cm stay below 50; its deepest cell lies west."""
    folder = tmp_path / "dji"
    folder.mkdir()
    with rasterio.open(AQUEDUCT / "rp00100.tif") as source:
        profile = source.profile
        west_of = int(round((42.2 - source.transform.c) / source.transform.a))
        people = np.full((source.height, source.width - west_of), 100.0, dtype=np.float32)
        pop_transform = source.transform @ Affine.translation(west_of, 0)
    write_raster(folder / "pop.tif", people, transform=pop_transform, crs=profile["crs"])
    peaks = {}
    for rp in (10, 100, 1000):
        with rasterio.open(AQUEDUCT / f"rp{rp:05d}.tif") as source:
            metres = source.read(1)
            profile = {**source.profile, "dtype": "int16"}
        cm = np.where(metres == -9999, -9999, np.round(metres * 100)).astype("int16")
        with rasterio.open(folder / f"cm{rp}.tif", "w", **profile) as target:
            target.write(cm, 1)
        valid = cm != -9999
        peaks[rp] = (float(cm[valid].max()), float(cm[:, west_of:][valid[:, west_of:]].max()))
    top = max(peaks, key=lambda rp: peaks[rp][0])
    whole, on_grid = peaks[top][0], max(p[1] for p in peaks.values())
    assert whole > 50 >= max(p[1] for p in peaks.values())  # the probe's case
    hazard = {
        "id": "fl",
        "type": "river_flood",
        "return_periods": {10: "cm10.tif", 100: "cm100.tif", 1000: "cm1000.tif"},
        "curve": {"step": 0.2},
    }
    config = {"country": "DJI", "population": {"path": "pop.tif"}, "hazards": [hazard]}
    (folder / "cm.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    validated = _reach(validate_run(str(folder / "cm.yaml")).warnings)
    recorded = _reach(_run(str(folder / "cm.yaml"), tmp_path / "out")["warnings"])
    assert validated == recorded and len(validated) == 1, (validated, recorded)
    assert validated[0].startswith(f"hazards.fl: values reach {whole:g} m (")
    assert f"(cm{top}.tif) band 1) in the file" in validated[0]
    assert f"though at most {on_grid:g} m on the analysis grid" in validated[0]


# ----------------------------------------------------------- 2. inline curves' names


@pytest.mark.parametrize(
    ("spec", "hazard_type", "name"),
    [
        ({"step": 1.0}, "river_flood", "step at 1 m"),
        ({"step": 0.5}, None, "step at 0.5"),
        (
            {"intensity": [0, 1, 2, 3], "share": [0, 0.2, 0.5, 1]},
            "river_flood",
            "inline curve, 4 points (0-3 m)",
        ),
        (
            {"intensity": [0, 3], "share": [0, 1], "kind": "step"},
            "tsunami",
            "inline step curve, 2 points (0-3 m)",
        ),
        ({"survivors_step": {"threshold": 6}}, "earthquake", "step at MMI 6"),
        (
            {"classes": {"bounds": [64, 83], "bounds_unit": "kt", "shares": [0.1, 1.0]}},
            "tropical_cyclone",
            "classes at 64, 83 kt",
        ),
        (
            {"emanuel": {"v_thresh": 25.7, "v_half": 74.7}},
            "tropical_cyclone",
            "Emanuel curve (v_thresh 25.7 m/s, v_half 74.7 m/s)",
        ),
        (
            {"intensity": [0, 2], "share": [0, 1], "name": "ministry curve"},
            "river_flood",
            "ministry curve",
        ),
    ],
)
def test_an_inline_curve_is_named_for_what_it_is(spec, hazard_type, name):
    from hazards.curves import load_curve

    curve = load_curve(spec, where="run.yaml.hazards[0] (rf).curve", hazard_type=hazard_type)
    assert curve.name == name
    assert curve.source == "run file"


def test_an_inline_curve_s_errors_still_name_the_run_file_entry():
    from hazards.curves import load_curve
    from mecc.errors import CurveError

    with pytest.raises(CurveError, match=r"^run.yaml.hazards\[0\] \(rf\).curve: share 1.5 "):
        load_curve({"intensity": [0, 1], "share": [0, 1.5]}, where="run.yaml.hazards[0] (rf).curve")


def test_a_run_records_an_inline_step_as_step_at_1_m(tmp_path):
    depth = _depth_cm(peak_west=4.0, peak_on_grid=3.0)
    run_file = _case(
        tmp_path / "case",
        depth,
        curve={"step": 1.0},
        hazard_extra={"variants": {"high": {"intensity": [0, 0.5, 1], "share": [0, 0.5, 1]}}},
    )
    report = validate_run(run_file)
    (line,) = [line for line in report.lines if line.startswith("hazard rf:")]
    assert "curve step at 1 m (central/high)" in line
    manifest = _run(run_file, tmp_path / "out")
    out = tmp_path / "out"
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["hazards"]["rf"]["curve"] == "step at 1 m"
    assert summary["hazards"]["rf"]["variants"] == {
        "central": "step at 1 m",
        "high": "inline curve, 3 points (0-1 m)",
    }
    sendai = pd.read_csv(out / "sendai.csv", encoding="utf-8-sig")
    assert set(sendai["curve"]) == {"step at 1 m"}
    assert manifest["parameters"]["hazards"]["rf"]["curve"]["name"] == "step at 1 m"
    assert not any(".curve" in str(v) for v in summary["hazards"]["rf"].values())


def test_a_combined_hazard_s_components_are_checked_on_the_grid_as_validate_does(tmp_path):
    """A combined hazard's components have no pictures: the run samples their files, on
    the analysis grid as validate does, and names a file implausible only outside it in
    the same words (it sampled the whole file, the old rule)."""
    depth = _depth_cm(peak_west=62.0, peak_on_grid=31.0)
    folder = tmp_path / "case"
    run_file = _case(folder, depth)
    config = yaml.safe_load(Path(run_file).read_text(encoding="utf-8"))
    write_raster(folder / "w10.tif", np.full(depth.shape, 20.0), transform=HAZARD_TRANSFORM)
    write_raster(folder / "w100.tif", np.full(depth.shape, 30.0), transform=HAZARD_TRANSFORM)
    config["hazards"] = [
        {
            "id": "storm",
            "type": "tropical_cyclone",
            "combine": "max",
            "components": [
                {
                    "type": "coastal_flood",
                    "return_periods": {10: "d10.tif", 100: "d100.tif"},
                    "curve": "flood_step_1m",
                },
                {
                    "type": "tropical_cyclone",
                    "return_periods": {10: "w10.tif", 100: "w100.tif"},
                    "curve": "tc_emanuel_kam2024_wp1",
                },
            ],
        }
    ]
    Path(run_file).write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    on_grid = float(depth[:, WEST:].max())

    validated = _reach(validate_run(run_file).warnings)
    recorded = _reach(_run(run_file, tmp_path / "out")["warnings"])

    assert len(recorded) == 1, recorded
    assert recorded == validated
    assert "values reach 62 m (" in recorded[0] and "in the file" in recorded[0]
    assert f"though at most {on_grid:g} m on the analysis grid" in recorded[0]
