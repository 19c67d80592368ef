"""Check that report.html renders its charts in headless Chromium, offline.

Usage::

    python scripts/check_report_render.py REPORT.html [--screenshot PNG] [--chromium PATH]

Chromium loads the page from disk with networking features off, runs its
scripts, and dumps the rendered DOM. Each figure of the page is a
``<div class="plotly-graph-div">``; Plotly marks a div it has drawn with the
class ``js-plotly-plot`` and fills it with ``<svg class="main-svg">``
layers. The check counts figures in the page and rendered charts in the
DOM, prints both, and exits 1 if any chart did not render (2 if Chromium
could not run).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--virtual-time-budget=20000",
)
FIGURE_DIV = re.compile(r'<div id="[^"]+" class="plotly-graph-div"')
RENDERED_DIV = re.compile(r'<div[^>]*class="[^"]*\bjs-plotly-plot\b[^"]*"')
MAIN_SVG = re.compile(r'<svg[^>]*class="main-svg"')


@dataclass(frozen=True)
class RenderResult:
    """Figures in the page, charts rendered by Plotly in the DOM and main SVG layers."""

    figures: int
    rendered: int
    main_svg: int

    @property
    def ok(self) -> bool:
        return self.figures > 0 and self.rendered == self.figures and self.main_svg >= self.figures


def _run(chromium: str, page: Path, extra: list[str], timeout: float) -> str:
    with tempfile.TemporaryDirectory(prefix="lm-chromium-") as profile:
        command = [chromium, *FLAGS, f"--user-data-dir={profile}", *extra, page.as_uri()]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"chromium exited with {done.returncode}: {done.stderr[-2000:]}")
    return done.stdout


def check_render(
    page: str | Path,
    screenshot: str | Path | None = None,
    chromium: str = CHROMIUM,
    timeout: float = 180.0,
) -> RenderResult:
    """Render ``page`` in headless Chromium and count figures against rendered charts.

    Parameters
    ----------
    page
        The report HTML file.
    screenshot
        Also write a full-width PNG of the top of the page here.
    chromium
        Chromium executable.

    Raises
    ------
    RuntimeError
        If Chromium cannot be run or fails.
    """
    page = Path(page).resolve()
    if shutil.which(chromium) is None:
        raise RuntimeError(f"chromium not found at {chromium}")
    figures = len(FIGURE_DIV.findall(page.read_text(encoding="utf-8")))
    dom = _run(chromium, page, ["--dump-dom"], timeout)
    result = RenderResult(
        figures=figures,
        rendered=len(RENDERED_DIV.findall(dom)),
        main_svg=len(MAIN_SVG.findall(dom)),
    )
    if screenshot is not None:
        shot = Path(screenshot).resolve()
        shot.parent.mkdir(parents=True, exist_ok=True)
        _run(chromium, page, [f"--screenshot={shot}", "--window-size=1400,2400"], timeout)
    return result


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", type=Path, help="report.html to check")
    parser.add_argument("--screenshot", type=Path, default=None, help="write a PNG here")
    parser.add_argument("--chromium", default=CHROMIUM, help="Chromium executable")
    args = parser.parse_args(argv)
    try:
        result = check_render(args.page, args.screenshot, args.chromium)
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        print(f"render check could not run: {exc}", file=sys.stderr)
        return 2
    print(f"figures in page:        {result.figures}")
    print(f"rendered Plotly charts: {result.rendered}")
    print(f"main-svg layers:        {result.main_svg}")
    if args.screenshot is not None:
        print(f"screenshot:             {args.screenshot.resolve()}")
    if not result.ok:
        print("FAIL: not every figure rendered", file=sys.stderr)
        return 1
    print("OK: every figure rendered")
    return 0


if __name__ == "__main__":
    sys.exit(main())
