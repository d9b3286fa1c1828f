"""Every Helicone-shaped endpoint over HTTP: answers, envelopes and bad input."""

from __future__ import annotations

import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from agenttrace.server.testing import RunningCollector, running_collector

LogBody = Callable[..., dict[str, Any]]
LOG_PATHS = [
    "/custom/v1/log",
    "/oai/v1/log",
    "/anthropic/v1/log",
    "/googleapis/v1/log",
    "/v1/trace/custom/log",
    "/v1/trace/custom/v1/log",
]
QUERY_PATHS = [
    "/v1/session/query",
    "/v1/session/name/query",
    "/v1/request/query",
    "/v1/request/query-clickhouse",
    "/v1/request/count/query",
    "/v1/request/query-ids",
]
SESSION_QUERY = {
    "search": "",
    "timeFilter": {"startTimeUnixMs": 0, "endTimeUnixMs": 4_102_444_800_000},
    "timezoneDifference": 0,
    "filter": "all",
}


@pytest.fixture
def client(helicone_collector: RunningCollector) -> Iterator[httpx.Client]:
    """An httpx client on the module's collector."""
    with helicone_collector.client(timeout=10) as http:
        yield http


def _log(
    client: httpx.Client,
    log_body: LogBody,
    session_id: str,
    path: str = "/custom/v1/log",
    **headers: str,
) -> httpx.Response:
    body = log_body({"_type": "tool", "toolName": "lookup"}, {"answer": 42})
    return client.post(path, json=body, headers={"Helicone-Session-Id": session_id, **headers})


@pytest.mark.parametrize("path", LOG_PATHS)
def test_every_log_path_answers_ok_with_the_request_id(
    client: httpx.Client, log_body: LogBody, path: str
) -> None:
    """200 `ok` and a helicone-id header, then the call is queryable by that id."""
    session_id = f"paths-{uuid.uuid4()}"
    response = _log(client, log_body, session_id, path)
    assert (response.status_code, response.text) == (200, "ok")
    request_id = response.headers["helicone-id"]
    fetched = client.get(f"/v1/request/{request_id}").json()
    assert fetched["error"] is None
    assert fetched["data"]["session_id"] == session_id
    expected_kind = "tool"  # _type wins over the endpoint
    assert fetched["data"]["kind"] == expected_kind


def test_a_resent_log_with_the_same_request_id_is_stored_once(
    client: httpx.Client, log_body: LogBody
) -> None:
    """Helicone-Request-Id is the idempotency key: a retried log is not a second call."""
    session_id = f"retry-{uuid.uuid4()}"
    request_id = str(uuid.uuid4())
    for _ in range(2):
        response = _log(client, log_body, session_id, **{"Helicone-Request-Id": request_id})
        assert response.status_code == 200
        assert response.headers["helicone-id"] == request_id
    [session] = client.post(
        "/v1/session/query", json={**SESSION_QUERY, "search": session_id}
    ).json()["data"]
    assert session["total_requests"] == 1


def test_a_non_ascii_request_id_is_kept_and_its_header_percent_encoded(
    client: httpx.Client, log_body: LogBody
) -> None:
    """A request id from providerRequest.meta may be any text; the header stays valid."""
    body = log_body({"_type": "tool", "toolName": "t"}, {})
    body["providerRequest"]["meta"] = {"Helicone-Request-Id": f"réq-{uuid.uuid4()}\n"}
    response = client.post("/custom/v1/log", json=body)
    assert response.status_code == 200
    request_id = urllib.parse.unquote(response.headers["helicone-id"])
    assert request_id.startswith("réq-")
    fetched = client.get(f"/v1/request/{urllib.parse.quote(request_id, safe='')}")
    assert fetched.json()["data"]["request_id"] == request_id


