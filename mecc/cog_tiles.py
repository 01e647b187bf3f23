"""A Cloud-Optimised GeoTIFF written tile by tile as a run's blocks arrive.

displaced.tif used to go through a staging GeoTIFF that GDAL's COG driver then read,
decompressed and compressed again: on the bench country about 2.3 CPU-seconds of the
run's 8.8 and 400 MB of GDAL's block cache. Here each 256 x 256 tile is compressed
once, when its cells are known, and kept in a spill file; the overview levels are
averaged from the tiles below them (a quadtree: a tile of level k is complete when its
four tiles of level k - 1 are); :func:`write_cog` then writes the file in the layout
of GDAL's COG driver, whose documentation (https://gdal.org/drivers/raster/cog.html)
states it: the image file directories (IFDs) of the full image and of every overview
first, then the tiles of the smallest overview, ... , the full image's last, each tile
preceded by its size (4 bytes) and followed by its last 4 bytes again (the "ghost" header
``GDAL_STRUCTURAL_METADATA`` says so). TIFF 6.0 (sections 2, 15) and BigTIFF give the
file structure; the georeferencing and GDAL's metadata tags (band names, units, tags,
NaN nodata) come from a template that GDAL writes with no tile (:func:`template_tags`).

Overviews average the known cells only (NaN, unknown, is left out, as GDAL's AVERAGE
leaves nodata out): each level keeps, per cell, the sum and the count of the known
full-resolution cells below it, added in pairs (``kernels.sum_known_groups``, then
``kernels.sum_groups``), so a level's value is sum / count whatever the blocks' shape.
"""

from __future__ import annotations

import os
import struct

import numpy as np

from mecc import kernels
from mecc.tiff_blocks import TYPE_SIZES, first_directory_entries

__all__ = [
    "TILE",
    "ZSTD_LEVEL",
    "TilePyramid",
    "overview_factors",
    "remove_quietly",
    "template_tags",
    "tiles_of",
    "write_cog",
]

TILE = 256
"""Tile side of the COG (cells); blocks of 256 rows fill whole tiles."""

ZSTD_LEVEL = 3
"""zstd's own default level: the COG driver's LEVEL=3, as displaced.tif had before."""

_GHOST = (
    b"LAYOUT=IFDS_BEFORE_DATA\nBLOCK_ORDER=ROW_MAJOR\nBLOCK_LEADER=SIZE_AS_UINT4\n"
    b"BLOCK_TRAILER=LAST_4_BYTES_REPEATED\nKNOWN_INCOMPATIBLE_EDITION=NO\n "
)
# TIFF tags (TIFF 6.0; TileWidth etc. section 15; GDAL's 42113 GDAL_NODATA)
_SUBFILE, _WIDTH, _LENGTH = 254, 256, 257
_TILE_OFFSETS, _TILE_BYTES = 324, 325
_OVERVIEW_TAGS = (258, 259, 262, 277, 284, 317, 322, 323, 338, 339, 42113)
_LONG, _LONG8 = 4, 16


