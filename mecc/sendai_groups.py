"""Groups of people of the Sendai long table (``mecc.sendai_rows``) and their labels.

The Sendai Framework Monitor disaggregates by sex, age (0-14, 15-64, 65+), disability
(people with a pre-event disability) and income (people below the national poverty
line) (../shared/reference/sendai_training.md §3). The run's cohorts (``<sex>_<age>``)
give the sex and age rows; its attributes (``population.attributes``, any name the user
chose) give a row each. An attribute carries a Sendai label only when its name means
exactly that group: it is one of :data:`DISABILITY_NAMES` or :data:`POVERTY_NAMES`
(English, French and Spanish, compared without case, accents, spaces or hyphens). Any
other name, negations and other groups included (``no_disability``, ``high_income``,
``non_poor``), keeps its own name in ``group``, leaves ``disability`` and
``income_group`` blank and says so in the rows' notes (:func:`attribute_labels`): a
name is never matched by a part of it.
"""

from __future__ import annotations

import re
import unicodedata
import warnings

from mecc.errors import MeccWarning
from mecc.sendai_ages import missing_message, sendai_ages

__all__ = [
    "DISABILITY_NAMES",
    "POVERTY_NAMES",
    "STANDARD_SEX",
    "attribute_labels",
    "group_info",
    "names_read",
    "normalised_name",
    "warn_age_classes",
]

STANDARD_SEX = {"female": "female", "f": "female", "male": "male", "m": "male"}

DISABILITY_NAMES = frozenset(
    # English (DesInventar-Sendai's <X>_DISABLED fields too)
    (
        "disability",
        "disabilities",
        "disabled",
        "with_disability",
        "with_disabilities",
        "with_a_disability",
        "people_with_disability",
        "people_with_disabilities",
        "people_with_a_disability",
        "persons_with_disability",
        "persons_with_disabilities",
        "disabled_people",
        "disabled_persons",
        "pwd",
    )
    # French
    + (
        "handicap",
        "handicapes",
        "handicapees",
        "avec_handicap",
        "avec_un_handicap",
        "en_situation_de_handicap",
        "personnes_handicapees",
        "personnes_avec_handicap",
        "personnes_avec_un_handicap",
        "personnes_en_situation_de_handicap",
    )
    # Spanish
    + (
        "discapacidad",
        "con_discapacidad",
        "discapacitados",
        "discapacitadas",
        "personas_con_discapacidad",
    )
)
"""Attribute names (as :func:`normalised_name` gives them) of people with a disability:
the Sendai label ``disability = with_disability``."""

POVERTY_NAMES = frozenset(
    # English (DesInventar-Sendai's <X>_POOR fields too)
    (
        "poverty",
        "poor",
        "poor_people",
        "in_poverty",
        "people_in_poverty",
        "below_poverty",
        "below_poverty_line",
        "below_the_poverty_line",
        "below_national_poverty_line",
        "below_the_national_poverty_line",
        "under_poverty_line",
        "low_income",
    )
    # French
    + (
        "pauvrete",
        "pauvres",
        "personnes_pauvres",
        "en_pauvrete",
        "en_situation_de_pauvrete",
        "sous_seuil_pauvrete",
        "sous_seuil_de_pauvrete",
        "sous_le_seuil_de_pauvrete",
        "faible_revenu",
        "faibles_revenus",
        "bas_revenu",
    )
    # Spanish
    + (
        "pobreza",
        "pobres",
        "personas_pobres",
        "en_pobreza",
        "en_situacion_de_pobreza",
        "bajo_linea_de_pobreza",
        "bajo_la_linea_de_pobreza",
        "bajo_el_umbral_de_pobreza",
        "bajos_ingresos",
        "ingresos_bajos",
    )
)
"""Attribute names (as :func:`normalised_name` gives them) of people below the national
poverty line: the Sendai label ``income_group = below_poverty_line``."""

UNLABELLED = (
    "attribute {name}: its name is not read as a Sendai disaggregation class, so the "
    "disability and income_group columns are blank (the names read as people with a "
    "disability or below the poverty line, e.g. disability or poverty, are listed in "
    "sendai.xlsx About, Disaggregation)"
)
"""The note of the rows of an attribute whose name gives no Sendai label."""


