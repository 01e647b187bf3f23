"""What a hazard grid file states about itself: the unit and the wind averaging period;
and the nodata values a run file declares for grids that state none (``nodata:``).

:func:`hazards.readers.read_hazard` honours both when the run file gives neither and
refuses a run file that contradicts them: a depth in cm read as metres is 100 times
too deep, and a 1-minute wind grid read as a 10-minute one (``averaging: 10-min``) is
converted a second time, 7.5 % too strong (README: units and averaging).
"""

from __future__ import annotations

import re

from hazards.catalogue import HazardType, averaging_factor
from hazards.netcdf import NetCDFFile
from mecc.errors import ConfigError
from mecc.raster_file import RasterFile

__all__ = ["declared_nodata", "stated_averaging", "stated_unit", "wind_averaging"]

MAX_NODATA = 2
"""Most nodata values ``hazards[].nodata`` declares (e.g. ``[-9999, -32768]``)."""


def declared_nodata(value, where: str) -> tuple:
    """The values of a hazard entry's ``nodata`` key as a tuple of numbers (none: empty).

    A grid written without its nodata value (Aqueduct maps re-saved with ``-9999`` as
    plain numbers) would have that value read as an intensity; ``nodata: -9999`` (or a
    list of up to :data:`MAX_NODATA` numbers) masks it in every grid of the set, compared
    in each file's data type, as ``population.nodata`` does for the population grid.

    Raises
    ------
    ConfigError
        A value that is no number, or a list that is empty or longer than two.
    """
    if value is None:
        return ()
    values = value if isinstance(value, list) else [value]
    if not 1 <= len(values) <= MAX_NODATA or any(
        isinstance(v, bool) or not isinstance(v, int | float) for v in values
    ):
        raise ConfigError(
            f"{where}.nodata: give a number or a list of up to {MAX_NODATA} numbers "
            f"(e.g. nodata: -9999), not {value!r}"
        )
    return tuple(float(v) for v in values)


def check_nodata_applies(source, values: tuple, where: str) -> None:
    """Refuse ``nodata`` for a grid that is no GDAL raster (NetCDF, ShakeMap, CLIMADA):
    their readers take the missing values the file declares (``_FillValue``)."""
    if values and not isinstance(source, RasterFile):
        raise ConfigError(
            f"{where}.nodata: applies to GeoTIFF (GDAL raster) grids only; "
            f"{source.label} declares its own missing values (e.g. a NetCDF _FillValue)"
        )


AVERAGING_WORDS = {
    "1-min": r"(?<![\d.])(?:1|one)[\s-]*min(?:ute)?s?\b",
    "10-min": r"(?<![\d.])(?:10|ten)[\s-]*min(?:ute)?s?\b",
    "gust": r"\bgusts?\b",
}
"""How a file's text states each averaging period of :data:`hazards.catalogue.AVERAGING`
(``maximum 1-minute sustained wind at 10 m``, ``10-min mean wind``, ``wind_speed_of_gust``)."""


def stated_unit(source):
    """``(units, label)`` a grid file states, or None.

    A NetCDF variable's ``units`` (any text: :func:`hazards.catalogue.file_unit` refuses
    one it does not know unless the run file gives ``unit:``); a GeoTIFF's GDAL band unit
    or ``unit`` tag (as mecc's generators write) when it spells a unit known here
    (:func:`hazards.catalogue.known_unit`: a unit of a hazard type's measure, or of ground
    motion such as ``g``, ``%g``, ``gal``, ``cm/s``, which ``file_unit`` refuses); other
    GeoTIFF text ("metres above the river bed") is no statement and is ignored. A band
    unit's label names its band (``... (pga.tif) band 1``).

    It opens the file and reads every band's unit: call it once per file
    (:func:`hazards.event_sets.layer_files`), not once per band.
    """
    if isinstance(source, NetCDFFile):
        return source.units, f"{source.label}: variable {source.variable!r}"
    if not isinstance(source, RasterFile):
        return None
    import rasterio

    from hazards.catalogue import known_unit

    with rasterio.open(source.path) as dataset:
        texts = [(t, f"{source.label} band {k}") for k, t in enumerate(dataset.units, 1)]
        texts.append((dataset.tags().get("unit"), f"{source.label} (its unit tag)"))
    return next(((t, label) for t, label in texts if t and known_unit(t) is not None), None)


def stated_averaging(source):
    """The wind averaging period a grid file states, as ``(averaging, text, label)``.

    Read from a GeoTIFF's ``measure`` or ``averaging`` tag or its band descriptions (``mecc
    hazard cyclone`` writes "maximum 1-minute sustained wind at 10 m" in both) and from a
    NetCDF variable's ``long_name`` or ``standard_name``; the first text naming exactly one
    period of :data:`AVERAGING_WORDS` counts. None when no text names one (or a text
    names several, such as "10-min wind converted to 1-min").
    """
    if isinstance(source, NetCDFFile):
        attrs = source._data.attrs
        texts = [attrs.get("long_name"), attrs.get("standard_name")]
    elif isinstance(source, RasterFile):
        import rasterio

        with rasterio.open(source.path) as dataset:
            tags = dataset.tags()
            texts = [tags.get("measure"), tags.get("averaging"), *dataset.descriptions]
    else:
        return None
    for text in (str(t) for t in texts if t):
        spoken = text.replace("_", " ")
        found = [a for a, word in AVERAGING_WORDS.items() if re.search(word, spoken, re.I)]
        if len(found) == 1:
            return found[0], text, source.label
    return None


def wind_averaging(hazard: HazardType, spec: dict, layers, where: str) -> tuple[float, str]:
    """The factor to 1-minute sustained wind of a hazard's grids, and its manifest note.

    Parameters
    ----------
    hazard : HazardType
    spec : dict
        The hazard entry: ``averaging`` and ``gust_factor`` (:func:`averaging_factor`).
    layers : list of (file, band)
        The intensity grids, whose statements (:func:`stated_averaging`) are used when
        the run file gives no ``averaging``; each file is read once, however many of its
        bands the layers name (an event set of 20,000 bands of one file).
    where : str
        How errors name the hazard entry.

    Raises
    ------
    ConfigError
        The run file's ``averaging`` contradicts a file's statement, the files state
        different periods, or ``gust_factor`` is given for grids that are no gusts.
    """
    given, gust = spec.get("averaging"), spec.get("gust_factor")
    stated = []
    if hazard.averaging is not None:  # wind hazards only
        files = {id(source): source for source, _ in layers}.values()  # once per file
        stated = [stated_averaging(source) for source in files]
        stated = [found for found in stated if found is not None]
    if len({averaging for averaging, _, _ in stated}) > 1:
        shown = ", ".join(f"{label} states {text!r}" for _, text, label in stated)
        raise ConfigError(f"{where}: the grids state different wind averaging ({shown})")
    note = ""
    if stated:
        averaging, text, label = stated[0]
        if given is not None and given != averaging:
            raise ConfigError(
                f"{where}.averaging: the run file says averaging: {given} but {label} states "
                f"{text!r} ({averaging}); correct the one that is wrong"
            )
        note = f" ({label} states {text!r})"
    resolved = given if given is not None or not stated else stated[0][0]
    if gust is not None and resolved != "gust":
        raise ConfigError(f"{where}.gust_factor: applies with averaging: gust only")
    if given is None and resolved == hazard.averaging:
        return 1.0, ""  # the canonical period, as the file states it: nothing converted
    factor, text = averaging_factor(
        hazard, resolved, gust, f"{where}.averaging{note}", f"{where}.gust_factor"
    )
    return factor, text + (note if given is None else "")
