"""Disaster-loss records of a fictional past event and their Sendai A/B indicators.

Modules 2 and 6 need a DesInventar-style record set and the Sendai Framework
indicators computed from it. The formulas are the toolkit's own (:mod:`mecc.sendai`,
which builds the modelled Sendai tables of every run): this module adds what the
exercises need around them — the generated records, their cleaning, and the small
reporting table of reported records plus one modelled custom row.

Definitions (../shared/reference/sendai_training.md §1.3, from UNDRR's DesInventar-SFM
indicator script):

- A-2 = deaths x 100,000 / population; A-3 = missing x 100,000 / population;
  A-1 = (deaths + missing) x 100,000 / population;
- B-2 injured or ill; B-3 people whose dwellings were damaged; B-4 people whose
  dwellings were destroyed; B-5 people whose livelihoods were disrupted; when only
  dwellings are recorded, people = dwellings x inhabitants per household;
- B-1 = (B-2 + B-3 + B-4 + B-5) x 100,000 / population.

Evacuated, displaced and relocated people are *directly affected* in UNDRR's
terminology but are not among B-2..B-5: they are reported as national (custom)
indicators, and modelled figures are labelled ``method = modelled``.

The records are generated from an engine run of a past scenario (people exposed and
displaced per district) with fixed, variant-seeded ratios; one record is entered
twice on purpose, as real record sets have duplicates to clean.
"""

from __future__ import annotations

import numpy as np

from mecc import sendai

__all__ = [
    "PER",
    "clean_records",
    "loss_records",
    "reporting_table",
    "sendai_indicators",
]

PER = sendai.PER_100K
RECORD_COLUMNS = [
    "serial",
    "zone_code",
    "zone_name",
    "deaths",
    "missing",
    "injured",
    "houses_destroyed",
    "houses_damaged",
    "livelihoods_affected",
    "evacuated",
    "relocated",
]
CUSTOM_DISPLACED = sendai.custom_code("XMR", 1)
"""The national custom indicator code of modelled (evacuation-type) displacement, as in
the toolkit's sendai.csv (no global SFM code exists)."""


def loss_records(zones_bands, zones, hazard_id: str, variant: int, household_size: float):
    """DesInventar-style records per district of a past event (one entered twice).

    Parameters
    ----------
    zones_bands, zones : DataFrame
        The run's zones_bands.csv and zones.csv.
    hazard_id : str
        The scenario hazard standing for the past event.
    variant : int
        Seeds the ratios, so every group's records differ.
    household_size : float
        Inhabitants per household (turns displaced people into destroyed houses).
    """
    import pandas as pd

    rows = zones_bands[(zones_bands["hazard_id"] == hazard_id) & (zones_bands["level"] == 2)]
    rows = rows[rows["exposed"] > 0].sort_values("zone_code")
    names = dict(zip(zones["zone_code"], zones["zone_name"], strict=False))
    rng = np.random.default_rng(2024 + 17 * variant)
    records = []
    for k, (_, row) in enumerate(rows.iterrows(), start=1):
        exposed, displaced = float(row["exposed"]), float(row["displaced"])
        deaths = round(displaced * rng.uniform(0.002, 0.006))
        records.append(
            {
                "serial": f"XMR-2024-{k:03d}",
                "zone_code": row["zone_code"],
                "zone_name": names.get(row["zone_code"], ""),
                "deaths": deaths,
                "missing": round(deaths * rng.uniform(0.1, 0.6)),
                "injured": round(displaced * rng.uniform(0.01, 0.03)),
                "houses_destroyed": round(displaced * rng.uniform(0.3, 0.5) / household_size),
                "houses_damaged": round(
                    (displaced * 0.4 + (exposed - displaced) * rng.uniform(0.4, 0.7))
                    / household_size
                ),
                "livelihoods_affected": round(exposed * rng.uniform(0.1, 0.3)),
                "evacuated": round(exposed * rng.uniform(0.6, 0.9)),
                "relocated": round(displaced * rng.uniform(0.0, 0.05)),
            }
        )
    frame = pd.DataFrame(records, columns=RECORD_COLUMNS)
    if len(frame):
        twice = frame.loc[[int(frame["deaths"].to_numpy().argmax())]]
        frame = pd.concat([frame, twice], ignore_index=True)
    return frame


