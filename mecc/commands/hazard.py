"""Hazard commands: ``mecc curves`` (the curve library) and ``mecc hazard`` (generators)."""

from __future__ import annotations

import os

import click


@click.group("curves")
def curves_group():
    """The built-in displacement curves, with sources and evidence grades."""


@curves_group.command("list")
@click.option("--hazard", "hazard_type", default=None, help="Only curves for this hazard type.")
def curves_list(hazard_type):
    """List the built-in curves."""
    from hazards.catalogue import get_hazard_type
    from hazards.library import describe_entries

    if hazard_type is not None:  # an unknown type is refused, not listed as no curves
        get_hazard_type(hazard_type, "--hazard")
    click.echo("\n".join(describe_entries(hazard_type)))


@curves_group.command("show")
@click.argument("name")
def curves_show(name):
    """Show one curve: source, evidence grade and every variant."""
    from hazards.library import describe_entry

    click.echo("\n".join(describe_entry(name)))


def _crs(_ctx, _param, value):
    """--crs must name a CRS PROJ knows: a usage error (exit 2) here, not a bug later."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        CRS.from_user_input(value)
    except CRSError as error:
        reason = str(error).rpartition("proj_create: ")[2].rstrip(")") or "unknown"
        raise click.BadParameter(
            f"{value!r} is not a coordinate reference system ({reason}); "
            "give e.g. EPSG:4326 or EPSG:32633"
        ) from None
    return value


GEOTIFF_SUFFIXES = (".tif", ".tiff")
"""The names a generator's ``--out`` may end in: the grids are GeoTIFFs, and a run reads
a ``.nc`` or ``.png`` name as another format."""


def _geotiff_out(ctx, _param, value):
    """--out must name a GeoTIFF (.tif, .tiff): a usage error (exit 2), nothing written.

    An existing file that mecc did not write is left to the generator, whose refusal
    says more (one of its inputs, not a grid mecc wrote, needs --overwrite)."""
    from hazards.scenarios import generated_tags

    if value is None or str(value).lower().endswith(GEOTIFF_SUFFIXES):
        return value
    if not os.path.exists(value) or generated_tags(value) is not None:
        stem = os.path.splitext(os.path.basename(str(value)))[0] or "hazard"
        raise click.BadParameter(
            f"{value!r} does not end in .tif or .tiff: the hazard grid is written as a "
            f"GeoTIFF, which a run reads by that name; give e.g. {stem}.tif",
            ctx=ctx,
            param_hint="'--out'",
        )
    return value


_GEOTIFF_OUT = click.option(
    "--out",
    "out_path",
    required=True,
    type=click.Path(dir_okay=False),
    callback=_geotiff_out,
    help="GeoTIFF to write (.tif or .tiff).",
)
"""The --out of the generators that write one grid (cyclone, earthquake)."""


def _grid_options(command):
    """--like, or --bounds with --resolution and --crs: the grid a generator fills."""
    command = click.option(
        "--crs", default="EPSG:4326", show_default=True, callback=_crs, help="CRS of --bounds."
    )(command)
    command = click.option(
        "--resolution", type=float, default=None, help="Cell size in CRS units."
    )(command)
    command = click.option(
        "--bounds",
        nargs=4,
        type=float,
        default=None,
        metavar="LEFT BOTTOM RIGHT TOP",
        help="Extent of the grid in CRS units (across 180 degrees: RIGHT above 180).",
    )(command)
    return click.option(
        "--like",
        type=click.Path(dir_okay=False),
        default=None,
        help="Copy the grid of this raster.",
    )(command)


def _grid_arguments(ctx, like, bounds, resolution, crs) -> dict:
    """The grid options as the generators take them; --crs typed with --like is refused
    (the grid and its CRS are the --like raster's: the CRS would be ignored)."""
    from click.core import ParameterSource

    if like is not None and ctx.get_parameter_source("crs") is ParameterSource.COMMANDLINE:
        from mecc.errors import ConfigError

        raise ConfigError(
            f"--crs {crs} applies to --bounds; a --like grid keeps its own CRS: leave --crs out"
        )
    return {"like": like, "bounds": bounds or None, "resolution": resolution, "crs": crs}


PEAK_SOURCES = {"pressure": "holland2008", "track-wind": "holland1980"}
"""``--peak-from`` choices and the ``b_parameter`` of :func:`hazards.cyclone.write_cyclone`."""


@click.group("hazard")
def hazard_group():
    """Generate hazard scenario grids (GeoTIFF) from a track, a DEM or an earthquake."""


@hazard_group.command("cyclone")
@click.argument("track", type=click.Path(dir_okay=False))
@_GEOTIFF_OUT
@_grid_options
@click.option(
    "--track-averaging",
    type=click.Choice(["1-min", "10-min"]),
    default="1-min",
    show_default=True,
    help="Averaging period of the track's maximum wind (JMA tracks are 10-min). With "
    "--peak-from pressure only points whose pressure is estimated from the wind use it.",
)
@click.option(
    "--peak-from",
    type=click.Choice(list(PEAK_SOURCES)),
    default="pressure",
    show_default=True,
    help="Where each point's peak wind comes from. pressure: Holland (2008) from the "
    "central and environmental pressure, the track's wind unused (on Hurricane Irma 2017 "
    "within 10 % of the observed wind at 32 of 89 hurricane-stage times: "
    "validation/irma). track-wind: the track's own 1-minute wind less the motion "
    "(CLIMADA's H1980), so the field's peak is the track's wind, except where a weak wind "
    "meets a deep pressure (over land) and Holland's B is held at 1: the peak is then "
    "higher; points without a wind get one estimated from the pressure.",
)
@click.option(
    "--storm",
    default=None,
    help="IBTrACS files: SID (or NAME) of the storm when the file holds several.",
)
@click.option(
    "--overwrite",
    is_flag=True,
    help="Replace an existing hazard grid mecc wrote (never another file, nor an input).",
)
@click.pass_context
def hazard_cyclone(
    ctx,
    track,
    out_path,
    like,
    bounds,
    resolution,
    crs,
    track_averaging,
    peak_from,
    storm,
    overwrite,
):
    """Maximum 1-minute sustained wind at 10 m from a track (Holland profile).

    TRACK is a best-track CSV or an IBTrACS v4 CSV (each agency's wind converted to
    1-minute sustained wind). A best-track CSV has time_utc (YYYYMMDDHH or ISO 8601,
    UTC), lat, lon (-180 to 180 or 0 to 360), vmax_kt (knots) and/or pressure_hpa
    (central, hPa), and optionally env_pressure_hpa (hPa; 1010 when absent) and
    rmax_nmi (radius of maximum wind, nautical miles). Empty cells and 0 are missing: a
    point with a wind but no pressure gets its pressure from its wind (and the other way
    round); points with neither are interpolated in time.
    """
    from hazards.cyclone import write_cyclone

    grid = _grid_arguments(ctx, like, bounds, resolution, crs)
    out = write_cyclone(
        track,
        out_path,
        track_averaging=track_averaging,
        b_parameter=PEAK_SOURCES[peak_from],
        overwrite=overwrite,
        storm=storm,
        **grid,
    )
    if not ctx.obj["quiet"]:
        click.echo(f"wrote {out}")


@hazard_group.command("earthquake")
@click.option(
    "--magnitude",
    type=float,
    required=True,
    help="Moment magnitude Mw, 5 to 9.5 (the equation is fitted to about 5-7.9; above "
    "7.9 it is extrapolated, with a warning).",
)
@click.option("--lat", type=float, required=True, help="Epicentre latitude, -90 to 90 (WGS 84).")
@click.option("--lon", type=float, required=True, help="Epicentre longitude, -180 to 180 (WGS 84).")
@click.option("--depth-km", type=float, required=True, help="Hypocentre depth in km, 0 to 700.")
@click.option(
    "--strike",
    type=float,
    default=None,
    help="Fault strike in degrees clockwise from north, 0 to <360: a finite rupture "
    "(Wells & Coppersmith 1994 size) and rupture distance Rrup.",
)
@click.option(
    "--dip",
    type=float,
    default=None,
    help="Fault dip in degrees, >0 to 90, to the right of the strike; only with "
    "--strike. Default: 90 (vertical).",
)
@_GEOTIFF_OUT
@_grid_options
@click.option(
    "--overwrite",
    is_flag=True,
    help="Replace an existing hazard grid mecc wrote (never another file, nor an input).",
)
@click.pass_context
def hazard_earthquake(
    ctx,
    magnitude,
    lat,
    lon,
    depth_km,
    strike,
    dip,
    out_path,
    like,
    bounds,
    resolution,
    crs,
    overwrite,
):
    """Modified Mercalli intensity (MMI) from an intensity prediction equation.

    The equation is Allen, Wald & Worden (2012, J. Seismology 16:409-433), active
    crust, median shaking without site amplification: without --strike the
    hypocentral form (distance Rhypo, the rupture a point at the hypocentre); with
    --strike the rupture-distance form (Rrup to a Wells & Coppersmith 1994 rectangle).
    Magnitudes below 5 are refused (the equation was fitted to about M 5-7.9); a grid
    on which no cell reaches MMI 1.5 (class II) is written with a warning.
    """
    from hazards.earthquake import write_earthquake

    options = {} if dip is None else {"dip": dip}
    out = write_earthquake(
        out_path,
        magnitude=magnitude,
        lat=lat,
        lon=lon,
        depth_km=depth_km,
        strike=strike,
        overwrite=overwrite,
        **_grid_arguments(ctx, like, bounds, resolution, crs),
        **options,
    )
    if not ctx.obj["quiet"]:
        click.echo(f"wrote {out}")


@hazard_group.command("flood")
@click.argument("dem", type=click.Path(dir_okay=False))
@click.option(
    "--out",
    "out_path",
    required=True,
    type=click.Path(),
    help="GeoTIFF to write (a folder with --return-period).",
)
@click.option("--water-level", type=float, default=None, help="Water level in the DEM's datum (m).")
@click.option(
    "--channel-height",
    type=float,
    default=None,
    help="Water height above the channel (m), with --hand or --river.",
)
@click.option(
    "--hand",
    "hand_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Height-above-nearest-drainage raster.",
)
@click.option(
    "--river",
    "river_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="River mask raster (non-zero = river).",
)
@click.option(
    "--sources",
    "sources_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Where the water comes from (mask raster; default: the sea).",
)
@click.option(
    "--return-period",
    "return_periods",
    multiple=True,
    metavar="RP=LEVEL",
    help="One grid per return period, e.g. 100=2.3 (repeat).",
)
@click.option(
    "--like", type=click.Path(dir_okay=False), default=None, help="Write on this raster's grid."
)
@click.option("--connectivity", type=click.Choice(["4", "8"]), default="8", show_default=True)
@click.option(
    "--overwrite",
    is_flag=True,
    help="Replace an existing hazard grid mecc wrote, never another file nor an input "
    "(with --return-period: the earlier set of grids, whole).",
)
@click.pass_context
def hazard_flood(
    ctx,
    dem,
    out_path,
    water_level,
    channel_height,
    hand_path,
    river_path,
    sources_path,
    return_periods,
    like,
    connectivity,
    overwrite,
):
    """Water depth from a DEM: a connected water level, or height above drainage.

    Heights below -500 m (lower than any land on Earth) are refused as undeclared
    nodata. With --return-period, --out is a folder (its parent must exist) holding
    one set of flood_rpNNNN.tif grids; --overwrite replaces an earlier set there whole.
    """
    from hazards import flood

    options = {
        "hand_path": hand_path,
        "river_path": river_path,
        "sources_path": sources_path,
        "like": like,
        "connectivity": int(connectivity),
    }
    if return_periods:
        if water_level is not None or channel_height is not None:
            raise click.UsageError(
                "give --return-period RP=LEVEL or one --water-level/--channel-height, not both"
            )
        levels = {}
        for item in return_periods:
            rp, sep, level = item.partition("=")
            try:
                period, value = float(rp), float(level)
            except ValueError:
                raise click.UsageError(
                    f"--return-period {item!r}: use RP=LEVEL, e.g. 100=2.3"
                ) from None
            if not sep:
                raise click.UsageError(f"--return-period {item!r}: use RP=LEVEL, e.g. 100=2.3")
            if period in levels:
                raise click.UsageError(
                    f"--return-period {item!r}: return period {period:g} is given twice "
                    f"(also ={levels[period]:g}); give each return period once"
                )
            levels[period] = value
        written = flood.write_flood_return_periods(
            dem, out_path, levels, overwrite=overwrite, **options
        )
    else:
        if (water_level is None) == (channel_height is None):
            raise click.UsageError(
                "give exactly one of --water-level or --channel-height "
                "(or --return-period RP=LEVEL)"
            )
        if channel_height is not None and hand_path is None and river_path is None:
            raise click.UsageError(
                "--channel-height needs --hand (a HAND grid) or --river (a river mask)"
            )
        if water_level is not None and (hand_path is not None or river_path is not None):
            raise click.UsageError(
                "--hand and --river apply with --channel-height, not --water-level"
            )
        if os.path.isdir(out_path):  # as click.Path(dir_okay=False) tells cyclone's --out
            raise click.BadParameter(
                f"File {out_path!r} is a directory (a folder of grids is written with "
                "--return-period RP=LEVEL)",
                ctx=ctx,
                param_hint="'--out'",
            )
        _geotiff_out(ctx, None, out_path)  # a folder is --out only with --return-period
        written = [
            flood.write_flood(
                dem,
                out_path,
                water_level=water_level,
                channel_height=channel_height,
                overwrite=overwrite,
                **options,
            )
        ]
    if not ctx.obj["quiet"]:
        for path in written:
            click.echo(f"wrote {path}")


COMMANDS = [curves_group, hazard_group]
