"""Questions to a human (kind ``human``) in the store, on every backend: the question and
its answer are one record whatever order and batch they come in; a session with an
unanswered question is waiting (the inbox); a human's wait is not a latency."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from agenttrace.core.human import INTERRUPT_ID_PROPERTY, OPEN_QUESTION, human_record_id
from agenttrace.records import Record
from agenttrace.server.store import (
    PathQuery,
    RequestQuery,
    SessionQuery,
    Store,
    request_filter,
    session_filter,
)

PROJECT = "default"
T0 = datetime(2025, 3, 1, 10, 0, 0, tzinfo=UTC)


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def _llm(rid: str, sid: str, start_s: float, latency_ms: float, status: str = "ok") -> Record:
    start = _at(start_s)
    return Record(
        id=rid,
        status=status,
        kind="llm",
        session_id=sid,
        session_path="/agent",
        start_time=start,
        end_time=start + timedelta(milliseconds=latency_ms),
    )


def _part(sid: str, interrupt_id: str, **fields: Any) -> Record:
    return Record(
        id=human_record_id(sid, interrupt_id),
        kind="human",
        session_id=sid,
        properties={INTERRUPT_ID_PROPERTY: interrupt_id},
        **fields,
    )


def _question(sid: str, interrupt_id: str, asked_s: float) -> Record:
    return _part(
        sid,
        interrupt_id,
        session_path="/agent/approve",
        name="approve",
        status="interrupted",
        start_time=_at(asked_s),
        request={"question": {"action": "refund", "amount": 40}},
    )


def _answer(sid: str, interrupt_id: str, answered_s: float) -> Record:
    """What a second process knows: the interrupt id, the answer and when."""
    at = _at(answered_s)
    return _part(
        sid, interrupt_id, name="answer", start_time=at, end_time=at, response={"answer": "yes"}
    )


def _session(store: Store, sid: str) -> Any:
    detail = store.get_session(PROJECT, sid, include_bodies=True)
    assert detail is not None
    return detail


def _waiting(store: Store) -> list[str]:
    page = store.query_sessions(PROJECT, SessionQuery(filter=session_filter(status="waiting")))
    return [row.session_id for row in page.sessions]


def test_unanswered_question_makes_the_session_wait(store: Store) -> None:
    store.ingest(PROJECT, [_llm("l1", "s1", 0, 100), _question("s1", "i1", 1)])
    store.ingest(PROJECT, [_llm("l2", "s2", 0, 100)])
    detail = _session(store, "s1")
    assert detail.session.status == "waiting"
    assert detail.session.waiting_since == _at(1)
    assert INTERRUPT_ID_PROPERTY not in detail.session.properties  # the request's own
    assert _waiting(store) == ["s1"]
    human = [r for r in detail.requests if r.kind == "human"]
    assert [(r.status, r.session_path, r.end_time) for r in human] == [
        ("interrupted", "/agent/approve", None)
    ]
    assert human[0].request_body == {"question": {"action": "refund", "amount": 40}}
    ok = store.query_sessions(PROJECT, SessionQuery(filter=session_filter(status="ok")))
    assert [row.session_id for row in ok.sessions] == ["s2"]


@pytest.mark.parametrize("order", ["question first", "answer first", "one batch"])
def test_answer_completes_the_question(store: Store, order: str) -> None:
    question, answer = _question("s1", "i1", 1), _answer("s1", "i1", 61)
    if order == "question first":
        store.ingest(PROJECT, [_llm("l1", "s1", 0, 100), question])
        store.ingest(PROJECT, [answer])
    elif order == "answer first":
        store.ingest(PROJECT, [_llm("l1", "s1", 0, 100), answer])
        store.ingest(PROJECT, [question])
    else:
        store.ingest(PROJECT, [_llm("l1", "s1", 0, 100), question, answer])
    store.ingest(PROJECT, [answer, question])  # a retried batch changes nothing
    detail = _session(store, "s1")
    assert detail.session.status == "ok"
    assert detail.session.waiting_since is None
    assert _waiting(store) == []
    (human,) = [r for r in detail.requests if r.kind == "human"]
    assert human.status == "ok"
    assert human.session_path == "/agent/approve"  # the question's placement wins
    assert human.name == "approve"
    assert human.start_time == _at(1)
    assert human.latency_ms == 60_000.0
    assert human.request_body == {"question": {"action": "refund", "amount": 40}}
    assert human.response_body == {"answer": "yes"}
    # counted once; the wait is not a latency
    assert detail.session.request_count == 2
    assert detail.session.mean_latency_ms == 100.0
    assert detail.session.p95_latency_ms == 100.0
    assert detail.session.duration_ms == 61_000.0
    by_interrupt = request_filter(properties=[(INTERRUPT_ID_PROPERTY, "i1")])
    found = store.query_requests(PROJECT, RequestQuery(filter=by_interrupt))
    assert [r.id for r in found.requests] == [human_record_id("s1", "i1")]


def test_two_questions_one_answered_still_waits(store: Store) -> None:
    store.ingest(PROJECT, [_question("s1", "a", 1), _question("s1", "b", 2)])
    store.ingest(PROJECT, [_answer("s1", "a", 10)])
    detail = _session(store, "s1")
    assert detail.session.status == "waiting"
    assert detail.session.waiting_since == _at(2)
    store.ingest(PROJECT, [_answer("s1", "b", 30)])
    assert _session(store, "s1").session.status == "ok"


def test_waiting_wins_over_error(store: Store) -> None:
    failed = _llm("l1", "s1", 0, 100, status="error")
    store.ingest(PROJECT, [failed, _question("s1", "i1", 1)])
    assert _session(store, "s1").session.status == "waiting"
    assert _session(store, "s1").session.error_count == 1
    store.ingest(PROJECT, [_answer("s1", "i1", 5)])
    assert _session(store, "s1").session.status == "error"


def test_paths_show_human_wait_apart_from_latency(store: Store) -> None:
    store.ingest(
        PROJECT,
        [
            _llm("l1", "s1", 0, 100),
            _question("s1", "a", 1),
            _answer("s1", "a", 11),
            _question("s2", "b", 1),
            _answer("s2", "b", 31),
            _question("s3", "c", 1),  # never answered: no wait yet
        ],
    )
    rows = {row.path: row for row in store.query_paths(PROJECT, PathQuery())}
    approve = rows["/agent/approve"]
    assert approve.human_count == 3
    assert approve.p50_latency_ms is None
    assert approve.mean_latency_ms is None
    assert approve.human_wait_p50_ms is not None
    assert 10_000.0 <= approve.human_wait_p50_ms <= 30_000.0
    assert approve.human_wait_p95_ms is not None
    assert approve.human_wait_p95_ms >= approve.human_wait_p50_ms
    assert rows["/agent"].p50_latency_ms == 100.0
    assert rows["/agent"].human_count == 0


def test_answer_naming_no_interrupt_completes_the_open_question(store: Store) -> None:
    """A bare resume in another process: its answer completes the session's question that
    was open when it was given, not one asked later, nor another session's."""
    store.ingest(PROJECT, [_question("s1", "a", 1), _question("s2", "b", 1)])
    bare = _answer("s1", OPEN_QUESTION, 20)
    assert bare.id != human_record_id("s1", "a")
    store.ingest(PROJECT, [bare, _question("s1", "later", 30)])
    detail = _session(store, "s1")
    by_interrupt = {r.properties[INTERRUPT_ID_PROPERTY]: r for r in detail.requests}
    assert set(by_interrupt) == {"a", "later"}  # the bare answer is not stored apart
    assert by_interrupt["a"].status == "ok"
    assert by_interrupt["a"].latency_ms == 19_000.0
    assert by_interrupt["a"].response_body == {"answer": "yes"}
    assert by_interrupt["later"].status == "interrupted"
    assert detail.session.waiting_since == _at(30)
    assert _session(store, "s2").session.status == "waiting"
    assert _session(store, "s1").session.request_count == 2


