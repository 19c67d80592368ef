"""Kept draws: percentiles from the first draws, exact means over every draw."""

from __future__ import annotations

import numpy as np

from leptomarket.engine.forecast import run_forecast
from leptomarket.engine.run import RunSettings
from leptomarket.engine.summary import KeptDraws
from leptomarket.knowledge.loader import load_indication


def test_kept_draws_keeps_the_first_rows_and_exact_means():
    kept = KeptDraws({"x": (2,)}, n_draws=10, limit=4)
    blocks = [np.arange(6.0).reshape(3, 2), np.arange(6.0, 20.0).reshape(7, 2)]
    kept.add("x", blocks[0], 0)
    kept.add("x", blocks[1], 3)
    everything = np.concatenate(blocks)
    np.testing.assert_array_equal(kept.cubes["x"], everything[:4])
    np.testing.assert_allclose(kept.mean("x"), everything.mean(axis=0))


def test_capped_run_means_match_an_uncapped_run():
    template = load_indication("template")
    full = run_forecast(template, RunSettings(300, seed=2, keep_draws=1000))
    capped = run_forecast(template, RunSettings(300, seed=2, keep_draws=50))
    assert capped.market["revenue"].shape[0] == 50
    a, b = full.summary(), capped.summary()
    np.testing.assert_allclose(a["mean"], b["mean"], rtol=1e-9)
    # percentiles differ (50 vs 300 draws) but stay ordered
    assert (b["p05"] <= b["p50"] + 1e-9).all() and (b["p50"] <= b["p95"] + 1e-9).all()


def test_threads_and_chunk_size_do_not_change_results():
    template = load_indication("template")
    one = run_forecast(template, RunSettings(300, seed=4, workers=1, chunk_size=1024))
    two = run_forecast(template, RunSettings(300, seed=4, workers=2, chunk_size=64))
    for name in ("treated_cases", "revenue", "revenue_risk_adjusted"):
        np.testing.assert_array_equal(one.kept.cubes[name], two.kept.cubes[name])
