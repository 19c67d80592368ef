"""Inputs of the decision views: their own sampled parameters, and what they read from a forecast.

The decision views (rNPV, budget impact, trial feasibility, capacity,
diagnostics and delivery markets) run on the kept draws of a forecast. Their
own parameters (``parameters/decision/*``: trial costs and durations,
finance, procedure costs, trial accrual, population) are sampled with the
same sampler, one draw per kept forecast draw, from a seed derived from the
forecast's, so each result has an interval and is reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from leptomarket.engine.epi_inputs import epi_parameters
from leptomarket.engine.forecast import ForecastResult
from leptomarket.engine.market_inputs import market_parameters, pipeline_therapies
from leptomarket.errors import InputError
from leptomarket.knowledge.model import Knowledge
from leptomarket.sampling.sampler import ParameterDraws, build_spec, sample_chunks
from leptomarket.scenarios.scenario import apply_overrides, lever_edits

DECISION_PREFIX = "decision."
#: Offset of the decision parameters' seed from the forecast's (independent streams).
SEED_OFFSET = 7919
QUANTILES = (0.05, 0.5, 0.95)


@dataclass(frozen=True)
class DecisionDraws:
    """Decision parameters per draw: name (without prefix) -> array ``[draw, *dims]``."""

    values: dict[str, np.ndarray]

    def __getitem__(self, name: str) -> np.ndarray:
        return self.values[name]


def decision_draws(
    knowledge: Knowledge,
    n_draws: int,
    seed: int,
    method: str,
    fixed: dict[str, float] | None = None,
) -> DecisionDraws:
    """Sample every ``decision.*`` parameter ``n_draws`` times (method ``point``: point values).

    ``fixed`` sets a parameter (without prefix) to one value in every draw and
    cell, for CLI options such as ``--discount-rate``.
    """
    parameters = [p for name, p in knowledge.parameters.items() if name.startswith(DECISION_PREFIX)]
    if not parameters:
        raise InputError(
            str(knowledge.root / "parameters" / "decision"),
            "decision.*",
            "the indication has no decision parameters (trial costs, finance, procedure "
            "costs, population); the decision views need them",
        )
    spec = build_spec(parameters)
    values = np.concatenate(
        list(sample_chunks(spec, n_draws, seed + SEED_OFFSET, method, chunk_size=max(n_draws, 1)))
    )
    draws = ParameterDraws(knowledge, spec)
    out = {p.name[len(DECISION_PREFIX) :]: draws.array(values, p.name) for p in parameters}
    for name, value in (fixed or {}).items():
        if name not in out:
            raise InputError("decision parameters", name, "no such decision parameter")
        out[name] = np.full_like(out[name], float(value))
    return DecisionDraws(out)


def launch_outcomes(result: ForecastResult) -> tuple[np.ndarray, np.ndarray]:
    """Per kept draw and pipeline asset: (launched 0/1, probability of success).

    Re-draws the forecast's chance events from its seed (the same unit-hypercube
    rows), so an asset launches in exactly the draws where the forecast counted
    its revenue. In point mode ``launched`` is the probability itself.
    Returns arrays ``[draw, asset]`` in :func:`pipeline_therapies` order.
    """
    settings = result.settings
    knowledge = apply_overrides(result.knowledge, result.scenario)
    spec = build_spec(
        epi_parameters(knowledge) + market_parameters(knowledge),
        events=tuple(pipeline_therapies(knowledge)),
    )
    edits = lever_edits(knowledge, result.scenario)
    draws = ParameterDraws(knowledge, spec, edits)
    rows = result.kept.rows
    blocks, taken = [], 0
    for block in sample_chunks(spec, settings.rows, settings.seed, settings.sampling_method, 4096):
        blocks.append(block[: rows - taken])
        taken += len(blocks[-1])
        if taken >= rows:
            break
    values = np.concatenate(blocks)
    therapies = knowledge.labels("therapy")
    index = [therapies.index(t) for t in pipeline_therapies(knowledge)]
    probability = draws.array(values, "pipeline.probability_of_success")[:, index]
    if settings.sampling_method == "point":
        return probability, probability
    launched = (draws.events(values) < probability).astype(float)
    return launched, probability


def point_of(knowledge: Knowledge, name: str) -> np.ndarray:
    """Point values of a model parameter, with an error naming it if the package lacks it."""
    if name not in knowledge.parameters:
        raise InputError(str(knowledge.root), name, "the decision views need this parameter")
    return knowledge.parameter(name).point()


def interval_frame(samples: np.ndarray, index: pd.DataFrame | None = None) -> pd.DataFrame:
    """Mean and 5/50/95th percentiles over axis 0 of ``samples`` [draw, cell]."""
    samples = np.asarray(samples, dtype=float).reshape(len(samples), -1)
    p05, p50, p95 = np.quantile(samples, QUANTILES, axis=0)
    frame = pd.DataFrame({"mean": samples.mean(axis=0), "p05": p05, "p50": p50, "p95": p95})
    if index is not None:
        frame = pd.concat([index.reset_index(drop=True), frame], axis=1)
    return frame


def country_indices(knowledge: Knowledge, region: str) -> list[int]:
    """Indices of a country or region's member countries; InputError for an unknown name."""
    countries = knowledge.labels("country")
    members = knowledge.indication.regions.get(region, [region])
    unknown = [m for m in members if m not in countries]
    if unknown:
        choices = ", ".join([*countries, *knowledge.indication.regions])
        raise InputError(
            None, "--region", f"{region!r}: unknown country or region; choose from {choices}"
        )
    return [countries.index(m) for m in members]


def year_index(knowledge: Knowledge, year: int, option: str = "--year") -> int:
    years = [int(y) for y in knowledge.years]
    if year not in years:
        raise InputError(None, option, f"{year}: outside the model years {years[0]}-{years[-1]}")
    return years.index(year)
