"""Readers of the formats officials have: COD-AB, COD-PS, DTM, ShakeMap, IBTrACS, CLIMADA.

Each fixture is written here in its real layout and must give the same numbers as the
equivalent GeoTIFF / GeoJSON / plain CSV inputs: runs are made both ways and compared.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import rasterio

from exposure.cod import cod_ab_levels, cohort_shares, read_cod_ps, zone_denominators
from exposure.dtm import SITE_COLUMNS, read_dtm_baseline, read_dtm_sites
from hazards.climada import ClimadaHazardFile, read_climada_events
from hazards.cyclone import read_track, wind_field
from hazards.shakemap import ShakeMapFile
from mecc.errors import ConfigError, DataError, InputFileError
from mecc.grid import GridSpec
from mecc.run import run_country
from tests._official_formats import (
    IBTRACS_HEADER,
    IBTRACS_UNITS,
    ibtracs_rows,
    write_climada,
    write_cod_ab,
    write_shakemap,
)
from tests._run_inputs import DEPTH, POP, TRANSFORM, basic_case, cell_box, write_run, write_zones
from tests.conftest import write_raster


def _tables(run_dir):
    return {
        name: pd.read_csv(run_dir / name, encoding="utf-8-sig", dtype={"zone_code": str})
        for name in ("zones.csv", "zones_bands.csv", "bands.csv")
    }


def _same_tables(a, b, ignore=()):
    for name in a:
        left = a[name].drop(columns=[c for c in ignore if c in a[name]])
        right = b[name].drop(columns=[c for c in ignore if c in b[name]])
        pd.testing.assert_frame_equal(left, right, check_exact=False, rtol=1e-12)


# --------------------------------------------------------------------- COD-AB


MUNICIPALITIES = [  # (code, name en, name fr, parent, rows, cols, first row, first col)
    ("XX0101001", "North One", "Nord Un", "XX0101", 0, 0, 2, 2),
    ("XX0101002", "South One", "Sud Un", "XX0101", 2, 0, 2, 2),
    ("XX0102001", "East", "Est", "XX0102", 0, 2, 4, 2),
]


def _cod_levels():
    return {
        0: [("XX", "Testland", "Testlande", None, cell_box(0, 0, rows=4, cols=4))],
        1: [("XX01", "Region", "Région", "XX", cell_box(0, 0, rows=4, cols=4))],
        2: [
            ("XX0101", "West", "Ouest", "XX01", cell_box(0, 0, rows=4, cols=2)),
            ("XX0102", "East", "Est", "XX01", cell_box(0, 2, rows=4, cols=2)),
        ],
        3: [
            (code, en, fr, parent, cell_box(r, c, rows=h, cols=w))
            for code, en, fr, parent, r, c, h, w in MUNICIPALITIES
        ],
    }


def test_cod_ab_levels_read_like_separate_geojson_levels(tmp_path):
    inputs = tmp_path / "inputs"
    data = basic_case(inputs)
    levels = _cod_levels()
    write_cod_ab(inputs / "xx_cod_ab.gpkg", levels)
    assert cod_ab_levels(inputs / "xx_cod_ab.gpkg").keys() == {0, 1, 2, 3}
    # the same levels as plain GeoJSON files with explicit fields
    plain = []
    for n in (1, 2, 3):
        rows = levels[n]
        write_zones(
            inputs / f"adm{n}.geojson",
            [r[0] for r in rows],
            [r[4] for r in rows],
            names=[r[1] for r in rows],
            parent=[r[3] for r in rows],
        )
        entry = {"path": f"adm{n}.geojson", "code_field": "code", "name_field": "name", "level": n}
        if n > 1:
            entry["parent_field"] = "parent"
        plain.append(entry)
    cod = {**data, "zones": {"path": "xx_cod_ab.gpkg", "format": "cod-ab", "levels": [1, 2, 3]}}
    run_country(write_run(inputs, cod, "cod.yaml"), tmp_path / "cod")
    run_country(write_run(inputs, {**data, "zones": plain}, "plain.yaml"), tmp_path / "plain")
    cod_tables, plain_tables = _tables(tmp_path / "cod"), _tables(tmp_path / "plain")
    _same_tables(cod_tables, plain_tables)
    zones = cod_tables["zones.csv"].set_index("zone_code")
    # by hand: XX0101001 is rows 0-1, columns 0-1 of the population grid
    assert zones.loc["XX0101001", "population"] == 10 + 20 + 50 + 60
    assert zones.loc["XX0101001", "zone_name"] == "North One"
    assert zones.loc["XX0101001", "parent_code"] == "XX0101"
    assert zones.loc["XX0101", "population"] == POP[:, :2].sum()


def test_cod_ab_names_in_french_and_every_level_by_default(tmp_path):
    inputs = tmp_path / "inputs"
    data = basic_case(inputs)
    write_cod_ab(inputs / "cod.gpkg", _cod_levels())
    spec = {"path": "cod.gpkg", "format": "cod-ab", "language": "fr"}
    run_country(write_run(inputs, {**data, "zones": spec}), tmp_path / "run")
    zones = _tables(tmp_path / "run")["zones.csv"].set_index("zone_code")
    assert zones.loc["XX01", "zone_name"] == "Région"
    assert zones.loc["XX", "population"] == POP.sum()  # level 0 is read too
    assert sorted(zones["level"].dropna().unique()) == [0, 1, 2, 3]


@pytest.mark.parametrize(
    ("zones", "error", "message"),
    [
        ({"format": "cod-ab", "levels": [4]}, DataError, "level 4 is not in"),
        ({"format": "cod-ab", "code_field": "x"}, ConfigError, "not used with format: cod-ab"),
        ({"format": "cod-xx"}, ConfigError, "unknown format"),
        ({"code_field": "code", "levels": [1]}, ConfigError, "applies with format: cod-ab"),
    ],
)
def test_cod_ab_bad_entries(tmp_path, zones, error, message):
    inputs = tmp_path / "inputs"
    data = basic_case(inputs)
    write_cod_ab(inputs / "cod.gpkg", _cod_levels())
    data["zones"] = {"path": "cod.gpkg", **zones}
    with pytest.raises(error, match=message):
        run_country(write_run(inputs, data), tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_cod_ab_file_without_pcode_layers(tmp_path):
    write_zones(tmp_path / "plain.gpkg", ["A"], [cell_box(0, 0)])
    with pytest.raises(DataError, match="no COD-AB layer"):
        cod_ab_levels(tmp_path / "plain.gpkg")


# --------------------------------------------------------------------- COD-PS

COD_PS = (
    "ADM0_PCODE,ADM1_PCODE,ADM2_PCODE,ADM2_EN,T_TL,F_TL,M_TL,F_00_04,F_05plus,M_00_04,M_05plus\n"
    "{hxl}"
    'XX,XX01,XX0101,West,"1,000",520,480,60,460,50,430\n'
    "XX,XX01,XX0102,East,300,150,150,20,130,10,140\n"
)
HXL = (
    "#country+code,#adm1+code,#adm2+code,#adm2+name,#population+total,#population+f,"
    "#population+m,#population+f+age0_4,#population+f+age5plus,#population+m+age0_4,"
    "#population+m+age5plus\n"
)


def test_cod_ps_tidy_shape_with_and_without_hxl_row(tmp_path):
    with_hxl = tmp_path / "xx_pop_adm2_2020.csv"
    with_hxl.write_text(COD_PS.format(hxl=HXL), encoding="utf-8-sig")
    plain = tmp_path / "plain.csv"
    plain.write_text(COD_PS.format(hxl=""), encoding="utf-8")
    tidy = read_cod_ps(with_hxl)
    assert list(tidy.columns) == ["zone_code", "sex", "age_band", "people", "year"]
    pd.testing.assert_frame_equal(
        tidy.drop(columns="year"), read_cod_ps(plain).drop(columns="year")
    )
    assert tidy["year"].unique().tolist() == [2020]  # from the file name
    west = tidy[tidy["zone_code"] == "XX0101"].set_index(["sex", "age_band"])["people"]
    assert west[("total", "all")] == 1000  # thousands separator removed
    assert west[("female", "0-4")] == 60 and west[("male", "5+")] == 430
    assert zone_denominators(tidy).to_dict() == {"XX0101": 1000.0, "XX0102": 300.0}
    shares = cohort_shares(tidy).set_index(["zone_code", "sex", "age_band"])["share"]
    assert shares[("XX0102", "female", "0-4")] == pytest.approx(20 / 300)
    assert shares.groupby(level=0).sum().to_dict() == pytest.approx({"XX0101": 1.0, "XX0102": 1.0})


def test_cod_ps_denominators_equal_the_run_population(tmp_path):
    """A COD-PS table of the zones' official population gives the run's zone totals."""
    inputs = tmp_path / "inputs"
    data = basic_case(inputs)
    run_country(write_run(inputs, data), tmp_path / "run")
    zones = _tables(tmp_path / "run")["zones.csv"].set_index("zone_code")
    (inputs / "ps.csv").write_text(
        "ADM1_PCODE,T_TL\n"
        + "".join(f"{code},{POP[:, k : k + 2].sum():g}\n" for code, k in (("A", 0), ("B", 2))),
        encoding="utf-8",
    )
    denominators = zone_denominators(read_cod_ps(inputs / "ps.csv", year=2020))
    for code in ("A", "B"):
        assert denominators[code] == zones.loc[code, "population"]


def test_cod_ps_bad_tables(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("ADM1_PCODE,T_TL\nA,12\nA,3\n", encoding="utf-8")
    with pytest.raises(DataError, match="appears twice"):
        read_cod_ps(path)
    path.write_text("ADM1_PCODE,T_TL\nA,many\n", encoding="utf-8")
    with pytest.raises(DataError, match="row 2"):
        read_cod_ps(path)
    path.write_text("ADM1_PCODE,total_people\nA,3\n", encoding="utf-8")
    with pytest.raises(DataError, match="no population columns"):
        read_cod_ps(path)
    # a CSV saved with a workbook's name is no workbook: one line, not a BadZipFile
    fake = tmp_path / "ps.xlsx"
    fake.write_text("ADM1_PCODE,T_TL\nA,3\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"ps\.xlsx: cannot read the COD-PS table"):
        read_cod_ps(fake)


# ------------------------------------------------------------------------ DTM

DTM_PLAIN = (
    "Site Name,Latitude,Longitude,Individuals,Households,Site Type,Date\n"
    "Camp Alpha,12.5,43.1,1200,240,Camp,2024-03-01\n"
    "École Beta,12.6,43.2,350,,Collective centre,2024-03-01\n"
)
DTM_HXL = (
    "Nom du site,Lat,Lon,Total ind,Femmes,Ménages,Type,Date de collecte\n"
    "#loc+name,#geo+lat,#geo+lon,#affected+ind,#affected+ind+f,#affected+hh,#loc+type,#date+reported\n"
    "Camp Alpha,12.5,43.1,1200,600,240,Camp,2024-03-01\n"
    "École Beta,12.6,43.2,350,200,,Collective centre,2024-03-01\n"
)


def test_dtm_sites_read_the_same_by_hxl_or_by_column_names(tmp_path):
    (tmp_path / "plain.csv").write_text(DTM_PLAIN, encoding="utf-8")
    (tmp_path / "hxl.csv").write_text(DTM_HXL, encoding="utf-8-sig")
    plain, hxl = read_dtm_sites(tmp_path / "plain.csv"), read_dtm_sites(tmp_path / "hxl.csv")
    pd.testing.assert_frame_equal(plain, hxl)
    assert list(plain.columns) == list(SITE_COLUMNS)
    assert plain["individuals"].tolist() == [1200, 350]  # not the women-only column
    assert np.isnan(plain["households"].iloc[1])
    assert plain["as_of"].iloc[0] == pd.Timestamp("2024-03-01")
    assert plain["site_type"].tolist() == ["Camp", "Collective centre"]


def test_dtm_sites_equal_the_same_sites_as_geojson_points(tmp_path):
    import geopandas as gpd
    from shapely.geometry import Point

    (tmp_path / "hxl.csv").write_text(DTM_HXL, encoding="utf-8")
    points = gpd.GeoDataFrame(
        {"name": ["Camp Alpha", "École Beta"], "people": [1200.0, 350.0]},
        geometry=[Point(43.1, 12.5), Point(43.2, 12.6)],
        crs="EPSG:4326",
    )
    points.to_file(tmp_path / "sites.geojson")
    back = gpd.read_file(tmp_path / "sites.geojson")
    sites = read_dtm_sites(tmp_path / "hxl.csv")
    np.testing.assert_array_equal(sites["lon"], back.geometry.x)
    np.testing.assert_array_equal(sites["lat"], back.geometry.y)
    np.testing.assert_array_equal(sites["individuals"], back["people"])
    assert sites["site_name"].tolist() == back["name"].tolist()


def test_dtm_baseline_sums_rows_of_a_pcode(tmp_path):
    path = tmp_path / "baseline.csv"
    path.write_text(
        "Admin 2,Admin 2 Pcode,IDPs,Returnees,Reporting date\n"
        "#adm2+name,#adm2+code,#affected+idps+ind,#affected+returnees+ind,#date+reported\n"
        "West,XX0101,100,5,2024-02-01\nWest,XX0101,50,,2024-02-01\nEast,XX0102,7,1,2024-02-01\n",
        encoding="utf-8",
    )
    table = read_dtm_baseline(path).set_index("zone_code")
    assert table.loc["XX0101", "idps"] == 150 and table.loc["XX0101", "returnees"] == 5
    assert table.loc["XX0102", "zone_name"] == "East"


def test_dtm_bad_site_list(tmp_path):
    path = tmp_path / "sites.csv"
    path.write_text("Site,Latitude,Longitude,Individuals\nA,95,10,3\n", encoding="utf-8")
    with pytest.raises(DataError, match="row 2"):
        read_dtm_sites(path)
    path.write_text("Site,Latitude,Individuals\nA,5,3\n", encoding="utf-8")
    with pytest.raises(DataError, match="no column for lon"):
        read_dtm_sites(path)


# ------------------------------------------------------------------- ShakeMap

MMI = np.array([[4.0, 5.4, 5.5, 7.2]] * 4) + np.arange(4)[:, None] * 0.5


def test_shakemap_grid_xml_runs_like_the_equivalent_geotiff(tmp_path):
    inputs = tmp_path / "inputs"
    data = basic_case(inputs)
    write_raster(inputs / "mmi.tif", MMI)
    write_shakemap(inputs / "grid.xml", MMI, lon_min=10.05, lat_max=49.95, step=0.1)
    quake = {
        "id": "eq",
        "type": "earthquake",
        "scenario": "M6.5 test",
        "curve": "eq_mmi6_survivors",
    }
    for name, path in (("tif", "mmi.tif"), ("xml", "grid.xml")):
        run_data = {**data, "hazards": [{**quake, "intensity": path}]}
        run_country(write_run(inputs, run_data, f"{name}.yaml"), tmp_path / name)
    xml, tif = _tables(tmp_path / "xml"), _tables(tmp_path / "tif")
    _same_tables(xml, tif)
    # by hand: MMI >= 5.5 cells (class VI and above) in zone A (columns 0-1)
    zones = xml["zones.csv"].set_index("zone_code")
    mask = (MMI >= 5.5)[:, :2]
    assert zones.loc["A", "population"] == POP[:, :2].sum()
    assert xml["zones_bands.csv"].set_index("zone_code").loc["A", "exposed"] == pytest.approx(
        POP[:, :2][MMI[:, :2] >= 4.5].sum()
    )
    assert mask.any()


def test_shakemap_fields_and_units(tmp_path):
    path = write_shakemap(tmp_path / "grid.xml", MMI, lon_min=10.05, lat_max=49.95, step=0.1)
    pga = ShakeMapFile(path, "PGA")
    assert pga.unit == "g"
    from rasterio.windows import Window

    values = pga.read([1], Window(0, 0, 4, 4))[0]
    np.testing.assert_allclose(values, 10 * MMI / 100)  # %g to g
    assert pga.grid.same_as(GridSpec("EPSG:4326", TRANSFORM, 4, 4))
    assert pga.event["magnitude"] == "6.5"
    with pytest.raises(ConfigError, match="not supported"):
        ShakeMapFile(path, "SA(3.0)")


def test_shakemap_pga_refused_for_the_earthquake_type(tmp_path):
    inputs = tmp_path / "inputs"
    data = basic_case(inputs)
    write_shakemap(inputs / "grid.xml", MMI, lon_min=10.05, lat_max=49.95, step=0.1)
    data["hazards"] = [
        {
            "id": "eq",
            "type": "earthquake",
            "scenario": "x",
            "intensity": "grid.xml",
            "variable": "PGA",
            "curve": "eq_mmi6_survivors",
        }
    ]
    with pytest.raises(ConfigError, match="PGA is not in MMI"):
        run_country(write_run(inputs, data), tmp_path / "run")


def test_shakemap_truncated_grid(tmp_path):
    path = write_shakemap(tmp_path / "grid.xml", MMI, lon_min=10.05, lat_max=49.95, step=0.1)
    text = path.read_text().replace("10.3500 49.6500", "")
    path.write_text(text)
    with pytest.raises(DataError, match="grid_data has"):
        ShakeMapFile(path)


# -------------------------------------------------------------------- IBTrACS


def _ibtracs(path, *storms):
    lines = [IBTRACS_HEADER, IBTRACS_UNITS]
    for storm in storms:
        lines += ibtracs_rows(*storm)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.shared_data
def test_ibtracs_usa_track_reads_like_the_plain_track(shared_data, tmp_path):
    plain_path = shared_data / "tracks" / "irma_2017.csv"
    plain = pd.read_csv(plain_path, dtype={"time_utc": str})
    path = _ibtracs(tmp_path / "ibtracs.csv", (plain, "2017242N16333", "IRMA", "usa"))
    from_ibtracs = read_track(path)
    expected = read_track(plain_path)
    pd.testing.assert_frame_equal(from_ibtracs, expected, check_exact=False, rtol=1e-12)
    assert from_ibtracs.attrs["ibtracs_wind_sources"] == {
        "usa 1-min": int((plain.vmax_kt > 0).sum())
    }


@pytest.mark.shared_data
def test_ibtracs_tokyo_winds_are_converted_from_10_minutes(shared_data, tmp_path):
    plain_path = shared_data / "philippines_haiyan" / "haiyan_best_track.csv"
    plain = pd.read_csv(plain_path, dtype={"time_utc": str})
    other = plain.assign(lat=plain.lat - 5.0)
    path = _ibtracs(
        tmp_path / "ibtracs.csv",
        (plain, "2013306N07162", "HAIYAN", "tokyo"),
        (other, "2099001N00000", "OTHER", "tokyo"),
    )
    with pytest.raises(ConfigError, match="holds 2 storms"):
        read_track(path)
    from_ibtracs = read_track(path, storm="HAIYAN")
    expected = read_track(plain_path, averaging="10-min")
    pd.testing.assert_frame_equal(from_ibtracs, expected, check_exact=False, rtol=1e-12)
    # the converted peak wind, by hand: JMA's 10-minute peak / 0.93
    assert from_ibtracs["vmax_kt"].max() == pytest.approx(plain["vmax_kt"].max() / 0.93)
    grid = GridSpec("EPSG:4326", rasterio.Affine(0.25, 0, 122.0, 0, -0.25, 13.0), 12, 12)
    np.testing.assert_allclose(wind_field(from_ibtracs, grid), wind_field(expected, grid))
    with pytest.raises(ConfigError, match="leave the track averaging"):
        read_track(path, averaging="10-min", storm="2013306N07162")


def _three_points() -> pd.DataFrame:
    """A three-point track east of Samar (80-90 kt)."""
    return pd.DataFrame(
        {
            "time_utc": ["2020010100", "2020010106", "2020010112"],
            "lat": [10.0, 10.5, 11.0],
            "lon": [125.0, 124.5, 124.0],
            "vmax_kt": [80.0, 90.0, 85.0],
            "pressure_hpa": [960.0, 950.0, 955.0],
        }
    )


def test_ibtracs_command_with_storm_option(cli, tmp_path):
    track = _three_points()
    path = _ibtracs(tmp_path / "ib.csv", (track, "A1", "ONE", "usa"), (track, "B2", "TWO", "usa"))
    args = ["hazard", "cyclone", path, "--bounds", 123, 9, 126, 12, "--resolution", 0.25]
    result = cli(*args, "--out", tmp_path / "w.tif")
    assert result.exit_code == 2 and "--storm" in result.output
    result = cli(*args, "--out", tmp_path / "w.tif", "--storm", "B2")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "w.tif").exists()


# -------------------------------------------------------------------- CLIMADA


@pytest.mark.parametrize("layout", ["points", "meta", "pandas"])
def test_climada_event_set_runs_like_geotiff_and_events_csv(tmp_path, layout):
    inputs = tmp_path / "inputs"
    data = basic_case(inputs)
    stack = np.stack([DEPTH, DEPTH * 2])
    write_climada(inputs / "haz.hdf5", stack, TRANSFORM, [0.1, 0.01], layout=layout)
    tif = {
        **data,
        "hazards": [
            {
                "id": "ev",
                "type": "river_flood",
                "intensity": "ev.tif",
                "events": "events.csv",
                "curve": "flood_step_1m",
            }
        ],
    }
    hdf = {
        **data,
        "hazards": [
            {"id": "ev", "type": "river_flood", "events": "haz.hdf5", "curve": "flood_step_1m"}
        ],
    }
    run_country(write_run(inputs, tif, "tif.yaml"), tmp_path / "tif")
    # blocks of 1 x 3 cells: every window reads part of the sparse rows
    run_country(write_run(inputs, hdf, "hdf.yaml"), tmp_path / "hdf", block_shape=(1, 3))
    _same_tables(
        _tables(tmp_path / "hdf"), _tables(tmp_path / "tif"), ignore=("event_name", "event_id")
    )
    # AAD by hand: frequency x people in cells at >= 1 m (columns 2-3, then 1-3)
    zones = _tables(tmp_path / "hdf")["zones.csv"].set_index("zone_code")
    expected = 0.1 * POP[:, 2:].sum() + 0.01 * POP[:, 1:].sum()
    assert zones.loc[["A", "B"], "aad"].sum() == pytest.approx(expected)


def test_climada_land_only_centroids_leave_sea_cells_without_data(tmp_path):
    stack = np.stack([DEPTH, DEPTH * 2])
    keep = np.ones((4, 4), bool)
    keep[3, 3] = False
    path = write_climada(tmp_path / "haz.hdf5", stack, TRANSFORM, [0.1, 0.01], keep=keep)
    source, bands, fraction = read_climada_events(path, "haz")
    assert source.grid.same_as(GridSpec("EPSG:4326", TRANSFORM, 4, 4))
    assert bands["frequency"].tolist() == [0.1, 0.01]
    assert bands["event_name"].tolist() == ["event1", "event2"]
    assert fraction is None
    from rasterio.windows import Window

    values = source.read([2, 1], Window(1, 2, 3, 2))
    expected = np.stack([DEPTH * 2, DEPTH])[:, 2:4, 1:4].copy()
    expected[:, 1, 2] = np.nan  # the dropped centroid
    np.testing.assert_array_equal(values, expected)


def test_climada_streaming_matches_dense_on_a_larger_lattice(tmp_path):
    rng = np.random.default_rng(7)
    stack = rng.random((30, 40, 50))
    stack[stack < 0.9] = 0.0  # sparse
    transform = rasterio.Affine(0.01, 0, 5.0, 0, -0.01, 45.0)
    path = write_climada(tmp_path / "haz.h5", stack, transform, np.full(30, 1 / 30))
    source = ClimadaHazardFile(path)
    from rasterio.windows import Window

    for window in (Window(0, 0, 50, 40), Window(7, 13, 11, 5), Window(49, 39, 1, 1)):
        r0, c0 = window.row_off, window.col_off
        got = source.read(list(range(30, 0, -1)), window)
        want = stack[::-1, r0 : r0 + window.height, c0 : c0 + window.width]
        np.testing.assert_array_equal(got, want)
    assert source._row_starts is not None  # reads used the row index, not full scans


@pytest.mark.shared_data
@pytest.mark.slow
def test_climada_austria_with_fraction_equals_the_geotiff_run(shared_data, tmp_path):
    austria = shared_data / "austria_flood"
    with rasterio.open(austria / "hazard_depth.tif") as src:
        depth, transform = src.read(masked=True).filled(0.0), src.transform
    with rasterio.open(austria / "hazard_fraction.tif") as src:
        fraction = src.read(masked=True).filled(0.0)
    depth = np.nan_to_num(depth)
    fraction = np.nan_to_num(fraction)
    events = pd.read_csv(austria / "events.csv")
    write_climada(
        tmp_path / "austria.hdf5",
        depth,
        transform,
        events["frequency"].to_numpy(),
        names=events["event_name"].tolist(),
        fraction=fraction,
    )
    base = {
        "country": "AUT",
        "population": {"path": str(austria / "pop_count.tif")},
        "zones": {"path": str(austria / "bezirke_995_geo.json"), "code_field": "iso"},
    }
    hazard = {"id": "rf", "type": "river_flood", "curve": "flood_step_0.5m"}
    tif = {
        **base,
        "hazards": [
            {
                **hazard,
                "intensity": str(austria / "hazard_depth.tif"),
                "fraction": str(austria / "hazard_fraction.tif"),
                "events": str(austria / "events.csv"),
            }
        ],
    }
    hdf = {**base, "hazards": [{**hazard, "events": "austria.hdf5"}]}
    run_country(write_run(tmp_path, tif, "tif.yaml"), tmp_path / "tif", with_map=False)
    run_country(
        write_run(tmp_path, hdf, "hdf.yaml"), tmp_path / "hdf", with_map=False, block_shape=(16, 64)
    )
    hdf_tables, tif_tables = _tables(tmp_path / "hdf"), _tables(tmp_path / "tif")
    for name in ("zones.csv", "bands.csv"):
        numeric = hdf_tables[name].select_dtypes("number").columns
        np.testing.assert_allclose(
            hdf_tables[name][numeric].to_numpy(float),
            tif_tables[name][numeric].to_numpy(float),
            rtol=1e-9,
            atol=1e-6,
        )
    # CLIMADA's own AAD on these inputs (0.5 m step, with fraction)
    import json

    reference = json.loads((austria / "climada_reference_step05.json").read_text())
    summary = json.loads((tmp_path / "hdf" / "summary.json").read_text())
    aad = summary["hazards"]["rf"]["aad"]
    assert aad == pytest.approx(reference["aad_with_fraction"], rel=1e-9)


def test_climada_bad_files(tmp_path):
    import h5py

    path = write_climada(tmp_path / "haz.hdf5", np.stack([DEPTH]), TRANSFORM, [0.0])
    with pytest.raises(DataError, match="must be > 0"):
        read_climada_events(path, "haz")
    with h5py.File(tmp_path / "bad.hdf5", "w") as handle:
        handle.create_dataset("frequency", data=[1.0])
    with pytest.raises(DataError, match="no intensity matrix"):
        read_climada_events(tmp_path / "bad.hdf5", "bad")
    (tmp_path / "text.hdf5").write_text("not hdf5")
    from mecc.errors import InputFileError

    with pytest.raises(InputFileError, match="cannot read HDF5"):
        ClimadaHazardFile(tmp_path / "text.hdf5")


def test_climada_units_are_checked_and_converted(tmp_path):
    inputs = tmp_path / "inputs"
    data = basic_case(inputs)
    write_climada(inputs / "cm.hdf5", np.stack([DEPTH * 100]), TRANSFORM, [0.1], units="cm")
    hazard = {"id": "ev", "type": "river_flood", "events": "cm.hdf5", "curve": "flood_step_1m"}
    with pytest.raises(ConfigError, match="intensity is in 'cm'"):
        run_country(write_run(inputs, {**data, "hazards": [hazard]}), tmp_path / "bad")
    assert not (tmp_path / "bad").exists()
    run_country(
        write_run(inputs, {**data, "hazards": [{**hazard, "unit": "cm"}]}), tmp_path / "run"
    )
    zones = _tables(tmp_path / "run")["zones.csv"].set_index("zone_code")
    assert zones.loc["B", "aad"] == pytest.approx(0.1 * POP[:, 2:].sum())  # 100 cm = 1 m


def test_ibtracs_grid_says_the_winds_averaging_it_converted(cli, tmp_path):
    """A track of JMA (tokyo) 10-minute winds: each point is converted by 1/0.93, and the
    written grid says so (it said track_averaging 1-min, factor 1, from the option) — when
    the wind is used: with every central pressure given, the wind comes from the pressures
    alone, and the grid says the factor was not applied (as for a plain track)."""
    args = ["--bounds", 123, 9, 126, 12, "--resolution", 0.25]
    wind_only = _three_points().assign(pressure_hpa=np.nan)  # pressure from the wind
    for name, track in (("wind", wind_only), ("pressure", _three_points())):
        path = _ibtracs(tmp_path / f"{name}.csv", (track, "A1", "ONE", "tokyo"))
        out = tmp_path / f"{name}.tif"
        assert cli("hazard", "cyclone", path, *args, "--out", out).exit_code == 0
        with rasterio.open(out) as dataset:
            parameters = json.loads(dataset.tags()["parameters"])
        assert parameters["track_averaging"] == "per point, its IBTrACS agency's: 10-min"
        assert parameters["ibtracs_wind_sources"] == {"tokyo 10-min": 3}
        assert "Knapp" in parameters["track_source"]
        if name == "wind":
            assert parameters["averaging_to_1min_factor"] == {"10-min": pytest.approx(1 / 0.93)}
            assert "averaging_note" not in parameters
        else:
            assert parameters["averaging_to_1min_factor"] is None
            assert "not applied" in parameters["averaging_note"]
