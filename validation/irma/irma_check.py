"""Hurricane Irma (2017): the cyclone generator's peak wind against NOAA's best track.

    python validation/irma/irma_check.py ../shared/data/tracks/irma_2017.csv [OUT_DIR]

prints the tables of validation/irma/README.md and, with ``OUT_DIR``, writes
``irma_times.csv`` there (one row per hurricane-stage time). Every figure comes from the
toolkit (:mod:`hazards.cyclone`) run on the track; tests/test_irma_validation_s33.py checks
that the README shows what this prints, and checks the feasibility figures again from the
CSV with closed forms that do not use the toolkit.

Two things are computed at each best-track time with ``vmax_kt >= 64`` (the hurricane
stage):

- the **model**: the toolkit's default field (Holland 1980 profile, Holland 2008 surface
  peak from pressure, surface factor 0.9, motion as CLIMADA's "H08"), its peak 1-minute
  wind found on rings of 0.5-2 R_max every 2 degrees of azimuth, against ``vmax_kt``;
- the **admissible B**: the gradient-level Holland B, within Holland's (1980) range
  [1, 2.5], for which the profile's peak (surface factor 0.9, the track's pressures, radius
  and latitude) lies within 10 % of ``vmax_kt``. Two ways of adding the motion bound every
  model of the issue's family: ``at R_max: none`` (Holland 2008's peak already includes
  the motion, as the default model does) and ``full`` (the translation speed added at
  R_max, CLIMADA's "H1980"). A time whose interval is empty under a treatment cannot be
  met by any B there.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from hazards.cyclone import (
    SURFACE_FACTOR,
    holland_gradient_wind,
    node_peak,
    read_track,
    storm_nodes,
)

KNOT = 1852.0 / 3600.0
B_RANGE = (1.0, 2.5)
B_STEP = 0.005
TOLERANCE = 0.10
HURRICANE_KT = 64
MOTIONS = {"none": 0.0, "full": 1.0}


def profile_peaks(node, b_values: np.ndarray, motion: float) -> np.ndarray:
    """Peak surface wind (m/s) for each gradient B: ``f V_g(r) + motion v_t min(1, R/r)``."""
    r = node.rmax_m * np.linspace(0.3, 4.0, 1500)
    gradient = holland_gradient_wind(
        r[None, :], node.rmax_m, b_values[:, None], node.dp_hpa * 100.0, node.lat
    )
    added = motion * node.vt_ms * np.minimum(1.0, node.rmax_m / r)
    return (SURFACE_FACTOR * gradient + added[None, :]).max(axis=1)


def _interval(b_values, peaks, observed):
    inside = np.abs(peaks / observed - 1.0) <= TOLERANCE + 1e-12
    if not inside.any():
        return np.nan, np.nan
    return float(b_values[inside].min()), float(b_values[inside].max())


def hurricane_times(track_csv) -> pd.DataFrame:
    """One row per hurricane-stage time: the track's inputs, the model and the B intervals."""
    track = read_track(track_csv)
    nodes = storm_nodes(track)
    at = np.flatnonzero(np.isin(nodes.hours, track.hours))
    b_values = np.round(np.arange(B_RANGE[0], B_RANGE[1] + B_STEP / 2, B_STEP), 6)
    rows = []
    for k, i in enumerate(at):
        observed_kt = float(track.vmax_kt.iat[k])
        if observed_kt < HURRICANE_KT:
            continue
        node = nodes.iloc[i]
        observed = observed_kt * KNOT
        modelled = node_peak(nodes, i)[0]
        row = {
            "time_utc": node.time_utc.strftime("%Y-%m-%d %H"),
            "lat": node.lat,
            "lon": node.lon,
            "pressure_hpa": node.pressure_hpa,
            "dp_hpa": node.dp_hpa,
            "rmax_nmi": node.rmax_m / 1852.0,
            "translation_ms": node.vt_ms,
            "observed_kt": observed_kt,
            "modelled_kt": modelled / KNOT,
            "error": modelled / observed - 1.0,
            "b_model": node.b_gradient,
        }
        for name, motion in MOTIONS.items():
            low, high = _interval(b_values, profile_peaks(node, b_values, motion), observed)
            row[f"b_low_motion_{name}"], row[f"b_high_motion_{name}"] = low, high
        rows.append(row)
    return pd.DataFrame(rows)


