"""Commands that run countries: ``mecc run``, ``mecc demo``, ``mecc compare``."""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from pathlib import Path

import click

from mecc.commands.progress import StageBars, bars_wanted


def _echo_json(record) -> None:
    click.echo(json.dumps(record, indent=2, ensure_ascii=False))


def _run_record(out_dir, summary: dict, warnings: list) -> dict:
    """What ``mecc run --json`` prints for one run."""
    from mecc.headlines import headlines

    out_dir = Path(out_dir)
    return {
        "out_dir": str(out_dir),
        "map": str(out_dir / "map.html") if (out_dir / "map.html").exists() else None,
        "country": summary.get("country"),
        "name": summary.get("name"),
        "modelled_estimate": True,
        "population_total": summary.get("population_total"),
        "headlines": headlines(summary),
        "warnings": list(warnings),
    }


def _print_run(out_dir, summary: dict, indent: str = "  ") -> None:
    from mecc.headlines import format_headline, headlines

    out_dir = Path(out_dir)
    if (out_dir / "map.html").exists():
        click.echo(f"{indent}map: {out_dir / 'map.html'}")
    for record in headlines(summary):
        click.echo(f"{indent}{format_headline(record)}")


def _read_summary(out_dir) -> dict:
    return json.loads((Path(out_dir) / "summary.json").read_text(encoding="utf-8"))


@click.command("run")
@click.argument(
    "run_files", nargs=-1, required=True, type=click.Path(dir_okay=False), metavar="RUN_FILE..."
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Run folder to create; with several run files, the folder that gets one "
    "<file stem>/ per run and batch.csv.",
)
@click.option(
    "--overwrite",
    is_flag=True,
    help="Replace an existing run folder (several run files: the whole batch folder).",
)
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
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout.")
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
    ctx,
    run_files,
    out_dir,
    overwrite,
    threads,
    block_size,
    no_map,
    as_json,
    jobs,
    dask_address,
    chunk_size,
):
    """Run RUN_FILE into --out; several run files run one after another (or --jobs at once).

    \b
    One run file:    mecc run ken.yaml --out runs/ken
    Several:         mecc run ken.yaml uga.yaml --out runs   (runs/ken/, runs/uga/, runs/batch.csv)
    On Dask:         mecc run ken.yaml --out runs/ken --dask local

    A failed run leaves nothing behind; an existing run folder is replaced only with
    --overwrite, and with several files the whole batch folder is (no earlier run stays
    beside the new ones). With several files the exit code is the worst of the runs'.
    """
    from mecc.cluster import dask_client

    _refuse_idle_options(len(run_files), jobs, dask_address, chunk_size)
    options = {
        "overwrite": overwrite,
        "threads": threads,
        "block_shape": (block_size, block_size) if block_size else None,
        "with_map": not no_map,
    }
    quiet = ctx.obj["quiet"]
    if len(run_files) > 1 and bars_wanted(quiet):  # a person watching: say it once
        _note_jobs_on_few_cores(jobs)
    say = (lambda line: click.echo(line, err=True)) if bars_wanted(quiet) else None
    with dask_client(dask_address, say) if dask_address is not None else _no_client() as client:
        if client is not None and not quiet:
            click.echo(f"Dask dashboard: {client.dashboard_link}", err=True)
        with StageBars(bars_wanted(quiet)) as bars:
            if len(run_files) == 1:
                single = {
                    **options,
                    "dask": client,
                    "chunk_shape": (chunk_size, chunk_size) if chunk_size else None,
                }
                _run_one(run_files[0], out_dir, single, bars, quiet, as_json)
                return
            batch = {**options, "jobs": jobs, "dask": client}
            exit_code = _run_many(list(run_files), out_dir, batch, bars, quiet, as_json)
    ctx.exit(exit_code)


