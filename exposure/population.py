"""Population on the analysis grid: read, validated and resampled conservatively.

Population comes as counts (people per cell) or densities (people per km², converted
with geodesic cell areas). Missing values — the declared nodata, NaN, or the extreme
values WorldPop and others write (see ``mecc.grid.EXTREME_VALUE``) — are no people.
Negative values are refused, and so are infinite ones (+inf or -inf): no population
product writes them for "no data" (their sentinels are finite, such as -3.4e38), so an
infinity is a broken computation (a division by zero) whose people would vanish without
a word. A file (or ``population.nodata``) that declares an infinity as its nodata value
keeps it as nodata.

Onto another analysis grid population is moved conservatively (DESIGN.md):

- same CRS, no rotation: each source cell is spread over the target cells it overlaps
  in proportion to the overlap area (separable weights, ``kernels.regrid_area_weighted``).
  This is exact for aligned integer factors (aggregation and disaggregation) and
  conserves the total of every source cell inside the grid;
- otherwise (another CRS, or a rotated grid): each source cell is split into k x k
  sub-cells (k from the ratio of cell sizes, at most 16) and each sub-cell's people go
  to the analysis cell holding its centre. Every person lands in exactly one cell, so
  the total equals the population inside the grid and blocks cannot change it.

Totals before and after are kept in :attr:`PopulationGrid.report` for the manifest.

What the values are (``kind``) may be stated by the file itself (:func:`stated_kind`): a
GDAL band unit or description, or a ``unit`` / ``units`` / ``measure`` tag such as the
"people per cell" ``mecc population from-census`` writes, or "persons per square
kilometre". The statement decides when the run file gives no ``kind``, and a run-file
``kind`` that contradicts it is refused: a count read as a density is multiplied by the
cell area (x31 on 0.05° cells near the equator).
"""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import rasterio.warp
from rasterio.windows import Window

from mecc.errors import ConfigError, DataError, ResamplingWarning
from mecc.grid import (
    GridSpec,
    block_windows,
    cell_areas_km2,
    check_overlap,
    crs_equal,
    overlap_weights,
)
from mecc.kernels import regrid_area_weighted
from mecc.raster_file import RasterFile

__all__ = ["SOURCES", "PopulationGrid", "kind_stated_in", "source_convention", "stated_kind"]

SOURCES = {
    "worldpop": {
        "nodata": -99999.0,
        "attribution": "Population: WorldPop, University of Southampton (CC BY 4.0)",
    },
    "ghsl": {
        "nodata": -200.0,
        "attribution": "Population: GHS-POP, European Commission JRC (CC BY 4.0)",
    },
    "gpw": {
        "nodata": None,  # -3.4e38, masked as an extreme value
        "attribution": "Population: GPWv4, CIESIN Columbia University / NASA SEDAC (CC BY 4.0)",
    },
    "litpop": {
        "nodata": None,
        "attribution": "Population: LitPop / GPWv4 via CLIMADA (CC BY 4.0)",
    },
    "census": {"nodata": None, "attribution": "Population: national census"},
}
"""Known population products: the nodata value some of their files carry without
declaring it, and the attribution line reports print. Extreme values (WorldPop's
-3.4e38, GPW's) are masked for every source (``mecc.grid.EXTREME_VALUE``)."""


def source_convention(source: str | None, label: str) -> dict:
    """The conventions of a population product named in the run file (``source:``)."""
    if source is None:
        return {"nodata": None, "attribution": None}
    key = source.lower()
    if key not in SOURCES:
        raise ConfigError(f"{label}: source must be one of {', '.join(SOURCES)}, not {source!r}")
    return SOURCES[key]


KINDS = ("count", "density")
_SCAN_ROWS = 512

MEANINGS = {"count": "people per cell", "density": "people per km²"}
"""What each run-file ``kind`` means, as messages say it."""

