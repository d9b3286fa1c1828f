"""What the per-session advisory locks cost native ingest into PostgreSQL.

    uv run python benchmarks/ingest_session_locks_postgres.py
    uv run python benchmarks/ingest_session_locks_postgres.py --batches 40 --rounds 7

Every ingest locks the sessions of its batch first (`Dialect.lock_sessions`: one
``pg_advisory_xact_lock`` per session, all in one statement) so that native and OTLP
batches writing the same sessions cannot deadlock. Here ``PostgresStore.ingest`` stores
``--batches`` batches of 1,000 LLM-call records (50 sessions each, the records of
`store_ingest_postgres`) into a fresh schema, with the locks and with `lock_sessions` made
a no-op (what native ingest did before), the two alternating ``--rounds`` times in one
run; printed: each round, the medians and their ratio, and the load average. Target: the
locks cost at most 5 % (ratio >= 0.95; the machine's noise is often larger: run again).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from store_ingest_postgres import PROJECT, _ingest_records

from agenttrace.records import Record
from agenttrace.server.store.dialect import DbConnection
from agenttrace.server.store.postgres import PostgresStore
from agenttrace.server.store.postgres_dialect import PostgresDialect

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' PostgreSQL helper
from tests.support.postgres_server import find_server, temporary_schema

TARGET = 0.95


def _no_locks(self: PostgresDialect, conn: DbConnection, keys: Iterable[str]) -> None:
    """`PostgresDialect.lock_sessions` as a no-op."""


def _rate(server: str, batches: Sequence[Sequence[Record]]) -> float:
    """Records/s of ``PostgresStore.ingest`` storing ``batches`` into a fresh schema."""
    with temporary_schema(server, prefix="agenttrace_bench") as url:
        store = PostgresStore(url)
        try:
            started = time.perf_counter()
            for batch in batches:
                store.ingest(PROJECT, batch)
            return sum(map(len, batches)) / (time.perf_counter() - started)
        finally:
            store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--postgres-url", default=None)
    args = parser.parse_args(argv)
    server = args.postgres_url or find_server()[0]
    if server is None:
        raise SystemExit(f"no PostgreSQL: pass --postgres-url ({find_server()[1]})")
    records = _ingest_records(1000 * args.batches, random.Random(7))
    batches = [records[i : i + 1000] for i in range(0, len(records), 1000)]
    locking = PostgresDialect.lock_sessions
    rates: dict[str, list[float]] = {"with session locks": [], "without": []}
    _rate(server, batches[:2])  # warm-up: imports, the server's caches
    for number in range(1, args.rounds + 1):
        for label in rates if number % 2 else reversed(rates):
            PostgresDialect.lock_sessions = locking if label != "without" else _no_locks  # type: ignore[method-assign]
            try:
                rates[label].append(_rate(server, batches))
            finally:
                PostgresDialect.lock_sessions = locking  # type: ignore[method-assign]
        print(
            f"   round {number}: "
            + ", ".join(f"{label} {values[-1]:,.0f}" for label, values in rates.items())
            + " records/s"
        )
    medians = {label: statistics.median(values) for label, values in rates.items()}
    for label, value in medians.items():
        print(f"   {label:<20} {value:>8,.0f} records/s (median)")
    ratio = medians["with session locks"] / medians["without"]
    print(f"   with / without = {ratio:.3f} (target >= {TARGET})")
    print(f"   load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0 if ratio >= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
