"""Words of the Sendai tables: indicator definitions, column meanings, the About sheet.

Sources of the definitions: UNDRR's Sendai Framework Monitor indicator list and the
DesInventar-Sendai indicator script (B-1 compound, dwellings x household size), UN SDG
series codes, and the displacement classes of UNDRR's DELTA loss database
(../shared/reference/sendai_training.md §1-§3, methodology.md §7).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from mecc.sendai_areas import MISMATCH_TOLERANCE
from mecc.sendai_groups import names_read

__all__ = ["COLUMNS", "CONFIDENCE", "INDICATORS", "Indicator", "about_rows", "custom_code"]


@dataclass(frozen=True)
class Indicator:
    """One indicator of the tables (official Sendai code, or a national custom one)."""

    key: str
    code: str
    name: str
    unit: str
    is_custom: bool
    sdg_series: str
    definition: str
    displacement_type: str = ""
    timing: str = ""
    duration: str = ""


def custom_code(country: str, number: int) -> str:
    """The national custom code of a displacement indicator (no official code exists)."""
    return f"{country}-D{number}"


INDICATORS = (
    Indicator(
        "A-2",
        "A-2",
        "Number of deaths attributed to disasters, per 100,000 population",
        "people",
        False,
        "VC_DSR_MORT",
        "Deaths of the fatality model of the hazard's curve (ITB or PAGER earthquake models, "
        "valid only in their calibration country, or coefficients given in the run file): "
        "population x fatality rate(intensity). The Sendai indicator is the rate: per_100k "
        "holds it (deaths x 100,000 / population_denominator), value_number the number of "
        "deaths (DesInventar's A-2a, SDG series VC_DSR_MORT). low and high span the curve "
        "variants that have a fatality model; a variant without one says nothing about "
        "deaths (left out, not 0). A row exists when any variant has a model: with none on "
        "the central curve, value_number and per_100k are blank and low and high hold the "
        "variants' deaths.",
    ),
    Indicator(
        "B-1",
        "B-1",
        "Number of directly affected people attributed to disasters, per 100,000 population",
        "people",
        False,
        "VC_DSR_DAFF",
        "Compound: (B-2 + B-3 + B-4 + B-5) x 100,000 / population. Here B-3 + B-4 (and B-5 when "
        "a livelihoods layer is given); B-2 is not modelled. value_number holds the people, "
        "per_100k the rate. A group's B-1 counts the group's B-3, B-4 and B-5 on the same rule, "
        "so the sex rows, and the age rows, add up to the total.",
    ),
    Indicator(
        "B-3",
        "B-3",
        "Number of people whose damaged dwellings were attributed to disasters",
        "people",
        False,
        "VC_DSR_PDAN",
        "People living in dwellings damaged but not destroyed: population x damage-state curve "
        "'damaged' (exclusive of B-4 by construction); where the hazard's curve has a "
        "fatality model, the survivors: population x (1 - fatality rate) x 'damaged'.",
    ),
    Indicator(
        "B-3a",
        "B-3a",
        "Number of dwellings damaged attributed to disasters",
        "dwellings",
        False,
        "",
        "People living in damaged dwellings (the dead too, where a fatality model applies) "
        "divided by the household size of their admin unit.",
    ),
    Indicator(
        "B-4",
        "B-4",
        "Number of people whose destroyed dwellings were attributed to disasters",
        "people",
        False,
        "VC_DSR_PDYN",
        "People living in dwellings destroyed or uninhabitable: population x damage-state "
        "curve 'destroyed'; where the hazard's curve has a fatality model, the survivors: "
        "population x (1 - fatality rate) x 'destroyed'.",
    ),
    Indicator(
        "B-4a",
        "B-4a",
        "Number of dwellings destroyed attributed to disasters",
        "dwellings",
        False,
        "",
        "People living in destroyed dwellings (the dead too, where a fatality model applies) "
        "divided by the household size of their admin unit.",
    ),
    Indicator(
        "B-5",
        "B-5",
        "Number of people whose livelihoods were disrupted or destroyed, attributed to disasters",
        "people",
        False,
        "VC_DSR_PDLN",
        "People exposed (intensity at or above the hazard's exposure threshold, x flooded "
        "fraction) x the per-zone share of people whose livelihood the hazard disrupts "
        "(population.livelihoods); a group's: the group's exposed people x the same share.",
    ),
    Indicator(
        "D1",
        "D1",
        "People displaced, evacuation-type (modelled)",
        "people",
        True,
        "",
        "Population x displacement curve of intensity (people forced to leave at impact), by "
        "residence as in summary.json and zones.csv, also for hazards striking by day "
        "(displacement follows where people live). National custom indicator: no Sendai code "
        "exists for displacement.",
        "evacuation",
        "reactive",
        "short",
    ),
    Indicator(
        "D2",
        "D2",
        "People displaced by damaged dwellings, housing loss (modelled)",
        "people",
        True,
        "",
        "The B-3 people, as displacement lasting while dwellings are repaired.",
        "housing_loss",
        "reactive",
        "medium_long",
    ),
    Indicator(
        "D3",
        "D3",
        "People displaced by destroyed dwellings, housing loss (modelled)",
        "people",
        True,
        "",
        "The B-4 people, as displacement lasting until dwellings are rebuilt.",
        "housing_loss",
        "reactive",
        "long",
    ),
    Indicator(
        "D4",
        "D4",
        "People at risk of planned relocation, sea-level rise (modelled)",
        "people",
        True,
        "",
        "People living where the sea would stand at high tide after the rise, connected to the "
        "sea: a planning figure, not event displacement.",
        "planned_relocation",
        "pre-emptive",
        "permanent",
    ),
    Indicator(
        "D5",
        "D5",
        "People in displacement sites at risk of secondary displacement (modelled)",
        "people",
        True,
        "",
        "Evacuation-type displacement of the people living in displacement sites (camps, "
        "collective centres) as the population grid counts them (group in_sites of "
        "zones_disaggregated.csv); where a site's cell holds fewer people than the site "
        "lists, only those are counted: sites.csv gives each site's figure for all its people.",
        "secondary",
        "reactive",
        "",
    ),
    Indicator(
        "D6",
        "D6",
        "People who could be evacuated pre-emptively, early-warning coverage (modelled)",
        "people",
        True,
        "",
        "Evacuation-type displacement x the per-zone share of people covered by early "
        "warning (mobility.early_warning): an upper bound of pre-emptive evacuation "
        "(everyone warned leaves in time).",
        "evacuation",
        "pre-emptive",
        "short",
    ),
)
"""Every indicator the tables can hold, in table order; custom codes get the country prefix."""

CONFIDENCE = {
    "A": "A (calibrated against observed displacement)",
    "B": "B (derived from published damage functions with a stated threshold)",
    "C": "C (a convention or practitioners' default)",
    None: "ungraded (curve given by the user)",
}
"""The ``confidence`` column: the evidence grade of the curve behind a figure."""

COLUMNS = {
    "country_iso3": "ISO 3166 alpha-3 code of the country",
    "admin_level": "0 nation, 1 and 2 admin levels; empty for the __outside__ row",
    "admin_code": "Code of the admin unit (P-code); the country code for the nation; "
    "__outside__ for people on the grid outside every unit",
    "admin_name": "Name of the admin unit",
    "parent_code": "Code of the unit one level up",
    "year": "Year of the population the figures are computed for",
    "hazard_id": "The run file's hazard id (figures of different hazards are never summed)",
    "hazard_type": "Hazard type of the toolkit's catalogue",
    "hazard_hip_code": "UNDRR-ISC Hazard Information Profile code (2025 list)",
    "hazard_label": "The scenario's name, or the hazard type",
    "measure": "scenario, return_period_map (one map), event (one event of a set, national "
    "rows only), expected_annual (per year), pmd (probable maximum displacement at "
    "return_period), planning (sea-level rise)",
    "band": "The band of the hazard set as bands.csv names it (an event's number in its "
    "set, a map's label, the scenario's band)",
    "event_name": "The event's name as bands.csv gives it, or its event_id where the events "
    "table gives ids but no names (event rows of sets whose events are named or numbered)",
    "member": "The ensemble member (e.g. climate model) of the event (event rows of sets "
    "with members)",
    "return_period": "Return period in years (maps and PMD)",
    "indicator_code": "Sendai Framework code, or a national custom code <ISO3>-D<n>",
    "indicator_name": "Name of the indicator",
    "is_custom": "True for national custom indicators (no official Sendai code)",
    "unit": "people or dwellings (per year for expected_annual)",
    "value_number": "The modelled figure (central curve variant)",
    "per_100k": "value_number x 100,000 / population_denominator (people only)",
    "population_denominator": "Population of the area used for per_100k",
    "denominator_source": "Where the denominator comes from: the official figure, the sum "
    "of the official figures of the units below (when all of them have one), or the grid sum "
    "(flagged); a group's: the area's official figure x the group's share of the area's grid "
    "population, else the group's grid population (flagged)",
    "denominator_year": "Year of the denominator (the official figure's, or the grid's)",
    "breakdown": "empty for everyone; sex, age, sex_age, attribute for disaggregated rows; "
    "age_detail for cohort age bands that are not a Sendai class (summed into the age rows "
    "where they cover one exactly)",
    "group": "The group of people of a disaggregated row",
    "sex": "female / male (disaggregated rows)",
    "age_group": "0-14, 15-64, 65+ (disaggregated rows); other bands of the cohorts carry a "
    "note that they are not a Sendai Monitor class",
    "disability": "with_disability on the rows of an attribute whose name means people with "
    "a disability (About, Disaggregation, lists the names); blank for any other attribute",
    "income_group": "below_poverty_line on the rows of an attribute whose name means people "
    "below the poverty line (About, Disaggregation, lists the names); blank for any other "
    "attribute",
    "displacement_type": "evacuation, housing_loss, planned_relocation, secondary",
    "displacement_timing": "DELTA timing class: pre-emptive or reactive",
    "displacement_duration": "DELTA duration class: short (first 10 days), medium_short "
    "(10-30 days), medium_long (30-90 days), long (more than 90 days), permanent",
    "method": "modelled (never reported figures)",
    "curve": "The curve(s) behind the figure",
    "parameters": "Thresholds and parameters applied",
    "source": "Data behind the figure",
    "confidence": "Evidence grade of the curve (A calibrated, B derived, C convention)",
    "low": "Lowest value over the range (range_kind)",
    "high": "Highest value over the range (range_kind)",
    "range_kind": "What low and high span: curve variants; else, for expected annual values "
    "of event sets with ensemble members, the members (with curve variants that differ too, "
    "the members' range is in notes); or the DEM raised and lowered by 1 m (low and high)",
    "additive": "True where rows of one level add up to the level above and the nation",
    "sdg_series": "UN SDG series code fed by the same figure",
    "notes": "Caveats of the row",
}
"""Columns of sendai.csv (and of the data sheets of sendai.xlsx), in order."""


def drought_about(record: dict, stored: dict | None) -> list[str]:
    """The About sheet's parts of a drought hazard: exposure by severity class, no
    displacement curve; its classes with their bounds and source where results.nc holds
    them (``stored``: :func:`mecc.drought_store.drought_classes`), else their names."""
    unit = record.get("unit") or "-SPEI"
    parts = [
        "exposure only: the people in cells of each severity class of the index; no "
        "displacement curve, so no displacement, B-indicator or custom indicator rows"
    ]
    if record.get("scenario"):
        parts.append(f"scenario {record['scenario']}")
    if stored and stored.get("classes"):
        shown = []
        for name, lower, upper in stored["classes"]:
            span = f"{lower:g} to {upper:g}" if math.isfinite(upper) else f"{lower:g} and above"
            shown.append(f"{name} {span}")
        parts.append(f"classes of {unit} (the deficit): {', '.join(shown)}; {stored['source']}")
    else:
        names = ", ".join(record.get("variants") or {}) or "not recorded"
        parts.append(f"classes {names} of {unit}")
    return parts


def about_rows(
    meta: dict, left_out: list, version: str, droughts: dict | None = None
) -> list[tuple[str, str]]:
    """The About sheet: (topic, text) rows; ``droughts``: the class bounds of each drought
    hazard (:func:`mecc.drought_store.drought_classes`; None: their names only)."""
    official = meta.get("official") or {}
    population = meta.get("population") or {}
    households = meta.get("household_size") or {}
    rows = [
        ("Title", f"Sendai Framework reporting tables, {meta['name']} ({meta['country']})"),
        (
            "Status",
            "Modelled estimates (method = modelled) for pre-filling and sanity-checking Sendai "
            "Framework Monitor reporting; they are not observed or reported figures.",
        ),
        ("Produced with", f"mecc {version}"),
        (
            "Method",
            "Population grid x hazard intensity per cell, summed per admin unit (CLIMADA "
            "ImpactCalc semantics). B-3 and B-4 come from damage-state curves that split "
            "people into 'damaged but not destroyed' and 'destroyed or uninhabitable': the two "
            "are exclusive by construction, so nobody is counted in both. Where a hazard's "
            "curve has a fatality model, B-3 and B-4 (and D2, D3) count the survivors, "
            "population x (1 - fatality rate) x state share, as D1 counts the displaced "
            "(displaced = population - deaths); the model of the damage variant's namesake "
            "curve variant applies, else the central curve's. Dwellings (B-3a, B-4a) are "
            "everyone who lived in them, the dead too, divided by the household size of "
            "their unit.",
        ),
        (
            "B-1",
            "B-1 = (B-2 + B-3 + B-4 + B-5) x 100,000 / population, as UNDRR's DesInventar-SFM "
            "script computes it. B-2 (injured or ill) and B-5 (livelihoods) can overlap B-3 "
            "and B-4 (the same person injured and made homeless) and the model cannot separate "
            "them; without an injury model B-2 is absent here, so B-1 = B-3 + B-4 (+ B-5).",
        ),
        (
            "Expected annual values",
            "Event sets: sum over events of frequency x value (CLIMADA aai_agg); return-period "
            "maps: the trapezoid over exceedance probability between the first and last map, "
            "with protection standards applied (the same rules as average annual "
            "displacement).",
        ),
        (
            "Why PMD is never summed",
            "Probable maximum displacement (PMD) at T years is a quantile of each area's own "
            "exceedance curve: the 100-year figures of two districts rarely happen in the same "
            "year, so their sum is not the region's 100-year figure. PMD rows are marked "
            "additive = False; nor are figures of different hazards ever added. PMD outside "
            "the return periods an event set supports, or outside the maps' range, is left "
            "out, never extrapolated.",
        ),
        (
            "Return-period maps",
            "A map figure is displacement in the T-year map: every cell at its T-year intensity "
            "at once, not a national T-year event.",
        ),
        (
            "Event sets",
            "Figures of single events are given for the nation only (the per-zone values are "
            "in results.nc and zones_bands.csv), each named by its band, event_name and member "
            "as bands.csv gives them; expected annual values for every unit.",
        ),
        (
            "Displacement (custom indicators)",
            "No Sendai indicator measures displacement; D1-D6 are national custom indicators "
            "with the timing and duration classes of UNDRR's DELTA loss database: "
            "evacuation-type (intensity on the displacement curve) short; housing loss from "
            "damaged dwellings medium_long, from destroyed dwellings long; planned relocation "
            "permanent. Types overlap (a person can evacuate and lose their home) and are "
            "never added together.",
        ),
        (
            "Denominators",
            "per_100k uses the official population of the area when the run gives one "
            f"({official.get('source') or 'none given'}, {official.get('year') or 'year not given'}); "
            "an area without one whose units one level below all have one (their own or "
            "summed in turn) and hold all its people takes their sum, the nation that of the "
            "coarsest level plus those of the grid's people outside every unit whom no "
            "official figure counts (people outside every unit up to the official residents "
            "of the units with nobody on the grid are taken as those residents); otherwise the "
            "population on the grid, flagged in denominator_source. Grid population: "
            f"{population.get('source') or population.get('file') or 'not named'}, "
            f"{population.get('year') or 'year not given'}. A group's denominator is the "
            "area's official figure x the group's share of the area's grid population (the "
            "official year), else the group's grid population (the grid's year), so a total's "
            "rate lies between its groups' rates. The figures count people on the grid, an "
            "official denominator counts residents: where the two totals of an area differ by "
            f"more than {MISMATCH_TOLERANCE:.0%} (a few years of growth between the two years "
            "and the grid model's own error stay within it) the run warns, naming the areas. "
            "A rate above 100,000 per 100,000 is kept as computed, never capped, and its notes "
            "say why (people on the grid above the official figure, or people counted in more "
            "than one part of B-1, or in more than one event of an expected annual value).",
        ),
        (
            "Household size",
            f"mean {households['national_mean']:.3g} people per household; units without a "
            f"value ({households['units_filled_with_mean']}) take the mean; "
            + (
                "the outside bucket the size given nationally (the number, or the table's row "
                "with the country code)"
                if households.get("outside") == "country"
                else "so does the outside bucket"
                + (" (no row with the country code)" if households.get("outside") else "")
            )
            if households.get("given")
            else "not given: dwellings (B-3a, B-4a) are left out",
        ),
        (
            "Outside every admin unit",
            "People on the population grid outside every admin unit are their own row "
            "(__outside__; left out when nobody lives there), never folded into a unit; the "
            "nation = the units of any level + this row. Their per-zone shares (livelihoods, "
            "early warning, attributes, cohorts): the share table's row with the country "
            "code, else the units' population-weighted mean, said in the rows' notes.",
        ),
        (
            "Ranges",
            "low and high span the curve variants (low displaces fewer people, high more; for "
            "B-3 the variant with fewer destroyed dwellings has more damaged ones) or, for "
            "sea-level rise, the DEM raised and lowered by 1 m. They are a range of the "
            "method, not a confidence interval. Expected annual values of event sets with "
            "ensemble members (e.g. climate models) give the lowest and highest member's "
            "value (range_kind 'ensemble members'; zones.csv aad_member_min/_max); where a "
            "figure has curve variants that differ too, low and high stay the variants' and "
            "the notes give the members' range (variants that all give the central value, as "
            "B-1 often does, leave it to the members). The two kinds are never mixed in one "
            "range.",
        ),
        (
            "Confidence",
            "The evidence grade of the curve behind a figure: A calibrated against observed "
            "displacement, B derived from published damage functions, C a convention.",
        ),
        (
            "Disaggregation",
            "By sex, age band, disability and income where the run gives cohorts and "
            "attributes; per-zone shares assume the shares hold everywhere inside the zone. "
            "Attributes overlap each other and the cohorts. Disaggregated rows cover expected "
            "annual and scenario figures; each group's B-1 counts its B-3, B-4 and B-5 (its "
            "exposed people x the unit's livelihood share), so sex rows and age rows add up to "
            "the total. Age rows use the Sendai Monitor classes 0-14, 15-64 and 65+: cohort "
            "bands that cover one exactly (e.g. 0-4 + 5-14 = 0-14) are summed into it; every "
            "cohort band that is not a Sendai class is kept as breakdown age_detail with a "
            "note that it is not a Sendai Monitor class, and the classes the bands cannot "
            "form (15-64 and 65+ from 15-59 and 60+) are named in the notes and a run "
            "warning (the age rows then do not add up to the total). An attribute is labelled "
            "with_disability (column disability) or below_poverty_line (column income_group) "
            "only when its name, case, accents, spaces and hyphens aside, is one of these: "
            f"{names_read()}. Any other attribute, negations and other groups included "
            "(no_disability, high_income, non_poor), keeps its own name in group with both "
            "columns blank, as its notes say.",
        ),
    ]
    for topic, text in left_out:
        rows.append((f"Not included: {topic}", text))
    for hazard_id, record in sorted(meta["hazards"].items()):
        curve = record.get("curve") or {}
        damage = record.get("damage_curve") or {}
        parts = [f"{record['title']} ({record['type']}, HIP {record['hip_code']})"]
        if record.get("period"):
            parts.append(f"period {record['period']}")
        if record["type"] == "drought":  # classes, not a displacement curve
            parts += drought_about(record, (droughts or {}).get(hazard_id))
            rows.append((f"Hazard {hazard_id}", "; ".join(parts)))
            continue
        if curve:
            parts.append(f"displacement curve {curve['name']}: {curve.get('source', '')}")
        if damage:
            first = next(iter(sorted(damage.values(), key=lambda c: c["name"])))
            parts.append(
                f"damage states {', '.join(sorted(c['name'] for c in damage.values()))}: "
                f"{first.get('source', '')}"
            )
        if record.get("exposure_threshold") is not None:
            parts.append(f"exposure threshold {record['exposure_threshold']:g} {record['unit']}")
        if record.get("impact_time") == "day":
            parts.append(
                "strikes by day: the day/night table changes only the people exposed at impact "
                "(zones_bands.csv exposed_at_impact); displacement here follows residence"
            )
        rows.append((f"Hazard {hazard_id}", "; ".join(parts)))
    return rows
