"""The dashboard against a real collector with API keys: it asks for a key (showing the
collector's own 401 sentence), then shows that key's project only, and stored markup stays
text. Headless Chromium; skipped without it (failed under CI=true)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from agenttrace.server.testing import running_collector

from .conftest import MakeRecord, bearer, headless_chromium, keys_of

pytestmark = pytest.mark.browser

PAYLOAD = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Headless Chromium through Playwright."""
    with headless_chromium() as browser:
        yield browser


def test_the_dashboard_asks_for_a_key_and_shows_only_its_project(
    chromium: Any, tmp_path: Path, record: MakeRecord
) -> None:
    """No key: the dialog shows the collector's 401 sentence. alpha's key: alpha's sessions,
    none of beta's; alpha's markup payloads are shown as text and never run."""
    from playwright.sync_api import expect

    with running_collector(data_dir=tmp_path, rate_limit=None) as collector:
        keys = keys_of(collector)
        alpha, beta = keys.create_key("alpha").secret, keys.create_key("beta").secret
        for key, records in (
            (alpha, [record("a-1", "alpha-run", session_name=PAYLOAD, request={"q": PAYLOAD})]),
            (beta, [record("b-1", "beta-run", session_name="beta's secret run")]),
        ):
            answer = httpx.post(
                f"{collector.url}/v1/records", json={"records": records}, headers=bearer(key)
            )
            assert answer.json()["accepted"] == 1
        context = chromium.new_context()
        context.set_default_timeout(15_000)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("dialog", lambda dialog: (errors.append(dialog.message), dialog.dismiss()))
        try:
            page.goto(f"{collector.url}/")
            dialog = page.get_by_role("dialog", name="API key needed")
            expect(dialog).to_be_visible()
            expect(dialog).to_contain_text("this collector needs an API key")
            dialog.get_by_label("API key").fill(alpha)
            dialog.get_by_role("button", name="Use this key").click()
            rows = page.locator("tbody tr[data-session-id]")
            expect(rows).to_have_count(1)
            expect(rows.first).to_have_attribute("data-session-id", "alpha-run")
            expect(page.get_by_text(PAYLOAD).first).to_be_visible()
            assert "beta's secret run" not in page.content()
            assert page.evaluate("window.__xss ?? null") is None
        finally:
            context.close()
    assert errors == []