def test_answer_naming_no_interrupt_answers_a_question_of_its_batch(store: Store) -> None:
    """A question and a bare resume's answer sent together (OTLP: both runs in one
    export), the answer first: the question is stored first and answered."""
    store.ingest(PROJECT, [_answer("s1", OPEN_QUESTION, 20), _question("s1", "a", 1)])
    (answered,) = _session(store, "s1").requests
    assert answered.properties[INTERRUPT_ID_PROPERTY] == "a"
    assert (answered.status, answered.latency_ms) == ("ok", 19_000.0)
    assert answered.response_body == {"answer": "yes"}


def test_answer_naming_no_interrupt_with_nothing_open_is_kept(store: Store) -> None:
    store.ingest(PROJECT, [_answer("s1", OPEN_QUESTION, 20)])
    (kept,) = _session(store, "s1").requests
    assert (kept.kind, kept.status) == ("human", "ok")


def test_metrics_show_human_wait_apart_from_latency(store: Store) -> None:
    """GET /v1/metrics: a path's latency percentiles leave the questions out; their
    answered waits have percentiles of their own."""
    from agenttrace.server.store.metrics import Dimension, MetricsQuery

    store.ingest(
        PROJECT,
        [
            _llm("l1", "s1", 0, 100),
            _question("s1", "a", 1),
            _answer("s1", "a", 61),
            _question("s2", "b", 1),  # never answered: no wait yet
        ],
    )
    result = store.query_metrics(PROJECT, MetricsQuery(group_by=(Dimension.PATH,)))
    rows = {row.key["path"]: row for row in result.groups}
    error = result.percentile_relative_error
    approve = rows["/agent/approve"]
    assert approve.requests == 2
    assert approve.latency_p50_ms is None
    assert approve.human_wait_p50_ms == pytest.approx(60_000.0, rel=error)
    agent = rows["/agent"]
    assert agent.latency_p50_ms == pytest.approx(100.0, rel=error)
    assert agent.human_wait_p50_ms is None


def test_a_session_rebuilt_from_its_records_keeps_questions_out_of_latency(store: Store) -> None:
    """OTLP ingest rebuilds a session from its records when records move between sessions
    (`otlp_spans.rebuild_sessions`); the rebuilt session must be the one ingest built: a
    human's wait out of the mean latency, the interrupt id not a session property."""
    from agenttrace.server.store import SqlStore
    from agenttrace.server.store.otlp_spans import rebuild_sessions

    assert isinstance(store, SqlStore)
    store.ingest(PROJECT, [_llm("l1", "s1", 0, 100), _question("s1", "i1", 1)])
    store.ingest(PROJECT, [_answer("s1", "i1", 61)])
    ingested = _session(store, "s1").session
    with store._write() as conn:
        rebuild_sessions(conn, store.dialect, PROJECT, ["s1"], 0)
    rebuilt = _session(store, "s1").session
    assert ingested.mean_latency_ms == 100.0
    assert INTERRUPT_ID_PROPERTY not in ingested.properties
    assert rebuilt.mean_latency_ms == ingested.mean_latency_ms
    assert rebuilt.properties == ingested.properties
    assert rebuilt.request_count == ingested.request_count == 2
