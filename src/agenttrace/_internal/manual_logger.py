"""`ManualLogger`: trace tools, vector-db calls, data work and custom LLMs by hand.

Call-compatible with Helicone's ``HeliconeManualLogger`` (``helicone_helpers``): the same
constructor, ``log_request(request, operation, additional_headers, provider)``, result
recorder, ``log_builder`` / ``new_builder`` and ``send_log``, so code written for it runs
unchanged. Unlike Helicone's helper it never waits on the network (records go to the
background shipper), records failed and cancelled operations with their real status and
error before re-raising them unchanged, and retries delivery.

Where records go: the process-wide tracer (`agenttrace.configure`) unless ``api_key`` or
``logging_endpoint`` is given, in which case the logger sends to that endpoint with that
key through a tracer of its own (one per endpoint and key, shared by the loggers that name
them; bodies still follow the process-wide ``send_bodies`` and ``redact`` settings).
`agenttrace.flush` and `agenttrace.shutdown` cover those tracers too.

How a call is named, placed in a session and given a path is described in
`agenttrace._internal.call_record`; in short, outside any session every call opens a new
session of its own, and inside one (``agenttrace.session(...)``, a LangGraph run) it joins
it one path segment below the current path.
"""

from __future__ import annotations

import contextvars
import hashlib
import inspect
import threading
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from agenttrace._internal.call_record import (
    Call,
    CallHeaders,
    build_record,
    open_call,
    priced_fields,
)
from agenttrace._internal.config import Settings
from agenttrace._internal.context import SessionContext
from agenttrace._internal.context import _current as _current_session
from agenttrace._internal.log_builder import LogBuilder
from agenttrace._internal.recorder import ResultRecorder
from agenttrace._internal.tracer import Tracer, get_tracer
from agenttrace.core.headers import HeaderContext
from agenttrace.core.internal_errors import logger as _log
from agenttrace.core.internal_errors import report_internal_error
from agenttrace.core.outcome import error_info, exception_status
from agenttrace.core.usage import as_mapping
from agenttrace.exceptions import UserError
from agenttrace.records import ErrorInfo, Record, Status

__all__ = ["ManualLogger", "endpoint_tracer", "shutdown_endpoint_tracers"]

T = TypeVar("T")
_Token = contextvars.Token[SessionContext | None]


