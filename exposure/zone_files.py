"""Opening a zones file: its layers, the encoding of a shapefile's text, and whether it
holds polygons at all.

Used by :func:`exposure.zones.read_zone_level`. Three things go wrong with real admin
boundary files before any code or name is read:

- a shapefile without a ``.cpg`` file (and no language code in its ``.dbf``) does not
  say how its text is encoded; GDAL then reads it as ISO-8859-1, which garbles names
  saved as UTF-8 ("Bogotá" becomes "BogotÃ¡") and the characters only Windows-1252
  has (Š, ’, –). :func:`shapefile_encoding` decides from the bytes instead;
- a ring that is not closed (hand-written GeoJSON) stops the geometry parser;
- a layer with no polygons (empty, points, lines, every geometry null, or the wrong
  layer of a multi-layer GeoPackage) leaves no unit to count people in.

Each becomes one line naming the run file's field and the file. Then
:func:`checked_shapes` makes the units' shapes usable and says what it did: invalid
geometries repaired (naming the units and GEOS's reason), points and lines dropped from
units, and units of the level that overlap (a cell centre in two units goes to the one
listed later).
"""

from __future__ import annotations

import codecs
import os
import warnings
import zipfile

import numpy as np
import shapely

from mecc.errors import DataError, InputFileError, MeccWarning

__all__ = ["checked_shapes", "read_zone_frame", "shapefile_encoding"]

_ENCODING_NAMES = {
    "UTF-8": "UTF-8, the encoding their bytes fit",
    "CP1252": "Windows-1252 (Western European), as their bytes are not UTF-8",
    "ISO-8859-1": "ISO-8859-1, as their bytes are neither UTF-8 nor Windows-1252; names in "
    "another code page come out garbled",
}


def read_zone_frame(path: str, spec: dict, where: str):
    """Read the layer a ``zones:`` entry names into a GeoDataFrame with polygons.

    Parameters
    ----------
    path : str
        The file (``spec["path"]`` joined to the run file's folder).
    spec : dict
        The ``zones:`` entry (``path``, optional ``layer``, ``code_field``).
    where : str
        How errors name the entry (e.g. ``"zones[1]"``).

    Returns
    -------
    (geopandas.GeoDataFrame, list of str)
        The layer, and the warnings given while reading it (also issued as
        :class:`~mecc.errors.MeccWarning`).

    Raises
    ------
    InputFileError
        GDAL cannot open the file.
    DataError
        The layer is missing, a shape cannot be parsed (a ring not closed), the file is
        a table without shapes, or the layer holds no polygon.
    """
    import geopandas as gpd
    import pyogrio

    source = spec["path"]
    try:
        layers = [(str(name), kind) for name, kind in pyogrio.list_layers(path)]
    except (pyogrio.errors.DataSourceError, ValueError) as error:
        raise InputFileError(
            f"{where}.path ({source}): cannot read vector file ({error})"
        ) from None
    names = [name for name, _ in layers]
    layer = spec.get("layer")
    if layer is not None and layer not in names:
        raise DataError(
            f"{where}.layer: no layer {layer!r} in {source} (layers: {', '.join(names)})"
        )
    notes = []
    shaped = [name for name, kind in layers if kind is not None]
    read = f", layer {layer!r}" if layer is not None else ""
    if layer is None and len(layers) > 1 and shaped:
        layer = shaped[0]  # GDAL would take the first layer, even a table without shapes
        read = f", first layer {layer!r}"
        if len(shaped) > 1:
            notes.append(
                f"{where} ({source}): the file has {len(shaped)} layers with shapes "
                f"({', '.join(shaped)}); the first, {layer!r}, was read (give layer: to "
                "choose another)"
            )
    encoding, note = shapefile_encoding(path, layer)
    if note:
        notes.append(f"{where}.path ({source}): {note}")
    try:
        with warnings.catch_warnings():  # GDAL's notes on unclosed rings and recoding
            warnings.simplefilter("ignore", RuntimeWarning)
            frame = gpd.read_file(path, layer=layer, encoding=encoding)
    except UnicodeDecodeError as error:  # a .cpg file naming the wrong encoding
        raise DataError(
            f"{where}.path ({source}): its text is not {error.encoding} as the file says "
            f"(its .cpg file or language byte) ({error}); correct the .cpg file"
        ) from None
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError) as error:
        raise InputFileError(
            f"{where}.path ({source}): cannot read vector file ({error})"
        ) from None
    except shapely.errors.GEOSException as error:
        raise DataError(
            f"{where}.path ({source}): {_unreadable_shapes(path, layer, encoding, spec, error)}"
        ) from None
    if not isinstance(frame, gpd.GeoDataFrame):  # a table without shapes, e.g. a CSV
        raise DataError(
            f"{where}.path ({source}): no boundaries in this file (a table without "
            "shapes); give a GeoPackage, GeoJSON or shapefile"
        )
    problem = _no_polygons(frame.geometry.to_numpy())
    if problem:
        others = [f"{name} ({kind or 'no shapes'})" for name, kind in layers if name != layer]
        polygons = [name for name, kind in layers if kind and "POLYGON" in kind.upper()]
        hint = ""
        if len(layers) > 1:
            suggest = [name for name in polygons if name != layer]
            hint = f"; the file's other layers: {', '.join(others)}" + (
                f"; give layer: {suggest[0]}" if suggest else ""
            )
        raise DataError(
            f"{where}.path ({source}{read}): no polygons to use as units: {problem}{hint}"
        )
    for message in notes:
        warnings.warn(message, MeccWarning, stacklevel=3)
    return frame, notes


