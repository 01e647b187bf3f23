"""``mecc run`` gives the plausibility warnings of ``mecc validate`` and warns when a hazard
leaves a notable share of the people without hazard data (mecc/run_checks.py).

Grids are small synthetic GeoTIFFs (0.01 degree cells, EPSG:4326); every expected number
is computed here from the arrays written, not taken from the run.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml
from affine import Affine

from tests.conftest import write_raster

TRANSFORM = Affine(0.01, 0, 10.0, 0, -0.01, 50.0)
SIDE = 40
POP = np.arange(1, SIDE * SIDE + 1, dtype=np.float64).reshape(SIDE, SIDE)


def _raster(path, data, **kwargs):
    return write_raster(path, data, transform=TRANSFORM, **kwargs)


def _run_file(folder, hazards, population="pop.tif") -> str:
    config = {"country": "XQK", "population": {"path": population}, "hazards": hazards}
    path = folder / "run.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return str(path)


def _quake(folder, intensity, name="mmi.tif", **kwargs):
    _raster(folder / name, intensity, dtype="float32", **kwargs)
    entry = {"id": "q", "type": "earthquake", "intensity": name, "scenario": "s"}
    return {**entry, "curve": "eq_mmi6_survivors"}


def _run(folder, hazards, **kwargs) -> dict:
    from mecc.run import run_country

    if not (folder / "pop.tif").exists():
        _raster(folder / "pop.tif", POP)
    run_file = _run_file(folder, hazards)
    run_country(run_file, folder / "out", with_map=False, **kwargs)
    manifest = json.loads((folder / "out" / "manifest.json").read_text(encoding="utf-8"))
    summary = json.loads((folder / "out" / "summary.json").read_text(encoding="utf-8"))
    return {"warnings": manifest["warnings"], "summary": summary}


def _pga_like() -> np.ndarray:
    """A PGA-like field (percent g) read as MMI: 2 to 39.5 from west to east."""
    return np.tile(2.0 + 37.5 * np.arange(SIDE) / (SIDE - 1), (SIDE, 1))


def _depth_cm() -> np.ndarray:
    """Flood depths in centimetres read as metres: 2 to 395 from west to east."""
    return np.tile(2.0 + 393.0 * np.arange(SIDE) / (SIDE - 1), (SIDE, 1))


def _flood(folder, depth, name="depth.tif", **kwargs):
    _raster(folder / name, depth, dtype="float32", **kwargs)
    entry = {"id": "f", "type": "river_flood", "intensity": name, "scenario": "s"}
    return {**entry, "curve": "flood_step_1m"}


# ------------------------------------------------------------- values of another unit


def test_run_warns_when_values_reach_above_the_plausible_range(tmp_path):
    depth = _depth_cm()
    result = _run(tmp_path, [_flood(tmp_path, depth, name="cm.tif")])
    peak = [w for w in result["warnings"] if "values reach" in w]
    assert len(peak) == 1, result["warnings"]
    assert f"values reach {float(depth.max()):g} m" in peak[0]
    assert "cm.tif" in peak[0] and "above the plausible" in peak[0]


def test_run_refuses_mmi_beyond_the_scale(tmp_path):
    """PGA in percent g read as MMI reaches 39.5: beyond the scale (0.5-12.5), refused."""
    from mecc.errors import DataError

    with pytest.raises(DataError, match=r"pga\.tif"):
        _run(tmp_path, [_quake(tmp_path, _pga_like(), name="pga.tif")])
    assert not (tmp_path / "out").exists()


def test_run_warns_on_an_undeclared_nodata_value(tmp_path):
    depth = np.full((SIDE, SIDE), 0.7)
    depth[:, :10] = -9999.0  # no nodata declared: read as -9999 m
    result = _run(tmp_path, [_flood(tmp_path, depth, name="neg.tif")])
    low = [w for w in result["warnings"] if "down to" in w]
    assert len(low) == 1, result["warnings"]
    assert "(neg.tif) band 1 has values down to -9999 m" in low[0]
    assert "nodata value undeclared" in low[0]
    assert result["summary"]["population_no_hazard_data"] == 0.0  # why it must be said


def test_run_warns_on_a_tsunami_grid_in_centimetres_without_a_unit(tmp_path):
    depth_cm = np.tile(np.linspace(10.0, 390.0, SIDE), (SIDE, 1))
    _raster(tmp_path / "tsu_cm.tif", depth_cm, dtype="float32")
    hazard = {
        "id": "t",
        "type": "tsunami",
        "intensity": "tsu_cm.tif",
        "scenario": "s",
        "curve": "tsunami_step_0.7m",
    }
    result = _run(tmp_path, [hazard])
    peak = [w for w in result["warnings"] if w.startswith("hazards.t: values reach")]
    assert len(peak) == 1, result["warnings"]
    assert f"values reach {depth_cm.max():g} m" in peak[0]
    assert "set unit:" in peak[0]


def test_run_warns_for_an_event_set_of_many_bands_from_the_events_it_draws(tmp_path):
    """More than 16 events: the engine keeps no pictures on its pass; the run checks the
    events the map draws, which it reads again anyway."""
    n = 20
    depth_cm = np.stack([np.tile(np.linspace(0.0, 250.0, SIDE), (SIDE, 1))] * n)
    _raster(tmp_path / "events_cm.tif", depth_cm, dtype="float32")
    (tmp_path / "events.csv").write_text(
        "band,frequency\n" + "".join(f"{b},0.01\n" for b in range(1, n + 1)), encoding="utf-8"
    )
    hazard = {
        "id": "f",
        "type": "river_flood",
        "intensity": "events_cm.tif",
        "events": "events.csv",
        "curve": "flood_step_1m",
    }
    result = _run(tmp_path, [hazard])
    peak = [w for w in result["warnings"] if w.startswith("hazards.f: values reach")]
    assert len(peak) == 1, result["warnings"]
    assert f"values reach {depth_cm.max():g} m" in peak[0]


def test_run_checks_the_engine_pictures_without_reading_the_grids_again(tmp_path, monkeypatch):
    """No second read of a hazard grid: the validator's sampler must not be called."""
    import mecc.check_samples
    import mecc.checks

    def refuse(*args, **kwargs):
        raise AssertionError("the hazard grid was read a second time")

    monkeypatch.setattr(mecc.check_samples, "sample_bands", refuse)
    monkeypatch.setattr(mecc.checks, "plausibility_warnings", refuse)
    depth = _depth_cm()
    result = _run(tmp_path, [_flood(tmp_path, depth, name="cm.tif")])
    assert any(f"values reach {float(depth.max()):g} m" in w for w in result["warnings"])


