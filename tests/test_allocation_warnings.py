"""What a run says about its allocation of the displaced, and the day/night table's errors.

The allocation (``mecc.allocation``) is a gravity rule without capacity: the run warns
per hazard and band about units that would host more people than live there, people
hosted outside every admin unit and bands whose displaced people mostly have no host in
reach (``allocation_tables.band_warnings``), and once about the hazards it leaves out
(``allocation_tables.not_allocated``), also recorded in manifest.json.

The run below uses the 4 x 4 test grid (tests/_run_inputs.py, 0.1-degree cells, people
10, 20, ..., 160 row by row, 1,360 in all) with unit A = columns 0-1 (600 people) and B =
columns 2-3 of rows 1-3 (690 people): cells (0, 2) and (0, 3) (30 + 40 = 70 people) are
outside every unit. With 2 m of water the 1 m step curve displaces everyone in a cell;
a dry cell's people are the only hosts.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from exposure.mobility import check_zone_codes, daytime_population, read_day_night
from mecc.allocation_tables import band_warnings, not_allocated
from mecc.errors import DataError
from tests._run_inputs import POP, basic_case, cell_box, event_hazard, write_run, write_zones
from tests.conftest import write_raster

WHERE = "run.yaml.mobility.allocation: flood band 1"


def _units(hosted, residents):
    codes = [f"U{k + 1}" for k in range(len(hosted))]
    return pd.DataFrame(
        {
            "zone_code": codes,
            "zone_name": [f"Unit {c}" for c in codes],
            "hosted": np.asarray(hosted, dtype=np.float64),
            "residents": np.asarray(residents, dtype=np.float64),
        }
    )


# ------------------------------------------------------------------ band_warnings


def test_units_hosting_more_than_their_residents_are_named_worst_first():
    # burdens 5,000, 3,000, 0, no residents, 1,333 per 1,000: four units over 1,000
    units = _units([5000, 300, 0, 20, 40], [1000, 100, 50, 0, 30])
    (line,) = band_warnings(WHERE, 5.0, units, (0.0, 0.0), 5360.0, 0.0)
    assert line.startswith(
        f"{WHERE}: 4 units would host more people than live there (host burden above 1,000 "
        "per 1,000 residents): Unit U4 (U4) 20 people with no residents, Unit U1 (U1) 5,000 per "
        "1,000, Unit U2 (U2) 3,000 per 1,000, and 1 more; hosting is not capped by capacity"
    )
    assert line.endswith("a radius_km smaller than 5 keeps people nearer home")
    assert "outside every admin unit" not in line


def test_a_unit_hosting_no_more_than_its_residents_is_not_warned_about():
    units = _units([1000, 999], [1000, 1000])  # burdens 1,000 and 999: not above 1,000
    assert band_warnings(WHERE, 5.0, units, (0.0, 0.0), 1999.0, 0.0) == []


def test_people_hosted_outside_every_unit_are_counted_from_one_percent_of_those_hosted():
    units = _units([5300], [100000])  # 53 per 1,000: no unit over 1,000
    (line,) = band_warnings(WHERE, 5.0, units, (60.0, 7.0), 5360.0, 0.0)  # 60 of 5,360
    assert line == (
        f"{WHERE}: 60 people (1% of those hosted) are hosted outside every admin unit, where 7 "
        "people live; hosting is not capped by capacity: read hosted as pressure on host "
        "communities, not as places that can take them; a radius_km smaller than 5 keeps "
        "people nearer home; check that the population grid does not reach beyond the "
        "admin units (or across a border)"
    )
    # 53 of 5,353 hosted (0.99 %) outside: not warned about
    assert band_warnings(WHERE, 5.0, units, (53.0, 7.0), 5353.0, 0.0) == []


def test_most_displaced_people_without_a_host_are_warned_about_with_share_and_radius():
    units = _units([54587], [2_000_000])
    (line,) = band_warnings(WHERE, 5.0, units, (0.0, 0.0), 859006.0, 804419.0)
    assert line.startswith(
        f"{WHERE}: 804,419 of 859,006 displaced people (94%) have no host within the 5 km radius"
    )
    assert "no_host" in line and "a larger radius_km" in line
    # exactly half without a host is not more than half
    assert band_warnings(WHERE, 5.0, _units([500], [10**6]), (0.0, 0.0), 1000.0, 500.0) == []
    assert len(band_warnings(WHERE, 5.0, _units([499], [10**6]), (0.0, 0.0), 1000.0, 501.0)) == 1


def test_not_allocated_says_why_for_each_kind_left_out():
    def hazard(kind="scenario", components=None, exposure_only=False):
        return SimpleNamespace(kind=kind, components=components, exposure_only=exposure_only)

    assert not_allocated(hazard()) is None
    assert not_allocated(hazard("return_periods")) is None
    assert not_allocated(hazard("events")).startswith("an event set")
    assert not_allocated(hazard("relocation")).startswith("sea-level rise")
    assert not_allocated(hazard(exposure_only=True)).startswith("drought")
    assert not_allocated(hazard(components=[object()])).startswith("a combined hazard")


# ------------------------------------------------------------------ a whole run


def _case(folder):
    data = basic_case(folder)
    write_zones(
        folder / "zones.geojson",
        ["A", "B"],
        [cell_box(0, 0, rows=4, cols=2), cell_box(1, 2, rows=3, cols=2)],
        names=["Zone A", "Zone B"],
    )
    wet = np.full((4, 4), 2.0)
    write_raster(folder / "wet.tif", wet)  # no one safe: nobody can host
    for name, dry in (("dry_a.tif", (0, 0)), ("dry_out.tif", (0, 3))):
        depth = wet.copy()
        depth[dry] = 0.0
        write_raster(folder / name, depth)
    scenario = {"type": "river_flood", "scenario": "test", "curve": "flood_step_1m"}
    data["hazards"] = [
        {"id": "wet", "intensity": "wet.tif", **scenario},
        {"id": "dry_a", "intensity": "dry_a.tif", **scenario},
        {"id": "dry_out", "intensity": "dry_out.tif", **scenario},
        event_hazard(),
    ]
    # cells of 11 km (cell_km 5 rounds to the analysis grid's own): every cell its own
    data["mobility"] = {"allocation": {"radius_km": 300, "cell_km": 5}}
    return data


def test_a_run_warns_about_its_allocation_in_manifest_json(cli, tmp_path):
    folder = tmp_path / "case"
    folder.mkdir()
    result = cli("run", write_run(folder, _case(folder)), "--out", tmp_path / "out", "--no-map")
    assert result.exit_code == 0, result.stderr
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    said = [w for w in manifest["warnings"] if w.startswith("run.yaml.mobility.allocation")]
    assert len(said) == 4, said
    label = "run.yaml.mobility.allocation"
    # every cell flooded: all 1,360 displaced people have no host
    assert said[1].startswith(
        f"{label}: wet band 1: 1,360 of 1,360 displaced people (100%) have no host within "
        "the 300 km radius"
    )
    # only cell (0, 0) of A is dry: A (600 people) hosts everyone else, 1,350
    assert said[2].startswith(
        f"{label}: dry_a band 1: 1 unit would host more people than live there (host burden "
        "above 1,000 per 1,000 residents): Zone A (A) 2,250 per 1,000; hosting is not capped"
    )
    # only cell (0, 3), outside every unit, is dry: 1,360 - 40 people are hosted there
    assert said[3].startswith(
        f"{label}: dry_out band 1: 1,320 people (100% of those hosted) are hosted outside "
        "every admin unit, where 70 people live; hosting is not capped by capacity"
    )
    # the event set is left out, once, and says so in the allocation's entry
    assert said[0].startswith(f"{label}: not allocated (allocation.csv and flows.csv leave ")
    assert "ev (an event set: an allocation per synthetic event says little" in said[0]
    about = manifest["parameters"]["exposure"]["allocation"]
    assert list(about["not_allocated"]) == ["ev"]
    assert about["not_allocated"]["ev"].startswith("an event set")
    assert about["capacity"].startswith("none: hosting is not capped")
    assert about["hazards"]["wet"] == [
        {"band": "1", "displaced": pytest.approx(1360.0), "hosted": 0.0, "no_host": 1360.0}
    ]
    rows = pd.read_csv(tmp_path / "out" / "allocation.csv", encoding="utf-8-sig")
    a = rows[(rows["zone_code"] == "A") & (rows["hazard_id"] == "dry_a")].iloc[0]
    assert a["hosted"] == pytest.approx(1350.0) and a["residents"] == pytest.approx(600.0)
    assert a["host_burden_per_1000"] == pytest.approx(2250.0)
    assert POP.sum() == 1360.0


def test_a_run_allocating_no_hazard_says_which_are_left_out(tmp_path):
    from mecc.run import run_country

    folder = tmp_path / "case"
    data = basic_case(folder)
    data["hazards"] = [event_hazard()]
    data["mobility"] = {"allocation": {"radius_km": 300, "cell_km": 5}}
    result = run_country(write_run(folder, data), tmp_path / "out", with_map=False)
    said = [w for w in result.warnings if "mobility.allocation" in w]
    assert len(said) == 1 and "not allocated" in said[0] and "ev (an event set" in said[0]
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    about = manifest["parameters"]["exposure"]["allocation"]
    assert about["not_allocated"] == {"ev": about["not_allocated"]["ev"]}
    assert about["hazards"] == {}
    assert not (tmp_path / "out" / "allocation.csv").exists()


def test_validate_names_the_hazards_the_allocation_leaves_out_as_the_run_does(tmp_path):
    """`mecc validate` gives the run's "not allocated" warning, word for word (the event
    set `ev` is left out): a user learns it before running."""
    from mecc.checks import validate_run
    from mecc.run import run_country

    folder = tmp_path / "case"
    folder.mkdir()
    run_file = write_run(folder, _case(folder))
    report = validate_run(run_file)
    said = [w for w in report.warnings if "not allocated" in w]
    assert len(said) == 1 and "ev (an event set: an allocation per synthetic event" in said[0]
    ran = run_country(run_file, tmp_path / "out", with_map=False)
    assert said == [w for w in ran.warnings if "not allocated" in w]


# ------------------------------------------------------------------ day/night table


def _od(tmp_path, text):
    (tmp_path / "od.csv").write_text("from,to,part\n" + text, encoding="utf-8")
    spec = {"path": "od.csv", "origin_column": "from", "destination_column": "to"}
    return read_day_night({**spec, "share_column": "part"}, tmp_path, "run.yaml.day_night")


WHERE_OD = "run.yaml.day_night (od.csv)"


def test_an_unknown_code_names_the_file_column_row_and_code(tmp_path):
    od = _od(tmp_path, "A,B,0.2\nA,Z9,0.2\nQ,B,0.1\n")
    with pytest.raises(DataError) as caught:
        check_zone_codes(od, ["A", "B"], "run.yaml.day_night")
    assert str(caught.value) == (
        f"{WHERE_OD}.to: data row 2: zone code 'Z9' is not a code of the finest zone level; "
        "1 other unknown code too"
    )
    with pytest.raises(DataError, match=r"^run\.yaml\.day_night \(od\.csv\)\.from: data row 1: "):
        daytime_population(np.array([10.0, 20.0]), ["a", "B"], od, "mobility.day_night")


def test_shares_over_1_name_their_rows_shares_and_sum(tmp_path):
    # row 1 moves nobody (A to A) and is left out of the sum, not of the numbering
    with pytest.raises(DataError) as caught:
        _od(tmp_path, "A,A,1\nA,B,0.7\nB,A,0.1\nA,C,0.6\n")
    assert str(caught.value) == (
        f"{WHERE_OD}.part: the shares leaving zone A add up to 1.3, more than 1 (more people "
        "would leave than live there): data rows 2 and 4 (0.7 + 0.6); the shares of one "
        "origin are of its residents and add up to 1 at most"
    )


@pytest.mark.parametrize(("given", "shown"), [("1.5", "1.5"), ("-0.2", "-0.2"), ("half", "'half'")])
def test_a_share_outside_0_1_names_its_value(tmp_path, given, shown):
    with pytest.raises(DataError) as caught:
        _od(tmp_path, f"A,B,0.2\nB,A,{given}\n")
    assert str(caught.value) == (
        f"{WHERE_OD}.part: data row 2 (B to A) is {shown}, not a share from 0 to 1"
    )


def test_a_good_table_keeps_its_file_rows(tmp_path):
    od = _od(tmp_path, "A,A,1\nA,B,0.25\nB,A,0.5\n")
    assert od[["origin", "destination", "share", "row"]].values.tolist() == [
        ["A", "B", 0.25, 2],
        ["B", "A", 0.5, 3],
    ]
    day = daytime_population(np.array([100.0, 40.0]), ["A", "B"], od, "x")
    np.testing.assert_allclose(day, [100 - 25 + 20, 40 - 20 + 25])
