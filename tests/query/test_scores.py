"""Scores through the query clients (sync and async) and ``agenttrace score``, against a
real collector."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from typer.testing import CliRunner

from agenttrace.cli import app
from agenttrace.exceptions import NotFoundError, UserError
from agenttrace.query import AsyncQueryClient, QueryClient
from agenttrace.server.testing import running_collector


@pytest.fixture
def url(tmp_path: object) -> Iterator[str]:
    """A collector holding session ``s`` with request ``r``."""
    record = {
        "id": "r",
        "session_id": "s",
        "start_time": "2025-03-01T12:00:00Z",
        "end_time": "2025-03-01T12:00:01Z",
    }
    with running_collector() as collector:
        httpx.post(f"{collector.url}/v1/records", json={"records": [record]}).raise_for_status()
        yield collector.url


def test_sync_client_scores_and_lists(url: str) -> None:
    """`QueryClient.score` keeps each kind; `scores` lists a session's and a request's."""
    with QueryClient(url) as client:
        thumbs = client.score("thumbs", True, session_id="s")
        assert (thumbs.kind, thumbs.value, thumbs.source) == ("boolean", True, "sdk")
        client.score("quality", 0.5, request_id="r", comment="ok")
        client.score("label", "2", request_id="r", kind="categorical")
        assert [(s.name, s.value) for s in client.scores(session_id="s")] == [
            ("thumbs", True),
            ("quality", 0.5),
            ("label", "2"),
        ]
        assert [s.name for s in client.scores(request_id="r")] == ["quality", "label"]
        with pytest.raises(NotFoundError, match="no session 'nope'"):
            client.score("x", 1, session_id="nope")
        with pytest.raises(UserError, match="exactly one"):
            client.scores()


async def test_async_client_scores(url: str) -> None:
    """`AsyncQueryClient` does the same."""
    async with AsyncQueryClient(url) as client:
        score = await client.score("stars", 4, session_id="s", source="app")
        assert (score.kind, score.value, score.source) == ("numeric", 4.0, "app")
        assert [s.name for s in await client.scores(session_id="s")] == ["stars"]


def test_cli_score_add_and_list(url: str) -> None:
    """``agenttrace score add`` reads up/down, numbers and labels; ``list`` prints them."""
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(app, ["--endpoint", url, "score", *args])
        assert result.exit_code == 0, result.output
        return result.output

    assert "thumbs = true" in run("add", "thumbs", "up", "--session", "s")
    assert "quality = 0.8" in run("add", "quality", "0.8", "--request", "r", "--comment", "ok")
    run("add", "label", "off-topic", "--session", "s")
    rows = json.loads(run("list", "--session", "s", "-o", "json"))
    assert [(r["name"], r["value"], r["source"]) for r in rows] == [
        ("thumbs", True, "cli"),
        ("quality", 0.8, "cli"),
        ("label", "off-topic", "cli"),
    ]
    table = run("list", "--session", "s")
    assert "off-topic" in table
    assert "quality" in table
    wrong = runner.invoke(app, ["--endpoint", url, "score", "add", "x", "maybe", "--session",
                                "s", "--kind", "boolean"])  # fmt: skip
    assert wrong.exit_code == 1
    assert "true or false" in wrong.output
