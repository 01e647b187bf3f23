"""Map popups give every curve-variant range from the lowest to the highest figure, the
central one inside, and say "per year" of an annual per-100,000 rate.

A real run of a small synthetic country (GeoTIFFs and a GeoPackage in tmp_path): 10 x 30
cells of 100 people; units A (columns 0-9), B (10-19) and C (20-29); a displacement site
of 50 people (not in the grid) in a cell of B. The flood ``rp`` has a 10- and a 100-year
map and curves that cross: the central curve displaces everyone at 1 m or more, ``low``
60 % from 0.2 m, ``high`` everyone from 0.9 m. Water of 0.5 m displaces people under
``low`` only, so there ``low`` gives more than the central curve and ``high``:

- baseline depths (10-year, 100-year): A 0.5 and 2 m, B 0 and 0.5 m, C dry;
- the future ``later``: C 0.5 and 0.95 m (its change: 0 central, more under both
  variants, the most under ``low``); A and B as at baseline;
- the scenario ``sc``: 2 m in A and B.

B has an official population of 40,000; A and C take the grid's. Every expected figure
is computed here from the depths, the curves and the people, not read from the run.
"""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import yaml
from affine import Affine
from shapely.geometry import box

from mecc.map_data import Numbers, labels
from mecc.maps import build_map
from mecc.run import run_country
from tests.conftest import write_raster
from tests.test_map_no_hazard_data import _page

CELL = 0.01
TRANSFORM = Affine(CELL, 0, 30.0, 0, -CELL, 0.1)
PEOPLE = 100.0  # per cell
UNITS = {"A": (0, 10), "B": (10, 20), "C": (20, 30)}
SITE = (4, 14)  # row, column of the site's cell (in B)
SITE_PEOPLE = 50.0
OFFICIAL = {"B": 40_000.0}
BASELINE = {"A": (0.5, 2.0), "B": (0.0, 0.5), "C": (0.0, 0.0)}  # 10-, 100-year depth (m)
FUTURE = {"A": (0.5, 2.0), "B": (0.0, 0.5), "C": (0.5, 0.95)}
SCENARIO = {"A": 2.0, "B": 2.0, "C": 0.0}
LOW = {"intensity": [0.2, 0.2, 10], "share": [0, 0.6, 0.6]}
HIGH = {"intensity": [0.9, 0.9, 10], "share": [0, 1, 1]}
PER_YEAR = {  # the popup's per-100,000 row of an annual figure, by denominator
    "en": ("Per 100,000 residents per year (population grid)",
           "Per 100,000 residents per year (official population)"),
    "fr": ("Pour 100 000 habitants par an (grille de population)",
           "Pour 100 000 habitants par an (population officielle)"),
    "es": ("Por cada 100 000 habitantes por año (cuadrícula de población)",
           "Por cada 100 000 habitantes por año (población oficial)"),
}  # fmt: skip
PER_EVENT = {  # ... and of a scenario's (people, not per year)
    "en": ("Per 100,000 residents (population grid)",
           "Per 100,000 residents (official population)"),
    "fr": ("Pour 100 000 habitants (grille de population)",
           "Pour 100 000 habitants (population officielle)"),
    "es": ("Por cada 100 000 habitantes (cuadrícula de población)",
           "Por cada 100 000 habitantes (población oficial)"),
}  # fmt: skip


def _share(curve: str, depth: float) -> float:
    """The run's three curves, written out: central step at 1 m, low 0.6 from 0.2 m,
    high 1 from 0.9 m (the depths used lie well away from every step)."""
    if curve == "central":
        return 1.0 if depth >= 1.0 else 0.0
    if curve == "low":
        return 0.6 if depth >= 0.2 else 0.0
    return 1.0 if depth >= 0.9 else 0.0


def _people() -> dict[str, float]:
    """People of each unit: its cells, and the site's 50 added in B."""
    people = {code: 10 * (b - a) * PEOPLE for code, (a, b) in UNITS.items()}
    people["B"] += SITE_PEOPLE
    return people


def _displaced(depths: dict, unit: str, curve: str) -> float:
    return _people()[unit] * _share(curve, depths[unit])


def _aad(maps: dict, unit: str, curve: str) -> float:
    """Trapezoid over exceedance probability between the 10- and the 100-year map."""
    ten, hundred = (_displaced({unit: maps[unit][k]}, unit, curve) for k in (0, 1))
    return (0.1 - 0.01) * (ten + hundred) / 2


