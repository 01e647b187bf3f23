"""Array functions: xarray and GeoDataFrame in, xarray out (DESIGN.md, layer 2).

For a notebook holding its data in memory. :func:`displacement` overlays a population
grid, a hazard stack and admin units with the same engine as ``mecc run``
(:func:`mecc.engine.overlay`, the catalogue's hazard types and the built-in curves),
after checking that the inputs share one CRS and one grid; :func:`annual_displacement`
(event sets) and :func:`return_period_displacement` (return-period maps) turn its
per-band figures into risk metrics with :mod:`mecc.risk`. The caller's objects are never
modified: values are copied into float64 C-ordered arrays before the engine runs.

Example
-------
>>> import numpy as np, xarray as xr
>>> from mecc.arrays import displacement, annual_displacement
>>> y, x = [0.25, 0.15, 0.05], [10.05, 10.15, 10.25]  # cell centres, north-up
>>> crs = {"crs": "EPSG:4326"}
>>> people = xr.DataArray(np.full((3, 3), 100.0), {"y": y, "x": x}, ("y", "x"), attrs=crs)
>>> depth = xr.DataArray(
...     np.array([[[0, 0.5, 2.0]] * 3, [[0, 0, 1.0]] * 3]),
...     {"band": ["e1", "e2"], "y": y, "x": x},
...     ("band", "y", "x"),
...     attrs=crs,
... )
>>> units = xr.DataArray(
...     np.array([[0, 0, 1]] * 3),
...     {"y": y, "x": x},
...     ("y", "x"),
...     attrs={**crs, "zone_codes": ["west", "east"]},
... )
>>> result = displacement(people, depth, units, "flood_step_1m", variants=False)
>>> result["displaced"].sel(zone="east").values.tolist()
[300.0, 300.0]
>>> float(annual_displacement(result, [0.1, 0.01])["aad"].sel(zone="east"))
33.0
"""

from __future__ import annotations

import numpy as np

from mecc.array_checks import (
    Stack,
    Stored,
    array_grid,
    as_engine_order,
    band_labels,
    block_shape,
    check_same_crs,
    check_same_grid,
    frame_zones,
    index_zones,
    per_band,
    protection_per_unit,
    resolve_curves,
    values_north_up,
    warn_range,
)
from mecc.errors import ConfigError, DataError

__all__ = ["annual_displacement", "displacement", "return_period_displacement"]

OUTSIDE_CODE = "__outside__"
VARIANT_ROLES = {
    "low": "the curve variant that displaces fewer people",
    "central": "the central curve",
    "high": "the curve variant that displaces more people",
}
STANDARD_RETURN_PERIODS = (10, 25, 50, 100, 250)


