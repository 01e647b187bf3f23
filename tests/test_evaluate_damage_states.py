"""mecc evaluate --measure damaged_houses / destroyed_houses against a run's own damage
states (Sendai B-3a, B-4a), on real runs of the 4 x 4 test grid (tests/_run_inputs.py:
depth 0, 0.5, 1, 2 m by column; zone A = columns 0-1, B = columns 2-3).

Before the fix both measures compared with displaced people / --household-size, the same
number. Now, with a damage_curve, damaged houses compare with the run's dwellings damaged
but not destroyed and destroyed houses with its destroyed dwellings (expected values here
read from zones_bands.csv and zones.csv, and checked against sendai.csv); without one,
destroyed houses use the proxy displaced people / --household-size, labelled as such, and
damaged houses are refused."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from mecc.errors import ConfigError, MeccWarning
from mecc.evaluate import evaluate_run
from mecc.run import run_country
from tests._run_inputs import POP, basic_case, write_run

# damaged from 0.5 m up to 1.5 m, destroyed from 1.5 m (exclusive)
DAMAGED = {"intensity": [0.5, 0.5, 1.5, 1.5], "share": [0.0, 1.0, 1.0, 0.0]}
SIZES = {"A": 4.0, "B": 5.0}  # people per household per unit (the run's table)
OBSERVED = "code,partly,totally\nA,70,0\nB,50,70\n"


def _scenario(folder, *, damage_curve=None, household_sizes=True) -> dict:
    data = basic_case(folder)
    hazard = {
        "id": "sc",
        "type": "river_flood",
        "intensity": "rp100.tif",
        "scenario": "test flood",
        "curve": "flood_step_1m",
    }
    if damage_curve is not None:
        hazard["damage_curve"] = damage_curve
    data["hazards"] = [hazard]
    if household_sizes:
        text = "code,size\n" + "".join(f"{c},{s}\n" for c, s in SIZES.items())
        (folder / "households.csv").write_text(text, encoding="utf-8")
        data["population"]["household_size"] = {
            "path": "households.csv",
            "code_column": "code",
            "value_column": "size",
        }
    return data


def _run(folder, **options):
    folder.mkdir(parents=True, exist_ok=True)
    run_country(write_run(folder, _scenario(folder, **options)), folder / "out", with_map=False)
    (folder / "observed.csv").write_text(OBSERVED, encoding="utf-8")
    return folder / "out", folder / "observed.csv"


def _read(path, **options) -> pd.DataFrame:
    return pd.read_csv(
        path, encoding="utf-8-sig", dtype={"zone_code": str, "admin_code": str}, **options
    )


def _evaluate(run, observed, out, column, measure, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MeccWarning)
        return evaluate_run(
            run,
            observed,
            out,
            code_column="code",
            value_column=column,
            measure=measure,
            threshold=10.0,
            **options,
        )


@pytest.fixture(scope="module")
def damage_run(tmp_path_factory):
    """A scenario with the built-in JRC damage states (central, low and high) and a
    household size per unit."""
    return _run(tmp_path_factory.mktemp("damage"), damage_curve="flood_damage_states_jrc_europe")


def _expected(run, state: str) -> dict:
    """Dwellings of a damage state per unit and variant, computed here from the run's own
    tables: people of the state (zones_bands.csv, one band) / the unit's household size
    (zones.csv)."""
    bands = _read(run / "zones_bands.csv").set_index("zone_code")
    sizes = _read(run / "zones.csv").set_index("zone_code")["household_size"]
    return {
        variant: {code: bands.loc[code, state + suffix] / sizes[code] for code in ("A", "B")}
        for variant, suffix in (("central", ""), ("low", "_low"), ("high", "_high"))
    }


@pytest.mark.parametrize(
    ("measure", "column", "state", "indicator"),
    [
        ("damaged_houses", "partly", "damaged", "B-3a"),
        ("destroyed_houses", "totally", "destroyed", "B-4a"),
    ],
)
def test_house_measures_compare_with_the_runs_own_dwellings(
    damage_run, tmp_path, measure, column, state, indicator
):
    run, observed = damage_run
    result = _evaluate(run, observed, tmp_path / "ev", column, measure)
    expected = _expected(run, state)
    # by hand on the grid (JRC curve: damaged from 0.23 m, destroyed from 1.75 m):
    # damaged = column 1 (A) and 2 (B), destroyed = column 3 (B) only
    by_hand = {
        "damaged": {"A": POP[:, 1].sum() / 4, "B": POP[:, 2].sum() / 5},
        "destroyed": {"A": 0.0, "B": POP[:, 3].sum() / 5},
    }[state]
    assert expected["central"] == pytest.approx(by_hand)
    # the same numbers sendai.csv reports as the run's B-3a / B-4a per unit
    sendai = _read(run / "sendai.csv")
    rows = sendai[(sendai["indicator_code"] == indicator) & (sendai["admin_level"] == 1)]
    assert dict(zip(rows["admin_code"], rows["value_number"], strict=True)) == pytest.approx(
        expected["central"]
    )
    table = _read(result.out_dir / "evaluation.csv").set_index("zone_code")
    for variant in ("central", "low", "high"):
        name = "modelled" if variant == "central" else f"modelled_{variant}"
        assert table[name].to_dict() == pytest.approx(expected[variant])
    figures = json.loads((result.out_dir / "evaluation.json").read_text(encoding="utf-8"))
    assert figures["national"]["modelled"] == pytest.approx(sum(expected["central"].values()))
    assert figures["national"]["modelled_high"] == pytest.approx(sum(expected["high"].values()))
    assert figures["modelled"]["figure"] == f"{state}_dwellings"
    assert figures["modelled"]["proxy"] is False and figures["household_size"] is None
    assert not any("proxy" in note for note in figures["notes"])
    # the context figure stays the displacement curve's people (760 displaced in B)
    assert figures["modelled_displaced_people"]["central"] == pytest.approx(POP[:, 2:].sum())
    page = (result.out_dir / "evaluation.html").read_text(encoding="utf-8")
    assert "Modelled figure compared" in page and f"Sendai {indicator}" in page
    assert "Damage curve" in page and "a proxy" not in page


def test_the_two_house_measures_compare_with_different_figures(damage_run, tmp_path):
    run, observed = damage_run
    damaged = _evaluate(run, observed, tmp_path / "d", "partly", "damaged_houses").figures
    destroyed = _evaluate(run, observed, tmp_path / "x", "totally", "destroyed_houses").figures
    assert damaged["national"]["modelled"] == pytest.approx(
        POP[:, 1].sum() / 4 + POP[:, 2].sum() / 5
    )
    assert destroyed["national"]["modelled"] == pytest.approx(POP[:, 3].sum() / 5)
    # neither is displaced people / a household size
    assert damaged["national"]["modelled"] != destroyed["national"]["modelled"]


def test_household_size_is_refused_where_the_run_counts_dwellings(damage_run, tmp_path, cli):
    run, observed = damage_run
    with pytest.raises(ConfigError, match="not used with --measure damaged_houses.*mean"):
        _evaluate(run, observed, tmp_path / "e", "partly", "damaged_houses", household_size=4.4)
    result = cli(
        "evaluate", run, "--observed", observed, "--out", tmp_path / "e2", "--code-column",
        "code", "--value-column", "totally", "--measure", "destroyed_houses",
        "--household-size", "4.4",
    )  # fmt: skip
    assert result.exit_code == 2 and "leave --household-size out" in result.output
    assert not (tmp_path / "e2").exists()


def test_damage_states_without_household_size_use_the_option(tmp_path):
    run, observed = _run(
        tmp_path / "case",
        damage_curve={"damaged": DAMAGED, "destroyed": {"step": 1.5}},
        household_sizes=False,
    )
    with pytest.raises(ConfigError, match="no household size.*give --household-size"):
        _evaluate(run, observed, tmp_path / "e", "partly", "damaged_houses")
    result = _evaluate(
        run, observed, tmp_path / "ev", "partly", "damaged_houses", household_size=2.0
    )
    bands = _read(run / "zones_bands.csv").set_index("zone_code")
    table = _read(result.out_dir / "evaluation.csv").set_index("zone_code")
    # damaged (0.5 and 1 m) people / 2, from the run's own damaged people
    assert table["modelled"].to_dict() == pytest.approx(
        {c: bands.loc[c, "damaged"] / 2 for c in ("A", "B")}
    )
    assert table["modelled"].to_dict() == pytest.approx(
        {"A": POP[:, 1].sum() / 2, "B": POP[:, 2].sum() / 2}
    )
    assert result.figures["modelled"]["figure"] == "damaged"
    assert result.figures["household_size"] == 2.0


def test_without_damage_states_destroyed_houses_are_a_labelled_proxy(tmp_path, cli):
    run, observed = _run(tmp_path / "case")
    zones = _read(run / "zones.csv").set_index("zone_code")
    result = cli(
        "evaluate", run, "--observed", observed, "--out", tmp_path / "ev", "--code-column",
        "code", "--value-column", "totally", "--measure", "destroyed_houses",
        "--household-size", "4.4", "--threshold", "10",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    # the terminal says what was compared
    assert "displaced people / 4.4 people per household" in result.output
    assert "a proxy for destroyed houses" in result.output and "no damage_curve" in result.output
    table = _read(tmp_path / "ev" / "evaluation.csv").set_index("zone_code")
    assert table["modelled"].to_dict() == pytest.approx(
        {c: zones.loc[c, "displaced"] / 4.4 for c in ("A", "B")}
    )
    assert table.loc["B", "modelled"] == pytest.approx(760 / 4.4)
    figures = json.loads((tmp_path / "ev" / "evaluation.json").read_text(encoding="utf-8"))
    assert figures["modelled"]["proxy"] is True and figures["household_size"] == 4.4
    page = (tmp_path / "ev" / "evaluation.html").read_text(encoding="utf-8")
    assert "Modelled figure compared (a proxy)" in page
    assert "displaced people / 4.4 people per household" in page


def test_without_damage_states_damaged_houses_are_refused(tmp_path, cli):
    run, observed = _run(tmp_path / "case")
    result = cli(
        "evaluate", run, "--observed", observed, "--out", tmp_path / "ev", "--code-column",
        "code", "--value-column", "partly", "--measure", "damaged_houses",
        "--household-size", "4.4",
    )  # fmt: skip
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "add a damage_curve" in lines[0]
    assert not (tmp_path / "ev").exists()
    # destroyed houses without --household-size: one line naming both ways
    with pytest.raises(ConfigError, match="give --household-size.*or add a damage_curve"):
        _evaluate(run, observed, tmp_path / "e2", "totally", "destroyed_houses")
    assert np.isfinite(_read(run / "zones.csv")["displaced"]).all()


def test_houses_from_survivors_say_they_leave_out_the_dead(tmp_path):
    """With a fatality model, damage-state people are survivors: houses from them and
    --household-size leave out the houses whose people died, and the figure says so."""
    from tests.conftest import write_raster

    folder = tmp_path / "case"
    data = _scenario(folder, household_sizes=False)
    write_raster(folder / "mmi.tif", np.array([[5.0, 6.0, 7.0, 8.0]] * 4))
    data["hazards"] = [
        {
            "id": "sc",
            "type": "earthquake",
            "intensity": "mmi.tif",
            "scenario": "test earthquake",
            "curve": {
                "survivors_step": {
                    "threshold": 5.5,
                    "fatality": {"model": "lognormal", "theta": 11, "beta": 0.2},
                }
            },
            "damage_curve": {
                "damaged": {"intensity": [5.5, 6.5, 6.5, 7.5, 7.5], "share": [0, 0.3, 0.3, 0.5, 0]},
                "destroyed": {"intensity": [6.5, 7.5, 8.5], "share": [0, 0.4, 0.9]},
            },
        }
    ]
    run_country(write_run(folder, data), folder / "out", with_map=False)
    (folder / "observed.csv").write_text(OBSERVED, encoding="utf-8")
    result = _evaluate(
        folder / "out",
        folder / "observed.csv",
        tmp_path / "ev",
        "totally",
        "destroyed_houses",
        household_size=4.0,
    )
    description = result.figures["modelled"]["description"]
    assert "survivors of the run's fatality model" in description
    assert "an undercount" in description
