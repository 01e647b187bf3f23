"""The curve columns of the Sendai tables: ``curve``, ``confidence`` and ``parameters``.

One set per hazard and kind of figure (displacement, damage states, exposure, deaths,
planned relocation), read from the hazard's record in results.nc (group ``sendai``,
attribute ``metadata``: :mod:`mecc.sendai_store`). A combined hazard (``components:``)
names every component's curve and the combine rule in ``curve``
(``tc_emanuel_tau_wp1 + flood_step_1m (independent)``), takes the lowest evidence grade
of its components as ``confidence`` (ungraded if one is), and lists each component's
curve, grade and exposure threshold and the combine formula in ``parameters``.
"""

from __future__ import annotations

from mecc.sendai_text import CONFIDENCE

__all__ = ["curve_columns"]


def curve_columns(record: dict, which: str) -> dict:
    """The ``curve``, ``confidence`` and ``parameters`` (and for deaths ``notes``) of
    the rows of one hazard.

    Parameters
    ----------
    record : dict
        The hazard's record of the Sendai metadata.
    which : {"displacement", "damage", "exposure", "fatality", "relocation"}

    Returns
    -------
    dict
    """
    unit = record.get("unit") or ""
    parts = record.get("components") or []
    if which == "damage":
        curves = record.get("damage_curve") or {}
        central = [c for key, c in sorted(curves.items()) if key.endswith(":central")]
        return {
            "curve": "; ".join(c["name"] for c in central),
            "confidence": CONFIDENCE.get(central[0].get("evidence") if central else None),
            "parameters": "damage states exclusive by construction",
        }
    if which == "fatality":
        model = record.get("fatality_model") or {}
        country = (record.get("curve") or {}).get("calibration_country")
        return {
            "curve": model.get("name", ""),
            "confidence": CONFIDENCE.get((record.get("curve") or {}).get("evidence")),
            "parameters": f"fatality model calibrated for {country}"
            if country
            else "fatality model coefficients given in the run file",
            "notes": "modelled deaths; A-3 (missing persons) is not modelled",
        }
    if which == "exposure":
        threshold = (
            " or ".join(f"{_threshold(p)} ({p['type']})" for p in parts)
            if parts
            else f"{record['exposure_threshold']:g} {unit}".strip()
        )
        return {
            "curve": f"exposure threshold {threshold}",
            "confidence": "not graded (people exposed x per-zone share)",
            "parameters": "per-zone share of people whose livelihood the hazard disrupts",
        }
    if which == "relocation":
        return {
            "curve": (
                "connected inundation: DEM below high tide + sea-level rise, on cells "
                "connected to the sea (no bathtub over closed depressions; Poulter and "
                "Halpin 2008)"
            ),
            "confidence": "not graded (no curve)",
            "parameters": str(record.get("water_level") or ""),
        }
    curve = record.get("curve") or {}
    parameters = f"exposure threshold {record['exposure_threshold']:g} {unit}".strip()
    if parts and curve.get("components"):
        parameters = _combined_parameters(curve, parts)
    return {
        "curve": curve.get("name", ""),
        "confidence": CONFIDENCE.get(curve.get("evidence")),
        "parameters": parameters,
    }


def _threshold(part: dict) -> str:
    return f"{part['exposure_threshold']:g} {part.get('unit') or ''}".strip()


def _combined_parameters(curve: dict, parts: list) -> str:
    """``components: tc_emanuel_tau_wp1 (tropical_cyclone, grade B, exposure threshold
    17.5 m/s); ...; shares combined per cell as 1 - prod(1 - share) (independent) ...``."""
    listed = "; ".join(
        f"{c['name']} ({p['type']}, grade {c.get('evidence') or 'none (user curve)'}, "
        f"exposure threshold {_threshold(p)})"
        for c, p in zip(curve["components"], parts, strict=True)
    )
    return (
        f"components: {listed}; shares combined per cell as {curve['rule']} "
        f"({curve['combine']}), never added; confidence: the lowest grade of the components"
    )
