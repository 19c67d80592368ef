"""Method-of-moments fits, marginals built from value/low/high, and tabulated quantiles."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from leptomarket.errors import InputError
from leptomarket.sampling.distributions import (
    Marginal,
    QuantileMap,
    beta_from_mean_interval,
    beta_from_mean_sd,
    build_marginal,
    gamma_from_mean_interval,
    gamma_from_mean_sd,
    marginal_or_input_error,
    pert_shape,
    z_of,
)

Z95 = 1.959963984540054


def test_z_of_central_intervals():
    assert z_of(0.95) == pytest.approx(Z95, rel=1e-12)
    assert z_of(0.90) == pytest.approx(1.6448536269514722, rel=1e-12)
    assert z_of(0.50) == pytest.approx(0.6744897501960817, rel=1e-12)


@pytest.mark.parametrize(("mean", "sd"), [(0.5, 0.05), (0.02, 0.005), (0.9, 0.0255), (0.3, 0.4)])
def test_beta_method_of_moments_recovers_mean_and_sd(mean, sd):
    a, b = beta_from_mean_sd(mean, sd)
    assert a / (a + b) == pytest.approx(mean, rel=1e-12)
    assert math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1))) == pytest.approx(sd, rel=1e-12)
    frozen = stats.beta(a, b)
    assert frozen.mean() == pytest.approx(mean, rel=1e-10)
    assert frozen.std() == pytest.approx(sd, rel=1e-10)


def test_beta_mean_one_half_sd_point_one_has_shapes_twelve():
    # var = 0.01, mean*(1-mean) = 0.25 -> common = 24, a = b = 12.
    assert beta_from_mean_sd(0.5, 0.1) == pytest.approx((12.0, 12.0), rel=1e-12)


@pytest.mark.parametrize(
    ("mean", "sd", "match"),
    [
        (0.5, 0.5, "too wide"),
        (0.1, 0.31, "too wide"),
        (0.0, 0.1, r"\(0, 1\)"),
        (1.2, 0.1, r"\(0, 1\)"),
    ],
)
def test_beta_rejects_impossible_moments(mean, sd, match):
    with pytest.raises(ValueError, match=match):
        beta_from_mean_sd(mean, sd)


@pytest.mark.parametrize(("mean", "sd"), [(1000.0, 51.0), (0.1, 0.2), (3.0, 0.01)])
def test_gamma_method_of_moments_recovers_mean_and_sd(mean, sd):
    shape, scale = gamma_from_mean_sd(mean, sd)
    assert shape * scale == pytest.approx(mean, rel=1e-12)
    assert math.sqrt(shape) * scale == pytest.approx(sd, rel=1e-12)
    frozen = stats.gamma(shape, scale=scale)
    assert frozen.mean() == pytest.approx(mean, rel=1e-10)
    assert frozen.std() == pytest.approx(sd, rel=1e-10)


@pytest.mark.parametrize(("mean", "sd"), [(0.0, 1.0), (-1.0, 1.0), (1.0, 0.0)])
def test_gamma_rejects_non_positive_moments(mean, sd):
    with pytest.raises(ValueError, match="gamma needs"):
        gamma_from_mean_sd(mean, sd)


def test_from_mean_interval_reads_the_interval_as_mean_plus_minus_z_sd():
    sd = (0.12 - 0.08) / (2 * Z95)  # = 0.0102042
    a, b = beta_from_mean_interval(0.1, 0.08, 0.12)
    assert stats.beta(a, b).mean() == pytest.approx(0.1, rel=1e-10)
    assert stats.beta(a, b).std() == pytest.approx(sd, rel=1e-10)

    shape, scale = gamma_from_mean_interval(1000, 900, 1100, interval=0.9)
    sd90 = 200 / (2 * 1.6448536269514722)
    assert shape * scale == pytest.approx(1000, rel=1e-12)
    assert math.sqrt(shape) * scale == pytest.approx(sd90, rel=1e-10)


def test_pert_shapes_and_mean():
    assert pert_shape(0.0, 0.25, 1.0) == pytest.approx((2.0, 4.0))
    marginal = build_marginal("pert", 0.3, 0.1, 0.9)
    # Beta-PERT mean = (low + 4 mode + high) / 6 = (0.1 + 1.2 + 0.9) / 6
    assert marginal.frozen().mean() == pytest.approx(2.2 / 6, rel=1e-12)


SD_01 = 0.02 / Z95  # sd of a 0.95 interval of width 0.04


@pytest.mark.parametrize(
    ("family", "value", "low", "high", "mean", "sd"),
    [
        ("beta", 0.1, 0.08, 0.12, 0.1, SD_01),
        ("gamma", 1000, 900, 1100, 1000, 100 / Z95),
        ("normal", 0.0, -0.01, 0.01, 0.0, 0.01 / Z95),
        ("uniform", 0.5, 0.2, 0.8, 0.5, 0.6 / math.sqrt(12)),
        # triangular(0, 0.5, 1): mean 0.5, var = (0 + 0.25 + 1 - 0 - 0 - 0.5) / 18
        ("triangular", 0.5, 0.0, 1.0, 0.5, math.sqrt(0.75 / 18)),
    ],
)
def test_marginal_moments_match_the_stated_reading(family, value, low, high, mean, sd):
    frozen = build_marginal(family, value, low, high).frozen()
    assert frozen.mean() == pytest.approx(mean, abs=1e-12, rel=1e-10)
    assert frozen.std() == pytest.approx(sd, rel=1e-10)


def test_lognormal_value_is_the_median_and_range_the_interval():
    marginal = build_marginal("lognormal", 1000, 900, 1100)
    frozen = marginal.frozen()
    assert frozen.median() == pytest.approx(1000, rel=1e-12)
    sigma = (math.log(1100) - math.log(900)) / (2 * Z95)
    assert marginal.params == pytest.approx((math.log(1000), sigma), rel=1e-12)


@pytest.mark.parametrize(
    ("family", "low", "high"), [("beta", None, None), ("gamma", 0.5, 0.5), ("fixed", 0.1, 0.9)]
)
def test_missing_or_zero_width_range_is_fixed(family, low, high):
    marginal = build_marginal(family, 0.5, low, high)
    assert marginal.family == "fixed"
    assert marginal.frozen() is None
    u = np.array([[1e-9], [0.5], [1 - 1e-9]])
    assert QuantileMap([marginal]).map(u).ravel().tolist() == [0.5, 0.5, 0.5]


@pytest.mark.parametrize(
    ("family", "value", "low", "high", "match"),
    [
        ("normal", 0.5, 0.6, 0.9, "outside"),
        ("fixed", 0.5, 0.6, 0.9, "outside"),
        ("beta", 0.5, -0.1, 0.9, "0 <= low"),
        ("gamma", 0.5, -0.1, 0.9, "low >= 0"),
        ("lognormal", 0.5, 0.0, 0.9, "low > 0"),
        ("weibull", 0.5, 0.1, 0.9, "unknown distribution"),
    ],
)
def test_inconsistent_ranges_are_rejected(family, value, low, high, match):
    with pytest.raises(ValueError, match=match):
        build_marginal(family, value, low, high)


@pytest.mark.parametrize(("low", "high"), [(0.8, 1.05), (-0.1, 1.1)])
def test_beta_range_beyond_the_unit_interval_is_rejected(low, high):
    """A beta lives on [0, 1]; a range reaching past 1 cannot be fitted to it.

    ``build_marginal`` tests ``not low >= 0.0 and high <= 1.0``, which parses as
    ``(not low >= 0) and (high <= 1)``, so any range with high > 1 slips through.
    """
    value = 0.9 if high < 1.1 else 0.5
    with pytest.raises(ValueError, match="beta needs 0 <= low and high <= 1"):
        build_marginal("beta", value, low, high)


def test_marginal_or_input_error_names_file_and_key():
    with pytest.raises(InputError) as info:
        marginal_or_input_error("beta", 0.05, 0.0, 0.9, 0.95, "p.yaml", "values[3]")
    assert str(info.value).startswith("file p.yaml, field 'values[3]': beta distribution:")
    assert "too wide" in str(info.value)


MOMENT_CASES = [
    ("beta", 0.1, 0.08, 0.12),
    ("beta", 0.3, 0.05, 0.6),
    ("gamma", 1000, 900, 1100),
    ("gamma", 0.5, 0.1, 1.5),
    ("lognormal", 1000, 900, 1100),
    ("lognormal", 2.0, 1.0, 5.0),
    ("normal", 0.0, -0.01, 0.01),
    ("pert", 0.0, 0.0, 0.02),
    ("pert", 0.3, 0.1, 0.9),
    ("triangular", 0.2, 0.0, 1.0),
    ("uniform", 0.5, 0.2, 0.8),
]


def test_quantile_map_reproduces_scipy_moments_on_200k_draws():
    """Mean within 5 standard errors (sd / sqrt(n)) and variance within 3 % (n = 200 000)."""
    n = 200_000
    marginals = [build_marginal(*case) for case in MOMENT_CASES]
    u = np.random.default_rng(20260101).random((n, len(marginals)))
    values = QuantileMap(marginals).map(u)
    for j, (case, marginal) in enumerate(zip(MOMENT_CASES, marginals, strict=True)):
        frozen = marginal.frozen()
        column = values[:, j]
        tolerance = 5 * frozen.std() / math.sqrt(n)
        assert abs(column.mean() - frozen.mean()) < tolerance, case
        assert column.var() == pytest.approx(frozen.var(), rel=0.03), case
        assert np.all(np.isfinite(column)), case


@pytest.mark.parametrize(
    "case",
    [
        ("beta", 0.5, 0.4, 0.6),  # template sensitivities: a = b = 47.5
        ("beta", 0.02, 0.01, 0.03),  # a = 15, b = 737
        ("beta", 0.9, 0.85, 0.95),
        ("gamma", 1000, 900, 1100),  # shape 384
        ("pert", 0.3, 0.1, 0.9),  # Beta(2, 4)
    ],
)
def test_tabulated_quantiles_match_scipy_ppf_in_the_bulk(case):
    """Interpolated beta/gamma/PERT quantiles: max relative error < 1e-6 on [1e-4, 1 - 1e-4]."""
    u = np.linspace(1e-4, 1 - 1e-4, 20_001)
    marginal = build_marginal(*case)
    mapped = QuantileMap([marginal]).map(u[:, None])[:, 0]
    exact = marginal.frozen().ppf(u)
    assert np.max(np.abs(mapped - exact) / np.abs(exact)) < 1e-6


@pytest.mark.parametrize(
    "case",
    [
        ("beta", 0.05, 0.0, 0.2),  # Beta(0.86, 16.4)
        ("gamma", 0.1, 0.0, 0.3),  # shape 1.7
        ("gamma", 0.01, 0.0, 0.05),  # shape 0.61
        ("pert", 0.0, 0.0, 0.02),  # Beta(1, 5)
    ],
)
def test_tabulated_quantiles_with_shape_below_two_stay_within_1e_4(case):
    """Shapes < 2 curve sharply near 0 in normal-score space; linear interpolation is
    then only good to ~1e-5 relative (measured 1.1e-5 for Beta(0.86, 16.4), 2.1e-6
    for Gamma(1.7), 2.1e-5 for Gamma(0.61)), not the ~1e-7 the module docstring states."""
    u = np.linspace(1e-4, 1 - 1e-4, 20_001)
    marginal = build_marginal(*case)
    mapped = QuantileMap([marginal]).map(u[:, None])[:, 0]
    exact = marginal.frozen().ppf(u)
    assert np.max(np.abs(mapped - exact) / np.abs(exact)) < 1e-4


def test_quantile_map_clips_the_unit_interval_so_tails_stay_finite():
    marginals = [build_marginal(f, v, lo, hi) for f, v, lo, hi in MOMENT_CASES]
    u = np.tile(np.array([[0.0], [1.0]]), (1, len(marginals)))
    values = QuantileMap(marginals).map(u)
    assert np.all(np.isfinite(values))
    assert np.all(values[0] < values[1])


def test_quantile_map_points_are_the_values():
    marginals = [build_marginal(*case) for case in MOMENT_CASES]
    expected = [case[1] for case in MOMENT_CASES]
    assert QuantileMap(marginals).points().tolist() == expected


def test_frozen_of_fixed_marginal_is_none():
    assert Marginal("fixed", 2.0, (2.0,)).frozen() is None
