"""Printing the offline map: the country refitted to the page, the legend and the About panel.

Officials print the map (Ctrl+P, A4 or Letter, or ``chromium --headless --print-to-pdf``).
These tests print the demo's map with Debian's Chromium and measure the print layout from
inside it: a ``matchMedia('print')`` listener added after the map's own runs while the page
is laid out for print, so it sees what the PDF gets. No PDF reader is needed (none is a
dependency). Like tests/test_maps.py, they skip without Chromium or Playwright locally and
fail instead when CI=true.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import geopandas as gpd
import pytest

from mecc.maps import build_map
from tests.test_maps import CHROMIUM, browser  # noqa: F401 - the shared Chromium fixture

MM = 96 / 25.4  # CSS px per mm
MARGIN_MM = 10
PAGES_MM = {"A4": (210, 297), "Letter": (215.9, 279.4)}

# What the printed page holds, measured in the print layout (or the emulated print media).
MEASURE = """() => {
  const inside = (r, b) => r.left >= b.left - 0.5 && r.right <= b.right + 0.5
                         && r.top >= b.top - 0.5 && r.bottom <= b.bottom + 0.5;
  const rect = r => [r.left, r.top, r.right, r.bottom];
  const map = meccMap.getContainer(), box = map.getBoundingClientRect();
  const probe = document.createElement('div');
  probe.style.cssText = 'position:absolute;width:100vw;height:100vh';
  document.body.appendChild(probe);
  const page = [probe.offsetWidth, probe.offsetHeight];
  probe.remove();
  const zones = Array.from(document.querySelectorAll('path.leaflet-interactive[data-zone]'));
  const legends = Array.from(document.querySelectorAll('.mecc-legend:not([hidden])'));
  const about = document.querySelector('.mecc-print-about');
  const shown = el => !!el && el.getClientRects().length > 0
                      && getComputedStyle(el).display !== 'none';
  return {
    page: page, box: rect(box), zoom: meccMap.getZoom(),
    center: [meccMap.getCenter().lat, meccMap.getCenter().lng],
    zones: zones.map(p => [p.dataset.zone, inside(p.getBoundingClientRect(), box),
                           rect(p.getBoundingClientRect())]),
    legends: legends.map(l => [inside(l.getBoundingClientRect(), box),
                               l.getBoundingClientRect().height, l.innerText]),
    about: shown(about) ? about.innerText : null,
    about_items: Array.from(document.querySelectorAll('#mecc-title details li'))
                      .map(li => li.textContent.replace(/\\s+/g, ' ').trim()),
    title_shown: shown(document.getElementById('mecc-title')),
    layers_shown: shown(document.querySelector('.leaflet-control-layers')),
    zoom_shown: shown(document.querySelector('.leaflet-control-zoom')),
    printing: document.documentElement.classList.contains('mecc-printing'),
  };
}"""

RECORD = (
    "() => { window.meccPrinted = []; matchMedia('print').addEventListener('change', e => {"
    " if (e.matches) meccPrinted.push((" + MEASURE + ")()); }); }"
)


@pytest.fixture(scope="module")
def maps(demo_folder, tmp_path_factory) -> dict[str, Path]:
    """The demo's own map.html (English, as ``mecc demo`` wrote it), and French and Spanish."""
    out = tmp_path_factory.mktemp("print")
    found = {"en": demo_folder / "run" / "map.html"}
    for lang in ("fr", "es"):
        found[lang] = build_map(demo_folder / "run", out / lang / "map.html", lang=lang)
    return found


@pytest.fixture(scope="module")
def zones(demo_folder) -> dict[str, str]:
    """Code -> name of the demo's finest admin units (what the map draws)."""
    frame = gpd.read_file(demo_folder / "run" / "zones.gpkg", layer="admin2")
    return dict(zip(frame["zone_code"], frame["zone_name"], strict=True))


