"""mecc evaluate cites its methods and data sources, and refuses observed values that are
not counts with the value in the message.

- The report (evaluation.json and evaluation.html) has a Sources section read from the
  evaluated run's own records: the curve applied (source text, evidence grade, title,
  year), the hazard file and how ``mecc hazard`` generated it (model and each citation),
  the impact method line of results.nc, the population's source and attribution, the
  boundary files, and the observed file with the source the user gives for it
  (``observed_source``); what the run does not record is said, never made up.
- An observed value of -5 or 12.7 houses is refused naming the file, column, row and the
  value; whole numbers written as 12.0 or 1e3 are counts. The Haiyan observed file of the
  shared data holds whole numbers only, so refusing fractions refuses nothing there.
- The Haiyan validation run file records its population as a census.
"""

from __future__ import annotations

import html
import json
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
import xarray as xr
import yaml
from affine import Affine

from mecc.errors import ConfigError, DataError, MeccWarning
from mecc.evaluate import evaluate_run, read_observed

ROOT = Path(__file__).resolve().parents[1]

CURVE_SOURCE = "Doe & Roe (2031), Journal of Storms 12:34, sigmoid on people"
MODEL = "Holland (1980) gradient wind, maximum over the track"
SURFACE = "Franklin, Black & Valde (2003), Wea. Forecasting 18:32-44, 90% rule"
AVERAGING = "Harper, Kepert & Ginger (2010), WMO/TD-No. 1555, at sea"
REFERENCES = "Method: displaced = population x curve(intensity), summed per admin unit"
ATTRIBUTION = "Population: WorldPop, University of Southampton (CC BY 4.0)"
OBSERVED_SOURCE = "National disaster agency, final report (public domain)"


def _write_run(folder: Path, *, records: bool = True) -> Path:
    """A run folder of two zones; with ``records``, a manifest and results.nc naming the
    curve, the generated hazard and the population as ``mecc run`` writes them."""
    folder.mkdir()
    rows = [
        ("A", "Zone A", 1, "storm", 1e4, 880.0, ""),
        ("B", "Zone B", 1, "storm", 1e4, 44.0, ""),
        ("__outside__", "Outside every admin unit", "", "storm", 0.0, 0.0, ""),
    ]
    columns = ["zone_code", "zone_name", "level", "hazard_id", "population", "displaced"]
    pd.DataFrame(rows, columns=[*columns, "parent_code"]).to_csv(
        folder / "zones.csv", index=False, encoding="utf-8-sig"
    )
    summary = {
        "country": "XTS",
        "name": "Testland",
        "hazards": {"storm": {"kind": "scenario", "scenario": "Storm T", "curve": "doe_curve"}},
    }
    (folder / "summary.json").write_text(json.dumps(summary))
    gpd.GeoDataFrame(
        {"zone_code": ["A", "B"], "zone_name": ["Zone A", "Zone B"], "level": 1},
        geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)],
        crs="EPSG:4326",
    ).to_file(folder / "zones.gpkg", layer="admin1", driver="GPKG")
    if not records:
        (folder / "manifest.json").write_text(
            json.dumps({"created_by": "mecc 0.1.0", "zones_without_cells": []})
        )
        return folder
    manifest = {
        "created_by": "mecc 0.1.0",
        "inputs": [
            {"role": "run file", "path": "run.yaml", "sha256": "0"},
            {"role": "population", "path": "people.tif", "sha256": "1"},
            {"role": "zones level 1", "path": "districts.geojson", "sha256": "2"},
            {"role": "hazard storm", "path": "storm_wind.tif", "sha256": "3"},
        ],
        "parameters": {
            "population": {
                "kind": "count",
                "year": 2020,
                "source": "worldpop",
                "attribution": ATTRIBUTION,
            },
            "zones": {"levels": [1], "rule": "cell centre", "units": 2},
            "hazards": {
                "storm": {
                    "type": "tropical_cyclone",
                    "kind": "scenario",
                    "period": "2031",
                    "curve": {"name": "doe_curve", "kind": "linear", "source": CURVE_SOURCE},
                    "generated": {
                        "track": [["2031-01-01 00:00:00", 10.0, 120.0]],
                        "model": MODEL,
                        "surface_factor": 0.9,
                        "surface_factor_source": SURFACE,
                        "averaging_to_1min_factor": 1.075,
                        "averaging_source": AVERAGING,
                    },
                }
            },
        },
        "zones_without_cells": [],
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))
    metadata = {
        "hazards": {
            "storm": {
                "curve": {
                    "name": "doe_curve",
                    "evidence": "B",
                    "source": CURVE_SOURCE,
                    "title": "Doe sigmoid",
                    "year": 2031,
                }
            }
        }
    }
    xr.Dataset(attrs={"references": REFERENCES}).to_netcdf(folder / "results.nc", engine="netcdf4")
    xr.Dataset(attrs={"metadata": json.dumps(metadata)}).to_netcdf(
        folder / "results.nc", mode="a", group="sendai", engine="netcdf4"
    )
    return folder


