"""Every key a run file may hold, by section: :data:`SECTIONS`, from which
:mod:`mecc.run_file_reference` writes the README's run-file reference.

Each section is ``(title, where it sits, {key: (value, default, meaning)})``, with
"required" as the default of keys that must be given.
"""

from __future__ import annotations

from mecc.run_file_hazard_keys import HAZARD_SECTIONS

__all__ = ["SECTIONS"]

_COUNTRY_ROW = (
    "a country-code row is every zone's default and the value of the people outside every "
    "unit (else the units' population-weighted mean, stated in manifest.json and Sendai notes)"
)
_GAPS = f"any level, nearest wins; every zone needs its own or a parent's row; {_COUNTRY_ROW}."
_GAPS_MEAN = f"any level, nearest wins; {_COUNTRY_ROW}; units without a value take that mean."


def _share_table(name: str, what: str) -> tuple:
    """The section of a per-zone table of shares (``config.ZONE_TABLE_KEYS``)."""
    return (
        name,
        f"{name}.",
        {
            "path": ("CSV file", "required", f"{what} per zone; {_GAPS}"),
            "code_column": ("column", "required", "Zone codes."),
            "value_column": ("column", "required", "Shares (0–1)."),
            "year": ("year (1850–2300)", "none", "Recorded."),
            "source": ("text", "the file name", "Named in the Sendai tables."),
        },
    )