def _no_polygons(geoms: np.ndarray) -> str:
    """What a layer holds instead of polygons ('' when it has a polygon or a shape with
    an area)."""
    if geoms.size == 0:
        return "the layer holds 0 features"
    kinds = shapely.get_type_id(geoms)
    empty = shapely.is_empty(geoms) & (kinds >= 0)
    with np.errstate(invalid="ignore"):  # a bow-tie's area is 0 until it is repaired
        if (np.isin(kinds, (3, 6)) & ~empty).any() or (shapely.area(geoms) > 0).any():
            return ""
    groups = {
        "with a null geometry": kinds < 0,
        "empty": empty,
        "points": np.isin(kinds, (0, 4)) & ~empty,
        "lines": np.isin(kinds, (1, 2, 5)) & ~empty,
        "collections without polygons": (kinds == 7) & ~empty,
    }
    counts = {label: int(mask.sum()) for label, mask in groups.items() if mask.any()}
    n = geoms.size
    if len(counts) == 1:
        label = next(iter(counts))
        if label == "with a null geometry":
            return f"every one of its {n} features has a null geometry (no shape)"
        if label in ("points", "lines"):
            return f"its {n} features are {label}, not polygons (admin units need areas)"
        return f"its {n} features are {label}"
    listed = ", ".join(f"{count} {label}" for label, count in counts.items())
    return f"its {n} features are {listed}; none is a polygon with an area"


def _unreadable_shapes(path, layer, encoding, spec, error) -> str:
    """Which features GEOS could not read, and why (for one error line)."""
    import pyogrio

    reason = str(error).split(": ", 1)[-1]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            meta, _, wkb, fields = pyogrio.raw.read(path, layer=layer, encoding=encoding)
        parsed = shapely.from_wkb(wkb, on_invalid="ignore")
    except Exception:  # noqa: BLE001 - the first error is the one to report
        return f"a shape cannot be read ({reason})"
    bad = [i for i, (raw, geom) in enumerate(zip(wkb, parsed, strict=True)) if raw and geom is None]
    if not bad:
        return f"a shape cannot be read ({reason})"
    names = [str(name) for name in meta["fields"]]
    code_field = spec.get("code_field")
    code = ""
    if code_field in names:
        code = f"code {str(fields[names.index(code_field)][bad[0]]).strip()!r}"
    if len(bad) > 1:
        which = f"{len(bad)} features (the first: feature {bad[0]}{', ' + code if code else ''})"
    else:
        which = f"feature {bad[0]}{f' ({code})' if code else ''}"
    fix = (
        "; close every ring (its last point repeating its first) and save the file again"
        if "closed" in reason
        else ""
    )
    return f"cannot read the shape of {which}: {reason}{fix}"


# ---------------------------------------------------------------- the units' shapes


