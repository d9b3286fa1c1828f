"""The native query endpoints over real HTTP: parameters, 404s, bad input, OpenAPI."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from agenttrace.server import _errors as errors_module
from agenttrace.server.store import SessionRow
from agenttrace.server.store.migrations import MIGRATIONS
from agenttrace.server.testing import running_collector


@pytest.fixture(scope="module")
def client(
    tmp_path_factory: pytest.TempPathFactory, hand_built: Any, make_record: Any
) -> Iterator[httpx.Client]:
    """A client for a collector holding the hand-built session and two small ones (shared by
    this module's tests, which only read)."""
    others = [
        make_record("x1", "team/a/run-1", start_ms=60_000, end_ms=60_010, session_name="nightly",
                    user_id="u9", properties={"env": "dev", "tier": "gold"}, cost_usd=2.0),
        make_record("y1", "s-cheap", start_ms=120_000, end_ms=120_500, session_name="Nightly v2",
                    properties={"env": "prod"}, cost_usd=0.001, model="gpt-4o"),
    ]  # fmt: skip
    with (
        running_collector(data_dir=tmp_path_factory.mktemp("queries")) as collector,
        collector.client(timeout=30) as http,
    ):
        assert http.post("/v1/records", json={"records": hand_built.records + others}).is_success
        yield http


def _session_ids(client: httpx.Client, query: str) -> list[str]:
    answer = client.get(f"/v1/sessions?{query}")
    assert answer.status_code == 200, answer.text
    return [s["session_id"] for s in answer.json()["sessions"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["s-cheap", "team/a/run-1", "s-hand"]),
        ("name=nightly", ["team/a/run-1"]),
        ("search=NIGHTLY", ["s-cheap", "team/a/run-1"]),
        ("search=team%2Fa", ["team/a/run-1"]),
        ("user_id=u2", ["s-hand"]),
        ("status=error", ["s-hand"]),
        ("status=ok&order=asc", ["team/a/run-1", "s-cheap"]),
        ("since=2025-03-01T10:01:00Z", ["s-cheap", "team/a/run-1"]),
        ("until=2025-03-01T10:01:00", ["team/a/run-1", "s-hand"]),  # naive = UTC; inclusive
        ("since=2025-03-01T10:00:30%2B00:00&until=2025-03-01T10:01:30Z", ["team/a/run-1"]),
        ("property=env=prod", ["s-cheap", "s-hand"]),
        ("property=env=dev&property=tier=gold", ["team/a/run-1"]),
        ("property=env=dev&property=tier=silver", []),
        ("min_cost=0.01", ["team/a/run-1", "s-hand"]),
        ("max_cost=0.01", ["s-cheap"]),
        ("sort=cost_usd&order=asc", ["s-cheap", "s-hand", "team/a/run-1"]),
        ("sort=request_count&limit=1", ["s-hand"]),
        ("sort=p95_latency_ms&order=asc&offset=1", ["s-cheap", "s-hand"]),  # 10, 500, 2700 ms
        ("limit=1&offset=1", ["team/a/run-1"]),
        ("until=1d", ["s-cheap", "team/a/run-1", "s-hand"]),  # an age: a day ago
        ("since=1.5h", []),
        ("until=2025-03-01", []),  # a date: its midnight, UTC
    ],
)
def test_session_list_parameters(client: httpx.Client, query: str, expected: list[str]) -> None:
    """Each documented query parameter of GET /v1/sessions filters, sorts or pages."""
    assert _session_ids(client, query) == expected


def test_session_list_envelope(client: httpx.Client) -> None:
    """The list answer carries total, limit and offset beside the page."""
    body = client.get("/v1/sessions?limit=2&offset=1").json()
    assert (body["total"], body["limit"], body["offset"]) == (3, 2, 1)
    assert set(body["sessions"][0]) == set(SessionRow.model_fields)


def test_session_ids_with_slashes_work(client: httpx.Client) -> None:
    """A session id containing slashes can be fetched by its path."""
    detail = client.get("/v1/sessions/team/a/run-1").json()
    assert detail["session"]["session_id"] == "team/a/run-1"
    assert detail["session"]["properties"] == {"env": "dev", "tier": "gold"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("session_id=s-hand&order=asc", ["r1", "r2", "r3", "r4", "r5"]),
        ("path=/planner/tools/search&order=asc", ["r2", "r3"]),
        ("kind=tool&order=asc", ["r2", "r3"]),
        ("status=cancelled", ["r5"]),
        ("model=gpt-4o", ["y1", "r1"]),
        ("user_id=u9", ["x1"]),
        ("property=env=prod&order=asc", ["r1", "r2", "y1"]),
        ("since=2025-03-01T10:00:05Z&until=2025-03-01T10:01:00Z", ["x1", "r5"]),
        ("limit=2&offset=1", ["x1", "r5"]),
    ],
)
def test_request_list_parameters(client: httpx.Client, query: str, expected: list[str]) -> None:
    """Each documented query parameter of GET /v1/requests filters, orders or pages."""
    answer = client.get(f"/v1/requests?{query}")
    assert answer.status_code == 200, answer.text
    assert [r["id"] for r in answer.json()["requests"]] == expected


