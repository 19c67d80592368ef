"""Epidemiology funnel: incident primary cancers to treated LM patients.

Pure, vectorised functions on numpy arrays. Axes, in this order:
``[draw, country, year, segment]`` (``tumour`` stands where ``segment`` does
before the subtype split). Counts are persons per calendar year. No I/O.

The funnel (see ``docs/methodology.md``)::

    primary[d,c,y,t]   = base[d,c,t] * (1 + trend[d,c,t]) ** (year - ref_year[c,t])
    segment[d,c,y,s]   = primary[d,c,y,tumour(s)] * subtype_share[d,c,s]
    risk[d,s]          = advanced_share[d,s] * lm_risk_advanced[d,s]
    lm[d,c,y,s]        = segment * risk[d,s] * multiplier[d,y,s]
    diagnosed[d,c,y,s] = lm * diagnosis_rate[d,c,y]
    treated[d,c,y,s]   = diagnosed * treated_share[d,c]

The LM risk is written out as the share of incident patients who ever reach
advanced (metastatic) disease times the cumulative incidence of LM among
advanced patients, each from the segment's own evidence. Its time multiplier
combines a survival-driven trend with the prevention by a CNS-active therapy
(e.g. osimertinib in EGFR-mutant NSCLC) as it is taken up::

    multiplier[d,y,s] = (1 + lm_trend[d,s]) ** (year - lm_ref_year)
                        * (1 - uptake[d,y,s] * (1 - prevention_hr[d,s]))

The risks are rates of LM *as diagnosed* in series that worked patients up
with MRI and CSF cytology, so diagnosis is applied once: the risk is first
divided by the detection of the series' own pathway (no liquid biopsy), which
gives the symptomatic LM cases those tests would find if they were perfect
(the funnel's incident cases), and work-up and detection are then applied.
Detection follows the guideline pathway (MRI first; lumbar puncture when MRI
is not diagnostic), CSF cytology and, where adopted, CSF liquid biopsy being
conditionally independent tests::

    csf_sens  = 1 - (1 - cytology) * (1 - adoption * liquid_biopsy)
    detect    = mri + (1 - mri) * lp_rate * csf_sens
    lm        = segment * risk * multiplier / detect(adoption = 0)
    diagnosis = workup * detect

Without liquid biopsy, diagnosed = segment x risk x multiplier x workup:
only the work-up gap separates the model from the series.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit


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
    """``(1 + change) ** (year - reference_year)``.

    ``annual_change`` is [draw] or [draw, segment]; the result is [draw, year]
    or [draw, year, segment].
    """
    offset = (years - reference_year).astype(float)
    if annual_change.ndim == 1:
        return (1.0 + annual_change[:, None]) ** offset[None, :]
    return (1.0 + annual_change[:, None, :]) ** offset[None, :, None]


def lm_risk_per_incident_case(
    advanced_share: np.ndarray, lm_risk_advanced: np.ndarray
) -> np.ndarray:
    """Probability that an incident primary case develops LM, [draw, segment].

    Parameters
    ----------
    advanced_share : array [draw, segment]
        Share of incident patients who ever reach advanced (metastatic)
        disease [proportion]; 1 where the LM evidence counts every patient.
    lm_risk_advanced : array [draw, segment]
        Cumulative incidence of diagnosed LM among those patients [proportion].
    """
    return advanced_share * lm_risk_advanced


def prevention_multiplier(uptake: np.ndarray, prevention_hazard_ratio: np.ndarray) -> np.ndarray:
    """Relative LM risk as a CNS-active therapy replaces the one the risk was measured on.

    ``1 - uptake * (1 - HR)``: patients on the new therapy carry the hazard
    ratio's share of the risk (a proportional-hazards approximation, fair when
    the cumulative risk is small).

    Parameters
    ----------
    uptake : array [draw, year, segment] share of the segment on the therapy [proportion]
    prevention_hazard_ratio : array [draw, segment] hazard ratio of LM, new vs old (1 = none)

    Returns
    -------
    array [draw, year, segment]
    """
    return 1.0 - uptake * (1.0 - prevention_hazard_ratio[:, None, :])


def lm_incident_cases(
    segment: np.ndarray, lm_risk: np.ndarray, risk_multiplier: np.ndarray
) -> np.ndarray:
    """New LM cases: segment cases x LM risk x time multiplier.

    Parameters
    ----------
    segment : array [draw, country, year, segment] [persons/year]
    lm_risk : array [draw, segment]
        Probability that an incident primary case develops LM [proportion].
    risk_multiplier : array [draw, year] or [draw, year, segment]
        Change of LM risk over time (survival trend, prevention).

    Returns
    -------
    array [draw, country, year, segment]
    """
    if risk_multiplier.ndim == 2:
        risk_multiplier = risk_multiplier[:, :, None]
    return segment * lm_risk[:, None, None, :] * risk_multiplier[:, None, :, :]


def logistic_adoption(
    peak_share: np.ndarray, midpoint_year: np.ndarray, steepness: np.ndarray, years: np.ndarray
) -> np.ndarray:
    """Share of patients reached by a technology: a logistic curve in calendar time.

    Parameters
    ----------
    peak_share : array [draw, k] ceiling of adoption [proportion] (k = country
        or segment)
    midpoint_year : array [draw, k] year adoption reaches half its peak
    steepness : array [draw] logistic rate [1/year]
    years : array [year]

    Returns
    -------
    array [draw, k, year]
    """
    # expit(x) = 1 / (1 + exp(-x)) without overflow for steep curves far from the midpoint.
    exponent = steepness[:, None, None] * (years[None, None, :] - midpoint_year[:, :, None])
    return peak_share[:, :, None] * expit(exponent)


def lm_risk_multiplier(
    lm_risk_trend: np.ndarray,
    years: np.ndarray,
    reference_year: int,
    cns_active_uptake: np.ndarray,
    prevention_hazard_ratio: np.ndarray,
) -> np.ndarray:
    """Time multiplier of LM risk, [draw, year, segment].

    ``(1 + trend[d,s]) ** (year - reference_year) * (1 - uptake * (1 - HR))``;
    ``cns_active_uptake`` is [draw, year, segment].
    """
    trend = time_multiplier(lm_risk_trend, years, reference_year)
    return trend * prevention_multiplier(cns_active_uptake, prevention_hazard_ratio)


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
    MRI comes first; a lumbar puncture follows in ``lumbar_puncture_rate`` of
    patients whose MRI is not diagnostic (EANO-ESMO guideline, Le Rhun 2017).
    CSF tests are conditionally independent given LM, so a CSF sample misses
    a case only if every test on it misses it.
    """
    lp = lumbar_puncture_rate[:, None, None]
    mri = mri_sensitivity[:, None, None]
    cytology = cytology_sensitivity[:, None, None]
    csf_sensitivity = 1.0 - (1.0 - cytology) * (
        1.0 - liquid_biopsy_adoption * liquid_biopsy_sensitivity[:, None, None]
    )
    detect = mri + (1.0 - mri) * lp * csf_sensitivity
    return workup_rate[:, :, None] * detect


