"""Sendai B-1 per zone for the map's popups, from the run folder.

From a ``sendai_b1`` (or ``b1``) column of zones.csv, else from sendai.csv (read once per
run, :func:`mecc.run_folder.read_sendai_rows`): the value of each zone and the
components (B-3, B-4, B-5) it adds up, its range (:func:`sendai_b1_ranges`) and the label
of a B-1 row (:func:`b1_label`); :mod:`mecc.map_ranges` words the rest of the popups.
"""

from __future__ import annotations

__all__ = ["B1_PARTS", "b1_label", "sendai_b1", "sendai_b1_parts", "sendai_b1_ranges"]


B1_PARTS = ("B-3", "B-4", "B-5")
"""The components of Sendai B-1 a run can model (B-2, injured or ill, is not)."""


def b1_label(text, yearly: bool, parts) -> str:
    """The label of a B-1 row (escaped HTML, ``text``: the map's
    :class:`mecc.map_text.Text`): plain when it adds B-3, B-4 and B-5 (or its parts are
    not known), else naming the parts it holds and why the others are missing."""
    plain = "sendai_b1_year" if yearly else "sendai_b1"
    if not parts or set(B1_PARTS) <= set(parts):
        return text.w(plain)
    if "B-5" not in parts:
        reason = "b1_no_livelihoods"
    elif not {"B-3", "B-4"} & set(parts):
        reason = "b1_no_damage"
    else:  # one of B-3 / B-4 without the other: no reason to give
        return text.w(plain)
    reason = text.words.get(reason, reason)
    return text.w(f"{plain}_only", parts=" + ".join(parts), reason=reason)


def sendai_b1(run, hazard_id) -> dict:
    """Sendai B-1 per zone for one hazard, when the run folder has it.

    From a ``sendai_b1`` (or ``b1``) column of zones.csv, or else from sendai.csv
    (``mecc.sendai``): the rows of indicator B-1 for everyone (no breakdown) of the
    hazard's headline measure — the expected annual value for event sets and
    return-period maps (per 100,000 per year), the scenario's value for a scenario.
    """
    zones = run.zones
    for column in ("sendai_b1", "b1"):
        if column in zones.columns:
            rows = zones[(zones["hazard_id"] == hazard_id) & zones[column].notna()]
            return dict(zip(rows["zone_code"], rows[column].astype(float), strict=True))
    rows = _b1_rows(_sendai_table(run), run, hazard_id)
    if rows is None:
        return {}
    import pandas as pd

    values = pd.to_numeric(rows["per_100k"], errors="coerce")
    return dict(zip(rows["admin_code"], values, strict=True))


def sendai_b1_parts(run, hazard_id) -> dict:
    """The components each zone's Sendai B-1 adds up, from the run's sendai.csv.

    Returns
    -------
    dict
        Zone code -> the components of :data:`B1_PARTS` (in that order) that sendai.csv
        gives for the zone, hazard, measure and band of its B-1 row (everyone): B-1 is
        their sum (``mecc.sendai_rows``). Empty when sendai.csv is missing, or when
        B-1 comes from a zones.csv column (its parts are then not known).
    """
    if any(column in run.zones.columns for column in ("sendai_b1", "b1")):
        return {}
    table = _sendai_table(run)
    rows = _b1_rows(table, run, hazard_id)
    if rows is None:
        return {}
    match = ["admin_code", *(c for c in ("measure", "band") if c in table.columns)]
    keys = {tuple(row) for row in rows[match].itertuples(index=False)}
    parts: dict = {}
    for code in B1_PARTS:
        found = _b1_rows(table, run, hazard_id, code)
        for row in found[match].itertuples(index=False):
            if tuple(row) in keys:
                parts.setdefault(row[0], []).append(code)
    return {code: tuple(names) for code, names in parts.items()}


