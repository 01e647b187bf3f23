"""Per-zone agreement statistics of ``mecc evaluate`` (modelled against observed).

Zones that are 0 in both the observed file and the model are counted and reported, but
left out of the correlations and of the median ratio: with many of them, their tied pairs
and their ratio of exactly 1 would make any model look perfect. They still count in the
hit / miss / false-alarm table, as correct negatives: the threshold is above 0 (a zone is
an event at or above it; at 0 every zone would be an event on both sides, every zone a hit
and any model perfect).
"""

from __future__ import annotations

import math
from numbers import Real

import numpy as np
import pandas as pd

__all__ = ["RATIO_DEFINITION", "compare", "pearson", "spearman"]

RATIO_DEFINITION = "(1 + modelled) / (1 + observed) per zone"
"""What the per-zone ratio of the median ratio is (1 is added so that zeros can be used)."""


def pearson(x, y) -> float:
    """Pearson correlation; NaN with fewer than 3 pairs or no spread."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.size < 3:
        return math.nan
    dx, dy = x - x.mean(), y - y.mean()
    denominator = math.sqrt(float(dx @ dx) * float(dy @ dy))
    if denominator == 0:
        return math.nan
    return float(dx @ dy) / denominator


def spearman(x, y) -> float:
    """Spearman rank correlation: Pearson of the ranks, ties given their average rank."""
    rank_x = pd.Series(np.asarray(x, dtype=np.float64)).rank(method="average").to_numpy()
    rank_y = pd.Series(np.asarray(y, dtype=np.float64)).rank(method="average").to_numpy()
    return pearson(rank_x, rank_y)


def compare(observed, modelled, threshold: float) -> dict:
    """Per-zone agreement of two aligned arrays (observed zones only).

    Parameters
    ----------
    observed, modelled : array-like
        One value per observed zone, in the same order.
    threshold : float
        Hit / miss / false-alarm threshold, above 0 (an event is a value at or above it).

    Returns
    -------
    dict
        ``zones`` (observed zones), ``reported_zeros``, ``both_zero`` (zones that are 0 in
        both), ``zones_compared`` (the others: the zones of the correlations and of the
        median ratio), ``observed_sum``, ``modelled_sum``, ``pearson_log1p``,
        ``spearman``, ``median_ratio`` (median over the compared zones of
        (1 + m) / (1 + o)), ``ratio_definition``, ``threshold``, ``hits``, ``misses``,
        ``false_alarms``, ``correct_negatives`` (zones that are 0 in both included),
        ``probability_of_detection``, ``false_alarm_ratio`` and
        ``critical_success_index`` (NaN where undefined).

    Raises
    ------
    ValueError
        A threshold that is not a number above 0, or arrays of different lengths.
    """
    if not (isinstance(threshold, Real) and math.isfinite(threshold) and threshold > 0):
        raise ValueError(f"threshold must be a number above 0, got {threshold!r}")
    o = np.asarray(observed, dtype=np.float64)
    m = np.asarray(modelled, dtype=np.float64)
    if o.shape != m.shape:
        raise ValueError("observed and modelled must have the same length")
    above_o, above_m = o >= threshold, m >= threshold
    hits = int((above_o & above_m).sum())
    misses = int((above_o & ~above_m).sum())
    false_alarms = int((~above_o & above_m).sum())
    correct_negatives = int((~above_o & ~above_m).sum())
    both_zero = (o == 0) & (m == 0)
    oc, mc = o[~both_zero], m[~both_zero]

    def ratio(a, b):
        return a / b if b else math.nan

    return {
        "zones": int(o.size),
        "reported_zeros": int((o == 0).sum()),
        "both_zero": int(both_zero.sum()),
        "zones_compared": int(oc.size),
        "observed_sum": float(o.sum()),
        "modelled_sum": float(m.sum()),
        "pearson_log1p": pearson(np.log1p(oc), np.log1p(mc)),
        "spearman": spearman(oc, mc),
        "median_ratio": float(np.median((1.0 + mc) / (1.0 + oc))) if oc.size else math.nan,
        "ratio_definition": RATIO_DEFINITION,
        "threshold": float(threshold),
        "hits": hits,
        "misses": misses,
        "false_alarms": false_alarms,
        "correct_negatives": correct_negatives,
        "probability_of_detection": ratio(hits, hits + misses),
        "false_alarm_ratio": ratio(false_alarms, hits + false_alarms),
        "critical_success_index": ratio(hits, hits + misses + false_alarms),
    }
