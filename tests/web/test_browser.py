"""The dashboard in headless Chromium: it computes the market and matches the API."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import threading
import time

import httpx
import pytest
import uvicorn

from leptomarket.web.app import create_app

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    port = free_port()
    config = uvicorn.Config(
        create_app("template", str(tmp_path / "store.duckdb")),
        host="127.0.0.1",
        port=port,
        log_level="warning",
    )
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    for _ in range(100):
        if instance.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(timeout=10)


def rendered_market(url: str) -> float:
    result = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--virtual-time-budget=20000",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    match = re.search(r'id="headline" data-market="([0-9.e+]+)"', result.stdout)
    assert match, result.stdout[-2000:]
    return float(match.group(1))


def api_market(base: str, levers: dict[str, float]) -> float:
    body = {"region": "ALL", "draws": 200, "levers": levers}
    rows = httpx.post(f"{base}/api/forecast", json=body, timeout=60).json()["rows"]
    return next(
        r["mean"]
        for r in rows
        if r["metric"] == "revenue"
        and r["level"] == "market"
        and r["key"] == "drug"
        and r["year"] == 2022
    )


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed")
def test_the_dashboard_shows_the_api_market_and_a_lever_moves_it(server):
    base = rendered_market(f"{server}/")
    cheaper = rendered_market(f"{server}/?cheaper=1")
    assert cheaper < base
    assert base == pytest.approx(api_market(server, {}), rel=1e-9)
    assert cheaper == pytest.approx(api_market(server, {"cheaper": 1.0}), rel=1e-9)
