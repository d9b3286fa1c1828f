"""Every page in light and dark, on a laptop and at phone width: no sideways scrolling, the
scheme's colours applied, and a screenshot saved under artifacts/screenshots/."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

VIEWPORTS = {"laptop": {"width": 1366, "height": 800}, "phone": {"width": 390, "height": 844}}
PAGES = {
    "sessions": ("#/sessions", "tbody tr[data-session-id]"),
    "session": ("#/sessions/sup-1", ".trace-bar"),
    "request": ("#/sessions/sup-1?request=sup-r1", '.drawer [data-body="response"]'),
    "paths": ("#/paths?session_name=supervisor", "tbody tr[data-path]"),
    "metrics-any-time": ("#/metrics", '[data-ranked="model"] .ranked-row'),
    "live": ("#/live", "tbody tr[data-request-id]"),
}
OVERFLOW = """() => ({
  page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
  body: document.body.scrollWidth - document.documentElement.clientWidth,
})"""
BACKGROUND_LUMINANCE = """() => {
  const [r, g, b] = getComputedStyle(document.body).backgroundColor.match(/\\d+/g).map(Number);
  return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", ["laptop", "phone"])
def test_pages_fit_the_screen_in_both_schemes(
    new_page: Any, dashboard: Any, save_screenshot: Any, scheme: str, size: str
) -> None:
    """No page scrolls sideways; the background follows the colour scheme; PNGs are saved."""
    page = new_page(viewport=VIEWPORTS[size], color_scheme=scheme)
    for name, (fragment, ready) in PAGES.items():
        page.goto(f"{dashboard.url}/{fragment}")
        expect(page.locator(ready).first).to_be_visible()
        assert page.evaluate(OVERFLOW) == {"page": 0, "body": 0}, f"{name} overflows sideways"
        luminance = page.evaluate(BACKGROUND_LUMINANCE)
        assert luminance > 0.9 if scheme == "light" else luminance < 0.1
        # The request drawer is fixed to the screen: a full-page shot would cut it off.
        shot = save_screenshot(page, f"{name}-{scheme}-{size}", full_page=name != "request")
        assert shot.stat().st_size > 10_000
