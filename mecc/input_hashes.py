"""SHA-256 of a run's input files, remembered between runs while a file is unchanged.

manifest.json records every input's SHA-256. An analyst runs the same population grid
and hazard maps again and again (scenarios, futures, a workshop's repeated runs), and
hashing a 1 GB grid reads all of it each time. So, as git's index and DVC's cache do, a
file's digest is kept under its identity on disk: device, inode, size, modification and
status-change times (nanoseconds). Writing to a file changes its status-change time,
which no user can set back, so a file changed in any way is hashed again; a cached digest
is only reused for the very same unchanged file. (Not on Windows, whose ``st_ctime`` is
the creation time: there every file is hashed every time.) File times tick in steps of a
few milliseconds, so a file rewritten with the same size right after it was hashed could
keep its times; as git does for its index ("racy" entries), a digest is only remembered
for a file last changed :data:`SETTLED_SECONDS` or more before it was read.

Small files (under :data:`SMALLEST_CACHED` bytes) are always hashed: it costs less than
the cache. The cache is a folder of one-line files, one per file version, in
``$MECC_CACHE_DIR`` or ``$XDG_CACHE_HOME/mecc`` (``~/.cache/mecc``); ``MECC_HASH_CACHE=0``
turns it off. A cache that cannot be read or written (a read-only home) is ignored.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from pathlib import Path

from mecc.errors import InputFileError

__all__ = ["SETTLED_SECONDS", "SMALLEST_CACHED", "cache_folder", "input_sha256", "sha256_of"]

SMALLEST_CACHED = 16 * 2**20
"""Files smaller than this (16 MiB, about 10 ms of hashing) are hashed every time."""

SETTLED_SECONDS = 2.0
"""A file changed less than this long before it is hashed is hashed, not remembered."""

_DIGEST = re.compile(r"[0-9a-f]{64}")


def sha256_of(path) -> str:
    """SHA-256 of a file's bytes (read now, no cache).

    Raises
    ------
    InputFileError
        The file cannot be read.
    """
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except OSError as error:
        raise InputFileError(f"{path}: cannot read ({error})") from None
    return digest.hexdigest()


def cache_folder() -> Path | None:
    """Where digests are kept, or None when the cache is off (``MECC_HASH_CACHE=0``, or
    not a POSIX system)."""
    if os.environ.get("MECC_HASH_CACHE", "1").lower() in {"0", "false", "no", "off"}:
        return None
    if os.name != "posix":
        return None
    base = os.environ.get("MECC_CACHE_DIR")
    if base:
        return Path(base) / "sha256"
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(xdg) / "mecc" / "sha256"


def _entry(folder: Path, path: str, status: os.stat_result) -> Path:
    identity = "|".join(
        str(v)
        for v in (
            path,
            status.st_dev,
            status.st_ino,
            status.st_size,
            status.st_mtime_ns,
            status.st_ctime_ns,
        )
    )
    return folder / hashlib.sha256(identity.encode("utf-8", "surrogateescape")).hexdigest()[:40]


def input_sha256(path) -> str:
    """SHA-256 of an input file, from the cache when this very file was hashed before.

    Parameters
    ----------
    path : str or os.PathLike
        The file (made absolute here).

    Raises
    ------
    InputFileError
        The file cannot be read.
    """
    absolute = os.path.abspath(path)
    folder = cache_folder()
    try:
        status = os.stat(absolute)
    except OSError as error:
        raise InputFileError(f"{absolute}: cannot read ({error})") from None
    if folder is None or status.st_size < SMALLEST_CACHED:
        return sha256_of(absolute)
    entry = _entry(folder, absolute, status)
    try:
        remembered = entry.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        remembered = ""
    if _DIGEST.fullmatch(remembered):
        return remembered
    started_ns = time.time_ns()
    digest = sha256_of(absolute)
    after = os.stat(absolute)  # changed while being read: not remembered
    unchanged = (after.st_size, after.st_mtime_ns, after.st_ctime_ns) == (
        status.st_size,
        status.st_mtime_ns,
        status.st_ctime_ns,
    )
    last_change_ns = max(status.st_mtime_ns, status.st_ctime_ns)
    if unchanged and started_ns - last_change_ns >= SETTLED_SECONDS * 1e9:
        _remember(entry, digest)
    return digest


def _remember(entry: Path, digest: str) -> None:
    """Write one digest atomically; any failure leaves the cache as it was."""
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=entry.parent, prefix=".tmp-")
        try:
            with os.fdopen(handle, "w", encoding="ascii") as stream:
                stream.write(digest + "\n")
            os.replace(temporary, entry)
        except OSError:
            os.unlink(temporary)
            raise
    except OSError:
        pass
