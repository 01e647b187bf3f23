"""Training packs end to end: every module in three languages from one build, answer keys
checked against numbers computed here from the pack's own input grids, grading of the
real keys, the analyst track reproducing the key, and handouts in Chromium (network
blocked) printing to A4 with nothing cut off, also in generated pseudo-locales
(accented and right-to-left) that add a language without code.
"""

from __future__ import annotations

import html
import json
import math
import re
import shlex
import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio
import yaml

from tests.test_maps import Visit, browser  # noqa: F401 - the Chromium fixture of the map tests

ROOT = Path(__file__).resolve().parents[1]
LANGS = ("en", "fr", "es")
MODULES = (
    "m1_concepts",
    "m2_loss_records",
    "m3_exposure",
    "m4_displacement",
    "m5_evacuation",
    "m6_sendai_table",
    "m7_risk_map",
    "m8_policy_tabletop",
)
RETURN_PERIODS = (2, 5, 10, 25, 50, 100, 250, 500, 1000)
A4_CONTENT = (688, 1005)  # px at 96 dpi: 210 x 297 mm less the @page margins (14/14, 15/16 mm)


USED_COMMON: set = set()
"""Keys of common.yaml the build asked for (recorded while building the pack)."""


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    from training_modules.pack import build_pack
    from training_modules.words import Words

    original = Words.common

    def recording(self, name, **args):
        USED_COMMON.add(name)
        return original(self, name, **args)

    Words.common = recording
    started = time.perf_counter()
    try:
        result = build_pack(tmp_path_factory.mktemp("training") / "pack")
    finally:
        Words.common = original
    seconds = time.perf_counter() - started
    assert result.languages == sorted(LANGS) and result.modules == list(MODULES)
    assert seconds < 300, f"building every pack took {seconds:.0f} s"  # CI budget: 5 minutes
    return result.out_dir


def key(pack, module, lang="en"):
    return yaml.safe_load(
        (pack / lang / "facilitator" / module / "answer_key.yaml").read_text("utf-8")
    )


def grid(pack, name):
    with rasterio.open(pack / "data" / "inputs" / name) as src:
        values = src.read(1, masked=True)
        return values.filled(np.nan).astype("float64"), src


def population(pack):
    return grid(pack, "population.tif")[0]


def districts(pack):
    """District index per cell by the cell-centre rule, and the district codes."""
    import geopandas as gpd
    from rasterio.features import rasterize

    frame = gpd.read_file(pack / "data" / "inputs" / "admin.gpkg", layer="districts")
    with rasterio.open(pack / "data" / "inputs" / "population.tif") as src:
        index = rasterize(
            [(g, k + 1) for k, g in enumerate(frame.geometry)],
            out_shape=src.shape,
            transform=src.transform,
        )
    return index, list(frame["pcode"])


def people_at_least(pack, name, threshold):
    depth = grid(pack, name)[0]
    return float(np.nansum(np.where(depth >= threshold, population(pack), 0.0)))


def rp_aad(pack, threshold, prefix="river_flood_rp", weights=1.0, protection=None):
    """Average annual displacement by the trapezoid over the return-period maps.

    With a ``protection`` standard P between the first and the last map, the integral
    starts at 1/P, with the displacement at P interpolated in log T between its maps.
    """
    pop = population(pack) * weights
    periods = [float(t) for t in RETURN_PERIODS]
    shown = [
        float(np.nansum(np.where(grid(pack, f"{prefix}{t:04d}.tif")[0] >= threshold, pop, 0.0)))
        for t in RETURN_PERIODS
    ]
    if protection is not None and protection > periods[0]:
        k = next(i for i, t in enumerate(periods) if t >= protection)
        t = math.log(protection / periods[k - 1]) / math.log(periods[k] / periods[k - 1])
        at_protection = (1 - t) * shown[k - 1] + t * shown[k]
        periods, shown = [float(protection), *periods[k:]], [at_protection, *shown[k:]]
    p = [1.0 / t for t in periods]
    return sum((p[i] - p[i + 1]) * (shown[i] + shown[i + 1]) / 2 for i in range(len(p) - 1))


