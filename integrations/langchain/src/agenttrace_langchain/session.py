"""Which session a root run belongs to, and the handler's own session settings.

Precedence for the session id: the handler's ``session_id``; then run metadata
``agenttrace_session_id``; then an enclosing ``agenttrace.session(...)`` scope (or the traced
LangChain run the code is nested in); then LangGraph's ``thread_id``; else a new id per
root run. ``session_name`` and ``user_id`` follow the same order (``agenttrace_session_name``,
``agenttrace_user_id``). Properties are merged: enclosing scope, then the handler's
``properties``, then the ``agenttrace_properties`` dict in run metadata. How an enclosing
session is inherited (or not, for another session id) is agenttrace's one rule for every
producer, `agenttrace.instrumentation.derive_session`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from agenttrace.instrumentation import SessionContext, UserError, derive_session, normalize_path

__all__ = [
    "METADATA_PROPERTIES",
    "METADATA_SESSION_ID",
    "METADATA_SESSION_NAME",
    "METADATA_USER_ID",
    "HandlerSettings",
    "ResolvedSession",
    "resolve_session",
]

METADATA_SESSION_ID = "agenttrace_session_id"
METADATA_SESSION_NAME = "agenttrace_session_name"
METADATA_USER_ID = "agenttrace_user_id"
METADATA_PROPERTIES = "agenttrace_properties"
THREAD_ID = "thread_id"


def _optional_text(value: object, argument: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        msg = f"{argument} must be a non-empty string or None; got {value!r}"
        raise UserError(msg)
    return value


def _properties(value: object) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        msg = f"properties must be a mapping of str to str, like {{'env': 'prod'}}; got {value!r}"
        raise UserError(msg)
    result = {}
    for key, item in value.items():
        if not isinstance(key, str) or not key or len(key) > 200:
            msg = f"property names must be strings of 1 to 200 characters; got {key!r}"
            raise UserError(msg)
        result[key] = item if isinstance(item, str) else str(item)
    return result


@dataclass(frozen=True, slots=True)
class HandlerSettings:
    """The handler's constructor arguments, checked."""

    session_id: str | None = None
    session_name: str | None = None
    properties: Mapping[str, str] | None = None
    user_id: str | None = None
    path_prefix: str | None = None
    include_root_name: bool = False

    @classmethod
    def checked(
        cls,
        *,
        session_id: object = None,
        session_name: object = None,
        properties: object = None,
        user_id: object = None,
        path_prefix: object = None,
        include_root_name: object = False,
    ) -> HandlerSettings:
        """Validate the arguments; a `UserError` says which one is wrong and how."""
        prefix = _optional_text(path_prefix, "path_prefix")
        if prefix is not None:
            try:
                prefix = normalize_path(prefix)
            except ValueError as exc:
                raise UserError(f"path_prefix {path_prefix!r} is not usable: {exc}") from None
            prefix = None if prefix == "/" else prefix
        if not isinstance(include_root_name, bool):
            msg = f"include_root_name must be True or False; got {include_root_name!r}"
            raise UserError(msg)
        return cls(
            session_id=_optional_text(session_id, "session_id"),
            session_name=_optional_text(session_name, "session_name"),
            properties=_properties(properties),
            user_id=_optional_text(user_id, "user_id"),
            path_prefix=prefix,
            include_root_name=include_root_name,
        )


@dataclass(frozen=True, slots=True)
class ResolvedSession:
    """The session of one root run and where its paths start."""

    session_id: str
    session_name: str | None
    user_id: str | None
    properties: dict[str, str]
    thread_id: str | None
    base_path: str
    parent_record_id: str | None
    branch_id: str | None
    """The parallel branch of the enclosing scope (a ``Send`` branch), inherited like the path."""
    inherited_path: bool
    """True when the base path comes from a traced run this root is nested in."""


def _metadata_text(metadata: Mapping[str, Any], key: str) -> str | None:
    value = metadata.get(key)
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)


def resolve_session(
    settings: HandlerSettings,
    metadata: Mapping[str, Any],
    scope: SessionContext | None,
    scope_is_run: bool,
) -> ResolvedSession:
    """Apply the precedence rules (module docstring) for a new root run."""
    thread_id = _metadata_text(metadata, THREAD_ID)
    session_id = settings.session_id or _metadata_text(metadata, METADATA_SESSION_ID)
    if session_id is None and scope is None:
        session_id = thread_id  # else the scope's id; else a new one
    properties: dict[str, str] = dict(settings.properties or {})
    from_metadata = metadata.get(METADATA_PROPERTIES)
    if isinstance(from_metadata, Mapping):
        properties.update(
            {str(k): v if isinstance(v, str) else str(v) for k, v in from_metadata.items() if k}
        )
    ctx = derive_session(
        scope,
        id=session_id,
        name=settings.session_name or _metadata_text(metadata, METADATA_SESSION_NAME),
        user_id=settings.user_id or _metadata_text(metadata, METADATA_USER_ID),
        properties=properties,
    )
    in_scope = scope is not None and scope.id == ctx.id
    return ResolvedSession(
        session_id=ctx.id,
        session_name=ctx.name,
        user_id=ctx.user_id,
        properties=dict(ctx.properties),
        thread_id=thread_id,
        base_path=ctx.path,
        parent_record_id=ctx.parent_id,
        branch_id=ctx.branch_id,
        inherited_path=in_scope and scope_is_run,
    )
