"""Band descriptions that only number the bands ("1", "2", ..., "n") are no event labels.

GDAL tools (gdal_merge.py, gdalbuildvrt -separate), QGIS exports and some rasterio writes
leave each band of a GeoTIFF described by its own number; rasterio's ``descriptions`` is
then ``('1', '2', ...)``. Read as event labels, they refused a valid events table whose
event ids happen to use those numbers for other bands (band 1 given event_id 3, "the
file's label of band 3"). They are used only when the table numbers its events the same
way (its event names or ids are exactly 1..n), as before; real labels ("rp10", "10",
"100", event names) are read as they always were.

The tiny country is ``tests._run_inputs.basic_case``: 4 x 4 cells, columns of 280, 320,
360 and 400 people (1,360), depth 0, 0.5, 1, 2 m by column; flood_step_1m displaces
everyone at 1 m and above.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import rasterio
import xarray as xr

from hazards.events import band_labels, check_band_labels, read_events
from hazards.readers import open_grid_file
from hazards.stated import stated_averaging
from mecc.errors import DataError
from mecc.raster_file import RasterFile
from mecc.run import run_country
from tests._errors import one_error_line
from tests._run_inputs import DEPTH, POP, basic_case, event_hazard, write_run
from tests.conftest import write_raster


def _described_tif(path, descriptions):
    """One band per description: band k holds DEPTH x k."""
    write_raster(path, np.stack([DEPTH * k for k in range(1, len(descriptions) + 1)]))
    with rasterio.open(path, "r+") as dataset:
        for k, text in enumerate(descriptions, 1):
            dataset.set_band_description(k, text)
    return RasterFile(path, "hazards[0].intensity (ev.tif)")


def _table(path, header, rows):
    path.write_text(header + "\n" + "".join(f"{row}\n" for row in rows), encoding="utf-8")
    return path


# --------------------------------------------------------- numbers counting the bands


def test_gdal_numbered_descriptions_do_not_refuse_the_events_own_ids(tmp_path):
    """Descriptions 1, 2, 3 (as gdalbuildvrt -separate leaves them); the table's event ids
    are a catalogue's 3, 17, 42: band 1 is event 3, not "the file's band 3"."""
    source = _described_tif(tmp_path / "ev.tif", ["1", "2", "3"])
    assert band_labels(source) == ["1", "2", "3"]  # what the file holds, unchanged
    path = _table(
        tmp_path / "events.csv", "band,frequency,event_id", ["1,0.1,3", "2,0.01,17", "3,0.002,42"]
    )
    events = read_events(path, 3, "events.csv", source=source)
    assert events["band"].tolist() == [1, 2, 3]
    assert events["frequency"].tolist() == [0.1, 0.01, 0.002]


def test_zero_based_numbers_do_not_refuse_one_based_ids(tmp_path):
    """Descriptions 0, 1, 2 (a rasterio loop writing its index) and the table's event ids
    1, 2, 3 on bands 1-3: before, band 1 ('0') was refused for event_id '1' of band 2."""
    source = _described_tif(tmp_path / "ev.tif", ["0", "1", "2"])
    path = _table(
        tmp_path / "events.csv", "band,frequency,event_id", ["1,0.1,1", "2,0.1,2", "3,0.1,3"]
    )
    assert read_events(path, 3, "events.csv", source=source)["band"].tolist() == [1, 2, 3]


def test_event_names_numbered_otherwise_and_blank_ids_are_read(tmp_path):
    """Names '3' and '1' for bands 1-2 of a 3-band file numbered 1-3, the third blank: not
    the file's numbers each once, so the numbers say nothing."""
    source = _described_tif(tmp_path / "ev.tif", [" 1", "2", "3 "])
    path = _table(tmp_path / "events.csv", "band,frequency,event_name", ["1,0.1,3", "2,0.1,1"])
    path.write_text(path.read_text() + "3,0.1,\n", encoding="utf-8")
    events = read_events(path, 3, "events.csv", source=source)
    assert events["event_name"].tolist() == ["3", "1", ""]


def test_a_table_numbering_its_events_like_the_file_is_still_checked(tmp_path):
    """Event ids 1..3 on bands 3, 2, 1 of a file numbered 1..3: the table uses the file's
    numbers, so band 1 given event_id 3 (the file's band 3) is refused, with the way out
    for a file whose numbers only count its bands."""
    source = _described_tif(tmp_path / "ev.tif", ["1", "2", "3"])
    path = _table(
        tmp_path / "events.csv", "band,frequency,event_id", ["1,0.1,3", "2,0.1,2", "3,0.1,1"]
    )
    with pytest.raises(DataError) as error:
        read_events(path, 3, "events.csv", source=source)
    assert str(error.value) == (
        "events.csv: band 1 of hazards[0].intensity (ev.tif) is labelled '1' in the file, "
        "but the table gives it event_id '3', the file's label of band 3; give each event "
        "the band the file holds it in (or, if the file's labels 1..3 only count its bands, "
        "remove them from the file)"
    )
    agreeing = _table(
        tmp_path / "ok.csv", "band,frequency,event_id", ["1,0.1,1", "2,0.1,2", "3,0.1,3"]
    )
    assert read_events(agreeing, 3, "ok.csv", source=source)["band"].tolist() == [1, 2, 3]


def test_check_band_labels_rule_directly():
    numbered = ["1", "2", "3"]
    # ids of a catalogue: the numbers count bands
    check_band_labels([1, 2, 3], {"event_id": ["3", "17", "42"]}, numbered, "e.csv")
    # names 1..3 in the table, ids otherwise: the names use the file's numbers, checked
    names = {"event_name": ["2", "1", "3"], "event_id": ["a", "b", "c"]}
    with pytest.raises(DataError, match=r"band 1 of the grid file is labelled '1'.*'2'"):
        check_band_labels([1, 2, 3], names, numbered, "e.csv")
    # two members each numbering its events 1..2 in a 4-band file numbered 1..4
    members = {"event_id": ["1", "2", "1", "2"]}
    check_band_labels([1, 2, 3, 4], members, ["1", "2", "3", "4"], "e.csv")


