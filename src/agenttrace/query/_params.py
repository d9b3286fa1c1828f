"""Turning the query methods' arguments into query-string parameters, with clear errors."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import Enum
from typing import Any, get_args

from pydantic import BaseModel

from agenttrace.core.defaults import DEFAULT_ENDPOINT
from agenttrace.core.spans import parse_span
from agenttrace.exceptions import ConfigurationError, UserError
from agenttrace.query_filters import TimeArg

__all__ = [
    "Params",
    "TimeArg",
    "add",
    "add_properties",
    "add_time",
    "check_seconds",
    "filter_params",
    "parse_time",
    "resolve_api_key",
    "resolve_endpoint",
]

Params = list[tuple[str, str]]


def check_seconds(value: object, name: str) -> float:
    """``value`` as a positive, finite number of seconds; `UserError` naming ``name``."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        msg = f"{name} must be a positive number of seconds; got {value!r}"
        raise UserError(msg)
    return float(value)


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


def filter_params(model: type[BaseModel], filters: Mapping[str, Any], what: str) -> Params:
    """The query parameters of ``filters`` (keyword arguments named after ``model``'s
    fields, as the clients take them); `UserError` names one ``model`` does not have."""
    unknown = sorted(set(filters) - set(model.model_fields))
    if unknown:
        msg = (
            f"{what} cannot be filtered by {', '.join(unknown)}; its filters are "
            f"{', '.join(model.model_fields)}"
        )
        raise UserError(msg)
    params: Params = []
    for name, field in model.model_fields.items():
        value = filters.get(name)
        if value is None:
            continue
        if field.alias == "property":
            add_properties(params, value)
        elif datetime in get_args(field.annotation):
            add_time(params, name, value)
        else:
            add(params, field.alias or name, value.value if isinstance(value, Enum) else value)
    return params
