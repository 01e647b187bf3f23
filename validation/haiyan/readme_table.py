"""The figures table of the README section "How good are the numbers?", from evaluation.json.

    python validation/haiyan/readme_table.py validation-output/haiyan/evaluation/evaluation.json

prints the table rows; tests/test_haiyan_validation.py reruns the case and checks that
every row it prints is in README.md, so the published evidence cannot drift silently.
"""

from __future__ import annotations

import json
import sys


def _n(value) -> str:
    return f"{value:,.0f}"


def _r(value) -> str:
    return f"{value:.2f}"


def table_rows(figures: dict) -> list[str]:
    """The README's table rows (Markdown) for one evaluation."""
    national, zones = figures["national"], figures["zones"]
    people = figures["modelled_displaced_people"]
    idmc = next(c for c in figures["context"] if c["label"].startswith("IDMC"))
    rows = [
        (
            "municipalities with an observed figure (of them reported zeros)",
            f"{zones['zones']} ({zones['reported_zeros']})",
        ),
        ("totally damaged houses, observed (NDRRMC)", _n(national["observed"])),
        (
            "destroyed houses, modelled: central (low – high)",
            f"{_n(national['modelled'])} ({_n(national['modelled_low'])} – "
            f"{_n(national['modelled_high'])})",
        ),
        ("national ratio modelled / observed (central)", _r(national["ratio"])),
        (
            "observed national figure inside the low – high range",
            "yes" if national["observed_within_range"] else "no",
        ),
        (
            "observed municipalities 0 in both (left out of the three figures below)",
            f"{zones['both_zero']}",
        ),
        (
            f"Pearson correlation of log(1 + houses) over the other {zones['zones_compared']}",
            _r(zones["pearson_log1p"]),
        ),
        ("Spearman rank correlation (the same municipalities)", _r(zones["spearman"])),
        (
            "bias: median over them of (1 + modelled) / (1 + observed)",
            _r(zones["median_ratio"]),
        ),
        (
            f"hits / misses / false alarms at {_n(zones['threshold'])} houses",
            f"{zones['hits']} / {zones['misses']} / {zones['false_alarms']}",
        ),
        (
            "people displaced by housing loss, modelled: central (low – high)",
            f"{_n(people['central'])} ({_n(people['low'])} – {_n(people['high'])})",
        ),
        (
            "IDMC displacements (movements, incl. pre-emptive evacuations)",
            f"about {idmc['value_people'] / 1e6:.1f} million",
        ),
    ]
    return [f"| {a} | {b} |" for a, b in rows]


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as handle:
        print("\n".join(table_rows(json.load(handle))))
