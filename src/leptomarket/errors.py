"""Errors that carry a message a user can act on.

Every error raised for bad input names the file, the field and the reason, so
the CLI can print it as one paragraph without a traceback.
"""

from __future__ import annotations

from pathlib import Path


class LeptomarketError(Exception):
    """Base class for errors shown to users as a single paragraph."""


class InputError(LeptomarketError):
    """Bad input data: names the file, the field (key path) and the reason."""

    def __init__(self, file: str | Path | None, field: str | None, reason: str) -> None:
        self.file = str(file) if file is not None else None
        self.field = field
        self.reason = reason
        where = []
        if self.file:
            where.append(f"file {self.file}")
        if field:
            where.append(f"field '{field}'")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {reason}" if prefix else reason)


class ValidationFailedError(LeptomarketError):
    """One or more validation issues were found (strict mode, or errors)."""

    def __init__(self, issues: list) -> None:
        self.issues = issues
        lines = [str(issue) for issue in issues]
        super().__init__(f"{len(issues)} validation problem(s):\n" + "\n".join(lines))


class StoreError(LeptomarketError):
    """The DuckDB store could not be opened or written."""


class NetworkError(LeptomarketError):
    """A remote service could not be reached or answered badly."""


class StoreLockedError(StoreError):
    """Another process holds the store's lock for longer than the wait allowed."""


class RunSpooledError(StoreError):
    """The store stayed locked: the computed run was written to a spool file instead."""

    def __init__(self, message: str, spool: object) -> None:
        super().__init__(message)
        self.spool = spool


class InvalidRunError(LeptomarketError):
    """A computed run breaks an invariant (NaN, out of domain, treated > diagnosed...);
    it is refused before it reaches the store."""


def user_error(exc: BaseException) -> LeptomarketError:
    """The project's own error for any exception from files, decoding, parsing or the store.

    A :class:`LeptomarketError` is returned as it is; operating-system, decoding,
    YAML, DuckDB and validation errors are turned into one with the file and
    the reason; anything else is reported as an internal error with its type.
    """
    import duckdb
    import yaml
    from pydantic import ValidationError

    if isinstance(exc, LeptomarketError):
        return exc
    if isinstance(exc, UnicodeError):
        return InputError(None, None, f"text is not valid UTF-8 ({exc})")
    if isinstance(exc, OSError):
        names = [str(n) for n in (exc.filename, exc.filename2) if n is not None]
        reason = exc.strerror or str(exc) or type(exc).__name__
        return InputError(" -> ".join(names) or None, None, f"cannot read or write: {reason}")
    if isinstance(exc, RecursionError):
        return InputError(None, None, "input is nested too deeply to read")
    if isinstance(exc, MemoryError):
        return LeptomarketError("out of memory: reduce --draws or the size of the input")
    if isinstance(exc, yaml.YAMLError):
        return InputError(None, None, f"invalid YAML: {exc}")
    if isinstance(exc, duckdb.Error):
        return StoreError(f"store error ({type(exc).__name__}): {exc}")
    if isinstance(exc, ValidationError):
        error = exc.errors()[0]
        field = ".".join(str(p) for p in error["loc"]) or None
        return InputError(None, field, error["msg"])
    return LeptomarketError(
        f"internal error ({type(exc).__name__}): {exc}. This is a bug in leptomarket; "
        "run again with --debug (or LEPTOMARKET_DEBUG=1) to see where it happened."
    )
