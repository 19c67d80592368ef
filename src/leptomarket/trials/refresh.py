"""Build snapshots: the bundled one on first use, and live ones from CT.gov."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import duckdb

from leptomarket.trials.bundled import curated_records, pipeline_assets
from leptomarket.trials.classify import classify_record
from leptomarket.trials.client import CtgovClient
from leptomarket.trials.normalise import record_from_study
from leptomarket.trials.record import TrialRecord
from leptomarket.trials.storage import (
    ProgressCallback,
    current_snapshot_id,
    read_assets,
    write_snapshot,
)

BUNDLED_SOURCE = "bundled"
CTGOV_SOURCE = "ctgov"


def ensure_snapshot(con: duckdb.DuckDBPyConnection) -> int:
    """Id of the current snapshot, loading the bundled one first if the store has none."""
    current = current_snapshot_id(con)
    if current is not None:
        return current
    return write_snapshot(
        con,
        curated_records(),
        pipeline_assets(),
        source=BUNDLED_SOURCE,
        source_url="leptomarket/data/trials",
    )


def records_from_studies(studies: Iterable[Mapping[str, Any]], source: str) -> list[TrialRecord]:
    """Normalise and classify raw v2 studies."""
    return [classify_record(record_from_study(study, source)) for study in studies]


def refresh_from_ctgov(
    con: duckdb.DuckDBPyConnection,
    client: CtgovClient,
    progress: ProgressCallback | None = None,
) -> int:
    """Fetch every LM study, build a new snapshot and make it current; return its id.

    All pages are fetched before the store is touched, so a network failure
    leaves the store as it was. The new snapshot holds the live CT.gov studies,
    the curated trials that have no NCT id (other registries), and the current
    snapshot's pipeline assets.

    Raises
    ------
    NetworkError
        If the API cannot be reached or answers badly.
    """
    ensure_snapshot(con)
    url = f"{client.base_url}/studies"
    records = records_from_studies(client.fetch_studies(), source=url)
    records += [r for r in curated_records() if not r.nct_id]
    return write_snapshot(
        con,
        records,
        read_assets(con),
        source=CTGOV_SOURCE,
        source_url=url,
        progress=progress,
    )