class ManualLogger:
    """Logs operations as records: ``logger.log_request(request, operation, headers)``.

    * ``api_key``, ``logging_endpoint``: send this logger's records to that collector with
      that key (``AGENTTRACE_ENDPOINT`` when only a key is given); by default records go
      through the process-wide tracer configured with `agenttrace.configure`.
    * ``headers``: Helicone-* headers applied to every call (session id, path, name, user
      id, ``Helicone-Property-*``, omit flags); a call's ``additional_headers`` win.
    """

    def __init__(
        self,
        api_key: str | None = None,
        headers: Mapping[str, str] | None = None,
        logging_endpoint: str | None = None,
    ) -> None:
        if headers is not None and not isinstance(headers, Mapping):
            msg = f"headers must be a dict of header names to values; got {type(headers).__name__}"
            raise UserError(msg)
        self.api_key = api_key
        self.logging_endpoint = logging_endpoint
        self._headers = CallHeaders(headers)
        self._tracer: Tracer | None = None
        if api_key or logging_endpoint:
            self._tracer = endpoint_tracer(logging_endpoint, api_key)
        self._warned_coroutine = False

    @property
    def headers(self) -> dict[str, str]:
        """The Helicone-* headers applied to every call (assign a new dict to change them)."""
        return dict(self._headers.base)

    @headers.setter
    def headers(self, value: Mapping[str, str]) -> None:
        self._headers = CallHeaders(value)

    @property
    def tracer(self) -> Tracer:
        """Where this logger's records go."""
        return self._tracer if self._tracer is not None else get_tracer()

    def __repr__(self) -> str:
        where = self.logging_endpoint or ("key" if self.api_key else "process tracer")
        return f"ManualLogger({where!r}, headers={sorted(self._headers.base)!r})"

    # -- log_request ---------------------------------------------------------------------

    def log_request(
        self,
        request: Mapping[str, Any],
        operation: Callable[[ResultRecorder], T],
        additional_headers: Mapping[str, str] | None = None,
        provider: str | None = None,
    ) -> T:
        """Run ``operation(recorder)``, log it as one record, and return what it returned.

        ``request`` describes the call (``{"_type": "tool", "toolName": "search", ...}``);
        the operation may add its response with ``recorder.append_results(dict)``. If it
        raises, the record has status ``error`` (``cancelled`` for cancellation) and the
        exception is re-raised unchanged. Use `alog_request` for async operations.
        """
        request = _checked(request, operation, additional_headers)
        call, token = self._start(request, additional_headers, provider)
        recorder = ResultRecorder(request)
        try:
            result = operation(recorder)
        except BaseException as exc:
            self._end(call, token, request, recorder, exc)
            raise
        self._end(call, token, request, recorder, None)
        if inspect.iscoroutine(result) and not self._warned_coroutine:
            self._warned_coroutine = True
            _log.warning(
                "agenttrace: the operation given to log_request returned a coroutine, so its "
                "time and results were not traced; use `await logger.alog_request(...)`"
            )
        return result

    async def alog_request(
        self,
        request: Mapping[str, Any],
        operation: Callable[[ResultRecorder], Awaitable[T] | T],
        additional_headers: Mapping[str, str] | None = None,
        provider: str | None = None,
    ) -> T:
        """`log_request` for an async operation (a sync one is accepted too)."""
        request = _checked(request, operation, additional_headers)
        call, token = self._start(request, additional_headers, provider)
        recorder = ResultRecorder(request)
        try:
            result = operation(recorder)
            if inspect.isawaitable(result):
                result = await result
        except BaseException as exc:
            self._end(call, token, request, recorder, exc)
            raise
        self._end(call, token, request, recorder, None)
        return result

    # -- builders and low-level sending --------------------------------------------------

    def log_builder(
        self,
        request: Mapping[str, Any],
        additional_headers: Mapping[str, str] | None = None,
        provider: str | None = None,
    ) -> LogBuilder:
        """A builder for a streamed call: the call starts now, `LogBuilder.send_log` ends it."""
        request = _checked(request, None, additional_headers)
        return LogBuilder(self, request, additional_headers, provider)

    def new_builder(
        self,
        request: Mapping[str, Any],
        additional_headers: Mapping[str, str] | None = None,
        provider: str | None = None,
    ) -> LogBuilder:
        """Alias of `log_builder` (as in Helicone's helper)."""
        return self.log_builder(request, additional_headers, provider)

    def send_log(
        self,
        provider: str | None,
        request: Mapping[str, Any],
        response: Mapping[str, Any] | str,
        options: Mapping[str, Any],
    ) -> None:
        """Log a call that already happened (Helicone's low-level method).

        ``options``: ``start_time`` and ``end_time`` (seconds since the epoch),
        ``additional_headers`` and ``time_to_first_token_ms``.
        """
        request = _checked(request, None, options.get("additional_headers"))
        try:
            start = float(options.get("start_time") or 0.0) or None
            end = float(options.get("end_time") or 0.0) or None
            call = open_call(
                request,
                provider,
                self.headers_for(options.get("additional_headers")),
                wall_start=start,
            )
            elapsed = (end - call.wall_start) if end is not None else 0.0
            results = as_mapping(response)
            model, usage, cost = priced_fields(call, request, results)
            ttft = options.get("time_to_first_token_ms")
            self.emit(
                build_record(
                    call,
                    elapsed=elapsed,
                    request=dict(request),
                    response=response or None,
                    model=model,
                    usage=usage,
                    cost_usd=cost,
                    time_to_first_token_ms=float(ttft) if ttft is not None else None,
                )
            )
        except Exception as exc:  # noqa: BLE001 - tracing must not break the caller
            report_internal_error("ManualLogger.send_log", exc)

    def flush(self, timeout: float | None = None) -> bool:
        """Deliver this logger's records sent so far; True if none was lost (each stored, or
        safe in the spool while the collector does not answer)."""
        return self.tracer.flush(timeout)

    # -- internals shared with LogBuilder ------------------------------------------------

    def headers_for(self, additional_headers: Mapping[str, str] | None) -> HeaderContext:
        """The Helicone headers of one call: this logger's, overridden by the call's."""
        return self._headers.for_call(additional_headers)

    def open_call(
        self,
        request: Mapping[str, Any],
        additional_headers: Mapping[str, str] | None,
        provider: str | None,
    ) -> Call | None:
        """Start a call; None (after reporting) if tracing itself failed."""
        try:
            return open_call(request, provider, self.headers_for(additional_headers))
        except Exception as exc:  # noqa: BLE001 - tracing must not break the caller
            report_internal_error("ManualLogger.open_call", exc)
            return None

    def emit(self, record: Record) -> None:
        """Hand a finished record to this logger's tracer (never blocks)."""
        self.tracer.emit(record)

    def _start(
        self,
        request: Mapping[str, Any],
        additional_headers: Mapping[str, str] | None,
        provider: str | None,
    ) -> tuple[Call | None, _Token | None]:
        call = self.open_call(request, additional_headers, provider)
        if call is None:
            return None, None
        return call, _current_session.set(call.inner_context())

    def _end(
        self,
        call: Call | None,
        token: _Token | None,
        request: Mapping[str, Any],
        recorder: ResultRecorder,
        exc: BaseException | None,
    ) -> None:
        if call is None:
            return
        elapsed = call.elapsed()
        try:
            if token is not None:
                _current_session.reset(token)
            if exc is None:
                status, error = Status.OK, None
            else:
                status, error = exception_status(exc), error_info(exc)
            # what the record needs is kept; it is priced and built on the shipper's thread
            ended = _EndedCall(
                call, elapsed, dict(request), recorder.results, recorder.cost_usd, status, error
            )
            self.tracer.emit_later(ended.record, "ManualLogger.log_request")
        except Exception as internal:  # noqa: BLE001 - tracing must not break the caller
            report_internal_error("ManualLogger.log_request", internal)


