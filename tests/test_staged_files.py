"""One way to write a file whole or not at all: ``mecc.outputs.staged_file``.

Every writer of a single file (the map page, workbooks, the Sendai CSVs and their
spool, a batch's batch.csv and marker) writes a hidden ``.<name>.partial-<pid>-<hex>``
next to the file, a new name at each call, renamed into place at the end: two writers
of one file never share a staging file, a failure leaves the earlier file as it was and
no staging file, and the clean-up patterns know the names (old ones too).
"""

from __future__ import annotations

import errno
import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pandas as pd
import pytest

STAGED = re.compile(r"\.(?P<name>.+)\.partial-(?P<pid>\d+)-[0-9a-f]{8}")
"""The one staging name: ``.<name>.partial-<pid>-<8 hex>``."""


def staged_names(folder: Path) -> list[str]:
    return sorted(p.name for p in Path(folder).iterdir() if "partial" in p.name)


def check_staged(names, expected) -> None:
    """``names`` are staging names of this process for the ``expected`` file names."""
    matches = [STAGED.fullmatch(name) for name in names]
    assert all(matches), names
    assert sorted(m["name"] for m in matches) == sorted(expected)
    assert {int(m["pid"]) for m in matches} == {os.getpid()}


# --- the helper ------------------------------------------------------------------------


def test_staged_file_is_renamed_into_place_and_each_call_gets_its_own_name(tmp_path):
    from mecc.outputs import staged_file

    target = tmp_path / "table.csv"
    target.write_bytes(b"old")
    with staged_file(target) as first, staged_file(target) as second:
        assert first != second and first.parent == second.parent == tmp_path
        check_staged([first.name, second.name], ["table.csv", "table.csv"])
        first.write_bytes(b"first")
        second.write_bytes(b"second")
        assert target.read_bytes() == b"old"  # nothing in place before the end
    # the inner block ends first: "second" goes in, then "first" replaces it
    assert target.read_bytes() == b"first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["table.csv"]


@pytest.mark.parametrize("error", [OSError(errno.ENOSPC, "full"), KeyboardInterrupt()])
def test_a_failure_leaves_the_old_file_and_no_staging_file(tmp_path, error):
    from mecc.outputs import staged_file

    target = tmp_path / "table.csv"
    target.write_bytes(b"old")
    with pytest.raises(type(error)), staged_file(target) as staging:
        staging.write_bytes(b"half a ")
        raise error
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["table.csv"]


def test_a_scratch_file_is_removed_and_never_renamed(tmp_path):
    from mecc.outputs import staged_file

    with staged_file(tmp_path / "rows", replace=False) as spool:
        spool.write_bytes(b"spooled rows")
        check_staged(staged_names(tmp_path), ["rows"])
    assert list(tmp_path.iterdir()) == []


def test_a_staging_name_is_shown_as_the_file_it_stands_for():
    from mecc.outputs import shown_path

    for name in ("map.html.partial", ".map.html.partial", ".map.html.partial-0a1b2c3d"):
        assert shown_path(f"/out/{name}") == "/out/map.html"  # older versions' names
    assert shown_path("/out/.map.html.partial-1234-0a1b2c3d") == "/out/map.html"
    assert shown_path("/o/..mecc-output.json.partial-7-0a1b2c3d") == "/o/.mecc-output.json"


# --- the map page ----------------------------------------------------------------------


def rendered_pages(run_dir, langs) -> dict:
    """The pieces of the map page of ``run_dir`` in each language, rendered one after the
    other (rendering reads results.nc, and HDF5 may not be read by two threads at once)."""
    from mecc.maps import Text, _Page, labels, read_run

    run = read_run(run_dir)
    pages = {}
    for lang in langs:
        pieces = _Page(run, Text(labels(lang), lang), None).render(None)
        pages[lang] = [p if isinstance(p, str) else p.decode("utf-8") for p in pieces]
    return run, pages


