"""Sendai labels of attribute groups and the notes of rates above 100,000 per 100,000.

An attribute (``population.attributes``) carries ``disability = with_disability`` or
``income_group = below_poverty_line`` only when its name means exactly that group
(``mecc.sendai_groups``: English, French, Spanish; case, accents and spaces aside); a
negation (``no_disability``), another group (``high_income``) or any other name keeps
its own name in ``group`` with both columns blank and a note saying so, in sendai.csv,
sendai_hxl.csv (#group+disability, #group+income) and sendai.xlsx alike. A rate above
100,000 per 100,000 names the row's own cause: a scenario's B-1 its overlapping parts,
never the events an expected annual value adds up.
"""

from __future__ import annotations

import csv

import pandas as pd
import pytest
from openpyxl import load_workbook

from mecc.run import run_country
from mecc.sendai_groups import attribute_labels, normalised_name
from tests._run_inputs import basic_case, write_run
from tests.test_sendai_input_fixes import scenario_case

ATTRIBUTES = {  # name in the run file -> (disability, income_group) expected
    "disability": ("with_disability", ""),
    "Personnes handicapées": ("with_disability", ""),
    "con_discapacidad": ("with_disability", ""),
    "below_poverty_line": ("", "below_poverty_line"),
    "pobreza": ("", "below_poverty_line"),
    "no_disability": ("", ""),
    "without_disability": ("", ""),
    "high_income": ("", ""),
    "non_poor": ("", ""),
    "migrants": ("", ""),
}
UNLABELLED_NOTE = "its name is not read as a Sendai disaggregation class"


def _scenario(folder, **hazard) -> dict:
    data = scenario_case(folder)  # one scenario flood, rp100.tif
    data["hazards"][0].update(hazard)
    return data


def _read_csv(path) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False, dtype=str)


@pytest.fixture(scope="module")
def labelled_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("labels")
    data = _scenario(folder)
    columns = {name: f"s{k}" for k, name in enumerate(ATTRIBUTES)}  # one column each
    shares = pd.DataFrame({"code": ["A", "B"], **{c: [0.25, 0.5] for c in columns.values()}})
    shares.to_csv(folder / "shares.csv", index=False)
    data["population"]["attributes"] = {
        "path": "shares.csv",
        "code_column": "code",
        "columns": columns,
    }
    run_country(write_run(folder, data), folder / "out", with_map=False)
    return folder / "out"


def test_sendai_csv_labels_only_the_attributes_whose_name_means_the_group(labelled_run):
    table = _read_csv(labelled_run / "sendai.csv")
    rows = table[table["breakdown"] == "attribute"]
    assert set(rows["group"]) == set(ATTRIBUTES)
    for name, (disability, income) in ATTRIBUTES.items():
        own = rows[rows["group"] == name]
        assert len(own) > 0, name
        assert set(own["disability"]) == {disability}, name
        assert set(own["income_group"]) == {income}, name
        unlabelled = not disability and not income
        assert all((UNLABELLED_NOTE in note) == unlabelled for note in own["notes"]), name
        if unlabelled:
            assert all(f"attribute {name}:" in note for note in own["notes"])
    # the groups' figures stay: the share x the people of B (760) for a named or not
    b1 = rows[(rows["admin_code"] == "B") & (rows["indicator_code"] == "AAA-D1")]
    for name in ("high_income", "disability"):
        value = float(b1.loc[b1["group"] == name, "value_number"].iloc[0])
        assert value == pytest.approx(760 * 0.5)


def test_hxl_tags_carry_the_same_labels(labelled_run):
    with open(labelled_run / "sendai_hxl.csv", encoding="utf-8-sig", newline="") as stream:
        header, tags, *body = list(csv.reader(stream))
    group = tags.index("#group+name")
    disability, income = tags.index("#group+disability"), tags.index("#group+income")
    assert header[disability] == "disability" and header[income] == "income_group"
    seen = {}
    for row in body:
        if row[header.index("breakdown")] == "attribute":
            seen.setdefault(row[group], set()).add((row[disability], row[income]))
    assert seen == {name: {labels} for name, labels in ATTRIBUTES.items()}


