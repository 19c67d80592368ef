"""Risk-adjusted net present value (rNPV) of a development asset, pure functions.

An asset has remaining development stages ``k = 0 .. K-1`` (e.g. Phase 2,
Phase 3, regulatory review), each with a cost ``C_k`` paid at its start
year ``t_k`` and a probability ``q_k`` of passing to the next stage. If it
passes every stage it launches and earns the net cash flows ``CF_t`` of
the forecast. With discount factor ``d(t) = (1 + r) ** -(t - t0)``:

    rNPV = sum_t  P(launch) CF_t d(t)  -  sum_k  P(reach k) C_k d(t_k)
    P(reach k) = q_0 ... q_{k-1},   P(launch) = q_0 ... q_{K-1}

(Stewart, Allison & Johnson, Nat Biotechnol 19:813, 2001; the form given in
``shared/reference/forecasting-methods.md``). In a Monte Carlo each draw
either launches or fails at one stage, so the draws give the NPV's whole
distribution and their mean is the rNPV.

Units: money in USD, times in calendar years, rates per year.
"""

from __future__ import annotations

import numpy as np


def discount_factors(years: np.ndarray, valuation_year: int, rate: np.ndarray) -> np.ndarray:
    """``(1 + rate) ** -(year - valuation_year)``; ``rate`` [draw] gives [draw, year]."""
    rate = np.asarray(rate, dtype=float)
    exponent = np.asarray(years, dtype=float) - valuation_year
    return (1.0 + rate[..., None]) ** -exponent


def stage_success(total_success: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Per-stage pass probabilities whose product is the asset's ``total_success``.

    The reference transition rates (e.g. oncology phase transitions) give the
    shape: ``q_k = reference_k ** (ln total / ln prod(reference))``, so each
    stage keeps its share of the total log-risk. ``total_success`` [draw] and
    ``reference`` [stage] give [draw, stage]; a total of 1 gives all ones.
    """
    total = np.clip(np.asarray(total_success, dtype=float), 1e-12, 1.0)
    reference = np.asarray(reference, dtype=float)
    log_reference = np.log(reference).sum()
    if log_reference == 0.0:
        return np.broadcast_to(
            total[..., None] ** (1.0 / len(reference)), (*total.shape, len(reference))
        ).copy()
    power = np.log(total) / log_reference
    return reference ** power[..., None]


def reach_probabilities(stage_pass: np.ndarray) -> np.ndarray:
    """P(reach stage k) = product of the earlier stages' pass probabilities, [..., stage]."""
    ones = np.ones((*stage_pass.shape[:-1], 1))
    return np.cumprod(np.concatenate([ones, stage_pass[..., :-1]], axis=-1), axis=-1)


def stage_start_years(valuation_year: int, durations: np.ndarray) -> np.ndarray:
    """Start year of each remaining stage, run back to back from ``valuation_year``.

    ``durations`` [..., stage] in years; returns the same shape.
    """
    durations = np.asarray(durations, dtype=float)
    return valuation_year + np.cumsum(durations, axis=-1) - durations


def operating_cash_flow(
    revenue: np.ndarray, cogs_share: np.ndarray, sga_share: np.ndarray, tax_rate: np.ndarray
) -> np.ndarray:
    """Net cash flow of revenue [draw, year]: revenue x (1 - COGS - SG&A), less tax on profit.

    Tax applies to positive operating profit only (losses carry no credit here).
    """
    margin = 1.0 - np.asarray(cogs_share)[..., None] - np.asarray(sga_share)[..., None]
    profit = revenue * margin
    return profit - np.clip(profit, 0.0, None) * np.asarray(tax_rate)[..., None]


def risk_adjusted_npv(
    cash_flow_if_launched: np.ndarray,
    years: np.ndarray,
    stage_costs: np.ndarray,
    stage_years: np.ndarray,
    stage_pass: np.ndarray,
    discount_rate: float,
    valuation_year: int,
) -> float:
    """rNPV (USD) of one asset at given values: the closed form in the module docstring."""
    rate = np.asarray(discount_rate, dtype=float)
    launch = float(np.prod(stage_pass))
    revenue_value = float(
        (cash_flow_if_launched * discount_factors(years, valuation_year, rate)).sum()
    )
    reach = reach_probabilities(np.asarray(stage_pass, dtype=float)[None, :])[0]
    cost_value = float(
        (reach * stage_costs * discount_factors(stage_years, valuation_year, rate)).sum()
    )
    return launch * revenue_value - cost_value


def npv_draws(
    cash_flow: np.ndarray,
    years: np.ndarray,
    launched: np.ndarray,
    failed_stage: np.ndarray,
    stage_costs: np.ndarray,
    stage_years: np.ndarray,
    discount_rate: np.ndarray,
    valuation_year: int,
) -> np.ndarray:
    """NPV (USD) of each draw.

    ``cash_flow`` [draw, year] is the asset's net cash flow when launched;
    ``launched`` [draw] bool; ``failed_stage`` [draw] is the stage at which a
    failed draw stops (ignored where launched). A draw pays the costs of every
    stage it starts: all stages when launched, stages ``0..failed_stage``
    otherwise. ``stage_costs`` and ``stage_years`` are [draw, stage].
    """
    launched = np.asarray(launched, dtype=bool)
    n_stages = stage_costs.shape[-1]
    last_stage = np.where(launched, n_stages - 1, failed_stage)
    started = np.arange(n_stages)[None, :] <= last_stage[:, None]
    rate = np.asarray(discount_rate, dtype=float)
    revenue_value = (cash_flow * discount_factors(years, valuation_year, rate)).sum(axis=1)
    stage_discount = (1.0 + rate[:, None]) ** -(stage_years - valuation_year)
    cost_value = (started * stage_costs * stage_discount).sum(axis=1)
    return np.where(launched, revenue_value, 0.0) - cost_value


def failure_stages(stage_pass: np.ndarray, unit: np.ndarray) -> np.ndarray:
    """Stage at which a draw fails, given that it fails, from uniforms ``unit`` [draw].

    P(fail at k | failure) = P(reach k) (1 - q_k) / (1 - P(launch)). ``stage_pass``
    is [draw, stage]. Draws with P(launch) = 1 return the last stage.
    """
    reach = reach_probabilities(stage_pass)
    fail = reach * (1.0 - stage_pass)
    total = fail.sum(axis=1, keepdims=True)
    cumulative = np.cumsum(np.divide(fail, total, out=np.zeros_like(fail), where=total > 0), axis=1)
    stage = (unit[:, None] > cumulative).sum(axis=1)
    return np.minimum(stage, stage_pass.shape[1] - 1)
