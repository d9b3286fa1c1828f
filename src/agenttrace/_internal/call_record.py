"""One logged call, from its start to its `Record`: the rules the ManualLogger follows.

**Kind.** ``request["_type"]`` names it when it is a record kind (``tool``, ``vector_db``,
``data``, ``llm``, ``chain``, ``custom``). Otherwise a request with a ``model`` or
``messages`` logged with a ``provider`` (``"openai"``, ``"anthropic"``, ...) is ``llm``, and
anything else is ``custom``.

**Name.** The first string among ``request["toolName"]``, ``["name"]``,
``["databaseName"]``, ``["operation"]`` and ``["model"]``; else the kind (``"custom"``).
An ``llm`` call is named after its model first.

**Session** (the Helicone headers of the logger and of the call, the call's winning, over
the current ``agenttrace.session(...)`` or integration context):

* id: ``Helicone-Session-Id``, else the current session's, else a new id for this call;
* path: ``Helicone-Session-Path`` is absolute and used as given (Helicone's rule). Without
  it, the path is the base path plus one segment named after the call (its name, with
  ``/`` replaced by ``_``), where the base is the current session's path when the call is
  in the current session and ``/`` otherwise. An ``llm`` call adds no segment: it belongs
  to the node it runs in, as in the LangChain handler. Inside a LangGraph tool ``search``
  (path ``/tools/search``) a ``log_request({"_type": "tool", "toolName": "fetch"}, ...)``
  is recorded at ``/tools/search/fetch``;
* name, user id: the headers', else the current session's; properties: the current
  session's, overlaid by the logger's ``Helicone-Property-*`` headers, then the call's;
* ``parent_id``, ``branch_id``: the enclosing traced call and parallel branch (a LangGraph
  ``Send`` branch), when the call is in the current session.

While the operation runs, its own session context is current (same id, its path, itself as
the parent), so calls logged inside it nest under it.

**Id.** ``Helicone-Request-Id`` when given (so a retried log is not duplicated), else new.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from agenttrace._internal.context import current_session
from agenttrace._internal.record_factory import new_record
from agenttrace.core.cost import compute_cost
from agenttrace.core.headers import HeaderContext, parse_headers
from agenttrace.core.ids import new_id
from agenttrace.core.record_rules import MAX_NAME_LENGTH
from agenttrace.core.sessions import SessionContext, child_path, session_fields
from agenttrace.core.usage import explicit_cost, model_name, usage_from_response
from agenttrace.records import ErrorInfo, Record, RecordKind, Status, Usage

__all__ = ["Call", "CallHeaders", "build_record", "new_id", "open_call", "priced_fields"]

_KINDS = {kind.value: kind for kind in RecordKind}
_NAME_KEYS = ("toolName", "name", "databaseName", "operation", "model")
_LLM_NAME_KEYS = ("model", "name", "toolName")
_EMPTY_HEADERS = HeaderContext()

_HEADER_CACHE_SIZE = 256


class CallHeaders:
    """The Helicone headers of a logger, and of each call with its own headers on top.

    A call's headers (usually the same few, dict after dict) are parsed once and cached.
    """

    __slots__ = ("_base", "_cache", "parsed")

    def __init__(self, base: Mapping[str, str] | None) -> None:
        self._base: dict[str, str] = dict(base or {})
        self.parsed: HeaderContext = parse_headers(self._base)
        self._cache: dict[tuple[tuple[str, str], ...], HeaderContext] = {}

    @property
    def base(self) -> dict[str, str]:
        """The logger's own headers."""
        return self._base

    def for_call(self, extra: Mapping[str, str] | None) -> HeaderContext:
        """The logger's headers overridden by the call's ``extra`` headers."""
        if not extra:
            return self.parsed
        try:
            key = tuple(extra.items())
            found = self._cache.get(key)
        except TypeError:  # unhashable values: parse without the cache
            return parse_headers({**self._base, **extra})
        if found is None:
            found = parse_headers({**self._base, **extra})
            if len(self._cache) >= _HEADER_CACHE_SIZE:
                self._cache.clear()
            self._cache[key] = found
        return found


