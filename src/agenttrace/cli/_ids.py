"""Ids as people type them: whole, or any unique prefix (the tables show 12 characters)."""

from __future__ import annotations

from collections.abc import Sequence

from agenttrace.exceptions import UserError
from agenttrace.query import QueryClient

__all__ = ["resolve_request_id", "resolve_session_id"]

_CANDIDATES = 50
"""How many rows containing the prefix are looked at (more than enough to tell)."""


def _prefix(given: str) -> str:
    """The id as typed, without the ``…`` a shortened id is shown with."""
    return given.strip().removesuffix("…")


def _one(noun: str, given: str, found: Sequence[tuple[str, str | None]], lister: str) -> str:
    """The one id in ``found`` (id, name) that is ``given`` or starts with it."""
    prefix = _prefix(given)
    if any(row_id == prefix for row_id, _ in found):
        return prefix
    matches = [(row_id, name) for row_id, name in found if row_id.startswith(prefix)]
    if len(matches) == 1:
        return matches[0][0]
    if not matches:
        msg = (
            f"no {noun} has the id {given!r} or an id starting with it; "
            f"`agenttrace {lister}` lists them (`--search TEXT` finds part of a name or id)"
        )
        raise UserError(msg)
    listed = ", ".join(f"{row_id} ({name or 'unnamed'})" for row_id, name in matches[:5])
    more = f" and {len(matches) - 5} more" if len(matches) > 5 else ""
    msg = f"{len(matches)} {noun}s start with {prefix!r}: {listed}{more}; type more of the id"
    raise UserError(msg)


def resolve_session_id(query: QueryClient, given: str) -> str:
    """The one session id that is ``given`` or starts with it; `UserError` naming the
    candidates, or the command that lists sessions, otherwise."""
    page = query.sessions(search=_prefix(given), limit=_CANDIDATES)
    found = [(row.session_id, row.session_name) for row in page.sessions]
    return _one("session", given, found, "sessions")


def resolve_request_id(query: QueryClient, given: str) -> str:
    """The one request id that is ``given`` or starts with it (as `resolve_session_id`)."""
    page = query.requests(search=_prefix(given), limit=_CANDIDATES)
    found = [(row.id, row.name) for row in page.requests]
    return _one("request", given, found, "requests")
