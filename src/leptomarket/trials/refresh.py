"""Build snapshots: the bundled one on first use, and live ones from CT.gov."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import duckdb

from leptomarket.errors import InputError
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


#: A refresh answering with fewer than this share of the current snapshot's
#: studies is refused unless accepted (an empty or truncated answer must not
#: replace the registry).
MIN_FRACTION = 0.5


def fetch_ctgov_records(client: CtgovClient) -> tuple[list[TrialRecord], str]:
    """Fetch every LM study (no store involved) and add the curated non-CT.gov trials.

    Returns the records and the URL they came from.

    Raises
    ------
    NetworkError
        If the API cannot be reached, answers badly or incompletely.
    """
    url = f"{client.base_url}/studies"
    records = records_from_studies(client.fetch_studies(), source=url)
    records += [r for r in curated_records() if not r.nct_id]
    return records, url


def check_shrink(
    con: duckdb.DuckDBPyConnection,
    n_new: int,
    min_fraction: float = MIN_FRACTION,
    accept_shrink: bool = False,
) -> None:
    """Refuse a snapshot far smaller than the current one unless it is accepted.

    Raises
    ------
    InputError
        Naming both counts, the threshold and the option that accepts it.
    """
    current = current_snapshot_id(con)
    if current is None or accept_shrink:
        return
    row = con.execute(
        "SELECT n_studies FROM trial_snapshots WHERE snapshot_id = ?", [current]
    ).fetchone()
    n_current = int(row[0]) if row else 0
    if n_new < min_fraction * n_current:
        raise InputError(
            None,
            "--accept-shrink",
            f"the registry answered {n_new} studies against {n_current} in the current "
            f"snapshot {current} (below {min_fraction:.0%} of it); the current snapshot is "
            "kept. If the registry really shrank, refresh again with --accept-shrink",
        )


def write_ctgov_snapshot(
    con: duckdb.DuckDBPyConnection,
    records: list[TrialRecord],
    url: str,
    progress: ProgressCallback | None = None,
    min_fraction: float = MIN_FRACTION,
    accept_shrink: bool = False,
) -> int:
    """Write fetched records as the new current snapshot (keeping the pipeline assets)."""
    ensure_snapshot(con)
    check_shrink(con, len(records), min_fraction, accept_shrink)
    return write_snapshot(
        con,
        records,
        read_assets(con),
        source=CTGOV_SOURCE,
        source_url=url,
        progress=progress,
    )


def refresh_from_ctgov(
    con: duckdb.DuckDBPyConnection,
    client: CtgovClient,
    progress: ProgressCallback | None = None,
    min_fraction: float = MIN_FRACTION,
    accept_shrink: bool = False,
) -> int:
    """Fetch every LM study, build a new snapshot and make it current; return its id.

    All pages are fetched before the store is written, so a network failure
    leaves the store as it was; an answer far smaller than the current
    snapshot is refused (see :func:`check_shrink`). The new snapshot holds the
    live CT.gov studies, the curated trials that have no NCT id (other
    registries), and the current snapshot's pipeline assets.

    Raises
    ------
    NetworkError
        If the API cannot be reached or answers badly.
    InputError
        If the answer would shrink the snapshot below ``min_fraction``.
    """
    records, url = fetch_ctgov_records(client)
    return write_ctgov_snapshot(con, records, url, progress, min_fraction, accept_shrink)
