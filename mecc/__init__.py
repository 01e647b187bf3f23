"""MECC toolkit: disaster-displacement risk and capacity building.

The package stays light at import time: no heavy imports, no files written. Import the
modules you need (``mecc.engine``, ``mecc.risk``, ``mecc.run``) directly.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mecc")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = ["__version__"]
