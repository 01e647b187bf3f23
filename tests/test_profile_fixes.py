"""District risk profiles and needs tables: units without a grid cell, ensemble ranges,
each unit's own household size, and the capacity file named in its error.

One small run (tests/_run_inputs.py, 4 x 4 cells, population x 100) with three units:
A (rows 1-3, columns 0-1), B (columns 2-3) and C, a thin ring inside cell (0, 0) that
receives no cell. Households: 4 people in A, 5 in B. Hazards, all with the 1 m step:

- ``rf``: return-period maps; the 100-year depth is 0, 0.5, 1, 2 m by column, so
  B loses everyone (76,000 people) and A no one;
- ``surge``: a scenario of twice that depth, so A loses its column 1 (rows 1-3:
  6,000 + 10,000 + 14,000 = 30,000 people) and B everyone (76,000);
- ``ev``: an event set of two events of 0.1 a year, one per ensemble member (m1: the
  100-year depth, m2: twice it). A member alone is rescaled to the whole frequency
  (0.2 a year): A's member AADs are 0.2 x 0 and 0.2 x 30,000 = 0 and 6,000, its pooled
  AAD 0.1 x 30,000 = 3,000.
"""

from __future__ import annotations

import html
import json
import re

import numpy as np
import pandas as pd
import pytest

from mecc.errors import DataError
from mecc.needs import write_needs
from mecc.profiles import build_profiles
from tests._run_inputs import (
    DEPTH,
    POP,
    basic_case,
    write_run,
    write_zones_with_an_empty_unit,
)
from tests.conftest import write_raster

PEOPLE = POP * 100
A_SURGE = PEOPLE[1:, 1].sum()  # 30,000: A's column 1 reaches 1 m in the surge
B_ALL = PEOPLE[:, 2:].sum()  # 76,000
OFFICIAL_C = 500


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    from mecc.run import run_country

    base = tmp_path_factory.mktemp("profile_fixes")
    inputs = base / "inputs"
    data = basic_case(inputs)
    write_zones_with_an_empty_unit(inputs)  # A, B and C (no cell)
    write_raster(inputs / "pop.tif", PEOPLE)
    write_raster(inputs / "surge.tif", DEPTH * 2)
    (inputs / "members.csv").write_text(
        "band,frequency,member\n1,0.1,m1\n2,0.1,m2\n", encoding="utf-8"
    )
    (inputs / "hh.csv").write_text("code,size\nA,4\nB,5\n", encoding="utf-8")
    (inputs / "census.csv").write_text(
        f"code,people\nA,31000\nB,75000\nC,{OFFICIAL_C}\n", encoding="utf-8"
    )
    data["population"]["household_size"] = {
        "path": "hh.csv",
        "code_column": "code",
        "value_column": "size",
    }
    data["population"]["official"] = {
        "path": "census.csv",
        "code_column": "code",
        "value_column": "people",
    }
    data["hazards"] += [
        {
            "id": "surge",
            "type": "coastal_flood",
            "intensity": "surge.tif",
            "scenario": "Surge",
            "curve": "flood_step_1m",
        },
        {
            "id": "ev",
            "type": "river_flood",
            "intensity": "ev.tif",
            "events": "members.csv",
            "curve": "flood_step_1m",
        },
    ]
    run_country(write_run(inputs, data), base / "run", with_map=False)
    return base / "run"


def _page(document: str, code: str) -> str:
    match = re.search(rf'<section class="page" data-zone="{code}".*?</section>', document, re.S)
    assert match, code
    return match.group(0)


def _text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", fragment))


def _figure(page: str, figure: str, hazard: str | None = None) -> str:
    hazard_attr = f' data-hazard="{hazard}"' if hazard else ""
    match = re.search(
        rf'<(td|span){hazard_attr} data-figure="{figure}" data-value="([^"]*)">(.*?)</\1>',
        page,
        re.S,
    )
    assert match, (figure, hazard)
    return match.group(2), match.group(3)


def test_the_run_has_a_unit_without_cells(run_dir):
    """The set-up: C is listed as a unit without a cell; A's people are by hand."""
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["zones_without_cells"] == ["C"]
    zones = pd.read_csv(run_dir / "zones.csv", encoding="utf-8-sig")
    first = zones[zones["hazard_id"] == "rf"].set_index("zone_code")
    assert first.loc["A", "population"] == pytest.approx(PEOPLE[1:, :2].sum())
    assert np.isnan(first.loc["C", "population"])  # not known (blank), not 0


# ------------------------------------------------- 1. a unit without a grid cell


