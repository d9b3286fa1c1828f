"""A finished run's record, handed to the process-wide tracer to be built later.

On the callback's thread, only what the run's end decides is taken: its end time and
status, and the bodies that hold the user's own objects (a tool's result, retrieved
documents, the messages of a failed call), which the user's code may change once the run
has ended (a reranker writing scores into the documents' metadata). The rest is made from
the run's state when the tracer's worker builds the record (`emit_later`): its fields,
and for a model call its usage, price and messages (as LangChain hands them over, as since
0.4), so the user's graph does not wait for them. That state no longer changes: a run's
state leaves the run store when the run ends, before its record is queued.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from langchain_core.messages import BaseMessage

from agenttrace.instrumentation import (
    ErrorInfo,
    Record,
    RecordFields,
    RecordKind,
    Status,
    Usage,
    compute_cost,
    emit_later,
    new_record,
    provider_id,
    report_internal_error,
)
from agenttrace_langchain.run_state import RunState, record_id_text
from agenttrace_langchain.serialize import (
    documents_payload,
    jsonable,
    message_payload,
    messages_payload,
    tool_output_payload,
)
from agenttrace_langchain.tokens import served_model, usage_from_llm_end

__all__ = [
    "Bodies",
    "LLMOutcome",
    "emit_llm_record",
    "emit_record",
    "failed_llm_bodies",
    "failed_retriever_bodies",
    "failed_tool_bodies",
    "llm_outcome",
    "retriever_bodies",
    "tool_bodies",
]

Bodies = Callable[[RunState], tuple[Any, Any]]
"""Gives an ended run's request and response bodies from its state."""

_WHERE = "the LangChain handler"


@dataclass(frozen=True, slots=True)
class LLMOutcome:
    """What an LLM record needs from ``on_llm_end``, its bodies apart."""

    model: str | None
    usage: Usage | None
    cost: float | None


def _request(state: RunState) -> dict[str, Any]:
    request: dict[str, Any] = {}
    if state.model:
        request["model"] = state.model
    payload = state.payload
    if payload and isinstance(payload[0], list):
        request["messages"] = messages_payload(payload)
    else:
        request["prompts"] = jsonable(payload)
    params = state.invocation_params
    if isinstance(params, Mapping):
        request["invocation_params"] = {
            str(k): jsonable(v) for k, v in params.items() if k != "_type"
        }
    return request


def _response(generation: Any, message: Any) -> dict[str, Any] | None:
    if isinstance(message, BaseMessage):
        response = message_payload(message)
    elif generation is not None:
        response = {"text": getattr(generation, "text", None)}
    else:
        return None
    metadata = getattr(message, "response_metadata", None) or {}
    info = getattr(generation, "generation_info", None) or {}
    finish = metadata.get("finish_reason") or metadata.get("stop_reason")
    finish = finish or info.get("finish_reason")
    if finish:
        response["finish_reason"] = finish
    return response


def _first_generation(result: Any) -> tuple[Any, Any, Any]:
    """The first generation of an ``LLMResult``, its message and the ``llm_output``."""
    generation = message = llm_output = None
    if result is not None:
        generations = getattr(result, "generations", None)
        if generations and generations[0]:
            generation = generations[0][0]
            message = getattr(generation, "message", None)
        llm_output = getattr(result, "llm_output", None)
    return generation, message, llm_output


def llm_outcome(state: RunState, result: Any) -> LLMOutcome:
    """Usage, served model and cost from an ``LLMResult`` (None on errors)."""
    generation, message, llm_output = _first_generation(result)
    info = getattr(generation, "generation_info", None)
    usage = usage_from_llm_end(message, llm_output)
    model = served_model(message, info, llm_output) or state.model
    return LLMOutcome(
        model=model,
        usage=usage,
        cost=compute_cost(model, provider_id(state.provider), usage),
    )


def _model_call_bodies(state: RunState, result: Any) -> tuple[Any, Any]:
    """A model call's request and response bodies."""
    generation, message, _ = _first_generation(result)
    response = _response(generation, message) if result is not None else None
    return _request(state), response


def failed_llm_bodies(state: RunState) -> tuple[Any, Any]:
    """A failed model call's request (its messages or prompts) and no response."""
    return _request(state), None


def failed_tool_bodies(state: RunState) -> tuple[Any, Any]:
    """A failed tool's input and no output."""
    return {"input": jsonable(state.payload)}, None


