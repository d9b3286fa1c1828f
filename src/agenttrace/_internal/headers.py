"""The current session, as Helicone-* headers and back (`agenttrace.core.headers` has the
vocabulary and the rules; these default to the current session)."""

from __future__ import annotations

from collections.abc import Mapping

from agenttrace._internal.context import current_session
from agenttrace.core import headers as _headers
from agenttrace.core.sessions import SessionContext

__all__ = ["context_from_headers", "session_headers"]


def context_from_headers(
    headers: Mapping[str, str] | None, base: SessionContext | None = None
) -> SessionContext | None:
    """The session ``headers`` describe, laid over ``base`` (the current session by default).

    A ``Helicone-Session-Path`` is absolute, as in Helicone. Without a session id in the
    headers, the base session's id is kept; with neither, the answer is None. A session id
    other than the base's starts that session afresh (only the user carries over).
    """
    return _headers.context_from_headers(headers, base if base is not None else current_session())


def session_headers(ctx: SessionContext | None = None) -> dict[str, str]:
    """Helicone-* headers that carry ``ctx`` (the current session by default) to another
    process; empty outside any session."""
    return _headers.session_headers(ctx if ctx is not None else current_session())
