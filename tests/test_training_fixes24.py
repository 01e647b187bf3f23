"""Training packs, session 24 fixes (trainfix).

1. ``mecc training check --class``: every sheet is checked before anything is written;
   a class with a bad sheet writes nothing (an earlier ``--out`` is kept, even with
   ``--overwrite``) and fails with one line naming the first bad sheet, what is wrong
   and how many others are bad (exit 1).
2. Participant tables show each figure's range beside its central value (module 4's
   district tables, module 8's baseline and future columns), in every language, with a
   note saying which column is central and which the range. Each figure is read here
   from the pack's own run outputs (zones.csv, futures.csv) with pandas.
3. Module 5's printed map: no two labels overlap. Label boxes are measured with a real
   font (Pillow and DejaVu Sans, the sans-serif of a printed page), not with the code's
   own estimate.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

LANGS = ("en", "fr", "es")
CENTRAL = {"en": "Central value", "fr": "Valeur centrale", "es": "Valor central"}


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    """Modules 4, 5 and 8 in every language, variant 0, no map.html."""
    from training_modules.pack import build_pack

    out = tmp_path_factory.mktemp("fixes24") / "pack"
    return build_pack(out, modules=["m4", "m5", "m8"], interactive_maps=False).out_dir


# --- 1. a class with a bad sheet writes nothing ------------------------------------------


def _sheet(pack: Path, lang: str, module: str) -> dict:
    path = pack / lang / "participants" / module / "answer_sheet.yaml"
    return yaml.safe_load(path.read_text("utf-8"))


def _key(pack: Path, lang: str = "en") -> Path:
    return pack / lang / "facilitator" / "m5_evacuation" / "answer_key.yaml"


def _class(pack: Path, folder: Path, lang: str = "en", bad=("b", "c", "d")) -> Path:
    """a.yaml a good sheet; b.yaml for module 4; c.yaml not YAML; d.yaml variant 2."""
    folder.mkdir()
    good = {**_sheet(pack, lang, "m5_evacuation"), "participant": "Ana"}
    good["answers"] = {**good["answers"], "q1": 1000}
    (folder / "a.yaml").write_text(yaml.safe_dump(good, allow_unicode=True), "utf-8")
    sheets = {
        "b": yaml.safe_dump({**_sheet(pack, lang, "m4_displacement"), "participant": "Ben"}),
        "c": "answers: [1, 2\n",
        "d": yaml.safe_dump({**good, "participant": "Dora", "variant": 2}, allow_unicode=True),
    }
    for name in bad:
        (folder / f"{name}.yaml").write_text(sheets[name], "utf-8")
    return folder


def test_a_class_with_bad_sheets_writes_nothing_and_names_the_first(pack, tmp_path, cli):
    folder = _class(pack, tmp_path / "class")
    out = tmp_path / "grades.csv"
    result = cli("training", "check", "--class", folder, "--key", _key(pack), "--out", out)
    assert result.exit_code == 1, result.output  # bad data
    assert result.stdout == ""  # no table of the good sheets either
    (line,) = result.stderr.strip().splitlines()
    first = f"{folder / 'b.yaml'}: answers for m4_displacement, but the key is for m5_evacuation"
    assert line.startswith(f"error: {first} ")
    assert "(and 2 other sheet(s) cannot be graded)" in line  # c.yaml and d.yaml
    assert "c.yaml, d.yaml" in line  # one line: the first bad sheet, and the others' names
    assert "no grades written" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["class"]  # no grades.csv, no .partial


def test_an_earlier_table_is_kept_even_with_overwrite(pack, tmp_path, cli):
    folder = _class(pack, tmp_path / "class", bad=("d",))
    out = tmp_path / "grades.csv"
    out.write_bytes(b"participant,score\nearlier,3\n")
    key = _key(pack)
    result = cli("training", "check", "--class", folder, "--key", key, "--out", out, "--overwrite")
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert f"{folder / 'd.yaml'}: answers for variant 2, but the key is for variant 0" in line
    assert "other sheet" not in line  # the only bad one
    # another variant's sheet: not to be edited but graded with its own key
    assert "do not edit this sheet, grade it with" in line and "--variant 2" in line
    assert out.read_bytes() == b"participant,score\nearlier,3\n"


def test_an_unreadable_sheet_is_bad_data_and_nothing_is_written(pack, tmp_path, cli):
    """A sheet that is not YAML was a usage error (exit 2) after the others were
    written; in a class it is a bad file like the others: exit 1, nothing written."""
    folder = _class(pack, tmp_path / "class", bad=("c",))
    out = tmp_path / "out" / "grades.csv"
    result = cli("training", "check", "--class", folder, "--key", _key(pack), "--out", out)
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"error: {folder / 'c.yaml'}: YAML syntax error at line 2")
    assert not (tmp_path / "out").exists()


def test_the_refusal_is_in_the_keys_language(pack, tmp_path, cli):
    folder = _class(pack, tmp_path / "classe", lang="fr")
    out = tmp_path / "notes.csv"
    result = cli("training", "check", "--class", folder, "--key", _key(pack, "fr"), "--out", out)
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert f"{folder / 'b.yaml'}: réponses pour m4_displacement, mais le corrigé est pour " in line
    assert "(et 2 autre(s) feuille(s) impossible(s) à noter)" in line
    assert "aucune note n'est écrite" in line
    assert "answers for" not in line and "no grades" not in line
    assert not out.exists()


def test_a_class_of_good_sheets_is_still_graded_and_written(pack, tmp_path, cli):
    from training_modules.grading import check_answers

    folder = _class(pack, tmp_path / "class", bad=())
    out = tmp_path / "grades.csv"
    result = cli("training", "check", "--class", folder, "--key", _key(pack), "--out", out)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert list(table["file"]) == ["a.yaml"] and list(table["participant"]) == ["Ana"]
    grades, _ = check_answers(None, _key(pack), folder)
    assert [g.file for g in grades] == ["a.yaml"]


def test_check_answers_raises_before_writing(pack, tmp_path):
    from mecc.errors import DataError
    from training_modules.grading import check_answers

    folder = _class(pack, tmp_path / "class", bad=("b", "d"))
    out = tmp_path / "grades.csv"
    with pytest.raises(DataError, match=r"b\.yaml: answers for m4_displacement.*1 other sheet"):
        check_answers(None, _key(pack), folder, out)
    assert not out.exists()


# --- 2. ranges in the participants' tables ------------------------------------------------


def _run_csv(pack: Path, module: str, name: str) -> pd.DataFrame:
    path = pack / "runs" / module / name
    return pd.read_csv(path, encoding="utf-8-sig", dtype={"zone_code": str})


def _table(pack: Path, module: str, table: str, lang: str) -> str:
    """The table ``table`` of a handout and the notes that follow it."""
    page = (pack / lang / "participants" / module / "handout.html").read_text("utf-8")
    found = re.search(
        rf'<table data-table="{table}".*?</table>(\s*<p class="range-note".*?</p>)*', page, re.S
    )
    assert found, (module, table, lang)
    return found.group(0)


def _heads(table: str) -> list:
    return [
        html.unescape(h) for h in re.findall(r"<th(?:\s[^>]*)?>(.*?)</th>", table)
    ]  # not <thead>


def _rows(table: str) -> dict:
    """First cell -> the row's cells (body rows only)."""
    body = re.search(r"<tbody>(.*?)</tbody>", table, re.S).group(1)
    out = {}
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = [html.unescape(c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        out[cells[0]] = cells
    return out


def _notes(table: str) -> list:
    return [html.unescape(n) for n in re.findall(r'<p class="range-note"[^>]*>(.*?)</p>', table)]


def _number(text: str, lang: str) -> float:
    """A number as the page prints it: 1,613 (en), 1 613 or 5,7 (fr, es)."""
    text = re.sub(r"\s", "", text)
    if lang == "en":
        return float(text.replace(",", ""))
    return float(text.replace(".", "").replace(",", "."))


def _close(shown: str, value: float, lang: str) -> bool:
    """A whole number from 10 up, one decimal from 1 to 10: the page's rounding."""
    step = 0.5 if abs(value) >= 10 else 0.05 if abs(value) >= 1 else 0.005
    return abs(_number(shown, lang) - value) <= step + 1e-9


def _words(lang: str) -> dict:
    root = Path(__file__).resolve().parents[1] / "training_modules" / "locales"
    return yaml.safe_load((root / lang / "common.yaml").read_text("utf-8"))["columns"]


@pytest.mark.parametrize("lang", LANGS)
def test_m4_district_table_shows_each_figures_curve_range(pack, lang):
    zones = _run_csv(pack, "m4_displacement", "zones.csv")
    key = yaml.safe_load(
        (pack / lang / "facilitator" / "m4_displacement" / "answer_key.yaml").read_text("utf-8")
    )
    period = key["knobs"]["return_period"]
    flood = zones[(zones["level"] == 2) & (zones["hazard_id"] == "river_flood")]
    table = _table(pack, "m4_displacement", "districts", lang)
    heads, rows = _heads(table), _rows(table)
    words = _words(lang)
    pmd = words["pmd_t"].format(t=period)
    columns = {  # header -> the figure, from zones.csv
        words["aad"]: lambda z: z["aad"],
        words["aad_low"]: lambda z: z["aad_low"],
        words["aad_high"]: lambda z: z["aad_high"],
        pmd: lambda z: z[f"pmd_{period}"],
        words["pmd_t_low"].format(t=period): lambda z: z[f"pmd_{period}_low"],
        words["pmd_t_high"].format(t=period): lambda z: z[f"pmd_{period}_high"],
        words["per_100k_aad"]: lambda z: z["aad"] * 1e5 / z["population"],
        words["per_100k_aad_low"]: lambda z: z["aad_low"] * 1e5 / z["population"],
        words["per_100k_aad_high"]: lambda z: z["aad_high"] * 1e5 / z["population"],
    }
    assert set(columns) <= set(heads), set(columns) - set(heads)
    checked = 0
    for _, zone in flood.iterrows():
        name = zone["zone_name"].removesuffix(" (fictional)")
        cells = next(c for first, c in rows.items() if first.startswith(name + " "))
        for head, figure in columns.items():
            assert _close(cells[heads.index(head)], figure(zone), lang), (name, head, cells)
        checked += zone["aad"] > 0
    assert checked >= 3  # districts with displacement, so the range is not all zeros
    joval = flood[flood["zone_name"] == "Joval (fictional)"].iloc[0]
    assert joval[f"pmd_{period}_low"] < joval[f"pmd_{period}"] < joval[f"pmd_{period}_high"]
    (note,) = _notes(table)
    assert note.startswith(CENTRAL[lang])


@pytest.mark.parametrize("lang", LANGS)
def test_m4_simulated_years_per_district_show_members_and_bootstrap(pack, lang):
    zones = _run_csv(pack, "m4_displacement", "zones.csv")
    years = zones[(zones["level"] == 2) & (zones["hazard_id"] == "river_flood_years")]
    table = _table(pack, "m4_displacement", "event_districts", lang)
    heads, rows = _heads(table), _rows(table)
    words = _words(lang)
    columns = {
        words["aad_member_min"]: "aad_member_min",
        words["aad_member_max"]: "aad_member_max",
        words["pmd_t_p05"].format(t=25): "pmd_25_p05",
        words["pmd_t_p95"].format(t=25): "pmd_25_p95",
        words["pmd_t_p05"].format(t=10): "pmd_10_p05",
    }
    for _, zone in years.iterrows():
        name = zone["zone_name"].removesuffix(" (fictional)")
        cells = next(c for first, c in rows.items() if first.startswith(name + " "))
        for head, column in columns.items():
            assert _close(cells[heads.index(head)], zone[column], lang), (name, head)
    assert len(_notes(table)) == 2  # which is central: the models' range, the bootstrap


@pytest.mark.parametrize("lang", LANGS)
def test_m8_baseline_and_future_show_their_curve_range(pack, lang):
    futures = _run_csv(pack, "m8_policy_tabletop", "futures.csv")
    flood = futures[futures["hazard_id"] == "river_flood"]
    words = _words(lang)
    names = ("baseline", "baseline_low", "baseline_high", "future", "future_low", "future_high")
    # national: the whole grid's row of each future (the country's code)
    table = _table(pack, "m8_policy_tabletop", "futures", lang)
    heads, rows = _heads(table), _rows(table)
    assert len(set(heads)) == len(heads)  # the scenario's name is not headed "Future" too
    for future_id, label in (("ssp245_2050", "SSP2-4.5"), ("ssp585_2050", "SSP5-8.5")):
        row = flood[(flood["future_id"] == future_id) & (flood["zone_code"] == "XMR")]
        assert len(row) == 1
        cells = next(c for first, c in rows.items() if first.startswith(label))
        for name in names:
            value = row[name].item()
            assert _close(cells[heads.index(words[name])], value, lang), (label, name)
        assert row["baseline_low"].item() < row["baseline"].item() < row["baseline_high"].item()
    assert _notes(table)[0].startswith(CENTRAL[lang])
    # per province, SSP5-8.5
    table = _table(pack, "m8_policy_tabletop", "provinces", lang)
    heads, rows = _heads(table), _rows(table)
    provinces = flood[(flood["future_id"] == "ssp585_2050") & (flood["level"] == 1)]
    assert len(provinces) == 3
    for _, zone in provinces.iterrows():
        name = zone["zone_name"].removesuffix(" (fictional)")
        cells = next(c for first, c in rows.items() if first.startswith(name + " "))
        for column in names:
            assert _close(cells[heads.index(words[column])], zone[column], lang), (name, column)
    assert _notes(table)[0].startswith(CENTRAL[lang])


def test_a_table_without_ranges_has_no_note(pack):
    table = _table(pack, "m5_evacuation", "districts", "en")
    assert _notes(table) == [] and "range-note" not in table


# --- 3. labels of the printed maps ----------------------------------------------------------

HALO = 1.5  # half the white stroke-width (3) drawn under the letters
FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/Library/Fonts/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
)


def _font(size: float):
    from PIL import ImageFont

    for path in FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, size=round(size))
    return ImageFont.load_default(size=round(size))  # Pillow's own scalable font


