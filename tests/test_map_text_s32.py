"""Map labels (mecc.map_text.Text.w): a label without arguments is escaped once and
kept; one with arguments is filled in every time."""

from __future__ import annotations

from mecc.map_data import labels
from mecc.map_text import Text, esc


def test_labels_are_kept_only_without_arguments():
    words = {**labels("en"), "range_of": "{low} to {high} ({kind})", "central": "central <"}
    text = Text({**words, "x": "a<b"}, "en")
    assert text.w("central") == "central &lt;" == text.w("central")
    assert text.w("x") == esc("a<b") == "a&lt;b"
    assert text.w("range_of", low=1, high=2, kind="v") == "1 to 2 (v)"
    assert text.w("range_of", low=3, high=4, kind="w") == "3 to 4 (w)"  # not the first
    assert text.w("no_such_label") == "no such label" == text.w("no_such_label")
