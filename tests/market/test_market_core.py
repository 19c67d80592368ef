"""Market core: hand-computed template market, conservation and revenue identities."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leptomarket.core.market import (
    MarketInputs,
    MarketOutputs,
    PairIndex,
    analog_uptake,
    loe_factor,
    market_model,
    within_group_share,
)
from leptomarket.engine.forecast import run_forecast
from leptomarket.engine.run import RunSettings
from leptomarket.knowledge.loader import load_indication

THERAPIES = ["est_a", "new_b", "pipe_c", "rt_d", "other_g1", "bsc"]


@pytest.fixture(scope="module")
def template():
    return load_indication("template")


@pytest.fixture(scope="module")
def point(template):
    return run_forecast(template, RunSettings(0))


def test_template_market_by_hand(point):
    # Country AA, 2020, segment t1_x: 25 LM as counted in series (= 1000 x 0.25 x 0.10),
    # diagnosed 25 x work-up 0.8 = 20 (diagnosis applied once), treated share 0.5 -> 10
    # treated; group g1 share 0.6 -> 6.
    # new_b launches 2020 (year 1 of the analog: 0.25 of its 0.3 peak = 0.075);
    # est_a keeps 0.8 x (1 - 0.075) = 0.74 of the group.
    patients = point.market["patients"][0, 0, 0]
    revenue = point.market["revenue"][0, 0, 0]
    assert patients[THERAPIES.index("est_a")] == pytest.approx(6.0 * 0.74, rel=1e-6)
    assert patients[THERAPIES.index("new_b")] == pytest.approx(6.0 * 0.075, rel=1e-6)
    assert patients[THERAPIES.index("pipe_c")] == 0.0
    # revenue = patients x months x compliance x price x index (x LOE factor)
    assert revenue[THERAPIES.index("est_a")] == pytest.approx(4.44 * 2 * 1.0 * 100, rel=1e-6)
    assert revenue[THERAPIES.index("new_b")] == pytest.approx(0.45 * 4 * 0.5 * 1000, rel=1e-6)


def test_loe_halves_price_from_loe_year(point):
    # AA 2021: t1 = 1100 (+10%/yr) -> t1_x series count 27.5, diagnosed 22, treated 11,
    # group 6.6.
    # new_b year 2 (0.5 x 0.3 = 0.15); pipe_c year 1, risk-adjusted in point mode:
    # 0.25 x 0.2 x probability 0.25 = 0.0125; est_a 0.8 x (1 - 0.1625) = 0.67.
    patients = point.market["patients"][0, 0, 1]
    revenue = point.market["revenue"][0, 0, 1]
    est_a = 6.6 * 0.67
    assert patients[THERAPIES.index("est_a")] == pytest.approx(est_a, rel=1e-6)
    assert revenue[THERAPIES.index("est_a")] == pytest.approx(est_a * 2 * 100 * 0.5, rel=1e-6)
    assert patients[THERAPIES.index("pipe_c")] == pytest.approx(6.6 * 0.0125, rel=1e-6)


def test_supportive_care_takes_the_untreated(point):
    epi = point.epi
    untreated = (epi["diagnosed_cases"] - epi["treated_cases"]).sum(axis=-1)
    np.testing.assert_allclose(
        point.market["patients"][..., THERAPIES.index("bsc")], untreated, rtol=1e-5
    )


def test_procedure_reaches_every_segment(point):
    # rt_d: group share 0.5 of every segment's treated patients, within share 1.
    treated = point.epi["treated_cases"].sum(axis=-1)
    np.testing.assert_allclose(
        point.market["patients"][..., THERAPIES.index("rt_d")], 0.5 * treated, rtol=1e-5
    )


def test_risk_adjusted_value_equals_mean_over_draws(template):
    result = run_forecast(template, RunSettings(20000, seed=7))
    c = THERAPIES.index("pipe_c")
    drawn = result.market["revenue"][..., c].astype(float)
    expected = result.market["revenue_risk_adjusted"][..., c].astype(float)
    for country in range(2):
        for year in (1, 2):
            d, e = drawn[:, country, year], expected[:, country, year]
            standard_error = d.std(ddof=1) / np.sqrt(len(d))
            assert abs(d.mean() - e.mean()) < 4 * standard_error
    # and a pipeline draw either launches or not: revenue is 0 in ~75% of draws
    zero_share = (drawn[:, 0, 2] == 0).mean()
    assert zero_share == pytest.approx(0.75, abs=0.02)


def test_totals_equal_sum_of_parts(template):
    result = run_forecast(template, RunSettings(200, seed=3))
    summary = result.summary()
    revenue = summary[summary["metric"] == "revenue"]
    for year in (2020, 2022):
        rows = revenue[(revenue["year"] == year) & (revenue["country"] == "ALL")]
        by_therapy = rows[rows["level"] == "therapy"]["mean"].sum()
        by_class = rows[rows["level"] == "class"]["mean"].sum()
        by_company = rows[rows["level"] == "company"]["mean"].sum()
        by_market = rows[rows["level"] == "market"]["mean"].sum()
        assert by_class == pytest.approx(by_therapy, rel=1e-9)
        assert by_company == pytest.approx(by_therapy, rel=1e-9)
        assert by_market == pytest.approx(by_therapy, rel=1e-9)
        per_country = revenue[
            (revenue["year"] == year)
            & (revenue["level"] == "therapy")
            & revenue["country"].isin(["AA", "BB"])
        ]["mean"].sum()
        assert per_country == pytest.approx(by_therapy, rel=1e-9)


def test_nothing_negative(template):
    result = run_forecast(template, RunSettings(500, seed=11, method="lhs"))
    for cube in result.market.values():
        assert (cube >= 0).all()


def test_analog_uptake_shape():
    years = np.array([2019.0, 2020.0, 2021.0, 2025.0, 2030.0])
    analog = np.array([[0.11, 0.31, 0.58, 0.76, 0.89, 1.0]])
    uptake = analog_uptake(years, np.array([[[2020.0]]]), np.array([[6.0]]), analog)
    np.testing.assert_allclose(uptake[0, 0, :, 0], [0.0, 0.11, 0.31, 1.0, 1.0])
    # a three-year time to peak runs the curve twice as fast
    fast = analog_uptake(years, np.array([[[2020.0]]]), np.array([[3.0]]), analog)
    np.testing.assert_allclose(fast[0, 0, :3, 0], [0.0, 0.31, 0.76])


def test_loe_factor_follows_the_class_curve_by_year_since_loe():
    years = np.arange(2030.0, 2035.0)
    # Two classes, curves over 2 LOE ages (age 2 holds thereafter).
    share = np.array([[[0.6, 0.9], [0.3, 0.5]]])  # [draw, molecule, loe_age]
    discount = np.array([[[0.5, 0.8], [0.2, 0.4]]])
    loe_year = np.array([[[2031.0, 2031.0, 2100.0]]])  # [draw, country, therapy]
    factor = loe_factor(years, loe_year, share, discount, np.array([0, 1, 0]), np.array([[1.0]]))
    # small molecule: 1, then 1 - 0.6 x 0.5 = 0.7, then 1 - 0.9 x 0.8 = 0.28 (holds)
    np.testing.assert_allclose(factor[0, 0, :, 0], [1.0, 0.7, 0.28, 0.28, 0.28])
    # antibody: 1 - 0.3 x 0.2 = 0.94, then 1 - 0.5 x 0.4 = 0.8
    np.testing.assert_allclose(factor[0, 0, :, 1], [1.0, 0.94, 0.8, 0.8, 0.8])
    np.testing.assert_allclose(factor[0, 0, :, 2], 1.0)  # LOE beyond the horizon


def test_loe_country_scale_slows_generic_uptake_and_caps_it_at_one():
    years = np.array([2031.0])
    share, discount = np.array([[[0.8]]]), np.array([[[0.5]]])
    loe_year = np.array([[[2031.0], [2031.0]]])  # two countries
    factor = loe_factor(years, loe_year, share, discount, np.array([0]), np.array([[0.5, 2.0]]))
    np.testing.assert_allclose(factor[0, :, 0, 0], [1 - 0.4 * 0.5, 1 - 1.0 * 0.5])


shares = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(
    base=st.lists(shares, min_size=2, max_size=2),
    peaks=st.lists(shares, min_size=2, max_size=2),
    uptake=st.lists(shares, min_size=4, max_size=4),
    success=st.lists(st.sampled_from([0.0, 1.0]), min_size=2, max_size=2),
)
def test_group_patients_are_conserved(base, peaks, uptake, success):
    """Established shares <= 1 and launching peaks <= 1: the group never over-allocates,
    and entrants only take patients from the established therapies of their group."""
    base = np.array(base) / max(1.0, sum(base))
    peaks = np.array(peaks) / max(1.0, sum(peaks))
    pairs = PairIndex(
        segment=np.zeros(4, dtype=np.int64),
        therapy=np.arange(4),
        launching=np.array([False, False, True, True]),
        untreated=np.zeros(4, dtype=bool),
        block=np.zeros(4, dtype=np.int64),
        n_blocks=1,
        n_therapies=4,
    )
    share = np.concatenate([base, peaks])[None, None, :]
    up = np.array(uptake)[None, None, None, :]
    succ = np.array([1.0, 1.0, *success])[None, :]
    within = within_group_share(share, up, succ, pairs)[0, 0, 0]
    launched = within[2:].sum()
    assert within.min() >= 0
    assert within.sum() <= 1.0 + 1e-12
    # remainder (unnamed agents) plus named therapies = the whole group
    remainder = (1.0 - base.sum()) * (1.0 - launched)
    assert within.sum() + remainder == pytest.approx(1.0)
    np.testing.assert_allclose(within[:2], base * (1.0 - launched))


def test_market_model_revenue_identity():
    pairs = PairIndex(
        segment=np.array([0, 1]),
        therapy=np.array([0, 0]),
        launching=np.array([False, False]),
        untreated=np.array([False, False]),
        block=np.array([0, 1]),
        n_blocks=2,
        n_therapies=1,
    )
    treated = np.array([[[[10.0, 20.0]]]])  # [draw, country, year, segment]
    inputs = MarketInputs(
        treated=treated,
        untreated=np.zeros_like(treated),
        group_share=np.array([[[0.5, 0.25]]]),
        share=np.array([[[1.0, 1.0]]]),
        uptake=np.zeros((1, 1, 1, 1)),
        success=np.ones((1, 1)),
        months=np.array([[2.0, 4.0]]),
        unit_value=np.array([[[100.0]]]),
        price_factor=np.ones((1, 1, 1, 1)),
        pairs=pairs,
    )
    out = market_model(inputs)
    assert out.patients[0, 0, 0, 0] == pytest.approx(10 * 0.5 + 20 * 0.25)
    assert out.revenue[0, 0, 0, 0] == pytest.approx((5 * 2 + 5 * 4) * 100)


def reference_market(inputs: MarketInputs) -> MarketOutputs:
    """The rule written plainly on every pair (slow): the fast core must agree."""
    pairs = inputs.pairs
    population = np.where(
        pairs.untreated, inputs.untreated[..., pairs.segment], inputs.treated[..., pairs.segment]
    )
    within = within_group_share(inputs.share, inputs.uptake, inputs.success, pairs)
    patients = population * inputs.group_share[:, :, None, :] * within
    months = patients * inputs.months[:, None, None, :]
    n = pairs.n_therapies
    per_therapy = np.zeros((*patients.shape[:-1], n))
    per_months = np.zeros((*patients.shape[:-1], n))
    for p, i in enumerate(pairs.therapy):
        per_therapy[..., i] += patients[..., p]
        per_months[..., i] += months[..., p]
    revenue = per_months * inputs.unit_value[:, :, None, :] * inputs.price_factor
    return MarketOutputs(per_therapy, revenue)


def test_fast_core_matches_the_plain_rule():
    lm = load_indication("lm")
    from leptomarket.engine.market_inputs import build_pairs

    pairs = build_pairs(lm)
    rng = np.random.default_rng(3)
    d, c, y, s, n = 4, 8, 16, 12, pairs.n_therapies
    p = len(pairs.segment)
    inputs = MarketInputs(
        treated=rng.uniform(0, 100, (d, c, y, s)),
        untreated=rng.uniform(0, 20, (d, c, y, s)),
        group_share=rng.uniform(0, 1, (d, c, p)),
        share=rng.uniform(0, 0.2, (d, c, p)),
        uptake=rng.uniform(0, 1, (d, c, y, p)),
        success=rng.integers(0, 2, (d, n)).astype(float),
        months=rng.uniform(1, 6, (d, p)),
        unit_value=rng.uniform(100, 1000, (d, c, n)),
        price_factor=rng.uniform(0.4, 1, (d, c, y, n)),
        pairs=pairs,
    )
    fast, plain = market_model(inputs), reference_market(inputs)
    np.testing.assert_allclose(fast.patients, plain.patients, rtol=1e-10)
    np.testing.assert_allclose(fast.revenue, plain.revenue, rtol=1e-10)


def test_analog_uptake_with_a_curve_per_draw():
    years = np.array([2020.0, 2021.0, 2022.0])
    analog = np.array([[0.11, 0.31, 0.58, 0.76, 0.89, 1.0], [0.5, 1.0, 1.0, 1.0, 1.0, 1.0]])
    launch = np.full((2, 1, 1), 2020.0)
    uptake = analog_uptake(years, launch, np.full((2, 1), 6.0), analog)
    np.testing.assert_allclose(uptake[0, 0, :, 0], [0.11, 0.31, 0.58])
    np.testing.assert_allclose(uptake[1, 0, :, 0], [0.5, 1.0, 1.0])
    # half-way between ages: a 12-year time to peak reaches age 0.5 in the launch year
    slow = analog_uptake(years, launch, np.full((2, 1), 12.0), analog)
    np.testing.assert_allclose(slow[:, 0, 0, 0], [0.055, 0.25])