def answer(pack, module, question, lang="en"):
    return key(pack, module, lang)["questions"][question]["answer"]


# --- the pack ---------------------------------------------------------------------------


def test_every_module_in_every_language(pack):
    meta = json.loads((pack / "pack.json").read_text("utf-8"))
    assert meta["timings"]["total_seconds"] < 300 and meta["runs_computed"] <= len(MODULES)
    for lang in LANGS:
        assert (pack / lang / "index.html").is_file()
        for module in MODULES:
            participants = pack / lang / "participants" / module
            for name in ("handout.html", "quiz.html", "answer_sheet.yaml"):
                assert (participants / name).is_file(), (lang, module, name)
            assert (pack / lang / "facilitator" / module / "guide.html").is_file()
            page = (participants / "handout.html").read_text("utf-8")
            assert f'<html lang="{lang}" dir="ltr">' in page
            assert not re.search(r"\{[a-z_0-9]+\}", re.sub(r"<svg.*?</svg>", "", page, flags=re.S))
    for module in MODULES:
        assert (pack / "runs" / module / "summary.json").is_file()
        assert (pack / "data" / module / "run.yaml").is_file()
    assert (pack / "fr" / "participants" / "m3_exposure" / "map.html").is_file()
    page = (pack / "es" / "participants" / "m7_risk_map" / "map.html").read_text("utf-8")
    assert '<html lang="es">' in page


def test_languages_only_re_render(pack):
    for module in MODULES:
        keys = [key(pack, module, lang) for lang in LANGS]
        assert len({k["fingerprint"] for k in keys}) == 1
        for question in keys[0]["questions"]:
            answers = {json.dumps(k["questions"][question]["answer"]) for k in keys}
            assert len(answers) == 1, (module, question)
    assert key(pack, "m1_concepts", "fr")["questions"]["q4"]["unit"] == "personnes"


def test_no_fixed_text_is_stale(pack):
    """Every key of common.yaml is used (meta and number keys are read directly), apart
    from text shown only when its case arises."""
    from training_modules.catalogue import flatten_words

    conditional = {
        "guide.indistinguishable",  # a variant where a mistake gives the right number
        "legend.no_data",  # a map with zones without figures
        "legend.above_zero",  # a map with a single zone above zero
    }
    english = flatten_words(
        yaml.safe_load((ROOT / "training_modules/locales/en/common.yaml").read_text("utf-8"))
    )
    assert conditional <= set(english)
    unused = {k for k in english if not k.startswith(("meta.", "number."))} - USED_COMMON
    assert unused <= conditional


def test_index_links_stay_in_the_pack(pack):
    page = (pack / "fr" / "index.html").read_text("utf-8")
    links = re.findall(r'href="([^"]+)"', page)
    # handout, quiz, guide, answer key, blank answer sheet + the four interactive maps
    assert len(links) == 5 * len(MODULES) + 4
    for link in links:
        assert not re.match(r"[a-z]+:|/", link) and (pack / "fr" / link).is_file(), link


# --- answer keys computed from the inputs, checked against numbers computed here ------------


def test_forecast_exposure_displacement_and_evacuation(pack):
    assert answer(pack, "m1_concepts", "q4") == pytest.approx(
        people_at_least(pack, "forecast_surge.tif", 0.1), rel=1e-9
    )
    assert answer(pack, "m1_concepts", "q5") == pytest.approx(
        people_at_least(pack, "forecast_surge.tif", 0.5),
        rel=1e-9,  # flood_step_0.5m
    )
    m8 = key(pack, "m8_policy_tabletop")
    assert m8["questions"]["q1"]["answer"] == pytest.approx(
        people_at_least(pack, "forecast_surge.tif", m8["knobs"]["threshold"]), rel=1e-9
    )
    assert m8["questions"]["q2"]["answer"] == pytest.approx(
        people_at_least(pack, "forecast_surge.tif", 1.5), rel=1e-9
    )


