"""The report renders every chart in headless Chromium (skipped without Chromium)."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "check_report_render.py"

pytestmark = pytest.mark.skipif(
    shutil.which(CHROMIUM) is None,
    reason=f"headless Chromium not installed at {CHROMIUM} (apt-get install chromium)",
)


def load_checker():
    spec = importlib.util.spec_from_file_location("check_report_render", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


def test_every_figure_renders(template_report, tmp_path):
    checker = load_checker()
    result = checker.check_render(template_report.html, screenshot=tmp_path / "page.png")
    assert result.figures >= 6
    assert result.rendered == result.figures, result
    assert result.ok
    assert (tmp_path / "page.png").stat().st_size > 10_000
