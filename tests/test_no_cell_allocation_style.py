"""A unit without a cell of the analysis grid in allocation.csv, flows.csv, the map's
host-burden popups and the QGIS style of zones.gpkg: not known (blank, NULL), never 0.

One small run (tests/_run_inputs.py, 4 x 4 cells of 0.1 degree, people = POP x 100) with
two levels: P (columns 0-1) and Q (columns 2-3) at level 1; A (rows 1-3, columns 0-1), B
(columns 2-3) and C (a thin ring inside cell (0, 0), between cell centres: no cell) at
level 2. ``rf``: return-period maps 10 / 100 years, depth 0, 0.5, 1, 2 m by column (x 0.5
/ x 1), the 1 m step curve: at 100 years columns 2-3 (B) lose everyone, hosted within
40 km by the dry columns 0-1 (A, and outside every level-2 unit in row 0).
"""

from __future__ import annotations

import re
import sqlite3
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from mecc.national_rows import NO_CELLS_NOTE, no_cells_added_note
from tests._run_inputs import POP, basic_case, write_run, write_zones_with_a_ring_unit
from tests.conftest import write_raster

PEOPLE = POP * 100
NO_DATA_LABEL = "no data (not known, not 0)"  # the QGIS style's NULL class (English)
FIGURES = [
    "displaced",
    "displaced_low",
    "displaced_high",
    "hosted",
    "no_host",
    "residents",
    "host_burden_per_1000",
]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    import mecc.run as run_module

    base = tmp_path_factory.mktemp("no_cell_allocation")
    inputs = base / "inputs"
    data = basic_case(inputs)
    write_raster(inputs / "pop.tif", PEOPLE)
    data["zones"] = write_zones_with_a_ring_unit(inputs)
    data["mobility"] = {"allocation": {"radius_km": 40}}
    run_module.run_country(write_run(inputs, data), base / "run", with_map=False)
    return base / "run"


def _csv(run_dir, name):
    return pd.read_csv(run_dir / name, encoding="utf-8-sig", dtype={"zone_code": str})


def test_c_is_a_unit_without_cells_blank_in_zones_csv(run_dir):
    import json

    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["zones_without_cells"] == ["C"]
    zones = _csv(run_dir, "zones.csv").set_index(["hazard_id", "zone_code"])
    assert np.isnan(zones.loc[("rf", "C"), "population"])


def test_allocation_csv_leaves_c_blank_with_the_tables_note(run_dir):
    table = _csv(run_dir, "allocation.csv")
    c = table[table["zone_code"] == "C"]
    assert c["band"].astype(str).tolist() == ["rp10", "rp100"]  # keys kept
    assert c["level"].tolist() == [2, 2] and (c["curve"] == "central").all()
    assert c[FIGURES].isna().all().all(), c[FIGURES]
    assert (c["note"] == NO_CELLS_NOTE).all()
    # the other units keep their figures: B is displaced at 100 years, A hosts
    units = table[table["band"].astype(str) == "rp100"].set_index("zone_code")
    assert units.loc["B", "displaced"] == pytest.approx(PEOPLE[:, 2:].sum())
    assert units.loc["A", "hosted"] > 0
    assert units.loc["A", "residents"] == pytest.approx(PEOPLE[1:, :2].sum())


def test_units_above_c_add_nothing_for_it_and_say_so(run_dir):
    table = _csv(run_dir, "allocation.csv")
    rp100 = table[table["band"].astype(str) == "rp100"].set_index("zone_code")
    p, a = rp100.loc["P"], rp100.loc["A"]
    for name in ("displaced", "hosted", "no_host"):
        assert np.isfinite(p[name]) and p[name] == pytest.approx(a[name]), name
    added = no_cells_added_note(["C"])
    assert added in p["note"]
    assert table.loc[table["zone_code"] == "P", "note"].str.contains(added, regex=False).all()
    # Q, above B only, and the units themselves say nothing about C
    for code in ("Q", "A", "B"):
        assert "nothing added" not in str(rp100.loc[code, "note"]), code


