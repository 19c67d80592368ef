"""Fixtures for the knowledge tests: the template package and broken copies of it."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from leptomarket.knowledge.loader import indication_root

BROKEN = Path(__file__).resolve().parents[1] / "fixtures" / "broken"
TEMPLATE = indication_root("template")


def build_broken(case: str, destination: Path) -> Path:
    """Copy the template to ``destination`` and lay the case's defective file(s) over it."""
    root = destination / case
    shutil.copytree(TEMPLATE, root)
    shutil.copytree(BROKEN / case, root, dirs_exist_ok=True)
    return root


@pytest.fixture
def broken(tmp_path: Path) -> Callable[[str], Path]:
    """``broken("share_sum")`` -> path of a template copy with that one defect."""
    return lambda case: build_broken(case, tmp_path)


@pytest.fixture
def template_copy(tmp_path: Path) -> Path:
    """A writable copy of the template indication."""
    root = tmp_path / "template"
    shutil.copytree(TEMPLATE, root)
    return root
