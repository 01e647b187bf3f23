"""Commands that run countries: ``mecc run``, ``mecc demo``, ``mecc compare``."""

from __future__ import annotations

from contextlib import contextmanager

import click


@click.command("run")
@click.argument(
    "run_files", nargs=-1, required=True, type=click.Path(dir_okay=False), metavar="RUN_FILE..."
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Run folder to create (several run files: one <file stem>/ each and batch.csv).",
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
@click.option(
    "--jobs",
    default=1,
    type=click.IntRange(1, 1024),
    help="Several run files: how many run at once, in separate processes.",
)
@click.option(
    "--dask",
    "dask_address",
    default=None,
    metavar="local|tcp://HOST:PORT",
    help="Run on Dask: 'local' (a cluster on this machine) or a scheduler address. One run "
    "file: its grid in chunks, one task each (same numbers); several: one task per file.",
)
@click.option(
    "--chunk-size",
    default=None,
    type=click.IntRange(16, 1 << 20),
    help="With --dask and one run file: rows and columns per task, rounded up to whole "
    "blocks (default 2048 x 4096).",
)
@click.pass_context
def run_command(
    ctx, run_files, out_dir, overwrite, threads, block_size, no_map, jobs, dask_address, chunk_size
):
    """Run RUN_FILE into --out; several run files make a batch (batch.csv)."""
    from mecc.cluster import dask_client
    from mecc.run import run_batch, run_country

    quiet = ctx.obj["quiet"]
    block = (block_size, block_size) if block_size else None
    with dask_client(dask_address) if dask_address else _no_client() as client:
        if client is not None and not quiet:
            click.echo(f"Dask dashboard: {client.dashboard_link}")
        if len(run_files) > 1:
            batch = run_batch(
                run_files,
                out_dir,
                overwrite=overwrite,
                threads=threads,
                block_shape=block,
                with_map=not no_map,
                jobs=jobs,
                dask=client,
            )
            if not quiet:
                for row in batch.rows:
                    click.echo(f"{row['status']}: {row['run_file']} -> {row['out_dir']}")
                    if row["message"]:
                        click.echo(f"  {row['message']}", err=True)
                click.echo(f"wrote {batch.out_dir / 'batch.csv'}")
            ctx.exit(batch.exit_code)
        result = run_country(
            run_files[0],
            out_dir,
            overwrite=overwrite,
            threads=threads,
            block_shape=block,
            with_map=not no_map,
            dask=client,
            chunk_shape=(chunk_size, chunk_size) if chunk_size else None,
        )
    if not quiet:
        for message in result.warnings:
            click.echo(f"warning: {message}", err=True)
        click.echo(f"wrote {result.out_dir}")
        if (result.out_dir / "map.html").exists():
            click.echo(f"  map: {result.out_dir / 'map.html'}")
        for hazard_id, item in result.summary["hazards"].items():
            headline = item.get("aad", item.get("displaced"))
            label = "AAD" if "aad" in item else "displaced"
            click.echo(f"  {hazard_id}: {label} {headline:,.1f} people (modelled estimate)")


@contextmanager
def _no_client():
    yield None


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
