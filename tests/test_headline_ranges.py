"""The curve-variant range printed by ``mecc run``, shown on the map and written to the
tables always includes the central figure, also with one variant only or variants on
one side of it, and the run's warning gives advice that fits the case.

A seismic risk modeller's probe: a hazard with only a ``low`` variant printed no range
(though summary.json, zones.csv and sendai.csv had it), and one whose two variants both
displace more people than the central curve printed "displaced 999,938 (range
1,000,000-1,000,000)", a range without the central figure, while sendai.csv's low/high
included it, and the warning said "swap the variants' files" (built-in names, and
swapping could not help).

The flood scenario (tests/_run_inputs.py): depths 0, 0.5, 1, 2 m in the four columns of
people 280, 320, 360, 400 (zone A the first two columns, B the last two). A step at
1.5 m displaces column 4 (400 people), at 1 m columns 3-4 (760), at 0.5 m columns 2-4
(1,080).
"""

from __future__ import annotations

import html
import json
import re

import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine

from mecc.headlines import format_headline, headlines
from tests._run_inputs import basic_case, write_run

STEP = {depth: {"step": depth} for depth in (0.5, 1.0, 1.5)}
NAME = {0.5: "step at 0.5 m", 1.0: "step at 1 m", 1.5: "step at 1.5 m"}


def _flood_run(cli, tmp_path, curve, variants):
    folder = tmp_path / "case"
    data = basic_case(folder)
    data["hazards"] = [
        {
            "id": "rf",
            "type": "river_flood",
            "intensity": "rp100.tif",
            "scenario": "s",
            "curve": curve,
            "variants": variants,
        }
    ]
    out = tmp_path / "out"
    result = cli("run", write_run(folder, data), "--out", out)
    assert result.exit_code == 0, result.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return result, out, summary["hazards"]["rf"]


def _printed_headline(result) -> str:
    (line,) = [s.strip() for s in result.stdout.splitlines() if s.strip().startswith("rf:")]
    return line


def _map_ranges(out) -> set:
    """The curve-variant ranges of the map's popups, as shown, of the figures themselves
    (not of their rates per 100,000 or of Sendai B-1, which have ranges of their own)."""
    page = html.unescape((out / "map.html").read_text(encoding="utf-8"))
    page = page.replace("\\u003c", "<").replace("\\u003e", ">").replace('\\"', '"')
    cells = [
        cell
        for cell in page.split("</td>")
        if 'data-figure="per_100k"' not in cell and 'data-figure="sendai_b1"' not in cell
    ]
    return set(re.findall(r"range ([\d,.]+) to ([\d,.]+) \(curve variants\)", "".join(cells)))


def _sendai_d1(out, hazard_id="rf") -> pd.Series:
    sendai = pd.read_csv(out / "sendai.csv", encoding="utf-8-sig", keep_default_na=False)
    return sendai[
        (sendai["hazard_id"] == hazard_id)
        & (sendai["indicator_code"].str.endswith("D1"))
        & (sendai["admin_level"].astype(str) == "0")
        & (sendai["breakdown"] == "")
    ].iloc[0]


def _warnings(result) -> list[str]:
    return [s for s in result.stderr.splitlines() if "curve variants are in the wrong order" in s]


@pytest.mark.parametrize(
    ("variants", "side", "expected", "map_ranges"),
    [
        # low alone: 400 (column 4) beside the central 760; zone A is 0 to 0 (not shown)
        ("low", 1.5, "(range 400-760, curve variants;", {("400", "760")}),
        # high alone: 1,080; zone A 0 to 320 (column 2 at 0.5 m), zone B 760 both
        ("high", 0.5, "(range 760-1,080, curve variants;", {("0", "320"), ("760", "760")}),
    ],
)
def test_one_variant_gives_a_range_to_the_central_figure(
    cli, tmp_path, variants, side, expected, map_ranges
):
    result, out, item = _flood_run(cli, tmp_path, STEP[1.0], {variants: STEP[side]})
    assert item["displaced"] == pytest.approx(760.0, rel=1e-12)
    other = "high" if variants == "low" else "low"
    assert item[f"displaced_{variants}"] == pytest.approx(400.0 if side == 1.5 else 1080.0)
    assert f"displaced_{other}" not in item
    assert _printed_headline(result) == f"rf: displaced 760 people {expected} modelled estimate)"
    assert _map_ranges(out) == map_ranges
    d1 = _sendai_d1(out)  # the tables' range: the same two ends
    (record,) = headlines({"hazards": {"rf": item}})
    assert (record["low"], record["high"]) == pytest.approx((float(d1["low"]), float(d1["high"])))
    assert _warnings(result) == []  # the one variant is on its own side


