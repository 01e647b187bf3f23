"""``mecc demo`` through the command line, and every file it writes read back.

The demo runs once per session (the ``demo_command`` fixture of tests/conftest.py);
these tests open each file with the reader a user would use (json, pandas with
``utf-8-sig``, rasterio, xarray, geopandas, a browser-free HTML check, openpyxl for
workbooks) and check the new hazards against independent numpy computations.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio
import yaml

from tests._run_inputs import demo_population

RUN_OUTPUTS = {
    "summary.json",
    "zones.csv",
    "zones_bands.csv",
    "bands.csv",
    "exceedance.csv",
    "results.nc",
    "zones.gpkg",
    "displaced.tif",
    "manifest.json",
    "map.html",
    "futures.csv",
    "attribution.csv",
    "futures.xlsx",
    "sendai.xlsx",
    "sendai.csv",
    "sendai_hxl.csv",
    "zones_disaggregated.csv",
}
"""The run contract's outputs (DESIGN.md) that the demo must write (it has futures, and a
census with cohorts and attributes)."""


def _read_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def _read_csv(path: Path, output: bool):
    raw = path.read_bytes()
    if output:
        assert raw.startswith(b"\xef\xbb\xbf"), f"{path.name}: CSV outputs start with a BOM"
    frame = pd.read_csv(path, encoding="utf-8-sig")
    assert len(frame.columns) >= 2 and not frame.columns[0].startswith("\ufeff")
    return frame


def _read_geotiff(path: Path):
    with rasterio.open(path) as src:
        assert src.crs is not None, f"{path.name}: no CRS"
        data = src.read(masked=True)
        assert data.shape == (src.count, src.height, src.width)
        return data


def _read_netcdf(path: Path):
    import xarray as xr

    with xr.open_dataset(path) as root:
        root.load()
        assert root.data_vars
    with xr.open_dataset(path, group="previews") as previews:
        previews.load()
    return root, previews


def _read_geopackage(path: Path):
    import geopandas as gpd
    import pyogrio

    frames = {}
    for name, geometry in pyogrio.list_layers(path):
        frame = gpd.read_file(path, layer=name)
        assert len(frame) > 0
        if geometry is None:  # the QGIS layer_styles table has no geometry
            assert name == "layer_styles" and "styleQML" in frame.columns
        else:
            assert frame.crs is not None
        frames[name] = frame
    return frames


def _read_html(path: Path):
    from mecc.offline import check_offline

    page = path.read_text(encoding="utf-8")
    if path.name == "index.html" and path.parent.parent.name == "training":
        for link in re.findall(r'href="([^"]+)"', page):  # the pack's own pages
            assert (path.parent / link).is_file(), link
    else:
        check_offline(page)  # nothing would be fetched from the network
    assert page.lstrip().lower().startswith("<!doctype html")
    return page


def _read_xlsx(path: Path):
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    rows = {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}
    assert any(rows.values())
    return rows


def read_back(path: Path, output: bool):
    """Open ``path`` with the reader its type needs; fail on a type without one."""
    suffix = path.suffix.lower()
    readers = {
        ".json": _read_json,
        ".tif": _read_geotiff,
        ".nc": _read_netcdf,
        ".gpkg": _read_geopackage,
        ".html": _read_html,
        ".xlsx": _read_xlsx,
        ".yaml": lambda p: yaml.safe_load(p.read_text(encoding="utf-8")),
    }
    if suffix == ".csv":
        return _read_csv(path, output)
    assert suffix in readers, f"{path}: no reader for {suffix} files; add one to this test"
    return readers[suffix](path)


def test_demo_command_prints_the_headlines(demo_command):
    from mecc.headlines import format_headline, headlines

    folder, result = demo_command
    run = folder / "run"
    summary = _read_json(run / "summary.json")
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"wrote {folder} (fictional demo country: inputs/, run/, profiles/ and training/)"
    )
    assert lines[1].strip() == f"map: {run / 'map.html'}"
    assert [line.strip() for line in lines[2:-3]] == [
        format_headline(record) for record in headlines(summary)
    ]
    assert lines[-3] == f"  profiles: {folder / 'profiles' / 'profiles.html'}"
    assert lines[-2] == f"  training pack: {folder / 'training' / 'en' / 'index.html'}"
    assert lines[-1] == f"open {run / 'map.html'} in a browser (works with no network)"
    # no progress bars (stderr is not a terminal); the run's warnings, as mecc run prints
    # them, one line each after the output
    warned = _read_json(run / "manifest.json")["warnings"]
    assert result.stderr.splitlines() == [f"warning: {w}" for w in warned]


def test_every_demo_file_reads_back(demo_folder):
    files = sorted(p for p in demo_folder.rglob("*") if p.is_file())
    run = demo_folder / "run"
    names = {p.name for p in files if p.parent == run}
    assert names >= RUN_OUTPUTS, sorted(RUN_OUTPUTS - names)
    hidden = [p.relative_to(demo_folder) for p in files if p.name.startswith(".")]
    markers = [Path(p, ".mecc-output.json") for p in ("", "profiles", "training")]
    assert hidden == markers, "staging files left behind"
    read = {}
    for path in files:
        read[path.relative_to(demo_folder).as_posix()] = read_back(path, output=path.parent == run)
    # the run's outputs, 3 x 9 flood maps (baseline and two futures) and the other inputs
    assert len(read) == len(files) > len(RUN_OUTPUTS) + 27

    summary = read["run/summary.json"]
    manifest = read["run/manifest.json"]
    assert read["demo.json"]["run_file"] == "inputs/run.yaml"
    assert read["inputs/run.yaml"]["country"] == summary["country"] == "XMR"
    # the per-cell grid has one band per hazard, in the summary's order
    with rasterio.open(run / "displaced.tif") as grid:
        assert list(grid.descriptions) == list(summary["hazards"])
    # the NetCDF store and the GeoPackage carry the same national and zone figures
    root, previews = read["run/results.nc"]
    assert set(previews.data_vars) and previews["intensity"].size > 0
    zones = read["run/zones.csv"]
    for level, frame in read["run/zones.gpkg"].items():
        if level == "layer_styles":
            continue
        rows = zones[(zones["level"] == int(level[-1])) & (zones["hazard_id"] == "earthquake")]
        merged = frame.merge(rows, on="zone_code", suffixes=("", "_csv"))
        assert len(merged) == len(frame)
        np.testing.assert_allclose(merged["earthquake_displaced"], merged["displaced"], rtol=1e-12)
    assert "Modelled estimate" in read["run/map.html"]
    recorded = {item["path"] for item in manifest["inputs"]}
    assert {"cyclone_wind.tif", "earthquake_mmi.tif", "population.tif"} <= recorded


def _grid(path: Path) -> np.ndarray:
    with rasterio.open(path) as src:
        return src.read(1, masked=True).filled(np.nan).astype(np.float64)


def test_demo_cyclone_matches_an_independent_computation(demo_folder):
    """Displaced = sum of people x curve(wind), with the curve's points and np.interp."""
    from hazards.library import curve_entries

    inputs, run = demo_folder / "inputs", demo_folder / "run"
    people = demo_population(inputs)  # sites' people added at their cells
    wind = _grid(inputs / "cyclone_wind.tif")
    curve = curve_entries()["tc_emanuel_kam2024_si"].curve("central")
    assert curve.kind == "linear"
    share = np.interp(np.nan_to_num(wind), curve.intensity, curve.share)
    expected = float(np.sum(people * np.where(wind > 0, share, 0.0)))
    summary = _read_json(run / "summary.json")["hazards"]["cyclone_wind"]
    assert summary["displaced"] == pytest.approx(expected, rel=1e-9)
    exposed = float(people[wind >= 17.5].sum())  # the 17.5 m/s exposure threshold
    assert summary["exposed"] == pytest.approx(exposed, rel=1e-9)
    # the track crosses the country: the wind grid is a real storm, not an empty field
    with rasterio.open(inputs / "cyclone_wind.tif") as src:
        tags = src.tags()
    assert json.loads(tags["parameters"])["track"]["file"] == "cyclone_track.csv"
    assert 30 < np.nanmax(wind) < 70 and 0 < summary["displaced"] < people.sum()


