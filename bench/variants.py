"""What curve variants cost: one curve versus low/central/high in the same pass.

Times ``mecc run`` on the `make bench` country (bench/scratch/country) in fresh
processes, alternating: the country with ``curve: flood_step_1m:central`` (one curve)
and with ``curve: flood_step_1m`` (its central, low and high variants evaluated in the
same pass). Prints one JSON line; the target is < 1.5x (issue: ranges and futures).

Run: ``.venv/bin/python bench/variants.py [--repeat 3]`` after ``make bench``.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

from mobility import measured_run  # `mecc run --no-map` in a fresh process

HERE = Path(__file__).resolve().parent


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scratch", type=Path, default=HERE / "scratch")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    folder = args.scratch / "country"
    base = (folder / "run.yaml").read_text()
    if "curve: flood_step_1m\n" not in base:
        raise SystemExit(f"{folder}/run.yaml: run `make bench` first")
    one = folder / "run_one_curve.yaml"
    one.write_text(base.replace("curve: flood_step_1m\n", "curve: flood_step_1m:central\n"))
    runs = {"one_curve": one, "three_variants": folder / "run.yaml"}
    seconds = {name: [] for name in runs}
    for _ in range(args.repeat):
        for name, run_file in runs.items():
            seconds[name].append(measured_run(run_file, args.scratch / f"out_{name}")[0])
    figures = {f"{name}_seconds": statistics.median(v) for name, v in seconds.items()}
    figures["ratio"] = figures["three_variants_seconds"] / figures["one_curve_seconds"]
    engine = {}
    for name in runs:
        manifest = json.loads((args.scratch / f"out_{name}" / "manifest.json").read_text())
        engine[name] = manifest["timings_seconds"]["engine"]
    figures["engine_ratio_last_run"] = engine["three_variants"] / engine["one_curve"]
    print(json.dumps({k: round(v, 4) for k, v in figures.items()}))
    return figures


if __name__ == "__main__":
    main()
