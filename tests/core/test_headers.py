"""The Helicone header vocabulary, read and written."""

from __future__ import annotations

import agenttrace
from agenttrace import context_from_headers, parse_headers, session_headers


def test_every_helicone_header_is_read_case_insensitively() -> None:
    """All Helicone-* names are understood in any case; other headers are ignored."""
    parsed = parse_headers(
        {
            "helicone-session-id": "s1",
            "HELICONE-SESSION-PATH": "research/search/",
            "Helicone-Session-Name": "Trip",
            "Helicone-User-Id": "u1",
            "Helicone-Request-Id": "r1",
            "Helicone-Omit-Request": "true",
            "Helicone-Omit-Response": "false",
            "Helicone-Property-Environment": "prod",
            "helicone-property-tier": "gold",
            "Content-Type": "application/json",
        }
    )
    assert parsed.session_id == "s1"
    assert parsed.session_path == "/research/search"
    assert parsed.session_name == "Trip"
    assert parsed.user_id == "u1"
    assert parsed.request_id == "r1"
    assert parsed.omit_request is True
    assert parsed.omit_response is False
    assert dict(parsed.properties) == {"Environment": "prod", "tier": "gold"}


def test_missing_headers_give_an_empty_context() -> None:
    """No headers mean no session and no flags."""
    parsed = parse_headers(None)
    assert parsed.session_id is None
    assert parsed.omit_request is False
    assert context_from_headers({}, base=None) is None


def test_headers_round_trip_through_session_headers() -> None:
    """The headers written for the current session read back as the same session."""
    with agenttrace.session(
        id="s9", name="n", path="/a/b", user_id="u", properties={"k": "v"}
    ) as ctx:
        headers = session_headers()
    restored = context_from_headers(headers, base=None)
    assert restored is not None
    assert (restored.id, restored.name, restored.path, restored.user_id) == (
        ctx.id,
        ctx.name,
        ctx.path,
        ctx.user_id,
    )
    assert dict(restored.properties) == {"k": "v"}


def test_session_path_header_is_absolute_within_the_current_session() -> None:
    """A path header replaces the current path; the current id is kept without an id header."""
    with agenttrace.session(id="s", path="/outer", properties={"a": "1"}):
        ctx = context_from_headers({"Helicone-Session-Path": "/tools/db"})
    assert ctx is not None
    assert (ctx.id, ctx.path) == ("s", "/tools/db")
    assert dict(ctx.properties) == {"a": "1"}


def test_outside_any_session_no_headers_are_written() -> None:
    """session_headers() is empty when no session is open."""
    assert session_headers() == {}
