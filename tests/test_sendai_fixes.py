"""Fixes of the Sendai tables and the site table, each checked against figures computed
independently from the run's other outputs (the demo of tests/conftest.py, or a small run
built here):

1. group B-1 counts the group's B-5 too (its exposed people x the unit's livelihood
   share), so sex rows and age rows add up to the total B-1;
2. D1 / D6 of a hazard striking by day follow residence (as summary.json and zones.csv),
   not the people present by day;
3. expected annual rows of an event set with ensemble members carry the members' range;
4. sites.csv and the map's site popups name sea-level rise's figure for what it is (people
   at risk of planned relocation, no frequency), with its range.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from tests.test_sendai import pick, read

GROUPED = ("B-1", "B-3", "B-4", "B-5", "XMR-D1")


@pytest.fixture(scope="module")
def demo(demo_folder):
    run = demo_folder / "run"
    table = read(run / "sendai.csv")
    zones = pd.read_csv(run / "zones.csv", encoding="utf-8-sig", dtype={"zone_code": str})
    groups = pd.read_csv(
        run / "zones_disaggregated.csv", encoding="utf-8-sig", dtype={"zone_code": str}
    )
    census = pd.read_csv(demo_folder / "inputs" / "census_districts.csv", dtype={"pcode": str})
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    return {
        "run": run,
        "table": table,
        "zones": zones,
        "groups": groups,
        "census": census.set_index("pcode"),
        "summary": summary,
    }


def _values(rows) -> pd.Series:
    return rows["value_number"].astype(float)


# ------------------------------------------------------------- 1. group B-1 and B-5


def test_sex_rows_and_age_rows_add_up_to_every_total(demo):
    """Every area x hazard x (expected annual, scenario) x indicator: the sex rows sum to
    the total, and so do the age rows (B-1 was short of B-5 for every group)."""
    table = demo["table"]
    rows = table[table["measure"].isin(["expected_annual", "scenario"])]
    rows = rows[rows["indicator_code"].isin(GROUPED)]
    checked = 0
    for (hazard, measure, code, indicator), part in rows.groupby(
        ["hazard_id", "measure", "admin_code", "indicator_code"]
    ):
        total = _values(part[part["breakdown"] == ""])
        assert len(total) == 1, (hazard, measure, code, indicator)
        for breakdown in ("sex", "age"):
            groups = _values(part[part["breakdown"] == breakdown])
            assert len(groups) >= 2, (hazard, measure, code, indicator, breakdown)
            assert groups.sum() == pytest.approx(total.item(), rel=1e-9, abs=1e-6), (
                hazard,
                measure,
                code,
                indicator,
                breakdown,
            )
            checked += 1
    # both flood hazards, cyclone, surge and earthquake have B-1 rows by sex and age
    b1 = rows[(rows["indicator_code"] == "B-1") & (rows["breakdown"] == "sex")]
    assert {"river_flood", "river_flood_years", "earthquake"} <= set(b1["hazard_id"])
    assert checked > 500


def test_group_b1_is_its_b3_b4_b5_and_its_rate_is_comparable(demo):
    """Each group's B-1 = its B-3 + B-4 + B-5 (the total's rule), per 100,000 of the
    group's people; the note names B-5 and no longer says it is not disaggregated."""
    table = demo["table"]
    groups = table[(table["breakdown"] != "") & (table["measure"] == "expected_annual")]
    keys = ["hazard_id", "admin_code", "group"]
    wide = groups.pivot_table(
        index=keys, columns="indicator_code", values="value_number", aggfunc="first"
    ).astype(float)
    wide = wide[wide["B-1"].notna() & wide["B-3"].notna()]
    assert len(wide) > 100
    np.testing.assert_allclose(wide["B-1"], wide["B-3"] + wide["B-4"] + wide["B-5"], rtol=1e-12)
    b1 = pick(groups, indicator_code="B-1")
    rate = b1["per_100k"].astype(float)
    expected = _values(b1) * 1e5 / b1["population_denominator"].astype(float)
    np.testing.assert_allclose(rate, expected, rtol=1e-12)
    assert all("B-3 + B-4 + B-5" in note for note in b1[b1["hazard_id"] == "river_flood"]["notes"])
    assert not any("not disaggregated" in note for note in table["notes"])


