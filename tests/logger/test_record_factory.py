"""new_record builds exactly the Record that Record(...) builds, or fails the same way."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agenttrace._internal.record_factory import RECORD_FIELDS, RecordFields, new_record
from agenttrace.records import ErrorInfo, Record, RecordKind, Status, Usage

START = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def values(**changes: Any) -> dict[str, Any]:
    """A valid set of record values, with ``changes``."""
    base: dict[str, Any] = {
        "id": "3f0c5a4e-0000-4000-8000-000000000001",
        "kind": RecordKind.TOOL,
        "session_id": "session-1",
        "session_name": "Research",
        "session_path": "/research/search",
        "parent_id": None,
        "name": "search",
        "model": None,
        "provider": None,
        "user_id": "alice",
        "properties": {"env": "prod"},
        "start_time": START,
        "end_time": START + timedelta(milliseconds=12),
        "time_to_first_token_ms": None,
        "status": Status.OK,
        "error": None,
        "usage": None,
        "cost_usd": None,
        "attempt": 1,
        "branch_id": None,
        "request": {"q": "cats"},
        "response": ["doc-1"],
    }
    return {**base, **changes}


def validated(given: dict[str, Any]) -> Record:
    """What Record itself makes of the same values."""
    return Record(**given)


def call_record(**given: Any) -> Record:
    """new_record of ``given`` (a dict of its own: the record keeps the dict it is given)."""
    return new_record(dict(given))  # type: ignore[arg-type]  # every field, from values()


def same(built: Record, validated: Record) -> None:
    """Equal fields, equal JSON, equal set of fields given."""
    assert built == validated
    assert built.model_dump_json() == validated.model_dump_json()
    assert built.model_fields_set == validated.model_fields_set


def test_new_record_sets_every_field_of_record() -> None:
    """new_record fills in exactly Record's fields, in order: none is left to a default."""
    assert tuple(Record.model_fields) == RECORD_FIELDS
    assert tuple(RecordFields.__annotations__) == RECORD_FIELDS
    assert tuple(values()) == RECORD_FIELDS


def test_built_records_work_as_validated_ones() -> None:
    """A record from new_record copies, dumps and compares like one from Record(...)."""
    built, expected = call_record(**values()), validated(values())
    copied = built.model_copy(update={"request": None})
    assert copied.request is None
    assert copied.session_path == "/research/search"
    assert built.request == {"q": "cats"}
    assert built.latency_ms == expected.latency_ms == 12.0
    assert Record.model_validate_json(built.model_dump_json()) == expected


def test_valid_values_give_the_validated_record() -> None:
    """For ordinary values the record equals Record(...) field for field."""
    full = values(
        model="gpt-4o",
        provider="openai",
        parent_id="p-1",
        error=ErrorInfo(type="ValueError", message="bad"),
        usage=Usage(input_tokens=3, output_tokens=4),
        cost_usd=0.5,
        time_to_first_token_ms=3.5,
        status=Status.ERROR,
        attempt=3,
        branch_id="task-1",
    )
    same(call_record(**full), validated(full))


def test_a_branch_id_is_kept_and_marked_as_given() -> None:
    """A call inside a parallel graph branch keeps its branch id, as Record(...) would."""
    in_branch = values(branch_id="task-7")
    record = call_record(**in_branch)
    assert record.branch_id == "task-7"
    same(record, validated(in_branch))


def test_properties_are_copied() -> None:
    """The record owns its properties: changing the caller's dict changes nothing."""
    properties = {"env": "prod"}
    record = call_record(**values(properties=properties))
    properties["env"] = "dev"
    assert record.properties == {"env": "prod"}


