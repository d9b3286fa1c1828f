"""Web pages the user visits cannot write to or read a collector that runs without keys.

* A "simple" cross-site POST (``text/plain``, a form, no type) needs no CORS preflight, so
  every body must be declared as JSON: anything else gets 415 and stores nothing.
* A page that rebinds its DNS name to 127.0.0.1 sends that name in ``Host``: 421 while the
  collector is open, unless the name was allowed (``allowed_hosts``).

All against a real collector on 127.0.0.1, as the issue's ``curl`` commands did.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest

from agenttrace.server.store.base import SessionQuery
from agenttrace.server.testing import RunningCollector, running_collector

from .conftest import bearer, keys_of

PLANTED = b'{"records":[{"session_id":"csrf"}]}'
"""The body of the issue's reproduction."""

HELICONE_LOG = json.dumps(
    {
        "providerRequest": {"url": "custom-model-nopath", "json": {"q": "planted"}, "meta": {}},
        "providerResponse": {"json": {"a": 1}, "status": 200, "headers": {}},
        "timing": {
            "startTime": {"seconds": 1_700_000_000, "milliseconds": 0},
            "endTime": {"seconds": 1_700_000_001, "milliseconds": 0},
        },
    }
).encode()
SESSION_QUERY = {
    "search": "",
    "timeFilter": {"startTimeUnixMs": 0, "endTimeUnixMs": 4_000_000_000_000},
    "timezoneDifference": 0,
    "filter": "all",
}
INGEST_PATHS = ["/v1/records", "/custom/v1/log", "/oai/v1/log", "/v1/trace/custom/log"]
QUERY_BODIES: dict[str, dict[str, Any]] = {
    "/v1/session/query": SESSION_QUERY,
    "/v1/session/name/query": {"nameContains": "", "timezoneDifference": 0},
    "/v1/request/query": {"filter": "all"},
    "/v1/request/query-clickhouse": {"filter": "all"},
    "/v1/request/count/query": {"filter": "all"},
    "/v1/request/query-ids": {"requestIds": ["x"]},
}
SIMPLE_TYPES = [
    "text/plain",
    "text/plain;charset=UTF-8",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    None,
]
"""What a cross-site page can send without a preflight (None: a Blob body, no type)."""
REBOUND = "rebind.evil.example"


def _body_for(path: str) -> bytes:
    return PLANTED if path == "/v1/records" else HELICONE_LOG


def _post(url: str, path: str, body: bytes, content_type: str | None, **headers: str) -> Any:
    if content_type is not None:
        headers["Content-Type"] = content_type
    return httpx.post(f"{url}{path}", content=body, headers=headers, timeout=30)


def _stored(collector: RunningCollector) -> int:
    return collector.store.query_sessions("default", SessionQuery()).total


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCollector]:
    """One open collector for the tests that store nothing."""
    with running_collector(data_dir=tmp_path_factory.mktemp("web-pages")) as running:
        yield running


@pytest.mark.parametrize("content_type", SIMPLE_TYPES)
@pytest.mark.parametrize("path", INGEST_PATHS)
def test_a_simple_cross_site_post_is_refused_and_stores_nothing(
    shared: RunningCollector, path: str, content_type: str | None
) -> None:
    """The issue's curl (text/plain to /v1/records and /custom/v1/log) and its kin: 415
    with a sentence naming application/json, and no session planted."""
    answer = _post(shared.url, path, _body_for(path), content_type)
    assert answer.status_code == 415, answer.text
    error = answer.json()["error"]
    assert "Content-Type: application/json" in error
    assert (repr(content_type) if content_type else "no Content-Type") in error
    assert _stored(shared) == 0


@pytest.mark.parametrize("path", sorted(QUERY_BODIES))
def test_helicone_queries_refuse_a_body_not_declared_as_json(
    shared: RunningCollector, path: str
) -> None:
    """Every JSON POST endpoint, queries included, answers 415 in Helicone's envelope."""
    answer = _post(shared.url, path, json.dumps(QUERY_BODIES[path]).encode(), "text/plain")
    assert answer.status_code == 415, answer.text
    assert answer.json()["data"] is None
    assert "application/json" in answer.json()["error"]
    declared = _post(shared.url, path, json.dumps(QUERY_BODIES[path]).encode(), "application/json")
    assert declared.status_code == 200, declared.text


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/x+json",
    ],
)
def test_json_content_types_are_accepted_plain_and_gzipped(
    collector: RunningCollector, content_type: str
) -> None:
    """application/json (any case, with charset) and +json types are stored, also gzipped."""
    plain = _post(collector.url, "/v1/records", PLANTED, content_type)
    assert plain.json()["accepted"] == 1, plain.text
    body = b'{"records":[{"session_id":"gzipped"}]}'
    zipped = _post(
        collector.url,
        "/v1/records",
        gzip.compress(body),
        content_type,
        **{"Content-Encoding": "gzip"},
    )
    assert zipped.json()["accepted"] == 1, zipped.text
    logged = _post(collector.url, "/custom/v1/log", HELICONE_LOG, content_type)
    assert (logged.status_code, logged.text) == (200, "ok")


def test_a_rebound_host_name_reads_and_writes_nothing(shared: RunningCollector) -> None:
    """The issue's ``curl -H 'Host: rebind.evil.example' .../v1/sessions``: 421 with a
    sentence naming --allowed-host, for queries, JSON ingest and the dashboard alike."""
    host = {"Host": REBOUND}
    with httpx.Client(base_url=shared.url, headers=host, timeout=30) as rebound:
        answer = rebound.get("/v1/sessions")
        assert answer.status_code == 421, answer.text
        error = answer.json()["error"]
        assert f"host name {REBOUND!r}" in error
        assert "DNS rebinding" in error
        assert f"--allowed-host {REBOUND}" in error
        posted = rebound.post("/v1/records", json={"records": [{"session_id": "rebound"}]})
        assert posted.status_code == 421
        helicone = rebound.post("/v1/session/query", json=SESSION_QUERY)
        assert helicone.status_code == 421
        assert helicone.json()["data"] is None
        assert rebound.get("/").status_code == 421
        assert rebound.get("/openapi.json").status_code == 421
    assert _stored(shared) == 0


