"""Earthquake shaking scenarios: Modified Mercalli Intensity (MMI) on a grid.

Intensity comes from a published intensity prediction equation (IPE), the global
active-crust model of Allen, Wald & Worden (2012), "Intensity attenuation for active
crustal regions", *Journal of Seismology* 16:409-433.
Two forms are implemented, each with the paper's coefficients (verified against the
OpenQuake engine, ``openquake/hazardlib/gsim/allen_2012_ipe.py``, classes
``AllenEtAl2012`` and ``AllenEtAl2012Rhypo``, and against the OpenQuake verification
tables ``tests/gsim/data/a12ipe/AWW_IPE_RRUP_MEAN.csv`` / ``..._RHYPO_MEAN.csv``, which
were generated with an independent Matlab implementation):

- ``allen2012_rrup`` (rupture distance, for a finite rupture)::

      MMI = c0 + c1 M + c2 ln( sqrt( Rrup^2 + (1 + c3 exp(M - 5))^2 ) )
      c0 = 3.950, c1 = 0.913, c2 = -1.107, c3 = 0.813     (sigma 0.72 + 0.23 / (1 + (R/44.7)^2))

- ``allen2012_rhypo`` (hypocentral distance, for a point source)::

      MMI = c0 + c1 M + c2 ln( sqrt( Rhyp^2 + Rm^2 ) ) + c4 ln(Rhyp / 50) [only Rhyp > 50 km]
      Rm = m1 + m2 exp(M - 5)
      c0 = 2.085, c1 = 1.428, c2 = -1.402, c4 = 0.078, m1 = -0.209, m2 = 2.042

R in km, M moment magnitude, ln the natural logarithm. No site amplification (rock /
average site): basins and soft soils shake harder than these values.

Rupture. With a ``strike`` the rupture is a rectangle centred on the hypocentre: its
length along strike is the Wells & Coppersmith (1994, BSSA 84(4):974-1002, all
slip types) subsurface rupture length ``log10 L = -2.44 + 0.59 M`` and its
down-dip width ``log10 W = -1.01 + 0.32 M`` (same paper; coefficients checked in
zmap7 ``WellsCopper.m`` and camcat/crs ``WellsCoppersmith.c``). The plane dips by
``dip`` degrees to the right of the strike direction (Aki & Richards convention) and
is moved down, keeping its size, if it would cross the ground surface. The distance
is then ``Rrup``, the closest 3-D distance from each cell (at the surface) to the
plane. Without a strike the rupture is treated as a point at the hypocentre and,
by default, the hypocentral form of the same paper is used: it was fitted with the
distance that is known when the fault is not, and its magnitude-dependent
near-source term ``Rm`` absorbs part of the finite-fault effect on average. Asking for ``allen2012_rrup``
without a strike uses ``Rrup = Rhyp`` (a point rupture), which underestimates the
near field of long ruptures; the parameters written with the grid say so.

Values are clipped to [1, 10] (no MMI above X is assigned in practice; I is "not
felt") and are plain numbers: class k (roman k) is the interval [k - 0.5, k + 0.5).
The paper's data are shallow active-crust events of roughly M 5-7.9 within a few
hundred km (:data:`CALIBRATED_MAGNITUDES`; approximate range, not re-checked against
the paper here). Below M 5 the equations are not used: the hypocentral form's
near-source term ``Rm = m1 + m2 exp(M - 5)`` shrinks to 0.07 km at M 3 (and to 0 near
M 2.7), so ``ln(R)`` diverges at the epicentre and a shallow M 3 gets MMI 8.9;
:func:`write_earthquake` refuses such magnitudes (and :func:`mmi_field` refuses them
for the hypocentral form). Above M 7.9 the equation is extrapolated: the tool warns
and notes it in the output parameters. The data are shallow crustal earthquakes,
hypocentres down to about 20 km (:data:`CALIBRATED_DEPTHS_KM`; approximate, not
re-checked against the paper here): deeper events (lower crust, intraslab, deep focus)
are computed with the same equation, which was not fitted to them; the tool warns and
notes it in the output parameters, as above M 7.9.

A grid on which no cell reaches MMI 1.5 (class II, the lowest felt class) is written
with a warning: the earthquake is felt nowhere on it, which is what a latitude or
longitude sign error (an epicentre on the other side of the globe) looks like.
Distances use an azimuthal equidistant projection centred on the epicentre (exact
for the epicentral distance; the rupture plane is laid out in that plane).

Check against the 1994 Northridge earthquake (tests/test_earthquake.py): with the
fault's strike and dip the field is within one unit of the intensities of Dewey et
al. (1995) in downtown Los Angeles, Burbank and Pasadena, but 1-2 units low in the
San Fernando Valley and Santa Monica (a median equation without site terms cannot
exceed about 8.2 at M 6.7). Treat scenario values as median shaking.
"""

