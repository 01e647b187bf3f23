"""Points and lines on the map: sites, flows of the displaced, tracks and epicentres.

Drawn when the run folder has them (``mobility.sites`` → sites.csv, ``mobility.allocation``
→ allocation.csv and flows.csv):

- sites as circles sized by their people, with a popup of each hazard's figure for them
  (at risk of secondary displacement);
- per allocated hazard, for one band (the scenario, or the 100-year map when there is
  one, else the rarest map): people hosted per 1,000 residents as a choropleth, with
  popups of each unit's displaced, hosted and no-host people, and the flows between
  units as lines whose width follows the people moving; the people with no host in
  reach and those hosted outside every admin unit (``__outside__``, no place to draw a
  line to) are stated in the layer's legend, the flow layer's name and the About panel
  (:func:`unplaced_line`).

A generated cyclone's track and an earthquake's epicentre come from manifest.json
(``mecc.manifest.generated_scenario``; a USGS ShakeMap's epicentre and the line naming
the ShakeMap, :func:`shakemap_line`, from its ``shakemap`` record), and the citations of their generator's method
from it and from the grid's own tags (:func:`generator_citations`). Every value from the
run is escaped (site names come from field spreadsheets).
"""

from __future__ import annotations

import math
import os

import numpy as np
import pandas as pd

from mecc.map_text import esc
from mecc.variant_order import variant_range

__all__ = [
    "allocation_band",
    "flow_layers",
    "generator_citations",
    "host_choropleths",
    "scenario_markers",
    "shakemap_line",
    "site_layer",
    "unplaced_line",
]

SITE_COLOUR = "#7a0177"
FLOW_COLOUR = "#08519c"
MAX_FLOW_LINES = 400
"""Most flow lines a map draws per hazard: the largest (a country of 40,000 units had
1.7 million flows in one band, a line and tooltip each: a page of gigabytes)."""


def _read(path, codes=("zone_code", "band")):
    """A table of the run, checked, its names as written (spreadsheet-safe quotes off)."""
    from mecc.run_folder import read_run_table

    return read_run_table(path.parent, path.name, codes=list(codes))


def allocation_band(table: pd.DataFrame, hazard_id: str, kind: str, bands=None) -> str | None:
    """The band whose allocation the map shows: the scenario, or for return-period maps
    the 100-year map when there is one, else the rarest (``bands``: bands.csv)."""
    labels = list(dict.fromkeys(table.loc[table["hazard_id"] == hazard_id, "band"].astype(str)))
    if not labels:
        return None
    if kind == "return_periods" and bands is not None:
        rows = bands[(bands["hazard_id"] == hazard_id) & bands["band"].astype(str).isin(labels)]
        periods = dict(
            zip(rows["band"].astype(str), rows["return_period"].astype(float), strict=True)
        )
        if periods:
            hundred = [b for b, t in periods.items() if t == 100.0]
            return hundred[0] if hundred else max(periods, key=periods.get)
    return labels[-1] if kind == "return_periods" else labels[0]


def host_choropleths(page):
    """(layer name, values, unit, popup, legend note) of host burden per allocated hazard.

    Each layer has popups of its own (per unit: displaced, hosted, host burden, people
    with no safe place in reach and people sent outside every admin unit) and a legend
    note, also in the About panel's notes, giving the band's people with no host in reach
    and those hosted outside every admin unit (:func:`unplaced_line`), whom the
    choropleth cannot show.
    """
    run, text = page.run, page.text
    path = run.run_dir / "allocation.csv"
    if not path.is_file():
        return []
    table = _read(path)
    flows = _flows(run)
    out = []
    for hazard_id, summary in run.summary.get("hazards", {}).items():
        band = allocation_band(table, hazard_id, summary.get("kind", ""), run.bands)
        if band is None:
            continue
        rows = page.rows(table, hazard_id, band=band)
        values = rows["host_burden_per_1000"].to_numpy(dtype="float64")
        band_text = _band_text(text, summary, band, run.bands)
        name = f"{text.w('layer_host_burden', band=band_text)} · {esc(hazard_id)}"
        sent = {}
        if flows is not None:
            chosen = flows[
                (flows["hazard_id"] == hazard_id)
                & (flows["band"] == band)
                & (flows["to_zone"] == OUTSIDE)
                & (flows["from_zone"] != OUTSIDE)
            ]
            sent = chosen.groupby("from_zone")["people"].sum().to_dict()
        page.popups.append(_host_popups(page, rows, hazard_id, summary, band_text, sent))
        chosen = table[(table["hazard_id"] == hazard_id) & (table["band"] == band)]
        line = unplaced_line(text, chosen, page.codes, hazard_id, band_text)
        page.notes.append(line)
        out.append((name, values, "unit_per_1000", len(page.popups) - 1, line))
    return out