def test_shelters_and_minimum_needs(pack):
    m5 = key(pack, "m5_evacuation")
    evacuees = people_at_least(pack, "forecast_surge.tif", m5["knobs"]["threshold"])
    depth, src = grid(pack, "forecast_surge.tif")
    sites = pd.read_csv(pack / "data" / "inputs" / "shelters.csv", encoding="utf-8-sig")
    suitable, capacity = 0, 0
    for site in sites.itertuples():
        row, col = src.index(site.lon, site.lat)
        dry = depth[row, col] <= 0.0
        if dry and site.road_distance_m <= 500 and site.floor_area_m2 >= 1000:
            suitable += 1
            capacity += math.floor(site.floor_area_m2 / 3.5)
    q = m5["questions"]
    assert q["q1"]["answer"] == pytest.approx(evacuees, rel=1e-9)
    assert (q["q2"]["answer"], q["q3"]["answer"]) == (suitable, capacity)
    assert 0 < suitable < len(sites)
    assert q["q4"]["answer"] == pytest.approx(max(0.0, evacuees - capacity), rel=1e-9)
    assert q["q5"]["answer"] == pytest.approx(evacuees * 15, rel=1e-9)
    assert q["q6"]["answer"] == pytest.approx(evacuees / 20, rel=1e-9)


def test_sendai_indicators_of_the_records(pack):
    m2 = key(pack, "m2_loss_records")
    records = pd.read_csv(
        pack / "data" / "m2_loss_records" / "loss_records.csv", encoding="utf-8-sig"
    )
    clean = records[~records["serial"].duplicated()]
    assert len(records) == len(clean) + 1  # one record entered twice
    people = float(np.nansum(population(pack)))
    size = m2["knobs"]["household_size"]
    q = m2["questions"]
    assert q["q1"]["answer"] == clean["deaths"].sum()
    assert q["q2"]["answer"] == pytest.approx(clean["deaths"].sum() * 1e5 / people, rel=1e-9)
    a1 = (clean["deaths"].sum() + clean["missing"].sum()) * 1e5 / people
    assert q["q3"]["answer"] == pytest.approx(a1, rel=1e-9)
    assert q["q4"]["answer"] == pytest.approx(clean["houses_destroyed"].sum() * size, rel=1e-9)
    affected = (
        clean["injured"].sum()
        + (clean["houses_damaged"].sum() + clean["houses_destroyed"].sum()) * size
        + clean["livelihoods_affected"].sum()
    )
    assert q["q5"]["answer"] == pytest.approx(affected * 1e5 / people, rel=1e-9)
    m6 = key(pack, "m6_sendai_table")
    assert m6["questions"]["q6"]["answer"] == (clean["zone_code"].nunique() + 1) * 8
    assert m6["questions"]["q2"]["answer"] == pytest.approx(q["q5"]["answer"], rel=1e-9)


def test_exposure_by_sex_and_age(pack):
    m3 = key(pack, "m3_exposure")
    period = m3["knobs"]["return_period"]
    depth = grid(pack, f"river_flood_rp{period:04d}.tif")[0]
    exposed = np.where(depth >= 0.1, population(pack), 0.0)
    index, codes = districts(pack)
    census = pd.read_csv(pack / "data" / "inputs" / "census_ratios.csv", encoding="utf-8-sig")
    shares = census.set_index("zone_code")
    per_district = {code: float(np.nansum(exposed[index == k + 1])) for k, code in enumerate(codes)}
    q = m3["questions"]
    assert q["q1"]["answer"] == pytest.approx(float(np.nansum(exposed)), rel=1e-9)
    for question, column in (("q3", "female"), ("q4", "age_0_14"), ("q5", "age_65_plus")):
        expected = sum(v * shares.loc[c, column] for c, v in per_district.items())
        assert q[question]["answer"] == pytest.approx(expected, rel=1e-6), question
    top = max(per_district, key=per_district.get)
    assert q["q2"]["option_codes"][q["q2"]["answer"]] == top


