"""The Hurricane Irma validation page (validation/irma): its tables are what
``irma_check.py`` computes with the toolkit, and its feasibility argument holds when
checked again from the best-track CSV with closed forms that do not use the toolkit."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
CASE = ROOT / "validation" / "irma"
KNOT = 1852.0 / 3600.0
NMI = 1852.0
RHO, OMEGA, EARTH = 1.15, 7.2921e-5, 6_371_008.8
F = 0.9  # the surface factor chosen with the generator (Franklin, Black & Valde 2003)


def _check_module():
    spec = importlib.util.spec_from_file_location("irma_check", CASE / "irma_check.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def computed(shared_data):
    module = _check_module()
    return module, module.hurricane_times(shared_data / "tracks" / "irma_2017.csv")


@pytest.fixture(scope="module")
def raw(shared_data):
    """The CSV as written, indexed by its time; read without the toolkit."""
    table = pd.read_csv(shared_data / "tracks" / "irma_2017.csv", dtype={"time_utc": str})
    return table.set_index("time_utc")


def _page() -> str:
    return (CASE / "README.md").read_text(encoding="utf-8")


def test_the_page_shows_what_the_toolkit_computes(computed):
    module, times = computed
    page = _page()
    rows = module.summary_rows(times) + module.pair_rows(times) + module.time_rows(times)
    assert len(module.time_rows(times)) == 89 and len(module.pair_rows(times)) == 2
    missing = [row for row in rows if row not in page]
    assert not missing, "validation/irma/README.md differs from irma_check.py:\n" + "\n".join(
        missing
    )


def test_the_pages_prose_figures_are_the_computed_ones(computed):
    module, times = computed
    page = " ".join(_page().split())
    by_time = times.set_index("time_utc")
    first, second, gap = module.contradicting_pair(times)
    assert (times.time_utc[first], times.time_utc[second]) == ("2017-09-05 00", "2017-09-11 00")
    lat_span = times.lat[second] - times.lat[first]
    assert f"at least {gap:.2f} between them" in page
    assert f"{0.014 * lat_span:.2f} over those {lat_span:.1f} degrees" in page
    assert f"about {0.014 * lat_span / F**2:.2f} of gradient-level B" in page
    early, peak = by_time.error["2017-08-31 06"], by_time.error["2017-09-05 18"]
    assert by_time.observed_kt["2017-09-05 18"] == 155
    assert f"({early:+.0%} on 31 August, {peak:+.0%} at the 155 kt peak".replace("%", " %") in page
    florida = by_time.error[[t for t in by_time.index if t.startswith("2017-09-11")]]
    assert (
        f"({florida.min():+.0%} to {florida.max():+.0%} on 11 September)".replace("%", " %") in page
    )
    within = int((times.error.abs() <= 0.10).sum())
    assert f"exactly at the {within} times" in page


def test_the_models_b_is_admissible_exactly_where_it_is_within_10_percent(computed):
    _, times = computed
    step = 0.005  # the intervals' B step
    inside = (times.b_model >= times.b_low_motion_none - step) & (
        times.b_model <= times.b_high_motion_none + step
    )
    within = times.error.abs() <= 0.10
    assert within.sum() == 32 and (inside == within).all()


def _gradient_at_rmax(b, dp_hpa, rmax_m, lat):
    """Holland (1980) gradient wind at R_max, written out: sqrt(B Δp/(ρ e) + c²) - c."""
    c = rmax_m * OMEGA * math.sin(math.radians(abs(lat)))
    return math.sqrt(b * dp_hpa * 100.0 / (RHO * math.e) + c * c) - c


def _b_at_least(row):
    """Smallest B whose peak can reach 0.9 x vmax with no motion added: the Holland peak is
    at most sqrt(B Δp / (ρ e)) (x e^-x <= 1/e, and the Coriolis term only lowers it)."""
    target = 0.9 * row.vmax_kt * KNOT / F
    return target**2 * RHO * math.e / ((row.env_pressure_hpa - row.pressure_hpa) * 100.0)


def _b_at_most(row):
    """Largest B whose wind at R_max (a lower bound of the peak) stays within 1.1 x vmax."""
    target = 1.1 * row.vmax_kt * KNOT / F
    c = row.rmax_nmi * NMI * OMEGA * math.sin(math.radians(abs(row.lat)))
    return (
        ((target + c) ** 2 - c * c)
        * RHO
        * math.e
        / ((row.env_pressure_hpa - row.pressure_hpa) * 100.0)
    )


def test_two_alike_times_need_b_intervals_that_do_not_meet(raw, computed):
    atlantic, florida = raw.loc["2017090500"], raw.loc["2017091100"]
    assert atlantic.rmax_nmi == florida.rmax_nmi == 15
    assert abs(atlantic.pressure_hpa - florida.pressure_hpa) == 1
    # necessary conditions in closed form (the toolkit's intervals are narrower still)
    at_least, at_most = _b_at_least(atlantic), _b_at_most(florida)
    assert at_least == pytest.approx(1.90, abs=0.005)
    assert at_most == pytest.approx(1.24, abs=0.005)
    assert 1.0 <= at_most < at_least - 0.6 < 2.5
    by_time = computed[1].set_index("time_utc")
    assert at_least <= by_time.b_low_motion_none["2017-09-05 00"] <= at_least + 0.05
    assert at_most - 0.05 <= by_time.b_high_motion_none["2017-09-11 00"] <= at_most


def _translation(raw, time):
    """Centred-difference speed (m/s) over the points 3 h either side, capped at 30 kt."""
    times = list(raw.index)
    k = times.index(time)
    before, after = raw.iloc[k - 1], raw.iloc[k + 1]
    p1, p2 = math.radians(before.lat), math.radians(after.lat)
    dl = math.radians(after.lon - before.lon)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return min(2 * EARTH * math.asin(math.sqrt(h)) / (6 * 3600.0), 30 * KNOT)


@pytest.mark.parametrize("time", ["2017091100", "2017091103", "2017091106"])
def test_with_the_full_motion_no_b_meets_florida(raw, time):
    row = raw.loc[time]
    observed = row.vmax_kt * KNOT
    dp = row.env_pressure_hpa - row.pressure_hpa
    # at R_max on the right of the motion the tangential wind and the motion add up
    flattest = F * _gradient_at_rmax(1.0, dp, row.rmax_nmi * NMI, row.lat)
    assert flattest + _translation(raw, time) > 1.1 * observed
    assert np.isfinite(flattest) and flattest < 1.1 * observed  # the motion decides it


def test_the_cyclone_commands_help_gives_the_computed_figure(computed, cli):
    _, times = computed
    within = int((times.error.abs() <= 0.10).sum())
    result = cli("hazard", "cyclone", "--help")
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert f"within 10 % of the observed wind at {within} of {len(times)} hurricane-" in text


def test_the_main_readme_gives_the_computed_figures(computed):
    _, times = computed
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    within = int((times.error.abs() <= 0.10).sum())
    mean = -times.error.mean()
    assert (
        f"On Hurricane Irma (2017) the peak wind from pressure is {mean:.0%} below the observed "
        "1-minute wind on average over the hurricane stage, but within 10 % at only "
        f"{within} of {len(times)} times"
    ).replace(f"{mean:.0%}", f"{mean * 100:.0f} %") in readme
