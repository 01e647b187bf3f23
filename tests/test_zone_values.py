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
