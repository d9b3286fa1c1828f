"""Thumbs up / down on the session page in headless Chromium: the click keeps a boolean
score through the API, and the buttons show what was given."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def _screens(tmp_path: Path) -> Path:
    """Where screenshots go: ``AGENTTRACE_SCREENSHOTS_DIR`` when set, else ``tmp_path``."""
    target = Path(os.environ.get("AGENTTRACE_SCREENSHOTS_DIR") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    return target


def test_thumbs_up_then_down_keeps_scores(page: Any, fresh_dashboard: Any, tmp_path: Path) -> None:
    """A click stores the score ``thumbs`` (source dashboard) and presses its button; the
    note counts the ups among every thumbs given."""
    page.goto(f"{fresh_dashboard.url}/#/sessions/plan-1")
    expect(page.locator("h1")).to_have_text("planner")
    feedback = page.get_by_role("group", name="Feedback on this session")
    up = feedback.get_by_role("button", name="Thumbs up")
    down = feedback.get_by_role("button", name="Thumbs down")
    expect(feedback).to_contain_text("No feedback yet")
    up.click()
    expect(up).to_have_attribute("aria-pressed", "true")
    expect(feedback).to_contain_text("1 of 1 up")
    page.screenshot(path=str(_screens(tmp_path) / "session-feedback-up.png"))
    down.click()
    expect(down).to_have_attribute("aria-pressed", "true")
    expect(up).to_have_attribute("aria-pressed", "false")
    expect(feedback).to_contain_text("1 of 2 up")
    scores = httpx.get(f"{fresh_dashboard.url}/v1/scores", params={"session_id": "plan-1"})
    assert [(s["name"], s["value"], s["source"]) for s in scores.json()["scores"]] == [
        ("thumbs", True, "dashboard"),
        ("thumbs", False, "dashboard"),
    ]
    page.reload()
    expect(down).to_have_attribute("aria-pressed", "true")
