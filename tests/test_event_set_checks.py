"""Event sets checked against themselves and their files (the tropical-cyclone probe).

Frequencies all 1 a year are refused like return periods; an AAD above the people it
applies to is warned; an events table naming the events in another order than the file
labels them, and a NetCDF numbering its events out of order, are refused; duplicate event
ids and names are refused; curve variants given the wrong way round are refused, and a
headline range is always lowest-highest and absent for a single ensemble member.
Expected values are worked out by hand in each test.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import rasterio
import xarray as xr

from hazards.catalogue import check_frequencies
from hazards.curves import load_curve_set
from hazards.events import band_labels, check_band_labels, read_events
from hazards.readers import open_grid_file
from mecc.errors import ConfigError, DataError
from mecc.headlines import format_headline, headlines
from mecc.raster_file import RasterFile
from mecc.run import run_country
from mecc.run_checks import aad_warnings, no_data_warnings
from tests._official_formats import write_climada
from tests._run_inputs import DEPTH, TRANSFORM, basic_case, event_hazard, write_run
from tests.conftest import write_raster

NAMES = ["e1_haiyan", "e2_haiyan_n", "e3_haiyan_s"]


def _events_csv(path, rows, header="band,frequency"):
    path.write_text(header + "\n" + "".join(f"{row}\n" for row in rows), encoding="utf-8")
    return path


# ------------------------------------------------------------- 1. frequencies >= 1


@pytest.mark.parametrize("frequencies", [["1", "1", "1"], ["1"], ["1.0", "1", "1.00"]])
def test_frequencies_all_one_are_refused_like_return_periods(tmp_path, frequencies):
    """All 1.0 gave AAD 93 % of the people a year, silently (T4_freq_ones)."""
    path = _events_csv(tmp_path / "events.csv", [f"{k},{f}" for k, f in enumerate(frequencies, 1)])
    with pytest.raises(
        DataError, match=r"\(events.csv\): every frequency is 1 or more per year \(1"
    ):
        read_events(path, len(frequencies), "hazards[0].events (events.csv)")


def test_frequencies_all_one_in_a_climada_file_are_refused():
    """CLIMADA's default frequency (ones) left unset reads the same."""
    with pytest.raises(DataError, match=r"haz.hdf5: every .*a default frequency of 1 left unset"):
        check_frequencies(np.ones(4), "haz.hdf5", lambda k: f"of event {k + 1}")


def test_frequencies_below_one_are_still_read(tmp_path):
    path = _events_csv(tmp_path / "events.csv", ["1,0.5", "2,1", "3,1"])
    assert read_events(path, 3, "events.csv").frequency.tolist() == [0.5, 1.0, 1.0]


# ------------------------------------------------------------ 1. AAD above the people


def _tab(aad, zones):
    return SimpleNamespace(
        summary={"aad": aad}, zones=pd.DataFrame(zones), bands=pd.DataFrame({"band": [1]})
    )


def test_aad_above_the_people_is_warned_nationally_and_per_unit():
    zones = {
        "zone_code": ["PH08A", "PH08B", "__outside__"],
        "zone_name": ["West", "East", "Outside"],
        "population": [2000.0, 1000.0, 0.0],
        "aad": [500.0, 2500.0, 0.0],
    }
    (message,) = aad_warnings(SimpleNamespace(id="tc"), _tab(3000.0, zones), 3000.0 - 1.0)
    # 3,000 a year for 2,999 people: 100 %; East 2,500 for 1,000; West 500 < 2,000
    assert message.startswith("hazards.tc: AAD 3,000 people a year is more than the 2,999 ")
    assert "(100% of them displaced every year)" in message
    assert "in 1 unit(s) the AAD is more than the people living there: East (PH08B) " in message
    assert "2,500 a year for 1,000 people;" in message
    assert "West" not in message and "frequencies" in message