def test_average_annual_displacement_and_ranges(pack):
    m4 = key(pack, "m4_displacement")
    guard = m4["knobs"]["protection_rp"]
    assert RETURN_PERIODS[0] < guard < RETURN_PERIODS[-1]  # the defences change the AAD
    q = m4["questions"]
    assert q["q1"]["answer"] == pytest.approx(rp_aad(pack, 1.0, protection=guard), rel=1e-9)
    assert q["q1"]["answer"] < rp_aad(pack, 1.0)  # lower than without the defences
    assert q["q1"]["range"] == pytest.approx(
        [rp_aad(pack, 1.5, protection=guard), rp_aad(pack, 0.5, protection=guard)], rel=1e-9
    )
    assert q["q2"]["answer"] == pytest.approx(rp_aad(pack, 0.5, protection=guard), rel=1e-9)
    period = m4["knobs"]["return_period"]
    assert q["q3"]["answer"] == pytest.approx(
        people_at_least(pack, f"river_flood_rp{period:04d}.tif", 1.0), rel=1e-9
    )
    people = float(np.nansum(population(pack)))
    assert q["q6"]["answer"] == pytest.approx(
        rp_aad(pack, 1.0, protection=guard) * 1e5 / people, rel=1e-9
    )


def test_futures_of_the_tabletop(pack):
    run = yaml.safe_load((pack / "data" / "inputs" / "run.yaml").read_text("utf-8"))
    future = next(f for f in run["futures"] if f["id"] == "ssp245_2050")
    index, codes = districts(pack)
    growth = np.ones(index.shape)
    for k, code in enumerate(codes):
        growth[index == k + 1] = future["population"]["growth"][code]
    change = rp_aad(pack, 1.0, "river_flood_ssp245_2050_rp", growth) - rp_aad(pack, 1.0)
    assert answer(pack, "m8_policy_tabletop", "q4") == pytest.approx(change, rel=1e-6)


# --- grading the real keys ----------------------------------------------------------------


def _wrong_number(entry):
    values = [entry["answer"], *(m["value"] for m in entry["mistakes"])]
    guess = 3.7 * max(abs(v) for v in values) + 12345.0
    assert all(abs(guess - v) > 0.1 * abs(guess) for v in values)
    return guess


@pytest.mark.parametrize("lang", LANGS)
def test_keys_grade_themselves_and_recognise_every_mistake(pack, lang):
    from training_modules.grading import grade, read_sheet

    for module in MODULES:
        path = pack / lang / "facilitator" / module / "answer_key.yaml"
        the_key = yaml.safe_load(path.read_text("utf-8"))
        own = grade(read_sheet(path), the_key)
        assert own.percent == 100 and own.quiz_pre == own.quiz_post == 100, module
        documented = yaml.safe_load(
            (ROOT / "training_modules" / "modules" / f"{module}.yaml").read_text("utf-8")
        )
        for question in documented["questions"]:
            entry = the_key["questions"][question["id"]]
            assert not entry.get("indistinguishable"), (module, question["id"])
            recognised = set()
            for mistake in entry.get("mistakes", []):
                given = mistake["value"] if "value" in mistake else mistake["option"]
                result = grade({"answers": {question["id"]: given}}, the_key)
                outcome = next(r for r in result.questions if r["id"] == question["id"])
                assert outcome["points"] == 0 and mistake["id"] in outcome["mistakes"]
                assert mistake["feedback"] in outcome["feedback"]
                recognised.add(mistake["id"])
            assert recognised == set((question.get("mistakes") or {}).values()), (
                module,
                question["id"],
            )
            if entry["kind"] == "numeric":
                wrong = _wrong_number(entry)
            elif entry["kind"] == "rubric":
                wrong = "qwerty zxcv"
            else:
                taken = {entry["answer"], *(m["option"] for m in entry["mistakes"])}
                wrong = sorted(
                    set(entry["options"]) - taken or set(entry["options"]) - {entry["answer"]}
                )[0]
            result = grade({"answers": {question["id"]: wrong}}, the_key)
            outcome = next(r for r in result.questions if r["id"] == question["id"])
            assert outcome["points"] == 0, (module, question["id"], wrong)


