"""``agenttrace export`` in real processes: killed mid-way, then resumed to the same file."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agenttrace.query._export import state_path
from agenttrace.records import Record
from agenttrace.server.testing import RunningCollector, running_collector

SCRIPT = Path(sys.executable).with_name("agenttrace")
RECORDS = 4000
BASE = datetime(2025, 3, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def big_collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCollector]:
    """A collector holding `RECORDS` requests in 400 sessions."""
    with running_collector(data_dir=tmp_path_factory.mktemp("export-collector")) as collector:
        records = [
            Record(id=f"r{i:05d}", session_id=f"s{i % 400}", model="m",
                   start_time=BASE + timedelta(seconds=i), end_time=BASE + timedelta(seconds=i + 1))
            for i in range(RECORDS)
        ]  # fmt: skip
        collector.store.ingest("default", records)
        yield collector


def _export(url: str, out: Path, *extra: str) -> list[str]:
    return [str(SCRIPT), "--endpoint", url, "export", str(out), "--page-size", "5", *extra]


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("AGENTTRACE_", "PYTEST_"))}


def _state_rows(out: Path) -> int:
    try:
        return int(json.loads(state_path(out).read_text(encoding="utf-8"))["rows"])
    except (OSError, ValueError, KeyError):
        return 0


def test_killed_export_resumes_without_gaps_or_duplicates(
    big_collector: RunningCollector, tmp_path: Path
) -> None:
    """SIGKILL mid-export, then --resume: every request exactly once, in order."""
    out = tmp_path / "requests.jsonl"
    process = subprocess.Popen(_export(big_collector.url, out), env=_env())
    try:
        deadline = time.monotonic() + 60
        while _state_rows(out) < 50 and process.poll() is None:  # a page is a file write
            assert time.monotonic() < deadline, "the export wrote no state within 60 s"
            time.sleep(0.01)
        assert process.poll() is None, "the export finished before it could be interrupted"
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    interrupted_at = _state_rows(out)
    assert 0 < interrupted_at < RECORDS
    resumed = subprocess.run(
        _export(big_collector.url, out, "--resume"),
        env=_env(), capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr
    assert "from the earlier run" in resumed.stderr
    ids = [json.loads(line)["id"] for line in out.read_text().splitlines()]
    assert ids == [f"r{i:05d}" for i in range(RECORDS)]
    assert not state_path(out).exists()


def test_export_refuses_to_overwrite_and_explains(
    big_collector: RunningCollector, tmp_path: Path
) -> None:
    """An existing output is kept; the error says how to replace or resume it."""
    out = tmp_path / "existing.csv"
    out.write_text("keep me\n", encoding="utf-8")
    done = subprocess.run(
        _export(big_collector.url, out), env=_env(), capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert "--overwrite" in done.stderr
    assert out.read_text(encoding="utf-8") == "keep me\n"
