"""Without API keys the collector is open: fine on loopback (it says so at start), refused on
any other address unless ``--allow-open`` says it is meant."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO

import pytest

from agenttrace.server import open_store
from agenttrace.server._serve import OpenCollectorError, check_access, is_loopback
from agenttrace.server.store import SqlStore, database_url_for


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.20", False),
        ("10.0.0.1", False),
        ("collector.example.com", False),
        ("", False),
    ],
)
def test_loopback_addresses(host: str, loopback: bool) -> None:
    """Only 127.0.0.0/8, ::1 and localhost count as loopback; names and 0.0.0.0 do not."""
    assert is_loopback(host) is loopback


def _store(tmp_path: Path) -> SqlStore:
    store = open_store(database_url_for(tmp_path))
    assert isinstance(store, SqlStore)
    return store


def test_start_checks_say_open_refused_or_keyed(tmp_path: Path) -> None:
    """No keys: loopback runs open and says so; 0.0.0.0 is refused naming --allow-open,
    and allowed with it; once a key exists any address runs with keys required."""
    store = _store(tmp_path)
    try:
        notice = check_access(store, "127.0.0.1", 8787, allow_open=False)
        assert "OPEN" in notice
        assert "http://127.0.0.1:8787" in notice
        with pytest.raises(OpenCollectorError, match="--allow-open") as refused:
            check_access(store, "0.0.0.0", 8787, allow_open=False)
        assert "agenttrace keys create" in str(refused.value)
        assert "OPEN" in check_access(store, "0.0.0.0", 8787, allow_open=True)
        store.key_store().create_key("team")
        notice = check_access(store, "0.0.0.0", 8787, allow_open=False)
        assert notice.startswith("agenttrace: API keys required (1 active key(s), 1 project(s))")
    finally:
        store.close()


def _environment() -> dict[str, str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    for name in ("AGENTTRACE_DATABASE_URL", "AGENTTRACE_DATA_DIR"):
        env.pop(name, None)
    return env


def _collect(stream: IO[str], lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line)


def _first_lines_until(command: list[str], pattern: str) -> list[str]:
    """Start ``command``, read its stderr until a line contains ``pattern``, stop it."""
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=_environment())
    assert process.stderr is not None
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_collect, args=(process.stderr, lines), daemon=True).start()
    seen: list[str] = []
    try:
        while not any(pattern in line for line in seen):
            seen.append(lines.get(timeout=60))
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    return seen


def test_python_dash_m_refuses_an_open_public_collector(tmp_path: Path) -> None:
    """``--host 0.0.0.0`` without keys exits with status 2 before listening, naming the flag."""
    done = subprocess.run(
        [sys.executable, "-m", "agenttrace.server", "--host", "0.0.0.0", "--port", "0",
         "--data-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=60, check=False, env=_environment(),
    )  # fmt: skip
    assert done.returncode == 2
    assert re.search(r"refusing to serve http://0\.0\.0\.0:\d+ without API keys", done.stderr)
    assert "--allow-open" in done.stderr
    assert "collector running on" not in done.stderr


def test_cli_serve_refuses_an_open_public_collector(tmp_path: Path) -> None:
    """``agenttrace serve --host 0.0.0.0`` without keys exits 1 with the same sentence."""
    done = subprocess.run(
        [str(Path(sys.executable).with_name("agenttrace")), "serve", "--host", "0.0.0.0",
         "--port", "0", "--data-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=60, check=False, env=_environment(),
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "--allow-open" in done.stderr


@pytest.mark.slow  # starts two collector processes: a few seconds
def test_collectors_say_at_start_whether_they_are_open(tmp_path: Path) -> None:
    """A loopback collector without keys and a public one with --allow-open both announce
    they are open; with a key in the database a public collector announces keys instead."""
    base = [sys.executable, "-m", "agenttrace.server", "--port", "0", "--data-dir", str(tmp_path)]
    local = _first_lines_until(base, "collector running on")
    assert any("the collector is OPEN" in line for line in local)
    public = [*base, "--host", "0.0.0.0"]
    allowed = _first_lines_until([*public, "--allow-open"], "collector running on")
    assert any("the collector is OPEN" in line for line in allowed)
    store = _store(tmp_path)
    try:
        store.key_store().create_key("team")
    finally:
        store.close()
    keyed = _first_lines_until(public, "collector running on")
    assert any("API keys required" in line for line in keyed)
    assert not any("OPEN" in line for line in keyed)
