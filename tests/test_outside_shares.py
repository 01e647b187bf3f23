"""The share of the people on the grid outside every admin unit in per-zone share tables.

Share tables (``population.livelihoods``, ``mobility.early_warning``,
``population.attributes``, ``population.cohorts``) may have a row with the country's code:
every zone's default, and the share of the people outside every unit, who have no code.
Without such a row those people take the units' population-weighted mean, which
results.nc, the manifest and the Sendai rows' notes say.
The nation is the units plus the outside bucket in zones_disaggregated.csv, results.nc and
sendai.csv alike.

Numbers are worked out by hand on the 4 x 4 test grid (tests/_run_inputs.py)::

    population = 10  20  30  40      depth (m) = 0  0.5  1  2   (every row)
                 50  60  70  80
                 90 100 110 120
                130 140 150 160

Zone A = columns 0-1 (600 people), zone B = column 2 (360), column 3 (400 people) lies
outside every unit. The scenario (1 m step curve, people in water >= 0.1 m exposed)
exposes column 1 of A (20 + 60 + 100 + 140 = 320), all of B (360) and all outside (400),
and displaces everyone in B (360) and outside (400).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from mecc.group_tables import _with_outside_shares
from mecc.run import run_country
from tests._run_inputs import basic_case, cell_box, write_run, write_zones

POP = {"A": 600.0, "B": 360.0, "__outside__": 400.0}
EXPOSED = {"A": 320.0, "B": 360.0, "__outside__": 400.0}
DISPLACED = {"A": 0.0, "B": 360.0, "__outside__": 400.0}
SHARE = {"A": 0.5, "B": 0.2}
COUNTRY_SHARE = 0.1
# without a country row: (0.5 x 600 + 0.2 x 360) / (600 + 360) = 372 / 960
UNITS_MEAN = (0.5 * 600 + 0.2 * 360) / 960


def _case(folder, shares_csv: str, cohorts: bool = False) -> dict:
    data = basic_case(folder)
    write_zones(
        folder / "zones.geojson",
        ["A", "B"],
        [cell_box(0, 0, rows=4, cols=2), cell_box(0, 2, rows=4, cols=1)],
    )
    data["zones"].pop("name_field", None)
    data["hazards"] = [
        {
            "id": "sc",
            "type": "river_flood",
            "intensity": "rp100.tif",
            "scenario": "test flood",
            "curve": "flood_step_1m",
        }
    ]
    (folder / "shares.csv").write_text(shares_csv, encoding="utf-8")
    table = {"path": "shares.csv", "code_column": "code"}
    data["population"]["livelihoods"] = {**table, "value_column": "share"}
    data["population"]["attributes"] = {**table, "columns": {"disability": "share"}}
    data["mobility"] = {"early_warning": {**table, "value_column": "share"}}
    if cohorts:
        (folder / "cohorts.csv").write_text(
            "code,female_15_64,male_15_64\nA,0.6,0.4\nB,0.5,0.5\n", encoding="utf-8"
        )
        data["population"]["cohorts"] = {
            "path": "cohorts.csv",
            "code_column": "code",
            "columns": ["female_15_64", "male_15_64"],
        }
    return data


def _run(folder, data):
    run_country(write_run(folder, data), folder / "out", with_map=False)
    return folder / "out"


def _groups(out) -> pd.DataFrame:
    table = pd.read_csv(
        out / "zones_disaggregated.csv", encoding="utf-8-sig", dtype={"zone_code": str}
    )
    return table.set_index(["zone_code", "group"])


def _sendai(out) -> pd.DataFrame:
    table = pd.read_csv(
        out / "sendai.csv", encoding="utf-8-sig", keep_default_na=False, na_values=[""]
    )
    return table[table["measure"] == "scenario"]


def _one(table, code, indicator, **where) -> pd.Series:
    rows = table[(table["admin_code"] == code) & (table["indicator_code"] == indicator)]
    if where:
        for key, value in where.items():
            rows = rows[rows[key] == value]
    else:
        rows = rows[rows["breakdown"].isna()]
    assert len(rows) == 1, (code, indicator, where, len(rows))
    return rows.iloc[0]


def _disaggregated(out) -> xr.Dataset:
    with xr.open_dataset(out / "results.nc", engine="netcdf4", group="disaggregated") as ds:
        return ds.load()


# --- the share kept for the outside bucket ------------------------------------------------


def test_a_given_outside_share_is_kept_not_replaced_by_the_units_mean():
    shares = np.array([[0.5], [0.2], [0.1]])  # the outside row: the country row's 0.1
    filled = _with_outside_shares(shares, np.array([600.0, 360.0, 400.0]))
    assert filled[:, 0].tolist() == [0.5, 0.2, 0.1]


def test_without_a_given_outside_share_the_units_mean_is_taken():
    filled = _with_outside_shares(np.array([[0.5], [0.2], [np.nan]]), np.array([600, 360, 400.0]))
    assert filled[2, 0] == pytest.approx(372 / 960)


# --- whole runs -------------------------------------------------------------------------


def test_people_outside_every_unit_take_the_country_rows_share(tmp_path):
    out = _run(tmp_path, _case(tmp_path, "code,share\nA,0.5\nB,0.2\nAAA,0.1\n"))
    outside = "__outside__"
    # zones_disaggregated.csv: 0.1 x 400 people outside (the units' mean would give 155)
    groups = _groups(out)
    assert groups.loc[(outside, "livelihoods"), "exposed"] == pytest.approx(0.1 * 400)
    assert groups.loc[(outside, "early_warning"), "displaced"] == pytest.approx(0.1 * 400)
    assert groups.loc[(outside, "disability"), "population"] == pytest.approx(0.1 * 400)
    assert groups.loc[("B", "livelihoods"), "exposed"] == pytest.approx(0.2 * 360)
    # results.nc group disaggregated: the same, said to be the country row's
    ds = _disaggregated(out)
    zone = list(ds["zone"].values).index(outside)
    livelihoods = list(ds["group"].values).index("livelihoods")
    assert float(ds["exposed"].values[livelihoods, zone, 0, 0]) == pytest.approx(40.0)
    assert set(ds["outside_share"].values) == {"country"}
    # sendai.csv: outside B-5, B-1 and D6 at 0.1; the nation = the units + outside
    sendai = _sendai(out)
    national_b5 = 0.5 * 320 + 0.2 * 360 + 0.1 * 400  # 272
    assert _one(sendai, outside, "B-5")["value_number"] == pytest.approx(40.0)
    assert _one(sendai, outside, "B-1")["value_number"] == pytest.approx(40.0)
    assert _one(sendai, outside, "B-1")["per_100k"] == pytest.approx(40.0 * 1e5 / 400)
    assert _one(sendai, outside, "AAA-D6")["value_number"] == pytest.approx(40.0)
    assert _one(sendai, "AAA", "B-5")["value_number"] == pytest.approx(national_b5)
    assert _one(sendai, "AAA", "B-1")["value_number"] == pytest.approx(national_b5)
    assert _one(sendai, "AAA", "AAA-D6")["value_number"] == pytest.approx(0.2 * 360 + 40)
    assert "population-weighted mean" not in " ".join(sendai["notes"].fillna(""))
    # the manifest says which share the outside bucket took
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    exposure = manifest["parameters"]["exposure"]
    for key in ("livelihoods", "early_warning", "attributes"):
        assert exposure[key]["outside_share"]["basis"] == "country"
        assert exposure[key]["outside_share"]["values"] == [0.1]


def test_without_a_country_row_the_units_mean_is_taken_and_said(tmp_path):
    out = _run(tmp_path, _case(tmp_path, "code,share\nA,0.5\nB,0.2\n"))
    outside = "__outside__"
    share = 372 / 960  # 0.3875
    groups = _groups(out)
    assert groups.loc[(outside, "livelihoods"), "exposed"] == pytest.approx(share * 400)
    ds = _disaggregated(out)
    assert set(ds["outside_share"].values) == {"units_mean"}
    sendai = _sendai(out)
    b5 = _one(sendai, outside, "B-5")
    assert b5["value_number"] == pytest.approx(share * 400)  # 155
    assert "livelihood share 0.388, the units' population-weighted mean" in b5["notes"]
    national = _one(sendai, "AAA", "B-5")
    assert national["value_number"] == pytest.approx(0.5 * 320 + 0.2 * 360 + share * 400)
    assert "population-weighted mean" in national["notes"]
    assert "population-weighted mean" in _one(sendai, "AAA", "B-1")["notes"]
    assert "early-warning share 0.388" in _one(sendai, outside, "AAA-D6")["notes"]
    # a unit's rows count nobody outside: no such note
    for code in ("A", "B"):
        assert "population-weighted mean" not in str(_one(sendai, code, "B-5")["notes"])
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    said = manifest["parameters"]["exposure"]["livelihoods"]["outside_share"]
    assert said["basis"] == "units_mean"
    assert said["values"] == [pytest.approx(share)]


def test_group_rows_outside_use_the_country_livelihood_share_and_note_their_own(tmp_path):
    """Cohort tables have no country row: the female share outside is the units' mean,
    (0.6 x 600 + 0.5 x 360) / 960 = 0.5625, so 225 of the 400 people outside; their B-5
    is 225 exposed x the country row's livelihood share 0.1."""
    out = _run(tmp_path, _case(tmp_path, "code,share\nA,0.5\nB,0.2\nAAA,0.1\n", cohorts=True))
    outside = "__outside__"
    sendai = _sendai(out)
    female = (0.6 * 600 + 0.5 * 360) / 960
    b5 = _one(sendai, outside, "B-5", sex="female")
    assert b5["value_number"] == pytest.approx(female * 400 * 0.1)  # 22.5
    assert "share of the group 0.562, the units' population-weighted mean" in b5["notes"]
    assert "livelihood share" not in b5["notes"]  # the country row's: nothing to say
    d1 = _one(sendai, outside, "AAA-D1", sex="female")
    assert d1["value_number"] == pytest.approx(female * 400)
    # the nation = the units + outside
    units = 0.6 * 320 * 0.5 + 0.5 * 360 * 0.2  # A's and B's female B-5
    national = _one(sendai, "AAA", "B-5", sex="female")
    assert national["value_number"] == pytest.approx(units + female * 400 * 0.1)
    assert "share of the group 0.562" in national["notes"]
    assert "share of the group" not in str(_one(sendai, "B", "B-5", sex="female")["notes"])
