"""``--allowed-host`` (repeatable) and ``AGENTTRACE_ALLOWED_HOSTS`` reach the collector from
both command lines: the names given are answered, others get 421, a value that is not a
host name stops the command before it listens."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx
import pytest

AGENTTRACE = str(Path(sys.executable).with_name("agenttrace"))
RUNNING = re.compile(r"agenttrace collector running on (http://127\.0\.0\.1:\d+)")


def _environment(**variables: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **variables}
    for name in ("AGENTTRACE_DATABASE_URL", "AGENTTRACE_DATA_DIR"):
        env.pop(name, None)
    if "AGENTTRACE_ALLOWED_HOSTS" not in variables:
        env.pop("AGENTTRACE_ALLOWED_HOSTS", None)
    return env


def _collect(stream: IO[str], lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line)


@contextmanager
def _collector(command: list[str], **variables: str) -> Iterator[str]:
    """Run ``command`` until it says where it listens; yield that URL; stop it."""
    process = subprocess.Popen(
        command, stderr=subprocess.PIPE, text=True, env=_environment(**variables)
    )
    assert process.stderr is not None
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_collect, args=(process.stderr, lines), daemon=True).start()
    try:
        while (match := RUNNING.search(lines.get(timeout=60))) is None:
            pass
        yield match[1]
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


def _status(url: str, host: str) -> int:
    return httpx.get(f"{url}/v1/sessions", headers={"Host": host}, timeout=30).status_code


@pytest.mark.slow  # starts two collector processes: a few seconds
def test_both_command_lines_answer_the_names_given_and_refuse_others(tmp_path: Path) -> None:
    """``agenttrace serve --allowed-host A --allowed-host B`` and ``python -m
    agenttrace.server`` with ``AGENTTRACE_ALLOWED_HOSTS="A, B"`` answer A and B, 421 else."""
    cli = [AGENTTRACE, "serve", "--port", "0", "--data-dir", str(tmp_path)]
    named = ["--allowed-host", "traces.example.com", "--allowed-host", "box.lan:8787"]
    with _collector([*cli, *named]) as url:
        assert _status(url, "traces.example.com") == 200
        assert _status(url, "box.lan") == 200
        assert _status(url, "rebind.evil.example") == 421
    module = [sys.executable, "-m", "agenttrace.server", "--port", "0", "--data-dir", str(tmp_path)]
    with _collector(module, AGENTTRACE_ALLOWED_HOSTS="traces.example.com, box.lan") as url:
        assert _status(url, "box.lan:443") == 200
        assert _status(url, "traces.example.com") == 200
        assert _status(url, "rebind.evil.example") == 421


@pytest.mark.parametrize("via", ["option", "variable"])
def test_a_value_that_is_not_a_host_name_stops_both_command_lines(tmp_path: Path, via: str) -> None:
    """A URL given as a host name is named in one sentence; neither command listens."""
    option = ["--allowed-host", "https://traces.example.com/"] if via == "option" else []
    variables = (
        {"AGENTTRACE_ALLOWED_HOSTS": "https://traces.example.com/"} if via != "option" else {}
    )
    commands = [
        [AGENTTRACE, "serve", "--port", "0", "--data-dir", str(tmp_path), *option],
        [sys.executable, "-m", "agenttrace.server", "--port", "0", "--data-dir", str(tmp_path),
         *option],
    ]  # fmt: skip
    for command, status in zip(commands, (1, 2), strict=True):
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=60, check=False,
            env=_environment(**variables),
        )  # fmt: skip
        assert done.returncode == status, done.stderr
        assert "'https://traces.example.com/' (--allowed-host, AGENTTRACE_ALLOWED_HOSTS)" in (
            done.stderr
        )
        assert "collector running on" not in done.stderr
