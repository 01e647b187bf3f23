"""Run a country from its run file: the tool behind ``mecc run``.

``run_country(RUN.yaml, OUT_DIR)`` reads and validates every input, chooses the
analysis grid, streams the engine over it, computes the risk metrics and writes the
outputs of the run contract (DESIGN.md) into a staging folder that is renamed into
place at the end: summary.json, zones.csv, zones_bands.csv, bands.csv,
exceedance.csv, results.nc, zones.gpkg, displaced.tif, sendai.xlsx, sendai.csv,
sendai_hxl.csv, manifest.json and map.html. Several run files make a batch
(:mod:`mecc.batch`; ``run_batch``, ``batch_row`` and ``BatchResult`` are importable from
here too).
"""

from __future__ import annotations

import os
import shlex
import sys
import time
import uuid
import warnings
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pandas as pd

import mecc
from mecc import checks, engine, previews, run_checks, tables
from mecc.batch import BatchResult, batch_row, run_batch
from mecc.cell_grid import CellGridWriter, gdal_errors_quiet
from mecc.config import load_config
from mecc.errors import MeccWarning
from mecc.futures import (
    future_tables,
    futures_parameters,
    futures_summary,
    read_futures,
    write_future_outputs,
)
from mecc.group_tables import group_tables
from mecc.inputs import (
    analysis_grid,
    input_records,
    load_inputs,
    overlay_input,
    period_check,
    warn_return_periods_out_of_order,
)
from mecc.manifest import hazard_parameters, versions
from mecc.memory import release_freed_memory
from mecc.mobility import (
    allocated,
    allocation_plan,
    decorate_tables,
    exposure_summary,
    prepare_exposure,
    write_exposure_outputs,
)
from mecc.outputs import OutputFolder, files_named_by, write_csv, write_json, write_results_group
from mecc.presence import present_overlay, present_result
from mecc.sendai_writers import write_run_sendai

__all__ = ["BatchResult", "RunResult", "batch_row", "run_batch", "run_country", "versions"]

ONCE_PER_HAZARD = r"hazards\.\S+: (the curve variants are in the wrong order|members of unequal)"
"""Warnings of a hazard's tables given by the baseline's, not again by each future's."""


@dataclass
class RunResult:
    """What a finished run produced."""

    out_dir: Path
    summary: dict
    warnings: list = field(default_factory=list)
    timings: dict = field(default_factory=dict)


class _Timer:
    def __init__(self):
        self.timings: dict[str, float] = {}

    def stage(self, name):
        timer = self

        class _Stage:
            def __enter__(self_inner):
                self_inner.start = time.perf_counter()

            def __exit__(self_inner, *exc):
                timer.timings[name] = round(time.perf_counter() - self_inner.start, 4)
                return False

        return _Stage()


GDAL_CACHE_BYTES = 256 * 2**20
"""GDAL's raster block cache during a run (GDAL's default, 5 % of RAM, lets memory grow
with the grid); a GDAL_CACHEMAX environment variable overrides it."""