def _note_jobs_on_few_cores(jobs: int) -> None:
    """One line when ``--jobs`` asks for as many runs at once as a small machine has
    cores: each run already keeps every core busy, and each process starts cold."""
    cores = os.cpu_count() or 1
    if jobs > 1 and cores <= 2 and jobs >= cores:
        click.echo(
            f"note: --jobs {jobs} on a machine of {cores} core{'s' if cores != 1 else ''}: "
            "a run alone already uses every core, so runs one after another (no --jobs) "
            "are usually faster here",
            err=True,
        )


def _refuse_idle_options(files: int, jobs: int, dask_address, chunk_size) -> None:
    """Options that would do nothing are usage errors, as other conflicting options are
    (an empty ``--dask ""``, e.g. an unset shell variable, asks for no cluster at all)."""
    if dask_address is not None and not dask_address.strip():
        raise click.UsageError(
            f"--dask {dask_address!r}: no address (an unset variable?); give 'local' or a "
            "scheduler address tcp://HOST:PORT, or leave --dask out to run here"
        )
    if chunk_size is not None and dask_address is None:
        raise click.UsageError("--chunk-size applies with --dask only")
    if chunk_size is not None and files > 1:
        raise click.UsageError(
            "--chunk-size applies to one run file only (with several, each file is one Dask task)"
        )
    if jobs > 1 and dask_address is not None:
        raise click.UsageError(
            "give --jobs or --dask, not both (with --dask the Dask workers run the files)"
        )
    if jobs > 1 and files == 1:
        raise click.UsageError(
            "--jobs applies to several run files (one run uses --threads, or --dask)"
        )


@contextmanager
def _imports_frozen():
    """Leave the objects of the modules imported so far out of garbage collection
    while a run lasts (``gc.freeze``; undone after it).

    The run allocates many objects, and each full collection walked every object of
    numpy, pandas, numba and rasterio again: 0.3 s of a 7 s run of the bench country
    (6.70-6.76 s against 7.00-7.20 s, three runs each).
    """
    import gc

    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _run_one(run_file, out_dir, options, bars, quiet, as_json) -> None:
    from mecc.run import run_country

    with _imports_frozen():
        result = run_country(run_file, out_dir, progress=bars, **options)
    bars.close()  # the bars end before the result is printed
    if as_json:
        _echo_json(_run_record(result.out_dir, result.summary, result.warnings))
    elif not quiet:
        click.echo(f"wrote {result.out_dir}")
        _print_run(result.out_dir, result.summary)
    _print_warnings(result.warnings, quiet)


def _print_warnings(messages, quiet) -> None:
    """The run's warnings (those manifest.json records), one ``warning:`` line each on
    stderr after the command's output (README, Messages and exit codes); none with -q."""
    if not quiet:
        for message in messages:
            click.echo(f"warning: {message}", err=True)


def _recorded_warnings(run_dir) -> list:
    """The warnings a finished run recorded (manifest.json ``warnings``)."""
    manifest = json.loads((Path(run_dir) / "manifest.json").read_text(encoding="utf-8"))
    return list(manifest.get("warnings") or [])


def _run_many(run_files, out_dir, options, bars, quiet, as_json) -> int:
    from mecc.batch import run_batch

    batch = run_batch(run_files, out_dir, progress=bars, **options)
    bars.close()
    for row in batch.rows:
        if row["exit_code"] != 0:
            click.echo(f"error: {_naming(row['run_file'], row['message'])}", err=True)
    if as_json:
        runs = []
        for row in batch.rows:
            record = dict(row)
            if row["exit_code"] == 0:
                summary = _read_summary(row["out_dir"])
                record["headlines"] = _run_record(row["out_dir"], summary, [])["headlines"]
            runs.append(record)
        _echo_json(
            {
                "out_dir": str(batch.out_dir),
                "batch_csv": str(batch.out_dir / "batch.csv"),
                "exit_code": batch.exit_code,
                "runs": runs,
                "earlier_runs": list(batch.earlier),  # listed first in batch.csv
            }
        )
    elif not quiet:
        click.echo(f"wrote {batch.out_dir / 'batch.csv'} ({_counted(batch)})")
        for row in batch.rows:
            if row["exit_code"] == 0:
                click.echo(f"  {row['out_dir']}")
                _print_run(row["out_dir"], _read_summary(row["out_dir"]), indent="    ")
            else:
                click.echo(f"  {row['run_file']}: {row['status']} (exit {row['exit_code']})")
    return batch.exit_code


