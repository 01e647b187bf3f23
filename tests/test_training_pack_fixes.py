"""Workshop packs as facilitators rebuild and hand them out: a rebuild never deletes the
participants' answers or files, a pack without maps does not send anyone to map.html, a
variant is refused for a module without variants, district options carry the
language's "fictional", and module 5's map step gives the command that draws the forecast flood.
"""

from __future__ import annotations

import html
import json
import re
import shlex
import shutil
from pathlib import Path

import pytest
import yaml

from mecc.errors import ConfigError, OutputExistsError

ROOT = Path(__file__).resolve().parents[1]
LANGS = ("en", "fr", "es")
SHEET = "en/participants/m1_concepts/answer_sheet.yaml"
MAP_SENTENCE = {"en": "map.html in this folder", "fr": "map.html de ce dossier"}
MAP_SENTENCE["es"] = "map.html de esta carpeta"
TAG = {"en": "(fictional)", "fr": "(nom fictif)", "es": "(nombre ficticio)"}
WITH_MAP = ("m3_exposure", "m4_displacement", "m7_risk_map", "m8_policy_tabletop")


@pytest.fixture(scope="module")
def no_maps(tmp_path_factory):
    """Every module in every built-in language, variant 0, built with ``--no-maps``."""
    from training_modules.pack import build_pack

    out = tmp_path_factory.mktemp("pack_fixes") / "pack"
    return build_pack(out, interactive_maps=False).out_dir


