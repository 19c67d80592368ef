"""Distributions of uncertain inputs, built from a point value and a low/high range.

How ``value``, ``low`` and ``high`` are read, by distribution:

=============  ==============================================================
beta           mean = value; sd = (high - low) / (2 z); method of moments.
gamma          mean = value; sd = (high - low) / (2 z); method of moments.
lognormal      median = value; sigma = (ln high - ln low) / (2 z).
normal         mean = value; sd = (high - low) / (2 z).
pert           min = low, mode = value, max = high (Beta-PERT, lambda = 4).
triangular     min = low, mode = value, max = high.
uniform        min = low, max = high (value is the point estimate).
fixed          always value.
=============  ==============================================================

``z`` is the standard-normal quantile of the parameter's ``interval``
(1.96 for the default 0.95), i.e. low/high are read as a central interval.
Method-of-moments fits follow Briggs, Claxton & Sculpher, *Decision Modelling
for Health Economic Evaluation* (OUP 2006), ch. 4, as used by ISPOR-SMDM
Task Force 6 (Briggs et al., Med Decis Making 32(5):722-732, 2012).

Inverse CDFs map unit-hypercube draws to values. Beta and gamma quantiles are
tabulated once per input on a grid in normal-score space and interpolated
(relative error below 1e-6 for shape parameters of 2 or more, below 1e-4 for
smaller shapes; see tests), because exact inversion costs ~1 µs per number and
a 100k-draw run needs tens of millions of them. Tables are built once per shape
and cached in memory and on disk (``sampling.quantile_cache``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from leptomarket.errors import InputError
from leptomarket.sampling.quantile_cache import cached_table

#: Normal scores at which beta/gamma quantile functions are tabulated.
_Z_GRID = np.linspace(-8.5, 8.5, 8193)
_U_GRID = special.ndtr(_Z_GRID)
#: Draws are kept strictly inside (0, 1) so unbounded quantiles stay finite.
_U_EPS = 1e-12


def z_of(interval: float) -> float:
    """Standard-normal quantile bounding a central ``interval`` (0.95 -> 1.96)."""
    return float(special.ndtri(0.5 + interval / 2.0))


def beta_from_mean_sd(mean: float, sd: float) -> tuple[float, float]:
    """Beta shape parameters (alpha, beta) with the given mean and sd (method of moments).

    Raises ValueError if the variance is not below mean * (1 - mean).
    """
    variance = sd**2
    if not 0.0 < mean < 1.0:
        raise ValueError(f"beta mean must lie in (0, 1), got {mean}")
    limit = mean * (1.0 - mean)
    if not 0.0 < variance < limit:
        raise ValueError(
            f"beta needs 0 < variance < mean*(1-mean) = {limit:.4g}; got sd {sd:.4g} "
            "(the low-high range is too wide for a beta with this mean)"
        )
    common = limit / variance - 1.0
    return mean * common, (1.0 - mean) * common


def gamma_from_mean_sd(mean: float, sd: float) -> tuple[float, float]:
    """Gamma (shape, scale) with the given mean and sd (method of moments)."""
    if mean <= 0 or sd <= 0:
        raise ValueError(f"gamma needs mean > 0 and sd > 0, got mean {mean}, sd {sd}")
    shape = (mean / sd) ** 2
    return shape, sd**2 / mean


def beta_from_mean_interval(
    mean: float, low: float, high: float, interval: float = 0.95
) -> tuple[float, float]:
    """Beta (alpha, beta) from a published mean and interval (sd = width / 2z)."""
    return beta_from_mean_sd(mean, (high - low) / (2.0 * z_of(interval)))


def gamma_from_mean_interval(
    mean: float, low: float, high: float, interval: float = 0.95
) -> tuple[float, float]:
    """Gamma (shape, scale) from a published mean and interval (sd = width / 2z)."""
    return gamma_from_mean_sd(mean, (high - low) / (2.0 * z_of(interval)))


def pert_shape(low: float, mode: float, high: float, lam: float = 4.0) -> tuple[float, float]:
    """Beta shapes of a Beta-PERT on [low, high] with the given mode (Vose 2008)."""
    width = high - low
    return 1.0 + lam * (mode - low) / width, 1.0 + lam * (high - mode) / width


@dataclass(frozen=True)
class Marginal:
    """One uncertain input: a point value and a quantile function on (0, 1)."""

    family: str
    value: float
    params: tuple[float, ...]

    def frozen(self) -> stats.rv_continuous | None:
        """The equivalent scipy distribution (None for ``fixed``); used to check moments."""
        p = self.params
        match self.family:
            case "beta":
                return stats.beta(p[0], p[1])
            case "gamma":
                return stats.gamma(p[0], scale=p[1])
            case "lognormal":
                return stats.lognorm(p[1], scale=np.exp(p[0]))
            case "normal":
                return stats.norm(p[0], p[1])
            case "pert":
                return stats.beta(p[0], p[1], loc=p[2], scale=p[3])
            case "triangular":
                return stats.triang(p[0], loc=p[1], scale=p[2])
            case "uniform":
                return stats.uniform(p[0], p[1])
        return None


def build_marginal(
    family: str, value: float, low: float | None, high: float | None, interval: float = 0.95
) -> Marginal:
    """Fit a distribution of ``family`` to a point value and a low/high range.

    A range of zero width (or a missing one) gives a fixed input.

    Raises
    ------
    ValueError
        If the range is inconsistent with the family (the caller adds file/key).
    """
    if family == "fixed" or low is None or high is None or high == low:
        if low is not None and high is not None and not low <= value <= high:
            raise ValueError(f"value {value} lies outside [low {low}, high {high}]")
        return Marginal("fixed", value, (value,))
    if not low <= value <= high:
        raise ValueError(f"value {value} lies outside [low {low}, high {high}]")
    z = z_of(interval)
    match family:
        case "beta":
            if low < 0.0 or high > 1.0:
                raise ValueError(f"beta needs 0 <= low and high <= 1, got [{low}, {high}]")
            a, b = beta_from_mean_sd(value, (high - low) / (2.0 * z))
            return Marginal("beta", value, (a, b))
        case "gamma":
            if low < 0:
                raise ValueError(f"gamma needs low >= 0, got {low}")
            shape, scale = gamma_from_mean_sd(value, (high - low) / (2.0 * z))
            return Marginal("gamma", value, (shape, scale))
        case "lognormal":
            if low <= 0:
                raise ValueError(f"lognormal needs low > 0, got {low}")
            sigma = (np.log(high) - np.log(low)) / (2.0 * z)
            return Marginal("lognormal", value, (float(np.log(value)), float(sigma)))
        case "normal":
            return Marginal("normal", value, (value, (high - low) / (2.0 * z)))
        case "pert":
            a, b = pert_shape(low, value, high)
            return Marginal("pert", value, (a, b, low, high - low))
        case "triangular":
            return Marginal("triangular", value, ((value - low) / (high - low), low, high - low))
        case "uniform":
            return Marginal("uniform", value, (low, high - low))
    raise ValueError(f"unknown distribution '{family}'")


_BETA_GAMMA = ("beta", "gamma", "pert")


def _exact_ppf(marginal: Marginal, u: np.ndarray) -> np.ndarray:
    p = marginal.params
    if marginal.family == "gamma":
        return special.gammaincinv(p[0], u) * p[1]
    return special.betaincinv(p[0], p[1], u)


def _tabulated_ppf(ppf_on_grid: np.ndarray, u: np.ndarray) -> np.ndarray:
    z = special.ndtri(u)
    return np.interp(z, _Z_GRID, ppf_on_grid)


def _tabulate(marginal: Marginal) -> np.ndarray:
    """Quantile table of a beta, PERT or gamma input; unit-scale tables are cached by shape."""
    p = marginal.params
    if marginal.family == "gamma":
        unit = cached_table("gamma", (p[0],), _U_GRID, lambda: special.gammaincinv(p[0], _U_GRID))
        return unit * p[1]
    return cached_table(
        "beta", (p[0], p[1]), _U_GRID, lambda: special.betaincinv(p[0], p[1], _U_GRID)
    )


class QuantileMap:
    """Vectorised inverse CDFs for a list of marginals (one per column of draws).

    ``map(u)`` turns an array ``u`` of shape (n_draws, n_inputs) in (0, 1)
    into input values of the same shape.
    """

    def __init__(self, marginals: list[Marginal], n_draws: int | None = None) -> None:
        self.marginals = marginals
        # Tabulating costs a grid's worth of exact inversions per input: worth it
        # only when there are more draws than grid points.
        self.tabulate = n_draws is None or n_draws > len(_U_GRID)
        self._tables = (
            {i: _tabulate(m) for i, m in enumerate(marginals) if m.family in _BETA_GAMMA}
            if self.tabulate
            else {}
        )

    def map(self, u: np.ndarray) -> np.ndarray:
        u = np.clip(u, _U_EPS, 1.0 - _U_EPS)
        out = np.empty_like(u, dtype=float)
        for i, m in enumerate(self.marginals):
            column = u[:, i]
            p = m.params
            match m.family:
                case "fixed":
                    out[:, i] = m.value
                case "beta" | "gamma":
                    out[:, i] = self._unit_ppf(i, column)
                case "pert":
                    out[:, i] = p[2] + p[3] * self._unit_ppf(i, column)
                case "lognormal":
                    out[:, i] = np.exp(p[0] + p[1] * special.ndtri(column))
                case "normal":
                    out[:, i] = p[0] + p[1] * special.ndtri(column)
                case "triangular":
                    c, loc, scale = p
                    left = column < c
                    x = np.where(
                        left, np.sqrt(column * c), 1.0 - np.sqrt((1.0 - column) * (1.0 - c))
                    )
                    out[:, i] = loc + scale * x
                case "uniform":
                    out[:, i] = p[0] + p[1] * column
        return out

    def _unit_ppf(self, i: int, u: np.ndarray) -> np.ndarray:
        if self.tabulate:
            return _tabulated_ppf(self._tables[i], u)
        return _exact_ppf(self.marginals[i], u)

    def points(self) -> np.ndarray:
        """Point values, shape (n_inputs,)."""
        return np.array([m.value for m in self.marginals], dtype=float)


def marginal_or_input_error(
    family: str,
    value: float,
    low: float | None,
    high: float | None,
    interval: float,
    file: str,
    key: str,
) -> Marginal:
    """``build_marginal`` with errors that name the file and key."""
    try:
        return build_marginal(family, value, low, high, interval)
    except ValueError as exc:
        raise InputError(file, key, f"{family} distribution: {exc}") from exc
