"""The vectorised Saltelli matrix equals SALib's, element for element."""

import numpy as np
import pytest
from SALib.sample import sobol as sobol_sample

from leptomarket.sampling.saltelli import effective_groups, saltelli_matrix


def salib_matrix(names, groups, n_base, seed):
    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    if groups is not None:
        problem["groups"] = groups
    return sobol_sample.sample(problem, n_base, calc_second_order=False, seed=seed)


@pytest.mark.parametrize(
    "groups",
    [
        None,
        ["a", "a", "b", "c", "b", "c", "c"],
        ["only"] * 7,
        [f"u{i}" for i in range(7)],
    ],
    ids=["no-groups", "grouped", "single-group", "groups-equal-names"],
)
def test_equals_salib(groups):
    names = [f"u{i}" for i in range(7)]
    ours = saltelli_matrix(names, groups, n_base=16, seed=7)
    np.testing.assert_array_equal(ours, salib_matrix(names, groups, 16, 7))


def test_block_structure_by_hand():
    names = ["x", "y", "z"]
    rows = saltelli_matrix(names, ["g", "g", "h"], n_base=4, seed=1).reshape(4, 4, 3)
    a, ab_g, ab_h, b = rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3]
    # AB^g takes x and y from B, z from A; AB^h takes only z from B.
    np.testing.assert_array_equal(ab_g[:, :2], b[:, :2])
    np.testing.assert_array_equal(ab_g[:, 2], a[:, 2])
    np.testing.assert_array_equal(ab_h[:, :2], a[:, :2])
    np.testing.assert_array_equal(ab_h[:, 2], b[:, 2])


def test_single_group_means_one_group_per_variable():
    assert effective_groups(["x", "y"], ["g", "g"]) == ["x", "y"]
    assert effective_groups(["x", "y"], ["g", "h"]) == ["g", "h"]