_PER = r"(?:\bper\b|/)\s*(?:1\s+|one\s+)?"
_KM2 = r"(?:km\s*\^?\s*2|sq\.?\s*km|square\s+kilomet(?:er|re)s?|kilomet(?:er|re)s?\s+squared)\b"
_OTHER_AREA = (
    r"(?:ha|hectares?|m\s*\^?\s*2|sq\.?\s*m|square\s+met(?:er|re)s?|sq\.?\s*mi(?:les?)?|"
    r"mi\s*\^?\s*2|square\s+miles?|acres?)\b"
)
_STATEMENTS = (  # (kind, strong, pattern)
    ("density", True, _PER + _KM2),
    ("density", True, r"\bkm\s*\^?\s*-\s*2\b"),
    ("other", True, _PER + _OTHER_AREA),
    ("density", True, r"^(?:population\s+|people\s+)?density$"),
    ("count", True, _PER + r"(?:grid\s+)?(?:cell|pixel)s?\b|\bgrid\s+cells?\b"),
    ("count", True, r"\b(?:head)?counts?\b|\bnumber\s+of\s+(?:people|persons|inhabitants)\b"),
    ("count", False, r"^(?:people|persons?|inhabitants|individuals)$"),
)
"""How files state what their values are. A bare "people" (a ``unit`` tag) is a weak count
statement: a text naming people per km² in the same file outweighs it. The word "density"
states a density only as the whole text ("population density"), not inside a sentence
("count adjusted to UN density estimates")."""


def kind_stated_in(text: str):
    """``(kind, strong)`` a text states (``kind`` may be ``"other"``: per ha, m², mi²), or
    None: a text matching no statement, or statements of two kinds ("persons per 1 km2
    grid cell" is a count on a 1 km grid, not a density), says nothing for sure."""
    spoken = str(text).strip().lower().replace("_", " ")
    spoken = spoken.replace("²", "2").replace("⁻", "-").replace("−", "-")
    spoken = re.sub(r"\s+", " ", spoken)
    matched = [
        (kind, strong) for kind, strong, pattern in _STATEMENTS if re.search(pattern, spoken)
    ]
    if len({kind for kind, _ in matched}) != 1:
        return None
    return matched[0][0], any(strong for _, strong in matched)


def stated_kind(path, band: int = 1):
    """What a population file states its values are, or None.

    Read from the band's GDAL unit, the band's and the file's ``unit`` / ``units`` tags,
    the ``measure`` tag and the band description (``mecc population from-census`` writes
    ``unit=people``, ``measure="people per cell"`` and the description "people per
    cell"). Texts that state nothing known are ignored.

    Returns
    -------
    tuple or None
        ``(kind, text, where)``: ``kind`` is ``"count"``, ``"density"`` (people per km²),
        ``"other"`` (people per another area: ha, m², mi²) or ``"both"`` when texts of the
        file disagree (``text`` then names them); ``where`` says which statement it is.
    """
    import rasterio

    with rasterio.open(path) as dataset:
        tags, band_tags = dataset.tags(), dataset.tags(band)
        candidates = [
            (dataset.units[band - 1], "band unit"),
            (band_tags.get("unit"), "band unit tag"),
            (band_tags.get("units"), "band units tag"),
            (tags.get("unit"), "unit tag"),
            (tags.get("units"), "units tag"),
            (tags.get("measure"), "measure tag"),
            (dataset.descriptions[band - 1], "band description"),
        ]
    found = []
    for text, where in candidates:
        kind = kind_stated_in(text) if text else None
        if kind is not None:
            found.append((*kind, str(text).strip(), where))
    strong = [f for f in found if f[1]] or found
    kinds = {kind for kind, _, _, _ in strong}
    if not kinds:
        return None
    if len(kinds) > 1:
        shown = " and ".join(f"{text!r} ({where})" for _, _, text, where in strong)
        return "both", shown, "statements"
    kind, _, text, where = strong[0]
    return kind, text, where


