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


def store_run(
    record: RunRecord, summary: pd.DataFrame, knowledge: Knowledge, db: str | Path | None
) -> None:
    """Write a run to the store in one transaction."""
    con = connect(db)
    try:
        write_run(con, record, summary, knowledge)
    finally:
        con.close()


def run_record(
    kind: str, knowledge: Knowledge, settings: RunSettings, scenario_hash: str = ""
) -> RunRecord:
    """The record of a run: id = hash of inputs, settings, scenario and package version."""
    return RunRecord(
        run_id=run_id(kind, knowledge, settings, extra=scenario_hash),
        kind=kind,
        indication=knowledge.name,
        scenario=settings.scenario,
        n_draws=settings.n_draws,
        seed=settings.seed,
        method=settings.sampling_method,
        settings=asdict(settings) | ({"scenario_hash": scenario_hash} if scenario_hash else {}),
        inputs_hash=knowledge.content_hash,
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
    record = run_record("epi", knowledge, settings)
    if store:
        store_run(record, summary, knowledge, db)
    return record, result, summary


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
    chosen = load_scenario(knowledge, scenario) if scenario is not None else base_scenario()
    settings = replace(settings, scenario=chosen.name)
    result = run_forecast(knowledge, settings, scenario=chosen, progress=progress)
    summary = result.summary()
    record = run_record("forecast", knowledge, settings, chosen.content_hash)
    if store:
        store_run(record, summary, knowledge, db)
    return record, result, summary
