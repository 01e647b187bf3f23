"""`mecc demo` writes the whole pipeline (profiles and a training pack beside inputs/ and
run/), `mecc needs --capacity` keeps the units the capacity table leaves out (capacity
and gap not known, with a warning), and module 1's handout quotes the line `mecc run`
really prints.
"""

from __future__ import annotations

import csv
import html
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _zones_csv(run_dir: Path) -> list[dict]:
    with open(run_dir / "zones.csv", encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _page(document: str, code: str) -> str:
    """The profile page of one unit (its ``section.page``)."""
    found = re.search(rf'<section class="page" data-zone="{code}".*?</section>', document, re.S)
    assert found, f"no page for {code}"
    return found.group(0)


# ------------------------------------------------------- 1. the demo's profiles and pack


def test_demo_writes_a_profile_page_per_unit_with_the_runs_figures(demo_command):
    folder, result = demo_command
    document = (folder / "profiles" / "profiles.html").read_text("utf-8")
    rows = _zones_csv(folder / "run")
    units = {r["zone_code"] for r in rows if r["zone_code"] != "__outside__"}
    assert len(units) == 15  # 3 provinces and 12 districts
    pages = set(re.findall(r'<section class="page" data-zone="([^"]+)"', document))
    assert pages == units
    # Lumira's storm-surge displaced people and Alvora's river-flood AAD, as zones.csv has them
    for code, hazard, figure in (
        ("XMR0312", "storm_surge", "displaced"),
        ("XMR0101", "river_flood", "aad"),
        ("XMR03", "cyclone_wind", "displaced"),
    ):
        expected = next(
            float(r[figure]) for r in rows if r["zone_code"] == code and r["hazard_id"] == hazard
        )
        cell = re.search(
            rf'<td data-hazard="{hazard}" data-figure="{figure}" data-value="([^"]+)"',
            _page(document, code),
        )
        assert float(cell.group(1)) == pytest.approx(expected, rel=1e-12), (code, hazard)
    assert expected > 0  # a figure, not an empty unit
    assert f"  profiles: {folder / 'profiles' / 'profiles.html'}" in result.stdout.splitlines()


def test_demo_writes_a_training_pack_of_every_module_in_english(demo_command):
    folder, result = demo_command
    pack = folder / "training"
    modules = sorted(p.stem for p in (ROOT / "training_modules" / "modules").glob("*.yaml"))
    assert len(modules) == 8
    meta = json.loads((pack / "pack.json").read_text("utf-8"))
    assert meta["kind"] == "mecc_training_pack"
    assert sorted(meta["modules"]) == modules and meta["languages"] == ["en"]
    index = (pack / "en" / "index.html").read_text("utf-8")
    for module in modules:
        assert (pack / "en" / "participants" / module / "handout.html").stat().st_size > 1000
        assert (pack / "en" / "facilitator" / module / "answer_key.yaml").is_file()
        assert (pack / "runs" / module / "summary.json").is_file()
        assert module in index
    assert not (pack / "fr").exists()
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"wrote {folder} (fictional demo country: inputs/, run/, profiles/ and training/)"
    )
    assert f"  training pack: {pack / 'en' / 'index.html'}" in lines
    assert lines[-1] == f"open {folder / 'run' / 'map.html'} in a browser (works with no network)"
    record = json.loads((folder / "demo.json").read_text("utf-8"))
    assert record["profiles"] == "profiles/profiles.html" and record["training"] == "training/"


