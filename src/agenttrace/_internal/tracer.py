"""The process-wide tracer: privacy rules applied, then records handed to an exporter.

The privacy rules run in `Tracer.prepare`, before a record is encoded or written, so that
nothing the rules remove ever reaches the disk spool or the network.

Every producer (ManualLogger, the LangChain handler) ends a call with `emit(record)` or,
cheaper for the caller, `emit_later(build)`: a function that builds the record, run on
the background shipper's worker thread together with the privacy rules (at once, on the
caller's thread, for other exporters). Neither blocks on the network nor raises (except
under tests): the exporter, normally the background `Shipper`, owns delivery.

Besides the process-wide tracer there may be others (a `ManualLogger` given its own
``api_key`` or ``logging_endpoint`` sends through a tracer of its own). Every tracer is
entered in a weak registry until it is shut down, so that `flush` and `shutdown` cover all
of them within one time budget.
"""

from __future__ import annotations

import os
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, cast

from agenttrace._internal.config import Settings
from agenttrace.core.internal_errors import report_internal_error
from agenttrace.exceptions import ConfigurationError

if TYPE_CHECKING:
    from agenttrace._internal.shipping._buffer import Pending
    from agenttrace.records import Record

__all__ = [
    "Exporter",
    "PendingExporter",
    "Redactor",
    "Tracer",
    "configure",
    "emit",
    "emit_later",
    "flush",
    "get_tracer",
    "live_tracers",
    "shutdown",
]

Redactor = Callable[[Any], Any]
"""Takes a request or response body, returns what may leave the process."""


class Exporter(Protocol):
    """Where records go once they are final. Must not block and must not raise."""

    def emit(self, record: Record) -> None:
        """Take one record; return at once."""

    def flush(self, timeout: float | None = None) -> bool:
        """Deliver what was emitted so far; True if none was lost (each stored, or kept
        safe for a later delivery) in time."""

    def shutdown(self, timeout: float | None = None) -> bool:
        """Flush and stop; later `emit` calls drop their record. Safe to call twice."""


class PendingExporter(Protocol):
    """An exporter that also takes records still to be built (the `Shipper`)."""

    takes_pending: bool

    def emit(self, record: Record | Pending) -> None:
        """Take one record, or the functions that build it and apply the privacy rules."""


class Tracer:
    """Applies ``send_bodies``, the redaction hook and ``redact_metadata``, then hands
    records to the exporter."""

    def __init__(
        self,
        settings: Settings,
        exporter: Exporter | None = None,
        redact: Redactor | None = None,
        *,
        tracer_provider: Any = None,
    ) -> None:
        self.settings = settings
        self.redact = redact
        self.tracer_provider = tracer_provider
        """An OpenTelemetry ``TracerProvider`` the spans go into (instead of an endpoint)."""
        from agenttrace._internal.metadata_redaction import MetadataRedactor  # the first tracer's

        self._metadata = MetadataRedactor(settings.redact_metadata, redact)
        self._exporter = exporter
        self._lock = threading.Lock()
        self.shut_down = False
        """True once `shutdown` was called: records emitted later are dropped."""
        with _registry_lock:
            _live_tracers[self] = None

    @property
    def exporter(self) -> Exporter:
        """The exporter, created on first use: the background shipper, the OpenTelemetry
        exporter, or both (``export_to``)."""
        exporter = self._exporter
        if exporter is None:
            with self._lock:
                if self._exporter is None:
                    self._exporter = _default_exporter(self.settings, self.tracer_provider)
                exporter = self._exporter
        return exporter

    def prepare(self, record: Record) -> Record:
        """Apply the privacy rules to ``record``: bodies dropped or redacted, secrets in
        properties, session name and user id masked (``redact_metadata``)."""
        record = self._metadata.apply(record)
        if not self.settings.send_bodies:
            if record.request is None and record.response is None:
                return record
            return record.model_copy(update={"request": None, "response": None})
        if self.redact is not None:
            update: dict[str, Any] = {
                "request": self.redact(record.request) if record.request is not None else None,
                "response": self.redact(record.response) if record.response is not None else None,
            }
            if record.error is not None and record.error.message:
                # an exception's message can quote a secret ("invalid key sk-...") too
                message = self.redact(record.error.message)
                update["error"] = record.error.model_copy(update={"message": str(message)})
            return record.model_copy(update=update)
        return record

    def emit(self, record: Record) -> None:
        """Queue ``record`` for delivery; never blocks, never raises (but under tests)."""
        if not self.settings.enabled:
            return
        try:
            self.exporter.emit(self.prepare(record))
        except Exception as exc:  # noqa: BLE001 - tracing must not break the caller
            report_internal_error("emit", exc)

    def emit_later(self, build: Callable[[], Record], where: str = "emit") -> None:
        """Queue the record that ``build()`` returns, built with the privacy rules on the
        shipper's worker thread (at once for other exporters). ``build`` must only read
        values that do not change afterwards; it may raise (the record is then dropped,
        and the error logged, or raised by the next `flush` under tests). Never blocks,
        never raises (but under tests). ``where`` names the producer in a failure's log."""
        if not self.settings.enabled:
            return
        try:
            exporter = self.exporter
            if getattr(exporter, "takes_pending", False):
                cast("PendingExporter", exporter).emit((build, self.prepare))
            else:
                exporter.emit(self.prepare(build()))
        except Exception as exc:  # noqa: BLE001 - tracing must not break the caller
            report_internal_error(where, exc)

    def flush(self, timeout: float | None = None) -> bool:
        """Deliver everything emitted so far, waiting at most ``timeout`` seconds; True if
        none was lost."""
        if self._exporter is None:
            return True
        return self._exporter.flush(timeout)

    def shutdown(self, timeout: float | None = None) -> bool:
        """Flush and stop the exporter; `agenttrace.flush` no longer waits for this tracer."""
        with _registry_lock:
            _live_tracers.pop(self, None)
        self.shut_down = True
        if self._exporter is None:
            return True
        return self._exporter.shutdown(timeout)


