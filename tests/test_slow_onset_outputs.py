"""Outputs of runs with slow-onset hazards: drought is exposure, not displacement.

A drought's people are per severity class: its ``displaced`` is blank (not applicable) in
bands.csv, zones_bands.csv and summary.json; ``mecc profile`` gives its classes (never a
displacement sentence); ``mecc needs`` leaves it out with a note. displaced.tif has a unit
and tags per band (sea-level rise: people at risk of planned relocation; a drought's band
is NaN, not applicable). The profile says what each hazard's range is (curve variants, or
the DEM raised and lowered by 1 m for sea-level rise).

The inputs are hand-built (a coast of 7 x 5 cells, two units); every expected figure
below is counted by hand from ``PEOPLE``, ``DEM`` and ``SPEI``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
import rasterio

from mecc.errors import DataError
from tests.test_slow_onset import DEM, PEOPLE, T

# tests/test_slow_onset.py's coast: the sea (column 0), a coastal plain (columns 1-2), a 4 m
# ridge, an enclosed hollow
# SPEI per column: deficit 0.5 (none), 1.2 moderate, 1.6 severe, 2.5 extreme, no data,
# -0.3 (none), 1.0 moderate (the class bound itself)
SPEI = np.array([[-0.5, -1.2, -1.6, -2.5, np.nan, 0.3, -1.0]] * 5)
# people per column: 0, 92, 122, 25, 314, 314, 35; unit A = columns 0-3, unit B = 4-6
CLASSES_A = {"moderate": 92.0, "severe": 122.0, "extreme": 25.0}
CLASSES_B = {"moderate": 35.0, "severe": 0.0, "extreme": 0.0}
# sea-level rise: water at 0.5 m high tide + 0.2 m datum offset + 0.6 m rise = 1.3 m; the
# connected plain cells below it: 0.4 (10 people), 1.2 (20), 0.6 (30), 0.9 (40)
AT_RISK = 10.0 + 20.0 + 30.0 + 40.0

SLR = (
    "  - {id: slr, type: sea_level_rise, dem: dem.tif, dem_datum: EGM2008, high_tide: 0.5,\n"
    "     tide_datum: MSL, slr: 0.6, slr_baseline: MSL, datum_offsets: {MSL: 0.2}}\n"
)
DROUGHT = "  - {id: dry, type: drought, intensity: spei.tif, unit: SPEI, scenario: 2022 drought}\n"
# a scenario flood: 2 m in column 5 (everyone displaced by the 1 m step, 314 people)
SCENARIO = (
    "  - {id: storm, type: river_flood, intensity: depth.tif, scenario: Storm X,\n"
    "     curve: flood_step_1m}\n"
)
MAPS = (
    "  - {id: rf, type: river_flood, return_periods: {10: rp10.tif, 100: rp100.tif},\n"
    "     curve: flood_step_1m}\n"
)


def _units_geojson(path):
    def box(code, x0, x1):
        ring = [[x0, 39.95], [x1, 39.95], [x1, 40.0], [x0, 40.0], [x0, 39.95]]
        return {
            "type": "Feature",
            "properties": {"code": code, "name": f"Unit {code}"},
            "geometry": {"type": "Polygon", "coordinates": [ring]},
        }

    features = [box("A", 20.0, 20.04), box("B", 20.04, 20.07)]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    from tests.conftest import write_raster

    folder = tmp_path_factory.mktemp("slow_onset_outputs")
    write_raster(folder / "dem.tif", DEM, transform=T)
    write_raster(folder / "pop.tif", PEOPLE, transform=T)
    write_raster(folder / "spei.tif", SPEI, transform=T)
    depth = np.zeros_like(DEM)
    depth[:, 5] = 2.0
    write_raster(folder / "depth.tif", depth, transform=T)
    rp10, rp100 = np.zeros_like(DEM), np.zeros_like(DEM)
    rp100[:, 6] = 1.5
    write_raster(folder / "rp10.tif", rp10, transform=T)
    write_raster(folder / "rp100.tif", rp100, transform=T)
    _units_geojson(folder / "units.geojson")
    return folder


def _write_run_file(folder, name, hazards):
    path = folder / f"{name}.yaml"
    path.write_text(
        "country: XXS\nname: Coastland\npopulation: {path: pop.tif}\n"
        "zones: {path: units.geojson, code_field: code, name_field: name, level: 1}\n"
        "hazards:\n" + hazards
    )
    return path


def _wired(monkeypatch):
    """Build displaced.tif as ``CellGridWriter.for_hazards`` does, also while run.py still
    makes its writer with the dataset tags alone (run.py is outside this change: the
    report proposes the one-line call); once run.py calls ``for_hazards``, this changes
    nothing."""
    import mecc.run as run_module
    from mecc.cell_grid import CellGridWriter

    if not hasattr(CellGridWriter, "for_hazards"):
        return  # the writer before this change: run.py's own call
    seen = {}
    load = run_module.load_inputs

    def load_inputs(config):
        population, zones, hazards = load(config)
        seen["hazards"] = hazards
        return population, zones, hazards

    class Writer(CellGridWriter):
        def __init__(self, path, grid, names, tags=None, **options):
            if not options:  # run.py's call before the change: the hazards' own metadata
                options = self.options_for(seen["hazards"], (tags or {}).get("note", ""))
                tags = options.pop("tags")
            super().__init__(path, grid, names, tags, **options)

    monkeypatch.setattr(run_module, "load_inputs", load_inputs)
    monkeypatch.setattr(run_module, "CellGridWriter", Writer)


@pytest.fixture(scope="module")
def runs(inputs):
    """Two finished runs: drought alone, and all four kinds together."""
    from mecc.run import run_country

    out = {}
    patch = pytest.MonkeyPatch()
    _wired(patch)
    try:
        for name, hazards in {
            "only_drought": DROUGHT,
            "mixed": MAPS + SCENARIO + SLR + DROUGHT,
            "slr_drought": SLR + DROUGHT,
        }.items():
            run_file = _write_run_file(inputs, name, hazards)
            run_country(run_file, inputs / name, with_map=False)
            out[name] = inputs / name
    finally:
        patch.undo()
    return out


def _csv(path):
    return pd.read_csv(path, encoding="utf-8-sig")


# ----------------------------------------------------------------- the tables (defect 3)


def test_drought_displaced_is_blank_in_bands_csv_and_summary(runs):
    bands = _csv(runs["mixed"] / "bands.csv")
    assert "displaced" in bands.columns  # the column contract: the column stays
    dry = bands[bands["hazard_id"] == "dry"]
    assert len(dry) == 1
    assert dry["exposed"].iloc[0] == sum(CLASSES_A.values()) + sum(CLASSES_B.values())
    assert np.isnan(dry["displaced"].iloc[0])  # not 35 + 92: nobody is displaced
    slr = bands[bands["hazard_id"] == "slr"].set_index("band")
    assert slr.loc["dem", "displaced"] == AT_RISK  # sea-level rise keeps its count
    summary = json.loads((runs["mixed"] / "summary.json").read_text())
    item = summary["hazards"]["dry"]
    assert [b["displaced"] for b in item["bands"]] == [None]
    assert item["bands"][0]["exposed"] == 274.0
    assert item["classes"] == {"moderate": 127.0, "severe": 122.0, "extreme": 25.0}
    assert item["scenario"] == "2022 drought"
    assert summary["hazards"]["slr"]["bands"][0]["displaced"] == AT_RISK


def test_drought_displaced_is_blank_per_unit_in_zones_bands_csv(runs):
    rows = _csv(runs["only_drought"] / "zones_bands.csv").set_index("zone_code")
    assert "displaced" in rows.columns
    assert rows["displaced"].isna().all()
    assert rows.loc["A", "exposed"] == sum(CLASSES_A.values())
    assert rows.loc["B", "exposed"] == sum(CLASSES_B.values())
    assert rows.loc["B", "no_hazard_data"] == 314.0  # column 4 has no SPEI


# --------------------------------------------------------------- displaced.tif (3 and 4)


def test_displaced_tif_has_a_unit_and_tags_per_band(runs):
    with rasterio.open(runs["mixed"] / "displaced.tif") as src:
        assert src.descriptions == ("rf", "storm", "slr", "dry")
        assert src.units == (
            "people per year",
            "people",
            "people at risk of planned relocation",
            None,
        )
        tags = [src.tags(k) for k in range(1, 5)]
        data = src.read()
        dataset = src.tags()
    assert [t["hazard_id"] for t in tags] == ["rf", "storm", "slr", "dry"]
    assert [t["hazard_type"] for t in tags] == [
        "river_flood",
        "river_flood",
        "sea_level_rise",
        "drought",
    ]
    assert "expected annual displacement" in tags[0]["meaning"]
    assert "Storm X" in tags[1]["meaning"]
    assert "not per year" in tags[2]["meaning"]
    assert tags[3]["meaning"].startswith("not applicable")
    assert [t["modelled_estimate"] for t in tags][:3] == ["yes"] * 3
    # the dataset's tags hold for the mix: no single unit, each band's named
    assert dataset["units"].startswith("per band")
    assert "slr: people at risk of planned relocation" in dataset["units"]
    assert "per-cell expected annual displacement" not in dataset.get("meaning", "")
    # values: the scenario displaces column 5, the sea takes the four plain cells
    storm = np.zeros_like(PEOPLE)
    storm[:, 5] = PEOPLE[:, 5]
    np.testing.assert_array_equal(data[1], storm)
    at_risk = np.zeros_like(PEOPLE)
    at_risk[1:3, 1:3] = PEOPLE[1:3, 1:3]
    np.testing.assert_array_equal(data[2], at_risk)
    assert np.isnan(data[3]).all()  # drought: not applicable, never 0


def test_gdalinfo_shows_each_bands_unit_and_tags(runs):
    if shutil.which("gdalinfo") is None:  # CI installs gdal-bin (.ci/run): never skipped there
        if os.environ.get("CI") == "true":
            pytest.fail("CI must install GDAL's gdalinfo (.ci/run installs gdal-bin)")
        pytest.skip("needs GDAL's gdalinfo (apt-get install gdal-bin)")
    done = subprocess.run(
        ["gdalinfo", "-json", str(runs["slr_drought"] / "displaced.tif")],
        capture_output=True,
        text=True,
        check=True,
    )
    info = json.loads(done.stdout)
    bands = info["bands"]
    assert [b.get("unit") for b in bands] == ["people at risk of planned relocation", None]
    assert bands[0]["metadata"][""]["kind"] == "relocation"
    assert bands[1]["metadata"][""]["figure"] == "not applicable"
    assert "drought" in info["metadata"][""]["meaning"]


def test_only_drought_run_keeps_one_band_of_nan(runs):
    with rasterio.open(runs["only_drought"] / "displaced.tif") as src:
        assert src.count == 1 and src.descriptions == ("dry",)
        assert np.isnan(src.read(1)).all()
        assert np.isnan(src.read(1, out_shape=(1, 2, 4))).all()  # overviews too
        assert "not applicable" in src.tags()["units"]


def test_mecc_run_itself_writes_the_units(inputs, tmp_path):
    from mecc.run import run_country

    run_file = _write_run_file(inputs, "wiring", SLR)
    run_country(run_file, tmp_path / "out", with_map=False)
    with rasterio.open(tmp_path / "out" / "displaced.tif") as src:
        assert src.units == ("people at risk of planned relocation",)


# -------------------------------------------------------------------- profiles (1 and 5)


def _page(html_text, code):
    page = html_text[html_text.index(f'data-zone="{code}"') :]
    return page[: page.index("</section>")]


def _text(fragment):
    import html

    return html.unescape(re.sub(r"<[^>]+>", " ", fragment))


def test_profile_of_a_drought_run_gives_people_per_class(runs, cli, tmp_path):
    result = cli("profile", runs["only_drought"], "--out", tmp_path / "p", "--no-pdf")
    assert result.exit_code == 0, result.output
    page = _page((tmp_path / "p" / "profiles.html").read_text(encoding="utf-8"), "A")
    sentence = re.search(r'<p class="sentence" data-hazard="dry"[^>]*>(.*?)</p>', page)
    text = _text(sentence.group(1))
    # 92 -> about 90, 122 -> about 120, 25 -> about 30 (nearest 10 below 1,000)
    assert "moderate: about 90; severe: about 120; extreme: about 30" in text
    assert "2022 drought" in text
    assert "not count them as displaced" in text
    sentences = " ".join(re.findall(r'<p class="sentence".*?</p>', page))
    assert sentences.count('class="sentence"') == 1 and "may lose" not in sentences
    assert "lose their homes" not in page  # the caveat of displacement hazards neither
    for name, value in CLASSES_A.items():
        assert f'data-figure="drought_{name}" data-value="{value!r}"' in page
    assert 'data-figure="displaced"' not in page
    assert "people exposed (not displaced)" in page


@pytest.mark.parametrize(
    ("lang", "words"),
    [("fr", "modérée : environ 90 ; sévère : environ 120"), ("es", "moderada: unas 90; severa")],
)
def test_drought_sentence_in_french_and_spanish(runs, cli, tmp_path, lang, words):
    out = tmp_path / lang
    result = cli("profile", runs["only_drought"], "--out", out, "--no-pdf", "--lang", lang)
    assert result.exit_code == 0, result.output
    assert words in _text(_page((out / "profiles.html").read_text(encoding="utf-8"), "A"))


def test_ranges_note_says_what_each_hazards_range_is(runs, cli, tmp_path):
    cli("profile", runs["slr_drought"], "--out", tmp_path / "s", "--no-pdf")
    cli("profile", runs["mixed"], "--out", tmp_path / "m", "--no-pdf")
    slr = _text(_page((tmp_path / "s" / "profiles.html").read_text(encoding="utf-8"), "A"))
    mixed = _text(_page((tmp_path / "m" / "profiles.html").read_text(encoding="utf-8"), "A"))
    curves = "low and high displacement curves of the run (curve variants)"
    dem = "raised and lowered by 1 m"
    assert dem in slr and curves not in slr  # only sea-level rise has a range here
    assert dem in mixed and curves in mixed  # both kinds: both said
    # the sea-level rise figure and its range (DEM lowered: +50 +4; raised: 0)
    assert "At risk of planned relocation" in slr
    assert "100" in slr and "0–154" in slr


@pytest.mark.parametrize("lang", ["fr", "es"])
def test_ranges_note_of_sea_level_rise_in_other_languages(runs, cli, tmp_path, lang):
    cli("profile", runs["slr_drought"], "--out", tmp_path / lang, "--no-pdf", "--lang", lang)
    page = (tmp_path / lang / "profiles.html").read_text(encoding="utf-8")
    assert {"fr": "relevé et abaissé de 1 m", "es": "elevado y bajado 1 m"}[lang] in page
    assert {"fr": "variantes de courbe", "es": "variantes de curva"}[lang] not in page


# ----------------------------------------------------------------------- needs (defect 2)


def test_needs_of_a_drought_only_run_is_one_line(runs, cli, tmp_path):
    from mecc.map_data import read_run
    from mecc.needs import load_needs_profile, needs_table

    result = cli("needs", runs["only_drought"], "--out", tmp_path / "n")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "no displaced people to plan for" in lines[0]
    assert "drought" in lines[0]
    assert not (tmp_path / "n").exists()
    with pytest.raises(DataError, match="hazard chosen"):
        needs_table(read_run(runs["mixed"]), load_needs_profile("sphere"), hazard_id="dry")


def test_needs_leave_the_drought_and_sea_level_rise_out(runs, cli, tmp_path):
    """A drought (exposed people) and sea-level rise (people at risk of planned relocation
    by a horizon decades away) have no emergency caseload: with nothing else, needs stops
    in one line, writing nothing."""
    result = cli("needs", runs["slr_drought"], "--out", tmp_path / "n")
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "dry" in lines[0] and "slr" in lines[0], lines
    assert not (tmp_path / "n").exists()


def test_needs_of_a_mixed_run_have_no_drought_rows(runs, cli, tmp_path):
    result = cli("needs", runs["mixed"], "--out", tmp_path / "n")
    assert result.exit_code == 0, result.output
    needs = _csv(tmp_path / "n" / "needs.csv")
    assert "dry" not in set(needs["hazard_id"])
    storm = needs[(needs["hazard_id"] == "storm") & (needs["need_id"] == "water")]
    assert storm.set_index("zone_code").loc["B", "displaced"] == 314.0


def test_the_map_draws_no_per_cell_layer_for_a_drought(runs, tmp_path):
    """A drought's band of displaced.tif is NaN (not applicable): the map leaves it out."""
    from mecc.maps import build_map

    page = build_map(runs["only_drought"], tmp_path / "map" / "map.html").read_text(
        encoding="utf-8"
    )
    assert "Displaced people per grid cell · dry" not in page


def test_profiles_give_no_minimum_needs_for_sea_level_rise(runs):
    """As needs.csv: people at risk of planned relocation by a far horizon are no daily
    caseload, so a profile page gives no rations for them (it did: 'Minimum needs if 95
    people are displaced (..., slr)')."""
    from mecc.profiles import build_profiles

    page = build_profiles(runs["slr_drought"])
    assert "Minimum needs if" not in page
    assert "planned relocation" in page  # the unit's figure is still said
