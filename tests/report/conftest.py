"""A template-indication report built once per test session (64 draws, fixed seed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from leptomarket.engine.run import RunSettings
from leptomarket.report.build import ReportOutcome, run_report

SEED = 4242
DRAWS = 64


@pytest.fixture(scope="session")
def template_report(tmp_path_factory: pytest.TempPathFactory) -> ReportOutcome:
    """The report of the template indication, written to a temporary folder."""
    root: Path = tmp_path_factory.mktemp("report")
    return run_report(
        root / "out",
        RunSettings(n_draws=DRAWS, seed=SEED),
        indication="template",
        db=root / "store.duckdb",
    )
