"""A real collector filled with hand-built records, and headless Chromium to look at it.

Sessions (all started a few minutes ago, so they are "live" and inside "last hour"):

* ``sup-1`` "supervisor" (alice; env=prod, team=research): seven requests on /supervisor,
  /researcher/agent, /researcher/tools/search (two parallel branches, one failed),
  /coder/agent (parallel with the researcher; request body omitted) and an interrupted
  /supervisor call. $0.0018, 5,720 + 840 = 6,560 tokens, one error.
* ``plan-1`` "planner" (bob; env=dev): one expensive LLM call, $0.0500.
* ``tiny-1`` "tiny" (bob; env=dev): one cheap LLM call, $0.0001.
* ``xss-1``: a session whose name, properties, path, error and bodies are HTML payloads.

The ``page`` fixture fails a test that logs a console error or an uncaught exception.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from agenttrace.records import ErrorInfo, Record, RecordKind, Status, Usage
from agenttrace.server.testing import running_collector

CHROMIUM = os.environ.get("AGENTTRACE_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LAPTOP = {"width": 1366, "height": 800}
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"

XSS_NAME = '<img src=x onerror="window.__xss=1">'
XSS_SCRIPT = "<script>window.__xss=2</script>"
XSS_PATH = "/<img src=x onerror=window.__xss=3>/agent"

SUPERVISOR = ("sup-1", "supervisor", "alice", {"env": "prod", "team": "research"})


def _record(
    record_id: str,
    session: tuple[str, str, str | None, dict[str, str]],
    start: datetime,
    seconds: float,
    **fields: Any,
) -> Record:
    session_id, name, user_id, properties = session
    return Record(
        id=record_id,
        session_id=session_id,
        session_name=name,
        user_id=user_id,
        properties=properties,
        start_time=start,
        end_time=start + timedelta(seconds=seconds),
        **fields,
    )


def _chat(model: str, **fields: Any) -> dict[str, Any]:
    return {
        "kind": RecordKind.LLM,
        "name": "ChatOpenAI",
        "provider": "openai",
        "model": model,
        **fields,
    }


def supervisor_records(base: datetime) -> list[Record]:
    """The supervisor session: a multi-agent run with a failed tool and an interrupt."""
    s = SUPERVISOR

    def at(seconds: float) -> datetime:
        return base + timedelta(seconds=seconds)

    question = [
        {"role": "system", "content": "You are a supervisor. Delegate to researcher and coder."},
        {"role": "user", "content": "Find how LangGraph interrupts work and write an example."},
    ]
    return [
        _record(
            "sup-r1", s, at(0), 1.2, session_path="/supervisor",
            **_chat("gpt-4o-mini"), time_to_first_token_ms=310,
            usage=Usage(input_tokens=420, output_tokens=60, cache_read_tokens=128),
            cost_usd=0.0002, request={"messages": question},
            response={"role": "assistant", "content": "Delegating to researcher and coder.",
                      "tool_calls": [{"name": "transfer_to_researcher", "args": {}}]},
        ),
        _record(
            "sup-r2", s, at(1.3), 1.6, session_path="/researcher/agent",
            **_chat("gpt-4o-mini"), usage=Usage(input_tokens=800, output_tokens=120),
            cost_usd=0.0003, request={"messages": question[1:]},
            response={"role": "assistant", "content": "Searching twice in parallel."},
        ),
        _record(
            "sup-r3", s, at(3.0), 1.6, session_path="/researcher/tools/search",
            kind=RecordKind.TOOL, name="search", branch_id="task-a",
            request={"query": "LangGraph interrupt"},
            response={"results": ["interrupt() pauses the graph", "resume with Command"]},
        ),
        _record(
            "sup-r4", s, at(3.0), 0.8, session_path="/researcher/tools/search",
            kind=RecordKind.TOOL, name="search", branch_id="task-b", status=Status.ERROR,
            error=ErrorInfo(type="TimeoutError", message="search backend timed out after 0.8 s"),
            request={"query": "LangGraph human in the loop"},
        ),
        _record(
            "sup-r5", s, at(4.7), 1.4, session_path="/researcher/agent",
            **_chat("gpt-4o-mini"),
            usage=Usage(input_tokens=1500, output_tokens=200, reasoning_tokens=64),
            cost_usd=0.0005, request={"messages": question[1:]},
            response={"role": "assistant", "content": "interrupt() pauses; Command resumes."},
        ),
        _record(
            "sup-r6", s, at(1.4), 2.8, session_path="/coder/agent",
            **_chat("gpt-4o"), usage=Usage(input_tokens=2100, output_tokens=450),
            cost_usd=0.0007, request=None,
            response={"role": "assistant", "content": "def approve(state): ..."},
        ),
        _record(
            "sup-r7", s, at(6.2), 0.5, session_path="/supervisor",
            **_chat("gpt-4o-mini"), status=Status.INTERRUPTED,
            usage=Usage(input_tokens=900, output_tokens=10), cost_usd=0.0001,
            request={"messages": question}, response=None,
        ),
    ]  # fmt: skip


def other_records(base: datetime) -> list[Record]:
    """Two small sessions to sort and filter against, and the XSS session."""
    xss = ("xss-1", XSS_NAME, XSS_SCRIPT, {"note": XSS_SCRIPT, XSS_NAME: "key is markup"})
    return [
        _record(
            "plan-r1", ("plan-1", "planner", "bob", {"env": "dev"}), base + timedelta(seconds=20),
            3.0, session_path="/agent", **_chat("gpt-4o"),
            usage=Usage(input_tokens=3000, output_tokens=1000), cost_usd=0.05,
        ),
        _record(
            "tiny-r1", ("tiny-1", "tiny", "bob", {"env": "dev"}), base + timedelta(seconds=40),
            0.2, session_path="/agent", **_chat("gpt-4o-mini"),
            usage=Usage(input_tokens=10, output_tokens=5), cost_usd=0.0001,
        ),
        _record(
            "xss-r1", xss, base + timedelta(seconds=60), 0.3, session_path=XSS_PATH,
            kind=RecordKind.TOOL, name=XSS_NAME, status=Status.ERROR,
            error=ErrorInfo(type=XSS_NAME, message=XSS_SCRIPT),
            request={"messages": [{"role": "user", "content": XSS_SCRIPT + XSS_NAME}]},
            response=XSS_NAME + XSS_SCRIPT,
        ),
    ]  # fmt: skip


def post_records(url: str, records: list[Record]) -> None:
    """Ingest ``records`` through ``POST /v1/records``; every one must be accepted."""
    body = {"records": [record.model_dump(mode="json") for record in records]}
    response = httpx.post(f"{url}/v1/records", json=body, timeout=30)
    response.raise_for_status()
    assert response.json()["accepted"] == len(records), response.text


@dataclass
class Dashboard:
    """The seeded collector; the dashboard is at ``url + "/"``."""

    url: str
    base: datetime
    xss_name: str = XSS_NAME
    xss_script: str = XSS_SCRIPT
    xss_path: str = XSS_PATH

    def post(self, records: list[Record]) -> None:
        """Ingest more records."""
        post_records(self.url, records)


def _seeded_collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=3)
    with running_collector(data_dir=tmp_path_factory.mktemp("dashboard")) as collector:
        post_records(collector.url, supervisor_records(base) + other_records(base))
        yield Dashboard(url=collector.url, base=base)


@pytest.fixture(scope="session")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    """A real collector (uvicorn, SQLite) holding the seeded sessions; tests must not add any."""
    yield from _seeded_collector(tmp_path_factory)


@pytest.fixture(scope="module")
def fresh_dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    """Its own seeded collector, for a test module that posts more records."""
    yield from _seeded_collector(tmp_path_factory)


def _is_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium driven by Playwright (skipped without it, unless CI).

    Module-scoped on purpose: Playwright's sync API runs an asyncio loop on the main thread
    while it is open, which would break the async tests of later directories.
    """
    if shutil.which(CHROMIUM) is None:
        message = (
            f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium) or "
            "point AGENTTRACE_TEST_CHROMIUM at a Chromium to run the dashboard's browser tests"
        )
        if _is_ci():
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Console:
    """What a page logged: console errors, uncaught exceptions and dialogs."""

    errors: list[str] = field(default_factory=list)
    allowed: tuple[str, ...] = ()

    def unexpected(self) -> list[str]:
        """The errors that match none of the allowed substrings."""
        return [e for e in self.errors if not any(a in e for a in self.allowed)]