def contradicting_pair(times: pd.DataFrame, motion: str = "none"):
    """Two times with the same R_max and central pressures within 2 hPa whose admissible
    B intervals do not meet; the pair with the widest gap (None if there is none)."""
    low, high = times[f"b_low_motion_{motion}"], times[f"b_high_motion_{motion}"]
    best = None
    for i in times.index:
        for j in times.index:
            same = abs(times.rmax_nmi[i] - times.rmax_nmi[j]) < 0.01
            close = abs(times.pressure_hpa[i] - times.pressure_hpa[j]) <= 2.0
            gap = low[i] - high[j]
            if same and close and gap > 0 and (best is None or gap > best[2]):
                best = (i, j, gap)
    return best


def summary_rows(times: pd.DataFrame) -> list[str]:
    """The README's summary table (Markdown rows)."""
    error = times.error
    within = int((error.abs() <= TOLERANCE).sum())
    empty = {m: times[f"b_low_motion_{m}"].isna() for m in MOTIONS}
    rows = [
        ("hurricane-stage times (vmax >= 64 kt)", f"{len(times)}"),
        ("default model within 10 % of vmax", f"{within} of {len(times)}"),
        (
            "default model error: mean (min to max)",
            f"{error.mean():+.1%} ({error.min():+.1%} to {error.max():+.1%})",
        ),
        ("default model mean absolute error", f"{error.abs().mean():.1%}"),
    ]
    for name in MOTIONS:
        label = f"times no B in [1, 2.5] can meet, motion at R_max: {name}"
        shown = ", ".join(times.time_utc[empty[name]]) or "none"
        rows.append((label, f"{int(empty[name].sum())} ({shown})"))
    return [f"| {a} | {b} |" for a, b in rows]


def pair_rows(times: pd.DataFrame) -> list[str]:
    """The README's table of the contradicting pair (Markdown rows)."""
    found = contradicting_pair(times)
    if found is None:
        return []
    rows = []
    for k in found[:2]:
        t = times.loc[k]
        rows.append(
            f"| {t.time_utc} UTC | {t.lat:.1f} | {t.pressure_hpa:.0f} | {t.rmax_nmi:.0f} | "
            f"{t.observed_kt:.0f} | {t.b_low_motion_none:.2f} to {t.b_high_motion_none:.2f} |"
        )
    return rows


def time_rows(times: pd.DataFrame) -> list[str]:
    """The README's per-time table (Markdown rows)."""

    def interval(t, motion):
        low = t[f"b_low_motion_{motion}"]
        return "none" if np.isnan(low) else f"{low:.2f}-{t[f'b_high_motion_{motion}']:.2f}"

    return [
        f"| {t.time_utc} | {t.lat:.1f} | {t.pressure_hpa:.0f} | {t.rmax_nmi:.0f} | "
        f"{t.observed_kt:.0f} | {t.modelled_kt:.0f} | {t.error:+.0%} | {t.b_model:.2f} | "
        f"{interval(t, 'none')} | {interval(t, 'full')} |"
        for _, t in times.iterrows()
    ]


def main(argv: list[str]) -> int:
    if len(argv) not in (1, 2):
        print(__doc__.split("\n\n")[1].strip(), file=sys.stderr)
        return 2
    times = hurricane_times(argv[0])
    if len(argv) == 2:
        out = Path(argv[1])
        out.mkdir(parents=True, exist_ok=True)
        times.to_csv(out / "irma_times.csv", index=False, float_format="%.4f")
    for block in (summary_rows(times), pair_rows(times), time_rows(times)):
        print("\n".join(block), end="\n\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