def series_detection(
    mri_sensitivity: np.ndarray, lumbar_puncture_rate: np.ndarray, cytology_sensitivity: np.ndarray
) -> np.ndarray:
    """Share of symptomatic LM the risk's source series found, [draw].

    The pathway of :func:`diagnosis_rate` with MRI and CSF cytology only and
    everyone worked up: ``mri + (1 - mri) * lp_rate * cytology``.
    """
    return mri_sensitivity + (1.0 - mri_sensitivity) * lumbar_puncture_rate * cytology_sensitivity


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
    advanced_share: np.ndarray
    lm_risk: np.ndarray
    lm_risk_trend: np.ndarray
    lm_risk_reference_year: int
    cns_active_peak_share: np.ndarray
    cns_active_midpoint_year: np.ndarray
    cns_active_steepness: np.ndarray
    prevention_hazard_ratio: np.ndarray
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
    #: Detection of the risk's source series [draw]; ``None`` = computed from this
    #: block's MRI, lumbar puncture and cytology values. A scenario that changes
    #: practice passes the base case's, since the series themselves do not change.
    series_detection: np.ndarray | None = None


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
    risk = lm_risk_per_incident_case(inputs.advanced_share, inputs.lm_risk)
    lm_per_base_year = inputs.base_cases[:, :, tumour] * inputs.subtype_share * risk[:, None, :]
    growth = growth_factor(
        inputs.annual_trend[:, :, tumour], inputs.reference_year[:, tumour], inputs.years
    )
    uptake = logistic_adoption(
        inputs.cns_active_peak_share,
        inputs.cns_active_midpoint_year,
        inputs.cns_active_steepness,
        inputs.years,
    ).transpose(0, 2, 1)
    multiplier = lm_risk_multiplier(
        inputs.lm_risk_trend,
        inputs.years,
        inputs.lm_risk_reference_year,
        uptake,
        inputs.prevention_hazard_ratio,
    )
    found_in_series = inputs.series_detection
    if found_in_series is None:
        found_in_series = series_detection(
            inputs.mri_sensitivity, inputs.lumbar_puncture_rate, inputs.cytology_sensitivity
        )
    growth *= lm_per_base_year[:, :, None, :]
    growth *= multiplier[:, None, :, :]
    # Zero detection (no test finds anything) leaves no countable cases, not a division error.
    growth *= np.divide(
        1.0, found_in_series, out=np.zeros_like(found_in_series), where=found_in_series > 0
    )[:, None, None, None]
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
