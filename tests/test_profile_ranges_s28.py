"""A profile's curve-variant ranges are the lowest to the highest of the central figure
and the variants, as on the map and in sendai.csv, even where the variants cross; a
Sendai range's hover text names the curves it comes from.

A probe gave the demo's river_flood variants that cross (``low`` displacing more people
than ``high``, both more than the central curve): Corrim's profile said "about 3,600
people (range 5,500–4,500)" (descending, without the central figure) and showed the raw
``_low`` / ``_high`` of zones.csv under the key figures and the needs. Its B-3 range of
river_flood_years, which comes from the damage-state curve's variants (the displacement
curve has none), was said to come from "low and high displacement curves of the run".

A real run of a small synthetic country (GeoTIFFs and a GeoPackage in tmp_path): 10 x 20
cells of 100 people; units W (columns 0-7), M (8-13) and E (14-19); water 0.02 + 0.15 x
column metres deep in the 10-year map, 1.5 times that in the 100-year map. The hazards:

- ``rp``: the return-period maps, central curve a step at 1 m, variants ``low`` (60 % from
  0.2 m) and ``high`` (everyone from 0.9 m), which cross; the damage-state curve
  ``flood_damage_states_jrc_south_america`` (with its own low / high variants);
- ``rq``: the same maps and damage-state curve, a step at 1 m given in the run file as
  its displacement curve (without variants);
- ``eq``: an earthquake scenario (MMI 5 to 9 across the columns), ``survivors_step``
  curves with fatality models whose variants cross as well (A-2 ranges).

By hand, W's 10-year map: the central curve displaces column 7 (1,000 people), ``low``
columns 2-7 x 0.6 (3,600), ``high`` columns 6-7 (2,000); the 100-year map: 3,000, 4,200
and 4,000. The expected ranges are otherwise computed here from zones.csv (the minimum
and maximum of central, low and high).
"""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import yaml
from affine import Affine
from shapely.geometry import box

from mecc.profile_text import ProfileText
from mecc.profiles import build_profiles
from mecc.run import run_country
from tests.conftest import write_raster

CELL = 0.01
TRANSFORM = Affine(CELL, 0, 30.0, 0, -CELL, 0.1)
UNITS = {"W": (0, 8), "M": (8, 14), "E": (14, 20)}
CROSSING = {
    "low": {"intensity": [0.2, 0.2, 10], "share": [0, 0.6, 0.6]},
    "high": {"intensity": [0.9, 0.9, 10], "share": [0, 1, 1]},
}
DAMAGE = "flood_damage_states_jrc_south_america"
STEP = {"intensity": [1, 1, 10], "share": [0, 1, 1]}  # a run file's curve: no variants


