"""Numba settings, in one place.

``MECC_NUMBA_CACHE=0`` turns the on-disk cache off (it is on by default so the command
line starts fast). ``fastmath`` is never used: its ``nnan``/``ninf`` flags would let
the compiler drop the NaN checks that keep "no hazard data" cells out of the sums.
Kernels are ``nogil`` so threads (and Dask workers) can run them side by side; they
are serial, and parallelism comes from blocks.
"""

from __future__ import annotations

import os

import numba

__all__ = ["CACHE", "jit"]

CACHE = os.environ.get("MECC_NUMBA_CACHE", "1").lower() not in {"0", "false", "no", "off"}


def jit(func=None, **overrides):
    """Compile ``func`` in nopython mode with the project's settings.

    Parameters
    ----------
    func : callable, optional
        The function to compile. When omitted, returns a decorator.
    **overrides
        Options passed on to :func:`numba.njit` (rarely needed).
    """
    options = {"cache": CACHE, "nogil": True, "fastmath": False, "error_model": "numpy"}
    options.update(overrides)
    if func is None:
        return numba.njit(**options)
    return numba.njit(**options)(func)
