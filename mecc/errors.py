"""Errors and warnings raised by the toolkit.

Every error derives from :class:`MeccError` and from the built-in exception that
matches it, so callers can catch either. Each class carries the process exit code
the command line maps it to (the run contract in DESIGN.md):

- 1: bad data (a file or value that cannot be used),
- 2: bad usage (options, configuration syntax, unknown keys),
- 3: internal error (a bug; never raised on purpose).
"""

from __future__ import annotations

__all__ = [
    "AlignmentError",
    "ConfigError",
    "CurveError",
    "DataError",
    "DuplicateZoneCodeError",
    "InputFileError",
    "MeccError",
    "MeccWarning",
    "MissingCRSError",
    "NoOverlapError",
    "OutputExistsError",
    "ResamplingWarning",
    "UnsupportedKeyError",
]

EXIT_BAD_DATA = 1
EXIT_BAD_USAGE = 2
EXIT_INTERNAL = 3


class MeccError(Exception):
    """Root of every error the toolkit raises on purpose."""

    exit_code = EXIT_BAD_DATA


class DataError(MeccError, ValueError):
    """An input file or value cannot be used (exit code 1)."""


class InputFileError(MeccError, OSError):
    """An input file is missing, unreadable or corrupt (exit code 1)."""


class MissingCRSError(DataError):
    """A raster or vector layer has no coordinate reference system."""


class NoOverlapError(DataError):
    """Two layers that must overlap do not (different places or CRS mix-up)."""


class AlignmentError(DataError):
    """Grids cannot be aligned (rotated transforms, unsupported resampling)."""


class DuplicateZoneCodeError(DataError):
    """Two admin units of one level share a code."""


class CurveError(DataError):
    """A displacement curve is malformed (non-monotone intensity, share outside [0, 1])."""


class ConfigError(MeccError, ValueError):
    """The run file is malformed: YAML syntax, unknown keys, wrong types (exit code 2)."""

    exit_code = EXIT_BAD_USAGE


class UnsupportedKeyError(ConfigError):
    """A documented run-file key that this version does not implement yet."""


class OutputExistsError(MeccError, FileExistsError):
    """The output folder holds a previous run and ``overwrite`` was not requested."""

    exit_code = EXIT_BAD_USAGE


class MeccWarning(UserWarning):
    """Root of the toolkit's warnings; runs record each in manifest.json."""


class ResamplingWarning(MeccWarning):
    """Population totals changed while resampling onto the analysis grid."""
