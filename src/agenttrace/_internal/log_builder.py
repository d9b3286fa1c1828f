"""`LogBuilder`: log a streamed call chunk by chunk (Helicone's ``HeliconeLogBuilder``).

::

    builder = logger.log_builder(request, {"Helicone-Session-Id": sid})
    for chunk in stream:
        builder.add_chunk(chunk)       # the first one sets the time to first token
    builder.send_log()                 # or `await builder.send_log()`, as with Helicone

or, recording failures and cancellation by itself::

    with logger.log_builder(request) as builder:   # also `async with`
        for chunk in stream:
            builder.add_chunk(chunk)

The call starts when the builder is made: its session and path come from the headers and
the session current at that moment. Usage and the served model are read from dict (or
pydantic) chunks and from the response as `agenttrace.core.usage` describes. The
record's response is the list of chunks when there were any, else the body given to
`add_response`. ``send_log`` logs once; later calls do nothing.
"""

from __future__ import annotations

import contextvars
from collections.abc import Generator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any

from agenttrace._internal.call_record import Call, build_record, priced_fields
from agenttrace._internal.context import SessionContext
from agenttrace._internal.context import _current as _current_session
from agenttrace._internal.recorder import checked_cost
from agenttrace.core.internal_errors import report_internal_error
from agenttrace.core.outcome import error_info, exception_status
from agenttrace.core.usage import StreamUsage, as_mapping
from agenttrace.records import ErrorInfo, Status

if TYPE_CHECKING:
    from agenttrace._internal.manual_logger import ManualLogger

__all__ = ["LogBuilder"]


class _Sent:
    """What `LogBuilder.send_log` returns: nothing to wait for, but awaitable, so that
    Helicone code that writes ``await builder.send_log()`` runs unchanged."""

    __slots__ = ()

    def __await__(self) -> Generator[None, None, None]:
        yield from ()

    def __repr__(self) -> str:
        return "<log sent>"


_SENT = _Sent()


class LogBuilder:
    """Collects a streamed call's chunks, response, model and error, then logs it."""

    def __init__(
        self,
        logger: ManualLogger,
        request: Mapping[str, Any],
        additional_headers: Mapping[str, str] | None = None,
        provider: str | None = None,
    ) -> None:
        self.request: dict[str, Any] = dict(request)
        self.additional_headers: dict[str, str] = dict(additional_headers or {})
        self.stream_chunks: list[Any] = []
        self.response_body: Any = None
        self.error: BaseException | str | None = None
        self.was_cancelled = False
        self.time_to_first_token: float | None = None
        """Milliseconds from the start to the first chunk."""
        self._logger = logger
        self._call: Call | None = logger.open_call(self.request, additional_headers, provider)
        self._elapsed: float | None = None
        self._stream = StreamUsage()
        self._response_fields: Mapping[str, Any] | None = None
        self._model: str | None = None
        self._cost: float | None = None
        self._sent = False
        self._token: contextvars.Token[SessionContext | None] | None = None
        self._keep_chunks = self._call is None or not self._call.omit_response

    def __repr__(self) -> str:
        state = "sent" if self._sent else "open"
        return f"LogBuilder({state}, chunks={len(self.stream_chunks)})"

    @property
    def record_id(self) -> str | None:
        """The id the record will have (None if tracing failed to start)."""
        return self._call.record_id if self._call is not None else None

    def add_chunk(self, chunk: Any) -> None:
        """Add one streamed chunk (dict, pydantic object or text)."""
        call = self._call
        if self.time_to_first_token is None and call is not None:
            self.time_to_first_token = call.elapsed() * 1000.0
        mapping = as_mapping(chunk)
        if mapping is not None:
            try:
                self._stream.add(mapping)
            except Exception as exc:  # noqa: BLE001 - tracing must not break the stream
                report_internal_error("LogBuilder.add_chunk", exc)
        if self._keep_chunks:
            if mapping is not None:
                self.stream_chunks.append(mapping)
            else:
                self.stream_chunks.append(chunk if isinstance(chunk, str) else str(chunk))

    def add_response(self, body: Any) -> None:
        """Set the whole response (for a call that did not stream); this ends the call."""
        mapping = as_mapping(body)
        self._response_fields = mapping
        self.response_body = mapping if mapping is not None else body
        self._stop_clock()

    def add_model(self, model: str) -> None:
        """Name the model that served the call (also written into the request)."""
        self.request["model"] = model
        self._model = model

    def set_cost(self, usd: float) -> None:
        """Record the call's cost in USD, instead of the one computed from usage."""
        self._cost = checked_cost(usd)

    def set_error(self, error: BaseException | str) -> None:
        """Mark the call failed with ``error``; this ends the call."""
        self.error = error
        self._stop_clock()

    def send_log(self) -> _Sent:
        """Log the call (once). Returns at once; the result may be awaited, as in Helicone."""
        if self._sent:
            return _SENT
        self._sent = True
        call = self._call
        if call is None:
            return _SENT
        self._stop_clock()
        try:
            status, error = self._outcome()
            model, usage, cost = priced_fields(
                call,
                self.request,
                self._response_fields,
                model=self._model,
                fallback_model=self._stream.model,
                usage=self._stream.usage(),
                cost_usd=self._cost,
            )
            record = build_record(
                call,
                elapsed=self._elapsed or 0.0,
                request=self.request,
                response=self.stream_chunks or self.response_body,
                status=status,
                error=error,
                model=model,
                usage=usage,
                cost_usd=cost,
                time_to_first_token_ms=self.time_to_first_token,
            )
            self._logger.emit(record)
        except Exception as exc:  # noqa: BLE001 - tracing must not break the caller
            report_internal_error("LogBuilder.send_log", exc)
        return _SENT

    async def asend_log(self) -> None:
        """`send_log` for async code (it never waits either)."""
        self.send_log()

    def _stop_clock(self) -> None:
        if self._elapsed is None and self._call is not None:
            self._elapsed = self._call.elapsed()

    def _outcome(self) -> tuple[Status, ErrorInfo | None]:
        error = self.error
        if self.was_cancelled:
            return Status.CANCELLED, error_info(error) if error is not None else None
        if error is None:
            return Status.OK, None
        if isinstance(error, BaseException):
            return exception_status(error), error_info(error)
        return Status.ERROR, error_info(str(error))

    # -- context manager: nested calls sit under this one; failures are recorded ---------

    def __enter__(self) -> LogBuilder:
        if self._call is not None and self._token is None:
            self._token = _current_session.set(self._call.inner_context())
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._token is not None:
            token, self._token = self._token, None
            try:
                _current_session.reset(token)
            except ValueError as reset_error:  # entered in another context
                report_internal_error("LogBuilder.__exit__", reset_error)
        if exc is not None and self.error is None:
            self.set_error(exc)
        self.send_log()

    async def __aenter__(self) -> LogBuilder:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, tb)
