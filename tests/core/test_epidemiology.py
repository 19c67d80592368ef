"""The epidemiology funnel: hand-computed template numbers, each pure function, properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from leptomarket.core.epidemiology import (
    EpiInputs,
    diagnosed_cases,
    diagnosis_rate,
    epidemiology_funnel,
    lm_incident_cases,
    lm_risk_multiplier,
    lm_risk_per_incident_case,
    logistic_adoption,
    prevention_multiplier,
    primary_incidence,
    segment_cases,
    series_detection,
    time_multiplier,
    treated_cases,
)
from leptomarket.engine.run import RunSettings, run_epidemiology
from leptomarket.knowledge.loader import load_indication

# --------------------------------------------------------------------------------------
# Hand calculation on the template indication (point estimate)
# --------------------------------------------------------------------------------------
YEARS = (2020, 2021, 2022)

# Primary t1 cases. AA: 1000 in 2020, +10 %/year. BB: 2000 in 2021, trend 0.
AA_T1 = {2020: 1000.0, 2021: 1000.0 * 1.1, 2022: 1000.0 * 1.1**2}  # 1000, 1100, 1210
BB_T1 = {y: 2000.0 for y in YEARS}
# Segments: LM as counted in the risk's series = primary x subtype share x LM risk
# (LM risk trend 0, no preventive therapy: its peak share is 0 in the template).
#   AA: t1_x share 0.25, t1_y 0.75; BB: 0.5 / 0.5; t2_all share 1.
#   LM risk per case: t1_x 0.5 advanced x 0.20 = 0.10, t1_y 0.02, t2_all 0.05.
SERIES = {
    ("AA", 2020): (1000 * 0.25 * 0.10, 1000 * 0.75 * 0.02, 500 * 0.05),  # 25, 15, 25
    ("AA", 2021): (1100 * 0.25 * 0.10, 1100 * 0.75 * 0.02, 500 * 0.05),  # 27.5, 16.5, 25
    ("AA", 2022): (1210 * 0.25 * 0.10, 1210 * 0.75 * 0.02, 500 * 0.05),  # 30.25, 18.15, 25
    **{("BB", y): (2000 * 0.5 * 0.10, 2000 * 0.5 * 0.02, 400 * 0.05) for y in YEARS},
}  # BB: 100, 20, 20
# The series found 0.5 + (1 - 0.5) * 0.5 * 0.5 = 0.625 of the LM its tests could find
# (MRI 0.5; lumbar puncture 0.5 when MRI is not diagnostic; cytology 0.5), so the
# funnel's incident cases are the series counts / 0.625: diagnosis is applied once.
SERIES_DETECTION = 0.625
INCIDENT = {key: tuple(v / SERIES_DETECTION for v in cases) for key, cases in SERIES.items()}


def liquid_biopsy_adoption_bb(year: int) -> float:
    """0.5 / (1 + exp(-(year - 2021))): 0.13447, 0.25, 0.36553."""
    return 0.5 / (1.0 + math.exp(-(year - 2021)))


def rate_by_hand(adoption: float) -> float:
    """workup 0.8, MRI 0.5, lumbar puncture 0.5, cytology 0.5, liquid biopsy 0.9.

    csf_sens  = 1 - (1 - 0.5) * (1 - 0.9 a)       = 0.5 + 0.45 a
    csf_found = 0.5 * csf_sens                    = 0.25 + 0.225 a
    detect    = 1 - (1 - 0.5) * (1 - csf_found)   = 0.625 + 0.1125 a
    rate      = 0.8 * detect                      = 0.5 + 0.09 a
    """
    csf_sensitivity = 1 - (1 - 0.5) * (1 - 0.9 * adoption)
    detect = 1 - (1 - 0.5) * (1 - 0.5 * csf_sensitivity)
    return 0.8 * detect


RATE = {
    **{("AA", y): 0.8 * (1 - 0.5 * (1 - 0.5 * 0.5)) for y in YEARS},  # 0.5 (no liquid biopsy)
    **{("BB", y): rate_by_hand(liquid_biopsy_adoption_bb(y)) for y in YEARS},
}  # BB: 0.512102, 0.5225, 0.532898


@pytest.fixture(scope="module")
def point_run():
    return run_epidemiology(load_indication("template"), RunSettings(0))


def test_hand_arithmetic_is_what_the_brief_says():
    assert RATE["AA", 2020] == pytest.approx(0.5)
    assert RATE["BB", 2021] == pytest.approx(0.8 * 0.653125)  # = 0.5225
    assert INCIDENT["AA", 2021] == pytest.approx((44.0, 26.4, 40.0))
    assert AA_T1[2021] == pytest.approx(1100) and BB_T1[2020] == 2000


def test_point_run_has_one_draw_on_the_template_grid(point_run):
    for cube in point_run.cubes.values():
        assert cube.shape == (1, 2, 3, 3)  # [draw, country, year, segment]
        assert cube.dtype == np.float32
    assert point_run.diagnosis_rate.shape == (1, 2, 3)


@pytest.mark.parametrize(("c", "country"), [(0, "AA"), (1, "BB")])
@pytest.mark.parametrize(("y", "year"), list(enumerate(YEARS)))
def test_point_funnel_matches_hand_calculation(point_run, c, country, y, year):
    incident = np.array(INCIDENT[country, year])
    diagnosed = incident * RATE[country, year]
    treated = diagnosed * 0.5
    cubes = point_run.cubes
    np.testing.assert_allclose(cubes["incident_cases"][0, c, y], incident, rtol=1e-6)
    np.testing.assert_allclose(cubes["diagnosed_cases"][0, c, y], diagnosed, rtol=1e-6)
    np.testing.assert_allclose(cubes["treated_cases"][0, c, y], treated, rtol=1e-6)
    assert point_run.diagnosis_rate[0, c, y] == pytest.approx(RATE[country, year], rel=1e-6)


def test_point_funnel_spot_values(point_run):
    cubes = point_run.cubes
    np.testing.assert_allclose(cubes["incident_cases"][0, 0, 0], [40.0, 24.0, 40.0], rtol=1e-6)
    np.testing.assert_allclose(cubes["incident_cases"][0, 1, 0], [160.0, 32.0, 32.0], rtol=1e-6)
    assert cubes["diagnosed_cases"][0, 1, 1, 0] == pytest.approx(160 * 0.5225)  # 83.6
    assert cubes["treated_cases"][0, 1, 1, 0] == pytest.approx(41.8)
    # Without liquid biopsy, diagnosed = series count x work-up: 30.25 x 0.8 x treated 0.5.
    assert cubes["treated_cases"][0, 0, 2, 0] == pytest.approx(30.25 * 0.8 * 0.5)  # 12.1


def test_summary_totals_add_segments_and_regions(point_run):
    summary = point_run.summary()
    treated = summary[(summary["metric"] == "treated_cases") & (summary["year"] == 2021)]

    def value(country, level, key):
        row = treated[
            (treated["country"] == country) & (treated["level"] == level) & (treated["key"] == key)
        ]
        assert len(row) == 1
        return float(row["mean"].iloc[0])

    aa_total = (27.5 + 16.5 + 25) / 0.625 * 0.5 * 0.5  # 27.6
    bb_total = (100 + 20 + 20) / 0.625 * 0.5225 * 0.5  # 58.52
    assert value("AA", "total", "all") == pytest.approx(aa_total, rel=1e-6)
    assert value("BB", "total", "all") == pytest.approx(bb_total, rel=1e-6)
    assert value("ALL", "total", "all") == pytest.approx(aa_total + bb_total, rel=1e-6)
    assert value("AA", "tumour", "t1") == pytest.approx((27.5 + 16.5) / 0.625 * 0.25, rel=1e-6)
    # Point run: one draw, so every percentile is the mean (percentiles come from the
    # float32 kept draws, the mean from float64 running sums).
    np.testing.assert_allclose(treated["p05"], treated["mean"], rtol=1e-6)
    np.testing.assert_allclose(treated["p95"], treated["mean"], rtol=1e-6)


def test_monte_carlo_mean_is_near_the_point_estimate():
    knowledge = load_indication("template")
    mc = run_epidemiology(knowledge, RunSettings(4000, seed=3, chunk_size=1000))
    mean = mc.cubes["incident_cases"].mean(axis=0)
    # Incident cases are near linear in inputs whose means are the point values
    # (lognormal incidence: mean = median * exp(sigma^2 / 2) ~ median * 1.0013), but for
    # the division by the series' detection, whose small spread lifts the mean ~1%.
    np.testing.assert_allclose(mean[0, 0], INCIDENT["AA", 2020], rtol=0.03)
    np.testing.assert_allclose(mean[1, 1], INCIDENT["BB", 2021], rtol=0.03)
    assert mc.cubes["treated_cases"].std(axis=0)[0, 0, 0] > 0.5


# --------------------------------------------------------------------------------------
# Each pure function on tiny arrays
# --------------------------------------------------------------------------------------


def test_primary_incidence_projects_from_each_reference_year():
    base = np.array([[[100.0, 10.0]]])  # [draw=1, country=1, tumour=2]
    trend = np.array([[[0.1, -0.5]]])
    reference = np.array([[2021, 2020]])
    out = primary_incidence(base, trend, reference, np.array([2020, 2021, 2022]))
    assert out.shape == (1, 1, 3, 2)
    np.testing.assert_allclose(out[0, 0, :, 0], [100 / 1.1, 100, 110])  # back-cast one year
    np.testing.assert_allclose(out[0, 0, :, 1], [10, 5, 2.5])


def test_segment_cases_split_a_tumour_by_share():
    primary = np.array([[[[200.0, 40.0]]]])  # [1, 1, 1, tumour=2]
    share = np.array([[[0.25, 0.75, 1.0]]])  # [1, 1, segment=3]
    out = segment_cases(primary, share, np.array([0, 0, 1]))
    np.testing.assert_allclose(out[0, 0, 0], [50.0, 150.0, 40.0])


def test_time_multiplier_compounds_from_the_reference_year():
    out = time_multiplier(np.array([0.0, 0.1]), np.array([2019, 2020, 2022]), 2020)
    np.testing.assert_allclose(out, [[1, 1, 1], [1 / 1.1, 1, 1.21]])


def test_lm_incident_cases_multiply_risk_and_time():
    segment = np.full((1, 1, 2, 2), 100.0)
    risk = np.array([[0.1, 0.02]])  # [draw, segment]
    multiplier = np.array([[1.0, 1.5]])  # [draw, year]
    out = lm_incident_cases(segment, risk, multiplier)
    np.testing.assert_allclose(out[0, 0], [[10.0, 2.0], [15.0, 3.0]])


def test_time_multiplier_by_segment_compounds_each_segment_trend():
    out = time_multiplier(np.array([[0.0, 0.1]]), np.array([2020, 2022]), 2020)
    assert out.shape == (1, 2, 2)  # [draw, year, segment]
    np.testing.assert_allclose(out[0], [[1.0, 1.0], [1.0, 1.21]])


def test_lm_risk_per_incident_case_writes_out_the_conversion():
    # 72% of NSCLC reach advanced disease x 9.6% LM among them = 6.912%.
    out = lm_risk_per_incident_case(np.array([[0.72, 1.0]]), np.array([[0.096, 0.05]]))
    np.testing.assert_allclose(out, [[0.06912, 0.05]])


def test_prevention_removes_the_hazard_ratio_share_of_risk_among_users():
    # 85% on osimertinib with HR 0.38: 1 - 0.85 x 0.62 = 0.473; HR 1 changes nothing.
    uptake = np.array([[[0.85, 0.85], [0.0, 0.5]]])  # [draw, year, segment]
    out = prevention_multiplier(uptake, np.array([[0.38, 1.0]]))
    np.testing.assert_allclose(out[0], [[0.473, 1.0], [1.0, 1.0]])


def test_lm_risk_multiplier_combines_trend_and_prevention():
    uptake = np.array([[[0.5], [0.5]]])  # [draw, year=2, segment=1]
    out = lm_risk_multiplier(
        np.array([[0.1]]), np.array([2020, 2021]), 2020, uptake, np.array([[0.5]])
    )
    np.testing.assert_allclose(out[0, :, 0], [0.75, 1.1 * 0.75])


def test_series_detection_is_the_pathway_without_liquid_biopsy():
    found = series_detection(np.array([0.66]), np.array([0.8]), np.array([0.54]))
    np.testing.assert_allclose(found, [0.66 + 0.34 * 0.8 * 0.54])  # 0.806880
    rate = diagnosis_rate(
        np.array([[1.0]]),
        np.array([0.66]),
        np.array([0.8]),
        np.array([0.54]),
        np.array([0.93]),
        np.zeros((1, 1, 1)),
    )
    np.testing.assert_allclose(rate[0, 0, 0], found[0])


def test_liquid_biopsy_gain_is_evidence_sized():
    """Full adoption of a 93%-sensitive CSF assay beside cytology 54%: CSF sensitivity
    1 - 0.46 x 0.07 = 0.9678, detection 0.66 + 0.34 x 0.8 x 0.9678 = 0.92324 versus
    0.80688 in the series: 14.4% more LM diagnosed, all of it among MRI-negative patients."""
    args = (np.array([[1.0]]), np.array([0.66]), np.array([0.8]), np.array([0.54]))
    full = diagnosis_rate(*args, np.array([0.93]), np.ones((1, 1, 1)))[0, 0, 0]
    none = diagnosis_rate(*args, np.array([0.93]), np.zeros((1, 1, 1)))[0, 0, 0]
    assert full == pytest.approx(0.923242, rel=1e-6)
    assert full / none == pytest.approx(1.14421, rel=1e-5)


def test_logistic_adoption_is_half_the_peak_at_the_midpoint():
    out = logistic_adoption(
        np.array([[0.5, 0.0]]), np.array([[2021.0, 2021.0]]), np.array([1.0]), np.arange(2020, 2023)
    )
    expected = [0.5 / (1 + math.e), 0.25, 0.5 / (1 + math.exp(-1))]
    np.testing.assert_allclose(out[0, 0], expected)
    np.testing.assert_array_equal(out[0, 1], 0.0)


def test_diagnosis_rate_combines_independent_tests():
    one = np.array([0.5])
    rate = diagnosis_rate(
        np.array([[0.8, 1.0]]), one, one, one, np.array([0.9]), np.array([[[0.0, 0.25]] * 2])
    )
    assert rate.shape == (1, 2, 2)
    np.testing.assert_allclose(rate[0, 0], [0.5, 0.5225])
    np.testing.assert_allclose(rate[0, 1], [0.625, 0.653125])  # workup 1


def test_diagnosis_rate_edge_cases():
    zero, one = np.array([0.0]), np.array([1.0])
    adoption = np.zeros((1, 1, 1))
    # A perfect MRI finds everyone worked up; no tests find no one.
    assert diagnosis_rate(np.array([[0.7]]), one, zero, zero, zero, adoption)[0, 0, 0] == 0.7
    assert diagnosis_rate(np.array([[0.7]]), zero, zero, one, one, adoption)[0, 0, 0] == 0.0
    # Lumbar puncture for all with a perfect liquid biopsy fully adopted finds everyone.
    full = np.ones((1, 1, 1))
    assert diagnosis_rate(np.array([[1.0]]), zero, one, zero, one, full)[0, 0, 0] == 1.0


def test_diagnosed_and_treated_cases_scale_by_country():
    lm = np.full((1, 2, 1, 2), 10.0)
    rate = np.array([[[0.5], [0.25]]])  # [draw, country, year]
    diagnosed = diagnosed_cases(lm, rate)
    np.testing.assert_allclose(diagnosed[0, :, 0], [[5, 5], [2.5, 2.5]])
    treated = treated_cases(diagnosed, np.array([[0.5, 1.0]]))
    np.testing.assert_allclose(treated[0, :, 0], [[2.5, 2.5], [2.5, 2.5]])


# --------------------------------------------------------------------------------------
# Properties on random inputs
# --------------------------------------------------------------------------------------
SEGMENT_TUMOUR = np.array([0, 0, 1, 2, 2, 2])  # 3 tumours, 6 segments
N_DRAWS, N_COUNTRIES, N_TUMOURS, N_SEGMENTS = 2, 2, 3, 6


def unit(shape):
    return arrays(np.float64, shape, elements=st.floats(0.0, 1.0))


def positive(shape, high):
    return arrays(np.float64, shape, elements=st.floats(0.0, high))


@st.composite
def epi_inputs(draw) -> EpiInputs:
    weights = draw(
        arrays(np.float64, (N_DRAWS, N_COUNTRIES, N_SEGMENTS), elements=st.floats(0.01, 1.0))
    )
    totals = np.zeros((N_DRAWS, N_COUNTRIES, N_TUMOURS))
    for s, t in enumerate(SEGMENT_TUMOUR):
        totals[..., t] += weights[..., s]
    share = weights / totals[..., SEGMENT_TUMOUR]  # sums to 1 within each tumour
    start = draw(st.integers(2000, 2030))
    return EpiInputs(
        base_cases=draw(positive((N_DRAWS, N_COUNTRIES, N_TUMOURS), 1e6)),
        annual_trend=draw(
            arrays(np.float64, (N_DRAWS, N_COUNTRIES, N_TUMOURS), elements=st.floats(-0.5, 0.5))
        ),
        reference_year=draw(
            arrays(np.int64, (N_COUNTRIES, N_TUMOURS), elements=st.integers(2000, 2030))
        ),
        subtype_share=share,
        segment_tumour=SEGMENT_TUMOUR,
        advanced_share=draw(unit((N_DRAWS, N_SEGMENTS))),
        lm_risk=draw(unit((N_DRAWS, N_SEGMENTS))),
        lm_risk_trend=draw(
            arrays(np.float64, (N_DRAWS, N_SEGMENTS), elements=st.floats(-0.2, 0.2))
        ),
        lm_risk_reference_year=draw(st.integers(2000, 2030)),
        cns_active_peak_share=draw(unit((N_DRAWS, N_SEGMENTS))),
        cns_active_midpoint_year=draw(positive((N_DRAWS, N_SEGMENTS), 2040.0)),
        cns_active_steepness=draw(positive((N_DRAWS,), 3.0)),
        prevention_hazard_ratio=draw(positive((N_DRAWS, N_SEGMENTS), 2.0)),
        workup_rate=draw(unit((N_DRAWS, N_COUNTRIES))),
        # The series behind the risks found LM, so their first test had some sensitivity.
        mri_sensitivity=draw(arrays(np.float64, (N_DRAWS,), elements=st.floats(0.01, 1.0))),
        lumbar_puncture_rate=draw(unit((N_DRAWS,))),
        cytology_sensitivity=draw(unit((N_DRAWS,))),
        liquid_biopsy_sensitivity=draw(unit((N_DRAWS,))),
        liquid_biopsy_peak_share=draw(unit((N_DRAWS, N_COUNTRIES))),
        liquid_biopsy_midpoint_year=draw(positive((N_DRAWS, N_COUNTRIES), 2040.0)),
        liquid_biopsy_steepness=draw(positive((N_DRAWS,), 3.0)),
        treated_share=draw(unit((N_DRAWS, N_COUNTRIES))),
        years=np.arange(start, start + draw(st.integers(1, 4))),
    )


@settings(max_examples=150, deadline=None, derandomize=True)
@given(epi_inputs())
def test_funnel_only_narrows_and_never_goes_negative(inputs):
    out = epidemiology_funnel(inputs)
    assert np.all(np.isfinite(out.treated_cases))
    assert np.all(out.treated_cases >= 0)
    assert np.all(out.treated_cases <= out.diagnosed_cases)
    assert np.all(out.diagnosed_cases <= out.lm_cases)
    assert np.all(out.lm_cases >= 0)
    assert np.all((out.diagnosis_rate >= 0) & (out.diagnosis_rate <= 1))


@settings(max_examples=150, deadline=None, derandomize=True)
@given(epi_inputs())
def test_segments_of_a_tumour_conserve_its_patients(inputs):
    primary = primary_incidence(
        inputs.base_cases, inputs.annual_trend, inputs.reference_year, inputs.years
    )
    segments = segment_cases(primary, inputs.subtype_share, inputs.segment_tumour)
    for t in range(N_TUMOURS):
        members = [s for s, tumour in enumerate(SEGMENT_TUMOUR) if tumour == t]
        total = segments[..., members].sum(axis=-1)
        np.testing.assert_allclose(total, primary[..., t], rtol=1e-12, atol=1e-9)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    unit((3, 2)),
    unit((3,)),
    unit((3,)),
    unit((3,)),
    unit((3,)),
    unit((3, 2, 4)),
)
def test_diagnosis_rate_is_a_proportion(workup, mri, lp, cytology, biopsy, adoption):
    rate = diagnosis_rate(workup, mri, lp, cytology, biopsy, adoption)
    assert rate.shape == (3, 2, 4)
    assert np.all((rate >= 0) & (rate <= 1))
    assert np.all(rate <= workup[:, :, None])  # never more than those worked up
