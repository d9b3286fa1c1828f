"""Questions to a human in the dashboard, over real traced LangGraph runs (the
human-in-the-loop example, headless Chromium): the inbox of sessions waiting for a human,
and the pause drawn as a gap with its question in the session's timeline.

Screenshots of both are saved under artifacts/screenshots/ (``hitl-inbox.png``,
``hitl-timeline.png``, ``hitl-timeline-waiting.png``).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

import agenttrace
from agenttrace.query import QueryClient
from agenttrace.server.testing import running_collector
from agenttrace.testing import InMemoryExporter

pytestmark = pytest.mark.browser

AGENTS = Path(__file__).resolve().parents[2] / "examples" / "agents"
ROWS = "tbody tr[data-session-id]"


class NobodyAnsweredError(Exception):
    """The reviewer walked away: the graph stays paused on its question."""


@dataclass(frozen=True)
class Runs:
    url: str
    answered: str
    waiting: str


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    """One email approved after a (short) human pause, one nobody answers."""
    if str(AGENTS) not in sys.path:
        sys.path.insert(0, str(AGENTS))
    import human_in_the_loop

    def slow_reviewer(pending: dict[str, Any]) -> bool:
        time.sleep(1.5)  # the human reads the email: the gap in the timeline
        return True

    def absent_reviewer(pending: dict[str, Any]) -> bool:
        raise NobodyAnsweredError

    data = tmp_path_factory.mktemp("hitl-dashboard")
    with running_collector(data_dir=data / "collector") as collector:
        agenttrace.configure(endpoint=collector.url, spool_dir=data / "spool")
        try:
            answered = human_in_the_loop.run(slow_reviewer, thread_id="email-approved")
            with pytest.raises(NobodyAnsweredError):
                human_in_the_loop.run(absent_reviewer, thread_id="email-waiting")
            assert agenttrace.flush(30.0), "the runs' records were not delivered"
        finally:
            agenttrace.configure(exporter=InMemoryExporter())
        yield Runs(url=collector.url, answered=answered, waiting="email-waiting")


def test_inbox_lists_the_waiting_session(new_page: Any, runs: Runs, save_screenshot: Any) -> None:
    """The status filter's "waiting for a human" is the inbox: only the paused session, with
    since when; the API agrees."""
    with QueryClient(runs.url) as client:
        inbox = client.sessions(status="waiting")
    assert [s.session_id for s in inbox.sessions] == [runs.waiting]
    page = new_page()
    page.goto(f"{runs.url}/#/sessions")
    expect(page.locator(ROWS)).to_have_count(2)
    page.select_option("#filter-status", "waiting")
    expect(page.locator(ROWS)).to_have_count(1)
    row = page.locator(ROWS).first
    expect(row).to_have_attribute("data-session-id", runs.waiting)
    expect(row.locator(".status-waiting")).to_contain_text("waiting")
    expect(row.locator(".waiting-since")).to_contain_text("since")
    assert "status=waiting" in page.url
    shot = save_screenshot(page, "hitl-inbox")
    assert shot.stat().st_size > 10_000


def test_timeline_shows_the_pause_as_a_gap(new_page: Any, runs: Runs, save_screenshot: Any) -> None:
    """The answered question is a hatched gap at the tool's path, labelled with what was
    asked and answered, as long as the human took; its latency is not in the session's."""
    with QueryClient(runs.url) as client:
        detail = client.session(runs.answered)
    (human,) = [r for r in detail.requests if r.kind == "human"]
    assert human.latency_ms is not None
    assert human.latency_ms >= 1500
    assert detail.session.p95_latency_ms is not None
    assert detail.session.p95_latency_ms < human.latency_ms
    page = new_page()
    page.goto(f"{runs.url}/#/sessions/{runs.answered}")
    gap = page.locator(f'[data-bar-for="{human.id}"]')
    expect(gap).to_have_class("trace-bar kind-human is-ok human-gap")
    title = gap.get_attribute("title") or ""
    assert "waiting for a human" in title
    assert "Send this email?" in title
    assert "answered after" in title
    leaf = page.locator(f'[data-request-id="{human.id}"]')
    expect(leaf.locator(".human-question")).to_contain_text("Send this email?")
    expect(leaf.locator(".human-answer")).to_contain_text("approved")
    width = gap.bounding_box()
    llm_bars = page.locator(".trace-bar.kind-llm")
    assert width is not None
    assert all(
        (box := llm_bars.nth(i).bounding_box()) is not None and box["width"] < width["width"]
        for i in range(llm_bars.count())
    ), "the human's pause is the longest bar"
    shot = save_screenshot(page, "hitl-timeline")
    assert shot.stat().st_size > 10_000


def test_waiting_session_page(new_page: Any, runs: Runs, save_screenshot: Any) -> None:
    """A session still waiting says so by its name, and its open question runs to now."""
    page = new_page()
    page.goto(f"{runs.url}/#/sessions/{runs.waiting}")
    expect(page.locator(".session-header .status-waiting")).to_be_visible()
    expect(page.locator(".session-header .waiting-since")).to_contain_text("for a human since")
    gap = page.locator(".trace-bar.human-gap.is-waiting")
    expect(gap).to_have_count(1)
    assert "no answer yet" in (gap.get_attribute("title") or "")
    save_screenshot(page, "hitl-timeline-waiting")


def test_paths_show_human_wait_apart(new_page: Any, runs: Runs) -> None:
    """The paths view has the humans' wait (p50 / p95) in its own column; the path's
    latency percentiles leave it out."""
    with QueryClient(runs.url) as client:
        row = {r.path: r for r in client.paths()}["/tools/send_email"]
    assert row.human_count == 2
    assert row.human_wait_p50_ms is not None
    assert row.p95_latency_ms is not None
    assert row.p95_latency_ms < row.human_wait_p50_ms
    page = new_page()
    page.goto(f"{runs.url}/#/paths")
    cell = page.locator('tr[data-path="/tools/send_email"] .human-wait')
    expect(cell).to_contain_text(" / ")
    assert "questions to a human" in (cell.get_attribute("title") or "")