def test_check_command_on_a_class(cli, pack, tmp_path):
    key_path = pack / "es" / "facilitator" / "m4_displacement" / "answer_key.yaml"
    the_key = yaml.safe_load(key_path.read_text("utf-8"))
    sheet = yaml.safe_load(
        (pack / "es" / "participants" / "m4_displacement" / "answer_sheet.yaml").read_text("utf-8")
    )
    folder = tmp_path / "class"
    folder.mkdir()
    q = the_key["questions"]
    answers = {
        "q1": q["q1"]["mistakes"][0]["value"],
        "q2": q["q2"]["answer"],
        "q7": "rango entre bajo y alto, modelado",
    }
    (folder / "a.yaml").write_text(
        yaml.safe_dump({**sheet, "participant": "Ana", "answers": answers}), "utf-8"
    )
    (folder / "b.yaml").write_text(yaml.safe_dump({**sheet, "participant": "Beto"}), "utf-8")
    result = cli(
        "training", "check", "--class", folder, "--key", key_path, "--out", tmp_path / "notas.csv"
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "notas.csv", encoding="utf-8-sig")
    assert list(table["participant"]) == ["Ana", "Beto"]
    assert (
        table.loc[0, "q1"] == 0 and table.loc[0, "q2"] == 1 and table.loc[0, "q7"] == 3
    )  # c1 + c3 by keywords
    assert (
        table.loc[0, "mistakes"] == f"q1: {q['q1']['mistakes'][0]['feedback']}"
        and table.loc[0, "to_confirm"] == "q7"
    )
    assert table.loc[1, "score"] == 0


# --- variants, changed curves, the analyst track ----------------------------------------------


def test_variants_change_the_numbers_not_the_questions(pack, tmp_path):
    from training_modules.pack import build_pack

    modules = ["m1_concepts", "m4_displacement", "m5_evacuation", "m8_policy_tabletop"]
    other = build_pack(
        tmp_path / "v1", modules=modules, langs=["en"], variant=1, interactive_maps=False
    )
    meta = json.loads((other.out_dir / "pack.json").read_text("utf-8"))
    base = json.loads((pack / "pack.json").read_text("utf-8"))
    assert meta["exercise"]["landfall_row"] != base["exercise"]["landfall_row"]
    for module in modules:
        first, second = key(pack, module), key(other.out_dir, module)
        assert first["knobs"] != second["knobs"] or module == "m1_concepts"
        assert list(first["questions"]) == list(second["questions"])
        numeric = [q for q, e in first["questions"].items() if e["kind"] == "numeric"]
        changed = [
            q
            for q in numeric
            if first["questions"][q]["answer"] != second["questions"][q]["answer"]
        ]
        assert changed, module
    m5 = key(other.out_dir, "m5_evacuation")
    assert m5["questions"]["q1"]["answer"] == pytest.approx(
        people_at_least(other.out_dir, "forecast_surge.tif", m5["knobs"]["threshold"]), rel=1e-9
    )


def test_a_variant_past_the_knob_lists_is_another_key(tmp_path):
    """Variant 4 of m4 was variant 0 again (knobs of four values, N modulo 4): now it is
    another combination of return period and protection, with its own engine numbers."""
    from training_modules.pack import build_pack

    keys, metas = {}, {}
    for variant in (0, 4):
        built = build_pack(
            tmp_path / str(variant),
            modules=["m4"],
            langs=["en"],
            variant=variant,
            interactive_maps=False,
        )
        keys[variant] = key(built.out_dir, "m4_displacement")
        metas[variant] = json.loads((built.out_dir / "pack.json").read_text("utf-8"))
    first, fifth = keys[0], keys[4]
    assert first["knobs"] == {"return_period": 100, "protection_rp": 5}
    assert fifth["knobs"] == {"return_period": 100, "protection_rp": 10}
    numbers = {
        v: {q: e["answer"] for q, e in k["questions"].items() if e["kind"] == "numeric"}
        for v, k in keys.items()
    }
    assert numbers[0] != numbers[4]
    assert numbers[4]["q1"] < numbers[0]["q1"]  # more protection, less average displacement
    assert metas[4]["modules"]["m4_displacement"]["variants"] == 16