def test_two_maps_written_at_once_into_one_file_are_each_whole(demo_folder, tmp_path, monkeypatch):
    """Two ``build_map`` into the same file at once (``mecc run --map`` into a folder, the
    training pack): each writes its own staging file, and the file is one whole page.
    A shared ``map.html.partial`` was truncated by the second writer while the first
    wrote it, and the first rename took it away from under the second."""
    import mecc.maps

    run, pages = rendered_pages(demo_folder / "run", ("en", "fr"))
    assert pages["en"] != pages["fr"]
    out = tmp_path / "maps"
    out.mkdir()
    (out / "map.html").write_text("an earlier map", encoding="utf-8")
    barrier, staging = threading.Barrier(2), []

    class Paced:  # the page of its language: half of it, both writing, then the rest
        def __init__(self, run, text, inputs_dir):
            self.pieces = pages[text.lang]

        def render(self, title):
            half = len(self.pieces) // 2
            yield from self.pieces[:half]
            barrier.wait(timeout=60)
            staging.append(staged_names(out))
            barrier.wait(timeout=60)
            yield from self.pieces[half:]

    monkeypatch.setattr(mecc.maps, "_Page", Paced)
    monkeypatch.setattr(mecc.maps, "read_run", lambda run_dir: run)
    errors = []

    def write(lang):
        try:
            mecc.maps.build_map(demo_folder / "run", out / "map.html", lang=lang)
        except BaseException as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    threads = [threading.Thread(target=write, args=(lang,)) for lang in ("en", "fr")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert len(staging) == 2
    for names in staging:  # both writing: two staging files, one per writer
        check_staged(names, ["map.html", "map.html"])
    whole = ["".join(pages[lang]).encode("utf-8") for lang in ("en", "fr")]
    assert (out / "map.html").read_bytes() in whole  # bytes: the page holds "\r" too
    assert sorted(p.name for p in out.iterdir()) == ["map.html"]


def test_two_map_commands_at_once_into_one_out_folder_leave_one_whole_map(demo_folder, tmp_path):
    """``mecc map RUN --out DIR --overwrite`` twice at once (two processes): the map in
    DIR is one of the two whole pages, and no staging file is left in it."""
    run, pages = rendered_pages(demo_folder / "run", ("en", "fr"))
    out = tmp_path / "maps"
    out.mkdir()
    command = [sys.executable, "-m", "mecc", "map", str(demo_folder / "run"), "--out", str(out)]
    runs = [
        subprocess.Popen([*command, "--overwrite", "--lang", lang], stderr=subprocess.PIPE)
        for lang in ("en", "fr")
    ]
    results = [(process.wait(timeout=300), process.stderr.read()) for process in runs]
    # the two renames of the folders may meet (OutputFolder.commit): one run then stops
    assert [code for code, _ in results].count(0) >= 1, results
    whole = ["".join(pages[lang]).encode("utf-8") for lang in ("en", "fr")]
    assert (out / "map.html").read_bytes() in whole  # bytes: the page holds "\r" too
    assert not [n for n in os.listdir(out) if "partial" in n]


def test_a_map_failing_midway_leaves_the_earlier_map_and_no_staging_file(
    demo_folder, tmp_path, monkeypatch
):
    import mecc.maps

    out = tmp_path / "map.html"
    out.write_text("an earlier map", encoding="utf-8")
    render = mecc.maps._Page.render
    staging = []

    def failing(self, title):
        pieces = iter(render(self, title))
        yield next(pieces)
        staging.extend(staged_names(tmp_path))
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(mecc.maps._Page, "render", failing)
    with pytest.raises(OSError):
        mecc.maps.build_map(demo_folder / "run", out)
    check_staged(staging, ["map.html"])
    assert out.read_text(encoding="utf-8") == "an earlier map"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.html"]


# --- workbooks, the Sendai tables, a batch's files -------------------------------------


def test_a_workbook_is_staged_under_the_one_name_and_left_whole_or_not_at_all(tmp_path):
    from mecc.workbook import ChunkedTable, write_workbook

    path = tmp_path / "book.xlsx"
    path.write_bytes(b"an earlier workbook")
    staging = []

    def rows():
        staging.extend(staged_names(tmp_path))
        return pd.DataFrame({"a": [1, 2]})

    table = ChunkedTable(["a"], [(2, rows)])
    write_workbook(path, "t", [("Sheet", table, None)])
    check_staged(staging, ["book.xlsx"])
    assert path.read_bytes()[:2] == b"PK"  # a zip file now
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsx"]

    def broken():
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    whole = path.read_bytes()
    with pytest.raises(OSError):
        write_workbook(path, "t", [("Sheet", ChunkedTable(["a"], [(2, broken)]), None)])
    assert path.read_bytes() == whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsx"]


def test_the_sendai_tables_and_their_spool_are_staged_under_the_one_name(demo_folder, tmp_path):
    from mecc.sendai import sendai_stream
    from mecc.sendai_writers import write_sendai

    stream = sendai_stream(demo_folder / "run", rows=50)
    frames = stream.frames
    staging = []

    def watched():
        for frame in frames():
            staging.append(staged_names(tmp_path))
            yield frame

    stream.frames = watched
    write_sendai(stream, tmp_path)
    assert staging
    for names in staging:
        check_staged(names, ["sendai.csv", "sendai_hxl.csv", "sendai.xlsx.rows"])
    names = ("sendai.csv", "sendai.xlsx", "sendai_hxl.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == list(names)
    for name in ("sendai.csv", "sendai_hxl.csv"):  # the bytes of the run's own
        assert (tmp_path / name).read_bytes() == (demo_folder / "run" / name).read_bytes()


def test_a_batch_marker_is_staged_under_the_one_name(tmp_path, monkeypatch):
    from mecc.batch import _write_marker

    written = []
    write_text = Path.write_text

    def recorded(self, *args, **kwargs):
        written.append(self.name)
        return write_text(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", recorded)
    _write_marker(tmp_path, [{"run_file": "a.yaml", "exit_code": 0}])
    check_staged(written, [".mecc-output.json"])
    marker = json.loads((tmp_path / ".mecc-output.json").read_text(encoding="utf-8"))
    assert marker["command"] == "run batch"
    assert marker["rows"] == [{"run_file": "a.yaml", "exit_code": 0}]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".mecc-output.json"]


@pytest.mark.parametrize(
    "leftover",
    [
        ".batch.csv.partial-4321-0a1b2c3d",  # staged_file's
        "..mecc-output.json.partial-4321-0a1b2c3d",
        ".batch.csv.partial",  # older versions'
        ".mecc-output.json.partial",
    ],
)
def test_a_batch_folder_with_a_killed_batchs_staging_file_may_be_replaced(tmp_path, leftover):
    from mecc.batch import _not_replaceable

    (tmp_path / "batch.csv").write_text("run_file,out_dir,exit_code\n", encoding="utf-8")
    (tmp_path / leftover).write_text("half", encoding="utf-8")
    assert _not_replaceable(tmp_path) is None
    (tmp_path / "notes.partial-4321-0a1b2c3d").write_text("mine", encoding="utf-8")
    assert "notes.partial-4321-0a1b2c3d" in _not_replaceable(tmp_path)  # not a staging name
