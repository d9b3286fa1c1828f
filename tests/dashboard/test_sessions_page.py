"""The sessions list in headless Chromium: figures, filters in the URL, server-side sorting."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

ROWS = "tbody tr[data-session-id]"
SUMMARY = "{}\u2013{} of {} sessions"  # an en dash, as the page writes ranges
PREVIOUS = "\u2039 Previous"
NEXT = "Next \u203a"


def row_ids(page: Any) -> list[str]:
    """The session ids of the table's rows, top to bottom."""
    return [
        str(i)
        for i in page.locator(ROWS).evaluate_all("rows => rows.map(r => r.dataset.sessionId)")
    ]


def cell(page: Any, session_id: str, column: str) -> Any:
    """The cell of one session's row in one column (by SessionRow field name)."""
    return page.locator(f'tr[data-session-id="{session_id}"] td.col-{column}')


def test_list_shows_each_session_with_its_figures(page: Any, dashboard: Any) -> None:
    """The supervisor row shows its cost, tokens, request count, duration, errors and status."""
    page.goto(f"{dashboard.url}/")
    expect(page.locator(ROWS)).to_have_count(4)
    expected = {
        "session_name": "supervisor",
        "session_id": "sup-1",
        "duration_ms": "6.70 s",
        "request_count": "7",
        "input_tokens": "5,720",
        "output_tokens": "840",
        "total_tokens": "6,560",
        "cost_usd": "$0.0018",
        "error_count": "1",
    }
    for column, text in expected.items():
        expect(cell(page, "sup-1", column)).to_have_text(text)
    expect(cell(page, "sup-1", "status")).to_have_text("✕error")
    expect(cell(page, "tiny-1", "status")).to_have_text("✓ok")
    expect(cell(page, "tiny-1", "cost_usd")).to_have_text("$0.0001")
    expect(cell(page, "plan-1", "cost_usd")).to_have_text("$0.0500")
    # newest first by default
    assert row_ids(page) == ["xss-1", "tiny-1", "plan-1", "sup-1"]
    expect(page.locator(".result-summary")).to_have_text(SUMMARY.format(1, 4, 4))


def test_property_filter_narrows_the_list_and_lives_in_the_url(page: Any, dashboard: Any) -> None:
    """Adding env = dev keeps the two dev sessions; the link reproduces it; removing restores."""
    page.goto(f"{dashboard.url}/")
    expect(page.locator(ROWS)).to_have_count(4)
    page.fill("#filter-property-key", "env")
    page.fill("#filter-property-value", "dev")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator(ROWS)).to_have_count(2)
    assert sorted(row_ids(page)) == ["plan-1", "tiny-1"]
    assert "property=env%3Ddev" in page.url

    shared = page.url
    page.goto("about:blank")
    page.goto(shared)
    expect(page.locator(ROWS)).to_have_count(2)
    expect(page.locator(".chip")).to_have_text(["env = dev✕"])

    page.get_by_role("button", name="Remove filter env = dev").click()
    expect(page.locator(ROWS)).to_have_count(4)
    assert "property=" not in page.url


def test_name_user_and_status_filters_combine(page: Any, dashboard: Any) -> None:
    """user id, status and name narrow the list together; no match says so; clear restores."""
    page.goto(f"{dashboard.url}/#/sessions?user_id=bob")
    expect(page.locator(ROWS)).to_have_count(2)
    assert sorted(row_ids(page)) == ["plan-1", "tiny-1"]
    expect(page.locator("#filter-user_id")).to_have_value("bob")
    page.select_option("#filter-status", "error")
    expect(page.get_by_text("No session matches these filters.")).to_be_visible()
    assert "status=error" in page.url
    page.fill("#filter-user_id", "")
    expect(page.locator(ROWS)).to_have_count(2)
    assert sorted(row_ids(page)) == ["sup-1", "xss-1"]
    page.fill("#filter-name", "supervisor")
    expect(page.locator(ROWS)).to_have_count(1)
    assert "name=supervisor" in page.url
    page.fill("#filter-name", "")
    page.fill("#filter-search", "XSS")  # a case-insensitive part of a name or id
    expect(page.locator(ROWS).first).to_have_attribute("data-session-id", "xss-1")
    expect(page.locator(ROWS)).to_have_count(1)
    assert "search=XSS" in page.url
    page.get_by_role("button", name="Clear filters").click()
    expect(page.locator(ROWS)).to_have_count(4)
    expect(page.locator("#filter-name")).to_have_value("")


