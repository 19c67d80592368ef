"""Load benchmark of the JSON API on 127.0.0.1 (prints; never asserts).

Starts ``leptomarket serve``'s app with uvicorn in a thread on a free
loopback port, then sends a fixed number of requests with httpx from
``--clients`` threads, for two cases:

* cached summaries: the same 1,000-draw forecast again and again (served
  from the run-id cache after the first);
* fresh forecasts: 1,000-draw forecasts with a different seed each time.

Prints requests per second, p50 and p95 latency, the error count, and the
server process's CPU seconds beside wall time.

Usage::

    python benchmarks/bench_api.py [--indication lm] [--cached 200] [--fresh 10] [--clients 4]
"""

from __future__ import annotations

import argparse
import socket
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
import uvicorn

from leptomarket.web.app import create_app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(indication: str, db: Path) -> tuple[str, uvicorn.Server]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(indication, str(db)), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server


def load(base: str, bodies: list[dict], clients: int) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0

    def one(body: dict) -> None:
        nonlocal errors
        started = time.perf_counter()
        try:
            response = httpx.post(f"{base}/api/forecast", json=body, timeout=300)
            if response.status_code != 200:
                errors += 1
        except httpx.HTTPError:
            errors += 1
        latencies.append(time.perf_counter() - started)

    wall, cpu = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, bodies))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "requests": len(bodies),
        "per_second": len(bodies) / wall,
        "p50_ms": float(np.percentile(latencies, 50)) * 1000,
        "p95_ms": float(np.percentile(latencies, 95)) * 1000,
        "errors": errors,
        "wall_s": wall,
        "cpu_s": cpu,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--indication", default="lm")
    parser.add_argument("--cached", type=int, default=200)
    parser.add_argument("--fresh", type=int, default=10)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        base, server = serve(args.indication, Path(folder) / "store.duckdb")
        body = {"draws": 1000, "region": "7MM", "year": 2034}
        httpx.post(f"{base}/api/forecast", json=body, timeout=300)  # warm the cache
        cases = {
            "cached summaries": [body] * args.cached,
            "fresh 1,000-draw forecasts": [{**body, "seed": seed} for seed in range(args.fresh)],
        }
        print(
            f"{'case':28s} {'requests':>8s} {'req/s':>8s} {'p50 ms':>8s} {'p95 ms':>8s} "
            f"{'errors':>6s} {'CPU s':>7s} {'wall s':>7s}"
        )
        for name, bodies in cases.items():
            r = load(base, bodies, args.clients)
            print(
                f"{name:28s} {r['requests']:8d} {r['per_second']:8.1f} {r['p50_ms']:8.1f} "
                f"{r['p95_ms']:8.1f} {r['errors']:6d} {r['cpu_s']:7.1f} {r['wall_s']:7.1f}"
            )
        server.should_exit = True


if __name__ == "__main__":
    main()
