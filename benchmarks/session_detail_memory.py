"""What one session-detail query costs a collector: answer size, time and memory.

    uv run python benchmarks/session_detail_memory.py [--requests 100000] [--bodies 40]
        [--body-mib 3.8] [--baseline-ref REF | --baseline-src PATH]

Runs the collector as a subprocess (``python -m agenttrace.server`` over a SQLite data
directory), posts it one session of ``--requests`` requests (three paths, no bodies) and
one of ``--bodies`` requests with ``--body-mib`` MiB request bodies through
``POST /v1/records``, then, each in a fresh collector process over that data (warmed up
by one small query), measures:

* ``GET /v1/sessions/{id}`` of the large session;
* ``GET /v1/sessions/{id}?include_bodies=true`` of the bodies session;
* ``QueryClient.session(id)``: the whole large session, however many calls it takes;
* ``QueryClient.iter_requests(id, order="asc", page_size=1000)``: every request, walked.

For each: bytes answered (the first call's), wall time, the collector's RSS before, its
peak during (sampled every 5 ms with psutil) and after. With ``--baseline-ref`` (extracted
with ``git archive``) or ``--baseline-src``, the same run repeats everything against that
collector, with the query client of this tree (against a collector without cursors it
pages by offset), and prints the ratios new / baseline. The baseline must speak the
record vocabulary of 0.3 (``input_tokens``, ``start_time``, ``status``) that this client
reads: 3ccd279, the commit before bounded reads, against which the figures in
docs/architecture.md were taken with the client of its day, no longer qualifies.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import httpx
import psutil
from _collector import start_collector, stop

from agenttrace.query import QueryClient
from agenttrace.records import Record, RecordKind, Usage

REPO = Path(__file__).resolve().parents[1]
MIB = 1024 * 1024
T0 = datetime(2025, 3, 1, tzinfo=UTC)
BIG = "big-session"
HEAVY = "heavy-session"
PATHS = ["/agent", "/tools/search", "/researcher/agent"]


@dataclass(frozen=True)
class Figures:
    """One measurement."""

    answer_bytes: int
    seconds: float
    rss_before: int
    rss_peak: int
    rss_after: int
    calls: int

    @property
    def growth(self) -> int:
        """RSS after minus before."""
        return self.rss_after - self.rss_before

    @property
    def peak_growth(self) -> int:
        """Peak RSS minus before."""
        return self.rss_peak - self.rss_before


@contextmanager
def collector(data_dir: Path, src: Path | None) -> Iterator[tuple[str, psutil.Process]]:
    """A collector process over ``data_dir`` (code from ``src`` if given); its URL and
    process."""
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src)
    process, url = start_collector(data_dir, env=env, quiet=True)
    try:
        yield url, psutil.Process(process.pid)
    finally:
        stop(process)


def _records(session_id: str, count: int, body_bytes: int = 0) -> Iterator[Record]:
    for index in range(count):
        start = T0 + timedelta(milliseconds=10 * index)
        yield Record(
            id=f"{session_id}-{index:07d}",
            kind=RecordKind.LLM,
            session_id=session_id,
            session_name=session_id,
            session_path=PATHS[index % len(PATHS)],
            name="ChatOpenAI",
            model="gpt-4o-mini",
            provider="openai",
            properties={"env": "bench"},
            start_time=start,
            end_time=start + timedelta(milliseconds=5 + index % 50),
            usage=Usage(input_tokens=100, output_tokens=20),
            cost_usd=0.0001,
            request={"text": "x" * body_bytes} if body_bytes else None,
        )


def _post(url: str, records: Iterator[Record], batch: int) -> None:
    with httpx.Client(base_url=url, timeout=120) as client:
        pending: list[dict[str, Any]] = []
        for record in records:
            pending.append(record.model_dump(mode="json", exclude_none=True))
            if len(pending) == batch:
                client.post("/v1/records", json={"records": pending}).raise_for_status()
                pending = []
        if pending:
            client.post("/v1/records", json={"records": pending}).raise_for_status()


def _measure(process: psutil.Process, run: Callable[[], tuple[int, int]]) -> Figures:
    """Run ``run`` (-> answer bytes, calls) while sampling the collector's RSS."""
    before = process.memory_info().rss
    peak = before
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.005):
            peak = max(peak, process.memory_info().rss)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    try:
        answer_bytes, calls = run()
    finally:
        seconds = time.perf_counter() - started
        done.set()
        sampler.join()
    after = process.memory_info().rss
    return Figures(answer_bytes, seconds, before, max(peak, after), after, calls)