OUTSIDE = "__outside__"
"""The zone code of the people and places outside every admin unit."""


def _flows(run):
    """flows.csv with its people as numbers, or None without it."""
    path = run.run_dir / "flows.csv"
    if not path.is_file():
        return None
    flows = _read(path, ("hazard_id", "band", "from_zone", "to_zone"))
    flows["people"] = flows["people"].astype(float)
    return flows


def _total(rows, column) -> float:
    if column not in rows.columns:
        return math.nan
    values = pd.to_numeric(rows[column], errors="coerce").to_numpy(dtype="float64")
    return float(np.nansum(values)) if np.isfinite(values).any() else math.nan


def _variants(central, low, high) -> tuple[float, float] | None:
    """The curve variants' range around ``central``, as the hazard popups show it
    (:meth:`mecc.map_text.Text._range`): the lowest to the highest of the central figure
    and the finite variants (:func:`mecc.variant_order.variant_range`; curves that cross
    can give ``low`` the larger figure), or None without a variant or for 0 to 0."""
    ends = variant_range(central, low, high)
    return None if ends is None or ends == (0.0, 0.0) else ends


def _spread(text, central, low, high) -> str:
    """ " (range LOW to HIGH)" of the variants around ``central`` (:func:`_variants`),
    else ""."""
    ends = _variants(central, low, high)
    if ends is None:
        return ""
    return f" ({text.w('aad_range', low=text.number(ends[0]), high=text.number(ends[1]))})"


def _alloc_variants(text, central, low, high) -> str:
    """The displaced people's range under the curve variants (not allocated), or ""."""
    ends = _variants(central, low, high)
    if ends is None:
        return ""
    return text.w("alloc_variants", low=text.number(ends[0]), high=text.number(ends[1]))


def unplaced_line(text, rows, codes, hazard_id, band_text) -> str:
    """The people of one hazard's allocated band with no host in reach and those hosted
    outside every admin unit (escaped HTML), as allocation.csv gives them.

    ``rows``: allocation.csv's rows of the band; the totals add the units of ``codes``
    (the map's finest level) and ``__outside__``. The people with no host are the central
    curve's, with their range where the table has one (``no_host_low``/``_high``); the
    displaced people with the curve variants' range (``displaced_low``/``_high``, not
    allocated; the lowest to the highest of the totals, :func:`_variants`), labelled a
    modelled estimate.
    """
    units = rows[rows["zone_code"].isin(list(codes)) | (rows["zone_code"] == OUTSIDE)]
    outside = rows[rows["zone_code"] == OUTSIDE]
    no_host, displaced = _total(units, "no_host"), _total(units, "displaced")
    ends = (_total(units, f"no_host_{end}") for end in ("low", "high"))
    no_host = text.num(no_host) + _spread(text, no_host, *ends)
    ends = (_total(units, f"displaced_{end}") for end in ("low", "high"))
    words = _alloc_variants(text, displaced, *ends)
    displaced = text.num(displaced) + (f" ({words})" if words else "")
    hosted_outside = _total(outside, "hosted")
    return text.filled(
        "alloc_summary",
        hazard=esc(hazard_id),
        band=band_text,
        no_host=no_host,
        displaced=displaced,
        outside=text.num(0.0 if math.isnan(hosted_outside) else hosted_outside),
    )