def clean_records(records, *, keep_duplicates: bool = False):
    """The records with repeated serial numbers removed (the first entry kept)."""
    if keep_duplicates:
        return records.reset_index(drop=True)
    return records.drop_duplicates("serial", keep="first").reset_index(drop=True)


def sendai_indicators(records, population: float, household_size: float) -> dict:
    """Sendai A-1..A-3 and B-1..B-5 of (cleaned) records for one population.

    Returns the number of ``records`` and absolute numbers (``deaths``, ``missing``, ``B-2`` ... ``B-5`` people,
    ``B-1_people``) and rates per 100,000 (``A-1``, ``A-2``, ``A-3``, ``B-1``).
    """
    total = {c: float(records[c].sum()) for c in RECORD_COLUMNS[3:]}
    b2 = total["injured"]
    b3 = sendai.people_from_dwellings(total["houses_damaged"], household_size)
    b4 = sendai.people_from_dwellings(total["houses_destroyed"], household_size)
    b5 = total["livelihoods_affected"]
    affected = sendai.directly_affected(b2, b3, b4, b5)
    return {
        "records": float(len(records)),
        "deaths": total["deaths"],
        "missing": total["missing"],
        "evacuated": total["evacuated"],
        "relocated": total["relocated"],
        **sendai.mortality(total["deaths"], total["missing"], population),
        "B-2": b2,
        "B-3": b3,
        "B-4": b4,
        "B-5": b5,
        "B-1_people": affected,
        "B-1": sendai.per_100k(affected, population),
    }


def reporting_table(records, zones, household_size: float, displaced: dict, year: int = 2024):
    """The Sendai reporting long table: districts and the nation, reported and modelled.

    One row per area and indicator: A-2, A-3, B-1..B-5 from the records (``method``
    reported), and the national custom indicator of modelled displacement (``method``
    modelled) from ``displaced`` (zone code -> people, the engine's figures). Rates use
    the area's own population (zones.csv) as denominator; the national rows cover the
    districts that have records.
    """
    import pandas as pd

    population = dict(zip(zones["zone_code"], zones["population"].astype(float), strict=False))
    names = dict(zip(zones["zone_code"], zones["zone_name"], strict=False))
    country = str(zones["zone_code"].iloc[0])[:3]
    codes = sorted(set(records["zone_code"]))
    areas = [(2, code, records[records["zone_code"] == code]) for code in codes]
    areas.append((0, country, records))
    national_population = float(zones[zones["level"] == 1]["population"].sum())
    rows = []
    for level, code, part in areas:
        pop = national_population if level == 0 else population[code]
        values = sendai_indicators(part, pop, household_size)
        common = {
            "country_iso3": country,
            "admin_level": level,
            "admin_code": code,
            "admin_name": names.get(code, country),
            "year": year,
            "population_denominator": pop,
        }
        for code_, number in (
            ("A-2", values["deaths"]),
            ("A-3", values["missing"]),
            ("B-1", values["B-1_people"]),
            ("B-2", values["B-2"]),
            ("B-3", values["B-3"]),
            ("B-4", values["B-4"]),
            ("B-5", values["B-5"]),
        ):
            rows.append(
                {
                    **common,
                    "indicator_code": code_,
                    "is_custom": False,
                    "value_number": number,
                    "per_100k": sendai.per_100k(number, pop),
                    "method": "reported",
                }
            )
        if level == 0:
            modelled = float(sum(displaced.get(c, 0.0) for c in codes))
        else:
            modelled = float(displaced.get(code, 0.0))
        rows.append(
            {
                **common,
                "indicator_code": sendai.custom_code(country, 1),
                "is_custom": True,
                "value_number": modelled,
                "per_100k": sendai.per_100k(modelled, pop),
                "method": "modelled",
            }
        )
    return pd.DataFrame(rows)