def test_sorting_by_a_column_asks_the_server_and_toggles_order(page: Any, dashboard: Any) -> None:
    """Cost sorts high to low, then low to high (no cost last), through the API's sort/order."""
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/v1/sessions?" in r.url else None)
    page.goto(f"{dashboard.url}/")
    expect(page.locator(ROWS)).to_have_count(4)
    header = page.locator("th", has=page.locator('[data-sort="cost_usd"]'))
    header.locator("button").click()
    expect(header).to_have_attribute("aria-sort", "descending")
    expect(page.locator(ROWS).first).to_have_attribute("data-session-id", "plan-1")
    assert row_ids(page) == ["plan-1", "sup-1", "tiny-1", "xss-1"]
    assert any("sort=cost_usd" in url and "order=desc" in url for url in requests)

    header.locator("button").click()
    expect(header).to_have_attribute("aria-sort", "ascending")
    expect(page.locator(ROWS).first).to_have_attribute("data-session-id", "tiny-1")
    assert row_ids(page) == ["tiny-1", "sup-1", "plan-1", "xss-1"]
    assert "sort=cost_usd" in page.url
    assert "order=asc" in page.url


def test_a_row_opens_its_session(page: Any, dashboard: Any) -> None:
    """Clicking a session's name opens its detail page."""
    page.goto(f"{dashboard.url}/")
    page.get_by_role("link", name="planner").click()
    expect(page.locator("h1")).to_have_text("planner")
    assert page.url.endswith("#/sessions/plan-1")
    page.go_back()
    expect(page.locator(ROWS)).to_have_count(4)


def test_pagination_walks_the_pages(page: Any, dashboard: Any) -> None:
    """With two sessions a page, next and previous walk the list and say where they are."""
    page.goto(f"{dashboard.url}/#/sessions?limit=2")
    expect(page.locator(".result-summary")).to_have_text(SUMMARY.format(1, 2, 4))
    assert row_ids(page) == ["xss-1", "tiny-1"]
    expect(page.get_by_role("button", name=PREVIOUS)).to_be_disabled()
    page.get_by_role("button", name=NEXT).click()
    expect(page.locator(".result-summary")).to_have_text(SUMMARY.format(3, 4, 4))
    assert row_ids(page) == ["plan-1", "sup-1"]
    expect(page.locator(".pager-page")).to_have_text("Page 2 of 2")
    expect(page.get_by_role("button", name=NEXT)).to_be_disabled()
    assert "offset=2" in page.url
    page.get_by_role("button", name=PREVIOUS).click()
    expect(page.locator(".result-summary")).to_have_text(SUMMARY.format(1, 2, 4))


def test_date_range_filters_by_session_time(page: Any, dashboard: Any) -> None:
    """The last 15 minutes keep the fresh sessions; custom ranges before or after keep none."""
    page.goto(f"{dashboard.url}/")
    expect(page.locator(ROWS)).to_have_count(4)
    page.select_option("#filter-range", "15m")
    expect(page.locator(".result-summary")).to_have_text(SUMMARY.format(1, 4, 4))
    assert "range=15m" in page.url
    page.select_option("#filter-range", "custom")
    expect(page.locator("#filter-since")).to_be_visible()
    page.fill("#filter-since", "2099-01-01T00:00")
    expect(page.get_by_text("No session matches these filters.")).to_be_visible()
    assert "since=2099-01-01T" in page.url
    page.fill("#filter-since", "2000-01-01T00:00")
    expect(page.locator(ROWS)).to_have_count(4)
    page.fill("#filter-until", "2000-12-31T00:00")
    expect(page.get_by_text("No session matches these filters.")).to_be_visible()
    assert "until=2000-12-31T" in page.url


def test_phone_folds_filters_behind_a_button(new_page: Any, dashboard: Any) -> None:
    """At 390 px the filters open from a button that then counts the active ones."""
    page = new_page(viewport={"width": 390, "height": 844})
    page.goto(f"{dashboard.url}/")
    expect(page.locator(ROWS)).to_have_count(4)
    expect(page.locator("#filter-property-key")).to_be_hidden()
    toggle = page.locator(".filters-toggle")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    page.fill("#filter-property-key", "env")
    page.fill("#filter-property-value", "prod")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator(ROWS)).to_have_count(1)
    expect(toggle).to_have_text("Filters · 1 active")
    assert page.evaluate("document.documentElement.scrollWidth") == 390