def run_country(
    config_path,
    out_dir,
    *,
    overwrite: bool = False,
    threads: int | None = None,
    block_shape: tuple[int, int] | None = None,
    progress=None,
    with_map: bool = True,
    dask=None,
    chunk_shape: tuple[int, int] | None = None,
) -> RunResult:
    """Run one country from its run file and write the outputs to ``out_dir``.

    Parameters
    ----------
    config_path : path
        The run file (YAML).
    out_dir : path
        The run folder to create; refused if it holds files unless ``overwrite``.
    overwrite : bool
        Replace an earlier run folder (never another folder, nor one holding the run
        file or its inputs).
    threads : int, optional
        Blocks processed at once (default: one per CPU; results do not depend on it).
    block_shape : (int, int), optional
        Rows and columns per block (default: ``mecc.engine.block_shape_for`` the hazards).
    progress : callable, optional
        ``progress(stage, done, total)``.
    with_map : bool
        Also write ``map.html``, the self-contained risk map (``mecc.maps.build_map``).
    dask : distributed.Client or str, optional
        Run the engine's passes on Dask (``mecc.chunked``): a client, a scheduler
        address (``tcp://HOST:PORT``) or ``"local"`` (a LocalCluster on this machine).
        The numbers equal the streaming path's to rounding (1e-12 relative).
    chunk_shape : (int, int), optional
        Cells per Dask task, rounded up to whole blocks (default
        ``mecc.chunked.DEFAULT_CHUNK``).

    Returns
    -------
    RunResult

    Raises
    ------
    mecc.errors.MeccError
        Bad usage or bad data, with a one-line message naming the file and field.
    """
    import rasterio

    threads = threads or os.cpu_count() or 1
    # GDAL reads a GDAL_CACHEMAX variable itself, in its own forms ("512", "1GB", "5%")
    cache = {} if "GDAL_CACHEMAX" in os.environ else {"GDAL_CACHEMAX": GDAL_CACHE_BYTES}
    with ExitStack() as stack:
        overlay, backend = engine.overlay, None
        if dask is not None:  # the engine's passes as Dask tasks (mecc.chunked)
            from mecc import chunked
            from mecc.cluster import dask_client, describe_client

            client = stack.enter_context(dask_client(dask))
            shape = tuple(chunk_shape or chunked.DEFAULT_CHUNK)
            overlay = partial(chunked.overlay, client=client, chunk_shape=shape)
            backend = {**describe_client(client), "chunk_shape_requested": list(shape)}
        stack.enter_context(rasterio.Env(**cache))
        hashes = stack.enter_context(ThreadPoolExecutor(max_workers=1))
        try:
            return _run_country(
                config_path,
                out_dir,
                overwrite,
                threads,
                block_shape,
                progress,
                hashes,
                with_map,
                overlay,
                backend,
            )
        finally:
            hashes.shutdown(cancel_futures=True)


