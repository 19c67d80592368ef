"""Scenarios: named edits of the base case.

A scenario (``scenarios/NAME.yaml`` in an indication, or any YAML file) has

* ``overrides``: rows added to a parameter file (a row with the same labels
  replaces the existing one), each with a source or an assumption, and an
  optional new ``distribution`` for the parameter;
* ``levers``: intensities of the indication's named drivers and barriers
  (``levers.yaml``). A lever's effects multiply, add to or set parameter
  cells chosen by labels or label attributes; intensity scales the effect
  (multiply: factor ** intensity; add: amount * intensity);
* ``edits``: effects of the same form applied once, outside any lever (e.g.
  setting every pipeline asset's probability of success to 0).

Overrides change what is sampled. Lever effects are applied to the sampled
values, draw by draw, so scenarios share their random numbers with the base
case and their differences show the levers, not sampling noise.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from leptomarket.errors import InputError
from leptomarket.knowledge.domains import domain_text, first_outside, outside_domain
from leptomarket.knowledge.loader import read_yaml
from leptomarket.knowledge.model import Issue, Knowledge, Parameter
from leptomarket.knowledge.schema import DistributionName, ParameterFile, Row

LEVERS_FILE = "levers.yaml"
SCENARIOS_DIR = "scenarios"

#: Label selector: a label, a list of labels, or {attribute: value(s)}.
Selector = str | list[str] | dict[str, str | list[str]]


class Effect(BaseModel):
    """One parameter edit made by a lever."""

    model_config = ConfigDict(extra="forbid")

    parameter: str
    where: dict[str, Selector] = Field(default_factory=dict)
    operation: Literal["multiply", "add", "set"]
    amount: float = Field(allow_inf_nan=False)
    source: list[str] | None = None
    assumption: str | None = None

    @field_validator("source", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _positive_factor(self) -> Effect:
        if self.operation == "multiply" and self.amount <= 0:
            raise ValueError(
                f"a multiply effect needs a positive amount (got {self.amount}): scaling by "
                "zero or a negative number gives impossible values, and intensities would "
                "raise it to fractional powers"
            )
        return self


class Lever(BaseModel):
    """A named market driver or barrier and the parameters it moves."""

    model_config = ConfigDict(extra="forbid")

    name: str
    kind: Literal["driver", "barrier"]
    description: str
    direction: str = Field(description="Documented direction of the effect on outputs.")
    effects: list[Effect] = Field(min_length=1)


class Override(BaseModel):
    """A row added to (or replacing a row of) a parameter file."""

    model_config = ConfigDict(extra="forbid")

    parameter: str
    where: dict[str, str] = Field(default_factory=dict)
    value: float = Field(allow_inf_nan=False)
    low: float | None = Field(default=None, allow_inf_nan=False)
    high: float | None = Field(default=None, allow_inf_nan=False)
    year: int | None = Field(
        default=None, description="Year the value refers to (prices: observation year)."
    )
    distribution: DistributionName | None = None
    source: list[str] | str | None = None
    assumption: str | None = None
    note: str | None = None


class ScenarioFile(BaseModel):
    """A scenario: a description, lever intensities and parameter overrides."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str
    phase_in_years: int = Field(
        default=3, ge=1, le=20, description="Years for lever effects to reach full strength."
    )
    levers: dict[str, float] = Field(default_factory=dict)
    edits: list[Effect] = Field(default_factory=list)
    overrides: list[Override] = Field(default_factory=list)


@dataclass(frozen=True)
class CellEdit:
    """A lever effect resolved to a boolean mask over a parameter's grid."""

    parameter: str
    mask: np.ndarray
    operation: str
    amount: float
    proportion: bool
    unit: str = ""
    file: str = ""
    key: str = ""

    def apply(self, grid: np.ndarray) -> np.ndarray:
        """Apply to sampled values ``[draw, *dims]``; proportions stay within [0, 1].

        Raises
        ------
        InputError
            If the edit takes a value outside its unit's domain (a negative
            price, a change below -100%/yr), naming the lever or edit.
        """
        if self.operation == "multiply":
            edited = grid * self.amount
        elif self.operation == "add":
            edited = grid + self.amount
        else:
            edited = np.full_like(grid, self.amount)
        if self.proportion:
            edited = np.clip(edited, 0.0, 1.0)
        result = np.where(self.mask, edited, grid)
        bad = first_outside(self.unit, result[:, self.mask]) if self.unit else None
        if bad is not None:
            raise InputError(
                self.file,
                self.key,
                f"{self.operation} {self.amount:g} on {self.parameter} gives {bad:g}, "
                f"outside the domain of '{self.unit}' ({domain_text(self.unit)})",
            )
        return result


