"""Run files: YAML parsing and validation against the run contract (DESIGN.md).

Unknown keys are errors with a did-you-mean; so are a hazard key given where it does not
apply (:func:`check_applies`) and duplicate keys (plain YAML would keep the last one
silently); relative paths are resolved against the run file's folder by the readers.
Everything here raises :class:`mecc.errors.ConfigError` (exit code 2) and names the file
and the key.

The YAML is read as people write it (``mecc.run_yaml``: zero-padded numbers are decimal,
merge keys work, keys read as true or false are refused; UTF-16 with a byte-order mark
is read). Numbers must be finite (``.nan`` and ``.inf`` are refused wherever a number
goes; where text or a file goes, the message says so), file names hold no control
character, and values with a natural range are checked (``connectivity`` 4 or 8, a
``scale_to`` total of people, years from 1850 to 2300 and a hazard's ``period`` a year
or a range of years: :data:`YEARS`).
"""

from __future__ import annotations

import datetime
import difflib
import math
import os
import re
from dataclasses import dataclass

import yaml

from mecc.errors import ConfigError, UnsupportedKeyError, yaml_syntax_error
from mecc.run_yaml import RunFileLoader, iso_date, read_text, shown

__all__ = ["RunConfig", "check_applies", "check_id", "load_config"]

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
    ("population", "household_size"): ZONE_TABLE_KEYS,
    ("population", "livelihoods"): ZONE_TABLE_KEYS,
    ("mobility", "early_warning"): ZONE_TABLE_KEYS,
    ("mobility", "seasonal"): {
        "multipliers": (dict, False),
        "path": (str, False),
        "code_column": (str, False),
        "month_column": (str, False),
        "multiplier_column": (str, False),
    },
    ("mobility", "day_night"): {
        "path": (str, True),
        "origin_column": (str, True),
        "destination_column": (str, True),
        "share_column": (str, True),
    },
    ("mobility", "sites"): {
        "path": (str, True),
        "in_population_grid": (bool, True),
        "as_of": ((str, datetime.date), False),
        "source": (str, False),
    },
    ("mobility", "allocation"): {
        "radius_km": ((int, float), False),
        "exponent": ((int, float), False),
        "cell_km": ((int, float), False),
    },
}
"""Mappings inside the population and mobility keys, checked like the top level (a key
that may also be a number, such as ``household_size``, is checked when it is a mapping)."""
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
    "nodata": ((int, float, list), False),
}
_COMPONENT = ("type", "intensity", "return_periods", "curve", "unit", "averaging")
_COMPONENT += ("gust_factor", "exposure_threshold", "resampling", "variable", "nodata")
COMPONENT_KEYS = {key: HAZARD_KEYS[key] for key in _COMPONENT}
COMPONENT_KEYS["type"] = (str, True)
FUTURE_KEYS = {
    "id": (str, True),
    "label": (str, False),
    "hazards": (dict, False),
    "population": (dict, False),
    "period": ((str, int), False),
}
"""Keys of a ``futures:`` entry (``mecc.futures`` reads them); ``id`` as a hazard's."""
SEA_LEVEL_KEYS = ("dem", "dem_datum", "tide_datum", "high_tide", "slr", "slr_baseline")
SEA_LEVEL_KEYS += ("datum_offsets", "sources", "connectivity")
"""The keys of a sea-level rise (``hazards.slow_onset``), which reads only these, ``id``,
``type``, ``period`` and ``impact_time``: every other key would be ignored."""
FUTURE_POPULATION_KEYS = {
    "path": (str, False),
    "kind": (str, False),
    "band": (int, False),
    "nodata": ((int, float), False),
    "growth": ((int, float, dict, str), False),
    "year": (int, False),
}
"""``futures[].population``: a grid (``path``, ``kind``, ``band``, ``nodata``) or ``growth``
factors, and ``year``."""
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
        datetime.date: "a date (YYYY-MM-DD)",
        type(None): "null",
    }
    types = types if isinstance(types, tuple) else (types,)
    return " or ".join(names.get(t, t.__name__) for t in types)


