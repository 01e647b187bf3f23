"""Arguments of the array layer (:mod:`mecc.arrays`): per-band values, population kind,
hazard unit, protection standards, the run's warnings on the figures, and the labels of
the results (those of results.nc: units, "modelled estimates", method, provenance).

Every function reads the caller's objects and never writes to them. Each check raises
one error of :mod:`mecc.errors` whose one-line message starts with the name of the
argument at fault (``frequency``, ``return_periods``, ``member``, ``population_kind``,
``unit`` ...), in a notebook's words: arguments (``unit=``) and attributes
(``hazard.attrs['units']``), not run-file keys.

Per-band values (``frequency``, ``return_periods``, ``member``) are matched to the bands
in one of two ways, never guessed:

- by position: a list, a numpy array, a DataArray without a coordinate, or a pandas
  Series with the default index ``0 .. m-1`` (a ``RangeIndex``, e.g. a column of a table
  read from CSV): exactly one value per band, in band order;
- by label: a mapping, a Series with any other index, a 1-D DataArray with a
  coordinate: its labels must be exactly the band labels (missing or extra labels are
  refused, naming them).
"""

from __future__ import annotations

import re
import warnings

import numpy as np

from mecc.errors import ConfigError, DataError, MeccWarning

__all__ = [
    "POPULATION_ATTRS",
    "check_band_labels",
    "check_periods",
    "check_zone_cells",
    "hazard_unit",
    "label_results",
    "member_names",
    "per_band",
    "read_people",
    "reemit",
    "resolve_population_kind",
    "protection_per_unit",
    "return_periods_from_labels",
    "run_warnings",
]

POPULATION_ATTRS = ("units", "unit", "measure", "long_name", "description")
"""Attributes read for what a population array states it holds (as ``mecc run`` reads
a file's band unit, ``unit``/``units``/``measure`` tags and band description)."""
KIND_MEANINGS = {"count": "people per cell", "density": "people per km²"}


def _shown(labels, most: int = 5) -> str:
    items = [repr(_plain(b)) for b in labels[:most]]
    return ", ".join(items) + (f" ... ({len(labels)} in all)" if len(labels) > most else "")


def _plain(value):
    """A label as plain Python (dates as pandas Timestamps), so that labels compare."""
    if isinstance(value, np.datetime64):
        import pandas as pd

        return pd.Timestamp(value)
    return value.item() if isinstance(value, np.generic) else value


def _keys_and_values(values, name: str):
    """``(keys, values)``: keys None when ``values`` is matched by position."""
    if isinstance(values, dict):
        return list(values), list(values.values())
    if hasattr(values, "dims") and hasattr(values, "coords"):  # xarray.DataArray
        if values.ndim != 1:
            raise DataError(
                f"{name}: give one value per band (a 1-D array), not dimensions {values.dims}"
            )
        dim = values.dims[0]
        if dim in values.coords:
            return [_plain(v) for v in values.coords[dim].values], list(values.values)
        return None, list(values.values)
    if hasattr(values, "columns"):
        raise DataError(f"{name}: give one column (a Series), not a table")
    if hasattr(values, "index") and hasattr(values, "loc"):  # pandas.Series
        index = values.index
        step = getattr(index, "step", None)
        if step == 1 and getattr(index, "start", None) == 0:  # the default RangeIndex
            return None, list(values.to_numpy())
        return [_plain(v) for v in index], list(values.to_numpy())
    if isinstance(values, (str, bytes)) or np.ndim(values) == 0:
        return None, [values]
    return None, list(np.asarray(values, dtype=object).reshape(-1))


