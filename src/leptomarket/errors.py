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
