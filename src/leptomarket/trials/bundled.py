"""The curated trial and pipeline tables shipped with the package.

``leptomarket/data/trials/lm-trials.csv`` and ``lm-pipeline.csv`` (provenance in
``SOURCES.yaml`` next to them) make the offline snapshot loaded on first use.
"""

from __future__ import annotations

import csv
import io
from importlib import resources
from pathlib import Path

import pandas as pd

from leptomarket.errors import InputError
from leptomarket.trials.classify import classify_record
from leptomarket.trials.normalise import record_from_csv_row
from leptomarket.trials.record import TrialRecord

DATA_PACKAGE = "leptomarket"
TRIALS_FILE = "lm-trials.csv"
PIPELINE_FILE = "lm-pipeline.csv"

TRIAL_COLUMNS = ("nct_id", "title", "phase", "interventions", "modality", "intervention_route")
ASSET_COLUMNS: tuple[str, ...] = (
    "asset",
    "aliases",
    "company",
    "company_type",
    "modality",
    "mechanism",
    "route",
    "highest_phase_in_lm",
    "status",
    "key_trial_nct",
    "notes",
    "source_url",
)


def _bundled_text(name: str) -> tuple[str, str]:
    resource = resources.files(DATA_PACKAGE) / "data" / "trials" / name
    return resource.read_text(encoding="utf-8"), f"leptomarket/data/trials/{name}"


def _read(path: str | Path | None, name: str) -> tuple[list[dict[str, str]], str]:
    try:
        if path is None:
            text, label = _bundled_text(name)
        else:
            text, label = Path(path).read_text(encoding="utf-8"), str(path)
    except OSError as exc:
        raise InputError(path or name, None, f"cannot read: {exc}") from exc
    return list(csv.DictReader(io.StringIO(text))), label


def _check_columns(rows: list[dict[str, str]], label: str, required: tuple[str, ...]) -> None:
    present = set(rows[0]) if rows else set()
    missing = [c for c in required if c not in present]
    if missing:
        raise InputError(label, ", ".join(missing), "missing column(s)")


def curated_records(path: str | Path | None = None, use_labels: bool = True) -> list[TrialRecord]:
    """Records of the curated trial CSV, classified.

    Parameters
    ----------
    path
        A CSV in the ``lm-trials.csv`` layout; the bundled copy if ``None``.
    use_labels
        Keep the hand labels (modality, route) where the row has them and mark
        the record ``classified_by='curated'``; with ``False`` every record
        gets the rule-table labels (what the evaluation measures).
    """
    rows, label = _read(path, TRIALS_FILE)
    _check_columns(rows, label, TRIAL_COLUMNS)
    records = []
    for line, row in enumerate(rows, start=2):
        record = classify_record(record_from_csv_row(row, label, line))
        if use_labels and record.extra.get("modality"):
            record.modality = record.extra["modality"]
            record.route = record.extra.get("route") or record.route
            record.classified_by = "curated"
        records.append(record)
    return records


def pipeline_assets(path: str | Path | None = None) -> pd.DataFrame:
    """The pipeline asset table (one row per asset, columns :data:`ASSET_COLUMNS`)."""
    rows, label = _read(path, PIPELINE_FILE)
    _check_columns(rows, label, ("asset", "company", "company_type", "key_trial_nct"))
    frame = pd.DataFrame(rows).fillna("")
    for column in ASSET_COLUMNS:
        if column not in frame.columns:
            frame[column] = ""
    return frame.loc[:, list(ASSET_COLUMNS)].astype(str)