def _aligned(values, labels: list, name: str) -> list:
    """``values`` in band order (see the module's docstring), checked."""
    keys, given = _keys_and_values(values, name)
    labels = [_plain(b) for b in labels]
    n = len(labels)
    if keys is None:
        if len(given) != n:
            hint = (
                "; index it by band label (e.g. events.set_index('band')['frequency'])"
                if hasattr(values, "index") and len(given) > n
                else ""
            )
            raise DataError(f"{name}: {len(given)} values for {n} bands, in band order{hint}")
        return given
    wanted = set(labels)
    seen: set = set()
    twice = [k for k in keys if k in seen or seen.add(k)]
    missing = [b for b in labels if b not in seen]
    extra = [k for k in keys if k not in wanted]
    if missing or extra or twice:
        parts = []
        if missing:
            parts.append(f"no value for band {_shown(missing)}")
        if extra:
            parts.append(f"labels {_shown(extra)} are not bands")
        if twice:
            parts.append(f"label {_shown(twice)} given twice")
        raise DataError(
            f"{name}: indexed by labels, but {'; '.join(parts)} (the band labels are "
            f"{_shown(labels)}); index it by exactly these labels, or give plain values "
            "in band order"
        )
    mapping = dict(zip(keys, given, strict=True))
    return [mapping[b] for b in labels]


def _numbers(values, name: str) -> np.ndarray:
    try:
        return np.asarray(values, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError) as error:
        reason = str(error).splitlines()[0]
        raise DataError(f"{name}: give numbers ({reason})") from None


def per_band(values, labels, name: str) -> np.ndarray:
    """One finite number >= 0 per band, in band order (see the module's docstring).

    Raises
    ------
    DataError
        Values that are not numbers, not one per band, or labelled by other labels.
    """
    array = _numbers(_aligned(values, list(labels), name), name)
    if not np.isfinite(array).all() or (array < 0).any():
        raise DataError(f"{name}: every value must be a finite number >= 0")
    return array


def member_names(member, labels: list) -> np.ndarray:
    """The ensemble member of each band as text (spaces around it ignored), none blank."""
    names = []
    for label, value in zip(labels, _aligned(member, labels, "member"), strict=True):
        text = "" if value is None or (isinstance(value, float) and np.isnan(value)) else value
        text = str(text).strip()
        if not text:
            raise DataError(
                f"member: band {_plain(label)!r} has no member (None, NaN or blank); give "
                "each event the climate/hydrological model pair it comes from"
            )
        names.append(text)
    return np.asarray(names)


def check_band_labels(labels: list, name: str = "hazard") -> None:
    """Refuse a band label given twice (figures are matched to bands by label)."""
    seen: set = set()
    for label in labels:
        if label in seen:
            raise DataError(
                f"{name}: band label {_plain(label)!r} appears twice; give each band its own "
                "label (its event id or return period)"
            )
        seen.add(label)


def check_periods(periods, name: str) -> np.ndarray:
    """Return periods (years) where PMD is given: numbers >= 1."""
    array = _numbers(np.atleast_1d(np.asarray(periods, dtype=object)), name)
    if not np.isfinite(array).all() or (array < 1).any():
        raise DataError(f"{name}: every return period must be a finite number of years >= 1")
    return array


def return_periods_from_labels(labels: list) -> list:
    """The band labels as return periods, refusing labels that are band numbers 1..n
    (a GeoTIFF opened with rioxarray) rather than taking them as 1..n years."""
    try:
        values = [float(b) for b in labels]
    except (TypeError, ValueError):
        raise DataError(
            "return_periods: the band labels are not numbers; give return_periods (one per "
            "band, in years)"
        ) from None
    if values == [float(k) for k in range(1, len(values) + 1)]:
        raise DataError(
            f"return_periods: the band labels {_shown(labels)} are band numbers 1..{len(values)} "
            "(as rioxarray labels a GeoTIFF's bands), not return periods; pass "
            "return_periods=[...] (years, in band order) or label the bands with them"
        )
    return values


