"""Deep fuzzing profile: >= 10,000 generated cases per target, with the figures printed.

Usage: ``python scripts/fuzz_deep.py [--examples 10000] [--target NAME] [--seed 1]``.
Runs the targets of ``tests/robustness/fuzz_targets.py`` (scenario files,
parameter rows, registry records) and prints, per target, the cases run,
how many were accepted and refused, the crashes (an exception that is not
the project's own error) and the wrong acceptances (an impossible input
accepted, or an impossible number in an accepted run), with the first
example of each kind. Exit code 1 if any crash or wrong acceptance.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, seed, settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.robustness.fuzz_targets import TARGETS, WrongAcceptanceError


def fuzz(name: str, examples: int, random_seed: int) -> tuple[Counter, dict[str, str]]:
    strategy, target = TARGETS[name]
    counts: Counter = Counter()
    first: dict[str, str] = {}

    @seed(random_seed)
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def run(case):
        counts["cases"] += 1
        try:
            counts[target(case)] += 1
        except WrongAcceptanceError as exc:
            counts["wrong acceptances"] += 1
            first.setdefault("wrong acceptances", f"{exc}"[:300])
        except Exception as exc:  # counting crashes is the point
            counts["crashes"] += 1
            first.setdefault("crashes", f"{type(exc).__name__}: {exc} <- {case!r}"[:300])

    run()
    return counts, first


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=10_000)
    parser.add_argument("--target", choices=list(TARGETS), action="append")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    failed = False
    print(
        f"{'target':18s} {'cases':>7s} {'accepted':>9s} {'refused':>8s} {'crashes':>8s} "
        f"{'wrong acc.':>10s} {'CPU s':>7s} {'wall s':>7s}"
    )
    for name in args.target or list(TARGETS):
        wall, cpu = time.perf_counter(), time.process_time()
        counts, first = fuzz(name, args.examples, args.seed)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(
            f"{name:18s} {counts['cases']:7d} {counts['accepted']:9d} {counts['refused']:8d} "
            f"{counts['crashes']:8d} {counts['wrong acceptances']:10d} {cpu:7.1f} {wall:7.1f}",
            flush=True,
        )
        for kind, example in first.items():
            print(f"    first of {kind}: {example}")
        failed |= bool(counts["crashes"] or counts["wrong acceptances"])
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
