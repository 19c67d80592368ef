"""Trial snapshots in the DuckDB store.

Tables (all created here with ``CREATE TABLE IF NOT EXISTS``):

``trial_snapshots``
    one row per snapshot: id, creation time (UTC), source, study and asset
    counts and the ``is_current`` flag (exactly one row is current).
``trial_studies``
    the normalised, classified studies of every snapshot.
``trial_assets``
    the pipeline assets attached to every snapshot.

A snapshot is written and made current in one transaction: rows are inserted
in Arrow/DataFrame batches, then the ``is_current`` flag moves to the new id,
then the transaction commits. A refresh that fails or is killed before the
commit leaves the previous snapshot current and readable (DuckDB discards the
uncommitted transaction). Old snapshots are kept, so changes can be listed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import duckdb
import pandas as pd

from leptomarket.errors import StoreError
from leptomarket.store.database import has_table, is_read_only, transaction
from leptomarket.trials.record import STUDY_COLUMNS, TrialRecord

SCHEMA = """
CREATE TABLE IF NOT EXISTS trial_snapshots (
    snapshot_id INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    source VARCHAR NOT NULL,
    source_url VARCHAR,
    n_studies INTEGER NOT NULL,
    n_assets INTEGER NOT NULL,
    is_current BOOLEAN NOT NULL
);
CREATE TABLE IF NOT EXISTS trial_studies (
    snapshot_id INTEGER NOT NULL,
    trial_key VARCHAR NOT NULL,
    nct_id VARCHAR,
    title VARCHAR,
    phase VARCHAR,
    status VARCHAR,
    start_date VARCHAR,
    start_year INTEGER,
    completion_date VARCHAR,
    enrollment INTEGER,
    sponsor VARCHAR,
    sponsor_class VARCHAR,
    company VARCHAR,
    company_type VARCHAR,
    collaborators VARCHAR,
    conditions VARCHAR,
    interventions VARCHAR,
    route VARCHAR,
    modality VARCHAR,
    primary_tumours VARCHAR,
    countries VARCHAR,
    last_update VARCHAR,
    study_type VARCHAR,
    classified_by VARCHAR,
    source VARCHAR,
    source_url VARCHAR
);
CREATE TABLE IF NOT EXISTS trial_assets (
    snapshot_id INTEGER NOT NULL,
    asset VARCHAR NOT NULL,
    aliases VARCHAR,
    company VARCHAR,
    company_type VARCHAR,
    modality VARCHAR,
    mechanism VARCHAR,
    route VARCHAR,
    highest_phase_in_lm VARCHAR,
    status VARCHAR,
    key_trial_nct VARCHAR,
    notes VARCHAR,
    source_url VARCHAR
);
"""

ProgressCallback = Callable[[int], None]


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the ``trial_*`` tables if they do not exist (not on a read-only store)."""
    if is_read_only(con):
        if not has_table(con, "trial_snapshots"):
            raise StoreError("the store holds no trial snapshot yet: run `leptomarket trials`")
        return
    try:
        con.execute(SCHEMA)
    except duckdb.Error as exc:
        raise StoreError(f"cannot create the trial tables: {exc}") from exc


def records_frame(records: Sequence[TrialRecord]) -> pd.DataFrame:
    """Records as a frame with the ``trial_studies`` columns (duplicates by key dropped)."""
    frame = pd.DataFrame.from_records([r.as_row() for r in records], columns=list(STUDY_COLUMNS))
    frame = frame.drop_duplicates(subset="trial_key", keep="first").reset_index(drop=True)
    for column in ("start_year", "enrollment"):
        frame[column] = frame[column].astype("Int64")
    return frame


def write_snapshot(
    con: duckdb.DuckDBPyConnection,
    studies: pd.DataFrame | Sequence[TrialRecord],
    assets: pd.DataFrame,
    source: str,
    source_url: str = "",
    batch_size: int = 5000,
    progress: ProgressCallback | None = None,
) -> int:
    """Store a new snapshot and make it current, atomically; return its id.

    Parameters
    ----------
    studies
        Classified records, or a frame from :func:`records_frame`.
    assets
        Pipeline asset table (columns of ``trial_assets`` minus ``snapshot_id``).
    source, source_url
        What the snapshot was built from (``"bundled"``, ``"ctgov"``...).
    batch_size
        Studies inserted per batch (each batch is one vectorised insert).
    progress
        Called with the number of studies written after each batch, inside
        the transaction (an exception raised there rolls the snapshot back).

    Raises
    ------
    StoreError
        If DuckDB fails; the previous snapshot then stays current.
    """
    frame = studies if isinstance(studies, pd.DataFrame) else records_frame(studies)
    ensure_schema(con)
    columns = ", ".join(STUDY_COLUMNS)
    asset_columns = ", ".join(assets.columns)
    with transaction(con, f"trial snapshot from {source}"):
        snapshot_id = con.execute(
            "SELECT coalesce(max(snapshot_id), 0) + 1 FROM trial_snapshots"
        ).fetchone()[0]
        con.execute(
            "INSERT INTO trial_snapshots VALUES (?, ?, ?, ?, ?, ?, FALSE)",
            [
                snapshot_id,
                datetime.now(UTC).replace(tzinfo=None),
                source,
                source_url,
                len(frame),
                len(assets),
            ],
        )
        for start in range(0, len(frame), batch_size):
            batch = frame.iloc[start : start + batch_size]
            con.register("incoming_trial_batch", batch)
            con.execute(
                f"INSERT INTO trial_studies (snapshot_id, {columns}) "
                f"SELECT ?, {columns} FROM incoming_trial_batch",
                [snapshot_id],
            )
            con.unregister("incoming_trial_batch")
            if progress is not None:
                progress(start + len(batch))
        if len(assets):
            con.register("incoming_trial_assets", assets)
            con.execute(
                f"INSERT INTO trial_assets (snapshot_id, {asset_columns}) "
                f"SELECT ?, {asset_columns} FROM incoming_trial_assets",
                [snapshot_id],
            )
            con.unregister("incoming_trial_assets")
        con.execute("UPDATE trial_snapshots SET is_current = (snapshot_id = ?)", [snapshot_id])
    return int(snapshot_id)