def _run_country(
    config_path,
    out_dir,
    overwrite,
    threads,
    block_shape,
    progress,
    hashes,
    with_map,
    overlay=engine.overlay,
    backend=None,
) -> RunResult:
    timer = _Timer()
    started = time.perf_counter()
    report = progress or (lambda stage, done, total: None)
    report("inputs", 0, 1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", MeccWarning)
        with timer.stage("read_config"):
            config = load_config(config_path)
            # --overwrite replaces only an earlier run, never the run's own files
            own = [config.path, *files_named_by(config.data, config.base_dir)]
            folder = OutputFolder(out_dir, overwrite=overwrite, keep=own, only_runs=True)
        with timer.stage("open_inputs"):
            population, zones, hazards = load_inputs(config)
            block_shape = tuple(block_shape or engine.block_shape_for(hazards))
            grid, grid_source = analysis_grid(config, population, hazards)
            population_report = population.prepare(grid, scan=False)
            zones.prepare(grid)
            exposure = prepare_exposure(config, population, zones, grid, block_shape, threads)
            codes = list(zones.finest.codes) + ["__outside__"]
            protections = [tables.protection_per_zone(h, codes) for h in hazards]
            allocation = allocation_plan(config, grid, block_shape)
            inputs = [
                overlay_input(
                    h,
                    grid,
                    tables.band_weights(h, protection) * exposure.presence.get(h.id, 1.0)[:, None]
                    if h.id in exposure.presence
                    else tables.band_weights(h, protection),
                    preview=previews.factor_in_pass(h, grid, block_shape),
                    coarse=allocation[1] if allocation and allocated(h) else 0,
                )
                for h, protection in zip(hazards, protections, strict=True)
            ]
            futures = read_futures(config, hazards, population, zones=zones)
            protection_of = {h.id: p for h, p in zip(hazards, protections, strict=True)}
            future_sets = [(f, hid, h1) for f in futures for hid, h1 in f.hazards.items()]
            # future hazards with the baseline population ride along in the same pass
            inputs += [
                overlay_input(h1, grid, tables.band_weights(h1, protection_of[hid]), cells=False)
                for _, hid, h1 in future_sets
            ]
        report("inputs", 1, 1)
        # hash the inputs for the manifest in the background while the engine runs
        records = input_records(config, population, zones, hazards, hashes, futures)
        notes = list(zones.notes)
        for h in hazards:
            message = period_check(h, population.year)
            if message:
                warnings.warn(message, MeccWarning, stacklevel=2)
        with folder as staging, ExitStack() as background:  # threads end before cleanup
            background.enter_context(gdal_errors_quiet())  # a full disk: mecc's line alone
            writer = CellGridWriter.for_hazards(  # a unit and tags per band
                staging / "displaced.tif", grid, hazards, note=tables.MODELLED_NOTE
            )
            background.callback(writer.discard)  # a failed run's grid closed while quiet
            masked_before = population.file.extreme_cells  # counted on the pass alone
            with timer.stage("engine"):
                result = overlay(
                    grid,
                    population,
                    zones,
                    inputs,
                    block_shape=block_shape,
                    threads=threads,
                    cell_sink=writer.write,
                    progress=lambda d, t: report("engine", d, t),
                    zone_scale=exposure.zone_scale,
                    additions=exposure.additions,
                    layers=exposure.layers,
                )
            population.confirm(float(result.population.sum()))
            for h in hazards:
                warn_return_periods_out_of_order(h, result.hazards[h.id])
            present_result(exposure, result)  # seasonal presence: constant per zone
            release_freed_memory()  # the pass's buffers: not kept through tables and map
            # displaced.tif is finished (its tiles are compressed: copied into the COG's
            # layout) while the tables are written
            grids = background.enter_context(ThreadPoolExecutor(1)).submit(writer.close)
            with timer.stage("metrics"):
                zone_table = zones.table()
                hazard_tabs = [
                    tables.hazard_tables(
                        h,
                        result.hazards[h.id],
                        zones,
                        result.population,
                        protection,
                        config.country,
                    )
                    for h, protection in zip(hazards, protections, strict=True)
                ]
                for h, tab in zip(hazards, hazard_tabs, strict=True):
                    decorate_tables(exposure, config, h, tab, zones, result.population)
                disaggregated, group_sets = group_tables(
                    exposure,
                    hazards,
                    result.hazards,
                    result.population,
                    result,
                    zones,
                    protections,
                )
            population_rows = zones.aggregate(result.population)
            cells_rows = zones.aggregate(result.cells)
            # a unit without a cell: figures not known (blank), not 0, in every table
            empty_zones = tables.mark_units_without_cells(hazard_tabs, zone_table, cells_rows)
            if disaggregated is not None:  # the groups' rows of those units too
                disaggregated = tables.not_known(disaggregated, empty_zones)
            if futures:
                report("futures", 0, 1)
                with timer.stage("futures"), warnings.catch_warnings():
                    # the baseline's tables said these; a future's would say them again
                    warnings.filterwarnings("ignore", ONCE_PER_HAZARD, MeccWarning)
                    future_frames = future_tables(
                        config,
                        futures,
                        future_sets,
                        hazards,
                        hazard_tabs,
                        protection_of,
                        result,
                        zones,
                        grid,
                        population_rows,
                        threads,
                        block_shape,
                        overlay=partial(present_overlay, overlay, exposure),
                        exposure=exposure,
                    )
                report("futures", 1, 1)
            if empty_zones:
                warnings.warn(
                    f"zones: {len(empty_zones)} unit(s) received no cell of the analysis grid "
                    f"(e.g. {', '.join(empty_zones[:5])}); they are listed in manifest.json",
                    MeccWarning,
                    stacklevel=2,
                )
            zones.warn_outside_share(result.population)  # > 5 % of the people in no unit
            run_id = uuid.uuid4().hex  # results.nc says which run wrote it (run_folder)
            summary = {
                "country": config.country,
                "name": config.name,
                "run_id": run_id,
                "modelled_estimate": True,
                "note": tables.MODELLED_NOTE,
                "population_total": float(result.population.sum()),
                "population_outside_zones": float(result.population[zones.outside_index]),
                "population_no_hazard_data": max(
                    (t.summary["population_no_hazard_data"] for t in hazard_tabs), default=0.0
                ),
                "hazards": {h.id: t.summary for h, t in zip(hazards, hazard_tabs, strict=True)},
            }
            if futures:
                summary["futures"] = futures_summary(futures, future_frames, config.country)
            if exposure.active:
                weights = {h.id: tables.band_weights(h, protection_of[h.id]) for h in hazards}
                summary["exposure"] = exposure_summary(exposure, group_sets, result, weights)
            report("tables", 0, 1)
            with timer.stage("write_tables"):
                write_json(summary, staging / "summary.json")
                write_csv(
                    tables.ordered(pd.concat([t.zones for t in hazard_tabs], ignore_index=True)),
                    staging / "zones.csv",
                )
                write_csv(
                    pd.concat([t.zones_bands for t in hazard_tabs], ignore_index=True),
                    staging / "zones_bands.csv",
                )
                write_csv(
                    pd.concat([t.bands for t in hazard_tabs], ignore_index=True),
                    staging / "bands.csv",
                )
                write_csv(
                    pd.concat([t.exceedance for t in hazard_tabs], ignore_index=True),
                    staging / "exceedance.csv",
                )
                dataset = tables.results_dataset(
                    zone_table,
                    hazards,
                    hazard_tabs,
                    population_rows,
                    cells_rows,
                    {
                        "title": f"MECC displacement results, {config.name} ({config.country})",
                        "institution": "produced with the MECC toolkit",
                        "source": f"mecc {mecc.__version__}",
                        "comment": tables.MODELLED_NOTE,
                        "references": tables.METHOD_NOTE,
                        "mecc_run_id": run_id,
                    },
                )
                write_results_group(dataset, staging / "results.nc")
                shown = previews.read_again(
                    inputs[: len(hazards)], hazards, hazard_tabs, grid, block_shape
                )
                pictures = previews.previews_dataset(
                    grid, hazards, hazard_tabs, {**result.previews, **shown}
                )
                people = float(result.population.sum())
                for h, tab in zip(hazards, hazard_tabs, strict=True):  # once per hazard
                    # mecc validate's checks on the engine's pictures; people without data
                    seen = shown.get(h.id) or dict(enumerate(result.previews.get(h.id, ())))
                    for message in (
                        run_checks.plausibility_warnings(h, seen, grid)
                        # values above the range outside the analysis grid only, as validate
                        + checks.file_peak_warnings(h, grid, _picture_peak(h, seen))
                        + run_checks.no_data_warnings(h, tab, people, population, grid)
                        + run_checks.aad_warnings(h, tab, people)
                    ):
                        warnings.warn(message, MeccWarning, stacklevel=2)
                if pictures is not None:
                    write_results_group(
                        pictures,
                        staging / "results.nc",
                        "previews",
                        {"intensity": {"dtype": "float32"}},
                    )
                write_exposure_outputs(
                    staging,
                    exposure,
                    (disaggregated, group_sets),
                    (hazards, inputs[: len(hazards)]),
                    result,
                    zones,
                    grid,
                    allocation,
                    population_rows,
                )
                if futures:  # futures.csv, attribution.csv, futures.xlsx
                    write_future_outputs(staging, futures, future_frames, config.country)
                _write_zones_gpkg(staging / "zones.gpkg", zones, grid, hazard_tabs, summary)
                sendai = (config, hazards, hazard_tabs, result, zones, exposure, group_sets)
                write_run_sendai(staging, (*sendai, protections))  # sendai.xlsx/.csv, _hxl.csv
            recorded = list(  # once each: a future's pass may give the baseline's again
                dict.fromkeys(str(w.message) for w in caught if issubclass(w.category, MeccWarning))
            )
            manifest = {
                "run_file": os.path.basename(config.path),
                "run_file_dir": os.path.dirname(os.path.abspath(config.path)),  # inputs' base
                "country": config.country,
                "created_by": f"mecc {mecc.__version__}",
                "command": shlex.join(sys.argv),  # paste-able: paths with spaces quoted
                "inputs": [{**r, "sha256": r["sha256"].result()} for r in records],
                "parameters": {
                    "analysis_grid": {"source": grid_source, **grid.describe()},
                    "block_shape": list(block_shape),
                    "threads": threads,
                    "blocks": result.blocks,
                    "population": {
                        "kind": population.kind,
                        "year": population.year,
                        "resampling": population_report,
                        "source": config.data["population"].get("source"),
                        "attribution": population.attribution,
                    },
                    "zones": {
                        "levels": [lv.level for lv in zones.levels],
                        "rule": "cell centre",
                        "units": int(zones.n),
                    },
                    "exposure": exposure.report,
                    "hazards": hazard_parameters(hazards, grid),
                    "futures": futures_parameters(futures) if futures else {},
                },
                "zones_without_cells": empty_zones,
                "extreme_values_masked": {
                    "population": population.file.extreme_cells - masked_before,
                },
                "versions": versions(),
                "warnings": recorded + [n for n in notes if n not in recorded],
            }
            if backend:  # the chunks used (whole blocks), then the shape asked for
                from mecc.chunked import chunk_sides

                on_dask = dict(backend)
                asked = on_dask.pop("chunk_shape_requested")
                on_dask["chunk_shape"] = list(chunk_sides(block_shape, asked))
                manifest["parameters"]["dask"] = {**on_dask, "chunk_shape_requested": asked}
            with timer.stage("write_grids"):  # waiting for displaced.tif
                grids.result()
            manifest["timings_seconds"] = {
                **timer.timings,
                "total": round(time.perf_counter() - started, 4),
            }
            write_json(manifest, staging / "manifest.json")
            report("tables", 1, 1)
            if with_map:  # last: the map reads the finished tables, previews and manifest
                from mecc.maps import build_map

                report("map", 0, 1)

                with timer.stage("write_map"):
                    build_map(staging, staging / "map.html", inputs_dir=config.base_dir)
                manifest["timings_seconds"] = {
                    **timer.timings,
                    "total": round(time.perf_counter() - started, 4),
                }
                write_json(manifest, staging / "manifest.json")
                report("map", 1, 1)
        out = folder.commit()
    return RunResult(out, summary, manifest["warnings"], manifest["timings_seconds"])


def _picture_peak(hazard, pictures) -> float | None:
    """The largest intensity the engine's pictures of ``hazard`` hold (the largest on the
    analysis grid of the bands pictured; ``-inf`` when only nodata), or None when it kept
    none (a combined hazard: its components are sampled, :mod:`mecc.run_checks`)."""
    import numpy as np

    if hazard.components or not pictures:
        return None
    peak = -np.inf
    for picture in pictures.values():
        values = np.asarray(picture, dtype=np.float64)
        values = values[np.isfinite(values) & (np.abs(values) <= 1e30)]
        if values.size:
            peak = max(peak, float(values.max()))
    return peak


def _write_zones_gpkg(path, zones, grid, hazard_tabs, summary=None) -> None:
    """zones.gpkg: one layer per admin level, each unit's figures as columns
    ``<hazard id>_<figure>`` (WGS 84), for GIS users and the map.

    Written as GeoPackage 1.2 (GDAL 3.10 and later write 1.4 by default, which GDAL 3.6,
    under QGIS 3.28 LTR, warns about on every open), each layer described in
    ``gpkg_contents`` with the run (``summary``: its id, country and name), the date and
    "modelled estimates, see manifest.json", so a layer loaded alone says what it is.
    """
    import datetime

    frame = zones.geodataframe(grid)
    for tab in hazard_tabs:
        rows = tab.zones.iloc[: len(frame)]
        hazard_id = rows["hazard_id"].iloc[0]
        for column in rows.columns:
            if column in {"zone_code", "zone_name", "level", "hazard_id", "parent_code"}:
                continue
            name = "population" if column == "population" else f"{hazard_id}_{column}"
            frame[name] = rows[column].to_numpy()
    summary = summary or {}
    country = " ".join(str(summary[k]) for k in ("country", "name") if summary.get(k))
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    run = f"mecc run {summary['run_id']}" if summary.get("run_id") else "mecc run"
    for level, layer in frame.groupby("level", sort=True):
        described = f"Admin level {level} units of {country or 'the run'}: {run}, {today}"
        layer.to_file(
            path,
            layer=f"admin{level}",
            driver="GPKG",
            dataset_options={"VERSION": "1.2"},  # used when the file is created
            layer_options={"DESCRIPTION": f"{described}; modelled estimates, see manifest.json"},
        )
    from mecc.qgis_style import add_qgis_styles  # QGIS opens the layers styled

    add_qgis_styles(path, [tab.zones["hazard_id"].iloc[0] for tab in hazard_tabs])
