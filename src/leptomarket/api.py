"""Python API: run the models on an indication and store the runs.

The CLI, the report and the web API call these functions; they never compute
model numbers themselves.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from pathlib import Path

import pandas as pd

from leptomarket import __version__
from leptomarket.engine.forecast import ForecastResult, run_forecast
from leptomarket.engine.run import EpiResult, Progress, RunSettings, run_epidemiology, run_id
from leptomarket.knowledge.loader import load_indication
from leptomarket.knowledge.model import Knowledge
from leptomarket.scenarios.scenario import base_scenario, load_scenario
from leptomarket.store.database import connect
from leptomarket.store.runs import RunRecord, write_run


def epi_record(result: EpiResult) -> RunRecord:
    settings = result.settings
    return RunRecord(
        run_id=run_id("epi", result.knowledge, settings),
        kind="epi",
        indication=result.knowledge.name,
        scenario=settings.scenario,
        n_draws=settings.n_draws,
        seed=settings.seed,
        method=settings.sampling_method,
        settings=asdict(settings),
        inputs_hash=result.knowledge.content_hash,
        package_version=__version__,
    )


def run_epi(
    settings: RunSettings,
    indication: str | Path = "lm",
    db: str | Path | None = None,
    store: bool = True,
    knowledge: Knowledge | None = None,
    progress: Progress | None = None,
) -> tuple[RunRecord, EpiResult, pd.DataFrame]:
    """Run the epidemiology funnel; store the run (one transaction) unless ``store`` is False.

    Returns the run record, the kept draws and the summary table.
    """
    knowledge = knowledge or load_indication(indication)
    result = run_epidemiology(knowledge, settings, progress=progress)
    summary = result.summary()
    record = epi_record(result)
    if store:
        con = connect(db)
        try:
            write_run(con, record, summary, knowledge)
        finally:
            con.close()
    return record, result, summary


def forecast_record(result: ForecastResult) -> RunRecord:
    settings = result.settings
    return RunRecord(
        run_id=run_id("forecast", result.knowledge, settings, extra=result.scenario.content_hash),
        kind="forecast",
        indication=result.knowledge.name,
        scenario=result.scenario.name,
        n_draws=settings.n_draws,
        seed=settings.seed,
        method=settings.sampling_method,
        settings=asdict(settings) | {"scenario_hash": result.scenario.content_hash},
        inputs_hash=result.knowledge.content_hash,
        package_version=__version__,
    )


def run_market_forecast(
    settings: RunSettings,
    scenario: str | Path | None = None,
    indication: str | Path = "lm",
    db: str | Path | None = None,
    store: bool = True,
    knowledge: Knowledge | None = None,
    progress: Progress | None = None,
) -> tuple[RunRecord, ForecastResult, pd.DataFrame]:
    """Run the full forecast under a scenario (bundled name or YAML path).

    The scenario is checked before anything runs; a bad scenario raises an
    InputError and nothing is stored. The run is stored in one transaction.
    """
    knowledge = knowledge or load_indication(indication)
    chosen = load_scenario(knowledge, scenario) if scenario else base_scenario()
    settings = replace(settings, scenario=chosen.name)
    result = run_forecast(knowledge, settings, scenario=chosen, progress=progress)
    summary = result.summary()
    record = forecast_record(result)
    if store:
        con = connect(db)
        try:
            write_run(con, record, summary, knowledge)
        finally:
            con.close()
    return record, result, summary
