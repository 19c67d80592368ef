"""Print the headline figures of the base case: 7MM drug market and diagnosed LM.

Usage: ``python scripts/headline.py [--draws N] [--indication lm] [--by-segment]``.
The point estimate (all inputs at their point values) and, with ``--draws``,
the Monte Carlo mean, for the 2024 and 2034 7MM drug market (USD M) and the
2024 7MM diagnosed LM cases. Used to measure the effect of each change to
the inputs or the model (the waterfall in the closing notes).
"""

from __future__ import annotations

import argparse

import numpy as np

from leptomarket.engine.forecast import run_forecast
from leptomarket.engine.market_inputs import therapy_attribute
from leptomarket.engine.run import RunSettings
from leptomarket.knowledge.loader import load_indication

YEARS = (2024, 2034)
REGION = "7MM"


def headline(indication: str, draws: int, by_segment: bool) -> None:
    knowledge = load_indication(indication)
    region = knowledge.indication.regions.get(REGION, knowledge.labels("country"))
    countries = [knowledge.labels("country").index(c) for c in region]
    years = [int(y) for y in knowledge.years]
    drug = np.array([m == "drug" for m in therapy_attribute(knowledge, "market")])
    runs = [("point", 0)] + ([("mean", draws)] if draws else [])
    for label, n in runs:
        result = run_forecast(knowledge, RunSettings(n_draws=n, workers=1))
        revenue = result.kept.cubes["revenue"][:, countries][..., drug].sum(axis=(1, 3))
        diagnosed = result.kept.cubes["diagnosed_cases"][:, countries]
        parts = [f"market {y} USD {revenue[:, years.index(y)].mean() / 1e6:,.1f}M" for y in YEARS]
        cases_2024 = diagnosed[:, :, years.index(2024)].sum(axis=(1, 2)).mean()
        parts.append(f"diagnosed 2024 {cases_2024:,.0f}")
        print(f"{label:5s} ({max(n, 1)} draws): " + "; ".join(parts))
        if by_segment and label == "point":
            for k, segment in enumerate(knowledge.labels("segment")):
                cases = diagnosed[0, :, years.index(2024), k].sum()
                print(f"    {segment:24s} diagnosed 2024 {cases:8,.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=0)
    parser.add_argument("--indication", default="lm")
    parser.add_argument("--by-segment", action="store_true")
    args = parser.parse_args()
    headline(args.indication, args.draws, args.by_segment)


if __name__ == "__main__":
    main()