@dataclass(slots=True)
class _EndedCall:
    """A call `log_request` has ended: what its record is built from, later."""

    call: Call
    elapsed: float
    request: dict[str, Any]
    results: dict[str, Any]
    cost_usd: float | None
    status: Status
    error: ErrorInfo | None

    def record(self) -> Record:
        """The call's record, priced."""
        results = self.results
        model, usage, cost = priced_fields(self.call, self.request, results, cost_usd=self.cost_usd)
        return build_record(
            self.call,
            elapsed=self.elapsed,
            request=self.request,
            response=results or None,
            status=self.status,
            error=self.error,
            model=model,
            usage=usage,
            cost_usd=cost,
        )


def _checked(
    request: Mapping[str, Any] | None,
    operation: object,
    additional_headers: object,
) -> Mapping[str, Any]:
    """``request`` (``{}`` for None), or a `UserError` naming the bad argument."""
    if type(request) is dict:
        pass  # the usual case, checked first because it is the fastest
    elif request is None:
        request = {}
    elif not isinstance(request, Mapping):
        msg = (
            "request must be a dict describing the call, e.g. "
            f'{{"_type": "tool", "toolName": "search", "input": ...}}; got {type(request).__name__}'
        )
        raise UserError(msg)
    if operation is not None and not callable(operation):
        msg = (
            "operation must be a function taking the result recorder, e.g. "
            f"`lambda recorder: search(query)`; got {type(operation).__name__}"
        )
        raise UserError(msg)
    if additional_headers is not None and not isinstance(additional_headers, Mapping):
        msg = (
            "additional_headers must be a dict of Helicone-* headers; got "
            f"{type(additional_headers).__name__}"
        )
        raise UserError(msg)
    return request


# -- tracers for explicit endpoints ------------------------------------------------------


class _EndpointTracer(Tracer):
    """A tracer for one endpoint that follows the process-wide tracer's privacy rules."""

    def prepare(self, record: Record) -> Record:
        return get_tracer().prepare(record)


_endpoint_tracers: dict[tuple[str, str | None], Tracer] = {}
_endpoint_lock = threading.Lock()


def endpoint_tracer(endpoint: str | None, api_key: str | None) -> Tracer | None:
    """The tracer for ``endpoint`` and ``api_key``; None when that is the process tracer's.

    Each gets its own spool directory, so records spooled for one endpoint are never
    re-sent to another.
    """
    settings = Settings.from_env(endpoint, api_key)
    process = get_tracer().settings
    if (settings.endpoint, settings.api_key) == (process.endpoint, process.api_key):
        return None
    key = (settings.endpoint, settings.api_key)
    with _endpoint_lock:
        tracer = _endpoint_tracers.get(key)
        if tracer is None or tracer.shut_down:  # agenttrace.shutdown() stopped the old one
            digest = hashlib.sha256(f"{key[0]}\n{key[1] or ''}".encode()).hexdigest()[:16]
            spool_dir = settings.spool_dir / f"endpoint-{digest}"
            tracer = _EndpointTracer(replace(settings, spool_dir=spool_dir))
            _endpoint_tracers[key] = tracer
    return tracer


def shutdown_endpoint_tracers(timeout: float | None = None) -> bool:
    """Flush and stop the tracers of loggers given their own endpoint or key; True if all
    was delivered. (Their shippers also do this at interpreter exit.) Loggers made later
    get new ones."""
    with _endpoint_lock:
        tracers = list(_endpoint_tracers.values())
        _endpoint_tracers.clear()
    return all(tracer.shutdown(timeout) for tracer in tracers)
