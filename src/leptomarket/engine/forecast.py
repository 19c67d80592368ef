"""Run the full forecast (epidemiology funnel, then market) over draws, in chunks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from leptomarket.core.epidemiology import epidemiology_funnel
from leptomarket.core.market import market_models
from leptomarket.engine.epi_inputs import EpiAssembler, epi_parameters
from leptomarket.engine.invariants import check_block
from leptomarket.engine.market_inputs import (
    MarketAssembler,
    market_parameters,
    pipeline_therapies,
    therapy_attribute,
)
from leptomarket.engine.parallel import map_in_order
from leptomarket.engine.run import EPI_METRICS, Progress, RunSettings, segment_groupings
from leptomarket.engine.summary import KeptDraws, key_levels, summarise_cube
from leptomarket.knowledge.model import Knowledge
from leptomarket.sampling.sampler import ParameterDraws, build_spec, sample_chunks
from leptomarket.scenarios.scenario import Scenario, apply_overrides, base_scenario, lever_edits

#: The market model holds [draw, country, year, pair] blocks; keep chunks small.
MARKET_CHUNK = 1024
MARKET_METRICS = ("patients", "revenue", "revenue_risk_adjusted")
#: Drug-market revenue by the segment its patients come from, [draw, country, year, segment].
SEGMENT_MARKET_METRICS = ("drug_revenue_by_segment",)


@dataclass
class ForecastResult:
    """Kept draws: funnel cubes ``[draw, country, year, segment]`` and market cubes
    ``[draw, country, year, therapy]`` (float32)."""

    knowledge: Knowledge
    settings: RunSettings
    scenario: Scenario
    kept: KeptDraws

    @property
    def epi(self) -> dict[str, np.ndarray]:
        return {name: self.kept.cubes[name] for name in EPI_METRICS}

    @property
    def market(self) -> dict[str, np.ndarray]:
        return {name: self.kept.cubes[name] for name in MARKET_METRICS}

    @property
    def segment_market(self) -> dict[str, np.ndarray]:
        return {name: self.kept.cubes[name] for name in SEGMENT_MARKET_METRICS}

    def therapy_levels(self, metric: str) -> list:
        k = self.knowledge
        groupings = {
            "class": therapy_attribute(k, "class"),
            "company": therapy_attribute(k, "company"),
            "group": therapy_attribute(k, "group"),
        }
        if metric != "patients":
            groupings["market"] = therapy_attribute(k, "market")
        return key_levels("therapy", k.labels("therapy"), groupings, total=False)

    def summary(self, extra_regions: dict[str, list[str]] | None = None) -> pd.DataFrame:
        """Mean and 5/50/95th percentiles of every funnel and market metric."""
        k = self.knowledge
        regions = {**k.indication.regions, **(extra_regions or {})}
        years = [int(y) for y in k.years]
        segment_levels = key_levels("segment", k.labels("segment"), segment_groupings(k))
        countries = k.labels("country")
        frames = [
            summarise_cube(
                metric, cube, countries, regions, years, segment_levels, self.kept.mean(metric)
            )
            for metric, cube in {**self.epi, **self.segment_market}.items()
        ]
        for metric, cube in self.market.items():
            levels = self.therapy_levels(metric)
            frames.append(
                summarise_cube(
                    metric, cube, countries, regions, years, levels, self.kept.mean(metric)
                )
            )
        return pd.concat(frames, ignore_index=True)


def phase_in(years: np.ndarray, start_year: int, phase_in_years: int) -> np.ndarray:
    """Weight of a scenario's lever effects by year: 0 before ``start_year``, rising
    linearly to 1 over ``phase_in_years`` (1 = full effect from the start year)."""
    return np.clip((years - start_year + 1) / max(phase_in_years, 1), 0.0, 1.0)


def blend(base: np.ndarray, edited: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """``base + weight[year] * (edited - base)`` for arrays ``[draw, country, year, ...]``."""
    w = weight.reshape(1, 1, -1, *([1] * (base.ndim - 3)))
    return base + w * (edited - base)


class ChunkModel:
    """Funnel and market for one set of parameter draws."""

    def __init__(
        self,
        knowledge: Knowledge,
        draws: ParameterDraws,
        point: bool,
        base_draws: ParameterDraws | None = None,
    ) -> None:
        self.epi = EpiAssembler(knowledge, draws, series_draws=base_draws)
        self.market = MarketAssembler(knowledge, draws)
        self.point = point

    def run(self, values: np.ndarray) -> dict[str, np.ndarray]:
        funnel = epidemiology_funnel(self.epi.inputs(values))
        inputs = self.market.inputs(values, funnel, point=self.point)
        expected_success = self.market.success(values, risk_adjusted=True, point=self.point)
        expected_success = expected_success.astype(inputs.success.dtype)
        drawn, expected = market_models(inputs, [inputs.success, expected_success])
        outputs = {name: getattr(funnel, attribute) for name, attribute in EPI_METRICS.items()}
        outputs["patients"] = drawn.patients
        outputs["revenue"] = drawn.revenue
        outputs["revenue_risk_adjusted"] = expected.revenue
        outputs["drug_revenue_by_segment"] = drawn.segment_revenue
        return outputs


def run_forecast(
    knowledge: Knowledge,
    settings: RunSettings,
    scenario: Scenario | None = None,
    progress: Progress | None = None,
) -> ForecastResult:
    """Sample every parameter, run the funnel and the market model chunk by chunk.

    A scenario's overrides change what is sampled, for every year. Its lever
    effects (and edits) are applied to the sampled values and phase in from
    the indication's forecast start (``forecast_start``, over the scenario's
    ``phase_in_years``): years before it keep the base case, so a scenario
    changes the future, not the past. Every scenario run with the same seed
    shares its random numbers with the base case.
    """
    scenario = scenario or base_scenario()
    knowledge = apply_overrides(knowledge, scenario)
    parameters = epi_parameters(knowledge) + market_parameters(knowledge)
    spec = build_spec(parameters, events=tuple(pipeline_therapies(knowledge)))
    point = settings.sampling_method == "point"
    edits = lever_edits(knowledge, scenario)
    base_draws = ParameterDraws(knowledge, spec)
    base_model = ChunkModel(knowledge, base_draws, point)
    edited_model = (
        ChunkModel(knowledge, ParameterDraws(knowledge, spec, edits), point, base_draws)
        if edits
        else None
    )
    start_year = knowledge.indication.forecast_start or int(knowledge.years[0])
    weight = phase_in(knowledge.years, start_year, scenario.spec.phase_in_years)

    n = settings.rows
    countries, years = len(knowledge.labels("country")), len(knowledge.years)
    shapes = dict.fromkeys(EPI_METRICS, (countries, years, len(knowledge.labels("segment"))))
    shapes |= dict.fromkeys(MARKET_METRICS, (countries, years, len(knowledge.labels("therapy"))))
    shapes |= dict.fromkeys(
        SEGMENT_MARKET_METRICS, (countries, years, len(knowledge.labels("segment")))
    )
    kept = KeptDraws(shapes, n, settings.keep_draws)

    def run_chunk(values: np.ndarray) -> dict[str, np.ndarray]:
        outputs = base_model.run(values)
        if edited_model is None:
            return outputs
        edited = edited_model.run(values)
        return {name: blend(outputs[name], edited[name], weight) for name in outputs}

    chunk = min(settings.chunk_size, MARKET_CHUNK)
    chunks = sample_chunks(spec, n, settings.seed, settings.sampling_method, chunk)
    start = 0
    for outputs in map_in_order(run_chunk, chunks, settings.workers):
        check_block(outputs, start)
        rows = len(next(iter(outputs.values())))
        for name, block in outputs.items():
            kept.add(name, block, start)
        start += rows
        if progress is not None:
            progress(rows)
    return ForecastResult(knowledge, settings, scenario, kept)
