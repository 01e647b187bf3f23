"""The ``mecc`` command line: parse options, call one tool, turn errors into exit codes.

No computation happens here. Library errors (:class:`mecc.errors.MeccError`) become one
line on stderr and their exit code (1 bad data, 2 bad usage); anything else is a bug
(exit 3, with where to report it). ``-v`` shows tracebacks.
"""

from __future__ import annotations

import sys

import click

REPORT_BUGS = "https://github.com/mecc-toolkit/mecc/issues"


def _version() -> str:
    from mecc import __version__

    return __version__


class _Group(click.Group):
    """Maps toolkit errors to one line and an exit code for every command."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except Exception as error:  # noqa: BLE001 - the one place errors become exit codes
            from mecc.errors import EXIT_INTERNAL, MeccError

            verbose = (ctx.obj or {}).get("verbose", 0)
            if verbose:
                import traceback

                traceback.print_exc()
            if isinstance(error, MeccError):
                click.echo(f"error: {error}", err=True)
                ctx.exit(error.exit_code)
            click.echo(
                f"internal error: {type(error).__name__}: {error}\n"
                f"This is a bug in mecc; please report it at {REPORT_BUGS} "
                "with the command and the output of 'mecc -v ...'.",
                err=True,
            )
            ctx.exit(EXIT_INTERNAL)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version=_version(), prog_name="mecc", message="%(prog)s %(version)s")
@click.option("-v", "--verbose", count=True, help="Show tracebacks and more detail.")
@click.option("-q", "--quiet", is_flag=True, help="Print errors only.")
@click.pass_context
def main(ctx, verbose, quiet):
    """MECC toolkit: disaster-displacement risk for Sendai reporting and training.

    Run a country from its run file with 'mecc run RUN.yaml --out DIR'.
    """
    ctx.ensure_object(dict)
    ctx.obj["verbose"] = verbose
    ctx.obj["quiet"] = quiet


@main.command("run")
@click.argument("run_file", type=click.Path(dir_okay=False))
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Run folder to create.",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing run folder.")
@click.option(
    "--threads",
    default=None,
    type=click.IntRange(1, 256),
    help="Blocks processed at once (default: one per CPU; results do not depend on it).",
)
@click.option(
    "--block-size",
    default=None,
    type=click.IntRange(16, 1 << 16),
    help="Rows and columns per block (default 256 x 2048).",
)
@click.option("--no-map", is_flag=True, help="Leave out map.html (make it later with mecc map).")
@click.pass_context
def run_command(ctx, run_file, out_dir, overwrite, threads, block_size, no_map):
    """Run one country from RUN_FILE and write its outputs to --out."""
    from mecc.run import run_country

    block = (block_size, block_size) if block_size else None
    result = run_country(
        run_file,
        out_dir,
        overwrite=overwrite,
        threads=threads,
        block_shape=block,
        with_map=not no_map,
    )
    if not ctx.obj["quiet"]:
        for message in result.warnings:
            click.echo(f"warning: {message}", err=True)
        click.echo(f"wrote {result.out_dir}")
        if (result.out_dir / "map.html").exists():
            click.echo(f"  map: {result.out_dir / 'map.html'}")
        for hazard_id, item in result.summary["hazards"].items():
            headline = item.get("aad", item.get("displaced"))
            label = "AAD" if "aad" in item else "displaced"
            click.echo(f"  {hazard_id}: {label} {headline:,.1f} people (modelled estimate)")


@main.command("demo")
@click.option(
    "--out",
    "out_dir",
    default="mecc-demo",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Folder to create.",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing demo folder.")
@click.option(
    "--threads",
    default=None,
    type=click.IntRange(1, 256),
    help="Blocks processed at once (default: one per CPU; results do not depend on it).",
)
@click.pass_context
def demo_command(ctx, out_dir, overwrite, threads):
    """Build the fictional demo country and run it end to end (no download)."""
    from mecc.demo import build_demo

    out = build_demo(out_dir, overwrite=overwrite, threads=threads)
    if not ctx.obj["quiet"]:
        click.echo(f"wrote {out} (fictional demo country: inputs/ and run/)")
        click.echo(f"open {out / 'run' / 'map.html'} in a browser (works with no network)")


@main.command("compare")
@click.argument("base_run", type=click.Path(file_okay=False))
@click.argument("future_run", type=click.Path(file_okay=False))
@click.option(
    "--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Folder to create."
)
@click.pass_context
def compare_command(ctx, base_run, future_run, out_dir):
    """Change of each zone's figures between two finished runs (compare.csv)."""
    from mecc.futures import compare_runs

    out = compare_runs(base_run, future_run, out_dir)
    if not ctx.obj["quiet"]:
        click.echo(f"wrote {out}")


