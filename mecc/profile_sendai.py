"""The Sendai table of a district risk profile: read from the run's sendai.csv, shown
as central values with their ranges.

Each figure of the table is a modelled central value followed by its range where
sendai.csv has one (``low`` / ``high``, ``range_kind`` saying what they span): "316
(range 180–477, curve variants)" in the page's language, and the rate per 100,000 beside
it with the same range over the same population ("274 (range 156–414)": ``low`` and
``high`` x 100,000 / ``population_denominator``, as :func:`mecc.sendai.per_100k` computes
the rate). The range stays in the figure's line, so a row stays one line high and the
A4 page keeps its room (the page shrinks its type when full). A figure that is blank
or not known is shown as before, without a range. The range's hover text says which
curves it comes from (:func:`range_curves`): the damage-state curves' variants for B-3
and B-4 (and B-1, their sum with B-5) of a hazard whose damage-state curve has variants,
the displacement curves' variants otherwise.
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np

__all__ = ["PROFILE_INDICATORS", "SendaiFigure", "range_curves", "read_sendai", "sendai_table"]

esc = html.escape

PROFILE_INDICATORS = ("A-2", "B-1", "B-3", "B-4", "B-5")
"""Sendai indicators a profile page shows (the whole table: sendai.xlsx): deaths (A-2,
where the run has a valid fatality model), B-1 and the three parts it adds up
(B-1 = B-3 + B-4 + B-5, people directly affected)."""

_EVERYONE = ("breakdown", "sex", "age_group", "disability", "income_group")  # empty: everyone
_VALUES = ("value_number", "value", "people", "count")  # the first one a file has
_RANGE = ("low", "high", "range_kind", "population_denominator")


def _finite(value) -> bool:
    return value is not None and bool(np.isfinite(value))


def range_kind(text) -> str:
    """What a row's ``low`` and ``high`` span, from sendai.csv's ``range_kind``:
    ``members`` (ensemble members' min / max), ``dem`` (sea-level rise: the DEM raised
    and lowered by 1 m) or ``curves`` (curve variants, also when the column is blank:
    ``low`` / ``high`` are curve variants unless said otherwise, DESIGN.md)."""
    text = str(text or "").strip().casefold()
    if text.startswith("ensemble member"):
        return "members"
    if "dem" in text.split():
        return "dem"
    return "curves"


def range_curves(indicator, hazard=None) -> str:
    """Which curves a row's curve-variant range comes from: ``damage`` (the variants of
    the damage-state curves: B-3 and B-4, and B-1, which adds them to B-5, a figure
    without curves) for a hazard whose ``damage_curve`` (its summary.json entry) has a
    ``low`` or ``high`` variant, else ``displacement`` (the displacement curves'
    variants; A-2: their fatality models).

    Examples
    --------
    >>> damage = {"damage_curve": {"damaged:central": "d", "damaged:low": "d:low"}}
    >>> range_curves("B-3", damage), range_curves("B-1", damage), range_curves("B-5", damage)
    ('damage', 'damage', 'displacement')
    >>> range_curves("B-3", {"damage_curve": {"damaged:central": "d"}})
    'displacement'
    """
    curves = (hazard or {}).get("damage_curve") or {}
    varied = any(str(key).rpartition(":")[2] in ("low", "high") for key in curves)
    return "damage" if varied and indicator in ("B-1", "B-3", "B-4") else "displacement"


class SendaiFigure(tuple):
    """One row of the table. Unpacks as ``(label, people, per 100,000)`` (``label``
    the ``(indicator, hazard, per year)`` of :meth:`ProfileText.sendai_label`) and
    carries its range: ``low``, ``high`` (NaN without one), ``kind``
    (:func:`range_kind`), ``curves`` (:func:`range_curves`, for a ``curves`` range) and
    ``denominator`` (the row's population for the rate)."""

    def __new__(
        cls,
        label,
        value,
        per,
        low=np.nan,
        high=np.nan,
        kind="",
        denominator=np.nan,
        curves="displacement",
    ):
        figure = super().__new__(cls, (label, value, per))
        figure.low, figure.high, figure.kind = low, high, kind
        figure.denominator, figure.curves = denominator, curves
        return figure

    @property
    def value(self) -> float:
        return self[1]

    @property
    def per(self) -> float:
        return self[2]

    def has_range(self) -> bool:
        """Whether the figure is known and sendai.csv gives both ends of its range."""
        return _finite(self.value) and _finite(self.low) and _finite(self.high)

    def per_range(self) -> tuple[float, float]:
        """The range of the rate per 100,000: ``low`` and ``high`` over the row's
        population (NaN without a range, a shown rate or a positive population)."""
        from mecc.sendai import per_100k

        if not (self.has_range() and _finite(self.per) and _finite(self.denominator)):
            return np.nan, np.nan
        if self.denominator <= 0:
            return np.nan, np.nan
        return per_100k(self.low, self.denominator), per_100k(self.high, self.denominator)


def read_sendai(path: Path, hazards=None) -> dict:
    """``{admin_code: [SendaiFigure]}`` from sendai.csv (the label's words come from
    the locale: :meth:`ProfileText.sendai_label`); ``hazards``: summary.json's
    ``hazards``, which say which curves a range comes from (:func:`range_curves`).

    The layout of ``mecc.sendai``: A-2, B-1, B-3, B-4 and B-5 (``PROFILE_INDICATORS``; the
    displacement figures are the profile's own) for everyone (empty ``breakdown`` and
    sex / age / disability / income columns), expected annual values and scenarios,
    with the hazard, whether the value is per year (expected annual) and its range
    (``low``, ``high``, ``range_kind``, ``population_denominator``). Columns a file
    lacks are not filtered on (a file without ``low`` / ``high``: no ranges); a file
    without ``admin_code`` and ``indicator_code``: {}. Read as the tables' commands
    read it (:func:`mecc.run_folder.read_sendai_rows`: a spreadsheet's ``;`` and
    decimal commas too, and the run's codes where it dropped their leading zeros), only
    the columns used.
    """
    import pandas as pd

    from mecc.run_folder import read_sendai_rows  # as the tables' commands read it

    used = ("admin_code", "indicator_code", "hazard_id", "measure", "unit", "per_100k")
    table = read_sendai_rows(path.parent, used + _EVERYONE + _VALUES + _RANGE)
    if table is None or not {"admin_code", "indicator_code"} <= set(table.columns):
        return {}
    for column in _EVERYONE:
        if column in table.columns:
            table = table[table[column] == ""]
    if "measure" in table.columns:  # mecc.sendai: the headline B-indicators fit the page
        table = table[table["measure"].isin({"expected_annual", "scenario"})]
        table = table[table["indicator_code"].isin(PROFILE_INDICATORS)]
    if "unit" in table.columns:
        table = table[table["unit"].str.startswith("people")]
    value_column = next((c for c in _VALUES if c in table.columns), None)

    def number(row, column):
        return float(pd.to_numeric(row.get(column, ""), errors="coerce")) if column else np.nan

    out: dict = {}
    for _, row in table.iterrows():
        label = (
            row["indicator_code"],
            row.get("hazard_id") or None,
            row.get("measure") == "expected_annual",
        )
        figure = SendaiFigure(
            label,
            number(row, value_column),
            number(row, "per_100k"),
            low=number(row, "low"),
            high=number(row, "high"),
            kind=range_kind(row.get("range_kind", "")),
            denominator=number(row, "population_denominator"),
            curves=range_curves(row["indicator_code"], (hazards or {}).get(label[1])),
        )
        out.setdefault(row["admin_code"], []).append(figure)
    return out


def _range(text, figure: SendaiFigure, low, high, key) -> str:
    """A figure's range after it, in its line: `` (range 180–477, curve variants)``, its
    hover text saying what it spans (for curve variants, which curves': ``data-curves``)."""
    kind = figure.kind
    shown = text.w(key, low=text.num(low), high=text.num(high), kind=text.w(f"sendai_range_{kind}"))
    title, curves = f"sendai_range_{kind}_title", ""
    if kind == "curves":
        curves = f' data-curves="{figure.curves}"'
        title = "sendai_range_damage_title" if figure.curves == "damage" else title
    return (
        f'<span class="range" data-range="{kind}"{curves} data-low="{low!r}" '
        f'data-high="{high!r}" title="{text.w(title)}">{shown}</span>'
    )


def sendai_table(figures, text) -> str:
    """The Sendai section of a page (heading and table; "" without figures): each
    figure central, then its range and what it spans; the rate with its range."""
    if not figures:
        return ""
    body = ""
    for figure in figures:
        label, value, per = figure
        people, rate = text.num(value), text.num(per)
        if figure.has_range():
            people += _range(text, figure, figure.low, figure.high, "sendai_range")
            per_low, per_high = figure.per_range()
            if _finite(per_low) and _finite(per_high):
                rate += _range(text, figure, per_low, per_high, "range")
        body += (
            f'<tr><td class="left">{text.sendai_label(*label)}</td>'
            f'<td data-figure="sendai_value" data-value="{value!r}">{people}</td>'
            f'<td data-figure="sendai_per_100k" data-value="{per!r}">{rate}</td></tr>'
        )
    return (
        f'<h2>{text.w("sendai")}</h2><table class="sendai"><thead><tr>'
        f'<th class="left">{text.w("sendai_indicator")}</th><th>{text.w("sendai_value")}</th>'
        f"<th>{text.w('sendai_per_100k')}</th></tr></thead><tbody>{body}</tbody></table>"
    )