def _observed(path: Path, rows) -> Path:
    path.write_text("code,houses\n" + "".join(f"{c},{v}\n" for c, v in rows), encoding="utf-8")
    return path


def _evaluate(run, observed, out, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MeccWarning)
        return evaluate_run(
            run,
            observed,
            out,
            code_column="code",
            value_column="houses",
            measure="destroyed_houses",
            household_size=4.4,
            threshold=50.0,
            **options,
        )


def _page(out: Path) -> str:
    return html.unescape((out / "evaluation.html").read_text(encoding="utf-8"))


# ---------------------------------------------------------------------- 1. sources


def test_report_cites_the_runs_records_and_the_observed_source(tmp_path):
    run = _write_run(tmp_path / "run")
    observed = _observed(tmp_path / "observed.csv", [("A", "150"), ("B", "12")])
    result = _evaluate(run, observed, tmp_path / "eval", observed_source=OBSERVED_SOURCE)
    stored = json.loads((tmp_path / "eval" / "evaluation.json").read_text(encoding="utf-8"))
    sources = stored["sources"]
    assert sources == json.loads(json.dumps(result.figures["sources"]))

    curve = sources["method"]["curve"]
    assert (curve["name"], curve["source"], curve["evidence"]) == ("doe_curve", CURVE_SOURCE, "B")
    assert (curve["title"], curve["year"]) == ("Doe sigmoid", 2031)
    hazard = sources["method"]["hazard"]
    assert hazard["files"] == ["storm_wind.tif"] and hazard["type"] == "tropical_cyclone"
    generated = hazard["generated_by_mecc"]
    assert generated["model"] == MODEL
    assert generated["citations"] == [
        {"for": "surface factor", "values": {"surface_factor": 0.9}, "source": SURFACE},
        {"for": "averaging", "values": {"averaging_to_1min_factor": 1.075}, "source": AVERAGING},
    ]
    assert sources["method"]["impact"] == REFERENCES
    data = sources["data"]
    assert data["population"] == {
        "files": ["people.tif"],
        "year": 2020,
        "kind": "count",
        "source": "worldpop",
        "attribution": ATTRIBUTION,
    }
    assert data["boundaries"] == {"files": ["districts.geojson"], "levels": [1], "units": 2}
    assert data["observed"] == {"file": str(observed), "source": OBSERVED_SOURCE}

    page = _page(tmp_path / "eval")
    section = page[page.index("<h2>Sources</h2>") : page.index("<h2>Notes</h2>")]
    for text in (
        CURVE_SOURCE,
        "Doe sigmoid",
        "B (derived from published damage functions with a stated threshold)",
        "storm_wind.tif",
        MODEL,
        f"surface factor 0.9: {SURFACE}",
        f"averaging (averaging to 1min factor 1.075): {AVERAGING}",
        REFERENCES,
        f'people.tif (count, year 2020); attribution "{ATTRIBUTION}"',
        "districts.geojson (admin level 1, 2 units)",
        f"{observed}; {OBSERVED_SOURCE}",
    ):
        assert text in section, text


def test_report_says_what_the_run_does_not_record(tmp_path):
    """A run without records and an evaluation without a source: said, not invented."""
    run = _write_run(tmp_path / "run", records=False)
    observed = _observed(tmp_path / "observed.csv", [("A", "150")])
    result = _evaluate(run, observed, tmp_path / "eval")
    sources = result.figures["sources"]
    assert sources["data"]["population"]["attribution"] is None
    assert sources["data"]["observed"]["source"] is None
    assert sources["method"]["curve"]["name"] == "doe_curve"  # from summary.json
    assert sources["method"]["curve"]["evidence"] is None
    page = _page(tmp_path / "eval")
    section = page[page.index("<h2>Sources</h2>") : page.index("<h2>Notes</h2>")]
    assert "evidence grade not recorded in the run" in section
    assert "source not recorded in the run (the run file sets no population.source)" in section
    assert "source not given" in section


def test_blank_observed_source_is_refused(tmp_path):
    run = _write_run(tmp_path / "run")
    observed = _observed(tmp_path / "observed.csv", [("A", "150")])
    with pytest.raises(ConfigError, match="--observed-source"):
        _evaluate(run, observed, tmp_path / "eval", observed_source="  ")
    assert not (tmp_path / "eval").exists()


