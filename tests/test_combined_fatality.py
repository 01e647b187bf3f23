"""A fatality model inside a combined hazard (``components:``) is refused, not dropped.

A combined hazard's pass combines its components' displacement shares and computes no
deaths (Sendai A-2): an earthquake component with ``eq_mmi6_survivors_itb`` lost its deaths
silently, and where a tsunami component displaced a cell's everyone, the dead were counted
as displaced. ``mecc validate`` and ``mecc run`` now refuse such a run file in one line
naming the file and ``hazards[i] (id).components[j].curve`` (exit code 2, nothing
written), whichever component carries the model (the earthquake's, a tsunami's inline
``survivors_step``, or only a curve variant). The same earthquake as its own hazard still
reports its deaths, and a component curve without a fatality model still runs.

Expected values are computed here with numpy from the ITB model's published coefficients.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from hazards.readers import read_hazard
from mecc.errors import ConfigError
from tests.conftest import write_raster

MMI = np.array([[5.0, 6.0, 7.0, 8.0], [6.5, 7.5, 8.5, 9.0]], dtype=np.float32)
TSUNAMI = np.array([[0.0, 2.0, 0.0, 2.0], [2.0, 0.0, 0.0, 0.3]], dtype=np.float32)  # m
POP = np.full(MMI.shape, 1000.0, dtype=np.float32)
ITB = {"model": "exponential", "a": 0.62275231, "b": -8.03314466, "minimum": 4.0}
EARTHQUAKE = {"type": "earthquake", "intensity": "mmi.tif", "curve": "eq_mmi6_survivors_itb"}
TSUNAMI_STEP = {
    "type": "tsunami",
    "intensity": "tsu.tif",
    "unit": "m",
    "curve": "tsunami_step_0.7m",
}


def itb_rate(mmi) -> np.ndarray:
    """The ITB death rate 10^(a MMI + b) from MMI 4, with numpy (not mecc)."""
    mmi = np.asarray(mmi, dtype=np.float64)
    rate = 10.0 ** (ITB["a"] * mmi + ITB["b"])
    return np.where(mmi >= ITB["minimum"], np.clip(rate, 0.0, 1.0), 0.0)


def write_case(folder, hazard: dict, name: str = "run.yaml"):
    """pop.tif, mmi.tif, tsu.tif and a run file with one hazard; returns the file."""
    write_raster(folder / "pop.tif", POP)
    write_raster(folder / "mmi.tif", MMI)
    write_raster(folder / "tsu.tif", TSUNAMI)
    data = {"country": "IDN", "population": {"path": "pop.tif"}, "hazards": [hazard]}
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def combined(*components) -> dict:
    """A combined earthquake hazard ``q`` (scenario ``s``, ``combine: max``)."""
    return {
        "id": "q",
        "type": "earthquake",
        "scenario": "s",
        "combine": "max",
        "components": list(components),
    }


def assert_refused(cli, path, tmp_path, component: int, curve: str, hazard_type: str):
    """validate and run both exit 2 with the one line, and the run writes nothing."""
    key = f"{path.name}.hazards[0] (q).components[{component}].curve"
    for args in (("validate", path), ("run", path, "--out", tmp_path / "out")):
        result = cli(*args)
        assert result.exit_code == 2, result.output
        lines = [line for line in result.output.splitlines() if line.startswith("error:")]
        assert len(lines) == 1, result.output
        assert lines[0].startswith(f"error: {key}: {curve!r} has a fatality model"), lines[0]
        assert "computes no deaths (Sendai A-2)" in lines[0]
        assert f"run the {hazard_type} as its own hazard" in lines[0]
        assert "ready to run" not in result.output
    assert not (tmp_path / "out").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


def test_earthquake_component_with_a_fatality_model_is_refused(tmp_path, cli):
    path = write_case(tmp_path, combined(EARTHQUAKE, TSUNAMI_STEP))
    assert_refused(cli, path, tmp_path, 0, "eq_mmi6_survivors_itb", "earthquake")
    out = cli("validate", path).output
    assert "give this component a curve without a fatality model (e.g. eq_mmi6_survivors)" in out


def test_fatality_model_in_the_second_position_is_refused(tmp_path, cli):
    pager = EARTHQUAKE | {"curve": "eq_mmi6_survivors_pager_idn"}
    path = write_case(tmp_path, combined(TSUNAMI_STEP, pager))
    assert_refused(cli, path, tmp_path, 1, "eq_mmi6_survivors_pager_idn", "earthquake")


def test_tsunami_component_with_an_inline_fatality_model_is_refused(tmp_path, cli):
    inline = {"survivors_step": {"threshold": 0.7, "fatality": ITB}}
    tsunami = TSUNAMI_STEP | {"curve": inline}
    plain = EARTHQUAKE | {"curve": "eq_mmi6_survivors"}
    path = write_case(tmp_path, combined(tsunami, plain))
    key = f"{path.name}.hazards[0] (q).components[0].curve"
    for args in (("validate", path), ("run", path, "--out", tmp_path / "out")):
        result = cli(*args)  # refused as a fatality model of a tsunami, combined or not
        assert result.exit_code == 2, result.output
        lines = [line for line in result.output.splitlines() if line.startswith("error:")]
        assert lines == [
            f"error: {key}: a fatality model (survivors_step with fatality) gives deaths by "
            "MMI, for earthquakes only, not tsunami; leave fatality out"
        ]
    assert not (tmp_path / "out").exists()


def test_a_fatality_model_in_a_component_variant_only_is_refused(tmp_path):
    # The run file's checks refuse `variants:` inside a component; the reader on its own
    # (futures, scripts) takes it, and a variant's fatality model is refused there too.
    write_case(tmp_path, combined(EARTHQUAKE, TSUNAMI_STEP))
    low = {"survivors_step": {"threshold": 6.5, "fatality": ITB}}
    variant_only = EARTHQUAKE | {"curve": "eq_mmi6_survivors", "variants": {"low": low}}
    spec = combined(TSUNAMI_STEP, variant_only)
    with pytest.raises(ConfigError) as caught:
        read_hazard(spec, tmp_path, "run.yaml.hazards[0] (q)", "IDN")
    message = str(caught.value)
    assert message.startswith("run.yaml.hazards[0] (q).components[1].curve: ")
    assert "has a fatality model" in message


def test_components_without_a_fatality_model_still_run(tmp_path, cli):
    plain = EARTHQUAKE | {"curve": "eq_mmi6_survivors"}
    path = write_case(tmp_path, combined(plain, TSUNAMI_STEP))
    result = cli("run", path, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    share = np.maximum(MMI >= 5.5, TSUNAMI >= 0.7) * 1.0  # max of the two steps
    expected = float((POP.astype(np.float64) * share).sum())
    assert expected == 7000.0  # every cell but MMI 5.0 without tsunami
    assert summary["hazards"]["q"]["displaced"] == pytest.approx(expected, rel=1e-9)
    assert "fatalities" not in summary["hazards"]["q"]
    sendai = pd.read_csv(tmp_path / "out" / "sendai.csv")
    assert not (sendai["indicator_code"] == "A-2").any()


def test_the_earthquake_as_its_own_hazard_reports_its_deaths(tmp_path, cli):
    alone = {"id": "q", "scenario": "s", **EARTHQUAKE}
    path = write_case(tmp_path, alone)
    result = cli("run", path, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    pop = POP.astype(np.float64)
    deaths = float((pop * itb_rate(MMI)).sum())
    survivors = float((pop * (1.0 - itb_rate(MMI)) * (MMI >= 5.5)).sum())
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["hazards"]["q"]["fatalities"] == pytest.approx(deaths, rel=1e-5)
    assert summary["hazards"]["q"]["displaced"] == pytest.approx(survivors, rel=1e-6)
    sendai = pd.read_csv(tmp_path / "out" / "sendai.csv")
    a2 = sendai[(sendai["indicator_code"] == "A-2") & (sendai["admin_level"] == 0)]
    assert len(a2) == 1
    assert a2["value_number"].iloc[0] == pytest.approx(deaths, rel=1e-5)
