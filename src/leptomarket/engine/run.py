"""Run the epidemiology model over draws, in chunks, keeping the draws of its outputs."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from leptomarket import __version__
from leptomarket.core.epidemiology import epidemiology_funnel
from leptomarket.engine.epi_inputs import EpiAssembler, epi_parameters
from leptomarket.engine.invariants import check_block
from leptomarket.engine.parallel import map_in_order
from leptomarket.engine.summary import KeptDraws, key_levels, summarise_cube
from leptomarket.knowledge.model import Knowledge
from leptomarket.sampling.sampler import (
    METHODS,
    ParameterDraws,
    build_spec,
    sample_chunks,
)

Progress = Callable[[int], None]

#: Funnel outputs kept per draw, with the names used in stored results.
EPI_METRICS = {
    "incident_cases": "lm_cases",
    "diagnosed_cases": "diagnosed_cases",
    "treated_cases": "treated_cases",
}


@dataclass(frozen=True)
class RunSettings:
    """How a run samples. ``n_draws == 0`` is the deterministic point estimate."""

    n_draws: int = 0
    seed: int = 20260101
    method: str = "mc"
    chunk_size: int = 1024
    scenario: str = "base"
    keep_draws: int = 10000
    workers: int = 2
    #: The run went ahead despite validation warnings (recorded with the run).
    allow_warnings: bool = False

    def __post_init__(self) -> None:
        if self.n_draws < 0:
            raise ValueError(f"draws must be >= 0, got {self.n_draws}")
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}, got {self.method!r}")

    @property
    def sampling_method(self) -> str:
        return "point" if self.n_draws == 0 else self.method

    @property
    def rows(self) -> int:
        return max(self.n_draws, 1)


def run_id(kind: str, knowledge: Knowledge, settings: RunSettings, extra: str = "") -> str:
    """Hash of the inputs, the settings and the package version."""
    digest = hashlib.sha256()
    payload = {
        "kind": kind,
        "indication": knowledge.name,
        "inputs": knowledge.content_hash,
        "settings": asdict(settings) | {"chunk_size": None, "workers": None},
        "version": __version__,
        "extra": extra,
    }
    digest.update(json.dumps(payload, sort_keys=True).encode())
    return digest.hexdigest()[:16]


def segment_groupings(knowledge: Knowledge) -> dict[str, list]:
    """Segment attributes that summaries total over: tumour, and scope where declared
    (solid-tumour LM vs haematological CNS disease)."""
    groupings = {"tumour": knowledge.attribute("segment", "tumour")}
    scope = knowledge.attribute("segment", "scope")
    if all(value is not None for value in scope):
        groupings["scope"] = scope
    return groupings


@dataclass
class EpiResult:
    """Kept draws of the funnel (the first ``keep_draws``), each ``[draw, country, year,
    segment]`` (float32), and exact means over all draws."""

    knowledge: Knowledge
    settings: RunSettings
    kept: KeptDraws
    parameter_names: list[str] = field(default_factory=list)

    @property
    def cubes(self) -> dict[str, np.ndarray]:
        return {name: self.kept.cubes[name] for name in EPI_METRICS}

    @property
    def diagnosis_rate(self) -> np.ndarray:
        """Kept draws of the diagnosis rate, [draw, country, year]."""
        return self.kept.cubes["diagnosis_rate"]

    def summary(self, extra_regions: dict[str, list[str]] | None = None) -> pd.DataFrame:
        """Mean and 5/50/95th percentiles by country/region, year, segment/tumour/total."""
        k = self.knowledge
        levels = key_levels("segment", k.labels("segment"), segment_groupings(k))
        frames = [
            summarise_cube(
                metric,
                cube,
                k.labels("country"),
                {**k.indication.regions, **(extra_regions or {})},
                [int(y) for y in k.years],
                levels,
                mean=self.kept.mean(metric),
            )
            for metric, cube in self.cubes.items()
        ]
        return pd.concat(frames, ignore_index=True)


def run_epidemiology(
    knowledge: Knowledge, settings: RunSettings, progress: Progress | None = None
) -> EpiResult:
    """Sample the epidemiology parameters and run the funnel chunk by chunk."""
    parameters = epi_parameters(knowledge)
    spec = build_spec(parameters)
    draws = ParameterDraws(knowledge, spec)
    assembler = EpiAssembler(knowledge, draws)
    shape = (
        len(knowledge.labels("country")),
        len(knowledge.years),
        len(knowledge.labels("segment")),
    )
    shapes = dict.fromkeys(EPI_METRICS, shape) | {"diagnosis_rate": shape[:2]}
    kept = KeptDraws(shapes, settings.rows, settings.keep_draws)
    chunks = sample_chunks(
        spec, settings.rows, settings.seed, settings.sampling_method, settings.chunk_size
    )
    start = 0
    for outputs in map_in_order(
        lambda values: epidemiology_funnel(assembler.inputs(values)), chunks, settings.workers
    ):
        blocks = {name: getattr(outputs, attribute) for name, attribute in EPI_METRICS.items()}
        check_block({**blocks, "diagnosis_rate": outputs.diagnosis_rate}, start)
        for name, block in blocks.items():
            kept.add(name, block, start)
        kept.add("diagnosis_rate", outputs.diagnosis_rate, start)
        rows = len(outputs.treated_cases)
        start += rows
        if progress is not None:
            progress(rows)
    return EpiResult(knowledge, settings, kept, [p.name for p in parameters])