def test_aad_at_or_below_the_people_is_not_warned():
    zones = {"zone_code": ["A"], "zone_name": ["A"], "population": [100.0], "aad": [100.0]}
    assert aad_warnings(SimpleNamespace(id="x"), _tab(100.0, zones), 100.0) == []
    assert aad_warnings(SimpleNamespace(id="x"), _tab(None, zones), 100.0) == []  # a scenario


def test_a_run_with_frequencies_too_large_warns(tmp_path):
    """ev.tif: band 1 depth 0, 0.5, 1, 2 m by column, band 2 twice that; flood_step_1m
    displaces everyone at 1 m and above. Columns hold 280, 320, 360 and 400 people (1,360),
    unit A columns 0-1, B columns 2-3. Band 1 displaces columns 2-3 (760, all in B),
    band 2 columns 1-3 (1,080: A 320, B 760). At 3 and 0.5 a year: AAD 3 x 760 +
    0.5 x 1,080 = 2,820 (207 % of 1,360); B 3 x 760 + 0.5 x 760 = 2,660 for 760 people;
    A 0.5 x 320 = 160 for 600."""
    inputs = tmp_path / "inputs"
    data = basic_case(inputs)
    _events_csv(inputs / "events.csv", ["1,3", "2,0.5"])
    run = write_run(inputs, {**data, "hazards": [event_hazard()]})
    result = run_country(run, tmp_path / "run")
    assert result.summary["hazards"]["ev"]["aad"] == pytest.approx(2820.0)
    (message,) = [w for w in result.warnings if "more than the" in w]
    assert "AAD 2,820 people a year is more than the 1,360 people" in message
    assert "(207% of them" in message
    assert "1 unit(s)" in message and "Zone B (B) 2,660 a year for 760 people" in message
    # its own call (mecc run calls it beside no_data_warnings, which stays about data gaps)
    tab = _tab(2820.0, {"zone_code": ["B"], "zone_name": ["B"], "population": [760.0]})
    tab.zones["aad"] = [2660.0]
    hazard = SimpleNamespace(id="ev", components=None)
    assert len(aad_warnings(hazard, tab, 1360.0)) == 1
    assert no_data_warnings(hazard, tab, 1360.0) == []


# ------------------------------------------------------------- 2. band labels


def _described_tif(path, names):
    write_raster(path, np.stack([DEPTH * (k + 1) for k in range(len(names))]))
    with rasterio.open(path, "r+") as dataset:
        for k, name in enumerate(names, 1):
            dataset.set_band_description(k, name)
    return RasterFile(path, "hazards[0].intensity (named.tif)")


def test_events_named_in_reverse_of_the_band_descriptions_are_refused(tmp_path):
    """T2b: descriptions e1, e2, e3 on bands 1-3; the table maps e1 to band 3 (AAD +26 %)."""
    source = _described_tif(tmp_path / "named.tif", NAMES)
    assert band_labels(source) == NAMES
    path = _events_csv(
        tmp_path / "events.csv",
        ["3,0.02,e1_haiyan", "2,0.01,e2_haiyan_n", "1,0.01,e3_haiyan_s"],
        "band,frequency,event_name",
    )
    with pytest.raises(
        DataError,
        match=r"^hazards\[0\].events \(events.csv\): band 3 of hazards\[0\].intensity "
        r"\(named.tif\) is labelled 'e3_haiyan_s' in the file, but the table gives it "
        r"event_name 'e1_haiyan', the file's label of band 1; ",
    ):
        read_events(path, 3, "hazards[0].events (events.csv)", source=source)