def _grid(depths: dict) -> np.ndarray:
    grid = np.zeros((10, 30), "float32")
    for code, (a, b) in UNITS.items():
        grid[:, a:b] = depths[code]
    return grid


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("popup_ranges")
    people = np.full((10, 30), PEOPLE, "float32")
    write_raster(folder / "pop.tif", people, TRANSFORM, nodata=-1)
    for name, maps in (("base", BASELINE), ("future", FUTURE)):
        for k, period in enumerate((10, 100)):
            depths = {code: pair[k] for code, pair in maps.items()}
            write_raster(folder / f"{name}{period}.tif", _grid(depths), TRANSFORM, nodata=-9999)
    write_raster(folder / "sc.tif", _grid(SCENARIO), TRANSFORM, nodata=-9999)
    geometries = [box(30.0 + a * CELL, 0.0, 30.0 + b * CELL, 0.1) for a, b in UNITS.values()]
    codes = list(UNITS)
    frame = gpd.GeoDataFrame({"code": codes, "name": codes}, geometry=geometries, crs=4326)
    frame.to_file(folder / "z.gpkg", layer="z")
    (folder / "official.csv").write_text(
        "code,people\n" + "".join(f"{c},{v:.0f}\n" for c, v in OFFICIAL.items())
    )
    row, column = SITE
    lat, lon = 0.1 - (row + 0.5) * CELL, 30.0 + (column + 0.5) * CELL
    (folder / "sites.csv").write_text(
        "Site name,Latitude,Longitude,Individuals\n"
        "#loc+name,#geo+lat,#geo+lon,#affected+ind\n"
        f"Site S,{lat:.4f},{lon:.4f},{SITE_PEOPLE:.0f}\n"
    )
    config = {
        "country": "VUT",
        "population": {
            "path": "pop.tif",
            "kind": "count",
            "official": {"path": "official.csv", "code_column": "code", "value_column": "people"},
        },
        "zones": {"path": "z.gpkg", "layer": "z", "code_field": "code", "level": 1},
        "hazards": [
            {
                "id": "rp",
                "type": "river_flood",
                "curve": {"step": 1.0},
                "variants": {"low": LOW, "high": HIGH},
                "return_periods": {10: "base10.tif", 100: "base100.tif"},
            },
            {
                "id": "sc",
                "type": "river_flood",
                "curve": {"step": 1.0},
                "intensity": "sc.tif",
                "scenario": "t",
            },
        ],
        "futures": [
            {
                "id": "later",
                "hazards": {"rp": {"return_periods": {10: "future10.tif", 100: "future100.tif"}}},
            }
        ],
        "mobility": {
            "sites": {"path": "sites.csv", "in_population_grid": False},
            "allocation": {"radius_km": 40, "exponent": 2},
        },
    }
    (folder / "run.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    run_country(folder / "run.yaml", folder / "run", with_map=False)
    return folder / "run"


@pytest.fixture(scope="module")
def maps(run) -> dict:
    return {
        lang: _page(build_map(run, run.parent / f"map_{lang}" / "map.html", lang=lang))
        for lang in ("en", "fr", "es")
    }


def _plain(markup: str) -> str:
    return re.sub(r"[ \t\n]+", " ", re.sub(r"<[^>]+>", " ", markup)).strip()


def _rows(popup: str) -> dict[str, str]:
    """A popup's rows: label → its cell as plain text."""
    found = re.findall(r'<th scope="row">(.*?)</th><td>(.*?)</td></tr>', popup)
    return {_plain(label): _plain(cell) for label, cell in found}


def _layer(layers: dict, start: str) -> dict:
    (name,) = [n for n in layers if n.startswith(start)]
    return layers[name]


def _range(number, central, low, high) -> str:
    """The range as the map writes it: lowest to highest of the three figures."""
    values = (central, low, high)
    return f"range {number(min(values))} to {number(max(values))}"


def test_the_run_has_variants_that_cross(run):
    """As built: in B's 100-year map and in C's future change, ``low`` gives more than
    ``high`` (and than the central curve)."""
    assert _displaced({"B": 0.5}, "B", "low") == pytest.approx(0.6 * 10_050)
    assert _displaced({"B": 0.5}, "B", "high") == 0 == _displaced({"B": 0.5}, "B", "central")
    change = {c: _aad(FUTURE, "C", c) - _aad(BASELINE, "C", c) for c in ("central", "low", "high")}
    assert change == pytest.approx({"central": 0.0, "low": 540.0, "high": 450.0})


def test_future_change_range_runs_low_to_high_around_the_central(maps):
    number = Numbers(labels("en"))
    popups = _layer(maps["en"], "Change in average annual displacement, later · rp")
    for unit in UNITS:
        change = {
            c: _aad(FUTURE, unit, c) - _aad(BASELINE, unit, c) for c in ("central", "low", "high")
        }
        cell = _rows(popups[unit][2])["Change"]
        if unit == "C":  # 0 (central), 540 (low), 450 (high): 0 to 540, not 540 to 450
            assert cell == (
                f"{number(change['central'])} (central) {_range(number, **change)} "
                "(change with the low and with the high curve variants)"
            )
            assert "range 0 to 540 " in cell
        else:  # no change under any curve: no range
            assert cell == number(0.0)
        future = {c: _aad(FUTURE, unit, c) for c in ("central", "low", "high")}
        shown = _rows(popups[unit][2])["Future average annual displacement"]
        if max(future.values()) > 0:
            assert _range(number, **future) in shown


def test_allocation_popup_gives_the_range_as_the_hazard_popup(maps):
    number = Numbers(labels("en"))
    layers = maps["en"]
    host = _layer(layers, "People hosted per 1,000 residents (100-year map) · rp")
    hazard = _layer(layers, "Average annual displacement · rp")
    for unit in UNITS:
        depths = {unit: BASELINE[unit][1]}
        figures = {c: _displaced(depths, unit, c) for c in ("central", "low", "high")}
        cell = _rows(host[unit][2])["People displaced"]
        shown = _rows(hazard[unit][2])["100 years"]
        if max(figures.values()) == 0:  # C: a range of 0 to 0 says nothing
            assert cell == number(0.0) and shown == number(0.0)
            continue
        lowest, highest = min(figures.values()), max(figures.values())
        assert cell == (
            f"{number(figures['central'])} (central) curve variants {number(lowest)} to "
            f"{number(highest)}, not allocated"
        )
        assert shown.startswith(f"{number(figures['central'])} (central) ")
        assert f"range {number(lowest)} to {number(highest)} (curve variants)" in shown
    # the legend's national line: the units' totals, low (12,030) above high (10,000)
    totals = {
        c: sum(_displaced({u: BASELINE[u][1]}, u, c) for u in UNITS)
        for c in ("central", "low", "high")
    }
    assert totals == pytest.approx({"central": 10_000, "low": 12_030, "high": 10_000})
    lowest, highest = (number(f(totals.values())) for f in (min, max))
    assert (
        f"people displaced: {number(totals['central'])} (curve variants {lowest} to {highest}, "
        "not allocated)"
    ) in unescape(layers["_html"])
    # B: 0 central and high, 6,030 low (the probe's case: no range was shown)
    assert _rows(host["B"][2])["People displaced"] == (
        "0 (central) curve variants 0 to 6,030, not allocated"
    )


def test_site_popup_gives_the_range_around_the_central(maps):
    number = Numbers(labels("en"))
    html = maps["en"]["_html"]
    share = {c: SITE_PEOPLE * (0.1 - 0.01) / 2 * _share(c, 0.5) for c in ("central", "low", "high")}
    assert share == pytest.approx({"central": 0.0, "low": 1.35, "high": 0.0})
    popup = re.search(r"<h2>Site S</h2>.*?</table>", unescape(html.replace("\\", ""))).group(0)
    row = _rows(popup)
    assert row["At risk of displacement again, rp"] == (
        f"{number(0.0)} people per year ({_range(number, **share)})"
    )
    assert row["At risk of displacement again, sc"] == f"{number(SITE_PEOPLE)} people"
    assert "nan" not in popup  # the list gives no type nor date: no such rows
    assert "Site type" not in row and "As of" not in row


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_per_100k_row_says_per_year_of_annual_figures_only(run, maps, lang):
    number = Numbers(labels(lang))
    layers = maps[lang]
    people = {**_people(), **OFFICIAL}  # the official figure where given
    rp = next(
        layers[n]
        for n in layers
        if n.endswith(" · rp") and 'data-figure="aad"' in layers[n]["A"][2]
    )
    sc = next(layers[n] for n in layers if n.endswith(" · sc"))
    for unit in UNITS:
        official = unit in OFFICIAL
        aad = _aad(BASELINE, unit, "central")
        rows = _rows(rp[unit][2])
        rate = rows[PER_YEAR[lang][official]]  # central first, then its range (if any)
        assert rate.split(" (")[0] == number(aad * 1e5 / people[unit])
        assert PER_EVENT[lang][official] not in rows
        displaced = _displaced(SCENARIO, unit, "central")
        rows = _rows(sc[unit][2])
        assert rows[PER_EVENT[lang][official]] == number(displaced * 1e5 / people[unit])
        assert PER_YEAR[lang][official] not in rows
    assert _aad(BASELINE, "A", "central") * 1e5 / 10_000 == pytest.approx(4_500)  # not 0