def _label_boxes(svg: str) -> list:
    """(text, box) of every <text> of a map: its ink measured with a real font, the
    halo added, placed by its x, y (baseline) and text-anchor."""
    boxes = []
    for attrs, text in re.findall(r"<text ([^>]*)>([^<]*)</text>", svg):
        get = dict(re.findall(r'([\w-]+)="([^"]*)"', attrs))
        text = html.unescape(text)
        font = _font(float(get["font-size"]))
        left, top, right, bottom = font.getbbox(text, anchor="ls")
        length = font.getlength(text)
        shift = {"start": 0.0, "middle": length / 2, "end": length}[get.get("text-anchor", "start")]
        x, y = float(get["x"]) - shift, float(get["y"])
        box = (x + left - HALO, y + top - HALO, x + right + HALO, y + bottom + HALO)
        boxes.append((text, box))
    return boxes


def _dots(svg: str) -> list:
    out = []
    for attrs in re.findall(r"<circle ([^>]*)/>", svg):
        get = dict(re.findall(r'([\w-]+)="([^"]*)"', attrs))
        x, y, r = float(get["cx"]), float(get["cy"]), float(get["r"]) + 0.6  # its outline
        out.append((x - r, y - r, x + r, y + r))
    return out


def _meet(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _overlaps(svg: str) -> list:
    boxes = _label_boxes(svg)
    return [
        (a, b)
        for i, (a, box_a) in enumerate(boxes)
        for b, box_b in boxes[i + 1 :]
        if _meet(box_a, box_b)
    ]


def test_demo_pack_m5_map_labels_do_not_overlap(demo_folder):
    page = demo_folder / "training" / "en" / "participants" / "m5_evacuation" / "handout.html"
    svgs = re.findall(r"<svg.*?</svg>", page.read_text("utf-8"), re.S)
    sites_map = [s for s in svgs if "<circle" in s]
    assert sites_map, "the module 5 handout prints the sites' map"
    sites = pd.read_csv(demo_folder / "training" / "data" / "inputs" / "shelters.csv")
    for svg in svgs:
        assert _overlaps(svg) == []
    for svg in sites_map:
        labels = [t for t, _ in _label_boxes(svg)]
        for site in sites["site_id"]:  # every site keeps its label, once
            assert labels.count(site) == 1, site
        assert {"S07", "S10"} <= set(labels)  # the pair that overlapped
        dots = _dots(svg)
        assert len(dots) == len(sites)
        for text, box in _label_boxes(svg):  # no label over a dot
            assert not any(_meet(box, dot) for dot in dots), text


def test_labels_close_to_each_other_are_moved_apart():
    """Two sites 5 px apart (S07 and S10 in the demo) and a name on them: the boxes
    measured with a real font do not meet, and each site label is nearer its own dot."""
    from training_modules.labels import place_labels

    sites = [(300.0, 200.0, "S07"), (305.0, 206.0, "S10"), (300.0, 212.0, "S11")]
    names = [(302.0, 204.0, "Joval"), (2.0, 10.0, "Faro Alto")]  # on the dots; at the edge
    placed = place_labels(sites, names, 640, 400)
    svg = "".join(
        f'<text x="{p.x:.1f}" y="{p.y:.1f}" text-anchor="{p.anchor}" font-size="{p.size:g}">'
        f"{p.text}</text>"
        for p in placed
    )
    assert _overlaps(svg) == []
    boxes = dict(_label_boxes(svg))
    assert set(boxes) == {"S07", "S10", "S11", "Joval", "Faro Alto"}
    assert all(b[0] >= 0 and b[1] >= 0 and b[2] <= 640 and b[3] <= 400 for b in boxes.values())

    def gap(box, x, y):  # distance from a point to a box
        return max(box[0] - x, 0, x - box[2]) ** 2 + max(box[1] - y, 0, y - box[3]) ** 2

    for x, y, text in sites:
        own = gap(boxes[text], x, y)
        assert all(own <= gap(boxes[text], ox, oy) for ox, oy, other in sites if other != text)
        for dot_x, dot_y, _ in sites:  # no label over a dot (radius 5 and its outline)
            dot = (dot_x - 5.6, dot_y - 5.6, dot_x + 5.6, dot_y + 5.6)
            assert not _meet(boxes[text], dot), text


def test_the_labels_dots_are_where_polygon_map_svg_draws_them():
    """The labelled map draws the sites' dots itself: at the very pixels where
    ``mecc.figures.polygon_map_svg`` draws them, on the same polygons."""
    import shapely

    from mecc.figures import polygon_map_svg
    from training_modules.labels import map_with_labels

    geoms = [shapely.box(10.0, -5.0, 10.6, -4.2), shapely.box(10.6, -4.8, 11.1, -4.0)]
    points = [(10.2, -4.5, "S01", "#ffffff"), (10.9, -4.1, "S02", "#ffffff")]
    theirs = polygon_map_svg(geoms, ["#eee", "#ddd"], ["a", "b"], points=points)
    ours = map_with_labels(geoms, ["#eee", "#ddd"], ["a", "b"], points=points)
    circles = re.compile(r'<circle cx="([\d.]+)" cy="([\d.]+)"')
    assert circles.findall(ours) == circles.findall(theirs)
    assert theirs.split("<g font-family")[0] == ours.split("<g font-family")[0]  # same map
