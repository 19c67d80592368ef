"""Rule-table classifier: accuracy on the hand-labelled trials and rule behaviour."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from leptomarket.trials.bundled import curated_records
from leptomarket.trials.classify import classify_texts, load_rule_table, resolve_company
from leptomarket.trials.evaluate import evaluate_modality, route_accuracy
from leptomarket.trials.refresh import records_from_studies

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def texts(interventions: str = "", title: str = "", conditions: str = "") -> dict[str, str]:
    return {
        "title": title,
        "interventions": interventions,
        "descriptions": "",
        "conditions": conditions,
    }


def test_macro_f1_on_labelled_trials_meets_target():
    records = curated_records(FIXTURES / "lm-trials.csv", use_labels=False)
    assert len(records) == 52
    report = evaluate_modality(records)
    assert report.macro_f1 >= 0.85, report.per_label.to_string()
    assert len(report.per_label) == 10
    assert report.per_label["support"].sum() == 52
    assert route_accuracy(records) >= 0.85


def test_api_shaped_records_get_the_same_modality_as_the_labels():
    """The classifier reads v2 study JSON as well as CSV rows (fixture pages)."""
    labels = {r.nct_id: r.extra["modality"] for r in curated_records(FIXTURES / "lm-trials.csv")}
    studies = []
    for n in (1, 2, 3):
        studies += json.loads((FIXTURES / "ctgov" / f"page{n}.json").read_text())["studies"]
    records = records_from_studies(studies, source="fixture")
    agree = sum(1 for r in records if r.modality == labels[r.nct_id])
    assert agree / len(records) >= 0.9


@pytest.mark.parametrize(
    ("interventions", "modality", "route"),
    [
        ("methotrexate (intrathecal via Ommaya)", "it_chemotherapy", "intrathecal"),
        ("high-dose IV methotrexate", "other", "systemic"),
        ("trastuzumab (intraventricular)", "antibody", "intraventricular"),
        ("trastuzumab deruxtecan 5.4 mg/kg IV", "adc", "systemic"),
        ("177Lu-labelled anti-HER2 antibody", "radiopharmaceutical", "intraventricular"),
        ("BIOLOGICAL: HER2-specific CAR T cells", "cell_therapy", "other"),
        ("nivolumab IV; ipilimumab IV", "checkpoint_inhibitor", "systemic"),
        ("zongertinib tablets", "targeted_small_molecule", "systemic"),
        ("proton craniospinal irradiation", "radiation", "radiation"),
        ("CSF ctDNA sequencing", "diagnostic", "other"),
        ("oncolytic herpes simplex virus", "oncolytic_virus", "other"),
    ],
)
def test_rules_are_general_keyword_rules(interventions, modality, route):
    result = classify_texts(texts(interventions=interventions))
    assert (result.modality, result.route) == (modality, route)


def test_interventions_take_precedence_over_title_for_route():
    result = classify_texts(
        texts(interventions="deferoxamine via Ommaya reservoir", title="Intrathecal deferoxamine")
    )
    assert result.route == "intraventricular"


def test_primary_tumours_multi_label_and_specific_over_generic():
    result = classify_texts(texts(conditions="Breast Cancer; Non-small Cell Lung Cancer"))
    assert result.primary_tumours == ("breast", "nsclc")
    assert classify_texts(texts(conditions="Small Cell Lung Carcinoma")).primary_tumours == (
        "sclc",
    )
    assert classify_texts(texts(conditions="lung cancer")).primary_tumours == ("lung",)
    assert classify_texts(texts(conditions="Leptomeningeal Metastases")).primary_tumours == (
        "unspecified",
    )


@pytest.mark.parametrize(
    ("sponsor", "sponsor_class", "expected"),
    [
        ("Seagen Inc.", "INDUSTRY", ("Seagen", "big_pharma")),
        ("Seattle Genetics, Inc.", "", ("Seagen", "big_pharma")),
        ("Bristol-Myers Squibb", "INDUSTRY", ("Bristol Myers Squibb", "big_pharma")),
        ("Merck Sharp & Dohme LLC", "INDUSTRY", ("Merck", "big_pharma")),
        ("Merck KGaA, Darmstadt, Germany", "INDUSTRY", ("Merck KGaA", "big_pharma")),
        ("Eli Lilly and Company", "INDUSTRY", ("Eli Lilly", "big_pharma")),
        ("Hoffmann-La Roche", "INDUSTRY", ("Roche", "big_pharma")),
        ("Some Neuro Startup", "INDUSTRY", ("Some Neuro Startup", "biotech")),
        ("National Cancer Institute (NCI)", "NIH", ("National Cancer Institute", "government")),
        ("Netherlands Cancer Institute", "", ("Netherlands Cancer Institute", "academic")),
        ("Acme Therapeutics Ltd", "", ("Acme Therapeutics Ltd", "biotech")),
        ("", "", ("", "unknown")),
    ],
)
def test_sponsor_to_company(sponsor, sponsor_class, expected):
    assert resolve_company(sponsor, sponsor_class) == expected


def test_rule_tables_are_not_keyed_on_trial_ids():
    for name in ("modality", "route", "tumours"):
        table = load_rule_table(name)
        for rule in table.rules:
            assert "NCT" not in rule.pattern.pattern.upper().replace("FUNCT", "")
