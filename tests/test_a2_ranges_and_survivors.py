"""A-2 (deaths) ranges from the curve variants' fatality models, and the survivors rule
for the people of damage states (B-3, B-4, D2, D3, B-1), worked out with numpy.

    population = 1000  2000  3000  4000     MMI (float32) = 5.0 5.8 6.2 6.7
                 5000  6000  7000  8000                     7.0 7.3 7.6 8.0
                 9000 10000 11000 12000                     8.4 8.8 9.3 9.9

Zone A = columns 0-1, zone B = columns 2-3 (nobody outside); household size 4; cohort
shares per zone (sex rows). Curve (the earthquake analyst's probe, Gorkha-like): central
``survivors_step`` at 5.5 with a lognormal fatality model (theta 11, beta 0.2); variant
low: step at 6.5, lognormal theta 10; variant high: step at 5.0 without a fatality model.
Damage states: damaged 0 -> 0.3 (5.5-6.5), 0.3 -> 0.5 (6.5-7.5), 0 from 7.5; destroyed
0 -> 0.4 -> 0.9 at 6.5, 7.5, 8.5. Displaced = population - deaths
(../shared/reference/methodology.md §4): the people of a damage state are the survivors,
population x (1 - fatality rate) x state share; dwellings count everyone who lived there.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from affine import Affine

from exposure.cohorts import STANDARD_COHORTS
from mecc.run import run_country
from tests._run_inputs import cell_box, write_run, write_zones
from tests.conftest import write_raster

TRANSFORM = Affine(0.1, 0, 10.0, 0, -0.1, 50.0)
POP = np.arange(1, 13, dtype=np.float64).reshape(3, 4) * 1000.0
MMI32 = np.array(
    [[5.0, 5.8, 6.2, 6.7], [7.0, 7.3, 7.6, 8.0], [8.4, 8.8, 9.3, 9.9]], dtype=np.float32
)
MMI = MMI32.astype(np.float64)  # the values the run reads
COLUMNS = {"A": slice(0, 2), "B": slice(2, 4), "NPL": slice(0, 4)}
SIZE = 4.0
FEMALE = {"A": 0.5, "B": 0.6}  # the cohort shares below: female share per zone
SHARES = {
    "A": [1 / 6] * 6,
    "B": [0.2, 0.2, 0.2, 0.4 / 3, 0.4 / 3, 0.4 / 3],
}
CENTRAL = {"theta": 11.0, "beta": 0.2}
LOW = {"theta": 10.0, "beta": 0.2}


def lognormal(model, step=None):
    spec = {"model": "lognormal", **model}
    return {"survivors_step": {"threshold": step, "fatality": spec}}


DAMAGE = {
    "damaged": {"intensity": [5.5, 6.5, 6.5, 7.5, 7.5], "share": [0.0, 0.3, 0.3, 0.5, 0.0]},
    "destroyed": {"intensity": [6.5, 7.5, 8.5], "share": [0.0, 0.4, 0.9]},
}


# ------------------------------------------------------------------ numpy, not mecc


def rate(model) -> np.ndarray:
    """Lognormal fatality rate Phi(ln(MMI / theta) / beta), with math.erf."""
    z = np.log(MMI / model["theta"]) / model["beta"]
    return np.array([0.5 * (1.0 + math.erf(v / math.sqrt(2.0))) for v in z.ravel()]).reshape(
        MMI.shape
    )


def damaged_share() -> np.ndarray:
    rising = np.where(MMI < 6.5, 0.3 * (MMI - 5.5), 0.3 + 0.2 * (MMI - 6.5))
    return np.where((MMI >= 5.5) & (MMI < 7.5), rising, 0.0)


def destroyed_share() -> np.ndarray:
    return np.interp(MMI, [6.5, 7.5, 8.5], [0.0, 0.4, 0.9])


def total(grid, code) -> float:
    return float(grid[:, COLUMNS[code]].sum())


def female(grid, code) -> float:
    if code == "NPL":
        return female(grid, "A") + female(grid, "B")
    return total(grid, code) * FEMALE[code]


# --------------------------------------------------------------------------- runs


def write_case(folder, curve, variants) -> None:
    write_raster(folder / "pop.tif", POP, transform=TRANSFORM)
    write_raster(folder / "mmi.tif", MMI32, transform=TRANSFORM)
    write_zones(
        folder / "zones.geojson",
        ["A", "B"],
        [cell_box(0, 0, rows=3, cols=2), cell_box(0, 2, rows=3, cols=2)],
    )
    lines = ["code," + ",".join(STANDARD_COHORTS)]
    lines += [f"{code}," + ",".join(repr(s) for s in SHARES[code]) for code in ("A", "B")]
    (folder / "census.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    data = {
        "country": "NPL",
        "name": "Gorkha-like",
        "population": {
            "path": "pop.tif",
            "kind": "count",
            "household_size": SIZE,
            "cohorts": {"path": "census.csv", "code_column": "code"},
        },
        "zones": {"path": "zones.geojson", "code_field": "code", "level": 1},
        "hazards": [
            {
                "id": "g",
                "type": "earthquake",
                "intensity": "mmi.tif",
                "scenario": "G",
                "curve": curve,
                "variants": variants,
                "damage_curve": DAMAGE,
            }
        ],
    }
    run_country(write_run(folder, data), folder / "out", with_map=False)


@pytest.fixture(scope="module")
def modelled(tmp_path_factory):
    """Central and low with fatality models, high without one."""
    folder = tmp_path_factory.mktemp("a2_modelled")
    variants = {"low": lognormal(LOW, 6.5), "high": {"survivors_step": {"threshold": 5.0}}}
    write_case(folder, lognormal(CENTRAL, 5.5), variants)
    return folder / "out"


@pytest.fixture(scope="module")
def variant_only(tmp_path_factory):
    """Central eq_mmi6_survivors (no fatality model), only the low variant has one."""
    folder = tmp_path_factory.mktemp("a2_variant_only")
    write_case(folder, "eq_mmi6_survivors", {"low": lognormal(LOW, 6.5)})
    return folder / "out"


def read(out) -> pd.DataFrame:
    return pd.read_csv(out / "sendai.csv", encoding="utf-8-sig", keep_default_na=False, dtype=str)


def row(table, code, indicator, **where) -> pd.Series:
    rows = table[
        (table["admin_code"] == code)
        & (table["indicator_code"] == indicator)
        & (table["measure"] == "scenario")
    ]
    where = {"breakdown": "", **where}
    for column, value in where.items():
        rows = rows[rows[column] == value]
    assert len(rows) == 1, (code, indicator, where, len(rows))
    return rows.iloc[0]


def value(r, column="value_number") -> float:
    return float(r[column]) if r[column] != "" else float("nan")


# ----------------------------------------------------------------------- A-2 range


def test_a2_range_spans_the_variants_with_a_fatality_model(modelled):
    table = read(modelled)
    central, low = POP * rate(CENTRAL), POP * rate(LOW)
    for code in COLUMNS:
        r = row(table, code, "A-2")
        assert value(r) == pytest.approx(total(central, code), rel=1e-3)
        expected = sorted([total(central, code), total(low, code)])
        assert value(r, "low") == pytest.approx(expected[0], rel=1e-3)
        assert value(r, "high") == pytest.approx(expected[1], rel=1e-3)
        assert r["range_kind"] == "curve variants with a fatality model (central, low)"
        # the high variant has no model: it says nothing about deaths (not 0)
        assert "high without a fatality model says nothing about deaths" in r["notes"]
        assert value(r, "low") > 0
        # A-2 of the Sendai Framework is the rate: deaths x 100,000 / population
        assert value(r, "per_100k") == pytest.approx(value(r) * 1e5 / total(POP, code), rel=1e-12)
        assert value(r, "population_denominator") == total(POP, code)
    # zones_bands.csv carries the low variant's deaths too (and none for high)
    bands = pd.read_csv(modelled / "zones_bands.csv", encoding="utf-8-sig")
    a = bands[bands["zone_code"] == "A"].iloc[0]
    assert a["fatalities_low"] == pytest.approx(total(low, "A"), rel=1e-3)
    assert "fatalities_high" not in bands.columns


def test_a2_row_when_only_a_variant_models_deaths(variant_only):
    table = read(variant_only)
    low = POP * rate(LOW)
    for code in COLUMNS:
        r = row(table, code, "A-2")
        assert r["value_number"] == "" and r["per_100k"] == ""  # not modelled, not 0
        assert value(r, "low") == pytest.approx(total(low, code), rel=1e-3)
        assert value(r, "high") == pytest.approx(total(low, code), rel=1e-3)
        assert r["range_kind"] == "curve variants with a fatality model (low)"
        assert "the central curve has no fatality model" in r["notes"]
        assert r["curve"].startswith("low: ")
        assert r["confidence"].startswith("ungraded")  # the variant's own (inline) curve
    about = pd.read_excel(variant_only / "sendai.xlsx", sheet_name="About", dtype=str)
    assert "Not included: A-2 (deaths)" not in set(about["topic"])


def test_a2_definition_says_value_is_the_count_and_per_100k_the_rate(modelled):
    sheet = pd.read_excel(modelled / "sendai.xlsx", sheet_name="Indicator definitions")
    a2 = sheet[sheet["indicator_code"] == "A-2"].iloc[0]
    # the official name (Sendai Framework Monitor: A-2 is per 100,000 population)
    assert (
        a2["indicator_name"] == "Number of deaths attributed to disasters, per 100,000 population"
    )
    assert "per_100k holds it (deaths x 100,000 / population_denominator)" in a2["definition"]
    assert "value_number the number of deaths" in a2["definition"]


# ----------------------------------------------------------------------- survivors


def test_people_of_damage_states_are_survivors(modelled):
    table = read(modelled)
    alive = 1.0 - rate(CENTRAL)  # the damage curve is central only: the central model
    damaged, destroyed = POP * damaged_share(), POP * destroyed_share()
    for code in COLUMNS:
        b3, b4 = total(damaged * alive, code), total(destroyed * alive, code)
        for indicator, expected in (("B-3", b3), ("B-4", b4), ("NPL-D2", b3), ("NPL-D3", b4)):
            assert value(row(table, code, indicator)) == pytest.approx(expected, rel=1e-3)
        assert value(row(table, code, "B-1")) == pytest.approx(b3 + b4, rel=1e-3)
        # dwellings: a destroyed house is destroyed whoever died in it
        assert value(row(table, code, "B-3a")) == pytest.approx(total(damaged, code) / SIZE)
        assert value(row(table, code, "B-4a")) == pytest.approx(total(destroyed, code) / SIZE)
        # the sex rows follow the same rule and add up to the total
        for indicator, grid in (("B-3", damaged * alive), ("B-4", destroyed * alive)):
            r = row(table, code, indicator, breakdown="sex", sex="female")
            assert value(r) == pytest.approx(female(grid, code), rel=1e-3)
    # D1 (the survivors step) and D3 remove the same deaths: the dead are in neither
    d1 = value(row(table, "NPL", "NPL-D1"))
    assert d1 == pytest.approx(total(np.where(MMI >= 5.5, POP * alive, 0.0), "NPL"), rel=1e-3)
    bands = pd.read_csv(modelled / "zones_bands.csv", encoding="utf-8-sig")
    b = bands[bands["zone_code"] == "B"].iloc[0]
    assert b["destroyed"] == pytest.approx(total(destroyed * alive, "B"), rel=1e-3)
    assert b["damaged"] == pytest.approx(total(damaged * alive, "B"), rel=1e-3)


def test_without_a_central_fatality_model_damage_states_count_everyone(variant_only):
    """The damage curve is central only and the central curve has no fatality model: it
    says nothing about deaths, so nobody is removed (the low variant's model is not
    borrowed for the central figure)."""
    table = read(variant_only)
    destroyed = POP * destroyed_share()
    for code in COLUMNS:
        assert value(row(table, code, "B-4")) == pytest.approx(total(destroyed, code))
        assert value(row(table, code, "NPL-D3")) == pytest.approx(total(destroyed, code))


def test_survivors_curve_is_the_product_of_the_two_curves():
    from hazards.curves import Curve
    from hazards.library import build_curve, fatality_curve
    from mecc.damage_tables import survivors_curve

    central = build_curve(lognormal(CENTRAL, 5.5), "c")
    deaths = fatality_curve(central)
    linear = Curve("d", (5.5, 6.5, 6.5, 7.5, 7.5), (0.0, 0.3, 0.3, 0.5, 0.0))
    step = Curve("s", (5.0, 6.0, 7.0, 8.0), (0.0, 0.2, 0.6, 1.0), kind="step")
    at = np.linspace(3.0, 12.4, 18801)  # the fatality curve stops at MMI 12.5
    at = at[np.abs(at - np.round(at * 2) / 2) > 1e-9]  # off the jumps at whole/half MMI
    z = np.log(at / CENTRAL["theta"]) / CENTRAL["beta"]
    alive = 1.0 - np.array([0.5 * (1.0 + math.erf(v / math.sqrt(2.0))) for v in z])
    shares = {
        "linear": np.select(
            [(at >= 5.5) & (at < 6.5), (at >= 6.5) & (at < 7.5)],
            [0.3 * (at - 5.5), 0.3 + 0.2 * (at - 6.5)],
            0.0,
        ),
        "step": np.select([at >= 8.0, at >= 7.0, at >= 6.0], [1.0, 0.6, 0.2], 0.0),
    }
    for name, state in (("linear", linear), ("step", step)):
        product = survivors_curve(state, deaths)
        assert product.evaluate(at) == pytest.approx(shares[name] * alive, abs=5e-5)
    # right at a jump: the upper share, as the kernels read a step
    assert survivors_curve(linear, deaths).evaluate(7.5) == 0.0
    assert survivors_curve(step, deaths).evaluate(7.0) == pytest.approx(
        0.6 * (1.0 - deaths.evaluate(7.0)), rel=1e-12
    )


def test_each_damage_variant_takes_its_namesake_fatality_model():
    """Damage variant low: the low curve's model; central: the central curve's, and
    none (everyone) when the central curve has none."""
    from hazards.curves import Curve
    from hazards.library import build_curve
    from mecc.damage_tables import extra_curves, pass_slots

    plain = build_curve({"survivors_step": {"threshold": 5.5}}, "plain")
    low = build_curve(lognormal(LOW, 6.5), "low")
    state = Curve("s", (6.0, 8.0), (0.0, 1.0))
    hazard = SimpleNamespace(
        components=None,
        curves={"central": plain, "low": low},
        variant_names=["central", "low"],
        fatality_curve=None,
        damage_curves={("destroyed", "central"): state, ("destroyed", "low"): state},
    )
    slots = pass_slots(hazard)
    assert slots["fatalities"] == {"low": 4}
    assert slots["everyone"] == {("destroyed", "central"): 2, ("destroyed", "low"): 3}
    assert slots["people"] == {("destroyed", "central"): 2, ("destroyed", "low"): 5}
    fatality, survivors = extra_curves(hazard)
    at = np.array([6.5, 7.0, 7.9])
    assert survivors.evaluate(at) == pytest.approx(
        state.evaluate(at) * (1.0 - fatality.evaluate(at)), abs=1e-4
    )
