"""The map of slow-onset hazards: drought (exposure by class) and sea-level rise (people
at risk of planned relocation, a count).

Real runs on small GeoTIFFs: a drought's people per severity class are mapped, with a
title that fits a map without displacement; a future's change is mapped for each class
and split into climate alone, population alone and their interaction, which add up; the
sea-level rise's per-cell overlay says what it counts; the About panel gives the drought
classes and the relocation rule with their citations (no description as a reference)
and the water level of the baseline and of the future.
"""

from __future__ import annotations

import html
import json
import re
import shutil

import numpy as np
import pandas as pd
import pytest
from affine import Affine

from tests.conftest import write_raster

SLR = {
    "id": "slr",
    "type": "sea_level_rise",
    "dem": "dem.tif",
    "dem_datum": "EGM2008",
    "tide_datum": "EGM2008",
    "high_tide": 0.5,
    "slr": 0.5,
    "slr_baseline": "1995-2014",
    "period": 2100,
}
DROUGHT = {"id": "drought", "type": "drought", "intensity": "drought.tif", "scenario": "2015-16"}
FUTURE = {
    "id": "f2050",
    "label": "SSP2-4.5, 2050",
    "hazards": {
        "slr": {"slr": 0.8},
        "drought": {"intensity": "drought_2050.tif", "scenario": "2050"},
    },
    "population": {"growth": 1.3},
}
POULTER = "Poulter & Halpin (2008), Int. J. Geogr. Inf. Sci. 22:167-182"
MCKEE = (
    "McKee, Doesken and Kleist (1993), The relationship of drought frequency and duration "
    "to time scales, 8th Conference on Applied Climatology, AMS, 179-184"
)
PARTS = ("climate_only", "population_only", "interaction")


def _inputs(folder):
    """The probe's inputs: a coast at the west edge, a drought index, 2 x 2 districts."""
    import geopandas as gpd
    from shapely.geometry import box

    rng = np.random.default_rng(6)
    transform = Affine(0.01, 0, 40, 0, -0.01, -10)
    cols = np.arange(40)
    dem = np.tile(np.where(cols < 5, -5.0, (cols - 5) * 0.15 + 0.05), (40, 1))
    dem[10:15, 25:30] = 0.3  # a closed depression below the water level: stays dry
    people = rng.integers(0, 200, (40, 40)).astype(float)
    people[:, :5] = 0
    index = rng.uniform(-0.5, 2.8, (40, 40))
    for name, values in {
        "dem": dem,
        "pop": people,
        "drought": index,
        "drought_2050": index + 0.4,
    }.items():
        write_raster(folder / f"{name}.tif", values.astype("float32"), transform=transform)
    units = [
        {
            "code": f"D{i}{j}",
            "geometry": box(40 + 0.2 * j, -10 - 0.2 * (i + 1), 40 + 0.2 * (j + 1), -10 - 0.2 * i),
        }
        for i in range(2)
        for j in range(2)
    ]
    gpd.GeoDataFrame(units, crs=4326).to_file(folder / "z.gpkg")


def _run(folder, name, hazards, futures=()):
    import yaml

    from mecc.run import run_country

    run_file = folder / f"{name}.yaml"
    spec = {
        "country": "MOZ",
        "population": {"path": "pop.tif", "kind": "count", "year": 2020},
        "zones": {"path": "z.gpkg", "code_field": "code", "level": 1},
        "hazards": hazards,
    }
    if futures:
        spec["futures"] = list(futures)
    run_file.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    run_country(run_file, folder / name, with_map=False)
    return folder / name


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("slow_onset_map")
    _inputs(folder)
    own = {
        **DROUGHT,
        "classes": {"bounds": [0.5, 1.2], "names": ["dry", "very_dry"]},
    }
    offset = {**SLR, "tide_datum": "MSL", "datum_offsets": {"MSL": 0.2}}
    return {
        "full": _run(folder, "full", [SLR, DROUGHT], [FUTURE]),
        "drought": _run(folder, "drought", [DROUGHT]),
        "own": _run(folder, "own", [offset, own]),
    }


