"""The live view in headless Chromium: requests posted to a real collector while the page
is open appear on top, with the session filters applied."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from agenttrace.records import Record, RecordKind, Status, Usage

pytestmark = pytest.mark.browser

ROWS = "tbody tr[data-request-id]"


def late_call(dashboard: Any, record_id: str, name: str, **fields: Any) -> Record:
    """One LLM call that starts before the seeded ones but is stored after them."""
    start = dashboard.base - timedelta(minutes=1)
    return Record(
        id=record_id,
        kind=RecordKind.LLM,
        session_id=f"{record_id}-session",
        session_name=name,
        session_path="/agent",
        model="gpt-4o-mini",
        start_time=start,
        end_time=start + timedelta(milliseconds=640),
        usage=Usage(input_tokens=30, output_tokens=12),
        cost_usd=0.0004,
        **fields,
    )


def test_requests_appear_as_they_are_stored(new_page: Any, fresh_dashboard: Any) -> None:
    """The newest stored requests first; later ones are added on top, marked new, in the
    order they were stored (not their start time)."""
    page = new_page()
    page.goto(f"{fresh_dashboard.url}/#/live")
    expect(page.locator(ROWS).first).to_be_visible()
    before = page.locator(ROWS).count()  # the seeded requests (and any a test added)
    fresh_dashboard.post([late_call(fresh_dashboard, "live-1", "watcher")])
    fresh_dashboard.post([late_call(fresh_dashboard, "live-2", "watcher", status=Status.ERROR)])
    expect(page.locator(ROWS)).to_have_count(before + 2, timeout=15_000)
    first = page.locator(ROWS).first
    expect(first).to_have_attribute("data-request-id", "live-2")
    expect(first).to_have_class("row-new row-error")
    expect(first.locator("td.col-latency")).to_have_text("640 ms")
    expect(first.locator("td.col-tokens")).to_have_text("42")
    expect(first.locator("td.col-session a")).to_have_attribute(
        "href", "#/sessions/live-2-session?request=live-2"
    )
    expect(page.locator(".result-summary")).to_have_text(f"{before + 2} requests")


def test_filters_apply_to_the_feed(new_page: Any, fresh_dashboard: Any) -> None:
    """With a name filter only that session's requests come, old and new; the URL keeps
    it."""
    page = new_page(viewport={"width": 390, "height": 844})
    page.goto(f"{fresh_dashboard.url}/#/live?name=planner")
    expect(page.locator(ROWS)).to_have_count(1)
    fresh_dashboard.post(
        [
            late_call(fresh_dashboard, "live-other", "someone else"),
            late_call(fresh_dashboard, "live-planner", "planner"),
        ]
    )
    expect(page.locator(ROWS)).to_have_count(2, timeout=15_000)
    expect(page.locator(ROWS).first).to_have_attribute("data-request-id", "live-planner")
    assert "name=planner" in page.url
    width = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    assert page.evaluate(width) == 0
