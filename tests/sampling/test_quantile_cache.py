"""Quantile tables cached by shape give the same draws as tables built afresh."""

import numpy as np
import pytest
from scipy import special

from leptomarket.sampling import distributions, quantile_cache
from leptomarket.sampling.distributions import _U_GRID, _Z_GRID, QuantileMap, build_marginal


@pytest.fixture
def cache_in(tmp_path, monkeypatch):
    monkeypatch.setenv("LEPTOMARKET_CACHE_DIR", str(tmp_path))
    quantile_cache.clear_memory()
    yield tmp_path
    quantile_cache.clear_memory()


def marginals():
    return [
        build_marginal("beta", 0.3, 0.2, 0.4),
        build_marginal("beta", 0.3, 0.2, 0.4),  # same shape: one table
        build_marginal("gamma", 4.0, 2.0, 6.0),
        build_marginal("pert", 5.0, 2.0, 12.0),
        build_marginal("normal", 1.0, 0.5, 1.5),  # not tabulated
    ]


def test_cached_map_equals_exact_tables(cache_in):
    u = np.random.default_rng(5).uniform(size=(2000, 5))
    quantiles = QuantileMap(marginals(), n_draws=None)
    cached = quantiles.map(u)
    beta = marginals()[0]
    table = special.betaincinv(beta.params[0], beta.params[1], _U_GRID)
    expected = np.interp(special.ndtri(u[:, 0]), _Z_GRID, table)
    np.testing.assert_array_equal(cached[:, 0], expected)
    gamma = marginals()[2]
    gamma_table = special.gammaincinv(gamma.params[0], _U_GRID) * gamma.params[1]
    np.testing.assert_array_equal(
        cached[:, 2], np.interp(special.ndtri(u[:, 2]), _Z_GRID, gamma_table)
    )
    assert np.shares_memory(quantiles._tables[0], quantiles._tables[1])
    # One file per distinct shape: beta, gamma (unit scale) and PERT's beta shape.
    assert len(list(cache_in.glob("*.npy"))) == 3


def test_disk_tables_are_reused_and_equal(cache_in, monkeypatch):
    u = np.random.default_rng(6).uniform(size=(500, 5))
    first = QuantileMap(marginals(), n_draws=None).map(u)
    quantile_cache.clear_memory()

    def no_inversion(*args):
        raise AssertionError("table rebuilt although it is on disk")

    monkeypatch.setattr(distributions.special, "betaincinv", no_inversion)
    monkeypatch.setattr(distributions.special, "gammaincinv", no_inversion)
    second = QuantileMap(marginals(), n_draws=None).map(u)
    np.testing.assert_array_equal(first, second)


def test_damaged_file_is_rebuilt(cache_in):
    u = np.random.default_rng(7).uniform(size=(300, 5))
    first = QuantileMap(marginals(), n_draws=None).map(u)
    for path in cache_in.glob("*.npy"):
        path.write_bytes(b"not a table")
    quantile_cache.clear_memory()
    second = QuantileMap(marginals(), n_draws=None).map(u)
    np.testing.assert_array_equal(first, second)
    assert all(np.load(p).shape == _U_GRID.shape for p in cache_in.glob("*.npy"))


def test_off_keeps_tables_in_memory_only(tmp_path, monkeypatch):
    monkeypatch.setenv("LEPTOMARKET_CACHE_DIR", "off")
    quantile_cache.clear_memory()
    QuantileMap(marginals(), n_draws=None)
    assert quantile_cache.cache_dir() is None
    assert list(tmp_path.iterdir()) == []
    quantile_cache.clear_memory()


def test_key_depends_on_family_shape_and_grid():
    grid = np.linspace(0.1, 0.9, 5)
    keys = {
        quantile_cache.table_key("beta", (2.0, 3.0), grid),
        quantile_cache.table_key("beta", (2.0, 3.0000001), grid),
        quantile_cache.table_key("gamma", (2.0, 3.0), grid),
        quantile_cache.table_key("beta", (2.0, 3.0), grid[:-1]),
    }
    assert len(keys) == 4
