"""Commands that read a finished run meet a damaged run folder: one line, exit 1.

Officials open a run's zones.csv in a spreadsheet and save it again (often in a legacy
encoding), or copy a run folder that arrives truncated. The commands that read a run
(map, profile, needs, compare) then stop with one line naming the damaged file, exit
code 1, and write nothing; the run folder itself is never changed.
"""

from __future__ import annotations

import shutil

import pytest

from tests._errors import one_error_line
from tests._run_inputs import snapshot

LATIN_1_ZONES = "zone_code,zone_name\nA,S\u00e3o Tom\u00e9\n".encode("latin-1")


def _truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _latin_1(path):
    path.write_bytes(LATIN_1_ZONES)


def _garbage(path):
    path.write_bytes(bytes(range(256)) * 8)


COMMANDS = {
    "map": lambda run, out, base: ["map", run, "--out", out],
    "profile": lambda run, out, base: ["profile", run, "--out", out],
    "needs": lambda run, out, base: ["needs", run, "--out", out],
    "compare": lambda run, out, base: ["compare", base, run, "--out", out],
}


@pytest.mark.parametrize(
    ("damaged", "damage", "words", "commands"),
    [
        ("zones.csv", _latin_1, "is not UTF-8 text (byte 0xE3 on line 2)", COMMANDS),
        ("zones.gpkg", _truncate, "cannot read the run's boundaries", ["map", "profile", "needs"]),
        ("zones.gpkg", _garbage, "cannot read the run's boundaries", ["map", "profile", "needs"]),
        ("displaced.tif", _garbage, "cannot read the per-cell grid", ["map"]),
        ("displaced.tif", _truncate, "cannot read the grid", ["map"]),
    ],
    ids=["zones.csv latin-1", "gpkg truncated", "gpkg garbage", "tif garbage", "tif truncated"],
)
def test_a_damaged_run_file_stops_each_command_in_one_line(
    cli, demo_folder, tmp_path, damaged, damage, words, commands
):
    run = tmp_path / "run"
    shutil.copytree(demo_folder / "run", run)
    damage(run / damaged)
    before = snapshot(run)
    for name in commands:
        out = tmp_path / f"out-{name}"
        line = one_error_line(cli(*COMMANDS[name](run, out, demo_folder / "run")), 1)
        assert str(run / damaged) in line and words in line, (name, line)
        assert not out.exists(), name
    assert snapshot(run) == before
