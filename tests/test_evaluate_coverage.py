"""mecc evaluate on the Typhoon Haiyan run (../shared/data): an observed file that reports
part of the country is compared like with like, rows that are no unit (a TOTAL row) count
nowhere, units without a grid cell have no modelled figure, a threshold of 0 and national
figures that are no counts are refused, the scatter plot says what it compares and its
sources, and the method line of results.nc fits a cyclone run.

Every expected number is computed here with pandas from the run's zones.csv and the
observed file, not taken from mecc."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
HOUSEHOLD = 4.4
OPTIONS = (
    *("--code-column", "pcode", "--value-column", "totally_damaged_houses"),
    *("--measure", "destroyed_houses", "--household-size", str(HOUSEHOLD)),
    *("--threshold", "1000"),
)
NO_CELL = "PH133902000"  # a municipality too small for a 0.02 degree cell

pytestmark = [pytest.mark.slow, pytest.mark.shared_data]


@pytest.fixture(scope="module")
def haiyan(shared_data, haiyan_reproduced):
    """The Haiyan run of validation/haiyan/reproduce.sh, and the observed file."""
    data = shared_data / "philippines_haiyan"
    return haiyan_reproduced / "run", data / "haiyan_damaged_houses.csv"


def _zones(run) -> pd.DataFrame:
    zones = pd.read_csv(run / "zones.csv", dtype={"zone_code": str}, encoding="utf-8-sig")
    return zones


def _observed(path) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"pcode": str})


def _evaluate(cli, run, observed, out, *extra):
    result = cli("evaluate", run, "--observed", observed, "--out", out, *OPTIONS, *extra)
    figures = None
    if result.exit_code == 0:
        figures = json.loads((out / "evaluation.json").read_text(encoding="utf-8"))
    return result, figures


def _eastern_visayas(observed_path, folder, extra_rows=()) -> Path:
    """The observed rows of region VIII (codes PH08...) only, plus ``extra_rows``."""
    rows = _observed(observed_path)
    rows = rows[rows["pcode"].str.startswith("PH08")]
    rows = pd.concat([rows, pd.DataFrame(list(extra_rows), columns=rows.columns)])
    path = folder / "region8.csv"
    rows.to_csv(path, index=False)
    return path


def _one_line(result) -> str:
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    return lines[0]


# ------------------------------------------------------------- 1. partial coverage


def test_a_partial_file_is_compared_with_the_modelled_figures_of_its_units(haiyan, cli, tmp_path):
    run, observed_path = haiyan
    region = _eastern_visayas(observed_path, tmp_path)
    result, figures = _evaluate(cli, run, region, tmp_path / "e1")
    assert result.exit_code == 0, result.output
    zones, observed = _zones(run), _observed(region)
    units = zones[zones["zone_code"] != "__outside__"]
    mine = units[units["zone_code"].isin(set(observed["pcode"]))]
    expected = {
        v: mine[c].sum() / HOUSEHOLD
        for v, c in (("", "displaced"), ("_low", "displaced_low"), ("_high", "displaced_high"))
    }
    observed_total = observed.groupby("pcode")["totally_damaged_houses"].sum().sum()
    national = figures["national"]
    assert national["scope"] == "observed_units"
    assert national["observed"] == observed_total == 239_839
    assert national["modelled"] == pytest.approx(expected[""])  # 287,014
    assert national["modelled_low"] == pytest.approx(expected["_low"])
    assert national["modelled_high"] == pytest.approx(expected["_high"])
    assert national["ratio"] == pytest.approx(expected[""] / observed_total)  # 1.20, not 2.42
    within = expected["_low"] <= observed_total <= expected["_high"]
    assert national["observed_within_range"] is bool(within)
    whole = zones["displaced"].sum() / HOUSEHOLD  # every unit and the outside bucket
    assert national["modelled_whole_run"] == pytest.approx(whole)
    count = len(set(observed["pcode"]))
    said = f"national figures over the {count} of {len(units):,} units observed"
    assert national["scope_text"] == said and said in result.output
    assert f"modelled {expected['']:,.0f}" in result.output
    assert f"vs observed {observed_total:,.0f} houses" in result.output

    # with an official national figure, the whole run is compared with it
    result, figures = _evaluate(cli, run, region, tmp_path / "e2", "--national-observed", "550928")
    assert result.exit_code == 0, result.output
    national = figures["national"]
    assert national["scope"] == "whole_run" and national["observed"] == 550_928
    assert national["modelled"] == pytest.approx(whole)
    assert national["ratio"] == pytest.approx(whole / 550_928)
    low, high = (zones[c].sum() / HOUSEHOLD for c in ("displaced_low", "displaced_high"))
    assert national["observed_within_range"] is bool(low <= 550_928 <= high)
    assert "units observed" not in result.output


# ------------------------------------------------- 2. rows that are no unit of the run


def test_a_total_row_is_left_out_of_the_observed_national_total(haiyan, cli, tmp_path):
    run, observed_path = haiyan
    with_total = tmp_path / "total.csv"
    with_total.write_text(
        observed_path.read_text(encoding="utf-8").rstrip("\n") + "\nTOTAL,550928,589104\n",
        encoding="utf-8",
    )
    result, figures = _evaluate(cli, run, with_total, tmp_path / "e")
    assert result.exit_code == 0, result.output
    rows, zones = _observed(with_total), _zones(run)
    matched = rows[rows["pcode"].isin(set(zones["zone_code"]))]
    assert figures["observed"]["codes_not_in_run"] == ["TOTAL"]
    assert figures["national"]["observed_rows_total"] == matched["totally_damaged_houses"].sum()
    assert figures["national"]["observed"] == 550_928  # not 1,101,856
    assert "TOTAL: 550,928 houses not counted" in result.output


# ---------------------------------------------- 3. units that received no grid cell


def test_an_observed_unit_without_a_grid_cell_has_no_modelled_figure(haiyan, cli, tmp_path):
    from mecc.evaluate import read_run_figures

    run, observed_path = haiyan
    zones = _zones(run)
    blank = set(zones.loc[zones["displaced"].isna(), "zone_code"])
    assert NO_CELL in blank and len(blank) == 12
    figures_read = read_run_figures(run).zones.set_index("zone_code")
    assert figures_read["modelled_people"].isna().sum() == 12  # not filled with 0
    assert set(figures_read.index[figures_read["modelled_people"].isna()]) == blank

    region = _eastern_visayas(observed_path, tmp_path, [(NO_CELL, 50, 0)])
    result, figures = _evaluate(cli, run, region, tmp_path / "e")
    assert result.exit_code == 0, result.output
    observed = _observed(region)
    reported = set(observed["pcode"])
    units = zones[zones["zone_code"] != "__outside__"]
    assert figures["observed"]["zones_without_modelled_figure"] == [NO_CELL]
    assert figures["zones"]["zones"] == len(reported) - 1  # the statistics leave it out
    assert figures["observed"]["zones_not_reported"] == len(units) - len(reported)
    note = next(n for n in figures["notes"] if "no modelled figure (no grid cell)" in n)
    assert "50 observed houses" in note and "people" not in note.split(":")[0]
    assert "observed people" not in note
    known = observed[observed["pcode"] != NO_CELL]
    national = figures["national"]
    assert national["observed"] == known["totally_damaged_houses"].sum()
    modelled = units.loc[units["zone_code"].isin(set(known["pcode"])), "displaced"].sum()
    assert national["modelled"] == pytest.approx(modelled / HOUSEHOLD)
    assert "(1 observed without a grid cell)" in national["scope_text"]
    table = pd.read_csv(tmp_path / "e" / "evaluation.csv", encoding="utf-8-sig")
    assert NO_CELL not in set(table["zone_code"]) and table["modelled"].notna().all()


# ------------------------------------------------------------------ 4. --threshold


@pytest.mark.parametrize("value", ["0", "-5"])
def test_a_threshold_of_0_or_below_is_refused(haiyan, cli, tmp_path, value):
    run, observed_path = haiyan
    out = tmp_path / "e"
    result = cli(
        "evaluate", run, "--observed", observed_path, "--out", out, *OPTIONS, "--threshold", value
    )
    assert result.exit_code == 2
    line = _one_line(result)
    assert "--threshold" in line and "above 0" in line
    assert not out.exists()


def test_compare_refuses_a_threshold_of_0():
    from mecc.evaluate_stats import compare

    with pytest.raises(ValueError, match="above 0"):
        compare([0.0, 5.0], [0.0, 7.0], 0.0)
    assert compare([0.0, 5.0], [0.0, 7.0], 1.0)["hits"] == 1  # 0 vs 0: a correct negative


# --------------------------------------------------------- 5. --national-observed


def test_a_national_figure_below_the_rows_is_warned_about(haiyan, cli, tmp_path):
    run, observed_path = haiyan
    result, figures = _evaluate(
        cli, run, observed_path, tmp_path / "e", "--national-observed", "100000"
    )
    assert result.exit_code == 0, result.output
    rows = _observed(observed_path)["totally_damaged_houses"].sum()
    assert figures["national"]["observed_rows_total"] == rows
    expected = f"--national-observed 100,000 houses is below the sum of the observed file's rows ({rows:,.0f} houses"
    assert expected in result.output
    assert any(expected in n for n in figures["notes"])


@pytest.mark.parametrize(("value", "said"), [("0", "of 0 houses"), ("550928.5", "not a count")])
def test_a_national_figure_that_is_no_count_is_refused(haiyan, cli, tmp_path, value, said):
    run, observed_path = haiyan
    out = tmp_path / "e"
    result = cli(
        *("evaluate", run, "--observed", observed_path, "--out", out, *OPTIONS),
        *("--national-observed", value),
    )
    assert result.exit_code == 2
    line = _one_line(result)
    assert "--national-observed" in line and said in line
    assert not out.exists()


# ----------------------------------------------------------- 7. scatter.png texts


def test_the_scatter_plot_says_it_shows_a_proxy_and_its_sources(haiyan, cli, tmp_path, monkeypatch):
    from PIL import Image

    import mecc.figures

    drawn = []
    original = mecc.figures.log_scatter_png

    def spy(*args, **kwargs):
        drawn.append(kwargs)
        return original(*args, **kwargs)

    monkeypatch.setattr(mecc.figures, "log_scatter_png", spy)
    run, observed_path = haiyan
    source = "NDRRMC and DSWD reports (public)"
    result, _ = _evaluate(cli, run, observed_path, tmp_path / "e", "--observed-source", source)
    assert result.exit_code == 0, result.output
    (kwargs,) = drawn
    assert kwargs["y_label"] == "modelled destroyed houses (proxy) + 1 (central curve)"
    proxy, sources = kwargs["footer"]
    assert proxy.startswith("Proxy: modelled destroyed houses = displaced people / 4.4 people")
    curve = json.loads((run / "summary.json").read_text())["hazards"]["haiyan_wind"]["curve"]
    assert sources.startswith(f"Sources: curve {curve} (")
    assert "Population: national census" in sources and f"observed: {source}" in sources
    with Image.open(tmp_path / "e" / "scatter.png") as image:
        assert image.size[0] == 760 and image.size[1] > 700  # room for the footer


def test_the_scatter_footer_is_wrapped_under_the_plot():
    import io

    from PIL import Image

    from mecc.figures import log_scatter_png

    plain = log_scatter_png([1, 10], [2, 20], x_label="x", y_label="y", title="t")
    footed = log_scatter_png(
        [1, 10], [2, 20], x_label="x", y_label="y", title="t", footer=("word " * 60, "short")
    )
    plain_size = Image.open(io.BytesIO(plain)).size
    footed_image = Image.open(io.BytesIO(footed)).convert("L")
    assert plain_size == (760, 700)
    assert footed_image.size[0] == 760 and footed_image.size[1] >= 700 + 3 * 17
    ink = np.asarray(footed_image)[700:] < 128
    assert ink.any() and not ink[:, 750:].any()  # written, and within the width


# ---------------------------------------------------------- 8. the run's method line


def test_the_method_line_fits_a_cyclone_run(haiyan, cli, tmp_path):
    import xarray as xr

    from mecc.tables import METHOD_NOTE

    run, observed_path = haiyan
    with xr.open_dataset(run / "results.nc", engine="netcdf4") as results:
        references = results.attrs["references"]
    assert references == METHOD_NOTE
    assert "population x flooded fraction x curve" not in references
    assert "population x curve(intensity)" in references
    assert "flooded fraction where a flood grid gives one" in references
    assert "CLIMADA ImpactCalc" in references
