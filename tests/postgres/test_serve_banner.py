"""``agenttrace serve --database postgresql://user:password@...`` names the database it uses
at start, without the password."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

pytestmark = pytest.mark.postgres

PASSWORD = "s3cret-pw"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _with_password(url: str) -> str:
    """``url`` with a password (the test server trusts local connections, so it is ignored)."""
    parts = urlsplit(url)
    user = parts.username or "postgres"
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:{PASSWORD}@{host}"))


@pytest.mark.slow
def test_the_banner_names_postgresql_without_the_password(postgres_url: str) -> None:
    """The start-up lines say ``postgresql://user@host:port/db``; the password is nowhere."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENTTRACE_", "PYTEST_"))}
    command = [str(Path(sys.executable).with_name("agenttrace")), "serve", "--port", str(port),
               "--database", _with_password(postgres_url)]  # fmt: skip
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    try:
        deadline = time.monotonic() + 60
        while True:  # a child's readiness cannot be awaited: poll /healthz with a deadline
            assert process.poll() is None, process.communicate()[0]
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the collector did not start within 60 s"
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=60)
    parts = urlsplit(postgres_url)
    user = parts.username or "postgres"
    database = f"{user}@{parts.hostname}:{parts.port or 5432}{parts.path}"
    assert f"  database   postgresql://{database}" in output.splitlines(), output
    assert PASSWORD not in output
