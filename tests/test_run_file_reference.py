"""The README's run-file reference lists exactly the keys the toolkit accepts, is generated
from mecc/run_file_reference.py, and its simple defaults are the ones the code uses."""

from __future__ import annotations

import re
from pathlib import Path

from mecc import config, futures
from mecc.run_file_reference import BEGIN, END, SECTIONS, markdown

ROOT = Path(__file__).resolve().parents[1]


def _section(title: str) -> dict:
    return next(keys for name, _, keys in SECTIONS if name == title)


def test_every_accepted_key_is_documented_and_nothing_else():
    expected = {
        "Top level": set(config.TOP_KEYS),
        "population": set(config.POPULATION_KEYS),
        "zones (each level)": set(config.ZONE_KEYS),
        "hazards (each entry)": set(config.HAZARD_KEYS),
        "hazards[].components (each)": set(config.COMPONENT_KEYS),
        "futures (each)": set(futures.FUTURE_KEYS),
        "futures[].population": set(config.FUTURE_POPULATION_KEYS),
        "mobility": set(config.MOBILITY_KEYS),
        **{".".join(where): set(schema) for where, schema in config.NESTED_KEYS.items()},
    }
    assert sorted(title for title, _, _ in SECTIONS) == sorted(expected)
    for title, keys in expected.items():
        assert set(_section(title)) == keys, title


def test_run_file_checks_the_future_keys_mecc_futures_reads():
    assert set(config.FUTURE_KEYS) == set(futures.FUTURE_KEYS)


def test_future_hazard_and_population_keys_are_named():
    meaning = _section("futures (each)")
    for key in futures.HAZARD_OVERRIDE_KEYS:
        assert f"`{key}`" in meaning["hazards"][2], key
    source = (ROOT / "mecc" / "futures.py").read_text(encoding="utf-8")
    used = set(re.findall(r"""population(?:\.get\(|\[)["'](\w+)["']""", source))
    assert used and all(f"`{key}`" in meaning["population"][2] for key in used), used


def test_required_keys_say_so():
    schemas = {
        "Top level": config.TOP_KEYS,
        "population": config.POPULATION_KEYS,
        "zones (each level)": config.ZONE_KEYS,
        "hazards (each entry)": config.HAZARD_KEYS,
        "hazards[].components (each)": config.COMPONENT_KEYS,
    }
    for title, schema in schemas.items():
        documented = _section(title)
        for key, (_, required) in schema.items():
            if required:
                assert documented[key][1] == "required", (title, key)


DEFAULTS_IN_CODE = {
    ("population", "band"): "mecc/inputs.py",
    ("zones (each level)", "level"): "exposure/zones.py",
    ("hazards (each entry)", "resampling"): "hazards/readers.py",
    ("hazards (each entry)", "combine"): "hazards/readers.py",
    ("hazards (each entry)", "connectivity"): "hazards/slow_onset.py",
}
"""Where the code reads each key whose documented default is one literal."""


def test_simple_defaults_match_the_code():
    """A default written as one literal (`nearest`, 8, 1) is what the code's .get uses."""
    for (title, key), path in DEFAULTS_IN_CODE.items():
        documented = _section(title)[key][1].strip("`")
        source = (ROOT / path).read_text(encoding="utf-8")
        values = re.findall(rf"""\.get\(["']{key}["'],\s*([^)]+)\)""", source)
        assert values, (key, path)
        for value in values:
            assert value.strip().strip("\"'") == documented, (key, value, documented)


def test_readme_holds_the_generated_reference():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme[readme.index(BEGIN) + len(BEGIN) : readme.index(END)]
    assert block.strip() == markdown().strip(), (
        "README.md's run-file reference is stale: run "
        "`.venv/bin/python -m mecc.run_file_reference --write README.md`"
    )