@dataclass(frozen=True)
class Scenario:
    """A validated scenario ready to apply to an indication."""

    name: str
    description: str
    spec: ScenarioFile
    path: Path | None
    content_hash: str


def _fail(path: Path | str, exc: ValidationError) -> InputError:
    error = exc.errors()[0]
    loc = ".".join(str(p) for p in error["loc"]) or "(file)"
    message = (
        "unknown key (not part of the schema)"
        if error["type"] == "extra_forbidden"
        else error["msg"]
    )
    return InputError(path, loc, message)


def load_levers(knowledge: Knowledge) -> dict[str, Lever]:
    """The indication's named levers (empty when it declares none)."""
    path = knowledge.root / LEVERS_FILE
    if not path.exists():
        return {}
    raw = read_yaml(path) or {}
    if not isinstance(raw, dict):
        raise InputError(path, "(file)", "levers must map lever keys to definitions")
    levers = {}
    for key, entry in raw.items():
        try:
            levers[str(key)] = Lever.model_validate(entry)
        except ValidationError as exc:
            error = _fail(path, exc)
            raise InputError(path, f"{key}.{error.field}", error.reason) from exc
        for j, effect in enumerate(levers[str(key)].effects):
            check_effect(knowledge, effect, path, f"{key}.effects[{j}]")
    return levers


def check_effect(knowledge: Knowledge, effect: Effect, path: Path | str, key: str) -> np.ndarray:
    """An effect must name a known parameter and labels, and carry its provenance."""
    parameter = _parameter(knowledge, effect.parameter, path, key)
    mask = _mask(knowledge, parameter, effect.where, path, key)
    if effect.source is None and effect.assumption is None:
        raise InputError(path, key, "an effect needs a source key or an assumption")
    for source in effect.source or []:
        if source not in knowledge.sources:
            raise InputError(path, f"{key}.source", f"source key '{source}' is not in the sources")
    return mask


def scenario_names(knowledge: Knowledge) -> list[str]:
    """Names of the scenarios bundled with an indication."""
    folder = knowledge.root / SCENARIOS_DIR
    return sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []


def load_scenario(knowledge: Knowledge, name_or_path: str | Path) -> Scenario:
    """Load a bundled scenario by name, or a scenario file by path, and check it.

    Raises
    ------
    InputError
        Naming the file, the key and the reason (unknown parameter, label,
        lever, missing source/assumption...).
    """
    if not str(name_or_path).strip():
        raise InputError(None, "--scenario", "is empty; give a bundled scenario name or a path")
    candidate = Path(name_or_path)
    bundled = knowledge.root / SCENARIOS_DIR / f"{name_or_path}.yaml"
    if candidate.suffix not in (".yaml", ".yml") and len(candidate.parts) == 1 and bundled.exists():
        # A bundled name wins over a same-named file or folder in the working directory.
        path = bundled
    elif candidate.suffix in (".yaml", ".yml") or candidate.exists():
        path = candidate
    else:
        path = knowledge.root / SCENARIOS_DIR / f"{name_or_path}.yaml"
        if not path.exists():
            raise InputError(
                path,
                None,
                f"no scenario '{name_or_path}'; bundled: {', '.join(scenario_names(knowledge))}",
            )
    raw = read_yaml(path)
    try:
        spec = ScenarioFile.model_validate(raw)
    except ValidationError as exc:
        raise _fail(path, exc) from exc
    return scenario_from_spec(knowledge, spec, path)


def scenario_from_spec(knowledge: Knowledge, spec: ScenarioFile, path: Path | str) -> Scenario:
    """A checked scenario from a parsed spec (a file's, or an API request body's).

    ``path`` names where the spec came from in messages; the content hash
    (part of the run id) is of the spec itself.
    """
    check_scenario(knowledge, spec, path)
    digest = hashlib.sha256(json.dumps(spec.model_dump(), sort_keys=True).encode()).hexdigest()
    return Scenario(
        spec.name, spec.description, spec, path if isinstance(path, Path) else None, digest
    )


def base_scenario() -> Scenario:
    """The base case: no overrides, no levers."""
    spec = ScenarioFile(name="base", description="Base case: the sourced inputs as they are.")
    return Scenario("base", spec.description, spec, None, "base")


