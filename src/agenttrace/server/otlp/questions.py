"""Questions to a human from spans: a LangGraph interrupt asked, a ``Command(resume=...)``.

The same ``human`` records the handler sends (`agenttrace.core.human`), read off spans:

* a span whose ``exception`` event is a ``GraphInterrupt`` asks each interrupt its message
  names (``(Interrupt(value=..., id='<hex>'),)``, the exception's repr, read as Python
  literals): a question at the span's place (a tool's: its path; a node's: the node's), what
  was asked under ``request["question"]``, asked when the span ended, no end time. The
  interrupt bubbles up through every enclosing span: all of them give the same question,
  under one link per interrupt and trace (``interrupt:<id>``), so the first span that
  arrives (the innermost: spans are exported when they end) places it and the others are
  duplicates;
* a span whose input is a LangGraph ``Command`` with ``resume`` (OpenInference's
  ``input.value``, Traceloop's ``traceloop.entity.input``) answers: each interrupt it names
  (``{"<interrupt id>": answer}``), else the session's open questions (`OPEN_QUESTION`),
  answered when the span started. An answer's link has no parent: it is never placed
  again, so the question's place (its own link's) is the one the record keeps.

The record's id comes from the session, so only a span that names its session itself
(``session.id``, LangGraph's ``thread_id``: an interrupted graph has a thread) gives these
records; its placement keeps that session whatever ancestors arrive later. An interrupt
whose message carries no id (langgraph before 0.4) is not read, nor are agenttrace's own
spans (its exporter sends the handler's human records as spans of their own).
"""

from __future__ import annotations

import ast
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from agenttrace.core.human import (
    ANSWER_KEY,
    INTERRUPT_ID_PROPERTY,
    OPEN_QUESTION,
    QUESTION_KEY,
    human_record_id,
)
from agenttrace.core.outcome import status_of_type_name
from agenttrace.records import Record, RecordKind, Status
from agenttrace.server.otlp.agenttrace_spans import PATH as OWN_PATH
from agenttrace.server.otlp.decoding import OtlpSpan
from agenttrace.server.otlp.reading import parse_json
from agenttrace.server.store.otlp_spans import SpanLink

__all__ = ["asked_interrupts", "human_parts", "resume_value"]

_MAX_MESSAGE = 100_000
_COMMAND_KEYS = frozenset({"graph", "update", "resume", "goto"})
_INPUTS = ("input.value", "traceloop.entity.input")


def _time(ns: int) -> datetime:
    return datetime.fromtimestamp(ns / 1e9, tz=UTC)


def _interrupt(call: ast.expr, message: str) -> tuple[str, Any] | None:
    """The id and value of one ``Interrupt(value=..., id=...)`` call, else None."""
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)):
        return None
    if call.func.id != "Interrupt":
        return None
    keywords = {keyword.arg: keyword.value for keyword in call.keywords}
    found = keywords.get("id")
    if not (isinstance(found, ast.Constant) and isinstance(found.value, str) and found.value):
        return None
    node = keywords.get("value")
    value: Any = None
    if node is not None:
        try:
            value = ast.literal_eval(node)
        except (ValueError, TypeError, SyntaxError, RecursionError):
            value = ast.get_source_segment(message, node)  # not a literal: its repr
    return found.value, value


def asked_interrupts(span: OtlpSpan) -> list[tuple[str, Any]]:
    """The (interrupt id, value) pairs of the ``GraphInterrupt`` ``span`` recorded."""
    for name, attributes in span.events:
        if name != "exception":
            continue
        kind = attributes.get("exception.type")
        message = attributes.get("exception.message")
        if not isinstance(kind, str) or status_of_type_name(kind) is not Status.INTERRUPTED:
            continue
        if not isinstance(message, str) or len(message) > _MAX_MESSAGE:
            continue
        try:
            tree = ast.parse(message.strip(), mode="eval").body
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        calls = tree.elts if isinstance(tree, ast.Tuple | ast.List) else [tree]
        found = [pair for call in calls if (pair := _interrupt(call, message)) is not None]
        if found:
            return found
    return []


