"""The Helicone routes with text a store cannot hold (a JSON ``\\ud800`` escape decodes to a
lone surrogate, ``\\u0000`` to NUL): logs are stored repaired and marked, queries answer;
never a 500."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from agenttrace.core.text_repair import REPAIRED_PROPERTY, repair_id
from agenttrace.server.testing import RunningCollector

from .conftest import LogBody

JSON = {"content-type": "application/json"}


@pytest.fixture
def client(helicone_collector: RunningCollector) -> Iterator[httpx.Client]:
    """An HTTP client for the module's collector."""
    with helicone_collector.client(timeout=10) as http:
        yield http


def _meta(**headers: str) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        body["providerRequest"]["meta"].update(headers)

    return change


def _request_json(body: dict[str, Any]) -> None:
    body["providerRequest"]["json"]["query"] = "a\ud800"


def _response_json(body: dict[str, Any]) -> None:
    body["providerResponse"]["json"]["results"] = [{"title": "\udc00", "nul": "x\x00"}]


def _error_text(body: dict[str, Any]) -> None:
    body["providerResponse"].update(status=500, json=None, textBody="failed: \ud800")


@pytest.mark.parametrize(
    ("change", "check"),
    [
        (_request_json, lambda row: row["request_body"]["query"] == "a\ufffd"),
        (
            _response_json,
            lambda row: row["response_body"]["results"] == [{"title": "\ufffd", "nul": "x\x00"}],
        ),
        (_error_text, lambda row: row["error"]["message"] == "failed: \ufffd"),
        (
            _meta(**{"Helicone-Property-Page": "p\ud800"}),
            lambda row: row["properties"]["page"] == "p\ufffd",
        ),
        (
            _meta(**{"Helicone-Session-Name": "n\udfff\x00"}),
            lambda row: row["session_name"] == "n\ufffd\ufffd",
        ),
        (
            _meta(**{"Helicone-User-Id": "u\ud800"}),
            lambda row: row["user_id"] == "u\ufffd",
        ),
    ],
    ids=["request-body", "response-body", "error-text", "property", "session-name", "user-id"],
)
def test_a_log_with_unstorable_text_is_stored_repaired(
    client: httpx.Client,
    log_body: LogBody,
    change: Callable[[dict[str, Any]], None],
    check: Callable[[dict[str, Any]], bool],
) -> None:
    """Each kind of text a log carries: 200 ok with the id, the record stored repaired and
    marked."""
    body = log_body({"_type": "tool", "toolName": "search"}, {"ok": True})
    body["providerRequest"]["meta"]["Helicone-Session-Id"] = f"text-{uuid.uuid4()}"
    change(body)
    answer = client.post("/custom/v1/log", content=json.dumps(body), headers=JSON)
    assert answer.status_code == 200, answer.text
    row = client.get(f"/v1/requests/{answer.headers['helicone-id']}").json()
    assert check(row), row
    assert REPAIRED_PROPERTY in row["properties"]


def test_a_surrogate_in_the_request_id_gives_a_repaired_id(
    client: httpx.Client, log_body: LogBody
) -> None:
    """Helicone-Request-Id with a lone surrogate: stored under the repaired id, which the
    helicone-id header gives back; the same log again is not stored twice."""
    request_id = f"req-{uuid.uuid4()}-\ud800"
    body = log_body({"_type": "tool", "toolName": "search"}, {"ok": True})
    body["providerRequest"]["meta"]["Helicone-Request-Id"] = request_id
    for _ in range(2):
        answer = client.post("/custom/v1/log", content=json.dumps(body), headers=JSON)
        assert answer.status_code == 200, answer.text
        assert httpx.URL("/" + answer.headers["helicone-id"]).path == "/" + repair_id(request_id)
    found = client.post(
        "/v1/request/query-ids", content=json.dumps({"requestIds": [request_id]}), headers=JSON
    )
    assert [row["request_id"] for row in found.json()["data"]] == [repair_id(request_id)]


def test_queries_with_unstorable_text_answer(client: httpx.Client) -> None:
    """A filter value holding a lone surrogate or NUL is a filter like any other: it finds
    what was stored for it, and never fails the query."""
    session_id = f"q-{uuid.uuid4()}"
    record = {"id": f"{session_id}-r", "session_id": session_id, "properties": {"k": "v\ud800"}}
    stored = client.post("/v1/records", content=json.dumps({"records": [record]}), headers=JSON)
    assert stored.json()["accepted"] == 1
    for value in ("v\ud800", "v\ufffd"):
        node = {"request_response_rmt": {"properties": {"k": {"equals": value}}}}
        answer = client.post(
            "/v1/request/query", content=json.dumps({"filter": node}), headers=JSON
        )
        assert answer.status_code == 200, answer.text
        assert [row["request_id"] for row in answer.json()["data"]] == [record["id"]]
    node = {"request_response_rmt": {"properties": {"k\x00": {"equals": "\udfff"}}}}
    answer = client.post("/v1/request/query", content=json.dumps({"filter": node}), headers=JSON)
    assert answer.json() == {"data": [], "error": None}
