"""The Alerts page in headless Chromium: rules with their state (firing first and marked),
and the history of firing and resolved events with their webhook deliveries."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from agenttrace.server.testing import running_collector

pytestmark = pytest.mark.browser

VIEWPORTS = {"laptop": {"width": 1366, "height": 800}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def alerting() -> Iterator[str]:
    """A collector evaluating alerts every 0.2 s, with a firing error rule, a quiet budget
    and a webhook that cannot be delivered (nothing listens on port 9 of 127.0.0.1)."""
    with running_collector(alert_interval=0.2, alert_options={"retry_base_s": 60}) as c:
        start = datetime.now(UTC) - timedelta(seconds=1)
        record = {
            "id": "e1",
            "session_id": "s1",
            "session_path": "/tools/search",
            "start_time": start.isoformat(),
            "end_time": (start + timedelta(milliseconds=50)).isoformat(),
            "status": "error",
            "error": {"type": "E", "message": "boom"},
        }
        rules = [
            {"name": "budget", "metric": "cost", "period": "day", "threshold": 100},
            {"name": "search errors", "metric": "error_rate", "threshold": 0.05,
             "window_s": 900, "filter": {"path": "/tools/search"},
             "webhook_url": "http://127.0.0.1:9/hook"},
        ]  # fmt: skip
        for rule in rules:
            assert httpx.post(f"{c.url}/v1/alerts/rules", json=rule).status_code == 201
        httpx.post(f"{c.url}/v1/records", json={"records": [record]}).raise_for_status()
        # the page reads the log once: wait until the event's first delivery attempt failed
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            deliveries = httpx.get(f"{c.url}/v1/alerts/deliveries").json()["deliveries"]
            if any(d["attempts"] >= 1 for d in deliveries):
                break
            time.sleep(0.05)
        yield c.url


def _screens(tmp_path: Path) -> Path:
    target = Path(os.environ.get("AGENTTRACE_SCREENSHOTS_DIR") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    return target


@pytest.mark.parametrize("viewport", ["laptop", "phone", "laptop-dark"])
def test_alerts_page_shows_firing_rules_and_history(
    new_page: Any, alerting: str, tmp_path: Path, viewport: str
) -> None:
    """The firing rule comes first, marked in words; the budget is ok; the history shows
    the firing event and its webhook pending after a failed attempt."""
    size, _, scheme = viewport.partition("-")
    page = new_page(viewport=VIEWPORTS[size], color_scheme=scheme or "light")
    page.goto(f"{alerting}/#/alerts")
    expect(page.locator("h1")).to_have_text("Alerts")
    expect(page.locator(".alert-count")).to_have_text("1 firing")
    rows = page.locator("section[aria-labelledby=rules-title] tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("firing")
    expect(rows.nth(0)).to_contain_text("search errors")
    expect(rows.nth(0)).to_contain_text("error_rate > 0.05 over 900 s · path=/tools/search")
    expect(rows.nth(1)).to_contain_text("budget")
    expect(rows.nth(1)).to_contain_text("ok")
    history = page.locator("section[aria-labelledby=history-title] tbody tr")
    expect(history).to_have_count(1)
    expect(history.nth(0)).to_contain_text("search errors")
    expect(history.nth(0)).to_contain_text("pending (1 attempt)")
    expect(page.locator('[data-nav="alerts"]')).to_have_attribute("aria-current", "page")
    page.screenshot(path=str(_screens(tmp_path) / f"alerts-{viewport}.png"), full_page=True)
