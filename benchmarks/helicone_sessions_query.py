"""Is Helicone's session query as fast as the native session list on the same database?

    uv run python benchmarks/helicone_sessions_query.py [--sessions 420] [--per-session 8]
    uv run python benchmarks/helicone_sessions_query.py --sessions 50000 --per-session 2

Loads ``--sessions`` sessions of ``--per-session`` records each (spread over 30 days,
properties ``env`` (3 values) and ``team`` (20 values)) into a SQLite store in a temporary
directory, starts a real collector on it and times over HTTP, as medians over
``--repeats`` runs taken in turns, first page of 50 sessions with the total, each pair in
the same run:

* unfiltered: ``GET /v1/sessions`` against ``POST /v1/session/query`` with the window
  Helicone's clients send (the last 90 days, ``filter: "all"``);
* one property: ``GET /v1/sessions?property=team=team-07`` against the same window and
  ``{"request_response_rmt": {"properties": {"team": {"equals": "team-07"}}}}``;
* a search: ``GET /v1/sessions?search=run-1`` against ``search: "run-1"``.

It prints each ratio Helicone / native; the target is at most 1.5 for every pair (exit
status 1 when one is over).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from agenttrace.records import Record, Status, Usage
from agenttrace.server.store import SQLiteStore
from agenttrace.server.testing import running_collector

PROJECT = "default"
TARGET_RATIO = 1.5
NOW = datetime.now(UTC).replace(microsecond=0)
SPAN = timedelta(days=30)


def _records(sessions: int, per_session: int) -> list[Record]:
    step = SPAN / max(1, sessions)
    out = []
    for s in range(sessions):
        start = NOW - SPAN + step * s
        for i in range(per_session):
            begin = start + timedelta(milliseconds=700 * i)
            out.append(
                Record(
                    id=f"r-{s:06d}-{i:02d}",
                    kind="llm",
                    session_id=f"session-{s:06d}",
                    session_name=f"run-{s % 50}",
                    session_path=f"/agent/step-{i % 4}",
                    user_id=f"user-{s % 200}",
                    properties={"env": f"env-{s % 3}", "team": f"team-{s % 20:02d}"},
                    start_time=begin,
                    end_time=begin + timedelta(milliseconds=300 + 10 * i),
                    status=Status.ERROR if (s + i) % 53 == 0 else Status.OK,
                    usage=Usage(input_tokens=100 + i, output_tokens=20),
                    cost_usd=0.001 * (i + 1),
                )
            )
    return out


def _paired_medians(
    first: Callable[[], Any], second: Callable[[], Any], repeats: int
) -> tuple[float, Any, float, Any]:
    """Median ms of ``first`` and of ``second``, run in turns (so that the load of a
    shared machine weighs on both alike), and their last results."""
    results = [first(), second()]  # warm-up
    times: list[list[float]] = [[], []]
    for _ in range(repeats):
        for index, run in enumerate((first, second)):
            started = time.perf_counter()
            results[index] = run()
            times[index].append((time.perf_counter() - started) * 1000.0)
    return statistics.median(times[0]), results[0], statistics.median(times[1]), results[1]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; exit status 1 when a ratio is over the target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sessions", type=int, default=420)
    parser.add_argument("--per-session", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args(argv)

    records = _records(args.sessions, args.per_session)
    window = {
        "startTimeUnixMs": int((NOW - timedelta(days=90)).timestamp() * 1000),
        "endTimeUnixMs": int((NOW + timedelta(minutes=1)).timestamp() * 1000),
    }
    base = {"search": "", "timeFilter": window, "timezoneDifference": 0, "filter": "all"}
    team = {"request_response_rmt": {"properties": {"team": {"equals": "team-07"}}}}
    pairs: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
        ("unfiltered", {}, base),
        ("property team=team-07", {"property": "team=team-07"}, {**base, "filter": team}),
        ("search run-1", {"search": "run-1"}, {**base, "search": "run-1"}),
    ]
    with tempfile.TemporaryDirectory(prefix="agenttrace-bench-") as tmp:
        path = Path(tmp) / "agenttrace.db"
        store = SQLiteStore(path)
        started = time.perf_counter()
        for i in range(0, len(records), 2000):
            store.ingest(PROJECT, records[i : i + 2000])
        store.close()
        print(
            f"loaded {len(records):,} records in {args.sessions:,} sessions "
            f"in {time.perf_counter() - started:.1f} s"
        )
        results = []
        with (
            running_collector(database_url=f"sqlite:///{path}") as collector,
            httpx.Client(base_url=collector.url, timeout=120) as http,
        ):
            for label, params, body in pairs:

                def native(params: dict[str, Any] = params) -> list[str]:
                    answer = http.get("/v1/sessions", params={**params, "limit": 50})
                    answer.raise_for_status()
                    return [row["session_id"] for row in answer.json()["sessions"]]

                def helicone(body: dict[str, Any] = body) -> list[str]:
                    answer = http.post("/v1/session/query", json=body)
                    answer.raise_for_status()
                    return [row["session_id"] for row in answer.json()["data"]]

                native_ms, native_ids, helicone_ms, helicone_ids = _paired_medians(
                    native, helicone, args.repeats
                )
                assert native_ids == helicone_ids, f"{label}: the two lists differ"
                results.append((label, native_ms, helicone_ms, len(native_ids)))

    print()
    print(f"{'first page of 50 sessions':<26} {'native':>10} {'helicone':>10} {'ratio':>7}  rows")
    worst = 0.0
    for label, native_ms, helicone_ms, rows in results:
        ratio = helicone_ms / native_ms
        worst = max(worst, ratio)
        print(f"{label:<26} {native_ms:>7.2f} ms {helicone_ms:>7.2f} ms {ratio:>7.2f}  {rows}")
    verdict = "within" if worst <= TARGET_RATIO else "OVER"
    print(f"target Helicone / native <= {TARGET_RATIO}: {verdict} (worst {worst:.2f})")
    return 0 if worst <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