def test_a_unit_without_cells_says_its_figures_are_not_known(run_dir):
    page = _page(build_profiles(run_dir, zones=["C"]), "C")
    text = _text(page)
    assert "received no cell of the analysis grid" in text
    assert "finer population grid" in text
    assert "not known" in text
    # no "0 people", no "almost no one", no "no needs to plan for"
    assert "almost no one" not in text and "no needs to plan for" not in text
    value, shown = _figure(page, "population")
    assert value == "nan" and "not known" in shown
    value, shown = _figure(page, "population_official")
    assert float(value) == OFFICIAL_C and _text(shown).strip() == "500"
    for hazard, figure in (("rf", "aad"), ("surge", "displaced"), ("ev", "aad")):
        value, shown = _figure(page, figure, hazard)
        assert value == "nan" and _text(shown).strip() == "–"
    assert "Sendai" not in text  # sendai.csv's zeros are not shown as figures
    assert 'data-need="' not in page  # no amounts of needs


def test_a_unit_without_cells_in_french(run_dir):
    text = _text(_page(build_profiles(run_dir, zones=["C"], lang="fr"), "C"))
    assert "aucune cellule" in text and "inconnue" in text


def test_units_with_cells_keep_their_figures(run_dir):
    page = _page(build_profiles(run_dir, zones=["A"]), "A")
    assert "no cell" not in _text(page)
    assert float(_figure(page, "population")[0]) == pytest.approx(PEOPLE[1:, :2].sum())
    assert float(_figure(page, "displaced", "surge")[0]) == pytest.approx(A_SURGE)


def test_needs_csv_leaves_a_unit_without_cells_blank_with_a_note(run_dir, tmp_path):
    with pytest.warns(Warning) as record:
        out = write_needs(run_dir, tmp_path / "needs")
    assert any("no cell of the analysis grid" in str(w.message) for w in record)
    needs = pd.read_csv(out / "needs.csv", encoding="utf-8-sig")
    rows = needs[needs["zone_code"] == "C"]
    assert len(rows) > 0
    assert rows["displaced"].isna().all() and rows["amount"].isna().all()
    assert rows["note"].str.contains("no cell of the analysis grid").all()
    a = needs[(needs["zone_code"] == "A") & (needs["hazard_id"] == "surge")]
    assert a.set_index("need_id").loc["water", "amount"] == pytest.approx(A_SURGE * 15)


# --------------------------------------------------- 2. ensemble members' range


def test_aad_of_an_event_set_with_members_shows_the_members_range(run_dir):
    page = _page(build_profiles(run_dir, zones=["A"]), "A")
    value, shown = _figure(page, "aad", "ev")
    assert float(value) == pytest.approx(0.1 * A_SURGE)  # 3,000 pooled
    match = re.search(
        r'<span class="range" data-range="members" title="([^"]*)">(.*?)</span>', shown
    )
    assert match
    assert _text(match.group(2)).strip() == f"0–{0.2 * A_SURGE:,.0f}*"  # 0–6,000
    assert "ensemble members" in html.unescape(match.group(1))
    # the note under the table says what the starred range is
    assert "* ensemble members of an event set, lowest and highest (min–max)" in _text(page)
    # the return-period maps have no members: their curve-variant range only
    assert 'data-range="members"' not in _figure(page, "aad", "rf")[1]


def test_members_range_comes_with_the_curve_variant_range(run_dir):
    """ev's 1 m step has its built-in variants: B's AAD shows both ranges. Low (1.5 m
    step): only column 3 in event 1 (40,000), columns 2-3 in event 2 (76,000), so
    0.1 x (40,000 + 76,000) = 11,600; high (0.5 m step) everyone in both: 15,200; the
    members' AADs are 0.2 x 76,000 = 15,200 each."""
    page = _page(build_profiles(run_dir, zones=["B"]), "B")
    value, shown = _figure(page, "aad", "ev")
    assert float(value) == pytest.approx(0.1 * 2 * B_ALL)
    low = 0.1 * (PEOPLE[:, 3].sum() + B_ALL)
    spans = re.findall(r'<span class="range"( data-range="members")?[^>]*>(.*?)</span>', shown)
    assert [(bool(m), _text(t).strip()) for m, t in spans] == [
        (False, f"{low:,.0f}–{0.2 * B_ALL:,.0f}"),
        (True, f"{0.2 * B_ALL:,.0f}–{0.2 * B_ALL:,.0f}*"),
    ]


def test_no_members_note_without_a_members_range(run_dir):
    """A page without a members range (C: figures not known) has no members note."""
    page = _page(build_profiles(run_dir, zones=["C"]), "C")  # figures not known
    assert 'data-range="members"' not in page and "ensemble members" not in _text(page)


# ------------------------------------------------ 3. each unit's household size


def _kits(page: str) -> tuple[float, str]:
    row = re.search(r"<tr><td[^>]*>Family kits</td><td>(.*?)</td>(.*?)</tr>", page, re.S)
    assert row
    amount = re.search(r'data-need="family_kits" data-value="([^"]*)"', row.group(2))
    return float(amount.group(1)), _text(row.group(1))


