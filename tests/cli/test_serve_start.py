"""``agenttrace serve`` and ``python -m agenttrace.server`` starting, in real processes: what
they say once listening, the one line they say when they cannot start, and the connection
limits (``--read-timeout``, ``--max-connections``) they hand to the collector."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

SCRIPT = str(Path(sys.executable).with_name("agenttrace"))
COMMANDS = {
    "agenttrace serve": [SCRIPT, "serve"],
    "python -m": [sys.executable, "-m", "agenttrace.server"],
}
PREFIXES = {"agenttrace serve": "error", "python -m": "agenttrace.server"}
"""How each command line starts its error line."""
NOT_AN_ADDRESS_HERE = "192.0.2.1"
"""TEST-NET-1 (RFC 5737): never an address of this machine."""


def _environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("AGENTTRACE_", "PYTEST_"))}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(command: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, capture_output=True, text=True, env=_environment(), cwd=cwd, timeout=60,
        check=False,
    )  # fmt: skip


@contextmanager
def _healthy(
    command: list[str], url: str, start_within: float = 60.0
) -> Iterator[subprocess.Popen[str]]:
    """Start ``command``, wait until ``url`` answers /healthz (at most ``start_within``
    seconds), then stop it with Ctrl+C after the block."""
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=_environment()
    )
    try:
        deadline = time.monotonic() + start_within
        while True:  # a child's readiness cannot be awaited: poll /healthz with a deadline
            assert process.poll() is None, process.communicate()[0]
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"the collector did not start in {start_within} s"
            time.sleep(0.05)
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=60)


def _output_once_healthy(command: list[str], url: str) -> str:
    """Start ``command``, wait until ``url`` answers /healthz, stop it with Ctrl+C and
    return everything it printed."""
    with _healthy(command, url) as process:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    return output


@pytest.mark.slow
def test_serve_says_where_the_collector_dashboard_and_database_are(tmp_path: Path) -> None:
    """The start-up lines name the collector's URL, the dashboard's and the SQLite file."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    command = [SCRIPT, "serve", "--port", str(port), "--data-dir", str(tmp_path / "data")]
    lines = _output_once_healthy(command, url).splitlines()
    database = (tmp_path / "data" / "agenttrace.db").resolve()
    assert f"agenttrace collector running on {url} (Ctrl+C to stop)" in lines
    assert f"  dashboard  {url}/" in lines
    assert f"  API docs   {url}/docs" in lines
    assert f"  database   sqlite:///{database}" in lines


@pytest.fixture
def empty_cwd(tmp_path: Path) -> Iterator[Path]:
    """An empty directory to run the command in."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    yield cwd
    shutil.rmtree(cwd)


@pytest.mark.parametrize("command", COMMANDS.values(), ids=COMMANDS.keys())
def test_a_database_that_is_neither_url_nor_path_is_refused(
    command: list[str], empty_cwd: Path
) -> None:
    """``--database "not a url"`` names both accepted forms and creates no file."""
    done = _run([*command, "--database", "not a url", "--port", "0"], cwd=empty_cwd)
    assert done.returncode != 0
    assert done.stderr.count("\n") == 1, done.stderr
    assert "'not a url' is neither a database URL nor a file path" in done.stderr
    assert "sqlite:///path/to/agenttrace.db" in done.stderr
    assert "postgresql://user:password@host:5432/database for PostgreSQL" in done.stderr
    assert list(empty_cwd.iterdir()) == []


def test_a_file_path_is_taken_as_sqlite(empty_cwd: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A value that looks like a path (./traces.db, traces.sqlite) still opens that file."""
    from agenttrace.server.store import open_store

    monkeypatch.chdir(empty_cwd)
    for value in ("./traces.db", "traces.sqlite"):
        store = open_store(value)
        assert store.location == f"sqlite:///{(empty_cwd / value).resolve()}"
        store.close()


@pytest.mark.parametrize("name", COMMANDS)
def test_port_in_use_is_one_line(name: str, tmp_path: Path) -> None:
    """A port another process listens on: one line saying so and what to do, no uvicorn."""
    command = COMMANDS[name]
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = _run([*command, "--port", str(port), "--data-dir", str(tmp_path)])
    assert done.returncode != 0
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"{PREFIXES[name]}: port {port} on 127.0.0.1 "
        "is in use (another agenttrace serve?): stop it or pass --port N (0 picks a free one)"
    ]
    assert list(tmp_path.iterdir()) == []  # nor was the database created


