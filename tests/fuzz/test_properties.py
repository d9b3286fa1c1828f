"""Hypothesis properties of the parsers that take outside input: the record model, batch
parsing, session paths, Helicone headers and API key headers. Whatever comes in, they
answer or refuse with their documented error, never crash, and agree with a simple model."""

from __future__ import annotations

import json
import string
from typing import Any

import pytest
from fastapi import HTTPException
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from agenttrace import context_from_headers, parse_headers
from agenttrace._internal.context import SessionContext
from agenttrace._internal.shipping import encode_batch
from agenttrace.records import MAX_PATH_SEGMENTS, Record, normalize_path
from agenttrace.server._access import presented_key
from agenttrace.server._ingest_route import parse_batch, parse_each_record, parse_valid_batch
from agenttrace.server._limits import Limits, body_depth_exceeds

FAST = settings(
    max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)

any_text = st.text(st.characters(exclude_categories=()), max_size=30)  # surrogates too
json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | any_text
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_text, inner, max_size=4),
    max_leaves=20,
)
field_values = st.sampled_from(
    [None, "", "x", "/a//b/", "llm", "ok", "error", "2025-01-01T00:00:00Z", 0, -1, 1.5, 10**20,
     float("inf"), "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", [], {}, True,
     "x" * 201, "/a" * 65]
) | json_values  # fmt: skip
RECORD_FIELDS = list(Record.model_fields)
record_dicts = st.dictionaries(
    st.sampled_from([*RECORD_FIELDS, "bogus"]), field_values, max_size=len(RECORD_FIELDS)
)


@FAST
@given(record_dicts)
def test_record_validation_answers_or_raises_a_validation_error(data: dict[str, Any]) -> None:
    """Any dict of JSON values: a Record, or pydantic's ValidationError, nothing else."""
    try:
        record = Record.model_validate(data)
    except ValidationError:
        return
    assert record.session_path == normalize_path(record.session_path)
    assert record.end_time is None or record.end_time >= record.start_time


ids = st.text(string.ascii_letters + string.digits + "-_", min_size=1, max_size=40)
clean_text = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=60
)
bodies = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63) | clean_text
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(clean_text, inner, max_size=3),
    max_leaves=12,
)  # fmt: skip
valid_records = st.builds(
    Record,
    id=ids,
    session_id=ids,
    session_name=st.none() | clean_text,
    session_path=st.lists(clean_text, max_size=5).map("/".join),
    name=clean_text,
    user_id=st.none() | clean_text,
    properties=st.dictionaries(clean_text.filter(bool), clean_text, max_size=4),
    cost_usd=st.none() | st.floats(0, 1000),
    request=bodies,
    response=bodies,
)


@FAST
@given(valid_records)
def test_valid_records_survive_the_wire(record: Record) -> None:
    """A record sent as JSON and parsed by the collector's batch parser is the same record."""
    body = json.dumps({"records": [json.loads(record.model_dump_json())]}).encode()
    valid, rejected = parse_batch(body)
    assert rejected == []
    assert valid == [record]


batch_bodies = (
    st.binary(max_size=200)
    | json_values.map(lambda value: json.dumps(value).encode())
    | st.lists(record_dicts, max_size=5).map(lambda items: json.dumps({"records": items}).encode())
)


@FAST
@given(batch_bodies)
def test_batch_parsing_answers_or_refuses_with_a_4xx(body: bytes) -> None:
    """Any bytes: valid records plus indexed rejections, or an HTTP 4xx; never a crash."""
    try:
        valid, rejected = parse_batch(body, Limits(max_batch_records=3))
    except HTTPException as exc:
        refused: HTTPException | None = exc
    else:
        refused = None
    if refused is not None:
        assert 400 <= refused.status_code < 500
        assert str(refused.detail)
        return
    indexes = [item.index for item in rejected]
    assert indexes == sorted(set(indexes))
    assert len(valid) + len(rejected) <= 5


@FAST
@given(
    batch_bodies
    | st.lists(valid_records, max_size=4).map(encode_batch)
    | st.lists(valid_records, min_size=1, max_size=2).map(
        lambda records: encode_batch(records).replace(b'"name":"', b'"name":NaN,"x":"', 1)
    )
    | st.just(b'{"records":[{"session_id":"s","request":{"x":NaN}}]}')
)
def test_the_fast_batch_path_agrees_with_the_record_by_record_path(body: bytes) -> None:
    """When the whole-batch fast path accepts a body, the slow path (record by record)
    accepts the same records, equal field for field, and rejects none."""
    limits = Limits(max_batch_records=3)
    fast = parse_valid_batch(body, limits)
    if fast is None:
        return
    slow_valid, slow_rejected = parse_each_record(body, limits)
    assert fast[1] == []
    assert slow_rejected == []
    assert [_comparable(r) for r in fast[0]] == [_comparable(r) for r in slow_valid]


