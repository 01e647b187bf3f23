"""A QGIS layer style embedded in zones.gpkg, so national GIS units open it styled.

QGIS reads default styles from a GeoPackage's ``layer_styles`` table (columns
``f_table_name``, ``f_geometry_column``, ``styleName``, ``styleQML``, ``useAsDefault``
...; the table QGIS itself writes with "Save as default in the datasource"). Each admin
layer gets a graduated renderer on its headline figure (the first hazard's average
annual displacement, or its displaced people for a scenario) with the same classes and
colour-blind-safe palette as the map (quantile edges rounded to two digits, viridis,
white for zero), labels with the unit names, and a title that says "modelled estimate".

A unit without a cell of the analysis grid has a NULL figure (not known, not 0). QGIS's
graduated renderer never draws a NULL value (``QgsGraduatedSymbolRenderer`` returns no
symbol for it, so not even the unit's outline shows), so a layer with a NULL figure is
classified on ``coalesce("<column>", -1)`` (:data:`NO_DATA_VALUE`: no figure is negative)
with a last class at -1, drawn hatched grey as the web map's "no data" and labelled
:data:`NO_DATA_LABEL`; a layer without one is classified on the column itself.
"""

from __future__ import annotations

import contextlib
import html
import os
import sqlite3
from pathlib import Path

import numpy as np

from mecc.errors import MeccError
from mecc.map_data import class_breaks, palette

__all__ = ["NO_DATA_LABEL", "NO_DATA_VALUE", "add_qgis_styles", "graduated_qml", "headline_column"]

NO_DATA_VALUE = -1.0
"""The value a NULL figure is classified as (every figure is 0 or more)."""
NO_DATA_LABEL = "no data (not known, not 0)"
"""The legend label of the NULL class: a unit without a cell of the analysis grid."""
NO_DATA_COLOUR = "#737373"
"""The hatch of the NULL class, on white: the web map's "no data" pattern."""

HEADLINE_FIGURES = ("aad", "displaced", "at_risk_relocation")
LAYER_STYLES_SQL = """
CREATE TABLE IF NOT EXISTS layer_styles (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  f_table_catalog TEXT(256),
  f_table_schema TEXT(256),
  f_table_name TEXT(256),
  f_geometry_column TEXT(256),
  styleName TEXT(30),
  styleQML TEXT,
  styleSLD TEXT,
  useAsDefault BOOLEAN,
  description TEXT,
  owner TEXT(30),
  ui TEXT(30),
  update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
)
"""


def headline_column(columns, hazard_ids) -> str | None:
    """The zones.gpkg column the style classifies: ``<first hazard>_<aad|displaced|...>``."""
    for hazard_id in hazard_ids:
        for figure in HEADLINE_FIGURES:
            name = f"{hazard_id}_{figure}"
            if name in columns:
                return name
    return None


def _rgb(colour: str) -> str:
    return ",".join(str(int(colour[i : i + 2], 16)) for i in (1, 3, 5)) + ",255"


def _symbol(name: str, colour: str) -> str:
    return (
        f'<symbol type="fill" name="{name}" alpha="1" clip_to_extent="1" force_rhr="0">'
        '<layer class="SimpleFill" enabled="1" locked="0" pass="0">'
        f'<prop k="color" v="{_rgb(colour)}"/>'
        '<prop k="outline_color" v="60,60,60,255"/>'
        '<prop k="outline_style" v="solid"/>'
        '<prop k="outline_width" v="0.2"/>'
        '<prop k="outline_width_unit" v="MM"/>'
        '<prop k="style" v="solid"/>'
        "</layer></symbol>"
    )


def _no_data_symbol(name: str) -> str:
    """White under grey diagonal hatching, with the units' outline: the web map's "no
    data" pattern."""
    return (
        f'<symbol type="fill" name="{name}" alpha="1" clip_to_extent="1" force_rhr="0">'
        '<layer class="SimpleFill" enabled="1" locked="0" pass="0">'
        '<prop k="color" v="255,255,255,255"/>'
        '<prop k="outline_style" v="no"/>'
        '<prop k="style" v="solid"/>'
        "</layer>"
        '<layer class="SimpleFill" enabled="1" locked="0" pass="0">'
        f'<prop k="color" v="{_rgb(NO_DATA_COLOUR)}"/>'
        '<prop k="outline_color" v="60,60,60,255"/>'
        '<prop k="outline_style" v="solid"/>'
        '<prop k="outline_width" v="0.2"/>'
        '<prop k="outline_width_unit" v="MM"/>'
        '<prop k="style" v="f_diagonal"/>'
        "</layer></symbol>"
    )


