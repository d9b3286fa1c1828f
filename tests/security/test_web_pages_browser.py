"""The issue's attacks, made by a real browser against a real open collector.

A page on another origin posts ``{mode: "no-cors"}`` to the collector, and a page whose
name resolves to 127.0.0.1 (as after DNS rebinding) reads ``/v1/sessions`` as its own
origin. Headless Chromium stands for every browser: its Local Network Access checks,
which only recent Chromium has (not Firefox or Safari), are turned off, and
``--host-resolver-rules`` plays the rebinding DNS. The pages themselves are served by
Playwright, never by the collector. Skipped without Chromium (failed under CI=true).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from agenttrace.records import Record
from agenttrace.server.store.base import SessionQuery
from agenttrace.server.testing import RunningCollector, running_collector

from .conftest import headless_chromium

pytestmark = pytest.mark.browser

REBOUND = "rebind.evil.example"
ATTACKER = "attacker.example"
PAGE = "<!doctype html><title>a page the user visits</title>"
WITHOUT_LOCAL_NETWORK_ACCESS = (
    "--disable-features=LocalNetworkAccessChecks,BlockInsecurePrivateNetworkRequests,"
    "PrivateNetworkAccessSendPreflights,PrivateNetworkAccessRespectPreflightResults"
)
PLANT = """([url, body]) => fetch(url, {method: "POST", mode: "no-cors", body})
    .then(answer => answer.type, error => String(error))"""
READ = """() => fetch("/v1/sessions").then(answer => answer.text().then(
    text => ({status: answer.status, text})))"""


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Chromium whose DNS sends two foreign names to 127.0.0.1."""
    rules = f"--host-resolver-rules=MAP {REBOUND} 127.0.0.1, MAP {ATTACKER} 127.0.0.1"
    with headless_chromium(WITHOUT_LOCAL_NETWORK_ACCESS, rules) as browser:
        yield browser


@pytest.fixture
def collector() -> Iterator[RunningCollector]:
    """An open collector on 127.0.0.1."""
    with running_collector() as running:
        yield running


def _visit(browser: Any, origin: str) -> Any:
    """A tab showing a page served at ``origin`` (by Playwright, not the collector)."""
    page = browser.new_page()
    page.route(f"{origin}/page", lambda route: route.fulfill(content_type="text/html", body=PAGE))
    page.goto(f"{origin}/page")
    return page


def _sessions(collector: RunningCollector) -> list[str]:
    page = collector.store.query_sessions("default", SessionQuery())
    return [row.session_id for row in page.sessions]


@pytest.mark.parametrize("path", ["/v1/records", "/custom/v1/log"])
def test_a_page_on_another_origin_cannot_plant_a_session(
    chromium: Any, collector: RunningCollector, path: str
) -> None:
    """fetch(collector, {mode: "no-cors", body: JSON text}) from another site stores
    nothing: the browser sends it as text/plain, which the collector refuses."""
    port = collector.url.rsplit(":", 1)[1]
    page = _visit(chromium, f"http://{ATTACKER}:{port}")
    body = '{"records": [{"session_id": "csrf"}]}'
    if path != "/v1/records":
        body = '{"providerRequest": {"json": {}}, "providerResponse": {"json": {}, "status": 200}}'
    try:
        assert page.evaluate(PLANT, [f"{collector.url}{path}", body]) == "opaque"  # it was sent
    finally:
        page.close()
    assert _sessions(collector) == []


def test_a_rebound_page_cannot_read_the_sessions(
    chromium: Any, collector: RunningCollector
) -> None:
    """A page at rebind.evil.example:PORT, now resolving to 127.0.0.1, gets 421 and none of
    the user's sessions from /v1/sessions."""
    mine = Record(id="mine", session_id="private", start_time=datetime.now(UTC))
    collector.store.ingest("default", [mine])
    port = collector.url.rsplit(":", 1)[1]
    page = _visit(chromium, f"http://{REBOUND}:{port}")
    try:
        answer = page.evaluate(READ)
    finally:
        page.close()
    assert answer["status"] == 421
    assert '"private"' not in answer["text"]
    assert "DNS rebinding" in answer["text"]