def _page(run, lang="en"):
    """The map's page object after its choropleths: (layers, popups)."""
    from mecc.map_data import labels, read_run
    from mecc.map_text import Text
    from mecc.maps import _Page

    page = _Page(read_run(run), Text(labels(lang), lang), None)
    layers = {
        html.unescape(name): (values, unit, popup)
        for name, values, unit, popup, *_ in page.choropleths()
    }
    return layers, page.popups


def _text(markup: str) -> str:
    """Plain text of HTML: cells separated by " | "."""
    text = re.sub(r"</t[hd]>", " | ", markup)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)))


def _map(run, tmp_path, lang="en"):
    from mecc.maps import build_map

    return build_map(run, tmp_path / f"map_{lang}.html", lang=lang).read_text(encoding="utf-8")


def _about(page: str):
    """The About panel's items per hazard and its references (plain text)."""
    box = page[page.index('id="mecc-title"') : page.index("</details>")]
    items = {
        h: html.unescape(re.sub(r"<[^>]+>", " ", t))
        for h, t in re.findall(r'<li data-hazard="([^"]+)">(.*?)</li>', box)
    }
    references = [html.unescape(t) for t in re.findall(r"<li>\[\d+\] (.*?)</li>", box)]
    return box, items, references


def _zones(run, hazard="drought"):
    zones = pd.read_csv(run / "zones.csv", encoding="utf-8-sig", dtype={"zone_code": str})
    zones = zones[(zones.hazard_id == hazard) & (zones.level == 1)]
    return zones.set_index("zone_code").loc[["D00", "D01", "D10", "D11"]]


# --- 1. drought exposure on the map, and a title that fits ----------------------------


def test_a_drought_map_shows_the_people_exposed_per_class(runs, tmp_path):
    run = runs["drought"]
    zones = _zones(run)
    layers, popups = _page(run)
    for name in ("moderate", "severe", "extreme"):
        values, unit, popup = layers[f"People in {name} drought (exposed) · drought"]
        assert unit == "unit_people_exposed"
        assert values.tolist() == zones[f"drought_{name}"].tolist()
        assert zones[f"drought_{name}"].sum() > 1000
    first = _text(popups[popup][0])  # D00's popup: each class's people, modelled
    for name in ("moderate", "severe", "extreme"):
        shown = f"{zones.loc['D00', f'drought_{name}']:,.0f}"
        assert f"People in {name} drought (exposed) | {shown} |" in first
    assert "Exposure, not displacement" in first and "Modelled estimate" in first
    page = _map(run, tmp_path)
    assert re.search(r"<h1>([^<]*)", page).group(1) == "MOZ: people exposed to drought"
    assert "<title>MOZ: people exposed to drought</title>" in page
    assert "people likely to be displaced" not in page.split("</details>")[0]
    french = _map(run, tmp_path, "fr")
    assert "<h1>MOZ : personnes exposées à la sécheresse</h1>" in french
    assert "Personnes en sécheresse sévère (exposées) · drought" in french


def test_the_title_fits_what_the_map_shows(runs, tmp_path):
    page = _map(runs["full"], tmp_path)
    title = "MOZ: people at risk of planned relocation or exposed to drought"
    assert f"<h1>{title}</h1>" in page
    about, _, _ = _about(page)
    assert "Sea-level rise: people at risk of planned relocation" in html.unescape(about)
    assert "Drought: people living in each severity class" in html.unescape(about)
    spanish = _map(runs["full"], tmp_path, "es")
    title = "MOZ: personas en riesgo de reubicación planificada o expuestas a la sequía"
    assert f"<h1>{title}</h1>" in spanish


def test_a_run_with_displacement_keeps_the_displacement_title():
    from mecc.map_methods import title_key

    hazards = {"rf": {"type": "river_flood", "kind": "return_periods"}, "d": {"type": "drought"}}
    assert title_key({"hazards": hazards}) == "title"
    assert title_key({"hazards": {"s": {"type": "sea_level_rise", "kind": "relocation"}}}) == (
        "title_relocation"
    )


