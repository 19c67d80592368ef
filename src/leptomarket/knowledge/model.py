"""Typed, resolved knowledge: dimensions, sources and parameters of one indication."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from leptomarket.knowledge.schema import IndicationFile, ParameterFile, Row, Source


@dataclass(frozen=True)
class Issue:
    """A problem found while loading or checking an indication package."""

    level: Literal["error", "warning"]
    file: str
    field: str
    reason: str
    check: str = "schema"

    def __str__(self) -> str:
        return f"{self.level}: {self.file}: {self.field}: {self.reason} [{self.check}]"


@dataclass(frozen=True)
class Parameter:
    """A parameter with its rows resolved onto the full grid of its dimensions.

    ``cell_row[i, j, ...]`` is the index of the row that gives the cell its
    value, so ``row_values[cell_row]`` materialises the grid. Rows are the
    units of uncertainty: one sampled number per row, shared by every cell
    the row covers.
    """

    name: str
    file: Path
    spec: ParameterFile
    dims: tuple[str, ...]
    shape: tuple[int, ...]
    cell_row: np.ndarray
    rows: tuple[Row, ...]

    @property
    def row_values(self) -> np.ndarray:
        return np.array([row.value for row in self.rows], dtype=float)

    def point(self) -> np.ndarray:
        """Point values on the grid, shape ``self.shape``."""
        return self.row_values[self.cell_row]

    def row_reference_years(self) -> np.ndarray:
        """Reference year per row (``-1`` where a row gives none)."""
        return np.array([-1 if r.year is None else r.year for r in self.rows], dtype=int)

    def sources_of(self, row: Row) -> list[str]:
        return row.source if row.source is not None else (self.spec.source or [])

    def assumption_of(self, row: Row) -> str | None:
        return row.assumption if row.assumption is not None else self.spec.assumption

    def used_source_keys(self) -> set[str]:
        keys: set[str] = set()
        for index in np.unique(self.cell_row):
            keys.update(self.sources_of(self.rows[int(index)]))
        return keys


@dataclass(frozen=True)
class Knowledge:
    """An indication's validated inputs."""

    name: str
    root: Path
    indication: IndicationFile
    sources: dict[str, Source]
    parameters: dict[str, Parameter]
    content_hash: str
    issues: tuple[Issue, ...] = field(default=())

    @property
    def years(self) -> np.ndarray:
        start, end = self.indication.years
        return np.arange(start, end + 1)

    def labels(self, dimension: str) -> list[str]:
        """Ordered labels of a dimension ("year" gives the model years as strings)."""
        if dimension == "year":
            return [str(y) for y in self.years]
        return list(self.indication.dimensions[dimension])

    def attribute(self, dimension: str, attribute: str) -> list[object]:
        """Attribute of each label of ``dimension`` in label order (None where absent)."""
        return [
            label.attribute(attribute) for label in self.indication.dimensions[dimension].values()
        ]

    def display_name(self, dimension: str, label: str) -> str:
        return self.indication.dimensions[dimension][label].name

    def parameter(self, name: str) -> Parameter:
        try:
            return self.parameters[name]
        except KeyError:
            raise KeyError(f"indication '{self.name}' has no parameter '{name}'") from None