SECTIONS = [
    (
        "Top level",
        "",
        {
            "country": ("text", "required", "ISO 3166 alpha-3 code (e.g. KEN)."),
            "name": ("text", "the country code", "Display name in tables and maps."),
            "population": ("mapping", "required", "The population grid (below)."),
            "zones": (
                "mapping or list",
                "one national zone",
                "Admin units: one level, or a list of levels linked by parent codes (below).",
            ),
            "hazards": ("list", "required", "One entry per hazard set (below); ids unique."),
            "analysis_grid": (
                "`population` or a hazard id",
                "`population`; the hazard grid when a `fraction` is given",
                (
                    "The grid everything is aligned to before the overlay. A hazard's grid "
                    "(not rotated) grows by whole cells to cover the population grid, so "
                    "people beyond the hazard's map count as no hazard data; beyond 500 "
                    "million cells it is kept as it is, with a warning. It takes the population "
                    "grid's longitudes (moved by 360° when the two are written in different "
                    "conventions across 180°, as manifest.json's analysis_grid source says)."
                ),
            ),
            "futures": (
                "list",
                "none",
                "Climate and population futures, each compared with the baseline (below).",
            ),
            "mobility": (
                "mapping",
                "none",
                "Where people are at the moment of impact and where the displaced may go (below).",
            ),
        },
    ),
    (
        "population",
        "population.",
        {
            "path": ("file", "required", "GeoTIFF (or any GDAL raster) of people."),
            "kind": (
                "`count` or `density`",
                "what the file states, else `count`",
                "People per cell, or people per km² (converted with geodesic cell areas). A "
                "file that states its values (band unit or description, `unit`/`measure` "
                "tag) sets it; a `kind` that contradicts the file is refused.",
            ),
            "year": (
                "year (1850–2300)",
                "none",
                "Year of the population; warned about when far from a hazard's `period`.",
            ),
            "band": ("whole number", "1", "Band of the file to read."),
            "nodata": (
                "number",
                "the file's own",
                "An extra value to treat as missing (compared in the file's data type).",
            ),
            "source": (
                "`worldpop`, `ghsl`, `gpw`, `litpop`, `census` or `fictional`",
                "none",
                "The product: its undeclared nodata (GHSL −200, WorldPop −99999) is masked "
                "and its attribution recorded (`fictional`: the grids mecc makes up for the "
                "demo country and the training exercises).",
            ),
            "scale_to": (
                "mapping",
                "none (the grid as it is)",
                "Scale the grid to a national `total` or to per-zone totals in a CSV (below).",
            ),
            "official": (
                "mapping",
                "none",
                "Official population per zone (census, COD-PS): the per-100,000 denominator "
                "(below); an official 0 is kept (that unit's rates blank) and warned about, "
                "a code that is no unit at any level is refused.",
            ),
            "cohorts": (
                "mapping",
                "none",
                "Sex × age cohorts: per-zone shares in a CSV or cohort grids (below).",
            ),
            "attributes": (
                "mapping",
                "none",
                "Per-zone shares of people with a disability, in poverty, ... (below); the "
                "Sendai tables label a group with_disability or below_poverty_line only when "
                "its name means it (sendai.xlsx About lists the names), else leave it blank.",
            ),
            "household_size": (
                "number 1–100 or mapping",
                "none",
                "People per household, national or per zone in a CSV (below).",
            ),
            "livelihoods": (
                "mapping",
                "none",
                "Per-zone share of people whose livelihood a hazard disrupts: Sendai B-5 (below).",
            ),
        },
    ),
    (
        "population.scale_to",
        "population.scale_to.",
        {
            "total": (
                "people (> 0, ≤ 10 billion)",
                "—",
                "National total; every zone scaled by the same factor.",
            ),
            "path": ("CSV file", "—", "Target totals per zone (any level; nearest wins)."),
            "code_column": ("column", "required with path", "Zone codes."),
            "value_column": ("column", "required with path", "Target people."),
            "year": ("year (1850–2300)", "none", "Year of the totals (recorded)."),
            "source": ("text", "none", "Where the totals come from (recorded)."),
        },
    ),
    (
        "population.household_size",
        "population.household_size.",
        {
            "path": ("CSV file", "required", f"People per household per zone; {_GAPS_MEAN}"),
            "code_column": ("column", "required", "Zone codes."),
            "value_column": ("column", "required", "People per household (1–100)."),
            "year": ("year (1850–2300)", "none", "Recorded."),
            "source": ("text", "none", "Recorded."),
        },
    ),
    (
        "population.official",
        "population.official.",
        {
            "path": ("CSV file", "required", "Official population per zone."),
            "code_column": ("column", "required", "Zone codes."),
            "value_column": ("column", "required", "People."),
            "year": ("year (1850–2300)", "none", "Census or projection year."),
            "source": ("text", "the file name", "Source named beside per-100,000 figures."),
        },
    ),
    (
        "population.cohorts",
        "population.cohorts.",
        {
            "path": ("CSV file", "—", f"Per-zone cohort counts or shares; {_GAPS}"),
            "code_column": ("column", "required with path", "Zone codes."),
            "columns": (
                "list of columns",
                "`female_0_14` ... `male_65_plus`",
                "The cohorts; each zone's values are normalised to shares. In a table of "
                "shares (most values at most 1) a share above 1 is refused, and zones whose "
                "shares add up to more than 0.02 away from 1 are named in a warning before "
                "being normalised.",
            ),
            "grids": (
                "mapping name → file",
                "—",
                "Cohort grids (e.g. WorldPop age/sex): each cell split in their proportion.",
            ),
            "kind": ("`count` or `density`", "`count`", "Of the cohort grids."),
            "year": ("year (1850–2300)", "none", "Recorded."),
            "source": ("text", "none", "Recorded."),
        },
    ),
    (
        "population.attributes",
        "population.attributes.",
        {
            "path": (
                "CSV file",
                "required",
                f"Per-zone shares (0–1); {_GAPS} Each share lies "
                "between 0 and 1 (a value above 1 is refused, naming the column, zone and "
                "row); attribute shares overlap, so they need not add up to 1.",
            ),
            "code_column": ("column", "required", "Zone codes."),
            "columns": (
                "mapping name → column",
                "required",
                "E.g. `{disability: dis_share, poverty: poor_share}`.",
            ),
            "year": ("year (1850–2300)", "none", "Recorded."),
            "source": ("text", "none", "Recorded."),
        },
    ),
    _share_table(
        "population.livelihoods",
        "Share of people living from farming, fishing, ... (exposed people x share = B-5)",
    ),
    (
        "mobility",
        "mobility.",
        {
            "seasonal": (
                "mapping",
                "none",
                "Presence per month, national or per zone, weighted by each hazard's `season` "
                "(below); a code that is no unit at any level is refused.",
            ),
            "day_night": (
                "mapping",
                "none",
                "Origin–destination table: people exposed by day for hazards with "
                "`impact_time: day` (below).",
            ),
            "sites": (
                "mapping",
                "none",
                "Displacement sites (below); a list with none on the grid, or with latitude "
                "and longitude swapped, is refused.",
            ),
            "allocation": ("mapping", "none", "Where the displaced may go (below)."),
            "early_warning": (
                "mapping",
                "none",
                "Per-zone share of people covered by early warning: pre-emptive evacuation "
                "in the Sendai tables (below), for hazard types with a forecast lead time "
                "(floods, tropical cyclones, tsunamis; never earthquakes).",
            ),
        },
    ),
    (
        "mobility.seasonal",
        "mobility.seasonal.",
        {
            "multipliers": (
                "mapping month → factor",
                "—",
                "National presence multipliers (months 1–12, factors 0–100; months not "
                "given: 1). Or give the four keys below.",
            ),
            "path": ("CSV file", "—", "One row per zone and month (months not listed: 1)."),
            "code_column": ("column", "required with path", "Zone codes."),
            "month_column": ("column", "required with path", "Month, 1–12."),
            "multiplier_column": ("column", "required with path", "Factor, 0–100."),
        },
    ),
    (
        "mobility.day_night",
        "mobility.day_night.",
        {
            "path": ("CSV file", "required", "One row per origin and destination zone."),
            "origin_column": ("column", "required", "Zone of residence (finest level)."),
            "destination_column": ("column", "required", "Zone where they spend the day."),
            "share_column": (
                "column",
                "required",
                "Share (0–1) of the origin's residents there by day; the rest stay home.",
            ),
        },
    ),
    _share_table(
        "mobility.early_warning",
        "Share of people reached by early warning (displaced x share = could leave pre-emptively)",
    ),
    (
        "mobility.sites",
        "mobility.sites.",
        {
            "path": (
                "CSV or Excel (.xlsx) file",
                "required",
                "Site list by HXL (`#geo+lat`, `#geo+lon`, `#affected+ind`, "
                "`#adm2+code+origin`) or column names (DTM); of a workbook, the first sheet. "
                "Dates in it are written `YYYY-MM-DD`.",
            ),
            "in_population_grid": (
                "true or false",
                "required",
                "Whether the grid already counts the sites' people (moved from their "
                "`origin_code`, or labelled in place) or not (added).",
            ),
            "as_of": (
                "date `YYYY-MM-DD`",
                "the file's dates (`YYYY-MM-DD`)",
                "Date of the list, in place of the file's own dates. Other forms "
                "(`01/02/2025`) are refused: day and month "
                "would be a guess.",
            ),
            "source": ("text", "none", "Recorded."),
        },
    ),
    (
        "mobility.allocation",
        "mobility.allocation.",
        {
            "radius_km": ("km (≤ 20,015)", "50", "How far the displaced may go."),
            "exponent": (
                "number ≥ 0",
                "2",
                "Distance decay: weight = safe people × d^−exponent (refused where d^−exponent "
                "leaves 1e±250 within the radius, naming the largest that works).",
            ),
            "cell_km": (
                "km (≤ 20,015)",
                "a tenth of the radius, ≥ 1",
                "Size of the allocation grid's cells (refused when it leaves fewer than 2 "
                "cells along a side of the grid).",
            ),
        },
    ),
    (
        "zones (each level)",
        "zones.",
        {
            "path": ("file", "required", "GeoJSON, GeoPackage or shapefile with a CRS."),
            "layer": ("text", "the first layer", "Layer of a GeoPackage."),
            "code_field": ("field name", "required", "Unique code of each unit (e.g. ADM2_PCODE)."),
            "name_field": ("field name", "the code", "Name of each unit."),
            "level": ("whole number", "1", "Admin level (0 country, 1 first subdivision, ...)."),
            "parent_field": (
                "field name",
                "none",
                "Code of each unit's parent in the next coarser level.",
            ),
            "format": (
                "`cod-ab`",
                "none",
                "An OCHA COD-AB GeoPackage: levels, codes, names and parents found from "
                "`ADMn_PCODE` and `ADMn_EN/FR/ES` (no `code_field` needed).",
            ),
            "levels": ("list of levels", "every level found", "COD-AB levels to use."),
            "language": ("`en`, `fr`, `es`, ...", "`en`", "COD-AB name field language."),
        },
    ),
    *HAZARD_SECTIONS,
    (
        "futures (each)",
        "futures[].",
        {
            "id": (
                "text",
                "required",
                "Identifier of the future, unique: letters, digits, `_ - .` (as a hazard's).",
            ),
            "label": ("text", "the id", "Shown in tables and maps (e.g. `SSP2-4.5, 2050`)."),
            "period": (
                "year or range of years",
                "none",
                "Period of the future, as `hazards[].period`.",
            ),
            "hazards": (
                "mapping hazard id → grids",
                "baseline hazards",
                "The future's grids for a baseline hazard: `intensity`, `events`, "
                "`return_periods`, `fraction`, `variable`, `member_pattern`, `period`, "
                "`scenario`; other keys come from the baseline. A future that gives only a "
                "new `intensity` keeps the baseline's `scenario` (its name) or, for an event "
                "set, its `events` table (and `member_pattern`); a return-period set or a "
                "CLIMADA event file must give its own `return_periods` or `events`. The same "
                "kind of set as "
                "the baseline's (events, return periods or a scenario), and a return-period "
                "set with the same return periods (the AAD integrates over the maps given); "
                "an event set may have other events (`member_pattern` with events only). A "
                "sea-level rise may give only its own `slr`, `dem` and `period` (the datums "
                "and high tide come from the baseline).",
            ),
            "population": (
                "mapping",
                "baseline population",
                "`path` (a grid; with `kind`, `band`, `nodata`) or `growth` (a factor, `{zone_code: factor}` "
                "or a CSV `zone_code,growth`), and `year` (below).",
            ),
        },
    ),
    (
        "futures[].population",
        "futures[].population.",
        {
            "path": (
                "file",
                "—",
                "Population grid of the future year, in place of `population.path`; the "
                "baseline's displacement sites, `scale_to` factors and seasonal presence "
                "apply to it too; it must cover the baseline grid's area.",
            ),
            "kind": (
                "`count` or `density`",
                "what the file states, else the baseline's",
                "Of that grid (with `path`).",
            ),
            "band": ("whole number", "1", "Band of that grid's file to read (with `path`)."),
            "nodata": (
                "number",
                "the baseline's `nodata` (or its `source`'s)",
                "An extra value of that grid to treat as missing (with `path`).",
            ),
            "growth": (
                "number, mapping or CSV file",
                "—",
                "Instead of `path`: a national factor, `{zone_code: factor}` or a CSV "
                "`zone_code,growth` (every finest zone once; factors >= 0).",
            ),
            "year": ("year (1850–2300)", "none", "Year of the future population."),
        },
    ),
]
