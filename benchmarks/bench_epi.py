"""Benchmark of the epidemiology core on the full LM grid (prints; never asserts).

Grid: 8 countries x 16 years x 12 segments x 6 tumours. Draws are processed in
chunks (default 8192) by :func:`leptomarket.core.epidemiology.epidemiology_funnel`
on synthetic, fixed-seed :class:`EpiInputs` arrays of that shape (built directly,
so the benchmark does not depend on the LM data package being complete). Each
chunk's treated cases are reduced to a sum, so memory stays bounded by the chunk.

Timing runs and memory runs are separate: peak memory is the ``tracemalloc``
peak (NumPy reports its array buffers to tracemalloc) of a second pass, so
tracing does not slow the timed pass.

If ``load_indication("lm")`` works, ``run_epidemiology`` is also timed end to end
(sampling + assembly + funnel + float32 cubes it keeps for every draw).

Usage::

    python benchmarks/bench_epi.py [--chunk-size 8192] [--draws 10000 100000]
"""

from __future__ import annotations

import argparse
import gc
import time
import tracemalloc
from collections.abc import Callable

import numpy as np

from leptomarket.core.epidemiology import EpiInputs, epidemiology_funnel
from leptomarket.engine.parallel import map_in_order

N_COUNTRIES, N_YEARS, N_SEGMENTS, N_TUMOURS = 8, 16, 12, 6
FIRST_YEAR = 2020
SEGMENT_TUMOUR = np.array([0, 0, 0, 1, 1, 1, 2, 2, 3, 4, 5, 5], dtype=np.int64)
TARGET_SECONDS = 2.0  # for 100k draws


def synthetic_inputs(n: int, seed: int = 20260101) -> EpiInputs:
    """Random but fixed-seed inputs of the LM shape for ``n`` draws."""
    rng = np.random.default_rng(seed)
    draws, c, t, s = n, N_COUNTRIES, N_TUMOURS, N_SEGMENTS
    weights = rng.uniform(0.1, 1.0, (draws, c, s))
    totals = np.zeros((draws, c, t))
    for segment, tumour in enumerate(SEGMENT_TUMOUR):
        totals[..., tumour] += weights[..., segment]
    return EpiInputs(
        base_cases=rng.uniform(1e3, 3e5, (draws, c, t)),
        annual_trend=rng.normal(0.01, 0.005, (draws, c, t)),
        reference_year=rng.integers(2018, 2023, (c, t)),
        subtype_share=weights / totals[..., SEGMENT_TUMOUR],
        segment_tumour=SEGMENT_TUMOUR,
        lm_risk=rng.uniform(0.01, 0.15, (draws, s)),
        lm_risk_trend=rng.uniform(0.0, 0.03, draws),
        lm_risk_reference_year=2020,
        workup_rate=rng.uniform(0.5, 0.9, (draws, c)),
        mri_sensitivity=rng.uniform(0.6, 0.8, draws),
        lumbar_puncture_rate=rng.uniform(0.4, 0.8, draws),
        cytology_sensitivity=rng.uniform(0.5, 0.7, draws),
        liquid_biopsy_sensitivity=rng.uniform(0.8, 0.95, draws),
        liquid_biopsy_peak_share=rng.uniform(0.0, 0.6, (draws, c)),
        liquid_biopsy_midpoint_year=rng.uniform(2026, 2032, (draws, c)),
        liquid_biopsy_steepness=rng.uniform(0.3, 1.0, draws),
        treated_share=rng.uniform(0.4, 0.8, (draws, c)),
        years=np.arange(FIRST_YEAR, FIRST_YEAR + N_YEARS),
    )


def first_rows(inputs: EpiInputs, n: int) -> EpiInputs:
    """The first ``n`` draws of ``inputs`` (views; per-draw arrays only)."""
    per_draw = {
        "base_cases",
        "annual_trend",
        "subtype_share",
        "lm_risk",
        "lm_risk_trend",
        "workup_rate",
        "mri_sensitivity",
        "lumbar_puncture_rate",
        "cytology_sensitivity",
        "liquid_biopsy_sensitivity",
        "liquid_biopsy_peak_share",
        "liquid_biopsy_midpoint_year",
        "liquid_biopsy_steepness",
        "treated_share",
    }
    fields = {k: (v[:n] if k in per_draw else v) for k, v in vars(inputs).items()}
    return EpiInputs(**fields)


WORKERS = 2