def displacement(
    population,
    hazard,
    zones,
    curve="flood_step_1m",
    *,
    hazard_type: str = "river_flood",
    unit: str | None = None,
    variants=True,
    exposure_threshold: float | None = None,
    fraction=None,
    zone_code: str = "zone_code",
    cells: bool = False,
    frequency=None,
):
    """People exposed and displaced per admin unit and band, from arrays in memory.

    Parameters
    ----------
    population : xarray.DataArray
        People per cell, dims ``(y, x)`` (``lat``/``lon`` too; a ``band`` of size 1 is
        left aside). Missing cells (NaN, ``attrs["_FillValue"]`` / ``["nodata"]``)
        count as 0 people; a negative count is refused.
    hazard : xarray.DataArray
        Intensity, dims ``(band, y, x)`` (the band dimension may have another name; its
        coordinate labels the bands) or ``(y, x)`` (one band, labelled 1), on exactly
        the population's grid and CRS. Missing cells are "no hazard data": they
        displace nobody and their people are reported in ``no_hazard_data``.
    zones : geopandas.GeoDataFrame or xarray.DataArray
        Admin units: polygons with their code in column ``zone_code`` (a cell belongs
        to the unit containing its centre; where units overlap, the later row wins), or
        an integer grid of unit indices ``0 .. n-1`` on the population's grid (others
        are outside), with codes in ``attrs["zone_codes"]`` (default: the indices).
    curve : str, mapping or hazards.curves.Curve
        A built-in curve (``mecc curves list``; ``NAME:VARIANT`` for one variant), a CSV
        curve file, a mapping as in a run file, or a Curve.
    hazard_type : str
        A hazard type of the catalogue (``river_flood``, ``tropical_cyclone``,
        ``earthquake`` ...): its unit, plausible range and default exposure threshold.
    unit : str, optional
        Unit of the hazard's values when not the type's (``"cm"``); default: the
        type's, or ``hazard.attrs["units"]`` when it says one.
    variants : bool or mapping
        True: the built-in curve's ``low``/``high`` variants too; False: the central
        curve only; a mapping ``{"low": curve, "high": curve}`` sets them.
    exposure_threshold : float, optional
        Intensity at or above which people count as exposed (default: the type's,
        e.g. 0.1 m of flood depth).
    fraction : xarray.DataArray, optional
        Flooded share of each cell per band (flood types only), same shape and grid
        as ``hazard``.
    zone_code : str
        The GeoDataFrame's column of unit codes.
    cells : bool
        Add ``displaced_cells``: displaced people per cell (central curve), summed
        over the bands with weights ``frequency`` (per year: expected annual
        displacement) or 1; NaN where people have no hazard data in any band.
    frequency : array-like, optional
        Per-band weights of ``displaced_cells``.

    Returns
    -------
    xarray.Dataset
        ``population`` (zone), ``exposed`` and ``no_hazard_data`` (zone, band),
        ``displaced`` (zone, band, variant); ``zone`` holds the unit codes then
        ``__outside__`` (people in no unit), as the run's zones.csv.

    Raises
    ------
    mecc.errors.MissingCRSError, mecc.errors.AlignmentError, mecc.errors.DataError,
    mecc.errors.ConfigError
        One line naming the argument at fault (all are also ``ValueError``).

    Examples
    --------
    See the module's docstring; with a GeoDataFrame of districts::

        result = displacement(pop, depth, districts, "flood_step_0.5m", zone_code="iso")
        annual_displacement(result, events["frequency"])["aad"]
    """
    import xarray as xr

    from hazards.catalogue import get_hazard_type, grid_unit
    from hazards.curves import pack_curves
    from hazards.fraction import FRACTION_TOLERANCE, fraction_problem
    from hazards.precision import check_curves, compared_curve, compared_threshold
    from hazards.thresholds import check_exposure_threshold
    from mecc.engine import OverlayInput, overlay

    kind = get_hazard_type(hazard_type, "hazard_type")
    named = {"population": population, "hazard": hazard, "zones": zones}
    if fraction is not None:
        named["fraction"] = fraction
    for name, obj in named.items():
        if name != "zones" and not isinstance(obj, xr.DataArray):
            raise DataError(f"{name}: give an xarray.DataArray, not {type(obj).__name__}")
    if not isinstance(zones, xr.DataArray) and not hasattr(zones, "geometry"):
        raise DataError(
            f"zones: give a GeoDataFrame or an integer xarray.DataArray, not {type(zones).__name__}"
        )
    crs = check_same_crs(named)
    pop_layout = array_grid(population, "population", crs)
    haz_layout = array_grid(hazard, "hazard", crs, extra=(0, 1))
    check_same_grid(pop_layout, haz_layout, "population", "hazard")
    grid = pop_layout.grid

    people = values_north_up(population, pop_layout, "population")
    people[np.isnan(people)] = 0.0
    if (people < 0).any():
        r, c = np.argwhere(people < 0)[0]
        raise DataError(
            f"population: negative count {people[r, c]:g} in a cell (row {r}, column {c} north-up)"
        )
    stated = (
        [(hazard.attrs.get("units"), "hazard.attrs['units']")] if hazard.attrs.get("units") else []
    )
    given_unit, factor, conversion = grid_unit(kind, unit, stated, "hazard")
    intensity = values_north_up(hazard, haz_layout, "hazard")
    if intensity.ndim == 2:
        intensity = intensity[np.newaxis]
    if factor != 1.0:
        intensity *= factor
    warn_range(intensity, kind, f" (after {conversion})" if conversion else "")
    n_bands = intensity.shape[0]
    flooded = None
    if fraction is not None:
        if not kind.flood_type:
            raise ConfigError(
                f"fraction: a flooded-fraction grid applies to flood types only, not {kind.name}"
            )
        frac_layout = array_grid(fraction, "fraction", crs, extra=(0, 1))
        check_same_grid(pop_layout, frac_layout, "population", "fraction")
        flooded = values_north_up(fraction, frac_layout, "fraction")
        if flooded.ndim == 2:
            flooded = flooded[np.newaxis]
        if flooded.shape[0] != n_bands:
            raise DataError(f"fraction: {flooded.shape[0]} bands, but the hazard has {n_bands}")
        for k in range(n_bands):
            finite = flooded[k][np.isfinite(flooded[k])]
            if finite.size and (
                finite.max() > 1 + FRACTION_TOLERANCE or finite.min() < -FRACTION_TOLERANCE
            ):
                raise fraction_problem("fraction", float(finite.max()), float(finite.min()), k + 1)

    curves = resolve_curves(curve, variants, kind)
    threshold = check_exposure_threshold(
        kind.exposure_threshold if exposure_threshold is None else exposure_threshold,
        kind,
        "displacement()",
    )
    stored = Stored(hazard.dtype, factor)
    check_curves(stored, list(curves.values()), "curve")
    packed = pack_curves(compared_curve(stored, c) for c in curves.values())
    compared = compared_threshold(_with_threshold(stored, threshold))

    if isinstance(zones, xr.DataArray):
        zone_layout = array_grid(zones, "zones", crs)
        check_same_grid(pop_layout, zone_layout, "population", "zones")
        engine_zones, codes = index_zones(zones, zone_layout, "zones")
    else:
        engine_zones, codes = frame_zones(zones, zone_code, grid)
    n_zones = len(codes) + 1
    weights = np.ones(n_bands)
    if frequency is not None:
        weights = per_band(frequency, band_labels(hazard, haz_layout), "frequency")
    band_weight = np.ascontiguousarray(np.tile(weights, (n_zones, 1)))
    job = OverlayInput(
        "hazard",
        Stack(intensity),
        None if flooded is None else Stack(flooded),
        packed,
        compared,
        band_weight,
        write_cells=cells,
    )
    cell_grid = np.full(grid.shape, np.nan) if cells else None

    def sink(_, window, block):
        rows = slice(int(window.row_off), int(window.row_off + window.height))
        cols = slice(int(window.col_off), int(window.col_off + window.width))
        cell_grid[rows, cols] = block

    layers = n_bands * (2 if flooded is not None else 1)
    result = overlay(
        grid,
        Stack(people),
        engine_zones,
        [job],
        block_shape=block_shape(layers),
        cell_sink=sink if cells else None,
    )
    sums = result.hazards["hazard"]
    return _dataset(
        result.population,
        sums,
        codes,
        band_labels(hazard, haz_layout),
        curves,
        kind,
        threshold,
        given_unit,
        conversion,
        crs,
        cell_grid,
        population,
        pop_layout,
    )