def page_text(path: Path) -> str:
    """The visible text of a page: no styles, no SVG, tags as spaces, entities decoded."""
    text = path.read_text("utf-8")
    text = re.sub(r"<style>.*?</style>|<svg.*?</svg>", " ", text, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", text)))


def build(cli, out, *args):
    return cli("training", "build", "--out", out, "--module", "m1", "--no-maps", *args)


# --- 1. --overwrite never deletes the participants' work ---------------------------------------


def test_a_rebuild_keeps_filled_answer_sheets_and_added_files(cli, tmp_path):
    pack = tmp_path / "pack"
    assert build(cli, pack, "--lang", "en").exit_code == 0
    blank = (pack / SHEET).read_text("utf-8")
    again = build(cli, pack, "--lang", "en", "--lang", "fr", "--overwrite")
    assert again.exit_code == 0, again.output  # an untouched pack is rebuilt
    assert (pack / "fr" / "index.html").is_file()
    listed = json.loads((pack / "pack.json").read_text("utf-8"))["files"]
    assert SHEET in listed and "fr/participants/m1_concepts/answer_sheet.yaml" in listed

    filled = blank.replace("  q1: null", "  q1: 12500").replace(
        "participant: ''", "participant: Ana"
    )
    assert filled != blank
    (pack / SHEET).write_text(filled, "utf-8")
    refused = build(cli, pack, "--lang", "en", "--overwrite")
    assert refused.exit_code == 2 and refused.output.count("\n") == 1, refused.output
    assert f"{SHEET} (filled-in answer sheet)" in refused.output
    assert "move the participants' files out of the pack" in refused.output
    assert (pack / SHEET).read_text("utf-8") == filled
    assert (pack / "fr" / "index.html").is_file()  # the old pack is left as it was

    (pack / SHEET).write_text(blank, "utf-8")
    (pack / "class").mkdir()
    (pack / "class" / "ana.yaml").write_text("participant: Ana\n", "utf-8")
    (pack / "work" / "m1_concepts").mkdir(parents=True)
    (pack / "work" / "m1_concepts" / "summary.json").write_text("{}", "utf-8")
    refused = build(cli, pack, "--lang", "en", "--overwrite")
    assert refused.exit_code == 2 and refused.output.count("\n") == 1, refused.output
    assert "class/ana.yaml (not written by the pack builder) and 1 more file(s)" in refused.output
    assert (pack / "class" / "ana.yaml").read_text("utf-8") == "participant: Ana\n"

    shutil.rmtree(pack / "class")
    shutil.rmtree(pack / "work")
    (pack / "en" / ".DS_Store").write_bytes(b"\0")  # a file manager's: not their work
    done = build(cli, pack, "--lang", "en", "--overwrite")
    assert done.exit_code == 0, done.output
    assert not (pack / "fr").exists() and (pack / SHEET).read_text("utf-8") == blank


def test_a_pack_built_before_the_list_of_files_is_judged_by_its_layout(cli, tmp_path):
    pack = tmp_path / "pack"
    assert build(cli, pack, "--lang", "en").exit_code == 0
    meta = json.loads((pack / "pack.json").read_text("utf-8"))
    del meta["files"]
    (pack / "pack.json").write_text(json.dumps(meta), "utf-8")
    notes = pack / "en" / "participants" / "m1_concepts" / "notes.txt"
    notes.write_text("group 2: check q4", "utf-8")
    refused = build(cli, pack, "--lang", "en", "--overwrite")
    assert refused.exit_code == 2 and "m1_concepts/notes.txt" in refused.output, refused.output
    assert notes.is_file()
    notes.unlink()
    done = build(cli, pack, "--lang", "en", "--overwrite")
    assert done.exit_code == 0, done.output


def test_a_sheet_filled_in_while_the_pack_is_rebuilt_is_kept(tmp_path):
    from training_modules.pack import build_pack

    pack = build_pack(tmp_path / "pack", modules=["m1"], langs=["en"], interactive_maps=False)
    sheet = pack.out_dir / SHEET

    def fill_during_the_build(message):
        if message == "rendering en":
            sheet.write_text(sheet.read_text("utf-8").replace("  q2: null", "  q2: b"), "utf-8")

    with pytest.raises(OutputExistsError, match="answer_sheet.yaml \\(filled-in answer sheet\\)"):
        build_pack(
            pack.out_dir,
            modules=["m1"],
            langs=["en"],
            overwrite=True,
            interactive_maps=False,
            progress=fill_during_the_build,
        )
    assert "  q2: b" in sheet.read_text("utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["pack"]  # no staging folder left


# --- 2. without maps, no handout points to map.html ---------------------------------------------


def test_handouts_point_to_map_html_only_in_a_pack_with_maps(no_maps, tmp_path):
    from training_modules.pack import build_pack

    for lang in LANGS:
        for module in WITH_MAP:
            folder = no_maps / lang / "participants" / module
            assert not (folder / "map.html").exists()
            assert MAP_SENTENCE[lang] not in page_text(folder / "handout.html"), (lang, module)
    pack = build_pack(tmp_path / "pack", modules=["m7"], langs=list(LANGS)).out_dir
    for lang in LANGS:
        folder = pack / lang / "participants" / "m7_risk_map"
        assert (folder / "map.html").is_file()
        assert MAP_SENTENCE[lang] in page_text(folder / "handout.html"), lang


# --- 3. a variant of a module without variants ---------------------------------------------


def test_a_variant_is_refused_only_for_a_module_without_variants(no_maps, tmp_path):
    from training_modules.catalogue import MODULES_DIR
    from training_modules.pack import build_pack

    folder = tmp_path / "modules"
    folder.mkdir()
    for name in ("m1_concepts", "m3_exposure"):
        shutil.copy(MODULES_DIR / f"{name}.yaml", folder)
    fixed = yaml.safe_load((folder / "m3_exposure.yaml").read_text("utf-8"))
    fixed["knobs"] = {}  # no knobs and no forecast track: one variant only
    (folder / "m3_exposure.yaml").write_text(yaml.safe_dump(fixed), "utf-8")
    with pytest.raises(ConfigError) as alone:
        build_pack(tmp_path / "a", modules=["m3"], variant=1, modules_dir=folder)
    assert str(alone.value) == (
        "--variant 1: m3_exposure has no variants (every variant would be variant 0 under "
        "another number), so build it without --variant"
    )
    with pytest.raises(ConfigError, match=r"m3_exposure has no variants .*build the other"):
        build_pack(tmp_path / "b", modules=["m1", "m3"], variant=1, modules_dir=folder)
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    # module 2 has variants (other loss records for every N): variant 1 is another key
    other = build_pack(tmp_path / "v1", modules=["m2"], langs=["en"], variant=1).out_dir
    keys = [
        yaml.safe_load((p / "en/facilitator/m2_loss_records/answer_key.yaml").read_text("utf-8"))
        for p in (no_maps, other)
    ]
    assert [k["variant"] for k in keys] == [0, 1]
    assert keys[0]["fingerprint"] != keys[1]["fingerprint"]
    assert keys[0]["questions"]["q1"]["answer"] != keys[1]["questions"]["q1"]["answer"]


# --- 4. district options say "fictional" in the page's language ------------------------------------------


def test_district_options_carry_the_languages_fictional(no_maps):
    for lang in LANGS:
        place_names_in(no_maps, lang)


def place_names_in(no_maps, lang):
    """The district options of the handouts and the guides' keys, in every module."""
    tagged = 0
    for path in sorted((no_maps / lang).glob("*/*/*.html")):
        page = path.read_text("utf-8")
        parts = re.findall(r'<ul class="options">.*?</ul>', page, flags=re.S)
        parts += re.findall(r'<table class="answer-key">.*?</table>', page, flags=re.S)
        text = html.unescape(re.sub(r"<[^>]+>", " ", " ".join(parts)))
        names = re.findall(r"\b(?:Alvora|Corrim|Eluno|Istra|Joval|Kessa|Lumira) \([^)]*\)", text)
        assert all(name.endswith(TAG[lang]) for name in names), (path, names)
        tagged += len(names)
    assert tagged >= 12, (lang, tagged)
    handout = (no_maps / lang / "participants" / "m1_concepts" / "handout.html").read_text("utf-8")
    assert f"<strong>b</strong>) Joval {TAG[lang]}</li>" in handout
    guide = page_text(no_maps / lang / "facilitator" / "m1_concepts" / "guide.html")
    assert f"b) Joval {TAG[lang]}" in guide  # the key's right option, as the guide shows it


# --- 5. module 5's map step gives its command, which runs in the pack folder ------------------


@pytest.mark.parametrize("lang", LANGS)
def test_module_5_maps_the_forecast_flood_with_a_command(no_maps, lang):
    page = (no_maps / lang / "participants" / "m5_evacuation" / "handout.html").read_text("utf-8")
    blocks = re.findall(r"<pre><code>(mecc map .*?)</code></pre>", page)  # a command block
    spans = [html.unescape(c) for c in blocks]
    assert spans == [f"mecc map work/m5_evacuation --out work/m5_evacuation_map --lang {lang}"], (
        spans
    )


def test_module_5_track_a_runs_from_the_pack_folder(cli, no_maps, tmp_path, monkeypatch):
    pack = tmp_path / "pack"
    shutil.copytree(no_maps, pack)
    page = (pack / "en" / "participants" / "m5_evacuation" / "handout.html").read_text("utf-8")
    blocks = re.findall(r"<pre><code>(.*?)</code></pre>", page, flags=re.S)
    commands = [line for block in blocks for line in html.unescape(block).splitlines()]
    assert commands[0].startswith("mecc run") and commands[-1].startswith("mecc map")
    monkeypatch.chdir(pack)
    for command in commands:
        result = cli(*shlex.split(command)[1:])
        assert result.exit_code == 0, (command, result.output)
    written = (pack / "work" / "m5_evacuation_map" / "map.html").read_text("utf-8")
    layer = "Hazard intensity, scenario \\u00b7 forecast_surge"  # the step names it
    assert layer in written  # (the layer names are JSON in the map's script)
