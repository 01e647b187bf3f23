"""Curves written in a run file are named for their shape (hazards.curves.inline_name);
maps in French and Spanish give those names in their words (mecc/locales/curves.yaml
``shapes``), the amounts as written."""

from __future__ import annotations

import pytest

from hazards.curves import _inline_curve
from mecc.map_methods import curve_name

CASES = [
    (
        {"step": 1.0},
        "m",
        "step at 1 m",
        "marche à 1 m",
        "escalón en 1 m",
    ),
    (
        {"intensity": [0, 1, 2, 3], "share": [0, 0.2, 0.6, 1]},
        "m",
        "inline curve, 4 points (0-3 m)",
        "courbe du fichier de calcul, 4 points (0-3 m)",
        "curva del archivo de cálculo, 4 puntos (0-3 m)",
    ),
    (
        {"intensity": [0.5, 2], "share": [0, 1], "kind": "step"},
        "m",
        "inline step curve, 2 points (0.5-2 m)",
        "courbe en marches du fichier de calcul, 2 points (0.5-2 m)",
        "curva escalonada del archivo de cálculo, 2 puntos (0.5-2 m)",
    ),
    (
        {"classes": {"bounds": [64, 83], "shares": [0.1, 0.5]}},
        "kt",
        "classes at 64, 83 kt",
        "classes à 64, 83 kt",
        "clases en 64, 83 kt",
    ),
    (
        {"emanuel": {"v_thresh": 25.7, "v_half": 74.7}},
        "m/s",
        "Emanuel curve (v_thresh 25.7 m/s, v_half 74.7 m/s)",
        "courbe d'Emanuel (v_thresh 25.7 m/s, v_half 74.7 m/s)",
        "curva de Emanuel (v_thresh 25.7 m/s, v_half 74.7 m/s)",
    ),
]


@pytest.mark.parametrize("spec, unit, en, fr, es", CASES)
def test_inline_curve_names_in_french_and_spanish(spec, unit, en, fr, es):
    name = _inline_curve(spec, "run.yaml.hazards[0] (h).curve", unit).name
    assert name == en
    assert curve_name(name, "en") == name
    assert curve_name(name, "fr") == fr
    assert curve_name(name, "es") == es


def test_other_names_stay_as_written():
    assert curve_name("my own curve", "fr") == "my own curve"
    assert curve_name("permanent inundation", "es") == "inundación permanente"


def test_a_fatality_curve_s_name_is_translated_with_its_curve():
    name = "survivors of a step at MMI 5.5:fatalities"  # hazards.library.fatality_curve
    assert curve_name(name, "en") == name
    assert curve_name(name, "fr") == "survivants d'une marche à MMI 5.5 : décès"
    assert curve_name(name, "es") == "sobrevivientes de un escalón en MMI 5.5: fallecimientos"
    assert curve_name("my curve:low", "fr") == "my curve:low"  # a variant's name as written
