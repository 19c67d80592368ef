"""Load an indication data package from YAML and resolve its parameters.

Schema problems (YAML syntax, unknown or missing keys, unknown dimensions,
cells no row covers, ambiguous rows) are errors. Numeric cross checks (see
:mod:`leptomarket.knowledge.checks`) are warnings, promoted to errors in
strict mode. Every issue names the file, the key path and the reason.
"""

from __future__ import annotations

import hashlib
import itertools
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from leptomarket.errors import InputError, ValidationFailedError
from leptomarket.knowledge.model import Issue, Knowledge, Parameter
from leptomarket.knowledge.safe_yaml import load_yaml
from leptomarket.knowledge.schema import ROW_FIELDS, IndicationFile, ParameterFile, Source

INDICATION_FILE = "indication.yaml"
SOURCES_FILE = "sources.yaml"
PARAMETERS_DIR = "parameters"


def indication_root(name_or_path: str | Path) -> Path:
    """Folder of an indication: a bundled name (``lm``, ``template``) or a path."""
    candidate = Path(name_or_path)
    if candidate.is_dir():
        return candidate
    bundled = Path(str(resources.files("leptomarket") / "indications" / str(name_or_path)))
    if bundled.is_dir():
        return bundled
    raise InputError(
        str(name_or_path), None, "no such indication: not a folder and not a bundled indication"
    )


def read_yaml(path: Path) -> Any:
    """Parse a YAML file under the safe loader's limits (see :mod:`.safe_yaml`)."""
    return load_yaml(path)


def _pydantic_issues(path: Path, exc: ValidationError, prefix: str = "") -> list[Issue]:
    issues = []
    for error in exc.errors():
        loc = ".".join(str(part) for part in error["loc"])
        key = f"{prefix}.{loc}" if prefix and loc else (prefix or loc or "(file)")
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown key (not part of the schema)"
        issues.append(Issue("error", str(path), key, message))
    return issues


def _content_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.yaml")):
        if not path.is_file():
            continue
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def parameter_name(root: Path, path: Path) -> str:
    """``parameters/epidemiology/lm_risk.yaml`` -> ``epidemiology.lm_risk``."""
    relative = path.relative_to(root / PARAMETERS_DIR).with_suffix("")
    return ".".join(relative.parts)


def resolve_cells(
    spec: ParameterFile, labels: dict[str, list[str]], path: Path
) -> tuple[np.ndarray, list[Issue]]:
    """Assign each grid cell the index of the most specific row covering it.

    A row that leaves a dimension out covers every label of it. Two rows of
    equal specificity covering the same cell are ambiguous unless a more
    specific row overrides that cell. Returns ``(cell_row, issues)``;
    ``cell_row`` holds -1 where no row applies.
    """
    dims = spec.dimensions
    shape = tuple(len(labels[d]) for d in dims)
    cell_row = np.full(shape, -1, dtype=np.int64)
    cell_specificity = np.full(shape, -1, dtype=np.int64)
    clash_specificity = np.full(shape, -1, dtype=np.int64)
    issues: list[Issue] = []
    index_of = {d: {label: i for i, label in enumerate(labels[d])} for d in dims}

    usable: list[tuple[int, int, tuple[Any, ...]]] = []
    for i, row in enumerate(spec.values):
        selector: list[Any] = []
        ok = True
        for d in dims:
            label = row.labels().get(d)
            if label is None:
                selector.append(slice(None))
            elif label in index_of[d]:
                selector.append(index_of[d][label])
            else:
                issues.append(
                    Issue(
                        "warning",
                        str(path),
                        f"values[{i}].{d}",
                        f"unknown {d} label '{label}' (known: {', '.join(labels[d])}); row ignored",
                        "labels",
                    )
                )
                ok = False
        if ok:
            specificity = sum(1 for s in selector if not isinstance(s, slice))
            usable.append((specificity, i, tuple(selector)))

    for specificity, group in itertools.groupby(sorted(usable), key=lambda item: item[0]):
        covered = np.zeros(shape, dtype=np.int64)
        for _, i, selector in group:
            covered[selector] += 1
            cell_row[selector] = i
            cell_specificity[selector] = specificity
        clash_specificity[covered > 1] = specificity
    # A clash matters only where no more specific row overrides it.
    ambiguous = (clash_specificity >= 0) & (clash_specificity == cell_specificity)

    for cell in np.argwhere(np.atleast_1d(ambiguous))[:1]:
        # A parameter without dimensions has one cell (atleast_1d gives it an index).
        where = (
            ", ".join(f"{d}={labels[d][k]}" for d, k in zip(dims, cell, strict=True))
            if dims
            else "the parameter's one value"
        )
        issues.append(
            Issue("error", str(path), "values", f"two rows of equal specificity cover ({where})")
        )
    missing = np.argwhere(np.atleast_1d(cell_row < 0))
    if len(missing):
        examples = []
        for cell in missing[:3]:
            examples.append(
                "("
                + ", ".join(f"{d}={labels[d][k]}" for d, k in zip(dims, cell, strict=True))
                + ")"
            )
        issues.append(
            Issue(
                "error",
                str(path),
                "values",
                f"no row gives a value for {len(missing)} cell(s), e.g. {'; '.join(examples)}",
            )
        )
    return cell_row, issues


