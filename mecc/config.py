"""Run files: YAML parsing and validation against the run contract (DESIGN.md).

Unknown keys are errors with a did-you-mean; duplicate keys are errors (plain YAML
would keep the last one silently); relative paths are resolved against the run file's
folder by the readers. Everything here raises :class:`mecc.errors.ConfigError`
(exit code 2) and names the file and the key.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass

import yaml

from mecc.errors import ConfigError, InputFileError, UnsupportedKeyError, yaml_syntax_error

__all__ = ["RunConfig", "load_config"]

TOP_KEYS = {
    "country": (str, True),
    "name": (str, False),
    "population": (dict, True),
    "zones": ((dict, list), False),
    "hazards": (list, True),
    "analysis_grid": (str, False),
    "futures": (list, False),
    "mobility": (dict, False),
}
POPULATION_KEYS = {
    "path": (str, True),
    "kind": (str, False),
    "year": (int, False),
    "band": (int, False),
    "nodata": ((int, float), False),
    "source": (str, False),
    "scale_to": (dict, False),
    "official": (dict, False),
    "cohorts": (dict, False),
    "attributes": (dict, False),
    "household_size": ((int, float, dict), False),
    "livelihoods": (dict, False),
}
ZONE_TABLE_KEYS = {
    "path": (str, True),
    "code_column": (str, True),
    "value_column": (str, True),
    "year": (int, False),
    "source": (str, False),
}
"""A per-zone table of one value (official population, livelihood or warning shares)."""
NESTED_KEYS = {
    ("population", "scale_to"): {
        "total": ((int, float), False),
        "path": (str, False),
        "code_column": (str, False),
        "value_column": (str, False),
        "year": (int, False),
        "source": (str, False),
    },
    ("population", "official"): ZONE_TABLE_KEYS,
    ("population", "cohorts"): {
        "path": (str, False),
        "code_column": (str, False),
        "columns": (list, False),
        "grids": (dict, False),
        "kind": (str, False),
        "year": (int, False),
        "source": (str, False),
    },
    ("population", "attributes"): {
        "path": (str, True),
        "code_column": (str, True),
        "columns": (dict, True),
        "year": (int, False),
        "source": (str, False),
    },
    ("population", "livelihoods"): ZONE_TABLE_KEYS,
    ("mobility", "early_warning"): ZONE_TABLE_KEYS,
    ("mobility", "sites"): {
        "path": (str, True),
        "in_population_grid": (bool, True),
        "as_of": (str, False),
        "source": (str, False),
    },
    ("mobility", "allocation"): {
        "radius_km": ((int, float), False),
        "exponent": ((int, float), False),
        "cell_km": ((int, float), False),
    },
}
"""Mappings inside the population and mobility keys, checked like the top level."""
MOBILITY_KEYS = {
    "seasonal": (dict, False),
    "day_night": (dict, False),
    "sites": (dict, False),
    "allocation": (dict, False),
    "early_warning": (dict, False),
}
HAZARD_KEYS = {
    "id": (str, True),
    "type": (str, True),
    "intensity": (str, False),
    "fraction": (str, False),
    "events": (str, False),
    "return_periods": (dict, False),
    "scenario": (str, False),
    "curve": ((str, dict), False),
    "unit": (str, False),
    "exposure_threshold": ((int, float), False),
    "protection_rp": ((int, float, dict, str), False),
    "period": ((str, int), False),
    "resampling": (str, False),
    "variable": (str, False),
    "averaging": (str, False),
    "gust_factor": ((int, float, str), False),
    "components": (list, False),
    "combine": (str, False),
    "variants": (dict, False),
    "member_pattern": (str, False),
    "classes": (dict, False),
    "dem": (str, False),
    "dem_datum": (str, False),
    "tide_datum": (str, False),
    "high_tide": ((int, float), False),
    "slr": ((int, float), False),
    "slr_baseline": (str, False),
    "datum_offsets": (dict, False),
    "sources": (str, False),
    "connectivity": (int, False),
    "season": (dict, False),
    "impact_time": (str, False),
    "damage_curve": ((str, dict), False),
}
COMPONENT_KEYS = {
    key: HAZARD_KEYS[key]
    for key in (
        "type",
        "intensity",
        "return_periods",
        "curve",
        "unit",
        "averaging",
        "gust_factor",
        "exposure_threshold",
        "resampling",
        "variable",
    )
}
COMPONENT_KEYS["type"] = (str, True)
ZONE_KEYS = {
    "path": (str, True),
    "code_field": (str, False),
    "name_field": (str, False),
    "parent_field": (str, False),
    "level": (int, False),
    "layer": (str, False),
    "format": (str, False),
    "levels": (list, False),
    "language": (str, False),
}
ZONE_FORMATS = ("cod-ab",)
"""``zones: {format: ...}`` values: ``cod-ab`` reads every level of an OCHA COD-AB
GeoPackage (codes, names and parents from its ADMn_PCODE / ADMn_EN fields)."""
NOT_YET: dict = {}
"""Keys DESIGN.md documents that this version does not implement yet: refused with a
clear message rather than ignored."""


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses duplicate keys."""


