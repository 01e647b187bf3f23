"""The run-file template ``mecc init`` writes (:func:`write_template`).

The template is commented YAML; the values given on the command line (``--country``,
``--name``) are written so that YAML reads them back exactly: the display name in double
quotes with JSON escapes (``"Djibouti: République"``, ``"Jabuuti #1"``, ``"Yes"`` stay text),
the code checked as three letters.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from mecc.errors import ConfigError, OutputExistsError

__all__ = ["TEMPLATE", "write_template", "yaml_text"]


TEMPLATE = """\
# Run file for {title} — written by `mecc init`.
# Paths are relative to this file. Unknown keys are errors (with a suggestion); every key
# is described in the README's run-file reference.
# Check it with `mecc validate {file}` and run it with `mecc run {file} --out runs/{stem}`.
country: {country}          # ISO 3166 alpha-3
name: {name}                 # display name, in quotes

population:                  # people per cell (count) or per km2 (density)
  path: population.tif       # e.g. a WorldPop or GHSL GeoTIFF
  kind: count
  year: 2025

zones:                       # admin units; give a list for several levels
  - path: admin.gpkg         # GeoJSON, GeoPackage (add layer:) or shapefile
    layer: adm1
    code_field: ADM1_PCODE
    name_field: ADM1_EN
    level: 1
  - path: admin.gpkg
    layer: adm2
    code_field: ADM2_PCODE
    name_field: ADM2_EN
    level: 2
    parent_field: ADM1_PCODE

hazards:
  - id: river_flood
    type: river_flood        # see `mecc curves list` for the curves of each type
    return_periods:          # one depth grid (m) per return period (years)
      10: flood_rp10.tif
      100: flood_rp100.tif
      1000: flood_rp1000.tif
    curve: flood_step_1m     # variants low/high are evaluated too
    # protection_rp: 10      # events more frequent than this displace nobody
  # - id: flood_years       # an event set instead of return periods
  #   type: river_flood
  #   intensity: flood_events.tif   # one band per event
  #   events: flood_events.csv      # columns band, frequency (per year), optional member
  #   curve: flood_step_1m
  # - id: cyclone
  #   type: tropical_cyclone
  #   intensity: wind.tif    # `mecc hazard cyclone track.csv --out wind.tif --like population.tif`
  #   scenario: "Cyclone X"
  #   averaging: 10-min      # if the grid holds 10-minute winds
  #   curve: sshws_inasafe
  # - id: earthquake
  #   type: earthquake
  #   intensity: mmi.tif     # `mecc hazard earthquake --magnitude 6.5 ... --out mmi.tif --like population.tif`
  #   scenario: "Mw 6.5 scenario"
  #   curve: eq_mmi6_survivors

# futures:                   # climate and population futures, with attribution of change
#   - id: ssp245_2050
#     label: SSP2-4.5, 2050
#     hazards: {{river_flood: {{return_periods: {{10: f10.tif, 100: f100.tif, 1000: f1000.tif}}}}}}
#     population: {{growth: 1.2, year: 2050}}
"""


def yaml_text(value: str) -> str:
    """``value`` as a YAML double-quoted scalar that reads back as the same text.

    A JSON string is a YAML double-quoted scalar (YAML 1.2 is a superset of JSON), so
    ``: # ' " \\`` and words YAML would read as other types (``Yes``, ``null``, ``1e3``)
    survive. Letters outside ASCII are written as they are (the file is UTF-8).
    """
    return json.dumps(value, ensure_ascii=False)


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def write_template(
    country: str, folder=".", name: str | None = None, overwrite: bool = False
) -> Path:
    """Write a commented run-file template ``<folder>/<country>.yaml``.

    Parameters
    ----------
    country : str
        ISO 3166 alpha-3 code (any case; written in capitals).
    folder : path, optional
        Created when missing.
    name : str, optional
        Display name (default: the code), written quoted so that any text reads back
        exactly; one without a line break, tab or other control character.
    overwrite : bool, optional
        Replace an existing file.

    Raises
    ------
    ConfigError
        A code that is no three letters, or a name holding a control character.
    OutputExistsError
        The file exists and ``overwrite`` is not given.
    """
    country = (country or "").strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", country):
        raise ConfigError(f"--country: give an ISO 3166 alpha-3 code such as KEN, not {country!r}")
    name = (name or "").strip() or None
    if name is not None and _CONTROL.search(name):
        raise ConfigError(
            f"--name: {name!r} holds a line break, tab or other control character; "
            "give the display name on one line"
        )
    from mecc.outputs import make_folder

    folder = make_folder(folder)  # a file where the folder must be: one line
    path = folder / f"{country.lower()}.yaml"
    if path.exists() and not overwrite:
        raise OutputExistsError(f"{path}: file exists; use --overwrite to replace it")
    path.write_text(
        TEMPLATE.format(
            country=country,
            name=yaml_text(name or country),
            title=f"{name} ({country})" if name else country,
            file=path.name,
            stem=path.stem,
        ),
        encoding="utf-8",
    )
    return path