def _resolve_kind(given, default, stated, key: str, label: str) -> str:
    """The kind to read: the run file's, checked against the file's statement."""
    if stated is None:
        return given if given is not None else default
    kind, text, where = stated
    said = f"{label} states {text!r} ({where})" if kind != "both" else f"{label} states {text}"
    if kind == "both":
        if given is not None:
            return given  # the run file decides between the file's own statements
        raise DataError(
            f"{said}, which disagree; give {key} (count: people per cell, density: people per km²)"
        )
    if kind == "other":
        what = "neither people per cell (count) nor people per km² (density)"
        if given is not None:
            raise ConfigError(
                f"{key}: the run file says kind: {given} ({MEANINGS[given]}) but {said}, "
                f"{what}; convert the file to one of them"
            )
        raise DataError(f"{said}, {what}; convert the file to one of them")
    if given is not None and given != kind:
        raise ConfigError(
            f"{key}: the run file says kind: {given} ({MEANINGS[given]}) but {said}, i.e. "
            f"kind: {kind} ({MEANINGS[kind]}); correct the one that is wrong"
        )
    return kind


class PopulationGrid:
    """A population raster delivered block by block on the analysis grid.

    Parameters
    ----------
    path : path
    kind : {"count", "density"}, optional
        People per cell, or people per km²: the run file's ``kind``, None when it gives
        none. Checked against what the file states (:func:`stated_kind`): a contradiction
        is refused, and without ``kind`` the statement decides (else ``default_kind``).
    label : str
        Names the input in errors (e.g. ``"run.yaml.population.path (pop.tif)"``).
    band : int
        1-based band to read.
    nodata : float, optional
        A nodata value to mask in addition to the file's own.
    year : int, optional
    default_kind : {"count", "density"}
        The kind of a file that states none when ``kind`` is None.
    kind_key : str, optional
        The run-file key of ``kind`` in errors; by default ``label``'s key with ``.kind``
        for ``.path`` (``run.yaml.population.kind``).

    Raises
    ------
    ConfigError
        ``kind`` is no kind, or contradicts what the file states.
    DataError
        The file states people per another area (ha, m², mi²), or states both kinds and
        the run file gives none.
    """

    def __init__(
        self,
        path,
        kind=None,
        label=None,
        band=1,
        nodata=None,
        year=None,
        *,
        default_kind="count",
        kind_key=None,
    ):
        key = kind_key or _kind_key(label)
        if kind is not None and kind not in KINDS:
            raise ConfigError(f"{key}: must be 'count' or 'density', not {kind!r}")
        self.file = _PopulationFile(path, label, extra_nodata=nodata)
        self.label = self.file.label
        if not 1 <= band <= self.file.count:
            raise DataError(f"{self.label}: band {band} does not exist ({self.file.count} bands)")
        self.stated = stated_kind(self.file.path, band)
        """What the file states its values are (:func:`stated_kind`), or None."""
        self.kind = _resolve_kind(kind, default_kind, self.stated, key, self.label)
        self.band = band
        self.year = year
        self.target: GridSpec | None = None
        self.report: dict = {}
        self.attribution: str | None = None  # set from the run file's source
        self._mode = None

    @property
    def native_grid(self) -> GridSpec:
        """The grid of the file."""
        return self.file.grid

    # ------------------------------------------------------------------ native reads

    def _read_native(self, window: Window, out: np.ndarray | None = None) -> np.ndarray:
        values = self.file.read([self.band], window, out=None if out is None else out[None])[0]
        negative = values < 0
        if negative.any():
            r, c = np.argwhere(negative)[0]
            raise DataError(
                f"{self.label}: negative population {values[r, c]:g} at row "
                f"{int(window.row_off + r)}, column {int(window.col_off + c)}; "
                "population must be >= 0 (declare the file's nodata value if this is one)"
            )
        if self.kind == "density":
            values *= cell_areas_km2(self.file.grid, window)
        return values

    def _scan(self) -> tuple[float, float]:
        """Validate the whole file; return (people in the file, people on the target).

        "On the target" is the share that resampling keeps: every source cell weighted
        by the part of it inside the analysis grid (area weighting), or the sub-cells
        whose centres fall inside it (reassignment).
        """
        grid = self.file.grid
        total = 0.0
        on_target = 0.0
        valid_cells = 0
        if self._mode == "area_weighted":
            row_share = np.add.reduceat(np.append(self._rows[2], 0.0), self._rows[0][:-1])
            row_share[self._rows[0][1:] == self._rows[0][:-1]] = 0.0
            col_share = np.add.reduceat(np.append(self._cols[2], 0.0), self._cols[0][:-1])
            col_share[self._cols[0][1:] == self._cols[0][:-1]] = 0.0
        for window in block_windows(grid, _SCAN_ROWS, grid.width):
            values = self._read_native(window)
            finite = np.isfinite(values)
            valid_cells += int(finite.sum())
            people = np.where(finite, values, 0.0)
            total += float(people.sum())
            if self._mode == "area_weighted":
                r0, r1 = int(window.row_off), int(window.row_off + window.height)
                on_target += float(row_share[r0:r1] @ people @ col_share)
            elif self._mode == "reproject":
                for rows, cols, values in self._sub_cell_targets(window, people):
                    inside = (
                        (rows >= 0)
                        & (rows < self.target.height)
                        & (cols >= 0)
                        & (cols < self.target.width)
                    )
                    on_target += float(values[inside].sum())
        if valid_cells == 0:
            raise DataError(f"{self.label}: every cell is nodata; no population to use")
        if not total > 0:
            raise DataError(f"{self.label}: the grid holds no people (every cell is 0 or nodata)")
        return total, on_target if self._mode != "identical" else total

    # ------------------------------------------------------------------- alignment

    def prepare(self, target: GridSpec, *, scan: bool = True) -> dict:
        """Validate the file and set up resampling onto ``target``; return the report.

        With ``scan=False`` and a file already on ``target``, the file is not read
        here: the engine's own pass finds negative values (reads raise), and
        :meth:`confirm` checks the total afterwards. That saves a whole read of the
        population on large grids.
        """
        source = self.file.grid
        check_overlap(source, target, self.label)
        self.target = target
        if source.same_as(target):
            self._mode = "identical"
        elif crs_equal(source.crs, target.crs) and source.rectilinear and target.rectilinear:
            self._mode = "area_weighted"
            self._setup_weights()
        else:
            self._mode = "reproject"
            self._setup_reassignment()
        if self._mode == "identical" and not scan:
            self.report = {"method": self._mode}
            return self.report
        total, inside = self._scan()
        report = {"method": self._mode, "total_native": total, "total_on_grid": inside}
        if self._mode == "reproject":
            report["sub_cells_per_side"] = self._k
        lost = total - report["total_on_grid"]
        if self._mode != "identical" and abs(lost) > 1e-9 * max(total, 1.0):
            warnings.warn(
                f"{self.label}: {total:.6g} people in the file, {report['total_on_grid']:.6g} on "
                f"the analysis grid ({lost:.6g} outside it or lost to resampling)",
                ResamplingWarning,
                stacklevel=2,
            )
        self.report = report
        return report

    def confirm(self, total: float) -> dict:
        """Record the engine's population total; refuse a grid without people."""
        if not total > 0:
            raise DataError(f"{self.label}: the grid holds no people (every cell is 0 or nodata)")
        if "total_native" not in self.report:
            self.report.update(total_native=float(total), total_on_grid=float(total))
        return self.report

    def _setup_weights(self):
        source, target = self.file.grid, self.target
        s, t = source.transform, target.transform
        col_edges = (s.c + s.a * np.arange(source.width + 1) - t.c) / t.a
        row_edges = (s.f + s.e * np.arange(source.height + 1) - t.f) / t.e
        self._rows = overlap_weights(row_edges, target.height)
        self._cols = overlap_weights(col_edges, target.width)
        self._row_span = _target_span(*self._rows)
        self._col_span = _target_span(*self._cols)

    def _setup_reassignment(self):
        """Sub-cells per source cell side, so fine target cells each get their share."""
        import pyproj

        source, target = self.file.grid, self.target
        self._to_target = pyproj.Transformer.from_crs(source.crs, target.crs, always_xy=True)
        t = source.transform
        col, row = source.width // 2, source.height // 2
        corners = [t @ (col + dc, row + dr) for dc, dr in ((0, 0), (1, 0), (1, 1), (0, 1))]
        x, y = self._to_target.transform([c[0] for c in corners], [c[1] for c in corners])
        area = 0.5 * abs(sum(x[i] * y[i - 3] - x[i - 3] * y[i] for i in range(4)))
        ratio = area / abs(target.transform.determinant) if np.isfinite(area) else 1.0
        self._k = int(min(max(math.ceil(math.sqrt(max(ratio, 1.0))), 1), 16))

    def _sub_cell_targets(self, window: Window, people: np.ndarray | None = None):
        """Yield (target rows, target cols, people) for each sub-cell offset of ``window``.

        ``people`` are the window's source values (read when not given).
        """
        if people is None:
            people = np.nan_to_num(self._read_native(window), nan=0.0)
        values = people / (self._k * self._k)
        source = self.file.grid
        inverse = ~self.target.transform
        offsets = (np.arange(self._k) + 0.5) / self._k
        rows = window.row_off + np.arange(int(window.height), dtype=np.float64)
        cols = window.col_off + np.arange(int(window.width), dtype=np.float64)
        for dr in offsets:
            for dc in offsets:
                col_grid, row_grid = np.meshgrid(cols + dc, rows + dr)
                t = source.transform
                x = t.c + t.a * col_grid + t.b * row_grid
                y = t.f + t.d * col_grid + t.e * row_grid
                x, y = self._to_target.transform(x, y)
                target_cols = np.floor(inverse.a * x + inverse.b * y + inverse.c)
                target_rows = np.floor(inverse.d * x + inverse.e * y + inverse.f)
                yield target_rows, target_cols, values

    def _source_window_for(self, window: Window) -> Window | None:
        source = self.file.grid
        bounds = self.target.window_bounds(window)
        left, bottom, right, top = rasterio.warp.transform_bounds(
            self.target.crs, source.crs, *bounds, densify_pts=21
        )
        inverse = ~source.transform
        corners = [inverse @ (x, y) for x in (left, right) for y in (bottom, top)]
        c0 = max(int(math.floor(min(c for c, _ in corners))) - 2, 0)
        c1 = min(int(math.ceil(max(c for c, _ in corners))) + 2, source.width)
        r0 = max(int(math.floor(min(r for _, r in corners))) - 2, 0)
        r1 = min(int(math.ceil(max(r for _, r in corners))) + 2, source.height)
        if c1 <= c0 or r1 <= r0:
            return None
        return Window(c0, r0, c1 - c0, r1 - r0)

    def _reassign(self, window: Window) -> np.ndarray:
        """People of the target ``window``: each source sub-cell goes to the target cell
        holding its centre, so every person lands in exactly one cell whatever the blocks."""
        r0, c0 = int(window.row_off), int(window.col_off)
        h, w = int(window.height), int(window.width)
        out = np.zeros((h, w))
        source_window = self._source_window_for(window)
        if source_window is None:
            return out
        for rows, cols, values in self._sub_cell_targets(source_window):
            inside = (rows >= r0) & (rows < r0 + h) & (cols >= c0) & (cols < c0 + w) & (values != 0)
            np.add.at(
                out,
                (rows[inside].astype(np.int64) - r0, cols[inside].astype(np.int64) - c0),
                values[inside],
            )
        return out

    def read(self, window: Window, out: np.ndarray | None = None) -> np.ndarray:
        """People per analysis-grid cell in ``window`` (float64, 0 where none).

        Written into ``out`` when given (on the file's own grid, without a copy).
        """
        if self._mode is None:
            raise RuntimeError("call prepare(target) first")
        if self._mode == "identical":
            # missing (NaN) -> 0; _read_native has refused negatives, and infinities are
            # already NaN, so this is nan_to_num in one pass instead of six
            values = self._read_native(window, out)
            return np.fmax(values, 0.0, out=values)
        if self._mode == "reproject":
            return _into(self._reassign(window), out)
        r0, c0 = int(window.row_off), int(window.col_off)
        r1, c1 = r0 + int(window.height), c0 + int(window.width)
        result = np.zeros((int(window.height), int(window.width)))
        rows = _sources_touching(self._row_span, r0, r1)
        cols = _sources_touching(self._col_span, c0, c1)
        if rows is None or cols is None:
            return _into(result, out)
        (i0, i1), (j0, j1) = rows, cols
        data = self._read_native(Window(j0, i0, j1 - j0, i1 - i0))
        rp, ri, rw = _csr_slice(*self._rows, i0, i1)
        cp, ci, cw = _csr_slice(*self._cols, j0, j1)
        regrid_area_weighted(np.ascontiguousarray(data), rp, ri, rw, cp, ci, cw, r0, c0, result)
        return _into(result, out)