def checked_shapes(geometry, codes: list, where: str):
    """The units' shapes made usable, and the warnings saying what was done.

    - an invalid geometry (a bow-tie, a ring crossing itself) is repaired with
      :func:`shapely.make_valid`; one warning names the units and GEOS's reason
      (:func:`shapely.is_valid_reason`, e.g. ``Self-intersection[-24.25 -19.75]``);
    - points and lines inside a unit's shape are dropped (units are areas);
    - units of this level that share area are named in one warning: a cell whose centre
      lies in both goes to the unit listed later. Found with an STRtree of the level's
      units: a query per unit, then an intersection per pair of units that meet
      (neighbours included), only within the level.

    Parameters
    ----------
    geometry : geopandas.GeoSeries
        The level's shapes, in the order of ``codes``.
    codes : list of str
    where : str
        How warnings name the ``zones:`` entry (e.g. ``"zones[1]"``).

    Returns
    -------
    (geopandas.GeoSeries, list of str)
        The shapes (a copy when any changed) and the warnings given (also issued as
        :class:`~mecc.errors.MeccWarning`).
    """
    notes = []
    invalid = ~geometry.is_valid & ~geometry.is_empty & geometry.notna()
    if invalid.any():
        positions = np.flatnonzero(invalid.to_numpy())
        reasons = shapely.is_valid_reason(geometry.to_numpy()[positions[:10]])
        shown = "; ".join(
            f"{codes[i]}: {reason}" for i, reason in zip(positions[:10], reasons, strict=True)
        )
        geometry = geometry.copy()
        geometry[invalid] = shapely.make_valid(geometry[invalid].to_numpy())
        n = len(positions)
        notes.append(
            f"{where}: repaired {n} invalid geometr{'y' if n == 1 else 'ies'} "
            f"({shown}{'…' if n > 10 else ''}); check these units' boundaries"
        )
    areas, mixed = _areas_only(geometry.to_numpy())
    if mixed.size:
        bad = [codes[i] for i in mixed]
        geometry = geometry.copy()
        geometry[:] = areas
        notes.append(
            f"{where}: {len(bad)} unit(s) had shapes other than polygons (codes "
            f"{', '.join(bad[:10])}{'…' if len(bad) > 10 else ''}); only their polygons are used"
        )
    overlaps = _overlapping_pairs(geometry.to_numpy(), codes)
    if overlaps:
        shown = ", ".join(f"{a}/{b}" for a, b in overlaps[:8])
        notes.append(
            f"{where}: {len(overlaps)} pair(s) of units overlap ({shown}"
            f"{'…' if len(overlaps) > 8 else ''}); a cell whose centre lies in both goes to "
            "the unit listed later in the file"
        )
    for message in notes:
        warnings.warn(message, MeccWarning, stacklevel=3)
    return geometry, notes


