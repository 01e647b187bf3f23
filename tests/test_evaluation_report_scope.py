"""The report of ``mecc evaluate`` (evaluation.html, residuals.geojson) says what was
compared: a file covering part of the country is not labelled "whole run" (the whole
run's figure is shown next to it, labelled as not compared), the observed units without a
grid cell are listed with their observed values and are no "not reported (modelled 0)"
in the residual layer, per-unit modelled figures carry the low – high range of the curve
variants, and the help of ``--threshold`` and ``--national-observed`` says what the
options do.

Every expected number is computed here with pandas from the run's zones.csv and the
observed file (the Typhoon Haiyan run of validation/haiyan/reproduce.sh), not taken
from mecc's own figures."""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

ROOT = Path(__file__).resolve().parents[1]
HOUSEHOLD = 4.4
OPTIONS = (
    *("--code-column", "pcode", "--value-column", "totally_damaged_houses"),
    *("--measure", "destroyed_houses", "--household-size", str(HOUSEHOLD)),
    *("--threshold", "1000"),
)
NO_CELL_OBSERVED = ("PH042116000", 250, 3)  # Noveleta: no 0.02 degree cell, given a row
NO_CELL_NOT_REPORTED = "PH133902000"  # Binondo: no cell and no row
NO_FIGURE = "no modelled figure (no grid cell)"
VARIANTS = (("modelled", "displaced"), ("modelled_low", "displaced_low"))
VARIANTS += (("modelled_high", "displaced_high"),)


class _Tables(HTMLParser):
    """Every <table> of a page as rows of cell texts (th and td alike)."""

    def __init__(self):
        super().__init__()
        self.tables, self._row, self._cell = [], None, None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _tables(page: str) -> list[list[list[str]]]:
    parser = _Tables()
    parser.feed(page)
    return parser.tables


def _national(page: str) -> dict[str, str]:
    """The national table (the first one) as {label: value}."""
    return {row[0]: row[1] for row in _tables(page)[0]}


def _titles(page: str) -> dict[str, str]:
    """The map's zone titles by code."""
    titles = [html.unescape(t) for t in re.findall(r"<title>([^<]*)</title>", page)]
    return {t.split(" ", 1)[0]: t for t in titles if t.startswith("PH")}


def _cli(*args):
    """``mecc ARGS`` in-process (the ``cli`` fixture's, for a module-scoped fixture)."""
    from click.testing import CliRunner

    from cli import main

    args = [str(a) for a in args]
    return CliRunner().invoke(main, args, prog_name="mecc", catch_exceptions=False)


def _range(central, low, high) -> str:
    return f"{central:,.0f} (low {low:,.0f} – high {high:,.0f})"


@pytest.fixture(scope="module")
def haiyan(shared_data, haiyan_reproduced):
    """The Haiyan run of validation/haiyan/reproduce.sh, its zones and the observed file."""
    out = haiyan_reproduced
    data = shared_data / "philippines_haiyan"
    zones = pd.read_csv(out / "run" / "zones.csv", dtype={"zone_code": str}, encoding="utf-8-sig")
    zones = zones[zones["zone_code"] != "__outside__"].set_index("zone_code")
    return out / "run", zones, data / "haiyan_damaged_houses.csv"


@pytest.fixture(scope="module")
def region(haiyan, tmp_path_factory):
    """Region VIII's rows (PH08...) and a row for Noveleta (no grid cell), evaluated."""
    run, _, observed_path = haiyan
    folder = tmp_path_factory.mktemp("region")
    rows = pd.read_csv(observed_path, dtype={"pcode": str})
    rows = rows[rows["pcode"].str.startswith("PH08")]
    extra = pd.DataFrame([NO_CELL_OBSERVED], columns=rows.columns)
    rows = pd.concat([rows, extra], ignore_index=True)
    path = folder / "region8.csv"
    rows.to_csv(path, index=False)
    out = folder / "e1"
    result = _cli("evaluate", run, "--observed", path, "--out", out, *OPTIONS)
    assert result.exit_code == 0, result.output
    figures = json.loads((out / "evaluation.json").read_text(encoding="utf-8"))
    return rows, out, figures