from __future__ import annotations

import math
import numbers
import warnings
from pathlib import Path

import numpy as np
import pyproj
from rasterio.windows import Window

from hazards.scenarios import check_scenario_output, target_grid, write_scenario_grid
from mecc.errors import ConfigError, DataError, MeccWarning, MissingCRSError
from mecc.grid import GridSpec

__all__ = [
    "EQUATIONS",
    "intensity",
    "mmi_field",
    "rupture_dimensions",
    "write_earthquake",
]

CITATION = (
    "Allen, T. I., Wald, D. J. & Worden, C. B. (2012). Intensity attenuation for active "
    "crustal regions. Journal of Seismology 16, 409-433"
)
SCALING_CITATION = (
    "Wells, D. L. & Coppersmith, K. J. (1994). New empirical relationships among magnitude, "
    "rupture length, rupture width, rupture area, and surface displacement. BSSA 84(4), "
    "974-1002 (all slip types): log10 RLD = -2.44 + 0.59 M, log10 RW = -1.01 + 0.32 M"
)

EQUATIONS = {
    "allen2012_rrup": {
        "distance": "rupture distance Rrup (km)",
        "form": "c0 + c1*M + c2*ln(sqrt(R^2 + (1 + c3*exp(M - 5))^2))",
        "coefficients": {"c0": 3.950, "c1": 0.913, "c2": -1.107, "c3": 0.813},
    },
    "allen2012_rhypo": {
        "distance": "hypocentral distance Rhyp (km)",
        "form": ("c0 + c1*M + c2*ln(sqrt(R^2 + (m1 + m2*exp(M - 5))^2)) + c4*ln(R/50) for R > 50"),
        "coefficients": {
            "c0": 2.085,
            "c1": 1.428,
            "c2": -1.402,
            "c4": 0.078,
            "m1": -0.209,
            "m2": 2.042,
        },
    },
}
"""The implemented intensity prediction equations (Allen, Wald & Worden 2012)."""

MMI_RANGE = (1.0, 10.0)
MAGNITUDE_RANGE = (3.0, 9.5)
DEPTH_RANGE_KM = (0.0, 700.0)
CALIBRATED_MAGNITUDES = (5.0, 7.9)
"""Magnitudes the Allen, Wald & Worden (2012) data span (about): refused below, warned above."""
CALIBRATED_DEPTHS_KM = (0.0, 20.0)
"""Hypocentre depths (km) of the shallow crustal earthquakes the Allen, Wald & Worden
(2012) data hold (about): deeper ones are computed with a warning and a note."""
FELT_MMI = 1.5
"""Lower edge of MMI class II (felt by a few); a grid entirely below it gets a warning."""
CALIBRATED_DISTANCE_KM = 300.0
BLOCK_ROWS = 256


def intensity(magnitude, distance_km, equation: str = "allen2012_rrup") -> np.ndarray:
    """MMI from an equation of :data:`EQUATIONS`, unclipped, for distances in km.

    Raises
    ------
    ConfigError
        An equation not in :data:`EQUATIONS`.
    DataError
        A negative distance (the equations hold ``R`` only as ``R²`` or for R > 50 km, so
        -10 km would be read as 10 km).
    """
    if equation not in EQUATIONS:
        raise ConfigError(f"equation: choose one of {sorted(EQUATIONS)}, got {equation!r}")
    c = EQUATIONS[equation]["coefficients"]
    m = float(magnitude)
    r = np.asarray(distance_km, dtype=np.float64)
    if (r < 0).any():  # one comparison per site, beside the log and sqrt of each
        raise DataError(f"distance_km: {r[r < 0].flat[0]:g} km is negative; a distance is >= 0 km")
    if equation == "allen2012_rrup":
        near = (1.0 + c["c3"] * math.exp(m - 5.0)) ** 2
        return c["c0"] + c["c1"] * m + c["c2"] * np.log(np.sqrt(r * r + near))
    rm = c["m1"] + c["m2"] * math.exp(m - 5.0)
    value = c["c0"] + c["c1"] * m + c["c2"] * np.log(np.sqrt(r * r + rm * rm))
    far = np.log(np.maximum(r, 50.0) / 50.0)  # 0 up to 50 km
    return value + c["c4"] * far