def protection_per_unit(value, zone: list) -> list:
    """The protection standard of each unit (None: none), checked."""
    if value is None:
        return [None] * len(zone)
    if hasattr(value, "dims"):  # a DataArray over zone
        if value.dims != ("zone",) or "zone" not in value.coords:
            raise DataError(
                f"protection_rp: a DataArray must have one dimension 'zone' with the unit "
                f"codes as its coordinate, not dimensions {value.dims}"
            )
        value = dict(
            zip([str(z) for z in value["zone"].values], value.values.tolist(), strict=True)
        )
    if hasattr(value, "index") and hasattr(value, "to_dict"):  # a pandas Series
        value = value.to_dict()
    if isinstance(value, dict):
        unknown = sorted(set(map(str, value)) - set(zone))
        if unknown:
            raise DataError(
                f"protection_rp: {', '.join(unknown[:5])} are not unit codes of the result"
            )
        given = {str(k): v for k, v in value.items()}
        standard = [given.get(code) for code in zone]
    else:
        standard = [value] * len(zone)
    checked = []
    for code, p in zip(zone, standard, strict=True):
        if p is None or (isinstance(p, float) and np.isnan(p)):
            checked.append(None)
            continue
        if (
            isinstance(p, bool)
            or not isinstance(p, (int, float, np.number))
            or not (np.isfinite(p) and p >= 1)
        ):
            raise DataError(
                f"protection_rp: {p!r} for unit {code!r} is not a return period >= 1 year"
            )
        checked.append(float(p))
    return checked


# ------------------------------------------------------------- population and units


def resolve_population_kind(population, given) -> str:
    """``"count"`` or ``"density"``: ``population_kind`` checked against what the array's
    attributes state, by the rules of ``mecc run`` (:mod:`exposure.population`): a
    statement decides when ``population_kind`` is None (else count), a contradiction is
    refused, and people per another area (ha, m², mi²) are refused.
    """
    from exposure.population import KINDS, kind_stated_in

    if given is not None and given not in KINDS:
        raise ConfigError(f"population_kind: give 'count' or 'density', not {given!r}")
    found = []
    for key in POPULATION_ATTRS:
        text = population.attrs.get(key)
        kind = kind_stated_in(text) if isinstance(text, str) and text.strip() else None
        if kind is not None:
            found.append((*kind, text.strip(), key))
    strong = [f for f in found if f[1]] or found
    kinds = {kind for kind, _, _, _ in strong}
    if not kinds:
        return given or "count"
    said = " and ".join(f"population.attrs[{key!r}] = {text!r}" for _, _, text, key in strong)
    if len(kinds) > 1:
        if given is not None:
            return given
        raise DataError(
            f"population: {said} disagree; give population_kind= ('count': people per cell, "
            "'density': people per km²)"
        )
    kind = kinds.pop()
    if kind == "other":
        raise DataError(
            f"population: {said} states neither people per cell nor people per km²; convert "
            "it to one of them"
        )
    if given is not None and given != kind:
        raise ConfigError(
            f"population_kind: {given!r} ({KIND_MEANINGS[given]}) but {said}, i.e. "
            f"{kind!r} ({KIND_MEANINGS[kind]}); correct the one that is wrong"
        )
    return kind


def hazard_unit(kind, unit, hazard):
    """:func:`hazards.catalogue.grid_unit` for an array, its messages naming ``unit=``
    and ``hazard.attrs['units']``."""
    from hazards.catalogue import grid_unit

    stated = [(hazard.attrs["units"], "hazard.attrs['units']")] if hazard.attrs.get("units") else []
    try:
        resolved, factor, note = grid_unit(kind, unit, stated, "hazard")
    except ConfigError as error:
        text = str(error)
        text = re.sub(r"the run file says unit: (\S+)", r"unit=\1 is given", text)
        text = text.replace("hazard.unit: unit", "unit: unit=")
        text = text.replace("with unit: (", "with unit= (")
        raise type(error)(text) from None
    return resolved, factor, note.replace("(the file's units attribute)", "(hazard.attrs['units'])")


# ------------------------------------------------------------------ labels of results


