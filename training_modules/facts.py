"""Named facts of an exercise, computed from the engine's run outputs.

Every number an answer key, handout table or map shows is a *fact*: a module's YAML
names it and says how it is computed (``of:`` one of the functions registered here,
with parameters), e.g.::

    facts:
      aad: {of: summary, hazard: river_flood, figure: aad}
      aad_per_100k: {of: per_100k, value: aad, population: population_total}

Facts may refer to other facts by name and to knob values as ``"{knob}"``. Nothing
here types an expected number: each function reads the run folder (summary.json,
zones.csv, zones_bands.csv, bands.csv, futures.csv, attribution.csv) or the exercise
inputs and computes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mecc.errors import ConfigError, DataError
from training_modules import needs, sendai_records
from training_modules.scenario import fill_knobs

__all__ = ["Facts", "FUNCTIONS"]


class Facts:
    """The facts of one module and variant, computed on demand and remembered.

    Parameters
    ----------
    module : Module
    run_dir : path
        The module's finished run folder.
    inputs_dir : path
        The exercise inputs (census ratios, shelters, grids).
    knobs : dict
        The variant's knob values.
    variant : int
    """

    def __init__(self, module, run_dir, inputs_dir, knobs: dict, variant: int):
        from mecc.map_data import read_run, read_table

        self.module, self.knobs, self.variant = module, knobs, variant
        self.run_dir, self.inputs_dir = Path(run_dir), Path(inputs_dir)
        self.run = read_run(self.run_dir)
        self.summary = self.run.summary
        self.zones = self.run.zones
        self.zones_bands = read_table(self.run_dir / "zones_bands.csv")
        self.zones_bands["band"] = self.zones_bands["band"].astype(str)
        self.bands = read_table(self.run_dir / "bands.csv")
        self.bands["band"] = self.bands["band"].astype(str)
        self.specs = fill_knobs(module.data.get("facts") or {}, knobs)
        self._values: dict = {}
        self._busy: set = set()
        self._frames: dict = {}

    # --- resolving ---------------------------------------------------------------------

    def __getitem__(self, name):
        if name in self._values:
            return self._values[name]
        if name not in self.specs:
            raise ConfigError(f"{self.module.path.name}: fact {name!r} is not defined")
        if name in self._busy:
            raise ConfigError(f"{self.module.path.name}: fact {name!r} refers to itself")
        self._busy.add(name)
        spec = dict(self.specs[name])
        spec.pop("optional", None)
        function = FUNCTIONS.get(spec.pop("of", None))
        if function is None:
            raise ConfigError(
                f"{self.module.path.name}.facts.{name}: 'of' must be one of {', '.join(FUNCTIONS)}"
            )
        try:
            value = function(self, **spec)
        except (KeyError, IndexError, TypeError) as error:
            raise DataError(
                f"{self.module.path.name}.facts.{name}: cannot be computed from the run ({error!r})"
            ) from None
        finally:
            self._busy.discard(name)
        if isinstance(value, float | np.floating) and not np.isfinite(value):
            raise DataError(f"{self.module.path.name}.facts.{name}: not a finite number")
        self._values[name] = float(value) if isinstance(value, np.floating | int) else value
        return self._values[name]

    def number(self, ref) -> float:
        """A number given directly or as the name of another fact."""
        if isinstance(ref, str):
            return float(self[ref])
        return float(ref)

    def code(self, ref) -> str:
        """A zone code given directly or as the name of a fact that is one."""
        return str(self[ref]) if ref in self.specs else str(ref)

    def optional(self, name) -> bool:
        """Whether a fact may be missing from a run (``optional: true`` in its spec: a
        range's end where a variant picks a curve without low and high variants)."""
        spec = self.specs.get(name) if isinstance(name, str) else None
        return isinstance(spec, dict) and bool(spec.get("optional"))

    def all(self) -> dict:
        """Every fact; an optional one the run cannot give is left out."""
        out = {}
        for name in self.specs:
            try:
                out[name] = self[name]
            except DataError:
                if not self.optional(name):
                    raise
        return out

    # --- tables ------------------------------------------------------------------------

    def zone_rows(self, hazard, level=None, band=None):
        """zones.csv rows of a hazard (or zones_bands.csv rows of one band)."""
        if band is None:
            rows = self.zones[self.zones["hazard_id"] == hazard]
        else:
            rows = self.zones_bands[
                (self.zones_bands["hazard_id"] == hazard) & (self.zones_bands["band"] == str(band))
            ]
            if rows.empty:
                raise KeyError(f"band {band} of {hazard}")
        rows = rows[rows["zone_code"] != "__outside__"]
        if level is not None:
            rows = rows[rows["level"] == int(level)]
        return rows

    def population_of(self, codes) -> np.ndarray:
        table = self.zones.drop_duplicates("zone_code").set_index("zone_code")["population"]
        return table.reindex(list(codes)).to_numpy(dtype="float64")

    def census(self):
        if "census" not in self._frames:
            import pandas as pd

            self._frames["census"] = pd.read_csv(
                self.inputs_dir / "census_ratios.csv",
                encoding="utf-8-sig",
                dtype={"zone_code": str},
            )
        return self._frames["census"]

    def records(self):
        """The module's loss records (generated once from the run; see sendai_records)."""
        if "records" not in self._frames:
            spec = self.module.data["scenario"].get("records") or {}
            hazard = spec.get("hazard")
            if not hazard:
                raise ConfigError(f"{self.module.path.name}.scenario.records: name a hazard")
            self._frames["records"] = sendai_records.loss_records(
                self.zones_bands, self.zones, hazard, self.variant, self.household_size()
            )
        return self._frames["records"]

    def household_size(self) -> float:
        return float(self.knobs.get("household_size", 4.0))

    def shelters(self):
        if "shelters" not in self._frames:
            import geopandas as gpd
            import pandas as pd

            criteria = self.module.data.get("shelter_criteria") or {}
            hazard = criteria.get("hazard_grid", "forecast_surge.tif")
            area = self.module.data["needs_per_person"]["covered_area_m2"]["per_person"]
            districts = gpd.read_file(self.inputs_dir / "admin.gpkg", layer="districts")
            districts = districts.rename(columns={"pcode": "zone_code"})
            table = pd.read_csv(self.inputs_dir / "shelters.csv", encoding="utf-8-sig")
            self._frames["shelters"] = needs.shelter_sites(
                table, self.inputs_dir / hazard, districts, criteria, float(area)
            )
        return self._frames["shelters"]

    def futures(self, name="futures"):
        """futures.csv (or attribution.csv), with the change's range where it has one.

        futures.csv gives each figure's range as the baseline and the future with the low
        and the high curve variant (``baseline_low`` ... ``future_high``), not the change's;
        ``change_low`` / ``change_high`` are added here as ``future_low - baseline_low`` and
        ``future_high - baseline_high`` (the change with each variant, as ``change`` is
        ``future - baseline``), unless the table has them already.
        """
        if name not in self._frames:
            from mecc.map_data import read_table

            table = read_table(self.run_dir / f"{name}.csv")
            for end in ("low", "high"):
                columns = (f"change_{end}", f"future_{end}", f"baseline_{end}")
                if columns[0] not in table.columns and all(c in table for c in columns[1:]):
                    table[columns[0]] = table[columns[1]] - table[columns[2]]
            self._frames[name] = table
        return self._frames[name]

    def future_rows(self, future, hazard, zone=None):
        """futures.csv rows of one future and hazard: one zone's, or (``zone`` None) the
        whole grid's, the country's code (blank level beside a level-0 unit of that code
        whose figures differ; see :mod:`mecc.national_rows`)."""
        table = self.futures()
        rows = table[(table["future_id"] == future) & (table["hazard_id"] == hazard)]
        if zone is not None:
            return rows[rows["zone_code"] == self.code(zone)]
        rows = rows[rows["zone_code"] == str(self.summary["country"])]
        return rows[rows["level"].isna()] if len(rows) > 1 else rows


# --- fact functions: (facts, **parameters) -> number or zone code ------------------------


def _summary(f, hazard, figure):
    return f.summary["hazards"][hazard][figure]


def _population_total(f):
    return f.summary["population_total"]


def _pmd(f, hazard, period, variant="", bootstrap=""):
    """PMD of a return period: central, a curve ``variant`` (low, high), or an end of
    the bootstrap interval of an event set (``bootstrap``: p05, p95)."""
    entry = f.summary["hazards"][hazard]
    if bootstrap:
        value = entry["pmd_bootstrap"][bootstrap][str(int(period))]
    else:
        value = entry[f"pmd_{variant}" if variant else "pmd"][str(int(period))]
    if value is None:
        raise KeyError(f"PMD {period} undefined")
    return value


def _band(f, hazard, band, figure):
    rows = f.bands[(f.bands["hazard_id"] == hazard) & (f.bands["band"] == str(band))]
    return float(rows[figure].iloc[0])


def _zone(f, hazard, zone, figure, band=None):
    rows = f.zone_rows(hazard, band=band)
    return float(rows[rows["zone_code"] == f.code(zone)][figure].iloc[0])


def _ranked(f, hazard, figure, level, band=None, per_100k=False):
    rows = f.zone_rows(hazard, level, band)
    values = rows[figure].to_numpy(dtype="float64")
    if per_100k:
        values = values * 1e5 / f.population_of(rows["zone_code"])
    order = sorted(range(len(rows)), key=lambda k: (-values[k], rows["zone_code"].iloc[k]))
    return [(rows["zone_code"].iloc[k], values[k]) for k in order]


def _top_zone(f, hazard, figure, level, band=None, per_100k=False, rank=1):
    return _ranked(f, hazard, figure, level, band, per_100k)[int(rank) - 1][0]


def _parent(f, zone):
    rows = f.zones[f.zones["zone_code"] == f.code(zone)]
    return str(rows["parent_code"].iloc[0])


def _shortfall(f, people, capacity):
    """People without a place: max(0, people - capacity)."""
    return max(0.0, f.number(people) - f.number(capacity))


def _bottom_zone(f, hazard, figure, level, band=None, per_100k=False):
    """The zone with the smallest positive figure (the lightest colour on the map)."""
    ranked = [item for item in _ranked(f, hazard, figure, level, band, per_100k) if item[1] > 0]
    return ranked[-1][0]


def _zone_count(f, hazard, figure, level, zero=True):
    """How many zones have a figure of zero (white on the map), or above zero."""
    values = f.zone_rows(hazard, level)[figure].to_numpy(dtype="float64")
    return float(np.sum(values == 0) if zero else np.sum(values > 0))


def _code(f, value):
    """A zone code named in the module (shown as the zone's name in texts)."""
    return str(value)


def _future_zone(f, future, hazard, zone=None, field="change"):
    """A figure of futures.csv: one zone's, or the whole grid's without ``zone``
    (``field`` also ``change_low`` / ``change_high``, see :meth:`Facts.futures`)."""
    return float(f.future_rows(future, hazard, zone)[field].iloc[0])


def _zone_population(f, zone):
    return float(f.population_of([f.code(zone)])[0])


def _per_100k(f, value, population):
    return f.number(value) * 1e5 / f.number(population)


def _scale(f, value, by):
    return f.number(value) * float(by)


def _ratio(f, num, den, scale=1.0):
    return f.number(num) / f.number(den) * float(scale)


def _cohort(f, hazard, band, share, method="district", figure="exposed"):
    """People of one census group: exposed (or displaced) per district x its share.

    ``method``: ``district`` (the right way), ``national`` (the national share applied
    to the national total) or ``population`` (shares applied to all residents).
    """
    rows = f.zone_rows(hazard, 2, band).set_index("zone_code")
    census = f.census().set_index("zone_code")
    shares = census[share].reindex(rows.index).to_numpy(dtype="float64")
    values = rows[figure].to_numpy(dtype="float64")
    if method == "district":
        return float(np.sum(values * shares))
    population = f.population_of(rows.index)
    if method == "national":
        return float(values.sum() * np.sum(shares * population) / population.sum())
    if method == "population":
        return float(np.sum(population * shares))
    raise ConfigError(f"cohort method {method!r}: use district, national or population")


def _future(f, future, hazard, field):
    return f.summary["futures"][future]["hazards"][hazard][field]


def _future_share(f, future, hazard, part):
    entry = f.summary["futures"][future]["hazards"][hazard]
    return entry[part] / entry["change"] * 100.0


def _needs(f, people, item, days=1):
    per_person = f.module.data["needs_per_person"]
    return needs.minimum_needs(f.number(people), {item: per_person[item]})[item] * float(days)


def _shelters(f, measure):
    """Candidate sites: ``suitable`` count, ``capacity`` of suitable sites, and the
    mistakes' versions (``count_ignoring_flood``, ``capacity_all``, ...)."""
    table = f.shelters()
    dry, road, big = table["dry"], table["near_road"], table["big_enough"]
    chosen = {
        "suitable": dry & road & big,
        "ignoring_flood": road & big,
        "ignoring_road": dry & big,
        "all": dry | ~dry,
    }
    kind, _, which = measure.partition("_")
    if kind == "count":
        return float(chosen[which].sum())
    if kind == "capacity":
        return float(table.loc[chosen[which], "capacity"].sum())
    raise ConfigError(f"shelters measure {measure!r}: use count_<set> or capacity_<set>")


def _sendai(f, indicator, duplicates=False, per=1e5, population=None, dwellings=False):
    """A Sendai figure of the records (see :mod:`training_modules.sendai_records`).

    The parameters produce the documented mistakes: ``duplicates`` keeps the record
    entered twice, ``per`` another base than 100,000, ``population`` another
    denominator, ``dwellings`` counts houses instead of people.
    """
    records = sendai_records.clean_records(f.records(), keep_duplicates=duplicates)
    pop = f.number(population) if population is not None else f.summary["population_total"]
    size = 1.0 if dwellings else f.household_size()
    values = sendai_records.sendai_indicators(records, pop, size)
    value = values[indicator]
    if indicator in ("A-1", "A-2", "A-3", "B-1") and per != 1e5:
        value = value / 1e5 * float(per)
    return value


def _sendai_plus(f, indicator, add):
    """A Sendai people figure plus another records column (e.g. B-1 with evacuees)."""
    records = sendai_records.clean_records(f.records())
    values = sendai_records.sendai_indicators(
        records, f.summary["population_total"], f.household_size()
    )
    extra = float(records[add].sum())
    if indicator == "B-1":
        return (values["B-1_people"] + extra) * 1e5 / f.summary["population_total"]
    return values[indicator] + extra


def _sendai_zone(f, zone, indicator="B-1", population="zone"):
    """B-1 (or another rate) of one district, per 100,000 of its own population (or the
    nation's, the mistake)."""
    code = f.code(zone)
    records = sendai_records.clean_records(f.records())
    part = records[records["zone_code"] == code]
    pop = _zone_population(f, code) if population == "zone" else f.summary["population_total"]
    return sendai_records.sendai_indicators(part, pop, f.household_size())[indicator]


def _sendai_top_zone(f, indicator="B-1_people"):
    records = sendai_records.clean_records(f.records())
    best = None
    for code in sorted(set(records["zone_code"])):
        part = records[records["zone_code"] == code]
        value = sendai_records.sendai_indicators(part, 1.0, f.household_size())[indicator]
        if best is None or value > best[1]:
            best = (code, value)
    return best[0]


def _sendai_table(
    f, indicator, admin_level=0, method=None, field="per_100k", average=False, zone=None
):
    """A value of the reporting long table; ``average`` is the unweighted mean of the
    district rates (the mistake of averaging rates); ``zone`` (a code or a fact naming
    one) picks that area's row, else the level's first."""
    table = reporting(f)
    rows = table[table["indicator_code"] == indicator]
    if method:
        rows = rows[rows["method"] == method]
    if average:
        return float(rows[rows["admin_level"] == 2][field].mean())
    rows = rows[rows["admin_level"] == int(admin_level)]
    if zone is not None:
        rows = rows[rows["admin_code"] == f.code(zone)]
        if rows.empty:
            raise DataError(f"{f.module.path.name}: no {indicator} row of zone {f.code(zone)}")
    return float(rows[field].iloc[0])


def _sendai_rows(f, admin_level=None):
    table = reporting(f)
    if admin_level is not None:
        table = table[table["admin_level"] == int(admin_level)]
    return float(len(table))


def reporting(f):
    """The module's Sendai reporting table (modelled displacement of the scenario)."""
    if "reporting" not in f._frames:
        spec = f.module.data["scenario"].get("records") or {}
        hazard = spec.get("displacement_hazard", spec.get("hazard"))
        rows = f.zone_rows(hazard, 2)
        displaced = dict(zip(rows["zone_code"], rows["displaced"].astype(float), strict=True))
        f._frames["reporting"] = sendai_records.reporting_table(
            sendai_records.clean_records(f.records()), f.zones, f.household_size(), displaced
        )
    return f._frames["reporting"]


FUNCTIONS = {
    "summary": _summary,
    "population_total": _population_total,
    "pmd": _pmd,
    "band": _band,
    "zone": _zone,
    "top_zone": _top_zone,
    "bottom_zone": _bottom_zone,
    "zone_population": _zone_population,
    "zone_count": _zone_count,
    "code": _code,
    "future_zone": _future_zone,
    "parent": _parent,
    "shortfall": _shortfall,
    "per_100k": _per_100k,
    "scale": _scale,
    "ratio": _ratio,
    "cohort": _cohort,
    "future": _future,
    "future_share": _future_share,
    "needs": _needs,
    "shelters": _shelters,
    "sendai": _sendai,
    "sendai_plus": _sendai_plus,
    "sendai_zone": _sendai_zone,
    "sendai_top_zone": _sendai_top_zone,
    "sendai_table": _sendai_table,
    "sendai_rows": _sendai_rows,
}
"""The computations a module's ``facts`` may name (``of:``)."""


def zone_options(facts: Facts, spec: dict, include: list, exclude_class=None) -> list:
    """Four zone codes for a choice question: ``include`` plus the next-ranked zones.

    ``spec`` names the ranking (``hazard, figure, level``, optional ``band``,
    ``per_100k``). ``exclude_class`` (a set of codes) keeps zones out that would also
    be right (the same map class as the answer). Sorted by code, so the letters are the
    same in every language.
    """
    spec = fill_knobs(spec, facts.knobs)
    ranked = _ranked(
        facts,
        spec["hazard"],
        spec["figure"],
        spec["level"],
        spec.get("band"),
        spec.get("per_100k", False),
    )
    chosen = list(dict.fromkeys(include))
    for code, _ in ranked:
        if len(chosen) >= int(spec.get("count", 4)):
            break
        if code not in chosen and code not in (exclude_class or set()):
            chosen.append(code)
    return sorted(chosen)
