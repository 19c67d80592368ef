"""Measure the rule-table classifier against the hand-labelled LM trials.

Usage::

    python scripts/eval_classifier.py [PATH_TO_lm-trials.csv]

Prints precision, recall and F1 per modality, the macro-F1 over the modalities
present in the labels, and the route accuracy. Defaults to the bundled copy.
"""

from __future__ import annotations

import sys

from leptomarket.trials.bundled import curated_records
from leptomarket.trials.evaluate import evaluate_modality, route_accuracy


def main(argv: list[str]) -> int:
    path = argv[1] if len(argv) > 1 else None
    records = curated_records(path, use_labels=False)
    report = evaluate_modality(records)
    print(f"{'modality':26s} {'n':>3s} {'precision':>9s} {'recall':>7s} {'F1':>6s}")
    for row in report.per_label.itertuples(index=False):
        print(
            f"{row.label:26s} {row.support:3d} {row.precision:9.3f} {row.recall:7.3f} {row.f1:6.3f}"
        )
    print(f"macro-F1 over {len(report.per_label)} modalities: {report.macro_f1:.3f}")
    print(f"modality accuracy: {report.accuracy:.3f} ({len(records)} trials)")
    print(f"route accuracy: {route_accuracy(records):.3f}")
    for miss in report.misses:
        print(f"  miss: {miss}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
