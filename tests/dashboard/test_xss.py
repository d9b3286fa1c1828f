"""Stored text is data, never markup: HTML payloads in every field stay inert, shown as text."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

# Evaluated in the page: what a payload would have left behind had it run or been parsed.
TRACES = """() => ({
  flag: window.__xss ?? null,
  images: document.querySelectorAll("img").length,
  scripts: [...document.scripts].map(s => s.getAttribute("src")),
  handlers: [...document.querySelectorAll("*")].filter(
    el => [...el.attributes].some(a => a.name.startsWith("on"))).length,
})"""
CLEAN = {"flag": None, "images": 0, "scripts": ["dashboard/js/main.js"], "handlers": 0}


def assert_inert(page: Any) -> None:
    """No payload ran, and none became an element or an event-handler attribute."""
    assert page.evaluate(TRACES) == CLEAN


def test_payloads_in_names_properties_paths_errors_and_bodies_stay_text(
    page: Any, dashboard: Any
) -> None:
    """List, detail, request drawer and paths view show the payloads literally; nothing runs."""
    page.goto(f"{dashboard.url}/")
    name_link = page.locator('tr[data-session-id="xss-1"] td.col-session_name a')
    expect(name_link).to_have_text(dashboard.xss_name)
    assert_inert(page)

    name_link.click()
    expect(page.locator("h1")).to_have_text(dashboard.xss_name)
    expect(page.locator(".chips")).to_contain_text(f"note = {dashboard.xss_script}")
    expect(page.locator(".chips")).to_contain_text(f"{dashboard.xss_name} = key is markup")
    expect(page.locator(".stat", has_text="Users")).to_contain_text(dashboard.xss_script)
    segment = dashboard.xss_path.split("/")[1]
    expect(page.locator(".tree-folder .tree-name", has_text=segment)).to_have_text(segment)
    folders = page.locator(".tree-folder").evaluate_all("els => els.map(e => e.dataset.path)")
    assert dashboard.xss_path in folders
    expect(page.locator('.trace-bar[data-bar-for="xss-r1"]')).to_have_attribute(
        "title", f"{dashboard.xss_path} · {dashboard.xss_name} · error · 300 ms"
    )
    assert_inert(page)

    page.locator('.tree-leaf[data-request-id="xss-r1"]').click()
    drawer = page.locator(".drawer")
    expect(drawer.locator(".drawer-title")).to_have_text(dashboard.xss_name)
    expect(drawer.locator(".request-error strong")).to_have_text(dashboard.xss_name)
    expect(drawer.locator(".error-message")).to_have_text(dashboard.xss_script)
    expect(drawer.locator('[data-body="request"] .message-text')).to_have_text(
        dashboard.xss_script + dashboard.xss_name
    )
    expect(drawer.locator('[data-body="response"] .body-raw')).to_have_text(
        dashboard.xss_name + dashboard.xss_script
    )
    expect(drawer.locator(".kv-table")).to_contain_text(dashboard.xss_script)
    assert_inert(page)

    page.goto(f"{dashboard.url}/#/paths?session_name={quote(dashboard.xss_name)}")
    expect(page.locator("tbody tr[data-path] .path-cell")).to_have_text(dashboard.xss_path)
    expect(page.locator("#paths-session-name")).to_have_value(dashboard.xss_name)
    assert_inert(page)


def test_payloads_in_the_url_stay_text(page: Any, dashboard: Any) -> None:
    """Filters read from a crafted link fill inputs and chips as text."""
    crafted = quote(f"<b>key</b>={dashboard.xss_name}", safe="")  # split at the first "="
    page.goto(f"{dashboard.url}/#/sessions?name={quote(dashboard.xss_script)}&property={crafted}")
    expect(page.locator("#filter-name")).to_have_value(dashboard.xss_script)
    expect(page.locator(".chip")).to_have_text(f"<b>key</b> = {dashboard.xss_name}✕")
    expect(page.get_by_text("No session matches these filters.")).to_be_visible()
    assert_inert(page)
