"""Event sets of many bands: `mecc run` time and peak memory as the events grow.

Writes, once, a synthetic 1,000 x 2,000-cell country (3" cells) with event sets of 8,
150 and 600 flood events (float32, tiled 256, DEFLATE, one round flood of random depth
per event) in ``bench/scratch/events``, and runs each in a fresh process, reporting wall
seconds, peak resident memory and the block shape the run chose (manifest.json). Memory
stops growing once a block's bands reach the engine's budget (``engine.STACK_BYTES``);
it grew with the events when every band of a block was held at the default shape.

Run: ``.venv/bin/python bench/events.py``; prints a table and one JSON line.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import run_mecc  # noqa: E402

SIZE = (1_000, 2_000)
EVENTS = (8, 150, 600)


def write_event_set(folder: Path, events: int, seed: int = 0) -> Path:
    """The country and one event set of ``events`` bands; returns its run file."""
    import pandas as pd
    import rasterio
    from affine import Affine

    folder.mkdir(parents=True, exist_ok=True)
    run_file = folder / f"events_{events}.yaml"
    if run_file.exists():
        return run_file
    rng = np.random.default_rng(seed)
    h, w = SIZE
    profile = {
        "driver": "GTiff",
        "width": w,
        "height": h,
        "crs": "EPSG:4326",
        "transform": Affine(1 / 1200, 0, 10.0, 0, -1 / 1200, 50.0),
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
        "compress": "deflate",
        "dtype": "float32",
    }
    if not (folder / "population.tif").exists():
        with rasterio.open(folder / "population.tif", "w", count=1, **profile) as dataset:
            dataset.write(rng.gamma(0.5, 20.0, (1, h, w)).astype(np.float32))
    rows, cols = np.ogrid[:h, :w]
    with rasterio.open(folder / f"events_{events}.tif", "w", count=events, **profile) as dataset:
        for band in range(1, events + 1):
            r, c, radius = rng.integers(0, h), rng.integers(0, w), rng.integers(30, 150)
            depth = np.zeros((h, w), dtype=np.float32)
            depth[(rows - r) ** 2 + (cols - c) ** 2 < radius**2] = rng.uniform(0.2, 3.0)
            dataset.write(depth, band)
    table = pd.DataFrame({"band": range(1, events + 1), "frequency": 1.0 / (5 * events)})
    table.to_csv(folder / f"events_{events}.csv", index=False)
    run_file.write_text(
        "country: XEV\nname: Event-set benchmark (synthetic)\npopulation: {path: population.tif}\n"
        f"hazards:\n  - id: flood\n    type: river_flood\n    intensity: events_{events}.tif\n"
        f"    events: events_{events}.csv\n    curve: flood_step_1m\n"
    )
    return run_file


def main() -> dict:
    threads = os.cpu_count() or 1
    folder = HERE / "scratch" / "events"
    figures = {}
    for events in EVENTS:
        run_file = write_event_set(folder, events)
        out = folder / f"out_{events}"
        seconds, rss = min(run_mecc(run_file, out, threads) for _ in range(2))
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        figures[f"events_{events}"] = {
            "seconds": round(seconds, 2),
            "peak_rss_mb": round(rss),
            "block_shape": manifest["parameters"]["block_shape"],
        }
        print(
            f"{events:>4} events: {seconds:6.2f} s, {rss:7.0f} MB peak, blocks of "
            f"{' x '.join(map(str, figures[f'events_{events}']['block_shape']))} cells"
        )
    print(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main()
