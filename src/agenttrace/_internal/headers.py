"""The Helicone header vocabulary, read and written.

Accepted everywhere headers are (ManualLogger, collector ingest, outgoing propagation):
``Helicone-Session-Id``, ``Helicone-Session-Path``, ``Helicone-Session-Name``,
``Helicone-User-Id``, ``Helicone-Property-<Name>``, ``Helicone-Request-Id``,
``Helicone-Omit-Request``, ``Helicone-Omit-Response``. Names are case-insensitive.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from agenttrace._internal.context import SessionContext, current_session
from agenttrace.records import normalize_path

__all__ = [
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
    headers: Mapping[str, str] | None, base: SessionContext | None = None
) -> SessionContext | None:
    """The session headers describe, laid over ``base`` (the current session by default).

    A ``Helicone-Session-Path`` is absolute, as in Helicone. Without a session id in the
    headers, the base session's id is kept; with neither, the answer is None.
    """
    parsed = parse_headers(headers)
    if base is None:
        base = current_session()
    session_id = parsed.session_id or (base.id if base else None)
    if session_id is None:
        return None
    same_session = base is not None and base.id == session_id
    inherited = base if same_session else None
    return SessionContext(
        id=session_id,
        name=parsed.session_name or (inherited.name if inherited else None),
        path=parsed.session_path or (inherited.path if inherited else "/"),
        user_id=parsed.user_id or (base.user_id if base else None),
        properties={**(base.properties if base else {}), **parsed.properties},
        parent_id=inherited.parent_id if inherited else None,
        branch_id=inherited.branch_id if inherited else None,
    )


def session_headers(ctx: SessionContext | None = None) -> dict[str, str]:
    """Helicone-* headers that carry ``ctx`` (the current session by default) to another
    process; empty outside any session."""
    if ctx is None:
        ctx = current_session()
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