def _default_exporter(settings: Settings, tracer_provider: Any) -> Exporter:
    exporters: list[Exporter] = []
    if settings.to_collector:
        from agenttrace._internal.shipping import Shipper

        exporters.append(Shipper(settings))
    if settings.to_otlp:
        from agenttrace._internal.otel_export import OtelExporter

        exporters.append(OtelExporter(settings, tracer_provider=tracer_provider))
    if len(exporters) == 1:
        return exporters[0]
    from agenttrace._internal.fan_out import FanOut

    return FanOut(exporters)


def _require_otel(settings: Settings, tracer_provider: Any) -> None:
    """A clear error now, rather than a failing worker later, when the extra is missing."""
    if not settings.to_otlp:
        return
    import importlib.util

    # into the user's provider the API is enough; to an endpoint, the SDK and its exporter
    needed = ["opentelemetry.trace"]
    if tracer_provider is None:
        needed = ["opentelemetry.sdk.trace", "opentelemetry.exporter.otlp.proto.http"]
    for module in needed:
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            msg = (
                f"exporting OpenTelemetry spans needs {module}: pip install 'agenttrace[otel]' "
                "(or set export_to / AGENTTRACE_EXPORT_TO to agenttrace)"
            )
            raise ConfigurationError(msg)


_tracer: Tracer | None = None
_tracer_lock = threading.Lock()
_live_tracers: weakref.WeakKeyDictionary[Tracer, None] = weakref.WeakKeyDictionary()
"""Every tracer not shut down yet, in the order they were made (a weak, ordered set)."""
_registry_lock = threading.Lock()


def live_tracers() -> list[Tracer]:
    """The tracers not shut down yet, oldest first."""
    with _registry_lock:
        return list(_live_tracers)


def get_tracer() -> Tracer:
    """The process-wide tracer, configured from the environment on first use."""
    global _tracer  # noqa: PLW0603 - one tracer per process, as in logging
    tracer = _tracer
    if tracer is None:
        with _tracer_lock:
            if _tracer is None:
                settings = Settings.from_env()
                _require_otel(settings, None)
                _tracer = Tracer(settings)
            tracer = _tracer
    return tracer