def test_demo_earthquake_matches_an_independent_computation(demo_folder):
    """eq_mmi6_survivors displaces everyone at MMI VI or above, i.e. MMI >= 5.5."""
    inputs, run = demo_folder / "inputs", demo_folder / "run"
    people = demo_population(inputs)  # sites' people added at their cells
    mmi = _grid(inputs / "earthquake_mmi.tif")
    summary = _read_json(run / "summary.json")["hazards"]["earthquake"]
    assert summary["displaced"] == pytest.approx(float(people[mmi >= 5.5].sum()), rel=1e-9)
    assert summary["exposed"] == pytest.approx(float(people[mmi >= 4.5].sum()), rel=1e-9)
    assert 0 < summary["displaced"] < summary["exposed"] < people.sum()
    with rasterio.open(inputs / "earthquake_mmi.tif") as src:
        parameters = json.loads(src.tags()["parameters"])
    assert parameters["magnitude"] == 5.8 and parameters["equation"] == "allen2012_rrup"


def test_demo_exercises_every_generator_and_is_labelled_fictional(demo_folder):
    run_file = yaml.safe_load((demo_folder / "inputs" / "run.yaml").read_text(encoding="utf-8"))
    kinds = {
        (h["type"], next(k for k in ("return_periods", "events", "scenario", "dem") if k in h))
        for h in run_file["hazards"]
    }
    assert {
        ("river_flood", "return_periods"),
        ("river_flood", "events"),
        ("tropical_cyclone", "scenario"),
        ("coastal_flood", "scenario"),
        ("earthquake", "scenario"),
        ("sea_level_rise", "dem"),
    } <= kinds
    assert "fictional" in run_file["name"]
    for hazard in run_file["hazards"]:
        if "scenario" in hazard:
            assert "fictional" in hazard["scenario"]
    page = (demo_folder / "run" / "map.html").read_text(encoding="utf-8")
    assert "fictional" in page


def test_readme_tour_shows_what_the_demo_prints(demo_command):
    """The README's five-minute tour quotes `mecc demo`'s output: the engine's figures."""
    folder, result = demo_command
    printed = result.stdout.replace(str(folder), "demo-output")
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    start = readme.index("```text\nwrote demo-output") + len("```text\n")
    assert readme[start : readme.index("```", start)] == printed
