"""Records per second the `Shipper` delivers into the real SQLite collector.

    uv run python benchmarks/shipper_throughput.py [--records 50000] [--rounds 2]

The collector runs in a separate process (``python -m agenttrace.server`` over a fresh
SQLite file). Each round measures, on fresh records of the same shape:

* baseline: the records pre-serialised into batches of 1000, posted one after the other
  with a plain ``httpx.Client`` (the collector's own speed; nothing to serialise);
* shipper: ``Shipper.emit`` for every record on the main thread, then ``flush()``: from the
  first emit until the collector has acknowledged the last record (batching, encoding and
  posting in the background included).

It prints both rates, their ratio, and the caller's cost per ``emit``. Every record is
checked to be stored (the collector's ``total``) before a figure is reported. The
collector is bound by one core, so the rates follow this machine's speed of the moment: a
fixed pure-Python loop is timed before and after, to tell a slow machine from slow code.

Then, to show the shipper's own ceiling apart from the collector's, the same shipper run
against a null sink (a process that reads each body and answers ``accepted`` without
storing anything).
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from _collector import collector_process, free_port, start_process, stop

from agenttrace._internal.config import Settings
from agenttrace._internal.shipping import Shipper, encode_batch
from agenttrace.records import Record, RecordKind, Usage

BATCH = 1_000
TARGET = 20_000


_NULL_SINK = """
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def do_POST(self):
        body = self.rfile.read(int(self.headers["content-length"]))
        answer = b'{"accepted": %d}' % body.count(b'"session_id":')
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def do_GET(self):
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass

ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Sink).serve_forever()
"""


@contextmanager
def null_sink() -> Iterator[str]:
    """The null sink in its own process while the block runs; yields its URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = start_process([sys.executable, "-c", _NULL_SINK, str(port)], url)
    try:
        yield url
    finally:
        stop(process)


def make_records(count: int, session_id: str) -> list[Record]:
    """LLM-call records of a typical size (a short prompt, a short answer, usage, a start
    and an end)."""
    started = datetime.now(UTC)
    return [
        Record(
            session_id=session_id,
            start_time=started + timedelta(milliseconds=i),
            end_time=started + timedelta(milliseconds=i + 850),
            session_name="benchmark",
            session_path=f"/agent/tools/tool-{i % 7}",
            kind=RecordKind.LLM,
            name="ChatOpenAI",
            model="gpt-4o-mini",
            provider="openai",
            properties={"env": "bench"},
            usage=Usage(input_tokens=120, output_tokens=30),
            cost_usd=0.00012,
            request={"messages": [{"role": "user", "content": f"question number {i}"}]},
            response={"role": "assistant", "content": "a short answer"},
        )
        for i in range(count)
    ]


def stored_count(url: str, session_id: str) -> int:
    """How many requests the collector holds for ``session_id``."""
    answer = httpx.get(
        f"{url}/v1/requests", params={"session_id": session_id, "limit": 1}, timeout=60
    )
    return int(answer.raise_for_status().json()["total"])