def _comparable(record: Record) -> dict[str, Any]:
    """The record's fields, less those made at parse time (a new id, now) when not sent."""
    made_at_parse = {"id", "start_time"} - record.model_fields_set
    return {"sent": sorted(record.model_fields_set), **record.model_dump(exclude=made_at_parse)}


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


@FAST
@given(json_values, st.integers(0, 6))
def test_body_depth_matches_a_recursive_definition(value: Any, limit: int) -> None:
    """The bounded depth check agrees with the plain recursive definition of nesting depth."""
    assert body_depth_exceeds(value, limit) == (_depth(value) > limit)


paths = st.text(st.sampled_from("/ab é\t."), max_size=40) | st.lists(
    st.sampled_from(["", "a", " b ", "/"]), max_size=80
).map("/".join)


@FAST
@given(paths)
def test_normalize_path(path: str) -> None:
    """Normal form: leading slash, stripped non-empty segments, idempotent; only more than
    64 segments is refused."""
    segments = [s.strip() for s in path.split("/") if s.strip()]
    if len(segments) > MAX_PATH_SEGMENTS:
        with pytest.raises(ValueError, match="segments"):
            normalize_path(path)
        return
    normal = normalize_path(path)
    assert normal == "/" + "/".join(segments)
    assert normalize_path(normal) == normal
    assert normal == "/" or not normal.endswith("/")
    assert "//" not in normal


def _refusal(parse: Any, raw: dict[str, str]) -> str | None:
    """The message of the ValueError ``parse(raw)`` raises, or None when it answers."""
    try:
        parse(raw)
    except ValueError as exc:
        return str(exc)
    return None


HELICONE = ["Session-Id", "Session-Path", "Session-Name", "User-Id", "Request-Id",
            "Omit-Request", "Omit-Response", "Property-Env", "Property-team"]  # fmt: skip
header_names = st.sampled_from(HELICONE).flatmap(
    lambda name: st.sampled_from(
        [f"Helicone-{name}", f"helicone-{name}".lower(), f"HELICONE-{name.upper()}"]
    )
) | st.text(string.ascii_letters + "-", min_size=1, max_size=20)
header_values = st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=30) | paths
headers = st.dictionaries(header_names, header_values, max_size=8)


@FAST
@given(headers)
def test_parse_headers_answers_or_refuses_a_deep_path(raw: dict[str, str]) -> None:
    """Any headers: a HeaderContext (session path normalised), or ValueError for a session
    path over the segment limit; the Helicone names match in any case."""
    refused = _refusal(parse_headers, raw)
    if refused is not None:
        assert "segments" in refused
        return
    parsed = parse_headers(raw)
    if parsed.session_path is not None:
        assert parsed.session_path == normalize_path(parsed.session_path)
    ids = [v.strip() for n, v in raw.items() if n.lower() == "helicone-session-id"]
    assert parsed.session_id == (ids[-1] if ids and ids[-1] else None)  # the last one wins
    plain = {n: v for n, v in raw.items() if not n.lower().startswith("helicone-property-")}
    lowered = parse_headers({n.lower(): v for n, v in plain.items()})
    assert lowered.session_id == parse_headers(plain).session_id
    assert lowered.omit_request == parse_headers(plain).omit_request


@FAST
@given(headers, st.booleans())
def test_context_from_headers_lays_headers_over_the_base(
    raw: dict[str, str], with_base: bool
) -> None:
    """The headers' session id wins over the base's; without either there is no context;
    the path is the header's (normalised) or, in the same session, the base's; the base's
    properties carry over only within the same session."""
    base = SessionContext(id="base", name="n", path="/base", properties={"k": "v"})
    refused = _refusal(parse_headers, raw)
    if refused is not None:
        assert "segments" in refused
        return
    parsed = parse_headers(raw)
    context = context_from_headers(raw, base if with_base else None)
    if parsed.session_id is None and not with_base:
        assert context is None
        return
    assert context is not None
    assert context.id == (parsed.session_id or "base")
    same = with_base and context.id == "base"
    assert context.path == (parsed.session_path or ("/base" if same else "/"))
    assert context.path == normalize_path(context.path)
    if same:
        assert context.properties["k"] == parsed.properties.get("k", "v")
    else:
        assert dict(context.properties) == dict(parsed.properties)


@FAST
@given(st.dictionaries(st.sampled_from(["authorization", "helicone-auth", "x"]), header_values))
def test_presented_key_never_fails(raw: dict[str, str]) -> None:
    """Any auth headers: None or a non-empty, stripped key without the Bearer word."""
    key = presented_key(raw)
    assert key is None or (key == key.strip() and key and key.lower() != "bearer")