# --------------------------------------------------- 1. the national table's scope


@pytest.mark.slow
@pytest.mark.shared_data
def test_a_partial_comparison_is_labelled_with_its_scope(haiyan, region):
    run, zones, _ = haiyan
    rows, out, figures = region
    page = (out / "evaluation.html").read_text(encoding="utf-8")
    table = _national(page)
    has_cell = zones["displaced"].notna()
    compared = sorted(set(rows["pcode"]) & set(zones.index[has_cell]))
    units = len(zones)
    assert len(compared) == 105 and units == 1647
    scope = f"national figures over the {len(compared)} of {units:,} units observed"
    assert figures["national"]["scope_text"].startswith(scope)
    # the figures of the units compared, labelled with the scope, not "whole run"
    mine = zones.loc[compared]
    partial = {k: mine[c].sum() / HOUSEHOLD for k, c in VARIANTS}
    label = next(k for k in table if k.startswith("Modelled (central curve, low – high): "))
    assert scope in label and "whole run" not in label
    low, high = sorted((partial["modelled_low"], partial["modelled_high"]))
    assert table[label] == f"{partial['modelled']:,.0f} (range {low:,.0f} – {high:,.0f})"
    assert table[label] == "287,014 (range 30,647 – 498,939)"
    # the whole run (every unit and the people outside every unit), labelled not compared
    everything = pd.read_csv(run / "zones.csv", encoding="utf-8-sig")  # with the outside
    whole = {k: everything[c].sum() / HOUSEHOLD for k, c in VARIANTS}
    label = next(k for k in table if k.startswith("Modelled, whole run"))
    not_reported = units - len(set(rows["pcode"]) & set(zones.index))
    assert "not compared" in label and f"the {not_reported:,} units not reported" in label
    low, high = sorted((whole["modelled_low"], whole["modelled_high"]))
    assert table[label] == f"{whole['modelled']:,.0f} (range {low:,.0f} – {high:,.0f})"
    # observed: every row of a unit, and the rows of the units compared
    observed = rows.set_index("pcode")["totally_damaged_houses"]
    assert table["Observed, sum of the rows (units of the run)"] == f"{observed.sum():,.0f}"
    assert table["Observed, units compared (with a modelled figure)"] == (
        f"{observed.loc[compared].sum():,.0f}"
    )
    assert table["Compared"].lower().startswith(scope)
    ratio = partial["modelled"] / observed.loc[compared].sum()
    assert table["Modelled / observed (central)"] == f"{ratio:.2f}"
    # the definition says like with like
    definition = re.search(r"<li><b>National totals</b>(.*?)</li>", page, re.S).group(1)
    assert "like with like" in definition and "not compared" in definition
    assert "the modelled total covers every zone of the run" not in page


@pytest.mark.slow
@pytest.mark.shared_data
def test_the_units_without_a_grid_cell_are_listed_with_their_observed_values(haiyan, region):
    _, zones, _ = haiyan
    rows, out, _ = region
    page = (out / "evaluation.html").read_text(encoding="utf-8")
    assert "<h3>Units without a modelled figure (no grid cell)</h3>" in page
    listed = next(t for t in _tables(page) if t[0][0] == "code" and len(t[0]) == 3)
    assert listed[0] == ["code", "name", "observed houses"]
    observed = rows.set_index("pcode")["totally_damaged_houses"]
    reported_no_cell = sorted(set(observed.index) & set(zones.index[zones["displaced"].isna()]))
    assert reported_no_cell == [NO_CELL_OBSERVED[0]]
    assert listed[1:] == [
        [code, zones.loc[code, "zone_name"], f"{observed[code]:,.0f}"] for code in reported_no_cell
    ]
    assert listed[1] == ["PH042116000", "Noveleta", "250"]