def test_changing_a_modules_curve_changes_its_key(pack, tmp_path):
    from training_modules.pack import build_pack

    folder = shutil.copytree(ROOT / "training_modules" / "modules", tmp_path / "modules")
    path = folder / "m1_concepts.yaml"
    data = yaml.safe_load(path.read_text("utf-8"))
    data["scenario"]["hazards"][0]["curve"] = "flood_step_1m"
    path.write_text(yaml.safe_dump(data), "utf-8")
    result = build_pack(
        tmp_path / "pack", modules=["m1"], langs=["en"], modules_dir=folder, interactive_maps=False
    )
    before, after = key(pack, "m1_concepts"), key(result.out_dir, "m1_concepts")
    assert before["fingerprint"] != after["fingerprint"]
    assert after["questions"]["q4"]["answer"] == before["questions"]["q4"]["answer"]  # exposure
    assert after["questions"]["q5"]["answer"] == pytest.approx(
        people_at_least(result.out_dir, "forecast_surge.tif", 1.0), rel=1e-9
    )
    assert after["questions"]["q5"]["answer"] < before["questions"]["q5"]["answer"]


def test_analyst_track_reproduces_the_key(cli, pack, monkeypatch):
    page = (pack / "en" / "participants" / "m1_concepts" / "handout.html").read_text("utf-8")
    blocks = re.findall(r"<pre><code>(.*?)</code></pre>", page, flags=re.S)
    commands = [line for block in blocks for line in html.unescape(block).splitlines()]
    assert commands[0] == "mecc run data/m1_concepts/run.yaml --out work/m1_concepts"
    monkeypatch.chdir(pack)
    for command in commands:
        result = cli(*shlex.split(command)[1:])
        assert result.exit_code == 0, (command, result.output)
    summary = json.loads((pack / "work" / "m1_concepts" / "summary.json").read_text("utf-8"))
    assert summary["hazards"]["forecast_surge"]["exposed"] == answer(pack, "m1_concepts", "q4")
    assert (pack / "work" / "m1_concepts_map" / "map.html").is_file()


def test_build_command_and_its_errors(cli, tmp_path):
    result = cli(
        "training", "build", "--module", "m6", "--lang", "es", "--no-maps", "--out", tmp_path / "p"
    )
    assert result.exit_code == 0, result.output
    assert "1 module(s) x 1 language(s) (es), variant 0" in result.output
    assert (tmp_path / "p" / "es" / "facilitator" / "m6_sendai_table" / "guide.html").is_file()
    again = cli("training", "build", "--module", "m6", "--out", tmp_path / "p")
    assert again.exit_code == 2 and "--overwrite" in again.output
    for args, message in (
        (("--module", "m12"), "no such training module"),
        (("--lang", "pt"), "no training locale 'pt'"),
        (("--variant", "-1"), "--variant -1"),
    ):
        bad = cli("training", "build", *args, "--out", tmp_path / "q")
        assert bad.exit_code == 2 and message in bad.output and bad.output.count("\n") == 1
        assert not (tmp_path / "q").exists()


# --- in Chromium: offline, printable on A4 ------------------------------------------------------


