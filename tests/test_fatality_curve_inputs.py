"""A run file's earthquake fatality model and curve mappings are checked before a run.

An earthquake analyst's probe (Gorkha M7.8, country NPL) found:

1. Impossible coefficients ran without a word: ``b: 8.0`` for ``b: -8.0`` gave a death
   rate of 1 from MMI 4 (everyone dead, nobody displaced). A rate that does not rise with
   MMI, above 1 % / 10 % / 50 % at MMI 6 / 7 / 8 or below 1e-6 at MMI 10 is now refused:
   the published models (ITB, PAGER Indonesia, ITB Bayesian; reference/methodology.md
   §4.3) lie 200 times or more inside these bounds.
2. Misspelt keys inside a curve mapping were dropped (``fatalities:`` ran with no fatality
   model, ``minimun:`` and ``gamma:`` were ignored): every generator mapping now refuses a
   key it does not take, naming the run file and field and suggesting the near key.
3. Bad coefficients gave unclear errors (a numpy ufunc message for ``theta: '11'``, no
   file named for ``model: pager`` or ``beta: 0``): one line naming the run file and field.
4. README did not say how to give coefficients: the hazards[].curve row documents
   ``survivors_step`` with its ``fatality`` keys.

Every failure is checked through ``mecc run`` and ``mecc validate``: exit code 2, one
``error:`` line, nothing written (tests._errors.expect_error). Expected values by hand
from the models' formulas.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from affine import Affine

from hazards.curves import load_curve
from hazards.fatality import (
    FATALITY_CEILING,
    FATALITY_FLOOR,
    FATALITY_MODELS,
    ITB_BAYESIAN,
    PUBLISHED_FATALITY,
    fatality_rate,
)
from hazards.library import get_entry
from mecc.errors import ConfigError
from tests._errors import expect_error
from tests._run_inputs import write_run
from tests.conftest import write_raster

T = Affine(0.01, 0, 84.0, 0, -0.01, 28.0)
MMI = np.array([[5.0, 6.0, 7.0, 9.0]])  # MMI 5 below the 5.5 step: not displaced
PEOPLE = 10_000.0
WHERE = "run.yaml.hazards[0] (g).curve"

ITB = {"model": "exponential", "a": 0.62275231, "b": -8.03314466, "minimum": 4.0}
PAGER_IDN = {"model": "lognormal", "theta": 13.249, "beta": 0.151, "minimum": 4.0}


def _phi(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


@pytest.fixture
def quake(tmp_path):
    """pop.tif (10,000 people a cell) and an MMI grid 5, 6, 7, 9; ``run_file(curve)``
    writes run.yaml for Nepal (NPL) with one scenario hazard ``g``."""
    folder = tmp_path / "gorkha"
    folder.mkdir()
    write_raster(folder / "pop.tif", np.full(MMI.shape, PEOPLE), transform=T, nodata=-1.0)
    write_raster(folder / "mmi.tif", MMI, transform=T)

    def run_file(curve, **hazard) -> Path:
        spec = {"id": "g", "type": "earthquake", "intensity": "mmi.tif", "scenario": "G"}
        spec.update({"curve": curve, **hazard})
        data = {"country": "NPL", "population": {"path": "pop.tif"}, "hazards": [spec]}
        return write_run(folder, data)

    return folder, run_file


def _survivors(fatality) -> dict:
    return {"survivors_step": {"threshold": 5.5, "fatality": fatality}}


# ------------------------------------------------------------ 1. implausible rates


@pytest.mark.parametrize(
    ("fatality", "field", "needles"),
    [
        # the probe's sign slip: 10^(0.62 MMI + 8) is above 1 everywhere
        ({"model": "exponential", "a": 0.62, "b": 8.0}, "fatality",
         ["100 % at MMI 6", "at most 0.00505 %", "more than 1 % is refused",
          "ITB: a 0.62275231, b -8.03314466"]),
        # a rate falling with the shaking
        ({"model": "exponential", "a": -0.62, "b": -8.0}, "fatality.a",
         ["must be a number > 0, got -0.62", "would not rise"]),
        ({"model": "exponential", "a": 0.0, "b": -3.0}, "fatality.a",
         ["must be a number > 0, got 0"]),
        # fine at MMI 6 (0.1 %) and 7 (10 %), then 10^(16 - 15) -> 100 % at MMI 8
        ({"model": "exponential", "a": 2.0, "b": -15.0}, "fatality",
         ["100 % at MMI 8", "at most 0.185 %", "more than 50 % is refused"]),
        # theta 2: Phi(ln(6/2)/0.2) = 1 at MMI 6
        ({"model": "lognormal", "theta": 2.0, "beta": 0.2}, "fatality",
         ["100 % at MMI 6", "PAGER Indonesia v2.0: theta 13.249, beta 0.151"]),
        # a slipped decimal point: theta 132.49 kills nobody even at MMI 10
        ({"model": "lognormal", "theta": 132.49, "beta": 0.151}, "fatality",
         ["0 % at MMI 10", "1.6-3.1 %", "less than 0.0001 % is refused",
          "leave fatality out"]),
        # a minimum above MMI 10 leaves no deaths at MMI 10 either
        ({"model": "lognormal", "theta": 13.249, "beta": 0.151, "minimum": 10.5}, "fatality",
         ["0 % at MMI 10"]),
    ],
    ids=["sign-slip-b", "falling", "flat", "mmi8", "theta-small", "theta-large", "minimum"],
)  # fmt: skip
def test_an_implausible_fatality_model_is_refused(quake, tmp_path, cli, fatality, field, needles):
    _, run_file = quake
    line = expect_error(
        cli,
        run_file(_survivors(fatality)),
        tmp_path / "out",
        2,
        f"{WHERE}.survivors_step.{field}: ",
        *needles,
    )
    assert "run.yaml" in line


def test_the_bounds_lie_far_outside_the_published_models():
    """Rates by hand from the formulas of methodology.md §4.3: ITB, PAGER Indonesia v1.0
    and v2.0, ITB Bayesian medians; each at least 190 times inside every bound."""
    itb = {m: 10 ** (0.62275231 * m - 8.03314466) for m in (6, 7, 8, 10)}
    pager = {m: _phi(math.log(m / 13.249) / 0.151) for m in (6, 7, 8, 10)}
    pager_v1 = {m: _phi(math.log(m / 14.05) / 0.17) for m in (6, 7, 8, 10)}
    assert itb[6] == pytest.approx(5.05e-5, rel=0.01)  # methodology: 5.1e-5
    assert pager[8] == pytest.approx(4.2e-4, rel=0.01)  # methodology: 4.2e-4
    for mmi, ceiling in FATALITY_CEILING.items():
        highest = max(itb[mmi], pager[mmi], pager_v1[mmi], ITB_BAYESIAN[mmi])
        assert ceiling / highest >= 190, mmi
    for name, spec in PUBLISHED_FATALITY.items():
        for mmi in FATALITY_CEILING:
            expected = {"ITB": itb, "PAGER Indonesia v2.0": pager}.get(name, pager_v1)[mmi]
            assert float(fatality_rate(mmi, spec)) == pytest.approx(expected, rel=1e-12)
    mmi, floor = FATALITY_FLOOR
    lowest = min(itb[mmi], pager[mmi], pager_v1[mmi], ITB_BAYESIAN[mmi])
    assert lowest == pytest.approx(0.0156, rel=0.01) and lowest / floor > 10_000


# ----------------------------------------------------- 2. misspelt and stray keys


@pytest.mark.parametrize(
    ("curve", "field", "needle"),
    [
        # the probe: fatalities for fatality ran with no fatality model and no A-2
        ({"survivors_step": {"threshold": 5.5,
                             "fatalities": {"model": "lognormal", "theta": 11, "beta": 0.2}}},
         "survivors_step", "unknown key 'fatalities'; did you mean 'fatality'?"),
        (_survivors({"model": "lognormal", "theta": 11, "beta": 0.2, "minimun": 4}),
         "survivors_step.fatality", "unknown key 'minimun'; did you mean 'minimum'?"),
        (_survivors({"model": "lognormal", "theta": 11, "beta": 0.2, "gamma": 1.6}),
         "survivors_step.fatality", "unknown key 'gamma'; known keys: model, theta, beta, minimum"),
        (_survivors({"model": "lognormal", "theta": 11, "beta": 0.2, "b": -8}),
         "survivors_step.fatality",
         "'b' is a coefficient of the exponential model, not of the lognormal model"),
        ({"survivors_step": {"treshold": 5.5}},
         "survivors_step", "unknown key 'treshold'; did you mean 'threshold'?"),
        ({"survivors_step": {"threshold": 5.5, "minimum": 4}},
         "survivors_step", "unknown key 'minimum'"),
        ({"classes": {"bounds": [6, 7], "share": [0.5, 1]}},
         "classes", "unknown key 'share'; did you mean 'shares'?"),
        ({"emanuel_threshold": {"v_thresh": 25.7, "v_half": 74.7, "tua": 0.55}},
         "emanuel_threshold", "unknown key 'tua'; did you mean 'tau'?"),
        ({"survivor_step": {"threshold": 5.5}}, "", "did you mean 'survivors_step'?"),
    ],
    ids=["fatalities", "minimun", "gamma", "other-model", "treshold", "minimum-outside",
         "classes", "emanuel-threshold", "generator"],
)  # fmt: skip
def test_a_key_a_curve_mapping_does_not_take_is_refused(quake, tmp_path, cli, curve, field, needle):
    _, run_file = quake
    label = f"{WHERE}.{field}: " if field else f"{WHERE}: "
    expect_error(cli, run_file(curve), tmp_path / "out", 2, label, needle)


def test_a_misspelt_key_in_a_variant_curve_names_the_variant(quake, tmp_path, cli):
    _, run_file = quake
    high = {"survivors_step": {"threshold": 5.5, "fatalty": ITB}}
    run = run_file(_survivors(ITB), variants={"high": high})
    expect_error(
        cli,
        run,
        tmp_path / "out",
        2,
        "run.yaml.hazards[0] (g).curve variants.high.survivors_step: unknown key 'fatalty'",
        "did you mean 'fatality'?",
    )


def test_every_generator_refuses_a_stray_key_in_python_too():
    """load_curve (the Python API) refuses as the run file does, naming ``where``."""
    for spec, needle in (
        ({"emanuel": {"v_thresh": 25.7, "v_half": 74.7, "scale": 1}}, "emanuel: unknown key"),
        (
            {"classes": {"bounds": [1], "shares": [1], "bounds_units": "kt"}},
            "did you mean 'bounds_unit'",
        ),
        ({"step": {"threshold": 1}}, "step: give one number"),
        ({"survivors_step": 5.5}, "survivors_step: give a mapping with threshold"),
    ):
        with pytest.raises(ConfigError, match=needle):
            load_curve(spec, where="h.curve")


# ------------------------------------------------------------ 3. bad coefficients


@pytest.mark.parametrize(
    ("fatality", "field", "needle"),
    [
        ({"model": "lognormal", "theta": -11, "beta": 0.2}, "theta",
         "must be a number > 0, got -11"),
        ({"model": "lognormal", "theta": 11, "beta": 0}, "beta", "must be a number > 0, got 0"),
        ({"model": "lognormal", "theta": "11", "beta": 0.2}, "theta",
         "must be a number > 0, got '11' (text in quotes"),
        ({"model": "lognormal", "theta": True, "beta": 0.2}, "theta",
         "must be a number > 0, got True"),
        ({"model": "exponential", "a": 0.62, "b": ".nan"}, "b", "must be a number, got '.nan'"),
        ({"model": "exponential", "a": 0.62, "b": -8, "minimum": -1}, "minimum",
         "must be an MMI of 0 or more, got -1"),
        ({"model": "pager", "theta": 11, "beta": 0.2}, "model",
         "unknown fatality model 'pager'; use exponential (ITB"),
        ({"model": "lognormale", "theta": 11, "beta": 0.2}, "model", "did you mean 'lognormal'?"),
        ({"theta": 11, "beta": 0.2}, "model", "missing (exponential or lognormal)"),
        ({"model": "lognormal", "beta": 0.2}, "theta", "missing (required by the lognormal model)"),
        ("lognormal", "", "give a mapping {model: exponential, a, b} or"),
    ],
    ids=["theta-negative", "beta-zero", "theta-text", "theta-bool", "b-text",
         "minimum-negative", "pager", "misspelt-model", "no-model", "no-theta", "not-mapping"],
)  # fmt: skip
def test_a_bad_coefficient_names_the_run_file_and_field(
    quake, tmp_path, cli, fatality, field, needle
):
    _, run_file = quake
    label = f"{WHERE}.survivors_step.fatality" + (f".{field}: " if field else ": ")
    line = expect_error(cli, run_file(_survivors(fatality)), tmp_path / "out", 2, label, needle)
    assert "ufunc" not in line and "incomplete curve parameters" not in line


def test_a_threshold_that_is_not_a_number_names_its_field(quake, tmp_path, cli):
    _, run_file = quake
    expect_error(
        cli,
        run_file({"survivors_step": {"threshold": "six"}}),
        tmp_path / "out",
        2,
        f"{WHERE}.survivors_step.threshold: must be a number, got 'six'",
    )


# --------------------------------------------- the published coefficients still run


def _national(out: Path) -> pd.Series:
    zones = pd.read_csv(out / "zones.csv", encoding="utf-8-sig", keep_default_na=False)
    return zones[zones["level"].astype(str) == "0"].iloc[0]


def _deaths(out: Path) -> float:
    table = pd.read_csv(out / "sendai.csv", encoding="utf-8-sig", keep_default_na=False)
    rows = table[(table["indicator_code"] == "A-2") & (table["admin_level"].astype(str) == "0")]
    rows = rows[rows["breakdown"] == ""] if "breakdown" in rows else rows
    return float(rows["value_number"].iloc[0])


@pytest.mark.parametrize(
    "fatality",
    [ITB, PAGER_IDN, {"model": "lognormal", "theta": 14.05, "beta": 0.17},
     {"model": "lognormal", "theta": 11.0, "beta": 0.2},  # the probe's: 32 % at MMI 10
     {"model": "exponential", "a": 0.5, "b": -7}],
    ids=["itb", "pager-idn", "pager-idn-v1", "probe", "own"],
)  # fmt: skip
def test_published_and_plausible_coefficients_run_with_their_deaths(quake, tmp_path, cli, fatality):
    """Given in a curve mapping (the way the refusal outside Indonesia asks for), in Nepal:
    deaths (A-2) = people x rate at MMI 6, 7, 9 (MMI 5 is below the step, but the rate
    applies from its minimum, 4 where given); displaced = survivors at MMI >= 5.5."""
    _, run_file = quake
    result = cli("run", run_file(_survivors(fatality)), "--out", tmp_path / "out", "--no-map")
    assert result.exit_code == 0, result.stderr
    if fatality["model"] == "exponential":
        rate = {m: 10 ** (fatality["a"] * m + fatality["b"]) for m in (5.0, 6.0, 7.0, 9.0)}
    else:
        th, be = fatality["theta"], fatality["beta"]
        rate = {m: _phi(math.log(m / th) / be) for m in (5.0, 6.0, 7.0, 9.0)}
    displaced = PEOPLE * sum(1 - rate[m] for m in (6.0, 7.0, 9.0))
    deaths = PEOPLE * sum(rate.values())
    out = tmp_path / "out"
    assert _national(out)["displaced"] == pytest.approx(displaced, rel=1e-6)
    assert _deaths(out) == pytest.approx(deaths, rel=1e-3)


def test_the_built_in_models_keep_their_curves_in_indonesia():
    """The library's ITB and PAGER entries pass the same checks (they are built through
    them) and keep the rates of methodology.md §4.3."""
    itb = load_curve("eq_mmi6_survivors_itb", country="IDN")
    assert 1 - float(itb.evaluate(np.array([8.0]))[0]) == pytest.approx(8.9e-4, rel=0.01)
    pager = load_curve("eq_mmi6_survivors_pager_idn", country="IDN")
    assert 1 - float(pager.evaluate(np.array([10.0]))[0]) == pytest.approx(3.1e-2, rel=0.01)
    for name, published in (
        ("eq_mmi6_survivors_itb", ITB),
        ("eq_mmi6_survivors_pager_idn", PAGER_IDN),
    ):
        assert get_entry(name).parameters["central"]["survivors_step"]["fatality"] == published


def test_validate_accepts_the_built_in_coefficients_given_for_nepal(quake, cli):
    """The refusal outside Indonesia says to give the coefficients in a curve mapping:
    copying the library's own parameters into the run file passes."""
    _, run_file = quake
    refused = cli("validate", run_file("eq_mmi6_survivors_itb"))
    assert refused.exit_code == 2 and "give its coefficients in a curve mapping" in refused.stderr
    form = "{survivors_step: {threshold: 5.5, fatality: {model: exponential, a: ..., b: ...}}}"
    assert form in refused.stderr
    given = get_entry("eq_mmi6_survivors_itb").parameters["central"]
    result = cli("validate", run_file(given))
    assert result.exit_code == 0, result.stderr
    assert "survivors of a step at MMI 5.5" in result.stdout


# ------------------------------------------------------------------ 4. README


def test_the_readme_says_how_to_give_fatality_coefficients():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    (row,) = [line for line in readme.splitlines() if line.startswith("| `hazards[].curve` |")]
    assert "`{survivors_step: {threshold: MMI, fatality: {model: exponential" in row
    assert "`fatality: {model: lognormal" in row and "`minimum: MMI`" in row
    for model, keys in FATALITY_MODELS.items():
        assert f"model: {model}" in row
        for key in keys:
            assert f"{key}: " in row, key
    assert "above 1 % at MMI 6, 10 % at MMI 7 or 50 % at MMI 8" in row
    assert "below 0.0001 % at MMI 10" in row
    assert f"{100 * FATALITY_FLOOR[1]:g} %" == "0.0001 %"
    assert [f"{100 * v:g} %" for v in FATALITY_CEILING.values()] == ["1 %", "10 %", "50 %"]
