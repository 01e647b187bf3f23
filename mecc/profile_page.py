"""The look of a district risk profile's A4 page: its CSS and the script that fits it.

Each unit is one ``section.page``, an A4 box (210 x 296 mm) printed by Chromium
(:func:`mecc.profiles.print_to_pdf`). :data:`FIT_SCRIPT` runs in the page (on screen and
when printing): it shrinks an overfull page's type, and a page that does not fit at the
smallest type continues on a second A4 sheet (its last blocks moved whole, with the unit's
heading and footer), so that the sources and caveats and the footer are never cut off.
"""

from __future__ import annotations

__all__ = ["FIT_SCRIPT", "STYLE"]

# The look of a page: A4, printed by Chromium (mecc.profiles.print_to_pdf).
STYLE = """
@page { size: A4; margin: 0; }
* { box-sizing: border-box; }
html, body { margin: 0; padding: 0; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color: #1a1a1a;
  background: #d9d9d9; }
.page { width: 210mm; height: 296mm; padding: 11mm 12mm 9mm; margin: 6mm auto;
  font-size: 8.6pt; background: #fff; overflow: hidden; display: flex;
  flex-direction: column; break-after: page; page-break-after: always; position: relative; }
.page:last-child { break-after: auto; page-break-after: auto; }
@media print { body { background: #fff; } .page { margin: 0; box-shadow: none; } }
@media screen { .page { box-shadow: 0 1px 4px rgba(0,0,0,.35); } }
header { border-bottom: 2px solid #08519c; padding-bottom: 2mm; margin-bottom: 2.5mm; }
h1 { font-size: 1.75em; margin: 0 0 1mm; color: #08306b; }
h2 { font-size: 1.16em; margin: 2.2mm 0 1.2mm; color: #08306b; }
.meta { margin: 0; color: #444; }
.badge { display: inline-block; background: #fee391; border: 1px solid #cc8a00;
  padding: 0 2mm; font-weight: bold; font-size: .93em; }
.top { display: flex; gap: 4mm; align-items: flex-start; }
.sentences { flex: 1; }
.sentence { font-size: 1.2em; line-height: 1.3; margin: 0 0 1.6mm; }
figure { margin: 0; width: 55mm; flex: none; }
figure svg { width: 55mm; height: auto; border: 1px solid #bbb; background: #f7fbff; }
figcaption { font-size: .87em; color: #444; }
.unit-other { fill: #deebf7; stroke: #6baed6; stroke-width: .6; }
.unit-chosen { fill: #08519c; stroke: #08306b; stroke-width: 1; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #c6c6c6; padding: .5mm 1.2mm; text-align: right;
  vertical-align: top; }
th { background: #eff3ff; font-weight: bold; }
th.left, td.left { text-align: left; }
.range { display: block; color: #555; font-size: .86em; }
table.sendai .range { display: inline; }  /* in the figure's line: rows stay one line */
.note { font-size: .88em; color: #444; margin: .8mm 0; }
ul.sources { margin: 0; padding-left: 4mm; font-size: .8em; color: #333; columns: 2;
  column-gap: 6mm; }
ul.sources li { margin: 0 0 .4mm; overflow-wrap: anywhere; break-inside: avoid; }
footer { margin-top: auto; padding-top: 1.5mm; border-top: 1px solid #bbb; font-size: .8em;
  color: #555; display: flex; justify-content: space-between; }
"""
FIT_SCRIPT = """
(function () {
  // Fit each unit's page into its A4 box so that nothing is cut off when printed.
  // 1. Shrink its type in steps of 0.2 pt, down to 5.4 pt.
  // 2. A page still too tall continues on more A4 sheets at the full size: its last
  //    blocks (a heading h2 and what follows it, up to the next one: the Sendai figures,
  //    the needs, the sources and caveats) move whole to a continuation sheet with the
  //    unit's heading ("(continued)") and footer; the first block after the sentences
  //    stays. A continuation still too tall continues in turn.
  // 3. A sheet of one block that does not fit even at 5.4 pt grows past its A4 box
  //    (data-runs-on): printed over more pages, never hidden.
  var FULL = 86, SMALLEST = 54;  // tenths of a point
  function tall(page) { return page.scrollHeight > page.clientHeight + 1; }
  function sized(page, tenths) { page.style.fontSize = (tenths / 10).toFixed(1) + "pt"; }
  function shrink(page) {
    var size = FULL;
    page.style.fontSize = "";
    while (tall(page) && size > SMALLEST) { size -= 2; sized(page, size); }
    return !tall(page);
  }
  function blocks(page) {
    var groups = [], current = null;
    Array.prototype.forEach.call(page.children, function (child) {
      if (child.tagName === "H2") { current = [child]; groups.push(current); }
      else if (current && child.tagName !== "FOOTER") { current.push(child); }
    });
    return groups;
  }
  function continuation(page, sheet) {
    var next = document.createElement("section");
    next.className = page.className;
    next.lang = page.lang;
    next.dataset.zone = page.dataset.zone;
    next.dataset.sheet = String(sheet);
    var header = page.querySelector("header").cloneNode(true);
    var title = header.querySelector("h1");
    var label = page.dataset.continuedLabel || "continued";
    if (title) { title.textContent = title.textContent + " (" + label + ")"; }
    next.appendChild(header);
    next.appendChild(page.querySelector("footer").cloneNode(true));
    page.parentNode.insertBefore(next, page.nextSibling);
    return next;
  }
  function runOn(page) {  // taller than A4 even at the smallest type: printed over pages
    page.style.height = "auto";
    page.style.minHeight = "296mm";
    page.dataset.runsOn = "yes";
  }
  function paginate(page, sheet) {
    if (shrink(page)) { return; }
    var groups = blocks(page);
    if (groups.length < 2 || !page.querySelector("header") || !page.querySelector("footer")) {
      runOn(page);
      return;
    }
    page.style.fontSize = "";
    var next = continuation(page, sheet + 1);
    var anchor = next.querySelector("footer");
    for (var k = groups.length - 1; k >= 1 && tall(page); k--) {  // at full size
      for (var j = groups[k].length - 1; j >= 0; j--) {
        next.insertBefore(groups[k][j], anchor);
        anchor = groups[k][j];
      }
    }
    if (!shrink(page)) { runOn(page); }
    paginate(next, sheet + 1);
  }
  Array.prototype.slice.call(document.querySelectorAll("section.page")).forEach(function (page) {
    paginate(page, 1);
  });
  document.documentElement.setAttribute("data-fitted", "yes");
})();
"""