def configure(
    endpoint: str | None = None,
    api_key: str | None = None,
    *,
    exporter: Exporter | None = None,
    redact: Redactor | None = None,
    send_bodies: bool | None = None,
    redact_metadata: bool | str | None = None,
    enabled: bool | None = None,
    otlp_endpoint: str | None = None,
    otlp_headers: Mapping[str, str] | str | None = None,
    otel_tracer_provider: Any = None,
    export_to: str | None = None,
    **settings: object,
) -> Tracer:
    """(Re)configure the process-wide tracer; the previous one is flushed and shut down.

    Arguments win over ``AGENTTRACE_*`` environment variables. ``exporter`` replaces the
    background shipper (``agenttrace.testing.InMemoryExporter`` in tests); ``redact``
    is applied to every request and response body before it is queued; ``send_bodies=False``
    drops all bodies. ``redact_metadata`` (``AGENTTRACE_REDACT_METADATA``): ``"secrets"``
    (default) masks values that look like secrets in properties, session names and user
    ids; ``"all"`` (or True) runs ``redact`` over them too; ``"off"`` (or False) sends them
    as they are.

    OpenTelemetry (the ``agenttrace[otel]`` extra): ``otlp_endpoint`` (an OTLP/HTTP base
    URL such as ``http://localhost:4318``) and ``otlp_headers`` (a mapping or
    ``"k1=v1,k2=v2"``) send every record as a GenAI-convention span too, its graph nodes as
    parent spans; left out, the standard ``OTEL_EXPORTER_OTLP_TRACES_*`` /
    ``OTEL_EXPORTER_OTLP_*`` variables apply. ``otel_tracer_provider`` puts the spans into
    that ``TracerProvider`` instead (under the span current when each record was made).
    ``export_to`` (``AGENTTRACE_EXPORT_TO``): ``"agenttrace"`` (the collector only, the
    default), ``"otlp"`` (spans only) or ``"both"`` (the default once an endpoint or a
    provider is given).
    """
    global _tracer
    if export_to is None and otel_tracer_provider is not None:
        export_to = os.environ.get("AGENTTRACE_EXPORT_TO", "").strip() or "both"
    resolved = Settings.from_env(
        endpoint,
        api_key,
        send_bodies=send_bodies,
        redact_metadata=redact_metadata,
        enabled=enabled,
        otlp_endpoint=otlp_endpoint,
        otlp_headers=otlp_headers,
        export_to=export_to,
        **settings,
    )
    if exporter is None:
        _require_otel(resolved, otel_tracer_provider)
    new = Tracer(resolved, exporter=exporter, redact=redact, tracer_provider=otel_tracer_provider)
    with _tracer_lock:
        old, _tracer = _tracer, new
    if old is not None:
        old.shutdown(old.settings.shutdown_timeout)
    return new


def emit(record: Record) -> None:
    """Queue a record on the process-wide tracer."""
    get_tracer().emit(record)


def emit_later(build: Callable[[], Record], where: str = "emit") -> None:
    """Queue the record ``build()`` makes on the process-wide tracer (`Tracer.emit_later`)."""
    get_tracer().emit_later(build, where)


def flush(timeout: float | None = None) -> bool:
    """Deliver every record emitted so far, by every tracer; True when none was lost.

    Covers the process-wide tracer and those of loggers given their own endpoint or key,
    all within ``timeout`` seconds (None: as long as it takes). A record counts as not
    lost once the collector stored it, or, when the collector does not answer, once it is
    safe in the disk spool (one warning line says where; it is sent when the collector
    answers). False when the time ran out first, or records were rejected or dropped.
    """
    deadline = None if timeout is None else time.monotonic() + max(timeout, 0.0)
    ok = True
    for tracer in live_tracers():
        ok = tracer.flush(_remaining(deadline)) and ok
    return ok


def shutdown(timeout: float | None = None) -> bool:
    """Flush and stop background delivery of every tracer (also done at interpreter exit).

    Waits at most ``timeout`` seconds in all (None: the longest ``shutdown_timeout`` of
    the tracers, ``AGENTTRACE_SHUTDOWN_TIMEOUT``); what is not stored by then is in the
    spool. True when none was lost, as for `flush`.
    """
    tracers = live_tracers()
    if timeout is None:
        timeout = max((t.settings.shutdown_timeout for t in tracers), default=0.0)
    deadline = time.monotonic() + max(timeout, 0.0)
    ok = True
    for tracer in tracers:
        ok = tracer.shutdown(_remaining(deadline)) and ok
    return ok


def _remaining(deadline: float | None) -> float | None:
    return None if deadline is None else max(deadline - time.monotonic(), 0.0)
