"""Admin zones: one or several levels read from GeoJSON, GeoPackage or shapefiles.

The finest level is rasterised on the analysis grid by cell centre (a cell belongs to
the unit containing its centre, CLIMADA's rule; where units overlap, the one listed
later wins). Cells in no unit go to the explicit ``__outside__`` bucket, never dropped.
Coarser levels are sums of their children, linked by parent codes (a ``parent_field``
or, when absent, the parent containing the child's representative point).
"""

from __future__ import annotations

import difflib
import os
import threading
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import rasterio.features
import shapely
from rasterio.windows import Window

from exposure.zone_cells import in_cells, in_grid_longitudes, moved_to
from exposure.zone_coverage import partly_outside, percent, uncovered_parents
from mecc.errors import (
    ConfigError,
    DataError,
    DuplicateZoneCodeError,
    InputFileError,
    MeccWarning,
    MissingCRSError,
    NoOverlapError,
    did_you_mean,
)
from mecc.grid import GridSpec

__all__ = [
    "OUTSIDE_CODE",
    "OUTSIDE_SHARE",
    "ZoneLevel",
    "Zones",
    "check_unit_codes",
    "read_zone_level",
    "read_zones",
    "report_unknown_codes",
    "unit_code",
]

OUTSIDE_CODE = "__outside__"
"""Code of the bucket holding cells that fall in no admin unit."""

OUTSIDE_SHARE = 0.05
"""Share of the people in no unit above which a run warns (:meth:`Zones.warn_outside_share`)."""


@dataclass
class ZoneLevel:
    """One admin level.

    Attributes
    ----------
    level : int
        Admin level number (0 = country, 1 = first subdivision, ...).
    codes, names : list of str
    parents : list of str or None
        Parent code of each unit (None for the coarsest level).
    geometry : geopandas.GeoSeries or None
    path : str
    warnings : list of str
        Warnings given while reading the level (recorded in the manifest).
    source : tuple
        (run-file entry such as ``"zones[1]"``, the file as the run file names it, the
        parent field) to name in errors.
    """

    level: int
    codes: list
    names: list
    parents: list | None = None
    geometry: object = None
    path: str = ""
    warnings: list = field(default_factory=list)
    source: tuple = ("", "", None)  # (run-file entry, file as given, parent field) for errors


def unit_code(value) -> str | None:
    """A unit's code as text (None when missing: null, NaN or blank).

    Whole numbers stored as floats (a shapefile's numeric field, a column with a
    null) are written without the decimal point: 101.0 is code "101".
    """
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value).strip() or None


def check_unit_codes(codes: list, where: str, source: str, part: str = "feature") -> None:
    """Refuse unit codes that are missing (None), reserved (``__outside__``, the bucket of
    people in no unit) or given twice, in one line naming ``where`` and ``source``.

    Shared by the boundary files a run reads and the array layer's GeoDataFrames.
    """
    if None in codes:
        raise DataError(f"{where}: {part} {codes.index(None)} of {source} has no code")
    if OUTSIDE_CODE in codes:
        raise DataError(
            f"{where}: code {OUTSIDE_CODE!r} in {source} is reserved for the people outside "
            "every unit; give that unit another code"
        )
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            raise DuplicateZoneCodeError(
                f"{where}: code {code!r} appears more than once in {source}; merge the parts "
                f"into one {part}"
            )
        seen.add(code)


