"""Ids as people type them: whole, or any unique prefix (the tables show 12 characters)."""

from __future__ import annotations

from agenttrace.exceptions import UserError
from agenttrace.query import QueryClient

__all__ = ["resolve_session_id"]

_CANDIDATES = 50
"""How many sessions containing the prefix are looked at (more than enough to tell)."""


def _prefix(given: str) -> str:
    """The id as typed, without the ``…`` a shortened id is shown with."""
    return given.strip().removesuffix("…")


def resolve_session_id(query: QueryClient, given: str) -> str:
    """The one session id that is ``given`` or starts with it.

    Raises `UserError` when none does and `UserError` naming the candidates when
    several do, each with the command that lists sessions.
    """
    prefix = _prefix(given)
    page = query.sessions(search=prefix, limit=_CANDIDATES)
    ids = [row.session_id for row in page.sessions]
    if prefix in ids:
        return prefix
    matches = [row for row in page.sessions if row.session_id.startswith(prefix)]
    if len(matches) == 1:
        return matches[0].session_id
    if not matches:
        msg = (
            f"no session has the id {given!r} or an id starting with it; "
            "`agenttrace sessions` lists them (`--search TEXT` finds part of a name or id)"
        )
        raise UserError(msg)
    listed = ", ".join(f"{row.session_id} ({row.session_name or 'unnamed'})" for row in matches[:5])
    more = f" and {len(matches) - 5} more" if len(matches) > 5 else ""
    msg = f"{len(matches)} sessions start with {prefix!r}: {listed}{more}; type more of the id"
    raise UserError(msg)
