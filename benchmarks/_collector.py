"""A real collector for the benchmarks: ``python -m agenttrace.server`` in a child process
(so its CPU is not counted in the benchmark's), on a free port of 127.0.0.1, started when
``GET /healthz`` answers 200.

* `collector_process`: a context manager yielding the collector's URL;
* `start_collector`: the process and its URL, for the caller to `stop`;
* `start_process`: any server command (a stand-in for the collector, another product)
  started the same way;
* `free_port`: a port nothing listens on (also an unreachable endpoint).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["collector_process", "free_port", "start_collector", "start_process", "stop"]

START_LIMIT_S = 60.0
"""How long a server may take to answer ``/healthz`` (a cold start imports a lot)."""

_DEFAULT_GC_SERVER = """
import sys
import agenttrace.server._serve as serve
from agenttrace.cli._serve import main
serve.tune_for_ingest = lambda: None  # keep CPython's default collector thresholds
sys.exit(main(sys.argv[1:]))
"""
"""``python -m agenttrace.server`` (one process) without the collector's gc settings."""


def free_port() -> int:
    """A port of 127.0.0.1 nothing listens on (bound, read, released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_process(
    command: Sequence[str],
    url: str,
    *,
    env: Mapping[str, str] | None = None,
    quiet: bool = False,
) -> subprocess.Popen[bytes]:
    """Run ``command`` and wait until ``url``/healthz answers 200; raise `RuntimeError`
    (the process killed) if it exits first or takes over `START_LIMIT_S`. ``quiet``: its
    stderr is dropped."""
    import httpx  # here: a benchmark that starts no server does not load it

    stderr = subprocess.DEVNULL if quiet else None
    process = subprocess.Popen(command, env=env, stderr=stderr)
    deadline = time.monotonic() + START_LIMIT_S
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            status = process.poll()
            process.kill()
            process.wait()
            msg = f"{command[0]} did not start on {url} (exit status {status})"
            raise RuntimeError(msg)
        time.sleep(0.05)  # polling a child process's readiness, with a deadline


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate ``process`` and wait for it (killed if it takes over 30 s)."""
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def start_collector(
    data_dir: Path | None = None,
    workers: int = 1,
    *,
    database_url: str | None = None,
    default_gc: bool = False,
    extra_args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    quiet: bool = False,
) -> tuple[subprocess.Popen[bytes], str]:
    """A collector over ``data_dir`` (a SQLite file in it) or ``database_url``, with
    ``workers`` processes and the command-line arguments ``extra_args`` (``default_gc``:
    one process that keeps CPython's default garbage-collector settings); ``env``: its
    whole environment (default: this one's). Returns the process (for the caller to
    `stop`) and the URL."""
    if (data_dir is None) == (database_url is None):
        msg = "start_collector needs a data_dir or a database_url (one of them)"
        raise ValueError(msg)
    port = free_port()
    server = ["-c", _DEFAULT_GC_SERVER] if default_gc else ["-m", "agenttrace.server"]
    store = ["--data-dir", str(data_dir)] if database_url is None else ["--database", database_url]
    command = [sys.executable, *server, "--host", "127.0.0.1", "--port", str(port), *store]
    command += ["--log-level", "warning", *extra_args]
    if workers != 1:  # (an older collector, a baseline, may not know the option)
        command += ["--workers", str(workers)]
    url = f"http://127.0.0.1:{port}"
    return start_process(command, url, env=env, quiet=quiet), url


@contextmanager
def collector_process(
    data_dir: Path | None = None, workers: int = 1, **options: Any
) -> Iterator[str]:
    """A collector (`start_collector`, the same arguments) while the block runs; yields
    its URL."""
    process, url = start_collector(data_dir, workers, **options)
    try:
        yield url
    finally:
        stop(process)