def _unknown_key(mapping: dict, known, where: str) -> None:
    """Refuse a key not in ``known``, with the closest known key as a suggestion."""
    for key in mapping:
        if key in known:
            continue
        if key in NOT_YET:
            raise UnsupportedKeyError(
                f"{where}.{key}: {NOT_YET[key]} are not supported by this version of mecc yet"
            )
        close = difflib.get_close_matches(str(key), [str(k) for k in known], n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else f"; known keys: {', '.join(known)}"
        raise ConfigError(f"{where}: unknown key {shown(key)}{hint}")


def _check_keys(mapping: dict, schema: dict, where: str) -> None:
    if not isinstance(mapping, dict):
        raise ConfigError(f"{where}: expected a mapping, got {shown(mapping)}")
    _unknown_key(mapping, schema, where)
    _check_types(mapping, schema, where)


def _check_types(mapping: dict, schema: dict, where: str) -> None:
    """Required keys are given and every key of ``schema`` given has one of its types."""
    for key, (types, required) in schema.items():
        if key not in mapping:
            if required:
                raise ConfigError(f"{where}.{key}: missing (required)")
            continue
        value = mapping[key]
        types_tuple = types if isinstance(types, tuple) else (types,)
        wrong = isinstance(value, bool) and bool not in types_tuple
        if wrong or not isinstance(value, types_tuple):
            raise ConfigError(
                f"{where}.{key}: expected {_type_name(types)}, got {shown(value)}"
                + _hint(key, value, types_tuple)
            )


def check_id(value: str, where: str, seen: set) -> None:
    """An id (a hazard's, a future's): letters, digits, ``_ - .``, not in ``seen`` (then
    added to it)."""
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", value):
        raise ConfigError(f"{where}: use letters, digits, '_', '-' or '.' only, not {shown(value)}")
    if value in seen:
        raise ConfigError(f"{where}: {value!r} is used twice")
    seen.add(value)


def check_applies(spec: dict, where: str) -> None:
    """Refuse a hazard key where it does not apply (it would be ignored silently).

    The :data:`SEA_LEVEL_KEYS` apply to a sea-level rise only, which reads no other key;
    ``classes`` to drought only, ``variants`` with a curve (not drought), ``season`` to
    sudden-onset hazards (drought counts residents, whatever the month), ``member_pattern``
    to event sets. With components, ``member_pattern`` only: hazards.readers refuses the
    other keys there, and other misplaced keys (``averaging`` off wind, ...).
    """
    kind, sea = spec.get("type"), spec.get("type") == "sea_level_rise"
    for key in spec:
        if key == "member_pattern" and "events" not in spec and not sea:
            reason = "applies to event sets (given with events) only"
        elif "components" in spec or key in ("id", "type", "period", "impact_time"):
            continue
        elif (key in SEA_LEVEL_KEYS) != sea and key != "damage_curve":  # readers: its reason
            reason = f"applies to sea_level_rise hazards only, not {kind}"
            if sea:
                reason = f"does not apply to sea_level_rise (it reads {', '.join(SEA_LEVEL_KEYS)})"
        elif key == "classes" and kind != "drought":
            reason = f"applies to drought only, not {kind}"
        elif key in ("variants", "season") and kind == "drought":
            reason = {
                "variants": "applies with a curve, not drought (drought takes classes)",
                "season": "does not apply to drought (it counts residents, whatever the month)",
            }[key]
        else:
            continue
        raise ConfigError(f"{where}.{key}: {reason}; remove it")


def _hint(key, value, types: tuple) -> str:
    """Why YAML read a value as it did, when text was meant."""
    if str not in types:
        return ""
    if isinstance(value, bool):
        word = "ON" if value else "NO"
        return (
            f" (YAML reads unquoted yes, no, on and off as true or false); put the value in "
            f"quotes, e.g. {key}: '{word}'"
        )
    if isinstance(value, datetime.date | int | float):
        return "; put it in quotes to give it as text"
    return ""


_FILE_KEYS = {"path", "intensity", "events", "fraction", "dem", "sources"}
_PATH_KEYS = _FILE_KEYS | {"curve", "damage_curve", "protection_rp", "growth", "return_periods"}
_PATH_KEYS |= {"grids"}
"""Keys whose text (or whose mapping's values) names files: no control character."""
_SCHEMAS = [TOP_KEYS, POPULATION_KEYS, *NESTED_KEYS.values(), MOBILITY_KEYS, HAZARD_KEYS]
_SCHEMAS += [FUTURE_KEYS, FUTURE_POPULATION_KEYS, ZONE_KEYS]
_TYPES: dict = {}
for _key, (_types, _) in (item for schema in _SCHEMAS for item in schema.items()):
    _TYPES[_key] = _TYPES.get(_key, ()) + (_types if isinstance(_types, tuple) else (_types,))
_EXPECTS = {
    k: "a file path" if k in _FILE_KEYS else _type_name(tuple(dict.fromkeys(t)))
    for k, t in _TYPES.items()
    if int not in t and float not in t
}
_EXPECTS.update(dict.fromkeys(["return_periods{}", "grids{}"], "a file path"))
_EXPECTS.update(dict.fromkeys(["hazards[]", "hazards{}", "futures[]", "zones[]"], "a mapping"))
_EXPECTS.update(dict.fromkeys(["columns[]", "columns{}"], "a column name"))
_EXPECTS.update({"components[]": "a mapping", "names[]": "text", "variants{}": "a curve"})
"""What the value of a key (``KEY[]``, ``KEY{}``: of each item of its list, of its mapping)
is when it is no number."""
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")
_CONTROL_IN_PATH = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _check_values(value, where: str, in_path: bool = False, key=None) -> None:
    """Refuse non-finite numbers and control characters anywhere in the run file.

    YAML reads ``.nan``, ``.inf`` and ``1.0e+999`` as numbers no figure can use (``key``,
    the key the value is given for, ``KEY[]``/``KEY{}`` for an item of it, says what goes
    there instead); in double quotes it reads ``\\n`` and ``\\t`` as a line break and a
    tab, which turns the Windows path "C:\\new\\table.tif" into another name. Line breaks
    are allowed in text that names no file (a long ``source`` written as a block).
    """
    if isinstance(value, dict):
        for name, item in value.items():
            _check_values(name, f"{where} (a key)", in_path)
            inner = f"{key}{{}}" if f"{key}{{}}" in _EXPECTS else name
            _check_values(item, f"{where}.{name}", in_path or name in _PATH_KEYS, inner)
    elif isinstance(value, list):
        for k, item in enumerate(value):
            _check_values(item, f"{where}[{k}]", in_path, f"{key}[]")
    elif isinstance(value, float) and not math.isfinite(value) and not where.endswith(".nodata"):
        if key in _EXPECTS:
            raise ConfigError(f"{where}: expected {_EXPECTS[key]}, got {shown(value)}")
        raise ConfigError(f"{where}: {shown(value)} is not a finite number; give a number")
    elif isinstance(value, str):
        found = (_CONTROL_IN_PATH if in_path else _CONTROL).search(value)
        if found:
            char = found.group().encode("unicode_escape").decode()
            what = {"\\n": "a line break", "\\t": "a tab", "\\r": "a carriage return"}
            raise ConfigError(
                f"{where}: {shown(value)} holds {what.get(char, 'a control character')} "
                f"({char}); in double quotes YAML reads a backslash as an escape: write a "
                "Windows path in single quotes or with forward slashes"
            )


MOST_PEOPLE = 1e10
"""More people than the world holds (8.2 billion in 2025): no total of a run can exceed it."""
YEARS = (1850, 2300)
"""Plausible years, first and last: 1850 starts the historical period of CMIP6 climate
models (the earliest a hazard ``period`` reaches), 2300 ends the IPCC AR6 sea-level
projections (the latest). A year outside them is a typo (``20250``, ``225``)."""
_PERIOD = re.compile(r"(\d{4})(?:\s*(?:-|–|—|to)\s*(\d{4}))?(?:\s*\([^()]*\))?")
"""A period: a year or a range of years (``2050``, ``2021-2040``, ``2021–2040``,
``2021 to 2040``), optionally followed by a note in parentheses
(``1981-2010 (historical)``)."""
_YEAR_KEYS = ("scale_to", "official", "cohorts", "attributes", "household_size", "livelihoods")
"""Mappings under ``population`` with a ``year`` (besides ``mobility.early_warning``)."""


def _check_year(value, where: str) -> None:
    """Refuse a year outside :data:`YEARS` (the type was checked: a whole number)."""
    if not YEARS[0] <= value <= YEARS[1]:
        raise ConfigError(
            f"{where}: {shown(value)} is not a year from {YEARS[0]} to {YEARS[1]}; write "
            "the year with 4 digits, e.g. 2025"
        )


def _check_period(value, where: str) -> None:
    """Refuse a period that is not a year or a range of years (:data:`_PERIOD`) from
    :data:`YEARS`, or whose range runs backwards: ``2021-2O40`` (a letter O) holds no
    year a check against the population year could find."""
    if isinstance(value, int) and not isinstance(value, bool):
        return _check_year(value, where)
    found = _PERIOD.fullmatch(value.strip()) if isinstance(value, str) else None
    if found is None:
        raise ConfigError(
            f"{where}: {shown(value)} is not a year or a range of years; write e.g. 2050 or "
            "2021-2040 (a note in parentheses may follow, as in '1981-2010 (historical)')"
        )
    years = [int(y) for y in found.groups() if y is not None]
    for year in years:
        _check_year(year, where)
    if years != sorted(years):
        raise ConfigError(f"{where}: {shown(value)} ends before it starts; write e.g. 2021-2040")


def _check_years(data: dict, label: str) -> None:
    """Years (``population.year`` and the tables' ``year``, ``futures[].population.year``)
    and periods (``hazards[].period``, ``futures[].period`` and their hazards' ``period``)
    are plausible: see :data:`YEARS` and :func:`_check_period`."""
    population = data["population"]
    years = {f"{label}.population.year": population.get("year")}
    for key in _YEAR_KEYS:
        if isinstance(population.get(key), dict):
            years[f"{label}.population.{key}.year"] = population[key].get("year")
    warning = (data.get("mobility") or {}).get("early_warning") or {}
    years[f"{label}.mobility.early_warning.year"] = warning.get("year")
    periods = {
        f"{label}.hazards[{k}].period": h.get("period") for k, h in enumerate(data["hazards"])
    }
    for k, future in enumerate(data.get("futures") or []):
        where = f"{label}.futures[{k}]"
        if not isinstance(future, dict):
            continue  # refused by _check_futures
        periods[f"{where}.period"] = future.get("period")
        if isinstance(future.get("population"), dict):
            years[f"{where}.population.year"] = future["population"].get("year")
        hazards = future.get("hazards")
        for hid, spec in hazards.items() if isinstance(hazards, dict) else ():
            if isinstance(spec, dict):
                periods[f"{where}.hazards.{hid}.period"] = spec.get("period")
    for where, year in years.items():
        if year is not None:
            _check_year(year, where)
    for where, period in periods.items():
        if period is not None:
            _check_period(period, where)


def _check_settings(data: dict, label: str) -> None:
    """Values with a natural range, the sites' date (as ``YYYY-MM-DD`` text from here on),
    and the keys of ``futures:``."""
    total = (data["population"].get("scale_to") or {}).get("total")
    if total is not None and not 0 < total <= MOST_PEOPLE:
        raise ConfigError(
            f"{label}.population.scale_to.total: must be > 0 and at most {MOST_PEOPLE:,.0f} "
            f"people, not {shown(total)}"
        )
    sites = (data.get("mobility") or {}).get("sites")
    if sites is not None and sites.get("as_of") is not None:
        sites["as_of"] = iso_date(sites["as_of"], f"{label}.mobility.sites.as_of")
    for k, hazard in enumerate(data["hazards"]):
        if hazard.get("connectivity", 8) not in (4, 8):
            raise ConfigError(
                f"{label}.hazards[{k}].connectivity: 4 or 8 (the neighbours a flood spreads "
                f"to), not {shown(hazard['connectivity'])}"
            )
    if data.get("futures") is not None:  # a list (the type was checked)
        from mecc.future_inputs import check_future_entries

        check_future_entries(data["futures"], label)
    _check_years(data, label)


def _home_paths(value):
    """Strings starting with ``~/`` (a file in the user's home folder, as a shell would
    read it) with the home folder written out; everything else as it is."""
    if isinstance(value, dict):
        return {key: _home_paths(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_home_paths(item) for item in value]
    if isinstance(value, str) and value.startswith("~/"):
        return os.path.expanduser(value)
    return value


def load_config(path) -> RunConfig:
    """Read and validate a run file.

    Raises
    ------
    InputFileError
        The file does not exist or cannot be read (or is not UTF-8 or UTF-16 text).
    ConfigError
        YAML syntax, unknown or duplicate keys, wrong types, missing required keys,
        numbers that are not finite.
    """
    path = os.fspath(path)
    label = os.path.basename(path)
    text = read_text(path)
    try:
        data = yaml.load(text, Loader=RunFileLoader)
    except ConfigError as error:
        raise ConfigError(f"{label}: {error}") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{label}: {yaml_syntax_error(error)}") from None
    if not isinstance(data, dict):
        raise ConfigError(
            f"{label}: the run file must be a mapping of keys (country, population, ...)"
        )
    data = _home_paths(data)
    _check_keys(data, TOP_KEYS, label)
    _check_values(data, label)
    if not re.fullmatch(r"[A-Z]{3}", data["country"]):
        raise ConfigError(
            f"{label}.country: give an ISO 3166 alpha-3 code such as AUT, not {data['country']!r}"
        )
    _check_keys(data["population"], POPULATION_KEYS, f"{label}.population")
    _check_keys(data.get("mobility") or {}, MOBILITY_KEYS, f"{label}.mobility")
    for (section, key), schema in NESTED_KEYS.items():
        value = (data.get(section) or {}).get(key)
        if isinstance(value, dict):  # other types were refused above
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
        check_id(hazard["id"], f"{where}.id", ids)
    grid = data.get("analysis_grid")
    if grid is not None and grid != "population" and grid not in ids:
        raise ConfigError(
            f"{label}.analysis_grid: use 'population' or a hazard id ({', '.join(sorted(ids))})"
        )
    _check_settings(data, label)
    for k, hazard in enumerate(data["hazards"]):  # after the values' own checks
        check_applies(hazard, f"{label}.hazards[{k}]")
        if hazard.get("type") == "drought" and "classes" in hazard:  # names the run file
            from hazards.slow_onset import check_drought_classes

            check_drought_classes(hazard["classes"], f"{label}.hazards[{k}].classes")
    return RunConfig(path, os.path.dirname(os.path.abspath(path)), data)