def _combined(folder, tsunami) -> dict:
    folder.mkdir()
    _raster(folder / "pga.tif", np.full((SIDE, SIDE), 7.0), dtype="float32")
    _raster(folder / "tsu.tif", tsunami, dtype="float32")
    return {
        "id": "qt",
        "type": "earthquake",
        "scenario": "s",
        "combine": "max",
        "components": [
            {"type": "earthquake", "intensity": "pga.tif", "curve": "eq_mmi6_survivors"},
            {"type": "tsunami", "intensity": "tsu.tif", "curve": "tsunami_step_0.7m"},
        ],
    }


def test_run_samples_a_combined_hazards_small_component_grids(tmp_path):
    """The engine keeps no pictures of components: small grids are sampled as validate does."""
    depth = _depth_cm()  # the tsunami in centimetres
    result = _run(tmp_path / "run", [_combined(tmp_path / "run", depth)])
    peak = [w for w in result["warnings"] if "values reach" in w]
    assert len(peak) == 1, result["warnings"]
    assert f"values reach {float(depth.max()):g} m" in peak[0] and "tsu.tif" in peak[0]


def test_run_names_component_grids_too_large_to_sample(tmp_path, monkeypatch):
    import mecc.run_checks

    monkeypatch.setattr(mecc.run_checks, "SAMPLE_BUDGET", SIDE * SIDE - 1)
    result = _run(tmp_path / "run", [_combined(tmp_path / "run", _depth_cm())])
    skipped = [w for w in result["warnings"] if "not checked for plausibility" in w]
    assert len(skipped) == 1, result["warnings"]  # once for the hazard
    assert skipped[0].startswith("hazards.qt: ") and "pga.tif" in skipped[0]
    assert "tsu.tif" in skipped[0] and f"{2 * SIDE * SIDE:,} values" in skipped[0]
    assert not any("values reach" in w for w in result["warnings"])


# ------------------------------------------------------- people without hazard data


