"""How fast is a 7-day metrics breakdown by day x model, on SQLite and PostgreSQL?

    uv run python benchmarks/metrics_query.py [--records 1000000] [--repeats 5]

Loads ``--records`` records spread evenly over 7 days (5 models, 2 % errors, a time to
first token on half of them, 20 requests a session) into a SQLite store in a temporary
directory and into a throw-away PostgreSQL schema (skipped when no server answers), then
times, as medians over ``--repeats`` runs:

* ``Store.query_metrics`` grouped by ``time,model`` with day buckets in Europe/Lisbon over
  the 7 days (the target: at most 200 ms), as it runs (from the hourly rollup, migrations 8
  and 12) and scanning the records as before the rollup (``MetricsQuery(use_rollup=False)``),
  checking that both answer the same figures;
* the same grouped by model only, and by ``property:customer`` (500 values, which the
  rollup does not keep: a scan);
* baseline measured in the same run: one ``count(*)`` over the same 7 days of records
  (the cheapest scan of those rows, which any query reading them pays).

It prints the ratios, and what keeping the rollup costs ingest: the share of the load's
time spent in `add_rows_to_rollup` (what ingest calls). Target: day x model at most 200 ms (median).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from agenttrace.records import Record, Status, Usage
from agenttrace.server.store import SqlStore, _metrics_rollup, open_store
from agenttrace.server.store.metrics import BucketUnit, Dimension, MetricsQuery, metrics_filter

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' PostgreSQL helper
from tests.support.postgres_server import find_server, temporary_schema

PROJECT = "default"
TARGET_MS = 200.0
T0 = datetime(2025, 3, 1, tzinfo=UTC)
MODELS = ("gpt-4o", "gpt-4o-mini", "claude-3-5-sonnet", "claude-3-haiku", "gemini-1.5-pro")


def _records(total: int, rng: random.Random) -> list[Record]:
    span_us = 7 * 86400 * 1_000_000
    out = []
    for i in range(total):
        start = T0 + timedelta(microseconds=span_us * i // total)
        latency = rng.lognormvariate(6, 1)
        out.append(
            Record(
                id=f"r{i:07d}",
                kind="llm",
                session_id=f"s{i // 20:06d}",
                session_name=f"agent-{i % 7}",
                session_path=f"/agent/step-{i % 4}",
                model=MODELS[i % len(MODELS)],
                provider="p",
                user_id=f"user-{i % 200}",
                properties={"customer": f"c{i % 500:03d}"},
                start_time=start,
                end_time=start + timedelta(milliseconds=latency),
                time_to_first_token_ms=latency / 4 if i % 2 else None,
                status=Status.ERROR if rng.random() < 0.02 else Status.OK,
                usage=Usage(input_tokens=rng.randint(50, 2000), output_tokens=rng.randint(5, 400),
                            cache_read_tokens=rng.randint(0, 40)),
                cost_usd=rng.uniform(0.0001, 0.02),
            )
        )  # fmt: skip
    return out


def _median_ms(run: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    result = run()  # warm-up
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = run()
        times.append((time.perf_counter() - started) * 1000.0)
    return statistics.median(times), result


def _load(store: SqlStore, records: list[Record]) -> tuple[float, float]:
    """Ingest ``records`` in batches of 2,000; the seconds it took, and those spent keeping
    the rollup."""
    keep = _metrics_rollup.add_rows_to_rollup
    spent = [0.0]

    def timed(*args: Any) -> None:
        started = time.perf_counter()
        keep(*args)
        spent[0] += time.perf_counter() - started

    _metrics_rollup.add_rows_to_rollup = timed  # type: ignore[assignment]
    try:
        started = time.perf_counter()
        for i in range(0, len(records), 2000):
            store.ingest(PROJECT, records[i : i + 2000])
        return time.perf_counter() - started, spent[0]
    finally:
        _metrics_rollup.add_rows_to_rollup = keep


def _check_same(rollup: list[Any], scan: list[Any]) -> None:
    """The rollup's figures are the scan's: counts and percentiles exactly, sums of floats
    up to their order of addition."""
    assert len(rollup) == len(scan)
    for got, want in zip(rollup, scan, strict=True):
        for name, value in want.model_dump().items():
            mine = getattr(got, name)
            if isinstance(value, float) and name in ("cost_usd", "mean_latency_ms"):
                assert abs(mine - value) <= 1e-9 * abs(value), (name, mine, value)
            else:
                assert mine == value, (name, mine, value)


def _bench(name: str, store: SqlStore, records: list[Record], repeats: int) -> float:
    load_s, rollup_s = _load(store, records)
    print(f"\n{name}: loaded {len(records):,} records in {load_s:.1f} s "
          f"({len(records) / load_s:,.0f} records/s); keeping the rollup took {rollup_s:.1f} s "
          f"of it ({100 * rollup_s / load_s:.0f} %)")  # fmt: skip
    since, until = T0, T0 + timedelta(days=7)
    window = metrics_filter(since=since, until=until)

    def query(*group_by: Dimension | str, rollup: bool = True) -> Callable[[], Any]:
        q = MetricsQuery(filter=window, group_by=group_by, bucket=BucketUnit.DAY,
                         tz="Europe/Lisbon", since=since, until=until,
                         use_rollup=rollup)  # fmt: skip
        return lambda: store.query_metrics(PROJECT, q)

    def baseline() -> int:
        with store._read() as conn:  # the baseline needs raw SQL
            sql = store.dialect.sql(
                "SELECT count(*) FROM records WHERE project_id = ? AND start_us >= ? "
                "AND start_us <= ?"
            )
            since_us = int(since.timestamp() * 1e6)
            until_us = int(until.timestamp() * 1e6)
            return int(conn.execute(sql, (PROJECT, since_us, until_us)).fetchone()[0])

    day_model_ms, result = _median_ms(query(Dimension.TIME, Dimension.MODEL), repeats)
    scan_ms, scanned = _median_ms(query(Dimension.TIME, Dimension.MODEL, rollup=False), repeats)
    model_ms, _ = _median_ms(query(Dimension.MODEL), repeats)
    customer_ms, _ = _median_ms(query("customer"), max(1, repeats // 2))
    base_ms, counted = _median_ms(baseline, repeats)
    assert sum(row.requests for row in result.groups) == counted == len(records)
    _check_same(result.groups, scanned.groups)
    print(f"  {'day x model (Europe/Lisbon), 7 days':<44} {day_model_ms:>9.1f} ms  "
          f"{len(result.groups)} groups")  # fmt: skip
    print(f"  {'  the same scanning the records (before)':<44} {scan_ms:>9.1f} ms")
    print(f"  {'model':<44} {model_ms:>9.1f} ms")
    print(f"  {'property:customer (500 values, a scan)':<44} {customer_ms:>9.1f} ms")
    print(f"  {'baseline: count(*) over the 7 days':<44} {base_ms:>9.1f} ms")
    print(f"  ratio day x model / baseline count: {day_model_ms / base_ms:.2f}")
    print(f"  ratio day x model scanning / from the rollup: {scan_ms / day_model_ms:.1f}")
    verdict = "within" if day_model_ms <= TARGET_MS else "OVER"
    print(f"  target {TARGET_MS:.0f} ms: {verdict}")
    return day_model_ms


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark on both stores; exit status 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--skip-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    records = _records(args.records, random.Random(42))
    worst = 0.0
    with tempfile.TemporaryDirectory(prefix="agenttrace-bench-") as tmp, ExitStack() as stack:
        sqlite = open_store(f"sqlite:///{Path(tmp) / 'agenttrace.db'}")
        stack.callback(sqlite.close)
        assert isinstance(sqlite, SqlStore)
        worst = max(worst, _bench("SQLite", sqlite, records, args.repeats))
        server, reason = (None, "--skip-postgres") if args.skip_postgres else find_server()
        if server is None:
            print(f"\nPostgreSQL: skipped ({reason})")
        else:
            url = stack.enter_context(temporary_schema(server, prefix="agenttrace_bench"))
            postgres = open_store(url)
            stack.callback(postgres.close)
            assert isinstance(postgres, SqlStore)
            worst = max(worst, _bench("PostgreSQL", postgres, records, args.repeats))
    return 0 if worst <= TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
