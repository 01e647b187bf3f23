"""Writing run outputs: a staging folder renamed into place, CSV, JSON, GeoTIFF, NetCDF.

A run writes into a temporary sibling of its output folder and renames it into place
at the end, so a failed or interrupted run leaves nothing half-written, and an existing
run folder is replaced only when the caller asks for it (DESIGN.md, outputs).
Every CSV is UTF-8 with a byte-order mark so that spreadsheet programs open names in
French and Spanish correctly (readers use ``utf-8-sig``).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import uuid
from pathlib import Path

import numpy as np

from mecc.errors import InputFileError, OutputExistsError

__all__ = ["CellGridWriter", "OutputFolder", "sha256_of", "write_csv", "write_json"]


class OutputFolder:
    """A staging folder that becomes ``target`` on :meth:`commit`.

    Parameters
    ----------
    target : path
        The run folder to create.
    overwrite : bool
        Replace an existing, non-empty ``target`` on commit. Without it an existing
        non-empty folder is refused at once, before any work.
    """

    def __init__(self, target, overwrite: bool = False):
        self.target = Path(target).absolute()
        self.overwrite = overwrite
        if self.target.exists() and not self.target.is_dir():
            raise OutputExistsError(f"{self.target}: exists and is not a folder")
        if self._occupied() and not overwrite:
            raise OutputExistsError(
                f"{self.target}: folder exists and is not empty; use --overwrite to replace it"
            )
        self.path: Path | None = None

    def _occupied(self) -> bool:
        return self.target.is_dir() and any(self.target.iterdir())

    def __enter__(self) -> Path:
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self.path = self.target.parent / f".{self.target.name}.partial-{uuid.uuid4().hex[:8]}"
        self.path.mkdir()
        return self.path

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None and self.path is not None and self.path.exists():
            shutil.rmtree(self.path, ignore_errors=True)
        return False

    def commit(self) -> Path:
        """Move the staged files into place (replacing an old run if allowed)."""
        if self._occupied() and not self.overwrite:
            shutil.rmtree(self.path, ignore_errors=True)
            raise OutputExistsError(
                f"{self.target}: folder appeared during the run; use --overwrite to replace it"
            )
        old = None
        if self.target.exists():
            old = self.target.parent / f".{self.target.name}.old-{uuid.uuid4().hex[:8]}"
            self.target.rename(old)
        self.path.rename(self.target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return self.target


def sha256_of(path) -> str:
    """SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except OSError as error:
        raise InputFileError(f"{path}: cannot read ({error})") from None
    return digest.hexdigest()


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_jsonable(v) for v in value.tolist()]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        value = float(value)
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def write_json(data, path) -> None:
    """Write JSON (UTF-8, NaN as null, keys in the given order)."""
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(_jsonable(data), handle, indent=1, ensure_ascii=False, allow_nan=False)
        handle.write("\n")


def write_csv(frame, path) -> None:
    """Write a DataFrame as UTF-8 CSV with a byte-order mark, full float precision."""
    frame.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")


class CellGridWriter:
    """Per-cell outputs written block by block, finished as a Cloud-Optimised GeoTIFF.

    Parameters
    ----------
    path : path
        The final ``.tif``.
    grid : mecc.grid.GridSpec
    band_names : list of str
        One band per name (band descriptions in the file).
    tags : dict, optional
        Dataset metadata (units, meaning, sources).
    """

    def __init__(self, path, grid, band_names, tags=None):
        import rasterio

        self.path = Path(path)
        self._staging = self.path.with_suffix(".staging.tif")
        self.grid = grid
        profile = {
            "driver": "GTiff",
            "width": grid.width,
            "height": grid.height,
            "count": len(band_names),
            "dtype": "float64",
            "crs": grid.crs,
            "transform": grid.transform,
            "tiled": True,
            "blockxsize": 256,
            "blockysize": 256,
            "compress": "zstd",
            "predictor": 3,
            "BIGTIFF": "IF_SAFER",
        }
        self._dataset = rasterio.open(self._staging, "w", **profile)
        for k, name in enumerate(band_names, start=1):
            self._dataset.set_band_description(k, name)
        if tags:
            self._dataset.update_tags(**{k: str(v) for k, v in tags.items()})

    def write(self, band_index: int, window, values: np.ndarray) -> None:
        """Write ``values`` of 0-based band ``band_index`` into ``window``."""
        self._dataset.write(values, band_index + 1, window=window)

    def close(self) -> Path:
        """Finish: convert the staging file to a tiled ZSTD COG and remove it."""
        import rasterio.shutil

        self._dataset.close()
        rasterio.shutil.copy(
            self._staging,
            self.path,
            driver="COG",
            COMPRESS="ZSTD",
            PREDICTOR="FLOATING_POINT",
            BLOCKSIZE=512,
            OVERVIEW_RESAMPLING="AVERAGE",
            BIGTIFF="IF_SAFER",
        )
        os.remove(self._staging)
        return self.path