def test_run_warns_once_when_a_hazard_covers_half_the_people(tmp_path, cli):
    """Shaking over the southern half only; the northern half is nodata. Run through the
    command line on 3 x 3 blocks: one warning (stderr and manifest), exit code 0."""
    mmi = np.full((SIDE, SIDE), 7.0, dtype=np.float32)
    mmi[: SIDE // 2] = -1.0  # declared nodata
    _raster(tmp_path / "pop.tif", POP)
    run_file = _run_file(tmp_path, [_quake(tmp_path, mmi, name="half.tif", nodata=-1.0)])
    result = cli("run", run_file, "--out", tmp_path / "out", "--block-size", 16, "--no-map")
    assert result.exit_code == 0, result.stderr

    missing = POP[: SIDE // 2].sum()
    share = missing / POP.sum()
    expected = f"hazards.q: {missing:,.0f} people ({share:.0%} of the {POP.sum():,.0f}"
    printed = [line for line in result.stderr.splitlines() if "without hazard data" in line]
    assert len(printed) == 1, result.stderr
    assert printed[0].startswith(f"warning: {expected}")
    assert "(half.tif) band 1" in printed[0] and "count them as not displaced" in printed[0]
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    recorded = [w for w in manifest["warnings"] if "without hazard data" in w]
    assert recorded == [printed[0].removeprefix("warning: ")]
    assert manifest["parameters"]["blocks"] == 9  # counted per block, warned once


def test_people_without_data_name_the_worst_band_and_count_the_others(tmp_path):
    """Return periods: the 10-year map misses the last 3 rows, the 25-year map the first
    row, the 100-year map the last 10 rows."""
    missing = {10: np.s_[-3:], 25: np.s_[:1], 100: np.s_[-10:]}
    spec = {}
    for period, rows in missing.items():
        depth = np.full((SIDE, SIDE), 0.5, dtype=np.float32)
        depth[rows] = -9999.0
        _raster(tmp_path / f"rp{period}.tif", depth, nodata=-9999.0)
        spec[period] = f"rp{period}.tif"
    hazard = {"id": "f", "type": "river_flood", "return_periods": spec, "curve": "flood_step_1m"}
    result = _run(tmp_path, [hazard])
    found = [w for w in result["warnings"] if "without hazard data" in w]
    assert len(found) == 1, result["warnings"]
    total = POP.sum()
    shares = {period: POP[rows].sum() / total for period, rows in missing.items()}
    assert shares[10] > 0.05 > shares[25]  # so 2 of the 3 bands leave more than 5 %
    worst = POP[-10:].sum()
    assert f"hazards.f: {worst:,.0f} people ({worst / total:.0%} of the {total:,.0f}" in found[0]
    assert "(rp100.tif) band 1" in found[0]
    assert "2 of its 3 bands leave more than 5%" in found[0]


@pytest.mark.parametrize("cells, warned", [(4, False), (6, True)])
def test_the_share_of_people_without_data_that_warns(tmp_path, cells, warned):
    """10 x 10 cells of 100 people; ``cells`` of them have no hazard data: 4 % is below
    the threshold, 6 % above."""
    side = 10
    _raster(tmp_path / "pop.tif", np.full((side, side), 100.0))
    mmi = np.full((side, side), 7.0, dtype=np.float32)
    mmi.ravel()[:cells] = np.nan
    _raster(tmp_path / "mmi.tif", mmi, nodata=np.nan)
    hazard = {
        "id": "q",
        "type": "earthquake",
        "intensity": "mmi.tif",
        "scenario": "s",
        "curve": "eq_mmi6_survivors",
    }
    result = _run(tmp_path, [hazard])
    found = [w for w in result["warnings"] if "without hazard data" in w]
    assert result["summary"]["population_no_hazard_data"] == pytest.approx(100.0 * cells)
    if warned:
        assert len(found) == 1
        assert f"{100 * cells:,} people ({cells / 100:.0%} of the 10,000 on" in found[0]
    else:
        assert found == []


def test_sea_cells_a_hazard_marks_as_nodata_do_not_warn(tmp_path):
    """A third of the grid is sea: no people (population nodata) and hazard nodata."""
    pop = POP.copy()
    pop[:, : SIDE // 3] = -99999.0
    _raster(tmp_path / "pop.tif", pop, nodata=-99999.0)
    mmi = np.full((SIDE, SIDE), 7.0, dtype=np.float32)
    mmi[:, : SIDE // 3] = -1.0
    result = _run(tmp_path, [_quake(tmp_path, mmi, nodata=-1.0)])
    assert result["summary"]["population_no_hazard_data"] == 0.0
    assert result["summary"]["population_total"] == pytest.approx(POP[:, SIDE // 3 :].sum())
    assert result["warnings"] == []


def test_the_demo_country_gives_neither_warning(demo_folder):
    manifest = json.loads((demo_folder / "run" / "manifest.json").read_text(encoding="utf-8"))
    summary = json.loads((demo_folder / "run" / "summary.json").read_text(encoding="utf-8"))
    assert summary["population_no_hazard_data"] == 0.0
    for words in ("without hazard data", "values reach", "down to", "not checked", "only nodata"):
        assert not any(words in w for w in manifest["warnings"]), manifest["warnings"]