def test_group_b5_is_the_groups_exposed_times_the_livelihood_share(demo):
    """Earthquake scenario, each finest unit: a group's B-5 = its exposed people
    (zones_disaggregated.csv) x the unit's farming_fishing share (the census input)."""
    table, groups, census = demo["table"], demo["groups"], demo["census"]
    exposed = groups[(groups["hazard_id"] == "earthquake") & (groups["breakdown"] == "sex_age")]
    rows = pick(table, hazard_id="earthquake", indicator_code="B-5", breakdown="sex")
    rows = rows[rows["admin_code"].isin(census.index)]
    assert len(rows) == 2 * len(census)
    for row in rows.itertuples():
        cohorts = exposed[
            (exposed["zone_code"] == row.admin_code) & exposed["group"].str.startswith(row.sex)
        ]
        assert len(cohorts) == 3
        expected = cohorts["exposed"].sum() * census.loc[row.admin_code, "farming_fishing"]
        assert float(row.value_number) == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_old_store_without_group_b5_publishes_no_group_b1(demo):
    """A results.nc written before the group's B-5 was stored: no group B-1 that would
    silently leave B-5 out (the totals, with B-5, are unchanged)."""
    from mecc.sendai import read_store
    from mecc.sendai_rows import RowBuilder

    store = read_store(demo["run"])
    store.store = store.store.drop_vars("group_livelihoods").drop_sel(group_figure="livelihoods")
    builder = RowBuilder(store, "test")
    for h in range(len(builder.hazard_ids)):
        builder.hazard(h)
    rows = pd.DataFrame(builder.rows)
    assert not len(rows[(rows["indicator_code"] == "B-1") & (rows["breakdown"] != "")])
    assert not len(rows[(rows["indicator_code"] == "B-5") & (rows["breakdown"] != "")])
    totals = rows[(rows["indicator_code"] == "B-1") & (rows["breakdown"] == "")]
    now = demo["table"]
    now = now[(now["indicator_code"] == "B-1") & (now["breakdown"] == "")]
    np.testing.assert_allclose(totals["value_number"], now["value_number"].astype(float))


# ---------------------------------------------------- 2. displacement by residence


def test_earthquake_d1_follows_residence_and_has_no_d6(demo):
    """The demo's earthquake strikes by day (a commuting table): D1 is summary.json's
    displaced nationally and zones.csv's per unit; the groups add up to it; the rows say
    so. No pre-emptive evacuation (custom D6) row: an earthquake is not forecast, though
    the demo gives early-warning coverage, and the D1 rows say why."""
    table, zones = demo["table"], demo["zones"]
    displaced = demo["summary"]["hazards"]["earthquake"]["displaced"]
    quake = pick(table, hazard_id="earthquake", measure="scenario", breakdown="")
    d1 = pick(quake, indicator_code="XMR-D1").set_index("admin_code")
    assert float(d1.loc["XMR", "value_number"]) == pytest.approx(displaced, rel=1e-12)
    by_zone = zones[zones["hazard_id"] == "earthquake"].set_index("zone_code")["displaced"]
    for code, row in d1.drop(index="XMR").iterrows():
        assert float(row["value_number"]) == pytest.approx(by_zone[code], rel=1e-12, abs=1e-9)
    assert pick(table, hazard_id="earthquake", indicator_code="XMR-D6").empty
    assert all("an earthquake is not forecast" in note for note in d1["notes"])
    assert not pick(table, indicator_code="XMR-D6").empty  # the flood and cyclone keep it
    sexes = pick(table, hazard_id="earthquake", indicator_code="XMR-D1", admin_code="XMR")
    assert _values(sexes[sexes["breakdown"] == "sex"]).sum() == pytest.approx(displaced)
    for indicator in ("XMR-D1", "XMR-D5"):
        rows = pick(table, hazard_id="earthquake", indicator_code=indicator)
        assert all("by residence" in note for note in rows["notes"])
    assert not table["parameters"].str.contains("time of impact").any()
    about = pd.read_excel(demo["run"] / "sendai.xlsx", sheet_name="About", dtype=str)
    assert "exposed_at_impact" in " ".join(about.fillna("").to_numpy().ravel())


