"""Sendai rows say "the curve variants all give this value" when the variants' lowest and
highest values agree to 1e-9 (relative): mecc.sendai_rows.variants_agree against
np.isclose, which it replaces on two numbers."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from mecc.sendai_rows import variants_agree

finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12)


@given(finite, st.sampled_from([0.0, 1e-15, 1e-12, 5e-10, 1e-9, 2e-9, 1e-6, 1e-3, 1.0]))
def test_variants_agree_is_isclose_to_one_billionth(value, spread):
    lowest, highest = value * (1 - spread), value
    expected = bool(np.isclose(lowest, highest, rtol=1e-9, atol=0))
    assert variants_agree(lowest, highest) == expected


def test_variants_agree_at_its_edges():
    assert variants_agree(1000.0, 1000.0) and variants_agree(0.0, 0.0)
    assert variants_agree(1000.0 - 1e-7, 1000.0)  # 1e-10 relative
    assert not variants_agree(1000.0 - 1e-5, 1000.0)  # 1e-8 relative
    assert not variants_agree(0.0, 1e-300)  # nobody and somebody