def rupture_dimensions(magnitude) -> tuple[float, float]:
    """Subsurface rupture length and down-dip width (km), Wells & Coppersmith (1994)."""
    m = float(magnitude)
    return 10.0 ** (-2.44 + 0.59 * m), 10.0 ** (-1.01 + 0.32 * m)


def mmi_field(
    magnitude,
    lat,
    lon,
    depth_km,
    grid: GridSpec,
    *,
    strike=None,
    dip=90.0,
    equation: str | None = None,
) -> np.ndarray:
    """Modified Mercalli Intensity on ``grid`` (float64, shape ``grid.shape``).

    Parameters
    ----------
    magnitude : float
        Moment magnitude, within [3, 9.5]; at least 5 (the equation's fitted range)
        for ``allen2012_rhypo``, whose near-source term vanishes below it.
    lat, lon : float
        Epicentre, WGS 84 degrees.
    depth_km : float
        Hypocentre depth, within [0, 700] km.
    grid : GridSpec
        The grid to fill; cell centres are the sites (any CRS).
    strike : float, optional
        Fault strike in degrees clockwise from north, [0, 360). Gives a finite
        rupture (Wells & Coppersmith 1994 length and width) centred on the
        hypocentre; without it the rupture is a point at the hypocentre.
    dip : float
        Dip in degrees (0, 90], to the right of the strike direction; used with
        ``strike`` only.
    equation : {"allen2012_rrup", "allen2012_rhypo"}, optional
        Default: ``allen2012_rrup`` with a strike, ``allen2012_rhypo`` without.

    Returns
    -------
    ndarray
        MMI clipped to [1, 10]; class k is the interval [k - 0.5, k + 0.5).
    """
    source = _source(magnitude, lat, lon, depth_km, strike, dip, equation)
    if grid.crs is None:
        raise MissingCRSError("the earthquake grid has no CRS")
    to_local = pyproj.Transformer.from_crs(grid.crs, _local_crs(source), always_xy=True)
    out = np.empty(grid.shape, dtype=np.float64)
    for row in range(0, grid.height, BLOCK_ROWS):
        rows = min(BLOCK_ROWS, grid.height - row)
        x, y = grid.cell_centres(Window(0, row, grid.width, rows))
        east, north = to_local.transform(x, y)
        # a cell centre the projection cannot place (beyond a pole, outside a projected
        # CRS's area) comes back infinite: its intensity is NaN, the grid's nodata
        with np.errstate(invalid="ignore"):
            distance = _distance_km(np.asarray(east) / 1e3, np.asarray(north) / 1e3, source)
            values = intensity(source["magnitude"], distance, source["equation"])
        np.clip(values, *MMI_RANGE, out=out[row : row + rows])
    return out


