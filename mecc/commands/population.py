"""Population commands: ``mecc population from-census``."""

from __future__ import annotations

import click


@click.group("population")
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
    "--resolution",
    type=float,
    default=None,
    help="Cell size in the units of the zones' CRS: degrees for EPSG:4326 (e.g. 0.02), "
    "metres for a projected CRS.",
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
@click.option(
    "--overwrite",
    is_flag=True,
    help="Replace an existing population grid this command wrote (never another file, "
    "nor an input).",
)
@click.pass_context
def population_from_census(ctx, zones, table, out_path, **options):
    """Spread census counts per unit (TABLE) over the units' polygons (ZONES) onto a grid.

    Each unit's count goes uniformly to the cells whose centre lies in it (or in
    proportion to --weights); a unit too small to hold a cell centre puts its people in
    the cell holding its representative point (a run on the grid counts them in the unit
    holding that cell, or outside every unit; the warning says which). Every unit's total
    is kept exactly. A --like grid holding none of the units is refused.
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
        click.echo(f"wrote {report.out_path}: {census_summary(report)}")


def census_summary(report) -> str:
    """The line after ``wrote FILE:``: people placed, the units that received people (of
    all units of the layer), the grid and the table's total, e.g. ``835,000 people in 4
    of 6 units on 120 x 80 cells (table: 900,000)``."""
    units = report.units
    received = int((units["placed"].fillna(0) > 0).sum()) if len(units) else 0
    counted = f"{received} of {len(units)}" if received != len(units) else f"{len(units)}"
    return (
        f"{report.placed_total:,.0f} people in {counted} units on {report.grid.width} x "
        f"{report.grid.height} cells (table: {report.table_total:,.0f})"
    )


COMMANDS = [population_group]
