"""Benchmark of the sampling steps issue 11 names (prints; never asserts).

* Saltelli's sample matrix for Sobol' indices: SALib's element-by-element
  sampler versus ``sampling.saltelli`` (vectorised), same matrix, on the
  LM indication's variables and groups.
* Quantile tables above 8,192 draws: the table build of the LM indication's
  beta/PERT/gamma inputs with an empty cache (cold), a warm disk cache
  (a new process would see this) and the in-process cache.

Every figure is wall time and CPU-seconds of this process, measured in the
same run; ratios are against the reference measured here.

Usage::

    python benchmarks/bench_sampling.py [--n-base 1024]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np


def timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    value = fn()
    return value, time.perf_counter() - wall, time.process_time() - cpu


def lm_problem():
    from leptomarket.engine.epi_inputs import epi_parameters
    from leptomarket.engine.market_inputs import market_parameters, pipeline_therapies
    from leptomarket.knowledge.loader import load_indication
    from leptomarket.sampling.sampler import EVENT, build_spec

    knowledge = load_indication("lm")
    parameters = epi_parameters(knowledge) + market_parameters(knowledge)
    spec = build_spec(parameters, events=tuple(pipeline_therapies(knowledge)))
    column_group = {}
    for ref, column in zip(spec.inputs, spec.uniform_column, strict=True):
        column_group.setdefault(int(column), ref.parameter)
    varying = [c for c in range(spec.n_uniform) if column_group[c] != EVENT]
    return spec, [f"u{c}" for c in varying], [column_group[c] for c in varying]


def bench_saltelli(names, groups, n_base):
    from SALib.sample import sobol as sobol_sample

    from leptomarket.sampling.saltelli import saltelli_matrix

    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    problem["groups"] = groups
    ref, ref_wall, ref_cpu = timed(
        lambda: sobol_sample.sample(problem, n_base, calc_second_order=False, seed=1)
    )
    new, new_wall, new_cpu = timed(lambda: saltelli_matrix(names, groups, n_base, 1))
    same = np.array_equal(ref, new)
    print(f"Saltelli matrix, N = {n_base:,}, {len(names)} variables, {len(set(groups))} groups:")
    print(f"  SALib sample:        {ref_wall:7.3f} s wall  {ref_cpu:7.3f} CPU-s")
    print(
        f"  sampling.saltelli:   {new_wall:7.3f} s wall  {new_cpu:7.3f} CPU-s  "
        f"{ref_cpu / max(new_cpu, 1e-9):6.1f}x fewer CPU-s; equal to SALib: {same}"
    )


def bench_tables(spec):
    from leptomarket.sampling import quantile_cache

    with tempfile.TemporaryDirectory() as directory:
        os.environ["LEPTOMARKET_CACHE_DIR"] = directory
        quantile_cache.clear_memory()
        _, cold_wall, cold_cpu = timed(lambda: spec.quantile_map(n_draws=None))
        files = len(os.listdir(directory))
        quantile_cache.clear_memory()
        _, disk_wall, disk_cpu = timed(lambda: spec.quantile_map(n_draws=None))
        _, mem_wall, mem_cpu = timed(lambda: spec.quantile_map(n_draws=None))
    tabulated = sum(m.family in ("beta", "gamma", "pert") for m in spec.marginals)
    print(f"Quantile tables: {tabulated} tabulated inputs, {files} distinct shapes:")
    print(f"  cold (build all):    {cold_wall:7.3f} s wall  {cold_cpu:7.3f} CPU-s")
    print(
        f"  warm disk cache:     {disk_wall:7.3f} s wall  {disk_cpu:7.3f} CPU-s  "
        f"{cold_cpu / max(disk_cpu, 1e-9):6.1f}x fewer CPU-s"
    )
    print(
        f"  in-process cache:    {mem_wall:7.3f} s wall  {mem_cpu:7.3f} CPU-s  "
        f"{cold_cpu / max(mem_cpu, 1e-9):6.1f}x fewer CPU-s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-base", type=int, default=1024)
    args = parser.parse_args()
    spec, names, groups = lm_problem()
    bench_saltelli(names, groups, args.n_base)
    bench_tables(spec)


if __name__ == "__main__":
    main()