def write_earthquake(
    out_path,
    *,
    magnitude,
    lat,
    lon,
    depth_km,
    strike=None,
    like=None,
    bounds=None,
    resolution=None,
    overwrite: bool = False,
    crs="EPSG:4326",
    **options,
) -> Path:
    """Write an MMI scenario grid (GeoTIFF, unit MMI) for one earthquake.

    The grid is copied from ``like`` or built from ``bounds`` and ``resolution``
    (WGS 84 degrees). ``options``: ``dip`` (degrees, default 90) and ``equation``
    (see :func:`mmi_field`). Bad parameters, a magnitude below the equation's fitted
    range (M 5, :data:`CALIBRATED_MAGNITUDES`), a missing output folder and an
    ``out_path`` that is the ``like`` grid raise :class:`~mecc.errors.ConfigError`
    before anything is computed or written; an existing ``out_path`` is replaced only
    with ``overwrite`` and only when a generator wrote it
    (:func:`hazards.scenarios.check_scenario_output`); the tags
    record every parameter, the equation and its citation, and the rupture used. A
    :class:`~mecc.errors.MeccWarning` says when the magnitude is above the fitted range
    or the hypocentre deeper than its data (:data:`CALIBRATED_DEPTHS_KM`; both
    extrapolated, and noted in the tags), when cells have no intensity (centres the
    grid's CRS cannot place) and when no cell reaches MMI 1.5 (felt nowhere on the grid).
    """
    unknown = sorted(set(options) - {"dip", "equation"})
    if unknown:
        raise ConfigError(f"unknown earthquake option(s): {', '.join(unknown)} (use dip, equation)")
    if strike is None and options.get("dip") is not None:
        raise ConfigError("dip applies to a finite rupture: give a strike with it")
    dip = options.get("dip")
    source = _source(
        magnitude,
        lat,
        lon,
        depth_km,
        strike,
        90.0 if dip is None else dip,
        options.get("equation"),
        fitted_only=True,
    )
    check_scenario_output(out_path, overwrite, {"--like": like})
    grid = target_grid(like=like, bounds=bounds, resolution=resolution, crs=crs)
    values = mmi_field(
        source["magnitude"],
        source["lat"],
        source["lon"],
        source["depth_km"],
        grid,
        strike=source["strike"],
        dip=source["dip"],
        equation=source["equation"],
    )
    m = source["magnitude"]
    notes = _depth_notes(source)
    if not CALIBRATED_MAGNITUDES[0] <= m <= CALIBRATED_MAGNITUDES[1]:
        notes.append(
            f"magnitude {m:g} is outside the equation's calibration range "
            f"(about M {CALIBRATED_MAGNITUDES[0]:g}-{CALIBRATED_MAGNITUDES[1]:g}): extrapolated"
        )
        warnings.warn(
            f"magnitude {m:g} is above M {CALIBRATED_MAGNITUDES[1]:g}, the upper end of the "
            f"range (about M {CALIBRATED_MAGNITUDES[0]:g}-{CALIBRATED_MAGNITUDES[1]:g}) the "
            f"equation {source['equation']} (Allen, Wald & Worden 2012) was fitted to: the "
            "intensities are extrapolated",
            MeccWarning,
            stacklevel=2,
        )
    known = values[np.isfinite(values)]
    highest = float(known.max()) if known.size else None
    if known.size < values.size:
        warnings.warn(
            f"{values.size - known.size} of the grid's {values.size} cells have no intensity "
            "(nodata): their centres cannot be placed on the Earth in the grid's CRS",
            MeccWarning,
            stacklevel=2,
        )
    if highest is not None and highest < FELT_MMI:
        warnings.warn(_felt_nowhere(source, grid, highest), MeccWarning, stacklevel=2)
    notes.append(
        f"distances beyond about {CALIBRATED_DISTANCE_KM:g} km are extrapolated; "
        "no site amplification (rock / average site)"
    )
    if source["strike"] is None and source["equation"] == "allen2012_rrup":
        notes.append("no strike: point rupture, Rrup = hypocentral distance (near field too low)")
    parameters = {
        "hazard": "earthquake",
        "magnitude": m,
        "magnitude_type": "Mw",
        "epicentre_lat": source["lat"],
        "epicentre_lon": source["lon"],
        "depth_km": source["depth_km"],
        "strike_deg": source["strike"],
        "dip_deg": source["dip"] if source["strike"] is not None else None,
        "equation": source["equation"],
        "equation_form": EQUATIONS[source["equation"]]["form"],
        "equation_coefficients": EQUATIONS[source["equation"]]["coefficients"],
        "distance": EQUATIONS[source["equation"]]["distance"],
        "citation": CITATION,
        "rupture": _rupture_description(source),
        "clipped_to": list(MMI_RANGE),
        "classes": "MMI class k covers [k - 0.5, k + 0.5)",
        "notes": notes,
        "grid": grid.describe(),
        "max_mmi": highest,
    }
    strike_text = f", strike {source['strike']:g}" if source["strike"] is not None else ""
    description = (
        f"Modified Mercalli Intensity for an Mw {m:g} earthquake at "
        f"{source['lat']:g}, {source['lon']:g}, depth {source['depth_km']:g} km{strike_text} "
        f"({source['equation']}, Allen, Wald & Worden 2012)."
    )
    return write_scenario_grid(
        out_path,
        grid,
        values,
        measure="MMI",
        unit="MMI",
        parameters=parameters,
        description=description,
        overwrite=overwrite,
        inputs={"--like": like},
    )


