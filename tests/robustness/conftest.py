"""Fixtures for the robustness tests: a CLI runner on a temporary store, hostile files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from leptomarket.cli.main import app

WIDE = {"COLUMNS": "400", "LEPTOMARKET_DEBUG": "0"}


class Invoke:
    """``cli("forecast", "--draws", "0")`` on a temporary store; returns the result."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self.runner = CliRunner()

    def __call__(self, *args: str, env: dict[str, str] | None = None):
        return self.runner.invoke(
            app, list(args), env={**WIDE, "LEPTOMARKET_DB": str(self.db), **(env or {})}
        )


@pytest.fixture
def cli(tmp_path: Path) -> Invoke:
    return Invoke(tmp_path / "store.duckdb")


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str | bytes], Path]:
    """``write("s.yaml", text_or_bytes)`` -> its path under the test's folder."""

    def _write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return _write


def assert_refused(result, *words: str, code: int = 2) -> None:
    """Exit ``code``, no traceback, and every word in the message."""
    text = result.output
    assert result.exit_code == code, text
    assert "Traceback" not in text, text
    assert result.exception is None or isinstance(result.exception, SystemExit), text
    for word in words:
        assert word in text, f"{word!r} not in {text!r}"


@pytest.fixture
def refused() -> Callable[..., None]:
    """The :func:`assert_refused` check, as a fixture."""
    return assert_refused