def _counted(batch) -> str:
    """The runs batch.csv lists and how many ended well: "2 of 3 runs ok", or with the
    rows of an earlier, stopped batch "4 runs listed, 4 ok: 2 earlier, 2 now"."""
    ok = sum(row["exit_code"] == 0 for row in batch.rows)
    if not batch.earlier:
        return f"{ok} of {len(batch.rows)} runs ok"
    before = sum(row.get("exit_code") == 0 for row in batch.earlier)
    listed = len(batch.earlier) + len(batch.rows)
    return f"{listed} runs listed, {ok + before} ok: {before} earlier, {ok} now"


def _naming(run_file: str, message: str) -> str:
    """A run's error message led by its run file, named once (a message about the run
    file itself names it already, at times by its file name alone)."""
    message = str(message)
    for named in (f"{run_file}: ", f"{Path(run_file).name}: "):
        if message.startswith(named):
            message = message[len(named) :]
            break
    return f"{run_file}: {message}"


@contextmanager
def _no_client():
    yield None


DEMO_PACK_LANGS = ("en",)
"""Languages of the demo's training pack (``mecc training build`` builds any others)."""


def _demo_training(threads):
    """The demo's training pack: ``mecc training build`` with every module in English."""
    from functools import partial

    from training_modules.pack import build_pack, refuse_losing_work

    return partial(build_pack, langs=list(DEMO_PACK_LANGS), threads=threads), refuse_losing_work


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
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout.")
@click.pass_context
def demo_command(ctx, out_dir, overwrite, threads, as_json):
    """Build the fictional demo country and run it end to end (no download).

    Writes inputs/, run/ (tables, Sendai tables, map), profiles/ (one page per admin
    unit) and training/ (the training pack: every module in English).
    """
    from mecc.demo import build_demo

    quiet = ctx.obj["quiet"]
    training, keep_work = _demo_training(threads)
    with StageBars(bars_wanted(quiet)) as bars:
        out = build_demo(
            out_dir,
            overwrite=overwrite,
            threads=threads,
            progress=bars,
            training=training,
            keep_work=keep_work,
        )
    run = out / "run"
    summary = _read_summary(run)
    warned = _recorded_warnings(run)  # the run's, as mecc run prints them
    profiles = Path("profiles") / "profiles.html"
    pack = Path("training") / DEMO_PACK_LANGS[0] / "index.html"
    if as_json:
        record = _run_record(run, summary, warned)
        record.update(
            demo=str(out),
            inputs=str(out / "inputs"),
            profiles=str(out / profiles),
            training=str(out / "training"),
            fictional=True,
        )
        _echo_json(record)
    elif not quiet:  # the folder as the user gave it (README's tour shows demo-output/...)
        shown = Path(out_dir)
        click.echo(
            f"wrote {shown} (fictional demo country: inputs/, run/, profiles/ and training/)"
        )
        _print_run(shown / "run", summary)
        click.echo(f"  profiles: {shown / profiles}")
        click.echo(f"  training pack: {shown / pack}")
        click.echo(f"open {shown / 'run' / 'map.html'} in a browser (works with no network)")
    _print_warnings(warned, quiet)


@click.command("compare")
@click.argument("base_run", type=click.Path(file_okay=False))
@click.argument("future_run", type=click.Path(file_okay=False))
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder to create for compare.csv (outside both run folders).",
)
@click.option("--overwrite", is_flag=True, help="Replace an existing output folder.")
@click.pass_context
def compare_command(ctx, base_run, future_run, out_dir, overwrite):
    """Change of each zone's figures between two finished runs (compare.csv)."""
    from mecc.compare import compare_runs

    out = compare_runs(base_run, future_run, out_dir, overwrite=overwrite)
    if not ctx.obj["quiet"]:
        click.echo(f"wrote {out}")


COMMANDS = [run_command, demo_command, compare_command]
