"""Arize Phoenix's own OTLP ingest, as the peer figure of `benchmarks/otlp_ingest.py`.

Phoenix is not a dependency of agenttrace: install it in a venv of its own
(``uv venv /tmp/phoenix && uv pip install --python /tmp/phoenix/bin/python arize-phoenix``)
and pass its ``phoenix`` command to ``otlp_ingest.py --phoenix /tmp/phoenix/bin/phoenix``.
`phoenix_process` runs ``phoenix serve`` on free ports with a fresh working directory
(SQLite; its first start runs its migrations, a minute or more); `phoenix_rate` exports
the same spans with the same SDK exporter and batches, and, since Phoenix answers before
it stores (it queues spans and inserts them in the background, where agenttrace answers
after the commit), counts the time until its ``spans`` table holds them all.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from _collector import free_port
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace.export import SpanExportResult

__all__ = ["Phoenix", "phoenix_process", "phoenix_rate"]

_START_WAIT = 300.0
_STORE_WAIT = 300.0
_POLL = 0.05


class Phoenix:
    """A running Phoenix: its base URL and its SQLite database."""

    def __init__(self, url: str, database: Path) -> None:
        self.url = url
        self.database = database

    def span_count(self) -> int:
        """Spans Phoenix has stored."""
        with sqlite3.connect(f"file:{self.database}?mode=ro", uri=True, timeout=5) as conn:
            return int(conn.execute("SELECT count(*) FROM spans").fetchone()[0])


@contextmanager
def phoenix_process(executable: str, working_dir: Path) -> Iterator[Phoenix]:
    """``phoenix serve`` on free ports while the block runs."""
    port, grpc_port = free_port(), free_port()
    env = {
        **os.environ,
        "PHOENIX_WORKING_DIR": str(working_dir),
        "PHOENIX_PORT": str(port),
        "PHOENIX_GRPC_PORT": str(grpc_port),
        "PHOENIX_HOST": "127.0.0.1",
        "PHOENIX_TELEMETRY_ENABLED": "false",
    }
    log = (working_dir / "phoenix.log").open("wb")
    process = subprocess.Popen([executable, "serve"], env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(lambda: _healthy(url) or process.poll() is not None, _START_WAIT)
        if process.poll() is not None:
            raise SystemExit(f"phoenix serve exited; see {working_dir / 'phoenix.log'}")
        yield Phoenix(url, working_dir / "phoenix.db")
    finally:
        process.terminate()
        process.wait(30)
        log.close()


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def _wait(done: Callable[[], bool], limit: float) -> None:
    deadline = time.monotonic() + limit
    while not done():
        if time.monotonic() > deadline:
            raise SystemExit("Phoenix did not get there in time")
        time.sleep(_POLL)  # polling another process's state, with a deadline


def phoenix_rate(phoenix: Phoenix, calls: int, make_spans: Callable[[int, str], Any]) -> float:
    """LLM spans/s into Phoenix: export in batches of 512 until all its spans are stored."""
    spans = make_spans(calls, f"phoenix-{uuid.uuid4()}")
    before = phoenix.span_count()
    exporter = OTLPSpanExporter(endpoint=f"{phoenix.url}/v1/traces", timeout=60)
    started = time.perf_counter()
    for start in range(0, len(spans), 512):
        if exporter.export(spans[start : start + 512]) is not SpanExportResult.SUCCESS:
            raise RuntimeError("the export to Phoenix failed")
    _wait(lambda: phoenix.span_count() >= before + len(spans), _STORE_WAIT)
    elapsed = time.perf_counter() - started
    exporter.shutdown()
    return calls / elapsed