class Page:
    """A pack page opened from disk with every request off the disk blocked and recorded."""

    def __init__(self, browser, path):  # noqa: F811 - the fixture's value
        self.requests, self.errors = [], []
        self.context = browser.new_context(viewport={"width": A4_CONTENT[0], "height": 900})
        self.context.route(
            re.compile(r"^(?!file:|data:|blob:).*"),
            lambda r: (self.requests.append(r.request.url), r.abort()),
        )
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(Path(path).resolve().as_uri())

    def print_check(self) -> int:
        """Nothing wider than the A4 text column, no unbreakable block taller than a page;
        returns the number of A4 pages of the PDF."""
        page = self.page
        page.emulate_media(media="print")
        report = page.evaluate(
            """([width, height]) => {
                const wide = [], tall = [];
                for (const e of document.body.querySelectorAll('*')) {
                    const r = e.getBoundingClientRect();
                    if (r.width === 0 && r.height === 0) continue;
                    if (e.ownerSVGElement) continue;  // drawn inside its svg's clipped viewport
                    if (r.right > width + 1 || r.left < -1) wide.push(e.tagName + ' ' + e.className + ' ' + r.left + '..' + r.right);
                    if (e.matches('figure, tr, .question, .checkpoint, .keep') && r.height > height) tall.push(e.tagName + ' ' + r.height);
                }
                return {wide, tall, scroll: document.documentElement.scrollWidth};
            }""",
            list(A4_CONTENT),
        )
        fits = report["scroll"] <= A4_CONTENT[0]
        assert report["wide"] == [] and report["tall"] == [] and fits, report
        pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
        boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
        assert boxes and all(
            abs(float(w) - 595.3) < 1 and abs(float(h) - 841.9) < 1 for w, h in boxes
        )
        return len(re.findall(rb"/Type\s*/Page\b", pdf))

    def close(self):
        assert self.requests == [] and self.errors == [], (self.requests, self.errors)
        self.context.close()


@pytest.mark.parametrize("lang", LANGS)
def test_handouts_guides_and_quizzes_print_on_a4_offline(browser, pack, lang):  # noqa: F811
    for module in MODULES:
        for folder, name, fewest in (
            ("participants", "handout.html", 2),
            ("participants", "quiz.html", 1),
            ("facilitator", "guide.html", 2),
        ):
            opened = Page(browser, pack / lang / folder / module / name)
            if name == "handout.html":
                maps = yaml.safe_load(
                    (ROOT / "training_modules" / "modules" / f"{module}.yaml").read_text("utf-8")
                )
                assert opened.page.locator("figure.map svg").count() >= len(maps.get("maps") or [])
            pages = opened.print_check()
            assert fewest <= pages <= 12, (module, name, pages)
            opened.close()


def test_the_print_check_finds_cut_off_content(browser, tmp_path):  # noqa: F811
    wide = tmp_path / "wide.html"
    wide.write_text(
        '<html><body><pre style="white-space:pre">' + "x" * 200 + "</pre></body></html>"
    )
    opened = Page(browser, wide)
    with pytest.raises(AssertionError, match="wide"):
        opened.print_check()
    opened.close()
    tall = tmp_path / "tall.html"
    tall.write_text('<html><body><figure style="height:1200px">x</figure></body></html>')
    opened = Page(browser, tall)
    with pytest.raises(AssertionError, match="tall"):
        opened.print_check()
    opened.close()


def test_pack_maps_open_offline(browser, pack):  # noqa: F811
    for lang in LANGS:
        visit = Visit(browser, pack / lang / "participants" / "m8_policy_tabletop" / "map.html")
        assert visit.page.locator(".leaflet-interactive").count() > 0
        assert visit.requests == [] and visit.errors == []
        visit.close()


# --- a language added as data only: pseudo-locales, left-to-right and right-to-left -----------

ACCENTED = str.maketrans("aceinouyACEINOUY", "àçéîñøüýÀÇÉÎÑØÜÝ")
HEBREW = str.maketrans("abcdefghijklmnopqrstuvwxyz", "אבגדהוזחטיכלמנסעפצקרשתךםןף")
KEEP = re.compile(r"(\{\w+\}|`[^`]*`|\*\*)")


