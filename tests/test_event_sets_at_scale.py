"""Event sets of thousands of bands open in time linear in the bands; what an events table
says about each event reaches the outputs; curve-file advice for CLIMADA impact functions.

- Opening a GeoTIFF event set read each band's unit (and, for wind, its averaging) by
  reopening the file once per band, each time reading every band's metadata: 20,000
  events took 494 s. Whatever is read about a file is now read once per file; the tests
  count ``rasterio.open`` calls (no timing).
- ``mecc validate``'s sample rebuilt the set of the bands it had read once per band.
- ``event_id`` (events table or CLIMADA file) is carried to bands.csv, zones_bands.csv and
  results.nc (``band_event_id``) and names the Sendai event rows when there is no name.
- An events-table column written as a known one in other case (``Member``) is refused, a
  close misspelling warned about; a ``return_period`` contradicting 1/frequency refused.
- CLIMADA's MDR interpolates mdd and paa separately, then multiplies: the curve-file
  advice says when ``share = mdd x paa`` is exact and how to tabulate it otherwise.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
import rasterio
import xarray as xr
from affine import Affine

from hazards.curves import CLIMADA_HINT, Curve, read_curve_csv
from hazards.events import read_events
from hazards.readers import read_hazard
from mecc import check_samples
from mecc.errors import CurveError, DataError, MeccWarning
from tests._official_formats import write_climada
from tests._run_inputs import basic_case, event_hazard, write_run
from tests.conftest import write_raster

BANDS = 2000
MOST_OPENS_PER_FILE = 6
"""Opening a set may open its file a few times (grid, unit, averaging, labels), never per band."""


def _many_bands(folder, bands=BANDS, **tags):
    """A 3 x 4 GeoTIFF of ``bands`` bands (band unit ``m``) and its events table."""
    rng = np.random.default_rng(1)
    data = rng.uniform(0.0, 2.0, (bands, 3, 4)).astype(np.float32)
    profile = {
        "driver": "GTiff",
        "height": 3,
        "width": 4,
        "count": bands,
        "dtype": "float32",
        "crs": "EPSG:4326",
        "transform": Affine(0.1, 0, 10.0, 0, -0.1, 50.0),
    }
    with rasterio.open(folder / "many.tif", "w", **profile) as dataset:
        dataset.write(data)
        dataset.units = ("m",) * bands
        if tags:
            dataset.update_tags(**tags)
    frequency = np.full(bands, 1e-4)
    pd.DataFrame({"band": range(1, bands + 1), "frequency": frequency}).to_csv(
        folder / "many.csv", index=False
    )
    return data


def _counting_opens(monkeypatch) -> list:
    opened = []
    real = rasterio.open

    def counting(path, *args, **kwargs):
        opened.append(str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(rasterio, "open", counting)
    return opened


def test_a_2000_band_flood_set_opens_its_file_a_few_times_not_per_band(tmp_path, monkeypatch):
    _many_bands(tmp_path)
    write_raster(tmp_path / "frac.tif", np.full((BANDS, 3, 4), 0.5, dtype=np.float32))
    spec = {
        "id": "fl",
        "type": "river_flood",
        "intensity": "many.tif",
        "events": "many.csv",
        "fraction": "frac.tif",
        "curve": "flood_step_0.5m",
    }
    opened = _counting_opens(monkeypatch)
    hazard = read_hazard(spec, tmp_path, "hazards[0] (river_flood)")
    assert len(hazard.layers) == BANDS and len(hazard.bands) == BANDS
    assert hazard.unit == "m" and hazard.unit_factor == 1.0  # the band unit, read once
    # one wrapper of the fraction file for all its bands, not one per band
    assert len({id(source) for source, _ in hazard.fraction_layers}) == 1
    many = [path for path in opened if path.endswith("many.tif")]
    assert 1 <= len(many) <= MOST_OPENS_PER_FILE, len(many)
    assert len(opened) <= 2 * MOST_OPENS_PER_FILE


def test_a_2000_band_wind_set_reads_its_stated_averaging_once(tmp_path, monkeypatch):
    _many_bands(tmp_path, measure="maximum 1-minute sustained wind at 10 m")
    with rasterio.open(tmp_path / "many.tif", "r+") as dataset:
        dataset.units = ("m/s",) * BANDS
    spec = {
        "id": "tc",
        "type": "tropical_cyclone",
        "intensity": "many.tif",
        "events": "many.csv",
        "curve": "sshws_inasafe",
    }
    opened = _counting_opens(monkeypatch)
    hazard = read_hazard(spec, tmp_path, "hazards[0] (tropical_cyclone)")
    assert hazard.unit_factor == 1.0 and hazard.conversion == ""  # 1-min, as stated
    assert len(opened) <= MOST_OPENS_PER_FILE, len(opened)


def test_validate_opens_a_2000_band_set_a_bounded_number_of_times(cli, tmp_path, monkeypatch):
    folder = tmp_path / "case"
    run = basic_case(folder)
    _many_bands(folder)
    run["hazards"] = [event_hazard("fl", intensity="many.tif", events="many.csv")]
    path = write_run(folder, run)
    opened = _counting_opens(monkeypatch)
    result = cli("validate", path)
    assert result.exit_code == 0, result.output
    assert f"{BANDS} band(s)" in result.output
    many = [p for p in opened if p.endswith("many.tif")]
    assert len(many) <= 4 * MOST_OPENS_PER_FILE, len(many)


class _Counted(int):
    """A band number that counts how often it is hashed (a set built of it)."""

    hashes = 0

    def __hash__(self):
        _Counted.hashes += 1
        return int.__hash__(self)


def test_the_sample_builds_the_set_of_bands_read_once_not_per_band(monkeypatch):
    """After a round of sampled bands, the others are those not read: one set of the
    bands read, not one per remaining band (18,000 read of 20,000 cost 360 million)."""
    spaced = check_samples._spaced
    monkeypatch.setattr(
        check_samples, "_spaced", lambda bands, wanted: [_Counted(b) for b in spaced(bands, wanted)]
    )
    monkeypatch.setattr(check_samples, "_read_into", lambda *args: None)  # no water: 2 rounds
    monkeypatch.setattr(check_samples, "_layout", lambda source: (False, (1, 4)))
    source = type("S", (), {"grid": type("G", (), {"height": 3, "width": 4})(), "label": "x"})()
    _Counted.hashes = 0
    check_samples.sample_bands(source, range(1, 3001))
    # picked: 32 then the 2,968 others; each set built once: about 3,000 hashes, not 3 million
    assert _Counted.hashes <= 2 * 3000, _Counted.hashes


# ------------------------------------------------------------------ event ids in outputs


def test_event_ids_reach_bands_zones_bands_results_and_sendai_names(cli, tmp_path):
    folder = tmp_path / "case"
    run = basic_case(folder)
    (folder / "events.csv").write_text(
        "band,frequency,event_id\n1,0.1,EV-0017\n2,0.01,EV-0042\n", encoding="utf-8"
    )
    run["hazards"] = [event_hazard("ev")]
    out = tmp_path / "out"
    result = cli("run", write_run(folder, run), "--out", out, "--no-map")
    assert result.exit_code == 0, result.output
    bands = pd.read_csv(out / "bands.csv", dtype={"event_id": str})
    assert bands["event_id"].tolist() == ["EV-0017", "EV-0042"]
    zb = pd.read_csv(out / "zones_bands.csv", dtype={"event_id": str})
    assert list(zb.columns[:5]) == ["zone_code", "level", "hazard_id", "band", "event_id"]
    assert set(zb.loc[zb["band"] == 2, "event_id"]) == {"EV-0042"}
    with xr.open_dataset(out / "results.nc") as ds:
        assert ds["band_event_id"].sel(hazard="ev").values.tolist() == ["EV-0017", "EV-0042"]
    sendai = pd.read_csv(out / "sendai.csv", dtype=str, keep_default_na=False)
    events = sendai[sendai["measure"] == "event"]
    assert set(events["event_name"]) == {"EV-0017", "EV-0042"}
    assert set(events.loc[events["band"] == "2", "event_name"]) == {"EV-0042"}


def test_a_named_event_keeps_its_name_and_its_id_beside_it(cli, tmp_path):
    folder = tmp_path / "case"
    run = basic_case(folder)
    (folder / "events.csv").write_text(
        "band,frequency,event_name,event_id\n1,0.1,flood_a,7\n2,0.01,flood_b,8\n",
        encoding="utf-8",
    )
    run["hazards"] = [event_hazard("ev")]
    out = tmp_path / "out"
    assert cli("run", write_run(folder, run), "--out", out, "--no-map").exit_code == 0
    bands = pd.read_csv(out / "bands.csv")
    assert bands[["event_name", "event_id"]].values.tolist() == [["flood_a", 7], ["flood_b", 8]]
    sendai = pd.read_csv(out / "sendai.csv", dtype=str, keep_default_na=False)
    assert set(sendai.loc[sendai["measure"] == "event", "event_name"]) == {"flood_a", "flood_b"}


def test_a_climada_files_event_ids_reach_the_tables(cli, tmp_path):
    folder = tmp_path / "case"
    run = basic_case(folder)
    depth = np.array([[0.0, 0.5, 1.0, 2.0]] * 4)
    write_climada(
        folder / "haz.hdf5",
        np.stack([depth, depth * 2]),
        Affine(0.1, 0, 10.0, 0, -0.1, 50.0),
        [0.1, 0.01],
    )
    run["hazards"] = [
        {"id": "cl", "type": "river_flood", "events": "haz.hdf5", "curve": "flood_step_1m"}
    ]
    out = tmp_path / "out"
    result = cli("run", write_run(folder, run), "--out", out, "--no-map")
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out / "bands.csv")["event_id"].tolist() == [1, 2]
    assert pd.read_csv(out / "zones_bands.csv")["event_id"].tolist()[:2] == [1, 2]
    with xr.open_dataset(out / "results.nc") as ds:
        assert ds["band_event_id"].sel(hazard="cl").values.tolist() == ["1", "2"]


# ------------------------------------------------------------ columns of an events table


def _events(tmp_path, text):
    path = tmp_path / "events.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_capitalised_member_column_is_refused_naming_it_and_the_known_column(tmp_path):
    path = _events(tmp_path, "band,frequency,Member\n1,0.1,gcm_a\n2,0.1,gcm_b\n")
    with pytest.raises(DataError) as raised:
        read_events(path, 2, "run.yaml.hazards[0].events (events.csv)")
    message = str(raised.value)
    assert message.startswith("run.yaml.hazards[0].events (events.csv): column 'Member'")
    assert "rename it 'member'" in message and "\n" not in message


def test_an_event_id_column_written_with_a_space_is_refused(tmp_path):
    path = _events(tmp_path, "band,frequency,Event ID\n1,0.1,a\n2,0.1,b\n")
    with pytest.raises(DataError, match="column 'Event ID'.*rename it 'event_id'"):
        read_events(path, 2, "ev.csv")


def test_a_misspelt_member_column_is_warned_about_and_others_are_ignored(tmp_path):
    path = _events(tmp_path, "band,frequency,memebr,notes\n1,0.1,a,x\n2,0.1,b,y\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bands = read_events(path, 2, "ev.csv")
    messages = [str(w.message) for w in caught if issubclass(w.category, MeccWarning)]
    assert len(messages) == 1
    assert "ev.csv: column 'memebr' is not read; did you mean 'member'?" in messages[0]
    assert "member" not in bands.columns


def test_a_return_period_contradicting_frequency_is_refused(tmp_path):
    path = _events(tmp_path, "band,frequency,return_period\n1,0.01,100\n2,0.002,0.5\n")
    with pytest.raises(DataError) as raised:
        read_events(path, 2, "ev.csv")
    message = str(raised.value)
    assert "return_period on line 3 is '0.5'" in message
    assert "a return period of 500 years" in message


def test_a_return_period_agreeing_with_frequency_up_to_rounding_is_accepted(tmp_path):
    # 1/0.0015 = 666.7 written 667; 1/0.6 = 1.67 written 2 (whole years); blank allowed
    path = _events(
        tmp_path, "band,frequency,return_period\n1,0.0015,667\n2,0.6,2\n3,0.01,\n4,0.00033,3000\n"
    )
    bands = read_events(path, 4, "ev.csv")
    assert bands["frequency"].tolist() == [0.0015, 0.6, 0.01, 0.00033]
    assert "return_period" not in bands.columns  # frequency weights the events


# --------------------------------------------------------- CLIMADA impact functions


def test_the_climada_hint_says_when_mdd_x_paa_is_exact_and_how_to_tabulate(tmp_path):
    path = tmp_path / "impf.csv"
    path.write_text("intensity,mdd,paa\n0,0,0\n2,1,1\n", encoding="utf-8")
    with pytest.raises(CurveError) as raised:
        read_curve_csv(path, name="impf.csv")
    message = str(raised.value)
    assert "share = mdd x paa" in message and "\n" not in message
    assert "constant between neighbouring rows" in message
    assert "interpolates mdd and paa separately and then multiplies" in message
    assert "every 0.1 m" in message
    assert CLIMADA_HINT in message


def test_the_advice_reproduces_climadas_mdr_as_stated():
    """CLIMADA's calc_mdr: interp(paa) x interp(mdd). mdd and paa 0 -> 1 over 0-2 m give
    0.25 at 1 m; the product at the two rows gives 0.5; the product every 0.1 m stays
    within step^2/4 x slopes (0.0025 for slopes of 1 per metre) of CLIMADA everywhere."""
    x = np.array([0.0, 2.0])
    mdd, paa = np.array([0.0, 1.0]), np.array([0.0, 1.0])
    depths = np.linspace(0.0, 2.0, 2001)
    climada = np.interp(depths, x, mdd) * np.interp(depths, x, paa)
    assert climada[1000] == pytest.approx(0.25)
    coarse = Curve("coarse", tuple(x), tuple(mdd * paa))
    assert coarse.evaluate(np.array([1.0]))[0] == pytest.approx(0.5)
    # rising by 1 per metre each (0 -> 1 over 0-1 m): at most 0.1^2 / 4 x 1 x 1 = 0.0025
    steep = np.array([0.0, 1.0])
    fine_x = np.round(np.arange(0.0, 1.0001, 0.1), 10)
    fine = Curve("fine", tuple(fine_x), tuple(fine_x * fine_x))
    depths = np.linspace(0.0, 1.0, 2001)
    climada = np.interp(depths, steep, mdd) * np.interp(depths, steep, paa)
    error = np.abs(fine.evaluate(depths) - climada).max()
    assert error <= 0.0025 + 1e-12 and error == pytest.approx(0.0025, rel=1e-3)
    # exact where one of them is constant between the rows (paa 1 throughout)
    flat = Curve("flat", tuple(x), tuple(mdd * np.array([1.0, 1.0])))
    assert np.allclose(flat.evaluate(depths), np.interp(depths, x, mdd))


def test_a_manifest_of_an_event_set_run_lists_event_ids(cli, tmp_path):
    folder = tmp_path / "case"
    run = basic_case(folder)
    (folder / "events.csv").write_text(
        "band,frequency,event_id\n1,0.1,A1\n2,0.01,A2\n", encoding="utf-8"
    )
    run["hazards"] = [event_hazard("ev")]
    out = tmp_path / "out"
    assert cli("run", write_run(folder, run), "--out", out, "--no-map").exit_code == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    bands = summary["hazards"]["ev"]["bands"]
    assert [b["event_id"] for b in bands] == ["A1", "A2"]
