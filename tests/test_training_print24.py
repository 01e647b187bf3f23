"""Printed tables of the training pack in Chromium (print media, the A4 text column):
a table's words break between words only (or right after a hyphen), never inside a word
("Populatio|n", "Desplazamie|nto"); a record's or a site's id stays on one line
("XMR-2024-" / "001" hid the duplicate record of m2 and m6); and no table is wider than
the A4 column. Every module in every language. Runs (never skips) when CI=true: the
Chromium fixture of the map tests fails there instead.
"""

from __future__ import annotations

import pytest

from tests.test_maps import browser  # noqa: F401 - the shared Chromium fixture
from tests.test_training import A4_CONTENT, LANGS, MODULES, Page

PAGES = (
    ("participants", "handout.html"),
    ("participants", "quiz.html"),
    ("facilitator", "guide.html"),
)

LAYOUT = """(width) => {
    // per word of every table cell: the line breaks inside it that do not follow a hyphen
    const split = [];
    for (const cell of document.querySelectorAll('th, td')) {
        const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
        let node;
        while ((node = walker.nextNode())) {
            const text = node.textContent;
            const re = /\\S+/g;
            let m;
            while ((m = re.exec(text))) {
                let top = null;
                for (let i = m.index; i < m.index + m[0].length; i++) {
                    const range = document.createRange();
                    range.setStart(node, i);
                    range.setEnd(node, i + 1);
                    const box = [...range.getClientRects()].find(r => r.width > 0);
                    if (!box) continue;
                    const now = Math.round(box.top);
                    if (top !== null && now > top + 1 && !/[-\\u2010\\u2013/]/.test(text[i - 1]))
                        split.push(cell.tagName + ': ' + text.slice(m.index, i) + '|' + text.slice(i, m.index + m[0].length));
                    top = now;
                }
            }
        }
    }
    const ids = [...document.querySelectorAll('td.id')].map(cell => {
        const range = document.createRange();
        range.selectNodeContents(cell);
        const lines = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
        return {text: cell.textContent, lines: lines.size, spill: cell.scrollWidth > cell.clientWidth + 1};
    });
    const wide = [...document.querySelectorAll('table, th, td')]
        .filter(e => e.getBoundingClientRect().right > width + 1 || e.scrollWidth > e.clientWidth + 1)
        .map(e => e.tagName + ' ' + e.textContent.slice(0, 40));
    return {split, ids, wide, scroll: document.documentElement.scrollWidth,
            tables: document.querySelectorAll('table').length};
}"""


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    from training_modules.pack import build_pack

    return build_pack(tmp_path_factory.mktemp("print24") / "pack", interactive_maps=False).out_dir


@pytest.fixture(scope="module")
def layouts(browser, pack):  # noqa: F811 - the fixture's value
    """(lang, module, page name) -> the layout report of the page printed."""
    out = {}
    for lang in LANGS:
        for module in MODULES:
            for folder, name in PAGES:
                opened = Page(browser, pack / lang / folder / module / name)
                opened.page.emulate_media(media="print")
                out[lang, module, name] = opened.page.evaluate(LAYOUT, A4_CONTENT[0])
                opened.close()
    return out


def test_table_words_break_between_words_only(layouts):
    split = {k: v["split"] for k, v in layouts.items() if v["split"]}
    assert split == {}
    # not vacuous: the pack's pages hold tables, the handouts of m4 four with ranges
    assert sum(v["tables"] for v in layouts.values()) >= 3 * 8
    assert all(layouts[lang, "m4_displacement", "handout.html"]["tables"] >= 4 for lang in LANGS)


@pytest.mark.parametrize(
    ("module", "ids"),
    [
        # the m2/m6 records: XMR-2024-003 twice (the duplicate to spot); m5's shelter sites
        ("m2_loss_records", ["XMR-2024-001", "XMR-2024-002", "XMR-2024-003", "XMR-2024-003"]),
        ("m6_sendai_table", ["XMR-2024-001", "XMR-2024-002", "XMR-2024-003", "XMR-2024-003"]),
    ],
)
def test_record_ids_print_on_one_line(layouts, module, ids):
    for lang in LANGS:
        cells = layouts[lang, module, "handout.html"]["ids"]
        assert [c["text"] for c in cells] == ids, (lang, cells)
        assert all(c["lines"] == 1 and not c["spill"] for c in cells), (lang, cells)


def test_shelter_site_ids_print_on_one_line(layouts, pack):
    import pandas as pd

    sites = pd.read_csv(pack / "data" / "inputs" / "shelters.csv")
    for lang in LANGS:
        cells = layouts[lang, "m5_evacuation", "handout.html"]["ids"]
        assert [c["text"] for c in cells] == [str(s) for s in sites["site_id"]], lang
        assert all(c["lines"] == 1 and not c["spill"] for c in cells), (lang, cells)


def test_no_table_is_wider_than_the_a4_column(layouts):
    wide = {k: v["wide"] for k, v in layouts.items() if v["wide"]}
    assert wide == {}
    assert max(v["scroll"] for v in layouts.values()) <= A4_CONTENT[0]
