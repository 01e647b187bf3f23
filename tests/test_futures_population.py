"""A future population grid gets the baseline's exposure, and slow-onset hazards have
futures rows.

- A future grid (``futures[].population.path``) replaces the baseline grid only: the
  people in displacement sites are added (or moved from their zone of origin) and
  ``population.scale_to``'s factors scale it, as in the baseline (the future pass
  overlaid the raw grid: the camps' people vanished into "population alone").
- Sea-level rise (people at risk of planned relocation) and drought (people per severity
  class) are compared like the other hazards (they were left out of futures.csv).

Hand-built grids; every expected number is derived here with numpy.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from affine import Affine
from shapely.geometry import box

from mecc.run import run_country

T = Affine(0.1, 0, 10.0, 0, -0.1, 50.0)
# --- a 2 x 3 grid with two districts and a flood --------------------------------------
P0 = np.array([[100.0, 200.0, 300.0], [400.0, 500.0, 600.0]])
P1 = np.array([[150.0, 180.0, 330.0], [400.0, 900.0, 0.0]])
D0 = {
    10: np.array([[0.0, 1.2, 0.5], [1.5, 0.2, 3.0]]),
    100: np.array([[1.1, 1.6, 0.9], [2.0, 1.0, 3.5]]),
}
D1 = {
    10: np.array([[1.0, 1.4, 1.1], [1.8, 0.4, 3.2]]),
    100: np.array([[1.3, 1.9, 1.2], [2.4, 1.2, 3.9]]),
}
ZONE = np.array([["A", "A", "B"], ["A", "B", "B"]])


def aad(people, depth):
    """AAD of a 10- and 100-year map pair, 1 m step: trapezoid (1/10 - 1/100) (D10 + D100) / 2,
    per district and national."""
    out = {}
    for zone in ("A", "B"):
        inside = np.equal(ZONE, zone)
        d10 = people[inside & (depth[10] >= 1.0)].sum()
        d100 = people[inside & (depth[100] >= 1.0)].sum()
        out[zone] = (0.1 - 0.01) * (d10 + d100) / 2
    out["national"] = out["A"] + out["B"]
    return out


def by_zone(people):
    out = {z: people[np.equal(ZONE, z)].sum() for z in ("A", "B")}
    out["national"] = people.sum()
    return out


@pytest.fixture
def flood(tmp_path, raster_writer):
    import geopandas as gpd

    raster_writer("pop.tif", P0, transform=T)
    raster_writer("pop2050.tif", P1, transform=T)
    raster_writer("few.tif", np.array([[10.0, 10.0, 300.0], [10.0, 500.0, 600.0]]), transform=T)
    for rp in (10, 100):
        raster_writer(f"d{rp}.tif", D0[rp], transform=T)
        raster_writer(f"f{rp}.tif", D1[rp], transform=T)
    district_a = box(10.0, 49.9, 10.2, 50.0).union(box(10.0, 49.8, 10.1, 49.9))
    district_b = box(10.2, 49.9, 10.3, 50.0).union(box(10.1, 49.8, 10.3, 49.9))
    gpd.GeoDataFrame(
        {"code": ["A", "B"]}, geometry=[district_a, district_b], crs="EPSG:4326"
    ).to_file(tmp_path / "zones.geojson")
    return tmp_path


def _sites(folder, rows):
    """A site list: (name, (row, col), people, origin code) at cell centres."""
    lines = ["site_name,lat,lon,individuals,origin_code"]
    for name, (row, col), people, origin in rows:
        lines.append(f"{name},{49.95 - 0.1 * row},{10.05 + 0.1 * col},{people},{origin}")
    (folder / "sites.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _flood_run(folder, name, extra, futures, population="{path: pop.tif, year: 2020}"):
    (folder / f"{name}.yaml").write_text(
        f"country: XXF\npopulation: {population}\n"
        "zones: {path: zones.geojson, code_field: code, level: 1}\n"
        "hazards:\n  - id: flood\n    type: river_flood\n    curve: flood_step_1m:central\n"
        "    return_periods: {10: d10.tif, 100: d100.tif}\n" + extra + "futures:\n" + futures
    )
    return folder / f"{name}.yaml"


def _read(out, name):
    return pd.read_csv(out / name, encoding="utf-8-sig", dtype={"zone_code": str})


def _row(frame, future, zone, hazard="flood", figure=None):
    keep = (frame["future_id"] == future) & (frame["zone_code"] == zone)
    keep &= frame["hazard_id"] == hazard
    if figure is not None:
        keep &= frame["figure"] == figure
    return frame[keep].iloc[0]


GRID_FUTURES = (
    "  - id: people\n    population: {path: pop2050.tif, year: 2050}\n"
    "  - id: both\n    hazards: {flood: {return_periods: {10: f10.tif, 100: f100.tif}}}\n"
    "    population: {path: pop2050.tif, year: 2050}\n"
)


def test_a_future_grid_keeps_the_people_in_sites_added(flood):
    """Sites not in the grid (650 people) are added to the future grid as to the baseline."""
    _sites(flood, [("camp", (1, 0), 250, ""), ("centre", (1, 2), 400, "")])
    sites = np.zeros_like(P0)
    sites[1, 0], sites[1, 2] = 250.0, 400.0
    path = _flood_run(
        flood,
        "added",
        "mobility: {sites: {path: sites.csv, in_population_grid: false}}\n",
        GRID_FUTURES,
    )
    out = run_country(path, flood / "out_added", with_map=False).out_dir
    comparison, attribution = _read(out, "futures.csv"), _read(out, "attribution.csv")
    h00, h01 = aad(P0 + sites, D0), aad(P1 + sites, D0)
    h11 = aad(P1 + sites, D1)
    people = by_zone(P1 + sites)
    for zone, key in (("A", "A"), ("B", "B"), ("XXF", "national")):
        row = _row(comparison, "people", zone)
        assert row["population_future"] == pytest.approx(people[key], rel=1e-12)
        assert row["baseline"] == pytest.approx(h00[key], rel=1e-12)
        assert row["future"] == pytest.approx(h01[key], rel=1e-12)
        assert _row(comparison, "both", zone)["future"] == pytest.approx(h11[key], rel=1e-12)
        parts = _row(attribution, "people", zone)
        assert parts["population_only"] == pytest.approx(h01[key] - h00[key], abs=1e-9)
    about = pd.read_excel(out / "futures.xlsx", sheet_name="About", engine="openpyxl")
    said = about.loc[about["topic"] == "Future people", "text"].iloc[0]
    assert "650 people in displacement sites added" in said


SCALED = "{path: pop.tif, year: 2020, scale_to: {total: 3000}}"


@pytest.mark.parametrize("moved", [300.0, 0.0], ids=["sites-moved", "no-sites"])
def test_moved_sites_and_scale_to_apply_to_the_future_grid(flood, moved):
    """The grid is scaled to 3,000 people and (first case) 300 people of a site in B come
    from A (the grid counts them there): the future grid gets the baseline's factor
    (3000 / 2100) and loses the site's people from A; the baseline's own grid as a future
    changes nothing."""
    mobility = ""
    if moved:
        _sites(flood, [("camp", (0, 2), moved, "A")])
        mobility = "mobility: {sites: {path: sites.csv, in_population_grid: true}}\n"
    name = f"moved{moved:g}"
    path = _flood_run(
        flood,
        name,
        mobility,
        GRID_FUTURES + "  - id: same\n    population: {path: pop.tif, year: 2020}\n",
        population=SCALED,
    )
    out = run_country(path, flood / f"out_{name}", with_map=False).out_dir

    def exposed(grid):
        people = grid * (3000 / P0.sum())
        in_a = np.equal(ZONE, "A")
        people[in_a] *= 1 - moved / people[in_a].sum()  # taken out of A in proportion
        people[0, 2] += moved  # and living at the site
        return people

    comparison, attribution = _read(out, "futures.csv"), _read(out, "attribution.csv")
    h00, h01, h11 = aad(exposed(P0), D0), aad(exposed(P1), D0), aad(exposed(P1), D1)
    people = by_zone(exposed(P1))
    for zone, key in (("A", "A"), ("B", "B"), ("XXF", "national")):
        row = _row(comparison, "people", zone)
        assert row["baseline"] == pytest.approx(h00[key], rel=1e-12)
        assert row["population_future"] == pytest.approx(people[key], rel=1e-12)
        assert row["future"] == pytest.approx(h01[key], rel=1e-12)
        assert _row(comparison, "both", zone)["future"] == pytest.approx(h11[key], rel=1e-12)
        same = _row(comparison, "same", zone)
        assert same["change"] == pytest.approx(0.0, abs=1e-9)
        assert same["population_future"] == pytest.approx(same["population_baseline"], rel=1e-12)
        assert _row(attribution, "same", zone)["population_only"] == pytest.approx(0, abs=1e-9)
    assert people["national"] == pytest.approx(3000 / 2100 * P1.sum())


def test_a_future_grid_without_the_people_sites_move_is_refused(flood, cli):
    """500 people move from A, whose cells hold 30 in the future grid: exit 1, one line
    naming the future grid and the site list, no run folder."""
    _sites(flood, [("camp", (0, 2), 500, "A")])
    path = _flood_run(
        flood,
        "short",
        "mobility: {sites: {path: sites.csv, in_population_grid: true}}\n",
        "  - id: few\n    population: {path: few.tif, year: 2050}\n",
    )
    result = cli("run", path, "--out", flood / "out_short", "--no-map")
    assert result.exit_code == 1, result.output
    message = result.output.strip().splitlines()[-1]
    assert "futures[0].population.path (few.tif)" in message
    assert "mobility.sites" in message and "500" in message and "30" in message
    assert not (flood / "out_short").exists()


# --- slow onset: sea-level rise and drought on a 2 x 4 coast ---------------------------
# the sea in column 0 (below 0 m at the grid's edge), then 0.5, 1.5 and 3 m of land
DEM = np.array([[-5.0, 0.5, 1.5, 3.0], [-5.0, 0.5, 1.5, 3.0]])
Q0 = np.array([[0.0, 100.0, 200.0, 300.0], [0.0, 400.0, 500.0, 600.0]])
Q1 = np.array([[0.0, 150.0, 260.0, 330.0], [0.0, 380.0, 700.0, 500.0]])
COAST_ZONE = np.array([["A", "A", "B", "B"], ["A", "A", "B", "B"]])
# drought deficits (-SPEI): moderate 1-1.5, severe 1.5-2, extreme from 2
DRY0 = np.array([[0.0, 1.2, 1.7, 2.5], [0.5, 1.1, 1.4, 0.2]])
DRY1 = np.array([[1.1, 1.6, 2.1, 2.6], [0.3, 1.7, 0.9, 1.3]])
CLASSES = {"moderate": (1.0, 1.5), "severe": (1.5, 2.0), "extreme": (2.0, np.inf)}


def flooded(level, shift=0.0):
    """Cells below the water level (all connected to the sea in column 0 here)."""
    return DEM + shift < level


def in_class(deficit, low, high):
    """Cells whose deficit lies in [low, high)."""
    return np.greater_equal(deficit, low) & np.less(deficit, high)


def sums(people, mask):
    out = {z: people[mask & np.equal(COAST_ZONE, z)].sum() for z in ("A", "B")}
    out["national"] = out["A"] + out["B"]
    return out


@pytest.fixture
def coast(tmp_path, raster_writer):
    import geopandas as gpd

    for name, data in (
        ("dem.tif", DEM),
        ("pop.tif", Q0),
        ("pop2050.tif", Q1),
        ("dry.tif", DRY0),
        ("dry2050.tif", DRY1),
    ):
        raster_writer(name, data, transform=T)
    gpd.GeoDataFrame(
        {"code": ["A", "B"]},
        geometry=[box(10.0, 49.8, 10.2, 50.0), box(10.2, 49.8, 10.4, 50.0)],
        crs="EPSG:4326",
    ).to_file(tmp_path / "zones.geojson")
    (tmp_path / "coast.yaml").write_text(
        "country: XXC\npopulation: {path: pop.tif, year: 2020}\n"
        "zones: {path: zones.geojson, code_field: code, level: 1}\n"
        "hazards:\n"
        "  - id: slr\n    type: sea_level_rise\n    dem: dem.tif\n    dem_datum: MSL\n"
        "    high_tide: 0.8\n    tide_datum: MSL\n    slr: 0.3\n    slr_baseline: MSL\n"
        "    period: 2050\n"
        "  - {id: dry, type: drought, intensity: dry.tif, scenario: 2020 drought}\n"
        "futures:\n"
        "  - id: growth\n    population: {growth: 1.5, year: 2050}\n"
        "  - id: grid\n    population: {path: pop2050.tif, year: 2050}\n"
        "  - id: both\n    population: {path: pop2050.tif, year: 2050}\n"
        "    hazards:\n      slr: {slr: 1.0, period: 2100}\n"
        "      dry: {intensity: dry2050.tif, scenario: 2050 drought}\n"
    )
    out = run_country(tmp_path / "coast.yaml", tmp_path / "out", with_map=False).out_dir
    return out


def test_sea_level_rise_has_futures_rows_with_its_range(coast):
    """Water level 0.8 + 0.3 = 1.1 m now, 0.8 + 1.0 = 1.8 m in future "both"; the range is
    the DEM lowered (high) and raised (low) by 1 m."""
    comparison, attribution = _read(coast, "futures.csv"), _read(coast, "attribution.csv")
    now = {"": flooded(1.1), "_low": flooded(1.1, 1.0), "_high": flooded(1.1, -1.0)}
    then = {"": flooded(1.8), "_low": flooded(1.8, 1.0), "_high": flooded(1.8, -1.0)}
    for zone, key in (("A", "A"), ("B", "B"), ("XXC", "national")):
        for future, people, mask in (
            ("growth", 1.5 * Q0, now),
            ("grid", Q1, now),
            ("both", Q1, then),
        ):
            row = _row(comparison, future, zone, "slr")
            assert row["figure"] == "at_risk_relocation"
            for suffix in ("", "_low", "_high"):
                baseline = sums(Q0, now[suffix])[key]
                assert row[f"baseline{suffix}"] == pytest.approx(baseline, abs=1e-9)
                assert row[f"future{suffix}"] == pytest.approx(sums(people, mask[suffix])[key])
        parts = _row(attribution, "both", zone, "slr")
        base = sums(Q0, now[""])[key]
        assert parts["climate_only"] == pytest.approx(sums(Q0, then[""])[key] - base)
        assert parts["population_only"] == pytest.approx(sums(Q1, now[""])[key] - base)
        total = sums(Q1, then[""])[key] - base
        assert parts["change_total"] == pytest.approx(total)
        assert parts["interaction"] == pytest.approx(
            total - parts["climate_only"] - parts["population_only"], abs=1e-9
        )
    summary = json.loads((coast / "summary.json").read_text(encoding="utf-8"))
    assert summary["futures"]["both"]["hazards"]["slr"]["future"] == pytest.approx(
        Q1[flooded(1.8)].sum()
    )


def test_drought_has_a_futures_row_per_severity_class(coast):
    comparison, attribution = _read(coast, "futures.csv"), _read(coast, "attribution.csv")
    summary = json.loads((coast / "summary.json").read_text(encoding="utf-8"))
    for name, (low, high) in CLASSES.items():
        now, then = in_class(DRY0, low, high), in_class(DRY1, low, high)
        for zone, key in (("A", "A"), ("B", "B"), ("XXC", "national")):
            figure = f"drought_{name}"
            base = sums(Q0, now)[key]
            assert _row(comparison, "growth", zone, "dry", figure)["future"] == pytest.approx(
                1.5 * base
            )
            assert _row(comparison, "grid", zone, "dry", figure)["future"] == pytest.approx(
                sums(Q1, now)[key]
            )
            row = _row(comparison, "both", zone, "dry", figure)
            assert row["baseline"] == pytest.approx(base, abs=1e-9)
            assert row["future"] == pytest.approx(sums(Q1, then)[key], abs=1e-9)
            parts = _row(attribution, "both", zone, "dry", figure)
            assert parts["climate_only"] == pytest.approx(sums(Q0, then)[key] - base, abs=1e-9)
            assert parts["population_only"] == pytest.approx(sums(Q1, now)[key] - base, abs=1e-9)
        entry = summary["futures"]["both"]["hazards"]["dry"]["classes"][name]
        assert entry["future"] == pytest.approx(Q1[then].sum(), abs=1e-9)
        assert entry["climate_only"] == pytest.approx(Q0[then].sum() - Q0[now].sum(), abs=1e-9)