def _with_threshold(stored, threshold):
    stored.exposure_threshold = threshold
    return stored


def _dataset(
    population,
    sums,
    codes,
    bands,
    curves,
    kind,
    threshold,
    unit,
    conversion,
    crs,
    cell_grid,
    template,
    layout,
):
    import xarray as xr

    order = [name for name in ("low", "central", "high") if name in curves]
    slot = {name: k for k, name in enumerate(curves)}
    displaced = sums.displaced[..., [slot[name] for name in order]]
    zone = [*codes, OUTSIDE_CODE]
    coords = {"zone": zone, "band": bands}
    displaced_dims = ("zone", "band")
    if len(order) > 1:
        coords["variant"] = order
        displaced_dims = ("zone", "band", "variant")
    else:
        displaced = displaced[..., 0]
    data = {
        "population": (("zone",), population.copy(), {"long_name": "people per unit"}),
        "exposed": (
            ("zone", "band"),
            sums.exposed.copy(),
            {"long_name": f"people at intensity >= {threshold:g} {kind.unit}"},
        ),
        "displaced": (
            displaced_dims,
            displaced,
            {"long_name": "people displaced (population x fraction x curve)"},
        ),
        "no_hazard_data": (
            ("zone", "band"),
            sums.no_hazard_data.copy(),
            {"long_name": "people in cells without hazard data"},
        ),
    }
    roles = "; ".join(f"{name}: {curves[name].name} ({VARIANT_ROLES[name]})" for name in order)
    attrs = {
        "hazard_type": kind.name,
        "unit": kind.unit,
        "exposure_threshold": float(threshold),
        "variants": roles,
        **{f"curve_{name}": curves[name].name for name in order},
        "crs": crs.to_wkt(),
        "outside_zone": f"{OUTSIDE_CODE}: people in cells outside every unit",
    }
    if conversion:
        attrs["conversion"] = conversion
    if unit not in (None, kind.unit):
        attrs["grid_unit"] = unit
    ds = xr.Dataset({k: xr.Variable(*v) for k, v in data.items()}, coords=coords, attrs=attrs)
    if cell_grid is not None:
        ydim, xdim = layout.dims[-2:]
        ds["displaced_cells"] = xr.DataArray(
            as_engine_order(cell_grid, layout),
            coords={
                ydim: template.coords[ydim].values.copy(),
                xdim: template.coords[xdim].values.copy(),
            },
            dims=(ydim, xdim),
            attrs={
                "long_name": f"people displaced per cell, {curves['central'].name}, "
                "summed over bands with their weights; NaN: no hazard data"
            },
        )
    return ds


