"""Fixtures for the Helicone-compatibility tests.

* ``log_body``: builds the body ``helicone_helpers.HeliconeManualLogger.send_log`` posts
  (same keys, same ``_type`` / ``toolName`` echo into the response json, same timing
  split into seconds and milliseconds).
* ``helicone_collector``: one real collector for a test module (uvicorn on 127.0.0.1,
  SQLite in a temporary directory); tests use their own session ids.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from agenttrace.server.testing import RunningCollector, running_collector

LogBody = Callable[..., dict[str, Any]]


def _time(moment: float) -> dict[str, int]:
    return {"seconds": int(moment), "milliseconds": int((moment - int(moment)) * 1000)}


def build_log_body(
    request: dict[str, Any],
    response: dict[str, Any] | str,
    *,
    start: float = 1_700_000_000.25,
    end: float = 1_700_000_001.5,
    ttft: float | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The body ``HeliconeManualLogger.send_log`` sends for ``request`` and ``response``."""
    is_text = isinstance(response, str)
    return {
        "providerRequest": {"url": "custom-model-nopath", "json": {**request}, "meta": {}},
        "providerResponse": {
            "headers": headers or {},
            "status": status,
            "json": {}
            if is_text
            else {
                **response,  # type: ignore[dict-item]
                "_type": request.get("_type", "unknown"),
                "toolName": request.get("toolName", "unknown"),
            },
            "textBody": response if is_text else None,
        },
        "timing": {"startTime": _time(start), "endTime": _time(end), "timeToFirstToken": ttft},
    }


@pytest.fixture
def log_body() -> LogBody:
    """`build_log_body`: a manual-logger body for a request and its response."""
    return build_log_body


@pytest.fixture(scope="module")
def helicone_collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCollector]:
    """A real collector shared by one test module."""
    data_dir: Path = tmp_path_factory.mktemp("helicone-collector")
    with running_collector(data_dir=data_dir) as running:
        yield running