# --- 2. and 9. a future's change per class, split into parts that add up ----------------


def test_the_future_change_of_each_drought_class(runs):
    run = runs["full"]
    futures = pd.read_csv(run / "futures.csv", encoding="utf-8-sig", dtype={"zone_code": str})
    layers, popups = _page(run)
    future = "SSP2-4.5, 2050"
    national = 0.0
    for name in ("moderate", "severe", "extreme"):
        rows = futures[(futures.figure == f"drought_{name}") & (futures.level == 1)]
        rows = rows.set_index("zone_code").loc[["D00", "D01", "D10", "D11"]]
        values, unit, popup = layers[
            f"Change in people in {name} drought (exposed), {future} · drought"
        ]
        assert unit == "unit_people_exposed"
        assert np.allclose(values, rows["change"])
        part = (
            f"Change in people in {name} drought (exposed) from climate alone, {future} · drought"
        )
        assert layers[part][2] == popup
        shown = _text(popups[popup][0])
        assert f"Baseline people in {name} drought (exposed) |" in shown
        if name != "moderate":
            national += futures[(futures.figure == f"drought_{name}") & (futures.level == 0)][
                "change"
            ].item()
    assert national > 1000  # severe and extreme: the change the map left out
    assert "Change in drought_moderate" not in " ".join(layers)
    french, _ = _page(run, "fr")
    assert (
        "Évolution du nombre de personnes en sécheresse extrême (exposées), SSP2-4.5, 2050 "
        "· drought" in french
    )


def test_the_parts_of_a_future_change_add_up(runs):
    run = runs["full"]
    attribution = pd.read_csv(run / "attribution.csv", encoding="utf-8-sig")
    assert (attribution.interaction.abs() > 1).any()  # the interaction is not negligible
    layers, popups = _page(run)
    future = "SSP2-4.5, 2050"
    groups = {
        "slr": ("Change in people at risk of planned relocation", "Change from {part}"),
        "drought": (
            "Change in people in extreme drought (exposed)",
            "Change in people in extreme drought (exposed) from {part}",
        ),
    }
    words = {
        "climate_only": "climate alone",
        "population_only": "population alone",
        "interaction": "climate and population together (interaction)",
    }
    for hazard, (change, part) in groups.items():
        total, _, popup = layers[f"{change}, {future} · {hazard}"]
        parts = [layers[f"{part.format(part=words[p])}, {future} · {hazard}"][0] for p in PARTS]
        assert np.allclose(sum(parts), total)
        assert np.abs(parts[2]).max() > 1
        shown = _text(popups[popup][0])  # D00: the change and its three parts
        for label, values in zip(
            ("of which climate alone", "of which population alone", "of which both together"),
            parts,
            strict=True,
        ):
            assert re.search(rf"{label}[^|]* \| {values[0]:,.0f} \|", shown), (label, shown)


# --- 3. the sea-level rise's per-cell overlay -----------------------------------------


@pytest.mark.parametrize(
    ("lang", "name", "wrong"),
    [
        ("en", "People at risk of planned relocation per grid cell", "Displaced people per"),
        ("fr", "Personnes exposées à une réinstallation planifiée par maille", "déplacées par"),
        ("es", "Personas en riesgo de reubicación planificada por celda", "desplazadas por"),
    ],
)
def test_the_relocation_overlay_says_what_it_counts(runs, tmp_path, lang, name, wrong):
    page = _map(runs["full"], tmp_path, lang)
    assert f"<h2>{html.escape(name)} · slr</h2>" in page
    assert f"{wrong} " not in page


# --- 4., 6. and the water level: the About panel -----------------------------------------


