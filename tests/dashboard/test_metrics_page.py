"""The metrics page in headless Chromium, over a real collector holding a week of
requests: charts over time, the costliest models, users, paths and property values, the
session filters, live refresh, a phone and dark mode."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from agenttrace.records import ErrorInfo, Record, RecordKind, Status, Usage
from agenttrace.server.testing import running_collector

pytestmark = pytest.mark.browser

MODELS = ("gpt-4o", "gpt-4o-mini", "claude-sonnet-4")
USERS = ("alice", "bob", "carol")
PATHS = ("/supervisor", "/researcher/agent", "/coder/agent", "/researcher/tools/search")
TEAMS = ("research", "platform")
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


def week_of_requests(now: datetime) -> list[Record]:
    """Six calls a day for seven days: three models, three users, four paths, two teams;
    every seventh call fails; gpt-4o costs the most, then claude, then the mini model."""
    records = []
    price = {"gpt-4o": 0.02, "gpt-4o-mini": 0.001, "claude-sonnet-4": 0.008}
    for n in range(42):
        day, slot = divmod(n, 6)
        start = now - timedelta(days=6 - day, hours=2 + 3 * slot)
        model = MODELS[n % 3]
        failed = n % 7 == 3
        records.append(
            Record(
                id=f"wk-{n:02d}",
                kind=RecordKind.LLM,
                session_id=f"wk-session-{n // 3}",
                session_name="researcher" if n % 2 else "coder",
                session_path=PATHS[n % 4],
                name="ChatOpenAI",
                provider="openai",
                model=model,
                user_id=USERS[n % 3] if n % 5 else USERS[0],
                properties={"team": TEAMS[n % 2]},
                start_time=start,
                end_time=start + timedelta(milliseconds=300 + 40 * (n % 9) + 500 * failed),
                status=Status.ERROR if failed else Status.OK,
                error=ErrorInfo(type="RateLimitError", message="429") if failed else None,
                usage=Usage(input_tokens=1000 + 10 * n, output_tokens=100 + n),
                cost_usd=price[model] * (1 + n % 4),
            )
        )
    return records


@dataclass
class Week:
    """A collector holding `week_of_requests` (and whatever a test posts after)."""

    url: str
    records: list[Record]

    def cost(self, **where: Any) -> float:
        """The total cost of the records whose fields equal ``where``."""
        return math.fsum(
            r.cost_usd or 0.0
            for r in self.records
            if all(getattr(r, key) == value for key, value in where.items())
        )


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Week]:
    """A real collector (uvicorn, SQLite) holding a week of requests."""
    records = week_of_requests(datetime.now(UTC).replace(microsecond=0))
    with running_collector(data_dir=tmp_path_factory.mktemp("metrics")) as collector:
        body = {"records": [r.model_dump(mode="json") for r in records]}
        answer = httpx.post(f"{collector.url}/v1/records", json=body, timeout=30)
        assert answer.json()["accepted"] == len(records), answer.text
        yield Week(url=collector.url, records=records)


def _usd(value: float) -> str:
    """A cost as the dashboard writes one of at least a cent."""
    return f"${value:.2f}" if value >= 1 else f"${value:.4f}"


def _ranked(page: Any, which: str) -> list[str]:
    keys = page.locator(f'[data-ranked="{which}"] .ranked-row').evaluate_all(
        "rows => rows.map(r => r.dataset.key)"
    )
    return [str(key) for key in keys]


def test_week_by_day_with_totals_and_the_costliest(page: Any, week: Week) -> None:
    """Last 7 days: four charts of eight day slots, totals that add up, and the models,
    users, paths and team values ranked by their cost."""
    page.goto(f"{week.url}/#/metrics?range=7d")
    expect(page.locator("[data-chart]")).to_have_count(4)
    total = week.cost()
    expect(page.locator('[data-chart="cost"] .chart-total')).to_have_text(_usd(total))
    expect(page.locator('[data-chart="requests"] .chart-total')).to_have_text("42")
    expect(page.locator('[data-chart="errors"] .chart-total')).to_have_text("14% (6)")
    assert page.locator('[data-chart="cost"] .x-label').count() == 8  # 7 days and today
    bars = page.locator('[data-chart="cost"] rect:not(.hover)').count()
    assert 6 <= bars <= 8  # a day of the week may fall on two local dates at the edges
    assert _ranked(page, "model") == ["gpt-4o", "claude-sonnet-4", "gpt-4o-mini"]
    by_user = sorted(USERS, key=lambda u: -week.cost(user_id=u))
    assert _ranked(page, "user") == by_user
    assert _ranked(page, "path") == sorted(PATHS, key=lambda p: -week.cost(session_path=p))
    teams = sorted(TEAMS, key=lambda t: -math.fsum(
        r.cost_usd or 0 for r in week.records if r.properties["team"] == t
    ))  # fmt: skip
    assert _ranked(page, "property") == teams
    first = page.locator('[data-ranked="model"] .ranked-row').first
    expect(first.locator(".ranked-value")).to_have_text(_usd(week.cost(model="gpt-4o")))
    expect(first.locator(".ranked-detail")).to_contain_text("14 requests")


def test_filters_and_bucket_follow_the_url(page: Any, week: Week) -> None:
    """A session name and a property filter narrow every chart and list; the bucket can be
    chosen; all of it lives in the URL."""
    page.goto(f"{week.url}/#/metrics?range=7d&name=coder&property=team%3Dresearch")
    coder = [r for r in week.records if r.session_name == "coder"]
    # every even call is a coder call, and every even call is on the research team
    expect(page.locator('[data-chart="requests"] .chart-total')).to_have_text(str(len(coder)))
    expect(page.locator(".chip")).to_have_text(["team = research✕"])
    page.select_option("#metrics-bucket", "hour")
    expect(page.locator(".result-summary")).to_contain_text("per hour")
    assert "bucket=hour" in page.url
    assert "name=coder" in page.url
    page.get_by_role("button", name="Clear filters").click()
    expect(page.locator('[data-chart="requests"] .chart-total')).to_have_text("42")


def test_pointing_at_a_slot_reads_out_its_figures(page: Any, week: Week) -> None:
    """Hovering a chart shows the slot's time and value under it."""
    page.goto(f"{week.url}/#/metrics?range=7d&bucket=day")
    plot = page.locator('[data-chart="requests"] svg.plot')
    expect(plot).to_be_visible()
    box = plot.bounding_box()
    page.mouse.move(box["x"] + box["width"] - 2, box["y"] + box["height"] / 2)
    readout = page.locator('[data-chart="requests"] .chart-readout')
    expect(readout).to_contain_text("ok")
    expect(readout).to_contain_text("errors")


