"""Report section: decision views per stakeholder group, computed from the reported run's draws.

Every finding is a computed figure with its interval (no typed-in
conclusions): investors (rNPV), payers (budget impact of the most likely
next launch), pharma (trial enrolment time, white space), providers
(capacity per 1M people) and the CSF diagnostics and delivery markets.
"""

from __future__ import annotations

import numpy as np

from leptomarket.engine.budget_impact import budget_impact_tables
from leptomarket.engine.capacity import capacity_table, diagnostics_delivery_market
from leptomarket.engine.feasibility import feasibility_table
from leptomarket.engine.forecast import ForecastResult
from leptomarket.engine.market_inputs import pipeline_therapies
from leptomarket.engine.opportunities import opportunity_table
from leptomarket.engine.value import value_tables
from leptomarket.errors import LeptomarketError

INTERVAL = {"p05": "5th pct", "p95": "95th pct", "mean": "Mean"}


def _musd(value: float) -> str:
    return f"USD {value / 1e6:,.1f}M"


def most_likely_launch(result: ForecastResult) -> tuple[str, int]:
    """The pipeline asset with the highest point probability of success, and its US launch year."""
    k = result.knowledge
    therapies = k.labels("therapy")
    success = k.parameter("pipeline.probability_of_success").point()
    assets = pipeline_therapies(k)
    best = max(assets, key=lambda t: success[therapies.index(t)])
    launch = k.parameter("market.launch_year").point()  # [country, segment, therapy]
    country = 0 if "US" not in k.labels("country") else k.labels("country").index("US")
    return best, round(float(launch[country, :, therapies.index(best)].min()))


def decision_findings(result: ForecastResult, region: str) -> dict[str, object]:
    """The computed tables and headline findings of the decision views."""
    k = result.knowledge
    years = [int(y) for y in k.years]
    countries = k.labels("country")
    home = "US" if "US" in countries else countries[0]
    places = list(k.indication.regions)
    value_region = "8MM" if "8MM" in places else (places[-1] if places else home)
    value = value_tables(result, region=value_region)
    asset, launch = most_likely_launch(result)
    start = min(max(launch, years[0]), years[-1])
    horizon = max(1, min(3, years[-1] - start + 1))
    try:
        budget = budget_impact_tables(
            result, asset, country=home, members=1_000_000, start_year=start, horizon=horizon
        )
    except LeptomarketError:
        budget = None
    segment = "breast_her2_pos" if "breast_her2_pos" in k.labels("segment") else None
    feasibility = feasibility_table(
        result, 60, 20, [segment] if segment else None, region=home, year=start
    )
    white = opportunity_table(result, region=region, top=5)
    capacity = capacity_table(result, country=home, catchment=1_000_000)
    market = diagnostics_delivery_market(result)
    return {
        "value": value,
        "budget": budget,
        "budget_asset": k.display_name("therapy", asset),
        "budget_years": (start, start + horizon - 1),
        "feasibility": feasibility,
        "segment": k.display_name("segment", segment) if segment else "all segments",
        "white_space": white,
        "capacity": capacity,
        "market": market,
        "home": home,
    }


def finding_lines(findings: dict[str, object], region: str, year: int) -> list[str]:
    """Ranked findings as sentences built from the computed figures."""
    lines = []
    assets = findings["value"]["assets"]
    for _, row in assets.head(3).iterrows():
        lines.append(
            f"Investors: {row['asset']} ({row['company']}) has an expected LM-only NPV of "
            f"{_musd(row['expected_npv_usd'])} (5–95% {_musd(row['p05_usd'])} to "
            f"{_musd(row['p95_usd'])}); P(NPV > 0) = {row['probability_npv_positive']:.0%}."
        )
    budget = findings["budget"]
    if budget is not None:
        total = budget["total"]
        row = total[(total.metric == "budget_impact_usd") & np.isclose(total.uptake, 0.2)].iloc[0]
        first, last = findings["budget_years"]
        lines.append(
            f"Payers: at 20% uptake, {findings['budget_asset']} changes a 1M-member "
            f"{findings['home']} plan's LM budget by USD {row['mean']:,.0f} over {first}–{last} "
            f"(5–95% {row['p05']:,.0f} to {row['p95']:,.0f})."
        )
    months = findings["feasibility"]
    months = months[months.metric == "months_to_enrol"].iloc[0]
    lines.append(
        f"Pharma: enrolling 60 {findings['segment']} LM patients in the {findings['home']} at 20 "
        f"sites takes {months['p50']:.0f} months (median; 5–95% {months['p05']:.0f}–"
        f"{months['p95']:.0f})."
    )
    top = findings["white_space"].iloc[0]
    lines.append(
        f"Pharma: the largest white space is {top['segment']} in {top['country']}: "
        f"{top['patients_without_targeted_option']:,.0f} treated patients a year without a "
        f"CNS-active targeted option, {top['active_trials']} active trials."
    )
    market = findings["market"]
    tests = market[
        (market.market == "csf_liquid_biopsy_tests")
        & (market.metric == "volume")
        & (market.place == region)
        & (market.year == year)
    ]
    if not tests.empty:
        row = tests.iloc[0]
        lines.append(
            f"Diagnostics: {row['mean']:,.0f} CSF liquid-biopsy tests in the {region} in {year} "
            f"(5–95% {row['p05']:,.0f}–{row['p95']:,.0f}), beside the drug market."
        )
    return lines