# --------------------------------------------------------- real labels read as before


@pytest.mark.parametrize(
    "descriptions",
    [
        ["rp10", "rp100", "rp1000"],
        ["10", "100", "1000"],  # return periods as bare numbers
        ["2", "3", "4"],  # numbers, but not counting from 0 or 1
        ["3", "1", "2"],  # 1..3 in another order than the bands
    ],
)
def test_real_labels_are_still_checked(tmp_path, descriptions):
    """The table gives band 1 the file's label of band 2: refused as before."""
    source = _described_tif(tmp_path / "ev.tif", descriptions)
    rows = ["1,0.1," + descriptions[1], "2,0.1," + descriptions[0], "3,0.1," + descriptions[2]]
    path = _table(tmp_path / "events.csv", "band,frequency,event_name", rows)
    with pytest.raises(
        DataError,
        match=rf"band 1 of .* is labelled '{descriptions[0]}' in the file, but the table "
        rf"gives it event_name '{descriptions[1]}', the file's label of band 2; give each "
        r"event the band the file holds it in$",
    ):
        read_events(path, 3, "events.csv", source=source)


def test_a_netcdf_numbering_its_bands_by_text_ids_is_treated_alike(tmp_path):
    """A NetCDF text event_id "1", "2", "3" counts the bands as its coordinate 1..3 would
    (hazards.netcdf): catalogue ids 3, 17, 42 are read."""
    lat = 49.95 - 0.1 * np.arange(4)
    lon = 10.05 + 0.1 * np.arange(4)
    data = {
        "wind": (("event", "lat", "lon"), np.stack([DEPTH * k for k in (1, 2, 3)])),
        "event_id": (("event",), np.array(["1", "2", "3"])),
    }
    path = tmp_path / "w.nc"
    coords = {"event": [2013, 2005, 1991], "lat": lat, "lon": lon}
    xr.Dataset(data, coords=coords).to_netcdf(path)
    source = open_grid_file(path, "w.nc")
    assert source.band_labels == ["1", "2", "3"]
    table = _table(
        tmp_path / "events.csv", "band,frequency,event_id", ["1,0.1,3", "2,0.1,17", "3,0.1,42"]
    )
    assert read_events(table, 3, "events.csv", source=source)["band"].tolist() == [1, 2, 3]


def test_numbered_descriptions_state_no_wind_averaging(tmp_path):
    """hazards.stated reads descriptions for the averaging period: a bare "1" or "10" is no
    "1-min" or "10-min" statement (guard: this held before the fix too)."""
    source = _described_tif(tmp_path / "w.tif", ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"])
    assert stated_averaging(source) is None


# --------------------------------------------------------- through mecc validate / run


def _country(folder, descriptions, rows):
    """basic_case with ev.tif (band 1 DEPTH, band 2 2 x DEPTH) described by
    ``descriptions`` and an events table with event ids; the run file's one hazard."""
    data = basic_case(folder)
    _described_tif(folder / "ev.tif", descriptions)
    _table(folder / "events.csv", "band,frequency,event_id", rows)
    return write_run(folder, {**data, "hazards": [event_hazard()]})


def _expected_aad():
    """Band 1 (0, 0.5, 1, 2 m) displaces columns 2-3, band 2 (0, 1, 2, 4 m) columns 1-3,
    at 0.1 and 0.01 a year."""
    people = POP.sum(axis=0)
    return 0.1 * people[2:].sum() + 0.01 * people[1:].sum()


def test_validate_and_run_read_a_gdal_numbered_file(cli, tmp_path):
    folder = tmp_path / "case"
    run_file = _country(folder, ["1", "2"], ["1,0.1,2", "2,0.01,7"])
    checked = cli("validate", run_file)
    assert checked.exit_code == 0, checked.stderr
    assert any(
        line.startswith("  ok  hazard ev: river_flood, events")
        for line in checked.stdout.splitlines()
    )
    out = tmp_path / "out"
    result = cli("run", run_file, "--out", out)
    assert result.exit_code == 0, result.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert _expected_aad() == pytest.approx(86.8)  # 0.1 x 760 + 0.01 x 1,080
    assert summary["hazards"]["ev"]["aad"] == pytest.approx(86.8)


def test_run_country_reads_a_gdal_numbered_file(tmp_path):
    run_file = _country(tmp_path / "case", ["1", "2"], ["1,0.1,2", "2,0.01,7"])
    result = run_country(run_file, tmp_path / "run")
    assert result.summary["hazards"]["ev"]["aad"] == pytest.approx(_expected_aad())


def test_validate_and_run_refuse_a_table_reversing_the_files_numbers(cli, tmp_path):
    """Event ids 2, 1 on bands 1, 2 of a file numbered 1, 2: one error line, no output."""
    run_file = _country(tmp_path / "case", ["1", "2"], ["1,0.1,2", "2,0.01,1"])
    out = tmp_path / "out"
    for result in (cli("validate", run_file), cli("run", run_file, "--out", out)):
        line = one_error_line(result, 1)
        assert line.startswith(
            "error: run.yaml.hazards[0] (ev).events (events.csv): band 1 of "
            "run.yaml.hazards[0] (ev).intensity (ev.tif) is labelled '1' in the file"
        )
        assert "event_id '2', the file's label of band 2" in line
        assert "if the file's labels 1..2 only count its bands, remove them" in line
    assert not out.exists()