def _construct_mapping(loader, node, deep=False):
    seen = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise ConfigError(
                f"key {key!r} appears twice (lines {seen[key] + 1} and {key_node.start_mark.line + 1})"
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


@dataclass
class RunConfig:
    """A validated run file.

    Attributes
    ----------
    path : str
        The run file.
    base_dir : str
        Its folder (relative paths are relative to it).
    data : dict
        The parsed mapping, keys checked.
    """

    path: str
    base_dir: str
    data: dict

    @property
    def country(self) -> str:
        """ISO 3166 alpha-3 code."""
        return self.data["country"]

    @property
    def name(self) -> str:
        """Display name of the country (defaults to its code)."""
        return self.data.get("name", self.data["country"])


def _type_name(types) -> str:
    names = {
        str: "text",
        int: "a whole number",
        float: "a number",
        dict: "a mapping",
        list: "a list",
        bool: "true or false",
    }
    types = types if isinstance(types, tuple) else (types,)
    return " or ".join(names.get(t, t.__name__) for t in types)


def _check_keys(mapping: dict, schema: dict, where: str) -> None:
    for key in mapping:
        if key in schema:
            continue
        if key in NOT_YET:
            raise UnsupportedKeyError(
                f"{where}.{key}: {NOT_YET[key]} are not supported by this version of mecc yet"
            )
        close = difflib.get_close_matches(str(key), list(schema), n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else f"; known keys: {', '.join(schema)}"
        raise ConfigError(f"{where}: unknown key {key!r}{hint}")
    for key, (types, required) in schema.items():
        if key not in mapping:
            if required:
                raise ConfigError(f"{where}.{key}: missing (required)")
            continue
        value = mapping[key]
        types_tuple = types if isinstance(types, tuple) else (types,)
        if isinstance(value, bool) and bool not in types_tuple:
            raise ConfigError(f"{where}.{key}: expected {_type_name(types)}, got {value!r}")
        if not isinstance(value, types_tuple):
            raise ConfigError(f"{where}.{key}: expected {_type_name(types)}, got {value!r}")


def load_config(path) -> RunConfig:
    """Read and validate a run file.

    Raises
    ------
    InputFileError
        The file does not exist or cannot be read.
    ConfigError
        YAML syntax, unknown or duplicate keys, wrong types, missing required keys.
    """
    path = os.fspath(path)
    label = os.path.basename(path)
    try:
        with open(path, encoding="utf-8-sig") as handle:
            text = handle.read()
    except FileNotFoundError:
        raise InputFileError(f"{path}: run file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputFileError(f"{path}: cannot read run file ({error})") from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except ConfigError as error:
        raise ConfigError(f"{label}: {error}") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{label}: {yaml_syntax_error(error)}") from None
    if not isinstance(data, dict):
        raise ConfigError(
            f"{label}: the run file must be a mapping of keys (country, population, ...)"
        )
    _check_keys(data, TOP_KEYS, label)
    if not re.fullmatch(r"[A-Z]{3}", data["country"]):
        raise ConfigError(
            f"{label}.country: give an ISO 3166 alpha-3 code such as AUT, not {data['country']!r}"
        )
    _check_keys(data["population"], POPULATION_KEYS, f"{label}.population")
    _check_keys(data.get("mobility") or {}, MOBILITY_KEYS, f"{label}.mobility")
    for (section, key), schema in NESTED_KEYS.items():
        value = (data.get(section) or {}).get(key)
        if value is not None:
            _check_keys(value, schema, f"{label}.{section}.{key}")
    zones = data.get("zones")
    if zones is not None:
        entries = zones if isinstance(zones, list) else [zones]
        for k, entry in enumerate(entries):
            where = f"{label}.zones[{k}]" if isinstance(zones, list) else f"{label}.zones"
            if not isinstance(entry, dict):
                raise ConfigError(f"{where}: expected a mapping with path and code_field")
            _check_keys(entry, ZONE_KEYS, where)
            if "format" in entry and entry["format"] not in ZONE_FORMATS:
                raise ConfigError(
                    f"{where}.format: unknown format {entry['format']!r}; use {', '.join(ZONE_FORMATS)}"
                )
            if "format" not in entry and "code_field" not in entry:
                raise ConfigError(f"{where}.code_field: missing (required)")
    if not data["hazards"]:
        raise ConfigError(f"{label}.hazards: give at least one hazard set")
    ids = set()
    for k, hazard in enumerate(data["hazards"]):
        where = f"{label}.hazards[{k}]"
        if not isinstance(hazard, dict):
            raise ConfigError(f"{where}: expected a mapping with id, type, intensity, ...")
        _check_keys(hazard, HAZARD_KEYS, where)
        for c, component in enumerate(hazard.get("components") or []):
            if not isinstance(component, dict):
                raise ConfigError(
                    f"{where}.components[{c}]: expected a mapping with type, intensity, curve"
                )
            _check_keys(component, COMPONENT_KEYS, f"{where}.components[{c}]")
        if hazard.get("impact_time", "night") not in ("day", "night"):
            raise ConfigError(
                f"{where}.impact_time: 'day' or 'night', not {hazard['impact_time']!r}"
            )
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", hazard["id"]):
            raise ConfigError(f"{where}.id: use letters, digits, '_', '-' or '.' only")
        if hazard["id"] in ids:
            raise ConfigError(f"{where}.id: {hazard['id']!r} is used twice")
        ids.add(hazard["id"])
    grid = data.get("analysis_grid")
    if grid is not None and grid != "population" and grid not in ids:
        raise ConfigError(
            f"{label}.analysis_grid: use 'population' or a hazard id ({', '.join(sorted(ids))})"
        )
    return RunConfig(path, os.path.dirname(os.path.abspath(path)), data)
