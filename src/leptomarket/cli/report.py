"""``leptomarket report``: the market report as one offline HTML page and an Excel workbook."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from leptomarket.cli.common import (
    DEFAULT_SEED,
    AllowWarningsOption,
    DbOption,
    DrawsOption,
    IndicationOption,
    MethodOption,
    SeedOption,
    check_output_path,
    console,
    handle_errors,
    run_settings,
)
from leptomarket.cli.main import app
from leptomarket.cli.market import ScenarioOption
from leptomarket.cli.progress import draw_progress
from leptomarket.knowledge.loader import load_for_run
from leptomarket.report.build import run_report

OutOption = Annotated[
    Path, typer.Option("--out", help="Folder for report.html and report.xlsx (created if needed).")
]


@app.command()
@handle_errors
def report(
    scenario: ScenarioOption = None,
    draws: DrawsOption = 1000,
    seed: SeedOption = DEFAULT_SEED,
    method: MethodOption = "mc",
    out: OutOption = Path("leptomarket-report"),
    indication: IndicationOption = "lm",
    db: DbOption = None,
    allow_warnings: AllowWarningsOption = False,
) -> None:
    """Market report: run the scenario and every bundled one, write report.html and .xlsx."""
    started = time.perf_counter()
    settings = run_settings(draws, seed, method, allow_warnings)
    check_output_path(out, folder=True)
    knowledge = load_for_run(indication, allow_warnings)
    outcome = run_report(
        out,
        settings,
        scenario=scenario,
        knowledge=knowledge,
        db=db,
        progress=lambda label: draw_progress(draws, label),
    )
    seconds = time.perf_counter() - started
    runs = len(outcome.data.scenarios)
    console.print(f"HTML report:  {outcome.html}", highlight=False, soft_wrap=True)
    console.print(f"Excel report: {outcome.xlsx}", highlight=False, soft_wrap=True)
    console.print(outcome.headline, highlight=False, soft_wrap=True, markup=False)
    console.print(
        f"[dim]{runs} scenario run(s) stored; built in {seconds:.1f} s.[/dim]", highlight=False
    )