class Opened:
    """The map in a 1366×768 window, with page errors and non-file requests recorded."""

    def __init__(self, browser, path: Path):  # noqa: F811 - the fixture's value
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.context = browser.new_context(viewport={"width": 1366, "height": 768})
        self.context.route(re.compile(r"^(?!file:|data:|blob:).*"), self._block)
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else 0)
        self.page.goto(path.resolve().as_uri())
        self.page.wait_for_function("window.meccMap !== undefined")

    def _block(self, route):
        self.requests.append(route.request.url)
        route.abort()

    def measure(self) -> dict:
        return self.page.evaluate(MEASURE)


@pytest.fixture
def open_map(browser):  # noqa: F811
    opened = []

    def open_(path):
        opened.append(Opened(browser, path))
        return opened[-1]

    yield open_
    for item in opened:
        item.context.close()


def _check_printed(seen: dict, zones: dict, page_px: tuple[float, float]) -> None:
    """Every zone inside the map's box, the box on the page, legend and About printed."""
    assert sorted(z[0] for z in seen["zones"]) == sorted(zones)
    outside = [zones[code] for code, inside, _ in seen["zones"] if not inside]
    assert outside == [], f"zones cut off the printed map: {outside}"
    left, top, right, bottom = seen["box"]
    width, height = page_px
    # Chromium's A4 is 8.27 in × 11.7 in: a few px from 210 mm × 297 mm
    assert seen["page"][0] == pytest.approx(width, abs=4)
    assert seen["page"][1] == pytest.approx(height, abs=4)
    width, height = seen["page"]
    assert left >= 0 and right <= width + 1 and bottom - top <= height + 1
    assert right - left == pytest.approx(width, abs=2)  # the map as wide as the page
    # the country fills the box: its extent spans nearly the box's width or height
    xs = [r for _, _, r in seen["zones"]]
    span_x = max(r[2] for r in xs) - min(r[0] for r in xs)
    span_y = max(r[3] for r in xs) - min(r[1] for r in xs)
    assert span_x > 0.8 * (right - left - 16) or span_y > 0.6 * (bottom - top)
    assert seen["title_shown"] and not seen["layers_shown"] and not seen["zoom_shown"]
    assert len(seen["legends"]) == 1
    legend_inside, legend_height, legend_text = seen["legends"][0]
    assert legend_inside and legend_height > 50 and legend_text.strip()
    about = seen["about"]
    assert about is not None, "the About panel is not printed"
    assert len(seen["about_items"]) > 10
    flat = re.sub(r"\s+", "", about)  # an item's lines: <br> in innerText, nothing in textContent
    missing = [item for item in seen["about_items"] if re.sub(r"\s+", "", item) not in flat]
    assert missing == [], f"About items missing from the printout: {missing[:3]}"


def _restored(opened: Opened, before: dict) -> None:
    after = opened.measure()
    assert not after["printing"] and after["about"] is None
    assert after["box"] == [0, 0, 1366, 768]
    assert after["zoom"] == before["zoom"]
    assert after["center"] == pytest.approx(before["center"], abs=1e-9)
    assert after["layers_shown"] and after["zoom_shown"]
    assert opened.errors == [] and opened.requests == []


@pytest.mark.parametrize(
    ("lang", "paper", "landscape"),
    [("en", "A4", False), ("en", "Letter", False), ("fr", "Letter", False), ("es", "A4", True)],
)
def test_printed_map_holds_the_whole_country(open_map, maps, zones, lang, paper, landscape):
    """The real print path (beforeprint, print layout, afterprint), as Ctrl+P takes it."""
    opened = open_map(maps[lang])
    before = opened.measure()
    # the screen view shows every unit; the printout must too
    assert all(inside for _, inside, _ in before["zones"])
    opened.page.evaluate(RECORD)
    margin = f"{MARGIN_MM}mm"
    pdf = opened.page.pdf(
        format=paper,
        landscape=landscape,
        margin={"top": margin, "bottom": margin, "left": margin, "right": margin},
    )
    printed = opened.page.evaluate("meccPrinted")
    assert len(printed) == 1
    w, h = PAGES_MM[paper]
    w, h = (h, w) if landscape else (w, h)
    _check_printed(printed[0], zones, ((w - 2 * MARGIN_MM) * MM, (h - 2 * MARGIN_MM) * MM))
    assert "Joval" in " ".join(zones[code] for code, inside, _ in printed[0]["zones"] if inside)
    assert pdf.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))
    assert pages >= 2  # the map, then the About panel
    if lang == "en":
        assert "Data sources" in printed[0]["about"] and "population.tif" in printed[0]["about"]
        assert "Modelled estimates of people likely to be displaced" in printed[0]["about"]
    _restored(opened, before)


