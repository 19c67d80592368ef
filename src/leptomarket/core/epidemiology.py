"""Epidemiology funnel: incident primary cancers to treated LM patients.

Pure, vectorised functions on numpy arrays. Axes, in this order:
``[draw, country, year, segment]`` (``tumour`` stands where ``segment`` does
before the subtype split). Counts are persons per calendar year. No I/O.

The funnel (see ``docs/methodology.md``)::

    primary[d,c,y,t]   = base[d,c,t] * (1 + trend[d,c,t]) ** (year - ref_year[c,t])
    segment[d,c,y,s]   = primary[d,c,y,tumour(s)] * subtype_share[d,c,s]
    lm[d,c,y,s]        = segment * lm_risk[d,s] * (1 + lm_trend[d]) ** (year - lm_ref_year)
    diagnosed[d,c,y,s] = lm * diagnosis_rate[d,c,y]
    treated[d,c,y,s]   = diagnosed * treated_share[d,c]

Diagnosis combines neuraxis MRI and CSF testing (cytology, plus CSF liquid
biopsy where adopted) as independent tests::

    csf_sens  = 1 - (1 - cytology) * (1 - adoption * liquid_biopsy)
    diagnosis = workup * (1 - (1 - mri) * (1 - lp_rate * csf_sens))
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def primary_incidence(
    base_cases: np.ndarray,
    annual_trend: np.ndarray,
    reference_year: np.ndarray,
    years: np.ndarray,
) -> np.ndarray:
    """Incident primary cancers projected over years.

    Parameters
    ----------
    base_cases : array [draw, country, tumour]
        New cases in the reference year [persons/year].
    annual_trend : array [draw, country, tumour]
        Relative change per year [1/year], e.g. 0.01 for +1 %/year.
    reference_year : array [country, tumour]
        Calendar year of ``base_cases``.
    years : array [year]
        Calendar years to project to.

    Returns
    -------
    array [draw, country, year, tumour]
    """
    return base_cases[:, :, None, :] * growth_factor(annual_trend, reference_year, years)


def growth_factor(
    annual_trend: np.ndarray, reference_year: np.ndarray, years: np.ndarray
) -> np.ndarray:
    """``(1 + trend) ** (year - reference_year)``, shape [draw, country, year, tumour]."""
    offset = (years[None, :, None] - reference_year[:, None, :]).astype(float)
    return np.exp(np.log1p(annual_trend)[:, :, None, :] * offset[None, ...])


def segment_cases(
    primary: np.ndarray, subtype_share: np.ndarray, segment_tumour: np.ndarray
) -> np.ndarray:
    """Split primary cases into segments (tumour x molecular subtype).

    Parameters
    ----------
    primary : array [draw, country, year, tumour]
    subtype_share : array [draw, country, segment]
        Share of the tumour's cases in each segment; sums to 1 within a tumour.
    segment_tumour : int array [segment]
        Index of each segment's tumour on the tumour axis.

    Returns
    -------
    array [draw, country, year, segment]
    """
    return primary[:, :, :, segment_tumour] * subtype_share[:, :, None, :]


def time_multiplier(
    annual_change: np.ndarray, years: np.ndarray, reference_year: int
) -> np.ndarray:
    """``(1 + change) ** (year - reference_year)``, shape [draw, year]."""
    return (1.0 + annual_change[:, None]) ** (years[None, :] - reference_year)


def lm_incident_cases(
    segment: np.ndarray, lm_risk: np.ndarray, risk_multiplier: np.ndarray
) -> np.ndarray:
    """New LM cases: segment cases x LM risk x time multiplier.

    Parameters
    ----------
    segment : array [draw, country, year, segment] [persons/year]
    lm_risk : array [draw, segment]
        Probability that an incident primary case develops LM [proportion].
    risk_multiplier : array [draw, year]
        Rise of LM risk as survival on primary therapy lengthens.

    Returns
    -------
    array [draw, country, year, segment]
    """
    return segment * lm_risk[:, None, None, :] * risk_multiplier[:, None, :, None]


def logistic_adoption(
    peak_share: np.ndarray, midpoint_year: np.ndarray, steepness: np.ndarray, years: np.ndarray
) -> np.ndarray:
    """Share of patients reached by a technology: a logistic curve in calendar time.

    Parameters
    ----------
    peak_share : array [draw, country] ceiling of adoption [proportion]
    midpoint_year : array [draw, country] year adoption reaches half its peak
    steepness : array [draw] logistic rate [1/year]
    years : array [year]

    Returns
    -------
    array [draw, country, year]
    """
    exponent = -steepness[:, None, None] * (years[None, None, :] - midpoint_year[:, :, None])
    return peak_share[:, :, None] / (1.0 + np.exp(exponent))


def diagnosis_rate(
    workup_rate: np.ndarray,
    mri_sensitivity: np.ndarray,
    lumbar_puncture_rate: np.ndarray,
    cytology_sensitivity: np.ndarray,
    liquid_biopsy_sensitivity: np.ndarray,
    liquid_biopsy_adoption: np.ndarray,
) -> np.ndarray:
    """Share of LM cases diagnosed in life, from test sensitivities and uptake.

    Parameters
    ----------
    workup_rate : array [draw, country] share of LM patients worked up [proportion]
    mri_sensitivity, lumbar_puncture_rate, cytology_sensitivity,
    liquid_biopsy_sensitivity : arrays [draw] [proportion]
    liquid_biopsy_adoption : array [draw, country, year] [proportion]

    Returns
    -------
    array [draw, country, year] in [0, 1]

    Notes
    -----
    Tests are treated as conditionally independent given LM, so a case is
    missed only if every test performed misses it.
    """
    csf_miss = (1.0 - cytology_sensitivity[:, None, None]) * (
        1.0 - liquid_biopsy_adoption * liquid_biopsy_sensitivity[:, None, None]
    )
    csf_detect = lumbar_puncture_rate[:, None, None] * (1.0 - csf_miss)
    detect = 1.0 - (1.0 - mri_sensitivity[:, None, None]) * (1.0 - csf_detect)
    return workup_rate[:, :, None] * detect


def diagnosed_cases(lm_cases: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """Diagnosed LM cases [draw, country, year, segment] = LM cases x diagnosis rate."""
    return lm_cases * rate[:, :, :, None]


def treated_cases(diagnosed: np.ndarray, treated_share: np.ndarray) -> np.ndarray:
    """LM patients given active therapy = diagnosed x treated share [draw, country]."""
    return diagnosed * treated_share[:, :, None, None]


@dataclass(frozen=True)
class EpiInputs:
    """Arrays the funnel needs, already sampled (leading axis = draw)."""

    base_cases: np.ndarray
    annual_trend: np.ndarray
    reference_year: np.ndarray
    subtype_share: np.ndarray
    segment_tumour: np.ndarray
    lm_risk: np.ndarray
    lm_risk_trend: np.ndarray
    lm_risk_reference_year: int
    workup_rate: np.ndarray
    mri_sensitivity: np.ndarray
    lumbar_puncture_rate: np.ndarray
    cytology_sensitivity: np.ndarray
    liquid_biopsy_sensitivity: np.ndarray
    liquid_biopsy_peak_share: np.ndarray
    liquid_biopsy_midpoint_year: np.ndarray
    liquid_biopsy_steepness: np.ndarray
    treated_share: np.ndarray
    years: np.ndarray


@dataclass(frozen=True)
class EpiOutputs:
    """Funnel results, each [draw, country, year, segment] except where noted."""

    lm_cases: np.ndarray
    diagnosis_rate: np.ndarray  # [draw, country, year]
    diagnosed_cases: np.ndarray
    treated_cases: np.ndarray


def epidemiology_funnel(inputs: EpiInputs) -> EpiOutputs:
    """Run the whole funnel for a block of draws.

    Same arithmetic as chaining :func:`primary_incidence`,
    :func:`segment_cases`, :func:`lm_incident_cases`, :func:`diagnosed_cases`
    and :func:`treated_cases`, but the year-independent factors (base cases x
    subtype share x LM risk) are multiplied on the small ``[draw, country,
    segment]`` grid before being spread over years, which halves the work.
    """
    tumour = inputs.segment_tumour
    lm_per_base_year = (
        inputs.base_cases[:, :, tumour] * inputs.subtype_share * inputs.lm_risk[:, None, :]
    )
    growth = growth_factor(
        inputs.annual_trend[:, :, tumour], inputs.reference_year[:, tumour], inputs.years
    )
    multiplier = time_multiplier(inputs.lm_risk_trend, inputs.years, inputs.lm_risk_reference_year)
    growth *= lm_per_base_year[:, :, None, :]
    growth *= multiplier[:, None, :, None]
    lm = growth
    adoption = logistic_adoption(
        inputs.liquid_biopsy_peak_share,
        inputs.liquid_biopsy_midpoint_year,
        inputs.liquid_biopsy_steepness,
        inputs.years,
    )
    rate = diagnosis_rate(
        inputs.workup_rate,
        inputs.mri_sensitivity,
        inputs.lumbar_puncture_rate,
        inputs.cytology_sensitivity,
        inputs.liquid_biopsy_sensitivity,
        adoption,
    )
    diagnosed = diagnosed_cases(lm, rate)
    return EpiOutputs(
        lm_cases=lm,
        diagnosis_rate=rate,
        diagnosed_cases=diagnosed,
        treated_cases=treated_cases(diagnosed, inputs.treated_share),
    )
