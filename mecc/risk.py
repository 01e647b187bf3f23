"""Risk metrics from per-band displacement: AAD, exceedance curves, PMD.

All functions work on the last axis (bands) and broadcast over leading axes (zones),
as DESIGN.md states them (see also ../shared/reference/methodology.md §1.3-1.5, §3):

Event sets (each event with an annual frequency)
    ``aad = sum_e f_e * D_e`` — CLIMADA's ``aai_agg``. The exceedance curve and PMD
    follow CLIMADA's ``Impact.calc_freq_curve``: sort descending, cumulative frequency,
    return period = 1 / cumulative frequency, linear interpolation in return period.
    PMD is defined over the return periods the set supports, ``1 / sum f`` to
    ``1 / min f`` (the set's span), the same for every zone; within it the curve is
    flat beyond its top point (the set holds no larger event), outside it PMD is NaN
    (reported as null with a note), never clamped.
Return-period maps (RP_1 < ... < RP_n, p_i = 1 / RP_i)
    ``aad`` is the trapezoid over exceedance probability between the first and the last
    map, ``aad_tail = p_n * D_n``, ``aad_climada = sum_i D_i (p_i - p_(i+1))`` with
    ``p_(n+1) = 0`` (CLIMADA petals' occurrence frequencies). A protection standard P
    removes events more frequent than P (DESIGN.md). PMD is interpolated linearly in
    log T between maps and NaN outside [RP_1, RP_n].
"""

from __future__ import annotations

import math

import numpy as np

from mecc.errors import DataError

__all__ = [
    "STANDARD_RETURN_PERIODS",
    "bootstrap_event_pmd",
    "event_aad",
    "event_pmd",
    "exceedance_curve",
    "member_aad",
    "protection_beyond_maps",
    "rp_aad_climada_weights",
    "rp_aad_weights",
    "rp_metrics",
    "rp_pmd",
    "rp_tail_weights",
]

STANDARD_RETURN_PERIODS = (10, 25, 50, 100, 250)
"""Return periods at which PMD is reported (IDMC GDRM v2)."""
_BOOTSTRAP_VALUES = 4_000_000
"""Sample PMDs :func:`bootstrap_event_pmd` holds at once (32 MB): zones per chunk."""


# ----------------------------------------------------------------------- event sets


def _check_events(displaced, frequency) -> tuple[np.ndarray, np.ndarray]:
    """``displaced`` and ``frequency`` as float64 arrays, refused unless they are an event set.

    One vectorised pass over the frequencies (one per event); ``displaced`` is not
    scanned, only its shape is compared.

    Raises
    ------
    DataError
        ``frequency`` not a 1-D array of at least one event, a frequency that is not a
        finite number > 0, or a last axis of ``displaced`` of another length.
    """
    displaced = np.asarray(displaced, dtype=np.float64)
    frequency = np.asarray(frequency, dtype=np.float64)
    if frequency.ndim != 1 or frequency.size == 0:
        raise DataError(
            "frequency: give one annual frequency per event (a 1-D array of at least one "
            f"event), got shape {frequency.shape}"
        )
    if displaced.ndim == 0 or displaced.shape[-1] != frequency.size:
        raise DataError(
            f"displaced: shape {displaced.shape} does not match the {frequency.size} "
            "frequencies; its last axis holds one value per event"
        )
    valid = np.isfinite(frequency) & (frequency > 0)
    if not valid.all():
        k = int(np.flatnonzero(~valid)[0])
        raise DataError(
            f"frequency: event {k + 1} has {frequency[k]:g} events a year; each frequency "
            "must be a finite number > 0"
        )
    return displaced, frequency


def event_aad(displaced: np.ndarray, frequency: np.ndarray) -> np.ndarray:
    """Average annual displacement ``sum_e f_e * D_e`` over the last axis.

    Raises
    ------
    DataError
        A frequency that is not finite and > 0; ``displaced`` whose last axis does not
        hold one value per frequency.
    """
    displaced, frequency = _check_events(displaced, frequency)
    return displaced @ frequency


