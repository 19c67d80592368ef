"""Provider capacity per catchment, and the CSF diagnostics and intra-CSF delivery markets.

Counts per year come from the forecast draws (LM cases, diagnosed cases,
patients on intra-CSF therapies) and the decision parameters; CSF
liquid-biopsy adoption is the funnel's own logistic curve (point values of
``diagnosis.liquid_biopsy_*``). The diagnostics and delivery markets are
volumes times prices, reported beside the drug market and never added to it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from leptomarket.core.capacity import csf_tests, delivery_counts, per_catchment, workup_counts
from leptomarket.core.epidemiology import logistic_adoption
from leptomarket.engine.budget_impact import INTRA_CSF_ROUTES
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


def liquid_biopsy_adoption(result: ForecastResult) -> np.ndarray:
    """Share of diagnosed patients tested with a CSF liquid biopsy, [country, year] (point)."""
    k = result.knowledge
    return logistic_adoption(
        point_of(k, "diagnosis.liquid_biopsy_peak_share")[None, :],
        point_of(k, "diagnosis.liquid_biopsy_midpoint_year")[None, :],
        np.atleast_1d(point_of(k, "diagnosis.liquid_biopsy_steepness")),
        k.years.astype(float),
    )[0]


def _counts(result: ForecastResult, decisions: DecisionDraws) -> dict[str, np.ndarray]:
    """National yearly counts [draw, country, year] of every capacity metric."""
    k = result.knowledge
    cubes = result.kept.cubes
    lm_cases = cubes["incident_cases"].sum(axis=3).astype(float)
    diagnosed = cubes["diagnosed_cases"].sum(axis=3).astype(float)
    worked_up = lm_cases * point_of(k, "diagnosis.workup_rate")[None, :, None]
    mri, punctures = workup_counts(
        worked_up,
        decisions["mri_per_workup"][:, None, None],
        float(point_of(k, "diagnosis.lumbar_puncture_rate")),
    )
    adoption = liquid_biopsy_adoption(result)[None]
    routes = [r or "systemic" for r in therapy_attribute(k, "route")]
    intra = [i for i, r in enumerate(routes) if r in INTRA_CSF_ROUTES]
    ventricular = [i for i, r in enumerate(routes) if r == "intraventricular"]
    patients = cubes["patients"].astype(float)
    intra_patients = patients[..., intra].sum(axis=3)
    procedures, implants = delivery_counts(
        intra_patients,
        decisions["intra_csf_procedures"][:, None, None],
        decisions["reservoir_share"][:, None, None],
    )
    # Intraventricular therapies need a reservoir for every patient.
    ventricular_patients = patients[..., ventricular].sum(axis=3)
    implants = implants + ventricular_patients * (1 - decisions["reservoir_share"][:, None, None])
    return {
        "lm_diagnoses": diagnosed,
        "lm_workups": worked_up,
        "mri_examinations": mri,
        "lumbar_punctures": punctures,
        "csf_liquid_biopsy_tests": csf_tests(
            diagnosed, adoption, decisions["csf_monitoring_tests"][:, None, None]
        ),
        "intra_csf_procedures": procedures,
        "reservoir_implants": implants,
    }


def capacity_table(
    result: ForecastResult,
    country: str = "US",
    catchment: float = 1_000_000,
    year: int | None = None,
) -> pd.DataFrame:
    """Yearly counts for a catchment of ``catchment`` people in ``country`` (mean and interval)."""
    k = result.knowledge
    if country not in k.labels("country"):
        raise InputError(None, "--country", f"{country!r}: choose {', '.join(k.labels('country'))}")
    if catchment <= 0:
        raise InputError(None, "--catchment", f"{catchment}: must be a positive population")
    (c,) = country_indices(k, country)
    y = year_index(k, year or int(k.indication.forecast_start or k.years[0]))
    decisions = decision_draws(
        k, result.kept.rows, result.settings.seed, result.settings.sampling_method
    )
    population = decisions["population"][:, c]
    rows = []
    for metric, counts in _counts(result, decisions).items():
        scaled = per_catchment(counts[:, c, y], population, catchment)
        rows.append(interval_frame(scaled[:, None]).assign(metric=metric))
    table = pd.concat(rows, ignore_index=True)
    table.insert(0, "year", int(k.years[y]))
    table.insert(0, "country", k.display_name("country", country))
    table.insert(2, "catchment", catchment)
    return table[["country", "year", "catchment", "metric", "mean", "p05", "p50", "p95"]]


def diagnostics_delivery_market(
    result: ForecastResult, regions: list[str] | None = None
) -> pd.DataFrame:
    """Volumes and revenue (USD) of CSF liquid biopsy, reservoir implants and intra-CSF procedures.

    One row per market, metric (volume or revenue), country or region and year.
    """
    k = result.knowledge
    decisions = decision_draws(
        k, result.kept.rows, result.settings.seed, result.settings.sampling_method
    )
    counts = _counts(result, decisions)
    prices = {
        "csf_liquid_biopsy_tests": decisions["csf_test_price"],
        "reservoir_implants": decisions["reservoir_cost"],
        "intra_csf_procedures": decisions["intra_csf_procedure_cost"],
    }
    places = [(k.display_name("country", c), [i]) for i, c in enumerate(k.labels("country"))]
    for region in regions or list(k.indication.regions):
        places.append((region, country_indices(k, region)))
    years = [int(y) for y in k.years]
    frames = []
    for market, price in prices.items():
        volume = counts[market]
        revenue = volume * price[:, :, None]
        for metric, values in (("volume", volume), ("revenue_usd", revenue)):
            for place, members in places:
                summed = values[:, members].sum(axis=1)
                index = pd.DataFrame({"year": years})
                frame = interval_frame(summed, index)
                frame.insert(0, "place", place)
                frame.insert(0, "metric", metric)
                frame.insert(0, "market", market)
                frames.append(frame)
    return pd.concat(frames, ignore_index=True)