# ----------------------------------------------------------------------- risk metrics


def _band_last(result):
    """``displaced`` with bands last, as float64 (zone, [variant,] band), and its dims."""
    if not hasattr(result, "data_vars") or "displaced" not in result or "band" not in result.dims:
        raise DataError("result: give the Dataset displacement() returned")
    displaced = result["displaced"]
    dims = [d for d in displaced.dims if d != "band"]
    return np.asarray(displaced.transpose(*dims, "band").values, dtype=np.float64), dims


def annual_displacement(result, frequency, *, member=None, return_periods=STANDARD_RETURN_PERIODS):
    """Average annual displacement and probable maximum displacement of an event set.

    CLIMADA's semantics, as :mod:`mecc.risk` implements them: ``aad = sum_e f_e D_e``
    (``aai_agg``); PMD(T) from the exceedance curve of ``calc_freq_curve`` (sorted
    descending, cumulative frequency, linear in return period), NaN outside the return
    periods the set supports (``1 / sum f`` to ``1 / min f``), never clamped.

    Parameters
    ----------
    result : xarray.Dataset
        From :func:`displacement`, one band per event.
    frequency : array-like, pandas.Series or xarray.DataArray
        Annual frequency of each event: in band order, or indexed by band label.
    member : array-like, optional
        The ensemble member (climate/hydrological model pair) of each event: adds
        ``aad_member_min``/``_median``/``_max``, each member's frequencies rescaled to a
        complete set (DESIGN.md).
    return_periods : sequence of float
        Where PMD is given (default 10, 25, 50, 100, 250 years).

    Returns
    -------
    xarray.Dataset
        ``aad`` (zone[, variant]) and ``pmd`` (zone, return_period[, variant]) per unit;
        ``aad_national`` and ``pmd_national`` from the national per-event totals (PMD
        does not add up across units).

    Examples
    --------
    >>> annual_displacement(result, [0.1, 0.01])["aad"]  # doctest: +SKIP
    """
    import xarray as xr

    from hazards.catalogue import check_frequencies
    from mecc import risk

    displaced, dims = _band_last(result)
    labels = list(result["band"].values)
    freq = per_band(frequency, labels, "frequency")
    if (freq <= 0).any():
        k = int(np.flatnonzero(freq <= 0)[0])
        raise DataError(
            f"frequency: band {labels[k]!r} has frequency {freq[k]:g}; give events a year > 0"
        )
    check_frequencies(freq, "frequency", lambda k: f"of band {labels[k]!r}")
    periods = np.asarray(return_periods, dtype=np.float64)
    national = displaced.sum(axis=0)
    pmd, (shortest, longest) = risk.event_pmd(displaced, freq, periods)
    national_pmd, _ = risk.event_pmd(national, freq, periods)
    rest = dims[1:]
    coords = {"zone": result["zone"].values, "return_period": periods}
    if "variant" in result.coords:
        coords["variant"] = result["variant"].values
    data = {
        "aad": (dims, risk.event_aad(displaced, freq)),
        "pmd": ((*dims, "return_period"), pmd),
        "aad_national": (rest, risk.event_aad(national, freq)),
        "pmd_national": ((*rest, "return_period"), national_pmd),
    }
    if member is not None:
        names = np.asarray(member).astype(str).reshape(-1)
        if names.size != len(labels):
            raise DataError(f"member: {names.size} values for {len(labels)} bands")
        _, per_member = risk.member_aad(displaced, freq, names)
        for stat, fn in (("min", np.min), ("median", np.median), ("max", np.max)):
            data[f"aad_member_{stat}"] = (dims, fn(per_member, axis=-1))
    attrs = {
        "method": "event set: aad = sum_e f_e D_e (CLIMADA aai_agg); pmd from CLIMADA's "
        "calc_freq_curve, NaN outside the supported return periods",
        "supported_return_periods": [float(shortest), float(longest)],
    }
    return xr.Dataset({k: xr.Variable(*v) for k, v in data.items()}, coords=coords, attrs=attrs)


