"""sendai.xlsx's About sheet on a livelihoods or early-warning layer that the run file
gives but that no hazard of the run uses (a drought, sea-level rise): it says the layer
was given and why there are no rows, not that no layer was given."""

from __future__ import annotations

import pytest

from tests.test_map_slow_onset import DROUGHT, SLR, _inputs

LAYERS = ("B-5 (livelihoods)", "pre-emptive evacuation (custom D6)")


def _run(folder, name, hazards, layers: bool):
    import yaml

    from mecc.run import run_country

    population = {"path": "pop.tif", "kind": "count", "year": 2020}
    spec = {
        "country": "MOZ",
        "population": population,
        "zones": {"path": "z.gpkg", "code_field": "code", "level": 1},
        "hazards": hazards,
    }
    if layers:
        (folder / "shares.csv").write_text(
            "code,live,ew\nD00,0.3,0.6\nD01,0.5,0.8\nD10,0.2,0.5\nD11,0.4,0.7\n",
            encoding="utf-8",
        )
        population["livelihoods"] = {
            "path": "shares.csv",
            "code_column": "code",
            "value_column": "live",
        }
        spec["mobility"] = {
            "early_warning": {"path": "shares.csv", "code_column": "code", "value_column": "ew"}
        }
    run_file = folder / f"{name}.yaml"
    run_file.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    run_country(run_file, folder / name, with_map=False)
    return folder / name


def _left_out(run) -> dict:
    import openpyxl

    book = openpyxl.load_workbook(run / "sendai.xlsx", read_only=True)
    rows = {}
    for row in book["About"].iter_rows(values_only=True):
        cells = [str(c) for c in row if c is not None]
        if len(cells) >= 2 and cells[0].startswith("Not included: "):
            rows[cells[0].removeprefix("Not included: ")] = cells[1]
    return rows


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("unused_layers")
    _inputs(folder)
    return folder


@pytest.mark.parametrize(
    ("name", "hazards", "kinds"),
    [
        ("drought", [DROUGHT], "drought (exposure only)"),
        ("slr", [SLR], "sea level rise (planned relocation)"),
        ("both", [SLR, DROUGHT], "drought (exposure only), sea level rise (planned relocation)"),
    ],
)
def test_a_given_layer_no_hazard_uses_is_said_to_be_given(folder, name, hazards, kinds):
    rows = _left_out(_run(folder, name, hazards, layers=True))
    for indicator in LAYERS:
        assert "was given, but no hazard of this run is one it applies to" in rows[indicator]
        assert f"(this run: {kinds};" in rows[indicator]
        assert "no livelihoods layer given" not in rows[indicator]
        assert "no early-warning coverage layer given" not in rows[indicator]


def test_without_the_layers_the_about_sheet_says_none_was_given(folder):
    rows = _left_out(_run(folder, "bare", [DROUGHT], layers=False))
    assert rows[LAYERS[0]] == "no livelihoods layer given (population.livelihoods)."
    assert rows[LAYERS[1]] == "no early-warning coverage layer given (mobility.early_warning)."
