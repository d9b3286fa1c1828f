"""Two real collector processes (``python -m agenttrace.server``) on one PostgreSQL database:
started together against an empty schema, they migrate it once; what one stores the other
serves; one batch posted to both is stored once."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from agenttrace.server.store.migrations import MIGRATIONS

pytestmark = pytest.mark.postgres

START_DEADLINE_S = 60.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(process: subprocess.Popen[bytes], url: str) -> dict[str, Any]:
    """Poll a child process's /healthz until it answers (a child's readiness cannot be
    awaited otherwise), failing with its output if it exits first."""
    deadline = time.monotonic() + START_DEADLINE_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode() if process.stdout else ""
            pytest.fail(f"the collector at {url} exited with {process.returncode}: {output}")
        try:
            answer = httpx.get(f"{url}/healthz", timeout=2)
        except httpx.TransportError:
            time.sleep(0.05)
            continue
        assert answer.status_code == 200, answer.text
        health: dict[str, Any] = answer.json()
        return health
    pytest.fail(f"the collector at {url} did not answer within {START_DEADLINE_S} s")


@pytest.fixture
def two_collectors(postgres_url: str) -> Iterator[list[str]]:
    """Two collector processes started at the same moment on the test's empty schema."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTTRACE_")}
    processes: list[subprocess.Popen[bytes]] = []
    urls = []
    for _ in range(2):
        port = _free_port()
        command = [sys.executable, "-m", "agenttrace.server", "--port", str(port)]
        command += ["--database", postgres_url, "--log-level", "warning"]
        processes.append(
            subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        )
        urls.append(f"http://127.0.0.1:{port}")
    try:
        healths = [_wait_healthy(p, url) for p, url in zip(processes, urls, strict=True)]
        for health in healths:
            assert (health["store"], health["schema_version"]) == (
                "postgresql",
                MIGRATIONS[-1].version,
            )
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(30)


def _record(record_id: str, session_id: str, ms: int) -> dict[str, Any]:
    return {
        "id": record_id,
        "session_id": session_id,
        "start_time": f"2025-03-01T10:00:00.{ms:03d}Z",
        "end_time": f"2025-03-01T10:00:01.{ms:03d}Z",
        "cost_usd": 0.5,
        "properties": {"collector": "any"},
    }


@pytest.mark.slow  # two interpreters start the collector: about 8 s on 2 cores
def test_two_collector_processes_share_one_database(
    two_collectors: list[str], sql: Callable[..., list[tuple[Any, ...]]]
) -> None:
    """Migrated once; records posted to one collector are served by the other; the same
    batch posted to both at once is stored once and counted once in its session."""
    first, second = two_collectors
    versions = sql("SELECT version FROM schema_version ORDER BY version")
    assert [row[0] for row in versions] == [m.version for m in MIGRATIONS]

    posted = httpx.post(
        f"{first}/v1/records", json={"records": [_record("a-1", "shared", 1)]}, timeout=30
    )
    assert posted.json()["accepted"] == 1
    seen = httpx.get(f"{second}/v1/sessions/shared", timeout=30).json()
    assert [r["id"] for r in seen["requests"]] == ["a-1"]

    batch = {"records": [_record(f"b-{i}", "shared", i) for i in range(100)]}
    with ThreadPoolExecutor(2) as pool:
        answers = list(
            pool.map(lambda url: httpx.post(f"{url}/v1/records", json=batch, timeout=30).json(),
                     two_collectors)
        )  # fmt: skip
    assert sum(a["accepted"] for a in answers) == 100
    assert sum(a["duplicates"] for a in answers) == 100
    for url in two_collectors:
        session = httpx.get(f"{url}/v1/sessions/shared", timeout=30).json()["session"]
        assert session["request_count"] == 101
        assert session["cost_usd"] == pytest.approx(50.5)
    assert sql("SELECT count(*) FROM records")[0][0] == 101
