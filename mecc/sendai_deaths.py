"""The columns of an A-2 (deaths) row of the Sendai long table (``mecc.sendai_rows``).

A-2's figures are the deaths of the fatality models of a hazard's curve variants
(``survivors_step`` curves with ``fatality``; results.nc group ``sendai``, figure
``fatalities``, one per variant, NaN for a variant without a model). The rule:

- a variant without a fatality model says nothing about deaths: it has no A-2 figure,
  never 0, and is left out of the range (``notes`` name it);
- ``low`` and ``high`` are the lowest and highest deaths over the variants that have a
  model, the central one included (``range_kind`` names them), given as soon as two
  variants have a model, or one variant has a model and the central curve none;
- a row exists when any variant models deaths; when the central curve has no model its
  ``value_number`` and ``per_100k`` are blank (not known, not 0) and ``low``/``high``
  carry the variants' deaths (``notes`` say so);
- ``per_100k`` is Sendai's A-2 proper, deaths x 100,000 / population (the Sendai
  Framework Monitor's definition), ``value_number`` the number of deaths (DesInventar's
  sub-indicator A-2a, SDG series VC_DSR_MORT).
"""

from __future__ import annotations

import numpy as np

from mecc.sendai_text import CONFIDENCE

__all__ = ["DEATHS_RANGE", "deaths_columns"]

VARIANTS = ("central", "low", "high")  # the store's variant order (hazards.curves)
DEATHS_RANGE = "curve variants with a fatality model"
"""The start of an A-2 row's ``range_kind``: the variants are named after it."""


def deaths_columns(record: dict, values, columns: dict) -> dict | None:
    """The extra columns of one A-2 row, or None when no variant models deaths.

    Parameters
    ----------
    record : dict
        The hazard's record of the Sendai metadata (``variants``: every curve variant of
        the hazard, ``fatality_models``: those with a model; stores written before the
        variants' models were kept have only ``fatality_model``, the central's).
    values : ndarray
        Deaths of the area per variant (central, low, high), NaN without a model.
    columns : dict
        The fatality columns (``mecc.sendai_curves.curve_columns(record, "fatality")``).

    Returns
    -------
    dict or None
        ``curve``, ``confidence``, ``parameters``, ``notes``, and, with a range,
        ``variant_range`` (the row's ``range_kind``); ``central_unknown`` when the
        central curve has no model (the row is then kept with a blank value and
        ``low``/``high`` from one variant on: :meth:`mecc.sendai_rows.RowBuilder.emit`).
    """
    values = np.asarray(values, dtype=np.float64)
    modelled = [v for v, x in zip(VARIANTS, values, strict=False) if np.isfinite(x)]
    if not modelled:
        return None
    models = record.get("fatality_models") or {}
    existing = ["central", *[v for v in record.get("variants") or {} if v != "central"]]
    silent = [v for v in existing if v not in modelled]
    out = dict(columns)
    notes = [columns.get("notes")]
    if "central" not in modelled:
        out["central_unknown"] = True
        out["curve"] = "; ".join(
            f"{v}: {(models.get(v) or {}).get('name', '')}".rstrip(": ") for v in modelled
        )
        grades = [(models.get(v) or {}).get("evidence") for v in modelled]
        # the lowest grade of the models behind low and high ("C" the lowest; ungraded: none)
        out["confidence"] = CONFIDENCE.get(None if None in grades else max(grades))
        own = ", ".join(f"{v} {values[VARIANTS.index(v)]:,.1f}" for v in modelled)
        notes.append(
            "the central curve has no fatality model: value_number and per_100k blank "
            f"(deaths not modelled, not 0); low and high are the deaths of the variants' "
            f"models ({own})"
        )
    if len(modelled) > 1 or "central" not in modelled:  # emit's low and high: finite's
        out["variant_range"] = f"{DEATHS_RANGE} ({', '.join(modelled)})"
    silent = [v for v in silent if v != "central"]
    if silent:
        notes.append(
            f"curve variant{'s' if len(silent) > 1 else ''} {', '.join(silent)} without a "
            "fatality model say{} nothing about deaths: left out of low and high, not "
            "counted as 0".format("" if len(silent) > 1 else "s")
        )
    out["notes"] = "; ".join(n for n in notes if n)
    return out