def exceedance_curve(displaced: np.ndarray, frequency: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The exceedance curve of one event set, as CLIMADA's ``calc_freq_curve``.

    Events that displace the same number are sorted rarest first (``np.lexsort``;
    CLIMADA leaves their order to its sort), so the curve, and a PMD read from it, does
    not depend on the events' order in the set: its top point lies at ``1 / f`` of the
    rarest of the events tied at the largest displacement.

    Parameters
    ----------
    displaced : ndarray, shape (n_events,)
    frequency : ndarray, shape (n_events,)

    Returns
    -------
    return_period : ndarray
        Ascending; ``1 / cumulative frequency`` of events at least as large.
    displaced : ndarray
        The displacement at each return period (ascending with it).
    """
    displaced = np.asarray(displaced, dtype=np.float64)
    frequency = np.asarray(frequency, dtype=np.float64)
    order = np.lexsort((frequency, -displaced))  # descending; ties: the rarest first
    exceedance = np.cumsum(frequency[order])
    return 1.0 / exceedance[::-1], displaced[order][::-1]


def event_pmd(
    displaced: np.ndarray, frequency: np.ndarray, return_periods=STANDARD_RETURN_PERIODS
) -> tuple[np.ndarray, tuple[float, float]]:
    """Probable maximum displacement at ``return_periods`` for each leading index.

    The range a set supports is a property of the set, not of one zone's curve: from
    ``1 / sum f`` (more frequent than every event together) to ``1 / min f`` (the set's
    span, e.g. 480 model-years for Austria). Within it the curve is CLIMADA's
    (``exceedance_curve``, ties sorted rarest first), which is flat beyond its top
    point: the set holds no event larger than its largest, so a zone whose largest
    displacement recurs every 10 years in a set spanning 500 years has that figure as
    its PMD up to 500 years. Outside the range PMD is NaN, never clamped. A zone that no
    event reaches gets 0, not null.

    Returns
    -------
    pmd : ndarray, shape (..., len(return_periods))
        NaN where a return period lies outside the supported range.
    supported : (float, float)
        Shortest and longest supported return period.

    Raises
    ------
    DataError
        No event, a frequency that is not finite and > 0 (a frequency of 0 would make
        the supported range endless), or ``displaced`` whose last axis does not hold one
        value per frequency.
    """
    displaced, frequency = _check_events(displaced, frequency)
    return _event_pmd(displaced, frequency, return_periods)


def _event_pmd(displaced: np.ndarray, frequency: np.ndarray, return_periods):
    """:func:`event_pmd` of float64 arrays already checked (the bootstrap's samples)."""
    periods = np.asarray(return_periods, dtype=np.float64)
    shortest = 1.0 / frequency.sum()
    longest = 1.0 / frequency.min()
    flat = displaced.reshape(-1, displaced.shape[-1])
    out = np.full((flat.shape[0], periods.size), np.nan)
    inside = (periods >= shortest * (1 - 1e-12)) & (periods <= longest * (1 + 1e-12))
    if np.all(frequency == frequency[0]):
        # equal frequencies: the curve's return periods do not depend on the order, so
        # every row interpolates at the same positions of its sorted values
        n = frequency.size
        rp = 1.0 / (frequency[0] * np.arange(n, 0, -1))  # ascending, as in calc_freq_curve
        position = np.interp(periods[inside], rp, np.arange(n, dtype=np.float64))
        low = np.floor(position).astype(np.int64)
        high = np.minimum(low + 1, n - 1)
        weight = position - low
        ordered = np.sort(flat, axis=1)
        out[:, inside] = ordered[:, low] * (1 - weight) + ordered[:, high] * weight
    elif flat.shape[0]:
        out[:, inside] = _curves_interp(flat, frequency, periods[inside])
    return out.reshape(*displaced.shape[:-1], periods.size), (shortest, longest)


def _curves_interp(flat: np.ndarray, frequency: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``np.interp(x, *exceedance_curve(row, frequency))`` for every row, bit for bit.

    Vectorised over rows: the order of :func:`exceedance_curve` (``np.lexsort`` of
    frequency under minus displacement) is a stable sort of minus displacement over the
    events put in ascending frequency order first (stable, so ties stay in set order); the
    cumulative frequencies are summed in the same order. ``np.interp``'s rules follow
    numpy's C code: the segment ``rp[j] <= x < rp[j + 1]`` (``fp[0]`` left of the curve,
    ``fp[-1]`` at or right of its end), ``fp[j]`` where ``x == rp[j]``, otherwise
    ``slope * (x - rp[j]) + fp[j]``, from the other end of the segment when that is NaN,
    and ``fp[j]`` when both are NaN and ``fp[j] == fp[j + 1]``.

    Returns
    -------
    ndarray, shape (n_rows, len(x))
    """
    rank = np.argsort(frequency, kind="stable")
    order = rank[np.argsort(-flat[:, rank], axis=1, kind="stable")]
    rp = 1.0 / np.cumsum(frequency[order], axis=1)[:, ::-1]
    values = np.take_along_axis(flat, order, axis=1)[:, ::-1]
    n_rows, n = values.shape
    rows = np.arange(n_rows)
    out = np.empty((n_rows, x.size))
    for k, period in enumerate(x):
        j = (rp <= period).sum(axis=1) - 1
        inner = (j >= 0) & (j < n - 1)
        jj = np.clip(j, 0, max(n - 2, 0))
        at = np.minimum(jj + 1, n - 1)
        x0, x1, y0, y1 = rp[rows, jj], rp[rows, at], values[rows, jj], values[rows, at]
        with np.errstate(all="ignore"):
            slope = (y1 - y0) / (x1 - x0)
            result = slope * (period - x0) + y0
            again = np.isnan(result)
            result[again] = slope[again] * (period - x1[again]) + y1[again]
        flat_nan = np.isnan(result) & (y0 == y1)
        result[flat_nan] = y0[flat_nan]
        result[inner & (x0 == period)] = y0[inner & (x0 == period)]
        result[j < 0] = values[j < 0, 0]
        result[j >= n - 1] = values[j >= n - 1, n - 1]
        out[:, k] = result
    return out


def member_aad(
    displaced: np.ndarray, frequency: np.ndarray, member: np.ndarray
) -> tuple[list[str], np.ndarray]:
    """AAD of each ensemble member, its frequencies rescaled to a complete set.

    Each member's frequencies are multiplied by ``sum(all f) / sum(member f)`` so the
    member alone covers the whole period (Austria: 1/480 -> 1/20 per model-year;
    DESIGN.md). With members of equal total frequency the mean of the member AADs
    equals the pooled AAD.

    Returns
    -------
    members : list of str
        Sorted member names.
    aad : ndarray, shape (..., n_members)

    Raises
    ------
    DataError
        As :func:`event_aad`; or ``member`` not one label per event.
    """
    displaced, frequency = _check_events(displaced, frequency)
    member = np.asarray(member).astype(str)
    if member.shape != frequency.shape:
        raise DataError(
            f"member: shape {member.shape} does not match the {frequency.size} frequencies; "
            "give one member label per event"
        )
    names = sorted(set(member.tolist()))
    total = frequency.sum()
    out = np.empty((*displaced.shape[:-1], len(names)))
    for k, name in enumerate(names):
        mask = member == name
        rescaled = frequency[mask] * (total / frequency[mask].sum())
        out[..., k] = displaced[..., mask] @ rescaled
    return names, out


def bootstrap_event_pmd(
    displaced: np.ndarray,
    frequency: np.ndarray,
    member: np.ndarray | None = None,
    return_periods=STANDARD_RETURN_PERIODS,
    samples: int = 500,
    seed: int = 0,
    quantiles=(0.05, 0.95),
) -> np.ndarray:
    """A bootstrap interval of event-set PMD: resample members (or single events).

    With members, each sample draws as many members as the set has, with replacement,
    and pools their events (frequencies unchanged: with members of equal spans every
    sample spans the same period; with unequal spans a sample's span, ``1 / min f`` of
    the events drawn, differs, and it may not reach a return period); without, it draws
    events. Each sample's PMD is ``event_pmd``'s over the sample's span. The interval is
    the ``quantiles`` of the sample PMDs, NaN where PMD is undefined in any sample. A
    fixed ``seed`` makes reruns identical.

    Returns
    -------
    ndarray, shape (len(quantiles), ..., len(return_periods))

    Raises
    ------
    DataError
        As :func:`member_aad` (``member`` is optional).
    """
    displaced, frequency = _check_events(displaced, frequency)
    rng = np.random.default_rng(seed)
    if member is not None:
        labels = np.asarray(member).astype(str)
        if labels.shape != frequency.shape:
            raise DataError(
                f"member: shape {labels.shape} does not match the {frequency.size} "
                "frequencies; give one member label per event"
            )
        names, groups = np.unique(labels, return_inverse=True)
        members = [np.flatnonzero(groups == k) for k in range(names.size)]
        draws = [
            np.concatenate([members[k] for k in rng.integers(0, names.size, names.size)])
            for _ in range(samples)
        ]
    else:
        draws = [rng.integers(0, frequency.size, frequency.size) for _ in range(samples)]
    flat = displaced.reshape(-1, displaced.shape[-1])
    n_periods = len(return_periods)
    interval = np.empty((len(quantiles), flat.shape[0], n_periods))
    # zones in chunks: all samples of a chunk at once, never zones x samples in memory
    step = max(1, _BOOTSTRAP_VALUES // max(1, samples * n_periods))
    for first in range(0, flat.shape[0], step):
        chunk = flat[first : first + step]
        results = np.empty((samples, chunk.shape[0], n_periods))
        for s, index in enumerate(draws):
            results[s], _ = _event_pmd(chunk[:, index], frequency[index], return_periods)
        with np.errstate(all="ignore"):
            part = np.quantile(results, quantiles, axis=0)
        # a return period undefined in any sample stays undefined
        part[:, np.isnan(results).any(axis=0)] = np.nan
        interval[:, first : first + step] = part
    return interval.reshape(len(quantiles), *displaced.shape[:-1], n_periods)


# ---------------------------------------------------------------- return-period maps


def _check_periods(return_periods, protection_rp=None) -> np.ndarray:
    """The maps' return periods as float64, and the protection standard, checked.

    Raises
    ------
    DataError
        Return periods that are not finite, increasing and >= 1 year; a protection
        standard (when given) that is not a finite return period >= 1 year.
    """
    rp = np.asarray(return_periods, dtype=np.float64)
    if (
        rp.ndim != 1
        or rp.size < 1
        or not np.isfinite(rp).all()
        or (np.diff(rp) <= 0).any()
        or rp[0] < 1
    ):
        shown = ", ".join(f"{v:g}" for v in rp.ravel()[:6])
        raise DataError(f"return_periods: must be finite, increasing and >= 1 year, got [{shown}]")
    if protection_rp is not None:
        try:
            years = float(protection_rp)
        except (TypeError, ValueError):
            years = math.nan
        if not (math.isfinite(years) and years >= 1):
            raise DataError(
                "protection_rp: must be a return period >= 1 year (or None: no "
                f"protection), got {protection_rp!r}"
            )
    return rp


def protection_beyond_maps(return_periods, protection) -> str | None:
    """Why a protection standard at or above the largest map hides every flood, or None.

    A standard P at or above the largest mapped return period RP_n protects against every
    map (DESIGN.md: if P >= RP_n, ``aad`` = 0): the floods that get past it are rarer
    than any map, so they are not modelled (``aad_tail`` alone estimates them, at the
    largest map's displacement). Such a standard is usually a typo (5000 for 500) or maps
    that stop short (a 1000-year standard, maps up to 500 years).

    Parameters
    ----------
    return_periods : array-like of float
        The maps' return periods (years).
    protection : float, mapping or None
        One standard (years), or a mapping unit code -> standard (years; None: none).

    Returns
    -------
    str or None
        The message (without the name of the field it is about), or None when no
        standard reaches the largest map.
    """
    if protection is None:
        return None
    largest = float(np.max(np.asarray(return_periods, dtype=np.float64)))
    rarer = (
        "floods rarer than the largest map, the only ones that get past the protection, are "
        "not modelled (aad_tail alone estimates them, at the largest map's displacement); "
        "check the standard, or add maps of rarer floods"
    )
    if not isinstance(protection, dict):
        years = float(protection)
        if years < largest:
            return None
        zeros = (
            "every map is protected, so every figure of this hazard is 0 (AAD, PMD, each map's)"
            if years > largest
            else f"every map but the {largest:g}-year one is protected, so its AAD and every "
            f"figure below {largest:g} years are 0"
        )
        return (
            f"the protection standard ({years:g} years) is at or above the largest mapped "
            f"return period ({largest:g} years): {zeros} and {rarer}"
        )
    codes = [str(c) for c, p in protection.items() if p is not None and float(p) >= largest]
    if not codes:
        return None
    first = ", ".join(codes[:5]) + (", ..." if len(codes) > 5 else "")
    return (
        f"{len(codes)} zone(s) ({first}) have a protection standard at or above the largest "
        f"mapped return period ({largest:g} years): their AAD is 0, so is every figure of a "
        f"map below their standard, and {rarer}"
    )


def _log_position(rp: np.ndarray, period: float) -> tuple[int, float]:
    """Index k and weight t with period between rp[k] and rp[k+1] in log T."""
    k = int(np.searchsorted(rp, period, side="right") - 1)
    k = min(max(k, 0), rp.size - 2)
    t = (math.log(period) - math.log(rp[k])) / (math.log(rp[k + 1]) - math.log(rp[k]))
    return k, t


def rp_aad_weights(return_periods, protection_rp: float | None = None) -> np.ndarray:
    """Weights ``w`` with ``aad = D @ w`` for the trapezoid rule over the maps.

    Without protection (or ``P <= RP_1``):
    ``aad = sum_i (p_i - p_(i+1)) (D_i + D_(i+1)) / 2`` for i < n. With
    ``RP_1 < P < RP_n`` the integral starts at ``1/P`` with ``D(P)`` interpolated in
    log T between the maps around P; with ``P >= RP_n`` it is 0.

    Raises
    ------
    DataError
        Return periods that are not finite, increasing and >= 1 year; a protection
        standard that is not a return period >= 1 year (NaN is not "no protection").
    """
    rp = _check_periods(return_periods, protection_rp)
    n = rp.size
    weights = np.zeros(n)
    if n == 1:
        return weights
    # integration points: (exceedance probability, weight vector over the maps)
    points = []
    start = 1.0 if protection_rp is None else float(protection_rp)
    if start >= rp[-1]:
        return weights
    if start > rp[0]:
        k, t = _log_position(rp, start)
        vector = np.zeros(n)
        vector[k] = 1.0 - t
        vector[k + 1] = t
        points.append((1.0 / start, vector))
        first = k + 1
    else:
        first = 0
    for i in range(first, n):
        vector = np.zeros(n)
        vector[i] = 1.0
        points.append((1.0 / rp[i], vector))
    for (p0, v0), (p1, v1) in zip(points[:-1], points[1:], strict=True):
        weights += (p0 - p1) * (v0 + v1) / 2.0
    return weights


def rp_tail_weights(return_periods, protection_rp: float | None = None) -> np.ndarray:
    """Weights of ``aad_tail = min(p_n, 1/P) * D_n`` (events rarer than the last map).

    Raises
    ------
    DataError
        Return periods that are not finite, increasing and >= 1 year; a protection
        standard that is not a return period >= 1 year (NaN is not "no protection").
    """
    rp = _check_periods(return_periods, protection_rp)
    weights = np.zeros(rp.size)
    p_last = 1.0 / rp[-1]
    if protection_rp is not None:
        p_last = min(p_last, 1.0 / float(protection_rp))
    weights[-1] = p_last
    return weights


def rp_aad_climada_weights(return_periods, protection_rp: float | None = None) -> np.ndarray:
    """Weights of ``aad_climada = sum_i D_i (p_i - p_(i+1))``, ``p_(n+1) = 0``.

    CLIMADA petals gives each map the occurrence frequency ``1/RP_i - 1/RP_(i+1)``
    (``coastal_flood.py``, ``river_flood.py``); with a protection standard P, maps with
    ``RP_i < P`` displace nobody, as CLIMADA's flood protection zeroes them.

    Raises
    ------
    DataError
        Return periods that are not finite, increasing and >= 1 year; a protection
        standard that is not a return period >= 1 year (NaN is not "no protection").
    """
    rp = _check_periods(return_periods, protection_rp)
    p = 1.0 / rp
    weights = p - np.append(p[1:], 0.0)
    if protection_rp is not None:
        weights[rp < float(protection_rp)] = 0.0
    return weights


def rp_pmd(
    displaced: np.ndarray,
    return_periods,
    periods=STANDARD_RETURN_PERIODS,
    protection_rp: float | None = None,
) -> np.ndarray:
    """Displacement in the T-year maps, interpolated linearly in log T.

    NaN outside ``[RP_1, RP_n]``; 0 for ``T < P`` when a protection standard P holds
    the T-year event back.

    Raises
    ------
    DataError
        Return periods that are not finite, increasing and >= 1 year; a protection
        standard that is not a return period >= 1 year; ``displaced`` whose last axis
        does not hold one map per return period.
    """
    rp = _check_periods(return_periods, protection_rp)
    displaced = np.asarray(displaced, dtype=np.float64)
    if displaced.ndim == 0 or displaced.shape[-1] != rp.size:
        raise DataError(
            f"displaced: shape {displaced.shape} does not match the {rp.size} return "
            "periods; its last axis holds one value per map"
        )
    out = np.full((*displaced.shape[:-1], len(periods)), np.nan)
    for j, period in enumerate(periods):
        period = float(period)
        if period < rp[0] * (1 - 1e-12) or period > rp[-1] * (1 + 1e-12):
            continue
        if protection_rp is not None and period < float(protection_rp):
            out[..., j] = 0.0
            continue
        if rp.size == 1:
            out[..., j] = displaced[..., 0]
            continue
        k, t = _log_position(rp, min(max(period, rp[0]), rp[-1]))
        out[..., j] = (1.0 - t) * displaced[..., k] + t * displaced[..., k + 1]
    return out


def rp_metrics(displaced, return_periods, protection, periods):
    """AAD (three integrations) and PMD of return-period maps, per row, each row with its
    own protection standard.

    Parameters
    ----------
    displaced : ndarray, shape (n, ..., n_maps)
        Displaced people per map, the maps in increasing return period.
    return_periods : ndarray of float, shape (n_maps,)
    protection : sequence of (float or None), length n
        Each row's protection standard (years; None: none).
    periods : sequence of float
        The PMD return periods.

    Returns
    -------
    (dict, ndarray)
        ``{"aad": ..., "aad_tail": ..., "aad_climada": ...}`` (:func:`rp_aad_weights`,
        :func:`rp_tail_weights`, :func:`rp_aad_climada_weights`), each of shape
        ``displaced.shape[:-1]``, and the PMD (:func:`rp_pmd`) of shape
        ``(*displaced.shape[:-1], len(periods))``.
    """
    displaced = np.asarray(displaced, dtype=np.float64)
    shape = displaced.shape[:-1]
    out = {name: np.zeros(shape) for name in ("aad", "aad_tail", "aad_climada")}
    pmd = np.zeros((*shape, len(periods)))
    for p in set(protection):
        rows = np.array([k for k, q in enumerate(protection) if q == p])
        d = displaced[rows]
        out["aad"][rows] = d @ rp_aad_weights(return_periods, p)
        out["aad_tail"][rows] = d @ rp_tail_weights(return_periods, p)
        out["aad_climada"][rows] = d @ rp_aad_climada_weights(return_periods, p)
        pmd[rows] = rp_pmd(d, return_periods, periods, p)
    return out, pmd
