"""The paths view in headless Chromium: per-path figures across sessions of one name."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

ROWS = "tbody tr[data-path]"


def cells(page: Any, path: str) -> dict[str, str]:
    """Column label -> text of one path's row."""
    row = page.locator(f'tr[data-path="{path}"]')
    pairs = row.locator("td").evaluate_all(
        "tds => tds.map(td => [td.dataset.label, td.textContent])"
    )
    return {str(label): str(text) for label, text in pairs}


def test_paths_of_a_session_name_show_calls_latency_errors_and_cost(
    page: Any, dashboard: Any
) -> None:
    """Each supervisor path with its call count, p50/p95, error rate and cost."""
    page.goto(f"{dashboard.url}/#/paths?session_name=supervisor")
    expect(page.locator(ROWS)).to_have_count(4)
    paths = page.locator(ROWS).evaluate_all("rows => rows.map(r => r.dataset.path)")
    assert paths == ["/coder/agent", "/researcher/agent", "/researcher/tools/search", "/supervisor"]
    search = cells(page, "/researcher/tools/search")
    assert search["Calls"] == "2"
    assert search["Sessions"] == "1"
    assert search["p50 latency"] == "1.20 s"
    assert search["Error rate"] == "50% (1)"
    assert search["Cost"] == "—"
    agent = cells(page, "/researcher/agent")
    assert (agent["Calls"], agent["Cost"], agent["Cost / call"]) == ("2", "$0.0008", "$0.0004")
    assert agent["Error rate"] == "0%"
    assert cells(page, "/supervisor")["p50 latency"] == "850 ms"
    expect(page.locator(".result-summary")).to_have_text("4 paths in sessions named “supervisor”")


def test_choosing_another_name_and_sorting(page: Any, dashboard: Any) -> None:
    """Typing a name reloads the paths (and the URL); headers sort the rows."""
    page.goto(f"{dashboard.url}/#/paths?session_name=supervisor")
    expect(page.locator(ROWS)).to_have_count(4)
    page.locator('[data-sort="request_count"]').click()
    expect(page.locator("th[aria-sort='descending']")).to_contain_text("Calls")
    first = page.locator(ROWS).first
    expect(first).not_to_have_attribute("data-path", "/coder/agent")
    expect(page.locator(ROWS).last).to_have_attribute("data-path", "/coder/agent")
    assert "sort=request_count" in page.url

    page.fill("#paths-session-name", "planner")
    expect(page.locator(ROWS)).to_have_count(1)
    expect(page.locator(ROWS).first).to_have_attribute("data-path", "/agent")
    assert "session_name=planner" in page.url
    assert cells(page, "/agent")["Cost"] == "$0.0500"


def test_without_a_name_every_path_of_every_session_counts(page: Any, dashboard: Any) -> None:
    """No name: /agent gathers the planner and tiny sessions."""
    page.goto(f"{dashboard.url}/#/paths")
    expect(page.locator('tr[data-path="/agent"]')).to_be_visible()
    assert cells(page, "/agent")["Sessions"] == "2"
    assert cells(page, "/agent")["Calls"] == "2"


def test_phone_width_keeps_the_name_field_and_cards(new_page: Any, dashboard: Any) -> None:
    """At 390 px the name field stays visible and rows become cards that fit the screen."""
    page = new_page(viewport={"width": 390, "height": 844})
    page.goto(f"{dashboard.url}/#/paths?session_name=supervisor")
    expect(page.locator(ROWS)).to_have_count(4)
    expect(page.locator("#paths-session-name")).to_be_visible()
    page.fill("#paths-session-name", "tiny")
    expect(page.locator(ROWS)).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") == 390


def test_the_sentence_under_the_title_follows_the_name_chosen(page: Any, dashboard: Any) -> None:
    """Without a name the page speaks of every session, not of "sessions with this name";
    with one it names it."""
    page.goto(f"{dashboard.url}/#/paths")
    lead = page.locator(".lead")
    expect(lead).to_contain_text("Every path of every session:")
    expect(lead).not_to_contain_text("with this name")
    page.fill("#paths-session-name", "planner")
    expect(lead).to_contain_text(
        "Every path of the sessions named “planner”, across those sessions"
    )
    page.fill("#paths-session-name", "")
    expect(lead).to_contain_text("Every path of every session:")