def _load_parameter(
    root: Path, path: Path, labels: dict[str, list[str]]
) -> tuple[Parameter | None, list[Issue]]:
    try:
        raw = read_yaml(path)
    except InputError as exc:
        return None, [Issue("error", str(path), exc.field or "(file)", exc.reason)]
    if not isinstance(raw, dict):
        return None, [Issue("error", str(path), "(file)", "a parameter file must be a mapping")]
    try:
        spec = ParameterFile.model_validate(raw)
    except ValidationError as exc:
        return None, _pydantic_issues(path, exc)

    issues: list[Issue] = []
    unknown_dims = [d for d in spec.dimensions if d not in labels]
    if unknown_dims:
        issues.append(
            Issue(
                "error",
                str(path),
                "dimensions",
                f"unknown dimension(s) {unknown_dims}; known: {sorted(labels)}",
            )
        )
        return None, issues
    for i, row in enumerate(spec.values):
        for key in row.labels():
            if key not in spec.dimensions:
                issues.append(
                    Issue(
                        "error",
                        str(path),
                        f"values[{i}].{key}",
                        f"unknown key: not a row field ({', '.join(sorted(ROW_FIELDS))}) "
                        f"nor a dimension of this parameter ({', '.join(spec.dimensions) or '-'})",
                    )
                )
        if (
            row.source is None
            and row.assumption is None
            and not spec.source
            and not spec.assumption
        ):
            issues.append(
                Issue(
                    "error",
                    str(path),
                    f"values[{i}]",
                    "has neither a source key nor an assumption with its reasoning",
                    "provenance",
                )
            )
    if any(issue.level == "error" for issue in issues):
        return None, issues

    cell_row, cell_issues = resolve_cells(spec, labels, path)
    issues.extend(cell_issues)
    if any(issue.level == "error" for issue in cell_issues):
        return None, issues
    parameter = Parameter(
        name=parameter_name(root, path),
        file=path,
        spec=spec,
        dims=tuple(spec.dimensions),
        shape=cell_row.shape,
        cell_row=cell_row,
        rows=tuple(spec.values),
    )
    return parameter, issues


def load_sources(path: Path) -> tuple[dict[str, Source], list[Issue]]:
    try:
        raw = read_yaml(path) or {}
    except InputError as exc:
        return {}, [Issue("error", str(path), exc.field or "(file)", exc.reason)]
    if not isinstance(raw, dict):
        return {}, [Issue("error", str(path), "(file)", "sources must map keys to entries")]
    sources: dict[str, Source] = {}
    issues: list[Issue] = []
    for key, entry in raw.items():
        try:
            sources[str(key)] = Source.model_validate(entry)
        except ValidationError as exc:
            issues.extend(_pydantic_issues(path, exc, prefix=str(key)))
    return sources, issues


def collect(name_or_path: str | Path) -> tuple[Knowledge | None, list[Issue]]:
    """Load an indication and return it with every issue found (never raises on data)."""
    from leptomarket.knowledge.checks import cross_check

    root = indication_root(name_or_path)
    indication_path = root / INDICATION_FILE
    try:
        raw = read_yaml(indication_path)
    except InputError as exc:
        return None, [Issue("error", str(indication_path), exc.field or "(file)", exc.reason)]
    try:
        indication = IndicationFile.model_validate(raw)
    except ValidationError as exc:
        return None, _pydantic_issues(indication_path, exc)

    labels = {dim: list(values) for dim, values in indication.dimensions.items()}
    sources: dict = {}
    issues: list[Issue] = []
    for path in [root / SOURCES_FILE, *sorted((root / "sources").glob("*.yaml"))]:
        if not path.exists():
            continue
        more, more_issues = load_sources(path)
        issues.extend(more_issues)
        for key in more.keys() & sources.keys():
            issues.append(Issue("error", str(path), key, "source key defined twice"))
        sources.update(more)
    parameters: dict[str, Parameter] = {}
    for path in sorted((root / PARAMETERS_DIR).rglob("*.yaml")):
        parameter, parameter_issues = _load_parameter(root, path, labels)
        issues.extend(parameter_issues)
        if parameter is not None:
            parameters[parameter.name] = parameter

    knowledge = Knowledge(
        name=indication.name,
        root=root,
        indication=indication,
        sources=sources,
        parameters=parameters,
        content_hash=_content_hash(root),
    )
    issues.extend(cross_check(knowledge))
    return knowledge, issues


def load_indication(name_or_path: str | Path = "lm", *, strict: bool = False) -> Knowledge:
    """Load and check an indication; raise on errors (and on warnings when ``strict``).

    Raises
    ------
    ValidationFailedError
        Listing every issue, each naming file, key and reason.
    """
    knowledge, issues = collect(name_or_path)
    failing = [i for i in issues if i.level == "error" or strict]
    if failing or knowledge is None:
        raise ValidationFailedError(failing or issues)
    return Knowledge(
        name=knowledge.name,
        root=knowledge.root,
        indication=knowledge.indication,
        sources=knowledge.sources,
        parameters=knowledge.parameters,
        content_hash=knowledge.content_hash,
        issues=tuple(issues),
    )


def load_for_run(name_or_path: str | Path, allow_warnings: bool = False) -> Knowledge:
    """Load an indication for a run: validation warnings block it unless allowed.

    Warnings (shares not summing to 1, unknown labels or sources, unpriced
    patients) change results, so every face that computes (CLI commands, the
    API) refuses them unless ``allow_warnings`` (``--allow-warnings``).

    Raises
    ------
    InputError
        Listing the first warnings and the option that allows them.
    """
    knowledge = load_indication(name_or_path)
    warnings = [issue for issue in knowledge.issues if issue.level == "warning"]
    if warnings and not allow_warnings:
        listed = "; ".join(str(issue) for issue in warnings[:5])
        more = f" (and {len(warnings) - 5} more)" if len(warnings) > 5 else ""
        raise InputError(
            None,
            "--allow-warnings",
            f"{len(warnings)} validation warning(s) would change the results: {listed}{more}. "
            "Fix them (leptomarket validate) or pass --allow-warnings to run anyway",
        )
    return knowledge