class _PopulationFile(RasterFile):
    """A :class:`~mecc.raster_file.RasterFile` that refuses infinite values.

    The reader masks infinities as missing like NaN; for population that would drop
    the people of those cells silently. The raw values are checked as they are read
    (one vectorised pass over the block, floating-point files only); an infinity the
    file or ``population.nodata`` declares as nodata stays missing. The error names the
    cell as the file numbers it (south-up and 0-360 files included) and its centre.
    """

    def _read_columns(self, read, bands, window: Window, out: np.ndarray) -> None:
        super()._read_columns(read, bands, window, out)
        if out.dtype.kind != "f" or not np.isinf(out).any():  # masks (uint8) pass too
            return
        for k, band in enumerate(bands):
            declared = {self.nodata[band - 1], self.extra_nodata} - {None}
            declared = {float(v) for v in declared if math.isinf(float(v))}
            infinite = np.isinf(out[k])
            for value in declared:
                infinite &= out[k] != value
            if infinite.any():
                r, c = (int(i) for i in np.argwhere(infinite)[0])
                raise DataError(
                    f"{self.label}: band {band}: infinite population ({out[k, r, c]:g}) at "
                    f"{self._file_cell(int(window.row_off) + r, int(window.col_off) + c)}; "
                    "population must be a finite number >= 0 (declare the file's nodata "
                    "value if this is one)"
                )

    def _file_cell(self, row: int, col: int) -> str:
        """The cell as the file itself numbers it, for a message.

        Parameters
        ----------
        row : int
            Row of the file, counted from its first row (``read`` already turned a
            south-up file's rows into these).
        col : int
            Column of the grid as presented, where a global grid in 0-360 longitudes
            starts at 180 east (:meth:`mecc.grid.GridSpec.from_minus_180`).

        Returns
        -------
        str
            ``row R, column C (cell centre longitude X, latitude Y in the file's CRS)``:
            the 0-based row and column that rasterio and gdallocationinfo show, and the
            centre in the file's own coordinates (``x``/``y`` for a projected CRS).
        """
        col = (col + self.roll) % self.grid.width
        x, y = self._dataset().transform @ (col + 0.5, row + 0.5)
        geographic = self.grid.crs is not None and self.grid.is_geographic
        names = ("longitude", "latitude") if geographic else ("x", "y")
        return (
            f"row {row}, column {col} (cell centre {names[0]} {x:.10g}, {names[1]} {y:.10g} "
            "in the file's CRS)"
        )


