"""The session page loads a long session's requests a page at a time, in headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from agenttrace.records import Record, RecordKind
from agenttrace.server.testing import running_collector

pytestmark = pytest.mark.browser

TIMELINE = ".trace-bar[data-bar-for]"


def steps(base: datetime, first: int, count: int) -> list[Record]:
    """Tool calls of session ``paged`` on /agent/tools/search, 10 ms apart."""
    return [
        Record(
            id=f"p-{index:04d}",
            kind=RecordKind.TOOL,
            session_id="paged",
            session_name="paged run",
            session_path="/agent/tools/search",
            name=f"search {index}",
            start_time=base + timedelta(milliseconds=10 * index),
            end_time=base + timedelta(milliseconds=10 * index + 5),
        )
        for index in range(first, first + count)
    ]


def post_records(url: str, records: list[Record]) -> None:
    """Ingest ``records`` over HTTP; every one must be accepted."""
    body = {"records": [record.model_dump(mode="json") for record in records]}
    answer = httpx.post(f"{url}/v1/records", json=body, timeout=30)
    answer.raise_for_status()
    assert answer.json()["accepted"] == len(records)


@pytest.fixture(scope="module")
def paged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, datetime]]:
    """A collector holding one live session of 450 requests; its URL and the first start."""
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=2)
    with running_collector(data_dir=tmp_path_factory.mktemp("paged")) as collector:
        post_records(collector.url, steps(base, 0, 450))
        yield collector.url, base


def test_long_session_loads_more_requests_page_by_page(page: Any, paged: Any) -> None:
    """200 requests at first and a note of how many; "Load more" adds the next pages until
    all 450 are there; requests stored later join on the live refresh."""
    url, base = paged
    page.goto(f"{url}/#/sessions/paged")
    expect(page.locator("h1")).to_have_text("paged run")
    expect(page.locator(TIMELINE)).to_have_count(200)
    expect(page.locator(".tree-leaf")).to_have_count(200)
    expect(page.locator(".more-requests")).to_contain_text("Showing 200 of 450 requests.")
    expect(page.locator(".tree-not-loaded")).to_have_text("250 more requests not loaded")
    search = page.locator('.tree-folder[data-path="/agent/tools/search"]')
    expect(search).to_contain_text("450 requests")

    more = page.get_by_role("button", name="Load more")
    more.click()
    expect(page.locator(TIMELINE)).to_have_count(400)
    expect(page.locator(".more-requests")).to_contain_text("Showing 400 of 450 requests.")
    more.click()
    expect(page.locator(TIMELINE)).to_have_count(450)
    expect(page.locator(".more-requests")).to_have_count(0)
    expect(page.locator(".tree-not-loaded")).to_have_count(0)
    order = page.locator(TIMELINE).evaluate_all("els => els.map(e => e.dataset.barFor)")
    assert order == [f"p-{index:04d}" for index in range(450)]

    page.locator('.tree-leaf[data-request-id="p-0420"]').click()
    expect(page.locator(".drawer .drawer-title")).to_have_text("search 420")
    page.keyboard.press("Escape")

    post_records(url, steps(base, 450, 5))
    expect(page.locator(TIMELINE)).to_have_count(455, timeout=15_000)
    expect(page.locator('.tree-leaf[data-request-id="p-0454"]')).to_be_visible()
    expect(search).to_contain_text("455 requests")