def _areas_only(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each shape's polygons (units are areas), and the positions that held more.

    Geometry collections come from GIS overlays and from repairing invalid polygons (a
    spike becomes a polygon and a line); their points and lines are dropped, and a
    shape with no area becomes an empty polygon (a unit with no cells).
    """
    kinds = shapely.get_type_id(geoms)
    mixed = np.flatnonzero(~np.isin(kinds, (-1, 3, 6)))  # missing, Polygon, MultiPolygon
    areas = geoms.copy()
    for i in mixed:
        parts, polygons = [geoms[i]], []
        while parts:
            part = parts.pop()
            kind = shapely.get_type_id(part)
            if kind == 3 and not part.is_empty:
                polygons.append(part)
            elif kind in (4, 5, 6, 7):  # multi-part or collection: look inside
                parts.extend(shapely.get_parts(part))
        areas[i] = shapely.MultiPolygon(polygons[::-1]) if polygons else shapely.Polygon()
    return areas, mixed


def _overlapping_pairs(geoms, codes) -> list[tuple[str, str]]:
    """Pairs of units sharing area (more than a millionth of the smaller one)."""
    valid = ~(shapely.is_empty(geoms) | shapely.is_missing(geoms))
    if valid.sum() < 2:
        return []
    index = np.flatnonzero(valid)
    tree = shapely.STRtree(geoms[index])
    left, right = tree.query(geoms[index], predicate="intersects")
    keep = left < right
    left, right = index[left[keep]], index[right[keep]]
    if left.size == 0:
        return []
    shared = shapely.area(shapely.intersection(geoms[left], geoms[right]))
    smaller = np.minimum(shapely.area(geoms[left]), shapely.area(geoms[right]))
    overlapping = shared > 1e-6 * smaller
    return [
        (codes[a], codes[b]) for a, b in zip(left[overlapping], right[overlapping], strict=True)
    ]


# ---------------------------------------------------------------- shapefile text


def shapefile_encoding(path: str, layer: str | None = None) -> tuple[str | None, str]:
    """The encoding to read a shapefile's text with, when the file does not say.

    A shapefile states its encoding in a ``.cpg`` file or in the language byte of its
    ``.dbf`` header; either is left to GDAL. Without both, GDAL reads ISO-8859-1. Here
    the bytes decide: valid UTF-8 (with some non-ASCII text) is read as UTF-8, else
    Windows-1252 (ISO-8859-1 plus the printable characters Š, Ž, Œ, ’, “, – ...) when the
    bytes fit it, else ISO-8859-1.

    Parameters
    ----------
    path : str
        A ``.shp`` or ``.dbf`` file, or a ``.zip`` holding a shapefile.
    layer : str, optional
        The shapefile's name in a ``.zip`` holding several.

    Returns
    -------
    (encoding, note)
        ``encoding`` is None when GDAL's own choice stands (not a shapefile, a
        ``.cpg`` or language byte present, or only ASCII text); ``note`` says which
        encoding was assumed ('' when none was).
    """
    dbf = _dbf_without_encoding(path, layer)
    if dbf is None:
        return None, ""
    encoding = _guess_encoding(dbf)
    if encoding is None:
        return None, ""
    return encoding, (
        "the shapefile does not say how its text is encoded (no .cpg file); its names "
        f"were read as {_ENCODING_NAMES[encoding]}. A .cpg file next to the .dbf holding "
        "the encoding (e.g. UTF-8) would make this certain"
    )


def _dbf_without_encoding(path: str, layer: str | None) -> bytes | None:
    """The .dbf bytes of a shapefile that has no .cpg file and no language byte."""
    lower = path.lower()
    try:
        if lower.endswith((".shp", ".dbf")):
            folder = os.path.dirname(path) or "."
            stem = os.path.basename(path)[:-4].lower()
            by_name = {name.lower(): name for name in os.listdir(folder)}
            if f"{stem}.cpg" in by_name or f"{stem}.dbf" not in by_name:
                return None
            with open(os.path.join(folder, by_name[f"{stem}.dbf"]), "rb") as handle:
                data = handle.read()
        elif lower.endswith(".zip") and zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                names = {name.lower(): name for name in archive.namelist()}
                dbfs = [name for name in names if name.endswith(".dbf")]
                if layer is not None:
                    dbfs = [n for n in dbfs if os.path.basename(n)[:-4] == layer.lower()]
                if len(dbfs) != 1 or f"{dbfs[0][:-4]}.cpg" in names:
                    return None
                data = archive.read(names[dbfs[0]])
        else:
            return None
    except OSError:
        return None  # GDAL will say what is wrong with the file
    if len(data) < 32 or data[29] != 0:  # byte 29: the language driver (code page)
        return None
    return data


def _guess_encoding(dbf: bytes) -> str | None:
    """'UTF-8', 'CP1252' or 'ISO-8859-1' for the text fields' bytes (None: all ASCII)."""
    records = int.from_bytes(dbf[4:8], "little")
    header = int.from_bytes(dbf[8:10], "little")
    length = int.from_bytes(dbf[10:12], "little")
    texts = []  # (bytes, may end inside a character: the value fills its field)
    offset, position = 1, 32  # each record starts with a deletion flag
    while position + 32 <= min(header, len(dbf)) and dbf[position] != 0x0D:
        descriptor = dbf[position : position + 32]
        name = descriptor[:11].split(b"\0")[0]
        if max(name, default=0) >= 0x80:
            texts.append((name, False))
        width = descriptor[16] + (descriptor[17] << 8 if descriptor[11:12] == b"C" else 0)
        if descriptor[11:12] == b"C":
            texts += _high_values(dbf, header, length, records, offset, width)
        offset += width
        position += 32
    if not texts:
        return None
    if all(_is_utf8(value, open_end) for value, open_end in texts):
        return "UTF-8"
    try:
        for value, _ in texts:
            value.decode("cp1252")
    except UnicodeDecodeError:
        return "ISO-8859-1"
    return "CP1252"


def _high_values(dbf, header, length, records, offset, width) -> list:
    """The values of one text field holding non-ASCII bytes."""
    if length <= 0 or width <= 0 or offset + width > length:
        return []
    records = min(records, max(len(dbf) - header, 0) // length)
    table = np.frombuffer(dbf, dtype=np.uint8, count=records * length, offset=header)
    column = table.reshape(records, length)[:, offset : offset + width]
    values = []
    for row in np.flatnonzero((column >= 0x80).any(axis=1)):
        value = column[row].tobytes().rstrip(b" \0")
        values.append((value, len(value) == width))
    return values


def _is_utf8(value: bytes, open_end: bool) -> bool:
    """Whether ``value`` is UTF-8 (a value filling its field may be cut inside a character)."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(value, final=not open_end)
    except UnicodeDecodeError:
        return False
    return True