def sendai_b1_ranges(run, hazard_id) -> dict:
    """The range of each zone's Sendai B-1 per 100,000, from the run's sendai.csv.

    The ``low`` and ``high`` of the zone's B-1 row (everyone, the hazard's headline
    measure: as :func:`sendai_b1`), people, over the row's ``population_denominator``
    (x 100,000: :func:`mecc.sendai.per_100k`, as its ``per_100k`` and the district
    profiles' range), named by its ``range_kind``.

    Returns
    -------
    dict
        Zone code -> ``(low, high, kind)``, ``kind`` ``"members"`` (ensemble members'
        lowest and highest), ``"dem"`` (sea-level rise), ``"damage_curves"`` (the
        damage-state curves' variants, :func:`mecc.profile_sendai.range_curves`) or
        ``"curves"`` (curve variants); only zones whose row gives both ends and a
        positive population. Empty without sendai.csv or its ``low`` / ``high``, and when
        B-1 comes from a zones.csv column.
    """
    import numpy as np
    import pandas as pd

    from mecc.profile_sendai import range_curves, range_kind
    from mecc.sendai import per_100k

    if any(column in run.zones.columns for column in ("sendai_b1", "b1")):
        return {}
    rows = _b1_rows(_sendai_table(run), run, hazard_id)
    needed = {"low", "high", "population_denominator"}
    if rows is None or not needed <= set(rows.columns):
        return {}
    summary = (getattr(run, "summary", None) or {}).get("hazards", {}).get(hazard_id)
    curves = "damage_curves" if range_curves("B-1", summary) == "damage" else "curves"
    low, high, people = (
        pd.to_numeric(rows[c], errors="coerce").to_numpy("float64")
        for c in ("low", "high", "population_denominator")
    )
    kinds = rows["range_kind"] if "range_kind" in rows.columns else [""] * len(rows)
    out = {}
    for code, a, b, n, given in zip(rows["admin_code"], low, high, people, kinds, strict=True):
        if np.isfinite([a, b, n]).all() and n > 0:
            kind = range_kind(given)
            out[code] = (per_100k(a, n), per_100k(b, n), curves if kind == "curves" else kind)
    return out


SENDAI_COLUMNS = frozenset(
    ("admin_code", "indicator_code", "per_100k", "measure", "band", "hazard_id")
    + ("breakdown", "sex", "age_group", "disability", "income_group")
    + ("low", "high", "range_kind", "population_denominator")
)
"""The columns of sendai.csv the popups read (B-1, its parts and its range, for everyone)."""


def _sendai_table(run):
    """sendai.csv's rows of B-1 and its parts, the popups' columns, as text (None without
    one), read once per run (the popups ask for it per hazard and level) through the
    run tables' shared reader (:func:`mecc.run_folder.read_sendai_rows`: checked, and a
    copy a spreadsheet saved with ``;`` and decimal commas reads the same).
    """
    cached = getattr(run, "_sendai_rows", False)
    if cached is not False:
        return cached
    from mecc.run_folder import read_sendai_rows

    table = read_sendai_rows(run.run_dir, SENDAI_COLUMNS, ("B-1", *B1_PARTS))
    run._sendai_rows = table
    return table


def _b1_rows(table, run, hazard_id, indicator="B-1"):
    """Rows of one indicator for everyone (no breakdown) of the hazard's headline measure
    (expected annual or scenario); None when the table cannot give them."""
    if table is None or not {"admin_code", "indicator_code", "per_100k"} <= set(table.columns):
        return None
    codes = {indicator, indicator.replace("-", "")}
    rows = table[table["indicator_code"].str.upper().isin(codes)]
    if "hazard_id" in rows.columns:
        rows = rows[rows["hazard_id"] == hazard_id]
    elif len(run.hazard_ids) > 1:
        return None
    if "measure" in rows.columns:
        rows = rows[rows["measure"].isin({"expected_annual", "scenario"})]
    for column in ("breakdown", "sex", "age_group", "disability", "income_group"):
        if column in rows.columns:
            rows = rows[rows[column] == ""]
    return rows