@pytest.mark.parametrize(
    "changes",
    [
        {"session_path": "research//search/"},  # normalized by Record
        {"properties": {"n": 3}},  # coerced or refused by Record
        {"cost_usd": 2},  # an int, made a float by Record
        {"start_time": START.replace(tzinfo=None), "end_time": None},  # naive: taken as UTC
    ],
)
def test_unusual_values_go_through_record(changes: dict[str, Any]) -> None:
    """What Record would change or refuse is handed to Record itself."""
    try:
        expected: Record | None = validated(values(**changes))
    except pydantic.ValidationError:
        expected = None
    if expected is None:
        with pytest.raises(pydantic.ValidationError):
            call_record(**values(**changes))
    else:
        same(call_record(**values(**changes)), expected)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"id": ""}, "id"),
        ({"id": "x" * 201}, "id"),
        ({"session_id": "s" * 201}, "session_id"),
        ({"session_name": "n" * 501}, "session_name"),
        ({"user_id": "u" * 501}, "user_id"),
        ({"provider": "p" * 201}, "provider"),
        ({"model": "m" * 501}, "model"),
        ({"parent_id": "p" * 201}, "parent_id"),
        ({"branch_id": "b" * 501}, "branch_id"),
        ({"properties": {"": "empty name"}}, "properties"),
        ({"properties": {"k" * 201: "v"}}, "properties"),
        ({"cost_usd": -1.0}, "cost_usd"),
        ({"time_to_first_token_ms": float("nan")}, "time_to_first_token_ms"),
        ({"session_path": "/" + "/".join(["s"] * 65)}, "session_path"),
        ({"end_time": START - timedelta(seconds=1)}, "end_time"),
        ({"attempt": 0}, "attempt"),
    ],
)
def test_invalid_values_fail_as_record_fails(changes: dict[str, Any], field: str) -> None:
    """Values Record refuses raise Record's own validation error, naming the field."""
    with pytest.raises(pydantic.ValidationError, match=field):
        call_record(**values(**changes))


_text = st.one_of(st.none(), st.text(max_size=3), st.text(min_size=190, max_size=520))


@settings(max_examples=300, deadline=None)
@given(
    record_id=st.text(max_size=210),
    session_id=st.text(max_size=210),
    session_name=_text,
    user_id=_text,
    provider=_text,
    model=_text,
    path=st.one_of(
        st.sampled_from(["/", "/a/b", "a/b", "/a//b", "/a/ b /", ""]), st.text(max_size=20)
    ),
    properties=st.dictionaries(
        st.text(max_size=3),
        st.one_of(st.text(max_size=3), st.text(min_size=990, max_size=1010)),
        max_size=70,
    ),
    cost=st.one_of(
        st.none(),
        st.floats(allow_nan=True, allow_infinity=True),
        st.floats(min_value=0.9e9, max_value=1.1e9),
    ),
    ttft=st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
    attempt=st.integers(min_value=-1, max_value=10_001),
    branch_id=_text,
    duration_ms=st.one_of(st.none(), st.integers(min_value=-5, max_value=5)),
)
def test_any_values_agree_with_record(
    *,
    record_id: str,
    session_id: str,
    session_name: str | None,
    user_id: str | None,
    provider: str | None,
    model: str | None,
    path: str,
    properties: dict[str, str],
    cost: float | None,
    ttft: float | None,
    attempt: int,
    branch_id: str | None,
    duration_ms: int | None,
) -> None:
    """For generated values, new_record and Record(...) give the same record or both refuse."""
    given_values = values(
        id=record_id,
        session_id=session_id,
        session_name=session_name,
        user_id=user_id,
        provider=provider,
        model=model,
        session_path=path,
        properties=properties,
        cost_usd=cost,
        time_to_first_token_ms=ttft,
        attempt=attempt,
        branch_id=branch_id,
        end_time=None if duration_ms is None else START + timedelta(milliseconds=duration_ms),
    )
    try:
        expected: Record | None = validated(given_values)
    except (pydantic.ValidationError, ValueError):
        expected = None
    if expected is None:
        with pytest.raises((pydantic.ValidationError, ValueError)):
            call_record(**given_values)
    else:
        same(call_record(**given_values), expected)
