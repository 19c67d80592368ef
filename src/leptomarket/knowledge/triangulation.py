"""Independent estimates of a segment's LM risk, beside the one the model uses.

``evidence/lm_risk_triangulation.yaml`` holds, per segment, estimates made by
other methods (the breast-anchored case-mix ratio, population cohorts,
tumour-specific figures for part of a segment) and the reason the model's
method was chosen. The model's own estimate is not stored there: it is
computed from the parameters (``epidemiology.advanced_share`` x
``epidemiology.lm_risk``), so the table cannot drift from the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from leptomarket.errors import InputError
from leptomarket.knowledge.evidence_file import load_evidence_file
from leptomarket.knowledge.model import Issue, Knowledge

TRIANGULATION_FILE = Path("evidence") / "lm_risk_triangulation.yaml"
MODEL_METHOD = "Model (advanced share x LM risk)"


class Estimate(BaseModel):
    """One independent estimate of a segment's LM risk per incident case."""

    model_config = ConfigDict(extra="forbid")

    method: str
    value: float = Field(ge=0, le=1)
    low: float | None = Field(default=None, ge=0, le=1)
    high: float | None = Field(default=None, ge=0, le=1)
    source: list[str] = Field(min_length=1)
    note: str

    @field_validator("source", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value


class SegmentEvidence(BaseModel):
    """The estimates of one segment and why the model's method was chosen."""

    model_config = ConfigDict(extra="forbid")

    model_method: str = Field(description="How the model's own estimate is made.")
    chosen_because: str
    estimates: list[Estimate] = Field(min_length=1)


class TriangulationFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str
    segments: dict[str, SegmentEvidence]


@dataclass(frozen=True)
class TriangulationRow:
    """A row of the triangulation table (readers' names, numbers as numbers)."""

    segment: str
    segment_name: str
    method: str
    value: float
    low: float | None
    high: float | None
    sources: tuple[str, ...]
    chosen: bool
    note: str


def load_triangulation_file(root: Path) -> TriangulationFile | None:
    """The package's triangulation file, or ``None`` when it has none."""
    return load_evidence_file(root / TRIANGULATION_FILE, TriangulationFile)


def _model_risk(knowledge: Knowledge) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Point, low and high LM risk per incident case by segment, from the parameters.

    The range multiplies the two inputs' lows and highs (both lows together is
    a wider range than any draw gives; it is for reading, not sampling).
    """
    parts = [
        knowledge.parameter(n) for n in ("epidemiology.advanced_share", "epidemiology.lm_risk")
    ]
    point = np.prod([p.point() for p in parts], axis=0)
    bounds = []
    for side in ("low", "high"):
        product = np.ones_like(point)
        for parameter in parts:
            rows = [
                getattr(r, side) if getattr(r, side) is not None else r.value
                for r in parameter.rows
            ]
            product = product * np.asarray(rows, dtype=float)[parameter.cell_row]
        bounds.append(product)
    return point, bounds[0], bounds[1]


def triangulation_table(knowledge: Knowledge) -> list[TriangulationRow]:
    """Per segment: the model's LM risk and every independent estimate, model first."""
    spec = load_triangulation_file(knowledge.root)
    if spec is None or "epidemiology.advanced_share" not in knowledge.parameters:
        return []
    point, low, high = _model_risk(knowledge)
    risk = knowledge.parameter("epidemiology.lm_risk")
    shares = knowledge.parameter("epidemiology.advanced_share")
    rows: list[TriangulationRow] = []
    for k, segment in enumerate(knowledge.labels("segment")):
        evidence = spec.segments.get(segment)
        name = knowledge.display_name("segment", segment)
        model_sources = sorted(
            set(shares.sources_of(shares.rows[shares.cell_row[k]]))
            | set(risk.sources_of(risk.rows[risk.cell_row[k]]))
        )
        rows.append(
            TriangulationRow(
                segment,
                name,
                evidence.model_method if evidence else MODEL_METHOD,
                float(point[k]),
                float(low[k]),
                float(high[k]),
                tuple(model_sources),
                True,
                evidence.chosen_because if evidence else "",
            )
        )
        for estimate in evidence.estimates if evidence else []:
            rows.append(
                TriangulationRow(
                    segment,
                    name,
                    estimate.method,
                    estimate.value,
                    estimate.low,
                    estimate.high,
                    tuple(estimate.source),
                    False,
                    estimate.note,
                )
            )
    return rows


def check_triangulation(knowledge: Knowledge) -> list[Issue]:
    """Segments and sources of the triangulation file exist; every segment has a second method."""
    path = str(knowledge.root / TRIANGULATION_FILE)
    try:
        spec = load_triangulation_file(knowledge.root)
    except InputError as exc:
        return [Issue("error", path, exc.field or "(file)", exc.reason, "triangulation")]
    if spec is None:
        return []
    issues = []
    segments = knowledge.labels("segment")
    for segment, evidence in spec.segments.items():
        if segment not in segments:
            issues.append(
                Issue("error", path, f"segments.{segment}", "not a segment label", "triangulation")
            )
        for i, estimate in enumerate(evidence.estimates):
            for key in estimate.source:
                if key not in knowledge.sources:
                    issues.append(
                        Issue(
                            "warning",
                            path,
                            f"segments.{segment}.estimates[{i}].source",
                            f"unknown source key '{key}'",
                            "triangulation",
                        )
                    )
    for segment in segments:
        if segment not in spec.segments:
            issues.append(
                Issue(
                    "warning",
                    path,
                    f"segments.{segment}",
                    "no independent estimate beside the model's",
                    "triangulation",
                )
            )
    return issues