@main.group("curves")
def curves_group():
    """The built-in displacement curves, with sources and evidence grades."""


@curves_group.command("list")
@click.option("--hazard", "hazard_type", default=None, help="Only curves for this hazard type.")
def curves_list(hazard_type):
    """List the built-in curves."""
    from hazards.library import describe_entries

    click.echo("\n".join(describe_entries(hazard_type)))


@curves_group.command("show")
@click.argument("name")
def curves_show(name):
    """Show one curve: source, evidence grade and every variant."""
    from hazards.library import describe_entry

    click.echo("\n".join(describe_entry(name)))


def _grid_options(command):
    """--like, or --bounds with --resolution and --crs: the grid a generator fills."""
    command = click.option(
        "--crs", default="EPSG:4326", show_default=True, help="CRS of --bounds."
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
        help="Extent of the grid in CRS units.",
    )(command)
    return click.option(
        "--like",
        type=click.Path(dir_okay=False),
        default=None,
        help="Copy the grid of this raster.",
    )(command)


def _grid_arguments(like, bounds, resolution, crs) -> dict:
    return {"like": like, "bounds": bounds or None, "resolution": resolution, "crs": crs}


@main.group("hazard")
def hazard_group():
    """Generate hazard scenario grids (GeoTIFF) from a track, a DEM or an earthquake."""


