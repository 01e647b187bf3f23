"""Commands that run countries: ``mecc run``, ``mecc demo``, ``mecc compare``."""

from __future__ import annotations

import click


@click.command("run")
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
        headlines = (("aad", "AAD"), ("displaced", "displaced"))
        headlines += (("at_risk_relocation", "at risk of planned relocation"),)
        for hazard_id, item in result.summary["hazards"].items():
            figure, label = next(((f, t) for f, t in headlines if item.get(f) is not None), (0, 0))
            if figure:
                click.echo(f"  {hazard_id}: {label} {item[figure]:,.1f} people (modelled estimate)")


@click.command("demo")
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


@click.command("compare")
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


COMMANDS = [run_command, demo_command, compare_command]
