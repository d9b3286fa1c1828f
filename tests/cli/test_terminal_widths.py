"""The CLI in real terminals of 80, 100 and 160 columns: names and ids never vanish or wrap."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from agenttrace.records import Record, RecordKind, Usage
from agenttrace.server.testing import running_collector

SCRIPT = Path(sys.executable).with_name("agenttrace")
WIDTHS = (80, 100, 160)
BASE = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)
NAMES = ("customer-support-triage", "research-assistant")


@pytest.fixture(scope="module")
def uuid_sessions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[str]]]:
    """A collector holding two sessions with UUID ids (as real runs make) and their ids."""
    ids = [str(uuid.uuid4()) for _ in NAMES]
    records = [
        Record(
            id=str(uuid.uuid4()),
            session_id=session_id,
            session_name=name,
            session_path="/researcher/tools/search",
            kind=RecordKind.LLM,
            name="ChatOpenAI",
            model="gpt-4o-mini-2024-07-18",
            start_time=BASE + timedelta(minutes=index),
            end_time=BASE + timedelta(minutes=index, seconds=2),
            usage=Usage(input_tokens=1200, output_tokens=300),
            cost_usd=0.0012,
        )
        for index, (session_id, name) in enumerate(zip(ids, NAMES, strict=True))
    ]
    with running_collector(data_dir=tmp_path_factory.mktemp("widths")) as collector:
        body = {"records": [record.model_dump(mode="json") for record in records]}
        httpx.post(f"{collector.url}/v1/records", json=body, timeout=30).raise_for_status()
        yield collector.url, ids


def run(url: str, width: int, *args: str) -> str:
    """``agenttrace ARGS`` as a terminal of ``width`` columns shows it; its standard output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENTTRACE_", "PYTEST_"))}
    env["COLUMNS"] = str(width)
    result = subprocess.run(
        [str(SCRIPT), *args, "--endpoint", url],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("width", WIDTHS)
def test_sessions_keep_name_and_a_copyable_id_at_every_width(
    uuid_sessions: tuple[str, list[str]], width: int
) -> None:
    """Every line fits; each session's whole name and (a prefix of) its id are on one line."""
    url, ids = uuid_sessions
    out = run(url, width, "sessions")
    lines = out.splitlines()
    assert all(len(line) <= width for line in lines), out
    for name, session_id in zip(NAMES, ids, strict=True):
        row = next(line for line in lines if name in line)
        assert session_id[:12] in row, out
    header = lines[0]
    for column in ("Name", "ID", "Status"):
        assert column in header, out
    if width >= 160:
        assert all(session_id in out for session_id in ids), out  # room for whole ids


@pytest.mark.parametrize("width", WIDTHS)
def test_requests_keep_id_path_name_and_status_at_every_width(
    uuid_sessions: tuple[str, list[str]], width: int
) -> None:
    """The requests table drops figures before it drops what identifies a request."""
    url, _ = uuid_sessions
    out = run(url, width, "requests")
    lines = out.splitlines()
    assert all(len(line) <= width for line in lines), out
    for column in ("ID", "Path", "Name", "Status"):
        assert column in lines[0], out
    assert sum("/researcher/tools/search" in line for line in lines) == 2, out
    if width == 80:
        assert "hidden to fit 80 columns" in out


def test_a_shown_short_id_opens_the_session(uuid_sessions: tuple[str, list[str]]) -> None:
    """The id as the 80-column table shows it (with its ellipsis) is accepted by `session`."""
    url, ids = uuid_sessions
    table = run(url, 80, "sessions")
    shown = next(word for word in table.split() if word.startswith(ids[0][:12]))
    assert shown.endswith("…")
    tree = run(url, 80, "session", shown)
    assert ids[0] in tree.splitlines()[0]


def test_a_shown_short_request_id_opens_the_request(uuid_sessions: tuple[str, list[str]]) -> None:
    """The request id as the 80-column table shows it (with its ellipsis) opens the request."""
    url, _ = uuid_sessions
    rows = json.loads(run(url, 80, "requests", "--output", "json"))["requests"]
    whole = rows[0]["id"]
    table = run(url, 80, "requests")
    shown = next(word for word in table.split() if word.startswith(whole[:12]))
    assert shown.endswith("…")
    detail = run(url, 80, "request", shown)
    assert whole in detail


def test_output_json_and_csv_carry_whole_ids(uuid_sessions: tuple[str, list[str]]) -> None:
    """`--output json` and `--output csv` are for scripts: whole ids, every field."""
    url, ids = uuid_sessions
    page = json.loads(run(url, 80, "sessions", "--output", "json"))
    assert sorted(row["session_id"] for row in page["sessions"]) == sorted(ids)
    rows = list(csv.DictReader(io.StringIO(run(url, 80, "requests", "-o", "csv"))))
    assert sorted(row["session_id"] for row in rows) == sorted(ids)
    assert {row["model"] for row in rows} == {"gpt-4o-mini-2024-07-18"}


def test_global_options_after_the_sub_command(uuid_sessions: tuple[str, list[str]]) -> None:
    """`agenttrace sessions --endpoint URL` works as the connection hint suggests."""
    url, ids = uuid_sessions
    assert ids[0][:12] in run(url, 100, "sessions")  # `run` puts --endpoint last
