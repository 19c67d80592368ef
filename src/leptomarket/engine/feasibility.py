"""Trial feasibility from forecast draws: eligible LM patients and months to enrol a trial.

Eligible patients per year of a country and segment are the forecast's
diagnosed or treated LM cases; ``csf_confirmed`` keeps the share diagnosed
with a positive CSF examination (lumbar puncture rate x cytology
sensitivity, at point values), the criterion of many LM trials. Accrual
follows :mod:`leptomarket.core.feasibility`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from leptomarket.core.feasibility import enrolment_rate, months_to_enrol
from leptomarket.engine.decision_inputs import (
    country_indices,
    decision_draws,
    interval_frame,
    point_of,
    year_index,
)
from leptomarket.engine.forecast import ForecastResult
from leptomarket.errors import InputError

POPULATIONS = ("diagnosed", "treated", "csf_confirmed")


def segment_labels(result: ForecastResult, segments: list[str] | None) -> list[str]:
    """Segment labels from labels or display names (all when None); InputError otherwise."""
    k = result.knowledge
    labels = k.labels("segment")
    if not segments:
        return labels
    chosen = []
    for wanted in segments:
        match = [s for s in labels if wanted in (s, k.display_name("segment", s))]
        if not match:
            raise InputError(None, "--segment", f"{wanted!r}: choose from {', '.join(labels)}")
        chosen.extend(match)
    return chosen


def eligible_patients(
    result: ForecastResult, population: str, segments: list[str], year: int
) -> np.ndarray:
    """Eligible LM patients per year, [draw, country], summed over ``segments``."""
    k = result.knowledge
    if population not in POPULATIONS:
        raise InputError(None, "--population", f"{population!r}: choose {', '.join(POPULATIONS)}")
    cube = "treated_cases" if population == "treated" else "diagnosed_cases"
    columns = [k.labels("segment").index(s) for s in segments]
    cases = result.kept.cubes[cube][:, :, year_index(k, year)][:, :, columns].sum(axis=2)
    if population == "csf_confirmed":
        confirmed = float(
            point_of(k, "diagnosis.lumbar_puncture_rate")
            * point_of(k, "diagnosis.cytology_sensitivity")
        )
        cases = cases * confirmed
    return cases.astype(float)


def feasibility_table(
    result: ForecastResult,
    n_patients: int = 60,
    sites: int = 20,
    segments: list[str] | None = None,
    region: str = "US",
    population: str = "diagnosed",
    year: int | None = None,
    site_share: float | None = None,
) -> pd.DataFrame:
    """Eligible patients per year, enrolment per month and months to enrol, per country.

    One row per country of ``region`` with mean and 5/50/95th percentiles of
    each metric.
    """
    k = result.knowledge
    if n_patients < 1:
        raise InputError(None, "--patients", f"{n_patients}: must be at least 1")
    if sites < 1:
        raise InputError(None, "--sites", f"{sites}: must be at least 1")
    year = year or int(k.indication.forecast_start or k.years[0])
    chosen = segment_labels(result, segments)
    countries = country_indices(k, region)
    fixed = {"site_share": site_share} if site_share is not None else None
    decisions = decision_draws(
        k, result.kept.rows, result.settings.seed, result.settings.sampling_method, fixed
    )
    eligible = eligible_patients(result, population, chosen, year)[:, countries]
    rate = enrolment_rate(
        eligible,
        sites,
        decisions["site_share"][:, None],
        decisions["trial_eligibility"][:, None],
        decisions["consent_rate"][:, None],
    )
    months = months_to_enrol(n_patients, rate)
    labels = [k.labels("country")[c] for c in countries]
    index = pd.DataFrame({"country": [k.display_name("country", c) for c in labels]})
    frames = [
        interval_frame(values, index).assign(metric=metric)
        for metric, values in (
            ("eligible_patients_per_year", eligible),
            ("enrolled_per_month", rate),
            ("months_to_enrol", months),
        )
    ]
    table = pd.concat(frames, ignore_index=True)
    table.insert(0, "year", year)
    return table
