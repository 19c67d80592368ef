"""One sampling contract for every method: ``sample(spec, n_draws, seed, method)``.

Draws are made in the unit hypercube (Monte Carlo, Latin hypercube or
scrambled Sobol' from :mod:`scipy.stats.qmc`) and mapped through each input's
inverse CDF, the contract of SALib (Herman & Usher, JOSS 2017). Seeds are an
int or a :class:`numpy.random.Generator`, never global state. ``point`` mode
returns the point values.

Inputs are the *rows* of parameter files: one uncertain number per sourced
row, shared by every grid cell the row covers. Rows of a parameter declared
``correlation: shared`` share one uniform column (they move together);
rows of a ``correlation: by_source`` parameter share a column with the rows
that cite the same set of sources (one uncertain source moves them all).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
from scipy.stats import qmc

from leptomarket.knowledge.model import Knowledge, Parameter
from leptomarket.knowledge.schema import group_keys
from leptomarket.sampling.distributions import Marginal, QuantileMap, marginal_or_input_error

if TYPE_CHECKING:
    from leptomarket.scenarios.scenario import CellEdit

Method = Literal["mc", "lhs", "sobol", "point"]
Seed = int | np.random.Generator | None
METHODS: tuple[str, ...] = ("mc", "lhs", "sobol", "point")


@dataclass(frozen=True)
class InputRef:
    """Which row of which parameter an input column is."""

    parameter: str
    row: int


@dataclass(frozen=True)
class SamplingSpec:
    """The uncertain inputs of a model run and how they are drawn."""

    inputs: tuple[InputRef, ...]
    marginals: tuple[Marginal, ...]
    uniform_column: np.ndarray
    n_uniform: int

    @property
    def n_inputs(self) -> int:
        return len(self.inputs)

    def quantile_map(self, n_draws: int | None = None) -> QuantileMap:
        return QuantileMap(list(self.marginals), n_draws)


EVENT = "event"


def build_spec(parameters: list[Parameter], events: tuple[str, ...] = ()) -> SamplingSpec:
    """Sampling spec for the rows of ``parameters`` (rows no cell uses are left out).

    ``events`` names chance events (e.g. a pipeline asset's success); each gets
    a uniform(0, 1) input ``InputRef("event", k)`` so that an event with
    probability p happens in a draw when its input is below p.
    """
    inputs: list[InputRef] = []
    marginals: list[Marginal] = []
    columns: list[int] = []
    next_column = 0
    for k, _ in enumerate(events):
        inputs.append(InputRef(EVENT, k))
        marginals.append(Marginal("uniform", 0.5, (0.0, 1.0)))
        columns.append(next_column)
        next_column += 1
    for parameter in parameters:
        shared_columns: dict[object, int] = {}
        for row_index in sorted(int(i) for i in np.unique(parameter.cell_row)):
            row = parameter.rows[row_index]
            family = parameter.spec.distribution
            marginal = marginal_or_input_error(
                family,
                row.value,
                row.low,
                row.high,
                parameter.spec.interval,
                str(parameter.file),
                f"values[{row_index}]",
            )
            inputs.append(InputRef(parameter.name, row_index))
            marginals.append(marginal)
            group = correlation_group(parameter, row_index)
            if group is None:
                columns.append(next_column)
                next_column += 1
                continue
            if group not in shared_columns:
                shared_columns[group] = next_column
                next_column += 1
            columns.append(shared_columns[group])
    return SamplingSpec(
        inputs=tuple(inputs),
        marginals=tuple(marginals),
        uniform_column=np.array(columns, dtype=np.int64),
        n_uniform=next_column,
    )


def correlation_group(parameter: Parameter, row_index: int) -> object | None:
    """Key of the rows a row moves with (``None`` = its own draw)."""
    if parameter.spec.correlation == "shared":
        return "all"
    if parameter.spec.correlation == "by_source":
        return tuple(sorted(parameter.sources_of(parameter.rows[row_index])))
    return None


def _generator(seed: Seed) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


class UnitStream:
    """Rows of a unit-hypercube design, handed out in chunks.

    Monte Carlo and Sobol' streams give the same rows whatever the chunk
    sizes; a Latin hypercube is stratified over all ``n_draws`` rows, so it is
    drawn whole and then sliced.
    """

    def __init__(self, n_dims: int, n_draws: int, seed: Seed, method: Method) -> None:
        if method not in ("mc", "lhs", "sobol"):
            raise ValueError(f"unit draws need method mc, lhs or sobol, got {method!r}")
        self.n_dims = max(n_dims, 1)
        self.method = method
        rng = _generator(seed)
        self._rng = rng
        self._lhs: np.ndarray | None = None
        self._position = 0
        if method == "sobol":
            self._sobol = qmc.Sobol(self.n_dims, scramble=True, seed=rng)
        elif method == "lhs":
            self._lhs = qmc.LatinHypercube(self.n_dims, seed=rng).random(n_draws)

    def next(self, n: int) -> np.ndarray:
        if self.method == "mc":
            block = self._rng.random((n, self.n_dims))
        elif self.method == "sobol":
            with warnings.catch_warnings():
                # Balance needs a power-of-2 total; callers are told once, not per chunk.
                warnings.simplefilter("ignore", UserWarning)
                block = self._sobol.random(n)
        else:
            assert self._lhs is not None
            block = self._lhs[self._position : self._position + n]
        self._position += n
        return block


def sample_chunks(
    spec: SamplingSpec, n_draws: int, seed: Seed, method: Method, chunk_size: int = 8192
) -> Iterator[np.ndarray]:
    """Yield input values chunk by chunk, each of shape (rows, ``spec.n_inputs``)."""
    if n_draws < 1:
        raise ValueError(f"n_draws must be at least 1, got {n_draws}")
    quantiles = spec.quantile_map(n_draws)
    if method == "point":
        yield np.broadcast_to(quantiles.points(), (n_draws, spec.n_inputs)).copy()
        return
    stream = UnitStream(spec.n_uniform, n_draws, seed, method)
    done = 0
    while done < n_draws:
        n = min(chunk_size, n_draws - done)
        unit = stream.next(n)
        yield quantiles.map(unit[:, spec.uniform_column])
        done += n


def sample(
    spec: SamplingSpec, n_draws: int, seed: Seed = None, method: Method = "mc"
) -> np.ndarray:
    """All input values at once, shape (``n_draws``, ``spec.n_inputs``)."""
    return np.concatenate(list(sample_chunks(spec, n_draws, seed, method)), axis=0)


def is_power_of_two(n: int) -> bool:
    return n > 0 and (n & (n - 1)) == 0


class ParameterDraws:
    """Turns a block of input values into per-parameter arrays ``[draw, *dims]``.

    Scenario edits (lever effects) are applied to the sampled values first.
    Shares of parameters with ``exclusive_groups`` are then renormalised per draw:
    to sum to 1 (``equal``; the gamma construction of a Dirichlet) or scaled
    down where they exceed 1 (``at_most``).
    """

    def __init__(
        self, knowledge: Knowledge, spec: SamplingSpec, edits: Sequence[CellEdit] = ()
    ) -> None:
        self.knowledge = knowledge
        self.spec = spec
        self.edits: dict[str, list[CellEdit]] = {}
        for edit in edits:
            self.edits.setdefault(edit.parameter, []).append(edit)
        self._layout: dict[str, tuple[np.ndarray, Parameter]] = {}
        column_of = {ref: j for j, ref in enumerate(spec.inputs)}
        self.event_columns = np.array(
            [j for j, ref in enumerate(spec.inputs) if ref.parameter == EVENT], dtype=np.int64
        )
        names = dict.fromkeys(ref.parameter for ref in spec.inputs if ref.parameter != EVENT)
        for name in names:
            parameter = knowledge.parameter(name)
            row_to_column = np.full(len(parameter.rows), -1, dtype=np.int64)
            for row_index in np.unique(parameter.cell_row):
                row_to_column[row_index] = column_of[InputRef(name, int(row_index))]
            self._layout[name] = (row_to_column[parameter.cell_row], parameter)

    def events(self, values: np.ndarray) -> np.ndarray:
        """Uniform draws of the chance events, shape [draw, event]."""
        return values[:, self.event_columns]

    def array(self, values: np.ndarray, name: str) -> np.ndarray:
        """Values of parameter ``name`` for a block, shape ``[draw, *parameter.shape]``."""
        cell_column, parameter = self._layout[name]
        grid = values[:, cell_column]
        for edit in self.edits.get(name, ()):
            grid = edit.apply(grid)
        groups = parameter.spec.exclusive_groups
        if groups is not None:
            grid = normalise_groups(grid, group_index(self.knowledge, parameter), groups.sum)
        return grid


def group_index(knowledge: Knowledge, parameter: Parameter) -> tuple[int, np.ndarray]:
    """(axis in the grid, group id per label) of a parameter's exclusive groups."""
    groups = parameter.spec.exclusive_groups
    assert groups is not None
    axis = parameter.dims.index(groups.over)
    if groups.by is None:
        ids = np.zeros(len(knowledge.labels(groups.over)), dtype=np.int64)
    else:
        attributes = [groups.by] if isinstance(groups.by, str) else groups.by
        keys = group_keys([knowledge.attribute(groups.over, a) for a in attributes])
        _, ids = np.unique(keys, return_inverse=True)
    return axis, ids


def normalise_groups(
    grid: np.ndarray, axis_and_ids: tuple[int, np.ndarray], mode: str
) -> np.ndarray:
    """Renormalise shares along ``axis`` (of the parameter grid) within groups."""
    axis, ids = axis_and_ids
    data_axis = axis + 1  # the draw axis leads
    moved = np.moveaxis(grid, data_axis, -1)
    # Group totals and their spread back to labels as one matrix product.
    same_group = (ids[:, None] == ids[None, :]).astype(moved.dtype)
    per_label = moved @ same_group
    if mode == "equal":
        scale = np.where(per_label > 0, 1.0 / np.where(per_label > 0, per_label, 1.0), 0.0)
    else:
        scale = 1.0 / np.maximum(per_label, 1.0)
    return np.moveaxis(moved * scale, -1, data_axis)