def test_store_counting_people_by_day_is_refused(demo, cli, tmp_path):
    """A results.nc of an older mecc (D1 by day for a hazard striking by day: no
    ``displacement_by`` in its metadata) is refused by ``mecc report sendai`` with the
    advice to run again, not reported with the old figures."""
    import shutil

    import netCDF4

    old = tmp_path / "old"
    old.mkdir()
    for name in ("results.nc", "summary.json", "zones.csv", "manifest.json"):  # finished
        shutil.copy(demo["run"] / name, old / name)
    with netCDF4.Dataset(old / "results.nc", "a") as root:
        group = root.groups["sendai"]
        meta = json.loads(group.getncattr("metadata"))
        del meta["displacement_by"]
        group.setncattr("metadata", json.dumps(meta, sort_keys=True))
    result = cli("report", "sendai", old, "--out", tmp_path / "tables")
    assert result.exit_code == 1
    assert "earthquake (impact_time: day)" in result.output and "run it again" in result.output
    assert not (tmp_path / "tables").exists()
    ok = cli("report", "sendai", demo["run"], "--out", tmp_path / "again")
    assert ok.exit_code == 0
    assert (tmp_path / "again" / "sendai.csv").read_bytes() == (
        demo["run"] / "sendai.csv"
    ).read_bytes()


# ------------------------------------------------------------ 3. ensemble range


def test_ensemble_members_range_in_every_sendai_file(demo):
    """river_flood_years (two members): each unit's expected annual D1 spans zones.csv's
    aad_member_min to aad_member_max, the nation summary.json's; range_kind says so; the
    same in sendai_hxl.csv and sendai.xlsx."""
    table, zones, run = demo["table"], demo["zones"], demo["run"]
    years = zones[zones["hazard_id"] == "river_flood_years"].set_index("zone_code")
    rows = pick(
        table, hazard_id="river_flood_years", measure="expected_annual", indicator_code="XMR-D1"
    )
    totals = rows[rows["breakdown"] == ""].set_index("admin_code")
    assert len(totals) == len(years[years["population"] > 0]) + 1  # units and the nation
    national = demo["summary"]["hazards"]["river_flood_years"]
    for code, row in totals.iterrows():
        low, high = (
            (national["aad_member_min"], national["aad_member_max"])
            if code == "XMR"
            else (years.loc[code, "aad_member_min"], years.loc[code, "aad_member_max"])
        )
        assert float(row["low"]) == pytest.approx(low, rel=1e-12, abs=1e-9)
        assert float(row["high"]) == pytest.approx(high, rel=1e-12, abs=1e-9)
        assert row["range_kind"].startswith("ensemble members")
    # every expected-annual row of the set has a range; without curve variants, the members'
    annual = pick(table, hazard_id="river_flood_years", measure="expected_annual")
    assert (annual["low"] != "").all() and (annual["high"] != "").all()
    members = annual[annual["range_kind"].str.startswith("ensemble members")]
    assert set(members["indicator_code"]) >= {"B-5", "XMR-D1", "XMR-D5", "XMR-D6"}
    value, low, high = (members[c].astype(float) for c in ("value_number", "low", "high"))
    assert (low <= value + 1e-9).all() and (value <= high + 1e-9).all() and (low < high).any()
    curves = annual[annual["range_kind"].str.startswith("curve variants")]
    assert all("ensemble members:" in note for note in curves["notes"])
    # the curve-variant hazard is unchanged: its ranges stay the curve variants'
    other = pick(table, hazard_id="river_flood", measure="expected_annual")
    assert not other["range_kind"].str.startswith("ensemble").any()
    # the HXL copy and the workbook carry the same ranges
    hxl = pd.read_csv(run / "sendai_hxl.csv", encoding="utf-8-sig", dtype=str, skiprows=[1])
    hxl = hxl.fillna("")
    pd.testing.assert_frame_equal(
        hxl[["low", "high", "range_kind"]], table[["low", "high", "range_kind"]]
    )
    book = pd.read_excel(run / "sendai.xlsx", sheet_name="National", dtype=str).fillna("")
    row = pick(
        book, hazard_id="river_flood_years", indicator_code="XMR-D1", measure="expected_annual"
    )
    assert float(row["low"].item()) == pytest.approx(national["aad_member_min"], rel=1e-9)
    assert float(row["high"].item()) == pytest.approx(national["aad_member_max"], rel=1e-9)
    assert row["range_kind"].item().startswith("ensemble members")


