"""The ``trials`` and ``landscape`` commands (CliRunner; HTTP mocked with respx)."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import httpx
import respx
from typer.testing import CliRunner

from leptomarket.cli.main import app
from leptomarket.store.database import connect
from leptomarket.trials.storage import list_snapshots, read_studies

CTGOV = Path(__file__).resolve().parents[1] / "fixtures" / "ctgov"
MIRROR = "http://mirror.test/api/v2"
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def snapshot_state(db: Path) -> list[tuple]:
    con = connect(db)
    try:
        return (
            list_snapshots(con)[["snapshot_id", "source", "n_studies", "is_current"]]
            .to_records(index=False)
            .tolist()
        )
    finally:
        con.close()


def test_trials_lists_bundled_snapshot_offline_with_filters(db_path):
    result = run("trials", "--db", str(db_path), "--format", "json")
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)) == 52
    result = run(
        "trials",
        "--db",
        str(db_path),
        "--format",
        "csv",
        "--modality",
        "radiation",
        "--phase",
        "PHASE3",
    )
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2 and "NCT06500481" in lines[1]
    result = run("trials", "--db", str(db_path), "--format", "json", "--sponsor", "seagen")
    assert [r["trial_key"] for r in json.loads(result.stdout)] == ["NCT03501979"]


def test_refresh_unreachable_fails_in_one_line_and_keeps_snapshot(db_path):
    assert run("trials", "--db", str(db_path), "--format", "csv").exit_code == 0
    before = snapshot_state(db_path)
    started = time.monotonic()
    result = run("trials", "refresh", "--db", str(db_path), "--base-url", "http://127.0.0.1:9")
    elapsed = time.monotonic() - started
    assert result.exit_code != 0
    assert elapsed < 10
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "127.0.0.1:9" in lines[0] and "snapshot kept" in lines[0]
    assert "Traceback" not in result.output
    assert snapshot_state(db_path) == before


def page_responder(request: httpx.Request) -> httpx.Response:
    token = request.url.params.get("pageToken")
    number = {None: 1, "PAGE2TOKEN": 2, "PAGE3TOKEN": 3}[token]
    return httpx.Response(200, content=(CTGOV / f"page{number}.json").read_bytes())


def test_refresh_from_mirror_then_changes(db_path, monkeypatch):
    monkeypatch.setenv("LEPTOMARKET_CTGOV_URL", MIRROR)
    with respx.mock(base_url=MIRROR) as mock:
        route = mock.get("/studies").mock(side_effect=page_responder)
        result = run("trials", "refresh", "--db", str(db_path), "--min-interval", "0")
    assert result.exit_code == 0, result.output
    assert route.call_count == 3
    state = snapshot_state(db_path)
    # bundled first, then 38 CT.gov studies + 14 curated rows without NCT id
    assert state == [(1, "bundled", 52, False), (2, "ctgov", 52, True)]
    con = connect(db_path)
    studies = read_studies(con)
    con.close()
    assert (studies.loc[studies["nct_id"].notna(), "classified_by"] == "rules").all()

    result = run("trials", "changes", "--db", str(db_path), "--format", "json")
    changes = json.loads(result.stdout)
    kinds = {c["change"] for c in changes}
    assert kinds <= {"status_change", "phase_change", "new_trial", "removed_trial"}
    # fixtures fill an unknown status with UNKNOWN: seen as a status change
    assert any(c["trial_key"] == "NCT01645839" and c["new_value"] == "UNKNOWN" for c in changes)
    assert not any(c["change"] in {"new_trial", "removed_trial"} for c in changes)


def test_landscape_outputs(db_path, tmp_path):
    result = run("landscape", "--db", str(db_path), "--format", "json")
    assert result.exit_code == 0, result.output
    tables = json.loads(result.stdout)
    assert set(tables) >= {"phase_by_modality", "companies", "start_timeline", "big_companies"}
    html = tmp_path / "landscape.html"
    out_dir = tmp_path / "csv"
    result = run(
        "landscape",
        "--db",
        str(db_path),
        "--format",
        "csv",
        "--out",
        str(out_dir),
        "--html",
        str(html),
    )
    assert result.exit_code == 0, result.output
    assert (out_dir / "asset_trials.csv").exists()
    text = html.read_text()
    assert not re.search(r"<script[^>]*\bsrc=", text)  # no CDN: Plotly JS is inline
    assert len(text) > 1_000_000 and text.count("Plotly.newPlot") == 3
    result = run("landscape", "--db", str(db_path))
    assert result.exit_code == 0 and "Large companies" in result.stdout


def test_parquet_without_out_is_a_one_paragraph_error(db_path):
    result = run("landscape", "--db", str(db_path), "--format", "parquet")
    assert result.exit_code == 2
    assert "needs --out" in result.stderr