def test_the_about_panel_gives_drought_classes_and_the_relocation_rule(runs, tmp_path):
    box, items, references = _about(_map(runs["full"], tmp_path))
    assert references == [POULTER, MCKEE]
    assert "any depth > 0" not in references
    assert "Displacement curve" not in box and "evidence grade" not in box
    drought = items["drought"]
    assert "moderate 1 to 1.5; severe 1.5 to 2; extreme 2 or more [2]" in drought
    assert "exposure, not displacement" in drought
    slr = items["slr"]
    assert "connected to the sea" in slr and "[1]" in slr
    assert (
        "Water level 1 m in EGM2008: high tide 0.5 m in EGM2008 plus a sea-level rise of 0.5 m "
        "since 1995-2014, for 2100" in slr
    )
    assert (
        "Future SSP2-4.5, 2050: water level 1.3 m in EGM2008, with a sea-level rise of 0.8 m "
        "since 1995-2014" in slr
    )
    _, french, references = _about(_map(runs["full"], tmp_path, "fr"))
    assert references == [POULTER, MCKEE]
    assert "modérée de 1 à 1,5 ; sévère de 1,5 à 2 ; extrême 2 ou plus [2]" in french["drought"]
    assert "Niveau d'eau 1 m en EGM2008 : marée haute 0,5 m en EGM2008" in french["slr"]
    assert "élévation du niveau de la mer de 0,8 m" in french["slr"]


def test_classes_of_the_run_file_and_a_tide_datum_with_an_offset(runs, tmp_path):
    _, items, references = _about(_map(runs["own"], tmp_path))
    assert references == [POULTER]  # the run file's classes cite no McKee
    assert (
        "dry 0.5 to 1.2; very_dry 1.2 or more (classes given in the run file)" in items["drought"]
    )
    assert (
        "Water level 1.2 m in EGM2008: high tide 0.5 m in MSL (offset +0.2 m to EGM2008) plus a "
        "sea-level rise of 0.5 m since 1995-2014" in items["slr"]
    )
    layers, _ = _page(runs["own"])
    assert "People in very_dry drought (exposed) · drought" in layers


def _moved(run, to):
    """A copy of a run folder whose run file is nowhere the map looks (an e-mailed run)."""
    shutil.copytree(run, to)
    manifest = json.loads((to / "manifest.json").read_text(encoding="utf-8"))
    manifest["run_file_dir"] = str(to / "elsewhere")
    (to / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return to


def test_a_moved_run_folder_still_tells_the_classes_and_the_future_level(runs, tmp_path):
    """Without the run file: the classes from results.nc; without results.nc's classes,
    said to be unknown, never guessed; a future's level from the run file when the
    summary does not record it."""
    moved = _moved(runs["own"], tmp_path / "moved")
    _, items, _ = _about(_map(moved, tmp_path))
    assert (
        "dry 0.5 to 1.2; very_dry 1.2 or more (classes given in the run file)" in items["drought"]
    )
    (moved / "results.nc").unlink()
    _, items, _ = _about(_map(moved, tmp_path))
    assert "dry, very_dry; their bounds are not recorded in the run" in items["drought"]
    full = _moved(runs["full"], tmp_path / "full")
    (full / "results.nc").unlink()
    summary = json.loads((full / "summary.json").read_text(encoding="utf-8"))
    for hazard in summary["futures"]["f2050"]["hazards"].values():
        hazard.pop("parameters", None)  # a run that did not record the future's level
    (full / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    _, items, _ = _about(_map(full, tmp_path))  # the built-in classes, by name and bounds
    assert "moderate 1 to 1.5; severe 1.5 to 2; extreme 2 or more [2]" in items["drought"]
    assert "Future SSP2-4.5, 2050" not in items["slr"]  # no run file beside it: not known
    from mecc.maps import build_map

    page = build_map(full, tmp_path / "with_inputs.html", inputs_dir=runs["full"].parent)
    _, items, _ = _about(page.read_text(encoding="utf-8"))
    assert "Future SSP2-4.5, 2050: water level 1.3 m in EGM2008" in items["slr"]


def test_the_relocation_rule_cites_the_connected_flood_method(runs):
    from hazards.flood import CITATIONS
    from hazards.slow_onset import RELOCATION_SOURCE

    assert RELOCATION_SOURCE == CITATIONS["connectivity_source"] == POULTER
    manifest = json.loads((runs["full"] / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["parameters"]["hazards"]["slr"]["curve"]["source"] == POULTER