def _quake(threshold, theta):
    fatality = {"model": "lognormal", "theta": theta, "beta": 0.2}
    return {"survivors_step": {"threshold": threshold, "fatality": fatality}}


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("crossing")
    write_raster(folder / "pop.tif", np.full((10, 20), 100.0, "float32"), TRANSFORM, nodata=-1)
    depth = np.tile(np.arange(20) * 0.15 + 0.02, (10, 1)).astype("float32")
    write_raster(folder / "d10.tif", depth, TRANSFORM, nodata=-9999)
    write_raster(folder / "d100.tif", depth * 1.5, TRANSFORM, nodata=-9999)
    mmi = np.tile(np.linspace(5, 9, 20), (10, 1)).astype("float32")
    write_raster(folder / "mmi.tif", mmi, TRANSFORM, nodata=-9999)
    geometries = [box(30.0 + a * CELL, 0.0, 30.0 + b * CELL, 0.1) for a, b in UNITS.values()]
    frame = gpd.GeoDataFrame({"code": list(UNITS)}, geometry=geometries, crs=4326)
    frame.to_file(folder / "z.gpkg", layer="z")
    maps = {10: "d10.tif", 100: "d100.tif"}
    flood = {"type": "river_flood", "return_periods": maps, "curve": "flood_step_1m"}
    config = {
        "country": "VUT",
        "population": {"path": "pop.tif", "kind": "count"},
        "zones": {"path": "z.gpkg", "layer": "z", "code_field": "code", "level": 1},
        "hazards": [
            {"id": "rp", **flood, "variants": CROSSING, "damage_curve": DAMAGE},
            {"id": "rq", **flood, "curve": STEP, "damage_curve": DAMAGE},
            {
                "id": "eq",
                "type": "earthquake",
                "intensity": "mmi.tif",
                "scenario": "test quake",
                "curve": _quake(5.5, 11),
                "variants": {"low": _quake(6.5, 12), "high": _quake(5.0, 10)},
            },
        ],
    }
    (folder / "run.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    run_country(folder / "run.yaml", folder / "run", with_map=False)
    return folder / "run"


@pytest.fixture(scope="module")
def pages(run) -> dict:
    """The English profile's pages by zone code."""
    return _pages(build_profiles(run, zones=list(UNITS)))


def _pages(document: str) -> dict:
    found = re.split(r'<section class="page" data-zone="', document)[1:]
    return {page.split('"', 1)[0]: page for page in found}


def _zones(run) -> pd.DataFrame:
    table = pd.read_csv(run / "zones.csv", encoding="utf-8-sig", dtype={"zone_code": str})
    return table.set_index(["zone_code", "hazard_id"])


def _ends(row, column) -> tuple[float, float]:
    """The range as the map shows it: min and max of central, low and high."""
    values = [row[column], row[f"{column}_low"], row[f"{column}_high"]]
    return min(values), max(values)


def _round(value) -> float:
    """A sentence's rounding: nearest 1 below 10, 10 below 1,000, 100 below 100,000."""
    step = 1 if value < 10 else 10 if value < 1_000 else 100 if value < 100_000 else 1_000
    return np.floor(value / step + 0.5) * step


def test_the_variants_of_the_run_really_cross(run):
    """The set-up, by hand: W's figures with ``low`` above ``high`` above the central."""
    zones = _zones(run)
    w = zones.loc[("W", "rp")]
    assert (w["pmd_10"], w["pmd_10_low"], w["pmd_10_high"]) == pytest.approx((1000, 3600, 2000))
    assert (w["pmd_100"], w["pmd_100_low"], w["pmd_100_high"]) == pytest.approx((3000, 4200, 4000))
    quake = zones.xs("eq", level="hazard_id").loc[list(UNITS)]
    assert (quake["displaced_low"] > quake["displaced_high"]).sum() >= 2


def test_sentences_give_the_range_from_lowest_to_highest_around_the_central(run, pages):
    zones = _zones(run)
    for code in UNITS:
        for hid, column in (("rp", "pmd_100"), ("rq", "pmd_100"), ("eq", "displaced")):
            row = zones.loc[(code, hid)]
            sentence = re.search(
                rf'<p class="sentence" data-hazard="{hid}" data-figure="{column}"[^>]*>(.*?)</p>',
                pages[code],
            )[1]
            shown = re.search(r"\(range ([\d,]+)–([\d,]+)\)", unescape(sentence))
            if hid == "rq":  # no variants: no range
                assert shown is None, sentence
                continue
            low, high = (float(v.replace(",", "")) for v in shown.groups())
            expected = tuple(_round(v) for v in _ends(row, column))
            assert (low, high) == expected, (code, hid, sentence)
            assert low <= _round(row[column]) <= high
    w = unescape(re.search(r'data-hazard="rp"[^>]*>(.*?)</p>', pages["W"])[1])
    assert "about 3,000 people (range 3,000–4,200)" in w


def test_key_figures_show_the_range_from_lowest_to_highest(run, pages):
    zones = _zones(run)
    num = ProfileText("en").num
    seen = 0
    for code in UNITS:
        for hid, columns in (
            ("rp", ("aad", "pmd_10", "pmd_25", "pmd_50", "pmd_100")),
            ("eq", ("displaced",)),
        ):
            row = zones.loc[(code, hid)]
            for column in columns:
                cell = re.search(
                    rf'<td data-hazard="{hid}" data-figure="{column}"[^>]*>(.*?)</td>',
                    pages[code],
                )[1]
                span = re.search(r'<span class="range">([^<]*)</span>', cell)[1]
                low, high = _ends(row, column)
                assert span == f"{num(low)}–{num(high)}", (code, hid, column)
                seen += row[f"{column}_low"] > row[f"{column}_high"]  # a crossing one
    assert seen >= 5
    w = pages["W"]
    assert '<span class="range">1,000–3,600</span>' in w  # pmd_10, by hand
    assert '<span class="range">3,000–4,200</span>' in w  # pmd_100, by hand


def test_needs_show_the_range_from_lowest_to_highest(run, pages):
    """W's needs are for rp's 100-year figure: 3,000 people (range 3,000–4,200); water
    at 15 litres a person a day: 45,000 (45,000–63,000)."""
    zones = _zones(run)
    num = ProfileText("en").num
    for code in UNITS:
        low, high = _ends(zones.loc[(code, "rp")], "pmd_100")
        water = re.search(r'<td data-need="water"[^>]*>(.*?)</td>', pages[code])[1]
        span = re.search(r'<span class="range">([^<]*)</span>', water)[1]
        assert span == f"{num(low * 15)}–{num(high * 15)}", code
    water = re.search(r'<td data-need="water"[^>]*>(.*?)</td>', pages["W"])[1]
    assert water.startswith("45,000 litres per day") and "45,000–63,000" in water


def _sendai_spans(page: str) -> dict:
    """``{row label: [span attributes]}`` of the Sendai table's ranges."""
    table = re.search(r'<table class="sendai">(.*?)</table>', page, re.S)[1]
    out = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table):
        label = re.search(r'<td class="left">(.*?)</td>', row)
        if label:
            spans = re.findall(r'<span class="range"([^>]*)>', row)
            out[unescape(label[1])] = [dict(re.findall(r'(\S+)="([^"]*)"', s)) for s in spans]
    return out


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_sendai_hover_text_names_the_curves_of_the_range(run, lang):
    """B-3, B-4 (and B-1) ranges come from the damage-state curve's variants, also for
    ``rq``, whose displacement curve has none; A-2's from the displacement curves'."""
    words = ProfileText(lang).words
    damage, curves = words["sendai_range_damage_title"], words["sendai_range_curves_title"]
    assert damage != curves
    sendai = pd.read_csv(run / "sendai.csv", encoding="utf-8-sig", dtype=str)
    page = _pages(build_profiles(run, lang=lang, zones=["W"]))["W"]
    spans = _sendai_spans(page)
    per_year = {"en": "per year", "fr": "par an", "es": "por año"}[lang]
    checked = 0
    for indicator, hid, title, which in (
        ("B-3", "rp", damage, "damage"),
        ("B-4", "rp", damage, "damage"),
        ("B-3", "rq", damage, "damage"),
        ("B-4", "rq", damage, "damage"),
        ("A-2", "eq", curves, "displacement"),
    ):
        mine = sendai[
            (sendai["admin_code"] == "W")
            & (sendai["hazard_id"] == hid)
            & (sendai["indicator_code"] == indicator)
            & sendai["breakdown"].isna()
            & sendai["measure"].isin(["expected_annual", "scenario"])
            & sendai["unit"].str.startswith("people")
        ]
        assert len(mine) == 1 and float(mine["low"].iloc[0]) < float(mine["high"].iloc[0])
        label = f"{indicator} ({hid}, {per_year})" if hid != "eq" else f"{indicator} ({hid})"
        for attrs in spans[label]:  # the people and the rate per 100,000
            assert unescape(attrs["title"]) == unescape(title), (label, attrs)
            assert (attrs["data-range"], attrs["data-curves"]) == ("curves", which)
            checked += 1
    assert checked == 10
    if lang == "en":
        assert "damage-state curves" in damage and "displacement curves" in curves