def test_group_member_ranges_add_up(demo):
    """Groups of river_flood_years: the members' low / high of the sex rows add up to the
    total's (each member's figure is additive; two members, so low and high are members)."""
    table = demo["table"]
    rows = pick(
        table, hazard_id="river_flood_years", measure="expected_annual", indicator_code="XMR-D1"
    )
    for code, part in rows.groupby("admin_code"):
        total = part[part["breakdown"] == ""]
        sexes = part[part["breakdown"] == "sex"]
        for end in ("low", "high"):
            assert sexes[end].astype(float).sum() == pytest.approx(
                float(total[end].item()), rel=1e-9, abs=1e-6
            ), (code, end)


# ------------------------------------------------------------- 4. sites and sea-level rise


def test_demo_sites_name_sea_level_rise_as_relocation(demo):
    sites = pd.read_csv(demo["run"] / "sites.csv", encoding="utf-8-sig")
    assert "sea_level_rise_aad" not in sites.columns
    assert {
        "sea_level_rise_at_risk_relocation",
        "sea_level_rise_at_risk_relocation_low",
        "sea_level_rise_at_risk_relocation_high",
    } <= set(sites.columns)
    page = (demo["run"] / "map.html").read_text(encoding="utf-8")
    assert "At risk of planned relocation, sea_level_rise" in page
    assert "At risk of displacement again, sea_level_rise" not in page


def test_sites_at_risk_of_planned_relocation_by_hand(tmp_path, raster_writer):
    """tests/test_slow_onset.py's coast (water level 1.3 m; the DEM raised 1 m floods no
    plain cell, lowered 1 m also the 1.8 m and 2.0 m cells). A camp of 200 on the 0.4 m
    cell: 200 at risk (low 0, high 200); one of 100 on the 1.8 m cell: 0 (high 100); one
    of 50 on the ridge: 0 throughout. The popup says people, with the range."""
    from mecc.run import run_country
    from tests.test_slow_onset import DEM, PEOPLE, SLR, T

    raster_writer("dem.tif", DEM, transform=T)
    raster_writer("pop.tif", PEOPLE, transform=T)
    camps = {"plain camp": ((1, 1), 200), "upper camp": ((3, 1), 100), "ridge camp": ((2, 3), 50)}
    lines = ["site_name,lat,lon,individuals"]
    for name, ((row, col), people) in camps.items():
        lon, lat = T.c + T.a * (col + 0.5), T.f + T.e * (row + 0.5)
        lines.append(f"{name},{lat},{lon},{people}")
    (tmp_path / "sites.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "run.yaml").write_text(
        "country: XXS\npopulation: {path: pop.tif}\nhazards:\n"
        + SLR
        + "    datum_offsets: {MSL: 0.2}\n"
        + "mobility:\n  sites: {path: sites.csv, in_population_grid: false}\n",
        encoding="utf-8",
    )
    result = run_country(tmp_path / "run.yaml", tmp_path / "out")
    sites = pd.read_csv(tmp_path / "out" / "sites.csv", encoding="utf-8-sig").set_index("site_name")
    assert not [c for c in sites.columns if c.startswith("slr_") and "aad" in c]
    expected = {"plain camp": (200, 0, 200), "upper camp": (0, 0, 100), "ridge camp": (0, 0, 0)}
    for name, (central, low, high) in expected.items():
        got = sites.loc[name, [f"slr_at_risk_relocation{s}" for s in ("", "_low", "_high")]]
        assert got.astype(float).tolist() == pytest.approx([central, low, high]), name
    # the same cells as everyone's figure: the camps' people are in summary.json's count
    summary = result.summary["hazards"]["slr"]
    assert summary["at_risk_relocation"] == pytest.approx(10 + 20 + 30 + 40 + 200)
    page = (tmp_path / "out" / "map.html").read_text(encoding="utf-8")
    assert "At risk of planned relocation, slr</th><td>200 people (range 0 to 200)" in page
    assert "slr</th><td>0 people</td>" in page  # the ridge camp: no range to show
    assert "At risk of displacement again, slr" not in page
