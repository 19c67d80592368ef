"""Trace one funnel cell back to the parameter rows that produced it (point values).

For ``incident_cases``, ``diagnosed_cases`` or ``treated_cases`` of one
country, year and segment, the funnel's product chain is written out factor
by factor (see :mod:`leptomarket.core.epidemiology`), each with the row it
came from and that row's sources, and the product is checked against the
point run.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from leptomarket.core.epidemiology import (
    epidemiology_funnel,
    logistic_adoption,
    series_detection,
)
from leptomarket.engine.epi_inputs import EpiAssembler, epi_parameters
from leptomarket.errors import InputError
from leptomarket.knowledge.model import Knowledge
from leptomarket.sampling.sampler import ParameterDraws, build_spec, sample

FUNNEL_METRICS = ("incident_cases", "diagnosed_cases", "treated_cases")


@dataclass(frozen=True)
class Factor:
    """One factor of a traced cell: what it is, its value and where it comes from."""

    name: str
    value: float
    unit: str
    parameters: tuple[str, ...]
    sources: tuple[str, ...]
    assumption: str | None


def _row_of(
    knowledge: Knowledge, name: str, index: tuple[int, ...]
) -> tuple[list[str], str | None]:
    parameter = knowledge.parameter(name)
    row = parameter.rows[int(parameter.cell_row[index])]
    return parameter.sources_of(row), parameter.assumption_of(row)


def trace_funnel_cell(
    knowledge: Knowledge, metric: str, country: str, year: int, segment: str
) -> dict[str, object]:
    """The factors of one funnel cell at the point values, their product and the run's value.

    Raises
    ------
    InputError
        If the metric, country, year or segment is unknown.
    """
    if metric not in FUNNEL_METRICS:
        raise InputError(None, "metric", f"one of {', '.join(FUNNEL_METRICS)}, got '{metric}'")
    for dim, label in (("country", country), ("segment", segment)):
        if label not in knowledge.labels(dim):
            raise InputError(None, dim, f"unknown {dim} '{label}'")
    years = [int(y) for y in knowledge.years]
    if year not in years:
        raise InputError(None, "year", f"{year} is outside the model years {years[0]}-{years[-1]}")
    spec = build_spec(epi_parameters(knowledge))
    draws = ParameterDraws(knowledge, spec)
    inputs = EpiAssembler(knowledge, draws).inputs(sample(spec, 1, 0, "point"))
    c, y, s = (
        knowledge.labels("country").index(country),
        years.index(year),
        knowledge.labels("segment").index(segment),
    )
    t = int(inputs.segment_tumour[s])
    offset = year - int(inputs.reference_year[c, t])
    trend_offset = year - inputs.lm_risk_reference_year
    uptake = logistic_adoption(
        inputs.cns_active_peak_share,
        inputs.cns_active_midpoint_year,
        inputs.cns_active_steepness,
        knowledge.years,
    )[0, s, y]
    found = float(
        series_detection(
            inputs.mri_sensitivity, inputs.lumbar_puncture_rate, inputs.cytology_sensitivity
        )[0]
    )
    funnel = epidemiology_funnel(inputs)

    def factor(name, value, unit, parameters, index_of):
        sources: list[str] = []
        assumption = None
        for parameter, index in zip(parameters, index_of, strict=True):
            more, why = _row_of(knowledge, parameter, index)
            sources += [key for key in more if key not in sources]
            assumption = assumption or why
        return Factor(name, float(value), unit, tuple(parameters), tuple(sources), assumption)

    hr = float(inputs.prevention_hazard_ratio[0, s])
    factors = [
        factor(
            "primary cancers in the reference year",
            inputs.base_cases[0, c, t],
            "cases per year",
            ["epidemiology.incidence"],
            [(c, t)],
        ),
        factor(
            f"incidence growth to {year}",
            (1 + inputs.annual_trend[0, c, t]) ** offset,
            "ratio",
            ["epidemiology.incidence_trend"],
            [(c, t)],
        ),
        factor(
            "share of the tumour in the segment",
            inputs.subtype_share[0, c, s],
            "proportion",
            ["epidemiology.subtype_share"],
            [(c, s)],
        ),
        factor(
            "share reaching advanced disease",
            inputs.advanced_share[0, s],
            "proportion",
            ["epidemiology.advanced_share"],
            [(s,)],
        ),
        factor(
            "LM among them (as diagnosed in series)",
            inputs.lm_risk[0, s],
            "proportion",
            ["epidemiology.lm_risk"],
            [(s,)],
        ),
        factor(
            f"LM-risk trend to {year}",
            (1 + inputs.lm_risk_trend[0, s]) ** trend_offset,
            "ratio",
            ["epidemiology.lm_risk_trend"],
            [(s,)],
        ),
        factor(
            "prevention by a CNS-active therapy",
            1 - uptake * (1 - hr),
            "ratio",
            ["epidemiology.cns_active_peak_share", "epidemiology.prevention_hazard_ratio"],
            [(s,), (s,)],
        ),
        factor(
            "1 / detection of the series' pathway",
            1 / found,
            "ratio",
            [
                "diagnosis.mri_sensitivity",
                "diagnosis.lumbar_puncture_rate",
                "diagnosis.cytology_sensitivity",
            ],
            [(), (), ()],
        ),
    ]
    if metric in ("diagnosed_cases", "treated_cases"):
        factors.append(
            factor(
                "diagnosed (work-up x detection)",
                funnel.diagnosis_rate[0, c, y],
                "proportion",
                ["diagnosis.workup_rate", "diagnosis.liquid_biopsy_peak_share"],
                [(c,), (c,)],
            )
        )
    if metric == "treated_cases":
        factors.append(
            factor(
                "given active therapy",
                inputs.treated_share[0, c],
                "proportion",
                ["treatment.treated_share"],
                [(c,)],
            )
        )
    product = float(np.prod([f.value for f in factors]))
    attribute = {
        "incident_cases": "lm_cases",
        "diagnosed_cases": "diagnosed_cases",
        "treated_cases": "treated_cases",
    }[metric]
    model = float(getattr(funnel, attribute)[0, c, y, s])
    return {
        "metric": metric,
        "country": country,
        "year": year,
        "segment": segment,
        "segment_name": knowledge.display_name("segment", segment),
        "value": model,
        "product_of_factors": product,
        "factors": [asdict(f) for f in factors],
    }
