"""An interrupted span becomes the handler's question to a human; the resumed run answers it.

The human-in-the-loop fixtures (a real LangGraph interrupt / resume, recorded from
OpenInference and OpenLLMetry) hold two traces of one thread: the run that asks (the
``send_email`` tool raises ``GraphInterrupt``) and the run resumed with
``Command(resume=...)``. Posted to a real collector, the first makes an open question (the
session waits), the second completes it with the answer.
"""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, Span

from agenttrace.core.human import INTERRUPT_ID_PROPERTY
from agenttrace.query import QueryClient, RequestRow, SessionDetail
from agenttrace.server.testing import RunningCollector

from .test_replay import PROTOBUF, _batch, _fresh, _spans

QUESTION = {
    "question": "Send this email?",
    "to": "team@example.com",
    "subject": "Offsite moves to Friday",
}
ANSWER = {"approved": True, "reason": "approved"}
INSTRUMENTORS = ["openinference", "openllmetry"]

Pairs = list[tuple[ResourceSpans, Span]]


def _two_runs(instrumentor: str) -> tuple[Pairs, Pairs, str]:
    """The asking run's spans, the resumed run's spans (new ids) and their session."""
    request, session = _fresh(f"human_in_the_loop-{instrumentor}.pb")
    pairs = _spans(request)
    first = min(pairs, key=lambda pair: pair[1].start_time_unix_nano)[1].trace_id
    asking = [pair for pair in pairs if pair[1].trace_id == first]
    resumed = [pair for pair in pairs if pair[1].trace_id != first]
    assert asking
    assert resumed
    return asking, resumed, session


def _post(url: str, pairs: Pairs) -> None:
    httpx.post(f"{url}/v1/traces", content=_batch(pairs), headers=PROTOBUF).raise_for_status()


def _session(url: str, session: str) -> tuple[SessionDetail, RequestRow]:
    with QueryClient(url) as client:
        detail = client.session(session)
        humans = [r for r in detail.requests if r.kind.value == "human"]
        assert len(humans) == 1, humans
        return detail, client.request(humans[0].id)


def _interrupt_id(pairs: Pairs) -> str:
    for _, span in pairs:
        for event in span.events:
            for attribute in event.attributes:
                if attribute.key == "exception.message":
                    return attribute.value.string_value.split("id='")[1][:32]
    raise AssertionError("no interrupt in the asking run")


def _resumed_at(pairs: Pairs) -> datetime:
    """The start of the span given the ``Command(resume=...)`` (the graph's run)."""
    start = min(
        span.start_time_unix_nano
        for _, span in pairs
        if any('"resume": {' in a.value.string_value for a in span.attributes)
    )
    return datetime.fromtimestamp(start / 1e9, tz=UTC)


@pytest.mark.parametrize("instrumentor", INSTRUMENTORS)
def test_interrupt_asks_and_the_resume_answers(
    otlp_collector: RunningCollector, instrumentor: str
) -> None:
    """The asking run: one open question at the tool's path, the session waiting. The
    resumed run (a later export): the same question, answered at the resume's start."""
    asking, resumed, session = _two_runs(instrumentor)
    _post(otlp_collector.url, asking)
    detail, question = _session(otlp_collector.url, session)
    assert detail.session.status == "waiting"
    assert (question.session_path, question.name) == ("/tools/send_email", "send_email")
    assert (question.status.value, question.end_time) == ("interrupted", None)
    assert question.request_body == {"question": QUESTION}
    assert question.properties[INTERRUPT_ID_PROPERTY] == _interrupt_id(asking)

    _post(otlp_collector.url, resumed)
    detail, answered = _session(otlp_collector.url, session)
    assert detail.session.status == "ok"
    assert answered.id == question.id
    assert answered.status.value == "ok"
    assert answered.end_time == _resumed_at(resumed)
    assert answered.start_time == question.start_time
    assert answered.session_path == "/tools/send_email"
    assert (answered.request_body, answered.response_body) == (
        {"question": QUESTION},
        {"answer": ANSWER},
    )


@pytest.mark.parametrize("instrumentor", INSTRUMENTORS)
def test_question_is_placed_when_its_ancestors_arrive(
    otlp_collector: RunningCollector, instrumentor: str
) -> None:
    """The asking run sent one span per export, children first (the tool before its node),
    and both runs in one export, give the same answered question as one export per run."""
    asking, resumed, session = _two_runs(instrumentor)
    for pair in sorted(asking, key=lambda pair: -pair[1].start_time_unix_nano):
        _post(otlp_collector.url, [pair])
    _post(otlp_collector.url, resumed)
    _, one_by_one = _session(otlp_collector.url, session)

    asking, resumed, session = _two_runs(instrumentor)
    _post(otlp_collector.url, asking + resumed)
    _, together = _session(otlp_collector.url, session)
    for answered in (one_by_one, together):
        assert (answered.session_path, answered.status.value) == ("/tools/send_email", "ok")
        assert answered.response_body == {"answer": ANSWER}
        assert answered.end_time is not None
