"""The hidden folders a killed command leaves beside its output, and their cleanup.

An output folder is written into a hidden staging folder, ``.<name>.partial-<pid>-<hex>``,
renamed into place when complete (:class:`mecc.outputs.OutputFolder`). With
``--overwrite`` the earlier folder is first renamed aside, ``.<name>.old-<pid>-<hex>``,
the staging folder renamed into place, and the earlier one renamed to a staging name of
this process (``.<name>.partial-<pid>-<hex>``) before it is deleted. A process killed
(SIGKILL, the out-of-memory killer, a power cut) cannot clean up; the next command
writing the same output does, before anything else:

- :func:`restore_replaced`: an earlier folder set aside by a process that has ended
  (``.<name>.old-...``, a complete folder carrying mecc's marker: a run's manifest.json
  or :data:`mecc.output_guard.OUTPUT_MARKER`) is put back under its name when that name
  is missing (the process was killed between its two renames: it is the last complete
  output, with a one-line warning), or deleted when the name is in place (the new output
  was);
- :func:`remove_abandoned`: the staging folders of ended processes are deleted (a
  staging folder is never mistaken for a result).
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import uuid
import warnings
from pathlib import Path

from mecc.errors import MeccWarning
from mecc.output_guard import made_by

__all__ = [
    "discard_folder",
    "old_name",
    "process_alive",
    "remove_abandoned",
    "restore_replaced",
]


def old_name(target) -> Path:
    """Where ``--overwrite`` sets the earlier ``target`` aside while the new one is put in
    place: ``.<name>.old-<pid>-<hex>`` beside it (this process's id: a folder of a live
    process is never touched by another)."""
    target = Path(target)
    return target.parent / f".{target.name}.old-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def discard_folder(folder) -> None:
    """Delete a folder set aside (the earlier output once the new one is in place):
    renamed first to a staging name of this process, so that, killed while deleting it,
    the next command removes what is left as a killed run's staging folder (never takes
    it for the last complete output)."""
    folder = Path(folder)
    name = re.sub(r"\.old-(\d+-)?[0-9a-f]{8}$", "", folder.name)
    gone = folder.with_name(f"{name}.partial-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        folder.rename(gone)
    except OSError:  # removed in place, then
        gone = folder
    shutil.rmtree(gone, ignore_errors=True)


def restore_replaced(target) -> Path | None:
    """Put back, or delete, the earlier ``target`` a killed ``--overwrite`` set aside.

    A ``.<name>.old-...`` folder beside ``target`` whose process has ended and that
    carries mecc's marker (:func:`mecc.output_guard.made_by`; a folder without one is
    never touched) is renamed back to ``target`` when ``target`` is missing, with a
    one-line :class:`~mecc.errors.MeccWarning`, or deleted when ``target`` is in place.

    Returns
    -------
    pathlib.Path or None
        ``target`` when a folder was put back, else None.
    """
    target = Path(target)
    pattern = re.compile(rf"\.{re.escape(target.name)}\.old-(?:(\d+)-)?[0-9a-f]{{8}}")
    try:
        entries = sorted(target.parent.glob(f".{glob.escape(target.name)}.old-*"))
    except OSError:
        return None
    restored = None
    for entry in entries:
        found = pattern.fullmatch(entry.name)
        if found is None or entry.is_symlink() or not entry.is_dir():
            continue
        pid = int(found.group(1)) if found.group(1) else None
        if pid is not None and (pid == os.getpid() or process_alive(pid)):
            continue  # a live process is replacing it right now
        if made_by(entry) is None:
            continue  # not a folder mecc wrote (or no longer whole): never touched
        if not os.path.lexists(target):
            try:
                entry.rename(target)
            except OSError:
                continue
            restored = target
            warnings.warn(
                f"{target}: restored the earlier output from {entry.name}, where a command "
                "killed while replacing it (--overwrite) had left it",
                MeccWarning,
                stacklevel=2,
            )
        else:
            discard_folder(entry)
    return restored


def remove_abandoned(target, pids=None) -> None:
    """Delete the staging folders of ``target`` (``.<name>.partial-<pid>-<hex>``) whose
    process has ended (of ``pids`` only, when given; never this process's own), after
    putting back or deleting an earlier ``target`` a killed ``--overwrite`` set aside
    (:func:`restore_replaced`).

    A run stopped by SIGKILL, the out-of-memory killer or a power cut cannot clean up; its
    staging folder is never mistaken for a result, and the next run into the same target
    (or the batch that started it) removes it.
    """
    target = Path(target)
    restore_replaced(target)
    prefix = f".{target.name}.partial-"
    wanted = None if pids is None else {int(pid) for pid in pids}
    for entry in target.parent.glob(glob.escape(prefix) + "*"):
        pid = entry.name[len(prefix) :].split("-")[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        if (wanted is None or int(pid) in wanted) and not process_alive(int(pid)):
            shutil.rmtree(entry, ignore_errors=True)


def process_alive(pid: int) -> bool:
    """True if a process with this id still runs on this machine (or cannot be checked);
    one that ended and waits to be reaped by its parent (a zombie, on Linux) has ended.

    On Windows ``os.kill`` would end the process, so nothing is checked there.
    """
    if os.name == "nt":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError, ValueError, OverflowError):
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[-1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):  # no /proc (macOS): it exists, so it may still write
        return True
