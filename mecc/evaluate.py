"""Compare a finished run with observed figures per zone: the tool behind ``mecc evaluate``.

``evaluate_run(RUN_DIR, OBSERVED.csv, OUT_DIR, ...)`` reads the run's per-zone figures
(``zones.csv``, finest admin level, one scenario hazard) and an observed table (zone code,
value, and what the value measures), and writes to its own folder (never into the run):

- ``evaluation.html`` — self-contained, offline: figures, plot, residual map, definitions,
  sources (methods and data, from the run's records and ``observed_source``);
- ``evaluation.csv`` — one row per observed zone (UTF-8 with a byte-order mark);
- ``evaluation.json`` — every statistic (what tests and the README read);
- ``scatter.png`` — modelled against observed, log axes, 1:1 line (with the figure
  compared, labelled a proxy where it is one, and the sources);
- ``residuals.geojson`` — log10(modelled / observed) per zone, for a map.

Rules (stated in the report too):

- Statistics use the **observed zones only**. A zone missing from the observed file was
  *not reported*; it is never counted as an observed zero. Zeros in the file are zeros.
- Duplicate codes in the observed file are summed, with a warning; blank values are
  dropped as not reported; codes that match no zone of the run (e.g. a ``TOTAL`` row) are
  listed and count nowhere, not in the observed national total either.
- A zone that received no cell of the run's grid has no modelled figure (``zones.csv``
  leaves it blank: not known, not 0): an observed one is left out of the statistics and
  of the like-for-like national totals, and counted as such.
- Houses (:mod:`mecc.evaluate_measures`): with the run's damage states (``damage_curve``),
  ``damaged_houses`` compares with its dwellings damaged but not destroyed (Sendai B-3a) and
  ``destroyed_houses`` with its destroyed dwellings (B-4a), per zone; without them,
  ``destroyed_houses`` compares with displaced people / ``--household-size``, labelled a
  proxy, and ``damaged_houses`` is refused. The report states the figure compared.
- Per-zone agreement (:mod:`mecc.evaluate_stats`): Pearson correlation of
  log(1 + value), Spearman rank correlation (average ranks for ties), bias as the median
  over zones of (1 + modelled) / (1 + observed), and hits / misses / false alarms at a
  stated threshold above 0 (an event is a value at or above it). Zones that are 0 in both are counted and stated, but
  left out of the correlations and the median ratio (their ties and ratios of exactly 1
  would flatter any model); they stay in the hit / miss table.
- National totals (:mod:`mecc.evaluate_summary`): like with like. Without
  ``--national-observed``, the modelled total over the observed zones against the sum of
  their rows (the whole run, with the outside bucket, when every zone is reported); with
  it, the whole run against that figure. With the range of the curve variants when the
  hazard has them (its ``_low``/``_high`` figures in ``zones.csv``; a hazard whose curve
  has none has no range, even where other hazards of the run fill those columns); a
  curve with one variant only has the central figure as the range's other end.
"""

from __future__ import annotations

import json
import math
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from mecc.errors import ConfigError, DataError, MeccWarning, read_input_table
from mecc.evaluate_measures import MEASURES, modelled_measure, with_both_ends
from mecc.evaluate_stats import compare, pearson, spearman
from mecc.evaluate_summary import (
    check_national_observed,
    check_threshold,
    national_totals,
    parse_context,
    scatter_png,
)

__all__ = [
    "MEASURES",
    "EvaluationResult",
    "ObservedTable",
    "compare",
    "evaluate_run",
    "pearson",
    "read_observed",
    "read_run_figures",
    "spearman",
]

VARIANTS = ("central", "low", "high")
OUTSIDE_CODE = "__outside__"


# ---------------------------------------------------------------------- inputs


@dataclass
class ObservedTable:
    """An observed table: one value per zone code (duplicates summed)."""

    values: pd.Series
    path: str
    code_column: str
    value_column: str
    rows: int
    duplicates: dict = field(default_factory=dict)
    blank_rows: int = 0


