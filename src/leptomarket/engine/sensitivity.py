"""Sensitivity of a headline output to each parameter: tornado and Sobol indices.

The output is the risk-adjusted drug market (USD/year) of a country or
region in one year. Parameters are the units of analysis: all rows of a
parameter file move together.

* **Tornado** (one at a time): every input at its point value, then one
  parameter at the 5th and at the 95th percentile of its distribution.
* **Sobol' indices** (global): first-order and total indices per parameter
  from Saltelli's sample matrix (``sampling.saltelli``, equal to SALib's)
  and SALib's Jansen estimators (Saltelli et al., Comput Phys Commun 181:259,
  2010; Herman & Usher, JOSS 2017), grouped by parameter, drawn through the
  same unit-hypercube contract as every run. Sobol' indices assume
  independent inputs: rows inside a parameter may be correlated (they form
  one group), parameters are sampled independently.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from SALib.analyze import sobol as sobol_analyze

from leptomarket.engine.epi_inputs import epi_parameters
from leptomarket.engine.forecast import ChunkModel
from leptomarket.engine.market_inputs import (
    market_parameters,
    pipeline_therapies,
    therapy_attribute,
)
from leptomarket.engine.parallel import map_in_order
from leptomarket.knowledge.model import Knowledge
from leptomarket.sampling.saltelli import saltelli_matrix
from leptomarket.sampling.sampler import EVENT, ParameterDraws, SamplingSpec, build_spec

LOW, HIGH = 0.05, 0.95


@dataclass(frozen=True)
class Target:
    """The output studied: risk-adjusted drug market of ``region`` in ``year``."""

    region: str
    year: int


class _Evaluator:
    """Maps unit-hypercube rows to the target output."""

    def __init__(self, knowledge: Knowledge, target: Target) -> None:
        parameters = epi_parameters(knowledge) + market_parameters(knowledge)
        self.spec: SamplingSpec = build_spec(
            parameters, events=tuple(pipeline_therapies(knowledge))
        )
        self.model = ChunkModel(knowledge, ParameterDraws(knowledge, self.spec), point=False)
        self.quantiles = self.spec.quantile_map(n_draws=None)
        countries = knowledge.labels("country")
        members = knowledge.indication.regions.get(target.region, [target.region])
        unknown = [m for m in members if m not in countries]
        if unknown or target.year not in set(int(y) for y in knowledge.years):
            raise ValueError(f"unknown region or year: {target.region}, {target.year}")
        self.country_index = [countries.index(m) for m in members]
        self.year_index = [int(y) for y in knowledge.years].index(target.year)
        self.drug = np.array([m == "drug" for m in therapy_attribute(knowledge, "market")])
        self.groups = [ref.parameter for ref in self.spec.inputs]

    def columns_of(self, parameter: str) -> np.ndarray:
        return np.flatnonzero([name == parameter for name in self.groups])

    def evaluate(self, values: np.ndarray, workers: int = 2) -> np.ndarray:
        """Target output for each row of input values."""
        chunks = (values[i : i + 1024] for i in range(0, len(values), 1024))
        results = map_in_order(self.model.run, chunks, workers)
        out = []
        for outputs in results:
            revenue = outputs["revenue_risk_adjusted"][:, self.country_index, self.year_index]
            out.append(revenue[..., self.drug].sum(axis=(1, 2)))
        return np.concatenate(out)


def tornado(knowledge: Knowledge, target: Target) -> pd.DataFrame:
    """Output at each parameter's 5th and 95th percentile, others at their point values.

    Returns one row per parameter (largest swing first): base, low, high and swing.
    """
    evaluator = _Evaluator(knowledge, target)
    spec = evaluator.spec
    n_inputs = spec.n_inputs
    points = evaluator.quantiles.points()
    at_low = evaluator.quantiles.map(np.full((1, n_inputs), LOW))[0]
    at_high = evaluator.quantiles.map(np.full((1, n_inputs), HIGH))[0]
    names = [name for name in dict.fromkeys(evaluator.groups) if name != EVENT]
    rows = [points]
    for name in names:
        for moved in (at_low, at_high):
            row = points.copy()
            columns = evaluator.columns_of(name)
            row[columns] = moved[columns]
            rows.append(row)
    outputs = evaluator.evaluate(np.array(rows))
    base = outputs[0]
    table = pd.DataFrame(
        {
            "parameter": names,
            "base": base,
            "at_p05": outputs[1::2],
            "at_p95": outputs[2::2],
        }
    )
    table["swing"] = (table["at_p95"] - table["at_p05"]).abs()
    return table.sort_values("swing", ascending=False).reset_index(drop=True)


#: Smallest Sobol' base sample accepted: below it the estimators' noise swamps the
#: indices (negative first-order indices appear with a base of 2).
MIN_SOBOL_BASE = 64


def sobol_indices(
    knowledge: Knowledge, target: Target, n_base: int = 256, seed: int = 20260101
) -> pd.DataFrame:
    """First-order and total Sobol' indices per parameter (SALib, grouped).

    Costs ``n_base * (n_parameters + 2)`` model evaluations; ``n_base`` must
    be a power of 2 of at least :data:`MIN_SOBOL_BASE`. Returns one row per
    parameter (largest total index first) with S1, ST and their 95% bootstrap
    half-widths. Indices are shares of variance, so estimates are clipped to
    [0, 1]; an estimate below 0 is sampling noise around 0 (its half-width says
    how much).
    """
    if n_base < MIN_SOBOL_BASE or n_base & (n_base - 1):
        raise ValueError(f"n_base must be a power of 2 >= {MIN_SOBOL_BASE}, got {n_base}")
    evaluator = _Evaluator(knowledge, target)
    spec = evaluator.spec
    # One SALib variable per uniform column, grouped by the parameter it feeds.
    column_group = {}
    for ref, column in zip(spec.inputs, spec.uniform_column, strict=True):
        column_group.setdefault(int(column), ref.parameter)
    varying = [c for c in range(spec.n_uniform) if column_group[c] != EVENT]
    problem = {
        "num_vars": len(varying),
        "names": [f"u{c}" for c in varying],
        "bounds": [[0.0, 1.0]] * len(varying),
        "groups": [column_group[c] for c in varying],
    }
    # SALib's own sampler fills this matrix element by element (seconds at 300 variables).
    unit_rows = saltelli_matrix(problem["names"], problem["groups"], n_base, seed)
    unit = np.full((len(unit_rows), spec.n_uniform), 0.5)
    unit[:, varying] = np.clip(unit_rows, 1e-9, 1 - 1e-9)
    values = evaluator.quantiles.map(unit[:, spec.uniform_column])
    outputs = evaluator.evaluate(values)
    result = sobol_analyze.analyze(problem, outputs, calc_second_order=False, seed=seed)
    names = list(dict.fromkeys(problem["groups"]))
    table = pd.DataFrame(
        {
            "parameter": names,
            "S1": np.clip(result["S1"], 0.0, 1.0),
            "S1_conf": result["S1_conf"],
            "ST": np.clip(result["ST"], 0.0, 1.0),
            "ST_conf": result["ST_conf"],
        }
    )
    return table.sort_values("ST", ascending=False).reset_index(drop=True)