def test_family_kits_use_the_units_own_household_size(run_dir):
    page_b = _page(build_profiles(run_dir, zones=["B"], hazard_id="rf"), "B")
    amount, label = _kits(page_b)
    assert amount == pytest.approx(B_ALL / 5)  # 15,200 kits for 5 people a household
    assert "household of 5 people (this unit's size)" in label
    page_a = _page(build_profiles(run_dir, zones=["A"], hazard_id="surge"), "A")
    amount, label = _kits(page_a)
    assert amount == pytest.approx(A_SURGE / 4)  # 7,500
    assert "household of 4 people (this unit's size)" in label


def test_a_given_household_size_is_rounded_on_the_page(run_dir):
    """Rounded to the decimals its total needs to check by hand: 76,000 / 4.4 would be
    17,273 kits, 76,000 / 4.369 17,395; 76,000 / 4.3689 gives the 17,396 shown."""
    page = _page(build_profiles(run_dir, zones=["B"], hazard_id="rf", household_size=4.36892), "B")
    amount, label = _kits(page)
    assert amount == pytest.approx(B_ALL / 4.36892)
    assert "household of 4.3689 people (size given)" in label and "4.36892" not in label
    assert round(B_ALL / 4.3689) == round(amount) == 17_396 and ">17,396 kits<" in page


def test_needs_csv_uses_each_units_own_household_size(run_dir, tmp_path):
    with pytest.warns(Warning):
        out = write_needs(run_dir, tmp_path / "needs")
    needs = pd.read_csv(out / "needs.csv", encoding="utf-8-sig")
    kits = needs[needs["need_id"] == "family_kits"].set_index(["zone_code", "hazard_id"])
    assert kits.loc[("B", "rf"), "amount"] == pytest.approx(B_ALL / 5)
    assert kits.loc[("A", "surge"), "amount"] == pytest.approx(A_SURGE / 4)
    assert kits.loc[("A", "surge"), "per_person"] == pytest.approx(1 / 4)
    about = json.loads((out / "needs_profile.json").read_text(encoding="utf-8"))
    assert about["household_size_per_zone"] is True
    assert about["household_size_source"].startswith("each zone's own household size")
    with pytest.warns(Warning):
        given = write_needs(run_dir, tmp_path / "given", household_size=6)
    needs = pd.read_csv(given / "needs.csv", encoding="utf-8-sig")
    kits = needs[needs["need_id"] == "family_kits"].set_index(["zone_code", "hazard_id"])
    assert kits.loc[("B", "rf"), "amount"] == pytest.approx(B_ALL / 6)


def test_zone_household_sizes_fall_back_to_the_profiles_size():
    from mecc.needs import zone_household_sizes

    profile = {"household_size": 4.4, "household_size_per_zone": True}
    sizes, own = zone_household_sizes(profile, [4.7, np.nan, 0.0, ""])
    np.testing.assert_allclose(sizes, [4.7, 4.4, 4.4, 4.4])
    assert own.tolist() == [True, False, False, False]
    sizes, own = zone_household_sizes({"household_size": 6.0}, [4.7])  # given: 6 for all
    assert sizes.tolist() == [6.0] and own.tolist() == [False]


# ------------------------------------------------- 4. the capacity file named


def test_unknown_zone_in_the_capacity_file_names_the_file_and_line(run_dir, tmp_path):
    capacity = tmp_path / "shelters.csv"
    capacity.write_text("zone_code,capacity\nA,10\nPHXXX,100\n", encoding="utf-8")
    with pytest.raises(DataError) as error, pytest.warns(Warning):
        write_needs(run_dir, tmp_path / "out", capacity=capacity)
    message = str(error.value)
    assert message.startswith(f"{capacity}: zone_code 'PHXXX' is not a zone of this run")
    assert "line 3" in message
    assert not (tmp_path / "out").exists()


def test_needs_of_a_parent_are_the_sum_of_its_units(demo_command, tmp_path):
    """Each unit at its own household size; a province's family kits are its districts'
    (review: a province at its own mean size gave 2,825.4 kits against 2,980.0 summed)."""
    from mecc.errors import MeccWarning
    from mecc.needs import write_needs

    run = demo_command[0] / "run"
    with pytest.warns(MeccWarning, match="river_flood_years: 15 zone"):  # pmd_100: too long
        out = write_needs(run, tmp_path / "needs")
    needs = pd.read_csv(out / "needs.csv", encoding="utf-8-sig", dtype={"zone_code": str})
    zones = pd.read_csv(run / "zones.csv", encoding="utf-8-sig", dtype=str)
    parent_of = dict(zip(zones["zone_code"], zones["parent_code"].fillna(""), strict=False))
    kits = needs[(needs["need_id"] == "family_kits") & (needs["hazard_id"] == "cyclone_wind")]
    kits = kits.set_index("zone_code")["amount"]
    checked = 0
    for code in kits.index:
        units = [c for c in kits.index if parent_of.get(c) == code]
        if units:
            assert kits[code] == pytest.approx(kits[units].sum(), rel=1e-12)
            checked += 1
    assert checked >= 3
