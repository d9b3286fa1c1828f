"""``--workers N``: several collector processes on one port over one database."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from agenttrace.records import Record
from agenttrace.server.store import SessionQuery
from agenttrace.server.store.sqlite import SQLiteStore


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _collector(tmp_path: Path, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("AGENTTRACE_DATABASE_URL", None)
    env.pop("AGENTTRACE_RETENTION", None)
    return subprocess.Popen(
        [sys.executable, "-m", "agenttrace.server", "--data-dir", str(tmp_path), *extra],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _wait_healthy(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    pytest.fail("the collector did not answer /healthz within 60 s")


def test_two_workers_share_the_port_and_the_database(tmp_path: Path, make_record: Any) -> None:
    """Two processes serve one port; batches posted at once from several connections are
    all stored exactly once; SIGTERM stops the server and both workers."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    process = _collector(tmp_path, "--port", str(port), "--workers", "2", "--log-level", "warning")
    try:
        _wait_healthy(url, process)
        server = psutil.Process(process.pid)
        workers = [
            child
            for child in server.children()
            if "spawn_main" in " ".join(child.cmdline())
            and "resource_tracker" not in " ".join(child.cmdline())
        ]
        assert len(workers) == 2
        failures: list[BaseException] = []

        def post(thread: int) -> None:
            try:
                with httpx.Client(timeout=60) as client:
                    for batch in range(5):
                        records = [
                            make_record(f"t{thread}-b{batch}-r{i}", f"session-{i % 3}")
                            for i in range(40)
                        ]
                        answer = client.post(f"{url}/v1/records", json={"records": records})
                        assert answer.json()["accepted"] == 40
                        again = client.post(f"{url}/v1/records", json={"records": records})
                        assert again.json()["duplicates"] == 40
            except BaseException as exc:  # reported by the test thread
                failures.append(exc)

        threads = [threading.Thread(target=post, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not failures, failures
        sessions = httpx.get(f"{url}/v1/sessions", timeout=30).json()
        assert sessions["total"] == 3
        assert sum(s["request_count"] for s in sessions["sessions"]) == 4 * 5 * 40
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
        _, alive = psutil.wait_procs(workers, timeout=30)
        assert alive == []
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(30)


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        (["--workers", "0"], "Invalid value for '--workers'"),
        (["--workers", "2", "--retention", "30d"], "agenttrace db prune --older-than"),
    ],
)
def test_bad_worker_settings_exit_2_saying_why(tmp_path: Path, extra: list[str], said: str) -> None:
    """A worker count below 1, or --retention with several workers, is refused up front."""
    process = _collector(tmp_path, "--port", str(_free_port()), *extra)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 2
    assert said in stderr


def test_two_sqlite_stores_on_one_file_take_turns(tmp_path: Path) -> None:
    """Two stores on one file (as two worker processes have) writing at once from several
    threads: every batch commits and every record is stored once. (The side-file lock only
    saves SQLite's polling; `benchmarks/collector_processes.py` measures that.)"""
    first, second = SQLiteStore(tmp_path / "shared.db"), SQLiteStore(tmp_path / "shared.db")
    failures: list[BaseException] = []

    def write(store: SQLiteStore, thread: int) -> None:
        try:
            for batch in range(10):
                records = [
                    Record(id=f"t{thread}-b{batch}-r{i}", session_id=f"s{i % 4}", name="call")
                    for i in range(50)
                ]
                assert store.ingest("default", records).accepted == 50
        except BaseException as exc:  # reported by the test thread
            failures.append(exc)

    try:
        threads = [
            threading.Thread(target=write, args=(store, n))
            for n, store in enumerate([first, second, first, second])
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not failures, failures
        page = second.query_sessions("default", SessionQuery(limit=10))
        assert sum(s.request_count for s in page.sessions) == 4 * 10 * 50
        assert (tmp_path / "shared.db.writer-lock").exists()
    finally:
        first.close()
        second.close()
