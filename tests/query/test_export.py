"""QueryClient.export: requests and sessions to JSONL, CSV and Parquet, and resuming."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from agenttrace.exceptions import UserError
from agenttrace.query import CollectorUnavailableError, QueryClient
from agenttrace.query._export import state_path


def _jsonl(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_requests_to_jsonl_in_pages(collector_url: str, tmp_path: Path) -> None:
    """Every request, oldest first, across pages; no state file is left behind."""
    out = tmp_path / "requests.jsonl"
    seen: list[tuple[int, int | None]] = []
    with QueryClient(collector_url) as client:
        summary = client.export(out, page_size=4, progress=lambda n, t: seen.append((n, t)))
    rows = _jsonl(out)
    assert summary.rows == len(rows) == 14
    assert [row["id"] for row in rows][:3] == ["a1", "a2", "a3"]
    assert "request_body" not in rows[0]
    assert seen[-1] == (14, 14)
    assert len(seen) == 4  # 4 + 4 + 4 + 2
    assert not state_path(out).exists()


def test_filters_bodies_and_csv(collector_url: str, tmp_path: Path) -> None:
    """Filters narrow the export; bodies come when asked; CSV has one header and a row each."""
    out = tmp_path / "llm.csv"
    with QueryClient(collector_url) as client:
        client.export(out, kind="llm", include_bodies=True, properties={"env": "prod"})
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [row["id"] for row in rows] == ["a1", "a3", "c1", "c2"]
    assert rows[0]["request_body"] == ""  # none stored
    assert json.loads(rows[1]["request_body"]) == {
        "messages": [{"role": "user", "content": "plan a trip"}]
    }


def test_sessions_to_parquet(collector_url: str, tmp_path: Path) -> None:
    """Sessions export to a directory of Parquet parts with typed columns."""
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "sessions.parquet"
    with QueryClient(collector_url) as client:
        summary = client.export(out, "sessions", page_size=3, name="planner")
    table = pq.read_table(out)
    assert summary.rows == table.num_rows == 2
    assert table.column("session_id").to_pylist() == ["sess-a", "sess-b"]
    assert str(table.schema.field("start_time").type) == "timestamp[us, tz=UTC]"
    assert table.column("request_count").to_pylist() == [3, 2]


class _InterruptedError(Exception):
    """Stands for a Ctrl-C in the middle of an export."""


def test_resume_cuts_a_partial_page_and_goes_on(collector_url: str, tmp_path: Path) -> None:
    """A run stopped after two pages leaves its state; a resume drops what was written
    after it (here half a line) and goes on: every request once, in order."""
    out = tmp_path / "requests.jsonl"
    whole = tmp_path / "whole.jsonl"

    def stop_after_two_pages(rows: int, total: int | None) -> None:
        if rows >= 10:
            raise _InterruptedError

    with QueryClient(collector_url) as client:
        client.export(whole, page_size=5)
        with pytest.raises(_InterruptedError):
            client.export(out, page_size=5, progress=stop_after_two_pages)
        state = json.loads(state_path(out).read_text(encoding="utf-8"))
        assert state["rows"] == 10
        assert state["after"][1] == _jsonl(whole)[9]["id"]
        with out.open("ab") as partial:  # a killed run may leave half a line after the mark
            partial.write(b'{"id": "half')
        summary = client.export(out, page_size=5, resume=True)
    assert summary.resumed_from == 10
    assert summary.rows == 14
    assert out.read_bytes() == whole.read_bytes()
    assert not state_path(out).exists()


def test_refusals_say_what_to_do(collector_url: str, tmp_path: Path) -> None:
    """Existing output, a resume without state or with other filters, bad filters."""
    out = tmp_path / "r.jsonl"
    out.write_text("x\n", encoding="utf-8")
    with QueryClient(collector_url) as client:
        with pytest.raises(UserError, match="--overwrite"):
            client.export(out)
        with pytest.raises(UserError, match="no unfinished export"):
            client.export(out, resume=True)
        state_path(out).write_text(
            json.dumps({"version": 2, "what": "requests", "format": "jsonl",
                        "params": [["model", "x"]], "include_bodies": False}),
            encoding="utf-8",
        )  # fmt: skip
        with pytest.raises(UserError, match="other settings"):
            client.export(out, resume=True)
        with pytest.raises(UserError, match="cannot filter by min_cost"):
            client.export(tmp_path / "a.jsonl", min_cost=1.0)
        with pytest.raises(UserError, match="format"):
            client.export(tmp_path / "a.txt")
        assert client.export(out, overwrite=True).rows == 14


def _breaking_transport(collector_url: str, cut_at: int) -> httpx.MockTransport:
    """Answers the export stream with the real collector's bytes, cut after ``cut_at``
    bytes as by a connection that drops (a hand-written failure, as httpx's own tests do)."""

    def broken_after(data: bytes) -> Iterator[bytes]:
        yield data[:cut_at]
        raise httpx.RemoteProtocolError("peer closed connection without sending complete body")

    def handle(request: httpx.Request) -> httpx.Response:
        real = httpx.get(f"{collector_url}{request.url.raw_path.decode()}", timeout=30)
        return httpx.Response(
            real.status_code, headers=real.headers, stream=_Stream(broken_after(real.content))
        )

    return httpx.MockTransport(handle)


class _Stream(httpx.SyncByteStream):
    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        return self._chunks


def test_a_stream_that_breaks_off_resumes_after_its_last_page(
    collector_url: str, tmp_path: Path
) -> None:
    """A connection lost mid-stream: the error says to resume; the state is that of the
    last whole page (the lines after it are sent again), and the resume completes it."""
    out, whole = tmp_path / "requests.jsonl", tmp_path / "whole.jsonl"
    with QueryClient(collector_url) as client:
        client.export(whole)
    lines = whole.read_bytes().splitlines(keepends=True)
    cut_at = len(b"".join(lines[:7])) + 10  # seven lines and part of the eighth
    broken = QueryClient(collector_url, transport=_breaking_transport(collector_url, cut_at))
    with broken, pytest.raises(CollectorUnavailableError, match="--resume"):
        broken.export(out, page_size=3)
    state = json.loads(state_path(out).read_text(encoding="utf-8"))
    assert state["rows"] == 6
    assert state["after"][1] == json.loads(lines[5])["id"]
    with QueryClient(collector_url) as client:
        summary = client.export(out, page_size=3, resume=True)
    assert (summary.resumed_from, summary.rows) == (6, 14)
    assert out.read_bytes() == whole.read_bytes()
