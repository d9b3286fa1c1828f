"""Project B's ingest latency while project A floods the collector, against B alone.

    uv run python benchmarks/ingest_fairness.py [--flood-batches 6] [--records 1000]
        [--properties 64] [--rounds 1] [--samples 20]

The defaults take about half a minute; issue 12's case is ``--records 5000 --rounds 2
--samples 40`` (a few minutes). Run it with ``PYTHONPATH=<another tree>/src`` to measure
that tree's collector (the child process inherits it).

One real collector process (``python -m agenttrace.server`` on 127.0.0.1, a fresh SQLite
file) with two API keys in two projects, A and B, and the rate limit off (``--rate-limit
0``), so that what is measured is how the collector shares its time, not the limit.

* B alone: B posts one-record batches one after the other, ``--samples`` before the
  flood and as many after it; the p95 of their latencies (post to answer) is the baseline.
* B while A floods: each round, A posts ``--flood-batches`` batches of ``--records``
  records with ``--properties`` properties each, all at once (one connection each), and
  B posts one-record batches one after the other for as long as any of A's batches is
  unanswered; the p95 of those latencies.

It prints both p95 figures, their ratio, and A's own rate during the flood. Every record
of A and B is checked to be stored before a figure is printed.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from _collector import collector_process

from agenttrace.server.store import database_url_for, open_store
from agenttrace.server.store.sql import SqlStore

_TIMEOUT_S = 600.0


def _create_keys(database_url: str) -> tuple[str, str]:
    """One API key in project ``a`` and one in project ``b``, made before the collector
    starts (as ``agenttrace keys create`` would)."""
    store = open_store(database_url)
    try:
        assert isinstance(store, SqlStore)
        keys = store.key_store()
        return keys.create_key("a").secret, keys.create_key("b").secret
    finally:
        store.close()


def _batch(count: int, properties: int, session_prefix: str) -> bytes:
    """A ``{"records": [...]}`` body of ``count`` fresh records, ``properties`` each."""
    started = datetime.now(UTC)
    records = []
    for index in range(count):
        start = started + timedelta(milliseconds=index)
        records.append(
            {
                "id": str(uuid.uuid4()),
                "session_id": f"{session_prefix}-{index % 50}",
                "session_path": f"/agent/tools/tool-{index % 7}",
                "kind": "llm",
                "name": "ChatOpenAI",
                "model": "gpt-4o-mini",
                "start_time": start.isoformat(),
                "end_time": (start + timedelta(milliseconds=850)).isoformat(),
                "properties": {f"key-{k}": f"value-{k}-{index}" for k in range(properties)},
                "usage": {"input_tokens": 120, "output_tokens": 30, "total_tokens": 150},
            }
        )
    return json.dumps({"records": records}).encode()


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


class ProjectB:
    """B's client: one-record batches, one after the other, each timed."""

    def __init__(self, url: str, key: str) -> None:
        self.client = httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=_TIMEOUT_S
        )
        self.sent = 0

    def post_one(self) -> float:
        """Seconds from posting one record to its answer."""
        body = _batch(1, 3, "b")
        started = time.perf_counter()
        answer = self.client.post(
            "/v1/records", content=body, headers={"content-type": "application/json"}
        )
        elapsed = time.perf_counter() - started
        answer.raise_for_status()
        assert answer.json()["accepted"] == 1, answer.text
        self.sent += 1
        return elapsed


def _flood(url: str, key: str, bodies: list[bytes], failures: list[BaseException]) -> None:
    def post(body: bytes) -> None:
        try:
            with httpx.Client(timeout=_TIMEOUT_S) as client:
                answer = client.post(
                    f"{url}/v1/records",
                    content=body,
                    headers={"content-type": "application/json", "Authorization": f"Bearer {key}"},
                )
                answer.raise_for_status()
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    threads = [threading.Thread(target=post, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _stored(url: str, key: str) -> int:
    answer = httpx.get(
        f"{url}/v1/requests",
        params={"limit": 1},
        headers={"Authorization": f"Bearer {key}"},
        timeout=_TIMEOUT_S,
    )
    return int(answer.raise_for_status().json()["total"])


def main() -> int:
    """Measure, check, print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--flood-batches", type=int, default=6, help="A's batches at once (6)")
    parser.add_argument("--records", type=int, default=1000, help="records per A batch (1000)")
    parser.add_argument("--properties", type=int, default=64, help="properties per A record")
    parser.add_argument("--rounds", type=int, default=1, help="flood rounds (1)")
    parser.add_argument(
        "--samples", type=int, default=20, help="B's posts alone, before and after (20)"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="agenttrace-bench-") as tmp:
        database_url = database_url_for(Path(tmp))
        key_a, key_b = _create_keys(database_url)
        with collector_process(database_url=database_url, extra_args=["--rate-limit", "0"]) as url:
            b = ProjectB(url, key_b)
            for _ in range(5):  # warm-up
                b.post_one()
            alone = [b.post_one() for _ in range(args.samples)]

            during: list[float] = []
            flood_seconds = 0.0
            failures: list[BaseException] = []
            for round_number in range(args.rounds):
                bodies = [
                    _batch(args.records, args.properties, f"a{round_number}-{i}")
                    for i in range(args.flood_batches)
                ]
                flood = threading.Thread(target=_flood, args=(url, key_a, bodies, failures))
                started = time.perf_counter()
                flood.start()
                while flood.is_alive():
                    during.append(b.post_one())
                flood.join()
                flood_seconds += time.perf_counter() - started
            if failures:
                raise failures[0]
            alone += [b.post_one() for _ in range(args.samples)]

            flooded = args.rounds * args.flood_batches * args.records
            stored_a, stored_b = _stored(url, key_a), _stored(url, key_b)
            assert stored_a == flooded, f"A: {stored_a} of {flooded} records stored"
            assert stored_b == b.sent, f"B: {stored_b} of {b.sent} records stored"
            b.client.close()

    alone_p95, during_p95 = _p95(alone), _p95(during)
    print(
        f"A: {args.rounds} rounds x {args.flood_batches} batches x {args.records} records x "
        f"{args.properties} properties; {flooded:,} records in {flood_seconds:.1f} s "
        f"({flooded / flood_seconds:,.0f} records/s)"
    )
    print(f"B alone p95:           {alone_p95 * 1000:9.1f} ms  ({len(alone)} posts)")
    print(f"B while A floods p95:  {during_p95 * 1000:9.1f} ms  ({len(during)} posts)")
    print(f"B while A floods max:  {max(during) * 1000:9.1f} ms")
    print(f"ratio flooded / alone: {during_p95 / alone_p95:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
