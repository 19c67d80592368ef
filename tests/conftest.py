"""Fixtures shared across the test folders."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from leptomarket.knowledge.loader import indication_root


@pytest.fixture
def template_with_a_warning(tmp_path: Path) -> Path:
    """A template copy whose group-one remainder is dropped: one 'priced' warning per country."""
    root = tmp_path / "template_with_a_warning"
    shutil.copytree(indication_root("template"), root)
    shares = root / "parameters" / "market" / "within_group_share.yaml"
    shares.write_text(
        shares.read_text(encoding="utf-8").replace(
            "  - {segment: t1_x, therapy: other_g1, value: 0.2}\n", ""
        ),
        encoding="utf-8",
    )
    return root