def _host_popups(page, rows, hazard_id, summary, band_text, sent) -> list[str]:
    """The popup of every unit on the host-burden layer (``rows``: allocation.csv's rows
    of the band in the map's zone order; ``sent``: people of each unit hosted outside
    every admin unit, flows.csv). A unit without a cell of the analysis grid
    (manifest.json ``zones_without_cells``) says its figures are not known, not 0, as
    its popups on the other layers do (``no_cells_popup``)."""
    text, out = page.text, []
    hazard = text.hazard_text(hazard_id, summary)
    no_cells = set(map(str, page.run.manifest.get("zones_without_cells") or []))
    for (code, row), name in zip(rows.iterrows(), page.names, strict=True):
        cells = [(text.w("zone_code"), esc(str(code))), (text.w("hazard"), hazard)]
        cells.append((text.w("alloc_band"), band_text))
        if str(code) in no_cells:  # not known (not 0), as on the other layers: why
            note = f'<tr><td colspan="2">{text.w("no_cells_popup")}</td></tr>'
            out.append(text._popup(name, cells, note))
            continue
        if not np.isfinite(float(row.get("displaced", math.nan))):  # not in the table
            out.append(text._popup(name, cells))
            continue
        ends = (row.get(f"displaced_{end}") for end in ("low", "high"))
        words = _alloc_variants(text, row.get("displaced"), *ends)
        displaced = text._central(text.num(row.get("displaced")), f"<br>{words}" if words else "")
        ends = (row.get(f"no_host_{end}") for end in ("low", "high"))
        spread = _spread(text, row.get("no_host"), *ends)
        no_host = text._central(text.num(row.get("no_host")), spread)
        cells += [
            (text.w("alloc_displaced"), displaced),
            (text.w("alloc_no_host"), no_host),
            (text.w("alloc_hosted"), text.num(row.get("hosted"))),
            (text.w("unit_per_1000"), text.num(row.get("host_burden_per_1000"))),
        ]
        if sent.get(code, 0.0) > 0:
            cells.append((text.w("alloc_sent_outside"), text.num(sent[code])))
        note = f'<tr><td colspan="2">{text.w("alloc_popup_note")}</td></tr>'
        out.append(text._popup(name, cells, note))
    return out


def _given(row, key) -> bool:
    """Whether a table's row has a value in ``key`` (not blank: a blank cell reads as NaN,
    which a site's popup showed as "nan")."""
    value = row.get(key)
    return (
        value is not None and not (isinstance(value, float) and math.isnan(value)) and value != ""
    )


def _band_text(text, summary, band, bands=None) -> str:
    if summary.get("kind") == "return_periods":
        period = None
        if bands is not None:
            match = bands[bands["band"].astype(str) == band]["return_period"]
            period = float(match.iloc[0]) if len(match) else None
        return text.w("band_return_period", t=f"{period:g}" if period else band)
    return text.w("band_scenario")


def flow_layers(m, page) -> None:
    """Lines between units for the people moving in the shown band of each hazard."""
    import folium

    run, text = page.run, page.text
    flows_path, table_path = run.run_dir / "flows.csv", run.run_dir / "allocation.csv"
    if not flows_path.is_file() or not table_path.is_file():
        return
    flows = _read(flows_path, ("hazard_id", "band", "from_zone", "to_zone"))
    flows["people"] = flows["people"].astype(float)
    table = _read(table_path)
    points = page.frame.geometry.representative_point()
    where = {code: (p.y, p.x) for code, p in zip(page.codes, points, strict=True)}
    for hazard_id, summary in run.summary.get("hazards", {}).items():
        band = allocation_band(table, hazard_id, summary.get("kind", ""), run.bands)
        if band is None:
            continue
        band_text = _band_text(text, summary, band, run.bands)
        chosen = flows[
            (flows["hazard_id"] == hazard_id)
            & (flows["band"] == band)
            & (flows["from_zone"] != flows["to_zone"])
            & flows["from_zone"].isin(where.keys())
            & flows["to_zone"].isin(where.keys())
        ]
        outside = flows[
            (flows["hazard_id"] == hazard_id)
            & (flows["band"] == band)
            & (flows["to_zone"] == OUTSIDE)
            & (flows["from_zone"] != OUTSIDE)
        ]["people"].sum()
        if chosen.empty and not outside > 0:
            continue
        name = f"{text.w('layer_flows', band=band_text)} · {esc(hazard_id)}"
        if outside > 0:  # no place to draw them: said in the name (and the About panel)
            name += f" ({text.w('flows_outside', people=text.number(outside))})"
        if len(chosen) > MAX_FLOW_LINES:  # a line each would make the page unusable
            name += (
                " ("
                + text.w("flows_largest", shown=MAX_FLOW_LINES, total=text.number(len(chosen)))
                + ")"
            )
            chosen = chosen.nlargest(MAX_FLOW_LINES, "people", keep="first")
        largest = chosen["people"].max() if len(chosen) else 1.0
        group = folium.FeatureGroup(name=name, show=False)
        for row in chosen.itertuples():
            tip = text.w(
                "flow_tip",
                source=page.names[page.codes.index(row.from_zone)],
                target=page.names[page.codes.index(row.to_zone)],
                people=text.number(row.people),
            )
            folium.PolyLine(
                [where[row.from_zone], where[row.to_zone]],
                color=FLOW_COLOUR,
                weight=1 + 7 * math.sqrt(row.people / largest),
                opacity=0.75,
                tooltip=tip,
            ).add_to(group)
        group.add_to(m)