def test_print_media_alone_refits_and_restores(open_map, maps, zones):
    """A browser that only switches to print media (no beforeprint) gets the same page."""
    opened = open_map(maps["en"])
    before = opened.measure()
    page = opened.page
    page.set_viewport_size({"width": 720, "height": 1000})  # an A4-like page
    page.wait_for_function("meccMap.getSize().x === 720")
    resized = opened.measure()
    page.emulate_media(media="print")
    page.wait_for_function("document.documentElement.classList.contains('mecc-printing')")
    seen = opened.measure()
    _check_printed(seen, zones, (720, 1000))
    assert seen["zoom"] != resized["zoom"]  # refitted (fractional zoom), not left as it was
    page.emulate_media(media="screen")
    page.wait_for_function("!document.documentElement.classList.contains('mecc-printing')")
    after = opened.measure()
    assert after["box"] == [0, 0, 720, 1000] and after["about"] is None
    assert after["zoom"] == resized["zoom"]
    assert after["center"] == pytest.approx(resized["center"], abs=1e-9)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.wait_for_function("meccMap.getSize().x === 1366")
    assert opened.measure()["zoom"] == before["zoom"]
    assert opened.errors == [] and opened.requests == []


# The probe appended after the map's own script: its listener runs after the map's, in the
# print layout, and writes what it measured into the title, which becomes the PDF's /Title.
PROBE = (
    "<script>matchMedia('print').addEventListener('change', function (e) {"
    " if (!e.matches) return; var m = (" + MEASURE + ")();"
    " document.title = 'PRINTED ' + m.zones.length + ' ' + m.zones.filter(function (z)"
    " { return z[1]; }).length + ' ' + m.legends.length + ' ' + (m.about ? m.about.length : 0)"
    " + ' ' + Math.round(m.box[2] - m.box[0]) + ' ' + m.page[0]; });</script>"
)


def test_headless_chromium_print_to_pdf(browser, maps, zones, tmp_path):  # noqa: F811
    """The facilitator's command: ``chromium --headless --print-to-pdf`` of the demo map."""
    page = maps["en"].read_text(encoding="utf-8")
    assert page.rstrip().endswith("</html>")
    probed = tmp_path / "map.html"
    probed.write_text(page.rstrip()[: -len("</html>")] + PROBE + "</html>", encoding="utf-8")
    pdf = tmp_path / "map.pdf"
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--window-size=1366,768",
        "--virtual-time-budget=5000",
        f"--print-to-pdf={pdf}",
        probed.as_uri(),
    ]
    subprocess.run(command, capture_output=True, timeout=180, check=False)
    data = pdf.read_bytes()
    title = re.search(rb"/Title\s*\(PRINTED ([0-9 ]+)\)", data)
    assert title, "the print layout was not measured (no PRINTED title in the PDF)"
    drawn, inside, legends, about, width, page_width = map(int, title.group(1).split())
    assert drawn == inside == len(zones)
    assert legends == 1 and about > 2000
    assert abs(width - page_width) <= 2  # the map as wide as the page, not the window
    assert len(re.findall(rb"/Type\s*/Page(?![s\w])", data)) >= 2


def test_print_rules_are_in_the_page(maps):
    """The page carries its print rules and handlers inline (nothing fetched)."""
    page = maps["es"].read_text(encoding="utf-8")
    assert "@media print" in page and ".mecc-print-about" in page
    for needle in ("beforeprint", "afterprint", "matchMedia('print')", "invalidateSize"):
        assert needle in page
    setup = re.search(r"meccPrint\(map, (\[\[.*?\]\])\);", page)
    bounds = json.loads(setup.group(1))
    assert f"map.fitBounds({setup.group(1)}, {{animate: false}});" in page  # the opening view
    assert bounds[0][0] < bounds[1][0] and bounds[0][1] < bounds[1][1]
