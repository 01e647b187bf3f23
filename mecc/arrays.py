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
>>> result["displaced"].sel(zone="east", variant="central").values.tolist()
[300.0, 300.0]
>>> float(annual_displacement(result, [0.1, 0.01])["aad"].sel(zone="east", variant="central"))
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
    packing,
    resolve_curves,
    values_north_up,
    warn_range,
)
from mecc.array_inputs import (
    _plain,
    check_band_labels,
    check_periods,
    check_zone_cells,
    hazard_unit,
    label_results,
    member_names,
    per_band,
    protection_per_unit,
    read_people,
    return_periods_from_labels,
    run_warnings,
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
    population_kind: str | None = None,
):
    """People exposed and displaced per admin unit and band, from arrays in memory.

    Parameters
    ----------
    population : xarray.DataArray
        People per cell (or per km², see ``population_kind``), dims ``(y, x)``
        (``lat``/``lon`` too; a ``band`` of size 1 is left aside). Missing cells (NaN,
        ``attrs["_FillValue"]`` / ``["nodata"]``) count as 0 people; a negative count is
        refused. Packed values (``attrs["scale_factor"]`` / ``["add_offset"]``, as
        ``mask_and_scale=False`` leaves them) are unscaled after nodata is masked, for
        ``hazard`` and ``fraction`` too. A grid one cell wide or high needs its cell size:
        ``attrs["transform"]`` or a ``spatial_ref`` coordinate with a ``GeoTransform``.
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
    frequency : array-like, pandas.Series or xarray.DataArray, optional
        Per-band weights of ``displaced_cells``: a list or array (or a Series with the
        default index 0..m-1) in band order, one per band; a Series or DataArray indexed
        by exactly the band labels.
    population_kind : {"count", "density"}, optional
        People per cell, or people per km² (converted with each cell's geodesic area, as
        ``mecc run`` does for ``kind: density``). By default what
        ``population.attrs`` (``units``, ``unit``, ``measure``, ``long_name``,
        ``description``) state, as WorldPop/GHSL files do ("persons per square
        kilometre"), else count; a contradiction is refused.

    Returns
    -------
    xarray.Dataset
        ``population`` (zone), ``exposed`` and ``no_hazard_data`` (zone, band),
        ``displaced`` (zone, band, variant; ``variant`` is always there, ``central``
        alone with ``variants=False``); ``zone`` holds the unit codes then
        ``__outside__`` (people in no unit), as the run's zones.csv. The per-band
        figures are those of each map as given: for return-period maps with a
        protection standard, :func:`return_period_displacement` gives the protected
        ones (``exposed_protected``, ``displaced_protected``, as the run's
        zones_bands.csv), and ``displaced_cells`` is weighted by ``frequency`` alone
        (no protection; it keeps the population's CRS and ``spatial_ref``). Labelled
        as results.nc: ``units`` (people; people per year for ``displaced_cells``
        weighted by ``frequency``), ``comment`` (modelled estimates), ``references``
        (the method), ``source``, the curves and what each ``variant`` means.

    Warns
    -----
    mecc.errors.MeccWarning
        As the run does: implausible hazard values, more than 5 % of the people in no
        unit or without hazard data in a band, units that received no cell.

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

    from hazards.catalogue import get_hazard_type
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
    grid = pop_layout.grid
    cell = (grid.transform.a, -grid.transform.e)  # for another input one cell wide
    haz_layout = array_grid(hazard, "hazard", crs, extra=(0, 1), cell=cell)
    check_same_grid(pop_layout, haz_layout, "population", "hazard")
    labels = band_labels(hazard, haz_layout)
    check_band_labels(labels)

    people = read_people(population, pop_layout, population_kind)
    given_unit, factor, conversion = hazard_unit(kind, unit, hazard)
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
        frac_layout = array_grid(fraction, "fraction", crs, extra=(0, 1), cell=cell)
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
    stored = Stored(hazard.dtype, factor, *packing(hazard, "hazard"))
    check_curves(stored, list(curves.values()), "curve")
    packed = pack_curves(compared_curve(stored, c) for c in curves.values())
    compared = compared_threshold(_with_threshold(stored, threshold))

    if isinstance(zones, xr.DataArray):
        zone_layout = array_grid(zones, "zones", crs, cell=cell)
        check_same_grid(pop_layout, zone_layout, "population", "zones")
        engine_zones, codes = index_zones(zones, zone_layout, "zones")
    else:
        engine_zones, codes = frame_zones(zones, zone_code, grid)
    n_zones = len(codes) + 1
    weights = np.ones(n_bands)
    if frequency is not None:
        weights = per_band(frequency, labels, "frequency")
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
    check_zone_cells(engine_zones, result.cells[: len(codes)], codes)
    run_warnings(engine_zones, result.population, sums.no_hazard_data.sum(axis=0), labels)
    dataset = _dataset(
        result.population,
        sums,
        codes,
        labels,
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
    label_results(dataset, dataset.attrs, per_year=("displaced_cells",) * (frequency is not None))
    without = [code for code, n in zip(codes, result.cells, strict=False) if n == 0]
    for name in ("exposed", "displaced", "no_hazard_data"):  # not known, not 0 (population:
        dataset[name].loc[{"zone": without}] = np.nan  # the grid's 0, as in results.nc)
    return dataset


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
    coords = {"zone": zone, "band": bands, "variant": order}  # variant kept: a stable shape
    displaced_dims = ("zone", "band", "variant")
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
        cell_coords = {ydim: template.coords[ydim].values.copy()}
        cell_coords[xdim] = template.coords[xdim].values.copy()
        mapping = template.encoding.get("grid_mapping") or template.attrs.get("grid_mapping")
        given = template.attrs.get("crs")  # the population's CRS, as text (NetCDF-ready)
        place = {"crs": given if isinstance(given, str) and given.strip() else crs.to_wkt()}
        if (mapping or "spatial_ref") in template.coords:  # and its grid mapping (rioxarray)
            name = mapping or "spatial_ref"
            cell_coords[name] = template.coords[name].copy()
            place.update({"grid_mapping": mapping} if mapping else {})
        ds["displaced_cells"] = xr.DataArray(
            as_engine_order(cell_grid, layout),
            coords=cell_coords,
            dims=(ydim, xdim),
            attrs={
                "long_name": f"people displaced per cell, {curves['central'].name}, "
                "summed over bands with their weights; NaN: no hazard data",
                **place,
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
        Annual frequency of each event: a list or array (or a Series with the default
        index 0..m-1, e.g. a column of events.csv) with one value per band in band order,
        or a Series/DataArray indexed by exactly the band labels (other labels, missing
        or extra, are refused: ``events.set_index("band")["frequency"]``).
    member : array-like, optional
        The ensemble member (climate/hydrological model pair) of each event, matched to
        the bands as ``frequency`` (none None or blank): adds
        ``aad_member_min``/``_median``/``_max``, each member's frequencies rescaled to a
        complete set (DESIGN.md).
    return_periods : sequence of float
        Where PMD is given (default 10, 25, 50, 100, 250 years; each >= 1).

    Returns
    -------
    xarray.Dataset
        ``aad`` (zone[, variant]) and ``pmd`` (zone[, variant], return_period) per unit;
        ``aad_national`` and ``pmd_national`` from the national per-event totals (PMD
        does not add up across units). Labelled as results.nc (units, "modelled
        estimates", method, source, the result's curves and variants).

    Examples
    --------
    >>> annual_displacement(result, [0.1, 0.01])["aad"]  # doctest: +SKIP
    """
    import xarray as xr

    from hazards.catalogue import check_frequencies
    from mecc import risk

    displaced, dims = _band_last(result)
    labels = [_plain(b) for b in result["band"].values]  # messages: 'e2', not np.str_('e2')
    freq = per_band(frequency, labels, "frequency")
    periods = check_periods(return_periods, "return_periods")
    if (freq <= 0).any():
        k = int(np.flatnonzero(freq <= 0)[0])
        raise DataError(
            f"frequency: band {labels[k]!r} has frequency {freq[k]:g}; give events a year > 0"
        )
    check_frequencies(freq, "frequency", lambda k: f"of band {labels[k]!r}")
    national = np.nansum(displaced, axis=0)  # units without a cell add nothing
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
        names = member_names(member, labels)
        _, per_member = risk.member_aad(displaced, freq, names)
        for stat, fn in (("min", np.min), ("median", np.median), ("max", np.max)):
            data[f"aad_member_{stat}"] = (dims, fn(per_member, axis=-1))
    attrs = {
        "method": "event set: aad = sum_e f_e D_e (CLIMADA aai_agg); pmd from CLIMADA's "
        "calc_freq_curve, NaN outside the supported return periods",
        "supported_return_periods": [float(shortest), float(longest)],
    }
    out = xr.Dataset({k: xr.Variable(*v) for k, v in data.items()}, coords=coords, attrs=attrs)
    return label_results(out, result.attrs)


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
        The return period (years) of each band, matched to the bands as
        :func:`annual_displacement`'s ``frequency``; default: the band labels themselves
        (numbers; labels 1..n, the band numbers rioxarray gives a GeoTIFF, are refused).
    protection_rp : float, mapping or xarray.DataArray, optional
        The protection standard (years): one for all units, or per unit code (a mapping
        or a DataArray over ``zone``); units not named have none.
    periods : sequence of float
        Where ``pmd`` is given (years, each >= 1).

    Returns
    -------
    xarray.Dataset
        ``aad``, ``aad_tail``, ``aad_climada`` (zone, variant), ``pmd`` (zone,
        variant, return_period), ``protection_rp`` (zone; NaN: none) and their
        national sums (``*_national``). The maps' PMD ("displacement in the T-year
        maps": each map one scenario for all units, interpolated linearly in the
        people) adds up across units, as the run's national figure does; it is not
        a national T-year event and does not add up across hazards. An event set's
        PMD does not add up across units (:func:`annual_displacement`);
        ``exposed_protected`` (zone, band) and ``displaced_protected`` (zone, variant,
        band): the per-band figures with protection, as the run's zones_bands.csv (0
        for a map whose return period is below the unit's standard; the result's
        ``exposed``/``displaced`` are the maps' figures without protection). Labelled
        as results.nc (units, "modelled estimates", method, source, curves, variants).

    Examples
    --------
    >>> return_period_displacement(result, [10, 100])["aad"]  # doctest: +SKIP
    """
    import xarray as xr

    from mecc import risk

    displaced, dims = _band_last(result)
    labels = list(result["band"].values)
    periods = check_periods(periods, "periods")
    if return_periods is None:
        return_periods = return_periods_from_labels(labels)
    rps = per_band(return_periods, labels, "return_periods")
    if (rps < 1).any() or len(set(rps.tolist())) != rps.size:
        raise DataError("return_periods: give one distinct return period >= 1 year per band")
    rps_given, displaced_given = rps, displaced
    order = np.argsort(rps)
    rps, displaced = rps[order], displaced[..., order]
    zone = [str(z) for z in result["zone"].values]
    standard = protection_per_unit(protection_rp, zone)
    given = (  # as given: one standard, or the units' (the outside bucket is none)
        float(protection_rp)
        if isinstance(protection_rp, int | float | np.number)
        else {z: p for z, p in zip(zone, standard, strict=True) if z != "__outside__"}
    )
    beyond = risk.protection_beyond_maps(rps, given)
    if beyond:  # every map protected in those units: as `mecc run` warns
        import warnings

        from mecc.errors import MeccWarning

        warnings.warn(f"protection_rp: {beyond}", MeccWarning, stacklevel=2)
    out, pmd = risk.rp_metrics(displaced, rps, standard, periods)
    coords = {"zone": result["zone"].values, "return_period": periods}
    if "variant" in result.coords:
        coords["variant"] = result["variant"].values
    rest = dims[1:]
    data = {name: (dims, values) for name, values in out.items()}
    data.update(
        {f"{name}_national": (rest, np.nansum(values, axis=0)) for name, values in out.items()}
    )
    data["pmd"] = ((*dims, "return_period"), pmd)
    national = np.nansum(pmd, axis=0)  # a period outside the maps: not known (not 0)
    national[np.isnan(pmd).all(axis=0)] = np.nan
    data["pmd_national"] = ((*rest, "return_period"), national)
    data["protection_rp"] = (("zone",), np.array([np.nan if p is None else p for p in standard]))
    # per-band figures as the run's zones_bands.csv: maps more frequent than a unit's
    # protection standard (return period < P) displace and expose nobody there
    counts = np.array([rps_given >= (0.0 if p is None else p) for p in standard], dtype=float)
    coords["band"] = result["band"].values
    exposed = result["exposed"].transpose("zone", "band").values
    data["exposed_protected"] = (("zone", "band"), exposed * counts)
    shield = counts.reshape(counts.shape[0], *([1] * (len(dims) - 1)), counts.shape[1])
    data["displaced_protected"] = ((*dims, "band"), displaced_given * shield)
    attrs = {
        "pmd_label": "displacement in the T-year maps (every cell at its T-year intensity at "
        "once), not a national T-year event",
        "maps_return_periods": [float(r) for r in rps],
    }
    out = xr.Dataset({k: xr.Variable(*v) for k, v in data.items()}, coords=coords, attrs=attrs)
    return label_results(out, result.attrs, years=("protection_rp",))
