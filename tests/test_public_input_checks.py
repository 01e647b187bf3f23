"""Public functions called from Python refuse bad input with a mecc.errors class.

The run path checks its files before these functions see them; a Python caller (a
notebook, a script) calls them directly. Each bad input below used to give a wrong
number (a negative AAD, negative people, NaN winds) or a raw numpy error; each must now
raise the toolkit's :class:`DataError` (also a ``ValueError``) naming the argument.
Valid inputs keep their values, computed here by hand.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from exposure import census, cohorts, mobility
from hazards import cyclone, earthquake
from mecc import risk
from mecc.errors import DataError, MeccError

# ----------------------------------------------------------------------- mecc.risk

D4 = np.array([0.0, 10.0, 50.0, 200.0])
F4 = np.full(4, 0.25)


def test_event_aad_valid_value_by_hand():
    # 0.25 * (0 + 10 + 50 + 200) = 65
    assert float(risk.event_aad(D4, F4)) == 65.0
    rows = np.vstack([D4, D4 / 10])
    np.testing.assert_array_equal(risk.event_aad(rows, F4), [65.0, 6.5])


@pytest.mark.parametrize("bad", [-0.1, 0.0, math.nan, math.inf])
def test_event_aad_refuses_a_frequency_not_positive_and_finite(bad):
    with pytest.raises(DataError, match=r"^frequency: event 2 has"):
        risk.event_aad(np.array([1.0, 2.0]), np.array([0.1, bad]))


def test_event_aad_refuses_a_length_mismatch():
    with pytest.raises(DataError, match=r"^displaced: shape \(3,\) does not match the 2 freq"):
        risk.event_aad(np.array([1.0, 2.0, 3.0]), np.array([0.1, 0.1]))


def test_event_pmd_refuses_an_empty_set():
    with pytest.raises(DataError, match=r"^frequency: give one annual frequency per event"):
        risk.event_pmd(np.zeros(0), np.zeros(0))


def test_event_pmd_refuses_a_zero_frequency():
    # 1 / min f would be an endless supported range
    with pytest.raises(DataError, match=r"^frequency: event 1 has 0 events a year"):
        risk.event_pmd(np.array([1.0, 2.0]), np.array([0.0, 0.1]))


def test_event_pmd_valid_value_by_hand():
    # events 30, 20, 10, 0 at 0.1 each: return periods 10, 5, 3.33, 2.5 years
    pmd, (shortest, longest) = risk.event_pmd(
        np.array([10.0, 0.0, 30.0, 20.0]), np.full(4, 0.1), (5, 10)
    )
    np.testing.assert_allclose(pmd, [20.0, 30.0], rtol=1e-12)
    assert (shortest, longest) == pytest.approx((2.5, 10.0), rel=1e-12)


def test_member_aad_refuses_labels_not_one_per_event():
    with pytest.raises(DataError, match=r"^member: shape \(1,\) does not match the 2 freq"):
        risk.member_aad(np.array([1.0, 2.0]), np.array([0.1, 0.1]), np.array(["a"]))
    with pytest.raises(DataError, match=r"^member: shape \(3,\)"):
        risk.bootstrap_event_pmd(np.array([1.0, 2.0]), np.array([0.1, 0.1]), ["a", "b", "c"])


def test_return_periods_refused_with_a_mecc_error():
    for periods in ([100, 10], [2, math.nan, 100], [0.5, 10], [10, 10]):
        with pytest.raises(DataError, match=r"^return_periods: must be finite, increasing"):
            risk.rp_aad_weights(periods)
    with pytest.raises(MeccError):
        risk.rp_pmd(np.ones(2), [10, 2])
    with pytest.raises(ValueError):  # the matching built-in, for older callers
        risk.rp_tail_weights([10, 2])


WEIGHTS = (risk.rp_aad_weights, risk.rp_tail_weights, risk.rp_aad_climada_weights)


@pytest.mark.parametrize("protection", [math.nan, -5.0, 0.0, 0.5, math.inf, "ten"])
@pytest.mark.parametrize("weights", WEIGHTS, ids=lambda f: f.__name__)
def test_rp_weights_refuse_a_protection_that_is_no_return_period(weights, protection):
    with pytest.raises(DataError, match=r"^protection_rp: must be a return period >= 1 year"):
        weights([2, 10, 100], protection)


@pytest.mark.parametrize("protection", [math.nan, -5.0])
def test_rp_pmd_refuses_a_protection_that_is_no_return_period(protection):
    with pytest.raises(DataError, match=r"^protection_rp:"):
        risk.rp_pmd(np.array([1.0, 2.0, 3.0]), [2, 10, 100], (10,), protection)


def test_rp_weights_valid_values_by_hand():
    # maps at 10 and 100 years: trapezoid (0.1 - 0.01) * (D1 + D2) / 2
    np.testing.assert_allclose(risk.rp_aad_weights([10, 100]), [0.045, 0.045], rtol=1e-15)
    # protection 1 year (the smallest accepted) protects nothing
    np.testing.assert_allclose(risk.rp_aad_weights([10, 100], 1.0), [0.045, 0.045], rtol=1e-15)
    # protection 50 years: the map more frequent than 50 counts for nobody
    np.testing.assert_allclose(risk.rp_aad_climada_weights([10, 100], 50), [0.0, 0.01], rtol=1e-15)
    np.testing.assert_allclose(risk.rp_tail_weights([10, 100], 200.0), [0.0, 0.005])


def test_rp_pmd_refuses_a_wrong_number_of_maps():
    with pytest.raises(DataError, match=r"^displaced: shape \(2,\) does not match the 3 return"):
        risk.rp_pmd(np.array([1.0, 2.0]), [2, 10, 100])
    # valid: 20 years lies halfway between 10 and 40 in log T
    pmd = risk.rp_pmd(np.array([[100.0, 300.0]]), [10, 40], (20,))
    np.testing.assert_allclose(pmd, [[200.0]], rtol=1e-12)


# ------------------------------------------------------------------ cohort shares


def _table(f, m):
    return pd.DataFrame({"f": f, "m": m}, index=["A", "B"])


def test_cohort_shares_valid_counts_and_shares_by_hand():
    shares = cohorts.cohort_shares(_table([10.0, 0.2], [30.0, 0.8]), "cohorts")
    np.testing.assert_allclose(shares.to_numpy(), [[0.25, 0.75], [0.2, 0.8]], rtol=1e-15)


@pytest.mark.parametrize(
    ("f", "shown"),
    [
        ([-10.0, 5.0], "-10.0"),  # counts: would be a share of -0.5 and one of 1.5
        ([-0.2, 0.5], "-0.2"),  # shares
        ([math.nan, 0.5], "an empty cell"),
        ([math.inf, 0.5], "inf"),
        (["x", 0.5], "'x'"),  # was a TypeError from the sum
    ],
)
def test_cohort_shares_refuses_a_value_not_a_count(f, shown):
    with pytest.raises(DataError) as caught:
        cohorts.cohort_shares(_table(f, [30.0, 0.5]), "run.yaml.population.cohorts (c.csv)")
    assert str(caught.value) == (
        f"run.yaml.population.cohorts (c.csv).f: {shown} for zone A (data row 1) is not a "
        "finite number >= 0"
    )


# ---------------------------------------------------------------- census spread

INDEX = np.array([[0, 0, 1], [1, -1, 2]])
GRID_WEIGHTS = np.array([[1.0, 3.0, 0.0], [0.0, 5.0, 2.0]])


def test_spread_counts_valid_values_by_hand():
    values, method, placed = census.spread_counts(
        INDEX, np.array([100.0, 50.0, np.nan]), GRID_WEIGHTS
    )
    # unit 0 by weights 1:3; unit 1 weighs 0 everywhere: uniform; unit 2: no count
    np.testing.assert_array_equal(values, [[25.0, 75.0, 25.0], [25.0, 0.0, 0.0]])
    np.testing.assert_array_equal(method, [1, 2, 4])
    np.testing.assert_array_equal(placed, [100.0, 50.0, 0.0])


@pytest.mark.parametrize("bad", [-100.0, math.inf, -math.inf])
def test_spread_counts_refuses_a_negative_or_infinite_total(bad):
    with pytest.raises(DataError, match=r"^totals: unit 1 has -?inf|^totals: unit 1 has -100"):
        census.spread_counts(INDEX, np.array([100.0, bad, 30.0]), GRID_WEIGHTS)


# ------------------------------------------------------------ day/night population


def _od(origin, destination, share):
    return pd.DataFrame({"origin": origin, "destination": destination, "share": share})


def test_daytime_population_valid_values_by_hand():
    od = _od(["A", "B"], ["B", "A"], [0.5, 0.1])
    day = mobility.daytime_population(np.array([100.0, 50.0]), ["A", "B"], od, "x")
    np.testing.assert_array_equal(day, [100 - 50 + 5, 50 + 50 - 5])
    # a row from a zone to itself moves nobody, so it does not count towards 1
    od = _od(["A", "A"], ["A", "B"], [1.0, 0.5])
    day = mobility.daytime_population(np.array([100.0, 50.0]), ["A", "B"], od, "x")
    np.testing.assert_array_equal(day, [50.0, 100.0])


def test_daytime_population_refuses_more_than_all_residents_leaving():
    od = _od(["A", "A"], ["B", "C"], [0.7, 0.6])  # A would keep -30 of its 100 people
    with pytest.raises(DataError) as caught:
        mobility.daytime_population(np.array([100.0, 0.0, 0.0]), ["A", "B", "C"], od, "od")
    assert str(caught.value).startswith("od.share: the shares leaving zone A add up to 1.3, more")
    assert "rows 1 and 2 (0.7 + 0.6)" in str(caught.value)


@pytest.mark.parametrize("bad", [-0.1, 1.5, math.nan])
def test_daytime_population_refuses_a_share_outside_0_1(bad):
    od = _od(["A", "B"], ["B", "A"], [0.2, bad])
    with pytest.raises(DataError, match=r"^od\.share: row 2 \(B to A\) is"):
        mobility.daytime_population(np.array([100.0, 50.0]), ["A", "B"], od, "od")


# ------------------------------------------------------------------- earthquake


def test_intensity_valid_values_from_the_equation():
    # Allen, Wald & Worden (2012) Rrup: 3.950 + 0.913 M - 1.107 ln sqrt(R^2 + (1 + 0.813
    # e^(M - 5))^2)
    m, r = 6.0, np.array([0.0, 10.0, 100.0])
    near = (1.0 + 0.813 * math.exp(m - 5.0)) ** 2
    expected = 3.950 + 0.913 * m - 1.107 * np.log(np.sqrt(r**2 + near))
    np.testing.assert_allclose(earthquake.intensity(m, r), expected, rtol=1e-13)
    # NaN (a site the projection cannot place) stays NaN, as mmi_field relies on
    assert np.isnan(earthquake.intensity(m, np.array([np.nan]))).all()


@pytest.mark.parametrize("equation", ["allen2012_rrup", "allen2012_rhypo"])
def test_intensity_refuses_a_negative_distance(equation):
    # -10 km was read as +10 km (the equations hold R as R^2)
    with pytest.raises(DataError, match=r"^distance_km: -10 km is negative"):
        earthquake.intensity(6.0, np.array([5.0, -10.0]), equation)


# ---------------------------------------------------------------------- cyclone


def test_holland_gradient_wind_valid_value_by_hand():
    # at R_max (x = 1) on the equator (f = 0): V = sqrt(B dp / (rho e)), rho = 1.15
    v = cyclone.holland_gradient_wind(np.array([30000.0]), 30000.0, 1.5, 2000.0, 0.0)
    np.testing.assert_allclose(v, [math.sqrt(1.5 * 2000.0 / (1.15 * math.e))], rtol=1e-14)


def test_holland_gradient_wind_refuses_a_negative_pressure_drop():
    with pytest.raises(DataError, match=r"^dp_pa: pressure drop -2000 Pa is negative"):
        cyclone.holland_gradient_wind(np.array([10000.0, 50000.0]), 30000.0, 1.5, -2000.0, 15.0)
    with pytest.raises(DataError, match=r"^dp_pa: pressure drop -1 Pa"):
        cyclone.holland_gradient_wind(1000.0, 30000.0, 1.5, np.array([5.0, -1.0]), 15.0)