def test_variants_both_above_the_central_give_a_range_that_includes_it(cli, tmp_path):
    """Central 400 (1.5 m), low 760 (1 m), high 1,080 (0.5 m): printed as 760-1,080."""
    result, out, item = _flood_run(cli, tmp_path, STEP[1.5], {"low": STEP[1.0], "high": STEP[0.5]})
    assert (item["displaced"], item["displaced_low"], item["displaced_high"]) == pytest.approx(
        (400.0, 760.0, 1080.0), rel=1e-12
    )
    assert _printed_headline(result) == (
        "rf: displaced 400 people (range 400-1,080, curve variants; modelled estimate)"
    )
    # zone A: central 0, low 0, high 320; zone B: central 400, low and high 760
    assert _map_ranges(out) == {("0", "320"), ("400", "760")}
    d1 = _sendai_d1(out)
    assert (float(d1["low"]), float(d1["high"])) == pytest.approx((400.0, 1080.0))
    (warned,) = _warnings(result)
    assert warned == (
        "warning: hazards.rf: the curve variants are in the wrong order ('low' must displace "
        "fewer people than the central curve and 'high' more); from fewest to most, in "
        "people: the central curve (step at 1.5 m) 400.0, 'low' (step at 1 m) 760.0, 'high' "
        "(step at 0.5 m) 1,080.0; both variants displace as many people as the central "
        "curve or more, so swapping them cannot help: give as 'low' a curve that displaces "
        "fewer people than the central curve, or give the curve in the middle (step at 1 m) "
        "as the hazard's curve and the other two as its variants 'low' (the fewest) and "
        "'high' (the most). Meanwhile the headline, the map and sendai.csv show the range "
        "400.0 to 1,080.0 (the lowest to the highest of the central figure and the variants); "
        "zones.csv, zones_bands.csv and summary.json keep each variant's own figure"
    )
    assert "files" not in warned


def test_variants_both_below_the_central_say_so(cli, tmp_path):
    """Central 1,080 (0.5 m), low 400 (1.5 m), high 760 (1 m): printed as 400-1,080."""
    result, _, item = _flood_run(cli, tmp_path, STEP[0.5], {"low": STEP[1.5], "high": STEP[1.0]})
    assert item["displaced_high"] == pytest.approx(760.0, rel=1e-12)
    assert _printed_headline(result) == (
        "rf: displaced 1,080 people (range 400-1,080, curve variants; modelled estimate)"
    )
    (warned,) = _warnings(result)
    assert (
        "both variants displace as many people as the central curve or fewer, so swapping "
        "them cannot help: give as 'high' a curve that displaces more people than the "
        "central curve, or give the curve in the middle (step at 1 m) as the hazard's curve"
    ) in warned


def test_a_lone_variant_on_the_wrong_side_is_told_to_change_name(cli, tmp_path):
    """Central 400 (1.5 m) with only a 'low' of 760 (1 m): the range is 400-760."""
    result, out, item = _flood_run(cli, tmp_path, STEP[1.5], {"low": STEP[1.0]})
    assert item["displaced_low"] == pytest.approx(760.0, rel=1e-12)
    assert _printed_headline(result) == (
        "rf: displaced 400 people (range 400-760, curve variants; modelled estimate)"
    )
    assert _map_ranges(out) == {("400", "760")}
    (warned,) = _warnings(result)
    assert (
        "the only variant, 'low', displaces more people than the central curve: give that "
        "curve (step at 1 m) as 'high' instead of 'low'. Meanwhile the headline, the map "
        "and sendai.csv show the range 400.0 to 760.0"
    ) in warned


def test_crossing_variants_in_swapped_order_are_told_to_swap(cli, tmp_path):
    """Central 400 (1.5 m); 'low' 0.9 of everyone from 0.8 m: 0.9 x 760 = 684; 'high' 0.5
    at 2 m: 0.5 x 400 = 200 (the curves cross at 5 m, so they are run, not refused)."""
    low = {"intensity": [0, 0.7, 0.8, 5], "share": [0, 0, 0.9, 0.9]}
    high = {"intensity": [0, 1.9, 2.0, 5], "share": [0, 0, 0.5, 1]}
    result, _, item = _flood_run(cli, tmp_path, STEP[1.5], {"low": low, "high": high})
    assert (item["displaced_low"], item["displaced_high"]) == pytest.approx((684.0, 200.0))
    assert _printed_headline(result) == (
        "rf: displaced 400 people (range 200-684, curve variants; modelled estimate)"
    )
    (warned,) = _warnings(result)
    assert (
        "'low' displaces more people than the central curve and 'high' fewer: swap the "
        "curves given under variants: as 'low' (inline curve, 4 points (0-5 m)) and as "
        "'high' (inline curve, 4 points (0-5 m))"
    ) in warned


