"""A finished run's record, handed to the process-wide tracer to be built later.

What a record says about the run (ids, session, path, times, status) is taken on the
callback's thread, where the run state is current; checking and building the record, and
for a model call reading its usage, pricing it and serialising its messages, happen when
the tracer's worker builds it (`emit_later`), so the user's graph does not wait for them.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
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
)
from agenttrace_langchain.run_state import RunState
from agenttrace_langchain.serialize import jsonable, message_payload, messages_payload
from agenttrace_langchain.tokens import served_model, usage_from_llm_end

__all__ = ["LLMOutcome", "emit_llm_record", "emit_record", "llm_outcome"]


@dataclass(frozen=True, slots=True)
class LLMOutcome:
    """What an LLM record needs from ``on_llm_end``."""

    model: str | None
    usage: Usage | None
    cost: float | None
    request: Any
    response: Any


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


def llm_outcome(state: RunState, result: Any, *, bodies: bool) -> LLMOutcome:
    """Usage, served model, cost and bodies from an ``LLMResult`` (None on errors)."""
    generation = message = llm_output = None
    if result is not None:
        generations = getattr(result, "generations", None)
        if generations and generations[0]:
            generation = generations[0][0]
            message = getattr(generation, "message", None)
        llm_output = getattr(result, "llm_output", None)
    info = getattr(generation, "generation_info", None)
    usage = usage_from_llm_end(message, llm_output)
    model = served_model(message, info, llm_output) or state.model
    return LLMOutcome(
        model=model,
        usage=usage,
        cost=compute_cost(model, state.provider, usage),
        request=_request(state) if bodies else None,
        response=_response(generation, message) if bodies and result is not None else None,
    )


def _utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


def _fields(
    state: RunState,
    kind: RecordKind,
    status: Status,
    error: ErrorInfo | None,
    ended: float | None,
) -> RecordFields:
    """The record's fields as the run stands now; model, usage, cost and bodies unset."""
    root = state.root
    start = state.start
    end = max(ended if ended is not None else time.time(), start)
    return {
        "id": state.record_id or str(state.run_id),
        "kind": kind,
        "session_id": root.session_id,
        "session_name": root.session_name,
        "session_path": state.path,
        "parent_id": state.parent_record_id,
        "name": state.name,
        "model": state.model,
        "provider": state.provider,
        "user_id": root.user_id,
        "properties": root.properties,
        "start_time": _utc(start),
        "end_time": _utc(end),
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


def emit_record(
    state: RunState,
    kind: RecordKind,
    status: Status,
    error: ErrorInfo | None = None,
    *,
    request: Any = None,
    response: Any = None,
) -> None:
    """Queue the record of a finished run (never blocks on the network)."""
    if state.root.muted:
        return
    fields = _fields(state, kind, status, error, None)
    fields["request"] = request
    fields["response"] = response
    emit_later(partial(new_record, fields), "the LangChain handler")


@dataclass(slots=True)
class _EndedModelCall:
    """A model call that ended: its record's fields, completed from the result later."""

    fields: RecordFields
    state: RunState
    result: Any
    bodies: bool

    def record(self) -> Record:
        """The record, with the served model, usage, cost and (if sent) bodies."""
        outcome = llm_outcome(self.state, self.result, bodies=self.bodies)
        fields = self.fields
        if outcome.model is not None:
            fields["model"] = outcome.model
        fields["usage"] = outcome.usage
        fields["cost_usd"] = outcome.cost
        fields["request"] = outcome.request
        fields["response"] = outcome.response
        return new_record(fields)


def emit_llm_record(state: RunState, result: Any, *, bodies: bool, ended: float) -> None:
    """Queue the record of a model call that returned ``result`` (an ``LLMResult``) at
    ``ended`` (``time.time()``); its usage, cost and bodies are read when it is built.
    The run state is no longer in the run store, so nothing changes it meanwhile."""
    if state.root.muted:
        return
    fields = _fields(state, RecordKind.LLM, Status.OK, None, ended)
    emit_later(_EndedModelCall(fields, state, result, bodies).record, "the LangChain handler")
