"""How fast, and in how much memory, does ``agenttrace export`` write requests to JSONL?

    uv run python benchmarks/export.py [--records 1000000]

Loads ``--records`` records (properties, usage, no bodies) into a SQLite store in a
temporary directory, serves it with a real collector, and runs ``agenttrace export
out.jsonl`` in a child process (it reads ``GET /v1/export/requests``, an NDJSON stream),
reporting its records per second and its peak resident memory (``ru_maxrss`` of the
child). Baselines in the same run: a child that only fetches the list's pages (``GET
/v1/requests`` by cursor, 1,000 a page, the way exports went before the stream) and throws
them away, and one that reads the export stream and throws it away (the collector's share
of the time). Targets: at least 50,000 records/s and an exporter below 200 MB.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from agenttrace.records import Record, Usage
from agenttrace.server.store import open_store
from agenttrace.server.testing import running_collector

TARGET_RATE = 50_000
TARGET_MB = 200
T0 = datetime(2025, 3, 1, tzinfo=UTC)
SCRIPT = Path(sys.executable).with_name("agenttrace")

_FETCH_ONLY = """
import sys, httpx
url = sys.argv[1]
with httpx.Client(base_url=url, timeout=120) as http:
    params = {"order": "asc", "limit": "1000"}
    while True:
        page = http.get("/v1/requests", params=params).json()
        if page["next_cursor"] is None:
            break
        params = {"cursor": page["next_cursor"], "limit": "1000"}
"""

_STREAM_ONLY = """
import sys, httpx
with httpx.Client(base_url=sys.argv[1], timeout=120) as http:
    with http.stream("GET", "/v1/export/requests") as answer:
        for _ in answer.iter_bytes():
            pass
"""


def _load(database_url: str, total: int) -> None:
    store = open_store(database_url)
    try:
        batch = []
        for i in range(total):
            start = T0 + timedelta(seconds=i)
            batch.append(
                Record(id=f"r{i:07d}", session_id=f"s{i // 20:06d}", session_path="/agent",
                       model="gpt-4o-mini", provider="openai", user_id=f"u{i % 100}",
                       properties={"env": "prod", "customer": f"c{i % 500}"},
                       start_time=start, end_time=start + timedelta(milliseconds=800),
                       usage=Usage(input_tokens=120, output_tokens=40), cost_usd=0.0001)
            )  # fmt: skip
            if len(batch) == 2000:
                store.ingest("default", batch)
                batch = []
        if batch:
            store.ingest("default", batch)
    finally:
        store.close()


def _child(command: list[str]) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of a child process running ``command``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak_kb, before) / 1024


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; exit status 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="agenttrace-bench-") as tmp:
        database_url = f"sqlite:///{Path(tmp) / 'agenttrace.db'}"
        started = time.perf_counter()
        _load(database_url, args.records)
        print(f"loaded {args.records:,} records in {time.perf_counter() - started:.1f} s")
        with running_collector(database_url=database_url) as collector:
            fetch_s, fetch_mb = _child([sys.executable, "-c", _FETCH_ONLY, collector.url])
            stream_s, _ = _child([sys.executable, "-c", _STREAM_ONLY, collector.url])
            out = Path(tmp) / "out.jsonl"
            export_s, export_mb = _child(
                [str(SCRIPT), "--endpoint", collector.url, "--timeout", "120", "export", str(out)]
            )
        lines = sum(1 for _ in out.open("rb"))
    assert lines == args.records, (lines, args.records)
    rate = args.records / export_s
    print(f"export to JSONL: {export_s:.1f} s, {rate:,.0f} records/s, peak RSS {export_mb:.0f} MB")
    print(f"baseline, fetch the pages only: {fetch_s:.1f} s, "
          f"{args.records / fetch_s:,.0f} records/s, peak RSS {fetch_mb:.0f} MB")  # fmt: skip
    print(f"baseline, read the export stream only: {stream_s:.1f} s, "
          f"{args.records / stream_s:,.0f} records/s")  # fmt: skip
    print(f"ratio export / fetch pages only: {export_s / fetch_s:.2f}, "
          f"export / read stream only: {export_s / stream_s:.2f}")  # fmt: skip
    ok = rate >= TARGET_RATE and export_mb < TARGET_MB
    print(f"targets {TARGET_RATE:,} records/s and < {TARGET_MB} MB: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
