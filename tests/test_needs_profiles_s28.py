"""A malformed needs profile is refused by ``mecc needs`` in one line, exit 2, nothing written.

Found by a probe: a need written as a text line crashed (TypeError, exit 3); a plain text
line was reported as "needs[1].id is missing"; two needs with the same id were accepted
(two rows per unit in needs.csv); an empty needs list was blamed on the run ("no hazard of
this run has displaced people to plan for") although the run has displaced people.
"""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from mecc.needs import PROFILE_DIR

FIELDS = "id, quantity, unit, per, period and source"


def _profile(tmp_path, needs, name="mine.yaml"):
    """The built-in Sphere profile with its needs replaced, written to ``name``."""
    profile = yaml.safe_load((PROFILE_DIR / "sphere.yaml").read_text(encoding="utf-8"))
    profile["needs"] = needs
    path = tmp_path / name
    path.write_text(yaml.safe_dump(profile, allow_unicode=True), encoding="utf-8")
    return path


def _sphere_needs():
    return yaml.safe_load((PROFILE_DIR / "sphere.yaml").read_text(encoding="utf-8"))["needs"]


def _refused(cli, demo_folder, tmp_path, profile) -> str:
    """Run ``mecc needs`` with ``profile``; check exit 2, one line, nothing written."""
    out = tmp_path / "needs"
    result = cli(
        "needs", demo_folder / "run", "--out", out, "--needs-profile", profile,
        "--hazard", "cyclone_wind",
    )  # fmt: skip
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2, result.stderr
    assert len(lines) == 1, lines
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()
    return lines[0]


def test_a_need_written_as_a_text_line_is_one_line(cli, demo_folder, tmp_path):
    needs = _sphere_needs()
    needs[1] = "water: id, quantity 15, unit litres, per person, period day, source Sphere"
    line = _refused(cli, demo_folder, tmp_path, _profile(tmp_path, needs))
    assert line.startswith("error: mine.yaml: needs[1]: ")
    assert f"each need is a mapping with {FIELDS}" in line
    assert "'water: id, quantity 15" in line  # what was written instead


def test_a_plain_text_need_is_not_reported_as_a_missing_id(cli, demo_folder, tmp_path):
    needs = _sphere_needs()
    needs[1] = "water 15"
    line = _refused(cli, demo_folder, tmp_path, _profile(tmp_path, needs))
    assert line.startswith("error: mine.yaml: needs[1]: ")
    assert f"each need is a mapping with {FIELDS}" in line and "'water 15'" in line
    assert "is missing" not in line


@pytest.mark.parametrize(
    ("entry", "shown"),
    [(15, "not 15"), (["water", 15], "not a list"), (None, "not empty")],
    ids=["number", "list", "null"],
)
def test_other_needs_that_are_not_mappings(cli, demo_folder, tmp_path, entry, shown):
    needs = _sphere_needs()
    needs.insert(2, entry)
    line = _refused(cli, demo_folder, tmp_path, _profile(tmp_path, needs))
    assert line.startswith("error: mine.yaml: needs[2]: ")
    assert f"each need is a mapping with {FIELDS}" in line and shown in line


@pytest.mark.parametrize(
    ("key", "value"),
    [("id", ["water"]), ("id", None), ("unit", None), ("source", "")],
    ids=["id list", "id null", "unit null", "source empty"],
)
def test_a_need_key_that_is_not_text(cli, demo_folder, tmp_path, key, value):
    needs = _sphere_needs()
    needs[3][key] = value
    line = _refused(cli, demo_folder, tmp_path, _profile(tmp_path, needs))
    assert line == f"error: mine.yaml: needs[3].{key} must be text (not empty)"


def test_two_needs_with_the_same_id_are_refused(cli, demo_folder, tmp_path):
    needs = _sphere_needs()
    assert [n["id"] for n in needs[:2]] == ["food_energy", "water"]
    needs[1]["id"] = "food_energy"  # 15 litres under the id of the 2,100 kcal
    line = _refused(cli, demo_folder, tmp_path, _profile(tmp_path, needs))
    assert line == (
        "error: mine.yaml: needs[1].id 'food_energy' is also needs[0].id: give each need its own id"
    )


def test_an_empty_needs_list_names_the_profile_not_the_run(cli, demo_folder, tmp_path):
    line = _refused(cli, demo_folder, tmp_path, _profile(tmp_path, []))
    assert line == f"error: mine.yaml: needs is empty: list at least one need ({FIELDS})"
    assert "run" not in line


def test_a_missing_key_exits_2_too(cli, demo_folder, tmp_path):
    needs = _sphere_needs()
    del needs[1]["quantity"]
    line = _refused(cli, demo_folder, tmp_path, _profile(tmp_path, needs))
    assert line == "error: mine.yaml: needs[1].quantity is missing"


def test_a_well_formed_custom_profile_still_writes_needs(cli, demo_folder, tmp_path):
    needs = _sphere_needs()
    out = tmp_path / "needs"
    result = cli(
        "needs", demo_folder / "run", "--out", out,
        "--needs-profile", _profile(tmp_path, needs), "--hazard", "cyclone_wind",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    rows = pd.read_csv(out / "needs.csv", encoding="utf-8-sig")
    # one row per zone and need: six Sphere needs, no id twice in a zone
    assert len(rows) == 6 * rows["zone_code"].nunique()
    assert set(rows["need_id"]) == {n["id"] for n in needs}
    assert not rows.duplicated(["zone_code", "need_id"]).any()