def test_flows_csv_has_no_flow_to_or_from_c(run_dir):
    flows = _csv(run_dir, "flows.csv")
    assert len(flows) and flows["people"].sum() > 0
    assert not flows["from_zone"].isin(["C"]).any()
    assert not flows["to_zone"].isin(["C"]).any()


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_host_burden_popup_of_c_says_not_known(run_dir, lang):
    from mecc.map_data import labels, read_run
    from mecc.map_text import Text
    from mecc.maps import _Page

    text = Text(labels(lang), lang)
    page = _Page(read_run(run_dir), text, None)
    layers = page.choropleths()
    host = [layer for layer in layers if layer[2] == "unit_per_1000"]
    assert len(host) == 1
    popups = dict(zip(page.codes, page.popups[host[0][3]], strict=True))
    values = dict(zip(page.codes, host[0][1], strict=True))
    assert np.isnan(values["C"])  # the no-data hatch on the choropleth
    c = popups["C"]
    assert text.w("no_cells_popup") in c
    rows = dict(re.findall(r'<th scope="row">([^<]*)</th><td>(.*?)</td>', c))
    assert text.w("alloc_displaced") not in rows and text.w("alloc_hosted") not in rows
    assert rows[text.w("zone_code")] == "C"
    # a unit with cells keeps its figures, without the note
    a = dict(re.findall(r'<th scope="row">([^<]*)</th><td>(.*?)</td>', popups["A"]))
    assert text.w("alloc_hosted") in a and text.w("no_cells_popup") not in popups["A"]


# ------------------------------------------------------------------ QGIS style


def _styles(run_dir) -> dict:
    with sqlite3.connect(run_dir / "zones.gpkg") as db:
        rows = db.execute("SELECT f_table_name, styleQML FROM layer_styles").fetchall()
    return {name: ET.fromstring(qml).find("renderer-v2") for name, qml in rows}


def _qgis_range(renderer, value):
    """The range QGIS draws ``value`` with (QgsGraduatedSymbolRenderer: NULL never, else
    the first range with lower <= value <= upper), as an index, or None."""
    if value is None:
        return None
    for k, r in enumerate(renderer.iter("range")):
        if float(r.get("lower")) <= value <= float(r.get("upper")):
            return k
    return None


def _value(renderer, figure):
    """The value the renderer classifies: the column, or coalesce(column, -1)."""
    attr = renderer.get("attr")
    missing = figure is None or (isinstance(figure, float) and np.isnan(figure))
    coalesce = re.fullmatch(r'coalesce\("(.+)", (-?[\d.]+)\)', attr)
    if coalesce:
        return float(coalesce.group(2)) if missing else float(figure)
    return None if missing else float(figure)


def test_zones_gpkg_style_draws_c_as_no_data(run_dir):
    import geopandas as gpd

    styles = _styles(run_dir)
    renderer = styles["admin2"]
    assert renderer.get("type") == "graduatedSymbol"
    assert renderer.get("attr") == 'coalesce("rf_aad", -1)'
    ranges = list(renderer.iter("range"))
    last = ranges[-1]
    assert (float(last.get("lower")), float(last.get("upper"))) == (-1.0, -1.0)
    assert last.get("label") == NO_DATA_LABEL
    assert last.get("render") == "true"
    symbol = renderer.find(f"symbols/symbol[@name='{last.get('symbol')}']")
    styles_of = [p.get("v") for p in symbol.iter("prop") if p.get("k") == "style"]
    assert styles_of == ["solid", "f_diagonal"]  # white under the hatch, as the web map
    assert ranges[0].get("lower") == ranges[0].get("upper") == "0"  # zero keeps its class
    layer = gpd.read_file(run_dir / "zones.gpkg", layer="admin2").set_index("zone_code")
    assert layer["rf_aad"].isna().tolist() == [False, False, True]  # A, B, C
    for code, figure in layer["rf_aad"].items():
        hit = _qgis_range(renderer, _value(renderer, figure))
        assert hit is not None, code  # every unit is drawn, C too
        assert (hit == len(ranges) - 1) == (code == "C"), code
    # a level without a NULL figure is classified on the column, with no such class
    assert styles["admin1"].get("attr") == "rf_aad"
    assert all(r.get("label") != NO_DATA_LABEL for r in styles["admin1"].iter("range"))


def test_graduated_qml_gives_null_a_class_only_when_a_value_is_missing():
    from mecc import qgis_style
    from mecc.qgis_style import graduated_qml

    assert getattr(qgis_style, "NO_DATA_LABEL", None) == NO_DATA_LABEL
    with_null = ET.fromstring(graduated_qml('odd "name"', [0.0, 5.0, np.nan, 120.0], "t"))
    renderer = with_null.find("renderer-v2")
    assert renderer.get("attr") == 'coalesce("odd ""name""", -1)'  # quotes doubled
    labels = [r.get("label") for r in renderer.iter("range")]
    assert labels.count(NO_DATA_LABEL) == 1
    symbols = {s.get("name") for s in renderer.find("symbols")}
    assert {r.get("symbol") for r in renderer.iter("range")} == symbols
    plain = ET.fromstring(graduated_qml("x", [0.0, 5.0, 120.0], "t")).find("renderer-v2")
    assert plain.get("attr") == "x" and NO_DATA_LABEL not in [
        r.get("label") for r in plain.iter("range")
    ]