def test_a_log_with_an_absurd_token_count_is_stored_without_that_count(
    client: httpx.Client, log_body: LogBody
) -> None:
    """A count beyond what a record holds is dropped (the rest of the usage is kept), so
    the log is stored instead of the collector dropping the connection."""
    request_id = f"big-{uuid.uuid4()}"
    body = log_body(
        {"model": "gpt-4o-mini", "messages": []},
        {"model": "gpt-4o-mini", "usage": {"prompt_tokens": 2**35, "completion_tokens": 7}},
    )
    response = client.post(
        "/oai/v1/log",
        json=body,
        headers={"Helicone-Session-Id": "big", "Helicone-Request-Id": request_id},
    )
    assert (response.status_code, response.text) == (200, "ok")
    stored = client.get(f"/v1/request/{request_id}").json()["data"]
    assert (stored["prompt_tokens"], stored["completion_tokens"]) == (None, 7)


def test_get_request_with_and_without_bodies(client: httpx.Client, log_body: LogBody) -> None:
    """GET /v1/request/{id}: bodies only with includeBody=true; unknown ids 404 in the envelope."""
    response = _log(client, log_body, f"get-{uuid.uuid4()}")
    request_id = response.headers["helicone-id"]
    plain = client.get(f"/v1/request/{request_id}").json()["data"]
    assert (plain["request_body"], plain["response_body"]) == (None, None)
    full = client.get(f"/v1/request/{request_id}", params={"includeBody": "true"}).json()["data"]
    assert full["request_body"] == {"_type": "tool", "toolName": "lookup"}
    assert full["response_body"]["answer"] == 42
    missing = client.get("/v1/request/no-such-request")
    assert missing.status_code == 404
    assert missing.json() == {
        "data": None,
        "error": "there is no request 'no-such-request' in this project",
    }


def test_query_ids_and_the_clickhouse_alias(client: httpx.Client, log_body: LogBody) -> None:
    """query-ids returns the known ids; query-clickhouse answers as query does."""
    session_id = f"ids-{uuid.uuid4()}"
    ids = [_log(client, log_body, session_id).headers["helicone-id"] for _ in range(3)]
    found = client.post("/v1/request/query-ids", json={"requestIds": [ids[0], ids[2], "nope"]})
    assert sorted(row["request_id"] for row in found.json()["data"]) == sorted([ids[0], ids[2]])
    assert client.post("/v1/request/query-ids", json={"requestIds": []}).json() == {
        "data": [],
        "error": None,
    }
    node = {"request_response_rmt": {"properties": {"Helicone-Session-Id": {"equals": session_id}}}}
    one = client.post("/v1/request/query", json={"filter": node}).json()["data"]
    other = client.post("/v1/request/query-clickhouse", json={"filter": node}).json()["data"]
    assert [row["request_id"] for row in one] == [row["request_id"] for row in other]
    assert len(one) == 3


def test_cached_experiment_and_scored_queries_are_empty(
    client: httpx.Client, log_body: LogBody
) -> None:
    """agenttrace keeps no cache hits, experiments or scores: those queries find nothing."""
    _log(client, log_body, f"flags-{uuid.uuid4()}")
    for flag in ("isCached", "isPartOfExperiment", "isScored"):
        answer = client.post("/v1/request/query", json={"filter": "all", flag: True}).json()
        assert answer == {"data": [], "error": None}
        counted = client.post("/v1/request/count/query", json={"filter": "all", flag: True})
        assert counted.json() == {"data": 0, "error": None}


def test_session_names_are_grouped(client: httpx.Client, log_body: LogBody) -> None:
    """POST /v1/session/name/query: one row per name with its session count."""
    name = f"Name {uuid.uuid4()}"
    for _ in range(2):
        _log(client, log_body, f"n-{uuid.uuid4()}", **{"Helicone-Session-Name": name})
    answer = client.post(
        "/v1/session/name/query", json={"nameContains": name, "timezoneDifference": 0}
    ).json()
    assert answer["error"] is None
    [row] = answer["data"]
    assert (row["name"], row["session_count"]) == (name, 2)
    assert set(row) >= {"name", "created_at", "last_used", "first_used", "avg_latency"}


def _envelope_error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    answer = response.json()
    assert answer["data"] is None
    message = answer["error"]
    assert isinstance(message, str)
    return message


