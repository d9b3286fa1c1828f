"""The collector the schemathesis tests fuzz: keyed, seeded, without a rate limit."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from agenttrace.records import Record
from agenttrace.server import create_app
from agenttrace.server.store import SqlStore, Store

PROJECT = "fuzz"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
"""Every answer: no 5xx, and status, content type, headers and body as documented."""


def fuzz_settings(variable: str, default: int) -> settings:
    """Hypothesis settings: ``variable`` (or ``default``) examples per endpoint."""
    return settings(
        max_examples=int(os.environ.get(variable, str(default))),
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


def seeded_app(store: Store) -> tuple[FastAPI, str]:
    """The app over ``store`` (keys required) holding a few records, and a key for them."""
    assert isinstance(store, SqlStore)
    key = store.key_store().create_key(PROJECT).secret
    t0 = datetime(2025, 5, 1, 12, tzinfo=UTC)
    store.ingest(
        PROJECT,
        [
            Record(
                id=f"r{i}",
                session_id=f"s{i % 2}",
                session_name="fuzzing",
                session_path=f"/agent/tools/t{i}",
                kind="llm" if i % 2 else "tool",
                start_time=t0 + timedelta(seconds=i),
                end_time=t0 + timedelta(seconds=i + 1),
                user_id="u1",
                properties={"env": "test"},
                usage={"input_tokens": 10, "output_tokens": 5},
                cost_usd=0.01,
                request={"messages": [{"role": "user", "content": "<script>alert(1)</script>"}]},
                response={"content": "ok"},
                status="error" if i == 3 else "ok",
                error={"type": "ValueError", "message": "bad"} if i == 3 else None,
            )
            for i in range(6)
        ],
    )
    return create_app(store, rate_limit=None, alert_interval=None), key