def _label(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 else f"{value:g}"


def graduated_qml(column: str, values, title: str) -> str:
    """QML of a graduated fill renderer on ``column`` (classes from ``values``).

    Classes: zero (white), then the quantile classes of the positive values with the
    map's edges and viridis colours (dark = more people). When a value is missing (NaN:
    a unit without a cell, NULL in the layer), the renderer classifies
    ``coalesce("<column>", -1)`` and a last class at :data:`NO_DATA_VALUE` draws those
    units hatched, labelled :data:`NO_DATA_LABEL` (not as zero, and not left out).
    """
    values = np.asarray(values, dtype="float64")
    breaks = class_breaks(values)
    colours = palette("viridis", len(breaks) + 1, stop=0.95, reverse=True)
    top = float(np.nanmax(values, initial=0.0))
    edges = [0.0, *breaks, max(top, breaks[-1] if breaks else 0.0) + 1.0]
    ranges = ['<range lower="0" upper="0" symbol="0" label="0" render="true"/>']
    symbols = [_symbol("0", "#ffffff")]
    for k in range(len(edges) - 1):
        lower, upper = edges[k], edges[k + 1]
        label = f"{_label(lower)} – {_label(upper)}" if k < len(edges) - 2 else f"≥ {_label(lower)}"
        ranges.append(
            f'<range lower="{lower!r}" upper="{upper!r}" symbol="{k + 1}" '
            f'label="{html.escape(label)}" render="true"/>'
        )
        symbols.append(_symbol(str(k + 1), colours[min(k, len(colours) - 1)]))
    expression = column
    if np.isnan(values).any():  # NULL: a class of its own, else QGIS draws nothing
        ranges.append(
            f'<range lower="{NO_DATA_VALUE!r}" upper="{NO_DATA_VALUE!r}" '
            f'symbol="{len(symbols)}" label="{html.escape(NO_DATA_LABEL)}" render="true"/>'
        )
        symbols.append(_no_data_symbol(str(len(symbols))))
        quoted = column.replace('"', '""')
        expression = f'coalesce("{quoted}", {NO_DATA_VALUE:g})'
    attribute = html.escape(expression)
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"
        '<qgis version="3.28.0" styleCategories="Symbology|Labeling|Fields">'
        f'<renderer-v2 type="graduatedSymbol" attr="{attribute}" graduatedMethod="GraduatedColor" '
        'symbollevels="0" enableorderby="0" forceraster="0">'
        f"<ranges>{''.join(ranges)}</ranges><symbols>{''.join(symbols)}</symbols>"
        f"<source-symbol>{_symbol('0', colours[0])}</source-symbol>"
        '<classificationMethod id="Quantile"/></renderer-v2>'
        '<labeling type="simple"><settings calloutType="simple">'
        '<text-style fieldName="zone_name" fontSize="8" textColor="30,30,30,255" '
        'isExpression="0"><text-buffer bufferDraw="1" bufferSize="0.7" '
        'bufferColor="255,255,255,255"/></text-style><placement placement="1"/>'
        "</settings></labeling>"
        f'<layerGeometryType>2</layerGeometryType><customproperties/><mecc title="{html.escape(title)}"/>'
        "</qgis>"
    )


def add_qgis_styles(path, hazard_ids, description: str = "") -> list[str]:
    """Add a default QGIS style to every ``adminN`` layer of a zones.gpkg.

    Returns the styled layer names. Layers without a headline column are left as they
    are. Registers ``layer_styles`` in ``gpkg_contents`` as an attributes table (as
    QGIS does), so the file stays a valid GeoPackage.

    Raises
    ------
    mecc.errors.MeccError
        SQLite cannot open or write the file (a path too long for it, a full disk):
        one line naming the file as it will be once in place (exit code 1).
    """
    import pyogrio

    path = Path(path)
    styled = []
    rows = []
    for name, _kind in pyogrio.list_layers(path):
        if not (name.startswith("admin") and name[5:].isdigit()):
            continue
        info = pyogrio.read_info(path, layer=name)
        column = headline_column(list(info["fields"]), hazard_ids)
        if column is None:
            continue
        frame = pyogrio.read_dataframe(path, layer=name, columns=[column], read_geometry=False)
        title = f"{column} (modelled estimate)"
        qml = graduated_qml(column, frame[column].to_numpy(dtype="float64"), title)
        geometry = info.get("geometry_name") or "geom"
        rows.append((name, geometry, f"{name} {column}", qml, description or title))
        styled.append(name)
    if not rows:
        return styled
    try:
        _insert_styles(path, rows)
    except sqlite3.Error as error:
        raise _sqlite_problem(error, path) from None
    return styled


def _insert_styles(path: Path, rows: list) -> None:
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute(LAYER_STYLES_SQL)
        db.executemany(
            "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
            "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, "
            "owner, ui) VALUES ('', '', ?, ?, ?, ?, '', 1, ?, 'mecc', '')",
            rows,
        )
        db.execute(
            "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, "
            "description, last_change) VALUES ('layer_styles', 'attributes', 'layer_styles', "
            "'QGIS layer styles', strftime('%Y-%m-%dT%H:%M:%fZ','now'))"
        )


def _sqlite_problem(error, path: Path) -> MeccError:
    """SQLite's refusal to write the GeoPackage as one line, naming the file as it will
    be once in place (and SQLite's limit when its path passes it)."""
    from mecc.outputs import SQLITE_PATH_MAX, shown_path

    reason, size = str(error), len(os.fsencode(os.path.abspath(path)))
    if size > SQLITE_PATH_MAX:
        reason += (
            f"; its path is {size} bytes long while mecc writes it, more than the "
            f"{SQLITE_PATH_MAX} SQLite opens: choose a shorter --out"
        )
    return MeccError(f"{shown_path(path)}: SQLite cannot write the layer styles ({reason})")
