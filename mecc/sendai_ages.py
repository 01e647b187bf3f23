"""Age classes of the Sendai tables: the Sendai Monitor's (and DELTA's) classes
0-14, 15-64 and 65+, and how the cohorts' own age bands map onto them.

Each class is built on its own (:func:`sendai_ages`): from the cohorts' band of that
name, else from the bands inside it when they cover it exactly (0-4 + 5-14 = 0-14). Rows
of breakdown ``age`` are Sendai classes only; every other band of the cohorts is an
``age_detail`` row with a note, so a filter on ``breakdown == "age"`` gives what the
Sendai Monitor accepts. Classes the bands cannot form (15-64 and 65+ from 15-59 and
60+) are named in the rows' notes and in a run warning (:func:`missing_message`).
"""

from __future__ import annotations

import re

import numpy as np

__all__ = [
    "NOT_SENDAI_AGE",
    "SENDAI_AGES",
    "STANDARD_AGES",
    "missing_classes",
    "missing_message",
    "sendai_ages",
]

SENDAI_AGES = (("0-14", 0, 14), ("15-64", 15, 64), ("65+", 65, np.inf))
"""The Sendai Monitor's (and DELTA's) age classes: name, first and last year."""
STANDARD_AGES = tuple(name for name, _, _ in SENDAI_AGES)
NOT_SENDAI_AGE = "age band of the cohorts, not a Sendai Monitor class (0-14, 15-64, 65+)"


def _age_span(label: str):
    """``(first, last)`` year of an age band ``a-b`` or ``a+`` (last inf), else None."""
    closed, open_ended = re.fullmatch(r"(\d+)-(\d+)", label), re.fullmatch(r"(\d+)\+", label)
    if closed and int(closed[1]) <= int(closed[2]):
        return int(closed[1]), int(closed[2])
    return (int(open_ended[1]), np.inf) if open_ended else None


def _classes(ages) -> dict:
    """Sendai class -> the cohorts' bands it is made of (one band: the class itself;
    several: bands inside it covering it without gap or overlap), or None when the bands
    cannot form it."""
    spans = {age: _age_span(age) for age in ages if _age_span(age)}
    out = {}
    for name, first, last in SENDAI_AGES:
        inside = sorted(
            (a for a, s in spans.items() if first <= s[0] and s[1] <= last), key=spans.get
        )
        if name in spans:
            out[name] = [name]  # the cohorts give the class itself
        elif inside and _covers([spans[a] for a in inside], first, last):
            out[name] = inside
        else:
            out[name] = None
    return out


def missing_classes(ages) -> list:
    """The Sendai classes (in order) that the age bands ``ages`` cannot form; ``[]`` when
    there are no bands."""
    ages = list(ages)
    if not ages:
        return []
    formed = _classes(ages)
    return [name for name in STANDARD_AGES if formed[name] is None]


def missing_message(ages) -> str:
    """The run warning naming the Sendai classes the cohorts' bands ``ages`` cannot form,
    ``""`` when they form all three."""
    missing = missing_classes(ages)
    if not missing:
        return ""
    formed = _classes(ages)
    built = [
        name + (f" (= {' + '.join(formed[name])})" if formed[name] != [name] else "")
        for name in STANDARD_AGES
        if formed[name] is not None
    ]
    gives = f"gives {', '.join(built)} under breakdown age and " if built else "gives "
    return (
        f"population.cohorts: the cohorts' age bands ({', '.join(ages)}) do not form the "
        f"Sendai Monitor age class(es) {', '.join(missing)}: sendai.csv {gives}the cohorts' "
        "bands under breakdown age_detail, so its age rows do not add up to the total; for "
        "every class give bands that split at 15 and 65 (e.g. 0_4, 5_14, 15_59, 60_64, "
        "65_plus)"
    )


def sendai_ages(by_age: dict) -> list:
    """Age rows ``(labels, groups, breakdown, name, note)`` of the cohorts' age bands.

    Each Sendai Monitor class (0-14, 15-64, 65+) the bands form is an ``age`` row: the
    band of that name, else the sum of the bands inside it when they cover it without
    gap or overlap (e.g. 0-4 + 5-14, noted). Every other band is an ``age_detail`` row
    noted as not a Sendai class: the bands summed into a class (``part of the <class>
    row``) and the bands that form no class (straddling two, e.g. 60+, or leaving a gap,
    or not an age band), whose note and the ``age`` rows' name the classes not formed
    (:func:`missing_classes`; the run warns with :func:`missing_message`).
    """
    formed = _classes(by_age)
    missing = [name for name in STANDARD_AGES if formed[name] is None]
    gap = f"the cohorts' age bands do not form {', '.join(missing)}" if missing else ""
    rows, used = [], set()
    for name in STANDARD_AGES:
        ages = formed[name]
        if ages is None:
            continue
        summed = f"sum of the cohorts' age bands {' + '.join(ages)}" if ages != [name] else ""
        partial = (
            f"{gap} (see the age_detail rows): age rows do not add up to the total" if gap else ""
        )
        note = "; ".join(filter(None, [summed, partial]))
        rows.append(({"age_group": name}, [i for a in ages for i in by_age[a]], "age", name, note))
        used.update(ages)
    detail = []
    for a, idx in by_age.items():
        if a in STANDARD_AGES and formed[a] == [a]:
            continue
        into = next((n for n in STANDARD_AGES if a in (formed[n] or []) and n != a), None)
        note = f"{NOT_SENDAI_AGE}; part of the {into} row" if into else NOT_SENDAI_AGE
        if a not in used and gap:
            note = f"{note}; {gap}"
        detail.append(({"age_group": a}, idx, "age_detail", a, note))
    return rows + detail


def _covers(spans: list, first: int, last) -> bool:
    """Whether sorted age bands cover the years ``first`` to ``last``, no gap, no overlap."""
    joined = all(a[1] + 1 == b[0] for a, b in zip(spans[:-1], spans[1:], strict=True))
    return spans[0][0] == first and spans[-1][1] == last and joined