def _kind_key(label) -> str:
    """``run.yaml.population.kind`` for the label ``run.yaml.population.path (pop.tif)``."""
    key = str(label or "population.path").partition(" (")[0]
    return key[: -len(".path")] + ".kind" if key.endswith(".path") else f"{key}.kind"


def _into(values: np.ndarray, out: np.ndarray | None) -> np.ndarray:
    if out is None:
        return values
    out[...] = values
    return out


def _target_span(ptr, index, weight):
    """Smallest and largest target index each source cell reaches (-1 when none)."""
    n = ptr.size - 1
    first = np.full(n, -1, dtype=np.int64)
    last = np.full(n, -1, dtype=np.int64)
    has = ptr[1:] > ptr[:-1]
    first[has] = index[ptr[:-1][has]]
    last[has] = index[ptr[1:][has] - 1]
    return first, last


def _sources_touching(span, lo, hi):
    first, last = span
    touching = np.flatnonzero((last >= lo) & (first < hi) & (first >= 0))
    if touching.size == 0:
        return None
    return int(touching[0]), int(touching[-1]) + 1


def _csr_slice(ptr, index, weight, i0, i1):
    start, stop = ptr[i0], ptr[i1]
    return ptr[i0 : i1 + 1] - start, index[start:stop], weight[start:stop]
