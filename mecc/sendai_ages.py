"""Age classes of the Sendai tables: the Sendai Monitor's (and DELTA's) classes
0-14, 15-64 and 65+, and how the cohorts' own age bands map onto them."""

from __future__ import annotations

import re

import numpy as np

__all__ = ["NOT_SENDAI_AGE", "SENDAI_AGES", "STANDARD_AGES", "sendai_ages"]

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


def sendai_ages(by_age: dict) -> list:
    """Age rows ``(labels, groups, breakdown, name, note)`` of the cohorts' age bands.

    Bands outside the Sendai Monitor classes (0-14, 15-64, 65+) that nest into them (each
    inside one class, the bands of a class covering it without gap or overlap, e.g. 0-4
    + 5-14) give the classes' rows (breakdown ``age``, summed) and are kept as breakdown
    ``age_detail`` with a note; bands that do not nest stay ``age`` rows with the note.
    """
    spans = {age: _age_span(age) for age in by_age if _age_span(age)}
    classes = {  # the bands inside each class, in order
        name: sorted((a for a, s in spans.items() if first <= s[0] and s[1] <= last), key=spans.get)
        for name, first, last in SENDAI_AGES
    }
    nests = sum(len(ages) for ages in classes.values()) == len(by_age) and all(
        not ages or _covers([spans[a] for a in ages], first, last)
        for (_, first, last), ages in zip(SENDAI_AGES, classes.values(), strict=True)
    )
    if not nests:
        return [
            ({"age_group": a}, idx, "age", a, "" if a in STANDARD_AGES else NOT_SENDAI_AGE)
            for a, idx in by_age.items()
        ]
    rows, detail = [], []
    for name, ages in classes.items():
        if ages:
            rows.append(
                ({"age_group": name}, [i for a in ages for i in by_age[a]], "age", name, "")
            )
        for a in ages if ages != [name] else []:
            note = f"{NOT_SENDAI_AGE}; part of the {name} row"
            detail.append(({"age_group": a}, by_age[a], "age_detail", a, note))
    return rows + detail


def _covers(spans: list, first: int, last) -> bool:
    """Whether sorted age bands cover the years ``first`` to ``last``, no gap, no overlap."""
    joined = all(a[1] + 1 == b[0] for a, b in zip(spans[:-1], spans[1:], strict=True))
    return spans[0][0] == first and spans[-1][1] == last and joined
