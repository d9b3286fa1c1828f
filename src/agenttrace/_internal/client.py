"""The process-wide tracer: privacy rules applied, then records handed to an exporter.

Every producer (ManualLogger, the LangChain handler) calls `emit(record)`. It never blocks
on the network and never raises (except under tests): the exporter, normally the
background `Shipper`, owns delivery.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from agenttrace._internal.config import Settings
from agenttrace._internal.errors import report_internal_error

if TYPE_CHECKING:
    from agenttrace.records import Record

__all__ = [
    "Exporter",
    "Redactor",
    "Tracer",
    "configure",
    "emit",
    "flush",
    "get_tracer",
    "shutdown",
]

Redactor = Callable[[Any], Any]
"""Takes a request or response body, returns what may leave the process."""


class Exporter(Protocol):
    """Where records go once they are final. Must not block and must not raise."""

    def emit(self, record: Record) -> None:
        """Take one record; return at once."""

    def flush(self, timeout: float | None = None) -> bool:
        """Deliver what was emitted so far; True if everything was delivered in time."""

    def shutdown(self, timeout: float | None = None) -> bool:
        """Flush and stop; later `emit` calls drop their record. Safe to call twice."""


class Tracer:
    """Applies ``send_bodies`` and the redaction hook, then hands records to the exporter."""

    def __init__(
        self,
        settings: Settings,
        exporter: Exporter | None = None,
        redact: Redactor | None = None,
    ) -> None:
        self.settings = settings
        self.redact = redact
        self._exporter = exporter
        self._lock = threading.Lock()

    @property
    def exporter(self) -> Exporter:
        """The exporter, created on first use (the background shipper by default)."""
        exporter = self._exporter
        if exporter is None:
            with self._lock:
                if self._exporter is None:
                    from agenttrace._internal.shipping import Shipper

                    self._exporter = Shipper(self.settings)
                exporter = self._exporter
        return exporter

    def prepare(self, record: Record) -> Record:
        """Apply the privacy rules to ``record`` (bodies dropped or redacted)."""
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

    def flush(self, timeout: float | None = None) -> bool:
        """Deliver everything emitted so far, waiting at most ``timeout`` seconds."""
        if self._exporter is None:
            return True
        return self._exporter.flush(timeout)

    def shutdown(self, timeout: float | None = None) -> bool:
        """Flush and stop the exporter."""
        if self._exporter is None:
            return True
        return self._exporter.shutdown(timeout)


_tracer: Tracer | None = None
_tracer_lock = threading.Lock()


def get_tracer() -> Tracer:
    """The process-wide tracer, configured from the environment on first use."""
    global _tracer  # noqa: PLW0603 - one tracer per process, as in logging
    tracer = _tracer
    if tracer is None:
        with _tracer_lock:
            if _tracer is None:
                _tracer = Tracer(Settings.from_env())
            tracer = _tracer
    return tracer


def configure(
    endpoint: str | None = None,
    api_key: str | None = None,
    *,
    exporter: Exporter | None = None,
    redact: Redactor | None = None,
    send_bodies: bool | None = None,
    enabled: bool | None = None,
    **settings: object,
) -> Tracer:
    """(Re)configure the process-wide tracer; the previous one is flushed and shut down.

    Arguments win over ``AGENTTRACE_*`` environment variables. ``exporter`` replaces the
    background shipper (``agenttrace.testing.InMemoryExporter`` in tests); ``redact``
    is applied to every request and response body before it is queued; ``send_bodies=False``
    drops all bodies.
    """
    global _tracer
    resolved = Settings.from_env(
        endpoint, api_key, send_bodies=send_bodies, enabled=enabled, **settings
    )
    new = Tracer(resolved, exporter=exporter, redact=redact)
    with _tracer_lock:
        old, _tracer = _tracer, new
    if old is not None:
        old.shutdown(old.settings.shutdown_timeout)
    return new


def emit(record: Record) -> None:
    """Queue a record on the process-wide tracer."""
    get_tracer().emit(record)


def flush(timeout: float | None = None) -> bool:
    """Deliver every record emitted so far; True when all were delivered within ``timeout``."""
    return get_tracer().flush(timeout)


def shutdown(timeout: float | None = None) -> bool:
    """Flush and stop background delivery (also done at interpreter exit)."""
    return get_tracer().shutdown(timeout)
