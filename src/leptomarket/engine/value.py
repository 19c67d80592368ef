"""Risk-adjusted NPV of each pipeline asset and each company's LM portfolio, from forecast draws.

Per kept forecast draw: the asset launched or not (the forecast's own chance
event); its revenue (USD/year, countries summed) from the forecast from the
valuation year on; net cash flow = revenue x (1 - COGS - SG&A) less tax;
remaining stages run back to back from the valuation year, each paying its
trial cost at its start; a failed draw stops at a stage drawn in proportion
to where oncology programmes fail (BIO 2016 transition rates scaled to the
asset's own probability of success). See :mod:`leptomarket.core.value`.

Revenue after the model horizon (and any terminal value) is not counted, so
NPVs of late launches are conservative.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from leptomarket.core.value import (
    failure_stages,
    npv_draws,
    operating_cash_flow,
    risk_adjusted_npv,
    stage_start_years,
    stage_success,
)
from leptomarket.engine.decision_inputs import (
    DecisionDraws,
    country_indices,
    decision_draws,
    launch_outcomes,
)
from leptomarket.engine.forecast import ForecastResult
from leptomarket.engine.market_inputs import pipeline_therapies, therapy_attribute
from leptomarket.errors import InputError

LOW, HIGH = 0.05, 0.95


def _valuation_year(result: ForecastResult) -> int:
    k = result.knowledge
    return int(k.indication.forecast_start or k.years[0])


def asset_npv_draws(
    result: ForecastResult, decisions: DecisionDraws, region: str = "8MM"
) -> dict[str, np.ndarray]:
    """NPV (USD) per kept draw for every pipeline asset, keyed by therapy label."""
    k = result.knowledge
    therapies = k.labels("therapy")
    assets = pipeline_therapies(k)
    launched, probability = launch_outcomes(result)
    years = k.years
    valuation = _valuation_year(result)
    future = years >= valuation
    countries = country_indices(k, region)
    revenue_cube = result.kept.cubes["revenue"]
    reference = decisions["phase_transition"][0]
    phase_labels = k.labels("dev_phase")
    n = result.kept.rows
    rng = np.random.default_rng(result.settings.seed + 104729)
    out: dict[str, np.ndarray] = {}
    for a, asset in enumerate(assets):
        t = therapies.index(asset)
        current = round(float(decisions["current_phase"][0, t]))
        remaining = list(range(max(current, 1) - 1, len(phase_labels)))
        revenue = revenue_cube[:, countries][:, :, future, t].sum(axis=1).astype(float)
        cash = operating_cash_flow(
            revenue, decisions["cogs_share"], decisions["sga_share"], decisions["tax_rate"]
        )
        stage_pass = stage_success(probability[:, a], reference[remaining])
        durations = decisions["phase_duration"][:, remaining]
        starts = stage_start_years(valuation, durations)
        costs = decisions["phase_cost"][:, remaining]
        if result.settings.sampling_method == "point":
            out[asset] = np.array(
                [
                    risk_adjusted_npv(
                        cash[0] / max(probability[0, a], 1e-12),
                        years[future],
                        costs[0],
                        starts[0],
                        stage_pass[0],
                        float(decisions["discount_rate"][0]),
                        valuation,
                    )
                ]
            )
            continue
        failed = failure_stages(stage_pass, rng.random(n))
        out[asset] = npv_draws(
            cash,
            years[future],
            launched[:, a] > 0.5,
            failed,
            costs,
            starts,
            decisions["discount_rate"],
            valuation,
        )
    return out


def npv_summary(
    draws_by_name: dict[str, np.ndarray], kind: str, names: dict[str, str]
) -> pd.DataFrame:
    """Expected NPV, its 5/50/95th percentiles and P(NPV > 0) per asset or company (USD)."""
    rows = []
    for key, draws in draws_by_name.items():
        p05, p50, p95 = np.quantile(draws, (0.05, 0.5, 0.95))
        rows.append(
            {
                kind: names.get(key, key),
                "expected_npv_usd": float(draws.mean()),
                "p05_usd": float(p05),
                "p50_usd": float(p50),
                "p95_usd": float(p95),
                "probability_npv_positive": float((draws > 0).mean()),
            }
        )
    frame = pd.DataFrame(rows)
    return frame.sort_values("expected_npv_usd", ascending=False).reset_index(drop=True)


def value_tables(
    result: ForecastResult,
    region: str = "8MM",
    discount_rate: float | None = None,
    asset: str | None = None,
    company: str | None = None,
) -> dict[str, pd.DataFrame]:
    """rNPV tables: ``assets``, ``companies`` and ``distribution`` (NPV draws per asset).

    ``asset`` and ``company`` (label or display name) restrict the output.
    """
    k = result.knowledge
    fixed = {"discount_rate": discount_rate} if discount_rate is not None else None
    decisions = decision_draws(
        k, result.kept.rows, result.settings.seed, result.settings.sampling_method, fixed
    )
    draws = asset_npv_draws(result, decisions, region)
    therapies = k.labels("therapy")
    names = {t: k.display_name("therapy", t) for t in therapies}
    company_of = dict(zip(therapies, therapy_attribute(k, "company"), strict=True))
    if asset is not None:
        wanted = {t for t in draws if asset in (t, names[t])}
        if not wanted:
            choices = ", ".join(names[t] for t in draws)
            raise InputError(
                None, "--asset", f"{asset!r}: not a pipeline asset; choose from {choices}"
            )
        draws = {t: d for t, d in draws.items() if t in wanted}
    if company is not None:
        draws = {t: d for t, d in draws.items() if company_of[t] == company}
        if not draws:
            choices = ", ".join(sorted({company_of[t] for t in pipeline_therapies(k)}))
            raise InputError(
                None, "--company", f"{company!r}: no pipeline asset; choose from {choices}"
            )
    portfolios: dict[str, np.ndarray] = {}
    for t, d in draws.items():
        portfolios[company_of[t]] = portfolios.get(company_of[t], 0) + d
    assets = npv_summary(draws, "asset", names)
    assets.insert(1, "company", [company_of[t] for t in draws_order(assets, names, draws)])
    distribution = pd.DataFrame({names[t]: d for t, d in draws.items()})
    return {
        "assets": assets,
        "companies": npv_summary(portfolios, "company", {}),
        "distribution": distribution,
    }


def draws_order(
    table: pd.DataFrame, names: dict[str, str], draws: dict[str, np.ndarray]
) -> list[str]:
    """Therapy labels in the row order of a summary table keyed by display name."""
    by_name = {names[t]: t for t in draws}
    return [by_name[name] for name in table["asset"]]


def value_tornado(result: ForecastResult, asset: str, region: str = "8MM") -> pd.DataFrame:
    """Expected NPV (USD) with one input at its 5th and 95th percentile, the others as drawn.

    Inputs: each decision parameter the asset's value uses, fixed at its own
    5th/95th percentile in every draw. Returns parameter, low, high and swing.
    """
    k = result.knowledge
    base_draws = decision_draws(
        k, result.kept.rows, result.settings.seed, result.settings.sampling_method
    )
    base = float(asset_npv_draws(result, base_draws, region)[asset].mean())
    rows = []
    for name in (
        "phase_cost",
        "phase_duration",
        "cogs_share",
        "sga_share",
        "tax_rate",
        "discount_rate",
    ):
        moved = []
        for q in (LOW, HIGH):
            values = dict(base_draws.values)
            values[name] = np.broadcast_to(
                np.quantile(base_draws[name], q, axis=0), base_draws[name].shape
            ).copy()
            moved.append(
                float(asset_npv_draws(result, DecisionDraws(values), region)[asset].mean())
            )
        rows.append({"parameter": name, "at_p05": moved[0], "at_p95": moved[1]})
    table = pd.DataFrame(rows)
    table.insert(1, "base", base)
    table["swing"] = (table["at_p95"] - table["at_p05"]).abs()
    return table.sort_values("swing", ascending=False).reset_index(drop=True)
