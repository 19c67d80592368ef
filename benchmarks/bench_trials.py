"""Throughput of parse + classify + store for CT.gov study records.

Expands the three v2 fixture pages (tests/fixtures/ctgov) to N study records
(distinct NCT ids, statuses, start years, sponsors), then times, on one run:
normalising the JSON, classifying with the rule tables and writing one
snapshot into a temporary DuckDB file (batched DataFrame inserts). Prints
studies per second; asserts nothing.

Usage: ``python benchmarks/bench_trials.py [N]`` (default 10,000).
"""

from __future__ import annotations

import copy
import json
import sys
import tempfile
import time
from pathlib import Path

from leptomarket.store.database import connect
from leptomarket.trials.bundled import pipeline_assets
from leptomarket.trials.refresh import records_from_studies
from leptomarket.trials.storage import write_snapshot

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "ctgov"
STATUSES = ("RECRUITING", "COMPLETED", "ACTIVE_NOT_RECRUITING", "TERMINATED", "UNKNOWN")
SPONSORS = ("Pfizer", "Memorial Sloan Kettering Cancer Center", "Acme Bio Inc.", "NCI")


def expanded_studies(n: int) -> list[dict]:
    """``n`` study dicts: the fixture studies cycled with varied ids and fields."""
    base = []
    for page in (1, 2, 3):
        base += json.loads((FIXTURES / f"page{page}.json").read_text(encoding="utf-8"))["studies"]
    studies = []
    for i in range(n):
        study = copy.deepcopy(base[i % len(base)])
        protocol = study["protocolSection"]
        protocol["identificationModule"]["nctId"] = f"NCT{10_000_000 + i:08d}"
        protocol["statusModule"]["overallStatus"] = STATUSES[i % len(STATUSES)]
        protocol["statusModule"]["startDateStruct"] = {"date": f"{1995 + i % 31}-03"}
        protocol["sponsorCollaboratorsModule"]["leadSponsor"]["name"] = (
            f"{SPONSORS[i % len(SPONSORS)]} {i % 97}"
        )
        studies.append(study)
    return studies


def main(argv: list[str]) -> None:
    n = int(argv[1]) if len(argv) > 1 else 10_000
    studies = expanded_studies(n)
    assets = pipeline_assets()
    with tempfile.TemporaryDirectory() as tmp:
        con = connect(Path(tmp) / "bench.duckdb")
        started = time.perf_counter()
        records = records_from_studies(studies, source="benchmark")
        classified = time.perf_counter()
        write_snapshot(con, records, assets, source="benchmark")
        stored = time.perf_counter()
        rows = con.execute("SELECT count(*) FROM trial_studies").fetchone()[0]
        con.close()
    total = stored - started
    print(f"studies: {n:,} (stored rows: {rows:,})")
    print(f"parse + classify: {classified - started:.2f} s ({n / (classified - started):,.0f}/s)")
    print(
        f"store (DuckDB, batched): {stored - classified:.2f} s ({n / (stored - classified):,.0f}/s)"
    )
    print(f"parse + classify + store: {total:.2f} s -> {n / total:,.0f} studies/s (target 2,000)")


if __name__ == "__main__":
    main(sys.argv)
