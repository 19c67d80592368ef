"""Open the embedded DuckDB store.

The store is one DuckDB file. Its default place is the user's data directory
(``platformdirs.user_data_dir("leptomarket")``); the ``LEPTOMARKET_DB``
environment variable or an explicit path (the CLI's ``--db``) overrides it.
Each subsystem creates its own tables with ``CREATE TABLE IF NOT EXISTS`` when
it first writes, so opening the store never changes stored data.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import duckdb
from platformdirs import user_data_dir

from leptomarket.errors import StoreError

DB_ENV_VAR = "LEPTOMARKET_DB"
DB_FILENAME = "leptomarket.duckdb"


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


def connect(path: str | Path | None = None, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the DuckDB store at ``path``.

    Raises
    ------
    StoreError
        If the file cannot be created or opened (names the path and the reason).
    """
    db_path = resolve_db_path(path)
    try:
        if not read_only:
            db_path.parent.mkdir(parents=True, exist_ok=True)
        return duckdb.connect(str(db_path), read_only=read_only)
    except (OSError, duckdb.Error) as exc:
        raise StoreError(f"cannot open the store at {db_path}: {exc}") from exc


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
