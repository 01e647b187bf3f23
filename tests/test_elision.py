"""French elision of names filled after "de", "le", "la", "que" (profiles and training)."""

from __future__ import annotations

import pytest

from mecc.elision import elide, elide_before_placeholders
from mecc.profile_text import ProfileText


@pytest.mark.parametrize(
    ("word", "name", "expected"),
    [
        ("de", "Alvora", "d'Alvora"),
        ("de", "Eluno (nom fictif)", "d'Eluno (nom fictif)"),
        ("de", "Écully", "d'Écully"),
        ("de", "Hiveno", "d'Hiveno"),  # a mute h
        ("de", "Hongrie", "de Hongrie"),  # an aspirated h
        ("de", "Yvelines", "d'Yvelines"),
        ("de", "Corrim", "de Corrim"),
        ("le", "Istra", "l'Istra"),
        ("que", "Alvora", "qu'Alvora"),
    ],
)
def test_elide_in_french(word, name, expected):
    assert elide("fr", word, name) == expected


def test_other_languages_and_quoted_names_keep_the_word():
    assert elide("es", "de", "Alvora") == "de Alvora"
    template = "« {scenario} » de {place}; de « {place} »; {n} de {count}"
    values = {"scenario": "Aurelia", "place": "Istra", "count": 3, "n": 2}
    assert elide_before_placeholders(template, values, "fr") == (
        "« {scenario} » d'{place}; de « {place} »; {n} de {count}"
    )
    assert elide_before_placeholders(template, values, "es") == template


def test_a_french_profile_sentence_elides_the_unit_name():
    """The probe's "presque personne de Alvora" (profiles.yaml sentences filled by
    ProfileText.w): now "d'Alvora"; a consonant keeps "de"."""
    text = ProfileText("fr")
    sentence = text.w("sentence_scenario_none", scenario="Aurelia", place="Alvora")
    assert "presque personne d&#x27;Alvora privé" in sentence
    sentence = text.w("sentence_scenario_none", scenario="Aurelia", place="Corrim")
    assert "presque personne de Corrim privé" in sentence
    english = ProfileText("en").w("sentence_scenario_none", scenario="Aurelia", place="Alvora")
    assert "Alvora" in english and "d&#x27;" not in english


def test_hazard_ids_are_not_elided():
    """Ids are code, not words: "Courbe de déplacement de earthquake" keeps its "de"."""
    line = ProfileText("fr").w("curve_of", hazard="earthquake", source="x")
    assert line.startswith("Courbe de déplacement de earthquake")
