"""Snapshots: atomic swap, failure and kill half-way, changes between snapshots."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from leptomarket.store.database import connect
from leptomarket.trials.bundled import curated_records, pipeline_assets
from leptomarket.trials.refresh import ensure_snapshot
from leptomarket.trials.storage import (
    current_snapshot_id,
    list_snapshots,
    read_studies,
    snapshot_changes,
    write_snapshot,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


class InjectedError(RuntimeError):
    pass


def many_records(n: int):
    base = curated_records(FIXTURES / "lm-trials.csv")
    return [dataclasses.replace(base[i % len(base)], nct_id=f"NCT9{i:07d}") for i in range(n)]


def test_first_use_loads_the_bundled_snapshot(db_path):
    con = connect(db_path)
    assert current_snapshot_id(con) is None
    sid = ensure_snapshot(con)
    assert sid == 1 and ensure_snapshot(con) == 1
    studies = read_studies(con)
    assert len(studies) == 52
    assert studies["trial_key"].is_unique
    assert (studies["classified_by"] == "curated").all()
    assert list_snapshots(con)["source"].tolist() == ["bundled"]
    con.close()


def test_new_snapshot_becomes_current_and_old_is_kept(db_path):
    con = connect(db_path)
    ensure_snapshot(con)
    sid = write_snapshot(con, many_records(10), pipeline_assets(), source="test")
    snapshots = list_snapshots(con)
    assert snapshots["snapshot_id"].tolist() == [1, 2]
    assert snapshots["is_current"].tolist() == [False, True]
    assert current_snapshot_id(con) == sid == 2
    assert len(read_studies(con)) == 10
    assert len(read_studies(con, 1)) == 52
    con.close()


def test_failure_after_rows_written_keeps_previous_snapshot(db_path):
    con = connect(db_path)
    ensure_snapshot(con)
    written: list[int] = []

    def fail_after_first_batch(n: int) -> None:
        written.append(n)
        if len(written) == 2:
            raise InjectedError("injected failure half-way")

    with pytest.raises(InjectedError):
        write_snapshot(
            con,
            many_records(500),
            pipeline_assets(),
            source="test",
            batch_size=100,
            progress=fail_after_first_batch,
        )
    assert written == [100, 200]  # rows were really inserted before the failure
    assert current_snapshot_id(con) == 1
    assert len(list_snapshots(con)) == 1
    assert con.execute("SELECT count(*) FROM trial_studies").fetchone()[0] == 52
    assert len(read_studies(con)) == 52
    con.close()


KILLED_WRITER = textwrap.dedent(
    """
    import dataclasses, sys, time
    from leptomarket.store.database import connect
    from leptomarket.trials.bundled import curated_records, pipeline_assets
    from leptomarket.trials.storage import write_snapshot

    base = curated_records()
    records = [dataclasses.replace(base[i % 52], nct_id=f"NCT9{i:07d}") for i in range(3000)]

    def stall(n):
        print("WRITTEN", n, flush=True)
        time.sleep(120)

    con = connect(sys.argv[1])
    write_snapshot(con, records, pipeline_assets(), source="killed", batch_size=500,
                   progress=stall)
    """
)


def test_refresh_killed_mid_write_leaves_previous_snapshot(db_path):
    con = connect(db_path)
    ensure_snapshot(con)
    con.close()
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(db_path)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        line = proc.stdout.readline()
        assert line.startswith("WRITTEN 500"), line
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    con = connect(db_path)
    assert current_snapshot_id(con) == 1
    assert list_snapshots(con)["source"].tolist() == ["bundled"]
    assert len(read_studies(con)) == 52
    assert con.execute("SELECT count(*) FROM trial_studies").fetchone()[0] == 52
    con.close()


def test_changes_detects_new_trial_status_and_phase_change(db_path):
    con = connect(db_path)
    ensure_snapshot(con)
    records = curated_records()
    by_id = {r.nct_id: r for r in records}
    by_id["NCT01645839"].status = "COMPLETED"  # was empty
    by_id["NCT05289908"].status = "ACTIVE_NOT_RECRUITING"  # was RECRUITING
    by_id["NCT04192981"].phase = "PHASE2"  # was PHASE1
    removed = by_id["NCT02607605"]
    records.remove(removed)
    new = dataclasses.replace(by_id["NCT05034497"], nct_id="NCT09999999", status="RECRUITING")
    records.append(new)
    write_snapshot(con, records, pipeline_assets(), source="test")
    changes = snapshot_changes(con)
    summary = sorted(zip(changes["change"], changes["trial_key"], strict=True))
    assert summary == [
        ("new_trial", "NCT09999999"),
        ("phase_change", "NCT04192981"),
        ("removed_trial", "NCT02607605"),
        ("status_change", "NCT01645839"),
        ("status_change", "NCT05289908"),
    ]
    row = changes[changes["trial_key"] == "NCT05289908"].iloc[0]
    assert (row["old_value"], row["new_value"]) == ("RECRUITING", "ACTIVE_NOT_RECRUITING")
    assert snapshot_changes(con, new_id=1).empty
    con.close()