def label_results(dataset, attrs: dict, *, per_year=(), years=()):
    """Give a result of :mod:`mecc.arrays` the labels results.nc carries, from the same
    constants (:data:`mecc.tables.MODELLED_NOTE`, :data:`mecc.tables.METHOD_NOTE`).

    Every variable gets ``units``: ``"people per year"`` for the names in ``per_year``
    and those starting with ``aad``, ``"years"`` for those in ``years``, else
    ``"people"``. The Dataset gets ``attrs`` (:func:`mecc.arrays.displacement`'s: the
    hazard type, the curves and what each variant means; its ``crs`` left aside) under
    its own, then ``comment`` (modelled estimates, not observed figures), ``references``
    (the method) and ``source`` (the mecc version); ``variant`` gets the variants'
    meaning. Changes ``dataset`` (a new result) in place and returns it.
    """
    import mecc
    from mecc.tables import METHOD_NOTE, MODELLED_NOTE

    for name, variable in dataset.data_vars.items():
        per = name in per_year or name.startswith("aad")
        variable.attrs["units"] = (
            "years" if name in years else ("people per year" if per else "people")
        )
    given = {key: value for key, value in attrs.items() if key != "crs"}
    dataset.attrs = {**given, **dataset.attrs}
    dataset.attrs.update(
        comment=MODELLED_NOTE, references=METHOD_NOTE, source=f"mecc {mecc.__version__}"
    )
    if "variant" in dataset.coords and attrs.get("variants"):
        dataset["variant"].attrs.update(long_name="curve variant", comment=attrs["variants"])
    return dataset


# ---------------------------------------------------------------------------- warnings


def check_zone_cells(zones, cells, codes) -> None:
    """The run's warning on units that received no cell of the grid."""
    empty = [code for code, n in zip(codes, cells, strict=False) if n == 0]
    if empty:
        warnings.warn(
            f"zones: {len(empty)} unit(s) received no cell of the grid (e.g. "
            f"{', '.join(empty[:5])}); their figures are not known (NaN), not 0",
            MeccWarning,
            stacklevel=3,
        )


def run_warnings(zones, population: np.ndarray, no_data: np.ndarray, labels: list) -> None:
    """The run's warnings on the figures: the share of the people in no unit
    (:meth:`exposure.zones.Zones.warn_outside_share`) and, per band, the share without
    hazard data (:func:`mecc.run_checks.no_data_warnings`), with their thresholds."""
    from types import SimpleNamespace

    import pandas as pd

    from exposure.zones import Zones
    from mecc.run_checks import no_data_warnings

    reemit(Zones.warn_outside_share, zones, population)
    hazard = SimpleNamespace(id="h", components=[], layers=[])
    tab = SimpleNamespace(
        bands=pd.DataFrame({"band": [_plain(b) for b in labels], "no_hazard_data": no_data})
    )
    for message in no_data_warnings(hazard, tab, float(np.sum(population))):
        message = message.replace("hazards.h:", "hazard:", 1)
        message = message.replace("(bands.csv: no_hazard_data)", "(no_hazard_data)")
        message = message.replace(
            "check that the hazard grid covers the country",
            "check that the hazard grid covers the population",
        )
        warnings.warn(message, MeccWarning, stacklevel=3)


def reemit(function, *args, stacklevel: int = 4):
    """Call ``function``, then give its warnings again pointing at the caller's line
    (default: the notebook line that called :mod:`mecc.arrays`, three calls up), not at
    mecc's own; the caller's warning filters apply to them as to every other warning."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = function(*args)
    for warning in caught:
        warnings.warn(warning.message, warning.category, stacklevel=stacklevel)
    return out


def read_people(population, layout, given_kind) -> np.ndarray:
    """People per cell, north-up (a new array): missing cells 0, negatives refused, a
    density (people per km²) times each cell's geodesic area as the run converts it."""
    from rasterio.windows import Window

    from mecc.array_checks import values_north_up
    from mecc.grid import cell_areas_km2

    kind = resolve_population_kind(population, given_kind)
    people = values_north_up(population, layout, "population")
    people[np.isnan(people)] = 0.0
    if (people < 0).any():
        r, c = np.argwhere(people < 0)[0]
        raise DataError(
            f"population: negative count {people[r, c]:g} in a cell (row {r}, column {c} north-up)"
        )
    if kind == "density":
        grid = layout.grid
        people *= cell_areas_km2(grid, Window(0, 0, grid.width, grid.height))
    return people
