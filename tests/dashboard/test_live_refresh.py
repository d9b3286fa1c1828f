"""Live refresh: sessions posted after the page loaded appear without a reload."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from agenttrace.records import Record, RecordKind, Usage

pytestmark = pytest.mark.browser

ROWS = "tbody tr[data-session-id]"


def late_session(dashboard: Any, session_id: str, env: str) -> Record:
    """One LLM call in a new session, started after every seeded one."""
    start = dashboard.base + timedelta(minutes=2)
    return Record(
        id=f"{session_id}-r1",
        kind=RecordKind.LLM,
        session_id=session_id,
        session_name="late arrival",
        session_path="/agent",
        model="gpt-4o-mini",
        properties={"env": env},
        start_time=start,
        end_time=start + timedelta(seconds=1),
        usage=Usage(input_tokens=7, output_tokens=3),
        cost_usd=0.0002,
    )


def test_new_session_appears_keeping_filters_and_scroll(
    new_page: Any, fresh_dashboard: Any
) -> None:
    """A matching session posted later shows up on top; filters, URL and scroll stay put."""
    page = new_page(viewport={"width": 1366, "height": 320})
    page.goto(f"{fresh_dashboard.url}/#/sessions?property=env%3Dprod")
    expect(page.locator(ROWS)).to_have_count(1)
    url_before = page.url
    page.evaluate("window.scrollTo(0, 80)")
    assert page.evaluate("window.scrollY") == 80

    fresh_dashboard.post(
        [
            late_session(fresh_dashboard, "late-prod", "prod"),
            late_session(fresh_dashboard, "late-dev", "dev"),
        ]
    )

    expect(page.locator(ROWS)).to_have_count(2, timeout=15_000)
    expect(page.locator(ROWS).first).to_have_attribute("data-session-id", "late-prod")
    expect(page.locator('tr[data-session-id="late-prod"] td.col-total_tokens')).to_have_text("10")
    expect(page.locator(".chip")).to_have_text(["env = prod✕"])
    assert page.url == url_before
    assert page.evaluate("window.scrollY") == 80
    expect(page.locator(".live")).to_contain_text("Live · updated")


def test_pause_stops_refreshing_until_resumed(new_page: Any, fresh_dashboard: Any) -> None:
    """While paused the list stays as it was; resuming fetches what arrived meanwhile."""
    page = new_page()
    page.goto(f"{fresh_dashboard.url}/#/sessions?name=paused%20test")
    expect(page.get_by_text("No session matches these filters.")).to_be_visible()
    page.get_by_role("button", name="Pause").click()
    expect(page.locator(".live")).to_contain_text("Paused")
    record = late_session(fresh_dashboard, "paused-1", "prod").model_copy(
        update={"session_name": "paused test"}
    )
    fresh_dashboard.post([record])
    with page.expect_response(lambda r: "/v1/sessions?" in r.url, timeout=15_000):
        page.get_by_role("button", name="Resume").click()
    expect(page.locator(ROWS)).to_have_count(1)


def test_the_list_reloads_only_when_the_feed_has_news(new_page: Any, dashboard: Any) -> None:
    """Each poll asks the feed first; while no request is stored, polls go on without
    asking for the sessions again."""
    asked: list[str] = []

    def note(request: Any) -> None:
        asked.extend(p.strip("/?") for p in ("/v1/feed", "/v1/sessions?") if p in request.url)

    page = new_page()
    page.on("request", note)
    page.goto(f"{dashboard.url}/#/sessions")
    expect(page.locator(ROWS)).to_have_count(4)
    for _ in range(100):  # the first look at the feed reloads; two quiet polls follow
        if "v1/feed,v1/feed" in ",".join(asked):
            break
        page.wait_for_timeout(200)
    assert "v1/feed,v1/feed" in ",".join(asked), asked
    expect(page.locator(".live")).to_contain_text("Live · updated")
