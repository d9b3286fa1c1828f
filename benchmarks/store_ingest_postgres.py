"""The PostgreSQL store beside the SQLite store: ingest rate and a filtered sessions query.

    uv run python benchmarks/store_ingest_postgres.py
    uv run python benchmarks/store_ingest_postgres.py --records 1000000 --sessions 50000 \\
        --ingest-records 100000 --postgres-url postgresql://postgres@127.0.0.1:5432/test

1. Ingest: ``--ingest-records`` records (LLM-call shaped: session, path, user, three
   properties, usage, cost, a short prompt and reply as bodies) emitted into the real
   `Shipper` (batches of 1,000) and delivered to a real collector process
   (``python -m agenttrace.server``) over HTTP, timed from the first emit until ``flush``
   returns (everything acknowledged, i.e. committed). Into PostgreSQL, then into SQLite,
   ``--ingest-rounds`` times (fresh databases each round); printed: each round, the
   medians and their ratio. Targets on 2 cores: >= 10,000 records/s into PostgreSQL,
   >= 20,000 into SQLite.
2. Query: ``--records`` records in ``--sessions`` sessions bulk-loaded into both stores
   (COPY for PostgreSQL, executemany for SQLite; rows and rollups computed here, as ingest
   would), then ``Store.query_sessions`` (first page of 50 and the total) filtered by one
   property, a rare one (``customer``, 1,000 values) and a common one (``env``, 5 values),
   and by a one-hour time window; medians over ``--repeats`` runs, with both stores'
   query plans. Target: <= 100 ms median.

PostgreSQL: ``--postgres-url``, else ``AGENTTRACE_TEST_POSTGRES_URL``, else the test server
on 127.0.0.1:5432 (database ``test``). Everything goes to a temporary schema, dropped at the
end. Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from _collector import start_collector, stop
from shipper_throughput import calibration_ms

from agenttrace._internal.config import Settings
from agenttrace._internal.shipping import Shipper, encode_batch
from agenttrace.records import Record
from agenttrace.server._gc import tune_for_ingest
from agenttrace.server._ingest_route import parse_batch
from agenttrace.server.store import SessionQuery, SqlStore, open_store, session_filter
from agenttrace.server.store.migrations import RECORD_COLUMNS

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' PostgreSQL helper
from tests.support.postgres_server import find_server, temporary_schema

PROJECT = "default"
INGEST_TARGET = 10_000.0
SQLITE_INGEST_TARGET = 20_000.0
QUERY_TARGET_MS = 100.0
T0 = datetime(2025, 1, 1, tzinfo=UTC)
T0_US = int(T0.timestamp()) * 1_000_000
SESSION_COLUMNS = (
    "project_id, session_id, name, name_start_us, first_start_us, last_end_us, "
    "latest_start_us, request_count, error_count, prompt_tokens, completion_tokens, "
    "total_tokens, cost_usd, latency_sum_ms, latency_count, updated_us"
)


# -- 1. ingest through the collector -------------------------------------------------------


def _ingest_records(count: int, rng: random.Random) -> list[Record]:
    out = []
    for index in range(count):
        session = index // 20
        begin = T0 + timedelta(seconds=session * 60, milliseconds=(index % 20) * 700)
        out.append(
            Record.model_validate(
                {
                    "id": f"ingest-{index:08d}",
                    "kind": "llm",
                    "session_id": f"ingest-session-{session:06d}",
                    "session_name": "support-agent",
                    "session_path": f"/agent/step-{index % 4}",
                    "name": "ChatOpenAI",
                    "model": "gpt-4o-mini",
                    "provider": "openai",
                    "user_id": f"user-{session % 300}",
                    "properties": {
                        "env": f"env-{session % 5}",
                        "customer": f"customer-{session % 1000:04d}",
                        "region": f"region-{session % 3}",
                    },
                    "start_time": begin,
                    "end_time": begin + timedelta(milliseconds=rng.uniform(50, 3000)),
                    "usage": {"input_tokens": rng.randint(50, 4000), "output_tokens": 120},
                    "cost_usd": rng.uniform(0.0001, 0.02),
                    "request": {"messages": [{"role": "user", "content": "Where is my order?"}]},
                    "response": {"content": "It shipped yesterday; here is the tracking link."},
                }
            )
        )
    return out


def _ingest_rate(database_url: str, records: list[Record], spool: Path) -> float:
    """Records/s from the first emit until flush() confirms every record was stored."""
    # the collector's settings come from its options only, not this process's variables
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENTTRACE_", "PYTEST_"))}
    process, url = start_collector(database_url=database_url, env=env)
    try:
        settings = Settings.from_env(
            endpoint=url,
            spool_dir=spool,
            batch_size=1000,
            queue_size=len(records) + 1000,
            flush_interval=0.05,
        )
        shipper = Shipper(settings)
        try:
            warm = _ingest_records(1000, random.Random(1))
            for record in warm:
                shipper.emit(record.model_copy(update={"id": "warm-" + record.id}))
            if not shipper.flush(60):
                raise SystemExit(f"warm-up batch not delivered: {shipper.stats}")
            started = time.perf_counter()
            for record in records:
                shipper.emit(record)
            delivered = shipper.flush(600)
            elapsed = time.perf_counter() - started
            stats = shipper.stats
        finally:
            shipper.shutdown(30)
        if not delivered or stats.sent != len(records) + len(warm):
            raise SystemExit(f"not everything was delivered to {database_url}: {stats}")
        return len(records) / elapsed
    finally:
        stop(process)


def _stage_rates(records: list[Record], server: str, sqlite_path: Path) -> dict[str, float]:
    """Records/s of the collector's work for one batch, stage by stage, in this process
    (with the collector process's garbage-collector settings)."""
    tune_for_ingest()
    batches = [records[i : i + 1000] for i in range(0, len(records), 1000)]
    bodies = [encode_batch(batch) for batch in batches]
    rates: dict[str, float] = {}
    started = time.perf_counter()
    for body in bodies:
        parse_batch(body)
    rates["collector: parse and validate the JSON body"] = len(records) / (
        time.perf_counter() - started
    )
    with temporary_schema(server, prefix="agenttrace_bench") as url:
        for label, database_url in (
            ("PostgresStore.ingest", url),
            ("SQLiteStore.ingest", f"sqlite:///{sqlite_path}"),
        ):
            store = open_store(database_url)
            try:
                started = time.perf_counter()
                for batch in batches:
                    store.ingest(PROJECT, batch)
                rates[label] = len(records) / (time.perf_counter() - started)
            finally:
                store.close()
    return rates


# -- 2. bulk load and filtered sessions query ---------------------------------------------


def _rows(records: int, sessions: int) -> Iterator[tuple[str, tuple[Any, ...]]]:
    """(table, row) for every row ingest would write, rollups included; deterministic."""
    rng = random.Random(42)
    per_session = max(1, records // sessions)
    for s in range(sessions):
        sid = f"session-{s:06d}"
        properties = {
            "env": f"env-{s % 5}",
            "customer": f"customer-{s % 1000:04d}",
            "region": f"region-{s % 3}",
        }
        user = f"user-{s % 300}"
        start0 = T0_US + s * 60_000_000
        latency_sum = 0.0
        cost = 0.0
        prompt = completion = errors = 0
        last_end = start0
        for i in range(per_session):
            start = start0 + i * 700_000
            end = start + rng.randint(20_000, 2_000_000)
            status = "error" if rng.random() < 0.02 else "ok"
            tokens_in, tokens_out, price = rng.randint(50, 2000), rng.randint(5, 400), 0.001
            latency_sum += (end - start) / 1000.0
            cost += price
            prompt += tokens_in
            completion += tokens_out
            errors += status == "error"
            last_end = max(last_end, end)
            record_id = f"{sid}-{i:03d}"
            values = {
                "project_id": PROJECT,
                "id": record_id,
                "kind": "llm",
                "session_id": sid,
                "session_name": f"agent-run-{s % 50}",
                "path": f"/agent/step-{i % 4}",
                "parent_id": None,
                "name": "ChatOpenAI",
                "model": "gpt-4o-mini",
                "provider": "openai",
                "user_id": user,
                "start_us": start,
                "end_us": end,
                "ttft_ms": None,
                "status": status,
                "error_type": "ValueError" if status == "error" else None,
                "error_message": "bad" if status == "error" else None,
                "input_tokens": tokens_in,
                "output_tokens": tokens_out,
                "total_tokens": tokens_in + tokens_out,
                "cache_read_tokens": None,
                "cache_write_tokens": None,
                "reasoning_tokens": None,
                "cost_usd": price,
                "attempt": 1,
                "branch_id": None,
                "properties_json": json.dumps(properties, separators=(",", ":")),
                "request_json": None,
                "response_json": None,
                "received_us": start,
            }
            yield "records", tuple(values[column] for column in RECORD_COLUMNS)
            for key, value in properties.items():
                yield "record_properties", (PROJECT, record_id, key, value)
        yield (
            "sessions",
            (
                PROJECT, sid, f"agent-run-{s % 50}", start0, start0, last_end,
                start0 + (per_session - 1) * 700_000, per_session, errors, prompt, completion,
                prompt + completion, cost, latency_sum, per_session, start0,
            ),
        )  # fmt: skip
        for key, value in properties.items():
            yield "session_properties", (PROJECT, sid, key, value, start0)
        yield "session_users", (PROJECT, sid, user)


_COLUMNS = {
    "records": ", ".join(RECORD_COLUMNS),
    "record_properties": "project_id, record_id, key, value",
    "sessions": SESSION_COLUMNS,
    "session_properties": "project_id, session_id, key, value, first_start_us",
    "session_users": "project_id, session_id, user_id",
}


def _load_postgres(url: str, records: int, sessions: int) -> None:
    """COPY every table at once, one connection (and COPY stream) per table."""
    with ExitStack() as stack:
        connections = {table: stack.enter_context(psycopg.connect(url)) for table in _COLUMNS}
        copies = {
            table: stack.enter_context(
                conn.cursor().copy(f"COPY {table} ({_COLUMNS[table]}) FROM STDIN")
            )
            for table, conn in connections.items()
        }
        for table, row in _rows(records, sessions):
            copies[table].write_row(row)
        stack.close()  # ends the COPYs, then commits and closes the connections
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def _load_sqlite(path: Path, records: int, sessions: int) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN")
        batches: dict[str, list[tuple[Any, ...]]] = {table: [] for table in _COLUMNS}

        def flush(table: str) -> None:
            rows = batches[table]
            marks = ", ".join("?" * len(rows[0]))
            conn.executemany(f"INSERT INTO {table} ({_COLUMNS[table]}) VALUES ({marks})", rows)
            rows.clear()

        for table, row in _rows(records, sessions):
            batches[table].append(row)
            if len(batches[table]) >= 50_000:
                flush(table)
        for table, rows in batches.items():
            if rows:
                flush(table)
        conn.execute("COMMIT")
    finally:
        conn.close()


def _median_ms(run: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    result = run()  # warm-up: page cache, prepared statements, connections
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = run()
        times.append((time.perf_counter() - started) * 1000.0)
    return statistics.median(times), result


def _queries() -> dict[str, SessionQuery]:
    window = session_filter(since=T0 + timedelta(hours=100), until=T0 + timedelta(hours=101))
    return {
        "property customer=customer-0042 (rare)": SessionQuery(
            filter=session_filter(properties=[("customer", "customer-0042")])
        ),
        "property env=env-3 (common)": SessionQuery(
            filter=session_filter(properties=[("env", "env-3")])
        ),
        "created in a one-hour window": SessionQuery(filter=window),
    }


def _time_queries(store: SqlStore, repeats: int) -> dict[str, tuple[float, int, list[str]]]:
    timed = {}
    for label, query in _queries().items():
        ms, page = _median_ms(lambda query=query: store.query_sessions(PROJECT, query), repeats)
        sql, params = store.session_page_sql(PROJECT, query)
        timed[label] = (ms, page.total, store.explain(sql, params))
    return timed


# -- main ----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Run both parts; exit status 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=1_000_000, help="query part")
    parser.add_argument("--sessions", type=int, default=50_000, help="query part")
    parser.add_argument("--ingest-records", type=int, default=100_000, help="ingest part")
    parser.add_argument("--ingest-rounds", type=int, default=3, help="ingest part")
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--postgres-url", default=None)
    args = parser.parse_args(argv)
    server = args.postgres_url or find_server()[0]
    if server is None:
        raise SystemExit(f"no PostgreSQL: pass --postgres-url ({find_server()[1]})")
    ok = True
    with tempfile.TemporaryDirectory(prefix="agenttrace-bench-") as tmp:
        directory = Path(tmp)
        print(
            f"1. ingest: {args.ingest_records:,} records, real Shipper -> HTTP collector, "
            f"{args.ingest_rounds} round(s), each into fresh databases"
        )
        records = _ingest_records(args.ingest_records, random.Random(7))
        pg_rates: list[float] = []
        sqlite_rates: list[float] = []
        for round_number in range(1, args.ingest_rounds + 1):
            with temporary_schema(server, prefix="agenttrace_bench") as pg_url:
                spool = directory / f"spool-pg-{round_number}"
                pg_rates.append(_ingest_rate(pg_url, records, spool))
            sqlite_url = f"sqlite:///{directory / f'ingest-{round_number}.db'}"
            spool = directory / f"spool-sqlite-{round_number}"
            sqlite_rates.append(_ingest_rate(sqlite_url, records, spool))
            print(
                f"   round {round_number}: PostgreSQL {pg_rates[-1]:,.0f}, "
                f"SQLite {sqlite_rates[-1]:,.0f} records/s"
            )
        pg_rate = statistics.median(pg_rates)
        sqlite_rate = statistics.median(sqlite_rates)
        print(f"   PostgreSQL {pg_rate:>10,.0f} records/s (median)")
        print(f"   SQLite     {sqlite_rate:>10,.0f} records/s (median; baseline)")
        print(f"   PostgreSQL / SQLite = {pg_rate / sqlite_rate:.2f}")
        for store_name, rate, target in (
            ("PostgreSQL", pg_rate, INGEST_TARGET),
            ("SQLite", sqlite_rate, SQLITE_INGEST_TARGET),
        ):
            verdict = "met" if rate >= target else "MISSED"
            print(f"   target >= {target:,.0f} records/s into {store_name}: {verdict}")
            ok &= rate >= target
        print("   where the time goes, the same records by stage (batches of 1,000):")
        stages = _stage_rates(records[:20_000], server, directory / "stages.db")
        for label, rate in stages.items():
            print(f"   {label:<48} {rate:>10,.0f} records/s")
        print(
            f"   load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores;"
            f" CPU calibration (a fixed 1M-step Python loop) {calibration_ms():.1f} ms"
        )

        with temporary_schema(server, prefix="agenttrace_bench") as query_url:
            print(f"\n2. query: {args.records:,} records in {args.sessions:,} sessions")
            sqlite_path = directory / "query.db"
            stores: dict[str, SqlStore] = {}
            for name, url in (("PostgreSQL", query_url), ("SQLite", f"sqlite:///{sqlite_path}")):
                store = open_store(url)  # creates the schema
                assert isinstance(store, SqlStore)
                stores[name] = store
            started = time.perf_counter()
            _load_postgres(query_url, args.records, args.sessions)
            print(f"   loaded PostgreSQL (COPY) in {time.perf_counter() - started:.1f} s")
            started = time.perf_counter()
            _load_sqlite(sqlite_path, args.records, args.sessions)
            print(f"   loaded SQLite (executemany) in {time.perf_counter() - started:.1f} s")
            results = {name: _time_queries(store, args.repeats) for name, store in stores.items()}
            for store in stores.values():
                store.close()
        print(f"\n   {'query_sessions (page of 50 + total)':<42} {'PostgreSQL':>12} {'SQLite':>12}")
        for label in _queries():
            pg_ms, pg_total, _ = results["PostgreSQL"][label]
            lite_ms, lite_total, _ = results["SQLite"][label]
            assert pg_total == lite_total, (label, pg_total, lite_total)
            print(f"   {label:<42} {pg_ms:>9.2f} ms {lite_ms:>9.2f} ms   ({pg_total:,} sessions)")
            ok &= max(pg_ms, lite_ms) <= QUERY_TARGET_MS
        for name, timed in results.items():
            for label, (_, _, plan) in timed.items():
                print(f"\n   {name} plan, {label}:")
                for line in plan:
                    print(f"     {line}")
        print()
        for name, timed in results.items():
            worst = max(ms for ms, _, _ in timed.values())
            verdict = "met" if worst <= QUERY_TARGET_MS else "MISSED"
            print(f"   target <= {QUERY_TARGET_MS:.0f} ms median on {name}: {verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