def read_zone_level(spec: dict, base_dir, where: str) -> ZoneLevel:
    """Read one admin level from a ``zones:`` entry (path, code_field, name_field, level).

    Raises
    ------
    ConfigError, InputFileError, DataError
        One line naming the entry's field and the file: a missing field, a layer with
        no polygons, a feature without a code (null or blank), a code given twice.
    """
    from exposure.zone_files import checked_shapes, read_zone_frame

    for key in ("path", "code_field"):
        if key not in spec:
            raise ConfigError(f"{where}.{key}: missing")
    path = os.path.join(os.fspath(base_dir), spec["path"])
    if not os.path.exists(path):
        hint = did_you_mean(path, spec["path"])
        raise InputFileError(f"{where}.path: file not found ({path}){hint}")
    frame, notes = read_zone_frame(path, spec, where)
    if frame.crs is None:
        raise MissingCRSError(f"{where}.path ({spec['path']}): layer has no CRS")
    columns = [c for c in frame.columns if c != frame.geometry.name]
    for key in ("code_field", "name_field", "parent_field"):
        name = spec.get(key)
        if name is not None and name not in columns:
            close = difflib.get_close_matches(str(name), columns, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise DataError(
                f"{where}.{key}: no field {name!r} in {spec['path']}{hint}; fields: {', '.join(columns)}"
            )
    codes = [unit_code(v) for v in frame[spec["code_field"]]]
    check_unit_codes(codes, f"{where}.code_field", spec["path"])
    names = (
        [str(v) for v in frame[spec["name_field"]].fillna("")]
        if spec.get("name_field")
        else list(codes)
    )
    parents = (
        [unit_code(v) for v in frame[spec["parent_field"]]] if spec.get("parent_field") else None
    )  # a missing parent (None) is an error once the level has a parent level (Zones)
    geometry, shape_notes = checked_shapes(frame.geometry, codes, where)
    notes.extend(shape_notes)
    level = spec.get("level", 1)
    if not isinstance(level, int) or isinstance(level, bool) or level < 0:
        raise ConfigError(f"{where}.level: give a whole number >= 0 (admin level)")
    source = (where, spec["path"], spec.get("parent_field"))
    return ZoneLevel(level, codes, names, parents, geometry, path, notes, source)


class Zones:
    """Admin levels linked by parent codes, rasterised by cell centre.

    Zone index ``i < n`` is the ``i``-th unit of the finest level; index ``n`` is the
    ``__outside__`` bucket.
    """

    def __init__(self, levels: list[ZoneLevel], country: str = "", whole_grid: bool = False):
        self.levels = sorted(levels, key=lambda lv: lv.level)
        self.finest = self.levels[-1]
        self.n = len(self.finest.codes)
        self.outside_index = self.n
        self.whole_grid = whole_grid
        self.country = country
        self.notes = [note for lv in self.levels for note in lv.warnings]
        self._ancestors = self._link_levels()
        self._grid = None
        self._tree = None
        self._cells = self._frame = None

    @classmethod
    def national(cls, code: str, name: str) -> Zones:
        """One zone covering the whole analysis grid (when a run gives no zones)."""
        return cls([ZoneLevel(0, [code], [name])], country=code, whole_grid=True)

    def _link_levels(self) -> list[np.ndarray]:
        """For each level, the index of each finest unit's ancestor at that level."""
        ancestors = [np.arange(self.n)]
        self._links = [None] * len(self.levels)
        child = self.finest
        child_to_level = np.arange(self.n)
        for k in range(len(self.levels) - 1, 0, -1):
            parent = self.levels[k - 1]
            index = {code: i for i, code in enumerate(parent.codes)}
            if child.parents is not None:
                links = []
                where, source, parent_field = child.source
                for row, (code, pcode) in enumerate(zip(child.codes, child.parents, strict=True)):
                    if pcode is None:
                        raise DataError(
                            f"{where}.parent_field: feature {row} of {source} (unit {code!r}) "
                            f"has no parent code (parent_field {parent_field!r})"
                        )
                    if pcode not in index:
                        named = f"{where}.parent_field" if where else "zones"
                        of = f" (feature {row} of {source})" if source else ""
                        raise DataError(
                            f"{named}: level {child.level} unit {code!r}{of} names parent "
                            f"{pcode!r}, which is not a code of level {parent.level}"
                        )
                    links.append(index[pcode])
            else:
                links = self._parents_by_location(child, parent)
            links = np.asarray(links, dtype=np.int64)
            self._links[k] = links
            child_to_level = links[child_to_level]
            ancestors.insert(0, child_to_level)
            child = parent
        return ancestors

    def _parents_by_location(self, child: ZoneLevel, parent: ZoneLevel) -> list[int]:
        parent_geom = parent.geometry.to_crs(child.geometry.crs)
        tree = shapely.STRtree(parent_geom.to_numpy())
        links = []
        for code, geom in zip(child.codes, child.geometry.to_numpy(), strict=True):
            point = shapely.point_on_surface(geom)
            hits = [int(i) for i in tree.query(point, predicate="within")]
            if not hits:
                candidates = tree.query(geom)
                areas = [
                    shapely.area(shapely.intersection(geom, parent_geom.iloc[int(i)]))
                    for i in candidates
                ]
                if not candidates.size or max(areas) <= 0:
                    raise DataError(
                        f"zones level {child.level}: unit {code!r} lies in no unit of level "
                        f"{parent.level}; give parent_field"
                    )
                hits = [int(candidates[int(np.argmax(areas))])]
            links.append(hits[0])
        message = (
            f"zones level {child.level}: parents assigned by location in level {parent.level} "
            "(no parent_field given)"
        )
        self.notes.append(message)
        return links

    # ---------------------------------------------------------------- rasterising

    def prepare(self, grid: GridSpec) -> None:
        """Project the finest level onto ``grid`` and index it for block rasterising.

        On a latitude/longitude grid the units are burnt in the grid's longitude
        convention (:func:`~exposure.zone_cells.in_grid_longitudes`): a unit given in
        -180..180 on a grid in 0-360, split at 180 degrees, gets its cells on both
        sides. The levels keep their shapes as given (``zones.gpkg``).
        """
        self._grid = grid
        if self.whole_grid:
            return
        given = self.finest.geometry.to_crs(grid.crs).to_numpy()
        left, bottom, right, top = grid.bounds
        box = shapely.box(left, bottom, right, top)
        geoms = in_grid_longitudes(given, grid)  # -180..180 units on a 0-360 grid, or back
        if not shapely.intersects(geoms, box).any():
            raise NoOverlapError(
                f"zones ({os.path.basename(self.finest.path)}): no unit overlaps the analysis grid "
                "(check the CRS and the area)"
            )
        self._geoms = geoms
        self._tree = shapely.STRtree(geoms)
        self._cells, self._frame = in_cells(geoms, grid)  # block-invariant rasterising
        cut = partly_outside(geoms, box, shapely.area(given))
        if cut:
            shown = ", ".join(f"{self.finest.codes[i]} {percent(share)}" for i, share in cut[:5])
            message = (
                f"zones: {len(cut)} unit(s) lie partly or wholly outside the analysis grid, "
                "so the people there are not counted and their figures are too low (share "
                f"of the unit's area on the grid: {shown}{'…' if len(cut) > 5 else ''}); "
                "give a population grid that covers every unit"
            )
            warnings.warn(message, MeccWarning, stacklevel=2)
            self.notes.append(message)
        gaps = uncovered_parents(self.levels, self._links, OUTSIDE_CODE)
        if gaps:
            warnings.warn(gaps, MeccWarning, stacklevel=2)
            self.notes.append(gaps)

    def warn_outside_share(self, population) -> str | None:
        """Warn when more than :data:`OUTSIDE_SHARE` of the people lie in no unit.

        Parameters
        ----------
        population : numpy.ndarray
            People per finest unit, the outside bucket last (``n + 1`` values, as the
            engine returns them).

        Returns
        -------
        str or None
            The warning given (a :class:`~mecc.errors.MeccWarning`), None when the
            share is at most :data:`OUTSIDE_SHARE` or the run has no zones.
        """
        population = np.asarray(population, dtype=np.float64)
        total = float(population.sum())
        outside = float(population[self.outside_index]) if not self.whole_grid else 0.0
        if total <= 0 or outside <= OUTSIDE_SHARE * total:
            return None
        message = (
            f"zones: {outside / total:.0%} of the people on the analysis grid ({outside:,.0f} "
            f"of {total:,.0f}) lie in no unit (the {OUTSIDE_CODE} bucket; more than "
            f"{OUTSIDE_SHARE:.0%}); check that the zones cover the population grid and that "
            "their CRS is right"
        )
        warnings.warn(message, MeccWarning, stacklevel=2)
        return message

    def rasterize(self, window: Window, out: np.ndarray | None = None) -> np.ndarray:
        """Zone index of each cell of ``window`` (int32; ``n`` = outside).

        Written into ``out`` (int32, the window's shape) when given.
        """
        shape = (int(window.height), int(window.width))
        if out is None:
            out = np.empty(shape, dtype=np.int32)
        if self.whole_grid:
            out.fill(0)
            return out
        out.fill(self.outside_index)
        bounds = self._grid.window_bounds(window)
        hits = np.sort(self._tree.query(shapely.box(*bounds)))
        if hits.size and self._cells is not None:
            shapes = moved_to(self._cells[hits], self._frame, window.col_off, window.row_off)
            _burn(zip(shapes, (int(i) for i in hits), strict=True), out, self._frame)
        elif hits.size:
            _burn(
                ((self._geoms[i], int(i)) for i in hits), out, self._grid.window_transform(window)
            )
        return out

    def rasterize_grid(self, grid: GridSpec) -> np.ndarray:
        """Zone index of each cell of another grid in the analysis CRS (cell centres),
        e.g. a coarser grid for the allocation of displaced people."""
        out = np.full(grid.shape, 0 if self.whole_grid else self.outside_index, dtype=np.int32)
        if self.whole_grid:
            return out
        hits = np.sort(self._tree.query(shapely.box(*grid.bounds)))
        if hits.size:
            _burn(((self._geoms[i], int(i)) for i in hits), out, grid.transform)
        return out

    # --------------------------------------------------------------- aggregation

    def table(self) -> pd.DataFrame:
        """Every unit of every level (coarse first), then the outside bucket.

        Columns: ``zone_code, zone_name, level, parent_code``.
        """
        rows = []
        for k, level in enumerate(self.levels):
            parent_level = self.levels[k - 1] if k > 0 else None
            parent_of = self._parent_codes(k, parent_level)
            for i, (code, name) in enumerate(zip(level.codes, level.names, strict=True)):
                rows.append((code, name, level.level, parent_of[i]))
        rows.append((OUTSIDE_CODE, "Outside every admin unit", None, None))
        frame = pd.DataFrame(rows, columns=["zone_code", "zone_name", "level", "parent_code"])
        frame["level"] = frame["level"].astype("Int64")
        return frame

    def _parent_codes(self, k, parent_level):
        if parent_level is None:
            return [None] * len(self.levels[k].codes)
        return [parent_level.codes[i] for i in self._links[k]]

    def geodataframe(self, grid: GridSpec | None = None):
        """Every unit of every level (coarse first) with code, name, level and parent, in
        WGS 84; a run without zones gets the analysis grid's outline as its one unit."""
        import geopandas as gpd

        table = self.table().iloc[:-1]  # without the outside bucket (it has no shape)
        if self.whole_grid:
            if grid is None:
                raise ValueError("a run without zones needs the grid to draw its outline")
            outline = gpd.GeoSeries([shapely.box(*grid.bounds)], crs=grid.crs).to_crs("EPSG:4326")
            return gpd.GeoDataFrame(
                table.reset_index(drop=True), geometry=outline.to_numpy(), crs="EPSG:4326"
            )
        shapes = [lv.geometry.to_crs("EPSG:4326").to_numpy() for lv in self.levels]
        return gpd.GeoDataFrame(
            table.reset_index(drop=True), geometry=np.concatenate(shapes), crs="EPSG:4326"
        )

    def level_rows(self, k: int) -> slice:
        """Rows of level ``k`` (coarse first) in :meth:`table` and :meth:`aggregate`."""
        start = sum(len(lv.codes) for lv in self.levels[:k])
        return slice(start, start + len(self.levels[k].codes))

    def finest_members(self, k: int, i: int) -> np.ndarray:
        """Indices of the finest units inside unit ``i`` of level ``k``."""
        return np.flatnonzero(self._ancestors[k] == i)

    def locate(self, code: str) -> tuple[int, int] | None:
        """(level position, unit index) of a zone code, finest level first; None if unknown."""
        for k in range(len(self.levels) - 1, -1, -1):
            codes = self.levels[k].codes
            if code in codes:
                return k, list(codes).index(code)
        return None

    def finest_values(self, values: dict, label: str) -> tuple[np.ndarray, list[str]]:
        """Per finest unit, the value given for it or for its nearest ancestor.

        Parameters
        ----------
        values : dict
            Zone code (any level) → value (a number or an array).
        label : str
            Names the input in errors.

        Returns
        -------
        (per_unit, unknown)
            ``per_unit`` has one row per finest unit (NaN where neither the unit nor an
            ancestor has a value); ``unknown`` lists codes that are no zone's.

        Raises
        ------
        DataError
            A zone code given at two levels would be ambiguous (codes are unique per
            level but may repeat across levels).
        """
        for code in values:
            levels = [level.level for level in self.levels if code in level.codes]
            if len(levels) > 1:
                raise DataError(
                    f"{label}: zone code {code!r} is a unit at levels "
                    f"{' and '.join(str(n) for n in levels)}, so the value given for it is "
                    "ambiguous; give it by the codes of the units it is meant for"
                )
        sample = np.asarray(next(iter(values.values()))) if values else np.asarray(0.0)
        out = np.full((self.n, *sample.shape), np.nan)
        filled = np.zeros(self.n, dtype=bool)
        known = set()
        for k in range(len(self.levels) - 1, -1, -1):  # finest first: the nearest wins
            level = self.levels[k]
            for i, code in enumerate(level.codes):
                if code not in values:
                    continue
                known.add(code)
                members = np.flatnonzero((self._ancestors[k] == i) & ~filled)
                out[members] = values[code]
                filled[members] = True
        return out, sorted(set(values) - known)

    def aggregate(self, values: np.ndarray) -> np.ndarray:
        """Sum per-finest-unit values (leading axis ``n + 1``) up to every level.

        Returns an array whose leading axis follows :meth:`table` rows. Coarser units
        whose children received nothing get 0.
        """
        values = np.asarray(values)
        parts = []
        for k, level in enumerate(self.levels):
            out = np.zeros((len(level.codes), *values.shape[1:]), dtype=values.dtype)
            np.add.at(out, self._ancestors[k], values[: self.n])
            parts.append(out)
        parts.append(values[self.n : self.n + 1])
        return np.concatenate(parts, axis=0)


def read_zones(spec, base_dir, country: str) -> Zones:
    """Read a run file's ``zones:`` value (one level or a list of levels)."""
    entries = spec if isinstance(spec, list) else [spec]
    if not entries:
        raise ConfigError("zones: give at least one level")
    levels = []
    for k, entry in enumerate(entries):
        where = f"zones[{k}]" if isinstance(spec, list) else "zones"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: give path, code_field, name_field and level")
        if entry.get("format") == "cod-ab":
            from exposure.cod import read_cod_ab

            levels.extend(read_cod_ab(entry, base_dir, where))
            continue
        for key in ("levels", "language"):
            if key in entry:
                raise ConfigError(f"{where}.{key}: applies with format: cod-ab only")
        levels.append(read_zone_level(entry, base_dir, where))
    numbers = [lv.level for lv in levels]
    if len(set(numbers)) != len(numbers):
        raise ConfigError("zones: two entries have the same level number")
    return Zones(levels, country=country)


_BURNING = threading.Lock()
"""One rasterisation at a time: rasterio's rasterize sets the process's warning filters
to "ignore" and back (``warnings.catch_warnings``, which is not thread-safe), so two
engine threads rasterising at once could leave "ignore" in place and every later
warning of the run (e.g. "units received no cell") was dropped from the manifest."""


def _burn(shapes, out: np.ndarray, transform) -> None:
    """Burn ``(geometry, value)`` pairs into ``out`` at cell centres (all_touched False)."""
    with _BURNING:
        rasterio.features.rasterize(shapes, out=out, transform=transform, all_touched=False)


def report_unknown_codes(unknown: list, n_given: int, zones, where: str, table=None) -> None:
    """Refuse a per-zone table none of whose codes is a unit of the run's zones (a code
    format mismatch: lower case, 101 for 0101, a missing country prefix: the table would
    change nothing without a word); warn of the codes that are not (a "Total" row, a unit
    of another year), which are ignored.

    With ``table`` = ``(path, column, what, also)`` (the file the codes come from, its
    code column, what it is, and codes of other levels known besides the zones', e.g.
    the country's), only codes of another level are warned of (a parent of units: a
    prefix of a unit's code, a total row, ``also``); a code that is no unit at any level
    (a typo) is refused, naming the file's rows (:func:`exposure.census_codes.refuse_codes`).
    A run without zones (the whole grid, one unit) cannot tell a typo from a unit of a
    table's finer levels: its codes are warned of, as before.
    """
    if table is not None and unknown and len(unknown) < n_given and not zones.whole_grid:
        from exposure.census_codes import code_rows, refuse_codes, split_codes

        path, column, what, also = table
        codes = [code for level in zones.levels for code in level.codes]
        _, no_level = split_codes(unknown, codes, also)
        rows = code_rows(path, column, no_level, what, where) if no_level else {}
        refuse_codes(no_level, rows, where, codes, "the run's zones")
    if unknown and len(unknown) == n_given:
        raise DataError(
            f"{where}: no code is a unit of the run's zones (it has "
            f"{', '.join(map(str, unknown[:3]))}...; the zones have "
            f"{', '.join(zones.finest.codes[:3])}...); check the code format (case, leading "
            "zeros, a country prefix)"
        )
    if unknown:
        warnings.warn(
            f"{where}: {len(unknown)} zone code(s) are no unit of the run's zones and are "
            f"ignored (e.g. {', '.join(map(str, unknown[:3]))})",
            MeccWarning,
            stacklevel=4,
        )
