"""Spool files: a computed run kept safe when the store is locked, and its import.

A spool file is a small DuckDB file with the run tables of
:mod:`leptomarket.store.runs` holding one run. ``leptomarket runs import
FILE`` copies it into the store in one transaction (replacing a run with the
same id) and then removes the file.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
from platformdirs import user_cache_dir

from leptomarket.errors import StoreError
from leptomarket.knowledge.model import Knowledge
from leptomarket.store.database import connect, resolve_db_path, transaction
from leptomarket.store.runs import RunRecord, ensure_schema, write_run

RUN_TABLES = ("runs", "results", "draws", "parameters", "sources")


def spool_dir(db: str | Path | None) -> Path:
    """``<store>.spool/`` beside the store, or the user cache directory if that is not writable."""
    db_path = resolve_db_path(db)
    beside = db_path.with_name(db_path.name + ".spool")
    try:
        beside.mkdir(parents=True, exist_ok=True)
        return beside
    except OSError:
        fallback = Path(user_cache_dir("leptomarket")) / "spool"
        fallback.mkdir(parents=True, exist_ok=True)
        return fallback


def write_spool(
    record: RunRecord, summary: pd.DataFrame, knowledge: Knowledge, db: str | Path | None
) -> Path:
    """Write one run to a new spool file; return its path."""
    path = spool_dir(db) / f"run-{record.run_id}.duckdb"
    if path.exists():
        path.unlink()
    con = duckdb.connect(str(path))
    try:
        write_run(con, record, summary, knowledge)
    finally:
        con.close()
    return path


def import_spool(con: duckdb.DuckDBPyConnection, spool: Path) -> list[str]:
    """Copy the runs of a spool file into the store in one transaction; return their ids.

    Raises
    ------
    StoreError
        If the file is not a spool file (no run tables) or cannot be read.
    """
    if not spool.is_file():
        raise StoreError(f"{spool}: no such spool file")
    ensure_schema(con)
    alias = "spool_in"
    try:
        con.execute(f"ATTACH '{spool.as_posix()}' AS {alias} (READ_ONLY)")
    except duckdb.Error as exc:
        raise StoreError(f"{spool}: not a readable DuckDB spool file ({exc})") from exc
    try:
        tables = {
            row[0]
            for row in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_catalog = ?",
                [alias],
            ).fetchall()
        }
        if "runs" not in tables or "results" not in tables:
            raise StoreError(f"{spool}: not a spool file (it holds no runs table)")
        run_ids = [row[0] for row in con.execute(f"SELECT run_id FROM {alias}.runs").fetchall()]
        with transaction(con, f"import of {spool.name}"):
            for table in ("results", "draws", "runs"):
                if table in tables:
                    con.execute(
                        f"DELETE FROM {table} WHERE run_id IN (SELECT run_id FROM {alias}.runs)"
                    )
            for table in ("parameters", "sources"):
                if table in tables:
                    con.execute(
                        f"INSERT INTO {table} BY NAME SELECT * FROM {alias}.{table} "
                        f"WHERE inputs_hash NOT IN (SELECT inputs_hash FROM {table})"
                    )
            for table in ("runs", "results", "draws"):
                if table in tables:
                    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {alias}.{table}")
    finally:
        con.execute(f"DETACH {alias}")
    return run_ids


def import_spool_file(
    spool: Path, db: str | Path | None, lock_wait: float | None = None
) -> list[str]:
    """Import a spool file into the store and remove the file once the runs are in."""
    con = connect(db, lock_wait=lock_wait)
    try:
        run_ids = import_spool(con, spool)
    finally:
        con.close()
    spool.unlink()
    return run_ids
