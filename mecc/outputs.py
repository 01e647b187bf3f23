"""Writing run outputs: a staging folder renamed into place, CSV, JSON, GeoTIFF, NetCDF.

A run writes into a temporary sibling of its output folder and renames it into place
at the end, so a failed or interrupted run leaves nothing half-written, and an existing
run folder is replaced only when the caller asks for it (DESIGN.md, outputs).
Every CSV is UTF-8 with a byte-order mark so that spreadsheet programs open names in
French and Spanish correctly (readers use ``utf-8-sig``), its text cells safe to open in
a spreadsheet (:mod:`mecc.csv_files`, whose :func:`write_csv` and :func:`csv_text` are
re-exported here).

:class:`OutputFolder` never replaces the current folder, a file it is told to keep
(a run's inputs, :func:`files_named_by`) or a folder holding files that no command of mecc
wrote (:mod:`mecc.output_guard`, which also holds the marker :data:`OUTPUT_MARKER` and
:func:`made_by`, re-exported here), and :func:`write_problem` turns the system's
refusal to write (no space, no permission) into one line: not a bug. The guards of the
commands that read a finished run are in :mod:`mecc.run_folder`; the hidden folders a
killed command leaves (its staging folder, the earlier folder ``--overwrite`` had set
aside) are cleaned up, or put back, by the next command writing the same output
(:mod:`mecc.leftovers`).
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import re
import shutil
import sys
import uuid
from pathlib import Path

import numpy as np

from mecc.csv_files import csv_text, write_csv  # re-exported: the writers import them here
from mecc.errors import ConfigError, MeccError, OutputExistsError
from mecc.leftovers import (  # re-exported: the batch and cluster import them here
    discard_folder,
    old_name,
    process_alive,
    remove_abandoned,
    restore_replaced,
)
from mecc.output_guard import OUTPUT_MARKER, made_by, refuse_foreign, write_marker
from mecc.run_folder import is_run_folder  # the one rule of a finished run

__all__ = [
    "OUTPUT_MARKER",
    "OutputFolder",
    "made_by",
    "make_folder",
    "check_path_length",
    "process_alive",
    "remove_abandoned",
    "restore_replaced",
    "csv_text",
    "files_named_by",
    "shown_path",
    "staged_file",
    "write_csv",
    "write_json",
    "write_problem",
    "write_results_group",
]


class OutputFolder:
    """A staging folder that becomes ``target`` on :meth:`commit`.

    Parameters
    ----------
    target : path
        The run folder to create.
    overwrite : bool
        Replace an existing, non-empty ``target`` on commit. Without it an existing
        non-empty folder is refused at once, before any work; with it, a folder
        holding a file or folder that no command of mecc wrote (a QGIS project saved in
        a run folder: :func:`mecc.output_guard.foreign_files`) is refused on entering
        (once the caller has read its inputs, before the work) and again on commit.
    keep : iterable of path, optional
        Files that must survive (a run's run file and inputs): a ``target`` that is or
        holds one of them is refused, since committing replaces it as a whole.
    only_runs : bool
        With ``overwrite``, replace only an earlier run folder (one holding a
        ``manifest.json`` written by mecc); another non-empty folder is refused.
    command : str, optional
        The command writing the folder (``"map"``, ``"needs"``, ...): with ``overwrite``,
        replace only a folder this command wrote before (its :data:`OUTPUT_MARKER` names
        the command); another non-empty folder is refused. The marker, listing the files
        written, is written on :meth:`commit`. With neither ``only_runs`` nor
        ``command`` (a batch folder) the caller judges the folder's own files, and only
        the outputs of mecc in it are looked into.

    Notes
    -----
    A ``target`` that is or holds the current folder, or whose names are too long
    (:func:`check_path_length`), is refused. The system's refusal to write (no space,
    no permission, a name too long) is a one-line :class:`~mecc.errors.MeccError`
    (exit code 1) after the staging folder and the folders made for it are removed.
    """

    def __init__(
        self,
        target,
        overwrite: bool = False,
        *,
        keep=(),
        only_runs: bool = False,
        command: str | None = None,
    ):
        self.target = Path(target).absolute()
        if os.sep == "/" and "\\" in os.fspath(target):  # as typed (not the working folder)
            raise ConfigError(
                f"{target}: a backslash is not a folder separator on Linux and macOS (it "
                "would be part of the folder's name, which HDF5 cannot write into); use /"
            )
        try:  # HDF5 and GDAL take UTF-8 names (bytes such as 0xFF are kept as surrogates)
            os.fspath(self.target).encode("utf-8")
        except UnicodeEncodeError:
            shown = os.fsencode(self.target).decode("utf-8", "backslashreplace")
            raise ConfigError(
                f"{shown}: the output folder's path is not valid UTF-8, which the NetCDF and "
                "GeoTIFF writers require; choose or rename a folder with a UTF-8 name"
            ) from None
        check_path_length(self.target, _GEOPACKAGE.get("run" if only_runs else command))
        if self.target.is_symlink():  # a link to an earlier output: replace what it names
            self.target = self.target.resolve()  # (the link stays; it was left dangling)
        # first, what killed commands left: an earlier folder set aside, staging folders
        remove_abandoned(self.target)
        self.overwrite = overwrite
        self.command = command
        if self.target.exists() and not self.target.is_dir():
            raise OutputExistsError(f"{self.target}: exists and is not a folder")
        self._refuse_replacing(keep)
        if self._occupied() and not overwrite:
            raise OutputExistsError(
                f"{self.target}: folder exists and is not empty; use --overwrite to replace it"
            )
        if self._occupied() and only_runs and not is_run_folder(self.target):
            raise OutputExistsError(
                f"{self.target}: not a run folder of mecc (no manifest.json written by "
                "mecc run) and --overwrite replaces only an earlier run; choose a new "
                "folder or empty this one yourself"
            )
        if self._occupied() and command is not None and made_by(self.target) != command:
            raise OutputExistsError(
                f"{self.target}: not a folder `mecc {command}` wrote (it holds no "
                f"{OUTPUT_MARKER} of that command) and --overwrite replaces only an earlier "
                "output of the same command; choose a new folder or empty this one yourself"
            )
        # what the caller judged itself: a batch folder's own files (mecc.batch)
        self._trust_top = not only_runs and command is None
        self.path: Path | None = None

    def _refuse_replacing(self, keep) -> None:
        """Refuse a target whose replacement would delete the current folder or a kept file."""
        target = self.target.resolve()
        try:
            here = Path.cwd().resolve()
        except OSError:  # the current folder was deleted: nothing to protect
            here = None
        if here is not None and (target == here or target in here.parents):
            where = "is the current folder" if target == here else "holds the current folder"
            raise ConfigError(
                f"{self.target}: {where}; choose a new folder for the outputs (the output "
                "folder is replaced as a whole)"
            )
        for path in keep:
            path = Path(path).resolve()
            if target == path or target in path.parents:
                raise ConfigError(
                    f"{self.target}: holds {path.relative_to(target)}, a file this run "
                    "reads; choose another folder for the outputs (the output folder is "
                    "replaced as a whole)"
                )

    def _occupied(self) -> bool:
        return self.target.is_dir() and any(self.target.iterdir())

    def __enter__(self) -> Path:
        if self._occupied() and self.overwrite:  # never a file of the user's saved in it
            refuse_foreign(self.target, trust_top=self._trust_top)
        parent = self.target.parent  # the folders mkdir makes, deepest first
        self._made = [p for p in (parent, *parent.parents) if not os.path.lexists(p)]
        try:
            self.target.parent.mkdir(parents=True, exist_ok=True)
            self._remove_abandoned()
            name = f".{self.target.name}.partial-{os.getpid()}-{uuid.uuid4().hex[:8]}"
            self.path = self.target.parent / name
            self.path.mkdir()
        except OSError as error:
            raise (write_problem(error, self.target) or _unmakeable(error, self.target)) from None
        return self.path

    def _remove_abandoned(self) -> None:
        """Delete staging folders of this target left by killed runs
        (:func:`remove_abandoned`)."""
        remove_abandoned(self.target)

    def __exit__(self, exc_type, exc, tb):
        # a writer library's failure on a full disk (measured before the staged files go)
        named = _named_file(exc) if exc is not None else None
        ours = named is None or _inside(named, self.target.parent)  # not an input's failure
        full = ours and _writer_failure(exc) and _nearly_full(self.path)
        if exc_type is not None and self.path is not None and self.path.exists():
            shutil.rmtree(self.path, ignore_errors=True)
        with contextlib.suppress(OSError):  # the folders made for nothing, if empty
            for folder in getattr(self, "_made", []) if exc_type is not None else []:
                folder.rmdir()
        if full:
            raise MeccError(_WRITE_PROBLEMS[errno.ENOSPC].format(self.target)) from exc
        if ours:
            problem = write_problem(exc, self.target)
            if problem is not None:
                raise problem from exc
        return False

    def commit(self) -> Path:
        """Move the staged files into place (replacing an old run if allowed)."""
        if self._occupied() and not self.overwrite:
            shutil.rmtree(self.path, ignore_errors=True)
            raise OutputExistsError(
                f"{self.target}: folder appeared during the run; use --overwrite to replace it"
            )
        if self._occupied():  # a file of the user's saved in it during the run
            try:
                refuse_foreign(self.target, trust_top=self._trust_top)
            except OutputExistsError:
                shutil.rmtree(self.path, ignore_errors=True)
                raise
        old = None
        try:
            if self.command is not None:
                write_marker(self.path, self.command)
            if self.target.exists():
                old = old_name(self.target)  # put back by the next command if killed here
                self.target.rename(old)
            self.path.rename(self.target)
        except OSError as error:
            shutil.rmtree(self.path, ignore_errors=True)
            if old is not None and old.exists() and not self.target.exists():
                old.rename(self.target)  # the earlier folder stays as it was
            problem = write_problem(error, self.target)
            if problem is None:
                raise
            raise problem from error
        if old is not None:
            discard_folder(old)
        return self.target


@contextlib.contextmanager
def staged_file(path, *, replace: bool = True):
    """Write the file ``path`` whole or not at all, through a hidden file next to it.

    Yields ``.<name>.partial-<pid>-<hex>`` beside ``path`` (as :class:`OutputFolder`), a
    new name at each call: concurrent writers of one file never share a staging file, and
    the last to finish leaves its whole file. It is renamed onto ``path`` (``os.replace``)
    when the block ends without an exception, removed on any exception (Ctrl-C too).

    Parameters
    ----------
    path : path
        The file to write (its folder must exist).
    replace : bool
        False for a scratch file (a spool): removed when the block ends, never renamed.
    """
    path = Path(path)
    staging = path.with_name(f".{path.name}.partial-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        yield staging
        if replace:
            os.replace(staging, path)
    finally:
        with contextlib.suppress(OSError):
            staging.unlink(missing_ok=True)


def _inside(path, folder: Path) -> bool:
    path, folder = Path(path).absolute(), Path(folder).absolute()
    return path == folder or folder in path.parents


# --- the guards of writing: a run's own files, the system's refusals -------------


def files_named_by(data, base_dir) -> list[Path]:
    """The existing files a run file names: every text value, relative to ``base_dir``.

    Used to keep a run from replacing its own inputs (:class:`OutputFolder` ``keep``);
    a value that names no file (an id, a curve name) is left out.
    """
    found, stack = [], [data]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list | tuple):
            stack.extend(value)
        elif isinstance(value, str) and value.strip() and "\n" not in value:
            path = Path(base_dir) / value
            try:
                if path.is_file():
                    found.append(path)
            except (OSError, ValueError):  # not a possible file name
                continue
    return found


_WRITE_PROBLEMS = {
    errno.ENAMETOOLONG: "cannot write to {} (a file name or path is too long for the file "
    "system); choose a shorter --out",
    errno.ENOSPC: "no space left on device writing {}",
    errno.EDQUOT: "no space left on device writing {} (disk quota exceeded)",
    errno.EACCES: "cannot write to {} (permission denied)",
    errno.EPERM: "cannot write to {} (permission denied)",
    errno.EROFS: "cannot write to {} (read-only file system)",
}
_STRERRORS = {os.strerror(code): code for code in _WRITE_PROBLEMS}
# a staging name: staged_file's and OutputFolder's, and older versions' (name.partial, ...)
_STAGED_NAME = re.compile(r"\.?(?P<name>.+?)\.partial(?:-[0-9a-f]+)*")


def write_problem(error, where=None) -> MeccError | None:
    """The system's refusal to write, as a one-line error; None for any other error.

    No space left on the device, no permission and a read-only file system are
    problems of the machine, not bugs in mecc: they are reported in one line with exit
    code 1 (``cli.py`` maps every command's errors with this).

    Parameters
    ----------
    error : Exception
        An ``OSError`` (or a rasterio error that quotes the system's reason).
    where : path, optional
        The output being written (default: the file the error names, a staging file
        shown as the file it stands for).
    """
    if isinstance(error, MeccError) or not (
        isinstance(error, OSError) or type(error).__module__.startswith("rasterio")
    ):
        return None
    code = getattr(error, "errno", None)
    if code not in _WRITE_PROBLEMS:
        code = next((c for text, c in _STRERRORS.items() if text in str(error)), None)
    if code is None:
        return None
    named = _named_file(error)
    unreadable = named and os.path.isfile(named) and not os.access(named, os.R_OK)
    if where is None and unreadable and code in (errno.EACCES, errno.EPERM):
        return MeccError(f"cannot read {named} (permission denied)")
    if where is None:
        where = _unstaged(named) if named else "the output"
    return MeccError(_WRITE_PROBLEMS[code].format(where))


_STAGING_EXTRA = len("..partial-") + 7 + len("-") + 8  # .<name>.partial-<pid>-<hex>
_INSIDE = 64  # bytes of the paths mecc writes inside (run/zones.gpkg, *.partial files)
SQLITE_PATH_MAX = 512 - len("-journal")  # SQLite opens a file whose journal's path fits 512
_GEOPACKAGE = {"run": "zones.gpkg", "demo": ".run.partial-0000000-00000000/zones.gpkg"}


def check_path_length(target, geopackage: str | None = None) -> None:
    """Refuse an output folder whose names are longer than the file system allows.

    Checked before any work: each new folder's name (the output folder's with its
    staging name) against ``PC_NAME_MAX`` of the nearest existing folder, the path of
    the files written into it against ``PC_PATH_MAX`` and, given ``geopackage`` (the
    path in the folder of the GeoPackage written, e.g. a run's ``zones.gpkg``), the
    GeoPackage's path against SQLite's :data:`SQLITE_PATH_MAX`.

    Raises
    ------
    mecc.errors.ConfigError
        Naming the folder and the limit (exit code 2).
    """
    target = Path(os.path.abspath(target))
    base = next((p for p in target.parents if os.path.isdir(p)), None)
    if base is None or not hasattr(os, "pathconf"):
        return  # nothing to ask the file system (or Windows): the writers say it
    try:
        name_max, path_max = os.pathconf(base, "PC_NAME_MAX"), os.pathconf(base, "PC_PATH_MAX")
    except (OSError, ValueError):
        name_max, path_max = 255, 4096
    new = target.relative_to(base).parts
    for k, part in enumerate(new):
        room = name_max - (_STAGING_EXTRA if k == len(new) - 1 else 0)  # .<name>.partial-...
        if (size := len(os.fsencode(part))) > room:
            more = f"; mecc writes it under a name {_STAGING_EXTRA} bytes longer"
            more, room = (more, room) if size <= name_max else ("", name_max)
            raise ConfigError(
                f"{target}: the folder name {part[:20]}...{part[-8:]} is {size} bytes long, "
                f"more than {room} (the file system allows {name_max} in a name{more}); "
                "choose a shorter --out"
            )
    staged = os.path.join(os.path.realpath(base), *new[:-1], "." + new[-1] + "x" * 25)
    size = len(os.fsencode(staged))
    if size + 1 + _INSIDE >= path_max:
        raise ConfigError(
            f"{target}: the path is {size} bytes long while mecc writes it, and the files in "
            f"it would pass the {path_max} bytes the file system allows; choose a shorter --out"
        )
    most = SQLITE_PATH_MAX - _STAGING_EXTRA - len("/" + (geopackage or ""))
    if geopackage and size - _STAGING_EXTRA > most:
        raise ConfigError(
            f"{target}: the path is {size - _STAGING_EXTRA} bytes long (links resolved); a "
            f"folder's may have {most}, for SQLite to open the zones.gpkg mecc writes in "
            "it; choose a shorter --out"
        )


def make_folder(folder) -> Path:
    """``folder`` made with its parents (kept if it exists); the system's refusal (a file
    where a folder must be, no permission, no space) is one line, exit 1."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise (write_problem(error, folder) or _unmakeable(error, folder.absolute())) from None
    return folder


def _unmakeable(error: OSError, target: Path) -> MeccError:
    """Why the output folder ``target`` cannot be made (a file where a folder must be,
    a folder that takes no new folders: ``/proc``), as one line."""
    found = next((p for p in (target, *target.parents) if os.path.lexists(p)), None)
    if found is not None and not found.is_dir():
        why = f"{found} is a file, not a folder" if found.is_file() else f"{found} is not a folder"
    else:
        reason = (error.strerror or str(error)).lower()
        why = f"no folder can be made in {found or target.parent} ({reason})"
    return MeccError(f"{target}: cannot make the output folder: {why}; choose another --out")


# errors of the libraries that write the outputs that do not quote the system's reason
_WRITER_MODULES = ("rasterio", "pyogrio", "fiona", "netCDF4", "h5py")
_NEARLY_FULL = 1 << 20
"""Free bytes below which a writer's failure is taken for a full disk: a write that
fails for want of space fills the disk first (what fits is written), so the space left
is less than a block or two, not a megabyte."""


def _writer_failure(error) -> bool:
    """True for a writer library's failure that does not say why (netCDF4's
    ``RuntimeError: NetCDF: HDF error``, pyogrio's ``Failed to commit transaction``),
    or says another reason (netCDF4 reports a file HDF5 cannot create on a full disk as
    ``Permission denied``, in the staging folder mecc has just made)."""
    if error is None or isinstance(error, MeccError):
        return False
    if isinstance(error, PermissionError):
        return True
    module = type(error).__module__.split(".")[0]
    if module in _WRITER_MODULES:
        return True
    return isinstance(error, RuntimeError | OSError) and "NetCDF: " in str(error)


def _nearly_full(folder) -> bool:
    """True if the file system holding ``folder`` has (almost) no space left for us."""
    try:
        return folder is not None and shutil.disk_usage(folder).free < _NEARLY_FULL
    except (OSError, ValueError):
        return False


def _named_file(error) -> str | None:
    """The file an error is about: its ``filename``, or the first quoted path it names."""
    named = getattr(error, "filename", None)
    if named is not None:
        return os.fsdecode(named) if isinstance(named, bytes | os.PathLike) else str(named)
    quoted = re.search(r"'([^']+)'", str(error))
    return quoted.group(1) if quoted and os.sep in quoted.group(1) else None


def shown_path(path) -> str:
    """A path in a staging folder as it will be once in place (every part unstaged)."""
    return str(Path(*(_unstaged(part) for part in Path(path).parts)))


def _unstaged(name: str) -> str:
    """``dir/.out.partial-123-abc`` or ``dir/map.html.partial``: the file it stands for."""
    path = Path(name)
    staged = _STAGED_NAME.fullmatch(path.name)
    return str(path.with_name(staged.group("name"))) if staged else name


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_jsonable(v) for v in value.tolist()]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        value = float(value)
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def write_json(data, path) -> None:
    """Write JSON (UTF-8, NaN as null, keys in the given order)."""
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(_jsonable(data), handle, indent=1, ensure_ascii=False, allow_nan=False)
        handle.write("\n")


