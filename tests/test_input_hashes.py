"""Input hashes remembered between runs: reused only for the very same unchanged file."""

from __future__ import annotations

import hashlib
import json
import os
import time

import numpy as np
import pytest

from mecc import input_hashes
from mecc.errors import InputFileError
from mecc.input_hashes import cache_folder, input_sha256


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("MECC_CACHE_DIR", str(folder))
    monkeypatch.delenv("MECC_HASH_CACHE", raising=False)
    monkeypatch.setattr(input_hashes, "SMALLEST_CACHED", 1000)
    return folder / "sha256"


def _entries(folder):
    return sorted(folder.glob("*")) if folder.exists() else []


def test_digest_is_remembered_and_reused(cache, tmp_path, monkeypatch):
    monkeypatch.setattr(input_hashes, "SETTLED_SECONDS", 0.0)
    data = np.random.default_rng(1).bytes(5000)
    path = tmp_path / "population.tif"
    path.write_bytes(data)
    expected = hashlib.sha256(data).hexdigest()
    assert input_sha256(path) == expected
    (entry,) = _entries(cache)
    assert entry.read_text().strip() == expected
    # the remembered digest is what a second run reads (shown by planting another one)
    entry.write_text("a" * 64 + "\n")
    assert input_sha256(path) == "a" * 64


def test_a_changed_file_is_hashed_again_even_with_its_old_times(cache, tmp_path, monkeypatch):
    monkeypatch.setattr(input_hashes, "SETTLED_SECONDS", 0.0)
    path = tmp_path / "flood.tif"
    path.write_bytes(b"x" * 5000)
    before = os.stat(path)
    input_sha256(path)
    (entry,) = _entries(cache)
    entry.write_text("b" * 64 + "\n")  # what the cache says about the old file
    time.sleep(0.02)  # file times tick in milliseconds
    path.write_bytes(b"y" * 5000)  # same size ...
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # ... and modification time
    assert os.stat(path).st_mtime_ns == before.st_mtime_ns
    assert input_sha256(path) == hashlib.sha256(b"y" * 5000).hexdigest()


def test_a_file_changed_just_now_is_not_remembered(cache, tmp_path):
    # the default margin: a file written a moment ago may be rewritten within the same
    # tick of the file clock, so its digest is not kept
    path = tmp_path / "fresh.tif"
    path.write_bytes(b"z" * 5000)
    assert input_sha256(path) == hashlib.sha256(b"z" * 5000).hexdigest()
    assert _entries(cache) == []


def test_small_files_and_a_switched_off_cache_are_always_hashed(cache, tmp_path, monkeypatch):
    monkeypatch.setattr(input_hashes, "SETTLED_SECONDS", 0.0)
    small = tmp_path / "run.yaml"
    small.write_bytes(b"country: XDM\n")
    assert input_sha256(small) == hashlib.sha256(b"country: XDM\n").hexdigest()
    assert _entries(cache) == []
    monkeypatch.setenv("MECC_HASH_CACHE", "0")
    assert cache_folder() is None
    big = tmp_path / "big.tif"
    big.write_bytes(b"q" * 5000)
    assert input_sha256(big) == hashlib.sha256(b"q" * 5000).hexdigest()
    assert _entries(cache) == []


def test_an_unwritable_cache_is_ignored(tmp_path, monkeypatch):
    monkeypatch.setattr(input_hashes, "SETTLED_SECONDS", 0.0)
    monkeypatch.setattr(input_hashes, "SMALLEST_CACHED", 1000)
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file where the cache folder would be")
    monkeypatch.setenv("MECC_CACHE_DIR", str(blocker))
    path = tmp_path / "grid.tif"
    path.write_bytes(b"w" * 5000)
    assert input_sha256(path) == hashlib.sha256(b"w" * 5000).hexdigest()
    assert blocker.read_text() == "a file where the cache folder would be"


def test_a_corrupt_entry_is_replaced_by_the_real_digest(cache, tmp_path, monkeypatch):
    monkeypatch.setattr(input_hashes, "SETTLED_SECONDS", 0.0)
    path = tmp_path / "grid.tif"
    path.write_bytes(b"v" * 5000)
    input_sha256(path)
    (entry,) = _entries(cache)
    entry.write_bytes(b"\xff\xfe not a digest")
    assert input_sha256(path) == hashlib.sha256(b"v" * 5000).hexdigest()
    assert entry.read_text().strip() == hashlib.sha256(b"v" * 5000).hexdigest()


def test_a_missing_file_is_one_clear_error(cache, tmp_path):
    with pytest.raises(InputFileError, match="gone.tif: cannot read"):
        input_sha256(tmp_path / "gone.tif")


def test_a_run_records_the_same_digests_from_the_cache(cache, tmp_path, monkeypatch):
    """Two runs of the same inputs: the second takes the digests from the cache, and the
    manifests agree with hashlib on the files' bytes."""
    from mecc.run import run_country
    from tests._run_inputs import basic_case, write_run

    monkeypatch.setattr(input_hashes, "SETTLED_SECONDS", 0.0)
    monkeypatch.setattr(input_hashes, "SMALLEST_CACHED", 100)
    folder = tmp_path / "country"
    run_file = write_run(folder, basic_case(folder))
    manifests = []
    for name in ("first", "second"):
        run_country(run_file, tmp_path / name, with_map=False)
        manifests.append(json.loads((tmp_path / name / "manifest.json").read_text()))
        if name == "first":
            remembered = _entries(cache)
            assert len(remembered) >= 3  # the rasters at least
            for entry in remembered:  # planted: the second run must read these
                entry.write_text("c" * 64 + "\n")
    first, second = ([(r["path"], r["sha256"]) for r in m["inputs"]] for m in manifests)
    assert [p for p, _ in first] == [p for p, _ in second]
    for (path, digest), (_, again) in zip(first, second, strict=True):
        assert digest == hashlib.sha256((folder / path).read_bytes()).hexdigest()
        assert again in (digest, "c" * 64)
    assert sum(again == "c" * 64 for _, again in second) == len(remembered)