@dataclass(slots=True)
class Call:
    """A call in progress: its identity, its place in a session, and when it started."""

    record_id: str
    kind: RecordKind
    name: str
    session_id: str
    session_name: str | None
    path: str
    user_id: str | None
    properties: Mapping[str, str]
    parent_id: str | None
    """The enclosing traced call."""
    branch_id: str | None
    """The parallel branch the call runs in (inherited, like the path)."""
    provider: str | None
    omit_request: bool
    omit_response: bool
    wall_start: float
    """``time.time()`` at the start."""
    mono_start: float
    """``time.perf_counter()`` at the start."""

    def inner_context(self) -> SessionContext:
        """The context for calls made inside this one: nested under it."""
        return SessionContext(
            self.session_id,
            self.session_name,
            self.path,
            self.user_id,
            self.properties,
            self.record_id,
            self.branch_id,
        )

    def elapsed(self) -> float:
        """Seconds since the start, on the monotonic clock."""
        return time.perf_counter() - self.mono_start


def _kind(request: Mapping[str, Any], provider: str | None) -> RecordKind:
    declared = request.get("_type")
    if isinstance(declared, str):
        kind = _KINDS.get(declared)
        if kind is not None:
            return kind
    if provider and ("model" in request or "messages" in request):
        return RecordKind.LLM
    return RecordKind.CUSTOM


def _name(request: Mapping[str, Any], kind: RecordKind) -> str:
    for key in _LLM_NAME_KEYS if kind is RecordKind.LLM else _NAME_KEYS:
        value = request.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()[:MAX_NAME_LENGTH]
    return kind.value


def open_call(
    request: Mapping[str, Any],
    provider: str | None,
    headers: HeaderContext | None,
    *,
    wall_start: float | None = None,
) -> Call:
    """Start a call now (or at ``wall_start``, seconds since the epoch), placed by
    ``headers`` and the current session (see the module docstring)."""
    mono_start = time.perf_counter()
    if wall_start is None:
        wall_start = time.time()
    h = headers or _EMPTY_HEADERS
    kind = _kind(request, provider)
    name = _name(request, kind)
    session_id, session_name, base, user_id, properties, parent_id, branch_id = session_fields(
        current_session(), h.session_id, h.session_name, h.user_id, h.properties
    )
    if h.session_path is not None:
        path = h.session_path
    else:
        path = base if kind is RecordKind.LLM else child_path(base, name)
    return Call(  # positional (in field order): the hot path's cheapest construction
        h.request_id or new_id(),
        kind,
        name,
        session_id,
        session_name,
        path,
        user_id,
        properties,
        parent_id,
        branch_id,
        provider or None,
        h.omit_request,
        h.omit_response,
        wall_start,
        mono_start,
    )


def build_record(
    call: Call,
    *,
    elapsed: float,
    request: Any,
    response: Any,
    status: Status = Status.OK,
    error: ErrorInfo | None = None,
    model: str | None = None,
    usage: Usage | None = None,
    cost_usd: float | None = None,
    time_to_first_token_ms: float | None = None,
) -> Record:
    """The finished call's record; bodies the headers asked to omit are left out."""
    wall_start = call.wall_start
    return new_record(
        {
            "id": call.record_id,
            "kind": call.kind,
            "session_id": call.session_id,
            "session_name": call.session_name,
            "session_path": call.path,
            "parent_id": call.parent_id,
            "name": call.name,
            "model": model,
            "provider": call.provider,
            "user_id": call.user_id,
            "properties": call.properties,
            "start_time": datetime.fromtimestamp(wall_start, UTC),
            "end_time": datetime.fromtimestamp(wall_start + max(elapsed, 0.0), UTC),
            "time_to_first_token_ms": time_to_first_token_ms,
            "status": status,
            "error": error,
            "usage": usage,
            "cost_usd": cost_usd,
            "attempt": 1,
            "branch_id": call.branch_id,
            "request": None if call.omit_request else request,
            "response": None if call.omit_response else response,
        }
    )


def priced_fields(
    call: Call,
    request: Mapping[str, Any],
    results: Mapping[str, Any] | None,
    *,
    model: str | None = None,
    fallback_model: str | None = None,
    usage: Usage | None = None,
    cost_usd: float | None = None,
) -> tuple[str | None, Usage | None, float | None]:
    """(model, usage, cost) of a call.

    Model: ``model``, else the one the results name, else ``fallback_model``, else the
    request's. Usage: the results', else ``usage``. Cost: ``cost_usd``, else
    ``results["cost_usd"]``, else computed with `compute_cost` (None when unknown).
    """
    if results:
        if model is None:
            model = model_name(results)
        usage = usage_from_response(results) or usage
        if cost_usd is None and "cost_usd" in results:
            cost_usd = explicit_cost(results)
    if model is None:
        model = fallback_model or model_name(request)
    if cost_usd is None and usage is not None and model is not None:
        at = datetime.fromtimestamp(call.wall_start, UTC)
        cost_usd = compute_cost(model, call.provider, usage, at=at)
    return model, usage, cost_usd
