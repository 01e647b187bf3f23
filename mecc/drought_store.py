"""A drought's people per severity class in results.nc, and reading them back.

A drought displaces no one: its ``displaced`` in results.nc is NaN (not applicable) and
its ``exposed`` the people in any class. :func:`drought_class_variables` adds, for a run
with a drought, the people in each class (zones.csv's ``drought_<class>``, summary.json's
``classes``) as ``exposed_by_class`` (zone x hazard x drought_class, people) with each
hazard's class bounds (``drought_class_lower`` and ``drought_class_upper``, in the
index's unit, -SPEI: the deficit, the index with its sign reversed) and where the classes
come from (``drought_class_source``); a run without a drought gets none of these.
:func:`drought_classes` reads the bounds back (the Sendai About sheet names them).
"""

from __future__ import annotations

import numpy as np

__all__ = ["MCKEE", "class_bounds", "class_source", "drought_class_variables", "drought_classes"]

MCKEE = "McKee, Doesken and Kleist (1993) classes of the SPI, read as a deficit (-SPEI)"
"""Where the default classes (``hazards.slow_onset.DROUGHT_CLASSES``) come from."""
RUN_FILE = "classes given in the run file (hazards[].classes)"

EXPOSED_BY_CLASS_ATTRS = {
    "units": "people",
    "long_name": "people in cells of each drought severity class (exposure, not displacement)",
    "comment": "a drought displaces no one (its displaced is NaN, not applicable) and its "
    "exposed counts the people in any class; this gives them per class, as zones.csv's "
    "drought_<class> columns and summary.json's classes do. A class holds the cells whose "
    "deficit (the index with its sign reversed, -SPEI) is at least drought_class_lower and "
    "below drought_class_upper (NaN: no upper bound). NaN for hazards that are not "
    "droughts, classes a drought does not have, and units without a cell (not known)",
}


def class_bounds(hazard) -> list[tuple[str, float, float]]:
    """``(name, lower, upper)`` of each severity class of a drought set, in its order
    (``upper`` NaN for the open top class), from its class curves (1 from the lower
    bound, 0 again from the upper: ``hazards.slow_onset.drought_curves``)."""
    out = []
    for name in hazard.variant_names:
        points = hazard.curves[name].intensity
        upper = float(points[2]) if len(points) > 2 else np.nan
        out.append((str(name), float(points[1]), upper))
    return out


def class_source(bounds: list) -> str:
    """:data:`MCKEE` for the default classes, else :data:`RUN_FILE`."""
    from hazards.slow_onset import DROUGHT_CLASSES

    names = [name for name, _, _ in bounds]
    lowers = [lower for _, lower, _ in bounds]
    default = names == DROUGHT_CLASSES["names"] and lowers == DROUGHT_CLASSES["bounds"]
    return MCKEE if default else RUN_FILE


def drought_class_variables(hazards: list, tables: list, n_zone: int, unknown) -> tuple:
    """results.nc's coordinates and variables of the drought classes of a run.

    Parameters
    ----------
    hazards, tables : list
        The run's hazard sets and their tables (``arrays["metrics"]["drought_<class>"]``).
    n_zone : int
        Rows of the zone dimension.
    unknown : numpy.ndarray of bool
        Units without a cell: NaN, not 0.

    Returns
    -------
    (dict, dict)
        Coordinates and data variables in :func:`mecc.tables.results_dataset`'s form
        (``(dims, values, attrs)``); both empty for a run without a drought.
    """
    bounds = {
        h: class_bounds(hazard)
        for h, hazard in enumerate(hazards)
        if getattr(hazard, "exposure_only", False)
    }
    if not bounds:
        return {}, {}
    names = list(dict.fromkeys(name for classes in bounds.values() for name, _, _ in classes))
    n_haz, n_class = len(hazards), len(names)
    people = np.full((n_zone, n_haz, n_class), np.nan)
    lower, upper = np.full((n_haz, n_class), np.nan), np.full((n_haz, n_class), np.nan)
    source = np.full(n_haz, "", dtype=object)
    for h, classes in bounds.items():
        metrics = tables[h].arrays["metrics"]
        for name, low, high in classes:
            k = names.index(name)
            people[:, h, k] = metrics[f"drought_{name}"]
            lower[h, k], upper[h, k] = low, high
        source[h] = class_source(classes)
    people[np.asarray(unknown, dtype=bool)] = np.nan
    unit = {"units": "-SPEI"}
    coords = {
        "drought_class": ("drought_class", np.asarray(names, dtype=str)),
        "drought_class_lower": (
            ("hazard", "drought_class"),
            lower,
            {**unit, "long_name": "lower bound of the drought class (deficit, included)"},
        ),
        "drought_class_upper": (
            ("hazard", "drought_class"),
            upper,
            {**unit, "long_name": "upper bound of the drought class (excluded; NaN: none)"},
        ),
        "drought_class_source": (
            ("hazard",),
            source.astype(str),
            {"long_name": "where the drought classes come from ('' for other hazards)"},
        ),
    }
    data = {
        "exposed_by_class": (("zone", "hazard", "drought_class"), people, EXPOSED_BY_CLASS_ATTRS)
    }
    return coords, data


def drought_classes(dataset) -> dict:
    """``{hazard_id: {"classes": [(name, lower, upper)], "source": text}}`` of the
    droughts of results.nc's main Dataset ({} for a run without, or a results.nc written
    before the classes were stored)."""
    if dataset is None or "drought_class_lower" not in getattr(dataset, "coords", {}):
        return {}
    names = [str(n) for n in dataset["drought_class"].values]
    out = {}
    for h, hazard_id in enumerate(str(v) for v in dataset["hazard"].values):
        source = str(dataset["drought_class_source"].values[h])
        if not source:
            continue
        lows = dataset["drought_class_lower"].values[h]
        highs = dataset["drought_class_upper"].values[h]
        classes = [
            (name, float(lows[k]), float(highs[k]))
            for k, name in enumerate(names)
            if np.isfinite(lows[k])
        ]
        out[hazard_id] = {"classes": classes, "source": source}
    return out