# ------------------------------------------------------------------- internals


def _number(
    value, name: str, low: float, high: float, *, high_open: bool = False, low_open: bool = False
) -> float:
    """A finite number in [low, high] (either end open if asked), else one-line ConfigError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ConfigError(f"{name}: give a number, got {value!r}")
    value = float(value)
    above = low < value if low_open else low <= value
    below = value < high if high_open else value <= high
    if not math.isfinite(value) or not (above and below):
        opening, closing = "(" if low_open else "[", ")" if high_open else "]"
        raise ConfigError(
            f"{name} must be within {opening}{low:g}, {high:g}{closing}, got {value:g}"
        )
    return value


def _depth_notes(source) -> list[str]:
    """The note (and warning) for a hypocentre deeper than the equation's data, else []."""
    depth, (_, deepest) = source["depth_km"], CALIBRATED_DEPTHS_KM
    if depth <= deepest:
        return []
    warnings.warn(
        f"depth {depth:g} km is deeper than the shallow crustal earthquakes (hypocentres "
        f"about 0-{deepest:g} km deep) the equation {source['equation']} (Allen, Wald & "
        "Worden 2012) was fitted to: the intensities of this deeper event (lower crust, "
        "intraslab or deep focus) are extrapolated; a ShakeMap or an equation for its "
        "tectonic setting is better",
        MeccWarning,
        stacklevel=3,
    )
    return [
        f"depth {depth:g} km is outside the equation's data (shallow crustal earthquakes, "
        f"about 0-{deepest:g} km deep): extrapolated"
    ]


def _felt_nowhere(source, grid: GridSpec, highest: float) -> str:
    """The warning for a grid on which no cell reaches MMI 1.5 (class II)."""
    to_grid = pyproj.Transformer.from_crs("EPSG:4326", grid.crs, always_xy=True)
    x, y = to_grid.transform(source["lon"], source["lat"])
    left, bottom, right, top = grid.bounds
    inside = math.isfinite(x) and left <= x <= right and bottom <= y <= top
    where = "inside" if inside else "outside"
    return (
        f"the earthquake is felt nowhere on the grid: no cell reaches MMI {FELT_MMI:g} "
        f"(class II), the highest is {highest:.1f}; the epicentre ({source['lat']:g}, "
        f"{source['lon']:g}) is {where} the grid; check the signs of --lat and --lon, the "
        "depth and the grid"
    )


def _magnitude(value, equation: str, fitted_only: bool) -> float:
    """Mw within :data:`MAGNITUDE_RANGE`, and not below the fitted range (M 5) for the
    hypocentral form or, with ``fitted_only`` (the tool), for either form."""
    (low, high), high_mw = CALIBRATED_MAGNITUDES, MAGNITUDE_RANGE[1]
    number = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if number and math.isfinite(value) and value < low:
        if equation == "allen2012_rhypo":
            rm = EQUATIONS[equation]["coefficients"]
            why = (
                f"below it its near-source term Rm = {rm['m1']:g} + {rm['m2']:g} e^(M - 5) "
                f"shrinks ({max(rm['m1'] + rm['m2'] * math.exp(value - low), 0.0):.2g} km at "
                f"M {value:g}), so the shaking near the epicentre is overstated"
            )
        else:
            why = "it is not used below that range"
        if fitted_only or equation == "allen2012_rhypo":
            raise ConfigError(
                f"magnitude {value:g} is below M {low:g}: the equation {equation} (Allen, Wald "
                f"& Worden 2012) was fitted to earthquakes of about M {low:g}-{high:g}; {why}; "
                f"give a magnitude from {low:g} to {high_mw:g}"
            )
    return _number(value, "magnitude", low if fitted_only else MAGNITUDE_RANGE[0], high_mw)