@pytest.mark.shared_data
def test_a_real_run_is_cited_from_its_manifest(shared_data, tmp_path, cli):
    """A real ``mecc run`` on a generated cyclone: the report names the generator's model
    as the wind file records it, the library curve's source and evidence grade as
    ``hazards.library`` lists them, and the census attribution of the population."""
    import numpy as np
    import rasterio

    from exposure.population import SOURCES
    from hazards import library
    from tests.conftest import write_raster

    work = tmp_path / "work"
    work.mkdir()
    # 0.05 degree cells over Leyte and Samar, 100 people per cell; two zones
    write_raster(
        work / "people.tif",
        np.full((40, 40), 100.0, dtype="float32"),
        transform=Affine(0.05, 0, 124.0, 0, -0.05, 12.5),
    )
    gpd.GeoDataFrame(
        {"code": ["W", "E"], "name": ["West", "East"]},
        geometry=[shapely.box(124.0, 10.5, 125.0, 12.5), shapely.box(125.0, 10.5, 126.0, 12.5)],
        crs="EPSG:4326",
    ).to_file(work / "zones.geojson", driver="GeoJSON")
    track = shared_data / "philippines_haiyan" / "haiyan_best_track.csv"
    done = cli(
        "hazard", "cyclone", track, "--like", work / "people.tif",
        "--track-averaging", "10-min", "--out", work / "wind.tif",
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    curve = "tc_emanuel_kam2024_wp2"
    (work / "run.yaml").write_text(
        yaml.safe_dump(
            {
                "country": "PHL",
                "name": "Leyte test",
                "population": {"path": "people.tif", "kind": "count", "source": "census"},
                "zones": {"path": "zones.geojson", "code_field": "code", "name_field": "name"},
                "hazards": [
                    {
                        "id": "wind",
                        "type": "tropical_cyclone",
                        "scenario": "Haiyan",
                        "intensity": "wind.tif",
                        "curve": curve,
                    }
                ],
            }
        )
    )
    done = cli("-q", "run", work / "run.yaml", "--out", tmp_path / "run", "--no-map")
    assert done.exit_code == 0, done.output
    observed = _observed(tmp_path / "observed.csv", [("W", "3000"), ("E", "200")])
    result = _evaluate(tmp_path / "run", observed, tmp_path / "eval", observed_source="NDRRMC")

    with rasterio.open(work / "wind.tif") as dataset:
        parameters = json.loads(dataset.tags()["parameters"])
    model = parameters["model"]
    entry = library.curve_entries()[curve]
    page = _page(tmp_path / "eval")
    section = page[page.index("<h2>Sources</h2>") : page.index("<h2>Notes</h2>")]
    for text in (
        model,
        entry.source,
        f"{entry.evidence} (",
        SOURCES["census"]["attribution"],
        "zones.geojson",
        f"{observed}; NDRRMC",
        # the citations the generator wrote into the wind file, carried by the manifest
        parameters["surface_factor_source"],
        parameters["averaging_source"],
    ):
        assert text in section, text
    assert result.figures["sources"]["data"]["population"]["source"] == "census"


# ---------------------------------------------------------------------- 2. observed values


@pytest.mark.parametrize("value", ["-5", "12.7", "0.5", "inf"])
def test_a_value_that_is_not_a_count_is_refused_with_the_value(tmp_path, value):
    path = _observed(tmp_path / "observed.csv", [("A", "12"), ("B", value), ("C", "3")])
    with pytest.raises(DataError) as caught:
        read_observed(path, code_column="code", value_column="houses")
    message = str(caught.value)
    assert str(path) in message and "column houses" in message and "row 3" in message
    assert repr(value) in message and "not a count" in message


def test_whole_numbers_in_any_notation_are_counts(tmp_path):
    path = _observed(tmp_path / "observed.csv", [("A", "12.0"), ("B", "1e3"), ("C", " 7 ")])
    table = read_observed(path, code_column="code", value_column="houses")
    assert table.values.to_dict() == {"A": 12.0, "B": 1000.0, "C": 7.0}


@pytest.mark.shared_data
def test_the_haiyan_observed_file_holds_whole_counts(shared_data):
    """The shared README: 550,928 totally damaged houses in all (NDRRMC's final figure)."""
    path = shared_data / "philippines_haiyan" / "haiyan_damaged_houses.csv"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MeccWarning)  # its two duplicated codes
        for column in ("totally_damaged_houses", "partially_damaged_houses"):
            read_observed(path, code_column="pcode", value_column=column)
        table = read_observed(path, code_column="pcode", value_column="totally_damaged_houses")
    assert table.values.sum() == 550928


def test_haiyan_run_file_records_a_census_population():
    data = yaml.safe_load((ROOT / "validation" / "haiyan" / "run.yaml").read_text("utf-8"))
    assert data["population"]["source"] == "census"
    assert data["population"]["year"] == 2015