def run_core(n_draws: int, chunk_size: int, chunk_inputs: EpiInputs) -> float:
    """Run the funnel over ``n_draws`` in chunks on ``WORKERS`` threads (as the engine
    does); returns a checksum (sum of treated cases)."""
    sizes = [min(chunk_size, n_draws - done) for done in range(0, n_draws, chunk_size)]
    blocks = (chunk_inputs if n == chunk_size else first_rows(chunk_inputs, n) for n in sizes)
    sums = map_in_order(
        lambda inputs: float(epidemiology_funnel(inputs).treated_cases.sum()), blocks, WORKERS
    )
    return sum(sums)


def timed(func: Callable[[], object], repeat: int = 1) -> float:
    """Best wall-clock seconds of ``repeat`` calls."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best


def traced_peak_mib(func: Callable[[], object]) -> float:
    """tracemalloc peak (MiB) of allocations made while ``func`` runs."""
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        func()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


def bench_core(draw_counts: list[int], chunk_size: int) -> None:
    cells = N_COUNTRIES * N_YEARS * N_SEGMENTS
    print(
        f"epidemiology core: {N_COUNTRIES} countries x {N_YEARS} years x {N_SEGMENTS} "
        f"segments x {N_TUMOURS} tumours = {cells} cells per draw; chunk size {chunk_size}, "
        f"{WORKERS} thread(s)"
    )
    chunk_inputs = synthetic_inputs(chunk_size)
    run_core(chunk_size, chunk_size, chunk_inputs)  # warm-up

    one_chunk = timed(lambda: run_core(chunk_size, chunk_size, chunk_inputs), repeat=3)
    baseline_rate = chunk_size / one_chunk
    print(
        f"  baseline, one chunk of {chunk_size:>7,} draws: {one_chunk:7.3f} s  "
        f"{baseline_rate:>12,.0f} draws/s"
    )
    rates = {}
    for n in draw_counts:
        seconds = timed(lambda n=n: run_core(n, chunk_size, chunk_inputs), repeat=1)
        peak = traced_peak_mib(lambda n=n: run_core(n, chunk_size, chunk_inputs))
        rates[n] = n / seconds
        print(
            f"  {n:>7,} draws: {seconds:7.3f} s  {rates[n]:>12,.0f} draws/s  "
            f"{rates[n] / baseline_rate:5.2f}x baseline rate  "
            f"peak {peak:8.1f} MiB (tracemalloc, inputs excluded)"
        )
        if n == 100_000:
            met = "MET" if seconds < TARGET_SECONDS else "NOT MET"
            print(f"  target 100,000 draws < {TARGET_SECONDS:.0f} s: {met} ({seconds:.3f} s)")
    first = draw_counts[0]
    for n in draw_counts[1:]:
        print(
            f"  throughput ratio {n:,} vs {first:,} draws (same run): {rates[n] / rates[first]:.2f}"
        )


def bench_end_to_end(draw_counts: list[int], chunk_size: int) -> None:
    try:
        from leptomarket.engine.run import RunSettings, run_epidemiology
        from leptomarket.knowledge.loader import load_indication

        knowledge = load_indication("lm")
        run_epidemiology(knowledge, RunSettings(n_draws=16, chunk_size=chunk_size))
    except Exception as exc:  # the LM package may be incomplete
        reason = f"{type(exc).__name__}: {exc}"
        print(f"end to end: skipped, the lm indication does not run yet ({reason})")
        return
    shape = {d: len(knowledge.labels(d)) for d in ("country", "tumour", "segment")}
    print(
        f"end to end run_epidemiology on the lm indication {shape}, {len(knowledge.years)} years "
        "(sampling + assembly + funnel + float32 cubes of every draw):"
    )
    for n in draw_counts:
        settings = RunSettings(n_draws=n, seed=1, method="mc", chunk_size=chunk_size)
        seconds = timed(lambda settings=settings: run_epidemiology(knowledge, settings))
        peak = traced_peak_mib(lambda settings=settings: run_epidemiology(knowledge, settings))
        print(
            f"  {n:>7,} draws: {seconds:7.3f} s  {n / seconds:>12,.0f} draws/s  "
            f"peak {peak:8.1f} MiB (tracemalloc)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunk-size", type=int, default=1024)
    parser.add_argument("--workers", type=int, default=2, help="threads running chunks")
    parser.add_argument("--draws", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--no-end-to-end", action="store_true")
    args = parser.parse_args()
    global WORKERS
    WORKERS = args.workers
    bench_core(args.draws, args.chunk_size)
    if not args.no_end_to_end:
        bench_end_to_end(args.draws, args.chunk_size)


if __name__ == "__main__":
    main()
