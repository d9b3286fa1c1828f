"""The session page in headless Chromium: the trace (tree rows with their bars on one time
axis), the request drawer, shareable links."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

LEAVES = ".tree-leaf[data-request-id]"
FOLDERS = [
    "/",
    "/coder",
    "/coder/agent",
    "/researcher",
    "/researcher/agent",
    "/researcher/tools",
    "/researcher/tools/search",
    "/supervisor",
]


def folder(page: Any, path: str) -> Any:
    """The tree folder button of one path."""
    return page.locator(f'.tree-folder[data-path="{path}"]')


def test_tree_has_a_folder_per_segment_with_rolled_up_figures(page: Any, dashboard: Any) -> None:
    """Folders for every path segment, figures summed over subtrees, a leaf per request."""
    page.goto(f"{dashboard.url}/#/sessions/sup-1")
    expect(page.locator("h1")).to_have_text("supervisor")
    paths = page.locator(".tree-folder").evaluate_all("els => els.map(e => e.dataset.path)")
    assert sorted(paths) == FOLDERS
    expect(page.locator(".tree-leaf")).to_have_count(7)
    root = folder(page, "/")
    for text in ["7 requests", "6.70 s", "6,560 tok", "$0.0018", "1 error"]:
        expect(root).to_contain_text(text)
    researcher = folder(page, "/researcher")
    for text in ["4 requests", "4.80 s", "2,620 tok", "$0.0008", "1 error"]:
        expect(researcher).to_contain_text(text)
    expect(folder(page, "/coder")).not_to_contain_text("error")
    search = page.locator(
        '.tree-item:has(> .trace-row .tree-folder[data-path="/researcher/tools/search"])'
    )
    expect(search.locator(".tree-leaf")).to_have_count(2)
    expect(search.locator(".tree-leaf.is-error")).to_contain_text("error")

    researcher.click()
    expect(researcher).to_have_attribute("aria-expanded", "false")
    expect(folder(page, "/researcher/agent")).to_be_hidden()
    researcher.click()
    expect(folder(page, "/researcher/agent")).to_be_visible()


def test_trace_orders_by_start_and_shows_parallel_branches(page: Any, dashboard: Any) -> None:
    """Sub-paths and requests by first start; parallel searches and agents overlap on the
    time axis; failures are marked in words; parallel branches are numbered."""
    page.goto(f"{dashboard.url}/#/sessions/sup-1")
    expect(page.locator(LEAVES)).to_have_count(7)
    order = page.locator(LEAVES).evaluate_all("els => els.map(e => e.dataset.requestId)")
    # /supervisor (0 s: r1, r7), /researcher (1.3 s: agent r2, r5; tools r4, r3), /coder (1.4 s)
    assert order == ["sup-r1", "sup-r7", "sup-r2", "sup-r5", "sup-r4", "sup-r3", "sup-r6"]

    def bar(request_id: str) -> dict[str, float]:
        box = page.locator(f'.trace-bar[data-bar-for="{request_id}"]').bounding_box()
        assert box is not None
        return {"start": box["x"], "end": box["x"] + box["width"]}

    def overlap(a: str, b: str) -> bool:
        first, second = bar(a), bar(b)
        return first["start"] < second["end"] and second["start"] < first["end"]

    assert overlap("sup-r3", "sup-r4")  # the two parallel searches
    assert overlap("sup-r2", "sup-r6")  # researcher and coder at once
    assert not overlap("sup-r1", "sup-r7")
    assert (
        bar("sup-r6")["end"] - bar("sup-r6")["start"]
        > bar("sup-r4")["end"] - bar("sup-r4")["start"]
    )

    failed = page.locator('.tree-leaf[data-request-id="sup-r4"]')
    expect(failed).to_have_attribute("data-status", "error")
    expect(failed).to_contain_text("✕")
    expect(failed.locator(".status-word")).to_have_text("error")
    expect(failed.locator(".branch-mark")).to_have_text("⎇ 2")
    expect(page.locator('.tree-leaf[data-request-id="sup-r3"] .branch-mark')).to_have_text("⎇ 1")
    interrupted = page.locator('.tree-leaf[data-request-id="sup-r7"]')
    expect(interrupted.locator(".status-word")).to_have_text("interrupted")
    expect(page.locator('.tree-leaf[data-request-id="sup-r1"] .status-word')).to_have_count(0)


def test_clicking_a_request_shows_its_bodies_and_figures(page: Any, dashboard: Any) -> None:
    """The drawer shows model, tokens with cache, cost, latency, TTFT, properties and bodies."""
    page.goto(f"{dashboard.url}/#/sessions/sup-1")
    page.locator('.tree-leaf[data-request-id="sup-r1"]').click()
    drawer = page.locator(".drawer")
    expect(drawer).to_be_visible()
    expect(drawer.locator(".drawer-title")).to_have_text("ChatOpenAI")
    facts = {
        "Model": "gpt-4o-mini",
        "Provider": "openai",
        "Latency": "1.20 s",
        "Time to first token": "310 ms",
        "Cost": "$0.0002",
        "Prompt tokens": "420",
        "Completion tokens": "60",
        "Total tokens": "480",
        "Cache read": "128",
        "User": "alice",
    }
    for label, value in facts.items():
        expect(
            drawer.locator(".fact", has=page.locator(f'dt:text-is("{label}")')).locator("dd")
        ).to_have_text(value)
    expect(drawer.locator(".kv-table")).to_contain_text("team")
    request_body = drawer.locator('[data-body="request"]')
    expect(request_body.locator(".message-text")).to_have_text(
        [
            "You are a supervisor. Delegate to researcher and coder.",
            "Find how LangGraph interrupts work and write an example.",
        ]
    )
    expect(drawer.locator('[data-body="response"]')).to_contain_text("transfer_to_researcher")
    assert page.url.endswith("#/sessions/sup-1?request=sup-r1")
    expect(page.locator('.tree-leaf[data-request-id="sup-r1"]')).to_have_class(
        "tree-leaf is-ok is-selected"
    )

    page.locator('.trace-bar[data-bar-for="sup-r6"]').click()
    expect(drawer.locator(".drawer-title")).to_have_text("ChatOpenAI")
    expect(drawer.locator('[data-body="request"] .omitted')).to_contain_text("omitted")
    expect(drawer.locator('[data-body="response"]')).to_contain_text("def approve(state)")

    page.locator('.tree-leaf[data-request-id="sup-r4"]').click()
    expect(drawer.locator(".request-error")).to_contain_text("TimeoutError")
    expect(drawer.locator(".request-error")).to_contain_text("search backend timed out after 0.8 s")
    expect(drawer.locator('[data-body="response"] .no-response')).to_be_visible()
    expect(drawer.locator(".drawer-header .status")).to_have_text("✕error")

    page.keyboard.press("Escape")
    expect(drawer).to_be_hidden()
    assert page.url.endswith("#/sessions/sup-1")


def test_a_link_to_a_request_opens_it(page: Any, dashboard: Any) -> None:
    """#/sessions/<id>?request=<id> opens the drawer on that request (reasoning tokens too)."""
    page.goto(f"{dashboard.url}/#/sessions/sup-1?request=sup-r5")
    drawer = page.locator(".drawer")
    expect(drawer).to_be_visible()
    reasoning = drawer.locator(".fact", has=page.locator('dt:text-is("Reasoning")')).locator("dd")
    expect(reasoning).to_have_text("64")
    expect(drawer.locator('[data-body="response"]')).to_contain_text("Command resumes")
    expect(page.locator('.tree-leaf[data-request-id="sup-r5"]')).to_have_attribute(
        "aria-current", "true"
    )
    page.get_by_role("button", name="Close request details").click()
    expect(drawer).to_be_hidden()


def test_an_unknown_session_says_so(new_page: Any, dashboard: Any) -> None:
    """A session id that does not exist gets a sentence, not a blank page."""
    page = new_page(allow=("404",))
    page.goto(f"{dashboard.url}/#/sessions/no-such-session")
    expect(page.get_by_text("This session does not exist.")).to_be_visible()
    expect(page.get_by_text("No session has the id no-such-session.")).to_be_visible()


def test_session_page_links_to_the_paths_of_its_name(page: Any, dashboard: Any) -> None:
    """The header links to the paths view of every session with the same name."""
    page.goto(f"{dashboard.url}/#/sessions/sup-1")
    page.get_by_role("link", name="Paths of every “supervisor” session →").click()
    expect(page.locator("h1")).to_have_text("Paths")
    expect(page.locator("#paths-session-name")).to_have_value("supervisor")
