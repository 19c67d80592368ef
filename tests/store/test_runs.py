"""Runs in the DuckDB store: write and read back, stable run ids, atomic writes."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from leptomarket.api import run_epi
from leptomarket.engine.run import RunSettings, run_id
from leptomarket.errors import StoreError
from leptomarket.knowledge.loader import load_indication
from leptomarket.store.database import connect, resolve_db_path
from leptomarket.store.runs import list_runs, read_results, write_run

# Summary rows of a template epi run: 3 metrics x 3 places (AA, BB, region ALL)
# x 3 years x 8 keys (3 segments + 2 tumours + 2 scopes + total).
TEMPLATE_RESULT_ROWS = 3 * 3 * 3 * 8  # 216


@pytest.fixture(scope="module")
def template():
    return load_indication("template")


def count(db: Path, sql: str, *params) -> int:
    con = connect(db, read_only=True)
    try:
        return con.execute(sql, list(params)).fetchone()[0]
    finally:
        con.close()


def test_a_run_is_written_and_read_back(tmp_path, template):
    db = tmp_path / "x.duckdb"
    record, _, summary = run_epi(RunSettings(0), knowledge=template, db=db)
    assert len(summary) == TEMPLATE_RESULT_ROWS
    con = connect(db)
    try:
        results = read_results(con, record.run_id)
        runs = list_runs(con)
    finally:
        con.close()
    assert len(results) == TEMPLATE_RESULT_ROWS
    assert runs["run_id"].tolist() == [record.run_id]
    run = runs.iloc[0]
    assert (run["kind"], run["indication"], run["method"], run["n_draws"]) == (
        "epi",
        "template",
        "point",
        0,
    )
    assert run["inputs_hash"] == template.content_hash
    row = results[
        (results["metric"] == "treated_cases")
        & (results["country"] == "BB")
        & (results["year"] == 2021)
        & (results["key"] == "t1_x")
    ]
    assert row["mean"].iloc[0] == pytest.approx(100 / 0.625 * 0.5225 * 0.5, rel=1e-6)  # 41.8


def test_the_run_stores_its_parameters_and_sources(tmp_path, template):
    db = tmp_path / "x.duckdb"
    run_epi(RunSettings(0), knowledge=template, db=db)
    h = template.content_hash
    n_rows = sum(len(p.rows) for p in template.parameters.values())  # every sourced value
    assert n_rows >= 25  # the epidemiology files alone have 25
    assert count(db, "SELECT count(*) FROM parameters WHERE inputs_hash = ?", h) == n_rows
    assert count(db, "SELECT count(*) FROM sources WHERE inputs_hash = ?", h) == len(
        template.sources
    )
    # A second run on the same inputs does not store them twice.
    run_epi(RunSettings(0, seed=5), knowledge=template, db=db)
    assert count(db, "SELECT count(*) FROM parameters") == n_rows


def test_run_id_is_stable_for_the_same_settings_and_inputs(template):
    settings = RunSettings(200, seed=1)
    assert run_id("epi", template, settings) == run_id("epi", template, RunSettings(200, seed=1))
    # chunk size changes how the work is split, not the numbers.
    assert run_id("epi", template, settings) == run_id(
        "epi", template, RunSettings(200, seed=1, chunk_size=7)
    )
    assert run_id("epi", template, settings) != run_id("epi", template, RunSettings(200, seed=2))
    assert run_id("epi", template, settings) != run_id("epi", template, RunSettings(201, seed=1))
    assert run_id("epi", template, settings) != run_id(
        "epi", template, RunSettings(200, seed=1, method="lhs")
    )


def test_rewriting_a_run_replaces_it(tmp_path, template):
    db = tmp_path / "x.duckdb"
    first, _, _ = run_epi(RunSettings(0), knowledge=template, db=db)
    again, _, _ = run_epi(RunSettings(0), knowledge=template, db=db)
    other, _, _ = run_epi(RunSettings(0, seed=9), knowledge=template, db=db)
    assert first.run_id == again.run_id != other.run_id
    assert count(db, "SELECT count(*) FROM runs") == 2
    assert count(db, "SELECT count(*) FROM results") == 2 * TEMPLATE_RESULT_ROWS


def test_an_exception_inside_the_transaction_rolls_back(tmp_path, template):
    db = tmp_path / "x.duckdb"
    kept, _, _ = run_epi(RunSettings(0), knowledge=template, db=db)
    record, _, summary = run_epi(RunSettings(0, seed=2), knowledge=template, store=False)

    def explode() -> None:
        raise RuntimeError("disk on fire")

    con = connect(db)
    try:
        with pytest.raises(RuntimeError, match="disk on fire"):
            write_run(con, record, summary, template, before_commit=explode)
        # The connection is usable afterwards and holds only the earlier run.
        assert list_runs(con)["run_id"].tolist() == [kept.run_id]
    finally:
        con.close()
    assert count(db, "SELECT count(*) FROM results WHERE run_id = ?", record.run_id) == 0
    assert count(db, "SELECT count(*) FROM results") == TEMPLATE_RESULT_ROWS


def test_a_failed_rewrite_keeps_the_previous_version_of_the_run(tmp_path, template):
    db = tmp_path / "x.duckdb"
    record, _, summary = run_epi(RunSettings(0), knowledge=template, db=db)

    def interrupt() -> None:
        raise KeyboardInterrupt  # a BaseException, like Ctrl-C mid-write

    con = connect(db)
    try:
        with pytest.raises(KeyboardInterrupt):
            write_run(con, record, summary, template, before_commit=interrupt)
    finally:
        con.close()
    # The DELETE of the old rows was part of the rolled-back transaction.
    assert count(db, "SELECT count(*) FROM results WHERE run_id = ?", record.run_id) == (
        TEMPLATE_RESULT_ROWS
    )


def test_a_database_error_becomes_a_store_error_and_rolls_back(tmp_path, template):
    db = tmp_path / "x.duckdb"
    record, _, summary = run_epi(RunSettings(0), knowledge=template, store=False)
    con = connect(db)
    try:
        with pytest.raises(StoreError, match=f"could not store run {record.run_id}"):
            write_run(con, record, summary.assign(no_such_column=1.0), template)
        assert list_runs(con).empty
    finally:
        con.close()


KILLED_WRITER = textwrap.dedent(
    """
    import os, signal, sys
    from leptomarket.api import run_epi
    from leptomarket.engine.run import RunSettings
    from leptomarket.store.database import connect
    from leptomarket.store.runs import write_run

    db = sys.argv[1]
    run_epi(RunSettings(0, seed=1), indication="template", db=db)
    record, result, summary = run_epi(RunSettings(50, seed=2), indication="template", store=False)
    con = connect(db)
    print("writing second run", flush=True)
    write_run(
        con, record, summary, result.knowledge,
        before_commit=lambda: os.kill(os.getpid(), signal.SIGKILL),
    )
    print("not reached", flush=True)
    """
)


def test_a_run_killed_mid_write_leaves_earlier_runs_intact(tmp_path, template):
    db = tmp_path / "x.duckdb"
    process = subprocess.run(
        [sys.executable, "-c", KILLED_WRITER, str(db)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert process.returncode == -signal.SIGKILL, process.stderr
    assert "writing second run" in process.stdout
    assert "not reached" not in process.stdout

    first = run_id("epi", template, RunSettings(0, seed=1))
    second = run_id("epi", template, RunSettings(50, seed=2))
    con = connect(db)
    try:
        assert list_runs(con)["run_id"].tolist() == [first]
        results = read_results(con, first)
        assert len(results) == TEMPLATE_RESULT_ROWS
        assert read_results(con, second).empty
        bb = results[
            (results["metric"] == "incident_cases")
            & (results["country"] == "BB")
            & (results["level"] == "total")
        ]
        assert bb["mean"].tolist() == pytest.approx([224.0] * 3)  # (100 + 20 + 20) / 0.625
    finally:
        con.close()


def test_db_path_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv("LEPTOMARKET_DB", str(tmp_path / "env.duckdb"))
    assert resolve_db_path(None) == tmp_path / "env.duckdb"
    assert resolve_db_path(tmp_path / "explicit.duckdb") == tmp_path / "explicit.duckdb"


def test_unopenable_store_is_a_store_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="cannot open the store"):
        connect(blocker / "x.duckdb")
