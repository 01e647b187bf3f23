"""Exposure sources: population grids and admin zones (mobility layers join them later).

Modules here depend only on ``mecc.errors``, ``mecc.grid`` and ``mecc.kernels``.
"""
