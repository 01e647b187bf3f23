"""A needs profile's unknown key is refused in one line naming the file and the key.

Before, a misspelt ``houshold_size: 4.2`` was ignored and every per-household need was
planned for households of 5 (the default) with no word; a misspelt ``quantiy`` beside a
right ``quantity`` was ignored too.
"""

from __future__ import annotations

import yaml

from mecc.needs import PROFILE_DIR
from tests.test_needs_profiles_s28 import _profile, _refused, _sphere_needs


def test_a_misspelt_household_size_is_refused_not_replaced_by_5(cli, demo_folder, tmp_path):
    profile = yaml.safe_load((PROFILE_DIR / "sphere.yaml").read_text(encoding="utf-8"))
    profile["houshold_size"] = 4.2
    del profile["household_size"]
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(profile, allow_unicode=True), encoding="utf-8")
    line = _refused(cli, demo_folder, tmp_path, path)
    assert line == ("error: mine.yaml: unknown key 'houshold_size'; did you mean 'household_size'?")


def test_an_extra_key_in_a_need_is_refused(cli, demo_folder, tmp_path):
    needs = _sphere_needs()
    needs[2]["quantiy"] = 3
    line = _refused(cli, demo_folder, tmp_path, _profile(tmp_path, needs))
    assert line == "error: mine.yaml: needs[2]: unknown key 'quantiy'; did you mean 'quantity'?"


def test_a_key_unlike_any_lists_the_keys(cli, demo_folder, tmp_path):
    needs = _sphere_needs()
    needs[0]["comment"] = "checked with the cluster lead"
    line = _refused(cli, demo_folder, tmp_path, _profile(tmp_path, needs))
    assert line == (
        "error: mine.yaml: needs[0]: unknown key 'comment'; the keys are id, quantity, "
        "unit, per, period, source"
    )


def test_the_built_in_profiles_use_known_keys_only(cli, demo_folder, tmp_path):
    for name in ("sphere", "bnpb_indonesia"):
        out = tmp_path / name
        result = cli(
            "needs", demo_folder / "run", "--out", out, "--needs-profile", name,
            "--hazard", "cyclone_wind",
        )  # fmt: skip
        assert result.exit_code == 0, result.stderr
        assert (out / "needs.csv").is_file()
