"""Store integrity: a full check, a quick check before writing, backup and restore.

``check_store`` checkpoints the store, reads every row of every table (so a
damaged data block surfaces now, not at the next full scan) and checks that
every run has results and every result a run. ``quick_check`` reads the
small ``runs`` table only; writing commands call it and refuse a store that
fails. Backups are DuckDB ``EXPORT DATABASE`` folders (schema, load script
and one Parquet file per table); ``restore`` imports one into a new file and
then replaces the store with it in one rename.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from leptomarket.errors import StoreError
from leptomarket.store.database import connect, has_table, resolve_db_path


@dataclass
class StoreReport:
    """What a full check found."""

    path: Path
    tables: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def paragraph(self) -> str:
        """One paragraph for readers: the verdict, the tables read and any damage."""
        counts = ", ".join(f"{name} {rows:,}" for name, rows in sorted(self.tables.items()))
        if self.ok:
            return (
                f"store {self.path}: OK; every row of every table read ({counts or 'no tables'})."
            )
        return (
            f"store {self.path}: DAMAGED: {'; '.join(self.problems)}. Tables read: "
            f"{counts or 'none'}. Restore a backup (leptomarket store restore PATH) or move "
            "the file aside and start a new store."
        )


def _tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        row[0]
        for row in con.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'main' ORDER BY table_name"
        ).fetchall()
    ]


def check_store(db: str | Path | None = None, lock_wait: float | None = None) -> StoreReport:
    """Checkpoint, read every table fully, and check run ids against their results."""
    path = resolve_db_path(db)
    report = StoreReport(path)
    if not path.exists():
        report.problems.append("no store file")
        return report
    try:
        con = connect(path, lock_wait=lock_wait)
    except StoreError as exc:
        report.problems.append(f"cannot be opened ({exc})")
        return report
    try:
        try:
            con.execute("CHECKPOINT")
        except duckdb.Error as exc:
            report.problems.append(f"checkpoint failed ({exc})")
        for table in _tables(con):
            try:
                rows, _ = con.execute(
                    f'SELECT count(*), bit_xor(hash(t)) FROM "{table}" t'
                ).fetchone()
                report.tables[table] = int(rows)
            except duckdb.Error as exc:
                report.problems.append(f"table {table} cannot be read ({_one_line(exc)})")
        if has_table(con, "runs") and has_table(con, "results") and "runs" in report.tables:
            try:
                empty = con.execute(
                    "SELECT run_id FROM runs "
                    "WHERE run_id NOT IN (SELECT DISTINCT run_id FROM results)"
                ).fetchall()
                orphans = con.execute(
                    "SELECT DISTINCT run_id FROM results "
                    "WHERE run_id NOT IN (SELECT run_id FROM runs)"
                ).fetchall()
            except duckdb.Error as exc:
                report.problems.append(f"run ids cannot be compared ({_one_line(exc)})")
            else:
                if empty:
                    report.problems.append(
                        f"{len(empty)} run(s) without results (e.g. {empty[0][0]})"
                    )
                if orphans:
                    report.problems.append(
                        f"results of {len(orphans)} unknown run(s) (e.g. {orphans[0][0]})"
                    )
    finally:
        con.close()
    return report


#: Tables a quick check skips: kept draws can be large, and ``store check`` reads them.
QUICK_CHECK_SKIPS = frozenset({"draws"})


def quick_check(con: duckdb.DuckDBPyConnection) -> None:
    """Read every table but the kept draws; a store that fails is not written to.

    A hash over every row forces every data block to be read and its checksum
    verified (about 0.1 s per million result rows).

    Raises
    ------
    StoreError
        Saying the store is damaged and which command tells more.
    """
    try:
        for table in _tables(con):
            if table not in QUICK_CHECK_SKIPS:
                con.execute(f'SELECT count(*), bit_xor(hash(t)) FROM "{table}" t').fetchone()
    except duckdb.Error as exc:
        raise StoreError(
            f"the store is damaged ({_one_line(exc)}); nothing was written. Run "
            "`leptomarket store check` for details, or restore a backup"
        ) from exc


def backup_store(
    target: Path, db: str | Path | None = None, lock_wait: float | None = None
) -> Path:
    """Export a consistent copy of the store to the folder ``target`` (must not exist)."""
    if target.exists():
        raise StoreError(f"{target} already exists: give a new folder for the backup")
    path = resolve_db_path(db)
    if not path.exists():
        raise StoreError(f"no store at {path} to back up")
    target.parent.mkdir(parents=True, exist_ok=True)
    con = connect(path, read_only=True, lock_wait=lock_wait)
    try:
        con.execute(f"EXPORT DATABASE '{target.as_posix()}' (FORMAT PARQUET)")
    except duckdb.Error as exc:
        shutil.rmtree(target, ignore_errors=True)
        raise StoreError(f"backup to {target} failed: {_one_line(exc)}") from exc
    finally:
        con.close()
    return target


def restore_store(
    source: Path, db: str | Path | None = None, lock_wait: float | None = None
) -> Path:
    """Replace the store with a backup folder (the old file is kept as ``.before-restore``)."""
    if not (source / "schema.sql").is_file() or not (source / "load.sql").is_file():
        raise StoreError(f"{source} is not a backup folder (no schema.sql and load.sql)")
    path = resolve_db_path(db)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(path.name + ".restoring")
    if staging.exists():
        staging.unlink()
    con = duckdb.connect(str(staging))
    try:
        con.execute(f"IMPORT DATABASE '{source.as_posix()}'")
    except duckdb.Error as exc:
        con.close()
        staging.unlink(missing_ok=True)
        raise StoreError(f"restore from {source} failed: {_one_line(exc)}") from exc
    con.close()
    if path.exists():
        # Take the write lock for the swap, so no writer is mid-transaction.
        lock = connect(path, lock_wait=lock_wait)
        lock.close()
        os.replace(path, path.with_name(path.name + ".before-restore"))
        wal = path.with_name(path.name + ".wal")
        if wal.exists():
            os.replace(wal, path.with_name(path.name + ".before-restore.wal"))
    os.replace(staging, path)
    return path


def _one_line(value: object) -> str:
    return " ".join(str(value).split())