SITE_FIGURES = (
    ("aad", "unit_people_year", "site_secondary"),
    ("displaced", "unit_people", "site_secondary"),
    ("at_risk_relocation", "unit_people", "site_relocation"),  # a count, not per year
)
"""sites.csv figures in the popups: column suffix, unit and label (``_low``/``_high``: range
of the curve variants; ``_member_median``/``_member_min``/``_member_max``: of the ensemble
members, labelled as such)."""


def _member_text(text, site, column) -> str:
    """The ensemble members' median and spread of a site's figure, or "" without members
    (or when every member gives the same figure: a range of 0 to 0 says nothing)."""
    median, low, high = (site.get(f"{column}_member_{stat}") for stat in ("median", "min", "max"))
    values = (median, low, high)
    if any(v is None for v in values) or not np.isfinite(values).all() or not high > low:
        return ""
    words = text.w("site_members", median=text.num(median), low=text.num(low), high=text.num(high))
    return f" ({words})"


def site_layer(m, page) -> None:
    """Displacement sites: circles sized by people, popups with each hazard's figure
    (with the curve variants' range around it, :func:`_spread`) and the site's type and
    date where the list gives them."""
    import folium

    run, text = page.run, page.text
    path = run.run_dir / "sites.csv"
    if not path.is_file():
        return
    sites = _read(path, ("site_name", "zone_code"))
    if sites.empty:
        return
    largest = max(float(sites["individuals"].max()), 1.0)
    group = folium.FeatureGroup(name=text.w("layer_sites"), show=False)
    hazards = run.summary.get("hazards", {})
    for _, site in sites.iterrows():
        site_name = esc(text.retag(site["site_name"]))  # "Site A (nom fictif)"
        cells = [
            *(
                (text.w(key), esc(str(site[key])))
                for key in ("site_type", "as_of")
                if _given(site, key)
            ),
            (text.w("site_people"), text.num(site["individuals"])),
        ]
        for hazard_id in hazards:
            for figure, unit, label in SITE_FIGURES:
                value = site.get(f"{hazard_id}_{figure}")
                if value is not None and np.isfinite(value):
                    shown = f"{text.num(value)} {text.w(unit)}"
                    ends = (site.get(f"{hazard_id}_{figure}_{end}") for end in ("low", "high"))
                    shown += _spread(text, value, *ends)  # around the central, not 0 to 0
                    shown += _member_text(text, site, f"{hazard_id}_{figure}")
                    cells.append((text.w(label, hazard=hazard_id), shown))
        body = "".join(f'<tr><th scope="row">{k}</th><td>{v}</td></tr>' for k, v in cells)
        popup = (
            f'<div class="mecc-popup-body" lang="{text.lang}"><h2>'
            f"{site_name}</h2><table>{body}</table>"
            f'<p class="mecc-badge">{text.w("modelled_notice")}</p></div>'
        )
        folium.CircleMarker(
            [float(site["lat"]), float(site["lon"])],
            radius=3 + 9 * math.sqrt(float(site["individuals"]) / largest),
            color=SITE_COLOUR,
            weight=1.5,
            fill=True,
            fill_opacity=0.6,
            popup=folium.Popup(popup, max_width=320),
            tooltip=site_name,
        ).add_to(group)
    group.add_to(m)


TRACK_COLOUR = "#d94801"


def scenario_markers(m, page) -> None:
    """A generated cyclone's track and an earthquake's epicentre (from manifest.json): a
    generated earthquake's, or a USGS ShakeMap's with the line naming the ShakeMap
    (:func:`shakemap_line`) in its popup."""
    import folium

    run, text = page.run, page.text
    for hazard_id in run.summary.get("hazards", {}):
        params = run.hazard_parameters(hazard_id)
        source = params.get("generated") or {}
        shakemap = params.get("shakemap")
        if "track" in source:
            group = folium.FeatureGroup(
                name=f"{text.w('layer_track')} · {esc(hazard_id)}", show=False
            )
            positions = [(float(lat), float(lon)) for _, lat, lon in source["track"]]
            folium.PolyLine(
                positions, color=TRACK_COLOUR, weight=2.5, dash_array="6 4", opacity=0.9
            ).add_to(group)
            for time, lat, lon in source["track"]:
                folium.CircleMarker(
                    [float(lat), float(lon)],
                    radius=3,
                    color=TRACK_COLOUR,
                    fill=True,
                    fill_opacity=1.0,
                    tooltip=text.w("track_point", time=str(time)),
                ).add_to(group)
            group.add_to(m)
        elif "epicentre" in source:
            lat, lon = source["epicentre"]
            _epicentre(
                m, text, hazard_id, lat, lon, source.get("magnitude"), source.get("depth_km")
            )
        elif isinstance(shakemap, dict) and _number(shakemap.get("lat"), shakemap.get("lon")):
            _epicentre(
                m,
                text,
                hazard_id,
                shakemap["lat"],
                shakemap["lon"],
                shakemap.get("magnitude"),
                shakemap.get("depth_km"),
                popup=shakemap_line(text, shakemap),
            )


