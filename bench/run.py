"""``make bench``: the engine's speed and memory on a synthetic 10,000 x 10,000 country.

Measures, in one run (see bench/README.md for the meaning of each figure):

- read_bandwidth_gb_s: memory read bandwidth (parallel Numba sum over 1 GiB);
- the fused kernel on in-memory arrays, 1 and 8 bands, run as the engine runs it
  (blocks on all cores, the maps in the data type the engine reads them in, float32 for
  these float32 files: kernel_band_dtype): kernel_mcells_per_s,
  kernel_fraction_of_bandwidth (the bytes of those arrays);
- speedup_vs_numpy: against the pinned numpy reference (masked np.interp +
  np.bincount per band, float64), 8 bands;
- read_floor_seconds: reading the input files with rasterio, all threads, nothing else
  (each file whole, GDAL_NUM_THREADS=ALL_CPUS); read_floor_blocks_seconds: the same
  files read block by block on all cores, in the engine's blocks, by GDAL;
  read_mecc_blocks_seconds: the same blocks read by mecc's RasterFile (its own
  decoding of DEFLATE/ZSTD blocks, mecc.tiff_blocks; masked, as float64);
- e2e_seconds: `mecc run` on those files, outputs written (a fresh process; the best of
  two, the input digests taken from mecc's cache as on any repeated run);
  e2e_seconds_hashing_inputs: one more run with MECC_HASH_CACHE=0 (every input hashed,
  as on a first run of new files);
- peak_rss_mb for that run and peak_rss_mb_4x at 4x the cells (a 2 x 2 mosaic of the
  country, written as GeoTIFFs of the same layout, so it is read the same way);
- startup_seconds: a second `mecc run` on a tiny country (kernels cached).

Prints a table and, last, one JSON line with those keys.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numba
import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import country  # noqa: E402

LINEAR = ((0.0, 0.25, 0.5, 1.0, 2.0, 3.0, 100.0), (0.0, 0.0, 0.1, 0.5, 0.9, 1.0, 1.0))
BLOCK = (256, 2048)


def extra_packages() -> list[str]:
    """Installed distributions that neither mecc nor its test extra requires.

    A package such as SciPy in the venv changes the figures: Dask's array module,
    which xarray imports on a run's first table, imports SciPy when it is there (about
    0.5 s of every run on this machine). ``make`` builds a venv without them.
    """
    from importlib.metadata import distributions, requires

    from packaging.requirements import Requirement

    def name(text):
        return text.lower().replace("_", "-").replace(".", "-")

    needed, todo = set(), [("mecc", {"test"})]
    while todo:
        dist, extras = todo.pop()
        if name(dist) in needed:
            continue
        needed.add(name(dist))
        try:
            listed = requires(dist) or []
        except Exception:  # not installed: nothing further to follow
            continue
        for line in listed:
            requirement = Requirement(line)
            marker = requirement.marker
            if marker is None or any(marker.evaluate({"extra": e}) for e in extras | {""}):
                todo.append((requirement.name, set(requirement.extras)))
    installed = {name(d.metadata["Name"]) for d in distributions()}
    return sorted(installed - needed - {"pip", "setuptools", "wheel"})


@numba.njit(parallel=True, fastmath=True, cache=True)
def _parallel_sum(values):
    # fastmath lets the sum vectorise, so this measures memory, not add latency
    # (the engine's kernels never use fastmath; see mecc/_numba.py)
    total = 0.0
    for i in numba.prange(values.size):
        total += values[i]
    return total


def read_bandwidth(repeat=7) -> float:
    """GB/s of a parallel sum over 1 GiB of float64 (best of ``repeat``).

    The values differ from page to page: an array of ones is pages of identical bytes,
    which a host that merges identical pages (KSM) may back with a few physical pages,
    so the sum reads cache, not memory (one make bench read 81 GB/s, against 45-49 GB/s
    for the same sum over distinct values on this machine).
    """
    values = np.arange(1 << 27, dtype=np.float64)
    _parallel_sum(values)
    best = min(_timed(_parallel_sum, values)[0] for _ in range(repeat))
    return values.nbytes / best / 1e9


def _timed(func, *args):
    start = time.perf_counter()
    result = func(*args)
    return time.perf_counter() - start, result


def load_region(run_file, rows=2048, cols=4096):
    """Population, zone index and the eight flood maps of a region, in memory, as the
    engine holds them (the maps in float32 when that is exact, as for these files)."""
    from rasterio.windows import Window

    from mecc.config import load_config
    from mecc.inputs import analysis_grid, load_inputs

    config = load_config(run_file)
    population, zones, hazards = load_inputs(config)
    grid, _ = analysis_grid(config, population, hazards)
    population.prepare(grid, scan=False)
    zones.prepare(grid)
    intensity, _ = hazards[0].align(grid)
    window = Window(2048, 2048, cols, rows)
    return (
        population.read(window),
        zones.rasterize(window),
        intensity.read(window, out=np.empty((intensity.count, rows, cols), intensity.dtype)),
        zones.n + 1,
    )


def kernel_throughput(people, zone, depth, n_zones, threads, repeat=9):
    """Seconds of the fused kernel over the region in engine blocks on ``threads`` (the
    best of ``repeat`` passes; the numpy reference is timed best of 5)."""
    from hazards.curves import Curve, pack_curves
    from mecc.kernels import overlay_bands

    x, y, n, kind = pack_curves([Curve("linear", *LINEAR)])
    n_bands = depth.shape[0]
    weights = np.full((n_zones, n_bands), 0.01)
    blocks = [
        (slice(r, r + BLOCK[0]), slice(c, c + BLOCK[1]))
        for r in range(0, people.shape[0], BLOCK[0])
        for c in range(0, people.shape[1], BLOCK[1])
    ]

    # contiguous copies of each block, as the engine's read buffers are
    data = [
        tuple(np.ascontiguousarray(a) for a in (people[r, c], zone[r, c], depth[:, r, c]))
        for r, c in blocks
    ]
    empty = np.zeros((0, 0, 0))

    def one(arrays):
        block_people, block_zone, block_depth = arrays
        out = [
            np.zeros((n_zones, n_bands)),
            np.zeros((n_zones, n_bands, 1)),
            np.zeros((n_zones, n_bands)),
        ]
        cells = np.zeros(block_people.shape)
        overlay_bands(
            block_people,
            block_zone,
            block_depth,
            empty,
            x,
            y,
            n,
            kind,
            0.1,
            weights,
            *out,
            cells,
            0,
            None,
            None,
        )
        return out

    def run():
        with ThreadPoolExecutor(threads) as pool:
            return list(pool.map(one, data))

    run()  # compile / warm
    return min(_timed(run)[0] for _ in range(repeat))


def numpy_reference(people, zone, depth, n_zones):
    """The pinned baseline: masked np.interp + np.bincount per band, float64."""
    xs, ys = np.asarray(LINEAR[0]), np.asarray(LINEAR[1])
    flat_zone = zone.ravel()
    flat_people = people.ravel()
    out = []
    for band in depth:
        values = band.ravel()
        missing = np.isnan(values) & (flat_people > 0)
        wet = (values > 0) & (flat_people > 0)
        share = np.interp(np.where(wet, values, 0.0), xs, ys)
        out.append(
            (
                np.bincount(flat_zone[wet], weights=(flat_people * share)[wet], minlength=n_zones),
                np.bincount(
                    flat_zone[wet & (values >= 0.1)],
                    weights=flat_people[wet & (values >= 0.1)],
                    minlength=n_zones,
                ),
                np.bincount(flat_zone[missing], weights=flat_people[missing], minlength=n_zones),
            )
        )
    return out


def read_floor_whole(files) -> float:
    """Each file read whole with rasterio, GDAL decoding on all threads."""
    import rasterio

    with rasterio.Env(GDAL_NUM_THREADS="ALL_CPUS", GDAL_CACHEMAX=256 * 2**20):
        start = time.perf_counter()
        for path in files:
            with rasterio.open(path) as dataset:
                dataset.read(1)
        return time.perf_counter() - start


def read_floor_blocks(files, threads) -> float:
    """The files read block by block (the engine's partition) on ``threads`` threads."""
    import rasterio
    from rasterio.windows import Window

    local = threading.local()
    with rasterio.open(files[0]) as dataset:
        width, height = dataset.width, dataset.height
    windows = [
        Window(c, r, min(BLOCK[1], width - c), min(BLOCK[0], height - r))
        for r in range(0, height, BLOCK[0])
        for c in range(0, width, BLOCK[1])
    ]

    def read(window):
        if not hasattr(local, "datasets"):
            local.datasets = [rasterio.open(path) for path in files]
        for dataset in local.datasets:
            dataset.read(1, window=window)

    with rasterio.Env(GDAL_CACHEMAX=256 * 2**20):
        start = time.perf_counter()
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(read, windows))
        return time.perf_counter() - start