_NO_RESUME = object()


def resume_value(span: OtlpSpan) -> Any:
    """What a ``Command(resume=...)`` given as ``span``'s input answers, else `_NO_RESUME`."""
    for key in _INPUTS:
        value = parse_json(span.attributes.get(key))
        if isinstance(value, dict) and key == "traceloop.entity.input":
            value = value.get("inputs")
        if (
            isinstance(value, dict)
            and "resume" in value
            and set(value) <= _COMMAND_KEYS
            and value["resume"] is not None
        ):
            return value["resume"]
    return _NO_RESUME


def _looks_like_id(key: object) -> bool:
    return isinstance(key, str) and len(key) == 32 and all(c in "0123456789abcdef" for c in key)


def _human(session_id: str, interrupt_id: str, record_id: str, **fields: Any) -> Record:
    return Record(
        id=record_id,
        kind=RecordKind.HUMAN,
        session_id=session_id,
        properties={INTERRUPT_ID_PROPERTY: interrupt_id},
        **fields,
    )


def human_parts(
    span: OtlpSpan, link: SpanLink, record: Record | None
) -> list[tuple[SpanLink, Record]]:
    """The questions ``span`` asks and the answers it gives, each with its own link
    (``link`` and ``record`` are the span's own)."""
    session_id = link.session_id
    if session_id is None or OWN_PATH in span.attributes:
        return []  # agenttrace's own spans carry its human records already
    parts = [_question(span, link, record, *asked) for asked in asked_interrupts(span)]
    resume = resume_value(span) if link.record_id is None else _NO_RESUME
    if resume is not _NO_RESUME:
        parts.extend(_answers(span, session_id, resume))
    return parts


def _question(
    span: OtlpSpan, link: SpanLink, record: Record | None, interrupt_id: str, value: Any
) -> tuple[SpanLink, Record]:
    """The question, placed as the span's record would be (a record span: beside it, with
    its segment; a node: below it, so that the node is on its path)."""
    session_id = link.session_id or span.trace_id  # named: `human_parts` checked
    record_id = human_record_id(session_id, interrupt_id)
    key = f"interrupt:{interrupt_id}"
    if record is not None:
        placed = replace(link, span_id=key, session_id=session_id, record_id=record_id)
        name = record.name
    else:
        placed = SpanLink(
            trace_id=link.trace_id,
            span_id=key,
            parent_span_id=link.span_id,
            session_id=session_id,
            record_id=record_id,
        )
        name = (link.graph_node or span.name)[:500]
    asked = _time(max(span.end_ns, span.start_ns))
    question = _human(
        session_id,
        interrupt_id,
        record_id,
        name=name,
        user_id=record.user_id if record is not None else None,
        start_time=asked,
        end_time=None,
        status=Status.INTERRUPTED,
        request={QUESTION_KEY: value},
    )
    return placed, question


def _answers(span: OtlpSpan, session_id: str, resume: Any) -> list[tuple[SpanLink, Record]]:
    """The answers of a resume: one per interrupt it names, else one to the open ones."""
    if isinstance(resume, dict) and resume and all(_looks_like_id(key) for key in resume):
        named = [
            (str(key), value, human_record_id(session_id, key)) for key, value in resume.items()
        ]
    else:
        open_id = human_record_id(session_id, OPEN_QUESTION + span.span_id)
        named = [(OPEN_QUESTION, resume, open_id)]
    answered = _time(span.start_ns)
    parts = []
    for interrupt_id, value, record_id in named:
        link = SpanLink(
            trace_id=span.trace_id,
            span_id=f"{span.span_id}/answer/{interrupt_id}",
            parent_span_id=None,
            session_id=session_id,
            record_id=record_id,
        )
        answer = _human(
            session_id,
            interrupt_id,
            record_id,
            name="answer",
            start_time=answered,
            end_time=answered,
            status=Status.OK,
            response={ANSWER_KEY: value},
        )
        parts.append((link, answer))
    return parts