def current_snapshot_id(con: duckdb.DuckDBPyConnection) -> int | None:
    """Id of the current snapshot, or ``None`` if the store has none."""
    ensure_schema(con)
    row = con.execute("SELECT max(snapshot_id) FROM trial_snapshots WHERE is_current").fetchone()
    return int(row[0]) if row and row[0] is not None else None


def list_snapshots(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """All snapshots, oldest first."""
    ensure_schema(con)
    return con.execute("SELECT * FROM trial_snapshots ORDER BY snapshot_id").df()


def previous_snapshot_id(con: duckdb.DuckDBPyConnection, snapshot_id: int) -> int | None:
    """Id of the latest snapshot older than ``snapshot_id``, or ``None``."""
    row = con.execute(
        "SELECT max(snapshot_id) FROM trial_snapshots WHERE snapshot_id < ?", [snapshot_id]
    ).fetchone()
    return int(row[0]) if row and row[0] is not None else None


def _require(con: duckdb.DuckDBPyConnection, snapshot_id: int | None) -> int:
    sid = snapshot_id if snapshot_id is not None else current_snapshot_id(con)
    if sid is None:
        raise StoreError("the store has no trial snapshot yet (run `leptomarket trials`)")
    return sid


def read_studies(con: duckdb.DuckDBPyConnection, snapshot_id: int | None = None) -> pd.DataFrame:
    """Studies of a snapshot (the current one by default), ordered by key."""
    sid = _require(con, snapshot_id)
    return con.execute(
        "SELECT * EXCLUDE (snapshot_id) FROM trial_studies WHERE snapshot_id = ? "
        "ORDER BY trial_key",
        [sid],
    ).df()


def read_assets(con: duckdb.DuckDBPyConnection, snapshot_id: int | None = None) -> pd.DataFrame:
    """Pipeline assets of a snapshot (the current one by default)."""
    sid = _require(con, snapshot_id)
    return con.execute(
        "SELECT * EXCLUDE (snapshot_id) FROM trial_assets WHERE snapshot_id = ? ORDER BY asset",
        [sid],
    ).df()


CHANGES_SQL = """
WITH old AS (SELECT * FROM trial_studies WHERE snapshot_id = $old),
     new AS (SELECT * FROM trial_studies WHERE snapshot_id = $new)
SELECT 'new_trial' AS change, n.trial_key, n.title, NULL AS old_value, n.status AS new_value
FROM new n WHERE NOT EXISTS (SELECT 1 FROM old o WHERE o.trial_key = n.trial_key)
UNION ALL
SELECT 'removed_trial', o.trial_key, o.title, o.status, NULL
FROM old o WHERE NOT EXISTS (SELECT 1 FROM new n WHERE n.trial_key = o.trial_key)
UNION ALL
SELECT 'status_change', n.trial_key, n.title, o.status, n.status
FROM new n JOIN old o USING (trial_key) WHERE o.status IS DISTINCT FROM n.status
UNION ALL
SELECT 'phase_change', n.trial_key, n.title, o.phase, n.phase
FROM new n JOIN old o USING (trial_key) WHERE o.phase IS DISTINCT FROM n.phase
ORDER BY change, trial_key
"""


def snapshot_changes(
    con: duckdb.DuckDBPyConnection, new_id: int | None = None, old_id: int | None = None
) -> pd.DataFrame:
    """What changed between two snapshots (default: the current one and the one before).

    Returns a frame with columns ``change`` (``new_trial``, ``removed_trial``,
    ``status_change``, ``phase_change``), ``trial_key``, ``title``,
    ``old_value`` and ``new_value``; empty if there is no older snapshot.
    """
    new = _require(con, new_id)
    old = old_id if old_id is not None else previous_snapshot_id(con, new)
    if old is None:
        return pd.DataFrame(columns=["change", "trial_key", "title", "old_value", "new_value"])
    return con.execute(CHANGES_SQL, {"old": old, "new": new}).df()