def test_new_requests_show_up_without_a_reload(page: Any, tmp_path: Path) -> None:
    """Live refresh: a request posted after the page loaded is counted within seconds."""
    start = datetime.now(UTC) - timedelta(minutes=5)
    late = Record(
        id="late-dora",
        session_id="late-s",
        session_path="/agent",
        model="gpt-4o",
        user_id="dora",
        start_time=start,
        end_time=start + timedelta(seconds=2),
        cost_usd=1.25,
    )
    with running_collector(data_dir=tmp_path) as collector:
        page.goto(f"{collector.url}/#/metrics?range=24h&user_id=dora")
        expect(page.get_by_text("No request matches these filters.")).to_be_visible()
        body = {"records": [late.model_dump(mode="json")]}
        httpx.post(f"{collector.url}/v1/records", json=body).raise_for_status()
        cost = page.locator('[data-chart="cost"] .chart-total')
        expect(cost).to_have_text("$1.25", timeout=20_000)
        expect(page.locator(".live")).to_contain_text("Live · updated")


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", ["laptop", "phone"])
def test_fits_phones_and_follows_the_colour_scheme(
    new_page: Any, week: Week, save_screenshot: Any, scheme: str, size: str
) -> None:
    """No sideways scrolling at 390 px; charts and bars take the scheme's colours; PNGs."""
    viewport = {"laptop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
    page = new_page(viewport=viewport[size], color_scheme=scheme)
    page.goto(f"{week.url}/#/metrics?range=7d")
    expect(page.locator('[data-ranked="model"] .ranked-row')).to_have_count(3)
    assert page.evaluate(OVERFLOW) == 0
    bar = page.locator('[data-chart="cost"] .series rect').first
    fill = bar.evaluate("el => getComputedStyle(el).fill")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert fill not in ("", "none", background)
    dark_text = page.evaluate("getComputedStyle(document.body).color")
    channels = [int(c) for c in dark_text[dark_text.index("(") + 1 : -1].split(",")[:3]]
    assert (sum(channels) > 382) == (scheme == "dark")
    if size == "phone":
        width = page.locator('[data-chart="cost"]').evaluate(
            "el => el.getBoundingClientRect().width"
        )
        assert width <= 390
        tick = page.locator('[data-chart="cost"] .tick').first
        assert tick.evaluate("el => parseFloat(getComputedStyle(el).fontSize)") >= 10
    shot = save_screenshot(page, f"metrics-{scheme}-{size}")
    assert shot.stat().st_size > 10_000
