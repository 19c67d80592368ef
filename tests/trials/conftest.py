"""Shared fixtures for the trials tests: fixture pages, fake clock, temporary store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CTGOV = FIXTURES / "ctgov"


def load_page(number: int) -> dict:
    """Body of fixture page ``number`` (1-3)."""
    return json.loads((CTGOV / f"page{number}.json").read_text(encoding="utf-8"))


class FakeTime:
    """A clock that only moves when ``sleep`` is called; records the sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def pages() -> list[dict]:
    return [load_page(n) for n in (1, 2, 3)]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "store.duckdb"
