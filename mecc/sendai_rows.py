"""Rows of the Sendai long table (``mecc.sendai``), one call per hazard of a run.

Reads the store of :func:`mecc.sendai.read_store`: per zone row the per-band, expected
annual and PMD figures of ``results.nc`` group ``sendai``, and the groups of people of
group ``disaggregated``. The nation is the sum of the finest units and the outside
bucket (its PMD is its own curve's); per-100,000 rates use the denominators of
:mod:`mecc.sendai_areas` (official figures, given or summed from the units below, else the
grid population, flagged; a group's: its share of them). A row's ``low`` and ``high`` are
its curve variants' range, else (expected annual values of event sets with ensemble
members) the members' (``range_kind`` says which); A-2's are those of the variants with a
fatality model (:mod:`mecc.sendai_deaths`). Group rows follow the totals' rules,
so sex rows and age rows each add up to the total (B-1 with the group's B-5 too; age
rows are the Sendai classes the cohorts' bands form, the other bands ``age_detail``,
classes not formed noted and warned about: :mod:`mecc.sendai_ages`); an
attribute carries a Sendai label only when its name means that group
(:func:`mecc.sendai_groups.attribute_labels`). Pre-emptive evacuation (custom D6) is
given only for hazard types with a forecast lead time, never an earthquake, whose D1
rows say why (:mod:`mecc.sendai_lead_time`). Rows
counting people outside every unit through a share they took as the units' mean (no
country row in the share table) say so (:func:`mecc.sendai_areas.outside_share_note`).
Rates above 100,000 per 100,000 are kept and noted with the row's own cause
(:func:`mecc.sendai_notes.rate_cause`: the grid above the official figure, B-1's
overlapping parts, or the events an expected annual value adds up); grid and official
totals that differ warn (``warn_population_mismatch``).
"""

from __future__ import annotations

import numpy as np

from mecc.national_rows import no_cells_columns, no_cells_rows
from mecc.sendai import CHUNK_ROWS, PER_100K, directly_affected, per_100k
from mecc.sendai_areas import (
    Area,
    areas,
    group_denominator,
    outside_share_note,
    warn_population_mismatch,
)
from mecc.sendai_curves import curve_columns
from mecc.sendai_deaths import deaths_columns
from mecc.sendai_groups import group_info, warn_age_classes
from mecc.sendai_lead_time import TSUNAMI_NOTE, has_lead_time, no_d6_note
from mecc.sendai_measures import hazard_measures
from mecc.sendai_notes import join as _join
from mecc.sendai_notes import noted as _noted
from mecc.sendai_notes import rate_cause
from mecc.sendai_text import INDICATORS, custom_code

__all__ = ["RowBuilder", "rate_cause", "variants_agree"]

OUTSIDE = "__outside__"
BY_INDICATOR = {ind.key: ind for ind in INDICATORS}
CURVE_RANGE = "curve variants (low / central / high)"
MEMBER_RANGE = "ensemble members (min / max of the members' expected annual values)"
BY_RESIDENCE = (
    "by residence: displacement follows where people live; the day/night table changes "
    "only the people exposed at impact (zones_bands.csv exposed_at_impact)"
)


def variants_agree(lowest: float, highest: float) -> bool:
    """Whether the variants' lowest and highest values are one value: ``np.isclose(lowest,
    highest, rtol=1e-9, atol=0)`` on two finite numbers, without numpy's call (a third of
    the rows' time)."""
    return abs(lowest - highest) <= 1e-9 * abs(highest)


