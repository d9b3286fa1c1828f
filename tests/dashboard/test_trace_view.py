"""What the session trace, the request drawer and the paths view claim, checked against
what was recorded: microsecond durations, rows and bars in one view, why a failed call has
no response, and p95 bars that one outlier does not flatten (headless Chromium)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from agenttrace.records import Record, RecordKind

pytestmark = pytest.mark.browser

DURATION = re.compile(r"\d+(?:\.\d+)? (?:ms|s)\b")
# (id, path, name, kind, start in µs after the session's first second, duration in µs)
MICRO_CALLS = [
    ("m-search", "/agent/tools/search", "search", RecordKind.TOOL, 900, 4200),
    ("m-docs", "/agent/tools/search/docs_index", "docs_index", RecordKind.VECTOR_DB, 1200, 200),
    ("m-facts", "/agent/tools/search/facts_db", "facts_db", RecordKind.DATA, 1600, 600),
]
TYPICAL_P95_MS = {"/plan": 200, "/search": 250, "/read": 300, "/rank": 350, "/write": 400}
SLOW_P95_MS = 8000


def _call(record_id: str, session: tuple[str, str], path: str, start: Any, us: int) -> Record:
    """A tool call of ``session`` (id, name) at ``path`` lasting ``us`` microseconds."""
    return Record(
        id=record_id,
        kind=RecordKind.TOOL,
        session_id=session[0],
        session_name=session[1],
        session_path=path,
        name=path.rsplit("/", 1)[-1],
        start_time=start,
        end_time=start + timedelta(microseconds=us),
    )


@pytest.fixture(scope="module")
def seeded(fresh_dashboard: Any) -> Any:
    """The seeded collector plus a session of sub-millisecond calls (``micro-1``) and three
    "outlier" sessions whose /slow path takes 8 s while the others take 200-400 ms."""
    first = fresh_dashboard.base + timedelta(seconds=90)
    records = [
        _call(
            record_id, ("micro-1", "micro"), path, first + timedelta(microseconds=start), us
        ).model_copy(update={"kind": kind, "name": name})
        for record_id, path, name, kind, start, us in MICRO_CALLS
    ]
    for n in range(3):
        start = fresh_dashboard.base + timedelta(seconds=100 + 20 * n)
        for path, ms in {**TYPICAL_P95_MS, "/slow": SLOW_P95_MS}.items():
            records.append(
                _call(f"o{n}{path}", (f"outlier-{n}", "outlier"), path, start, ms * 1000)
            )
    fresh_dashboard.post(records)
    return fresh_dashboard


def test_sub_millisecond_durations_read_the_same_in_tree_and_bars(page: Any, seeded: Any) -> None:
    """A 0.2 ms call reads 0.2 ms wherever the page shows its duration (not 0.0 ms from
    millisecond timestamps), and bars are as long as the microseconds recorded."""
    page.goto(f"{seeded.url}/#/sessions/micro-1")
    expect(page.locator("h1")).to_have_text("micro")
    for record_id, _, _, _, _, us in MICRO_CALLS:
        expected = f"{us / 1000:.1f} ms"
        shown = page.locator(f'[data-request-id="{record_id}"]').evaluate_all(
            "els => els.map(e => e.textContent)"
        )
        titles = page.locator(f'[data-bar-for="{record_id}"]').evaluate_all(
            "els => els.map(e => e.title)"
        )
        durations = [found for text in shown + titles for found in DURATION.findall(text)]
        assert durations, f"no duration shown for {record_id}"
        assert set(durations) == {expected}, (record_id, shown, titles)

    def bar(record_id: str) -> dict[str, float]:
        box = page.locator(f'.trace-bar[data-bar-for="{record_id}"]').bounding_box()
        assert box is not None
        return box

    search, docs, facts = bar("m-search"), bar("m-docs"), bar("m-facts")
    assert facts["width"] / docs["width"] == pytest.approx(600 / 200, rel=0.05)
    assert search["width"] / docs["width"] == pytest.approx(4200 / 200, rel=0.05)
    # docs_index starts 0.3 ms after search: 1/14 of search's 4.2 ms along the axis
    offset = (docs["x"] - search["x"]) / search["width"]
    assert offset == pytest.approx(300 / 4200, abs=0.01)


def test_each_tree_row_has_its_bar_on_the_same_row(page: Any, seeded: Any) -> None:
    """One view: every folder and request row holds its bar, vertically centred on the row's
    label; closing a folder hides its rows and their bars together."""
    page.goto(f"{seeded.url}/#/sessions/sup-1")
    expect(page.locator(".tree-leaf")).to_have_count(7)
    rows = page.locator(".trace-row").evaluate_all(
        """rows => rows.map(row => {
          const label = row.querySelector(".tree-leaf, .tree-folder").getBoundingClientRect();
          const bar = row.querySelector(".trace-bar")?.getBoundingClientRect();
          return {
            id: row.querySelector(".tree-leaf")?.dataset.requestId
              ?? row.querySelector(".tree-folder").dataset.path,
            label: [label.top, label.bottom, label.right],
            bar: bar ? [bar.top, bar.bottom, bar.left] : null,
          };
        })"""
    )
    assert len(rows) == 7 + 8  # seven requests, eight folders
    for row in rows:
        assert row["bar"] is not None, f"{row['id']} has no bar"
        label_top, label_bottom, label_right = row["label"]
        bar_top, bar_bottom, bar_left = row["bar"]
        assert label_top <= bar_top, row
        assert bar_bottom <= label_bottom, row
        assert abs((label_top + label_bottom) / 2 - (bar_top + bar_bottom) / 2) <= 1, row
        assert bar_left >= label_right, row  # bars to the right of the tree column
    tops = [row["label"][0] for row in rows]
    assert tops == sorted(tops)

    page.locator('.tree-folder[data-path="/researcher"]').click()
    for request_id in ("sup-r2", "sup-r3", "sup-r4", "sup-r5"):
        expect(page.locator(f'[data-bar-for="{request_id}"]')).to_be_hidden()
    expect(page.locator('[data-bar-for="sup-r6"]')).to_be_visible()


def test_a_failed_calls_response_says_it_raised_and_shows_the_error(page: Any, seeded: Any) -> None:
    """No response from a failed call is explained by its exception, not as "omitted"."""
    page.goto(f"{seeded.url}/#/sessions/sup-1?request=sup-r4")
    response = page.locator('.drawer [data-body="response"]')
    expect(response).to_contain_text("the call raised TimeoutError")
    expect(response).to_contain_text("search backend timed out after 0.8 s")
    expect(response).not_to_contain_text("omitted")
    expect(response).not_to_contain_text("no answer yet")

    page.locator('.tree-leaf[data-request-id="sup-r7"]').click()
    expect(response).to_contain_text("the call was interrupted")
    expect(response).not_to_contain_text("omitted")


def test_p95_bars_keep_typical_paths_readable_beside_an_outlier(page: Any, seeded: Any) -> None:
    """One 8 s path does not squash the 200-400 ms bars: they use the track, and the 8 s
    bar is cut at the scale's end, marked, with its value written out."""
    page.goto(f"{seeded.url}/#/paths?session_name=outlier")
    expect(page.locator("tbody tr[data-path]")).to_have_count(6)

    def fill(path: str) -> float:
        cell = page.locator(f'tr[data-path="{path}"] td.col-p95_latency_ms')
        track = cell.locator(".bar-track").bounding_box()
        bar = cell.locator(".bar-fill").bounding_box()
        assert track is not None
        assert bar is not None
        return bar["width"] / track["width"]

    for path, ms in TYPICAL_P95_MS.items():
        assert fill(path) == pytest.approx(ms / max(TYPICAL_P95_MS.values()), abs=0.05), path
    slow = page.locator('tr[data-path="/slow"] td.col-p95_latency_ms')
    expect(slow).to_contain_text("8.00 s")
    expect(slow.locator(".bar-cell")).to_have_class(re.compile(r"\bis-beyond\b"))
    expect(slow.locator(".bar-beyond")).to_have_text("⟫")
    assert fill("/slow") == 1
    expect(page.locator(".scale-note")).to_have_text(
        "p95 bars share a scale up to 400 ms; longer ones are cut and marked ⟫."
    )
