"""Python API: run the models on an indication and store the runs.

The CLI, the report and the web API call these functions; they never compute
model numbers themselves.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from pathlib import Path

import pandas as pd

from leptomarket import __version__
from leptomarket.engine.budget_impact import budget_impact_tables
from leptomarket.engine.capacity import capacity_table, diagnostics_delivery_market
from leptomarket.engine.feasibility import feasibility_table
from leptomarket.engine.forecast import ForecastResult, run_forecast
from leptomarket.engine.opportunities import opportunity_table
from leptomarket.engine.run import EpiResult, Progress, RunSettings, run_epidemiology, run_id
from leptomarket.engine.value import value_tables
from leptomarket.errors import RunSpooledError, StoreLockedError
from leptomarket.knowledge.loader import load_indication
from leptomarket.knowledge.model import Knowledge
from leptomarket.scenarios.scenario import base_scenario, load_scenario
from leptomarket.store.database import check_writable, connect
from leptomarket.store.integrity import quick_check
from leptomarket.store.runs import RunRecord, write_run
from leptomarket.store.spool import write_spool


def store_run(
    record: RunRecord,
    summary: pd.DataFrame,
    knowledge: Knowledge,
    db: str | Path | None,
    lock_wait: float | None = None,
) -> None:
    """Write a run to the store in one transaction.

    If another process keeps the store locked past the lock wait, the run is
    written to a spool file instead, so no computed run is lost.

    Raises
    ------
    RunSpooledError
        Naming the spool file and the command that imports it.
    """
    try:
        con = connect(db, lock_wait=lock_wait)
    except StoreLockedError as exc:
        spool = write_spool(record, summary, knowledge, db)
        raise RunSpooledError(
            f"{exc}. The computed run {record.run_id} was saved to {spool}; import it with: "
            f"leptomarket runs import {spool}",
            spool,
        ) from exc
    try:
        write_run(con, record, summary, knowledge)
    finally:
        con.close()


def check_store_before_run(db: str | Path | None) -> None:
    """Before computing: the store can be written and is not damaged.

    File permissions are checked, and an existing store is opened read-only
    for a quick check of its tables. A store locked by another process is not
    an error here: the run waits for it (or is spooled) when it is written.

    Raises
    ------
    StoreError
        If the store is read-only, cannot be created, or is damaged.
    """
    path = check_writable(db)
    if not path.exists():
        return
    try:
        con = connect(path, read_only=True, lock_wait=0)
    except StoreLockedError:
        return
    try:
        quick_check(con)
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
    if store:
        check_store_before_run(db)
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
    if store:
        check_store_before_run(db)
    result = run_forecast(knowledge, settings, scenario=chosen, progress=progress)
    summary = result.summary()
    record = run_record("forecast", knowledge, settings, chosen.content_hash)
    if store:
        store_run(record, summary, knowledge, db)
    return record, result, summary


def decision_forecast(
    settings: RunSettings,
    scenario: str | Path | None = None,
    indication: str | Path = "lm",
    db: str | Path | None = None,
    store: bool = False,
    knowledge: Knowledge | None = None,
    progress: Progress | None = None,
) -> ForecastResult:
    """The forecast whose kept draws the decision views read (stored only if ``store``)."""
    _, result, _ = run_market_forecast(
        settings, scenario, indication, db, store, knowledge, progress
    )
    return result


def asset_value(result: ForecastResult, **options: object) -> dict[str, pd.DataFrame]:
    """rNPV of pipeline assets and company portfolios (see ``engine.value.value_tables``)."""
    return value_tables(result, **options)


def budget_impact(
    result: ForecastResult, therapy: str, **options: object
) -> dict[str, pd.DataFrame]:
    """Budget impact of ``therapy`` for a plan (see ``engine.budget_impact``)."""
    return budget_impact_tables(result, therapy, **options)


def trial_feasibility(result: ForecastResult, **options: object) -> pd.DataFrame:
    """Eligible patients and months to enrol a trial (see ``engine.feasibility``)."""
    return feasibility_table(result, **options)


def white_space(result: ForecastResult, **options: object) -> pd.DataFrame:
    """Segment x country white-space ranking (see ``engine.opportunities``)."""
    return opportunity_table(result, **options)


def provider_capacity(result: ForecastResult, **options: object) -> pd.DataFrame:
    """Work-ups, tests and procedures per catchment (see ``engine.capacity``)."""
    return capacity_table(result, **options)


def diagnostics_market(result: ForecastResult) -> pd.DataFrame:
    """CSF liquid-biopsy and intra-CSF delivery volumes and revenue (see ``engine.capacity``)."""
    return diagnostics_delivery_market(result)
