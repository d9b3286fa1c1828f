"""The dashboard over a real traced LangGraph run, in headless Chromium.

The collector (uvicorn, SQLite) is filled the way a user fills it: the example supervisor
(a LangGraph supervisor routing to a researcher and a coder sub-agent, offline fake chat
models, `CallbackHandler`, `ManualLogger` calls inside a tool) and the example ReAct agent
are run in this process with the tracer pointed at the collector. What the pages show is
compared with what the collector's query API says about the same sessions.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

import agenttrace
from agenttrace.query import QueryClient, SessionDetail
from agenttrace.server.testing import running_collector
from agenttrace.testing import InMemoryExporter

pytestmark = pytest.mark.browser

AGENTS = Path(__file__).resolve().parents[2] / "examples" / "agents"
ROWS = "tbody tr[data-session-id]"


@dataclass(frozen=True)
class TracedRuns:
    """The collector's URL and what its API says about the two runs."""

    url: str
    supervisor: SessionDetail
    react: SessionDetail


@pytest.fixture(scope="module")
def traced_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TracedRuns]:
    """A collector holding one supervisor run and one ReAct run, traced for real."""
    if str(AGENTS) not in sys.path:
        sys.path.insert(0, str(AGENTS))
    import react_agent
    import supervisor

    data = tmp_path_factory.mktemp("langgraph-dashboard")
    with running_collector(data_dir=data / "collector") as collector:
        agenttrace.configure(endpoint=collector.url, spool_dir=data / "spool")
        try:
            supervisor_id = supervisor.run()
            react_id = react_agent.run()
            assert agenttrace.flush(30.0), "the runs' records were not delivered"
        finally:
            agenttrace.configure(exporter=InMemoryExporter())
        with QueryClient(collector.url) as client:
            runs = TracedRuns(
                url=collector.url,
                supervisor=client.session(supervisor_id, include_bodies=True),
                react=client.session(react_id, include_bodies=True),
            )
        yield runs


def _count(value: int) -> str:
    return f"{value:,}"


def test_list_shows_the_runs_with_the_collectors_figures(
    page: Any, traced_runs: TracedRuns, save_screenshot: Any
) -> None:
    """Each run is a row whose requests, tokens, errors and status are the API's."""
    page.goto(f"{traced_runs.url}/")
    expect(page.locator(ROWS)).to_have_count(2)
    for detail in (traced_runs.supervisor, traced_runs.react):
        session = detail.session
        row = page.locator(f'tr[data-session-id="{session.session_id}"]')
        expect(row.locator("td.col-session_name")).to_have_text(str(session.session_name))
        expect(row.locator("td.col-request_count")).to_have_text(_count(session.request_count))
        expect(row.locator("td.col-input_tokens")).to_have_text(_count(session.input_tokens))
        expect(row.locator("td.col-total_tokens")).to_have_text(_count(session.total_tokens))
        expect(row.locator("td.col-error_count")).to_have_text(_count(session.error_count))
        expect(row.locator("td.col-status")).to_contain_text(str(session.status))
    save_screenshot(page, "langgraph-sessions")
    supervisor = traced_runs.supervisor.session
    assert supervisor.request_count >= 9  # supervisor, two sub-agents, tools, ManualLogger
    assert supervisor.cost_usd is not None
    assert supervisor.cost_usd > 0


def test_a_property_filter_narrows_the_list(page: Any, traced_runs: TracedRuns) -> None:
    """example = supervisor keeps only the supervisor run; clearing brings both back."""
    page.goto(f"{traced_runs.url}/")
    expect(page.locator(ROWS)).to_have_count(2)
    page.get_by_placeholder("key").fill("example")
    page.get_by_placeholder("value").fill("supervisor")
    page.get_by_role("button", name="Add").click()
    expect(page.locator(ROWS)).to_have_count(1)
    expect(page.locator(ROWS)).to_have_attribute(
        "data-session-id", traced_runs.supervisor.session.session_id
    )
    page.get_by_role("button", name="Clear filters").click()
    expect(page.locator(ROWS)).to_have_count(2)


def test_detail_shows_the_runs_trace(
    page: Any, traced_runs: TracedRuns, save_screenshot: Any
) -> None:
    """A folder for every path segment the run produced (sub-agents, tools, the ManualLogger
    calls under the search tool), a leaf with its bar per request, each path's in time order."""
    detail = traced_runs.supervisor
    page.goto(f"{traced_runs.url}/#/sessions/{detail.session.session_id}")
    expect(page.locator("h1")).to_have_text("supervisor")
    expected_folders = {"/"}
    for request in detail.requests:
        segments = request.session_path.strip("/").split("/")
        for depth in range(1, len(segments) + 1):
            expected_folders.add("/" + "/".join(segments[:depth]))
    assert {
        "/researcher/agent",
        "/researcher/tools/search/docs_index",
        "/researcher/tools/search/facts_db",
        "/coder/tools/run_python",
    } <= expected_folders
    expect(page.locator(".tree-leaf")).to_have_count(len(detail.requests))
    folders = page.locator(".tree-folder").evaluate_all("els => els.map(e => e.dataset.path)")
    assert set(folders) == expected_folders
    expect(page.locator(".trace-bar[data-bar-for]")).to_have_count(len(detail.requests))
    # each path's requests in time order, to the microsecond the collector keeps
    started = {r.id: r.start_time for r in detail.requests}
    for path in {r.session_path for r in detail.requests}:
        shown = page.locator(
            f'.tree-item:has(> .trace-row .tree-folder[data-path="{path}"]) > .tree-children '
            "> .tree-item > .trace-row .tree-leaf"
        ).evaluate_all("els => els.map(e => e.dataset.requestId)")
        assert sorted(shown) == sorted(r.id for r in detail.requests if r.session_path == path)
        assert [started[i] for i in shown] == sorted(started[i] for i in shown)
    root = page.locator('.tree-folder[data-path="/"]')
    expect(root).to_contain_text(f"{len(detail.requests)} requests")
    save_screenshot(page, "langgraph-supervisor-session")


def test_clicking_a_model_call_opens_its_bodies(
    page: Any, traced_runs: TracedRuns, save_screenshot: Any
) -> None:
    """The drawer of the first researcher model call shows its model and its messages."""
    detail = traced_runs.supervisor
    call = next(
        r
        for r in sorted(detail.requests, key=lambda r: r.start_time)
        if r.session_path == "/researcher/agent" and r.kind.value == "llm"
    )
    page.goto(f"{traced_runs.url}/#/sessions/{detail.session.session_id}")
    page.locator(f'.tree-leaf[data-request-id="{call.id}"]').click()
    drawer = page.locator(".drawer")
    expect(drawer).to_be_visible()
    expect(drawer).to_contain_text(str(call.model))
    expect(drawer).to_contain_text("/researcher/agent")
    messages = call.request_body["messages"] if isinstance(call.request_body, dict) else []
    first_text = next(
        str(m.get("content")) for m in messages if isinstance(m, dict) and m.get("content")
    )
    expect(drawer.locator('[data-body="request"]')).to_contain_text(first_text[:40])
    expect(drawer.locator('[data-body="response"]')).to_be_visible()
    save_screenshot(page, "langgraph-request", full_page=False)
