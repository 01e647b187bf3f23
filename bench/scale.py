"""``make bench-scale``: the engine on Dask, and a grid larger than memory.

Measures (see bench/README.md, "Scale on Dask"):

- on the ``make bench`` country (10,000 x 10,000 cells, generated once): ``mecc run``
  end to end in a fresh process, streaming on all cores and with ``--dask local``
  (a LocalCluster of one worker process per core), the overhead of Dask and the largest
  relative difference between the two runs' zone tables and summaries;
- a virtual mosaic of that country's files (``--factor`` x ``--factor`` copies in VRTs,
  60,000 x 60,000 cells by default: 14.4 GB per float32 grid, 130 GB for its nine grids,
  more than this machine's memory), run with ``mecc run --dask ADDRESS`` on a
  LocalCluster of 1 and then 2 worker processes whose memory is capped at
  ``--worker-memory`` (2 GiB by default): wall time, engine time, throughput and peak
  memory of the workers and of the client process; and, as an independent check, the
  mosaic's population summed by Dask over lazily read chunks (plain rasterio windows,
  no mecc code) against the run's ``population_total``.

Prints a table and, last, one JSON line. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import country  # noqa: E402
from run import run_mecc  # noqa: E402 (bench/run.py)

TABLES = ["zones.csv", "zones_bands.csv", "bands.csv", "exceedance.csv"]


def largest_difference(a: Path, b: Path) -> float:
    """The largest relative difference between two runs' numbers (tables and summary)."""
    import numpy as np
    import pandas as pd

    worst = 0.0
    for name in TABLES:
        x = pd.read_csv(a / name, encoding="utf-8-sig").select_dtypes("number")
        y = pd.read_csv(b / name, encoding="utf-8-sig").select_dtypes("number")
        x, y = x.to_numpy(float), y.to_numpy(float)
        scale = np.maximum(np.abs(x), np.abs(y))
        both = np.isfinite(x) & (scale > 0)
        worst = max(worst, float((np.abs(x - y)[both] / scale[both]).max(initial=0.0)))

    def walk(p, q):
        nonlocal worst
        if isinstance(p, dict):
            for key in p:
                walk(p[key], q[key])
        elif isinstance(p, list):
            for u, v in zip(p, q, strict=True):
                walk(u, v)
        elif isinstance(p, float) and p != q:
            worst = max(worst, abs(p - q) / max(abs(p), abs(q)))

    walk(*(json.loads((f / "summary.json").read_text(encoding="utf-8")) for f in (a, b)))
    return worst


def _read_people(path, window):
    import numpy as np
    import rasterio

    with rasterio.open(path) as dataset:
        values = dataset.read(1, window=window, masked=True).astype(np.float64)
    return np.array([values.filled(0.0).sum()])