@pytest.fixture
def new_page(browser: Any) -> Iterator[Callable[..., Any]]:
    """Open pages (viewport, color_scheme); the test fails if any logged an unexpected error.

    ``allow`` lists substrings of console errors the test expects (e.g. a 401 it causes).
    """
    opened: list[tuple[Any, Console]] = []

    def factory(
        viewport: dict[str, int] = LAPTOP, color_scheme: str = "light", allow: tuple[str, ...] = ()
    ) -> Any:
        context = browser.new_context(viewport=viewport, color_scheme=color_scheme)
        context.set_default_timeout(10_000)
        page = context.new_page()
        console = Console(allowed=allow)
        page.on("console", lambda m: console.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: console.errors.append(f"uncaught: {exc}"))

        def on_dialog(dialog: Any) -> None:
            console.errors.append(f"dialog opened: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)
        opened.append((context, console))
        return page

    try:
        yield factory
        problems = [error for _, console in opened for error in console.unexpected()]
        assert problems == [], f"the page logged errors: {problems}"
    finally:
        for context, _ in opened:
            context.close()


@pytest.fixture
def page(new_page: Callable[..., Any]) -> Any:
    """A laptop-sized page in light mode that must log no console error."""
    return new_page()


@pytest.fixture
def save_screenshot() -> Callable[..., Path]:
    """``save_screenshot(page, name, full_page=True)``: a PNG under artifacts/screenshots/."""

    def save(page: Any, name: str, *, full_page: bool = True) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        target = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(target), full_page=full_page)
        return target

    return save