def read_mecc_blocks(files, threads) -> float:
    """The files read as the engine reads them (``RasterFile.read``: mecc's own block
    decoding where the layout allows, masking, float64) on ``threads`` threads, in the
    engine's partition; nothing else."""
    from rasterio.windows import Window

    from mecc.raster_file import RasterFile

    sources = [RasterFile(path) for path in files]
    width, height = sources[0].grid.width, sources[0].grid.height
    windows = [
        Window(c, r, min(BLOCK[1], width - c), min(BLOCK[0], height - r))
        for r in range(0, height, BLOCK[0])
        for c in range(0, width, BLOCK[1])
    ]

    def read(window):
        for source in sources:
            source.read([1], window)

    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(read, windows))
    return time.perf_counter() - start


def run_mecc(run_file, out_dir, threads, *options, env=None) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of `mecc run` in a fresh process (via measure.py);
    ``options`` are further `mecc run` options, ``env`` extra environment variables."""
    command = [
        sys.executable,
        str(HERE / "measure.py"),
        str(Path(sys.executable).parent / "mecc"),
        "-q",
        "run",
        str(run_file),
        "--out",
        str(out_dir),
        "--overwrite",
        "--threads",
        str(threads),
        *map(str, options),
    ]
    result = json.loads(
        subprocess.run(
            command, check=True, capture_output=True, text=True, env={**os.environ, **(env or {})}
        ).stdout
    )
    if result["exit_code"] != 0:
        raise SystemExit(f"mecc run failed on {run_file}")
    return result["seconds"], result["peak_rss_mb"]


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000, help="cells per side")
    parser.add_argument("--scratch", type=Path, default=HERE / "scratch")
    parser.add_argument("--no-4x", action="store_true", help="skip the 4x-cells run")
    args = parser.parse_args(argv)
    threads = os.cpu_count() or 1
    figures = {}
    extra = extra_packages()
    if extra:
        print(f"note: the venv also holds packages mecc does not require: {', '.join(extra)}")
    print(
        f"country: {args.size} x {args.size} cells in {args.scratch} (generated once)", flush=True
    )
    run_file = country.write_country(args.scratch / "country", size=args.size)
    files = [run_file.parent / "population.tif"] + [
        run_file.parent / f"flood_rp{rp:04d}.tif" for rp in country.RETURN_PERIODS
    ]

    figures["read_bandwidth_gb_s"] = read_bandwidth()
    people, zone, depth, n_zones = load_region(run_file)
    figures["kernel_band_dtype"] = str(depth.dtype)  # as the engine reads these files
    cells = people.size
    for bands in (1, 8):
        arrays = np.ascontiguousarray(depth[:bands])
        seconds = kernel_throughput(people, zone, arrays, n_zones, threads)
        input_bytes = people.nbytes + zone.nbytes + arrays.nbytes
        figures[f"kernel_mcells_per_s_{bands}band"] = cells / seconds / 1e6
        figures[f"kernel_fraction_of_bandwidth_{bands}band"] = (
            input_bytes / seconds / 1e9 / figures["read_bandwidth_gb_s"]
        )
        if bands == 8:
            wide = arrays.astype(np.float64)  # the pinned baseline reads float64
            single = kernel_throughput(people, zone, arrays, n_zones, 1)
            numpy_seconds = min(
                _timed(numpy_reference, people, zone, wide, n_zones)[0] for _ in range(5)
            )
            figures["speedup_vs_numpy"] = numpy_seconds / seconds
            figures["speedup_vs_numpy_1thread"] = numpy_seconds / single
            figures["numpy_mcells_per_s_8band"] = cells / numpy_seconds / 1e6
    figures["kernel_mcells_per_s"] = figures["kernel_mcells_per_s_8band"]
    figures["kernel_fraction_of_bandwidth"] = figures["kernel_fraction_of_bandwidth_8band"]
    figures["wet_share_of_cells"] = float((depth > 0).mean())
    del people, zone, depth

    figures["read_floor_seconds"] = min(read_floor_whole(files) for _ in range(2))
    figures["read_floor_blocks_seconds"] = min(read_floor_blocks(files, threads) for _ in range(2))
    figures["read_mecc_blocks_seconds"] = min(read_mecc_blocks(files, threads) for _ in range(2))
    out = args.scratch / "out"
    runs = [run_mecc(run_file, out, threads) for _ in range(2)]
    figures["e2e_seconds"], figures["peak_rss_mb"] = min(runs)
    # the input digests of an unchanged file come from mecc's cache (README, Speed): the
    # same run hashing every input again, as a first run of new files does
    figures["e2e_seconds_hashing_inputs"], _ = run_mecc(
        run_file, out, threads, env={"MECC_HASH_CACHE": "0"}
    )
    figures["e2e_vs_read_floor"] = figures["e2e_seconds"] / figures["read_floor_seconds"]
    figures["e2e_vs_read_floor_blocks"] = (
        figures["e2e_seconds"] / figures["read_floor_blocks_seconds"]
    )
    if not args.no_4x:
        mosaic = country.write_mosaic(args.scratch / "country4x", run_file.parent)
        seconds, rss = run_mecc(mosaic, args.scratch / "out4x", threads)
        figures["e2e_seconds_4x"], figures["peak_rss_mb_4x"] = seconds, rss
        figures["peak_rss_4x_ratio"] = rss / figures["peak_rss_mb"]
    tiny = country.write_country(args.scratch / "tiny", size=64, zones=5)
    run_mecc(tiny, args.scratch / "out_tiny", threads)  # fills the kernel cache
    figures["startup_seconds"], _ = run_mecc(tiny, args.scratch / "out_tiny", threads)
    shutil.rmtree(out, ignore_errors=True)
    figures["threads"] = threads
    figures["extra_packages"] = ",".join(extra) or "none"

    width = max(len(k) for k in figures)
    for key, value in figures.items():
        print(
            f"{key:<{width}}  {value:.3f}"
            if isinstance(value, float)
            else f"{key:<{width}}  {value}"
        )
    print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in figures.items()}))
    return figures


if __name__ == "__main__":
    main()
