"""Published estimates to reconcile the model with (never inputs).

``evidence/external_estimates.yaml`` lists market-research figures, company
product sales, claims and inpatient counts, each with its year, region,
unit, source and the model series of the same scope
(``compare: {metric, level, key}`` of the run summary).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from leptomarket.errors import InputError
from leptomarket.knowledge.evidence_file import load_evidence_file
from leptomarket.knowledge.model import Issue, Knowledge

EXTERNAL_FILE = Path("evidence") / "external_estimates.yaml"

Kind = Literal["market_research", "product_sales", "claims", "inpatient", "company_statement"]
Basis = Literal["incident_cases", "diagnosed_cases", "treated_cases"]


class Comparison(BaseModel):
    """The model series with the estimate's scope."""

    model_config = ConfigDict(extra="forbid")

    metric: str
    level: str
    key: str


class ExternalEstimate(BaseModel):
    """One published figure and what it measures."""

    model_config = ConfigDict(extra="forbid")

    key: str
    title: str
    kind: Kind
    year: int = Field(ge=1990, le=2100)
    region: str
    value: float = Field(gt=0, allow_inf_nan=False)
    unit: str
    patients: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    patient_basis: Basis | None = None
    compare: Comparison
    scope: str
    source: str


class ExternalFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str
    estimates: list[ExternalEstimate] = Field(min_length=1)


def load_external_estimates(root: Path) -> list[ExternalEstimate]:
    """The package's external estimates ([] when it has none)."""
    spec = load_evidence_file(root / EXTERNAL_FILE, ExternalFile)
    return [] if spec is None else spec.estimates


def check_external_estimates(knowledge: Knowledge) -> list[Issue]:
    """Each estimate names a known region and source, and a patient basis with its patients."""
    path = str(knowledge.root / EXTERNAL_FILE)
    try:
        estimates = load_external_estimates(knowledge.root)
    except InputError as exc:
        return [Issue("error", path, exc.field or "(file)", exc.reason, "external")]
    places = set(knowledge.labels("country")) | set(knowledge.indication.regions)
    issues = []
    keys = [e.key for e in estimates]
    for i, estimate in enumerate(estimates):
        where = f"estimates[{i}] ({estimate.key})"
        if keys.count(estimate.key) > 1:
            issues.append(Issue("error", path, where, "key used twice", "external"))
        if estimate.region not in places:
            issues.append(
                Issue(
                    "error",
                    path,
                    f"{where}.region",
                    f"unknown region '{estimate.region}'",
                    "external",
                )
            )
        if estimate.source not in knowledge.sources:
            issues.append(
                Issue(
                    "warning",
                    path,
                    f"{where}.source",
                    f"unknown source key '{estimate.source}'",
                    "external",
                )
            )
        if (estimate.patients is None) != (estimate.patient_basis is None):
            issues.append(
                Issue("error", path, where, "give patients and patient_basis together", "external")
            )
    return issues
