"""Run the full forecast (epidemiology funnel, then market) over draws, in chunks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from leptomarket.core.epidemiology import epidemiology_funnel
from leptomarket.core.market import market_model
from leptomarket.engine.epi_inputs import EpiAssembler, epi_parameters
from leptomarket.engine.market_inputs import (
    MarketAssembler,
    market_parameters,
    pipeline_therapies,
    therapy_attribute,
)
from leptomarket.engine.run import EPI_METRICS, Progress, RunSettings
from leptomarket.engine.summary import key_levels, summarise_cube
from leptomarket.knowledge.model import Knowledge
from leptomarket.sampling.sampler import ParameterDraws, build_spec, sample_chunks
from leptomarket.scenarios.scenario import Scenario, apply_overrides, base_scenario, lever_edits

#: The market model holds [draw, country, year, pair] blocks; keep chunks small.
MARKET_CHUNK = 1024
MARKET_METRICS = ("patients", "revenue", "revenue_risk_adjusted")


@dataclass
class ForecastResult:
    """Kept draws: funnel cubes ``[draw, country, year, segment]`` and market cubes
    ``[draw, country, year, therapy]`` (float32)."""

    knowledge: Knowledge
    settings: RunSettings
    scenario: Scenario
    epi: dict[str, np.ndarray]
    market: dict[str, np.ndarray]

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
        segment_levels = key_levels(
            "segment", k.labels("segment"), {"tumour": k.attribute("segment", "tumour")}
        )
        frames = [
            summarise_cube(metric, cube, k.labels("country"), regions, years, segment_levels)
            for metric, cube in self.epi.items()
        ]
        for metric, cube in self.market.items():
            frames.append(
                summarise_cube(
                    metric, cube, k.labels("country"), regions, years, self.therapy_levels(metric)
                )
            )
        return pd.concat(frames, ignore_index=True)


def run_forecast(
    knowledge: Knowledge,
    settings: RunSettings,
    scenario: Scenario | None = None,
    progress: Progress | None = None,
) -> ForecastResult:
    """Sample every parameter, run the funnel and the market model chunk by chunk.

    A scenario's overrides change what is sampled; its lever effects are
    applied to the sampled values, so every scenario run with the same seed
    shares its random numbers with the base case.
    """
    scenario = scenario or base_scenario()
    knowledge = apply_overrides(knowledge, scenario)
    parameters = epi_parameters(knowledge) + market_parameters(knowledge)
    spec = build_spec(parameters, events=tuple(pipeline_therapies(knowledge)))
    draws = ParameterDraws(knowledge, spec, lever_edits(knowledge, scenario))
    epi_assembler = EpiAssembler(knowledge, draws)
    market_assembler = MarketAssembler(knowledge, draws)
    n = settings.rows
    countries, years = len(knowledge.labels("country")), len(knowledge.years)
    epi = {
        name: np.empty((n, countries, years, len(knowledge.labels("segment"))), np.float32)
        for name in EPI_METRICS
    }
    market = {
        name: np.empty((n, countries, years, len(knowledge.labels("therapy"))), np.float32)
        for name in MARKET_METRICS
    }
    point = settings.sampling_method == "point"
    start = 0
    chunk = min(settings.chunk_size, MARKET_CHUNK)
    for values in sample_chunks(spec, n, settings.seed, settings.sampling_method, chunk):
        funnel = epidemiology_funnel(epi_assembler.inputs(values))
        drawn = market_model(market_assembler.inputs(values, funnel, point=point))
        expected = market_model(market_assembler.inputs(values, funnel, risk_adjusted=True))
        stop = start + len(values)
        for name, attribute in EPI_METRICS.items():
            epi[name][start:stop] = getattr(funnel, attribute)
        market["patients"][start:stop] = drawn.patients
        market["revenue"][start:stop] = drawn.revenue
        market["revenue_risk_adjusted"][start:stop] = expected.revenue
        start = stop
        if progress is not None:
            progress(len(values))
    return ForecastResult(knowledge, settings, scenario, epi, market)
