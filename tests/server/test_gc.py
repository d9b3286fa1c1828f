"""A collector process freezes its start-up objects and raises the gc thresholds
(`agenttrace.server._gc`); a process that runs the collector in a thread keeps its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from agenttrace.server._gc import INGEST_THRESHOLDS

# Runs serve() up to uvicorn's loop (replaced by a report of the gc settings at that moment),
# in the main thread or in another one, in a fresh interpreter.
_PROBE = """
import gc, json, sys, threading
import uvicorn
from agenttrace.cli import _serve

def report(self, *args, **kwargs):
    print(json.dumps({"threshold": gc.get_threshold(), "frozen": gc.get_freeze_count()}))

uvicorn.Server.run = report
args = ["--data-dir", sys.argv[2], "--port", "0", "--log-level", "warning"]
if sys.argv[1] == "thread":
    thread = threading.Thread(target=_serve.main, args=(args,))
    thread.start()
    thread.join()
else:
    _serve.main(args)
"""

_WORKER_PROBE = """
import gc, json
from agenttrace.server._workers import app_from_environment

app_from_environment()
print(json.dumps({"threshold": gc.get_threshold(), "frozen": gc.get_freeze_count()}))
"""


def _run(code: str, *args: str, env: dict[str, str] | None = None) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def test_serve_tunes_the_gc_of_its_own_process(tmp_path: Path) -> None:
    report = _run(_PROBE, "main", str(tmp_path))
    assert tuple(report["threshold"]) == INGEST_THRESHOLDS  # type: ignore[arg-type]
    assert report["frozen"] > 0  # type: ignore[operator]


def test_serve_in_a_thread_leaves_the_process_gc_alone(tmp_path: Path) -> None:
    report = _run(_PROBE, "thread", str(tmp_path))
    assert tuple(report["threshold"]) != INGEST_THRESHOLDS  # type: ignore[arg-type]
    assert report["frozen"] == 0


def test_each_worker_process_tunes_its_gc(tmp_path: Path) -> None:
    settings = json.dumps({"database_url": f"sqlite:///{tmp_path / 'agenttrace.db'}"})
    env = {**os.environ, "AGENTTRACE_WORKER_SETTINGS": settings}
    report = _run(_WORKER_PROBE, env=env)
    assert tuple(report["threshold"]) == INGEST_THRESHOLDS  # type: ignore[arg-type]
    assert report["frozen"] > 0  # type: ignore[operator]