def tool_bodies(output: Any, state: RunState) -> tuple[Any, Any]:
    """A tool's input and its ``output`` (``partial(tool_bodies, output)`` is `Bodies`)."""
    return {"input": jsonable(state.payload)}, {"output": tool_output_payload(output)}


def failed_retriever_bodies(state: RunState) -> tuple[Any, Any]:
    """A failed retriever's query and no documents."""
    return {"query": state.payload}, None


def retriever_bodies(documents: Sequence[Any], state: RunState) -> tuple[Any, Any]:
    """A retriever's query and the ``documents`` it found."""
    return {"query": state.payload}, {"documents": documents_payload(documents)}


def _utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


def _fields(
    state: RunState, kind: RecordKind, status: Status, error: ErrorInfo | None, ended: float
) -> RecordFields:
    """The record's fields from the ended run; model, usage, cost and bodies unset."""
    root = state.root
    start = state.start
    return {
        "id": str(state.run_id),
        "kind": kind,
        "session_id": root.session_id,
        "session_name": root.session_name,
        "session_path": state.path,
        "parent_id": record_id_text(state.parent_record_id),
        "name": state.name,
        "model": state.model,
        "provider": provider_id(state.provider),
        "user_id": root.user_id,
        "properties": root.properties,
        "start_time": _utc(start),
        "end_time": _utc(max(ended, start)),
        "time_to_first_token_ms": state.ttft_ms,
        "status": status,
        "error": error,
        "usage": None,
        "cost_usd": None,
        "attempt": state.attempt,
        "branch_id": state.branch_id,
        "request": None,
        "response": None,
    }


def _run_record(
    state: RunState,
    kind: RecordKind,
    status: Status,
    error: ErrorInfo | None,
    *,
    ended: float,
    bodies: tuple[Any, Any] | None,
) -> Record:
    fields = _fields(state, kind, status, error, ended)
    if bodies is not None:
        fields["request"], fields["response"] = bodies
    return new_record(fields)


def _read_bodies(bodies: Bodies, state: RunState) -> tuple[Any, Any]:
    """``bodies(state)``, or none when they cannot be read (`_unread_bodies`)."""
    try:
        return bodies(state)
    except Exception as exc:  # noqa: BLE001 - the record is kept, without its bodies
        _unread_bodies(state, exc)
        return None, None


def _unread_bodies(state: RunState, exc: Exception) -> None:
    """Report bodies that could not be read (an object that fails to serialise, or a model
    call's messages the user's code changes while the worker reads them): the record goes
    without them rather than not at all (under tests the failure surfaces)."""
    report_internal_error(f"{_WHERE}, reading the bodies of {state.name or 'a run'!r}", exc)


def emit_record(
    state: RunState,
    kind: RecordKind,
    status: Status,
    error: ErrorInfo | None = None,
    *,
    bodies: Bodies | None = None,
) -> None:
    """Queue the record of a run that ended now (never blocks on the network).

    ``bodies(state)`` gives its request and response, when bodies are sent. They are read
    now: they hold the user's objects, which may change once the run has ended; the rest
    of the record is made where it is built (`emit_later`).
    """
    if state.root.muted:
        return
    ended = time.time()
    read = None if bodies is None else _read_bodies(bodies, state)
    build = partial(_run_record, state, kind, status, error, ended=ended, bodies=read)
    emit_later(build, _WHERE)


def _model_call_record(state: RunState, result: Any, bodies: bool, ended: float) -> Record:
    """The record of a model call, with the served model, usage, cost and (if sent) bodies."""
    fields = _fields(state, RecordKind.LLM, Status.OK, None, ended)
    outcome = llm_outcome(state, result)
    if outcome.model is not None:
        fields["model"] = outcome.model
    fields["usage"] = outcome.usage
    fields["cost_usd"] = outcome.cost
    if bodies:
        fields["request"], fields["response"] = _read_bodies(
            partial(_model_call_bodies, result=result), state
        )
    return new_record(fields)


def emit_llm_record(state: RunState, result: Any, *, bodies: bool, ended: float) -> None:
    """Queue the record of a model call that returned ``result`` (an ``LLMResult``) at
    ``ended`` (``time.time()``); its usage, cost and bodies are read when it is built."""
    if state.root.muted:
        return
    emit_later(partial(_model_call_record, state, result, bodies, ended), _WHERE)
