"""Normalising v2 study JSON and curated CSV rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from leptomarket.errors import InputError
from leptomarket.trials.normalise import record_from_csv_row, record_from_study

CTGOV = Path(__file__).resolve().parents[1] / "fixtures" / "ctgov"


def first_study() -> dict:
    return json.loads((CTGOV / "page1.json").read_text())["studies"][0]


def test_study_fields_map_to_record():
    record = record_from_study(first_study(), source="page1.json")
    assert record.nct_id == "NCT02939300"
    assert record.phase == "PHASE2"
    assert record.start_date == "2018-01" and record.start_year == 2018
    assert record.enrollment == 18
    assert record.sponsor == "Massachusetts General Hospital"
    assert record.collaborators == ("Bristol-Myers Squibb",)
    assert record.interventions[0].startswith("BIOLOGICAL: ipilimumab")
    assert record.countries == ("United States",)
    assert record.source_url == "https://clinicaltrials.gov/study/NCT02939300"


def test_missing_optional_modules_give_empty_values():
    minimal = {"protocolSection": {"identificationModule": {"nctId": "NCT12345678"}}}
    record = record_from_study(minimal)
    assert (record.title, record.phase, record.enrollment, record.interventions) == (
        "",
        "",
        None,
        (),
    )


def test_bad_nct_id_names_source_and_field():
    study = first_study()
    study["protocolSection"]["identificationModule"]["nctId"] = "NCT1"
    with pytest.raises(InputError) as err:
        record_from_study(study, source="https://x.test/studies")
    message = str(err.value)
    assert "https://x.test/studies" in message and "identificationModule.nctId" in message


def test_bad_enrollment_in_csv_names_line_and_column():
    row = {"nct_id": "NCT12345678", "title": "t", "enrollment": "many"}
    with pytest.raises(InputError, match=r"trials.csv:7.*'enrollment'.*'many'"):
        record_from_csv_row(row, "trials.csv", 7)


def test_row_without_id_gets_stable_title_key():
    row = {"nct_id": "", "title": "Some registry-only LM study"}
    first = record_from_csv_row(row, "f.csv", 2).trial_key
    assert first.startswith("NOID-") and first == record_from_csv_row(row, "f.csv", 9).trial_key