def return_period_displacement(
    result, return_periods=None, protection_rp=None, *, periods=STANDARD_RETURN_PERIODS
):
    """AAD and T-year displacement of return-period maps (DESIGN.md, semantics).

    ``aad`` is the trapezoid over exceedance probability between the first and last map
    (the headline), ``aad_tail = min(p_n, 1/P) D_n`` and ``aad_climada = sum_i D_i (p_i -
    p_(i+1))`` (CLIMADA petals); a protection standard P removes events more frequent
    than P. ``pmd`` is "displacement in the T-year maps", interpolated in log T, NaN
    outside the maps' return periods: not a national T-year event.

    Parameters
    ----------
    result : xarray.Dataset
        From :func:`displacement`, one band per map.
    return_periods : array-like, optional
        The return period (years) of each band, in band order or indexed by band label;
        default: the band labels themselves (numbers).
    protection_rp : float, mapping or xarray.DataArray, optional
        The protection standard (years): one for all units, or per unit code (a mapping
        or a DataArray over ``zone``); units not named have none.
    periods : sequence of float
        Where ``pmd`` is given.

    Returns
    -------
    xarray.Dataset
        ``aad``, ``aad_tail``, ``aad_climada`` (zone[, variant]), ``pmd`` (zone,
        return_period[, variant]), ``protection_rp`` (zone; NaN: none) and their
        national sums (``*_national``; the maps' PMD adds up across units).

    Examples
    --------
    >>> return_period_displacement(result, [10, 100])["aad"]  # doctest: +SKIP
    """
    import xarray as xr

    from mecc import risk

    displaced, dims = _band_last(result)
    labels = list(result["band"].values)
    if return_periods is None:
        try:
            return_periods = [float(b) for b in labels]
        except (TypeError, ValueError):
            raise DataError(
                "return_periods: the band labels are not numbers; give return_periods"
            ) from None
    rps = per_band(return_periods, labels, "return_periods")
    if (rps < 1).any() or len(set(rps.tolist())) != rps.size:
        raise DataError("return_periods: give one distinct return period >= 1 year per band")
    order = np.argsort(rps)
    rps, displaced = rps[order], displaced[..., order]
    zone = [str(z) for z in result["zone"].values]
    standard = protection_per_unit(protection_rp, zone)
    out = {name: np.zeros(displaced.shape[:-1]) for name in ("aad", "aad_tail", "aad_climada")}
    pmd = np.zeros((*displaced.shape[:-1], len(periods)))
    for p in set(standard):
        idx = np.array([k for k, q in enumerate(standard) if q == p])
        d = displaced[idx]
        out["aad"][idx] = d @ risk.rp_aad_weights(rps, p)
        out["aad_tail"][idx] = d @ risk.rp_tail_weights(rps, p)
        out["aad_climada"][idx] = d @ risk.rp_aad_climada_weights(rps, p)
        pmd[idx] = risk.rp_pmd(d, rps, periods, p)
    coords = {"zone": result["zone"].values, "return_period": np.asarray(periods, dtype=np.float64)}
    if "variant" in result.coords:
        coords["variant"] = result["variant"].values
    rest = dims[1:]
    data = {name: (dims, values) for name, values in out.items()}
    data.update({f"{name}_national": (rest, values.sum(axis=0)) for name, values in out.items()})
    data["pmd"] = ((*dims, "return_period"), pmd)
    data["pmd_national"] = ((*rest, "return_period"), pmd.sum(axis=0))
    data["protection_rp"] = (("zone",), np.array([np.nan if p is None else p for p in standard]))
    attrs = {
        "pmd_label": "displacement in the T-year maps (every cell at its T-year intensity at "
        "once), not a national T-year event",
        "maps_return_periods": [float(r) for r in rps],
    }
    return xr.Dataset({k: xr.Variable(*v) for k, v in data.items()}, coords=coords, attrs=attrs)
