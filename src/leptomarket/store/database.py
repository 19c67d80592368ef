"""Open the embedded DuckDB store.

The store is one DuckDB file. Its default place is the user's data directory
(``platformdirs.user_data_dir("leptomarket")``); the ``LEPTOMARKET_DB``
environment variable or an explicit path (the CLI's ``--db``) overrides it.
Each subsystem creates its own tables with ``CREATE TABLE IF NOT EXISTS`` when
it first writes, so opening the store never changes stored data.

DuckDB lets one process write a file at a time (readers in other processes
wait too). Commands therefore open the store only for the moment they read
or write, read-only where they only read, and wait for a held lock with
backoff (``LEPTOMARKET_LOCK_WAIT`` seconds, default 30) before giving up
with :class:`~leptomarket.errors.StoreLockedError` (see ``docs/store.md``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import duckdb
from platformdirs import user_data_dir

from leptomarket.errors import StoreError, StoreLockedError

DB_ENV_VAR = "LEPTOMARKET_DB"
DB_FILENAME = "leptomarket.duckdb"
LOCK_WAIT_ENV_VAR = "LEPTOMARKET_LOCK_WAIT"
DEFAULT_LOCK_WAIT = 30.0


def lock_wait_seconds(lock_wait: float | None = None) -> float:
    """Seconds to wait for a held lock: the argument, else ``$LEPTOMARKET_LOCK_WAIT``, else 30."""
    if lock_wait is not None:
        return max(0.0, float(lock_wait))
    env = os.environ.get(LOCK_WAIT_ENV_VAR)
    if env:
        try:
            return max(0.0, float(env))
        except ValueError:
            raise StoreError(
                f"${LOCK_WAIT_ENV_VAR} must be a number of seconds, got {env!r}"
            ) from None
    return DEFAULT_LOCK_WAIT


def is_lock_conflict(exc: BaseException) -> bool:
    """Whether a DuckDB error means another process holds the file's lock."""
    text = str(exc)
    return "Could not set lock" in text or "Conflicting lock" in text


def default_db_path() -> Path:
    """Path of the store: ``$LEPTOMARKET_DB`` if set, else the user data directory."""
    env = os.environ.get(DB_ENV_VAR)
    if env:
        return Path(env).expanduser()
    return Path(user_data_dir("leptomarket")) / DB_FILENAME


def resolve_db_path(path: str | Path | None) -> Path:
    """An explicit path wins over the environment variable and the default.

    Raises
    ------
    StoreError
        If the path is empty or names a folder (``--db ""`` would otherwise
        resolve to the current directory).
    """
    if path is None:
        chosen = default_db_path()
    else:
        if str(path).strip() in ("", "."):
            raise StoreError("--db is empty: give the path of a DuckDB store file")
        chosen = Path(path).expanduser()
    if chosen.is_dir():
        raise StoreError(f"--db {chosen} is a folder: give the path of a DuckDB store file")
    return chosen


def connect(
    path: str | Path | None = None,
    read_only: bool = False,
    lock_wait: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the DuckDB store at ``path``.

    While another process holds the file's lock, retry with backoff (0.1 s
    doubling to 2 s) for up to ``lock_wait`` seconds (:func:`lock_wait_seconds`).

    Raises
    ------
    StoreLockedError
        If the lock is still held after the wait.
    StoreError
        If the file cannot be created or opened (names the path and the reason).
    """
    db_path = resolve_db_path(path)
    if read_only and not db_path.exists():
        raise StoreError(f"no store at {db_path} yet: run a forecast or a report first")
    budget = lock_wait_seconds(lock_wait)
    waited, delay = 0.0, 0.1
    while True:
        try:
            if not read_only:
                db_path.parent.mkdir(parents=True, exist_ok=True)
            return duckdb.connect(str(db_path), read_only=read_only)
        except duckdb.Error as exc:
            if not is_lock_conflict(exc):
                raise StoreError(f"cannot open the store at {db_path}: {exc}") from exc
            if waited >= budget:
                raise StoreLockedError(
                    f"the store at {db_path} is locked by another process "
                    f"(waited {waited:.0f} s; set --lock-wait or ${LOCK_WAIT_ENV_VAR} to wait "
                    "longer)"
                ) from exc
            step = min(delay, budget - waited)
            sleep(step)
            waited += step
            delay = min(delay * 2, 2.0)
        except OSError as exc:
            raise StoreError(f"cannot open the store at {db_path}: {exc}") from exc


def check_writable(path: str | Path | None = None) -> Path:
    """Fail early (before computing) if the store could not be written at all.

    Checks file-system permissions only; a lock held by another process is
    handled when writing (wait, then spool).

    Raises
    ------
    StoreError
        If the file is read-only or its folder cannot be created or written.
    """
    db_path = resolve_db_path(path)
    if db_path.exists():
        if not os.access(db_path, os.W_OK):
            raise StoreError(f"the store at {db_path} is read-only: cannot store the run")
        return db_path
    folder = db_path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise StoreError(f"cannot create the store at {db_path}: {folder} is not writable")
    return db_path


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection, what: str) -> Iterator[None]:
    """``BEGIN`` ... ``COMMIT``, rolled back on any error or interruption.

    A DuckDB error becomes a :class:`StoreError` naming ``what`` was being
    written; anything else (including KeyboardInterrupt) is re-raised after the
    rollback. A process killed inside the block leaves the file as it was
    before ``BEGIN`` (DuckDB discards uncommitted work on recovery).
    """
    con.execute("BEGIN TRANSACTION")
    try:
        yield
        con.execute("COMMIT")
    except duckdb.Error as exc:
        _rollback(con)
        raise StoreError(f"could not store {what}: {exc}") from exc
    except BaseException:
        _rollback(con)
        raise


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back without hiding the error that caused it (a failed ROLLBACK is moot)."""
    with suppress(duckdb.Error):
        con.execute("ROLLBACK")


def is_read_only(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether ``con`` was opened read-only (its schema then cannot be created)."""
    row = con.execute(
        "SELECT readonly FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    return bool(row and row[0])


def has_table(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]
    ).fetchone()
    return bool(row and row[0])
