"""The current session, carried by ``contextvars``.

``agenttrace.session(...)`` opens a scope; nested scopes extend the path and inherit the
id, name, user and properties of the enclosing one (the rule is
`agenttrace.core.sessions.derive_session`). Integrations (the LangChain handler) register a
*context provider* so that work done inside one of their runs (a
``ManualLogger.log_request`` inside a LangGraph tool) picks up that run's session and path
without any headers.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from types import TracebackType

from agenttrace.core.sessions import SessionContext, derive_session, join_path

__all__ = [
    "ContextProvider",
    "SessionContext",
    "current_session",
    "register_context_provider",
    "session",
    "unregister_context_provider",
    "use_context",
]


_current: contextvars.ContextVar[SessionContext | None] = contextvars.ContextVar(
    "agenttrace_session", default=None
)

ContextProvider = Callable[[], SessionContext | None]
_providers: list[ContextProvider] = []


def register_context_provider(provider: ContextProvider) -> None:
    """Let an integration say which session the current code runs in.

    Providers are asked, newest first, only when no ``agenttrace.session`` scope is
    open closer to the code (an explicit scope always wins). A provider must be cheap and
    must not raise; it returns None when it knows nothing.
    """
    if provider not in _providers:
        _providers.append(provider)


def unregister_context_provider(provider: ContextProvider) -> None:
    """Undo `register_context_provider`; unknown providers are ignored."""
    if provider in _providers:
        _providers.remove(provider)


def _from_providers() -> SessionContext | None:
    for provider in reversed(_providers):
        found = provider()
        if found is not None:
            return found
    return None


def current_session() -> SessionContext | None:
    """The session the calling code runs in, or None outside any session."""
    explicit = _current.get()
    provided = _from_providers() if _providers else None
    if explicit is None:
        return provided
    if (
        provided is not None
        and provided.id == explicit.id
        and provided.path.startswith(explicit.path)
    ):
        # An integration run nested inside the explicit scope knows the deeper path.
        return provided
    return explicit


class session:  # noqa: N801 - used like a function, as in `with agenttrace.session(...)`
    """Open a session scope (sync or async context manager).

    * ``id``: share it across agents, threads and processes to make them one session;
      a new id (UUIDv7) when omitted and no session is open. Another id than the enclosing
      scope's starts that session afresh: only the user carries over.
    * ``path``: appended to the enclosing scope's path (``/research`` then ``search`` gives
      ``/research/search``); an absolute path (``/x``) in a new session starts there.
    * ``name``, ``user_id``: inherited from the enclosing scope when omitted.
    * ``properties``: merged over the enclosing scope's.

    A scope inside the same session keeps the enclosing parent call and parallel branch
    (``parent_id``, ``branch_id``).
    """

    __slots__ = ("_ctx", "_token")

    def __init__(
        self,
        id: str | None = None,
        name: str | None = None,
        path: str | None = None,
        properties: Mapping[str, str] | None = None,
        user_id: str | None = None,
    ) -> None:
        derived = derive_session(
            current_session(), id=id, name=name, user_id=user_id, properties=properties
        )
        ctx = derived if not path else replace(derived, path=join_path(derived.path, path))
        self._ctx = ctx
        self._token: contextvars.Token[SessionContext | None] | None = None

    @property
    def context(self) -> SessionContext:
        """The session this scope opens."""
        return self._ctx

    @property
    def id(self) -> str:
        """The session id (generated when not given)."""
        return self._ctx.id

    def __enter__(self) -> SessionContext:
        self._token = _current.set(self._ctx)
        return self._ctx

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._token is not None:
            _current.reset(self._token)
            self._token = None

    async def __aenter__(self) -> SessionContext:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, tb)


@contextmanager
def use_context(ctx: SessionContext | None) -> Iterator[None]:
    """Make ``ctx`` current for a block (integrations use this around user code)."""
    token = _current.set(ctx)
    try:
        yield
    finally:
        _current.reset(token)
