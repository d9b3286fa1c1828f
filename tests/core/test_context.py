"""Session scopes: ids, nested paths, inheritance, async tasks and threads."""

from __future__ import annotations

import asyncio
import threading

import agenttrace
from agenttrace._internal.context import (
    SessionContext,
    register_context_provider,
    unregister_context_provider,
)


def test_no_session_outside_any_scope() -> None:
    """Outside every scope there is no current session."""
    assert agenttrace.current_session() is None


def test_scope_generates_an_id_and_restores_on_exit() -> None:
    """A scope without an id gets a new UUID and is gone after the block."""
    with agenttrace.session(name="run") as ctx:
        assert agenttrace.current_session() == ctx
        assert len(ctx.id) == 36
        assert ctx.name == "run"
        assert ctx.path == "/"
    assert agenttrace.current_session() is None


def test_nested_scopes_extend_the_path_and_inherit() -> None:
    """Inner scopes keep the id, name, user and merge properties while the path grows."""
    with agenttrace.session(
        id="s1", name="trip", path="/research", user_id="u1", properties={"env": "dev"}
    ):
        with agenttrace.session(path="search", properties={"q": "x"}) as inner:
            assert inner.id == "s1"
            assert inner.name == "trip"
            assert inner.user_id == "u1"
            assert inner.path == "/research/search"
            assert dict(inner.properties) == {"env": "dev", "q": "x"}
        assert agenttrace.current_session().path == "/research"  # type: ignore[union-attr]


def test_a_different_id_starts_a_separate_session() -> None:
    """A nested scope with another id starts that session at its own path."""
    with agenttrace.session(id="a", path="/x"), agenttrace.session(id="b", path="/y") as b:
        assert (b.id, b.path, b.name) == ("b", "/y", None)


async def test_async_scope_and_concurrent_tasks_do_not_mix() -> None:
    """Each asyncio task sees its own session scope."""

    async def work(name: str) -> str | None:
        async with agenttrace.session(name=name):
            await asyncio.sleep(0)
            current = agenttrace.current_session()
            return current.name if current else None

    names = await asyncio.gather(*(work(f"t{i}") for i in range(20)))
    assert names == [f"t{i}" for i in range(20)]


def test_threads_do_not_inherit_or_leak_scopes() -> None:
    """A scope opened in one thread is invisible to another."""
    seen: list[SessionContext | None] = []
    with agenttrace.session(name="main"):
        thread = threading.Thread(target=lambda: seen.append(agenttrace.current_session()))
        thread.start()
        thread.join()
    assert seen == [None]


def test_context_provider_answers_when_no_scope_is_open() -> None:
    """An integration's provider supplies the session when no explicit scope exists."""
    provided = SessionContext(id="p", path="/agent/tools/search")

    def provider() -> SessionContext:
        return provided

    register_context_provider(provider)
    try:
        assert agenttrace.current_session() is provided
        with agenttrace.session(path="db") as ctx:
            assert (ctx.id, ctx.path) == ("p", "/agent/tools/search/db")
        with agenttrace.session(id="other") as other:
            assert other.id == "other"
            assert agenttrace.current_session() is other
    finally:
        unregister_context_provider(provider)
    assert agenttrace.current_session() is None


def test_scopes_inside_a_parallel_branch_keep_its_branch_id() -> None:
    """A scope or header context inside a provided branch keeps its branch id, as it keeps
    the path; a scope of another session does not."""
    provided = SessionContext(id="p", path="/research", parent_id="node", branch_id="task-1")

    def provider() -> SessionContext:
        return provided

    register_context_provider(provider)
    try:
        with agenttrace.session(path="review") as ctx:
            assert (ctx.path, ctx.parent_id, ctx.branch_id) == (
                "/research/review",
                "node",
                "task-1",
            )
            assert agenttrace.context_from_headers({"X-Other": "1"}) == ctx
        with agenttrace.session(id="other") as other:
            assert other.branch_id is None
    finally:
        unregister_context_provider(provider)
