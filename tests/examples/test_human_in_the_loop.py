"""examples/agents/human_in_the_loop.py: interrupt, resume, one session, linked attempts."""

from __future__ import annotations

from typing import Any

import human_in_the_loop

from agenttrace.records import Status

from .helpers import Traced

EXPECTED = [
    ("/agent", "llm", "ok", 1),
    ("/tools/send_email", "tool", "interrupted", 1),
    ("/tools/send_email", "human", "ok", 1),  # the question, answered
    ("/tools/send_email", "tool", "ok", 2),
    ("/agent", "llm", "ok", 1),
]


def attempts(detail: Any) -> list[tuple[str, str, str, int]]:
    """``(path, kind, status, attempt)`` of each request, in time order."""
    return [(r.session_path, r.kind.value, r.status.value, r.attempt) for r in detail.requests]


def test_interrupt_and_resume_are_one_session(traced: Traced) -> None:
    """The thread id is the session; the interrupted call and its resumed attempt are in it."""
    thread_id = human_in_the_loop.run(thread_id="hitl-approve")
    assert thread_id == "hitl-approve"
    detail = traced.session(thread_id)
    assert attempts(detail) == EXPECTED
    session = detail.session
    assert (session.session_name, session.status, session.error_count) == (
        "human-in-the-loop",
        "ok",
        0,
    )
    paused, question, resumed = [
        r for r in detail.requests if r.session_path == "/tools/send_email"
    ]
    assert question.request_body["question"]["question"] == "Send this email?"
    assert question.response_body == {"answer": {"approved": True, "reason": "approved"}}
    assert question.latency_ms is not None
    assert question.end_time is not None
    assert paused.error is not None
    assert "Send this email?" in paused.error.message
    assert paused.status is Status.INTERRUPTED
    assert paused.request_body == resumed.request_body
    assert "sent to team@example.com" in str(resumed.response_body)


def test_declined_email_is_not_sent(traced: Traced) -> None:
    """A reviewer saying no resumes the same call, which then reports it did not send."""
    seen: list[dict[str, Any]] = []

    def decline(pending: dict[str, Any]) -> bool:
        seen.append(pending)
        return False

    detail = traced.session(human_in_the_loop.run(decline, thread_id="hitl-decline"))
    assert attempts(detail) == EXPECTED
    assert seen == [
        {
            "question": "Send this email?",
            "to": "team@example.com",
            "subject": "Offsite moves to Friday",
        }
    ]
    question, resumed = [r for r in detail.requests if r.session_path == "/tools/send_email"][1:]
    assert question.response_body == {"answer": {"approved": False, "reason": "declined by human"}}
    assert "not sent: the reviewer declined" in str(resumed.response_body)
