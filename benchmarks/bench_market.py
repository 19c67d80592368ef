"""Benchmark of the full market model on the LM indication (prints; never asserts).

Runs :func:`leptomarket.engine.forecast.run_forecast` — sampling of every
parameter (8 countries, 16 years, 12 segments, 29 therapies including the
pipeline assets), the epidemiology funnel, the market model under drawn and
risk-adjusted launch outcomes, and the float32 cubes kept for every draw —
in chunks of draws. Each size runs in a fresh subprocess so its peak resident
memory (``ru_maxrss``) is its own; the smallest size is the baseline and the
others are reported as throughput ratios against it, measured in the same run.

Target (issue 3): 100k draws in under 5 s and under 2 GiB on a 2-core machine.

Usage::

    python benchmarks/bench_market.py [--draws 10000 100000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

TARGET_SECONDS = 5.0
TARGET_GIB = 2.0

CHILD = """
import json, resource, sys, time
from leptomarket.engine.forecast import run_forecast
from leptomarket.engine.run import RunSettings
from leptomarket.knowledge.loader import load_indication
knowledge = load_indication("lm")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
result = run_forecast(knowledge, RunSettings(n_draws=int(sys.argv[1]), seed=1))
seconds = time.perf_counter() - start
peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
total = float(result.market["revenue"][:, :, -1].sum())
print(json.dumps({"seconds": seconds, "peak_kib": peak_kib, "before_kib": before, "check": total}))
"""


def measure(n_draws: int) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(n_draws)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    print("full market model, LM indication (sampling + funnel + market x2 outcomes + kept cubes)")
    baseline_rate = None
    for n in sorted(args.draws):
        m = measure(n)
        rate = n / m["seconds"]
        baseline_rate = baseline_rate or rate
        peak_gib = m["peak_kib"] / 2**20
        print(
            f"  {n:>7,} draws: {m['seconds']:7.2f} s  {rate:>9,.0f} draws/s  "
            f"{rate / baseline_rate:4.2f}x baseline rate  peak RSS {peak_gib:5.2f} GiB "
            f"(after loading the data: {m['before_kib'] / 2**20:4.2f} GiB)"
        )
        if n == 100_000:
            met = m["seconds"] < TARGET_SECONDS and peak_gib < TARGET_GIB
            print(
                f"  target 100,000 draws < {TARGET_SECONDS:.0f} s and < {TARGET_GIB:.0f} GiB: "
                f"{'MET' if met else 'NOT MET'}"
            )


if __name__ == "__main__":
    main()