def _did_you_mean(name, options) -> str:
    import difflib

    close = difflib.get_close_matches(str(name), [str(o) for o in options], n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def read_observed(
    path,
    *,
    code_column: str,
    value_column: str,
    measure: str | None = None,
    measure_column: str | None = None,
    notes: list | None = None,
) -> ObservedTable:
    """Read an observed table; duplicate codes are summed with a warning.

    With ``measure_column``, only the rows whose value there equals ``measure`` are kept.
    Blank values are dropped (not reported); non-numbers and values that are not counts
    (negative, infinite or fractional: houses and people are whole numbers) are errors
    naming the row and the value, and so is a file with no data rows or with every value
    blank.
    """
    notes = [] if notes is None else notes
    label = os.fspath(path)
    raw = read_input_table(label, "observed file", dtype=str, keep_default_na=False)
    for option, column in (
        ("--code-column", code_column),
        ("--value-column", value_column),
        ("--measure-column", measure_column),
    ):
        if column is not None and column not in raw.columns:
            raise ConfigError(
                f"{label}: {option}: no column {column!r}{_did_you_mean(column, raw.columns)}; "
                f"columns: {', '.join(raw.columns)}"
            )
    if raw.empty:
        raise DataError(f"{label}: the observed file has a header but no data rows")
    if measure_column is not None:
        kept = raw[measure_column].str.strip().str.lower() == str(measure).lower()
        if not kept.any():
            found = sorted(set(raw[measure_column].str.strip()))
            raise DataError(
                f"{label}: no row has {measure_column} = {measure!r} (values: {', '.join(found[:10])})"
            )
        raw = raw[kept]
    rows = len(raw)
    codes = raw[code_column].str.strip()
    text = raw[value_column].str.strip()
    blank = (text == "").to_numpy()
    if (codes == "").any():
        row = int(np.flatnonzero((codes == "").to_numpy())[0])
        raise DataError(f"{label}: column {code_column}: row {raw.index[row] + 2} has no code")
    values = pd.to_numeric(text.mask(blank), errors="coerce")
    bad = values.isna().to_numpy() & ~blank
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{label}: column {value_column}: row {raw.index[row] + 2}: "
            f"{raw[value_column].iloc[row]!r} is not a number"
        )
    number = values.to_numpy(np.float64, na_value=0.0)
    not_count = (number < 0) | ~np.isfinite(number) | (number != np.floor(number))
    if not_count.any():  # houses and people are whole numbers >= 0
        row = int(np.flatnonzero(not_count)[0])
        raise DataError(
            f"{label}: column {value_column}: row {raw.index[row] + 2}: "
            f"{raw[value_column].iloc[row].strip()!r} is not a count (a whole number >= 0)"
        )
    if blank.all():
        raise DataError(
            f"{label}: column {value_column}: every row is blank; no observed figure to compare"
        )
    if blank.any():
        message = (
            f"{label}: {int(blank.sum())} row(s) with a blank {value_column} were left out "
            "(not reported, not zero)"
        )
        warnings.warn(message, MeccWarning, stacklevel=2)
        notes.append(message)
    frame = pd.DataFrame({"code": codes[~blank], "value": values[~blank].astype(np.float64)})
    sizes = frame.groupby("code", sort=False).size()
    duplicates = {str(c): int(n) for c, n in sizes[sizes > 1].items()}
    if duplicates:
        shown = ", ".join(f"{c} ({n} rows)" for c, n in list(duplicates.items())[:8])
        message = (
            f"{label}: {len(duplicates)} zone code(s) appear more than once; their values "
            f"were summed: {shown}"
        )
        warnings.warn(message, MeccWarning, stacklevel=2)
        notes.append(message)
    summed = frame.groupby("code", sort=False)["value"].sum()
    return ObservedTable(
        summed, label, code_column, value_column, rows, duplicates, int(blank.sum())
    )