def lazy_population_total(client, path, chunk=(4096, 4096)) -> float:
    """The population of a raster summed by Dask over lazily read chunks (independent
    of mecc: rasterio windows as delayed reads, summed by a dask array reduction)."""
    import dask
    import dask.array as da
    import rasterio
    from rasterio.windows import Window

    with rasterio.open(path) as dataset:
        width, height = dataset.width, dataset.height
    parts = [
        da.from_delayed(
            dask.delayed(_read_people)(
                path, Window(c, r, min(chunk[1], width - c), min(chunk[0], height - r))
            ),
            shape=(1,),
            dtype=float,
        )
        for r in range(0, height, chunk[0])
        for c in range(0, width, chunk[1])
    ]
    return float(client.compute(da.concatenate(parts).sum()).result())


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def mosaic_run(run_file, out_dir, workers: int, memory: str) -> dict:
    """The mosaic on a LocalCluster of ``workers`` capped processes (one thread each)."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            memory_limit=memory,
            dashboard_address=":0",
        ) as cluster,
        Client(cluster) as client,
    ):
        seconds, rss = run_mecc(run_file, out_dir, 1, "--dask", cluster.scheduler_address)
        peaks = client.run(_peak_rss_mb)
        figures = {
            "seconds": seconds,
            "client_peak_rss_mb": rss,
            "worker_peak_rss_mb": max(peaks.values()),
        }
        if workers == 2:
            figures["population_lazy_sum"] = lazy_population_total(
                client, run_file.parent / "population.vrt"
            )
    manifest = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
    summary = json.loads((out_dir / "summary.json").read_text(encoding="utf-8"))
    figures["engine_seconds"] = manifest["timings_seconds"]["engine"]
    figures["population_total"] = summary["population_total"]
    return figures


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000, help="cells per side of the country")
    parser.add_argument("--factor", type=int, default=6, help="mosaic copies per side")
    parser.add_argument("--worker-memory", default="2GiB", help="memory cap of each worker")
    parser.add_argument("--scratch", type=Path, default=HERE / "scratch")
    parser.add_argument("--no-mosaic", action="store_true", help="only the overhead figures")
    args = parser.parse_args(argv)
    figures: dict = {"cores": os.cpu_count()}
    run_file = country.write_country(args.scratch / "country", size=args.size)
    out = args.scratch / "scale"
    threads = os.cpu_count() or 1
    stream = [run_mecc(run_file, out / "stream", threads) for _ in range(2)]
    dask = [run_mecc(run_file, out / "dask", threads, "--dask", "local") for _ in range(2)]
    figures["e2e_stream_seconds"], figures["peak_rss_mb_stream"] = min(stream)
    figures["e2e_dask_local_seconds"], figures["peak_rss_mb_dask_client"] = min(dask)
    figures["dask_overhead"] = figures["e2e_dask_local_seconds"] / figures["e2e_stream_seconds"]
    figures["dask_vs_stream_largest_rel_difference"] = largest_difference(
        out / "stream", out / "dask"
    )
    if not args.no_mosaic:
        mosaic = country.write_mosaic(
            args.scratch / f"mosaic{args.factor}", run_file.parent, args.factor
        )
        cells = (args.size * args.factor) ** 2
        grids = 1 + len(country.RETURN_PERIODS)
        figures["mosaic_cells"] = cells
        figures["mosaic_float32_gb"] = cells * 4 * grids / 1e9
        figures["worker_memory_cap"] = args.worker_memory
        for workers in (1, 2):
            started = time.perf_counter()
            run = mosaic_run(mosaic, out / f"mosaic_{workers}w", workers, args.worker_memory)
            print(f"mosaic, {workers} worker(s): {time.perf_counter() - started:.0f} s", flush=True)
            figures[f"mosaic_{workers}w_seconds"] = run["seconds"]
            figures[f"mosaic_{workers}w_engine_seconds"] = run["engine_seconds"]
            figures[f"mosaic_{workers}w_mcells_per_s"] = cells / run["seconds"] / 1e6
            figures[f"mosaic_{workers}w_engine_mcells_per_s"] = cells / run["engine_seconds"] / 1e6
            figures[f"mosaic_{workers}w_worker_peak_rss_mb"] = run["worker_peak_rss_mb"]
            figures[f"mosaic_{workers}w_client_peak_rss_mb"] = run["client_peak_rss_mb"]
            if "population_lazy_sum" in run:
                figures["mosaic_population_total"] = run["population_total"]
                figures["mosaic_population_lazy_sum_rel_difference"] = (
                    abs(run["population_lazy_sum"] - run["population_total"])
                    / run["population_total"]
                )
        figures["mosaic_speedup_2_workers"] = (
            figures["mosaic_1w_seconds"] / figures["mosaic_2w_seconds"]
        )
    shutil.rmtree(out, ignore_errors=True)

    width = max(len(k) for k in figures)
    for key, value in figures.items():
        shown = f"{value:.4g}" if isinstance(value, float) else value
        print(f"{key:<{width}}  {shown}")
    print(json.dumps({k: round(v, 6) if isinstance(v, float) else v for k, v in figures.items()}))
    return figures


if __name__ == "__main__":
    main()