def test_a_run_checks_the_band_descriptions_against_its_events_table(tmp_path):
    """The same reversed table through mecc run: refused before any output is written."""
    inputs = tmp_path / "inputs"
    data = basic_case(inputs)
    _described_tif(inputs / "ev.tif", ["e1", "e2"])
    _events_csv(inputs / "events.csv", ["2,0.1,e1", "1,0.01,e2"], "band,frequency,event_name")
    run = write_run(inputs, {**data, "hazards": [event_hazard()]})
    with pytest.raises(DataError, match=r"band 2 of .*is labelled 'e2' in the file"):
        run_country(run, tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_event_ids_are_checked_against_the_labels_too(tmp_path):
    source = _described_tif(tmp_path / "named.tif", NAMES)
    path = _events_csv(
        tmp_path / "events.csv",
        ["1,0.02,E2_HAIYAN_N ", "2,0.01,e1_haiyan", "3,0.01,e3_haiyan_s"],
        "band,frequency,event_id",
    )
    with pytest.raises(DataError, match=r"band 1 .*event_id 'E2_HAIYAN_N'.* band 2;"):
        read_events(path, 3, "events.csv", source=source)


def test_agreeing_or_unrelated_labels_are_read(tmp_path):
    source = _described_tif(tmp_path / "named.tif", NAMES)
    rows = [f"{k},0.01,{name}" for k, name in enumerate([" E1_Haiyan", *NAMES[1:]], 1)]
    path = _events_csv(tmp_path / "ok.csv", rows, "band,frequency,event_name")
    assert read_events(path, 3, "ok.csv", source=source).event_name.tolist()[1:] == NAMES[1:]
    other = _events_csv(
        tmp_path / "other.csv", ["1,0.1,a", "2,0.1,b", "3,0.1,c"], "band,frequency,event_name"
    )
    assert read_events(other, 3, "other.csv", source=source).band.tolist() == [1, 2, 3]


def test_labels_repeated_or_missing_say_nothing():
    names = {"event_name": ["b", "a"]}
    same = ["maximum 1-minute sustained wind at 10 m"] * 2
    check_band_labels([1, 2], names, same, "events.csv")  # the measure, not the events
    check_band_labels([1, 2], names, ["a", None], "events.csv")  # not every band labelled
    check_band_labels([1, 2], names, None, "events.csv")
    with pytest.raises(DataError, match="band 1 of the grid file is labelled 'a'"):
        check_band_labels([1, 2], names, ["a", "b"], "events.csv")


def _netcdf(path, coordinate, **labels):
    n = len(coordinate)
    lat = 49.95 - 0.1 * np.arange(4)
    lon = 10.05 + 0.1 * np.arange(4)
    data = {"wind": (("event", "lat", "lon"), np.stack([DEPTH * (k + 1) for k in range(n)]))}
    data.update({name: (("event",), np.array(values)) for name, values in labels.items()})
    xr.Dataset(data, coords={"event": coordinate, "lat": lat, "lon": lon}).to_netcdf(path)
    return path


def test_a_netcdf_numbering_its_events_out_of_order_is_refused(tmp_path):
    """NC_revcoord: event coordinate 3, 2, 1; band 1 of a table is the first position."""
    path = _netcdf(tmp_path / "rev.nc", [3, 2, 1])
    with pytest.raises(
        DataError,
        match=r"^w.nc: its event coordinate numbers the bands 3, 2, 1, in another order than "
        r"their position in the file \(the first band is event 3\); .*ds.sortby\('event'\)",
    ):
        open_grid_file(path, "w.nc")
    with pytest.raises(DataError, match="numbers the bands 1, 0, 2"):
        open_grid_file(_netcdf(tmp_path / "zero.nc", [1, 0, 2]), "w.nc")


def test_a_netcdf_in_order_or_labelled_otherwise_is_read(tmp_path):
    # a coordinate numbering the bands in order (xarray's default 0..n-1, or 1..n) holds
    # positions, not event labels: a table's 1-based event ids are not checked against it
    for first in (0, 1):
        source = open_grid_file(_netcdf(tmp_path / f"p{first}.nc", [first, first + 1]), "p")
        assert source.count == 2 and source.band_labels is None
        table = _events_csv(
            tmp_path / f"events{first}.csv", ["1,0.1,1", "2,0.01,2"], "band,frequency,event_id"
        )
        assert read_events(table, 2, "events.csv", source=source)["band"].tolist() == [1, 2]
    years = open_grid_file(_netcdf(tmp_path / "c.nc", [2013, 2005, 1991]), "c")
    assert years.band_labels == ["2013", "2005", "1991"]  # years, not band numbers


def test_a_netcdf_with_event_names_is_checked_by_them(tmp_path):
    path = _netcdf(tmp_path / "n.nc", [0, 1, 2], event_name=NAMES)
    source = open_grid_file(path, "n.nc")
    assert source.band_labels == NAMES
    table = _events_csv(
        tmp_path / "events.csv",
        ["1,0.1,e3_haiyan_s", "2,0.1,e2_haiyan_n", "3,0.1,e1_haiyan"],
        "band,frequency,event_name",
    )
    with pytest.raises(DataError, match=r"band 1 of n.nc is labelled 'e1_haiyan'"):
        read_events(table, 3, "events.csv", source=source)


def test_a_run_with_a_reversed_netcdf_is_refused_before_any_output(tmp_path):
    inputs = tmp_path / "inputs"
    data = basic_case(inputs)
    _netcdf(inputs / "ev.nc", [2, 1])
    hazard = event_hazard(intensity="ev.nc", variable="wind")
    run = write_run(inputs, {**data, "hazards": [hazard]})
    with pytest.raises(DataError, match=r"ev.nc\): its event coordinate numbers the bands 2, 1"):
        run_country(run, tmp_path / "run")
    assert not (tmp_path / "run").exists()


# ------------------------------------------------------------- 3. duplicates


def test_duplicate_event_names_are_refused(tmp_path):
    """T5: bands 1 and 2 both e1_haiyan gave two 'e1_haiyan / A' rows in sendai.csv."""
    path = _events_csv(
        tmp_path / "events.csv",
        ["1,e1,e1_haiyan,0.02", "2,e2,e1_haiyan,0.015", "3,e3,e3_haiyan_s,0.015"],
        "band,event_id,event_name,frequency",
    )
    with pytest.raises(
        DataError,
        match=r"^events.csv: event_name 'e1_haiyan' is given to 2 events \(lines 2, 3\); "
        "give each event its own event_name$",
    ):
        read_events(path, 3, "events.csv")


def test_duplicate_event_ids_are_refused(tmp_path):
    path = _events_csv(
        tmp_path / "events.csv",
        ["1,7,a,0.1", "2,8,b,0.1", "3,7 ,c,0.1", "4,9,d,0.1"],
        "band,event_id,name,frequency",
    )
    with pytest.raises(DataError, match=r"event_id '7' is given to 2 events \(lines 2, 4\)"):
        read_events(path, 4, "events.csv")


def test_a_name_repeated_within_a_member_is_refused_across_members_read(tmp_path):
    """Years as names, one set per model: 2001 of model_a and 2001 of model_b differ."""
    rows = ["1,2001,a,0.5", "2,2002,a,0.5", "3,2001,b,0.5", "4,2002,b,0.5"]
    path = _events_csv(tmp_path / "ok.csv", rows, "band,event_name,member,frequency")
    assert read_events(path, 4, "ok.csv").event_name.tolist() == ["2001", "2002"] * 2
    rows[3] = "4,2001,b,0.5"
    path = _events_csv(tmp_path / "bad.csv", rows, "band,event_name,member,frequency")
    with pytest.raises(
        DataError, match=r"event_name '2001' of member 'b' is given to 2 events \(lines 4, 5\)"
    ):
        read_events(path, 4, "bad.csv")


def test_blank_names_are_not_duplicates(tmp_path):
    path = _events_csv(
        tmp_path / "events.csv", ["1,,0.1", "2,,0.1", "3,x,0.1"], "band,event_name,frequency"
    )
    assert read_events(path, 3, "events.csv").event_name.tolist() == ["", "", "x"]


def test_duplicate_event_ids_of_a_climada_file_are_refused(tmp_path):
    import h5py

    from hazards.climada import read_climada_events

    path = write_climada(tmp_path / "haz.hdf5", np.stack([DEPTH] * 3), TRANSFORM, [0.1] * 3)
    with h5py.File(path, "r+") as handle:
        del handle["event_id"]
        handle.create_dataset("event_id", data=[5, 6, 5])
    with pytest.raises(DataError, match=r"^haz: event_id 5 is given to 2 events \(events 1, 3 "):
        read_climada_events(path, "haz")


# ------------------------------------------------------------- 4. variants


def _inline(share_at_30, share_at_60):
    return {"intensity": [0.0, 30.0, 60.0], "share": [0.0, share_at_30, share_at_60]}


def test_variants_the_wrong_way_round_are_refused():
    """T12: low above high everywhere printed 'range 139,869-5,816'."""
    with pytest.raises(
        ConfigError,
        match=r"^hazards\[0\].curve variants: 'low' displaces at least as large a share as "
        r"'high' at every intensity, and more at some; low must displace fewer people: swap them$",
    ):
        load_curve_set(
            _inline(0.2, 0.5),
            {"low": _inline(0.3, 0.9), "high": _inline(0.1, 0.4)},
            where="hazards[0].curve",
        )


def test_variants_the_wrong_way_round_by_a_step_are_refused():
    """Equal but for a step: 'low' steps to 1 at 1 m, 'high' at 1.5 m (low above high
    between 1 and 1.5 m, equal elsewhere)."""
    with pytest.raises(ConfigError, match="swap them"):
        load_curve_set("flood_step_1m", {"low": "flood_step_1m:central", "high": "flood_step_1.5m"})


def test_crossing_equal_or_ordered_variants_are_kept():
    crossing = {"low": _inline(0.3, 0.4), "high": _inline(0.1, 0.9)}  # low above below 45
    assert set(load_curve_set(_inline(0.2, 0.5), crossing)) == {"central", "low", "high"}
    same = {"low": _inline(0.2, 0.5), "high": _inline(0.2, 0.5)}
    assert set(load_curve_set(_inline(0.2, 0.5), same)) == {"central", "low", "high"}
    assert list(load_curve_set("flood_step_1m")) == ["central", "low", "high"]  # built-in


def test_a_headline_range_is_lowest_highest():
    """Crossing curves (warned by the run) whose 'low' gives the larger AAD."""
    summary = {"hazards": {"tc": {"kind": "events", "aad": 64035.0, "aad_low": 139869.0,
                                  "aad_high": 5816.0}}}  # fmt: skip
    (record,) = headlines(summary)
    assert (record["low"], record["high"]) == (5816.0, 139869.0)
    assert "(range 5,816-139,869, curve variants;" in format_headline(record)


# ------------------------------------------------------------- 5. one member


def _member_summary(members):
    return {
        "hazards": {
            "tc": {
                "kind": "events",
                "aad": 257734.0,
                "aad_member_min": 250000.0 if members > 1 else 257734.0,
                "aad_member_max": 260000.0 if members > 1 else 257734.0,
                "members": members,
            }
        }
    }


def test_one_member_has_no_ensemble_range():
    """T4d: 'range 5,154,680-5,154,680, ensemble members' for a single member."""
    (record,) = headlines(_member_summary(1))
    assert (record["low"], record["high"], record["range"]) == (None, None, None)
    assert format_headline(record) == "tc: AAD 257,734 people a year (modelled estimate)"
    (two,) = headlines(_member_summary(2))
    assert "(range 250,000-260,000, ensemble members;" in format_headline(two)


def test_a_run_with_one_member_prints_no_range(tmp_path):
    """flood_step_0.5m has no variants; both events of member A. Band 1 displaces columns
    1-3 (0.5 m and above: 1,080 people), band 2 the same (1,080): AAD 0.1 x 1,080 +
    0.01 x 1,080 = 118.8."""
    inputs = tmp_path / "inputs"
    data = basic_case(inputs)
    _events_csv(inputs / "events.csv", ["1,0.1,A", "2,0.01,A"], "band,frequency,member")
    hazard = event_hazard(curve="flood_step_0.5m")
    result = run_country(write_run(inputs, {**data, "hazards": [hazard]}), tmp_path / "run")
    (record,) = headlines(result.summary)
    assert record["value"] == pytest.approx(118.8)
    assert result.summary["hazards"]["ev"]["members"] == 1
    assert record["range"] is None
