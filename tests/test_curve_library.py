"""The built-in curves match their cited sources at published points.

Expected numbers are the sources' own figures (as read in
../shared/reference/methodology.md, with its section), or closed-form expressions from the
cited papers evaluated here, never the library's output.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from hazards.curves import load_curve
from hazards.library import curve_entries, get_entry
from mecc.errors import ConfigError, CurveError

KT = 1852.0 / 3600.0


def share(name, intensity):
    return float(load_curve(name).evaluate(np.array([intensity]))[0])


# JRC residential mean damage by depth (Huizinga et al. 2017; methodology §1.8 table)
JRC_POINTS = {
    "africa": {0.5: 0.22, 1: 0.378, 2: 0.636, 4: 0.903},
    "asia": {0.5: 0.327, 1.5: 0.617, 3: 0.87, 5: 0.984},
    "europe": {0.5: 0.25, 1: 0.40, 2: 0.60, 3: 0.75},
    "north_america": {0.05: 0.202, 1: 0.583, 3: 0.854},
    "oceania": {0.5: 0.475, 2: 0.788, 4: 0.967},
    "south_america": {0.5: 0.491, 1.5: 0.842, 3: 0.984},
}

# depth at which residential damage reaches tau (methodology §1.8, "OUR CALC" table)
JRC_THRESHOLDS = {
    "africa": (0.75, 1.59, 2.35),
    "asia": (0.46, 1.23, 1.90),
    "europe": (0.67, 1.75, 2.67),
    "north_america": (0.23, 0.88, 1.58),
    "oceania": (0.32, 0.73, 1.40),
    "south_america": (0.31, 0.63, 0.98),
}


@pytest.mark.parametrize("region", sorted(JRC_POINTS))
def test_jrc_table_holds_the_published_damage(region):
    from hazards.library import _table

    table = _table("jrc_residential")
    for depth, damage in JRC_POINTS[region].items():
        k = int(np.flatnonzero(np.isclose(table["depth"], depth))[0])
        assert table[region][k] == pytest.approx(damage)


@pytest.mark.parametrize("region", sorted(JRC_THRESHOLDS))
def test_jrc_displacement_steps_sit_where_damage_reaches_tau(region):
    """IDMC GDRM v2 puts the step at np.interp(tau, mdd, intensity) on CLIMADA's JRC table
    (with its 0.05 m row); the methodology notes' table agrees except for tau 0.30 in
    Oceania and South America, where it interpolated from 0 m, not from 0.05 m."""
    from hazards.library import _table

    table = _table("jrc_residential")
    name = f"jrc_residential_{region}"
    for k, (variant, tau) in enumerate((("high", 0.3), ("central", 0.55), ("low", 0.7))):
        expected = float(np.interp(tau, table[region], table["depth"]))
        curve = load_curve(f"{name}:{variant}" if variant != "central" else name)
        assert curve.intensity[0] == pytest.approx(expected, rel=1e-12), variant
        assert curve.evaluate(np.array([expected - 0.01, expected + 0.01])).tolist() == [0.0, 1.0]
        if not (tau == 0.3 and region in {"oceania", "south_america"}):
            assert expected == pytest.approx(JRC_THRESHOLDS[region][k], abs=0.006)


def test_flood_steps_and_variants():
    assert share("flood_step_1m", 0.999) == 0.0
    assert share("flood_step_1m", 1.0) == 1.0  # exactly at the step: the upper share
    assert share("flood_step_1m:low", 1.2) == 0.0 and share("flood_step_1m:low", 1.5) == 1.0
    assert share("flood_step_1m:high", 0.5) == 1.0
    assert share("tsunami_step_0.7m", 0.69) == 0.0 and share("tsunami_step_0.7m", 0.7) == 1.0


def test_inasafe_flood_classes():
    # flood_petabencana: 0.1-0.7 m -> 0.01, 0.7-1.5 -> 0.03, >= 1.5 -> 0.05 (methodology §4.1)
    for depth, rate in (
        (0.05, 0),
        (0.1, 0.01),
        (0.5, 0.01),
        (0.7, 0.03),
        (1.49, 0.03),
        (1.5, 0.05),
        (9, 0.05),
    ):
        assert share("inasafe_flood_petabencana", depth) == rate
    assert share("inasafe_flood_wet_dry", 0.99) == 0 and share("inasafe_flood_wet_dry", 1.0) == 0.01


def test_saffir_simpson_rates_on_the_nhc_sustained_limits():
    # NHC 1-min limits 64/83/96/113/137 kt; InaSAFE SSHWS rates (methodology §4.1, §6)
    for kt, rate in (
        (63.9, 0.0),
        (64, 0.15),
        (82.9, 0.15),
        (83, 0.65),
        (96, 0.90),
        (113, 0.99),
        (137, 1.0),
    ):
        assert share("sshws_inasafe", kt * KT) == rate, kt


@pytest.mark.parametrize(("region", "v_half"), [("wp2", 52.3), ("na1", 57.7), ("ni", 42.6)])
def test_emanuel_displacement_curves(region, v_half):
    """Emanuel (2011): share = v^3 / (1 + v^3), v = max(V - 25.7, 0) / (v_half - 25.7)."""
    name = f"tc_emanuel_kam2024_{region}"
    assert share(name, 25.7) == 0.0
    assert share(name, v_half) == pytest.approx(0.5, abs=1e-12)
    for wind in (30.0, 45.5, 61.3, 80.0, 119.0):
        v = (wind - 25.7) / (v_half - 25.7)
        assert share(name, wind) == pytest.approx(v**3 / (1 + v**3), abs=2e-4)


def test_the_displacement_curves_cite_the_paper_they_come_from():
    """Kam et al. (2024), Nat Commun, doi:10.1038/s41467-024-53200-w: its authors as the
    paper lists them (a wrong author list travelled into every run's manifest)."""
    source = " ".join(get_entry("tc_emanuel_kam2024_wp2").source.split())
    assert "Kam, Ciccone, Kropf, Riedel, Fairless and Bresch (2024)" in source
    assert "doi:10.1038/s41467-024-53200-w" in source


def test_no_source_points_at_a_file_users_do_not_have():
    """Sources are printed in profiles and maps handed to officials: no developer path
    (the project's ../shared reference notes are not shipped)."""
    for name, entry in curve_entries().items():
        assert "../" not in entry.source and "shared/" not in entry.source, name


def test_emanuel_threshold_curves_and_the_implausible_wp2_calibration():
    # damage reaches tau where v^3/(1+v^3) = tau: V* = 25.7 + (v_half - 25.7)(tau/(1-tau))^(1/3)
    for region, v_half in (("na1", 66.3), ("si", 52.4)):
        for variant, tau in (("central", 0.55), ("low", 0.7), ("high", 0.3)):
            name = f"tc_emanuel_tau_{region}" + ("" if variant == "central" else f":{variant}")
            expected = 25.7 + (v_half - 25.7) * (tau / (1 - tau)) ** (1 / 3)
            assert load_curve(name).intensity[0] == pytest.approx(expected, rel=1e-12)
    assert load_curve("tc_emanuel_tau_wp2").intensity[0] > 120  # beyond any observed wind


def test_earthquake_survivors_and_fatality_models():
    assert share("eq_mmi6_survivors", 5.49) == 0.0 and share("eq_mmi6_survivors", 5.5) == 1.0
    # ITB: rate 10^(0.62275231 MMI - 8.03314466) (methodology §4.3): MMI 8 -> 8.9e-4
    itb = load_curve("eq_mmi6_survivors_itb", country="IDN")
    for mmi in (6.0, 8.0, 10.0):
        rate = 10 ** (0.62275231 * mmi - 8.03314466)
        assert float(itb.evaluate(np.array([mmi]))[0]) == pytest.approx(1 - rate, abs=1e-12)
    assert 1 - float(itb.evaluate(np.array([8.0]))[0]) == pytest.approx(8.9e-4, rel=0.01)
    # PAGER Indonesia: rate = Phi(ln(MMI / 13.249) / 0.151): MMI 9 -> 5.2e-3 (methodology §4.3)
    pager = load_curve("eq_mmi6_survivors_pager_idn", country="IDN")
    rate9 = 0.5 * (1 + math.erf(math.log(9 / 13.249) / 0.151 / math.sqrt(2)))
    assert 1 - float(pager.evaluate(np.array([9.0]))[0]) == pytest.approx(rate9, abs=1e-12)
    assert rate9 == pytest.approx(5.2e-3, rel=0.05)
    assert float(pager.evaluate(np.array([5.4]))[0]) == 0.0


def test_fatality_models_are_refused_outside_their_calibration_country():
    with pytest.raises(ConfigError, match="calibrated for IDN, not PHL"):
        load_curve("eq_mmi6_survivors_itb", country="PHL")
    # the user's own coefficients are accepted anywhere
    own = load_curve(
        {
            "survivors_step": {
                "threshold": 5.5,
                "fatality": {"model": "exponential", "a": 0.5, "b": -7},
            }
        },
        country="PHL",
    )
    assert float(own.evaluate(np.array([8.0]))[0]) == pytest.approx(
        1 - 10 ** (0.5 * 8 - 7), abs=1e-12
    )


def test_a_curve_for_another_hazard_is_refused():
    with pytest.raises(ConfigError, match="is for tropical_cyclone, not river_flood"):
        load_curve("sshws_inasafe", hazard_type="river_flood")
    with pytest.raises(ConfigError, match="no variant 'extreme'"):
        load_curve("flood_step_1m:extreme")
    with pytest.raises(ConfigError, match="damage states"):
        load_curve("flood_damage_states_jrc_asia")


def test_damage_states_are_exclusive_and_cover_the_damaged():
    entry = get_entry("flood_damage_states_jrc_europe")
    depths = np.linspace(0, 8, 801)
    for variant, (damaged, destroyed) in entry.variants.items():
        d, x = damaged.evaluate(depths), destroyed.evaluate(depths)
        assert ((d + x) <= 1).all() and ((d == 0) | (x == 0)).all(), variant
        # damaged from damage 0.1 (0.2 m in Europe: 0.05 + 0.05/0.25*0.45), destroyed from tau
        assert damaged.intensity[0] == pytest.approx(0.05 + 0.45 * 0.1 / 0.25)
    assert entry.variants["central"][1].intensity[0] == pytest.approx(1.75)


def test_every_entry_is_complete_and_variants_are_ordered():
    for name, entry in curve_entries().items():
        assert entry.source and entry.evidence in {"A", "B", "C"} and entry.hazard_types, name
        assert "central" in entry.variants
        if entry.damage_states or {"low", "high"} - set(entry.variants):
            continue
        intensities = np.linspace(0, 130, 2601)
        low, central, high = (
            entry.variants[v].evaluate(intensities) for v in ("low", "central", "high")
        )
        assert (low <= central).all() and (central <= high).all(), name


def test_curve_validation_errors():
    with pytest.raises(CurveError, match="outside"):
        load_curve({"intensity": [0, 1], "share": [0, 1.5]})
    with pytest.raises(CurveError, match="must not decrease"):
        load_curve({"intensity": [0, 2, 1], "share": [0, 0.5, 1]})
    with pytest.raises(ConfigError, match="give intensity and share, or one of"):
        load_curve({"sigmoid": {"x0": 1}})
