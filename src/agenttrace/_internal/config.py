"""Client settings, from arguments first and then environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from agenttrace._internal.metadata_redaction import metadata_mode
from agenttrace.core.defaults import DEFAULT_ENDPOINT
from agenttrace.exceptions import ConfigurationError

__all__ = ["Settings"]


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

    @classmethod
    def from_env(
        cls,
        endpoint: str | None = None,
        api_key: str | None = None,
        **overrides: object,
    ) -> Settings:
        """Arguments win; then ``AGENTTRACE_*`` environment variables; then defaults."""
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
        }
        unknown = set(overrides) - set(values)
        if unknown:
            msg = f"unknown setting(s) {sorted(unknown)}; known: {sorted(values)}"
            raise ConfigurationError(msg)
        values.update({k: v for k, v in overrides.items() if v is not None})
        values["redact_metadata"] = metadata_mode(values["redact_metadata"], "redact_metadata")
        if isinstance(values["spool_dir"], str):
            values["spool_dir"] = Path(values["spool_dir"])
        return cls(**values)  # type: ignore[arg-type]