def _source(magnitude, lat, lon, depth_km, strike, dip, equation, fitted_only=False) -> dict:
    """Validated earthquake parameters and its rupture geometry (km, local frame).

    A magnitude below the equations' fitted range (M 5) is refused for the hypocentral
    form (its near-source term vanishes) and, with ``fitted_only``, for both forms.
    """
    source = {
        "lat": _number(lat, "latitude", -90.0, 90.0),
        "lon": _number(lon, "longitude", -180.0, 180.0),
        "depth_km": _number(depth_km, "depth_km", *DEPTH_RANGE_KM),
        "strike": None if strike is None else _number(strike, "strike", 0.0, 360.0, high_open=True),
        "dip": _number(dip, "dip", 0.0, 90.0, low_open=True),  # a 0 degree fault has no depth
    }
    if equation is None:
        equation = "allen2012_rhypo" if source["strike"] is None else "allen2012_rrup"
    if equation not in EQUATIONS:
        raise ConfigError(f"equation: choose one of {sorted(EQUATIONS)}, got {equation!r}")
    if equation == "allen2012_rhypo" and source["strike"] is not None:
        raise ConfigError(
            "equation allen2012_rhypo uses hypocentral distance, so a strike has no effect; "
            "drop the strike or use allen2012_rrup"
        )
    source["equation"] = equation
    source["magnitude"] = _magnitude(magnitude, equation, fitted_only)
    if source["strike"] is not None:
        length, width = rupture_dimensions(source["magnitude"])
        theta = math.radians(source["strike"])
        delta = math.radians(source["dip"])
        along = np.array([math.sin(theta), math.cos(theta), 0.0])
        # down-dip: horizontal part toward strike + 90 degrees, z positive downward
        down = np.array(
            [math.cos(delta) * math.cos(theta), -math.cos(delta) * math.sin(theta), math.sin(delta)]
        )
        shallowest = -width / 2.0  # down-dip offsets from the hypocentre
        if source["depth_km"] + shallowest * down[2] < 0.0:
            shallowest = -source["depth_km"] / down[2]
        source.update(
            length_km=length,
            width_km=width,
            along=along,
            down=down,
            downdip_km=(shallowest, shallowest + width),
        )
    return source


def _local_crs(source) -> pyproj.CRS:
    return pyproj.CRS.from_proj4(
        f"+proj=aeqd +lat_0={source['lat']} +lon_0={source['lon']} +datum=WGS84 +units=m"
    )


def _distance_km(east: np.ndarray, north: np.ndarray, source) -> np.ndarray:
    """Distance (km) from surface sites to the hypocentre or the rupture plane."""
    depth = source["depth_km"]
    if source["strike"] is None:
        return np.sqrt(east * east + north * north + depth * depth)
    along, down = source["along"], source["down"]
    z = -depth  # site minus hypocentre, z downward
    a = east * along[0] + north * along[1]
    b = east * down[0] + north * down[1] + z * down[2]
    half = source["length_km"] / 2.0
    a_near = np.clip(a, -half, half)
    b_near = np.clip(b, *source["downdip_km"])
    dx = east - a_near * along[0] - b_near * down[0]
    dy = north - a_near * along[1] - b_near * down[1]
    dz = z - b_near * down[2]
    return np.sqrt(dx * dx + dy * dy + dz * dz)


def _rupture_description(source) -> dict:
    if source["strike"] is None:
        return {
            "model": "point at the hypocentre (no strike given)",
            "length_km": 0.0,
            "width_km": 0.0,
        }
    sin_dip = source["down"][2]
    top, bottom = (source["depth_km"] + d * sin_dip for d in source["downdip_km"])
    return {
        "model": "rectangle centred on the hypocentre (moved down if it crossed the surface)",
        "length_km": round(source["length_km"], 3),
        "width_km": round(source["width_km"], 3),
        "top_depth_km": round(top, 3),
        "bottom_depth_km": round(bottom, 3),
        "scaling_law": SCALING_CITATION,
    }