def test_an_address_of_another_machine_is_one_line(tmp_path: Path) -> None:
    """--host with an address this machine does not have (EADDRNOTAVAIL) is one line."""
    done = _run(
        [SCRIPT, "serve", "--host", NOT_AN_ADDRESS_HERE, "--allow-open", "--port", "0",
         "--data-dir", str(tmp_path)]
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"error: cannot listen on {NOT_AN_ADDRESS_HERE}: it is not an address of this machine; "
        "pass --host 127.0.0.1 (this machine only), 0.0.0.0 (every interface) or one of its "
        "own addresses"
    ]


def _without_bind_privilege() -> list[str]:
    """A prefix that runs a command unable to bind ports below 1024 (as root: without
    CAP_NET_BIND_SERVICE, through util-linux's setpriv); skips when there is none."""
    if Path("/proc/sys/net/ipv4/ip_unprivileged_port_start").read_text().strip() in {"0", "1"}:
        pytest.skip("every port is unprivileged on this machine")
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: cannot drop CAP_NET_BIND_SERVICE")
    return [setpriv, "--bounding-set", "-net_bind_service"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses Linux capabilities")
def test_a_privileged_port_is_one_line(tmp_path: Path) -> None:
    """Port 80 without the privilege (EACCES): one line pointing to an ordinary port."""
    done = _run(
        [*_without_bind_privilege(), SCRIPT, "serve", "--port", "80", "--data-dir", str(tmp_path)]
    )
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "error: cannot listen on port 80: ports below 1024 need root; pick --port 8787"
    ]


def test_both_command_lines_have_the_same_options() -> None:
    """``python -m agenttrace.server --help`` lists exactly ``agenttrace serve``'s options."""

    def options(command: list[str]) -> list[str]:
        done = _run([*command, "--help"])
        assert done.returncode == 0, done.stderr
        return [line.split()[0] for line in done.stdout.splitlines() if line.startswith("  --")]

    served = options(COMMANDS["agenttrace serve"])
    assert options(COMMANDS["python -m"]) == served
    for name in (
        "--allowed-host",
        "--workers",
        "--retention",
        "--max-body-bytes",
        "--log-level",
        "--rate-limit",
        "--read-timeout",
        "--max-connections",
    ):
        assert name in served


def _status_of_unfinished_headers(port: int) -> int:
    """Send the start of a request's headers and nothing more (a slow client, as far as
    the collector can tell); the status it answers before it closes the connection (0: it
    closed without answering). Nothing is sent after the start, so the answer cannot be
    lost to a reset."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: 0")
        answer = b""
        while chunk := sock.recv(65536):  # socket.timeout if the collector never closes
            answer += chunk
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0


@pytest.mark.slow
@pytest.mark.parametrize("name", COMMANDS)
def test_serve_options_limit_slow_and_surplus_connections(name: str, tmp_path: Path) -> None:
    """With ``--max-connections 1``, a second connection's request gets 503 while the first
    is open; with ``--read-timeout 0.5``, headers that do not arrive in time get 408
    and the connection is closed."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    command = [*COMMANDS[name], "--port", str(port), "--data-dir", str(tmp_path)]
    command += ["--max-connections", "1", "--read-timeout", "0.5"]
    with _healthy(command, url), httpx.Client(timeout=20) as held:
        assert held.get(f"{url}/healthz").status_code == 200  # its connection stays open
        refused = httpx.get(f"{url}/healthz", timeout=20)
        held.close()
        unfinished = _status_of_unfinished_headers(port)
    assert refused.status_code == 503
    assert "--max-connections" in refused.json()["error"]
    assert unfinished == 408


@pytest.mark.slow
def test_worker_processes_close_slow_senders(tmp_path: Path) -> None:
    """``--workers 2`` hands ``--read-timeout`` to every worker process."""
    port = _free_port()
    command = [SCRIPT, "serve", "--port", str(port), "--data-dir", str(tmp_path)]
    command += ["--workers", "2", "--read-timeout", "0.5"]
    # uvicorn's supervisor restarts a worker that misses its 5 s ping while starting: on a
    # loaded machine (several test processes on two cores) starting takes a minute or more
    with _healthy(command, f"http://127.0.0.1:{port}", start_within=180):
        assert [_status_of_unfinished_headers(port) for _ in range(4)] == [408] * 4
