"""Real processes on one store: waits, spools, imports, damage and backups."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from leptomarket.store.database import connect

HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


def cli(db: Path, *args: str, lock_wait: float = 30, timeout: float = 240):
    env = {
        **os.environ,
        "LEPTOMARKET_DB": str(db),
        "LEPTOMARKET_LOCK_WAIT": str(lock_wait),
        "COLUMNS": "200",
    }
    return subprocess.run(
        [sys.executable, "-m", "leptomarket.cli.main", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )


def start(db: Path, log: Path, *args: str, lock_wait: float = 60) -> subprocess.Popen:
    """A CLI process in the background; its stderr goes to ``log`` (stdout is dropped)."""
    env = {**os.environ, "LEPTOMARKET_DB": str(db), "LEPTOMARKET_LOCK_WAIT": str(lock_wait)}
    return subprocess.Popen(
        [sys.executable, "-m", "leptomarket.cli.main", *args],
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
        env=env,
    )


def hold(db: Path, seconds: float) -> subprocess.Popen:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(db), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    return holder


def run_count(db: Path) -> int:
    con = connect(db, read_only=True)
    try:
        return con.execute("SELECT count(*) FROM runs").fetchone()[0]
    finally:
        con.close()


FORECAST = ("forecast", "--indication", "template", "--draws", "0", "--format", "csv")


def test_a_forecast_waits_for_a_held_lock_and_stores(tmp_path):
    db = tmp_path / "store.duckdb"
    assert cli(db, *FORECAST).returncode == 0
    holder = hold(db, 3)
    result = cli(db, *FORECAST, "--seed", "7", lock_wait=30)
    holder.wait()
    assert result.returncode == 0, result.stderr
    assert run_count(db) == 2


def test_a_lock_held_too_long_spools_the_run_and_runs_import_stores_it(tmp_path):
    db = tmp_path / "store.duckdb"
    assert cli(db, *FORECAST).returncode == 0
    holder = hold(db, 20)
    try:
        result = cli(db, "epi", "--indication", "template", "--draws", "50", lock_wait=1)
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 75, result.stderr
    assert "Traceback" not in result.stderr
    assert "locked by another process" in result.stderr
    spool = Path(result.stderr.split("leptomarket runs import ")[1].split()[0])
    assert spool.is_file()
    imported = cli(db, "runs", "import", str(spool))
    assert imported.returncode == 0, imported.stderr
    assert not spool.exists()
    assert run_count(db) == 2


def test_concurrent_forecasts_reports_and_readers_all_end_stored(tmp_path):
    db = tmp_path / "store.duckdb"
    assert cli(db, *FORECAST).returncode == 0
    commands = [(*FORECAST, "--draws", "20", "--seed", str(seed)) for seed in (1, 2, 3)]
    commands.append(
        ("report", "--indication", "template", "--draws", "20", "--out", str(tmp_path / "rep"))
    )
    commands += [("runs",), ("trials", "--format", "csv")]
    logs = [tmp_path / f"job{k}.log" for k in range(len(commands))]
    jobs = [start(db, log, *command) for log, command in zip(logs, commands, strict=True)]
    for job, log in zip(jobs, logs, strict=True):
        code = job.wait(timeout=300)
        stderr = log.read_text()
        assert code == 0, stderr
        assert "Traceback" not in stderr
    assert run_count(db) >= 1 + 3 + 1


def test_a_damaged_store_is_reported_and_never_written(tmp_path):
    db = tmp_path / "store.duckdb"
    for seed in range(3):
        assert (
            cli(
                db, "epi", "--indication", "template", "--draws", "200", "--seed", str(seed)
            ).returncode
            == 0
        )
    size = db.stat().st_size
    with open(db, "r+b") as handle:
        # Overwrite the checksum that opens every data block (256 KiB blocks after the
        # file headers): every block in use now fails its check when read.
        for offset in range(3 * 4096, size - 8, 262144):
            handle.seek(offset)
            handle.write(b"\xff" * 8)
    check = cli(db, "store", "check")
    if check.returncode == 0:
        pytest.skip("the overwritten bytes fell in free blocks on this platform")
    assert check.returncode == 1 and "DAMAGED" in check.stderr
    refused = cli(db, *FORECAST, "--seed", "11")
    assert refused.returncode == 2
    assert "damaged" in refused.stderr and "Traceback" not in refused.stderr


def test_backup_and_restore_round_trip(tmp_path):
    db = tmp_path / "store.duckdb"
    assert cli(db, *FORECAST).returncode == 0
    assert cli(db, "epi", "--indication", "template", "--draws", "30").returncode == 0
    backup = tmp_path / "backup"
    assert cli(db, "store", "backup", str(backup)).returncode == 0
    assert (backup / "schema.sql").is_file()
    again = cli(db, "store", "backup", str(backup))
    assert again.returncode == 2 and "already exists" in again.stderr
    restored = tmp_path / "restored.duckdb"
    assert cli(restored, "store", "restore", str(backup)).returncode == 0
    assert run_count(restored) == run_count(db) == 2
    assert cli(restored, "store", "check").returncode == 0


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores file modes")
def test_a_read_only_store_is_read_and_refused_for_writing_before_computing(tmp_path):
    db = tmp_path / "store.duckdb"
    assert cli(db, *FORECAST).returncode == 0
    db.chmod(0o444)
    try:
        assert cli(db, "runs").returncode == 0
        refused = cli(db, *FORECAST, "--seed", "5")
        assert refused.returncode == 2 and "read-only" in refused.stderr
    finally:
        db.chmod(0o644)


READ_HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


def test_reading_commands_share_the_store_with_another_reader(tmp_path):
    db = tmp_path / "store.duckdb"
    assert cli(db, *FORECAST).returncode == 0
    assert cli(db, "trials", "--format", "csv").returncode == 0  # loads the bundled snapshot
    reader = subprocess.Popen(
        [sys.executable, "-c", READ_HOLD, str(db), "15"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert reader.stdout is not None and reader.stdout.readline().strip() == "locked"
        # No wait allowed: a read-write open would fail at once; read-only opens share.
        listed = cli(db, "runs", "--format", "csv", lock_wait=0)
        shown = cli(db, "trials", "--format", "csv", lock_wait=0)
    finally:
        reader.kill()
        reader.wait()
    assert listed.returncode == 0, listed.stderr
    assert "forecast" in listed.stdout
    assert shown.returncode == 0, shown.stderr