def _number(*values) -> bool:
    return all(isinstance(v, (int, float)) and math.isfinite(v) for v in values)


def _epicentre(m, text, hazard_id, lat, lon, magnitude, depth, popup=None) -> None:
    """A star at an earthquake's epicentre, its magnitude and depth in the tooltip (in the
    map's number format: "5,8" in French and Spanish) and ``popup`` (escaped text) when
    given."""
    import folium

    group = folium.FeatureGroup(name=f"{text.w('layer_epicentre')} · {esc(hazard_id)}", show=False)
    body = f'<div class="mecc-popup-body" lang="{text.lang}"><p>{popup}</p></div>'
    folium.Marker(
        [float(lat), float(lon)],
        icon=folium.DivIcon(
            html='<div aria-hidden="true" style="font-size:22px;line-height:22px;'
            'color:#cb181d;text-shadow:0 0 2px #fff;">&#9733;</div>',
            icon_size=(22, 22),
            icon_anchor=(11, 11),
        ),
        tooltip=text.w(
            "epicentre_tip",
            magnitude=_shown(text, magnitude),
            depth=_shown(text, depth),
        ),
        popup=folium.Popup(body, max_width=360) if popup else None,
    ).add_to(group)
    group.add_to(m)


def _shown(text, value) -> str:
    """A number in the map's format (:class:`mecc.map_data.Numbers`), any other value as
    written, None as nothing (plain text: the caller escapes)."""
    if value is None:
        return ""
    return text.number(value) if _number(value) else str(value)


def shakemap_line(text, record) -> str | None:
    """The line naming the USGS ShakeMap a hazard read (manifest.json ``shakemap``:
    event, version, process time, map status, event type and magnitude, and the USGS
    attribution) in the map's language (``shakemap_line`` of ``mecc/locales/maps.yaml``,
    the magnitude in its number format: "M7,8" in French), HTML-escaped; None for other
    inputs."""
    from mecc.manifest import shakemap_text

    if not isinstance(record, dict):
        return None
    if _number(record.get("magnitude")):
        record = {**record, "magnitude": text.number(record["magnitude"])}
    template = text.words.get("shakemap_line")
    return esc(shakemap_text(record, template) if template else shakemap_text(record))


CITING_KEYS = ("model", "citation", "estimates")
"""Keys of a generated grid's parameters that cite its method (with every ``*_source``)."""


def generator_citations(run, base, hazard_id, generated) -> dict:
    """The file and method citations of a hazard grid ``mecc hazard`` generated.

    Parameters
    ----------
    run : mecc.map_data.RunData
    base : pathlib.Path or None
        The folder the run file's paths start from.
    hazard_id : str
    generated : dict
        manifest.json's ``generated`` record of the hazard.

    Returns
    -------
    dict
        ``file``: the grid's name; ``generated``: the citing texts (``model``,
        ``citation``, ``estimates``, every ``*_source``) of ``generated`` and of the
        grid's tags when the grid is still where the run found it with the recorded
        SHA-256 (the manifest keeps only some of them), each once.
    """
    from hazards.scenarios import generated_tags
    from mecc.map_data import _checked  # the file the run used (its recorded SHA-256)

    texts = _citing(generated) if isinstance(generated, dict) else []
    file = None
    for record in run.manifest.get("inputs", []):
        path = str(record.get("path", ""))
        if record.get("role") != f"hazard {hazard_id}" or not path.lower().endswith(
            (".tif", ".tiff")
        ):
            continue
        file = os.path.basename(path)
        checked = _checked(base, path, run) if base is not None else None
        tags = generated_tags(checked) if checked else None
        if tags is not None and isinstance(tags.get("parameters"), dict):
            texts += _citing(tags["parameters"])
        break
    return {"file": file, "generated": list(dict.fromkeys(texts))}


def _citing(values: dict) -> list[str]:
    """The method citations of a generator's parameters (:data:`CITING_KEYS`, ``*_source``)."""
    keys = [k for k in CITING_KEYS if k in values]
    keys += [k for k in values if str(k).endswith("_source")]
    return [
        str(values[k]).strip() for k in keys if isinstance(values[k], str) and values[k].strip()
    ]
