"""Values given per zone code (shares, scale factors) reach the finest units they name."""

from __future__ import annotations

import numpy as np
import pytest

from exposure.zones import ZoneLevel, Zones
from mecc.errors import DataError


def _zones(province_codes=("P1", "A")):
    provinces = ZoneLevel(1, list(province_codes), ["Prov 1", "Prov 2"], None)
    parents = ["P1", "P1", province_codes[1]]
    districts = ZoneLevel(2, ["A", "B", "C"], ["Dist A", "Dist B", "Dist C"], parents)
    return Zones([provinces, districts], country="XXX")


def test_a_code_at_two_levels_is_refused_naming_the_input():
    """District A and province A share a code: a value for "A" went to district A and,
    through province A, to district C, with no word (a wrong share for C)."""
    with pytest.raises(
        DataError, match=r"^exposure.shares: zone code 'A' is a unit at levels 1 and 2"
    ):
        _zones().finest_values({"A": 0.9}, "exposure.shares")


def test_values_reach_the_unit_or_the_nearest_ancestor():
    per_unit, unknown = _zones(("P1", "P2")).finest_values(
        {"P1": 0.5, "C": 0.25, "Z": 1.0}, "exposure.shares"
    )
    # A and B from their province P1, C its own; Z is no zone's code
    np.testing.assert_array_equal(per_unit, [0.5, 0.5, 0.25])
    assert unknown == ["Z"]


def test_a_boundary_file_coding_a_unit_outside_is_refused(tmp_path, cli):
    """A unit coded __outside__ would be merged with the people in no unit in every
    table; the array layer refused it, a run file's boundaries did not."""
    from tests._run_inputs import basic_case, cell_box, write_run, write_zones

    data = basic_case(tmp_path)
    write_zones(
        tmp_path / "zones.geojson",
        ["A", "__outside__"],
        [cell_box(0, 0, rows=4, cols=2), cell_box(0, 2, rows=4, cols=2)],
        names=["Zone A", "Zone B"],
    )
    result = cli("run", write_run(tmp_path, data), "--out", tmp_path / "out")
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert line == (
        "error: run.yaml.zones.code_field: code '__outside__' in zones.geojson is reserved for the "
        "people outside every unit; give that unit another code"
    )
    assert not (tmp_path / "out").exists()