@dataclass
class RunFigures:
    """A run's per-zone figures for one scenario hazard, finest admin level."""

    run_dir: Path
    hazard_id: str
    level: int | None
    zones: pd.DataFrame  # zone_code, zone_name, displaced[, displaced_low, displaced_high]
    outside: dict
    variants: tuple
    summary: dict
    manifest: dict
    note: str = ""  # why the figures are not those of the finest level


def _read_json(path: Path) -> dict:
    """summary.json or manifest.json of a finished run; empty when unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def read_run_figures(run_dir, hazard: str | None = None, codes=()) -> RunFigures:
    """Read ``zones.csv`` of a run: displaced people per zone for one hazard, at the admin
    level of the zones among ``codes`` (observed codes; DataError if they mix levels, as a
    province and its districts would count twice), else at the finest level. A zone that
    received no cell of the run's grid has blank figures there; they stay NaN (not known,
    not 0). ``variants`` are the hazard's own: its ``displaced_low``/``_high`` with a
    figure in some row (the columns are there, blank, for a hazard without curve variants
    in a run where another hazard has them).

    The run is read as every command reads one: a finished run
    (:func:`mecc.run_folder.check_finished_run`), its zones.csv by the run tables' reader
    (:func:`mecc.run_folder.read_run_table`: checked; codes as written, numbers as
    numbers also from a copy a spreadsheet saved again with ``;`` and decimal commas).
    """
    from mecc.run_folder import check_finished_run, read_run_table

    run_dir = Path(run_dir)
    check_finished_run(run_dir)
    table = read_run_table(run_dir, "zones.csv")
    hazards = list(dict.fromkeys(table["hazard_id"]))
    if hazard is None:
        if len(hazards) != 1:
            raise ConfigError(
                f"{run_dir}: the run has {len(hazards)} hazards ({', '.join(hazards)}); "
                "choose one with --hazard"
            )
        hazard = hazards[0]
    elif hazard not in hazards:
        raise ConfigError(
            f"--hazard: {hazard!r} is not a hazard of {run_dir}{_did_you_mean(hazard, hazards)} "
            f"(hazards: {', '.join(hazards)})"
        )
    rows = table[table["hazard_id"] == hazard]
    if "displaced" not in rows.columns or rows["displaced"].isna().all():
        raise DataError(
            f"{run_dir}: hazard {hazard!r} has no 'displaced' figures per zone; evaluate "
            "compares one event, so run the event as a scenario (scenario: in the run file)"
        )
    levels = pd.to_numeric(rows["level"], errors="coerce")
    finest = int(levels.max()) if levels.notna().any() else None
    found = rows.loc[rows["zone_code"].isin(list(codes)) & levels.notna(), "zone_code"]
    used = {int(v): sorted(found[levels[found.index] == v]) for v in set(levels[found.index])}
    if len(used) > 1:
        listed = "; ".join(f"level {v}: {', '.join(c[:5])}" for v, c in sorted(used.items()))
        raise DataError(
            f"the observed codes are zones of {len(used)} admin levels ({listed}); evaluate "
            "compares zones of one level: give the figures of one level (leave out the "
            "province rows, or sum the districts into provinces)"
        )
    level = min(used, default=finest)
    note = f"the observed codes are admin level {level} zones: compared at that level"
    note, finest = (note if level != finest else ""), level
    # the hazard's own variants: zones.csv has a displaced_low column when any hazard of
    # the run has curve variants, blank in the rows of a hazard whose curve has none
    variants = ("central",) + tuple(
        v
        for v in VARIANTS[1:]
        if f"displaced_{v}" in rows.columns
        and pd.to_numeric(rows[f"displaced_{v}"], errors="coerce").notna().any()
    )
    columns = ["displaced"] + [f"displaced_{v}" for v in variants[1:]]
    figures = rows.loc[levels == finest, ["zone_code", "zone_name", *columns]].copy()
    for column in columns:  # blank (a zone without a grid cell): not known, kept NaN
        figures[column] = pd.to_numeric(figures[column], errors="coerce")
    outside_rows = rows[rows["zone_code"] == OUTSIDE_CODE]
    outside = {
        v: float(pd.to_numeric(outside_rows[c], errors="coerce").fillna(0.0).sum())
        for v, c in zip(variants, columns, strict=True)
    }
    figures = figures.rename(
        columns={
            c: ("modelled_people" if v == "central" else f"modelled_people_{v}")
            for v, c in zip(variants, columns, strict=True)
        }
    ).reset_index(drop=True)
    return RunFigures(
        run_dir,
        hazard,
        finest,
        figures,
        outside,
        variants,
        _read_json(run_dir / "summary.json"),
        _read_json(run_dir / "manifest.json"),
        note,
    )


# ---------------------------------------------------------------------- the tool


def _note(notes: list, message: str) -> None:
    warnings.warn(message, MeccWarning, stacklevel=3)
    notes.append(message)


@dataclass
class EvaluationResult:
    """What :func:`evaluate_run` wrote and computed."""

    out_dir: Path
    figures: dict
    notes: list = field(default_factory=list)


def _variant_column(variant: str) -> str:
    return "modelled" if variant == "central" else f"modelled_{variant}"


def _check_out_dir(run_dir: Path, out_dir: Path) -> None:
    run, out = run_dir.resolve(), out_dir.resolve()
    if out == run or run in out.parents or out in run.parents:
        raise ConfigError(
            f"--out {out_dir}: must be outside the run folder {run_dir} (evaluate never "
            "modifies a run)"
        )


def evaluate_run(
    run_dir,
    observed_path,
    out_dir,
    *,
    code_column: str = "zone_code",
    value_column: str = "value",
    measure: str = "displaced_people",
    measure_column: str | None = None,
    household_size: float | None = None,
    hazard: str | None = None,
    threshold: float = 100.0,
    national_observed: float | None = None,
    context=(),
    title: str | None = None,
    observed_source: str | None = None,
    overwrite: bool = False,
) -> EvaluationResult:
    """Compare a run's per-zone figures with observed ones and write a report folder.

    Parameters
    ----------
    run_dir : path
        A folder written by ``mecc run`` (read only).
    observed_path : path
        CSV with a zone-code column and a value column (and optionally a column saying
        what each value measures, ``measure_column``).
    out_dir : path
        Folder to create for the report (outside the run folder).
    measure : {"destroyed_houses", "damaged_houses", "displaced_people"}
        What the observed values count. Houses compare with the run's own damaged (not
        destroyed) or destroyed dwellings when its hazard has a ``damage_curve``; without
        one, ``destroyed_houses`` uses the proxy displaced people / ``household_size`` and
        ``damaged_houses`` is refused (:mod:`mecc.evaluate_measures`).
    household_size : float, optional
        People per household, for houses from people: needed by the proxy and by a run with
        damage states but no household size; refused where the run counts dwellings itself
        (its own size per unit) and with ``displaced_people``.
    hazard : str, optional
        The run's hazard to evaluate (needed when the run has several).
    threshold : float
        Hit / miss / false-alarm threshold in the measure's unit, above 0: a zone is an
        event (observed or modelled) when its value is at or above it. 0 is refused (every
        zone would be a hit); for any damage give 1.
    national_observed : float, optional
        An official national figure of the measure (a whole number above 0): the whole
        run is compared with it (a warning when it is below the sum of the rows). Without
        it, an observed file reporting only some zones is compared with the modelled
        figures of those zones only (:mod:`mecc.evaluate_summary`).
    context : sequence of "LABEL=VALUE"
        Other observed figures in people (e.g. IDMC displacements) shown next to the
        modelled displaced people, for context only.
    observed_source : str, optional
        Who published the observed figures and under which licence (``--observed-source``),
        printed in the report's Sources next to the run's own records (curve, hazard,
        population, boundaries); without it the report says that no source was given.
    """
    from mecc.evaluation_report import render_html, residual_layer, residual_map_svg, run_sources
    from mecc.evaluation_sources import results_for_sources
    from mecc.outputs import OutputFolder, write_csv, write_json

    if measure not in MEASURES:
        raise ConfigError(f"--measure {measure!r}: use one of {', '.join(MEASURES)}")
    label, unit = MEASURES[measure]
    if unit == "people" and household_size is not None:
        raise ConfigError(
            "--household-size turns people into houses; it is not used with --measure "
            "displaced_people"
        )
    if household_size is not None and not (
        isinstance(household_size, int | float)
        and math.isfinite(household_size)
        and household_size > 0
    ):
        raise ConfigError(f"--household-size: give a positive number, got {household_size!r}")
    threshold = check_threshold(threshold)
    national_observed = check_national_observed(national_observed, unit)
    contexts = parse_context(context)
    if observed_source is not None and not str(observed_source).strip():
        raise ConfigError("--observed-source: give the publisher of the observed figures")
    run_dir, out_dir = Path(run_dir), Path(out_dir)
    _check_out_dir(run_dir, out_dir)
    folder = OutputFolder(out_dir, overwrite=overwrite, keep=[observed_path], command="evaluate")

    notes: list[str] = []
    observed = read_observed(
        observed_path,
        code_column=code_column,
        value_column=value_column,
        measure=measure,
        measure_column=measure_column,
        notes=notes,
    )
    run = read_run_figures(run_dir, hazard, observed.values.index)
    modelled, one_sided = with_both_ends(
        modelled_measure(run, measure, household_size), run.hazard_id
    )
    if run.note:
        _note(notes, run.note)
    missing = results_for_sources(run_dir)  # another run's or a damaged one is refused
    if missing:
        _note(notes, missing)
    if one_sided:
        _note(notes, one_sided)
    if modelled.record["proxy"]:
        _note(notes, f"modelled {label}: {modelled.record['description']}")

    zones = run.zones.copy()
    # a zone without a grid cell: its modelled figure is not known (blank in zones.csv,
    # listed in manifest.json), whatever the measure's own source filled in
    unknown = (
        zones["modelled_people"].isna().to_numpy()
        | zones["zone_code"].isin(run.manifest.get("zones_without_cells") or []).to_numpy()
    )
    for variant in modelled.variants:
        values = modelled.values[variant].to_numpy(np.float64, copy=True)
        values[unknown] = np.nan
        zones[_variant_column(variant)] = values
    codes = set(zones["zone_code"])
    unmatched = [c for c in observed.values.index if c not in codes]
    if unmatched:
        _note(
            notes,
            f"{len(unmatched)} observed code(s) match no zone of the run and were left out "
            f"of the per-zone statistics and of the observed national total "
            f"({', '.join(unmatched[:10])}{', …' if len(unmatched) > 10 else ''}: "
            f"{observed.values.loc[unmatched].sum():,.0f} {unit} not counted)",
        )
    zones["observed"] = zones["zone_code"].map(observed.values)
    reported = zones[zones["observed"].notna()]
    if reported.empty:
        raise DataError(
            f"{observed.path}: no code of column {code_column!r} matches a zone code of the "
            f"run (e.g. {', '.join(list(observed.values.index[:3]))} vs "
            f"{', '.join(zones['zone_code'].head(3))})"
        )
    no_figure = sorted(reported.loc[reported["modelled"].isna(), "zone_code"])
    matched = reported[reported["modelled"].notna()].reset_index(drop=True)
    if no_figure:
        _note(
            notes,
            f"{len(no_figure)} observed zone(s) have no modelled figure (no grid cell): they "
            "received no cell of the run's grid, so their modelled figures are not known, "
            "not 0 (their people sit in neighbouring units), and they were left out of the "
            f"per-zone statistics ({observed.values.loc[no_figure].sum():,.0f} observed "
            f"{unit}): {', '.join(no_figure[:10])}{', …' if len(no_figure) > 10 else ''}",
        )
        if matched.empty:
            raise DataError(
                f"{observed.path}: every observed zone received no cell of the run's grid "
                "(their figures are not known): run on a finer population grid"
            )

    per_variant = {
        v: compare(matched["observed"], matched[_variant_column(v)], threshold)
        for v in modelled.variants
    }
    national, national_notes = national_totals(
        zones, matched, modelled.outside, modelled.variants, national_observed, unit
    )
    for message in national_notes:
        _note(notes, message)
    people_national = {  # the displacement curve's, whatever the measure
        v: float(
            run.zones["modelled_people" if v == "central" else f"modelled_people_{v}"].sum()
            + run.outside[v]
        )
        for v in run.variants
    }
    if len(run.variants) == 2:  # one variant only: the other end is the central figure
        people_national = {v: people_national.get(v, people_national["central"]) for v in VARIANTS}
    hazard_summary = (run.summary.get("hazards") or {}).get(run.hazard_id, {})
    figures = {
        "title": title or f"Evaluation of {run.summary.get('name', run_dir.name)}",
        "modelled_estimate_note": "Modelled figures are estimates, not observations.",
        "run": {
            "folder": str(run_dir),
            "country": run.summary.get("country"),
            "name": run.summary.get("name"),
            "hazard_id": run.hazard_id,
            "scenario": hazard_summary.get("scenario"),
            "curve": hazard_summary.get("curve"),
            "admin_level": run.level,
            "zones": len(zones),
            "variants": list(run.variants),
        },
        "observed": {
            "file": observed.path,
            "code_column": code_column,
            "value_column": value_column,
            "measure": measure,
            "measure_label": label,
            "unit": unit,
            "rows": observed.rows,
            "codes": int(observed.values.size),
            "duplicate_codes_summed": observed.duplicates,
            "blank_rows": observed.blank_rows,
            "codes_not_in_run": unmatched,
            "zones_not_reported": int(len(zones) - len(reported)),
            "zones_without_modelled_figure": no_figure,
        },
        "household_size": modelled.household_size,
        "modelled": {**modelled.record, "variants": list(modelled.variants)},
        "national": national,
        "zones": per_variant["central"],
        "zones_by_variant": per_variant,
        "modelled_displaced_people": people_national,
        "context": [
            {
                "label": text,
                "value_people": value,
                "modelled_displaced_people": people_national["central"],
                "ratio": people_national["central"] / value if value else math.nan,
            }
            for text, value in contexts
        ],
        "notes": notes,
    }
    figures["sources"] = run_sources(
        run.run_dir,
        run.manifest,
        run.summary,
        run.hazard_id,
        {"file": observed.path, "source": observed_source and str(observed_source).strip()},
    )

    # per-zone table, residuals and outcome
    matched["log10_ratio"] = np.log10((1.0 + matched["modelled"]) / (1.0 + matched["observed"]))
    above_o, above_m = matched["observed"] >= threshold, matched["modelled"] >= threshold
    matched["outcome"] = np.select(
        [above_o & above_m, above_o & ~above_m, ~above_o & above_m],
        ["hit", "miss", "false alarm"],
        "correct negative",
    )
    variant_columns = [_variant_column(v) for v in modelled.variants]
    table = matched[
        ["zone_code", "zone_name", "observed", *variant_columns, "log10_ratio", "outcome"]
    ]
    png = scatter_png(figures, matched["observed"], matched["modelled"])
    residual_frame = residual_layer(run.run_dir / "zones.gpkg", run.level, zones, matched)
    map_svg = residual_map_svg(residual_frame) if residual_frame is not None else ""
    if residual_frame is None:  # a copy of the run without its boundaries: say what is left out
        _note(
            notes,
            f"{run.run_dir / 'zones.gpkg'}: missing or unreadable, so there is no residual map "
            "(evaluation.html shows the table and the scatter plot; no residuals.geojson)",
        )

    with folder as staging:
        write_csv(table, staging / "evaluation.csv")
        write_json(figures, staging / "evaluation.json")
        (staging / "scatter.png").write_bytes(png)
        if residual_frame is not None:
            residual_frame.to_file(staging / "residuals.geojson", driver="GeoJSON")
        (staging / "evaluation.html").write_text(
            render_html(figures, png, map_svg, table, units=zones), encoding="utf-8"
        )
    out = folder.commit()
    return EvaluationResult(out, figures, notes)
