"""A real collector process (``python -m agenttrace.server``) that a test can kill and restart.

Each start runs a new interpreter on the same port and database, with its output appended to
a log file that failure messages quote. `CollectorProcess.kill` is ``kill -9``; `stop` is
SIGTERM (a graceful shutdown). `close` leaves no process behind, whatever happened.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

__all__ = ["START_DEADLINE_S", "CollectorProcess", "CollectorStartError", "free_port"]

START_DEADLINE_S = 90.0
"""How long a start may take (an interpreter importing FastAPI on a busy 2-core machine)."""
_STOP_DEADLINE_S = 30.0
_POLL_S = 0.05


class CollectorStartError(RuntimeError):
    """The collector process exited or did not answer ``/healthz`` in time."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _child_environment() -> dict[str, str]:
    """This environment without ``AGENTTRACE_*`` settings that could redirect the child."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTTRACE_")}
    env["PYTHONUNBUFFERED"] = "1"
    return env


class CollectorProcess:
    """``python -m agenttrace.server`` on 127.0.0.1:``port`` over ``database_url``."""

    def __init__(self, database_url: str, log_dir: Path, *, port: int | None = None) -> None:
        self.database_url = database_url
        self.port = port if port is not None else free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"collector-{self.port}.log"
        self.starts = 0
        self.kills = 0
        self._process: subprocess.Popen[bytes] | None = None
        log_dir.mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<CollectorProcess {self.url} {state} starts={self.starts}>"

    @property
    def running(self) -> bool:
        """Whether the process is alive."""
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        """The live process's id."""
        return self._process.pid if self.running and self._process is not None else None

    def start(self, *, wait: bool = True) -> float:
        """Start a new process; unless ``wait`` is False, return once ``/healthz`` answers 200.

        Returns the seconds it took to become healthy (0 when not waiting).
        """
        if self.running:
            msg = f"{self!r} is already running; stop or kill it first"
            raise RuntimeError(msg)
        command = [
            sys.executable,
            "-m",
            "agenttrace.server",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--database",
            self.database_url,
            "--log-level",
            "warning",
        ]
        started = time.monotonic()
        with self.log_path.open("ab") as log:
            log.write(f"--- start #{self.starts + 1}: {' '.join(command)}\n".encode())
            log.flush()
            self._process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, env=_child_environment()
            )
        self.starts += 1
        if not wait:
            return 0.0
        self.wait_healthy()
        return time.monotonic() - started

    def wait_healthy(self, deadline_s: float = START_DEADLINE_S) -> None:
        """Poll ``/healthz`` (a child's readiness cannot be awaited otherwise) until 200."""
        deadline = time.monotonic() + deadline_s
        with httpx.Client(timeout=5.0) as client:
            while True:
                process = self._process
                if process is None or process.poll() is not None:
                    code = None if process is None else process.returncode
                    msg = f"the collector at {self.url} exited ({code}): {self.log_tail()}"
                    raise CollectorStartError(msg)
                try:
                    if client.get(f"{self.url}/healthz").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    msg = f"the collector at {self.url} did not answer in {deadline_s} s: "
                    raise CollectorStartError(msg + self.log_tail())
                time.sleep(_POLL_S)

    def kill(self) -> None:
        """``kill -9`` the process and reap it (no graceful shutdown, no flush)."""
        process = self._process
        if process is None or process.poll() is not None:
            msg = f"{self!r} is not running; nothing to kill"
            raise RuntimeError(msg)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(_STOP_DEADLINE_S)
        self.kills += 1

    def stop(self) -> int | None:
        """SIGTERM (uvicorn's graceful shutdown), then wait; returns the exit status."""
        process = self._process
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(_STOP_DEADLINE_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(_STOP_DEADLINE_S)
        return process.returncode

    def close(self) -> None:
        """Leave no process behind (kill -9 if it is still alive)."""
        process = self._process
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(_STOP_DEADLINE_S)

    def log_tail(self, lines: int = 30) -> str:
        """The end of the collector's output, for failure messages."""
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no output)"
        return "\n".join(text.splitlines()[-lines:])
