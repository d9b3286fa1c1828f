"""Running `faultkit.emitter` as a child process and talking to it line by line."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any

__all__ = ["EmitterProcess"]

_FAULTKIT_HOME = Path(__file__).resolve().parents[1]


def _pump(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


class EmitterProcess:
    """``python -m faultkit.emitter ARGS`` with stdin and stdout as pipes."""

    def __init__(self, args: list[str], log_path: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTTRACE_")}
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(_FAULTKIT_HOME), env.get("PYTHONPATH", "")) if p
        )
        self.log_path = log_path
        with log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "faultkit.emitter", *args],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                env=env,
            )
        self._lines: queue.Queue[str | None] = queue.Queue()
        assert self.process.stdout is not None
        threading.Thread(target=_pump, args=(self.process.stdout, self._lines), daemon=True).start()

    def event(self, name: str, timeout: float = 120.0) -> dict[str, Any]:
        """The next JSON line, which must be event ``name``."""
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            msg = f"no {name!r} event from the emitter within {timeout} s: {self.stderr()}"
            raise AssertionError(msg) from None
        if line is None:
            code = self.process.wait(30)
            msg = f"the emitter exited ({code}) before {name!r}: {self.stderr()}"
            raise AssertionError(msg)
        payload: dict[str, Any] = json.loads(line)
        assert payload["event"] == name, payload
        return payload

    def send(self, line: str) -> None:
        """Write one line to its stdin."""
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def wait(self, timeout: float = 60.0) -> int:
        """Its exit status."""
        return self.process.wait(timeout)

    def stderr(self) -> str:
        """What it wrote to stderr so far (tail)."""
        try:
            return self.log_path.read_text(errors="replace")[-3000:]
        except FileNotFoundError:
            return ""

    def close(self) -> None:
        """Leave no process behind."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(30)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()
