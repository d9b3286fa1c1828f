"""Questions to a human (kind ``human`` records): their ids and what they carry.

A graph that pauses on an interrupt asks a question; whoever resumes it (another process,
hours later) answers it. Both ends send a record with the same id, derived from the
session and the interrupt's id, so that the collector completes the question it already
has (or keeps the answer until the question arrives): the question brings the path, the
asked time and what was asked; the answer brings the answered time and the answer.
"""

from __future__ import annotations

import uuid

__all__ = [
    "ANSWER_KEY",
    "INTERRUPT_ID_PROPERTY",
    "OPEN_QUESTION",
    "QUESTION_KEY",
    "human_record_id",
]

INTERRUPT_ID_PROPERTY = "agenttrace.interrupt_id"
"""The record property holding the interrupt's id (kept when bodies are not sent)."""
OPEN_QUESTION = "*"
"""The interrupt id of an answer that names no interrupt (LangGraph's bare
``Command(resume=...)``, allowed while one question is pending) sent by a process that did
not see the question asked: it answers the session's questions still open when it was
given (the collector completes them; it is stored on its own only when none is)."""
QUESTION_KEY = "question"
"""The key of what was asked in a human record's request body."""
ANSWER_KEY = "answer"
"""The key of the answer in a human record's response body."""

_NAMESPACE = uuid.UUID("0c6f3a4e-5d1b-4c55-9a53-6e7f1d2b9a10")


def human_record_id(session_id: str, interrupt_id: str) -> str:
    """The id of the record of interrupt ``interrupt_id`` in ``session_id``: the same in
    every process (a UUIDv5 of both), so the question and its answer are one record.

    >>> human_record_id("s1", "abc") == human_record_id("s1", "abc")
    True
    >>> human_record_id("s1", "abc") == human_record_id("s2", "abc")
    False
    """
    return str(uuid.uuid5(_NAMESPACE, f"{session_id}\x00{interrupt_id}"))