def select_labels(knowledge: Knowledge, dimension: str, selector: Selector) -> list[str]:
    """Labels of ``dimension`` picked by a label, a list, or ``{attribute: value(s)}``."""
    labels = knowledge.labels(dimension)
    if isinstance(selector, str):
        return [selector]
    if isinstance(selector, list):
        return selector
    chosen = []
    for label in labels:
        attributes = knowledge.indication.dimensions[dimension][label]
        ok = True
        for attribute, wanted in selector.items():
            values = wanted if isinstance(wanted, list) else [wanted]
            if str(attributes.attribute(attribute)) not in values:
                ok = False
        if ok:
            chosen.append(label)
    return chosen


def _mask(
    knowledge: Knowledge,
    parameter: Parameter,
    where: dict[str, Selector],
    path: Path | str,
    key: str,
) -> np.ndarray:
    mask = np.ones(parameter.shape, dtype=bool)
    for dimension, selector in where.items():
        if dimension not in parameter.dims:
            raise InputError(
                path,
                f"{key}.where.{dimension}",
                f"'{parameter.name}' has no dimension '{dimension}'",
            )
        labels = select_labels(knowledge, dimension, selector)
        known = knowledge.labels(dimension)
        unknown = [label for label in labels if label not in known]
        if unknown:
            raise InputError(
                path, f"{key}.where.{dimension}", f"unknown {dimension} label(s) {unknown}"
            )
        if not labels:
            raise InputError(path, f"{key}.where.{dimension}", f"selects no {dimension} label")
        axis = parameter.dims.index(dimension)
        keep = np.isin(np.array(known), labels)
        shape = [1] * len(parameter.dims)
        shape[axis] = len(known)
        mask &= keep.reshape(shape)
    return mask


def _parameter(knowledge: Knowledge, name: str, path: Path | str, key: str) -> Parameter:
    if name not in knowledge.parameters:
        raise InputError(path, f"{key}.parameter", f"unknown parameter '{name}'")
    return knowledge.parameters[name]


def check_scenario(knowledge: Knowledge, spec: ScenarioFile, path: Path | str) -> None:
    """Every lever, parameter, label and provenance a scenario names must exist."""
    levers = load_levers(knowledge)
    for lever, intensity in spec.levers.items():
        if lever not in levers:
            raise InputError(
                path, f"levers.{lever}", f"unknown lever; known: {', '.join(levers) or 'none'}"
            )
        if not -2.0 <= intensity <= 2.0:
            raise InputError(path, f"levers.{lever}", f"intensity {intensity} outside [-2, 2]")
    for j, effect in enumerate(spec.edits):
        check_effect(knowledge, effect, path, f"edits[{j}]")
    for i, override in enumerate(spec.overrides):
        key = f"overrides[{i}]"
        parameter = _parameter(knowledge, override.parameter, path, key)
        _mask(knowledge, parameter, dict(override.where), path, key)
        if override.source is None and override.assumption is None:
            raise InputError(path, key, "an override needs a source key or an assumption")
        for source in (
            [override.source] if isinstance(override.source, str) else override.source or []
        ):
            if source not in knowledge.sources:
                raise InputError(
                    path, f"{key}.source", f"source key '{source}' is not in the sources"
                )


