"""The Helicone header vocabulary, read and written.

Accepted everywhere headers are (ManualLogger, collector ingest, outgoing propagation):
``Helicone-Session-Id``, ``Helicone-Session-Path``, ``Helicone-Session-Name``,
``Helicone-User-Id``, ``Helicone-Property-<Name>``, ``Helicone-Request-Id``,
``Helicone-Omit-Request``, ``Helicone-Omit-Response``. Names are case-insensitive.

The session headers describe is derived by `agenttrace.core.sessions`' rule, with one
difference that is Helicone's: a ``Helicone-Session-Path`` is absolute.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from agenttrace.core.sessions import SessionContext, derive_session
from agenttrace.records import normalize_path

__all__ = [
    "OMIT_REQUEST",
    "OMIT_RESPONSE",
    "PROPERTY_PREFIX",
    "REQUEST_ID",
    "SESSION_ID",
    "SESSION_NAME",
    "SESSION_PATH",
    "USER_ID",
    "HeaderContext",
    "context_from_headers",
    "parse_headers",
    "session_headers",
]

SESSION_ID = "Helicone-Session-Id"
SESSION_PATH = "Helicone-Session-Path"
SESSION_NAME = "Helicone-Session-Name"
USER_ID = "Helicone-User-Id"
REQUEST_ID = "Helicone-Request-Id"
OMIT_REQUEST = "Helicone-Omit-Request"
OMIT_RESPONSE = "Helicone-Omit-Response"
PROPERTY_PREFIX = "Helicone-Property-"

_PROPERTY_PREFIX_LOWER = PROPERTY_PREFIX.lower()
_TRUE = frozenset({"true", "1", "yes", "on"})


@dataclass(frozen=True, slots=True)
class HeaderContext:
    """What a set of Helicone-* headers says about a call."""

    session_id: str | None = None
    session_path: str | None = None
    session_name: str | None = None
    user_id: str | None = None
    request_id: str | None = None
    omit_request: bool = False
    omit_response: bool = False
    properties: Mapping[str, str] = field(default_factory=dict)


def parse_headers(headers: Mapping[str, str] | None) -> HeaderContext:
    """Read the Helicone-* headers from ``headers`` (any case); others are ignored."""
    if not headers:
        return HeaderContext()
    values: dict[str, str] = {}
    properties: dict[str, str] = {}
    for raw_name, raw_value in headers.items():
        name = str(raw_name).strip().lower()
        if not name.startswith("helicone-"):
            continue
        value = str(raw_value).strip()
        if name.startswith(_PROPERTY_PREFIX_LOWER):
            key = str(raw_name).strip()[len(PROPERTY_PREFIX) :]
            if key:
                properties[key] = value
        else:
            values[name] = value
    path = values.get(SESSION_PATH.lower())
    return HeaderContext(
        session_id=values.get(SESSION_ID.lower()) or None,
        session_path=normalize_path(path) if path else None,
        session_name=values.get(SESSION_NAME.lower()) or None,
        user_id=values.get(USER_ID.lower()) or None,
        request_id=values.get(REQUEST_ID.lower()) or None,
        omit_request=values.get(OMIT_REQUEST.lower(), "").lower() in _TRUE,
        omit_response=values.get(OMIT_RESPONSE.lower(), "").lower() in _TRUE,
        properties=properties,
    )


def context_from_headers(
    headers: Mapping[str, str] | None, base: SessionContext | None
) -> SessionContext | None:
    """The session ``headers`` describe, derived inside ``base`` (None: outside any session).

    Without a session id in the headers, the base session's id is kept; with neither, the
    answer is None. A ``Helicone-Session-Path`` replaces the path (it is absolute).
    """
    parsed = parse_headers(headers)
    if parsed.session_id is None and base is None:
        return None
    derived = derive_session(
        base,
        id=parsed.session_id,
        name=parsed.session_name,
        user_id=parsed.user_id,
        properties=parsed.properties,
    )
    if parsed.session_path is None or parsed.session_path == derived.path:
        return derived
    return replace(derived, path=parsed.session_path)


def session_headers(ctx: SessionContext | None) -> dict[str, str]:
    """Helicone-* headers that carry ``ctx`` to another process; empty for None."""
    if ctx is None:
        return {}
    out = {SESSION_ID: ctx.id, SESSION_PATH: ctx.path}
    if ctx.name:
        out[SESSION_NAME] = ctx.name
    if ctx.user_id:
        out[USER_ID] = ctx.user_id
    for key, value in ctx.properties.items():
        out[PROPERTY_PREFIX + key] = value
    return out
