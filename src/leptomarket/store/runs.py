"""Runs, their results and the inputs they used, in the DuckDB store.

A run is written in one transaction: its record, its summary rows, its kept
draws (where asked) and a snapshot of the parameters and sources it used
(keyed by the inputs' content hash). A run that fails or is killed before
``COMMIT`` leaves every earlier run as it was.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb
import pandas as pd

from leptomarket.errors import StoreError
from leptomarket.knowledge.model import Knowledge
from leptomarket.store.database import has_table, is_read_only, transaction
from leptomarket.store.integrity import quick_check

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS sources (
        inputs_hash VARCHAR, indication VARCHAR, key VARCHAR, authors VARCHAR, year INTEGER,
        title VARCHAR, publisher VARCHAR, kind VARCHAR, url VARCHAR, doi VARCHAR, note VARCHAR,
        PRIMARY KEY (inputs_hash, key))""",
    """CREATE TABLE IF NOT EXISTS parameters (
        inputs_hash VARCHAR, indication VARCHAR, parameter VARCHAR, row_index INTEGER,
        labels VARCHAR, value DOUBLE, low DOUBLE, high DOUBLE, reference_year INTEGER,
        sources VARCHAR, assumption VARCHAR, note VARCHAR, unit VARCHAR, distribution VARCHAR,
        description VARCHAR, file VARCHAR,
        PRIMARY KEY (inputs_hash, parameter, row_index))""",
    """CREATE TABLE IF NOT EXISTS runs (
        run_id VARCHAR PRIMARY KEY, kind VARCHAR, indication VARCHAR, scenario VARCHAR,
        n_draws INTEGER, seed BIGINT, method VARCHAR, settings VARCHAR, inputs_hash VARCHAR,
        package_version VARCHAR, created_at TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS results (
        run_id VARCHAR, metric VARCHAR, country VARCHAR, year INTEGER, level VARCHAR,
        key VARCHAR, mean DOUBLE, p05 DOUBLE, p50 DOUBLE, p95 DOUBLE)""",
    """CREATE TABLE IF NOT EXISTS draws (
        run_id VARCHAR, metric VARCHAR, country VARCHAR, year INTEGER, key VARCHAR,
        draw INTEGER, value DOUBLE)""",
    # Added after the first release: stores made before gain the column.
    "ALTER TABLE sources ADD COLUMN IF NOT EXISTS pmid VARCHAR",
    "ALTER TABLE sources ADD COLUMN IF NOT EXISTS secondary VARCHAR",
]


@dataclass(frozen=True)
class RunRecord:
    """What identifies a run and how it was made."""

    run_id: str
    kind: str
    indication: str
    scenario: str
    n_draws: int
    seed: int
    method: str
    settings: dict
    inputs_hash: str
    package_version: str
    created_at: datetime | None = None


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the run tables if they do not exist (a read-only store is left as it is)."""
    if is_read_only(con):
        if not has_table(con, "runs"):
            raise StoreError("the store holds no runs yet")
        return
    for statement in SCHEMA:
        con.execute(statement)


def knowledge_frames(knowledge: Knowledge) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Parameters (one row per sourced value) and sources of an indication, as frames."""
    rows = []
    for parameter in knowledge.parameters.values():
        for i, row in enumerate(parameter.rows):
            rows.append(
                {
                    "inputs_hash": knowledge.content_hash,
                    "indication": knowledge.name,
                    "parameter": parameter.name,
                    "row_index": i,
                    "labels": json.dumps(row.labels(), sort_keys=True),
                    "value": row.value,
                    "low": row.low,
                    "high": row.high,
                    "reference_year": row.year,
                    "sources": ";".join(parameter.sources_of(row)),
                    "assumption": parameter.assumption_of(row),
                    "note": row.note,
                    "unit": parameter.spec.unit,
                    "distribution": parameter.spec.distribution,
                    "description": parameter.spec.description,
                    "file": str(parameter.file.relative_to(knowledge.root)),
                }
            )
    sources = [
        {
            "inputs_hash": knowledge.content_hash,
            "indication": knowledge.name,
            "key": key,
            **source.model_dump(),
        }
        for key, source in knowledge.sources.items()
    ]
    return pd.DataFrame(rows), pd.DataFrame(sources)


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    if frame.empty:
        return
    con.register("_incoming", frame)
    columns = ", ".join(f'"{c}"' for c in frame.columns)
    try:
        con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM _incoming")
    except duckdb.Error as exc:
        # Unregistering inside an aborted transaction fails with "transaction is
        # aborted", which would hide the real cause; say which table refused what.
        raise duckdb.Error(f"table {table}: {exc}") from exc
    con.unregister("_incoming")


def write_run(
    con: duckdb.DuckDBPyConnection,
    record: RunRecord,
    results: pd.DataFrame,
    knowledge: Knowledge,
    draws: pd.DataFrame | None = None,
    before_commit: Callable[[], None] | None = None,
) -> None:
    """Store a run atomically, replacing any earlier run with the same id.

    ``before_commit`` is called inside the transaction just before COMMIT
    (tests use it to kill the process mid-write). A store whose ``runs`` table
    cannot be read is refused before anything is written.
    """
    ensure_schema(con)
    quick_check(con)
    parameters, sources = knowledge_frames(knowledge)
    run_row = pd.DataFrame(
        [
            {
                "run_id": record.run_id,
                "kind": record.kind,
                "indication": record.indication,
                "scenario": record.scenario,
                "n_draws": record.n_draws,
                "seed": record.seed,
                "method": record.method,
                "settings": json.dumps(record.settings, sort_keys=True),
                "inputs_hash": record.inputs_hash,
                "package_version": record.package_version,
                "created_at": record.created_at or datetime.now(UTC).replace(tzinfo=None),
            }
        ]
    )
    results = results.assign(run_id=record.run_id)
    with transaction(con, f"run {record.run_id}"):
        for table in ("results", "draws", "runs"):
            con.execute(f"DELETE FROM {table} WHERE run_id = ?", [record.run_id])
        known = con.execute(
            "SELECT count(*) FROM parameters WHERE inputs_hash = ?", [knowledge.content_hash]
        ).fetchall()
        if known[0][0] == 0:
            _insert(con, "parameters", parameters)
            _insert(con, "sources", sources)
        _insert(con, "runs", run_row)
        _insert(con, "results", results)
        if draws is not None:
            _insert(con, "draws", draws.assign(run_id=record.run_id))
        if before_commit is not None:
            before_commit()


def list_runs(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    ensure_schema(con)
    return con.execute("SELECT * FROM runs ORDER BY created_at").df()


def read_results(con: duckdb.DuckDBPyConnection, run_id: str) -> pd.DataFrame:
    ensure_schema(con)
    return con.execute(
        "SELECT * FROM results WHERE run_id = ? ORDER BY metric, country, year, level, key",
        [run_id],
    ).df()