def apply_overrides(knowledge: Knowledge, scenario: Scenario) -> Knowledge:
    """A copy of the knowledge with the scenario's override rows added."""
    from leptomarket.knowledge.loader import resolve_cells
    from leptomarket.sampling.distributions import marginal_or_input_error

    if not scenario.spec.overrides:
        return knowledge
    parameters = dict(knowledge.parameters)
    labels = {dim: knowledge.labels(dim) for dim in knowledge.indication.dimensions}
    path = str(scenario.path)
    for i, override in enumerate(scenario.spec.overrides):
        parameter = parameters[override.parameter]
        if override.year is None and all(row.year is not None for row in parameter.rows):
            raise InputError(
                path,
                f"overrides[{i}].year",
                f"every row of {override.parameter} gives the year its value refers to "
                "(for a price, the year it was observed); add year",
            )
        row_data: dict[str, Any] = {
            "value": override.value,
            "low": override.low,
            "high": override.high,
            "year": override.year,
            "source": override.source,
            "assumption": override.assumption or f"scenario '{scenario.name}' override",
            "note": override.note,
            **override.where,
        }
        new_row = Row.model_validate(row_data)
        for name in ("value", "low", "high"):
            number = getattr(new_row, name)
            problem = None if number is None else outside_domain(parameter.spec.unit, number)
            if problem is not None:
                raise InputError(path, f"overrides[{i}].{name}", f"{override.parameter}: {problem}")
        kept = [r for r in parameter.spec.values if r.labels() != new_row.labels()]
        spec_data = parameter.spec.model_dump()
        spec_data["values"] = [r.model_dump(exclude_none=True) for r in [*kept, new_row]]
        for row, raw in zip([*kept, new_row], spec_data["values"], strict=True):
            raw.update(row.labels())
        if override.distribution is not None:
            spec_data["distribution"] = override.distribution
        spec = ParameterFile.model_validate(spec_data)
        marginal_or_input_error(
            spec.distribution,
            new_row.value,
            new_row.low,
            new_row.high,
            spec.interval,
            path,
            f"overrides[{i}]",
        )
        cell_row, issues = resolve_cells(spec, labels, parameter.file)
        errors = [issue for issue in issues if issue.level == "error"]
        if errors:
            raise InputError(path, f"overrides[{i}]", errors[0].reason)
        parameters[override.parameter] = Parameter(
            name=parameter.name,
            file=parameter.file,
            spec=spec,
            dims=parameter.dims,
            shape=parameter.shape,
            cell_row=cell_row,
            rows=tuple(spec.values),
        )
    return Knowledge(
        name=knowledge.name,
        root=knowledge.root,
        indication=knowledge.indication,
        sources=knowledge.sources,
        parameters=parameters,
        content_hash=knowledge.content_hash,
        issues=knowledge.issues,
    )


def lever_edits(knowledge: Knowledge, scenario: Scenario) -> list[CellEdit]:
    """The scenario's lever effects (scaled by intensity) and edits, as cell masks."""
    levers = load_levers(knowledge) if scenario.spec.levers else {}
    scaled: list[tuple[Effect, float, Path | str, str]] = []
    for name, intensity in scenario.spec.levers.items():
        for j, effect in enumerate(levers[name].effects):
            scaled.append((effect, intensity, knowledge.root / LEVERS_FILE, f"{name}.effects[{j}]"))
    for j, effect in enumerate(scenario.spec.edits):
        scaled.append((effect, 1.0, str(scenario.path), f"edits[{j}]"))
    edits = []
    for effect, intensity, path, key in scaled:
        if intensity == 0:
            continue
        mask = check_effect(knowledge, effect, path, key)
        if effect.operation == "multiply":
            amount = effect.amount**intensity
        elif effect.operation == "add":
            amount = effect.amount * intensity
        else:
            amount = effect.amount
        edits.append(
            CellEdit(
                parameter=effect.parameter,
                mask=mask,
                operation=effect.operation,
                amount=amount,
                proportion=knowledge.parameters[effect.parameter].spec.unit == "proportion",
                unit=knowledge.parameters[effect.parameter].spec.unit,
                file=str(path),
                key=key,
            )
        )
    return edits


def scenario_issues(knowledge: Knowledge) -> list[Issue]:
    """Problems of ``levers.yaml`` and the bundled scenarios, as validation issues.

    Each lever at full intensity and each bundled scenario is loaded and its
    overrides and edits applied to the point values, so anything a forecast
    would refuse (a broken lever, an edit that gives a negative price, an
    override outside its unit's domain) is reported by ``validate``.
    """
    issues: list[Issue] = []

    def report(exc: InputError, check: str) -> None:
        issues.append(Issue("error", exc.file or "", exc.field or "(file)", exc.reason, check))

    try:
        levers = load_levers(knowledge)
    except InputError as exc:
        report(exc, "levers")
        return issues
    trials = [
        (
            f"lever {name}",
            ScenarioFile(name=f"lever_{name}", description="check", levers={name: 1.0}),
            knowledge.root / LEVERS_FILE,
        )
        for name in levers
    ]
    for name in scenario_names(knowledge):
        try:
            scenario = load_scenario(knowledge, name)
        except InputError as exc:
            report(exc, "scenarios")
            continue
        trials.append((f"scenario {name}", scenario.spec, scenario.path))
    for _, spec, path in trials:
        scenario = Scenario(spec.name, spec.description, spec, Path(path), "")
        try:
            edited = apply_overrides(knowledge, scenario)
            for edit in lever_edits(edited, scenario):
                edit.apply(edited.parameter(edit.parameter).point()[None, ...])
        except InputError as exc:
            report(exc, "scenarios")
    return issues
