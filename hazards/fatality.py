"""Earthquake fatality models: the death rate at an MMI, and the checks a model's
coefficients pass before a run uses them.

Two models, as InaSAFE implements them (``safe/definitions/earthquake.py``;
reference/methodology.md §4.3):

- ``exponential`` (ITB, Indonesia): ``rate = 10^(a MMI + b)``;
- ``lognormal`` (USGS PAGER empirical model, Jaiswal and Wald 2010):
  ``rate = Phi(ln(MMI / theta) / beta)``;

each 0 below an optional ``minimum`` MMI and clipped to [0, 1]. A run file gives them as
``{survivors_step: {threshold: 5.5, fatality: {model: ..., ...}}}``; the built-in
library gives the Indonesian coefficients (``eq_mmi6_survivors_itb``,
``eq_mmi6_survivors_pager_idn``).
"""

from __future__ import annotations

import difflib
import math

import numpy as np

from mecc.errors import ConfigError, CurveError

__all__ = [
    "FATALITY_CEILING",
    "FATALITY_FLOOR",
    "FATALITY_MODELS",
    "ITB_BAYESIAN",
    "PUBLISHED_FATALITY",
    "check_fatality",
    "fatality_rate",
    "mapping_form",
    "refuse_unknown_keys",
]

FATALITY_MODELS = {"exponential": ("a", "b"), "lognormal": ("theta", "beta")}
"""Fatality models and their coefficients: ITB ``rate = 10^(a MMI + b)``, PAGER
``rate = Phi(ln(MMI / theta) / beta)``; both take an optional ``minimum`` MMI below which
the rate is 0."""

PUBLISHED_FATALITY = {
    "ITB": {"model": "exponential", "a": 0.62275231, "b": -8.03314466, "minimum": 4.0},
    "PAGER Indonesia v2.0": {"model": "lognormal", "theta": 13.249, "beta": 0.151},
    "PAGER Indonesia v1.0": {"model": "lognormal", "theta": 14.05, "beta": 0.17},
}
"""The published models' coefficients (InaSAFE ``safe/definitions/earthquake.py``;
reference/methodology.md §4.3), which bound what :func:`check_fatality` accepts."""

ITB_BAYESIAN = {6.0: 3.417e-5, 7.0: 3.878e-4, 8.0: 1.851e-3, 9.0: 7.873e-3, 10.0: 3.145e-2}
"""Median death rates of the ITB Bayesian model (Sengara et al.; InaSAFE v4's default)."""

FATALITY_CEILING = {6.0: 0.01, 7.0: 0.1, 8.0: 0.5}
"""The highest death rate accepted at MMI 6, 7 and 8: 200-270 times the highest of the
published models there (ITB 5.1e-5 at MMI 6, ITB Bayesian 3.9e-4 at 7 and 1.9e-3 at 8;
PAGER Indonesia is lower), so that any country's own calibration passes while a sign slip
(``b: 8`` for ``b: -8``: a rate of 1 from MMI 4) is refused."""

FATALITY_FLOOR = (10.0, 1e-6)
"""The lowest death rate accepted at MMI 10: the published models give 1.6-3.1 % there; a
model giving under one death per million people at MMI X kills nobody (a mistyped theta)."""


def fatality_rate(mmi, spec: dict) -> np.ndarray:
    """The death rate of a fatality model (checked by :func:`check_fatality`) at ``mmi``."""
    mmi = np.asarray(mmi, dtype=np.float64)
    model = spec.get("model")
    if model == "exponential":
        rate = 10.0 ** (spec["a"] * mmi + spec["b"])
    elif model == "lognormal":  # standard normal CDF of ln(MMI / theta) / beta
        with np.errstate(divide="ignore"):  # MMI 0: ln 0 = -inf, a rate of 0
            z = np.log(mmi / spec["theta"]) / spec["beta"] / math.sqrt(2.0)
        rate = 0.5 * (1.0 + np.vectorize(math.erf)(z))
    else:
        raise CurveError(
            f"fatality model {model!r}: use exponential (a, b) or lognormal (theta, beta)"
        )
    return np.where(mmi >= spec.get("minimum", 0.0), np.clip(rate, 0.0, 1.0), 0.0)


