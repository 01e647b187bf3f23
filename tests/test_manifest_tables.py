"""manifest.json lists every file a run reads with its SHA-256: the census and zone
tables, site lists and commuting tables too (README: each run lists its inputs with their
SHA-256; a changed census changed B-1 per 100,000 with the same manifest inputs)."""

from __future__ import annotations

import hashlib
import json


def test_the_demo_manifest_hashes_its_tables(demo_command):
    folder = demo_command[0]
    manifest = json.loads((folder / "run" / "manifest.json").read_text(encoding="utf-8"))
    listed = {record["path"]: record for record in manifest["inputs"]}
    for name, role in (
        ("census_population.csv", "population.official"),
        ("census_districts.csv", "population."),
        ("sites.csv", "mobility.sites"),
        ("commuting.csv", "mobility.day_night"),
    ):
        record = listed[name]
        assert record["role"].startswith(role), record
        digest = hashlib.sha256((folder / "inputs" / name).read_bytes()).hexdigest()
        assert record["sha256"] == digest
    tables = [r for r in manifest["inputs"] if r["path"].endswith(".csv")]
    assert len({r["path"] for r in tables}) == len(tables)  # each table once
