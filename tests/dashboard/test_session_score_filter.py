"""The sessions list's score filter in headless Chromium: a score's name narrows the list
to the sessions scored with it, its average's bounds or a label narrow further, and
``sort=score`` orders by the average; all of it lives in the URL."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

ROWS = "tbody tr[data-session-id]"


def row_ids(page: Any) -> list[str]:
    """The session ids of the table's rows, top to bottom."""
    return [
        str(i)
        for i in page.locator(ROWS).evaluate_all("rows => rows.map(r => r.dataset.sessionId)")
    ]


@pytest.fixture(scope="module")
def scored(fresh_dashboard: Any) -> Any:
    """The seeded sessions with ``quality`` scores (sup-1 0.9, tiny-1 0.6, plan-1 0.2 and
    0.4: average 0.3) and a categorical ``verdict`` (good on tiny-1)."""
    scores = [
        ("sup-1", "quality", 0.9),
        ("tiny-1", "quality", 0.6),
        ("plan-1", "quality", 0.2),
        ("plan-1", "quality", 0.4),
        ("tiny-1", "verdict", "good"),
        ("sup-1", "verdict", "bad"),
    ]
    for session_id, name, value in scores:
        body = {"session_id": session_id, "name": name, "value": value, "source": "test"}
        httpx.post(f"{fresh_dashboard.url}/v1/scores", json=body, timeout=10).raise_for_status()
    return fresh_dashboard


def test_score_name_and_bounds_narrow_the_list_and_live_in_the_url(page: Any, scored: Any) -> None:
    """The name keeps the three scored sessions; min 0.5 keeps two; the link reproduces
    it; clearing the filters restores the four."""
    page.goto(f"{scored.url}/")
    expect(page.locator(ROWS)).to_have_count(4)
    expect(page.locator("#filter-score-sort")).to_be_disabled()
    page.fill("#filter-score", "quality")
    expect(page.locator(ROWS)).to_have_count(3)
    assert sorted(row_ids(page)) == ["plan-1", "sup-1", "tiny-1"]
    page.fill("#filter-min_score", "0.5")
    expect(page.locator(ROWS)).to_have_count(2)
    assert sorted(row_ids(page)) == ["sup-1", "tiny-1"]
    page.fill("#filter-max_score", "0.7")
    expect(page.locator(ROWS)).to_have_count(1)
    assert "score=quality" in page.url
    assert "min_score=0.5" in page.url
    assert "max_score=0.7" in page.url

    shared = page.url
    page.goto("about:blank")
    page.goto(shared)
    expect(page.locator(ROWS)).to_have_count(1)
    assert row_ids(page) == ["tiny-1"]
    expect(page.locator("#filter-score")).to_have_value("quality")
    expect(page.locator("#filter-min_score")).to_have_value("0.5")

    page.get_by_role("button", name="Clear filters").click()
    expect(page.locator(ROWS)).to_have_count(4)
    assert "score" not in page.url


def test_a_label_narrows_to_the_sessions_holding_it(page: Any, scored: Any) -> None:
    """A categorical score's label keeps the sessions holding it."""
    page.goto(f"{scored.url}/#/sessions?score=verdict&score_value=good")
    expect(page.locator(ROWS)).to_have_count(1)
    assert row_ids(page) == ["tiny-1"]
    expect(page.locator("#filter-score_value")).to_have_value("good")


def test_sorting_by_the_score_asks_the_server_and_goes_away_with_the_name(
    page: Any, scored: Any
) -> None:
    """Highest first, lowest first (through sort=score); clearing the name goes back to
    the default order."""
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/v1/sessions?" in r.url else None)
    page.goto(f"{scored.url}/#/sessions?score=quality")
    expect(page.locator(ROWS)).to_have_count(3)
    page.select_option("#filter-score-sort", "desc")
    expect(page.locator(ROWS).first).to_have_attribute("data-session-id", "sup-1")
    assert row_ids(page) == ["sup-1", "tiny-1", "plan-1"]
    assert "sort=score" in page.url
    assert any("sort=score" in url and "score=quality" in url for url in requests)
    page.select_option("#filter-score-sort", "asc")
    expect(page.locator(ROWS).first).to_have_attribute("data-session-id", "plan-1")
    assert row_ids(page) == ["plan-1", "tiny-1", "sup-1"]
    assert "order=asc" in page.url

    page.reload()
    expect(page.locator("#filter-score-sort")).to_have_value("asc")
    expect(page.locator(ROWS).first).to_have_attribute("data-session-id", "plan-1")

    page.fill("#filter-score", "")
    expect(page.locator(ROWS)).to_have_count(4)
    expect(page.locator("#filter-score-sort")).to_have_value("")
    expect(page.locator("#filter-score-sort")).to_be_disabled()
    assert "sort=" not in page.url
