"""The YAML files mecc ships (curve library, map and profile labels) are read with
libyaml's loader when it is installed: it must give the data the pure-Python safe loader
gives, and the three readers must return that data."""

from __future__ import annotations

from importlib import resources

import pytest
import yaml

from hazards import library
from mecc import map_data, profile_text

FILES = {
    "curve library": resources.files("hazards").joinpath("curves/library.yaml"),
    "map labels": map_data.LOCALE_FILE,
    "profile labels": profile_text.LOCALE_FILE,
}


@pytest.mark.parametrize("name", sorted(FILES))
def test_libyaml_reads_the_same_data_as_the_python_loader(name):
    text = FILES[name].read_text(encoding="utf-8")
    fast = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the readers' choice
    assert yaml.load(text, Loader=fast) == yaml.load(text, Loader=yaml.SafeLoader)


def test_the_readers_return_the_files_data():
    def python(path):
        return yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)

    assert map_data._all_labels() == python(FILES["map labels"])
    assert profile_text._all_labels() == python(FILES["profile labels"])
    curves = python(FILES["curve library"])["curves"]
    entries = library.curve_entries()
    assert set(curves) <= set(entries)
    assert all(entries[name].evidence == spec["evidence"] for name, spec in curves.items())
