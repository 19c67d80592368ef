"""Budget impact of a new therapy for a plan of ``members`` in one country, from forecast draws.

Following Sullivan et al. (Value Health 17:5, 2014): eligible patients are
the plan's share of the country's treated LM patients in the segments where
the therapy is used, times the share of them receiving a therapy of its
group (the model's share rule: a therapy displaces the rest of its group).
Per-patient course costs, per draw and year, come from the forecast (drug
revenue per patient of the therapy, and of the rest of its group for the
current mix) plus administration (intra-CSF procedures, reservoir
implantation), monitoring MRI and reservoir complications from the decision
parameters. The impact of ``uptake`` u is eligible x u x (cost of the new
therapy - cost of the current mix); the tables show both mixes' budgets.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from leptomarket.core.budget_impact import (
    budget_impact,
    cost_per_patient,
    per_member_per_month,
    plan_patients,
)
from leptomarket.engine.decision_inputs import (
    DecisionDraws,
    country_indices,
    decision_draws,
    interval_frame,
    point_of,
    year_index,
)
from leptomarket.engine.forecast import ForecastResult
from leptomarket.engine.market_inputs import therapy_attribute
from leptomarket.errors import InputError

INTRA_CSF_ROUTES = ("intrathecal", "intraventricular")


def therapy_label(result: ForecastResult, therapy: str) -> str:
    """A therapy's label from its label or display name; InputError naming the option."""
    k = result.knowledge
    for label in k.labels("therapy"):
        if therapy in (label, k.display_name("therapy", label)):
            return label
    raise InputError(
        None,
        "--therapy",
        f"{therapy!r}: unknown therapy; give a label or name from the indication "
        "(e.g. trastuzumab_deruxtecan)",
    )


def administration_cost(
    result: ForecastResult, decisions: DecisionDraws, country: int
) -> np.ndarray:
    """Per-course administration, monitoring and complication cost (USD), [draw, therapy]."""
    k = result.knowledge
    routes = [r or "systemic" for r in therapy_attribute(k, "route")]
    markets = therapy_attribute(k, "market")
    intra_csf = np.array([r in INTRA_CSF_ROUTES for r in routes], dtype=float)
    ventricular = np.array([r == "intraventricular" for r in routes], dtype=float)
    treated = np.array([m != "none" for m in markets], dtype=float)
    reservoir_share = np.where(
        ventricular > 0, 1.0, intra_csf * decisions["reservoir_share"][:, None]
    )
    return cost_per_patient(
        drug=0.0,
        procedures=intra_csf * decisions["intra_csf_procedures"][:, None],
        procedure_cost=decisions["intra_csf_procedure_cost"][:, country, None],
        reservoir_share=reservoir_share,
        reservoir_cost=decisions["reservoir_cost"][:, country, None],
        complication_rate=decisions["reservoir_complication_rate"][:, None],
        complication_cost=decisions["complication_cost"][:, country, None],
        monitoring=treated
        * (decisions["monitoring_mri"] * decisions["mri_cost"][:, country])[:, None],
    )


