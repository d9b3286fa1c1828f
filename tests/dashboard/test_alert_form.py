"""The Alerts page's form in headless Chromium: a rule and a budget created through it are
listed and really stored (read back through the API), deleted from their row with the
keyboard, and bad input or a refusal by the collector is shown in words."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from agenttrace.server.testing import running_collector

pytestmark = pytest.mark.browser

VIEWPORTS = {"laptop": {"width": 1366, "height": 800}, "phone": {"width": 390, "height": 844}}
OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.fixture
def collector() -> Iterator[str]:
    """A collector with no alert rules yet."""
    with running_collector() as c:
        yield c.url


def _rules(url: str) -> list[dict[str, Any]]:
    answer = httpx.get(f"{url}/v1/alerts/rules")
    answer.raise_for_status()
    rules: list[dict[str, Any]] = answer.json()["rules"]
    return rules


def _screens(tmp_path: Path) -> Path:
    target = Path(os.environ.get("AGENTTRACE_SCREENSHOTS_DIR") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    return target


def _fill(page: Any, fields: dict[str, str]) -> None:
    """Type into (or choose in) each control named by its label."""
    for label, value in fields.items():
        control = page.get_by_label(label, exact=True)
        if control.evaluate("node => node.tagName") == "SELECT":
            control.select_option(value)
        else:
            control.fill(value)


def _rows(page: Any) -> Any:
    return page.locator("section[aria-labelledby=rules-title] tbody tr")


@pytest.mark.parametrize("viewport", ["laptop", "phone", "laptop-dark"])
def test_a_rule_made_in_the_form_is_listed_stored_and_deleted(
    new_page: Any, collector: str, tmp_path: Path, viewport: str
) -> None:
    """Filling the form creates the rule the API then holds (window in seconds, filter,
    webhook); the secret is shown once; Delete asks in the row and removes it."""
    size, _, scheme = viewport.partition("-")
    page = new_page(viewport=VIEWPORTS[size], color_scheme=scheme or "light")
    page.goto(f"{collector}/#/alerts")
    expect(page.locator("section[aria-labelledby=rules-title]")).to_contain_text(
        "No alert rules yet."
    )
    _fill(page, {"Metric": "p95_latency_ms"})
    expect(page.locator("#rule-threshold-hint")).to_have_text("Milliseconds.")
    _fill(page, {"Name": "search errors", "Metric": "error_rate", "Fires when the value is": "gte",
                 "Threshold": "0.05", "Window": "2", "Window unit": "h", "Path": "/tools/search",
                 "Property name": "team", "Property value": "research",
                 "Webhook URL (optional)": "http://127.0.0.1:9/hook"})  # fmt: skip
    expect(page.locator("#rule-threshold-hint")).to_contain_text("0.05 is 5%")
    page.get_by_role("button", name="Create rule").click()

    notice = page.locator(".form-message .notice-ok")
    expect(notice).to_contain_text("Created “search errors”.")
    expect(_rows(page)).to_have_count(1)
    expect(_rows(page).nth(0)).to_contain_text(
        "error_rate ≥ 0.05 over 7200 s · path=/tools/search, property=team=research"
    )
    (stored,) = _rules(collector)
    assert stored["name"] == "search errors"
    assert (stored["metric"], stored["op"], stored["threshold"]) == ("error_rate", "gte", 0.05)
    assert (stored["window_s"], stored["period"]) == (7200, None)
    assert stored["filter"] == {
        "path": "/tools/search", "model": None, "session_name": None, "user_id": None,
        "property": "team=research",
    }  # fmt: skip
    assert stored["webhook_url"] == "http://127.0.0.1:9/hook"
    assert stored["rule_id"] == _rows(page).nth(0).get_attribute("data-rule-id")
    secret = notice.locator(".secret").inner_text()
    assert len(secret) >= 16
    expect(page.get_by_label("Name", exact=True)).to_have_value("")
    assert page.evaluate(OVERFLOW) <= 0
    page.evaluate("window.scrollTo(0, 0)")  # the sticky bar stays at the top of the shot
    page.screenshot(path=str(_screens(tmp_path) / f"alerts-form-{viewport}.png"), full_page=True)

    _fill(page, {"Name": "half typed"})  # the list's refresh after a delete keeps it
    page.get_by_role("button", name="Delete rule search errors").click()
    expect(page.get_by_role("button", name="Yes, delete rule search errors")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".rules-message")).to_contain_text("Deleted “search errors”")
    expect(_rows(page)).to_have_count(0)
    expect(page.get_by_label("Name", exact=True)).to_have_value("half typed")
    assert _rules(collector) == []


def test_a_budget_made_with_the_keyboard_and_deleted_with_it(new_page: Any, collector: str) -> None:
    """Only the keyboard: pick Budget with the arrow keys (metric and window go away, the
    period comes), create a monthly cost budget for a user, then delete it from its row;
    Escape cancels a deletion and gives the focus back to Delete."""
    page = new_page()
    page.goto(f"{collector}/#/alerts")
    expect(page.locator("section[aria-labelledby=rules-title]")).to_contain_text("No alert")
    page.locator("input[name=kind][value=rule]").focus()
    page.keyboard.press("ArrowRight")
    expect(page.locator("input[name=kind][value=budget]")).to_be_checked()
    expect(page.get_by_label("Metric", exact=True)).to_be_hidden()
    expect(page.get_by_label("Window", exact=True)).to_be_hidden()
    expect(page.locator("#rule-threshold-hint")).to_contain_text("current UTC day or month")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Name", exact=True)).to_be_focused()
    page.keyboard.type("alice monthly")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Budget period", exact=True)).to_be_focused()
    page.keyboard.press("ArrowDown")  # a focused <select> moves to the next option
    expect(page.get_by_label("Budget period", exact=True)).to_have_value("month")
    page.get_by_label("Threshold", exact=True).focus()
    page.keyboard.type("100")
    page.get_by_label("User id", exact=True).focus()
    page.keyboard.type("alice")
    page.keyboard.press("Enter")  # submits the form

    expect(_rows(page)).to_have_count(1)
    expect(_rows(page).nth(0)).to_contain_text("cost > 100 per month · user_id=alice")
    (stored,) = _rules(collector)
    assert (stored["metric"], stored["period"], stored["window_s"]) == ("cost", "month", None)
    assert stored["filter"]["user_id"] == "alice"
    assert stored["webhook_url"] is None

    ask = page.get_by_role("button", name="Delete rule alice monthly")
    ask.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Yes, delete rule alice monthly")).to_be_focused()
    page.keyboard.press("Escape")
    expect(ask).to_be_focused()
    assert len(_rules(collector)) == 1
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    expect(_rows(page)).to_have_count(0)
    assert _rules(collector) == []


@pytest.mark.parametrize("viewport", ["laptop", "phone"])
def test_bad_input_is_explained_beside_its_field_and_nothing_is_sent(
    new_page: Any, collector: str, tmp_path: Path, viewport: str
) -> None:
    """An empty form, a 5 (not 0.05) error rate, a 5 s window, a path without its slash, a
    property without its value and a webhook that is no URL each get their sentence; the
    first bad field takes the focus and no rule is created."""
    page = new_page(viewport=VIEWPORTS[viewport])
    page.goto(f"{collector}/#/alerts")
    expect(page.locator("section[aria-labelledby=rules-title]")).to_contain_text("No alert")
    page.get_by_label("Window", exact=True).fill("")
    page.get_by_role("button", name="Create rule").click()
    expect(page.locator(".form-message [role=alert]")).to_contain_text("Not created")
    expect(page.locator("#rule-name-error")).to_have_text("Give the rule a name.")
    expect(page.locator("#rule-threshold-error")).to_contain_text("Give a threshold")
    expect(page.locator("#rule-window-error")).to_have_text("Give the window's length.")
    expect(page.get_by_label("Name", exact=True)).to_be_focused()
    expect(page.get_by_label("Name", exact=True)).to_have_attribute("aria-invalid", "true")

    _fill(page, {"Name": "oops", "Threshold": "5", "Window": "5", "Window unit": "s",
                 "Path": "tools/search", "Property name": "team",
                 "Webhook URL (optional)": "example.com/hook"})  # fmt: skip
    page.get_by_role("button", name="Create rule").click()
    expect(page.locator("#rule-name-error")).to_be_hidden()
    expect(page.get_by_label("Name", exact=True)).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator("#rule-threshold-error")).to_contain_text("for 5% write 0.05")
    expect(page.locator("#rule-window-error")).to_have_text("A window is at least 10 seconds.")
    expect(page.locator("#rule-path-error")).to_contain_text("A path starts with /")
    expect(page.locator("#rule-property-value-error")).to_have_text(
        "Give the value of team to match."
    )
    expect(page.locator("#rule-webhook-url-error")).to_contain_text(
        "starts with http:// or https://"
    )
    expect(page.get_by_label("Threshold", exact=True)).to_be_focused()
    described = page.get_by_label("Threshold", exact=True).get_attribute("aria-describedby") or ""
    assert "rule-threshold-error" in described.split()
    assert page.evaluate(OVERFLOW) <= 0
    if viewport == "phone":
        shot = _screens(tmp_path) / "alerts-form-phone-errors.png"
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(shot), full_page=True)
    assert _rules(collector) == []


def test_a_refusal_by_the_collector_is_shown(new_page: Any, collector: str) -> None:
    """A valid rule the collector still refuses (the project holds its 100 rules) shows
    the collector's sentence, and the form keeps what was typed."""
    with httpx.Client(base_url=collector) as client:
        for number in range(100):
            body = {"name": f"r{number}", "metric": "errors", "threshold": 1, "window_s": 60}
            assert client.post("/v1/alerts/rules", json=body).status_code == 201
    page = new_page(allow=("400",))
    page.goto(f"{collector}/#/alerts")
    expect(_rows(page)).to_have_count(100)
    _fill(page, {"Name": "one too many", "Threshold": "0.5"})
    page.get_by_role("button", name="Create rule").click()
    refusal = page.locator(".form-message [role=alert]")
    expect(refusal).to_contain_text("already has 100 alert rules")
    expect(refusal).to_contain_text("HTTP 400")
    expect(page.get_by_label("Name", exact=True)).to_have_value("one too many")
    expect(page.get_by_role("button", name="Create rule")).to_be_enabled()
    assert len(_rules(collector)) == 100
