"""Precision, recall and F1 of the modality classifier against hand labels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from leptomarket.trials.record import TrialRecord


@dataclass(frozen=True)
class ModalityReport:
    """Per-label scores (``label, support, precision, recall, f1``), macro-F1, accuracy."""

    per_label: pd.DataFrame
    macro_f1: float
    accuracy: float
    misses: list[str]


def evaluate_modality(records: Sequence[TrialRecord]) -> ModalityReport:
    """Score ``record.modality`` (rules) against ``record.extra['modality']`` (hand label).

    Records without a hand label are skipped. Macro-F1 is the unweighted mean
    of F1 over the labels that occur in the hand labels; a label the rules
    never predict scores precision 0.
    """
    pairs = [(r.extra["modality"], r.modality, r) for r in records if r.extra.get("modality")]
    labels = sorted({truth for truth, _, _ in pairs})
    rows = []
    for label in labels:
        tp = sum(1 for t, p, _ in pairs if t == label and p == label)
        fp = sum(1 for t, p, _ in pairs if t != label and p == label)
        fn = sum(1 for t, p, _ in pairs if t == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        rows.append((label, tp + fn, precision, recall, f1))
    per_label = pd.DataFrame(rows, columns=["label", "support", "precision", "recall", "f1"])
    macro = float(per_label["f1"].mean()) if len(per_label) else 0.0
    accuracy = sum(1 for t, p, _ in pairs if t == p) / len(pairs) if pairs else 0.0
    misses = [
        f"{r.trial_key}: labelled {t}, rules say {p} ({'; '.join(r.interventions)[:80]})"
        for t, p, r in pairs
        if t != p
    ]
    return ModalityReport(per_label=per_label, macro_f1=macro, accuracy=accuracy, misses=misses)


def route_accuracy(records: Sequence[TrialRecord]) -> float:
    """Share of hand-labelled records whose rule route equals the hand route."""
    pairs = [(r.extra["route"], r.route) for r in records if r.extra.get("route")]
    return sum(1 for t, p in pairs if t == p) / len(pairs) if pairs else 0.0
