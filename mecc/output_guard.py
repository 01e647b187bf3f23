"""What ``--overwrite`` may delete: the files mecc wrote in an output folder, and no other.

``--overwrite`` replaces an output folder as a whole (:class:`mecc.outputs.OutputFolder`),
so a file of the user's saved in it (a QGIS project next to a run's zones.gpkg, notes)
would be deleted with it. :func:`foreign_files` is the one rule of what mecc wrote in a
folder, from what the folder records:

- a run folder (:func:`mecc.run_folder.is_run_folder`): the names every run may write,
  :data:`mecc.run_folder.RUN_OUTPUTS`;
- the output folder of another command: the files its marker :data:`OUTPUT_MARKER` lists
  (:func:`write_marker` lists every file the command wrote, in subfolders too); a marker
  written before it had a list (or a batch's, whose top level :mod:`mecc.batch` judges)
  cannot tell, and only the outputs of mecc inside the folder are looked into;
- in any of them, a subfolder that another command of mecc wrote later (``mecc map
  demo-output/run --out demo-output/map``) is judged by its own record, and a training
  pack by its builder (``training_modules.pack.refuse_losing_work``: the participants'
  answer sheets), which ``mecc training build`` and ``mecc demo`` ask before replacing it.

Always mecc's: the marker, hidden staging folders and files of killed runs
(``.<name>.partial-<pid>-<hex>``, ``.<name>.old-<pid>-<hex>``), empty folders, a file
manager's own files (``.DS_Store``), an office suite's lock files (``~$sendai.xlsx``)
and what GIS programs add beside a file mecc wrote (``displaced.tif.aux.xml``,
``zones.gpkg-wal``). :func:`refuse_foreign` turns what
is left into one line, exit code 2.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from mecc.errors import OutputExistsError
from mecc.run_folder import RUN_OUTPUTS, is_run_folder

__all__ = [
    "OUTPUT_MARKER",
    "files_in",
    "foreign_files",
    "made_by",
    "refuse_foreign",
    "write_marker",
]

OUTPUT_MARKER = ".mecc-output.json"
"""Written into the output folder of every command but ``mecc run`` (whose folders are
known by their manifest.json): the command that wrote it and the files it wrote, so
``--overwrite`` replaces only that command's earlier output, never a folder of the
user's nor a file of the user's saved in it."""

IGNORED_FILES = (".DS_Store", "Thumbs.db", "desktop.ini")
"""Files a file manager leaves in folders it shows: never the user's work (nor the
participants', for the training pack's builder)."""

OFFICE_LOCKS = re.compile(r"~\$.+|\.~lock\..+#")
"""The lock files office suites leave beside a workbook they open (Excel's ``~$sendai.xlsx``,
LibreOffice's ``.~lock.sendai.xlsx#``): never the user's work."""

SIDECARS = (".aux.xml", ".ovr", "-wal", "-shm", "-journal")
"""What GDAL, QGIS and SQLite add beside a file they open (statistics, overviews, a
GeoPackage's journal): part of the file mecc wrote."""

OWN_GUARD = ("training build",)
"""Commands whose folders are judged by their own guard (the training pack's builder
keeps the participants' filled-in answer sheets and their files)."""

_LEFTOVER = re.compile(r"\..+\.(partial-\d+-[0-9a-f]{8}|old-(\d+-)?[0-9a-f]{8})")
"""Hidden staging or old folders and files of killed runs (``OutputFolder``'s and
``staged_file``'s names)."""
_OLD_STAGED = re.compile(r"\.?(?P<name>.+?)\.partial")
"""A file staged by older versions (``map.html.partial``): mecc's if the file is."""
_SKIP = frozenset({"\0skip"})


def write_marker(folder, command: str) -> None:
    """Write the marker of ``command`` into ``folder``, listing every file in it."""
    from mecc import __version__

    folder = Path(folder)
    files = sorted({*files_in(folder), OUTPUT_MARKER})
    marker = {"created_by": f"mecc {__version__}", "command": command, "files": files}
    (folder / OUTPUT_MARKER).write_text(json.dumps(marker), encoding="utf-8")


def files_in(folder) -> list[str]:
    """Every file under ``folder``, relative and ``/``-separated (links not followed)."""
    found = []
    for root, _dirs, names in os.walk(folder):
        for name in names:
            found.append((Path(root) / name).relative_to(folder).as_posix())
    return sorted(found)


def made_by(folder) -> str | None:
    """The mecc command that wrote ``folder``: its marker, ``"run"`` for a run folder,
    ``"demo"`` for a demo folder made before markers; None for anything else."""
    marker = _marker(folder)
    if marker is not None:
        return str(marker.get("command"))
    if is_run_folder(Path(folder)):
        return "run"
    if is_run_folder(Path(folder) / "run") and (Path(folder) / "inputs" / "run.yaml").is_file():
        return "demo"
    return None


def _marker(folder) -> dict | None:
    """The marker of ``folder`` if mecc wrote it, else None."""
    try:
        marker = json.loads((Path(folder) / OUTPUT_MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if isinstance(marker, dict) and str(marker.get("created_by", "")).startswith("mecc"):
        return marker
    return None


def foreign_files(folder, *, trust_top: bool = False) -> list[str]:
    """The files and folders in ``folder`` that no command of mecc wrote (see the module).

    Parameters
    ----------
    folder : path
        An output folder of mecc that ``--overwrite`` would replace.
    trust_top : bool
        The caller has judged the folder's own files (a batch folder:
        :mod:`mecc.batch`); only the outputs of mecc inside it are looked into.

    Returns
    -------
    list of str
        Paths relative to ``folder``, ``/``-separated, sorted; a folder of which nothing
        is mecc's is named once, ending in ``/``.
    """
    return _foreign(Path(folder), frozenset(), trusted=trust_top)


def refuse_foreign(folder, *, trust_top: bool = False) -> None:
    """Refuse (one line, exit code 2) to replace ``folder`` while it holds files that no
    command of mecc wrote (:func:`foreign_files`); nothing is touched."""
    found = foreign_files(folder, trust_top=trust_top)
    if not found:
        return
    shown = ", ".join(found[:2]) + (f" and {len(found) - 2} more" if len(found) > 2 else "")
    them = "it" if len(found) == 1 else "them"
    raise OutputExistsError(
        f"{folder}: holds {shown}, which no run of mecc wrote, and --overwrite replaces the "
        f"folder as a whole; move {them} out of the folder or choose another --out"
    )


def _recorded(folder: Path) -> frozenset | None:
    """The paths (relative) the folder's record says mecc wrote; None when it cannot
    tell (a marker without a list, a demo folder made before markers); :data:`_SKIP`
    for a folder judged by its own guard (:data:`OWN_GUARD`)."""
    marker = _marker(folder)
    if marker is not None:
        if marker.get("command") in OWN_GUARD:
            return _SKIP
        files = marker.get("files")
        if isinstance(files, list) and all(isinstance(f, str) for f in files):
            return frozenset(files) | {OUTPUT_MARKER}
        return None
    if is_run_folder(folder):
        return RUN_OUTPUTS
    return None if made_by(folder) is not None else frozenset()


def _foreign(folder: Path, inherited: frozenset, trusted: bool = False) -> list[str]:
    record = None if trusted else _recorded(folder)
    if record is _SKIP:
        return []
    allowed = inherited | (record or frozenset())
    try:
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda e: e.name)
    except OSError:  # cannot be read: nor told to be mecc's
        return [""]
    found: list[str] = []
    for entry in entries:
        name = entry.name
        if name in IGNORED_FILES or _LEFTOVER.fullmatch(name) or OFFICE_LOCKS.fullmatch(name):
            continue
        if not entry.is_dir(follow_symlinks=False):
            if record is None or _ours(name, allowed):
                continue
            found.append(name)
            continue
        below = frozenset(p[len(name) + 1 :] for p in allowed if p.startswith(name + "/"))
        if made_by(entry.path) is None and not below:
            if record is None or _empty(entry.path):
                continue  # cannot tell (an older marker), or an empty folder
            found.append(name + "/")
            continue
        found += [f"{name}/{inner}" for inner in _foreign(Path(entry.path), below)]
    return found


def _empty(folder) -> bool:
    try:
        with os.scandir(folder) as entries:
            return next(entries, None) is None
    except OSError:
        return False


def _ours(name: str, allowed: frozenset) -> bool:
    """Whether the file ``name`` is one mecc wrote (or a GIS program's file beside it)."""
    if name in allowed:
        return True
    if any(name.endswith(s) and name[: -len(s)] in allowed for s in SIDECARS):
        return True
    staged = _OLD_STAGED.fullmatch(name)
    return staged is not None and staged.group("name") in allowed