def test_demo_json_names_the_profiles_and_the_pack(cli, demo_folder, monkeypatch):
    """--json: the record of the run plus the demo's folders (the demo itself is the
    session's; only the printing is under test here)."""
    import mecc.demo

    monkeypatch.setattr(mecc.demo, "build_demo", lambda *args, **kwargs: demo_folder)
    result = cli("demo", "--out", demo_folder, "--json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["profiles"] == str(demo_folder / "profiles" / "profiles.html")
    assert record["training"] == str(demo_folder / "training")
    assert Path(record["profiles"]).is_file() and Path(record["training"]).is_dir()


def test_demo_overwrite_refuses_to_delete_participants_answer_sheets(cli, tmp_path):
    """`make demo` always overwrites: a filled-in answer sheet in the demo's training pack
    is refused, as `mecc training build --overwrite` refuses it, before any work."""
    demo = tmp_path / "demo-output"
    sheet = demo / "training" / "en" / "participants" / "m1_concepts" / "answer_sheet.yaml"
    sheet.parent.mkdir(parents=True)
    marker = {"created_by": "mecc 0.1.0", "command": "demo"}
    (demo / ".mecc-output.json").write_text(json.dumps(marker), encoding="utf-8")
    files = ["en/participants/m1_concepts/answer_sheet.yaml", "pack.json"]
    (demo / "training" / "pack.json").write_text(
        json.dumps({"kind": "mecc_training_pack", "languages": ["en"], "files": files})
    )
    sheet.write_text(
        "kind: mecc_training_answers\nmodule: m1_concepts\nparticipant: Ana\nanswers:\n  q1: b\n",
        encoding="utf-8",
    )
    result = cli("demo", "--out", demo, "--overwrite")
    assert result.exit_code == 2, result.output
    assert "answer_sheet.yaml (filled-in answer sheet)" in result.stderr
    assert sheet.read_text(encoding="utf-8").endswith("q1: b\n")
    assert sorted(p.name for p in demo.iterdir()) == [".mecc-output.json", "training"]


# ------------------------------------------- 2. units the capacity table does not list


def test_needs_capacity_keeps_every_unit_and_says_which_have_no_capacity(
    cli, demo_folder, tmp_path
):
    capacity = tmp_path / "capx.csv"
    capacity.write_text("zone_code,capacity\nXMR0310,50000\nXMR0311,1000\n", encoding="utf-8")
    out = tmp_path / "needs"
    run = demo_folder / "run"
    result = cli("needs", run, "--out", out, "--capacity", capacity, "--hazard", "storm_surge")
    assert result.exit_code == 0, result.output
    surge = [r for r in _zones_csv(run) if r["hazard_id"] == "storm_surge"]
    surge = [r for r in surge if r["zone_code"] != "__outside__"]
    displaced = {r["zone_code"]: float(r["displaced"]) for r in surge}
    assert displaced["XMR0312"] > 3000  # Lumira, the premise: displaced people
    with open(out / "shelter_gap.csv", encoding="utf-8-sig", newline="") as handle:
        gap = {r["zone_code"]: r for r in csv.DictReader(handle)}
    assert set(gap) == set(displaced)  # every unit, with or without a capacity row
    lumira = gap["XMR0312"]
    assert float(lumira["displaced"]) == pytest.approx(displaced["XMR0312"], rel=1e-12)
    assert lumira["capacity"] == "" and lumira["gap"] == "" and lumira["shelter_area_gap"] == ""
    kessa = gap["XMR0311"]
    assert float(kessa["capacity"]) == 1000
    assert float(kessa["gap"]) == pytest.approx(max(displaced["XMR0311"] - 1000, 0.0))
    # a unit with no displaced people has no gap, whatever its capacity
    quiet = [c for c, v in displaced.items() if v == 0 and c not in ("XMR0310", "XMR0311")]
    assert quiet and all(gap[c]["capacity"] == "" and float(gap[c]["gap"]) == 0 for c in quiet)
    # units with displaced people and no capacity: not listed, and a parent knows its
    # capacity only when every one of its units has one (XMR03 has XMR0309, XMR0312)
    children: dict = {}
    for row in surge:
        children.setdefault(row["parent_code"], []).append(row["zone_code"])
    listed = {"XMR0310", "XMR0311"}
    known = listed | {p for p, kids in children.items() if p and set(kids) <= listed}
    missing = sorted(c for c, v in displaced.items() if v > 0 and c not in known)
    assert missing == ["XMR03", "XMR0312"]
    assert {c for c, r in gap.items() if r["capacity"] == ""} == set(displaced) - known
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1, result.stderr
    assert str(capacity) in warnings[0] and f"for {len(missing)} zone(s)" in warnings[0]
    assert all(code in warnings[0] for code in missing)
    notes = json.loads((out / "needs_profile.json").read_text("utf-8"))["notes"]
    assert any("XMR0312" in note for note in notes)


def test_needs_capacity_of_a_parent_is_the_sum_when_every_unit_has_one(cli, demo_folder, tmp_path):
    run = demo_folder / "run"
    surge = [r for r in _zones_csv(run) if r["hazard_id"] == "storm_surge"]
    costa = [r["zone_code"] for r in surge if r["parent_code"] == "XMR03"]
    capacity = tmp_path / "cap.csv"
    places = {code: 700 * (k + 1) for k, code in enumerate(costa)}
    capacity.write_text(
        "zone_code,capacity\n" + "".join(f"{c},{v}\n" for c, v in places.items()),
        encoding="utf-8",
    )
    out = tmp_path / "needs"
    result = cli("needs", run, "--out", out, "--capacity", capacity, "--hazard", "storm_surge")
    assert result.exit_code == 0, result.output
    assert "warning:" not in result.stderr  # every unit with displaced people has a capacity
    with open(out / "shelter_gap.csv", encoding="utf-8-sig", newline="") as handle:
        gap = {r["zone_code"]: r for r in csv.DictReader(handle)}
    assert float(gap["XMR03"]["capacity"]) == sum(places.values())
    # shelter is not pooled across districts: the province's gap is its districts' gaps
    own = {r["zone_code"]: float(r["displaced"]) for r in surge if r["zone_code"] in places}
    expected = sum(max(own[code] - places[code], 0.0) for code in places)
    assert float(gap["XMR03"]["gap"]) == pytest.approx(expected)


# ------------------------------------------------ 3. module 1's checkpoint and mecc run


def test_module_1_checkpoint_quotes_the_line_mecc_run_prints(cli, tmp_path, monkeypatch):
    from training_modules.pack import build_pack

    pack = build_pack(
        tmp_path / "pack", modules=["m1_concepts"], langs=["en", "fr", "es"], interactive_maps=False
    ).out_dir
    monkeypatch.chdir(pack)  # as the handout says: a terminal opened in the pack folder
    command = ["run", "data/m1_concepts/run.yaml", "--out", "work/m1_concepts"]
    result = cli(*command)
    assert result.exit_code == 0, result.output
    printed = result.stdout.splitlines()[0]
    assert printed == f"wrote {(pack / 'work' / 'm1_concepts').absolute()}"  # the premise
    for lang in ("en", "fr", "es"):
        page = (pack / lang / "participants" / "m1_concepts" / "handout.html").read_text("utf-8")
        checkpoint = re.search(r'<div class="checkpoint">(.*?)</div>', page, re.S).group(1)
        codes = [html.unescape(c) for c in re.findall(r"<code>(.*?)</code>", checkpoint)]
        said = [c for c in codes if c.startswith("wrote")]
        assert said == ["wrote"], (lang, codes)  # the word the line starts with, no path
        assert printed.startswith("wrote ")
        assert printed.endswith(codes[codes.index("wrote") + 1]), (lang, codes)
