"""Training packs as a facilitator uses them: the guide's rubric example grades as written,
counts print as whole numbers, module 4's defences change its AAD in every variant, and
the words, headings and references agree with the numbers they describe.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
import yaml

from training_modules.catalogue import load_catalogue

ROOT = Path(__file__).resolve().parents[1]
LANGS = ("en", "fr", "es")
MODULES = ("m2_loss_records", "m4_displacement", "m6_sendai_table", "m8_policy_tabletop")


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Variant 0 of the modules under test, in every built-in language, without maps."""
    from training_modules.pack import build_pack

    out = tmp_path_factory.mktemp("fixes") / "pack"
    return build_pack(out, modules=list(MODULES), interactive_maps=False).out_dir


def page_text(path: Path) -> str:
    """The visible text of a page: no styles, no SVG, tags as spaces, entities decoded."""
    text = path.read_text("utf-8")
    text = re.sub(r"<style>.*?</style>|<svg.*?</svg>", " ", text, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", text)))


def table_cells(path: Path, table_id: str) -> tuple[list, list]:
    """(header texts, rows of cell texts) of the table ``data-table="table_id"`` of a page."""
    page = path.read_text("utf-8")
    table = re.search(rf'<table data-table="{table_id}">(.*?)</table>', page, flags=re.S)
    assert table, table_id
    heads = [html.unescape(h) for h in re.findall(r"<th(?:\s[^>]*)?>(.*?)</th>", table.group(1))]
    rows = [
        [html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", table.group(1), flags=re.S)
    ]
    return heads, [r for r in rows if r]


# --- 1. the guide's rubric example is what a facilitator can copy -------------------------


def rubric_example(guide: Path) -> str:
    """The example of rubric points the guide's grading text shows (its code span)."""
    page = guide.read_text("utf-8")
    spans = [html.unescape(c) for c in re.findall(r"<code>(.*?)</code>", page, flags=re.S)]
    examples = [c for c in spans if "rubric" in c]
    assert len(examples) == 1, examples
    return examples[0]


def write_example(sheet: Path, example: str, qid: str, out: Path) -> None:
    """The sheet with the example written as the guide says: as the answer of ``qid``, or
    (an example without a question id) on a line under that answer."""
    lines = sheet.read_text("utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if re.match(rf"\s+{qid}:", line))
    indent = re.match(r"\s*", lines[at]).group(0)
    if example.startswith(f"{qid}:"):
        lines[at] = indent + example
    else:
        lines.insert(at + 1, indent + example)
    out.write_text("\n".join(lines) + "\n", "utf-8")


@pytest.mark.parametrize("lang", LANGS)
def test_the_guides_rubric_example_grades_as_written(built, lang, tmp_path, cli):
    from training_modules.grading import check_answers

    for module in MODULES:
        guide = built / lang / "facilitator" / module / "guide.html"
        key_path = built / lang / "facilitator" / module / "answer_key.yaml"
        key = yaml.safe_load(key_path.read_text("utf-8"))
        rubrics = [q for q, e in key["questions"].items() if e["kind"] == "rubric"]
        example = rubric_example(guide)
        sheet = tmp_path / f"{lang}_{module}.yaml"
        write_example(
            built / lang / "participants" / module / "answer_sheet.yaml",
            example,
            rubrics[0],
            sheet,
        )
        result = cli("training", "check", sheet, "--key", key_path)
        assert result.exit_code == 0, (lang, module, example, result.output)
        (grade,), _ = check_answers(sheet, key_path)
        scored = {r["id"]: r for r in grade.questions}[rubrics[0]]
        assert scored["status"] == "scored", (lang, module, example)
        criteria = key["questions"][rubrics[0]]["criteria"]
        assert scored["points"] == sum(c["points"] for c in criteria.values())


# --- 2. counts print as whole numbers, fractions keep their decimals ---------------------


@pytest.mark.parametrize(
    ("lang", "value", "decimals", "shown"),
    [
        ("en", 3.0, None, "3"),
        ("fr", 3.0, None, "3"),
        ("en", 2, None, "2"),
        ("es", 1127.0, None, "1\u00a0127"),
        ("fr", 1127.0, None, "1\u202f127"),
        ("en", 4.2, None, "4.2"),
        ("fr", 4.2, None, "4,2"),
        ("en", 0.5, None, "0.50"),
        ("en", 2.0, 1, "2.0"),
        ("en", float("nan"), None, "—"),
    ],
)
def test_whole_numbers_print_without_decimals(catalogue, lang, value, decimals, shown):
    from training_modules.words import Words

    assert Words(catalogue, lang, None).num(value, decimals) == shown


CHECKPOINT = {
    "en": r"(\S+) records remain",
    "fr": r"il reste (\S+) fiches",
    "es": r"quedan (\S+) registros",
}


@pytest.mark.parametrize("lang", LANGS)
def test_counts_in_handouts_are_whole_numbers(built, catalogue, lang):
    m2 = built / lang / "participants" / "m2_loss_records" / "handout.html"
    text = page_text(m2)
    remain = re.findall(CHECKPOINT[lang], text)
    assert remain and all(re.fullmatch(r"\d+", n) for n in remain), remain
    decimal = catalogue.words(lang, "common")["number"]["decimal"]
    household = json.loads((built / "pack.json").read_text("utf-8"))
    size = household["modules"]["m2_loss_records"]["knobs"]["household_size"]
    assert f"{size}".replace(".", decimal) in text  # a genuine fraction keeps its decimal
    for module in ("m2_loss_records", "m6_sendai_table"):
        page = built / lang / "participants" / module / "handout.html"
        heads, rows = table_cells(page, "records")
        assert rows, module
        for row in rows:
            numbers = row[2:]  # serial and district name, then counts
            assert all(re.fullmatch(r"\d{1,3}(\D\d{3})*|—", n) for n in numbers), (module, row)
    m4 = page_text(built / lang / "participants" / "m4_displacement" / "handout.html")
    guard = household["modules"]["m4_displacement"]["knobs"]["protection_rp"]
    flood = {
        "en": r"(\S+)-year flood",
        "fr": r"crue de (\S+) ans",
        "es": r"inundación de (\S+) años",
    }
    assert re.findall(flood[lang], m4) == [str(guard)]
    _, bands = table_cells(
        built / lang / "participants" / "m4_displacement" / "handout.html", "bands"
    )
    periods = [row[0] for row in bands]
    assert periods[:3] == ["2", "5", "10"], periods


# --- 3. module 4's defences change the AAD in every variant -------------------------------


def map_periods(pack: Path) -> list:
    """The return periods of module 4's river-flood maps (from its run file in a pack)."""
    run = yaml.safe_load((pack / "data" / "m4_displacement" / "run.yaml").read_text("utf-8"))
    flood = next(h for h in run["hazards"] if h["id"] == "river_flood")
    return sorted(float(t) for t in flood["return_periods"])


def test_every_protection_lies_strictly_inside_the_maps(built, catalogue):
    from training_modules.scenario import knob_values, variant_count

    m4 = catalogue.module("m4")
    periods = map_periods(built)
    values = m4.data["knobs"]["protection_rp"]
    assert all(periods[0] < float(p) < periods[-1] for p in values), (values, periods)
    used = {knob_values(m4, v)["protection_rp"] for v in range(variant_count(m4))}
    assert used == set(values)


def test_the_defences_lower_the_aad_of_every_variant(catalogue, tmp_path, cli):
    """Variants 0-3 take every protection value (the AAD depends on nothing else);
    each key builds and its AAD is below the same run without the defences."""
    from training_modules.pack import build_pack

    m4 = catalogue.module("m4")
    seen = set()
    for variant in range(len(m4.data["knobs"]["protection_rp"])):
        out = build_pack(
            tmp_path / f"v{variant}",
            modules=["m4"],
            langs=["en"],
            variant=variant,
            interactive_maps=False,
        ).out_dir
        key = yaml.safe_load(
            (out / "en" / "facilitator" / "m4_displacement" / "answer_key.yaml").read_text("utf-8")
        )
        run_file = out / "data" / "m4_displacement" / "run.yaml"
        run = yaml.safe_load(run_file.read_text("utf-8"))
        flood = next(h for h in run["hazards"] if h["id"] == "river_flood")
        assert flood.pop("protection_rp") == key["knobs"]["protection_rp"]
        bare = run_file.with_name("run_without_defences.yaml")
        bare.write_text(yaml.safe_dump(run, sort_keys=False), "utf-8")
        result = cli("run", bare, "--out", tmp_path / f"bare{variant}")
        assert result.exit_code == 0, result.output
        summary = json.loads((tmp_path / f"bare{variant}" / "summary.json").read_text("utf-8"))
        without = summary["hazards"]["river_flood"]["aad"]
        assert key["questions"]["q1"]["answer"] < without, (variant, key["knobs"])
        seen.add(key["knobs"]["protection_rp"])
    assert seen == set(m4.data["knobs"]["protection_rp"])


# --- 4. words, headings and references agree ----------------------------------------------


def test_null_variants_in_pack_json_mean_no_limit(catalogue):
    """``variants: null`` in pack.json: data drawn per variant, so any N is distinct."""
    from training_modules.scenario import check_variant, variant_count

    for name in ("m2", "m5", "m6"):
        module = catalogue.module(name)
        assert variant_count(module) is None
        check_variant([module], 10_000)  # never refused


@pytest.mark.parametrize("lang", LANGS)
def test_module_4_summary_names_the_models_of_its_scenario(catalogue, lang):
    words = catalogue.words(lang, "m4_displacement")
    models = words["tables"]["events"].split(", ", 1)[1].split(" (")[0]  # two ... models
    assert models in words["summary"], (models, words["summary"])
    assert "clim" not in words["summary"].casefold()


@pytest.mark.parametrize("lang", LANGS)
def test_the_province_table_is_headed_province(built, catalogue, lang):
    page = built / lang / "participants" / "m8_policy_tabletop" / "handout.html"
    heads, rows = table_cells(page, "provinces")
    columns = catalogue.words(lang, "common")["columns"]
    assert heads[0] == columns["province"] != columns["zone_name"]
    run = yaml.safe_load((built / "data" / "m8_policy_tabletop" / "run.yaml").read_text("utf-8"))
    level = next(z for z in run["zones"] if z["level"] == 1)
    import geopandas as gpd

    provinces = gpd.read_file(built / "data" / "inputs" / "admin.gpkg", layer=level["layer"])
    # the data's names, their "(fictional)" tag in the page's language (as in the options)
    tag = catalogue.words(lang, "common")["notice"]["fictional_tag"]
    names = {n.replace("(fictional)", f"({tag})") for n in provinces[level["name_field"]]}
    assert all("(fictional)" in n for n in provinces[level["name_field"]])
    assert rows and {r[0] for r in rows} <= names


def test_inline_curve_forms_of_the_modules_are_in_the_run_file_reference(catalogue):
    from mecc.run_file_reference import SECTIONS

    hazards = next(keys for title, _, keys in SECTIONS if title == "hazards (each entry)")
    meaning = hazards["curve"][2]
    forms = {
        next(iter(spec["curve"]))
        for module in catalogue.modules.values()
        for spec in (module.data["scenario"].get("hazards") or [])
        if isinstance(spec.get("curve"), dict)
    }
    assert forms, "no module uses an inline curve"
    for form in forms:
        assert f"`{{{form}: " in meaning, form
