"""examples/demo.py as a user runs it: a real process, a data dir that accumulates."""

from __future__ import annotations

import os
import re
import runpy
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from agenttrace.core.defaults import default_data_dir
from agenttrace.query import QueryClient
from agenttrace.records import Record
from agenttrace.server.testing import running_collector

ROOT = Path(__file__).resolve().parents[2]
DEMO_TIMEOUT_S = 300


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port something is already listening on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


def run_demo(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``uv run --no-sync python examples/demo.py ARGS`` from the repository root."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENTTRACE_", "PYTEST_"))}
    env.update({"AGENTTRACE_DATA_DIR": str(data_dir), "AGENTTRACE_RAISE_INTERNAL_ERRORS": "1"})
    env["COLUMNS"] = "160"  # a wide terminal: every column of the table (narrower: tests/cli)
    uv = shutil.which("uv")
    python = [uv, "run", "--no-sync", "python"] if uv else [sys.executable]
    return subprocess.run(
        [*python, "examples/demo.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=DEMO_TIMEOUT_S,
        check=False,
    )


def seed_earlier_session(data_dir: Path) -> None:
    """A session from an earlier run, already stored in ``data_dir``."""
    with running_collector(data_dir=data_dir) as collector:
        record = Record(session_id="earlier-run", session_name="earlier", name="old call")
        body = {"records": [record.model_dump(mode="json")]}
        answer = httpx.post(f"{collector.url}/v1/records", json=body, timeout=30)
        assert answer.json()["accepted"] == 1, answer.text


@pytest.mark.slow
def test_demo_stores_where_serve_looks_by_default(tmp_path: Path) -> None:
    """Without --data-dir the demo's SQLite file is the one `agenttrace serve` opens."""
    demo = runpy.run_path(str(ROOT / "examples" / "demo.py"), run_name="demo_module")
    env = {"AGENTTRACE_DATA_DIR": str(tmp_path / "served")}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        assert demo["data_dir_from"](None) == default_data_dir().resolve()
        patch.delenv("AGENTTRACE_DATA_DIR")
        assert demo["data_dir_from"](None) == default_data_dir().resolve()
        assert ".agenttrace" not in str(default_data_dir())


@pytest.mark.slow
def test_demo_traces_the_examples_and_prints_table_and_tree(tmp_path: Path, busy_port: int) -> None:
    """Exit 0; the new sessions newest first, the supervisor's tree, and where to look."""
    seed_earlier_session(tmp_path)
    result = run_demo(tmp_path, "--port", str(busy_port))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    out = result.stdout

    collector_url = re.search(r"collector on (http://127\.0\.0\.1:(\d+))", out)
    assert collector_url is not None, out
    assert int(collector_url.group(2)) != busy_port  # the taken port was left alone

    table = [line for line in out.splitlines() if line.count("│") == 8]  # 9 columns
    assert [line.split("│")[0].strip() for line in table] == ["city-research", "supervisor"]
    supervisor_id = table[1].split("│")[1].strip()
    assert "11" in table[1].split("│")[4]
    assert "earlier" not in out

    for segment in ("supervisor", "researcher", "coder", "agent", "tools", "run_python"):
        assert re.search(rf"── {segment}  ", out), segment
    assert "vector_db docs_index  ok" in out
    assert "data facts_db  ok" in out
    assert "tool search  ok" in out

    why = [line for line in out.splitlines() if "is ✗ error because" in line]
    assert why == [
        "city-research is ✗ error because /research/facts_db raised "
        "manual_research.FlakyDatabaseError: connection reset by the fake database "
        "(on purpose; its retry succeeded)"
    ]

    look = next(line for line in out.splitlines() if line.startswith("Look further:"))
    assert f"serve --data-dir {tmp_path}" in look
    assert "http://127.0.0.1:8787/" in look
    assert look.endswith(f"session {supervisor_id}")

    with running_collector(data_dir=tmp_path) as collector, QueryClient(collector.url) as client:
        stored = client.sessions(limit=10)
        names = sorted(row.session_name or "" for row in stored.sessions)
        assert names == ["city-research", "earlier", "supervisor"]
        assert client.session(supervisor_id).session.request_count == 11