def overview_factors(width: int, height: int, tile: int = TILE) -> list[int]:
    """Overview factors as GDAL's COG driver chooses them: 2, 4, ... until a level fits
    in one tile."""
    factors, factor = [], 1
    while max(-(-width // factor), -(-height // factor)) > tile:
        factor *= 2
        factors.append(factor)
    return factors


class _Node:
    """A tile of an overview level being summed from the tiles below it."""

    __slots__ = ("sums", "counts", "waiting", "came")

    def __init__(self, sums, counts, waiting: int):
        self.sums, self.counts, self.waiting = sums, counts, waiting
        self.came: set = set()  # the quadrants (row, col) whose tile came


class TilePyramid:
    """Cells written block by block, cut into tiles, averaged into overview levels.

    Tile-sized arrays are reused (a fresh 512 KB array costs more in page faults than
    its tile's compression).

    Parameters
    ----------
    width, height : int
        The full image (level 0).
    bands : int
    emit : callable
        ``emit(level, tile_row, tile_col, values)`` receives each complete tile once:
        ``values`` of shape (bands, rows, cols), C-contiguous, the tile's cells inside
        the level (fewer than 256 at the right and bottom edges); NaN marks unknown
        cells. ``values`` is reused once ``emit`` returns.
    """

    def __init__(self, width: int, height: int, bands: int, emit):
        self.bands, self.emit = bands, emit
        self.shapes = [(height, width)]
        for factor in overview_factors(width, height):
            self.shapes.append((-(-height // factor), -(-width // factor)))
        self._tiles: dict = {}  # level 0: (row, col) -> [cells, cells still to come]
        self._nodes: list[dict] = [{} for _ in self.shapes]  # levels >= 1
        self._spare: list = []  # (bands, TILE, TILE) arrays to reuse
        self._half = (np.zeros((TILE // 2, TILE // 2)), np.zeros((TILE // 2, TILE // 2)))

    def tiles(self, level: int) -> tuple[int, int]:
        """Rows and columns of tiles of ``level``."""
        return tiles_of(self.shapes[level])

    def _extent(self, level: int, row: int, col: int) -> tuple[int, int]:
        rows, cols = self.shapes[level]
        return min(TILE, rows - row * TILE), min(TILE, cols - col * TILE)

    def _take(self) -> np.ndarray:
        return self._spare.pop() if self._spare else np.empty((self.bands, TILE, TILE))

    def _give(self, *arrays) -> None:
        self._spare.extend(arrays)

    def write(self, band: int, row_off: int, col_off: int, values: np.ndarray) -> None:
        """Cells of 0-based ``band`` whose top-left cell is (``row_off``, ``col_off``)."""
        h, w = values.shape
        for ty in range(row_off // TILE, (row_off + h - 1) // TILE + 1):
            for tx in range(col_off // TILE, (col_off + w - 1) // TILE + 1):
                top, left = max(row_off, ty * TILE), max(col_off, tx * TILE)
                bottom = min(row_off + h, (ty + 1) * TILE)
                right = min(col_off + w, (tx + 1) * TILE)
                piece = values[top - row_off : bottom - row_off, left - col_off : right - col_off]
                entry = self._tiles.get((ty, tx))
                if entry is None and self.bands == 1 and piece.shape == (TILE, TILE):
                    cells = self._take()  # a whole tile at once (blocks of 256 rows)
                    cells[0] = piece
                    self._finish(0, ty, tx, cells, None)
                    self._give(cells)
                    continue
                if entry is None:
                    cells = self._take()
                    cells.fill(np.nan)
                    rows, cols = self._extent(0, ty, tx)
                    entry = self._tiles[ty, tx] = [cells, self.bands * rows * cols]
                entry[0][
                    band, top - ty * TILE : bottom - ty * TILE, left - tx * TILE : right - tx * TILE
                ] = piece
                entry[1] -= (bottom - top) * (right - left)
                if entry[1] <= 0:
                    del self._tiles[ty, tx]
                    self._finish(0, ty, tx, entry[0], None)
                    self._give(entry[0])

    def close(self) -> None:
        """Emit the tiles not complete yet (cells never written stay unknown, NaN)."""
        for key in sorted(self._tiles):
            cells = self._tiles.pop(key)[0]
            self._finish(0, *key, cells, None)
            self._give(cells)
        for level in range(1, len(self.shapes)):
            for key in sorted(self._nodes[level]):
                self._finish_node(level, key, self._nodes[level].pop(key))

    def _finish(self, level, ty, tx, tile, node) -> None:
        """Emit a complete tile (``tile`` holds it in its top-left corner) and add it
        into the tile above it."""
        rows, cols = self._extent(level, ty, tx)
        cells = tile if (rows, cols) == (TILE, TILE) else tile[:, :rows, :cols].copy()
        self.emit(level, ty, tx, cells)
        if level + 1 == len(self.shapes):
            return
        # counts of known cells are kept only where a cell is unknown: elsewhere they
        # are the groups' sizes (:meth:`_sizes`), the same numbers
        unknown = node.counts is not None if node is not None else np.isnan(cells).any()
        parents = self._nodes[level + 1]
        parent = parents.get((ty // 2, tx // 2))
        if parent is None:
            below_rows, below_cols = self.tiles(level)
            waiting = min(2, below_rows - (ty // 2) * 2) * min(2, below_cols - (tx // 2) * 2)
            sums = self._take()
            sums.fill(0.0)
            parent = parents[ty // 2, tx // 2] = _Node(sums, None, waiting)
        if unknown and parent.counts is None:
            parent.counts = self._take()
            parent.counts[:] = self._sizes(level + 1, ty // 2, tx // 2)
        half_rows, half_cols = -(-rows // 2), -(-cols // 2)
        top, left = (ty % 2) * (TILE // 2), (tx % 2) * (TILE // 2)
        rows_to, cols_to = slice(top, top + half_rows), slice(left, left + half_cols)
        for b in range(self.bands):
            if cells is tile or node is not None:
                sums, counts = self._half
                sums.fill(0.0)
                counts.fill(0.0)
            else:  # an edge tile
                sums, counts = np.zeros((half_rows, half_cols)), np.zeros((half_rows, half_cols))
            if node is None:  # full-resolution cells: sums and counts of the known ones
                kernels.sum_known_groups(cells[b], 2, sums, counts)
            else:  # the level below's sums (and counts) in pairs (0 outside it: + 0)
                kernels.sum_groups(node.sums[b], 2, sums)
                if unknown:
                    kernels.sum_groups(node.counts[b], 2, counts)
            parent.sums[b, rows_to, cols_to] = sums[:half_rows, :half_cols]
            if unknown:
                parent.counts[b, rows_to, cols_to] = counts[:half_rows, :half_cols]
        parent.came.add((ty % 2, tx % 2))
        parent.waiting -= 1
        if parent.waiting == 0:
            del parents[ty // 2, tx // 2]
            self._finish_node(level + 1, (ty // 2, tx // 2), parent)

    def _sizes(self, level: int, ty: int, tx: int) -> np.ndarray:
        """Full-resolution cells in each cell of a tile of ``level`` (2^level squared
        inside the grid, fewer at its edges, 0 beyond): its counts without unknowns."""
        factor = 2**level
        height, width = self.shapes[0]
        rows = np.clip(height - (ty * TILE + np.arange(TILE)) * factor, 0, factor)
        cols = np.clip(width - (tx * TILE + np.arange(TILE)) * factor, 0, factor)
        return np.outer(rows, cols).astype(np.float64)

    def _finish_node(self, level: int, key, node: _Node) -> None:
        """An overview tile whose tiles below have come: the known cells' means. A tile
        below that never came (:meth:`close` before all cells were written) has no
        known cell: count 0 in its quarter."""
        below_rows, below_cols = self.tiles(level - 1)
        missing = [
            (dy, dx)
            for dy in (0, 1)
            for dx in (0, 1)
            if key[0] * 2 + dy < below_rows
            and key[1] * 2 + dx < below_cols
            and (dy, dx) not in node.came
        ]
        if missing and node.counts is None:
            node.counts = self._take()
            node.counts[:] = self._sizes(level, *key)
        for dy, dx in missing:
            half = TILE // 2
            node.counts[:, dy * half : (dy + 1) * half, dx * half : (dx + 1) * half] = 0.0
        means = self._take()
        factor = 2**level
        height, width = self.shapes[0]
        inside = (key[0] + 1) * TILE * factor <= height and (key[1] + 1) * TILE * factor <= width
        if node.counts is None and inside:  # every cell a whole group of known cells
            np.divide(node.sums, float(factor * factor), out=means)
        else:
            counts = node.counts if node.counts is not None else self._sizes(level, *key)
            means.fill(np.nan)
            with np.errstate(invalid="ignore", divide="ignore"):
                np.divide(node.sums, counts, out=means, where=counts > 0)
        self._finish(level, *key, means, node)
        self._give(means, node.sums, *([] if node.counts is None else [node.counts]))


def template_tags(path) -> dict:
    """The tags of the first image of the template GDAL writes (georeferencing,
    metadata), as ``{tag: (type, count, value bytes)}``
    (:func:`mecc.tiff_blocks.first_directory_entries`)."""
    with open(path, "rb") as file:
        tags = first_directory_entries(file)
    if tags is None:
        raise ValueError(f"{path}: not a little-endian TIFF")
    return tags


def write_cog(path, tags: dict, shapes, tiles: dict, spill, bigtiff: bool | None = None) -> None:
    """Write the COG: every level's IFD, then its tiles, smallest level first.

    Parameters
    ----------
    path : path
    tags : dict
        The full image's tags (:func:`template_tags`) but for its tile offsets and sizes.
    shapes : list of (rows, cols)
        Level 0 (the full image), then each overview level.
    tiles : dict
        ``(level, tile_row, tile_col) -> (offset in spill, size)``; a tile not listed is
        sparse (unknown cells only: read as nodata).
    spill : binary file
        The compressed tiles.
    bigtiff : bool, optional
        BigTIFF or classic TIFF; by default classic unless the file passes 4 GiB.
    """
    for big in (False, True) if bigtiff is None else (bigtiff,):
        layout = _layout(tags, shapes, tiles, big)
        if big or layout["end"] < 2**32:
            break
    with open(path, "wb") as out:
        out.write(layout["head"])
        for level in reversed(range(len(shapes))):
            rows, cols = tiles_of(shapes[level])
            for ty in range(rows):
                for tx in range(cols):
                    where = tiles.get((level, ty, tx))
                    if where is None:
                        continue
                    spill.seek(where[0])
                    data = spill.read(where[1])
                    out.write(struct.pack("<I", len(data)) + data + data[-4:])


def _layout(tags, shapes, tiles, bigtiff: bool) -> dict:
    """The bytes before the first tile (header, ghost header, IFDs), and the file's end."""
    ghost = b"GDAL_STRUCTURAL_METADATA_SIZE=%06d bytes\n" % len(_GHOST) + _GHOST
    header_size = 16 if bigtiff else 8
    first_ifd = header_size + len(ghost) + (header_size + len(ghost)) % 2
    offsets_type = _LONG8 if bigtiff else _LONG
    directories = []
    for level, (rows, cols) in enumerate(shapes):
        if level == 0:
            own = {t: v for t, v in tags.items() if t not in (_TILE_OFFSETS, _TILE_BYTES)}
        else:
            own = {t: tags[t] for t in _OVERVIEW_TAGS if t in tags}
            own[_SUBFILE] = (_LONG, 1, struct.pack("<I", 1))  # a reduced-resolution image
            own[_WIDTH] = (_LONG, 1, struct.pack("<I", cols))
            own[_LENGTH] = (_LONG, 1, struct.pack("<I", rows))
        directories.append(own)
    # the tiles' places: smallest level first, each tile after its 4-byte size
    sizes = [_directory_size(d, tiles_of(shapes[k]), bigtiff) for k, d in enumerate(directories)]
    at = first_ifd + sum(sizes)
    places: dict = {}
    for level in reversed(range(len(shapes))):
        rows, cols = tiles_of(shapes[level])
        for ty in range(rows):
            for tx in range(cols):
                where = tiles.get((level, ty, tx))
                if where is not None:
                    places[level, ty, tx] = (at + 4, where[1])
                    at += 4 + where[1] + 4
    head = bytearray()
    if bigtiff:
        head += b"II" + struct.pack("<HHHQ", 43, 8, 0, first_ifd)
    else:
        head += b"II" + struct.pack("<HI", 42, first_ifd)
    head += ghost
    head += b"\x00" * (first_ifd - len(head))
    for level, own in enumerate(directories):
        rows, cols = tiles_of(shapes[level])
        keys = [(level, ty, tx) for ty in range(rows) for tx in range(cols)]
        code = "<Q" if bigtiff else "<I"
        own[_TILE_OFFSETS] = (
            offsets_type,
            len(keys),
            b"".join(struct.pack(code, places.get(k, (0, 0))[0]) for k in keys),
        )
        own[_TILE_BYTES] = (
            offsets_type,
            len(keys),
            b"".join(struct.pack(code, places.get(k, (0, 0))[1]) for k in keys),
        )
        last = level == len(directories) - 1
        next_ifd = 0 if last else len(head) + sizes[level]
        head += _directory(own, len(head), next_ifd, bigtiff)
    return {"head": bytes(head), "end": at}


def tiles_of(shape) -> tuple[int, int]:
    """Rows and columns of tiles of a level of ``shape`` (rows, cols)."""
    return -(-shape[0] // TILE), -(-shape[1] // TILE)


def _directory_size(own: dict, tile_grid, bigtiff: bool) -> int:
    tags = dict(own)
    n = tile_grid[0] * tile_grid[1]
    kind = _LONG8 if bigtiff else _LONG
    tags[_TILE_OFFSETS] = tags[_TILE_BYTES] = (kind, n, b"\x00" * (n * TYPE_SIZES[kind]))
    return len(_directory(tags, 0, 0, bigtiff))


def _directory(tags: dict, at: int, next_ifd: int, bigtiff: bool) -> bytes:
    """One IFD written at offset ``at``: its entries (by tag), the next IFD's offset,
    then the values too long to sit in an entry, each at an even offset."""
    inline = 8 if bigtiff else 4
    entry_size = 20 if bigtiff else 12
    count_size = 8 if bigtiff else 2
    table_end = at + count_size + entry_size * len(tags) + (8 if bigtiff else 4)
    entries, values = bytearray(), bytearray()
    for tag in sorted(tags):
        kind, count, raw = tags[tag]
        if len(raw) <= inline:
            field = raw.ljust(inline, b"\x00")
        else:
            field = struct.pack("<Q" if bigtiff else "<I", table_end + len(values))
            values += raw + b"\x00" * (len(raw) % 2)
        entries += struct.pack("<HHQ" if bigtiff else "<HHI", tag, kind, count) + field
    head = struct.pack("<Q" if bigtiff else "<H", len(tags))
    tail = struct.pack("<Q" if bigtiff else "<I", next_ifd)
    return head + bytes(entries) + tail + bytes(values)


def remove_quietly(*paths) -> None:
    """Remove files that may not exist."""
    for path in paths:
        if path is not None and os.path.exists(path):
            os.remove(path)
