"""Notes of the rows of the Sendai long table (:mod:`mecc.sendai_rows`): why a rate is
above 100,000 per 100,000 (:func:`rate_cause`), and joining notes."""

from __future__ import annotations

from mecc.sendai_areas import Area, grid_above, rate_note

__all__ = ["join", "noted", "rate_cause"]


def rate_cause(area: Area, measure: str, overlap: bool, denominator: float) -> str:
    """The note of a row of ``area`` and ``measure`` whose per-100,000 rate exceeds
    100,000 (kept, never capped), naming every cause the row has: the area's people on
    the grid above its official denominator (beyond float sums' noise,
    :func:`mecc.sendai_areas.grid_above`; the two counts differ,
    :func:`mecc.sendai_areas.rate_note`); the row's own causes of counting people more
    than once: a B-1 adding B-5 to B-3 and B-4, which it overlaps (``overlap``), an
    expected annual value adding up events. A single scenario, map or event figure of
    another indicator counts each person once at most (``denominator``: the row's, a
    group's own)."""
    causes = ["B-5 overlaps B-3 and B-4"] if overlap else []
    if measure == "expected_annual":
        causes.append("an expected annual value adds up events, counting people in each")
    twice = f"the figure counts some people more than once ({'; '.join(causes)})"
    if grid_above(area):
        return rate_note(area) + (f"; {twice}" if causes else "")
    head = "per_100k above 100,000 (not capped): "
    if causes:
        return head + twice
    return head + f"the figure exceeds the population of the denominator ({denominator:,.0f})"


def join(*texts) -> str:
    return "; ".join(t for t in texts if t)


def noted(columns: dict, notes) -> dict:
    """``columns`` with the row's ``notes`` (they replace the measure's in :meth:`emit`)."""
    return {**columns, "notes": notes} if notes else columns