@pytest.mark.slow
@pytest.mark.shared_data
def test_a_whole_run_comparison_keeps_its_label(haiyan, cli, tmp_path):
    run, zones, observed_path = haiyan
    out = tmp_path / "whole"
    result = cli(
        "evaluate", run, "--observed", observed_path, "--out", out, *OPTIONS,
        "--national-observed", "550928",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    table = _national((out / "evaluation.html").read_text(encoding="utf-8"))
    everything = pd.read_csv(run / "zones.csv", encoding="utf-8-sig")  # with the outside
    whole = everything["displaced"].sum() / HOUSEHOLD
    assert table["Modelled, whole run (central curve, low – high)"].startswith(f"{whole:,.0f} (")
    assert table["Compared"].startswith("The whole run (1,647 units")
    assert not any("not compared" in label for label in table)


# --------------------------------------------------- 2. the residual layer


@pytest.mark.slow
@pytest.mark.shared_data
def test_the_residual_layer_tells_no_grid_cell_from_not_reported(haiyan, region):
    _, zones, _ = haiyan
    rows, out, _ = region
    layer = gpd.read_file(out / "residuals.geojson").set_index("zone_code")
    observed = rows.set_index("pcode")["totally_damaged_houses"]
    code = NO_CELL_OBSERVED[0]
    assert layer.loc[code, "status"] == NO_FIGURE
    assert layer.loc[code, "observed"] == observed[code] == 250
    assert pd.isna(layer.loc[code, "modelled"]) and pd.isna(layer.loc[code, "log10_ratio"])
    # a unit not reported keeps its status and its modelled figure, blank when unknown
    assert layer.loc[NO_CELL_NOT_REPORTED, "status"] == "not reported"
    assert pd.isna(zones.loc[NO_CELL_NOT_REPORTED, "displaced"])
    assert pd.isna(layer.loc[NO_CELL_NOT_REPORTED, "modelled"])
    not_reported = zones.index.difference(observed.index)
    with_figure = zones.loc[not_reported, "displaced"].dropna()
    busiest = with_figure.idxmax()
    assert layer.loc[busiest, "status"] == "not reported"
    assert layer.loc[busiest, "modelled"] == pytest.approx(with_figure[busiest] / HOUSEHOLD)
    has_cell = zones["displaced"].notna()
    expected = pd.Series(
        np.where(
            zones.index.isin(observed.index),
            np.where(has_cell, "observed", NO_FIGURE),
            "not reported",
        ),
        index=zones.index,
    )
    assert (layer["status"].sort_index() == expected.sort_index()).all()
    # the map's title says the same
    titles = _titles((out / "evaluation.html").read_text(encoding="utf-8"))
    assert titles[code] == f"{code} Noveleta: observed 250; {NO_FIGURE}"
    assert (
        titles[NO_CELL_NOT_REPORTED] == f"{NO_CELL_NOT_REPORTED} Binondo: not reported; {NO_FIGURE}"
    )
    central, low, high = (zones.loc[busiest, c] / HOUSEHOLD for _, c in VARIANTS)
    name = zones.loc[busiest, "zone_name"]
    assert (
        titles[busiest] == f"{busiest} {name}: not reported; modelled {_range(central, low, high)}"
    )


# --------------------------------------------------- 3. per-unit ranges


@pytest.mark.slow
@pytest.mark.shared_data
def test_per_unit_figures_carry_the_range_of_the_curve_variants(haiyan, region):
    _, zones, _ = haiyan
    rows, out, _ = region
    page = (out / "evaluation.html").read_text(encoding="utf-8")
    observed = rows.set_index("pcode")["totally_damaged_houses"]
    compared = sorted(set(observed.index) & set(zones.index[zones["displaced"].notna()]))
    mine = zones.loc[compared]
    expected = pd.DataFrame({k: mine[c] / HOUSEHOLD for k, c in VARIANTS}, index=mine.index).assign(
        observed=observed.loc[compared]
    )
    expected["ratio"] = np.log10((1 + expected["modelled"]) / (1 + expected["observed"]))
    # the largest differences: central (low – high), which is which said
    table = next(t for t in _tables(page) if t[0][-1] == "log10 ratio")
    assert table[0] == ["code", "name", "observed", "modelled (low – high)", "log10 ratio"]
    top = expected.reindex(expected["ratio"].abs().sort_values(ascending=False).index)
    for row, (code, want) in zip(table[1:], top.head(15).iterrows(), strict=True):
        assert row == [
            code,
            zones.loc[code, "zone_name"],
            f"{want['observed']:,.0f}",
            _range(want["modelled"], want["modelled_low"], want["modelled_high"]),
            f"{want['ratio']:.2f}",
        ]
    assert table[2][:4] == ["PH086006000", "Daram", "0", "831 (low 38 – high 4,468)"]
    assert "then in brackets the low and the high variant" in html.unescape(page)
    # the map's titles: observed X, modelled Y (low L – high H)
    titles = _titles(page)
    for code, want in expected.iterrows():
        assert titles[code] == (
            f"{code} {zones.loc[code, 'zone_name']}: observed {want['observed']:,.0f}, "
            f"modelled {_range(want['modelled'], want['modelled_low'], want['modelled_high'])}"
        )
    assert titles["PH082602000"] == (
        "PH082602000 Balangiga: observed 2,919, modelled 2,246 (low 287 – high 3,087)"
    )


# --------------------------------------------------- without shared data


def test_the_units_given_are_listed_without_reading_files_again():
    """render_html's ``units`` (every unit with its observed value) is what it lists."""
    from mecc.evaluation_report import units_without_figure

    figures = {
        "run": {"folder": "/nonexistent"},
        "observed": {"zones_without_modelled_figure": ["B"], "file": "/nonexistent.csv"},
    }
    units = pd.DataFrame(
        {"zone_code": ["A", "B", "C"], "zone_name": ["Alpha", "Beta", "Gamma"]}
    ).assign(observed=[1.0, 40.0, np.nan])
    listed = units_without_figure(figures, units)
    assert listed.to_dict("records") == [{"zone_code": "B", "zone_name": "Beta", "observed": 40.0}]
    # without the units and without readable files: the codes, values not known
    listed = units_without_figure(figures)
    assert listed["zone_code"].tolist() == ["B"] and listed["observed"].isna().all()


def test_the_map_of_a_frame_with_a_unit_without_grid_cell():
    from mecc.evaluation_report import residual_map_svg

    frame = gpd.GeoDataFrame(
        {
            "zone_code": ["A", "B", "C"],
            "zone_name": ["Alpha", "Beta", "Gamma"],
            "status": ["observed", NO_FIGURE, "not reported"],
            "observed": [10.0, 250.0, np.nan],
            "modelled": [20.0, np.nan, 7.0],
            "modelled_low": [5.0, np.nan, 2.0],
            "modelled_high": [40.0, np.nan, 1500.0],
            "log10_ratio": [np.log10(21 / 11), np.nan, np.nan],
        },
        geometry=[box(k, 0, k + 1, 1) for k in range(3)],
        crs="EPSG:4326",
    )
    svg = html.unescape(residual_map_svg(frame))
    assert "A Alpha: observed 10, modelled 20 (low 5 – high 40)" in svg
    assert f"B Beta: observed 250; {NO_FIGURE}" in svg
    assert "C Gamma: not reported; modelled 7 (low 2 – high 1,500)" in svg
    assert f"1 observed with {NO_FIGURE}; 1 not reported" in svg
    assert f"observed, {NO_FIGURE}" in svg  # the legend


# --------------------------------------------------- 4. and 5.


def test_the_old_scatter_is_gone_and_the_options_say_what_they_do(cli):
    import mecc.evaluate
    import mecc.evaluation_report

    assert not hasattr(mecc.evaluation_report, "scatter_png")
    assert mecc.evaluate.scatter_png.__module__ == "mecc.evaluate_summary"
    text = " ".join(cli("evaluate", "--help").output.split())
    assert "above 0; 0 is refused" in text
    assert "a file covering only some units is compared over its own units" in text
