"""Session derivation: which session a piece of work belongs to, and where in it.

A session is an id, a name and a path, plus the user and the properties its records carry.
Every producer (``agenttrace.session(...)``, the ManualLogger, Helicone headers, the
LangChain handler) places its work with `derive_session`, so one rule holds everywhere:

* **id**: the one given, else the enclosing session's, else a new id (`new_id`: UUIDv7,
  time-ordered, the same kind as record ids);
* **the same session** (no id given, or the enclosing session's id): the name, user and
  path are inherited unless given, properties are the enclosing session's overlaid by the
  given ones, and ``parent_id`` (the enclosing traced call) and ``branch_id`` (the
  parallel branch it runs in) are kept;
* **another session** (a different id): it starts afresh at ``/`` with only what is
  given: no name, properties or parent of the enclosing session. The user carries over
  unless given: who is acting does not change when the work moves to another session.

Paths: `join_path` adds a path (``"b/c"`` is two segments) and normalises it;
`child_path` adds one derived segment (a node, tool or call name: a ``/`` inside it becomes
``_``) and stops at `MAX_DERIVED_DEPTH` segments, which leaves room under the records'
limit of 64 for a few segments a user adds by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from agenttrace.core.ids import new_id
from agenttrace.records import normalize_path

__all__ = [
    "MAX_DERIVED_DEPTH",
    "SessionContext",
    "SessionFields",
    "child_path",
    "derive_session",
    "join_path",
    "new_id",
    "session_fields",
]

MAX_DERIVED_DEPTH = 60
"""Derived segments (nodes, tools, calls) are not appended beyond this depth."""


@dataclass(frozen=True, slots=True)
class SessionContext:
    """Where a record belongs: session id, name, path, user and properties.

    ``parent_id`` is the id of the enclosing traced call, when there is one. ``branch_id``
    tells apart parallel runs of one path (a LangGraph ``Send`` branch's task id); records
    made inside the branch inherit it as they inherit its path.
    """

    id: str
    name: str | None = None
    path: str = "/"
    user_id: str | None = None
    properties: Mapping[str, str] = field(default_factory=dict)
    parent_id: str | None = None
    branch_id: str | None = None

    def child(self, segment: str | None = None, parent_id: str | None = None) -> SessionContext:
        """The context one level down: ``segment`` appended to the path."""
        return replace(
            self,
            path=join_path(self.path, segment) if segment else self.path,
            parent_id=parent_id if parent_id is not None else self.parent_id,
        )


def join_path(base: str, *segments: str) -> str:
    """``join_path("/a", "b/c")`` is ``"/a/b/c"``."""
    return normalize_path("/".join((base, *segments)))


def child_path(path: str, segment: str) -> str:
    """``path`` with one derived segment more; a ``/`` inside the segment becomes ``_``.

    >>> child_path("/", "agent"), child_path("/a", "b/c"), child_path("/a", " ")
    ('/agent', '/a/b_c', '/a')
    """
    segment = segment.strip().replace("/", "_")
    if not segment or path.count("/") >= MAX_DERIVED_DEPTH:
        return path
    if path == "/":
        return "/" + segment
    return path + "/" + segment


SessionFields = tuple[str, str | None, str, str | None, Mapping[str, str], str | None, str | None]
"""A `SessionContext`'s fields in order: id, name, path, user_id, properties, parent_id,
branch_id."""


def session_fields(
    enclosing: SessionContext | None,
    id: str | None,
    name: str | None,
    user_id: str | None,
    properties: Mapping[str, str] | None,
) -> SessionFields:
    """`derive_session` as a tuple of fields, for hot paths that need no context object."""
    if enclosing is not None and (id is None or id == enclosing.id):
        return (
            enclosing.id,
            name if name is not None else enclosing.name,
            enclosing.path,
            user_id if user_id is not None else enclosing.user_id,
            {**enclosing.properties, **properties} if properties else enclosing.properties,
            enclosing.parent_id,
            enclosing.branch_id,
        )
    return (
        id or new_id(),
        name,
        "/",
        user_id if user_id is not None or enclosing is None else enclosing.user_id,
        dict(properties) if properties else {},
        None,
        None,
    )


def derive_session(
    enclosing: SessionContext | None,
    *,
    id: str | None = None,
    name: str | None = None,
    user_id: str | None = None,
    properties: Mapping[str, str] | None = None,
) -> SessionContext:
    """The session of new work inside ``enclosing`` (None: outside any session), given
    what the caller says about it (None: nothing). See the module docstring for the rule.

    The path is the enclosing session's (the same session) or ``/`` (another session); the
    caller extends it with `join_path` or `child_path`.
    """
    if (
        enclosing is not None
        and (id is None or id == enclosing.id)
        and name is None
        and user_id is None
        and not properties
    ):
        return enclosing
    return SessionContext(*session_fields(enclosing, id, name, user_id, properties))