def test_bodies_appear_only_when_asked(client: httpx.Client) -> None:
    """include_bodies adds request_body/response_body; one request always has them."""
    plain = client.get("/v1/requests?session_id=s-hand&order=asc").json()["requests"][0]
    full = client.get("/v1/requests?session_id=s-hand&order=asc&include_bodies=true").json()
    one = client.get("/v1/requests/r1").json()
    assert "request_body" not in plain
    assert full["requests"][0]["request_body"] == {
        "messages": [{"role": "user", "content": "plan"}]
    }
    assert one["response_body"] == {"content": "ok"}
    assert client.get("/v1/requests/r2").json()["request_body"] is None


def test_native_rows_speak_the_records_words(client: httpx.Client) -> None:
    """Native rows name what a Record names (issue 13): no Helicone names, and properties
    are the record's custom ones, without Helicone-Session-* keys."""
    helicone_words = {
        "request_id", "request_created_at", "response_created_at", "request_properties",
        "request_user_id", "delay_ms", "time_to_first_token", "prompt_tokens",
        "completion_tokens", "response_status", "total_cost", "total_requests",
        "avg_latency", "created_at", "latest_request_created_at", "cost",
    }  # fmt: skip
    request = client.get("/v1/requests/x1").json()
    listed = client.get("/v1/requests?session_id=team/a/run-1").json()["requests"][0]
    session = client.get("/v1/sessions?name=nightly").json()["sessions"][0]
    detail = client.get("/v1/sessions/team/a/run-1").json()
    for row in (request, listed, session, detail["session"], *detail["paths"], detail["tree"]):
        assert not helicone_words & set(row), row
    assert request["properties"] == listed["properties"] == {"env": "dev", "tier": "gold"}
    assert (request["id"], request["user_id"], request["cost_usd"]) == ("x1", "u9", 2.0)
    assert (request["status"], request["latency_ms"]) == ("ok", 10.0)
    assert request["start_time"] == session["start_time"] == "2025-03-01T10:01:00Z"
    assert (session["request_count"], session["cost_usd"]) == (1, 2.0)


def test_native_error_module_names_no_helicone_path() -> None:
    """The native error handling knows no Helicone path: Helicone registers its envelope."""
    source = Path(errors_module.__file__).read_text(encoding="utf-8")
    assert "helicone" not in source.lower()
    assert "/v1/session/" not in source


def test_paths_endpoint(client: httpx.Client) -> None:
    """GET /v1/paths aggregates per path across sessions; session_name narrows it."""
    everything = {p["path"]: p for p in client.get("/v1/paths").json()["paths"]}
    assert set(everything) == {"/", "/planner", "/planner/tools/search", "/writer"}
    assert everything["/"]["session_count"] == 2
    named = client.get("/v1/paths?session_name=nightly").json()["paths"]
    assert [(p["path"], p["request_count"], p["cost_usd"]) for p in named] == [("/", 1, 2.0)]
    late = client.get("/v1/paths?since=2025-03-01T10:00:05Z&until=2025-03-01T10:00:06Z")
    assert [p["path"] for p in late.json()["paths"]] == ["/writer"]


@pytest.mark.parametrize(
    ("url", "fragments"),
    [
        ("/v1/sessions/nope", ["no session 'nope'", "GET /v1/sessions"]),
        ("/v1/requests/nope", ["no request 'nope'", "GET /v1/requests"]),
        ("/v1/nothing-here", ["no endpoint /v1/nothing-here", "/openapi.json"]),
    ],
)
def test_unknown_ids_and_routes_are_404(
    client: httpx.Client, url: str, fragments: list[str]
) -> None:
    """Unknown ids and routes answer 404 with a sentence saying what to do."""
    answer = client.get(url)
    assert answer.status_code == 404
    for fragment in fragments:
        assert fragment in answer.json()["error"]


