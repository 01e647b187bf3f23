"""The run-file keys of hazards (``hazards[]`` and ``hazards[].components[]``), a part of
:data:`mecc.run_file_keys.SECTIONS` kept in a module of its own for size.

Each section is ``(title, where it sits, {key: (value, default, meaning)})``, with
"required" as the default of keys that must be given.
"""

from __future__ import annotations

__all__ = ["HAZARD_SECTIONS"]

HAZARD_SECTIONS = [
    (
        "hazards (each entry)",
        "hazards[].",
        {
            "id": ("text", "required", "Identifier, unique in the file: letters, digits, `_ - .`."),
            "type": (
                "hazard type",
                "required",
                "`river_flood`, `flash_flood`, `pluvial_flood`, `coastal_flood`, "
                "`tropical_cyclone`, `earthquake`, `tsunami`, `sea_level_rise` or `drought`. "
                "A sea-level rise reads `id`, `type`, `period`, `impact_time` and the keys "
                "from `dem` to `connectivity` only, which apply to it only; a key given where "
                "it does not apply is refused, not ignored.",
            ),
            "intensity": (
                "file",
                "—",
                "Intensity grid, one band per event (`events`) or one band (`scenario`); "
                "GeoTIFF or NetCDF.",
            ),
            "events": (
                "CSV file",
                "—",
                "Event set: columns `band` (the band's position in the file, 1 = first, also "
                "for NetCDF), `frequency` (events per year, > 0 and at most 365; not return "
                "periods: a set whose every frequency is 1 or more, all 1 included, is "
                "refused), optional `member` (spaces around it ignored; none blank), "
                "`event_name`, `event_id` (each unique, within a member where there are "
                "members; both carried to bands.csv, zones_bands.csv and results.nc, and the "
                "id names the Sendai event rows when there is no name), `return_period` "
                "(not used, `frequency` weights each event: checked, and refused when it "
                "contradicts 1/frequency beyond rounding, 5 % or half a year); every band "
                "listed once. Column names are lower case: a known column in other case or "
                "spacing (`Member`, `Event ID`) is refused, one spelt close to a known column "
                "(`memebr`) warned about, any other ignored. When the file labels its bands (GeoTIFF "
                "band descriptions, a NetCDF `event_name`/`event_id` variable or its event "
                "coordinate), an event named as another band's label is refused. Labels "
                "that only number the bands in order (1..n or 0..n-1, as GDAL tools and QGIS "
                "exports leave band descriptions) are checked only when the table's "
                "`event_name` or `event_id` holds exactly those numbers, else ignored; a "
                "NetCDF whose event coordinate numbers the bands out of order is refused.",
            ),
            "return_periods": (
                "mapping years → file",
                "—",
                "One grid per return period (years ≥ 1, at least two, all different; a "
                "zero-padded `0010` is 10). Give `return_periods`, or `intensity` with "
                "`events` or `scenario`.",
            ),
            "scenario": ("text", "—", "Name of a single deterministic event (with `intensity`)."),
            "fraction": (
                "file",
                "none (whole cell)",
                "Flooded share of each cell (0-1, not percent), same bands as `intensity`; "
                "flood types only. From a NetCDF: its variable `fraction`, else its only one.",
            ),
            "curve": (
                "name, CSV file or mapping",
                "required (not for drought, sea-level rise)",
                "Intensity → share displaced: a built-in curve (`mecc curves list`), "
                "`NAME:low`/`NAME:high`, a CSV with exactly the columns `intensity,share` (notes "
                "in lines starting with `#`; any other column is refused; from a CLIMADA "
                "impact function give `share` = mdd × paa at each intensity: exact where mdd "
                "or paa is constant between neighbouring rows; where both change, CLIMADA "
                "interpolates each and then multiplies (mdd and paa 0 → 1 over 0-2 m give "
                "0.25 at 1 m, the product's two rows 0.5), so add rows in between, e.g. every "
                "0.1 m or 1 m/s: the product then differs from CLIMADA's by at most "
                "step² / 4 × the two slopes, 0.0025 for both rising by 1 per metre), "
                "`{intensity: [...], share: [...]}`, `{step: X}` (a threshold within the type's "
                "valid range, in the type's "
                "unit: everyone at intensity X or more is displaced, nobody below), "
                "`{emanuel: {v_thresh: V, v_half: V}}` (Emanuel 2011, 1-min m/s; tabulated "
                "every 0.25 m/s and interpolated linearly), `{emanuel_threshold: {v_thresh: V, "
                "v_half: V, tau: T}}` (a step at the wind where that curve reaches T), "
                "`{classes: {bounds: [...], shares: [...]}}` (share of each class from its "
                "bound up; optional `bounds_unit: kt | mph | km/h`, or `bounds: {kt: [...], mph: "
                "[...], km/h: [...]}`, each bound the lowest of its values converted exactly), "
                "or, for an earthquake (a fatality model is refused for any other type), "
                "`{survivors_step: {threshold: MMI, fatality: {model: exponential, a: A, b: B}}}` "
                "or `fatality: {model: lognormal, theta: T, beta: B}` (optional `minimum: MMI`, "
                "rate 0 below it; `fatality` optional): everyone at or above the threshold who "
                "survives is displaced, and deaths (Sendai A-2) are the population times the "
                "rate 10^(a·MMI + b) (ITB form) or Φ(ln(MMI/theta)/beta) (PAGER form). This is "
                "how to give a country's own coefficients: the built-in ITB and PAGER curves are "
                "calibrated for Indonesia and refused elsewhere. A rate that does not rise with "
                "MMI, above 1 % at MMI 6, 10 % at MMI 7 or 50 % at MMI 8, or below 0.0001 % at "
                "MMI 10 is refused (the published ITB, ITB Bayesian and PAGER Indonesia rates lie "
                "200 times or more inside these bounds); so is a key a mapping does not take, "
                "with the closest known key.",
            ),
            "variants": (
                "mapping `low`/`high` → curve",
                "the built-in curve's own",
                "Curves evaluated in the same pass for the range (`low` displaces fewer; a "
                "`low` at or above `high` at every intensity is refused; curves that cross "
                "run with a warning that says what to change, also when only some units' "
                "figures come out in another order); the range shown (headline, map, "
                "profiles, Sendai tables) is the lowest to the highest of the central figure "
                "and the variants, so it always includes the central figure (only `low`: "
                "low-central), while zones.csv, zones_bands.csv and summary.json keep each "
                "variant's own figure; not for drought, nor for a hazard with `components:` "
                "(its range combines the components' own).",
            ),
            "unit": (
                "unit",
                "the file's stated unit (NetCDF `units`, GeoTIFF band unit), else the type's",
                "Unit of the grid values: `cm`, `mm`, `ft`, `km/h`, `kt`, `mph`, ... "
                "(converted exactly; the spellings a file's unit may use are accepted too: "
                "`knots`, `kts`, `kph`, `miles per hour`, `m s-1`). A ground-motion unit (`g`, `%g`, `gal`, `cm/s`) stated "
                "by an earthquake grid or given here is refused (convert PGA to MMI first), "
                "and so is MMI outside 0.5-12.5.",
            ),
            "averaging": (
                "`1-min`, `10-min` or `gust`",
                "the period the file states (GeoTIFF `measure` tag or band description, "
                "NetCDF `long_name`), else `1-min`",
                "Wind averaging period of a cyclone grid (10-min × 1/0.93; gust needs "
                "`gust_factor`).",
            ),
            "gust_factor": (
                "number ≥ 1 or exposure",
                "none",
                "Gust over 1-min wind: a number or `at_sea`, `onshore`, `offshore`, `inland`.",
            ),
            "exposure_threshold": (
                "number (type's unit)",
                "0.1 m, 17.5 m/s, MMI 4.5",
                "Intensity at or above which people count as exposed, independent of the "
                "curve; within the type's valid range (MMI 0.5-12.5, depth 0-50 m, wind "
                "0-120 m/s, ...), else refused. A threshold (the type's default or one "
                "given) above the intensity the curve displaces from is warned about: a unit "
                "may then show more displaced than exposed people.",
            ),
            "protection_rp": (
                "years, mapping or CSV",
                "none",
                "Flood protection standard: a number, `{zone_code: years}` or a CSV "
                "`zone_code,protection_rp` (return-period sets only); a zone given twice, or "
                "a code that is no unit of the finest level, is refused, and so is a number in "
                "quotes ('50'). A standard at or above the largest map is warned about: every "
                "map is then protected and the AAD is 0.",
            ),
            "period": (
                "year or range of years",
                "none",
                "Period the hazard represents: a year (`2050`) or a range (`2021-2040`), a "
                "note in parentheses may follow (`1981-2010 (historical)`); 1850–2300.",
            ),
            "resampling": (
                "`nearest` or `bilinear`",
                "`nearest`",
                "How a hazard grid unlike the analysis grid is sampled.",
            ),
            "variable": (
                "text",
                "the only 2-D variable",
                "NetCDF variable of the intensity (not of the fraction).",
            ),
            "nodata": (
                "number, or a list of up to two",
                "the files' own",
                "Values to treat as missing in every grid of the set (intensity, return-period "
                "maps, fraction), compared in each file's data type, for GeoTIFF (GDAL raster) "
                "grids written without their nodata value (e.g. `-9999` in re-saved Aqueduct "
                "maps, else read as a depth of −9999 m and the people there counted as "
                "unexposed, not as without hazard data); recorded in manifest.json. NetCDF, "
                "ShakeMap and CLIMADA files declare their own (refused there).",
            ),
            "member_pattern": (
                "regular expression",
                "none",
                "Parses each event's `member` from `event_name` with a `(?P<member>...)` group "
                "(event sets only).",
            ),
            "components": (
                "list",
                "none",
                "Hazards of the same event (e.g. wind and surge) sharing the bands; their "
                "shares combine per cell (below). Its `low`/`high` range combines the "
                "components' `low` curves and their `high` curves. A component's curve may "
                "not carry a fatality model (e.g. `eq_mmi6_survivors_itb`): a combined hazard "
                "computes no deaths (A-2), so validate and run refuse it; run the earthquake "
                "as its own hazard for deaths.",
            ),
            "combine": (
                "`max` or `independent`",
                "`max`",
                "How component shares combine: the largest, or 1 − Π(1 − share).",
            ),
            "classes": (
                "mapping `bounds`, `names`",
                "moderate 1, severe 1.5, extreme 2",
                "Drought severity classes of −SPEI (drought only): `bounds` increasing, above "
                "0 and at most 5, one distinct name per bound in `names`.",
            ),
            "dem": (
                "file",
                "required for sea-level rise",
                "Elevation grid (m; a DEM stating feet is converted, another unit refused; "
                "heights below −500 m, e.g. SRTM's −32768, refused as undeclared nodata).",
            ),
            "dem_datum": ("text", "required for sea-level rise", "Vertical datum of the DEM."),
            "tide_datum": ("text", "required for sea-level rise", "Datum of `high_tide`."),
            "high_tide": (
                "metres, at most 100",
                "required for sea-level rise",
                "High-tide height above `tide_datum`; above 16.3 m (the largest tidal range "
                "on Earth) warned about.",
            ),
            "slr": (
                "metres, 0–100",
                "required for sea-level rise",
                "Change of mean sea level since `slr_baseline`, the same in every datum (no "
                "offset applies); above 10.4 m (high-end for 2300, van de Wal et al. 2022) "
                "warned about. Water level = `high_tide` moved to the DEM's datum + `slr`.",
            ),
            "slr_baseline": (
                "text",
                "required for sea-level rise",
                "Period or datum the rise is counted from (recorded; needs no offset).",
            ),
            "datum_offsets": (
                "mapping datum → metres",
                "none",
                "Metres added to a height in a datum to give its height in the DEM's datum; "
                "required for `tide_datum` when it differs from `dem_datum` (sea-level rise "
                "only).",
            ),
            "sources": (
                "file",
                "the sea found from the grid edge",
                "Raster on the DEM's grid; non-zero cells are where water comes from "
                "(sea-level rise only).",
            ),
            "connectivity": ("4 or 8", "8", "Neighbours a flood spreads to (sea-level rise only)."),
            "season": (
                "mapping month → share",
                "every month alike",
                "When events happen (with `mobility.seasonal`); not for sea-level rise and "
                "drought (they count residents, whatever the month).",
            ),
            "impact_time": (
                "`day` or `night`",
                "`night` (at home)",
                "Moment of impact for exposed people (with `mobility.day_night`).",
            ),
            "damage_curve": (
                "built-in name or `{damaged, destroyed}`",
                "none",
                "Exclusive damage states of dwellings: damaged but not destroyed (Sendai "
                "B-3) and destroyed (B-4), e.g. `flood_damage_states_jrc_africa`.",
            ),
        },
    ),
    (
        "hazards[].components (each)",
        "hazards[].components[].",
        {
            "type": ("hazard type", "required", "As above."),
            "intensity": ("file", "—", "As above; the bands match the other components."),
            "return_periods": ("mapping", "—", "As above."),
            "curve": ("curve", "required", "As above."),
            "unit": ("unit", "the type's", "As above."),
            "averaging": ("averaging", "as above", "As above."),
            "gust_factor": ("number or exposure", "none", "As above."),
            "exposure_threshold": ("number", "the type's", "As above."),
            "resampling": ("text", "`nearest`", "As above."),
            "variable": ("text", "—", "As above."),
            "nodata": ("number or list", "the files' own", "As above, for this component's grids."),
        },
    ),
]