def normalised_name(name: str) -> str:
    """``name`` as the vocabularies hold it: lower case, accents dropped, every run of
    characters other than letters and digits one ``_``, none at either end
    (``"Personnes handicapées"`` -> ``personnes_handicapees``)."""
    plain = unicodedata.normalize("NFKD", str(name))
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "_", plain.lower()).strip("_")


def attribute_labels(name: str) -> tuple[dict, str]:
    """The Sendai label columns of an attribute's rows and their note.

    Parameters
    ----------
    name : str
        The attribute's name in the run file (``population.attributes.columns``).

    Returns
    -------
    labels : dict
        ``{"disability": "with_disability"}`` when the name is one of
        :data:`DISABILITY_NAMES`, ``{"income_group": "below_poverty_line"}`` when one of
        :data:`POVERTY_NAMES`, else ``{}`` (both columns blank).
    note : str
        ``""`` for a labelled attribute, else why both columns are blank.
    """
    key = normalised_name(name)
    if key in DISABILITY_NAMES:
        return {"disability": "with_disability"}, ""
    if key in POVERTY_NAMES:
        return {"income_group": "below_poverty_line"}, ""
    return {}, UNLABELLED.format(name=name)


def group_info(groups) -> list:
    """``(label columns, group indices, breakdown, name, note)`` of each kind of
    disaggregated row: sex and age marginals of the cohorts (cohorts named
    ``<sex>_<age>``, else each cohort; ages as :func:`mecc.sendai_ages.sendai_ages`
    gives them), then each attribute (labels of :func:`attribute_labels`).

    Parameters
    ----------
    groups : xarray.Dataset or None
        The ``disaggregated`` group of results.nc (``group`` and ``breakdown`` per
        group); None: no groups.

    Returns
    -------
    list of tuple
    """
    if groups is None:
        return []
    names = [str(g) for g in groups["group"].values]
    kinds = [str(b) for b in groups["breakdown"].values]
    by_sex, by_age, unparsed = _cohorts(names, kinds)
    info = []
    for i, (name, kind) in enumerate(zip(names, kinds, strict=True)):
        if kind == "attribute":
            labels, note = attribute_labels(name)
            info.append((labels, [i], "attribute", name, note))
    marginals = [({"sex": s}, idx, "sex", s, "") for s, idx in by_sex.items()]
    marginals += sendai_ages(by_age)
    marginals += [({}, [i], "sex_age", names[i], "") for i in unparsed]
    return marginals + info


def _cohorts(names: list, kinds: list) -> tuple[dict, dict, list]:
    """``(by_sex, by_age, unparsed)``: the indices of the cohorts (``sex_age`` groups
    named ``<sex>_<age>``) by sex and by age band (``0_4`` -> ``0-4``, ``65_plus`` ->
    ``65+``), and those of cohorts whose name is not ``<sex>_<age>``."""
    by_sex, by_age, unparsed = {}, {}, []
    for i, (name, kind) in enumerate(zip(names, kinds, strict=True)):
        if kind == "sex_age":
            sex, _, age = name.partition("_")
            if sex.lower() in STANDARD_SEX and age:
                by_sex.setdefault(STANDARD_SEX[sex.lower()], []).append(i)
                by_age.setdefault(age.replace("_plus", "+").replace("_", "-"), []).append(i)
            else:
                unparsed.append(i)
    return by_sex, by_age, unparsed


def warn_age_classes(groups) -> str:
    """Warn (:class:`mecc.errors.MeccWarning`: the run's warnings, stderr and
    manifest.json) when the cohorts' age bands cannot form every Sendai Monitor age
    class (:func:`mecc.sendai_ages.missing_message`); returns the message (``""``: none,
    or no cohorts)."""
    if groups is None:
        return ""
    names = [str(g) for g in groups["group"].values]
    kinds = [str(b) for b in groups["breakdown"].values]
    message = missing_message(list(_cohorts(names, kinds)[1]))
    if message:
        warnings.warn(message, MeccWarning, stacklevel=3)
    return message


def names_read() -> str:
    """The names :func:`attribute_labels` reads, for the About sheet."""
    return (
        f"with_disability: {', '.join(sorted(DISABILITY_NAMES))}; below_poverty_line: "
        f"{', '.join(sorted(POVERTY_NAMES))}"
    )