def test_wrong_method_is_405(client: httpx.Client) -> None:
    """A method an endpoint does not take answers 405 with a sentence."""
    answer = client.delete("/v1/sessions")
    assert answer.status_code == 405
    assert "DELETE is not allowed on /v1/sessions" in answer.json()["error"]


@pytest.mark.parametrize(
    ("url", "fragments"),
    [
        ("/v1/sessions?limit=0", ["'limit'", "from 1 to 1000"]),
        ("/v1/sessions?limit=ten", ["'limit'", "from 1 to 1000"]),
        ("/v1/sessions?limit=5000", ["'limit'", "from 1 to 1000"]),
        ("/v1/sessions?offset=-1", ["'offset'", "at least 0"]),
        ("/v1/sessions?since=last-tuesday", ["'since'", "ISO-8601"]),
        ("/v1/sessions?until=2025-13-45", ["'until'", "ISO-8601"]),
        ("/v1/sessions?status=failed", ["'status'", "'error' or 'waiting'"]),
        ("/v1/sessions?sort=colour", ["'sort'", "'session_id'", "'p95_latency_ms'"]),
        ("/v1/sessions?order=up", ["'order'", "'asc' or 'desc'"]),
        ("/v1/sessions?min_cost=cheap", ["'min_cost'", "number of USD"]),
        ("/v1/sessions?max_cost=-1", ["'max_cost'", "number of USD"]),
        ("/v1/sessions?property=env", ["'property'", "key=value"]),
        ("/v1/sessions?property==prod", ["'property'", "key=value"]),
        ("/v1/sessions/s-hand?include_bodies=maybe", ["'include_bodies'", "true or false"]),
        ("/v1/requests?kind=robot", ["'kind'", "'llm'", "'tool'"]),
        ("/v1/requests?status=broken", ["'status'", "'interrupted'"]),
        ("/v1/requests?limit=-3", ["'limit'", "from 1 to 1000"]),
        ("/v1/requests?since=soon", ["'since'", "ISO-8601"]),
        ("/v1/requests?property=k", ["'property'", "key=value"]),
        ("/v1/requests?order=sideways", ["'order'"]),
        ("/v1/requests?include_bodies=2", ["'include_bodies'", "true or false"]),
        ("/v1/paths?since=whenever", ["'since'", "ISO-8601"]),
        ("/v1/paths?until=never", ["'until'", "ISO-8601"]),
        ("/v1/sessions?until=0.5", ["'until'", "'0.5' is not a time", "age such as 24h"]),
        ("/v1/requests?since=1714567890", ["'since'", "is not a time"]),
        ("/v1/paths?since=100000w", ["'since'", "is not a time"]),
    ],
)
def test_bad_query_parameters(client: httpx.Client, url: str, fragments: list[str]) -> None:
    """A bad query parameter is a 400 naming the parameter and the accepted form."""
    answer = client.get(url)
    assert answer.status_code == 400, answer.text
    message = answer.json()["error"]
    for fragment in fragments:
        assert fragment in message


def test_health(client: httpx.Client) -> None:
    """/healthz says ok, the backend and the schema version."""
    assert client.get("/healthz").json() == {
        "status": "ok",
        "store": "sqlite",
        "schema_version": MIGRATIONS[-1].version,
    }


def test_openapi_describes_the_api(client: httpx.Client) -> None:
    """/openapi.json lists every native endpoint and the record and row schemas."""
    spec = client.get("/openapi.json").json()
    for path in ("/v1/records", "/v1/sessions", "/v1/sessions/{session_id}", "/v1/requests",
                 "/v1/requests/{request_id}", "/v1/paths", "/healthz"):  # fmt: skip
        assert path in spec["paths"], path
    schemas = spec["components"]["schemas"]
    body = spec["paths"]["/v1/records"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/RecordBatch"}
    items = schemas["RecordBatch"]["properties"]["records"]["items"]  # others are rejected
    assert items["anyOf"] == [{"$ref": "#/components/schemas/Record"}, {}]
    assert "session_id" in schemas["Record"]["required"]
    assert set(schemas["SessionRow"]["properties"]) == set(SessionRow.model_fields)
    sort = spec["paths"]["/v1/sessions"]["get"]["parameters"]
    assert {p["name"] for p in sort} >= {"name", "search", "property", "sort", "limit", "offset"}


def test_helicone_paths_use_the_helicone_envelope(client: httpx.Client) -> None:
    """Errors under Helicone-shaped paths come in {"data": null, "error": ...}."""
    answer = client.get("/v1/session/query")
    assert answer.status_code in {404, 405}
    body = answer.json()
    assert body["data"] is None
    assert body["error"]
