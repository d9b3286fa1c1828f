"""A LangGraph run traced by OpenInference or OpenLLMetry, sent over OTLP, gives the same
paths, statuses and tokens as the same run traced by agenttrace's handler.

Each test runs one example graph (supervisor, ``Send`` fan-out, interrupt / resume) once
with the instrumentor and the handler attached to the same run; the spans go to a real
collector as the protobuf exporter sends them, the handler's records are its own.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections import Counter

import httpx
import pytest

from agenttrace.query import QueryClient
from agenttrace.records import RecordKind
from agenttrace.server.testing import RunningCollector

from .capture import INSTRUMENTORS, SCENARIOS, capture, encode_protobuf
from .conftest import shape

TRACED_KINDS = {RecordKind.LLM, RecordKind.TOOL, RecordKind.HUMAN}
"""What the instrumentors trace (the examples' ManualLogger calls are not spans); a question
to a human is read off the interrupted span and the resumed run's input."""


CHILD = "AGENTTRACE_TEST_OTLP_CHILD"
"""Set in the child pytest that runs an OpenLLMetry case on its own (see below)."""


@pytest.mark.parametrize("instrumentor", INSTRUMENTORS)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_otlp_run_matches_the_handler(
    otlp_collector: RunningCollector,
    scenario: str,
    instrumentor: str,
    request: pytest.FixtureRequest,
) -> None:
    """Same (path, kind, status, tokens) multiset from the spans as from the handler (the
    interrupt / resume run: the same question to a human, answered).

    OpenLLMetry's LangChain patch outlives its ``uninstrument`` and changes how later
    tests' async streams end, so its cases run in a child pytest of their own.
    """
    if instrumentor == "openllmetry" and not os.environ.get(CHILD):
        child = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", request.node.nodeid],
            cwd=request.config.rootpath,
            env={**os.environ, CHILD: "1"},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert child.returncode == 0, child.stdout + child.stderr
        return
    thread_id = f"{scenario}-{uuid.uuid4()}"
    captured = capture(scenario, instrumentor, thread_id=thread_id)
    answer = httpx.post(
        f"{otlp_collector.url}/v1/traces",
        content=encode_protobuf(captured.spans),
        headers={"Content-Type": "application/x-protobuf"},
    )
    assert answer.status_code == 200, answer.text
    with QueryClient(otlp_collector.url) as client:
        stored = client.session(thread_id).requests
    expected = Counter(
        (
            r.session_path,
            r.kind.value,
            r.status.value,
            r.usage.input_tokens if r.usage else None,
            r.usage.output_tokens if r.usage else None,
        )
        for r in {r.id: r for r in captured.records}.values()  # a question's last part
        if r.kind in TRACED_KINDS and r.session_id == thread_id
    )
    assert expected, "the handler recorded nothing"
    assert shape(stored) == expected