@pytest.mark.parametrize("path", LOG_PATHS + QUERY_PATHS)
def test_malformed_json_is_a_400_in_the_envelope(client: httpx.Client, path: str) -> None:
    """A body that is not JSON gets a 400 saying so, on every Helicone endpoint."""
    response = client.post(path, content=b"{not json", headers={"content-type": "application/json"})
    assert "the body is not valid JSON" in _envelope_error(response, 400)


@pytest.mark.parametrize("path", LOG_PATHS + QUERY_PATHS)
def test_a_json_list_is_refused(client: httpx.Client, path: str) -> None:
    """A JSON array where an object is expected is refused with what to send."""
    message = _envelope_error(client.post(path, json=[1, 2]), 400)
    assert "must be" in message


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/custom/v1/log", {"providerResponse": {"status": 200}}, "providerRequest is missing"),
        ("/oai/v1/log", {"providerRequest": {"json": {}}}, "providerResponse is missing"),
        (
            "/anthropic/v1/log",
            {"providerRequest": {"json": {}}, "providerResponse": {"status": "ok"}},
            "providerResponse.status must be a whole number",
        ),
        (
            "/v1/trace/custom/log",
            {"providerRequest": {"json": {}, "meta": []}, "providerResponse": {"status": 200}},
            "providerRequest.meta must be an object",
        ),
        ("/v1/session/query", {"filter": "all"}, "the body lacks search, timeFilter"),
        ("/v1/session/query", {**SESSION_QUERY, "limit": "ten"}, "limit must be a number"),
        ("/v1/session/query", {**SESSION_QUERY, "timezoneDifference": 5000}, "timezoneDifference"),
        (
            "/v1/session/query",
            {**SESSION_QUERY, "filter": {"request_response_rmt": {"country_code": {"like": "F"}}}},
            "filter.request_response_rmt.country_code: the column 'country_code' is not supported",
        ),
        (
            "/v1/session/query",
            {**SESSION_QUERY, "filter": {"left": "all", "operator": "nand", "right": "all"}},
            'filter.operator must be "and" or "or"',
        ),
        ("/v1/session/name/query", {"nameContains": 1, "timezoneDifference": 0}, "nameContains"),
        ("/v1/request/query", {}, "the body lacks filter"),
        ("/v1/request/query", {"filter": "all", "limit": 0}, "limit must be a whole number from 1"),
        ("/v1/request/query", {"filter": "all", "sort": {"random": True}}, "sorting by random"),
        (
            "/v1/request/query",
            {"filter": {"request_response_rmt": {"model": {"not-contains": "gpt"}}}},
            "the operator 'not-contains' is not supported",
        ),
        (
            "/v1/request/query-clickhouse",
            {"filter": {"request_response_rmt": {"cost": {"gte": "1"}}}},
            "cost.gte must be a number",
        ),
        ("/v1/request/count/query", {"filter": {"scores": {}}}, "the table 'scores'"),
        ("/v1/request/query-ids", {"ids": []}, "unknown field ids"),
    ],
)  # fmt: skip
def test_bad_bodies_get_a_sentence_naming_the_problem(
    client: httpx.Client, path: str, body: object, message: str
) -> None:
    """Missing fields, wrong types and bad filter trees: 400 with the part named."""
    assert message in _envelope_error(client.post(path, json=body), 400)


def test_a_log_over_the_size_limit_is_a_413(tmp_path: Path, log_body: LogBody) -> None:
    """The collector's body limit applies to Helicone logs too, in Helicone's envelope."""
    big = log_body({"_type": "tool", "toolName": "t", "input": "x" * 5000}, {})
    fits = log_body({"_type": "tool", "toolName": "t"}, {})
    with (
        running_collector(data_dir=tmp_path, max_body_bytes=2000) as small,
        small.client(timeout=10) as http,
    ):
        message = _envelope_error(http.post("/googleapis/v1/log", json=big), 413)
        assert "larger than the collector's limit of 2000 bytes" in message
        assert http.post("/googleapis/v1/log", json=fits).status_code == 200
