"""The installed ``agenttrace`` script in real processes: help, queries, errors, serve."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from agenttrace.cli import app

SCRIPT = Path(sys.executable).with_name("agenttrace")
ROOT = Path(__file__).resolve().parents[2]


def agenttrace(*args: str) -> list[str]:
    """The command line of the ``agenttrace`` script installed in this environment."""
    return [str(SCRIPT), *args]


def run(
    *args: str, extra_env: dict[str, str] | None = None, via_uv: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run ``agenttrace *args`` (or ``uv run agenttrace *args``) to completion."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENTTRACE_", "PYTEST_"))}
    env.update(extra_env or {})
    command = agenttrace(*args)
    uv = shutil.which("uv")
    if via_uv and uv is not None:
        command = [uv, "run", "--no-sync", "--project", str(ROOT), "agenttrace", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=60, check=False)


def test_help() -> None:
    """`uv run agenttrace --help` lists every command and exits 0."""
    result = run("--help", via_uv=True)
    assert result.returncode == 0, result.stderr
    for command in ("serve", "sessions", "session", "requests", "request", "paths"):
        assert command in result.stdout


def test_help_loads_neither_the_query_client_nor_pydantic() -> None:
    """`agenttrace --help` loads neither httpx, pydantic, rich nor the collector."""
    heavy = ("httpx", "pydantic", "rich", "genai_prices", "agenttrace.query", "agenttrace.server")
    probe = (
        "import sys\n"
        "from agenttrace.cli import main\n"
        "sys.argv = ['agenttrace', '--help']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as done:\n"
        "    assert not done.code, done.code\n"
        f"print('loaded:', *[m for m in {heavy!r} if m in sys.modules])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "sessions" in result.stdout
    assert result.stdout.splitlines()[-1] == "loaded:"


def test_sessions_and_tree_against_a_running_collector(cli_collector_url: str) -> None:
    """`agenttrace sessions` and `session ID` print the table and tree through a pipe."""
    result = run("--endpoint", cli_collector_url, "sessions")
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if "│" in line]
    assert [row.split("│")[1].strip() for row in rows] == ["sess-c", "sess-b", "sess-a"]
    assert "$0.0042" in rows[2]
    tree = run("session", "sess-a", extra_env={"AGENTTRACE_ENDPOINT": cli_collector_url})
    assert tree.returncode == 0, tree.stderr
    assert "├── agent  3.0 s · 2 requests · 370 tokens · $0.0042" in tree.stdout.splitlines()


def test_unreachable_collector_is_one_line(dead_url: str) -> None:
    """With no collector, the process prints one line naming `agenttrace serve`, exit 1."""
    result = run("--endpoint", dead_url, "sessions")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "not reachable" in result.stderr
    assert "agenttrace serve" in result.stderr


def test_unexpected_error_is_one_line_unless_debugging() -> None:
    """A bug surfaces as one line asking for a report; AGENTTRACE_DEBUG=1 shows the traceback."""
    code = (
        "import sys, agenttrace.cli._app as cli\n"
        "cli.app.command('explode')(lambda: 1 / 0)\n"
        "sys.argv = ['agenttrace', 'explode']\n"
        "cli.main()\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENTTRACE_", "PYTEST_"))}
    quiet = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert quiet.returncode == 1
    assert quiet.stderr.startswith("error: unexpected ZeroDivisionError: division by zero")
    assert "AGENTTRACE_DEBUG=1" in quiet.stderr
    assert "Traceback" not in quiet.stderr
    loud = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**env, "AGENTTRACE_DEBUG": "1"},
        timeout=60,
        check=False,
    )
    assert loud.returncode == 1
    assert "Traceback" in loud.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str], Path]]:
    """`agenttrace serve --port P --data-dir DIR` in a real process, stopped with Ctrl+C."""
    port = _free_port()
    data_dir = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENTTRACE_", "PYTEST_"))}
    process = subprocess.Popen(
        agenttrace("serve", "--port", str(port), "--data-dir", str(data_dir)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:  # the process gives no readiness signal but /healthz; poll with a deadline
            assert process.poll() is None, process.communicate()[0]
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "agenttrace serve did not start within 60 s"
            time.sleep(0.05)
        yield url, process, data_dir
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.mark.slow
def test_serve_runs_a_collector_over_sqlite_in_the_data_dir(
    served: tuple[str, subprocess.Popen[str], Path],
) -> None:
    """`agenttrace serve` stores what it ingests in DIR/agenttrace.db and stops on Ctrl+C."""
    url, process, data_dir = served
    record = {"id": "served-1", "session_id": "served", "session_name": "via-serve"}
    answer = httpx.post(f"{url}/v1/records", json={"records": [record]}, timeout=10)
    assert answer.json()["accepted"] == 1
    listed = CliRunner().invoke(app, ["--endpoint", url, "sessions", "--json"])
    assert [row["session_name"] for row in json.loads(listed.stdout)["sessions"]] == ["via-serve"]
    assert (data_dir / "agenttrace.db").is_file()
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert f"agenttrace collector running on {url} (Ctrl+C to stop)" in output


def test_serve_explains_a_bad_database_url() -> None:
    """A database URL the collector cannot use is one line on stderr naming both accepted
    forms (SQLite and PostgreSQL), and exit 1."""
    result = CliRunner().invoke(app, ["serve", "--database", "mysql://db/traces"])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: unsupported database URL 'mysql://db/traces'")
    assert "sqlite:///path/to/agenttrace.db" in result.stderr
    assert "postgresql://user:password@host:5432/database for PostgreSQL" in result.stderr
    assert result.stderr.count("\n") == 1


def test_closed_pipe_is_quiet(cli_collector_url: str) -> None:
    """When the reader goes away (`agenttrace sessions | head`), the command stops quietly."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENTTRACE_", "PYTEST_"))}
    process = subprocess.Popen(
        agenttrace("--endpoint", cli_collector_url, "sessions"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert process.stdout is not None
    process.stdout.close()  # before the process (still importing) writes anything
    _, errors = process.communicate(timeout=60)
    assert process.returncode == 1
    assert errors == b""
