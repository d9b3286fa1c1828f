"""API keys: on 401 the dashboard asks for a key, keeps it, and sends it as a Bearer token.

The collector has no API keys yet, so a Playwright route stands in front of the real one
and answers 401 to any API call without ``Authorization: Bearer s3cret``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

KEY = "s3cret"
REFUSAL = "this collector needs an API key; send Authorization: Bearer <key>"


def guard_api(page: Any) -> list[str | None]:
    """Answer 401 to API calls without the key; pass the others to the real collector."""
    seen: list[str | None] = []

    def handle(route: Any) -> None:
        header = route.request.headers.get("authorization")
        seen.append(header)
        if header == f"Bearer {KEY}":
            route.continue_()
        else:
            route.fulfill(
                status=401, content_type="application/json", body=json.dumps({"error": REFUSAL})
            )

    page.route("**/v1/**", handle)
    return seen


def test_a_401_asks_for_a_key_then_uses_and_keeps_it(new_page: Any, dashboard: Any) -> None:
    """The key dialog shows the collector's sentence; the key is sent, stored, and forgettable."""
    page = new_page(allow=("401",))
    seen = guard_api(page)
    page.goto(f"{dashboard.url}/")
    dialog = page.get_by_role("dialog", name="API key needed")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(REFUSAL)
    dialog.get_by_label("API key").fill(KEY)
    dialog.get_by_role("button", name="Use this key").click()
    expect(page.locator("tbody tr[data-session-id]")).to_have_count(4)
    assert f"Bearer {KEY}" in seen
    assert page.evaluate("localStorage.getItem('agenttrace.apiKey')") == KEY
    expect(page.locator("#auth-slot")).to_contain_text("API key set")

    seen.clear()
    page.reload()
    expect(page.locator("tbody tr[data-session-id]")).to_have_count(4)
    expect(page.get_by_role("dialog")).to_have_count(0)
    assert seen
    assert set(seen) == {f"Bearer {KEY}"}

    page.get_by_role("button", name="Forget key").click()
    expect(page.get_by_role("dialog", name="API key needed")).to_be_visible()
    assert page.evaluate("localStorage.getItem('agenttrace.apiKey')") is None


def test_a_refused_key_says_so_and_cancel_shows_the_error(new_page: Any, dashboard: Any) -> None:
    """A wrong stored key gets "refused"; cancelling leaves the collector's sentence on the page."""
    page = new_page(allow=("401",))
    guard_api(page)
    page.goto(f"{dashboard.url}/dashboard/icon.svg")
    page.evaluate("localStorage.setItem('agenttrace.apiKey', 'wrong')")
    page.goto(f"{dashboard.url}/")
    dialog = page.get_by_role("dialog", name="That API key was refused")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Cancel").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text(REFUSAL)

    with page.expect_response(lambda r: "/v1/sessions?" in r.url, timeout=15_000):
        pass  # the next live refresh is refused too, and does not reopen the dialog
    expect(page.get_by_role("dialog")).to_have_count(0)

    alert.get_by_role("button", name="Enter API key").click()
    page.get_by_role("dialog").get_by_label("API key").fill(KEY)
    page.get_by_role("dialog").get_by_role("button", name="Use this key").click()
    expect(page.locator("tbody tr[data-session-id]")).to_have_count(4)