def pseudo(text: str, rtl: bool) -> str:
    """Letters changed and text made 40 % longer; placeholders, code and bold marks kept."""
    parts = KEEP.split(text)
    table = HEBREW if rtl else ACCENTED
    out = "".join(
        p if KEEP.fullmatch(p) else p.lower().translate(table) if rtl else p.translate(table)
        for p in parts
    )
    return out + " ~" * max(1, len(text) // 10)


def write_pseudo_locale(base: Path, name: str, rtl: bool) -> None:
    target = base / name
    target.mkdir(parents=True)
    for source in sorted((ROOT / "training_modules" / "locales" / "en").glob("*.yaml")):
        data = yaml.safe_load(source.read_text("utf-8"))

        def convert(value, path=()):
            if isinstance(value, dict):
                return {k: convert(v, (*path, k)) for k, v in value.items()}
            if isinstance(value, list):
                return [pseudo(v, rtl) for v in value]
            if path[:1] in (("meta",), ("number",)):
                return value
            return pseudo(value, rtl)

        data = convert(data)
        if source.stem == "common":
            data["meta"] = {
                "language_name": name,
                "dir": "rtl" if rtl else "ltr",
                "map_language": "en",
            }
            data["number"] = {"decimal": ",", "group": "."}
        (target / source.name).write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")


@pytest.fixture(scope="module")
def pseudo_pack(tmp_path_factory):
    from training_modules.pack import build_pack

    base = tmp_path_factory.mktemp("locales")
    write_pseudo_locale(base, "en-XA", rtl=False)
    write_pseudo_locale(base, "ar-XB", rtl=True)
    result = build_pack(
        tmp_path_factory.mktemp("pseudo") / "pack",
        modules=["m5", "m8"],
        langs=["en-XA", "ar-XB"],
        locales=[base],
    )
    return result.out_dir


def test_a_new_language_needs_no_code(pseudo_pack, pack):
    from training_modules.grading import grade, read_sheet

    for lang in ("en-XA", "ar-XB"):
        for module in ("m5_evacuation", "m8_policy_tabletop"):
            assert key(pseudo_pack, module, lang)["fingerprint"] == key(pack, module)["fingerprint"]
            path = pseudo_pack / lang / "facilitator" / module / "answer_key.yaml"
            assert grade(read_sheet(path), yaml.safe_load(path.read_text("utf-8"))).percent == 100
    page = (pseudo_pack / "ar-XB" / "participants" / "m5_evacuation" / "handout.html").read_text(
        "utf-8"
    )
    assert '<html lang="ar-XB" dir="rtl">' in page and "פ" in page
    assert "mecc run data/m5_evacuation/run.yaml --out work/m5_evacuation" in page
    assert (pseudo_pack / "ar-XB" / "participants" / "m8_policy_tabletop" / "map.html").is_file()


def test_right_to_left_layout_prints_on_a4(browser, pseudo_pack):  # noqa: F811
    for lang, direction in (("en-XA", "ltr"), ("ar-XB", "rtl")):
        for module in ("m5_evacuation", "m8_policy_tabletop"):
            for folder, name in (("participants", "handout.html"), ("facilitator", "guide.html")):
                opened = Page(browser, pseudo_pack / lang / folder / module / name)
                layout = opened.page.evaluate(
                    """() => {
                        const body = document.body.getBoundingClientRect();
                        const h1 = document.querySelector('h1');
                        const range = document.createRange();
                        range.selectNodeContents(h1);
                        const text = range.getBoundingClientRect();
                        const list = getComputedStyle(document.querySelector('ol, ul'));
                        return {dir: getComputedStyle(document.body).direction,
                                gapLeft: text.left - body.left, gapRight: body.right - text.right,
                                padLeft: parseFloat(list.paddingLeft), padRight: parseFloat(list.paddingRight)};
                    }"""
                )
                assert layout["dir"] == direction
                if direction == "rtl":  # text starts at the right; list indents on the right
                    assert (
                        layout["gapRight"] < layout["gapLeft"]
                        and layout["padRight"] > layout["padLeft"] == 0
                    )
                else:
                    assert (
                        layout["gapLeft"] < layout["gapRight"]
                        and layout["padLeft"] > layout["padRight"] == 0
                    )
                assert opened.print_check() >= 2
                opened.close()