def test_xlsx_disaggregated_sheet_carries_the_same_labels(labelled_run):
    book = load_workbook(labelled_run / "sendai.xlsx", read_only=True)
    values = list(book["Disaggregated"].values)
    header = list(values[0])
    seen = {}
    for row in values[1:]:
        row = list(row) + [None] * (len(header) - len(row))  # trailing blanks: not stored
        record = dict(zip(header, row, strict=True))
        if record["breakdown"] == "attribute":
            labels = (record["disability"] or "", record["income_group"] or "")
            seen.setdefault(record["group"], set()).add(labels)
    assert seen == {name: {labels} for name, labels in ATTRIBUTES.items()}
    about = dict(book["About"].values)
    assert "personas_con_discapacidad" in about["Disaggregation"]
    assert "no_disability, high_income, non_poor" in about["Disaggregation"]
    book.close()


@pytest.mark.parametrize(
    ("name", "labels"),
    [
        ("Persons with disabilities", {"disability": "with_disability"}),
        ("PERSONAS-CON-DISCAPACIDAD", {"disability": "with_disability"}),
        ("sous le seuil de pauvreté", {"income_group": "below_poverty_line"}),
        ("low_income", {"income_group": "below_poverty_line"}),
        ("disability_free", {}),
        ("not_poor", {}),
        ("income", {}),
        ("extreme_poverty", {}),
    ],
)
def test_attribute_names_are_matched_whole_never_by_a_part(name, labels):
    assert attribute_labels(name)[0] == labels
    assert normalised_name(" Personnes  handicapées ") == "personnes_handicapees"


def _rates(folder, data) -> pd.DataFrame:
    (folder / "shares.csv").write_text("code,share\nA,1\nB,1\n", encoding="utf-8")
    data["population"]["livelihoods"] = {
        "path": "shares.csv",
        "code_column": "code",
        "value_column": "share",
    }
    run_country(write_run(folder, data), folder / "out", with_map=False)
    table = _read_csv(folder / "out" / "sendai.csv")
    table["per_100k"] = pd.to_numeric(table["per_100k"])
    return table[(table["indicator_code"] == "B-1") & (table["breakdown"] == "")]


def test_a_scenario_rate_above_100000_names_the_overlap_not_events(tmp_path):
    data = _scenario(tmp_path, damage_curve="flood_damage_states_jrc_europe")
    b1 = _rates(tmp_path, data)
    above = b1[b1["per_100k"] > 100_000]
    assert set(above["admin_code"]) >= {"B"}  # B-3 + B-4 + B-5 of everyone exposed
    for note in above["notes"]:
        assert "counts some people more than once (B-5 overlaps B-3 and B-4)" in note
        assert "expected annual" not in note and "events" not in note
    # at or below 100,000: no rate note
    assert not any("per_100k above" in n for n in b1.loc[b1["per_100k"] <= 100_000, "notes"])


def test_an_expected_annual_rate_above_100000_names_both_causes(tmp_path):
    data = basic_case(tmp_path)
    data["hazards"] = [
        {
            "id": "ev",
            "type": "river_flood",
            "intensity": "ev.tif",
            "events": "events.csv",
            "curve": "flood_step_1m",
            "damage_curve": "flood_damage_states_jrc_europe",
        }
    ]
    (tmp_path / "events.csv").write_text("band,frequency\n1,1.5\n2,0.8\n", encoding="utf-8")
    b1 = _rates(tmp_path, data)
    annual = b1[(b1["measure"] == "expected_annual") & (b1["per_100k"] > 100_000)]
    assert len(annual) > 0
    for note in annual["notes"]:
        assert "B-5 overlaps B-3 and B-4; an expected annual value adds up events" in note
    events = b1[(b1["measure"] == "event") & (b1["per_100k"] > 100_000)]
    assert len(events) > 0
    assert not any("expected annual" in note for note in events["notes"])