@hazard_group.command("cyclone")
@click.argument("track", type=click.Path(dir_okay=False))
@click.option(
    "--out", "out_path", required=True, type=click.Path(dir_okay=False), help="GeoTIFF to write."
)
@_grid_options
@click.option(
    "--track-averaging",
    type=click.Choice(["1-min", "10-min"]),
    default="1-min",
    show_default=True,
    help="Averaging period of the track's maximum wind (JMA tracks are 10-min).",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing file.")
@click.pass_context
def hazard_cyclone(ctx, track, out_path, like, bounds, resolution, crs, track_averaging, overwrite):
    """Maximum 1-minute sustained wind at 10 m from a track (Holland profile)."""
    from hazards.cyclone import write_cyclone

    grid = _grid_arguments(like, bounds, resolution, crs)
    out = write_cyclone(
        track, out_path, track_averaging=track_averaging, overwrite=overwrite, **grid
    )
    if not ctx.obj["quiet"]:
        click.echo(f"wrote {out}")


@hazard_group.command("earthquake")
@click.option("--magnitude", type=float, required=True, help="Moment magnitude.")
@click.option("--lat", type=float, required=True, help="Epicentre latitude.")
@click.option("--lon", type=float, required=True, help="Epicentre longitude.")
@click.option("--depth-km", type=float, required=True, help="Hypocentre depth in km.")
@click.option(
    "--strike", type=float, default=None, help="Fault strike in degrees (finite rupture)."
)
@click.option("--dip", type=float, default=None, help="Fault dip in degrees (with --strike).")
@click.option(
    "--out", "out_path", required=True, type=click.Path(dir_okay=False), help="GeoTIFF to write."
)
@_grid_options
@click.option("--overwrite", is_flag=True, help="Replace an existing file.")
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
    """Modified Mercalli intensity from an intensity prediction equation."""
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
        **_grid_arguments(like, bounds, resolution, crs),
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
@click.option("--overwrite", is_flag=True, help="Replace existing files.")
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
    """Water depth from a DEM: a connected water level, or height above drainage."""
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
                levels[float(rp)] = float(level)
            except ValueError:
                raise click.UsageError(
                    f"--return-period {item!r}: use RP=LEVEL, e.g. 100=2.3"
                ) from None
            if not sep:
                raise click.UsageError(f"--return-period {item!r}: use RP=LEVEL, e.g. 100=2.3")
        written = flood.write_flood_return_periods(
            dem, out_path, levels, overwrite=overwrite, **options
        )
    else:
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


@main.group("population")
def population_group():
    """Build population grids (from census tables per admin unit)."""


@population_group.command("from-census")
@click.argument("zones", type=click.Path(dir_okay=False))
@click.argument("table", type=click.Path(dir_okay=False))
@click.option(
    "--out", "out_path", required=True, type=click.Path(dir_okay=False), help="GeoTIFF to write."
)
@click.option("--code-field", required=True, help="Unit code field in ZONES (e.g. ADM3_PCODE).")
@click.option("--table-code", required=True, help="Code column of TABLE.")
@click.option("--table-value", required=True, help="People column of TABLE.")
@click.option("--name-field", default=None, help="Unit name field in ZONES (for reports).")
@click.option("--layer", default=None, help="Layer of ZONES (GeoPackage).")
@click.option(
    "--resolution", type=float, default=None, help="Cell size in the units' CRS (e.g. 0.02)."
)
@click.option(
    "--like", type=click.Path(dir_okay=False), default=None, help="Copy the grid of this raster."
)
@click.option(
    "--weights",
    type=click.Path(dir_okay=False),
    default=None,
    help="Settlement / built-up raster: spread people in proportion to it.",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing file.")
@click.pass_context
def population_from_census(ctx, zones, table, out_path, **options):
    """Spread census counts per unit (TABLE) over the units' polygons (ZONES) onto a grid.

    Each unit's count goes uniformly to the cells whose centre lies in it (or in
    proportion to --weights); a unit too small to hold a cell centre puts its people in
    the cell holding its representative point. Every unit's total is kept exactly.
    """
    import warnings

    from exposure.census import write_census_population
    from mecc.errors import MeccWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MeccWarning)
        report = write_census_population(zones, table, out_path, **options)
    if not ctx.obj["quiet"]:
        for message in report.notes:
            click.echo(f"warning: {message}", err=True)
        click.echo(
            f"wrote {report.out_path}: {report.placed_total:,.0f} people in "
            f"{len(report.units)} units on {report.grid.width} x {report.grid.height} cells "
            f"(table: {report.table_total:,.0f})"
        )


@main.command("evaluate")
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option(
    "--observed",
    "observed_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="CSV of observed figures per zone.",
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder to create for the report (outside the run folder).",
)
@click.option(
    "--code-column", default="zone_code", show_default=True, help="Zone-code column of --observed."
)
@click.option("--value-column", default="value", show_default=True, help="Value column.")
@click.option(
    "--measure",
    type=click.Choice(["destroyed_houses", "damaged_houses", "displaced_people"]),
    default="displaced_people",
    show_default=True,
    help="What the observed values count.",
)
@click.option(
    "--measure-column",
    default=None,
    help="Column saying what each row measures (rows of other measures are skipped).",
)
@click.option(
    "--household-size",
    type=float,
    default=None,
    help="People per household: modelled houses = modelled displaced people / this.",
)
@click.option("--hazard", default=None, help="Hazard id of the run (when it has several).")
@click.option(
    "--threshold",
    type=float,
    default=100.0,
    show_default=True,
    help="Hit / miss / false-alarm threshold, in the measure's unit (at or above).",
)
@click.option(
    "--national-observed",
    type=float,
    default=None,
    help="Official national figure of the measure (shown next to the sum of the rows).",
)
@click.option(
    "--context",
    multiple=True,
    metavar="LABEL=PEOPLE",
    help="Another observed figure in people, shown for context (repeat).",
)
@click.option("--title", default=None, help="Title of the report.")
@click.option("--overwrite", is_flag=True, help="Replace an existing report folder.")
@click.pass_context
def evaluate_command(ctx, run_dir, observed_path, out_dir, **options):
    """Compare a finished run's per-zone figures with observed ones (writes --out).

    Statistics use the observed zones only: a zone missing from --observed was not
    reported and is not counted as zero. The run folder is never modified.
    """
    import warnings

    from mecc.errors import MeccWarning
    from mecc.evaluate import evaluate_run

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MeccWarning)
        result = evaluate_run(run_dir, observed_path, out_dir, **options)
    if not ctx.obj["quiet"]:
        for message in result.notes:
            click.echo(f"warning: {message}", err=True)
        figures = result.figures
        national, zones = figures["national"], figures["zones"]
        unit = figures["observed"]["unit"]
        span = ""
        if "modelled_low" in national:
            span = f" (range {national['modelled_low']:,.0f} - {national['modelled_high']:,.0f})"
        click.echo(f"wrote {result.out_dir}")
        click.echo(
            f"  national: modelled {national['modelled']:,.0f}{span} vs observed "
            f"{national['observed']:,.0f} {unit} (modelled estimate vs observation)"
        )
        click.echo(
            f"  {zones['zones']} observed zones: log correlation {zones['pearson_log1p']:.2f}, "
            f"Spearman {zones['spearman']:.2f}, median ratio {zones['median_ratio']:.2f}"
        )


@main.command("map")
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder to write map.html into (not the run folder).",
)
@click.option(
    "--lang",
    type=click.Choice(["en", "fr", "es"]),
    default="en",
    show_default=True,
    help="Language of the map's labels.",
)
@click.option("--title", default=None, help="Map title (default: from the run's country name).")
@click.option(
    "--inputs",
    "inputs_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder of the run file, if the hazard grids have moved since the run.",
)
@click.pass_context
def map_command(ctx, run_dir, out_dir, lang, title, inputs_dir):
    """Write an interactive map of a finished run that works with no network."""
    from mecc.maps import write_map

    out = write_map(run_dir, out_dir, lang=lang, title=title, inputs_dir=inputs_dir)
    if not ctx.obj["quiet"]:
        click.echo(f"wrote {out}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
