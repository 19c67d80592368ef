"""Decision-view cores against hand-computed cases and invariants."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leptomarket.core.budget_impact import budget_impact, per_member_per_month, plan_patients
from leptomarket.core.capacity import csf_tests, delivery_counts, per_catchment, workup_counts
from leptomarket.core.feasibility import enrolment_rate, months_to_enrol
from leptomarket.core.value import (
    failure_stages,
    npv_draws,
    operating_cash_flow,
    reach_probabilities,
    risk_adjusted_npv,
    stage_start_years,
    stage_success,
)

YEARS = np.array([2028, 2029])
CASH = np.array([100.0, 100.0])
COSTS = np.array([10.0, 20.0])
STARTS = np.array([2026.0, 2027.0])
PASS = np.array([0.5, 0.4])


def toy_rnpv(rate=0.1, stage_pass=PASS, costs=COSTS):
    return risk_adjusted_npv(CASH, YEARS, costs, STARTS, stage_pass, rate, 2026)


def test_rnpv_of_toy_asset_to_the_cent():
    # 0.2 x (100/1.1^2 + 100/1.1^3) - (10 + 0.5 x 20/1.1) = 31.5552 - 19.0909
    assert toy_rnpv() == pytest.approx(12.4643125, abs=0.005)
    assert round(toy_rnpv(), 2) == 12.46


def test_draws_weighted_by_their_probabilities_equal_the_rnpv():
    launched = np.array([False, False, True])
    failed = np.array([0, 1, 0])
    npv = npv_draws(
        np.tile(CASH, (3, 1)),
        YEARS,
        launched,
        failed,
        np.tile(COSTS, (3, 1)),
        np.tile(STARTS, (3, 1)),
        np.full(3, 0.1),
        2026,
    )
    np.testing.assert_allclose(npv, [-10.0, -10.0 - 20 / 1.1, 157.7761082 - 10 - 20 / 1.1])
    probabilities = np.array([0.5, 0.5 * 0.6, 0.2])
    assert (npv * probabilities).sum() == pytest.approx(toy_rnpv(), rel=1e-9)


def test_stage_split_keeps_the_total_probability_and_the_shape():
    q = stage_success(np.array([0.05, 1.0]), np.array([0.628, 0.246, 0.401, 0.824]))
    np.testing.assert_allclose(q.prod(axis=1), [0.05, 1.0])
    # The hardest reference stage stays the hardest.
    assert q[0].argmin() == 1
    np.testing.assert_allclose(reach_probabilities(PASS[None])[0], [1.0, 0.5])


def test_failure_stage_frequencies_follow_where_programmes_fail():
    n = 200_000
    stages = failure_stages(np.tile(PASS, (n, 1)), np.random.default_rng(1).random(n))
    # P(fail at 0 | fail) = 0.5 / 0.8, at 1 = 0.3 / 0.8.
    assert (stages == 0).mean() == pytest.approx(0.625, abs=0.005)


def test_stage_years_and_cash_flow_by_hand():
    np.testing.assert_allclose(
        stage_start_years(2026, np.array([1.5, 2.5, 0.9])), [2026, 2027.5, 2030]
    )
    flow = operating_cash_flow(
        np.array([[100.0, -10.0]]), np.array([0.2]), np.array([0.3]), np.array([0.2])
    )
    np.testing.assert_allclose(flow, [[40.0, -5.0]])


@settings(max_examples=60, deadline=None)
@given(st.floats(0.0, 0.3), st.floats(0.01, 0.3))
def test_rnpv_falls_as_the_discount_rate_rises(rate, step):
    # Costs at the valuation year only, revenue later: value falls with the rate.
    costs = np.array([10.0, 0.0])
    assert toy_rnpv(rate + step, costs=costs) < toy_rnpv(rate, costs=costs)


@settings(max_examples=60, deadline=None)
@given(st.floats(0.01, 0.9), st.floats(0.01, 0.09))
def test_rnpv_rises_with_the_probability_of_success(q_last, step):
    low = toy_rnpv(stage_pass=np.array([0.5, q_last]))
    high = toy_rnpv(stage_pass=np.array([0.5, q_last + step]))
    assert high > low


def test_budget_impact_by_hand_and_zero_at_zero_uptake():
    eligible = np.array([[10.0, 20.0]])
    impact = budget_impact(eligible, np.array([0.0, 0.2]), np.array([1000.0]), np.array([600.0]))
    np.testing.assert_allclose(impact[0, 0], [0.0, 0.0])
    np.testing.assert_allclose(impact[0, 1], [800.0, 1600.0])
    assert per_member_per_month(np.array([1200.0]), 100)[0] == pytest.approx(1.0)
    assert plan_patients(np.array([1000.0]), 1e5, np.array([1e6]))[0] == pytest.approx(100.0)


@settings(max_examples=60, deadline=None)
@given(st.floats(0.0, 1e4), st.floats(-1e5, 1e5), st.floats(-1e5, 1e5))
def test_budget_impact_is_zero_without_uptake(eligible, cost_new, cost_current):
    impact = budget_impact(
        np.array([[eligible]]), np.array([0.0]), np.array([cost_new]), np.array([cost_current])
    )
    assert impact[0, 0, 0] == 0.0


def test_enrolment_months_by_hand():
    # 600/yr / 12 x (20 x 0.005) x 0.5 x 0.5 = 1.25 per month -> 48 months for 60.
    rate = enrolment_rate(np.array(600.0), 20, 0.005, 0.5, 0.5)
    assert float(rate) == pytest.approx(1.25)
    assert float(months_to_enrol(60, rate)) == pytest.approx(48.0)
    assert np.isinf(months_to_enrol(60, np.array(0.0)))


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 150), st.floats(1.0, 5000.0))
def test_enrolment_time_falls_as_sites_rise(sites, eligible):
    slower = months_to_enrol(60, enrolment_rate(np.array(eligible), sites, 0.005, 0.5, 0.55))
    faster = months_to_enrol(60, enrolment_rate(np.array(eligible), sites + 1, 0.005, 0.5, 0.55))
    assert faster < slower


def test_capacity_counts_for_a_toy_catchment():
    # 200 national diagnoses in 10M people -> 20 per 1M.
    assert per_catchment(np.array(200.0), np.array(1e7), 1e6) == pytest.approx(20.0)
    assert csf_tests(np.array(20.0), np.array(0.5), np.array(2.0)) == pytest.approx(30.0)
    mri, punctures = workup_counts(np.array(30.0), np.array(2.0), 0.4)
    assert (float(mri), float(punctures)) == (60.0, 12.0)
    procedures, implants = delivery_counts(np.array(10.0), np.array(5.0), np.array(0.2))
    assert (float(procedures), float(implants)) == (50.0, 2.0)