def _get(url: str, path: str, **params: Any) -> Callable[[], tuple[int, int]]:
    def run() -> tuple[int, int]:
        answer = httpx.get(f"{url}{path}", params=params, timeout=600)
        answer.raise_for_status()
        return len(answer.content), 1

    return run


class _Counting(httpx.HTTPTransport):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0
        self.first_bytes = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        response.read()
        self.calls += 1
        if self.calls == 1:
            self.first_bytes = len(response.content)
        return response


def _client_session(url: str) -> tuple[int, int]:
    transport = _Counting()
    with QueryClient(url, timeout=600, transport=transport) as client:
        detail = client.session(BIG)
    assert len(detail.requests) == detail.session.request_count
    return transport.first_bytes, transport.calls


def _client_walk(url: str) -> tuple[int, int]:
    transport = _Counting()
    with QueryClient(url, timeout=600, transport=transport) as client:
        walked = sum(1 for _ in client.iter_requests(BIG, order="asc", page_size=1000))
    assert walked > 0
    return transport.first_bytes, transport.calls


def run_all(src: Path | None, data_dir: Path, args: argparse.Namespace) -> dict[str, Figures]:
    """Fill ``data_dir`` through a collector of ``src`` and measure each query."""
    with collector(data_dir, src) as (url, _):
        _post(url, _records(BIG, args.requests), 5000)
        _post(url, _records(HEAVY, args.bodies, int(args.body_mib * MIB)), 3)
    cases: dict[str, Callable[[str], Callable[[], tuple[int, int]]]] = {
        f"GET /v1/sessions/<{args.requests:,} requests>": lambda url: _get(
            url, f"/v1/sessions/{BIG}"
        ),
        f"... ?include_bodies=true <{args.bodies} x {args.body_mib} MiB>": lambda url: _get(
            url, f"/v1/sessions/{HEAVY}", include_bodies="true"
        ),
        "QueryClient.session (every request)": lambda url: lambda: _client_session(url),
        "QueryClient.iter_requests (walk all)": lambda url: lambda: _client_walk(url),
    }
    figures = {}
    for name, make in cases.items():
        with collector(data_dir, src) as (url, process):
            httpx.get(f"{url}/v1/sessions/{HEAVY}", params={"limit": 1}, timeout=60)  # warm up
            figures[name] = _measure(process, make(url))
    return figures


def _baseline_src(args: argparse.Namespace, scratch: Path) -> Path | None:
    if not (args.baseline_ref or args.baseline_src):
        return None
    if args.baseline_src:
        return Path(args.baseline_src).resolve() / "src"
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", args.baseline_ref, "src"],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(scratch / "baseline", filter="data")
    return scratch / "baseline" / "src"


def _mb(value: int) -> str:
    return f"{value / 1e6:,.0f} MB"


def _print(label: str, figures: dict[str, Figures]) -> None:
    print(f"\n{label}")
    for name, f in figures.items():
        print(
            f"  {name}\n    first answer {f.answer_bytes / MIB:,.1f} MiB, {f.calls} call(s), "
            f"{f.seconds:.2f} s; collector RSS {_mb(f.rss_before)} -> peak {_mb(f.rss_peak)} "
            f"(+{_mb(f.peak_growth)}) -> after {_mb(f.rss_after)} (+{_mb(f.growth)})"
        )


def main() -> int:
    """Measure this tree's collector and the baseline's, print both and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--bodies", type=int, default=40)
    parser.add_argument("--body-mib", type=float, default=3.8)
    parser.add_argument("--baseline-ref", help="a commit whose src/ is the baseline")
    parser.add_argument("--baseline-src", help="a checkout whose src/ is the baseline")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="agenttrace-bench-") as tmp:
        scratch = Path(tmp)
        baseline = _baseline_src(args, scratch)
        new = run_all(REPO / "src", scratch / "new", args)
        _print("this tree", new)
        if baseline is None:
            return 0
        old = run_all(baseline, scratch / "old", args)
        _print(f"baseline ({args.baseline_src or args.baseline_ref})", old)
        print("\nratios this tree / baseline (answer bytes, seconds, peak RSS growth)")
        for name in new:
            a, b = new[name], old[name]
            print(
                f"  {name}: {a.answer_bytes / b.answer_bytes:.3f}, {a.seconds / b.seconds:.2f}, "
                f"{a.peak_growth / max(b.peak_growth, 1):.3f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
