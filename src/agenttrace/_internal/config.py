"""Client settings, from arguments first and then environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from agenttrace.core.defaults import DEFAULT_ENDPOINT
from agenttrace.exceptions import ConfigurationError

__all__ = ["EXPORT_TO", "Settings", "parse_headers"]

EXPORT_TO = ("agenttrace", "otlp", "both")
"""Where records go: the agenttrace collector (native wire), OpenTelemetry spans, or both."""


def parse_headers(value: object, name: str) -> tuple[tuple[str, str], ...]:
    """OTLP headers as sorted pairs, from a mapping or ``k=v,k2=v2`` (the form of
    ``OTEL_EXPORTER_OTLP_HEADERS``, values URL-decoded)."""
    if value is None or value == ():
        return ()
    if isinstance(value, str):
        from urllib.parse import unquote

        pairs = []
        for part in value.split(","):
            key, sep, item = part.partition("=")
            if not part.strip():
                continue
            if not sep or not key.strip():
                msg = f"{name}: {part.strip()!r} is not key=value; write k1=v1,k2=v2"
                raise ConfigurationError(msg)
            pairs.append((unquote(key.strip()), unquote(item.strip())))
        return tuple(sorted(pairs))
    if isinstance(value, tuple) and all(isinstance(pair, tuple) for pair in value):
        return tuple(sorted((str(k), str(v)) for k, v in value))
    items = getattr(value, "items", None)
    if items is None:
        msg = f"{name} must be a mapping of header names to values, or 'k1=v1,k2=v2'"
        raise ConfigurationError(msg)
    return tuple(sorted((str(k), str(v)) for k, v in items()))


def _export_to(value: object, name: str) -> str:
    text = str(value).strip().lower()
    if text not in EXPORT_TO:
        msg = f"{name}={value!r} is not one of {', '.join(EXPORT_TO)}"
        raise ConfigurationError(msg)
    return text


def _default_spool_dir() -> Path:
    configured = os.environ.get("AGENTTRACE_SPOOL_DIR")
    if configured:
        return Path(configured).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("agenttrace", appauthor=False)) / "spool"


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return float(raw)
    except ValueError:
        msg = f"{name}={raw!r} is not a number; set it to a number of seconds or unset it"
        raise ConfigurationError(msg) from None


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw)
    except ValueError:
        msg = f"{name}={raw!r} is not a whole number; set it to one or unset it"
        raise ConfigurationError(msg) from None


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    msg = f"{name}={raw!r} is not a boolean; set it to true or false"
    raise ConfigurationError(msg)


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the client needs. Build with `Settings.from_env`."""

    endpoint: str = DEFAULT_ENDPOINT
    api_key: str | None = None
    enabled: bool = True
    send_bodies: bool = True
    redact_metadata: str = "secrets"
    queue_size: int = 100_000
    batch_size: int = 1_000
    flush_interval: float = 0.5
    request_timeout: float = 10.0
    retry_deadline: float = 30.0
    shutdown_timeout: float = 5.0
    spool_dir: Path = field(default_factory=_default_spool_dir)
    spool_max_bytes: int = 256 * 1024 * 1024
    export_to: str = "agenttrace"
    """``agenttrace`` (the collector), ``otlp`` (OpenTelemetry spans) or ``both``."""
    otlp_endpoint: str | None = None
    """The OTLP/HTTP base URL (``/v1/traces`` is added); None: the SDK reads
    ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` / ``OTEL_EXPORTER_OTLP_ENDPOINT``."""
    otlp_headers: tuple[tuple[str, str], ...] = ()
    """Headers for the OTLP endpoint; none: the SDK reads ``OTEL_EXPORTER_OTLP_*HEADERS``."""
    otlp_idle: float = 5.0
    """Seconds a session is quiet before its tree of spans is sent."""

    @property
    def to_collector(self) -> bool:
        """Records go to the agenttrace collector."""
        return self.export_to != "otlp"

    @property
    def to_otlp(self) -> bool:
        """Records go out as OpenTelemetry spans."""
        return self.export_to != "agenttrace"

    @classmethod
    def from_env(
        cls,
        endpoint: str | None = None,
        api_key: str | None = None,
        **overrides: object,
    ) -> Settings:
        """Arguments win; then ``AGENTTRACE_*`` environment variables; then defaults."""
        from agenttrace._internal.metadata_redaction import metadata_mode  # with the first tracer

        resolved_endpoint = (
            endpoint or os.environ.get("AGENTTRACE_ENDPOINT") or DEFAULT_ENDPOINT
        ).rstrip("/")
        if not resolved_endpoint.startswith(("http://", "https://")):
            msg = (
                f"endpoint {resolved_endpoint!r} is not an http(s) URL; pass endpoint= or set "
                f"AGENTTRACE_ENDPOINT to something like {DEFAULT_ENDPOINT}"
            )
            raise ConfigurationError(msg)
        values: dict[str, object] = {
            "endpoint": resolved_endpoint,
            "api_key": api_key or os.environ.get("AGENTTRACE_API_KEY") or None,
            "enabled": not _env_bool("AGENTTRACE_DISABLED", default=False),
            "send_bodies": _env_bool("AGENTTRACE_SEND_BODIES", default=True),
            "redact_metadata": metadata_mode(
                os.environ.get("AGENTTRACE_REDACT_METADATA", "").strip() or "secrets",
                "AGENTTRACE_REDACT_METADATA",
            ),
            "queue_size": _env_int("AGENTTRACE_QUEUE_SIZE", 100_000),
            "batch_size": _env_int("AGENTTRACE_BATCH_SIZE", 1_000),
            "flush_interval": _env_float("AGENTTRACE_FLUSH_INTERVAL", 0.5),
            "request_timeout": _env_float("AGENTTRACE_REQUEST_TIMEOUT", 10.0),
            "retry_deadline": _env_float("AGENTTRACE_RETRY_DEADLINE", 30.0),
            "shutdown_timeout": _env_float("AGENTTRACE_SHUTDOWN_TIMEOUT", 5.0),
            "spool_dir": _default_spool_dir(),
            "spool_max_bytes": _env_int("AGENTTRACE_SPOOL_MAX_BYTES", 256 * 1024 * 1024),
            "export_to": os.environ.get("AGENTTRACE_EXPORT_TO", "").strip() or None,
            "otlp_endpoint": None,
            "otlp_headers": (),
            "otlp_idle": _env_float("AGENTTRACE_OTLP_IDLE", 5.0),
        }
        unknown = set(overrides) - set(values)
        if unknown:
            msg = f"unknown setting(s) {sorted(unknown)}; known: {sorted(values)}"
            raise ConfigurationError(msg)
        values.update({k: v for k, v in overrides.items() if v is not None})
        if values["export_to"] is None:  # an OTLP endpoint alone means both
            values["export_to"] = "both" if values["otlp_endpoint"] else "agenttrace"
        values["export_to"] = _export_to(values["export_to"], "export_to / AGENTTRACE_EXPORT_TO")
        values["otlp_headers"] = parse_headers(values["otlp_headers"], "otlp_headers")
        endpoint_given = values["otlp_endpoint"]
        if endpoint_given is not None and not str(endpoint_given).startswith(
            ("http://", "https://")
        ):
            msg = (
                f"otlp_endpoint {endpoint_given!r} is not an http(s) URL; pass the OTLP/HTTP "
                "base URL, such as http://localhost:4318"
            )
            raise ConfigurationError(msg)
        values["redact_metadata"] = metadata_mode(values["redact_metadata"], "redact_metadata")
        if isinstance(values["spool_dir"], str):
            values["spool_dir"] = Path(values["spool_dir"])
        return cls(**values)  # type: ignore[arg-type]
