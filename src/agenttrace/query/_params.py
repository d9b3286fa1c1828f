"""Turning the query methods' arguments into query-string parameters, with clear errors."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from agenttrace.core.defaults import DEFAULT_ENDPOINT
from agenttrace.core.spans import parse_span
from agenttrace.exceptions import ConfigurationError, UserError

__all__ = [
    "MetricsFilters",
    "Params",
    "TimeArg",
    "add",
    "add_filters",
    "add_properties",
    "add_time",
    "parse_time",
    "resolve_api_key",
    "resolve_endpoint",
]

Params = list[tuple[str, str]]
TimeArg = datetime | str | None


def resolve_endpoint(endpoint: str | None) -> str:
    """``endpoint``, else ``AGENTTRACE_ENDPOINT``, else the local default; must be http(s)."""
    resolved = (endpoint or os.environ.get("AGENTTRACE_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")
    if not resolved.startswith(("http://", "https://")):
        msg = (
            f"endpoint {resolved!r} is not an http(s) URL; pass endpoint= (--endpoint) or set "
            f"AGENTTRACE_ENDPOINT to something like {DEFAULT_ENDPOINT}"
        )
        raise ConfigurationError(msg)
    return resolved


def resolve_api_key(api_key: str | None) -> str | None:
    """``api_key``, else ``AGENTTRACE_API_KEY``, else None (a collector without keys)."""
    return api_key or os.environ.get("AGENTTRACE_API_KEY") or None


def parse_time(value: datetime | str, name: str, now: datetime | None = None) -> datetime:
    """A timezone-aware UTC datetime from a datetime, an ISO-8601 string or a span ago.

    Naive datetimes and strings without an offset are taken to be UTC. A span such as
    ``"90s"``, ``"15m"``, ``"2h"``, ``"7d"`` or ``"1w"`` means that long before ``now``.
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        ago = parse_span(value)
        if ago is not None:
            return (now or datetime.now(UTC)) - ago
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            msg = (
                f"{name}={value!r} is not a time; pass a datetime, an ISO-8601 string such as "
                f"2025-01-31T12:00:00Z, or a span ago such as 15m, 2h or 7d"
            )
            raise UserError(msg) from None
    else:
        msg = f"{name} must be a datetime or a string; got {type(value).__name__}"
        raise UserError(msg)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def add(params: Params, name: str, value: str | float | bool | None) -> None:
    """Append ``name=value`` unless ``value`` is None (booleans as true/false)."""
    if value is None:
        return
    if isinstance(value, bool):
        params.append((name, "true" if value else "false"))
    else:
        params.append((name, str(value)))


def add_time(params: Params, name: str, value: TimeArg) -> None:
    """Append ``name`` as an ISO-8601 UTC time unless ``value`` is None."""
    if value is not None:
        params.append((name, parse_time(value, name).isoformat()))


def add_properties(params: Params, properties: Mapping[str, str] | None) -> None:
    """Append one ``property=key=value`` per custom property."""
    if properties is None:
        return
    if not isinstance(properties, Mapping):
        msg = (
            "properties must be a dict of property names to values, such as "
            f"{{'env': 'prod'}}; got {type(properties).__name__}"
        )
        raise UserError(msg)
    for key, value in properties.items():
        if not isinstance(key, str) or not key or "=" in key:
            msg = f"property name {key!r} must be a non-empty string without '='"
            raise UserError(msg)
        params.append(("property", f"{key}={value}"))


@dataclass(frozen=True, slots=True)
class MetricsFilters:
    """The filters of ``GET /v1/metrics`` and of an export (each applies to a request)."""

    name: str | None = None
    search: str | None = None
    session_id: str | None = None
    user_id: str | None = None
    status: str | None = None
    model: str | None = None
    provider: str | None = None
    kind: str | None = None
    path: str | None = None
    properties: Mapping[str, str] | None = None
    since: TimeArg = None
    until: TimeArg = None
    min_cost: float | None = None
    max_cost: float | None = None


def add_filters(params: Params, filters: MetricsFilters) -> None:
    """Append the parameters of ``filters`` that are set."""
    for name in ("name", "search", "session_id", "user_id", "status", "model", "provider"):
        add(params, name, getattr(filters, name))
    add(params, "kind", filters.kind)
    add(params, "path", filters.path)
    add_properties(params, filters.properties)
    add_time(params, "since", filters.since)
    add_time(params, "until", filters.until)
    add(params, "min_cost", filters.min_cost)
    add(params, "max_cost", filters.max_cost)