def test_evaluate_prints_the_crossing_range_lowest_first(cli, tmp_path):
    """The same crossing variants (low 684, high 200, central 400) through `mecc
    evaluate`: the printed national range runs lowest to highest, 200-684, as the
    headline's (it printed "684 - 200")."""
    low = {"intensity": [0, 0.7, 0.8, 5], "share": [0, 0, 0.9, 0.9]}
    high = {"intensity": [0, 1.9, 2.0, 5], "share": [0, 0, 0.5, 1]}
    _, out, _ = _flood_run(cli, tmp_path, STEP[1.5], {"low": low, "high": high})
    observed = tmp_path / "observed.csv"
    observed.write_text("zone_code,value\nA,100\nB,300\n", encoding="utf-8")
    result = cli(
        "evaluate", out, "--observed", observed, "--measure", "displaced_people",
        "--out", tmp_path / "evaluation",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    (line,) = [s.strip() for s in result.stdout.splitlines() if "national:" in s]
    assert line.startswith("national: modelled 400 (range 200 - 684) vs observed 400")


def test_summary_values_alone_give_the_range_with_the_central_figure():
    """The probe's national figures, read from summary.json as mecc run and batch do."""
    only_low = {"kind": "scenario", "displaced": 999999.7834, "displaced_low": 999938.3073}
    above = {
        "kind": "scenario",
        "displaced": 999938.3073,
        "displaced_low": 999999.7834,
        "displaced_high": 1000000.0,
    }
    sea = {"kind": "relocation", "at_risk_relocation": 411.0, "at_risk_relocation_high": 769.0}
    records = headlines({"hazards": {"c": only_low, "d": above, "slr": sea}})
    assert [format_headline(r) for r in records] == [
        "c: displaced 1,000,000 people (range 999,938-1,000,000, curve variants; "
        "modelled estimate)",
        "d: displaced 999,938 people (range 999,938-1,000,000, curve variants; modelled estimate)",
        "slr: at risk of planned relocation 411 people (range 411-769, DEM raised and "
        "lowered by 1 m; modelled estimate)",
    ]
    assert [(r["low"], r["high"]) for r in records] == [
        (999938.3073, 999999.7834),
        (999938.3073, 1000000.0),
        (411.0, 769.0),
    ]


@pytest.fixture(scope="module")
def quake(tmp_path_factory):
    """The probe: 100 people in each of 100 x 100 cells near Yogyakarta, an M6.3 shallow
    scenario from ``mecc hazard earthquake``."""
    from click.testing import CliRunner

    from cli import main

    folder = tmp_path_factory.mktemp("quake")
    profile = {
        "driver": "GTiff",
        "width": 100,
        "height": 100,
        "count": 1,
        "dtype": "float32",
        "crs": "EPSG:4326",
        "transform": Affine(0.001, 0, 110.3, 0, -0.001, -7.7),
    }
    with rasterio.open(folder / "pop.tif", "w", **profile) as dst:
        dst.write(np.full((1, 100, 100), 100, "float32"))
    args = "hazard earthquake --magnitude 6.3 --lat -7.96 --lon 110.45 --depth-km 10"
    args += f" --strike 48 --out {folder / 'mmi.tif'} --like {folder / 'pop.tif'}"
    made = CliRunner().invoke(main, args.split(), catch_exceptions=False)
    assert made.exit_code == 0, made.output
    return folder


@pytest.mark.parametrize(
    ("curve", "variants"),
    [
        ("eq_mmi6_survivors_pager_idn", "{low: eq_mmi6_survivors_itb}"),
        ("eq_mmi6_survivors_itb", "{low: eq_mmi6_survivors_pager_idn, high: eq_mmi6_survivors}"),
    ],
    ids=["c_only_low", "d_both_above"],
)
def test_the_probes_earthquake_runs(cli, quake, curve, variants, tmp_path):
    run_file = tmp_path / "run.yaml"
    run_file.write_text(
        f"country: IDN\npopulation: {{path: {quake / 'pop.tif'}}}\nhazards:\n  - id: q\n"
        f"    type: earthquake\n    intensity: {quake / 'mmi.tif'}\n    scenario: s\n"
        f"    curve: {curve}\n    variants: {variants}\n"
    )
    out = tmp_path / "out"
    result = cli("run", run_file, "--out", out)
    assert result.exit_code == 0, result.stderr
    item = json.loads((out / "summary.json").read_text(encoding="utf-8"))["hazards"]["q"]
    central, low = item["displaced"], item["displaced_low"]
    assert 999_900 < low < 1_000_000 and 999_900 < central < 1_000_000
    ends = [central, low, item.get("displaced_high", central)]
    lowest, highest = min(ends), max(ends)
    assert round(lowest) == 999_938 and round(highest) == 1_000_000  # the probe's figures
    (line,) = [s.strip() for s in result.stdout.splitlines() if s.strip().startswith("q:")]
    assert line == (
        f"q: displaced {central:,.0f} people (range 999,938-1,000,000, curve variants; "
        "modelled estimate)"
    )
    assert _map_ranges(out) == {("999,938", "1,000,000")}
    d1 = _sendai_d1(out, "q")
    assert (float(d1["low"]), float(d1["high"])) == pytest.approx((lowest, highest), rel=1e-12)
    warned = _warnings(result)
    if "high" in variants:  # both variants above the central (ITB) figure
        (text,) = warned
        assert "swapping them cannot help" in text and "files" not in text
        assert "give the curve in the middle (eq_mmi6_survivors_pager_idn)" in text
    else:
        assert warned == []