@pytest.mark.parametrize(
    "host",
    ["localhost:{port}", "127.0.0.1:{port}", "[::1]:{port}", "LOCALHOST", "localhost.:{port}",
     "[::1]", "192.168.1.20:{port}", "traces.example.com", "Traces.Example.COM:443"],
)  # fmt: skip
def test_local_names_ip_addresses_and_allowed_hosts_are_answered(tmp_path: Path, host: str) -> None:
    """localhost, IP addresses and an allowed_hosts name, with or without port, get 200."""
    with running_collector(data_dir=tmp_path, allowed_hosts=["traces.example.com"]) as running:
        port = running.url.rsplit(":", 1)[1]
        answer = httpx.get(
            f"{running.url}/v1/sessions", headers={"Host": host.format(port=port)}, timeout=30
        )
        assert answer.status_code == 200, answer.text
        refused = httpx.get(f"{running.url}/v1/sessions", headers={"Host": REBOUND}, timeout=30)
        assert refused.status_code == 421
        assert "(it answers localhost, IP addresses, traces.example.com)" in refused.json()["error"]


def test_the_host_the_collector_was_started_on_is_answered(tmp_path: Path) -> None:
    """``host`` (``--host``) names the collector too; ``*`` in allowed_hosts answers all."""
    with running_collector(data_dir=tmp_path, host="box.internal") as running:
        named = httpx.get(f"{running.url}/healthz", headers={"Host": "box.internal:8787"})
        assert named.status_code == 200
        assert httpx.get(f"{running.url}/healthz", headers={"Host": REBOUND}).status_code == 421
    with running_collector(data_dir=tmp_path, allowed_hosts=["*"]) as running:
        assert httpx.get(f"{running.url}/healthz", headers={"Host": REBOUND}).status_code == 200


def test_with_keys_any_host_is_answered_unless_hosts_are_named(tmp_path: Path) -> None:
    """Once a key exists a reverse proxy may send any Host (a key is needed anyway); with
    allowed_hosts the check stays on, key or not."""
    with running_collector(data_dir=tmp_path / "a", rate_limit=None) as running:
        assert httpx.get(f"{running.url}/v1/sessions", headers={"Host": REBOUND}).status_code == 421
        key = keys_of(running).create_key("team").secret
        proxied = {"Host": "traces.example.com", **bearer(key)}
        assert httpx.get(f"{running.url}/v1/sessions", headers=proxied).status_code == 200
        keyless = httpx.get(f"{running.url}/v1/sessions", headers={"Host": REBOUND})
        assert keyless.status_code == 401
    with running_collector(
        data_dir=tmp_path / "b", rate_limit=None, allowed_hosts=["traces.example.com"]
    ) as running:
        key = keys_of(running).create_key("team").secret
        named = {"Host": "traces.example.com", **bearer(key)}
        assert httpx.get(f"{running.url}/v1/sessions", headers=named).status_code == 200
        other = httpx.get(f"{running.url}/v1/sessions", headers={"Host": REBOUND, **bearer(key)})
        assert other.status_code == 421
        assert "create an API key" not in other.json()["error"]


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("GET", "/v1/sessions", {}),
        ("GET", "/healthz", {}),
        ("GET", "/openapi.json", {}),
        ("GET", "/v1/sessions/nope", {}),
        ("GET", "/nowhere", {}),
        ("POST", "/v1/records", {"Content-Type": "text/plain"}),
        ("GET", "/v1/sessions", {"Host": REBOUND}),
        ("GET", "/", {}),
        ("GET", "/dashboard/js/main.js", {}),
        ("GET", "/docs", {}),
    ],
)
def test_every_answer_says_nosniff(
    shared: RunningCollector, method: str, path: str, headers: dict[str, str]
) -> None:
    """X-Content-Type-Options: nosniff on answers, errors and pages alike."""
    answer = httpx.request(method, f"{shared.url}{path}", headers=headers, content=b"{}")
    assert answer.headers.get_list("x-content-type-options") == ["nosniff"], answer.status_code


class _Page(HTMLParser):
    """The tags of a page and every URL it references."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.urls.extend(value or "" for name, value in attrs if name in {"src", "href", "action"})


def test_docs_load_nothing_from_another_origin_under_the_dashboard_policy(
    shared: RunningCollector,
) -> None:
    """/docs is a page of the collector's own, without scripts or external URLs, under the
    dashboard's CSP, listing every endpoint of openapi.json; /redoc leads there."""
    with httpx.Client(base_url=shared.url, timeout=30) as client:
        docs = client.get("/docs")
        assert docs.status_code == 200
        assert docs.headers["content-type"] == "text/html; charset=utf-8"
        assert (
            docs.headers["content-security-policy"]
            == (client.get("/").headers["content-security-policy"])
        )
        page = _Page()
        page.feed(docs.text)
        assert "script" not in page.tags
        assert "link" not in page.tags
        assert page.urls == ["openapi.json"]
        assert "cdn" not in docs.text.lower()
        for path in client.get("/openapi.json").json()["paths"]:
            assert f" {path}</code>" in docs.text, path
        redoc = client.get("/redoc")
        assert (redoc.status_code, redoc.headers["location"]) == (308, "docs")
        assert client.get("/docs/oauth2-redirect").status_code == 404
