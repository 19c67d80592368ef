"""Each LM lever moves the outputs in the direction its levers.yaml entry documents."""

from __future__ import annotations

import numpy as np
import pytest

from leptomarket.engine.forecast import ForecastResult, phase_in, run_forecast
from leptomarket.engine.market_inputs import therapy_attribute
from leptomarket.engine.run import RunSettings
from leptomarket.knowledge.loader import load_indication
from leptomarket.scenarios.scenario import Scenario, ScenarioFile, load_levers, load_scenario

SETTINGS = RunSettings(n_draws=64, seed=11)
YEAR = 2034


@pytest.fixture(scope="module")
def lm():
    return load_indication("lm")


@pytest.fixture(scope="module")
def base(lm):
    return run_forecast(lm, SETTINGS, load_scenario(lm, "base"))


def with_lever(lm, lever: str) -> ForecastResult:
    spec = ScenarioFile(name=lever, description="one lever", levers={lever: 1.0}, phase_in_years=1)
    return run_forecast(lm, SETTINGS, Scenario(lever, spec.description, spec, None, lever))


def total(result: ForecastResult, metric: str, therapies: list[str] | None = None) -> float:
    """Mean over draws of a metric in YEAR, summed over countries (and therapies)."""
    year = list(result.knowledge.years).index(YEAR)
    if metric in result.epi:
        return float(result.epi[metric][:, :, year].sum(axis=(1, 2)).mean())
    labels = result.knowledge.labels("therapy")
    columns = [labels.index(t) for t in (therapies or labels)]
    return float(result.market[metric][:, :, year][..., columns].sum(axis=(1, 2)).mean())


def therapies_where(result: ForecastResult, attribute: str, value: str) -> list[str]:
    labels = result.knowledge.labels("therapy")
    values = therapy_attribute(result.knowledge, attribute)
    return [t for t, v in zip(labels, values, strict=True) if v == value]


def test_every_lever_is_covered(lm):
    assert set(load_levers(lm)) == {
        "better_detection",
        "longer_survival",
        "cns_active_therapies",
        "access_pressure",
        "delivery_innovation",
        "hard_trials",
        "neurotoxicity",
    }


def test_better_detection_raises_diagnosed_patients(lm, base):
    edited = with_lever(lm, "better_detection")
    assert total(edited, "diagnosed_cases") > total(base, "diagnosed_cases")
    assert total(edited, "incident_cases") == pytest.approx(total(base, "incident_cases"))
    assert total(edited, "revenue") > total(base, "revenue")


def test_longer_survival_raises_incidence(lm, base):
    edited = with_lever(lm, "longer_survival")
    assert total(edited, "incident_cases") > total(base, "incident_cases")


def test_cns_active_therapies_raise_launching_revenue(lm, base):
    edited = with_lever(lm, "cns_active_therapies")
    launching = therapies_where(base, "launch", "launching")
    established = therapies_where(base, "launch", "established")
    assert total(edited, "revenue", launching) > total(base, "revenue", launching)
    assert total(edited, "patients", established) < total(base, "patients", established)


def test_access_pressure_lowers_treated_patients_and_revenue(lm, base):
    edited = with_lever(lm, "access_pressure")
    assert total(edited, "treated_cases") < total(base, "treated_cases")
    assert total(edited, "revenue") < total(base, "revenue")


def test_delivery_innovation_raises_intra_csf_revenue(lm, base):
    edited = with_lever(lm, "delivery_innovation")
    intra_csf = therapies_where(base, "group", "intra_csf")
    assert total(edited, "revenue", intra_csf) > total(base, "revenue", intra_csf)


def test_hard_trials_lower_pipeline_revenue(lm, base):
    edited = with_lever(lm, "hard_trials")
    pipeline = therapies_where(base, "status", "pipeline")
    assert total(edited, "revenue_risk_adjusted", pipeline) < total(
        base, "revenue_risk_adjusted", pipeline
    )


def test_neurotoxicity_lowers_intra_csf_revenue(lm, base):
    edited = with_lever(lm, "neurotoxicity")
    intra_csf = therapies_where(base, "group", "intra_csf")
    assert total(edited, "revenue", intra_csf) < total(base, "revenue", intra_csf)
    assert total(edited, "patients", intra_csf) == pytest.approx(total(base, "patients", intra_csf))


def test_levers_leave_the_past_alone(lm, base):
    edited = load_scenario(lm, "optimistic")
    result = run_forecast(lm, SETTINGS, edited)
    before = list(lm.years).index(2025)
    np.testing.assert_array_equal(
        result.market["revenue"][:, :, : before + 1], base.market["revenue"][:, :, : before + 1]
    )


def test_phase_in_weights():
    years = np.arange(2024, 2031)
    np.testing.assert_allclose(phase_in(years, 2026, 3), [0, 0, 1 / 3, 2 / 3, 1, 1, 1])
    np.testing.assert_allclose(phase_in(years, 2026, 1), [0, 0, 1, 1, 1, 1, 1])


def test_bundled_scenarios_load(lm):
    for name in ("base", "optimistic", "pessimistic", "no_pipeline", "liquid_biopsy"):
        assert load_scenario(lm, name).name == name


def test_no_pipeline_removes_pipeline_revenue(lm):
    result = run_forecast(lm, SETTINGS, load_scenario(lm, "no_pipeline"))
    pipeline = therapies_where(result, "status", "pipeline")
    assert total(result, "revenue", pipeline) == 0.0
    assert total(result, "revenue_risk_adjusted", pipeline) == 0.0
