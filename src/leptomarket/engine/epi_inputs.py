"""Assemble the epidemiology core's arrays from an indication's sampled parameters.

This is the one place that knows which parameter file feeds which argument
of :func:`leptomarket.core.epidemiology.epidemiology_funnel`.
"""

from __future__ import annotations

import numpy as np

from leptomarket.core.epidemiology import EpiInputs, series_detection
from leptomarket.errors import InputError
from leptomarket.knowledge.model import Knowledge, Parameter
from leptomarket.sampling.sampler import ParameterDraws

#: Parameter name -> dimensions the core expects (after the draw axis).
EPI_PARAMETERS: dict[str, tuple[str, ...]] = {
    "epidemiology.incidence": ("country", "tumour"),
    "epidemiology.incidence_trend": ("country", "tumour"),
    "epidemiology.subtype_share": ("country", "segment"),
    "epidemiology.advanced_share": ("segment",),
    "epidemiology.lm_risk": ("segment",),
    "epidemiology.lm_risk_trend": ("segment",),
    "epidemiology.cns_active_peak_share": ("segment",),
    "epidemiology.cns_active_midpoint_year": ("segment",),
    "epidemiology.cns_active_steepness": (),
    "epidemiology.prevention_hazard_ratio": ("segment",),
    "diagnosis.workup_rate": ("country",),
    "diagnosis.mri_sensitivity": (),
    "diagnosis.lumbar_puncture_rate": (),
    "diagnosis.cytology_sensitivity": (),
    "diagnosis.liquid_biopsy_sensitivity": (),
    "diagnosis.liquid_biopsy_peak_share": ("country",),
    "diagnosis.liquid_biopsy_midpoint_year": ("country",),
    "diagnosis.liquid_biopsy_steepness": (),
    "treatment.treated_share": ("country",),
}


def required_parameters(
    knowledge: Knowledge, required: dict[str, tuple[str, ...]], what: str
) -> list[Parameter]:
    """The named parameters of an indication, checked for the dimensions the model needs."""
    parameters = []
    for name, dims in required.items():
        if name not in knowledge.parameters:
            raise InputError(
                knowledge.root / "parameters", name, f"required {what} parameter is missing"
            )
        parameter = knowledge.parameters[name]
        if parameter.dims != dims:
            raise InputError(
                parameter.file,
                "dimensions",
                f"the model needs dimensions {list(dims)}, "
                f"the file declares {list(parameter.dims)}",
            )
        parameters.append(parameter)
    return parameters


def epi_parameters(knowledge: Knowledge) -> list[Parameter]:
    """The epidemiology parameters of an indication."""
    return required_parameters(knowledge, EPI_PARAMETERS, "epidemiology")


def reference_years(parameter: Parameter) -> np.ndarray:
    """Reference year of every cell of a parameter (each row must give ``year``)."""
    years = parameter.row_reference_years()
    missing = [i for i in np.unique(parameter.cell_row) if years[i] < 0]
    if missing:
        raise InputError(
            parameter.file, f"values[{int(missing[0])}].year", "needs the year the value refers to"
        )
    return years[parameter.cell_row]


def segment_tumour_index(knowledge: Knowledge) -> np.ndarray:
    """Index on the tumour axis of each segment's ``tumour`` attribute."""
    tumours = knowledge.labels("tumour")
    index = []
    for segment, tumour in zip(
        knowledge.labels("segment"), knowledge.attribute("segment", "tumour"), strict=True
    ):
        if tumour not in tumours:
            raise InputError(
                knowledge.root / "indication.yaml",
                f"dimensions.segment.{segment}.tumour",
                f"'{tumour}' is not a tumour label ({', '.join(tumours)})",
            )
        index.append(tumours.index(tumour))
    return np.array(index, dtype=np.int64)


class EpiAssembler:
    """Builds :class:`EpiInputs` for blocks of sampled values.

    ``series_draws`` (default ``draws``) gives the MRI, lumbar puncture and
    cytology values that describe the LM risks' source series: a scenario that
    edits practice passes the unedited draws, so its edits change diagnosis,
    not the number of LM cases.
    """

    def __init__(
        self,
        knowledge: Knowledge,
        draws: ParameterDraws,
        series_draws: ParameterDraws | None = None,
    ) -> None:
        self.knowledge = knowledge
        self.draws = draws
        self.series_draws = series_draws or draws
        self.years = knowledge.years
        self.reference_year = reference_years(knowledge.parameter("epidemiology.incidence"))
        trend = knowledge.parameter("epidemiology.lm_risk_trend")
        trend_years = np.unique(reference_years(trend))
        if len(trend_years) != 1:
            raise InputError(
                trend.file,
                "values[].year",
                "every row needs the same reference year (the year the LM risks describe), "
                f"found {', '.join(str(int(y)) for y in trend_years)}",
            )
        self.lm_risk_reference_year = int(trend_years[0])
        self.segment_tumour = segment_tumour_index(knowledge)

    def series_detection(self, values: np.ndarray) -> np.ndarray:
        get = self.series_draws.array
        return series_detection(
            get(values, "diagnosis.mri_sensitivity"),
            get(values, "diagnosis.lumbar_puncture_rate"),
            get(values, "diagnosis.cytology_sensitivity"),
        )

    def inputs(self, values: np.ndarray) -> EpiInputs:
        get = self.draws.array
        return EpiInputs(
            base_cases=get(values, "epidemiology.incidence"),
            annual_trend=get(values, "epidemiology.incidence_trend"),
            reference_year=self.reference_year,
            subtype_share=get(values, "epidemiology.subtype_share"),
            segment_tumour=self.segment_tumour,
            advanced_share=get(values, "epidemiology.advanced_share"),
            lm_risk=get(values, "epidemiology.lm_risk"),
            lm_risk_trend=get(values, "epidemiology.lm_risk_trend"),
            lm_risk_reference_year=self.lm_risk_reference_year,
            cns_active_peak_share=get(values, "epidemiology.cns_active_peak_share"),
            cns_active_midpoint_year=get(values, "epidemiology.cns_active_midpoint_year"),
            cns_active_steepness=get(values, "epidemiology.cns_active_steepness"),
            prevention_hazard_ratio=get(values, "epidemiology.prevention_hazard_ratio"),
            workup_rate=get(values, "diagnosis.workup_rate"),
            mri_sensitivity=get(values, "diagnosis.mri_sensitivity"),
            lumbar_puncture_rate=get(values, "diagnosis.lumbar_puncture_rate"),
            cytology_sensitivity=get(values, "diagnosis.cytology_sensitivity"),
            liquid_biopsy_sensitivity=get(values, "diagnosis.liquid_biopsy_sensitivity"),
            liquid_biopsy_peak_share=get(values, "diagnosis.liquid_biopsy_peak_share"),
            liquid_biopsy_midpoint_year=get(values, "diagnosis.liquid_biopsy_midpoint_year"),
            liquid_biopsy_steepness=get(values, "diagnosis.liquid_biopsy_steepness"),
            treated_share=get(values, "treatment.treated_share"),
            years=self.years,
            series_detection=self.series_detection(values),
        )