class RowBuilder:
    """Rows of the long table, one call per hazard."""

    def __init__(self, s, version: str):
        self.s, self.meta, self.version = s, s.meta, version
        main = s.main
        self.codes = [str(c) for c in main["zone"].values]
        self.names = [str(n) for n in main["zone_name"].values]
        self.levels = [int(v) for v in main["level"].values]
        self.parents = [str(p) for p in main["parent_code"].values]
        self.population = main["population"].values
        self.hazard_ids = [str(h) for h in main["hazard"].values]
        self.country = self.meta["country"]
        self.areas = self._areas()
        cells = main["cells"].values if "cells" in main else None  # 0: figures not known
        self.unknown, self.below = no_cells_rows(self.codes, self.parents, cells, self.country)
        warn_population_mismatch(self.areas)  # the run's warnings (stderr, manifest.json)
        self.rows: list = []
        self.group_info = group_info(s.groups)  # labels: mecc.sendai_groups
        warn_age_classes(s.groups)  # Sendai age classes the cohorts' bands cannot form

    # --- areas and denominators (mecc.sendai_areas)
    def _areas(self) -> list:
        official = self.s.store["population_official"].values
        return areas(
            self.meta, official, self.codes, self.names, self.levels, self.parents, self.population
        )

    # --- values
    def _per_band(self, figure, h, band):
        store = self.s.store
        figures = [str(f) for f in store["figure"].values]
        if figure not in figures:
            return None
        # a view of the one band (a .sel copied every zone, hazard and band each time)
        return store["per_band"].values[figures.index(figure), :, h, band, :]

    def _annual(self, figure, h):
        figures = [str(f) for f in self.s.store["figure"].values]
        return self.s.store["expected_annual"].values[figures.index(figure), :, h, :]

    def _group_values(self, figure, h, measure, band):
        """(group, zone, variant) people of a group figure, or None."""
        groups, store = self.s.groups, self.s.store
        hazard = self.hazard_ids[h]
        if groups is None or hazard not in [str(x) for x in groups["hazard"].values]:
            return None
        gh = [str(x) for x in groups["hazard"].values].index(hazard)
        sh = list(store["hazard"].values).index(hazard)
        if measure == "expected_annual":
            if "group_expected_annual" not in store:
                return None
            if figure not in [str(f) for f in store["group_figure"].values]:
                return None  # livelihoods: a store written before the group's B-5
            return store["group_expected_annual"].sel(group_figure=figure).values[:, :, sh, :]
        if figure == "evacuation" and "group_evacuation" in store:
            return store["group_evacuation"].values[:, :, sh, band, :]
        if figure == "livelihoods":  # the group's B-5 (stored for scenarios)
            if "group_livelihoods" not in store or measure != "scenario":
                return None
            values = store["group_livelihoods"].values[:, :, sh]
        else:
            name = {"evacuation": "displaced"}.get(figure, figure)
            if name not in groups:
                return None
            values = groups[name].values[:, :, gh, band]
        if values.ndim == 2:  # exposed: no curve, no variants
            values = np.stack(
                [values, np.full_like(values, np.nan), np.full_like(values, np.nan)], -1
            )
        return values

    def _spread(self, h, measure, group_figure=None):
        """(zone, member) expected annual values of each figure (``group_figure``: (group,
        zone, member) of that group figure) for an event set with ensemble members, else
        ``{}`` (or None)."""
        store = self.s.store
        n = len(self.meta["hazards"][self.hazard_ids[h]].get("members") or [])
        name = "expected_annual_member" if group_figure is None else "group_expected_annual_member"
        if measure != "expected_annual" or n < 2 or name not in store:
            return {} if group_figure is None else None
        sh = list(store["hazard"].values).index(self.hazard_ids[h])
        if group_figure is None:
            table = store[name].values[:, :, sh, :n]
            return {str(f): table[k] for k, f in enumerate(store["figure"].values)}
        if group_figure not in [str(f) for f in store["group_figure"].values]:
            return None
        return store[name].sel(group_figure=group_figure).values[:, :, sh, :n]

    def value(self, table, area: Area):
        """Variants of one area: ``table`` is (zone, variant); sums the area's rows."""
        return np.sum(table[area.rows], axis=0)

    # --- rows
    def emit(self, area, hazard_id, measure, ind, values, extra, members=None):
        central = values[0]
        unknown = extra.pop("central_unknown", False)  # A-2 of variants' models only
        variants = extra.pop("variant_range", CURVE_RANGE)  # what low / high span
        if not np.isfinite(central) and not unknown:
            return
        finite = values[np.isfinite(values)]
        ranged = finite.size > 1 or (unknown and finite.size > 0)
        lowest, highest = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
        code = custom_code(self.country, int(ind.code[1:])) if ind.is_custom else ind.code
        people = ind.unit == "people"
        record = self.meta["hazards"][hazard_id]
        unit = ind.unit + (" per year" if measure == "expected_annual" else "")
        denominator = extra.pop("denominator", area.denominator)
        source = extra.pop("denominator_source", area.denominator_source)
        year = extra.pop("denominator_year", area.denominator_year)  # a group's may differ
        row = {
            "country_iso3": self.country,
            "admin_level": area.level,
            "admin_code": area.code,
            "admin_name": area.name,
            "parent_code": area.parent,
            "year": (self.meta.get("population") or {}).get("year"),
            "hazard_id": hazard_id,
            "hazard_type": record["type"],
            "hazard_hip_code": record["hip_code"],
            "hazard_label": record.get("scenario") or record["title"],
            "measure": measure,
            "band": "",
            "event_name": "",
            "member": "",
            "return_period": np.nan,
            "indicator_code": code,
            "indicator_name": ind.name,
            "is_custom": ind.is_custom,
            "unit": unit,
            "value_number": float(central),
            "per_100k": per_100k(central, denominator) if people else np.nan,
            "population_denominator": float(denominator) if people else np.nan,
            "denominator_source": source if people else "",
            "denominator_year": year if people else None,
            "breakdown": "",
            "group": "",
            "sex": "",
            "age_group": "",
            "disability": "",
            "income_group": "",
            "displacement_type": ind.displacement_type,
            "displacement_timing": ind.timing,
            "displacement_duration": ind.duration,
            "method": "modelled",
            "curve": "",
            "parameters": "",
            "source": self._source(hazard_id),
            "confidence": "",
            "low": lowest if ranged else np.nan,
            "high": highest if ranged else np.nan,
            "range_kind": "",
            "additive": measure != "pmd" and measure != "event",
            "sdg_series": ind.sdg_series,
            "notes": "",
        }
        if ranged:
            row["range_kind"] = (
                "DEM raised and lowered by 1 m" if measure == "planning" else variants
            )
        # variants that all give one value (B-1: damaged + destroyed) are said to, and leave
        # the range to the members where there are members
        agree = finite.size > 1 and variants_agree(lowest, highest)
        if agree and highest != 0:  # (variants agreeing on nobody: no news)
            extra["notes"] = _join(extra.get("notes"), "the curve variants all give this value")
        members = None if members is None else members[np.isfinite(members)]
        if members is not None and members.size > 1:
            low, high = float(members.min()), float(members.max())
            # one range per row: the curve variants', the members' noted
            if agree:
                row.update(low=low, high=high, range_kind=MEMBER_RANGE)
            elif finite.size > 1:
                extra["notes"] = _join(
                    extra.get("notes"),
                    f"ensemble members: {low:,.1f} to {high:,.1f} (min / max of the "
                    f"{members.size} members' expected annual values, central curve)",
                )
            else:
                row.update(low=low, high=high, range_kind=MEMBER_RANGE)
        overlap = extra.pop("overlapping_parts", False)  # B-1 of B-5 with B-3 or B-4
        # kept as computed, said why (B-1 = the people, to rounding: no news)
        if people and row["per_100k"] > PER_100K * (1 + 1e-9):
            cause = rate_cause(area, measure, overlap, float(denominator))
            extra["notes"] = _join(extra.get("notes"), cause)
        if area.code == OUTSIDE:
            extra["notes"] = "; ".join(
                filter(None, [extra.get("notes"), "people on the grid outside every admin unit"])
            )
        row.update(extra)
        if area.code in self.unknown or area.code in self.below:  # no cell: not known
            row.update(no_cells_columns(row, area.code in self.unknown, self.below.get(area.code)))
        self.rows.append(row)

    def _source(self, hazard_id) -> str:
        population = self.meta.get("population") or {}
        record = self.meta["hazards"][hazard_id]
        period = f", {record['period']}" if record.get("period") else ""
        where = population.get("source") or population.get("file") or "population grid"
        year = f" {population['year']}" if population.get("year") else ""
        return (
            f"mecc {self.version} modelled estimate: population ({where}{year}) x hazard "
            f"{hazard_id} ({record['type']}{period})"
        )

    # --- per hazard
    def _tables(self, h, measure, band) -> dict:
        """figure -> (zone, variant) people (or dwellings) of one measure."""
        store = self.s.store
        figures = [str(f) for f in store["figure"].values]
        if measure == "pmd":  # the nation's PMD is its own curve's, not a sum
            return {
                "evacuation": store["evacuation_pmd"].values[:, h, band, :],
                "national:evacuation": store["evacuation_pmd_national"].values[h, band, :],
            }
        if measure == "expected_annual":
            return {f: self._annual(f, h) for f in figures}
        return {f: self._per_band(f, h, band) for f in figures}

    def hazard(self, h) -> None:
        """Append the rows of hazard ``h`` to :attr:`rows`."""
        for _ in self._steps(h):
            pass

    def chunks(self, rows: int = CHUNK_ROWS):
        """The rows of every hazard, in table order, as lists of at least ``rows`` rows
        (the last may be shorter; none when the run gives no row): each list is taken
        out of :attr:`rows` before the next is built, so memory holds one chunk, not the
        table (a country of 40,000 units has millions of rows).

        Parameters
        ----------
        rows : int
            Rows per chunk (a chunk ends at the first area whose rows reach it).

        Yields
        ------
        list of dict
        """
        for h in range(len(self.hazard_ids)):
            for _ in self._steps(h):
                if len(self.rows) >= rows:
                    chunk, self.rows = self.rows, []
                    yield chunk
        if self.rows:
            chunk, self.rows = self.rows, []
            yield chunk

    def _steps(self, h):
        """Append the rows of hazard ``h`` to :attr:`rows`, yielding after each area."""
        hazard_id = self.hazard_ids[h]
        record = self.meta["hazards"][hazard_id]
        if record["type"] == "drought":  # exposure by class: no rows (About: Not included)
            return
        # the same for every area and measure of this hazard
        columns = {
            which: self._curve_columns(hazard_id, which)
            for which in ("damage", "displacement", "exposure", "fatality", "relocation")
        }
        for measure, band, label, rp, national_only in hazard_measures(self.s.main, h, record):
            tables = {  # figures with no value anywhere give no rows
                figure: table
                for figure, table in self._tables(h, measure, band).items()
                if figure.startswith("national:") or np.isfinite(table).any()
            }
            common = {**label, "return_period": rp}
            if measure == "return_period_map":
                common["notes"] = (
                    "displacement in the T-year map (every cell at its T-year intensity at "
                    "once), not a national T-year event"
                )
            elif measure == "pmd" and record["kind"] == "return_periods":  # DESIGN.md
                common["notes"] = (
                    "displacement in the T-year maps (every cell at its T-year intensity at "
                    "once, interpolated in log T between maps), not a national T-year event"
                )
            elif measure == "pmd":
                common["notes"] = "probable maximum at this return period: never summed"
            areas = self.areas[:1] if national_only else self.areas
            layers, spread = {}, self._spread(h, measure)
            for kind, figure in (
                ("sites", "evacuation"),
                ("livelihoods", "exposed"),
                ("early_warning", "evacuation"),
            ):
                if kind == "early_warning" and not has_lead_time(record["type"]):
                    continue  # D6 needs a lead time (mecc.sendai_lead_time); D1 says so
                index = self._breakdown_index(kind)
                if index is not None and measure not in ("pmd", "planning"):
                    values = self._group_values(figure, h, measure, band)
                    if values is not None:
                        layers[kind] = values[index]
                        members = self._spread(h, measure, figure)
                        if members is not None:
                            spread[f"layer:{kind}"] = members[index]
            for area in areas:
                self._area_rows(
                    area, hazard_id, measure, (tables, spread), layers, dict(common), columns
                )
                yield
            if measure in ("expected_annual", "scenario"):
                yield from self._group_rows(
                    h, hazard_id, measure, band, dict(common), "livelihoods" in layers
                )

    def _outside_note(self, area, index) -> str:
        """The note of a row of ``area`` counting the people outside every unit through
        the shares of groups ``index`` when they took the units' mean, else ``""``."""
        if index is None:
            return ""
        groups = self.s.groups
        return outside_share_note(area, groups, list(index), self.codes, self.population)

    def _breakdown_index(self, kind):
        if self.s.groups is None:
            return None
        kinds = [str(b) for b in self.s.groups["breakdown"].values]
        return kinds.index(kind) if kind in kinds else None

    def _by_residence(self, hazard_id, columns: dict, notes) -> dict:
        """Columns of an evacuation-type row (D1, D5, D6): for a hazard with ``impact_time:
        day`` a note that the figure counts residents, not the people present by day
        (DESIGN.md: displacement follows residence)."""
        if self.meta["hazards"][hazard_id].get("impact_time") != "day":
            return columns
        return {**columns, "notes": _join(notes, BY_RESIDENCE)}

    def _no_d6(self, record, measure, columns: dict, common: dict) -> dict:
        """D1's columns, noting why there is no D6 row where the run gives early-warning
        coverage but the hazard's type has no lead time (:mod:`mecc.sendai_lead_time`)."""
        if measure in ("pmd", "planning") or has_lead_time(record["type"]):
            return columns  # (no D6 at a PMD or a relocation anyway)
        if self._breakdown_index("early_warning") is None:
            return columns
        notes = columns.get("notes", common.get("notes"))
        return _noted(columns, _join(notes, no_d6_note(record["type"])))

    def _curve_columns(self, hazard_id, which) -> dict:
        return curve_columns(self.meta["hazards"][hazard_id], which)

    def _area_rows(self, area, hazard_id, measure, figures, layers, common, columns) -> None:
        tables, spread = figures  # (zone, variant) and (zone, member) tables

        def get(figure):
            if area.national and f"national:{figure}" in tables:
                return tables[f"national:{figure}"]
            table = tables.get(figure)
            return None if table is None else self.value(table, area)

        def members(key):
            table = spread.get(key)
            return None if table is None else self.value(table, area)

        def put(key, values, columns, figure=None, spread_values=None):
            if values is not None:
                self.emit(
                    area,
                    hazard_id,
                    measure,
                    BY_INDICATOR[key],
                    values,
                    {**common, **columns},
                    members(figure) if spread_values is None else spread_values,
                )

        damaged, destroyed = get("damaged"), get("destroyed")
        livelihoods = self.value(layers["livelihoods"], area) if "livelihoods" in layers else None
        shares = {  # the people outside every unit with the units' mean share: said
            kind: self._outside_note(area, [self._breakdown_index(kind)])
            for kind in ("livelihoods", "early_warning")
            if kind in layers
        }
        own_notes = _join(common.get("notes"), shares.get("livelihoods"))
        deaths = get("fatalities")  # per variant: a variant without a model NaN
        record = self.meta["hazards"][hazard_id]
        a2 = None if deaths is None else deaths_columns(record, deaths, columns["fatality"])
        if a2 is not None:
            put("A-2", deaths, a2, "fatalities")
        size = (self.meta.get("household_size") or {}).get("national_mean")
        mean = f" (mean {size:.3g})" if size else ""
        dwelling = {**columns["damage"], "parameters": f"household size per unit{mean}"}
        if damaged is not None and destroyed is not None:
            put("B-3", damaged, columns["damage"], "damaged")
            put("B-3a", get("damaged_dwellings"), dwelling, "damaged_dwellings")
            put("B-4", destroyed, columns["damage"], "destroyed")
            put("B-4a", get("destroyed_dwellings"), dwelling, "destroyed_dwellings")
        put("B-5", livelihoods, _noted(columns["exposure"], own_notes), "layer:livelihoods")
        parts = {"B-3": damaged, "B-4": destroyed, "B-5": livelihoods}
        spreads = {"B-3": members("damaged"), "B-4": members("destroyed")}
        spreads["B-5"] = members("layer:livelihoods")
        b1_columns = columns["damage"] if damaged is not None else columns["exposure"]
        b1_notes = own_notes if livelihoods is not None else common.get("notes")
        self._b1(put, parts, b1_columns, b1_notes, "population", spreads)
        evacuation = self._by_residence(hazard_id, columns["displacement"], common.get("notes"))
        put("D1", get("evacuation"), self._no_d6(record, measure, evacuation, common), "evacuation")
        if damaged is not None and destroyed is not None and measure != "pmd":
            put("D2", damaged, columns["damage"], "damaged")
            put("D3", destroyed, columns["damage"], "destroyed")
        put("D4", get("relocation"), columns["relocation"])
        for kind, key in (("sites", "D5"), ("early_warning", "D6")):
            if kind in layers:
                notes = evacuation.get("notes", common.get("notes"))
                tsunami = TSUNAMI_NOTE if key == "D6" and record["type"] == "tsunami" else ""
                noted = _noted(evacuation, _join(notes, shares.get(kind), tsunami))
                put(key, self.value(layers[kind], area), noted, f"layer:{kind}")

    def _b1(self, put, parts: dict, columns: dict, notes, whose: str, spreads: dict) -> None:
        """B-1 = (B-2 + B-3 + B-4 + B-5) of the parts present, with a note naming them;
        its members' values are the sums of the parts' (when every part has them)."""
        named = {key: values for key, values in parts.items() if values is not None}
        if not named:
            return
        b1 = directly_affected(*_filled(list(named.values())))
        together = [spreads.get(key) for key in named]
        members = directly_affected(*together) if all(m is not None for m in together) else None
        note = f"B-1 = ({' + '.join(named)}) x 100,000 / {whose}; B-2 not modelled"
        overlap = "B-5" in named and ("B-3" in named or "B-4" in named)
        extra = {**columns, "notes": _join(notes, note), "overlapping_parts": overlap}
        put("B-1", b1, extra, spread_values=members)

    def _group_rows(self, h, hazard_id, measure, band, common, with_b5: bool):
        """Rows of each group on the totals' rules: B-3, B-4, B-5 (the group's exposed x
        the unit's livelihood share), B-1 of the three, D1; without the group's B-5 in
        the store (written before it) no group B-1 where the total counts B-5. A
        generator: it yields after each group's area (:meth:`_steps`)."""
        if not self.group_info:
            return
        names = ("evacuation", "damaged", "destroyed", "livelihoods")
        tables = {figure: self._group_values(figure, h, measure, band) for figure in names}
        if tables["evacuation"] is None:
            return
        spread = {figure: self._spread(h, measure, figure) for figure in names}
        population = self.s.groups["population"].values
        damage = self._curve_columns(hazard_id, "damage")
        exposure = self._curve_columns(hazard_id, "exposure")
        displacement = self._curve_columns(hazard_id, "displacement")
        grid_year = (self.meta.get("population") or {}).get("year")
        livelihoods = self._breakdown_index("livelihoods")
        for labels, index, breakdown, name, note in self.group_info:
            for area in self.areas:
                own = self._outside_note(area, index)  # the group's own share outside
                liv = self._outside_note(area, None if livelihoods is None else [livelihoods])
                grid = float(np.sum(population[index][:, area.rows]))
                denominator, source, year = group_denominator(area, grid, grid_year)
                extra = {
                    **common,
                    **labels,
                    "breakdown": breakdown,
                    "group": name,
                    "denominator": denominator,
                    "denominator_source": source,
                    "denominator_year": year,
                    "notes": _join(common.get("notes"), note, own),
                }
                values = {
                    figure: None if table is None else self.value(table[index].sum(axis=0), area)
                    for figure, table in tables.items()
                }
                members = {
                    figure: None if table is None else self.value(table[index].sum(axis=0), area)
                    for figure, table in spread.items()
                }
                bound = (area, extra, members)

                def put(key, values, columns, figure=None, spread_values=None, at=bound):
                    area, extra, members = at  # this group's and area's
                    if spread_values is None:
                        spread_values = members.get(figure)
                    self.emit(
                        area,
                        hazard_id,
                        measure,
                        BY_INDICATOR[key],
                        values,
                        {**extra, **columns},
                        spread_values,
                    )

                parts = {}
                if values["damaged"] is not None and np.isfinite(values["damaged"][0]):
                    put("B-3", values["damaged"], damage, "damaged")
                    put("B-4", values["destroyed"], damage, "destroyed")
                    parts = {"B-3": values["damaged"], "B-4": values["destroyed"]}
                b5_notes = _join(extra.get("notes"), liv)
                if with_b5 and values["livelihoods"] is not None:
                    put("B-5", values["livelihoods"], _noted(exposure, b5_notes), "livelihoods")
                    parts["B-5"] = values["livelihoods"]
                if parts and (not with_b5 or "B-5" in parts):
                    b1_columns = damage if "B-3" in parts else exposure
                    spreads = {"B-3": members["damaged"], "B-4": members["destroyed"]}
                    spreads["B-5"] = members["livelihoods"]
                    notes = b5_notes if "B-5" in parts else extra.get("notes")
                    self._b1(put, parts, b1_columns, notes, "the group's people", spreads)
                evacuation = self._by_residence(hazard_id, displacement, extra.get("notes"))
                put("D1", values["evacuation"], evacuation, "evacuation")
                yield


def _filled(parts: list) -> list:
    """Variants of each part, a part without a variant that another part has taking its
    central value there (variants no part has stay missing: no range)."""
    present = np.any([np.isfinite(p) for p in parts], axis=0)
    return [np.where(np.isfinite(p), p, np.where(present, p[0], np.nan)) for p in parts]