def post_batches(urls: list[str], count: int) -> float:
    """Records/s posting ``count`` fresh records in pre-serialised batches with plain httpx,
    one thread per URL (all URLs serve one database), every record checked stored."""
    session_id = f"posted-{uuid.uuid4()}"
    records = make_records(count, session_id)
    bodies = [encode_batch(records[i : i + BATCH]) for i in range(0, count, BATCH)]
    failures: list[BaseException] = []

    def post(url: str, part: list[bytes]) -> None:
        try:
            with httpx.Client(timeout=60) as client:
                for body in part:
                    answer = client.post(
                        f"{url}/v1/records",
                        content=body,
                        headers={"content-type": "application/json"},
                    )
                    answer.raise_for_status()
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    threads = [
        threading.Thread(target=post, args=(url, bodies[index :: len(urls)]))
        for index, url in enumerate(urls)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise failures[0]
    stored = stored_count(urls[0], session_id)
    assert stored == count, f"{stored} of {count} records stored"
    return count / elapsed


def comparison_arguments(description: str, rounds: int, rounds_help: str) -> argparse.Namespace:
    """``--records`` and ``--rounds`` of a comparison between collectors, read from the
    command line and printed with the machine's calibration."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--records", type=int, default=40_000, help="records per run")
    parser.add_argument("--rounds", type=int, default=rounds, help=rounds_help)
    args = parser.parse_args()
    print(f"{args.records} records per run, batches of {BATCH}")
    print(f"CPU calibration (a fixed 1M-step Python loop): {calibration_ms():.1f} ms")
    return args


def compare_rounds(setups: dict[str, list[str]], count: int, rounds: int) -> dict[str, float]:
    """The median records/s of each set-up (its URLs posted to at once, `post_batches`),
    after a warm-up of each (connections, pages, code paths); the set-ups take turns within
    each round, and each round prints a line."""
    for urls in setups.values():
        post_batches(urls, 4 * BATCH)
    rates: dict[str, list[float]] = {label: [] for label in setups}
    for round_number in range(1, rounds + 1):
        for label, urls in setups.items():
            rates[label].append(post_batches(urls, count))
        line = ", ".join(f"{label} {values[-1]:,.0f} records/s" for label, values in rates.items())
        print(f"round {round_number}: {line}")
    return {label: statistics.median(values) for label, values in rates.items()}


def run_baseline(url: str, count: int) -> float:
    """Records/s posting pre-serialised batches to ``url`` one after the other."""
    return post_batches([url], count)


def run_shipper(
    url: str, count: int, spool_dir: Path, *, check_store: bool = True
) -> tuple[float, float]:
    """Records/s delivered by the Shipper, and the caller's microseconds per emit."""
    session_id = f"shipper-{uuid.uuid4()}"
    records = make_records(count, session_id)
    settings = Settings(
        endpoint=url, batch_size=BATCH, queue_size=max(count, 100_000), spool_dir=spool_dir
    )
    shipper = Shipper(settings)
    try:
        started = time.perf_counter()
        for record in records:
            shipper.emit(record)
        emitted = time.perf_counter()
        assert shipper.flush(300), f"shipper: flush failed: {shipper.stats}"
        elapsed = time.perf_counter() - started
    finally:
        shipper.shutdown(30)
    stats = shipper.stats
    assert stats.sent == count, f"shipper: {stats}"
    assert stats.spooled == stats.dropped == 0, f"shipper: {stats}"
    if check_store:
        assert stored_count(url, session_id) == count, "shipper: not every record was stored"
    return count / elapsed, (emitted - started) / count * 1e6


def calibration_ms() -> float:
    """Milliseconds a fixed pure-Python loop takes (best of 5): this machine's speed now."""
    best = math.inf
    for _ in range(5):
        started = time.perf_counter()
        total = 0
        for number in range(1_000_000):
            total += number
        best = min(best, time.perf_counter() - started)
    return best * 1000


def main() -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--records", type=int, default=50_000, help="records per run")
    parser.add_argument("--rounds", type=int, default=2, help="baseline/shipper pairs")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPU(s), {args.records} records")
    calibration_before = calibration_ms()
    baselines, shipped, emit_costs = [], [], []
    with (
        tempfile.TemporaryDirectory(prefix="agenttrace-bench-") as tmp,
        collector_process(Path(tmp) / "data") as url,
    ):
        run_baseline(url, 2_000)  # warm-up: connections, SQLite pages, code paths
        for round_number in range(1, args.rounds + 1):
            baseline = run_baseline(url, args.records)
            rate, emit_us = run_shipper(url, args.records, Path(tmp) / "spool")
            baselines.append(baseline)
            shipped.append(rate)
            emit_costs.append(emit_us)
            print(
                f"round {round_number}: baseline {baseline:,.0f} records/s, "
                f"shipper {rate:,.0f} records/s (emit {emit_us:.2f} us/record)"
            )
    with (
        tempfile.TemporaryDirectory(prefix="agenttrace-bench-") as tmp,
        null_sink() as sink,
    ):
        sink_rate, _ = run_shipper(sink, args.records, Path(tmp) / "spool", check_store=False)
    baseline, rate = statistics.median(baselines), statistics.median(shipped)
    print(f"baseline (plain httpx, pre-serialised batches of {BATCH}): {baseline:,.0f} records/s")
    print(f"shipper (emit -> flush, encoded and posted in background): {rate:,.0f} records/s")
    print(f"ratio shipper / baseline: {rate / baseline:.2f}")
    print(f"caller cost of emit: {statistics.median(emit_costs):.2f} us/record")
    print(f"shipper into a null sink (its own ceiling): {sink_rate:,.0f} records/s")
    print(
        f"CPU calibration (a fixed 1M-step Python loop): {calibration_before:.1f} ms before, "
        f"{calibration_ms():.1f} ms after"
    )
    print(f"target {TARGET:,} records/s into the real collector: ", end="")
    print("met" if rate >= TARGET else "NOT met (the collector's ingest is the bound)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
