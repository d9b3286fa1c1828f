"""Session derivation: one rule for ids, inheritance and child paths, in every producer."""

from __future__ import annotations

import uuid

import agenttrace
from agenttrace import ManualLogger, context_from_headers
from agenttrace.core.sessions import (
    MAX_DERIVED_DEPTH,
    SessionContext,
    child_path,
    derive_session,
    join_path,
)
from agenttrace.testing import InMemoryExporter

OUTER = SessionContext(
    id="outer",
    name="support",
    path="/batch",
    user_id="ann",
    properties={"tier": "gold"},
    parent_id="call-1",
)


def _is_uuid7(value: str) -> bool:
    return uuid.UUID(value).version == 7


def test_outside_any_session_a_new_session_gets_a_uuid7_id() -> None:
    """With nothing enclosing and no id, the session is new: UUIDv7, root path, no more."""
    ctx = derive_session(None, properties={"env": "dev"})
    assert _is_uuid7(ctx.id)
    assert (ctx.name, ctx.path, ctx.user_id, ctx.parent_id) == (None, "/", None, None)
    assert dict(ctx.properties) == {"env": "dev"}


def test_nothing_said_is_the_enclosing_session_itself() -> None:
    """Work that says nothing about its session is in the enclosing one, unchanged."""
    assert derive_session(OUTER) is OUTER
    assert derive_session(OUTER, id="outer") is OUTER


def test_the_same_session_inherits_and_merges() -> None:
    """Same id: name, user, path and parent kept unless given; properties overlaid."""
    ctx = derive_session(OUTER, id="outer", name="night", properties={"tier": "x", "q": "1"})
    assert (ctx.id, ctx.name, ctx.path, ctx.user_id, ctx.parent_id) == (
        "outer",
        "night",
        "/batch",
        "ann",
        "call-1",
    )
    assert dict(ctx.properties) == {"tier": "x", "q": "1"}


def test_another_session_starts_afresh_but_the_user_carries_over() -> None:
    """A different id: root path, no name, properties or parent of the enclosing session;
    the user is still who acts, unless another is given."""
    ctx = derive_session(OUTER, id="other", properties={"q": "1"})
    assert (ctx.id, ctx.name, ctx.path, ctx.user_id, ctx.parent_id) == (
        "other",
        None,
        "/",
        "ann",
        None,
    )
    assert dict(ctx.properties) == {"q": "1"}
    assert derive_session(OUTER, id="other", user_id="bob").user_id == "bob"


def test_child_path_adds_one_derived_segment_up_to_the_depth_limit() -> None:
    """A '/' in a name stays in one segment, blanks add nothing, depth stops at the limit."""
    assert child_path("/", "agent") == "/agent"
    assert child_path("/a", "web/search") == "/a/web_search"
    assert child_path("/a", "  ") == "/a"
    deep = "/" + "/".join(["n"] * MAX_DERIVED_DEPTH)
    assert child_path(deep, "more") == deep
    assert child_path(deep.rsplit("/", 1)[0], "last") == deep.rsplit("/", 1)[0] + "/last"


def test_join_path_adds_a_path_of_several_segments() -> None:
    """A user's path is a path: 'b/c' is two segments, normalised."""
    assert join_path("/a", "b/c") == "/a/b/c"
    assert join_path("/", "/x/") == "/x"


# -- every producer follows the rule ------------------------------------------------------


def test_session_scope_with_another_id_keeps_only_the_user() -> None:
    """agenttrace.session(id=...) inside another session: the user carries over, the
    properties do not (as the handler and the ManualLogger do)."""
    with (
        agenttrace.session(id="a", user_id="ann", properties={"tier": "gold"}),
        agenttrace.session(id="b") as inner,
    ):
        assert (inner.id, inner.user_id, dict(inner.properties)) == ("b", "ann", {})


def test_session_scope_ids_are_uuid7() -> None:
    """A scope without an id gets the same kind of id as records (UUIDv7)."""
    with agenttrace.session() as ctx:
        assert _is_uuid7(ctx.id)


def test_headers_naming_another_session_do_not_bring_the_current_properties() -> None:
    """context_from_headers with another session id keeps the user, not the properties."""
    with agenttrace.session(id="a", user_id="ann", properties={"tier": "gold"}):
        ctx = context_from_headers({"Helicone-Session-Id": "b", "Helicone-Property-Q": "1"})
    assert ctx is not None
    assert (ctx.id, ctx.user_id, dict(ctx.properties)) == ("b", "ann", {"Q": "1"})


def test_manual_logger_call_to_another_session_does_not_bring_the_current_properties(
    exporter: InMemoryExporter,
) -> None:
    """A call logged with another Helicone-Session-Id inside a session: the user carries
    over, the properties of the session it left do not."""
    logger = ManualLogger(headers={"Helicone-Property-Env": "prod"})
    with agenttrace.session(id="a", user_id="ann", properties={"tier": "gold"}):
        logger.log_request(
            {"_type": "tool", "toolName": "fetch"},
            lambda recorder: "done",
            additional_headers={"Helicone-Session-Id": "b"},
        )
    (record,) = exporter.records
    assert (record.session_id, record.session_path, record.user_id) == ("b", "/fetch", "ann")
    assert record.properties == {"Env": "prod"}


def test_manual_logger_segments_stop_at_the_derived_depth(exporter: InMemoryExporter) -> None:
    """A call at the depth limit adds no segment, as a node or tool there would not."""
    deep = "/" + "/".join(["n"] * MAX_DERIVED_DEPTH)
    with agenttrace.session(path=deep):
        ManualLogger().log_request({"_type": "tool", "toolName": "fetch"}, lambda r: "ok")
    assert exporter.records[0].session_path == deep
