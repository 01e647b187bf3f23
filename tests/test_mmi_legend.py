"""The map draws MMI by its classes: class k is [k - 0.5, k + 0.5) (DESIGN.md: "MMI >= VI"
is >= 5.5), so the legend's edges are the half units, never quantiles that cut a class."""

from __future__ import annotations

import html
import re

from mecc.maps import _intensity_class_breaks


def test_class_edges_are_the_half_units_within_the_values():
    assert _intensity_class_breaks([4.1, 5.2, 8.9]) == [4.5, 5.5, 6.5, 7.5, 8.5]
    assert _intensity_class_breaks([5.5, 6.0]) == []  # one class: VI
    assert _intensity_class_breaks([5.4, 5.6]) == [5.5]
    assert _intensity_class_breaks([0.0, -1.0, float("nan")]) == []


def test_the_demo_map_s_earthquake_legend_uses_mmi_classes(demo_folder):
    page = (demo_folder / "run" / "map.html").read_text(encoding="utf-8")
    start = page.index("Hazard intensity · earthquake")
    legend = html.unescape(re.sub(r"<[^>]+>", " ", page[start : page.index("</div>", start)]))
    text = " ".join(legend.split()).split("Displaced people")[0]  # this legend only
    assert "below 4.5" in text and "4.5 to 5.5" in text and "5.5 or more" in text, text
    edges = [float(x) for x in re.findall(r"(\d+(?:\.\d+)?) to", text)]
    assert edges and all(abs(edge - round(edge - 0.5) - 0.5) < 1e-9 for edge in edges), text
