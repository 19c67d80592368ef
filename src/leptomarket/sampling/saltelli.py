"""Saltelli's sample matrix for first-order and total Sobol' indices, built with array ops.

The matrix is the one SALib's ``SALib.sample.sobol.sample`` builds with
``calc_second_order=False`` (Saltelli, Comput Phys Commun 145:280, 2002;
Saltelli et al., Comput Phys Commun 181:259, 2010): for each base point ``i``
the block ``A_i, AB_i^1, ..., AB_i^G, B_i`` of ``G + 2`` rows, where ``A`` and
``B`` are the two halves of one scrambled Sobol' sequence of ``2D``
dimensions and ``AB^g`` is ``A`` with the columns of group ``g`` taken from
``B``. SALib fills the matrix element by element in Python, which costs
seconds at a few hundred variables; this builds it with one ``np.where``.
The result is equal to SALib's, element for element, for the same seed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.stats import qmc


def effective_groups(names: Sequence[str], groups: Sequence[str] | None) -> list[str]:
    """The group of each variable, as SALib reads the problem.

    SALib ignores the groups (one group per variable) when none are given, when
    they equal the variable names, or when there is only one group.
    """
    if not groups or list(groups) == list(names) or len(set(groups)) == 1:
        return list(names)
    return list(groups)


def saltelli_matrix(
    names: Sequence[str], groups: Sequence[str] | None, n_base: int, seed: int
) -> np.ndarray:
    """Unit-hypercube rows ``[(G + 2) * n_base, D]`` in SALib's order (first and total order).

    ``names`` are the ``D`` variables, ``groups`` their group labels (or None);
    ``n_base`` should be a power of 2 for the Sobol' sequence's balance.
    """
    n_vars = len(names)
    labels = effective_groups(names, groups)
    group_names = list(dict.fromkeys(labels))
    base = qmc.Sobol(d=2 * n_vars, scramble=True, seed=seed).random(n_base)
    a, b = base[:, :n_vars], base[:, n_vars:]
    # take_b[r, j]: row r of a block (0 = A, 1..G = AB^g, G+1 = B) takes column j from B.
    in_group = np.array([[label == g for label in labels] for g in group_names], dtype=bool)
    take_b = np.vstack([np.zeros((1, n_vars), bool), in_group, np.ones((1, n_vars), bool)])
    blocks = np.where(take_b[None, :, :], b[:, None, :], a[:, None, :])
    return blocks.reshape(-1, n_vars)
