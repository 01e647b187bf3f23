"""What exposure and mobility keys cost on the `make bench` country.

Writes mobility inputs next to the benchmark country (bench/scratch/country, made by
``make bench``) and times ``mecc run`` in fresh processes, alternating plain and mobility
runs:

- ``plain``: the country as ``make bench`` runs it;
- ``mobility``: the same with 2,000 displacement sites added to the grid, per-zone
  sex × age cohort shares, household size, seasonal presence with an event season,
  a day/night origin–destination table (impact by day) and the allocation of the
  displaced (30 km radius, cells of a tenth of it);
- ``cohort grids``: plain plus six cohort grids (the population split by fixed shares,
  written as grids) — the costly form, since every grid is read and overlaid.

Run: ``.venv/bin/python bench/mobility.py [--repeat 3]``; prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
from pathlib import Path

import numpy as np

from exposure.cohorts import STANDARD_COHORTS as COHORTS

HERE = Path(__file__).resolve().parent
SHARES = (0.16, 0.33, 0.03, 0.17, 0.28, 0.03)


def write_mobility_inputs(folder: Path, seed: int = 7) -> tuple[Path, Path]:
    """Mobility inputs and two run files (mobility, cohort grids) in ``folder``."""
    import pyogrio
    import rasterio

    rng = np.random.default_rng(seed)
    codes = pyogrio.read_dataframe(folder / "zones.gpkg", columns=["code"], read_geometry=False)[
        "code"
    ].astype(str)
    with rasterio.open(folder / "population.tif") as src:
        left, bottom, right, top = src.bounds
        profile = src.profile
    n = 2000
    lines = ["site_name,lat,lon,individuals"]
    lat = rng.uniform(bottom, top, n)
    lon = rng.uniform(left, right, n)
    people = rng.integers(100, 5000, n)
    lines += [f"site {k},{lat[k]:.6f},{lon[k]:.6f},{people[k]}" for k in range(n)]
    (folder / "sites.csv").write_text("\n".join(lines) + "\n")
    shares = ["code," + ",".join(COHORTS)]
    for code in codes:
        jitter = np.asarray(SHARES) * rng.uniform(0.8, 1.2, len(SHARES))
        shares.append(code + "," + ",".join(f"{v:.5f}" for v in jitter))
    (folder / "cohorts.csv").write_text("\n".join(shares) + "\n")
    od = ["origin,destination,share"]
    for code in codes:
        other = codes.iloc[rng.integers(len(codes))]
        if other != code:
            od.append(f"{code},{other},0.1")
    (folder / "od.csv").write_text("\n".join(od) + "\n")
    base = (folder / "run.yaml").read_text()
    population_line = next(line for line in base.splitlines() if line.startswith("population:"))
    mobility = base.replace(
        population_line,
        "population:\n  path: population.tif\n  kind: count\n  household_size: 4.5\n"
        "  cohorts: {path: cohorts.csv, code_column: code}",
    )
    mobility = mobility.replace(
        "    curve: flood_step_1m\n",
        "    curve: flood_step_1m\n    season: {7: 2, 8: 3, 9: 1}\n    impact_time: day\n",
    )
    mobility += (
        "mobility:\n"
        "  sites: {path: sites.csv, in_population_grid: false}\n"
        "  seasonal: {multipliers: {7: 1.2, 8: 1.3, 9: 1.1}}\n"
        "  day_night: {path: od.csv, origin_column: origin, destination_column: destination, "
        "share_column: share}\n"
        "  allocation: {radius_km: 30, exponent: 2}\n"
    )
    (folder / "run_mobility.yaml").write_text(mobility)
    profile.update(dtype="float32", compress="deflate", tiled=True, blockxsize=256, blockysize=256)
    with rasterio.open(folder / "population.tif") as src:
        for name, share in zip(COHORTS, SHARES, strict=True):
            target = folder / f"cohort_{name}.tif"
            if target.exists():
                continue
            with rasterio.open(target, "w", **profile) as dst:
                for _, window in src.block_windows(1):
                    values = src.read(1, window=window, masked=True).filled(0.0)
                    dst.write((values * share).astype("float32"), 1, window=window)
    grids = "\n".join(f"      {name}: cohort_{name}.tif" for name in COHORTS)
    cohort_run = base.replace(
        population_line,
        f"population:\n  path: population.tif\n  kind: count\n  cohorts:\n    grids:\n{grids}",
    )
    (folder / "run_cohort_grids.yaml").write_text(cohort_run)
    return folder / "run_mobility.yaml", folder / "run_cohort_grids.yaml"


def measured_run(run_file: Path, out: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of ``mecc run --no-map`` in a fresh process, on
    every core (``bench/run.py``'s measurement)."""
    from run import run_mecc

    return run_mecc(run_file, out, os.cpu_count() or 1, "--no-map")


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scratch", type=Path, default=HERE / "scratch")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    folder = args.scratch / "country"
    if not (folder / "run.yaml").exists():
        raise SystemExit(f"{folder}/run.yaml not found: run `make bench` first")
    mobility, cohort_grids = write_mobility_inputs(folder)
    runs = {"plain": folder / "run.yaml", "mobility": mobility, "cohort_grids": cohort_grids}
    seconds = {name: [] for name in runs}
    memory = {name: [] for name in runs}
    for _ in range(args.repeat):
        for name, run_file in runs.items():
            wall, rss = measured_run(run_file, args.scratch / f"out_{name}")
            seconds[name].append(wall)
            memory[name].append(rss)
    figures = {f"{name}_seconds": statistics.median(values) for name, values in seconds.items()}
    figures.update({f"{name}_peak_rss_mb": max(values) for name, values in memory.items()})
    figures["mobility_overhead"] = figures["mobility_seconds"] / figures["plain_seconds"] - 1
    figures["cohort_grids_overhead"] = (
        figures["cohort_grids_seconds"] / figures["plain_seconds"] - 1
    )
    print(json.dumps({k: round(v, 4) for k, v in figures.items()}))
    return figures


if __name__ == "__main__":
    main()