def refuse_unknown_keys(params: dict, known, where: str) -> None:
    """Refuse a key of a generator mapping not in ``known``, suggesting the closest."""
    for key in params:
        if key in known:
            continue
        close = difflib.get_close_matches(str(key), [str(k) for k in known], n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else f"; known keys: {', '.join(known)}"
        raise ConfigError(f"{where}: unknown key {key!r}{hint}")


def _coefficient(spec: dict, key: str, where: str, *, positive: bool) -> float:
    value = spec[key]
    rule = "a number > 0" if positive else "a number"
    if isinstance(value, str):
        raise ConfigError(
            f"{where}.{key}: must be {rule}, got {value!r} (text in quotes; write it without quotes)"
        )
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{where}.{key}: must be {rule}, got {value!r}")
    if positive and value <= 0:
        raise ConfigError(f"{where}.{key}: must be {rule}, got {value:g}")
    return float(value)


def check_fatality(spec, where: str) -> dict:
    """A fatality model's mapping, checked: keys, numbers and a plausible rate.

    The rate must rise with MMI (``a > 0``; a lognormal model always does), stay at or
    below :data:`FATALITY_CEILING` at MMI 6, 7 and 8, and reach :data:`FATALITY_FLOOR` at
    MMI 10; the published models (ITB, PAGER Indonesia, ITB Bayesian) lie 200 times or more
    inside these bounds.

    Parameters
    ----------
    spec : object
        ``{model: exponential, a, b[, minimum]}`` or ``{model: lognormal, theta, beta[,
        minimum]}``.
    where : str
        The field, as errors name it (``...curve.survivors_step.fatality``).

    Returns
    -------
    dict
        The model with its coefficients as floats.

    Raises
    ------
    ConfigError
        One line naming ``where`` and the key or the rule broken.
    """
    if not isinstance(spec, dict):
        raise ConfigError(
            f"{where}: give a mapping {{model: exponential, a, b}} or "
            f"{{model: lognormal, theta, beta}}, got {spec!r}"
        )
    model = spec.get("model")
    if model is None:
        raise ConfigError(f"{where}.model: missing (exponential or lognormal)")
    if model not in FATALITY_MODELS:
        close = difflib.get_close_matches(str(model), list(FATALITY_MODELS), n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise ConfigError(
            f"{where}.model: unknown fatality model {model!r}; {hint}use exponential (ITB: "
            "10^(a MMI + b)) or lognormal (PAGER: Phi(ln(MMI / theta) / beta))"
        )
    coefficients = FATALITY_MODELS[model]
    for other, keys in FATALITY_MODELS.items():
        stray = [key for key in spec if key in keys and other != model]
        if stray:
            raise ConfigError(
                f"{where}: {stray[0]!r} is a coefficient of the {other} model, not of the "
                f"{model} model (which takes {', '.join(coefficients)})"
            )
    refuse_unknown_keys(spec, ("model", *coefficients, "minimum"), where)
    for key in coefficients:
        if key not in spec:
            raise ConfigError(f"{where}.{key}: missing (required by the {model} model)")
    checked = {"model": model}
    for key in coefficients:
        checked[key] = _coefficient(spec, key, where, positive=key in ("theta", "beta"))
    if "minimum" in spec:
        checked["minimum"] = _coefficient(spec, "minimum", where, positive=False)
        if checked["minimum"] < 0:
            raise ConfigError(
                f"{where}.minimum: must be an MMI of 0 or more, got {spec['minimum']:g}"
            )
    _check_rate(checked, where)
    return checked


def _percent(rate: float) -> str:
    return f"{100.0 * rate:.3g} %"


def _check_rate(spec: dict, where: str) -> None:
    """Refuse a fatality model whose rate is implausible (see :func:`check_fatality`)."""
    name = "ITB" if spec["model"] == "exponential" else "PAGER Indonesia v2.0"
    shown = PUBLISHED_FATALITY[name]
    published = f"{name}: " + ", ".join(
        f"{key} {shown[key]}" for key in FATALITY_MODELS[spec["model"]]
    )
    if spec["model"] == "exponential" and spec["a"] <= 0:
        raise ConfigError(
            f"{where}.a: must be a number > 0, got {spec['a']:g}: the death rate 10^(a MMI + b) "
            f"would not rise with the shaking ({published})"
        )
    for mmi, ceiling in FATALITY_CEILING.items():
        rate = float(fatality_rate(mmi, spec))
        if rate > ceiling:
            highest = max(
                [float(fatality_rate(mmi, m)) for m in PUBLISHED_FATALITY.values()]
                + [ITB_BAYESIAN[mmi]]
            )
            raise ConfigError(
                f"{where}: a death rate of {_percent(rate)} at MMI {mmi:g} is implausible: the "
                f"published models give at most {_percent(highest)} there (ITB, PAGER Indonesia, "
                f"ITB Bayesian) and more than {_percent(ceiling)} is refused; check the "
                f"coefficients and their signs ({published})"
            )
    mmi, floor = FATALITY_FLOOR
    rate = float(fatality_rate(mmi, spec))
    if rate < floor:
        raise ConfigError(
            f"{where}: a death rate of {_percent(rate)} at MMI {mmi:g} is implausible: the "
            "published models give 1.6-3.1 % there (ITB, PAGER Indonesia, ITB Bayesian) and "
            f"less than {_percent(floor)} is refused; check the coefficients ({published}), or "
            "leave fatality out to count no deaths"
        )


def mapping_form(parameters: dict) -> str:
    """How a run file gives a library curve's fatality model with its own coefficients.

    Parameters
    ----------
    parameters : dict
        A library entry's generators by variant (``CurveEntry.parameters``), whose
        ``central`` is a ``survivors_step`` with a fatality model.

    Returns
    -------
    str
        ``{survivors_step: {threshold: 5.5, fatality: {model: exponential, a: ..., b: ...}}}``.
    """
    params = next(iter(parameters["central"].values()))
    model = params["fatality"]["model"]
    keys = ", ".join(f"{key}: ..." for key in FATALITY_MODELS[model])
    threshold = float(params["threshold"])
    return f"{{survivors_step: {{threshold: {threshold:g}, fatality: {{model: {model}, {keys}}}}}}}"
