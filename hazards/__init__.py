"""Hazard sources: the catalogue of hazard types, displacement curves and hazard readers.

Modules here depend only on ``mecc.errors``, ``mecc.grid`` and ``mecc.kernels``.
"""