def budget_impact_tables(
    result: ForecastResult,
    therapy: str,
    country: str = "US",
    members: float = 1_000_000,
    uptake: tuple[float, ...] = (0.1, 0.2, 0.3),
    start_year: int | None = None,
    horizon: int = 3,
) -> dict[str, pd.DataFrame]:
    """Budget-impact tables: ``by_year`` (per uptake and year) and ``total`` (over the horizon).

    Money in USD per year (``pmpm_usd``: per member per month). Raises
    InputError naming the option for a bad therapy, country, uptake, members,
    start year or horizon.
    """
    k = result.knowledge
    label = therapy_label(result, therapy)
    (c,) = country_indices(k, country) if country in k.labels("country") else (None,)
    if c is None:
        raise InputError(
            None, "--country", f"{country!r}: choose one of {', '.join(k.labels('country'))}"
        )
    if members <= 0:
        raise InputError(
            None, "--members", f"{members!r}: must be a positive number of plan members"
        )
    if not 1 <= horizon <= 5:
        raise InputError(
            None, "--horizon", f"{horizon!r}: must be 1 to 5 years (ISPOR BIA practice)"
        )
    if any(not 0.0 <= u <= 1.0 for u in uptake):
        raise InputError(None, "--uptake", "uptakes are percentages from 0 to 100")
    start = start_year or int(k.indication.forecast_start or k.years[0])
    first = year_index(k, start, "--start-year")
    last = year_index(k, start + horizon - 1, "--horizon")
    years = np.arange(first, last + 1)
    therapies = k.labels("therapy")
    t = therapies.index(label)
    groups = therapy_attribute(k, "group")
    group_members = [i for i, g in enumerate(groups) if g == groups[t] and i != t]
    decisions = decision_draws(
        k, result.kept.rows, result.settings.seed, result.settings.sampling_method
    )
    population = decisions["population"][:, c]

    # Eligible: treated patients of the segments using the therapy x its group's share.
    group_share = point_of(k, "market.group_share")[c][:, k.labels("group").index(groups[t])]
    within = point_of(k, "market.within_group_share")[c][:, t]
    used = (within > 0).astype(float)
    treated = result.kept.cubes["treated_cases"][:, c][:, years].astype(float)
    national = (treated * (group_share * used)[None, None, :]).sum(axis=2)
    eligible = plan_patients(national, members, population[:, None])

    patients = result.kept.cubes["patients"][:, c][:, years].astype(float)
    revenue = result.kept.cubes["revenue"][:, c][:, years].astype(float)
    admin = administration_cost(result, decisions, c)
    new_patients = patients[:, :, t].sum(axis=1)
    drug_new = np.divide(
        revenue[:, :, t].sum(axis=1),
        new_patients,
        out=np.full(len(new_patients), np.nan),
        where=new_patients > 0,
    )
    if np.isnan(drug_new).all():
        raise InputError(
            None,
            "--therapy",
            f"{therapy!r}: has no patients in {country} in {start}-{start + horizon - 1} "
            "in any draw (not launched there); choose a later --start-year",
        )
    # Draws where a pipeline therapy failed have no patients: use its course cost
    # from the draws where it launched.
    drug_new = np.where(np.isnan(drug_new), np.nanmean(drug_new), drug_new)
    current_patients = patients[:, :, group_members].sum(axis=(1, 2))
    if not group_members or (current_patients <= 0).all():
        drug_current = np.zeros(len(drug_new))
        admin_current = np.zeros(len(drug_new))
    else:
        weights = patients[:, :, group_members].sum(axis=1)
        weights = weights / np.maximum(weights.sum(axis=1, keepdims=True), 1e-12)
        drug_current = revenue[:, :, group_members].sum(axis=(1, 2)) / np.maximum(
            current_patients, 1e-12
        )
        admin_current = (admin[:, group_members] * weights).sum(axis=1)
    cost_new = drug_new + admin[:, t]
    cost_current = drug_current + admin_current

    shares = np.asarray(uptake, dtype=float)
    impact = budget_impact(eligible, shares, cost_new, cost_current)
    current_budget = eligible[:, None, :] * cost_current[:, None, None]
    index = pd.DataFrame(
        [(u, int(k.years[y])) for u in shares for y in years], columns=["uptake", "year"]
    )
    n = len(eligible)
    frames = []
    for metric, values in (
        ("eligible_patients", np.repeat(eligible[:, None, :], len(shares), axis=1)),
        ("budget_current_mix_usd", np.repeat(current_budget, len(shares), axis=1)),
        ("budget_new_mix_usd", current_budget + impact),
        ("budget_impact_usd", impact),
        ("pmpm_usd", per_member_per_month(impact, members)),
    ):
        frames.append(interval_frame(values.reshape(n, -1), index).assign(metric=metric))
    by_year = pd.concat(frames, ignore_index=True)
    totals = []
    total_impact = impact.sum(axis=2)
    for metric, values in (
        ("budget_impact_usd", total_impact),
        ("pmpm_usd", per_member_per_month(total_impact, members) / horizon),
    ):
        totals.append(
            interval_frame(values, pd.DataFrame({"uptake": shares})).assign(metric=metric)
        )
    costs = pd.concat(
        [
            interval_frame(cost_new[:, None], pd.DataFrame({"mix": ["new therapy"]})),
            interval_frame(
                cost_current[:, None], pd.DataFrame({"mix": ["current mix of its group"]})
            ),
        ],
        ignore_index=True,
    ).assign(metric="cost_per_patient_usd")
    return {
        "by_year": by_year,
        "total": pd.concat(totals, ignore_index=True),
        "cost_per_patient": costs,
    }