def write_results_group(dataset, path, group=None, encoding=None) -> None:
    """Write an xarray Dataset into results.nc (NetCDF-4), compressed (zlib level 4).

    Without ``group`` the file is created with the root group; with it the group is
    added to the existing file. ``encoding`` adds to (or overrides) each variable's
    compression, e.g. ``{"intensity": {"dtype": "float32"}}``.
    """
    compressed = {"zlib": True, "complevel": 4}
    extra = encoding or {}
    with _no_client_probe():
        dataset.to_netcdf(
            path,
            mode="a" if group else "w",
            group=group,
            engine="netcdf4",
            encoding={name: {**compressed, **extra.get(name, {})} for name in dataset.data_vars},
        )


@contextlib.contextmanager
def _no_client_probe():
    """Spare ``to_netcdf`` importing dask.distributed only to find no client running.

    xarray asks Dask which scheduler is active, and both import dask.distributed to
    compare it with a running ``Client`` (0.4 s of every run on the bench machine, for
    in-memory data). A client can exist only once distributed has been imported, so
    until then the import is answered "not installed", which both treat as no client.
    """
    names = ("distributed", "dask.distributed")
    if any(name in sys.modules for name in names):
        yield
        return
    for name in names:
        sys.modules[name] = None
    try:
        yield
    finally:
        for name in names:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]
